/* trace.h - the timeline (TF_TRACE=FILE) and the run statistics (TF_STATS=1).
 *
 * Events are recorded by the thread they describe, into that thread's own
 * buffer (no lock): spans on the main thread (tasks, waits) and on the
 * service thread (file reads, output writes), instants on the service thread
 * (messages). tf__trace_close, collective at tf_pool_destroy, streams every
 * rank's events to rank 0, which writes the Chrome trace-event JSON.
 * When tracing is off p->trace is NULL and each hook costs one test: write
 * them as `if (p->trace) tf__trace_...(...);`.
 *
 * Rank 0's environment decides for every rank: the first tf_run (or
 * tf_pool_destroy, if the pool never ran) broadcasts whether TF_STATS and
 * TF_TRACE are set there, so a launcher that forwards the variables to some
 * ranks only cannot make the collective parts disagree. p->trace therefore
 * becomes non-NULL at the first tf_run, before the service thread is woken. */
#ifndef TF_TRACE_H
#define TF_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "taskfarm.h"

enum { TF__TR_MAIN = 0, TF__TR_SVC = 1 }; /* the thread an event belongs to */

enum {
    TF__TR_TASK = 1,  /* main: one task; arg = task id */
    TF__TR_WAIT_WORK, /* main: waiting for work */
    TF__TR_WAIT_IO,   /* main: waiting for (or reading) a task's input file */
    TF__TR_READ,      /* service: reading a file ahead; arg = bytes */
    TF__TR_WRITE,     /* main (rank 0): writing output blocks at a flush, a
                         map's end or a close; arg = bytes */
    TF__TR_SEND,      /* service: instant; peer, arg = bytes */
    TF__TR_RECV       /* service: instant; peer, arg = bytes */
};

struct tf__trace;

/* Main thread, tf_pool_create (after the options, before the service thread
 * starts): reads TF_STATS and TF_TRACE (no MPI call: not every rank may get
 * here). 0, TF_EINVAL (a bad TF_STATS, reported by rank 0) or TF_ENOMEM. */
int tf__trace_open(tf_pool *p);
/* Collective, main thread, tf_pool_destroy (service thread parked): writes
 * the file (rank 0) and frees everything. */
void tf__trace_close(tf_pool *p);
/* Main thread, pool_free: frees what tf__trace_open made (no MPI; for a
 * pool whose creation failed). Idempotent. */
void tf__trace_free(tf_pool *p);
/* The calling thread's span [t0, t1] (tf__now_ns clock). Consecutive
 * TF__TR_WAIT_WORK spans less than 50 us apart are merged into one. */
void tf__trace_span(tf_pool *p, int thread, int kind, uint64_t t0, uint64_t t1, uint64_t arg);
/* Main thread: task `id` of function `fname` ran from t0 until now; t0 = 0:
 * from the end of the main thread's previous task (the next task of the
 * same item: one clock read a task, and the span takes in the few
 * instructions between two tasks). fname is copied (once per distinct
 * name), so it need not outlive the call. */
void tf__trace_task(tf_pool *p, uint64_t t0, uint64_t id, const char *fname);
/* Service thread: a message sent to or received from peer, stamped with
 * the time of the loop turn that moved it (tf__trace_tick): one clock read
 * a turn, not one a message, on the coordinator's busy path; a turn lasts
 * microseconds. */
void tf__trace_msg(tf_pool *p, int kind, int peer, uint64_t bytes);
/* Service thread, at the start of each loop turn. */
void tf__trace_tick(tf_pool *p);

/* Main thread, at the start and the end of each tf_run (every rank; the end
 * is collective when TF_STATS is set: rank 0 prints the summary). */
void tf__stats_run_begin(tf_pool *p);
void tf__stats_run_end(tf_pool *p);

#endif
