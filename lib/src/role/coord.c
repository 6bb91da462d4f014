/* coord.c - the coordinator: rank 0's jobs, and who runs which task.
 *
 * Two threads of rank 0 meet here, under coord.lock:
 *   the driver (main thread, driver.c) creates jobs (tf__job_new/start),
 *     waits for them while running tasks itself, and reads their results;
 *   the service thread assigns tasks to ranks (tf__coord_step), folds in
 *     results as they arrive (tf__coord_results) and ends the run.
 * The service thread does the MPI calls after it lets go of the lock.
 *
 * Counting (the termination proof): `outstanding` is every task created and
 * not finished. Jobs add their n tasks when created; a rank's message adds
 * the tasks it spawned before it reports any of them finished or ships any
 * of them (msg.h); each finished task subtracts one. So outstanding == 0
 * means every task that exists has finished. */
#include <stdio.h>
#include <stdlib.h>

#include "system/files.h"
#include "system/output.h"
#include "pool.h"

/* The driver's calls are valid on rank 0, inside the driver, and not inside
 * a task that the driver's thread runs while it waits. */
bool tf__driving(const tf_pool *p) { return p->co && p->in_driver && !p->in_task; }

/* ---- jobs --------------------------------------------------------------- */

static size_t hslot(const tf__coord *co, uint64_t id)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20) & (co->jobs_cap - 1);
}

static int job_insert(tf__coord *co, tf__job *j)
{
    if (co->jobs_n + 1 > co->jobs_cap) {
        size_t cap = co->jobs_cap ? co->jobs_cap * 2 : 64;
        tf__job **nb = calloc(cap, sizeof *nb);
        if (!nb) return TF_ENOMEM;
        tf__job **old = co->jobs;
        size_t ocap = co->jobs_cap;
        co->jobs = nb;
        co->jobs_cap = cap;
        for (size_t i = 0; i < ocap; i++)
            for (tf__job *x = old[i], *nx; x; x = nx) {
                nx = x->hnext;
                size_t h = hslot(co, x->id);
                x->hnext = co->jobs[h];
                co->jobs[h] = x;
            }
        free(old);
    }
    size_t h = hslot(co, j->id);
    j->hnext = co->jobs[h];
    co->jobs[h] = j;
    co->jobs_n++;
    return 0;
}

static tf__job *job_find(tf__coord *co, uint64_t id)
{
    if (!co->jobs_cap) return NULL;
    for (tf__job *x = co->jobs[hslot(co, id)]; x; x = x->hnext)
        if (x->id == id) return x;
    return NULL;
}

static void job_unlink(tf__coord *co, tf__job *j)
{
    for (tf__job **pp = &co->jobs[hslot(co, j->id)]; *pp; pp = &(*pp)->hnext)
        if (*pp == j) {
            *pp = j->hnext;
            co->jobs_n--;
            return;
        }
}

void tf__job_free(tf__job *j)
{
    if (!j) return;
    for (size_t i = 0; i < j->nbufs; i++) tf__rbuf_unref(j->bufs[i]);
    free(j->bufs);
    free(j->own);
    free(j->own_lens);
    free(j->out_err);
    tf__recs_free(&j->recs);
    free(j);
}

static int job_keep(tf__job *j, tf__rbuf *rb)
{
    if (j->nbufs && j->bufs[j->nbufs - 1] == rb) return 0;
    if (j->nbufs == j->capbufs) {
        size_t cap = j->capbufs ? j->capbufs * 2 : 4;
        tf__rbuf **b = realloc(j->bufs, cap * sizeof *b);
        if (!b) return TF_ENOMEM;
        j->bufs = b;
        j->capbufs = cap;
    }
    j->bufs[j->nbufs++] = tf__rbuf_ref(rb);
    return 0;
}

