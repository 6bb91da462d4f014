/* output.h - the writer behind tf_output: task outputs appended to one file
 * in large blocks, in position order (ORDERED) or as they come. The public
 * calls (api/output_api.c) check the caller and the options, then come here.
 *
 * Threads (rank 0):
 *   main thread     tf__out_open/write/close (tf_output_*), and the driver's
 *                   tf_map_to: tf__out_take/untake/finish; seals blocks, and
 *                   writes what is left itself at a flush, a map's end or a
 *                   close;
 *   service thread  tf__out_put from the coordinator (coord.c, under
 *                   coord.lock) as results of a map_to job arrive, and
 *                   tf__out_limit when it hands out their tasks;
 *   writer thread   started by the first tf__out_open of a tf__outs: writes
 *                   sealed blocks and seals a part-filled block older than
 *                   flush_s. The disk's waits (write, fdatasync) are its
 *                   alone while a run is on, so the coordinator never waits
 *                   for the disk.
 *   Locks: o->lock guards the blocks, the reorder ring and the counters;
 *   o->io is held while a block is written (one writer at a time, so blocks
 *   reach the file in order); outs.lock guards the list of open outputs
 *   and is held by the writer thread while it writes, so tf__out_close
 *   never frees an output under it; outs.wm only pairs with the writer's
 *   condition variable. Order: coord.lock, outs.lock, o->io, o->lock,
 *   outs.wm. */
#ifndef TF_OUTPUT_H
#define TF_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "taskfarm.h"

struct tf__trace;
struct tf__outs;

/* What the writer uses of its rank, given at create time. The pointers are
 * the caller's and outlive the tf__outs. */
typedef struct tf__outs_cfg {
    tf__ctx *ctx; /* errors (tf__fail) and fatal ones (out of memory) */
    /* the rank's timeline, read at each write: *trace NULL while tracing
     * is off; trace NULL: never traced */
    struct tf__trace *const *trace;
    /* the writer thread calls thread_start(thread_arg) first thing (the
     * pool places the thread there); NULL: nothing */
    void (*thread_start)(void *arg);
    void *thread_arg;
    tf_pool *pool; /* handed back by tf__out_pool, never looked into */
} tf__outs_cfg;

/* Main thread: a rank's set of outputs, none open and no writer thread
 * yet. 0, TF_ENOMEM or TF_ESYS; *out is the caller's to free with
 * tf__outs_free. */
int tf__outs_new(const tf__outs_cfg *cfg, struct tf__outs **out);
/* Main thread, no map running: stops the writer thread, then writes and
 * closes any output left open (with a warning on stderr), and frees os.
 * NULL is ignored. */
void tf__outs_free(struct tf__outs *os);

/* Main thread: opens path for writing (truncated, or appended to with
 * o->append) and starts the writer thread if none runs yet. o must be
 * complete: every field set and valid, as tf_output_open leaves it. 0 or
 * TF_E* with the message in the ctx. */
int tf__out_open(struct tf__outs *os, const char *path, tf_output_order order,
                 const tf_output_opts *o, tf_output **out);
/* Main thread: the program's record at pos (tf_output_write): refused
 * (TF_EINVAL, message in the ctx) for an ORDERED position already used,
 * max_ahead or more past the first one missing, or inside a running map's
 * range; else 0, or the output's first error. */
int tf__out_write(tf_output *o, uint64_t pos, const void *data, size_t len);
/* Main thread: writes what o holds, syncs and closes the file, and frees o
 * (TF_EBUSY while a map writes to it: nothing done then). 0 or the first
 * error of o's life; TF_EINVAL if an ORDERED position before the last one
 * used was never written (what was held is written anyway). */
int tf__out_close(tf_output *o);
/* Any thread: records and bytes written to the file so far. */
uint64_t tf__out_records(const tf_output *o);
uint64_t tf__out_bytes(const tf_output *o);
/* The pool given at create time. */
tf_pool *tf__out_pool(const tf_output *o);

/* Coordinator (coord.lock held): record of map position pos (absolute);
 * skip: a failed task, whose position is passed over. */
void tf__out_put(tf_output *o, uint64_t pos, const void *data, size_t len, bool skip);
/* Coordinator: the tasks of a map_to job may be handed out below this
 * index (relative to base): ORDERED outputs bound what they hold back. */
uint64_t tf__out_limit(tf_output *o, uint64_t base);

/* The driver: takes the next n positions of o for a map (their first is
 * returned); *rc is 0, TF_ENOMEM, or TF_EINVAL if an ORDERED output still
 * misses a position (returned then) before them. */
uint64_t tf__out_take(tf_output *o, uint64_t n, int *rc);
/* The driver: the map that took positions from base on has ended (ran) or
 * never started (its positions are given back). */
void tf__out_untake(tf_output *o, uint64_t base, bool ran);
/* The driver, at a map's end (and tf_output_flush): seals and writes what
 * was put; 0 or the output's first error (message in the ctx). */
int tf__out_finish(tf_output *o);

#endif
