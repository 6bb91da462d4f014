/* task.c - running tasks: the main thread's side of a rank.
 *
 * Runs on the main thread only (tf_spawn, tf_buf_* and tf_task_* too: they
 * are called from task functions). It pops items from the rank's queues,
 * runs their tasks, writes each result straight into the output buffer
 * (`cur`) that will be sent as the RESULTS message, and hands that buffer to
 * the service thread when the coordinator needs to hear from this rank:
 * when the queue runs low, when the buffer is large, every millisecond, or
 * when the rank goes idle. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>

#include "system/files.h"
#include "pool.h"
#include "api/trace.h"

struct tf_task {
    tf_pool *pool;
    const char *path; /* a file task's input file, else NULL */
    uint64_t id;
    int failed;
    char msg[TF__ERRMSG_MAX];
};

struct tf_buf {
    tf__buf *b;
    size_t start;
};

#define HANDOVER_BYTES ((size_t)256 * 1024)
#define HANDOVER_NS 1000000u

/* ---- output buffers ----------------------------------------------------- */

/* A new output buffer with room for `hint` bytes (the last one's size), so
 * that steady chunks do not regrow their buffer each time. */
static tf__handover *ho_new(size_t hint)
{
    tf__handover *h = calloc(1, sizeof *h);
    if (hint < TF__RHDR_LEN) hint = TF__RHDR_LEN;
    if (!h || !tf__buf_room(&h->b, hint)) {
        free(h);
        return NULL;
    }
    h->b.len = TF__RHDR_LEN;
    return h;
}

static bool ho_empty(const tf__handover *h)
{
    return h->b.len == TF__RHDR_LEN && h->spawn_ok == 0 && h->flags == 0;
}

int tf__work_init(tf_pool *p)
{
    if (pthread_mutex_init(&p->work.lock, NULL)) return TF_ESYS;
    atomic_init(&p->work.spawned, 0);
    p->cur = ho_new(0);
    tf__files_cfg fc = {&p->ctx, &p->opts, &p->main_w, &p->trace, &p->st};
    int rc = p->cur ? tf__files_create(&fc, &p->files) : TF_ENOMEM;
    if (rc == 0) return 0;
    free(p->cur);
    p->cur = NULL;
    pthread_mutex_destroy(&p->work.lock);
    return rc;
}

static void free_handovers(tf_pool *p)
{
    for (tf__handover *h = p->work.ho_head, *n; h; h = n) {
        n = h->next;
        tf__buf_free(&h->b);
        free(h);
    }
    p->work.ho_head = p->work.ho_tail = NULL;
}

void tf__work_free(tf_pool *p)
{
    tf__files_destroy(p->files);
    free(p->failv);
    p->failv = NULL;
    for (size_t k = p->imine; k < p->nmine; k++) tf__rbuf_unref(p->mine[k].owner);
    p->imine = p->nmine = 0;
    tf__queue_free(&p->work.inq);
    tf__queue_free(&p->work.spawnq);
    free_handovers(p);
    if (p->cur) {
        tf__buf_free(&p->cur->b);
        free(p->cur);
        p->cur = NULL;
    }
    pthread_mutex_destroy(&p->work.lock);
}

/* Start of a run: nothing queued, nothing owed. */
void tf__main_reset(tf_pool *p)
{
    pthread_mutex_lock(&p->work.lock);
    tf__queue_clear(&p->work.inq);
    tf__queue_clear(&p->work.spawnq);
    p->work.inq_tasks = 0;
    p->work.low = 0;
    p->work.low_fresh = false;
    p->thr = 0;
    free_handovers(p);
    atomic_store(&p->work.spawned, 0);
    pthread_mutex_unlock(&p->work.lock);
    for (size_t k = p->imine; k < p->nmine; k++) tf__rbuf_unref(p->mine[k].owner);
    p->imine = p->nmine = 0;
    p->cur->b.len = TF__RHDR_LEN;
    p->cur->spawn_ok = 0;
    p->cur->flags = 0;
    p->cur_t0 = tf__now_ns();
    p->idle_reported = false;
    tf__files_reset(p->files);
}

