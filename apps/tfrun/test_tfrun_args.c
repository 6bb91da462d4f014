/* test_tfrun_args.c - args.c: the command line of CMD ::: ARGS, GNU
 * parallel's quoting, the replacement strings, the order of the jobs, the
 * files of :::: and -a, --colsep and --trim, and the input that is refused.
 * The byte-for-byte comparison with parallel itself is
 * tests/scripts/test_tfrun_parallel.py. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "unit.h"

static char err[512];

static char *quote(const char *s, size_t len)
{
    char *p = NULL;
    size_t n = 0, cap = 0;
    CU_ASSERT_EQUAL_FATAL(tfr_args_quote(&p, &n, &cap, s, len), 0);
    p[n] = 0; /* put() keeps room for it */
    CU_ASSERT_EQUAL(strlen(p), n);
    return p;
}

static void quoted(const char *in, const char *want)
{
    char *q = quote(in, strlen(in));
    CU_ASSERT_STRING_EQUAL(q, want);
    if (strcmp(q, want)) fprintf(stderr, "quote(%s) = %s, want %s\n", in, q, want);
    free(q);
}

static void test_quote(void)
{
    quoted("abc-_.+/XYZ09", "abc-_.+/XYZ09");
    quoted("", "''");
    quoted("a b", "'a b'");
    quoted("it's", "'it'\"'\"'s'");
    quoted("'", "\"'\"");
    quoted("''", "\"'\"''\"'\"");
    quoted("ab'", "'ab'\"'\"");
    quoted("'ab", "\"'\"'ab'");
    quoted("$x", "'$x'");
    quoted("a\nb", "'a\nb'");
    quoted("~", "'~'");
    quoted("\xff", "'\xff'");
    /* every byte that needs no quotes, and one of those that do */
    for (int c = 1; c < 256; c++) {
        char s[2] = {(char)c, 0};
        char *q = quote(s, 1);
        bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                     strchr("-_.+/", c);
        CU_ASSERT_EQUAL(strlen(q), plain ? 1u : 3u);
        free(q);
    }
}

/* argv for the parser: words, NULL-terminated, argv[0] the program */
#define ARGV(...) ((char *[]){"tfrun", __VA_ARGS__, NULL})
static int argc_of(char **v)
{
    int n = 0;
    while (v[n]) n++;
    return n;
}

/* Parses argv as main.c does (options, then the command), makes the jobs
 * and returns them joined by "\n" (malloc'd), or NULL with err set. */
static char *jobs(char **argv)
{
    int argc = argc_of(argv);
    tfr_args a;
    memset(&a, 0, sizeof a);
    int i = 1;
    for (; i < argc; i++) {
        int rc = tfr_args_option(&a, argc, argv, &i, err, sizeof err);
        if (rc < 0) {
            tfr_args_free(&a);
            return NULL;
        }
        if (rc) continue;
        CU_ASSERT_TRUE(tfr_args_wanted(&a, argc, argv, i));
        CU_ASSERT_EQUAL_FATAL(tfr_args_command(&a, argc, argv, i, err, sizeof err), 0);
        break;
    }
    tfr_taskfile tf;
    char *out = NULL;
    if (!tfr_args_generate(&a, &tf, err, sizeof err)) {
        size_t n = 0;
        for (size_t k = 0; k < tf.n; k++) n += tf.v[k].len + 1;
        out = calloc(n + 1, 1);
        for (size_t k = 0; k < tf.n; k++) {
            CU_ASSERT_EQUAL(tf.v[k].id, k + 1);
            CU_ASSERT_EQUAL(strlen(tf.text + tf.v[k].off), tf.v[k].len);
            if (k) strcat(out, "\n");
            strcat(out, tf.text + tf.v[k].off);
        }
        tfr_taskfile_free(&tf);
    }
    tfr_args_free(&a);
    return out;
}

static void made(char **argv, const char *want)
{
    char *got = jobs(argv);
    CU_ASSERT_PTR_NOT_NULL(got);
    if (!got) {
        fprintf(stderr, "refused: %s\n", err);
        return;
    }
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want)) fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
    free(got);
}

/* refused with a one-line message that contains `part` */
static void refused(char **argv, const char *part)
{
    err[0] = 0;
    char *got = jobs(argv);
    CU_ASSERT_PTR_NULL(got);
    free(got);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, part));
    CU_ASSERT_PTR_NULL(strchr(err, '\n'));
    if (!strstr(err, part)) fprintf(stderr, "message '%s' lacks '%s'\n", err, part);
}

/* no job, and no error: err says which source was empty */
static void no_job(char **argv, const char *part)
{
    err[0] = 0;
    char *got = jobs(argv);
    CU_ASSERT_PTR_NOT_NULL(got);
    if (got) CU_ASSERT_STRING_EQUAL(got, "");
    free(got);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, part));
    if (!strstr(err, part)) fprintf(stderr, "note '%s' lacks '%s'\n", err, part);
}

