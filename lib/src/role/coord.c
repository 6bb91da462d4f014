/* coord.c - the coordinator's driver side and its wiring (coord.h): jobs
 * started, canceled and released by the driver, spawned outputs and
 * failures collected for it, and the hooks through which the service
 * thread reaches the policy. The policy itself is in coord_central.c.
 *
 * Threads: the driver's calls run on rank 0's main thread, the hooks on its
 * service thread; both under co->lock, never across a call out. */
#define TF_COORD_INTERNAL
#include "role/coord_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* The function table's first size. */
#define FNS_CAP0 8

/* A link's bulk send from job j's inputs completed. */
static void link_sent(void *arg, tf__job *j)
{
    tf__coord *co = arg;
    co->ops->on_sent(co, j);
}

int tf__coord_create(const tf__coord_cfg *cfg, const tf__coord_ops *ops, tf__coord **out)
{
    *out = NULL;
    tf__coord *co = tf__calloc(1, sizeof *co);
    if (!co) return TF_ENOMEM;
    co->ops = ops;
    co->cfg = *cfg;
    co->peer = tf__calloc((size_t)cfg->size, sizeof *co->peer);
    if (!co->peer || tf__term_init(&co->term, cfg->size) < 0 ||
        pthread_mutex_init(&co->lock, NULL)) {
        tf__term_free(&co->term);
        tf__free(co->peer);
        tf__free(co);
        return TF_ENOMEM;
    }
    co->sched.policy = cfg->chunk_policy;
    co->sched.chunk_size = cfg->chunk_size;
    co->sched.target_s = cfg->chunk_target_s;
    co->sched.prefetch_s = cfg->prefetch_s;
    if (co->cfg.nranks <= 0) co->cfg.nranks = cfg->size;
    co->sched.nworkers = co->cfg.nranks;
    atomic_init(&co->version, 0);
    co->src_slot = tf__malloc((size_t)co->cfg.nranks * sizeof *co->src_slot);
    if (!co->src_slot) {
        tf__coord_destroy(&co);
        return TF_ENOMEM;
    }
    for (int r = 0; r < co->cfg.nranks; r++) co->src_slot[r] = -1;
    for (int sl = 0; sl < cfg->size; sl++) {
        int r = cfg->links[sl]->rank;
        if (r < 0 || r >= co->cfg.nranks || co->src_slot[r] >= 0) {
            tf__coord_destroy(&co);
            return TF_EINVAL;
        }
        co->src_slot[r] = sl;
    }
    for (int r = 0; r < cfg->size; r++) {
        cfg->links[r]->sent = link_sent;
        cfg->links[r]->sent_arg = co;
        if (cfg->links[r]->ops->starved) co->nseen++;
    }
    co->seen = tf__malloc((co->nseen ? co->nseen : 1) * sizeof *co->seen);
    if (!co->seen) {
        tf__coord_destroy(&co);
        return TF_ENOMEM;
    }
    co->nseen = 0;
    for (int r = 0; r < cfg->size; r++)
        if (cfg->links[r]->ops->starved) co->seen[co->nseen++] = r;
    *out = co;
    return 0;
}

static void deliveries_clear(tf__coord *co)
{
    for (size_t i = 0; i < co->ndeliv; i++) tf__rbuf_unref(co->deliv[i].owner);
    co->ndeliv = 0;
}

void tf__coord_reset(tf__coord *co, bool spawn_results)
{
    memset(co->peer, 0, (size_t)co->cfg.size * sizeof *co->peer);
    for (int r = 0; r < co->cfg.size; r++) co->cfg.links[r]->ops->reset(co->cfg.links[r]);
    tf__queue_clear(&co->spare);
    deliveries_clear(co);
    tf__term_reset(&co->term);
    co->spawn_failed = 0;
    co->spawn_err[0] = 0;
    co->spawn_results = spawn_results;
    co->spawns_seen = co->spawns_snap = co->spawns_confirmed = 0;
    co->acts = 0;
    co->epoch = 0;
    tf__jobs_reset(&co->jobs);
    /* function numbers are per run: each run sends the names again */
    for (size_t g = 0; g < co->nfns; g++) tf__free(co->fns[g].name);
    co->nfns = 0;
    tf__reg_free(&co->names);
    co->ops->reset(co);
}

