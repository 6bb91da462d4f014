/* error.h - internal error helpers shared by the library files.
 * Pure: no MPI, no threads. */
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

#endif