/* Hands `cur` to the service thread (if there is anything in it) and starts
 * a new one. Out of memory for the new buffer is fatal: results could no
 * longer be reported. */
void tf__handover_cur(tf_pool *p, uint32_t flags, bool wake)
{
    tf__handover *h = p->cur;
    h->flags |= flags;
    p->cur_t0 = tf__now_ns();
    if (ho_empty(h)) return;
    tf__handover *n = ho_new(h->b.len + h->b.len / 8);
    if (!n) tf__fatal(&p->ctx, "out of memory for a result buffer");
    pthread_mutex_lock(&p->work.lock);
    if (p->work.ho_tail)
        p->work.ho_tail->next = h;
    else
        p->work.ho_head = h;
    p->work.ho_tail = h;
    pthread_mutex_unlock(&p->work.lock);
    p->cur = n;
    if (wake) tf__waiter_wake(&p->svc_w);
}

/* ---- running an item ---------------------------------------------------- */

static void fail_fmt(tf_task *t, const char *fmt, ...) TF_PRINTF(2, 3);
static void fail_fmt(tf_task *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tf__errfmt(t->msg, sizeof t->msg, t->pool->rank, (unsigned long long)t->id, fmt, ap);
    va_end(ap);
    t->failed = 1;
}

static void oom(tf_pool *p) { tf__fatal(&p->ctx, "out of memory for results"); }

/* Records task k's failure: its message replaces its output. Kept out of
 * the loop below, which runs once per task. */
static __attribute__((noinline)) void record_fail(tf_pool *p, tf_task *t, uint32_t k, int rc,
                                                  struct tf_buf *out, uint32_t *nfail)
{
    tf__buf *ob = out->b;
    int32_t status = rc < 0 ? rc : TF_ETASK;
    ob->len = out->start;
    if (tf__buf_put(ob, t->msg, strlen(t->msg) + 1) < 0) oom(p);
    if (*nfail == p->capfail) {
        size_t cap = p->capfail ? p->capfail * 2 : 16;
        int32_t *v = realloc(p->failv, cap * 2 * sizeof *v);
        if (!v) oom(p);
        p->failv = v;
        p->capfail = cap;
    }
    p->failv[2 * *nfail] = (int32_t)k;
    p->failv[2 * *nfail + 1] = status;
    (*nfail)++;
    p->st.failed++;
}

/* Task k of a file item: reads (or takes the prefetched) file, then runs fn
 * on its contents. Kept out of run_item's loop. */
static __attribute__((noinline)) int run_file_task(tf_pool *p, const tf__item *it, uint32_t k,
                                                   tf_task *t, tf_fn fn, const char *path,
                                                   size_t plen, struct tf_buf *out)
{
    tf__fin in;
    tf__files_get(p->files, it, k, path, plen, &in);
    int rc;
    if (!fn) {
        rc = TF_ENOFUNC;
        fail_fmt(t, "unknown task function '%s'", it->fname);
    } else if (in.err) {
        rc = TF_ESYS;
        fail_fmt(t, "input file '%s': %s%s%s", in.path ? in.path : "?", in.what ? in.what : "read",
                 in.err == EINVAL ? "" : ": ", in.err == EINVAL ? "" : strerror(in.err));
    } else {
        uint64_t ts = p->trace ? tf__now_ns() : 0; /* the task starts after its I/O */
        t->path = in.path;
        rc = fn(t, in.data ? in.data : "", in.len, out);
        t->path = NULL;
        if (p->trace) tf__trace_task(p->trace, ts, t->id, it->fname);
        if (rc != 0 && !t->failed)
            fail_fmt(t, "task function '%s' returned %d (%s)", it->fname, rc, tf_strerror(rc));
    }
    tf__files_release(&in);
    return rc;
}

