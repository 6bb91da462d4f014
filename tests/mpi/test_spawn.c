/* test_spawn.c - tasks that spawn tasks: exact node counts of trees (per-rank
 * counters and spawn-result callbacks against the closed form), termination
 * without an explicit wait, and failures of spawned tasks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

/* A tree node's input: depth, id, branching b, last depth D. Node (d, id)
 * with d < D spawns b children (d+1, id*b+k+1), so ids are 0..total-1. */
enum { N_DEPTH, N_ID, N_B, N_D, N_WORDS };

static uint64_t nodes_here;   /* tree nodes run on this rank */
static uint64_t spawned_here; /* tf_spawn calls that succeeded on this rank */

static int fn_tree(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint64_t v[N_WORDS];
    if (len != sizeof v) return tf_task_fail(t, "tree wants %zu bytes, got %zu", sizeof v, len);
    memcpy(v, in, sizeof v);
    nodes_here++;
    uint64_t depth = v[N_DEPTH], id = v[N_ID];
    if (depth < v[N_D]) {
        /* One buffer for every child: tf_spawn copies its input. */
        uint64_t c[N_WORDS] = {depth + 1, 0, v[N_B], v[N_D]};
        for (uint64_t k = 0; k < v[N_B]; k++) {
            c[N_ID] = id * v[N_B] + k + 1;
            int rc = tf_spawn(t, "tree", c, sizeof c);
            if (rc) return tf_task_fail(t, "tf_spawn: %s", tf_err_name(rc));
            spawned_here++;
        }
    }
    uint64_t r[2] = {depth, id};
    return tf_buf_append(out, r, sizeof r);
}

static uint64_t ipow(uint64_t b, unsigned e)
{
    uint64_t r = 1;
    while (e--) r *= b;
    return r;
}

static uint64_t tree_total(uint64_t b, unsigned d)
{
    return b == 1 ? d + 1 : (ipow(b, d + 1) - 1) / (b - 1);
}

static uint64_t tree_depth_sum(uint64_t b, unsigned d)
{
    uint64_t s = 0;
    for (unsigned k = 1; k <= d; k++) s += k * ipow(b, k);
    return s;
}

/* What rank 0 receives through the spawn-result callback. */
struct harvest {
    uint64_t calls, failed, ok, depth_sum, dup, bad;
    unsigned char *seen; /* by node id, when not NULL */
    uint64_t nseen;
    char first_err[256];
};

static struct harvest hv;

static void harvest_cb(void *arg, size_t index, int status, const void *out, size_t len,
                       const char *err)
{
    struct harvest *h = arg;
    (void)index;
    h->calls++;
    if (status != 0) {
        h->failed++;
        if (h->failed == 1) snprintf(h->first_err, sizeof h->first_err, "%s", err ? err : "(null)");
        return;
    }
    if (len != 16) {
        h->bad++;
        return;
    }
    h->ok++;
    uint64_t depth = th_get_u64(out), id = th_get_u64((const char *)out + 8);
    h->depth_sum += depth;
    if (h->seen) {
        if (id >= h->nseen)
            h->bad++;
        else if (h->seen[id]++)
            h->dup++;
    }
}

static void harvest_reset(uint64_t nseen)
{
    free(hv.seen);
    memset(&hv, 0, sizeof hv);
    hv.nseen = nseen;
    hv.seen = nseen ? calloc(nseen, 1) : NULL;
}

struct tree_arg {
    uint64_t b;
    unsigned d;
    int wait;    /* 0: release the root future and return at once */
    int harvest; /* the callback is set */
};

