/* trace.c - the timeline file (TF_TRACE=FILE) and the run statistics
 * (TF_STATS=1); the events themselves are recorded by core/timeline.c.
 *
 * Threads (every rank): the main thread alone runs this file, and makes
 * all its MPI calls while the service thread is parked or not started:
 * tf__trace_open/close/free, tf__stats_run_begin/end. The timeline's
 * buffers are read only at tf__trace_close, after the run's end
 * (svc_state/run_done, seq_cst atomics) has ordered the service thread's
 * writes before it.
 *
 * Clocks: events carry tf__now_ns (CLOCK_MONOTONIC) times. The origin is
 * taken right after an MPI_Barrier at the first tf_run: ranks on one host
 * share the clock exactly; across hosts the origins agree to within the
 * barrier's latency (tens of microseconds on a cluster network), and
 * their clocks may drift apart by a few ppm over a long run. */
#define _GNU_SOURCE
#include "api/trace.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/opts.h"
#include "core/timeline.h"
#include "api/pool_parts.h"

#define PIECE ((size_t)4 << 20) /* bytes of JSON per message to rank 0 */
#define TAG_TRACE 32001         /* unused by msg.h; run traffic is over */
#define STATS_ROWS_MAX 64       /* per-rank lines up to this many ranks */

/* a rank's numbers of one run, as TF_STATS gathers them */
enum {
    F_TASKS,
    F_FAILED,
    F_BUSY,
    F_IDLE,
    F_IO,
    F_MS,
    F_MR,
    F_BS,
    F_BR,
    F_RUN,
    F_CPU,
    F_STEAL_TRY, /* peer stealing: requests sent */
    F_STEAL_OK,  /* of which got tasks */
    F_STOLEN,    /* tasks they got */
    F_STEAL_MED, /* median request-to-answer time, s (0: no request) */
    F_PUSHES,    /* tasks pushed along lifelines (messages) */
    F_WAVES,     /* quiescence waves (rank 0) */
    NF
};

struct tf__runstats {
    bool stats_env, trace_env; /* this rank's environment */
    char *path;                /* TF_TRACE, absolute */
    bool synced;               /* rank 0's choice is known */
    bool stats_json_env;       /* TF_STATS=json here */
    bool stats, trace;         /* rank 0's choice */
    bool stats_json;           /* rank 0's: JSON lines, not the table */
    unsigned runs;
    uint64_t t0;         /* this run's start */
    double cpu0;         /* service thread CPU time at this run's start */
    tf_stats before;     /* TF_STATS: counters at this run's start */
    uint64_t hist0[128]; /* TF_STATS: the steal-latency histogram then */
    double *rows;        /* TF_STATS, rank 0: every rank's numbers of a run */
};

/* ---- open, free, agreement ------------------------------------------------------ */

int tf__trace_open(tf_pool *p, const char **bad)
{
    *bad = NULL;
    p->trace = NULL;
    p->rs = NULL;
    struct tf__runstats *rs = tf__calloc(1, sizeof *rs);
    if (!rs) return TF_ENOMEM;
    const char *v = getenv("TF_STATS");
    /* json: the same numbers for a script, one object a line */
    bool json = v && !strcmp(v, "json");
    int on = json ? 1 : tf__opts_flag(v);
    if (on < 0) {
        if (p->rank == 0) tf__opts_say_bad("TF_STATS", v, 0);
        *bad = "TF_STATS";
        tf__free(rs);
        return TF_EINVAL;
    }
    rs->stats_env = on;
    rs->stats_json_env = json;
    v = getenv("TF_TRACE");
    if (v && *v) {
        /* absolute now: the program may change directory before destroy */
        char cwd[4096];
        if (v[0] != '/' && getcwd(cwd, sizeof cwd)) {
            size_t n = strlen(cwd) + strlen(v) + 2;
            rs->path = tf__malloc(n);
            if (rs->path) snprintf(rs->path, n, "%s/%s", cwd, v);
        } else {
            rs->path = tf__strdup(v);
        }
        if (!rs->path) {
            tf__free(rs);
            return TF_ENOMEM;
        }
        rs->trace_env = true;
    }
    p->rs = rs;
    return 0;
}

void tf__trace_free(tf_pool *p)
{
    tf__timeline_free(p->trace);
    p->trace = NULL;
    if (p->rs) tf__free(p->rs->path), tf__free(p->rs->rows);
    tf__free(p->rs);
    p->rs = NULL;
}

