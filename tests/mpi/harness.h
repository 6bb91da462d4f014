/* harness.h - CUnit on every rank, for the MPI tests in this directory.
 *
 * A test file defines two tables and nothing else global:
 *
 *     TH_FUNCS(TH_FUNC("square", fn_square), TH_FUNC("fail", fn_fail));
 *     TH_TESTS(TH_TEST(test_map_small), TH_TEST(test_map_large));
 *
 * harness.c owns main(): it initializes MPI (MPI_THREAD_MULTIPLE), runs every
 * test on every rank in table order, sums the failures over ranks after each
 * test and at the end, and exits non-zero if any rank failed. Tests are
 * collective: a test must make the same collective calls on every rank, so it
 * uses only non-fatal assertions (a fatal one would skip a collective call on
 * one rank and hang the others).
 *
 * A watchdog thread ends the process with status 124 when one test runs
 * longer than TF_TEST_WATCHDOG seconds (default 90), printing
 * "watchdog: rank R stuck in test X", so a hang fails instead of waiting for
 * the ctest timeout.
 *
 * Command-line arguments, if any, select the tests whose names contain one of
 * them (every rank gets the same arguments, so every rank selects the same).
 */
#ifndef TF_TEST_HARNESS_H
#define TF_TEST_HARNESS_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

#include "taskfarm.h"

typedef struct th_func {
    const char *name;
    tf_fn fn;
} th_func;

typedef struct th_test {
    const char *name;
    void (*fn)(void);
} th_test;

/* Defined by each test file through the macros below. */
extern const th_func th_funcs[];
extern const th_test th_tests[];

/* Kept on one line each; clang-format would spread them over four. */
/* clang-format off */
#define TH_FUNC(name, fn) {(name), (fn)}
#define TH_FUNCS(...) const th_func th_funcs[] = {__VA_ARGS__, {NULL, NULL}}
#define TH_NO_FUNCS const th_func th_funcs[] = {{NULL, NULL}}
#define TH_TEST(fn) {#fn, (fn)}
#define TH_TESTS(...) const th_test th_tests[] = {__VA_ARGS__, {NULL, NULL}}
/* clang-format on */

/* MPI_COMM_WORLD rank and size. */
/* A test file may define this: called on every rank after the harness's
 * MPI_Finalize, for what a program may do then (destroy a pool); a crash or
 * a non-zero return fails the program. */
int th_after_finalize(void) __attribute__((weak));

int th_rank(void);
int th_size(void);

/* Collective on MPI_COMM_WORLD: a pool with every function of th_funcs
 * registered. opts may be NULL. Records a failure and returns NULL if
 * creation or a registration failed. */
tf_pool *th_pool(const tf_pool_opts *opts);

/* Collective: tf_run, then checks that every rank got the same return
 * value, which it returns. */
int th_run(tf_pool *pool, tf_driver driver, void *arg);

/* Collective sums and extremes over MPI_COMM_WORLD. */
uint64_t th_sum_u64(uint64_t x);
double th_sum_double(double x);
int th_min_int(int x);
int th_max_int(int x);

/* Busy-waits `us` microseconds of wall time (a task's "work"). */
void th_spin_us(unsigned us);

/* Reads / writes a uint64 at a possibly unaligned address. */
uint64_t th_get_u64(const void *p);
void th_put_u64(void *p, uint64_t x);

/* The R of "rank R" in a failure message, -1 if there is none. */
int th_msg_rank(const char *msg);

/* A CUnit assertion that also prints "rank R: file:line: cond: <details>"
 * when it fails. Never fatal. Evaluates to the condition's truth. */
#define TH_CHECK(cond, ...) th_check_(!!(cond), __LINE__, __FILE__, #cond, __VA_ARGS__)
/* Integer equality, printing both values when they differ. */
#define TH_EQ(a, b) th_check_eq_((long long)(a), (long long)(b), __LINE__, __FILE__, #a " == " #b)

int th_check_(int ok, int line, const char *file, const char *cond, const char *fmt, ...)
    TF_PRINTF(5, 6);
int th_check_eq_(long long a, long long b, int line, const char *file, const char *cond);

#endif /* TF_TEST_HARNESS_H */
