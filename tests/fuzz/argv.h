/* argv.h - a command line from fuzz input: the bytes split at NUL into
 * words after a fixed program name. Header-only; one per target. */
#ifndef TF_FUZZ_ARGV_H
#define TF_FUZZ_ARGV_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_ARGS_MAX 64

typedef struct fuzz_argv {
    char *text;
    char *argv[FUZZ_ARGS_MAX + 2];
    int argc;
} fuzz_argv;

/* 0, or -1 when the input is too large to be a command line. */
static inline int fuzz_argv_make(fuzz_argv *a, const char *prog, const uint8_t *data, size_t size)
{
    if (size > 65536) return -1;
    a->text = malloc(size + 1);
    if (!a->text) return -1;
    memcpy(a->text, data, size);
    a->text[size] = '\0';
    a->argc = 0;
    a->argv[a->argc++] = (char *)prog;
    for (size_t i = 0; i <= size && a->argc <= FUZZ_ARGS_MAX; i += strlen(a->text + i) + 1) {
        if (i == size) break;
        a->argv[a->argc++] = a->text + i;
    }
    a->argv[a->argc] = NULL;
    return 0;
}

static inline void fuzz_argv_free(fuzz_argv *a) { free(a->text); }

/* 1 if a word of the command line is w: the apps end the process at
 * --version (they print it and call exit), which a fuzzer must not reach. */
static inline int fuzz_argv_has(const fuzz_argv *a, const char *w)
{
    for (int i = 1; i < a->argc; i++)
        if (!strcmp(a->argv[i], w)) return 1;
    return 0;
}

#endif
