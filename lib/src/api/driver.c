/* driver.c - the driver's calls (tf_map, tf_submit, tf_wait, ...) and the
 * results they return.
 *
 * Runs on rank 0's main thread, inside the driver. Jobs are made here,
 * started through the coordinator's job calls (role/coord.h) and read under
 * its lock; while a call waits, the thread runs tasks (its worker), so rank
 * 0 is a worker too. Callbacks run on this thread without any lock held. */
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "api/output_api.h"
#include "api/pool_parts.h"
#include "api/results.h"
#include "core/alloc.h"
#include "core/jobs.h"
#include "core/msg.h"
#include "system/output.h"
#include "api/trace.h"

struct tf_future {
    tf_pool *pool;
    tf__job *job;
};

/* Runs spawned-result callbacks queued for the driver. */
static void deliver_spawned(tf_pool *p)
{
    if (!p->spawn_cb) return;
    for (;;) { /* take the whole list, deliver it in arrival order */
        tf__delivery *dl;
        size_t n = tf__coord_take_spawned(p->co, &dl);
        if (n == 0) {
            tf__free(dl);
            return;
        }
        for (size_t i = 0; i < n; i++) {
            tf__delivery *d = &dl[i];
            p->spawn_cb(p->spawn_arg, (size_t)d->id, d->status, d->status ? NULL : d->p,
                        d->status ? 0 : d->len, d->status ? d->p : NULL);
            tf__rbuf_unref(d->owner);
        }
        tf__free(dl);
    }
}

/* The longest a waiting main thread sleeps before it looks again by itself:
 * every change it waits for wakes it, so this only bounds the cost of a
 * wake that went astray. */
#define TF__MAIN_WAIT_NS 100000000u

typedef bool (*cond_fn)(tf_pool *p, void *arg); /* called with the coordinator's lock held */

/* The main thread's wait for work: blocks on main_w, counted as idle time
 * and shown in the timeline. */
static void wait_for_work(tf_pool *p)
{
    uint64_t spin = (uint64_t)p->opts.spin_us * 1000u;
    uint64_t t0 = tf__now_ns();
    tf__waiter_wait(&p->main_w, p->opts.wait, spin, TF__MAIN_WAIT_NS);
    uint64_t t1 = tf__now_ns();
    p->worker.st.idle_s += (double)(t1 - t0) * 1e-9;
    if (p->trace) tf__trace_span(p->trace, TF__TR_MAIN, TF__TR_WAIT_WORK, t0, t1, 0);
}

/* Main thread, rank 0: runs tasks until cond holds. The condition is
 * looked at (under the coordinator's lock) only when the coordinator has
 * changed something since the last look, so running tasks costs no lock
 * traffic. */
static void drive_until(tf_pool *p, cond_fn cond, void *arg)
{
    unsigned seen = tf__coord_version(p->co) - 1;
    for (;;) {
        unsigned v = tf__coord_version(p->co);
        if (v != seen) {
            seen = v;
            deliver_spawned(p);
            tf__coord_lock(p->co);
            bool ok = cond(p, arg);
            tf__coord_unlock(p->co);
            if (ok) return;
        }
        if (tf__worker_exec(&p->worker)) continue;
        tf__worker_idle(&p->worker);
        wait_for_work(p);
        seen = v - 1; /* look again after any wait */
    }
}

void tf__work_until_done(tf_pool *p)
{
    while (!tf__service_run_done(&p->svc)) {
        if (tf__worker_exec(&p->worker)) continue;
        tf__worker_idle(&p->worker);
        wait_for_work(p);
    }
}

/* Every result is in and MPI is done with the job's inputs. */
static bool job_complete(tf_pool *p, void *arg)
{
    (void)p;
    return tf__job_complete(arg);
}

/* TF_ESTATE for call `who` made where it is not allowed, with a message
 * that says where the caller was: in a task, outside any run, or on
 * another rank than 0 (tf__fail names the rank). from_task_ok: the call
 * is allowed in rank 0's tasks while the driver waits. */
