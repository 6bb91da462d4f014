/* tf-uts - the Unbalanced Tree Search benchmark (Olivier, Huan, Liu, Prins,
 * Dinan, Sadayappan, Tseng: "UTS: An Unbalanced Tree Search Benchmark",
 * LCPC 2006) on taskfarm.
 *
 *   mpirun -np P tf-uts [--sample T1|T2|T3|T4|T5|T1L|T2L|T3L|T1XL]
 *                       [-t type] [-b b0] [-r root] [-a shape] [-d depth]
 *                       [-q prob] [-m children] [-f shift] [-g granularity]
 *                       [--budget N] [--split S] [--hungry on|off]
 *                       [--repeat R] [--chunk ...]
 *
 * The tree. Every node carries a 20-byte SHA-1 digest as its random state.
 * The root's state is SHA-1(16 zero bytes, the root id -r as 4 big-endian
 * bytes); child i of a node has SHA-1(parent state, i as 4 big-endian bytes),
 * computed g times (-g: the work per node). A node's random number is the
 * last 4 state bytes, big-endian, with the top bit cleared; divided by 2^31
 * it is u in [0, 1). From u and the node's height h, the number of children:
 *   -t 0 binomial: the root has floor(b0); every other node has m (-m)
 *        children with probability q (-q), else none;
 *   -t 1 geometric: the expected branching factor b_h comes from the shape
 *        function (-a): 0 linear b0*(1 - h/d), 1 exponential decrease
 *        b0*h^(-ln b0 / ln d), 2 cyclic b0^sin(2*pi*h/d) (0 beyond 5d),
 *        3 fixed b0 below depth d, else 0 (the root always has b0); then
 *        p = 1/(1 + b_h) and floor(ln(1 - u) / ln(1 - p)) children;
 *   -t 2 hybrid: geometric above height f*d (-f), binomial below;
 *   -t 3 balanced: b0 children below depth d.
 * At most 100 children a node (a binomial root: at most ceil(b0); balanced
 * trees: no cap). The counts are those of the reference implementation, so
 * the published sample trees come out exactly: --sample NAME sets their
 * parameters and checks the counts (T1: 4,130,071 nodes, depth 10,
 * 3,305,118 leaves).
 *
 * The search. A task's input is a list of frames: a node and the range of its
 * children still to visit. The task walks depth-first, generating each child
 * from its parent's state, until it has made --budget nodes; what is left on
 * its stack is then spawned as up to --split new tasks, the oldest frames
 * (nearest the root: the largest subtrees) one at a time and the rest
 * together. And whenever another rank has asked this one for work and found
 * none (tf_task_hungry; --hungry off ignores it), the walk hands over its
 * oldest open frame at once, or half of the children left when it has only
 * one: work is released when someone needs it, not only at the budget. A
 * rank runs its newest task first; idle ranks take the oldest ones. So a task does bounded work,
 * the farm's cost per node stays small, and idle ranks get the largest pieces. Each rank counts
 * nodes, leaves and depth in its own counters, summed after the run.
 *
 * Threads: the driver and the task function run on each rank's main thread;
 * the library's service thread does the messaging.
 *
 * Output: the reference's summary lines, then as the last stdout line one
 * JSON object: app, tree, ranks, nodes, leaves, depth, seconds (median of R
 * searches), seconds_min, nodes_per_s, expected counts (--sample), ok.
 * Exit status: 0 ok, 1 wrong counts or a library error, 2 a bad option.
 */
#define _GNU_SOURCE
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA1_Init/Update/Final: the fast path */
#include <inttypes.h>
#include <math.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appkit.h"

enum { BIN = 0, GEO, HYBRID, BALANCED };
enum { LINEAR = 0, EXPDEC, CYCLIC, FIXED };
#define MAX_CHILDREN 100

static const char *const tree_names[] = {"binomial", "geometric", "hybrid", "balanced"};
static const char *const shape_names[] = {"linear", "exp. decrease", "cyclic", "fixed"};

