/* test_output.c - the output writer on its own (no MPI, no pool): the
 * ordered window (tf__out_put, tf__out_limit), positions taken by maps,
 * skipped records, and the exact bytes that reach the file. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "system/output.h"
#include "taskfarm.h"
#include "unit.h"

static tf__ctx ctx;
static atomic_int started; /* writer threads that ran the start hook */
static void *start_arg;    /* what the last one was given */
static int pool_tag;       /* its address stands for a pool */

/* On the writer thread: no CUnit assertion here (CUnit is not
 * thread-safe); the main thread checks after the join. */
static void on_start(void *arg)
{
    start_arg = arg;
    atomic_fetch_add(&started, 1);
}

static struct tf__outs *outs_new(void)
{
    memset(&ctx, 0, sizeof ctx);
    tf__outs_cfg cfg = {.ctx = &ctx,
                        .trace = NULL,
                        .thread_start = on_start,
                        .thread_arg = &started,
                        .pool = (tf_pool *)&pool_tag};
    struct tf__outs *os = NULL;
    CU_ASSERT_EQUAL_FATAL(tf__outs_new(&cfg, &os), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(os);
    return os;
}

static tf_output_opts opts(size_t block, size_t max_held, size_t max_ahead)
{
    return (tf_output_opts){.durability = TF_DURABLE_NONE,
                            .block_size = block,
                            .max_held = max_held,
                            .max_ahead = max_ahead,
                            .flush_s = 60, /* the writer thread seals nothing on its own */
                            .append = 0};
}

/* A fresh file name in a directory of its own; tmp_done removes both. */
static char dir[64], path[96];

static void tmp_path(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof dir, "%s/tf-output-XXXXXX", t && *t && strlen(t) < 40 ? t : "/tmp");
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/out", dir);
}

static void tmp_done(void)
{
    unlink(path);
    rmdir(dir);
}

/* The file's bytes equal want (n bytes). */
static void check_file(const char *want, size_t n)
{
    FILE *f = fopen(path, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    char *got = malloc(n + 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(got);
    size_t len = fread(got, 1, n + 16, f);
    fclose(f);
    CU_ASSERT_EQUAL(len, n);
    if (len == n) CU_ASSERT_EQUAL(memcmp(got, want, n), 0);
    free(got);
}

static void put(tf_output *o, uint64_t pos, const char *s)
{
    tf__out_put(o, pos, s, strlen(s), false);
}

/* A map_to job: how far its tasks may be handed out as records are held
 * back, and what reaches the file. */
static void test_limit_map_to(void)
{
    tmp_path();
    struct tf__outs *os = outs_new();
    tf_output_opts op = opts(4096, 1024, 8);
    tf_output *o = NULL;
    CU_ASSERT_EQUAL_FATAL(tf__out_open(os, path, TF_OUTPUT_ORDERED, &op, &o), 0);
    CU_ASSERT_PTR_EQUAL(tf__out_pool(o), (tf_pool *)&pool_tag);

    int rc = -1;
    uint64_t base = tf__out_take(o, 10, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(base, 0);
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 8); /* max_ahead past position 0 */

    /* early records are held: the window does not move */
    put(o, 2, "c");
    put(o, 1, "bb");
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 8);
    /* the gap closes: 0, 1, 2 go out, the window moves to 3 */
    put(o, 0, "a");
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 3 + 8);
    CU_ASSERT_EQUAL(tf__out_finish(o), 0);
    check_file("abbc", 4);
    CU_ASSERT_EQUAL(tf__out_records(o), 3);
    CU_ASSERT_EQUAL(tf__out_bytes(o), 4);

    /* max_held bytes held back stop the handing out altogether */
    char big[1024];
    memset(big, 'x', sizeof big);
    tf__out_put(o, 4, big, sizeof big, false);
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 0);
    tf__out_put(o, 5, NULL, 0, true); /* a failed task: no record */
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 0);
    put(o, 3, "d"); /* 3, 4 and the skipped 5 drain */
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 6 + 8);

    put(o, 9, "j");
    tf__out_put(o, 8, "lost", 4, true);
    put(o, 7, "h");
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 6 + 8);
    put(o, 6, "g");
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 10 + 8);
    tf__out_untake(o, base, true);
    CU_ASSERT_EQUAL(tf__out_finish(o), 0);

    char want[4 + 1 + 1024 + 3];
    memcpy(want, "abbcd", 5);
    memcpy(want + 5, big, sizeof big);
    memcpy(want + 5 + sizeof big, "ghj", 3);
    check_file(want, sizeof want);
    CU_ASSERT_EQUAL(tf__out_records(o), 8);
    CU_ASSERT_EQUAL(tf__out_bytes(o), sizeof want);

    /* a second map starts after the first; the limit is relative to its base */
    base = tf__out_take(o, 5, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(base, 10);
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 8);
    /* it never ran: its positions are given back, and taken again */
    tf__out_untake(o, base, false);
    base = tf__out_take(o, 2, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(base, 10);
    put(o, 11, "l");
    put(o, 10, "k");
    tf__out_untake(o, base, true);

    CU_ASSERT_EQUAL(tf__out_close(o), 0);
    tf__outs_free(os);
    char want2[sizeof want + 2];
    memcpy(want2, want, sizeof want);
    memcpy(want2 + sizeof want, "kl", 2);
    check_file(want2, sizeof want2);
    tmp_done();
}

