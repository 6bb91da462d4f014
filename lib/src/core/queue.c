/* queue.c - a ring-buffer deque of work items. */
#include "core/queue.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "taskfarm.h"

static int grow(tf__queue *q)
{
    size_t cap = q->cap ? q->cap * 2 : 16;
    tf__item *v = tf__malloc(cap * sizeof *v);
    if (!v) return TF_ENOMEM;
    for (size_t i = 0; i < q->n; i++) v[i] = q->v[(q->head + i) % q->cap];
    tf__free(q->v);
    q->v = v;
    q->cap = cap;
    q->head = 0;
    return 0;
}

int tf__queue_push_back(tf__queue *q, const tf__item *it)
{
    if (q->n == q->cap && grow(q) < 0) return TF_ENOMEM;
    q->v[(q->head + q->n) % q->cap] = *it;
    q->n++;
    return 0;
}

int tf__queue_push_front(tf__queue *q, const tf__item *it)
{
    if (q->n == q->cap && grow(q) < 0) return TF_ENOMEM;
    q->head = (q->head + q->cap - 1) % q->cap;
    q->v[q->head] = *it;
    q->n++;
    return 0;
}

int tf__queue_pop_back(tf__queue *q, tf__item *out)
{
    if (q->n == 0) return 0;
    q->n--;
    *out = q->v[(q->head + q->n) % q->cap];
    return 1;
}

int tf__queue_pop_front(tf__queue *q, tf__item *out)
{
    if (q->n == 0) return 0;
    *out = q->v[q->head];
    q->head = (q->head + 1) % q->cap;
    q->n--;
    return 1;
}

void tf__queue_clear(tf__queue *q)
{
    tf__item it;
    while (tf__queue_pop_front(q, &it)) tf__rbuf_unref(it.owner);
    q->head = 0;
}

void tf__queue_free(tf__queue *q)
{
    tf__queue_clear(q);
    tf__free(q->v);
    q->v = NULL;
    q->cap = q->n = q->head = 0;
}
