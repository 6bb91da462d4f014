/* tfrun.h - what the parts of tfrun share: options, the task messages, the
 * rank's state, the farm (rank 0) and the worker (every rank).
 *
 * Threads: everything here runs on a rank's main thread. The signal handler
 * (main.c) only sets tfr_drain and writes a byte to the wake pipe. */
#ifndef TFR_TFRUN_H
#define TFR_TFRUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "cli.h"
#include "journal.h"
#include "taskfarm.h"
#include "taskfile.h"

/* Exit statuses (documented in tfrun --help and the README). */
enum {
    TFR_EXIT_OK = 0,      /* every task succeeded */
    TFR_EXIT_FAILED = 1,  /* some task failed (after its retries) */
    TFR_EXIT_USAGE = 2,   /* bad usage or bad input: nothing was run */
    TFR_EXIT_STOPPED = 3, /* stopped early (signal, --deadline): resume */
    /* the farm could not record its work where it was asked to: an output
     * or journal write failed (a full disk), and what ran since is not
     * recorded, or the journal was deleted or replaced during the run (its
     * records were saved where a warning says); resume */
    TFR_EXIT_UNRECORDED = 4
};

/* Room for a path under --output-dir: the directory (PATH_MAX at most) and
 * a file name of tfrun's. */
#define TFR_PATH_CAP 4200

typedef struct tfr_opts {
    const char *taskfile;
    tfr_args args; /* CMD ::: ARGS...: the tasks are made, not read (args.on) */
    const char *journal, *output_dir, *output_file;
    const char *joblog;       /* GNU parallel's --joblog format */
    const char *summary_json; /* the summary as one JSON object */
    bool tag, keep_order, resume, resume_failed, quiet, keep_mpi_env, bar;
    bool status;        /* --status: report on the journal, run nothing */
    tfr_halt halt;      /* --halt (--halt-on-error: soon,fail=1) */
    char halt_spec[48]; /* as given, for messages */
    /* with resume: a missing journal is started, not refused */
    bool resume_or_start;
    double timeout_s;   /* 0: none */
    double timeout_pct; /* > 0: timeout is this % of the median run time */
    unsigned retries;
    double grace_s;
    double deadline; /* seconds since the epoch; 0: none */
    unsigned cores;  /* cores per task */
    bool cores_set;
    double progress_s; /* seconds between progress lines; 0: none */
    size_t max_output; /* bytes kept per stream and task */
    unsigned window;   /* tasks in flight at most */
} tfr_opts;

/* --timeout N%: no timeout until this many run times make the median (the
 * farm's when it sends a task, or the running rank's own). */
#define TIMEOUT_PCT_MIN_RUNS 3

/* A task's input: this header, then the command and its NUL. */
typedef struct tfr_in {
    uint64_t id;
    double timeout_s; /* 0: none */
    double deadline;  /* 0: none */
    double est_s;     /* median run time so far; 0: not known */
} tfr_in;

/* What a worker did with it. For SKIPPED and INTERRUPTED, code is the
 * signal that started the drain, or -1 for the deadline. */
enum {
    TFR_RAN = 0,     /* ran; kind and code say how it ended */
    TFR_SKIPPED,     /* not started: draining, or would pass --deadline */
    TFR_INTERRUPTED, /* started, then stopped by the drain: not done */
    /* --output-dir: its files could not be made or kept (code: the errno;
     * kind TFR_ST_NOSTART if it did not start): not done, and the farm
     * stops as after a write that failed */
    TFR_LOST
};

/* A task's output: this header, then out_len bytes of stdout and err_len of
 * stderr. The same binary runs on every rank, so the header travels as is. */
typedef struct tfr_out {
    uint64_t id;
    int32_t what, kind, code, rank;
    double start, end;
    uint64_t out_len, err_len;
    uint64_t out_total, err_total;
    char host[TFR_HOST_MAX];
} tfr_out;

