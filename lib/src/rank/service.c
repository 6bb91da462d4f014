/* service.c - the service thread of a rank: every MPI call of a run.
 *
 * Thread roles: this file's functions run on the service thread, except
 * tf__service_start/stop/run_begin (main thread, outside tf_run). The main
 * thread hands work over through the worker (under its lock) and wakes this
 * thread through svc_w; this thread wakes the main thread through main_w.
 *
 * A run, on every rank:
 *   parked   -> main sets RUNNING (tf_run) -> the loop below
 *   the loop: complete sends; receive messages (TASKS to the worker,
 *             RESULTS to the role); read files ahead; send what the main
 *             thread handed over (the worker's collect path); give the role
 *             its turn
 *             and, with peer scheduling, steal, push along lifelines and
 *             move the quiescence waves (peers.h)
 *   the end:  central policy: the coordinator sends STOP when no task is
 *             left; each worker answers STOPPED as its last message; the
 *             coordinator's run is over when all have (term.h). Peer
 *             scheduling: rank 0's waves find every rank passive and no
 *             message in flight, and END goes down the waves' tree
 *             (core/wave.h). Either way no message of a run is left
 *             unreceived, and between runs the program may use MPI on its
 *             own.
 * While idle the loop spins briefly, then sleeps with a growing timeout
 * (IDLE_MIN_NS to idle_max_ns, TF_IDLE_MAX_US), so it takes little from
 * the computing thread; with sends in flight it polls at least every
 * PENDING_POLL_NS, as MPI progress needs, and sooner while a steal waits
 * for its answer or this rank holds tasks a thief may ask for. */
#include "rank/service.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/msg.h"
#include "core/timeline.h"
#include "system/files.h"

/* The idle loop's sleeps: from 20 us, doubling to idle_max_ns (200 us by
 * default). A message from another node is noticed within the current
 * sleep, so the cap bounds the reaction time of an idle service thread to
 * it (a rank of this node rings the doorbell instead: system/doorbell.h);
 * the floor keeps a quiet thread off the core. */
#define IDLE_MIN_NS 20000u
/* With sends in flight: poll at least this often (MPI moves fragments and
 * completes sends only when called). */
#define PENDING_POLL_NS 50000u
/* Spin this long before blocking: a reply that comes within a couple of
 * microseconds costs no futex round trip. */
#define SPIN_NS 2000u
/* Messages received from any source in one turn, so that a flood from many
 * ranks does not starve the rest of the loop. */
#define RECV_BATCH 64

static void emit_remote(void *arg, tf__buf *msg)
{
    tf__service *s = arg;
    tf__tp_send(s->tp, s->up_dest, TF__TAG_MSG, msg->p, msg->len, msg->p, NULL, NULL);
    *msg = (tf__buf){0};
}

tf__uplink tf__service_uplink_to(tf__service *s, int dest)
{
    s->up_dest = dest;
    return (tf__uplink){emit_remote, s};
}

static void peers_send(void *arg, int dest, int tag, tf__buf *b)
{
    tf__service *s = arg;
    tf__tp_send(s->tp, dest, tag, b->p, b->len, b->p, NULL, NULL);
    *b = (tf__buf){0};
}

static void peers_counts(void *arg, uint64_t *sent, uint64_t *recv)
{
    tf__service *s = arg;
    *sent = s->tp->run_sent;
    *recv = s->tp->run_recv;
}

tf__peers_net tf__service_peers_net(tf__service *s)
{
    return (tf__peers_net){s, peers_send, peers_counts, false};
}

static void dispatch_message(tf__service *s, int src, tf__rbuf *rb)
{
    uint8_t type = (uint8_t)rb->data[0];
    if (type == TF__MSG_TASKS && s->role && s->role->on_tasks)
        s->role->on_tasks(s->role->arg, src, rb);
    else if (type == TF__MSG_TASKS)
        tf__worker_on_tasks(s->worker, s->tp, src, rb);
    else if (type == TF__MSG_RESULTS && s->role)
        s->role->on_message(s->role->arg, src, rb);
    else if (type >= TF__MSG_STEAL && type <= TF__MSG_BEGIN && s->peers)
        tf__peers_on_message(s->peers, src, rb);
    else
        tf__fatal(s->ctx, "malformed message from rank %d", src);
}

/* Receives one message of tag `tag` (MPI_ANY_TAG: of either tag) from src
 * (MPI_ANY_SOURCE: anyone); 1 if one was there. */
static int recv_one(tf__service *s, int src, int tag)
{
    int from = src, got = tag;
    tf__rbuf *rb = tf__tp_recv(s->tp, src, tag, &from, &got);
    if (!rb) return 0;
    if ((got == TF__TAG_CTL) != ((uint8_t)rb->data[0] >= TF__MSG_WAVE))
        tf__fatal(s->ctx, "malformed message from rank %d", from);
    dispatch_message(s, from, rb);
    tf__rbuf_unref(rb);
    return 1;
}

