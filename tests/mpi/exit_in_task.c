/* exit_in_task.c - a task function that calls exit(0). The rank that runs
 * it must not end quietly: tests/mpi/CMakeLists.txt expects the library's
 * one line naming the rank, the task and its function, and the job's exit
 * status TF_EXIT_IN_TASK, under either MPI. Not a harness test: its point
 * is a process that does not come back. */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

#define NTASKS 16
#define QUITTER 5 /* the input whose task calls exit */

static int fn_quit(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint64_t i;
    (void)t, (void)len;
    memcpy(&i, in, sizeof i);
    if (i == QUITTER) exit(0);
    return tf_buf_append(out, &i, sizeof i);
}

static int drive(tf_pool *pool, void *arg)
{
    (void)arg;
    uint64_t v[NTASKS];
    for (size_t i = 0; i < NTASKS; i++) v[i] = i;
    tf_results *res = NULL;
    int rc = tf_map(pool, "quit", v, sizeof *v, NTASKS, &res);
    tf_results_free(&res);
    return rc;
}

int main(int argc, char **argv)
{
    int provided;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    tf_pool *pool = NULL;
    int rc = tf_pool_create(MPI_COMM_WORLD, NULL, &pool);
    if (!rc) rc = tf_register(pool, "quit", fn_quit);
    if (!rc) rc = tf_run(pool, drive, NULL);
    tf_pool_destroy(&pool);
    MPI_Finalize();
    /* not reached: the task's exit ends the job first */
    printf("exit_in_task: the run came back (%d)\n", rc);
    return 0;
}
