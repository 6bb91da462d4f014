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

/* ---- indexed outputs (tf_map_to_resume) ---- */

#define RN 20 /* positions of the resumable map below */

static char ixp[128];

/* A whole file: its bytes (the caller frees them) and length in *len. */
static char *slurp(const char *f, size_t *len)
{
    FILE *fp = fopen(f, "rb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *d = malloc((size_t)n + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    CU_ASSERT_EQUAL((long)fread(d, 1, (size_t)n, fp), n);
    fclose(fp);
    d[n] = '\0';
    *len = (size_t)n;
    return d;
}

static void spill(const char *f, const char *d, size_t len)
{
    FILE *fp = fopen(f, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
    CU_ASSERT_EQUAL(fwrite(d, 1, len, fp), len);
    fclose(fp);
}

static tf__out_ident ident(uint64_t n, const char *fn)
{
    tf__out_ident id = {.n = n, .elem_size = 8, .in_sum = 42};
    snprintf(id.fn, sizeof id.fn, "%s", fn);
    return id;
}

/* Resumes path's map (mode) and puts positions from where it stands to RN;
 * position 5 fails. What was found: *done. */
static int resume_and_finish(struct tf__outs *os, int mode, uint64_t *done, uint64_t *failed)
{
    tf_output_opts op = opts(64, 1 << 20, 64);
    tf__out_ident id = ident(RN, "sq");
    tf_output *o = NULL;
    int rc = tf__out_open_resume(os, path, &op, &id, mode, done, failed, &o);
    if (rc < 0) return rc;
    int trc = -1;
    uint64_t base = tf__out_take(o, RN - *done, &trc);
    CU_ASSERT_EQUAL(trc, 0);
    CU_ASSERT_EQUAL(base, *done);
    /* in order from an even start (each record goes out at once), else the
     * last first (all held back until the first comes) */
    bool fwd = *done % 2 == 0;
    for (uint64_t i = *done; i < RN; i++) {
        uint64_t q = fwd ? i : RN - 1 - (i - *done);
        char r[64];
        snprintf(r, sizeof r, "record %llu:%.*s\n", (unsigned long long)q, (int)(q % 7), "xxxxxxx");
        tf__out_put(o, q, r, strlen(r), q == 5); /* a failed task's data: its message */
    }
    tf__out_untake(o, base, true);
    CU_ASSERT_EQUAL(tf__out_finish(o), 0);
    return tf__out_close(o);
}

/* A file with k whole records and a torn tail (bytes past the last indexed
 * record, half an index entry): the resume finds k, cuts the tails, and the
 * rest makes both files byte-identical to an uninterrupted run's. */
static void test_resume_torn(void)
{
    tmp_path();
    snprintf(ixp, sizeof ixp, "%s" TF__IX_SUFFIX, path);
    struct tf__outs *os = outs_new();
    uint64_t done = 9, failed = 9;
    CU_ASSERT_EQUAL_FATAL(resume_and_finish(os, TF_RESUME_START, &done, &failed), 0);
    CU_ASSERT_EQUAL(done, 0);
    size_t rlen, rixlen;
    char *ref = slurp(path, &rlen), *refix = slurp(ixp, &rixlen);
    CU_ASSERT_EQUAL(rixlen, TF__IX_HEADER + RN * TF__IX_ENTRY);
    CU_ASSERT_PTR_NULL(strstr(ref, "record 5:")); /* failed: no record */

    /* a finished file: a rerun maps nothing and changes nothing */
    CU_ASSERT_EQUAL(resume_and_finish(os, TF_RESUME, &done, &failed), 0);
    CU_ASSERT_EQUAL(done, RN);
    CU_ASSERT_EQUAL(failed, 1);

    for (uint64_t k = 0; k <= RN; k += 3) {
        /* the end of record k-1, from the index */
        const unsigned char *e =
            (const unsigned char *)refix + TF__IX_HEADER + (k ? k - 1 : 0) * TF__IX_ENTRY + 8;
        size_t end = 0;
        for (int i = 7; k && i >= 0; i--) end = end << 8 | e[i];
        char *torn = malloc(end + 5);
        memcpy(torn, ref, end);
        memcpy(torn + end, "torn!", 5); /* a block written, not indexed */
        spill(path, torn, end + (k < RN ? 5 : 0));
        spill(ixp, refix, TF__IX_HEADER + k * TF__IX_ENTRY + (k < RN ? 11 : 0));
        free(torn);
        CU_ASSERT_EQUAL(resume_and_finish(os, TF_RESUME, &done, &failed), 0);
        CU_ASSERT_EQUAL(done, k);
        CU_ASSERT_EQUAL(failed, k > 5 ? 1 : 0);
        size_t len, ixlen;
        char *got = slurp(path, &len), *gotix = slurp(ixp, &ixlen);
        CU_ASSERT(len == rlen && memcmp(got, ref, rlen) == 0);
        CU_ASSERT(ixlen == rixlen && memcmp(gotix, refix, rixlen) == 0);
        free(got);
        free(gotix);
    }

    /* an entry spoiled in the middle ends the valid ones there */
    char *bad = malloc(rixlen);
    memcpy(bad, refix, rixlen);
    bad[TF__IX_HEADER + 8 * TF__IX_ENTRY + 9] ^= 1;
    spill(ixp, bad, rixlen);
    free(bad);
    CU_ASSERT_EQUAL(resume_and_finish(os, TF_RESUME, &done, &failed), 0);
    CU_ASSERT_EQUAL(done, 8);
    size_t len;
    char *got = slurp(path, &len);
    CU_ASSERT(len == rlen && memcmp(got, ref, rlen) == 0);
    free(got);

    tf__outs_free(os);
    free(ref);
    free(refix);
    unlink(ixp);
    tmp_done();
}

/* Whatever does not fit is refused with a message, and both files stay as
 * they were. */
static void test_resume_refused(void)
{
    tmp_path();
    snprintf(ixp, sizeof ixp, "%s" TF__IX_SUFFIX, path);
    struct tf__outs *os = outs_new();
    tf_output_opts op = opts(64, 1 << 20, 64);
    uint64_t done, failed;
    tf_output *o = NULL;

    /* TF_RESUME with nothing to resume; a file of the name with no index */
    tf__out_ident id = ident(RN, "sq");
    CU_ASSERT_EQUAL(tf__out_open_resume(os, path, &op, &id, TF_RESUME, &done, &failed, &o),
                    TF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "no index"));
    spill(path, "mine", 4);
    CU_ASSERT_EQUAL(tf__out_open_resume(os, path, &op, &id, TF_RESUME_OR_START, &done, &failed, &o),
                    TF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "without an index"));
    check_file("mine", 4);

    CU_ASSERT_EQUAL_FATAL(resume_and_finish(os, TF_RESUME_START, &done, &failed), 0);
    size_t rlen, rixlen;
    char *ref = slurp(path, &rlen), *refix = slurp(ixp, &rixlen);
    spill(ixp, refix, rixlen - 3 * TF__IX_ENTRY); /* a killed run's */

    tf__out_ident other[4] = {ident(RN + 1, "sq"), ident(RN, "cube"), ident(RN, "sq"),
                              ident(RN, "sq")};
    other[2].elem_size = 4;
    other[3].in_sum = 43;
    const char *why[4] = {"(n differs)", "(function differs)", "(elem_size differs)",
                          "(inputs differ)"};
    for (int i = 0; i < 4; i++) {
        o = NULL;
        CU_ASSERT_EQUAL(
            tf__out_open_resume(os, path, &op, &other[i], TF_RESUME_OR_START, &done, &failed, &o),
            TF_EMISMATCH);
        CU_ASSERT_PTR_NULL(o);
        CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "made for another map"));
        CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, why[i]));
    }
    /* the file shorter than its index says */
    spill(path, ref, rlen / 2);
    CU_ASSERT_EQUAL(tf__out_open_resume(os, path, &op, &id, TF_RESUME, &done, &failed, &o),
                    TF_EMISMATCH);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "fewer than"));
    check_file(ref, rlen / 2);
    /* an index a running map holds is refused, even to start afresh */
    spill(path, ref, rlen);
    spill(ixp, refix, rixlen);
    tf_output *held = NULL;
    CU_ASSERT_EQUAL_FATAL(tf__out_open_resume(os, path, &op, &id, TF_RESUME, &done, &failed, &held),
                          0);
    for (int mode = TF_RESUME_OR_START; mode <= TF_RESUME_START; mode++) {
        CU_ASSERT_EQUAL(tf__out_open_resume(os, path, &op, &id, mode, &done, &failed, &o),
                        TF_EBUSY);
        CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "in use by a running map"));
    }
    CU_ASSERT_EQUAL(tf__out_close(held), 0);
    check_file(ref, rlen);
    spill(path, ref, rlen / 2);
    /* not an index at all */
    spill(ixp, "TFMAPIX1 but not one", 20);
    CU_ASSERT_EQUAL(tf__out_open_resume(os, path, &op, &id, TF_RESUME, &done, &failed, &o),
                    TF_EINVAL);
    CU_ASSERT_PTR_NOT_NULL(strstr(ctx.errmsg, "not a tf_map_to_resume index"));
    check_file(ref, rlen / 2);

    tf__outs_free(os);
    free(ref);
    free(refix);
    unlink(ixp);
    tmp_done();
}

static const unit_test tests[] = {UNIT_TEST(test_limit_map_to),  UNIT_TEST(test_take_and_write),
                                  UNIT_TEST(test_close_missing), UNIT_TEST(test_blocks_reversed),
                                  UNIT_TEST(test_unordered),     UNIT_TEST(test_left_open),
                                  UNIT_TEST(test_open_fails),    UNIT_TEST(test_resume_torn),
                                  UNIT_TEST(test_resume_refused)};
UNIT_MAIN("output", tests)
