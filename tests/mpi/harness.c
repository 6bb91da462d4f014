/* harness.c - main() for the MPI tests: CUnit on every rank, failures summed
 * over ranks, a watchdog so a hang fails fast.
 *
 * Threads: the main thread runs MPI, CUnit and the tests. The watchdog
 * thread only reads the current test's name and deadline (under wd_lock)
 * and, past the deadline, writes one line and ends the process; it makes no
 * MPI or CUnit calls.
 */
#define _GNU_SOURCE
#include "harness.h"

#include <CUnit/TestDB.h>
#include <CUnit/TestRun.h>
#include <mpi.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int world_rank;
static int world_size = 1;

static pthread_mutex_t wd_lock = PTHREAD_MUTEX_INITIALIZER;
static char wd_test[128] = "setup";
static double wd_deadline; /* monotonic seconds; 0 means off */
static double wd_limit = 90.0;
static double test_t0;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void wd_arm(const char *what)
{
    pthread_mutex_lock(&wd_lock);
    snprintf(wd_test, sizeof wd_test, "%s", what);
    wd_deadline = now_s() + wd_limit;
    pthread_mutex_unlock(&wd_lock);
}

static void *wd_main(void *unused)
{
    (void)unused;
    for (;;) {
        struct timespec nap = {0, 200 * 1000 * 1000};
        nanosleep(&nap, NULL);
        pthread_mutex_lock(&wd_lock);
        int fire = wd_deadline > 0 && now_s() > wd_deadline;
        char msg[256];
        if (fire)
            snprintf(msg, sizeof msg, "watchdog: rank %d stuck in test %s (over %g s)\n",
                     world_rank, wd_test, wd_limit);
        pthread_mutex_unlock(&wd_lock);
        if (fire) {
            /* write(2), not stdio: the stuck thread may hold a stdio lock. */
            ssize_t ignored = write(STDERR_FILENO, msg, strlen(msg));
            (void)ignored;
            _exit(124);
        }
    }
    return NULL;
}

static void wd_start(void)
{
    const char *env = getenv("TF_TEST_WATCHDOG");
    if (env && *env) {
        double v = strtod(env, NULL);
        if (v > 0) wd_limit = v;
    }
    pthread_t tid;
    if (pthread_create(&tid, NULL, wd_main, NULL) != 0) {
        fprintf(stderr, "rank %d: cannot start the watchdog thread\n", world_rank);
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    pthread_detach(tid);
    wd_arm("setup");
}

/* ---- helpers for tests ------------------------------------------------ */

int th_rank(void) { return world_rank; }
int th_size(void) { return world_size; }

int th_check_(int ok, int line, const char *file, const char *cond, const char *fmt, ...)
{
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, cond, file, "", CU_FALSE);
    if (!ok) {
        char detail[512];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
        fprintf(stderr, "rank %d: %s:%d: check failed: %s: %s\n", world_rank, file, line, cond,
                detail);
    }
    return ok;
}

int th_check_eq_(long long a, long long b, int line, const char *file, const char *cond)
{
    return th_check_(a == b, line, file, cond, "%lld != %lld", a, b);
}

tf_pool *th_pool(const tf_pool_opts *opts)
{
    tf_pool *pool = NULL;
    int rc = tf_pool_create(MPI_COMM_WORLD, opts, &pool);
    if (!TH_CHECK(rc == 0 && pool != NULL, "tf_pool_create: %s", tf_err_name(rc))) return NULL;
    for (const th_func *f = th_funcs; f->name; f++) {
        rc = tf_register(pool, f->name, f->fn);
        if (!TH_CHECK(rc == 0, "tf_register(%s): %s: %s", f->name, tf_err_name(rc),
                      tf_pool_errmsg(pool))) {
            tf_pool_destroy(&pool);
            return NULL;
        }
    }
    return pool;
}

int th_run(tf_pool *pool, tf_driver driver, void *arg)
{
    int rc = tf_run(pool, driver, arg);
    int lo = th_min_int(rc), hi = th_max_int(rc);
    TH_CHECK(lo == hi, "tf_run returned %d here, between %d and %d over the ranks", rc, lo, hi);
    return rc;
}

