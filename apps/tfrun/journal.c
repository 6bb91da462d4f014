/* journal.c - see journal.h. */
#define _GNU_SOURCE
#include "journal.h"
#include "taskfile.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEAD "# tfrun-journal 1 "
#define COLS "# id\tstatus\trank\thost\tstart\tend\tseconds\tout_bytes\terr_bytes\ttries\tout_end\n"
#define NCOLS 11 /* in COLS */
#define TASKS " tasks="
#define SHA256_HEX_LEN (2 * TFR_SHA256_LEN)

/* Above every errno Linux has (the kernel's MAX_ERRNO is 4095). */
#define ERRNO_LIMIT 4096
/* Far above what --retries allows: a larger count is garbage. */
#define TRIES_MAX 1000000
/* First sizes of the parser's buffers: a record line's, and records. */
#define LINE_CAP0 512
#define RECORDS_CAP0 256

void tfr_journal_free(tfr_journal *j)
{
    if (!j) return;
    free(j->v);
    memset(j, 0, sizeof *j);
}

static const char hexd[] = "0123456789abcdef";

size_t tfr_journal_header(char *buf, size_t cap, const unsigned char sha256[TFR_SHA256_LEN],
                          uint64_t ntasks)
{
    char hex[SHA256_HEX_LEN + 1];
    for (int i = 0; i < TFR_SHA256_LEN; i++) {
        hex[2 * i] = hexd[sha256[i] >> 4];
        hex[2 * i + 1] = hexd[sha256[i] & 15];
    }
    hex[SHA256_HEX_LEN] = 0;
    int n = snprintf(buf, cap, HEAD "sha256=%s" TASKS "%" PRIu64 "\n" COLS, hex, ntasks);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

void tfr_status_str(char *buf, size_t cap, int kind, int code)
{
    switch (kind) {
    case TFR_ST_EXIT: snprintf(buf, cap, "exit:%d", code); break;
    case TFR_ST_SIGNAL: {
        const char *s = code > 0 && code < NSIG ? sigabbrev_np(code) : NULL;
        if (s)
            snprintf(buf, cap, "signal:%s", s);
        else
            snprintf(buf, cap, "signal:%d", code);
        break;
    }
    case TFR_ST_TIMEOUT: snprintf(buf, cap, "timeout"); break;
    default: {
        const char *s = strerrorname_np(code);
        if (s)
            snprintf(buf, cap, "nostart:%s", s);
        else
            snprintf(buf, cap, "nostart:%d", code);
    }
    }
}

size_t tfr_journal_format(char *buf, size_t cap, const tfr_jrec *r)
{
    char st[48], host[64];
    tfr_status_str(st, sizeof st, r->kind, r->code);
    size_t i = 0;
    for (; i < sizeof host - 1 && r->host[i]; i++) {
        char c = r->host[i];
        host[i] = c == '\t' || c == '\n' || c == '\r' ? '?' : c;
    }
    if (i == 0) host[i++] = '?';
    host[i] = 0;
    int n = snprintf(buf, cap,
                     "%" PRIu64 "\t%s\t%d\t%s\t%.6f\t%.6f\t%.6f\t%" PRIu64 "\t%" PRIu64
                     "\t%u\t%" PRId64 "\n",
                     r->id, st, r->rank, host, r->start, r->end, r->seconds, r->out_bytes,
                     r->err_bytes, r->tries, r->out_end);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* ---- parsing ------------------------------------------------------------ */

static int parse_u64(const char *s, uint64_t *v)
{
    if (*s < '0' || *s > '9') return -1;
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (errno || *end) return -1;
    *v = x;
    return 0;
}

static int parse_i64(const char *s, int64_t *v)
{
    if (!((*s >= '0' && *s <= '9') || (*s == '-' && s[1] >= '0' && s[1] <= '9'))) return -1;
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || *end) return -1;
    *v = x;
    return 0;
}

static int parse_dbl(const char *s, double *v)
{
    if (*s < '0' || *s > '9' || s[strspn(s, "0123456789.eE+-")]) return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || *end || x != x || x < 0) return -1;
    *v = x;
    return 0;
}

/* s past `prefix`, or NULL if s does not start with it. */
static const char *after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

static int parse_status(const char *s, int *kind, int *code)
{
    int64_t c;
    const char *v;
    if ((v = after(s, "exit:"))) {
        if (parse_i64(v, &c) || c < 0 || c > 255) return -1; /* an exit status is a byte */
        *kind = TFR_ST_EXIT;
        *code = (int)c;
        return 0;
    }
    if (strcmp(s, "timeout") == 0) {
        *kind = TFR_ST_TIMEOUT;
        *code = 0;
        return 0;
    }
    if ((v = after(s, "signal:"))) {
        *kind = TFR_ST_SIGNAL;
        if (parse_i64(v, &c) == 0 && c > 0 && c < NSIG) {
            *code = (int)c;
            return 0;
        }
        for (int sig = 1; sig < NSIG; sig++) {
            const char *a = sigabbrev_np(sig);
            if (a && strcmp(a, v) == 0) {
                *code = sig;
                return 0;
            }
        }
        return -1;
    }
    if ((v = after(s, "nostart:"))) {
        *kind = TFR_ST_NOSTART;
        if (parse_i64(v, &c) == 0 && c >= 0 && c < ERRNO_LIMIT) {
            *code = (int)c;
            return 0;
        }
        for (int e = 1; e < ERRNO_LIMIT; e++) {
            const char *a = strerrorname_np(e);
            if (a && strcmp(a, v) == 0) {
                *code = e;
                return 0;
            }
        }
        return -1;
    }
    return -1;
}

