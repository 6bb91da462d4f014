/* map_resume.c - a map into a file that a rerun completes (tf_map_to_resume),
 * driven by map-resume-test.sh, which kills it, reruns it and checks the
 * file. Not a harness test: its point is a process that is killed.
 *
 *   map_resume FILE MODE N [--fn NAME] [--slow-us U] [--fail-at P] [--block B]
 *
 * MODE: start, resume or resume-or-start. Task i's record is "rec i " and
 * i % 13 'x's, a newline; --fn cube registers another name for the same;
 * each task sleeps U microseconds; the task at position P fails; B: the
 * output's block size (small blocks are written, synced and indexed often).
 * Rank 0 prints one line:
 *   map_resume: rc TF_X done_before K failed_before F ran R failed G tasks T
 * where T is the tasks every rank executed (tf_pool_stats, summed), and on
 * an error the library's message on stderr. Exit status 0 for rc 0, 1 for
 * TF_ETASK, 3 for any other error. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "taskfarm.h"

static unsigned long slow_us;
static long fail_at = -1;

static int fn_rec(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint64_t i;
    (void)len;
    memcpy(&i, in, sizeof i);
    if (slow_us) {
        struct timespec ts = {0, (long)slow_us * 1000};
        nanosleep(&ts, NULL);
    }
    if ((long)i == fail_at) return tf_task_fail(t, "position %llu fails", (unsigned long long)i);
    char r[64];
    int n = snprintf(r, sizeof r, "rec %llu %.*s\n", (unsigned long long)i, (int)(i % 13),
                     "xxxxxxxxxxxxx");
    return tf_buf_append(out, r, (size_t)n);
}

typedef struct args {
    const char *file, *fn;
    tf_resume_mode mode;
    size_t n, block;
    tf_resume_info info;
} args;

static int drive(tf_pool *pool, void *arg)
{
    args *a = arg;
    uint64_t *v = malloc((a->n ? a->n : 1) * sizeof *v);
    if (!v) return TF_ENOMEM;
    for (size_t i = 0; i < a->n; i++) v[i] = i;
    tf_output_opts o = {.block_size = a->block, .flush_s = 0.02};
    int rc = tf_map_to_resume(pool, a->fn, v, sizeof *v, a->n, a->file, &o, a->mode, &a->info);
    if (rc < 0) fprintf(stderr, "map_resume: %s\n", tf_pool_errmsg(pool));
    free(v);
    return rc;
}

int main(int argc, char **argv)
{
    int provided, me;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &me);
    if (argc < 4) {
        if (me == 0) fprintf(stderr, "usage: map_resume FILE MODE N [options]\n");
        MPI_Finalize();
        return 2;
    }
    args a = {.file = argv[1], .fn = "rec", .n = strtoul(argv[3], NULL, 10), .block = 256};
    a.mode = !strcmp(argv[2], "start")    ? TF_RESUME_START
             : !strcmp(argv[2], "resume") ? TF_RESUME
                                          : TF_RESUME_OR_START;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--fn")) a.fn = argv[i + 1];
        if (!strcmp(argv[i], "--slow-us")) slow_us = strtoul(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--fail-at")) fail_at = strtol(argv[i + 1], NULL, 10);
        if (!strcmp(argv[i], "--block")) a.block = strtoul(argv[i + 1], NULL, 10);
    }
    tf_pool *pool = NULL;
    int rc = tf_pool_create(MPI_COMM_WORLD, NULL, &pool);
    if (!rc) rc = tf_register(pool, "rec", fn_rec);
    if (!rc) rc = tf_register(pool, "cube", fn_rec);
    if (!rc) rc = tf_run(pool, drive, &a);
    tf_stats st = {0};
    if (pool) tf_pool_stats(pool, &st);
    unsigned long long mine = st.tasks, tasks = 0;
    MPI_Reduce(&mine, &tasks, 1, MPI_UNSIGNED_LONG_LONG, MPI_SUM, 0, MPI_COMM_WORLD);
    if (me == 0)
        printf("map_resume: rc %s done_before %llu failed_before %llu ran %llu failed %llu "
               "tasks %llu\n",
               tf_err_name(rc), (unsigned long long)a.info.done_before,
               (unsigned long long)a.info.failed_before, (unsigned long long)a.info.ran,
               (unsigned long long)a.info.failed, tasks);
    tf_pool_destroy(&pool);
    MPI_Finalize();
    return rc == 0 ? 0 : rc == TF_ETASK ? 1 : 3;
}
