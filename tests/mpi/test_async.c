/* test_async.c - a driver that submits while results arrive: tf_map_unordered
 * callbacks, and a window of futures refilled through tf_wait_any. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* in: uint64 i; out: uint64 3*i+1, after (i % 4) * 25 us of work so that
 * completion order differs from submission order. */
static int fn_lin(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != 8) return tf_task_fail(t, "lin wants 8 bytes, got %zu", len);
    uint64_t i = th_get_u64(in), r = 3 * i + 1;
    th_spin_us((unsigned)(i % 4) * 25);
    return tf_buf_append(out, &r, sizeof r);
}

/* in: uint64 ms; sleeps that long in a busy loop; out: nothing. */
static int fn_slow(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t, (void)len, (void)out;
    th_spin_us((unsigned)th_get_u64(in) * 1000);
    return 0;
}

struct arrivals {
    size_t n, calls, bad, in_order;
    size_t last;
    unsigned char *seen;
};

static void arrival_cb(void *arg, size_t index, int status, const void *out, size_t len,
                       const char *err)
{
    struct arrivals *a = arg;
    if (a->calls > 0 && index == a->last + 1) a->in_order++;
    a->calls++;
    a->last = index;
    if (index >= a->n || a->seen[index]++ || status != 0 || err != NULL || len != 8 ||
        th_get_u64(out) != 3 * (uint64_t)index + 1)
        a->bad++;
}

static int drv_unordered(tf_pool *pool, void *arg)
{
    (void)arg;
    size_t n = 20000;
    uint64_t *in = malloc(n * sizeof *in);
    for (size_t i = 0; i < n; i++) in[i] = i;
    struct arrivals a = {n, 0, 0, 0, 0, calloc(n, 1)};
    int rc = tf_map_unordered(pool, "lin", in, 8, n, arrival_cb, &a);
    TH_CHECK(rc == 0, "tf_map_unordered: %s: %s", tf_err_name(rc), tf_pool_errmsg(pool));
    TH_EQ(a.calls, n);
    TH_EQ(a.bad, 0);
    size_t missing = 0;
    for (size_t i = 0; i < n; i++) missing += a.seen[i] != 1;
    TH_EQ(missing, 0);
    free(a.seen);
    free(in);
    return 0;
}

static void test_map_unordered_arrivals(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_unordered, NULL), 0);
    tf_pool_destroy(&pool);
}

/* ---- a sliding window of futures ---------------------------------------- */

#define WINDOW 64

static int drv_window(tf_pool *pool, void *arg)
{
    size_t n = *(size_t *)arg;
    uint64_t *in = malloc(n * sizeof *in);
    tf_future *win[WINDOW] = {NULL};
    size_t slot_of[WINDOW];
    unsigned char *done = calloc(n, 1);
    size_t next = 0, finished = 0, bad = 0, outstanding = 0, max_out = 0;
    uint64_t last_id = 0;
    int ids_distinct = 1;

    while (finished < n) {
        /* Refill every free slot, so that up to WINDOW are in flight. */
        for (size_t s = 0; s < WINDOW && next < n; s++) {
            if (win[s]) continue;
            in[next] = next;
            int rc = tf_submit(pool, "lin", &in[next], 8, &win[s]);
            if (!TH_CHECK(rc == 0, "tf_submit %zu: %s", next, tf_err_name(rc))) goto out;
            uint64_t id = tf_future_id(win[s]);
            if (next > 0 && id == last_id) ids_distinct = 0;
            last_id = id;
            slot_of[s] = next++;
            outstanding++;
        }
        if (outstanding > max_out) max_out = outstanding;
        size_t s = WINDOW;
        int st = tf_wait_any(win, WINDOW, &s);
        if (!TH_CHECK(s < WINDOW && win[s], "tf_wait_any gave index %zu (%s)", s, tf_err_name(st)))
            goto out;
        size_t i = slot_of[s];
        const void *o = NULL;
        size_t len = 0;
        int st2 = tf_future_result(win[s], &o, &len);
        if (st != 0 || st2 != 0 || len != 8 || th_get_u64(o) != 3 * (uint64_t)i + 1 || done[i]++)
            bad++;
        tf_future_release(&win[s]);
        outstanding--;
        finished++;
    }
out:
    TH_EQ(finished, n);
    TH_EQ(bad, 0);
    TH_CHECK(max_out <= WINDOW, "%zu outstanding", max_out);
    TH_CHECK(ids_distinct, "two consecutive futures had the same id");
    for (size_t s = 0; s < WINDOW; s++) {
        if (win[s]) tf_wait(win[s]);
        tf_future_release(&win[s]);
    }
    TH_EQ(tf_wait_all(pool), 0);
    free(done);
    free(in);
    return 0;
}

static void test_window_of_futures(void)
{
    tf_pool *pool = th_pool(NULL);
    size_t n = 10000;
    if (pool) TH_EQ(th_run(pool, drv_window, &n), 0);
    tf_pool_destroy(&pool);
}

/* ---- future details ---------------------------------------------------- */

