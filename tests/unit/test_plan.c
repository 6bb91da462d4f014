/* test_plan.c - the placement plan: its arithmetic (core/plan.c) and the
 * cpusets it gives the main and the service thread on invented machines
 * (tf__place_plan on hwloc's synthetic topologies; nothing is bound). */
#include <hwloc.h>
#include <stdio.h>
#include <string.h>

#include "core/plan.h"
#include "system/place.h"
#include "taskfarm.h"
#include "unit.h"

/* ---- the arithmetic ------------------------------------------------------- */

/* A rank alone in its pool's view of the node, as the launcher started it. */
static tf__plan_in rank_in(tf_bind bind, int k, int n, int m)
{
    return (tf__plan_in){.bind = bind,
                         .k = k,
                         .n = n,
                         .ncores = m,
                         .local_rank = k,
                         .local_size = n,
                         .launcher_local = n,
                         .launcher_bound = false};
}

static tf__plan plan_of(tf_bind bind, int k, int n, int m)
{
    tf__plan_in in = rank_in(bind, k, n, m);
    return tf__plan_make(&in);
}

static void test_spread(void)
{
    /* k*m/n: 4 peers on 16 cores take every 4th */
    static const int want4[] = {0, 4, 8, 12};
    for (int k = 0; k < 4; k++) {
        tf__plan pl = plan_of(TF_BIND_AUTO, k, 4, 16);
        CU_ASSERT_EQUAL(pl.why, TF__PLAN_BIND);
        CU_ASSERT_EQUAL(pl.core, want4[k]);
        CU_ASSERT_FALSE(pl.warn);
        CU_ASSERT_FALSE(pl.socket);
    }
    /* rounding down: 3 peers on 8 cores */
    static const int want3[] = {0, 2, 5};
    for (int k = 0; k < 3; k++) CU_ASSERT_EQUAL(plan_of(TF_BIND_CORE, k, 3, 8).core, want3[k]);
    /* as many peers as cores: one each */
    for (int k = 0; k < 6; k++) CU_ASSERT_EQUAL(plan_of(TF_BIND_AUTO, k, 6, 6).core, k);
    /* a large machine does not overflow k*m */
    CU_ASSERT_EQUAL(plan_of(TF_BIND_AUTO, 99999, 100000, 100000).core, 99999);
}

static void test_wrap(void)
{
    /* CORE, 5 peers on 2 cores: k mod 2, shared, no warning */
    for (int k = 0; k < 5; k++) {
        tf__plan pl = plan_of(TF_BIND_CORE, k, 5, 2);
        CU_ASSERT_EQUAL(pl.why, TF__PLAN_BIND);
        CU_ASSERT_EQUAL(pl.core, k % 2);
        CU_ASSERT_FALSE(pl.warn);
    }
    /* SOCKET wraps the same way */
    tf__plan pl = plan_of(TF_BIND_SOCKET, 7, 9, 4);
    CU_ASSERT_EQUAL(pl.why, TF__PLAN_BIND);
    CU_ASSERT_EQUAL(pl.core, 3);
    CU_ASSERT_TRUE(pl.socket);
}

static void test_oversubscribed_auto(void)
{
    for (int k = 0; k < 3; k++) {
        tf__plan pl = plan_of(TF_BIND_AUTO, k, 3, 2);
        CU_ASSERT_EQUAL(pl.why, TF__PLAN_OVERSUB);
        CU_ASSERT_EQUAL(pl.core, -1);
        CU_ASSERT_EQUAL(pl.main_pu, -1);
        CU_ASSERT_EQUAL(pl.svc_pu, -1);
        CU_ASSERT_EQUAL(pl.warn, k == 0); /* the node's first peer says it */
    }
}

