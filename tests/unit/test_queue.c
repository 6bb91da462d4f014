/* test_queue.c - the item deque and tf__item_input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/queue.h"
#include "taskfarm.h"
#include "unit.h"

static tf__item item(uint64_t id)
{
    tf__item it;
    memset(&it, 0, sizeof it);
    it.job = 1 + id % 3;
    it.first_index = id * 10;
    it.first_id = id;
    it.count = (uint32_t)(id % 7 + 1);
    it.gid = (uint32_t)(id % 5);
    return it;
}

static void test_empty(void)
{
    tf__queue q = {0};
    tf__item out;
    CU_ASSERT_EQUAL(tf__queue_len(&q), 0);
    CU_ASSERT_EQUAL(tf__queue_pop_front(&q, &out), 0);
    CU_ASSERT_EQUAL(tf__queue_pop_back(&q, &out), 0);
    tf__queue_clear(&q);
    tf__queue_free(&q);
    tf__queue_free(&q);
    CU_ASSERT_EQUAL(tf__queue_len(&q), 0);
}

static void test_fifo_and_lifo(void)
{
    tf__queue q = {0};
    tf__item out;
    for (uint64_t i = 0; i < 5; i++) {
        tf__item it = item(i);
        CU_ASSERT_EQUAL(tf__queue_push_back(&q, &it), 0);
    }
    CU_ASSERT_EQUAL(tf__queue_len(&q), 5);
    /* back pushes: front pops see them in order, back pops reversed */
    CU_ASSERT_EQUAL(tf__queue_pop_front(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 0);
    CU_ASSERT_EQUAL(tf__queue_pop_back(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 4);
    CU_ASSERT_EQUAL(tf__queue_pop_front(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 1);
    CU_ASSERT_EQUAL(tf__queue_pop_back(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 3);
    CU_ASSERT_EQUAL(tf__queue_pop_back(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 2);
    CU_ASSERT_EQUAL(tf__queue_pop_back(&q, &out), 0);
    CU_ASSERT_EQUAL(tf__queue_len(&q), 0);

    /* front pushes: front pops see them reversed */
    for (uint64_t i = 0; i < 5; i++) {
        tf__item it = item(i);
        CU_ASSERT_EQUAL(tf__queue_push_front(&q, &it), 0);
    }
    for (uint64_t i = 5; i-- > 0;) {
        CU_ASSERT_EQUAL(tf__queue_pop_front(&q, &out), 1);
        CU_ASSERT_EQUAL(out.first_id, i);
    }
    CU_ASSERT_EQUAL(tf__queue_pop_front(&q, &out), 0);

    /* mixed: push_front(a), push_back(b), push_front(c) = c a b */
    tf__item a = item(10), b = item(11), c = item(12);
    tf__queue_push_front(&q, &a);
    tf__queue_push_back(&q, &b);
    tf__queue_push_front(&q, &c);
    CU_ASSERT_EQUAL(tf__queue_pop_front(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 12);
    CU_ASSERT_EQUAL(tf__queue_pop_back(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 11);
    CU_ASSERT_EQUAL(tf__queue_pop_back(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 10);
    tf__queue_free(&q);
}

/* Every field of an item comes back as it went in. */
static void test_item_copied_whole(void)
{
    tf__queue q = {0};
    static const char data[] = "payload";
    tf__item it = item(7), out;
    it.layout = TF__PACKED;
    it.elem = 3;
    it.data = data;
    it.lens = data + 1;
    it.fn = (void *)&q;
    it.fname = "fname";
    it.first_index = UINT64_MAX;
    it.first_id = UINT64_MAX - 1;
    it.gid = UINT32_MAX;
    CU_ASSERT_EQUAL(tf__queue_push_back(&q, &it), 0);
    memset(&out, 0, sizeof out);
    CU_ASSERT_EQUAL(tf__queue_pop_front(&q, &out), 1);
    CU_ASSERT_EQUAL(out.job, it.job);
    CU_ASSERT_EQUAL(out.first_index, UINT64_MAX);
    CU_ASSERT_EQUAL(out.first_id, UINT64_MAX - 1);
    CU_ASSERT_EQUAL(out.gid, UINT32_MAX);
    CU_ASSERT_EQUAL(out.count, it.count);
    CU_ASSERT_EQUAL(out.layout, TF__PACKED);
    CU_ASSERT_EQUAL(out.elem, 3);
    CU_ASSERT_PTR_EQUAL(out.data, data);
    CU_ASSERT_PTR_EQUAL(out.lens, data + 1);
    CU_ASSERT_PTR_EQUAL(out.fn, &q);
    CU_ASSERT_PTR_EQUAL(out.fname, it.fname);
    CU_ASSERT_PTR_NULL(out.owner);
    tf__queue_free(&q);
}

/* A deque model over a plain array, started in the middle. */
#define MODEL_CAP 40000
typedef struct model {
    uint64_t v[2 * MODEL_CAP];
    size_t head, n;
} model;

static uint64_t rng_state = 88172645463325252ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Random interleavings of the four operations, biased to grow, then to
 * shrink, so the ring grows with its head anywhere and wraps many times. */
static void test_random_against_model(void)
{
    static model m;
    m.head = MODEL_CAP;
    m.n = 0;
    tf__queue q = {0};
    uint64_t next = 1;
    size_t mismatches = 0, ops = 0, max_len = 0;
    const int phases[][2] = {{70, 3000},  {50, 5000}, {85, 12000},
                             {30, 20000}, {60, 8000}, {10, 20000}};
    for (size_t ph = 0; ph < sizeof phases / sizeof phases[0]; ph++) {
        for (int step = 0; step < phases[ph][1]; step++) {
            uint64_t r = rng();
            int push = (int)(r % 100) < phases[ph][0];
            int front = (r >> 8) & 1;
            ops++;
            if (push) {
                tf__item it = item(next);
                int rc = front ? tf__queue_push_front(&q, &it) : tf__queue_push_back(&q, &it);
                CU_ASSERT_EQUAL_FATAL(rc, 0);
                CU_ASSERT_FATAL(m.n < MODEL_CAP);
                if (front)
                    m.v[--m.head] = next;
                else
                    m.v[m.head + m.n] = next;
                m.n++;
                next++;
            } else {
                tf__item out;
                memset(&out, 0, sizeof out);
                int got = front ? tf__queue_pop_front(&q, &out) : tf__queue_pop_back(&q, &out);
                if (m.n == 0) {
                    mismatches += got != 0;
                } else {
                    uint64_t want = front ? m.v[m.head++] : m.v[m.head + m.n - 1];
                    m.n--;
                    mismatches += got != 1 || out.first_id != want;
                    tf__item w = item(want);
                    mismatches += out.job != w.job || out.count != w.count ||
                                  out.first_index != w.first_index;
                }
            }
            mismatches += tf__queue_len(&q) != m.n;
            if (m.n > max_len) max_len = m.n;
            if (m.head < 10 || m.head + m.n > 2 * MODEL_CAP - 10) {
                /* recentre the model (not the queue) */
                memmove(m.v + MODEL_CAP - m.n / 2, m.v + m.head, m.n * sizeof m.v[0]);
                m.head = MODEL_CAP - m.n / 2;
            }
        }
    }
    CU_ASSERT_EQUAL(mismatches, 0);
    CU_ASSERT_TRUE(max_len > 1000); /* it did grow well past the first block */
    CU_ASSERT_TRUE(q.cap >= max_len);
    /* drain from the front and compare the rest */
    tf__item out;
    while (tf__queue_pop_front(&q, &out)) {
        CU_ASSERT_FATAL(m.n > 0);
        CU_ASSERT_EQUAL(out.first_id, m.v[m.head]);
        m.head++;
        m.n--;
    }
    CU_ASSERT_EQUAL(m.n, 0);
    tf__queue_free(&q);
}

/* Grow while the ring is wrapped: the head sits near the end of the block
 * when it fills up. */
static void test_grow_while_wrapped(void)
{
    for (size_t shift = 0; shift < 40; shift++) {
        tf__queue q = {0};
        tf__item out;
        uint64_t next = 0, expect = 0;
        for (size_t i = 0; i < shift; i++) { /* move the head along */
            tf__item it = item(next++);
            tf__queue_push_back(&q, &it);
            tf__queue_pop_front(&q, &out);
            expect++;
        }
        for (int i = 0; i < 200; i++) {
            tf__item it = item(next++);
            CU_ASSERT_EQUAL_FATAL(tf__queue_push_back(&q, &it), 0);
        }
        size_t bad = 0;
        while (tf__queue_pop_front(&q, &out)) bad += out.first_id != expect++;
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(expect, next);

        /* the same with front pushes */
        for (int i = 0; i < 200; i++) {
            tf__item it = item(next++);
            CU_ASSERT_EQUAL_FATAL(tf__queue_push_front(&q, &it), 0);
        }
        bad = 0;
        while (tf__queue_pop_back(&q, &out)) bad += out.first_id != expect++;
        CU_ASSERT_EQUAL(bad, 0);
        CU_ASSERT_EQUAL(expect, next);
        tf__queue_free(&q);
    }
}

static void test_clear_unrefs_owners(void)
{
    tf__rbuf *a = tf__rbuf_new(16), *b = tf__rbuf_new(0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    tf__queue q = {0};
    for (uint64_t i = 0; i < 100; i++) {
        tf__item it = item(i);
        it.owner = i % 3 == 0 ? tf__rbuf_ref(a) : i % 3 == 1 ? tf__rbuf_ref(b) : NULL;
        int rc = i % 2 ? tf__queue_push_front(&q, &it) : tf__queue_push_back(&q, &it);
        CU_ASSERT_EQUAL_FATAL(rc, 0);
    }
    CU_ASSERT_EQUAL(atomic_load(&a->ref), 1 + 34);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 1 + 33);
    tf__queue_clear(&q);
    CU_ASSERT_EQUAL(tf__queue_len(&q), 0);
    CU_ASSERT_EQUAL(atomic_load(&a->ref), 1);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 1);

    /* still usable after clear */
    tf__item it = item(5), out;
    it.owner = tf__rbuf_ref(a);
    CU_ASSERT_EQUAL(tf__queue_push_back(&q, &it), 0);
    CU_ASSERT_EQUAL(tf__queue_pop_front(&q, &out), 1);
    CU_ASSERT_EQUAL(out.first_id, 5);
    CU_ASSERT_PTR_EQUAL(out.owner, a);
    CU_ASSERT_EQUAL(atomic_load(&a->ref), 2); /* a pop hands the reference over */
    tf__rbuf_unref(out.owner);

    /* free drops what is left as well */
    for (int i = 0; i < 3; i++) {
        tf__item x = item((uint64_t)i);
        x.owner = tf__rbuf_ref(b);
        CU_ASSERT_EQUAL(tf__queue_push_back(&q, &x), 0);
    }
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 4);
    tf__queue_free(&q);
    CU_ASSERT_EQUAL(atomic_load(&b->ref), 1);
    CU_ASSERT_PTR_NULL(q.v);
    CU_ASSERT_EQUAL(tf__queue_len(&q), 0);
    tf__rbuf_unref(a);
    tf__rbuf_unref(b);
}

static void test_input_fixed(void)
{
    char data[5 * 3];
    for (int i = 0; i < 15; i++) data[i] = (char)('a' + i);
    tf__item it = item(1);
    it.layout = TF__FIXED;
    it.count = 5;
    it.elem = 3;
    it.data = data;
    size_t off = 0, len = 99;
    for (uint32_t k = 0; k < 5; k++) {
        const char *p = tf__item_input(&it, k, &off, &len);
        CU_ASSERT_PTR_EQUAL(p, data + 3 * k);
        CU_ASSERT_EQUAL(len, 3);
    }
    /* random access works for FIXED */
    CU_ASSERT_PTR_EQUAL(tf__item_input(&it, 2, &off, &len), data + 6);

    it.elem = 0; /* zero-length inputs */
    for (uint32_t k = 0; k < 5; k++) {
        len = 99;
        CU_ASSERT_PTR_NOT_NULL(tf__item_input(&it, k, &off, &len));
        CU_ASSERT_EQUAL(len, 0);
    }
}

static void test_input_packed(void)
{
    /* inputs "", "a", "bcd", "", "efghij", "" */
    const uint64_t l[6] = {0, 1, 3, 0, 6, 0};
    char lens[6 * 8];
    memcpy(lens, l, sizeof l); /* the wire order: host u64s, maybe unaligned */
    const char data[] = "abcdefghij";
    tf__item it = item(2);
    it.layout = TF__PACKED;
    it.count = 6;
    it.lens = lens;
    it.data = data;
    size_t off = 0, len, want_off = 0;
    for (uint32_t k = 0; k < 6; k++) {
        const char *p = tf__item_input(&it, k, &off, &len);
        CU_ASSERT_PTR_EQUAL(p, data + want_off);
        CU_ASSERT_EQUAL(len, l[k]);
        want_off += l[k];
        CU_ASSERT_EQUAL(off, want_off);
    }
    CU_ASSERT_EQUAL(off, 10);

    /* lens need not be 8-aligned (they sit inside a message) */
    char shifted[1 + sizeof lens];
    memcpy(shifted + 1, lens, sizeof lens);
    it.lens = shifted + 1;
    off = 0;
    CU_ASSERT_PTR_EQUAL(tf__item_input(&it, 0, &off, &len), data);
    CU_ASSERT_PTR_EQUAL(tf__item_input(&it, 1, &off, &len), data);
    CU_ASSERT_EQUAL(len, 1);
    CU_ASSERT_PTR_EQUAL(tf__item_input(&it, 2, &off, &len), data + 1);
    CU_ASSERT_EQUAL(len, 3);
    CU_ASSERT_EQUAL(memcmp(data + 1, "bcd", 3), 0);
}

static void test_input_vector(void)
{
    const char *s0 = "hello", *s2 = "x";
    const void *vin[4] = {s0, NULL, s2, s0 + 1};
    const size_t vlen[4] = {5, 0, 1, 4};
    tf__item it = item(3);
    it.layout = TF__VECTOR;
    it.count = 4;
    it.vin = vin;
    it.vlen = vlen;
    size_t off = 0, len;
    const char *p = tf__item_input(&it, 0, &off, &len);
    CU_ASSERT_PTR_EQUAL(p, s0);
    CU_ASSERT_EQUAL(len, 5);
    p = tf__item_input(&it, 1, &off, &len);
    CU_ASSERT_PTR_NOT_NULL(p); /* a NULL zero-length input reads as non-NULL */
    CU_ASSERT_EQUAL(len, 0);
    p = tf__item_input(&it, 2, &off, &len);
    CU_ASSERT_PTR_EQUAL(p, s2);
    CU_ASSERT_EQUAL(len, 1);
    p = tf__item_input(&it, 3, &off, &len);
    CU_ASSERT_PTR_EQUAL(p, s0 + 1);
    CU_ASSERT_EQUAL(len, 4);
    CU_ASSERT_EQUAL(off, 0); /* the cursor is PACKED only */
}

static const unit_test tests[] = {
    UNIT_TEST(test_empty),
    UNIT_TEST(test_fifo_and_lifo),
    UNIT_TEST(test_item_copied_whole),
    UNIT_TEST(test_random_against_model),
    UNIT_TEST(test_grow_while_wrapped),
    UNIT_TEST(test_clear_unrefs_owners),
    UNIT_TEST(test_input_fixed),
    UNIT_TEST(test_input_packed),
    UNIT_TEST(test_input_vector),
};
UNIT_MAIN("queue", tests)