extern tfr_opts tfr_opt;
extern volatile sig_atomic_t tfr_drain; /* the signal that asked to drain */
extern int tfr_wake_rd;                 /* readable once tfr_drain is set */
extern char tfr_host[TFR_HOST_MAX];
extern uint64_t tfr_ntasks; /* tasks in the task file */
extern char **tfr_envbase;  /* the environment every task starts from */
extern size_t tfr_nenv;
/* rank 0: called while its own command runs, so that results of the other
 * ranks are journaled and printed meanwhile */
extern void (*tfr_tick)(void *);
extern void *tfr_tick_arg;

/* The task function "cmd" (worker.c). */
int tfr_task_fn(tf_task *t, const void *in, size_t len, tf_buf *out);
/* --output-dir: removes the part files the workers write a task's output
 * to until it has finished (ID.out.part-RANK-PID, ID.err.part-RANK-PID),
 * and no other file; returns how many. Only while no task runs anywhere
 * (rank 0, at the start and the end of the farm): the directory is the
 * run's own. */
size_t tfr_remove_parts(void);

/* What rank 0 prepared before the run (main.c) and the farm (farm.c). */
typedef struct tfr_plan {
    tfr_taskfile tf;
    size_t *todo; /* indices into tf.v, in file order */
    size_t ntodo;
    uint64_t done_ok, done_failed; /* from the journal, not run again */
    int journal_fd;                /* -1: none */
    int out_fd;                    /* --output file or 1 */
    int64_t out_off;               /* its size; -1 if not a --output file */
    int argc;
    char **argv; /* for the resume hint */
} tfr_plan;

/* Rank 0, main thread, between writes of the journal (the farm calls it
 * after each sync, main.c once the farm is done): whether the journal's
 * path still names the file pl->journal_fd writes. If not (deleted, moved
 * away, replaced), what the journal holds is copied to a new file, at the
 * path if it is free, else beside it, and the journal goes on there: no
 * finished task is lost. A warning says where. True if that happened at any
 * time in the run (the exit status is then TFR_EXIT_UNRECORDED). */
bool tfr_journal_watch(tfr_plan *pl);

/* --halt now: set on every rank once rank 0 halts the farm (rank 0's own
 * at once, the others' when tfr_halt_poll sees rank 0's word): the running
 * command is stopped at once and no task starts. A task skipped or stopped
 * so reports code TFR_HALT_CODE. */
extern volatile sig_atomic_t tfr_halt_now;
#define TFR_HALT_CODE (-2)
/* Rank 0's farm: tell every rank to halt now (main.c; without
 * MPI_THREAD_MULTIPLE only rank 0's own command is stopped). */
void tfr_halt_send(void);
/* Any rank but 0, main thread, while waiting for a command (the runner's
 * tick) and before each task: whether rank 0 said to halt now. */
void tfr_halt_poll(void *unused);

/* The end of a run, for --summary-json (farm.c; main.c for a task list
 * with nothing to do). */
typedef struct tfr_result {
    uint64_t tasks, to_run, succeeded, failed, retried, not_run, not_recorded;
    uint64_t done_before, failed_before; /* from the journal */
    const uint64_t *failed_ids;          /* this run's, in the order they failed */
    size_t nfailed_ids;
    double elapsed_s;
    int ranks, exit_status;
    bool halted;
    uint64_t halted_by;     /* the task that made --halt stop the run */
    const char *stopped_by; /* "SIGTERM", "--deadline", ...; NULL if none */
} tfr_result;
/* Writes r as one JSON object and a newline to path; 0, or -1 after a
 * warning. */
int tfr_summary_json(const char *path, const tfr_result *r);

/* tfrun --status (status.c): what tfr_opt.journal says of the task file
 * tf (named tname, its SHA-256 sha) on standard output. 0, or
 * TFR_EXIT_USAGE after a one-line message (a journal that is missing, does
 * not parse, or belongs to another task file). A plain process: no MPI. */
int tfr_status(const tfr_taskfile *tf, const char *tname, const unsigned char *sha);

/* The driver (rank 0, inside tf_run). Returns the exit status. */
int tfr_farm(tf_pool *pool, void *plan);

#endif
