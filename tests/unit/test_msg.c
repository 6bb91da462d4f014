/* test_msg.c - the wire records: DEF, CHUNK, RESULTS and RESULT headers.
 *
 * Decoding always runs over an exactly sized heap copy of the record, so an
 * AddressSanitizer build reports any read past its end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "taskfarm.h"
#include "unit.h"

/* Byte offsets in a CHUNK record after its kind byte, as msg.c writes it:
 * job u64, first_index u64, first_id u64, gid u32, count u32, layout u8,
 * bulk u8, [job 0: name length u8, name with NUL], [FIXED: elem u64], data. */
enum { OFF_JOB = 0, OFF_COUNT = 28, OFF_LAYOUT = 32, OFF_BULK = 33, OFF_REST = 34 };

static unsigned char pattern(size_t i, unsigned seed)
{
    return (unsigned char)(i * 7u + seed * 13u + (i >> 9));
}

static char *filled(size_t n, unsigned seed)
{
    char *p = malloc(n ? n : 1);
    if (p)
        for (size_t i = 0; i < n; i++) p[i] = (char)pattern(i, seed);
    return p;
}

static tf__item base_item(uint64_t job, uint32_t count)
{
    tf__item it;
    memset(&it, 0, sizeof it);
    it.job = job;
    it.first_index = 1000 + job;
    it.first_id = 0x1122334455667788ull;
    it.gid = 0xa5a5a5a5u;
    it.count = count;
    return it;
}

/* The record after its kind byte, as an exactly sized heap copy. */
static char *copy_record(const tf__buf *b, size_t at, size_t *len)
{
    *len = b->len - at - 1;
    char *p = malloc(*len ? *len : 1);
    if (p && *len) memcpy(p, b->p + at + 1, *len);
    return p;
}

/* Same inputs, in order, byte for byte. */
static int same_inputs(const tf__item *a, const tf__item *b)
{
    if (a->count != b->count) return 0;
    size_t oa = 0, ob = 0;
    for (uint32_t k = 0; k < a->count; k++) {
        size_t la, lb;
        const char *pa = tf__item_input(a, k, &oa, &la);
        const char *pb = tf__item_input(b, k, &ob, &lb);
        if (la != lb || !pa || !pb) return 0;
        if (la && memcmp(pa, pb, la) != 0) return 0;
    }
    return 1;
}

/* Encodes it, checks the kind byte, decodes the exact-size copy and checks
 * the header fields; returns the copy (the decoded item points into it). */
static char *round_trip(const tf__item *it, int allow_bulk, tf__item *out, size_t *rec_len,
                        const char **bulk_ptr, size_t *bulk_len, size_t *dec_bulk_len)
{
    tf__buf b = {0};
    CU_ASSERT_EQUAL_FATAL(tf__buf_u8(&b, 0xee), 0); /* not at offset 0 */
    int rc = tf__msg_put_chunk(&b, it, allow_bulk, bulk_ptr, bulk_len);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL((unsigned char)b.p[0], 0xee);
    CU_ASSERT_EQUAL((unsigned char)b.p[1], TF__R_CHUNK);
    char *rec = copy_record(&b, 1, rec_len);
    tf__buf_free(&b);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rec);
    tf__rd r;
    tf__rd_init(&r, rec, *rec_len);
    rc = tf__msg_get_chunk(&r, out, dec_bulk_len);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_FALSE(r.err);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0); /* the record is read exactly */
    CU_ASSERT_EQUAL(out->job, it->job);
    CU_ASSERT_EQUAL(out->first_index, it->first_index);
    CU_ASSERT_EQUAL(out->first_id, it->first_id);
    CU_ASSERT_EQUAL(out->gid, it->gid);
    CU_ASSERT_EQUAL(out->count, it->count);
    CU_ASSERT_PTR_NULL(out->owner);
    CU_ASSERT_PTR_NULL(out->fn);
    if (it->job == 0) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(out->fname);
        CU_ASSERT_STRING_EQUAL(out->fname, it->fname);
        CU_ASSERT_TRUE(out->fname > rec && out->fname < rec + *rec_len);
    } else {
        CU_ASSERT_PTR_NULL(out->fname);
    }
    return rec;
}

/* Every shorter prefix of the record fails to decode. */
static size_t truncations_accepted(const tf__item *it, int allow_bulk)
{
    tf__buf b = {0};
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(&b, it, allow_bulk, &bp, &bl), 0);
    size_t full = b.len - 1, accepted = 0;
    for (size_t cut = 0; cut < full; cut++) {
        char *p = malloc(cut ? cut : 1);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        memcpy(p, b.p + 1, cut);
        tf__rd r;
        tf__rd_init(&r, p, cut);
        tf__item out;
        size_t bulk;
        accepted += tf__msg_get_chunk(&r, &out, &bulk) != -1;
        free(p);
    }
    /* and the whole record decodes */
    tf__rd r;
    tf__rd_init(&r, b.p + 1, full);
    tf__item out;
    size_t bulk;
    CU_ASSERT_EQUAL(tf__msg_get_chunk(&r, &out, &bulk), 0);
    tf__buf_free(&b);
    return accepted;
}

