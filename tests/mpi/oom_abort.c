/* oom_abort.c - out of memory where the policy (core/error.h) is to abort:
 * the nth allocation of the run (the service thread's, the handover of
 * results) or of an output block. One rank; the ctest expects the one line
 * "taskfarm: fatal: rank 0: out of memory ..." and the abort's status.
 *
 *   oom_abort run N    a map of 64 tasks, the run's Nth allocation fails
 *   oom_abort run 0    the same, counting: prints the run's allocations
 *   oom_abort block    tf_output_write's block allocation fails */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/alloc.h"
#include "taskfarm.h"

/* no output: the task itself allocates nothing */
static int fn_nop(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t, (void)in, (void)len, (void)out;
    return 0;
}

static int drv_map(tf_pool *p, void *arg)
{
    (void)arg;
    char in[64] = {0};
    tf_results *res = NULL;
    int rc = tf_map(p, "nop", in, 1, 64, &res);
    tf_results_free(&res);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) return 2;
    int level;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &level);
    tf_pool *p = NULL;
    if (tf_pool_create(MPI_COMM_WORLD, NULL, &p) || tf_register(p, "nop", fn_nop)) return 1;
    int rc = 0;
    if (!strcmp(argv[1], "run") && argc == 3) {
        unsigned long n = strtoul(argv[2], NULL, 10);
        tf__alloc_fail_nth(TF__ALLOC_RUN, n);
        rc = tf_run(p, drv_map, NULL);
        unsigned long count = tf__alloc_count();
        tf__alloc_off();
        printf("oom_abort: the run made %lu allocations\n", count);
    } else if (!strcmp(argv[1], "block")) {
        char path[64];
        snprintf(path, sizeof path, "oom-abort-%d.txt", (int)getpid());
        tf_output *o = NULL;
        rc = tf_output_open(p, path, TF_OUTPUT_UNORDERED, NULL, &o);
        unlink(path);
        tf__alloc_fail_nth(TF__ALLOC_CALLER, 1);
        if (!rc) rc = tf_output_write(o, 0, "rec\n", 4);
        tf__alloc_off();
        if (o) tf_output_close(&o);
    } else {
        return 2;
    }
    printf("oom_abort: returned %d\n", rc);
    tf_pool_destroy(&p);
    MPI_Finalize();
    return 0;
}
