/* buf.h - growable byte buffers and the reader/writer of the wire format.
 * Pure: no MPI, no threads. The wire format is the host's byte order
 * (a pool's ranks share one architecture, as MPI_BYTE messages assume). */
#ifndef TF_BUF_H
#define TF_BUF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The largest single message or payload (MPI counts are int). */
#define TF__MAX_MSG ((size_t)0x7ff00000u)

typedef struct tf__buf {
    char *p;
    size_t len, cap;
} tf__buf;

void *tf__buf_grow(tf__buf *b, size_t n);

/* Makes room for n more bytes; returns a pointer to them (not yet counted
 * in len) or NULL on out-of-memory or when len + n > TF__MAX_MSG. */
static inline void *tf__buf_room(tf__buf *b, size_t n)
{
    if (b->p && b->cap - b->len >= n) return b->p + b->len; /* cap <= TF__MAX_MSG */
    return tf__buf_grow(b, n);
}
/* Appends n bytes; 0 or -1 (out of memory / too big). */
static inline int tf__buf_put(tf__buf *b, const void *src, size_t n)
{
    if (n > TF__MAX_MSG) return -1;
    void *dst = tf__buf_room(b, n);
    if (!dst) return -1;
    if (n) memcpy(dst, src, n);
    b->len += n;
    return 0;
}
void tf__buf_free(tf__buf *b);

static inline int tf__buf_u8(tf__buf *b, uint8_t v) { return tf__buf_put(b, &v, 1); }
static inline int tf__buf_u32(tf__buf *b, uint32_t v) { return tf__buf_put(b, &v, 4); }
static inline int tf__buf_u64(tf__buf *b, uint64_t v) { return tf__buf_put(b, &v, 8); }

/* A reader over a received buffer; any short read sets err and yields 0. */
typedef struct tf__rd {
    const char *p, *end;
    bool err;
} tf__rd;

static inline void tf__rd_init(tf__rd *r, const void *p, size_t n)
{
    r->p = (const char *)p;
    r->end = r->p + n;
    r->err = false;
}
static inline size_t tf__rd_left(const tf__rd *r) { return (size_t)(r->end - r->p); }
/* Returns a pointer to the next n bytes and skips them, or NULL (err set). */
static inline const char *tf__rd_take(tf__rd *r, size_t n)
{
    if (r->err || tf__rd_left(r) < n) {
        r->err = true;
        return NULL;
    }
    const char *q = r->p;
    r->p += n;
    return q;
}
static inline uint8_t tf__rd_u8(tf__rd *r)
{
    const char *q = tf__rd_take(r, 1);
    return q ? (uint8_t)*q : 0;
}
static inline uint32_t tf__rd_u32(tf__rd *r)
{
    uint32_t v = 0;
    const char *q = tf__rd_take(r, 4);
    if (q) memcpy(&v, q, 4);
    return v;
}
static inline uint64_t tf__rd_u64(tf__rd *r)
{
    uint64_t v = 0;
    const char *q = tf__rd_take(r, 8);
    if (q) memcpy(&v, q, 8);
    return v;
}

/* A reference-counted block of bytes: a received message or a handed-over
 * output buffer. Results and task inputs point into it; the last unref frees
 * it. Refcounts are atomic because the block moves between threads. */
typedef struct tf__rbuf {
    atomic_int ref;
    size_t len;
    char *data;
} tf__rbuf;

/* Takes ownership of data (malloc'd) and its length; ref = 1. NULL on OOM
 * (data is then freed). */
tf__rbuf *tf__rbuf_wrap(char *data, size_t len);
/* A new block of len bytes (uninitialized); ref = 1. */
tf__rbuf *tf__rbuf_new(size_t len);
static inline tf__rbuf *tf__rbuf_ref(tf__rbuf *b)
{
    if (b) atomic_fetch_add_explicit(&b->ref, 1, memory_order_relaxed);
    return b;
}
void tf__rbuf_unref(tf__rbuf *b);

#endif