/* tf_output_write's checks, and a map refused behind a missing position. */
static void test_take_and_write(void)
{
    tmp_path();
    struct tf__outs *os = outs_new();
    tf_output_opts op = opts(4096, 1 << 20, 8);
    tf_output *o = NULL;
    CU_ASSERT_EQUAL_FATAL(tf__out_open(os, path, TF_OUTPUT_ORDERED, &op, &o), 0);

    CU_ASSERT_EQUAL(tf__out_write(o, 1, "B", 1), 0); /* held: 0 is missing */
    int rc = 0;
    uint64_t base = tf__out_take(o, 3, &rc);
    CU_ASSERT_EQUAL(rc, TF_EINVAL);
    CU_ASSERT_EQUAL(base, 0); /* the missing one */
    CU_ASSERT_EQUAL(tf__out_write(o, 1, "b", 1), TF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "position 1 is used already"));
    CU_ASSERT_EQUAL(tf__out_write(o, 0, "A", 1), 0);

    base = tf__out_take(o, 3, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(base, 2);
    CU_ASSERT_EQUAL(tf__out_write(o, 3, "x", 1), TF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "position 3 belongs to a running map"));
    CU_ASSERT_EQUAL(tf__out_write(o, 0, "x", 1), TF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "position 0 is used already"));
    CU_ASSERT_EQUAL(tf__out_write(o, 2 + 8, "x", 1), TF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "max_ahead"));
    /* a map writing to it cannot be closed */
    CU_ASSERT_EQUAL(tf__out_close(o), TF_EBUSY);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "a map is writing"));

    put(o, 4, "4");
    put(o, 2, "2");
    put(o, 3, "3");
    tf__out_untake(o, base, true);
    CU_ASSERT_EQUAL(tf__out_finish(o), 0);
    check_file("AB234", 5);
    /* after the map, the program writes on */
    CU_ASSERT_EQUAL(tf__out_write(o, 5, "5", 1), 0);
    CU_ASSERT_EQUAL(tf__out_close(o), 0);
    check_file("AB2345", 6);
    tf__outs_free(os);
    tmp_done();
}

/* Closing with a position never written: what was held is written in
 * order, and the close says which position is missing. */
static void test_close_missing(void)
{
    tmp_path();
    struct tf__outs *os = outs_new();
    tf_output_opts op = opts(4096, 1 << 20, 8);
    tf_output *o = NULL;
    CU_ASSERT_EQUAL_FATAL(tf__out_open(os, path, TF_OUTPUT_ORDERED, &op, &o), 0);
    CU_ASSERT_EQUAL(tf__out_write(o, 0, "a", 1), 0);
    CU_ASSERT_EQUAL(tf__out_write(o, 3, "d", 1), 0);
    CU_ASSERT_EQUAL(tf__out_write(o, 2, "c", 1), 0);
    CU_ASSERT_EQUAL(tf__out_close(o), TF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "position 1 was never written"));
    check_file("acd", 3);
    tf__outs_free(os);
    tmp_done();
}

/* Many small blocks, records arriving in reverse: the ring grows, and the
 * file is still in position order. */
