/* cli.h - what tfrun's command line shares: durations with units, GNU
 * parallel's --halt spec, the closest option name to a wrong one, and JSON
 * strings.
 *
 * Pure code: no MPI, no threads, no global state. */
#ifndef TFR_CLI_H
#define TFR_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A duration: a number of seconds (1.5), or a number with a unit: s, m, h
 * or d (30s, 10m, 2h, 1d). 0, or -1 if s is none (then *out is untouched).
 * Signs, hex, "inf" and "nan" are refused: they are typing errors here. */
int tfr_duration_parse(const char *s, double *out);

/* --halt: when to stop the farm (GNU parallel's WHEN,WHY=N[%]). */
enum { TFR_HALT_NEVER = 0, TFR_HALT_SOON, TFR_HALT_NOW };
enum { TFR_HALT_FAIL = 0, TFR_HALT_SUCCESS, TFR_HALT_DONE };
typedef struct tfr_halt {
    int when; /* TFR_HALT_* */
    int why;  /* TFR_HALT_FAIL, _SUCCESS, _DONE */
    double n; /* the count, or the percentage if pct */
    bool pct; /* n is a percentage of the tasks to run */
} tfr_halt;

/* Parses "never", "now|soon,fail|success|done=N[%]" or parallel's old
 * forms 0, 1, 2, -1, -2 and 1-99%. 0, or -1 with a one-line message that
 * quotes s in err. */
int tfr_halt_parse(const char *s, tfr_halt *h, char *err, size_t errlen);
/* The spec back in its long form ("soon,fail=1", "now,success=30%"). */
void tfr_halt_str(const tfr_halt *h, char *buf, size_t cap);
/* Whether the farm halts, with `ok` and `failed` tasks done of `total`. */
bool tfr_halt_due(const tfr_halt *h, unsigned long long ok, unsigned long long failed,
                  unsigned long long total);

/* Levenshtein distance between a and b (each cut to 64 bytes). */
size_t tfr_edit_distance(const char *a, const char *b);
/* The name of names[0..n) closest to `given` (its part before '='), or
 * NULL if none is close enough to be what was meant. */
const char *tfr_suggest(const char *given, const char *const *names, size_t n);

/* s as a JSON string, quotes included, into f. */
void tfr_json_str(FILE *f, const char *s);

#endif