static int drv_future_api(tf_pool *pool, void *arg)
{
    (void)arg;
    /* A 30 ms task: right after submitting it is most likely not done, and
     * tf_future_result must say TF_EBUSY until it is. */
    uint64_t ms = 30;
    tf_future *f = NULL;
    int rc = tf_submit(pool, "slow", &ms, 8, &f);
    TH_CHECK(rc == 0, "tf_submit: %s", tf_err_name(rc));
    if (f) {
        int st = tf_future_result(f, NULL, NULL);
        TH_CHECK(st == TF_EBUSY || st == 0, "tf_future_result early: %s", tf_err_name(st));
        TH_CHECK(st != 0 || tf_future_error(f) == NULL, "error on a success");
        TH_EQ(tf_wait(f), 0);
        TH_EQ(tf_future_result(f, NULL, NULL), 0);
        const void *o = (const void *)1;
        size_t len = 99;
        TH_EQ(tf_future_result(f, &o, &len), 0);
        TH_EQ(len, 0);
        TH_CHECK(tf_future_error(f) == NULL, "error on a success");
        TH_EQ(tf_wait(f), 0); /* waiting twice is fine */
    }
    tf_future_release(&f);
    tf_future_release(&f);
    tf_future_release(NULL);

    /* tf_wait_any with nothing to wait for. */
    tf_future *none[3] = {NULL, NULL, NULL};
    size_t idx = 7;
    TH_EQ(tf_wait_any(none, 3, &idx), TF_EINVAL);
    TH_EQ(tf_wait_any(none, 0, &idx), TF_EINVAL);

    /* Skips NULL entries; finds a done one among pending ones. */
    uint64_t quick = 0, slow = 200;
    tf_future *mix[4] = {NULL, NULL, NULL, NULL};
    TH_EQ(tf_submit(pool, "slow", &slow, 8, &mix[1]), 0);
    TH_EQ(tf_submit(pool, "slow", &quick, 8, &mix[3]), 0);
    idx = 99;
    rc = tf_wait_any(mix, 4, &idx);
    TH_EQ(rc, 0);
    TH_CHECK(idx == 1 || idx == 3, "index %zu", idx);
    if (idx == 1 || idx == 3) {
        TH_EQ(tf_future_result(mix[idx], NULL, NULL), 0);
        tf_future_release(&mix[idx]);
        rc = tf_wait_any(mix, 4, &idx);
        TH_EQ(rc, 0);
        TH_CHECK(idx == 1 || idx == 3, "index %zu", idx);
        if (idx == 1 || idx == 3) tf_future_release(&mix[idx]);
    }
    tf_future_release(&mix[1]);
    tf_future_release(&mix[3]);

    /* Releasing a pending future: the task still runs and the run ends. */
    TH_EQ(tf_submit(pool, "slow", &ms, 8, &f), 0);
    tf_future_release(&f);
    TH_CHECK(f == NULL, "tf_future_release left the pointer set");
    TH_EQ(tf_wait_all(pool), 0);
    return 0;
}

static void test_future_api(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_future_api, NULL), 0);
    tf_pool_destroy(&pool);
}

/* in: uint64 us of work; out: the rank that ran it (uint64). */
static int fn_where(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)len;
    th_spin_us((unsigned)th_get_u64(in));
    uint64_t r = (uint64_t)tf_pool_rank(tf_task_pool(t));
    return tf_buf_append(out, &r, sizeof r);
}

/* tf_submit_ex with TF_SUBMIT_AVOID: no task runs on the rank it avoids,
 * whether that rank is idle, the driver's own (0) or the only idle one, and
 * the run still ends. Mixed with plain tasks, so that avoiding jobs sit in
 * the queue between others. */
static int drv_avoid(tf_pool *pool, void *arg)
{
    (void)arg;
    enum { N = 600 };
    int size = tf_pool_size(pool);
    static tf_future *f[N];
    static uint64_t work[N];
    int avoid[N];
    for (size_t i = 0; i < N; i++) {
        work[i] = i % 7 == 0 ? 2000 : 50;
        avoid[i] = i % 3 == 2 ? -1 : (int)(i / 3) % size;
        tf_submit_opts o = {avoid[i] >= 0 ? TF_SUBMIT_AVOID : 0, avoid[i]};
        int rc = tf_submit_ex(pool, "where", &work[i], 8, &o, &f[i]);
        if (!TH_CHECK(rc == 0, "tf_submit_ex %zu: %s", i, tf_err_name(rc))) return -1;
    }
    size_t bad = 0, elsewhere = 0;
    for (size_t i = 0; i < N; i++) {
        TH_EQ(tf_wait(f[i]), 0);
        const void *o;
        size_t len;
        if (tf_future_result(f[i], &o, &len) == 0 && len == 8) {
            int r = (int)th_get_u64(o);
            if (avoid[i] >= 0 && size > 1 && r == avoid[i]) bad++;
            if (avoid[i] >= 0 && r != avoid[i]) elsewhere++;
        } else {
            bad++;
        }
        tf_future_release(&f[i]);
    }
    TH_EQ(bad, 0);
    if (size > 1) TH_EQ(elsewhere, 400);
    /* every task avoids rank 0 (the driver): the others run them all */
    for (size_t i = 0; i < 50; i++) {
        tf_submit_opts o = {TF_SUBMIT_AVOID, 0};
        TH_EQ(tf_submit_ex(pool, "where", &work[1], 8, &o, &f[i]), 0);
    }
    for (size_t i = 0; i < 50; i++) {
        const void *o;
        size_t len;
        TH_EQ(tf_wait(f[i]), 0);
        if (tf_future_result(f[i], &o, &len) == 0 && len == 8 && size > 1)
            TH_CHECK(th_get_u64(o) != 0, "task %zu ran on the rank it avoids", i);
        tf_future_release(&f[i]);
    }
    TH_EQ(tf_wait_all(pool), 0);
    return 0;
}

static void test_submit_avoid(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_avoid, NULL), 0);
    tf_pool_destroy(&pool);
}

TH_FUNCS(TH_FUNC("lin", fn_lin), TH_FUNC("slow", fn_slow), TH_FUNC("where", fn_where));
TH_TESTS(TH_TEST(test_map_unordered_arrivals), TH_TEST(test_window_of_futures),
         TH_TEST(test_future_api), TH_TEST(test_submit_avoid));
