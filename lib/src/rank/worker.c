/* worker.c - a rank's queues, and the deliver and collect paths between
 * them and the coordinator (worker.h says which thread does what). */
#include "rank/worker.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/msg.h"
#include "system/files.h"

/* Function numbers stay below this: they travel as u32, and a number
 * beyond it means a corrupt message, not a run with 16 million task
 * functions (the table is indexed by it). */
#define FN_ID_LIMIT (1u << 24)
/* The most spawned tasks one SHARE ships, and the bytes after which the
 * message is closed: a share moves work, not a rank's whole backlog, and
 * stays far below the largest message. */
#define SHIP_TASKS_MAX 4096
#define SHIP_BYTES_MAX ((size_t)1 << 20)

int tf__worker_init(tf__worker *w, tf__ctx *ctx, tf_pool *pool, const tf__reg *reg,
                    struct tf__files *files, tf__waiter *main_w, tf__waiter *svc_w)
{
    memset(w, 0, sizeof *w);
    w->ctx = ctx;
    w->pool = pool;
    w->reg = reg;
    w->files = files;
    w->main_w = main_w;
    w->svc_w = svc_w;
    atomic_init(&w->spawned, 0);
    atomic_init(&w->spawn_calls, 0);
    atomic_init(&w->hungry, 0);
    atomic_init(&w->running, false);
    if (pthread_mutex_init(&w->lock, NULL)) return TF_ESYS;
    w->cur = tf__handover_new(0);
    if (!w->cur) {
        pthread_mutex_destroy(&w->lock);
        return TF_ENOMEM;
    }
    return 0;
}

tf__handover *tf__handover_new(size_t hint)
{
    tf__handover *h = tf__calloc(1, sizeof *h);
    if (hint < TF__RHDR_LEN) hint = TF__RHDR_LEN;
    if (!h || !tf__buf_room(&h->b, hint)) {
        tf__free(h);
        return NULL;
    }
    h->b.len = TF__RHDR_LEN;
    return h;
}

static void free_handovers(tf__worker *w)
{
    for (tf__handover *h = w->ho_head, *n; h; h = n) {
        n = h->next;
        tf__buf_free(&h->b);
        tf__free(h);
    }
    w->ho_head = w->ho_tail = NULL;
}

static void drop_batch(tf__worker *w)
{
    for (size_t k = w->batch_next; k < w->batch_len; k++) tf__rbuf_unref(w->batch[k].owner);
    w->batch_next = w->batch_len = 0;
}

void tf__worker_free(tf__worker *w)
{
    tf__free(w->failv);
    w->failv = NULL;
    drop_batch(w);
    tf__queue_free(&w->inq);
    tf__queue_free(&w->spawnq);
    free_handovers(w);
    if (w->cur) {
        tf__buf_free(&w->cur->b);
        tf__free(w->cur);
        w->cur = NULL;
    }
    tf__worker_forget_fns(w);
    pthread_mutex_destroy(&w->lock);
}

void tf__worker_reset(tf__worker *w, struct tf__trace *trace, bool spawn_records)
{
    pthread_mutex_lock(&w->lock);
    tf__queue_clear(&w->inq);
    tf__queue_clear(&w->spawnq);
    w->inq_tasks = 0;
    w->low = 0;
    w->low_fresh = false;
    w->main_idle = false;
    w->acts = 0;
    free_handovers(w);
    atomic_store(&w->spawned, 0);
    atomic_store(&w->hungry, 0);
    pthread_mutex_unlock(&w->lock);
    w->report_below = 0;
    drop_batch(w);
    w->cur->b.len = TF__RHDR_LEN;
    w->cur->spawn_ok = 0;
    w->cur->flags = 0;
    w->cur_t0 = tf__now_ns();
    w->idle_reported = false;
    w->trace = trace;
    w->spawn_records = spawn_records;
    w->share_asked = w->stop_asked = w->stopped = false;
    w->stop_rv = 0;
    tf__files_reset(w->files);
}

/* ---- the deliver path ------------------------------------------------------ */

void tf__worker_deliver(tf__worker *w, tf__queue *got, size_t ntasks)
{
    if (!tf__queue_len(got)) return;
    tf__item it;
    int rc = 0;
    pthread_mutex_lock(&w->lock);
    while (rc == 0 && tf__queue_pop_front(got, &it)) {
        if (it.file) tf__files_add(w->files, &it);
        rc = it.job ? tf__queue_push_back(&w->inq, &it) : tf__queue_push_back(&w->spawnq, &it);
    }
    w->inq_tasks += ntasks;
    /* the main thread reports back when half of what it holds is done */
    if (ntasks) {
        w->low = w->inq_tasks / 2;
        w->low_fresh = true;
    }
    w->main_idle = false;
    w->acts++;
    pthread_mutex_unlock(&w->lock);
    if (rc < 0) tf__fatal(w->ctx, "out of memory");
    tf__waiter_wake(w->main_w);
}

size_t tf__worker_spawn_queued(tf__worker *w)
{
    pthread_mutex_lock(&w->lock);
    size_t n = tf__queue_len(&w->spawnq);
    pthread_mutex_unlock(&w->lock);
    return n;
}

