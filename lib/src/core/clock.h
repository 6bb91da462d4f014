/* clock.h - the library's one clock. Pure: no MPI, no threads. */
#ifndef TF_CLOCK_H
#define TF_CLOCK_H

#include <stdint.h>

/* Any thread: CLOCK_MONOTONIC in nanoseconds. Every duration and every
 * timeline event of the library is on this clock, so they compare across
 * threads (and across the ranks of one host). */
uint64_t tf__now_ns(void);

#endif
