/* output.c - the writer behind tf_output: task outputs appended to one
 * file in large blocks (see output.h for which thread does what and the
 * lock order).
 *
 * A record is copied into the block being filled; a block is sealed when it
 * is full, when its first record is flush_s old, at a flush, or after each
 * record under TF_DURABLE_RECORD; sealed blocks are written in order by the
 * writer thread, each with one write() (and one fdatasync under
 * TF_DURABLE_BLOCK and RECORD). An ORDERED output keeps records that arrive
 * before their turn in a ring indexed by position (at most max_ahead past
 * the first missing one), and drains it as the gap closes. */
#include "system/output.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/timeline.h"

typedef struct oblk {
    struct oblk *next;
    size_t len, cap;
    uint64_t records;
    unsigned char *ix; /* an indexed output: the index entries of the block's positions */
    size_t ixlen, ixcap;
    char d[];
} oblk;

typedef struct hslot {
    char *d;
    size_t len;
    int st; /* 0 empty, 1 a record, 2 skipped */
} hslot;

typedef struct mrange { /* positions a map took: not for tf_output_write */
    uint64_t lo, hi;
} mrange;

struct tf_output {
    struct tf__outs *os;
    struct tf_output *next;
    char *path;
    int fd;
    tf_output_order order;
    tf_output_opts o;
    pthread_mutex_t lock, io;
    oblk *cur;
    uint64_t cur_t0;
    oblk *rhead, *rtail;
    size_t nready;
    /* ORDERED */
    uint64_t next_pos; /* the first position not yet in a block */
    uint64_t used_end; /* one past every position used or taken */
    hslot *ring;       /* position q at ring[q % rcap], next_pos <= q */
    size_t rcap, held_bytes, held_n;
    mrange *maps;
    size_t nmaps;
    /* an indexed output (tf_map_to_resume): ixfd its index, off the file's
     * length once every record appended so far is written */
    int ixfd;
    uint64_t off;
    /* results */
    uint64_t records, bytes; /* written to the file (under lock) */
    int err;
    char errmsg[TF__ERRMSG_MAX];
};

struct tf__outs {
    tf__outs_cfg cfg;
    pthread_mutex_t lock;
    tf_output *head;
    atomic_uint ready; /* blocks sealed and not yet written, all outputs */
    /* the writer thread */
    pthread_mutex_t wm;
    pthread_cond_t wc;
    pthread_t writer;
    bool started, quit;
};

static int close_output(tf_output *o);
static void ix_encode(unsigned char *e, uint64_t pos, uint64_t end, uint32_t flags);

int tf__outs_new(const tf__outs_cfg *cfg, struct tf__outs **out)
{
    *out = NULL;
    struct tf__outs *os = tf__calloc(1, sizeof *os);
    if (!os) return TF_ENOMEM;
    if (pthread_mutex_init(&os->lock, NULL)) {
        tf__free(os);
        return TF_ESYS;
    }
    if (pthread_mutex_init(&os->wm, NULL)) {
        pthread_mutex_destroy(&os->lock);
        tf__free(os);
        return TF_ESYS;
    }
    if (pthread_cond_init(&os->wc, NULL)) {
        pthread_mutex_destroy(&os->wm);
        pthread_mutex_destroy(&os->lock);
        tf__free(os);
        return TF_ESYS;
    }
    os->cfg = *cfg;
    atomic_init(&os->ready, 0);
    *out = os;
    return 0;
}

void tf__outs_free(struct tf__outs *os)
{
    if (!os) return;
    if (os->started) {
        pthread_mutex_lock(&os->wm);
        os->quit = true;
        pthread_cond_signal(&os->wc);
        pthread_mutex_unlock(&os->wm);
        pthread_join(os->writer, NULL);
    }
    /* outputs left open: the program broke the contract; write what they
     * hold rather than lose it */
    while (os->head) {
        tf_output *o = os->head;
        os->head = o->next;
        fprintf(stderr, "taskfarm: warning: output '%s' was not closed; closing it\n", o->path);
        if (close_output(o) < 0) fprintf(stderr, "taskfarm: %s\n", os->cfg.ctx->errmsg);
    }
    pthread_cond_destroy(&os->wc);
    pthread_mutex_destroy(&os->wm);
    pthread_mutex_destroy(&os->lock);
    tf__free(os);
}

/* ---- blocks (o->lock held) ------------------------------------------------------ */