/* Driver: a new job of n tasks of fn; the caller fills the input fields. */
int tf__job_new(tf_pool *p, int kind, const char *fn, size_t n, tf__job **out)
{
    if (!p) return TF_ESTATE;
    /* a future waits for nobody: rank 0's tasks may submit while the
     * driver waits (taskfarm.h) */
    bool ok = kind == TF__JOB_FUT_ASYNC ? p->co && p->in_driver : tf__driving(p);
    if (kind == TF__JOB_FUT_ASYNC) kind = TF__JOB_FUT;
    if (!ok) return tf__fail(&p->ctx, TF_ESTATE, "driver calls are for rank 0's driver, not a task");
    if (!tf__name_ok(fn)) return tf__fail(&p->ctx, TF_EINVAL, "bad task function name");
    tf__job *j = calloc(1, sizeof *j);
    if (!j) return tf__fail(&p->ctx, TF_ENOMEM, "out of memory for a job of %zu tasks", n);
    j->kind = kind;
    j->n = n;
    j->avoid = -1;
    *out = j;
    return 0;
}

/* coord.lock held: the gid of a task-function name, made on first use. */
static long gfn_intern(tf_pool *p, const char *fn)
{
    tf__coord *co = p->co;
    /* the registry numbers the names; co->g keeps, per number, a copy of the
     * name that never moves (items point at it) and rank 0's function */
    long g = tf__reg_intern(&co->names, fn);
    if (g < 0 || (size_t)g < co->ng) return g;
    if (co->ng == co->capg) {
        size_t cap = co->capg ? co->capg * 2 : 8;
        tf__gfn *ng = realloc(co->g, cap * sizeof *ng);
        if (!ng) return -1; /* the name is numbered already: a later call retries */
        co->g = ng;
        co->capg = cap;
    }
    char *name = strdup(fn);
    if (!name) return -1;
    long li = tf__reg_find(&p->reg, fn);
    co->g[co->ng] = (tf__gfn){name, li >= 0 ? p->reg.v[li].fn : NULL, {0, 0}};
    return (long)co->ng++;
}

/* Driver: makes the job visible to the service thread. */
int tf__job_start(tf_pool *p, tf__job *j, const char *fn)
{
    tf__coord *co = p->co;
    pthread_mutex_lock(&co->lock);
    long g = gfn_intern(p, fn);
    if (g < 0) goto oom;
    j->gid = (uint32_t)g;
    j->id = ++co->next_job;
    j->first_id = co->next_task_id;
    if (j->n == 0) { /* nothing will report back: done already */
        pthread_mutex_unlock(&co->lock);
        return 0;
    }
    if (job_insert(co, j) < 0) goto oom;
    co->next_task_id += j->n;
    co->outstanding += j->n;
    {
        if (co->act_tail)
            co->act_tail->next_act = j;
        else
            co->act_head = j;
        co->act_tail = j;
    }
    pthread_mutex_unlock(&co->lock);
    tf__waiter_wake(&p->svc_w);
    return 0;
oom:
    pthread_mutex_unlock(&co->lock);
    return tf__fail(&p->ctx, TF_ENOMEM, "out of memory starting a job");
}

/* A job behind the head that has no task left to assign leaves the list at
 * once (head_job only trims the head): it may finish and be freed before
 * the head moves on. */
static void act_unlink(tf__coord *co, tf__job *prev, tf__job *j)
{
    prev->next_act = j->next_act;
    if (co->act_tail == j) co->act_tail = prev;
    j->next_act = NULL;
}

static void job_done(tf__coord *co, tf__job *j);

/* Driver: takes back a task no rank was given yet (tf_future_cancel). Its
 * one result becomes a failure with TF_ECANCELED, read from static memory. */
int tf__coord_cancel(tf_pool *p, tf__job *j)
{
    static const char msg[] = "canceled before it ran";
    static const uint32_t len = sizeof msg;
    static const int32_t fail[2] = {0, TF_ECANCELED};
    tf__coord *co = p->co;
    pthread_mutex_lock(&co->lock);
    if (j->n != 1 || j->next != 0 || j->done != 0) {
        pthread_mutex_unlock(&co->lock);
        return TF_EBUSY;
    }
    tf__rec rec;
    if (tf__rec_make(&rec, 0, 1, 1, (const char *)&len, msg, sizeof msg, (const char *)fail) < 0 ||
        tf__recs_add(&j->recs, &rec) < 0) {
        pthread_mutex_unlock(&co->lock);
        return tf__fail(&p->ctx, TF_ENOMEM, "out of memory canceling a task");
    }
    /* out of the active list, wherever it is in it */
    tf__job *prev = NULL;
    for (tf__job *x = co->act_head; x; prev = x, x = x->next_act) {
        if (x != j) continue;
        if (prev)
            act_unlink(co, prev, j);
        else {
            co->act_head = j->next_act;
            if (!co->act_head) co->act_tail = NULL;
            j->next_act = NULL;
        }
        break;
    }
    j->next = j->n;
    j->done = j->n;
    j->failed = 1;
    co->outstanding -= j->n;
    job_done(co, j);
    atomic_fetch_add(&co->version, 1);
    pthread_mutex_unlock(&co->lock);
    tf__waiter_wake(&p->svc_w);
    return 0;
}