void tf__coord_destroy(tf__coord **cop)
{
    tf__coord *co = *cop;
    if (!co) return;
    tf__coord_reset(co, false);
    tf__jobs_free(&co->jobs);
    tf__free(co->fns);
    tf__free(co->peer);
    tf__free(co->seen);
    tf__free(co->src_slot);
    tf__free(co->deliv);
    tf__queue_free(&co->spare);
    tf__term_free(&co->term);
    pthread_mutex_destroy(&co->lock);
    tf__free(co);
    *cop = NULL;
}

long tf__coord_fn(tf__coord *co, const char *fn)
{
    /* the registry numbers the names; fns keeps, per number, a copy of the
     * name that never moves (items point at it) and the local function */
    long g = tf__reg_intern(&co->names, fn);
    if (g < 0 || (size_t)g < co->nfns) return g;
    if (co->nfns == co->capfns) {
        size_t cap = co->capfns ? co->capfns * 2 : FNS_CAP0;
        tf__fn_entry *v = tf__realloc(co->fns, cap * sizeof *v);
        if (!v) return -1; /* the name is numbered already: a later call retries */
        co->fns = v;
        co->capfns = cap;
    }
    char *name = tf__strdup(fn);
    if (!name) return -1;
    long li = tf__reg_find(co->cfg.reg, fn);
    co->fns[co->nfns] = (tf__fn_entry){name, li >= 0 ? co->cfg.reg->v[li].fn : NULL, {0, 0}};
    return (long)co->nfns++;
}

void tf__coord_notify(tf__coord *co)
{
    atomic_fetch_add(&co->version, 1);
    if (co->cfg.notify) co->cfg.notify(co->cfg.notify_arg);
}

static void wake_service(tf__coord *co)
{
    if (co->cfg.wake) co->cfg.wake(co->cfg.wake_arg);
}

/* A released future is freed here, or when the last send from its input
 * completes (on_sent). */
void tf__coord_job_done(tf__coord *co, tf__job *j)
{
    tf__jobs_remove(&co->jobs, j);
    if (j->kind == TF__JOB_FUT && j->released && j->bulk_pending == 0) tf__job_free(j);
}

/* ---- the service thread's hooks ---------------------------------------------- */

static void role_on_message(void *arg, int src, tf__rbuf *rb)
{
    tf__coord *co = arg;
    co->ops->on_message(co, src, rb);
}

static int role_step(void *arg)
{
    tf__coord *co = arg;
    return co->ops->step(co);
}

/* Read without the lock: only the service thread writes the term state
 * once STOP is due. */
static bool role_ending(void *arg) { return ((tf__coord *)arg)->term.stop_sent; }

static bool role_awaits(void *arg, int src)
{
    return tf__term_awaits(&((tf__coord *)arg)->term, src);
}

tf__svc_role tf__coord_role(tf__coord *co)
{
    return (tf__svc_role){co, role_on_message, role_step, role_awaits, role_ending, NULL};
}

/* The own worker's RESULTS, as if they had come in a message from it. */
static void uplink_emit(void *arg, tf__buf *msg)
{
    tf__coord *co = arg;
    tf__rbuf *rb = tf__rbuf_wrap(msg->p, msg->len);
    if (!rb) tf__fatal(co->cfg.ctx, "out of memory");
    *msg = (tf__buf){0};
    co->ops->on_message(co, co->cfg.ctx->rank, rb);
    tf__rbuf_unref(rb);
}

tf__uplink tf__coord_uplink(tf__coord *co) { return (tf__uplink){uplink_emit, co}; }

/* ---- rank 0's waves (peer scheduling) ------------------------------------------ */

static int peers_want(void *arg, int *rv, uint64_t *epoch)
{
    tf__coord *co = arg;
    pthread_mutex_lock(&co->lock);
    int want = 0;
    if (tf__term_quiet(&co->term)) {
        if (co->term.stopping)
            want = 2;
        else if (co->spawns_seen != co->spawns_confirmed)
            want = 1;
    }
    *rv = co->term.stop_rv;
    *epoch = co->epoch;
    pthread_mutex_unlock(&co->lock);
    return want;
}

static bool peers_passive(void *arg, uint64_t *acts)
{
    tf__coord *co = arg;
    pthread_mutex_lock(&co->lock);
    bool passive = !tf__jobs_head(&co->jobs) && !tf__queue_len(&co->spare);
    *acts = co->acts;
    if (passive) co->spawns_snap = co->spawns_seen;
    pthread_mutex_unlock(&co->lock);
    return passive;
}

