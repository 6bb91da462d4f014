/* service.c - the service thread of a rank: every MPI call of a run.
 *
 * Thread roles: this file's functions run on the service thread, except
 * tf__service_start/stop (main thread, outside tf_run). The main thread hands
 * work over through pool->work (under work.lock) and wakes this thread
 * through svc_w; this thread wakes the main thread through main_w.
 *
 * A run, on every rank:
 *   parked   -> main sets RUNNING (tf_run) -> the loop below
 *   the loop: complete sends; receive messages; rank 0 coordinates
 *             (coord.c), other ranks queue the tasks they are sent and send
 *             back the results the main thread handed over
 *   the end:  rank 0 sends STOP when no task is left; each rank answers
 *             STOPPED as its last message; rank 0 ends when all have. So no
 *             message of a run is left unreceived, and between runs the
 *             program may use MPI on its own.
 * While idle the loop spins briefly, then sleeps with a growing timeout
 * (20 us to 200 us), so it takes little from the computing thread; with sends
 * in flight it polls at least every 50 us, as MPI progress needs. */
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "system/files.h"
#include "pool.h"
#include "api/trace.h"

static void check_mpi(tf_pool *p, int rc, const char *call)
{
    if (rc == MPI_SUCCESS) return;
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, s, &n);
    tf__fatal(&p->ctx, "%s failed: %s", call, s);
}

/* ---- sends ---------------------------------------------------------------- */

void tf__send(tf_pool *p, int dest, int tag, const void *buf, size_t n, void *own, tf__job *job)
{
    if (p->nreq == p->capreq) {
        size_t cap = p->capreq ? p->capreq * 2 : 16;
        MPI_Request *r = realloc(p->req, cap * sizeof *r);
        if (r) p->req = r;
        void **b = realloc(p->req_buf, cap * sizeof *b);
        if (b) p->req_buf = b;
        tf__job **jb = realloc(p->req_job, cap * sizeof *jb);
        if (jb) p->req_job = jb;
        if (!r || !b || !jb) tf__fatal(&p->ctx, "out of memory for requests");
        p->capreq = cap;
    }
    if (n > TF__MAX_MSG) tf__fatal(&p->ctx, "message of %zu bytes is too large", n);
    check_mpi(p, MPI_Isend(buf, (int)n, MPI_BYTE, dest, tag, p->comm, &p->req[p->nreq]),
              "MPI_Isend");
    p->req_job[p->nreq] = job;
    p->req_buf[p->nreq++] = own;
    atomic_fetch_add_explicit(&p->msgs_sent, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->bytes_sent, n, memory_order_relaxed);
    if (p->trace) tf__trace_msg(p->trace, TF__TR_SEND, dest, n);
}

/* MPICH defines MPI_STATUSES_IGNORE as (MPI_Status *)1 and declares the
 * status parameters as arrays, so GCC 11 and later warn that MPI_Testsome
 * and MPI_Waitall below write to a region of size 0 (pmodels/mpich#5687).
 * They write no status there; the warning is off for these two functions. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

/* Completes what it can; 1 if any send completed. */
static int progress_sends(tf_pool *p)
{
    if (p->nreq == 0) return 0;
    int outcount = 0;
    int idx[64];
    int n = p->nreq < 64 ? (int)p->nreq : 64;
    check_mpi(p, MPI_Testsome(n, p->req, &outcount, idx, MPI_STATUSES_IGNORE), "MPI_Testsome");
    if (outcount <= 0) return 0;
    for (int k = 0; k < outcount; k++) {
        free(p->req_buf[idx[k]]);
        p->req_buf[idx[k]] = NULL;
        if (p->req_job[idx[k]]) tf__coord_sent(p, p->req_job[idx[k]]);
        p->req_job[idx[k]] = NULL;
    }
    size_t j = 0;
    for (size_t i = 0; i < p->nreq; i++) {
        if (p->req[i] == MPI_REQUEST_NULL) continue;
        p->req[j] = p->req[i];
        p->req_job[j] = p->req_job[i];
        p->req_buf[j++] = p->req_buf[i];
    }
    p->nreq = j;
    return 1;
}