/* ---- the coordinator's tables --------------------------------------------- */

int tf__coord_create(tf_pool *p)
{
    tf__coord *co = calloc(1, sizeof *co);
    if (!co) return TF_ENOMEM;
    co->peer = calloc((size_t)p->size, sizeof *co->peer);
    if (!co->peer || pthread_mutex_init(&co->lock, NULL)) {
        free(co->peer);
        free(co);
        return TF_ENOMEM;
    }
    co->sched.policy = p->opts.chunk;
    co->sched.chunk_size = p->opts.chunk_size;
    co->sched.target_s = p->opts.chunk_target_s;
    co->sched.prefetch_s = p->opts.prefetch_s;
    co->sched.nworkers = p->size;
    p->co = co;
    return 0;
}

static void peers_reset(tf_pool *p)
{
    tf__coord *co = p->co;
    for (int r = 0; r < p->size; r++) {
        tf__peer *pe = &co->peer[r];
        free(pe->defined);
        tf__buf_free(&pe->out);
        free(pe->bulk);
        memset(pe, 0, sizeof *pe);
    }
}

static void deliveries_clear(tf__coord *co)
{
    for (size_t i = 0; i < co->ndl; i++) tf__rbuf_unref(co->dl[i].owner);
    co->ndl = 0;
}

void tf__coord_reset(tf_pool *p)
{
    tf__coord *co = p->co;
    if (!co) return;
    peers_reset(p);
    tf__queue_clear(&co->spare);
    tf__queue_clear(&co->local);
    deliveries_clear(co);
    co->outstanding = 0;
    co->spawn_failed = 0;
    co->spawn_err[0] = 0;
    co->stopping = co->stop_sent = false;
    co->act_head = co->act_tail = NULL;
    /* gids are per run: each run re-sends names */
    for (size_t g = 0; g < co->ng; g++) free(co->g[g].name);
    co->ng = 0;
    tf__reg_free(&co->names);
}

void tf__coord_destroy(tf_pool *p)
{
    tf__coord *co = p->co;
    if (!co) return;
    tf__coord_reset(p);
    for (size_t i = 0; i < co->jobs_cap; i++)
        for (tf__job *x = co->jobs[i], *nx; x; x = nx) {
            nx = x->hnext;
            /* a job still here was never released by the driver: its future
             * dangles from now on, as tf_future_release says */
            tf__job_free(x);
        }
    free(co->jobs);
    free(co->g);
    free(co->peer);
    free(co->dl);
    tf__queue_free(&co->spare);
    tf__queue_free(&co->local);
    pthread_mutex_destroy(&co->lock);
    free(co);
    p->co = NULL;
}

/* Service thread, after changing what the driver may be waiting for. */
static void notify_driver(tf_pool *p)
{
    atomic_fetch_add(&p->co->version, 1);
    tf__waiter_wake(&p->main_w);
}

/* ---- results (service thread, coord.lock held) ----------------------------- */

/* All results are in: no more lookups by id. A released future is freed
 * here, or when the last send from its input completes (tf__coord_sent). */
static void job_done(tf__coord *co, tf__job *j)
{
    job_unlink(co, j);
    if (j->kind == TF__JOB_FUT && j->released && j->bulk_pending == 0) tf__job_free(j);
}

void tf__coord_sent(tf_pool *p, tf__job *j)
{
    tf__coord *co = p->co;
    pthread_mutex_lock(&co->lock);
    j->bulk_pending--;
    co->bulk_pending--;
    if (j->bulk_pending == 0 && j->done == j->n && j->kind == TF__JOB_FUT && j->released)
        tf__job_free(j);
    pthread_mutex_unlock(&co->lock);
    notify_driver(p);
}

