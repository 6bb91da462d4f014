/* median.h - a running median: add values one at a time, read the median
 * of all so far in O(1) (two heaps; O(log n) an add). Pure code. */
#ifndef TFR_MEDIAN_H
#define TFR_MEDIAN_H

#include <stddef.h>

typedef struct tfr_heap {
    double *v;
    size_t n, cap;
} tfr_heap;

typedef struct tfr_median {
    tfr_heap lo, hi; /* lo: a max-heap of the lower half; hi: the upper */
} tfr_median;

/* Adds x; on out of memory the value is dropped (the median gets less
 * exact, nothing worse). */
void tfr_median_add(tfr_median *m, double x);
double tfr_median_get(const tfr_median *m); /* 0 when empty */
size_t tfr_median_count(const tfr_median *m);
void tfr_median_free(tfr_median *m);

#endif
