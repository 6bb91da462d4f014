/* test_sched.c - chunk-size policies, the prefetch window and the estimate. */
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "core/schedule.h"
#include "taskfarm.h"
#include "unit.h"

static tf__sched sched(int policy, size_t chunk_size, int nworkers)
{
    tf__sched s;
    memset(&s, 0, sizeof s);
    s.policy = policy;
    s.chunk_size = chunk_size;
    s.target_s = 1e-3;
    s.prefetch_s = 4e-3;
    s.nworkers = nworkers;
    return s;
}

static tf__est est(double t)
{
    tf__est e = {t, 100};
    return e;
}

static size_t ceil_div(size_t a, size_t b) { return (a + b - 1) / b; }

static void test_fixed(void)
{
    tf__est none = {0, 0}, some = est(1e-6);
    tf__sched s = sched(TF_CHUNK_FIXED, 10, 4);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 100), 10);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &some, 100), 10); /* estimates do not matter */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 11), 10);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 10), 10);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 9), 9);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 1), 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, SIZE_MAX), 10);
    s.chunk_size = 0; /* no size: one task a chunk */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 100), 1);
    s.chunk_size = 1;
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &some, 100), 1);
    s.chunk_size = SIZE_MAX;
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 12345), 12345);
    s = sched(TF_CHUNK_FIXED, 7, 0); /* the rank count plays no part */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 100), 7);
}

static void test_guided(void)
{
    tf__est none = {0, 0}, some = est(1e-6);
    tf__sched s = sched(TF_CHUNK_GUIDED, 1, 4);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 100), 25);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &some, 100), 25);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 101), 26);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 99), 25);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 4), 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 3), 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 1), 1);
    s.chunk_size = 10; /* the minimum */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 1000), 250);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 41), 11);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 40), 10);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 20), 10);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 7), 7); /* capped by remaining */
    s.chunk_size = 0;
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 3), 1);
    s = sched(TF_CHUNK_GUIDED, 0, 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 77), 77);
    s.nworkers = 0; /* no worker count: as if one */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 77), 77);
    s.nworkers = -5;
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 77), 77);
    s.nworkers = 1000;
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 999), 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 1001), 2);
    /* no overflow near the top of size_t */
    s.nworkers = 2;
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, SIZE_MAX / 2), SIZE_MAX / 4 + 1);
}

static void test_auto_probe(void)
{
    tf__est none = {0, 0};
    tf__sched s = sched(TF_CHUNK_AUTO, 0, 4);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 1), 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 1000000), 1);
    s.chunk_size = 50; /* chunk_size plays no part in AUTO */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &none, 1000000), 1);
    /* a stale t with no measurement is ignored */
    tf__est stale = {1e-9, 0};
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &stale, 1000000), 1);
}

static void test_auto_estimate(void)
{
    tf__sched s = sched(TF_CHUNK_AUTO, 0, 4);
    tf__est e = est(1e-5); /* target 1 ms / 10 us = about 100 */
    size_t c = tf__sched_chunk(&s, &e, 1000000);
    CU_ASSERT_TRUE(c >= 99 && c <= 101);
    e = est(1e-4);
    c = tf__sched_chunk(&s, &e, 1000000);
    CU_ASSERT_TRUE(c >= 9 && c <= 11);
    e = est(3e-4); /* 3.33 */
    c = tf__sched_chunk(&s, &e, 1000000);
    CU_ASSERT_TRUE(c >= 3 && c <= 4);
    e = est(10.0); /* tasks longer than the target: one at a time */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 1000000), 1);
    e = est(1e-3);
    c = tf__sched_chunk(&s, &e, 1000000);
    CU_ASSERT_TRUE(c >= 1 && c <= 2);

    /* clamped to TF__CHUNK_MAX when there is plenty left */
    s.nworkers = 1;
    s.target_s = 1.0;
    e = est(1e-9);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, (size_t)1 << 40), TF__CHUNK_MAX);
    s.target_s = 1e6;
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, (size_t)1 << 40), TF__CHUNK_MAX);
    s.target_s = 0; /* zero target: still at least one */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 100), 1);
}

/* Towards the end no chunk exceeds ceil(remaining / (2P)). */
static void test_auto_tail(void)
{
    tf__sched s = sched(TF_CHUNK_AUTO, 0, 4);
    tf__est e = est(1e-6); /* wants 1000 */
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 1000000), 1000);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 8000), 1000);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 7999), 1000);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 7992), 999);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 400), 50);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 401), 51);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 9), 2);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 8), 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 2), 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 1), 1);
    s.nworkers = 1;
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 3), 2);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 2000), 1000);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 1999), 1000);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 1997), 999);
}

