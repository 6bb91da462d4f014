/* test_relay.c - a node leader's relay driven through relay.h alone: fake
 * links record the chunks it hands on, a fake uplink keeps the RESULTS it
 * sends up, and the tests feed it TASKS and RESULTS messages encoded the
 * way a parent and a rank encode them, through the service loop's role
 * hooks. No MPI call, no thread: every call runs on the test's thread, as
 * the service thread's would.
 *
 * What a link saw is checked as text, one token an item:
 *   J<job>:<first index>+<count>@<first task id> <fname>/<fn>(<inputs>)
 *   |   a flush that sent something
 * where fn is S or C (the registry's square or cube) or 0 (none here).
 * What went up is checked as text, one brace a message:
 *   {s<spawned>/<spawn_ok> J<job>:<first>+<count>@<id> f<nfail> t<elapsed_ns> ...}
 * and every task's status and output in each record is checked against
 * what the ranks sent (BAD in the token if not); with g.check_raw, = marks
 * a record that went up byte for byte as a rank sent it.
 *
 * Task i of job j: its task id is 100 j + i; its input is f<i> (FIXED,
 * three digits) or, PACKED, empty for i % 4 == 0, else p<i> and i % 3 dots;
 * it fails when j > 0 and i % 3 == 1, with status -1000 - i and the message
 * e<j>.<i>, else its output is o<j>.<i>, padded to g.pad bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/recs.h"
#include "role/relay.h"
#include "taskfarm.h"
#include "unit.h"

#define MAXS 4
#define LOG_MAX 8192
#define MAX_ITEMS 64
#define MAX_UP 64
#define MAX_SENT 64
#define NRANKS 8
#define UP_RANK 1
#define SELF_RANK 5

/* ---- fake links ------------------------------------------------------------- */

typedef struct handed {
    uint64_t job, first;
    uint32_t count;
} handed;

typedef struct fake_link {
    tf__link base; /* first: the relay holds &base */
    char log[LOG_MAX];
    size_t len;
    size_t since_flush; /* items put since the last flush */
    size_t full_after;  /* full once this many items wait for a flush */
    int pending;
    int nreset;
    handed items[MAX_ITEMS]; /* what it was handed, in order */
    size_t nitems;
} fake_link;

static struct {
    tf__ctx ctx;
    tf__reg reg;
    fake_link fl[MAXS];
    tf__link *links[MAXS];
    size_t weight[MAXS];
    tf__relay *r;
    tf__svc_role role;
    int size;
    char all[LOG_MAX]; /* every link's items, in order */
    size_t all_len;
    tf__buf up[MAX_UP]; /* messages sent up, not yet read */
    size_t nup;
    tf__buf sent[MAX_SENT]; /* RESULT records the ranks sent (check_raw) */
    size_t nsent;
    bool check_raw; /* mark a record sent up as it came with = */
    size_t pad;     /* outputs padded to this many bytes */
    uint64_t task_ns;
} g;

/* Stand-ins for the leader's task functions: only their addresses matter. */
static int fn_square, fn_cube;

static void append(char *log, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(log + *len, LOG_MAX - *len, fmt, ap);
    va_end(ap);
    CU_ASSERT_FATAL(n >= 0 && (size_t)n < LOG_MAX - *len);
    *len += (size_t)n;
}

static const char *fn_label(const void *fn)
{
    return fn == &fn_square ? "S" : fn == &fn_cube ? "C" : fn ? "?" : "0";
}

static int fl_put(tf__link *l, const tf__item *it, tf__job *j)
{
    fake_link *f = (fake_link *)l;
    CU_ASSERT_PTR_NULL(j); /* a relay has no jobs */
    CU_ASSERT_PTR_NOT_NULL(it->owner);
    char ev[1024];
    size_t n =
        (size_t)snprintf(ev, sizeof ev, "J%llu:%llu+%u@%llu %s/%s(", (unsigned long long)it->job,
                         (unsigned long long)it->first_index, it->count,
                         (unsigned long long)it->first_id, it->fname, fn_label(it->fn));
    size_t off = 0;
    for (uint32_t k = 0; k < it->count && n < sizeof ev; k++) {
        size_t len;
        const char *p = tf__item_input(it, k, &off, &len);
        n += (size_t)snprintf(ev + n, sizeof ev - n, "%s%.*s", k ? "," : "", (int)len, p);
    }
    if (n < sizeof ev) snprintf(ev + n, sizeof ev - n, ")");
    append(f->log, &f->len, "%s ", ev);
    append(g.all, &g.all_len, "%d:%s ", f->base.rank, ev);
    CU_ASSERT_FATAL(f->nitems < MAX_ITEMS);
    f->items[f->nitems++] = (handed){it->job, it->first_index, it->count};
    f->since_flush++;
    f->pending = 1;
    tf__rbuf_unref(it->owner);
    return 0;
}

static bool fl_full(const tf__link *l, const tf__item *it)
{
    (void)it;
    const fake_link *f = (const fake_link *)l;
    return f->since_flush >= f->full_after;
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
    f->nitems = 0;
    f->nreset++;
}

static void fl_destroy(tf__link *l) { (void)l; }

static uint64_t fl_queued(const tf__link *l, uint64_t reported)
{
    (void)l;
    return reported;
}

/* The central policy's requests: never from a relay. */
static void fl_share(tf__link *l)
{
    (void)l;
    CU_FAIL("a relay asked a rank to share");
}

