/* test_place.c - placement (tf_pool_placement, TF_BIND, TF_REPORT_BINDING):
 * node groups, where each policy puts the main and the service thread, the
 * binding report, bad values.
 *
 * Every rank is on this one host. What a policy must do depends on how the
 * launcher started the ranks: Open MPI binds each rank to a core at 1 or 2
 * ranks and leaves 3 or 4 (more than this 2-core machine has) unbound; the
 * "unbound" variant (CMakeLists.txt) turns the launcher's binding off. So the
 * expectations are computed here from what the rank had at start: its
 * domain (its affinity), its peers (ranks with the same domain) and the
 * domain's cores, as place.c's plan defines them:
 *   auto    one core (its first hardware thread) per peer while peers <=
 *           cores, distinct between peers; else nothing bound
 *   core    one core per peer, wrapping round the cores when oversubscribed
 *   socket  main and service share the package of the chosen core, cut to
 *           the domain
 *   none    nothing
 * The service thread is found as the thread that tf_pool_create added
 * (/proc/self/task before and after); its affinity must be svc_cpus.
 *
 * Threads: the main thread only; the test reads the service thread's
 * affinity from /proc. */
#define _GNU_SOURCE
#include <dirent.h>
#include <hwloc.h>
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static int fn_nop(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t, (void)in, (void)len, (void)out;
    return 0;
}

static int drv_few(tf_pool *pool, void *arg)
{
    (void)arg;
    static const char in[8] = {0};
    tf_results *res = NULL;
    int rc = tf_map(pool, "nop", in, 1, 8, &res);
    tf_results_free(&res);
    return rc;
}

/* ---- cpu sets ----------------------------------------------------------- */

/* "0-3,8" (kernel or hwloc list form) into s; 0, or -1 if malformed. */
static int parse_list(const char *l, cpu_set_t *s)
{
    CPU_ZERO(s);
    while (*l && *l != '\n') {
        char *end;
        long a = strtol(l, &end, 10), b = a;
        if (end == l || a < 0) return -1;
        if (*end == '-') {
            l = end + 1;
            b = strtol(l, &end, 10);
            if (end == l || b < a) return -1;
        }
        for (long c = a; c <= b && c < CPU_SETSIZE; c++) CPU_SET((int)c, s);
        l = end;
        if (*l == ',') l++;
    }
    return 0;
}

static void to_list(const cpu_set_t *s, char *buf, size_t n)
{
    hwloc_bitmap_t b = hwloc_bitmap_alloc();
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, s)) hwloc_bitmap_set(b, (unsigned)c);
    hwloc_bitmap_list_snprintf(buf, n, b);
    hwloc_bitmap_free(b);
}

/* A thread's affinity from /proc; -1 if it is gone. */
static int thread_affinity(int tid, cpu_set_t *s)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/self/task/%d/status", tid);
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    int rc = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "Cpus_allowed_list:", 18) == 0) {
            const char *v = line + 18;
            while (*v == ' ' || *v == '\t') v++;
            rc = parse_list(v, s);
            break;
        }
    fclose(f);
    return rc;
}

#define MAXT 256

static int list_tids(int *tids)
{
    DIR *d = opendir("/proc/self/task");
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && n < MAXT)
        if (e->d_name[0] != '.') tids[n++] = atoi(e->d_name);
    if (d) closedir(d);
    return n;
}

static int has(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return 1;
    return 0;
}

/* ---- what the rank had at start ----------------------------------------- */

static hwloc_topology_t topo;
static cpu_set_t start_set; /* the main thread's affinity before any pool */
static char start_list[256];

/* This rank's index among the ranks with the same starting affinity and
 * their number (every rank is on this host). */
