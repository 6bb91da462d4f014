/* schedule.c - chunk-size policies and the prefetch window. */
#include "core/schedule.h"

#include <math.h>

#include "taskfarm.h"

void tf__est_add(tf__est *e, double elapsed_s, uint64_t count)
{
    if (count == 0) return;
    double x = elapsed_s / (double)count;
    if (!(x >= 1e-9)) x = 1e-9; /* also NaN */
    if (e->n == 0) {
        e->t = x;
    } else {
        /* A sample is wall time: a rank that lost its core for a while
         * reports one huge task. Clip each sample to [t/8, 8t], so one
         * outlier moves the estimate a little, while a real change of task
         * cost still takes it over in a few samples. */
        if (x > 8 * e->t) x = 8 * e->t;
        if (x < e->t / 8) x = e->t / 8;
        double w = count >= 64 ? 0.5 : count >= 8 ? 0.25 : 0.1;
        e->t = (1.0 - w) * e->t + w * x;
    }
    e->n += count;
}

static size_t clamp(double v, size_t lo, size_t hi)
{
    if (!(v >= (double)lo)) return lo; /* also catches NaN */
    if (v >= (double)hi) return hi;
    return (size_t)v;
}

size_t tf__sched_chunk(const tf__sched *s, const tf__est *e, size_t remaining)
{
    size_t p = s->nworkers > 0 ? (size_t)s->nworkers : 1;
    size_t c;
    switch (s->policy) {
    case TF_CHUNK_FIXED: c = s->chunk_size ? s->chunk_size : 1; break;
    case TF_CHUNK_GUIDED: {
        size_t lo = s->chunk_size ? s->chunk_size : 1;
        c = remaining / p + (remaining % p != 0);
        if (c < lo) c = lo;
        break;
    }
    default: {
        if (e->n == 0) {
            c = 1; /* probe: the first results give the estimate */
            break;
        }
        c = clamp(s->target_s / e->t, 1, TF__CHUNK_MAX);
        /* the tail: no chunk larger than a share of what is left, so that
         * every rank finishes within about one small chunk of the others */
        size_t tail = remaining / (2 * p) + (remaining % (2 * p) != 0);
        if (c > tail) c = tail;
        break;
    }
    }
    if (c < 1) c = 1;
    if (c > remaining) c = remaining;
    return c;
}

size_t tf__sched_window(const tf__sched *s, const tf__est *e, size_t chunk)
{
    /* Tasks long next to a message's round trip gain nothing from a second
     * one queued behind the first, and that one would wait there while
     * another rank idles: one at a time. */
    if (chunk == 1 && e->n > 0 && e->t >= TF__LONG_TASK_S) return 1;
    /* Nothing measured yet: the first task of each rank is a probe, and no
     * second one waits behind it (it may be long); the first results, a
     * round trip later, size the window. */
    if (e->n == 0) return chunk;
    size_t w = 2 * chunk;
    size_t cover = clamp(ceil(s->prefetch_s / e->t), 1, TF__WINDOW_MAX);
    if (cover > w) w = cover;
    return w;
}
