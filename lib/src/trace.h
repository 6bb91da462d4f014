/* trace.h - the timeline (TF_TRACE=FILE) and the run statistics (TF_STATS=1).
 *
 * Events are recorded by the thread they describe, into that thread's own
 * buffer (no lock): spans on the main thread (tasks, waits) and on the
 * service thread (file reads, output writes), instants on the service thread
 * (messages). tf__trace_close, collective at tf_pool_destroy, gathers every
 * rank's events to rank 0, which writes the Chrome trace-event JSON.
 * When tracing is off p->trace is NULL and each hook costs one test. */
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
    TF__TR_WRITE,     /* service or main (rank 0): writing an output block;
                         arg = bytes */
    TF__TR_SEND,      /* service: instant; peer, arg = bytes */
    TF__TR_RECV       /* service: instant; peer, arg = bytes */
};

struct tf__trace;

/* Main thread, tf_pool_create (after the options, before the service thread
 * starts): reads TF_TRACE; sets p->trace or leaves it NULL. 0 or TF_E*. */
int tf__trace_open(tf_pool *p);
/* Collective, main thread, tf_pool_destroy: writes the file (rank 0) and
 * frees everything. */
void tf__trace_close(tf_pool *p);
/* The calling thread's span [t0, t1] (tf__now_ns clock). */
void tf__trace_span(tf_pool *p, int thread, int kind, uint64_t t0, uint64_t t1, uint64_t arg);
/* Service thread: a message sent to or received from peer. */
void tf__trace_msg(tf_pool *p, int kind, int peer, uint64_t bytes);

/* Main thread, at the start and the end of each tf_run (every rank; the end
 * is collective when TF_STATS is set: rank 0 prints the summary). */
void tf__stats_run_begin(tf_pool *p);
void tf__stats_run_end(tf_pool *p);

#endif