static int poll_incoming(tf__service *s)
{
    int did = 0;
    const tf__svc_role *role = s->role;
    if (!s->peers && role && role->ending(role->arg)) {
        for (int r = 0; r < s->tp->size; r++)
            while (r != s->tp->rank && role->awaits(role->arg, r) && recv_one(s, r, TF__TAG_MSG))
                did = 1;
        return did;
    }
    /* under peer scheduling both tags in one probe: a turn of a busy loop
     * costs one MPI_Improbe, not two */
    int tag = s->peers ? MPI_ANY_TAG : TF__TAG_MSG;
    for (int turn = 0; turn < RECV_BATCH && recv_one(s, MPI_ANY_SOURCE, tag); turn++) did = 1;
    return did;
}

/* Sleeps; 1 if a message came meanwhile (received and dispatched here). */
static int idle_wait(tf__service *s, uint64_t *backoff)
{
    uint64_t cap = tf__tp_busy(s->tp) ? PENDING_POLL_NS : s->idle_max_ns;
    if (s->peers) {
        uint64_t soon = tf__peers_poll_ns(s->peers);
        if (soon && soon < cap) cap = soon;
    }
    uint64_t next = *backoff ? *backoff * 2 : IDLE_MIN_NS;
    *backoff = next > cap ? cap : next;
    int policy = s->wait_policy == TF_WAIT_YIELD ? TF_WAIT_YIELD : TF_WAIT_AUTO;
    if (tf__waiter_wait(s->svc_w, policy, SPIN_NS, *backoff))
        atomic_fetch_add_explicit(&s->wakeups, 1, memory_order_relaxed);
    /* MPI_Improbe looks for a match before it makes progress (Open MPI's
     * does): a message that came during the sleep is found only by a
     * second call, so one probe a turn would sleep on it once more, a
     * doorbell's wake wasted (a steal took two such sleeps, ~600 us) */
    return poll_incoming(s);
}

static void run_loop(tf__service *s)
{
    uint64_t backoff = 0;
    bool role_over = s->role == NULL;
    tf__tp_run_begin(s->tp);
    for (;;) {
        if (s->trace) tf__trace_tick(s->trace);
        int did = tf__tp_progress(s->tp);
        did |= poll_incoming(s);
        did |= tf__files_step(s->files);
        did |= tf__worker_collect(s->worker, &s->up);
        if (!role_over) {
            int rc = s->role->step(s->role->arg);
            if (rc < 0)
                role_over = true;
            else
                did |= rc;
        }
        if (s->peers) {
            did |= tf__peers_step(s->peers);
            if (tf__peers_over(s->peers)) {
                s->worker->stop_rv = s->peers->rv;
                break;
            }
        } else if (role_over && tf__worker_done(s->worker)) {
            break;
        }
        if (did) {
            backoff = 0;
            continue;
        }
        if (s->wait_policy == TF_WAIT_SPIN) continue;
        if (idle_wait(s, &backoff)) backoff = 0;
    }
    tf__tp_finish(s->tp);
    tf__worker_forget_fns(s->worker);
}

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
    tf__service *s = arg;
    if (s->on_start) s->on_start(s->on_start_arg);
    short_slices();
    for (;;) {
        while (atomic_load(&s->state) == TF__SVC_PARKED)
            tf__waiter_wait(s->park_w, TF_WAIT_BLOCK, 0, 0);
        if (atomic_load(&s->state) == TF__SVC_QUIT) break;
        run_loop(s);
        atomic_store(&s->state, TF__SVC_PARKED);
        atomic_store(&s->run_done, 1);
        tf__waiter_wake(s->main_w);
    }
    return NULL;
}

int tf__service_start(tf__service *s)
{
    atomic_store(&s->state, TF__SVC_PARKED);
    atomic_init(&s->run_done, 0);
    atomic_init(&s->wakeups, 0);
    if (pthread_create(&s->thread, NULL, svc_main, s)) return TF_ESYS;
    s->started = true;
    return 0;
}

void tf__service_stop(tf__service *s)
{
    if (!s->started) return;
    atomic_store(&s->state, TF__SVC_QUIT);
    tf__waiter_wake(s->park_w);
    pthread_join(s->thread, NULL);
    s->started = false;
    tf__worker_forget_fns(s->worker);
    tf__tp_free(s->tp);
}

void tf__service_run_begin(tf__service *s, struct tf__trace *trace)
{
    s->trace = trace;
    atomic_store(&s->run_done, 0);
    atomic_store(&s->state, TF__SVC_RUNNING);
    tf__waiter_wake(s->park_w);
}
