/* pool.c - create, destroy, run: the one file that sees every layer. It
 * makes each part, hands each what it needs (the wiring below), and tears
 * them down in reverse.
 *
 * Runs on the main thread. tf_pool_create and tf_pool_destroy make their MPI
 * calls while the service thread is parked or not yet started, so the
 * library never has two threads in MPI at once (MPI_THREAD_SERIALIZED is
 * enough). */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/output_api.h"
#include "api/pool_parts.h"
#include "api/trace.h"
#include "core/alloc.h"
#include "core/groups.h"
#include "core/opts.h"
#include "role/relay.h"
#include "system/files.h"

/* The fatal hook: a run that cannot go on ends the whole job. */
static void abort_job(void *arg)
{
    tf_pool *p = arg;
    MPI_Abort(p->comm != MPI_COMM_NULL ? p->comm : MPI_COMM_WORLD, 70);
}

/* ---- create / destroy -------------------------------------------------------- */

static void destroy_links(tf_pool *p)
{
    tf__free(p->slot_weight);
    tf__free(p->slot_of);
    p->slot_weight = NULL;
    p->slot_of = NULL;
    if (!p->links) return;
    for (int s = 0; s < p->nlinks; s++)
        if (p->links[s]) p->links[s]->ops->destroy(p->links[s]);
    tf__free(p->links);
    p->links = NULL;
    p->nlinks = 0;
}

/* Frees what tf_pool_create got as far as making. */
static void pool_free(tf_pool *p)
{
    tf__service_stop(&p->svc);
    /* collective (MPI_Win_free), as every call that gets here; not after
     * MPI_Finalize (then comm is null, and the window is left) */
    if (p->comm != MPI_COMM_NULL)
        tf__doorbells_free(&p->bells);
    else
        tf__doorbells_forget(&p->bells);
    tf__outs_destroy(p); /* its writer thread reads the placement */
    tf__place_free(&p->place);
    tf__trace_free(p);
    tf__coord_destroy(&p->co);
    tf__relay_destroy(&p->relay);
    destroy_links(p);
    if (p->peers_made) tf__peers_free(&p->peers);
    if (p->made >= TF__MADE_WORKER) tf__worker_free(&p->worker);
    if (p->made >= TF__MADE_FILES) tf__files_destroy(p->files);
    if (p->made >= TF__MADE_SVC_W) tf__waiter_destroy(&p->svc_w);
    if (p->made >= TF__MADE_MAIN_W) tf__waiter_destroy(&p->main_w);
    tf__reg_free(&p->reg);
    if (p->comm != MPI_COMM_NULL) MPI_Comm_free(&p->comm);
    tf__free(p);
}

/* The coordinator's wake-ups: the driver, and the service thread. */
static void wake_main(void *arg) { tf__waiter_wake(&((tf_pool *)arg)->main_w); }
static void wake_service(void *arg) { tf__waiter_wake(((tf_pool *)arg)->worker.svc_w); }

/* The links of a rank that hands out job tasks: one per slot, its own
 * rank's a loopback. g NULL: every rank is a slot (no leaders). */
static int make_links(tf_pool *p, const tf__groups *g)
{
    int cap = g ? tf__groups_count(g, g->group_of[p->rank]) + g->fanout : p->size;
    int *rank = tf__malloc((size_t)cap * sizeof *rank);
    p->slot_weight = tf__malloc((size_t)cap * sizeof *p->slot_weight);
    p->links = tf__calloc((size_t)cap, sizeof *p->links);
    if (g) p->slot_of = tf__malloc((size_t)p->size * sizeof *p->slot_of);
    if (!rank || !p->slot_weight || !p->links || (g && !p->slot_of)) {
        tf__free(rank);
        return TF_ENOMEM;
    }
    if (g) {
        p->nlinks = tf__groups_slots(g, g->group_of[p->rank], rank, p->slot_weight, p->slot_of);
    } else {
        p->nlinks = p->size;
        for (int r = 0; r < p->size; r++) rank[r] = r, p->slot_weight[r] = 1;
    }
    int rc = 0;
    for (int s = 0; s < p->nlinks && !rc; s++) {
        p->links[s] = rank[s] == p->rank ? tf__link_loopback(&p->ctx, &p->worker, rank[s])
                                         : tf__link_remote(&p->ctx, &p->tp, rank[s]);
        if (!p->links[s]) rc = TF_ENOMEM;
    }
    tf__free(rank);
    return rc;
}

