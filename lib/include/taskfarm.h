/* taskfarm.h - the whole public API of the taskfarm library.
 *
 * A program calls MPI_Init_thread (MPI_THREAD_MULTIPLE preferred,
 * MPI_THREAD_SERIALIZED at least), creates a pool on a communicator on every
 * rank, registers the same task functions on every rank and calls tf_run.
 * The driver runs on rank 0 and hands out work; every rank, rank 0 included,
 * executes tasks until the driver returns.
 *
 * Threads. Each rank has two threads inside the library:
 *   - the caller's thread ("main"): runs task functions, and on rank 0 the
 *     driver. Every call below is made from that thread unless it says so.
 *   - a service thread, started by tf_pool_create: the only thread that makes
 *     MPI calls on the pool's communicator while tf_run is active; it moves
 *     messages, keeps work prefetched and, on rank 0, is the coordinator.
 *     Outside tf_run it makes no MPI calls, so the program may use MPI freely
 *     between tf_run calls (with MPI_THREAD_SERIALIZED as well).
 *
 * Errors. Fallible calls return int: 0 on success, a negative TF_E* code
 * otherwise (tf_strerror, tf_err_name). The last error message of a pool on
 * this rank, with the rank and task id where they apply, is
 * tf_pool_errmsg(). Codes are never renumbered.
 */
#ifndef TASKFARM_H
#define TASKFARM_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define TF_API __attribute__((visibility("default")))
#define TF_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define TF_API
#define TF_PRINTF(a, b)
#endif

/* The one place the version is set: CMake, the pkg-config file, the CMake
 * package's version file and every program's --version read it from here. */
#define TF_VERSION_MAJOR 0
#define TF_VERSION_MINOR 1
#define TF_VERSION_PATCH 0

#define TF_VERSION_STR2_(x) #x
#define TF_VERSION_STR_(x) TF_VERSION_STR2_(x)
/* "MAJOR.MINOR.PATCH" of the header compiled against. */
#define TF_VERSION                    \
    TF_VERSION_STR_(TF_VERSION_MAJOR) \
    "." TF_VERSION_STR_(TF_VERSION_MINOR) "." TF_VERSION_STR_(TF_VERSION_PATCH)

/* "MAJOR.MINOR.PATCH" of the library linked at run time (may differ from
 * TF_VERSION when a program runs against a newer library). Any thread. */
TF_API const char *tf_version(void);

/* ---- errors ----------------------------------------------------------- */

/* X(name, value, message): the one list that makes the enum, tf_strerror and
 * tf_err_name. Append only. */
#define TF_ERRNO_MAP(X)                             \
    X(EINVAL, -1, "invalid argument")               \
    X(ENOMEM, -2, "out of memory")                  \
    X(EMPI, -3, "MPI error")                        \
    X(ENOFUNC, -4, "unknown task function")         \
    X(ETASK, -5, "task failed")                     \
    X(ESTATE, -6, "call not allowed in this state") \
    X(ETOOBIG, -7, "payload too large")             \
    X(EEXIST, -8, "name already registered")        \
    X(ETHREAD, -9, "MPI thread support too low")    \
    X(ESYS, -10, "system call failed")              \
    X(EBUSY, -11, "not finished yet")               \
    X(EPROTO, -12, "malformed message")             \
    X(ECANCELED, -13, "task canceled")              \
    X(EMISMATCH, -14, "file made for another map")

enum tf_errno {
    TF_OK = 0,
#define TF_ERR_ENUM_(name, val, msg) TF_##name = (val),
    TF_ERRNO_MAP(TF_ERR_ENUM_)
#undef TF_ERR_ENUM_
};

/* A message for any code (negative, 0, or unknown); never NULL. Any thread. */
TF_API const char *tf_strerror(int err);
/* "TF_EINVAL" and so on; "TF_OK" for 0; "TF_E?" if unknown. Any thread. */
TF_API const char *tf_err_name(int err);

/* ---- types ------------------------------------------------------------ */

typedef struct tf_pool tf_pool;       /* one per rank, made collectively */
typedef struct tf_task tf_task;       /* the running task, inside a task fn */
typedef struct tf_buf tf_buf;         /* a task's output buffer */
typedef struct tf_future tf_future;   /* one submitted task */
typedef struct tf_results tf_results; /* the ordered results of tf_map */

/* A task function. `in` holds `in_len` bytes, valid until the function
 * returns (in_len may be 0; `in` is then non-NULL but not to be read). `in`
 * has no alignment beyond 1: inputs travel packed in messages and buffers
 * (after a spawned task's function name, say), so a task reads a number or
 * a struct by copying it out, never through a cast pointer:
 *     struct job j;
 *     if (in_len != sizeof j) return tf_task_fail(t, "bad input");
 *     memcpy(&j, in, sizeof j);
 * The
 * function appends its output to `out` and returns 0, or returns
 * tf_task_fail(t, ...). Runs on the main thread of whichever rank got the
 * task. Any other non-zero return fails the task too: a negative TF_E* code
 * becomes its status, a positive value becomes TF_ETASK with a message that
 * names the value.
 *
 * A task function must not end the process. exit() inside one (from the
 * function or anything it calls) would end its rank without a word, and
 * some launchers (MPICH's) would then report the whole job a success; so
 * the library, which watches for it from tf_pool_create on, prints
 * "taskfarm: fatal: rank R: task I: exit() inside task function 'NAME'"
 * and ends the process with _exit(TF_EXIT_IN_TASK) instead, which the
 * launcher reports as a failed rank and which ends the job. (_exit, a
 * signal or abort() end the rank as they would anyway.) */
