/* buf.c - growable byte buffers and reference-counted blocks. */
#include "core/buf.h"

#include <stdlib.h>

#include "core/alloc.h"

/* The slow path of tf__buf_room: grows the buffer by doubling. */
void *tf__buf_grow(tf__buf *b, size_t n)
{
    if (n > TF__MAX_MSG || b->len > TF__MAX_MSG - n) return NULL;
    size_t need = b->len + n;
    if (need > b->cap || !b->p) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < need) cap *= 2;
        if (cap > TF__MAX_MSG) cap = TF__MAX_MSG;
        char *p = tf__realloc(b->p, cap);
        if (!p) return NULL;
        b->p = p;
        b->cap = cap;
    }
    return b->p + b->len;
}

void tf__buf_free(tf__buf *b)
{
    tf__free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

tf__rbuf *tf__rbuf_wrap(char *data, size_t len)
{
    tf__rbuf *b = tf__malloc(sizeof *b);
    if (!b) {
        tf__free(data);
        return NULL;
    }
    atomic_init(&b->ref, 1);
    b->len = len;
    b->data = data;
    return b;
}

tf__rbuf *tf__rbuf_new(size_t len)
{
    char *d = tf__malloc(len ? len : 1);
    if (!d) return NULL;
    return tf__rbuf_wrap(d, len);
}

void tf__rbuf_unref(tf__rbuf *b)
{
    if (b && atomic_fetch_sub_explicit(&b->ref, 1, memory_order_acq_rel) == 1) {
        tf__free(b->data);
        tf__free(b);
    }
}