static void protocol_error(tf_pool *p, int src, const char *what)
{
    tf__fatal(&p->ctx, "malformed message from rank %d: %s", src, what);
}

/* A record of a tf_map_to job: its outputs go to the output file (copied),
 * its failures are counted and the first message kept. */
static void to_output(tf_pool *p, tf__job *j, tf__rec *rec)
{
    for (uint32_t k = 0; k < rec->count; k++) {
        const char *dp;
        size_t dl;
        int st = tf__rec_get(rec, k, &dp, &dl);
        if (!dp) tf__fatal(&p->ctx, "out of memory for results");
        if (st && !j->out_err) j->out_err = strdup(dp);
        tf__out_put(j->out, j->out_base + rec->first + k, dp, dl, st != 0);
    }
    free(rec->offs);
    rec->offs = NULL;
}

static void results_locked(tf_pool *p, int src, tf__rbuf *rb)
{
    tf__coord *co = p->co;
    tf__peer *pe = &co->peer[src];
    tf__rd r;
    tf__rd_init(&r, rb->data, rb->len);
    tf__rhdr h;
    tf__msg_get_rhdr(&r, &h);
    if (r.err) protocol_error(p, src, "short header");
    co->outstanding += h.spawned;
    if (h.spawn_ok > co->outstanding) protocol_error(p, src, "more tasks finished than exist");
    co->outstanding -= h.spawn_ok;
    pe->qlen = h.qlen;
    while (tf__rd_left(&r) && !r.err) {
        uint8_t kind = tf__rd_u8(&r);
        if (kind == TF__R_RESULT) {
            tf__result_hdr rh;
            tf__msg_get_result_hdr(&r, &rh);
            tf__job *j = NULL;
            if (rh.job) {
                j = job_find(co, rh.job);
                if (!j || rh.first_index > j->n || rh.count > j->n - rh.first_index)
                    protocol_error(p, src, "result for an unknown task");
                pe->inflight = pe->inflight >= rh.count ? pe->inflight - rh.count : 0;
                tf__est_add(&co->g[j->gid].est, (double)rh.elapsed_ns * 1e-9, rh.count);
                if (!j->out && job_keep(j, rb) < 0) tf__fatal(&p->ctx, "out of memory keeping results");
            }
            const char *lens = tf__rd_take(&r, 4 * (size_t)rh.count);
            if (!lens) protocol_error(p, src, "short result");
            size_t total = tf__rec_total(lens, rh.count);
            const char *data = tf__rd_take(&r, total);
            const char *fails = tf__rd_take(&r, (size_t)rh.nfail * TF__FAIL_LEN);
            if (!data || !fails || rh.nfail > rh.count) protocol_error(p, src, "short result");
            if (j) {
                tf__rec rec;
                if (tf__rec_make(&rec, rh.first_index, rh.count, rh.nfail, lens, data, total,
                                 fails) < 0)
                    protocol_error(p, src, "bad result record");
                if (j->out)
                    to_output(p, j, &rec);
                else if (tf__recs_add(&j->recs, &rec) < 0)
                    tf__fatal(&p->ctx, "out of memory keeping results");
                j->failed += rh.nfail;
            } else { /* spawned tasks */
                tf__rec rec;
                if (tf__rec_make(&rec, 0, rh.count, rh.nfail, lens, data, total, fails) < 0)
                    protocol_error(p, src, "bad result record");
                for (uint32_t k = 0; k < rh.count; k++) {
                    const char *dp;
                    size_t dl;
                    int st = tf__rec_get(&rec, k, &dp, &dl);
                    if (!dp) tf__fatal(&p->ctx, "out of memory for spawned results");
                    if (st && co->spawn_failed++ == 0)
                        snprintf(co->spawn_err, sizeof co->spawn_err, "%s", dp);
                    if (p->spawn_cb) {
                        if (co->ndl == co->capdl) {
                            size_t cap = co->capdl ? co->capdl * 2 : 64;
                            tf__delivery *d = realloc(co->dl, cap * sizeof *d);
                            if (!d) tf__fatal(&p->ctx, "out of memory for spawned results");
                            co->dl = d;
                            co->capdl = cap;
                        }
                        co->dl[co->ndl++] =
                            (tf__delivery){rh.first_id + k, st, dp, dl, tf__rbuf_ref(rb)};
                    }
                }
                free(rec.offs);
            }
            if (rh.count > co->outstanding)
                protocol_error(p, src, "more tasks finished than exist");
            co->outstanding -= rh.count;
            if (j) {
                j->done += rh.count;
                if (j->done == j->n) job_done(co, j);
            }
        } else if (kind == TF__R_CHUNK) { /* spawned tasks shipped for others */
            tf__item it;
            size_t bulk;
            if (tf__msg_get_chunk(&r, &it, &bulk) < 0 || bulk || it.job != 0)
                protocol_error(p, src, "bad shipped task");
            long g = gfn_intern(p, it.fname);
            if (g < 0) tf__fatal(&p->ctx, "out of memory");
            it.gid = (uint32_t)g;
            it.fn = co->g[g].fn0;
            it.fname = co->g[g].name;
            it.owner = tf__rbuf_ref(rb);
            if (tf__queue_push_back(&co->spare, &it) < 0) tf__fatal(&p->ctx, "out of memory");
        } else {
            protocol_error(p, src, "unknown record");
        }
    }
    if (r.err) protocol_error(p, src, "truncated record");
    if (h.flags & TF__F_SHARE_REPLY) pe->share_pending = false;
    if (h.flags & TF__F_STOPPED) pe->stopped = true;
    if ((h.flags & TF__F_IDLE) && pe->inflight == 0) pe->hungry = true;
}