typedef int (*tf_fn)(tf_task *t, const void *in, size_t in_len, tf_buf *out);

/* The exit status of a process in which a task function called exit(). */
#define TF_EXIT_IN_TASK 86

/* The driver: runs on rank 0's main thread inside tf_run. Its return value
 * becomes tf_run's return on every rank. */
typedef int (*tf_driver)(tf_pool *pool, void *arg);

/* ---- pool ------------------------------------------------------------- */

typedef enum tf_chunk_policy {
    TF_CHUNK_AUTO = 0, /* adaptive: chunks of about chunk_target_s of measured
                          work, smaller towards the end (the default) */
    TF_CHUNK_FIXED,    /* exactly chunk_size tasks a dispatch */
    TF_CHUNK_GUIDED    /* ceil(remaining / ranks), at least chunk_size */
} tf_chunk_policy;

/* Where a rank's threads run (tf_pool_create; see tf_pool_placement):
 *   AUTO    keep a binding the launcher made (mpirun --bind-to, Slurm's
 *           --cpu-bind) and place the threads inside it; with none, spread
 *           the ranks of a node over its cores (hwloc_distrib), one core
 *           each. Ranks that share a cpuset (the launcher's, or the whole
 *           node) spread over its cores; where they outnumber its cores
 *           nothing is bound (a warning at verbose >= 1)
 *   CORE    one core per rank, within the launcher's cpuset if it gave one;
 *           with more ranks than cores, ranks wrap round and share cores
 *   SOCKET  the whole package (socket) the rank's core is on, within the
 *           launcher's cpuset: threads float inside it (for tasks that start
 *           their own threads)
 *   NONE    no binding at all
 * The main thread gets the core's first hardware thread and the service
 * thread its sibling where the core has one (else it shares the core). A
 * binding the system refuses is a warning (verbose >= 1), never an error.
 * Memory follows the main thread (hwloc_set_membind to its NUMA node, first
 * touch where that is refused). tf_pool_destroy, called on the thread that
 * created the pool, gives that thread back the binding it had before.
 * AUTO binds nothing when the ranks outnumber the cores, or when the pool
 * holds only some of the ranks the launcher started on a node (a pool on a
 * split communicator cannot see the others' cores). Threads the program
 * starts from the main thread after tf_pool_create inherit its one core;
 * the library's own helper threads spread over the rank's cpuset. */
typedef enum tf_bind { TF_BIND_AUTO = 0, TF_BIND_CORE, TF_BIND_SOCKET, TF_BIND_NONE } tf_bind;

typedef enum tf_wait_policy {
    TF_WAIT_AUTO = 0, /* spin spin_us, then block (the default) */
    TF_WAIT_SPIN,     /* never block: lowest latency, burns the core */
    TF_WAIT_YIELD,    /* spin with sched_yield */
    TF_WAIT_BLOCK     /* block at once */
} tf_wait_policy;

/* Options: the zero value means defaults. Environment variables, read once by
 * tf_pool_create on every rank, override them: TF_CHUNK (auto | guided | K),
 * TF_CHUNK_TARGET_US, TF_PREFETCH_US, TF_WAIT (auto | spin | yield | block),
 * TF_SPIN_US, TF_VERBOSE (0..3), TF_BIND (auto | core | socket | none),
 * TF_FILE_PREFETCH (0 | 1), TF_FILE_PREFETCH_MB, TF_SCHED (peers | central),
 * TF_IDLE_MAX_US, TF_LEADERS (node | off | N). A bad value of any TF_*
 * variable below or above (a number that would set its field to 0
 * included) fails tf_pool_create with TF_EINVAL on every rank, and the
 * lowest rank that has one prints one line on stderr:
 *     taskfarm: NAME: invalid value 'V' [on rank R, if R is not 0]
 * Reports, also read by tf_pool_create:
 *   TF_REPORT_BINDING=1  one line per rank on stderr from rank 0: host,
 *                        rank, cores of each thread, NUMA node, node group:
 *     taskfarm: binding: host H rank R cores main=M service=S numa N
 *     group G (leader L, local I/J) launcher B
 *                        (one line), M and S cpu lists or "-" where unbound,
 *                        N -1 if unknown, B 1 if the launcher had bound the
 *                        rank; another value than 0 or 1 is TF_EINVAL
 *   TF_STATS=1           a summary after each tf_run on rank 0's stderr
 *                        (per rank: tasks, busy, waiting for work and for
 *                        I/O, messages, bytes; load imbalance; the
 *                        coordinator's share of rank 0)
 *   TF_STATS=json        the same numbers as JSON, one object a line
 *                        instead of the table: {"type": "run", "run": N,
 *                        "ranks", "wall_s", "tasks", "failed", "busy_s",
 *                        "wait_s", "io_s", "load_imbalance" (null if no
 *                        task ran), "coordinator_share", "rank0_msgs_recv",
 *                        "steal_requests", "steals", "tasks_stolen",
 *                        "lifeline_pushes", "waves"}, then per rank
 *                        {"type": "rank", "run", "rank", "tasks", "failed",
 *                        "busy_s", "wait_s", "io_s", "msgs_sent",
 *                        "msgs_recv", "bytes_sent", "bytes_recv",
 *                        "busy_pct", "steal_median_s"}
 *   TF_TRACE=FILE        Chrome trace-event JSON of every run of the pool,
 *                        written by rank 0 at tf_pool_destroy (opens in
 *                        Perfetto or chrome://tracing). A regular FILE (or
 *                        the one a symlink FILE names) is replaced once the
 *                        trace is complete; a FIFO or a character device is
 *                        written in place (a FIFO that nobody reads, or
 *                        anything else, is refused with one line on stderr)
 * For TF_STATS and TF_TRACE rank 0's environment decides for every rank
 * (broadcast at the first tf_run). */
