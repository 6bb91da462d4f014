/* runner.c - see runner.h. Main thread of a rank. */
#define _GNU_SOURCE
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

/* A Linux pipe's default capacity: a capture buffer grows by this much, so
 * that one read can empty a full pipe. */
#define CAPTURE_STEP 65536
/* Without a pidfd (an old kernel) waitpid is looked at this often (s). */
#define WAITPID_POLL_S 0.005
/* Without a wake-up descriptor, a drain is looked for this often (ms). */
#define DRAIN_POLL_MS 10
/* poll()'s longest wait (ms), which keeps the conversion to int in range. */
#define POLL_MAX_MS 1000000
/* sh's exit status for a command killed by signal N is this + N. */
#define SH_SIGNAL_BASE 128
/* PATH when the environment has none: execvp's own default. */
#define DEFAULT_PATH "/usr/bin:/bin"

_Atomic int tfr_child_pgid;

/* The guard's copy of tfr_child_pgid, in memory the rank shares with its
 * guard; NULL: no guard. */
static _Atomic int *guard_pgid;

double tfr_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double tfr_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct capbuf {
    char *b;
    size_t len, cap;
    uint64_t total;
} capbuf;

static capbuf cap_out, cap_err;

/* Reads what the pipe has now. 1 at end of file, 0 otherwise. */
static int read_available(int fd, capbuf *c, size_t max)
{
    char scratch[CAPTURE_STEP]; /* what passes max: counted, not kept */
    for (;;) {
        char *dst = scratch;
        size_t room = sizeof scratch;
        if (c->len < max) {
            if (c->cap - c->len < CAPTURE_STEP && c->cap < max) {
                size_t nc = c->cap ? c->cap * 2 : CAPTURE_STEP;
                while (nc - c->len < CAPTURE_STEP) nc *= 2;
                char *nb = realloc(c->b, nc);
                if (nb) {
                    c->b = nb;
                    c->cap = nc;
                }
            }
            if (c->cap > c->len) {
                dst = c->b + c->len;
                room = c->cap - c->len;
                if (room > max - c->len) room = max - c->len;
            }
        }
        ssize_t r = read(fd, dst, room);
        if (r > 0) {
            if (dst != scratch) c->len += (size_t)r;
            c->total += (uint64_t)r;
            continue;
        }
        if (r == 0) return 1;
        if (errno == EINTR) continue;
        return errno == EAGAIN ? 0 : 1;
    }
}

/* ---- direct exec ------------------------------------------------------------
 *
 * A command that is a plain list of words (letters, digits and _-+./,:@%^=,
 * and '...' strings) means the same to sh -c as to execvp of its words, unless
 * its first word is a keyword or a builtin, or has a '='. Such a command is
 * started without the shell in between, as make does: one exec instead of
 * two when the command itself is a program. Anything else goes to sh. */

static bool plain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           strchr("_-+./,:@%^=", c) != NULL;
}

static bool sh_word(const char *w)
{
    static const char *const words[] = {
        "!",        "{",      "}",       "case",     "do",    "done",    "elif",   "else",
        "esac",     "fi",     "for",     "if",       "in",    "then",    "until",  "while",
        ".",        ":",      "break",   "continue", "eval",  "exec",    "exit",   "export",
        "readonly", "return", "set",     "shift",    "times", "trap",    "unset",  "alias",
        "bg",       "cd",     "command", "false",    "fg",    "getopts", "hash",   "jobs",
        "kill",     "newgrp", "pwd",     "read",     "true",  "type",    "ulimit", "umask",
        "unalias",  "wait",   "echo",    "printf",   "test",  "[",       "local"};
    for (size_t k = 0; k < sizeof words / sizeof *words; k++)
        if (!strcmp(w, words[k])) return true;
    return false;
}

