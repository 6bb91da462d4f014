/* test_map.c - ordered tf_map and tf_mapv: a million tasks, inputs of varied
 * lengths, zero-byte elements, zero tasks, fewer tasks than ranks, and n *
 * elem_size past what memory can hold. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* in: uint64 i; out: uint64 i*i+1. */
static int fn_sq1(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != 8) return tf_task_fail(t, "sq1 wants 8 bytes, got %zu", len);
    uint64_t i = th_get_u64(in), r = i * i + 1;
    return tf_buf_append(out, &r, sizeof r);
}

/* in: any bytes; out: each byte + 1, then the input length as uint64. */
static int fn_inc(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t;
    unsigned char *o = tf_buf_reserve(out, len + 8);
    if (!o) return TF_ENOMEM;
    const unsigned char *s = in;
    for (size_t j = 0; j < len; j++) o[j] = (unsigned char)(s[j] + 1);
    th_put_u64(o + len, len);
    return 0;
}

/* in: nothing; out: nothing. */
static int fn_empty(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in;
    if (len != 0) return tf_task_fail(t, "empty wants 0 bytes, got %zu", len);
    return tf_buf_len(out) == 0 ? 0 : tf_task_fail(t, "output not empty at start");
}

/* Counts what each result holds against sq1 of 0..n-1; returns mismatches
 * and reports the first. */
static size_t check_sq1(const tf_results *res, size_t n)
{
    size_t bad = 0;
    if (!TH_CHECK(res != NULL, "no results")) return n;
    TH_EQ(tf_results_count(res), n);
    TH_EQ(tf_results_failed(res), 0);
    for (size_t i = 0; i < n && i < tf_results_count(res); i++) {
        const void *o = NULL;
        size_t len = 0;
        int st = tf_results_get(res, i, &o, &len);
        if (st != 0 || len != 8 || !o || th_get_u64(o) != (uint64_t)i * i + 1) {
            if (bad++ == 0)
                TH_CHECK(0, "result %zu: status %s, len %zu, value %llu, want %llu", i,
                         tf_err_name(st), len,
                         (unsigned long long)(o && len == 8 ? th_get_u64(o) : 0),
                         (unsigned long long)i * i + 1);
        }
    }
    TH_EQ(bad, 0);
    return bad;
}

static uint64_t *iota(size_t n)
{
    uint64_t *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = i;
    return v;
}

/* ---- a million tasks -------------------------------------------------- */

#define BIG_N 1000000

static int drv_big(tf_pool *pool, void *arg)
{
    (void)arg;
    uint64_t *in = iota(BIG_N);
    tf_results *res = NULL;
    int rc = tf_map(pool, "sq1", in, 8, BIG_N, &res);
    TH_CHECK(rc == 0, "tf_map: %s: %s", tf_err_name(rc), tf_pool_errmsg(pool));
    check_sq1(res, BIG_N);
    tf_results_free(&res);
    TH_CHECK(res == NULL, "tf_results_free left the pointer set");
    free(in);
    return 0;
}

static void test_map_million(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_big, NULL), 0);
    tf_pool_destroy(&pool);
}

/* ---- varied lengths with tf_mapv --------------------------------------- */

static size_t vlen(size_t i)
{
    static const size_t special[] = {0, 1, 2, 7, 8, 9, 4095, 4096, 4097, 65536, 1 << 20};
    size_t ns = sizeof special / sizeof special[0];
    return i < ns ? special[i] : (i * 7919) % 3001;
}

static int drv_mapv(tf_pool *pool, void *arg)
{
    size_t n = *(size_t *)arg;
    const void **in = calloc(n, sizeof *in);
    size_t *len = calloc(n, sizeof *len);
    unsigned char **bufs = calloc(n, sizeof *bufs);
    for (size_t i = 0; i < n; i++) {
        len[i] = vlen(i);
        bufs[i] = malloc(len[i] ? len[i] : 1);
        for (size_t j = 0; j < len[i]; j++) bufs[i][j] = (unsigned char)(i * 31 + j);
        in[i] = bufs[i];
    }
    tf_results *res = NULL;
    int rc = tf_mapv(pool, "inc", in, len, n, &res);
    TH_CHECK(rc == 0, "tf_mapv: %s: %s", tf_err_name(rc), tf_pool_errmsg(pool));
    size_t bad = 0;
    if (res) {
        TH_EQ(tf_results_count(res), n);
        TH_EQ(tf_results_failed(res), 0);
        for (size_t i = 0; i < n && i < tf_results_count(res); i++) {
            const unsigned char *o = NULL;
            size_t olen = 0;
            int st = tf_results_get(res, i, (const void **)&o, &olen);
            int ok = st == 0 && olen == len[i] + 8 && o && th_get_u64(o + len[i]) == len[i];
            for (size_t j = 0; ok && j < len[i]; j++) ok = o[j] == (unsigned char)(bufs[i][j] + 1);
            if (!ok && bad++ == 0)
                TH_CHECK(0, "mapv result %zu (in %zu bytes): status %s, out %zu bytes", i, len[i],
                         tf_err_name(st), olen);
        }
    }
    TH_EQ(bad, 0);
    tf_results_free(&res);
    for (size_t i = 0; i < n; i++) free(bufs[i]);
    free(bufs);
    free(len);
    free(in);
    return 0;
}