static void test_sub_communicator(void)
{
    /* the launcher started 4 ranks here, the pool holds 2 of them */
    tf__plan_in in = rank_in(TF_BIND_AUTO, 0, 2, 8);
    in.launcher_local = 4;
    in.local_size = 2;
    for (int r = 0; r < 2; r++) {
        in.k = in.local_rank = r;
        tf__plan pl = tf__plan_make(&in);
        CU_ASSERT_EQUAL(pl.why, TF__PLAN_SUBCOMM);
        CU_ASSERT_EQUAL(pl.core, -1);
        CU_ASSERT_EQUAL(pl.warn, r == 0);
    }
    /* the launcher bound the ranks: their domains already tell them apart */
    in.k = in.local_rank = 1;
    in.launcher_bound = true;
    tf__plan pl = tf__plan_make(&in);
    CU_ASSERT_EQUAL(pl.why, TF__PLAN_BIND);
    CU_ASSERT_EQUAL(pl.core, 4);
    /* CORE binds anyway */
    in.launcher_bound = false;
    in.bind = TF_BIND_CORE;
    CU_ASSERT_EQUAL(tf__plan_make(&in).why, TF__PLAN_BIND);
    /* a launcher that does not say, or the whole node in the pool */
    in.bind = TF_BIND_AUTO;
    in.launcher_local = 0;
    CU_ASSERT_EQUAL(tf__plan_make(&in).why, TF__PLAN_BIND);
    in.launcher_local = 2;
    CU_ASSERT_EQUAL(tf__plan_make(&in).why, TF__PLAN_BIND);
}

static void test_socket_and_none(void)
{
    tf__plan pl = plan_of(TF_BIND_SOCKET, 1, 2, 16);
    CU_ASSERT_EQUAL(pl.why, TF__PLAN_BIND);
    CU_ASSERT_EQUAL(pl.core, 8);
    CU_ASSERT_TRUE(pl.socket);
    tf__plan_threads(&pl, 2); /* both threads float in the package */
    CU_ASSERT_EQUAL(pl.main_pu, -1);
    CU_ASSERT_EQUAL(pl.svc_pu, -1);

    /* NONE: nothing, not even where there is much to say */
    tf__plan_in in = rank_in(TF_BIND_NONE, 0, 3, 2);
    in.launcher_local = 8;
    pl = tf__plan_make(&in);
    CU_ASSERT_EQUAL(pl.why, TF__PLAN_OFF);
    CU_ASSERT_EQUAL(pl.core, -1);
    CU_ASSERT_FALSE(pl.warn);
}

static void test_no_cores(void)
{
    tf__plan pl = plan_of(TF_BIND_CORE, 0, 1, 0);
    CU_ASSERT_EQUAL(pl.why, TF__PLAN_NO_CORES);
    CU_ASSERT_EQUAL(pl.core, -1);
    CU_ASSERT_TRUE(pl.warn);
    CU_ASSERT_FALSE(plan_of(TF_BIND_CORE, 1, 2, 0).warn);
    pl = plan_of(TF_BIND_AUTO, 0, 0, 4);
    CU_ASSERT_EQUAL(pl.why, TF__PLAN_NO_CORES);
    CU_ASSERT_FALSE(pl.warn);
}

static void test_threads(void)
{
    tf__plan pl = plan_of(TF_BIND_AUTO, 0, 1, 4);
    tf__plan_threads(&pl, 1); /* one hardware thread: both share it */
    CU_ASSERT_EQUAL(pl.main_pu, 0);
    CU_ASSERT_EQUAL(pl.svc_pu, 0);
    tf__plan_threads(&pl, 2);
    CU_ASSERT_EQUAL(pl.main_pu, 0);
    CU_ASSERT_EQUAL(pl.svc_pu, 1);
    tf__plan_threads(&pl, 4);
    CU_ASSERT_EQUAL(pl.svc_pu, 1);
    pl = plan_of(TF_BIND_AUTO, 0, 3, 2); /* unbound stays so */
    tf__plan_threads(&pl, 2);
    CU_ASSERT_EQUAL(pl.main_pu, -1);
    CU_ASSERT_EQUAL(pl.svc_pu, -1);
}