void tf__coord_results(tf_pool *p, int src, tf__rbuf *rb)
{
    pthread_mutex_lock(&p->co->lock);
    results_locked(p, src, rb);
    pthread_mutex_unlock(&p->co->lock);
    notify_driver(p);
}

/* ---- assigning work (service thread, coord.lock held) ----------------------- */

static void peer_define(tf_pool *p, tf__peer *pe, uint32_t gid)
{
    if (gid >= pe->ndefined) {
        size_t n = p->co->capg > gid ? p->co->capg : gid + 1;
        uint8_t *d = realloc(pe->defined, n);
        if (!d) tf__fatal(&p->ctx, "out of memory");
        memset(d + pe->ndefined, 0, n - pe->ndefined);
        pe->defined = d;
        pe->ndefined = n;
    }
    if (pe->defined[gid]) return;
    if (tf__msg_put_def(&pe->out, gid, p->co->g[gid].name) < 0) tf__fatal(&p->ctx, "out of memory");
    pe->defined[gid] = 1;
}

/* Adds an item to rank w's next TASKS message; a large contiguous input is
 * sent after it straight from job j's memory (j NULL: not from a job). */
static void peer_put(tf_pool *p, int w, const tf__item *it, int allow_bulk, tf__job *j)
{
    tf__peer *pe = &p->co->peer[w];
    if (pe->out.len == 0 && tf__buf_u8(&pe->out, TF__MSG_TASKS) < 0) tf__fatal(&p->ctx, "out of memory");
    if (it->job) peer_define(p, pe, it->gid);
    const char *bp;
    size_t bn;
    if (tf__msg_put_chunk(&pe->out, it, allow_bulk && j, &bp, &bn) < 0)
        tf__fatal(&p->ctx, "a task's input does not fit in a message");
    if (bn) {
        if (pe->nbulk == pe->capbulk) {
            size_t cap = pe->capbulk ? pe->capbulk * 2 : 4;
            tf__bulk *b = realloc(pe->bulk, cap * sizeof *b);
            if (!b) tf__fatal(&p->ctx, "out of memory");
            pe->bulk = b;
            pe->capbulk = cap;
        }
        pe->bulk[pe->nbulk++] = (tf__bulk){bp, bn, j};
        j->bulk_pending++; /* the job is not done until MPI is done with its memory */
        p->co->bulk_pending++;
    }
}

/* rank 0's own items go straight to its queue, inputs borrowed; they are
 * gathered first and pushed under one lock (flush_local). */
static void local_push(tf_pool *p, const tf__item *it)
{
    if (tf__queue_push_back(&p->co->local, it) < 0) tf__fatal(&p->ctx, "out of memory");
}

