/* pool.c - create, destroy, run: the one file that sees every module.
 *
 * Runs on the main thread. tf_pool_create and tf_pool_destroy make their MPI
 * calls while the service thread is parked or not yet started, so the
 * library never has two threads in MPI at once (MPI_THREAD_SERIALIZED is
 * enough). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/opts.h"
#include "api/output_api.h"
#include "pool.h"
#include "api/trace.h"

/* The fatal hook: a run that cannot go on ends the whole job. */
static void abort_job(void *arg)
{
    tf_pool *p = arg;
    MPI_Abort(p->comm != MPI_COMM_NULL ? p->comm : MPI_COMM_WORLD, 70);
}

/* ---- create / destroy -------------------------------------------------------- */

/* Frees what tf_pool_create got as far as making. */
static void pool_free(tf_pool *p)
{
    tf__service_stop(p);
    tf__outs_destroy(p); /* its writer thread reads the placement */
    tf__place_free(&p->place);
    tf__trace_free(p);
    tf__coord_destroy(p);
    if (p->made >= 3) tf__work_free(p);
    if (p->made >= 2) tf__waiter_destroy(&p->svc_w);
    if (p->made >= 1) tf__waiter_destroy(&p->main_w);
    tf__reg_free(&p->reg);
    if (p->comm != MPI_COMM_NULL) MPI_Comm_free(&p->comm);
    free(p);
}

int tf_pool_create(MPI_Comm comm, const tf_pool_opts *opts, tf_pool **out)
{
    if (!out) return TF_EINVAL;
    *out = NULL;
    if (comm == MPI_COMM_NULL) return TF_EINVAL;
    int init = 0, fin = 0;
    MPI_Initialized(&init);
    MPI_Finalized(&fin);
    if (!init || fin) return TF_ESTATE;
    int level = MPI_THREAD_SINGLE;
    MPI_Query_thread(&level);
    int rc = 0;
    if (level < MPI_THREAD_SERIALIZED) rc = TF_ETHREAD;

    tf_pool *p = calloc(1, sizeof *p);
    if (!p) rc = rc ? rc : TF_ENOMEM;
    if (p) {
        p->comm = MPI_COMM_NULL;
        MPI_Comm_rank(comm, &p->rank);
        MPI_Comm_size(comm, &p->size);
        p->ctx.rank = p->rank;
        p->ctx.abort_fn = abort_job;
        p->ctx.abort_arg = p;
        if (!rc) rc = tf__opts_defaults(&p->opts, opts);
        if (!rc) rc = tf__opts_env(&p->opts, getenv, p->rank, NULL);
        p->ctx.verbose = p->opts.verbose;
        if (!rc) rc = tf__waiter_init(&p->main_w);
        if (!rc) {
            p->made = 1;
            rc = tf__waiter_init(&p->svc_w);
        }
        if (!rc) {
            p->made = 2;
            rc = tf__work_init(p);
        }
        if (!rc) p->made = 3;
        if (!rc && p->rank == 0) rc = tf__coord_create(p);
        if (!rc && p->rank == 0) rc = tf__outs_create(p);
        if (!rc) rc = tf__trace_open(p);
    }
    /* every rank learns whether every rank could go on */
    int worst = rc;
    if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) worst = TF_EMPI;
    if (worst == 0) {
        /* collective: every rank gets here */
        rc = tf__place_init(&(tf__place_in){.ctx = &p->ctx, .comm = comm, .bind = p->opts.bind},
                            &p->place);
        if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) worst = TF_EMPI;
    }
    /* both threads share one hardware thread: spinning only delays the
     * thread we wait for */
    if (worst == 0 && p->place.bound_pus == 1 && p->opts.wait == TF_WAIT_AUTO) p->opts.spin_us = 0;
    if (worst == 0 && MPI_Comm_dup(comm, &p->comm) != MPI_SUCCESS) worst = TF_EMPI;
    if (worst == 0) {
        MPI_Comm_set_errhandler(p->comm, MPI_ERRORS_RETURN);
        worst = tf__service_start(p);
    }
    if (worst < 0) {
        if (p) pool_free(p);
        return rc < 0 ? rc : worst;
    }
    TF_LOG(&p->ctx, 2, "pool of %d ranks, %zu cores here, chunk %s, wait %d", p->size,
           p->place.ncores,
           p->opts.chunk == TF_CHUNK_AUTO     ? "auto"
           : p->opts.chunk == TF_CHUNK_GUIDED ? "guided"
                                              : "fixed",
           (int)p->opts.wait);
    *out = p;
    return 0;
}