static void set_err(tf_output *o, int err, const char *what)
{
    if (o->err) return;
    o->err = TF_ESYS;
    snprintf(o->errmsg, sizeof o->errmsg, "output '%s': %s: %s", o->path, what, strerror(err));
}

static void seal(tf_output *o)
{
    oblk *b = o->cur;
    if (!b || (b->len == 0 && b->ixlen == 0)) return;
    o->cur = NULL;
    b->next = NULL;
    if (o->rtail)
        o->rtail->next = b;
    else
        o->rhead = b;
    o->rtail = b;
    o->nready++;
    struct tf__outs *os = o->os;
    atomic_fetch_add(&os->ready, 1);
    pthread_mutex_lock(&os->wm);
    pthread_cond_signal(&os->wc);
    pthread_mutex_unlock(&os->wm);
}

/* The index entry of the position that follows the last one indexed:
 * pos, the file's length after its record, flags; see output.h. */
static void index_entry(tf_output *o, oblk *b, uint64_t pos, uint32_t flags)
{
    if (b->ixcap - b->ixlen < TF__IX_ENTRY) {
        size_t cap = b->ixcap ? 2 * b->ixcap : 64 * TF__IX_ENTRY;
        unsigned char *v = tf__realloc(b->ix, cap);
        if (!v) tf__fatal(o->os->cfg.ctx, "out of memory for an output index of %zu bytes", cap);
        b->ix = v;
        b->ixcap = cap;
    }
    ix_encode(b->ix + b->ixlen, pos, o->off, flags);
    b->ixlen += TF__IX_ENTRY;
}

/* Appends the record of position pos (ignored unless indexed); skip: a
 * failed position, which has no bytes, only an index entry. */
static void append_at(tf_output *o, uint64_t pos, const void *data, size_t len, bool skip)
{
    if (skip && o->ixfd < 0) return;
    if (skip) len = 0; /* a failed task's data is its message */
    oblk *b = o->cur;
    if (b && b->cap - b->len < len) {
        seal(o);
        b = NULL;
    }
    if (!b) {
        size_t cap = len > o->o.block_size ? len : o->o.block_size;
        b = tf__malloc(sizeof *b + cap);
        if (!b) tf__fatal(o->os->cfg.ctx, "out of memory for an output block of %zu bytes", cap);
        b->len = 0;
        b->cap = cap;
        b->records = 0;
        b->ix = NULL;
        b->ixlen = b->ixcap = 0;
        o->cur = b;
        o->cur_t0 = tf__now_ns();
    }
    if (len) memcpy(b->d + b->len, data, len);
    b->len += len;
    o->off += len;
    if (!skip) b->records++;
    if (o->ixfd >= 0) index_entry(o, b, pos, skip ? TF__IX_FAILED : 0);
    if (o->o.durability == TF_DURABLE_RECORD || b->len >= o->o.block_size) seal(o);
}

static void append(tf_output *o, const void *data, size_t len)
{
    append_at(o, 0, data, len, false);
}

/* ORDERED: room in the ring for position pos (pos - next_pos < max_ahead,
 * which the callers see to). 0 or TF_ENOMEM. */
static int ring_fit(tf_output *o, uint64_t pos)
{
    uint64_t need = pos - o->next_pos + 1;
    if (need <= o->rcap) return 0;
    size_t cap = o->rcap ? o->rcap : 64;
    while (cap < need) cap *= 2;
    hslot *r = tf__calloc(cap, sizeof *r);
    if (!r) return TF_ENOMEM;
    for (size_t i = 0; i < o->rcap; i++) {
        uint64_t q = o->next_pos + i;
        r[q % cap] = o->ring[q % o->rcap];
    }
    tf__free(o->ring);
    o->ring = r;
    o->rcap = cap;
    return 0;
}

