/* link.h - the coordinator's connection to one rank: what it puts there is
 * sent (or, for its own rank, handed over) when it flushes. A link is the
 * only way the coordinator reaches a rank, its own included, so rank 0's
 * worker is no special case: it sits behind a loopback link.
 *
 * Thread: the service thread of the coordinating rank. put, full, share
 * and stop are called under the coordinator's lock and must not block;
 * flush is called after the lock is released (it may call MPI). */
#ifndef TF_LINK_H
#define TF_LINK_H

#include <stdbool.h>
#include <stddef.h>

#include "core/error.h"
#include "core/jobs.h"
#include "core/queue.h"
#include "rank/worker.h"
#include "system/transport.h"

typedef struct tf__link tf__link;

typedef struct tf__link_ops {
    /* Adds item `it` to the next message. A job's chunk (j != NULL) may
     * send its inputs straight from the job's memory: then put returns 1,
     * and the link calls sent(j) once MPI is done with that memory; else 0.
     * A job's chunk with no j but an owner (a node leader handing on what
     * it received) may go the same way from the owner's block, which the
     * link holds until the send is done (put returns 0). Takes over
     * it->owner. Fatal without memory. */
    int (*put)(tf__link *l, const tf__item *it, tf__job *j);
    /* The next message has no room for item `it` (never for an empty
     * message: one item always goes). */
    bool (*full)(const tf__link *l, const tf__item *it);
    /* The spawned tasks queued at the rank, as well as the link knows:
     * `reported` is what the rank last said; the loopback link reads its
     * worker's queue as it is now. */
    uint64_t (*queued)(const tf__link *l, uint64_t reported);
    /* Whether the rank has run dry, where the link can see it: 1 when its
     * queues are empty now (the loopback link reads its worker's). NULL
     * for a link that only knows what the rank reports (IDLE). */
    int (*starved)(const tf__link *l);
    /* Asks the rank to ship half of its spawned tasks. */
    void (*share)(tf__link *l);
    /* The run is over: the rank answers STOPPED as its last message. */
    void (*stop)(tf__link *l, int rv);
    /* Sends what was put; 1 if there was anything. */
    int (*flush)(tf__link *l);
    /* Start of a run: nothing pending, no function known at the rank. */
    void (*reset)(tf__link *l);
    void (*destroy)(tf__link *l);
} tf__link_ops;

struct tf__link {
    const tf__link_ops *ops;
    int rank; /* the rank at the other end */
    /* set by the coordinator: a send from job j's inputs completed
     * (service thread, no lock held) */
    void (*sent)(void *arg, tf__job *j);
    void *sent_arg;
};

/* A link over MPI to `rank` (TASKS messages, bulk payloads); NULL without
 * memory. */
tf__link *tf__link_remote(tf__ctx *ctx, tf__transport *tp, int rank);
/* The link to this rank's own worker: items are handed to its queues
 * without being encoded, their inputs borrowed; NULL without memory. */
tf__link *tf__link_loopback(tf__ctx *ctx, tf__worker *w, int rank);

#endif