/* Runs an item's tasks into cur; returns the time it ended. */
static uint64_t run_item(tf_pool *p, const tf__item *it)
{
    tf__buf *ob = &p->cur->b;
    size_t hpos = ob->len;
    size_t lpos = hpos + TF__RESULT_HDR_LEN; /* the lengths */
    size_t head = TF__RESULT_HDR_LEN + 4 * (size_t)it->count;
    if (!tf__buf_room(ob, head)) oom(p);
    ob->len += head;
    tf_fn fn = (tf_fn)it->fn;
    tf_task t;
    t.pool = p;
    t.path = NULL;
    size_t off = 0;
    uint32_t nfail = 0;
    const bool fixed = it->layout == TF__FIXED;
    const double io0 = p->st.io_wait_s;
    uint64_t t0 = tf__now_ns();
    for (uint32_t k = 0; k < it->count; k++) {
        size_t in_len = it->elem;
        const char *in =
            fixed ? it->data + (size_t)k * in_len : tf__item_input(it, k, &off, &in_len);
        t.id = it->first_id + k;
        t.failed = 0;
        struct tf_buf out = {ob, ob->len};
        int rc;
        if (it->file) {
            rc = run_file_task(p, it, k, &t, fn, in, in_len, &out);
        } else if (fn) {
            rc = fn(&t, in, in_len, &out);
            if (p->trace) tf__trace_task(p->trace, k ? 0 : t0, t.id, it->fname);
            if (rc != 0 && !t.failed)
                fail_fmt(&t, "task function '%s' returned %d (%s)", it->fname, rc, tf_strerror(rc));
        } else {
            rc = TF_ENOFUNC;
            fail_fmt(&t, "unknown task function '%s'", it->fname);
        }
        if (!t.failed && ob->len - out.start > TF__MAX_OUTPUT)
            fail_fmt(&t, "output of %zu bytes is too large", ob->len - out.start);
        if (t.failed) record_fail(p, &t, k, rc, &out, &nfail);
        uint32_t len = (uint32_t)(ob->len - out.start);
        memcpy(ob->p + lpos + 4 * (size_t)k, &len, 4);
    }
    uint64_t t1 = tf__now_ns(), dt = t1 - t0;
    if (it->job == 0 && nfail == 0 && !p->spawn_cb) {
        ob->len = hpos; /* a spawned task's success is just counted */
        p->cur->spawn_ok += it->count;
    } else {
        if (nfail && tf__buf_put(ob, p->failv, (size_t)nfail * TF__FAIL_LEN) < 0) oom(p);
        tf__result_hdr h = {it->job, it->first_index, it->first_id, it->count, nfail, dt};
        tf__msg_put_result_hdr(ob->p + hpos, &h);
    }
    p->st.tasks += it->count;
    p->st.chunks++;
    p->st.busy_s += (double)dt * 1e-9 - (p->st.io_wait_s - io0); /* files: not busy */
    return t1;
}

/* Takes work: a spawned task first (newest first: depth-first keeps the
 * queue short), else up to MINE_MAX assigned chunks at once into a private
 * batch, so that small chunks cost one lock per batch, not one each. */
static int take(tf_pool *p, tf__item *it, size_t *left)
{
    if (p->imine < p->nmine) {
        *it = p->mine[p->imine++];
        *left = p->mine_left -= it->count;
        return 1;
    }
    tf__work *w = &p->work;
    int got = 0;
    pthread_mutex_lock(&w->lock);
    if (tf__queue_pop_back(&w->spawnq, it)) {
        got = 1;
    } else if (tf__queue_pop_front(&w->inq, it)) {
        got = 1;
        size_t n = 0;
        while (n < TF__MINE_MAX && tf__queue_pop_front(&w->inq, &p->mine[n])) n++;
        p->nmine = n;
        p->imine = 0;
        w->inq_tasks -= it->count;
        for (size_t k = 0; k < n; k++) w->inq_tasks -= p->mine[k].count;
        p->mine_left = w->inq_tasks;
        for (size_t k = 0; k < n; k++) p->mine_left += p->mine[k].count;
    }
    if (w->low_fresh) {
        p->thr = w->low;
        w->low_fresh = false;
    }
    *left = p->imine < p->nmine ? p->mine_left : w->inq_tasks;
    pthread_mutex_unlock(&w->lock);
    return got;
}

