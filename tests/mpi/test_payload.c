/* test_payload.c - inputs and outputs from 0 bytes to 64 MiB, checked to the
 * last byte, one at a time and all in flight together. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"

static const size_t sizes[] = {0, 1, 1024, 64 << 10, 1 << 20, 16 << 20, 64 << 20};
#define NSIZES (sizeof sizes / sizeof sizes[0])

static unsigned char pattern(size_t j, size_t size)
{
    return (unsigned char)((j * 131u) ^ (j >> 11) ^ size);
}

static uint64_t fnv1a(const unsigned char *p, size_t len)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t j = 0; j < len; j++) h = (h ^ p[j]) * 1099511628211ull;
    return h;
}

/* out: every input byte + 1, same length. */
static int fn_inc(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t;
    if (len == 0) return 0;
    unsigned char *o = tf_buf_reserve(out, len);
    if (!o) return TF_ENOMEM;
    const unsigned char *s = in;
    for (size_t j = 0; j < len; j++) o[j] = (unsigned char)(s[j] + 1);
    return 0;
}

/* out: uint64 length, uint64 FNV-1a of the input. */
static int fn_sum(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t;
    uint64_t r[2] = {len, fnv1a(in, len)};
    return tf_buf_append(out, r, sizeof r);
}

/* in: uint64 size; out: `size` bytes of pattern(), appended in pieces. */
static int fn_gen(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != 8) return tf_task_fail(t, "gen wants 8 bytes, got %zu", len);
    size_t size = (size_t)th_get_u64(in);
    unsigned char piece[4096];
    for (size_t done = 0; done < size;) {
        size_t k = size - done < sizeof piece ? size - done : sizeof piece;
        for (size_t j = 0; j < k; j++) piece[j] = pattern(done + j, size);
        int rc = tf_buf_append(out, piece, k);
        if (rc) return rc;
        done += k;
    }
    return tf_buf_len(out) == size ? 0 : tf_task_fail(t, "tf_buf_len %zu", tf_buf_len(out));
}

static unsigned char *make_input(size_t size)
{
    unsigned char *p = malloc(size ? size : 1);
    for (size_t j = 0; p && j < size; j++) p[j] = pattern(j, size);
    return p;
}

/* Checks a done future of "inc" on make_input(size). */
static void check_inc(tf_future *f, size_t size)
{
    const unsigned char *o = NULL;
    size_t len = 12345;
    int st = tf_future_result(f, (const void **)&o, &len);
    if (!TH_CHECK(st == 0, "size %zu: status %s: %s", size, tf_err_name(st),
                  tf_future_error(f) ? tf_future_error(f) : "-"))
        return;
    if (!TH_CHECK(len == size, "size %zu: output %zu bytes", size, len)) return;
    size_t bad = 0, first = 0;
    for (size_t j = 0; j < size; j++)
        if (o[j] != (unsigned char)(pattern(j, size) + 1) && bad++ == 0) first = j;
    TH_CHECK(bad == 0, "size %zu: %zu wrong bytes, first at %zu", size, bad, first);
}

static int drv_one_at_a_time(tf_pool *pool, void *arg)
{
    (void)arg;
    for (size_t k = 0; k < NSIZES; k++) {
        size_t size = sizes[k];
        unsigned char *in = make_input(size);
        tf_future *f = NULL;
        int rc = tf_submit(pool, "inc", in, size, &f);
        if (TH_CHECK(rc == 0, "submit %zu bytes: %s: %s", size, tf_err_name(rc),
                     tf_pool_errmsg(pool))) {
            TH_CHECK(tf_wait(f) == 0, "size %zu", size);
            check_inc(f, size);
        }
        tf_future_release(&f);

        /* The checksum variant: a large input, a small output. */
        rc = tf_submit(pool, "sum", in, size, &f);
        if (TH_CHECK(rc == 0, "submit sum %zu: %s", size, tf_err_name(rc))) {
            TH_EQ(tf_wait(f), 0);
            const void *o = NULL;
            size_t len = 0;
            TH_EQ(tf_future_result(f, &o, &len), 0);
            if (TH_CHECK(len == 16 && o, "sum output %zu bytes", len)) {
                TH_EQ(th_get_u64(o), size);
                TH_CHECK(th_get_u64((const char *)o + 8) == fnv1a(in, size), "size %zu", size);
            }
        }
        tf_future_release(&f);
        free(in);

        /* A small input, a large output. */
        uint64_t want = size;
        rc = tf_submit(pool, "gen", &want, 8, &f);
        if (TH_CHECK(rc == 0, "submit gen %zu: %s", size, tf_err_name(rc))) {
            int st = tf_wait(f);
            TH_CHECK(st == 0, "gen %zu: %s: %s", size, tf_err_name(st),
                     tf_future_error(f) ? tf_future_error(f) : "-");
            const unsigned char *o = NULL;
            size_t len = 0;
            tf_future_result(f, (const void **)&o, &len);
            if (TH_CHECK(len == size, "gen %zu: got %zu bytes", size, len)) {
                size_t bad = 0;
                for (size_t j = 0; j < size; j++) bad += o[j] != pattern(j, size);
                TH_CHECK(bad == 0, "gen %zu: %zu wrong bytes", size, bad);
            }
        }
        tf_future_release(&f);
    }
    return 0;
}

