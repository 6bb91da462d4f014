/* test_trace.c - TF_TRACE (the timeline file) and TF_STATS (the summary).
 *
 * Only rank 0 sets the variables: the pool must adopt rank 0's choice on
 * every rank (a launcher may forward the environment to some ranks only).
 * Every task function records the ids it ran; the trace must hold each of
 * them exactly once, on the rank that ran it. Rank 0's stderr is captured
 * into a file for the checks of the printed lines. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "harness.h"

/* ---- tasks that remember what they ran (main thread only) ---------------- */

static uint64_t *ran;
static size_t nran, capran;

static void note(tf_task *t)
{
    if (nran == capran) {
        capran = capran ? 2 * capran : 1024;
        ran = realloc(ran, capran * sizeof *ran);
    }
    ran[nran++] = tf_task_id(t);
}

static int fn_sq(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    note(t);
    uint64_t x = len == 8 ? th_get_u64(in) : 0, r = x * x;
    if (x % 7 == 0) th_spin_us(20);
    return tf_buf_append(out, &r, sizeof r);
}

/* A node of a binary tree of depth in[0] spawned below it. */
static int fn_tree(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)out;
    note(t);
    unsigned char d = len ? *(const unsigned char *)in : 0;
    if (d == 0) return 0;
    d--;
    for (int k = 0; k < 2; k++) {
        int rc = tf_spawn(t, "tree \"quoted\"", &d, 1);
        if (rc) return rc;
    }
    return 0;
}

static int fn_fail(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)in, (void)len, (void)out;
    note(t);
    return tf_task_fail(t, "on purpose");
}

#define MAP_N 700
#define SUBMIT_N 40
#define TREE_DEPTH 5 /* 63 nodes */
#define FAIL_N 3

static int drv_all(tf_pool *pool, void *arg)
{
    (void)arg;
    uint64_t in[MAP_N];
    for (size_t i = 0; i < MAP_N; i++) in[i] = i;
    tf_results *res = NULL;
    TH_EQ(tf_map(pool, "sq", in, 8, MAP_N, &res), 0);
    tf_results_free(&res);
    TH_EQ(tf_map(pool, "fail", in, 8, FAIL_N, &res), TF_ETASK);
    tf_results_free(&res);
    tf_future *fs[SUBMIT_N];
    for (size_t i = 0; i < SUBMIT_N; i++) TH_EQ(tf_submit(pool, "sq", &in[i], 8, &fs[i]), 0);
    unsigned char d = TREE_DEPTH;
    tf_future *root = NULL;
    TH_EQ(tf_submit(pool, "tree \"quoted\"", &d, 1, &root), 0);
    TH_EQ(tf_wait_all(pool), 0);
    for (size_t i = 0; i < SUBMIT_N; i++) tf_future_release(&fs[i]);
    tf_future_release(&root);
    return 0;
}

static const size_t TASKS_PER_RUN = MAP_N + FAIL_N + SUBMIT_N + (2u << TREE_DEPTH) - 1;

/* ---- helpers --------------------------------------------------------------- */

/* Rank 0's name for a scratch file (the others get ""). */
static void scratch(char *buf, size_t n, const char *what)
{
    const char *dir = getenv("TF_BINARY_DIR");
    snprintf(buf, n, "%s/tf-test-%s-%ld", dir && *dir ? dir : "/tmp", what, (long)getpid());
}

