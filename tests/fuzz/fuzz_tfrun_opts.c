/* fuzz_tfrun_opts.c - tfrun's command line (apps/tfrun/main.c: parse_options
 * with --timeout SEC|N%, --max-output SIZE, --deadline TIME and the rest):
 * the input's words (split at NUL) are the arguments. main.c is compiled
 * into this target with its main renamed, so that its static parsers are
 * reached as they are; nothing else of main() runs. An accepted command
 * line must give options inside the bounds that --help states. */
/* first: main.c sets its feature macros before any header */
#define main tfrun_main
#include "main.c"
#undef main

#include <stdint.h>
#include <stdlib.h>

#include "argv.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    ak_rank = 1; /* rank 0 alone prints: quiet, and --help prints nothing */
    ak_prog = "tfrun";
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_argv a;
    if (fuzz_argv_make(&a, "tfrun", data, size) < 0) return 0;
    memset(&tfr_opt, 0, sizeof tfr_opt);
    int rc = parse_options(a.argc, a.argv);
    if (rc == 0) {
        const tfr_opts *o = &tfr_opt;
        if ((!o->taskfile && !o->args.on) || (o->taskfile && o->args.on) ||
            (o->resume && !o->journal))
            abort();
        if (o->max_output > (size_t)MAX_OUTPUT_LIMIT) abort();
        if (o->timeout_s != 0 && !(o->timeout_s >= TIMEOUT_MIN_S && o->timeout_s <= TIMEOUT_MAX_S))
            abort();
        if (o->timeout_pct != 0 &&
            !(o->timeout_pct >= TIMEOUT_MIN_S && o->timeout_pct <= TIMEOUT_MAX_S))
            abort();
        if (o->cores < 1 || o->cores > CORES_MAX || o->retries > RETRIES_MAX) abort();
        if (!(o->grace_s >= 0 && o->grace_s <= SECONDS_MAX)) abort();
        if (o->deadline < 0) abort();
    }
    tfr_args_free(&tfr_opt.args);
    fuzz_argv_free(&a);
    return 0;
}
