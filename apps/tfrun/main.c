/* tfrun - a command farm: runs the shell commands of a task file on every
 * rank of an MPI job.
 *
 *   mpirun -np P tfrun [options] TASKFILE|-
 *   mpirun -np P tfrun [options] CMD... ::: VALUES... (args.c makes the tasks)
 *
 * Rank 0 reads the task file and the journal and drives (farm.c); every rank,
 * rank 0 too, runs commands (worker.c, runner.c). See usage() for the
 * options and the exit statuses.
 *
 * Threads: each rank's main thread runs this file, the farm and the worker;
 * the library's service thread moves the tasks. SIGTERM, SIGUSR1 and SIGINT
 * are blocked before MPI starts, so that MPI's and the library's threads
 * never take them, and then handled on the main thread only: the handler
 * sets tfr_drain and writes to the wake pipe that a waiting runner polls. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "appkit.h"
#include "deadline.h"
#include "runner.h"
#include "tfrun.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof *(a))

tfr_opts tfr_opt;
volatile sig_atomic_t tfr_drain;
int tfr_wake_rd = -1;
static int wake_wr = -1;
char tfr_host[TFR_HOST_MAX];
uint64_t tfr_ntasks;
char **tfr_envbase;
size_t tfr_nenv;
void (*tfr_tick)(void *);
void *tfr_tick_arg;
volatile sig_atomic_t tfr_halt_now;

extern char **environ;
static bool pml_ours; /* OMPI_MCA_pml is tfrun's choice: not the tasks' */

/* Defaults, as usage() states them. */
#define DEFAULT_GRACE_S 30    /* time enough for a command to save its state */
#define DEFAULT_PROGRESS_S 30 /* a line now and then in a batch job's log */
#define DEFAULT_MAX_OUTPUT ((size_t)64 << 20)
/* The largest --max-output: a task's captured output travels to rank 0 in
 * one message and --keep-order holds it there, so it must stay small. */
#define MAX_OUTPUT_LIMIT (256.0 * 1024 * 1024)
/* Bounds that only catch a typing error. */
#define TIMEOUT_MIN_S 1e-3
#define TIMEOUT_MAX_S 1e9
#define RETRIES_MAX 1000
#define SECONDS_MAX 1e7 /* --grace, --progress */
#define CORES_MAX 65536
#define WINDOW_MAX 1000000

/* Room for a one-line message that names a path. */
#define MSG_CAP (PATH_MAX + 304)

/* The launcher watchdog: how often it looks (ns), the exit status of a
 * rank it ends (128 + SIGKILL, as if the job had been killed), and its
 * stack, of which it uses little. */
#define WATCHDOG_PERIOD_NS 200000000
#define EXIT_ORPHAN (128 + SIGKILL)
#define WATCHDOG_STACK (64 * 1024)
/* How often a rank that waits for rank 0's word looks (ns). */
#define SHARE_POLL_NS 5000000

static void usage(void)
{
    if (ak_rank != 0) return;
    printf("usage: mpirun -np P tfrun [options] TASKFILE|-\n"
           "Runs each line of TASKFILE (- for standard input) with /bin/sh -c on the ranks.\n"
           "Blank lines and # lines are skipped; a trailing backslash continues a line; a task's\n"
           "id is the number of its first line. Each task sees TF_TASK_ID, TF_RANK, TF_HOST,\n"
           "TF_NTASKS and TF_CORES.\n"
           "\n"
           "or:    mpirun -np P tfrun [options] CMD... ::: VALUES... [:::: FILES...]\n"
           "A task per value, or per combination of values of several sources (the first\n"
           "varies slowest), as GNU parallel makes its jobs; its id is its number {#}.\n"
           "  ::: A B, :::: FILE    values, and a value per line of FILE (- : standard input)\n"
           "  :::+ A B, ::::+ FILE  taken in step with the source before, not combined\n"
           "  -a, --arg-file FILE   :::: FILE, before the command\n"
           "  {} {.} {/} {//} {/.} {#} {%%} {N} {N.} {N/} {N//} {N/.}  replaced in CMD (values\n"
           "                        quoted for sh; {%%} is $((TF_RANK+1))); CMD without any gets\n"
           "                        the values appended\n"
           "  -C, --colsep REGEX    split each value into columns {1} {2}... (POSIX regex;\n"
           "                        trims them)\n"
           "  --trim n|l|r|lr       take white space off the start/end of each column\n"
           "  --dry-run             print the commands, run none (no launcher needed)\n"
           "\n"
           "output\n"
           "  --tag                 put \"ID<TAB>\" before every line of a task's output\n"
           "  -k, --keep-order      write outputs in task order (memory: --window tasks)\n"
           "  -o, --output FILE     write the tasks' standard output to FILE (kept consistent\n"
           "                        with the journal across a crash)\n"
           "  --output-dir DIR      write DIR/ID.out and DIR/ID.err instead\n"
           "  --max-output BYTES    keep at most this much of each stream a task (64M)\n"
           "journal\n"
           "  --journal FILE        one line per finished task, written before it counts as done\n"
           "  --resume              run only the tasks the journal has no record of (the\n"
           "                        journal must exist)\n"
           "  --resume-failed       also run again the tasks whose last record failed\n"
           "  --resume-or-start     --resume, or start the journal if there is none\n"
           "  --status              with --journal: what it says of TASKFILE (done, failed, not\n"
           "                        yet run); runs nothing, needs no mpirun\n"
           "  --joblog FILE         a line per finished task in GNU parallel's --joblog format\n"
           "  --summary-json FILE   the summary as one JSON object\n"
           "failures\n"
           "  --timeout TIME|N%%     kill a task after TIME, or N%% of the median run time\n"
           "  --retries N           run a failed task up to N more times, on another rank if any\n"
           "  --halt WHEN,WHY=N[%%]  as GNU parallel's: WHEN now (stop the running tasks) or soon\n"
           "                        (let them finish); WHY fail, success or done; N tasks or N%%\n"
           "                        of them; never (the default)\n"
           "  --halt-on-error       --halt soon,fail=1\n"
           "walltime\n"
           "  --grace TIME          on SIGTERM/SIGUSR1/SIGINT start no task, stop running ones\n"
           "                        after TIME (30)\n"
           "  --deadline WHEN       start no task that would not end by WHEN (judged from the\n"
           "                        median run time): +TIME or 10m (from now), HH:MM[:SS],\n"
           "                        YYYY-MM-DDTHH:MM[:SS] or @EPOCH\n"
           "placement\n"
           "  -c, --cores-per-task K  give each task K cores of its host (hwloc binding,\n"
           "                        OMP_NUM_THREADS=K); ranks beyond cores/K on a host stay idle\n"
           "  --keep-mpi-env        pass the launcher's variables (OMPI_*, PMI_*...) to tasks\n"
           "other\n"
           "  --progress TIME       a progress line every TIME (30; a bar on a terminal; 0: none)\n"
           "  --bar                 the bar even if stderr is no terminal (mpirun makes it a\n"
           "                        pipe)\n"
           "  --window N            tasks in flight at most (4 x ranks + 16)\n"
           "  -q, --quiet           no progress and no summary\n"
           "  -h, --help, --version\n"
           "TIME: seconds, or a number with a unit (30s, 10m, 2h, 1d). --opt=VALUE is\n"
           "--opt VALUE.\n"
           "\n"
           "exit status: 0 every task succeeded (or none to run, or --halt ...,success=N\n"
           "halted); 1 some task failed, or --halt halted; 2 bad usage or input (nothing\n"
           "run); 3 stopped early by a signal or --deadline: run again with --resume;\n"
           "4 could not record the work: an output or journal write failed (a full disk),\n"
           "or the journal was deleted or replaced (a warning says where its records are);\n"
           "resume once there is room.\n");
}

