/* coord.h - the coordinator: rank 0's jobs, and who runs which task.
 *
 * The coordinator is an interface (tf__coord_ops) with one implementation
 * today, the central policy (coord_central.c: rank 0 assigns every chunk and
 * brokers every share). It reaches ranks only through links (link.h), its
 * own rank's worker included, and it is driven from outside only through
 * the calls below, so a test, or a simulator, can drive it with fake links
 * and scripted messages, without MPI or threads.
 *
 * Two threads of rank 0 call in, under the coordinator's lock:
 *   the driver (main thread, api/driver.c) starts jobs, cancels and
 *     releases them, waits for them while running tasks itself, and reads
 *     their results (the job fields, under tf__coord_lock);
 *   the service thread gives it messages (on_message), turns (step) and
 *     completed sends (on_sent).
 * The coordinator makes no MPI call under its lock: links flush after it
 * is released. */
#ifndef TF_COORD_H
#define TF_COORD_H

#include <stdbool.h>
#include <stdint.h>

#include "core/error.h"
#include "core/jobs.h"
#include "core/registry.h"
#include "rank/peers.h"
#include "rank/service.h"
#include "rank/worker.h"
#include "role/link.h"

typedef struct tf__coord tf__coord;

/* A policy: what the service thread's calls do. */
typedef struct tf__coord_ops {
    const char *name;
    /* a RESULTS message from rank src (its worker's output, spawn counts,
     * shipped tasks, STOPPED) */
    void (*on_message)(tf__coord *co, int src, tf__rbuf *rb);
    /* one turn: assign, share, stop, flush the links; 1 if it did
     * anything, 0 if not, -1 once the run is over */
    int (*step)(tf__coord *co);
    /* MPI is done with a payload sent from job j's inputs */
    void (*on_sent)(tf__coord *co, tf__job *j);
    /* start of a run (service thread parked) */
    void (*reset)(tf__coord *co);
} tf__coord_ops;

/* The central policy. */
extern const tf__coord_ops tf__coord_central;

typedef struct tf__coord_cfg {
    tf__ctx *ctx;
    /* The slots job tasks go to (core/groups.h): without node leaders
     * every rank is one, slot r rank r. With them, rank 0's own group's
     * ranks and its child leaders, each leader standing for its subtree. */
    int size;             /* slots */
    tf__link **links;     /* links[s] reaches slot s's rank; borrowed */
    int nranks;           /* ranks of the pool; 0: size (a slot a rank) */
    const size_t *weight; /* by slot: the ranks it stands for; NULL: 1 each */
    const int *slot_of;   /* by rank: the slot whose ranks include it, -1
                             none; NULL: slot r is rank r. Borrowed. */
    const tf__reg *reg;   /* the coordinating rank's task functions */
    int chunk_policy;     /* TF_CHUNK_* */
    size_t chunk_size;
    double chunk_target_s, prefetch_s;
    bool file_prefetch; /* keep file tasks queued ahead (TF__FILE_AHEAD) */
    /* peer scheduling (TF_SCHED_PEERS): ranks steal spawned tasks from each
     * other, and the run's end is found by waves (rank/peers.h), so the
     * coordinator neither brokers shares nor counts spawned tasks nor
     * sends STOP */
    bool peers;
    /* something the driver may wait for changed (wakes rank 0's main
     * thread); and work was added (wakes the service thread) */
    void (*notify)(void *arg);
    void *notify_arg;
    void (*wake)(void *arg);
    void *wake_arg;
} tf__coord_cfg;

/* Main thread: 0 or TF_ENOMEM. */
int tf__coord_create(const tf__coord_cfg *cfg, const tf__coord_ops *ops, tf__coord **out);
/* Frees the coordinator and every job still in it (a future never released
 * dangles from then on, as tf_future_release says). NULL is fine. */
void tf__coord_destroy(tf__coord **co);
/* Main thread, start of a run (service thread parked): spawned results are
 * kept for a callback when spawn_results. */
void tf__coord_reset(tf__coord *co, bool spawn_results);

/* ---- the service thread's side */

/* The hooks the service loop calls (service.h). */
tf__svc_role tf__coord_role(tf__coord *co);
/* The coordinating rank's own worker's uplink: its RESULTS go straight in. */
tf__uplink tf__coord_uplink(tf__coord *co);
/* Peer scheduling: the hooks through which rank 0's waves ask the
 * coordinator what it wants to know and whether it is passive. */
tf__peers_root tf__coord_peers_root(tf__coord *co);

/* ---- the driver's side (rank 0's main thread) */

void tf__coord_lock(tf__coord *co);
void tf__coord_unlock(tf__coord *co);
/* Bumped after each change the driver may be waiting for. */
unsigned tf__coord_version(tf__coord *co);
/* Numbers job j and makes it visible to the service thread (j->n may be 0:
 * then it is done at once). The job's task function is fn. 0 or
 * TF_ENOMEM (nothing started). */
int tf__coord_start(tf__coord *co, tf__job *j, const char *fn);
/* Takes back a future's task that no rank was given yet: its result
 * becomes a failure with TF_ECANCELED. 0, TF_EBUSY (given out already) or
 * TF_ENOMEM. */
int tf__coord_cancel(tf__coord *co, tf__job *j);
/* The driver dropped future job j: freed now if complete, else when its
 * last result is in. */
void tf__coord_release(tf__coord *co, tf__job *j);
/* Lock held: every task finished and MPI done with the driver's memory. */
bool tf__coord_quiet_locked(const tf__coord *co);

/* A spawned task's output kept for the driver's callback. */
typedef struct tf__delivery {
    uint64_t id;
    int status;
    const char *p;
    size_t len;
    tf__rbuf *owner; /* unref after use */
} tf__delivery;

/* Takes the spawned outputs that arrived, in arrival order (the caller
 * frees the array and unrefs each owner); 0 if none. */
size_t tf__coord_take_spawned(tf__coord *co, tf__delivery **out);
/* Takes the count of failed spawned tasks since the last call, and the
 * first one's message into msg (TF__ERRMSG_MAX bytes). */
uint64_t tf__coord_take_spawn_failures(tf__coord *co, char *msg);
/* The driver returned rv: the run ends once every task has finished. */
void tf__coord_finish(tf__coord *co, int rv);

#endif
