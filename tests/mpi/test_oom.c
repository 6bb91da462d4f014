/* test_oom.c - out of memory in every API call of the caller's thread: each
 * allocation point of tf_pool_create, tf_register, tf_map, tf_submit and
 * tf_wait, tf_output_open/write/close and tf_pool_destroy is made to fail
 * in turn (core/alloc.h), and the call must return TF_ENOMEM with nothing
 * leaked (LSan, in the ASan stage) and the next call must work. The
 * service thread's side (abort with one line) is oom_abort.c. At more than
 * one rank each rank fails its own nth allocation of the collective calls,
 * and the walk ends when no rank failed one; the driver's calls and the
 * output are walked on rank 0. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "harness.h"

static int fn_sq(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != 8) return tf_task_fail(t, "want 8 bytes");
    uint64_t x = th_get_u64(in), y = x * x;
    return tf_buf_append(out, &y, sizeof y);
}

TH_FUNCS(TH_FUNC("sq", fn_sq));

/* Walks stop here: more points than any call has means the walk is stuck. */
#define MAX_POINTS 100000ul

/* One failed call at point n: TF_ENOMEM. */
static void check_failed(const char *what, unsigned long n, int rc, tf_pool *p)
{
    TH_CHECK(rc == TF_ENOMEM, "%s, allocation %lu failed: %s (%s)", what, n, tf_err_name(rc),
             p ? tf_pool_errmsg(p) : "");
}

/* Collective: no rank failed an allocation. */
static bool none_failed(void) { return th_max_int(tf__alloc_failed()) == 0; }

static void report(const char *what, unsigned long points)
{
    printf("oom: rank %d: %s: %lu allocation points\n", th_rank(), what, points);
    fflush(stdout);
    TH_CHECK(points > 0 && points < MAX_POINTS, "%s: %lu points", what, points);
}

static void test_pool_create(void)
{
    unsigned long n, unplaced = 0;
    for (n = 1; n < MAX_POINTS; n++) {
        tf_pool *p = (tf_pool *)1;
        tf__alloc_fail_nth(TF__ALLOC_CALLER, n);
        int rc = tf_pool_create(MPI_COMM_WORLD, NULL, &p);
        tf__alloc_off();
        TH_CHECK(th_min_int(rc) == th_max_int(rc), "tf_pool_create: %s here, not on every rank",
                 tf_err_name(rc));
        if (none_failed()) {
            TH_EQ(rc, 0);
            tf_pool_destroy(&p);
            break;
        }
        if (rc == 0) {
            /* without the machine's topology the pool runs unplaced
             * (system/place.h): the one allocation it goes on without */
            unplaced++;
            tf_pool_destroy(&p);
            continue;
        }
        check_failed("tf_pool_create", n, rc, NULL);
        TH_CHECK(p == NULL, "tf_pool_create left *pool set after %lu", n);
        /* the next create works */
        tf_pool *q = NULL;
        rc = tf_pool_create(MPI_COMM_WORLD, NULL, &q);
        if (!TH_CHECK(rc == 0, "tf_pool_create after a failed one: %s", tf_err_name(rc))) break;
        tf_pool_destroy(&q);
    }
    report("tf_pool_create", n - 1);
    TH_CHECK(unplaced <= (unsigned long)th_size(),
             "%lu allocations of tf_pool_create were not needed", unplaced);
}

static void test_register(void)
{
    unsigned long n;
    for (n = 1; n < MAX_POINTS; n++) {
        tf_pool *p = NULL;
        if (!TH_CHECK(tf_pool_create(MPI_COMM_WORLD, NULL, &p) == 0, "create")) return;
        tf__alloc_fail_nth(TF__ALLOC_CALLER, n);
        int rc = tf_register(p, "sq", fn_sq);
        tf__alloc_off();
        bool failed = tf__alloc_failed(), done = none_failed();
        if (!failed)
            TH_EQ(rc, 0);
        else
            check_failed("tf_register", n, rc, p);
        if (failed) TH_EQ(tf_register(p, "sq", fn_sq), 0);
        tf_pool_destroy(&p);
        if (done) break;
    }
    report("tf_register", n - 1);
}

/* Inside one run: walks tf_map, then tf_submit with tf_wait. */
typedef struct walk {
    unsigned long map_points, submit_points;
} walk;

static bool map_ok(tf_pool *p, const uint64_t *in, size_t n)
{
    tf_results *res = NULL;
    int rc = tf_map(p, "sq", in, 8, n, &res);
    bool ok = TH_CHECK(rc == 0 && res && tf_results_failed(res) == 0, "tf_map: %s: %s",
                       tf_err_name(rc), tf_pool_errmsg(p));
    for (size_t i = 0; ok && i < n; i++) {
        const void *out;
        size_t len;
        ok =
            tf_results_get(res, i, &out, &len) == 0 && len == 8 && th_get_u64(out) == in[i] * in[i];
    }
    TH_CHECK(ok, "tf_map's results");
    tf_results_free(&res);
    return ok;
}

