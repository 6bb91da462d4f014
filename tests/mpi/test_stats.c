/* test_stats.c - per-rank counters summed over ranks match what was run. */
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"

/* in: uint64 i; out: uint64 i+1 after `i % 2 ? 0 : 100` us of work. */
static int fn_work(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != 8) return tf_task_fail(t, "work wants 8 bytes");
    uint64_t i = th_get_u64(in), r = i + 1;
    if (i % 2 == 0) th_spin_us(100);
    return tf_buf_append(out, &r, sizeof r);
}

static int fn_fail(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len, (void)out;
    return tf_task_fail(t, "always");
}

struct plan {
    size_t map_n, submit_n, fail_n;
    double seconds;
};

static int drv_plan(tf_pool *pool, void *arg)
{
    struct plan *p = arg;
    double t0 = MPI_Wtime();
    size_t n = p->map_n > p->submit_n ? p->map_n : p->submit_n;
    uint64_t *in = malloc((n + 1) * sizeof *in);
    for (size_t i = 0; i <= n; i++) in[i] = i;
    tf_results *res = NULL;
    TH_EQ(tf_map(pool, "work", in, 8, p->map_n, &res), 0);
    if (res) TH_EQ(tf_results_failed(res), 0);
    tf_results_free(&res);
    if (p->fail_n) { /* zero tasks are test_map's business */
        TH_EQ(tf_map(pool, "fail", in, 8, p->fail_n, &res), TF_ETASK);
        if (res) TH_EQ(tf_results_failed(res), p->fail_n);
        tf_results_free(&res);
    }
    tf_future **fs = calloc(p->submit_n + 1, sizeof *fs);
    for (size_t i = 0; i < p->submit_n; i++) TH_EQ(tf_submit(pool, "work", &in[i], 8, &fs[i]), 0);
    TH_EQ(tf_wait_all(pool), 0);
    for (size_t i = 0; i < p->submit_n; i++) tf_future_release(&fs[i]);
    free(fs);
    free(in);
    p->seconds = MPI_Wtime() - t0;
    return 0;
}

static void test_stats_counts(void)
{
    tf_pool_opts o = {.chunk = TF_CHUNK_FIXED, .chunk_size = 4};
    tf_pool *pool = th_pool(&o);
    if (!pool) return;
    tf_stats s0, s1;
    TH_EQ(tf_pool_stats(pool, &s0), 0);
    TH_EQ(th_sum_u64(s0.tasks), 0);
    TH_EQ(th_sum_u64(s0.failed), 0);

    struct plan p = {4000, 1000, 37, 0};
    TH_EQ(th_run(pool, drv_plan, &p), 0);
    TH_EQ(tf_pool_stats(pool, &s1), 0);

    uint64_t tasks = th_sum_u64(s1.tasks), failed = th_sum_u64(s1.failed);
    uint64_t chunks = th_sum_u64(s1.chunks), spawned = th_sum_u64(s1.spawned);
    TH_EQ(tasks, p.map_n + p.submit_n + p.fail_n);
    TH_EQ(failed, p.fail_n);
    TH_EQ(spawned, 0);
    TH_CHECK(chunks >= 1 && chunks <= tasks, "%llu chunks", (unsigned long long)chunks);

    /* 2500 tasks of 100 us: at least 0.25 s of task time over all ranks. */
    double busy = th_sum_double(s1.busy_s);
    TH_CHECK(busy >= 0.2, "busy %.3f s summed over ranks", busy);
    TH_CHECK(s1.busy_s >= 0 && s1.idle_s >= 0, "busy %.3f idle %.3f", s1.busy_s, s1.idle_s);

    /* Who ran what: print it, and require more than one rank to have run
     * something when there are several (rank 0 works too, but not alone). */
    uint64_t mine = s1.tasks;
    int ran = (int)th_sum_u64(mine > 0);
    if (th_rank() == 0) {
        unsigned long long *all = malloc((size_t)th_size() * sizeof *all);
        MPI_Gather(&mine, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        printf("    tasks per rank:");
        for (int r = 0; r < th_size(); r++) printf(" %llu", all[r]);
        printf("  (%.3f s, busy %.3f s summed)\n", p.seconds, busy);
        free(all);
    } else {
        MPI_Gather(&mine, 1, MPI_UINT64_T, NULL, 0, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    }
    if (th_size() > 1) TH_CHECK(ran >= 2, "only %d of %d ranks ran tasks", ran, th_size());

    if (th_size() > 1) {
        TH_CHECK(th_sum_u64(s1.msgs_sent) > 0, "no messages counted");
        TH_CHECK(th_sum_u64(s1.bytes_sent) > 0, "no bytes counted");
    }

    /* Counters only grow, and a second run adds exactly its tasks. */
    struct plan q = {500, 0, 0, 0};
    TH_EQ(th_run(pool, drv_plan, &q), 0);
    tf_stats s2;
    TH_EQ(tf_pool_stats(pool, &s2), 0);
    TH_EQ(th_sum_u64(s2.tasks - s1.tasks), 500);
    TH_CHECK(s2.msgs_sent >= s1.msgs_sent && s2.busy_s >= s1.busy_s, "counters went back");

    TH_EQ(tf_pool_stats(NULL, &s2), TF_EINVAL);
    TH_EQ(tf_pool_stats(pool, NULL), TF_EINVAL);
    tf_pool_destroy(&pool);
}

TH_FUNCS(TH_FUNC("work", fn_work), TH_FUNC("fail", fn_fail));
TH_TESTS(TH_TEST(test_stats_counts));