static int not_here(tf_pool *p, const char *who, bool from_task_ok)
{
    if (p->worker.in_task && from_task_ok)
        return tf__fail(&p->ctx, TF_ESTATE,
                        "%s inside a task: only rank 0's tasks may call it, while its driver "
                        "waits",
                        who);
    if (p->worker.in_task)
        return tf__fail(&p->ctx, TF_ESTATE,
                        "%s inside a task: a driver call, for rank 0's driver only", who);
    if (!p->in_run)
        return tf__fail(&p->ctx, TF_ESTATE,
                        "%s outside tf_run: a driver call, for rank 0's driver inside tf_run", who);
    if (!p->co)
        return tf__fail(&p->ctx, TF_ESTATE, "%s on a rank other than 0: a driver call", who);
    return tf__fail(&p->ctx, TF_ESTATE, "%s after the driver returned: a driver call", who);
}

/* A new job of n tasks of fn, checked: the caller must be the driver (a
 * future may also be submitted by rank 0's tasks while the driver waits:
 * it waits for nobody); the caller fills the input fields. who: the call,
 * for the messages. */
static int job_new(tf_pool *p, const char *who, int kind, bool from_task_ok, const char *fn,
                   size_t n, tf__job **out)
{
    if (!p) return TF_ESTATE;
    bool ok = from_task_ok ? p->co && p->in_driver : tf__driving(p);
    if (!ok) return not_here(p, who, from_task_ok);
    if (!tf__name_ok(fn)) return tf__fail(&p->ctx, TF_EINVAL, "bad task function name");
    /* rank 0 stands for every rank (all register the same names): a name
     * it lacks is a mistake in the program, better said once now than as
     * n failed tasks */
    long idx = tf__reg_find(&p->reg, fn);
    if (idx < 0 || !p->reg.v[idx].fn)
        return tf__fail(&p->ctx, TF_ENOFUNC, "%s: no task function '%s' is registered", who, fn);
    tf__job *j = tf__job_new(kind, n);
    if (!j) return tf__fail(&p->ctx, TF_ENOMEM, "out of memory for a job of %zu tasks", n);
    *out = j;
    return 0;
}

/* Makes job j visible to the service thread; frees nothing on error. */
static int job_start(tf_pool *p, tf__job *j, const char *fn)
{
    int rc = tf__coord_start(p->co, j, fn);
    return rc < 0 ? tf__fail(&p->ctx, rc, "out of memory starting a job") : 0;
}

static int map_common(tf_pool *p, tf__job *j, const char *fn, tf_results **res)
{
    int rc = job_start(p, j, fn);
    if (rc < 0) {
        tf__job_free(j);
        return rc;
    }
    drive_until(p, job_complete, j);
    TF_CHECK(tf__results_from_job(&p->ctx, j, res));
    size_t nf = tf_results_failed(*res);
    if (!nf) return 0;
    const char *first = NULL;
    for (size_t i = 0; !first && i < tf_results_count(*res); i++) first = tf_results_error(*res, i);
    return tf__fail(&p->ctx, TF_ETASK, "%zu of %zu tasks failed; the first: %s", nf,
                    tf_results_count(*res), first ? first : "?");
}

/* A job of n inputs of elem_size bytes each at `in`; `ok`: the caller's
 * own arguments are there. Errors as the map calls say, named after `who`. */
static int fixed_job(tf_pool *p, const char *who, int kind, const char *fn, const void *in,
                     size_t elem_size, size_t n, bool ok, tf__job **out)
{
    if (!ok || (n && elem_size && !in))
        return p ? tf__fail(&p->ctx, TF_EINVAL, "%s: NULL argument", who) : TF_EINVAL;
    if (!p) return TF_ESTATE;
    if (elem_size > TF__MAX_MSG)
        return tf__fail(&p->ctx, TF_ETOOBIG, "%s: inputs of %zu bytes (at most %zu)", who,
                        elem_size, TF__MAX_MSG);
    /* no object is larger than PTRDIFF_MAX: such a count is a mistake, and
     * the coordinator's in + i * elem_size would point anywhere */
    if (elem_size && n > (size_t)PTRDIFF_MAX / elem_size)
        return tf__fail(&p->ctx, TF_ETOOBIG,
                        "%s: %zu inputs of %zu bytes are more than memory can hold", who, n,
                        elem_size);
    tf__job *j;
    TF_CHECK(job_new(p, who, kind, false, fn, n, &j));
    j->layout = TF__FIXED;
    j->in = in ? in : "";
    j->elem = elem_size;
    *out = j;
    return 0;
}

