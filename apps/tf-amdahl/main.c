/* tf-amdahl - a synthetic load with a known serial fraction.
 *
 *   mpirun -np P tf-amdahl [--serial-fraction f] [--work-ms W] [--grain-us g]
 *                          [--repeat R] [--chunk auto|guided|K]
 *
 * One run is W milliseconds of work on one core: f*W of it is spun on the
 * driver alone (rank 0, nothing else runs), and (1-f)*W is spread as
 * round((1-f)*W*1000/g) tasks that each spin g microseconds. Amdahl's law
 * then predicts the time at P ranks as W*(f + (1-f)/P), and any excess is the
 * farm's overhead: scripts/scaling fits the serial fraction back from the
 * times and should find f.
 *
 * The spin is a real busy loop on the clock (not a sleep), so every task takes
 * the core it runs on. Threads: the task function and the driver run on each
 * rank's main thread; the library's service thread does the messaging.
 *
 * Output: a summary on stderr and, as the last line of stdout, one JSON
 * object: app, ranks, serial_fraction, work_ms, grain_us, tasks, serial_s,
 * parallel_s, seconds (the median of R runs, serial part included),
 * seconds_min, amdahl_s (what the law predicts for this P), overhead (seconds
 * over amdahl_s, as a fraction of it), ok. Exit status: 0 ok, 1 a library
 * error or a missing result, 2 a bad option.
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appkit.h"

static struct {
    double f, work_ms, grain_us;
    unsigned repeat;
    uint64_t tasks;
    tf_pool_opts opts;
} cfg = {.f = 0.2, .work_ms = 4000, .grain_us = 1000, .repeat = 1};

static void usage(FILE *f)
{
    fprintf(f, "usage: tf-amdahl [--serial-fraction f] [--work-ms W] [--grain-us g] "
               "[--repeat R] [--chunk auto|guided|K] [--version]\n");
}

/* 0 ok, 1 help printed, 2 bad option (already reported). */
static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v;
        int k;
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            if (ak_rank == 0) usage(stdout);
            return 1;
        }
        if (strcmp(opt, "--serial-fraction") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_double(opt, v, 0, 1, &cfg.f)) return 2;
        } else if (strcmp(opt, "--work-ms") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_double(opt, v, 0.001, 1e8, &cfg.work_ms))
                return 2;
        } else if (strcmp(opt, "--grain-us") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_double(opt, v, 0.1, 1e9, &cfg.grain_us))
                return 2;
        } else if ((k = ak_run_option(argc, argv, &i, &cfg.repeat, &cfg.opts)) != 0) {
            if (k < 0) return 2;
        } else {
            ak_error("unknown option '%s' (try --help)", opt);
            return 2;
        }
    }
    double n = round((1 - cfg.f) * cfg.work_ms * 1000 / cfg.grain_us);
    if (n > 1e9) {
        ak_error("--grain-us: %g us makes %.0f tasks of --work-ms %g; at most 1e9", cfg.grain_us, n,
                 cfg.work_ms);
        return 2;
    }
    cfg.tasks = (uint64_t)n;
    return 0;
}

/* The task: spin one grain, return the index so the driver can check it. */
static int fn_grain(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != sizeof(uint64_t)) return tf_task_fail(t, "input of %zu bytes, want 8", len);
    ak_spin(cfg.grain_us * 1e-6);
    return tf_buf_append(out, in, len);
}

struct run {
    uint64_t *idx;
    double *secs, serial_s, parallel_s;
    uint64_t wrong;
};

static int driver(tf_pool *pool, void *arg)
{
    struct run *r = arg;
    for (unsigned rep = 0; rep < cfg.repeat; rep++) {
        double t0 = ak_now();
        ak_spin(cfg.f * cfg.work_ms * 1e-3); /* the serial part: rank 0 alone */
        double t1 = ak_now();
        tf_results *res = NULL;
        int rc = cfg.tasks ? tf_map(pool, "grain", r->idx, sizeof(uint64_t), cfg.tasks, &res) : 0;
        double t2 = ak_now();
        if (rc && rc != TF_ETASK) return rc; /* TF_ETASK: counted as wrong below */
        for (uint64_t i = 0; i < cfg.tasks; i++) {
            const void *o;
            size_t n;
            uint64_t v;
            if (tf_results_get(res, i, &o, &n) || n != sizeof v || (memcpy(&v, o, n), v != i))
                r->wrong++;
        }
        tf_results_free(&res);
        r->secs[rep] = t2 - t0;
        r->serial_s += t1 - t0;
        r->parallel_s += t2 - t1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    ak_init(&argc, &argv, "tf-amdahl");
    int prc = parse_args(argc, argv);
    if (prc) {
        MPI_Finalize();
        return prc == 1 ? 0 : 2;
    }
    tf_pool *pool = ak_pool(&cfg.opts, 1, (const char *[]){"grain"}, (tf_fn[]){fn_grain});
    if (!pool) {
        MPI_Finalize();
        return 1;
    }
    struct run r = {0};
    if (ak_rank == 0) {
        r.idx = malloc((cfg.tasks ? cfg.tasks : 1) * sizeof *r.idx);
        r.secs = calloc(cfg.repeat, sizeof *r.secs);
        if (!r.idx || !r.secs) {
            fprintf(stderr, "tf-amdahl: out of memory for %" PRIu64 " tasks\n", cfg.tasks);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        for (uint64_t i = 0; i < cfg.tasks; i++) r.idx[i] = i;
    }
    int rc = tf_run(pool, driver, &r);
    int status = rc == 0 && r.wrong == 0 ? 0 : 1;
    if (ak_rank == 0) {
        if (rc) fprintf(stderr, "tf-amdahl: %s (%s)\n", tf_strerror(rc), tf_pool_errmsg(pool));
        if (r.wrong) fprintf(stderr, "tf-amdahl: %" PRIu64 " wrong results\n", r.wrong);
        double med = 0, min = 0;
        if (rc == 0) {
            med = ak_median(r.secs, cfg.repeat);
            min = r.secs[0];
        }
        double amdahl = cfg.work_ms * 1e-3 * (cfg.f + (1 - cfg.f) / ak_size);
        double over = amdahl > 0 ? med / amdahl - 1 : 0;
        fprintf(stderr,
                "tf-amdahl: f %.4f, %.1f ms of work, %" PRIu64 " tasks of %.1f us on %d ranks: "
                "median %.4f s (min %.4f of %u), Amdahl predicts %.4f s, overhead %+.2f%%%s\n",
                cfg.f, cfg.work_ms, cfg.tasks, cfg.grain_us, ak_size, med, min, cfg.repeat, amdahl,
                100 * over, status ? " -- FAILED" : "");
        printf("{\"app\":\"tf-amdahl\",\"ranks\":%d,\"serial_fraction\":%.6f,\"work_ms\":%.3f,"
               "\"grain_us\":%.3f,\"tasks\":%" PRIu64 ",\"repeat\":%u,\"serial_s\":%.6f,"
               "\"parallel_s\":%.6f,\"seconds\":%.6f,\"seconds_min\":%.6f,\"amdahl_s\":%.6f,"
               "\"overhead\":%.6f,\"ok\":%s}\n",
               ak_size, cfg.f, cfg.work_ms, cfg.grain_us, cfg.tasks, cfg.repeat,
               r.serial_s / cfg.repeat, r.parallel_s / cfg.repeat, med, min, amdahl, over,
               status ? "false" : "true");
        fflush(stdout);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(r.idx);
    free(r.secs);
    tf_pool_destroy(&pool);
    MPI_Finalize();
    return status;
}