/* One record line (no newline, NUL-terminated, writable). */
static int parse_record(char *s, tfr_jrec *r)
{
    char *f[NCOLS + 1]; /* one more: a line with too many fields is refused */
    int n = 0;
    for (char *p = s;; p++) {
        if (n == NCOLS + 1) return -1;
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p) break;
        *p = 0;
    }
    if (n != NCOLS) return -1;
    memset(r, 0, sizeof *r);
    uint64_t u;
    int64_t i;
    if (parse_u64(f[0], &r->id) || r->id == 0) return -1;
    if (parse_status(f[1], &r->kind, &r->code)) return -1;
    if (parse_i64(f[2], &i) || i < -1 || i > INT32_MAX) return -1; /* -1: not known */
    r->rank = (int)i;
    size_t hl = strlen(f[3]);
    if (hl == 0 || hl >= sizeof r->host) return -1;
    memcpy(r->host, f[3], hl + 1);
    if (parse_dbl(f[4], &r->start) || parse_dbl(f[5], &r->end) || parse_dbl(f[6], &r->seconds))
        return -1;
    if (parse_u64(f[7], &r->out_bytes) || parse_u64(f[8], &r->err_bytes)) return -1;
    if (parse_u64(f[9], &u) || u == 0 || u > TRIES_MAX) return -1;
    r->tries = (unsigned)u;
    if (parse_i64(f[10], &r->out_end) || r->out_end < -1) return -1;
    return 0;
}

static int parse_header(const char *s, size_t n, tfr_journal *j)
{
    static const char pre[] = HEAD "sha256=";
    const size_t pre_len = sizeof pre - 1, tasks_len = sizeof TASKS - 1;
    if (n < pre_len + SHA256_HEX_LEN + tasks_len || memcmp(s, pre, pre_len) != 0) return -1;
    const char *hex = s + pre_len;
    for (int k = 0; k < TFR_SHA256_LEN; k++) {
        const char *hi = strchr(hexd, hex[2 * k]), *lo = strchr(hexd, hex[2 * k + 1]);
        if (!hi || !lo || !*hi || !*lo) return -1;
        j->sha256[k] = (unsigned char)(((hi - hexd) << 4) | (lo - hexd));
    }
    const char *t = hex + SHA256_HEX_LEN;
    if (strncmp(t, TASKS, tasks_len) != 0) return -1;
    char num[32]; /* a uint64_t's digits fit */
    size_t num_len = n - (size_t)(t + tasks_len - s);
    if (num_len == 0 || num_len >= sizeof num) return -1;
    memcpy(num, t + tasks_len, num_len);
    num[num_len] = 0;
    return parse_u64(num, &j->ntasks);
}

int tfr_journal_parse(const char *data, size_t len, const char *name, tfr_journal *j, char *err,
                      size_t errlen)
{
    memset(j, 0, sizeof *j);
    size_t pos = 0, rec_cap = 0; /* rec_cap: records j->v has room for */
    uint64_t line = 0;
    char *rec_line = NULL;
    size_t rec_line_cap = 0;
    while (pos < len) {
        line++;
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        if (!nl) { /* torn last line: written by a run that was killed */
            if (line == 1 &&
                memcmp(s, HEAD, len - pos < sizeof HEAD - 1 ? len - pos : sizeof HEAD - 1))
                goto garbage;
            j->torn = true;
            break;
        }
        size_t n = (size_t)(nl - s);
        pos += n + 1;
        if (line == 1) {
            if (parse_header(s, n, j)) goto garbage;
            j->has_header = true;
            j->valid_len = pos;
            continue;
        }
        if (n && s[0] == '#') {
            j->valid_len = pos;
            continue;
        }
        if (memchr(s, '\0', n)) goto garbage;
        if (n + 1 > rec_line_cap) {
            rec_line_cap = n + 1 > LINE_CAP0 ? n + 1 : LINE_CAP0;
            char *grown = realloc(rec_line, rec_line_cap);
            if (!grown) goto oom;
            rec_line = grown;
        }
        memcpy(rec_line, s, n);
        rec_line[n] = 0;
        if (j->n == rec_cap) {
            rec_cap = rec_cap ? rec_cap * 2 : RECORDS_CAP0;
            tfr_jrec *nv = realloc(j->v, rec_cap * sizeof *nv);
            if (!nv) goto oom;
            j->v = nv;
        }
        if (parse_record(rec_line, &j->v[j->n])) goto garbage;
        j->v[j->n].line_off = (size_t)(s - data);
        j->v[j->n].line = line;
        j->n++;
        j->valid_len = pos;
    }
    free(rec_line);
    return 0;
garbage:
    free(rec_line);
    tfr_journal_free(j);
    if (line == 1) return tfr_errf(err, errlen, "%s:1: not a tfrun journal", name);
    return tfr_errf(err, errlen, "%s:%llu: not a journal record", name, (unsigned long long)line);
oom:
    free(rec_line);
    tfr_journal_free(j);
    return tfr_errf(err, errlen, "%s: out of memory", name);
}