/* 0 or TF_ENOMEM (nothing changed then). */
static int put_locked(tf_output *o, uint64_t pos, const void *data, size_t len, bool skip)
{
    if (o->order == TF_OUTPUT_UNORDERED) {
        if (!skip) append(o, data, len);
        return 0;
    }
    if (pos != o->next_pos) {
        char *d = NULL;
        if (!skip && len && !(d = tf__malloc(len))) return TF_ENOMEM;
        if (ring_fit(o, pos) < 0) {
            tf__free(d);
            return TF_ENOMEM;
        }
        hslot *h = &o->ring[pos % o->rcap];
        h->st = skip ? 2 : 1;
        h->len = skip ? 0 : len;
        h->d = d;
        if (d) memcpy(d, data, len);
        o->held_bytes += h->len;
        o->held_n++;
        return 0;
    }
    append_at(o, o->next_pos, data, len, skip);
    o->next_pos++;
    while (o->held_n && o->rcap) {
        hslot *h = &o->ring[o->next_pos % o->rcap];
        if (!h->st) break;
        append_at(o, o->next_pos, h->d ? h->d : "", h->len, h->st == 2);
        o->held_bytes -= h->len;
        o->held_n--;
        tf__free(h->d);
        *h = (hslot){0};
        o->next_pos++;
    }
    return 0;
}

void tf__out_put(tf_output *o, uint64_t pos, const void *data, size_t len, bool skip)
{
    pthread_mutex_lock(&o->lock);
    int rc = put_locked(o, pos, data, len, skip);
    pthread_mutex_unlock(&o->lock);
    if (rc < 0) tf__fatal(o->os->cfg.ctx, "out of memory for a held-back output of %zu bytes", len);
}

uint64_t tf__out_limit(tf_output *o, uint64_t base)
{
    if (o->order == TF_OUTPUT_UNORDERED) return UINT64_MAX;
    pthread_mutex_lock(&o->lock);
    uint64_t lim = o->held_bytes >= o->o.max_held ? 0 : o->next_pos - base + o->o.max_ahead;
    pthread_mutex_unlock(&o->lock);
    return lim;
}

/* ---- writing ---------------------------------------------------------------------- */

/* Writes len bytes at fd's end; 0 or an errno (ENOSPC for a write of
 * nothing). */
