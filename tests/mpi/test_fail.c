/* test_fail.c - failing tasks and unknown task functions: each failure is
 * reported where it belongs, and the run goes on. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* in: uint64 i; odd i fails with a message, even i gives 2*i. */
static int fn_oddfail(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint64_t i = th_get_u64(in);
    (void)len;
    if (i % 2) return tf_task_fail(t, "odd input %llu", (unsigned long long)i);
    uint64_t r = 2 * i;
    return tf_buf_append(out, &r, sizeof r);
}

/* in: uint64 i; i%3==1 returns 17, i%3==2 returns -77, else gives i. */
static int fn_code(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t, (void)len;
    uint64_t i = th_get_u64(in);
    if (i % 3 == 1) return 17;
    if (i % 3 == 2) return -77;
    return tf_buf_append(out, &i, sizeof i);
}

/* in: uint64 i; gives i+7 after 200 us of work. Registered on rank 0 only. */
static int fn_only0(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t, (void)len;
    th_spin_us(200);
    uint64_t r = th_get_u64(in) + 7;
    return tf_buf_append(out, &r, sizeof r);
}

/* in: uint64 i; gives i+7 after 200 us, everywhere. */
static int fn_plus7(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    return fn_only0(t, in, len, out);
}

static uint64_t *iota(size_t n)
{
    uint64_t *v = malloc(n * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = i;
    return v;
}

/* A failure message must say where ("rank R: task I: ...") and why. */
static int good_message(const char *err, const char *why)
{
    int r = th_msg_rank(err);
    return err && strstr(err, "rank ") && strstr(err, "task ") && strstr(err, why) && r >= 0 &&
           r < th_size();
}

/* ---- failing tasks in tf_map ------------------------------------------- */

static int drv_map_failures(tf_pool *pool, void *arg)
{
    (void)arg;
    size_t n = 1001;
    uint64_t *in = iota(n);
    tf_results *res = NULL;
    int rc = tf_map(pool, "oddfail", in, 8, n, &res);
    TH_CHECK(rc == TF_ETASK, "tf_map with failing tasks returns TF_ETASK, got %s", tf_err_name(rc));
    if (res) {
        TH_EQ(tf_results_count(res), n);
        TH_EQ(tf_results_failed(res), n / 2);
        size_t bad = 0;
        for (size_t i = 0; i < tf_results_count(res); i++) {
            const void *o = NULL;
            size_t len = 0;
            int st = tf_results_get(res, i, &o, &len);
            const char *err = tf_results_error(res, i);
            int ok;
            if (i % 2) {
                char why[64];
                snprintf(why, sizeof why, "odd input %zu", i);
                ok = st == TF_ETASK && good_message(err, why);
            } else {
                ok = st == 0 && err == NULL && len == 8 && o && th_get_u64(o) == 2 * i;
            }
            if (!ok && bad++ < 3)
                TH_CHECK(0, "input %zu: status %s, len %zu, error \"%s\"", i, tf_err_name(st), len,
                         err ? err : "(null)");
        }
        TH_EQ(bad, 0);
    }
    tf_results_free(&res);

    /* Arbitrary non-zero codes. */
    rc = tf_map(pool, "code", in, 8, 300, &res);
    TH_CHECK(rc == TF_ETASK, "tf_map: %s", tf_err_name(rc));
    if (res) {
        TH_EQ(tf_results_failed(res), 200);
        size_t bad = 0;
        for (size_t i = 0; i < tf_results_count(res); i++) {
            const void *o = NULL;
            size_t len = 0;
            int st = tf_results_get(res, i, &o, &len);
            int want = i % 3 == 0 ? 0 : i % 3 == 1 ? 17 : -77;
            const char *err = tf_results_error(res, i);
            /* The header says the task fails "with that code"; a positive
             * code may also come back as TF_ETASK, if its message names it. */
            int ok = (st == want || (want == 17 && st == TF_ETASK && err && strstr(err, "17"))) &&
                     (want == 0) == (err == NULL);
            if (ok && want == 0) ok = len == 8 && th_get_u64(o) == i;
            if (!ok && bad++ < 3)
                TH_CHECK(0, "input %zu: status %d (%s), want %d, error \"%s\"", i, st,
                         tf_err_name(st), want, err ? err : "(null)");
        }
        TH_EQ(bad, 0);
    }
    tf_results_free(&res);
    free(in);
    return 0;
}

static void test_map_failures(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) {
        tf_stats before, after;
        tf_pool_stats(pool, &before);
        TH_EQ(th_run(pool, drv_map_failures, NULL), 0);
        tf_pool_stats(pool, &after);
        TH_EQ(th_sum_u64(after.failed - before.failed), 500 + 200);
        TH_EQ(th_sum_u64(after.tasks - before.tasks), 1001 + 300);
    }
    tf_pool_destroy(&pool);
}

