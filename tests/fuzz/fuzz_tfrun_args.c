/* fuzz_tfrun_args.c - tfrun's CMD ::: ARGS (apps/tfrun/args.c): the input's
 * words (split at NUL) are the command line after the options, as main.c
 * hands it over. Sources that read files are dropped (a fuzzer's path could
 * be /dev/zero or the fuzzer's standard input). What is made must hold: one
 * task per job, ids 1..n, no command beyond TFR_CMD_MAX; and every value
 * quoted by tfr_args_quote reads back, as sh reads quotes, to its bytes. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "argv.h"

/* A word of plain bytes, '...' and "'" read as sh reads them: the bytes,
 * or -1 if something else is in it. */
static long unquote(const char *q, size_t n, char *out)
{
    size_t o = 0;
    for (size_t k = 0; k < n;) {
        if (q[k] == '\'') {
            const char *end = memchr(q + k + 1, '\'', n - k - 1);
            if (!end) return -1;
            size_t len = (size_t)(end - (q + k + 1));
            memcpy(out + o, q + k + 1, len);
            o += len;
            k += len + 2;
        } else if (q[k] == '"') {
            if (k + 2 >= n || q[k + 1] != '\'' || q[k + 2] != '"') return -1;
            out[o++] = '\'';
            k += 3;
        } else {
            out[o++] = q[k++];
        }
    }
    return (long)o;
}

static void check_quote(const char *s, size_t len)
{
    char *q = NULL;
    size_t n = 0, cap = 0;
    if (tfr_args_quote(&q, &n, &cap, s, len)) abort();
    char *back = malloc(n + 1);
    if (!back) abort();
    long got = unquote(q, n, back);
    if (got != (long)len || memcmp(back, s, len)) abort();
    free(back);
    free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_argv a;
    if (fuzz_argv_make(&a, "tfrun", data, size) < 0) return 0;
    for (int k = 1; k < a.argc; k++) check_quote(a.argv[k], strlen(a.argv[k]));
    check_quote((const char *)data, size);

    tfr_args args;
    memset(&args, 0, sizeof args);
    char err[512];
    int i = 1;
    /* a first word "C" or "T" asks for --colsep or --trim with the next */
    if (a.argc > 2 && !strcmp(a.argv[1], "C")) args.colsep = a.argv[2], i = 3;
    if (a.argc > 2 && !strcmp(a.argv[1], "T")) args.trim = "lr", i = 2;
    if (i < a.argc && tfr_args_command(&args, a.argc, a.argv, i, err, sizeof err) == 0) {
        /* no files, and not too many jobs to be quick (a newline in a
         * value makes two) */
        bool files = false;
        double jobs = 1;
        for (size_t s = 0; s < args.nsrc; s++) {
            files |= args.src[s].file;
            double n = 0;
            for (int w = 0; w < args.src[s].argc; w++) {
                n++;
                for (const char *p = args.src[s].argv[w]; (p = strchr(p, '\n')); p++) n++;
            }
            jobs *= n;
        }
        if (jobs > 4096) files = true;
        tfr_taskfile tf;
        err[0] = 0;
        if (!files && tfr_args_generate(&args, &tf, err, sizeof err) == 0) {
            /* no job only for an empty source, which err names */
            if ((!tf.n && !strstr(err, "no value")) || tf.n > TFR_ARGS_JOBS_MAX) abort();
            for (size_t k = 0; k < tf.n; k++) {
                const tfr_task *t = &tf.v[k];
                if (t->id != k + 1 || t->len > TFR_CMD_MAX) abort();
                if (strlen(tf.text + t->off) != t->len) abort();
            }
            tfr_taskfile_free(&tf);
        } else if (!files && !err[0]) {
            abort(); /* refused without a message */
        }
    }
    tfr_args_free(&args);
    fuzz_argv_free(&a);
    return 0;
}
