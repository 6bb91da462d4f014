/* msg.c - encoding and decoding of the records in msg.h. */
#include "core/msg.h"

#include <string.h>

#define PUT(dst, v)                     \
    do {                                \
        memcpy((dst), &(v), sizeof(v)); \
        (dst) += sizeof(v);             \
    } while (0)

void tf__msg_put_rhdr(char *dst, const tf__rhdr *h)
{
    uint8_t t = TF__MSG_RESULTS;
    PUT(dst, t);
    PUT(dst, h->spawned);
    PUT(dst, h->spawn_ok);
    PUT(dst, h->qlen);
    PUT(dst, h->flags);
}

void tf__msg_get_rhdr(tf__rd *r, tf__rhdr *h)
{
    (void)tf__rd_u8(r);
    h->spawned = tf__rd_u64(r);
    h->spawn_ok = tf__rd_u64(r);
    h->qlen = tf__rd_u64(r);
    h->flags = tf__rd_u32(r);
}

int tf__msg_put_def(tf__buf *b, uint32_t gid, const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n > 255) return -1;
    char *p = tf__buf_room(b, 1 + 4 + 1 + n);
    if (!p) return -1;
    uint8_t k = TF__R_DEF, l = (uint8_t)n;
    PUT(p, k);
    PUT(p, gid);
    PUT(p, l);
    memcpy(p, name, n);
    b->len += 1 + 4 + 1 + n;
    return 0;
}

int tf__msg_put_chunk(tf__buf *b, const tf__item *it, int allow_bulk, const char **bulk_ptr,
                      size_t *bulk_len)
{
    *bulk_len = 0;
    *bulk_ptr = NULL;
    uint8_t layout = it->layout == TF__FIXED ? TF__FIXED : TF__PACKED;
    uint8_t lbyte = (uint8_t)(layout | (it->file ? TF__LAYOUT_FILE : 0));
    size_t total = 0, lens_len = 0;
    if (layout == TF__FIXED) {
        if (it->elem && it->count > TF__MAX_MSG / it->elem) return -1;
        total = it->elem * it->count;
    } else {
        lens_len = 8 * (size_t)it->count;
        size_t off = 0;
        for (uint32_t k = 0; k < it->count; k++) {
            size_t l;
            (void)tf__item_input(it, k, &off, &l);
            if (l > TF__MAX_MSG - total) return -1;
            total += l;
        }
    }
    uint8_t bulk = allow_bulk && layout == TF__FIXED && total >= TF__BULK_MIN;
    /* a spawned task (job 0) carries its function's name, NUL included */
    size_t namelen = it->job == 0 ? strlen(it->fname) + 1 : 0;
    if (it->job == 0 && (namelen < 2 || namelen > 255)) return -1;
    size_t hdr = 1 + 8 + 8 + 8 + 4 + 4 + 1 + 1 + (layout == TF__FIXED ? 8 : 0) +
                 (it->job == 0 ? 1 + namelen : 0);
    size_t need = hdr + lens_len + (bulk ? 0 : total);
    char *p = tf__buf_room(b, need);
    if (!p) return -1;
    uint8_t k = TF__R_CHUNK;
    PUT(p, k);
    PUT(p, it->job);
    PUT(p, it->first_index);
    PUT(p, it->first_id);
    PUT(p, it->gid);
    PUT(p, it->count);
    PUT(p, lbyte);
    PUT(p, bulk);
    if (it->job == 0) {
        uint8_t nl = (uint8_t)namelen;
        PUT(p, nl);
        memcpy(p, it->fname, namelen);
        p += namelen;
    }
    if (layout == TF__FIXED) {
        uint64_t e = it->elem;
        PUT(p, e);
        if (bulk) {
            *bulk_ptr = it->data;
            *bulk_len = total;
        } else if (total) {
            memcpy(p, it->data, total);
        }
    } else {
        char *lens = p, *data = p + lens_len;
        size_t off = 0;
        for (uint32_t i = 0; i < it->count; i++) {
            size_t l;
            const char *src = tf__item_input(it, i, &off, &l);
            uint64_t l64 = l;
            memcpy(lens + 8 * (size_t)i, &l64, 8);
            if (l) memcpy(data, src, l);
            data += l;
        }
    }
    b->len += need;
    return 0;
}

int tf__msg_get_chunk(tf__rd *r, tf__item *it, size_t *bulk_len)
{
    memset(it, 0, sizeof *it);
    *bulk_len = 0;
    it->job = tf__rd_u64(r);
    it->first_index = tf__rd_u64(r);
    it->first_id = tf__rd_u64(r);
    it->gid = tf__rd_u32(r);
    it->count = tf__rd_u32(r);
    uint8_t lbyte = tf__rd_u8(r);
    it->layout = lbyte & (uint8_t)~TF__LAYOUT_FILE;
    it->file = (lbyte & TF__LAYOUT_FILE) != 0;
    uint8_t bulk = tf__rd_u8(r);
    if (r->err || it->count == 0) return -1;
    if (it->job == 0) {
        uint8_t nl = tf__rd_u8(r);
        const char *name = tf__rd_take(r, nl);
        if (!name || nl < 2 || name[nl - 1] != '\0' || strlen(name) != (size_t)nl - 1) return -1;
        it->fname = name;
    }
    if (it->layout == TF__FIXED) {
        it->elem = tf__rd_u64(r);
        if (r->err || (it->elem && it->count > TF__MAX_MSG / it->elem)) return -1;
        size_t total = it->elem * it->count;
        if (bulk) {
            /* a sender announces only payloads this large: a smaller one
             * would leave the chunk with no data, neither here nor to come */
            if (total < TF__BULK_MIN) return -1;
            *bulk_len = total;
        } else {
            it->data = tf__rd_take(r, total);
        }
    } else if (it->layout == TF__PACKED && !bulk) {
        it->lens = tf__rd_take(r, 8 * (size_t)it->count);
        if (!it->lens) return -1;
        size_t total = 0;
        for (uint32_t k = 0; k < it->count; k++) {
            uint64_t l;
            memcpy(&l, it->lens + 8 * (size_t)k, 8);
            if (l > TF__MAX_MSG - total) return -1;
            total += l;
        }
        it->data = tf__rd_take(r, total);
    } else {
        return -1;
    }
    return r->err ? -1 : 0;
}

void tf__msg_put_result_hdr(char *dst, const tf__result_hdr *h)
{
    uint8_t k = TF__R_RESULT;
    PUT(dst, k);
    PUT(dst, h->job);
    PUT(dst, h->first_index);
    PUT(dst, h->first_id);
    PUT(dst, h->count);
    PUT(dst, h->nfail);
    PUT(dst, h->elapsed_ns);
}

void tf__msg_get_result_hdr(tf__rd *r, tf__result_hdr *h)
{
    h->job = tf__rd_u64(r);
    h->first_index = tf__rd_u64(r);
    h->first_id = tf__rd_u64(r);
    h->count = tf__rd_u32(r);
    h->nfail = tf__rd_u32(r);
    h->elapsed_ns = tf__rd_u64(r);
}
