/* recs.h - a job's results, kept as the records they arrived in. Pure: no
 * MPI, no threads; the caller locks.
 *
 * A RESULT record (msg.h) holds the outputs of consecutive tasks. Instead of
 * a slot per task, a job keeps the records themselves (they point into the
 * received messages, which the job holds): folding in a record costs one
 * pass over its lengths, and a lookup finds the record by binary search
 * (with a cache of the last one, for the usual in-order reading) and the
 * output by one multiply when all outputs of the record have one length. */
#ifndef TF_RECS_H
#define TF_RECS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tf__rec {
    uint64_t first; /* index of its first task in the job */
    uint32_t count, nfail;
    uint32_t ulen;     /* the length of every output, or UINT32_MAX */
    const char *lens;  /* count u32 lengths (unaligned) */
    const char *data;  /* the outputs, one after the other */
    const char *fails; /* nfail (u32 task, i32 status) pairs, by task */
    uint64_t *offs;    /* start of each output; made on first use */
} tf__rec;

typedef struct tf__recs {
    tf__rec *v;
    size_t n, cap;
    bool sorted;
    size_t last; /* the record found last */
} tf__recs;

/* Checks a record read from a message and fills *r: lens (4*count bytes),
 * data (the sum of the lengths, exactly data_len bytes) and fails (nfail
 * pairs, tasks ascending and below count, statuses negative, each failed
 * output a NUL-terminated message). Returns 0 or -1 (malformed). */
int tf__rec_make(tf__rec *r, uint64_t first, uint32_t count, uint32_t nfail, const char *lens,
                 const char *data, size_t data_len, const char *fails);

/* The sum of the count lengths at lens. */
size_t tf__rec_total(const char *lens, uint32_t count);

int tf__recs_add(tf__recs *rs, const tf__rec *r); /* 0 or -1 (out of memory) */
/* The record that holds task i, or NULL; sorts the records first if they
 * were added out of order. */
tf__rec *tf__recs_find(tf__recs *rs, uint64_t i);
void tf__recs_free(tf__recs *rs);

/* Task k of record r: its status (0 or a negative code) and its output, or
 * for a failed task its message (len without the NUL). -1 if out of memory
 * for the offsets (then *p is NULL). */
int tf__rec_get(tf__rec *r, uint32_t k, const char **p, size_t *len);

#endif
