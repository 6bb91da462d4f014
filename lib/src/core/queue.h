/* queue.h - work items and the double-ended queue that holds them.
 * Pure: no MPI, no threads; the caller locks. */
#ifndef TF_QUEUE_H
#define TF_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"

/* How an item's inputs are laid out. */
enum {
    TF__FIXED = 0,  /* count inputs of elem bytes each, contiguous at data */
    TF__PACKED = 1, /* count u64 lengths at lens, then the bytes at data */
    TF__VECTOR = 2  /* vin[i] holds vlen[i] bytes (the caller's arrays) */
};

/* A dispatch: count consecutive tasks of one job (job 0: a spawned task). */
typedef struct tf__item {
    uint64_t job;
    uint64_t first_index; /* index of the first task in its job */
    uint64_t first_id;    /* task id of the first task; the rest follow */
    uint32_t gid;         /* the coordinator's id of the task function */
    uint32_t count;
    uint32_t layout;
    uint32_t file; /* 1: each input is a path; the task gets the file's contents */
    size_t elem;
    const char *data;
    const char *lens;
    const void *const *vin;
    const size_t *vlen;
    tf__rbuf *owner;   /* holds data alive; NULL when borrowed from the driver */
    void *fn;          /* the receiving rank's function, NULL if unknown there */
    const char *fname; /* its name (stable for the whole run) */
} tf__item;

/* The input of task k (0 <= k < count) of an item, with a running cursor for
 * PACKED layout: call with k = 0, 1, 2, ... in order, *off starting at 0. */
static inline const char *tf__item_input(const tf__item *it, uint32_t k, size_t *off, size_t *len)
{
    switch (it->layout) {
    case TF__FIXED: *len = it->elem; return it->data + (size_t)k * it->elem;
    case TF__PACKED: {
        uint64_t l;
        memcpy(&l, it->lens + 8 * (size_t)k, 8);
        const char *p = it->data + *off;
        *off += (size_t)l;
        *len = (size_t)l;
        return p;
    }
    default: *len = it->vlen[k]; return it->vin[k] ? (const char *)it->vin[k] : "";
    }
}

/* A growable ring buffer of items: push/pop at both ends. */
typedef struct tf__queue {
    tf__item *v;
    size_t cap, head, n; /* items at v[(head + i) % cap], i < n */
} tf__queue;

int tf__queue_push_back(tf__queue *q, const tf__item *it);  /* 0 or TF_ENOMEM */
int tf__queue_push_front(tf__queue *q, const tf__item *it); /* 0 or TF_ENOMEM */
int tf__queue_pop_back(tf__queue *q, tf__item *out);        /* 1 if one, else 0 */
int tf__queue_pop_front(tf__queue *q, tf__item *out);       /* 1 if one, else 0 */
static inline size_t tf__queue_len(const tf__queue *q) { return q->n; }
/* The item at the front, left in place; NULL if the queue is empty. */
static inline const tf__item *tf__queue_front(const tf__queue *q)
{
    return q->n ? &q->v[q->head] : NULL;
}
/* Drops every item, unreferencing owners. */
void tf__queue_clear(tf__queue *q);
void tf__queue_free(tf__queue *q);

#endif
