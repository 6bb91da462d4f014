/* files.c - task input files (see files.h for which thread does what).
 *
 * The service thread reads a file in slices of SLICE bytes, one a loop
 * turn, so that a rank's messages keep moving while a large or cold file
 * comes in; when it starts on a file it also opens the next few and tells
 * the kernel it will need them (POSIX_FADV_WILLNEED), so the disk works on
 * them while this one is read and the current task computes. It copies
 * only COPY_AHEAD file past the one the main thread is on: on a warm page
 * cache the copy is CPU work either thread would do, and a copy made long
 * before its task only pushes the current task's data out of the caches
 * (measured: no gain from 2 or more, cold or warm). */
#include "system/files.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/timeline.h"

#define SLICE ((size_t)512 * 1024)
#define HINT_AHEAD 4                /* files past the one being read that the kernel is told of */
#define COPY_AHEAD 1                /* files copied past the one the main thread is on */
#define ZERO_MAX ((size_t)64 << 20) /* a file whose size says 0 (/proc) */

enum { F_QUEUED = 0, F_READING, F_DONE };

typedef struct fent {
    uint64_t job, index;
    char *path;
    char *data;
    size_t len, cap;
    size_t want; /* the size at open (a file that grows is read that far);
                    0: unknown (/proc), read to its end, at most ZERO_MAX */
    int fd;      /* opened ahead, or being read; -1 */
    int err;
    const char *what;
    int state;
} fent;

struct tf__files {
    tf__files_cfg cfg; /* read-only after create */
    pthread_mutex_t lock;
    fent *v;
    size_t cap;    /* a power of two */
    uint64_t head; /* seq of the oldest entry (the main thread's next) */
    uint64_t tail; /* seq one past the newest */
    uint64_t rd;   /* seq of the next entry the service thread reads */
    size_t loaded; /* bytes read (or being read) and not yet taken */
    bool waiting;  /* the main thread waits for the entry being read */
    /* service thread only: the read in progress (the entry at cur_seq) */
    bool reading;
    uint64_t cur_t0;
    uint64_t cur_seq;
};

static inline fent *at(struct tf__files *f, uint64_t seq) { return &f->v[seq & (f->cap - 1)]; }

int tf__files_create(const tf__files_cfg *cfg, struct tf__files **out)
{
    *out = NULL;
    struct tf__files *f = tf__calloc(1, sizeof *f);
    if (!f) return TF_ENOMEM;
    if (pthread_mutex_init(&f->lock, NULL)) {
        tf__free(f);
        return TF_ESYS;
    }
    f->cfg = *cfg;
    *out = f;
    return 0;
}

static void fent_clear(fent *e)
{
    tf__free(e->path);
    tf__free(e->data);
    if (e->fd >= 0) close(e->fd);
    memset(e, 0, sizeof *e);
    e->fd = -1;
}

void tf__files_reset(struct tf__files *f)
{
    if (!f) return;
    pthread_mutex_lock(&f->lock);
    for (uint64_t s = f->head; s < f->tail; s++) fent_clear(at(f, s));
    f->head = f->tail = f->rd = 0;
    f->loaded = 0;
    f->waiting = false;
    f->reading = false;
    pthread_mutex_unlock(&f->lock);
}

void tf__files_destroy(struct tf__files *f)
{
    if (!f) return;
    tf__files_reset(f);
    pthread_mutex_destroy(&f->lock);
    tf__free(f->v);
    tf__free(f);
}

/* ---- the service thread ----------------------------------------------------- */

static char *dup_path(const char *s, size_t n)
{
    char *c = tf__malloc(n + 1);
    if (!c) return NULL;
    memcpy(c, s, n);
    c[n] = '\0';
    return c;
}

void tf__files_add(struct tf__files *f, const tf__item *it)
{
    if (!f || f->cfg.opts->no_file_prefetch || !it->file) return;
    pthread_mutex_lock(&f->lock);
    size_t need = (size_t)(f->tail - f->head) + it->count;
    if (need > f->cap) {
        size_t cap = f->cap ? f->cap : 64;
        while (cap < need) cap *= 2;
        fent *v = tf__malloc(cap * sizeof *v);
        if (!v) tf__fatal(f->cfg.ctx, "out of memory for input files");
        for (uint64_t s = f->head; s < f->tail; s++) v[s & (cap - 1)] = *at(f, s);
        tf__free(f->v);
        f->v = v;
        f->cap = cap;
    }
    size_t off = 0;
    for (uint32_t k = 0; k < it->count; k++) {
        size_t n;
        const char *s = tf__item_input(it, k, &off, &n);
        fent *e = at(f, f->tail++);
        memset(e, 0, sizeof *e);
        e->fd = -1;
        e->job = it->job;
        e->index = it->first_index + k;
        e->path = dup_path(s, n);
        if (!e->path) tf__fatal(f->cfg.ctx, "out of memory for input files");
    }
    pthread_mutex_unlock(&f->lock);
}