/* Who balances spawned tasks (tf_spawn) between ranks:
 *   TF_SCHED_PEERS    an idle rank steals from other ranks directly, its
 *                     own node's first, then parks on a few lifeline
 *                     buddies that push work to it when they have some;
 *                     the end of a run is found by waves over a tree of
 *                     ranks (no per-task message to rank 0)
 *   TF_SCHED_CENTRAL  rank 0 asks the rank with the longest queue to ship
 *                     half of it, and hands it to idle ranks; rank 0 counts
 *                     every spawned task
 * Jobs (tf_map, tf_submit) are handed out by rank 0 either way. */
typedef enum { TF_SCHED_AUTO = 0, TF_SCHED_PEERS = 1, TF_SCHED_CENTRAL = 2 } tf_sched;

typedef struct tf_pool_opts {
    tf_chunk_policy chunk;
    size_t chunk_size;     /* FIXED: tasks a dispatch; GUIDED: minimum */
    double chunk_target_s; /* AUTO: target chunk duration; default 1e-3 */
    double prefetch_s;     /* work kept queued at each rank; default 2e-3
                              (never a second task behind one measured at
                              20 ms or more) */
    tf_wait_policy wait;
    unsigned spin_us;           /* AUTO: spin this long before blocking; 50, and
                                   0 for a rank bound to one hardware thread */
    int verbose;                /* 0 errors, 1 warnings, 2 info, 3 debug */
    tf_bind bind;               /* placement; TF_BIND_AUTO by default */
    int no_file_prefetch;       /* 1: the main thread reads a task's input
                                   file when the task starts (see
                                   tf_map_files); 0: the service thread
                                   reads the files of queued tasks ahead */
    size_t file_prefetch_bytes; /* file contents read ahead and not yet
                                   used, per rank; default 64 MiB */
    tf_sched sched;             /* who balances spawned tasks: TF_SCHED_AUTO
                                   (0) is TF_SCHED_PEERS */
    unsigned idle_max_us;       /* the longest sleep of an idle service
                                   thread between looks at the network
                                   (default 200, and 0 means that); more
                                   lets many ranks share few cores */
    int leader_ranks;           /* node leaders for jobs (peer scheduling):
                                   rank 0 hands a map's ranges to one
                                   leader rank per group, which hands them
                                   on to its group's ranks and sends their
                                   results back merged. 0 (default): a
                                   group is a node (a run on one node has
                                   none); N > 0: at most N ranks of a node;
                                   -1: no leaders, rank 0 reaches every
                                   rank itself */
} tf_pool_opts;

/* Collective on `comm`. Duplicates comm, starts the service thread. Needs
 * MPI initialized with at least MPI_THREAD_SERIALIZED (else TF_ETHREAD).
 * opts may be NULL. On error *pool is NULL and nothing is left behind.
 * Errors: TF_EINVAL, TF_ENOMEM, TF_EMPI, TF_ETHREAD, TF_ESYS. */
TF_API int tf_pool_create(MPI_Comm comm, const tf_pool_opts *opts, tf_pool **pool);

/* Collective. Stops the service thread, frees everything the pool owns and
 * sets *pool to NULL. Accepts NULL and *pool == NULL. Not inside tf_run. */
TF_API int tf_pool_destroy(tf_pool **pool);

/* This rank and the number of ranks in the pool's communicator. */
TF_API int tf_pool_rank(const tf_pool *pool);
TF_API int tf_pool_size(const tf_pool *pool);

/* The last error message on this rank (main thread), "" if none. The string
 * belongs to the pool and changes with the next failing call. */