/* ---- options -------------------------------------------------------------- */

static int parse_bytes(const char *opt, const char *s, size_t *v)
{
    char *end;
    errno = 0;
    double x = *s >= '0' && *s <= '9' ? strtod(s, &end) : -1;
    double mul = 1;
    if (x >= 0 && !errno) {
        if (*end == 'K' || *end == 'k')
            mul = 1024, end++;
        else if (*end == 'M')
            mul = 1024.0 * 1024, end++;
        else if (*end == 'G')
            mul = 1024.0 * 1024 * 1024, end++;
    }
    if (x < 0 || errno || *end || x * mul > MAX_OUTPUT_LIMIT) {
        ak_error("%s: want a size in bytes up to 256M (suffix K, M or G), got '%s'", opt, s);
        return -1;
    }
    *v = (size_t)(x * mul);
    return 0;
}

static int parse_deadline(const char *s, double *out)
{
    char err[MSG_CAP];
    if (!tfr_deadline_parse(s, tfr_wall(), out, err, sizeof err)) return 0;
    ak_error("%s", err);
    return -1;
}

static bool is_opt(const char *a, const char *short_name, const char *long_name)
{
    return (short_name && !strcmp(a, short_name)) || !strcmp(a, long_name);
}

static int set_halt(tfr_opts *o, const char *v)
{
    char err[MSG_CAP];
    if (tfr_halt_parse(v, &o->halt, err, sizeof err)) {
        ak_error("%s", err);
        return -1;
    }
    tfr_halt_str(&o->halt, o->halt_spec, sizeof o->halt_spec);
    return 0;
}