/* Every policy, many rank counts, remainders and estimates: the chunk is in
 * [1, remaining], and AUTO keeps its tail bound. */
static void test_chunk_bounds_sweep(void)
{
    const int policies[] = {TF_CHUNK_AUTO, TF_CHUNK_FIXED, TF_CHUNK_GUIDED};
    const int workers[] = {-1, 0, 1, 2, 3, 7, 64, 1000};
    const size_t sizes[] = {0, 1, 2, 5, 64, 1000, (size_t)1 << 30};
    const double ts[] = {0, 1e-12, 1e-9, 1e-6, 1e-3, 1.0, 1e3};
    const double targets[] = {0, 1e-6, 1e-3, 1.0};
    size_t bad = 0, tail_bad = 0, checked = 0;
    for (size_t a = 0; a < 3; a++)
        for (size_t b = 0; b < sizeof workers / sizeof workers[0]; b++)
            for (size_t c = 0; c < sizeof sizes / sizeof sizes[0]; c++)
                for (size_t d = 0; d < sizeof ts / sizeof ts[0]; d++)
                    for (size_t g = 0; g < sizeof targets / sizeof targets[0]; g++) {
                        tf__sched s = sched(policies[a], sizes[c], workers[b]);
                        s.target_s = targets[g];
                        tf__est e = {ts[d], d == 0 ? 0 : 5};
                        size_t p = workers[b] > 0 ? (size_t)workers[b] : 1;
                        for (size_t rem = 1; rem < 3000; rem = rem < 40 ? rem + 1 : rem * 3 / 2) {
                            size_t k = tf__sched_chunk(&s, &e, rem);
                            bad += k < 1 || k > rem;
                            if (policies[a] == TF_CHUNK_AUTO && e.n > 0)
                                tail_bad += k > ceil_div(rem, 2 * p) || k > TF__CHUNK_MAX;
                            checked++;
                        }
                    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(tail_bad, 0);
    CU_ASSERT_TRUE(checked > 10000);
}

static void test_window_no_estimate(void)
{
    tf__sched s = sched(TF_CHUNK_AUTO, 0, 4);
    tf__est none = {0, 0};
    /* the probe alone: one chunk */
    CU_ASSERT_EQUAL(tf__sched_window(&s, &none, 1), 1);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &none, 5), 5);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &none, 100000), 100000);
}

static void test_window_estimate(void)
{
    tf__sched s = sched(TF_CHUNK_AUTO, 0, 4);
    tf__est e = est(1e-5); /* 4 ms / 10 us = 400 tasks */
    size_t w = tf__sched_window(&s, &e, 1);
    CU_ASSERT_TRUE(w >= 400 && w <= 401);
    w = tf__sched_window(&s, &e, 150);
    CU_ASSERT_TRUE(w >= 400 && w <= 401);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 300), 600); /* two chunks win */

    e = est(1e-3);
    s.prefetch_s = 4.5e-3; /* 4.5 tasks: rounded up */
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 1), 5);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 2), 5);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 3), 6);

    e = est(10.0); /* long single tasks: one at a time; chunks: still two */
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 1), 1);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 2), 4);
    s.prefetch_s = 0;
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 1), 1);
    e = est(TF__LONG_TASK_S * 0.99); /* just below: two */
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 1), 2);
    e = est(TF__LONG_TASK_S);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 1), 1);
    e = (tf__est){0, 0}; /* not measured yet: the probe alone */
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 1), 1);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 3), 3);

    /* capped at TF__WINDOW_MAX unless two chunks need more */
    s.prefetch_s = 1.0;
    e = est(1e-9);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 1), TF__WINDOW_MAX);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, TF__WINDOW_MAX), 2 * TF__WINDOW_MAX);
}