/* Collective, main thread, service thread parked: every rank adopts rank
 * 0's TF_STATS and TF_TRACE, and the trace's clock origin is set. */
static void agree(tf_pool *p)
{
    struct tf__runstats *rs = p->rs;
    if (p->rank == 0 && rs->stats_env) {
        rs->rows = tf__malloc((size_t)p->size * NF * sizeof *rs->rows);
        if (!rs->rows) {
            fprintf(stderr, "taskfarm: stats: out of memory; TF_STATS is ignored\n");
            rs->stats_env = false;
        }
    }
    int v[2] = {rs->stats_env ? 1 + rs->stats_json_env : 0, rs->trace_env};
    if (MPI_Bcast(v, 2, MPI_INT, 0, p->comm) != MPI_SUCCESS) v[0] = v[1] = 0;
    rs->synced = true;
    rs->stats = v[0] != 0;
    rs->stats_json = v[0] == 2;
    rs->trace = v[1] != 0;
    if (!rs->trace) return;
    /* a rank without memory traces nothing but still takes part */
    p->trace = tf__timeline_create();
    MPI_Barrier(p->comm);
    if (p->trace) tf__timeline_start(p->trace);
}

/* ---- run statistics ------------------------------------------------------------- */

static double svc_cpu_s(tf_pool *p)
{
    clockid_t clk;
    struct timespec ts;
    if (!p->svc.started || pthread_getcpuclockid(p->svc.thread, &clk) != 0 ||
        clock_gettime(clk, &ts) != 0)
        return 0;
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void tf__stats_run_begin(tf_pool *p)
{
    struct tf__runstats *rs = p->rs;
    if (!rs) return;
    if (!rs->synced) agree(p);
    rs->runs++;
    if (rs->stats) tf_pool_stats(p, &rs->before);
    if (rs->stats && p->peers_made) tf__steal_hist(&p->peers.st, rs->hist0);
    rs->cpu0 = svc_cpu_s(p);
    rs->t0 = tf__now_ns();
}

static const char *fmt_bytes(char *s, size_t n, double b)
{
    static const char u[] = " KMGTP";
    int k = 0;
    while (b >= 1024 && k < 5) b /= 1024, k++;
    if (k == 0)
        snprintf(s, n, "%.0f", b);
    else
        snprintf(s, n, "%.1f%c", b, u[k]);
    return s;
}

static void stats_row(const char *label, const double *f)
{
    char bs[16], br[16];
    char msgs[48], bytes[48];
    snprintf(msgs, sizeof msgs, "%.0f/%.0f", f[F_MS], f[F_MR]);
    snprintf(bytes, sizeof bytes, "%s/%s", fmt_bytes(bs, sizeof bs, f[F_BS]),
             fmt_bytes(br, sizeof br, f[F_BR]));
    double pct = f[F_RUN] > 0 ? 100.0 * f[F_BUSY] / f[F_RUN] : 0;
    fprintf(stderr, "taskfarm: stats: %6s %10.0f %9.3f %9.3f %9.3f %15s %17s %6.1f\n", label,
            f[F_TASKS], f[F_BUSY], f[F_IDLE], f[F_IO], msgs, bytes, pct);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Each column's sum over the n ranks' rows into tot; the most busy rank's
 * busy time. */
static double stats_totals(const double *all, int n, double tot[NF])
{
    double maxbusy = 0;
    for (int r = 0; r < n; r++) {
        for (int k = 0; k < NF; k++) tot[k] += all[r * NF + k];
        if (all[r * NF + F_BUSY] > maxbusy) maxbusy = all[r * NF + F_BUSY];
    }
    return maxbusy;
}

/* Rank 0: the table of one run from every rank's row of NF numbers. */
static void stats_print(tf_pool *p, const double *all, unsigned run)
{
    int n = p->size;
    double tot[NF] = {0}, maxbusy = stats_totals(all, n, tot);
    double wall = all[F_RUN]; /* rank 0's: it starts first and ends last */
    fprintf(stderr, "taskfarm: stats: run %u: %d rank%s, %.3f s, %.0f tasks (%.0f failed)\n", run,
            n, n == 1 ? "" : "s", wall, tot[F_TASKS], tot[F_FAILED]);
    fprintf(stderr, "taskfarm: stats: %6s %10s %9s %9s %9s %15s %17s %6s\n", "rank", "tasks",
            "busy s", "wait s", "I/O s", "msgs sent/recv", "bytes sent/recv", "busy%");
    if (n <= STATS_ROWS_MAX) {
        char label[16];
        for (int r = 0; r < n; r++) {
            snprintf(label, sizeof label, "%d", r);
            stats_row(label, all + r * NF);
        }
    } else {
        /* per column over the ranks; a row is then no single rank */
        double *col = tf__malloc((size_t)n * sizeof *col);
        double lo[NF], med[NF], hi[NF];
        for (int k = 0; col && k < NF; k++) {
            for (int r = 0; r < n; r++) col[r] = all[r * NF + k];
            qsort(col, (size_t)n, sizeof *col, cmp_double);
            lo[k] = col[0];
            med[k] = n % 2 ? col[n / 2] : (col[n / 2 - 1] + col[n / 2]) / 2;
            hi[k] = col[n - 1];
        }
        if (col) {
            stats_row("min", lo);
            stats_row("median", med);
            stats_row("max", hi);
        }
        tf__free(col);
    }
    tot[F_RUN] = wall * n; /* busy % of the total: of all ranks' wall time */
    stats_row("total", tot);
    double mean = tot[F_BUSY] / n;
    char imb[32];
    if (mean > 0)
        snprintf(imb, sizeof imb, "%.3f", maxbusy / mean);
    else
        snprintf(imb, sizeof imb, "n/a");
    fprintf(stderr,
            "taskfarm: stats: load imbalance (max/mean busy) %s; coordinator share of rank 0 "
            "(service CPU / wall) %.1f%%\n",
            imb, wall > 0 ? 100.0 * all[F_CPU] / wall : 0.0);
    fprintf(stderr, "taskfarm: stats: rank 0 received %.0f messages (%.0f/s)\n", all[F_MR],
            wall > 0 ? all[F_MR] / wall : 0.0);
    if (!p->peers_made) return;
    /* the median of the ranks' medians: each rank's is of its own steals */
    double *med = tf__malloc((size_t)n * sizeof *med);
    int nm = 0;
    for (int r = 0; med && r < n; r++)
        if (all[r * NF + F_STEAL_TRY] > 0) med[nm++] = all[r * NF + F_STEAL_MED];
    double m = 0;
    if (nm) {
        qsort(med, (size_t)nm, sizeof *med, cmp_double);
        m = nm % 2 ? med[nm / 2] : (med[nm / 2 - 1] + med[nm / 2]) / 2;
    }
    tf__free(med);
    fprintf(stderr,
            "taskfarm: stats: steals: %.0f requests, %.0f got tasks (%.0f tasks), median "
            "latency %.1f us (median over ranks); %.0f lifeline pushes; %.0f waves\n",
            tot[F_STEAL_TRY], tot[F_STEAL_OK], tot[F_STOLEN], m * 1e6, tot[F_PUSHES], tot[F_WAVES]);
}

/* A number for JSON: finite, or null. */
static void json_num(const char *key, double v, bool last)
{
    if (isfinite(v))
        fprintf(stderr, "\"%s\": %.9g%s", key, v, last ? "" : ", ");
    else
        fprintf(stderr, "\"%s\": null%s", key, last ? "" : ", ");
}

/* Rank 0, TF_STATS=json: the numbers of stats_print as JSON objects, one a
 * line: the run's, then each rank's. */
static void stats_print_json(tf_pool *p, const double *all, unsigned run)
{
    int n = p->size;
    double tot[NF] = {0}, maxbusy = stats_totals(all, n, tot);
    double wall = all[F_RUN], mean = tot[F_BUSY] / n;
    fprintf(stderr, "{\"type\": \"run\", \"run\": %u, \"ranks\": %d, ", run, n);
    json_num("wall_s", wall, false);
    json_num("tasks", tot[F_TASKS], false);
    json_num("failed", tot[F_FAILED], false);
    json_num("busy_s", tot[F_BUSY], false);
    json_num("wait_s", tot[F_IDLE], false);
    json_num("io_s", tot[F_IO], false);
    json_num("load_imbalance", mean > 0 ? maxbusy / mean : NAN, false);
    json_num("coordinator_share", wall > 0 ? all[F_CPU] / wall : 0, false);
    json_num("rank0_msgs_recv", all[F_MR], false);
    json_num("steal_requests", tot[F_STEAL_TRY], false);
    json_num("steals", tot[F_STEAL_OK], false);
    json_num("tasks_stolen", tot[F_STOLEN], false);
    json_num("lifeline_pushes", tot[F_PUSHES], false);
    json_num("waves", tot[F_WAVES], true);
    fputs("}\n", stderr);
    for (int r = 0; r < n; r++) {
        const double *f = all + r * NF;
        fprintf(stderr, "{\"type\": \"rank\", \"run\": %u, \"rank\": %d, ", run, r);
        json_num("tasks", f[F_TASKS], false);
        json_num("failed", f[F_FAILED], false);
        json_num("busy_s", f[F_BUSY], false);
        json_num("wait_s", f[F_IDLE], false);
        json_num("io_s", f[F_IO], false);
        json_num("msgs_sent", f[F_MS], false);
        json_num("msgs_recv", f[F_MR], false);
        json_num("bytes_sent", f[F_BS], false);
        json_num("bytes_recv", f[F_BR], false);
        json_num("busy_pct", f[F_RUN] > 0 ? 100.0 * f[F_BUSY] / f[F_RUN] : 0, false);
        json_num("steal_median_s", f[F_STEAL_MED], true);
        fputs("}\n", stderr);
    }
}

void tf__stats_run_end(tf_pool *p)
{
    struct tf__runstats *rs = p->rs;
    if (!rs) return;
    double run = (double)(tf__now_ns() - rs->t0) * 1e-9;
    double cpu = svc_cpu_s(p) - rs->cpu0;
    if (cpu < 0) cpu = 0;
    p->worker.st.run_s += run;
    p->worker.st.service_cpu_s += cpu;
    if (!rs->stats) return;

    tf_stats a, *b = &rs->before;
    tf_pool_stats(p, &a);
    double row[NF];
    row[F_TASKS] = (double)(a.tasks - b->tasks);
    row[F_FAILED] = (double)(a.failed - b->failed);
    row[F_BUSY] = a.busy_s - b->busy_s;
    row[F_IDLE] = a.idle_s - b->idle_s;
    row[F_IO] = a.io_wait_s - b->io_wait_s;
    row[F_MS] = (double)(a.msgs_sent - b->msgs_sent);
    row[F_MR] = (double)(a.msgs_recv - b->msgs_recv);
    row[F_BS] = (double)(a.bytes_sent - b->bytes_sent);
    row[F_BR] = (double)(a.bytes_recv - b->bytes_recv);
    row[F_RUN] = run;
    row[F_CPU] = cpu;
    row[F_STEAL_TRY] = (double)(a.steal_attempts - b->steal_attempts);
    row[F_STEAL_OK] = (double)(a.steals - b->steals);
    row[F_STOLEN] = (double)(a.tasks_stolen - b->tasks_stolen);
    row[F_STEAL_MED] = p->peers_made ? tf__steal_median_since(&p->peers.st, rs->hist0) : 0;
    row[F_PUSHES] = (double)(a.lifeline_pushes - b->lifeline_pushes);
    row[F_WAVES] = (double)(a.waves - b->waves);
    /* rs->rows: rank 0's, made by agree() before it told the others */
    int rc = MPI_Gather(row, NF, MPI_DOUBLE, rs->rows, NF, MPI_DOUBLE, 0, p->comm);
    if (p->rank == 0) {
        if (rc == MPI_SUCCESS && rs->stats_json)
            stats_print_json(p, rs->rows, rs->runs);
        else if (rc == MPI_SUCCESS)
            stats_print(p, rs->rows, rs->runs);
        else
            fprintf(stderr, "taskfarm: stats: run %u: cannot gather the statistics\n", rs->runs);
        fflush(stderr);
    }
}

/* ---- writing the trace -------------------------------------------------------- */

/* JSON text under construction; a failed allocation marks it bad and
 * drops what follows (the file is then reported, not written wrong). */
typedef struct jbuf {
    char *p;
    size_t len, cap;
    bool bad;
} jbuf;

static void jb_reserve(jbuf *j, size_t n)
{
    if (j->bad || j->cap - j->len > n) return;
    size_t cap = j->cap ? j->cap : 4096;
    while (cap - j->len <= n) cap *= 2;
    char *q = tf__realloc(j->p, cap);
    if (!q) {
        j->bad = true;
        return;
    }
    j->p = q;
    j->cap = cap;
}

static void jb_printf(jbuf *j, const char *fmt, ...) TF_PRINTF(2, 3);
static void jb_printf(jbuf *j, const char *fmt, ...)
{
    va_list ap;
    jb_reserve(j, 256);
    if (j->bad) return;
    va_start(ap, fmt);
    int n = vsnprintf(j->p + j->len, j->cap - j->len, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n >= j->cap - j->len) {
        jb_reserve(j, (size_t)n + 1);
        if (j->bad) return;
        va_start(ap, fmt);
        vsnprintf(j->p + j->len, j->cap - j->len, fmt, ap);
        va_end(ap);
    }
    j->len += (size_t)n;
}

/* s as a JSON string, quotes included. */
static void jb_str(jbuf *j, const char *s)
{
    jb_reserve(j, 6 * strlen(s) + 3);
    if (j->bad) return;
    char *o = j->p + j->len;
    *o++ = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            *o++ = '\\';
            *o++ = (char)*c;
        } else if (*c < 0x20) {
            o += sprintf(o, "\\u%04x", *c);
        } else {
            *o++ = (char)*c;
        }
    }
    *o++ = '"';
    j->len = (size_t)(o - j->p);
}