bool tf__worker_starved(tf__worker *w)
{
    pthread_mutex_lock(&w->lock);
    bool dry = tf__queue_len(&w->inq) == 0 && tf__queue_len(&w->spawnq) == 0;
    pthread_mutex_unlock(&w->lock);
    return dry;
}

bool tf__worker_passive(tf__worker *w, uint64_t *acts)
{
    pthread_mutex_lock(&w->lock);
    bool passive = w->main_idle && !w->ho_head && tf__queue_len(&w->inq) == 0 &&
                   tf__queue_len(&w->spawnq) == 0;
    *acts = w->acts;
    pthread_mutex_unlock(&w->lock);
    return passive;
}

size_t tf__worker_give(tf__worker *w, tf__buf *b, bool busy_only_one)
{
    pthread_mutex_lock(&w->lock);
    size_t q = tf__queue_len(&w->spawnq);
    size_t n = q / 2;
    if (n == 0 && q == 1 && busy_only_one &&
        atomic_load_explicit(&w->running, memory_order_relaxed))
        n = 1;
    if (n > SHIP_TASKS_MAX) n = SHIP_TASKS_MAX;
    size_t k = 0;
    for (; k < n; k++) {
        tf__item it;
        tf__queue_pop_front(&w->spawnq, &it);
        if (tf__msg_put_chunk(b, &it, 0, &(const char *){0}, &(size_t){0}) < 0)
            tf__fatal(w->ctx, "out of memory giving tasks");
        tf__rbuf_unref(it.owner);
        if (b->len > SHIP_BYTES_MAX) {
            k++;
            break;
        }
    }
    pthread_mutex_unlock(&w->lock);
    return k;
}

void tf__worker_share(tf__worker *w) { w->share_asked = true; }

void tf__worker_stop(tf__worker *w, int rv)
{
    w->stop_rv = rv;
    w->stop_asked = true;
}

void tf__worker_forget_fns(tf__worker *w)
{
    for (size_t i = 0; i < w->nfns; i++)
        if (w->fns[i]) {
            tf__free(w->fns[i]->name);
            tf__free(w->fns[i]);
        }
    tf__free(w->fns);
    w->fns = NULL;
    w->nfns = 0;
}

/* A DEF record: the coordinator's number `id` is task function `name`. */
static void define_fn(tf__worker *w, uint32_t id, const char *name, size_t nl)
{
    if (id >= FN_ID_LIMIT) tf__fatal(w->ctx, "function id %u out of range", id);
    if (id >= w->nfns) {
        size_t n = w->nfns ? w->nfns : 8;
        while (n <= id) n *= 2;
        tf__fn_def **v = tf__realloc(w->fns, n * sizeof *v);
        if (!v) tf__fatal(w->ctx, "out of memory");
        memset(v + w->nfns, 0, (n - w->nfns) * sizeof *v);
        w->fns = v;
        w->nfns = n;
    }
    tf__fn_def *e = w->fns[id];
    if (!e) {
        e = tf__calloc(1, sizeof *e);
        if (!e) tf__fatal(w->ctx, "out of memory");
        w->fns[id] = e;
    }
    tf__free(e->name);
    e->name = tf__strndup(name, nl);
    if (!e->name) tf__fatal(w->ctx, "out of memory");
    long li = tf__reg_find(w->reg, e->name);
    e->fn = li >= 0 ? w->reg->v[li].fn : NULL;
}

/* A CHUNK record, read into *it: its inputs held alive and its function
 * resolved here. */
static void take_chunk(tf__worker *w, tf__transport *tp, int src, tf__rbuf *rb, tf__item *it,
                       size_t bulk)
{
    if (bulk) {
        tf__rbuf *b = tf__tp_recv_bulk(tp, src, bulk);
        it->data = b->data;
        it->owner = b;
    } else {
        it->owner = tf__rbuf_ref(rb);
    }
    if (it->job == 0) { /* a spawned task: resolved by its name */
        long li = tf__reg_find(w->reg, it->fname);
        it->fn = li >= 0 ? w->reg->v[li].fn : NULL;
    } else {
        if (it->gid >= w->nfns || !w->fns[it->gid])
            tf__fatal(w->ctx, "task of undefined function id %u from rank %d", it->gid, src);
        it->fn = w->fns[it->gid]->fn;
        it->fname = w->fns[it->gid]->name;
    }
}

size_t tf__worker_on_loot(tf__worker *w, int src, tf__rd *r, tf__rbuf *rb)
{
    tf__queue got = {0};
    while (tf__rd_left(r)) {
        tf__item it;
        size_t bulk;
        if (tf__rd_u8(r) != TF__R_CHUNK || tf__msg_get_chunk(r, &it, &bulk) < 0 || bulk ||
            it.job != 0 || it.count != 1)
            tf__fatal(w->ctx, "malformed stolen task from rank %d", src);
        take_chunk(w, NULL, src, rb, &it, 0);
        if (tf__queue_push_back(&got, &it) < 0) tf__fatal(w->ctx, "out of memory");
    }
    size_t n = tf__queue_len(&got);
    tf__worker_deliver(w, &got, 0);
    tf__queue_free(&got);
    return n;
}