static void fl_stop(tf__link *l, int rv)
{
    (void)l;
    (void)rv;
    CU_FAIL("a relay stopped a rank");
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

/* Slot s's link's log since the last call, then cleared. */
static const char *seen(int s)
{
    static char out[MAXS][LOG_MAX];
    fake_link *f = &g.fl[s];
    memcpy(out[s], f->log, f->len + 1);
    f->len = 0;
    f->log[0] = 0;
    return out[s];
}

/* Every link's items since the last call, in order, then cleared. */
static const char *seen_all(void)
{
    static char out[LOG_MAX];
    memcpy(out, g.all, g.all_len + 1);
    g.all_len = 0;
    g.all[0] = 0;
    return out;
}

/* ---- what goes up ---------------------------------------------------------------- */

static void up_emit(void *arg, tf__buf *msg)
{
    CU_ASSERT_PTR_NULL(arg);
    CU_ASSERT_FATAL(g.nup < MAX_UP);
    CU_ASSERT(msg->len >= TF__RHDR_LEN);
    g.up[g.nup++] = *msg;
    *msg = (tf__buf){0};
}

static bool failed(uint64_t job, uint64_t i) { return job && i % 3 == 1; }

/* Task i of job j's output (its message, NUL included, if it failed) at
 * dst, if not NULL; its length. */
static size_t output(uint64_t job, uint64_t i, char *dst)
{
    char t[64];
    int n = snprintf(t, sizeof t, "%c%llu.%llu", failed(job, i) ? 'e' : 'o',
                     (unsigned long long)job, (unsigned long long)i);
    size_t len = (size_t)n + (failed(job, i) ? 1 : 0);
    if (!failed(job, i) && g.pad > len) {
        if (dst) memset(dst + len, 'a' + (int)(i % 26), g.pad - len);
        if (dst) memcpy(dst, t, len);
        return g.pad;
    }
    if (dst) memcpy(dst, t, len);
    return len;
}

static uint64_t task_id(uint64_t job, uint64_t i) { return 100 * job + i; }

/* Checks one RESULT record at rd (after its kind byte) and appends its
 * token to out. */
static void read_record(tf__rd *rd, const char *start, char *out, size_t *olen)
{
    tf__result_hdr h;
    tf__msg_get_result_hdr(rd, &h);
    const char *lens = tf__rd_take(rd, 4 * (size_t)h.count);
    CU_ASSERT_PTR_NOT_NULL_FATAL(lens);
    size_t total = tf__rec_total(lens, h.count);
    const char *data = tf__rd_take(rd, total);
    const char *fails = tf__rd_take(rd, TF__FAIL_LEN * (size_t)h.nfail);
    CU_ASSERT_FATAL(!rd->err);
    tf__rec rec;
    bool made = tf__rec_make(&rec, h.first_index, h.count, h.nfail, lens, data, total, fails) == 0;
    int bad = !made;
    if (h.job && h.first_id != task_id(h.job, h.first_index)) bad = 1;
    static char want[16 << 20];
    for (uint32_t k = 0; !bad && k < h.count; k++) {
        uint64_t i = h.first_index + k;
        const char *p;
        size_t len;
        int st = tf__rec_get(&rec, k, &p, &len);
        size_t wl = output(h.job, i, want);
        if (failed(h.job, i)) {
            bad |= st != -1000 - (int)i || len != wl - 1;
        } else {
            bad |= st != 0 || len != wl;
        }
        if (!bad) bad |= memcmp(p, want, len) != 0;
    }
    if (made) free(rec.offs);
    const char *same = "";
    if (g.check_raw) {
        size_t n = (size_t)(rd->p - start);
        for (size_t k = 0; k < g.nsent; k++)
            if (g.sent[k].len == n && memcmp(g.sent[k].p, start, n) == 0) same = "=";
    }
    CU_ASSERT_FALSE(bad);
    append(out, olen, " J%llu:%llu+%u@%llu f%u t%llu%s%s", (unsigned long long)h.job,
           (unsigned long long)h.first_index, h.count, (unsigned long long)h.first_id, h.nfail,
           (unsigned long long)h.elapsed_ns, same, bad ? " BAD" : "");
}

/* The messages sent up since the last call, each checked, then dropped. */
static const char *ups(void)
{
    static char out[LOG_MAX];
    size_t olen = 0;
    out[0] = 0;
    for (size_t m = 0; m < g.nup; m++) {
        tf__buf *b = &g.up[m];
        CU_ASSERT_EQUAL(b->p[0], TF__MSG_RESULTS);
        tf__rd rd;
        tf__rd_init(&rd, b->p, b->len);
        tf__rhdr h;
        tf__msg_get_rhdr(&rd, &h);
        CU_ASSERT_FALSE(rd.err);
        CU_ASSERT_EQUAL(h.qlen, 0);
        CU_ASSERT_EQUAL(h.flags, 0);
        append(out, &olen, "{s%llu/%llu", (unsigned long long)h.spawned,
               (unsigned long long)h.spawn_ok);
        while (!rd.err && tf__rd_left(&rd)) {
            const char *start = rd.p;
            if (tf__rd_u8(&rd) != TF__R_RESULT) {
                append(out, &olen, " ?");
                break;
            }
            read_record(&rd, start, out, &olen);
        }
        append(out, &olen, "} ");
        tf__buf_free(b);
    }
    g.nup = 0;
    return out;
}

/* ---- the relay under test ---------------------------------------------------------- */

/* A relay of nslots slots (slot s of weight w[s]) at the start of a run: slot 0
 * is the leader's own rank, then ranks 6, 7 and 2; its parent is rank 1. */
static void rig_up(int nslots, const size_t *w, double prefetch_s)
{
    static const int rank_of[MAXS] = {SELF_RANK, 6, 7, 2};
    memset(&g, 0, sizeof g);
    g.size = nslots;
    g.task_ns = 1000;
    g.ctx.rank = SELF_RANK;
    CU_ASSERT_EQUAL_FATAL(tf__reg_add(&g.reg, "square", &fn_square), 0);
    CU_ASSERT_EQUAL_FATAL(tf__reg_add(&g.reg, "cube", &fn_cube), 0);
    for (int s = 0; s < nslots; s++) {
        g.fl[s].base.ops = &fake_ops;
        g.fl[s].base.rank = rank_of[s];
        g.fl[s].full_after = SIZE_MAX;
        g.links[s] = &g.fl[s].base;
        g.weight[s] = w[s];
    }
    tf__relay_cfg cfg = {.ctx = &g.ctx,
                         .tp = NULL,
                         .reg = &g.reg,
                         .up = UP_RANK,
                         .send_up = {up_emit, NULL},
                         .nranks = NRANKS,
                         .size = nslots,
                         .links = g.links,
                         .weight = g.weight,
                         .prefetch_s = prefetch_s,
                         .file_prefetch = true};
    CU_ASSERT_EQUAL_FATAL(tf__relay_create(&cfg, &g.r), 0);
    tf__relay_reset(g.r);
    for (int s = 0; s < nslots; s++) CU_ASSERT_EQUAL(g.fl[s].nreset, 1);
    g.role = tf__relay_role(g.r);
    CU_ASSERT_PTR_NOT_NULL_FATAL(g.role.on_tasks);
    CU_ASSERT_TRUE(tf__relay_passive(g.r));
}

static const size_t W112[] = {1, 1, 2};

static void rig_down(void)
{
    tf__relay_destroy(&g.r);
    CU_ASSERT_PTR_NULL(g.r);
    tf__reg_free(&g.reg);
    for (size_t m = 0; m < g.nup; m++) tf__buf_free(&g.up[m]);
    for (size_t k = 0; k < g.nsent; k++) tf__buf_free(&g.sent[k]);
    g.nup = g.nsent = 0;
}

static int step(void) { return g.role.step(g.role.arg); }
static bool passive(void) { return tf__relay_passive(g.r); }

/* ---- TASKS messages, encoded the way a parent encodes them ----------------------- */

static void tasks_begin(tf__buf *b)
{
    *b = (tf__buf){0};
    CU_ASSERT_EQUAL_FATAL(tf__buf_u8(b, TF__MSG_TASKS), 0);
}

static void tasks_def(tf__buf *b, uint32_t gid, const char *name)
{
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_def(b, gid, name), 0);
}