static void test_def(void)
{
    tf__buf b = {0};
    char n63[64];
    memset(n63, 'q', 63);
    n63[63] = '\0';
    CU_ASSERT_EQUAL(tf__msg_put_def(&b, 7, "square"), 0);
    CU_ASSERT_EQUAL(b.len, 1 + 4 + 1 + 6);
    CU_ASSERT_EQUAL(tf__msg_put_def(&b, UINT32_MAX, n63), 0);
    CU_ASSERT_EQUAL(tf__msg_put_def(&b, 0, "x"), 0);
    CU_ASSERT_EQUAL(b.len, 12 + (6 + 63) + (6 + 1));

    char *copy = malloc(b.len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, b.p, b.len);
    tf__rd r;
    tf__rd_init(&r, copy, b.len);
    const struct {
        uint32_t gid;
        const char *name;
    } want[] = {{7, "square"}, {UINT32_MAX, n63}, {0, "x"}};
    for (size_t i = 0; i < 3; i++) {
        CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__R_DEF);
        CU_ASSERT_EQUAL(tf__rd_u32(&r), want[i].gid);
        uint8_t l = tf__rd_u8(&r);
        CU_ASSERT_EQUAL(l, strlen(want[i].name));
        const char *name = tf__rd_take(&r, l); /* no NUL on the wire */
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        CU_ASSERT_EQUAL(memcmp(name, want[i].name, l), 0);
    }
    CU_ASSERT_FALSE(r.err);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0);
    free(copy);
    tf__buf_free(&b);
}

/* The CHUNK wire format, read field by field. */
static void test_chunk_layout(void)
{
    const char data[6] = {1, 2, 3, 4, 5, 6};
    tf__item it = base_item(9, 3);
    it.layout = TF__FIXED;
    it.elem = 2;
    it.data = data;
    tf__buf b = {0};
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(&b, &it, 1, &bp, &bl), 0);
    CU_ASSERT_EQUAL(b.len, 1 + OFF_REST + 8 + 6);
    tf__rd r;
    tf__rd_init(&r, b.p, b.len);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__R_CHUNK);
    CU_ASSERT_EQUAL(tf__rd_u64(&r), 9);
    CU_ASSERT_EQUAL(tf__rd_u64(&r), it.first_index);
    CU_ASSERT_EQUAL(tf__rd_u64(&r), it.first_id);
    CU_ASSERT_EQUAL(tf__rd_u32(&r), it.gid);
    CU_ASSERT_EQUAL(tf__rd_left(&r), b.len - 1 - OFF_COUNT);
    CU_ASSERT_EQUAL(tf__rd_u32(&r), 3);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__FIXED);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), 0); /* not bulk */
    CU_ASSERT_EQUAL(tf__rd_u64(&r), 2);
    const char *d = tf__rd_take(&r, 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(memcmp(d, data, 6), 0);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0);
    tf__buf_free(&b);

    /* PACKED: u64 lengths, then the bytes */
    const void *vin[2] = {"ab", "cde"};
    const size_t vlen[2] = {2, 3};
    it.layout = TF__VECTOR;
    it.count = 2;
    it.vin = vin;
    it.vlen = vlen;
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(&b, &it, 1, &bp, &bl), 0);
    tf__rd_init(&r, b.p + 1 + OFF_COUNT, b.len - 1 - OFF_COUNT);
    CU_ASSERT_EQUAL(tf__rd_u32(&r), 2);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__PACKED);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), 0);
    CU_ASSERT_EQUAL(tf__rd_u64(&r), 2);
    CU_ASSERT_EQUAL(tf__rd_u64(&r), 3);
    d = tf__rd_take(&r, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL(memcmp(d, "abcde", 5), 0);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0);
    tf__buf_free(&b);
}

