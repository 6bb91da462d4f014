/* tf-hashfiles - SHA-256 of every file of a directory, one task per file,
 * the files read by the library (tf_map_files): a benchmark of the service
 * thread's read-ahead against reading in the computing thread.
 *
 *   mpirun -np P tf-hashfiles [--make N] [--size BYTES] [--no-prefetch]
 *                             [--evict] [--repeat R] [--chunk auto|guided|K]
 *                             [--verify] DIR
 *
 * DIR's regular files, sorted by name, are the inputs. --make N first
 * creates N files f000000 ... of --size bytes (default 1 MiB) of
 * deterministic pseudo-random bytes in DIR (rank 0; files already there with
 * the right size are kept) and syncs them. --evict drops the files from the
 * page cache before each run (POSIX_FADV_DONTNEED on every file, by one rank
 * per node): a cold cache without root's drop_caches; the share of the
 * files' pages still cached after it (mincore) is reported, so a run says
 * how cold it really was. --no-prefetch makes each task's main thread read
 * its own file (tf_pool_opts.no_file_prefetch); by default the service
 * thread reads the next files while the current one is hashed.
 *
 * Each task returns its file's SHA-256 (OpenSSL libcrypto); the run's digest
 * is the SHA-256 of those 32-byte digests in file order, the same at every
 * rank count and setting (--verify recomputes it serially on rank 0).
 *
 * Output: a summary on stderr and, as the last line of stdout, one JSON
 * object: app, ranks, files, bytes, prefetch, evict, cached_before (share of
 * pages cached before the first run), seconds (median of R), seconds_min,
 * mb_per_s, io_wait_s (summed over ranks, median run), busy_s, files_ahead
 * (share read ahead by service threads), digest, ok. Exit status 0, 1 (a
 * failed task or --verify mismatch), 2 (bad option or directory).
 * Threads: tasks and the driver on each rank's main thread; file reads on
 * the service thread (or the main thread with --no-prefetch). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "appkit.h"

static struct {
    uint64_t make, size;
    int evict, verify;
    unsigned repeat;
    const char *dir;
    tf_pool_opts opts;
} cfg = {0, 1u << 20, 0, 0, 1, NULL, {0}};

static char **files;
static size_t nfiles;

static int sha256(const void *p, size_t n, unsigned char out[32])
{
    unsigned int len = 0;
    return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 && len == 32 ? 0 : -1;
}

static int fn_sha256(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    unsigned char d[32];
    if (sha256(in, len, d) < 0) return tf_task_fail(t, "SHA-256 of %s failed", tf_task_path(t));
    return tf_buf_append(out, d, sizeof d);
}

static int usage(void)
{
    ak_error("usage: tf-hashfiles [--make N] [--size BYTES] [--no-prefetch] [--evict] "
             "[--repeat R] [--chunk C] [--verify] DIR");
    return 2;
}

static int parse(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int r = ak_run_option(argc, argv, &i, &cfg.repeat, &cfg.opts);
        if (r < 0) return 2;
        if (r > 0) continue;
        if (strcmp(a, "--make") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_u64(a, v, 1, 10000000, &cfg.make) < 0)
                return 2;
        } else if (strcmp(a, "--size") == 0) {
            if (!(v = ak_value(argc, argv, &i)) ||
                ak_u64(a, v, 0, (uint64_t)1 << 31, &cfg.size) < 0)
                return 2;
        } else if (strcmp(a, "--no-prefetch") == 0) {
            cfg.opts.no_file_prefetch = 1;
        } else if (strcmp(a, "--evict") == 0) {
            cfg.evict = 1;
        } else if (strcmp(a, "--verify") == 0) {
            cfg.verify = 1;
        } else if (a[0] == '-' && a[1]) {
            ak_error("unknown option '%s'", a);
            return 2;
        } else if (cfg.dir) {
            ak_error("one directory only, got '%s' after '%s'", a, cfg.dir);
            return 2;
        } else {
            cfg.dir = a;
        }
    }
    return cfg.dir ? 0 : usage();
}

/* Rank 0: f000000 ... of cfg.size deterministic bytes; synced, so that
 * --evict can drop them. 0 or -1 after a message. */