/* Writers into a char array large enough, returning the end. */
static char *put_lit(char *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o, s, n);
    return o + n;
}

static char *put_u64(char *o, uint64_t v)
{
    char d[24];
    int n = 0;
    do d[n++] = (char)('0' + v % 10), v /= 10;
    while (v);
    while (n) *o++ = d[--n];
    return o;
}

/* ns as microseconds with three decimals */
static char *put_us(char *o, int64_t ns)
{
    if (ns < 0) *o++ = '-', ns = -ns;
    o = put_u64(o, (uint64_t)ns / 1000);
    unsigned f = (unsigned)((uint64_t)ns % 1000);
    *o++ = '.';
    *o++ = (char)('0' + f / 100);
    *o++ = (char)('0' + f / 10 % 10);
    *o++ = (char)('0' + f % 10);
    return o;
}

static void jb_put(jbuf *j, const char *p, size_t n)
{
    jb_reserve(j, n);
    if (j->bad) return;
    memcpy(j->p + j->len, p, n);
    j->len += n;
}

static void ev_json(jbuf *j, const struct tf__trace *tr, int rank, int tid, const tf__trace_ev *e)
{
    static const char *span[] = {
        [TF__TR_WAIT_WORK] = "wait for work",
        [TF__TR_WAIT_IO] = "wait for I/O",
        [TF__TR_READ] = "read",
        [TF__TR_WRITE] = "write",
    };
    /* microseconds, written without printf's %f: a program's locale may
     * want a decimal comma, which JSON does not */
    uint64_t origin = tf__timeline_origin(tr);
    char ts[32], dur[32];
    *put_us(ts, (int64_t)(e->t0 - origin)) = '\0';
    *put_us(dur, e->t1 >= e->t0 ? (int64_t)(e->t1 - e->t0) : 0) = '\0';
    switch (e->kind) {
    case TF__TR_TASK: { /* the bulk of a trace: no printf */
        char line[160];
        char *o = line;
        o = put_lit(o, ",\n{\"ph\":\"X\",\"pid\":");
        o = put_u64(o, (uint64_t)rank);
        o = put_lit(o, ",\"tid\":0,\"ts\":");
        o = put_us(o, (int64_t)(e->t0 - origin));
        o = put_lit(o, ",\"dur\":");
        o = put_us(o, e->t1 >= e->t0 ? (int64_t)(e->t1 - e->t0) : 0);
        o = put_lit(o, ",\"cat\":\"task\",\"name\":");
        jb_put(j, line, (size_t)(o - line));
        jb_str(j, tf__timeline_name(tr, e->peer));
        o = put_lit(line, ",\"args\":{\"id\":");
        o = put_u64(o, e->arg);
        o = put_lit(o, "}}");
        jb_put(j, line, (size_t)(o - line));
        break;
    }
    case TF__TR_WAIT_WORK:
    case TF__TR_WAIT_IO:
        jb_printf(j,
                  ",\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%s,\"dur\":%s,\"cat\":\"wait\","
                  "\"name\":\"%s\"}",
                  rank, tid, ts, dur, span[e->kind]);
        break;
    case TF__TR_READ:
    case TF__TR_WRITE:
        jb_printf(j,
                  ",\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%s,\"dur\":%s,\"cat\":\"io\","
                  "\"name\":\"%s\",\"args\":{\"bytes\":%llu}}",
                  rank, tid, ts, dur, span[e->kind], (unsigned long long)e->arg);
        break;
    case TF__TR_SEND:
    case TF__TR_RECV:
        jb_printf(j,
                  ",\n{\"ph\":\"i\",\"s\":\"t\",\"pid\":%d,\"tid\":%d,\"ts\":%s,\"cat\":\"msg\","
                  "\"name\":\"%s\",\"args\":{\"peer\":%d,\"bytes\":%llu}}",
                  rank, tid, ts, e->kind == TF__TR_SEND ? "send" : "recv", (int)e->peer,
                  (unsigned long long)e->arg);
        break;
    case TF__TR_STEAL:
        jb_printf(j,
                  ",\n{\"ph\":\"X\",\"pid\":%d,\"tid\":%d,\"ts\":%s,\"dur\":%s,\"cat\":\"steal\","
                  "\"name\":\"steal\",\"args\":{\"victim\":%llu,\"tasks\":%llu}}",
                  rank, tid, ts, dur, (unsigned long long)(e->arg >> 32),
                  (unsigned long long)(e->arg & 0xffffffffu));
        break;
    default: break;
    }
}