int tfr_split_plain(const char *cmd, char *buf, size_t cap, char **argv, int max)
{
    int argc = 0;
    size_t o = 0;
    const char *p = cmd;
    if (max < 2 || cap < 2) return -1;
    for (;;) {
        while (*p == ' ' || *p == '\t') p++;
        if (!*p) break;
        if (argc == max - 1) return -1;
        argv[argc++] = buf + o;
        while (*p && *p != ' ' && *p != '\t') {
            if (*p == '\'') {
                const char *q = strchr(p + 1, '\'');
                if (!q) return -1;
                size_t n = (size_t)(q - p - 1);
                if (o + n >= cap) return -1;
                memcpy(buf + o, p + 1, n);
                o += n;
                p = q + 1;
            } else if (plain_char(*p)) {
                if (o + 1 >= cap) return -1;
                buf[o++] = *p++;
            } else {
                return -1;
            }
        }
        if (o >= cap) return -1;
        buf[o++] = 0;
    }
    argv[argc] = NULL;
    if (argc == 0 || strchr(argv[0], '=') || sh_word(argv[0])) return -1;
    if (*argv[0] == 0) return -1;
    return argc;
}

/* The program a plain command names, looked up in PATH once per name and
 * remembered (as sh's own hash does): posix_spawnp would try every PATH
 * directory before it for every task. NULL if not found (then sh says so). */
static const char *which(const char *name)
{
    enum { SLOTS = 64 };
    static struct {
        char *name, *path;
    } memo[SLOTS];
    static unsigned used;
    if (strchr(name, '/')) return name;
    for (unsigned k = 0; k < used; k++)
        if (!strcmp(memo[k].name, name)) return memo[k].path;
    const char *path = getenv("PATH");
    char *found = NULL;
    for (const char *dir = path ? path : DEFAULT_PATH; !found;) {
        const char *colon = strchr(dir, ':');
        size_t n = colon ? (size_t)(colon - dir) : strlen(dir);
        char full[PATH_MAX];
        if (snprintf(full, sizeof full, "%.*s/%s", (int)n, n ? dir : ".", name) <
                (int)sizeof full &&
            access(full, X_OK) == 0) {
            struct stat st;
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) found = strdup(full);
        }
        if (!colon) break;
        dir = colon + 1;
    }
    if (!found || used == SLOTS) return found; /* not remembered: looked up again */
    memo[used].name = strdup(name);
    memo[used].path = found;
    if (!memo[used].name) return found;
    used++;
    return found;
}

/* ---- the guard ----------------------------------------------------------------
 *
 * A process of the rank's own, forked before MPI and every thread, which
 * waits for the end of file on a pipe whose only writer is the rank: the
 * kernel closes it however the rank ends, SIGKILL too. Then the guard kills
 * the process group of the command that runs, if one does, and ends. It
 * costs nothing per task: the group is a store into shared memory. */

static _Noreturn void guard_main(int rd, int wr)
{
    close(wr);
    /* out of the rank's process group and deaf to the signals that drain
     * it: whatever ends the rank, the guard is left to clean up after it */
    setpgid(0, 0);
    static const int deaf[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE};
    for (size_t k = 0; k < sizeof deaf / sizeof *deaf; k++) signal(deaf[k], SIG_IGN);
    /* no descriptor of the launcher's: Hydra waits for the end of the
     * rank's stdout and stderr, and the PMI socket is the rank's alone */
    int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
        for (int fd = 0; fd <= 2; fd++) dup2(null, fd);
        if (null > 2) close(null);
    }
    if (rd > 3) close_range(3, (unsigned)rd - 1, 0);
    close_range((unsigned)rd + 1, ~0U, 0);
    for (;;) {
        char b;
        ssize_t r = read(rd, &b, 1); /* nothing is ever written */
        if (r == 0 || (r < 0 && errno != EINTR)) break;
    }
    int g = *guard_pgid;
    if (g > 0) kill(-g, SIGKILL);
    _exit(0);
}