/* ---- the plan on invented machines ---------------------------------------- */

static hwloc_topology_t machine(const char *desc)
{
    hwloc_topology_t t = NULL;
    if (hwloc_topology_init(&t) < 0) return NULL;
    if (hwloc_topology_set_synthetic(t, desc) < 0 || hwloc_topology_load(t) < 0) {
        hwloc_topology_destroy(t);
        return NULL;
    }
    return t;
}

/* Plans peer k of n of a domain (a cpu list; NULL: the whole machine) and
 * checks the cpusets of the main and the service thread ("" unbound) and
 * the domain's cores. */
static void expect(hwloc_topology_t t, const char *domain, tf_bind bind, int k, int n, int want_m,
                   const char *want_main, const char *want_svc)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    hwloc_bitmap_t d = hwloc_bitmap_alloc(), ms = hwloc_bitmap_alloc(), ss = hwloc_bitmap_alloc();
    CU_ASSERT_FATAL(d && ms && ss);
    if (domain) {
        CU_ASSERT_EQUAL_FATAL(hwloc_bitmap_list_sscanf(d, domain), 0);
    } else {
        hwloc_bitmap_copy(d, hwloc_topology_get_allowed_cpuset(t));
    }
    tf__plan_in in = rank_in(bind, k, n, -1);
    tf__plan pl;
    hwloc_bitmap_fill(ms); /* emptied when unbound */
    hwloc_bitmap_fill(ss);
    CU_ASSERT_EQUAL(tf__place_plan(t, d, &in, &pl, ms, ss), 0);
    char got_main[128], got_svc[128];
    hwloc_bitmap_list_snprintf(got_main, sizeof got_main, ms);
    hwloc_bitmap_list_snprintf(got_svc, sizeof got_svc, ss);
    if (in.ncores != want_m || strcmp(got_main, want_main) || strcmp(got_svc, want_svc))
        fprintf(stderr, "domain %s bind %d peer %d/%d: cores %d main '%s' service '%s'\n",
                domain ? domain : "all", (int)bind, k, n, in.ncores, got_main, got_svc);
    CU_ASSERT_EQUAL(in.ncores, want_m);
    CU_ASSERT_STRING_EQUAL(got_main, want_main);
    CU_ASSERT_STRING_EQUAL(got_svc, want_svc);
    CU_ASSERT_EQUAL(pl.why == TF__PLAN_BIND, want_main[0] != '\0');
    hwloc_bitmap_free(d);
    hwloc_bitmap_free(ms);
    hwloc_bitmap_free(ss);
}

static void test_one_socket(void)
{
    hwloc_topology_t t = machine("package:1 core:16 pu:1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    static const char *const want4[] = {"0", "4", "8", "12"};
    for (int k = 0; k < 4; k++) expect(t, NULL, TF_BIND_AUTO, k, 4, 16, want4[k], want4[k]);
    expect(t, NULL, TF_BIND_AUTO, 5, 16, 16, "5", "5");
    expect(t, NULL, TF_BIND_AUTO, 0, 17, 16, "", "");    /* oversubscribed */
    expect(t, NULL, TF_BIND_CORE, 17, 20, 16, "1", "1"); /* wraps */
    expect(t, NULL, TF_BIND_SOCKET, 2, 4, 16, "0-15", "0-15");
    expect(t, NULL, TF_BIND_NONE, 0, 1, 16, "", "");
    hwloc_topology_destroy(t);
}

static void test_two_sockets_smt(void)
{
    /* 2 packages of 2 NUMA nodes of 8 cores of 2 hardware threads: core c
     * is PUs 2c and 2c+1, package 1 is PUs 32-63 */
    hwloc_topology_t t = machine("package:2 numa:2 core:8 pu:2");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    CU_ASSERT_EQUAL(hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE), 4);
    /* one peer per NUMA node, the service thread on the core's sibling */
    static const char *const main4[] = {"0", "16", "32", "48"};
    static const char *const svc4[] = {"1", "17", "33", "49"};
    for (int k = 0; k < 4; k++) expect(t, NULL, TF_BIND_AUTO, k, 4, 32, main4[k], svc4[k]);
    /* 3 peers: cores 0, 10, 21 */
    expect(t, NULL, TF_BIND_AUTO, 0, 3, 32, "0", "1");
    expect(t, NULL, TF_BIND_AUTO, 1, 3, 32, "20", "21");
    expect(t, NULL, TF_BIND_AUTO, 2, 3, 32, "42", "43");
    /* cores, not hardware threads: 64 peers are too many for AUTO */
    expect(t, NULL, TF_BIND_AUTO, 0, 64, 32, "", "");
    expect(t, NULL, TF_BIND_CORE, 33, 64, 32, "2", "3");
    /* SOCKET: the chosen core's package */
    expect(t, NULL, TF_BIND_SOCKET, 1, 2, 32, "32-63", "32-63");
    expect(t, NULL, TF_BIND_SOCKET, 1, 4, 32, "0-31", "0-31");
    hwloc_topology_destroy(t);
}