static int make_files(void)
{
    if (mkdir(cfg.dir, 0755) < 0 && errno != EEXIST) {
        ak_error("%s: %s", cfg.dir, strerror(errno));
        return -1;
    }
    char *buf = malloc(cfg.size ? cfg.size : 1);
    if (!buf) return -1;
    for (uint64_t i = 0; i < cfg.make; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/f%06llu", cfg.dir, (unsigned long long)i);
        struct stat st;
        if (stat(path, &st) == 0 && (uint64_t)st.st_size == cfg.size) continue;
        uint64_t x = (i + 1) * 0x9E3779B97F4A7C15ull;
        for (uint64_t k = 0; k < cfg.size; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            buf[k] = (char)(x >> 24);
        }
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0 || write(fd, buf, cfg.size) != (ssize_t)cfg.size || fdatasync(fd) < 0) {
            ak_error("%s: %s", path, strerror(errno));
            if (fd >= 0) close(fd);
            free(buf);
            return -1;
        }
        close(fd);
    }
    free(buf);
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every rank: DIR's regular files, sorted. 0 or -1 after a message. */
static int list_files(void)
{
    DIR *d = opendir(cfg.dir);
    if (!d) {
        ak_error("%s: %s", cfg.dir, strerror(errno));
        return -1;
    }
    size_t cap = 1024;
    files = malloc(cap * sizeof *files);
    struct dirent *e;
    while ((e = readdir(d))) {
        char *path;
        if (asprintf(&path, "%s/%s", cfg.dir, e->d_name) < 0) break;
        struct stat st;
        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode)) {
            free(path);
            continue;
        }
        if (nfiles == cap) files = realloc(files, (cap *= 2) * sizeof *files);
        files[nfiles++] = path;
    }
    closedir(d);
    qsort(files, nfiles, sizeof *files, cmp_str);
    if (nfiles == 0) {
        ak_error("%s: no regular files", cfg.dir);
        return -1;
    }
    return 0;
}

/* Drops the files from the page cache (clean pages only: make_files synced). */
static void evict(void)
{
    for (size_t i = 0; i < nfiles; i++) {
        int fd = open(files[i], O_RDONLY | O_CLOEXEC);
        if (fd < 0) continue;
        (void)posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
        close(fd);
    }
}

/* Share of the files' pages in the page cache (mincore). */
static double cached_share(uint64_t *bytes)
{
    long pg = sysconf(_SC_PAGESIZE);
    uint64_t in = 0, all = 0;
    *bytes = 0;
    for (size_t i = 0; i < nfiles; i++) {
        int fd = open(files[i], O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0) continue;
        if (fstat(fd, &st) == 0 && st.st_size > 0) {
            *bytes += (uint64_t)st.st_size;
            void *m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
            size_t np = ((size_t)st.st_size + (size_t)pg - 1) / (size_t)pg;
            unsigned char *v = malloc(np);
            if (m != MAP_FAILED && v && mincore(m, (size_t)st.st_size, v) == 0)
                for (size_t k = 0; k < np; k++) in += v[k] & 1;
            all += np;
            free(v);
            if (m != MAP_FAILED) munmap(m, (size_t)st.st_size);
        }
        close(fd);
    }
    return all ? (double)in / (double)all : 0;
}

struct run {
    unsigned char digest[32];
    size_t failed;
};

static int drv(tf_pool *pool, void *arg)
{
    struct run *r = arg;
    tf_results *res = NULL;
    int rc = tf_map_files(pool, "sha256", (const char *const *)files, nfiles, &res);
    if (rc < 0 && rc != TF_ETASK) { /* TF_ETASK: each unreadable file is named below */
        fprintf(stderr, "tf-hashfiles: %s\n", tf_pool_errmsg(pool));
        return rc;
    }
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    EVP_DigestInit_ex(c, EVP_sha256(), NULL);
    r->failed = tf_results_failed(res);
    for (size_t i = 0; i < nfiles; i++) {
        const void *o;
        size_t len;
        if (tf_results_get(res, i, &o, &len) == 0 && len == 32) {
            EVP_DigestUpdate(c, o, 32);
        } else {
            fprintf(stderr, "tf-hashfiles: %s\n", tf_results_error(res, i));
        }
    }
    EVP_DigestFinal_ex(c, r->digest, NULL);
    EVP_MD_CTX_free(c);
    tf_results_free(&res);
    return r->failed ? 1 : 0;
}

static void hex(const unsigned char *d, char *s)
{
    for (int i = 0; i < 32; i++) sprintf(s + 2 * i, "%02x", d[i]);
}

