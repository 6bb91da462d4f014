/* deadline.h - tfrun's --deadline TIME: +DURATION (cli.h: +90, +30s, +10m,
 * +2h, +1d) or a duration with its unit alone (10m), HH:MM[:SS],
 * YYYY-MM-DD[T ]HH:MM[:SS] (local time; a time of day alone is the next
 * one) or @EPOCH.
 *
 * Pure code: no MPI, no threads (localtime_r and mktime read TZ). */
#ifndef TFR_DEADLINE_H
#define TFR_DEADLINE_H

#include <stddef.h>

/* Parses s against `now` (seconds since the epoch) into *out. 0, or -1 with
 * a one-line message "--deadline: ..." that quotes s in err. */
int tfr_deadline_parse(const char *s, double now, double *out, char *err, size_t errlen);

#endif