static void test_window_sweep(void)
{
    const double ts[] = {1e-9, 1e-7, 3.3e-6, 1e-4, 7e-3, 1.0, 100.0};
    const double pf[] = {0, 1e-6, 4e-3, 0.1, 10.0};
    const size_t chunks[] = {1, 2, 3, 17, 1000, TF__WINDOW_MAX, TF__CHUNK_MAX};
    size_t bad = 0;
    for (size_t a = 0; a < sizeof ts / sizeof ts[0]; a++)
        for (size_t b = 0; b < sizeof pf / sizeof pf[0]; b++)
            for (size_t c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
                tf__sched s = sched(TF_CHUNK_AUTO, 0, 3);
                s.prefetch_s = pf[b];
                tf__est e = est(ts[a]);
                size_t w = tf__sched_window(&s, &e, chunks[c]);
                double need = pf[b] / ts[a];
                double cover = need < (double)TF__WINDOW_MAX ? need : (double)TF__WINDOW_MAX;
                bool one = chunks[c] == 1 && ts[a] >= TF__LONG_TASK_S;
                bad += one ? w != 1 : w < 2 * chunks[c];
                if (one) continue;
                bad += (double)w < cover * (1 - 1e-12);
                /* no more than needed: the larger of the two rules */
                bad += w > 2 * chunks[c] && (double)w > ceil(cover) + 1;
            }
    CU_ASSERT_EQUAL(bad, 0);
}

static void test_est_first_and_count_zero(void)
{
    tf__est e = {0, 0};
    tf__est_add(&e, 5.0, 0); /* nothing measured: ignored */
    CU_ASSERT_EQUAL(e.n, 0);
    tf__sched s = sched(TF_CHUNK_AUTO, 0, 1);
    CU_ASSERT_EQUAL(tf__sched_chunk(&s, &e, 1000), 1); /* still probing */

    tf__est_add(&e, 0.5, 10);
    CU_ASSERT_EQUAL(e.n, 10);
    CU_ASSERT_DOUBLE_EQUAL(e.t, 0.05, 1e-15); /* the first sample is taken whole */

    tf__est_add(&e, 123.0, 0);
    CU_ASSERT_EQUAL(e.n, 10);
    CU_ASSERT_DOUBLE_EQUAL(e.t, 0.05, 1e-15);

    tf__est_add(&e, 0.05, 1);
    CU_ASSERT_EQUAL(e.n, 11);
    CU_ASSERT_DOUBLE_EQUAL(e.t, 0.05, 1e-15);
}

static void test_est_converges(void)
{
    const uint64_t counts[] = {1, 3, 16, 100, 100000};
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        tf__est e = {0, 0};
        tf__est_add(&e, 1.0, 1); /* start far off */
        double prev = fabs(e.t - 2e-4);
        /* samples are clipped to 8x the estimate, so a far start takes a
         * few dozen samples, then the average closes in geometrically */
        for (int k = 0; k < 400; k++) {
            tf__est_add(&e, 2e-4 * (double)counts[i], counts[i]);
            double d = fabs(e.t - 2e-4);
            CU_ASSERT_TRUE(d <= prev); /* never moves away */
            prev = d;
        }
        CU_ASSERT_DOUBLE_EQUAL(e.t, 2e-4, 2e-10);
        CU_ASSERT_EQUAL(e.n, 1 + 400 * counts[i]);
    }
    /* from below as well */
    tf__est e = {0, 0};
    tf__est_add(&e, 1e-8, 1);
    for (int k = 0; k < 200; k++) tf__est_add(&e, 3.0, 30);
    CU_ASSERT_DOUBLE_EQUAL(e.t, 0.1, 1e-12);
}

/* One outlier (a rank that lost its core) moves the estimate by a bounded
 * factor, not to the outlier. */
static void test_est_outlier_clipped(void)
{
    tf__est e = {0, 0};
    for (int k = 0; k < 50; k++) tf__est_add(&e, 1e-7, 1);
    tf__est_add(&e, 1e-3, 1); /* 10^4 times the usual */
    CU_ASSERT_TRUE(e.t < 8 * 1e-7);
    CU_ASSERT_TRUE(e.t > 1e-7);
    for (int k = 0; k < 200; k++) tf__est_add(&e, 1e-7, 1);
    CU_ASSERT_DOUBLE_EQUAL(e.t, 1e-7, 1e-10);
}

/* A chunk of many tasks moves the estimate at least as far as one task. */
static void test_est_weight(void)
{
    tf__est small = {0, 0}, big = {0, 0};
    tf__est_add(&small, 1.0, 1);
    tf__est_add(&big, 1.0, 1);
    tf__est_add(&small, 0.1, 1);
    tf__est_add(&big, 0.1 * 64, 64);
    CU_ASSERT_TRUE(fabs(big.t - 0.1) <= fabs(small.t - 0.1));
    CU_ASSERT_TRUE(small.t < 1.0 && small.t > 0.1);
    CU_ASSERT_TRUE(big.t < 1.0 && big.t >= 0.1);
}