/* Only rank 0 sets name=value; every other rank unsets it. */
static void env_rank0(const char *name, const char *value)
{
    if (th_rank() == 0 && value)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static int saved_fd = -1;
static void capture_stderr(const char *path)
{
    if (th_rank() != 0) return;
    fflush(stderr);
    saved_fd = dup(2);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd >= 0) {
        dup2(fd, 2);
        close(fd);
    }
}
static void restore_stderr(void)
{
    if (th_rank() != 0 || saved_fd < 0) return;
    fflush(stderr);
    dup2(saved_fd, 2);
    close(saved_fd);
    saved_fd = -1;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (b && fread(b, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (b) b[n] = 0;
    fclose(f);
    if (len) *len = (size_t)n;
    return b;
}

/* Every rank's task ids, with the rank that ran each, on rank 0. */
static size_t gather_ran(uint64_t **ids, int **who)
{
    int n = (int)nran, size = th_size();
    int *counts = calloc((size_t)size, sizeof *counts), *displs = calloc((size_t)size, sizeof(int));
    MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD);
    size_t total = 0;
    for (int r = 0; r < size; r++) displs[r] = (int)total, total += (size_t)counts[r];
    *ids = malloc((total + 1) * sizeof **ids);
    *who = malloc((total + 1) * sizeof **who);
    MPI_Gatherv(ran, n, MPI_UINT64_T, *ids, counts, displs, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    if (th_rank() == 0)
        for (int r = 0; r < size; r++)
            for (int k = 0; k < counts[r]; k++) (*who)[displs[r] + k] = r;
    free(counts);
    free(displs);
    return th_rank() == 0 ? total : 0;
}

typedef struct span {
    uint64_t id;
    int pid;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static double num_after(const char *line, const char *key)
{
    const char *q = strstr(line, key);
    return q ? strtod(q + strlen(key), NULL) : -1e300;
}

/* Rank 0: the trace holds each of ids[] once, on rank who[], and the
 * frame of the format. The writer puts one record on a line. */
static void check_trace(const char *path, uint64_t *ids, int *who, size_t n, int runs)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    if (!TH_CHECK(text != NULL, "no trace file '%s'", path)) return;
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    TH_CHECK(access(tmp, F_OK) != 0, "'%s' left behind", tmp);
    TH_CHECK(strncmp(text, "{\"traceEvents\":[\n", 17) == 0, "head: %.40s", text);
    TH_CHECK(len > 3 && strcmp(text + len - 3, "}}\n") == 0, "tail: %s",
             len > 40 ? text + len - 40 : text);
    TH_CHECK(strstr(text, "\"displayTimeUnit\":\"ms\"") != NULL, "no displayTimeUnit");
    char want[64];
    snprintf(want, sizeof want, "\"runs\":%d,", runs);
    TH_CHECK(strstr(text, want) != NULL, "no %s in otherData", want);

    span *sp = malloc((n + 64) * sizeof *sp);
    size_t ns = 0, cap = n + 64;
    int *names = calloc((size_t)th_size(), sizeof *names);
    int *threads = calloc((size_t)th_size(), sizeof *threads);
    size_t waits = 0, msgs = 0, bad_dur = 0, bad_name = 0;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        int pid = (int)num_after(line, "\"pid\":");
        bool in_range = pid >= 0 && pid < th_size();
        if (strstr(line, "\"name\":\"process_name\"") && in_range) names[pid]++;
        if (strstr(line, "\"name\":\"thread_name\"") && in_range) threads[pid]++;
        if (strstr(line, "\"cat\":\"wait\"")) waits++;
        if (strstr(line, "\"cat\":\"msg\"")) msgs++;
        if (!strstr(line, "\"cat\":\"task\"")) continue;
        if (!(num_after(line, "\"dur\":") >= 0) || !(num_after(line, "\"ts\":") >= 0)) bad_dur++;
        if (!strstr(line, "\"name\":\"sq\"") && !strstr(line, "\"name\":\"fail\"") &&
            !strstr(line, "\"name\":\"tree \\\"quoted\\\"\""))
            bad_name++;
        const char *q = strstr(line, "\"id\":");
        if (ns == cap) sp = realloc(sp, (cap *= 2) * sizeof *sp);
        sp[ns].id = q ? strtoull(q + 5, NULL, 10) : UINT64_MAX;
        sp[ns++].pid = pid;
    }
    TH_EQ(bad_dur, 0);
    TH_EQ(bad_name, 0);
    for (int r = 0; r < th_size(); r++) {
        TH_CHECK(names[r] == 1, "rank %d: %d process_name records", r, names[r]);
        TH_CHECK(threads[r] == 2, "rank %d: %d thread_name records", r, threads[r]);
    }
    if (th_size() > 1 && runs > 0) TH_CHECK(msgs > 0, "no message events");
    (void)waits;

    /* spans and the ids the functions saw: the same multiset, same ranks */
    TH_EQ(ns, n);
    qsort(sp, ns, sizeof *sp, cmp_span);
    span *want_sp = malloc((n + 1) * sizeof *want_sp);
    for (size_t i = 0; i < n; i++) want_sp[i] = (span){ids[i], who[i]};
    qsort(want_sp, n, sizeof *want_sp, cmp_span);
    size_t mismatch = 0, dup = 0;
    for (size_t i = 0; i < n && i < ns; i++) {
        if (sp[i].id != want_sp[i].id || sp[i].pid != want_sp[i].pid) mismatch++;
        if (i && sp[i].id == sp[i - 1].id) dup++;
    }
    TH_EQ(mismatch, 0);
    TH_EQ(dup, 0);
    free(want_sp);
    free(sp);
    free(names);
    free(threads);
    free(text);
}

/* ---- tests ------------------------------------------------------------------ */

static void test_trace_file(void)
{
    char path[512];
    scratch(path, sizeof path, "trace.json");
    env_rank0("TF_TRACE", path);
    env_rank0("TF_STATS", NULL);
    nran = 0;
    tf_pool *pool = th_pool(NULL);
    unsetenv("TF_TRACE");
    if (!pool) return;
    TH_EQ(th_run(pool, drv_all, NULL), 0);
    TH_EQ(th_run(pool, drv_all, NULL), 0);
    tf_stats st;
    TH_EQ(tf_pool_stats(pool, &st), 0);
    TH_CHECK(st.run_s > 0 && st.service_cpu_s >= 0 && st.service_cpu_s <= st.run_s + 0.5,
             "run_s %.6f service_cpu_s %.6f", st.run_s, st.service_cpu_s);
    TH_EQ(th_sum_u64(st.tasks), 2 * TASKS_PER_RUN);
    TH_EQ(tf_pool_destroy(&pool), 0);

    uint64_t *ids;
    int *who;
    size_t n = gather_ran(&ids, &who);
    if (th_rank() == 0) {
        TH_EQ(n, 2 * TASKS_PER_RUN);
        check_trace(path, ids, who, n, 2);
        remove(path);
    }
    free(ids);
    free(who);
}

/* A pool that never runs still writes a (task-less) trace. */
static void test_trace_no_run(void)
{
    char path[512];
    scratch(path, sizeof path, "empty.json");
    env_rank0("TF_TRACE", path);
    tf_pool *pool = th_pool(NULL);
    unsetenv("TF_TRACE");
    if (!pool) return;
    TH_EQ(tf_pool_destroy(&pool), 0);
    if (th_rank() == 0) {
        check_trace(path, NULL, NULL, 0, 0);
        remove(path);
    }
}

/* A file that cannot be written: one line naming it, nothing else fails. */
static void test_trace_unwritable(void)
{
    char err[512];
    scratch(err, sizeof err, "stderr1");
    env_rank0("TF_TRACE", "/nonexistent-dir/trace.json");
    tf_pool *pool = th_pool(NULL);
    unsetenv("TF_TRACE");
    if (!pool) return;
    TH_EQ(th_run(pool, drv_all, NULL), 0);
    capture_stderr(err);
    TH_EQ(tf_pool_destroy(&pool), 0);
    restore_stderr();
    if (th_rank() == 0) {
        char *text = slurp(err, NULL);
        TH_CHECK(text && strstr(text, "taskfarm: TF_TRACE: cannot write "
                                      "'/nonexistent-dir/trace.json': "),
                 "stderr: %s", text ? text : "(none)");
        free(text);
        remove(err);
    }
}

/* TF_STATS=1 on rank 0 only: a table after each run, one row per rank, and
 * a total that matches the tasks run. */
static void test_stats_table(void)
{
    char err[512];
    scratch(err, sizeof err, "stderr2");
    env_rank0("TF_STATS", "1");
    tf_pool *pool = th_pool(NULL);
    unsetenv("TF_STATS");
    if (!pool) return;
    capture_stderr(err);
    int rc = th_run(pool, drv_all, NULL);
    restore_stderr();
    TH_EQ(rc, 0);
    TH_EQ(tf_pool_destroy(&pool), 0);
    if (th_rank() != 0) return;
    char *text = slurp(err, NULL);
    remove(err);
    if (!TH_CHECK(text != NULL, "no stderr captured")) return;
    int rows = 0, totals = 0, imbalance = 0;
    double total = -1;
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        TH_CHECK(strncmp(line, "taskfarm: stats: ", 17) == 0, "stray line: %s", line);
        const char *q = line + 17;
        if (strstr(q, "load imbalance")) imbalance++;
        int r;
        double tasks;
        char label[16];
        if (sscanf(q, " %15s %lf", label, &tasks) != 2) continue;
        if (strcmp(label, "total") == 0) {
            totals++;
            total = tasks;
        } else if (sscanf(label, "%d", &r) == 1 && r == rows) {
            rows++;
        }
    }
    TH_EQ(rows, th_size());
    TH_EQ(totals, 1);
    TH_CHECK(total == (double)TASKS_PER_RUN, "total tasks %.0f, want %zu", total, TASKS_PER_RUN);
    TH_EQ(imbalance, 1);
    free(text);
}