/* The tree's parameters, starting from the reference's defaults. */
typedef struct tree_params {
    int type;
    double b0;
    int root_id;
    int nonleaf_bf;      /* m */
    double nonleaf_prob; /* q */
    int gen_mx;          /* d */
    int shape;           /* a */
    double shift_depth;  /* f */
    int gran;            /* g */
} tree_params;
static const tree_params T_defaults = {GEO, 4.0, 0, 4, 15.0 / 64.0, 6, LINEAR, 0.5, 1};
static tree_params T = {GEO, 4.0, 0, 4, 15.0 / 64.0, 6, LINEAR, 0.5, 1};

/* Published sample trees (the UTS distribution's sample_trees.sh). */
static const struct sample {
    const char *name, *args;
    uint64_t nodes, leaves;
    int depth;
} samples[] = {
    {"T1", "-t 1 -a 3 -d 10 -b 4 -r 19", 4130071, 3305118, 10},
    {"T5", "-t 1 -a 0 -d 20 -b 4 -r 34", 4147582, 2181318, 20},
    {"T2", "-t 1 -a 2 -d 16 -b 6 -r 502", 4117769, 2342762, 81},
    {"T3", "-t 0 -b 2000 -q 0.124875 -m 8 -r 42", 4112897, 3599034, 1572},
    {"T4", "-t 2 -a 0 -d 16 -b 6 -r 1 -q 0.234375 -m 4", 4132453, 3108986, 134},
    {"T1L", "-t 1 -a 3 -d 13 -b 4 -r 29", 102181082, 81746377, 13},
    {"T2L", "-t 1 -a 2 -d 23 -b 7 -r 220", 96793510, 53791152, 67},
    {"T3L", "-t 0 -b 2000 -q 0.200014 -m 5 -r 7", 111345631, 89076904, 17844},
    {"T1XL", "-t 1 -a 3 -d 15 -b 4 -r 29", 1635119272, 1308100063, 15},
};

static struct {
    const struct sample *sample;
    uint64_t budget;
    unsigned split, repeat;
    int hungry; /* release work when another rank asks (tf_task_hungry) */
    tf_pool_opts opts;
} cfg = {NULL, 4096, 4, 1, 1, {0}};

/* ---- the tree ------------------------------------------------------------------ */

typedef struct frame {
    uint8_t state[20];
    int32_t height;
    int32_t next, end; /* children [next, end) of this node are still to visit */
} frame;
_Static_assert(sizeof(frame) == 32, "frames travel as 32-byte records");

static void rng_root(uint8_t out[20], int id)
{
    uint8_t b[20] = {0};
    b[16] = (uint8_t)(id >> 24);
    b[17] = (uint8_t)(id >> 16);
    b[18] = (uint8_t)(id >> 8);
    b[19] = (uint8_t)id;
    SHA_CTX c;
    SHA1_Init(&c);
    SHA1_Update(&c, b, sizeof b);
    SHA1_Final(out, &c);
}

/* Child i's state, g times over: -g is the work a node costs. */
static void rng_child(const uint8_t parent[20], int i, uint8_t out[20])
{
    uint8_t b[24];
    memcpy(b, parent, 20);
    b[20] = (uint8_t)(i >> 24);
    b[21] = (uint8_t)(i >> 16);
    b[22] = (uint8_t)(i >> 8);
    b[23] = (uint8_t)i;
    for (int k = 0; k < T.gran; k++) {
        SHA_CTX c;
        SHA1_Init(&c);
        SHA1_Update(&c, b, sizeof b);
        SHA1_Final(out, &c);
    }
}

static double rng_prob(const uint8_t s[20])
{
    uint32_t v = ((uint32_t)s[16] << 24 | (uint32_t)s[17] << 16 | (uint32_t)s[18] << 8 | s[19]) &
                 0x7fffffffu;
    return (double)v / 2147483648.0;
}

/* ln(1 - p) for the geometric distribution at each height, computed once:
 * the same expression as at every node, so the same bits. */
#define GEO_CACHE 4096
static double geo_denom[GEO_CACHE];
static uint8_t geo_known[GEO_CACHE];

