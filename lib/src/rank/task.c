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
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/schedule.h"
#include "core/timeline.h"
#include "rank/worker.h"
#include "system/files.h"

struct tf_task {
    tf__worker *w;
    const char *path; /* a file task's input file, else NULL */
    uint64_t id;
    int failed;
    char msg[TF__ERRMSG_MAX];
};

struct tf_buf {
    tf__buf *b;
    size_t start;
};

/* ---- output buffers ----------------------------------------------------- */

static bool ho_empty(const tf__handover *h)
{
    return h->b.len == TF__RHDR_LEN && h->spawn_ok == 0 && h->flags == 0;
}

/* Hands `cur` to the service thread (if there is anything in it) and starts
 * a new one, sized like the last so that steady chunks do not regrow their
 * buffer each time. Out of memory for the new buffer is fatal: results
 * could no longer be reported. */
void tf__worker_handover(tf__worker *w, uint32_t flags, bool wake)
{
    tf__handover *h = w->cur;
    h->flags |= flags;
    w->cur_t0 = tf__now_ns();
    if (ho_empty(h)) return;
    int was = tf__alloc_run_part(1);
    tf__handover *n = tf__handover_new(h->b.len + h->b.len / 8);
    tf__alloc_run_part(was);
    if (!n) tf__fatal(w->ctx, "out of memory for a result buffer");
    pthread_mutex_lock(&w->lock);
    if (w->ho_tail)
        w->ho_tail->next = h;
    else
        w->ho_head = h;
    w->ho_tail = h;
    pthread_mutex_unlock(&w->lock);
    w->cur = n;
    if (wake) tf__waiter_wake(w->svc_w);
}

void tf__worker_idle(tf__worker *w)
{
    if (w->idle_reported || !w->central) {
        tf__worker_handover(w, 0, true);
    } else {
        tf__worker_handover(w, TF__F_IDLE, true);
        w->idle_reported = true;
    }
    /* everything is handed over: passive until work is delivered, unless
     * some came in meanwhile */
    pthread_mutex_lock(&w->lock);
    if (tf__queue_len(&w->inq) == 0 && tf__queue_len(&w->spawnq) == 0) w->main_idle = true;
    pthread_mutex_unlock(&w->lock);
}

/* ---- a rank that leaves inside a task ----------------------------------
 *
 * exit() inside a task function would end its rank without a word: the
 * other ranks' service threads then find a peer gone, and MPICH's launcher
 * reports the job a success. The task that runs is kept per thread around
 * each call of a task function (the handler runs on the thread that called
 * exit), so the handler knows whether the exit came from a task, and
 * which. */

static _Thread_local const tf_task *task_now;
static _Thread_local const char *task_fn_now;

static void exit_in_task(void)
{
    const tf_task *t = task_now;
    if (!t) return; /* an exit outside any task: not ours to judge */
    fprintf(stderr,
            "taskfarm: fatal: rank %d: task %llu: exit() inside task function '%s': the rank "
            "ends with status %d\n",
            t->w->ctx->rank, (unsigned long long)t->id, task_fn_now ? task_fn_now : "?",
            TF_EXIT_IN_TASK);
    fflush(NULL); /* what the task printed: _exit would drop it */
    _exit(TF_EXIT_IN_TASK);
}

static void watch_exits(void)
{
    if (atexit(exit_in_task) != 0) fprintf(stderr, "taskfarm: warning: atexit failed\n");
}

void tf__task_watch_exits(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, watch_exits);
}

/* The task function's call, inside which an exit is caught. */
static inline int call_fn(tf_fn fn, tf_task *t, const void *in, size_t len, struct tf_buf *out)
{
    task_now = t;
    int rc = fn(t, in, len, out);
    task_now = NULL;
    return rc;
}

/* ---- running an item ---------------------------------------------------- */

static void fail_fmt(tf_task *t, const char *fmt, ...) TF_PRINTF(2, 3);
static void fail_fmt(tf_task *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tf__errfmt(t->msg, sizeof t->msg, t->w->ctx->rank, (unsigned long long)t->id, fmt, ap);
    va_end(ap);
    t->failed = 1;
}

static void oom(tf__worker *w) { tf__fatal(w->ctx, "out of memory for results"); }

/* Records task k's failure: its message replaces its output. Kept out of
 * the loop below, which runs once per task. */
static __attribute__((noinline)) void record_fail(tf__worker *w, tf_task *t, uint32_t k, int rc,
                                                  struct tf_buf *out, uint32_t *nfail)
{
    tf__buf *ob = out->b;
    int32_t status = rc < 0 ? rc : TF_ETASK;
    ob->len = out->start;
    if (tf__buf_put(ob, t->msg, strlen(t->msg) + 1) < 0) oom(w);
    if (*nfail == w->capfail) {
        size_t cap = w->capfail ? w->capfail * 2 : 16;
        int32_t *v = tf__realloc(w->failv, cap * 2 * sizeof *v);
        if (!v) oom(w);
        w->failv = v;
        w->capfail = cap;
    }
    w->failv[2 * *nfail] = (int32_t)k;
    w->failv[2 * *nfail + 1] = status;
    (*nfail)++;
    w->st.failed++;
}

