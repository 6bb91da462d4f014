/* worker.c - the task function "cmd": runs one command on this rank.
 *
 * Main thread of any rank (rank 0 too). The command's outcome is data, not
 * a library failure: the function returns 0 unless its output cannot be
 * stored, and the farm reads what happened from the tfr_out header. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "median.h"
#include "runner.h"
#include "tfrun.h"

/* Rank 0 handles the other ranks' results this often (seconds) while a
 * command of its own runs (farm.c). */
#define FARM_TICK_S 0.01
/* The variables task_env adds (TF_* and OMP_NUM_THREADS), with room to
 * spare. */
#define TASK_VARS_ROOM 7

/* This rank's own run times. */
static tfr_median rank_median;

/* The task's environment: the base, then ours (a later duplicate is never
 * looked at: the base has none of these names). */
static char **task_env(uint64_t id, int rank)
{
    static char **env;
    static char v_id[48], v_rank[32], v_host[80], v_n[48], v_cores[32], v_omp[40];
    if (!env) {
        env = calloc(tfr_nenv + TASK_VARS_ROOM + 1, sizeof *env); /* + the NULL */
        if (!env) return NULL;
        memcpy(env, tfr_envbase, tfr_nenv * sizeof *env);
    }
    size_t k = tfr_nenv;
    snprintf(v_id, sizeof v_id, "TF_TASK_ID=%" PRIu64, id);
    snprintf(v_rank, sizeof v_rank, "TF_RANK=%d", rank);
    snprintf(v_host, sizeof v_host, "TF_HOST=%s", tfr_host);
    snprintf(v_n, sizeof v_n, "TF_NTASKS=%" PRIu64, tfr_ntasks);
    snprintf(v_cores, sizeof v_cores, "TF_CORES=%u", tfr_opt.cores);
    env[k++] = v_id;
    env[k++] = v_rank;
    env[k++] = v_host;
    env[k++] = v_n;
    env[k++] = v_cores;
    if (tfr_opt.cores_set) {
        snprintf(v_omp, sizeof v_omp, "OMP_NUM_THREADS=%u", tfr_opt.cores);
        env[k++] = v_omp;
    }
    env[k] = NULL;
    return env;
}

/* The task's result: the header, then its stdout and stderr bytes. */
static int put(tf_buf *out, const tfr_out *h, const char *o, size_t o_len, const char *e,
               size_t e_len)
{
    char *p = tf_buf_reserve(out, sizeof *h + o_len + e_len);
    if (!p) return TF_ENOMEM;
    memcpy(p, h, sizeof *h);
    if (o_len) memcpy(p + sizeof *h, o, o_len);
    if (e_len) memcpy(p + sizeof *h + o_len, e, e_len);
    return 0;
}

static int put_header(tf_buf *out, const tfr_out *h) { return put(out, h, NULL, 0, NULL, 0); }

/* --output-dir: the command writes DIR/ID.out and DIR/ID.err through
 * temporary names, renamed once it has finished. */
typedef struct parts {
    char out_path[TFR_PATH_CAP], err_path[TFR_PATH_CAP];
    int out_fd, err_fd; /* -1: no --output-dir */
} parts;

/* A part file's name: ID.EXT.part-RANK-PID (tfr_remove_parts knows it). */
static int open_part(char *path, size_t cap, uint64_t id, const char *ext, int rank)
{
    snprintf(path, cap, "%s/%" PRIu64 ".%s.part-%d-%ld", tfr_opt.output_dir, id, ext, rank,
             (long)getpid());
    return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
}

static int finish_part(const char *part, uint64_t id, const char *ext, bool keep, uint64_t *size)
{
    if (!keep) {
        unlink(part);
        return 0;
    }
    struct stat st;
    if (stat(part, &st) == 0) *size = (uint64_t)st.st_size;
    char path[TFR_PATH_CAP];
    snprintf(path, sizeof path, "%s/%" PRIu64 ".%s", tfr_opt.output_dir, id, ext);
    return rename(part, path) == 0 ? 0 : errno;
}