/* ---- futures fail one by one ------------------------------------------- */

static int drv_future_failures(tf_pool *pool, void *arg)
{
    (void)arg;
    enum { N = 40 };
    uint64_t in[N];
    tf_future *f[N];
    for (size_t i = 0; i < N; i++) {
        in[i] = i;
        f[i] = NULL;
        int rc = tf_submit(pool, "oddfail", &in[i], 8, &f[i]);
        TH_CHECK(rc == 0, "tf_submit: %s", tf_err_name(rc));
    }
    for (size_t i = 0; i < N; i++) {
        if (!f[i]) continue;
        int st = tf_wait(f[i]);
        const void *o = NULL;
        size_t len = 0;
        TH_EQ(tf_future_result(f[i], &o, &len), st);
        const char *err = tf_future_error(f[i]);
        if (i % 2) {
            char why[64];
            snprintf(why, sizeof why, "odd input %zu", i);
            TH_CHECK(st == TF_ETASK && good_message(err, why), "future %zu: %s, \"%s\"", i,
                     tf_err_name(st), err ? err : "(null)");
        } else {
            TH_CHECK(st == 0 && err == NULL && len == 8 && th_get_u64(o) == 2 * i,
                     "future %zu: %s, %zu bytes", i, tf_err_name(st), len);
        }
        tf_future_release(&f[i]);
    }
    /* Futures report their own failures; tf_wait_all counts spawned ones. */
    int rc = tf_wait_all(pool);
    TH_CHECK(rc == 0, "tf_wait_all after failed futures: %s", tf_err_name(rc));
    return 0;
}

static void test_future_failures(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_future_failures, NULL), 0);
    tf_pool_destroy(&pool);
}

/* ---- tf_map_unordered with failures ----------------------------------- */

struct unord {
    size_t calls, failed, bad;
    unsigned char *seen;
};

static void unord_cb(void *arg, size_t index, int status, const void *out, size_t len,
                     const char *err)
{
    struct unord *u = arg;
    u->calls++;
    if (index >= 100 || u->seen[index]++) {
        u->bad++;
        return;
    }
    if (index % 2) {
        u->failed++;
        u->bad += !(status == TF_ETASK && err && strstr(err, "odd input"));
    } else {
        u->bad += !(status == 0 && err == NULL && len == 8 && th_get_u64(out) == 2 * index);
    }
}

static int drv_unordered_failures(tf_pool *pool, void *arg)
{
    (void)arg;
    uint64_t *in = iota(100);
    unsigned char seen[100] = {0};
    struct unord u = {0, 0, 0, seen};
    int rc = tf_map_unordered(pool, "oddfail", in, 8, 100, unord_cb, &u);
    TH_CHECK(rc == TF_ETASK, "tf_map_unordered with failures: %s", tf_err_name(rc));
    TH_EQ(u.calls, 100);
    TH_EQ(u.failed, 50);
    TH_EQ(u.bad, 0);
    free(in);
    return 0;
}

static void test_unordered_failures(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_unordered_failures, NULL), 0);
    tf_pool_destroy(&pool);
}

/* ---- unknown task functions --------------------------------------------- */

static int check_plus7(tf_pool *pool, size_t n)
{
    uint64_t *in = iota(n);
    tf_results *res = NULL;
    int rc = tf_map(pool, "plus7", in, 8, n, &res);
    TH_CHECK(rc == 0, "tf_map plus7: %s", tf_err_name(rc));
    size_t bad = 0;
    if (res) {
        TH_EQ(tf_results_failed(res), 0);
        for (size_t i = 0; i < tf_results_count(res); i++) {
            const void *o = NULL;
            size_t len = 0;
            bad += tf_results_get(res, i, &o, &len) != 0 || len != 8 || th_get_u64(o) != i + 7;
        }
    }
    TH_EQ(bad, 0);
    tf_results_free(&res);
    free(in);
    return (int)bad;
}