TF_API const char *tf_pool_errmsg(const tf_pool *pool);

/* Registers a task function under `name` (1..63 bytes). Not collective
 * (nothing is sent), but every rank must register the same names before
 * tf_run. A call that names a function (the maps, tf_submit*, tf_spawn)
 * checks the name on the rank that makes it, rank 0 for the driver's
 * calls: a name that rank did not register fails the call at once with
 * TF_ENOFUNC, nothing run. A name rank 0 has and another rank lacks is
 * found only where a task of it reaches that rank: that task fails with
 * TF_ENOFUNC, as a failed task (see "Failed tasks" below), and the job
 * goes on. Not inside tf_run. Errors: TF_EINVAL, TF_EEXIST, TF_ENOMEM,
 * TF_ESTATE. */
TF_API int tf_register(tf_pool *pool, const char *name, tf_fn fn);

/* Collective. Runs `driver(pool, arg)` on rank 0 (other ranks may pass NULL);
 * all ranks execute tasks until the driver has returned and every task
 * (spawned ones included) has finished. Returns the driver's return value on
 * every rank (TF_EINVAL on every rank if rank 0 passed no driver). Nested in
 * a run it returns TF_ESTATE on the calling rank alone. */
TF_API int tf_run(tf_pool *pool, tf_driver driver, void *arg);

/* ---- the driver's calls: rank 0, main thread, inside the driver ---------
 * They return TF_ESTATE anywhere else, and tf_pool_errmsg says where the
 * call was made instead ("tf_map inside a task", "tf_map outside tf_run",
 * "tf_map on a rank other than 0"). While one of them waits, the calling
 * thread executes tasks itself, so rank 0 is a full worker.
 *
 * Every call that takes a task function's name returns TF_ENOFUNC at once,
 * running nothing, if rank 0 has no function of that name (tf_register).
 *
 * Failed tasks. A task fails when its function returns non-zero (or its
 * input file cannot be read, or its rank lacks its function). Every map
 * (tf_map, tf_mapv, tf_map_files, tf_map_unordered, tf_map_to,
 * tf_map_files_to, tf_map_to_resume) runs all its tasks whatever fails,
 * and then returns
 *   0          if no task failed;
 *   TF_ETASK   if K > 0 failed: tf_pool_errmsg holds "K of N tasks
 *              failed; the first: rank R: task I: MESSAGE". The succeeded tasks'
 *              outputs are delivered exactly as without failures: in *res
 *              (which is set and must be freed: tf_results_free; each
 *              input's status and message in tf_results_get and
 *              tf_results_error), to the callback (with each failure), or
 *              in the output file (a failed task's position has no
 *              record; `failed` gets K).
 * Any other error means the map did not run (nothing delivered, *res
 * NULL), except TF_ENOMEM or TF_ESYS arising while results arrive (some
 * may have been delivered then). A future reports its own task's failure (tf_wait), and
 * tf_wait_all the failures of spawned tasks.
 *
 * Task ids (tf_task_id, tf_future_id, the "task I" of messages). The job
 * tasks of a pool are numbered from 0 in the order the driver's calls
 * made them, over the pool's whole life (every run): a map of n inputs
 * gets n consecutive ids, input i running as task F + i, where F counts
 * the job tasks made before it (by maps and tf_submit*); a submit gets
 * one id. tf_map_to_resume runs only the positions its file lacks: with D
 * positions done before (tf_resume_info.done_before), position p runs as
 * task F + p - D. A spawned task's id has bit 63 set and is unique in the
 * pool, in no order; it is not an index. A task that needs its input's
 * index should carry it in its input. */

/* Ordered map: runs task `fn` on n inputs of elem_size bytes each, laid out
 * contiguously at `in` (borrowed until tf_map returns), and returns the
 * results in input order in *res (owned by the caller: tf_results_free).
 * Returns 0, or TF_ETASK if some task failed, with *res set either way
 * (see "Failed tasks" above). Errors: TF_ENOFUNC, TF_EINVAL, TF_ENOMEM,
 * TF_ESTATE,
 * TF_ETOOBIG (an input over about 2 GiB, or n * elem_size more than
 * PTRDIFF_MAX, which no memory holds; tf_map_unordered and tf_map_to
 * alike). */
TF_API int tf_map(tf_pool *pool, const char *fn, const void *in, size_t elem_size, size_t n,
                  tf_results **res);

/* The same with inputs of different sizes: in[i] holds len[i] bytes. */
TF_API int tf_mapv(tf_pool *pool, const char *fn, const void *const *in, const size_t *len,
                   size_t n, tf_results **res);

TF_API size_t tf_results_count(const tf_results *res);
/* The status of input i (0 or the task's error code) and its output, which
 * stays valid until tf_results_free. */
TF_API int tf_results_get(const tf_results *res, size_t i, const void **out, size_t *len);
/* Why input i failed ("rank R: task I: ..."), NULL if it succeeded. */
TF_API const char *tf_results_error(const tf_results *res, size_t i);
TF_API size_t tf_results_failed(const tf_results *res);
TF_API void tf_results_free(tf_results **res);

