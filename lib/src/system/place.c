/* place.c - where a rank's threads run: node groups, binding (hwloc), the
 * binding report. The one file that includes hwloc.h.
 *
 * Threads:
 *   main thread     tf__place_init (inside tf_pool_create, collective on the
 *                   pool's communicator, before the service thread exists):
 *                   groups, the plan, the main thread's own binding, the
 *                   report; tf__place_free (pool_free, after the service
 *                   thread was joined): gives the main thread back the
 *                   binding it had and frees the topology.
 *   service thread  tf__place_service, first thing it does: binds itself to
 *                   the cpuset the plan left in p->place.
 * No lock: the service thread is created after tf__place_init has written
 * p->place and joined before tf__place_free reads it, and in between both
 * threads only read it (hwloc allows concurrent reads of a loaded topology).
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
#include <errno.h>
#include <hwloc.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/opts.h"
#include "pool.h"

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

static int mpi_fail(tf_pool *p, const char *what, int err)
{
    char s[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(err, s, &len) != MPI_SUCCESS) snprintf(s, sizeof s, "error %d", err);
    return tf__fail(&p->ctx, TF_EMPI, "placement: %s: %s", what, s);
}

/* The node group: local rank and size, leader, node index and count; and
 * what rank 0 wants reported and the lowest rank with a bad
 * TF_REPORT_BINDING (-1 if none), so that all ranks agree on what to do.
 * *node is the node's communicator on success. Allocates nothing, so that
 * no rank can leave the others waiting in a collective. */
static int groups(tf_pool *p, MPI_Comm comm, int rep, int *rep0, int *bad_rank, MPI_Comm *node)
{
    tf_placement *pl = &p->pl;
    int e = MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, p->rank, MPI_INFO_NULL, node);
    if (e != MPI_SUCCESS) {
        *node = MPI_COMM_NULL;
        return mpi_fail(p, "MPI_Comm_split_type", e);
    }
    MPI_Comm_rank(*node, &pl->local_rank);
    MPI_Comm_size(*node, &pl->local_size);

    /* groups are numbered in leader order: a leader's index is the number
     * of leaders below it */
    int lead = pl->local_rank == 0, below = 0;
    e = MPI_Exscan(&lead, &below, 1, MPI_INT, MPI_SUM, comm);
    if (e != MPI_SUCCESS) return mpi_fail(p, "MPI_Exscan", e);
    if (p->rank == 0) below = 0; /* undefined there */
    int sums[2] = {lead, p->rank == 0 ? rep : 0}, got[2];
    e = MPI_Allreduce(sums, got, 2, MPI_INT, MPI_SUM, comm);
    if (e != MPI_SUCCESS) return mpi_fail(p, "MPI_Allreduce", e);
    pl->nodes = got[0];
    *rep0 = got[1];
    int mine = rep < 0 ? p->rank : INT_MAX;
    e = MPI_Allreduce(&mine, bad_rank, 1, MPI_INT, MPI_MIN, comm);
    if (e != MPI_SUCCESS) return mpi_fail(p, "MPI_Allreduce", e);
    if (*bad_rank == INT_MAX) *bad_rank = -1;

    /* local rank 0 has the lowest pool rank (key = rank): the leader */
    int lv[2] = {p->rank, below};
    e = MPI_Bcast(lv, 2, MPI_INT, 0, *node);
    if (e != MPI_SUCCESS) return mpi_fail(p, "MPI_Bcast", e);
    pl->leader = lv[0];
    pl->node = lv[1];
    return 0;
}

/* This rank's index among the node's ranks with the same domain (NULL: no
 * topology), and their number. Ranks are told apart by a 31-bit hash of the
 * domain: two domains that collide are treated as one, and their ranks
 * share cores as if they were one domain. Collective on node. */
static int peers(tf_pool *p, MPI_Comm node, hwloc_const_bitmap_t domain, int *k, int *n)
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
    int e = MPI_Comm_split(node, (int)(h & 0x7fffffff), p->pl.local_rank, &same);
    if (e != MPI_SUCCESS) return mpi_fail(p, "MPI_Comm_split", e);
    MPI_Comm_rank(same, k);
    MPI_Comm_size(same, n);
    MPI_Comm_free(&same);
    return 0;
}

