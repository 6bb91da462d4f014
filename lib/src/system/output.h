/* output.h - tf_output, the one-file writer of task outputs (rank 0).
 *
 * Threads (rank 0):
 *   main thread     tf_output_open/write/flush/close, and the driver's
 *                   tf_map_to: seals blocks, and writes what is left itself
 *                   at a flush, a map's end or a close;
 *   service thread  tf__out_put from the coordinator (coord.c, under
 *                   coord.lock) as results of a map_to job arrive, and
 *                   tf__out_limit when it hands out their tasks;
 *   writer thread   started by the first tf_output_open of a pool: writes
 *                   sealed blocks and seals a part-filled block older than
 *                   flush_s. The disk's waits (write, fdatasync) are its
 *                   alone while a run is on, so the coordinator never waits
 *                   for the disk.
 *   Locks: o->lock guards the blocks, the reorder ring and the counters;
 *   o->io is held while a block is written (one writer at a time, so blocks
 *   reach the file in order); outs.lock guards the pool's list of outputs
 *   and is held by the writer thread while it writes, so tf_output_close
 *   never frees an output under it; outs.wm only pairs with the writer's
 *   condition variable. Order: coord.lock, outs.lock, o->io, o->lock,
 *   outs.wm. */
#ifndef TF_OUTPUT_H
#define TF_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "taskfarm.h"

int tf__outs_create(tf_pool *p); /* rank 0, tf_pool_create */
void tf__outs_destroy(tf_pool *p);
/* Coordinator (coord.lock held): record of map position pos (absolute);
 * skip: a failed task, whose position is passed over. */
void tf__out_put(tf_output *o, uint64_t pos, const void *data, size_t len, bool skip);
/* Coordinator: the tasks of a map_to job may be handed out below this
 * index (relative to base): ORDERED outputs bound what they hold back. */
uint64_t tf__out_limit(tf_output *o, uint64_t base);

tf_pool *tf__out_pool(const tf_output *o);
/* The driver: takes the next n positions of o for a map (their first is
 * returned); *rc is 0, TF_ENOMEM, or TF_EINVAL if an ORDERED output still
 * misses a position (returned then) before them. */
uint64_t tf__out_take(tf_output *o, uint64_t n, int *rc);
/* The driver: the map that took positions from base on has ended (ran) or
 * never started (its positions are given back). */
void tf__out_untake(tf_output *o, uint64_t base, bool ran);
/* The driver, at a map's end: seals and writes what the map put; 0 or the
 * output's first error. */
int tf__out_finish(tf_output *o);

#endif
