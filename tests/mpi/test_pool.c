/* test_pool.c - pool life cycle and the rules of the API: repeated
 * create/destroy, several runs on one pool, the driver's return value,
 * calls made in the wrong state, registration errors, error names. */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static int fn_twice(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t;
    uint64_t r = len == 8 ? 2 * th_get_u64(in) : 0;
    return tf_buf_append(out, &r, sizeof r);
}

static void ignore_cb(void *arg, size_t index, int status, const void *out, size_t len,
                      const char *err)
{
    (void)arg, (void)index, (void)status, (void)out, (void)len, (void)err;
}

/* Inside a task: the driver's calls and tf_register must all say TF_ESTATE,
 * but tf_submit on rank 0, whose tasks may submit while the driver waits
 * (taskfarm.h). */
static uint64_t estate_seen, estate_wrong;

/* The message of a refused call says what the caller was doing: it names
 * the call and `what` ("inside a task", "outside tf_run"), and never blames
 * a task for a call that no task made. 1 if so. */
static int says(const tf_pool *pool, const char *call, const char *what)
{
    const char *m = tf_pool_errmsg(pool);
    bool task = strstr(what, "task") != NULL;
    return strstr(m, call) && strstr(m, what) && (task || !strstr(m, "task"));
}

static void count_estate(tf_pool *pool, const char *call, int rc)
{
    /* registration is refused for the whole run, not for being in a task */
    const char *what = strcmp(call, "tf_register") == 0 ? "inside tf_run" : "inside a task";
    if (rc == TF_ESTATE && says(pool, call, what))
        estate_seen++;
    else if (estate_wrong++ == 0)
        TH_CHECK(0, "%s inside a task returned %s (%s), want TF_ESTATE saying so", call,
                 tf_err_name(rc), tf_pool_errmsg(pool));
}

static int fn_misuse(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len, (void)out;
    tf_pool *pool = tf_task_pool(t);
    tf_results *res = NULL;
    tf_future *f = NULL;
    static const uint64_t x = 1; /* a submitted input outlives this task */
    /* The least harmful first, so that a failure names the first offender. */
    count_estate(pool, "tf_register", tf_register(pool, "late", fn_twice));
    int rc = tf_submit(pool, "twice", &x, 8, &f);
    if (tf_pool_rank(pool) == 0) {
        TH_CHECK(rc == 0 && f, "tf_submit in a task of rank 0: %s", tf_err_name(rc));
        if (!rc) estate_seen++;
        /* waiting is still the driver's: TF_ESTATE unless already done */
        int w = tf_wait(f);
        TH_CHECK(w == TF_ESTATE || w == 0, "tf_wait in a task: %s", tf_err_name(w));
        if (w == TF_ESTATE)
            TH_CHECK(says(pool, "tf_wait", "inside a task"), "tf_wait in a task: %s",
                     tf_pool_errmsg(pool));
        tf_future_release(&f);
    } else {
        count_estate(pool, "tf_submit", rc);
    }
    count_estate(pool, "tf_wait_all", tf_wait_all(pool));
    count_estate(pool, "tf_map", tf_map(pool, "twice", &x, 8, 1, &res));
    tf_results_free(&res);
    count_estate(pool, "tf_map_unordered",
                 tf_map_unordered(pool, "twice", &x, 8, 1, ignore_cb, NULL));
    return 0;
}

static int map_twice(tf_pool *pool, size_t n)
{
    uint64_t *in = malloc(n * sizeof *in);
    for (size_t i = 0; i < n; i++) in[i] = i;
    tf_results *res = NULL;
    int rc = tf_map(pool, "twice", in, 8, n, &res);
    size_t bad = rc != 0 || !res || tf_results_count(res) != n;
    for (size_t i = 0; res && i < tf_results_count(res); i++) {
        const void *o = NULL;
        size_t len = 0;
        bad += tf_results_get(res, i, &o, &len) != 0 || len != 8 || th_get_u64(o) != 2 * i;
    }
    tf_results_free(&res);
    free(in);
    return TH_CHECK(bad == 0, "map of %zu: rc %s, %zu bad", n, tf_err_name(rc), bad) ? 0 : -1;
}

