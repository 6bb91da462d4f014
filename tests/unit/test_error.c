/* test_error.c - the error list (tf_strerror, tf_err_name) and tf__errfmt. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "unit.h"

typedef struct known_err {
    int code;
    const char *name; /* "TF_" #name, as the list spells it */
    const char *msg;
} known_err;

static const known_err known[] = {
#define KNOWN_(name, val, msg) {val, "TF_" #name, msg},
    TF_ERRNO_MAP(KNOWN_)
#undef KNOWN_
};
#define NKNOWN (sizeof known / sizeof known[0])

static size_t fmt(char *buf, size_t size, int rank, unsigned long long task, const char *f, ...)
{
    va_list ap;
    va_start(ap, f);
    size_t n = tf__errfmt(buf, size, rank, task, f, ap);
    va_end(ap);
    return n;
}

static void test_list_names_and_messages(void)
{
    CU_ASSERT_TRUE(NKNOWN >= 12);
    for (size_t i = 0; i < NKNOWN; i++) {
        const char *name = tf_err_name(known[i].code);
        const char *msg = tf_strerror(known[i].code);
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
        CU_ASSERT_STRING_EQUAL(name, known[i].name);
        CU_ASSERT_STRING_EQUAL(msg, known[i].msg);
        CU_ASSERT_TRUE(strlen(msg) > 0);
        CU_ASSERT_STRING_NOT_EQUAL(msg, tf_strerror(0));
        CU_ASSERT_STRING_NOT_EQUAL(msg, tf_strerror(INT_MIN));
        CU_ASSERT_STRING_NOT_EQUAL(name, "TF_OK");
        CU_ASSERT_STRING_NOT_EQUAL(name, "TF_E?");
    }
}

static void test_list_codes_negative_and_distinct(void)
{
    for (size_t i = 0; i < NKNOWN; i++) {
        CU_ASSERT_TRUE(known[i].code < 0);
        for (size_t j = i + 1; j < NKNOWN; j++) {
            CU_ASSERT_NOT_EQUAL(known[i].code, known[j].code);
            CU_ASSERT_STRING_NOT_EQUAL(known[i].msg, known[j].msg);
            CU_ASSERT_STRING_NOT_EQUAL(known[i].name, known[j].name);
        }
    }
}

/* Codes are never renumbered: the values the public header promised stay. */
static void test_codes_are_stable(void)
{
    CU_ASSERT_EQUAL(TF_OK, 0);
    CU_ASSERT_EQUAL(TF_EINVAL, -1);
    CU_ASSERT_EQUAL(TF_ENOMEM, -2);
    CU_ASSERT_EQUAL(TF_EMPI, -3);
    CU_ASSERT_EQUAL(TF_ENOFUNC, -4);
    CU_ASSERT_EQUAL(TF_ETASK, -5);
    CU_ASSERT_EQUAL(TF_ESTATE, -6);
    CU_ASSERT_EQUAL(TF_ETOOBIG, -7);
    CU_ASSERT_EQUAL(TF_EEXIST, -8);
    CU_ASSERT_EQUAL(TF_ETHREAD, -9);
    CU_ASSERT_EQUAL(TF_ESYS, -10);
    CU_ASSERT_EQUAL(TF_EBUSY, -11);
    CU_ASSERT_EQUAL(TF_EPROTO, -12);
    CU_ASSERT_STRING_EQUAL(tf_err_name(TF_EPROTO), "TF_EPROTO");
    CU_ASSERT_STRING_EQUAL(tf_err_name(TF_EINVAL), "TF_EINVAL");
}

static void test_success(void)
{
    CU_ASSERT_PTR_NOT_NULL_FATAL(tf_strerror(0));
    CU_ASSERT_STRING_EQUAL(tf_strerror(0), "success");
    CU_ASSERT_STRING_EQUAL(tf_err_name(0), "TF_OK");
    CU_ASSERT_STRING_EQUAL(tf_err_name(TF_OK), "TF_OK");
}

static void test_unknown_codes(void)
{
    const int unknown[] = {1, 2, 100, -13, -100, -1000, INT_MIN, INT_MAX, INT_MIN + 1};
    const char *first = tf_strerror(unknown[0]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(first);
    CU_ASSERT_TRUE(strlen(first) > 0);
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        int c = unknown[i];
        int listed = 0;
        for (size_t j = 0; j < NKNOWN; j++) listed |= known[j].code == c;
        if (listed) continue; /* the list grew into this value: nothing to check */
        const char *m = tf_strerror(c), *n = tf_err_name(c);
        CU_ASSERT_PTR_NOT_NULL_FATAL(m);
        CU_ASSERT_PTR_NOT_NULL_FATAL(n);
        CU_ASSERT_STRING_EQUAL(m, first);
        CU_ASSERT_STRING_EQUAL(n, "TF_E?");
        CU_ASSERT_STRING_NOT_EQUAL(m, tf_strerror(0));
        for (size_t j = 0; j < NKNOWN; j++) CU_ASSERT_STRING_NOT_EQUAL(m, known[j].msg);
    }
}