static void flush_local(tf_pool *p)
{
    tf__queue *lq = &p->co->local;
    if (!tf__queue_len(lq)) return;
    tf__work *w = &p->work;
    tf__item it;
    int rc = 0;
    pthread_mutex_lock(&w->lock);
    while (rc == 0 && tf__queue_pop_front(lq, &it)) {
        if (it.job) {
            if (it.file) tf__files_add(p->files, &it);
            rc = tf__queue_push_back(&w->inq, &it);
            if (rc == 0) w->inq_tasks += it.count;
        } else {
            rc = tf__queue_push_back(&w->spawnq, &it);
        }
    }
    w->low = w->inq_tasks / 2;
    w->low_fresh = true;
    pthread_mutex_unlock(&w->lock);
    if (rc < 0) tf__fatal(&p->ctx, "out of memory");
    tf__waiter_wake(&p->main_w);
}

static tf__job *head_job(tf__coord *co)
{
    while (co->act_head && co->act_head->next >= co->act_head->n) {
        tf__job *j = co->act_head;
        co->act_head = j->next_act;
        j->next_act = NULL;
        if (!co->act_head) co->act_tail = NULL;
    }
    return co->act_head;
}

/* The first job with tasks left that rank w may run: the head, unless the
 * head avoids w (tf_submit_ex); jobs behind it are then looked at in order,
 * and *prev is the one before the job returned. */
static tf__job *job_for(tf__job *j, int w, tf__job **prev)
{
    *prev = NULL;
    while (j && (j->avoid == w || j->next >= j->n)) {
        *prev = j;
        j = j->next_act;
    }
    return j;
}

static bool rank0_hungry(tf_pool *p)
{
    pthread_mutex_lock(&p->work.lock);
    bool h = tf__queue_len(&p->work.inq) == 0 && tf__queue_len(&p->work.spawnq) == 0;
    pthread_mutex_unlock(&p->work.lock);
    return h && p->co->peer[0].inflight == 0;
}

/* The most bytes of inputs one TASKS message takes in, so that it stays far
 * below the largest message; a rank that would go over waits for the next
 * message, a moment later. */
#define OUT_LIMIT (TF__MAX_MSG / 2)

/* Caps chunk c of job j (from index j->next) so that its inputs fit in one
 * message: FIXED inputs travel as one bulk message, packed ones inline. */
static size_t fit_chunk(const tf__job *j, size_t c)
{
    if (j->layout == TF__FIXED) {
        if (j->elem && c > OUT_LIMIT / j->elem) c = OUT_LIMIT / j->elem;
    } else {
        size_t bytes = 0, k = 0;
        for (; k < c; k++) {
            bytes += 8 + j->vlen[j->next + k];
            if (bytes > OUT_LIMIT) break;
        }
        c = k;
    }
    return c ? c : 1; /* one input alone is at most TF__MAX_MSG (checked at submit) */
}

/* The bytes an item adds to a TASKS message inline (bulk payloads aside). */
static size_t inline_bytes(const tf__item *it)
{
    if (it->layout == TF__FIXED) {
        size_t total = it->elem * it->count;
        return 64 + (it->job != 0 && total >= TF__BULK_MIN ? 0 : total);
    }
    size_t bytes = 64 + 8 * (size_t)it->count, off = 0;
    for (uint32_t k = 0; k < it->count; k++) {
        size_t l;
        (void)tf__item_input(it, k, &off, &l);
        bytes += l;
    }
    return bytes;
}

static bool peer_full(const tf__peer *pe, size_t more)
{
    return pe->out.len > 1 && pe->out.len + more > OUT_LIMIT;
}

/* Gives chunks to ranks, one chunk per rank per pass so that scarce work is
 * spread, each step starting at the next rank; returns 1 if it assigned
 * anything. */
