/* journal.h - tfrun's journal: one line per finished task, append only.
 *
 *   # tfrun-journal 1 sha256=<hex of the task file's bytes> tasks=<N>
 *   # id status rank host start end seconds out_bytes err_bytes tries out_end
 *   <one tab-separated record per finished task>
 *
 * status is "exit:N" (0..255), "signal:NAME" (killed by a signal), "timeout"
 * (killed by tfrun after --timeout) or "nostart:ERRNO" (the shell could not be
 * started); a task succeeded iff its status is "exit:0". start and end are
 * seconds since the epoch, seconds is the run time. out_end is where the
 * task's output ends in the --output file, -1 without one.
 *
 * A record is appended with one write() after the task's output is out, and
 * before the task counts as done. A crash can leave a torn last line (no
 * newline): it is tolerated and cut off before the next append. Any other
 * line that does not parse is refused, as is a journal whose header names
 * another task file.
 *
 * Pure code: no MPI, no threads. */
#ifndef TFR_JOURNAL_H
#define TFR_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { TFR_ST_EXIT = 0, TFR_ST_SIGNAL, TFR_ST_TIMEOUT, TFR_ST_NOSTART };

#define TFR_SHA256_LEN 32 /* bytes of a SHA-256 digest */
#define TFR_HOST_MAX 64   /* a host name with its NUL, as journaled and reported */
/* Room for the header lines or one record line: a record is at most about
 * 300 bytes (a host of TFR_HOST_MAX, a status, eight numbers). */
#define TFR_JOURNAL_LINE_MAX 512

typedef struct tfr_jrec {
    uint64_t id;
    int kind; /* TFR_ST_* */
    int code; /* exit status, signal number, or errno */
    int rank; /* -1: not known (the task's result was lost) */
    char host[TFR_HOST_MAX];
    double start, end, seconds;
    uint64_t out_bytes, err_bytes;
    unsigned tries;
    int64_t out_end;
    size_t line_off; /* parse: where its line starts in the journal */
    uint64_t line;   /* parse: its line number in the journal (from 1) */
} tfr_jrec;

typedef struct tfr_journal {
    bool has_header;
    unsigned char sha256[TFR_SHA256_LEN];
    uint64_t ntasks;
    tfr_jrec *v;
    size_t n;
    size_t valid_len; /* bytes up to the end of the last whole line */
    bool torn;        /* a torn last line was dropped */
} tfr_journal;

static inline bool tfr_jrec_ok(const tfr_jrec *r) { return r->kind == TFR_ST_EXIT && r->code == 0; }

/* Parses a journal's bytes. 0, or -1 with "name:LINE: why" in err. An empty
 * input (or a torn header alone) gives has_header false and no records. */
int tfr_journal_parse(const char *data, size_t len, const char *name, tfr_journal *j, char *err,
                      size_t errlen);
void tfr_journal_free(tfr_journal *j);

/* The header lines; returns their length (< cap). */
size_t tfr_journal_header(char *buf, size_t cap, const unsigned char sha256[TFR_SHA256_LEN],
                          uint64_t ntasks);
/* One record line with its newline; returns its length (< cap, which must be
 * at least 256). Tabs and newlines in host become '?'. */
size_t tfr_journal_format(char *buf, size_t cap, const tfr_jrec *r);
/* "exit:3", "signal:KILL", ... into buf. */
void tfr_status_str(char *buf, size_t cap, int kind, int code);

#endif
