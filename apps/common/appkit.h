/* appkit.h - what tfrun and the experiment apps (tf-amdahl, tf-hashfiles,
 * tf-mandelbrot, tf-pi, tf-pingpong, tf-uts) share: MPI start, options with
 * one-line errors, a clock, a busy wait, the pool's set-up and a median. Not
 * part of the library.
 *
 * Every rank parses the same command line; only rank 0 prints the messages,
 * so a bad option gives one line, not one per rank. All calls are made from
 * the main thread.
 */
#ifndef TF_APPKIT_H
#define TF_APPKIT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "taskfarm.h"

/* Set by ak_init. */
extern int ak_rank, ak_size;
extern const char *ak_prog;

/* MPI_Init_thread (MPI_THREAD_MULTIPLE asked for), rank and size of
 * MPI_COMM_WORLD, and the program name used in messages. */
void ak_init(int *argc, char ***argv, const char *prog);

/* Answers --version without MPI: if the options before the first other word
 * (or "--", ":::") hold --version, prints "PROG (taskfarm) VERSION" (the
 * linked library's version) on rank 0 of the launcher and exits 0. ak_init
 * calls it first; a program that needs no MPI start for it calls it itself. */
void ak_version_exit(int argc, char **argv, const char *prog);
/* True if the options before the first other word hold `flag` (as above). */
int ak_early_flag(int argc, char **argv, const char *flag);
/* This process's rank as its launcher (mpirun, srun) says, before MPI
 * starts; 0 when it was not started by one. */
int ak_launcher_rank(void);

/* "PROG: message" on stderr, from rank 0 only. */
void ak_error(const char *fmt, ...) TF_PRINTF(1, 2);

/* The value of option argv[*i]: advances *i, or says "OPT needs a value" and
 * returns NULL. */
const char *ak_value(int argc, char **argv, int *i);

/* Parsers: 0, or -1 after a message naming the option and what it wants. */
int ak_u64(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *v);
int ak_int(const char *opt, const char *s, int lo, int hi, int *v);
int ak_double(const char *opt, const char *s, double lo, double hi, double *v);
/* "auto", "guided" or a fixed chunk size, into opts. */
int ak_chunk(const char *opt, const char *s, tf_pool_opts *opts);
/* The options the experiment apps share, at argv[*i]: --repeat R (1..1000),
 * --chunk auto|guided|K and --version. 1 if it was one of them (and *i
 * advanced), 0 if not, -1 after a message. --version prints ak_version's
 * text (rank 0) and ends the program: MPI_Finalize and exit status 0, as it
 * comes while the options are parsed, before any pool exists. */
int ak_run_option(int argc, char **argv, int *i, unsigned *repeat, tf_pool_opts *opts);

/* --version's text on stdout: prog and taskfarm's version, the MPI library
 * linked (MPI_Get_library_version's first line, which may name another MPI
 * than the mpirun that starts the program), the MPI standard it implements,
 * and the build type, compiler and C flags the apps were built with: what a
 * methods section needs (scripts/scaling records it). Any thread, any rank
 * (the caller picks the rank that prints). */
void ak_print_version(const char *prog);

/* Monotonic seconds. */
double ak_now(void);
/* Keeps this thread busy for `seconds` (a spin, not a sleep). */
void ak_spin(double seconds);

/* Creates the pool on MPI_COMM_WORLD and registers n (name, fn) pairs;
 * on failure prints why and returns NULL. Collective. */
tf_pool *ak_pool(const tf_pool_opts *opts, size_t n, const char *const *names, const tf_fn *fns);

/* Median of v[0..n) (sorts v). 0 for n == 0. */
double ak_median(double *v, size_t n);

#endif /* TF_APPKIT_H */
