/* test_files.c - tasks whose input is a file: tf_map_files, tf_submit_file,
 * with the service thread's prefetch on and off, and files that fail. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#include "harness.h"

static uint64_t fnv(const void *p, size_t n)
{
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ s[i]) * 1099511628211ull;
    return h;
}

/* out: u64 length, u64 hash of the contents, u64 hash of the path */
static int fn_hash(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    const char *path = tf_task_path(t);
    if (!path) return tf_task_fail(t, "no path");
    uint64_t v[3] = {len, fnv(in, len), fnv(path, strlen(path))};
    if (len % 3 == 1) th_spin_us(200); /* uneven tasks */
    return tf_buf_append(out, v, sizeof v);
}

#define NFILES 120

static char dir[64];
static char *paths[NFILES + 3];
static size_t sizes[NFILES];

/* Collective: rank 0 makes the files, every rank learns the directory. */
static void make_files(void)
{
    if (th_rank() == 0) {
        strcpy(dir, "/tmp/tf-files-XXXXXX");
        if (!mkdtemp(dir)) dir[0] = '\0';
    }
    MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD);
    TH_CHECK(dir[0], "mkdtemp failed");
    unsigned seed = 7;
    for (int i = 0; i < NFILES; i++) {
        /* 0 bytes, small, around one read slice (512 KiB), and 1.3 MiB */
        static const size_t pick[] = {0, 1, 100, 4096, 524287, 524288, 524289, 1363149};
        seed = seed * 1103515245u + 12345u;
        sizes[i] = pick[(seed >> 16) % 8];
        if (asprintf(&paths[i], "%s/f%03d", dir, i) < 0) paths[i] = NULL;
        if (th_rank() == 0 && paths[i]) {
            FILE *f = fopen(paths[i], "wb");
            for (size_t b = 0; f && b < sizes[i]; b++) fputc((int)((b * 31 + (size_t)i) & 255), f);
            if (f) fclose(f);
        }
    }
    if (asprintf(&paths[NFILES], "%s/missing", dir) < 0) paths[NFILES] = NULL;
    paths[NFILES + 1] = dir; /* a directory */
    /* a FIFO nobody writes: refused at once, never waited on */
    if (asprintf(&paths[NFILES + 2], "%s/fifo", dir) < 0) paths[NFILES + 2] = NULL;
    if (th_rank() == 0 && paths[NFILES + 2]) TH_EQ(mkfifo(paths[NFILES + 2], 0600), 0);
    MPI_Barrier(MPI_COMM_WORLD);
}

static void remove_files(void)
{
    MPI_Barrier(MPI_COMM_WORLD);
    for (int i = 0; i < NFILES; i++) {
        if (th_rank() == 0 && paths[i]) unlink(paths[i]);
        free(paths[i]);
    }
    free(paths[NFILES]);
    if (th_rank() == 0 && paths[NFILES + 2]) unlink(paths[NFILES + 2]);
    free(paths[NFILES + 2]);
    if (th_rank() == 0) rmdir(dir);
}

static uint64_t expect_hash(int i)
{
    size_t n = sizes[i];
    unsigned char *b = malloc(n ? n : 1);
    for (size_t k = 0; k < n; k++) b[k] = (unsigned char)((k * 31 + (size_t)i) & 255);
    uint64_t h = fnv(b, n);
    free(b);
    return h;
}