int tf_map(tf_pool *p, const char *fn, const void *in, size_t elem_size, size_t n, tf_results **res)
{
    if (res) *res = NULL;
    tf__job *j = NULL;
    TF_CHECK(fixed_job(p, "tf_map", TF__JOB_MAP, fn, in, elem_size, n, res != NULL, &j));
    return map_common(p, j, fn, res);
}

int tf_mapv(tf_pool *p, const char *fn, const void *const *in, const size_t *len, size_t n,
            tf_results **res)
{
    if (!res || (n && (!in || !len)))
        return p ? tf__fail(&p->ctx, TF_EINVAL, "tf_mapv: NULL argument") : TF_EINVAL;
    *res = NULL;
    for (size_t i = 0; i < n; i++) {
        if (len[i] && !in[i]) return tf__fail(&p->ctx, TF_EINVAL, "tf_mapv: input %zu is NULL", i);
        if (len[i] > TF__MAX_MSG)
            return tf__fail(&p->ctx, TF_ETOOBIG, "tf_mapv: input %zu has %zu bytes (at most %zu)",
                            i, len[i], TF__MAX_MSG);
    }
    tf__job *j;
    TF_CHECK(job_new(p, "tf_mapv", TF__JOB_MAP, false, fn, n, &j));
    j->layout = TF__VECTOR;
    j->vin = in;
    j->vlen = len;
    return map_common(p, j, fn, res);
}

/* The lengths of n paths, checked; NULL (with the error set) if one is bad. */
static size_t *path_lens(tf_pool *p, const char *who, const char *const *paths, size_t n, int *rc)
{
    size_t *lens = tf__malloc((n ? n : 1) * sizeof *lens);
    if (!lens) {
        *rc = tf__fail(&p->ctx, TF_ENOMEM, "%s: out of memory", who);
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        size_t l = paths[i] ? strlen(paths[i]) : 0;
        if (l == 0 || l >= PATH_MAX) {
            *rc = tf__fail(&p->ctx, TF_EINVAL, "%s: path %zu is %s", who, i,
                           !paths[i] ? "NULL"
                           : l       ? "too long"
                                     : "empty");
            tf__free(lens);
            return NULL;
        }
        lens[i] = l;
    }
    return lens;
}

/* A job over files: task i reads paths[i]. */
static int files_job(tf_pool *p, const char *who, int kind, const char *fn,
                     const char *const *paths, size_t n, tf__job **out)
{
    if (n && !paths) return p ? tf__fail(&p->ctx, TF_EINVAL, "%s: NULL argument", who) : TF_EINVAL;
    tf__job *j;
    TF_CHECK(job_new(p, who, kind, false, fn, n, &j));
    int rc = 0;
    size_t *lens = path_lens(p, who, paths, n, &rc);
    if (!lens) {
        tf__job_free(j);
        return rc;
    }
    j->layout = TF__VECTOR;
    j->vin = (const void *const *)paths;
    j->vlen = lens;
    j->own_lens = lens;
    j->files = true;
    *out = j;
    return 0;
}

int tf_map_files(tf_pool *p, const char *fn, const char *const *paths, size_t n, tf_results **res)
{
    if (!res) return p ? tf__fail(&p->ctx, TF_EINVAL, "tf_map_files: NULL argument") : TF_EINVAL;
    *res = NULL;
    tf__job *j = NULL;
    TF_CHECK(files_job(p, "tf_map_files", TF__JOB_MAP, fn, paths, n, &j));
    return map_common(p, j, fn, res);
}

/* The ordered output as a job's sink (core/jobs.h). */
static void sink_put(void *arg, uint64_t pos, const void *data, size_t len, bool failed)
{
    tf__out_put(arg, pos, data, len, failed);
}

