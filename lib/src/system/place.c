/* place.c - where a rank's threads run: node groups, binding (hwloc), the
 * binding report. The library's one file that includes hwloc.h; the plan's
 * arithmetic is core/plan.c's.
 *
 * Threads:
 *   main thread     tf__place_init (inside tf_pool_create, collective on the
 *                   pool's communicator, before the service thread exists):
 *                   groups, the plan, the main thread's own binding, the
 *                   report; tf__place_free (pool_free, after the service
 *                   thread was joined): gives the main thread back the
 *                   binding it had and frees the topology.
 *   service thread  tf__place_service, first thing it does: binds itself to
 *                   the cpuset the plan left in the tf__place_out.
 *   helper threads  tf__place_helper: rank 0's output writer spreads over the
 *                   domain.
 * No lock: the other threads are created after tf__place_init has written
 * the tf__place_out and joined before tf__place_free reads it, and in
 * between all threads only read it (hwloc allows concurrent reads of a
 * loaded topology).
 *
 * The plan, on each node (ranks that share memory):
 *   domain  the creating thread's cpuset where the launcher (or the
 *           program) bound it to part of the machine (launcher_bound), else
 *           the whole allowed cpuset;
 *   peers   the node's ranks with the same domain; this rank is the k-th of
 *           n of them;
 *   core    the domain's m cores in topology order, peer k taking core
 *           k*m/n (spread), cut to the domain.
 *   AUTO    that core; when n exceeds the domain's cores (oversubscribed),
 *           or the pool holds only some of the ranks the launcher started
 *           on the node (a sub-communicator: its peers cannot see the
 *           others), nothing is bound: the threads keep whatever the
 *           launcher gave (a warning at verbose >= 1 from the node's first
 *           peer).
 *   CORE    that core; oversubscribed, peers wrap round the domain's cores
 *           (peer k gets the core of peer k mod cores), so cores are shared.
 *   SOCKET  the package holding that core, cut to the domain; both threads
 *           float in it.
 *   NONE    nothing.
 * The main thread takes the core's first hardware thread, the service thread
 * the second where the core has one, else the same one. Memory of each
 * thread is bound to the NUMA node(s) of its cpuset; refused, first touch
 * applies. A refused CPU binding is a warning (verbose >= 1): the pool runs
 * unplaced. Nothing here fails the pool except an MPI error, memory, or a
 * bad TF_REPORT_BINDING.
 *
 * Destroying the pool gives the main thread back the binding it had before
 * tf_pool_create (only when destroyed from that thread): the binding belongs
 * to the pool, not to the rest of the program. */
#include "system/place.h"

#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/opts.h"

struct tf__place {
    hwloc_topology_t topo;
    hwloc_bitmap_t svc;         /* the service thread's cpuset; NULL: leave it */
    hwloc_bitmap_t domain;      /* the rank's domain, for its helper threads */
    hwloc_bitmap_t main_before; /* the main thread's cpuset before the pool's */
    hwloc_nodeset_t mem_before; /* and its memory binding, if ours took */
    hwloc_membind_policy_t mem_policy;
    pthread_t creator; /* the thread whose binding is restored */
    int restore_cpu, restore_mem;
};

/* The number of ranks the launcher started on this node, 0 if it does not
 * say (Open MPI's mpirun, MPICH's Hydra). */
static int launcher_local(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v);
    }
    return 0;
}

/* TF_REPORT_BINDING: 0 or 1; -1 for a bad value. */
static int report_env(const char **val)
{
    const char *v = getenv("TF_REPORT_BINDING");
    *val = v ? v : "";
    int on = tf__opts_flag(v);
    return on < 0 ? -1 : on;
}

static int mpi_fail(tf__ctx *ctx, const char *what, int err)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, s, &len) != MPI_SUCCESS) snprintf(s, sizeof s, "error %d", err);
    return tf__fail(ctx, TF_EMPI, "placement: %s: %s", what, s);
}

static int no_memory(tf__ctx *ctx) { return tf__fail(ctx, TF_ENOMEM, "placement: out of memory"); }

/* ---- the node's ranks (MPI) ------------------------------------------------ */

/* The node group into pl: local rank and size, leader, node index and
 * count; and what rank 0 wants reported and the lowest rank with a bad
 * TF_REPORT_BINDING (-1 if none), so that all ranks agree on what to do.
 * *node is the node's communicator on success. Allocates nothing, so that
 * no rank can leave the others waiting in a collective. */