static int drv_map100(tf_pool *pool, void *arg)
{
    (void)arg;
    return map_twice(pool, 100);
}

/* ---- create and destroy --------------------------------------------------- */

static void test_create_destroy_repeated(void)
{
    for (int k = 0; k < 20; k++) {
        tf_pool *pool = th_pool(NULL);
        if (!pool) return;
        TH_EQ(tf_pool_rank(pool), th_rank());
        TH_EQ(tf_pool_size(pool), th_size());
        if (k % 3 == 1) TH_EQ(th_run(pool, drv_map100, NULL), 0);
        TH_EQ(tf_pool_destroy(&pool), 0);
        TH_CHECK(pool == NULL, "tf_pool_destroy left the pointer set");
    }
    tf_pool *none = NULL;
    TH_EQ(tf_pool_destroy(&none), 0);
    TH_CHECK(none == NULL, "still NULL");
    TH_EQ(tf_pool_destroy(NULL), 0);

    /* Two pools alive at once, used one after the other. */
    tf_pool *a = th_pool(NULL), *b = th_pool(NULL);
    if (a && b) {
        TH_EQ(th_run(a, drv_map100, NULL), 0);
        TH_EQ(th_run(b, drv_map100, NULL), 0);
        TH_EQ(th_run(a, drv_map100, NULL), 0);
    }
    tf_pool_destroy(&b);
    tf_pool_destroy(&a);
}

static void test_create_bad_arguments(void)
{
    tf_pool *pool = (tf_pool *)&pool; /* not NULL, to see it cleared */
    TH_EQ(tf_pool_create(MPI_COMM_WORLD, NULL, NULL), TF_EINVAL);
    tf_pool_opts bad = {.chunk = (tf_chunk_policy)42};
    TH_EQ(tf_pool_create(MPI_COMM_WORLD, &bad, &pool), TF_EINVAL);
    TH_CHECK(pool == NULL, "*pool set to NULL on error");
    tf_pool_destroy(&pool);
}

/* A bad TF_* value on the last rank alone (a launcher may give ranks
 * environments of their own): tf_pool_create fails on every rank, and
 * exactly one line on some rank's stderr names the variable, the value and
 * the rank. Each rank's stderr goes to a file of its own meanwhile. */
static void bad_env_on_last_rank(const char *var, const char *value)
{
    int last = th_size() - 1;
    char path[512];
    const char *dir = getenv("TF_BINARY_DIR");
    snprintf(path, sizeof path, "%s/tf-test-badenv-%ld", dir && *dir ? dir : "/tmp",
             (long)getpid());
    if (th_rank() == last) setenv(var, value, 1);
    fflush(stderr);
    int saved = dup(2), fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) dup2(fd, 2);
    tf_pool *pool = (tf_pool *)&pool;
    int rc = tf_pool_create(MPI_COMM_WORLD, NULL, &pool);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    unsetenv(var);
    TH_CHECK(rc == TF_EINVAL, "%s='%s' on rank %d: %s", var, value, last, tf_err_name(rc));
    TH_CHECK(pool == NULL, "a pool despite the error");
    char text[1024] = "";
    ssize_t n = fd >= 0 ? pread(fd, text, sizeof text - 1, 0) : -1;
    text[n > 0 ? n : 0] = '\0';
    if (fd >= 0) close(fd);
    remove(path);
    char want[256];
    if (last == 0)
        snprintf(want, sizeof want, "taskfarm: %s: invalid value '%s'\n", var, value);
    else
        snprintf(want, sizeof want, "taskfarm: %s: invalid value '%s' on rank %d\n", var, value,
                 last);
    int mine = strcmp(text, want) == 0;
    TH_CHECK(mine || text[0] == '\0', "%s: stray stderr: %s", var, text);
    TH_CHECK(th_sum_u64((uint64_t)mine) == 1, "%s: no rank printed \"%.*s\"", var,
             (int)strlen(want) - 1, want);
}

