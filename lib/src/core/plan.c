/* plan.c - the placement plan's arithmetic (see plan.h). */
#include "core/plan.h"

static tf__plan unbound(tf__plan_why why, bool warn)
{
    return (tf__plan){.why = why, .warn = warn, .core = -1, .main_pu = -1, .svc_pu = -1};
}

tf__plan tf__plan_make(const tf__plan_in *in)
{
    int k = in->k, n = in->n, m = in->ncores;
    if (in->bind == TF_BIND_NONE) return unbound(TF__PLAN_OFF, false);
    /* a sub-communicator's peers are only the pool's: spreading them would
     * stack the node's pools on the same first cores */
    if (in->bind == TF_BIND_AUTO && !in->launcher_bound && in->launcher_local > in->local_size)
        return unbound(TF__PLAN_SUBCOMM, in->local_rank == 0);
    /* the node's first peer speaks for all of them */
    bool warn = n > m && k == 0;
    if (m <= 0 || n <= 0) return unbound(TF__PLAN_NO_CORES, warn);
    if (n > m && in->bind == TF_BIND_AUTO) return unbound(TF__PLAN_OVERSUB, warn);
    tf__plan pl = unbound(TF__PLAN_BIND, false);
    pl.core = n <= m ? (int)(((long long)k * m) / n) : k % m;
    pl.socket = in->bind == TF_BIND_SOCKET;
    return pl;
}

void tf__plan_threads(tf__plan *pl, int npus)
{
    if (pl->why != TF__PLAN_BIND || pl->socket || npus <= 0) return;
    pl->main_pu = 0;
    pl->svc_pu = npus >= 2 ? 1 : 0;
}
