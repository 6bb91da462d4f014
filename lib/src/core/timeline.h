/* timeline.h - a rank's timeline: events recorded in memory while a pool
 * runs, for the TF_TRACE writer (api/trace.c) to turn into a file at the
 * end. Pure: no MPI, no threads, no locks.
 *
 * Threads: the timeline has one buffer per thread that records (TF__TR_MAIN,
 * TF__TR_SVC). Each buffer has one writer, the thread it is named after
 * (other threads of the library record nothing), so recording takes no
 * lock; the main thread also owns the function-name table. Everything
 * else (tf__timeline_start, _settle, _each, _name, _counts, _free) is for
 * the main thread while no other thread records: the pool orders the
 * service thread's last write before them (the run's end, seq_cst atomics).
 *
 * Callers hold a `struct tf__trace *` that is NULL when tracing is off, and
 * test it first: `if (tr) tf__trace_span(tr, ...);` costs one test then.
 *
 * Clock: events carry tf__now_ns times (core/clock.h), except task ends:
 * the one clock read per task that tracing costs, so on x86-64 with an
 * invariant TSC (constant_tsc and nonstop_tsc, and the kernel's clock
 * source) they keep raw TSC values (about 8 ns a read against 20-40 for
 * clock_gettime), flagged, which tf__timeline_settle converts with the TSC
 * rate measured between the origin and the settle (two pairs of reads
 * seconds apart: parts per million). */
#ifndef TF_TIMELINE_H
#define TF_TIMELINE_H

#include <stddef.h>
#include <stdint.h>

enum { TF__TR_MAIN = 0, TF__TR_SVC = 1 }; /* the thread an event belongs to */

enum {
    TF__TR_TASK = 1,  /* main: one task; arg = task id */
    TF__TR_WAIT_WORK, /* main: waiting for work */
    TF__TR_WAIT_IO,   /* main: waiting for (or reading) a task's input file */
    TF__TR_READ,      /* service: reading a file ahead; arg = bytes */
    TF__TR_WRITE,     /* main (rank 0): writing output blocks at a flush, a
                         map's end or a close; arg = bytes */
    TF__TR_SEND,      /* service: instant; peer, arg = bytes */
    TF__TR_RECV,      /* service: instant; peer, arg = bytes */
    TF__TR_STEAL      /* service: a steal, request to answer; arg = victim << 32 | tasks got */
};

/* Events kept a thread; later ones are counted as dropped. */
#define TF__TR_MAX_EV ((size_t)8 << 20) /* 256 MiB */

/* One event as tf__timeline_each shows it (times settled to tf__now_ns). */
typedef struct tf__trace_ev {
    uint64_t t0, t1;
    uint64_t arg;  /* task id, bytes */
    int32_t peer;  /* messages: the other rank; tasks: the name's index */
    uint32_t kind; /* TF__TR_* */
} tf__trace_ev;

struct tf__trace;

/* Main thread: an empty timeline, its clock chosen; NULL without memory.
 * Record nothing before tf__timeline_start. */
struct tf__trace *tf__timeline_create(void);
/* Main thread: the origin of the timeline's times is now (the pool calls it
 * right after a barrier, so that ranks' origins agree). */
void tf__timeline_start(struct tf__trace *tr);
/* Main thread: frees tr and everything it holds. NULL is ignored. */
void tf__timeline_free(struct tf__trace *tr);

/* The calling thread's span [t0, t1] (tf__now_ns clock) into its own buffer
 * `thread`. Consecutive TF__TR_WAIT_WORK spans less than 50 us apart are
 * merged into one. */
void tf__trace_span(struct tf__trace *tr, int thread, int kind, uint64_t t0, uint64_t t1,
                    uint64_t arg);
/* Main thread: task `id` of function `fname` ran from t0 until now; t0 = 0:
 * from the end of the main thread's previous task (the next task of the
 * same item: one clock read a task, and the span takes in the few
 * instructions between two tasks). fname is copied (once per distinct
 * name), so it need not outlive the call. */
void tf__trace_task(struct tf__trace *tr, uint64_t t0, uint64_t id, const char *fname);
/* Service thread: a message sent to or received from peer, stamped with
 * the time of the loop turn that moved it (tf__trace_tick): one clock read
 * a turn, not one a message, on the coordinator's busy path; a turn lasts
 * microseconds. */
void tf__trace_msg(struct tf__trace *tr, int kind, int peer, uint64_t bytes);
/* Service thread, at the start of each loop turn. */
void tf__trace_tick(struct tf__trace *tr);

/* Main thread, once recording is over: converts TSC times to tf__now_ns
 * time. Call once, before tf__timeline_each. */
void tf__timeline_settle(struct tf__trace *tr);
/* Main thread: calls fn on each event of buffer `thread`, oldest first. */
void tf__timeline_each(const struct tf__trace *tr, int thread,
                       void (*fn)(const tf__trace_ev *e, void *arg), void *arg);
/* The origin (tf__now_ns time) set by tf__timeline_start. */
uint64_t tf__timeline_origin(const struct tf__trace *tr);
/* The function name of a task event's index; "?" for an unknown one. The
 * string lives as long as tr. */
const char *tf__timeline_name(const struct tf__trace *tr, int32_t index);
/* Events kept and dropped, both threads together. */
void tf__timeline_counts(const struct tf__trace *tr, uint64_t *kept, uint64_t *dropped);

#endif