/* Rank 0: its links and the coordinator behind them. */
static int make_coordinator(tf_pool *p, const tf__groups *g)
{
    TF_CHECK(make_links(p, g));
    tf__coord_cfg cfg = {
        .ctx = &p->ctx,
        .size = p->nlinks,
        .links = p->links,
        .nranks = p->size,
        .weight = p->slot_weight,
        .slot_of = p->slot_of,
        .reg = &p->reg,
        .chunk_policy = p->opts.chunk,
        .chunk_size = p->opts.chunk_size,
        .chunk_target_s = p->opts.chunk_target_s,
        .prefetch_s = p->opts.prefetch_s,
        .file_prefetch = !p->opts.no_file_prefetch,
        .peers = p->opts.sched == TF_SCHED_PEERS,
        .notify = wake_main,
        .notify_arg = p,
        .wake = wake_service,
        .wake_arg = p,
    };
    TF_CHECK(tf__coord_create(&cfg, &tf__coord_central, &p->co));
    p->role = tf__coord_role(p->co);
    return 0;
}

/* A node leader other than rank 0: its links and the relay behind them. */
static int make_relay(tf_pool *p, const tf__groups *g)
{
    TF_CHECK(make_links(p, g));
    tf__relay_cfg cfg = {
        .ctx = &p->ctx,
        .tp = &p->tp,
        .reg = &p->reg,
        .up = p->up,
        .send_up = tf__service_uplink_to(&p->svc, p->up),
        .nranks = p->size,
        .size = p->nlinks,
        .links = p->links,
        .weight = p->slot_weight,
        .prefetch_s = p->opts.prefetch_s,
        .file_prefetch = !p->opts.no_file_prefetch,
    };
    TF_CHECK(tf__relay_create(&cfg, &p->relay));
    p->role = tf__relay_role(p->relay);
    return 0;
}

/* Who hands this rank its job tasks and takes its results, from every
 * rank's node (node_of, the same on every rank): with node leaders
 * (peer scheduling, more than one group), rank 0 reaches its own group and
 * the leaders below it, each leader its group and the leaders below it;
 * else rank 0 reaches every rank. Makes rank 0's coordinator or a leader's
 * relay. 0 or TF_ENOMEM. */
static int make_job_roles(tf_pool *p, const int *node_of)
{
    tf__groups g = {0};
    bool leaders = false;
    if (p->opts.sched == TF_SCHED_PEERS && p->opts.leader_ranks >= 0) {
        TF_CHECK(tf__groups_make(&g, p->size, node_of, p->opts.leader_ranks, TF__LEADER_FANOUT));
        leaders = g.ngroups > 1;
    }
    int rc = 0;
    p->up = leaders ? tf__groups_up(&g, p->rank) : 0;
    if (p->rank == 0) {
        p->up = 0;
        rc = make_coordinator(p, leaders ? &g : NULL);
    } else if (leaders && g.leader[g.group_of[p->rank]] == p->rank) {
        rc = make_relay(p, &g);
    }
    if (rc == 0 && leaders && p->rank == 0)
        TF_LOG(&p->ctx, 2, "node leaders: %d groups, rank 0 reaches %d of %d ranks", g.ngroups,
               p->nlinks, p->size);
    tf__groups_free(&g);
    return rc;
}

/* Each rank's own parts, before anything collective: 0 or TF_E*; *bad
 * names the TF_* variable with a bad value, if that was the error. */
static int make_parts(tf_pool *p, const tf_pool_opts *opts, const char **bad)
{
    TF_CHECK(tf__opts_defaults(&p->opts, opts));
    TF_CHECK(tf__opts_env(&p->opts, getenv, p->rank, bad));
    p->ctx.verbose = p->opts.verbose;
    TF_CHECK(tf__waiter_init(&p->main_w));
    p->made = TF__MADE_MAIN_W;
    TF_CHECK(tf__waiter_init(&p->svc_w));
    p->made = TF__MADE_SVC_W;
    tf__files_cfg fc = {&p->ctx, &p->opts, &p->main_w, &p->trace, &p->worker.st};
    TF_CHECK(tf__files_create(&fc, &p->files));
    p->made = TF__MADE_FILES;
    TF_CHECK(tf__worker_init(&p->worker, &p->ctx, p, &p->reg, p->files, &p->main_w, &p->svc_w));
    tf__task_watch_exits(); /* once per process: exit() inside a task is reported */
    p->made = TF__MADE_WORKER;
    p->worker.central = p->opts.sched == TF_SCHED_CENTRAL;
    if (p->rank == 0) TF_CHECK(tf__outs_create(p));
    return tf__trace_open(p, bad);
}