static void finish_sends(tf_pool *p)
{
    if (p->nreq)
        check_mpi(p, MPI_Waitall((int)p->nreq, p->req, MPI_STATUSES_IGNORE), "MPI_Waitall");
    for (size_t i = 0; i < p->nreq; i++) {
        free(p->req_buf[i]);
        if (p->req_job[i]) tf__coord_sent(p, p->req_job[i]);
    }
    p->nreq = 0;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

/* ---- a worker's side --------------------------------------------------------- */

typedef struct wstate {
    bool stop_rx;  /* STOP received */
    bool share_rq; /* SHARE asked */
    bool done;
} wstate;

static void lfn_reset(tf_pool *p)
{
    for (size_t i = 0; i < p->nlfn; i++)
        if (p->lfn[i]) {
            free(p->lfn[i]->name);
            free(p->lfn[i]);
        }
    free(p->lfn);
    p->lfn = NULL;
    p->nlfn = 0;
}

static void lfn_define(tf_pool *p, uint32_t gid, const char *name, size_t nl)
{
    if (gid >= 1u << 24) tf__fatal(&p->ctx, "function id %u out of range", gid);
    if (gid >= p->nlfn) {
        size_t n = p->nlfn ? p->nlfn : 8;
        while (n <= gid) n *= 2;
        tf__lfn **v = realloc(p->lfn, n * sizeof *v);
        if (!v) tf__fatal(&p->ctx, "out of memory");
        memset(v + p->nlfn, 0, (n - p->nlfn) * sizeof *v);
        p->lfn = v;
        p->nlfn = n;
    }
    tf__lfn *e = p->lfn[gid];
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e) tf__fatal(&p->ctx, "out of memory");
        p->lfn[gid] = e;
    }
    free(e->name);
    e->name = strndup(name, nl);
    if (!e->name) tf__fatal(&p->ctx, "out of memory");
    long li = tf__reg_find(&p->reg, e->name);
    e->fn = li >= 0 ? p->reg.v[li].fn : NULL;
}

/* A TASKS message: queue its chunks for the main thread. */
static void handle_tasks(tf_pool *p, int src, tf__rbuf *rb, wstate *ws)
{
    tf__rd r;
    tf__rd_init(&r, rb->data, rb->len);
    if (tf__rd_u8(&r) != TF__MSG_TASKS) tf__fatal(&p->ctx, "malformed message from rank %d", src);
    tf__queue got = {0};
    size_t ntasks = 0;
    while (tf__rd_left(&r)) {
        uint8_t kind = tf__rd_u8(&r);
        if (kind == TF__R_DEF) {
            uint32_t gid = tf__rd_u32(&r);
            uint8_t nl = tf__rd_u8(&r);
            const char *name = tf__rd_take(&r, nl);
            if (!name || nl == 0) tf__fatal(&p->ctx, "malformed function name from rank %d", src);
            lfn_define(p, gid, name, nl);
        } else if (kind == TF__R_CHUNK) {
            tf__item it;
            size_t bulk;
            if (tf__msg_get_chunk(&r, &it, &bulk) < 0)
                tf__fatal(&p->ctx, "malformed task chunk from rank %d", src);
            if (bulk) {
                tf__rbuf *b = tf__rbuf_new(bulk);
                if (!b) tf__fatal(&p->ctx, "out of memory for a %zu-byte input", bulk);
                check_mpi(p,
                          MPI_Recv(b->data, (int)bulk, MPI_BYTE, src, TF__TAG_BULK, p->comm,
                                   MPI_STATUS_IGNORE),
                          "MPI_Recv");
                atomic_fetch_add_explicit(&p->bytes_recv, bulk, memory_order_relaxed);
                if (p->trace) tf__trace_msg(p->trace, TF__TR_RECV, src, bulk);
                it.data = b->data;
                it.owner = b;
            } else {
                it.owner = tf__rbuf_ref(rb);
            }
            if (it.job == 0) { /* a spawned task: resolved by its name */
                long li = tf__reg_find(&p->reg, it.fname);
                it.fn = li >= 0 ? p->reg.v[li].fn : NULL;
            } else {
                if (it.gid >= p->nlfn || !p->lfn[it.gid])
                    tf__fatal(&p->ctx, "task of undefined function id %u from rank %d", it.gid, src);
                it.fn = p->lfn[it.gid]->fn;
                it.fname = p->lfn[it.gid]->name;
                ntasks += it.count;
            }
            if (tf__queue_push_back(&got, &it) < 0) tf__fatal(&p->ctx, "out of memory");
        } else if (kind == TF__R_SHARE) {
            ws->share_rq = true;
        } else if (kind == TF__R_STOP) {
            p->run_rv = (int)tf__rd_u32(&r);
            ws->stop_rx = true;
        } else {
            tf__fatal(&p->ctx, "unknown record %u from rank %d", kind, src);
        }
        if (r.err) tf__fatal(&p->ctx, "truncated message from rank %d", src);
    }
    if (tf__queue_len(&got)) {
        tf__work *w = &p->work;
        tf__item it;
        pthread_mutex_lock(&w->lock);
        while (tf__queue_pop_front(&got, &it)) {
            if (it.file) tf__files_add(p->files, &it);
            int rc =
                it.job ? tf__queue_push_back(&w->inq, &it) : tf__queue_push_back(&w->spawnq, &it);
            if (rc < 0) tf__fatal(&p->ctx, "out of memory");
        }
        w->inq_tasks += ntasks;
        w->low = w->inq_tasks / 2;
        w->low_fresh = true;
        pthread_mutex_unlock(&w->lock);
        tf__waiter_wake(&p->main_w);
    }
    tf__queue_free(&got);
}

