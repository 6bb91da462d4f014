/* test_jobs.c - the job table: numbering, lookup, growth, the active list
 * and the buffers a job keeps. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/jobs.h"
#include "taskfarm.h"
#include "unit.h"

static tf__job *job(size_t n)
{
    tf__job *j = tf__job_new(TF__JOB_MAP, n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    return j;
}

/* The active list from its head, as ids, e.g. "1 3 4"; the list must end at
 * act_tail. */
static const char *active(const tf__jobs *t)
{
    static char s[256];
    size_t len = 0;
    s[0] = 0;
    const tf__job *last = NULL;
    for (const tf__job *x = t->act_head; x && len < sizeof s - 24; x = x->next_act) {
        len += (size_t)snprintf(s + len, sizeof s - len, len ? " %llu" : "%llu",
                                (unsigned long long)x->id);
        last = x;
    }
    CU_ASSERT_PTR_EQUAL(t->act_tail, last);
    return s;
}

static void test_new(void)
{
    tf__job *j = tf__job_new(TF__JOB_FUT, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(j);
    CU_ASSERT_EQUAL(j->kind, TF__JOB_FUT);
    CU_ASSERT_EQUAL(j->n, 1);
    CU_ASSERT_EQUAL(j->avoid, -1);
    CU_ASSERT_EQUAL(j->next, 0);
    CU_ASSERT_EQUAL(j->done, 0);
    CU_ASSERT_FALSE(tf__job_complete(j));
    j->done = 1;
    CU_ASSERT_TRUE(tf__job_complete(j));
    j->bulk_pending = 1; /* MPI still reads its input */
    CU_ASSERT_FALSE(tf__job_complete(j));
    tf__job_free(j);
    tf__job_free(NULL);
}

static void test_add_numbers(void)
{
    tf__jobs t = {0};
    tf__job *a = job(3), *empty = job(0), *b = job(5), *c = job(1);
    CU_ASSERT_EQUAL(tf__jobs_add(&t, a), 0);
    CU_ASSERT_EQUAL(tf__jobs_add(&t, empty), 0);
    CU_ASSERT_EQUAL(tf__jobs_add(&t, b), 0);
    CU_ASSERT_EQUAL(tf__jobs_add(&t, c), 0);
    /* ids from 1, every job numbered */
    CU_ASSERT_EQUAL(a->id, 1);
    CU_ASSERT_EQUAL(empty->id, 2);
    CU_ASSERT_EQUAL(b->id, 3);
    CU_ASSERT_EQUAL(c->id, 4);
    /* task ids follow on across jobs; an empty job takes none */
    CU_ASSERT_EQUAL(a->first_id, 0);
    CU_ASSERT_EQUAL(empty->first_id, 3);
    CU_ASSERT_EQUAL(b->first_id, 3);
    CU_ASSERT_EQUAL(c->first_id, 8);
    CU_ASSERT_EQUAL(t.next_task_id, 9);
    /* the empty job is done already: neither in the table nor active */
    CU_ASSERT_EQUAL(t.n, 3);
    CU_ASSERT_PTR_NULL(tf__jobs_find(&t, 2));
    CU_ASSERT_STRING_EQUAL(active(&t), "1 3 4");
    CU_ASSERT_PTR_EQUAL(tf__jobs_find(&t, 1), a);
    CU_ASSERT_PTR_EQUAL(tf__jobs_find(&t, 3), b);
    CU_ASSERT_PTR_EQUAL(tf__jobs_find(&t, 4), c);
    CU_ASSERT_PTR_NULL(tf__jobs_find(&t, 0));
    CU_ASSERT_PTR_NULL(tf__jobs_find(&t, 5));
    tf__job_free(empty);
    tf__jobs_free(&t); /* frees a, b and c */
    CU_ASSERT_EQUAL(t.cap, 0);
    CU_ASSERT_PTR_NULL(t.slot);
}

static void test_find_remove(void)
{
    tf__jobs t = {0};
    CU_ASSERT_PTR_NULL(tf__jobs_find(&t, 1)); /* no table yet */
    tf__job *v[5];
    for (int i = 0; i < 5; i++) {
        v[i] = job(2);
        CU_ASSERT_EQUAL(tf__jobs_add(&t, v[i]), 0);
    }
    tf__jobs_remove(&t, v[2]);
    CU_ASSERT_EQUAL(t.n, 4);
    CU_ASSERT_PTR_NULL(tf__jobs_find(&t, 3));
    for (int i = 0; i < 5; i++)
        if (i != 2) CU_ASSERT_PTR_EQUAL(tf__jobs_find(&t, v[i]->id), v[i]);
    tf__jobs_remove(&t, v[2]); /* not there: nothing changes */
    CU_ASSERT_EQUAL(t.n, 4);
    tf__jobs_remove(&t, v[0]);
    tf__jobs_remove(&t, v[4]);
    CU_ASSERT_EQUAL(t.n, 2);
    CU_ASSERT_PTR_NULL(tf__jobs_find(&t, 1));
    CU_ASSERT_PTR_NULL(tf__jobs_find(&t, 5));
    CU_ASSERT_PTR_EQUAL(tf__jobs_find(&t, 2), v[1]);
    CU_ASSERT_PTR_EQUAL(tf__jobs_find(&t, 4), v[3]);
    /* removal leaves the active list alone */
    CU_ASSERT_STRING_EQUAL(active(&t), "1 2 3 4 5");
    tf__jobs_reset(&t);
    CU_ASSERT_STRING_EQUAL(active(&t), "");
    CU_ASSERT_PTR_EQUAL(tf__jobs_find(&t, 2), v[1]); /* the table stays */
    tf__job_free(v[0]);
    tf__job_free(v[2]);
    tf__job_free(v[4]);
    tf__jobs_free(&t);
}

static void test_growth(void)
{
    enum { N = 700 };
    tf__jobs t = {0};
    tf__job **v = calloc(N, sizeof *v);
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    size_t cap0 = 0;
    for (size_t i = 0; i < N; i++) {
        v[i] = job(i % 3 + 1);
        CU_ASSERT_EQUAL_FATAL(tf__jobs_add(&t, v[i]), 0);
        if (i == 0) cap0 = t.cap;
    }
    CU_ASSERT(cap0 > 0);
    CU_ASSERT(t.cap > cap0);
    CU_ASSERT(t.cap >= N);
    CU_ASSERT_EQUAL(t.n, N);
    size_t found = 0, ids_ok = 0, first = 0;
    for (size_t i = 0; i < N; i++) {
        found += tf__jobs_find(&t, i + 1) == v[i];
        ids_ok += v[i]->first_id == first;
        first += v[i]->n;
    }
    CU_ASSERT_EQUAL(found, N);
    CU_ASSERT_EQUAL(ids_ok, N);
    /* every other one out: the rest still found */
    for (size_t i = 0; i < N; i += 2) tf__jobs_remove(&t, v[i]);
    CU_ASSERT_EQUAL(t.n, N / 2);
    found = 0;
    size_t gone = 0;
    for (size_t i = 0; i < N; i++) {
        if (i % 2)
            found += tf__jobs_find(&t, i + 1) == v[i];
        else
            gone += tf__jobs_find(&t, i + 1) == NULL;
    }
    CU_ASSERT_EQUAL(found, N / 2);
    CU_ASSERT_EQUAL(gone, N / 2);
    for (size_t i = 0; i < N; i += 2) tf__job_free(v[i]);
    tf__jobs_free(&t);
    free(v);
}

static void test_head_trims(void)
{
    tf__jobs t = {0};
    CU_ASSERT_PTR_NULL(tf__jobs_head(&t));
    tf__job *a = job(2), *b = job(2), *c = job(2);
    tf__jobs_add(&t, a);
    tf__jobs_add(&t, b);
    tf__jobs_add(&t, c);
    CU_ASSERT_PTR_EQUAL(tf__jobs_head(&t), a);
    a->next = 1; /* some left */
    CU_ASSERT_PTR_EQUAL(tf__jobs_head(&t), a);
    a->next = 2;
    b->next = 2;
    CU_ASSERT_PTR_EQUAL(tf__jobs_head(&t), c);
    CU_ASSERT_PTR_NULL(a->next_act);
    CU_ASSERT_PTR_NULL(b->next_act);
    CU_ASSERT_STRING_EQUAL(active(&t), "3");
    c->next = 2;
    CU_ASSERT_PTR_NULL(tf__jobs_head(&t));
    CU_ASSERT_PTR_NULL(t.act_tail);
    /* a job added to the empty list is its head and tail */
    tf__job *d = job(1);
    tf__jobs_add(&t, d);
    CU_ASSERT_PTR_EQUAL(tf__jobs_head(&t), d);
    CU_ASSERT_STRING_EQUAL(active(&t), "4");
    tf__jobs_free(&t);
}

static void test_jobs_for(void)
{
    tf__jobs t = {0};
    tf__job *a = job(2), *b = job(2), *c = job(2);
    tf__jobs_add(&t, a);
    tf__jobs_add(&t, b);
    tf__jobs_add(&t, c);
    a->avoid = 0;
    b->next = 2; /* nothing left, still on the list */
    tf__job *prev = (tf__job *)1;
    CU_ASSERT_PTR_EQUAL(tf__jobs_for(a, 1, &prev), a);
    CU_ASSERT_PTR_NULL(prev);
    CU_ASSERT_PTR_EQUAL(tf__jobs_for(a, 0, &prev), c);
    CU_ASSERT_PTR_EQUAL(prev, b);
    CU_ASSERT_PTR_EQUAL(tf__jobs_for(b, 1, &prev), c);
    CU_ASSERT_PTR_EQUAL(prev, b);
    c->avoid = 0;
    CU_ASSERT_PTR_NULL(tf__jobs_for(a, 0, &prev));
    CU_ASSERT_PTR_EQUAL(prev, c);
    CU_ASSERT_PTR_NULL(tf__jobs_for(NULL, 0, &prev));
    CU_ASSERT_PTR_NULL(prev);
    /* the rank with nothing to avoid takes c once a is used up */
    a->next = 2;
    CU_ASSERT_PTR_EQUAL(tf__jobs_for(a, 1, &prev), c);
    CU_ASSERT_PTR_EQUAL(prev, b);
    tf__jobs_free(&t);
}

static void test_deactivate(void)
{
    tf__jobs t = {0};
    tf__job *v[5];
    for (int i = 0; i < 5; i++) {
        v[i] = job(1);
        tf__jobs_add(&t, v[i]);
    }
    CU_ASSERT_STRING_EQUAL(active(&t), "1 2 3 4 5");
    tf__jobs_deactivate(&t, v[2]); /* middle */
    CU_ASSERT_STRING_EQUAL(active(&t), "1 2 4 5");
    CU_ASSERT_PTR_NULL(v[2]->next_act);
    tf__jobs_deactivate(&t, v[4]); /* tail */
    CU_ASSERT_STRING_EQUAL(active(&t), "1 2 4");
    tf__jobs_deactivate(&t, v[0]); /* head */
    CU_ASSERT_STRING_EQUAL(active(&t), "2 4");
    tf__jobs_deactivate(&t, v[0]); /* not on the list: nothing changes */
    CU_ASSERT_STRING_EQUAL(active(&t), "2 4");
    /* a new job goes after the new tail */
    tf__job *f = job(1);
    tf__jobs_add(&t, f);
    CU_ASSERT_STRING_EQUAL(active(&t), "2 4 6");
    tf__jobs_deactivate_after(&t, v[3], f); /* the tail, after its prev */
    CU_ASSERT_STRING_EQUAL(active(&t), "2 4");
    tf__jobs_deactivate_after(&t, v[1], v[3]);
    CU_ASSERT_STRING_EQUAL(active(&t), "2");
    tf__jobs_deactivate(&t, v[1]); /* the only one */
    CU_ASSERT_STRING_EQUAL(active(&t), "");
    CU_ASSERT_PTR_NULL(t.act_head);
    tf__jobs_free(&t);
}

static void test_keep(void)
{
    tf__job *j = job(4);
    tf__rbuf *a = tf__rbuf_new(8), *b = tf__rbuf_new(8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(tf__job_keep(j, a), 0);
    CU_ASSERT_EQUAL(tf__job_keep(j, a), 0); /* the same buffer again: kept once */
    CU_ASSERT_EQUAL(j->nbufs, 1);
    CU_ASSERT_EQUAL(atomic_load(&a->ref), 2);
    CU_ASSERT_EQUAL(tf__job_keep(j, b), 0);
    CU_ASSERT_EQUAL(tf__job_keep(j, a), 0); /* not the last one: kept again */
    CU_ASSERT_EQUAL(j->nbufs, 3);
    CU_ASSERT_EQUAL(atomic_load(&a->ref), 3);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 2);
    /* past the first room */
    for (int i = 0; i < 20; i++) {
        CU_ASSERT_EQUAL(tf__job_keep(j, i % 2 ? a : b), 0);
        CU_ASSERT_EQUAL(tf__job_keep(j, i % 2 ? a : b), 0);
    }
    CU_ASSERT_EQUAL(j->nbufs, 23);
    CU_ASSERT_EQUAL(atomic_load(&a->ref), 13);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 12);
    tf__job_free(j); /* drops its references */
    CU_ASSERT_EQUAL(atomic_load(&a->ref), 1);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 1);
    tf__rbuf_unref(a);
    tf__rbuf_unref(b);
}

static const unit_test tests[] = {
    UNIT_TEST(test_new),        UNIT_TEST(test_add_numbers), UNIT_TEST(test_find_remove),
    UNIT_TEST(test_growth),     UNIT_TEST(test_head_trims),  UNIT_TEST(test_jobs_for),
    UNIT_TEST(test_deactivate), UNIT_TEST(test_keep),
};
UNIT_MAIN("jobs", tests)
