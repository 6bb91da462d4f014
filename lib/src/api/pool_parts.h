/* pool_parts.h - a pool: one of each layer's parts, wired together by pool.c.
 * The api layer's files (driver, output, trace and stats calls) and
 * pool.c see it; nothing below does: each lower part gets what it needs
 * when it is made.
 *
 * Threads and locks (every rank):
 *   main thread     runs task functions (rank/task.c through the worker)
 *                   and, on rank 0, the driver (api/driver.c).
 *   service thread  the only thread that calls MPI while a run is active
 *                   (rank/service.c); on rank 0 it also gives the
 *                   coordinator (role/) its turns.
 *
 *   worker.lock  the rank's queues and its handed-over outputs
 *                (rank/worker.h). Held for a few instructions.
 *   coord lock   rank 0 only: jobs, counts and the coordinator's tables
 *                (role/coord.h); taken by the driver and the service
 *                thread.
 *   Lock order: the coordinator's before the worker's. No MPI call is made
 *   under either lock.
 *
 * Waking: a thread that runs out of things to do spins briefly, then blocks
 * on its own tf__waiter; the other thread wakes it only when it is asleep, so
 * the common path costs an atomic load. */
#ifndef TF_POOL_PARTS_H
#define TF_POOL_PARTS_H

#include <stdbool.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/registry.h"
#include "rank/peers.h"
#include "rank/service.h"
#include "rank/worker.h"
#include "role/coord.h"
#include "role/link.h"
#include "system/doorbell.h"
#include "system/place.h"
#include "system/transport.h"
#include "system/wait.h"
#include "taskfarm.h"

/* How far tf_pool_create got, for the teardown of a pool half made. */
enum { TF__MADE_NONE = 0, TF__MADE_MAIN_W, TF__MADE_SVC_W, TF__MADE_FILES, TF__MADE_WORKER };

struct tf_pool {
    tf__ctx ctx; /* rank, verbosity, the last error, the abort hook */
    MPI_Comm comm;
    int rank, size;
    tf_pool_opts opts;
    tf__reg reg; /* name -> tf_fn on this rank */
    int made;    /* TF__MADE_* */

    tf__waiter main_w, svc_w;
    tf__worker worker;
    tf__transport tp;
    tf__service svc;
    tf__peers peers;     /* TF_SCHED_PEERS: stealing and the waves (all ranks) */
    tf__doorbells bells; /* the node's shared service waiters: once made,
                            bells.mine is this rank's service waiter */
    bool peers_made;

    /* rank 0: the coordinator; a node leader (core/groups.h): its relay.
     * Either's links, one per slot (a rank, its own a loopback, or a
     * leader below), the slots' weights and which slot stands for each
     * rank, and the hooks that give it the service thread's turns */
    tf__coord *co;
    struct tf__relay *relay;
    tf__link **links;
    int nlinks;
    size_t *slot_weight;
    int *slot_of;
    int up; /* the rank this rank's RESULTS go to (rank 0: itself) */
    tf__svc_role role;

    /* run state, main thread */
    bool in_run, in_driver;
    tf_result_cb spawn_cb;
    void *spawn_arg;

    /* placement (place.c): written by tf_pool_create, read-only after */
    tf__place_out place;

    /* timeline and statistics (trace.c); NULL when TF_TRACE is unset */
    struct tf__trace *trace;
    struct tf__runstats *rs;

    /* task input files (files.c) and outputs (output.c) */
    struct tf__files *files;
    struct tf__outs *outs; /* rank 0 */
};

/* The driver's calls are valid on rank 0, inside the driver, and not inside
 * a task that the driver's thread runs while it waits. */
static inline bool tf__driving(const tf_pool *p)
{
    return p->co && p->in_driver && !p->worker.in_task;
}

/* driver.c: drain and stop at the end of tf_run (main thread, rank 0) */
void tf__driver_finish(tf_pool *p, int rv);
/* driver.c: main thread, any rank: waits until the run is over, running
 * tasks meanwhile. */
void tf__work_until_done(tf_pool *p);

#endif
