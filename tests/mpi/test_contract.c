/* test_contract.c - what every call that takes a task function's name does
 * with a name rank 0 never registered (TF_ENOFUNC at once, nothing run),
 * and what every map returns when some of its tasks fail (TF_ETASK, the
 * succeeded tasks' outputs delivered all the same). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* in: uint64 i; odd i fails with a message, even i gives 2*i. */
static int fn_oddfail(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != 8) return tf_task_fail(t, "input of %zu bytes", len);
    uint64_t i = th_get_u64(in);
    if (i % 2) return tf_task_fail(t, "odd input %llu", (unsigned long long)i);
    uint64_t r = 2 * i;
    return tf_buf_append(out, &r, sizeof r);
}

/* Spawns a task of a function nobody registered; its output is what
 * tf_spawn returned. */
static int fn_spawn_unknown(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len;
    int32_t rc = tf_spawn(t, "nowhere", "x", 1);
    return tf_buf_append(out, &rc, sizeof rc);
}

/* Gives its task id. */
static int fn_id(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len;
    uint64_t id = tf_task_id(t);
    return tf_buf_append(out, &id, sizeof id);
}

static uint64_t *iota(size_t n)
{
    uint64_t *v = malloc(n * sizeof *v);
    for (size_t i = 0; v && i < n; i++) v[i] = i;
    return v;
}

/* A scratch directory on rank 0; every rank sees it (one node). */
static char dir[64];

static void path_of(char *buf, size_t cap, const char *name)
{
    snprintf(buf, cap, "%s/%s", dir, name);
}

static int exists(const char *name)
{
    char p[128];
    path_of(p, sizeof p, name);
    return access(p, F_OK) == 0;
}

static void count_cb(void *arg, size_t index, int status, const void *out, size_t len,
                     const char *err)
{
    (void)index, (void)status, (void)out, (void)len, (void)err;
    ++*(size_t *)arg;
}

/* A future an unfixed call may have made: waited for and released. */
static void release(tf_future **f)
{
    if (*f && *f != (tf_future *)1) {
        tf_wait(*f);
        tf_future_release(f);
    }
    *f = NULL;
}

/* ---- a name that rank 0 never registered --------------------------------- */

#define NOFUNC(call, expr)                                                                    \
    do {                                                                                      \
        int rc_ = (expr);                                                                     \
        TH_CHECK(rc_ == TF_ENOFUNC, "%s of an unknown function: %s, want TF_ENOFUNC", call,   \
                 tf_err_name(rc_));                                                           \
        TH_CHECK(strstr(tf_pool_errmsg(pool), "nowhere") != NULL, "%s: message \"%s\"", call, \
                 tf_pool_errmsg(pool));                                                       \
    } while (0)

