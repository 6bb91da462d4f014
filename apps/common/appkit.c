/* appkit.c - see appkit.h. Main thread only. */
#define _GNU_SOURCE
#include "appkit.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* --repeat: more repetitions than this are a typing error. */
#define REPEAT_MAX 1000
/* --chunk: a fixed chunk size up to 2^30 tasks, far beyond any useful one:
 * a larger number is a typing error. */
#define CHUNK_MAX (1u << 30)

int ak_rank, ak_size = 1;
const char *ak_prog = "app";

int ak_launcher_rank(void)
{
    /* Open MPI, PMIx (Open MPI 5, srun --mpi=pmix), MPICH's Hydra, Slurm */
    static const char *const vars[] = {"OMPI_COMM_WORLD_RANK", "PMIX_RANK", "PMI_RANK",
                                       "SLURM_PROCID"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return atoi(v);
    }
    return 0;
}

int ak_early_flag(int argc, char **argv, const char *flag)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (a[0] != '-' || !strcmp(a, "-") || !strcmp(a, "--")) return 0;
        if (!strcmp(a, flag)) return 1;
    }
    return 0;
}

void ak_version_exit(int argc, char **argv, const char *prog)
{
    if (!ak_early_flag(argc, argv, "--version")) return;
    /* MPI_Get_library_version and MPI_Get_version may be called before
     * MPI_Init: the version says which MPI library this program runs on */
    if (ak_launcher_rank() == 0) ak_print_version(prog);
    exit(0);
}

void ak_init(int *argc, char ***argv, const char *prog)
{
    int provided;
    ak_prog = prog;
    ak_version_exit(*argc, *argv, prog);
    MPI_Init_thread(argc, argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &ak_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &ak_size);
}

void ak_error(const char *fmt, ...)
{
    if (ak_rank != 0) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s: ", ak_prog);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

const char *ak_value(int argc, char **argv, int *i)
{
    if (*i + 1 >= argc) {
        ak_error("%s needs a value", argv[*i]);
        return NULL;
    }
    return argv[++*i];
}

int ak_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = *s && *s != '-' ? strtoull(s, &end, 10) : 0;
    if (!*s || *s == '-' || errno || end == s || *end || x < lo || x > hi) {
        ak_error("%s: want a whole number from %" PRIu64 " to %" PRIu64 ", got '%s'", opt, lo, hi,
                 s);
        return -1;
    }
    *v = x;
    return 0;
}

int ak_int(const char *opt, const char *s, int lo, int hi, int *v)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(s, &end, 10);
    if (!*s || errno || end == s || *end || x < lo || x > hi) {
        ak_error("%s: want a whole number from %d to %d, got '%s'", opt, lo, hi, s);
        return -1;
    }
    *v = (int)x;
    return 0;
}

int ak_double(const char *opt, const char *s, double lo, double hi, double *v)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(s, &end);
    if (!*s || errno || end == s || *end || !isfinite(x) || x < lo || x > hi) {
        ak_error("%s: want a number from %g to %g, got '%s'", opt, lo, hi, s);
        return -1;
    }
    *v = x;
    return 0;
}

int ak_chunk(const char *opt, const char *s, tf_pool_opts *opts)
{
    if (strcmp(s, "auto") == 0) {
        opts->chunk = TF_CHUNK_AUTO;
        return 0;
    }
    if (strcmp(s, "guided") == 0) {
        opts->chunk = TF_CHUNK_GUIDED;
        return 0;
    }
    char *end = NULL;
    errno = 0;
    unsigned long long x = *s != '-' ? strtoull(s, &end, 10) : 0;
    if (*s == '-' || errno || end == s || *end || x < 1 || x > CHUNK_MAX) {
        ak_error("%s: want auto, guided or a chunk size from 1, got '%s'", opt, s);
        return -1;
    }
    opts->chunk = TF_CHUNK_FIXED;
    opts->chunk_size = (size_t)x;
    return 0;
}

int ak_run_option(int argc, char **argv, int *i, unsigned *repeat, tf_pool_opts *opts)
{
    const char *opt = argv[*i], *v;
    uint64_t u;
    if (strcmp(opt, "--repeat") == 0) {
        if (!(v = ak_value(argc, argv, i)) || ak_u64(opt, v, 1, REPEAT_MAX, &u)) return -1;
        *repeat = (unsigned)u;
        return 1;
    }
    if (strcmp(opt, "--chunk") == 0) {
        if (!(v = ak_value(argc, argv, i)) || ak_chunk(opt, v, opts)) return -1;
        return 1;
    }
    if (strcmp(opt, "--version") == 0) {
        if (ak_rank == 0) ak_print_version(ak_prog);
        MPI_Finalize();
        exit(0);
    }
    return 0;
}

/* Set by apps/common/CMakeLists.txt from the build's cache. */
#ifndef AK_BUILD_TYPE
#define AK_BUILD_TYPE ""
#endif
#ifndef AK_C_COMPILER
#define AK_C_COMPILER "unknown"
#endif
#ifndef AK_C_FLAGS
#define AK_C_FLAGS ""
#endif

void ak_print_version(const char *prog)
{
    char lib[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int len = 0, major = 0, minor = 0;
    MPI_Get_library_version(lib, &len);
    MPI_Get_version(&major, &minor);
    /* MPICH's text runs over several lines ("MPICH Version: 4.0.2\n...");
     * the first, its tabs and runs of blanks as one space, names it. */
    char first[256];
    size_t n = 0;
    for (const char *c = lib; *c && *c != '\n' && n + 1 < sizeof first; c++) {
        if ((*c == ' ' || *c == '\t') && (n == 0 || first[n - 1] == ' ')) continue;
        first[n++] = *c == '\t' ? ' ' : *c;
    }
    while (n > 0 && first[n - 1] == ' ') n--;
    first[n] = '\0';
    const char *flags = AK_C_FLAGS;
    while (*flags == ' ') flags++;
    printf("%s (taskfarm) %d.%d.%d\n", prog, TF_VERSION_MAJOR, TF_VERSION_MINOR, TF_VERSION_PATCH);
    printf("MPI library: %s\n", first);
    printf("MPI standard: %d.%d\n", major, minor);
    printf("build: %s; compiler: %s; C flags: %s\n", *AK_BUILD_TYPE ? AK_BUILD_TYPE : "none",
           AK_C_COMPILER, *flags ? flags : "none");
    fflush(stdout);
}

double ak_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void ak_spin(double seconds)
{
    if (seconds <= 0) return;
    double end = ak_now() + seconds;
    while (ak_now() < end) {
    }
}

tf_pool *ak_pool(const tf_pool_opts *opts, size_t n, const char *const *names, const tf_fn *fns)
{
    tf_pool *pool = NULL;
    int rc = tf_pool_create(MPI_COMM_WORLD, opts, &pool);
    for (size_t i = 0; rc == 0 && i < n; i++) rc = tf_register(pool, names[i], fns[i]);
    if (rc) {
        fprintf(stderr, "%s: rank %d: pool setup: %s\n", ak_prog, ak_rank, tf_strerror(rc));
        tf_pool_destroy(&pool);
        return NULL;
    }
    return pool;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double ak_median(double *v, size_t n)
{
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}