/* A node leader's part of passive (core/wave.h): its relay holds
 * nothing; it hands out no work without a message. */
static bool relay_passive(void *arg, uint64_t *acts)
{
    *acts = 0;
    return tf__relay_passive(arg);
}

/* Collective: every rank learns every rank's node and scheduling, which
 * must agree; makes rank 0's coordinator, a node leader's relay and, under
 * peer scheduling, this rank's peer role. 0 or TF_E* on every rank
 * alike. */
static int make_peers(tf_pool *p, MPI_Comm comm)
{
    int mine[2] = {p->place.pl.node, (int)p->opts.sched};
    int *all = tf__malloc(2 * (size_t)p->size * sizeof *all);
    /* every rank learns whether every rank has room before the gather: one
     * that skipped it would leave the others waiting there */
    int ok = all != NULL, agreed = 0;
    if (MPI_Allreduce(&ok, &agreed, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS || !agreed) {
        tf__free(all);
        return agreed ? TF_EMPI : TF_ENOMEM;
    }
    if (MPI_Allgather(mine, 2, MPI_INT, all, 2, MPI_INT, comm) != MPI_SUCCESS) {
        tf__free(all);
        return TF_EMPI;
    }
    int *node_of = all; /* packed in place: node_of[r] = all[2r] */
    for (int r = 0; r < p->size; r++) {
        if (all[2 * r + 1] != mine[1]) {
            tf__free(all);
            if (p->rank == 0)
                fprintf(stderr, "taskfarm: TF_SCHED differs between ranks (rank %d has %s)\n", r,
                        mine[1] == TF_SCHED_PEERS ? "central" : "peers");
            return TF_EINVAL;
        }
        node_of[r] = all[2 * r];
    }
    int rc = make_job_roles(p, node_of);
    if (rc == 0 && p->opts.sched == TF_SCHED_PEERS) {
        tf__peers_net net = tf__service_peers_net(&p->svc);
        rc = tf__peers_init(&p->peers, &p->ctx, &p->worker, &net, p->rank, p->size, node_of);
        if (rc == 0) {
            p->peers_made = true;
            if (p->co) {
                tf__peers_root root = tf__coord_peers_root(p->co);
                tf__peers_set_root(&p->peers, &root);
            } else if (p->relay) {
                tf__peers_root root = {p->relay, NULL, relay_passive, NULL};
                tf__peers_set_root(&p->peers, &root);
            }
        }
    }
    tf__free(all);
    int worst = rc;
    if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) worst = TF_EMPI;
    return worst;
}

/* The service thread's first act: bind itself next to the main thread. */
static void service_placed(void *arg)
{
    tf_pool *p = arg;
    tf__place_service(&p->place, &p->ctx);
}

/* After the collective part: the transport on the pool's communicator,
 * and the service thread, wired to the worker and (rank 0) the
 * coordinator. */
