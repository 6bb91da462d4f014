/* schedule.h - who gets how many tasks: chunk-size policies and the prefetch
 * window. Pure: no MPI, no threads; the coordinator calls it under its lock.
 *
 * Model (lib/src/README.md, "The performance model"): a rank never waits if its queued work covers
 * the time a refill takes, so each rank is kept `window` tasks ahead, where the window covers
 * prefetch_s of measured work and at least two chunks (one for tasks of TF__LONG_TASK_S and more,
 * and one before anything is measured). A chunk is the unit of assignment: adaptive chunks last
 * about target_s, shrinking towards the end so that the last chunks finish together. */
#ifndef TF_SCHEDULE_H
#define TF_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TF__CHUNK_MAX ((size_t)1 << 20)
#define TF__WINDOW_MAX ((size_t)1 << 16)
/* A task at least this long (measured) is not queued behind another one:
 * the refill it waits for then (a round trip, tens of microseconds) is
 * under 0.5% of it, and no task waits behind a long one while a rank idles. */
#define TF__LONG_TASK_S 0.02

typedef struct tf__sched {
    int policy;        /* TF_CHUNK_AUTO, TF_CHUNK_FIXED, TF_CHUNK_GUIDED */
    size_t chunk_size; /* FIXED: tasks a chunk; GUIDED: the minimum */
    double target_s;   /* AUTO: target chunk duration */
    double prefetch_s; /* work kept queued at each rank */
    int nworkers;
} tf__sched;

/* The measured time of one task of a task function. */
typedef struct tf__est {
    double t;   /* seconds per task (moving average), valid if n > 0 */
    uint64_t n; /* tasks measured */
} tf__est;

/* Adds a measurement: `count` tasks took `elapsed_s` together. */
void tf__est_add(tf__est *e, double elapsed_s, uint64_t count);

/* Tasks in the next chunk when `remaining` tasks of the job are left
 * (remaining >= 1); the result is in [1, remaining]. */
size_t tf__sched_chunk(const tf__sched *s, const tf__est *e, size_t remaining);

/* Tasks to keep assigned to one rank (queued or running) for chunks of
 * `chunk` tasks: 1 for single tasks of TF__LONG_TASK_S or more, one chunk
 * while nothing is measured. */
size_t tf__sched_window(const tf__sched *s, const tf__est *e, size_t chunk);

/* When a rank's main thread hands its results over after running an item
 * (rank/task.c; a simulator of the scheduling calls it too): when half of
 * the assigned work it holds is done, then at each further halving
 * (*report_below, updated here), not after every task below the mark; when
 * TF__REPORT_BYTES are waiting; or TF__REPORT_NS after the last handover.
 * The first two wake the service thread, the last leaves the results for
 * its next turn. Large enough that a message carries many small results,
 * small enough that the coordinator's view of a rank is at most a
 * millisecond old and rank 0 never holds much memory for one rank. */
#define TF__REPORT_BYTES ((size_t)256 * 1024)
#define TF__REPORT_NS 1000000u
enum { TF__REPORT_NONE = 0, TF__REPORT_QUIET = 1, TF__REPORT_WAKE = 2 };
/* job_item: the item was a job's chunk; assigned_left: the assigned tasks
 * the rank still holds; out_bytes: the output waiting; since_ns: since the
 * last handover. TF__REPORT_*. Inline: it runs once per item. */
static inline int tf__sched_report(bool job_item, size_t assigned_left, size_t *report_below,
                                   size_t out_bytes, uint64_t since_ns)
{
    bool needy = job_item && assigned_left <= *report_below;
    if (needy) *report_below = assigned_left / 2;
    if (needy || out_bytes >= TF__REPORT_BYTES) return TF__REPORT_WAKE;
    return since_ns >= TF__REPORT_NS ? TF__REPORT_QUIET : TF__REPORT_NONE;
}

#endif
