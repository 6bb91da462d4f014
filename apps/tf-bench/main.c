/* tf-bench - the farm's own overhead, measured.
 *
 *   mpirun -np P tf-bench map|submit|spawn --tasks N [--chunk auto|guided|K]
 *          [--work-us W] [--payload B] [--repeat R] [--wait auto|spin|yield|block]
 *
 * map     tf_map of N tasks; each input is a uint64 index plus B payload bytes
 * submit  N tf_submit calls, then tf_wait_all, every future kept until then
 * spawn   a binary tree of exactly N nodes grown with tf_spawn from one root
 *
 * Each task busy-waits W microseconds (W = 0: an empty task) and returns its
 * index + 1, which is checked after the timed region. Only the map / submit /
 * spawn call is timed (MPI_Wtime, pool creation excluded), R times; the
 * median and the minimum are reported. The last line of stdout is one JSON
 * object; a human summary goes to stderr. Exit status: 0 ok, 1 a wrong
 * result or a library error, 2 a bad option.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "appkit.h"
#include "taskfarm.h"

enum mode { MODE_MAP, MODE_SUBMIT, MODE_SPAWN };

struct config {
    enum mode mode;
    const char *mode_name;
    uint64_t tasks;
    tf_chunk_policy chunk;
    size_t chunk_size;
    char chunk_name[32];
    unsigned work_us;
    size_t payload;
    unsigned repeat;
    tf_wait_policy wait;
    const char *wait_name;
};

/* Every rank parses the same command line, so these agree everywhere; the
 * task functions read them instead of carrying them in every input. */
static struct config cfg;
static uint64_t spawn_nodes_here;

static int rank;

/* ---- options ---------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: tf-bench map|submit|spawn --tasks N [--chunk auto|guided|K] "
               "[--work-us W] [--payload B] [--repeat R] [--wait auto|spin|yield|block]\n"
               "       tf-bench --version\n");
}

/* A whole number in [lo, hi], or -1 with a message naming the option (no
 * message if opt is NULL). */
static int parse_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = s && *s != '-' ? strtoull(s, &end, 10) : 0;
    if (!s || *s == '-' || errno || end == s || *end || x < lo || x > hi) {
        if (rank == 0 && opt)
            fprintf(stderr,
                    "tf-bench: %s: want a whole number from %" PRIu64 " to %" PRIu64 ", got '%s'\n",
                    opt, lo, hi, s ? s : "");
        return -1;
    }
    *v = x;
    return 0;
}

