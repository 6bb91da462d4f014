/* taskfile.h - tfrun's task file: one shell command per line.
 *
 * Rules (the same on every run, so that task ids are stable):
 *   - a task is one line, run later with /bin/sh -c; its id is the number of
 *     its first line (counted from 1);
 *   - blank lines and lines whose first non-blank character is '#' are
 *     skipped (a comment line is never continued);
 *   - a line that ends in a backslash continues on the next line: the
 *     backslash and the newline are dropped, as sh drops them;
 *   - a "\r\n" line end counts as "\n";
 *   - a UTF-8 byte-order mark (EF BB BF) at the very start is skipped;
 *   - refused, with "FILE:LINE: why": a NUL byte (a binary file), a command
 *     longer than TFR_CMD_MAX bytes (the kernel's limit for one argument of
 *     exec, MAX_ARG_STRLEN), a last line that ends in a backslash, and a file
 *     with no command at all.
 * Pure code: no MPI, no threads. The whole file is in memory (rank 0 reads
 * it; the commands travel to the ranks as task inputs). */
#ifndef TFR_TASKFILE_H
#define TFR_TASKFILE_H

#include <stddef.h>
#include <stdint.h>

#define TFR_CMD_MAX 131071 /* MAX_ARG_STRLEN (32 pages) less the NUL */

typedef struct tfr_task {
    uint64_t id; /* line number of its first line */
    size_t off;  /* its command: text + off, NUL-terminated */
    size_t len;
} tfr_task;

typedef struct tfr_taskfile {
    char *text; /* the commands, each NUL-terminated */
    tfr_task *v;
    size_t n;
    uint64_t lines; /* lines in the file */
} tfr_taskfile;

/* Parses len bytes of data (not NUL-terminated) named `name` in messages.
 * 0, or -1 with a one-line message "name:LINE: why" (or "name: why") in
 * err. On error *tf holds nothing to free. A file without commands (empty,
 * or only blank lines and comments) parses, with n 0. */
int tfr_taskfile_parse(const char *data, size_t len, const char *name, tfr_taskfile *tf, char *err,
                       size_t errlen);

/* Reads a whole file ("-" is standard input) into *data (malloc'd; the
 * caller frees). 0, or -1 with "name: strerror" in err. */
int tfr_read_all(const char *path, char **data, size_t *len, char *err, size_t errlen);

void tfr_taskfile_free(tfr_taskfile *tf);
/* The index in tf->v of the task with this id (ids increase through the
 * list: a task file's line numbers, a made list's job numbers), or -1. */
long tfr_task_index(const tfr_taskfile *tf, uint64_t id);

/* Formats a one-line message into err and returns -1: the parsers' (and the
 * journal's) error return. */
int tfr_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