static void test_chunk_fixed_small(void)
{
    char *data = filled(80, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    tf__item it = base_item(3, 10), out;
    it.layout = TF__FIXED;
    it.elem = 8;
    it.data = data;
    const char *bp = data;
    size_t bl = 99, dbl = 99, len;
    char *rec = round_trip(&it, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(bl, 0);
    CU_ASSERT_PTR_NULL(bp);
    CU_ASSERT_EQUAL(dbl, 0);
    CU_ASSERT_EQUAL(out.layout, TF__FIXED);
    CU_ASSERT_EQUAL(out.elem, 8);
    CU_ASSERT_TRUE(out.data >= rec && out.data + 80 <= rec + len); /* in the message */
    CU_ASSERT_TRUE(same_inputs(&it, &out));
    free(rec);

    /* one task */
    it.count = 1;
    it.elem = 5;
    rec = round_trip(&it, 0, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_TRUE(same_inputs(&it, &out));
    CU_ASSERT_EQUAL(memcmp(out.data, data, 5), 0);
    free(rec);
    free(data);
}

static void test_chunk_fixed_bulk(void)
{
    size_t elem = 1024, count = TF__BULK_MIN / 1024; /* exactly TF__BULK_MIN */
    char *data = filled(TF__BULK_MIN, 2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    tf__item it = base_item(4, (uint32_t)count), out;
    it.layout = TF__FIXED;
    it.elem = elem;
    it.data = data;

    tf__buf b = {0};
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(&b, &it, 1, &bp, &bl), 0);
    CU_ASSERT_PTR_EQUAL(bp, data); /* sent from the caller's memory */
    CU_ASSERT_EQUAL(bl, TF__BULK_MIN);
    CU_ASSERT_EQUAL(b.len, 1 + OFF_REST + 8); /* the bytes are not copied */
    CU_ASSERT_EQUAL((unsigned char)b.p[1 + OFF_BULK], 1);
    tf__buf_free(&b);

    size_t len, dbl = 0;
    char *rec = round_trip(&it, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(dbl, TF__BULK_MIN);
    CU_ASSERT_EQUAL(out.layout, TF__FIXED);
    CU_ASSERT_EQUAL(out.elem, elem);
    CU_ASSERT_PTR_NULL(out.data); /* the receiver fills it in */
    out.data = bp;                /* as if the bulk message landed there */
    CU_ASSERT_TRUE(same_inputs(&it, &out));
    free(rec);

    /* one byte short of TF__BULK_MIN stays inline */
    it.elem = 1;
    it.count = (uint32_t)(TF__BULK_MIN - 1);
    rec = round_trip(&it, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(bl, 0);
    CU_ASSERT_PTR_NULL(bp);
    CU_ASSERT_EQUAL(dbl, 0);
    CU_ASSERT_EQUAL(len, OFF_REST + 8 + TF__BULK_MIN - 1);
    CU_ASSERT_TRUE(same_inputs(&it, &out));
    free(rec);

    /* bulk not allowed: inline, whatever the size */
    it.elem = elem;
    it.count = (uint32_t)count;
    rec = round_trip(&it, 0, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(bl, 0);
    CU_ASSERT_EQUAL(dbl, 0);
    CU_ASSERT_PTR_NOT_NULL(out.data);
    CU_ASSERT_TRUE(same_inputs(&it, &out));
    free(rec);
    free(data);
}

/* The largest FIXED payload goes as bulk (the record stays small); inline it
 * is refused without allocating. */
static void test_chunk_limits(void)
{
    static const char dummy[16];
    tf__item it = base_item(5, 1);
    it.layout = TF__FIXED;
    it.elem = TF__MAX_MSG;
    it.data = dummy; /* never read: bulk bytes are not touched */
    tf__buf b = {0};
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &it, 1, &bp, &bl), 0);
    CU_ASSERT_PTR_EQUAL(bp, dummy);
    CU_ASSERT_EQUAL(bl, TF__MAX_MSG);
    size_t len = b.len;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &it, 0, &bp, &bl), -1);
    CU_ASSERT_EQUAL(b.len, len); /* nothing appended */
    CU_ASSERT_EQUAL(bl, 0);

    /* elem * count past the limit, and past size_t */
    it.elem = (size_t)1 << 20;
    it.count = 1u << 12;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &it, 1, &bp, &bl), -1);
    it.elem = SIZE_MAX / 2;
    it.count = 4;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &it, 1, &bp, &bl), -1);
    CU_ASSERT_EQUAL(b.len, len);

    /* inputs of different sizes that add up past the limit */
    const void *vin[3] = {dummy, dummy, dummy};
    const size_t vlen[3] = {TF__MAX_MSG, 1, 1};
    it.layout = TF__VECTOR;
    it.count = 3;
    it.vin = vin;
    it.vlen = vlen;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &it, 1, &bp, &bl), -1);
    const size_t vlen2[3] = {SIZE_MAX, SIZE_MAX, 1};
    it.vlen = vlen2;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &it, 1, &bp, &bl), -1);
    CU_ASSERT_EQUAL(b.len, len);

    /* a spawned task's name must fit its length byte (NUL included) */
    char name[300];
    memset(name, 'n', sizeof name);
    name[255] = '\0';
    tf__item sp = base_item(0, 1);
    sp.layout = TF__FIXED;
    sp.elem = 1;
    sp.data = dummy;
    sp.fname = name;
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &sp, 1, &bp, &bl), -1);
    CU_ASSERT_EQUAL(b.len, len);
    name[254] = '\0';
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &sp, 1, &bp, &bl), 0);
    tf__rd r;
    tf__rd_init(&r, b.p + len + 1, b.len - len - 1);
    tf__item out;
    size_t dbl;
    CU_ASSERT_EQUAL(tf__msg_get_chunk(&r, &out, &dbl), 0);
    CU_ASSERT_EQUAL(strlen(out.fname), 254);
    tf__buf_free(&b);
}