/* A time: seconds, or a number with a unit (cli.h), within [lo, hi]. */
static int parse_seconds(const char *opt, const char *v, double lo, double hi, double *out)
{
    double x;
    if (tfr_duration_parse(v, &x) || x < lo || x > hi) {
        ak_error("%s: want a time from %g to %g seconds (SEC, or 30s, 10m, 2h, 1d), got '%s'", opt,
                 lo, hi, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* An option without a value: true if `a` is one (then set in *o). */
static bool set_switch(tfr_opts *o, const char *a)
{
    if (is_opt(a, NULL, "--tag"))
        o->tag = true;
    else if (is_opt(a, "-k", "--keep-order"))
        o->keep_order = true;
    else if (is_opt(a, NULL, "--halt-on-error"))
        set_halt(o, "soon,fail=1");
    else if (is_opt(a, NULL, "--status"))
        o->status = true;
    else if (is_opt(a, "-q", "--quiet"))
        o->quiet = true;
    else if (is_opt(a, NULL, "--keep-mpi-env"))
        o->keep_mpi_env = true;
    else if (is_opt(a, NULL, "--bar"))
        o->bar = true;
    else if (is_opt(a, NULL, "--resume"))
        o->resume = true;
    else if (is_opt(a, NULL, "--resume-failed"))
        o->resume = o->resume_failed = true;
    else if (is_opt(a, NULL, "--resume-or-start"))
        o->resume = o->resume_or_start = true;
    else
        return false;
    return true;
}

/* --timeout SEC or N%. */
static int parse_timeout(tfr_opts *o, const char *v)
{
    size_t n = strlen(v);
    if (n > 1 && v[n - 1] == '%') {
        /* the whole number, however long: a copy cut short could drop what
         * makes it invalid */
        char *pct = strndup(v, n - 1);
        if (!pct) {
            ak_error("--timeout: out of memory");
            return -1;
        }
        int rc = ak_double("--timeout", pct, TIMEOUT_MIN_S, TIMEOUT_MAX_S, &o->timeout_pct);
        o->timeout_s = 0;
        free(pct);
        return rc;
    }
    o->timeout_pct = 0;
    return parse_seconds("--timeout", v, TIMEOUT_MIN_S, TIMEOUT_MAX_S, &o->timeout_s);
}

/* An option with a value, at argv[*i]: 1 if it is one (then set in *o and
 * *i advanced), 0 if not, -1 after a message. */
static int set_valued(tfr_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *v;
    int n;
#define VALUE() \
    if (!(v = ak_value(argc, argv, i))) return -1
    if (is_opt(a, NULL, "--journal")) {
        VALUE();
        o->journal = v;
    } else if (is_opt(a, "-o", "--output")) {
        VALUE();
        o->output_file = v;
    } else if (is_opt(a, NULL, "--output-dir")) {
        VALUE();
        o->output_dir = v;
    } else if (is_opt(a, NULL, "--max-output")) {
        VALUE();
        if (parse_bytes(a, v, &o->max_output)) return -1;
    } else if (is_opt(a, NULL, "--timeout")) {
        VALUE();
        if (parse_timeout(o, v)) return -1;
    } else if (is_opt(a, NULL, "--retries")) {
        VALUE();
        if (ak_int(a, v, 0, RETRIES_MAX, &n)) return -1;
        o->retries = (unsigned)n;
    } else if (is_opt(a, NULL, "--grace")) {
        VALUE();
        if (parse_seconds(a, v, 0, SECONDS_MAX, &o->grace_s)) return -1;
    } else if (is_opt(a, NULL, "--deadline")) {
        VALUE();
        if (parse_deadline(v, &o->deadline)) return -1;
    } else if (is_opt(a, "-c", "--cores-per-task")) {
        VALUE();
        if (ak_int(a, v, 1, CORES_MAX, &n)) return -1;
        o->cores = (unsigned)n;
        o->cores_set = true;
    } else if (is_opt(a, NULL, "--progress")) {
        VALUE();
        if (parse_seconds(a, v, 0, SECONDS_MAX, &o->progress_s)) return -1;
    } else if (is_opt(a, NULL, "--halt")) {
        VALUE();
        if (set_halt(o, v)) return -1;
    } else if (is_opt(a, NULL, "--joblog")) {
        VALUE();
        o->joblog = v;
    } else if (is_opt(a, NULL, "--summary-json")) {
        VALUE();
        o->summary_json = v;
    } else if (is_opt(a, NULL, "--window")) {
        VALUE();
        if (ak_int(a, v, 1, WINDOW_MAX, &n)) return -1;
        o->window = (unsigned)n;
    } else {
        return 0;
    }
#undef VALUE
    return 1;
}

/* Every option, for the name suggested after a wrong one. */
static const char *const option_names[] = {"--tag",
                                           "--keep-order",
                                           "--output",
                                           "--output-dir",
                                           "--max-output",
                                           "--journal",
                                           "--resume",
                                           "--resume-failed",
                                           "--resume-or-start",
                                           "--joblog",
                                           "--summary-json",
                                           "--status",
                                           "--timeout",
                                           "--retries",
                                           "--halt",
                                           "--halt-on-error",
                                           "--grace",
                                           "--deadline",
                                           "--cores-per-task",
                                           "--keep-mpi-env",
                                           "--progress",
                                           "--bar",
                                           "--window",
                                           "--quiet",
                                           "--help",
                                           "--version",
                                           "--dry-run",
                                           "--colsep",
                                           "--trim",
                                           "--arg-file"};

/* A wrong option: says so, with the one that was likely meant. -1. */
static int unknown_option(const char *a)
{
    size_t n = strcspn(a, "=");
    if (!strncmp(a, "-j", 2) || !strncmp(a, "-P", 2) || !strncmp(a, "--jobs", n > 6 ? n : 6) ||
        !strncmp(a, "--max-procs", n > 11 ? n : 11)) {
        ak_error("%.*s: tfrun runs one task per rank: start N ranks with mpirun -np N (or srun "
                 "-n N)",
                 (int)n, a);
        return -1;
    }
    const char *best = tfr_suggest(a, option_names, ARRAY_LEN(option_names));
    if (best)
        ak_error("unknown option '%.*s': did you mean %s? (see tfrun --help)", (int)n, a, best);
    else
        ak_error("unknown option '%.*s' (see tfrun --help)", (int)n, a);
    return -1;
}

/* --name=value: as "--name value". 1, 0 if no such option takes a value,
 * -1 after a message. */
static int set_inline(tfr_opts *o, const char *a, const char *eq)
{
    char name[64];
    size_t n = (size_t)(eq - a);
    if (n >= sizeof name) return 0;
    memcpy(name, a, n);
    name[n] = 0;
    char *argv2[] = {name, (char *)(eq + 1), NULL};
    int i = 0;
    int rc = set_valued(o, 2, argv2, &i);
    if (rc == 0 && set_switch(&(tfr_opts){0}, name)) {
        ak_error("%s takes no value, got '%s'", name, a);
        return -1;
    }
    return rc;
}

/* What the options mean together: 0, or -1 after a message. */
static int check_options(const tfr_opts *o)
{
    if (!o->taskfile && !o->args.on) {
        ak_error("no task file (usage: tfrun [options] TASKFILE|-, or tfrun [options] CMD... "
                 "::: ARGS; see --help)");
        return -1;
    }
    if (o->taskfile && o->args.on) {
        ak_error("-a/--arg-file and a task file (%s) exclude each other", o->taskfile);
        return -1;
    }
    if (o->resume && !o->journal) {
        ak_error("%s needs --journal FILE", o->resume_failed     ? "--resume-failed"
                                            : o->resume_or_start ? "--resume-or-start"
                                                                 : "--resume");
        return -1;
    }
    if (o->output_dir && o->output_file) {
        ak_error("--output and --output-dir exclude each other");
        return -1;
    }
    if (o->output_dir && (o->tag || o->keep_order)) {
        ak_error("%s has no effect with --output-dir", o->tag ? "--tag" : "--keep-order");
        return -1;
    }
    return 0;
}

/* 0: go on; 1: done (help, version); -1: bad usage (message printed). */
static int parse_options(int argc, char **argv)
{
    tfr_opts *o = &tfr_opt;
    o->grace_s = DEFAULT_GRACE_S;
    o->progress_s = DEFAULT_PROGRESS_S;
    o->max_output = DEFAULT_MAX_OUTPUT;
    o->cores = 1;
    bool dashdash = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (dashdash || a[0] != '-' || !strcmp(a, "-")) {
            if (!o->taskfile && tfr_args_wanted(&o->args, argc, argv, i)) {
                /* CMD... ::: ARGS: every word from here on */
                char err[MSG_CAP];
                if (!tfr_args_command(&o->args, argc, argv, i, err, sizeof err)) break;
                ak_error("%s", err);
                return -1;
            }
            if (o->taskfile) {
                ak_error("unexpected argument '%s' (one task file only)", a);
                return -1;
            }
            o->taskfile = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            dashdash = true;
            continue;
        }
        if (is_opt(a, "-h", "--help")) {
            usage();
            return 1;
        }
        if (is_opt(a, NULL, "--version")) {
            if (ak_rank == 0) ak_print_version("tfrun");
            return 1;
        }
        const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
        if (!eq && set_switch(o, a)) continue;
        char err[MSG_CAP];
        int args_opt = tfr_args_option(&o->args, argc, argv, &i, err, sizeof err);
        if (args_opt < 0) {
            ak_error("%s", err);
            return -1;
        }
        if (args_opt) continue;
        int valued = eq ? set_inline(o, a, eq) : set_valued(o, argc, argv, &i);
        if (valued < 0) return -1;
        if (valued == 0) return unknown_option(a);
    }
    return check_options(o);
}

/* ---- rank 0: the task file, the journal and the outputs ----------------------- */

static int sha256(const char *data, size_t len, unsigned char out[TFR_SHA256_LEN])
{
    unsigned int n = TFR_SHA256_LEN;
    return EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) == 1 ? 0 : -1;
}

static int mkdirs(const char *path)
{
    char b[PATH_MAX];
    if (snprintf(b, sizeof b, "%s", path) >= (int)sizeof b) return ENAMETOOLONG;
    for (char *p = b + 1; *p; p++) {
        if (*p != '/') continue;
        *p = 0;
        if (mkdir(b, 0755) < 0 && errno != EEXIST) return errno;
        *p = '/';
    }
    if (mkdir(b, 0755) < 0 && errno != EEXIST) return errno;
    struct stat st;
    if (stat(b, &st) < 0) return errno;
    if (!S_ISDIR(st.st_mode)) return ENOTDIR;
    return 0;
}

/* prepare()'s word for a task list without a command: exit status 0. */
#define NOTHING_TO_DO (-1)

/* "tfrun: message" on stderr; returns TFR_EXIT_USAGE (bad input: nothing is
 * run). */
static int fail_usage(const char *fmt, ...) TF_PRINTF(1, 2);
static int fail_usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("tfrun: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return TFR_EXIT_USAGE;
}

/* Reads and parses the task file into pl->tf, with its SHA-256 (which ties
 * a journal to it). 0, or the exit status after a message. */
static int load_taskfile(tfr_plan *pl, const char *tname, unsigned char sha[TFR_SHA256_LEN])
{
    char err[MSG_CAP];
    char *data;
    size_t len;
    if (tfr_read_all(tfr_opt.taskfile, &data, &len, err, sizeof err)) return fail_usage("%s", err);
    int rc = tfr_taskfile_parse(data, len, tname, &pl->tf, err, sizeof err);
    if (!rc && sha256(data, len, sha)) rc = -1, snprintf(err, sizeof err, "SHA-256 failed");
    free(data);
    if (rc) return fail_usage("%s", err);
    if (pl->tf.n == 0) { /* as for xargs and GNU parallel: nothing to do is no failure */
        fprintf(stderr, "tfrun: %s: no commands (%s): nothing to do\n", tname,
                pl->tf.lines ? "only blank lines and comments" : "it is empty");
        return NOTHING_TO_DO;
    }
    return 0;
}

/* The tasks: the task file's, or those made from the command template and
 * its argument sources; with their SHA-256, which ties a journal to them.
 * A made task list's is that of its commands, each with its NUL: a task
 * file holds no NUL, so no task file has it. 0, or the exit status after a
 * message. */
static int load_tasks(tfr_plan *pl, const char *tname, unsigned char sha[TFR_SHA256_LEN])
{
    if (!tfr_opt.args.on) return load_taskfile(pl, tname, sha);
    char err[MSG_CAP];
    if (tfr_args_generate(&tfr_opt.args, &pl->tf, err, sizeof err)) return fail_usage("%s", err);
    if (pl->tf.n == 0) { /* as for xargs and GNU parallel: nothing to do is no failure */
        fprintf(stderr, "tfrun: no commands (%s): nothing to do\n", err);
        return NOTHING_TO_DO;
    }
    const tfr_task *last = &pl->tf.v[pl->tf.n - 1];
    if (sha256(pl->tf.text, last->off + last->len + 1, sha)) return fail_usage("SHA-256 failed");
    return 0;
}

/* --output-dir: made if missing, and a file created and removed in it, so
 * that a directory no rank can write to is refused before anything runs. */
static int check_output_dir(void)
{
    int e = mkdirs(tfr_opt.output_dir);
    char probe[TFR_PATH_CAP];
    snprintf(probe, sizeof probe, "%s/.tfrun-probe-%ld", tfr_opt.output_dir, (long)getpid());
    int fd = e ? -1 : open(probe, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (!e && fd < 0) e = errno;
    if (fd >= 0) close(fd), unlink(probe);
    return e ? fail_usage("--output-dir %s: %s", tfr_opt.output_dir, strerror(e)) : 0;
}

/* Which file a path names, to tell whether two paths name one file: the
 * device and inode of what exists (any spelling, any link to it), else the
 * absolute name it would be made under, symbolic links followed. */
typedef struct file_id {
    bool exists;
    dev_t dev;
    ino_t ino;
    char name[PATH_MAX]; /* if !exists; "" if not known */
} file_id;

#define SYMLINK_HOPS 40 /* the kernel's limit */

static void identify(const char *path, file_id *id)
{
    memset(id, 0, sizeof *id);
    struct stat st;
    bool std_in = !strcmp(path, "-");
    if (std_in ? fstat(STDIN_FILENO, &st) == 0 : stat(path, &st) == 0) {
        id->exists = true;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        return;
    }
    if (std_in) return;
    /* a dangling link: creating the path creates its target */
    char cur[PATH_MAX], link[PATH_MAX], dir[PATH_MAX], real[PATH_MAX];
    if (snprintf(cur, sizeof cur, "%s", path) >= (int)sizeof cur) return;
    for (int hop = 0; hop < SYMLINK_HOPS; hop++) {
        ssize_t n = readlink(cur, link, sizeof link - 1);
        if (n < 0) break;
        link[n] = 0;
        const char *slash = strrchr(cur, '/');
        int dl = link[0] == '/' || !slash ? 0 : (int)(slash - cur) + 1;
        if (snprintf(dir, sizeof dir, "%.*s%s", dl, cur, link) >= (int)sizeof dir) return;
        memcpy(cur, dir, sizeof cur);
    }
    const char *slash = strrchr(cur, '/');
    const char *base = slash ? slash + 1 : cur;
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        snprintf(dir, sizeof dir, "%.*s", slash == cur ? 1 : (int)(slash - cur), cur);
    if (!realpath(dir, real)) return; /* no such directory: opening it fails anyway */
    if (snprintf(id->name, sizeof id->name, "%s/%s", strcmp(real, "/") ? real : "", base) >=
        (int)sizeof id->name)
        id->name[0] = 0;
}

static bool same_file(const file_id *a, const file_id *b)
{
    if (a->exists || b->exists)
        return a->exists && b->exists && a->dev == b->dev && a->ino == b->ino;
    return a->name[0] && !strcmp(a->name, b->name);
}

/* --output naming the task file or the journal, or --journal the task file,
 * would destroy it: refused before anything is opened for writing. */
static int check_distinct_files(const char *tname)
{
    file_id task, journal, output;
    if (tfr_opt.journal) identify(tfr_opt.journal, &journal);
    if (tfr_opt.output_file) identify(tfr_opt.output_file, &output);
    /* the task file, or every file the argument sources read */
    for (size_t k = 0;; k++) {
        const char *in = tfr_opt.args.on ? tfr_args_file(&tfr_opt.args, k) : k ? NULL : tname;
        if (!in) break;
        const char *what = tfr_opt.args.on ? "the argument file" : "the task file";
        identify(tfr_opt.args.on ? in : tfr_opt.taskfile, &task);
        if (tfr_opt.journal && same_file(&journal, &task))
            return fail_usage("--journal %s: the same file as %s %s", tfr_opt.journal, what, in);
        if (tfr_opt.output_file && same_file(&output, &task))
            return fail_usage("--output %s: the same file as %s %s", tfr_opt.output_file, what, in);
    }
    if (!tfr_opt.output_file) return 0;
    if (tfr_opt.journal && same_file(&output, &journal))
        return fail_usage("--output %s: the same file as the journal %s", tfr_opt.output_file,
                          tfr_opt.journal);
    return 0;
}

/* What the journal says of a task. */
enum { TASK_TODO = 0, TASK_DONE_OK, TASK_DONE_FAILED };

/* Reads and parses the journal, if there is one, and checks it belongs to
 * this task file. 0 (*j filled; an empty one if there is no journal yet),
 * or the exit status after a message (*j empty). */
static int read_journal(const tfr_plan *pl, const char *tname,
                        const unsigned char sha[TFR_SHA256_LEN], tfr_journal *j)
{
    char err[MSG_CAP];
    char *jd = NULL;
    size_t jl = 0;
    struct stat st;
    if (stat(tfr_opt.journal, &st) == 0) {
        if (!S_ISREG(st.st_mode))
            return fail_usage("--journal %s: not a regular file", tfr_opt.journal);
        if (tfr_read_all(tfr_opt.journal, &jd, &jl, err, sizeof err)) return fail_usage("%s", err);
    } else if (errno == ENOENT && tfr_opt.resume && !tfr_opt.resume_or_start) {
        /* a wrong name, or a journal lost: starting over would run every
         * task again */
        return fail_usage("--journal %s: no journal to resume from (--resume-or-start starts one)",
                          tfr_opt.journal);
    }
    if (jl && !tfr_opt.resume) {
        free(jd);
        return fail_usage("%s: the journal exists: go on with --resume or --resume-failed, or "
                          "remove it",
                          tfr_opt.journal);
    }
    int rc = tfr_journal_parse(jd ? jd : "", jl, tfr_opt.journal, j, err, sizeof err);
    free(jd);
    if (rc) return fail_usage("%s", err);
    if (j->has_header && (memcmp(j->sha256, sha, TFR_SHA256_LEN) || j->ntasks != pl->tf.n)) {
        tfr_journal_free(j);
        if (tfr_opt.args.on)
            return fail_usage("%s: made for other commands than those the arguments make now "
                              "(their SHA-256 or count differs)",
                              tfr_opt.journal);
        return fail_usage("%s: made for another task file than %s (its SHA-256 or task count "
                          "differs)",
                          tfr_opt.journal, tname);
    }
    return 0;
}

/* Marks in state[] the tasks the journal's records say are done. With
 * --output, the file must hold the output of every record kept: the records
 * from the first whose output is not there on are dropped (*cut: the first
 * dropped, SIZE_MAX if none) and *keep_end is where the kept output ends.
 * 0, or the exit status after a message. */
static int replay_journal(const tfr_plan *pl, const char *tname, const tfr_journal *j,
                          unsigned char *state, size_t *cut, int64_t *keep_end)
{
    int64_t osize = -1; /* the --output file's size; -1: no --output */
    if (tfr_opt.output_file) {
        struct stat os;
        osize = stat(tfr_opt.output_file, &os) == 0 ? (int64_t)os.st_size : 0;
    }
    size_t dropped = 0;
    *cut = SIZE_MAX;
    if (osize >= 0) *keep_end = 0; /* --output belongs to the run */
    for (size_t k = 0; k < j->n; k++) {
        const tfr_jrec *r = &j->v[k];
        long ix = tfr_task_index(&pl->tf, r->id);
        if (ix < 0)
            return fail_usage("%s:%" PRIu64 ": task %" PRIu64 " is not in %s", tfr_opt.journal,
                              r->line, r->id, tname);
        /* this record's output is not in the file: neither it nor any
         * later record is kept (a later one could fit again once the
         * file grows, and claim output that is not there) */
        if (*cut == SIZE_MAX && osize >= 0 && r->out_end > osize) *cut = k;
        if (k >= *cut) {
            dropped++;
            continue;
        }
        if (r->out_end > *keep_end) *keep_end = r->out_end;
        state[ix] = tfr_jrec_ok(r) ? TASK_DONE_OK : TASK_DONE_FAILED;
    }
    if (dropped && !tfr_opt.quiet)
        fprintf(stderr,
                "tfrun: %s: %zu journal records from the first one whose output is not in "
                "%s on: their tasks run again\n",
                tfr_opt.journal, dropped, tfr_opt.output_file);
    return 0;
}

/* Opens the journal for appending, locked against a second tfrun, cut back
 * to its last whole record before `cut`, with a header if it has none yet.
 * 0 (pl->journal_fd set), or the exit status after a message. */
static int open_journal(tfr_plan *pl, const tfr_journal *j, size_t cut,
                        const unsigned char sha[TFR_SHA256_LEN])
{
    /* read too: if the journal is deleted during the run, its records are
     * copied from here (tfr_journal_watch) */
    int fd = open(tfr_opt.journal, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return fail_usage("--journal %s: %s", tfr_opt.journal, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) < 0 && errno != ENOLCK && errno != ENOSYS &&
        errno != EOPNOTSUPP) { /* no locks on this file system: go on */
        int e = errno;
        close(fd);
        return fail_usage("--journal %s: %s", tfr_opt.journal,
                          e == EWOULDBLOCK ? "in use by another tfrun" : strerror(e));
    }
    size_t valid = j->has_header ? j->valid_len : 0;
    if (cut < j->n) valid = j->v[cut].line_off;
    if (ftruncate(fd, (off_t)valid) < 0 || lseek(fd, 0, SEEK_END) < 0) {
        int e = errno;
        close(fd);
        return fail_usage("--journal %s: %s", tfr_opt.journal, strerror(e));
    }
    if (!j->has_header) {
        char h[TFR_JOURNAL_LINE_MAX];
        size_t n = tfr_journal_header(h, sizeof h, sha, pl->tf.n);
        if (write(fd, h, n) != (ssize_t)n) {
            int e = errno;
            close(fd);
            return fail_usage("--journal %s: %s", tfr_opt.journal, strerror(e));
        }
    }
    pl->journal_fd = fd;
    return 0;
}

/* --journal: what is done already into state[], the journal open for
 * appending; *keep_end: where the --output file's kept output ends (-1: keep
 * it all). 0, or the exit status after a message. */
static int prepare_journal(tfr_plan *pl, const char *tname, const unsigned char sha[TFR_SHA256_LEN],
                           unsigned char *state, int64_t *keep_end)
{
    tfr_journal j;
    memset(&j, 0, sizeof j);
    int rc = read_journal(pl, tname, sha, &j);
    if (rc) return rc;
    size_t cut;
    rc = replay_journal(pl, tname, &j, state, &cut, keep_end);
    if (!rc && !tfr_opt.args.dry_run) rc = open_journal(pl, &j, cut, sha);
    tfr_journal_free(&j);
    return rc;
}

/* --output FILE: opened (emptied unless resuming), cut back to keep_end if
 * that is set. 0 (pl->out_fd and pl->out_off set), or the exit status after
 * a message. */
static int open_output_file(tfr_plan *pl, int64_t keep_end)
{
    int fl = O_WRONLY | O_CREAT | O_CLOEXEC | (tfr_opt.resume ? 0 : O_TRUNC);
    int fd = open(tfr_opt.output_file, fl, 0644);
    struct stat os;
    if (fd < 0 || fstat(fd, &os) < 0)
        return fail_usage("--output %s: %s", tfr_opt.output_file, strerror(errno));
    /* cut what tasks that never reached the journal wrote */
    if (keep_end >= 0 && os.st_size > keep_end && ftruncate(fd, keep_end) < 0) {
        int e = errno;
        close(fd);
        return fail_usage("--output %s: %s", tfr_opt.output_file, strerror(e));
    }
    pl->out_off = lseek(fd, 0, SEEK_END);
    pl->out_fd = fd;
    return 0;
}

/* ---- rank 0: a journal deleted or replaced during the run ---------------------- */

#define SAVED_NAMES 10 /* names tried beside the journal (PATH.saved.N) */
#define JOURNAL_NAME_CAP (PATH_MAX + 32)
/* Where the journal is now (tfr_opt.journal until it is lost), and whether
 * it was lost during this run. */
static char journal_at[JOURNAL_NAME_CAP];
static bool journal_lost;

/* Copies what fd `from` holds into fd `to` (at its offset). 0 or an errno. */
static int copy_fd(int from, int to)
{
    char buf[65536];
    for (off_t off = 0;;) {
        ssize_t n = pread(from, buf, sizeof buf, off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return errno;
        if (n == 0) return 0;
        for (ssize_t w = 0; w < n;) {
            ssize_t k = write(to, buf + w, (size_t)(n - w));
            if (k < 0 && errno == EINTR) continue;
            if (k < 0) return errno;
            w += k;
        }
        off += n;
    }
}

/* A new file for the journal's records: at its path if free, else at
 * PATH.saved, PATH.saved.2, ... Its descriptor (name in `name`), or -1. */
static int new_journal_file(bool path_free, char *name, size_t cap)
{
    for (int k = path_free ? 0 : 1; k <= SAVED_NAMES; k++) {
        if (k == 0)
            snprintf(name, cap, "%s", tfr_opt.journal);
        else if (k == 1)
            snprintf(name, cap, "%s.saved", tfr_opt.journal);
        else
            snprintf(name, cap, "%s.saved.%d", tfr_opt.journal, k);
        int fd = open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

bool tfr_journal_watch(tfr_plan *pl)
{
    if (pl->journal_fd < 0) return journal_lost;
    if (!journal_at[0]) snprintf(journal_at, sizeof journal_at, "%s", tfr_opt.journal);
    struct stat fs, ps;
    if (fstat(pl->journal_fd, &fs) < 0) return journal_lost;
    bool here = stat(journal_at, &ps) == 0;
    if (here && ps.st_dev == fs.st_dev && ps.st_ino == fs.st_ino) return journal_lost;
    if (!here && errno != ENOENT && errno != ENOTDIR) return journal_lost; /* cannot tell */
    journal_lost = true;
    const char *what = here ? "replaced" : fs.st_nlink ? "moved away" : "deleted";
    char name[JOURNAL_NAME_CAP];
    int fd = new_journal_file(!here, name, sizeof name);
    int e = fd < 0 ? errno : copy_fd(pl->journal_fd, fd);
    if (!e) {
        /* locked like the first, against a second tfrun */
        (void)flock(fd, LOCK_EX | LOCK_NB);
        if (fdatasync(fd) < 0 || dup3(fd, pl->journal_fd, O_CLOEXEC) < 0) e = errno;
    }
    if (fd >= 0) {
        if (e) unlink(name); /* a part would claim to be the whole */
        close(fd);
    }
    if (e) {
        fprintf(stderr,
                "tfrun: warning: %s was %s during the run and its records cannot be saved: "
                "%s: %s\n",
                journal_at, what, name, strerror(e));
        return journal_lost;
    }
    if (!strcmp(name, journal_at))
        fprintf(stderr,
                "tfrun: warning: %s was %s during the run: its records are written to it "
                "again\n",
                journal_at, what);
    else
        fprintf(stderr, "tfrun: warning: %s was %s during the run: its records are in %s\n",
                journal_at, what, name);
    snprintf(journal_at, sizeof journal_at, "%s", name);
    return journal_lost;
}

/* pl->todo: the tasks to run, in file order; the others counted as done. */
static int plan_todo(tfr_plan *pl, const unsigned char *state)
{
    pl->todo = malloc(pl->tf.n * sizeof *pl->todo);
    if (!pl->todo) return fail_usage("out of memory");
    for (size_t i = 0; i < pl->tf.n; i++) {
        if (state[i] == TASK_DONE_OK)
            pl->done_ok++;
        else if (state[i] == TASK_DONE_FAILED && !tfr_opt.resume_failed)
            pl->done_failed++;
        else
            pl->todo[pl->ntodo++] = i;
    }
    return 0;
}

/* Rank 0, before the run: the task file, --output-dir, the journal, the
 * --output file and the list of tasks to run, in that order. 0, or the
 * exit status after a message. */
static int prepare(tfr_plan *pl)
{
    const char *tname = tfr_opt.args.on                 ? "the commands made from the arguments"
                        : strcmp(tfr_opt.taskfile, "-") ? tfr_opt.taskfile
                                                        : "<stdin>";
    unsigned char sha[TFR_SHA256_LEN];
    bool dry = tfr_opt.args.dry_run; /* reads the journal, writes nothing */
    int rc = load_tasks(pl, tname, sha);
    if (rc || (rc = check_distinct_files(tname))) return rc;
    if (tfr_opt.status) return tfr_status(&pl->tf, tname, sha);
    if (tfr_opt.output_dir && !dry && (rc = check_output_dir())) return rc;

    unsigned char *state = calloc(pl->tf.n, 1); /* TASK_* per task */
    if (!state) return fail_usage("out of memory");
    pl->journal_fd = -1;
    pl->out_fd = 1;
    pl->out_off = -1;
    int64_t keep_end = -1;
    if (tfr_opt.journal) rc = prepare_journal(pl, tname, sha, state, &keep_end);
    if (!rc && tfr_opt.output_file && !dry) rc = open_output_file(pl, keep_end);
    if (!rc) rc = plan_todo(pl, state);
    free(state);
    return rc;
}

/* --dry-run: the commands that would run, in order, one per line (a
 * command with a newline in it takes more). 0, or the exit status after a
 * message. */
static int dry_run(const tfr_plan *pl)
{
    for (size_t k = 0; k < pl->ntodo; k++) {
        const tfr_task *tk = &pl->tf.v[pl->todo[k]];
        fwrite(pl->tf.text + tk->off, 1, tk->len, stdout);
        putchar('\n');
    }
    if (fflush(stdout) || ferror(stdout)) {
        fprintf(stderr, "tfrun: standard output: %s\n", strerror(errno));
        return TFR_EXIT_UNRECORDED;
    }
    return 0;
}

/* ---- every rank ------------------------------------------------------------- */

static bool starts_with(const char *s, const char *prefix)
{
    return !strncmp(s, prefix, strlen(prefix));
}

/* What a launcher sets for its ranks: Open MPI's OMPI_* and PMIX_*, and
 * Hydra's (MPICH's) PMI_*, HYDI_*, the local rank counts and the interface
 * name. A command that starts an MPI program of its own must not see them:
 * it would take itself for a rank of tfrun's job. */
static bool launcher_var(const char *e)
{
    static const char *const pre[] = {"OMPI_", "PMIX_", "PMI_", "HYDI_", "HYDRA_"};
    static const char *const hydra[] = {
        "MPI_LOCALNRANKS=", "MPI_LOCALRANKID=", "MPIR_CVAR_CH3_INTERFACE_HOSTNAME="};
    if (starts_with(e, "OMPI_ALLOW_RUN_AS_ROOT")) return false;
    for (size_t k = 0; k < ARRAY_LEN(pre); k++)
        if (starts_with(e, pre[k])) return true;
    for (size_t k = 0; k < ARRAY_LEN(hydra); k++)
        if (starts_with(e, hydra[k])) return true;
    return false;
}

static int make_envbase(void)
{
    static const char *const ours[] = {
        "TF_TASK_ID=", "TF_RANK=", "TF_HOST=", "TF_NTASKS=", "TF_CORES="};
    size_t n = 0;
    while (environ[n]) n++;
    tfr_envbase = calloc(n + 1, sizeof *tfr_envbase);
    if (!tfr_envbase) return -1;
    for (size_t i = 0; i < n; i++) {
        const char *e = environ[i];
        bool drop = !tfr_opt.keep_mpi_env && launcher_var(e);
        for (size_t k = 0; k < ARRAY_LEN(ours) && !drop; k++) drop = starts_with(e, ours[k]);
        if (tfr_opt.cores_set && starts_with(e, "OMP_NUM_THREADS=")) drop = true;
        if (pml_ours && starts_with(e, "OMPI_MCA_pml=")) drop = true;
        if (!drop) tfr_envbase[tfr_nenv++] = environ[i];
    }
    return 0;
}

static void on_signal(int sig)
{
    int e = errno;
    if (!tfr_drain) tfr_drain = sig;
    if (wake_wr >= 0) (void)!write(wake_wr, "x", 1);
    errno = e;
}

static const int drain_sigs[] = {SIGTERM, SIGUSR1, SIGINT};

static void signals_block(void)
{
    sigset_t s;
    sigemptyset(&s);
    for (size_t k = 0; k < ARRAY_LEN(drain_sigs); k++) sigaddset(&s, drain_sigs[k]);
    pthread_sigmask(SIG_BLOCK, &s, NULL);
    signal(SIGPIPE, SIG_IGN); /* a closed stdout is an error to report */
    signal(SIGCHLD, SIG_DFL); /* an inherited SIG_IGN would hide exit statuses */
}

static void signals_handle(void)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == 0) {
        tfr_wake_rd = p[0];
        wake_wr = p[1];
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    sigset_t s;
    sigemptyset(&s);
    for (size_t k = 0; k < ARRAY_LEN(drain_sigs); k++) {
        sigaction(drain_sigs[k], &sa, NULL);
        sigaddset(&s, drain_sigs[k]);
    }
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
}

/* -c K: this host's cores in slots of K; local rank i gets slot i, if there
 * is one, and binds its main thread (so its commands) to it. 1 if this rank
 * runs tasks, 0 if not, -1 (after a message) if the host has < K cores. */
static int place(MPI_Comm world)
{
    if (!tfr_opt.cores_set) return 1;
    MPI_Comm node;
    int local_rank, local_size;
    MPI_Comm_split_type(world, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
    MPI_Comm_rank(node, &local_rank);
    MPI_Comm_size(node, &local_size);
    MPI_Comm_free(&node);
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) < 0 || hwloc_topology_load(topo) < 0) {
        fprintf(stderr, "tfrun: %s: hwloc cannot read the topology\n", tfr_host);
        return -1;
    }
    hwloc_const_cpuset_t allowed = hwloc_topology_get_allowed_cpuset(topo);
    int ncores = hwloc_get_nbobjs_inside_cpuset_by_type(topo, allowed, HWLOC_OBJ_CORE);
    int nslots = ncores / (int)tfr_opt.cores;
    int runs = 1;
    if (nslots < 1) {
        if (local_rank == 0)
            fprintf(stderr, "tfrun: -c %u: host %s has %d cores\n", tfr_opt.cores, tfr_host,
                    ncores);
        runs = -1;
    } else if (local_rank >= nslots) {
        runs = 0;
    } else {
        hwloc_bitmap_t set = hwloc_bitmap_alloc();
        for (int k = 0; k < (int)tfr_opt.cores; k++) {
            hwloc_obj_t c = hwloc_get_obj_inside_cpuset_by_type(
                topo, allowed, HWLOC_OBJ_CORE, (unsigned)(local_rank * (int)tfr_opt.cores + k));
            if (c) hwloc_bitmap_or(set, set, c->cpuset);
        }
        if (hwloc_set_cpubind(topo, set, HWLOC_CPUBIND_THREAD) < 0)
            fprintf(stderr, "tfrun: warning: %s: cannot bind to %d cores: %s\n", tfr_host,
                    (int)tfr_opt.cores, strerror(errno));
        hwloc_bitmap_free(set);
    }
    if (runs >= 0 && local_rank == 0 && local_size > nslots && !tfr_opt.quiet)
        fprintf(stderr,
                "tfrun: -c %u: host %s has %d cores for %d ranks: %d run tasks, %d stay "
                "idle\n",
                tfr_opt.cores, tfr_host, ncores, local_size, nslots, local_size - nslots);
    hwloc_topology_destroy(topo);
    return runs;
}

/* A rank whose launcher (mpirun, orted, slurmstepd) died is an orphan: it
 * kills its command and ends at once, as if the job had been killed, so
 * that no orphan goes on writing the journal while a rerun resumes from it.
 * A thread of its own, which only sleeps and looks at getppid(). */
static void *watchdog(void *arg)
{
    pid_t parent = (pid_t)(intptr_t)arg;
    for (;;) {
        struct timespec ts = {0, WATCHDOG_PERIOD_NS};
        nanosleep(&ts, NULL);
        if (getppid() == parent) continue;
        int g = tfr_child_pgid;
        if (g > 0) kill(-g, SIGKILL);
        _exit(EXIT_ORPHAN);
    }
    return NULL;
}

/* True if an MPI launcher started this process. */
static bool launched_by_mpi(void)
{
    return getenv("OMPI_COMM_WORLD_RANK") || getenv("PMIX_RANK") || getenv("PMI_RANK") ||
           getenv("SLURM_STEP_ID");
}

static void start_watchdog(void)
{
    if (!launched_by_mpi()) return; /* a singleton: its parent is a shell */
    pthread_t th;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&at, WATCHDOG_STACK);
    int e = pthread_create(&th, &at, watchdog, (void *)(intptr_t)getppid());
    if (e) fprintf(stderr, "tfrun: warning: no launcher watchdog: %s\n", strerror(e));
    pthread_attr_destroy(&at);
}

/* Every rank learns rank 0's value; the ranks that wait sleep, not spin. */
static int share_int(int v)
{
    MPI_Request rq;
    MPI_Ibcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD, &rq);
    for (int done = 0;;) {
        MPI_Test(&rq, &done, MPI_STATUS_IGNORE);
        if (done) break;
        struct timespec ts = {0, SHARE_POLL_NS};
        nanosleep(&ts, NULL);
    }
    return v;
}

/* What rank 0 prepared (nothing on the other ranks). */
static void plan_free(tfr_plan *pl)
{
    if (pl->out_fd > 2) close(pl->out_fd);
    if (pl->journal_fd >= 0) close(pl->journal_fd);
    pl->out_fd = 1;
    pl->journal_fd = -1;
    tfr_taskfile_free(&pl->tf);
    free(pl->todo);
    pl->todo = NULL;
}

/* --halt now: rank 0's word to every rank, an MPI_Ibcast on a communicator
 * of its own that the other ranks post at the start and test while their
 * command runs; rank 0 posts it when it halts, or with 0 at the end. The
 * main thread calls MPI while the library's service thread does: only
 * under MPI_THREAD_MULTIPLE. */
static MPI_Comm halt_comm = MPI_COMM_NULL;
static MPI_Request halt_req = MPI_REQUEST_NULL;
static int halt_flag, halt_rank;
static bool halt_posted;

static void halt_open(MPI_Comm comm)
{
    int level;
    MPI_Query_thread(&level);
    if (tfr_opt.halt.when != TFR_HALT_NOW || level < MPI_THREAD_MULTIPLE) return;
    MPI_Comm_dup(comm, &halt_comm);
    MPI_Comm_rank(halt_comm, &halt_rank);
    if (halt_rank != 0) MPI_Ibcast(&halt_flag, 1, MPI_INT, 0, halt_comm, &halt_req);
}

void tfr_halt_send(void)
{
    tfr_halt_now = 1;
    if (halt_comm == MPI_COMM_NULL || halt_rank != 0 || halt_posted) return;
    halt_flag = 1;
    halt_posted = true;
    MPI_Ibcast(&halt_flag, 1, MPI_INT, 0, halt_comm, &halt_req);
}

void tfr_halt_poll(void *unused)
{
    (void)unused;
    if (halt_comm == MPI_COMM_NULL || halt_rank == 0 || tfr_halt_now) return;
    int done = 0;
    MPI_Test(&halt_req, &done, MPI_STATUS_IGNORE);
    if (done && halt_flag) tfr_halt_now = 1;
}

static void halt_close(void)
{
    if (halt_comm == MPI_COMM_NULL) return;
    if (halt_rank == 0 && !halt_posted) {
        halt_flag = 0;
        MPI_Ibcast(&halt_flag, 1, MPI_INT, 0, halt_comm, &halt_req);
    }
    MPI_Wait(&halt_req, MPI_STATUS_IGNORE);
    MPI_Comm_free(&halt_comm);
}

/* The run itself, on the ranks that run tasks (runs_tasks: this one does;
 * collective over MPI_COMM_WORLD). Returns tf_run's status, 0 on a rank
 * that runs none. */
static int run_tasks(tfr_plan *plan, bool runs_tasks)
{
    MPI_Comm task_comm;
    MPI_Comm_split(MPI_COMM_WORLD, runs_tasks ? 0 : MPI_UNDEFINED, ak_rank, &task_comm);
    if (task_comm == MPI_COMM_NULL) return 0;
    halt_open(task_comm);
    /* Commands inherit the main thread's binding: the pool's own (one
     * core, TF_BIND=auto) would squeeze every command and its threads
     * onto one core, and -c has placed the rank already. So the pool
     * binds nothing unless TF_BIND (read by tf_pool_create) says so. */
    tf_pool_opts popts = {.bind = TF_BIND_NONE};
    tf_pool *pool = NULL;
    int rc = tf_pool_create(task_comm, &popts, &pool);
    if (!rc) rc = tf_register(pool, "cmd", tfr_task_fn);
    if (rc) {
        fprintf(stderr, "tfrun: rank %d: %s\n", ak_rank,
                pool ? tf_pool_errmsg(pool) : tf_strerror(rc));
        MPI_Abort(MPI_COMM_WORLD, TFR_EXIT_FAILED);
    }
    signals_handle();
    int code = tf_run(pool, ak_rank == 0 ? tfr_farm : NULL, plan);
    halt_close();
    tf_pool_destroy(&pool);
    MPI_Comm_free(&task_comm);
    return code;
}

/* tfrun --status: what the journal says of the task file, without MPI. */
static int status_main(int argc, char **argv)
{
    ak_prog = "tfrun";
    int parsed = parse_options(argc, argv);
    if (parsed) return parsed > 0 ? 0 : TFR_EXIT_USAGE;
    if (!tfr_opt.journal) return fail_usage("--status needs --journal FILE");
    tfr_plan plan;
    memset(&plan, 0, sizeof plan);
    int code = prepare(&plan);
    tfr_taskfile_free(&plan.tf);
    return code == NOTHING_TO_DO ? 0 : code;
}

int main(int argc, char **argv)
{
    /* Help and version need no MPI: a shell's completion and a packager's
     * check run them outside any launcher (and as root). */
    ak_version_exit(argc, argv, "tfrun");
    if (ak_early_flag(argc, argv, "--help") || ak_early_flag(argc, argv, "-h")) {
        ak_rank = ak_launcher_rank();
        usage();
        return 0;
    }
    /* tfrun's messages are few and small. Open MPI's UCX layer, tried
     * first, costs about 0.2 s of start-up where there is no RDMA device
     * (measured: docs/BENCHMARKS.md); ob1 starts at once on shared memory
     * and TCP. A pml the user chose is kept. */
#ifdef OPEN_MPI
    if (!getenv("OMPI_MCA_pml")) {
        setenv("OMPI_MCA_pml", "ob1", 1);
        pml_ours = true;
    }
#endif
    /* --status reads files only: a plain process, no MPI */
    for (int i = 1; i < argc && strcmp(argv[i], "--"); i++)
        if (!strcmp(argv[i], "--status")) return status_main(argc, argv);
    signals_block();
    int guard_err = tfr_guard_start(); /* before MPI and every thread: it forks */
    start_watchdog();
    ak_init(&argc, &argv, "tfrun");
    gethostname(tfr_host, sizeof tfr_host - 1);
    if (guard_err)
        fprintf(stderr, "tfrun: warning: rank %d: no guard for its commands: %s\n", ak_rank,
                strerror(guard_err));
    int parsed = parse_options(argc, argv);
    if (parsed != 0) {
        tfr_args_free(&tfr_opt.args);
        MPI_Finalize();
        return parsed > 0 || ak_rank != 0 ? 0 : TFR_EXIT_USAGE;
    }

    tfr_plan plan;
    memset(&plan, 0, sizeof plan);
    plan.journal_fd = -1;
    plan.argc = argc;
    plan.argv = argv;
    int code = 0;
    if (ak_rank == 0) code = prepare(&plan);
    if (tfr_opt.args.dry_run) { /* rank 0 alone: no rank needs another */
        if (ak_rank == 0 && !code) code = dry_run(&plan);
        plan_free(&plan);
        tfr_args_free(&tfr_opt.args);
        MPI_Finalize();
        return ak_rank != 0 || code == NOTHING_TO_DO ? 0 : code;
    }
    code = share_int(code);
    if (code == NOTHING_TO_DO) {
        if (ak_rank == 0 && tfr_opt.summary_json)
            tfr_summary_json(tfr_opt.summary_json, &(tfr_result){.ranks = ak_size});
        plan_free(&plan);
        tfr_args_free(&tfr_opt.args);
        MPI_Finalize();
        return 0;
    }
    int placed = code ? 1 : place(MPI_COMM_WORLD); /* collective: every rank or none */
    int too_few_cores = placed < 0, anywhere = 0;
    MPI_Allreduce(&too_few_cores, &anywhere, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (!code && anywhere) code = TFR_EXIT_USAGE;
    uint64_t ntasks = plan.tf.n;
    MPI_Bcast(&ntasks, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    tfr_ntasks = ntasks;
    if (code || make_envbase() < 0) {
        plan_free(&plan);
        tfr_args_free(&tfr_opt.args);
        MPI_Finalize();
        if (!code) code = TFR_EXIT_FAILED;
        return ak_rank == 0 ? code : 0;
    }

    code = run_tasks(&plan, placed > 0);
    if (ak_rank == 0 && tfr_journal_watch(&plan)) code = TFR_EXIT_UNRECORDED;
    code = share_int(code);
    plan_free(&plan);
    tfr_args_free(&tfr_opt.args);
    free(tfr_envbase);
    MPI_Finalize();
    return ak_rank == 0 ? code : 0; /* the launcher reports rank 0's status */
}
