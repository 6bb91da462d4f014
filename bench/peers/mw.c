/* mw.c - the task farm a user writes by hand with MPI: rank 0 is a master
 * that computes nothing, ranks 1..W are workers. Each task is one message
 * out (its index) and one back (index, result); the master keeps up to
 * PREFETCH tasks in flight at each worker, so with PREFETCH 1 every task
 * costs a full round trip and with 16 the round trips overlap.
 *
 *   mpirun -np 1+W mw N [PREFETCH]
 *
 * The task is empty: task(i) = i + 1, checked by the master. The time runs
 * from a barrier after start-up to the moment the master holds all N
 * results (MPI start-up and shutdown excluded). Prints one CSV line:
 *   c-mw-prefetchP,empty,N,W,seconds,tasks_per_second */
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { TAG_WORK = 1, TAG_DONE = 2, TAG_RESULT = 3 };

static void worker(void)
{
    for (;;) {
        int64_t i;
        MPI_Status st;
        MPI_Recv(&i, 1, MPI_INT64_T, 0, MPI_ANY_TAG, MPI_COMM_WORLD, &st);
        if (st.MPI_TAG == TAG_DONE) return;
        int64_t r[2] = {i, i + 1};
        MPI_Send(r, 2, MPI_INT64_T, 0, TAG_RESULT, MPI_COMM_WORLD);
    }
}

/* Returns the number of wrong results. */
static long master(int64_t n, int prefetch, int workers)
{
    int64_t *res = calloc((size_t)n, sizeof *res);
    if (!res) MPI_Abort(MPI_COMM_WORLD, 2);
    int64_t next = 0, got = 0;
    /* fill every worker's window, then hand one more task for each result */
    for (int k = 0; k < prefetch; k++)
        for (int w = 1; w <= workers && next < n; w++, next++)
            MPI_Send(&next, 1, MPI_INT64_T, w, TAG_WORK, MPI_COMM_WORLD);
    while (got < n) {
        int64_t r[2];
        MPI_Status st;
        MPI_Recv(r, 2, MPI_INT64_T, MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &st);
        res[r[0]] = r[1];
        got++;
        if (next < n) {
            MPI_Send(&next, 1, MPI_INT64_T, st.MPI_SOURCE, TAG_WORK, MPI_COMM_WORLD);
            next++;
        }
    }
    long wrong = 0;
    for (int64_t i = 0; i < n; i++) wrong += res[i] != i + 1;
    free(res);
    return wrong;
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    int64_t n = argc > 1 ? atoll(argv[1]) : 0;
    int prefetch = argc > 2 ? atoi(argv[2]) : 1;
    if (size < 2 || n < 1 || prefetch < 1) {
        if (rank == 0) fprintf(stderr, "usage: mpirun -np 1+W mw N [PREFETCH]\n");
        MPI_Finalize();
        return 2;
    }
    MPI_Barrier(MPI_COMM_WORLD);
    int rc = 0;
    if (rank == 0) {
        double t0 = MPI_Wtime();
        long wrong = master(n, prefetch, size - 1);
        double t = MPI_Wtime() - t0;
        int64_t stop = 0;
        for (int w = 1; w < size; w++) MPI_Send(&stop, 1, MPI_INT64_T, w, TAG_DONE, MPI_COMM_WORLD);
        if (wrong) {
            fprintf(stderr, "mw: %ld wrong results\n", wrong);
            rc = 1;
        } else {
            printf("c-mw-prefetch%d,empty,%lld,%d,%.6f,%.1f\n", prefetch, (long long)n, size - 1, t,
                   (double)n / t);
        }
    } else {
        worker();
    }
    MPI_Finalize();
    return rc;
}
