/* worker.c - the task function "cmd": runs one command on this rank.
 *
 * Main thread of any rank (rank 0 too). The command's outcome is data, not
 * a library failure: the function returns 0 unless its output cannot be
 * stored, and the farm reads what happened from the tfr_out header. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "median.h"
#include "runner.h"
#include "tfrun.h"

/* The task's environment: the base, then ours (a later duplicate is never
 * looked at: the base has none of these names). */
static char **task_env(uint64_t id, int rank)
{
    static char **env;
    static char v_id[48], v_rank[32], v_host[80], v_n[48], v_cores[32], v_omp[40];
    if (!env) {
        env = calloc(tfr_nenv + 8, sizeof *env);
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

static int put(tf_buf *out, const tfr_out *h, const char *o, size_t ol, const char *e, size_t el)
{
    char *p = tf_buf_reserve(out, sizeof *h + ol + el);
    if (!p) return TF_ENOMEM;
    memcpy(p, h, sizeof *h);
    if (ol) memcpy(p + sizeof *h, o, ol);
    if (el) memcpy(p + sizeof *h + ol, e, el);
    return 0;
}

/* --output-dir: the command writes DIR/ID.out and DIR/ID.err through
 * temporary names, renamed once it has finished. */
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
    char path[4200];
    snprintf(path, sizeof path, "%s/%" PRIu64 ".%s", tfr_opt.output_dir, id, ext);
    return rename(part, path) == 0 ? 0 : errno;
}

int tfr_task_fn(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    tfr_in q;
    if (len < sizeof q + 1 || ((const char *)in)[len - 1] != '\0')
        return tf_task_fail(t, "malformed command task (%zu bytes)", len);
    memcpy(&q, in, sizeof q);
    const char *cmd = (const char *)in + sizeof q;
    tf_pool *pool = tf_task_pool(t);
    int rank = tf_pool_rank(pool);

    tfr_out h;
    memset(&h, 0, sizeof h);
    h.id = q.id;
    h.rank = rank;
    memcpy(h.host, tfr_host, sizeof h.host);
    /* the run time to expect: the farm's median when it sent the task, or
     * this rank's own median since, if longer (a task sent early in the run
     * carries no estimate) */
    static tfr_median mine;
    double est = tfr_median_get(&mine);
    if (q.est_s > est) est = q.est_s;
    double now = tfr_wall();
    h.start = h.end = now;
    if (tfr_drain || (q.deadline > 0 && now + est > q.deadline)) {
        h.what = TFR_SKIPPED;
        h.code = tfr_drain ? tfr_drain : -1; /* the signal, or the deadline */
        return put(out, &h, NULL, 0, NULL, 0);
    }
    char **env = task_env(q.id, rank);
    if (!env) return TF_ENOMEM;
    char opart[4200], epart[4200];
    int ofd = -1, efd = -1;
    if (tfr_opt.output_dir) {
        ofd = open_part(opart, sizeof opart, q.id, "out", rank);
        efd = ofd < 0 ? -1 : open_part(epart, sizeof epart, q.id, "err", rank);
        if (ofd < 0 || efd < 0) {
            int e = errno;
            if (ofd >= 0) close(ofd), unlink(opart);
            h.what = TFR_RAN;
            h.kind = TFR_ST_NOSTART;
            h.code = e;
            h.end = tfr_wall();
            return put(out, &h, NULL, 0, NULL, 0);
        }
    }
    tfr_run_req rq = {
        .cmd = cmd,
        .envp = env,
        .out_fd = ofd,
        .err_fd = efd,
        .timeout_s = q.timeout_s,
        .grace_s = tfr_opt.grace_s,
        .drain = &tfr_drain,
        .wake_fd = tfr_wake_rd,
        .max_capture = tfr_opt.max_output,
        .tick = rank == 0 ? tfr_tick : NULL,
        .tick_arg = tfr_tick_arg,
        .tick_s = 0.01,
    };
    tfr_run_res rs;
    tfr_run(&rq, &rs);
    h.what = rs.interrupted ? TFR_INTERRUPTED : TFR_RAN;
    if (rs.kind != TFR_ST_NOSTART && rs.end > rs.start) tfr_median_add(&mine, rs.end - rs.start);
    h.kind = rs.kind;
    h.code = rs.interrupted ? tfr_drain : rs.code;
    h.start = rs.start;
    h.end = rs.end;
    h.out_total = rs.out_total;
    h.err_total = rs.err_total;
    if (ofd >= 0) {
        close(ofd);
        close(efd);
        bool keep = h.what == TFR_RAN;
        int e = finish_part(opart, q.id, "out", keep, &h.out_total);
        if (!e) e = finish_part(epart, q.id, "err", keep, &h.err_total);
        if (e && keep) {
            h.kind = TFR_ST_NOSTART; /* its output could not be kept */
            h.code = e;
        }
        return put(out, &h, NULL, 0, NULL, 0);
    }
    if (h.what != TFR_RAN) return put(out, &h, NULL, 0, NULL, 0);
    h.out_len = rs.out_len;
    h.err_len = rs.err_len;
    return put(out, &h, rs.out, rs.out_len, rs.err, rs.err_len);
}