static void test_partial_domain(void)
{
    /* the launcher gave the rank's group cores 4-11 of 16 */
    hwloc_topology_t t = machine("package:1 core:16 pu:1");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    expect(t, "4-11", TF_BIND_AUTO, 0, 2, 8, "4", "4");
    expect(t, "4-11", TF_BIND_AUTO, 1, 2, 8, "8", "8");
    expect(t, "4-11", TF_BIND_AUTO, 7, 8, 8, "11", "11");
    expect(t, "4-11", TF_BIND_AUTO, 0, 9, 8, "", "");
    expect(t, "4-11", TF_BIND_CORE, 9, 10, 8, "5", "5");
    expect(t, "4-11", TF_BIND_SOCKET, 1, 2, 8, "4-11", "4-11");
    hwloc_topology_destroy(t);

    t = machine("package:2 numa:2 core:8 pu:2");
    CU_ASSERT_PTR_NOT_NULL_FATAL(t);
    /* cores 4-11 (PUs 8-23), across two NUMA nodes of package 0 */
    expect(t, "8-23", TF_BIND_AUTO, 0, 2, 8, "8", "9");
    expect(t, "8-23", TF_BIND_AUTO, 1, 2, 8, "16", "17");
    expect(t, "8-23", TF_BIND_SOCKET, 1, 2, 8, "8-23", "8-23");
    /* a domain that cuts cores 1 and 6 in half: 6 cores, the halves with
     * one hardware thread for both threads */
    expect(t, "3-12", TF_BIND_AUTO, 0, 6, 6, "3", "3");
    expect(t, "3-12", TF_BIND_AUTO, 1, 6, 6, "4", "5");
    expect(t, "3-12", TF_BIND_AUTO, 5, 6, 6, "12", "12");
    expect(t, "3-12", TF_BIND_AUTO, 0, 7, 6, "", "");
    /* a domain across the packages: SOCKET keeps to the chosen core's */
    expect(t, "28-35", TF_BIND_SOCKET, 0, 2, 4, "28-31", "28-31");
    expect(t, "28-35", TF_BIND_SOCKET, 1, 2, 4, "32-35", "32-35");
    hwloc_topology_destroy(t);
}

static const unit_test tests[] = {
    UNIT_TEST(test_spread),
    UNIT_TEST(test_wrap),
    UNIT_TEST(test_oversubscribed_auto),
    UNIT_TEST(test_sub_communicator),
    UNIT_TEST(test_socket_and_none),
    UNIT_TEST(test_no_cores),
    UNIT_TEST(test_threads),
    UNIT_TEST(test_one_socket),
    UNIT_TEST(test_two_sockets_smt),
    UNIT_TEST(test_partial_domain),
};
UNIT_MAIN("plan", tests)
