/* link.c - links to ranks (link.h): over MPI, and the loopback to the
 * coordinating rank's own worker. Service thread. */
#include "role/link.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/msg.h"

/* The most bytes of inputs one TASKS message takes in, so that it stays far
 * below the largest message; a rank that would go over waits for the next
 * message, a moment later. */
#define OUT_LIMIT (TF__MAX_MSG / 2)
/* The bytes a chunk record adds to a message besides its inputs (its
 * header, rounded up), and a packed input besides its bytes (its length),
 * for the estimate of whether an item fits. */
#define CHUNK_OVERHEAD 64
#define INPUT_OVERHEAD 8
/* Room for the first bulk payloads of a message. */
#define BULK_CAP0 4

/* ---- over MPI ------------------------------------------------------------- */

typedef struct bulk { /* a payload sent from where the inputs are */
    const char *p;
    size_t n;
    tf__job *job;    /* sent from a job's inputs: told when done */
    tf__rbuf *owner; /* sent from a received block: held until done */
} bulk;

typedef struct remote {
    tf__link l;
    tf__ctx *ctx;
    tf__transport *tp;
    tf__buf out;      /* the TASKS message being built */
    uint8_t *defined; /* function numbers this rank was sent the name of */
    size_t ndefined;
    bulk *bulk; /* payloads to send after it */
    size_t nbulk, capbulk;
} remote;

static void remote_begin(remote *r)
{
    if (r->out.len == 0 && tf__buf_u8(&r->out, TF__MSG_TASKS) < 0)
        tf__fatal(r->ctx, "out of memory");
}

/* A DEF record the first time this rank is sent a task of function gid. */
static void remote_define(remote *r, uint32_t gid, const char *name)
{
    if (gid >= r->ndefined) {
        size_t n = r->ndefined ? r->ndefined : 8;
        while (n <= gid) n *= 2;
        uint8_t *d = tf__realloc(r->defined, n);
        if (!d) tf__fatal(r->ctx, "out of memory");
        memset(d + r->ndefined, 0, n - r->ndefined);
        r->defined = d;
        r->ndefined = n;
    }
    if (r->defined[gid]) return;
    if (tf__msg_put_def(&r->out, gid, name) < 0) tf__fatal(r->ctx, "out of memory");
    r->defined[gid] = 1;
}

static int remote_put(tf__link *l, const tf__item *it, tf__job *j)
{
    remote *r = (remote *)l;
    remote_begin(r);
    if (it->job) remote_define(r, it->gid, it->fname);
    const char *bp;
    size_t bn;
    /* a job's chunk goes as bulk from the job's memory, or (a node leader
     * handing on what it received) from the received block, which the
     * link holds until the send is done */
    bool from_block = j == NULL && it->job != 0 && it->owner != NULL;
    if (tf__msg_put_chunk(&r->out, it, j != NULL || from_block, &bp, &bn) < 0)
        tf__fatal(r->ctx, "a task's input does not fit in a message");
    if (it->owner && !bn) tf__rbuf_unref(it->owner); /* encoded: the message holds a copy */
    if (!bn) return 0;
    if (r->nbulk == r->capbulk) {
        size_t cap = r->capbulk ? r->capbulk * 2 : BULK_CAP0;
        bulk *b = tf__realloc(r->bulk, cap * sizeof *b);
        if (!b) tf__fatal(r->ctx, "out of memory");
        r->bulk = b;
        r->capbulk = cap;
    }
    r->bulk[r->nbulk++] = (bulk){bp, bn, j, j ? NULL : it->owner};
    if (!j && it->owner) return 0; /* no job to hold back: the link holds the block */
    return 1;
}

/* The bytes an item adds to a message inline (bulk payloads aside: a
 * job's FIXED inputs of TF__BULK_MIN bytes or more, which put sends as
 * bulk from the job or from the block that holds them). */
static size_t inline_bytes(const tf__item *it)
{
    if (it->layout == TF__FIXED) {
        size_t total = it->elem * it->count;
        return CHUNK_OVERHEAD + (it->job != 0 && total >= TF__BULK_MIN ? 0 : total);
    }
    size_t bytes = CHUNK_OVERHEAD + INPUT_OVERHEAD * (size_t)it->count, off = 0;
    for (uint32_t k = 0; k < it->count; k++) {
        size_t l;
        (void)tf__item_input(it, k, &off, &l);
        bytes += l;
    }
    return bytes;
}

static bool remote_full(const tf__link *l, const tf__item *it)
{
    const remote *r = (const remote *)l;
    return r->out.len > 1 && r->out.len + inline_bytes(it) > OUT_LIMIT;
}

static uint64_t remote_queued(const tf__link *l, uint64_t reported)
{
    (void)l;
    return reported;
}

static void remote_share(tf__link *l)
{
    remote *r = (remote *)l;
    remote_begin(r);
    if (tf__buf_u8(&r->out, TF__R_SHARE) < 0) tf__fatal(r->ctx, "out of memory");
}

static void remote_stop(tf__link *l, int rv)
{
    remote *r = (remote *)l;
    remote_begin(r);
    if (tf__buf_u8(&r->out, TF__R_STOP) < 0 || tf__buf_u32(&r->out, (uint32_t)rv) < 0)
        tf__fatal(r->ctx, "out of memory");
}