static int groups(tf__ctx *ctx, MPI_Comm comm, int rank, tf_placement *pl, int rep, int *rep0,
                  int *bad_rank, MPI_Comm *node)
{
    int e = MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, node);
    if (e != MPI_SUCCESS) {
        *node = MPI_COMM_NULL;
        return mpi_fail(ctx, "MPI_Comm_split_type", e);
    }
    MPI_Comm_rank(*node, &pl->local_rank);
    MPI_Comm_size(*node, &pl->local_size);

    /* groups are numbered in leader order: a leader's index is the number
     * of leaders below it */
    int lead = pl->local_rank == 0, below = 0;
    e = MPI_Exscan(&lead, &below, 1, MPI_INT, MPI_SUM, comm);
    if (e != MPI_SUCCESS) return mpi_fail(ctx, "MPI_Exscan", e);
    if (rank == 0) below = 0; /* undefined there */
    int sums[2] = {lead, rank == 0 ? rep : 0}, got[2];
    e = MPI_Allreduce(sums, got, 2, MPI_INT, MPI_SUM, comm);
    if (e != MPI_SUCCESS) return mpi_fail(ctx, "MPI_Allreduce", e);
    pl->nodes = got[0];
    *rep0 = got[1];
    int mine = rep < 0 ? rank : INT_MAX;
    e = MPI_Allreduce(&mine, bad_rank, 1, MPI_INT, MPI_MIN, comm);
    if (e != MPI_SUCCESS) return mpi_fail(ctx, "MPI_Allreduce", e);
    if (*bad_rank == INT_MAX) *bad_rank = -1;

    /* local rank 0 has the lowest pool rank (key = rank): the leader */
    int lv[2] = {rank, below};
    e = MPI_Bcast(lv, 2, MPI_INT, 0, *node);
    if (e != MPI_SUCCESS) return mpi_fail(ctx, "MPI_Bcast", e);
    pl->leader = lv[0];
    pl->node = lv[1];
    return 0;
}

/* This rank's index among the node's ranks with the same domain (NULL: no
 * topology), and their number. Ranks are told apart by a 31-bit hash of the
 * domain: two domains that collide are treated as one, and their ranks
 * share cores as if they were one domain. Collective on node. */
static int peers(tf__ctx *ctx, MPI_Comm node, int local_rank, hwloc_const_bitmap_t domain, int *k,
                 int *n)
{
    uint32_t h = 2166136261u; /* FNV-1a over the indexes of the set's cpus */
    if (domain) {
        unsigned i;
        hwloc_bitmap_foreach_begin(i, domain)
        {
            for (int j = 0; j < 4; j++) h = (h ^ (uint8_t)(i >> (8 * j))) * 16777619u;
        }
        hwloc_bitmap_foreach_end();
    }
    MPI_Comm same;
    int e = MPI_Comm_split(node, (int)(h & 0x7fffffff), local_rank, &same);
    if (e != MPI_SUCCESS) return mpi_fail(ctx, "MPI_Comm_split", e);
    MPI_Comm_rank(same, k);
    MPI_Comm_size(same, n);
    MPI_Comm_free(&same);
    return 0;
}

/* ---- the plan's cpusets (hwloc, no MPI, no binding) ------------------------ */

/* What the plan counts as cores: cores where the topology has them, else
 * hardware threads. Cores, not hardware threads, so that two peers never
 * share a core of a partial domain (hwloc_distrib, which splits by hardware
 * threads, could give them one). */
static hwloc_obj_type_t core_type(hwloc_topology_t topo)
{
    return hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
}

/* The number of cores that meet domain. */
static int domain_cores(hwloc_topology_t topo, hwloc_const_bitmap_t domain)
{
    hwloc_obj_type_t ct = core_type(topo);
    int m = 0;
    for (hwloc_obj_t c = NULL; (c = hwloc_get_next_obj_by_type(topo, ct, c));)
        if (hwloc_bitmap_intersects(c->cpuset, domain)) m++;
    return m;
}