static double geo_denominator(int h)
{
    if (h < GEO_CACHE && geo_known[h]) return geo_denom[h];
    double b = T.b0;
    if (h > 0) {
        switch (T.shape) {
        case EXPDEC: b = T.b0 * pow((double)h, -log(T.b0) / log((double)T.gen_mx)); break;
        case CYCLIC:
            b = (int64_t)h > 5 * (int64_t)T.gen_mx
                    ? 0.0
                    : pow(T.b0, sin(2.0 * 3.141592653589793 * (double)h / (double)T.gen_mx));
            break;
        case FIXED: b = h < T.gen_mx ? T.b0 : 0; break;
        default: /* LINEAR */ b = T.b0 * (1.0 - (double)h / (double)T.gen_mx); break;
        }
    }
    double d = log(1 - 1.0 / (1.0 + b));
    if (h < GEO_CACHE) {
        geo_denom[h] = d;
        geo_known[h] = 1;
    }
    return d;
}

/* A huge expected branching factor (-b 1e9) can draw more children than an
 * int holds: those are capped like any count over 100, not converted.
 * Parameters that describe no distribution at a height (the exponential
 * decrease with -d 1 divides by log 1 = 0) give NaN or -inf there: no
 * children, not a conversion of NaN to int. */
static int children_geo(const uint8_t s[20], int h)
{
    double n = floor(log(1 - rng_prob(s)) / geo_denominator(h));
    if (!(n >= 0)) return 0;
    return n > MAX_CHILDREN ? MAX_CHILDREN + 1 : (int)n;
}

static int children_bin(const uint8_t s[20])
{
    return rng_prob(s) < T.nonleaf_prob ? T.nonleaf_bf : 0;
}

static int num_children(const uint8_t s[20], int h)
{
    int n = 0;
    switch (T.type) {
    case BIN: n = h == 0 ? (int)floor(T.b0) : children_bin(s); break;
    case GEO: n = children_geo(s, h); break;
    case HYBRID: n = h < T.shift_depth * T.gen_mx ? children_geo(s, h) : children_bin(s); break;
    default: /* BALANCED */ return h < T.gen_mx ? (int)T.b0 : 0;
    }
    if (h == 0 && T.type == BIN) {
        int cap = (int)ceil(T.b0);
        if (n > cap) n = cap;
    } else if (n > MAX_CHILDREN) {
        n = MAX_CHILDREN;
    }
    return n < 0 ? 0 : n;
}

/* ---- the search ---------------------------------------------------------------- */

/* This rank's counts, summed over its tasks (main thread only). */
static struct {
    uint64_t nodes, leaves;
    int64_t depth;
    uint64_t frames; /* frames handed to spawned tasks */
} here;

/* The task's stack, kept between tasks. */
static frame *stk;
static size_t stk_cap;

static int push(frame **top_base, size_t sp)
{
    if (sp < stk_cap) return 0;
    size_t cap = stk_cap ? stk_cap * 2 : 1024;
    frame *n = realloc(stk, cap * sizeof *n);
    if (!n) return -1;
    stk = n;
    stk_cap = cap;
    *top_base = n;
    return 0;
}

/* Spawns frames [lo, hi) of the stack as one task. */
static int spawn_frames(tf_task *t, const frame *f, size_t n)
{
    here.frames += n;
    return tf_spawn(t, "uts", f, n * sizeof *f);
}

/* Spawns what is left on the stack, sp frames with children to visit: the
 * oldest frames one task each, the rest as one; a lone frame is cut into
 * ranges of its children. At most cfg.split tasks. */
static int spawn_rest(tf_task *t, frame *s, size_t sp)
{
    size_t k = 0;
    for (size_t i = 0; i < sp; i++)
        if (s[i].next < s[i].end) s[k++] = s[i];
    if (k == 0) return 0;
    int rc = 0;
    if (k == 1) {
        int32_t left = s[0].end - s[0].next;
        int32_t parts = (int32_t)cfg.split < left ? (int32_t)cfg.split : left;
        int32_t from = s[0].next;
        for (int32_t j = 0; j < parts && rc == 0; j++) {
            frame f = s[0];
            f.next = from + (int32_t)((int64_t)left * j / parts);
            f.end = from + (int32_t)((int64_t)left * (j + 1) / parts);
            rc = spawn_frames(t, &f, 1);
        }
        return rc;
    }
    size_t single = cfg.split - 1 < k - 1 ? cfg.split - 1 : k - 1;
    for (size_t i = 0; i < single && rc == 0; i++) rc = spawn_frames(t, &s[i], 1);
    if (rc == 0) rc = spawn_frames(t, &s[single], k - single);
    return rc;
}

