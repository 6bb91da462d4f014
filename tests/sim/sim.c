/* sim.c - the simulator's engine and its model of a rank (sim.h).
 *
 * What is real and what is modelled. Real, the library's own code: the
 * coordinator (tf__coord_central, driven through coord.h and its role
 * hooks), the loopback link to rank 0's worker, each rank's worker queues
 * with their deliver path (TASKS decoded by tf__worker_on_tasks) and
 * collect path (RESULTS encoded by tf__worker_collect), the main thread's
 * take (tf__worker_take: spawned tasks newest first, assigned chunks in
 * batches), its idle report (tf__worker_idle) and its handover rule
 * (tf__sched_report), and the wire format (core/msg.h). Modelled: time (a
 * virtual clock), the network, the service loop's wake-up policy, running
 * a task (its time from the workload; its output written as run_item
 * writes it; its spawns queued as tf_spawn queues them), and the driver
 * (one job, then tf__coord_finish).
 *
 * Every thread's wake-up goes through the real waiters: the real code sets
 * a waiter's flag (tf__waiter_wake; nobody ever sleeps on it here), and
 * the simulator turns a set flag into an event at the time the waiting
 * thread would notice it (pump). */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/groups.h"
#include "core/msg.h"
#include "core/recs.h"
#include "core/schedule.h"
#include "rank/peers.h"
#include "role/coord.h"
#include "role/relay.h"
#include "sim.h"
#include "taskfarm.h"

/* The service loop's receive batch (service.c's RECV_BATCH). */
#define RECV_BATCH 64
/* The main thread's longest wait before it looks again by itself
 * (driver.c's TF__MAIN_WAIT_NS). */
#define MAIN_WAIT_NS 100000000u
/* The task function's name, as the driver's job and spawns name it. */
#define FN_NAME "simtask"

void sim_cfg_default(sim_cfg *c, int ranks, bool tcp)
{
    memset(c, 0, sizeof *c);
    c->ranks = ranks;
    c->per_node = 16;
    c->leaders = -1;
    c->lat_intra_ns = 500;
    c->lat_inter_ns = tcp ? 20000 : 2000;
    c->bw_intra = 10.0;              /* 10 GB/s through shared memory */
    c->bw_inter = tcp ? 1.25 : 12.5; /* 10 Gb/s Ethernet, 100 Gb/s InfiniBand */
    c->seed = 1;
    c->svc_spin_ns = 2000;
    c->idle_min_ns = 20000;
    c->idle_max_ns = 200000;
    c->pending_poll_ns = 50000;
    c->svc_turn_ns = 200;
    c->msg_ns = 1000;
    c->main_spin_ns = 50000;
    c->wake_ns = 5000;
    c->item_ns = 200;
    c->coord_scale = 1.0;
    c->coord_call_ns = 300;
    c->coord_byte_ns = 0.05;
    c->coord_rank_ns = 2;
    c->coord_put_ns = 150;
    c->chunk_policy = TF_CHUNK_AUTO;
    c->chunk_target_s = 1e-3;
    c->prefetch_s = 2e-3;
    c->stall_ns = 200000000u;
}

/* ---- the event queue: a binary heap on (time, sequence) ------------------------ */

enum { EV_ARRIVE, EV_SVC, EV_MAIN, EV_DONE };

typedef struct ev {
    uint64_t t, seq;
    void *p; /* EV_ARRIVE: the message */
    int32_t rank;
    uint16_t kind;
    uint32_t gen; /* EV_SVC, EV_MAIN: stale when the rank's gen moved on */
} ev;

typedef struct heap {
    ev *v;
    size_t n, cap;
    uint64_t seq;
} heap;

static _Noreturn void oom(void)
{
    fprintf(stderr, "tf-sim: out of memory\n");
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) oom();
    return q;
}

static bool ev_before(const ev *a, const ev *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void heap_push(heap *h, ev e)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 1024;
        h->v = xrealloc(h->v, h->cap * sizeof *h->v);
    }
    e.seq = h->seq++;
    size_t i = h->n++;
    while (i) {
        size_t up = (i - 1) / 2;
        if (!ev_before(&e, &h->v[up])) break;
        h->v[i] = h->v[up];
        i = up;
    }
    h->v[i] = e;
}

static ev heap_pop(heap *h)
{
    ev top = h->v[0], last = h->v[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n) break;
        if (c + 1 < h->n && ev_before(&h->v[c + 1], &h->v[c])) c++;
        if (!ev_before(&h->v[c], &last)) break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->n) h->v[i] = last;
    return top;
}

/* ---- a set of task ids (each task runs once) ------------------------------------ */

typedef struct idset {
    uint64_t *v; /* 0: empty; ids are stored plus one */
    size_t cap, n;
} idset;

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

/* false if id was in already */
static bool idset_add(idset *s, uint64_t id)
{
    if (2 * (s->n + 1) > s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 1024;
        uint64_t *v = calloc(cap, sizeof *v);
        if (!v) oom();
        for (size_t i = 0; i < s->cap; i++) {
            if (!s->v[i]) continue;
            size_t k = hash64(s->v[i]) & (cap - 1);
            while (v[k]) k = (k + 1) & (cap - 1);
            v[k] = s->v[i];
        }
        free(s->v);
        s->v = v;
        s->cap = cap;
    }
    uint64_t key = id + 1;
    size_t k = hash64(key) & (s->cap - 1);
    while (s->v[k]) {
        if (s->v[k] == key) return false;
        k = (k + 1) & (s->cap - 1);
    }
    s->v[k] = key;
    s->n++;
    return true;
}

/* ---- the state of a run ----------------------------------------------------------- */

typedef struct msg {
    struct msg *next;
    int src, dst;
    int tag;    /* TF__TAG_MSG or TF__TAG_CTL */
    char *data; /* malloc'd: becomes the received rbuf */
    size_t len;
    uint64_t chunks; /* TASKS, LOOT: job and spawned items it carries */
} msg;

/* SVC_CORE: woken while the main thread runs a task on its core (shared
 * core): the turn starts once it gets the core */
enum { SVC_TURN, SVC_SLEEP, SVC_CORE, SVC_DONE };
enum { MAIN_READY, MAIN_BUSY, MAIN_WAIT, MAIN_DONE };

/* A node leader's relay (peer scheduling with leaders), as the pool makes
 * it: links to its slots (a loopback one to its own worker), the role's
 * hooks. */
typedef struct leader {
    tf__relay *relay;
    tf__svc_role role;
    tf__link **links;
    size_t *weight;
    int nlinks;
} leader;

typedef struct vrank {
    struct sim *s;
    int rank;
    int up;     /* where its RESULTS go (tf__groups_up; 0 without leaders) */
    leader *ld; /* a node leader's relay; NULL elsewhere (rank 0 included) */
    tf__worker w;
    tf__peers peers;             /* peer scheduling */
    uint64_t run_sent, run_recv; /* this run's messages of tag TF__TAG_MSG */
    tf__waiter main_w, svc_w;
    tf__ctx ctx;
    /* the service thread */
    int svc;
    uint32_t svc_gen;
    uint64_t backoff, svc_wait_t0;
    uint64_t core_t;          /* SVC_CORE: when it gets the core */
    msg *in_head, *in_tail;   /* arrived, not yet received: tag TF__TAG_MSG */
    msg *ctl_head, *ctl_tail; /* tag TF__TAG_CTL */
    unsigned sends_inflight;
    /* the main thread */
    int main;
    uint32_t main_gen;
    uint64_t main_wait_t0;
    tf__item item; /* running */
    size_t item_left;
    uint64_t done_t; /* when it ends */
    uint32_t done_gen;
} vrank;