/* Task i's input in a layout, at dst; its length. */
static size_t input(int layout, uint64_t i, char *dst)
{
    if (layout == TF__FIXED) {
        char t[8];
        snprintf(t, sizeof t, "f%03llu", (unsigned long long)(i % 1000));
        memcpy(dst, t, 4);
        return 4;
    }
    if (i % 4 == 0) return 0;
    int n = sprintf(dst, "p%llu", (unsigned long long)i);
    for (uint64_t k = 0; k < i % 3; k++) dst[n++] = '.';
    return (size_t)n;
}

/* A CHUNK record: tasks [first, first + count) of job, function gid. */
static void tasks_chunk(tf__buf *b, uint64_t job, uint32_t gid, uint64_t first, uint32_t count,
                        int layout)
{
    static char data[64 * 16];
    static char lens[64 * 8];
    CU_ASSERT_FATAL(count <= 64);
    tf__item it = {.job = job,
                   .first_index = first,
                   .first_id = task_id(job, first),
                   .gid = gid,
                   .count = count,
                   .layout = (uint32_t)layout,
                   .elem = 4,
                   .data = data,
                   .lens = lens};
    size_t off = 0;
    for (uint32_t k = 0; k < count; k++) {
        uint64_t l = input(layout, first + k, data + off);
        off += l;
        memcpy(lens + 8 * (size_t)k, &l, 8);
    }
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(b, &it, 0, &bp, &bl), 0);
    CU_ASSERT_EQUAL(bl, 0);
}

