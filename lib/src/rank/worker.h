/* worker.h - a rank's worker: its queues of tasks, the output its main
 * thread hands over, and the two paths through which work comes in and
 * results go out. Every rank has one, rank 0 too.
 *
 * Threads and locks:
 *   main thread     runs tasks (task.c): pops items, writes results into
 *                   `cur`, hands `cur` over; spawns into spawnq.
 *   service thread  the deliver path (tf__worker_deliver, from a TASKS
 *                   message or from rank 0's loopback link) pushes items and
 *                   wakes the main thread; the collect path
 *                   (tf__worker_collect) takes the handed-over output and
 *                   ships spawned tasks when asked, as RESULTS messages.
 *   lock            guards inq, spawnq, the handover list and the low mark;
 *                   held for a few instructions, never around a call out.
 *                   Taken after the coordinator's lock where both are held.
 * `spawned` is an atomic: the main thread counts a spawn before it queues
 * it, the collect path reads it after it took the list it reports (msg.h's
 * termination argument). */
#ifndef TF_WORKER_H
#define TF_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/error.h"
#include "core/queue.h"
#include "core/registry.h"
#include "system/transport.h"
#include "system/wait.h"
#include "taskfarm.h"

struct tf__files;
struct tf__trace;

/* Output handed from the main thread to the service thread: RESULT records
 * after TF__RHDR_LEN reserved bytes (the header is written at send time). */
typedef struct tf__handover {
    struct tf__handover *next;
    tf__buf b;
    uint64_t spawn_ok; /* spawned tasks that finished without a record */
    uint32_t flags;    /* TF__F_IDLE */
} tf__handover;

/* A new output buffer with room for `hint` bytes and its header reserved;
 * NULL without memory. */
tf__handover *tf__handover_new(size_t hint);

/* A task function as this rank knows it, by the coordinator's number. */
typedef struct tf__fn_def {
    void *fn; /* NULL: not registered here */
    char *name;
} tf__fn_def;

/* The cache line size of the machines taskfarm runs on (x86-64, most
 * AArch64): fields two threads write apart are kept this far apart. */
#define TF__CACHE_LINE 64

/* Assigned chunks the main thread takes from inq at once, so that small
 * chunks cost one lock per batch, not one each. */
#define TF__BATCH_MAX 32

typedef struct tf__worker {
    tf__ctx *ctx;
    tf_pool *pool;           /* for tf_task_pool only */
    const tf__reg *reg;      /* this rank's task functions */
    struct tf__files *files; /* input-file read-ahead */
    struct tf__trace *trace; /* NULL unless TF_TRACE */
    tf__waiter *main_w, *svc_w;

    /* ---- shared, under lock */
    pthread_mutex_t lock;
    tf__queue inq;    /* chunks assigned to this rank, run in order */
    size_t inq_tasks; /* tasks in inq */
    size_t low;       /* hand results over when inq_tasks drops to this */
    bool low_fresh;   /* low was set by a delivery the main thread has not seen */
    tf__queue spawnq; /* spawned here: main pops the back, sharing takes the front */
    tf__handover *ho_head, *ho_tail;
    bool main_idle;               /* the main thread found nothing to run and handed
                                     everything over; cleared when work is delivered */
    uint64_t acts;                /* deliveries of work (core/wave.h counts them) */
    atomic_uint_fast64_t spawned; /* spawn events not yet reported */
    /* ranks that asked this one for work and got none, since the last
     * spawn here (tf_task_hungry); the service thread adds, tf_spawn
     * clears */
    atomic_uint hungry;
    /* tf_spawn calls since the pool was made (the main thread adds, the
     * service thread reads: a parked thief whose rank spawned again steals
     * again when it runs dry) */
    atomic_uint_fast64_t spawn_calls;
    /* the main thread is running an item (it sets and clears it; a victim
     * gives away its last queued task only then, so that a task that just
     * arrived is run, not passed on) */
    atomic_bool running;
    /* the central policy (set by the pool): the coordinator counts every
     * spawned task's end, and gives shipped tasks to ranks that said they
     * are idle; under peer scheduling neither is sent */
    bool central;

    /* ---- main thread: written every task; apart from the fields the
     * service thread writes every loop turn (the padding keeps them off a
     * shared cache line, which costs both threads) */
    char pad_main[TF__CACHE_LINE];
    tf__handover *cur;  /* output being written */
    uint64_t cur_t0;    /* when cur was started */
    uint64_t spawn_seq; /* numbers this rank's spawned tasks */
    int32_t *failv;     /* (task, status) pairs of the item being run */
    size_t capfail;
    tf__item batch[TF__BATCH_MAX]; /* taken from inq, run before inq again */
    size_t batch_next, batch_len;
    size_t batch_tasks;  /* tasks in the batch from batch_next on, and in inq */
    size_t report_below; /* hand over when this few assigned tasks are left */
    bool idle_reported;
    bool in_task;       /* a task function is running */
    bool spawn_records; /* spawned tasks report their outputs (a callback wants them) */
    tf_stats st;        /* main-thread fields of tf_stats */

    /* ---- service thread */
    char pad_svc[TF__CACHE_LINE];
    tf__fn_def **fns; /* by the coordinator's number, from DEF records */
    size_t nfns;
    bool share_asked; /* SHARE received: ship half of spawnq */
    bool stop_asked;  /* STOP received: report STOPPED as the last message */
    bool stopped;     /* STOPPED sent: the worker's part of the run is over */
    int stop_rv;      /* the run's return value, from STOP */
} tf__worker;

