/* wave.h - quiescence detection without a central count: waves over a tree
 * of ranks that add up message counters, decided by double counting
 * (Mattern 1987, "the four-counter method"). Pure: no MPI, no threads; a
 * rank's service thread calls it.
 *
 * What is detected. Every rank counts the run's messages it sent and the
 * ones it received (point-to-point messages of the run: tasks, results,
 * steals; not the waves' own), and `acts`, the times work came to it
 * without a message (rank 0's driver starting a job, which goes to rank
 * 0's own worker without a message). A rank is passive when it has nothing
 * to run, nothing to send and no request of its own outstanding: such a
 * rank becomes active again only by receiving a message (or, on rank 0,
 * through an act). The system is quiescent when every rank is passive and
 * no message is in flight; then it stays so for good, and every task of the
 * run has finished (a task is always queued or running at a rank, which is
 * then active, or inside a message in flight).
 *
 * A wave. Rank 0 starts it; it travels down the tree (WAVE); each rank
 * waits until it is passive, then takes its snapshot (sent, recv, acts)
 * and, once its children have answered, answers its parent (ECHO) with the
 * sums of its subtree and how many of its ranks were passive at their
 * snapshots (all, by construction; the count checks the tree).
 *
 * The decision. Rank 0 declares quiescence when two consecutive waves
 * return equal sums, sent == recv, and every rank passive. Why that is
 * exact: counters only grow, so equal sums mean that no rank's counters
 * changed between its first snapshot and its second. Let t be the moment
 * the second wave started: every first snapshot was taken before t (the
 * first wave had returned) and every second one after. So at t each rank
 * had the counters of both its snapshots: no rank received or sent
 * anything, nor got an act, between its two snapshots, and it was passive
 * at the first. A passive rank becomes active only by a receive or an act,
 * so every rank was passive at t; and at t the sums were those of the
 * snapshots, sent == recv: no message was in flight at t. Quiescent at t,
 * hence quiescent for good. Conversely, once quiescent, the next two waves
 * see equal sums and decide. A wave costs two messages per tree edge and
 * never passes a busy rank, so while ranks work, waves wait instead of
 * spinning; rank 0 talks only to its children.
 *
 * The tree: the heap of `fanout` children per rank (rank r's children are
 * r*fanout+1 .. r*fanout+fanout), depth log_fanout(P). */
#ifndef TF_WAVE_H
#define TF_WAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The children a rank has in the tree by default, and at most. */
#define TF__WAVE_FANOUT 8
#define TF__WAVE_FANOUT_MAX 32

typedef struct tf__wave_sums {
    uint64_t sent, recv, acts;
    uint64_t passive; /* ranks passive at their snapshot */
    uint64_t ranks;   /* ranks in the sum */
} tf__wave_sums;

typedef struct tf__wave {
    int rank, size, fanout;
    /* ---- the wave being gathered here */
    uint64_t id;       /* its number; 0: none */
    bool own_in;       /* this rank's snapshot is in acc */
    int echoes;        /* children that answered */
    uint32_t answered; /* bit c: the c-th child answered */
    tf__wave_sums acc;
    /* ---- rank 0 */
    uint64_t next_id;   /* the number of the next wave */
    bool have_prev;     /* prev holds the last wave's sums */
    tf__wave_sums prev; /* the last wave's sums */
    uint64_t waves;     /* waves completed this run */
} tf__wave;

/* The tree, for any rank. */
static inline int tf__wave_parent(int rank, int fanout) { return rank ? (rank - 1) / fanout : -1; }
/* Rank's children are [*first, *first + return value). */
int tf__wave_children(int rank, int size, int fanout, int *first);

void tf__wave_init(tf__wave *w, int rank, int size, int fanout);
/* Start of a run: no wave, no history. */
void tf__wave_reset(tf__wave *w);

/* Whether a wave is being gathered here. */
static inline bool tf__wave_busy(const tf__wave *w) { return w->id != 0; }
/* Rank 0: starts the next wave; returns its number (send WAVE(id) to the
 * children). */
uint64_t tf__wave_start(tf__wave *w);
/* Another rank: WAVE(id) came from the parent (send it on to the
 * children). -1 if a wave is already being gathered here (a protocol
 * error), else 0. */
int tf__wave_begin(tf__wave *w, uint64_t id);
/* Whether this rank still owes its snapshot to the current wave. */
static inline bool tf__wave_wants_own(const tf__wave *w) { return w->id && !w->own_in; }
/* This rank's snapshot (take it only while passive). */
void tf__wave_own(tf__wave *w, uint64_t sent, uint64_t recv, uint64_t acts);
/* Child `child`'s ECHO for wave id: -1 if child is not a child of this
 * rank, has answered this wave already, or id is not the current wave (a
 * protocol error), else 0. */
int tf__wave_echo(tf__wave *w, int child, uint64_t id, const tf__wave_sums *s);
/* Everything of the current wave is in: *s gets the sums and the wave is
 * over here (another rank sends ECHO(id, *s) to its parent; rank 0 calls
 * tf__wave_decide). */
bool tf__wave_done(tf__wave *w, uint64_t *id, tf__wave_sums *s);
/* Rank 0, with a finished wave's sums: true if the system is quiescent
 * (see above); else the sums are kept for the next wave's comparison. */
bool tf__wave_decide(tf__wave *w, const tf__wave_sums *s);
/* Rank 0: forget the last wave (something happened that the next decision
 * must not be compared across, such as new work from the driver). */
static inline void tf__wave_forget(tf__wave *w) { w->have_prev = false; }

#endif