/* Another rank asked for work: hands it the oldest open frame on the stack
 * (nearest the root: the largest subtree), or, when only the frame being
 * walked has children left, the upper half of them. The walk goes on with
 * the rest, so no node is visited twice or missed. */
static int release(tf_task *t, frame *s, size_t sp)
{
    for (size_t i = 0; i + 1 < sp; i++) {
        if (s[i].next >= s[i].end) continue;
        frame f = s[i];
        s[i].next = s[i].end;
        return spawn_frames(t, &f, 1);
    }
    frame *top = &s[sp - 1];
    int32_t left = top->end - top->next;
    if (left < 2) return 0;
    frame f = *top;
    f.next = top->next + left / 2;
    top->end = f.next;
    return spawn_frames(t, &f, 1);
}

static int fn_uts(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len == 0 || len % sizeof(frame))
        return tf_task_fail(t, "input of %zu bytes is not a list of 32-byte frames", len);
    size_t sp = len / sizeof(frame);
    while (stk_cap < sp)
        if (push(&stk, stk_cap)) return tf_task_fail(t, "out of memory for the stack");
    memcpy(stk, in, len);
    frame *s = stk;
    uint64_t budget = cfg.budget, nodes = 0, leaves = 0;
    int64_t depth = 0;
    while (sp) {
        frame *f = &s[sp - 1];
        if (f->next >= f->end) {
            sp--;
            continue;
        }
        if (budget == 0) break;
        budget--;
        /* every 64 nodes: a few microseconds, and no cost per node */
        if (cfg.hungry && (budget & 63) == 0 && tf_task_hungry(t)) {
            int rc = release(t, s, sp);
            if (rc) return tf_task_fail(t, "cannot spawn: %s", tf_strerror(rc));
        }
        int32_t h = f->height + 1;
        uint8_t cs[20];
        rng_child(f->state, f->next++, cs);
        nodes++;
        if (h > depth) depth = h;
        int n = num_children(cs, h);
        if (n == 0) {
            leaves++;
            continue;
        }
        if (push(&s, sp)) return tf_task_fail(t, "out of memory for the stack");
        memcpy(s[sp].state, cs, 20);
        s[sp].height = h;
        s[sp].next = 0;
        s[sp].end = n;
        sp++;
    }
    here.nodes += nodes;
    here.leaves += leaves;
    if (depth > here.depth) here.depth = depth;
    (void)out;
    return sp ? spawn_rest(t, s, sp) : 0;
}

static int driver(tf_pool *pool, void *arg)
{
    (void)arg;
    frame root = {.height = 0, .next = 0};
    rng_root(root.state, T.root_id);
    root.end = num_children(root.state, 0);
    here.nodes++;
    if (root.end == 0) {
        here.leaves++;
        return 0;
    }
    tf_future *f = NULL;
    int rc = tf_submit(pool, "uts", &root, sizeof root, &f);
    if (rc == 0) rc = tf_wait(f);
    tf_future_release(&f);
    int rc2 = tf_wait_all(pool);
    return rc ? rc : rc2;
}

/* ---- options ------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: tf-uts [--sample T1|T2|T3|T4|T5|T1L|T2L|T3L|T1XL] [-t type] [-b b0] "
               "[-r root] [-a shape] [-d depth] [-q prob] [-m children] [-f shift] "
               "[-g granularity] [--budget N] [--split S] [--hungry on|off] [--repeat R]\n"
               "  [--chunk auto|guided|K] [--version]\n"
               "  -t 0 binomial, 1 geometric, 2 hybrid, 3 balanced\n"
               "  -a 0 linear, 1 exponential decrease, 2 cyclic, 3 fixed (geometric shape)\n");
}

static int parse_tree_opt(const char *opt, const char *v)
{
    switch (opt[1]) {
    case 't': return ak_int(opt, v, 0, 3, &T.type);
    case 'b': return ak_double(opt, v, 0, 1e9, &T.b0);
    case 'r': return ak_int(opt, v, INT32_MIN, INT32_MAX, &T.root_id);
    case 'a': return ak_int(opt, v, 0, 3, &T.shape);
    case 'd': return ak_int(opt, v, 1, 1 << 30, &T.gen_mx);
    case 'q': return ak_double(opt, v, 0, 1, &T.nonleaf_prob);
    case 'm': return ak_int(opt, v, 0, 1 << 20, &T.nonleaf_bf); /* capped at 100 below */
    case 'f': return ak_double(opt, v, 0, 1e6, &T.shift_depth);
    default: /* g: the reference takes 0 as 1 */
        if (ak_int(opt, v, 0, 1 << 20, &T.gran)) return -1;
        if (T.gran < 1) T.gran = 1;
        return 0;
    }
}