/* The coordinator's link to a rank over the simulated network: TASKS
 * encoded as link.c's remote link encodes them (never bulk: the simulated
 * inputs are small). */
typedef struct simlink {
    tf__link l;
    struct sim *s;
    int src; /* the rank that sends: 0, or a node leader */
    tf__buf out;
    uint64_t chunks;
    uint8_t *defined;
    size_t ndefined;
} simlink;

/* Pairs' last arrival, so that messages between two ranks keep their order
 * (MPI's non-overtaking rule; the termination proof rests on it) whatever
 * the jitter. */
typedef struct fifo_ent {
    uint64_t key, t;
} fifo_ent;

typedef struct sim {
    const sim_cfg *c;
    const sim_workload *wl;
    sim_result *res;
    heap h;
    uint64_t now;
    uint64_t rng;
    int P, nnodes;
    vrank *rk;
    uint64_t *nic_free; /* per node: its interface is busy sending until */
    fifo_ent *fifo;
    size_t fifo_cap, fifo_n;
    /* rank 0 */
    tf__reg reg;
    tf__link **links; /* by slot: every rank, or with leaders its group and child leaders */
    int nlinks;
    size_t *weight; /* by slot (leaders): the ranks it stands for */
    int *slot_of;   /* by rank (leaders): the slot whose ranks include it */
    int nleaders;   /* leaders besides rank 0 */
    tf__coord *co;
    tf__svc_role role;
    tf__uplink up_own; /* rank 0's worker into the coordinator */
    tf__uplink up_net; /* other ranks' workers over the network */
    tf__job *job;
    char *job_in;
    bool finished, role_over, stop_seen;
    int svc_done;             /* peer scheduling: ranks whose run is over (END) */
    uint64_t cursor;          /* the service thread's clock inside a turn */
    bool in_turn;             /* a service turn runs: the library's clock is cursor */
    uint64_t svc0_busy_ns;    /* rank 0's service thread's busy time */
    msg *out_head, *out_tail; /* sent during a call, leaving when it ends */
    uint64_t chunks_inflight;
    /* checks */
    idset ran;
    uint64_t tasks_done, last_task_t, last_progress;
    bool failed, faulted;
    char why[400];
    int emit_src;
} sim;

static sim *g_sim; /* the ctx's abort hook and the library's clock */

static void fail(sim *s, const char *fmt, ...)
{
    if (s->failed) return;
    s->failed = true;
    va_list ap;
    va_start(ap, fmt);
    int n = snprintf(s->why, sizeof s->why, "t=%.6fs: ", (double)s->now * 1e-9);
    vsnprintf(s->why + n, sizeof s->why - (size_t)n, fmt, ap);
    va_end(ap);
}

static void on_fatal(void *arg)
{
    (void)arg;
    fprintf(stderr, "tf-sim: the library reported a fatal error (above) at t=%.6fs\n",
            g_sim ? (double)g_sim->now * 1e-9 : 0.0);
    exit(1);
}

