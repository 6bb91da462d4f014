/* jobs.h - the job table: rank 0's jobs by id, and the list of jobs with
 * tasks not yet assigned. Pure: no MPI, no threads; the coordinator calls
 * it under its lock.
 *
 * A job is n tasks of one task function: a map (tf_map and its kin), or one
 * future (tf_submit). Its results arrive as records (recs.h) in any order;
 * a job whose results go to an ordered output (tf_map_to) hands them to its
 * sink instead of keeping them. */
#ifndef TF_JOBS_H
#define TF_JOBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/recs.h"

enum { TF__JOB_MAP = 1, TF__JOB_MAPU, TF__JOB_FUT };

/* Where a job's results go when not into its records: the ordered output's
 * writer, installed by the driver (the coordinator never names the output).
 * Both are called by the coordinator under its lock. */
typedef struct tf__sink {
    /* the result of map position pos (absolute); failed: data is the
     * message, and the position is skipped in the file */
    void (*put)(void *arg, uint64_t pos, const void *data, size_t len, bool failed);
    /* tasks of the job whose position 0 is base may be handed out below
     * this index: the output holds back a bounded amount */
    uint64_t (*limit)(void *arg, uint64_t base);
} tf__sink;

typedef struct tf__job {
    uint64_t id;
    int kind;
    uint32_t gid;    /* the coordinator's number of its task function */
    uint32_t layout; /* TF__FIXED or TF__VECTOR (queue.h) */
    const char *in;  /* FIXED: n inputs of elem bytes */
    size_t elem;
    const void *const *vin; /* VECTOR: input i is vlen[i] bytes at vin[i] */
    const size_t *vlen;
    size_t n;          /* tasks */
    size_t next;       /* the first task not yet assigned */
    size_t done;       /* tasks whose result is in */
    size_t failed;     /* of them, failed */
    uint64_t first_id; /* the task id of task 0; the rest follow */
    tf__recs recs;     /* the results, as records in arrival order */
    size_t ndelivered; /* MAPU: records handed to the callback */
    tf__rbuf **bufs;   /* the message buffers the records point into */
    size_t nbufs, capbufs;
    int avoid;            /* a rank that must not run its tasks, or -1 */
    bool files;           /* inputs are paths of files (tf_map_files) */
    void *own;            /* freed with the job (a copied input) */
    size_t *own_lens;     /* freed with the job (tf_map_files' lengths) */
    const tf__sink *sink; /* non-NULL: results go there, not into recs */
    void *sink_arg;
    uint64_t out_base;     /* the output position of task 0 */
    char *out_err;         /* the first failure's message (sink jobs) */
    bool released;         /* FUT: the driver dropped its future */
    unsigned bulk_pending; /* sends straight from its inputs not yet complete */
    struct tf__job *next_act, *hnext;
} tf__job;

/* A new job of n tasks of `kind`, nothing else set (avoid = -1); NULL
 * without memory. */
tf__job *tf__job_new(int kind, size_t n);
void tf__job_free(tf__job *j); /* NULL is fine */
/* Keeps rb alive as long as the job (its records point into it). 0 or
 * TF_ENOMEM. */
int tf__job_keep(tf__job *j, tf__rbuf *rb);
/* Every result is in and MPI is done with the job's inputs. */
static inline bool tf__job_complete(const tf__job *j)
{
    return j->done == j->n && j->bulk_pending == 0;
}

typedef struct tf__jobs {
    tf__job **slot; /* open hashing by id: jobs not finished */
    size_t cap, n;
    tf__job *act_head, *act_tail; /* jobs with tasks not yet assigned */
    uint64_t last_id;             /* ids count from 1 */
    uint64_t next_task_id;        /* the id the next job's task 0 gets */
} tf__jobs;

/* Inline: the coordinator calls the two lookups of the active list once per
 * chunk it assigns. */

/* Numbers job j (id, first_id) and, when it has tasks, adds it to the table
 * and at the end of the active list. 0 or TF_ENOMEM (then nothing changed
 * but the numbering). */
int tf__jobs_add(tf__jobs *t, tf__job *j);
tf__job *tf__jobs_find(const tf__jobs *t, uint64_t id);
/* Takes j out of the table (its results are all in); it stays on the active
 * list only if it was there, which a finished job never is. */
void tf__jobs_remove(tf__jobs *t, tf__job *j);
/* The first active job, after dropping from the head those with nothing
 * left to assign. */
static inline tf__job *tf__jobs_head(tf__jobs *t)
{
    while (t->act_head && t->act_head->next >= t->act_head->n) {
        tf__job *j = t->act_head;
        t->act_head = j->next_act;
        j->next_act = NULL;
        if (!t->act_head) t->act_tail = NULL;
    }
    return t->act_head;
}
/* The first job from j on with tasks left that `rank` may run (jobs that
 * avoid it are passed over); *prev is the job before it on the list, NULL
 * when it is j. */
static inline tf__job *tf__jobs_for(tf__job *j, int rank, tf__job **prev)
{
    *prev = NULL;
    while (j && (j->avoid == rank || j->next >= j->n)) {
        *prev = j;
        j = j->next_act;
    }
    return j;
}
/* Takes j off the active list, wherever it is. */
void tf__jobs_deactivate(tf__jobs *t, tf__job *j);
/* j (after prev) has no task left to assign: off the list at once, so that
 * it may finish and be freed before the head moves on. */
void tf__jobs_deactivate_after(tf__jobs *t, tf__job *prev, tf__job *j);
/* Start of a run: no active job. The table keeps jobs a driver still holds
 * (a future not yet released). */
void tf__jobs_reset(tf__jobs *t);
/* Frees every job still in the table, and the table. */
void tf__jobs_free(tf__jobs *t);

#endif
