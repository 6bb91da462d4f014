/* runner.c - see runner.h. Main thread of a rank. */
#define _GNU_SOURCE
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

_Atomic int tfr_child_pgid;

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
static int drain_pipe(int fd, capbuf *c, size_t max)
{
    char scratch[65536];
    for (;;) {
        char *dst = scratch;
        size_t room = sizeof scratch;
        if (c->len < max) {
            if (c->cap - c->len < 65536 && c->cap < max) {
                size_t nc = c->cap ? c->cap * 2 : 65536;
                while (nc - c->len < 65536) nc *= 2;
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
    for (const char *p = path ? path : "/usr/bin:/bin"; !found;) {
        const char *c = strchr(p, ':');
        size_t n = c ? (size_t)(c - p) : strlen(p);
        char full[4096];
        if (snprintf(full, sizeof full, "%.*s/%s", (int)n, n ? p : ".", name) < (int)sizeof full &&
            access(full, X_OK) == 0) {
            struct stat st;
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode)) found = strdup(full);
        }
        if (!c) break;
        p = c + 1;
    }
    if (!found || used == SLOTS) return found; /* not remembered: looked up again */
    memo[used].name = strdup(name);
    memo[used].path = found;
    if (!memo[used].name) return found;
    used++;
    return found;
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
            (void)poll(NULL, 0, ms < 10 ? ms : 10);
        }
    }
}