/* The core (cut to the domain) that peer k of n gets, or NULL: oversubscribed
 * under AUTO, or hwloc could not say. *ncores: the domain's cores. */
static hwloc_bitmap_t choose_core(tf_pool *p, hwloc_topology_t topo, hwloc_const_bitmap_t domain,
                                  int k, int n, int *ncores, hwloc_obj_t *core_obj)
{
    hwloc_obj_type_t ct =
        hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
    int m = 0;
    for (hwloc_obj_t c = NULL; (c = hwloc_get_next_obj_by_type(topo, ct, c));)
        if (hwloc_bitmap_intersects(c->cpuset, domain)) m++;
    *ncores = m;
    if (m == 0 || n == 0) return NULL;
    if (n > m && p->opts.bind == TF_BIND_AUTO) return NULL;
    /* the domain's cores in topology order, spread evenly over the n peers
     * (peer k gets core k*m/n: neighbours share caches least when there are
     * cores to spare); with more peers than cores (CORE) they wrap round.
     * Cores, not hardware threads, are counted: hwloc_distrib splits by
     * hardware threads and can give two peers one core of a partial domain */
    int want = n <= m ? (int)(((long long)k * m) / n) : k % m;
    hwloc_obj_t c = NULL;
    for (int i = 0; (c = hwloc_get_next_obj_by_type(topo, ct, c));)
        if (hwloc_bitmap_intersects(c->cpuset, domain) && i++ == want) break;
    hwloc_bitmap_t core = c ? hwloc_bitmap_dup(c->cpuset) : NULL;
    if (core) {
        hwloc_bitmap_and(core, core, domain);
        *core_obj = c;
    }
    return core;
}

/* OS index of the NUMA node whose cpuset holds all of set, or -1. */
static int numa_of(hwloc_topology_t topo, hwloc_const_bitmap_t set)
{
    if (hwloc_bitmap_iszero(set)) return -1;
    for (hwloc_obj_t o = NULL; (o = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE, o));)
        if (o->cpuset && hwloc_bitmap_isincluded(set, o->cpuset)) return (int)o->os_index;
    return -1;
}

/* Plans and binds the main thread; pc may be NULL (no topology), the rank
 * still takes part in the node's exchange of domains. Fails only for memory
 * or MPI; a refused binding leaves the rank unplaced. */