static void test_bad_env_on_one_rank(void)
{
    bad_env_on_last_rank("TF_WAIT", "busy");
    bad_env_on_last_rank("TF_FILE_PREFETCH_MB", "1e-9");
    bad_env_on_last_rank("TF_STATS", "yes");
    bad_env_on_last_rank("TF_REPORT_BINDING", "2");
}

/* Last in the table: a library that hands MPI_COMM_NULL to MPI aborts the
 * whole process, and then at least the other tests have run. */
static void test_create_comm_null(void)
{
    tf_pool *pool = (tf_pool *)&pool;
    TH_EQ(tf_pool_create(MPI_COMM_NULL, NULL, &pool), TF_EINVAL);
    TH_CHECK(pool == NULL, "*pool set to NULL on error");
}

/* ---- several runs; return values ---------------------------------------- */

static int drv_return(tf_pool *pool, void *arg)
{
    int v = *(int *)arg;
    if (v >= 0 && map_twice(pool, 50 + (size_t)v % 100)) return -1000;
    return v;
}

static void test_runs_and_return_values(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    int values[] = {0, 7, 123456, -5, TF_ETASK, 1, 0};
    for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
        /* Only rank 0 runs the driver; the value must reach every rank. */
        int v = th_rank() == 0 ? values[k] : -99;
        int rc = th_run(pool, drv_return, &v);
        TH_CHECK(rc == values[k], "run %zu returned %d, want %d", k, rc, values[k]);
        /* Between runs the program may use MPI freely. */
        int one = 1, sum = 0;
        MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
        TH_EQ(sum, th_size());
    }
    tf_stats st;
    TH_EQ(tf_pool_stats(pool, &st), 0);
    /* 50+0, 50+7, 50+56, 50+1, 50+0 tasks. */
    TH_EQ(th_sum_u64(st.tasks), 50 + 57 + 106 + 51 + 50);
    tf_pool_destroy(&pool);
}

/* ---- a pool on a sub-communicator -------------------------------------- */

static int drv_sub(tf_pool *pool, void *arg)
{
    (void)arg;
    return map_twice(pool, 1000) == 0 ? tf_pool_size(pool) : -1;
}

static void test_pool_on_split_comm(void)
{
    MPI_Comm half;
    MPI_Comm_split(MPI_COMM_WORLD, th_rank() % 2, th_rank(), &half);
    int hsize;
    MPI_Comm_size(half, &hsize);
    tf_pool *pool = NULL;
    int rc = tf_pool_create(half, NULL, &pool);
    TH_CHECK(rc == 0, "tf_pool_create on a split: %s", tf_err_name(rc));
    if (pool) {
        TH_EQ(tf_register(pool, "twice", fn_twice), 0);
        TH_EQ(tf_pool_size(pool), hsize);
        TH_EQ(tf_pool_rank(pool), th_rank() / 2);
        TH_EQ(tf_run(pool, drv_sub, NULL), hsize);
    }
    tf_pool_destroy(&pool);
    /* The pool duplicated the communicator: ours is still usable. */
    int x = 1, y = 0;
    MPI_Allreduce(&x, &y, 1, MPI_INT, MPI_SUM, half);
    TH_EQ(y, hsize);
    MPI_Comm_free(&half);
}

/* ---- wrong state -------------------------------------------------------- */

