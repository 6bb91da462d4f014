/* fuzz_uts_params.c - tf-uts's tree parameters (apps/tf-uts/main.c): the
 * input's words (split at NUL) are the command line. For a command line it
 * accepts, the tree those parameters describe is walked down one path from
 * the root, as deep as the search would go (the child taken at each level
 * chosen by the path so far), so that every child count the search would
 * compute there is computed: it must be a count, 0..MAX_CHILDREN (the root
 * of a binomial tree: up to ceil(b0); a balanced tree: b0), whatever the
 * parameters.
 * main.c is compiled in with its main renamed. */
/* first: main.c sets its feature macros before any header */
#define main tf_uts_main
#include "main.c"
#undef main

#include <stdint.h>
#include <stdlib.h>

#include "argv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ak_rank = 1; /* quiet: rank 0 alone prints */
    ak_prog = "tf-uts";
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_argv a;
    if (fuzz_argv_make(&a, "tf-uts", data, size) < 0) return 0;
    if (fuzz_argv_has(&a, "--version")) { /* prints and exits: not for a fuzzer */
        fuzz_argv_free(&a);
        return 0;
    }
    T = T_defaults;
    cfg.sample = NULL;
    cfg.budget = 4096;
    cfg.split = 4;
    cfg.repeat = 1;
    memset(geo_known, 0, sizeof geo_known);
    if (parse_args(a.argc, a.argv) == 0) {
        if (T.type < 0 || T.type > 3 || T.shape < 0 || T.shape > 3 || T.gran < 1) abort();
        uint8_t s[20], c[20];
        rng_root(s, T.root_id);
        for (int h = 0; h < 300; h++) {
            int n = num_children(s, h);
            int cap = h == 0 && T.type == BIN ? (int)ceil(T.b0) : MAX_CHILDREN;
            if (T.type == BALANCED) cap = (int)T.b0; /* every node has b0 children */
            if (n < 0 || n > cap) abort();
            if (n == 0) break;
            rng_child(s, (int)(s[0] % (unsigned)n), c);
            memcpy(s, c, sizeof s);
        }
    }
    fuzz_argv_free(&a);
    return 0;
}
