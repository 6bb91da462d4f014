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

/* ---- indexed outputs: a map that resumes (tf_map_to_resume) ----
 *
 * The file holds the records back to back, as any ORDERED output; its
 * index, PATH.tfindex, says where each ends. All numbers little-endian.
 *   header (TF__IX_HEADER bytes): "TFMAPIX1", n, elem_size, the inputs'
 *     checksum (u64 each), the function's name (64 bytes, NUL-padded), a
 *     checksum of the 96 bytes before it (u64)
 *   an entry per position, in position order (TF__IX_ENTRY bytes): the
 *     position (u64), the file's length after its record (u64), flags
 *     (u32: TF__IX_FAILED, a failed task with no record), a checksum of the
 *     20 bytes before it (u32)
 * The writer appends a block's entries only after the block's bytes are
 * written (and synced, unless TF_DURABLE_NONE), so an entry never names
 * bytes that are not in the file; a resume keeps the entries that are whole
 * and valid, in order, and cuts both files after the last one. */
#define TF__IX_HEADER 104
#define TF__IX_ENTRY 24
#define TF__IX_FAILED 1u
#define TF__IX_SUFFIX ".tfindex"

/* What an index was made for. */
typedef struct tf__out_ident {
    uint64_t n, elem_size, in_sum;
    char fn[64];
} tf__out_ident;

/* A checksum of len bytes at p (the inputs of a resumable map). */
uint64_t tf__out_sum(const void *p, size_t len);

/* Main thread: opens path and its index as an ORDERED output for the map
 * id names. mode (tf_resume_mode): TF_RESUME_START truncates both;
 * TF_RESUME needs the index and keeps what it names; TF_RESUME_OR_START
 * resumes if the index exists, else starts. o->append is ignored. On
 * success *done positions (0..*done-1) are in the file, *failed of them
 * failed, and the output's next position is *done. Errors (message in the
 * ctx): TF_EMISMATCH (the index was made for another map, or the file is
 * shorter than the index says), TF_EINVAL (a file that is no index, or a
 * file without an index to resume), TF_ESYS, TF_ENOMEM. */
int tf__out_open_resume(struct tf__outs *os, const char *path, const tf_output_opts *o,
                        const tf__out_ident *id, int mode, uint64_t *done, uint64_t *failed,
                        tf_output **out);

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
