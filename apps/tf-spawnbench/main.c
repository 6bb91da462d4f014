/* tf-spawnbench - what it costs an MPI process to start a short command.
 *
 *   mpirun -np 1 tf-spawnbench [--count N] [--rss-mib M] [--command true|echo]
 *                              [--thp default|off]
 *
 * The command farm tfrun starts one shell command per task. fork() copies
 * the caller's page tables, so its cost grows with the size of the process;
 * vfork() and posix_spawn() (glibc: clone(CLONE_VM|CLONE_VFORK)) share the
 * address space and should not. A third design forks a small helper process
 * before MPI_Init and lets it start the commands on request. This program
 * measures all of them, to decide how tfrun should start its commands.
 *
 * Methods, one child at a time, each reaped with waitpid():
 *   fork         fork() + execve()
 *   vfork        vfork() + execve() (all signals blocked around vfork)
 *   posix_spawn  posix_spawn() with file actions
 *   helper       a 1-byte request over a socketpair to a helper process that
 *                was forked before MPI_Init; it posix_spawn()s the command,
 *                waits, and replies with the wait status
 * Every child gets stdin (and for --command echo stdout) from /dev/null,
 * fds >= 3 closed (close_range / posix_spawn_file_actions_addclosefrom_np)
 * and an empty signal mask, then runs /bin/sh -c true (--command true, the
 * default) or /bin/sh -c 'echo $1' _ 7 (--command echo).
 *
 * Parent states, measured in this order:
 *   pre_mpi   before MPI_Init: a small process (fork, vfork, posix_spawn)
 *   mpi_init  after MPI_Init_thread (fork, vfork, posix_spawn)
 *   mpi_big   after MPI_Init plus M MiB (default 1024) of heap written with
 *             memset, like a large MPI process (fork, vfork, posix_spawn,
 *             helper); --thp off asks for no transparent huge pages there
 *             (MADV_NOHUGEPAGE), so that the block costs 4 KiB page tables
 * The helper is forked between pre_mpi and MPI_Init.
 *
 * For each (state, method), N commands (default 500) are timed 3 times after
 * a few untimed ones; reported are the median and minimum wall time per
 * command (CLOCK_MONOTONIC) and the median CPU time per command: the
 * spawning process's own (getrusage RUSAGE_SELF) plus its children's
 * (RUSAGE_CHILDREN: the shells). For helper, "parent" is the MPI process and
 * the children's share is what the helper reports about itself: its
 * RUSAGE_SELF + RUSAGE_CHILDREN (the MPI process's RUSAGE_CHILDREN does not
 * see the helper until it is reaped at the end).
 *
 * Output: a table on stdout, then one JSON line per (state, method) and
 * {"bench":"spawn","ok":true} last (false if any command did not exit 0).
 * Exit status: 0 ok, 1 a command failed or a system call did, 2 a bad option
 * or more than one rank.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <mpi.h>

#include "appkit.h"

#define REPS 3
#define WARMUP 10

extern char **environ;

enum method { M_FORK, M_VFORK, M_SPAWN, M_HELPER, M_COUNT };
static const char *const method_name[M_COUNT] = {"fork", "vfork", "posix_spawn", "helper"};

enum state { S_PRE, S_MPI, S_BIG, S_COUNT };
static const char *const state_name[S_COUNT] = {"pre_mpi", "mpi_init", "mpi_big"};

static struct {
    unsigned long count;
    unsigned long rss_mib;
    int echo; /* --command echo */
    int thp_off;
} cfg = {500, 1024, 0, 0};

static char *const argv_true[] = {"/bin/sh", "-c", "true", NULL};
static char *const argv_echo[] = {"/bin/sh", "-c", "echo $1", "_", "7", NULL};

static char *const *child_argv;
static int devnull = -1;
static posix_spawn_file_actions_t spawn_fa;
static posix_spawnattr_t spawn_attr;

/* The MPI process's end of the socketpair to the helper, and its pid. */
static int helper_fd = -1;
static pid_t helper_pid = -1;

