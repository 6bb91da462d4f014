/* test_buf.c - growable buffers, the wire reader and refcounted blocks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "unit.h"

static unsigned char pattern(size_t i) { return (unsigned char)(i * 131u + (i >> 8) + 7u); }

/* Appends pieces of every size from 0 to 2000 and checks every byte. */
static void test_put_many_sizes(void)
{
    tf__buf b = {0};
    unsigned char src[2001];
    size_t total = 0;
    for (size_t n = 0; n <= 2000; n++) {
        for (size_t i = 0; i < n; i++) src[i] = pattern(total + i);
        if (n == 0 && b.p == NULL) continue; /* covered by test_put_zero_on_empty */
        int rc = tf__buf_put(&b, src, n);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
        total += n;
        CU_ASSERT_EQUAL(b.len, total);
        CU_ASSERT_TRUE(b.cap >= b.len);
    }
    CU_ASSERT_EQUAL(total, (size_t)2000 * 2001 / 2);
    size_t bad = 0;
    for (size_t i = 0; i < total; i++) bad += (unsigned char)b.p[i] != pattern(i);
    CU_ASSERT_EQUAL(bad, 0);
    tf__buf_free(&b);
    CU_ASSERT_PTR_NULL(b.p);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(b.cap, 0);
}

/* One large append into an empty buffer, then single bytes across the
 * next doublings. */
static void test_put_large_then_small(void)
{
    for (size_t first = 1; first <= ((size_t)1 << 20); first = first * 3 + 1) {
        tf__buf b = {0};
        unsigned char *src = malloc(first);
        CU_ASSERT_PTR_NOT_NULL_FATAL(src);
        for (size_t i = 0; i < first; i++) src[i] = pattern(i);
        CU_ASSERT_EQUAL_FATAL(tf__buf_put(&b, src, first), 0);
        CU_ASSERT_TRUE(b.cap >= first);
        for (size_t i = first; i < first + 300; i++) {
            uint8_t v = pattern(i);
            CU_ASSERT_EQUAL_FATAL(tf__buf_u8(&b, v), 0);
        }
        CU_ASSERT_EQUAL(b.len, first + 300);
        size_t bad = 0;
        for (size_t i = 0; i < b.len; i++) bad += (unsigned char)b.p[i] != pattern(i);
        CU_ASSERT_EQUAL(bad, 0);
        free(src);
        tf__buf_free(&b);
    }
}

/* Appending nothing succeeds, also to a buffer that has no memory yet. */
static void test_put_zero_on_empty(void)
{
    tf__buf b = {0};
    CU_ASSERT_EQUAL(tf__buf_put(&b, "", 0), 0);
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_PTR_NOT_NULL(tf__buf_room(&b, 0));
    CU_ASSERT_EQUAL(tf__buf_put(&b, "x", 1), 0);
    CU_ASSERT_EQUAL(tf__buf_put(&b, "", 0), 0);
    CU_ASSERT_PTR_NOT_NULL(tf__buf_room(&b, 0));
    CU_ASSERT_EQUAL(b.len, 1);
    tf__buf_free(&b);
}

/* room gives n writable bytes that are not yet counted, and keeps what was
 * there when it moves the block. */
static void test_room(void)
{
    tf__buf b = {0};
    CU_ASSERT_EQUAL_FATAL(tf__buf_put(&b, "head", 4), 0);
    for (size_t n = 1; n <= 70000; n = n * 2 + 3) {
        size_t len = b.len;
        char *p = tf__buf_room(&b, n);
        CU_ASSERT_PTR_NOT_NULL_FATAL(p);
        CU_ASSERT_PTR_EQUAL(p, b.p + len);
        CU_ASSERT_EQUAL(b.len, len);
        CU_ASSERT_TRUE(b.cap >= len + n);
        memset(p, 'r', n); /* all n bytes are writable (ASan checks) */
        /* a second call without counting returns the same place */
        CU_ASSERT_PTR_EQUAL(tf__buf_room(&b, n), p);
    }
    CU_ASSERT_EQUAL(memcmp(b.p, "head", 4), 0);
    tf__buf_free(&b);
}

