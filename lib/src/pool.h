/* pool.h - the pool's state, shared by pool.c, task.c, coord.c, service.c.
 *
 * Threads and locks (every rank):
 *   main thread     runs task functions (task.c) and, on rank 0, the driver
 *                   (coord.c's driver calls).
 *   service thread  the only thread that calls MPI while a run is active
 *                   (service.c); on rank 0 it is also the coordinator.
 *
 *   work.lock   the rank's queues (inq, spawnq) and the list of handed-over
 *               output buffers: main pops and hands over, service pushes and
 *               takes. Held for a few instructions, never around a call out.
 *   coord.lock  rank 0 only: jobs, counts and the coordinator's tables;
 *               taken by the driver (submit, wait) and by the service thread
 *               (results, dispatch).
 *   Lock order: coord.lock before work.lock. No MPI call is made under
 *   either lock.
 *
 * Waking: a thread that runs out of things to do spins briefly, then blocks
 * on its own tf__waiter; the other thread wakes it only when it is asleep, so
 * the common path costs an atomic load. */
#ifndef TF_POOL_H
#define TF_POOL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "core/buf.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/msg.h"
#include "core/queue.h"
#include "core/recs.h"
#include "core/registry.h"
#include "core/schedule.h"
#include "system/place.h"
#include "system/wait.h"
#include "taskfarm.h"

/* ---- a rank's work ------------------------------------------------------ */

/* Output handed from the main thread to the service thread: RESULT records
 * after TF__RHDR_LEN reserved bytes (the header is written at send time). */
typedef struct tf__handover {
    struct tf__handover *next;
    tf__buf b;
    uint64_t spawn_ok; /* spawned tasks that finished without a record */
    uint32_t flags;    /* TF__F_IDLE */
} tf__handover;

typedef struct tf__work {
    pthread_mutex_t lock;
    tf__queue inq;    /* chunks assigned to this rank, run in order */
    size_t inq_tasks; /* tasks in inq */
    size_t low;       /* hand results over when inq_tasks drops to this */
    bool low_fresh;   /* low was set by a delivery the main thread has not seen */
    tf__queue spawnq; /* spawned here: main pops the back, sharing takes the front */
    tf__handover *ho_head, *ho_tail;
    atomic_uint_fast64_t spawned; /* spawn events not yet reported */
} tf__work;

/* ---- the coordinator (rank 0) ------------------------------------------ */

/* Tasks kept assigned to a rank for a file job at least: the one running,
 * and some whose files its service thread reads meanwhile (2 for tasks of
 * TF__LONG_TASK_S or more: one file ahead covers them). */
#define TF__FILE_AHEAD 4

enum { TF__JOB_MAP = 1, TF__JOB_MAPU, TF__JOB_FUT, TF__JOB_FUT_ASYNC /* tf__job_new only */ };

typedef struct tf__job {
    uint64_t id;
    int kind;
    uint32_t gid;
    uint32_t layout; /* TF__FIXED or TF__VECTOR */
    const char *in;
    size_t elem;
    const void *const *vin;
    const size_t *vlen;
    size_t n, next, done, failed;
    uint64_t first_id;
    tf__recs recs;     /* the results, as records in arrival order */
    size_t ndelivered; /* MAPU: records handed to the callback */
    tf__rbuf **bufs;   /* blocks the records point into */
    size_t nbufs, capbufs;
    int avoid;             /* a rank that must not run its tasks, or -1 */
    bool files;            /* inputs are paths of files (tf_map_files) */
    void *own;             /* freed with the job (a copied input) */
    size_t *own_lens;      /* freed with the job (tf_map_files' lengths) */
    tf_output *out;        /* tf_map_to: results go there, not into recs */
    uint64_t out_base;     /* the output position of task 0 */
    char *out_err;         /* the first failure's message (tf_map_to) */
    bool released;         /* FUT: the driver dropped its future */
    unsigned bulk_pending; /* sends straight from its inputs not yet complete */
    struct tf__job *next_act, *hnext;
} tf__job;

typedef struct tf__gfn { /* the coordinator's table entry of a task function */
    char *name;
    void *fn0; /* rank 0's function, NULL if rank 0 lacks it */
    tf__est est;
} tf__gfn;

typedef struct tf__bulk { /* a payload sent from a job's inputs */
    const char *p;
    size_t n;
    tf__job *job;
} tf__bulk;

typedef struct tf__peer { /* the coordinator's view of one rank */
    size_t inflight;      /* job tasks assigned and not yet reported */
    uint64_t qlen;        /* spawned tasks queued there, last heard */
    uint8_t *defined;     /* gids whose name this rank was sent */
    size_t ndefined;
    bool hungry, share_pending, stopped;
    tf__buf out;           /* TASKS message being built */
    struct tf__bulk *bulk; /* payloads to send after it */
    size_t nbulk, capbulk;
} tf__peer;

typedef struct tf__delivery { /* a spawned task's output for the driver */
    uint64_t id;
    int status;
    const char *p;
    size_t len;
    tf__rbuf *owner;
} tf__delivery;