/* This rank's metadata records, each after a comma (rank 0 writes the
 * first record of the array itself). */
static void meta_json(jbuf *j, int rank)
{
    char host[MPI_MAX_PROCESSOR_NAME + 1] = "?", name[MPI_MAX_PROCESSOR_NAME + 32];
    int n = 0;
    if (MPI_Get_processor_name(host, &n) != MPI_SUCCESS) snprintf(host, sizeof host, "?");
    snprintf(name, sizeof name, "rank %d (%s)", rank, host);
    jb_printf(j,
              ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"name\":\"process_name\",\"args\":{\"name\":",
              rank);
    jb_str(j, name);
    jb_printf(j, "}}");
    jb_printf(j,
              ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":0,\"name\":\"process_sort_index\","
              "\"args\":{\"sort_index\":%d}}",
              rank, rank);
    for (int t = 0; t < 2; t++) {
        jb_printf(j,
                  ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\","
                  "\"args\":{\"name\":\"%s\"}}",
                  rank, t,
                  t == 0      ? "main"
                  : rank == 0 ? "service (coordinator)"
                              : "service");
        jb_printf(j,
                  ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_sort_index\","
                  "\"args\":{\"sort_index\":%d}}",
                  rank, t, t);
    }
}

/* Rank 0's sink for JSON text: the file (NULL after an error, the text
 * is then dropped) and the first error. */