static int start_service(tf_pool *p)
{
    tf__tp_init(&p->tp, p->comm, &p->ctx, NULL);
    tf__service *s = &p->svc;
    if (p->bells.mine) { /* the service thread waits where its node's ranks can ring */
        p->tp.bells = &p->bells;
        if (p->peers_made) p->peers.net.rings_local = true;
        p->worker.svc_w = p->bells.mine;
    }
    s->peers = p->peers_made ? &p->peers : NULL;
    s->idle_max_ns = (uint64_t)p->opts.idle_max_us * 1000u;
    s->ctx = &p->ctx;
    s->worker = &p->worker;
    s->tp = &p->tp;
    s->files = p->files;
    s->svc_w = p->worker.svc_w;
    s->park_w = &p->svc_w;
    s->main_w = &p->main_w;
    s->wait_policy = p->opts.wait;
    s->role = p->co || p->relay ? &p->role : NULL;
    s->up = p->co      ? tf__coord_uplink(p->co)
            : p->relay ? tf__relay_uplink(p->relay)
                       : tf__service_uplink_to(s, p->up);
    s->on_start = service_placed;
    s->on_start_arg = p;
    return tf__service_start(s);
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
    const char *bad = NULL; /* a TF_* variable with a bad value here */

    tf_pool *p = tf__calloc(1, sizeof *p);
    if (!p) rc = rc ? rc : TF_ENOMEM;
    if (p) {
        p->comm = MPI_COMM_NULL;
        p->bells.win = MPI_WIN_NULL;
        MPI_Comm_rank(comm, &p->rank);
        MPI_Comm_size(comm, &p->size);
        p->ctx.rank = p->rank;
        p->ctx.abort_fn = abort_job;
        p->ctx.abort_arg = p;
        if (!rc) rc = make_parts(p, opts, &bad);
    }
    /* every rank learns whether every rank could go on, and the lowest rank
     * with a bad TF_* value (a launcher may give ranks environments of their
     * own) says which; rank 0 has said so already */
    int first[2] = {rc, bad ? p->rank : INT_MAX}, all[2] = {TF_EMPI, first[1]};
    if (MPI_Allreduce(first, all, 2, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) all[0] = TF_EMPI;
    int worst = all[0];
    if (bad && all[1] == p->rank && p->rank != 0) tf__opts_say_bad(bad, getenv(bad), p->rank);
    if (worst == 0) {
        /* collective: every rank gets here */
        rc = tf__place_init(&(tf__place_in){.ctx = &p->ctx, .comm = comm, .bind = p->opts.bind},
                            &p->place);
        if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) worst = TF_EMPI;
    }
    if (worst == 0) worst = make_peers(p, comm);
    if (worst == 0) worst = tf__doorbells_init(&p->bells, comm, &p->ctx);
    /* both threads share one hardware thread: spinning only delays the
     * thread we wait for */
    if (worst == 0 && p->place.bound_pus == 1 && p->opts.wait == TF_WAIT_AUTO) p->opts.spin_us = 0;
    bool tail = worst == 0; /* the same on every rank: each step above was agreed */
    if (worst == 0 && MPI_Comm_dup(comm, &p->comm) != MPI_SUCCESS) worst = TF_EMPI;
    if (worst == 0) {
        MPI_Comm_set_errhandler(p->comm, MPI_ERRORS_RETURN);
        worst = start_service(p);
    }
    if (tail) {
        /* the last steps fail alike everywhere or nowhere: undoing them
         * (the doorbells' window, the communicator) is collective */
        int mine = worst;
        if (MPI_Allreduce(&mine, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) worst = TF_EMPI;
    }
    if (worst < 0) {
        if (p) pool_free(p);
        return rc < 0 ? rc : worst;
    }
    TF_LOG(&p->ctx, 2, "scheduling %s; %s", p->opts.sched == TF_SCHED_PEERS ? "peers" : "central",
           p->bells.mine ? "doorbells between the node's ranks"
                         : "no doorbells (no shared memory)");
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
    if (rc == TF_EEXIST)
        return tf__fail(&p->ctx, rc, "task function '%s' is already registered", name);
    if (rc < 0)
        return tf__fail(&p->ctx, rc, "cannot register task function '%s': %s",
                        name ? name : "(null)", tf_strerror(rc));
    return 0;
}

/* ---- a run ------------------------------------------------------------------------ */

int tf_run(tf_pool *p, tf_driver driver, void *arg)
{
    if (!p) return TF_EINVAL;
    if (p->in_run) return tf__fail(&p->ctx, TF_ESTATE, "tf_run inside tf_run");
    p->in_run = true;
    tf__stats_run_begin(p); /* the first run decides whether there is a trace */
    p->tp.trace = p->trace;
    bool spawn_records = p->spawn_cb != NULL;
    tf__worker_reset(&p->worker, p->trace, spawn_records);
    if (p->co) tf__coord_reset(p->co, spawn_records);
    if (p->relay) tf__relay_reset(p->relay);
    if (p->peers_made) tf__peers_reset(&p->peers, p->trace);
    tf__service_run_begin(&p->svc, p->trace);

    if (p->rank == 0) {
        /* without a driver the run still ends collectively, with the error */
        int rv = TF_EINVAL;
        if (driver) {
            p->in_driver = true;
            rv = driver(p, arg);
            p->in_driver = false;
        }
        tf__driver_finish(p, rv);
        if (!driver) tf__fail(&p->ctx, TF_EINVAL, "tf_run: no driver");
    }
    tf__work_until_done(p);
    p->in_run = false;
    tf__stats_run_end(p);
    return p->worker.stop_rv;
}
