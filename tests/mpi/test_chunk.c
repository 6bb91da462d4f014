/* test_chunk.c - the same map under every chunk and wait policy, and under
 * the environment overrides: results exact, every task run once. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* in: uint64 i; out: uint64 i*i+1; a little work every 64th task so that
 * chunks do not all take the same time. */
static int fn_sq1(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != 8) return tf_task_fail(t, "sq1 wants 8 bytes, got %zu", len);
    uint64_t i = th_get_u64(in), r = i * i + 1;
    if (i % 64 == 0) th_spin_us(50);
    return tf_buf_append(out, &r, sizeof r);
}

static int drv_map(tf_pool *pool, void *arg)
{
    size_t n = *(size_t *)arg, bad = 0;
    uint64_t *in = malloc(n * sizeof *in);
    for (size_t i = 0; i < n; i++) in[i] = i;
    tf_results *res = NULL;
    int rc = tf_map(pool, "sq1", in, 8, n, &res);
    TH_CHECK(rc == 0, "tf_map: %s: %s", tf_err_name(rc), tf_pool_errmsg(pool));
    if (res) {
        TH_EQ(tf_results_count(res), n);
        TH_EQ(tf_results_failed(res), 0);
        for (size_t i = 0; i < tf_results_count(res); i++) {
            const void *o = NULL;
            size_t len = 0;
            int st = tf_results_get(res, i, &o, &len);
            if ((st != 0 || len != 8 || th_get_u64(o) != (uint64_t)i * i + 1) && bad++ == 0)
                TH_CHECK(0, "result %zu: %s, %zu bytes", i, tf_err_name(st), len);
        }
    }
    TH_EQ(bad, 0);
    tf_results_free(&res);
    free(in);
    return 0;
}

/* Maps n tasks on a pool made with opts; checks results and task counts and
 * returns the dispatches (chunks) summed over ranks. */
static uint64_t map_with(const tf_pool_opts *opts, size_t n, const char *what)
{
    tf_pool *pool = th_pool(opts);
    if (!pool) return 0;
    tf_stats s;
    TH_EQ(th_run(pool, drv_map, &n), 0);
    TH_EQ(tf_pool_stats(pool, &s), 0);
    uint64_t tasks = th_sum_u64(s.tasks), chunks = th_sum_u64(s.chunks);
    TH_CHECK(tasks == n, "%s: %llu tasks run, want %zu", what, (unsigned long long)tasks, n);
    TH_CHECK(chunks >= 1 && chunks <= tasks, "%s: %llu chunks for %llu tasks", what,
             (unsigned long long)chunks, (unsigned long long)tasks);
    tf_pool_destroy(&pool);
    return chunks;
}

#define N 20000

static void test_chunk_fixed_1(void)
{
    tf_pool_opts o = {.chunk = TF_CHUNK_FIXED, .chunk_size = 1};
    uint64_t chunks = map_with(&o, N, "fixed 1");
    TH_CHECK(chunks == N, "fixed 1: %llu chunks", (unsigned long long)chunks);
}

static void test_chunk_fixed_7(void)
{
    tf_pool_opts o = {.chunk = TF_CHUNK_FIXED, .chunk_size = 7};
    uint64_t chunks = map_with(&o, N, "fixed 7");
    TH_CHECK(chunks >= (N + 6) / 7, "fixed 7: %llu chunks", (unsigned long long)chunks);
}

static void test_chunk_fixed_larger_than_n(void)
{
    tf_pool_opts o = {.chunk = TF_CHUNK_FIXED, .chunk_size = 100000};
    map_with(&o, 1000, "fixed 100000");
}

static void test_chunk_guided(void)
{
    tf_pool_opts o = {.chunk = TF_CHUNK_GUIDED};
    map_with(&o, N, "guided");
    tf_pool_opts o5 = {.chunk = TF_CHUNK_GUIDED, .chunk_size = 5};
    map_with(&o5, N, "guided min 5");
}

static void test_chunk_auto(void)
{
    map_with(NULL, N, "auto (NULL opts)");
    tf_pool_opts o = {.chunk = TF_CHUNK_AUTO, .chunk_target_s = 1e-4, .prefetch_s = 1e-3};
    map_with(&o, N, "auto 100 us");
    tf_pool_opts big = {.chunk = TF_CHUNK_AUTO, .chunk_target_s = 0.05, .prefetch_s = 0.1};
    map_with(&big, N, "auto 50 ms");
}

static void test_wait_policies(void)
{
    static const struct {
        tf_wait_policy w;
        const char *name;
    } pol[] = {{TF_WAIT_AUTO, "auto"},
               {TF_WAIT_SPIN, "spin"},
               {TF_WAIT_YIELD, "yield"},
               {TF_WAIT_BLOCK, "block"}};
    for (size_t k = 0; k < sizeof pol / sizeof pol[0]; k++) {
        tf_pool_opts o = {.wait = pol[k].w, .spin_us = 20};
        map_with(&o, 5000, pol[k].name);
        tf_pool_opts f = {.wait = pol[k].w, .chunk = TF_CHUNK_FIXED, .chunk_size = 3};
        map_with(&f, 2000, pol[k].name);
    }
}

static void test_env_overrides(void)
{
    static const char *const settings[][2] = {
        {"TF_CHUNK", "1"},         {"TF_CHUNK", "13"},
        {"TF_CHUNK", "guided"},    {"TF_CHUNK", "auto"},
        {"TF_WAIT", "block"},      {"TF_WAIT", "yield"},
        {"TF_SPIN_US", "0"},       {"TF_CHUNK_TARGET_US", "200"},
        {"TF_PREFETCH_US", "500"},
    };
    for (size_t k = 0; k < sizeof settings / sizeof settings[0]; k++) {
        setenv(settings[k][0], settings[k][1], 1);
        char what[64];
        snprintf(what, sizeof what, "%s=%s", settings[k][0], settings[k][1]);
        /* The variable beats the option. */
        tf_pool_opts o = {.chunk = TF_CHUNK_FIXED, .chunk_size = 1000};
        uint64_t chunks = map_with(&o, 3000, what);
        if (strcmp(what, "TF_CHUNK=1") == 0)
            TH_CHECK(chunks == 3000, "%s: %llu chunks", what, (unsigned long long)chunks);
        unsetenv(settings[k][0]);
    }
}

TH_FUNCS(TH_FUNC("sq1", fn_sq1));
TH_TESTS(TH_TEST(test_chunk_auto), TH_TEST(test_chunk_guided), TH_TEST(test_chunk_fixed_7),
         TH_TEST(test_chunk_fixed_1), TH_TEST(test_chunk_fixed_larger_than_n),
         TH_TEST(test_wait_policies), TH_TEST(test_env_overrides));