/* A bulk send completed: the coordinator is told (a job's memory), or the
 * block is let go. */
typedef struct sent_note {
    tf__link *l;
    tf__job *j;
    tf__rbuf *owner;
} sent_note;

static void bulk_sent(void *arg)
{
    sent_note *n = arg;
    if (n->j) n->l->sent(n->l->sent_arg, n->j);
    tf__rbuf_unref(n->owner);
    tf__free(n);
}

static int remote_flush(tf__link *l)
{
    remote *r = (remote *)l;
    if (r->out.len == 0) return 0;
    tf__tp_send(r->tp, l->rank, TF__TAG_MSG, r->out.p, r->out.len, r->out.p, NULL, NULL);
    r->out = (tf__buf){0};
    for (size_t k = 0; k < r->nbulk; k++) {
        sent_note *n = tf__malloc(sizeof *n);
        if (!n) tf__fatal(r->ctx, "out of memory");
        *n = (sent_note){l, r->bulk[k].job, r->bulk[k].owner};
        tf__tp_send(r->tp, l->rank, TF__TAG_BULK, r->bulk[k].p, r->bulk[k].n, NULL, bulk_sent, n);
    }
    r->nbulk = 0;
    return 1;
}

static void remote_reset(tf__link *l)
{
    remote *r = (remote *)l;
    for (size_t k = 0; k < r->nbulk; k++) tf__rbuf_unref(r->bulk[k].owner);
    tf__buf_free(&r->out);
    tf__free(r->defined);
    r->defined = NULL;
    r->ndefined = 0;
    r->nbulk = 0;
}

static void remote_destroy(tf__link *l)
{
    remote *r = (remote *)l;
    remote_reset(l);
    tf__free(r->bulk);
    tf__free(r);
}

static const tf__link_ops remote_ops = {
    .put = remote_put,
    .full = remote_full,
    .queued = remote_queued,
    .share = remote_share,
    .stop = remote_stop,
    .flush = remote_flush,
    .reset = remote_reset,
    .destroy = remote_destroy,
};

tf__link *tf__link_remote(tf__ctx *ctx, tf__transport *tp, int rank)
{
    remote *r = tf__calloc(1, sizeof *r);
    if (!r) return NULL;
    r->l.ops = &remote_ops;
    r->l.rank = rank;
    r->ctx = ctx;
    r->tp = tp;
    return &r->l;
}

/* ---- loopback ---------------------------------------------------------------- */

typedef struct loopback {
    tf__link l;
    tf__ctx *ctx;
    tf__worker *w;
    tf__queue q;   /* items put, not yet handed over */
    size_t ntasks; /* job tasks among them */
    bool share, stop;
    int stop_rv;
} loopback;

static int loop_put(tf__link *l, const tf__item *it, tf__job *j)
{
    (void)j; /* inputs are borrowed: the job outlives its tasks */
    loopback *b = (loopback *)l;
    if (tf__queue_push_back(&b->q, it) < 0) tf__fatal(b->ctx, "out of memory");
    if (it->job) b->ntasks += it->count;
    return 0;
}

static bool loop_full(const tf__link *l, const tf__item *it)
{
    (void)l;
    (void)it;
    return false; /* nothing is encoded */
}

static uint64_t loop_queued(const tf__link *l, uint64_t reported)
{
    (void)reported;
    return tf__worker_spawn_queued(((const loopback *)l)->w);
}

static int loop_starved(const tf__link *l) { return tf__worker_starved(((const loopback *)l)->w); }

static void loop_share(tf__link *l) { ((loopback *)l)->share = true; }

static void loop_stop(tf__link *l, int rv)
{
    loopback *b = (loopback *)l;
    b->stop = true;
    b->stop_rv = rv;
}

static int loop_flush(tf__link *l)
{
    loopback *b = (loopback *)l;
    if (!tf__queue_len(&b->q) && !b->share && !b->stop) return 0;
    tf__worker_deliver(b->w, &b->q, b->ntasks);
    b->ntasks = 0;
    if (b->share) tf__worker_share(b->w);
    if (b->stop) tf__worker_stop(b->w, b->stop_rv);
    b->share = b->stop = false;
    return 1;
}

static void loop_reset(tf__link *l)
{
    loopback *b = (loopback *)l;
    tf__queue_clear(&b->q);
    b->ntasks = 0;
    b->share = b->stop = false;
}

static void loop_destroy(tf__link *l)
{
    loopback *b = (loopback *)l;
    tf__queue_free(&b->q);
    tf__free(b);
}

static const tf__link_ops loop_ops = {
    .put = loop_put,
    .full = loop_full,
    .queued = loop_queued,
    .starved = loop_starved,
    .share = loop_share,
    .stop = loop_stop,
    .flush = loop_flush,
    .reset = loop_reset,
    .destroy = loop_destroy,
};

tf__link *tf__link_loopback(tf__ctx *ctx, tf__worker *w, int rank)
{
    loopback *b = tf__calloc(1, sizeof *b);
    if (!b) return NULL;
    b->l.ops = &loop_ops;
    b->l.rank = rank;
    b->ctx = ctx;
    b->w = w;
    return &b->l;
}
