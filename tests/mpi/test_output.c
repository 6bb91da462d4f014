/* test_output.c - tf_output: ordered and unordered records under random
 * task durations, bounded hold-back, failures, the driver's own writes,
 * durability policies, and bad use. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

/* in: u64 i. out: "i:" and i % 97 bytes of 'a' + i % 26, then "\n", after
 * a random 0-400 us; i % 50 == 49 fails when the "fail" function is used. */
static int fn_rec(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len != 8) return tf_task_fail(t, "want 8 bytes");
    uint64_t i = th_get_u64(in);
    uint64_t h = (i + 1) * 0x9E3779B97F4A7C15ull;
    th_spin_us((unsigned)((h >> 40) % 400));
    char b[160];
    int n = snprintf(b, sizeof b, "%llu:", (unsigned long long)i);
    memset(b + n, 'a' + (int)(i % 26), i % 97);
    n += (int)(i % 97);
    b[n++] = '\n';
    return tf_buf_append(out, b, (size_t)n);
}

static int fn_recfail(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    if (len == 8 && th_get_u64(in) % 50 == 49)
        return tf_task_fail(t, "task %llu fails", (unsigned long long)th_get_u64(in));
    return fn_rec(t, in, len, out);
}

static char *expect(uint64_t lo, uint64_t hi, int skip_fail)
{
    size_t cap = 200 * (size_t)(hi - lo) + 1, n = 0;
    char *s = malloc(cap);
    for (uint64_t i = lo; i < hi; i++) {
        if (skip_fail && i % 50 == 49) continue;
        n += (size_t)sprintf(s + n, "%llu:", (unsigned long long)i);
        memset(s + n, 'a' + (int)(i % 26), i % 97);
        n += i % 97;
        s[n++] = '\n';
    }
    s[n] = '\0';
    return s;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *s = malloc(cap + 1);
    size_t r;
    while ((r = fread(s + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) s = realloc(s, (cap *= 2) + 1);
    }
    fclose(f);
    s[n] = '\0';
    *len = n;
    return s;
}

static int cmp_lines(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of s, sorted, joined again: for comparing unordered output. */
static char *sorted(const char *s)
{
    char *c = strdup(s);
    size_t n = 0, cap = 1024;
    char **v = malloc(cap * sizeof *v);
    for (char *tok = strtok(c, "\n"); tok; tok = strtok(NULL, "\n")) {
        if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = tok;
    }
    qsort(v, n, sizeof *v, cmp_lines);
    size_t len = strlen(s);
    char *out = malloc(len + 2), *o = out;
    for (size_t i = 0; i < n; i++) o += sprintf(o, "%s\n", v[i]);
    *o = '\0';
    free(v);
    free(c);
    return out;
}

#define N 1500
static uint64_t in[N];
static char path[64];

static void check_file(const char *what, const char *want, int order)
{
    size_t len = 0;
    char *got = slurp(path, &len);
    TH_CHECK(got != NULL, "%s: cannot read %s", what, path);
    if (!got) return;
    if (order) {
        TH_CHECK(len == strlen(want) && memcmp(got, want, len) == 0,
                 "%s: file differs (%zu bytes, want %zu)", what, len, strlen(want));
    } else {
        char *a = sorted(got), *b = sorted(want);
        TH_CHECK(strcmp(a, b) == 0, "%s: records differ (%zu bytes, want %zu)", what, len,
                 strlen(want));
        free(a);
        free(b);
    }
    free(got);
}

struct cfg {
    const char *what;
    tf_output_order order;
    tf_output_opts o;
};

static int drv_maps(tf_pool *pool, void *arg)
{
    const struct cfg *c = arg;
    tf_output *o = NULL;
    TH_EQ(tf_output_open(pool, path, c->order, &c->o, &o), 0);
    if (!o) return 1;
    size_t failed = 99;
    /* two maps in a row: the second continues after the first */
    TH_EQ(tf_map_to(pool, "rec", in, 8, 1000, o, &failed), 0);
    TH_EQ(failed, 0);
    TH_EQ(tf_map_to(pool, "recfail", in + 1000, 8, N - 1000, o, &failed), TF_ETASK);
    TH_EQ(failed, (N - 1000) / 50);
    TH_CHECK(strstr(tf_pool_errmsg(pool), "fails") != NULL, "%s", tf_pool_errmsg(pool));
    uint64_t recs = N - (N - 1000) / 50;
    TH_EQ(tf_output_records(o), recs);
    TH_EQ(tf_output_close(&o), 0);
    TH_CHECK(o == NULL, "close leaves the pointer");
    char *a = expect(0, 1000, 0), *b = expect(1000, N, 1);
    char *want = malloc(strlen(a) + strlen(b) + 1);
    strcpy(want, a);
    strcat(want, b);
    check_file(c->what, want, c->order == TF_OUTPUT_ORDERED);
    free(a);
    free(b);
    free(want);
    return 0;
}

static void test_output_maps(void)
{
    if (th_rank() == 0) snprintf(path, sizeof path, "/tmp/tf-out-%d.txt", (int)getpid());
    MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
    for (uint64_t i = 0; i < N; i++) in[i] = i;
    struct cfg cfgs[] = {
        {"ordered", TF_OUTPUT_ORDERED, {0}},
        {"ordered, 4 ahead, tiny blocks, per record",
         TF_OUTPUT_ORDERED,
         {.max_ahead = 4, .block_size = 64, .durability = TF_DURABLE_RECORD}},
        {"ordered, 100 bytes held, no sync",
         TF_OUTPUT_ORDERED,
         {.max_held = 100, .block_size = 4096, .durability = TF_DURABLE_NONE}},
        {"unordered", TF_OUTPUT_UNORDERED, {0}},
        {"unordered, tiny blocks, flush 1 ms",
         TF_OUTPUT_UNORDERED,
         {.block_size = 100, .flush_s = 1e-3}},
    };
    for (size_t k = 0; k < sizeof cfgs / sizeof cfgs[0]; k++) {
        tf_pool_opts po = {0};
        if (k % 2) po.chunk = TF_CHUNK_GUIDED; /* big chunks, out of order across ranks */
        tf_pool *pool = th_pool(&po);
        if (!pool) return;
        TH_EQ(th_run(pool, drv_maps, &cfgs[k]), 0);
        tf_pool_destroy(&pool);
    }
    if (th_rank() == 0) unlink(path);
}

/* The driver writes records itself, out of order, around a map. */
static int drv_writes(tf_pool *pool, void *arg)
{
    (void)arg;
    tf_output *o = NULL;
    TH_EQ(tf_output_open(pool, path, TF_OUTPUT_ORDERED, NULL, &o), 0);
    if (!o) return 1;
    TH_EQ(tf_output_write(o, 2, "c\n", 2), 0);
    TH_EQ(tf_output_write(o, 0, "a\n", 2), 0);
    TH_EQ(tf_output_write(o, 2, "x\n", 2), TF_EINVAL); /* held already */
    TH_EQ(tf_output_write(o, 0, "x\n", 2), TF_EINVAL); /* written already */
    TH_EQ(tf_output_write(o, 1, "b\n", 2), 0);
    TH_EQ(tf_output_flush(o), 0);
    TH_EQ(tf_output_records(o), 3);
    /* a map takes the next positions: 3 .. 12 */
    TH_EQ(tf_map_to(pool, "rec", in, 8, 10, o, NULL), 0);
    TH_EQ(tf_output_write(o, 14, "e\n", 2), 0);
    TH_EQ(tf_output_write(o, 15, "f\n", 2), 0);
    /* position 13 never comes: close writes what it holds and says so */
    int rc = tf_output_close(&o);
    TH_EQ(rc, TF_EINVAL);
    TH_CHECK(strstr(tf_pool_errmsg(pool), "position 13") != NULL, "%s", tf_pool_errmsg(pool));
    char *m = expect(0, 10, 0);
    char *want = malloc(strlen(m) + 16);
    sprintf(want, "a\nb\nc\n%se\nf\n", m);
    check_file("driver writes", want, 1);
    free(m);
    free(want);

    /* bad use */
    TH_EQ(tf_output_open(pool, "/nonexistent-dir/x", TF_OUTPUT_ORDERED, NULL, &o), TF_ESYS);
    TH_CHECK(strstr(tf_pool_errmsg(pool), "/nonexistent-dir/x") != NULL, "%s",
             tf_pool_errmsg(pool));
    TH_EQ(tf_output_open(pool, path, (tf_output_order)7, NULL, &o), TF_EINVAL);
    tf_output_opts bad = {.durability = (tf_durability)9};
    TH_EQ(tf_output_open(pool, path, TF_OUTPUT_ORDERED, &bad, &o), TF_EINVAL);
    TH_EQ(tf_output_open(pool, NULL, TF_OUTPUT_ORDERED, NULL, &o), TF_EINVAL);
    TH_CHECK(o == NULL, "no output on error");
    TH_EQ(tf_map_to(pool, "rec", in, 8, 10, NULL, NULL), TF_EINVAL);
    return 0;
}

static void test_output_driver(void)
{
    if (th_rank() == 0) snprintf(path, sizeof path, "/tmp/tf-out-%d.txt", (int)getpid());
    MPI_Bcast(path, sizeof path, MPI_CHAR, 0, MPI_COMM_WORLD);
    for (uint64_t i = 0; i < N; i++) in[i] = i;
    tf_pool *pool = th_pool(NULL);
    if (!pool) return;
    TH_EQ(th_run(pool, drv_writes, NULL), 0);
    /* outside a run: open, write, close on rank 0 */
    if (th_rank() == 0) {
        tf_output *o = NULL;
        tf_output_opts ap = {.append = 1};
        TH_EQ(tf_output_open(pool, path, TF_OUTPUT_UNORDERED, &ap, &o), 0);
        TH_EQ(tf_output_write(o, 0, "z\n", 2), 0);
        TH_EQ(tf_output_close(&o), 0);
        size_t len = 0;
        char *got = slurp(path, &len);
        TH_CHECK(got && len > 2 && memcmp(got + len - 4, "f\nz\n", 4) == 0, "append");
        free(got);
        unlink(path);
    }
    tf_pool_destroy(&pool);
}

TH_FUNCS(TH_FUNC("rec", fn_rec), TH_FUNC("recfail", fn_recfail));
TH_TESTS(TH_TEST(test_output_maps), TH_TEST(test_output_driver));
