/* peers.h - a rank's part in peer scheduling (TF_SCHED_PEERS): stealing
 * spawned tasks from other ranks, lifelines, and the quiescence waves that
 * tell rank 0 when every task has finished and end the run. Every rank
 * has one; rank 0 is no different, except that it starts the waves.
 *
 * Stealing (lifeline-based global load balancing, Saraswat et al., PPoPP
 * 2011). A rank whose queues are empty sends STEAL to a random victim,
 * first of its own node, then of any other; the victim's service thread
 * answers at once with LOOT: half of its spawned tasks, oldest first (the
 * biggest, in a tree search), or its last one if its main thread is busy,
 * or none. After a few failed tries the thief sends LIFELINE to its
 * buddies (at most 4, whatever the size: its neighbours in a cyclic
 * hypercube of 4 digits in base l, l^4 >= size, so that work reaches
 * everyone in at most 8 (l - 1) hops) and parks: it sends nothing more
 * until a buddy pushes work along the lifeline (LOOT, pushed), so that
 * idle ranks do not flood busy ones. A rank that got work tries again the next
 * time it runs dry. Rank 0 is not on the path of a steal; among three
 * ranks or more it is no thief's victim and steals through its lifelines
 * only, so that its messages (it also runs the coordinator and the waves)
 * do not grow with the ranks.
 *
 * Runs apart: a rank asks peers for work only after BEGIN has come down
 * the tree, which rank 0 sends at the start of a run; and rank 0's run ends
 * only after every rank has answered DONE up the tree, after END. So no
 * STEAL, LIFELINE or LOOT of one run reaches a rank still in another, and
 * no job of the next run reaches a rank still in this one.
 *
 * Termination: core/wave.h (the argument). A rank is passive when its
 * worker is (nothing queued or unsent, the main thread idle), it has no
 * steal outstanding and it is parked; on rank 0, also when the
 * coordinator has nothing to hand out (the root hooks).
 *
 * Thread: the service thread, except tf__peers_init/free/reset (main
 * thread, service thread parked). Messages go out through a tf__peers_net
 * (the service thread's MPI transport, or a simulator's): STEAL, LOOT and
 * LIFELINE with TF__TAG_MSG, counted by the waves; WAVE, ECHO and END with
 * TF__TAG_CTL. */
#ifndef TF_PEERS_H
#define TF_PEERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/wave.h"
#include "rank/worker.h"

struct tf__trace;

/* Rank 0's hooks into whoever hands out jobs (the coordinator), on the
 * service thread; a node leader sets passive alone (its relay). */
typedef struct tf__peers_root {
    void *arg;
    /* What it wants to know: 0 nothing, 1 whether the system is quiescent,
     * 2 the same, to end the run with return value *rv. *epoch changes when
     * something happened that a decision must not straddle (the driver
     * returned): two waves count only if they started in one epoch. */
    int (*want)(void *arg, int *rv, uint64_t *epoch);
    /* Its part of passive: nothing left to hand out. When it says true,
     * *acts is how many times it handed work to its own rank without a
     * message (wave.h), and it remembers what it saw, for quiet. */
    bool (*passive)(void *arg, uint64_t *acts);
    /* The waves found the system quiescent at a moment between the last
     * two snapshots: what the last passive() saw was the whole run's. */
    void (*quiet)(void *arg);
} tf__peers_root;

/* How the role reaches other ranks: over MPI (the service thread's
 * transport), or a simulator's virtual network. */
typedef struct tf__peers_net {
    void *arg;
    /* sends b's bytes to dest with tag (TF__TAG_MSG or TF__TAG_CTL); takes
     * over b->p */
    void (*send)(void *arg, int dest, int tag, tf__buf *b);
    /* this run's messages of tag TF__TAG_MSG sent and received here */
    void (*counts)(void *arg, uint64_t *sent, uint64_t *recv);
    /* a send to a rank of this node wakes its service thread at once
     * (system/doorbell.h): then no answer from one needs a faster poll */
    bool rings_local;
} tf__peers_net;

/* Thief statistics and victim statistics, this rank's, since the pool was
 * made (tf_stats): written by the service thread, read by any (atomics,
 * relaxed: a snapshot, not a consistent cut). */