typedef struct sink {
    FILE *f;
    int err;
    const char *why; /* said instead of strerror(err), if not NULL */
    char *tmp;       /* written here, then renamed over dest; NULL: in place */
    char *dest;      /* the file the trace replaces (TF_TRACE's, or its link's) */
    bool pipe_held;  /* SIGPIPE blocked on this thread while writing */
    bool pipe_was_pending;
    sigset_t pipe_old;
} sink;

/* Writes go to a FIFO or a device in place: a reader that goes away must
 * give EPIPE, not end the program with SIGPIPE. Main thread, rank 0. */
static void sink_hold_pipe(sink *s)
{
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe, &s->pipe_old) != 0) return;
    s->pipe_held = true;
    s->pipe_was_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
}

static void sink_release_pipe(sink *s)
{
    if (!s->pipe_held) return;
    if (!s->pipe_was_pending) { /* take the SIGPIPE our writes raised, if any */
        sigset_t pipe;
        sigemptyset(&pipe);
        sigaddset(&pipe, SIGPIPE);
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe, NULL, &zero) == SIGPIPE) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &s->pipe_old, NULL);
    s->pipe_held = false;
}

/* Rank 0: opens where the trace goes. TF_TRACE names
 *   - nothing, or a regular file: a temporary file beside it, renamed over
 *     it once complete, so that nobody reads half a trace;
 *   - a symlink to a regular file: the same beside the file it names, so
 *     that the link stays a link;
 *   - a FIFO or a character device, through a link or not: written in
 *     place, as replacing it would take it away from whoever reads it (a
 *     FIFO that nobody reads is refused at once, not waited on);
 *   - a link that names nothing: the file it names, created in place;
 *   - anything else (a directory, a block device, a socket): refused.
 * On error s->f is NULL and s->err (and perhaps s->why) set. */