static tf__rbuf *wrap(tf__buf *b)
{
    tf__rbuf *rb = tf__rbuf_wrap(b->p, b->len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
    *b = (tf__buf){0};
    return rb;
}

/* The message goes in as TASKS from rank src. */
static void tasks_send(tf__buf *b, int src)
{
    tf__rbuf *rb = wrap(b);
    g.role.on_tasks(g.role.arg, src, rb);
    tf__rbuf_unref(rb);
}

/* One message from the parent: function gid (defined as name) and one range. */
static void give(uint32_t gid, const char *name, uint64_t job, uint64_t first, uint32_t count,
                 int layout)
{
    tf__buf b;
    tasks_begin(&b);
    if (name) tasks_def(&b, gid, name);
    tasks_chunk(&b, job, gid, first, count, layout);
    tasks_send(&b, UP_RANK);
}

/* ---- RESULTS messages, encoded the way a rank encodes them ------------------------ */

static void msg_begin(tf__buf *b)
{
    *b = (tf__buf){0};
    CU_ASSERT_PTR_NOT_NULL_FATAL(tf__buf_room(b, TF__RHDR_LEN));
    b->len = TF__RHDR_LEN;
}

/* A RESULT record of tasks [first, first + count) of job (job 0: a spawned
 * task's, of id first_id). */
static void msg_result_id(tf__buf *b, uint64_t job, uint64_t first, uint64_t first_id,
                          uint32_t count)
{
    size_t start = b->len;
    CU_ASSERT_PTR_NOT_NULL_FATAL(tf__buf_room(b, TF__RESULT_HDR_LEN));
    b->len += TF__RESULT_HDR_LEN;
    uint32_t nfail = 0;
    for (uint32_t k = 0; k < count; k++)
        CU_ASSERT_EQUAL(tf__buf_u32(b, (uint32_t)output(job, first + k, NULL)), 0);
    for (uint32_t k = 0; k < count; k++) {
        size_t len = output(job, first + k, NULL);
        char *p = tf__buf_room(b, len);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        output(job, first + k, p);
        b->len += len;
    }
    for (uint32_t k = 0; k < count; k++) {
        if (!failed(job, first + k)) continue;
        int32_t st = -1000 - (int32_t)(first + k);
        CU_ASSERT_EQUAL(tf__buf_u32(b, k), 0);
        CU_ASSERT_EQUAL(tf__buf_put(b, &st, 4), 0);
        nfail++;
    }
    tf__result_hdr h = {job, first, first_id, count, nfail, g.task_ns * count};
    tf__msg_put_result_hdr(b->p + start, &h);
    if (g.check_raw) {
        CU_ASSERT_FATAL(g.nsent < MAX_SENT);
        tf__buf *c = &g.sent[g.nsent++];
        *c = (tf__buf){0};
        CU_ASSERT_EQUAL_FATAL(tf__buf_put(c, b->p + start, b->len - start), 0);
    }
}

static void msg_result(tf__buf *b, uint64_t job, uint64_t first, uint32_t count)
{
    msg_result_id(b, job, first, task_id(job, first), count);
}

static void put_rhdr(tf__buf *b, uint64_t spawned, uint64_t spawn_ok, uint32_t flags)
{
    tf__rhdr h = {spawned, spawn_ok, 0, flags};
    tf__msg_put_rhdr(b->p, &h);
}

/* The message goes in as RESULTS from slot s's rank: the leader's own
 * worker's through the relay's uplink, another's through on_message. */
static void msg_send(tf__buf *b, int s, uint64_t spawned, uint64_t spawn_ok, uint32_t flags)
{
    put_rhdr(b, spawned, spawn_ok, flags);
    if (g.fl[s].base.rank == SELF_RANK) {
        tf__uplink u = tf__relay_uplink(g.r);
        u.emit(u.arg, b);
        CU_ASSERT_PTR_NULL(b->p); /* taken */
        return;
    }
    tf__rbuf *rb = wrap(b);
    g.role.on_message(g.role.arg, g.fl[s].base.rank, rb);
    tf__rbuf_unref(rb);
}

/* Slot s reports tasks [first, first + count) of job. */
static void report(int s, uint64_t job, uint64_t first, uint32_t count)
{
    tf__buf b;
    msg_begin(&b);
    msg_result(&b, job, first, count);
    msg_send(&b, s, 0, 0, 0);
}

/* Every slot holding tasks of job in [lo, hi) reports them, one message an
 * item handed out. */
static void report_part(uint64_t job, uint64_t lo, uint64_t hi)
{
    uint64_t n = 0;
    for (int s = 0; s < g.size; s++) {
        for (size_t k = 0; k < g.fl[s].nitems; k++) {
            const handed *h = &g.fl[s].items[k];
            if (h->job != job) continue;
            uint64_t a = h->first > lo ? h->first : lo;
            uint64_t e = h->first + h->count < hi ? h->first + h->count : hi;
            if (a >= e) continue;
            report(s, job, a, (uint32_t)(e - a));
            n += e - a;
        }
    }
    CU_ASSERT_EQUAL(n, hi - lo); /* all of them were handed out */
}

/* A message with only a header. */
static void hdr_only(int s, uint64_t spawned, uint64_t spawn_ok, uint32_t flags)
{
    tf__buf b;
    msg_begin(&b);
    msg_send(&b, s, spawned, spawn_ok, flags);
}

/* ---- cutting ranges --------------------------------------------------------------- */

/* A range of 8 over slots of weights 1, 1, 2: 8 / 4 = 2 tasks a rank, in
 * consecutive absolute indices and ids, with their own inputs; nothing put
 * before the step, everything flushed in it. */
static void test_cut_fixed(void)
{
    rig_up(3, W112, 0.0);
    give(0, "square", 1, 16, 8, TF__FIXED);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    CU_ASSERT_FALSE(passive());
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "5:J1:16+2@116 square/S(f016,f017) "
                                       "6:J1:18+2@118 square/S(f018,f019) "
                                       "7:J1:20+4@120 square/S(f020,f021,f022,f023) ");
    CU_ASSERT_STRING_EQUAL(seen(0), "J1:16+2@116 square/S(f016,f017) | ");
    CU_ASSERT_STRING_EQUAL(seen(1), "J1:18+2@118 square/S(f018,f019) | ");
    CU_ASSERT_STRING_EQUAL(seen(2), "J1:20+4@120 square/S(f020,f021,f022,f023) | ");
    CU_ASSERT_EQUAL(step(), 0); /* all handed on, nothing to send up */
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    CU_ASSERT_STRING_EQUAL(ups(), "");
    CU_ASSERT_FALSE(passive());
    rig_down();
}

/* PACKED inputs of varying lengths (some empty): each slot's sub-item
 * starts at the right byte. A function this rank lacks is handed on by
 * name, with no function. A link that is full gets the rest next turn. */
static void test_cut_packed(void)
{
    rig_up(3, W112, 0.0);
    give(1, "cube", 3, 4, 8, TF__PACKED);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen(0), "J3:4+2@304 cube/C(,p5..) | ");
    CU_ASSERT_STRING_EQUAL(seen(1), "J3:6+2@306 cube/C(p6,p7.) | ");
    CU_ASSERT_STRING_EQUAL(seen(2), "J3:8+4@308 cube/C(,p9,p10.,p11..) | ");
    report_part(3, 4, 12);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J3:4+8@304 f3 t8000} ");
    CU_ASSERT_TRUE(passive());

    /* a new function: not measured, one chunk a rank (this turn starts at
     * slot 2) */
    seen_all();
    give(2, "absent", 4, 0, 8, TF__PACKED);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "7:J4:0+4@400 absent/0(,p1.,p2..,p3) "
                                       "5:J4:4+2@404 absent/0(,p5..) "
                                       "6:J4:6+2@406 absent/0(p6,p7.) ");
    rig_down();
}

/* ---- the window ---------------------------------------------------------------------- */

/* Nothing measured: a slot gets one chunk a rank and no more until results
 * come back; long tasks keep it at one task a rank. */