/* Applies "-x v -y w ..." from a sample's argument string. */
static void apply_sample(const struct sample *s)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s->args);
    char *save = NULL;
    for (char *o = strtok_r(buf, " ", &save); o; o = strtok_r(NULL, " ", &save)) {
        char *v = strtok_r(NULL, " ", &save);
        if (parse_tree_opt(o, v)) abort(); /* the table above is wrong */
    }
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
        if (strcmp(opt, "--sample") == 0) {
            if (!(v = ak_value(argc, argv, &i))) return 2;
            size_t j = 0, n = sizeof samples / sizeof *samples;
            while (j < n && strcmp(samples[j].name, v) != 0) j++;
            if (j == n) {
                ak_error("--sample: unknown tree '%s' (T1 T2 T3 T4 T5 T1L T2L T3L T1XL)", v);
                return 2;
            }
            cfg.sample = &samples[j];
            T = T_defaults; /* the sample alone, whatever came before */
            apply_sample(cfg.sample);
        } else if (opt[0] == '-' && strchr("tbradqmfg", opt[1]) && opt[1] && !opt[2]) {
            if (!(v = ak_value(argc, argv, &i)) || parse_tree_opt(opt, v)) return 2;
            cfg.sample = NULL; /* a changed tree is no longer the sample */
        } else if (strcmp(opt, "--budget") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_u64(opt, v, 1, UINT64_C(1) << 40, &u))
                return 2;
            cfg.budget = u;
        } else if (strcmp(opt, "--hungry") == 0) {
            if (!(v = ak_value(argc, argv, &i))) return 2;
            if (strcmp(v, "on") == 0 || strcmp(v, "off") == 0) {
                cfg.hungry = strcmp(v, "on") == 0;
            } else {
                ak_error("--hungry: expected on or off, got '%s'", v);
                return 2;
            }
        } else if (strcmp(opt, "--split") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_u64(opt, v, 2, 64, &u)) return 2;
            cfg.split = (unsigned)u;
        } else if ((k = ak_run_option(argc, argv, &i, &cfg.repeat, &cfg.opts)) != 0) {
            if (k < 0) return 2;
        } else {
            ak_error("unknown option '%s' (try --help)", opt);
            return 2;
        }
    }
    return 0;
}