void tf__worker_on_tasks(tf__worker *w, tf__transport *tp, int src, tf__rbuf *rb)
{
    tf__rd r;
    tf__rd_init(&r, rb->data, rb->len);
    if (tf__rd_u8(&r) != TF__MSG_TASKS) tf__fatal(w->ctx, "malformed message from rank %d", src);
    tf__queue got = {0};
    size_t ntasks = 0;
    while (tf__rd_left(&r)) {
        uint8_t kind = tf__rd_u8(&r);
        if (kind == TF__R_DEF) {
            uint32_t id = tf__rd_u32(&r);
            uint8_t nl = tf__rd_u8(&r);
            const char *name = tf__rd_take(&r, nl);
            if (!name || nl == 0) tf__fatal(w->ctx, "malformed function name from rank %d", src);
            define_fn(w, id, name, nl);
        } else if (kind == TF__R_CHUNK) {
            tf__item it;
            size_t bulk;
            if (tf__msg_get_chunk(&r, &it, &bulk) < 0)
                tf__fatal(w->ctx, "malformed task chunk from rank %d", src);
            take_chunk(w, tp, src, rb, &it, bulk);
            if (it.job) ntasks += it.count;
            if (tf__queue_push_back(&got, &it) < 0) tf__fatal(w->ctx, "out of memory");
        } else if (kind == TF__R_SHARE) {
            tf__worker_share(w);
        } else if (kind == TF__R_STOP) {
            tf__worker_stop(w, (int)tf__rd_u32(&r));
        } else {
            tf__fatal(w->ctx, "unknown record %u from rank %d", kind, src);
        }
        if (r.err) tf__fatal(w->ctx, "truncated message from rank %d", src);
    }
    tf__worker_deliver(w, &got, ntasks);
    tf__queue_free(&got);
}

/* ---- the collect path ------------------------------------------------------ */

/* Under lock: CHUNK records of up to half of spawnq (oldest first) after a
 * reserved header, for a SHARE. */
static size_t ship_locked(tf__worker *w, tf__buf *ship)
{
    size_t n = tf__queue_len(&w->spawnq) / 2;
    if (n > SHIP_TASKS_MAX) n = SHIP_TASKS_MAX;
    if (!tf__buf_room(ship, TF__RHDR_LEN)) tf__fatal(w->ctx, "out of memory shipping tasks");
    ship->len = TF__RHDR_LEN;
    for (size_t k = 0; k < n; k++) {
        tf__item it;
        tf__queue_pop_front(&w->spawnq, &it);
        if (tf__msg_put_chunk(ship, &it, 0, &(const char *){0}, &(size_t){0}) < 0)
            tf__fatal(w->ctx, "out of memory shipping tasks");
        tf__rbuf_unref(it.owner);
        if (ship->len > SHIP_BYTES_MAX) return k + 1;
    }
    return n;
}

static void emit(const tf__uplink *up, tf__buf *b, const tf__rhdr *h)
{
    tf__msg_put_rhdr(b->p, h);
    up->emit(up->arg, b);
}

int tf__worker_collect(tf__worker *w, const tf__uplink *up)
{
    if (w->stopped) return 0;
    uint32_t last_flags = w->stop_asked ? TF__F_STOPPED : 0;
    bool share = w->share_asked;
    tf__buf ship = {0};
    pthread_mutex_lock(&w->lock);
    tf__handover *list = w->ho_head;
    w->ho_head = w->ho_tail = NULL;
    if (share && ship_locked(w, &ship) == 0)
        atomic_fetch_add_explicit(&w->hungry, 1, memory_order_relaxed);
    uint64_t qlen = tf__queue_len(&w->spawnq);
    pthread_mutex_unlock(&w->lock);
    /* read after taking the list: every spawn behind what we send is in it */
    uint64_t spawned = atomic_exchange(&w->spawned, 0);
    int sent = 0;
    for (tf__handover *h = list, *n; h; h = n) {
        n = h->next;
        tf__rhdr rh = {spawned, h->spawn_ok, qlen, h->flags};
        spawned = 0;
        if (!n && !share) rh.flags |= last_flags;
        emit(up, &h->b, &rh);
        tf__free(h);
        sent = 1;
    }
    if (share || (last_flags && !sent)) {
        if (!share) {
            if (!tf__buf_room(&ship, TF__RHDR_LEN)) tf__fatal(w->ctx, "out of memory");
            ship.len = TF__RHDR_LEN;
        }
        tf__rhdr rh = {spawned, 0, qlen, last_flags | (share ? TF__F_SHARE_REPLY : 0)};
        spawned = 0;
        emit(up, &ship, &rh);
        sent = 1;
    } else if (spawned) {
        /* not reported yet: keep it for the next message */
        atomic_fetch_add(&w->spawned, spawned);
    }
    if (share) w->share_asked = false;
    if (last_flags) w->stopped = true;
    return sent;
}