typedef struct tf__steal_stats {
    atomic_uint_fast64_t attempts, steals, tasks_stolen;
    atomic_uint_fast64_t wait_ns;
    atomic_uint_fast64_t served, refused, pushes, waves;
    /* request-to-answer times: bin b holds times in [1.19^b, 1.19^(b+1)) ns */
    atomic_uint_fast64_t hist[128];
} tf__steal_stats;

typedef struct tf__peers {
    tf__ctx *ctx;
    tf__worker *w;
    tf__peers_net net;
    struct tf__trace *trace; /* per run; NULL unless TF_TRACE */
    int rank, size;
    int *local, nlocal;   /* the other ranks of this rank's node */
    uint8_t *near;        /* by rank: 1 if on this node (and not this rank) */
    bool far_kids;        /* a child in the waves' tree is on another node */
    int *remote, nremote; /* the ranks of other nodes */
    int *buddy, nbuddy;   /* lifeline buddies */
    tf__peers_root root;  /* rank 0 */

    /* ---- per run */
    uint64_t rng;
    bool steal_out;         /* a STEAL is unanswered */
    int victim;             /* its victim */
    uint64_t t_ask;         /* when it was sent */
    uint64_t t_thief;       /* when a STEAL or LIFELINE last came in */
    unsigned tries;         /* failed tries since this rank last got work */
    bool parked;            /* lifelines sent; waiting for a push */
    uint64_t parked_spawns; /* the worker's spawn_calls when it parked */
    uint8_t *asked;         /* per buddy index: our lifeline is registered there */
    int *lthief;            /* ranks whose lifelines are registered here, FIFO */
    int nlthief;            /* (a ring of size entries) */
    int lhead;
    uint8_t *is_lthief;   /* by rank */
    uint64_t push_spawns; /* spawn_calls when a push last found nothing to spare */
    bool loot_since;      /* tasks came in by LOOT since */
    tf__wave wave;
    uint64_t epoch;     /* rank 0: the root's epoch of the last wave started */
    bool quiet;         /* rank 0: the last wave decided quiescence */
    bool armed;         /* BEGIN came (rank 0: went out): peers are in this run */
    bool ending;        /* END came (rank 0: went out) */
    int done_kids;      /* children that answered DONE */
    uint32_t done_mask; /* bit c: the c-th child answered DONE */
    bool over;          /* ending, and the subtree has left the run */
    int rv;             /* the run's return value, from END */
    tf__steal_stats st;
} tf__peers;

/* Main thread, tf_pool_create: node_of[r] is rank r's node (size entries,
 * borrowed for the call). 0 or TF_ENOMEM. The statistics start at 0 here
 * and are not reset by runs. */
int tf__peers_init(tf__peers *p, tf__ctx *ctx, tf__worker *w, const tf__peers_net *net, int rank,
                   int size, const int *node_of);
void tf__peers_free(tf__peers *p);
/* Main thread, start of a run (service thread parked). */
void tf__peers_reset(tf__peers *p, struct tf__trace *trace);
/* Rank 0: the coordinator's hooks; a node leader: its relay's passive. */
void tf__peers_set_root(tf__peers *p, const tf__peers_root *root);

/* Service thread: a message of a type this role owns (STEAL, LOOT,
 * LIFELINE, WAVE, ECHO, END) from rank src. Fatal if malformed. */
void tf__peers_on_message(tf__peers *p, int src, tf__rbuf *rb);
/* Service thread, one turn: steal, push along lifelines, move the waves;
 * 1 if it did anything. */
int tf__peers_step(tf__peers *p);
/* The run is over on this rank (END). */
static inline bool tf__peers_over(const tf__peers *p) { return p->over; }
/* How soon the service thread should look again when idle, in ns (0: no
 * hurry): sooner while a steal is outstanding or tasks could be stolen. */
uint64_t tf__peers_poll_ns(tf__peers *p);
/* The histogram now (out: 128 bins), and the median of what was added to
 * it since `before` (a histogram taken earlier), in seconds (0: none). Any
 * thread. */
void tf__steal_hist(tf__steal_stats *st, uint64_t *out);
double tf__steal_median_since(tf__steal_stats *st, const uint64_t *before);
/* Adds st's counters to the tf_stats fields of the same names. Any
 * thread. */
void tf__steal_stats_get(tf__steal_stats *st, tf_stats *out);

#endif
