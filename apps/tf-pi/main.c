/* tf-pi - Monte Carlo pi with counter-based random streams.
 *
 *   mpirun -np P tf-pi [--samples N] [--block B] [--seed S] [--repeat R]
 *                      [--chunk auto|guided|K] [--serial] [--verify] [--self-test]
 *
 * Defaults: N 1000000000 (about 9 s on one core of a current Xeon), B 2^20,
 * S 20061, R 1, chunk auto. --self-test checks philox4x32-10 against
 * Random123's published known answers and exits.
 *
 * Sample i of a run is the point (x, y) in the unit square made from two
 * 32-bit words of Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011; Random123's philox.h): counter
 * (i/2, 0, 0, 0) under key (seed low, seed high) gives four words, the first
 * two for the even sample, the last two for the odd one. A point is a hit
 * when x^2 + y^2 < 1, tested exactly in 128-bit integers (x = a/2^32,
 * y = b/2^32: hit iff a^2 + b^2 < 2^64). So the hit count is a pure function
 * of (N, seed): the same at every rank count, block size and chunking, and
 * the same as --serial, which runs the plain loop on rank 0 without the farm.
 * --verify runs that loop as well, after the timed runs, and fails the run
 * if the counts differ.
 *
 * The work: ceil(N/B) tasks of B samples each (B even, so a task never
 * splits a counter); each returns its hit count, and the driver sums them.
 * Threads: the driver and the task function run on each rank's main thread;
 * the library's service thread does the messaging.
 *
 * Output: a summary on stderr and, as the last line of stdout, one JSON
 * object: app, ranks, samples, block, seed, hits, pi (the estimate 4*hits/N),
 * pi_bits (its IEEE-754 bits in hex), error (pi - M_PI), seconds (median of
 * R runs), seconds_min, samples_per_s, busy_share (the ranks' time in the
 * task function over ranks x run time; 0 with --serial), serial, ok. Exit
 * status: 0 ok, 1 a failed self-test, unequal repeats or a library error,
 * 2 a bad option.
 */
#define _GNU_SOURCE
#include <Random123/philox.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appkit.h"

static struct {
    uint64_t samples, block, seed;
    unsigned repeat;
    int serial, verify, self_test;
    tf_pool_opts opts;
} cfg = {1000000000, 1u << 20, 20061, 1, 0, 0, 0, {0}};

/* Hits among samples [first, first + n); first and n even except maybe at
 * the very end (n odd: the last counter's odd half is not used). */
static uint64_t count_hits(uint64_t first, uint64_t n)
{
    philox4x32_key_t key = {{(uint32_t)cfg.seed, (uint32_t)(cfg.seed >> 32)}};
    const unsigned __int128 one = (unsigned __int128)1 << 64;
    uint64_t hits = 0;
    for (uint64_t i = first; i < first + n; i += 2) {
        uint64_t c = i / 2;
        philox4x32_ctr_t ctr = {{(uint32_t)c, (uint32_t)(c >> 32), 0, 0}};
        philox4x32_ctr_t r = philox4x32(ctr, key);
        unsigned __int128 a = r.v[0], b = r.v[1];
        hits += a * a + b * b < one;
        if (i + 1 < first + n) {
            a = r.v[2];
            b = r.v[3];
            hits += a * a + b * b < one;
        }
    }
    return hits;
}