static uint64_t sink_limit(void *arg, uint64_t base) { return tf__out_limit(arg, base); }

static const tf__sink out_sink = {sink_put, sink_limit};

/* tf_map_to and tf_map_files_to: the job's results go to o. */
static int map_to_common(tf_pool *p, tf__job *j, const char *fn, tf_output *o, size_t *failed)
{
    int rc = 0;
    uint64_t base = tf__out_take(o, j->n, &rc);
    if (rc < 0) {
        tf__job_free(j);
        if (rc == TF_EINVAL)
            return tf__fail(&p->ctx, rc,
                            "map to an ordered output: position %llu is not written yet",
                            (unsigned long long)base);
        return tf__fail(&p->ctx, rc, "out of memory");
    }
    j->sink = &out_sink;
    j->sink_arg = o;
    j->out_base = base;
    rc = job_start(p, j, fn);
    if (rc < 0) {
        tf__out_untake(o, base, false);
        tf__job_free(j);
        return rc;
    }
    drive_until(p, job_complete, j);
    tf__out_untake(o, base, true);
    size_t n = j->n, nf = j->failed;
    if (failed) *failed = nf;
    rc = tf__out_finish(o);
    if (rc == 0 && nf)
        rc = tf__fail(&p->ctx, TF_ETASK, "%zu of %zu tasks failed; the first: %s", nf, n,
                      j->out_err ? j->out_err : "?");
    tf__job_free(j);
    return rc;
}

int tf_map_to(tf_pool *p, const char *fn, const void *in, size_t elem_size, size_t n, tf_output *o,
              size_t *failed)
{
    if (failed) *failed = 0;
    if (o && tf__out_pool(o) != p)
        return tf__fail(&p->ctx, TF_EINVAL, "tf_map_to: output of another pool");
    tf__job *j = NULL;
    TF_CHECK(fixed_job(p, "tf_map_to", TF__JOB_MAP, fn, in, elem_size, n, o != NULL, &j));
    return map_to_common(p, j, fn, o, failed);
}

int tf_map_files_to(tf_pool *p, const char *fn, const char *const *paths, size_t n, tf_output *o,
                    size_t *failed)
{
    if (failed) *failed = 0;
    if (!o) return p ? tf__fail(&p->ctx, TF_EINVAL, "tf_map_files_to: NULL argument") : TF_EINVAL;
    if (tf__out_pool(o) != p)
        return tf__fail(&p->ctx, TF_EINVAL, "tf_map_files_to: output of another pool");
    tf__job *j = NULL;
    TF_CHECK(files_job(p, "tf_map_files_to", TF__JOB_MAP, fn, paths, n, &j));
    return map_to_common(p, j, fn, o, failed);
}

typedef struct mapu_state {
    tf__job *j;
    tf__rec *take; /* copies of the records not yet handed over */
    size_t ntake, captake;
    bool oom;
} mapu_state;

/* coord.lock held: copies the newly arrived records (the job's array may
 * move when the coordinator adds more) for delivery without the lock. */
static bool mapu_ready(tf_pool *p, void *arg)
{
    mapu_state *s = arg;
    tf__job *j = s->j;
    size_t n = j->recs.n - j->ndelivered;
    if (n > s->captake) {
        tf__rec *v = tf__realloc(s->take, n * sizeof *v);
        if (!v) {
            s->oom = true;
            return true;
        }
        s->take = v;
        s->captake = n;
    }
    if (n) memcpy(s->take, j->recs.v + j->ndelivered, n * sizeof *s->take);
    s->ntake = n;
    j->ndelivered = j->recs.n;
    return n > 0 || j->done == j->n;
}