typedef struct tf__coord {
    pthread_mutex_t lock;
    tf__sched sched;
    tf__reg names; /* task-function name -> gid */
    tf__gfn *g;    /* per gid */
    size_t ng, capg;
    tf__job *act_head, *act_tail; /* jobs with tasks not yet assigned */
    tf__job **jobs;               /* open-addressed by id: jobs not finished */
    size_t jobs_cap, jobs_n;
    uint64_t next_job, next_task_id;
    uint64_t outstanding;  /* tasks not finished, spawned included */
    uint64_t bulk_pending; /* sends from the driver's memory not complete */
    uint64_t spawn_failed;
    char spawn_err[TF__ERRMSG_MAX];
    tf__peer *peer;
    tf__queue spare;     /* spawned tasks shipped here, unassigned */
    tf__queue local;     /* assigned to rank 0, not yet queued */
    atomic_uint version; /* bumped after each change the driver may wait for */
    tf__delivery *dl;    /* spawned outputs for the driver */
    size_t ndl, capdl;
    bool stopping, stop_sent;
    int stop_rv;
    size_t rr; /* round-robin start */
} tf__coord;

/* ---- the worker's view of function ids ---------------------------------- */

typedef struct tf__lfn {
    void *fn;
    char *name;
} tf__lfn;

#define TF__MINE_MAX 32

/* ---- the pool ----------------------------------------------------------- */

struct tf_pool {
    tf__ctx ctx; /* rank, verbosity, the last error, the abort hook */
    MPI_Comm comm;
    int rank, size;
    tf_pool_opts opts;
    tf__reg reg; /* name -> tf_fn on this rank */

    tf__work work;
    tf__waiter main_w, svc_w;
    pthread_t svc;
    bool svc_started;

    /* run state */
    atomic_int svc_state; /* TF__SVC_PARKED / RUNNING / QUIT */
    atomic_int run_done;  /* set by the service thread when the run is over */
    int run_rv;
    bool in_run, in_driver, in_task;

    /* main thread */
    tf__handover *cur; /* output being written */
    uint64_t cur_t0;   /* when cur was started */
    uint64_t spawn_seq;
    int32_t *failv;              /* (task, status) pairs of the item being run */
    tf__item mine[TF__MINE_MAX]; /* a batch taken from inq */
    size_t imine, nmine, mine_left;
    size_t thr; /* hand over when this few assigned tasks are left */
    size_t capfail;
    bool idle_reported;
    tf_result_cb spawn_cb;
    void *spawn_arg;

    /* service thread, worker side */
    tf__lfn **lfn; /* gid -> local function */
    size_t nlfn;

    /* service thread: requests in flight */
    MPI_Request *req;
    void **req_buf;    /* freed when the request completes (may be NULL) */
    tf__job **req_job; /* told when the request completes (may be NULL) */
    size_t nreq, capreq;

    tf__coord *co; /* rank 0 only */

    /* statistics: main thread fields, service fields atomic */
    tf_stats st;
    atomic_uint_fast64_t msgs_sent, msgs_recv, bytes_sent, bytes_recv, wakeups;

    int made; /* how far tf_pool_create got: 1 main_w, 2 svc_w, 3 work */

    /* placement (place.c): written by tf_pool_create, read-only after */
    tf__place_out place;

    /* timeline and statistics (trace.c); NULL when TF_TRACE is unset */
    struct tf__trace *trace;
    struct tf__runstats *rs;

    /* task input files (files.c) and outputs (output.c) */
    struct tf__files *files;
    struct tf__outs *outs; /* rank 0 */
};

enum { TF__SVC_PARKED = 0, TF__SVC_RUNNING = 1, TF__SVC_QUIT = 2 };


/* task.c: main thread */
int tf__exec_some(tf_pool *p); /* runs one item; 1 if it ran one */
void tf__handover_cur(tf_pool *p, uint32_t flags, bool wake);
int tf__work_init(tf_pool *p);
void tf__work_free(tf_pool *p);
void tf__main_reset(tf_pool *p);

/* coord.c */
int tf__coord_create(tf_pool *p);
void tf__coord_destroy(tf_pool *p);
void tf__coord_reset(tf_pool *p);
/* service thread, rank 0: one turn of the coordinator; 1 if it did anything */
int tf__coord_step(tf_pool *p);
/* service thread, rank 0: a RESULTS message (or rank 0's own handover) */
void tf__coord_results(tf_pool *p, int src, tf__rbuf *rb);
/* service thread, rank 0: a send from job j's inputs has completed */
void tf__coord_sent(tf_pool *p, tf__job *j);
int tf__coord_cancel(tf_pool *p, tf__job *j); /* 0, TF_EBUSY or TF_ENOMEM */
/* coord.c, main thread of rank 0 (the driver) */
bool tf__driving(const tf_pool *p); /* may the driver's calls be made now */
int tf__job_new(tf_pool *p, int kind, const char *fn, size_t n, tf__job **out);
int tf__job_start(tf_pool *p, tf__job *j, const char *fn); /* frees nothing on error */
void tf__job_free(tf__job *j);

/* driver.c: drain and stop at the end of tf_run (main thread, rank 0) */
void tf__coord_finish(tf_pool *p, int rv);

/* service.c */
int tf__service_start(tf_pool *p);
void tf__service_stop(tf_pool *p);
/* service thread: queue an Isend of n bytes at buf; own != NULL is freed when
 * the send completes, and job != NULL (rank 0) is told (tf__coord_sent) */
void tf__send(tf_pool *p, int dest, int tag, const void *buf, size_t n, void *own, tf__job *job);

#endif