/* Main thread, tf_pool_create: 0 or TF_E*. The pointers are borrowed. */
int tf__worker_init(tf__worker *w, tf__ctx *ctx, tf_pool *pool, const tf__reg *reg,
                    struct tf__files *files, tf__waiter *main_w, tf__waiter *svc_w);
void tf__worker_free(tf__worker *w);
/* Main thread, start of a run (service thread parked): nothing queued,
 * nothing owed. */
void tf__worker_reset(tf__worker *w, struct tf__trace *trace, bool spawn_records);

/* ---- the deliver path (service thread) */

/* Queues the items of `got` (emptied) for the main thread: job chunks on inq
 * (ntasks tasks), spawned tasks on spawnq, file inputs announced to the
 * read-ahead; then wakes the main thread. Takes over the items' owners. */
void tf__worker_deliver(tf__worker *w, tf__queue *got, size_t ntasks);
/* Any thread: the spawned tasks queued now (takes the lock). */
size_t tf__worker_spawn_queued(tf__worker *w);
/* Any thread: both queues are empty now (takes the lock). */
bool tf__worker_starved(tf__worker *w);
/* Any thread: nothing queued, nothing handed over and not sent, and the
 * main thread idle; it stays so until work is delivered (core/wave.h's
 * passive, as far as the worker goes). */
bool tf__worker_passive(tf__worker *w, uint64_t *acts);
/* A thief asked for spawned tasks: appends CHUNK records of up to half of
 * spawnq, oldest first (one task, if only one is queued and the main
 * thread is busy), to b; returns how many. Fatal without memory. */
size_t tf__worker_give(tf__worker *w, tf__buf *b, bool busy_only_one);
/* A LOOT message's CHUNK records from rank src, read from r: spawned
 * tasks, delivered to spawnq; returns how many. Fatal on a malformed
 * record. */
size_t tf__worker_on_loot(tf__worker *w, int src, tf__rd *r, tf__rbuf *rb);
/* SHARE: the next collect ships half of spawnq (oldest first). */
void tf__worker_share(tf__worker *w);
/* STOP: the next collect is the run's last message (STOPPED). */
void tf__worker_stop(tf__worker *w, int rv);
/* A TASKS message from rank src: decodes it (bulk payloads received
 * through tp) and delivers what it holds. Fatal on a malformed message. */
void tf__worker_on_tasks(tf__worker *w, tf__transport *tp, int src, tf__rbuf *rb);

/* ---- the collect path (service thread) */

/* Where the collect path's RESULTS messages go: to the coordinator, over
 * MPI or straight into it (rank 0). emit takes over msg->p. */
typedef struct tf__uplink {
    void (*emit)(void *arg, tf__buf *msg);
    void *arg;
} tf__uplink;

/* Sends what the main thread handed over, and shipped tasks if asked; after
 * STOP, the last message carries STOPPED. 1 if it emitted anything. */
int tf__worker_collect(tf__worker *w, const tf__uplink *up);
/* STOP was received and answered: the worker's part of the run is over. */
static inline bool tf__worker_done(const tf__worker *w) { return w->stopped; }
/* Drops the function table (end of a run). */
void tf__worker_forget_fns(tf__worker *w);

/* ---- the main thread (task.c) */

/* Takes the next item to run: a spawned task first (newest first:
 * depth-first keeps the queue short), else assigned chunks, a batch at a
 * time (the caller then owns it->owner); *assigned_left: the assigned
 * tasks still to run after this one. 1 if it took one, 0 if nothing was
 * queued. tf__worker_exec's first half, apart for a simulator. */
int tf__worker_take(tf__worker *w, tf__item *it, size_t *assigned_left);
/* Runs one item; 1 if it ran one, 0 if nothing was queued. */
int tf__worker_exec(tf__worker *w);
/* Makes an exit() inside a task function end the process with a message
 * and TF_EXIT_IN_TASK (taskfarm.h). Once per process (later calls do
 * nothing); any thread. */
void tf__task_watch_exits(void);
/* Hands `cur` over (if it holds anything) with `flags`, and starts a new
 * one; wake: wake the service thread. Fatal without memory. */
void tf__worker_handover(tf__worker *w, uint32_t flags, bool wake);
/* Nothing to run: tells the coordinator once per idle period, so that it
 * knows this rank is hungry. */
void tf__worker_idle(tf__worker *w);

#endif