/* Sends what the main thread handed over, and shipped tasks if asked;
 * `flags` go on the last message (STOPPED). 1 if it sent anything. */
static int worker_flush(tf_pool *p, wstate *ws, uint32_t flags)
{
    tf__work *w = &p->work;
    tf__buf ship = {0};
    pthread_mutex_lock(&w->lock);
    tf__handover *list = w->ho_head;
    w->ho_head = w->ho_tail = NULL;
    if (ws->share_rq) {
        size_t n = tf__queue_len(&w->spawnq) / 2;
        if (n > 4096) n = 4096;
        if (tf__buf_room(&ship, TF__RHDR_LEN)) ship.len = TF__RHDR_LEN;
        for (size_t k = 0; k < n && ship.len; k++) {
            tf__item it;
            tf__queue_pop_front(&w->spawnq, &it);
            if (tf__msg_put_chunk(&ship, &it, 0, &(const char *){0}, &(size_t){0}) < 0)
                tf__fatal(&p->ctx, "out of memory shipping tasks");
            tf__rbuf_unref(it.owner);
            if (ship.len > ((size_t)1 << 20)) break;
        }
        if (!ship.len) tf__fatal(&p->ctx, "out of memory shipping tasks");
    }
    uint64_t qlen = tf__queue_len(&w->spawnq);
    pthread_mutex_unlock(&w->lock);
    /* read after taking the list: every spawn behind what we send is in it */
    uint64_t spawned = atomic_exchange(&w->spawned, 0);
    int sent = 0;
    for (tf__handover *h = list, *n; h; h = n) {
        n = h->next;
        tf__rhdr rh = {spawned, h->spawn_ok, qlen, h->flags};
        spawned = 0;
        if (!n && !ship.len) rh.flags |= flags;
        tf__msg_put_rhdr(h->b.p, &rh);
        tf__send(p, 0, TF__TAG_MSG, h->b.p, h->b.len, h->b.p, NULL);
        free(h);
        sent = 1;
    }
    if (ship.len || (flags && !sent)) {
        if (!ship.len) {
            if (!tf__buf_room(&ship, TF__RHDR_LEN)) tf__fatal(&p->ctx, "out of memory");
            ship.len = TF__RHDR_LEN;
        }
        tf__rhdr rh = {spawned, 0, qlen, flags | (ws->share_rq ? TF__F_SHARE_REPLY : 0)};
        spawned = 0;
        tf__msg_put_rhdr(ship.p, &rh);
        tf__send(p, 0, TF__TAG_MSG, ship.p, ship.len, ship.p, NULL);
        sent = 1;
    } else if (spawned) {
        /* not reported yet: keep it for the next message */
        atomic_fetch_add(&w->spawned, spawned);
    }
    ws->share_rq = false;
    return sent;
}

/* ---- the loop ------------------------------------------------------------------ */

/* Receives one message from `src` (MPI_ANY_SOURCE: from anyone); 1 if one
 * was there. */
static int recv_one(tf_pool *p, int src, wstate *ws)
{
    int flag = 0;
    MPI_Message m;
    MPI_Status st;
    check_mpi(p, MPI_Improbe(src, TF__TAG_MSG, p->comm, &flag, &m, &st), "MPI_Improbe");
    if (!flag) return 0;
    int n = 0;
    MPI_Get_count(&st, MPI_BYTE, &n);
    tf__rbuf *rb = tf__rbuf_new((size_t)n);
    if (!rb) tf__fatal(&p->ctx, "out of memory for a %d-byte message", n);
    check_mpi(p, MPI_Mrecv(rb->data, n, MPI_BYTE, &m, MPI_STATUS_IGNORE), "MPI_Mrecv");
    atomic_fetch_add_explicit(&p->msgs_recv, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&p->bytes_recv, (uint64_t)n, memory_order_relaxed);
    if (p->trace) tf__trace_msg(p->trace, TF__TR_RECV, st.MPI_SOURCE, (uint64_t)n);
    if (n < 1) tf__fatal(&p->ctx, "empty message from rank %d", st.MPI_SOURCE);
    if (p->rank == 0)
        tf__coord_results(p, st.MPI_SOURCE, rb);
    else
        handle_tasks(p, st.MPI_SOURCE, rb, ws);
    tf__rbuf_unref(rb);
    return 1;
}