/* A bad TF_STATS fails tf_pool_create everywhere with TF_EINVAL. */
static void test_stats_invalid(void)
{
    char err[512];
    scratch(err, sizeof err, "stderr3");
    env_rank0("TF_STATS", "yes");
    capture_stderr(err);
    tf_pool *pool = NULL;
    int rc = tf_pool_create(MPI_COMM_WORLD, NULL, &pool);
    restore_stderr();
    unsetenv("TF_STATS");
    TH_EQ(rc, TF_EINVAL);
    TH_CHECK(pool == NULL, "a pool despite the error");
    tf_pool_destroy(&pool);
    if (th_rank() == 0) {
        char *text = slurp(err, NULL);
        TH_CHECK(text && strcmp(text, "taskfarm: TF_STATS: invalid value 'yes'\n") == 0,
                 "stderr: %s", text ? text : "(none)");
        free(text);
        remove(err);
    }
}

/* ---- what TF_TRACE names: a symlink, a FIFO, a device ---------------------- */

/* Rank 0: a fresh directory for one test's files (the others get ""). */
static void scratch_dir(char *buf, size_t n)
{
    buf[0] = '\0';
    if (th_rank() != 0) return;
    scratch(buf, n, "tracedir");
    size_t l = strlen(buf);
    snprintf(buf + l, n - l, "-XXXXXX");
    if (!mkdtemp(buf)) {
        TH_CHECK(0, "mkdtemp %s: %s", buf, strerror(errno));
        buf[0] = '\0';
    }
}

