/* test_tfrun_journal.c - tfrun's journal format and parser (journal.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "journal.h"
#include "unit.h"

static char err[512];

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const unsigned char sha[32] = {
    0x00, 0x01, 0x7f, 0x80, 0xff, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
    0x0f, 0xf0, 0x55, 0xaa, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, 0x44};

/* A growing text buffer. */
typedef struct text {
    char *s;
    size_t len, cap;
} text;

static void put(text *t, const char *s, size_t n)
{
    if (t->len + n + 1 > t->cap) {
        size_t nc = t->cap ? t->cap : 4096;
        while (nc < t->len + n + 1) nc *= 2;
        char *ns = realloc(t->s, nc);
        CU_ASSERT_PTR_NOT_NULL_FATAL(ns);
        t->s = ns;
        t->cap = nc;
    }
    memcpy(t->s + t->len, s, n);
    t->len += n;
    t->s[t->len] = 0;
}

static void puts_(text *t, const char *s) { put(t, s, strlen(s)); }

static void put_header(text *t, uint64_t ntasks)
{
    char buf[512];
    size_t n = tfr_journal_header(buf, sizeof buf, sha, ntasks);
    CU_ASSERT_EQUAL(n, strlen(buf));
    put(t, buf, n);
}

static void put_rec(text *t, const tfr_jrec *r)
{
    char buf[512];
    size_t n = tfr_journal_format(buf, sizeof buf, r);
    CU_ASSERT_EQUAL(n, strlen(buf));
    CU_ASSERT(n > 0 && buf[n - 1] == '\n');
    put(t, buf, n);
}

static tfr_jrec rec(uint64_t id, int kind, int code)
{
    tfr_jrec r;
    memset(&r, 0, sizeof r);
    r.id = id;
    r.kind = kind;
    r.code = code;
    r.rank = (int)(id % 7);
    snprintf(r.host, sizeof r.host, "node-%02d.cluster.example", (int)(id % 13));
    r.start = 1700000000.125 + (double)id;
    r.end = r.start + 2.5;
    r.seconds = 2.5;
    r.out_bytes = (1ULL << 40) + id;
    r.err_bytes = id * 3;
    r.tries = 1 + (unsigned)(id % 3);
    r.out_end = id % 2 ? -1 : (int64_t)(id * 1000);
    return r;
}

static void check_rec(const tfr_jrec *got, const tfr_jrec *want)
{
    CU_ASSERT_EQUAL(got->id, want->id);
    CU_ASSERT_EQUAL(got->kind, want->kind);
    CU_ASSERT_EQUAL(got->code, want->code);
    CU_ASSERT_EQUAL(got->rank, want->rank);
    CU_ASSERT_STRING_EQUAL(got->host, want->host);
    CU_ASSERT(fabs(got->start - want->start) < 2e-6);
    CU_ASSERT(fabs(got->end - want->end) < 2e-6);
    CU_ASSERT(fabs(got->seconds - want->seconds) < 2e-6);
    CU_ASSERT_EQUAL(got->out_bytes, want->out_bytes);
    CU_ASSERT_EQUAL(got->err_bytes, want->err_bytes);
    CU_ASSERT_EQUAL(got->tries, want->tries);
    CU_ASSERT_EQUAL(got->out_end, want->out_end);
}

static int parse(const text *t, tfr_journal *j)
{
    err[0] = 0;
    return tfr_journal_parse(t->s, t->len, "j", j, err, sizeof err);
}

static void test_header_round_trip(void)
{
    static const uint64_t counts[] = {0, 1, 12345, UINT64_MAX};
    for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
        text t = {0};
        put_header(&t, counts[k]);
        /* the header names the task file's hash in lower-case hex */
        CU_ASSERT_EQUAL(strncmp(t.s, "# tfrun-journal 1 sha256=00017f80ffabcdef", 41), 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(t.s, "\n# id\tstatus\t"));
        tfr_journal j;
        CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
        CU_ASSERT(j.has_header);
        CU_ASSERT_EQUAL(memcmp(j.sha256, sha, 32), 0);
        CU_ASSERT_EQUAL(j.ntasks, counts[k]);
        CU_ASSERT_EQUAL(j.n, 0);
        CU_ASSERT_EQUAL(j.valid_len, t.len);
        CU_ASSERT(!j.torn);
        tfr_journal_free(&j);
        CU_ASSERT_PTR_NULL(j.v);
        free(t.s);
    }
}

