/* term.h - termination counting: when every task of a run has finished, and
 * when the run is over. Pure: no MPI, no threads; the coordinator calls it
 * under its lock.
 *
 * The proof. `outstanding` counts every task that exists and has not
 * finished. A job adds its n tasks when it is started (before any can be
 * assigned). A spawned task is added by the message of the rank that
 * spawned it, and that rank reports its spawns in the same FIFO stream as,
 * and before, the completion or the shipping of any of them (msg.h): a
 * rank takes its list of outputs, then reads its spawn count, so every
 * spawn behind a reported completion is in the count sent with it. Each
 * finished task subtracts one. outstanding can therefore reach 0 only when
 * no task exists that has not finished; a message that would take it below
 * 0 is a protocol error, reported, never wrapped.
 *
 * The end of a run: once the driver has returned (stop) and outstanding is
 * 0, the coordinator sends STOP to every rank once (stop_due); each rank
 * answers STOPPED as its last message of the run; when all have, the run
 * is over (ended), and no message of the run is left unreceived. */
#ifndef TF_TERM_H
#define TF_TERM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tf__term {
    uint64_t outstanding;  /* tasks created and not finished */
    uint64_t bulk_pending; /* sends from the driver's memory not complete */
    bool stopping;         /* the driver returned: stop when outstanding is 0 */
    bool stop_sent;
    int stop_rv; /* the run's return value, sent with STOP */
    int nranks;
    int nstopped;
    uint8_t *stopped; /* per rank: answered STOPPED */
} tf__term;

/* 0 or TF_ENOMEM. */
int tf__term_init(tf__term *t, int nranks);
void tf__term_free(tf__term *t);
/* Start of a run: nothing outstanding, nobody stopped. */
void tf__term_reset(tf__term *t);

/* n tasks came into being (a job's, or spawned ones reported). */
static inline void tf__term_created(tf__term *t, uint64_t n) { t->outstanding += n; }
/* n tasks finished: 0, or -1 if that is more than exist (nothing changed). */
int tf__term_finished(tf__term *t, uint64_t n);
/* Nothing outstanding and MPI done with every input: the driver's
 * tf_wait_all may return. */
static inline bool tf__term_quiet(const tf__term *t)
{
    return t->outstanding == 0 && t->bulk_pending == 0;
}

/* The driver returned rv: the run ends once nothing is outstanding. */
void tf__term_stop(tf__term *t, int rv);
/* True exactly once: when STOP must now go to every rank. */
bool tf__term_stop_due(tf__term *t);
/* Rank r answered STOPPED: 0, or -1 if it was not asked or answered twice. */
int tf__term_stopped(tf__term *t, int r);
/* Whether rank r may still send a message of this run (after STOP went out,
 * only those that have not answered may). */
static inline bool tf__term_awaits(const tf__term *t, int r)
{
    return !t->stop_sent || !t->stopped[r];
}
/* Every rank answered STOPPED: the run is over. */
static inline bool tf__term_ended(const tf__term *t)
{
    return t->stop_sent && t->nstopped == t->nranks;
}

#endif
