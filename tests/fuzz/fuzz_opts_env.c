/* fuzz_opts_env.c - the TF_* environment parser (core/opts.c): the input's
 * lines are the values of the variables in table order (an empty line:
 * unset). Whatever the values, the options that come out either pass or
 * fail with TF_EINVAL and the variable's name, and a second
 * tf__opts_defaults over accepted values must not refuse them. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/opts.h"

#define MAXVARS 64

static char *values[MAXVARS];
static size_t nvalues;

static char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < nvalues; i++)
        if (strcmp(tf__opts_var(i, NULL), name) == 0) return values[i];
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 8192) return 0;
    char *copy = malloc(size + 1);
    if (!copy) return 0;
    memcpy(copy, data, size);
    copy[size] = '\0';
    nvalues = 0;
    char *p = copy;
    while (nvalues < MAXVARS && tf__opts_var(nvalues, NULL)) {
        values[nvalues++] = p;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        p = nl + 1;
    }
    tf_pool_opts o;
    if (tf__opts_defaults(&o, NULL) != 0) abort();
    const char *bad = NULL;
    int rc = tf__opts_env(&o, fake_getenv, 1, &bad);
    if (rc == 0) {
        if (bad) abort();
        tf_pool_opts again;
        if (tf__opts_defaults(&again, &o) != 0) abort();
    } else if (rc != TF_EINVAL || !bad) {
        abort();
    }
    free(copy);
    return 0;
}