static void test_est_tiny_elapsed(void)
{
    tf__est e = {0, 0};
    tf__est_add(&e, 0.0, 5);
    CU_ASSERT_TRUE(e.t > 0);
    CU_ASSERT_TRUE(e.t <= 1e-6);
    CU_ASSERT_TRUE(isfinite(e.t));
    tf__sched s = sched(TF_CHUNK_AUTO, 0, 1);
    s.target_s = 1.0;
    size_t c = tf__sched_chunk(&s, &e, (size_t)1 << 40);
    CU_ASSERT_EQUAL(c, TF__CHUNK_MAX);
    CU_ASSERT_EQUAL(tf__sched_window(&s, &e, 1), TF__WINDOW_MAX);

    tf__est f = {0, 0};
    tf__est_add(&f, 1e-300, 1000000);
    CU_ASSERT_TRUE(f.t > 0 && isfinite(f.t));
    tf__est_add(&f, -1.0, 3); /* a clock step backwards */
    CU_ASSERT_TRUE(f.t > 0 && isfinite(f.t));
    s.target_s = 1e-3;
    c = tf__sched_chunk(&s, &f, 1000000000);
    CU_ASSERT_TRUE(c >= 1 && c <= TF__CHUNK_MAX);

    /* after tiny samples, real ones bring it back */
    for (int k = 0; k < 100; k++) tf__est_add(&f, 1e-3 * 20, 20);
    CU_ASSERT_DOUBLE_EQUAL(f.t, 1e-3, 1e-12);
}

/* The handover rule: half of the assigned work done, then each halving;
 * a full buffer; a millisecond; nothing otherwise. */
static void test_report_rule(void)
{
    size_t below = 50;
    CU_ASSERT_EQUAL(tf__sched_report(true, 60, &below, 100, 0), TF__REPORT_NONE);
    CU_ASSERT_EQUAL(below, 50);
    CU_ASSERT_EQUAL(tf__sched_report(true, 50, &below, 100, 0), TF__REPORT_WAKE);
    CU_ASSERT_EQUAL(below, 25);
    CU_ASSERT_EQUAL(tf__sched_report(true, 49, &below, 100, 0), TF__REPORT_NONE);
    CU_ASSERT_EQUAL(tf__sched_report(true, 25, &below, 100, 0), TF__REPORT_WAKE);
    CU_ASSERT_EQUAL(below, 12);
    /* a spawned task's item never counts as assigned work */
    below = 50;
    CU_ASSERT_EQUAL(tf__sched_report(false, 0, &below, 100, 0), TF__REPORT_NONE);
    CU_ASSERT_EQUAL(below, 50);
    CU_ASSERT_EQUAL(tf__sched_report(false, 0, &below, TF__REPORT_BYTES, 0), TF__REPORT_WAKE);
    CU_ASSERT_EQUAL(tf__sched_report(false, 0, &below, 100, TF__REPORT_NS - 1), TF__REPORT_NONE);
    CU_ASSERT_EQUAL(tf__sched_report(false, 0, &below, 100, TF__REPORT_NS), TF__REPORT_QUIET);
    /* the last assigned task done: reported, the mark at zero */
    below = 0;
    CU_ASSERT_EQUAL(tf__sched_report(true, 0, &below, 100, 0), TF__REPORT_WAKE);
    CU_ASSERT_EQUAL(below, 0);
}

static const unit_test tests[] = {
    UNIT_TEST(test_fixed),
    UNIT_TEST(test_guided),
    UNIT_TEST(test_auto_probe),
    UNIT_TEST(test_auto_estimate),
    UNIT_TEST(test_auto_tail),
    UNIT_TEST(test_chunk_bounds_sweep),
    UNIT_TEST(test_window_no_estimate),
    UNIT_TEST(test_window_estimate),
    UNIT_TEST(test_window_sweep),
    UNIT_TEST(test_est_first_and_count_zero),
    UNIT_TEST(test_est_converges),
    UNIT_TEST(test_est_outlier_clipped),
    UNIT_TEST(test_est_weight),
    UNIT_TEST(test_est_tiny_elapsed),
    UNIT_TEST(test_report_rule),
};
UNIT_MAIN("sched", tests)