static void peers_quiet(void *arg)
{
    tf__coord *co = arg;
    pthread_mutex_lock(&co->lock);
    co->spawns_confirmed = co->spawns_snap;
    pthread_mutex_unlock(&co->lock);
    tf__coord_notify(co);
}

tf__peers_root tf__coord_peers_root(tf__coord *co)
{
    return (tf__peers_root){co, peers_want, peers_passive, peers_quiet};
}

/* ---- the driver's side -------------------------------------------------------- */

void tf__coord_lock(tf__coord *co) { pthread_mutex_lock(&co->lock); }
void tf__coord_unlock(tf__coord *co) { pthread_mutex_unlock(&co->lock); }
unsigned tf__coord_version(tf__coord *co) { return atomic_load(&co->version); }

int tf__coord_start(tf__coord *co, tf__job *j, const char *fn)
{
    pthread_mutex_lock(&co->lock);
    long g = tf__coord_fn(co, fn);
    int rc = g < 0 ? TF_ENOMEM : 0;
    if (rc == 0) {
        j->gid = (uint32_t)g;
        /* the jobs table compares slots: a job that avoids a rank avoids
         * every slot that stands for it (a leader's whole subtree) */
        if (j->avoid >= 0 && co->cfg.slot_of)
            j->avoid = j->avoid < co->cfg.nranks ? co->cfg.slot_of[j->avoid] : -1;
        rc = tf__jobs_add(&co->jobs, j);
    }
    if (rc == 0) {
        tf__term_created(&co->term, j->n);
        co->acts++;
    }
    pthread_mutex_unlock(&co->lock);
    if (rc == 0 && j->n) wake_service(co);
    return rc;
}

int tf__coord_cancel(tf__coord *co, tf__job *j)
{
    static const char msg[] = "canceled before it ran";
    static const uint32_t len = sizeof msg;
    static const int32_t fail[2] = {0, TF_ECANCELED};
    pthread_mutex_lock(&co->lock);
    if (j->n != 1 || j->next != 0 || j->done != 0) {
        pthread_mutex_unlock(&co->lock);
        return TF_EBUSY;
    }
    tf__rec rec;
    if (tf__rec_make(&rec, 0, 1, 1, (const char *)&len, msg, sizeof msg, (const char *)fail) < 0 ||
        tf__recs_add(&j->recs, &rec) < 0) {
        pthread_mutex_unlock(&co->lock);
        return TF_ENOMEM;
    }
    tf__jobs_deactivate(&co->jobs, j);
    j->next = j->n;
    j->done = j->n;
    j->failed = 1;
    (void)tf__term_finished(&co->term, j->n); /* it was counted when started */
    tf__coord_job_done(co, j);
    atomic_fetch_add(&co->version, 1);
    pthread_mutex_unlock(&co->lock);
    wake_service(co);
    return 0;
}

void tf__coord_release(tf__coord *co, tf__job *j)
{
    pthread_mutex_lock(&co->lock);
    if (tf__job_complete(j))
        tf__job_free(j);
    else
        j->released = true;
    pthread_mutex_unlock(&co->lock);
}

bool tf__coord_quiet_locked(const tf__coord *co)
{
    return tf__term_quiet(&co->term) && co->spawns_seen == co->spawns_confirmed;
}

size_t tf__coord_take_spawned(tf__coord *co, tf__delivery **out)
{
    pthread_mutex_lock(&co->lock);
    *out = co->deliv;
    size_t n = co->ndeliv;
    co->deliv = NULL;
    co->ndeliv = co->capdeliv = 0;
    pthread_mutex_unlock(&co->lock);
    return n;
}

uint64_t tf__coord_take_spawn_failures(tf__coord *co, char *msg)
{
    pthread_mutex_lock(&co->lock);
    uint64_t failed = co->spawn_failed;
    memcpy(msg, co->spawn_err, TF__ERRMSG_MAX);
    co->spawn_failed = 0;
    co->spawn_err[0] = 0;
    pthread_mutex_unlock(&co->lock);
    return failed;
}

void tf__coord_finish(tf__coord *co, int rv)
{
    pthread_mutex_lock(&co->lock);
    tf__term_stop(&co->term, rv);
    co->epoch++;
    pthread_mutex_unlock(&co->lock);
    wake_service(co);
}
