/* jobs.c - the job table (jobs.h). */
#include "core/jobs.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "taskfarm.h"

/* The table's first size: enough for the jobs of most runs, which hold a
 * handful of maps or a few dozen futures at once. */
#define JOBS_CAP0 64
/* A job's first room for kept message buffers. */
#define BUFS_CAP0 4

tf__job *tf__job_new(int kind, size_t n)
{
    tf__job *j = tf__calloc(1, sizeof *j);
    if (!j) return NULL;
    j->kind = kind;
    j->n = n;
    j->avoid = -1;
    return j;
}

void tf__job_free(tf__job *j)
{
    if (!j) return;
    for (size_t i = 0; i < j->nbufs; i++) tf__rbuf_unref(j->bufs[i]);
    tf__free(j->bufs);
    tf__free(j->own);
    tf__free(j->own_lens);
    tf__free(j->out_err);
    tf__recs_free(&j->recs);
    tf__free(j);
}

int tf__job_keep(tf__job *j, tf__rbuf *rb)
{
    if (j->nbufs && j->bufs[j->nbufs - 1] == rb) return 0;
    if (j->nbufs == j->capbufs) {
        size_t cap = j->capbufs ? j->capbufs * 2 : BUFS_CAP0;
        tf__rbuf **b = tf__realloc(j->bufs, cap * sizeof *b);
        if (!b) return TF_ENOMEM;
        j->bufs = b;
        j->capbufs = cap;
    }
    j->bufs[j->nbufs++] = tf__rbuf_ref(rb);
    return 0;
}

/* Fibonacci hashing: ids are consecutive, the multiply spreads them. */
static size_t slot_of(const tf__jobs *t, uint64_t id)
{
    return (size_t)((id * 0x9E3779B97F4A7C15ull) >> 20) & (t->cap - 1);
}

static void link_in(tf__jobs *t, tf__job *j)
{
    size_t h = slot_of(t, j->id);
    j->hnext = t->slot[h];
    t->slot[h] = j;
}

static int grow(tf__jobs *t)
{
    size_t cap = t->cap ? t->cap * 2 : JOBS_CAP0;
    tf__job **nb = tf__calloc(cap, sizeof *nb);
    if (!nb) return TF_ENOMEM;
    tf__job **old = t->slot;
    size_t ocap = t->cap;
    t->slot = nb;
    t->cap = cap;
    for (size_t i = 0; i < ocap; i++)
        for (tf__job *x = old[i], *nx; x; x = nx) {
            nx = x->hnext;
            link_in(t, x);
        }
    tf__free(old);
    return 0;
}

int tf__jobs_add(tf__jobs *t, tf__job *j)
{
    j->id = ++t->last_id;
    j->first_id = t->next_task_id;
    if (j->n == 0) return 0; /* nothing will report back: done already */
    if (t->n + 1 > t->cap && grow(t) < 0) return TF_ENOMEM;
    link_in(t, j);
    t->n++;
    t->next_task_id += j->n;
    if (t->act_tail)
        t->act_tail->next_act = j;
    else
        t->act_head = j;
    t->act_tail = j;
    return 0;
}

tf__job *tf__jobs_find(const tf__jobs *t, uint64_t id)
{
    if (!t->cap) return NULL;
    for (tf__job *x = t->slot[slot_of(t, id)]; x; x = x->hnext)
        if (x->id == id) return x;
    return NULL;
}

void tf__jobs_remove(tf__jobs *t, tf__job *j)
{
    if (!t->cap) return;
    for (tf__job **pp = &t->slot[slot_of(t, j->id)]; *pp; pp = &(*pp)->hnext)
        if (*pp == j) {
            *pp = j->hnext;
            t->n--;
            return;
        }
}

void tf__jobs_deactivate_after(tf__jobs *t, tf__job *prev, tf__job *j)
{
    prev->next_act = j->next_act;
    if (t->act_tail == j) t->act_tail = prev;
    j->next_act = NULL;
}

void tf__jobs_deactivate(tf__jobs *t, tf__job *j)
{
    tf__job *prev = NULL;
    for (tf__job *x = t->act_head; x; prev = x, x = x->next_act) {
        if (x != j) continue;
        if (prev) {
            tf__jobs_deactivate_after(t, prev, j);
        } else {
            t->act_head = j->next_act;
            if (!t->act_head) t->act_tail = NULL;
            j->next_act = NULL;
        }
        return;
    }
}

void tf__jobs_reset(tf__jobs *t) { t->act_head = t->act_tail = NULL; }

void tf__jobs_free(tf__jobs *t)
{
    for (size_t i = 0; i < t->cap; i++)
        for (tf__job *x = t->slot[i], *nx; x; x = nx) {
            nx = x->hnext;
            tf__job_free(x);
        }
    tf__free(t->slot);
    *t = (tf__jobs){0};
}