static int write_all(int fd, const void *p, size_t len)
{
    for (size_t off = 0; off < len;) {
        ssize_t w = write(fd, (const char *)p + off, len - off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return w < 0 ? errno : ENOSPC;
        off += (size_t)w;
    }
    return 0;
}

/* Writes every sealed block (any thread; o->io serializes). 1 if it wrote.
 * trace_thread: the timeline buffer of the calling thread, -1 for the
 * writer thread, which has none (the timeline shows the main thread's
 * writes: flushes, map ends, closes). */
static int write_ready(tf_output *o, int trace_thread)
{
    int did = 0;
    pthread_mutex_lock(&o->io);
    for (;;) {
        pthread_mutex_lock(&o->lock);
        oblk *b = o->rhead;
        if (b) {
            o->rhead = b->next;
            if (!o->rhead) o->rtail = NULL;
            o->nready--;
            atomic_fetch_sub(&o->os->ready, 1);
        }
        bool broken = o->err != 0;
        pthread_mutex_unlock(&o->lock);
        if (!b) break;
        did = 1;
        uint64_t t0 = tf__now_ns();
        int err = 0;
        const char *what = "write";
        for (size_t off = 0; !broken && off < b->len;) {
            ssize_t w = write(o->fd, b->d + off, b->len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                err = w < 0 ? errno : ENOSPC;
                break;
            }
            off += (size_t)w;
        }
        if (!broken && !err && o->o.durability != TF_DURABLE_NONE && fdatasync(o->fd) < 0 &&
            errno != EINVAL) {
            err = errno;
            what = "fdatasync";
        }
        /* the index names a record only once the record is in the file (and
         * synced): a crash between the two leaves a tail the index does not
         * name, which a resume cuts off */
        if (!broken && !err && b->ixlen) {
            int e = write_all(o->ixfd, b->ix, b->ixlen);
            if (e) {
                err = e;
                what = "write of the index";
            } else if (o->o.durability != TF_DURABLE_NONE && fdatasync(o->ixfd) < 0 &&
                       errno != EINVAL) {
                err = errno;
                what = "fdatasync of the index";
            }
        }
        struct tf__trace *tr = trace_thread >= 0 && o->os->cfg.trace ? *o->os->cfg.trace : NULL;
        if (tr) tf__trace_span(tr, trace_thread, TF__TR_WRITE, t0, tf__now_ns(), b->len);
        pthread_mutex_lock(&o->lock);
        if (err) set_err(o, err, what);
        if (!broken && !err) {
            o->records += b->records;
            o->bytes += b->len;
        }
        pthread_mutex_unlock(&o->lock);
        tf__free(b->ix);
        tf__free(b);
    }
    pthread_mutex_unlock(&o->io);
    return did;
}

/* The writer thread: writes sealed blocks as they come, and seals
 * part-filled blocks flush_s after their first record (looked at every
 * 10 ms while outputs are open). */
static void *writer_main(void *arg)
{
    struct tf__outs *os = arg;
    if (os->cfg.thread_start) os->cfg.thread_start(os->cfg.thread_arg);
    pthread_mutex_lock(&os->wm);
    while (!os->quit) {
        if (atomic_load(&os->ready) == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_nsec += 10000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
            pthread_cond_timedwait(&os->wc, &os->wm, &ts);
            if (os->quit) break;
        }
        pthread_mutex_unlock(&os->wm);
        uint64_t now = tf__now_ns();
        pthread_mutex_lock(&os->lock);
        for (tf_output *o = os->head; o; o = o->next) {
            pthread_mutex_lock(&o->lock);
            if (o->cur && o->cur->len && (double)(now - o->cur_t0) * 1e-9 >= o->o.flush_s) seal(o);
            bool any = o->nready > 0;
            pthread_mutex_unlock(&o->lock);
            if (any) write_ready(o, -1);
        }
        pthread_mutex_unlock(&os->lock);
        pthread_mutex_lock(&os->wm);
    }
    pthread_mutex_unlock(&os->wm);
    return NULL;
}

/* ---- open, write, close (rank 0's main thread) ------------------------------------- */

int tf__out_open(struct tf__outs *os, const char *path, tf_output_order order,
                 const tf_output_opts *o, tf_output **out)
{
    tf__ctx *ctx = os->cfg.ctx;
    *out = NULL;
    tf_output *w = tf__calloc(1, sizeof *w);
    if (!w || !(w->path = tf__strdup(path))) {
        tf__free(w);
        return tf__fail(ctx, TF_ENOMEM, "tf_output_open: out of memory");
    }
    if (!os->started) {
        if (pthread_create(&os->writer, NULL, writer_main, os)) {
            tf__free(w->path);
            tf__free(w);
            return tf__fail(ctx, TF_ESYS, "tf_output_open: cannot start the writer thread");
        }
        os->started = true;
    }
    if (pthread_mutex_init(&w->lock, NULL)) {
        tf__free(w->path);
        tf__free(w);
        return tf__fail(ctx, TF_ESYS, "tf_output_open: pthread_mutex_init failed");
    }
    if (pthread_mutex_init(&w->io, NULL)) {
        pthread_mutex_destroy(&w->lock);
        tf__free(w->path);
        tf__free(w);
        return tf__fail(ctx, TF_ESYS, "tf_output_open: pthread_mutex_init failed");
    }
    int fd;
    while ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (o->append ? O_APPEND : O_TRUNC),
                      0644)) < 0 &&
           errno == EINTR) {
    }
    if (fd < 0) {
        int e = errno;
        pthread_mutex_destroy(&w->lock);
        pthread_mutex_destroy(&w->io);
        tf__free(w->path);
        tf__free(w);
        return tf__fail(ctx, TF_ESYS, "output '%s': %s", path, strerror(e));
    }
    w->fd = fd;
    w->ixfd = -1;
    /* a new file's name survives a crash only once its directory is synced */
    if (o->durability != TF_DURABLE_NONE) {
        char *dir = tf__strdup(path), *slash = dir ? strrchr(dir, '/') : NULL;
        const char *d = !dir ? NULL : !slash ? "." : slash == dir ? "/" : (*slash = '\0', dir);
        int dfd = d ? open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (dfd >= 0) {
            (void)fsync(dfd);
            close(dfd);
        }
        tf__free(dir);
    }
    w->os = os;
    w->order = order;
    w->o = *o;
    pthread_mutex_lock(&os->lock);
    w->next = os->head;
    os->head = w;
    pthread_mutex_unlock(&os->lock);
    *out = w;
    return 0;
}

/* The first error of o's life, copied to the ctx's message. */
static int out_err(tf_output *o)
{
    pthread_mutex_lock(&o->lock);
    int err = o->err;
    char msg[TF__ERRMSG_MAX];
    snprintf(msg, sizeof msg, "%s", o->errmsg);
    pthread_mutex_unlock(&o->lock);
    return err ? tf__fail(o->os->cfg.ctx, err, "%s", msg) : 0;
}