static void test_blocks_reversed(void)
{
    tmp_path();
    struct tf__outs *os = outs_new();
    tf_output_opts op = opts(16, 1 << 20, 1000);
    tf_output *o = NULL;
    CU_ASSERT_EQUAL_FATAL(tf__out_open(os, path, TF_OUTPUT_ORDERED, &op, &o), 0);
    int rc = -1;
    uint64_t base = tf__out_take(o, 100, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    char rec[8], want[300];
    for (int i = 99; i >= 0; i--) {
        snprintf(rec, sizeof rec, "%03d", i);
        memcpy(want + 3 * i, rec, 3);
        CU_ASSERT_EQUAL(tf__out_limit(o, base), 1000); /* nothing drains until 0 */
        tf__out_put(o, base + (uint64_t)i, rec, 3, false);
    }
    CU_ASSERT_EQUAL(tf__out_limit(o, base), 100 + 1000);
    tf__out_untake(o, base, true);
    CU_ASSERT_EQUAL(tf__out_finish(o), 0);
    CU_ASSERT_EQUAL(tf__out_records(o), 100);
    CU_ASSERT_EQUAL(tf__out_bytes(o), 300);
    check_file(want, sizeof want);
    CU_ASSERT_EQUAL(tf__out_close(o), 0);
    tf__outs_free(os);
    tmp_done();
}

/* Unordered: no window, arrival order, skipped records leave nothing. */
static void test_unordered(void)
{
    tmp_path();
    struct tf__outs *os = outs_new();
    tf_output_opts op = opts(4096, 1, 1);
    tf_output *o = NULL;
    CU_ASSERT_EQUAL_FATAL(tf__out_open(os, path, TF_OUTPUT_UNORDERED, &op, &o), 0);
    int rc = -1;
    uint64_t base = tf__out_take(o, 3, &rc);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_EQUAL(base, 0);
    put(o, 5, "five");
    CU_ASSERT_EQUAL(tf__out_limit(o, base), UINT64_MAX);
    tf__out_put(o, 0, "no", 2, true);
    put(o, 1, "one");
    tf__out_untake(o, base, true);
    CU_ASSERT_EQUAL(tf__out_write(o, 0, "!", 1), 0);
    CU_ASSERT_EQUAL(tf__out_close(o), 0);
    check_file("fiveone!", 8);
    tf__outs_free(os);
    tmp_done();
}

/* The writer thread runs the start hook once; an output left open is
 * written and closed when its set is freed. */
static void test_left_open(void)
{
    tmp_path();
    atomic_store(&started, 0);
    struct tf__outs *os = outs_new();
    tf_output_opts op = opts(4096, 1 << 20, 8);
    tf_output *a = NULL, *b = NULL;
    CU_ASSERT_EQUAL_FATAL(tf__out_open(os, path, TF_OUTPUT_ORDERED, &op, &a), 0);
    char path2[sizeof path + 8];
    snprintf(path2, sizeof path2, "%s2", path);
    CU_ASSERT_EQUAL_FATAL(tf__out_open(os, path2, TF_OUTPUT_UNORDERED, &op, &b), 0);
    CU_ASSERT_EQUAL(tf__out_write(a, 1, "y", 1), 0);
    CU_ASSERT_EQUAL(tf__out_write(a, 0, "x", 1), 0);
    CU_ASSERT_EQUAL(tf__out_close(b), 0);
    tf__outs_free(os); /* a is still open */
    CU_ASSERT_EQUAL(atomic_load(&started), 1);
    CU_ASSERT_PTR_EQUAL(start_arg, &started);
    check_file("xy", 2);
    unlink(path2);
    tmp_done();
}

/* A path that cannot be opened fails with the reason in the message. */
static void test_open_fails(void)
{
    struct tf__outs *os = outs_new();
    tf_output_opts op = opts(4096, 1 << 20, 8);
    tf_output *o = (tf_output *)&pool_tag;
    CU_ASSERT_EQUAL(
        tf__out_open(os, "/nonexistent-dir-of-taskfarm/out", TF_OUTPUT_ORDERED, &op, &o), TF_ESYS);
    CU_ASSERT_PTR_NULL(o);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "nonexistent-dir-of-taskfarm"));
    tf__outs_free(os);
}

static const unit_test tests[] = {UNIT_TEST(test_limit_map_to),  UNIT_TEST(test_take_and_write),
                                  UNIT_TEST(test_close_missing), UNIT_TEST(test_blocks_reversed),
                                  UNIT_TEST(test_unordered),     UNIT_TEST(test_left_open),
                                  UNIT_TEST(test_open_fails)};
UNIT_MAIN("output", tests)