static void start_peers(int *k, int *n)
{
    char *all = malloc((size_t)th_size() * sizeof start_list);
    MPI_Allgather(start_list, sizeof start_list, MPI_CHAR, all, sizeof start_list, MPI_CHAR,
                  MPI_COMM_WORLD);
    *k = *n = 0;
    for (int r = 0; r < th_size(); r++) {
        if (strcmp(all + (size_t)r * sizeof start_list, start_list)) continue;
        if (r < th_rank()) (*k)++;
        (*n)++;
    }
    free(all);
}

/* Cores that hold a cpu of the start set. */
static int start_cores(void)
{
    int m = 0;
    for (hwloc_obj_t c = NULL; (c = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_CORE, c));)
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &start_set) && hwloc_bitmap_isset(c->cpuset, (unsigned)i)) {
                m++;
                break;
            }
    return m;
}

static void setup(void)
{
    if (topo) return;
    hwloc_topology_init(&topo);
    hwloc_topology_load(topo);
    sched_getaffinity(0, sizeof start_set, &start_set);
    to_list(&start_set, start_list, sizeof start_list);
}

/* The core (hwloc object) holding cpu c. */
static hwloc_obj_t core_of(int c)
{
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(topo, (unsigned)c);
    return pu ? hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_CORE, pu) : NULL;
}

/* ---- tests --------------------------------------------------------------- */

static void test_place_groups(void)
{
    setup();
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    tf_placement pl;
    TH_EQ(tf_pool_placement(pool, &pl), 0);
    TH_EQ(pl.node, 0);
    TH_EQ(pl.nodes, 1);
    TH_EQ(pl.leader, 0);
    TH_EQ(pl.local_rank, th_rank());
    TH_EQ(pl.local_size, th_size());
    char host[64] = "";
    gethostname(host, sizeof host - 1);
    TH_CHECK(strcmp(pl.host, host) == 0, "host '%s', want '%s'", pl.host, host);
    TH_CHECK(pl.numa >= -1, "numa %d", pl.numa);
    /* the launcher's binding, as the start affinity shows it */
    int launcher = CPU_COUNT(&start_set) < hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    TH_EQ(pl.launcher_bound, launcher);
    TH_EQ(tf_pool_placement(NULL, &pl), TF_EINVAL);
    TH_EQ(tf_pool_placement(pool, NULL), TF_EINVAL);
    tf_pool_destroy(&pool);
}

