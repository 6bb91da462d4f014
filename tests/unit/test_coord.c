/* test_coord.c - the coordinator's central policy driven through coord.h
 * alone: fake links record what it puts, shares and stops, and the tests
 * feed it RESULTS messages encoded the way a rank encodes them, through the
 * service loop's role hooks. No MPI call, no thread: every call runs on the
 * test's thread, as the service thread's and the driver's calls would.
 *
 * What the links saw is checked as text, one token an event:
 *   J<job>:<first index>+<count>@<first task id>   a job's chunk
 *   S<function>(<inputs>)                            a shipped spawned task
 *   SHARE, STOP(<rv>)                                requests
 *   |                                                a flush that sent something
 * Each link keeps its own log (with flushes); one log of all links keeps the
 * order across them, each token prefixed with the link's rank. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/recs.h"
#include "role/coord.h"
#include "taskfarm.h"
#include "unit.h"

#define MAXR 4
#define LOG_MAX 4096

/* ---- fake links ------------------------------------------------------------- */

typedef struct fake_link {
    tf__link base; /* first: the coordinator holds &base */
    char log[LOG_MAX];
    size_t len;
    size_t since_flush; /* items put since the last flush */
    size_t full_after;  /* full once this many items wait for a flush */
    int bulk;           /* put says a job chunk is sent from the job's memory */
    int pending;        /* something to flush */
    int nreset;
    void *last_fn; /* the last item's local function */
} fake_link;

static struct {
    tf__ctx ctx;
    tf__reg reg;
    fake_link fl[MAXR];
    tf__link *links[MAXR];
    tf__coord *co;
    tf__svc_role role;
    int size;
    int notified, woken;
    char all[LOG_MAX]; /* every link's events but flushes, in order */
    size_t all_len;
} g;

/* Stand-ins for the coordinating rank's task functions: only their
 * addresses matter. */
static int fn_square, fn_spawn;

static void append(char *log, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(log + *len, LOG_MAX - *len, fmt, ap);
    va_end(ap);
    CU_ASSERT_FATAL(n >= 0 && (size_t)n < LOG_MAX - *len);
    *len += (size_t)n;
}

static void log_event(fake_link *f, const char *ev)
{
    append(f->log, &f->len, "%s ", ev);
    append(g.all, &g.all_len, "%d:%s ", f->base.rank, ev);
}

static int fl_put(tf__link *l, const tf__item *it, tf__job *j)
{
    fake_link *f = (fake_link *)l;
    char ev[512];
    if (it->job) {
        snprintf(ev, sizeof ev, "J%llu:%llu+%u@%llu", (unsigned long long)it->job,
                 (unsigned long long)it->first_index, it->count, (unsigned long long)it->first_id);
        /* a job's chunk comes with its job */
        CU_ASSERT_PTR_NOT_NULL(j);
        if (j) CU_ASSERT_EQUAL(j->id, it->job);
    } else {
        size_t n = (size_t)snprintf(ev, sizeof ev, "S%s(", it->fname);
        size_t off = 0;
        for (uint32_t k = 0; k < it->count; k++) {
            size_t len;
            const char *p = tf__item_input(it, k, &off, &len);
            n += (size_t)snprintf(ev + n, sizeof ev - n, "%s%.*s", k ? "," : "", (int)len, p);
        }
        snprintf(ev + n, sizeof ev - n, ")");
        CU_ASSERT_PTR_NULL(j);
    }
    log_event(f, ev);
    f->last_fn = it->fn;
    f->since_flush++;
    f->pending = 1;
    tf__rbuf_unref(it->owner);
    return j && f->bulk ? 1 : 0;
}

static bool fl_full(const tf__link *l, const tf__item *it)
{
    (void)it;
    const fake_link *f = (const fake_link *)l;
    return f->since_flush >= f->full_after;
}

static void fl_share(tf__link *l)
{
    fake_link *f = (fake_link *)l;
    log_event(f, "SHARE");
    f->pending = 1;
}

static void fl_stop(tf__link *l, int rv)
{
    fake_link *f = (fake_link *)l;
    char ev[32];
    snprintf(ev, sizeof ev, "STOP(%d)", rv);
    log_event(f, ev);
    f->pending = 1;
}

static int fl_flush(tf__link *l)
{
    fake_link *f = (fake_link *)l;
    f->since_flush = 0;
    if (!f->pending) return 0;
    append(f->log, &f->len, "| ");
    f->pending = 0;
    return 1;
}

static void fl_reset(tf__link *l)
{
    fake_link *f = (fake_link *)l;
    f->len = 0;
    f->log[0] = 0;
    f->since_flush = 0;
    f->pending = 0;
    f->nreset++;
}

static void fl_destroy(tf__link *l) { (void)l; }

/* What the rank last reported is all a link over the network knows. */
static uint64_t fl_queued(const tf__link *l, uint64_t reported)
{
    (void)l;
    return reported;
}

static const tf__link_ops fake_ops = {
    .put = fl_put,
    .full = fl_full,
    .queued = fl_queued,
    .share = fl_share,
    .stop = fl_stop,
    .flush = fl_flush,
    .reset = fl_reset,
    .destroy = fl_destroy,
};