static void test_room_too_big(void)
{
    tf__buf b = {0};
    CU_ASSERT_PTR_NULL(tf__buf_room(&b, TF__MAX_MSG + 1));
    CU_ASSERT_PTR_NULL(tf__buf_room(&b, SIZE_MAX));
    CU_ASSERT_PTR_NULL(tf__buf_room(&b, SIZE_MAX - 3));
    CU_ASSERT_EQUAL(tf__buf_put(&b, "x", SIZE_MAX), -1);
    CU_ASSERT_PTR_NULL(b.p); /* a refusal allocates nothing */
    CU_ASSERT_EQUAL(b.len, 0);
    CU_ASSERT_EQUAL(b.cap, 0);

    CU_ASSERT_EQUAL_FATAL(tf__buf_put(&b, "0123456789", 10), 0);
    char *p = b.p;
    size_t cap = b.cap;
    CU_ASSERT_PTR_NULL(tf__buf_room(&b, TF__MAX_MSG - 10 + 1));
    CU_ASSERT_PTR_NULL(tf__buf_room(&b, TF__MAX_MSG));
    CU_ASSERT_PTR_NULL(tf__buf_room(&b, SIZE_MAX - 5)); /* len + n wraps */
    CU_ASSERT_EQUAL(tf__buf_u64(&b, 1), 0);
    CU_ASSERT_EQUAL(b.len, 18);
    CU_ASSERT_PTR_EQUAL(b.p, p);
    CU_ASSERT_EQUAL(b.cap, cap);

    /* The limit is exactly TF__MAX_MSG: pretend the block is that large
     * (room does not touch the bytes when it need not grow). */
    size_t real_len = b.len, real_cap = b.cap;
    b.len = TF__MAX_MSG - 5;
    b.cap = TF__MAX_MSG;
    CU_ASSERT_PTR_EQUAL(tf__buf_room(&b, 5), b.p + b.len);
    CU_ASSERT_PTR_NULL(tf__buf_room(&b, 6));
    b.len = TF__MAX_MSG;
    CU_ASSERT_PTR_NULL(tf__buf_room(&b, 1));
    CU_ASSERT_EQUAL(tf__buf_put(&b, "x", 1), -1);
    CU_ASSERT_EQUAL(b.len, TF__MAX_MSG);
    b.len = real_len;
    b.cap = real_cap;
    tf__buf_free(&b);
    tf__buf_free(&b); /* twice is harmless */
}

static void test_writer_reader_round_trip(void)
{
    tf__buf b = {0};
    CU_ASSERT_EQUAL(tf__buf_u8(&b, 0xab), 0);
    CU_ASSERT_EQUAL(tf__buf_u32(&b, 0xdeadbeefu), 0);
    CU_ASSERT_EQUAL(tf__buf_u64(&b, 0x0123456789abcdefull), 0);
    CU_ASSERT_EQUAL(tf__buf_u64(&b, UINT64_MAX), 0);
    CU_ASSERT_EQUAL(tf__buf_u32(&b, 0), 0);
    CU_ASSERT_EQUAL(tf__buf_put(&b, "tail", 4), 0);
    CU_ASSERT_EQUAL(b.len, 1 + 4 + 8 + 8 + 4 + 4);

    tf__rd r;
    tf__rd_init(&r, b.p, b.len);
    CU_ASSERT_EQUAL(tf__rd_left(&r), b.len);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), 0xab);
    CU_ASSERT_EQUAL(tf__rd_u32(&r), 0xdeadbeefu);
    CU_ASSERT_EQUAL(tf__rd_u64(&r), 0x0123456789abcdefull);
    CU_ASSERT_EQUAL(tf__rd_u64(&r), UINT64_MAX);
    CU_ASSERT_EQUAL(tf__rd_u32(&r), 0);
    CU_ASSERT_FALSE(r.err);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 4);
    const char *t = tf__rd_take(&r, 4);
    CU_ASSERT_PTR_EQUAL(t, b.p + b.len - 4);
    CU_ASSERT_EQUAL(tf__rd_left(&r), 0);
    CU_ASSERT_FALSE(r.err);
    /* taking nothing at the end is fine */
    CU_ASSERT_PTR_NOT_NULL(tf__rd_take(&r, 0));
    CU_ASSERT_FALSE(r.err);
    tf__buf_free(&b);
}