/* Opens e's file without blocking (a FIFO with no writer would hold the
 * service thread, and every message of this rank, forever): only regular
 * files are task inputs. */
static void open_ahead(fent *e)
{
    if (e->fd >= 0 || e->err) return;
    while ((e->fd = open(e->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY)) < 0 &&
           errno == EINTR) {
    }
    struct stat st;
    if (e->fd < 0) {
        e->err = errno;
        e->what = "open";
        return;
    }
    if (fstat(e->fd, &st) < 0) {
        e->err = errno;
        e->what = "fstat";
    } else if (!S_ISREG(st.st_mode)) {
        e->err = S_ISDIR(st.st_mode) ? EISDIR : EINVAL;
        e->what = "not a regular file";
    }
    if (e->err) {
        close(e->fd);
        e->fd = -1;
        return;
    }
    (void)posix_fadvise(e->fd, 0, 0, POSIX_FADV_WILLNEED);
}

/* Reads up to `slice` more bytes of e (any thread that owns e); 1 when the
 * file is complete (or failed). */
static int read_some(fent *e, size_t slice)
{
    if (e->err) return 1;
    if (e->fd < 0) {
        open_ahead(e);
        if (e->err) return 1;
    }
    if (!e->data) {
        struct stat st;
        if (fstat(e->fd, &st) < 0) {
            e->err = errno;
            e->what = "fstat";
            return 1;
        }
        e->want = st.st_size > 0 ? (size_t)st.st_size : 0;
        e->cap = st.st_size > 0 ? (size_t)st.st_size + 1 : 4096;
        e->data = tf__malloc(e->cap);
        if (!e->data) {
            e->err = ENOMEM;
            e->what = "malloc";
            return 1;
        }
    }
    size_t got = 0;
    while (got < slice) {
        if (e->want && e->len >= e->want) break; /* what it held at open */
        if (!e->want && e->len >= ZERO_MAX) {
            e->err = EFBIG;
            e->what = "read";
            return 1;
        }
        if (e->len == e->cap) { /* a file of unknown size */
            char *d = tf__realloc(e->data, e->cap * 2);
            if (!d) {
                e->err = ENOMEM;
                e->what = "realloc";
                return 1;
            }
            e->data = d;
            e->cap *= 2;
        }
        size_t want = e->cap - e->len;
        if (e->want && want > e->want - e->len) want = e->want - e->len;
        if (want > slice - got) want = slice - got;
        ssize_t r = read(e->fd, e->data + e->len, want);
        if (r < 0) {
            if (errno == EINTR) continue;
            e->err = errno;
            e->what = "read";
            return 1;
        }
        if (r == 0) {
            close(e->fd);
            e->fd = -1;
            return 1;
        }
        e->len += (size_t)r;
        got += (size_t)r;
    }
    if (e->want && e->len >= e->want) {
        close(e->fd);
        e->fd = -1;
        return 1;
    }
    return 0;
}

int tf__files_step(struct tf__files *f)
{
    if (!f || f->cfg.opts->no_file_prefetch) return 0;
    if (!f->reading) {
        pthread_mutex_lock(&f->lock);
        if (f->rd < f->head) f->rd = f->head;
        while (f->rd < f->tail && at(f, f->rd)->state != F_QUEUED) f->rd++;
        /* copied ahead: COPY_AHEAD files past the one the main thread is
         * on, within the byte budget; the disk works further ahead on the
         * kernel's hints (a copy made long before its task only pushes the
         * current task's data out of the caches) */
        bool go = f->rd < f->tail &&
                  (f->rd == f->head ||
                   (f->rd - f->head <= COPY_AHEAD && f->loaded < f->cfg.opts->file_prefetch_bytes));
        if (go) {
            at(f, f->rd)->state = F_READING;
            f->reading = true;
            f->cur_seq = f->rd++;
            f->cur_t0 = tf__now_ns();
            /* the kernel reads the next files while we read this one: a
             * deeper queue for the disk than one read at a time */
            for (uint64_t s = f->rd; s < f->tail && s < f->rd + HINT_AHEAD; s++)
                if (at(f, s)->state == F_QUEUED) open_ahead(at(f, s));
        }
        pthread_mutex_unlock(&f->lock);
        if (!f->reading) return 0;
    }
    /* the entry is ours (F_READING) until marked done; only this thread
     * moves the array (tf__files_add), so it is copied out, read into
     * without the lock, and put back */
    fent local = *at(f, f->cur_seq);
    int done = read_some(&local, SLICE);
    pthread_mutex_lock(&f->lock);
    fent *e = at(f, f->cur_seq);
    size_t before = e->len;
    *e = local;
    f->loaded += e->len - before;
    bool wake = false;
    if (done) {
        e->state = F_DONE;
        f->reading = false;
        wake = f->waiting;
    }
    pthread_mutex_unlock(&f->lock);
    struct tf__trace *tr = f->cfg.trace ? *f->cfg.trace : NULL;
    if (done && tr) tf__trace_span(tr, TF__TR_SVC, TF__TR_READ, f->cur_t0, tf__now_ns(), local.len);
    if (wake) tf__waiter_wake(f->cfg.main_w);
    return 1;
}