struct result {
    int done;
    double wall_us, wall_min_us; /* per command: median, minimum */
    double cpu_us;               /* per command, spawner + children (median) */
    double cpu_parent_us;        /* per command, the spawning (MPI) process alone */
    long spawner_rss_kib;        /* resident size of the process that spawns */
    unsigned long failed;
};

static struct result results[S_COUNT][M_COUNT];

/* ---- options ----------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: tf-spawnbench [--count N] [--rss-mib M] [--command true|echo] "
               "[--thp default|off]\n");
}

static int parse_ulong(const char *opt, const char *s, unsigned long lo, unsigned long hi,
                       unsigned long *v)
{
    char *end = NULL;
    errno = 0;
    unsigned long x = *s >= '0' && *s <= '9' ? strtoul(s, &end, 10) : 0;
    if (*s < '0' || *s > '9' || errno || *end || x < lo || x > hi) {
        fprintf(stderr, "tf-spawnbench: %s: want a whole number from %lu to %lu, got '%s'\n", opt,
                lo, hi, s);
        return -1;
    }
    *v = x;
    return 0;
}

/* 0: go on, 1: --help answered, 2: a bad option (message printed). */
static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            usage(stdout);
            return 1;
        }
        if (strcmp(opt, "--count") != 0 && strcmp(opt, "--rss-mib") != 0 &&
            strcmp(opt, "--command") != 0 && strcmp(opt, "--thp") != 0) {
            fprintf(stderr, "tf-spawnbench: unknown option '%s' (try --help)\n", opt);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "tf-spawnbench: %s needs a value\n", opt);
            return 2;
        }
        const char *val = argv[++i];
        if (strcmp(opt, "--count") == 0) {
            if (parse_ulong(opt, val, 1, 10000000, &cfg.count)) return 2;
        } else if (strcmp(opt, "--rss-mib") == 0) {
            if (parse_ulong(opt, val, 0, 1024 * 1024, &cfg.rss_mib)) return 2;
        } else if (strcmp(opt, "--command") == 0) {
            if (strcmp(val, "true") == 0) {
                cfg.echo = 0;
            } else if (strcmp(val, "echo") == 0) {
                cfg.echo = 1;
            } else {
                fprintf(stderr, "tf-spawnbench: --command: want true or echo, got '%s'\n", val);
                return 2;
            }
        } else {
            if (strcmp(val, "default") == 0) {
                cfg.thp_off = 0;
            } else if (strcmp(val, "off") == 0) {
                cfg.thp_off = 1;
            } else {
                fprintf(stderr, "tf-spawnbench: --thp: want default or off, got '%s'\n", val);
                return 2;
            }
        }
    }
    return 0;
}

/* ---- small helpers ------------------------------------------------------- */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int64_t cpu_us(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 + ru.ru_utime.tv_usec +
           ru.ru_stime.tv_usec;
}