static void test_payload_sizes_one_at_a_time(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_one_at_a_time, NULL), 0);
    tf_pool_destroy(&pool);
}

static int drv_all_in_flight(tf_pool *pool, void *arg)
{
    (void)arg;
    unsigned char *in[NSIZES];
    tf_future *f[NSIZES];
    for (size_t k = 0; k < NSIZES; k++) {
        in[k] = make_input(sizes[k]);
        f[k] = NULL;
        int rc = tf_submit(pool, "inc", in[k], sizes[k], &f[k]);
        TH_CHECK(rc == 0, "submit %zu bytes: %s", sizes[k], tf_err_name(rc));
    }
    int rc = tf_wait_all(pool);
    TH_CHECK(rc == 0, "tf_wait_all: %s: %s", tf_err_name(rc), tf_pool_errmsg(pool));
    for (size_t k = 0; k < NSIZES; k++) {
        if (f[k]) check_inc(f[k], sizes[k]);
        tf_future_release(&f[k]);
        free(in[k]);
    }
    return 0;
}

static void test_payload_sizes_all_in_flight(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_all_in_flight, NULL), 0);
    tf_pool_destroy(&pool);
}

/* tf_map with 1 MiB elements: 24 MiB in, 24 MiB out. */
static int drv_map_large(tf_pool *pool, void *arg)
{
    (void)arg;
    size_t n = 24, esz = 1 << 20;
    unsigned char *in = malloc(n * esz);
    for (size_t j = 0; j < n * esz; j++) in[j] = pattern(j, esz);
    tf_results *res = NULL;
    int rc = tf_map(pool, "inc", in, esz, n, &res);
    TH_CHECK(rc == 0, "tf_map: %s: %s", tf_err_name(rc), tf_pool_errmsg(pool));
    if (res) {
        TH_EQ(tf_results_count(res), n);
        TH_EQ(tf_results_failed(res), 0);
        for (size_t i = 0; i < tf_results_count(res); i++) {
            const unsigned char *o = NULL;
            size_t len = 0;
            int st = tf_results_get(res, i, (const void **)&o, &len);
            if (!TH_CHECK(st == 0 && len == esz, "elem %zu: %s, %zu bytes", i, tf_err_name(st),
                          len))
                continue;
            size_t bad = 0;
            for (size_t j = 0; j < esz; j++) bad += o[j] != (unsigned char)(in[i * esz + j] + 1);
            TH_CHECK(bad == 0, "elem %zu: %zu wrong bytes", i, bad);
        }
    }
    tf_results_free(&res);
    free(in);
    return 0;
}

static void test_map_large_elements(void)
{
    tf_pool *pool = th_pool(NULL);
    if (pool) TH_EQ(th_run(pool, drv_map_large, NULL), 0);
    tf_pool_destroy(&pool);
}

TH_FUNCS(TH_FUNC("inc", fn_inc), TH_FUNC("sum", fn_sum), TH_FUNC("gen", fn_gen));
TH_TESTS(TH_TEST(test_payload_sizes_one_at_a_time), TH_TEST(test_payload_sizes_all_in_flight),
         TH_TEST(test_map_large_elements));
