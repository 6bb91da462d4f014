/* median.c - see median.h. */
#include "median.h"

#include <stdlib.h>

/* sign 1: a max-heap of x; sign -1: a max-heap of -x (a min-heap of x) */
static int hpush(tfr_heap *h, double x, int sign)
{
    if (h->n == h->cap) {
        size_t nc = h->cap ? h->cap * 2 : 256;
        double *nv = realloc(h->v, nc * sizeof *nv);
        if (!nv) return -1;
        h->v = nv;
        h->cap = nc;
    }
    size_t i = h->n++;
    h->v[i] = sign * x;
    while (i && h->v[(i - 1) / 2] < h->v[i]) {
        double t = h->v[i];
        h->v[i] = h->v[(i - 1) / 2];
        h->v[(i - 1) / 2] = t;
        i = (i - 1) / 2;
    }
    return 0;
}

static double hpop(tfr_heap *h, int sign)
{
    double top = h->v[0];
    h->v[0] = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->v[l] > h->v[m]) m = l;
        if (r < h->n && h->v[r] > h->v[m]) m = r;
        if (m == i) break;
        double t = h->v[i];
        h->v[i] = h->v[m];
        h->v[m] = t;
        i = m;
    }
    return sign * top;
}

void tfr_median_add(tfr_median *m, double x)
{
    if (!m->lo.n || x <= m->lo.v[0]) {
        if (hpush(&m->lo, x, 1)) return;
    } else if (hpush(&m->hi, x, -1)) {
        return;
    }
    /* moving between heaps can fail on memory: then keep the value where
     * it is; the halves are rebalanced on a later add */
    if (m->lo.n > m->hi.n + 1) {
        double t = m->lo.v[0];
        if (!hpush(&m->hi, t, -1)) hpop(&m->lo, 1);
    }
    if (m->hi.n > m->lo.n) {
        double t = -m->hi.v[0];
        if (!hpush(&m->lo, t, 1)) hpop(&m->hi, -1);
    }
}

double tfr_median_get(const tfr_median *m)
{
    if (!m->lo.n) return 0;
    if (m->lo.n > m->hi.n) return m->lo.v[0];
    return (m->lo.v[0] - m->hi.v[0]) / 2;
}

size_t tfr_median_count(const tfr_median *m) { return m->lo.n + m->hi.n; }

void tfr_median_free(tfr_median *m)
{
    free(m->lo.v);
    free(m->hi.v);
    m->lo = m->hi = (tfr_heap){0};
}
