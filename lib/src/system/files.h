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

#include "core/queue.h"

struct tf_pool;

/* What tf__files_get hands the main thread; it owns data and path and frees
 * them with tf__files_release. */
typedef struct tf__fin {
    char *data;
    size_t len;
    char *path;       /* NUL-terminated */
    int err;          /* errno of a failed read (data NULL), else 0 */
    const char *what; /* the call that failed */
} tf__fin;

int tf__files_create(struct tf_pool *p); /* main thread, tf_pool_create */
void tf__files_destroy(struct tf_pool *p);
/* Main thread, start of a run (service thread parked): drops every entry. */
void tf__files_reset(struct tf_pool *p);
/* Service thread: file item `it` was queued for the main thread. */
void tf__files_add(struct tf_pool *p, const tf__item *it);
/* Service thread: reads some; 1 if it did anything. */
int tf__files_step(struct tf_pool *p);
/* Main thread: the input of task k of file item it (path: its bytes, plen). */
void tf__files_get(struct tf_pool *p, const tf__item *it, uint32_t k, const char *path, size_t plen,
                   tf__fin *out);
void tf__files_release(tf__fin *in);

#endif