/* Task k of a file item: reads (or takes the prefetched) file, then runs fn
 * on its contents. Kept out of run_item's loop. */
static __attribute__((noinline)) int run_file_task(tf__worker *w, const tf__item *it, uint32_t k,
                                                   tf_task *t, tf_fn fn, const char *path,
                                                   size_t plen, struct tf_buf *out)
{
    tf__fin in;
    tf__files_get(w->files, it, k, path, plen, &in);
    int rc;
    if (!fn) {
        rc = TF_ENOFUNC;
        fail_fmt(t, "unknown task function '%s'", it->fname);
    } else if (in.err) {
        rc = TF_ESYS;
        fail_fmt(t, "input file '%s': %s%s%s", in.path ? in.path : "?", in.what ? in.what : "read",
                 in.err == EINVAL ? "" : ": ", in.err == EINVAL ? "" : strerror(in.err));
    } else {
        uint64_t ts = w->trace ? tf__now_ns() : 0; /* the task starts after its I/O */
        t->path = in.path;
        rc = call_fn(fn, t, in.data ? in.data : "", in.len, out);
        t->path = NULL;
        if (w->trace) tf__trace_task(w->trace, ts, t->id, it->fname);
        if (rc != 0 && !t->failed)
            fail_fmt(t, "task function '%s' returned %d (%s)", it->fname, rc, tf_strerror(rc));
    }
    tf__files_release(&in);
    return rc;
}

/* Runs an item's tasks into cur; returns the time it ended. */
static uint64_t run_item(tf__worker *w, const tf__item *it)
{
    tf__buf *ob = &w->cur->b;
    size_t hpos = ob->len;
    size_t lpos = hpos + TF__RESULT_HDR_LEN; /* the lengths */
    size_t head = TF__RESULT_HDR_LEN + 4 * (size_t)it->count;
    if (!tf__buf_room(ob, head)) oom(w);
    ob->len += head;
    tf_fn fn = (tf_fn)it->fn;
    tf_task t;
    t.w = w;
    t.path = NULL;
    size_t off = 0;
    uint32_t nfail = 0;
    const bool fixed = it->layout == TF__FIXED;
    task_fn_now = it->fname;
    const double io0 = w->st.io_wait_s;
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
            rc = run_file_task(w, it, k, &t, fn, in, in_len, &out);
        } else if (fn) {
            rc = call_fn(fn, &t, in, in_len, &out);
            if (w->trace) tf__trace_task(w->trace, k ? 0 : t0, t.id, it->fname);
            if (rc != 0 && !t.failed)
                fail_fmt(&t, "task function '%s' returned %d (%s)", it->fname, rc, tf_strerror(rc));
        } else {
            rc = TF_ENOFUNC;
            fail_fmt(&t, "unknown task function '%s'", it->fname);
        }
        if (!t.failed && ob->len - out.start > TF__MAX_OUTPUT)
            fail_fmt(&t, "output of %zu bytes is too large", ob->len - out.start);
        if (t.failed) record_fail(w, &t, k, rc, &out, &nfail);
        uint32_t len = (uint32_t)(ob->len - out.start);
        memcpy(ob->p + lpos + 4 * (size_t)k, &len, 4);
    }
    uint64_t t1 = tf__now_ns(), dt = t1 - t0;
    if (it->job == 0 && nfail == 0 && !w->spawn_records) {
        ob->len = hpos; /* a spawned task's success is just counted */
        if (w->central) w->cur->spawn_ok += it->count;
    } else {
        if (nfail && tf__buf_put(ob, w->failv, (size_t)nfail * TF__FAIL_LEN) < 0) oom(w);
        tf__result_hdr h = {it->job, it->first_index, it->first_id, it->count, nfail, dt};
        tf__msg_put_result_hdr(ob->p + hpos, &h);
    }
    w->st.tasks += it->count;
    w->st.chunks++;
    w->st.busy_s += (double)dt * 1e-9 - (w->st.io_wait_s - io0); /* files: not busy */
    return t1;
}

/* Under lock: moves up to TF__BATCH_MAX chunks from inq into the batch,
 * the first into *it. */
static void take_batch_locked(tf__worker *w, tf__item *it)
{
    size_t n = 0;
    while (n < TF__BATCH_MAX && tf__queue_pop_front(&w->inq, &w->batch[n])) n++;
    w->batch_len = n;
    w->batch_next = 0;
    w->inq_tasks -= it->count;
    for (size_t k = 0; k < n; k++) w->inq_tasks -= w->batch[k].count;
    w->batch_tasks = w->inq_tasks;
    for (size_t k = 0; k < n; k++) w->batch_tasks += w->batch[k].count;
}