/* Link r's log since the last call, then cleared. */
static const char *seen(int r)
{
    static char out[MAXR][LOG_MAX];
    fake_link *f = &g.fl[r];
    memcpy(out[r], f->log, f->len + 1);
    f->len = 0;
    f->log[0] = 0;
    return out[r];
}

/* Every link's events since the last call, in order, then cleared. */
static const char *seen_all(void)
{
    static char out[LOG_MAX];
    memcpy(out, g.all, g.all_len + 1);
    g.all_len = 0;
    g.all[0] = 0;
    return out;
}

/* ---- the coordinator under test --------------------------------------------- */

static void on_notify(void *arg)
{
    (void)arg;
    g.notified++;
}

static void on_wake(void *arg)
{
    (void)arg;
    g.woken++;
}

/* A coordinator for `size` ranks, at the start of a run. */
static void rig_up(int size, int policy, size_t chunk, double prefetch_s)
{
    memset(&g, 0, sizeof g);
    g.size = size;
    CU_ASSERT_EQUAL_FATAL(tf__reg_add(&g.reg, "square", &fn_square), 0);
    CU_ASSERT_EQUAL_FATAL(tf__reg_add(&g.reg, "spawnfn", &fn_spawn), 0);
    for (int r = 0; r < size; r++) {
        g.fl[r].base.ops = &fake_ops;
        g.fl[r].base.rank = r;
        g.fl[r].full_after = SIZE_MAX;
        g.links[r] = &g.fl[r].base;
    }
    tf__coord_cfg cfg = {.ctx = &g.ctx,
                         .size = size,
                         .links = g.links,
                         .reg = &g.reg,
                         .chunk_policy = policy,
                         .chunk_size = chunk,
                         .chunk_target_s = 0.01,
                         .prefetch_s = prefetch_s,
                         .notify = on_notify,
                         .wake = on_wake};
    CU_ASSERT_EQUAL_FATAL(tf__coord_create(&cfg, &tf__coord_central, &g.co), 0);
    for (int r = 0; r < size; r++) {
        CU_ASSERT_PTR_NOT_NULL(g.fl[r].base.sent); /* the coordinator hears of bulk sends */
        CU_ASSERT_PTR_NOT_NULL(g.fl[r].base.sent_arg);
    }
    tf__coord_reset(g.co, false);
    for (int r = 0; r < size; r++) CU_ASSERT_EQUAL(g.fl[r].nreset, 1);
    g.role = tf__coord_role(g.co);
}

static void rig_down(void)
{
    tf__coord_destroy(&g.co);
    CU_ASSERT_PTR_NULL(g.co);
    tf__reg_free(&g.reg);
}

static int step(void) { return g.role.step(g.role.arg); }

static bool quiet(void)
{
    tf__coord_lock(g.co);
    bool q = tf__coord_quiet_locked(g.co);
    tf__coord_unlock(g.co);
    return q;
}

/* The driver's inputs: task i's input is 4 bytes, "i<i>" padded. */
static char inputs[64 * 4];