/* The "<key>: <n> kB" line of a /proc/self file, in KiB; -1 if absent. */
static long proc_kib(const char *file, const char *key)
{
    FILE *f = fopen(file, "r");
    if (!f) return -1;
    char line[256];
    size_t len = strlen(key);
    long kib = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, len) == 0 && line[len] == ':') {
            kib = strtol(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kib;
}

static long rss_kib(void) { return proc_kib("/proc/self/status", "VmRSS"); }

static int read_full(int fd, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return -1;
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* ---- starting one command ------------------------------------------------ */

/* The child side of fork and vfork: only system calls, no allocation, no
 * writes to the parent's memory (vfork shares it). */
static _Noreturn void exec_child(const sigset_t *mask)
{
    if (dup2(devnull, 0) < 0) _exit(127);
    if (cfg.echo && dup2(devnull, 1) < 0) _exit(127);
    if (close_range(3, ~0u, 0) != 0) {
        for (int fd = 3; fd < 1024; fd++) close(fd);
    }
    sigprocmask(SIG_SETMASK, mask, NULL);
    execve(child_argv[0], child_argv, environ);
    _exit(127);
}

static int setup_spawn(void)
{
    sigset_t empty;
    sigemptyset(&empty);
    int rc = posix_spawn_file_actions_init(&spawn_fa);
    if (!rc) rc = posix_spawn_file_actions_adddup2(&spawn_fa, devnull, 0);
    if (!rc && cfg.echo) rc = posix_spawn_file_actions_adddup2(&spawn_fa, devnull, 1);
    if (!rc) rc = posix_spawn_file_actions_addclosefrom_np(&spawn_fa, 3);
    if (!rc) rc = posix_spawnattr_init(&spawn_attr);
    if (!rc) rc = posix_spawnattr_setflags(&spawn_attr, POSIX_SPAWN_SETSIGMASK);
    if (!rc) rc = posix_spawnattr_setsigmask(&spawn_attr, &empty);
    if (rc) fprintf(stderr, "tf-spawnbench: posix_spawn setup: %s\n", strerror(rc));
    return rc ? -1 : 0;
}

static int wait_child(pid_t pid)
{
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -1;
    }
    return status;
}

static int spawn_local(void)
{
    pid_t pid;
    int rc = posix_spawn(&pid, child_argv[0], &spawn_fa, &spawn_attr, child_argv, environ);
    return rc ? -1 : wait_child(pid);
}

/* The wait status of one command, -1 if it could not be started, -2 if the
 * helper did not answer. */
static int run_one(enum method m)
{
    static sigset_t empty, all;
    static int init;
    if (!init) {
        sigemptyset(&empty);
        sigfillset(&all);
        init = 1;
    }
    pid_t pid;
    switch (m) {
    case M_FORK:
        pid = fork();
        if (pid == 0) exec_child(&empty);
        return pid < 0 ? -1 : wait_child(pid);
    case M_VFORK: {
        sigset_t old;
        pthread_sigmask(SIG_SETMASK, &all, &old);
        pid = vfork();
        if (pid == 0) exec_child(&empty);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        return pid < 0 ? -1 : wait_child(pid);
    }
    case M_SPAWN: return spawn_local();
    case M_HELPER: {
        char req = 's';
        int status;
        if (write_full(helper_fd, &req, 1) || read_full(helper_fd, &status, sizeof status))
            return -2;
        return status;
    }
    default: return -1;
    }
}

/* ---- the helper process ---------------------------------------------------- */

struct helper_usage {
    int64_t self_us, children_us;
    int64_t rss_kib;
};

/* Requests: 's' start one command, reply its wait status (int, -1: not
 * started); 'u' reply a struct helper_usage. EOF: exit. */
static _Noreturn void helper_main(int fd)
{
    char req;
    while (read_full(fd, &req, 1) == 0) {
        if (req == 's') {
            int status = spawn_local();
            if (write_full(fd, &status, sizeof status)) break;
        } else if (req == 'u') {
            struct helper_usage u = {cpu_us(RUSAGE_SELF), cpu_us(RUSAGE_CHILDREN), rss_kib()};
            if (write_full(fd, &u, sizeof u)) break;
        } else {
            break;
        }
    }
    _exit(0);
}

static int start_helper(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
        fprintf(stderr, "tf-spawnbench: socketpair: %s\n", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "tf-spawnbench: fork: %s\n", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        return -1;
    }
    if (pid == 0) {
        close(sv[0]);
        helper_main(sv[1]);
    }
    close(sv[1]);
    helper_fd = sv[0];
    helper_pid = pid;
    return 0;
}

static int helper_usage(struct helper_usage *u)
{
    char req = 'u';
    return write_full(helper_fd, &req, 1) || read_full(helper_fd, u, sizeof *u) ? -1 : 0;
}

static void stop_helper(void)
{
    if (helper_pid < 0) return;
    close(helper_fd);
    wait_child(helper_pid);
    helper_fd = -1;
    helper_pid = -1;
}

/* ---- measuring ---------------------------------------------------------------- */

static int measure(enum state s, enum method m)
{
    struct result *r = &results[s][m];
    double wall[REPS], cpu[REPS], cpu_parent[REPS];
    struct helper_usage h0 = {0}, h1 = {0};

    for (unsigned long i = 0; i < WARMUP && i < cfg.count; i++)
        if (run_one(m) != 0) r->failed++;

    for (int rep = 0; rep < REPS; rep++) {
        if (m == M_HELPER && helper_usage(&h0)) return -1;
        int64_t self0 = cpu_us(RUSAGE_SELF), kids0 = cpu_us(RUSAGE_CHILDREN);
        double t0 = now_us();
        for (unsigned long i = 0; i < cfg.count; i++) {
            int status = run_one(m);
            if (status == -2) return -1;
            if (status != 0) r->failed++;
        }
        double t1 = now_us();
        int64_t self1 = cpu_us(RUSAGE_SELF), kids1 = cpu_us(RUSAGE_CHILDREN);
        if (m == M_HELPER && helper_usage(&h1)) return -1;

        double n = (double)cfg.count;
        int64_t helper = (h1.self_us + h1.children_us) - (h0.self_us + h0.children_us);
        wall[rep] = (t1 - t0) / n;
        cpu_parent[rep] = (double)(self1 - self0) / n;
        cpu[rep] = (double)(self1 - self0 + kids1 - kids0 + helper) / n;
    }
    qsort(wall, REPS, sizeof wall[0], cmp_double);
    qsort(cpu, REPS, sizeof cpu[0], cmp_double);
    qsort(cpu_parent, REPS, sizeof cpu_parent[0], cmp_double);
    r->wall_us = wall[REPS / 2];
    r->wall_min_us = wall[0];
    r->cpu_us = cpu[REPS / 2];
    r->cpu_parent_us = cpu_parent[REPS / 2];
    r->spawner_rss_kib = m == M_HELPER ? (long)h1.rss_kib : rss_kib();
    r->done = 1;
    return 0;
}

static int measure_state(enum state s)
{
    for (int m = M_FORK; m <= M_SPAWN; m++) {
        if (measure(s, (enum method)m)) {
            fprintf(stderr, "tf-spawnbench: %s/%s: %s\n", state_name[s], method_name[m],
                    strerror(errno));
            return -1;
        }
    }
    return 0;
}

/* The block stays allocated until exit: it stands for the MPI process's data. */
static char *grow(void)
{
    size_t bytes = (size_t)cfg.rss_mib << 20;
    if (bytes == 0) return NULL;
    char *p = malloc(bytes);
    if (!p) return NULL;
    if (cfg.thp_off) {
        /* madvise wants a page-aligned start; the few bytes before it do
         * not matter. */
        uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
        uintptr_t a = ((uintptr_t)p + page - 1) & ~(page - 1);
        madvise((void *)a, bytes - (a - (uintptr_t)p), MADV_NOHUGEPAGE);
    }
    memset(p, 1, bytes);
    return p;
}

/* ---- output ------------------------------------------------------------------- */

static void report(int ok, long mpi_rss_kib, long mpi_pte_kib, long mpi_huge_kib)
{
    printf("tf-spawnbench: %lu x \"%s\", median of %d runs (min: fastest run), "
           "per command; mpi_big = +%lu MiB touched%s\n",
           cfg.count, cfg.echo ? "/bin/sh -c 'echo $1' _ 7 >/dev/null" : "/bin/sh -c true", REPS,
           cfg.rss_mib, cfg.thp_off ? ", no THP" : "");
    printf("CPU = spawner + children (helper: MPI process + helper + its children); "
           "parent = spawning/MPI process only\n\n");
    printf("%-9s %-12s %12s %10s %10s %10s %10s %7s\n", "state", "method", "spawner RSS", "wall us",
           "min us", "CPU us", "parent us", "failed");
    for (int s = 0; s < S_COUNT; s++) {
        for (int m = 0; m < M_COUNT; m++) {
            const struct result *r = &results[s][m];
            if (!r->done) continue;
            printf("%-9s %-12s %8.1f MiB %10.1f %10.1f %10.1f %10.1f %7lu\n", state_name[s],
                   method_name[m], (double)r->spawner_rss_kib / 1024, r->wall_us, r->wall_min_us,
                   r->cpu_us, r->cpu_parent_us, r->failed);
        }
    }
    printf("(MPI process in mpi_big: RSS %.1f MiB, of it %.1f MiB in huge pages; "
           "page tables %ld KiB)\n\n",
           (double)mpi_rss_kib / 1024, (double)mpi_huge_kib / 1024, mpi_pte_kib);

    for (int s = 0; s < S_COUNT; s++) {
        for (int m = 0; m < M_COUNT; m++) {
            const struct result *r = &results[s][m];
            if (!r->done) continue;
            printf("{\"bench\":\"spawn\",\"state\":\"%s\",\"method\":\"%s\",\"command\":\"%s\","
                   "\"count\":%lu,\"reps\":%d,\"rss_mib\":%lu,\"thp\":\"%s\","
                   "\"spawner_rss_kib\":%ld,\"wall_us\":%.1f,\"wall_us_min\":%.1f,"
                   "\"cpu_us\":%.1f,\"cpu_parent_us\":%.1f,\"failed\":%lu}\n",
                   state_name[s], method_name[m], cfg.echo ? "echo" : "true", cfg.count, REPS,
                   s == S_BIG ? cfg.rss_mib : 0, cfg.thp_off ? "off" : "default",
                   r->spawner_rss_kib, r->wall_us, r->wall_min_us, r->cpu_us, r->cpu_parent_us,
                   r->failed);
        }
    }
    printf("{\"bench\":\"spawn\",\"ok\":%s}\n", ok ? "true" : "false");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    ak_version_exit(argc, argv, "tf-spawnbench");
    int prc = parse_args(argc, argv);
    if (prc) return prc == 1 ? 0 : 2;

    child_argv = cfg.echo ? argv_echo : argv_true;
    devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
    if (devnull < 0) {
        fprintf(stderr, "tf-spawnbench: /dev/null: %s\n", strerror(errno));
        return 1;
    }
    if (setup_spawn()) return 1;

    /* (a) a small process, before MPI exists; then the helper, still small. */
    if (measure_state(S_PRE) || start_helper()) return 1;

    int provided, rank, size;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int status = 1;
    if (size != 1) {
        if (rank == 0) fprintf(stderr, "tf-spawnbench: run it with -np 1, not %d\n", size);
        status = 2;
        goto out;
    }

    /* (b) right after MPI_Init_thread. */
    if (measure_state(S_MPI)) goto out;

    /* (c) a large MPI process, and (d) the helper seen from it. */
    char *block = grow();
    if (cfg.rss_mib && !block) {
        fprintf(stderr, "tf-spawnbench: cannot allocate %lu MiB\n", cfg.rss_mib);
        goto out;
    }
    long mpi_rss = rss_kib();
    /* What fork has to copy: the page tables, fewer with huge pages. */
    long mpi_pte = proc_kib("/proc/self/status", "VmPTE");
    long mpi_huge = proc_kib("/proc/self/smaps_rollup", "AnonHugePages");
    if (measure_state(S_BIG)) goto out;
    if (measure(S_BIG, M_HELPER)) {
        fprintf(stderr, "tf-spawnbench: helper: %s\n", strerror(errno));
        goto out;
    }
    free(block);
    block = NULL;

    int ok = 1;
    for (int s = 0; s < S_COUNT; s++)
        for (int m = 0; m < M_COUNT; m++) ok &= results[s][m].failed == 0;
    report(ok, mpi_rss, mpi_pte, mpi_huge);
    status = ok ? 0 : 1;

out:
    stop_helper();
    MPI_Finalize();
    return status;
}
