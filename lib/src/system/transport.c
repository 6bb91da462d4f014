/* transport.c - every MPI call of a run (transport.h). Service thread. */
#include "system/transport.h"

#include <stdlib.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/timeline.h"

/* The request arrays' first size: a rank rarely has more sends in flight. */
#define REQ_CAP0 16
/* Sends looked at per MPI_Testsome: bounds one call's cost while a burst of
 * sends is in flight; the rest are looked at on the next turn. */
#define TEST_BATCH 64

static void check_mpi(tf__transport *t, int rc, const char *call)
{
    if (rc == MPI_SUCCESS) return;
    char s[MPI_MAX_ERROR_STRING];
    int n = 0;
    MPI_Error_string(rc, s, &n);
    tf__fatal(t->ctx, "%s failed: %s", call, s);
}

void tf__tp_init(tf__transport *t, MPI_Comm comm, tf__ctx *ctx, struct tf__trace *trace)
{
    t->comm = comm;
    MPI_Comm_rank(comm, &t->rank);
    MPI_Comm_size(comm, &t->size);
    t->ctx = ctx;
    t->trace = trace;
    atomic_init(&t->msgs_sent, 0);
    atomic_init(&t->msgs_recv, 0);
    atomic_init(&t->bytes_sent, 0);
    atomic_init(&t->bytes_recv, 0);
}

void tf__tp_free(tf__transport *t)
{
    tf__free(t->req);
    tf__free(t->pend);
    t->req = NULL;
    t->pend = NULL;
    t->nreq = t->capreq = 0;
}

static void count(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void tf__tp_send(tf__transport *t, int dest, int tag, const void *buf, size_t n, void *own,
                 tf__sent_fn cb, void *arg)
{
    if (t->nreq == t->capreq) {
        size_t cap = t->capreq ? t->capreq * 2 : REQ_CAP0;
        MPI_Request *r = tf__realloc(t->req, cap * sizeof *r);
        if (r) t->req = r;
        tf__pending *pd = tf__realloc(t->pend, cap * sizeof *pd);
        if (pd) t->pend = pd;
        if (!r || !pd) tf__fatal(t->ctx, "out of memory for requests");
        t->capreq = cap;
    }
    if (n > TF__MAX_MSG) tf__fatal(t->ctx, "message of %zu bytes is too large", n);
    check_mpi(t, MPI_Isend(buf, (int)n, MPI_BYTE, dest, tag, t->comm, &t->req[t->nreq]),
              "MPI_Isend");
    t->pend[t->nreq++] = (tf__pending){own, cb, arg};
    count(&t->msgs_sent, 1);
    if (tag == TF__TAG_MSG) t->run_sent++;
    if (tag != TF__TAG_BULK) tf__doorbell_ring(t->bells, dest);
    count(&t->bytes_sent, n);
    if (t->trace) tf__trace_msg(t->trace, TF__TR_SEND, dest, n);
}

static void complete(tf__pending *pd)
{
    tf__free(pd->own);
    if (pd->cb) pd->cb(pd->arg);
    *pd = (tf__pending){0};
}

/* MPICH defines MPI_STATUSES_IGNORE as (MPI_Status *)1 and declares the
 * status parameters as arrays, so GCC 11 and later warn that MPI_Testsome
 * and MPI_Waitall below write to a region of size 0 (pmodels/mpich#5687).
 * They write no status there; the warning is off for these two functions. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

int tf__tp_progress(tf__transport *t)
{
    if (t->nreq == 0) return 0;
    int outcount = 0;
    int idx[TEST_BATCH];
    int n = t->nreq < TEST_BATCH ? (int)t->nreq : TEST_BATCH;
    check_mpi(t, MPI_Testsome(n, t->req, &outcount, idx, MPI_STATUSES_IGNORE), "MPI_Testsome");
    if (outcount <= 0) return 0;
    for (int k = 0; k < outcount; k++) complete(&t->pend[idx[k]]);
    size_t kept = 0;
    for (size_t i = 0; i < t->nreq; i++) {
        if (t->req[i] == MPI_REQUEST_NULL) continue;
        t->req[kept] = t->req[i];
        t->pend[kept++] = t->pend[i];
    }
    t->nreq = kept;
    return 1;
}

void tf__tp_finish(tf__transport *t)
{
    if (t->nreq)
        check_mpi(t, MPI_Waitall((int)t->nreq, t->req, MPI_STATUSES_IGNORE), "MPI_Waitall");
    for (size_t i = 0; i < t->nreq; i++) complete(&t->pend[i]);
    t->nreq = 0;
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

tf__rbuf *tf__tp_recv(tf__transport *t, int src, int tag, int *from, int *tag_out)
{
    int flag = 0;
    MPI_Message m;
    MPI_Status st;
    check_mpi(t, MPI_Improbe(src, tag, t->comm, &flag, &m, &st), "MPI_Improbe");
    if (!flag) return NULL;
    tag = st.MPI_TAG;
    if (tag != TF__TAG_MSG && tag != TF__TAG_CTL)
        tf__fatal(t->ctx, "message of tag %d from rank %d", tag, st.MPI_SOURCE);
    *tag_out = tag;
    int n = 0;
    MPI_Get_count(&st, MPI_BYTE, &n);
    tf__rbuf *rb = tf__rbuf_new((size_t)n);
    if (!rb) tf__fatal(t->ctx, "out of memory for a %d-byte message", n);
    check_mpi(t, MPI_Mrecv(rb->data, n, MPI_BYTE, &m, MPI_STATUS_IGNORE), "MPI_Mrecv");
    count(&t->msgs_recv, 1);
    if (tag == TF__TAG_MSG) t->run_recv++;
    count(&t->bytes_recv, (uint64_t)n);
    if (t->trace) tf__trace_msg(t->trace, TF__TR_RECV, st.MPI_SOURCE, (uint64_t)n);
    if (n < 1) tf__fatal(t->ctx, "empty message from rank %d", st.MPI_SOURCE);
    *from = st.MPI_SOURCE;
    return rb;
}

tf__rbuf *tf__tp_recv_bulk(tf__transport *t, int src, size_t n)
{
    tf__rbuf *b = tf__rbuf_new(n);
    if (!b) tf__fatal(t->ctx, "out of memory for a %zu-byte input", n);
    check_mpi(t, MPI_Recv(b->data, (int)n, MPI_BYTE, src, TF__TAG_BULK, t->comm, MPI_STATUS_IGNORE),
              "MPI_Recv");
    count(&t->bytes_recv, n);
    if (t->trace) tf__trace_msg(t->trace, TF__TR_RECV, src, n);
    return b;
}