/* One policy, through TF_BIND (env) or opts.bind. */
static void check_policy(const char *name, tf_bind b, int by_env)
{
    setup();
    int before[MAXT], after[MAXT];
    int nb = list_tids(before);
    tf_pool_opts o = {.bind = by_env ? TF_BIND_AUTO : b};
    if (by_env) setenv("TF_BIND", name, 1);
    tf_pool *pool = th_pool(&o);
    unsetenv("TF_BIND");
    if (!pool) return;
    TH_EQ(th_run(pool, drv_few, NULL), 0); /* the service thread has bound itself */
    tf_placement pl;
    TH_EQ(tf_pool_placement(pool, &pl), 0);

    int k, n;
    start_peers(&k, &n);
    int m = start_cores();
    cpu_set_t mine, main_s, svc_s;
    sched_getaffinity(0, sizeof mine, &mine);
    int main_ok = parse_list(pl.main_cpus, &main_s) == 0;
    int svc_ok = parse_list(pl.svc_cpus, &svc_s) == 0;
    TH_CHECK(main_ok && svc_ok, "main '%s' service '%s'", pl.main_cpus, pl.svc_cpus);

    int want_bound = b == TF_BIND_NONE ? 0 : b == TF_BIND_AUTO ? n <= m : 1;
    TH_CHECK(pl.bound == want_bound, "%s: bound %d, want %d (%d peers, %d cores, start %s)", name,
             pl.bound, want_bound, n, m, start_list);
    int mycore = -1; /* the logical index of main's core where bound */
    if (!pl.bound) {
        TH_CHECK(!pl.main_cpus[0] && !pl.svc_cpus[0], "%s unbound: main '%s' service '%s'", name,
                 pl.main_cpus, pl.svc_cpus);
        TH_CHECK(CPU_EQUAL(&mine, &start_set), "%s unbound: the main thread moved", name);
    } else {
        TH_CHECK(CPU_EQUAL(&mine, &main_s), "%s: main thread not on main_cpus %s", name,
                 pl.main_cpus);
        cpu_set_t in;
        CPU_AND(&in, &main_s, &start_set);
        TH_CHECK(CPU_EQUAL(&in, &main_s), "%s: main %s outside the start set %s", name,
                 pl.main_cpus, start_list);
        int first = -1;
        for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
            if (CPU_ISSET(c, &main_s)) first = c;
        hwloc_obj_t core = first >= 0 ? core_of(first) : NULL;
        if (b == TF_BIND_SOCKET) {
            TH_CHECK(CPU_EQUAL(&main_s, &svc_s), "socket: main %s service %s", pl.main_cpus,
                     pl.svc_cpus);
            hwloc_obj_t pkg =
                core ? hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, core) : NULL;
            cpu_set_t want;
            CPU_ZERO(&want);
            for (int c = 0; c < CPU_SETSIZE; c++)
                if (CPU_ISSET(c, &start_set) &&
                    (!pkg || hwloc_bitmap_isset(pkg->cpuset, (unsigned)c)))
                    CPU_SET(c, &want);
            TH_CHECK(CPU_EQUAL(&main_s, &want), "socket: main %s", pl.main_cpus);
        } else {
            /* one hardware thread for main; the service thread on the same
             * core: its sibling, or the same one where the core has one */
            TH_EQ(CPU_COUNT(&main_s), 1);
            TH_EQ(CPU_COUNT(&svc_s), 1);
            int pus = core ? hwloc_bitmap_weight(core->cpuset) : 1;
            int svc_first = -1;
            for (int c = 0; c < CPU_SETSIZE && svc_first < 0; c++)
                if (CPU_ISSET(c, &svc_s)) svc_first = c;
            TH_CHECK(core && svc_first >= 0 &&
                         hwloc_bitmap_isset(core->cpuset, (unsigned)svc_first),
                     "service %s not on main's core", pl.svc_cpus);
            if (pus == 1 || !CPU_ISSET(svc_first, &start_set))
                TH_EQ(svc_first, first);
            else
                TH_CHECK(svc_first != first, "service %s on main's %s though the core has %d",
                         pl.svc_cpus, pl.main_cpus, pus);
            mycore = core ? (int)core->logical_index : -1;
        }
    }
    /* peers (ranks that started on the same cpus) get distinct cores while
     * there are enough; beyond, CORE wraps round. Every rank gathers, bound
     * or not: ranks that started on different cpus may differ in that (a
     * launcher that binds rank by rank: at 3 ranks on 2 cores, two share
     * one core and one has the other to itself). */
    int *cores = malloc((size_t)th_size() * sizeof *cores);
    char *lists = malloc((size_t)th_size() * sizeof start_list);
    MPI_Allgather(&mycore, 1, MPI_INT, cores, 1, MPI_INT, MPI_COMM_WORLD);
    MPI_Allgather(start_list, sizeof start_list, MPI_CHAR, lists, sizeof start_list, MPI_CHAR,
                  MPI_COMM_WORLD);
    for (int r = 0, j = 0; pl.bound && b != TF_BIND_SOCKET && r < th_size(); r++) {
        if (strcmp(lists + (size_t)r * sizeof start_list, start_list)) continue;
        if (r != th_rank()) {
            int want_same = n > m && j % m == k % m;
            TH_CHECK((cores[r] == mycore) == want_same,
                     "%s: rank %d (peer %d) on core %d, here (peer %d of %d, %d cores) core %d",
                     name, r, j, cores[r], k, n, m, mycore);
        }
        j++;
    }
    free(lists);
    free(cores);
    if (b != TF_BIND_SOCKET) TH_CHECK(pl.numa >= 0 || !pl.bound, "numa %d", pl.numa);

    /* the thread tf_pool_create added is the service thread */
    int na = list_tids(after), found = 0;
    for (int i = 0; i < na; i++) {
        if (has(before, nb, after[i])) continue;
        cpu_set_t s;
        if (thread_affinity(after[i], &s) < 0) continue;
        found++;
        cpu_set_t want = pl.bound ? svc_s : start_set;
        char got[256];
        to_list(&s, got, sizeof got);
        TH_CHECK(CPU_EQUAL(&s, &want), "%s: new thread %d on %s, want %s", name, after[i], got,
                 pl.bound ? pl.svc_cpus : start_list);
    }
    TH_CHECK(found >= 1, "%s: no new thread found", name);

    tf_pool_destroy(&pool);
    /* the pool gave the main thread its binding back */
    sched_getaffinity(0, sizeof mine, &mine);
    TH_CHECK(CPU_EQUAL(&mine, &start_set), "%s: binding not restored after destroy", name);
}