static int drv_only0(tf_pool *pool, void *arg)
{
    (void)arg;
    size_t n = 1000, ok = 0, nofunc = 0, bad = 0;
    uint64_t *in = iota(n);
    tf_results *res = NULL;
    int rc = tf_map(pool, "only0", in, 8, n, &res);
    TH_CHECK(rc == 0 || rc == TF_ETASK, "tf_map only0: %s", tf_err_name(rc));
    if (res) {
        TH_EQ(tf_results_count(res), n);
        for (size_t i = 0; i < tf_results_count(res); i++) {
            const void *o = NULL;
            size_t len = 0;
            int st = tf_results_get(res, i, &o, &len);
            const char *err = tf_results_error(res, i);
            if (st == 0 && len == 8 && th_get_u64(o) == i + 7) {
                ok++;
            } else if (st == TF_ENOFUNC && good_message(err, "only0") && th_msg_rank(err) != 0) {
                nofunc++;
            } else if (bad++ < 3) {
                TH_CHECK(0, "input %zu: %s, %zu bytes, \"%s\"", i, tf_err_name(st), len,
                         err ? err : "(null)");
            }
        }
        TH_EQ(tf_results_failed(res), nofunc);
    }
    TH_EQ(bad, 0);
    TH_EQ(ok + nofunc, n);
    TH_EQ(rc, nofunc ? TF_ETASK : 0);
    if (th_size() == 1)
        TH_EQ(nofunc, 0);
    else
        TH_CHECK(nofunc > 0, "%zu tasks of 200 us in chunks of 1 and no other rank ran one", n);
    tf_results_free(&res);
    free(in);

    /* The job goes on: the same pool still maps. */
    check_plus7(pool, 500);
    return 0;
}

static void test_function_on_rank0_only(void)
{
    tf_pool_opts opts = {.chunk = TF_CHUNK_FIXED, .chunk_size = 1};
    tf_pool *pool = th_pool(&opts);
    if (!pool) return;
    if (th_rank() == 0) TH_EQ(tf_register(pool, "only0", fn_only0), 0);
    TH_EQ(th_run(pool, drv_only0, NULL), 0);
    tf_pool_destroy(&pool);
}

/* A name rank 0 never registered fails every call at once (test_contract
 * tries each call); nothing runs, and the run goes on. */
static int drv_nowhere(tf_pool *pool, void *arg)
{
    (void)arg;
    size_t n = 100;
    uint64_t *in = iota(n);
    tf_results *res = NULL;
    int rc = tf_map(pool, "nowhere", in, 8, n, &res);
    TH_CHECK(rc == TF_ENOFUNC, "tf_map of an unknown function: %s", tf_err_name(rc));
    TH_CHECK(res == NULL, "tf_map of an unknown function made results");
    TH_CHECK(strstr(tf_pool_errmsg(pool), "'nowhere'"), "\"%s\"", tf_pool_errmsg(pool));

    tf_future *f = NULL;
    rc = tf_submit(pool, "nowhere", in, 8, &f);
    TH_CHECK(rc == TF_ENOFUNC, "tf_submit of an unknown function: %s", tf_err_name(rc));
    TH_CHECK(f == NULL, "tf_submit of an unknown function made a future");
    tf_future_release(&f);

    TH_EQ(tf_wait_all(pool), 0);
    check_plus7(pool, 300);
    free(in);
    return 0;
}

static void test_function_registered_nowhere(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) {
        TH_EQ(th_run(pool, drv_nowhere, NULL), 0);
        /* A later run on the same pool is normal. */
        TH_EQ(th_run(pool, drv_future_failures, NULL), 0);
    }
    tf_pool_destroy(&pool);
}

TH_FUNCS(TH_FUNC("oddfail", fn_oddfail), TH_FUNC("code", fn_code), TH_FUNC("plus7", fn_plus7));
TH_TESTS(TH_TEST(test_map_failures), TH_TEST(test_future_failures),
         TH_TEST(test_unordered_failures), TH_TEST(test_function_on_rank0_only),
         TH_TEST(test_function_registered_nowhere));