static int drv_unknown(tf_pool *pool, void *arg)
{
    (void)arg;
    size_t n = 50;
    uint64_t *in = iota(n);
    const void *vin[2] = {in, in + 1};
    size_t vlen[2] = {8, 8};
    char file[128];
    path_of(file, sizeof file, "in0");
    const char *paths[1] = {file};
    tf_results *res = NULL;
    size_t called = 0, failed = 7;

    NOFUNC("tf_map", tf_map(pool, "nowhere", in, 8, n, &res));
    TH_CHECK(res == NULL, "tf_map of an unknown function set *res");
    NOFUNC("tf_mapv", tf_mapv(pool, "nowhere", vin, vlen, 2, &res));
    TH_CHECK(res == NULL, "tf_mapv of an unknown function set *res");
    NOFUNC("tf_map_files", tf_map_files(pool, "nowhere", paths, 1, &res));
    TH_CHECK(res == NULL, "tf_map_files of an unknown function set *res");
    NOFUNC("tf_map_unordered", tf_map_unordered(pool, "nowhere", in, 8, n, count_cb, &called));
    TH_EQ(called, 0);

    char out_path[128];
    path_of(out_path, sizeof out_path, "out");
    tf_output *o = NULL;
    TH_EQ(tf_output_open(pool, out_path, TF_OUTPUT_ORDERED, NULL, &o), 0);
    NOFUNC("tf_map_to", tf_map_to(pool, "nowhere", in, 8, n, o, &failed));
    TH_EQ(failed, 0);
    NOFUNC("tf_map_files_to", tf_map_files_to(pool, "nowhere", paths, 1, o, &failed));
    TH_EQ(tf_output_records(o), 0);
    TH_EQ(tf_output_close(&o), 0);

    char resume_path[128];
    path_of(resume_path, sizeof resume_path, "resume");
    tf_resume_info info = {1, 1, 1, 1};
    NOFUNC("tf_map_to_resume", tf_map_to_resume(pool, "nowhere", in, 8, n, resume_path, NULL,
                                                TF_RESUME_OR_START, &info));
    TH_EQ(info.ran, 0);
    TH_CHECK(!exists("resume") && !exists("resume.tfindex"),
             "tf_map_to_resume of an unknown function made its files");

    tf_future *f = (tf_future *)1;
    NOFUNC("tf_submit", tf_submit(pool, "nowhere", in, 8, &f));
    TH_CHECK(f == NULL, "tf_submit of an unknown function gave a future");
    release(&f);
    tf_submit_opts so = {0};
    f = (tf_future *)1;
    NOFUNC("tf_submit_ex", tf_submit_ex(pool, "nowhere", in, 8, &so, &f));
    TH_CHECK(f == NULL, "tf_submit_ex of an unknown function gave a future");
    release(&f);
    f = (tf_future *)1;
    NOFUNC("tf_submit_file", tf_submit_file(pool, "nowhere", file, &f));
    TH_CHECK(f == NULL, "tf_submit_file of an unknown function gave a future");
    release(&f);

    /* tf_spawn inside a task: the spawning rank knows no such name */
    int rc = tf_map(pool, "spawn_unknown", in, 8, 4, &res);
    TH_CHECK(rc == 0, "tf_map spawn_unknown: %s", tf_err_name(rc));
    for (size_t i = 0; res && i < tf_results_count(res); i++) {
        const void *out = NULL;
        size_t len = 0;
        int32_t src = 0;
        TH_EQ(tf_results_get(res, i, &out, &len), 0);
        if (len == sizeof src) memcpy(&src, out, sizeof src);
        TH_CHECK(src == TF_ENOFUNC, "tf_spawn of an unknown function: %s", tf_err_name(src));
    }
    tf_results_free(&res);
    /* nothing was spawned, so nothing failed */
    TH_EQ(tf_wait_all(pool), 0);
    free(in);
    return 0;
}

static void test_unknown_name_fails_at_once(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    if (th_rank() == 0) {
        snprintf(dir, sizeof dir, "/tmp/tf-contract.XXXXXX");
        TH_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
        char p[128];
        path_of(p, sizeof p, "in0");
        FILE *fp = fopen(p, "wb");
        uint64_t zero = 0;
        TH_CHECK(fp && fwrite(&zero, 8, 1, fp) == 1 && fclose(fp) == 0, "writing %s", p);
    }
    tf_stats before, after;
    tf_pool_stats(pool, &before);
    TH_EQ(th_run(pool, drv_unknown, NULL), 0);
    tf_pool_stats(pool, &after);
    /* only the 4 spawn_unknown tasks ran */
    TH_EQ(th_sum_u64(after.tasks - before.tasks), 4);
    TH_EQ(th_sum_u64(after.failed - before.failed), 0);
    TH_EQ(th_sum_u64(after.spawned - before.spawned), 0);
    tf_pool_destroy(&pool);
    if (th_rank() == 0) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        TH_EQ(system(cmd), 0);
    }
}

/* ---- every map with failing tasks ---------------------------------------- */

#define NMAP 101 /* inputs 0..100: 50 odd ones fail */

