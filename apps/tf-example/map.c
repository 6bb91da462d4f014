/* tf-example-map - the smallest useful taskfarm program: an ordered map.
 *
 *   mpirun -np 4 tf-example-map [--n N]
 *
 * For every n in 1..N it counts the steps of the Collatz sequence
 * (n -> n/2 if n is even, 3n+1 if odd) until it reaches 1, then prints the n
 * with the longest chain and the sum of all the steps. The answer does not
 * depend on the number of ranks: for N = 1000000 it is 837799, 524 steps.
 *
 * Copy this file to start your own program: register task functions on every
 * rank, call tf_run, and do the work in the driver with tf_map.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "taskfarm.h"

/* A task function: runs on whichever rank gets the task. The input is the
 * bytes the driver handed over for this element (here one uint64_t n); the
 * output is appended to `out` and arrives at the driver in input order.
 * Inputs may not be aligned, so copy them out with memcpy. */
static int collatz(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint64_t n;
    if (len != sizeof n) return tf_task_fail(t, "expected %zu bytes, got %zu", sizeof n, len);
    memcpy(&n, in, sizeof n);
    if (n == 0) return tf_task_fail(t, "the Collatz sequence starts at 1, not 0");

    uint32_t steps = 0;
    while (n != 1) {
        n = n % 2 ? 3 * n + 1 : n / 2;
        steps++;
    }
    return tf_buf_append(out, &steps, sizeof steps);
}

struct job {
    uint64_t n;          /* inputs 1..n */
    uint64_t best_n;     /* the input with the longest chain (the smallest on ties) */
    uint32_t best_steps; /* its chain */
    uint64_t total;      /* steps summed over all inputs */
    double seconds;      /* the tf_map call alone */
};

/* The driver: runs on rank 0 only, while every rank (rank 0 too) runs tasks.
 * Its return value becomes tf_run's return value on every rank. */
static int driver(tf_pool *pool, void *arg)
{
    struct job *job = arg;
    uint64_t *in = malloc(job->n * sizeof *in);
    if (!in) return TF_ENOMEM;
    for (uint64_t i = 0; i < job->n; i++) in[i] = i + 1;

    tf_results *res = NULL;
    double t0 = MPI_Wtime();
    int rc = tf_map(pool, "collatz", in, sizeof *in, job->n, &res);
    job->seconds = MPI_Wtime() - t0;
    free(in);                   /* tf_map only borrows the inputs until it returns */
    if (rc && rc != TF_ETASK) { /* TF_ETASK: the loop below reports each failure */
        fprintf(stderr, "tf_map: %s: %s\n", tf_strerror(rc), tf_pool_errmsg(pool));
        return rc;
    }

    /* Results come back in input order; a failed task has a non-zero status
     * and a message saying which rank and task failed and why. */
    for (uint64_t i = 0; i < job->n; i++) {
        const void *out;
        size_t len;
        uint32_t steps;
        if (tf_results_get(res, i, &out, &len) != 0 || len != sizeof steps) {
            const char *err = tf_results_error(res, i);
            fprintf(stderr, "n=%" PRIu64 ": %s\n", i + 1, err ? err : "wrong output size");
            tf_results_free(&res);
            return TF_ETASK;
        }
        memcpy(&steps, out, sizeof steps);
        job->total += steps;
        if (steps > job->best_steps) {
            job->best_steps = steps;
            job->best_n = i + 1;
        }
    }
    tf_results_free(&res);
    return 0;
}

int main(int argc, char **argv)
{
    /* The library runs a service thread next to ours: ask MPI for threads. */
    int provided, rank, size;
    if (argc > 1 && strcmp(argv[1], "--version") == 0) {
        printf("tf-example-map (taskfarm) %s\n", tf_version());
        return 0;
    }
    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    struct job job = {.n = 1000000};
    for (int i = 1; i < argc; i++) {
        char *end = NULL;
        if (strcmp(argv[i], "--n") == 0 && i + 1 < argc) {
            errno = 0;
            job.n = strtoull(argv[++i], &end, 10);
            if (errno || *end || end == argv[i] || argv[i][0] == '-' || job.n == 0) {
                if (rank == 0)
                    fprintf(stderr,
                            "tf-example-map: --n: want a positive whole number, got "
                            "'%s'\n",
                            argv[i]);
                MPI_Finalize();
                return 2;
            }
        } else {
            if (rank == 0)
                fprintf(stderr, "tf-example-map: unknown option '%s' (usage: [--n N])\n", argv[i]);
            MPI_Finalize();
            return 2;
        }
    }

    /* Every rank makes the pool and registers the same functions. */
    tf_pool *pool = NULL;
    int rc = tf_pool_create(MPI_COMM_WORLD, NULL, &pool);
    if (rc == 0) rc = tf_register(pool, "collatz", collatz);
    if (rc == 0) rc = tf_run(pool, driver, &job);
    if (rc && rank == 0) fprintf(stderr, "tf-example-map: %s\n", tf_strerror(rc));

    /* Only rank 0 ran the driver, so only rank 0 has the answer. */
    if (rc == 0 && rank == 0) {
        printf("longest Collatz chain for n <= %" PRIu64 ": n = %" PRIu64 ", %" PRIu32
               " steps; %" PRIu64 " steps in all\n",
               job.n, job.best_n, job.best_steps, job.total);
        fprintf(stderr, "tf-example-map: %" PRIu64 " tasks on %d ranks in %.3f s\n", job.n, size,
                job.seconds);
        printf("{\"bench\":\"example-map\",\"tasks\":%" PRIu64 ",\"ranks\":%d,"
               "\"chunk\":\"auto\",\"work_us\":0,\"payload\":0,\"seconds\":%.9f,"
               "\"tasks_per_s\":%.3f,\"per_task_us\":%.6f,\"max_n\":%" PRIu64
               ",\"max_steps\":%" PRIu32 ",\"total_steps\":%" PRIu64 "}\n",
               job.n, size, job.seconds, job.seconds > 0 ? (double)job.n / job.seconds : 0.0,
               job.seconds * 1e6 / (double)job.n, job.best_n, job.best_steps, job.total);
    }

    tf_pool_destroy(&pool);
    MPI_Finalize();
    return rc ? 1 : 0;
}