/* Called on rank 0's main thread, in completion order, once per input, from
 * inside tf_map_unordered. `out` is valid only during the call. `err` is NULL
 * on success, else "rank R: task I: message". */
typedef void (*tf_result_cb)(void *arg, size_t index, int status, const void *out, size_t len,
                             const char *err);

/* Unordered map: like tf_map, but hands each result to cb as it arrives.
 * Returns when all n callbacks have run: 0, or TF_ETASK if some task
 * failed (each failure was also passed to cb; see "Failed tasks"). */
TF_API int tf_map_unordered(tf_pool *pool, const char *fn, const void *in, size_t elem_size,
                            size_t n, tf_result_cb cb, void *arg);

/* ---- tasks whose input is a file --------------------------------------- */

/* A file task's function gets the file's whole contents as `in` (in_len
 * bytes) and its path from tf_task_path. The rank that runs the task reads
 * the file (paths are resolved there: on several nodes they must name the
 * same file on a shared file system). Its service thread reads the files of
 * the tasks queued at it while the main thread computes the current one, at
 * most file_prefetch_bytes ahead; with no_file_prefetch the main thread reads
 * each file when its task starts. Either way the main thread's time spent
 * waiting for a file counts as waiting for I/O (tf_stats.io_wait_s). A file
 * that cannot be read fails its task with TF_ESYS and a message naming the
 * file; the function is not called. Driver calls, like tf_map. */

/* tf_map over files: task i reads paths[i] (borrowed until the call
 * returns). Results in input order, as tf_map. */
TF_API int tf_map_files(tf_pool *pool, const char *fn, const char *const *paths, size_t n,
                        tf_results **res);
/* One task on one file; the path is copied. As tf_submit. */
TF_API int tf_submit_file(tf_pool *pool, const char *fn, const char *path, tf_future **f);
/* Inside a task function: the task's input file, NULL for other tasks. */
TF_API const char *tf_task_path(const tf_task *t);

/* ---- one output file for many tasks ------------------------------------ */

/* An output file on rank 0 to which task outputs are appended as records,
 * back to back, as they finish: a million tasks make one file. Records are
 * gathered into blocks, and sealed blocks are written by a writer thread of
 * rank 0 (started by the first tf_output_open), so neither the driver nor
 * the coordinator waits for the disk, except where a call below says so.
 *
 * Order:
 *   TF_OUTPUT_ORDERED    records appear in the order of their positions (0,
 *                        1, 2, ... over the file's life, see below); a record
 *                        that arrives early is held back until the ones
 *                        before it are in. Memory is bounded: a map stops
 *                        handing out tasks that run more than max_ahead
 *                        positions ahead of the first record still missing,
 *                        or while max_held bytes are held back.
 *   TF_OUTPUT_UNORDERED  records appear in the order they arrive.
 * Durability (what a crash of the machine may lose):
 *   TF_DURABLE_BLOCK     each block is fdatasync'd after its write (the
 *                        default); the file's directory is synced at open
 *   TF_DURABLE_NONE      never synced by taskfarm (the page cache decides)
 *   TF_DURABLE_RECORD    each record is a block of its own, written and
 *                        synced before any later record (slow: for rare,
 *                        precious records)
 * Whatever the policy, every record that tf_output_flush, tf_output_close or
 * a map to the output has returned after is in the file, synced unless
 * TF_DURABLE_NONE. A crash during a write may leave the last block cut
 * short; a reader should check the last record. */
typedef struct tf_output tf_output;

typedef enum tf_output_order { TF_OUTPUT_UNORDERED = 0, TF_OUTPUT_ORDERED = 1 } tf_output_order;
typedef enum tf_durability {
    TF_DURABLE_BLOCK = 0,
    TF_DURABLE_NONE,
    TF_DURABLE_RECORD
} tf_durability;

typedef struct tf_output_opts { /* the zero value means defaults */
    tf_durability durability;
    size_t block_size; /* bytes a write; default 1 MiB (a larger record is
                          written on its own) */
    size_t max_held;   /* ORDERED: bytes held back; default 64 MiB */
    size_t max_ahead;  /* ORDERED: positions ahead of the first missing one;
                          default 65536 */
    double flush_s;    /* a part-filled block is written this long after its
                          first record (checked every 10 ms); default 1 s */
    int append;        /* 1: append to an existing file; 0: truncate it */
} tf_output_opts;

/* Rank 0's main thread (inside or outside a run). Creates (or truncates, or
 * appends to) path with mode 0644. opts may be NULL. Errors: TF_EINVAL,
 * TF_ENOMEM, TF_ESYS (with the path and the system's reason in
 * tf_pool_errmsg). */
TF_API int tf_output_open(tf_pool *pool, const char *path, tf_output_order order,
                          const tf_output_opts *opts, tf_output **out);

