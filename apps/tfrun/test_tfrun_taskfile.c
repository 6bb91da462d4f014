/* test_tfrun_taskfile.c - tfrun's task file parser (taskfile.c). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "taskfile.h"
#include "unit.h"

static char err[512];

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Parses a NUL-terminated string; the return code of the parser. */
static int parse_str(const char *s, tfr_taskfile *tf)
{
    err[0] = 0;
    return tfr_taskfile_parse(s, strlen(s), "t.txt", tf, err, sizeof err);
}

static const char *cmd(const tfr_taskfile *tf, size_t k) { return tf->text + tf->v[k].off; }

/* Task k is `id` with command `want` (and the right length). */
static void check_task(const tfr_taskfile *tf, size_t k, uint64_t id, const char *want)
{
    CU_ASSERT_FATAL(k < tf->n);
    CU_ASSERT_EQUAL(tf->v[k].id, id);
    CU_ASSERT_STRING_EQUAL(cmd(tf, k), want);
    CU_ASSERT_EQUAL(tf->v[k].len, strlen(want));
}

static void check_empty_after_error(const tfr_taskfile *tf)
{
    CU_ASSERT_PTR_NULL(tf->text);
    CU_ASSERT_PTR_NULL(tf->v);
    CU_ASSERT_EQUAL(tf->n, 0);
}