int tf__exec_some(tf_pool *p)
{
    tf__item it;
    size_t left;
    if (!take(p, &it, &left)) return 0;
    p->idle_reported = false;
    p->in_task = true;
    uint64_t end = run_item(p, &it);
    p->in_task = false;
    tf__rbuf_unref(it.owner);
    /* The coordinator refills when it hears from this rank: tell it when
     * half the assigned work is done, then at each further halving, not
     * after every task below the mark. */
    bool needy = it.job != 0 && left <= p->thr;
    if (needy) p->thr = left / 2;
    if (needy || p->cur->b.len >= HANDOVER_BYTES)
        tf__handover_cur(p, 0, true);
    else if (end - p->cur_t0 >= HANDOVER_NS)
        tf__handover_cur(p, 0, false);
    return 1;
}

/* ---- the task's API ------------------------------------------------------ */

int tf_task_fail(tf_task *t, const char *fmt, ...)
{
    if (!t) return TF_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    tf__errfmt(t->msg, sizeof t->msg, t->pool->rank, (unsigned long long)t->id, fmt, ap);
    va_end(ap);
    t->failed = 1;
    return TF_ETASK;
}

uint64_t tf_task_id(const tf_task *t) { return t ? t->id : 0; }

const char *tf_task_path(const tf_task *t) { return t ? t->path : NULL; }

tf_pool *tf_task_pool(const tf_task *t) { return t ? t->pool : NULL; }

int tf_spawn(tf_task *t, const char *fn, const void *in, size_t len)
{
    if (!t || !tf__name_ok(fn) || (len && !in)) return TF_EINVAL;
    if (len > TF__MAX_MSG / 2) return TF_ETOOBIG;
    tf_pool *p = t->pool;
    size_t nl = strlen(fn) + 1;
    tf__rbuf *rb = tf__rbuf_new(nl + len);
    if (!rb) return TF_ENOMEM;
    memcpy(rb->data, fn, nl);
    if (len) memcpy(rb->data + nl, in, len);
    long idx = tf__reg_find(&p->reg, fn);
    tf__item it;
    memset(&it, 0, sizeof it);
    it.job = 0;
    it.first_id = (1ull << 63) | ((uint64_t)p->rank << 40) | (p->spawn_seq++ & ((1ull << 40) - 1));
    it.count = 1;
    it.layout = TF__FIXED;
    it.elem = len;
    it.data = rb->data + nl;
    it.owner = rb;
    it.fn = idx >= 0 ? p->reg.v[idx].fn : NULL;
    it.fname = rb->data;
    /* count first, then queue: whoever ships or finishes it reports after */
    atomic_fetch_add(&p->work.spawned, 1);
    pthread_mutex_lock(&p->work.lock);
    int rc = tf__queue_push_back(&p->work.spawnq, &it);
    pthread_mutex_unlock(&p->work.lock);
    if (rc < 0) {
        atomic_fetch_sub(&p->work.spawned, 1);
        tf__rbuf_unref(rb);
        return rc;
    }
    p->st.spawned++;
    return 0;
}

int tf_buf_append(tf_buf *b, const void *data, size_t len)
{
    if (!b || (len && !data)) return TF_EINVAL;
    if (len > TF__MAX_MSG - b->b->len) return TF_ETOOBIG;
    return tf__buf_put(b->b, data, len) < 0 ? TF_ENOMEM : 0;
}

void *tf_buf_reserve(tf_buf *b, size_t len)
{
    if (!b) return NULL;
    void *q = tf__buf_room(b->b, len);
    if (q) b->b->len += len;
    return q;
}

size_t tf_buf_len(const tf_buf *b) { return b ? b->b->len - b->start : 0; }