static int parse_args(int argc, char **argv)
{
    memset(&cfg, 0, sizeof cfg);
    cfg.tasks = 100000;
    cfg.repeat = 3;
    cfg.chunk = TF_CHUNK_AUTO;
    snprintf(cfg.chunk_name, sizeof cfg.chunk_name, "auto");
    cfg.wait = TF_WAIT_AUTO;
    cfg.wait_name = "auto";

    if (argc < 2) {
        if (rank == 0) {
            fprintf(stderr, "tf-bench: missing the benchmark (map, submit or spawn)\n");
            usage(stderr);
        }
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        if (rank == 0) usage(stdout);
        return 1;
    }
    if (strcmp(argv[1], "--version") == 0) {
        if (rank == 0) ak_print_version("tf-bench");
        return 1;
    }
    if (strcmp(argv[1], "map") == 0)
        cfg.mode = MODE_MAP;
    else if (strcmp(argv[1], "submit") == 0)
        cfg.mode = MODE_SUBMIT;
    else if (strcmp(argv[1], "spawn") == 0)
        cfg.mode = MODE_SPAWN;
    else {
        if (rank == 0)
            fprintf(stderr, "tf-bench: unknown benchmark '%s' (map, submit or spawn)\n", argv[1]);
        return 2;
    }
    cfg.mode_name = argv[1];

    for (int i = 2; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--help") == 0 || strcmp(opt, "-h") == 0) {
            if (rank == 0) usage(stdout);
            return 1;
        }
        int known = strcmp(opt, "--tasks") == 0 || strcmp(opt, "--chunk") == 0 ||
                    strcmp(opt, "--work-us") == 0 || strcmp(opt, "--payload") == 0 ||
                    strcmp(opt, "--repeat") == 0 || strcmp(opt, "--wait") == 0;
        if (!known) {
            if (rank == 0) fprintf(stderr, "tf-bench: unknown option '%s'\n", opt);
            return 2;
        }
        if (i + 1 >= argc) {
            if (rank == 0) fprintf(stderr, "tf-bench: %s needs a value\n", opt);
            return 2;
        }
        const char *val = argv[++i];
        uint64_t v;
        if (strcmp(opt, "--tasks") == 0) {
            if (parse_u64(opt, val, 0, UINT64_C(1) << 40, &cfg.tasks)) return 2;
        } else if (strcmp(opt, "--work-us") == 0) {
            if (parse_u64(opt, val, 0, 60u * 1000 * 1000, &v)) return 2;
            cfg.work_us = (unsigned)v;
        } else if (strcmp(opt, "--payload") == 0) {
            if (parse_u64(opt, val, 0, UINT64_C(1) << 30, &v)) return 2;
            cfg.payload = (size_t)v;
        } else if (strcmp(opt, "--repeat") == 0) {
            if (parse_u64(opt, val, 1, 1000, &v)) return 2;
            cfg.repeat = (unsigned)v;
        } else if (strcmp(opt, "--chunk") == 0) {
            if (strcmp(val, "auto") == 0) {
                cfg.chunk = TF_CHUNK_AUTO;
            } else if (strcmp(val, "guided") == 0) {
                cfg.chunk = TF_CHUNK_GUIDED;
            } else {
                if (parse_u64(NULL, val, 1, UINT64_C(1) << 30, &v)) {
                    if (rank == 0)
                        fprintf(stderr,
                                "tf-bench: --chunk: want auto, guided or a chunk size "
                                "from 1, got '%s'\n",
                                val);
                    return 2;
                }
                cfg.chunk = TF_CHUNK_FIXED;
                cfg.chunk_size = (size_t)v;
            }
            snprintf(cfg.chunk_name, sizeof cfg.chunk_name, "%s", val);
        } else { /* --wait */
            static const struct {
                const char *name;
                tf_wait_policy w;
            } waits[] = {{"auto", TF_WAIT_AUTO},
                         {"spin", TF_WAIT_SPIN},
                         {"yield", TF_WAIT_YIELD},
                         {"block", TF_WAIT_BLOCK}};
            size_t k = 0;
            while (k < 4 && strcmp(val, waits[k].name) != 0) k++;
            if (k == 4) {
                if (rank == 0)
                    fprintf(stderr,
                            "tf-bench: --wait: want auto, spin, yield or block, got "
                            "'%s'\n",
                            val);
                return 2;
            }
            cfg.wait = waits[k].w;
            cfg.wait_name = waits[k].name;
        }
    }
    return 0;
}

/* ---- the tasks ----------------------------------------------------------- */

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Real work for `us` microseconds: a busy loop, not a sleep, so the core is
 * really taken. */
static void work(unsigned us)
{
    if (us == 0) return;
    double end = now_s() + (double)us * 1e-6;
    while (now_s() < end) {
    }
}

/* in: uint64 index + payload; out: uint64 index + 1. */
static int fn_bench(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint64_t i;
    if (len < sizeof i) return tf_task_fail(t, "input of %zu bytes", len);
    memcpy(&i, in, sizeof i);
    work(cfg.work_us);
    i++;
    return tf_buf_append(out, &i, sizeof i);
}

/* in: uint64 node k + payload. Node k of a tree of cfg.tasks nodes spawns
 * 2k+1 and 2k+2 where they exist, so the tree has exactly cfg.tasks nodes. */
static int fn_node(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)out;
    uint64_t k;
    if (len < sizeof k) return tf_task_fail(t, "input of %zu bytes", len);
    memcpy(&k, in, sizeof k);
    spawn_nodes_here++;
    work(cfg.work_us);
    unsigned char child[sizeof k + 4096];
    unsigned char *buf = len <= sizeof child ? child : malloc(len);
    if (!buf) return TF_ENOMEM;
    memcpy(buf, in, len);
    int rc = 0;
    for (uint64_t c = 2 * k + 1; rc == 0 && c <= 2 * k + 2 && c < cfg.tasks; c++) {
        memcpy(buf, &c, sizeof c);
        rc = tf_spawn(t, "node", buf, len);
    }
    if (buf != child) free(buf);
    return rc ? tf_task_fail(t, "tf_spawn: %s", tf_strerror(rc)) : 0;
}

/* ---- the driver -------------------------------------------------------- */

struct bench {
    double *seconds; /* one per repeat */
    uint64_t wrong;  /* results that were not index + 1 */
    int error;       /* a library error, reported once */
};