static void test_ids_are_line_numbers(void)
{
    tfr_taskfile tf;
    CU_ASSERT_EQUAL_FATAL(parse_str("echo a\necho b\n\necho c\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 3);
    check_task(&tf, 0, 1, "echo a");
    check_task(&tf, 1, 2, "echo b");
    check_task(&tf, 2, 4, "echo c");
    CU_ASSERT_EQUAL(tf.lines, 4);
    tfr_taskfile_free(&tf);
    CU_ASSERT_PTR_NULL(tf.text);
    CU_ASSERT_EQUAL(tf.n, 0);
    tfr_taskfile_free(&tf); /* twice is harmless */
    tfr_taskfile_free(NULL);
}

static void test_blank_and_comment_lines_skipped(void)
{
    tfr_taskfile tf;
    const char *s = "# a comment\n"
                    "\n"
                    "   \t \n"
                    "    # an indented comment\n"
                    "\t#tab-indented\n"
                    "\f\v \n"
                    "run 1   # trailing text is part of the command\n"
                    "#\n"
                    "run 2\n";
    CU_ASSERT_EQUAL_FATAL(parse_str(s, &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 7, "run 1   # trailing text is part of the command");
    check_task(&tf, 1, 9, "run 2");
    CU_ASSERT_EQUAL(tf.lines, 9);
    tfr_taskfile_free(&tf);

    /* leading blanks of a command line are kept */
    CU_ASSERT_EQUAL_FATAL(parse_str("  x y\n", &tf), 0);
    check_task(&tf, 0, 1, "  x y");
    tfr_taskfile_free(&tf);
}

static void test_comment_with_backslash_not_continued(void)
{
    tfr_taskfile tf;
    CU_ASSERT_EQUAL_FATAL(parse_str("# comment \\\necho a\n  # another \\\necho b\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 2, "echo a");
    check_task(&tf, 1, 4, "echo b");
    tfr_taskfile_free(&tf);

    /* a comment line as the last line, ending in a backslash: no error */
    CU_ASSERT_EQUAL_FATAL(parse_str("echo a\n# last \\", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 1);
    check_task(&tf, 0, 1, "echo a");
    tfr_taskfile_free(&tf);
}

static void test_continuation(void)
{
    tfr_taskfile tf;
    const char *s = "\n"
                    "echo a \\\n"
                    "  b \\\n"
                    "c\n"
                    "echo d\n"
                    "x\\\n"
                    "y\n";
    CU_ASSERT_EQUAL_FATAL(parse_str(s, &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 3);
    check_task(&tf, 0, 2, "echo a   b c"); /* the id is its first line */
    check_task(&tf, 1, 5, "echo d");
    check_task(&tf, 2, 6, "xy"); /* backslash and newline dropped, nothing added */
    CU_ASSERT_EQUAL(tf.lines, 7);
    tfr_taskfile_free(&tf);

    /* a continued line that looks like a comment is part of the command */
    CU_ASSERT_EQUAL_FATAL(parse_str("a \\\n# b\nc\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 1, "a # b");
    check_task(&tf, 1, 3, "c");
    tfr_taskfile_free(&tf);

    /* a blank line ends a continued command */
    CU_ASSERT_EQUAL_FATAL(parse_str("a \\\n\nb\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 1, "a ");
    check_task(&tf, 1, 3, "b");
    tfr_taskfile_free(&tf);

    /* a backslash that is not last on its line is kept */
    CU_ASSERT_EQUAL_FATAL(parse_str("printf 'a\\n' \n", &tf), 0);
    check_task(&tf, 0, 1, "printf 'a\\n' ");
    tfr_taskfile_free(&tf);
}

static void test_crlf(void)
{
    tfr_taskfile tf;
    CU_ASSERT_EQUAL_FATAL(parse_str("echo a\r\n\r\n# c\r\necho b \\\r\nc\r\necho d\r", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 3);
    check_task(&tf, 0, 1, "echo a");
    check_task(&tf, 1, 4, "echo b c");
    check_task(&tf, 2, 6, "echo d");
    CU_ASSERT_EQUAL(tf.lines, 6);
    tfr_taskfile_free(&tf);
}

static void test_last_line_without_newline(void)
{
    tfr_taskfile tf;
    CU_ASSERT_EQUAL_FATAL(parse_str("a\nb", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 1, "a");
    check_task(&tf, 1, 2, "b");
    CU_ASSERT_EQUAL(tf.lines, 2);
    tfr_taskfile_free(&tf);

    CU_ASSERT_EQUAL_FATAL(parse_str("only", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 1);
    check_task(&tf, 0, 1, "only");
    CU_ASSERT_EQUAL(tf.lines, 1);
    tfr_taskfile_free(&tf);

    /* not NUL-terminated input: the parser must stop at len */
    char buf[8];
    memcpy(buf, "ab\ncdXX", 8);
    CU_ASSERT_EQUAL_FATAL(tfr_taskfile_parse(buf, 5, "t.txt", &tf, err, sizeof err), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 1, 2, "cd");
    tfr_taskfile_free(&tf);
}

static void test_nul_byte(void)
{
    tfr_taskfile tf;
    const char data[] = "echo a\n\n# c\necho \0b\necho c\n";
    CU_ASSERT_EQUAL(tfr_taskfile_parse(data, sizeof data - 1, "t.txt", &tf, err, sizeof err), -1);
    CU_ASSERT_STRING_EQUAL(err, "t.txt:4: NUL byte: not a text file of commands");
    check_empty_after_error(&tf);

    const char first[] = "\0";
    CU_ASSERT_EQUAL(tfr_taskfile_parse(first, 1, "b.bin", &tf, err, sizeof err), -1);
    CU_ASSERT_EQUAL(strncmp(err, "b.bin:1: NUL byte", 17), 0);

    /* a NUL just after a newline is on the next line */
    const char after[] = "a\n\0";
    CU_ASSERT_EQUAL(tfr_taskfile_parse(after, 3, "t.txt", &tf, err, sizeof err), -1);
    CU_ASSERT_EQUAL(strncmp(err, "t.txt:2: ", 9), 0);
}

/* n bytes of 'x' after `prefix`, then `suffix`. */
static char *filled(const char *prefix, size_t n, const char *suffix, size_t *len)
{
    size_t pl = strlen(prefix), sl = strlen(suffix);
    char *s = malloc(pl + n + sl + 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    memcpy(s, prefix, pl);
    memset(s + pl, 'x', n);
    memcpy(s + pl + n, suffix, sl + 1);
    *len = pl + n + sl;
    return s;
}

static void test_command_length_limit(void)
{
    tfr_taskfile tf;
    size_t len;
    char want[64];
    snprintf(want, sizeof want, "t.txt:3: a command of more than %d bytes", TFR_CMD_MAX);

    /* exactly TFR_CMD_MAX bytes: accepted */
    char *s = filled("# c\n\n", TFR_CMD_MAX, "\nnext\n", &len);
    CU_ASSERT_EQUAL_FATAL(tfr_taskfile_parse(s, len, "t.txt", &tf, err, sizeof err), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    CU_ASSERT_EQUAL(tf.v[0].id, 3);
    CU_ASSERT_EQUAL(tf.v[0].len, TFR_CMD_MAX);
    CU_ASSERT_EQUAL(strlen(cmd(&tf, 0)), TFR_CMD_MAX);
    check_task(&tf, 1, 4, "next");
    tfr_taskfile_free(&tf);
    free(s);

    /* also with CRLF, and as the last line without a newline */
    s = filled("# c\n\n", TFR_CMD_MAX, "\r\n", &len);
    CU_ASSERT_EQUAL(tfr_taskfile_parse(s, len, "t.txt", &tf, err, sizeof err), 0);
    tfr_taskfile_free(&tf);
    free(s);
    s = filled("# c\n\n", TFR_CMD_MAX, "", &len);
    CU_ASSERT_EQUAL(tfr_taskfile_parse(s, len, "t.txt", &tf, err, sizeof err), 0);
    tfr_taskfile_free(&tf);
    free(s);

    /* one byte more: refused, naming its line */
    s = filled("# c\n\n", TFR_CMD_MAX + 1, "\nnext\n", &len);
    CU_ASSERT_EQUAL(tfr_taskfile_parse(s, len, "t.txt", &tf, err, sizeof err), -1);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    check_empty_after_error(&tf);
    free(s);

    /* a continued command that grows past the limit: refused, naming its
     * first line, even though no single line is too long */
    size_t half = TFR_CMD_MAX / 2 + 1;
    char *a = filled("", half, "\\\n", &len);
    char *b = filled("", half, "\\\n", &len);
    size_t total = 2 * len + 16;
    s = malloc(total + 32);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    snprintf(s, total + 32, "# c\n\n%s%sdone\n", a, b);
    free(a);
    free(b);
    CU_ASSERT_EQUAL(parse_str(s, &tf), -1);
    CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
    check_empty_after_error(&tf);
    free(s);

    /* exactly TFR_CMD_MAX bytes in two continued parts: accepted; one more
     * byte: refused */
    for (int extra = 0; extra <= 1; extra++) {
        a = filled("", TFR_CMD_MAX - 5, "\\\n", &len);
        s = malloc(len + 16);
        CU_ASSERT_PTR_NOT_NULL_FATAL(s);
        snprintf(s, len + 16, "%s%s\n", a, extra ? "123456" : "12345");
        free(a);
        int rc = parse_str(s, &tf);
        if (extra) {
            CU_ASSERT_EQUAL(rc, -1);
            CU_ASSERT_EQUAL(strncmp(err, "t.txt:1: a command of more than", 31), 0);
        } else {
            CU_ASSERT_EQUAL(rc, 0);
            CU_ASSERT_EQUAL(tf.n, 1);
            if (rc == 0 && tf.n == 1) CU_ASSERT_EQUAL(tf.v[0].len, TFR_CMD_MAX);
            tfr_taskfile_free(&tf);
        }
        free(s);
    }
}

static void test_last_line_backslash(void)
{
    tfr_taskfile tf;
    CU_ASSERT_EQUAL(parse_str("echo a\necho b \\", &tf), -1);
    CU_ASSERT_STRING_EQUAL(err, "t.txt:2: the last line ends in a backslash");
    check_empty_after_error(&tf);

    CU_ASSERT_EQUAL(parse_str("echo a\necho b \\\n", &tf), -1);
    CU_ASSERT_STRING_EQUAL(err, "t.txt:2: the last line ends in a backslash");

    /* continued over several lines: the message names the last one */
    CU_ASSERT_EQUAL(parse_str("echo a \\\nb \\\nc \\\r\n", &tf), -1);
    CU_ASSERT_STRING_EQUAL(err, "t.txt:3: the last line ends in a backslash");
}

static void test_no_commands(void)
{
    /* nothing to do is no error (as for xargs and GNU parallel) */
    tfr_taskfile tf;
    CU_ASSERT_EQUAL(tfr_taskfile_parse("", 0, "e.txt", &tf, err, sizeof err), 0);
    CU_ASSERT_EQUAL(tf.n, 0);
    tfr_taskfile_free(&tf);
    CU_ASSERT_EQUAL(parse_str("# only\n\n   \n\t# comments\r\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 0);
    CU_ASSERT_EQUAL(tf.lines, 4);
    tfr_taskfile_free(&tf);
    CU_ASSERT_EQUAL(parse_str("\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 0);
    tfr_taskfile_free(&tf);
}

static void test_huge_line_refused_quickly(void)
{
    tfr_taskfile tf;
    size_t len;
    char *s = filled("\n", 10u << 20, "\n", &len);
    double t0 = mono();
    CU_ASSERT_EQUAL(tfr_taskfile_parse(s, len, "big.txt", &tf, err, sizeof err), -1);
    double dt = mono() - t0;
    CU_ASSERT(dt < 1.0);
    CU_ASSERT_EQUAL(strncmp(err, "big.txt:2: a command of more than", 33), 0);
    check_empty_after_error(&tf);
    free(s);
}

static void test_many_tasks(void)
{
    /* more tasks than the first allocation holds */
    enum { N = 5000 };
    char *s = malloc(N * 16);
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    size_t o = 0;
    for (int i = 0; i < N; i++) o += (size_t)sprintf(s + o, i % 2 ? "c%d\n" : "\n", i);
    tfr_taskfile tf;
    CU_ASSERT_EQUAL_FATAL(tfr_taskfile_parse(s, o, "t.txt", &tf, err, sizeof err), 0);
    CU_ASSERT_EQUAL(tf.n, N / 2);
    CU_ASSERT_EQUAL(tf.lines, N);
    int bad = 0;
    for (size_t k = 0; k < tf.n; k++) {
        char want[16];
        snprintf(want, sizeof want, "c%zu", 2 * k + 1);
        if (tf.v[k].id != 2 * k + 2 || strcmp(cmd(&tf, k), want) != 0) bad++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    tfr_taskfile_free(&tf);
    free(s);
}

static void test_read_all(void)
{
    char dir[] = "/tmp/tfrun-taskfile-XXXXXX";
    CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
    char path[128], missing[128];
    snprintf(path, sizeof path, "%s/tasks", dir);
    snprintf(missing, sizeof missing, "%s/missing", dir);

    char *data = NULL;
    size_t len = 12345;
    CU_ASSERT_EQUAL(tfr_read_all(missing, &data, &len, err, sizeof err), -1);
    char want[256];
    snprintf(want, sizeof want, "%s: %s", missing, strerror(ENOENT));
    CU_ASSERT_STRING_EQUAL(err, want);

    CU_ASSERT_EQUAL(tfr_read_all(dir, &data, &len, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s: is a directory", dir);
    CU_ASSERT_STRING_EQUAL(err, want);

    /* a regular file, read back byte for byte (with a NUL inside) */
    static const char body[] = "echo a\n\0x\necho b";
    FILE *f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(body, 1, sizeof body - 1, f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(tfr_read_all(path, &data, &len, err, sizeof err), 0);
    CU_ASSERT_EQUAL(len, sizeof body - 1);
    CU_ASSERT_EQUAL(memcmp(data, body, sizeof body - 1), 0);
    free(data);

    /* a larger file (several reads, the buffer grows when st_size lies) */
    size_t big = 300000;
    f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    for (size_t i = 0; i < big; i++) fputc('a' + (int)(i % 26), f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(tfr_read_all(path, &data, &len, err, sizeof err), 0);
    CU_ASSERT_EQUAL(len, big);
    CU_ASSERT_EQUAL(data[big - 1], 'a' + (int)((big - 1) % 26));
    free(data);

    /* an empty file reads as 0 bytes, and parses as "it is empty" */
    f = fopen(path, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fclose(f);
    CU_ASSERT_EQUAL_FATAL(tfr_read_all(path, &data, &len, err, sizeof err), 0);
    CU_ASSERT_EQUAL(len, 0);
    free(data);

    /* /proc files report st_size 0 but have bytes */
    CU_ASSERT_EQUAL_FATAL(tfr_read_all("/proc/self/status", &data, &len, err, sizeof err), 0);
    CU_ASSERT(len > 0);
    CU_ASSERT(len >= 5 && memcmp(data, "Name:", 5) == 0);
    free(data);

    unlink(path);
    rmdir(dir);
}

/* A backslash ends a line the way it ends one for sh: escaped backslashes,
 * comments, quotes, and continued lines that hold nothing. */
static void test_continuation_like_sh(void)
{
    tfr_taskfile tf;
    /* an even run of backslashes is escaped backslashes: no continuation */
    CU_ASSERT_EQUAL_FATAL(parse_str("echo a\\\\\necho b\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 1, "echo a\\\\");
    check_task(&tf, 1, 2, "echo b");
    tfr_taskfile_free(&tf);
    /* three: an escaped one, then the continuation */
    CU_ASSERT_EQUAL_FATAL(parse_str("echo a\\\\\\\nb\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 1);
    check_task(&tf, 0, 1, "echo a\\\\b");
    tfr_taskfile_free(&tf);
    /* a trailing comment's backslash is the comment's */
    CU_ASSERT_EQUAL_FATAL(parse_str("echo a # note \\\necho b\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 1, "echo a # note \\");
    check_task(&tf, 1, 2, "echo b");
    tfr_taskfile_free(&tf);
    /* but '#' inside a word or quotes opens no comment */
    CU_ASSERT_EQUAL_FATAL(parse_str("echo a#b \\\nc\necho '# x' \\\nd\necho \"#\" \\\ne\n", &tf),
                          0);
    CU_ASSERT_EQUAL(tf.n, 3);
    check_task(&tf, 0, 1, "echo a#b c");
    check_task(&tf, 1, 3, "echo '# x' d");
    check_task(&tf, 2, 5, "echo \"#\" e");
    tfr_taskfile_free(&tf);
    /* inside single quotes a backslash is itself: the line ends there */
    CU_ASSERT_EQUAL_FATAL(parse_str("echo 'a\\\necho b\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 1, "echo 'a\\");
    tfr_taskfile_free(&tf);
    /* inside double quotes it continues, and the quote stays open */
    CU_ASSERT_EQUAL_FATAL(parse_str("echo \"a \\\n# b\" \\\nc\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 1);
    check_task(&tf, 0, 1, "echo \"a # b\" c");
    tfr_taskfile_free(&tf);
    /* continued into nothing: no task, and a file of only that is empty */
    CU_ASSERT_EQUAL_FATAL(parse_str("\\\n\necho x\n  \\\n# c\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 1);
    check_task(&tf, 0, 3, "echo x");
    tfr_taskfile_free(&tf);
    CU_ASSERT_EQUAL(parse_str("\\\n\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 0);
    tfr_taskfile_free(&tf);
}

/* A UTF-8 byte-order mark, as some editors write first, is not part of the
 * first command; anywhere else it is left alone. */
static void test_utf8_bom(void)
{
    tfr_taskfile tf;
    CU_ASSERT_EQUAL_FATAL(parse_str("\xEF\xBB\xBF"
                                    "echo a\necho b\n",
                                    &tf),
                          0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 0, 1, "echo a");
    check_task(&tf, 1, 2, "echo b");
    tfr_taskfile_free(&tf);
    /* a comment or a blank line after the mark is still one */
    CU_ASSERT_EQUAL_FATAL(parse_str("\xEF\xBB\xBF# c\n\necho x\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 1);
    check_task(&tf, 0, 3, "echo x");
    tfr_taskfile_free(&tf);
    CU_ASSERT_EQUAL_FATAL(parse_str("\xEF\xBB\xBF  # c\r\necho y\r\n", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 1);
    check_task(&tf, 0, 2, "echo y");
    tfr_taskfile_free(&tf);
    /* the mark alone: an empty file */
    CU_ASSERT_EQUAL(parse_str("\xEF\xBB\xBF", &tf), 0);
    CU_ASSERT_EQUAL(tf.n, 0);
    CU_ASSERT_EQUAL(tf.lines, 0);
    tfr_taskfile_free(&tf);
    /* not at the start: part of the command */
    CU_ASSERT_EQUAL_FATAL(parse_str("echo a\n\xEF\xBB\xBF"
                                    "echo b\n",
                                    &tf),
                          0);
    CU_ASSERT_EQUAL(tf.n, 2);
    check_task(&tf, 1, 2,
               "\xEF\xBB\xBF"
               "echo b");
    tfr_taskfile_free(&tf);
    /* an incomplete mark is not one */
    CU_ASSERT_EQUAL_FATAL(parse_str("\xEF\xBBx\n", &tf), 0);
    check_task(&tf, 0, 1, "\xEF\xBBx");
    tfr_taskfile_free(&tf);
}

static const unit_test tests[] = {
    UNIT_TEST(test_continuation_like_sh),
    UNIT_TEST(test_ids_are_line_numbers),
    UNIT_TEST(test_blank_and_comment_lines_skipped),
    UNIT_TEST(test_comment_with_backslash_not_continued),
    UNIT_TEST(test_continuation),
    UNIT_TEST(test_crlf),
    UNIT_TEST(test_last_line_without_newline),
    UNIT_TEST(test_nul_byte),
    UNIT_TEST(test_command_length_limit),
    UNIT_TEST(test_last_line_backslash),
    UNIT_TEST(test_no_commands),
    UNIT_TEST(test_huge_line_refused_quickly),
    UNIT_TEST(test_many_tasks),
    UNIT_TEST(test_read_all),
    UNIT_TEST(test_utf8_bom),
};
UNIT_MAIN("tfrun_taskfile", tests)