/* Random123's published known answers for philox4x32-10 (kat_vectors). */
static int self_test(void)
{
    static const struct {
        uint32_t ctr[4], key[2], out[4];
    } kat[] = {
        {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
        {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff},
         {0xffffffff, 0xffffffff},
         {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
        {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344},
         {0xa4093822, 0x299f31d0},
         {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    };
    int bad = 0;
    for (size_t k = 0; k < sizeof kat / sizeof *kat; k++) {
        philox4x32_ctr_t c = {{kat[k].ctr[0], kat[k].ctr[1], kat[k].ctr[2], kat[k].ctr[3]}};
        philox4x32_key_t key = {{kat[k].key[0], kat[k].key[1]}};
        philox4x32_ctr_t r = philox4x32(c, key);
        if (memcmp(r.v, kat[k].out, sizeof r.v) != 0) {
            fprintf(stderr, "tf-pi: self-test: philox4x32-10 vector %zu is wrong\n", k + 1);
            bad = 1;
        }
    }
    return bad;
}

static int fn_block(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint64_t b;
    if (len != sizeof b) return tf_task_fail(t, "input of %zu bytes, want 8", len);
    memcpy(&b, in, sizeof b);
    uint64_t first = b * cfg.block;
    if (first >= cfg.samples) return tf_task_fail(t, "block %" PRIu64 " is past the end", b);
    uint64_t n = cfg.samples - first < cfg.block ? cfg.samples - first : cfg.block;
    uint64_t hits = count_hits(first, n);
    return tf_buf_append(out, &hits, sizeof hits);
}

struct run {
    uint64_t nblocks, *idx, hits;
    double *secs;
    int mismatch;
};

static int driver(tf_pool *pool, void *arg)
{
    struct run *r = arg;
    for (unsigned rep = 0; rep < cfg.repeat; rep++) {
        double t0 = ak_now();
        uint64_t hits = 0;
        if (cfg.serial) {
            hits = count_hits(0, cfg.samples);
        } else {
            tf_results *res = NULL;
            int rc = tf_map(pool, "block", r->idx, sizeof(uint64_t), r->nblocks, &res);
            if (rc && rc != TF_ETASK) return rc; /* TF_ETASK: the loop names the block */
            for (uint64_t b = 0; b < r->nblocks; b++) {
                const void *o;
                size_t n;
                uint64_t h;
                rc = tf_results_get(res, b, &o, &n);
                if (rc || n != sizeof h) {
                    fprintf(stderr, "tf-pi: block %" PRIu64 ": %s\n", b,
                            rc ? tf_results_error(res, b) : "a result of the wrong size");
                    tf_results_free(&res);
                    return rc ? rc : TF_EPROTO;
                }
                memcpy(&h, o, sizeof h);
                hits += h;
            }
            tf_results_free(&res);
        }
        r->secs[rep] = ak_now() - t0;
        if (rep > 0 && hits != r->hits) r->mismatch = 1;
        r->hits = hits;
    }
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: tf-pi [--samples N] [--block B] [--seed S] [--repeat R] "
               "[--chunk auto|guided|K] [--serial] [--verify] [--self-test] [--version]\n");
}

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v;
        uint64_t u;
        int k;
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            if (ak_rank == 0) usage(stdout);
            return 1;
        }
        if (strcmp(opt, "--samples") == 0) {
            if (!(v = ak_value(argc, argv, &i)) ||
                ak_u64(opt, v, 1, UINT64_C(1) << 50, &cfg.samples))
                return 2;
        } else if (strcmp(opt, "--block") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_u64(opt, v, 2, UINT64_C(1) << 40, &u))
                return 2;
            if (u % 2) {
                ak_error("--block: want an even number of samples, got '%s'", v);
                return 2;
            }
            cfg.block = u;
        } else if (strcmp(opt, "--seed") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_u64(opt, v, 0, UINT64_MAX, &cfg.seed))
                return 2;
        } else if ((k = ak_run_option(argc, argv, &i, &cfg.repeat, &cfg.opts)) != 0) {
            if (k < 0) return 2;
        } else if (strcmp(opt, "--serial") == 0) {
            cfg.serial = 1;
        } else if (strcmp(opt, "--verify") == 0) {
            cfg.verify = 1;
        } else if (strcmp(opt, "--self-test") == 0) {
            cfg.self_test = 1;
        } else {
            ak_error("unknown option '%s' (try --help)", opt);
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    ak_init(&argc, &argv, "tf-pi");
    int prc = parse_args(argc, argv);
    if (prc) {
        MPI_Finalize();
        return prc == 1 ? 0 : 2;
    }
    if (cfg.self_test) {
        int bad = self_test();
        if (ak_rank == 0 && !bad) printf("tf-pi: self-test: philox4x32-10 known answers ok\n");
        MPI_Finalize();
        return bad;
    }
    tf_pool *pool = ak_pool(&cfg.opts, 1, (const char *[]){"block"}, (tf_fn[]){fn_block});
    if (!pool) {
        MPI_Finalize();
        return 1;
    }
    struct run r = {.nblocks = (cfg.samples + cfg.block - 1) / cfg.block};
    if (ak_rank == 0) {
        r.idx = malloc(r.nblocks * sizeof *r.idx);
        r.secs = calloc(cfg.repeat, sizeof *r.secs);
        if (!r.idx || !r.secs) {
            fprintf(stderr, "tf-pi: out of memory for %" PRIu64 " blocks\n", r.nblocks);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        for (uint64_t b = 0; b < r.nblocks; b++) r.idx[b] = b;
    }
    /* busy share: time in task functions over the ranks' time in the timed runs */
    tf_stats s0, s1;
    tf_pool_stats(pool, &s0);
    int rc = tf_run(pool, driver, &r);
    tf_pool_stats(pool, &s1);
    double busy = s1.busy_s - s0.busy_s, busy_sum = 0;
    MPI_Reduce(&busy, &busy_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    int status = rc == 0 && !r.mismatch ? 0 : 1;
    if (ak_rank == 0 && cfg.verify && status == 0) {
        uint64_t want = count_hits(0, cfg.samples);
        if (want != r.hits) {
            fprintf(stderr,
                    "tf-pi: --verify: %" PRIu64 " hits, the serial loop counts %" PRIu64 "\n",
                    r.hits, want);
            status = 1;
        }
    }
    if (ak_rank == 0) {
        if (rc) fprintf(stderr, "tf-pi: %s (%s)\n", tf_strerror(rc), tf_pool_errmsg(pool));
        if (r.mismatch) fprintf(stderr, "tf-pi: the repeats counted different hits\n");
        double total = 0;
        for (unsigned k = 0; k < cfg.repeat; k++) total += r.secs[k];
        double busy_share = total > 0 ? busy_sum / (total * ak_size) : 0;
        double med = rc ? 0 : ak_median(r.secs, cfg.repeat);
        double min = rc ? 0 : r.secs[0];
        double pi = 4.0 * (double)r.hits / (double)cfg.samples;
        uint64_t bits;
        memcpy(&bits, &pi, sizeof bits);
        double rate = med > 0 ? (double)cfg.samples / med : 0;
        fprintf(stderr,
                "tf-pi: %" PRIu64 " samples in %" PRIu64 " blocks on %d ranks%s: %" PRIu64
                " hits, pi ~ %.12f (error %.3g), median %.4f s, %.3g samples/s%s\n",
                cfg.samples, r.nblocks, ak_size, cfg.serial ? " (serial)" : "", r.hits, pi,
                pi - M_PI, med, rate, status ? " -- FAILED" : "");
        printf("{\"app\":\"tf-pi\",\"ranks\":%d,\"samples\":%" PRIu64 ",\"block\":%" PRIu64
               ",\"seed\":%" PRIu64 ",\"hits\":%" PRIu64 ",\"pi\":%.17g,\"pi_bits\":\"%016" PRIx64
               "\",\"error\":%.6g,\"repeat\":%u,\"seconds\":%.6f,\"seconds_min\":%.6f,"
               "\"samples_per_s\":%.1f,\"busy_share\":%.4f,\"serial\":%s,\"ok\":%s}\n",
               ak_size, cfg.samples, cfg.block, cfg.seed, r.hits, pi, bits, pi - M_PI, cfg.repeat,
               med, min, rate, busy_share, cfg.serial ? "true" : "false",
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
