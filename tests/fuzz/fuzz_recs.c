/* fuzz_recs.c - result records (core/recs.c) built from a RESULT record's
 * bytes as the coordinator folds one in: tf__rec_make must refuse a
 * malformed record, and every output and failure of one it accepts must
 * then be readable inside the record. Several records of one message go into
 * one tf__recs, which is then searched for every index near them.
 * Input: RESULT records one after the other (msg.h), the kind byte of each
 * included. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/recs.h"

static volatile unsigned char sink;

static void read_all(tf__rec *rec, const char *data, size_t data_len)
{
    uint32_t n = rec->count < 4096 ? rec->count : 4096;
    for (uint32_t k = 0; k < n; k++) {
        const char *p;
        size_t len;
        int st = tf__rec_get(rec, k, &p, &len);
        if (!p) continue; /* out of memory for the offsets */
        if (st > 0 || p < data || len > data_len || (size_t)(p - data) > data_len - len) abort();
        if (st < 0 && p[len] != '\0') abort(); /* a failure's message, NUL-terminated */
        if (len) sink ^= (unsigned char)(p[0] ^ p[len - 1]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
    tf__rd r;
    tf__rd_init(&r, bytes, size);
    tf__recs rs = {0};
    uint64_t lo = UINT64_MAX, hi = 0;
    for (int nrec = 0; tf__rd_left(&r) && nrec < 64; nrec++) {
        if (tf__rd_u8(&r) != TF__R_RESULT) break;
        tf__result_hdr rh;
        tf__msg_get_result_hdr(&r, &rh);
        const char *lens = tf__rd_take(&r, 4 * (size_t)rh.count);
        if (!lens) break;
        size_t total = tf__rec_total(lens, rh.count);
        const char *data = tf__rd_take(&r, total);
        const char *fails = tf__rd_take(&r, (size_t)rh.nfail * TF__FAIL_LEN);
        if (!data || !fails || rh.nfail > rh.count) break;
        tf__rec rec;
        if (tf__rec_make(&rec, rh.first_index, rh.count, rh.nfail, lens, data, total, fails) < 0)
            continue;
        read_all(&rec, data, total);
        if (tf__recs_add(&rs, &rec) < 0) {
            free(rec.offs);
            break;
        }
        if (rh.first_index < lo) lo = rh.first_index;
        if (rh.first_index + rh.count > hi) hi = rh.first_index + rh.count;
    }
    /* lookups around every record, in order and back */
    for (uint64_t i = lo; rs.n && i <= hi && i - lo < 512; i++) {
        tf__rec *f = tf__recs_find(&rs, i);
        if (f && (i < f->first || i - f->first >= f->count)) abort();
    }
    for (uint64_t i = hi; rs.n && i >= lo && hi - i < 64; i--) {
        tf__rec *f = tf__recs_find(&rs, i);
        if (f && (i < f->first || i - f->first >= f->count)) abort();
        if (i == 0) break;
    }
    tf__recs_free(&rs);
    return 0;
}