/* Driver call or rank 0's main thread outside a run: appends one record.
 * ORDERED: pos is the record's position, each used at most once, not one a
 * running map took, and less than max_ahead past the first position still
 * missing (TF_EINVAL otherwise); UNORDERED: pos is ignored. The bytes are
 * copied. Errors: TF_EINVAL, TF_ENOMEM, TF_ESYS (an earlier write failed). */
TF_API int tf_output_write(tf_output *o, uint64_t pos, const void *data, size_t len);

/* tf_map and tf_map_files whose outputs go to o instead of into results: an
 * ORDERED output gets them at the next n positions (after every position
 * used so far), in input order; TF_EINVAL if an earlier position is still
 * missing (its records could only wait). A failed task writes no record (its
 * position is skipped); returns 0 if every task succeeded, TF_ETASK if some
 * failed (see "Failed tasks"; `failed`, if not NULL, gets the count). Returns once every record is
 * written to the file (and synced, as the durability policy says). Driver calls. */
TF_API int tf_map_to(tf_pool *pool, const char *fn, const void *in, size_t elem_size, size_t n,
                     tf_output *o, size_t *failed);
TF_API int tf_map_files_to(tf_pool *pool, const char *fn, const char *const *paths, size_t n,
                           tf_output *o, size_t *failed);

/* Rank 0's main thread: writes every complete record, syncs (unless
 * TF_DURABLE_NONE) and waits for it. Errors: TF_ESYS. */
TF_API int tf_output_flush(tf_output *o);
/* Flushes, closes and frees *o, and sets it to NULL. An ORDERED output with
 * positions still missing writes the records it holds in order and returns
 * TF_EINVAL naming the first missing position. Returns the first error of
 * the output's life (TF_ESYS: which write and why in tf_pool_errmsg), or
 * TF_EBUSY (nothing done) when called from a callback while a map writes
 * to o. Outputs should be closed before tf_pool_destroy, which otherwise
 * closes them with a warning. */
TF_API int tf_output_close(tf_output **o);
/* Records and bytes written to the file so far. Any time on rank 0's main
 * thread. */
TF_API uint64_t tf_output_records(const tf_output *o);
TF_API uint64_t tf_output_bytes(const tf_output *o);

/* Submits one task; its input is borrowed until the task has finished
 * (tf_wait on it returned, or tf_wait_all did), even if the future was
 * released before. *f is owned by the caller: tf_future_release.
 * Errors (*f NULL): TF_ENOFUNC, TF_EINVAL, TF_ENOMEM, TF_ESTATE,
 * TF_ETOOBIG (over about 2 GiB). */
TF_API int tf_submit(tf_pool *pool, const char *fn, const void *in, size_t len, tf_future **f);

/* Options of tf_submit_ex; the zero value means what tf_submit does. */
enum { TF_SUBMIT_AVOID = 1 }; /* never run the task on rank `rank` */
typedef struct tf_submit_opts {
    unsigned flags;
    int rank; /* with TF_SUBMIT_AVOID: the rank to keep the task away from
                 (ignored in a pool of one rank) */
} tf_submit_opts;

/* tf_submit with options. With TF_SUBMIT_AVOID the coordinator gives the
 * task to any rank but `rank`, and waits for one to ask for work if need be
 * (the retry of a task that failed on a rank, away from it). With node
 * leaders (tf_pool_opts.leader_ranks) a rank of another group is avoided
 * with its leader's whole group, and the groups below that leader. opts
 * may be NULL. Errors: as tf_submit, and TF_EINVAL for an unknown flag or a rank
 * outside the pool.
 *
 * tf_submit and tf_submit_ex may also be called from a task that rank 0's
 * main thread runs while the driver waits (a driver that keeps its window
 * full while its own rank computes); the other driver calls may not. */
TF_API int tf_submit_ex(tf_pool *pool, const char *fn, const void *in, size_t len,
                        const tf_submit_opts *opts, tf_future **f);

/* Cancels f's task if no rank has been given it yet: the future is then done
 * with status TF_ECANCELED. Returns 0 if canceled, TF_EBUSY if the task is
 * already with a rank (it runs; wait for it as usual) or done. Driver only
 * (or a task of rank 0 while the driver waits, as tf_submit). */
TF_API int tf_future_cancel(tf_future *f);

/* Waits for f; returns the task's status (0 or its error code). */
TF_API int tf_wait(tf_future *f);
/* Waits until one of fs[0..n) is done and stores its index in *idx; returns
 * its status. NULL entries are skipped; TF_EINVAL if none is left. */
TF_API int tf_wait_any(tf_future *const *fs, size_t n, size_t *idx);
/* tf_wait_any that gives up after `timeout_s` seconds (about; checked at
 * least every 0.1 s) with TF_EBUSY and *idx untouched: a driver that has
 * something of its own to do now and then. */
TF_API int tf_wait_any_timeout(tf_future *const *fs, size_t n, double timeout_s, size_t *idx);
/* TF_EBUSY if not done; else the status, with the output in *out and *len
 * (valid until release; either pointer may be NULL). Never waits: besides
 * the driver, a task that rank 0's main thread runs while the driver waits
 * may call it (and tf_future_error), to handle results early. */