void tfr_run(const tfr_run_req *rq, tfr_run_res *rs)
{
    memset(rs, 0, sizeof *rs);
    cap_out.len = cap_err.len = 0;
    cap_out.total = cap_err.total = 0;
    rs->out = cap_out.b;
    rs->err = cap_err.b;
    rs->start = tfr_wall();

    int po[2] = {-1, -1}, pe[2] = {-1, -1};
    int ofd = rq->out_fd, efd = rq->err_fd;
    if (ofd < 0) {
        if (pipe2(po, O_CLOEXEC) < 0) return nostart(rs, errno);
        fcntl(po[0], F_SETFL, O_NONBLOCK);
        ofd = po[1];
    }
    if (efd < 0) {
        if (pipe2(pe, O_CLOEXEC) < 0) {
            int e = errno;
            if (po[0] >= 0) close(po[0]), close(po[1]);
            return nostart(rs, e);
        }
        fcntl(pe[0], F_SETFL, O_NONBLOCK);
        efd = pe[1];
    }

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, ofd, 1);
    posix_spawn_file_actions_adddup2(&fa, efd, 2);
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
    posix_spawnattr_init(&at);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    sigdelset(&all, SIGKILL);
    sigdelset(&all, SIGSTOP);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &all);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    char *argv[] = {"sh", "-c", (char *)rq->cmd, NULL};
    pid_t pid;
    int rc = -1;
    static char wbuf[TFR_PLAIN_MAX];
    char *wargv[TFR_PLAIN_WORDS];
    if (strlen(rq->cmd) < sizeof wbuf &&
        tfr_split_plain(rq->cmd, wbuf, sizeof wbuf, wargv, TFR_PLAIN_WORDS) > 0) {
        const char *prog = which(wargv[0]);
        rc = prog ? posix_spawn(&pid, prog, &fa, &at, wargv, rq->envp) : ENOENT;
        /* not found, not runnable, not a binary: sh says so, or runs it as
         * a script, as sh -c would have */
        if (rc == ENOENT || rc == EACCES || rc == ENOEXEC || rc == ENOTDIR) rc = -1;
    }
    if (rc == -1) rc = posix_spawn(&pid, "/bin/sh", &fa, &at, argv, rq->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (po[1] >= 0) close(po[1]);
    if (pe[1] >= 0) close(pe[1]);
    if (rc != 0) {
        if (po[0] >= 0) close(po[0]);
        if (pe[0] >= 0) close(pe[0]);
        return nostart(rs, rc);
    }

    tfr_child_pgid = pid;
    int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    double t0 = tfr_mono();
    double t_timeout = rq->timeout_s > 0 ? t0 + rq->timeout_s : INFINITY;
    double t_grace = INFINITY, t_kill = INFINITY, t_linger = INFINITY;
    double t_tick = rq->tick ? t0 + rq->tick_s : INFINITY;
    double t_pipes = t0 + TFR_PIPE_LATER;
    bool timed_out = false, term_sent = false, exited = false;
    bool oeof = po[0] < 0, eeof = pe[0] < 0;
    int status = 0;

    while (!exited || !oeof || !eeof) {
        double now = tfr_mono();
        if (!exited) {
            if (*rq->drain && t_grace == INFINITY) t_grace = now + rq->grace_s;
            if (!term_sent && (now >= t_timeout || now >= t_grace)) {
                if (now >= t_timeout)
                    timed_out = true;
                else
                    rs->interrupted = true;
                kill(-pid, SIGTERM);
                term_sent = true;
                t_kill = now + TFR_KILL_AFTER;
            }
            if (now >= t_kill) {
                kill(-pid, SIGKILL);
                t_kill = INFINITY;
            }
        } else if (now >= t_linger) {
            break;
        }
        if (now >= t_tick) {
            rq->tick(rq->tick_arg);
            t_tick = tfr_mono() + rq->tick_s;
        }
        double until = t_tick;
        if (!exited) {
            if (!term_sent) until = fmin(until, fmin(t_timeout, t_grace));
            until = fmin(until, t_kill);
            if (pidfd < 0) until = fmin(until, now + 0.005);
        } else {
            until = fmin(until, t_linger);
        }
        int ms = -1;
        if (until < INFINITY) {
            double d = (until - now) * 1e3;
            ms = d <= 0 ? 0 : d > 1e6 ? 1000000 : (int)ceil(d);
        }
        struct pollfd pf[4];
        int n = 0, io = -1, ie = -1, ip = -1, iw = -1;
        /* A short command's output waits in its pipes (64 KiB each) until
         * it has exited: the pipes are watched only after TFR_PIPE_LATER
         * seconds, which saves a wake-up per write of a short command. */
        bool pipes = exited || pidfd < 0 || now >= t_pipes;
        if (!pipes) until = fmin(until, t_pipes);
        if (until < INFINITY) {
            double d = (until - now) * 1e3;
            ms = d <= 0 ? 0 : d > 1e6 ? 1000000 : (int)ceil(d);
        }
        if (!oeof && pipes) pf[io = n++] = (struct pollfd){po[0], POLLIN, 0};
        if (!eeof && pipes) pf[ie = n++] = (struct pollfd){pe[0], POLLIN, 0};
        if (!exited && pidfd >= 0) pf[ip = n++] = (struct pollfd){pidfd, POLLIN, 0};
        if (!exited && rq->wake_fd >= 0 && t_grace == INFINITY)
            pf[iw = n++] = (struct pollfd){rq->wake_fd, POLLIN, 0};
        int pr = poll(pf, (nfds_t)n, ms);
        if (pr < 0 && errno != EINTR) { /* cannot wait: stop the command */
            if (!exited) {
                kill(-pid, SIGKILL);
                if (waitpid(pid, &status, 0) != pid) status = -1;
                exited = true;
            }
            break;
        }
        if (pr <= 0) pr = 0;
        if (io >= 0 && pf[io].revents) oeof = drain_pipe(po[0], &cap_out, rq->max_capture);
        if (ie >= 0 && pf[ie].revents) eeof = drain_pipe(pe[0], &cap_err, rq->max_capture);
        if (iw >= 0 && pf[iw].revents) {
            char b[64];
            while (read(rq->wake_fd, b, sizeof b) > 0) {
            }
        }
        if (!exited && (pidfd < 0 || (ip >= 0 && pf[ip].revents))) {
            pid_t w = waitpid(pid, &status, pidfd < 0 ? WNOHANG : 0);
            if (w < 0 && errno != EINTR) status = -1; /* its status is lost */
            if (w == pid || (w < 0 && errno != EINTR)) {
                exited = true;
                t_linger = tfr_mono() + TFR_LINGER;
                if (term_sent) kill(-pid, SIGKILL); /* what is left of the group */
                /* the writers are gone, as a rule: read to the end now */
                if (!oeof) oeof = drain_pipe(po[0], &cap_out, rq->max_capture);
                if (!eeof) eeof = drain_pipe(pe[0], &cap_err, rq->max_capture);
            }
        }
    }
    tfr_child_pgid = 0;
    if (po[0] >= 0) {
        if (!oeof) drain_pipe(po[0], &cap_out, rq->max_capture);
        close(po[0]);
    }
    if (pe[0] >= 0) {
        if (!eeof) drain_pipe(pe[0], &cap_err, rq->max_capture);
        close(pe[0]);
    }
    if (pidfd >= 0) close(pidfd);
    rs->end = tfr_wall();
    rs->out = cap_out.b;
    rs->err = cap_err.b;
    rs->out_len = cap_out.len;
    rs->err_len = cap_err.len;
    rs->out_total = cap_out.total;
    rs->err_total = cap_err.total;
    if (timed_out) {
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
    if (!term_sent && status != -1 && rq->drain) {
        int sig = WIFSIGNALED(status)                              ? WTERMSIG(status)
                  : WIFEXITED(status) && WEXITSTATUS(status) > 128 ? WEXITSTATUS(status) - 128
                                                                   : 0;
        if (is_drain_signal(sig) && drain_follows(rq)) rs->interrupted = true;
    }
}