/* The i-th core that meets domain, in topology order, or NULL. */
static hwloc_obj_t domain_core(hwloc_topology_t topo, hwloc_const_bitmap_t domain, int i)
{
    hwloc_obj_type_t ct = core_type(topo);
    for (hwloc_obj_t c = NULL; (c = hwloc_get_next_obj_by_type(topo, ct, c));)
        if (hwloc_bitmap_intersects(c->cpuset, domain) && i-- == 0) return c;
    return NULL;
}

/* The index of set's i-th cpu, or -1. */
static int nth_cpu(hwloc_const_bitmap_t set, int i)
{
    int c = hwloc_bitmap_first(set);
    while (c >= 0 && i-- > 0) c = hwloc_bitmap_next(set, c);
    return c;
}

/* The package of core cut to domain (the domain if hwloc knows no package)
 * into set. */
static int package_set(hwloc_topology_t topo, hwloc_obj_t core, hwloc_const_bitmap_t domain,
                       hwloc_bitmap_t set)
{
    hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, core);
    hwloc_const_bitmap_t whole = pkg ? pkg->cpuset : hwloc_topology_get_allowed_cpuset(topo);
    return hwloc_bitmap_and(set, whole, domain);
}

int tf__place_plan(struct hwloc_topology *topo, const struct hwloc_bitmap_s *domain,
                   tf__plan_in *in, tf__plan *plan, struct hwloc_bitmap_s *mainset,
                   struct hwloc_bitmap_s *svcset)
{
    hwloc_bitmap_zero(mainset);
    hwloc_bitmap_zero(svcset);
    in->ncores = domain_cores(topo, domain);
    *plan = tf__plan_make(in);
    if (plan->why != TF__PLAN_BIND) return 0;
    hwloc_obj_t c = domain_core(topo, domain, plan->core);
    if (!c) { /* the count above says there is one */
        *plan = (tf__plan){.why = TF__PLAN_NO_CORES, .core = -1, .main_pu = -1, .svc_pu = -1};
        return 0;
    }
    if (plan->socket) {
        if (package_set(topo, c, domain, mainset) < 0 || hwloc_bitmap_copy(svcset, mainset) < 0)
            return TF_ENOMEM;
        return 0;
    }
    hwloc_bitmap_t core = hwloc_bitmap_alloc();
    if (!core || hwloc_bitmap_and(core, c->cpuset, domain) < 0) {
        hwloc_bitmap_free(core);
        return TF_ENOMEM;
    }
    tf__plan_threads(plan, hwloc_bitmap_weight(core));
    int mc = nth_cpu(core, plan->main_pu), sc = nth_cpu(core, plan->svc_pu);
    hwloc_bitmap_free(core);
    if (hwloc_bitmap_only(mainset, (unsigned)mc) < 0 || hwloc_bitmap_only(svcset, (unsigned)sc) < 0)
        return TF_ENOMEM;
    return 0;
}

/* ---- binding the main thread ------------------------------------------------ */

/* The calling thread's affinity into proc: the launcher's binding, or the
 * program's own (tfrun -c binds its main thread to a slot); not every
 * thread's, ORed: MPI's helper threads keep the launcher's. Its part of the
 * allowed cpus into domain, all of them if none. Returns whether the
 * affinity leaves out some of the allowed cpus (launcher_bound). */
static int find_domain(hwloc_topology_t topo, hwloc_bitmap_t proc, hwloc_bitmap_t domain)
{
    hwloc_const_bitmap_t allowed = hwloc_topology_get_allowed_cpuset(topo);
    if (hwloc_get_cpubind(topo, proc, HWLOC_CPUBIND_THREAD) < 0 &&
        hwloc_get_cpubind(topo, proc, HWLOC_CPUBIND_PROCESS) < 0)
        hwloc_bitmap_copy(proc, allowed);
    hwloc_bitmap_and(domain, proc, allowed);
    if (hwloc_bitmap_iszero(domain)) hwloc_bitmap_copy(domain, allowed);
    return !hwloc_bitmap_isincluded(allowed, proc);
}

/* Tells why the threads stay unbound, from the one rank of the node that
 * the plan chose to. */
