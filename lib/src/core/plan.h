/* plan.h - the placement plan's arithmetic: from what a rank knows of its
 * node (its index among the peers that share its domain, the domain's
 * cores, the bind policy, the launcher's view), whether its threads are
 * bound, to which of the domain's cores, and to which hardware threads of
 * that core. Pure: no hwloc, no MPI; system/place.c turns indexes into
 * cpusets. Any thread; the structs belong to the caller. */
#ifndef TF_PLAN_H
#define TF_PLAN_H

#include <stdbool.h>

#include "taskfarm.h"

typedef struct tf__plan_in {
    tf_bind bind;
    int k, n;            /* this rank is peer k of the n on its node whose
                            domain is the same */
    int ncores;          /* the domain's cores (m) */
    int local_rank;      /* in the pool's node group */
    int local_size;      /* the pool's ranks on the node */
    int launcher_local;  /* ranks the launcher started on the node; 0:
                            it does not say */
    bool launcher_bound; /* the launcher (or the program) bound the rank
                            to part of the machine */
} tf__plan_in;

typedef enum tf__plan_why {
    TF__PLAN_BIND = 0, /* bound as the policy says */
    TF__PLAN_OFF,      /* TF_BIND_NONE */
    TF__PLAN_SUBCOMM,  /* AUTO, the pool holds only some of the ranks the
                          launcher started on the node: its peers cannot
                          see the others */
    TF__PLAN_OVERSUB,  /* AUTO, more peers than the domain has cores */
    TF__PLAN_NO_CORES  /* no core in the domain, or no peer */
} tf__plan_why;

typedef struct tf__plan {
    tf__plan_why why;
    bool warn;   /* this rank says why its node is unbound (one per node) */
    int core;    /* index among the domain's cores in topology order; -1
                    when unbound */
    bool socket; /* both threads float in the package of that core, cut to
                    the domain (TF_BIND_SOCKET) */
    int main_pu; /* the main and the service thread's hardware threads: */
    int svc_pu;  /* indexes among the core's (tf__plan_threads); -1 unset */
} tf__plan;

/* The plan for in: bound or not and why, the core. Peers spread evenly
 * over the domain's cores (peer k takes core k*m/n, so that neighbours
 * share caches least when there are cores to spare); with more peers than
 * cores, AUTO leaves them unbound and CORE and SOCKET wrap round (peer k
 * takes core k mod m). */
tf__plan tf__plan_make(const tf__plan_in *in);

/* Sets the hardware threads of a bound plan for a core with npus of them
 * in the domain: the main thread the first, the service thread the second
 * where there is one, else the same. Leaves an unbound or a SOCKET plan as
 * it is. */
void tf__plan_threads(tf__plan *pl, int npus);

#endif