static int poll_incoming(tf_pool *p, wstate *ws)
{
    int did = 0;
    if (p->rank == 0 && p->co->stop_sent) {
        /* The end of a run: a rank that answered STOPPED may already be in
         * the next run and sending its first message; that one belongs to
         * the next run, so only ranks still to answer are listened to. */
        for (int r = 1; r < p->size; r++)
            while (!p->co->peer[r].stopped && recv_one(p, r, ws)) did = 1;
        return did;
    }
    for (int turn = 0; turn < 64 && recv_one(p, MPI_ANY_SOURCE, ws); turn++) did = 1;
    return did;
}

static void run_loop(tf_pool *p)
{
    wstate ws = {0};
    uint64_t backoff = 0;
    const uint64_t min_ns = 20000, max_ns = 200000, pending_ns = 50000;
    for (;;) {
        if (p->trace) tf__trace_tick(p->trace);
        int did = progress_sends(p);
        did |= poll_incoming(p, &ws);
        did |= tf__files_step(p->files);
        if (p->rank == 0) {
            int rc = tf__coord_step(p);
            if (rc < 0) break;
            did |= rc;
        } else if (ws.stop_rx) {
            worker_flush(p, &ws, TF__F_STOPPED);
            break;
        } else {
            did |= worker_flush(p, &ws, 0);
        }
        if (did) {
            backoff = 0;
            continue;
        }
        if (p->opts.wait == TF_WAIT_SPIN) continue;
        /* sends in flight need MPI progress only to finish (and, without
         * single-copy transport, to move fragments): poll them more often,
         * but do not spin for them, the computing threads need the cores */
        uint64_t cap = p->nreq ? pending_ns : max_ns;
        backoff = backoff ? (backoff * 2 > cap ? cap : backoff * 2) : min_ns;
        if (tf__waiter_wait(&p->svc_w, p->opts.wait == TF_WAIT_YIELD ? TF_WAIT_YIELD : TF_WAIT_AUTO,
                            2000, backoff))
            atomic_fetch_add_explicit(&p->wakeups, 1, memory_order_relaxed);
    }
    finish_sends(p);
    lfn_reset(p);
}

/* Asks the scheduler for short time slices for this thread (Linux 6.12 and
 * later: EEVDF's custom slice, sched_attr.sched_runtime for a normal
 * thread). The service thread sleeps most of the time and runs briefly;
 * with the default slice (about 3 ms) a computing thread on the same core
 * would hold it off for that long after each wake, and every rank waiting
 * for work would wait as long. Where the kernel does not know the setting,
 * nothing changes. */
static void short_slices(void)
{
#if defined(__linux__) && defined(SYS_sched_setattr)
    struct {
        uint32_t size, policy;
        uint64_t flags;
        int32_t nice;
        uint32_t priority;
        uint64_t runtime, deadline, period;
    } a = {0};
    a.size = sizeof a;
    a.policy = 0;       /* SCHED_OTHER */
    a.runtime = 100000; /* ns: the shortest slice the kernel grants */
    (void)syscall(SYS_sched_setattr, 0, &a, 0);
#endif
}

static void *svc_main(void *arg)
{
    tf_pool *p = arg;
    tf__place_service(&p->place, &p->ctx);
    short_slices();
    for (;;) {
        while (atomic_load(&p->svc_state) == TF__SVC_PARKED)
            tf__waiter_wait(&p->svc_w, TF_WAIT_BLOCK, 0, 0);
        if (atomic_load(&p->svc_state) == TF__SVC_QUIT) break;
        run_loop(p);
        atomic_store(&p->svc_state, TF__SVC_PARKED);
        atomic_store(&p->run_done, 1);
        tf__waiter_wake(&p->main_w);
    }
    return NULL;
}

int tf__service_start(tf_pool *p)
{
    atomic_store(&p->svc_state, TF__SVC_PARKED);
    if (pthread_create(&p->svc, NULL, svc_main, p)) return TF_ESYS;
    p->svc_started = true;
    return 0;
}

void tf__service_stop(tf_pool *p)
{
    if (!p->svc_started) return;
    atomic_store(&p->svc_state, TF__SVC_QUIT);
    tf__waiter_wake(&p->svc_w);
    pthread_join(p->svc, NULL);
    p->svc_started = false;
    lfn_reset(p);
    free(p->req);
    free(p->req_buf);
    free(p->req_job);
    p->req_job = NULL;
    p->req = NULL;
    p->req_buf = NULL;
    p->capreq = 0;
}