static uint64_t rnd(sim *s)
{
    uint64_t x = (s->rng += 0x9e3779b97f4a7c15ull);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* How long a woken service thread waits for the core its main thread runs
 * a task on: fixed, or drawn from the configured quantiles. */
static uint64_t preempt_wait(sim *s)
{
    const sim_cfg *c = s->c;
    if (c->preempt_nq < 2) return c->preempt_ns;
    double u = (double)(rnd(s) >> 11) * 0x1.0p-53 * (c->preempt_nq - 1);
    int i = (int)u;
    if (i >= c->preempt_nq - 1) i = c->preempt_nq - 2;
    double f = u - i, w = c->preempt_q[i] + f * (c->preempt_q[i + 1] - c->preempt_q[i]);
    return w > 0 ? (uint64_t)w : 0;
}

static void at(sim *s, uint64_t t, int kind, int rank, uint32_t gen, void *p)
{
    heap_push(&s->h, (ev){.t = t, .p = p, .rank = rank, .kind = (uint16_t)kind, .gen = gen});
}

/* ---- the network ---------------------------------------------------------------- */

static uint64_t *fifo_slot(sim *s, uint64_t key)
{
    if (2 * (s->fifo_n + 1) > s->fifo_cap) {
        size_t cap = s->fifo_cap ? 2 * s->fifo_cap : 1024;
        fifo_ent *v = calloc(cap, sizeof *v);
        if (!v) oom();
        for (size_t i = 0; i < s->fifo_cap; i++) {
            if (!s->fifo[i].key) continue;
            size_t k = hash64(s->fifo[i].key) & (cap - 1);
            while (v[k].key) k = (k + 1) & (cap - 1);
            v[k] = s->fifo[i];
        }
        free(s->fifo);
        s->fifo = v;
        s->fifo_cap = cap;
    }
    size_t k = hash64(key) & (s->fifo_cap - 1);
    while (s->fifo[k].key && s->fifo[k].key != key) k = (k + 1) & (s->fifo_cap - 1);
    if (!s->fifo[k].key) {
        s->fifo[k].key = key;
        s->fifo_n++;
    }
    return &s->fifo[k].t;
}

/* m leaves its sender at time t. */
static void net_send(sim *s, msg *m, uint64_t t)
{
    const sim_cfg *c = s->c;
    double arr;
    int ns = m->src / c->per_node, nd = m->dst / c->per_node;
    if (ns == nd) {
        arr = (double)t + c->lat_intra_ns + (double)m->len / c->bw_intra;
    } else {
        double start = (double)(t > s->nic_free[ns] ? t : s->nic_free[ns]);
        double tx = (double)m->len / c->bw_inter;
        s->nic_free[ns] = (uint64_t)ceil(start + tx);
        arr = start + tx + c->lat_inter_ns;
    }
    if (c->jitter_ns > 0) arr += c->jitter_ns * (double)(rnd(s) >> 11) * 0x1.0p-53;
    uint64_t ta = (uint64_t)ceil(arr);
    bool strike = s->c->peers ? m->data[0] == TF__MSG_LOOT && m->chunks
                              : m->len > TF__RHDR_LEN + 1 &&
                                    (m->dst == 0) == (s->c->fault == SIM_FAULT_LOSE) &&
                                    (m->dst == 0 || m->chunks);
    if (s->c->fault && !s->faulted && strike) {
        s->faulted = true;
        if (s->c->fault == SIM_FAULT_LOSE) {
            free(m->data);
            free(m);
            return;
        }
        msg *d = xrealloc(NULL, sizeof *d);
        *d = *m;
        d->data = xrealloc(NULL, m->len);
        memcpy(d->data, m->data, m->len);
        s->chunks_inflight += d->chunks;
        net_send(s, d, t);
    }
    if (getenv("SIM_DBG"))
        printf("%.6f send %d->%d type %d len %zu chunks %llu arr %.6f\n", t * 1e-9, m->src, m->dst,
               m->data[0], m->len, (unsigned long long)m->chunks, ta * 1e-9);
    uint64_t *last = fifo_slot(
        s, ((uint64_t)m->src << 33 | (uint64_t)m->dst << 1 | (m->tag == TF__TAG_CTL)) + 1);
    if (ta < *last) ta = *last;
    *last = ta;
    s->rk[m->src].sends_inflight++;
    at(s, ta, EV_ARRIVE, m->dst, 0, m);
}

/* Sends made during a call leave when the call's time is over. */
static void outbox_add(sim *s, msg *m)
{
    m->next = NULL;
    if (s->out_tail)
        s->out_tail->next = m;
    else
        s->out_head = m;
    s->out_tail = m;
}

static void outbox_flush(sim *s, uint64_t t)
{
    for (msg *m = s->out_head, *n; m; m = n) {
        n = m->next;
        net_send(s, m, t);
    }
    s->out_head = s->out_tail = NULL;
}

/* ---- the coordinator's links ------------------------------------------------------ */

static void sl_begin(simlink *l)
{
    if (l->out.len == 0 && tf__buf_u8(&l->out, TF__MSG_TASKS) < 0) oom();
}

static int sl_put(tf__link *ln, const tf__item *it, tf__job *j)
{
    (void)j;
    simlink *l = (simlink *)ln;
    sl_begin(l);
    if (it->job) {
        if (it->gid >= l->ndefined) {
            size_t n = it->gid + 8;
            l->defined = xrealloc(l->defined, n);
            memset(l->defined + l->ndefined, 0, n - l->ndefined);
            l->ndefined = n;
        }
        if (!l->defined[it->gid] && tf__msg_put_def(&l->out, it->gid, it->fname) < 0) oom();
        l->defined[it->gid] = 1;
    }
    const char *bp;
    size_t bn;
    if (tf__msg_put_chunk(&l->out, it, 0, &bp, &bn) < 0) oom();
    tf__rbuf_unref(it->owner);
    l->chunks++;
    l->s->chunks_inflight++;
    return 0;
}

static bool sl_full(const tf__link *ln, const tf__item *it)
{
    const simlink *l = (const simlink *)ln;
    size_t bytes = 64 + (it->layout == TF__FIXED ? it->elem * it->count : 0);
    return l->out.len > 1 && l->out.len + bytes > TF__MAX_MSG / 2;
}

static uint64_t sl_queued(const tf__link *ln, uint64_t reported)
{
    (void)ln;
    return reported;
}

static void sl_share(tf__link *ln)
{
    simlink *l = (simlink *)ln;
    sl_begin(l);
    if (tf__buf_u8(&l->out, TF__R_SHARE) < 0) oom();
    l->s->res->shares++;
}

static void check_at_stop(sim *s);

static void sl_stop(tf__link *ln, int rv)
{
    simlink *l = (simlink *)ln;
    sl_begin(l);
    if (tf__buf_u8(&l->out, TF__R_STOP) < 0 || tf__buf_u32(&l->out, (uint32_t)rv) < 0) oom();
    check_at_stop(l->s);
}

static int sl_flush(tf__link *ln)
{
    simlink *l = (simlink *)ln;
    if (l->out.len == 0) return 0;
    msg *m = xrealloc(NULL, sizeof *m);
    *m = (msg){.src = l->src,
               .dst = ln->rank,
               .tag = TF__TAG_MSG,
               .data = l->out.p,
               .len = l->out.len,
               .chunks = l->chunks};
    l->out = (tf__buf){0};
    l->chunks = 0;
    if (l->src == 0) {
        l->s->res->r0_sent++;
        l->s->res->r0_sent_type[TF__MSG_TASKS]++;
    }
    l->s->rk[l->src].run_sent++;
    outbox_add(l->s, m);
    return 1;
}

static void sl_reset(tf__link *ln)
{
    simlink *l = (simlink *)ln;
    tf__buf_free(&l->out);
    free(l->defined);
    l->defined = NULL;
    l->ndefined = 0;
    l->chunks = 0;
}

static void sl_destroy(tf__link *ln)
{
    sl_reset(ln);
    free(ln);
}

static const tf__link_ops sim_link_ops = {
    .put = sl_put,
    .full = sl_full,
    .queued = sl_queued,
    .share = sl_share,
    .stop = sl_stop,
    .flush = sl_flush,
    .reset = sl_reset,
    .destroy = sl_destroy,
};

/* ---- the coordinator's calls, timed -------------------------------------------------- */

static uint64_t real_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The library's clock (core/clock.h), in place of clock.c's: the virtual
 * time while a run is simulated (the service thread's cursor inside its
 * turn), so that the library's timed rules (the peer role's "thieves
 * about" window, a steal's latency) follow virtual time and a run stays
 * deterministic; the real clock otherwise. */
uint64_t tf__now_ns(void)
{
    if (g_sim) return g_sim->in_turn ? g_sim->cursor : g_sim->now;
    return real_ns();
}

/* The virtual time of a coordinator's (or a relay's) call that took
 * real_dt ns for real: a step (slots > 0) passes over its slots (every
 * rank without leaders). */
static uint64_t coord_cost(sim *s, uint64_t real_dt, size_t bytes, int slots, uint64_t puts)
{
    const sim_cfg *c = s->c;
    if (c->coord_measured) return (uint64_t)((double)real_dt * c->coord_scale);
    double v = c->coord_call_ns + c->coord_byte_ns * (double)bytes;
    if (slots > 0) v += c->coord_rank_ns * slots + c->coord_put_ns * (double)puts;
    return (uint64_t)v;
}

static void coord_message(sim *s, int src, tf__rbuf *rb)
{
    uint64_t r0 = real_ns();
    s->role.on_message(s->role.arg, src, rb);
    s->cursor += coord_cost(s, real_ns() - r0, rb->len, 0, 0);
}

/* A node leader's relay takes a message (TASKS from its parent, RESULTS
 * from its slots), timed as the coordinator's calls. */
static void relay_message(sim *s, vrank *v, bool tasks, int src, tf__rbuf *rb)
{
    uint64_t r0 = real_ns();
    if (tasks)
        v->ld->role.on_tasks(v->ld->role.arg, src, rb);
    else
        v->ld->role.on_message(v->ld->role.arg, src, rb);
    s->cursor += coord_cost(s, real_ns() - r0, rb->len, 0, 0);
}

/* A leader's own worker's RESULTS: into its relay (tf__relay_uplink), timed
 * like any message the relay takes. */
static void leader_emit(void *arg, tf__buf *b)
{
    vrank *v = arg;
    sim *s = v->s;
    size_t len = b->len;
    tf__uplink u = tf__relay_uplink(v->ld->relay);
    uint64_t r0 = real_ns();
    u.emit(u.arg, b);
    s->cursor += coord_cost(s, real_ns() - r0, len, 0, 0);
}

/* A relay's merged RESULTS to its parent (the relay's send_up): over the
 * network from the leader's rank, leaving when the call's time is over. */
static void relay_send_up(void *arg, tf__buf *b)
{
    vrank *v = arg;
    sim *s = v->s;
    msg *m = xrealloc(NULL, sizeof *m);
    *m = (msg){.src = v->rank, .dst = v->up, .tag = TF__TAG_MSG, .data = b->p, .len = b->len};
    *b = (tf__buf){0};
    v->run_sent++;
    s->cursor += s->c->msg_ns;
    outbox_add(s, m);
}

/* The own worker's RESULTS: straight into the coordinator (coord.c's
 * uplink), timed like any message it takes. */
static void own_emit(void *arg, tf__buf *b)
{
    sim *s = arg;
    tf__rbuf *rb = tf__rbuf_wrap(b->p, b->len);
    if (!rb) oom();
    *b = (tf__buf){0};
    s->res->r0_loop_in++;
    coord_message(s, 0, rb);
    tf__rbuf_unref(rb);
}

/* A rank's RESULTS onto the network. */
static void net_emit(void *arg, tf__buf *b)
{
    sim *s = arg;
    msg *m = xrealloc(NULL, sizeof *m);
    *m = (msg){.src = s->emit_src,
               .dst = s->rk[s->emit_src].up,
               .tag = TF__TAG_MSG,
               .data = b->p,
               .len = b->len};
    *b = (tf__buf){0};
    s->rk[s->emit_src].run_sent++;
    s->cursor += s->c->msg_ns;
    net_send(s, m, s->cursor);
}

/* ---- the peers' network (peer scheduling) -------------------------------------------- */

/* The tasks a LOOT message carries (its CHUNK records), so that the checks
 * know what is on the way. */
static uint64_t loot_items(const char *p, size_t n)
{
    tf__rd r;
    tf__rd_init(&r, p, n);
    (void)tf__rd_u8(&r);
    (void)tf__rd_u8(&r);
    uint64_t k = 0;
    while (!r.err && tf__rd_left(&r)) {
        tf__item it;
        size_t bulk;
        if (tf__rd_u8(&r) != TF__R_CHUNK || tf__msg_get_chunk(&r, &it, &bulk) < 0) break;
        k++;
    }
    return k;
}

/* A rank's peer role sends, during its service turn: the message leaves
 * when its sending time is over. */
static void peers_send(void *arg, int dest, int tag, tf__buf *b)
{
    vrank *v = arg;
    sim *s = v->s;
    msg *m = xrealloc(NULL, sizeof *m);
    *m = (msg){.src = v->rank, .dst = dest, .tag = tag, .data = b->p, .len = b->len};
    *b = (tf__buf){0};
    if (m->len && m->data[0] == TF__MSG_LOOT) {
        m->chunks = loot_items(m->data, m->len);
        s->chunks_inflight += m->chunks;
    }
    if (tag == TF__TAG_MSG) v->run_sent++;
    if (v->rank == 0) {
        s->res->r0_sent++;
        if (m->len) s->res->r0_sent_type[(uint8_t)m->data[0] & 15]++;
    }
    s->cursor += s->c->msg_ns;
    net_send(s, m, s->cursor);
}

static void peers_counts(void *arg, uint64_t *sent, uint64_t *recv)
{
    vrank *v = arg;
    *sent = v->run_sent;
    *recv = v->run_recv;
}

static int coord_step(sim *s)
{
    uint64_t puts0 = s->res->r0_sent + s->res->r0_loop_out;
    uint64_t chunks0 = s->chunks_inflight;
    uint64_t r0 = real_ns();
    int rc = s->role.step(s->role.arg);
    uint64_t dt = real_ns() - r0;
    uint64_t puts = s->chunks_inflight - chunks0 + (s->res->r0_sent + s->res->r0_loop_out - puts0);
    s->cursor += coord_cost(s, dt, 0, s->nlinks, puts);
    return rc;
}

/* A node leader's relay's step (hands chunks on, flushes its links, sends
 * merged results up), timed as the coordinator's over the leader's slots;
 * what it sent leaves when the step's time is over. */
static int relay_step(sim *s, vrank *v)
{
    uint64_t sent0 = v->run_sent, chunks0 = s->chunks_inflight;
    uint64_t r0 = real_ns();
    int rc = v->ld->role.step(v->ld->role.arg);
    uint64_t dt = real_ns() - r0;
    uint64_t puts = s->chunks_inflight - chunks0 + (v->run_sent - sent0);
    s->cursor += coord_cost(s, dt, 0, v->ld->nlinks, puts);
    outbox_flush(s, s->cursor);
    return rc;
}

static void on_notify(void *arg)
{
    sim *s = arg;
    tf__waiter_wake(&s->rk[0].main_w);
}

static void on_wake(void *arg)
{
    sim *s = arg;
    tf__waiter_wake(&s->rk[0].svc_w);
}

/* ---- wake-ups ------------------------------------------------------------------------ */

static bool take_flag(tf__waiter *w) { return atomic_exchange(&w->flag, 0) != 0; }
static bool has_flag(tf__waiter *w) { return atomic_load(&w->flag) != 0; }

/* A thread that waits notices a wake the real code gave it: at once while
 * it still spins, after a wake-up once it blocks. */
static void pump(sim *s, int r, uint64_t t)
{
    vrank *v = &s->rk[r];
    if (v->main == MAIN_WAIT && has_flag(&v->main_w)) {
        take_flag(&v->main_w);
        uint64_t lat = t - v->main_wait_t0 < s->c->main_spin_ns ? 0 : s->c->wake_ns;
        v->main = MAIN_READY;
        at(s, t + lat, EV_MAIN, r, ++v->main_gen, NULL);
    }
    if (v->svc == SVC_SLEEP && has_flag(&v->svc_w)) {
        take_flag(&v->svc_w);
        uint64_t lat = t - v->svc_wait_t0 < s->c->svc_spin_ns ? 0 : s->c->wake_ns;
        /* on a shared core it stays asleep until its wake-up, which then
         * waits for the core if a task runs on it (the main loop's EV_SVC) */
        bool core = s->c->shared_core && (s->c->preempt_ns || s->c->preempt_nq >= 2);
        if (!core) v->svc = SVC_TURN;
        at(s, t + lat, EV_SVC, r, ++v->svc_gen, NULL);
    }
}

/* ---- the checks ------------------------------------------------------------------------ */

/* When STOP goes out, no task may be left anywhere and every one must have
 * run. */
static void check_at_stop(sim *s)
{
    if (s->stop_seen) return;
    s->stop_seen = true;
    if (s->tasks_done != s->wl->total)
        fail(s, "STOP with %" PRIu64 " of %" PRIu64 " tasks run", s->tasks_done, s->wl->total);
    if (s->chunks_inflight)
        fail(s, "STOP with %" PRIu64 " items on the way to ranks", s->chunks_inflight);
    for (int r = 0; r < s->P; r++) {
        vrank *v = &s->rk[r];
        tf__worker *w = &v->w;
        if (v->main == MAIN_BUSY || tf__queue_len(&w->inq) || tf__queue_len(&w->spawnq) ||
            w->batch_next < w->batch_len) {
            fail(s, "STOP while rank %d holds work (running %d, queued %zu+%zu, batch %zu)", r,
                 v->main == MAIN_BUSY, tf__queue_len(&w->inq), tf__queue_len(&w->spawnq),
                 w->batch_len - w->batch_next);
            break;
        }
    }
}

/* Peer scheduling: when rank 0 sends END, no task may be left anywhere,
 * every one must have run, and every message of the run (tag MSG) must
 * have been received. */
static void check_at_end(sim *s)
{
    if (s->stop_seen) return;
    s->stop_seen = true;
    if (s->tasks_done != s->wl->total)
        fail(s, "END with %" PRIu64 " of %" PRIu64 " tasks run", s->tasks_done, s->wl->total);
    if (s->chunks_inflight)
        fail(s, "END with %" PRIu64 " items on the way to ranks", s->chunks_inflight);
    uint64_t sent = 0, recv = 0;
    for (int r = 0; r < s->P; r++) {
        vrank *v = &s->rk[r];
        tf__worker *w = &v->w;
        sent += v->run_sent;
        recv += v->run_recv;
        if (v->main == MAIN_BUSY || tf__queue_len(&w->inq) || tf__queue_len(&w->spawnq) ||
            w->batch_next < w->batch_len || w->ho_head || v->in_head) {
            fail(s,
                 "END while rank %d holds work (running %d, queued %zu+%zu, batch %zu, "
                 "unsent %d, unreceived %d)",
                 r, v->main == MAIN_BUSY, tf__queue_len(&w->inq), tf__queue_len(&w->spawnq),
                 w->batch_len - w->batch_next, w->ho_head != NULL, v->in_head != NULL);
            break;
        }
    }
    if (sent != recv)
        fail(s, "END with %" PRIu64 " messages sent and %" PRIu64 " received", sent, recv);
    /* what a relay holds is on the way too: ranges not all handed on or
     * not all back, results not yet sent up */
    for (int r = 1; r < s->P; r++)
        if (s->rk[r].ld && !tf__relay_passive(s->rk[r].ld->relay)) {
            fail(s, "END while node leader %d's relay holds tasks or results", r);
            break;
        }
}

/* The map's results: every task's output is in, once, and says its index. */
static void check_results(sim *s)
{
    tf__job *j = s->job;
    if (j->done != j->n || j->failed)
        return fail(s, "job: %zu of %zu results, %zu failed", j->done, j->n, j->failed);
    uint64_t counted = 0;
    for (size_t i = 0; i < j->recs.n; i++) counted += j->recs.v[i].count;
    if (counted != j->n)
        return fail(s, "job: records hold %" PRIu64 " results for %zu tasks", counted, j->n);
    for (uint64_t i = 0; i < j->n; i++) {
        tf__rec *rec = tf__recs_find(&j->recs, i);
        const char *p;
        size_t len;
        if (!rec || tf__rec_get(rec, (uint32_t)(i - rec->first), &p, &len) != 0 || !p ||
            len != s->wl->out_bytes)
            return fail(s, "job: no result for task %" PRIu64, i);
        uint64_t got;
        memcpy(&got, p, 8);
        if (got != i) return fail(s, "job: task %" PRIu64 "'s result says %" PRIu64, i, got);
    }
}

/* ---- the main thread -------------------------------------------------------------------- */

static const sim_task *task_of(const tf__item *it, uint32_t k, sim_task *buf)
{
    size_t off = 0, len = 0;
    const char *p = NULL;
    for (uint32_t i = 0; i <= k; i++) p = tf__item_input(it, i, &off, &len);
    if (len != SIM_TASK_LEN) return NULL;
    memcpy(buf, p, SIM_TASK_LEN);
    return buf;
}

/* The driver's side on rank 0: tf_run's driver returns once its job is
 * complete (a map), or at once (a tree: its end is termination counting's
 * alone). */
static void driver_look(sim *s, uint64_t t)
{
    if (s->finished) return;
    tf__coord_lock(s->co);
    bool done = !s->wl->driver_waits || tf__job_complete(s->job);
    /* tf__driver_finish: under peer scheduling the driver's end waits for
     * the waves to confirm that every spawned task finished */
    if (s->c->peers) done = done && tf__coord_quiet_locked(s->co);
    tf__coord_unlock(s->co);
    if (!done) return;
    if (s->wl->driver_waits) check_results(s);
    s->finished = true;
    tf__coord_finish(s->co, 0);
    pump(s, 0, t);
}

static void main_turn(sim *s, int r, uint64_t t)
{
    vrank *v = &s->rk[r];
    if (r == 0) driver_look(s, t);
    if (v->svc == SVC_DONE) {
        v->main = MAIN_DONE; /* tf__work_until_done returns */
        return;
    }
    tf__item it;
    size_t left;
    if (tf__worker_take(&v->w, &it, &left)) {
        v->w.idle_reported = false;
        atomic_store_explicit(&v->w.running, true, memory_order_relaxed); /* as task.c */
        uint64_t cost = s->c->item_ns;
        for (uint32_t k = 0; k < it.count; k++) {
            sim_task tb;
            const sim_task *st = task_of(&it, k, &tb);
            if (!st) {
                fail(s, "rank %d got a task with a bad input", r);
                return;
            }
            cost += s->wl->cost_ns(s->wl, st);
        }
        if (getenv("SIM_DBG")) printf("%.6f run %d count %u\n", t * 1e-9, r, it.count);
        v->item = it;
        v->item_left = left;
        v->main = MAIN_BUSY;
        v->done_t = t + cost;
        at(s, v->done_t, EV_DONE, r, ++v->done_gen, NULL);
        pump(s, r, t);
        return;
    }
    tf__worker_idle(&v->w);
    v->w.cur_t0 = t;
    pump(s, r, t);
    if (take_flag(&v->main_w)) { /* woken meanwhile: the wait returns at once */
        v->main = MAIN_READY;
        at(s, t, EV_MAIN, r, ++v->main_gen, NULL);
        return;
    }
    v->main = MAIN_WAIT;
    v->main_wait_t0 = t;
    at(s, t + MAIN_WAIT_NS, EV_MAIN, r, ++v->main_gen, NULL);
    /* a service thread waiting for the core gets it once the main thread
     * stops spinning and blocks */
    uint64_t free_t = t + s->c->main_spin_ns;
    if (v->svc == SVC_CORE && free_t < v->core_t) {
        v->core_t = free_t;
        at(s, free_t, EV_SVC, r, ++v->svc_gen, NULL);
    }
}

/* A spawn, queued as tf_spawn queues it: counted first, then queued. */
static void spawn(vrank *v, int r, const sim_task *kid)
{
    static const char name[] = FN_NAME;
    tf__worker *w = &v->w;
    tf__rbuf *rb = tf__rbuf_new(sizeof name + SIM_TASK_LEN);
    if (!rb) oom();
    memcpy(rb->data, name, sizeof name);
    memcpy(rb->data + sizeof name, kid, SIM_TASK_LEN);
    tf__item it;
    memset(&it, 0, sizeof it);
    it.first_id = tf__spawned_id(r, w->spawn_seq++);
    it.count = 1;
    it.layout = TF__FIXED;
    it.elem = SIM_TASK_LEN;
    it.data = rb->data + sizeof name;
    it.owner = rb;
    it.fname = rb->data;
    atomic_fetch_add(&w->spawned, 1);
    pthread_mutex_lock(&w->lock);
    int rc = tf__queue_push_back(&w->spawnq, &it);
    pthread_mutex_unlock(&w->lock);
    if (rc < 0) oom();
    w->st.spawned++;
    atomic_fetch_add_explicit(&w->spawn_calls, 1, memory_order_relaxed);
    if (atomic_load_explicit(&w->hungry, memory_order_relaxed))
        atomic_store_explicit(&w->hungry, 0, memory_order_relaxed);
}

/* The running item ends: its tasks' outputs written into cur as run_item
 * writes them, their children spawned, and the handover rule applied. */
static void item_done(sim *s, int r, uint64_t t)
{
    vrank *v = &s->rk[r];
    tf__worker *w = &v->w;
    tf__item *it = &v->item;
    bool record = it->job != 0 || w->spawn_records;
    tf__buf *ob = &w->cur->b;
    atomic_store_explicit(&w->running, false, memory_order_relaxed); /* as task.c */
    size_t hpos = ob->len, lpos = hpos + TF__RESULT_HDR_LEN;
    uint64_t dt = 0;
    if (record) {
        size_t need = TF__RESULT_HDR_LEN + (4 + (size_t)s->wl->out_bytes) * it->count;
        if (!tf__buf_room(ob, need)) oom();
        ob->len += TF__RESULT_HDR_LEN + 4 * (size_t)it->count;
    }
    for (uint32_t k = 0; k < it->count; k++) {
        sim_task tb, kids[SIM_KIDS_MAX];
        const sim_task *st = task_of(it, k, &tb);
        dt += s->wl->cost_ns(s->wl, st);
        if (!idset_add(&s->ran, st->id))
            fail(s, "task %" PRIx64 " ran twice (the second time on rank %d)", st->id, r);
        s->tasks_done++;
        uint32_t n = s->wl->children(s->wl, st, kids, SIM_KIDS_MAX);
        for (uint32_t c = 0; c < n; c++) spawn(v, r, &kids[c]);
        if (record) {
            uint32_t len = s->wl->out_bytes;
            char out[64] = {0};
            memcpy(out, &st->id, 8);
            memcpy(ob->p + lpos + 4 * (size_t)k, &len, 4);
            if (tf__buf_put(ob, out, len < sizeof out ? len : sizeof out) < 0) oom();
            if (len > sizeof out) ob->len += len - sizeof out; /* room made above */
        }
    }
    if (record) {
        tf__result_hdr h = {it->job, it->first_index, it->first_id, it->count, 0, dt};
        tf__msg_put_result_hdr(ob->p + hpos, &h);
    } else {
        if (w->central) w->cur->spawn_ok += it->count; /* as task.c: peers do not count them */
    }
    w->st.tasks += it->count;
    w->st.chunks++;
    tf__rbuf_unref(it->owner);
    s->last_task_t = s->last_progress = t;
    int rep = tf__sched_report(it->job != 0, v->item_left, &w->report_below, w->cur->b.len,
                               t - w->cur_t0);
    if (rep != TF__REPORT_NONE) {
        tf__worker_handover(w, 0, rep == TF__REPORT_WAKE);
        w->cur_t0 = t;
    }
    v->main = MAIN_READY;
    pump(s, r, t);
    at(s, t, EV_MAIN, r, ++v->main_gen, NULL);
}

/* ---- the service thread ------------------------------------------------------------------- */

static void receive(sim *s, int r, msg *m)
{
    vrank *v = &s->rk[r];
    tf__rbuf *rb = tf__rbuf_wrap(m->data, m->len);
    if (!rb) oom();
    s->cursor += s->c->msg_ns;
    if (s->c->peers) { /* service.c's dispatch_message */
        uint8_t type = (uint8_t)m->data[0];
        if (m->tag == TF__TAG_MSG) v->run_recv++;
        if (r == 0) {
            s->res->r0_recv++;
            s->res->r0_recv_type[type & 15]++;
        }
        if (type == TF__MSG_TASKS && v->ld) {
            relay_message(s, v, true, m->src, rb);
        } else if (type == TF__MSG_TASKS) {
            tf__worker_on_tasks(&v->w, NULL, m->src, rb);
        } else if (type == TF__MSG_RESULTS && r == 0) {
            coord_message(s, m->src, rb);
        } else if (type == TF__MSG_RESULTS && v->ld) {
            relay_message(s, v, false, m->src, rb);
        } else if (type >= TF__MSG_STEAL && type <= TF__MSG_BEGIN) {
            tf__peers_on_message(&v->peers, m->src, rb);
        } else {
            fail(s, "rank %d got a message of type %u", r, type);
        }
        s->chunks_inflight -= m->chunks;
    } else if (r == 0) {
        s->res->r0_recv++;
        coord_message(s, m->src, rb);
    } else {
        tf__worker_on_tasks(&v->w, NULL, m->src, rb);
        s->chunks_inflight -= m->chunks;
    }
    tf__rbuf_unref(rb);
    free(m);
}

/* One turn of service.c's loop at time t: receive, collect, the role's
 * step; then the next turn at once if it did anything, else the idle
 * wait's back-off. */
static void svc_turn_peers(sim *s, int r, uint64_t t);

/* One core a rank: the service thread's turn took its time from the task
 * the main thread runs. */
static void share_core(sim *s, int r, uint64_t busy)
{
    vrank *v = &s->rk[r];
    if (!s->c->shared_core || v->main != MAIN_BUSY || !busy) return;
    v->done_t += busy;
    at(s, v->done_t, EV_DONE, r, ++v->done_gen, NULL);
}
static void svc_idle(sim *s, int r, uint64_t now, uint64_t soon);

static void svc_turn_central(sim *s, int r, uint64_t t);

static void svc_turn(sim *s, int r, uint64_t t)
{
    s->in_turn = true;
    if (s->c->peers)
        svc_turn_peers(s, r, t);
    else
        svc_turn_central(s, r, t);
    s->in_turn = false;
}

static void svc_turn_central(sim *s, int r, uint64_t t)
{
    vrank *v = &s->rk[r];
    s->cursor = t + s->c->svc_turn_ns;
    int did = 0;
    for (int k = 0; k < RECV_BATCH && v->in_head; k++) {
        msg *m = v->in_head;
        v->in_head = m->next;
        if (!v->in_head) v->in_tail = NULL;
        receive(s, r, m);
        did = 1;
    }
    if (r == 0) {
        did |= tf__worker_collect(&v->w, &s->up_own);
        if (!s->role_over) {
            int rc = coord_step(s);
            if (rc < 0) {
                s->role_over = true;
                s->res->makespan_s = (double)s->cursor * 1e-9;
            } else {
                did |= rc;
            }
        }
        outbox_flush(s, s->cursor);
        s->svc0_busy_ns += s->cursor - t;
    } else {
        s->emit_src = r;
        did |= tf__worker_collect(&v->w, &s->up_net);
    }
    uint64_t now = s->cursor;
    share_core(s, r, now - t);
    pump(s, r, now);
    if ((r != 0 || s->role_over) && tf__worker_done(&v->w)) {
        v->svc = SVC_DONE;
        if (v->main == MAIN_WAIT) { /* run_done wakes the main thread */
            v->main = MAIN_READY;
            at(s, now, EV_MAIN, r, ++v->main_gen, NULL);
        }
        return;
    }
    if (did) {
        v->backoff = 0;
        at(s, now, EV_SVC, r, ++v->svc_gen, NULL);
        return;
    }
    svc_idle(s, r, now, 0);
}

static msg *pop_in(msg **head, msg **tail)
{
    msg *m = *head;
    *head = m->next;
    if (!*head) *tail = NULL;
    return m;
}

/* Its idle wait: service.c's idle_wait (the cap lowered to what the peer
 * role asks for), or at once if a wake is pending. */
static void svc_idle(sim *s, int r, uint64_t now, uint64_t soon)
{
    vrank *v = &s->rk[r];
    uint64_t cap = v->sends_inflight ? s->c->pending_poll_ns : s->c->idle_max_ns;
    if (soon && soon < cap) cap = soon;
    uint64_t next = v->backoff ? v->backoff * 2 : s->c->idle_min_ns;
    v->backoff = next > cap ? cap : next;
    if (take_flag(&v->svc_w)) { /* a wake is pending: the wait returns at once */
        at(s, now, EV_SVC, r, ++v->svc_gen, NULL);
        return;
    }
    v->svc = SVC_SLEEP;
    v->svc_wait_t0 = now;
    at(s, now + v->backoff + s->c->slack_ns, EV_SVC, r, ++v->svc_gen, NULL);
}

/* A turn of service.c's loop under peer scheduling: receive (tag MSG, then
 * tag CTL), collect, the coordinator's step on rank 0, the peer role's
 * step; the rank's run is over once END came. */
static void svc_turn_peers(sim *s, int r, uint64_t t)
{
    vrank *v = &s->rk[r];
    s->cursor = t + s->c->svc_turn_ns;
    int did = 0;
    for (int k = 0; k < RECV_BATCH && v->in_head; k++) {
        receive(s, r, pop_in(&v->in_head, &v->in_tail));
        did = 1;
    }
    for (int k = 0; k < RECV_BATCH && v->ctl_head; k++) {
        receive(s, r, pop_in(&v->ctl_head, &v->ctl_tail));
        did = 1;
    }
    if (r == 0) {
        did |= tf__worker_collect(&v->w, &s->up_own);
        int rc = coord_step(s);
        if (rc > 0) did = 1;
        outbox_flush(s, s->cursor);
    } else if (v->ld) {
        did |= tf__worker_collect(&v->w, &(tf__uplink){leader_emit, v});
        did |= relay_step(s, v) > 0;
    } else {
        s->emit_src = r;
        did |= tf__worker_collect(&v->w, &s->up_net);
    }
    did |= tf__peers_step(&v->peers);
    if (r == 0) s->svc0_busy_ns += s->cursor - t;
    uint64_t now = s->cursor;
    share_core(s, r, now - t);
    pump(s, r, now);
    if (tf__peers_over(&v->peers)) {
        v->svc = SVC_DONE;
        s->svc_done++;
        if (r == 0) {
            s->role_over = true;
            s->res->makespan_s = (double)now * 1e-9;
            check_at_end(s);
        }
        if (v->main == MAIN_WAIT) { /* run_done wakes the main thread */
            v->main = MAIN_READY;
            at(s, now, EV_MAIN, r, ++v->main_gen, NULL);
        }
        return;
    }
    if (did) {
        v->backoff = 0;
        at(s, now, EV_SVC, r, ++v->svc_gen, NULL);
        return;
    }
    svc_idle(s, r, now, tf__peers_poll_ns(&v->peers));
}

/* ---- a run ---------------------------------------------------------------------------------- */

static int fake_fn(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t, (void)in, (void)len, (void)out;
    return 0;
}

/* A link from rank src to rank dst: the loopback one to its own worker,
 * else one over the simulated network. */
static tf__link *make_link(sim *s, int src, int dst)
{
    if (dst == src) {
        tf__link *l = tf__link_loopback(&s->rk[src].ctx, &s->rk[src].w, src);
        if (!l) oom();
        return l;
    }
    simlink *l = calloc(1, sizeof *l);
    if (!l) oom();
    *l = (simlink){.l = {.ops = &sim_link_ops, .rank = dst}, .s = s, .src = src};
    return &l->l;
}

/* A node leader's part of passive (core/wave.h), as the pool gives it: its
 * relay holds nothing; it hands out no work without a message. */
static bool relay_passive(void *arg, uint64_t *acts)
{
    *acts = 0;
    return tf__relay_passive(arg);
}

/* Who hands each rank its job tasks and takes its results, as the pool's
 * make_job_roles: with node leaders (peer scheduling, more than one group)
 * rank 0's coordinator reaches its group and the leaders below it, and
 * every other leader's real relay its group and the leaders below it;
 * else rank 0 reaches every rank. */
static void make_job_roles(sim *s, const int *node_of)
{
    const sim_cfg *c = s->c;
    tf__groups g = {0};
    bool leaders = false;
    if (c->peers && c->leaders >= 0) {
        if (tf__groups_make(&g, s->P, node_of, c->leaders, TF__LEADER_FANOUT) < 0) oom();
        leaders = g.ngroups > 1;
    }
    if (!leaders) {
        s->nlinks = s->P;
        s->links = calloc((size_t)s->P, sizeof *s->links);
        if (!s->links) oom();
        for (int r = 0; r < s->P; r++) s->links[r] = make_link(s, 0, r);
        tf__groups_free(&g);
        return;
    }
    int cap = g.fanout;
    for (int k = 0; k < g.ngroups; k++)
        if (tf__groups_count(&g, k) + g.fanout > cap) cap = tf__groups_count(&g, k) + g.fanout;
    int *rank = malloc((size_t)cap * sizeof *rank);
    s->weight = malloc((size_t)cap * sizeof *s->weight);
    s->slot_of = malloc((size_t)s->P * sizeof *s->slot_of);
    s->links = calloc((size_t)cap, sizeof *s->links);
    if (!rank || !s->weight || !s->slot_of || !s->links) oom();
    s->nlinks = tf__groups_slots(&g, 0, rank, s->weight, s->slot_of);
    for (int k = 0; k < s->nlinks; k++) s->links[k] = make_link(s, 0, rank[k]);
    for (int r = 1; r < s->P; r++) s->rk[r].up = tf__groups_up(&g, r);
    for (int k = 1; k < g.ngroups; k++) {
        vrank *v = &s->rk[g.leader[k]];
        leader *ld = calloc(1, sizeof *ld);
        if (!ld) oom();
        ld->weight = malloc((size_t)cap * sizeof *ld->weight);
        ld->links = calloc((size_t)cap, sizeof *ld->links);
        if (!ld->weight || !ld->links) oom();
        ld->nlinks = tf__groups_slots(&g, k, rank, ld->weight, NULL);
        for (int q = 0; q < ld->nlinks; q++) ld->links[q] = make_link(s, v->rank, rank[q]);
        tf__relay_cfg rc = {.ctx = &v->ctx,
                            .tp = NULL,
                            .reg = &s->reg,
                            .up = v->up,
                            .send_up = {relay_send_up, v},
                            .nranks = s->P,
                            .size = ld->nlinks,
                            .links = ld->links,
                            .weight = ld->weight,
                            .prefetch_s = c->prefetch_s,
                            .file_prefetch = true};
        if (tf__relay_create(&rc, &ld->relay) < 0) {
            fprintf(stderr, "tf-sim: cannot make node leader %d's relay\n", v->rank);
            exit(2);
        }
        tf__relay_reset(ld->relay);
        ld->role = tf__relay_role(ld->relay);
        v->ld = ld;
        s->nleaders++;
    }
    free(rank);
    tf__groups_free(&g);
}

static void setup(sim *s)
{
    const sim_cfg *c = s->c;
    s->P = c->ranks;
    s->nnodes = (c->ranks + c->per_node - 1) / c->per_node;
    s->rng = c->seed * 0x2545f4914f6cdd1dull + 1;
    s->rk = calloc((size_t)s->P, sizeof *s->rk);
    s->nic_free = calloc((size_t)s->nnodes, sizeof *s->nic_free);
    if (!s->rk || !s->nic_free) oom();
    if (tf__reg_add(&s->reg, FN_NAME, (void *)fake_fn) < 0) oom();
    for (int r = 0; r < s->P; r++) {
        vrank *v = &s->rk[r];
        v->ctx.rank = r;
        v->ctx.abort_fn = on_fatal;
        if (tf__waiter_init(&v->main_w) || tf__waiter_init(&v->svc_w) ||
            tf__worker_init(&v->w, &v->ctx, NULL, &s->reg, NULL, &v->main_w, &v->svc_w)) {
            fprintf(stderr, "tf-sim: cannot set up rank %d\n", r);
            exit(2);
        }
        v->s = s;
        v->rank = r;
        v->w.central = !c->peers; /* as the pool sets it */
        tf__worker_reset(&v->w, NULL, false);
        v->w.cur_t0 = 0;
    }
    int *node_of = malloc((size_t)s->P * sizeof *node_of);
    if (!node_of) oom();
    for (int r = 0; r < s->P; r++) node_of[r] = r / c->per_node;
    make_job_roles(s, node_of);
    tf__coord_cfg cc = {.ctx = &s->rk[0].ctx,
                        .size = s->nlinks,
                        .links = s->links,
                        .nranks = s->P,
                        .weight = s->weight,
                        .slot_of = s->slot_of,
                        .reg = &s->reg,
                        .chunk_policy = c->chunk_policy,
                        .chunk_size = c->chunk_size,
                        .chunk_target_s = c->chunk_target_s,
                        .prefetch_s = c->prefetch_s,
                        .peers = c->peers,
                        .notify = on_notify,
                        .notify_arg = s,
                        .wake = on_wake,
                        .wake_arg = s};
    if (tf__coord_create(&cc, &tf__coord_central, &s->co) < 0) oom();
    tf__coord_reset(s->co, false);
    s->role = tf__coord_role(s->co);
    if (c->peers) {
        for (int r = 0; r < s->P; r++) {
            vrank *v = &s->rk[r];
            tf__peers_net net = {v, peers_send, peers_counts, false}; /* no doorbells modelled */
            if (tf__peers_init(&v->peers, &v->ctx, &v->w, &net, r, s->P, node_of) < 0) oom();
            tf__peers_reset(&v->peers, NULL);
            /* the library seeds its victims from the clock: a run here is
             * deterministic for its seed instead */
            v->peers.rng = hash64((c->seed + 1) * 0x9e3779b97f4a7c15ull + (uint64_t)r) | 1;
        }
        tf__peers_root root = tf__coord_peers_root(s->co);
        tf__peers_set_root(&s->rk[0].peers, &root);
        for (int r = 1; r < s->P; r++)
            if (s->rk[r].ld) {
                tf__peers_root lr = {s->rk[r].ld->relay, NULL, relay_passive, NULL};
                tf__peers_set_root(&s->rk[r].peers, &lr);
            }
    }
    free(node_of);
    s->up_own = (tf__uplink){own_emit, s};
    s->up_net = (tf__uplink){net_emit, s};
}

static void teardown(sim *s)
{
    /* a job whose results are not all in is still the coordinator's: it
     * frees it (a failed run) */
    bool ours = s->job->done == s->job->n;
    tf__coord_destroy(&s->co);
    if (ours) tf__job_free(s->job);
    free(s->job_in);
    for (int k = 0; k < s->nlinks; k++) s->links[k]->ops->destroy(s->links[k]);
    for (int r = 0; r < s->P; r++) {
        leader *ld = s->rk[r].ld;
        if (ld) {
            tf__relay_destroy(&ld->relay);
            for (int k = 0; k < ld->nlinks; k++) ld->links[k]->ops->destroy(ld->links[k]);
            free(ld->links);
            free(ld->weight);
            free(ld);
        }
        for (int q = 0; q < 2; q++)
            for (msg *m = q ? s->rk[r].ctl_head : s->rk[r].in_head, *n; m; m = n) {
                n = m->next;
                free(m->data);
                free(m);
            }
        if (s->c->peers) {
            tf__steal_stats *st = &s->rk[r].peers.st;
            s->res->steal_attempts += st->attempts;
            s->res->steals += st->steals;
            s->res->tasks_stolen += st->tasks_stolen;
            s->res->pushes += st->pushes;
            s->res->waves += st->waves;
            tf__peers_free(&s->rk[r].peers);
        }
        tf__worker_free(&s->rk[r].w);
        tf__waiter_destroy(&s->rk[r].main_w);
        tf__waiter_destroy(&s->rk[r].svc_w);
    }
    while (s->h.n) {
        ev e = heap_pop(&s->h);
        if (e.kind == EV_ARRIVE) {
            free(((msg *)e.p)->data);
            free(e.p);
        }
    }
    free(s->h.v);
    free(s->rk);
    free(s->nic_free);
    free(s->links);
    free(s->weight);
    free(s->slot_of);
    free(s->fifo);
    free(s->ran.v);
    tf__reg_free(&s->reg);
}

/* The driver's job: the workload's roots, FIXED inputs of SIM_TASK_LEN. */
static void start_job(sim *s)
{
    uint64_t n = s->wl->roots;
    s->job_in = malloc(n ? n * SIM_TASK_LEN : 1);
    s->job = tf__job_new(TF__JOB_MAP, n);
    if (!s->job_in || !s->job) oom();
    for (uint64_t i = 0; i < n; i++) {
        sim_task t;
        s->wl->root(s->wl, i, &t);
        memcpy(s->job_in + i * SIM_TASK_LEN, &t, SIM_TASK_LEN);
    }
    s->job->layout = TF__FIXED;
    s->job->elem = SIM_TASK_LEN;
    s->job->in = s->job_in;
    if (tf__coord_start(s->co, s->job, FN_NAME) < 0) oom();
}

void sim_run(const sim_cfg *c, const sim_workload *wl, sim_result *res)
{
    memset(res, 0, sizeof *res);
    double real0 = (double)real_ns();
    sim s0 = {.c = c, .wl = wl, .res = res}, *s = &s0;
    g_sim = s;
    setup(s);
    /* time 0: the run starts everywhere; the driver starts its job */
    for (int r = 0; r < s->P; r++) {
        s->rk[r].svc = SVC_TURN;
        at(s, 0, EV_SVC, r, s->rk[r].svc_gen, NULL);
        s->rk[r].main = MAIN_READY;
        at(s, 0, EV_MAIN, r, s->rk[r].main_gen, NULL);
    }
    start_job(s);
    uint64_t stall = c->stall_ns;
    if (stall < 20 * wl->max_cost_ns) stall = 20 * wl->max_cost_ns;
    while (s->h.n && !s->failed) {
        ev e = heap_pop(&s->h);
        s->now = e.t;
        res->events++;
        vrank *v = &s->rk[e.rank];
        switch (e.kind) {
        case EV_ARRIVE: {
            msg *m = e.p;
            s->rk[m->src].sends_inflight--;
            m->next = NULL;
            bool ctl = m->tag == TF__TAG_CTL;
            msg **head = ctl ? &v->ctl_head : &v->in_head,
                **tail = ctl ? &v->ctl_tail : &v->in_tail;
            if (*tail)
                (*tail)->next = m;
            else
                *head = m;
            *tail = m;
            /* under peer scheduling messages go on while a run is stuck
             * (the waves; a task passed from thief to thief and never
             * run): only a task's end is progress */
            if (!s->c->peers) s->last_progress = e.t;
            break;
        }
        case EV_SVC:
            if (e.gen != v->svc_gen || v->svc == SVC_DONE) break;
            if (v->svc == SVC_SLEEP && c->shared_core && (c->preempt_ns || c->preempt_nq >= 2) &&
                v->main == MAIN_BUSY) {
                v->svc = SVC_CORE;
                v->core_t = e.t + preempt_wait(s);
                at(s, v->core_t, EV_SVC, e.rank, ++v->svc_gen, NULL);
                break;
            }
            v->svc = SVC_TURN;
            svc_turn(s, e.rank, e.t);
            break;
        case EV_MAIN:
            if (e.gen != v->main_gen || v->main == MAIN_BUSY || v->main == MAIN_DONE) break;
            if (v->main == MAIN_WAIT) take_flag(&v->main_w);
            v->main = MAIN_READY;
            main_turn(s, e.rank, e.t);
            break;
        case EV_DONE:
            if (e.gen == v->done_gen && v->main == MAIN_BUSY) item_done(s, e.rank, e.t);
            break;
        }
        if (c->peers ? s->svc_done == s->P : s->role_over) break;
        if (e.t - s->last_progress > stall) {
            fail(s,
                 "no progress for %.3fs of virtual time: %" PRIu64 " of %" PRIu64
                 " tasks run, %s %s",
                 (double)stall * 1e-9, s->tasks_done, wl->total, c->peers ? "END" : "STOP",
                 s->stop_seen ? "sent" : "not sent");
        }
    }
    if (!s->failed && !s->role_over) fail(s, "the events ran out before the run ended");
    if (!s->failed && c->peers && s->svc_done != s->P)
        fail(s, "the events ran out with %d of %d ranks past END", s->svc_done, s->P);
    if (!s->failed && s->tasks_done != wl->total)
        fail(s, "the run ended with %" PRIu64 " of %" PRIu64 " tasks run", s->tasks_done,
             wl->total);
    if (!s->failed && !s->stop_seen)
        fail(s, c->peers ? "the run ended without END" : "the run ended without STOP");
    res->ok = !s->failed;
    snprintf(res->why, sizeof res->why, "%s", s->why);
    res->tasks_run = s->tasks_done;
    res->r0_slots = s->nlinks;
    res->leaders = s->nleaders;
    res->last_task_s = (double)s->last_task_t * 1e-9;
    if (res->makespan_s > 0) {
        res->efficiency = wl->work_ns * 1e-9 / ((double)s->P * res->makespan_s);
        res->r0_msgs_per_s = (double)(res->r0_sent + res->r0_recv) / res->makespan_s;
        res->r0_busy_frac = (double)s->svc0_busy_ns * 1e-9 / res->makespan_s;
    }
    teardown(s);
    g_sim = NULL;
    res->real_s = ((double)real_ns() - real0) * 1e-9;
}