static int bind_main(tf_pool *p, MPI_Comm node, struct tf__place *pc)
{
    tf_placement *pl = &p->pl;
    hwloc_topology_t topo = pc ? pc->topo : NULL;
    hwloc_const_bitmap_t allowed = topo ? hwloc_topology_get_allowed_cpuset(topo) : NULL;
    hwloc_bitmap_t proc = hwloc_bitmap_alloc(), domain = hwloc_bitmap_alloc();
    hwloc_bitmap_t now = hwloc_bitmap_alloc(), core = NULL, mainset = NULL, svcset = NULL;
    bool mem = proc && domain && now;
    if (topo && mem) {
        /* the calling thread's affinity: the launcher's binding, or the
         * program's own (tfrun -c binds its main thread to a slot); not
         * every thread's, ORed: MPI's helper threads keep the launcher's */
        if (hwloc_get_cpubind(topo, proc, HWLOC_CPUBIND_THREAD) < 0 &&
            hwloc_get_cpubind(topo, proc, HWLOC_CPUBIND_PROCESS) < 0)
            hwloc_bitmap_copy(proc, allowed);
        pl->launcher_bound = !hwloc_bitmap_isincluded(allowed, proc);
        hwloc_bitmap_and(domain, proc, allowed);
        if (hwloc_bitmap_iszero(domain)) hwloc_bitmap_copy(domain, allowed);
    }
    int k = 0, n = 0, m = 0;
    int rc = peers(p, node, topo && mem ? domain : NULL, &k, &n);
    if (rc == 0 && !mem) rc = tf__fail(&p->ctx, TF_ENOMEM, "placement: out of memory");
    if (rc < 0 || !topo) goto out;
    if (p->opts.bind == TF_BIND_NONE) goto out;

    if (p->opts.bind == TF_BIND_AUTO && !pl->launcher_bound && launcher_local() > pl->local_size) {
        /* the pool holds some of the node's ranks (a sub-communicator):
         * its peers cannot see the others, so spreading would stack pools
         * on the same first cores */
        if (pl->local_rank == 0)
            TF_LOG(&p->ctx, 1,
                   "the pool has %d of host %s's %d ranks: threads left unbound "
                   "(TF_BIND=core binds them anyway)",
                   pl->local_size, pl->host, launcher_local());
        goto out;
    }
    hwloc_obj_t cobj = NULL;
    core = choose_core(p, topo, domain, k, n, &m, &cobj);
    if (!core || hwloc_bitmap_iszero(core)) {
        if (n > m && k == 0)
            TF_LOG(&p->ctx, 1, "%d ranks share %d cores of host %s: threads left unbound (TF_BIND=auto)",
                   n, m, pl->host);
        goto out;
    }
    if (p->opts.bind == TF_BIND_SOCKET) {
        hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, cobj);
        if ((mainset = hwloc_bitmap_dup(pkg ? pkg->cpuset : allowed)))
            hwloc_bitmap_and(mainset, mainset, domain);
        svcset = mainset ? hwloc_bitmap_dup(mainset) : NULL;
    } else {
        int first = hwloc_bitmap_first(core), second = hwloc_bitmap_next(core, first);
        mainset = hwloc_bitmap_alloc();
        svcset = hwloc_bitmap_alloc();
        if (mainset && svcset) {
            hwloc_bitmap_only(mainset, (unsigned)first);
            hwloc_bitmap_only(svcset, (unsigned)(second >= 0 ? second : first));
        }
    }
    if (!mainset || !svcset || !(pc->main_before = hwloc_bitmap_alloc())) {
        rc = tf__fail(&p->ctx, TF_ENOMEM, "placement: out of memory");
        goto out;
    }

    if (hwloc_get_cpubind(topo, pc->main_before, HWLOC_CPUBIND_THREAD) < 0)
        hwloc_bitmap_copy(pc->main_before, proc);
    if (hwloc_set_cpubind(topo, mainset, HWLOC_CPUBIND_THREAD) < 0) {
        char s[64];
        hwloc_bitmap_list_snprintf(s, sizeof s, mainset);
        TF_LOG(&p->ctx, 1, "cannot bind the main thread to cpus %s: %s; running unplaced", s,
               strerror(errno));
        goto out;
    }
    pc->creator = pthread_self();
    pc->restore_cpu = 1;
    pl->bound = 1;
    hwloc_bitmap_list_snprintf(pl->main_cpus, sizeof pl->main_cpus, mainset);
    hwloc_bitmap_list_snprintf(pl->svc_cpus, sizeof pl->svc_cpus, svcset);
    hwloc_bitmap_or(now, mainset, svcset);
    p->bound_pus = hwloc_bitmap_weight(now);
    pc->svc = svcset;
    pc->domain = hwloc_bitmap_dup(domain); /* NULL: helper threads stay as they are */
    svcset = NULL;

    /* memory near the main thread; refused, first touch does as well */
    pc->mem_before = hwloc_bitmap_alloc();
    if (pc->mem_before &&
        hwloc_get_membind(topo, pc->mem_before, &pc->mem_policy,
                          HWLOC_MEMBIND_THREAD | HWLOC_MEMBIND_BYNODESET) == 0 &&
        hwloc_set_membind(topo, mainset, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_THREAD) == 0)
        pc->restore_mem = 1;

out:
    if (rc == 0 && topo) {
        /* where the main thread really is now */
        if (hwloc_get_cpubind(topo, now, HWLOC_CPUBIND_THREAD) == 0) pl->numa = numa_of(topo, now);
        if (!pl->bound) p->bound_pus = hwloc_bitmap_weight(proc);
        p->bound = pl->bound || pl->launcher_bound;
    }
    hwloc_bitmap_free(proc);
    hwloc_bitmap_free(domain);
    hwloc_bitmap_free(now);
    hwloc_bitmap_free(core);
    hwloc_bitmap_free(mainset);
    hwloc_bitmap_free(svcset);
    return rc;
}

/* TF_REPORT_BINDING=1: rank 0 prints every rank's placement, one line a
 * rank in rank order, on stderr:
 *   taskfarm: binding: host H rank R cores main=M service=S numa N
 *   group G (leader L, local I/J) launcher B
 * (one line each). M and S are cpu lists ("0-3,8"), "-" where taskfarm did
 * not bind; N is -1 where unknown; G is the node index, L its leader's pool
 * rank, I/J the local rank and size; B is 1 if the launcher had bound the
 * process. Collective. */