static void print_params(void)
{
    printf("UTS on taskfarm: tree type %d (%s)", T.type, tree_names[T.type]);
    if (cfg.sample) printf(", sample tree %s", cfg.sample->name);
    printf("\n  root: b0 %g, root seed %d", T.b0, T.root_id);
    if (T.type == GEO || T.type == HYBRID)
        printf(", shape %d (%s), depth %d", T.shape, shape_names[T.shape], T.gen_mx);
    if (T.type == BIN || T.type == HYBRID) printf(", q %g, m %d", T.nonleaf_prob, T.nonleaf_bf);
    if (T.type == HYBRID) printf(", shift at depth %g", T.shift_depth * T.gen_mx);
    if (T.type == BALANCED) printf(", depth %d", T.gen_mx);
    printf("\n  compute granularity %d, random numbers SHA-1 (OpenSSL libcrypto)\n", T.gran);
    printf("  %d ranks, budget %" PRIu64 " nodes a task, split %u\n", ak_size, cfg.budget,
           cfg.split);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    ak_init(&argc, &argv, "tf-uts");
    int prc = parse_args(argc, argv);
    if (prc) {
        MPI_Finalize();
        return prc == 1 ? 0 : 2;
    }
    tf_pool *pool = ak_pool(&cfg.opts, 1, (const char *[]){"uts"}, (tf_fn[]){fn_uts});
    if (!pool) {
        MPI_Finalize();
        return 1;
    }
    if (ak_rank == 0) print_params();

    double *secs = calloc(cfg.repeat, sizeof *secs);
    uint64_t nodes = 0, leaves = 0, tasks = 0, frames = 0;
    int64_t depth = 0;
    double busy_total = 0, secs_total = 0;
    int status = secs ? 0 : 1;
    for (unsigned r = 0; r < cfg.repeat && status == 0; r++) {
        memset(&here, 0, sizeof here);
        tf_stats s0, s1;
        tf_pool_stats(pool, &s0);
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = MPI_Wtime();
        int rc = tf_run(pool, driver, NULL);
        double t1 = MPI_Wtime();
        tf_pool_stats(pool, &s1);
        uint64_t c[4] = {here.nodes, here.leaves, s1.tasks - s0.tasks, here.frames}, sum[4] = {0};
        double busy = s1.busy_s - s0.busy_s, busy_sum = 0;
        int64_t d = 0;
        MPI_Reduce(c, sum, 4, MPI_UINT64_T, MPI_SUM, 0, MPI_COMM_WORLD);
        MPI_Reduce(&busy, &busy_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
        MPI_Reduce(&here.depth, &d, 1, MPI_INT64_T, MPI_MAX, 0, MPI_COMM_WORLD);
        if (ak_rank == 0) {
            if (rc) {
                fprintf(stderr, "tf-uts: %s (%s)\n", tf_strerror(rc), tf_pool_errmsg(pool));
                status = 1;
            } else if (r > 0 && (sum[0] != nodes || sum[1] != leaves || d != depth)) {
                fprintf(stderr, "tf-uts: search %u found other counts than search 1\n", r + 1);
                status = 1;
            }
            nodes = sum[0];
            leaves = sum[1];
            depth = d;
            tasks += sum[2];
            frames += sum[3];
            busy_total += busy_sum;
            secs[r] = t1 - t0;
            secs_total += t1 - t0;
        }
        MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    }

    if (ak_rank == 0 && secs) {
        const struct sample *s = cfg.sample;
        if (status == 0 && s && (nodes != s->nodes || leaves != s->leaves || depth != s->depth)) {
            fprintf(stderr,
                    "tf-uts: %s should have %" PRIu64 " nodes, %" PRIu64 " leaves, depth %d\n",
                    s->name, s->nodes, s->leaves, s->depth);
            status = 1;
        }
        double min = secs[0];
        for (unsigned r = 1; r < cfg.repeat; r++)
            if (secs[r] < min) min = secs[r];
        double med = ak_median(secs, cfg.repeat);
        double rate = med > 0 ? (double)nodes / med : 0;
        printf("Tree size = %" PRIu64 ", tree depth = %" PRId64 ", num leaves = %" PRIu64
               " (%.2f%%)\n",
               nodes, depth, leaves, nodes ? 100.0 * (double)leaves / (double)nodes : 0);
        printf("Wallclock time = %.3f sec, performance = %.0f nodes/sec (%.0f nodes/sec per "
               "rank)%s\n",
               med, rate, rate / ak_size, status ? " -- FAILED" : "");
        printf("{\"app\":\"tf-uts\",\"tree\":\"%s\",\"ranks\":%d,\"nodes\":%" PRIu64
               ",\"leaves\":%" PRIu64 ",\"depth\":%" PRId64 ",\"repeat\":%u,\"seconds\":%.6f,"
               "\"seconds_min\":%.6f,\"nodes_per_s\":%.1f,\"budget\":%" PRIu64
               ",\"split\":%u,\"tasks\":%" PRIu64 ",\"frames\":%" PRIu64
               ",\"busy_share\":%.4f,\"ok\":%s}\n",
               s ? s->name : "custom", ak_size, nodes, leaves, depth, cfg.repeat, med, min, rate,
               cfg.budget, cfg.split, tasks / cfg.repeat, frames / cfg.repeat,
               secs_total > 0 ? busy_total / (secs_total * ak_size) : 0, status ? "false" : "true");
        fflush(stdout);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(secs);
    free(stk);
    tf_pool_destroy(&pool);
    MPI_Finalize();
    return status;
}