static int drv_tree(tf_pool *pool, void *arg)
{
    struct tree_arg *a = arg;
    /* Static: a released future's task may run after the driver returned,
     * and its input stays borrowed until then. */
    static uint64_t root[N_WORDS];
    root[N_DEPTH] = root[N_ID] = 0;
    root[N_B] = a->b;
    root[N_D] = a->d;
    tf_future *f = NULL;
    int rc = tf_submit(pool, "tree", root, sizeof root, &f);
    TH_CHECK(rc == 0, "tf_submit root: %s", tf_err_name(rc));
    if (!a->wait) {
        tf_future_release(&f);
        return 0;
    }
    int st = f ? tf_wait(f) : -1;
    TH_CHECK(st == 0, "root: %s", tf_err_name(st));
    tf_future_release(&f);
    rc = tf_wait_all(pool);
    TH_CHECK(rc == 0, "tf_wait_all: %s: %s", tf_err_name(rc), tf_pool_errmsg(pool));
    if (a->harvest) {
        /* After tf_wait_all every spawned output has been handed over. */
        uint64_t total = tree_total(a->b, a->d);
        TH_EQ(hv.calls, total - 1);
        TH_EQ(hv.ok, total - 1);
    }
    return 0;
}

static void run_tree(uint64_t b, unsigned d, int wait, int harvest)
{
    uint64_t total = tree_total(b, d);
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    if (harvest) harvest_reset(th_rank() == 0 ? total : 0);
    TH_EQ(tf_pool_on_spawn_result(pool, harvest ? harvest_cb : NULL, harvest ? &hv : NULL), 0);
    nodes_here = spawned_here = 0;
    struct tree_arg a = {b, d, wait, harvest};
    tf_stats s0, s1;
    tf_pool_stats(pool, &s0);
    TH_EQ(th_run(pool, drv_tree, &a), 0);
    tf_pool_stats(pool, &s1);

    uint64_t nodes = th_sum_u64(nodes_here);
    TH_CHECK(nodes == total, "b=%llu d=%u: %llu nodes, want %llu", (unsigned long long)b, d,
             (unsigned long long)nodes, (unsigned long long)total);
    TH_EQ(th_sum_u64(spawned_here), total - 1);
    TH_EQ(th_sum_u64(s1.spawned - s0.spawned), total - 1);
    TH_EQ(th_sum_u64(s1.tasks - s0.tasks), total);
    if (harvest && th_rank() == 0) {
        TH_EQ(hv.calls, total - 1);
        TH_EQ(hv.failed, 0);
        TH_EQ(hv.bad, 0);
        TH_EQ(hv.dup, 0);
        TH_EQ(hv.depth_sum, tree_depth_sum(b, d));
        uint64_t missing = 0;
        for (uint64_t id = 1; id < total; id++) missing += !hv.seen[id];
        TH_EQ(missing, 0);
    }
    if (harvest) harvest_reset(0);
    tf_pool_destroy(&pool);
}

static void test_tree_3x7_harvested(void) { run_tree(3, 7, 1, 1); }
static void test_tree_2x13_counted(void) { run_tree(2, 13, 1, 0); }
static void test_tree_no_wait(void) { run_tree(4, 5, 0, 0); }
static void test_chain_2000(void) { run_tree(1, 2000, 1, 1); }

/* ---- several trees in one run, from a map -------------------------------- */

static int drv_map_spawns(tf_pool *pool, void *arg)
{
    (void)arg;
    size_t n = 100;
    uint64_t(*in)[N_WORDS] = calloc(n, sizeof *in);
    for (size_t i = 0; i < n; i++) {
        in[i][N_DEPTH] = 0;
        in[i][N_ID] = i;
        in[i][N_B] = 5;
        in[i][N_D] = 1;
    }
    tf_results *res = NULL;
    int rc = tf_map(pool, "tree", in, sizeof in[0], n, &res);
    TH_CHECK(rc == 0, "tf_map: %s", tf_err_name(rc));
    if (res) {
        TH_EQ(tf_results_failed(res), 0);
        for (size_t i = 0; i < n && i < tf_results_count(res); i++) {
            const void *o = NULL;
            size_t len = 0;
            tf_results_get(res, i, &o, &len);
            TH_CHECK(len == 16 && th_get_u64((const char *)o + 8) == i, "result %zu", i);
        }
    }
    tf_results_free(&res);
    rc = tf_wait_all(pool);
    TH_CHECK(rc == 0, "tf_wait_all: %s", tf_err_name(rc));
    free(in);
    return 0;
}