static void test_window(void)
{
    rig_up(3, W112, 0.0);
    g.task_ns = 1000000000ull; /* 1 s a task: long */
    tf__buf b;
    tasks_begin(&b);
    tasks_def(&b, 0, "square");
    tasks_chunk(&b, 1, 0, 0, 4, TF__FIXED);
    tasks_chunk(&b, 1, 0, 4, 4, TF__FIXED);
    tasks_chunk(&b, 1, 0, 8, 4, TF__FIXED);
    tasks_send(&b, UP_RANK);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "5:J1:0+1@100 square/S(f000) 6:J1:1+1@101 square/S(f001) "
                                       "7:J1:2+2@102 square/S(f002,f003) ");
    for (int k = 0; k < 3; k++) {
        CU_ASSERT_EQUAL(step(), 0);
        CU_ASSERT_STRING_EQUAL(seen_all(), "");
    }
    report(1, 1, 1, 1); /* slot 1's task is back: it gets one more, no one else */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "6:J1:4+1@104 square/S(f004) ");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(seen_all(), "");
    report(2, 1, 2, 1); /* half of slot 2's: below its window, a chunk of 2 more */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "7:J1:5+2@105 square/S(f005,f006) ");
    report(2, 1, 3, 1);
    report(0, 1, 0, 1); /* range [0, 4) all in */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "5:J1:7+1@107 square/S(f007) ");
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:0+4@100 f1 t4000000000} ");
    rig_down();
}

/* ---- merging ------------------------------------------------------------------------- */

/* The pieces of range [8, 16): slot 0 reports its two tasks one by one,
 * slot 1 its two at once, slot 2 one then three. */
static const struct {
    int s;
    uint64_t first;
    uint32_t count;
} pieces[5] = {{0, 8, 1}, {0, 9, 1}, {1, 10, 2}, {2, 12, 1}, {2, 13, 3}};

/* In every order, nothing goes up until the range is all in, then one
 * record of the whole range (outputs of varying lengths, failures at 10
 * and 13 renumbered 2 and 5). */
static void test_merge_orders(void)
{
    int perm[5] = {0, 1, 2, 3, 4};
    int orders = 0;
    for (;;) {
        rig_up(3, W112, 0.0);
        give(0, "square", 1, 8, 8, TF__FIXED);
        CU_ASSERT_EQUAL(step(), 1);
        for (int k = 0; k < 5; k++) {
            report(pieces[perm[k]].s, 1, pieces[perm[k]].first, pieces[perm[k]].count);
            CU_ASSERT_FALSE(passive());
            CU_ASSERT_EQUAL(step(), k == 4);
            CU_ASSERT_STRING_EQUAL(ups(), k == 4 ? "{s0/0 J1:8+8@108 f2 t8000} " : "");
        }
        CU_ASSERT_TRUE(passive());
        CU_ASSERT_EQUAL(step(), 0);
        rig_down();
        orders++;
        /* the next permutation in lexicographic order */
        int i = 3;
        while (i >= 0 && perm[i] > perm[i + 1]) i--;
        if (i < 0) break;
        int j = 4;
        while (perm[j] < perm[i]) j--;
        int t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
        for (int a = i + 1, z = 4; a < z; a++, z--) t = perm[a], perm[a] = perm[z], perm[z] = t;
    }
    CU_ASSERT_EQUAL(orders, 120);
}

/* Spawn counts go up in the next message, with or without records; a
 * spawned task's record goes up at once and untouched, while job records
 * of the same message wait for their range. */
static void test_spawn(void)
{
    rig_up(3, W112, 0.0);
    give(0, "square", 1, 0, 4, TF__FIXED);
    CU_ASSERT_EQUAL(step(), 1);
    seen_all();

    tf__buf b;
    msg_begin(&b);
    msg_result(&b, 1, 1, 1);
    msg_send(&b, 1, 3, 1, 0);
    CU_ASSERT_FALSE(passive());
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s3/1} ");

    hdr_only(2, 2, 0, TF__F_IDLE); /* IDLE is the peers' too */
    hdr_only(0, 1, 1, 0);
    CU_ASSERT_FALSE(passive());
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s3/1} ");
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(ups(), "");
    CU_ASSERT_FALSE(passive()); /* range [0, 4) still out */

    g.check_raw = true;
    msg_begin(&b);
    msg_result(&b, 1, 2, 2);
    msg_result_id(&b, 0, 0, tf__spawned_id(7, 3), 1);
    msg_send(&b, 2, 1, 0, 0);
    CU_ASSERT_EQUAL(step(), 1);
    char want[128];
    snprintf(want, sizeof want, "{s1/0 J0:0+1@%llu f0 t1000=} ",
             (unsigned long long)tf__spawned_id(7, 3));
    CU_ASSERT_STRING_EQUAL(ups(), want);
    report(0, 1, 0, 1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:0+4@100 f1 t4000} ");
    CU_ASSERT_TRUE(passive());
    rig_down();
}

/* A relay whose function square is measured (1 us a task) with a second
 * of work kept queued: a window far beyond anything handed out here. The
 * next turn starts at slot 2. */
static void rig_measured(void)
{
    rig_up(3, W112, 1.0);
    give(0, "square", 1, 0, 4, TF__FIXED);
    CU_ASSERT_EQUAL(step(), 1);
    report_part(1, 0, 4);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:0+4@100 f1 t4000} ");
    seen_all();
    for (int s = 0; s < 3; s++) seen(s);
}

/* A full link gets no more this turn; the others take the rest. */
static void test_link_full(void)
{
    rig_measured();
    g.fl[0].full_after = 1;
    tf__buf b;
    tasks_begin(&b);
    tasks_chunk(&b, 1, 0, 4, 8, TF__FIXED);
    tasks_chunk(&b, 1, 0, 12, 8, TF__FIXED);
    tasks_send(&b, UP_RANK);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen(0), "J1:8+2@108 square/S(f008,f009) | ");
    CU_ASSERT_STRING_EQUAL(seen(1),
                           "J1:10+2@110 square/S(f010,f011) J1:16+2@116 square/S(f016,f017) | ");
    CU_ASSERT_STRING_EQUAL(seen(2), "J1:4+4@104 square/S(f004,f005,f006,f007) "
                                    "J1:12+4@112 square/S(f012,f013,f014,f015) "
                                    "J1:18+2@118 square/S(f018,f019) | ");
    report_part(1, 4, 20);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:4+8@104 f3 t8000 J1:12+8@112 f3 t8000} ");
    CU_ASSERT_TRUE(passive());
    rig_down();
}