static int drv_walk(tf_pool *p, void *arg)
{
    walk *w = arg;
    uint64_t in[64];
    for (size_t i = 0; i < 64; i++) in[i] = i;
    unsigned long n;
    for (n = 1; n < MAX_POINTS; n++) {
        tf_results *res = NULL;
        tf__alloc_fail_nth(TF__ALLOC_CALLER, n);
        int rc = tf_map(p, "sq", in, 8, 64, &res);
        tf__alloc_off();
        bool done = !tf__alloc_failed();
        if (done) {
            TH_EQ(rc, 0);
        } else {
            check_failed("tf_map", n, rc, p);
            TH_CHECK(rc == 0 || res == NULL, "tf_map failed but returned results");
        }
        tf_results_free(&res);
        if (done) break;
        if (!map_ok(p, in, 64)) break;
    }
    w->map_points = n - 1;
    for (n = 1; n < MAX_POINTS; n++) {
        tf_future *f = NULL;
        uint64_t x = 7;
        tf__alloc_fail_nth(TF__ALLOC_CALLER, n);
        int rc = tf_submit(p, "sq", &x, 8, &f);
        if (rc == 0) rc = tf_wait(f);
        tf__alloc_off();
        bool done = !tf__alloc_failed();
        if (done) {
            const void *out = NULL;
            size_t len = 0;
            TH_EQ(rc, 0);
            TH_CHECK(tf_future_result(f, &out, &len) == 0 && len == 8 && th_get_u64(out) == 49,
                     "tf_submit's result");
        } else {
            check_failed("tf_submit+tf_wait", n, rc, p);
            /* a submitted task must still finish */
            if (f) tf_wait(f);
        }
        tf_future_release(&f);
        if (done) break;
        if (!map_ok(p, in, 8)) break;
    }
    w->submit_points = n - 1;
    return 0;
}

static void test_run_calls(void)
{
    tf_pool *p = th_pool(NULL);
    if (!p) return;
    walk w = {0};
    TH_EQ(th_run(p, drv_walk, &w), 0);
    if (th_rank() == 0) {
        report("tf_map", w.map_points);
        report("tf_submit+tf_wait", w.submit_points);
    }
    tf_pool_destroy(&p);
}

static void output_walks(tf_pool *p);

/* tf_output_open, and tf_output_write of a record that waits for its turn
 * (position 1 before 0). The output block a record goes into when its
 * turn comes is the run's (a map's records take the same path): out of
 * memory there aborts, oom_abort.c. */
static void test_output(void)
{
    tf_pool *p = th_pool(NULL);
    if (!p) return;
    if (th_rank() == 0) output_walks(p);
    tf_pool_destroy(&p);
}

static void output_walks(tf_pool *p)
{
    char path[64];
    snprintf(path, sizeof path, "oom-output-%d.txt", (int)getpid());
    unsigned long n, unsynced = 0;
    for (n = 1; n < MAX_POINTS; n++) {
        tf_output *o = NULL;
        tf__alloc_fail_nth(TF__ALLOC_CALLER, n);
        int rc = tf_output_open(p, path, TF_OUTPUT_ORDERED, NULL, &o);
        tf__alloc_off();
        bool done = !tf__alloc_failed();
        if (done) {
            TH_EQ(rc, 0);
        } else if (rc == 0) {
            unsynced++; /* the directory's sync is best effort */
        } else {
            check_failed("tf_output_open", n, rc, p);
            TH_CHECK(o == NULL, "a failed tf_output_open set *out");
        }
        if (o) {
            TH_EQ(tf_output_write(o, 0, "rec\n", 4), 0);
            TH_EQ(tf_output_close(&o), 0);
        }
        if (done) break;
    }
    report("tf_output_open", n - 1);
    TH_CHECK(unsynced <= 1, "%lu allocations of tf_output_open were not needed", unsynced);
    for (n = 1; n < MAX_POINTS; n++) {
        tf_output *o = NULL;
        if (!TH_EQ(tf_output_open(p, path, TF_OUTPUT_ORDERED, NULL, &o), 0)) break;
        tf__alloc_fail_nth(TF__ALLOC_CALLER, n);
        int rc = tf_output_write(o, 1, "one\n", 4);
        tf__alloc_off();
        bool done = !tf__alloc_failed();
        if (done)
            TH_EQ(rc, 0);
        else
            check_failed("tf_output_write", n, rc, p);
        if (!done) TH_EQ(tf_output_write(o, 1, "one\n", 4), 0);
        TH_EQ(tf_output_write(o, 0, "zero\n", 5), 0);
        TH_EQ(tf_output_close(&o), 0);
        if (done) break;
    }
    report("tf_output_write (held)", n - 1);
    unlink(path);
}

/* tf_pool_destroy frees everything whatever fails: it returns 0 or
 * TF_ENOMEM, and the pool is gone either way. With TF_TRACE it gathers
 * and writes the timeline; without, it allocates nothing. */
static void test_pool_destroy(void)
{
    char trace[64];
    snprintf(trace, sizeof trace, "oom-trace-%d.json", (int)getpid());
    setenv("TF_TRACE", trace, 1);
    unsigned long n;
    for (n = 1; n < MAX_POINTS; n++) {
        tf_pool *p = th_pool(NULL);
        if (!p) break;
        tf__alloc_fail_nth(TF__ALLOC_CALLER, n);
        int rc = tf_pool_destroy(&p);
        tf__alloc_off();
        TH_CHECK(rc == 0 || rc == TF_ENOMEM, "tf_pool_destroy: %s", tf_err_name(rc));
        TH_CHECK(p == NULL, "tf_pool_destroy left the pool");
        if (none_failed()) break;
    }
    unsetenv("TF_TRACE");
    unlink(trace);
    report("tf_pool_destroy", n - 1);
}

TH_TESTS(TH_TEST(test_pool_create), TH_TEST(test_register), TH_TEST(test_run_calls),
         TH_TEST(test_output), TH_TEST(test_pool_destroy));
