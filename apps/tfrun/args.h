/* args.h - tfrun's tasks made from a command template and argument sources,
 * the way GNU parallel makes its jobs:
 *
 *   tfrun [options] CMD... ::: a b c :::: FILE ::::+ FILE2 ...
 *   tfrun -a FILE [--colsep REGEX] [options] CMD...
 *
 * Sources: ::: VALUES (a newline inside a value splits it, as parallel
 * 20221122 does), :::: FILES and -a/--arg-file FILE (one value per line;
 * "-" is standard input). -a sources come first. Jobs are the cartesian
 * product of the sources, the first varying slowest; a source given with
 * :::+ or ::::+ is linked to the one before it instead: the two advance
 * together, and the shorter decides how many values the pair has. A job's
 * number ({#}, its task id) counts from 1 in that order.
 *
 * The template (CMD's words joined by spaces, not quoted) gets the
 * replacement strings {} {.} {/} {//} {/.} {#} {%} {N} {N.} {N/} {N//}
 * {N/.} (N from 1, or from -1 for the last) substituted; every value is
 * quoted for /bin/sh as parallel quotes it (tfr_args_quote). A template
 * with none of them gets the job's values appended, quoted; an empty
 * template runs the values themselves, unquoted, as commands. {%} is the
 * slot: it becomes $((TF_RANK+1)), the rank that runs the job plus one,
 * which sh works out when the command runs. --colsep REGEX (POSIX extended;
 * \t \n \r stand for a tab, a newline, a carriage return) splits every
 * value into columns; {N} is then the N-th column of the job, counted over
 * its sources in order. --trim l|r|lr takes white space off each column's
 * start, end or both: the default with --colsep, as in parallel.
 *
 * Pure code: no MPI, no threads. Rank 0's main thread parses the options
 * and generates the tasks; the tfr_args strings point into argv. */
#ifndef TFR_ARGS_H
#define TFR_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "taskfile.h"

/* The largest number of jobs tfrun makes: beyond it a product of sources is
 * taken for a mistake. */
#define TFR_ARGS_JOBS_MAX 100000000u

typedef struct tfr_source {
    bool file;   /* ::::, -a: argv holds paths; else values */
    bool linked; /* :::+, ::::+: advances with the source before it */
    bool owned;  /* argv is tfrun's (-a), not the command line's */
    char **argv; /* its words, inside the command line's argv */
    int argc;
} tfr_source;

typedef struct tfr_args {
    bool on;      /* tasks are generated, not read from a task file */
    bool dry_run; /* --dry-run: print the commands, run nothing */
    const char *colsep;
    const char *trim; /* --trim n|l|r|lr|rl; NULL: lr with --colsep, else n */
    char **cmd;       /* the template's words */
    int ncmd;
    tfr_source *src;
    size_t nsrc;
} tfr_args;

/* Rank 0 and every other rank, while parsing the options: if argv[*i] is
 * -a/--arg-file FILE, -C/--colsep REGEX, --trim HOW (also --opt=VALUE) or --dry-run,
 * takes it (and its value: *i advanced) and returns 1; 0 if it is none of
 * them; -1 with a one-line message in err. */
int tfr_args_option(tfr_args *a, int argc, char **argv, int *i, char *err, size_t errlen);

/* Whether argv[i], the first word that is not an option, starts a command
 * template: an -a was given, or a source separator follows. */
bool tfr_args_wanted(const tfr_args *a, int argc, char **argv, int i);

/* Takes argv[i..argc) as the template's words and the sources after them.
 * 0, or -1 with a message in err. */
int tfr_args_command(tfr_args *a, int argc, char **argv, int i, char *err, size_t errlen);

/* The k-th file the sources read ("-" for standard input), NULL past the
 * last: what --journal and --output must not be. */
const char *tfr_args_file(const tfr_args *a, size_t k);

/* Makes the tasks: tf->v[j] is job j+1 (id j+1), its command in tf->text.
 * Reads the files of the sources. 0, or -1 with "NAME:LINE: why" or
 * "job N: why" in err (*tf then holds nothing to free). Refused: a NUL
 * byte in a file, a bad --colsep, no source at all, more than
 * TFR_ARGS_JOBS_MAX jobs, a command longer than TFR_CMD_MAX. A source with
 * no value makes no job: 0 with tf->n == 0 and which source in err. */
int tfr_args_generate(const tfr_args *a, tfr_taskfile *tf, char *err, size_t errlen);

void tfr_args_free(tfr_args *a);

/* s (len bytes, no NUL) quoted for /bin/sh as GNU parallel quotes it,
 * appended to the malloc'd buffer *buf (length *n, capacity *cap): as is
 * if every byte is one of A-Z a-z 0-9 - _ . + /; '' if empty; else inside
 * single quotes, each ' written as '"'"', and a '' left at either end
 * dropped. 0, or -1 if out of memory. */
int tfr_args_quote(char **buf, size_t *n, size_t *cap, const char *s, size_t len);

#endif