static void test_place_auto(void) { check_policy("auto", TF_BIND_AUTO, 0); }
static void test_place_auto_env(void) { check_policy("auto", TF_BIND_AUTO, 1); }
static void test_place_core(void) { check_policy("core", TF_BIND_CORE, 1); }
static void test_place_core_opts(void) { check_policy("core", TF_BIND_CORE, 0); }
static void test_place_socket(void) { check_policy("socket", TF_BIND_SOCKET, 1); }
static void test_place_none(void) { check_policy("none", TF_BIND_NONE, 1); }

/* Bad values fail tf_pool_create with TF_EINVAL on every rank. */
static void test_place_bad_values(void)
{
    tf_pool *pool = NULL;
    setenv("TF_BIND", "cores", 1);
    TH_EQ(tf_pool_create(MPI_COMM_WORLD, NULL, &pool), TF_EINVAL);
    TH_CHECK(pool == NULL, "a pool after TF_EINVAL");
    unsetenv("TF_BIND");

    tf_pool_opts o = {.bind = (tf_bind)42};
    TH_EQ(tf_pool_create(MPI_COMM_WORLD, &o, &pool), TF_EINVAL);
    TH_CHECK(pool == NULL, "a pool after TF_EINVAL");

    setenv("TF_REPORT_BINDING", "yes", 1);
    TH_EQ(tf_pool_create(MPI_COMM_WORLD, NULL, &pool), TF_EINVAL);
    TH_CHECK(pool == NULL, "a pool after TF_EINVAL");
    unsetenv("TF_REPORT_BINDING");

    /* "0" and "" mean no report, and work */
    setenv("TF_REPORT_BINDING", "0", 1);
    pool = th_pool(NULL);
    tf_pool_destroy(&pool);
    setenv("TF_REPORT_BINDING", "", 1);
    pool = th_pool(NULL);
    tf_pool_destroy(&pool);
    unsetenv("TF_REPORT_BINDING");
}

/* TF_REPORT_BINDING=1: rank 0's stderr gets one line per rank, in rank
 * order, that says what tf_pool_placement says. Rank 0 sends its stderr to
 * a file for the while. */