/* TF_ETASK, and tf_pool_errmsg counts the failures and quotes the first. */
static void check_etask(tf_pool *pool, const char *call, int rc)
{
    TH_CHECK(rc == TF_ETASK, "%s with failing tasks: %s, want TF_ETASK", call, tf_err_name(rc));
    const char *m = tf_pool_errmsg(pool);
    TH_CHECK(strstr(m, "50 of 101 tasks failed") && strstr(m, "odd input"), "%s: message \"%s\"",
             call, m);
}

static void check_results(const char *call, tf_results *res)
{
    TH_CHECK(res != NULL, "%s: no results with TF_ETASK", call);
    if (!res) return;
    TH_EQ(tf_results_count(res), NMAP);
    TH_EQ(tf_results_failed(res), NMAP / 2);
    size_t bad = 0;
    for (size_t i = 0; i < tf_results_count(res); i++) {
        const void *o = NULL;
        size_t len = 0;
        int st = tf_results_get(res, i, &o, &len);
        int ok = i % 2 ? st == TF_ETASK && tf_results_error(res, i)
                       : st == 0 && len == 8 && th_get_u64(o) == 2 * i;
        if (!ok && bad++ == 0) TH_CHECK(0, "%s: input %zu: %s", call, i, tf_err_name(st));
    }
    TH_EQ(bad, 0);
}

typedef struct seen {
    size_t ok, failed, bad;
} seen;

static void seen_cb(void *arg, size_t i, int status, const void *out, size_t len, const char *err)
{
    seen *s = arg;
    if (i % 2 == 0 && status == 0 && len == 8 && th_get_u64(out) == 2 * i)
        s->ok++;
    else if (i % 2 && status == TF_ETASK && err)
        s->failed++;
    else
        s->bad++;
}

/* The file holds the even inputs' records in order, nothing else. */
static void check_file(const char *call, const char *name)
{
    char p[128];
    path_of(p, sizeof p, name);
    FILE *fp = fopen(p, "rb");
    uint64_t v[NMAP];
    size_t got = fp ? fread(v, 8, NMAP, fp) : 0;
    if (fp) fclose(fp);
    TH_CHECK(got == NMAP / 2 + 1, "%s: %zu records in %s, want %d", call, got, p, NMAP / 2 + 1);
    size_t bad = 0;
    for (size_t k = 0; k < got; k++) bad += v[k] != 4 * k;
    TH_EQ(bad, 0);
}

static int drv_failing(tf_pool *pool, void *arg)
{
    (void)arg;
    uint64_t *in = iota(NMAP);
    const void *vin[NMAP];
    size_t vlen[NMAP];
    char files[NMAP][128];
    const char *paths[NMAP];
    for (size_t i = 0; i < NMAP; i++) {
        vin[i] = in + i;
        vlen[i] = 8;
        char name[32];
        snprintf(name, sizeof name, "in%zu", i);
        path_of(files[i], sizeof files[i], name);
        paths[i] = files[i];
    }
    tf_results *res = NULL;
    int rc = tf_map(pool, "oddfail", in, 8, NMAP, &res);
    check_etask(pool, "tf_map", rc);
    check_results("tf_map", res);
    tf_results_free(&res);

    rc = tf_mapv(pool, "oddfail", vin, vlen, NMAP, &res);
    check_etask(pool, "tf_mapv", rc);
    check_results("tf_mapv", res);
    tf_results_free(&res);

    rc = tf_map_files(pool, "oddfail", paths, NMAP, &res);
    check_etask(pool, "tf_map_files", rc);
    check_results("tf_map_files", res);
    tf_results_free(&res);

    seen s = {0};
    rc = tf_map_unordered(pool, "oddfail", in, 8, NMAP, seen_cb, &s);
    check_etask(pool, "tf_map_unordered", rc);
    TH_EQ(s.ok, NMAP / 2 + 1);
    TH_EQ(s.failed, NMAP / 2);
    TH_EQ(s.bad, 0);

    const char *names[2] = {"to", "files_to"};
    for (int k = 0; k < 2; k++) {
        char p[128];
        path_of(p, sizeof p, names[k]);
        tf_output *o = NULL;
        TH_EQ(tf_output_open(pool, p, TF_OUTPUT_ORDERED, NULL, &o), 0);
        size_t failed = 0;
        rc = k ? tf_map_files_to(pool, "oddfail", paths, NMAP, o, &failed)
               : tf_map_to(pool, "oddfail", in, 8, NMAP, o, &failed);
        check_etask(pool, k ? "tf_map_files_to" : "tf_map_to", rc);
        TH_EQ(failed, NMAP / 2);
        TH_EQ(tf_output_close(&o), 0);
        check_file(k ? "tf_map_files_to" : "tf_map_to", names[k]);
    }

    char p[128];
    path_of(p, sizeof p, "resume");
    tf_resume_info info = {0};
    rc = tf_map_to_resume(pool, "oddfail", in, 8, NMAP, p, NULL, TF_RESUME_START, &info);
    check_etask(pool, "tf_map_to_resume", rc);
    TH_EQ(info.failed, NMAP / 2);
    check_file("tf_map_to_resume", "resume");
    free(in);
    return 0;
}