/* Both part files open, or neither: 0, or the errno. */
static int open_parts(parts *pt, uint64_t id, int rank)
{
    pt->out_fd = open_part(pt->out_path, sizeof pt->out_path, id, "out", rank);
    pt->err_fd =
        pt->out_fd < 0 ? -1 : open_part(pt->err_path, sizeof pt->err_path, id, "err", rank);
    if (pt->out_fd >= 0 && pt->err_fd >= 0) return 0;
    int e = errno;
    if (pt->out_fd >= 0) close(pt->out_fd), unlink(pt->out_path);
    return e;
}

/* 0, or ENOSPC if the file system of --output-dir has no block left for
 * this process: a command's write there may have failed. The command
 * writes its files itself, so tfrun sees no write error; and whether it
 * exits 1 on one, or goes on without a word, is its own affair. */
static int output_dir_full(void)
{
    struct statvfs sv;
    /* a file system that reports no blocks at all (some FUSE ones) says
     * nothing of its room */
    if (statvfs(tfr_opt.output_dir, &sv) < 0 || sv.f_blocks == 0) return 0;
    fsblkcnt_t left = geteuid() == 0 ? sv.f_bfree : sv.f_bavail; /* root may use the reserve */
    return left == 0 ? ENOSPC : 0;
}

/* Closes the part files; a task that ran keeps them under their names
 * (their sizes into *h), one that did not loses them. A task whose output
 * may not be whole (a close that fails, a full file system) or cannot be
 * renamed is TFR_LOST, not a failure of its own: it runs again on resume.
 * Its part files stay where they are (rank 0 removes them when the run
 * ends): removing them here would free room that another rank's command
 * then finds, while that rank is still to look whether its own has failed. */
static void close_parts(parts *pt, tfr_out *h)
{
    int e = close(pt->out_fd) < 0 ? errno : 0;
    if (close(pt->err_fd) < 0 && !e) e = errno;
    bool keep = h->what == TFR_RAN;
    if (keep && !e) e = output_dir_full();
    if (keep && e) {
        h->what = TFR_LOST;
        h->code = e;
        return;
    }
    e = finish_part(pt->out_path, h->id, "out", keep, &h->out_total);
    if (!e) e = finish_part(pt->err_path, h->id, "err", keep, &h->err_total);
    if (e && keep) {
        h->what = TFR_LOST;
        h->code = e;
    }
}

/* s past a run of one or more digits, or NULL if it does not start with one. */
static const char *skip_digits(const char *s)
{
    const char *p = s;
    while (*p >= '0' && *p <= '9') p++;
    return p > s ? p : NULL;
}

/* Whether name is one that open_part makes. */
static bool part_name(const char *name)
{
    const char *p = skip_digits(name);
    if (!p || (strncmp(p, ".out.part-", 10) && strncmp(p, ".err.part-", 10))) return false;
    p = skip_digits(p + 10);
    if (!p || *p != '-') return false;
    p = skip_digits(p + 1);
    return p && !*p;
}

size_t tfr_remove_parts(void)
{
    DIR *d = opendir(tfr_opt.output_dir);
    if (!d) return 0;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (part_name(e->d_name) && unlinkat(dirfd(d), e->d_name, 0) == 0) n++;
    closedir(d);
    return n;
}

/* Whether the task, started now, would not end by its deadline. The run
 * time to expect: the farm's median when it sent the task, or this rank's
 * own median since, if longer (a task sent early in the run carries no
 * estimate). */
static bool past_deadline(const tfr_in *q, double now)
{
    double est = tfr_median_get(&rank_median);
    if (q->est_s > est) est = q->est_s;
    return q->deadline > 0 && now + est > q->deadline;
}

/* The task's --timeout: the one it was sent with, or, for --timeout N%, the
 * rank's own median's N% where the farm had too few run times when it sent
 * the task (the first window of tasks goes out at the start, before any has
 * run, and would otherwise never time out). */
