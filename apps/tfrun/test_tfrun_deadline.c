/* test_tfrun_deadline.c - tfr_deadline_parse (deadline.c): the forms of
 * --deadline, and dates and times that do not exist, which are refused
 * rather than carried into the next day or month. Runs in UTC. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deadline.h"
#include "unit.h"

/* 2026-01-01T00:00:00Z: every date below is after it */
#define NOW 1767225600.0

static char err[512];

static double parse_ok(const char *s)
{
    double t = -1;
    err[0] = 0;
    int rc = tfr_deadline_parse(s, NOW, &t, err, sizeof err);
    CU_ASSERT_EQUAL(rc, 0);
    if (rc) fprintf(stderr, "'%s' refused: %s\n", s, err);
    return t;
}

/* s is refused with a one-line message naming the option and s. */
static void refused(const char *s)
{
    double t = 12345;
    err[0] = 0;
    int rc = tfr_deadline_parse(s, NOW, &t, err, sizeof err);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_EQUAL(t, 12345);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "--deadline"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, s));
    CU_ASSERT_PTR_NULL(strchr(err, '\n'));
    if (rc != -1) fprintf(stderr, "'%s' accepted as %.0f\n", s, t);
}

static void test_relative_and_epoch(void)
{
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("+90"), NOW + 90, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("+30m"), NOW + 1800, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("+2h"), NOW + 7200, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("+1d"), NOW + 86400, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("+45s"), NOW + 45, 1e-6);
    /* a duration with its unit needs no '+': "in 10 minutes" */
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("10m"), NOW + 600, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("2h"), NOW + 7200, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("90s"), NOW + 90, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("1d"), NOW + 86400, 1e-6);
    refused("90"); /* a bare number: seconds from now, or an hour? '+90' says */
    refused("0m");
    refused("+1e3");
    refused("+-5");
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("@1800000000"), 1800000000.0, 1e-6);
    refused("@1");
    refused("+x");
    refused("soon");
}

static void test_dates(void)
{
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("2030-03-01T10:00"), 1898589600.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("2030-03-01 10:00:30"), 1898589630.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("2030-12-31T23:59:59"), 1924991999.0, 1e-6);
    /* leap years: 2028 is one, 2030 and 2100 are not, 2400 is */
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("2028-02-29T00:00"), 1835395200.0, 1e-6);
    parse_ok("2400-02-29T12:00");
    refused("2030-02-29T10:00");
    refused("2100-02-29T10:00");
    refused("2030-02-30T10:00");
    refused("2030-04-31T10:00");
    refused("2030-06-31 10:00");
    refused("2030-01-32T10:00");
    refused("2030-13-01T10:00");
    refused("2030-00-10T10:00");
    refused("2030-01-00T10:00");
}

static void test_times(void)
{
    /* a time of day alone: the next one */
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("10:30"), NOW + 10 * 3600 + 1800, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(parse_ok("23:59:59"), NOW + 86399, 1e-6);
    refused("23:59:60");
    refused("24:00");
    refused("12:60");
    refused("2030-03-01T23:59:60");
    refused("2030-03-01T24:00");
}

static const unit_test tests[] = {
    UNIT_TEST(test_relative_and_epoch),
    UNIT_TEST(test_dates),
    UNIT_TEST(test_times),
};

int main(int argc, char **argv)
{
    setenv("TZ", "UTC", 1);
    tzset();
    return unit_run("tfrun_deadline", tests, sizeof tests / sizeof *tests, argc, argv);
}