/* Three ranges of two jobs out at once, results interleaved: each range
 * goes up once it is all in, two that complete in one turn in one
 * message. */
static void test_interleave(void)
{
    rig_measured();

    tf__buf b;
    tasks_begin(&b);
    tasks_chunk(&b, 1, 0, 4, 8, TF__FIXED);
    tasks_chunk(&b, 1, 0, 12, 8, TF__FIXED);
    tasks_def(&b, 1, "cube");
    tasks_chunk(&b, 2, 0, 0, 8, TF__PACKED);
    tasks_send(&b, UP_RANK);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "7:J1:4+4@104 square/S(f004,f005,f006,f007) "
                                       "5:J1:8+2@108 square/S(f008,f009) "
                                       "6:J1:10+2@110 square/S(f010,f011) "
                                       "7:J1:12+4@112 square/S(f012,f013,f014,f015) "
                                       "5:J1:16+2@116 square/S(f016,f017) "
                                       "6:J1:18+2@118 square/S(f018,f019) "
                                       "7:J2:0+4@200 square/S(,p1.,p2..,p3) "
                                       "5:J2:4+2@204 square/S(,p5..) "
                                       "6:J2:6+2@206 square/S(p6,p7.) ");
    CU_ASSERT_EQUAL(step(), 0);

    report_part(2, 0, 3);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(ups(), "");
    report_part(1, 12, 20);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:12+8@112 f3 t8000} ");
    CU_ASSERT_FALSE(passive());
    report_part(1, 4, 8);
    report_part(2, 3, 8);
    report_part(1, 8, 12);
    CU_ASSERT_FALSE(passive());
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J2:0+8@200 f3 t8000 J1:4+8@104 f3 t8000} ");
    CU_ASSERT_TRUE(passive());
    rig_down();
}

/* ---- passive and reset --------------------------------------------------------------- */

static void test_passive_reset(void)
{
    rig_up(3, W112, 0.0);
    give(0, "square", 1, 0, 8, TF__FIXED);
    CU_ASSERT_FALSE(passive()); /* a range held */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_FALSE(passive()); /* handed on, results not in */
    report_part(1, 0, 7);
    CU_ASSERT_EQUAL(step(), 0); /* hands out, flushes and sends nothing */
    CU_ASSERT_FALSE(passive());
    report_part(1, 7, 8);
    CU_ASSERT_FALSE(passive()); /* the range's record not yet sent up */
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:0+8@100 f3 t8000} ");
    CU_ASSERT_TRUE(passive());

    /* a reset mid-run drops ranges, pieces and results not sent up */
    give(0, NULL, 1, 8, 8, TF__FIXED);
    give(0, NULL, 1, 16, 8, TF__FIXED);
    CU_ASSERT_EQUAL(step(), 1);
    report_part(1, 8, 12);
    hdr_only(1, 5, 0, 0);
    CU_ASSERT_FALSE(passive());
    tf__relay_reset(g.r);
    CU_ASSERT_TRUE(passive());
    for (int s = 0; s < 3; s++) CU_ASSERT_EQUAL(g.fl[s].nreset, 2);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(ups(), "");

    /* the next run starts afresh: nothing in flight, nothing measured (this
     * turn starts at slot 1) */
    seen_all();
    give(1, "cube", 1, 0, 4, TF__FIXED);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "6:J1:0+1@100 cube/C(f000) 7:J1:1+2@101 cube/C(f001,f002) "
                                       "5:J1:3+1@103 cube/C(f003) ");
    report_part(1, 0, 4);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:0+4@100 f1 t4000} ");

    /* destroyed while holding a range and pieces: no leak */
    give(1, NULL, 1, 4, 8, TF__FIXED);
    CU_ASSERT_EQUAL(step(), 1);
    report_part(1, 4, 6);
    rig_down();
}

/* ---- big results --------------------------------------------------------------------- */

/* A range whose results pass the merge limit goes up as it came, each
 * record untouched, the ones held first; ranges below it are merged, but
 * two that do not fit one message go in two. */
static void test_big(void)
{
    rig_up(3, W112, 0.0);
    g.check_raw = true;
    g.pad = (size_t)6 << 20;
    give(0, "square", 1, 0, 4, TF__FIXED);
    CU_ASSERT_EQUAL(step(), 1);
    report(0, 1, 0, 1);
    report(1, 1, 1, 1);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(ups(), "");
    CU_ASSERT_FALSE(passive());
    report(2, 1, 2, 2); /* 18 MiB in all: what was held goes up, in a message of its own */
    CU_ASSERT_EQUAL(g.nup, 1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:0+1@100 f0 t1000= J1:1+1@101 f1 t1000=} "
                                  "{s0/0 J1:2+2@102 f0 t2000=} ");
    CU_ASSERT_TRUE(passive());

    /* two ranges of 9 MiB each: each merged, in a message each */
    g.pad = (size_t)9 << 19;
    tf__buf b;
    tasks_begin(&b);
    tasks_chunk(&b, 1, 0, 4, 4, TF__FIXED);
    tasks_chunk(&b, 1, 0, 8, 4, TF__FIXED);
    tasks_send(&b, UP_RANK);
    CU_ASSERT_EQUAL(step(), 1);
    report_part(1, 4, 12);
    CU_ASSERT_EQUAL(g.nup, 1);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:4+4@104 f2 t4000} {s0/0 J1:8+4@108 f1 t4000} ");
    CU_ASSERT_TRUE(passive());
    rig_down();
}