static void test_chunk_packed(void)
{
    const uint64_t l[7] = {3, 0, 1, 200, 0, 0, 17};
    char lens[7 * 8];
    memcpy(lens, l, sizeof lens);
    char *data = filled(221, 3);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    tf__item it = base_item(6, 7), out;
    it.layout = TF__PACKED;
    it.lens = lens;
    it.data = data;
    const char *bp;
    size_t bl, dbl, len;
    char *rec = round_trip(&it, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(bl, 0);
    CU_ASSERT_EQUAL(dbl, 0);
    CU_ASSERT_EQUAL(out.layout, TF__PACKED);
    CU_ASSERT_EQUAL(len, OFF_REST + 7 * 8 + 221);
    CU_ASSERT_TRUE(same_inputs(&it, &out));
    free(rec);
    free(data);
}

static void test_chunk_vector(void)
{
    char *big = filled(5000, 4);
    CU_ASSERT_PTR_NOT_NULL_FATAL(big);
    const void *vin[6] = {"hello", NULL, big, "", big + 10, "z"};
    const size_t vlen[6] = {5, 0, 5000, 0, 1, 1};
    tf__item it = base_item(7, 6), out;
    it.layout = TF__VECTOR;
    it.vin = vin;
    it.vlen = vlen;
    const char *bp;
    size_t bl, dbl, len;
    char *rec = round_trip(&it, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(out.layout, TF__PACKED); /* sent as PACKED */
    CU_ASSERT_EQUAL(bl, 0);
    CU_ASSERT_EQUAL(len, OFF_REST + 6 * 8 + 5007);
    CU_ASSERT_TRUE(same_inputs(&it, &out));
    free(rec);

    /* large VECTOR inputs are never bulk: only FIXED is contiguous */
    char *huge = filled(TF__BULK_MIN, 5);
    CU_ASSERT_PTR_NOT_NULL_FATAL(huge);
    const void *vin2[2] = {huge, huge + 1};
    const size_t vlen2[2] = {TF__BULK_MIN, TF__BULK_MIN - 1};
    it.count = 2;
    it.vin = vin2;
    it.vlen = vlen2;
    rec = round_trip(&it, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(bl, 0);
    CU_ASSERT_PTR_NULL(bp);
    CU_ASSERT_EQUAL(dbl, 0);
    CU_ASSERT_TRUE(same_inputs(&it, &out));
    free(rec);
    free(huge);
    free(big);
}

/* Zero-length inputs decode to length 0 with a non-NULL pointer. */
static void test_chunk_zero_length(void)
{
    const char *bp;
    size_t bl, dbl, len, off, l;
    tf__item out;

    tf__item f = base_item(8, 5);
    f.layout = TF__FIXED;
    f.elem = 0;
    f.data = "";
    char *rec = round_trip(&f, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(len, OFF_REST + 8);
    CU_ASSERT_EQUAL(out.elem, 0);
    CU_ASSERT_EQUAL(bl, 0);
    CU_ASSERT_EQUAL(dbl, 0);
    off = 0;
    for (uint32_t k = 0; k < 5; k++) {
        CU_ASSERT_PTR_NOT_NULL(tf__item_input(&out, k, &off, &l));
        CU_ASSERT_EQUAL(l, 0);
    }
    free(rec);

    char lens[3 * 8] = {0};
    tf__item p = base_item(8, 3);
    p.layout = TF__PACKED;
    p.lens = lens;
    p.data = "";
    rec = round_trip(&p, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(len, OFF_REST + 3 * 8);
    off = 0;
    for (uint32_t k = 0; k < 3; k++) {
        CU_ASSERT_PTR_NOT_NULL(tf__item_input(&out, k, &off, &l));
        CU_ASSERT_EQUAL(l, 0);
    }
    free(rec);

    const void *vin[2] = {NULL, NULL};
    const size_t vlen[2] = {0, 0};
    tf__item v = base_item(8, 2);
    v.layout = TF__VECTOR;
    v.vin = vin;
    v.vlen = vlen;
    rec = round_trip(&v, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(out.layout, TF__PACKED);
    off = 0;
    for (uint32_t k = 0; k < 2; k++) {
        CU_ASSERT_PTR_NOT_NULL(tf__item_input(&out, k, &off, &l));
        CU_ASSERT_EQUAL(l, 0);
    }
    free(rec);
}

/* A spawned task (job 0) carries its function's name. */
static void test_chunk_spawned(void)
{
    const char *bp;
    size_t bl, dbl, len;
    tf__item out;
    tf__item f = base_item(0, 1);
    f.layout = TF__FIXED;
    f.elem = 4;
    f.data = "abcd";
    f.fname = "child_fn";
    char *rec = round_trip(&f, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(len, OFF_REST + 1 + 9 + 8 + 4);
    CU_ASSERT_TRUE(same_inputs(&f, &out));
    free(rec);

    const void *vin[2] = {"xy", ""};
    const size_t vlen[2] = {2, 0};
    tf__item v = base_item(0, 2);
    v.layout = TF__VECTOR;
    v.vin = vin;
    v.vlen = vlen;
    v.fname = "v";
    rec = round_trip(&v, 1, &out, &len, &bp, &bl, &dbl);
    CU_ASSERT_EQUAL(out.layout, TF__PACKED);
    CU_ASSERT_TRUE(same_inputs(&v, &out));
    free(rec);
}

/* Several records in one message are read back in order. */
static void test_message_sequence(void)
{
    tf__buf b = {0};
    const char *bp;
    size_t bl;
    CU_ASSERT_EQUAL(tf__buf_u8(&b, TF__MSG_TASKS), 0);
    CU_ASSERT_EQUAL(tf__msg_put_def(&b, 1, "sq"), 0);
    tf__item a = base_item(2, 3);
    a.layout = TF__FIXED;
    a.elem = 2;
    a.data = "aabbcc";
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &a, 1, &bp, &bl), 0);
    const void *vin[1] = {"spawned input"};
    const size_t vlen[1] = {13};
    tf__item s = base_item(0, 1);
    s.layout = TF__VECTOR;
    s.vin = vin;
    s.vlen = vlen;
    s.fname = "sq";
    CU_ASSERT_EQUAL(tf__msg_put_chunk(&b, &s, 1, &bp, &bl), 0);
    CU_ASSERT_EQUAL(tf__buf_u8(&b, TF__R_STOP), 0);

    char *copy = malloc(b.len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, b.p, b.len);
    tf__rd r;
    tf__rd_init(&r, copy, b.len);
    tf__item out;
    size_t dbl;
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__MSG_TASKS);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__R_DEF);
    CU_ASSERT_EQUAL(tf__rd_u32(&r), 1);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), 2);
    CU_ASSERT_PTR_NOT_NULL(tf__rd_take(&r, 2));
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__R_CHUNK);
    CU_ASSERT_EQUAL(tf__msg_get_chunk(&r, &out, &dbl), 0);
    CU_ASSERT_EQUAL(out.job, 2);
    CU_ASSERT_TRUE(same_inputs(&a, &out));
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__R_CHUNK);
    CU_ASSERT_EQUAL(tf__msg_get_chunk(&r, &out, &dbl), 0);
    CU_ASSERT_EQUAL(out.job, 0);
    CU_ASSERT_STRING_EQUAL(out.fname, "sq");
    CU_ASSERT_TRUE(same_inputs(&s, &out));
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__R_STOP);
    CU_ASSERT_FALSE(r.err);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0);
    free(copy);
    tf__buf_free(&b);
}