int tfr_guard_start(void)
{
    void *m =
        mmap(NULL, sizeof *guard_pgid, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return errno;
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0) {
        int e = errno;
        munmap(m, sizeof *guard_pgid);
        return e;
    }
    guard_pgid = m;
    pid_t pid = fork();
    if (pid == 0) guard_main(p[0], p[1]);
    int e = pid < 0 ? errno : 0;
    close(p[0]);
    if (e) { /* no guard: nothing to tell */
        close(p[1]);
        munmap(m, sizeof *guard_pgid);
        guard_pgid = NULL;
    }
    /* p[1] stays open, unused, until the rank ends: its close is the word */
    return e;
}

/* The command's group, for the launcher watchdog and for the guard. */
static void set_child_pgid(int pgid)
{
    tfr_child_pgid = pgid;
    if (guard_pgid) *guard_pgid = pgid;
}

static void nostart(tfr_run_res *rs, int err)
{
    rs->kind = TFR_ST_NOSTART;
    rs->code = err;
    rs->end = tfr_wall();
}

static bool is_drain_signal(int sig) { return sig == SIGTERM || sig == SIGUSR1 || sig == SIGINT; }

/* Whether *rq->drain is set now or within TFR_DRAIN_WAIT seconds: the signal
 * that killed a command may reach the rank a moment after the command died
 * of it (runner.h). Keeps calling rq->tick meanwhile (rank 0's farm). */
static bool drain_follows(const tfr_run_req *rq)
{
    double until = tfr_mono() + TFR_DRAIN_WAIT;
    double t_tick = rq->tick ? tfr_mono() + rq->tick_s : INFINITY;
    for (;;) {
        if (*rq->drain) return true;
        double now = tfr_mono();
        if (now >= until) return false;
        if (now >= t_tick) {
            rq->tick(rq->tick_arg);
            t_tick = tfr_mono() + rq->tick_s;
        }
        int ms = (int)ceil((fmin(until, t_tick) - now) * 1e3);
        if (ms < 1) ms = 1;
        if (rq->wake_fd >= 0) {
            struct pollfd pf = {rq->wake_fd, POLLIN, 0};
            (void)poll(&pf, 1, ms); /* the signal handler sets *drain first */
        } else {
            (void)poll(NULL, 0, ms < DRAIN_POLL_MS ? ms : DRAIN_POLL_MS);
        }
    }
}

/* ---- starting the command ----------------------------------------------------- */

/* A pipe for each stream the caller gives no descriptor for; *out_wr and
 * *err_wr: where the child writes. 0, or the errno with nothing left open. */
static int open_capture_pipes(const tfr_run_req *rq, int out_pipe[2], int err_pipe[2], int *out_wr,
                              int *err_wr)
{
    *out_wr = rq->out_fd;
    *err_wr = rq->err_fd;
    if (*out_wr < 0) {
        if (pipe2(out_pipe, O_CLOEXEC) < 0) return errno;
        fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
        *out_wr = out_pipe[1];
    }
    if (*err_wr < 0) {
        if (pipe2(err_pipe, O_CLOEXEC) < 0) {
            int e = errno;
            if (out_pipe[0] >= 0) close(out_pipe[0]), close(out_pipe[1]);
            return e;
        }
        fcntl(err_pipe[0], F_SETFL, O_NONBLOCK);
        *err_wr = err_pipe[1];
    }
    return 0;
}

/* The child's start (runner.h): stdin from /dev/null, stdout and stderr to
 * out_wr and err_wr, no other descriptor, the default dispositions, an empty
 * signal mask and a process group of its own. */
static void spawn_setup(posix_spawn_file_actions_t *fa, posix_spawnattr_t *at, int out_wr,
                        int err_wr)
{
    posix_spawn_file_actions_init(fa);
    posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(fa, out_wr, 1);
    posix_spawn_file_actions_adddup2(fa, err_wr, 2);
    posix_spawn_file_actions_addclosefrom_np(fa, 3);
    posix_spawnattr_init(at);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setsigmask(at, &none);
    posix_spawnattr_setsigdefault(at, &all);
    posix_spawnattr_setpgroup(at, 0);
    posix_spawnattr_setflags(at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                     POSIX_SPAWN_SETSIGDEF);
}