static void test_empty_input(void)
{
    tfr_journal j;
    CU_ASSERT_EQUAL_FATAL(tfr_journal_parse("", 0, "j", &j, err, sizeof err), 0);
    CU_ASSERT(!j.has_header);
    CU_ASSERT_EQUAL(j.n, 0);
    CU_ASSERT_EQUAL(j.valid_len, 0);
    CU_ASSERT(!j.torn);
    tfr_journal_free(&j);
}

static void test_status_strings(void)
{
    char b[48];
    tfr_status_str(b, sizeof b, TFR_ST_EXIT, 0);
    CU_ASSERT_STRING_EQUAL(b, "exit:0");
    tfr_status_str(b, sizeof b, TFR_ST_EXIT, 255);
    CU_ASSERT_STRING_EQUAL(b, "exit:255");
    tfr_status_str(b, sizeof b, TFR_ST_SIGNAL, SIGKILL);
    CU_ASSERT_STRING_EQUAL(b, "signal:KILL");
    tfr_status_str(b, sizeof b, TFR_ST_SIGNAL, SIGSEGV);
    CU_ASSERT_STRING_EQUAL(b, "signal:SEGV");
    tfr_status_str(b, sizeof b, TFR_ST_TIMEOUT, 0);
    CU_ASSERT_STRING_EQUAL(b, "timeout");
    tfr_status_str(b, sizeof b, TFR_ST_NOSTART, ENOENT);
    CU_ASSERT_STRING_EQUAL(b, "nostart:ENOENT");
}

static void test_record_round_trip(void)
{
    const struct {
        int kind, code;
    } st[] = {
        {TFR_ST_EXIT, 0},
        {TFR_ST_EXIT, 1},
        {TFR_ST_EXIT, 255},
        {TFR_ST_SIGNAL, SIGKILL},
        {TFR_ST_SIGNAL, SIGSEGV},
        {TFR_ST_SIGNAL, SIGTERM},
        {TFR_ST_SIGNAL, SIGRTMIN + 2},
        {TFR_ST_TIMEOUT, 0},
        {TFR_ST_NOSTART, ENOENT},
        {TFR_ST_NOSTART, EACCES},
        {TFR_ST_NOSTART, E2BIG},
    };
    enum { NS = sizeof st / sizeof *st };
    tfr_jrec want[NS];
    text t = {0};
    put_header(&t, 1000);
    for (int k = 0; k < NS; k++) {
        want[k] = rec((uint64_t)(k * 37 + 1), st[k].kind, st[k].code);
        put_rec(&t, &want[k]);
    }
    /* extreme values */
    tfr_jrec x = rec(UINT64_MAX, TFR_ST_EXIT, 3);
    x.rank = INT32_MAX;
    x.out_bytes = UINT64_MAX;
    x.err_bytes = 0;
    x.tries = 1000000;
    x.out_end = INT64_MAX;
    x.start = x.end = x.seconds = 0;
    memset(x.host, 'h', sizeof x.host - 1); /* 63 bytes: the longest */
    x.host[sizeof x.host - 1] = 0;
    put_rec(&t, &x);

    tfr_journal j;
    CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
    CU_ASSERT(j.has_header);
    CU_ASSERT_EQUAL(j.ntasks, 1000);
    CU_ASSERT_EQUAL_FATAL(j.n, NS + 1);
    for (int k = 0; k < NS; k++) check_rec(&j.v[k], &want[k]);
    check_rec(&j.v[NS], &x);
    CU_ASSERT_EQUAL(j.valid_len, t.len);
    CU_ASSERT(!j.torn);
    tfr_journal_free(&j);
    free(t.s);

    /* the status field as written */
    char line[512];
    tfr_jrec r = rec(5, TFR_ST_SIGNAL, SIGSEGV);
    tfr_journal_format(line, sizeof line, &r);
    CU_ASSERT_EQUAL(strncmp(line, "5\tsignal:SEGV\t5\tnode-05.cluster.example\t", 40), 0);
    r = rec(2, TFR_ST_NOSTART, ENOENT);
    tfr_journal_format(line, sizeof line, &r);
    CU_ASSERT_EQUAL(strncmp(line, "2\tnostart:ENOENT\t", 17), 0);
}