static unsigned char *make_inputs(size_t n, size_t esz)
{
    unsigned char *in = malloc(n * esz > 0 ? n * esz : 1);
    if (!in) return NULL;
    for (size_t i = 0; i < n; i++) {
        uint64_t v = i;
        memcpy(in + i * esz, &v, sizeof v);
        for (size_t j = sizeof v; j < esz; j++) in[i * esz + j] = (unsigned char)(i + j);
    }
    return in;
}

static int fail(struct bench *b, tf_pool *pool, const char *what, int rc)
{
    fprintf(stderr, "tf-bench: %s: %s (%s)\n", what, tf_strerror(rc), tf_pool_errmsg(pool));
    b->error = rc ? rc : TF_EINVAL;
    return 1;
}

static int run_map(tf_pool *pool, struct bench *b, const unsigned char *in, size_t esz, unsigned r)
{
    size_t n = (size_t)cfg.tasks;
    tf_results *res = NULL;
    double t0 = MPI_Wtime();
    int rc = tf_map(pool, "bench", in, esz, n, &res);
    b->seconds[r] = MPI_Wtime() - t0;
    if (rc) {
        tf_results_free(&res); /* made with TF_ETASK */
        return fail(b, pool, "tf_map", rc);
    }
    for (size_t i = 0; i < n; i++) {
        const void *o = NULL;
        size_t len = 0;
        uint64_t v = 0;
        if (tf_results_get(res, i, &o, &len) == 0 && len == sizeof v) memcpy(&v, o, sizeof v);
        b->wrong += v != i + 1;
    }
    tf_results_free(&res);
    return 0;
}

static int run_submit(tf_pool *pool, struct bench *b, const unsigned char *in, size_t esz,
                      unsigned r)
{
    size_t n = (size_t)cfg.tasks;
    tf_future **fs = calloc(n ? n : 1, sizeof *fs);
    if (!fs) return fail(b, pool, "futures", TF_ENOMEM);
    int rc = 0;
    double t0 = MPI_Wtime();
    for (size_t i = 0; i < n && rc == 0; i++)
        rc = tf_submit(pool, "bench", in + i * esz, esz, &fs[i]);
    int wrc = tf_wait_all(pool);
    b->seconds[r] = MPI_Wtime() - t0;
    if (rc == 0 && wrc) rc = wrc;
    for (size_t i = 0; i < n; i++) {
        const void *o = NULL;
        size_t len = 0;
        uint64_t v = 0;
        if (fs[i] && tf_future_result(fs[i], &o, &len) == 0 && len == sizeof v)
            memcpy(&v, o, sizeof v);
        b->wrong += v != i + 1;
        tf_future_release(&fs[i]);
    }
    free(fs);
    return rc ? fail(b, pool, "tf_submit / tf_wait_all", rc) : 0;
}

static int run_spawn(tf_pool *pool, struct bench *b, unsigned r)
{
    if (cfg.tasks == 0) {
        b->seconds[r] = 0;
        return 0;
    }
    unsigned char *root = make_inputs(1, sizeof(uint64_t) + cfg.payload);
    if (!root) return fail(b, pool, "input", TF_ENOMEM);
    tf_future *f = NULL;
    double t0 = MPI_Wtime();
    int rc = tf_submit(pool, "node", root, sizeof(uint64_t) + cfg.payload, &f);
    int wrc = tf_wait_all(pool);
    b->seconds[r] = MPI_Wtime() - t0;
    int st = f ? tf_future_result(f, NULL, NULL) : rc;
    tf_future_release(&f);
    free(root);
    if (rc) return fail(b, pool, "tf_submit", rc);
    if (wrc || st) return fail(b, pool, "the tree", wrc ? wrc : st);
    return 0;
}