int tf__out_write(tf_output *o, uint64_t pos, const void *data, size_t len)
{
    pthread_mutex_lock(&o->lock);
    const char *bad = NULL;
    if (o->order == TF_OUTPUT_ORDERED) {
        if (pos < o->next_pos || (pos - o->next_pos < o->rcap && o->ring[pos % o->rcap].st != 0))
            bad = "is used already";
        else if (pos - o->next_pos >= o->o.max_ahead)
            bad = "is more than max_ahead past the first one missing";
        for (size_t i = 0; i < o->nmaps && !bad; i++)
            if (pos >= o->maps[i].lo && pos < o->maps[i].hi) bad = "belongs to a running map";
    }
    int rc = bad ? 0 : put_locked(o, pos, data, len, false);
    if (!bad && !rc && o->order == TF_OUTPUT_ORDERED && pos + 1 > o->used_end)
        o->used_end = pos + 1;
    int err = o->err;
    pthread_mutex_unlock(&o->lock);
    tf__ctx *ctx = o->os->cfg.ctx;
    if (bad)
        return tf__fail(ctx, TF_EINVAL, "output '%s': position %llu %s", o->path,
                        (unsigned long long)pos, bad);
    if (rc) return tf__fail(ctx, rc, "output '%s': out of memory holding a record", o->path);
    if (err) return out_err(o);
    return 0;
}

int tf__out_close(tf_output *o)
{
    pthread_mutex_lock(&o->lock);
    size_t maps = o->nmaps;
    pthread_mutex_unlock(&o->lock);
    if (maps)
        return tf__fail(o->os->cfg.ctx, TF_EBUSY, "tf_output_close: a map is writing to '%s'",
                        o->path);
    struct tf__outs *os = o->os;
    pthread_mutex_lock(&os->lock); /* the writer is not writing it now, nor later */
    for (tf_output **pp = &os->head; *pp; pp = &(*pp)->next)
        if (*pp == o) {
            *pp = o->next;
            break;
        }
    pthread_mutex_unlock(&os->lock);
    return close_output(o);
}

/* Writes what o holds, syncs, closes and frees it; o is off the list. */
static int close_output(tf_output *o)
{
    tf__ctx *ctx = o->os->cfg.ctx;
    int rc = 0;
    uint64_t missing = UINT64_MAX;
    pthread_mutex_lock(&o->lock);
    /* positions still missing: write what is held, in order, and say so */
    while (o->order == TF_OUTPUT_ORDERED && o->held_n) {
        if (missing == UINT64_MAX) missing = o->next_pos;
        hslot *h = &o->ring[o->next_pos % o->rcap];
        if (h->st) append_at(o, o->next_pos, h->d ? h->d : "", h->len, h->st == 2);
        if (h->st) {
            o->held_bytes -= h->len;
            o->held_n--;
            tf__free(h->d);
            *h = (hslot){0};
        }
        o->next_pos++;
    }
    if (missing == UINT64_MAX && o->order == TF_OUTPUT_ORDERED && o->next_pos < o->used_end)
        missing = o->next_pos;
    seal(o);
    pthread_mutex_unlock(&o->lock);
    write_ready(o, TF__TR_MAIN);
    if (o->o.durability != TF_DURABLE_NONE && !o->err && fsync(o->fd) < 0 && errno != EINVAL)
        set_err(o, errno, "fsync");
    if (close(o->fd) < 0 && !o->err) set_err(o, errno, "close");
    if (o->ixfd >= 0) {
        if (o->o.durability != TF_DURABLE_NONE && !o->err && fsync(o->ixfd) < 0 && errno != EINVAL)
            set_err(o, errno, "fsync of the index");
        if (close(o->ixfd) < 0 && !o->err) set_err(o, errno, "close of the index");
    }
    rc = out_err(o);
    if (!rc && missing != UINT64_MAX)
        rc = tf__fail(ctx, TF_EINVAL, "output '%s': position %llu was never written", o->path,
                      (unsigned long long)missing);
    pthread_mutex_destroy(&o->lock);
    pthread_mutex_destroy(&o->io);
    tf__free(o->ring);
    tf__free(o->maps);
    tf__free(o->path);
    tf__free(o);
    return rc;
}

/* A counter of o, read under its lock (the writer thread adds to it). */
static uint64_t locked_read(const tf_output *o, const uint64_t *field)
{
    pthread_mutex_lock((pthread_mutex_t *)&o->lock);
    uint64_t n = *field;
    pthread_mutex_unlock((pthread_mutex_t *)&o->lock);
    return n;
}