int tf_map_unordered(tf_pool *p, const char *fn, const void *in, size_t elem_size, size_t n,
                     tf_result_cb cb, void *arg)
{
    tf__job *j = NULL;
    TF_CHECK(fixed_job(p, "tf_map_unordered", TF__JOB_MAPU, fn, in, elem_size, n, cb != NULL, &j));
    int rc = job_start(p, j, fn);
    if (rc < 0) {
        tf__job_free(j);
        return rc;
    }
    mapu_state s = {j, NULL, 0, 0, false};
    size_t delivered = 0;
    char first[256] = "";
    while (delivered < n && !s.oom) {
        drive_until(p, mapu_ready, &s);
        for (size_t r = 0; r < s.ntake && !s.oom; r++) {
            tf__rec *rec = &s.take[r];
            for (uint32_t k = 0; k < rec->count; k++) {
                const char *out;
                size_t len;
                int st = tf__rec_get(rec, k, &out, &len);
                if (!out) {
                    s.oom = true;
                    break;
                }
                if (st && !first[0]) snprintf(first, sizeof first, "%s", out);
                if (st)
                    cb(arg, rec->first + k, st, NULL, 0, out);
                else
                    cb(arg, rec->first + k, 0, out, len, NULL);
            }
            tf__free(rec->offs);
            delivered += rec->count;
        }
        s.ntake = 0;
    }
    drive_until(p, job_complete, j); /* MPI may still be sending from its inputs */
    tf__free(s.take);
    size_t failed = j->failed;
    tf__job_free(j);
    if (s.oom) return tf__fail(&p->ctx, TF_ENOMEM, "out of memory delivering results");
    if (failed)
        return tf__fail(&p->ctx, TF_ETASK, "%zu of %zu tasks failed; the first: %s", failed, n,
                        first[0] ? first : "?");
    return 0;
}

int tf_submit(tf_pool *p, const char *fn, const void *in, size_t len, tf_future **f)
{
    return tf_submit_ex(p, fn, in, len, NULL, f);
}

static int submit(tf_pool *p, const char *fn, const void *in, size_t len, const tf_submit_opts *o,
                  char *path, tf_future **f);

int tf_submit_ex(tf_pool *p, const char *fn, const void *in, size_t len, const tf_submit_opts *o,
                 tf_future **f)
{
    return submit(p, fn, in, len, o, NULL, f);
}

int tf_submit_file(tf_pool *p, const char *fn, const char *path, tf_future **f)
{
    if (!f || !path)
        return p ? tf__fail(&p->ctx, TF_EINVAL, "tf_submit_file: NULL argument") : TF_EINVAL;
    *f = NULL;
    if (!*path || strlen(path) >= PATH_MAX)
        return p ? tf__fail(&p->ctx, TF_EINVAL, "tf_submit_file: empty or too long path")
                 : TF_EINVAL;
    char *copy = tf__strdup(path);
    if (!copy) return p ? tf__fail(&p->ctx, TF_ENOMEM, "out of memory") : TF_ENOMEM;
    return submit(p, fn, copy, strlen(copy), NULL, copy, f);
}

/* path: a file job; its input is the path, owned by the job from here on
 * (freed here on error) */
static int submit(tf_pool *p, const char *fn, const void *in, size_t len, const tf_submit_opts *o,
                  char *path, tf_future **f)
{
    int rc = 0;
    if (!f || (len && !in))
        rc = p ? tf__fail(&p->ctx, TF_EINVAL, "tf_submit: NULL argument") : TF_EINVAL;
    else if (len > TF__MAX_MSG)
        rc = p ? tf__fail(&p->ctx, TF_ETOOBIG, "tf_submit: input of %zu bytes (at most %zu)", len,
                          TF__MAX_MSG)
               : TF_ETOOBIG;
    else if (o && ((o->flags & ~(unsigned)TF_SUBMIT_AVOID) ||
                   ((o->flags & TF_SUBMIT_AVOID) && (!p || o->rank < 0 || o->rank >= p->size))))
        rc = p ? tf__fail(&p->ctx, TF_EINVAL, "tf_submit_ex: bad flags or rank") : TF_EINVAL;
    if (f) *f = NULL;
    tf_future *fu = rc ? NULL : tf__malloc(sizeof *fu);
    if (!rc && !fu) rc = p ? tf__fail(&p->ctx, TF_ENOMEM, "out of memory") : TF_ENOMEM;
    tf__job *j = NULL;
    if (!rc) rc = job_new(p, path ? "tf_submit_file" : "tf_submit", TF__JOB_FUT, true, fn, 1, &j);
    if (rc < 0) {
        tf__free(fu);
        tf__free(path);
        return rc;
    }
    j->layout = TF__FIXED;
    j->in = in ? in : "";
    j->elem = len;
    j->own = path;
    j->files = path != NULL;
    if (o && (o->flags & TF_SUBMIT_AVOID) && p->size > 1) j->avoid = o->rank;
    rc = job_start(p, j, fn);
    if (rc < 0) {
        tf__job_free(j);
        tf__free(fu);
        return rc;
    }
    fu->pool = p;
    fu->job = j;
    *f = fu;
    return 0;
}