static void test_mapv_varied(void)
{
    tf_pool *pool = th_pool(NULL);
    size_t n = 5000;
    if (pool) TH_EQ(th_run(pool, drv_mapv, &n), 0);
    tf_pool_destroy(&pool);
}

/* ---- zero-byte elements ------------------------------------------------ */

static int drv_zero_bytes(tf_pool *pool, void *arg)
{
    (void)arg;
    static const char dummy[1];
    size_t n = 1000;
    tf_results *res = NULL;
    int rc = tf_map(pool, "empty", dummy, 0, n, &res);
    TH_CHECK(rc == 0, "tf_map of 0-byte elements: %s: %s", tf_err_name(rc), tf_pool_errmsg(pool));
    if (res) {
        TH_EQ(tf_results_count(res), n);
        TH_EQ(tf_results_failed(res), 0);
        size_t bad = 0;
        for (size_t i = 0; i < tf_results_count(res); i++) {
            const void *o = NULL;
            size_t len = 99;
            int st = tf_results_get(res, i, &o, &len);
            if ((st != 0 || len != 0) && bad++ == 0)
                TH_CHECK(0, "result %zu: status %s, len %zu, err %s", i, tf_err_name(st), len,
                         tf_results_error(res, i) ? tf_results_error(res, i) : "-");
        }
        TH_EQ(bad, 0);
    }
    tf_results_free(&res);

    /* The same through tf_mapv with every length 0. */
    const void *ins[64];
    size_t lens[64];
    for (size_t i = 0; i < 64; i++) {
        ins[i] = dummy;
        lens[i] = 0;
    }
    rc = tf_mapv(pool, "empty", ins, lens, 64, &res);
    TH_CHECK(rc == 0, "tf_mapv of 0-byte inputs: %s", tf_err_name(rc));
    if (res) {
        TH_EQ(tf_results_count(res), 64);
        TH_EQ(tf_results_failed(res), 0);
    }
    tf_results_free(&res);
    return 0;
}

static void test_map_zero_byte_elements(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_zero_bytes, NULL), 0);
    tf_pool_destroy(&pool);
}

/* ---- zero tasks --------------------------------------------------------- */

static int unordered_calls;

static void count_cb(void *arg, size_t index, int status, const void *out, size_t len,
                     const char *err)
{
    (void)arg, (void)index, (void)status, (void)out, (void)len, (void)err;
    unordered_calls++;
}

static int drv_zero_tasks(tf_pool *pool, void *arg)
{
    (void)arg;
    uint64_t one = 1;
    tf_results *res = NULL;

    int rc = tf_map(pool, "sq1", &one, 8, 0, &res);
    TH_CHECK(rc == 0, "tf_map n=0: %s", tf_err_name(rc));
    TH_CHECK(res != NULL, "tf_map n=0 gave no results object");
    if (res) {
        TH_EQ(tf_results_count(res), 0);
        TH_EQ(tf_results_failed(res), 0);
    }
    tf_results_free(&res);

    rc = tf_map(pool, "sq1", NULL, 8, 0, &res);
    TH_CHECK(rc == 0, "tf_map n=0 with in=NULL: %s", tf_err_name(rc));
    if (res) TH_EQ(tf_results_count(res), 0);
    tf_results_free(&res);

    rc = tf_mapv(pool, "sq1", NULL, NULL, 0, &res);
    TH_CHECK(rc == 0, "tf_mapv n=0: %s", tf_err_name(rc));
    if (res) TH_EQ(tf_results_count(res), 0);
    tf_results_free(&res);

    unordered_calls = 0;
    rc = tf_map_unordered(pool, "sq1", &one, 8, 0, count_cb, NULL);
    TH_CHECK(rc == 0, "tf_map_unordered n=0: %s", tf_err_name(rc));
    TH_EQ(unordered_calls, 0);

    rc = tf_wait_all(pool);
    TH_CHECK(rc == 0, "tf_wait_all with nothing: %s", tf_err_name(rc));
    rc = tf_wait_all(pool);
    TH_CHECK(rc == 0, "tf_wait_all twice: %s", tf_err_name(rc));
    return 0;
}

static int drv_nothing(tf_pool *pool, void *arg)
{
    (void)pool, (void)arg;
    return 0;
}

static void test_zero_tasks(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) {
        TH_EQ(th_run(pool, drv_zero_tasks, NULL), 0);
        TH_EQ(th_run(pool, drv_nothing, NULL), 0);
        tf_stats st;
        TH_EQ(tf_pool_stats(pool, &st), 0);
        TH_EQ(th_sum_u64(st.tasks), 0);
    }
    tf_pool_destroy(&pool);
}

/* ---- fewer tasks than ranks --------------------------------------------- */

