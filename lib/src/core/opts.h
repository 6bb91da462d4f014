/* opts.h - tf_pool_opts: defaults, checks and the TF_* environment overrides.
 * Pure: no MPI, no threads. One table lists every variable that sets a field
 * of tf_pool_opts; one parser walks it. */
#ifndef TF_OPTS_H
#define TF_OPTS_H

#include <stddef.h>

#include "taskfarm.h"

/* Looks up one environment variable; getenv's signature, so that getenv
 * itself can be passed, and a test can pass a fake environment. */
typedef char *(*tf__getenv_fn)(const char *name);

/* Copies the caller's options into o (zero, the defaults, when in is NULL),
 * fills in the defaults of the fields left zero, and returns TF_EINVAL for a
 * value out of range (o is then partly filled). Prints nothing.
 * Main thread, in tf_pool_create. */
int tf__opts_defaults(tf_pool_opts *o, const tf_pool_opts *in);

/* Applies the TF_* overrides, in table order, to o; meant to run after
 * tf__opts_defaults, so that a 0 from the environment stays 0. get looks
 * the variables up (NULL: getenv); an unset or empty variable leaves its
 * field alone. On the first bad value: prints
 *     taskfarm: NAME: invalid value 'V'
 * on stderr (tf__opts_say_bad) if rank is 0, sets *bad (if bad is not NULL)
 * to NAME (another rank's bad value is told after tf_pool_create's first
 * collective, when every rank knows which is the lowest with one), and
 * returns TF_EINVAL; the fields of the variables checked before it keep
 * their new values, those after it are untouched. *bad is NULL on success.
 * Main thread, in tf_pool_create; the names are static strings. */
int tf__opts_env(tf_pool_opts *o, tf__getenv_fn get, int rank, const char **bad);

/* Prints "taskfarm: NAME: invalid value 'V'" on stderr, with " on rank R"
 * after it for a rank other than 0: the one line that reports a bad TF_*
 * value, whichever variable and rank. Main thread, in tf_pool_create. */
void tf__opts_say_bad(const char *name, const char *value, int rank);

/* The table's i-th variable name and, in *help (if not NULL), its one-line
 * description; NULL past the last. Static strings, any thread. */
const char *tf__opts_var(size_t i, const char **help);

/* The rule for an on/off variable that is not a pool option (TF_STATS,
 * TF_REPORT_BINDING): unset, "" or "0" is 0, "1" is 1, anything else
 * TF_EINVAL. Any thread. */
int tf__opts_flag(const char *v);

#endif
