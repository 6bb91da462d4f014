/* output_api.c - the public tf_output calls: they check their caller (rank
 * 0's main thread, outside a task) and the options, and leave the rest to
 * the writer (system/output.c, which says which thread does what). */
#include "api/output_api.h"

#include <stdlib.h>

#include "core/buf.h"
#include "api/pool_parts.h"

/* The writer thread's first act: spread over the rank's domain rather than
 * keep the main thread's core. */
static void writer_start(void *arg) { tf__place_helper(arg); }

int tf__outs_create(tf_pool *p)
{
    tf__outs_cfg cfg = {
        .ctx = &p->ctx,
        .trace = &p->trace,
        .thread_start = writer_start,
        .thread_arg = &p->place,
        .pool = p,
    };
    return tf__outs_new(&cfg, &p->outs);
}

void tf__outs_destroy(tf_pool *p)
{
    tf__outs_free(p->outs);
    p->outs = NULL;
}

static bool main_ok(tf_pool *p) { return p && p->co && !p->worker.in_task; }

/* opts (NULL: defaults) checked, with every default filled in. */
static int full_opts(tf_pool *p, const char *who, const tf_output_opts *opts, tf_output_opts *out)
{
    tf_output_opts o = opts ? *opts : (tf_output_opts){0};
    if (o.durability < TF_DURABLE_BLOCK || o.durability > TF_DURABLE_RECORD || o.flush_s < 0 ||
        (o.append != 0 && o.append != 1))
        return tf__fail(&p->ctx, TF_EINVAL, "%s: bad options", who);
    if (o.block_size == 0) o.block_size = (size_t)1 << 20;
    if (o.max_held == 0) o.max_held = (size_t)64 << 20;
    if (o.max_ahead == 0) o.max_ahead = 65536;
    if (o.flush_s == 0) o.flush_s = 1.0;
    if (o.block_size > TF__MAX_MSG) o.block_size = TF__MAX_MSG;
    *out = o;
    return 0;
}

int tf_output_open(tf_pool *p, const char *path, tf_output_order order, const tf_output_opts *opts,
                   tf_output **out)
{
    if (!out) return p ? tf__fail(&p->ctx, TF_EINVAL, "tf_output_open: NULL argument") : TF_EINVAL;
    *out = NULL;
    if (!p || !path || !*path)
        return p ? tf__fail(&p->ctx, TF_EINVAL, "tf_output_open: no path") : TF_EINVAL;
    if (!main_ok(p))
        return tf__fail(&p->ctx, TF_ESTATE, "tf_output_open: rank 0's main thread only");
    if (order != TF_OUTPUT_ORDERED && order != TF_OUTPUT_UNORDERED)
        return tf__fail(&p->ctx, TF_EINVAL, "tf_output_open: bad order %d", (int)order);
    tf_output_opts o;
    TF_CHECK(full_opts(p, "tf_output_open", opts, &o));
    return tf__out_open(p->outs, path, order, &o, out);
}

int tf__output_open_resume(tf_pool *p, const char *path, const tf_output_opts *opts,
                           const tf__out_ident *id, int mode, uint64_t *done, uint64_t *failed,
                           tf_output **out)
{
    tf_output_opts o;
    TF_CHECK(full_opts(p, "tf_map_to_resume", opts, &o));
    o.append = 0;
    return tf__out_open_resume(p->outs, path, &o, id, mode, done, failed, out);
}

int tf_output_write(tf_output *o, uint64_t pos, const void *data, size_t len)
{
    if (!o) return TF_EINVAL;
    tf_pool *p = tf__out_pool(o);
    if (len && !data) return tf__fail(&p->ctx, TF_EINVAL, "tf_output_write: NULL data");
    if (!main_ok(p))
        return tf__fail(&p->ctx, TF_ESTATE, "tf_output_write: rank 0's main thread only");
    return tf__out_write(o, pos, data, len);
}

int tf_output_flush(tf_output *o)
{
    if (!o) return TF_EINVAL;
    tf_pool *p = tf__out_pool(o);
    if (!main_ok(p))
        return tf__fail(&p->ctx, TF_ESTATE, "tf_output_flush: rank 0's main thread only");
    return tf__out_finish(o);
}

int tf_output_close(tf_output **op)
{
    if (!op || !*op) return 0;
    tf_output *o = *op;
    tf_pool *p = tf__out_pool(o);
    if (!main_ok(p))
        return tf__fail(&p->ctx, TF_ESTATE, "tf_output_close: rank 0's main thread only");
    int rc = tf__out_close(o);
    if (rc != TF_EBUSY) *op = NULL; /* closed and freed, even with an error */
    return rc;
}

uint64_t tf_output_records(const tf_output *o) { return o ? tf__out_records(o) : 0; }
uint64_t tf_output_bytes(const tf_output *o) { return o ? tf__out_bytes(o) : 0; }