uint64_t th_sum_u64(uint64_t x)
{
    uint64_t sum = 0;
    MPI_Allreduce(&x, &sum, 1, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    return sum;
}

double th_sum_double(double x)
{
    double sum = 0;
    MPI_Allreduce(&x, &sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    return sum;
}

int th_min_int(int x)
{
    int r = 0;
    MPI_Allreduce(&x, &r, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return r;
}

int th_max_int(int x)
{
    int r = 0;
    MPI_Allreduce(&x, &r, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return r;
}

void th_spin_us(unsigned us)
{
    double end = now_s() + (double)us * 1e-6;
    while (now_s() < end) {
    }
}

uint64_t th_get_u64(const void *p)
{
    uint64_t x;
    memcpy(&x, p, sizeof x);
    return x;
}

void th_put_u64(void *p, uint64_t x) { memcpy(p, &x, sizeof x); }

int th_msg_rank(const char *msg)
{
    const char *s = msg ? strstr(msg, "rank ") : NULL;
    int r;
    if (!s || sscanf(s, "rank %d", &r) != 1) return -1;
    return r;
}

/* ---- running -------------------------------------------------------- */

static void on_test_start(const CU_pTest test, const CU_pSuite suite)
{
    (void)suite;
    wd_arm(test->pName);
    test_t0 = now_s();
}

static void on_test_complete(const CU_pTest test, const CU_pSuite suite,
                             const CU_pFailureRecord failures)
{
    (void)suite;
    int mine = 0;
    for (CU_pFailureRecord f = failures; f && f->pTest == test; f = f->pNext) {
        mine++;
        fprintf(stderr, "rank %d: FAIL %s: %s:%u: %s\n", world_rank, test->pName,
                f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                f->strCondition ? f->strCondition : "?");
    }
    int counts[2] = {mine, mine > 0}, sums[2];
    MPI_Allreduce(counts, sums, 2, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
    if (world_rank == 0) {
        if (sums[0] == 0)
            printf("  ok    %-36s %7.2f s\n", test->pName, now_s() - test_t0);
        else
            printf("  FAIL  %-36s %7.2f s  (%d failed assertions on %d of %d ranks)\n", test->pName,
                   now_s() - test_t0, sums[0], sums[1], world_size);
    }
    /* Stays armed until the next test starts: the gap counts too. */
    wd_arm("between tests");
}

static int selected(const char *name, int argc, char **argv)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i])) return 1;
    return 0;
}

int main(int argc, char **argv)
{
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided) != MPI_SUCCESS) {
        fprintf(stderr, "MPI_Init_thread failed\n");
        return 1;
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &world_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &world_size);
    setvbuf(stdout, NULL, _IOLBF, 0);
    wd_start();
    /* A launcher of another MPI starts N singletons, each of which would
     * pass on its own: ctest says how many ranks it asked for. */
    const char *np_env = getenv("TF_TEST_NP");
    if (np_env && *np_env && atoi(np_env) != world_size) {
        fprintf(stderr,
                "rank %d: %d ranks in MPI_COMM_WORLD, want TF_TEST_NP=%s (the launcher "
                "and the MPI library differ?)\n",
                world_rank, world_size, np_env);
        MPI_Finalize();
        return 1;
    }
    if (provided < MPI_THREAD_MULTIPLE && world_rank == 0)
        fprintf(stderr, "note: MPI gives thread level %d, not MPI_THREAD_MULTIPLE\n", provided);

    const char *suite_name = strrchr(argv[0], '/');
    suite_name = suite_name ? suite_name + 1 : argv[0];

    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "rank %d: CU_initialize_registry: %s\n", world_rank, CU_get_error_msg());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    int ntests = 0;
    for (const th_test *t = th_tests; suite && t->name; t++) {
        if (!selected(t->name, argc, argv)) continue;
        if (!CU_add_test(suite, t->name, t->fn)) break;
        ntests++;
    }
    if (!suite || CU_get_error() != CUE_SUCCESS) {
        fprintf(stderr, "rank %d: CUnit: %s\n", world_rank, CU_get_error_msg());
        MPI_Abort(MPI_COMM_WORLD, 1);
    }

    if (world_rank == 0) printf("%s: %d tests on %d ranks\n", suite_name, ntests, world_size);
    CU_set_test_start_handler(on_test_start);
    CU_set_test_complete_handler(on_test_complete);
    CU_run_all_tests();

    wd_arm("teardown");
    CU_pRunSummary sum = CU_get_run_summary();
    uint64_t mine[3] = {sum->nAssertsFailed, sum->nTestsFailed, sum->nAsserts};
    uint64_t all[3];
    MPI_Allreduce(mine, all, 3, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
    if (world_rank == 0) {
        printf("%s: %d tests, %llu assertions, %llu failed assertions (%llu test failures "
               "summed over %d ranks)\n",
               suite_name, ntests, (unsigned long long)all[2], (unsigned long long)all[0],
               (unsigned long long)all[1], world_size);
        printf("%s\n", all[0] == 0 && ntests > 0 ? "PASS" : "FAIL");
    }
    CU_cleanup_registry();
    MPI_Finalize();
    if (th_after_finalize && th_after_finalize() != 0) {
        fprintf(stderr, "rank %d: after MPI_Finalize: failed\n", world_rank);
        return 1;
    }
    return all[0] == 0 && ntests > 0 ? 0 : 1;
}
