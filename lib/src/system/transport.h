/* transport.h - every MPI call of a run: sends that complete through a
 * callback, receives, and their counters. It knows nothing of jobs or
 * tasks: messages are bytes with a tag (msg.h says what is in them).
 *
 * Thread: the service thread only, while a run is active (so the library
 * never has two threads in MPI at once); tf__tp_init and tf__tp_free run on
 * the main thread while the service thread is parked. The counters are
 * atomics: the main thread reads them for tf_pool_stats. */
#ifndef TF_TRANSPORT_H
#define TF_TRANSPORT_H

#include <mpi.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"
#include "system/doorbell.h"

struct tf__trace;

/* A send's completion: called on the service thread once MPI no longer
 * needs the buffer. */
typedef void (*tf__sent_fn)(void *arg);

typedef struct tf__pending {
    void *own;      /* freed when the send completes (may be NULL) */
    tf__sent_fn cb; /* then called with arg (may be NULL) */
    void *arg;
} tf__pending;

typedef struct tf__transport {
    MPI_Comm comm; /* the pool's own duplicate */
    int rank, size;
    tf__ctx *ctx;
    struct tf__trace *trace; /* NULL unless TF_TRACE */
    /* rung after each send to a rank of this node; NULL: none (set by the
     * pool before the service thread starts) */
    const tf__doorbells *bells;
    MPI_Request *req;  /* sends in flight */
    tf__pending *pend; /* what to do when req[i] completes */
    size_t nreq, capreq;
    atomic_uint_fast64_t msgs_sent, msgs_recv, bytes_sent, bytes_recv;
    /* this run's messages of tag TF__TAG_MSG (the ones quiescence waves
     * count, core/wave.h): service thread only, zeroed by tf__tp_run_begin */
    uint64_t run_sent, run_recv;
} tf__transport;

void tf__tp_init(tf__transport *t, MPI_Comm comm, tf__ctx *ctx, struct tf__trace *trace);
/* Start of a run: the run's message counts start from 0. */
static inline void tf__tp_run_begin(tf__transport *t) { t->run_sent = t->run_recv = 0; }
/* Frees the request arrays (no send may be in flight). */
void tf__tp_free(tf__transport *t);

/* Queues an MPI_Isend of n bytes at buf to dest with tag; buf must stay
 * valid until the send completes, when `own` (if not NULL) is freed and
 * cb(arg) (if cb) is called; rings dest's doorbell if it is on this node.
 * Fatal on an MPI error or without memory. */
void tf__tp_send(tf__transport *t, int dest, int tag, const void *buf, size_t n, void *own,
                 tf__sent_fn cb, void *arg);
/* Completes the sends that are done; 1 if any did. */
int tf__tp_progress(tf__transport *t);
/* Waits for every send in flight (the end of a run). */
void tf__tp_finish(tf__transport *t);
static inline bool tf__tp_busy(const tf__transport *t) { return t->nreq != 0; }

/* Receives one message of tag `tag` (TF__TAG_MSG, TF__TAG_CTL, or
 * MPI_ANY_TAG for either: *tag_out says which; a bulk payload is never
 * taken, since it follows its announcing message, which takes it) from src
 * (MPI_ANY_SOURCE: from anyone) if one is there: its bytes in a new buffer (the caller unrefs
 * it) and its sender in *from; NULL if none is waiting. A message of zero
 * bytes is fatal. */
tf__rbuf *tf__tp_recv(tf__transport *t, int src, int tag, int *from, int *tag_out);
/* Receives the bulk payload of n bytes that src announced (msg.h): blocks
 * until it is in (it was sent right after the announcing message). */
tf__rbuf *tf__tp_recv_bulk(tf__transport *t, int src, size_t n);

#endif