static void sink_open(sink *s, const char *path)
{
    struct stat st, lst;
    bool exists = stat(path, &st) == 0;
    bool link = lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode);
    if (exists && (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))) {
        /* O_NONBLOCK: a FIFO without a reader fails (ENXIO) instead of
         * blocking the job until one comes */
        int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            s->err = errno;
            if (errno == ENXIO && S_ISFIFO(st.st_mode)) s->why = "a FIFO that nobody reads";
            return;
        }
        int fl = fcntl(fd, F_GETFL);
        if (fl != -1) (void)fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
        s->f = fdopen(fd, "w");
        if (!s->f) {
            s->err = errno ? errno : EIO;
            close(fd);
            return;
        }
        sink_hold_pipe(s);
        return;
    }
    if (exists && !S_ISREG(st.st_mode)) {
        s->err = EINVAL;
        s->why = "not a regular file, a FIFO or a character device";
        return;
    }
    if (!exists && link) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        s->f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!s->f) {
            s->err = errno ? errno : EIO;
            if (fd >= 0) close(fd);
        }
        return;
    }
    errno = 0;
    s->dest = exists && link ? realpath(path, NULL) : tf__strdup(path);
    if (!s->dest) {
        s->err = errno ? errno : ENOMEM;
        return;
    }
    size_t n = strlen(s->dest) + 8;
    s->tmp = tf__malloc(n);
    if (!s->tmp) {
        s->err = ENOMEM;
        return;
    }
    /* a name of its own: two pools writing one TF_TRACE at once (pools on
     * split communicators) must not share a file */
    snprintf(s->tmp, n, "%s.XXXXXX", s->dest);
    errno = 0;
    int fd = mkstemp(s->tmp);
    if (fd >= 0) {
        mode_t um = umask(0);
        umask(um);
        (void)fchmod(fd, 0666 & ~um);
        s->f = fdopen(fd, "w");
        if (!s->f) {
            s->err = errno ? errno : EIO;
            close(fd);
            remove(s->tmp);
        }
    } else {
        s->err = errno ? errno : EIO;
    }
    if (!s->f) tf__free(s->tmp), s->tmp = NULL;
}