static void warn_unbound(const tf__ctx *ctx, const tf__plan *plan, const tf__plan_in *in,
                         const tf_placement *pl)
{
    if (!plan->warn) return;
    if (plan->why == TF__PLAN_SUBCOMM)
        TF_LOG(ctx, 1,
               "the pool has %d of host %s's %d ranks: threads left unbound "
               "(TF_BIND=core binds them anyway)",
               pl->local_size, pl->host, in->launcher_local);
    else
        TF_LOG(ctx, 1, "%d ranks share %d cores of host %s: threads left unbound (TF_BIND=auto)",
               in->n, in->ncores, pl->host);
}

/* Binds the main thread to mainset, keeping its binding until now (proc if
 * hwloc cannot say) for tf__place_free. A refusal is a warning and returns
 * false. */
static bool bind_main_cpus(const tf__ctx *ctx, struct tf__place *pc, hwloc_const_bitmap_t mainset,
                           hwloc_const_bitmap_t proc)
{
    if (hwloc_get_cpubind(pc->topo, pc->main_before, HWLOC_CPUBIND_THREAD) < 0)
        hwloc_bitmap_copy(pc->main_before, proc);
    if (hwloc_set_cpubind(pc->topo, mainset, HWLOC_CPUBIND_THREAD) < 0) {
        char s[64];
        hwloc_bitmap_list_snprintf(s, sizeof s, mainset);
        TF_LOG(ctx, 1, "cannot bind the main thread to cpus %s: %s; running unplaced", s,
               strerror(errno));
        return false;
    }
    pc->creator = pthread_self();
    pc->restore_cpu = 1;
    return true;
}

/* Memory near the main thread; refused, first touch does as well. */
static void bind_main_memory(struct tf__place *pc, hwloc_const_bitmap_t mainset)
{
    pc->mem_before = hwloc_bitmap_alloc();
    if (pc->mem_before &&
        hwloc_get_membind(pc->topo, pc->mem_before, &pc->mem_policy,
                          HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET) == 0 &&
        hwloc_set_membind(pc->topo, mainset, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_THREAD) == 0)
        pc->restore_mem = 1;
}

/* Carries out a binding plan: the main thread now, the service thread's
 * cpuset and the domain kept for later. 0 also when the binding was
 * refused (out->pl.bound stays 0); TF_ENOMEM. */
static int bind_threads(tf__ctx *ctx, tf__place_out *out, hwloc_const_bitmap_t domain,
                        hwloc_const_bitmap_t proc, hwloc_const_bitmap_t mainset,
                        hwloc_const_bitmap_t svcset)
{
    struct tf__place *pc = out->hw;
    pc->main_before = hwloc_bitmap_alloc();
    pc->svc = hwloc_bitmap_dup(svcset);
    bool mem = pc->main_before && pc->svc;
    if (!mem || !bind_main_cpus(ctx, pc, mainset, proc)) {
        hwloc_bitmap_free(pc->svc); /* the service thread stays where it starts */
        pc->svc = NULL;
        return mem ? 0 : no_memory(ctx);
    }
    out->pl.bound = 1;
    hwloc_bitmap_list_snprintf(out->pl.main_cpus, sizeof out->pl.main_cpus, mainset);
    hwloc_bitmap_list_snprintf(out->pl.svc_cpus, sizeof out->pl.svc_cpus, svcset);
    pc->domain = hwloc_bitmap_dup(domain); /* NULL: helper threads stay as they are */
    bind_main_memory(pc, mainset);
    return 0;
}

/* OS index of the NUMA node whose cpuset holds all of set, or -1. */
static int numa_of(hwloc_topology_t topo, hwloc_const_bitmap_t set)
{
    if (hwloc_bitmap_iszero(set)) return -1;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, o));)
        if (o->cpuset && hwloc_bitmap_isincluded(set, o->cpuset)) return (int)o->os_index;
    return -1;
}

/* Where the rank ended up: the main thread's NUMA node, the hardware
 * threads its two threads may use, whether anyone bound it. scratch: any
 * bitmap. */
static void note_where(tf__place_out *out, hwloc_topology_t topo, hwloc_const_bitmap_t proc,
                       hwloc_const_bitmap_t mainset, hwloc_const_bitmap_t svcset,
                       hwloc_bitmap_t scratch)
{
    tf_placement *pl = &out->pl;
    if (pl->bound) {
        hwloc_bitmap_or(scratch, mainset, svcset);
        out->bound_pus = hwloc_bitmap_weight(scratch);
    } else {
        out->bound_pus = hwloc_bitmap_weight(proc);
    }
    /* where the main thread really is now */
    if (hwloc_get_cpubind(topo, scratch, HWLOC_CPUBIND_THREAD) == 0)
        pl->numa = numa_of(topo, scratch);
    out->bound = pl->bound || pl->launcher_bound;
}