static int dispatch(tf_pool *p)
{
    tf__coord *co = p->co;
    int did = 0, size = p->size;
    size_t start = co->rr++;
    bool progress = true;
    while (progress) {
        progress = false;
        for (int i = 0; i < size; i++) {
            int w = (int)((start + (size_t)i) % (size_t)size);
            tf__job *j = head_job(co);
            if (!j) goto spare;
            tf__job *prev;
            j = job_for(j, w, &prev);
            if (!j) continue;
            tf__gfn *g = &co->g[j->gid];
            size_t c = tf__sched_chunk(&co->sched, &g->est, j->n - j->next);
            size_t win = tf__sched_window(&co->sched, &g->est, c);
            /* file tasks: keep a few queued so the rank's service thread
             * reads the next files while the current one computes */
            if (j->files && !p->opts.no_file_prefetch) {
                size_t want = g->est.n && g->est.t >= TF__LONG_TASK_S ? 2 : TF__FILE_AHEAD;
                if (win < want) win = want;
            }
            tf__peer *pe = &co->peer[w];
            if (pe->inflight >= win) continue;
            if (j->out) { /* an ordered output holds back a bounded amount */
                uint64_t lim = tf__out_limit(j->out, j->out_base);
                if (lim <= j->next) continue;
                if (c > lim - j->next) c = (size_t)(lim - j->next);
            }
            if (c > UINT32_MAX) c = UINT32_MAX;
            c = fit_chunk(j, c);
            tf__item it;
            memset(&it, 0, sizeof it);
            it.job = j->id;
            it.first_index = j->next;
            it.first_id = j->first_id + j->next;
            it.gid = j->gid;
            it.count = (uint32_t)c;
            it.file = j->files;
            it.fn = g->fn0;
            it.fname = g->name;
            if (j->layout == TF__FIXED) {
                it.layout = TF__FIXED;
                it.elem = j->elem;
                it.data = j->in + j->next * j->elem;
            } else {
                it.layout = TF__VECTOR;
                it.vin = j->vin + j->next;
                it.vlen = j->vlen + j->next;
            }
            if (w != 0 && peer_full(pe, inline_bytes(&it))) continue;
            j->next += c;
            if (prev && j->next >= j->n) act_unlink(co, prev, j);
            pe->inflight += c;
            pe->hungry = false;
            if (w == 0)
                local_push(p, &it);
            else
                peer_put(p, w, &it, 1, j);
            progress = true;
            did = 1;
        }
    }
spare:
    /* spawned tasks shipped back go to ranks that ran dry; rank 0's hunger
     * is read live, never remembered */
    if (tf__queue_len(&co->spare)) {
        int nh = 0;
        co->peer[0].hungry = rank0_hungry(p);
        for (int w = 0; w < size; w++) nh += co->peer[w].hungry;
        for (int w = 0; w < size && nh && tf__queue_len(&co->spare); w++) {
            tf__peer *pe = &co->peer[w];
            if (!pe->hungry) continue;
            size_t give = (tf__queue_len(&co->spare) + (size_t)nh - 1) / (size_t)nh;
            nh--;
            for (size_t k = 0; k < give; k++) {
                tf__item it;
                if (w != 0 && k > 0 && peer_full(pe, inline_bytes(tf__queue_front(&co->spare))))
                    break;
                tf__queue_pop_front(&co->spare, &it);
                pe->hungry = false;
                if (w == 0) {
                    local_push(p, &it);
                } else {
                    peer_put(p, w, &it, 0, NULL);
                    tf__rbuf_unref(it.owner);
                }
                did = 1;
            }
        }
        co->peer[0].hungry = false;
    }
    return did;
}

/* Asks the rank with the most queued spawned tasks to ship some, when a rank
 * is idle and nothing else is left to assign. Rank 0's queue is read here,
 * live. Items taken from it may have been spawned after this step read the
 * spawn count (coord_step); they go out only in a later step, after the next
 * read has counted them, so no rank can finish one uncounted. */