int tf__worker_take(tf__worker *w, tf__item *it, size_t *assigned_left)
{
    if (w->batch_next < w->batch_len) {
        *it = w->batch[w->batch_next++];
        *assigned_left = w->batch_tasks -= it->count;
        return 1;
    }
    int got = 0;
    pthread_mutex_lock(&w->lock);
    if (tf__queue_pop_back(&w->spawnq, it)) {
        got = 1;
    } else if (tf__queue_pop_front(&w->inq, it)) {
        got = 1;
        take_batch_locked(w, it);
    }
    if (w->low_fresh) {
        w->report_below = w->low;
        w->low_fresh = false;
    }
    *assigned_left = w->batch_next < w->batch_len ? w->batch_tasks : w->inq_tasks;
    pthread_mutex_unlock(&w->lock);
    return got;
}

int tf__worker_exec(tf__worker *w)
{
    tf__item it;
    size_t left;
    if (!tf__worker_take(w, &it, &left)) return 0;
    w->idle_reported = false;
    int was = tf__alloc_run_part(1); /* the task's allocations are the run's */
    w->in_task = true;
    atomic_store_explicit(&w->running, true, memory_order_relaxed);
    uint64_t end = run_item(w, &it);
    atomic_store_explicit(&w->running, false, memory_order_relaxed);
    w->in_task = false;
    tf__rbuf_unref(it.owner);
    /* the coordinator refills when it hears from this rank (schedule.h) */
    int rep = tf__sched_report(it.job != 0, left, &w->report_below, w->cur->b.len, end - w->cur_t0);
    if (rep != TF__REPORT_NONE) tf__worker_handover(w, 0, rep == TF__REPORT_WAKE);
    tf__alloc_run_part(was);
    return 1;
}

/* ---- the task's API ------------------------------------------------------ */

int tf_task_fail(tf_task *t, const char *fmt, ...)
{
    if (!t) return TF_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    tf__errfmt(t->msg, sizeof t->msg, t->w->ctx->rank, (unsigned long long)t->id, fmt, ap);
    va_end(ap);
    t->failed = 1;
    return TF_ETASK;
}

uint64_t tf_task_id(const tf_task *t) { return t ? t->id : 0; }

const char *tf_task_path(const tf_task *t) { return t ? t->path : NULL; }

tf_pool *tf_task_pool(const tf_task *t) { return t ? t->w->pool : NULL; }

int tf_spawn(tf_task *t, const char *fn, const void *in, size_t len)
{
    if (!t || !tf__name_ok(fn) || (len && !in)) return TF_EINVAL;
    if (len > TF__MAX_MSG / 2) return TF_ETOOBIG;
    tf__worker *w = t->w;
    /* every rank registers the same names: one this rank lacks would only
     * fail later, wherever the task went */
    long idx = tf__reg_find(w->reg, fn);
    if (idx < 0 || !w->reg->v[idx].fn) return TF_ENOFUNC;
    size_t nl = strlen(fn) + 1;
    tf__rbuf *rb = tf__rbuf_new(nl + len);
    if (!rb) return TF_ENOMEM;
    memcpy(rb->data, fn, nl);
    if (len) memcpy(rb->data + nl, in, len);
    tf__item it;
    memset(&it, 0, sizeof it);
    it.job = 0;
    it.first_id = tf__spawned_id(w->ctx->rank, w->spawn_seq++);
    it.count = 1;
    it.layout = TF__FIXED;
    it.elem = len;
    it.data = rb->data + nl;
    it.owner = rb;
    it.fn = w->reg->v[idx].fn;
    it.fname = rb->data;
    /* count first, then queue: whoever ships or finishes it reports after */
    atomic_fetch_add(&w->spawned, 1);
    pthread_mutex_lock(&w->lock);
    int rc = tf__queue_push_back(&w->spawnq, &it);
    pthread_mutex_unlock(&w->lock);
    if (rc < 0) {
        atomic_fetch_sub(&w->spawned, 1);
        tf__rbuf_unref(rb);
        return rc;
    }
    w->st.spawned++;
    atomic_fetch_add_explicit(&w->spawn_calls, 1, memory_order_relaxed);
    if (atomic_load_explicit(&w->hungry, memory_order_relaxed)) {
        /* a rank waits for this: the service thread gives or pushes it */
        atomic_store_explicit(&w->hungry, 0, memory_order_relaxed);
        tf__waiter_wake(w->svc_w);
    }
    return 0;
}

int tf_task_hungry(const tf_task *t)
{
    if (!t) return 0;
    unsigned h = atomic_load_explicit(&t->w->hungry, memory_order_relaxed);
    return h > INT_MAX ? INT_MAX : (int)h;
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