/* Every cut of every kind of record fails, and never reads past the cut. */
static void test_chunk_truncated(void)
{
    char *data = filled(TF__BULK_MIN, 6);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    const uint64_t l[4] = {2, 0, 5, 0};
    char lens[4 * 8];
    memcpy(lens, l, sizeof lens);
    const void *vin[3] = {"abc", NULL, "de"};
    const size_t vlen[3] = {3, 0, 2};
    char zl[2 * 8] = {0};

    tf__item items[9];
    int bulk[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    for (int i = 0; i < 9; i++) items[i] = base_item(i < 6 ? 11 : 0, 4);
    items[0].layout = TF__FIXED; /* small inline */
    items[0].elem = 3;
    items[0].data = data;
    items[1].layout = TF__FIXED; /* zero-length inputs */
    items[1].elem = 0;
    items[1].data = data;
    items[2].layout = TF__FIXED; /* bulk: only the header travels here */
    items[2].elem = TF__BULK_MIN / 4;
    items[2].data = data;
    items[3].layout = TF__PACKED;
    items[3].lens = lens;
    items[3].data = data;
    items[4].layout = TF__VECTOR;
    items[4].count = 3;
    items[4].vin = vin;
    items[4].vlen = vlen;
    items[5].layout = TF__PACKED; /* all inputs empty */
    items[5].count = 2;
    items[5].lens = zl;
    items[5].data = data;
    items[6].layout = TF__FIXED; /* spawned, with a name */
    items[6].elem = 2;
    items[6].data = data;
    items[6].fname = "spawn_me";
    items[7].layout = TF__VECTOR;
    items[7].count = 3;
    items[7].vin = vin;
    items[7].vlen = vlen;
    items[7].fname = "s";
    items[8].layout = TF__FIXED; /* spawned, inline though large enough for bulk */
    items[8].elem = 1;
    items[8].count = 300;
    items[8].data = data;
    items[8].fname = "big";
    bulk[8] = 0;
    for (int i = 0; i < 9; i++) CU_ASSERT_EQUAL(truncations_accepted(&items[i], bulk[i]), 0);
    free(data);
}

/* Hand-damaged records. */
static void set_u64(char *p, uint64_t v) { memcpy(p, &v, 8); }
static void set_u32(char *p, uint32_t v) { memcpy(p, &v, 4); }

static int decode(const char *src, size_t len)
{
    char *p = malloc(len ? len : 1);
    if (!p) return -2;
    memcpy(p, src, len);
    tf__rd r;
    tf__rd_init(&r, p, len);
    tf__item out;
    size_t bulk;
    int rc = tf__msg_get_chunk(&r, &out, &bulk);
    free(p);
    return rc;
}

static void test_chunk_malformed(void)
{
    const char *bp;
    size_t bl;
    tf__buf fb = {0}, pb = {0}, sb = {0};
    tf__item f = base_item(1, 2);
    f.layout = TF__FIXED;
    f.elem = 4;
    f.data = "abcdefgh";
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(&fb, &f, 1, &bp, &bl), 0);
    const void *vin[2] = {"abc", "de"};
    const size_t vlen[2] = {3, 2};
    tf__item v = base_item(1, 2);
    v.layout = TF__VECTOR;
    v.vin = vin;
    v.vlen = vlen;
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(&pb, &v, 1, &bp, &bl), 0);
    tf__item s = base_item(0, 2);
    s.layout = TF__FIXED;
    s.elem = 4;
    s.data = "abcdefgh";
    s.fname = "name";
    CU_ASSERT_EQUAL_FATAL(tf__msg_put_chunk(&sb, &s, 1, &bp, &bl), 0);
    char *F = fb.p + 1, *P = pb.p + 1, *S = sb.p + 1;
    size_t fl = fb.len - 1, pl = pb.len - 1, sl = sb.len - 1;
    CU_ASSERT_EQUAL(decode(F, fl), 0);
    CU_ASSERT_EQUAL(decode(P, pl), 0);
    CU_ASSERT_EQUAL(decode(S, sl), 0);
    char save[16];

    /* no tasks */
    set_u32(F + OFF_COUNT, 0);
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    set_u32(F + OFF_COUNT, 3); /* more tasks than bytes */
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    set_u32(F + OFF_COUNT, 2);

    /* unknown layouts; VECTOR never travels; the file bit on a known one is
     * fine (and read back as such) */
    F[OFF_LAYOUT] = (char)(TF__FIXED | TF__LAYOUT_FILE);
    {
        tf__rd r;
        tf__item it;
        size_t bulk;
        tf__rd_init(&r, F, fl);
        CU_ASSERT_EQUAL(tf__msg_get_chunk(&r, &it, &bulk), 0);
        CU_ASSERT_EQUAL(it.file, 1);
        CU_ASSERT_EQUAL(it.layout, TF__FIXED);
    }
    for (int lay = 2; lay < 256; lay++) {
        if (lay == (TF__FIXED | TF__LAYOUT_FILE) || lay == (TF__PACKED | TF__LAYOUT_FILE)) continue;
        F[OFF_LAYOUT] = (char)lay;
        if (decode(F, fl) != -1) {
            CU_FAIL("unknown layout accepted");
            break;
        }
    }
    F[OFF_LAYOUT] = TF__FIXED;

    /* elem * count past TF__MAX_MSG or past size_t, even if announced as bulk */
    memcpy(save, F + OFF_REST, 8);
    set_u64(F + OFF_REST, TF__MAX_MSG);
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    set_u64(F + OFF_REST, (uint64_t)1 << 63);
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    F[OFF_BULK] = 1;
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    set_u64(F + OFF_REST, TF__MAX_MSG / 2 + 1);
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    F[OFF_BULK] = 0;
    set_u64(F + OFF_REST, 5); /* one byte more than present */
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    memcpy(F + OFF_REST, save, 8);
    CU_ASSERT_EQUAL(decode(F, fl), 0);
    /* a bulk flag on a payload below TF__BULK_MIN, which no sender sets: it
     * would leave the chunk with no data at all (none inline, none to come) */
    F[OFF_BULK] = 1;
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    set_u64(F + OFF_REST, 0); /* nothing to send */
    CU_ASSERT_EQUAL(decode(F, fl), -1);
    set_u64(F + OFF_REST, TF__BULK_MIN / 2); /* two tasks: exactly TF__BULK_MIN */
    CU_ASSERT_EQUAL(decode(F, fl), 0);
    F[OFF_BULK] = 0;
    memcpy(F + OFF_REST, save, 8);

    /* PACKED is never bulk */
    P[OFF_BULK] = 1;
    CU_ASSERT_EQUAL(decode(P, pl), -1);
    P[OFF_BULK] = 0;
    /* lengths that add up past the limit, or wrap around */
    memcpy(save, P + OFF_REST, 16);
    set_u64(P + OFF_REST, TF__MAX_MSG);
    set_u64(P + OFF_REST + 8, 1);
    CU_ASSERT_EQUAL(decode(P, pl), -1);
    set_u64(P + OFF_REST, UINT64_MAX);
    set_u64(P + OFF_REST + 8, 6);
    CU_ASSERT_EQUAL(decode(P, pl), -1);
    set_u64(P + OFF_REST, 3);
    set_u64(P + OFF_REST + 8, 3); /* one byte more than present */
    CU_ASSERT_EQUAL(decode(P, pl), -1);
    set_u32(P + OFF_COUNT, UINT32_MAX); /* lengths table larger than the message */
    CU_ASSERT_EQUAL(decode(P, pl), -1);
    set_u32(P + OFF_COUNT, 2);
    memcpy(P + OFF_REST, save, 16);
    CU_ASSERT_EQUAL(decode(P, pl), 0);

    /* job 0 names: empty, NUL only, no NUL at the end, NUL inside, too long */
    CU_ASSERT_EQUAL((unsigned char)S[OFF_REST], 5);
    S[OFF_REST] = 0;
    CU_ASSERT_EQUAL(decode(S, sl), -1);
    S[OFF_REST] = 1;
    CU_ASSERT_EQUAL(decode(S, sl), -1);
    S[OFF_REST + 1] = '\0'; /* an empty name, NUL-terminated */
    CU_ASSERT_EQUAL(decode(S, sl), -1);
    S[OFF_REST + 1] = 'n';
    S[OFF_REST] = 5;
    S[OFF_REST + 5] = 'x';
    CU_ASSERT_EQUAL(decode(S, sl), -1);
    S[OFF_REST + 5] = '\0';
    S[OFF_REST + 2] = '\0';
    CU_ASSERT_EQUAL(decode(S, sl), -1);
    S[OFF_REST + 2] = 'a';
    S[OFF_REST] = (char)255;
    CU_ASSERT_EQUAL(decode(S, sl), -1);
    S[OFF_REST] = 5;
    CU_ASSERT_EQUAL(decode(S, sl), 0);
    /* an empty name, in an otherwise well-formed record */
    tf__buf eb = {0};
    s.fname = "";
    if (tf__msg_put_chunk(&eb, &s, 1, &bp, &bl) == 0) {
        CU_ASSERT_EQUAL((unsigned char)eb.p[1 + OFF_REST], 1);
        CU_ASSERT_EQUAL(decode(eb.p + 1, eb.len - 1), -1);
    }
    tf__buf_free(&eb);
    /* a job-0 record must carry a name: other records have none */
    set_u64(F + OFF_JOB, 0);
    CU_ASSERT_EQUAL(decode(F, fl), -1);

    tf__buf_free(&fb);
    tf__buf_free(&pb);
    tf__buf_free(&sb);
}