static bool fut_done(const tf_future *f) { return job_complete(f->pool, f->job); }

/* A done future's status and output (or message); its one record holds one
 * task, so no memory is needed to look it up. */
static int fut_get(const tf_future *f, const char **out, size_t *len)
{
    return tf__rec_get(&f->job->recs.v[0], 0, out, len);
}

int tf_wait(tf_future *f)
{
    if (!f) return TF_EINVAL;
    tf_pool *p = f->pool;
    tf__coord_lock(p->co);
    bool d = fut_done(f);
    tf__coord_unlock(p->co);
    if (!d) {
        if (!tf__driving(p)) return not_here(p, "tf_wait on an unfinished task", false);
        drive_until(p, job_complete, f->job);
    }
    const char *o;
    size_t l;
    return fut_get(f, &o, &l);
}

typedef struct any_state {
    tf_future *const *fs;
    size_t n, idx;
    uint64_t deadline_ns; /* 0: none */
    bool timed_out;
} any_state;

static bool any_done(tf_pool *p, void *arg)
{
    any_state *s = arg;
    for (size_t i = 0; i < s->n; i++)
        if (s->fs[i] && fut_done(s->fs[i])) {
            s->idx = i;
            return true;
        }
    if (s->deadline_ns && tf__now_ns() >= s->deadline_ns) return s->timed_out = true;
    return false;
}

int tf_wait_any(tf_future *const *fs, size_t n, size_t *idx)
{
    return tf_wait_any_timeout(fs, n, -1, idx);
}

int tf_wait_any_timeout(tf_future *const *fs, size_t n, double timeout_s, size_t *idx)
{
    if (!fs || !idx) return TF_EINVAL;
    tf_pool *p = NULL;
    for (size_t i = 0; i < n && !p; i++)
        if (fs[i]) p = fs[i]->pool;
    if (!p) return TF_EINVAL;
    any_state s = {fs, n, 0, 0, false};
    if (timeout_s >= 0)
        s.deadline_ns = tf__now_ns() + (uint64_t)(timeout_s < 1e6 ? timeout_s * 1e9 : 1e15) + 1;
    tf__coord_lock(p->co);
    bool d = any_done(p, &s);
    tf__coord_unlock(p->co);
    if (!d) {
        if (!tf__driving(p)) return not_here(p, "tf_wait_any on unfinished tasks", false);
        drive_until(p, any_done, &s);
    }
    if (s.timed_out) return TF_EBUSY;
    *idx = s.idx;
    const char *o;
    size_t l;
    return fut_get(fs[s.idx], &o, &l);
}

int tf_future_result(const tf_future *f, const void **out, size_t *len)
{
    if (!f) return TF_EINVAL;
    tf_pool *p = f->pool;
    tf__coord_lock(p->co);
    bool d = fut_done(f);
    tf__coord_unlock(p->co);
    if (!d) return TF_EBUSY;
    const char *o;
    size_t l;
    int st = fut_get(f, &o, &l);
    if (out) *out = st ? NULL : o;
    if (len) *len = st ? 0 : l;
    return st;
}

const char *tf_future_error(const tf_future *f)
{
    if (!f) return NULL;
    tf__coord_lock(f->pool->co);
    bool d = fut_done(f);
    tf__coord_unlock(f->pool->co);
    if (!d) return NULL;
    const char *o;
    size_t l;
    return fut_get(f, &o, &l) ? o : NULL;
}