static void test_replacement_strings(void)
{
    made(ARGV("echo", "{}", "{.}", "{/}", "{//}", "{/.}", "{#}", ":::", "d/a.b", "x y/.c", "/",
              "a/"),
         "echo d/a.b d/a a.b d a 1\n"
         "echo 'x y/.c' 'x y/' .c 'x y' '' 2\n"
         "echo / / '' / '' 3\n"
         "echo a/ a/ '' . '' 4");
    /* dirname: trailing slashes do not count */
    made(ARGV("echo", "{//}", ":::", "a//b", "//a", "a/b//", "///", "", "..", "/x/y.z/"),
         "echo a\necho /\necho a\necho /\necho .\necho .\necho /x");
    made(ARGV("echo", "{2}", "{1}", "{3}", "{-1}", "{1.}", "{2/}", "{1//}", "{2/.}", ":::", "d/a.b",
              ":::", "e/f.g"),
         "echo e/f.g d/a.b  e/f.g d/a f.g d f");
    /* {%}: the rank that runs it, worked out by sh */
    made(ARGV("echo", "{%}", ":::", "a"), "echo $((TF_RANK+1))");
    /* in a word, more than once; not replacement strings: left alone */
    made(ARGV("echo", "x{}y{}", "{x}", "{{}}", "{0}", "{-}", "{=", "x", "=}", "{+/}", ":::", "a b"),
         "echo x'a b'y'a b' {x} {'a b'} {0} {-} {= x =} {+/}");
}

static void test_appended_and_empty_template(void)
{
    made(ARGV("echo", "{1", ":::", "a b", "c"), "echo {1 'a b'\necho {1 c");
    made(ARGV("echo", ":::", "a", ":::", ""), "echo a ''");
    /* the template is not quoted, its words are joined by spaces */
    made(ARGV("printf", "'%s\\n'", "\"$HOME\"", ":::", "$x"), "printf '%s\\n' \"$HOME\" '$x'");
    /* no template: the values are the commands */
    made(ARGV(":::", "echo a", "true"), "echo a\ntrue");
    made(ARGV(":::", "echo", ":::", "a b"), "echo a b");
}

static void test_order_and_links(void)
{
    made(ARGV("echo", ":::", "1", "2", ":::", "a", "b"), "echo 1 a\necho 1 b\necho 2 a\necho 2 b");
    made(ARGV("echo", ":::", "a", "b", "c", ":::+", "1", "2", ":::", "X", "Y", ":::+", "11", "22",
              "33"),
         "echo a 1 X 11\necho a 1 Y 22\necho b 2 X 11\necho b 2 Y 22");
    /* a newline splits a ::: value, as parallel reads them as lines */
    made(ARGV("echo", ":::", "a\nb", "c\n"), "echo a\necho b\necho c\necho ''");
}

static char dir[] = "/tmp/test_tfrun_args.XXXXXX";

static const char *file(const char *name, const char *data, size_t len)
{
    static char path[4][256];
    static int k;
    char *p = path[k++ % 4];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    fwrite(data, 1, len, f);
    fclose(f);
    return p;
}

static void test_files(void)
{
    const char *n = file("n", "1\n2\n", 4);
    const char *l = file("l", "x\n\ny", 4);
    made(ARGV("echo", "::::", (char *)n, (char *)l),
         "echo 1 x\necho 1 ''\necho 1 y\necho 2 x\necho 2 ''\necho 2 y");
    made(ARGV("-a", (char *)n, "echo", ":::", "A"), "echo 1 A\necho 2 A");
    char eq[300];
    snprintf(eq, sizeof eq, "--arg-file=%s", l);
    made(ARGV(eq, "--arg-file", (char *)n, "echo"),
         "echo x 1\necho x 2\necho '' 1\necho '' 2\necho y 1\necho y 2");
}

static void test_colsep(void)
{
    const char *t = file("t", "a\tb c\t\t\n\n\tx\n", 12);
    made(ARGV("--colsep", "\\t", "echo", "{1}-{2}-{3}", "::::", (char *)t),
         "echo a-'b c'-''\necho ''--\necho ''-x-");
    /* the columns are trimmed; --trim n keeps them */
    made(ARGV("-C", ",", "echo", "{1}/{2}", ":::", " a ,b\r", "c"), "echo a/b\necho c/");
    made(ARGV("--colsep=,", "--trim", "n", "echo", "{2}", ":::", "a, b "), "echo ' b '");
    /* a regex; a match of the empty string splits between characters only */
    made(ARGV("--colsep", ",+", "echo", ":::", "a,,b,"), "echo a b ''");
    made(ARGV("--colsep", "x*", "echo", ":::", "abc"), "echo a b c");
    /* {N} counts the columns of every source in order */
    made(ARGV("--colsep", " ", "echo", "{3}", ":::", "a b", ":::", "c d"), "echo c");
}