/* ---- the main thread ---------------------------------------------------------- */

static void read_whole(fent *e)
{
    while (!read_some(e, (size_t)1 << 30)) {
    }
}

static void hand_out(fent *e, tf__fin *out)
{
    out->data = e->data;
    out->len = e->len;
    out->path = e->path;
    out->err = e->err;
    out->what = e->what;
    if (e->fd >= 0) close(e->fd);
    e->data = NULL;
    e->path = NULL;
    e->fd = -1;
    if (out->err) {
        tf__free(out->data);
        out->data = NULL;
        out->len = 0;
    }
}

void tf__files_get(struct tf__files *f, const tf__item *it, uint32_t k, const char *path,
                   size_t plen, tf__fin *out)
{
    const tf_pool_opts *opts = f->cfg.opts;
    uint64_t t0 = tf__now_ns();
    memset(out, 0, sizeof *out);
    fent mine = {0};
    mine.fd = -1;
    bool ahead = false, found = false;
    if (!opts->no_file_prefetch) {
        uint64_t spin = (uint64_t)opts->spin_us * 1000u;
        pthread_mutex_lock(&f->lock);
        uint64_t want = it->first_index + k, s = f->head;
        while (s < f->tail && !(at(f, s)->job == it->job && at(f, s)->index == want)) s++;
        /* entries queued before this task and never asked for (none, as the
         * queue and the main thread's order agree) would block read-ahead:
         * dropped, unless the service thread is reading one */
        if (s < f->tail)
            for (; f->head < s && at(f, f->head)->state != F_READING; f->head++) {
                f->loaded -= at(f, f->head)->state == F_DONE ? at(f, f->head)->len : 0;
                fent_clear(at(f, f->head));
            }
        fent *e = f->head < f->tail ? at(f, f->head) : NULL;
        if (e && e->job == it->job && e->index == want) {
            found = true;
            while (e->state == F_READING) {
                f->waiting = true;
                pthread_mutex_unlock(&f->lock);
                tf__waiter_wait(f->cfg.main_w, opts->wait, spin, 1000000u);
                pthread_mutex_lock(&f->lock);
                e = at(f, f->head);
            }
            f->waiting = false;
            if (e->state == F_DONE) {
                ahead = true;
                f->loaded -= e->len;
                hand_out(e, out);
            } else { /* not started: read it here */
                mine = *e;
                e->path = NULL;
                e->fd = -1;
            }
            fent_clear(e);
            f->head++;
        }
        pthread_mutex_unlock(&f->lock);
    }
    if (!ahead) {
        if (!found) {
            mine.path = dup_path(path, plen);
            if (!mine.path) tf__fatal(f->cfg.ctx, "out of memory");
        }
        read_whole(&mine);
        hand_out(&mine, out);
    }
    uint64_t t1 = tf__now_ns();
    tf_stats *st = f->cfg.st;
    st->io_wait_s += (double)(t1 - t0) * 1e-9;
    st->files_read++;
    st->files_ahead += ahead;
    st->file_bytes += out->len;
    struct tf__trace *tr = f->cfg.trace ? *f->cfg.trace : NULL;
    if (tr) tf__trace_span(tr, TF__TR_MAIN, TF__TR_WAIT_IO, t0, t1, out->len);
}

void tf__files_release(tf__fin *in)
{
    tf__free(in->data);
    tf__free(in->path);
    memset(in, 0, sizeof *in);
}