static void check_report(const char *bind)
{
    setup();
    int distinct = (!bind || strcmp(bind, "core") == 0) &&
                   th_size() <= hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    char path[] = "/tmp/tf-place-report.XXXXXX";
    int fd = -1, saved = -1;
    if (th_rank() == 0) {
        fd = mkstemp(path);
        fflush(stderr);
        saved = dup(2);
        if (fd >= 0) dup2(fd, 2);
    }
    setenv("TF_REPORT_BINDING", "1", 1);
    if (bind) setenv("TF_BIND", bind, 1);
    tf_pool *pool = NULL;
    int rc = tf_pool_create(MPI_COMM_WORLD, NULL, &pool);
    unsetenv("TF_REPORT_BINDING");
    unsetenv("TF_BIND");
    if (th_rank() == 0) {
        fflush(stderr);
        dup2(saved, 2);
        close(saved);
    }
    TH_EQ(rc, 0);
    tf_placement pl;
    memset(&pl, 0, sizeof pl);
    if (pool) tf_pool_placement(pool, &pl);
    tf_placement *all = th_rank() == 0 ? calloc((size_t)th_size(), sizeof *all) : NULL;
    MPI_Gather(&pl, sizeof pl, MPI_BYTE, all, sizeof pl, MPI_BYTE, 0, MPI_COMM_WORLD);
    if (th_rank() == 0) {
        FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
        if (f) rewind(f);
        char line[512];
        int r = 0;
        while (f && fgets(line, sizeof line, f)) {
            if (strncmp(line, "taskfarm: binding: ", 19) != 0) continue;
            fputs(line, stdout); /* shows in the test log */
            char host[64], mc[64], sc[64];
            int rank, numa, group, leader, lr, ls, lb;
            int got = sscanf(line,
                             "taskfarm: binding: host %63s rank %d cores main=%63s service=%63s "
                             "numa %d group %d (leader %d, local %d/%d) launcher %d",
                             host, &rank, mc, sc, &numa, &group, &leader, &lr, &ls, &lb);
            if (!TH_CHECK(got == 10, "unparsed line: %s", line)) continue;
            if (!TH_CHECK(r < th_size(), "more lines than ranks: %s", line)) break;
            const tf_placement *q = &all[r];
            TH_EQ(rank, r);
            TH_CHECK(strcmp(host, q->host) == 0, "host %s", host);
            TH_CHECK(strcmp(mc, q->main_cpus[0] ? q->main_cpus : "-") == 0, "main %s vs %s", mc,
                     q->main_cpus);
            TH_CHECK(strcmp(sc, q->svc_cpus[0] ? q->svc_cpus : "-") == 0, "service %s vs %s", sc,
                     q->svc_cpus);
            TH_EQ(numa, q->numa);
            TH_EQ(group, q->node);
            TH_EQ(leader, q->leader);
            TH_EQ(lr, q->local_rank);
            TH_EQ(ls, q->local_size);
            TH_EQ(lb, q->launcher_bound);
            /* auto and core with no more ranks than cores: one core each */
            if (distinct) {
                TH_CHECK(q->bound, "rank %d unbound", r);
                for (int s = 0; s < r; s++)
                    TH_CHECK(strcmp(all[s].main_cpus, q->main_cpus) != 0,
                             "ranks %d and %d both on %s", s, r, mc);
            }
            r++;
        }
        TH_EQ(r, th_size());
        if (f)
            fclose(f);
        else if (fd >= 0)
            close(fd);
        unlink(path);
        free(all);
    }
    tf_pool_destroy(&pool);
}

static void test_place_report(void) { check_report(NULL); }
static void test_place_report_core(void) { check_report("core"); }
static void test_place_report_none(void) { check_report("none"); }

/* Repeated create/destroy leaves every rank where it started. */
static void test_place_repeat(void)
{
    setup();
    for (int i = 0; i < 5; i++) {
        tf_pool *pool = th_pool(NULL);
        if (!pool) return;
        TH_EQ(th_run(pool, drv_few, NULL), 0);
        tf_pool_destroy(&pool);
    }
    cpu_set_t mine;
    sched_getaffinity(0, sizeof mine, &mine);
    TH_CHECK(CPU_EQUAL(&mine, &start_set), "moved after 5 pools");
}

TH_FUNCS(TH_FUNC("nop", fn_nop));
TH_TESTS(TH_TEST(test_place_groups), TH_TEST(test_place_auto), TH_TEST(test_place_auto_env),
         TH_TEST(test_place_core), TH_TEST(test_place_core_opts), TH_TEST(test_place_socket),
         TH_TEST(test_place_none), TH_TEST(test_place_bad_values), TH_TEST(test_place_report),
         TH_TEST(test_place_report_core), TH_TEST(test_place_report_none),
         TH_TEST(test_place_repeat));