static void test_map_tasks_spawn(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    nodes_here = 0;
    TH_EQ(th_run(pool, drv_map_spawns, NULL), 0);
    TH_EQ(th_sum_u64(nodes_here), 100 * 6);
    tf_pool_destroy(&pool);
}

/* ---- a spawned task fails ---------------------------------------------- */

/* in: uint64 k. k == 0: spawns 1..10; k == 5 fails; k == 10 spawns 100,
 * whose child 101 fails too. */
static int fn_fam(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)len, (void)out;
    uint64_t k = th_get_u64(in);
    nodes_here++;
    uint64_t kids[2] = {0, 0};
    size_t nk = 0;
    if (k == 5) return tf_task_fail(t, "child %llu fails on purpose", (unsigned long long)k);
    if (k == 101) return tf_task_fail(t, "grandchild %llu fails on purpose", (unsigned long long)k);
    if (k == 10 || k == 100) kids[nk++] = k == 10 ? 100 : 101;
    for (size_t j = 0; j < nk; j++)
        if (tf_spawn(t, "fam", &kids[j], 8)) return tf_task_fail(t, "tf_spawn failed");
    for (uint64_t c = 1; k == 0 && c <= 10; c++)
        if (tf_spawn(t, "fam", &c, 8)) return tf_task_fail(t, "tf_spawn failed");
    return 0;
}

static int drv_spawn_fail(tf_pool *pool, void *arg)
{
    (void)arg;
    uint64_t zero = 0;
    tf_future *f = NULL;
    int rc = tf_submit(pool, "fam", &zero, 8, &f);
    TH_CHECK(rc == 0, "tf_submit: %s", tf_err_name(rc));
    if (f) TH_CHECK(tf_wait(f) == 0, "the root itself succeeds");
    tf_future_release(&f);
    rc = tf_wait_all(pool);
    TH_CHECK(rc == TF_ETASK, "tf_wait_all after spawned failures: %s", tf_err_name(rc));
    const char *msg = tf_pool_errmsg(pool);
    TH_CHECK(msg && strstr(msg, "fails on purpose"), "tf_pool_errmsg: \"%s\"",
             msg ? msg : "(null)");
    TH_EQ(hv.calls, 12);
    TH_EQ(hv.failed, 2);
    TH_CHECK(strstr(hv.first_err, "fails on purpose") && strstr(hv.first_err, "rank ") &&
                 strstr(hv.first_err, "task "),
             "callback error \"%s\"", hv.first_err);

    /* Only failures since the last tf_wait_all count. */
    rc = tf_wait_all(pool);
    TH_CHECK(rc == 0, "second tf_wait_all: %s", tf_err_name(rc));

    /* A clean family in the same run: still 0. */
    uint64_t seven = 7;
    rc = tf_submit(pool, "fam", &seven, 8, &f);
    tf_future_release(&f);
    TH_EQ(tf_wait_all(pool), 0);
    return 0;
}

static void test_spawned_failure(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    harvest_reset(0);
    TH_EQ(tf_pool_on_spawn_result(pool, harvest_cb, &hv), 0);
    nodes_here = 0;
    tf_stats s0, s1;
    tf_pool_stats(pool, &s0);
    TH_EQ(th_run(pool, drv_spawn_fail, NULL), 0);
    tf_pool_stats(pool, &s1);
    TH_EQ(th_sum_u64(nodes_here), 1 + 10 + 2 + 1);
    TH_EQ(th_sum_u64(s1.failed - s0.failed), 2);
    tf_pool_destroy(&pool);
}

/* ---- sharing: spawned work that piles up on one rank reaches the others -- */

static uint64_t leaves_here;

