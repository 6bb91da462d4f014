/* error.c - the error list: tf_strerror, tf_err_name, message formatting. */
#include "core/error.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

const char *tf_strerror(int err)
{
    switch (err) {
    case 0: return "success";
#define TF_ERR_MSG_(name, val, msg) \
    case val: return msg;
        TF_ERRNO_MAP(TF_ERR_MSG_)
#undef TF_ERR_MSG_
    default: return "unknown error";
    }
}

const char *tf_err_name(int err)
{
    switch (err) {
    case 0: return "TF_OK";
#define TF_ERR_NAME_(name, val, msg) \
    case val: return "TF_" #name;
        TF_ERRNO_MAP(TF_ERR_NAME_)
#undef TF_ERR_NAME_
    default: return "TF_E?";
    }
}

size_t tf__errfmt(char *buf, size_t size, int rank, unsigned long long task, const char *fmt,
                  va_list ap)
{
    if (size == 0) return 0;
    int n;
    if (task == UINT64_MAX)
        n = snprintf(buf, size, "rank %d: ", rank);
    else
        n = snprintf(buf, size, "rank %d: task %llu: ", rank, task);
    if (n < 0) n = 0;
    if ((size_t)n < size) {
        int m = vsnprintf(buf + n, size - (size_t)n, fmt, ap);
        if (m > 0) n += m;
    }
    if ((size_t)n >= size) n = (int)size - 1;
    return (size_t)n;
}

void tf__panic(const char *file, int line, const char *what)
{
    fprintf(stderr, "taskfarm: internal error at %s:%d: %s\n", file, line, what);
    fflush(stderr);
    abort();
}

int tf__fail(tf__ctx *ctx, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tf__errfmt(ctx->errmsg, sizeof ctx->errmsg, ctx->rank, UINT64_MAX, fmt, ap);
    va_end(ap);
    return err;
}

void tf__fatal(const tf__ctx *ctx, const char *fmt, ...)
{
    char msg[TF__ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    tf__errfmt(msg, sizeof msg, ctx->rank, UINT64_MAX, fmt, ap);
    va_end(ap);
    fprintf(stderr, "taskfarm: fatal: %s\n", msg);
    fflush(stderr);
    if (ctx->abort_fn) ctx->abort_fn(ctx->abort_arg);
    abort();
}

void tf__log(const tf__ctx *ctx, int level, const char *fmt, ...)
{
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char msg[TF__ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "taskfarm[%d] %s: %s\n", ctx->rank,
            names[level < 0   ? 0
                  : level > 3 ? 3
                              : level],
            msg);
}