/* Plans and binds the main thread; out->hw may be NULL (no topology): the
 * rank still takes part in the node's exchange of domains. Fails only for
 * memory or MPI; a refused binding leaves the rank unplaced. Collective on
 * node. */
static int bind_main(const tf__place_in *in, MPI_Comm node, tf__place_out *out)
{
    tf_placement *pl = &out->pl;
    hwloc_topology_t topo = out->hw ? out->hw->topo : NULL;
    hwloc_bitmap_t proc = hwloc_bitmap_alloc(), domain = hwloc_bitmap_alloc();
    hwloc_bitmap_t mainset = hwloc_bitmap_alloc(), svcset = hwloc_bitmap_alloc();
    hwloc_bitmap_t scratch = hwloc_bitmap_alloc();
    bool mem = proc && domain && mainset && svcset && scratch;
    if (topo && mem) pl->launcher_bound = find_domain(topo, proc, domain);
    int k = 0, n = 0;
    int rc = peers(in->ctx, node, pl->local_rank, topo && mem ? domain : NULL, &k, &n);
    if (rc == 0 && !mem) rc = no_memory(in->ctx);
    if (rc == 0 && topo) {
        tf__plan_in q = {.bind = in->bind,
                         .k = k,
                         .n = n,
                         .local_rank = pl->local_rank,
                         .local_size = pl->local_size,
                         .launcher_local = launcher_local(),
                         .launcher_bound = pl->launcher_bound};
        tf__plan plan;
        if (tf__place_plan(topo, domain, &q, &plan, mainset, svcset) < 0)
            rc = no_memory(in->ctx);
        else if (plan.why != TF__PLAN_BIND)
            warn_unbound(in->ctx, &plan, &q, pl);
        else
            rc = bind_threads(in->ctx, out, domain, proc, mainset, svcset);
        if (rc == 0) note_where(out, topo, proc, mainset, svcset, scratch);
    }
    hwloc_bitmap_free(proc);
    hwloc_bitmap_free(domain);
    hwloc_bitmap_free(mainset);
    hwloc_bitmap_free(svcset);
    hwloc_bitmap_free(scratch);
    return rc;
}

/* ---- the report --------------------------------------------------------------- */

/* TF_REPORT_BINDING=1: rank 0 prints every rank's placement, one line a
 * rank in rank order, on stderr:
 *   taskfarm: binding: host H rank R cores main=M service=S numa N
 *   group G (leader L, local I/J) launcher B
 * (one line each). M and S are cpu lists ("0-3,8"), "-" where taskfarm did
 * not bind; N is -1 where unknown; G is the node index, L its leader's pool
 * rank, I/J the local rank and size; B is 1 if the launcher had bound the
 * process. Collective. */
static int report(tf__ctx *ctx, MPI_Comm comm, const tf_placement *pl)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    tf_placement *all = NULL;
    int ok = rank != 0 || (all = tf__malloc((size_t)size * sizeof *all)) != NULL;
    int e = MPI_Bcast(&ok, 1, MPI_INT, 0, comm); /* no rank gathers into nothing */
    if (e != MPI_SUCCESS) {
        tf__free(all);
        return mpi_fail(ctx, "MPI_Bcast", e);
    }
    if (!ok) return tf__fail(ctx, TF_ENOMEM, "placement: out of memory for the report");
    e = MPI_Gather(pl, (int)sizeof *pl, MPI_BYTE, all, (int)sizeof *pl, MPI_BYTE, 0, comm);
    if (e != MPI_SUCCESS) {
        tf__free(all);
        return mpi_fail(ctx, "MPI_Gather", e);
    }
    if (rank == 0) {
        for (int r = 0; r < size; r++) {
            const tf_placement *q = &all[r];
            fprintf(stderr,
                    "taskfarm: binding: host %s rank %d cores main=%s service=%s numa %d group %d "
                    "(leader %d, local %d/%d) launcher %d\n",
                    q->host, r, q->main_cpus[0] ? q->main_cpus : "-",
                    q->svc_cpus[0] ? q->svc_cpus : "-", q->numa, q->node, q->leader, q->local_rank,
                    q->local_size, q->launcher_bound);
        }
        fflush(stderr);
    }
    tf__free(all);
    return 0;
}