static int driver(tf_pool *pool, void *arg)
{
    struct bench *b = arg;
    size_t esz = sizeof(uint64_t) + cfg.payload;
    unsigned char *in = NULL;
    if (cfg.mode != MODE_SPAWN && !(in = make_inputs((size_t)cfg.tasks, esz)))
        return fail(b, pool, "inputs", TF_ENOMEM);
    int rc = 0;
    for (unsigned r = 0; r < cfg.repeat && rc == 0; r++) {
        if (cfg.mode == MODE_MAP)
            rc = run_map(pool, b, in, esz, r);
        else if (cfg.mode == MODE_SUBMIT)
            rc = run_submit(pool, b, in, esz, r);
        else
            rc = run_spawn(pool, b, r);
    }
    free(in);
    return rc || b->wrong ? 1 : 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    int provided, size;
    ak_version_exit(argc, argv, "tf-bench");
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    int prc = parse_args(argc, argv);
    if (prc) {
        MPI_Finalize();
        return prc == 1 ? 0 : 2; /* 1: --help was answered */
    }

    tf_pool_opts opts = {.chunk = cfg.chunk, .chunk_size = cfg.chunk_size, .wait = cfg.wait};
    tf_pool *pool = NULL;
    int rc = tf_pool_create(MPI_COMM_WORLD, &opts, &pool);
    if (rc == 0) rc = tf_register(pool, "bench", fn_bench);
    if (rc == 0) rc = tf_register(pool, "node", fn_node);
    if (rc) {
        fprintf(stderr, "tf-bench: rank %d: pool setup: %s\n", rank, tf_strerror(rc));
        tf_pool_destroy(&pool);
        MPI_Finalize();
        return 1;
    }

    struct bench b = {calloc(cfg.repeat, sizeof(double)), 0, 0};
    tf_stats s0, s1;
    tf_pool_stats(pool, &s0);
    rc = tf_run(pool, driver, &b);
    tf_pool_stats(pool, &s1);

    double busy = s1.busy_s - s0.busy_s, busy_sum = 0;
    uint64_t nodes = spawn_nodes_here, nodes_sum = 0;
    MPI_Reduce(&busy, &busy_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&nodes, &nodes_sum, 1, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);

    int status = rc == 0 ? 0 : 1;
    if (rank == 0) {
        if (rc < 0)
            fprintf(stderr, "tf-bench: tf_run: %s (%s)\n", tf_strerror(rc), tf_pool_errmsg(pool));
        if (cfg.mode == MODE_SPAWN && rc == 0 && nodes_sum != cfg.tasks * cfg.repeat) {
            fprintf(stderr, "tf-bench: the trees had %" PRIu64 " nodes, want %" PRIu64 "\n",
                    nodes_sum, cfg.tasks * cfg.repeat);
            status = 1;
        }
        if (b.wrong) {
            fprintf(stderr, "tf-bench: %" PRIu64 " wrong results\n", b.wrong);
            status = 1;
        }
        double total = 0;
        for (unsigned r = 0; r < cfg.repeat; r++) total += b.seconds[r];
        qsort(b.seconds, cfg.repeat, sizeof(double), cmp_double);
        unsigned m = cfg.repeat / 2;
        double med = cfg.repeat % 2 ? b.seconds[m] : (b.seconds[m - 1] + b.seconds[m]) / 2;
        double min = b.seconds[0];
        double tps = med > 0 ? (double)cfg.tasks / med : 0;
        double per_task_us = cfg.tasks ? med * 1e6 / (double)cfg.tasks : 0;
        double busy_share = total > 0 ? busy_sum / ((double)size * total) : 0;

        fprintf(stderr,
                "tf-bench %s: %" PRIu64 " tasks on %d ranks, chunk %s, wait %s, work %u us, "
                "payload %zu B: median %.6f s, min %.6f s of %u, %.0f tasks/s, %.3f us/task, "
                "busy %.1f%%%s\n",
                cfg.mode_name, cfg.tasks, size, cfg.chunk_name, cfg.wait_name, cfg.work_us,
                cfg.payload, med, min, cfg.repeat, tps, per_task_us, 100 * busy_share,
                status ? " -- FAILED" : "");
        printf("{\"bench\":\"%s\",\"tasks\":%" PRIu64 ",\"ranks\":%d,\"chunk\":\"%s\","
               "\"wait\":\"%s\",\"work_us\":%u,\"payload\":%zu,\"repeat\":%u,"
               "\"seconds\":%.9f,\"seconds_min\":%.9f,\"tasks_per_s\":%.3f,"
               "\"per_task_us\":%.6f,\"busy_share\":%.6f,\"ok\":%s}\n",
               cfg.mode_name, cfg.tasks, size, cfg.chunk_name, cfg.wait_name, cfg.work_us,
               cfg.payload, cfg.repeat, med, min, tps, per_task_us, busy_share,
               status ? "false" : "true");
        fflush(stdout);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(b.seconds);
    tf_pool_destroy(&pool);
    MPI_Finalize();
    return status;
}
