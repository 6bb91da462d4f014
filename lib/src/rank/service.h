/* service.h - a rank's service thread: the loop that moves messages,
 * reads files ahead and, where the rank has a role (the coordinator on rank
 * 0), gives the role its turn. Every MPI call of a run is made from here.
 *
 * Threads: tf__service_start/stop and tf__service_run_begin run on the main
 * thread outside a run; everything else on the service thread. The main
 * thread starts a run by setting the state to RUNNING and waking park_w; the
 * service thread sets run_done and wakes main_w when the run is over. */
#ifndef TF_SERVICE_H
#define TF_SERVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "rank/peers.h"
#include "rank/worker.h"
#include "system/transport.h"
#include "system/wait.h"

struct tf__files;
struct tf__trace;

/* A role this rank plays besides being a worker, registered from above (the
 * coordinator, on rank 0). All run on the service thread. */
typedef struct tf__svc_role {
    void *arg;
    /* a RESULTS message from rank src (or from this rank's own worker) */
    void (*on_message)(void *arg, int src, tf__rbuf *rb);
    /* one turn: 1 if it did anything, 0 if not, -1 once the run is over */
    int (*step)(void *arg);
    /* whether rank src may still send a message of this run; once the run
     * is ending, only those are listened to, so that a message a finished
     * rank sends in the next run is left for the next run */
    bool (*awaits)(void *arg, int src);
    bool (*ending)(void *arg);
    /* a TASKS message from rank src; NULL: they go to this rank's worker
     * (a node leader's relay takes them, to hand them on) */
    void (*on_tasks)(void *arg, int src, tf__rbuf *rb);
} tf__svc_role;

enum { TF__SVC_PARKED = 0, TF__SVC_RUNNING = 1, TF__SVC_QUIT = 2 };

typedef struct tf__service {
    tf__ctx *ctx;
    tf__worker *worker;
    tf__transport *tp;
    struct tf__files *files;
    struct tf__trace *trace; /* per run; NULL unless TF_TRACE */
    tf__waiter *svc_w, *main_w;
    /* what the thread waits on between runs, and is started and stopped
     * through: a waiter of this process (svc_w, the one it waits on in a
     * run, may be a doorbell in a window MPI_Finalize unmaps, and a pool may
     * be destroyed after MPI_Finalize) */
    tf__waiter *park_w;
    int wait_policy;          /* TF_WAIT_* */
    uint64_t idle_max_ns;     /* the idle loop's longest sleep */
    const tf__svc_role *role; /* NULL: a worker only */
    tf__peers *peers;         /* TF_SCHED_PEERS: stealing and the waves that
                                 end a run; NULL: the central policy, whose
                                 run ends with STOP and STOPPED */
    tf__uplink up;            /* where the worker's RESULTS go */
    int up_dest;              /* tf__service_uplink_to's rank */
    /* called first on the new thread (binds it next to the main thread) */
    void (*on_start)(void *arg);
    void *on_start_arg;
    pthread_t thread;
    bool started;
    atomic_int state;    /* TF__SVC_* */
    atomic_int run_done; /* the run is over on this rank */
    atomic_uint_fast64_t wakeups;
} tf__service;

/* The uplink of a rank whose coordinator is rank dest: RESULTS go out over
 * MPI, their buffer freed when the send completes. */
tf__uplink tf__service_uplink_to(tf__service *s, int dest);

/* The network of this rank's peer role: the service thread's transport
 * (rings_local false: the pool sets it where it made doorbells). */
tf__peers_net tf__service_peers_net(tf__service *s);

/* Main thread, tf_pool_create: starts the parked thread. 0 or TF_ESYS. */
int tf__service_start(tf__service *s);
/* Main thread, pool teardown: ends and joins the thread. */
void tf__service_stop(tf__service *s);
/* Main thread, tf_run: starts a run (the worker was reset). */
void tf__service_run_begin(tf__service *s, struct tf__trace *trace);
static inline bool tf__service_run_done(tf__service *s) { return atomic_load(&s->run_done); }

#endif