static void test_wrong_state_outside_run(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    /* On every rank, before any run and between runs. */
    for (int round = 0; round < 2; round++) {
        uint64_t x = 3;
        tf_results *res = NULL;
        tf_future *f = NULL;
#define OUTSIDE(call, expr)                                                        \
    do {                                                                           \
        TH_EQ(expr, TF_ESTATE);                                                    \
        TH_CHECK(says(pool, call, "outside tf_run"), "%s outside a run: %s", call, \
                 tf_pool_errmsg(pool));                                            \
    } while (0)
        OUTSIDE("tf_map", tf_map(pool, "twice", &x, 8, 1, &res));
        TH_CHECK(res == NULL, "no results on error");
        OUTSIDE("tf_mapv", tf_mapv(pool, "twice", NULL, NULL, 0, &res));
        OUTSIDE("tf_submit", tf_submit(pool, "twice", &x, 8, &f));
        TH_CHECK(f == NULL, "no future on error");
        OUTSIDE("tf_wait_all", tf_wait_all(pool));
        OUTSIDE("tf_map_unordered", tf_map_unordered(pool, "twice", &x, 8, 1, ignore_cb, NULL));
        const char *path = "unused-files-path";
        OUTSIDE("tf_map_files", tf_map_files(pool, "twice", &path, 1, &res));
#undef OUTSIDE
        if (round == 0) TH_EQ(th_run(pool, drv_map100, NULL), 0);
    }
    tf_pool_destroy(&pool);
}

static int drv_misuse_in_driver(tf_pool *pool, void *arg)
{
    (void)arg;
    TH_EQ(tf_register(pool, "late", fn_twice), TF_ESTATE);
    TH_EQ(tf_pool_destroy(&pool), TF_ESTATE);
    TH_CHECK(pool != NULL, "a refused destroy keeps the pointer");
    TH_EQ(tf_run(pool, drv_map100, NULL), TF_ESTATE);
    return map_twice(pool, 10);
}

/* No driver: the run still ends on every rank, with TF_EINVAL everywhere
 * (a rank that returned alone would leave the others waiting), and the pool
 * works afterwards. */
static void test_run_without_driver(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    TH_EQ(tf_run(pool, NULL, NULL), TF_EINVAL);
    TH_EQ(th_run(pool, drv_map100, NULL), 0);
    tf_pool_destroy(&pool);
}

static void test_wrong_state_in_driver(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    TH_EQ(th_run(pool, drv_misuse_in_driver, NULL), 0);
    /* After the run tf_register works again. */
    TH_EQ(tf_register(pool, "late", fn_twice), 0);
    tf_pool_destroy(&pool);
}

/* Tasks on every rank, rank 0 included (where the driver is waiting inside
 * tf_map), try the driver's calls and tf_register. */
static int drv_misuse_in_tasks(tf_pool *pool, void *arg)
{
    (void)arg;
    size_t n = 8 * (size_t)tf_pool_size(pool);
    char *in = calloc(n, 1);
    tf_results *res = NULL;
    TH_EQ(tf_map(pool, "misuse", in, 1, n, &res), 0);
    if (res) TH_EQ(tf_results_failed(res), 0);
    tf_results_free(&res);
    free(in);
    return map_twice(pool, 10);
}

static void test_wrong_state_in_task(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    estate_seen = estate_wrong = 0;
    TH_EQ(th_run(pool, drv_misuse_in_tasks, NULL), 0);
    TH_EQ(th_sum_u64(estate_wrong), 0);
    TH_EQ(th_sum_u64(estate_seen), 5 * 8 * (uint64_t)th_size());
    tf_pool_destroy(&pool);
}

/* ---- registration ------------------------------------------------------- */