static int fn_leaf(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t, (void)in, (void)len, (void)out;
    th_spin_us(2000);
    leaves_here++;
    return 0;
}

/* A task that, after 20 ms, spawns 200 leaves of 2 ms, all queued on the
 * rank that ran it; idle ranks must get a share of them. */
static int fn_pile(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len, (void)out;
    th_spin_us(20000);
    for (int i = 0; i < 200; i++)
        if (tf_spawn(t, "leaf", NULL, 0) != 0) return tf_task_fail(t, "spawn failed");
    return 0;
}

/* The root spawns the pile, so that its rank holds nothing for a moment
 * (the pile is running) before the leaves appear. */
static int fn_pile_root(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len, (void)out;
    return tf_spawn(t, "pile", NULL, 0);
}

static int drv_pile(tf_pool *pool, void *arg)
{
    (void)arg;
    tf_future *f = NULL;
    TH_EQ(tf_submit(pool, "pile_root", NULL, 0, &f), 0);
    TH_EQ(tf_wait(f), 0);
    tf_future_release(&f);
    return tf_wait_all(pool);
}

/* Three runs in a row on one pool, so a rank's first message of a run
 * cannot be taken for the end of the last one: in each, at least two ranks
 * run leaves (everything on one rank was a scheduling bug). */
static void test_spawned_work_spreads(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    for (int run = 0; run < 3; run++) {
        leaves_here = 0;
        TH_EQ(th_run(pool, drv_pile, NULL), 0);
        TH_EQ(th_sum_u64(leaves_here), 200);
        if (th_size() > 1) {
            uint64_t ranks_with_leaves = th_sum_u64(leaves_here > 0);
            TH_CHECK(ranks_with_leaves >= 2, "run %d: leaves ran on %llu rank(s)", run,
                     (unsigned long long)ranks_with_leaves);
        }
    }
    tf_pool_destroy(&pool);
}

/* ---- a busy spawner's children are shared while it still runs ---------- */

enum { BUSY_CHILDREN = 8, BUSY_CHILD_US = 50000, BUSY_ROOT_US = 400000 };

/* Every rank of a test runs on this host: CLOCK_MONOTONIC is one clock. */
static uint64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A child: its rank and when it started. */
static int fn_busy_child(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len;
    uint64_t r[2] = {mono_ns(), (uint64_t)tf_pool_rank(tf_task_pool(t))};
    th_spin_us(BUSY_CHILD_US);
    return tf_buf_append(out, r, sizeof r);
}

/* The root spawns its children, then computes for longer than they all
 * take together: its rank's queue is full the whole time, so idle ranks
 * must be given some of it before the root ends. Its output: its rank and
 * when it ended. */
static int fn_busy_root(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len;
    for (int k = 0; k < BUSY_CHILDREN; k++)
        if (tf_spawn(t, "busy_child", NULL, 0) != 0) return tf_task_fail(t, "spawn failed");
    th_spin_us(BUSY_ROOT_US);
    uint64_t r[2] = {mono_ns(), (uint64_t)tf_pool_rank(tf_task_pool(t))};
    return tf_buf_append(out, r, sizeof r);
}

struct busy {
    uint64_t start[BUSY_CHILDREN], rank[BUSY_CHILDREN];
    size_t n;
};

static void busy_cb(void *arg, size_t id, int status, const void *out, size_t len, const char *err)
{
    (void)id, (void)err;
    struct busy *b = arg;
    if (status != 0 || len != 16 || b->n == BUSY_CHILDREN) return;
    b->start[b->n] = th_get_u64(out);
    b->rank[b->n++] = th_get_u64((const char *)out + 8);
}

struct busy_run {
    struct busy *b;
    uint64_t root_end, root_rank;
};