static void test_rhdr(void)
{
    char buf[TF__RHDR_LEN + 8];
    memset(buf, '#', sizeof buf);
    tf__rhdr h = {0x0102030405060708ull, UINT64_MAX, 0, TF__F_IDLE | TF__F_STOPPED};
    tf__msg_put_rhdr(buf, &h);
    CU_ASSERT_EQUAL((unsigned char)buf[0], TF__MSG_RESULTS);
    for (size_t i = TF__RHDR_LEN; i < sizeof buf; i++) CU_ASSERT_EQUAL(buf[i], '#');

    char *copy = malloc(TF__RHDR_LEN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, buf, TF__RHDR_LEN);
    tf__rd r;
    tf__rd_init(&r, copy, TF__RHDR_LEN);
    tf__rhdr g;
    memset(&g, 0xff, sizeof g);
    tf__msg_get_rhdr(&r, &g);
    CU_ASSERT_FALSE(r.err);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0);
    CU_ASSERT_EQUAL(g.spawned, h.spawned);
    CU_ASSERT_EQUAL(g.spawn_ok, h.spawn_ok);
    CU_ASSERT_EQUAL(g.qlen, 0);
    CU_ASSERT_EQUAL(g.flags, TF__F_IDLE | TF__F_STOPPED);

    /* every short header sets err */
    for (size_t cut = 0; cut < TF__RHDR_LEN; cut++) {
        tf__rd_init(&r, copy + TF__RHDR_LEN - cut, cut);
        tf__msg_get_rhdr(&r, &g);
        CU_ASSERT_TRUE(r.err);
    }
    free(copy);
}

