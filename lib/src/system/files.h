/* files.h - task input files: reading them ahead on the service thread.
 *
 * Threads (every rank):
 *   service thread  tf__files_add: when file tasks are queued at this rank
 *                   (handle_tasks, or rank 0's own flush_local), one entry
 *                   per task is appended, in the order the main thread will
 *                   run them; tf__files_step: reads the oldest entries not
 *                   yet read, a slice a loop turn, while the bytes read and
 *                   not yet used stay under file_prefetch_bytes.
 *   main thread     tf__files_get: the contents of task (job, index): taken
 *                   from the head entry if the service thread read it; waited
 *                   for if it is being read; read by the main thread itself
 *                   if the service thread has not started on it (or with
 *                   prefetch off).
 *   The entries are under files.lock; a file being read belongs to the
 *   service thread until it marks the entry done. */
#ifndef TF_FILES_H
#define TF_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/queue.h"
#include "system/wait.h"
#include "taskfarm.h"

struct tf__trace;
struct tf__files;

/* What the read-ahead uses of its rank, given at create time. Every pointer
 * is the rank's and outlives the tf__files; the pointed-to values are read
 * at each call, not copied. */
typedef struct tf__files_cfg {
    tf__ctx *ctx;                   /* fatal errors (out of memory) */
    const tf_pool_opts *opts;       /* no_file_prefetch, file_prefetch_bytes, wait, spin_us:
                                       fixed once the pool is made */
    tf__waiter *main_w;             /* the main thread's waiter, woken when a file it
                                       waits for is read */
    struct tf__trace *const *trace; /* the rank's timeline, NULL while tracing is off
                                       (set before the service thread first runs);
                                       trace itself may be NULL: no timeline */
    tf_stats *st;                   /* the main thread's fields io_wait_s, files_read,
                                       files_ahead, file_bytes: tf__files_get adds to them */
} tf__files_cfg;

/* What tf__files_get hands the main thread; it owns data and path and frees
 * them with tf__files_release. */
typedef struct tf__fin {
    char *data;
    size_t len;
    char *path;       /* NUL-terminated */
    int err;          /* errno of a failed read (data NULL), else 0 */
    const char *what; /* the call that failed */
} tf__fin;

/* Main thread, tf_pool_create: *out is the new state (the caller owns it
 * and frees it with tf__files_destroy). 0, TF_ENOMEM or TF_ESYS. */
int tf__files_create(const tf__files_cfg *cfg, struct tf__files **out);
/* Main thread, with the service thread stopped. NULL is ignored. */
void tf__files_destroy(struct tf__files *f);
/* Main thread, start of a run (service thread parked): drops every entry.
 * NULL is ignored. */
void tf__files_reset(struct tf__files *f);
/* Service thread: file item `it` was queued for the main thread. NULL f
 * (as in step) is a rank without read-ahead state: nothing to do. */
void tf__files_add(struct tf__files *f, const tf__item *it);
/* Service thread: reads some; 1 if it did anything. */
int tf__files_step(struct tf__files *f);
/* Main thread: the input of task k of file item it (path: its bytes, plen). */
void tf__files_get(struct tf__files *f, const tf__item *it, uint32_t k, const char *path,
                   size_t plen, tf__fin *out);
void tf__files_release(tf__fin *in);

#endif