uint64_t tf__out_records(const tf_output *o) { return locked_read(o, &o->records); }
uint64_t tf__out_bytes(const tf_output *o) { return locked_read(o, &o->bytes); }

tf_pool *tf__out_pool(const tf_output *o) { return o->os->cfg.pool; }

/* ---- maps (driver) ------------------------------------------------------------------ */

/* The driver: the next n positions for a map; their base. */
uint64_t tf__out_take(tf_output *o, uint64_t n, int *rc)
{
    pthread_mutex_lock(&o->lock);
    uint64_t base = o->order == TF_OUTPUT_ORDERED ? o->used_end : 0;
    *rc = 0;
    if (o->order == TF_OUTPUT_ORDERED && o->next_pos < o->used_end) {
        /* the map's records would all wait behind the missing one */
        *rc = TF_EINVAL;
        base = o->next_pos;
    } else if (o->order == TF_OUTPUT_ORDERED && n) {
        mrange *m = tf__realloc(o->maps, (o->nmaps + 1) * sizeof *m);
        if (!m) {
            *rc = TF_ENOMEM;
        } else {
            o->maps = m;
            o->maps[o->nmaps++] = (mrange){base, base + n};
            o->used_end += n;
        }
    }
    pthread_mutex_unlock(&o->lock);
    return base;
}

/* The driver: a map's positions are all in; its range is no longer
 * reserved (a later write to one of them is refused as used anyway, since
 * they are below next_pos once written). */
void tf__out_untake(tf_output *o, uint64_t base, bool ran)
{
    pthread_mutex_lock(&o->lock);
    for (size_t i = 0; i < o->nmaps; i++)
        if (o->maps[i].lo == base) {
            /* a map that never started gives its positions back */
            if (!ran && o->used_end == o->maps[i].hi) o->used_end = base;
            o->maps[i] = o->maps[--o->nmaps];
            break;
        }
    pthread_mutex_unlock(&o->lock);
}

/* The driver, at a map's end: seals and writes what the map put. */
int tf__out_finish(tf_output *o)
{
    pthread_mutex_lock(&o->lock);
    seal(o);
    pthread_mutex_unlock(&o->lock);
    write_ready(o, TF__TR_MAIN);
    return out_err(o);
}

/* ---- indexed outputs (tf_map_to_resume; format in output.h) -------------------------- */

static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* FNV-1a over a few bytes: the header's and the entries' checksums. */
static uint64_t fnv(const unsigned char *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325u;
    for (size_t i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3u;
    return h;
}

uint64_t tf__out_sum(const void *p, size_t len)
{
    /* a word at a time: the inputs may be gigabytes */
    const unsigned char *c = p;
    uint64_t h = 0x9e3779b97f4a7c15u ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, c + i, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    for (; i < len; i++) h = (h ^ c[i]) * 0x100000001b3u;
    return h;
}

static void ix_encode(unsigned char *e, uint64_t pos, uint64_t end, uint32_t flags)
{
    put64(e, pos);
    put64(e + 8, end);
    for (int i = 0; i < 4; i++) e[16 + i] = (unsigned char)(flags >> (8 * i));
    uint32_t c = (uint32_t)fnv(e, 20) ^ 0x54464958u; /* never 0 for all-zero bytes */
    for (int i = 0; i < 4; i++) e[20 + i] = (unsigned char)(c >> (8 * i));
}

static void ix_header(unsigned char *h, const tf__out_ident *id)
{
    memset(h, 0, TF__IX_HEADER);
    memcpy(h, "TFMAPIX1", 8);
    put64(h + 8, id->n);
    put64(h + 16, id->elem_size);
    put64(h + 24, id->in_sum);
    memcpy(h + 32, id->fn, strnlen(id->fn, 63));
    put64(h + 96, fnv(h, 96));
}

static int sync_fd(int fd, const tf_output_opts *o)
{
    return o->durability != TF_DURABLE_NONE && fsync(fd) < 0 && errno != EINVAL ? errno : 0;
}

/* Reads len bytes at offset off; 0, or an errno (EIO for a short read). */
static int read_at(int fd, void *p, size_t len, off_t off)
{
    for (size_t got = 0; got < len;) {
        ssize_t r = pread(fd, (char *)p + got, len - got, off + (off_t)got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) return r < 0 ? errno : EIO;
        got += (size_t)r;
    }
    return 0;
}

/* The index is this process's while it is open: a rerun started while an
 * earlier run (an orphaned rank 0 of a killed launcher) still writes would
 * interleave two writers. A file system without flock locks nothing. */
static int lock_index(tf__ctx *ctx, int fd, const char *ixpath)
{
    while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EINTR) continue;
        if (errno == EWOULDBLOCK)
            return tf__fail(ctx, TF_EBUSY, "output index '%s' is in use by a running map", ixpath);
        break;
    }
    return 0;
}

