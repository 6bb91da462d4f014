/* test_tfrun_cli.c - cli.c: durations with units (every option that takes
 * a time), GNU parallel's --halt spec and when it is due, the option name
 * suggested for a wrong one, JSON strings. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "unit.h"

static void dur_ok(const char *s, double want)
{
    double v = -1;
    int rc = tfr_duration_parse(s, &v);
    CU_ASSERT_EQUAL(rc, 0);
    CU_ASSERT_DOUBLE_EQUAL(v, want, 1e-9);
    if (rc || v != want) fprintf(stderr, "'%s': rc %d, %g, want %g\n", s, rc, v, want);
}

static void dur_bad(const char *s)
{
    double v = 7;
    int rc = tfr_duration_parse(s, &v);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(v, 7);
    if (rc != -1) fprintf(stderr, "'%s' accepted as %g\n", s, v);
}

static void test_duration(void)
{
    dur_ok("30", 30);
    dur_ok("1.5", 1.5);
    dur_ok(".5", 0.5);
    dur_ok("0", 0);
    dur_ok("30s", 30);
    dur_ok("10m", 600);
    dur_ok("2h", 7200);
    dur_ok("1d", 86400);
    dur_ok("1.5h", 5400);
    const char *bad[] = {"",    "s",   "-1",  "+1",    "1x",  "10mm", "1 m", "0x10",
                         "1e3", "inf", "nan", "1h30m", "m10", " 1",   "1 ",  "10M"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) dur_bad(bad[k]);
    CU_ASSERT_EQUAL(tfr_duration_parse(NULL, &(double){0}), -1);
}

static tfr_halt halt_ok(const char *s, const char *canon)
{
    tfr_halt h;
    char err[256] = "", back[64];
    int rc = tfr_halt_parse(s, &h, err, sizeof err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc) fprintf(stderr, "'%s' refused: %s\n", s, err);
    tfr_halt_str(&h, back, sizeof back);
    CU_ASSERT_STRING_EQUAL(back, canon);
    if (strcmp(back, canon)) fprintf(stderr, "'%s' read as '%s', want '%s'\n", s, back, canon);
    return h;
}

static void halt_bad(const char *s)
{
    tfr_halt h = {.n = 42};
    char err[256] = "";
    CU_ASSERT_EQUAL(tfr_halt_parse(s, &h, err, sizeof err), -1);
    CU_ASSERT_EQUAL(h.n, 42);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--halt"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, s));
    CU_ASSERT_PTR_NULL(strchr(err, '\n'));
}

static void test_halt_parse(void)
{
    halt_ok("never", "never");
    halt_ok("0", "never");
    halt_ok("1", "soon,fail=1");
    halt_ok("2", "now,fail=1");
    halt_ok("-1", "soon,success=1");
    halt_ok("-2", "now,success=1");
    halt_ok("20%", "soon,fail=20%");
    halt_ok("now,fail=1", "now,fail=1");
    halt_ok("soon,fail=3", "soon,fail=3");
    tfr_halt h = halt_ok("soon,fail=3%", "soon,fail=3%");
    CU_ASSERT(h.pct && h.when == TFR_HALT_SOON && h.why == TFR_HALT_FAIL && h.n == 3);
    halt_ok("now,success=2", "now,success=2");
    halt_ok("soon,success=50%", "soon,success=50%");
    halt_ok("now,done=5", "now,done=5");
    halt_ok("soon,done=2.5%", "soon,done=2.5%");
    const char *bad[] = {"",
                         "sometimes",
                         "now",
                         "now,",
                         "soon,fail",
                         "now,fail=0",
                         "now,fail=-1",
                         "now,fail=1.5",
                         "now,fail=x",
                         "now,fail=101%",
                         "now,fail=0%",
                         "later,fail=1",
                         "now,oops=1",
                         "3",
                         "100%",
                         "now,fail=1,"};
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) halt_bad(bad[k]);
}

static void test_halt_due(void)
{
    char err[256];
    tfr_halt h;
    tfr_halt_parse("never", &h, err, sizeof err);
    CU_ASSERT_FALSE(tfr_halt_due(&h, 0, 1000, 1000));
    tfr_halt_parse("soon,fail=3", &h, err, sizeof err);
    CU_ASSERT_FALSE(tfr_halt_due(&h, 100, 2, 1000));
    CU_ASSERT_TRUE(tfr_halt_due(&h, 0, 3, 1000));
    tfr_halt_parse("now,fail=10%", &h, err, sizeof err); /* of the tasks to run */
    CU_ASSERT_FALSE(tfr_halt_due(&h, 0, 4, 50));
    CU_ASSERT_TRUE(tfr_halt_due(&h, 0, 5, 50));
    tfr_halt_parse("now,success=2", &h, err, sizeof err);
    CU_ASSERT_FALSE(tfr_halt_due(&h, 1, 9, 20));
    CU_ASSERT_TRUE(tfr_halt_due(&h, 2, 0, 20));
    tfr_halt_parse("soon,done=3", &h, err, sizeof err);
    CU_ASSERT_FALSE(tfr_halt_due(&h, 1, 1, 20));
    CU_ASSERT_TRUE(tfr_halt_due(&h, 1, 2, 20));
}

static void test_suggest(void)
{
    static const char *const names[] = {"--journal", "--joblog",        "--timeout", "--retries",
                                        "--resume",  "--resume-failed", "--halt",    "--tag"};
    size_t n = sizeof names / sizeof *names;
    CU_ASSERT_EQUAL(tfr_edit_distance("kitten", "sitting"), 3);
    CU_ASSERT_EQUAL(tfr_edit_distance("", "abc"), 3);
    CU_ASSERT_EQUAL(tfr_edit_distance("same", "same"), 0);
    const char *s = tfr_suggest("--journl", names, n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "--journal");
    s = tfr_suggest("--timout=5", names, n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "--timeout");
    s = tfr_suggest("--retires", names, n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "--retries");
    s = tfr_suggest("--resume-fail", names, n);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    CU_ASSERT_STRING_EQUAL(s, "--resume-failed");
    CU_ASSERT_PTR_NULL(tfr_suggest("--frobnicate", names, n));
    CU_ASSERT_PTR_NULL(tfr_suggest("-x", names, n));
}

static void test_json(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    tfr_json_str(f, "a\"b\\c\nd\te\x01");
    fclose(f);
    CU_ASSERT_STRING_EQUAL(buf, "\"a\\\"b\\\\c\\nd\\te\\u0001\"");
    free(buf);
}

static const unit_test tests[] = {UNIT_TEST(test_duration), UNIT_TEST(test_halt_parse),
                                  UNIT_TEST(test_halt_due), UNIT_TEST(test_suggest),
                                  UNIT_TEST(test_json)};
UNIT_MAIN("tfrun_cli", tests)