static int drv_few(tf_pool *pool, void *arg)
{
    (void)arg;
    uint64_t *in = iota(8);
    for (size_t n = 1; n <= 3; n++) {
        tf_results *res = NULL;
        int rc = tf_map(pool, "sq1", in, 8, n, &res);
        TH_CHECK(rc == 0, "tf_map n=%zu: %s", n, tf_err_name(rc));
        check_sq1(res, n);
        tf_results_free(&res);
    }
    uint64_t x = 5;
    tf_future *f = NULL;
    int rc = tf_submit(pool, "sq1", &x, 8, &f);
    TH_CHECK(rc == 0, "tf_submit: %s", tf_err_name(rc));
    if (f) {
        TH_EQ(tf_wait(f), 0);
        const void *o = NULL;
        size_t len = 0;
        TH_EQ(tf_future_result(f, &o, &len), 0);
        TH_EQ(len, 8);
        if (o && len == 8) TH_EQ(th_get_u64(o), 26);
    }
    tf_future_release(&f);
    TH_CHECK(f == NULL, "tf_future_release left the pointer set");
    free(in);
    return 0;
}

static void test_fewer_tasks_than_ranks(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_few, NULL), 0);
    tf_pool_destroy(&pool);
}

/* ---- n * elem_size too large ---------------------------------------------- */

static int overflow_calls;

static void overflow_cb(void *arg, size_t index, int status, const void *out, size_t len,
                        const char *err)
{
    (void)arg, (void)index, (void)status, (void)out, (void)len, (void)err;
    overflow_calls++;
}

/* Each map entry point refuses inputs that no memory can hold (n *
 * elem_size wraps round, or passes the largest object) with TF_ETOOBIG
 * before any task is handed out; the pool then maps as before. */
static int drv_overflow(tf_pool *pool, void *arg)
{
    (void)arg;
    static const struct {
        size_t elem, n;
    } cases[] = {
        {16, SIZE_MAX / 8}, /* wraps round */
        {2, SIZE_MAX / 2},  /* fits size_t, passes PTRDIFF_MAX */
        {(size_t)1 << 20, SIZE_MAX / ((size_t)1 << 19)},
        {SIZE_MAX / 2 + 1, 2}, /* an element too large as well */
    };
    uint64_t small[4] = {0, 1, 2, 3};
    char path[512];
    const char *dir = getenv("TF_BINARY_DIR");
    snprintf(path, sizeof path, "%s/tf-test-overflow-%ld", dir && *dir ? dir : "/tmp",
             (long)getpid());
    tf_output *o = NULL;
    TH_EQ(tf_output_open(pool, path, TF_OUTPUT_ORDERED, NULL, &o), 0);
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t elem = cases[k].elem, n = cases[k].n;
        tf_results *res = NULL;
        int rc = tf_map(pool, "sq1", small, elem, n, &res);
        TH_CHECK(rc == TF_ETOOBIG, "tf_map of %zu x %zu bytes: %s", n, elem, tf_err_name(rc));
        TH_CHECK(strstr(tf_pool_errmsg(pool), "tf_map") != NULL, "message: %s",
                 tf_pool_errmsg(pool));
        TH_CHECK(res == NULL, "results on error");
        tf_results_free(&res);
        overflow_calls = 0;
        rc = tf_map_unordered(pool, "sq1", small, elem, n, overflow_cb, NULL);
        TH_CHECK(rc == TF_ETOOBIG, "tf_map_unordered of %zu x %zu bytes: %s", n, elem,
                 tf_err_name(rc));
        TH_EQ(overflow_calls, 0);
        size_t failed = 99;
        if (o) {
            rc = tf_map_to(pool, "sq1", small, elem, n, o, &failed);
            TH_CHECK(rc == TF_ETOOBIG, "tf_map_to of %zu x %zu bytes: %s", n, elem,
                     tf_err_name(rc));
            TH_EQ(failed, 0);
        }
    }
    if (o) {
        TH_EQ(tf_output_records(o), 0);
        /* the output took no positions: a map to it starts at 0 */
        TH_EQ(tf_map_to(pool, "sq1", small, 8, 4, o, NULL), 0);
        TH_EQ(tf_output_records(o), 4);
        TH_EQ(tf_output_close(&o), 0);
    }
    remove(path);
    tf_results *res = NULL;
    TH_EQ(tf_map(pool, "sq1", small, 8, 4, &res), 0);
    check_sq1(res, 4);
    tf_results_free(&res);
    return 0;
}

static void test_map_size_overflow(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_overflow, NULL), 0);
    tf_pool_destroy(&pool);
}

TH_FUNCS(TH_FUNC("sq1", fn_sq1), TH_FUNC("inc", fn_inc), TH_FUNC("empty", fn_empty));
TH_TESTS(TH_TEST(test_fewer_tasks_than_ranks), TH_TEST(test_map_zero_byte_elements),
         TH_TEST(test_mapv_varied), TH_TEST(test_map_million), TH_TEST(test_zero_tasks),
         TH_TEST(test_map_size_overflow));