int tf__out_open_resume(struct tf__outs *os, const char *path, const tf_output_opts *o,
                        const tf__out_ident *id, int mode, uint64_t *done, uint64_t *failed,
                        tf_output **out)
{
    tf__ctx *ctx = os->cfg.ctx;
    *out = NULL;
    *done = *failed = 0;
    size_t plen = strlen(path);
    char *ixpath = tf__malloc(plen + sizeof TF__IX_SUFFIX);
    if (!ixpath) return tf__fail(ctx, TF_ENOMEM, "tf_map_to_resume: out of memory");
    memcpy(ixpath, path, plen);
    memcpy(ixpath + plen, TF__IX_SUFFIX, sizeof TF__IX_SUFFIX);
    unsigned char hdr[TF__IX_HEADER], want[TF__IX_HEADER];
    ix_header(want, id);
    int rc = 0, ixfd = -1, e;
    unsigned char *ents = NULL;
    uint64_t k = 0, end = 0, nfail = 0;
    bool fresh = mode == TF_RESUME_START;
    if (!fresh) {
        while ((ixfd = open(ixpath, O_RDWR | O_CLOEXEC)) < 0 && errno == EINTR) {
        }
        if (ixfd < 0 && errno != ENOENT) {
            rc = tf__fail(ctx, TF_ESYS, "output index '%s': %s", ixpath, strerror(errno));
            goto out;
        }
        if (ixfd < 0 && mode == TF_RESUME) {
            rc =
                tf__fail(ctx, TF_EINVAL, "output '%s': no index '%s' to resume from", path, ixpath);
            goto out;
        }
        if (ixfd < 0) {
            /* a file of the same name that is not ours is not overwritten */
            if (access(path, F_OK) == 0) {
                rc = tf__fail(ctx, TF_EINVAL,
                              "output '%s' exists without an index '%s': not made by "
                              "tf_map_to_resume (remove it, or start afresh)",
                              path, ixpath);
                goto out;
            }
            fresh = true;
        }
    }
    if (!fresh) {
        if ((rc = lock_index(ctx, ixfd, ixpath)) < 0) goto out;
        struct stat st;
        if (fstat(ixfd, &st) < 0) {
            rc = tf__fail(ctx, TF_ESYS, "output index '%s': %s", ixpath, strerror(errno));
            goto out;
        }
        if (st.st_size < TF__IX_HEADER || (e = read_at(ixfd, hdr, sizeof hdr, 0)) != 0 ||
            memcmp(hdr, "TFMAPIX1", 8) != 0 || get64(hdr + 96) != fnv(hdr, 96)) {
            rc =
                tf__fail(ctx, TF_EINVAL, "output index '%s': not a tf_map_to_resume index", ixpath);
            goto out;
        }
        if (memcmp(hdr, want, TF__IX_HEADER) != 0) {
            char hfn[65] = {0};
            memcpy(hfn, hdr + 32, 64);
            const char *what = get64(hdr + 8) != id->n                ? "n differs"
                               : get64(hdr + 16) != id->elem_size     ? "elem_size differs"
                               : memcmp(hdr + 32, want + 32, 64) != 0 ? "function differs"
                                                                      : "inputs differ";
            rc = tf__fail(ctx, TF_EMISMATCH,
                          "output '%s' was made for another map (%s): fn '%s', n %llu, "
                          "elem_size %llu there; fn '%s', n %llu, elem_size %llu here",
                          path, what, hfn, (unsigned long long)get64(hdr + 8),
                          (unsigned long long)get64(hdr + 16), id->fn, (unsigned long long)id->n,
                          (unsigned long long)id->elem_size);
            goto out;
        }
        /* the whole, valid entries in order; the first that is not ends them */
        uint64_t whole = (uint64_t)(st.st_size - TF__IX_HEADER) / TF__IX_ENTRY;
        if (whole > id->n) whole = id->n;
        if (whole && !(ents = tf__malloc((size_t)whole * TF__IX_ENTRY))) {
            rc = tf__fail(ctx, TF_ENOMEM, "tf_map_to_resume: out of memory reading '%s'", ixpath);
            goto out;
        }
        if (whole && (e = read_at(ixfd, ents, (size_t)whole * TF__IX_ENTRY, TF__IX_HEADER))) {
            rc = tf__fail(ctx, TF_ESYS, "output index '%s': %s", ixpath, strerror(e));
            goto out;
        }
        for (; k < whole; k++) {
            const unsigned char *en = ents + k * TF__IX_ENTRY;
            unsigned char chk[TF__IX_ENTRY];
            uint64_t pos = get64(en), eend = get64(en + 8);
            uint32_t fl = (uint32_t)en[16] | (uint32_t)en[17] << 8 | (uint32_t)en[18] << 16 |
                          (uint32_t)en[19] << 24;
            ix_encode(chk, pos, eend, fl);
            if (memcmp(chk, en, TF__IX_ENTRY) != 0 || pos != k || eend < end ||
                (fl & ~TF__IX_FAILED) || ((fl & TF__IX_FAILED) && eend != end))
                break;
            end = eend;
            if (fl & TF__IX_FAILED) nfail++;
        }
        /* the file must hold what the index names; more is a tail cut off */
        struct stat ds;
        bool there = stat(path, &ds) == 0;
        if (!there && errno != ENOENT) {
            rc = tf__fail(ctx, TF_ESYS, "output '%s': %s", path, strerror(errno));
            goto out;
        }
        uint64_t have = there ? (uint64_t)ds.st_size : 0;
        if (have < end) {
            rc = tf__fail(ctx, TF_EMISMATCH,
                          "output '%s' has %llu bytes, fewer than the %llu its index '%s' "
                          "names: not resumable",
                          path, (unsigned long long)have, (unsigned long long)end, ixpath);
            goto out;
        }
        if (have > end && truncate(path, (off_t)end) < 0) {
            rc = tf__fail(ctx, TF_ESYS, "output '%s': truncate: %s", path, strerror(errno));
            goto out;
        }
        off_t keep = TF__IX_HEADER + (off_t)k * TF__IX_ENTRY;
        if (st.st_size > keep && ftruncate(ixfd, keep) < 0) {
            rc = tf__fail(ctx, TF_ESYS, "output index '%s': truncate: %s", ixpath, strerror(errno));
            goto out;
        }
    } else {
        while ((ixfd = open(ixpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0 && errno == EINTR) {
        }
        if (ixfd >= 0 && (rc = lock_index(ctx, ixfd, ixpath)) < 0) goto out;
        if (ixfd < 0 || (ftruncate(ixfd, 0) < 0 && (e = errno) != 0) ||
            (e = write_all(ixfd, want, sizeof want)) != 0 || (e = sync_fd(ixfd, o)) != 0) {
            rc = tf__fail(ctx, TF_ESYS, "output index '%s': %s", ixpath,
                          strerror(ixfd < 0 ? errno : e));
            goto out;
        }
        /* the data file is truncated below: the index says it holds nothing */
        if (truncate(path, 0) < 0 && errno != ENOENT) {
            rc = tf__fail(ctx, TF_ESYS, "output '%s': truncate: %s", path, strerror(errno));
            goto out;
        }
    }
    if (lseek(ixfd, 0, SEEK_END) < 0 || (e = sync_fd(ixfd, o)) != 0) {
        rc = tf__fail(ctx, TF_ESYS, "output index '%s': %s", ixpath, strerror(errno));
        goto out;
    }
    tf_output_opts oo = *o;
    oo.append = 1; /* cut to the index's length above; the records go after it */
    tf_output *w = NULL;
    rc = tf__out_open(os, path, TF_OUTPUT_ORDERED, &oo, &w);
    if (rc < 0) goto out;
    pthread_mutex_lock(&w->lock);
    w->ixfd = ixfd;
    w->off = end;
    w->next_pos = w->used_end = k;
    pthread_mutex_unlock(&w->lock);
    ixfd = -1;
    *done = k;
    *failed = nfail;
    *out = w;
out:
    if (ixfd >= 0) close(ixfd);
    tf__free(ents);
    tf__free(ixpath);
    return rc;
}