/* Starts rq->cmd: the program itself if the command is a plain one whose
 * program is found, else sh -c. 0, or the errno. */
static int spawn_command(const tfr_run_req *rq, int out_wr, int err_wr, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    spawn_setup(&fa, &at, out_wr, err_wr);
    enum { VIA_SH = -1 }; /* not started directly: sh -c is to start it */
    int rc = VIA_SH;
    static char words[TFR_PLAIN_MAX];
    char *word_argv[TFR_PLAIN_WORDS];
    if (strlen(rq->cmd) < sizeof words &&
        tfr_split_plain(rq->cmd, words, sizeof words, word_argv, TFR_PLAIN_WORDS) > 0) {
        const char *prog = which(word_argv[0]);
        rc = prog ? posix_spawn(pid, prog, &fa, &at, word_argv, rq->envp) : ENOENT;
        /* not found, not runnable, not a binary: sh says so, or runs it as
         * a script, as sh -c would have */
        if (rc == ENOENT || rc == EACCES || rc == ENOEXEC || rc == ENOTDIR) rc = VIA_SH;
    }
    if (rc == VIA_SH) {
        char *sh_argv[] = {"sh", "-c", (char *)rq->cmd, NULL};
        rc = posix_spawn(pid, "/bin/sh", &fa, &at, sh_argv, rq->envp);
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    return rc;
}

/* ---- waiting for it ------------------------------------------------------------- */

/* A started command, from its start to its end. Times are tfr_mono()
 * seconds; INFINITY: not due. */
typedef struct child {
    const tfr_run_req *rq;
    pid_t pid;
    int pidfd;          /* -1: none (an old kernel): waitpid is polled */
    int out_rd, err_rd; /* the capture pipes' read ends; -1: not captured */
    bool out_eof, err_eof, exited;
    bool term_sent, timed_out, interrupted;
    int status;       /* waitpid's; -1: lost */
    double t_timeout; /* --timeout */
    double t_grace;   /* the drain's grace ends */
    double t_kill;    /* SIGKILL after the SIGTERM */
    double t_linger;  /* exited: stop reading the pipes */
    double t_tick;    /* the next rq->tick */
    double t_pipes;   /* the pipes are watched from then on */
} child;

static void child_start(child *c, const tfr_run_req *rq, pid_t pid, int out_rd, int err_rd)
{
    memset(c, 0, sizeof *c);
    c->rq = rq;
    c->pid = pid;
    set_child_pgid(pid);
    c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    double t0 = tfr_mono();
    c->t_timeout = rq->timeout_s > 0 ? t0 + rq->timeout_s : INFINITY;
    c->t_grace = c->t_kill = c->t_linger = INFINITY;
    c->t_tick = rq->tick ? t0 + rq->tick_s : INFINITY;
    c->t_pipes = t0 + TFR_PIPE_LATER;
    c->out_rd = out_rd;
    c->err_rd = err_rd;
    c->out_eof = out_rd < 0;
    c->err_eof = err_rd < 0;
}

/* While the command runs: SIGTERM to its group at the timeout or at the end
 * of the drain's grace, SIGKILL TFR_KILL_AFTER seconds later. */
static void enforce_limits(child *c, double now)
{
    if (*c->rq->drain && c->t_grace == INFINITY) c->t_grace = now + c->rq->grace_s;
    if (c->rq->halt && *c->rq->halt && c->t_grace > now) c->t_grace = now;
    if (!c->term_sent && (now >= c->t_timeout || now >= c->t_grace)) {
        if (now >= c->t_timeout)
            c->timed_out = true;
        else
            c->interrupted = true;
        kill(-c->pid, SIGTERM);
        c->term_sent = true;
        c->t_kill = now + TFR_KILL_AFTER;
    }
    if (now >= c->t_kill) {
        kill(-c->pid, SIGKILL);
        c->t_kill = INFINITY;
    }
}

static void tick_if_due(child *c, double now)
{
    if (now < c->t_tick) return;
    c->rq->tick(c->rq->tick_arg);
    c->t_tick = tfr_mono() + c->rq->tick_s;
}

/* poll()'s timeout: until the next thing due, -1 if none is. */
static int poll_timeout_ms(const child *c, double now, bool watch_pipes)
{
    double until = c->t_tick;
    if (!c->exited) {
        if (!c->term_sent) until = fmin(until, fmin(c->t_timeout, c->t_grace));
        until = fmin(until, c->t_kill);
        if (c->pidfd < 0) until = fmin(until, now + WAITPID_POLL_S);
    } else {
        until = fmin(until, c->t_linger);
    }
    if (!watch_pipes) until = fmin(until, c->t_pipes);
    if (!(until < INFINITY)) return -1;
    double ms = (until - now) * 1e3;
    return ms <= 0 ? 0 : ms > POLL_MAX_MS ? POLL_MAX_MS : (int)ceil(ms);
}

/* What poll() watches, and where each descriptor sits in it (-1: not
 * watched). */
typedef struct watch {
    struct pollfd pf[4];
    int n, out, err, pid, wake;
} watch;

static void watch_set(const child *c, bool watch_pipes, watch *w)
{
    w->n = 0;
    w->out = w->err = w->pid = w->wake = -1;
    if (!c->out_eof && watch_pipes) w->pf[w->out = w->n++] = (struct pollfd){c->out_rd, POLLIN, 0};
    if (!c->err_eof && watch_pipes) w->pf[w->err = w->n++] = (struct pollfd){c->err_rd, POLLIN, 0};
    if (!c->exited && c->pidfd >= 0) w->pf[w->pid = w->n++] = (struct pollfd){c->pidfd, POLLIN, 0};
    if (!c->exited && c->rq->wake_fd >= 0 && c->t_grace == INFINITY)
        w->pf[w->wake = w->n++] = (struct pollfd){c->rq->wake_fd, POLLIN, 0};
}

static bool ready(const watch *w, int at) { return at >= 0 && w->pf[at].revents; }

/* Takes the child's status if it has exited (without a pidfd: looks). */
static void reap(child *c)
{
    pid_t w = waitpid(c->pid, &c->status, c->pidfd < 0 ? WNOHANG : 0);
    if (w < 0 && errno != EINTR) c->status = -1; /* its status is lost */
    if (w != c->pid && !(w < 0 && errno != EINTR)) return;
    c->exited = true;
    c->t_linger = tfr_mono() + TFR_LINGER;
    if (c->term_sent) kill(-c->pid, SIGKILL); /* what is left of the group */
    /* the writers are gone, as a rule: read to the end now */
    if (!c->out_eof) c->out_eof = read_available(c->out_rd, &cap_out, c->rq->max_capture);
    if (!c->err_eof) c->err_eof = read_available(c->err_rd, &cap_err, c->rq->max_capture);
}

/* Until the command has exited and its pipes are read to their end (or
 * TFR_LINGER has passed since it exited); the caller's thread sleeps in
 * poll() meanwhile. */
static void wait_child(child *c)
{
    const tfr_run_req *rq = c->rq;
    while (!c->exited || !c->out_eof || !c->err_eof) {
        double now = tfr_mono();
        if (!c->exited)
            enforce_limits(c, now);
        else if (now >= c->t_linger)
            break;
        tick_if_due(c, now);
        /* A short command's output waits in its pipes (64 KiB each) until
         * it has exited: the pipes are watched only after TFR_PIPE_LATER
         * seconds, which saves a wake-up per write of a short command. */
        bool watch_pipes = c->exited || c->pidfd < 0 || now >= c->t_pipes;
        int ms = poll_timeout_ms(c, now, watch_pipes);
        watch w;
        watch_set(c, watch_pipes, &w);
        if (poll(w.pf, (nfds_t)w.n, ms) < 0 && errno != EINTR) { /* cannot wait: stop it */
            if (!c->exited) {
                kill(-c->pid, SIGKILL);
                if (waitpid(c->pid, &c->status, 0) != c->pid) c->status = -1;
                c->exited = true;
            }
            break;
        }
        if (ready(&w, w.out)) c->out_eof = read_available(c->out_rd, &cap_out, rq->max_capture);
        if (ready(&w, w.err)) c->err_eof = read_available(c->err_rd, &cap_err, rq->max_capture);
        if (ready(&w, w.wake)) {
            char b[64];
            while (read(rq->wake_fd, b, sizeof b) > 0) {
            }
        }
        if (!c->exited && (c->pidfd < 0 || ready(&w, w.pid))) reap(c);
    }
}

/* What the pipes still hold, then every descriptor of the child closed. */
static void child_close(child *c)
{
    if (c->out_rd >= 0) {
        if (!c->out_eof) read_available(c->out_rd, &cap_out, c->rq->max_capture);
        close(c->out_rd);
    }
    if (c->err_rd >= 0) {
        if (!c->err_eof) read_available(c->err_rd, &cap_err, c->rq->max_capture);
        close(c->err_rd);
    }
    if (c->pidfd >= 0) close(c->pidfd);
}

/* ---- the result ----------------------------------------------------------------- */

static void set_result(const child *c, tfr_run_res *rs)
{
    rs->end = tfr_wall();
    rs->interrupted = c->interrupted;
    rs->out = cap_out.b;
    rs->err = cap_err.b;
    rs->out_len = cap_out.len;
    rs->err_len = cap_err.len;
    rs->out_total = cap_out.total;
    rs->err_total = cap_err.total;
    int status = c->status;
    if (c->timed_out) {
        rs->kind = TFR_ST_TIMEOUT;
        rs->code = 0;
    } else if (status == -1) { /* never a success we did not see */
        rs->kind = TFR_ST_NOSTART;
        rs->code = ECHILD;
    } else if (WIFSIGNALED(status)) {
        rs->kind = TFR_ST_SIGNAL;
        rs->code = WTERMSIG(status);
    } else {
        rs->kind = TFR_ST_EXIT;
        rs->code = WEXITSTATUS(status);
    }
}

/* A drain's casualty (runner.h): a command that died of a drain signal the
 * runner did not send counts as interrupted if the rank drains too. */
static bool drain_casualty(const child *c)
{
    int status = c->status;
    if (c->term_sent || status == -1 || !c->rq->drain) return false;
    int sig = 0;
    if (WIFSIGNALED(status))
        sig = WTERMSIG(status);
    else if (WIFEXITED(status) && WEXITSTATUS(status) > SH_SIGNAL_BASE)
        sig = WEXITSTATUS(status) - SH_SIGNAL_BASE;
    return is_drain_signal(sig) && drain_follows(c->rq);
}

void tfr_run(const tfr_run_req *rq, tfr_run_res *rs)
{
    memset(rs, 0, sizeof *rs);
    cap_out.len = cap_err.len = 0;
    cap_out.total = cap_err.total = 0;
    rs->out = cap_out.b;
    rs->err = cap_err.b;
    rs->start = tfr_wall();

    int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
    int out_wr, err_wr;
    int e = open_capture_pipes(rq, out_pipe, err_pipe, &out_wr, &err_wr);
    if (e) {
        nostart(rs, e);
        return;
    }
    pid_t pid;
    int rc = spawn_command(rq, out_wr, err_wr, &pid);
    if (out_pipe[1] >= 0) close(out_pipe[1]); /* the child's own, from now on */
    if (err_pipe[1] >= 0) close(err_pipe[1]);
    if (rc != 0) {
        if (out_pipe[0] >= 0) close(out_pipe[0]);
        if (err_pipe[0] >= 0) close(err_pipe[0]);
        nostart(rs, rc);
        return;
    }

    child c;
    child_start(&c, rq, pid, out_pipe[0], err_pipe[0]);
    wait_child(&c);
    set_child_pgid(0);
    child_close(&c);
    set_result(&c, rs);
    if (drain_casualty(&c)) rs->interrupted = true;
}