/* Each read one byte short: 0 or NULL, err set, and err stays set. */
static void test_reader_short_reads(void)
{
    char *mem = malloc(16); /* exact-size blocks: ASan sees any over-read */
    CU_ASSERT_PTR_NOT_NULL_FATAL(mem);
    memset(mem, 0xff, 16);
    tf__rd r;

    tf__rd_init(&r, mem, 0);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), 0);
    CU_ASSERT_TRUE(r.err);

    for (size_t n = 0; n < 4; n++) {
        tf__rd_init(&r, mem + 16 - n, n);
        CU_ASSERT_EQUAL(tf__rd_u32(&r), 0);
        CU_ASSERT_TRUE(r.err);
        CU_ASSERT_EQUAL(tf__rd_left(&r), n); /* nothing consumed */
        /* sticky: a later read that would fit fails as well */
        CU_ASSERT_EQUAL(tf__rd_u8(&r), 0);
        CU_ASSERT_PTR_NULL(tf__rd_take(&r, 0));
    }
    for (size_t n = 0; n < 8; n++) {
        tf__rd_init(&r, mem + 16 - n, n);
        CU_ASSERT_EQUAL(tf__rd_u64(&r), 0);
        CU_ASSERT_TRUE(r.err);
    }
    tf__rd_init(&r, mem, 16);
    CU_ASSERT_PTR_NULL(tf__rd_take(&r, 17));
    CU_ASSERT_TRUE(r.err);
    tf__rd_init(&r, mem, 16);
    CU_ASSERT_PTR_NULL(tf__rd_take(&r, SIZE_MAX));
    CU_ASSERT_TRUE(r.err);

    /* reads that fit, then one that does not */
    tf__rd_init(&r, mem, 13);
    CU_ASSERT_EQUAL(tf__rd_u64(&r), UINT64_MAX);
    CU_ASSERT_EQUAL(tf__rd_u32(&r), 0xffffffffu);
    CU_ASSERT_FALSE(r.err);
    CU_ASSERT_EQUAL(tf__rd_u32(&r), 0);
    CU_ASSERT_TRUE(r.err);
    free(mem);
}

static void test_rbuf_wrap(void)
{
    char *data = malloc(10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(data);
    memcpy(data, "abcdefghij", 10);
    tf__rbuf *b = tf__rbuf_wrap(data, 10);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_PTR_EQUAL(b->data, data); /* taken over, not copied */
    CU_ASSERT_EQUAL(b->len, 10);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 1);

    CU_ASSERT_PTR_EQUAL(tf__rbuf_ref(b), b);
    CU_ASSERT_PTR_EQUAL(tf__rbuf_ref(b), b);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 3);
    tf__rbuf_unref(b);
    tf__rbuf_unref(b);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 1);
    /* still alive: ASan reports a use after free if unref freed it early */
    CU_ASSERT_EQUAL(memcmp(b->data, "abcdefghij", 10), 0);
    tf__rbuf_unref(b); /* the last reference frees data and block (LSan) */
}

static void test_rbuf_new(void)
{
    tf__rbuf *b = tf__rbuf_new(1000);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    CU_ASSERT_EQUAL(b->len, 1000);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b->data);
    memset(b->data, 1, 1000);
    tf__rbuf_unref(b);

    tf__rbuf *z = tf__rbuf_new(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    CU_ASSERT_EQUAL(z->len, 0);
    CU_ASSERT_PTR_NOT_NULL(z->data);
    tf__rbuf_unref(z);

    CU_ASSERT_PTR_NULL(tf__rbuf_ref(NULL));
    tf__rbuf_unref(NULL);

    /* many holders, released in any order */
    tf__rbuf *m = tf__rbuf_new(8);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    tf__rbuf *holders[100];
    for (int i = 0; i < 100; i++) holders[i] = tf__rbuf_ref(m);
    CU_ASSERT_EQUAL(atomic_load(&m->ref), 101);
    tf__rbuf_unref(m); /* the creator lets go first */
    for (int i = 99; i > 0; i--) tf__rbuf_unref(holders[i]);
    CU_ASSERT_EQUAL(atomic_load(&holders[0]->ref), 1);
    holders[0]->data[7] = 'x';
    tf__rbuf_unref(holders[0]);
}

static const unit_test tests[] = {
    UNIT_TEST(test_put_many_sizes),     UNIT_TEST(test_put_large_then_small),
    UNIT_TEST(test_put_zero_on_empty),  UNIT_TEST(test_room),
    UNIT_TEST(test_room_too_big),       UNIT_TEST(test_writer_reader_round_trip),
    UNIT_TEST(test_reader_short_reads), UNIT_TEST(test_rbuf_wrap),
    UNIT_TEST(test_rbuf_new),
};
UNIT_MAIN("buf", tests)