/* ---- malformed input ------------------------------------------------------------------
 *
 * Malformed input is fatal: tf__fatal prints its line and calls the
 * context's abort hook, which must not return. Here the hook jumps back
 * into the test; the relay is used for nothing but teardown afterwards. */

static jmp_buf fatal_jmp;
static int nfatal;

static void abort_jump(void *arg)
{
    (void)arg;
    nfatal++;
    longjmp(fatal_jmp, 1);
}

/* Feeds b as TASKS (tasks) or RESULTS from rank src and expects it to be
 * fatal. */
static void expect_fatal(tf__buf *b, int src, bool tasks)
{
    tf__rbuf *rb = wrap(b);
    int before = nfatal;
    g.ctx.abort_fn = abort_jump;
    if (setjmp(fatal_jmp) == 0) {
        if (tasks)
            g.role.on_tasks(g.role.arg, src, rb);
        else
            g.role.on_message(g.role.arg, src, rb);
        CU_FAIL("malformed input was accepted");
    }
    g.ctx.abort_fn = NULL;
    CU_ASSERT_EQUAL(nfatal, before + 1);
    tf__rbuf_unref(rb);
}

static void test_malformed_tasks(void)
{
    tf__buf b;
    /* from a rank that is not the parent */
    rig_up(3, W112, 0.0);
    tasks_begin(&b);
    tasks_def(&b, 0, "square");
    tasks_chunk(&b, 1, 0, 0, 4, TF__FIXED);
    expect_fatal(&b, 0, true);
    rig_down();

    /* a chunk of a function never defined, or defined in a run before */
    rig_up(3, W112, 0.0);
    tasks_begin(&b);
    tasks_def(&b, 0, "square");
    tasks_chunk(&b, 1, 1, 0, 4, TF__FIXED);
    expect_fatal(&b, UP_RANK, true);
    rig_down();
    rig_up(3, W112, 0.0);
    give(0, "square", 1, 0, 4, TF__FIXED);
    tf__relay_reset(g.r);
    tasks_begin(&b);
    tasks_chunk(&b, 1, 0, 0, 4, TF__FIXED);
    expect_fatal(&b, UP_RANK, true);
    rig_down();

    /* SHARE, STOP: the central policy's */
    for (uint8_t kind = TF__R_SHARE; kind <= TF__R_STOP; kind++) {
        rig_up(3, W112, 0.0);
        tasks_begin(&b);
        CU_ASSERT_EQUAL(tf__buf_u8(&b, kind), 0);
        CU_ASSERT_EQUAL(tf__buf_u32(&b, 0), 0);
        expect_fatal(&b, UP_RANK, true);
        rig_down();
    }

    /* not TASKS */
    rig_up(3, W112, 0.0);
    msg_begin(&b);
    put_rhdr(&b, 0, 0, 0);
    expect_fatal(&b, UP_RANK, true);
    rig_down();

    /* a spawned task: never through a relay */
    rig_up(3, W112, 0.0);
    tasks_begin(&b);
    tasks_def(&b, 0, "square");
    tf__item it = {.first_id = tf__spawned_id(1, 0),
                   .count = 1,
                   .layout = TF__FIXED,
                   .elem = 1,
                   .data = "x",
                   .fname = "square"};
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &it, 0, &bp, &bl), 0);
    expect_fatal(&b, UP_RANK, true);
    rig_down();

    /* truncated: a definition, a chunk */
    for (int which = 0; which < 2; which++) {
        rig_up(3, W112, 0.0);
        tasks_begin(&b);
        tasks_def(&b, 0, "square");
        if (which) tasks_chunk(&b, 1, 0, 0, 4, TF__FIXED);
        b.len -= 2;
        expect_fatal(&b, UP_RANK, true);
        rig_down();
    }

    /* a bulk payload, with no transport to receive it */
    rig_up(3, W112, 0.0);
    tasks_begin(&b);
    tasks_def(&b, 0, "square");
    char *big = calloc(1, TF__BULK_MIN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    tf__item bi = {.job = 1, .count = 1, .layout = TF__FIXED, .elem = TF__BULK_MIN, .data = big};
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &bi, 1, &bp, &bl), 0);
    CU_ASSERT_EQUAL(bl, TF__BULK_MIN);
    free(big);
    expect_fatal(&b, UP_RANK, true);
    rig_down();
}

/* A relay with range [0, 8) of job 1 handed out (slot 0: [0, 2), slot 1:
 * [2, 4), slot 2: [4, 8)) and range [8, 16) held back by the window. */
static void rig_out(void)
{
    rig_up(3, W112, 0.0);
    tf__buf b;
    tasks_begin(&b);
    tasks_def(&b, 0, "square");
    tasks_chunk(&b, 1, 0, 0, 8, TF__FIXED);
    tasks_chunk(&b, 1, 0, 8, 8, TF__FIXED);
    tasks_send(&b, UP_RANK);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "5:J1:0+2@100 square/S(f000,f001) "
                                       "6:J1:2+2@102 square/S(f002,f003) "
                                       "7:J1:4+4@104 square/S(f004,f005,f006,f007) ");
}

