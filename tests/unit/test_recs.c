/* test_recs.c - a job's results kept as records: building a record from
 * message bytes (and refusing malformed ones), lookups by task index in any
 * arrival order, outputs of one length and of mixed lengths, failures. */
#include <stdlib.h>
#include <string.h>

#include "core/recs.h"
#include "unit.h"

/* A record's bytes, laid out as in a message: lengths, outputs, failures. */
typedef struct built {
    char lens[4 * 64];
    char data[4096];
    char fails[8 * 64];
    size_t data_len;
    uint32_t nfail;
} built;

/* Task k's output is k copies of 'a' + k % 26, or, if fail[k] < 0, the
 * message "fail k" with its NUL and status fail[k]. */
static void build(built *b, uint32_t count, const int32_t *fail, int uniform)
{
    memset(b, 0, sizeof *b);
    for (uint32_t k = 0; k < count; k++) {
        uint32_t l;
        char *dst = b->data + b->data_len;
        if (fail && fail[k] < 0) {
            l = (uint32_t)sprintf(dst, "fail %u", k) + 1;
            int32_t pair[2] = {(int32_t)k, fail[k]};
            memcpy(b->fails + 8 * b->nfail++, pair, 8);
        } else {
            l = uniform ? 8 : k;
            memset(dst, 'a' + (int)(k % 26), l);
        }
        memcpy(b->lens + 4 * k, &l, 4);
        b->data_len += l;
    }
}

static void test_uniform_outputs(void)
{
    built b;
    build(&b, 10, NULL, 1);
    tf__rec r;
    CU_ASSERT_EQUAL_FATAL(tf__rec_make(&r, 100, 10, 0, b.lens, b.data, b.data_len, b.fails), 0);
    CU_ASSERT_EQUAL(r.ulen, 8);
    CU_ASSERT_EQUAL(tf__rec_total(b.lens, 10), 80);
    for (uint32_t k = 0; k < 10; k++) {
        const char *p;
        size_t len;
        CU_ASSERT_EQUAL(tf__rec_get(&r, k, &p, &len), 0);
        CU_ASSERT_EQUAL(len, 8);
        CU_ASSERT_EQUAL(p, b.data + 8 * k);
        CU_ASSERT_EQUAL(p[0], 'a' + (int)k);
    }
    CU_ASSERT_PTR_NULL(r.offs); /* one length: no offsets needed */
}

static void test_mixed_outputs_and_failures(void)
{
    int32_t fail[12] = {0};
    fail[3] = -5;
    fail[7] = -4;
    fail[11] = -5;
    built b;
    build(&b, 12, fail, 0);
    tf__rec r;
    CU_ASSERT_EQUAL_FATAL(tf__rec_make(&r, 0, 12, 3, b.lens, b.data, b.data_len, b.fails), 0);
    CU_ASSERT_EQUAL(r.ulen, UINT32_MAX);
    size_t off = 0;
    for (uint32_t k = 0; k < 12; k++) {
        const char *p;
        size_t len;
        int st = tf__rec_get(&r, k, &p, &len);
        CU_ASSERT_EQUAL(st, fail[k]);
        CU_ASSERT_EQUAL(p, b.data + off);
        if (fail[k]) {
            char want[32];
            sprintf(want, "fail %u", k);
            CU_ASSERT_STRING_EQUAL(p, want);
            CU_ASSERT_EQUAL(len, strlen(want)); /* without the NUL */
            off += len + 1;
        } else {
            CU_ASSERT_EQUAL(len, k);
            off += len;
        }
    }
    free(r.offs);
}

static void test_malformed_refused(void)
{
    int32_t fail[4] = {0, -5, 0, 0};
    built b;
    build(&b, 4, fail, 1);
    tf__rec r;
    /* the right bytes pass */
    CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 4, 1, b.lens, b.data, b.data_len, b.fails), 0);
    /* data shorter or longer than the lengths say */
    CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 4, 1, b.lens, b.data, b.data_len - 1, b.fails), -1);
    CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 4, 1, b.lens, b.data, b.data_len + 1, b.fails), -1);
    /* no tasks, more failures than tasks */
    CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 0, 0, b.lens, b.data, 0, b.fails), -1);
    CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 4, 5, b.lens, b.data, b.data_len, b.fails), -1);
    /* a failure whose message lacks its NUL */
    built c = b;
    c.data[8 + strlen("fail 1")] = 'x';
    CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 4, 1, c.lens, c.data, c.data_len, c.fails), -1);
    /* a failure of a task out of range, or with a status that is not an error */
    int32_t bad[2][2] = {{4, -5}, {1, 3}};
    for (int i = 0; i < 2; i++) {
        c = b;
        memcpy(c.fails, bad[i], 8);
        CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 4, 1, c.lens, c.data, c.data_len, c.fails), -1);
    }
    /* failures out of order */
    int32_t f2[4] = {0, -5, -5, 0};
    build(&c, 4, f2, 1);
    char swapped[16];
    memcpy(swapped, c.fails + 8, 8);
    memcpy(swapped + 8, c.fails, 8);
    CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 4, 2, c.lens, c.data, c.data_len, c.fails), 0);
    CU_ASSERT_EQUAL(tf__rec_make(&r, 0, 4, 2, c.lens, c.data, c.data_len, swapped), -1);
}

/* Records of a job of 1000 tasks in chunks of 1..37, added in a shuffled
 * order: every index is found in its own record, in any reading order. */
static void test_find_any_order(void)
{
    enum { N = 1000 };
    static built b; /* one shared byte layout; only first and count matter */
    build(&b, 37, NULL, 1);
    tf__rec recs[N];
    size_t n = 0;
    for (uint64_t first = 0; first < N; n++) {
        uint32_t count = 1 + (uint32_t)(first * 7 % 37);
        if (first + count > N) count = (uint32_t)(N - first);
        CU_ASSERT_EQUAL_FATAL(
            tf__rec_make(&recs[n], first, count, 0, b.lens, b.data, 8 * (size_t)count, b.fails), 0);
        first += count;
    }
    srand(7);
    for (size_t i = n - 1; i > 0; i--) { /* shuffle */
        size_t j = (size_t)rand() % (i + 1);
        tf__rec t = recs[i];
        recs[i] = recs[j];
        recs[j] = t;
    }
    tf__recs rs = {0};
    for (size_t i = 0; i < n; i++) CU_ASSERT_EQUAL_FATAL(tf__recs_add(&rs, &recs[i]), 0);
    for (uint64_t i = 0; i < N; i++) { /* in order: the cache path */
        tf__rec *r = tf__recs_find(&rs, i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        CU_ASSERT_TRUE(i >= r->first && i < r->first + r->count);
    }
    for (int t = 0; t < 5000; t++) { /* at random: the search path */
        uint64_t i = (uint64_t)rand() % N;
        tf__rec *r = tf__recs_find(&rs, i);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        CU_ASSERT_TRUE(i >= r->first && i < r->first + r->count);
    }
    CU_ASSERT_PTR_NULL(tf__recs_find(&rs, N));
    CU_ASSERT_PTR_NULL(tf__recs_find(&rs, UINT64_MAX));
    tf__recs_free(&rs);
    tf__recs empty = {0};
    CU_ASSERT_PTR_NULL(tf__recs_find(&empty, 0));
}

static const unit_test tests[] = {
    UNIT_TEST(test_uniform_outputs), UNIT_TEST(test_mixed_outputs_and_failures),
    UNIT_TEST(test_malformed_refused), UNIT_TEST(test_find_any_order)};
UNIT_MAIN("recs", tests)