TF_API int tf_future_result(const tf_future *f, const void **out, size_t *len);
/* The failure message of a done, failed future; NULL otherwise. */
TF_API const char *tf_future_error(const tf_future *f);
/* The task's id. */
TF_API uint64_t tf_future_id(const tf_future *f);
/* Releases f (done or not; a pending task still runs). Accepts NULL.
 * Futures must be released before tf_pool_destroy; after it they are
 * invalid. */
TF_API void tf_future_release(tf_future **f);

/* Waits for every task of this run: submitted, mapped and spawned. Returns 0,
 * or TF_ETASK if a spawned task failed since the last tf_wait_all (the first
 * such message is in tf_pool_errmsg; futures report their own failures). */
TF_API int tf_wait_all(tf_pool *pool);

/* Receives the outputs of spawned tasks (see tf_spawn) on rank 0's main
 * thread while the driver waits. Set it on every rank before tf_run (ranks
 * send spawned outputs only if set); NULL drops them. */
TF_API int tf_pool_on_spawn_result(tf_pool *pool, tf_result_cb cb, void *arg);

/* ---- inside a task function ------------------------------------------ */

/* Fails the task with a formatted message; returns TF_ETASK so a task fn
 * can `return tf_task_fail(t, "bad input %d", x);`. */
TF_API int tf_task_fail(tf_task *t, const char *fmt, ...) TF_PRINTF(2, 3);
TF_API uint64_t tf_task_id(const tf_task *t);
TF_API tf_pool *tf_task_pool(const tf_task *t);

/* Spawns a child task from inside a task function (any rank). The input is
 * copied. The child's output goes to the spawn-result callback if one is set;
 * its failure is counted for tf_wait_all. Errors (nothing spawned):
 * TF_ENOFUNC (this rank has no function of that name), TF_EINVAL,
 * TF_ENOMEM, TF_ETOOBIG (an input over about 1 GiB). */
TF_API int tf_spawn(tf_task *t, const char *fn, const void *in, size_t len);
/* Inside a task function: how many ranks asked this rank for spawned tasks
 * and found none since this rank last spawned one (0: none is waiting). A
 * task that holds more work than it needs (a search's open nodes) can spawn
 * part of it when this is not 0, instead of at a fixed size: the spawned
 * tasks go to the ranks that asked. A load of one word; cheap enough to
 * call at every step of a loop. Main thread, inside a task only. */
TF_API int tf_task_hungry(const tf_task *t);

/* Appends len bytes to a task's output. Errors: TF_ENOMEM, TF_ETOOBIG. */
TF_API int tf_buf_append(tf_buf *b, const void *data, size_t len);
/* Makes room for len more bytes at the end of the output and returns where
 * to write them (they count as written); NULL if out of memory or if the
 * output would pass the largest message (about 2 GiB). The pointer is valid
 * until the next call on b. */
TF_API void *tf_buf_reserve(tf_buf *b, size_t len);
TF_API size_t tf_buf_len(const tf_buf *b);

/* ---- statistics ------------------------------------------------------- */

typedef struct tf_stats {
    uint64_t tasks;   /* tasks this rank executed */
    uint64_t chunks;  /* dispatches this rank executed */
    uint64_t failed;  /* of which failed */
    uint64_t spawned; /* tasks spawned on this rank */
    double busy_s;    /* time in task functions */
    double idle_s;    /* main thread waiting for work */
    uint64_t msgs_sent, msgs_recv;
    uint64_t bytes_sent, bytes_recv;
    uint64_t service_wakeups; /* service thread loop turns that slept */
    double io_wait_s;         /* main thread waiting for task input files
                                 (reading them itself, or for the service
                                 thread to finish reading) */
    uint64_t files_read;      /* task input files read on this rank */
    uint64_t files_ahead;     /* of which the service thread read ahead */
    uint64_t file_bytes;      /* bytes of them */
    double run_s;             /* time inside tf_run */
    double service_cpu_s;     /* CPU time of the service thread inside runs
                                 (on rank 0: the coordinator's) */
    /* peer stealing (TF_SCHED_PEERS), as a thief */
    uint64_t steal_attempts; /* steal requests sent */
    uint64_t steals;         /* of which got tasks */
    uint64_t tasks_stolen;   /* tasks they got */
    double steal_wait_s;     /* request to answer, summed over requests */
    double steal_median_us;  /* median request to answer (of a histogram
                                with 19% wide bins); 0 without requests */
    /* as a victim */
    uint64_t steals_served;   /* steal requests answered with tasks */
    uint64_t steals_refused;  /* answered with none */
    uint64_t lifeline_pushes; /* tasks pushed to lifeline buddies (messages) */
    uint64_t waves;           /* quiescence waves (rank 0) */
} tf_stats;

/* This rank's counters since tf_pool_create. Not collective. Any thread. */
TF_API int tf_pool_stats(const tf_pool *pool, tf_stats *st);