static double task_timeout(const tfr_in *q)
{
    if (q->timeout_s > 0 || tfr_opt.timeout_pct <= 0) return q->timeout_s;
    if (tfr_median_count(&rank_median) < TIMEOUT_PCT_MIN_RUNS) return 0;
    return tfr_median_get(&rank_median) * tfr_opt.timeout_pct / 100;
}

static void run_command(const char *cmd, const tfr_in *q, int rank, char **env, const parts *pt,
                        tfr_run_res *rs)
{
    tfr_run_req rq = {
        .cmd = cmd,
        .envp = env,
        .out_fd = pt->out_fd,
        .err_fd = pt->err_fd,
        .timeout_s = task_timeout(q),
        .grace_s = tfr_opt.grace_s,
        .drain = &tfr_drain,
        .wake_fd = tfr_wake_rd,
        .max_capture = tfr_opt.max_output,
        .halt = &tfr_halt_now,
        /* rank 0's farm; on the other ranks a look for --halt now */
        .tick = rank == 0                           ? tfr_tick
                : tfr_opt.halt.when == TFR_HALT_NOW ? tfr_halt_poll
                                                    : NULL,
        .tick_arg = rank == 0 ? tfr_tick_arg : NULL,
        .tick_s = FARM_TICK_S,
    };
    tfr_run(&rq, rs);
    if (rs->kind != TFR_ST_NOSTART && rs->end > rs->start)
        tfr_median_add(&rank_median, rs->end - rs->start);
}

int tfr_task_fn(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    tfr_in q;
    if (len < sizeof q + 1 || ((const char *)in)[len - 1] != '\0')
        return tf_task_fail(t, "malformed command task (%zu bytes)", len);
    memcpy(&q, in, sizeof q);
    const char *cmd = (const char *)in + sizeof q;
    int rank = tf_pool_rank(tf_task_pool(t));

    tfr_out h;
    memset(&h, 0, sizeof h);
    h.id = q.id;
    h.rank = rank;
    memcpy(h.host, tfr_host, sizeof h.host);
    double now = tfr_wall();
    h.start = h.end = now;
    if (rank != 0 && tfr_opt.halt.when == TFR_HALT_NOW) tfr_halt_poll(NULL);
    if (tfr_drain || tfr_halt_now || past_deadline(&q, now)) {
        h.what = TFR_SKIPPED;
        /* the signal, --halt now, or the deadline */
        h.code = tfr_drain ? tfr_drain : tfr_halt_now ? TFR_HALT_CODE : -1;
        return put_header(out, &h);
    }
    char **env = task_env(q.id, rank);
    if (!env) return TF_ENOMEM;
    parts pt = {.out_fd = -1, .err_fd = -1};
    if (tfr_opt.output_dir) {
        int e = open_parts(&pt, q.id, rank);
        if (e) { /* not run: its output would have nowhere to go */
            h.what = TFR_LOST;
            h.kind = TFR_ST_NOSTART;
            h.code = e;
            h.end = tfr_wall();
            return put_header(out, &h);
        }
    }
    tfr_run_res rs;
    run_command(cmd, &q, rank, env, &pt, &rs);
    h.what = rs.interrupted ? TFR_INTERRUPTED : TFR_RAN;
    h.kind = rs.kind;
    if (rs.interrupted)
        h.code = tfr_drain ? tfr_drain : tfr_halt_now ? TFR_HALT_CODE : -1;
    else
        h.code = rs.code;
    h.start = rs.start;
    h.end = rs.end;
    h.out_total = rs.out_total;
    h.err_total = rs.err_total;
    if (pt.out_fd >= 0) {
        close_parts(&pt, &h);
        return put_header(out, &h);
    }
    if (h.what != TFR_RAN) return put_header(out, &h);
    h.out_len = rs.out_len;
    h.err_len = rs.err_len;
    return put(out, &h, rs.out, rs.out_len, rs.err, rs.err_len);
}
