/* runner.h - runs one command in a child process and waits for it.
 *
 * The child is `/bin/sh -c CMD` (or, for a command that is a plain list of
 * words, the program itself: see tfr_split_plain), started with posix_spawn
 * (glibc's clone with CLONE_VM|CLONE_VFORK: the cost does not grow with the
 * size of the MPI process, see docs/BENCHMARKS.md), in a process group of
 * its own, with stdin from /dev/null, every descriptor above 2 closed, the
 * default signal dispositions and an empty signal mask. The caller's thread then sleeps in
 * poll() on the child's pidfd, its output pipes (after TFR_PIPE_LATER
 * seconds: a short command's output waits in the pipe until it exits) and a
 * wake-up descriptor: no CPU is burnt while the command runs.
 *
 * Timeout and drain: at the timeout, or `grace_s` after *drain became
 * non-zero, the group gets SIGTERM and, TFR_KILL_AFTER seconds later,
 * SIGKILL. Output that passes max_capture bytes a stream is counted but not
 * kept. Once the shell has exited, the pipes are read to their end, for at
 * most TFR_LINGER seconds (a background process may hold them open).
 *
 * A drain's casualty: a launcher that signals every process of its job step
 * (srun, scancel) hits the commands with the same SIGTERM, SIGUSR1 or SIGINT
 * that tells the rank to drain, and they die of it before their grace time.
 * A command that ends by one of those signals (or, from a shell, with exit
 * status 128 + one of them) that the runner did not send is therefore
 * counted as interrupted, not as failed, if the rank is told to drain by
 * then or within TFR_DRAIN_WAIT seconds: it runs again on resume. Otherwise
 * it is a failure like any other.
 *
 * Main thread of a rank only; not reentrant (the capture buffers are
 * reused from call to call). */
#ifndef TFR_RUNNER_H
#define TFR_RUNNER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Seconds (see above): a command's time to end after SIGTERM; how long
 * its pipes are read after it exited; how long a short command's output
 * may wait in its pipes; how late a drain signal may reach the rank after
 * it killed the command. */
#define TFR_KILL_AFTER 2.0
#define TFR_LINGER 1.0
#define TFR_PIPE_LATER 0.005
#define TFR_DRAIN_WAIT 1.0

typedef struct tfr_run_req {
    const char *cmd;
    char *const *envp;
    int out_fd, err_fd; /* where the child writes; -1: a pipe, captured */
    double timeout_s;   /* 0: none */
    double grace_s;     /* after a drain starts */
    volatile sig_atomic_t *drain;
    /* non-zero: stop the command now, as at the end of a drain's grace
     * (--halt now); NULL: none */
    volatile sig_atomic_t *halt;
    int wake_fd;             /* readable when *drain is set; -1: none */
    size_t max_capture;      /* per stream */
    void (*tick)(void *arg); /* called about every tick_s while waiting */
    void *tick_arg;
    double tick_s;
} tfr_run_req;

typedef struct tfr_run_res {
    int kind, code;        /* TFR_ST_* of journal.h */
    bool interrupted;      /* stopped by the drain, not finished */
    double start, end;     /* seconds since the epoch */
    const char *out, *err; /* captured bytes, valid until the next call */
    size_t out_len, err_len;
    uint64_t out_total, err_total; /* bytes the command wrote to the pipes */
} tfr_run_res;

/* If cmd is a plain list of words that sh would run as a program (no shell
 * syntax, no builtin or keyword first), splits it into argv (at most max-1
 * words, the strings in buf) and returns the word count; else -1.
 * tfr_run starts a command directly only up to these sizes (bytes, words
 * with the NULL): a longer one goes to sh, which costs one exec more. */
#define TFR_PLAIN_MAX 8192
#define TFR_PLAIN_WORDS 256
int tfr_split_plain(const char *cmd, char *buf, size_t cap, char **argv, int max);

/* Runs rq->cmd to its end; fills *rs. Always returns with a result: a shell
 * that cannot be started gives kind TFR_ST_NOSTART with the errno. */
void tfr_run(const tfr_run_req *rq, tfr_run_res *rs);

/* The process group of the command running now, 0 if none (for the
 * launcher watchdog of main.c, which may read it from its thread). */
extern _Atomic int tfr_child_pgid;

/* Starts the rank's guard: a process that, however the rank ends (SIGKILL
 * too), kills the process group of the command it was running, so that no
 * command outlives its rank and runs on beside a --resume. Main thread,
 * once, before MPI starts and before any other thread (it forks); 0, or
 * the errno (then there is no guard). The guard ends with the rank.
 * A rank killed in the moment between a command's start and tfr_run's note
 * of its group leaves that one command behind. */
int tfr_guard_start(void);

/* Seconds since the epoch, and a monotonic clock. */
double tfr_wall(void);
double tfr_mono(void);

#endif