/* ---- entry points ------------------------------------------------------------- */

/* The machine's topology, or NULL: without one the pool runs unplaced, not
 * failed. */
static struct tf__place *load_topology(void)
{
    struct tf__place *pc = tf__calloc(1, sizeof *pc);
    if (pc && hwloc_topology_init(&pc->topo) < 0) {
        tf__free(pc);
        return NULL;
    }
    if (pc && hwloc_topology_load(pc->topo) < 0) {
        hwloc_topology_destroy(pc->topo);
        tf__free(pc);
        return NULL;
    }
    return pc;
}

int tf__place_init(const tf__place_in *in, tf__place_out *out)
{
    memset(out, 0, sizeof *out);
    tf_placement *pl = &out->pl;
    pl->numa = -1;
    if (gethostname(pl->host, sizeof pl->host - 1) < 0) snprintf(pl->host, sizeof pl->host, "?");
    pl->host[sizeof pl->host - 1] = '\0';

    int rank;
    MPI_Comm_rank(in->comm, &rank);
    const char *repv;
    int rep = report_env(&repv), rep0 = 0, bad = -1;
    MPI_Comm node = MPI_COMM_NULL;
    int rc = groups(in->ctx, in->comm, rank, pl, rep, &rep0, &bad, &node);
    if (rc == 0 && bad >= 0) {
        /* every rank knows who has a bad value: all fail, one says why */
        if (rank == bad) tf__opts_say_bad("TF_REPORT_BINDING", repv, rank);
        rc = tf__fail(in->ctx, TF_EINVAL, "TF_REPORT_BINDING: invalid value on rank %d", bad);
    }
    if (rc == 0) {
        out->hw = load_topology();
        if (out->hw) {
            int nc = hwloc_get_nbobjs_by_type(out->hw->topo, HWLOC_OBJ_CORE);
            out->ncores = nc > 0 ? (size_t)nc : 0;
        }
        rc = bind_main(in, node, out);
    }
    if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
    /* bind_main may fail on one rank alone (memory): every rank must know
     * before the report's collectives, or the others would wait there */
    int worst = rc;
    if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, in->comm) != MPI_SUCCESS) worst = TF_EMPI;
    if (rc == 0 && worst < 0) rc = worst;
    if (rc == 0 && rep0 == 1) rc = report(in->ctx, in->comm, pl);
    return rc;
}

void tf__place_service(const tf__place_out *out, const tf__ctx *ctx)
{
    struct tf__place *pc = out->hw;
    if (!pc || !pc->svc) return;
    if (hwloc_set_cpubind(pc->topo, pc->svc, HWLOC_CPUBIND_THREAD) < 0) {
        TF_LOG(ctx, 1, "cannot bind the service thread to cpus %s: %s", out->pl.svc_cpus,
               strerror(errno));
        return;
    }
    (void)hwloc_set_membind(pc->topo, pc->svc, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_THREAD);
}

void tf__place_helper(const tf__place_out *out)
{
    struct tf__place *pc = out->hw;
    if (!pc || !pc->domain || !pc->svc) return; /* nothing was bound */
    (void)hwloc_set_cpubind(pc->topo, pc->domain, HWLOC_CPUBIND_THREAD);
}

void tf__place_free(tf__place_out *out)
{
    struct tf__place *pc = out->hw;
    if (!pc) return;
    if ((pc->restore_cpu || pc->restore_mem) && pthread_equal(pc->creator, pthread_self())) {
        if (pc->restore_cpu)
            (void)hwloc_set_cpubind(pc->topo, pc->main_before, HWLOC_CPUBIND_THREAD);
        if (pc->restore_mem)
            (void)hwloc_set_membind(pc->topo, pc->mem_before, pc->mem_policy,
                                    HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET);
    }
    hwloc_bitmap_free(pc->svc);
    hwloc_bitmap_free(pc->domain);
    hwloc_bitmap_free(pc->main_before);
    hwloc_bitmap_free(pc->mem_before);
    hwloc_topology_destroy(pc->topo);
    tf__free(pc);
    out->hw = NULL;
}