static void test_numeric_status_accepted(void)
{
    text t = {0};
    put_header(&t, 3);
    puts_(&t, "1\tsignal:9\t0\th\t1.0\t2.0\t1.0\t0\t0\t1\t-1\n");
    puts_(&t, "2\tnostart:2\t0\th\t1.0\t2.0\t1.0\t0\t0\t1\t-1\n");
    tfr_journal j;
    CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
    CU_ASSERT_EQUAL_FATAL(j.n, 2);
    CU_ASSERT_EQUAL(j.v[0].kind, TFR_ST_SIGNAL);
    CU_ASSERT_EQUAL(j.v[0].code, 9);
    CU_ASSERT_EQUAL(j.v[1].kind, TFR_ST_NOSTART);
    CU_ASSERT_EQUAL(j.v[1].code, 2);
    tfr_journal_free(&j);
    free(t.s);
}

static void test_host_sanitized(void)
{
    char line[512];
    tfr_jrec r = rec(9, TFR_ST_EXIT, 0);
    strcpy(r.host, "a\tb\nc\rd");
    size_t n = tfr_journal_format(line, sizeof line, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\ta?b?c?d\t"));
    CU_ASSERT_EQUAL(memchr(line, '\n', n), line + n - 1); /* one line */

    text t = {0};
    put_header(&t, 10);
    put(&t, line, n);
    r.host[0] = 0; /* empty: written as "?" */
    n = tfr_journal_format(line, sizeof line, &r);
    CU_ASSERT_PTR_NOT_NULL(strstr(line, "\t?\t"));
    put(&t, line, n);
    tfr_journal j;
    CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
    CU_ASSERT_EQUAL_FATAL(j.n, 2);
    CU_ASSERT_STRING_EQUAL(j.v[0].host, "a?b?c?d");
    CU_ASSERT_STRING_EQUAL(j.v[1].host, "?");
    CU_ASSERT_EQUAL(j.v[0].id, 9);
    tfr_journal_free(&j);
    free(t.s);
}

static void test_torn_last_line(void)
{
    text t = {0};
    put_header(&t, 10);
    tfr_jrec a = rec(1, TFR_ST_EXIT, 0), b = rec(2, TFR_ST_EXIT, 1);
    put_rec(&t, &a);
    size_t good = t.len;
    char line[512];
    size_t n = tfr_journal_format(line, sizeof line, &b);
    /* every proper prefix of b's line (b without its newline included) */
    for (size_t cut = 1; cut < n; cut++) {
        t.len = good;
        put(&t, line, cut);
        tfr_journal j;
        CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
        CU_ASSERT(j.torn);
        CU_ASSERT(j.has_header);
        CU_ASSERT_EQUAL(j.n, 1);
        CU_ASSERT_EQUAL(j.valid_len, good);
        if (j.n == 1) check_rec(&j.v[0], &a);
        tfr_journal_free(&j);
    }
    /* with its newline it is whole */
    t.len = good;
    put(&t, line, n);
    tfr_journal j;
    CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
    CU_ASSERT(!j.torn);
    CU_ASSERT_EQUAL(j.n, 2);
    CU_ASSERT_EQUAL(j.valid_len, t.len);
    tfr_journal_free(&j);

    /* a torn column line after the first header line */
    t.len = 0;
    put_header(&t, 4);
    size_t first_nl = (size_t)(strchr(t.s, '\n') - t.s) + 1;
    t.len = first_nl + 5;
    CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
    CU_ASSERT(j.has_header);
    CU_ASSERT(j.torn);
    CU_ASSERT_EQUAL(j.ntasks, 4);
    CU_ASSERT_EQUAL(j.valid_len, first_nl);
    tfr_journal_free(&j);
    free(t.s);
}

static void test_torn_header(void)
{
    text t = {0};
    put_header(&t, 10);
    size_t first_nl = (size_t)(strchr(t.s, '\n') - t.s);
    for (size_t cut = 1; cut <= first_nl; cut++) {
        tfr_journal j;
        CU_ASSERT_EQUAL_FATAL(tfr_journal_parse(t.s, cut, "j", &j, err, sizeof err), 0);
        CU_ASSERT(!j.has_header);
        CU_ASSERT(j.torn);
        CU_ASSERT_EQUAL(j.n, 0);
        CU_ASSERT_EQUAL(j.valid_len, 0);
        tfr_journal_free(&j);
    }
    /* a torn first line that is not a header's start is refused */
    tfr_journal j;
    CU_ASSERT_EQUAL(tfr_journal_parse("# tfrun-jo#", 11, "j", &j, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "j:1: not a tfrun journal");
    CU_ASSERT_EQUAL(tfr_journal_parse("hello", 5, "j", &j, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "j:1: not a tfrun journal");
    free(t.s);
}

static void test_not_a_journal(void)
{
    static const char *const bad[] = {
        "hello\n",
        "\n",
        "1\texit:0\t0\th\t1.0\t2.0\t1.0\t0\t0\t1\t-1\n",
        "# tfrun-journal 2 sha256=00\n",
        /* upper-case hex */
        "# tfrun-journal 1 sha256=00017F80ffabcdef10325476"
        "98badcfe0ff055aa123456789abcdef011223344 tasks=3\n",
        /* short hash */
        "# tfrun-journal 1 sha256=00017f80ffabcdef10325476"
        "98badcfe0ff055aa123456789abcdef0112233 tasks=3\n",
        /* no tasks= */
        "# tfrun-journal 1 sha256=00017f80ffabcdef10325476"
        "98badcfe0ff055aa123456789abcdef011223344 tasks=\n",
        "# tfrun-journal 1 sha256=00017f80ffabcdef10325476"
        "98badcfe0ff055aa123456789abcdef011223344 tasks=x\n",
        "# tfrun-journal 1 sha256=00017f80ffabcdef10325476"
        "98badcfe0ff055aa123456789abcdef011223344 tasks=3 \n",
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        tfr_journal j;
        err[0] = 0;
        int rc = tfr_journal_parse(bad[k], strlen(bad[k]), "jj", &j, err, sizeof err);
        CU_ASSERT_EQUAL(rc, -1);
        CU_ASSERT_STRING_EQUAL(err, "jj:1: not a tfrun journal");
        if (rc == -1) {
            CU_ASSERT_PTR_NULL(j.v);
            CU_ASSERT_EQUAL(j.n, 0);
        } else {
            fprintf(stderr, "accepted bad header %zu: %s", k, bad[k]);
            tfr_journal_free(&j);
        }
    }
    /* and the same header, well formed, is accepted */
    const char *good = "# tfrun-journal 1 sha256=00017f80ffabcdef10325476"
                       "98badcfe0ff055aa123456789abcdef011223344 tasks=3\n";
    tfr_journal j;
    CU_ASSERT_EQUAL_FATAL(tfr_journal_parse(good, strlen(good), "jj", &j, err, sizeof err), 0);
    CU_ASSERT(j.has_header);
    CU_ASSERT_EQUAL(j.ntasks, 3);
    CU_ASSERT_EQUAL(memcmp(j.sha256, sha, 32), 0);
    tfr_journal_free(&j);
}

/* The fields of a good record; bad lines replace one of them. */
static const char *const good_fields[11] = {
    "7", "exit:0", "3", "host", "1700000000.5", "1700000001.5", "1.0", "10", "20", "1", "-1"};

static void join(char *buf, size_t cap, const char *const f[], int nf)
{
    size_t o = 0;
    for (int i = 0; i < nf; i++)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s", i ? "\t" : "", f[i]);
    snprintf(buf + o, cap - o, "\n");
}

/* header, a good record (line 3), a comment (line 4), then `line` (line 5):
 * refused as "j:5: not a journal record". */
static void expect_bad_record(const char *line)
{
    text t = {0};
    put_header(&t, 100);
    char good[256];
    join(good, sizeof good, good_fields, 11);
    puts_(&t, good);
    puts_(&t, "# a comment\n");
    puts_(&t, line);
    puts_(&t, good);
    tfr_journal j;
    int rc = parse(&t, &j);
    CU_ASSERT_EQUAL(rc, -1);
    CU_ASSERT_STRING_EQUAL(err, "j:5: not a journal record");
    if (rc != -1) {
        fprintf(stderr, "accepted bad record: %s", line);
        tfr_journal_free(&j);
    } else {
        CU_ASSERT_PTR_NULL(j.v);
        CU_ASSERT_EQUAL(j.n, 0);
        CU_ASSERT(!j.has_header);
    }
    free(t.s);
}

static void expect_bad_field(int field, const char *value)
{
    const char *f[11];
    memcpy(f, good_fields, sizeof f);
    f[field] = value;
    char line[512];
    join(line, sizeof line, f, 11);
    expect_bad_record(line);
}

static void test_garbage_records(void)
{
    /* the good line itself parses (so that what follows tests one field) */
    text t = {0};
    put_header(&t, 100);
    char good[256];
    join(good, sizeof good, good_fields, 11);
    puts_(&t, good);
    tfr_journal j;
    CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
    CU_ASSERT_EQUAL_FATAL(j.n, 1);
    CU_ASSERT_EQUAL(j.v[0].id, 7);
    CU_ASSERT_EQUAL(j.v[0].rank, 3);
    CU_ASSERT(fabs(j.v[0].start - 1700000000.5) < 1e-6);
    CU_ASSERT_EQUAL(j.v[0].out_bytes, 10);
    CU_ASSERT_EQUAL(j.v[0].err_bytes, 20);
    CU_ASSERT_EQUAL(j.v[0].out_end, -1);
    tfr_journal_free(&j);
    free(t.s);

    /* wrong field counts */
    char line[512];
    join(line, sizeof line, good_fields, 10);
    expect_bad_record(line);
    const char *f12[12];
    memcpy(f12, good_fields, sizeof good_fields);
    f12[11] = "x";
    join(line, sizeof line, f12, 12);
    expect_bad_record(line);
    f12[11] = "";
    join(line, sizeof line, f12, 12); /* a trailing tab */
    expect_bad_record(line);
    expect_bad_record("\n");
    expect_bad_record("garbage\n");
    expect_bad_record(" # an indented comment is not a comment\n");

    /* id */
    expect_bad_field(0, "x7");
    expect_bad_field(0, "7x");
    expect_bad_field(0, "0");
    expect_bad_field(0, "-7");
    expect_bad_field(0, "");
    expect_bad_field(0, "18446744073709551616");
    /* status */
    expect_bad_field(1, "exit:256");
    expect_bad_field(1, "exit:-1");
    expect_bad_field(1, "exit:");
    expect_bad_field(1, "exit:1x");
    expect_bad_field(1, "signal:NOSUCH");
    expect_bad_field(1, "signal:");
    expect_bad_field(1, "signal:0");
    expect_bad_field(1, "signal:kill");
    expect_bad_field(1, "nostart:ENOSUCH");
    expect_bad_field(1, "nostart:");
    expect_bad_field(1, "timeout:1");
    expect_bad_field(1, "ok");
    expect_bad_field(1, "");
    /* rank */
    expect_bad_field(2, "-2"); /* -1 is "not known" */
    expect_bad_field(2, "2147483648");
    expect_bad_field(2, "r");
    /* host */
    expect_bad_field(3, "");
    expect_bad_field(3,
                     "hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh"); /* 64 */
    /* times */
    expect_bad_field(4, "-1.0");
    expect_bad_field(5, "x");
    expect_bad_field(6, "-0.5");
    expect_bad_field(6, "nan");
    expect_bad_field(6, "");
    /* byte counts */
    expect_bad_field(7, "-1");
    expect_bad_field(8, "1.5");
    /* tries */
    expect_bad_field(9, "0");
    expect_bad_field(9, "1000001");
    /* out_end */
    expect_bad_field(10, "-2");
    expect_bad_field(10, "");
    expect_bad_field(10, "5x");
}

static void test_nul_in_record(void)
{
    text t = {0};
    put_header(&t, 100);
    char good[256];
    join(good, sizeof good, good_fields, 11);
    puts_(&t, good);
    put(&t, "7\0\n", 3);
    tfr_journal j;
    CU_ASSERT_EQUAL(parse(&t, &j), -1);
    CU_ASSERT_STRING_EQUAL(err, "j:4: not a journal record");
    free(t.s);
}

static void test_comments_after_header(void)
{
    text t = {0};
    put_header(&t, 100);
    tfr_jrec a = rec(1, TFR_ST_EXIT, 0), b = rec(3, TFR_ST_TIMEOUT, 0);
    puts_(&t, "# resumed\n");
    put_rec(&t, &a);
    puts_(&t, "#\n");
    put_header(&t, 100); /* a second header (from a resumed run) is a comment */
    put_rec(&t, &b);
    puts_(&t, "# trailing comment\n");
    tfr_journal j;
    CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
    CU_ASSERT_EQUAL_FATAL(j.n, 2);
    check_rec(&j.v[0], &a);
    check_rec(&j.v[1], &b);
    /* each record knows its line, for messages about it */
    CU_ASSERT_EQUAL(j.v[0].line, 4);
    CU_ASSERT_EQUAL(j.v[1].line, 8);
    CU_ASSERT_EQUAL(j.valid_len, t.len);
    CU_ASSERT(!j.torn);
    tfr_journal_free(&j);
    free(t.s);
}

static void test_jrec_ok(void)
{
    tfr_jrec r = rec(1, TFR_ST_EXIT, 0);
    CU_ASSERT(tfr_jrec_ok(&r));
    r = rec(1, TFR_ST_EXIT, 1);
    CU_ASSERT(!tfr_jrec_ok(&r));
    r = rec(1, TFR_ST_EXIT, 255);
    CU_ASSERT(!tfr_jrec_ok(&r));
    r = rec(1, TFR_ST_TIMEOUT, 0);
    CU_ASSERT(!tfr_jrec_ok(&r));
    r = rec(1, TFR_ST_SIGNAL, SIGKILL);
    CU_ASSERT(!tfr_jrec_ok(&r));
    r = rec(1, TFR_ST_NOSTART, 0);
    CU_ASSERT(!tfr_jrec_ok(&r));
    r = rec(1, TFR_ST_NOSTART, ENOENT);
    CU_ASSERT(!tfr_jrec_ok(&r));
}

static void test_many_records(void)
{
    enum { N = 100000 };
    text t = {0};
    put_header(&t, N);
    for (uint64_t id = 1; id <= N; id++) {
        tfr_jrec r = rec(id, id % 10 ? TFR_ST_EXIT : TFR_ST_SIGNAL, id % 10 ? 0 : SIGKILL);
        put_rec(&t, &r);
    }
    tfr_journal j;
    double t0 = mono();
    CU_ASSERT_EQUAL_FATAL(parse(&t, &j), 0);
    double dt = mono() - t0;
    CU_ASSERT(dt < 5.0);
    CU_ASSERT_EQUAL_FATAL(j.n, N);
    CU_ASSERT_EQUAL(j.ntasks, N);
    CU_ASSERT_EQUAL(j.valid_len, t.len);
    int bad = 0, ok = 0;
    for (size_t k = 0; k < j.n; k++) {
        if (j.v[k].id != k + 1) bad++;
        ok += tfr_jrec_ok(&j.v[k]);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(ok, N - N / 10);
    tfr_jrec last = rec(N, TFR_ST_SIGNAL, SIGKILL);
    check_rec(&j.v[N - 1], &last);
    tfr_journal_free(&j);
    free(t.s);
}

static const unit_test tests[] = {
    UNIT_TEST(test_header_round_trip),
    UNIT_TEST(test_empty_input),
    UNIT_TEST(test_status_strings),
    UNIT_TEST(test_record_round_trip),
    UNIT_TEST(test_numeric_status_accepted),
    UNIT_TEST(test_host_sanitized),
    UNIT_TEST(test_torn_last_line),
    UNIT_TEST(test_torn_header),
    UNIT_TEST(test_not_a_journal),
    UNIT_TEST(test_garbage_records),
    UNIT_TEST(test_nul_in_record),
    UNIT_TEST(test_comments_after_header),
    UNIT_TEST(test_jrec_ok),
    UNIT_TEST(test_many_records),
};
UNIT_MAIN("tfrun_journal", tests)