static int drv_map(tf_pool *pool, void *arg)
{
    (void)arg;
    tf_results *res = NULL;
    TH_EQ(tf_map_files(pool, "hash", (const char *const *)paths, NFILES + 3, &res), TF_ETASK);
    if (!res) return 1;
    TH_EQ(tf_results_count(res), NFILES + 3);
    TH_EQ(tf_results_failed(res), 3);
    for (int i = 0; i < NFILES; i++) {
        const void *o;
        size_t len;
        TH_EQ(tf_results_get(res, (size_t)i, &o, &len), 0);
        if (len != 24) {
            TH_EQ(len, 24);
            continue;
        }
        uint64_t v[3];
        memcpy(v, o, sizeof v);
        TH_EQ(v[0], sizes[i]);
        TH_CHECK(v[1] == expect_hash(i), "file %d: wrong contents", i);
        TH_CHECK(v[2] == fnv(paths[i], strlen(paths[i])), "file %d: wrong path", i);
    }
    const void *o;
    size_t len;
    TH_EQ(tf_results_get(res, NFILES, &o, &len), TF_ESYS);
    const char *e = tf_results_error(res, NFILES);
    TH_CHECK(e && strstr(e, paths[NFILES]) && strstr(e, "No such file"), "missing: %s",
             e ? e : "(null)");
    TH_EQ(tf_results_get(res, NFILES + 1, &o, &len), TF_ESYS);
    e = tf_results_error(res, NFILES + 1);
    TH_CHECK(e && strstr(e, dir) && strstr(e, "Is a directory"), "directory: %s", e ? e : "(null)");
    TH_EQ(tf_results_get(res, NFILES + 2, &o, &len), TF_ESYS);
    e = tf_results_error(res, NFILES + 2);
    TH_CHECK(e && strstr(e, "fifo") && strstr(e, "not a regular file"), "fifo: %s",
             e ? e : "(null)");
    tf_results_free(&res);

    /* futures, and bad arguments */
    tf_future *f = NULL;
    TH_EQ(tf_submit_file(pool, "hash", paths[5], &f), 0);
    TH_EQ(tf_wait(f), 0);
    TH_EQ(tf_future_result(f, &o, &len), 0);
    TH_EQ(len, 24);
    tf_future_release(&f);
    TH_EQ(tf_submit_file(pool, "hash", "", &f), TF_EINVAL);
    TH_EQ(tf_submit_file(pool, "hash", NULL, &f), TF_EINVAL);
    const char *bad[2] = {paths[0], NULL};
    TH_EQ(tf_map_files(pool, "hash", bad, 2, &res), TF_EINVAL);
    TH_CHECK(res == NULL, "results on error");
    TH_EQ(tf_map_files(pool, "hash", NULL, 0, &res), 0);
    TH_EQ(tf_results_count(res), 0);
    tf_results_free(&res);
    return 0;
}

static void run_with(const tf_pool_opts *o, const char *what)
{
    tf_pool *pool = th_pool(o);
    if (!pool) return;
    tf_stats s0, s1;
    tf_pool_stats(pool, &s0);
    TH_EQ(th_run(pool, drv_map, NULL), 0);
    tf_pool_stats(pool, &s1);
    uint64_t read = th_sum_u64(s1.files_read - s0.files_read);
    uint64_t ahead = th_sum_u64(s1.files_ahead - s0.files_ahead);
    TH_EQ(read, NFILES + 4);
    if (o && o->no_file_prefetch) TH_EQ(ahead, 0);
    TH_CHECK(ahead <= read, "%s: %llu ahead of %llu", what, (unsigned long long)ahead,
             (unsigned long long)read);
    TH_CHECK(s1.io_wait_s >= s0.io_wait_s, "io wait went back");
    if (th_rank() == 0)
        printf("    %s: %llu files, %llu read ahead, io wait %.3f s here\n", what,
               (unsigned long long)read, (unsigned long long)ahead, s1.io_wait_s - s0.io_wait_s);
    tf_pool_destroy(&pool);
}

static void test_files_prefetch(void)
{
    make_files();
    run_with(NULL, "prefetch");
    tf_pool_opts small = {.file_prefetch_bytes = 1}; /* one file ahead at most */
    run_with(&small, "prefetch 1 byte");
    tf_pool_opts chunky = {.chunk = TF_CHUNK_FIXED, .chunk_size = 7};
    run_with(&chunky, "prefetch, chunks of 7");
    tf_pool_opts off = {.no_file_prefetch = 1};
    run_with(&off, "no prefetch");
    remove_files();
}

TH_FUNCS(TH_FUNC("hash", fn_hash));
TH_TESTS(TH_TEST(test_files_prefetch));