static void sink_put(sink *s, const char *p, size_t n)
{
    if (!s->f || n == 0) return;
    if (fwrite(p, 1, n, s->f) != n) {
        s->err = errno ? errno : EIO;
        fclose(s->f);
        s->f = NULL;
    }
}

/* Hands a filled piece on: rank 0 writes it, other ranks send it. */
static void piece_out(tf_pool *p, sink *s, jbuf *j, bool *bad)
{
    if (j->bad) *bad = true;
    if (p->rank == 0)
        sink_put(s, j->p, j->len);
    else if (j->len)
        MPI_Send(j->p, (int)j->len, MPI_CHAR, 0, TAG_TRACE, p->comm);
    j->len = 0;
    j->bad = false;
}

/* One rank's events on their way to JSON, as tf__timeline_each hands them. */
typedef struct json_walk {
    tf_pool *p;
    sink *s;
    jbuf *j;
    bool *bad;
    int thread;
} json_walk;

static void ev_out(const tf__trace_ev *e, void *arg)
{
    json_walk *w = arg;
    ev_json(w->j, w->p->trace, w->p->rank, w->thread, e);
    if (w->j->len >= PIECE) piece_out(w->p, w->s, w->j, w->bad);
}

/* Every rank: its metadata and events as JSON, in pieces of about PIECE
 * bytes; a rank other than 0 ends with an empty message. */
static void rank_json(tf_pool *p, sink *s, bool *bad)
{
    jbuf j = {0};
    meta_json(&j, p->rank);
    json_walk w = {p, s, &j, bad, 0};
    for (int t = 0; p->trace && t < 2; t++) {
        w.thread = t;
        tf__timeline_each(p->trace, t, ev_out, &w);
    }
    piece_out(p, s, &j, bad);
    if (p->rank != 0) MPI_Send(NULL, 0, MPI_CHAR, 0, TAG_TRACE, p->comm);
    tf__free(j.p);
}

