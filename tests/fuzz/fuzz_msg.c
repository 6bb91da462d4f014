/* fuzz_msg.c - the message decoder (core/msg.c) on bytes as they would
 * arrive from another rank: a TASKS, RESULTS or LOOT message walked record by
 * record the way the worker, the relay and the coordinator walk them, every
 * decoded task input read to its last byte. The decoders must refuse what is
 * malformed (their -1, or the reader's err) and never read outside the
 * message; the callers turn a refusal into tf__fatal, which is not reached
 * here. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"

static volatile unsigned char sink;

/* Reads every input of a decoded chunk, as a task function would. */
static void touch_inputs(const tf__item *it)
{
    size_t off = 0;
    unsigned char acc = 0;
    uint32_t n = it->count < 4096 ? it->count : 4096;
    for (uint32_t k = 0; k < n; k++) {
        size_t len;
        const char *p = tf__item_input(it, k, &off, &len);
        if (len) acc ^= (unsigned char)(p[0] ^ p[len - 1]);
    }
    if (it->fname) acc ^= (unsigned char)strlen(it->fname);
    sink = acc;
}

/* A CHUNK record after its kind byte; 0 or -1 (refused). */
static int chunk(tf__rd *r)
{
    tf__item it;
    size_t bulk;
    if (tf__msg_get_chunk(r, &it, &bulk) < 0) return -1;
    if (it.count == 0 || (it.layout != TF__FIXED && it.layout != TF__PACKED)) abort();
    if (bulk) {
        /* the payload comes as its own message: stand in one of that size */
        if (bulk > ((size_t)1 << 20)) return 0;
        char *b = calloc(1, bulk);
        if (!b) return 0;
        it.data = b;
        touch_inputs(&it);
        free(b);
        return 0;
    }
    touch_inputs(&it);
    return 0;
}

/* A RESULT record after its kind byte, skipped as the relay skips it. */
static int result(tf__rd *r)
{
    tf__result_hdr rh;
    tf__msg_get_result_hdr(r, &rh);
    const char *lens = tf__rd_take(r, 4 * (size_t)rh.count);
    if (!lens || rh.nfail > rh.count || rh.count == 0) return -1;
    size_t total = 0;
    for (uint32_t k = 0; k < rh.count; k++) {
        uint32_t l;
        memcpy(&l, lens + 4 * (size_t)k, 4);
        total += l;
    }
    if (!tf__rd_take(r, total) || !tf__rd_take(r, (size_t)rh.nfail * TF__FAIL_LEN)) return -1;
    return 0;
}

static void tasks(tf__rd *r)
{
    while (tf__rd_left(r)) {
        uint8_t kind = tf__rd_u8(r);
        if (kind == TF__R_DEF) {
            (void)tf__rd_u32(r);
            uint8_t nl = tf__rd_u8(r);
            const char *name = tf__rd_take(r, nl);
            if (!name || nl == 0) return;
            sink = (unsigned char)name[nl - 1];
        } else if (kind == TF__R_CHUNK) {
            if (chunk(r) < 0) return;
        } else if (kind == TF__R_SHARE) {
        } else if (kind == TF__R_STOP) {
            (void)tf__rd_u32(r);
        } else {
            return;
        }
        if (r->err) return;
    }
}

static void results(tf__rd *r)
{
    tf__rhdr h;
    tf__msg_get_rhdr(r, &h);
    if (r->err) return;
    while (tf__rd_left(r)) {
        uint8_t kind = tf__rd_u8(r);
        if (kind == TF__R_RESULT) {
            if (result(r) < 0) return;
        } else if (kind == TF__R_CHUNK) {
            if (chunk(r) < 0) return;
        } else {
            return;
        }
    }
}

static void loot(tf__rd *r)
{
    (void)tf__rd_u8(r);
    uint8_t flags = tf__rd_u8(r);
    if (r->err || !(flags & (TF__LOOT_REPLY | TF__LOOT_PUSH))) return;
    while (tf__rd_left(r))
        if (tf__rd_u8(r) != TF__R_CHUNK || chunk(r) < 0) return;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) return 0;
    tf__rd r;
    tf__rd_init(&r, data, size);
    switch (data[0]) {
    case TF__MSG_TASKS: (void)tf__rd_u8(&r), tasks(&r); break;
    case TF__MSG_RESULTS: results(&r); break;
    case TF__MSG_LOOT: loot(&r); break;
    default: break;
    }
    /* the reader never runs past the end, whatever happened */
    if (r.p > r.end) abort();
    return 0;
}