static tf__job *job_new(int kind, size_t n)
{
    for (size_t i = 0; i < 64; i++) snprintf(inputs + 4 * i, 4, "i%zu", i);
    tf__job *j = tf__job_new(kind, n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    j->layout = TF__FIXED;
    j->elem = 4;
    j->in = inputs;
    return j;
}

static tf__job *start(int kind, size_t n, int avoid)
{
    tf__job *j = job_new(kind, n);
    j->avoid = avoid;
    CU_ASSERT_EQUAL_FATAL(tf__coord_start(g.co, j, "square"), 0);
    return j;
}

/* ---- RESULTS messages, encoded the way a rank encodes them ------------------ */

static void msg_begin(tf__buf *b)
{
    *b = (tf__buf){0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(tf__buf_room(b, TF__RHDR_LEN));
    b->len = TF__RHDR_LEN;
}

/* A RESULT record of count tasks from first_index (job 0: spawned tasks from
 * first_id): task i's output is "out<i>"; the tasks whose bit is set in
 * fail_mask (bit k: the record's k-th task) failed with TF_EINVAL and the
 * message "bad<i>". */
static void msg_result(tf__buf *b, uint64_t job, uint64_t first_index, uint64_t first_id,
                       uint32_t count, uint32_t fail_mask, uint64_t elapsed_ns)
{
    size_t hpos = b->len;
    CU_ASSERT_PTR_NOT_NULL_FATAL(tf__buf_room(b, TF__RESULT_HDR_LEN));
    b->len += TF__RESULT_HDR_LEN;
    char out[32][16];
    uint32_t len[32], nfail = 0;
    CU_ASSERT_FATAL(count <= 32);
    for (uint32_t k = 0; k < count; k++) {
        int failed = (fail_mask >> k) & 1;
        int n = snprintf(out[k], sizeof out[k], "%s%llu", failed ? "bad" : "out",
                         (unsigned long long)(first_index + k));
        len[k] = (uint32_t)n + (failed ? 1 : 0); /* a message keeps its NUL */
        nfail += (uint32_t)failed;
        CU_ASSERT_EQUAL(tf__buf_u32(b, len[k]), 0);
    }
    for (uint32_t k = 0; k < count; k++) CU_ASSERT_EQUAL(tf__buf_put(b, out[k], len[k]), 0);
    for (uint32_t k = 0; k < count; k++) {
        if (!((fail_mask >> k) & 1)) continue;
        int32_t st = TF_EINVAL;
        CU_ASSERT_EQUAL(tf__buf_u32(b, k), 0);
        CU_ASSERT_EQUAL(tf__buf_put(b, &st, 4), 0);
    }
    tf__result_hdr h = {job, first_index, first_id, count, nfail, elapsed_ns};
    tf__msg_put_result_hdr(b->p + hpos, &h);
}

/* A CHUNK record: spawned task `id` of function fname, shipped back. */
static void msg_shipped(tf__buf *b, uint64_t id, const char *fname, const char *input)
{
    tf__item it;
    memset(&it, 0, sizeof it);
    it.first_id = id;
    it.count = 1;
    it.layout = TF__FIXED;
    it.elem = strlen(input);
    it.data = input;
    it.fname = fname;
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(b, &it, 0, &bp, &bl), 0);
    CU_ASSERT_EQUAL(bl, 0);
}

/* The header, then the message goes in as from rank src. */
static void msg_send(tf__buf *b, int src, uint64_t spawned, uint64_t spawn_ok, uint64_t qlen,
                     uint32_t flags)
{
    tf__rhdr h = {spawned, spawn_ok, qlen, flags};
    tf__msg_put_rhdr(b->p, &h);
    tf__rbuf *rb = tf__rbuf_wrap(b->p, b->len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
    *b = (tf__buf){0};
    g.role.on_message(g.role.arg, src, rb);
    tf__rbuf_unref(rb);
}

/* A message with only a header. */
static void hdr_only(int src, uint64_t spawned, uint64_t spawn_ok, uint64_t qlen, uint32_t flags)
{
    tf__buf b;
    msg_begin(&b);
    msg_send(&b, src, spawned, spawn_ok, qlen, flags);
}

/* Rank src reports tasks [first, first + count) of job j, each taking
 * task_ns. */
static void report(int src, const tf__job *j, uint64_t first, uint32_t count, uint32_t fail_mask,
                   uint64_t task_ns, uint32_t flags)
{
    tf__buf b;
    msg_begin(&b);
    msg_result(&b, j->id, first, j->first_id + first, count, fail_mask, task_ns * count);
    msg_send(&b, src, 0, 0, 0, flags);
}

/* Task i of job j: its status and output as the driver reads them. */
static int job_output(tf__job *j, uint64_t i, char *out, size_t cap)
{
    tf__coord_lock(g.co);
    tf__rec *rec = tf__recs_find(&j->recs, i);
    int st = -12345;
    out[0] = 0;
    if (rec) {
        const char *p;
        size_t len;
        st = tf__rec_get(rec, (uint32_t)(i - rec->first), &p, &len);
        snprintf(out, cap, "%.*s", (int)len, p);
    }
    tf__coord_unlock(g.co);
    return st;
}

#define LONG_NS 1000000000ull /* 1 s a task: one at a time (TF__LONG_TASK_S) */

/* ---- dispatch ------------------------------------------------------------------- */

/* 8 tasks in chunks of 1 over 2 ranks, tasks measured long: each rank holds
 * one task at a time, each step starts one rank further on. */
static void test_map_chunk1(void)
{
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    tf__job *j = start(TF__JOB_MAP, 8, -1);
    CU_ASSERT_EQUAL(j->id, 1);
    CU_ASSERT_EQUAL(j->first_id, 0);
    CU_ASSERT_EQUAL(g.woken, 1);
    CU_ASSERT_FALSE(quiet());

    CU_ASSERT_EQUAL(step(), 1); /* starts at rank 0 */
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+1@0 1:J1:1+1@1 ");
    CU_ASSERT_STRING_EQUAL(seen(0), "J1:0+1@0 | ");
    CU_ASSERT_STRING_EQUAL(seen(1), "J1:1+1@1 | ");
    CU_ASSERT_PTR_EQUAL(g.fl[0].last_fn, &fn_square);

    CU_ASSERT_EQUAL(step(), 0); /* windows full: nothing until results */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    CU_ASSERT_STRING_EQUAL(seen(0), "");

    int n0 = g.notified;
    report(1, j, 1, 1, 0, LONG_NS, 0);
    CU_ASSERT(g.notified > n0);
    CU_ASSERT_EQUAL(step(), 1); /* from rank 0, which is still busy */
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:J1:2+1@2 ");
    CU_ASSERT_STRING_EQUAL(seen(0), "");
    CU_ASSERT_STRING_EQUAL(seen(1), "J1:2+1@2 | ");

    report(0, j, 0, 1, 0, LONG_NS, 0);
    report(1, j, 2, 1, 0, LONG_NS, 0);
    CU_ASSERT_EQUAL(step(), 1); /* from rank 1 */
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:J1:3+1@3 0:J1:4+1@4 ");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    report(1, j, 3, 1, 0, LONG_NS, 0);
    report(0, j, 4, 1, 1, LONG_NS, 0); /* task 4 fails */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:J1:5+1@5 0:J1:6+1@6 ");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    report(0, j, 6, 1, 0, LONG_NS, 0);
    report(1, j, 5, 1, 0, LONG_NS, 0);
    CU_ASSERT_EQUAL(step(), 1); /* from rank 1: it takes the last task */
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:J1:7+1@7 ");
    CU_ASSERT_EQUAL(step(), 0); /* nothing left to assign */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    tf__coord_lock(g.co);
    CU_ASSERT_EQUAL(j->next, 8);
    CU_ASSERT_EQUAL(j->done, 7);
    CU_ASSERT_EQUAL(j->failed, 1);
    CU_ASSERT_FALSE(tf__job_complete(j));
    tf__coord_unlock(g.co);
    CU_ASSERT_FALSE(quiet());

    report(1, j, 7, 1, 0, LONG_NS, 0);
    tf__coord_lock(g.co);
    CU_ASSERT_EQUAL(j->done, 8);
    CU_ASSERT_EQUAL(j->failed, 1);
    CU_ASSERT_TRUE(tf__job_complete(j));
    CU_ASSERT_EQUAL(j->recs.n, 8);
    tf__coord_unlock(g.co);
    CU_ASSERT_TRUE(quiet());
    char out[32], want[32];
    for (uint64_t i = 0; i < 8; i++) {
        int st = job_output(j, i, out, sizeof out);
        snprintf(want, sizeof want, "%s%llu", i == 4 ? "bad" : "out", (unsigned long long)i);
        CU_ASSERT_EQUAL(st, i == 4 ? TF_EINVAL : 0);
        CU_ASSERT_STRING_EQUAL(out, want);
    }
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    rig_down();
    tf__job_free(j); /* complete: out of the coordinator's table */
}

/* Chunks of 2: one chunk a rank while nothing is measured, two once the
 * first results give a short task time. */
static void test_map_chunk2_window(void)
{
    rig_up(2, TF_CHUNK_FIXED, 2, 0.0);
    tf__job *j = start(TF__JOB_MAP, 8, -1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+2@0 1:J1:2+2@2 ");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    report(0, j, 0, 2, 0, 1000000, 0); /* 1 ms a task */
    CU_ASSERT_EQUAL(step(), 1);        /* from rank 0 again; window now 4 */
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:4+2@4 1:J1:6+2@6 ");
    CU_ASSERT_STRING_EQUAL(seen(0), "J1:0+2@0 | J1:4+2@4 | ");
    CU_ASSERT_STRING_EQUAL(seen(1), "J1:2+2@2 | J1:6+2@6 | ");

    /* a second job: rank 1 holds 4 tasks, a full window */
    tf__job *k = start(TF__JOB_MAP, 4, -1);
    CU_ASSERT_EQUAL(k->id, 2);
    CU_ASSERT_EQUAL(k->first_id, 8);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J2:0+2@8 ");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    tf__buf b; /* two records in one message */
    msg_begin(&b);
    msg_result(&b, j->id, 2, 2, 2, 0, 2000000);
    msg_result(&b, j->id, 6, 6, 2, 0, 2000000);
    msg_send(&b, 1, 0, 0, 0, 0);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:J2:2+2@10 ");
    report(0, j, 4, 2, 0, 1000000, 0);
    report(0, k, 0, 2, 0, 1000000, 0);
    report(1, k, 2, 2, 0, 1000000, 0);
    tf__coord_lock(g.co);
    CU_ASSERT_TRUE(tf__job_complete(j));
    CU_ASSERT_TRUE(tf__job_complete(k));
    CU_ASSERT_EQUAL(j->failed + k->failed, 0);
    tf__coord_unlock(g.co);
    CU_ASSERT_TRUE(quiet());
    CU_ASSERT_EQUAL(step(), 0);
    rig_down();
    tf__job_free(j);
    tf__job_free(k);
}

/* A link whose next message is full takes nothing more until it flushes. */
static void test_link_full(void)
{
    rig_up(2, TF_CHUNK_FIXED, 1, 1.0);
    tf__job *j = start(TF__JOB_MAP, 6, -1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+1@0 1:J1:1+1@1 ");
    report(0, j, 0, 1, 0, 1000, 0); /* 1 us a task: a window of thousands */
    report(1, j, 1, 1, 0, 1000, 0);
    g.fl[0].full_after = 1;
    g.fl[1].full_after = 2;
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:J1:2+1@2 0:J1:3+1@3 1:J1:4+1@4 ");
    CU_ASSERT_EQUAL(step(), 1); /* flushed: room again */
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:5+1@5 ");
    CU_ASSERT_STRING_EQUAL(seen(0), "J1:0+1@0 | J1:3+1@3 | J1:5+1@5 | ");
    CU_ASSERT_STRING_EQUAL(seen(1), "J1:1+1@1 | J1:2+1@2 J1:4+1@4 | ");
    rig_down(); /* frees the job, still in the table */
}

/* A job that avoids a rank never goes there, and jobs behind it still do. */
static void test_avoid(void)
{
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    tf__job *m = start(TF__JOB_MAP, 2, -1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+1@0 1:J1:1+1@1 ");

    tf__job *f = start(TF__JOB_FUT, 1, 1); /* tf_submit avoiding rank 1 */
    CU_ASSERT_EQUAL(f->first_id, 2);
    report(1, m, 1, 1, 0, LONG_NS, 0);
    CU_ASSERT_EQUAL(step(), 0); /* rank 1 is free, but avoided; rank 0 busy */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    tf__job *m2 = start(TF__JOB_MAP, 1, -1); /* behind the future */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:J3:0+1@3 ");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    report(0, m, 0, 1, 0, LONG_NS, 0);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J2:0+1@2 ");
    CU_ASSERT_STRING_EQUAL(seen(1), "J1:1+1@1 | J3:0+1@3 | ");

    /* avoiding rank 0 instead: the first rank of the pass passes it over */
    report(0, f, 0, 1, 0, LONG_NS, 0);
    report(1, m2, 0, 1, 0, LONG_NS, 0);
    tf__job *f2 = start(TF__JOB_FUT, 1, 0);
    tf__job *m3 = start(TF__JOB_MAP, 1, -1);
    CU_ASSERT_EQUAL(step(), 1); /* from rank 0, which takes the job behind */
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J5:0+1@5 1:J4:0+1@4 ");
    CU_ASSERT_STRING_EQUAL(seen(0), "J1:0+1@0 | J2:0+1@2 | J5:0+1@5 | ");
    report(1, f2, 0, 1, 0, LONG_NS, 0);
    report(0, m3, 0, 1, 0, LONG_NS, 0);
    CU_ASSERT_TRUE(quiet());
    tf__coord_release(g.co, f); /* complete: freed */
    tf__coord_release(g.co, f2);
    rig_down();
    tf__job_free(m);
    tf__job_free(m2);
    tf__job_free(m3);
}

/* ---- sharing spawned tasks ---------------------------------------------------- */

/* The message of rank src shipping spawned tasks in reply to SHARE: one
 * task per input, ids from seq on. */
static void ship(int src, uint64_t seq, const char *const *in, size_t n, uint64_t qlen)
{
    tf__buf b;
    msg_begin(&b);
    for (size_t k = 0; k < n; k++) msg_shipped(&b, tf__spawned_id(src, seq + k), "spawnfn", in[k]);
    msg_send(&b, src, 0, 0, qlen, TF__F_SHARE_REPLY);
}

static const char *const five[] = {"a", "b", "c", "d", "e"};

static void test_share_longest_queue(void)
{
    rig_up(3, TF_CHUNK_FIXED, 1, 0.0);
    hdr_only(0, 10, 0, 10, 0);
    hdr_only(2, 4, 0, 4, 0);
    CU_ASSERT_EQUAL(step(), 0); /* nobody hungry: nobody asked */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    hdr_only(1, 0, 0, 0, TF__F_IDLE);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:SHARE "); /* the longest queue */
    CU_ASSERT_STRING_EQUAL(seen(0), "SHARE | ");
    CU_ASSERT_EQUAL(step(), 1); /* still hungry: the next longest */
    CU_ASSERT_STRING_EQUAL(seen_all(), "2:SHARE ");
    CU_ASSERT_EQUAL(step(), 0); /* both asked, no reply yet */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    /* rank 0 reports its queue again before it replies: not asked again */
    hdr_only(0, 0, 0, 8, 0);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    ship(0, 1, five, 5, 3);
    CU_ASSERT_EQUAL(step(), 1); /* all to the one hungry rank */
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:Sspawnfn(a) 1:Sspawnfn(b) 1:Sspawnfn(c) "
                                       "1:Sspawnfn(d) 1:Sspawnfn(e) ");
    CU_ASSERT_STRING_EQUAL(seen(1), "Sspawnfn(a) Sspawnfn(b) Sspawnfn(c) Sspawnfn(d) "
                                    "Sspawnfn(e) | ");
    CU_ASSERT_PTR_EQUAL(g.fl[1].last_fn, &fn_spawn); /* known here by name */
    CU_ASSERT_EQUAL(step(), 0);                      /* nobody hungry now */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    rig_down();
}

static void test_share_two_hungry(void)
{
    rig_up(3, TF_CHUNK_FIXED, 1, 0.0);
    hdr_only(0, 10, 0, 10, 0);
    hdr_only(1, 0, 0, 0, TF__F_IDLE);
    hdr_only(2, 0, 0, 0, TF__F_IDLE);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:SHARE ");
    CU_ASSERT_EQUAL(step(), 0); /* the hungry ones are never asked */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    ship(0, 1, five, 5, 5);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:Sspawnfn(a) 1:Sspawnfn(b) 1:Sspawnfn(c) "
                                       "2:Sspawnfn(d) 2:Sspawnfn(e) ");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    rig_down();
}

/* One queued task is not worth shipping; and a rank is asked only when no
 * job has tasks left and the hungry rank has nothing in flight. */
static void test_share_when(void)
{
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    hdr_only(0, 1, 0, 1, 0);
    hdr_only(1, 0, 0, 0, TF__F_IDLE);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    hdr_only(0, 1, 0, 2, 0);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:SHARE ");
    CU_ASSERT_EQUAL(step(), 0); /* asked already, no reply: not again */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    ship(0, 1, five, 1, 1); /* one shipped, to hungry rank 1 */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:Sspawnfn(a) ");
    CU_ASSERT_EQUAL(step(), 0);
    rig_down();

    /* idle, yet its task is still in flight: not hungry */
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    tf__job *j = start(TF__JOB_MAP, 2, -1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+1@0 1:J1:1+1@1 ");
    hdr_only(0, 5, 0, 5, 0);
    hdr_only(1, 0, 0, 0, TF__F_IDLE);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    report(1, j, 1, 1, 0, LONG_NS, TF__F_IDLE); /* its last result: now hungry */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:SHARE ");
    report(0, j, 0, 1, 0, LONG_NS, 0);
    rig_down();
    tf__job_free(j);

    /* hungry, but a job has tasks left (none for it): no share yet */
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    j = start(TF__JOB_MAP, 2, 1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+1@0 ");
    hdr_only(0, 5, 0, 5, 0);
    hdr_only(1, 0, 0, 0, TF__F_IDLE);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    report(0, j, 0, 1, 0, LONG_NS, 0);
    hdr_only(0, 0, 0, 5, 0);    /* each message says the queue's length */
    CU_ASSERT_EQUAL(step(), 1); /* the last task given out, then the share */
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:1+1@1 0:SHARE ");
    CU_ASSERT_STRING_EQUAL(seen(0), "J1:0+1@0 | J1:1+1@1 SHARE | ");
    report(0, j, 1, 1, 0, LONG_NS, 0);
    rig_down();
    tf__job_free(j);
}

/* ---- termination ------------------------------------------------------------------- */

static void test_termination(void)
{
    rig_up(2, TF_CHUNK_FIXED, 2, 0.0);
    tf__job *j = start(TF__JOB_MAP, 4, -1);
    int w0 = g.woken;
    tf__coord_finish(g.co, 7); /* the driver returned; its tasks run on */
    CU_ASSERT_EQUAL(g.woken, w0 + 1);
    CU_ASSERT_FALSE(g.role.ending(g.role.arg));
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+2@0 1:J1:2+2@2 ");

    /* rank 0 spawned 3 before finishing its chunk: the same message says so */
    tf__buf b;
    msg_begin(&b);
    msg_result(&b, j->id, 0, 0, 2, 0, 1000);
    msg_send(&b, 0, 3, 0, 3, 0);
    CU_ASSERT_EQUAL(step(), 0);
    report(1, j, 2, 2, 0, 1000, 0);
    tf__coord_lock(g.co);
    CU_ASSERT_TRUE(tf__job_complete(j));
    CU_ASSERT_FALSE(tf__coord_quiet_locked(g.co)); /* 3 spawned tasks */
    tf__coord_unlock(g.co);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    hdr_only(0, 0, 2, 1, 0); /* two finished quietly */
    CU_ASSERT_FALSE(quiet());
    CU_ASSERT_EQUAL(step(), 0); /* one left: no STOP */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    CU_ASSERT_FALSE(g.role.ending(g.role.arg));

    /* the last one ran on rank 1 and failed: a record of job 0 */
    msg_begin(&b);
    msg_result(&b, 0, 0, tf__spawned_id(0, 3), 1, 1, 1000);
    msg_send(&b, 1, 0, 0, 0, 0);
    CU_ASSERT_TRUE(quiet());
    char msg[TF__ERRMSG_MAX];
    CU_ASSERT_EQUAL(tf__coord_take_spawn_failures(g.co, msg), 1);
    CU_ASSERT_STRING_EQUAL(msg, "bad0");
    CU_ASSERT_EQUAL(tf__coord_take_spawn_failures(g.co, msg), 0);

    CU_ASSERT_EQUAL(step(), 1);
    /* fatal: a STOPPED the coordinator did not ask for would end the program */
    CU_ASSERT_STRING_EQUAL_FATAL(seen_all(), "0:STOP(7) 1:STOP(7) ");
    CU_ASSERT_STRING_EQUAL(seen(0), "J1:0+2@0 | STOP(7) | ");
    CU_ASSERT_STRING_EQUAL(seen(1), "J1:2+2@2 | STOP(7) | ");
    CU_ASSERT_TRUE(g.role.ending(g.role.arg));
    CU_ASSERT_EQUAL(step(), 0); /* once */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    CU_ASSERT_TRUE(g.role.awaits(g.role.arg, 0));
    CU_ASSERT_TRUE(g.role.awaits(g.role.arg, 1));
    hdr_only(1, 0, 0, 0, TF__F_STOPPED);
    CU_ASSERT_TRUE(g.role.awaits(g.role.arg, 0));
    CU_ASSERT_FALSE(g.role.awaits(g.role.arg, 1));
    CU_ASSERT_EQUAL(step(), 0); /* rank 0 has not answered */
    CU_ASSERT_EQUAL(step(), 0);
    hdr_only(0, 0, 0, 0, TF__F_STOPPED | TF__F_IDLE);
    CU_ASSERT_FALSE(g.role.awaits(g.role.arg, 0));
    CU_ASSERT_EQUAL(step(), -1); /* the run is over */
    CU_ASSERT_EQUAL(step(), -1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");

    /* the next run starts afresh */
    tf__coord_reset(g.co, false);
    CU_ASSERT_FALSE(g.role.ending(g.role.arg));
    CU_ASSERT_TRUE(g.role.awaits(g.role.arg, 0));
    CU_ASSERT_EQUAL(step(), 0);
    tf__coord_finish(g.co, 0);
    CU_ASSERT_EQUAL(step(), 1); /* nothing ran: STOP at once */
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:STOP(0) 1:STOP(0) ");
    rig_down();
    tf__job_free(j);
}

/* A message's spawns count before the completions it reports, so spawns
 * and their results in one message never take the count below zero. */
static void test_spawned_outputs(void)
{
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    tf__coord_reset(g.co, true);
    tf__job *j = start(TF__JOB_FUT, 1, -1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+1@0 ");
    tf__buf b;
    msg_begin(&b);
    msg_result(&b, 0, 0, tf__spawned_id(0, 0), 2, 2, 1000);
    msg_result(&b, j->id, 0, 0, 1, 0, 1000);
    msg_send(&b, 0, 2, 0, 0, 0);
    CU_ASSERT_TRUE(quiet());
    tf__delivery *d;
    size_t n = tf__coord_take_spawned(g.co, &d);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(d[0].id, tf__spawned_id(0, 0));
    CU_ASSERT_EQUAL(d[0].status, 0);
    CU_ASSERT_EQUAL(d[0].len, 4);
    CU_ASSERT_EQUAL(memcmp(d[0].p, "out0", 4), 0);
    CU_ASSERT_EQUAL(d[1].id, tf__spawned_id(0, 1));
    CU_ASSERT_EQUAL(d[1].status, TF_EINVAL);
    CU_ASSERT_EQUAL(d[1].len, 4);
    CU_ASSERT_EQUAL(memcmp(d[1].p, "bad1", 4), 0);
    for (size_t i = 0; i < n; i++) tf__rbuf_unref(d[i].owner);
    free(d);
    CU_ASSERT_EQUAL(tf__coord_take_spawned(g.co, &d), 0);
    free(d);
    char out[16];
    CU_ASSERT_EQUAL(job_output(j, 0, out, sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "out0");
    tf__coord_release(g.co, j);
    rig_down();
}

/* MPI is done with a job's inputs only when the link says so. */
static void test_bulk_pending(void)
{
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    g.fl[0].bulk = g.fl[1].bulk = 1;
    tf__job *j = start(TF__JOB_MAP, 2, -1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J1:0+1@0 1:J1:1+1@1 ");
    report(0, j, 0, 1, 0, 1000, 0);
    report(1, j, 1, 1, 0, 1000, 0);
    tf__coord_lock(g.co);
    CU_ASSERT_EQUAL(j->done, 2);
    CU_ASSERT_EQUAL(j->bulk_pending, 2);
    CU_ASSERT_FALSE(tf__job_complete(j));
    tf__coord_unlock(g.co);
    CU_ASSERT_FALSE(quiet());
    g.links[1]->sent(g.links[1]->sent_arg, j);
    CU_ASSERT_FALSE(quiet());
    g.links[0]->sent(g.links[0]->sent_arg, j);
    CU_ASSERT_TRUE(quiet());
    tf__coord_lock(g.co);
    CU_ASSERT_TRUE(tf__job_complete(j));
    tf__coord_unlock(g.co);
    rig_down();
    tf__job_free(j);
}

/* ---- cancel ------------------------------------------------------------------------- */

static void test_cancel(void)
{
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    tf__job *f = start(TF__JOB_FUT, 1, -1);
    CU_ASSERT_FALSE(quiet());
    int w0 = g.woken;
    CU_ASSERT_EQUAL(tf__coord_cancel(g.co, f), 0);
    CU_ASSERT_EQUAL(g.woken, w0 + 1);
    CU_ASSERT_TRUE(quiet()); /* counted down */
    tf__coord_lock(g.co);
    CU_ASSERT_EQUAL(f->done, 1);
    CU_ASSERT_EQUAL(f->failed, 1);
    CU_ASSERT_TRUE(tf__job_complete(f));
    tf__coord_unlock(g.co);
    char out[64];
    CU_ASSERT_EQUAL(job_output(f, 0, out, sizeof out), TF_ECANCELED);
    CU_ASSERT_EQUAL(step(), 0); /* never given out */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    CU_ASSERT_EQUAL(tf__coord_cancel(g.co, f), TF_EBUSY); /* done already */
    tf__coord_release(g.co, f);

    /* canceled behind another job: the list goes on past it */
    tf__job *m = start(TF__JOB_MAP, 3, -1);
    tf__job *f2 = start(TF__JOB_FUT, 1, -1);
    tf__job *f3 = start(TF__JOB_FUT, 1, -1);
    CU_ASSERT_EQUAL(tf__coord_cancel(g.co, f2), 0);
    CU_ASSERT_EQUAL(tf__coord_cancel(g.co, m), TF_EBUSY); /* a map */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "1:J2:0+1@1 0:J2:1+1@2 ");
    report(0, m, 1, 1, 0, LONG_NS, 0);
    report(1, m, 0, 1, 0, LONG_NS, 0);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "0:J2:2+1@3 1:J4:0+1@5 ");

    /* given out: too late */
    CU_ASSERT_EQUAL(tf__coord_cancel(g.co, f3), TF_EBUSY);
    tf__coord_lock(g.co);
    CU_ASSERT_EQUAL(f3->done, 0);
    CU_ASSERT_EQUAL(f3->failed, 0);
    tf__coord_unlock(g.co);
    CU_ASSERT_FALSE(quiet());
    report(1, f3, 0, 1, 0, LONG_NS, 0);
    report(0, m, 2, 1, 0, LONG_NS, 0);
    CU_ASSERT_TRUE(quiet());
    CU_ASSERT_EQUAL(job_output(f3, 0, out, sizeof out), 0);
    CU_ASSERT_STRING_EQUAL(out, "out0");
    tf__coord_release(g.co, f2);
    tf__coord_release(g.co, f3);
    rig_down();
    tf__job_free(m);
}

/* ---- malformed messages ---------------------------------------------------------------
 *
 * A malformed message is fatal: tf__fatal prints its line and calls the
 * context's abort hook, which must not return. Here the hook jumps back into
 * the test, which then releases the coordinator's lock (the policy held it
 * when it gave up); the coordinator is not used for anything but teardown
 * afterwards. */

static jmp_buf fatal_jmp;
static int nfatal;

static void abort_jump(void *arg)
{
    (void)arg;
    nfatal++;
    longjmp(fatal_jmp, 1);
}

/* Feeds b from src and expects it to be fatal. */
static void expect_fatal(tf__buf *b, int src, uint64_t spawned, uint32_t flags)
{
    tf__rhdr h = {spawned, 0, 0, flags};
    tf__msg_put_rhdr(b->p, &h);
    tf__rbuf *rb = tf__rbuf_wrap(b->p, b->len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
    *b = (tf__buf){0};
    int before = nfatal;
    g.ctx.abort_fn = abort_jump;
    if (setjmp(fatal_jmp) == 0) {
        g.role.on_message(g.role.arg, src, rb);
        CU_FAIL("a malformed message was accepted");
    } else {
        tf__coord_unlock(g.co);
    }
    g.ctx.abort_fn = NULL;
    CU_ASSERT_EQUAL(nfatal, before + 1);
    tf__rbuf_unref(rb);
}

static void test_malformed(void)
{
    tf__buf b;
    /* more tasks finished than exist */
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    msg_begin(&b);
    msg_result(&b, 0, 0, tf__spawned_id(1, 0), 1, 0, 1000);
    expect_fatal(&b, 1, 0, 0);
    rig_down();

    /* STOPPED before STOP */
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    msg_begin(&b);
    expect_fatal(&b, 0, 0, TF__F_STOPPED);
    rig_down();

    /* STOPPED twice */
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    tf__coord_finish(g.co, 0);
    CU_ASSERT_EQUAL_FATAL(step(), 1);
    hdr_only(1, 0, 0, 0, TF__F_STOPPED);
    msg_begin(&b);
    expect_fatal(&b, 1, 0, TF__F_STOPPED);
    rig_down();

    /* a result of a job that does not exist, or beyond its end */
    rig_up(2, TF_CHUNK_FIXED, 1, 0.0);
    tf__job *j = start(TF__JOB_MAP, 2, -1);
    msg_begin(&b);
    msg_result(&b, 9, 0, 0, 1, 0, 1000);
    expect_fatal(&b, 0, 0, 0);
    msg_begin(&b);
    msg_result(&b, j->id, 1, 1, 2, 0, 1000);
    expect_fatal(&b, 0, 0, 0);
    rig_down();
}

static const unit_test tests[] = {
    UNIT_TEST(test_map_chunk1),
    UNIT_TEST(test_map_chunk2_window),
    UNIT_TEST(test_link_full),
    UNIT_TEST(test_avoid),
    UNIT_TEST(test_share_longest_queue),
    UNIT_TEST(test_share_two_hungry),
    UNIT_TEST(test_share_when),
    UNIT_TEST(test_termination),
    UNIT_TEST(test_spawned_outputs),
    UNIT_TEST(test_bulk_pending),
    UNIT_TEST(test_cancel),
    UNIT_TEST(test_malformed),
};
UNIT_MAIN("coord", tests)