static int report(tf_pool *p, MPI_Comm comm)
{
    tf_placement *all = NULL;
    int ok = p->rank != 0 || (all = malloc((size_t)p->size * sizeof *all)) != NULL;
    int e = MPI_Bcast(&ok, 1, MPI_INT, 0, comm); /* no rank gathers into nothing */
    if (e != MPI_SUCCESS) {
        free(all);
        return mpi_fail(p, "MPI_Bcast", e);
    }
    if (!ok) return tf__fail(&p->ctx, TF_ENOMEM, "placement: out of memory for the report");
    e = MPI_Gather(&p->pl, (int)sizeof p->pl, MPI_BYTE, all, (int)sizeof p->pl, MPI_BYTE, 0, comm);
    if (e != MPI_SUCCESS) {
        free(all);
        return mpi_fail(p, "MPI_Gather", e);
    }
    if (p->rank == 0) {
        for (int r = 0; r < p->size; r++) {
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
    free(all);
    return 0;
}

int tf__place_init(tf_pool *p, MPI_Comm comm)
{
    tf_placement *pl = &p->pl;
    memset(pl, 0, sizeof *pl);
    pl->numa = -1;
    p->ncores = 0;
    p->bound = 0;
    p->bound_pus = 0;
    if (gethostname(pl->host, sizeof pl->host - 1) < 0) snprintf(pl->host, sizeof pl->host, "?");
    pl->host[sizeof pl->host - 1] = '\0';

    const char *repv;
    int rep = report_env(&repv), rep0 = 0, bad = -1;
    MPI_Comm node = MPI_COMM_NULL;
    int rc = groups(p, comm, rep, &rep0, &bad, &node);
    if (rc == 0 && bad >= 0) {
        /* every rank knows who has a bad value: all fail, one says why */
        if (p->rank == bad)
            fprintf(stderr, "taskfarm: TF_REPORT_BINDING: invalid value '%s'\n", repv);
        rc = tf__fail(&p->ctx, TF_EINVAL, "TF_REPORT_BINDING: invalid value on rank %d", bad);
    }
    if (rc == 0) {
        /* without a topology the pool runs unplaced, not failed */
        struct tf__place *pc = calloc(1, sizeof *pc);
        if (pc && hwloc_topology_init(&pc->topo) < 0) {
            free(pc);
            pc = NULL;
        } else if (pc && hwloc_topology_load(pc->topo) < 0) {
            hwloc_topology_destroy(pc->topo);
            free(pc);
            pc = NULL;
        }
        p->place = pc;
        if (pc) {
            int nc = hwloc_get_nbobjs_by_type(pc->topo, HWLOC_OBJ_CORE);
            p->ncores = nc > 0 ? (size_t)nc : 0;
        }
        rc = bind_main(p, node, pc);
    }
    if (node != MPI_COMM_NULL) MPI_Comm_free(&node);
    /* bind_main may fail on one rank alone (memory): every rank must know
     * before the report's collectives, or the others would wait there */
    int worst = rc;
    if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) worst = TF_EMPI;
    if (rc == 0 && worst < 0) rc = worst;
    if (rc == 0 && rep0 == 1) rc = report(p, comm);
    return rc;
}

void tf__place_service(tf_pool *p)
{
    struct tf__place *pc = p->place;
    if (!pc || !pc->svc) return;
    if (hwloc_set_cpubind(pc->topo, pc->svc, HWLOC_CPUBIND_THREAD) < 0) {
        TF_LOG(&p->ctx, 1, "cannot bind the service thread to cpus %s: %s", p->pl.svc_cpus,
               strerror(errno));
        return;
    }
    (void)hwloc_set_membind(pc->topo, pc->svc, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_THREAD);
}

void tf__place_helper(tf_pool *p)
{
    struct tf__place *pc = p->place;
    if (!pc || !pc->domain || !pc->svc) return; /* nothing was bound */
    (void)hwloc_set_cpubind(pc->topo, pc->domain, HWLOC_CPUBIND_THREAD);
}

void tf__place_free(tf_pool *p)
{
    struct tf__place *pc = p->place;
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
    free(pc);
    p->place = NULL;
}
