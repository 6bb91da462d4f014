/* results.c - tf_results: a finished map's outputs, looked up by index.
 * Main thread (the driver's, or whoever holds the object); no lock: the
 * object belongs to its holder alone. */
#include "api/results.h"

#include <stdlib.h>

#include "core/alloc.h"

struct tf_results {
    size_t n, failed;
    tf__recs recs; /* sorted on first lookup; lookups cache the last record */
    tf__rbuf **bufs;
    size_t nbufs;
};

int tf__results_from_job(tf__ctx *ctx, tf__job *j, tf_results **res)
{
    tf_results *r = tf__malloc(sizeof *r);
    if (!r) {
        tf__job_free(j);
        return tf__fail(ctx, TF_ENOMEM, "out of memory for results");
    }
    r->n = j->n;
    r->failed = j->failed;
    r->recs = j->recs;
    r->bufs = j->bufs;
    r->nbufs = j->nbufs;
    j->recs = (tf__recs){0};
    j->bufs = NULL;
    j->nbufs = 0;
    tf__job_free(j);
    *res = r;
    return 0;
}

size_t tf_results_count(const tf_results *r) { return r ? r->n : 0; }

/* Task i's status and output; the results object's lookup cache and the
 * offsets of a record with outputs of mixed lengths are filled on demand. */
static int results_at(const tf_results *r, size_t i, const char **p, size_t *len)
{
    tf__rec *rec = tf__recs_find((tf__recs *)&r->recs, i);
    if (!rec) return TF_EINVAL;
    int st = tf__rec_get(rec, (uint32_t)(i - rec->first), p, len);
    return *p ? st : TF_ENOMEM;
}

int tf_results_get(const tf_results *r, size_t i, const void **out, size_t *len)
{
    if (!r || i >= r->n) return TF_EINVAL;
    const char *p = NULL;
    size_t l = 0;
    int st = results_at(r, i, &p, &l);
    if (out) *out = st ? NULL : p;
    if (len) *len = st ? 0 : l;
    return st;
}

const char *tf_results_error(const tf_results *r, size_t i)
{
    if (!r || i >= r->n) return NULL;
    const char *p = NULL;
    size_t l;
    int st = results_at(r, i, &p, &l);
    return st && st != TF_ENOMEM && st != TF_EINVAL ? p : NULL;
}

size_t tf_results_failed(const tf_results *r) { return r ? r->failed : 0; }

void tf_results_free(tf_results **rp)
{
    if (!rp || !*rp) return;
    tf_results *r = *rp;
    for (size_t i = 0; i < r->nbufs; i++) tf__rbuf_unref(r->bufs[i]);
    tf__free(r->bufs);
    tf__recs_free(&r->recs);
    tf__free(r);
    *rp = NULL;
}