int tf_future_cancel(tf_future *f)
{
    if (!f) return TF_EINVAL;
    tf_pool *p = f->pool;
    if (!p->co || !p->in_driver) return not_here(p, "tf_future_cancel", true);
    int rc = tf__coord_cancel(p->co, f->job);
    return rc == TF_ENOMEM ? tf__fail(&p->ctx, rc, "out of memory canceling a task") : rc;
}

uint64_t tf_future_id(const tf_future *f) { return f ? f->job->first_id : 0; }

void tf_future_release(tf_future **fp)
{
    if (!fp || !*fp) return;
    tf_future *f = *fp;
    tf__coord_release(f->pool->co, f->job);
    tf__free(f);
    *fp = NULL;
}

static bool all_done(tf_pool *p, void *arg)
{
    (void)arg;
    return tf__coord_quiet_locked(p->co);
}

int tf_wait_all(tf_pool *p)
{
    if (!p) return TF_ESTATE;
    if (!tf__driving(p)) return not_here(p, "tf_wait_all", false);
    drive_until(p, all_done, NULL);
    deliver_spawned(p);
    char msg[TF__ERRMSG_MAX];
    uint64_t failed = tf__coord_take_spawn_failures(p->co, msg);
    if (failed)
        return tf__fail(&p->ctx, TF_ETASK, "%llu spawned task(s) failed, the first: %s",
                        (unsigned long long)failed, msg);
    return 0;
}

void tf__driver_finish(tf_pool *p, int rv)
{
    drive_until(p, all_done, NULL);
    deliver_spawned(p);
    tf__coord_finish(p->co, rv);
}

int tf_pool_on_spawn_result(tf_pool *p, tf_result_cb cb, void *arg)
{
    if (!p) return TF_EINVAL;
    if (p->in_run) return tf__fail(&p->ctx, TF_ESTATE, "tf_pool_on_spawn_result inside tf_run");
    p->spawn_cb = cb;
    p->spawn_arg = arg;
    return 0;
}

int tf_map_to_resume(tf_pool *p, const char *fn, const void *in, size_t elem_size, size_t n,
                     const char *path, const tf_output_opts *opts, tf_resume_mode mode,
                     tf_resume_info *info)
{
    if (info) *info = (tf_resume_info){0};
    if (p && path && !*path) return tf__fail(&p->ctx, TF_EINVAL, "tf_map_to_resume: empty path");
    if (p && (mode < TF_RESUME_OR_START || mode > TF_RESUME_START))
        return tf__fail(&p->ctx, TF_EINVAL, "tf_map_to_resume: bad mode %d", (int)mode);
    tf__job *j = NULL;
    TF_CHECK(fixed_job(p, "tf_map_to_resume", TF__JOB_MAP, fn, in, elem_size, n, path != NULL, &j));
    /* the index remembers what the file was made for: a rerun with other
     * arguments would mix two maps' records in one file */
    tf__out_ident id = {
        .n = n, .elem_size = elem_size, .in_sum = tf__out_sum(j->in, n * elem_size)};
    snprintf(id.fn, sizeof id.fn, "%s", fn);
    tf_output *o = NULL;
    uint64_t done = 0, failed_before = 0;
    int rc = tf__output_open_resume(p, path, opts, &id, mode, &done, &failed_before, &o);
    if (rc < 0) {
        tf__job_free(j);
        return rc;
    }
    /* only the positions the file lacks: they follow the ones it holds */
    j->in = (const char *)j->in + done * elem_size;
    j->n = n - (size_t)done;
    size_t ran = j->n, nf = 0;
    rc = map_to_common(p, j, fn, o, &nf);
    int crc = tf__out_close(o);
    if (crc < 0 && (rc == 0 || rc == TF_ETASK)) rc = crc;
    if (info) *info = (tf_resume_info){done, failed_before, ran, nf};
    if (rc == 0 && failed_before)
        rc = tf__fail(&p->ctx, TF_ETASK,
                      "output '%s': %llu of %zu positions failed in an earlier run", path,
                      (unsigned long long)failed_before, n);
    return rc;
}