static void test_failing_maps_agree(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    if (th_rank() == 0) {
        snprintf(dir, sizeof dir, "/tmp/tf-contract.XXXXXX");
        TH_CHECK(mkdtemp(dir) != NULL, "mkdtemp");
        for (uint64_t i = 0; i < NMAP; i++) {
            char p[128], name[32];
            snprintf(name, sizeof name, "in%llu", (unsigned long long)i);
            path_of(p, sizeof p, name);
            FILE *fp = fopen(p, "wb");
            TH_CHECK(fp && fwrite(&i, 8, 1, fp) == 1 && fclose(fp) == 0, "writing %s", p);
        }
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    TH_EQ(th_run(pool, drv_failing, NULL), 0);
    tf_pool_destroy(&pool);
    if (th_rank() == 0) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        TH_EQ(system(cmd), 0);
    }
}

/* ---- task ids, as taskfarm.h says ---------------------------------------- */

static uint64_t map_ids(tf_pool *pool, size_t n, uint64_t want_first)
{
    uint64_t in[8] = {0};
    tf_results *res = NULL;
    TH_EQ(tf_map(pool, "id", in, 1, n, &res), 0);
    size_t bad = 0;
    for (size_t i = 0; res && i < n; i++) {
        const void *o = NULL;
        size_t len = 0;
        bad += tf_results_get(res, i, &o, &len) != 0 || len != 8 || th_get_u64(o) != want_first + i;
    }
    TH_EQ(bad, 0);
    tf_results_free(&res);
    return want_first + n;
}

static int drv_ids(tf_pool *pool, void *arg)
{
    uint64_t *next = arg;
    *next = map_ids(pool, 5, *next);
    tf_future *f = NULL;
    TH_EQ(tf_submit(pool, "id", "", 0, &f), 0);
    TH_EQ(tf_wait(f), 0);
    TH_EQ(tf_future_id(f), *next);
    const void *o = NULL;
    size_t len = 0;
    TH_EQ(tf_future_result(f, &o, &len), 0);
    TH_CHECK(len == 8 && th_get_u64(o) == *next, "the future's task saw another id");
    tf_future_release(&f);
    *next = map_ids(pool, 7, *next + 1);
    return 0;
}

static void test_task_ids(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    uint64_t next = 0; /* ids count on over runs */
    TH_EQ(th_run(pool, drv_ids, &next), 0);
    TH_EQ(th_run(pool, drv_ids, &next), 0);
    tf_pool_destroy(&pool);
}

TH_FUNCS(TH_FUNC("oddfail", fn_oddfail), TH_FUNC("spawn_unknown", fn_spawn_unknown),
         TH_FUNC("id", fn_id));
TH_TESTS(TH_TEST(test_unknown_name_fails_at_once), TH_TEST(test_failing_maps_agree),
         TH_TEST(test_task_ids));