/* Rank 0: copies rank r's pieces into the file. */
static void recv_rank(tf_pool *p, sink *s, int r, bool *bad)
{
    char *b = NULL;
    size_t cap = 0;
    for (;;) {
        MPI_Status st;
        int n = 0;
        if (MPI_Probe(r, TAG_TRACE, p->comm, &st) != MPI_SUCCESS) break;
        MPI_Get_count(&st, MPI_CHAR, &n);
        if ((size_t)n > cap) {
            char *q = tf__realloc(b, (size_t)n);
            if (q) {
                b = q;
                cap = (size_t)n;
            }
        }
        if ((size_t)n > cap) { /* no memory: receive it in a scratch byte */
            char scratch;
            MPI_Recv(&scratch, 1, MPI_CHAR, r, TAG_TRACE, p->comm, MPI_STATUS_IGNORE);
            *bad = true;
            continue;
        }
        MPI_Recv(b, n, MPI_CHAR, r, TAG_TRACE, p->comm, MPI_STATUS_IGNORE);
        if (n == 0) break;
        sink_put(s, b, (size_t)n);
    }
    tf__free(b);
}

static void write_trace(tf_pool *p)
{
    struct tf__runstats *rs = p->rs;
    struct tf__trace *tr = p->trace;
    if (tr) tf__timeline_settle(tr);
    sink s = {0};
    bool bad = false;
    if (p->rank == 0) {
        if (rs->path)
            sink_open(&s, rs->path);
        else
            s.err = ENOMEM;
        static const char head[] =
            "{\"traceEvents\":[\n{\"ph\":\"M\",\"pid\":0,\"tid\":0,\"name\":\"process_labels\","
            "\"args\":{\"labels\":\"taskfarm\"}}";
        sink_put(&s, head, sizeof head - 1);
    }
    rank_json(p, &s, &bad);
    if (p->rank == 0)
        for (int r = 1; r < p->size; r++) recv_rank(p, &s, r, &bad);

    /* a rank whose JSON was cut short (out of memory) spoils the file */
    uint64_t kept = 0, dropped = 0;
    if (tr) tf__timeline_counts(tr, &kept, &dropped);
    uint64_t mine[4] = {dropped, kept, tr ? 0 : 1, bad ? 1 : 0};
    uint64_t sum[4] = {0, 0, 0, 0};
    MPI_Reduce(mine, sum, 4, MPI_UINT64_T, MPI_SUM, 0, p->comm);
    if (sum[3]) bad = true;
    if (p->rank != 0) return;

    char tail[512];
    int n = snprintf(tail, sizeof tail,
                     "\n],\"displayTimeUnit\":\"ms\",\"otherData\":{\"producer\":\"taskfarm\","
                     "\"ranks\":%d,\"runs\":%u,\"events\":%llu,\"dropped_events\":%llu,"
                     "\"ranks_without_memory\":%llu,\"clock\":\"CLOCK_MONOTONIC; ranks aligned "
                     "by a barrier at the first tf_run; ts in microseconds\"}}\n",
                     p->size, rs->runs, (unsigned long long)sum[1], (unsigned long long)sum[0],
                     (unsigned long long)sum[2]);
    sink_put(&s, tail, (size_t)n);
    if (s.f) {
        if (fflush(s.f) != 0 || ferror(s.f)) s.err = errno ? errno : EIO;
        if (fclose(s.f) != 0 && !s.err) s.err = errno ? errno : EIO;
        s.f = NULL;
    }
    sink_release_pipe(&s);
    if (!s.err && bad) s.err = ENOMEM;
    if (!s.err && s.tmp && rename(s.tmp, s.dest) != 0) s.err = errno ? errno : EIO;
    if (s.err) {
        fprintf(stderr, "taskfarm: TF_TRACE: cannot write '%s': %s\n", rs->path ? rs->path : "?",
                s.why ? s.why : strerror(s.err));
        if (s.tmp) remove(s.tmp);
    } else if (sum[0] || sum[2]) {
        fprintf(stderr,
                "taskfarm: TF_TRACE: '%s': %llu events dropped (at most %zu a thread kept)\n",
                rs->path, (unsigned long long)sum[0], TF__TR_MAX_EV);
    }
    tf__free(s.tmp);
    tf__free(s.dest);
}

void tf__trace_close(tf_pool *p)
{
    struct tf__runstats *rs = p->rs;
    if (!rs) return;
    if (!rs->synced) agree(p);
    if (rs->trace) write_trace(p);
    tf__trace_free(p);
}
