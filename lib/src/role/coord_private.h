/* coord_private.h - the coordinator's state, for its own files only
 * (coord.c: the driver's side and the wiring; coord_central.c: the central
 * policy). Everything else goes through coord.h. */
#ifndef TF_COORD_INTERNAL
#error "coord_private.h is the coordinator's own: include role/coord.h instead"
#endif
#ifndef TF_COORD_PRIVATE_H
#define TF_COORD_PRIVATE_H

#include <pthread.h>
#include <stdatomic.h>

#include "core/jobs.h"
#include "core/schedule.h"
#include "core/term.h"
#include "role/coord.h"

/* Tasks kept assigned to a rank for a file job at least: the one running,
 * and some whose files its service thread reads meanwhile (2 for tasks of
 * TF__LONG_TASK_S or more: one file ahead covers them). */
#define TF__FILE_AHEAD 4

typedef struct tf__fn_entry { /* the coordinator's entry of a task function */
    char *name;               /* never moves: items point at it */
    void *local_fn;           /* the coordinating rank's function, NULL if it lacks it */
    tf__est est;              /* its measured task time */
} tf__fn_entry;

typedef struct tf__peer { /* the coordinator's view of one rank */
    size_t inflight;      /* job tasks assigned and not yet reported */
    uint64_t qlen;        /* spawned tasks queued there, last heard */
    bool hungry;          /* it said it is idle, and has nothing assigned */
    bool share_pending;   /* asked to ship tasks, no answer yet */
} tf__peer;

struct tf__coord {
    const tf__coord_ops *ops;
    tf__coord_cfg cfg;
    pthread_mutex_t lock;
    tf__sched sched;
    tf__reg names;     /* task-function name -> its number */
    tf__fn_entry *fns; /* by number */
    size_t nfns, capfns;
    tf__jobs jobs;
    tf__term term;
    uint64_t spawn_failed;
    char spawn_err[TF__ERRMSG_MAX];
    bool spawn_results;  /* keep spawned outputs for the driver's callback */
    tf__peer *peer;      /* by rank */
    tf__queue spare;     /* spawned tasks shipped here, not yet given out */
    atomic_uint version; /* bumped after each change the driver may wait for */
    tf__delivery *deliv; /* spawned outputs kept for the driver */
    size_t ndeliv, capdeliv;
    size_t rr;     /* the rank each dispatch pass starts at, round robin */
    int *src_slot; /* by rank: the slot whose link reaches it, -1 none */
    int *seen;     /* ranks whose link sees their queues (links[r]->ops->starved) */
    size_t nseen;
    /* ---- peer scheduling (cfg.peers): spawned tasks are not counted here
     * but found finished by the waves (rank/peers.h, core/wave.h) */
    uint64_t spawns_seen;      /* spawns the ranks reported */
    uint64_t spawns_snap;      /* spawns_seen at rank 0's last wave snapshot */
    uint64_t spawns_confirmed; /* spawns_seen when the waves last found all finished */
    uint64_t acts;             /* jobs started (work given without a message) */
    uint64_t epoch;            /* bumped when the driver returns */
};

/* coord.c, lock held: the number of task function `fn`, made on first use;
 * -1 without memory. */
long tf__coord_fn(tf__coord *co, const char *fn);
/* coord.c, lock held: job j's results are all in (no more lookups). */
void tf__coord_job_done(tf__coord *co, tf__job *j);
/* coord.c, no lock held: tells the driver something changed. */
void tf__coord_notify(tf__coord *co);

#endif
