/* error.h - internal error helpers shared by the library files.
 * Pure: no MPI, no threads.
 *
 * Out of memory (every allocation goes through core/alloc.h):
 *
 * - An API call on the caller's thread returns TF_ENOMEM, with the message
 *   in tf_pool_errmsg, while nothing it made is shared yet: tf_pool_create
 *   (undoing every step, collectively), tf_register, tf_map and the other
 *   driver calls before the job is started and when results are gathered,
 *   tf_submit, tf_output_open, tf_output_write of a record that waits for
 *   its turn. The call left nothing behind and the next call may succeed.
 *   A failed tf_buf_append or tf_spawn is the task's: it fails that task.
 * - Everything a run does once work is shared aborts the job with one line,
 *   "taskfarm: fatal: rank R: out of memory ..." (tf__fatal): the service
 *   thread (messages, links, the coordinator, a node leader's relay,
 *   stealing), a rank's handover of results, and an output's block for
 *   records whose turn has come. Going on there would lose results that
 *   other ranks or the caller count on, or hang the run waiting for them.
 * - Best effort, no error: without the machine's topology a pool runs
 *   unplaced; a new output file's directory is then not synced. */
#ifndef TF_ERROR_H
#define TF_ERROR_H

#include <stdarg.h>
#include <stddef.h>

#include "taskfarm.h"

/* Size of every error-message buffer in the library. */
#define TF__ERRMSG_MAX 512

/* Formats "rank R: task I: message" into buf (always NUL-terminated, cut to
 * size). task may be UINT64_MAX for "no task". Returns the length written. */
size_t tf__errfmt(char *buf, size_t size, int rank, unsigned long long task, const char *fmt,
                  va_list ap);

/* Propagate a negative code. */
#define TF_CHECK(expr)                 \
    do {                               \
        int tf_rc_ = (expr);           \
        if (tf_rc_ < 0) return tf_rc_; \
    } while (0)

/* Abort the process for a broken invariant (never for bad input). */
#define TF_ASSERT(cond)                                    \
    do {                                                   \
        if (!(cond)) tf__panic(__FILE__, __LINE__, #cond); \
    } while (0)

_Noreturn void tf__panic(const char *file, int line, const char *what);

/* ---- a pool's error context --------------------------------------------------
 *
 * Every layer reports through the one tf__ctx of its pool: a failed call
 * leaves its message in errmsg (tf__fail, read by tf_pool_errmsg); a broken
 * run (out of memory where results could no longer be reported, a malformed
 * message) is fatal: tf__fatal prints one line and calls the abort hook that
 * the pool installs (MPI_Abort on its communicator), so that core code never
 * names MPI. The fields are written once by tf_pool_create, then only read,
 * except errmsg, which belongs to the thread that made the failing call (the
 * main thread: every call that sets it runs there). */
typedef struct tf__ctx {
    int rank;    /* in the pool's communicator: the prefix of every message */
    int verbose; /* TF_LOG's level (tf_pool_opts.verbose) */
    /* Ends the whole job after a fatal message; NULL: abort(). Must not
     * return. */
    void (*abort_fn)(void *arg);
    void *abort_arg;
    char errmsg[TF__ERRMSG_MAX];
} tf__ctx;

/* Sets ctx->errmsg to "rank R: <message>" and returns err. */
int tf__fail(tf__ctx *ctx, int err, const char *fmt, ...) TF_PRINTF(3, 4);

/* Prints "taskfarm: fatal: rank R: <message>" and ends the job through the
 * abort hook. For a run that cannot go on, never for bad input. */
_Noreturn void tf__fatal(const tf__ctx *ctx, const char *fmt, ...) TF_PRINTF(2, 3);

/* Logs "taskfarm[R] LEVEL: <message>" on stderr when ctx->verbose >= level
 * (0 error, 1 warning, 2 info, 3 debug); the level is checked before the
 * arguments are formatted. */
#define TF_LOG(ctx, level, ...)                                              \
    do {                                                                     \
        if ((ctx)->verbose >= (level)) tf__log((ctx), (level), __VA_ARGS__); \
    } while (0)
void tf__log(const tf__ctx *ctx, int level, const char *fmt, ...) TF_PRINTF(3, 4);

#endif