int main(int argc, char **argv)
{
    ak_init(&argc, &argv, "tf-hashfiles");
    int rc = parse(argc, argv);
    if (!rc && cfg.make && ak_rank == 0 && make_files() < 0) rc = 2;
    MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (!rc && list_files() < 0) rc = 2;
    int worst = rc;
    MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (worst) {
        MPI_Finalize();
        return worst;
    }
    const char *names[] = {"sha256"};
    const tf_fn fns[] = {fn_sha256};
    tf_pool *pool = ak_pool(&cfg.opts, 1, names, fns);
    if (!pool) {
        MPI_Finalize();
        return 1;
    }
    tf_placement pl;
    tf_pool_placement(pool, &pl);
    double *secs = calloc(cfg.repeat, sizeof *secs), *iow = calloc(cfg.repeat, sizeof *iow);
    double *busy = calloc(cfg.repeat, sizeof *busy), cached0 = 0, ahead_share = 0;
    uint64_t bytes = 0;
    struct run r0 = {{0}, 0};
    int bad = 0;
    for (unsigned k = 0; k < cfg.repeat; k++) {
        if (cfg.evict && pl.local_rank == 0) evict();
        MPI_Barrier(MPI_COMM_WORLD);
        if (k == 0 && ak_rank == 0) cached0 = cached_share(&bytes);
        tf_stats s0, s1;
        tf_pool_stats(pool, &s0);
        struct run r = {{0}, 0};
        MPI_Barrier(MPI_COMM_WORLD);
        double t0 = ak_now();
        int rv = tf_run(pool, drv, &r);
        secs[k] = ak_now() - t0;
        tf_pool_stats(pool, &s1);
        double mine[4] = {s1.io_wait_s - s0.io_wait_s, s1.busy_s - s0.busy_s,
                          (double)(s1.files_ahead - s0.files_ahead),
                          (double)(s1.files_read - s0.files_read)},
               sum[4];
        MPI_Reduce(mine, sum, 4, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
        iow[k] = sum[0];
        busy[k] = sum[1];
        ahead_share = sum[3] > 0 ? sum[2] / sum[3] : 0;
        if (rv != 0) bad = 1;
        if (k == 0) r0 = r;
        if (ak_rank == 0 && memcmp(r.digest, r0.digest, 32) != 0) bad = 1;
    }
    int ok = !bad;
    char dh[65];
    hex(r0.digest, dh);
    if (ak_rank == 0 && cfg.verify) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        EVP_DigestInit_ex(c, EVP_sha256(), NULL);
        for (size_t i = 0; i < nfiles; i++) {
            int fd = open(files[i], O_RDONLY | O_CLOEXEC);
            struct stat st;
            unsigned char d[32];
            char *b = NULL;
            if (fd >= 0 && fstat(fd, &st) == 0 && (b = malloc((size_t)st.st_size + 1)) &&
                read(fd, b, (size_t)st.st_size) == st.st_size &&
                sha256(b, (size_t)st.st_size, d) == 0)
                EVP_DigestUpdate(c, d, 32);
            else
                ok = 0;
            free(b);
            if (fd >= 0) close(fd);
        }
        unsigned char d[32];
        EVP_DigestFinal_ex(c, d, NULL);
        if (memcmp(d, r0.digest, 32) != 0) ok = 0;
    }
    if (ak_rank == 0) {
        double s = ak_median(secs, cfg.repeat), smin = secs[0];
        for (unsigned k = 1; k < cfg.repeat; k++)
            if (secs[k] < smin) smin = secs[k];
        double io = ak_median(iow, cfg.repeat), bs = ak_median(busy, cfg.repeat);
        fprintf(stderr,
                "tf-hashfiles: %zu files, %.1f MB, %d ranks, prefetch %s, evict %s (%.0f%% cached "
                "before): %.3f s median, %.1f MB/s, io wait %.3f s, busy %.3f s\n",
                nfiles, (double)bytes / 1e6, ak_size, cfg.opts.no_file_prefetch ? "off" : "on",
                cfg.evict ? "yes" : "no", 100 * cached0, s, (double)bytes / 1e6 / s, io, bs);
        printf("{\"app\":\"tf-hashfiles\",\"ranks\":%d,\"files\":%zu,\"bytes\":%llu,"
               "\"prefetch\":%s,\"evict\":%s,\"cached_before\":%.4f,\"seconds\":%.6f,"
               "\"seconds_min\":%.6f,\"mb_per_s\":%.2f,\"io_wait_s\":%.6f,\"busy_s\":%.6f,"
               "\"files_ahead\":%.4f,\"digest\":\"%s\",\"ok\":%s}\n",
               ak_size, nfiles, (unsigned long long)bytes,
               cfg.opts.no_file_prefetch ? "false" : "true", cfg.evict ? "true" : "false", cached0,
               s, smin, (double)bytes / 1e6 / s, io, bs, ahead_share, dh, ok ? "true" : "false");
        fflush(stdout);
    }
    MPI_Bcast(&ok, 1, MPI_INT, 0, MPI_COMM_WORLD);
    tf_pool_destroy(&pool);
    for (size_t i = 0; i < nfiles; i++) free(files[i]);
    free(files);
    free(secs);
    free(iow);
    free(busy);
    MPI_Finalize();
    return ok ? 0 : 1;
}
