/* trace.h - the timeline file (TF_TRACE=FILE) and the run statistics
 * (TF_STATS=1).
 *
 * Events are recorded into p->trace, a core/timeline.h timeline, by the
 * thread they describe: spans on the main thread (tasks, waits, output
 * writes) and on the service thread (file reads), instants on the service
 * thread (messages). tf__trace_close, collective at tf_pool_destroy,
 * streams every rank's events to rank 0, which writes the Chrome
 * trace-event JSON. When tracing is off p->trace is NULL and each hook
 * costs one test: `if (p->trace) tf__trace_span(p->trace, ...);`.
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

#include "core/timeline.h"
#include "taskfarm.h"

/* Main thread, tf_pool_create (after the options, before the service thread
 * starts): reads TF_STATS and TF_TRACE (no MPI call: not every rank may get
 * here). 0, TF_EINVAL (a bad TF_STATS: *bad is "TF_STATS", and rank 0 has
 * reported it, as tf__opts_env does) or TF_ENOMEM; *bad is NULL but for a
 * bad value. */
int tf__trace_open(tf_pool *p, const char **bad);
/* Collective, main thread, tf_pool_destroy (service thread parked): writes
 * the file (rank 0) and frees everything. */
void tf__trace_close(tf_pool *p);
/* Main thread, pool_free: frees what tf__trace_open made (no MPI; for a
 * pool whose creation failed). Idempotent. */
void tf__trace_free(tf_pool *p);
/* Main thread, at the start and the end of each tf_run (every rank; the end
 * is collective when TF_STATS is set: rank 0 prints the summary). */
void tf__stats_run_begin(tf_pool *p);
void tf__stats_run_end(tf_pool *p);

#endif