/* ---- placement ---------------------------------------------------------- */

/* Where this rank runs, as tf_pool_create placed it. Ranks that share a node
 * (MPI_Comm_split_type, shared memory) form a group; its leader is its
 * lowest pool rank. CPU lists are hwloc's OS indexes ("0-3,8"); "" if
 * unbound. Not collective; any thread. */
typedef struct tf_placement {
    char host[64];
    int node;       /* index of this rank's group, 0..nodes-1, by leader */
    int nodes;      /* groups in the pool */
    int local_rank; /* within the group */
    int local_size;
    int leader;         /* pool rank of the group's leader */
    int bound;          /* 1 if this rank's threads are bound */
    int launcher_bound; /* 1 if the launcher had bound the process */
    char main_cpus[64]; /* the main thread's cpuset */
    char svc_cpus[64];  /* the service thread's cpuset */
    int numa;           /* OS index of the main thread's NUMA node, -1 */
} tf_placement;

TF_API int tf_pool_placement(const tf_pool *pool, tf_placement *pl);

/* ---- a map that resumes ------------------------------------------------ */

/* tf_map_to into a file of its own that a rerun completes: a job killed in
 * the middle (kill -9, a node lost, the time limit) is run again with the
 * same arguments, and the call maps only the positions missing from the
 * file. The file's bytes at the end are exactly those an uninterrupted
 * tf_map_to on an ORDERED output would have written: the records of
 * positions 0..n-1 in order, back to back, a failed task's position with
 * no record: each record exactly once. A position whose record the file
 * holds is never run again; the others are run from the start (a task
 * that was running at the kill, or whose record was not yet durable, runs
 * again: what a task does besides its output may happen twice).
 *
 * Beside PATH the call keeps PATH.tfindex, an index: a header (n,
 * elem_size, fn, a checksum of the inputs) and one entry per finished
 * position in order (where its record ends in PATH, whether it failed).
 * The writer adds a position's entry only after its record is written and
 * synced, and syncs the index too, so the index names durable records
 * only. A rerun keeps the whole entries of the index that agree with the
 * file, and cuts off anything after them in both files (a block written
 * but not indexed, a torn entry). Keep the two files together; a finished
 * run's rerun maps nothing.
 *
 * The index (little-endian): a 104-byte header ("TFMAPIX1", n, elem_size,
 * the inputs' checksum, the function's name in 64 bytes, a checksum of the
 * header), then 24 bytes a position (the position, the file's length after
 * its record, flags: 1 failed, a checksum of the entry).
 *
 * Durability as in tf_output_opts: with TF_DURABLE_NONE nothing is synced,
 * which is safe against a killed process (the page cache keeps what it
 * wrote) but not against a crashed machine, after which the index may name
 * bytes that never reached the disk. A failed position stays
 * failed in a rerun (records after it are in the file already); to run it
 * again, start afresh. */
typedef enum tf_resume_mode {
    TF_RESUME_OR_START = 0, /* resume if PATH.tfindex exists, else start */
    TF_RESUME = 1,          /* resume; no index is an error (TF_EINVAL) */
    TF_RESUME_START = 2     /* start afresh: both files truncated */
} tf_resume_mode;

typedef struct tf_resume_info {
    uint64_t done_before;   /* positions the file held at the start */
    uint64_t failed_before; /* of which failed */
    uint64_t ran;           /* tasks this call ran: n - done_before */
    uint64_t failed;        /* of which failed */
} tf_resume_info;

/* A driver call. Maps fn over the n inputs of elem_size bytes at `in`, as
 * tf_map_to, into the file at path (opened and closed by the call as an
 * ORDERED output with opts, which may be NULL; opts->append is ignored).
 * info, if not NULL, gets the counts. Returns 0 once every position is in
 * the file (and synced, as opts says); TF_ETASK if a position failed, in
 * this call or before (see "Failed tasks"; a failure of an earlier run
 * only is said as "output 'PATH': K of N positions failed in an earlier
 * run"). A name rank 0 lacks is TF_ENOFUNC before any file is touched.
 * Errors, with the file named in tf_pool_errmsg and nothing changed on disk:
 *   TF_EMISMATCH  the index was made for a different n, elem_size, fn or
 *                 inputs, or PATH is shorter than its index says
 *   TF_EINVAL     PATH.tfindex is not such an index; PATH exists with no
 *                 index (not made by this call: remove it, or
 *                 TF_RESUME_START); TF_RESUME and no index; bad arguments
 *   TF_EBUSY      the index is in use (flock) by a map still running,
 *                 such as an orphaned rank 0 of a killed launcher
 *   TF_ESYS, TF_ENOMEM, TF_ESTATE, TF_ETOOBIG as tf_map_to */
TF_API int tf_map_to_resume(tf_pool *pool, const char *fn, const void *in, size_t elem_size,
                            size_t n, const char *path, const tf_output_opts *opts,
                            tf_resume_mode mode, tf_resume_info *info);

#ifdef __cplusplus
}
#endif
#endif /* TASKFARM_H */
