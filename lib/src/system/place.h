/* place.h - where a rank's threads run: node groups, binding (hwloc), the
 * binding report.
 *
 * Threads:
 *   main thread     tf__place_init (collective on the pool's communicator,
 *                   before the service thread exists) and tf__place_free
 *                   (after every thread below has ended);
 *   service thread  tf__place_service, first thing it does;
 *   other helpers   tf__place_helper, first thing they do (rank 0's output
 *                   writer).
 * tf__place_init writes the tf__place_out; from then on until
 * tf__place_free every thread only reads it, so no lock. */
#ifndef TF_PLACE_H
#define TF_PLACE_H

#include <mpi.h>
#include <stddef.h>

#include "core/error.h"
#include "core/plan.h"
#include "taskfarm.h"

/* What tf__place_init reads; the caller's, only during the call. */
typedef struct tf__place_in {
    tf__ctx *ctx;  /* where a failure's message goes, and the verbosity */
    MPI_Comm comm; /* the pool's ranks */
    tf_bind bind;  /* tf_pool_opts.bind */
} tf__place_in;

/* What tf__place_init found and did; owned by the caller (the pool), the
 * hwloc state inside it freed by tf__place_free. */
typedef struct tf__place_out {
    tf_placement pl;      /* tf_pool_placement's answer */
    size_t ncores;        /* cores of the node (0: unknown) */
    int bound;            /* the launcher or the pool bound this rank */
    int bound_pus;        /* hardware threads its two threads may use together
                             (0: unknown; 1: they share one) */
    struct tf__place *hw; /* hwloc state for the service and helper
                             threads; NULL without a topology */
} tf__place_out;

/* Main thread, tf_pool_create, collective on in->comm (before the service
 * thread starts): groups, the plan, binding of the main thread, the report
 * (TF_REPORT_BINDING). Never fails the pool for a refused binding. 0 or
 * TF_E* (out of memory, MPI, a bad TF_REPORT_BINDING); out is written in
 * every case and must be given to tf__place_free. */
int tf__place_init(const tf__place_in *in, tf__place_out *out);
/* Service thread, first thing: binds itself next to the main thread
 * (failure: a warning through ctx). */
void tf__place_service(const tf__place_out *out, const tf__ctx *ctx);
/* A helper thread of the library other than the service thread (rank 0's
 * output writer), first thing: spreads over the rank's whole domain rather
 * than keep the one core it inherited from the main thread. */
void tf__place_helper(const tf__place_out *out);
/* Main thread, pool_free: gives the main thread back the binding it had
 * (when called from the thread that called tf__place_init) and frees what
 * tf__place_init made. */
void tf__place_free(tf__place_out *out);

/* For tests, any thread, binds nothing: the plan of in for a rank whose
 * domain is the cpuset domain of topo (loaded), and the cpusets it gives
 * the main and the service thread in mainset and svcset (allocated by the
 * caller; emptied when the plan binds nothing). in->ncores is set to the
 * domain's cores, counted in topo. 0 or TF_ENOMEM. The types are hwloc's
 * hwloc_topology_t, hwloc_const_cpuset_t and hwloc_cpuset_t, named so that
 * this header needs no hwloc.h. */
struct hwloc_topology;
struct hwloc_bitmap_s;
int tf__place_plan(struct hwloc_topology *topo, const struct hwloc_bitmap_s *domain,
                   tf__plan_in *in, tf__plan *plan, struct hwloc_bitmap_s *mainset,
                   struct hwloc_bitmap_s *svcset);

#endif