static void test_malformed_results(void)
{
    tf__buf b;
    /* from ranks no slot reaches: the parent, one of the group's, none */
    static const int strangers[] = {UP_RANK, 3, -1, NRANKS};
    for (size_t k = 0; k < sizeof strangers / sizeof *strangers; k++) {
        rig_out();
        msg_begin(&b);
        msg_result(&b, 1, 0, 1);
        put_rhdr(&b, 0, 0, 0);
        expect_fatal(&b, strangers[k], false);
        rig_down();
    }

    /* more results than handed on: slot 1 has two tasks */
    rig_out();
    msg_begin(&b);
    msg_result(&b, 1, 2, 3);
    put_rhdr(&b, 0, 0, 0);
    expect_fatal(&b, 6, false);
    rig_down();
    rig_out();
    report(1, 1, 2, 1);
    msg_begin(&b);
    msg_result(&b, 1, 3, 1);
    msg_result(&b, 1, 3, 1);
    put_rhdr(&b, 0, 0, 0);
    expect_fatal(&b, 6, false);
    rig_down();

    /* results of tasks never handed on: of the range held back, past a
     * range's end, of a job never seen, past the last range */
    static const uint64_t never[][3] = {{1, 8, 2}, {1, 6, 4}, {2, 0, 1}, {1, 16, 1}};
    for (size_t k = 0; k < sizeof never / sizeof *never; k++) {
        rig_out();
        msg_begin(&b);
        msg_result(&b, never[k][0], never[k][1], (uint32_t)never[k][2]);
        put_rhdr(&b, 0, 0, 0);
        expect_fatal(&b, 7, false);
        rig_down();
    }

    /* results past what was handed on of a range handed on in part (slot
     * 2's link takes nothing: [4, 8) is still here) */
    rig_up(3, W112, 0.0);
    g.fl[2].full_after = 0;
    give(0, "square", 1, 0, 8, TF__FIXED);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(seen_all(), "5:J1:0+2@100 square/S(f000,f001) "
                                       "6:J1:2+2@102 square/S(f002,f003) ");
    msg_begin(&b);
    msg_result(&b, 1, 4, 1);
    put_rhdr(&b, 0, 0, 0);
    expect_fatal(&b, SELF_RANK, false);
    rig_down();

    /* an empty record, here of a range all in and sent up but held behind
     * one that is not */
    rig_measured();
    tasks_begin(&b);
    tasks_chunk(&b, 1, 0, 4, 8, TF__FIXED);
    tasks_chunk(&b, 1, 0, 12, 8, TF__FIXED);
    tasks_send(&b, UP_RANK);
    CU_ASSERT_EQUAL(step(), 1);
    report_part(1, 12, 20);
    CU_ASSERT_EQUAL(step(), 1);
    CU_ASSERT_STRING_EQUAL(ups(), "{s0/0 J1:12+8@112 f3 t8000} ");
    msg_begin(&b);
    msg_result(&b, 1, 12, 0);
    put_rhdr(&b, 0, 0, 0);
    expect_fatal(&b, 7, false);
    CU_ASSERT_EQUAL(step(), 0);
    CU_ASSERT_STRING_EQUAL(ups(), "");
    rig_down();

    /* central-policy flags */
    static const uint32_t flags[] = {TF__F_SHARE_REPLY, TF__F_STOPPED, 8};
    for (size_t k = 0; k < sizeof flags / sizeof *flags; k++) {
        rig_out();
        msg_begin(&b);
        put_rhdr(&b, 0, 0, flags[k]);
        expect_fatal(&b, 6, false);
        rig_down();
    }

    /* truncated: a header, a record (in its lengths, outputs, failures) */
    rig_out();
    b = (tf__buf){0};
    CU_ASSERT_EQUAL(tf__buf_u8(&b, TF__MSG_RESULTS), 0);
    CU_ASSERT_EQUAL(tf__buf_u64(&b, 0), 0);
    expect_fatal(&b, 6, false);
    rig_down();
    static const size_t cut[] = {1, 8, 9, 40};
    for (size_t k = 0; k < sizeof cut / sizeof *cut; k++) {
        rig_out();
        msg_begin(&b);
        msg_result(&b, 1, 0, 2); /* task 1 failed: 8 bytes of failure at the end */
        b.len -= cut[k];
        put_rhdr(&b, 0, 0, 0);
        expect_fatal(&b, SELF_RANK, false);
        rig_down();
    }

    /* a record a relay does not take: a shipped spawned task */
    rig_out();
    msg_begin(&b);
    tf__item it = {.first_id = tf__spawned_id(7, 0),
                   .count = 1,
                   .layout = TF__FIXED,
                   .elem = 1,
                   .data = "x",
                   .fname = "square"};
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &it, 0, &bp, &bl), 0);
    put_rhdr(&b, 0, 0, 0);
    expect_fatal(&b, 7, false);
    rig_down();
}

/* Two slots that reach one rank, or no rank below: refused. */
static void test_create(void)
{
    rig_up(3, W112, 0.0);
    tf__relay_cfg cfg = {.ctx = &g.ctx,
                         .reg = &g.reg,
                         .up = UP_RANK,
                         .send_up = {up_emit, NULL},
                         .nranks = NRANKS,
                         .size = 3,
                         .links = g.links,
                         .weight = g.weight};
    tf__relay *r = NULL;
    g.fl[2].base.rank = 6;
    CU_ASSERT_EQUAL(tf__relay_create(&cfg, &r), TF_EINVAL);
    CU_ASSERT_PTR_NULL(r);
    g.fl[2].base.rank = NRANKS;
    CU_ASSERT_EQUAL(tf__relay_create(&cfg, &r), TF_EINVAL);
    g.fl[2].base.rank = 7;
    size_t zero[3] = {0, 0, 0};
    cfg.weight = zero;
    CU_ASSERT_EQUAL(tf__relay_create(&cfg, &r), TF_EINVAL);
    CU_ASSERT_PTR_NULL(r);
    rig_down();
}

static const unit_test tests[] = {
    UNIT_TEST(test_create), UNIT_TEST(test_cut_fixed),       UNIT_TEST(test_cut_packed),
    UNIT_TEST(test_window), UNIT_TEST(test_link_full),       UNIT_TEST(test_merge_orders),
    UNIT_TEST(test_spawn),  UNIT_TEST(test_interleave),      UNIT_TEST(test_passive_reset),
    UNIT_TEST(test_big),    UNIT_TEST(test_malformed_tasks), UNIT_TEST(test_malformed_results),
};
UNIT_MAIN("relay", tests)