int tf_pool_destroy(tf_pool **pp)
{
    if (!pp || !*pp) return 0;
    tf_pool *p = *pp;
    if (p->in_run) return tf__fail(&p->ctx, TF_ESTATE, "tf_pool_destroy inside tf_run");
    int fin = 0;
    MPI_Finalized(&fin);
    if (fin) {
        p->comm = MPI_COMM_NULL; /* too late to free it; free the rest */
    } else {
        tf__outs_destroy(p);  /* rank 0: its writer thread is done */
        tf__trace_close(p);   /* collective: gathers the timeline to rank 0 */
        MPI_Barrier(p->comm); /* collective: no rank leaves while others run */
    }
    pool_free(p);
    *pp = NULL;
    return 0;
}

int tf_pool_rank(const tf_pool *p) { return p ? p->rank : -1; }
int tf_pool_size(const tf_pool *p) { return p ? p->size : 0; }
const char *tf_pool_errmsg(const tf_pool *p) { return p ? p->ctx.errmsg : ""; }

int tf_register(tf_pool *p, const char *name, tf_fn fn)
{
    if (!p) return TF_EINVAL;
    if (p->in_run) return tf__fail(&p->ctx, TF_ESTATE, "tf_register inside tf_run");
    int rc = tf__reg_add(&p->reg, name, (void *)fn);
    if (rc == TF_EEXIST) return tf__fail(&p->ctx, rc, "task function '%s' is already registered", name);
    if (rc < 0)
        return tf__fail(&p->ctx, rc, "cannot register task function '%s': %s", name ? name : "(null)",
                        tf_strerror(rc));
    return 0;
}

/* ---- a run ------------------------------------------------------------------------ */

int tf_run(tf_pool *p, tf_driver driver, void *arg)
{
    if (!p) return TF_EINVAL;
    if (p->in_run) return tf__fail(&p->ctx, TF_ESTATE, "tf_run inside tf_run");
    p->in_run = true;
    p->run_rv = 0;
    tf__stats_run_begin(p);
    tf__main_reset(p);
    if (p->co) tf__coord_reset(p);
    atomic_store(&p->run_done, 0);
    atomic_store(&p->svc_state, TF__SVC_RUNNING);
    tf__waiter_wake(&p->svc_w);

    uint64_t spin = (uint64_t)p->opts.spin_us * 1000u;
    if (p->rank == 0) {
        /* without a driver the run still ends collectively, with the error */
        int rv = TF_EINVAL;
        if (driver) {
            p->in_driver = true;
            rv = driver(p, arg);
            p->in_driver = false;
        }
        tf__coord_finish(p, rv);
        if (!driver) tf__fail(&p->ctx, TF_EINVAL, "tf_run: no driver");
    }
    while (!atomic_load(&p->run_done)) {
        if (p->rank != 0 && tf__exec_some(p)) continue;
        if (p->rank != 0 && !p->idle_reported) {
            tf__handover_cur(p, TF__F_IDLE, true);
            p->idle_reported = true;
        }
        uint64_t t0 = tf__now_ns();
        tf__waiter_wait(&p->main_w, p->opts.wait, spin, 100000000u);
        p->st.idle_s += (double)(tf__now_ns() - t0) * 1e-9;
        if (p->trace) tf__trace_span(p->trace, TF__TR_MAIN, TF__TR_WAIT_WORK, t0, tf__now_ns(), 0);
    }
    p->in_run = false;
    tf__stats_run_end(p);
    return p->run_rv;
}

int tf_pool_stats(const tf_pool *p, tf_stats *st)
{
    if (!p || !st) return TF_EINVAL;
    *st = p->st;
    st->msgs_sent = atomic_load_explicit(&((tf_pool *)p)->msgs_sent, memory_order_relaxed);
    st->msgs_recv = atomic_load_explicit(&((tf_pool *)p)->msgs_recv, memory_order_relaxed);
    st->bytes_sent = atomic_load_explicit(&((tf_pool *)p)->bytes_sent, memory_order_relaxed);
    st->bytes_recv = atomic_load_explicit(&((tf_pool *)p)->bytes_recv, memory_order_relaxed);
    st->service_wakeups = atomic_load_explicit(&((tf_pool *)p)->wakeups, memory_order_relaxed);
    return 0;
}

int tf_pool_placement(const tf_pool *p, tf_placement *pl)
{
    if (!p || !pl) return TF_EINVAL;
    *pl = p->place.pl;
    return 0;
}
