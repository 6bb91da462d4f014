/* doorbell.c - the node's shared service waiters (doorbell.h). Main thread,
 * collective, except tf__doorbell_ring (inline in the header). */
#include "system/doorbell.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "taskfarm.h"

/* Each waiter on its own cache lines: the owner's spinning on `flag` must
 * not share a line with its neighbours' wakes. */
#define SLOT (((sizeof(tf__waiter) + 63) / 64) * 64)

static int agree(MPI_Comm comm, int rc)
{
    int worst = rc;
    if (MPI_Allreduce(&rc, &worst, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) return TF_EMPI;
    return worst;
}

int tf__doorbells_init(tf__doorbells *d, MPI_Comm comm, tf__ctx *ctx)
{
    memset(d, 0, sizeof *d);
    d->win = MPI_WIN_NULL;
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    d->size = size;
    MPI_Comm node;
    if (MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node) != MPI_SUCCESS)
        return agree(comm, tf__fail(ctx, TF_EMPI, "doorbells: MPI_Comm_split_type failed"));
    MPI_Comm_set_errhandler(node, MPI_ERRORS_RETURN);
    int nsize;
    MPI_Comm_size(node, &nsize);
    MPI_Info info;
    MPI_Info_create(&info);
    MPI_Info_set(info, "alloc_shared_noncontig", "true");
    void *base = NULL;
    int have =
        MPI_Win_allocate_shared((MPI_Aint)SLOT, 1, info, node, &base, &d->win) == MPI_SUCCESS;
    MPI_Info_free(&info);
    /* no shared memory anywhere is no doorbells everywhere */
    int all = 0;
    if (MPI_Allreduce(&have, &all, 1, MPI_INT, MPI_MIN, comm) != MPI_SUCCESS) all = 0;
    int rc = 0;
    if (all) {
        d->mine = base;
        rc = tf__waiter_init_shared(d->mine);
    }
    rc = agree(comm, rc);
    if (!all || rc < 0) {
        if (have) MPI_Win_free(&d->win);
        d->win = MPI_WIN_NULL;
        d->mine = NULL;
        MPI_Comm_free(&node);
        return rc;
    }
    /* every waiter of the node is made before any rank looks at them */
    MPI_Barrier(node);
    d->near = tf__calloc((size_t)size, sizeof *d->near);
    int *lr = tf__malloc((size_t)nsize * sizeof *lr), *pr = tf__malloc((size_t)nsize * sizeof *pr);
    MPI_Group gn, gc;
    MPI_Comm_group(node, &gn);
    MPI_Comm_group(comm, &gc);
    if (d->near && lr && pr) {
        for (int l = 0; l < nsize; l++) lr[l] = l;
        MPI_Group_translate_ranks(gn, nsize, lr, gc, pr);
        for (int l = 0; l < nsize; l++) {
            MPI_Aint sz;
            int du;
            void *q = NULL;
            if (MPI_Win_shared_query(d->win, l, &sz, &du, &q) != MPI_SUCCESS) q = NULL;
            if (pr[l] != rank && pr[l] >= 0 && pr[l] < size) d->near[pr[l]] = q;
        }
    } else {
        rc = tf__fail(ctx, TF_ENOMEM, "doorbells: out of memory");
    }
    MPI_Group_free(&gn);
    MPI_Group_free(&gc);
    tf__free(lr);
    tf__free(pr);
    MPI_Comm_free(&node);
    rc = agree(comm, rc);
    if (rc < 0) tf__doorbells_free(d);
    return rc;
}

void tf__doorbells_forget(tf__doorbells *d)
{
    tf__free(d->near);
    d->near = NULL;
    d->mine = NULL;
    d->win = MPI_WIN_NULL;
}

void tf__doorbells_free(tf__doorbells *d)
{
    if (d->win == MPI_WIN_NULL) return;
    tf__free(d->near);
    d->near = NULL;
    if (d->mine) tf__waiter_destroy(d->mine);
    d->mine = NULL;
    MPI_Win_free(&d->win);
    d->win = MPI_WIN_NULL;
}
