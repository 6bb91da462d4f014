/* doorbell.h - ranks of one node wake each other's service threads.
 *
 * An idle service thread sleeps between looks at the network (service.c's
 * backoff, up to TF_IDLE_MAX_US): a message sent to it waits for the end of
 * that sleep, and a steal costs two such waits. Ranks that share a node
 * put their service thread's waiter (system/wait.h) in one shared-memory
 * window (MPI_Win_allocate_shared on the node's communicator), made
 * process-shared; a rank that sends a message to another rank of its node
 * then rings its doorbell: the receiver's waiter is woken, at the cost of
 * an atomic store and load when it is awake, a futex call when it sleeps.
 * Ranks of other nodes are not rung: their messages wait for the poll.
 *
 * Threads: tf__doorbells_init and _free on the main thread, collective on
 * the pool's communicator, while no service thread runs; tf__doorbell_ring
 * from any thread of the rank (the service thread, after a send). */
#ifndef TF_DOORBELL_H
#define TF_DOORBELL_H

#include <mpi.h>
#include <stdbool.h>

#include "core/error.h"
#include "system/wait.h"

typedef struct tf__doorbells {
    MPI_Win win;       /* MPI_WIN_NULL: no shared memory; nothing is rung */
    tf__waiter *mine;  /* this rank's service waiter, in the window */
    tf__waiter **near; /* by pool rank: the waiter of another rank of this
                          node, NULL for other nodes and for this rank */
    int size;
} tf__doorbells;

/* Collective on comm: the node's window and its waiters. Where the MPI
 * library cannot share memory between the node's ranks, no rank has
 * doorbells (d->win is MPI_WIN_NULL, d->mine NULL) and 0 is returned; else
 * 0, or TF_ENOMEM / TF_EMPI / TF_ESYS on every rank alike. */
int tf__doorbells_init(tf__doorbells *d, MPI_Comm comm, tf__ctx *ctx);
/* Collective on the same comm (MPI_Win_free); no thread may ring or wait
 * on the waiters any more. Accepts a d that was never made. */
void tf__doorbells_free(tf__doorbells *d);
/* After MPI_Finalize (which has freed the window): frees what is not
 * MPI's, touching nothing in the window. */
void tf__doorbells_forget(tf__doorbells *d);
/* Wakes rank's service thread if it is on this node. */
static inline void tf__doorbell_ring(const tf__doorbells *d, int rank)
{
    if (d && d->near && d->near[rank]) tf__waiter_wake(d->near[rank]);
}

#endif