static int share(tf_pool *p)
{
    tf__coord *co = p->co;
    if (head_job(co) || tf__queue_len(&co->spare)) return 0;
    bool h0 = rank0_hungry(p), any = h0;
    for (int w = 1; w < p->size && !any; w++) any = co->peer[w].hungry;
    if (!any) return 0;
    int best = -1;
    uint64_t bq = 1;
    pthread_mutex_lock(&p->work.lock);
    uint64_t q0 = tf__queue_len(&p->work.spawnq);
    pthread_mutex_unlock(&p->work.lock);
    for (int w = 0; w < p->size; w++) {
        tf__peer *pe = &co->peer[w];
        if (pe->share_pending || (w == 0 ? h0 : pe->hungry)) continue;
        uint64_t q = w == 0 ? q0 : pe->qlen;
        if (q > bq) {
            bq = q;
            best = w;
        }
    }
    if (best < 0) return 0;
    if (best == 0) { /* rank 0's own queue: take half of its oldest */
        tf__work *wk = &p->work;
        pthread_mutex_lock(&wk->lock);
        size_t n = tf__queue_len(&wk->spawnq) / 2;
        for (size_t k = 0; k < n; k++) {
            tf__item it;
            tf__queue_pop_front(&wk->spawnq, &it);
            if (tf__queue_push_back(&co->spare, &it) < 0) tf__fatal(&p->ctx, "out of memory");
        }
        pthread_mutex_unlock(&wk->lock);
        return n > 0;
    }
    tf__peer *pe = &co->peer[best];
    if (pe->out.len == 0 && tf__buf_u8(&pe->out, TF__MSG_TASKS) < 0) tf__fatal(&p->ctx, "out of memory");
    if (tf__buf_u8(&pe->out, TF__R_SHARE) < 0) tf__fatal(&p->ctx, "out of memory");
    pe->share_pending = true;
    pe->qlen = 0;
    return 1;
}

static void send_peers(tf_pool *p)
{
    tf__coord *co = p->co;
    for (int w = 1; w < p->size; w++) {
        tf__peer *pe = &co->peer[w];
        if (pe->out.len == 0) continue;
        tf__send(p, w, TF__TAG_MSG, pe->out.p, pe->out.len, pe->out.p, NULL);
        pe->out = (tf__buf){0};
        for (size_t k = 0; k < pe->nbulk; k++)
            tf__send(p, w, TF__TAG_BULK, pe->bulk[k].p, pe->bulk[k].n, NULL, pe->bulk[k].job);
        pe->nbulk = 0;
    }
}

int tf__coord_step(tf_pool *p)
{
    tf__coord *co = p->co;
    tf__work *wk = &p->work;
    int did = 0;

    /* rank 0's own results, as if they had come in a message */
    pthread_mutex_lock(&wk->lock);
    tf__handover *list = wk->ho_head;
    wk->ho_head = wk->ho_tail = NULL;
    uint64_t qlen = tf__queue_len(&wk->spawnq);
    pthread_mutex_unlock(&wk->lock);
    uint64_t spawned = atomic_exchange(&wk->spawned, 0);

    pthread_mutex_lock(&co->lock);
    if (spawned && !list) co->outstanding += spawned;
    for (tf__handover *h = list, *n; h; h = n) {
        n = h->next;
        tf__rhdr rh = {spawned, h->spawn_ok, qlen, h->flags & ~(uint32_t)TF__F_IDLE};
        spawned = 0;
        tf__msg_put_rhdr(h->b.p, &rh);
        tf__rbuf *rb = tf__rbuf_wrap(h->b.p, h->b.len);
        if (!rb) tf__fatal(&p->ctx, "out of memory");
        results_locked(p, 0, rb);
        tf__rbuf_unref(rb);
        free(h);
        did = 1;
    }
    did |= dispatch(p);
    did |= share(p);
    if (co->stopping && !co->stop_sent && co->outstanding == 0) {
        for (int w = 1; w < p->size; w++) {
            tf__peer *pe = &co->peer[w];
            if (pe->out.len == 0 && tf__buf_u8(&pe->out, TF__MSG_TASKS) < 0)
                tf__fatal(&p->ctx, "out of memory");
            if (tf__buf_u8(&pe->out, TF__R_STOP) < 0 ||
                tf__buf_u32(&pe->out, (uint32_t)co->stop_rv) < 0)
                tf__fatal(&p->ctx, "out of memory");
        }
        co->stop_sent = true;
        co->peer[0].stopped = true;
        did = 1;
    }
    bool ended = co->stop_sent;
    for (int w = 0; w < p->size && ended; w++) ended = co->peer[w].stopped;
    pthread_mutex_unlock(&co->lock);

    send_peers(p);
    flush_local(p);
    if (did) notify_driver(p);
    if (ended) {
        p->run_rv = co->stop_rv;
        return -1; /* the run is over once the sends complete */
    }
    return did;
}