static void test_errfmt_with_task(void)
{
    char buf[TF__ERRMSG_MAX];
    size_t n = fmt(buf, sizeof buf, 3, 7, "bad input %d (%s)", 42, "x");
    CU_ASSERT_STRING_EQUAL(buf, "rank 3: task 7: bad input 42 (x)");
    CU_ASSERT_EQUAL(n, strlen(buf));

    /* task 0 is a real task id, not "no task" */
    n = fmt(buf, sizeof buf, 0, 0, "m");
    CU_ASSERT_STRING_EQUAL(buf, "rank 0: task 0: m");
    CU_ASSERT_EQUAL(n, strlen(buf));

    /* the largest id that still names a task */
    n = fmt(buf, sizeof buf, 12, UINT64_MAX - 1, "m");
    CU_ASSERT_STRING_EQUAL(buf, "rank 12: task 18446744073709551614: m");
    CU_ASSERT_EQUAL(n, strlen(buf));

    n = fmt(buf, sizeof buf, -1, 5, "%s", "");
    CU_ASSERT_STRING_EQUAL(buf, "rank -1: task 5: ");
    CU_ASSERT_EQUAL(n, strlen(buf));
}

static void test_errfmt_no_task(void)
{
    char buf[TF__ERRMSG_MAX];
    size_t n = fmt(buf, sizeof buf, 5, UINT64_MAX, "MPI_Send: %s", "broken pipe");
    CU_ASSERT_STRING_EQUAL(buf, "rank 5: MPI_Send: broken pipe");
    CU_ASSERT_EQUAL(n, strlen(buf));
    CU_ASSERT_PTR_NULL(strstr(buf, "task"));

    n = fmt(buf, sizeof buf, 0, UINT64_MAX, "%s", "");
    CU_ASSERT_STRING_EQUAL(buf, "rank 0: ");
    CU_ASSERT_EQUAL(n, 8);
}

/* Every buffer size from 1 to past the full length: a NUL-terminated prefix
 * of the full text, its length returned, nothing written past size. */
static void check_truncation(unsigned long long task, const char *full_expected)
{
    size_t full = strlen(full_expected);
    char buf[128];
    CU_ASSERT_FATAL(full + 8 < sizeof buf);
    for (size_t size = 1; size <= full + 3; size++) {
        memset(buf, '#', sizeof buf);
        size_t n = fmt(buf, size, 17, task, "%s=%d", "value", 12345);
        size_t want = size - 1 < full ? size - 1 : full;
        CU_ASSERT_EQUAL(n, want);
        CU_ASSERT_EQUAL(buf[want], '\0');
        CU_ASSERT_EQUAL(strlen(buf), want);
        CU_ASSERT_EQUAL(memcmp(buf, full_expected, want), 0);
        for (size_t i = size; i < sizeof buf; i++)
            if (buf[i] != '#') {
                CU_FAIL("tf__errfmt wrote past the buffer size");
                break;
            }
    }
}

static void test_errfmt_truncation(void)
{
    check_truncation(99, "rank 17: task 99: value=12345");
    check_truncation(UINT64_MAX, "rank 17: value=12345");

    /* size 0 writes nothing */
    char buf[4] = {'#', '#', '#', '#'};
    CU_ASSERT_EQUAL(fmt(buf, 0, 1, 2, "abc"), 0);
    CU_ASSERT_EQUAL(buf[0], '#');

    /* a message longer than the library's buffer */
    char big[2 * TF__ERRMSG_MAX];
    memset(big, 'z', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    char out[TF__ERRMSG_MAX + 1];
    out[TF__ERRMSG_MAX] = '#';
    size_t n = fmt(out, TF__ERRMSG_MAX, 1, 2, "%s", big);
    CU_ASSERT_EQUAL(n, TF__ERRMSG_MAX - 1);
    CU_ASSERT_EQUAL(strlen(out), TF__ERRMSG_MAX - 1);
    CU_ASSERT_EQUAL(out[TF__ERRMSG_MAX], '#');
    CU_ASSERT_EQUAL(strncmp(out, "rank 1: task 2: zzz", 19), 0);
    CU_ASSERT_EQUAL(out[TF__ERRMSG_MAX - 2], 'z');
}

static const unit_test tests[] = {
    UNIT_TEST(test_list_names_and_messages), UNIT_TEST(test_list_codes_negative_and_distinct),
    UNIT_TEST(test_codes_are_stable),        UNIT_TEST(test_success),
    UNIT_TEST(test_unknown_codes),           UNIT_TEST(test_errfmt_with_task),
    UNIT_TEST(test_errfmt_no_task),          UNIT_TEST(test_errfmt_truncation),
};
UNIT_MAIN("error", tests)
