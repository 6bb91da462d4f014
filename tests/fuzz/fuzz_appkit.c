/* fuzz_appkit.c - the option parsers the apps share (apps/common/appkit.c):
 * the words of the input (split at NUL) go through ak_run_option as a
 * command line does, and each word through ak_u64, ak_int, ak_double and
 * ak_chunk; an accepted value must lie in the bounds asked for. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "appkit.h"
#include "argv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ak_rank = 1; /* messages are printed by rank 0 only: keep the fuzzer's output quiet */
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_argv a;
    if (fuzz_argv_make(&a, "app", data, size) < 0) return 0;
    if (fuzz_argv_has(&a, "--version")) { /* prints and exits: not for a fuzzer */
        fuzz_argv_free(&a);
        return 0;
    }
    unsigned repeat = 1;
    tf_pool_opts opts = {0};
    for (int i = 1; i < a.argc; i++) {
        int k = ak_run_option(a.argc, a.argv, &i, &repeat, &opts);
        if (k < 0) break;
        if (repeat < 1 || repeat > 1000) abort();
        if (opts.chunk == TF_CHUNK_FIXED && opts.chunk_size < 1) abort();
    }
    for (int i = 1; i < a.argc; i++) {
        const char *s = a.argv[i];
        uint64_t u;
        int n;
        double d;
        if (ak_u64("-u", s, 3, 1000000, &u) == 0 && (u < 3 || u > 1000000)) abort();
        if (ak_u64("-U", s, 0, UINT64_MAX, &u) == 0 && s[0] == '-') abort();
        if (ak_int("-i", s, -5, 70000, &n) == 0 && (n < -5 || n > 70000)) abort();
        if (ak_int("-I", s, INT32_MIN, INT32_MAX, &n) == 0 && !s[0]) abort();
        if (ak_double("-d", s, 1e-3, 1e9, &d) == 0 && !(d >= 1e-3 && d <= 1e9)) abort();
        tf_pool_opts o = {0};
        if (ak_chunk("-c", s, &o) == 0 && o.chunk == TF_CHUNK_FIXED && o.chunk_size < 1) abort();
    }
    fuzz_argv_free(&a);
    return 0;
}