static int drv_busy(tf_pool *pool, void *arg)
{
    struct busy_run *br = arg;
    tf_future *f = NULL;
    /* at 2 ranks the root runs on rank 0: its own worker's queue is the
     * one to be shared */
    tf_submit_opts o = {.flags = TF_SUBMIT_AVOID, .rank = 1};
    TH_EQ(tf_submit_ex(pool, "busy_root", NULL, 0, tf_pool_size(pool) > 1 ? &o : NULL, &f), 0);
    TH_EQ(tf_wait(f), 0);
    const void *out = NULL;
    size_t len = 0;
    TH_EQ(tf_future_result(f, &out, &len), 0);
    if (len == 16) {
        br->root_end = th_get_u64(out);
        br->root_rank = th_get_u64((const char *)out + 8);
    }
    tf_future_release(&f);
    return tf_wait_all(pool);
}

static void test_busy_spawner_shared(void)
{
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    struct busy b = {0};
    struct busy_run br = {&b, 0, 0};
    TH_EQ(tf_pool_on_spawn_result(pool, busy_cb, &b), 0);
    TH_EQ(th_run(pool, drv_busy, &br), 0);
    if (th_rank() == 0) {
        TH_EQ(b.n, BUSY_CHILDREN);
        size_t elsewhere_early = 0;
        for (size_t k = 0; k < b.n; k++)
            elsewhere_early += b.rank[k] != br.root_rank && b.start[k] < br.root_end;
        /* The coordinator sees its own rank's queue as it is; another rank
         * reports its queue when it hands results over, after a task, so
         * only a root on rank 0 (always, at 2 ranks) is held to this. */
        if (th_size() > 1 && br.root_rank == 0)
            TH_CHECK(elsewhere_early >= 1,
                     "no child of the busy root (rank %llu) ran elsewhere while it ran",
                     (unsigned long long)br.root_rank);
    }
    tf_pool_destroy(&pool);
}

/* ---- runs back to back ----------------------------------------------------- */

/* Many short runs in one pool, each a map whose tasks spawn, or a tree:
 * every rank leaves a run before any rank's next one talks to it (a job or
 * a steal of the next run never lands in the last one), under both
 * schedulers. */
static int drv_back_to_back(tf_pool *pool, void *arg)
{
    unsigned k = *(unsigned *)arg;
    if (k % 2) return drv_map_spawns(pool, NULL);
    struct tree_arg a = {2, 6, 1, 0};
    return drv_tree(pool, &a);
}

static void test_runs_back_to_back(void)
{
    for (int sched = TF_SCHED_PEERS; sched <= TF_SCHED_CENTRAL; sched++) {
        tf_pool_opts o = {.sched = (tf_sched)sched};
        tf_pool *pool = th_pool(&o);
        if (!pool) return;
        for (unsigned k = 0; k < 40; k++) {
            nodes_here = 0;
            TH_EQ(th_run(pool, drv_back_to_back, &k), 0);
            uint64_t want = k % 2 ? 100 * 6 : tree_total(2, 6);
            TH_CHECK(th_sum_u64(nodes_here) == want, "sched %d run %u: %llu nodes, want %llu",
                     sched, k, (unsigned long long)th_sum_u64(nodes_here),
                     (unsigned long long)want);
        }
        tf_pool_destroy(&pool);
    }
}

TH_FUNCS(TH_FUNC("tree", fn_tree), TH_FUNC("fam", fn_fam), TH_FUNC("leaf", fn_leaf),
         TH_FUNC("pile", fn_pile), TH_FUNC("pile_root", fn_pile_root),
         TH_FUNC("busy_root", fn_busy_root), TH_FUNC("busy_child", fn_busy_child));
TH_TESTS(TH_TEST(test_spawned_work_spreads), TH_TEST(test_tree_3x7_harvested),
         TH_TEST(test_tree_2x13_counted), TH_TEST(test_tree_no_wait), TH_TEST(test_chain_2000),
         TH_TEST(test_map_tasks_spawn), TH_TEST(test_spawned_failure),
         TH_TEST(test_busy_spawner_shared), TH_TEST(test_runs_back_to_back));