static void test_refused(void)
{
    const char *bin = file("bin", "a\n\0b\n", 5);
    refused(ARGV("echo", "::::", (char *)bin), ":2: a NUL byte");
    refused(ARGV("echo", "::::", "/nonexistent/x"), "/nonexistent/x");
    refused(ARGV("--colsep", "(", "echo", ":::", "a"), "--colsep '('");
    refused(ARGV("--trim", "x", "echo", ":::", "a"), "--trim");
    /* glibc's regcomp would take minutes and gigabytes for this */
    refused(ARGV("--colsep", "a++++++++++++++++++++++++++++++", "echo", ":::", "a"),
            "a repetition of a repetition");
    refused(ARGV("--colsep", "a{2}*", "echo", ":::", "a"), "a repetition of a repetition");
    made(ARGV("--colsep", "[+*]+|\\++", "echo", ":::", "a+*b++c"), "echo a b c");
    refused(ARGV("--colsep"), "--colsep needs a value");
    /* an empty source: nothing to do, as for GNU parallel */
    no_job(ARGV("echo", ":::"), "argument source 1 (:::) has no value");
    no_job(ARGV("echo", ":::", "a", ":::+"), "argument source 2 (:::) has no value");
    const char *empty = file("empty", "", 0);
    no_job(ARGV("echo", "::::", (char *)empty), "is empty");
    /* a command beyond what exec takes */
    char *big = malloc(TFR_CMD_MAX + 1);
    memset(big, 'a', TFR_CMD_MAX);
    big[TFR_CMD_MAX] = 0;
    refused(ARGV("echo", ":::", "b", big), "job 2: a command of");
    free(big);
    /* a product beyond TFR_ARGS_JOBS_MAX */
    char *many[128] = {"tfrun", "echo"};
    int k = 2;
    for (int s = 0; s < 9; s++) {
        many[k++] = ":::";
        for (int v = 0; v < 10; v++) many[k++] = "v";
    }
    refused(many, "more than 100000000 jobs"); /* 10^9: refused before one is made */
}

static void test_command_line(void)
{
    tfr_args a;
    memset(&a, 0, sizeof a);
    char **v = ARGV("tasks.txt", "--tag");
    CU_ASSERT_FALSE(tfr_args_wanted(&a, argc_of(v), v, 1));
    v = ARGV("echo", "-n", ":::", "a");
    CU_ASSERT_TRUE(tfr_args_wanted(&a, argc_of(v), v, 1));
    int i = 1;
    v = ARGV("-a", "f1", "--dry-run", "echo", "::::", "f2", "-", "::::+", "f3");
    CU_ASSERT_EQUAL(tfr_args_option(&a, argc_of(v), v, &i, err, sizeof err), 1);
    CU_ASSERT_EQUAL(i, 2);
    i = 3;
    CU_ASSERT_EQUAL(tfr_args_option(&a, argc_of(v), v, &i, err, sizeof err), 1);
    CU_ASSERT_TRUE(a.dry_run);
    i = 4;
    CU_ASSERT_EQUAL(tfr_args_option(&a, argc_of(v), v, &i, err, sizeof err), 0);
    CU_ASSERT_TRUE(tfr_args_wanted(&a, argc_of(v), v, i)); /* -a given */
    CU_ASSERT_EQUAL(tfr_args_command(&a, argc_of(v), v, i, err, sizeof err), 0);
    CU_ASSERT_EQUAL(a.ncmd, 1);
    CU_ASSERT_EQUAL(a.nsrc, 4); /* f1, f2, -, f3 */
    CU_ASSERT_TRUE(a.src[3].linked);
    CU_ASSERT_FALSE(a.src[2].linked);
    CU_ASSERT_STRING_EQUAL(tfr_args_file(&a, 0), "f1");
    CU_ASSERT_STRING_EQUAL(tfr_args_file(&a, 2), "-");
    CU_ASSERT_STRING_EQUAL(tfr_args_file(&a, 3), "f3");
    CU_ASSERT_PTR_NULL(tfr_args_file(&a, 4));
    tfr_args_free(&a);
}

static const unit_test tests[] = {
    UNIT_TEST(test_quote),
    UNIT_TEST(test_replacement_strings),
    UNIT_TEST(test_appended_and_empty_template),
    UNIT_TEST(test_order_and_links),
    UNIT_TEST(test_files),
    UNIT_TEST(test_colsep),
    UNIT_TEST(test_refused),
    UNIT_TEST(test_command_line),
};

int main(int argc, char **argv)
{
    if (!mkdtemp(dir)) return 1;
    int rc = unit_run("tfrun_args", tests, sizeof tests / sizeof *tests, argc, argv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) rc = rc ? rc : 1;
    return rc;
}