static void test_result_hdr(void)
{
    char buf[TF__RESULT_HDR_LEN + 8];
    memset(buf, '#', sizeof buf);
    tf__result_hdr h = {.job = 77,
                        .first_index = 123456789012ull,
                        .first_id = UINT64_MAX - 3,
                        .count = UINT32_MAX,
                        .nfail = UINT32_MAX - 1,
                        .elapsed_ns = 999999999999ull};
    tf__msg_put_result_hdr(buf, &h);
    CU_ASSERT_EQUAL((unsigned char)buf[0], TF__R_RESULT);
    for (size_t i = TF__RESULT_HDR_LEN; i < sizeof buf; i++) CU_ASSERT_EQUAL(buf[i], '#');

    size_t n = TF__RESULT_HDR_LEN - 1;
    char *copy = malloc(n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    memcpy(copy, buf + 1, n); /* read after the kind byte */
    tf__rd r;
    tf__rd_init(&r, copy, n);
    tf__result_hdr g;
    memset(&g, 0, sizeof g);
    tf__msg_get_result_hdr(&r, &g);
    CU_ASSERT_FALSE(r.err);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0);
    CU_ASSERT_EQUAL(g.job, 77);
    CU_ASSERT_EQUAL(g.first_index, 123456789012ull);
    CU_ASSERT_EQUAL(g.first_id, UINT64_MAX - 3);
    CU_ASSERT_EQUAL(g.count, UINT32_MAX);
    CU_ASSERT_EQUAL(g.nfail, UINT32_MAX - 1);
    CU_ASSERT_EQUAL(g.elapsed_ns, 999999999999ull);
    for (size_t cut = 0; cut < n; cut++) {
        tf__rd_init(&r, copy + n - cut, cut);
        tf__msg_get_result_hdr(&r, &g);
        CU_ASSERT_TRUE(r.err);
    }
    free(copy);

    /* a whole RESULTS message: its header, then one RESULT of three tasks
     * (u32 output lengths, the outputs, then (u32 task, i32 status) per
     * failure, a failure's output being its message with the NUL) */
    tf__buf b = {0};
    tf__rhdr rh = {1, 2, 3, TF__F_SHARE_REPLY};
    char *p = tf__buf_room(&b, TF__RHDR_LEN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    tf__msg_put_rhdr(p, &rh);
    b.len += TF__RHDR_LEN;
    p = tf__buf_room(&b, TF__RESULT_HDR_LEN);
    CU_ASSERT_PTR_NOT_NULL_FATAL(p);
    h.count = 3;
    h.nfail = 1;
    tf__msg_put_result_hdr(p, &h);
    b.len += TF__RESULT_HDR_LEN;
    CU_ASSERT_EQUAL(tf__buf_u32(&b, 3), 0);
    CU_ASSERT_EQUAL(tf__buf_u32(&b, 0), 0);
    CU_ASSERT_EQUAL(tf__buf_u32(&b, 5), 0);
    CU_ASSERT_EQUAL(tf__buf_put(&b, "out", 3), 0);
    CU_ASSERT_EQUAL(tf__buf_put(&b, "bad!", 5), 0);
    int32_t st = TF_ETASK;
    CU_ASSERT_EQUAL(tf__buf_u32(&b, 2), 0);
    CU_ASSERT_EQUAL(tf__buf_put(&b, &st, 4), 0);
    CU_ASSERT_EQUAL(b.len, TF__RHDR_LEN + TF__RESULT_HDR_LEN + 3 * 4 + 8 + TF__FAIL_LEN);

    tf__rd_init(&r, b.p, b.len);
    tf__rhdr rg;
    tf__msg_get_rhdr(&r, &rg);
    CU_ASSERT_EQUAL(rg.spawned, 1);
    CU_ASSERT_EQUAL(rg.spawn_ok, 2);
    CU_ASSERT_EQUAL(rg.qlen, 3);
    CU_ASSERT_EQUAL(rg.flags, TF__F_SHARE_REPLY);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__R_RESULT);
    tf__msg_get_result_hdr(&r, &g);
    CU_ASSERT_EQUAL(g.job, 77);
    CU_ASSERT_EQUAL(g.count, 3);
    CU_ASSERT_EQUAL(g.nfail, 1);
    uint32_t l0 = tf__rd_u32(&r), l1 = tf__rd_u32(&r), l2 = tf__rd_u32(&r);
    CU_ASSERT_EQUAL(l0 + l1 + l2, 8);
    const char *outs = tf__rd_take(&r, l0 + l1 + l2);
    CU_ASSERT_PTR_NOT_NULL_FATAL(outs);
    CU_ASSERT_EQUAL(memcmp(outs, "out", 3), 0);
    CU_ASSERT_STRING_EQUAL(outs + l0 + l1, "bad!");
    CU_ASSERT_EQUAL(tf__rd_u32(&r), 2);
    CU_ASSERT_EQUAL((int32_t)tf__rd_u32(&r), TF_ETASK);
    CU_ASSERT_FALSE(r.err);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0);
    tf__buf_free(&b);
}

static const unit_test tests[] = {
    UNIT_TEST(test_def),
    UNIT_TEST(test_chunk_layout),
    UNIT_TEST(test_chunk_fixed_small),
    UNIT_TEST(test_chunk_fixed_bulk),
    UNIT_TEST(test_chunk_limits),
    UNIT_TEST(test_chunk_packed),
    UNIT_TEST(test_chunk_vector),
    UNIT_TEST(test_chunk_zero_length),
    UNIT_TEST(test_chunk_spawned),
    UNIT_TEST(test_message_sequence),
    UNIT_TEST(test_chunk_truncated),
    UNIT_TEST(test_chunk_malformed),
    UNIT_TEST(test_rhdr),
    UNIT_TEST(test_result_hdr),
};
UNIT_MAIN("msg", tests)