static void test_register_errors(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    char name63[64], name64[65];
    memset(name63, 'a', 63);
    name63[63] = 0;
    memset(name64, 'b', 64);
    name64[64] = 0;
    TH_EQ(tf_register(pool, "twice", fn_twice), TF_EEXIST);
    TH_EQ(tf_register(pool, "", fn_twice), TF_EINVAL);
    TH_EQ(tf_register(pool, NULL, fn_twice), TF_EINVAL);
    TH_EQ(tf_register(pool, "nofn", NULL), TF_EINVAL);
    TH_EQ(tf_register(NULL, "x", fn_twice), TF_EINVAL);
    TH_EQ(tf_register(pool, name64, fn_twice), TF_EINVAL);
    TH_EQ(tf_register(pool, name63, fn_twice), 0);
    TH_CHECK(strlen(tf_pool_errmsg(pool)) < 4096, "errmsg is a string");
    tf_pool_destroy(&pool);
}

/* ---- error codes -------------------------------------------------------- */

static void test_error_strings(void)
{
    struct {
        int code;
        const char *name;
    } codes[] = {
#define X(name, val, msg) {val, "TF_" #name},
        TF_ERRNO_MAP(X)
#undef X
    };
    size_t n = sizeof codes / sizeof codes[0];
    TH_EQ(n, 14);
    TH_CHECK(strcmp(tf_err_name(0), "TF_OK") == 0, "%s", tf_err_name(0));
    TH_CHECK(tf_strerror(0) && *tf_strerror(0), "a message for 0");
    for (size_t i = 0; i < n; i++) {
        TH_EQ(codes[i].code, -(int)(i + 1)); /* never renumbered */
        TH_CHECK(strcmp(tf_err_name(codes[i].code), codes[i].name) == 0, "%d: %s, want %s",
                 codes[i].code, tf_err_name(codes[i].code), codes[i].name);
        const char *m = tf_strerror(codes[i].code);
        TH_CHECK(m && *m, "message for %s", codes[i].name);
        for (size_t j = 0; j < i; j++)
            TH_CHECK(strcmp(m, tf_strerror(codes[j].code)) != 0, "%s and %s share a message",
                     codes[i].name, codes[j].name);
    }
    TH_CHECK(strcmp(tf_strerror(TF_EINVAL), "invalid argument") == 0, "%s", tf_strerror(TF_EINVAL));
    int unknown[] = {-15, -1000, 5, 1 << 30, -(1 << 30)};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        TH_CHECK(strcmp(tf_err_name(unknown[i]), "TF_E?") == 0, "%d: %s", unknown[i],
                 tf_err_name(unknown[i]));
        TH_CHECK(tf_strerror(unknown[i]) != NULL, "%d", unknown[i]);
    }
}

/* ---- a pool destroyed after MPI_Finalize ------------------------------------- */

/* tf_pool_destroy after MPI_Finalize frees what it can without MPI: a pool
 * that ran (and so used its service thread's doorbell, which lives in a
 * shared-memory window that MPI_Finalize unmaps) is kept for
 * th_after_finalize. */
static tf_pool *late_pool;

static void test_destroy_after_finalize_prepared(void)
{
    late_pool = th_pool(NULL);
    if (!late_pool) return;
    TH_EQ(th_run(late_pool, drv_map100, NULL), 0);
    TH_EQ(th_run(late_pool, drv_map100, NULL), 0);
}

int th_after_finalize(void)
{
    if (!late_pool) return 1;
    int rc = tf_pool_destroy(&late_pool);
    return rc != 0 || late_pool != NULL;
}

TH_FUNCS(TH_FUNC("twice", fn_twice), TH_FUNC("misuse", fn_misuse));
TH_TESTS(TH_TEST(test_error_strings), TH_TEST(test_create_destroy_repeated),
         TH_TEST(test_run_without_driver), TH_TEST(test_create_bad_arguments),
         TH_TEST(test_runs_and_return_values), TH_TEST(test_pool_on_split_comm),
         TH_TEST(test_register_errors), TH_TEST(test_wrong_state_outside_run),
         TH_TEST(test_wrong_state_in_driver), TH_TEST(test_wrong_state_in_task),
         TH_TEST(test_bad_env_on_one_rank), TH_TEST(test_create_comm_null),
         TH_TEST(test_destroy_after_finalize_prepared));
