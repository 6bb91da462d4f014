/* recs.c - a job's results as the records they arrived in. */
#include "core/recs.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

static inline uint32_t len_at(const char *lens, uint32_t k)
{
    uint32_t l;
    memcpy(&l, lens + 4 * (size_t)k, 4);
    return l;
}

size_t tf__rec_total(const char *lens, uint32_t count)
{
    size_t total = 0;
    for (uint32_t k = 0; k < count; k++) total += len_at(lens, k);
    return total;
}

int tf__rec_make(tf__rec *r, uint64_t first, uint32_t count, uint32_t nfail, const char *lens,
                 const char *data, size_t data_len, const char *fails)
{
    if (count == 0 || nfail > count) return -1;
    uint32_t ulen = count ? len_at(lens, 0) : 0;
    size_t total = 0;
    for (uint32_t k = 0; k < count; k++) {
        uint32_t l = len_at(lens, k);
        if (l != ulen) ulen = UINT32_MAX;
        total += l;
    }
    if (total != data_len) return -1;
    if (nfail) { /* one pass: each failure's output must be its message */
        size_t off = 0;
        uint32_t f = 0;
        int32_t prev = -1;
        for (uint32_t k = 0; k < count && f < nfail; k++) {
            uint32_t l = len_at(lens, k);
            int32_t fk, st;
            memcpy(&fk, fails + 8 * (size_t)f, 4);
            memcpy(&st, fails + 8 * (size_t)f + 4, 4);
            if (fk <= prev || fk < 0 || (uint32_t)fk >= count || st >= 0) return -1;
            if ((uint32_t)fk == k) {
                if (l == 0 || data[off + l - 1] != '\0') return -1;
                prev = fk;
                f++;
            }
            off += l;
        }
        if (f != nfail) return -1;
    }
    *r = (tf__rec){first, count, nfail, ulen, lens, data, fails, NULL};
    return 0;
}

int tf__recs_add(tf__recs *rs, const tf__rec *r)
{
    if (rs->n == rs->cap) {
        size_t cap = rs->cap ? rs->cap * 2 : 16;
        tf__rec *v = tf__realloc(rs->v, cap * sizeof *v);
        if (!v) return -1;
        rs->v = v;
        rs->cap = cap;
    }
    if (rs->n == 0) rs->sorted = true;
    if (rs->n && rs->v[rs->n - 1].first > r->first) rs->sorted = false;
    rs->v[rs->n++] = *r;
    return 0;
}

static int by_first(const void *a, const void *b)
{
    uint64_t x = ((const tf__rec *)a)->first, y = ((const tf__rec *)b)->first;
    return (x > y) - (x < y);
}

static bool holds(const tf__rec *r, uint64_t i) { return i >= r->first && i - r->first < r->count; }

tf__rec *tf__recs_find(tf__recs *rs, uint64_t i)
{
    if (rs->n == 0) return NULL;
    if (!rs->sorted) {
        qsort(rs->v, rs->n, sizeof *rs->v, by_first);
        rs->sorted = true;
        rs->last = 0;
    }
    if (rs->last < rs->n && holds(&rs->v[rs->last], i)) return &rs->v[rs->last];
    if (rs->last + 1 < rs->n && holds(&rs->v[rs->last + 1], i)) return &rs->v[++rs->last];
    size_t lo = 0, hi = rs->n; /* the last record with first <= i */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (rs->v[mid].first <= i)
            lo = mid;
        else
            hi = mid;
    }
    if (!holds(&rs->v[lo], i)) return NULL;
    rs->last = lo;
    return &rs->v[lo];
}

void tf__recs_free(tf__recs *rs)
{
    for (size_t k = 0; k < rs->n; k++) tf__free(rs->v[k].offs);
    tf__free(rs->v);
    *rs = (tf__recs){0};
}

int tf__rec_get(tf__rec *r, uint32_t k, const char **p, size_t *len)
{
    size_t off;
    if (r->ulen != UINT32_MAX) {
        off = (size_t)k * r->ulen;
    } else {
        if (!r->offs) {
            r->offs = tf__malloc(r->count * sizeof *r->offs);
            if (!r->offs) {
                *p = NULL;
                *len = 0;
                return -1;
            }
            uint64_t o = 0;
            for (uint32_t j = 0; j < r->count; j++) {
                r->offs[j] = o;
                o += len_at(r->lens, j);
            }
        }
        off = r->offs[k];
    }
    *p = r->data + off;
    *len = len_at(r->lens, k);
    int32_t st = 0;
    if (r->nfail) { /* binary search of the failures, by task */
        uint32_t lo = 0, hi = r->nfail;
        while (lo < hi) {
            uint32_t mid = lo + (hi - lo) / 2;
            int32_t fk;
            memcpy(&fk, r->fails + 8 * (size_t)mid, 4);
            if ((uint32_t)fk < k)
                lo = mid + 1;
            else
                hi = mid;
        }
        int32_t fk;
        if (lo < r->nfail && (memcpy(&fk, r->fails + 8 * (size_t)lo, 4), (uint32_t)fk == k)) {
            memcpy(&st, r->fails + 8 * (size_t)lo + 4, 4);
            (*len)--; /* the message, without its NUL */
        }
    }
    return st;
}
