/* consumer.c - squares a few ints with tf_map, built against an installed
 * taskfarm (tests/install/check.sh). Exits 0 on every rank if every result
 * came back right and in order, and, with an argument N, the world has N
 * ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <taskfarm.h>

enum { N = 100 };

static int square(tf_task *t, const void *in, size_t in_len, tf_buf *out)
{
    int x;

    if (in_len != sizeof x)
        return tf_task_fail(t, "expected %zu input bytes, got %zu", sizeof x, in_len);
    memcpy(&x, in, sizeof x);
    x *= x;
    return tf_buf_append(out, &x, sizeof x);
}

static int driver(tf_pool *pool, void *arg)
{
    int in[N];
    tf_results *res = NULL;
    int bad = 0;

    for (int i = 0; i < N; i++) in[i] = i - N / 2;
    int rc = tf_map(pool, "square", in, sizeof in[0], N, &res);
    if (rc != 0) {
        fprintf(stderr, "consumer: tf_map: %s: %s\n", tf_err_name(rc), tf_pool_errmsg(pool));
        return rc;
    }
    if (tf_results_count(res) != N || tf_results_failed(res) != 0) {
        fprintf(stderr, "consumer: %zu results, %zu failed\n", tf_results_count(res),
                tf_results_failed(res));
        bad = 1;
    }
    for (size_t i = 0; i < N && !bad; i++) {
        const void *out;
        size_t len;
        int y;
        int st = tf_results_get(res, i, &out, &len);
        if (st != 0 || len != sizeof y) {
            fprintf(stderr, "consumer: result %zu: status %d, %zu bytes: %s\n", i, st, len,
                    tf_results_error(res, i) ? tf_results_error(res, i) : "");
            bad = 1;
            break;
        }
        memcpy(&y, out, sizeof y);
        if (y != in[i] * in[i]) {
            fprintf(stderr, "consumer: result %zu is %d, not %d\n", i, y, in[i] * in[i]);
            bad = 1;
        }
    }
    tf_results_free(&res);
    return bad;
}

int main(int argc, char **argv)
{
    int provided, rank, size;
    tf_pool *pool = NULL;

    MPI_Init_thread(&argc, &argv, MPI_THREAD_MULTIPLE, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* check.sh passes the rank count it asked for: the launcher of another
     * MPI would start singletons, each content on its own. */
    if (argc > 1 && atoi(argv[1]) != size) {
        fprintf(stderr, "consumer: %d ranks in MPI_COMM_WORLD, want %s\n", size, argv[1]);
        MPI_Finalize();
        return 1;
    }

    int rc = tf_pool_create(MPI_COMM_WORLD, NULL, &pool);
    if (rc != 0) {
        fprintf(stderr, "consumer: rank %d: tf_pool_create: %s\n", rank, tf_strerror(rc));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    rc = tf_register(pool, "square", square);
    if (rc == 0) rc = tf_run(pool, driver, NULL);
    if (rc < 0)
        fprintf(stderr, "consumer: rank %d: %s (%s)\n", rank, tf_err_name(rc),
                tf_pool_errmsg(pool));
    else if (rc > 0 && rank == 0)
        fprintf(stderr, "consumer: wrong results\n");
    tf_pool_destroy(&pool);
    if (rc == 0 && rank == 0)
        printf("consumer: %d squares right on %d ranks (taskfarm %d.%d.%d)\n", N, size,
               TF_VERSION_MAJOR, TF_VERSION_MINOR, TF_VERSION_PATCH);
    MPI_Finalize();
    return rc == 0 ? 0 : 1;
}