/* Rank 0: the names in dir, but . and .., joined by spaces; its count. */
static int dir_list(const char *dir, char *names, size_t n)
{
    int k = 0;
    names[0] = '\0';
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        k++;
        size_t l = strlen(names);
        snprintf(names + l, n - l, "%s%s", l ? " " : "", e->d_name);
    }
    if (d) closedir(d);
    return k;
}

/* Rank 0: removes dir and what is in it (one level). */
static void dir_remove(const char *dir)
{
    DIR *d = opendir(dir);
    char p[1024];
    for (struct dirent *e; d && (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

/* Collective: a pool that never runs with TF_TRACE=path on rank 0,
 * destroyed with rank 0's stderr in err ("" if it printed nothing). */
static void trace_to(const char *path, char *err, size_t n)
{
    char errpath[512];
    scratch(errpath, sizeof errpath, "stderr-to");
    env_rank0("TF_TRACE", path);
    tf_pool *pool = th_pool(NULL);
    unsetenv("TF_TRACE");
    err[0] = '\0';
    if (!pool) return;
    capture_stderr(errpath);
    TH_EQ(tf_pool_destroy(&pool), 0);
    restore_stderr();
    if (th_rank() != 0) return;
    char *text = slurp(errpath, NULL);
    snprintf(err, n, "%s", text ? text : "");
    free(text);
    remove(errpath);
}

/* 1 on every rank if rank 0 says yes. */
static int rank0_says(int yes)
{
    MPI_Bcast(&yes, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return yes;
}

/* A symlink stays a link: the trace goes to the file it names, existing or
 * not, and nothing else is left in the directory. */
static void test_trace_symlink(void)
{
    char dir[512], link[600], target[600], names[1024], err[1024], want[64];
    scratch_dir(dir, sizeof dir);
    if (!rank0_says(dir[0] != '\0')) return;
    for (int dangling = 0; dangling < 2; dangling++) {
        const char *tname = dangling ? "new.json" : "real.json";
        snprintf(link, sizeof link, "%s/link.json", dir);
        snprintf(target, sizeof target, "%s/%s", dir, tname);
        if (th_rank() == 0) {
            unlink(link);
            unlink(target);
            if (!dangling) {
                FILE *f = fopen(target, "w");
                if (f) fputs("old contents\n", f), fclose(f);
            }
            TH_CHECK(symlink(tname, link) == 0, "symlink: %s", strerror(errno));
        }
        trace_to(link, err, sizeof err);
        if (th_rank() != 0) continue;
        TH_CHECK(err[0] == '\0', "stderr: %s", err);
        struct stat st;
        TH_CHECK(lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "%s is no longer a symlink", link);
        ssize_t l = readlink(link, want, sizeof want - 1);
        want[l > 0 ? l : 0] = '\0';
        TH_CHECK(strcmp(want, tname) == 0, "the link now names '%s'", want);
        check_trace(target, NULL, NULL, 0, 0);
        TH_CHECK(dir_list(dir, names, sizeof names) == 2 + dangling, "in the directory: %s", names);
    }
    if (th_rank() == 0) dir_remove(dir);
}

/* The reading end of a FIFO, in a thread of rank 0's test. */
typedef struct fifo_reader {
    int fd;
    char *buf;
    size_t len;
    atomic_bool stop; /* set when no writer will come */
} fifo_reader;

static void *fifo_read(void *arg)
{
    fifo_reader *r = arg;
    char b[65536];
    /* poll first: before a writer has opened the FIFO, read says EOF */
    for (struct pollfd pf = {r->fd, POLLIN, 0}; !atomic_load(&r->stop);) {
        int k = poll(&pf, 1, 100);
        if (k < 0 && errno != EINTR) break;
        if (k <= 0) continue;
        ssize_t n = read(r->fd, b, sizeof b);
        if (n == 0) break; /* the writer closed it */
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            break;
        }
        char *q = realloc(r->buf, r->len + (size_t)n + 1);
        if (!q) break;
        r->buf = q;
        memcpy(r->buf + r->len, b, (size_t)n);
        r->len += (size_t)n;
        r->buf[r->len] = '\0';
    }
    return NULL;
}

/* A FIFO is written in place while someone reads it, and stays a FIFO;
 * without a reader the trace is refused with one line, at once. */
static void test_trace_fifo(void)
{
    char dir[512], fifo[600], got[600], names[1024], err[1024];
    scratch_dir(dir, sizeof dir);
    if (!rank0_says(dir[0] != '\0')) return;
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    snprintf(got, sizeof got, "%s/got.json", dir);
    fifo_reader r = {.fd = -1};
    pthread_t th;
    bool started = false;
    if (th_rank() == 0) {
        TH_CHECK(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
        r.fd = open(fifo, O_RDONLY | O_NONBLOCK);
        TH_CHECK(r.fd >= 0, "open %s: %s", fifo, strerror(errno));
        started = r.fd >= 0 && pthread_create(&th, NULL, fifo_read, &r) == 0;
    }
    trace_to(fifo, err, sizeof err);
    if (th_rank() == 0) {
        struct stat st;
        bool still = stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode);
        TH_CHECK(still, "%s is no longer a FIFO", fifo);
        if (!still) atomic_store(&r.stop, true); /* the writer wrote elsewhere */
        if (started) pthread_join(th, NULL);
        if (r.fd >= 0) close(r.fd);
        TH_CHECK(err[0] == '\0', "stderr: %s", err);
        FILE *f = fopen(got, "w");
        if (f && r.buf) fwrite(r.buf, 1, r.len, f);
        if (f) fclose(f);
        check_trace(got, NULL, NULL, 0, 0);
        free(r.buf);
        unlink(got);
    }

    /* nobody reads: refused, and the FIFO is left as it was */
    trace_to(fifo, err, sizeof err);
    if (th_rank() == 0) {
        char want[700];
        snprintf(want, sizeof want, "taskfarm: TF_TRACE: cannot write '%s': ", fifo);
        TH_CHECK(strncmp(err, want, strlen(want)) == 0 &&
                     strchr(err, '\n') == err + strlen(err) - 1,
                 "stderr: %s", err);
        struct stat st;
        TH_CHECK(stat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "%s is no longer a FIFO", fifo);
        TH_CHECK(dir_list(dir, names, sizeof names) == 1, "in the directory: %s", names);
        dir_remove(dir);
    }
}

/* A character device (copies of /dev/null and /dev/full, made here) is
 * written in place and stays a device; the full one's error is one line.
 * Skipped where this process may not make device nodes or open them. */
static void test_trace_char_device(void)
{
    char dir[512], dev[600], names[1024], err[1024];
    scratch_dir(dir, sizeof dir);
    if (!rank0_says(dir[0] != '\0')) return;
    static const struct {
        const char *name;
        unsigned minor;
        const char *err; /* NULL: none */
    } devs[] = {{"null", 3, NULL}, {"full", 7, "No space left on device"}};
    for (size_t k = 0; k < 2; k++) {
        snprintf(dev, sizeof dev, "%s/%s", dir, devs[k].name);
        int ok = 0, why = 0;
        if (th_rank() == 0 && mknod(dev, S_IFCHR | 0600, makedev(1, devs[k].minor)) == 0) {
            int fd = open(dev, O_WRONLY);
            ok = fd >= 0;
            if (fd >= 0) close(fd);
        }
        if (!ok) why = errno;
        if (!rank0_says(ok)) {
            if (th_rank() == 0)
                printf("  (char device: cannot make and open one here: %s; not tried)\n",
                       strerror(why));
            break;
        }
        trace_to(dev, err, sizeof err);
        if (th_rank() != 0) continue;
        struct stat st;
        TH_CHECK(stat(dev, &st) == 0 && S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 &&
                     minor(st.st_rdev) == devs[k].minor,
                 "%s is no longer the device", dev);
        if (devs[k].err) {
            char want[700];
            snprintf(want, sizeof want, "taskfarm: TF_TRACE: cannot write '%s': %s\n", dev,
                     devs[k].err);
            TH_CHECK(strcmp(err, want) == 0, "stderr: %s", err);
        } else {
            TH_CHECK(err[0] == '\0', "stderr: %s", err);
        }
        TH_CHECK(dir_list(dir, names, sizeof names) == (int)k + 1, "in the directory: %s", names);
    }
    if (th_rank() == 0) dir_remove(dir);
}

TH_FUNCS(TH_FUNC("sq", fn_sq), TH_FUNC("tree \"quoted\"", fn_tree), TH_FUNC("fail", fn_fail));
TH_TESTS(TH_TEST(test_trace_file), TH_TEST(test_trace_no_run), TH_TEST(test_trace_unwritable),
         TH_TEST(test_trace_symlink), TH_TEST(test_trace_fifo), TH_TEST(test_trace_char_device),
         TH_TEST(test_stats_table), TH_TEST(test_stats_invalid));
