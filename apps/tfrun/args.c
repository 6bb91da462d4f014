/* args.c - see args.h. */
#define _GNU_SOURCE
#include "args.h"

#include <inttypes.h>
#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What {%} becomes: the slot is the rank that runs the job, known only
 * then, so sh works it out from the TF_RANK the rank sets. */
#define SLOT_EXPR "$((TF_RANK+1))"

/* ---- the command line ----------------------------------------------------- */

static bool is_sep(const char *s)
{
    return !strcmp(s, ":::") || !strcmp(s, "::::") || !strcmp(s, ":::+") || !strcmp(s, "::::+");
}

static int add_source(tfr_args *a, tfr_source s, char *err, size_t errlen)
{
    tfr_source *v = realloc(a->src, (a->nsrc + 1) * sizeof *v);
    if (!v) return tfr_errf(err, errlen, "out of memory");
    a->src = v;
    a->src[a->nsrc++] = s;
    return 0;
}

/* argv[*i] is `name` with a value, as "NAME VALUE" or "NAME=VALUE" (long
 * names only): the value, or NULL if it is not that option; *bad set if it
 * is but has no value. */
static const char *valued(int argc, char **argv, int *i, const char *shrt, const char *name,
                          bool *bad)
{
    const char *s = argv[*i];
    size_t n = strlen(name);
    if (!strncmp(s, name, n) && s[n] == '=') return s + n + 1;
    if (strcmp(s, name) && !(shrt && !strcmp(s, shrt))) return NULL;
    if (*i + 1 >= argc) {
        *bad = true;
        return NULL;
    }
    return argv[++*i];
}

int tfr_args_option(tfr_args *a, int argc, char **argv, int *i, char *err, size_t errlen)
{
    const char *opt = argv[*i], *v;
    bool bad = false;
    if (!strcmp(opt, "--dry-run")) {
        a->dry_run = true;
        return 1;
    }
    if ((v = valued(argc, argv, i, "-C", "--colsep", &bad))) {
        if (!*v) return tfr_errf(err, errlen, "--colsep: an empty regular expression");
        a->colsep = v;
        return 1;
    }
    if (!bad && (v = valued(argc, argv, i, NULL, "--trim", &bad))) {
        if (strcmp(v, "n") && strcmp(v, "l") && strcmp(v, "r") && strcmp(v, "lr") &&
            strcmp(v, "rl"))
            return tfr_errf(err, errlen, "--trim: want n, l, r, lr or rl, got '%s'", v);
        a->trim = v;
        return 1;
    }
    if (!bad && (v = valued(argc, argv, i, "-a", "--arg-file", &bad))) {
        char **one = malloc(sizeof *one);
        if (!one) return tfr_errf(err, errlen, "out of memory");
        *one = (char *)v;
        tfr_source s = {.file = true, .owned = true, .argv = one, .argc = 1};
        if (add_source(a, s, err, errlen)) {
            free(one);
            return -1;
        }
        a->on = true;
        return 1;
    }
    if (bad) return tfr_errf(err, errlen, "%s needs a value", opt);
    return 0;
}

bool tfr_args_wanted(const tfr_args *a, int argc, char **argv, int i)
{
    if (a->on) return true;
    for (int k = i; k < argc; k++)
        if (is_sep(argv[k])) return true;
    return false;
}

int tfr_args_command(tfr_args *a, int argc, char **argv, int i, char *err, size_t errlen)
{
    int j = i;
    while (j < argc && !is_sep(argv[j])) j++;
    a->cmd = argv + i;
    a->ncmd = j - i;
    while (j < argc) {
        const char *sep = argv[j];
        bool file = !strncmp(sep, "::::", 4), linked = sep[strlen(sep) - 1] == '+';
        int k = j + 1;
        while (k < argc && !is_sep(argv[k])) k++;
        /* ::: A B is one source, :::: F G two (both linked after ::::+) */
        int n = file && k > j + 1 ? k - j - 1 : 1;
        for (int f = 0; f < n; f++) {
            tfr_source s = {.file = file,
                            .linked = linked && a->nsrc > 0,
                            .argv = argv + j + 1 + f,
                            .argc = file ? k > j + 1 : k - j - 1};
            if (add_source(a, s, err, errlen)) return -1;
        }
        j = k;
    }
    a->on = true;
    return 0;
}

const char *tfr_args_file(const tfr_args *a, size_t k)
{
    for (size_t s = 0; s < a->nsrc; s++) {
        if (!a->src[s].file) continue;
        if (k < (size_t)a->src[s].argc) return a->src[s].argv[k];
        k -= (size_t)a->src[s].argc;
    }
    return NULL;
}

void tfr_args_free(tfr_args *a)
{
    for (size_t s = 0; s < a->nsrc; s++)
        if (a->src[s].owned) free(a->src[s].argv);
    free(a->src);
    memset(a, 0, sizeof *a);
}

/* ---- quoting and the replacement strings ------------------------------------ */

typedef struct buf {
    char *p;
    size_t n, cap;
} buf;

static int put(char **p, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (*n + len + 1 > *cap) {
        size_t c = *cap ? *cap : 256;
        while (c < *n + len + 1) c *= 2;
        char *q = realloc(*p, c);
        if (!q) return -1;
        *p = q;
        *cap = c;
    }
    if (len) memcpy(*p + *n, s, len);
    *n += len;
    return 0;
}

static int bput(buf *b, const char *s, size_t len) { return put(&b->p, &b->n, &b->cap, s, len); }

static bool plain_byte(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '+' || c == '/';
}

int tfr_args_quote(char **p, size_t *n, size_t *cap, const char *s, size_t len)
{
    if (!len) return put(p, n, cap, "''", 2);
    size_t k = 0;
    while (k < len && plain_byte((unsigned char)s[k])) k++;
    if (k == len) return put(p, n, cap, s, len);
    /* '...', each ' in it written as '"'"' (closed, "'", reopened), then
     * the empty '' that a ' at either end leaves dropped */
    size_t at = *n;
    if (put(p, n, cap, "'", 1)) return -1;
    for (k = 0; k < len; k++)
        if (s[k] == '\'' ? put(p, n, cap, "'\"'\"'", 5) : put(p, n, cap, s + k, 1)) return -1;
    if (put(p, n, cap, "'", 1)) return -1;
    if ((*p)[at] == '\'' && (*p)[at + 1] == '\'') {
        memmove(*p + at, *p + at + 2, *n - at - 2);
        *n -= 2;
    }
    if (*n - at >= 2 && (*p)[*n - 1] == '\'' && (*p)[*n - 2] == '\'') *n -= 2;
    return 0;
}

/* The transforms of a value: {} {.} {/} {//} {/.}. */
enum { T_NONE, T_EXT, T_BASE, T_DIR, T_BASE_EXT };

/* Without its extension: the last '.' and what follows, if no '/' does. */
static size_t drop_ext(const char *s, size_t len)
{
    for (size_t k = len; k-- > 0;) {
        if (s[k] == '/') return len;
        if (s[k] == '.') return k;
    }
    return len;
}

/* The value after transform t: a part of s, or "." or "/" for a dirname. */
static void transform(int t, const char *s, size_t len, const char **out, size_t *olen)
{
    if (t == T_BASE || t == T_BASE_EXT) {
        const char *slash = memrchr(s, '/', len);
        if (slash) len -= (size_t)(slash + 1 - s), s = slash + 1;
        if (t == T_BASE_EXT) len = drop_ext(s, len);
    } else if (t == T_EXT) {
        len = drop_ext(s, len);
    } else if (t == T_DIR) {
        /* dirname(1) as Perl's File::Basename has it: trailing slashes do
         * not count, a leading // is / */
        while (len > 1 && s[len - 1] == '/') len--;
        if (len == 1 && s[0] == '/') {
            *out = "/", *olen = 1;
            return;
        }
        const char *slash = memrchr(s, '/', len);
        if (!slash) {
            *out = ".", *olen = 1;
            return;
        }
        len = (size_t)(slash - s);
        while (len > 0 && s[len - 1] == '/') len--;
        if (!len) {
            *out = "/", *olen = 1;
            return;
        }
    }
    *out = s;
    *olen = len;
}

enum { R_ALL, R_POS, R_SEQ, R_SLOT };

typedef struct repl {
    int kind, tr;
    long pos; /* R_POS: from 1, or from -1 for the last */
    size_t len;
} repl;

/* The replacement string at t (which is at a '{'): true and *r, or false if
 * there is none there. */
static bool repl_at(const char *t, repl *r)
{
    const char *p = t + 1;
    r->kind = R_ALL;
    r->tr = T_NONE;
    r->pos = 0;
    if ((p[0] == '#' || p[0] == '%') && p[1] == '}') {
        r->kind = p[0] == '#' ? R_SEQ : R_SLOT;
        r->len = 3;
        return true;
    }
    bool neg = *p == '-';
    const char *d = p + neg;
    if (*d >= '0' && *d <= '9') {
        long n = 0;
        while (*d >= '0' && *d <= '9') {
            if (n > 100000000) return false;
            n = n * 10 + (*d++ - '0');
        }
        if (!n) return false;
        r->kind = R_POS;
        r->pos = neg ? -n : n;
        p = d;
    } else if (neg) {
        return false;
    }
    static const struct {
        const char *s;
        int tr;
    } sfx[] = {{"}", T_NONE}, {".}", T_EXT}, {"/}", T_BASE}, {"//}", T_DIR}, {"/.}", T_BASE_EXT}};
    for (size_t k = 0; k < sizeof sfx / sizeof *sfx; k++) {
        size_t n = strlen(sfx[k].s);
        if (!strncmp(p, sfx[k].s, n)) {
            r->tr = sfx[k].tr;
            r->len = (size_t)(p + n - t);
            return true;
        }
    }
    return false;
}

/* A job's columns. */
typedef struct cols {
    const char **s;
    size_t *len;
    size_t n, cap;
} cols;

static int quoted(buf *b, int tr, const char *s, size_t len)
{
    const char *v;
    size_t vl;
    transform(tr, s, len, &v, &vl);
    return tfr_args_quote(&b->p, &b->n, &b->cap, v, vl);
}

/* The command of job `seq` (from 1) with columns c, from template t, into
 * b (not NUL-terminated). 0, or -1 if out of memory. */
static int expand(buf *b, const char *t, size_t tlen, const cols *c, uint64_t seq)
{
    if (!tlen) { /* the values are the commands */
        for (size_t k = 0; k < c->n; k++)
            if ((k && bput(b, " ", 1)) || bput(b, c->s[k], c->len[k])) return -1;
        return 0;
    }
    bool any = false;
    size_t from = 0;
    for (size_t k = 0; k < tlen; k++) {
        repl r;
        if (t[k] != '{' || !repl_at(t + k, &r)) continue;
        any = true;
        if (bput(b, t + from, k - from)) return -1;
        if (r.kind == R_SEQ) {
            char num[24];
            int n = snprintf(num, sizeof num, "%" PRIu64, seq);
            if (bput(b, num, (size_t)n)) return -1;
        } else if (r.kind == R_SLOT) {
            if (bput(b, SLOT_EXPR, strlen(SLOT_EXPR))) return -1;
        } else if (r.kind == R_ALL) {
            for (size_t j = 0; j < c->n; j++)
                if ((j && bput(b, " ", 1)) || quoted(b, r.tr, c->s[j], c->len[j])) return -1;
        } else {
            /* a column the job does not have is nothing, not '' */
            long ix = r.pos > 0 ? r.pos - 1 : (long)c->n + r.pos;
            if (ix >= 0 && (size_t)ix < c->n && quoted(b, r.tr, c->s[ix], c->len[ix])) return -1;
        }
        k += r.len - 1;
        from = k + 1;
    }
    if (bput(b, t + from, tlen - from)) return -1;
    if (any) return 0;
    for (size_t j = 0; j < c->n; j++)
        if (bput(b, " ", 1) || quoted(b, T_NONE, c->s[j], c->len[j])) return -1;
    return 0;
}

/* ---- the sources' values ------------------------------------------------------ */

typedef struct span {
    size_t off, len;
} span;

/* A source's values, each split into columns. */
typedef struct values {
    bool ltrim, rtrim; /* white space off each column's start, end */
    buf data;          /* the values, each NUL-terminated (regexec wants it) */
    span *col;         /* columns, in data */
    size_t ncol, ccap;
    size_t *first; /* value v's columns: col[first[v] .. first[v + 1]) */
    size_t n, vcap;
} values;

static void values_free(values *v)
{
    free(v->data.p);
    free(v->col);
    free(v->first);
    memset(v, 0, sizeof *v);
}

/* Perl's \s, which --trim takes off */
static bool space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int add_col(values *v, size_t off, size_t len)
{
    const char *s = v->data.p;
    while (v->ltrim && len && space(s[off])) off++, len--;
    while (v->rtrim && len && space(s[off + len - 1])) len--;
    if (v->ncol == v->ccap) {
        size_t c = v->ccap ? 2 * v->ccap : 64;
        span *p = realloc(v->col, c * sizeof *p);
        if (!p) return -1;
        v->col = p;
        v->ccap = c;
    }
    v->col[v->ncol++] = (span){off, len};
    return 0;
}

/* Splits the value at off into columns as Perl's split does: a match of
 * the empty string at a column's start or at the end splits nothing. */
static int split(values *v, size_t off, size_t len, const regex_t *re)
{
    if (!re) return add_col(v, off, len);
    const char *s = v->data.p + off;
    size_t start = 0, pos = 0;
    while (pos <= len) {
        regmatch_t m;
        if (regexec(re, s + pos, 1, &m, pos ? REG_NOTBOL : 0)) break;
        size_t so = pos + (size_t)m.rm_so, eo = pos + (size_t)m.rm_eo;
        if (so == eo && so >= len) break;
        if (so == eo && so == start) {
            pos = so + 1;
            continue;
        }
        if (add_col(v, off + start, so - start)) return -1;
        start = pos = eo;
    }
    return add_col(v, off + start, len - start);
}

static int add_value(values *v, const char *s, size_t len, const regex_t *re)
{
    if (v->n + 1 >= v->vcap) {
        size_t c = v->vcap ? 2 * v->vcap : 64;
        size_t *p = realloc(v->first, c * sizeof *p);
        if (!p) return -1;
        v->first = p;
        v->vcap = c;
    }
    size_t off = v->data.n;
    if (bput(&v->data, s, len) || bput(&v->data, "", 1)) return -1;
    v->data.p[off + len] = 0;
    v->first[v->n++] = v->ncol;
    if (split(v, off, len, re)) return -1;
    v->first[v->n] = v->ncol;
    return 0;
}

/* Every line of len bytes at s a value; a last line without its newline
 * too. `name` for messages. 0, or -1 with a message. */
static int add_lines(values *v, const char *s, size_t len, const char *name, const regex_t *re,
                     char *err, size_t errlen)
{
    uint64_t line = 1;
    for (size_t at = 0; at < len; line++) {
        const char *nl = memchr(s + at, '\n', len - at);
        size_t end = nl ? (size_t)(nl - s) : len;
        if (memchr(s + at, 0, end - at))
            return tfr_errf(err, errlen, "%s:%" PRIu64 ": a NUL byte (a binary file?)", name, line);
        if (add_value(v, s + at, end - at, re)) return tfr_errf(err, errlen, "out of memory");
        at = end + 1;
    }
    return 0;
}

static int load_source(const tfr_source *src, values *v, const regex_t *re, char *err,
                       size_t errlen)
{
    for (int k = 0; k < src->argc; k++) {
        const char *w = src->argv[k];
        if (!src->file) {
            /* a value is a line of the source, as parallel reads it: a
             * newline in it makes two */
            size_t len = strlen(w);
            const char *nl;
            while ((nl = memchr(w, '\n', len))) {
                if (add_value(v, w, (size_t)(nl - w), re))
                    return tfr_errf(err, errlen, "out of memory");
                len -= (size_t)(nl + 1 - w);
                w = nl + 1;
            }
            if (add_value(v, w, len, re)) return tfr_errf(err, errlen, "out of memory");
            continue;
        }
        char *data;
        size_t len;
        if (tfr_read_all(w, &data, &len, err, errlen)) return -1;
        int rc = add_lines(v, data, len, strcmp(w, "-") ? w : "<stdin>", re, err, errlen);
        free(data);
        if (rc) return -1;
    }
    return 0;
}

/* Whether a repetition (* + ? {N}) repeats another, outside brackets:
 * POSIX leaves it undefined, and glibc's regcomp doubles its tree for each
 * one, so that 30 of them in a row take all the memory there is. */
static bool repeats_repetition(const char *s)
{
    bool rep = false;
    for (; *s; s++) {
        if (*s == '\\') {
            rep = false;
            if (!*++s) break;
        } else if (*s == '[') {
            rep = false;
            s += s[1] == '^';
            s += s[1] == ']';
            while (s[1] && s[1] != ']') s++;
            if (s[1]) s++;
        } else if (*s == '*' || *s == '+' || *s == '?' ||
                   (*s == '{' && s[1] >= '0' && s[1] <= '9')) {
            if (rep) return true;
            rep = true;
            if (*s == '{')
                while (s[1] && s[1] != '}') s++;
            if (*s && s[1] == '}') s++;
        } else {
            rep = false;
        }
    }
    return false;
}

/* --colsep's pattern for regcomp: \t, \n and \r as the characters. */
static char *colsep_pattern(const char *s)
{
    char *p = malloc(strlen(s) + 1), *o = p;
    if (!p) return NULL;
    for (; *s; s++) {
        if (s[0] == '\\' && (s[1] == 't' || s[1] == 'n' || s[1] == 'r')) {
            *o++ = s[1] == 't' ? '\t' : s[1] == 'n' ? '\n' : '\r';
            s++;
        } else if (s[0] == '\\' && s[1]) {
            *o++ = *s++;
            *o++ = *s;
        } else {
            *o++ = *s;
        }
    }
    *o = 0;
    return p;
}

/* ---- the jobs ------------------------------------------------------------------ */

typedef struct gen {
    const tfr_args *a;
    values *v;     /* per source */
    size_t *group; /* per source: its group (linked sources share one) */
    size_t *glen;  /* per group: its values */
    size_t *gidx;  /* per group: the value of the job at hand */
    size_t ngroups;
    cols c;
    buf text;
    tfr_task *task;
} gen;

static int job_cols(gen *g)
{
    g->c.n = 0;
    for (size_t s = 0; s < g->a->nsrc; s++) {
        const values *v = &g->v[s];
        size_t ix = g->gidx[g->group[s]];
        for (size_t k = v->first[ix]; k < v->first[ix + 1]; k++) {
            if (g->c.n == g->c.cap) {
                size_t c = g->c.cap ? 2 * g->c.cap : 16;
                const char **ps = realloc(g->c.s, c * sizeof *ps);
                if (!ps) return -1;
                g->c.s = ps;
                size_t *pl = realloc(g->c.len, c * sizeof *pl);
                if (!pl) return -1;
                g->c.len = pl;
                g->c.cap = c;
            }
            g->c.s[g->c.n] = v->data.p + v->col[k].off;
            g->c.len[g->c.n++] = v->col[k].len;
        }
    }
    return 0;
}

static int make_jobs(gen *g, const char *tmpl, size_t tlen, uint64_t njobs, char *err,
                     size_t errlen)
{
    g->task = malloc(njobs * sizeof *g->task);
    if (!g->task) return tfr_errf(err, errlen, "out of memory (%" PRIu64 " jobs)", njobs);
    for (uint64_t j = 0; j < njobs; j++) {
        size_t off = g->text.n;
        if (job_cols(g) || expand(&g->text, tmpl, tlen, &g->c, j + 1))
            return tfr_errf(err, errlen, "out of memory (job %" PRIu64 ")", j + 1);
        size_t len = g->text.n - off;
        if (len > TFR_CMD_MAX)
            return tfr_errf(err, errlen, "job %" PRIu64 ": a command of %zu bytes (at most %d)",
                            j + 1, len, TFR_CMD_MAX);
        if (memchr(g->text.p + off, 0, len))
            return tfr_errf(err, errlen, "job %" PRIu64 ": a NUL byte in the command", j + 1);
        if (bput(&g->text, "", 1)) return tfr_errf(err, errlen, "out of memory");
        g->text.p[g->text.n - 1] = 0;
        g->task[j] = (tfr_task){.id = j + 1, .off = off, .len = len};
        /* the next job: the last group varies fastest */
        for (size_t k = g->ngroups; k-- > 0;) {
            if (++g->gidx[k] < g->glen[k]) break;
            g->gidx[k] = 0;
        }
    }
    return 0;
}

/* The groups of linked sources and how many jobs they make. */
static int count_jobs(gen *g, uint64_t *njobs, char *err, size_t errlen)
{
    const tfr_args *a = g->a;
    *njobs = 1;
    for (size_t s = 0; s < a->nsrc; s++) {
        const tfr_source *src = &a->src[s];
        /* a source with no value makes no job: nothing to do, no error (as
         * for GNU parallel and xargs); err says which, for the note */
        if (!g->v[s].n) {
            if (src->file && src->argc)
                tfr_errf(err, errlen, "the argument file %s is empty", src->argv[0]);
            else
                tfr_errf(err, errlen, "argument source %zu (%s) has no value", s + 1,
                         src->file ? "::::" : ":::");
            *njobs = 0;
            return 0;
        }
        if (s == 0 || !a->src[s].linked) {
            g->glen[g->ngroups++] = g->v[s].n;
        } else if (g->v[s].n < g->glen[g->ngroups - 1]) {
            g->glen[g->ngroups - 1] = g->v[s].n; /* the shorter decides */
        }
        g->group[s] = g->ngroups - 1;
    }
    for (size_t k = 0; k < g->ngroups; k++) {
        if (*njobs > TFR_ARGS_JOBS_MAX / g->glen[k])
            return tfr_errf(err, errlen, "more than %u jobs: the sources' product is too big",
                            TFR_ARGS_JOBS_MAX);
        *njobs *= g->glen[k];
    }
    return 0;
}

int tfr_args_generate(const tfr_args *a, tfr_taskfile *tf, char *err, size_t errlen)
{
    memset(tf, 0, sizeof *tf);
    if (!a->nsrc) return tfr_errf(err, errlen, "no argument source (::: VALUES, :::: FILE, -a)");
    gen g = {.a = a};
    regex_t re;
    bool have_re = false;
    buf tmpl = {0};
    uint64_t njobs = 0;
    int rc = -1;
    g.v = calloc(a->nsrc, sizeof *g.v);
    g.group = calloc(a->nsrc, sizeof *g.group);
    g.glen = calloc(a->nsrc, sizeof *g.glen);
    g.gidx = calloc(a->nsrc, sizeof *g.gidx);
    if (!g.v || !g.group || !g.glen || !g.gidx) {
        tfr_errf(err, errlen, "out of memory");
        goto out;
    }
    if (a->colsep && repeats_repetition(a->colsep)) {
        tfr_errf(err, errlen, "--colsep '%s': a repetition of a repetition (such as ++)",
                 a->colsep);
        goto out;
    }
    if (a->colsep) {
        char *pat = colsep_pattern(a->colsep);
        int e = pat ? regcomp(&re, pat, REG_EXTENDED) : REG_ESPACE;
        bool compiled = pat != NULL;
        free(pat);
        if (e) {
            char why[256];
            regerror(e, compiled ? &re : NULL, why, sizeof why);
            tfr_errf(err, errlen, "--colsep '%s': %s", a->colsep, why);
            goto out;
        }
        have_re = true;
    }
    /* --colsep trims unless --trim says otherwise */
    const char *trim = a->trim ? a->trim : a->colsep ? "lr" : "n";
    for (size_t s = 0; s < a->nsrc; s++) {
        g.v[s].ltrim = strchr(trim, 'l') != NULL;
        g.v[s].rtrim = strchr(trim, 'r') != NULL;
        if (load_source(&a->src[s], &g.v[s], have_re ? &re : NULL, err, errlen)) goto out;
    }
    if (count_jobs(&g, &njobs, err, errlen)) goto out;
    if (njobs == 0) { /* no job; err holds why */
        rc = 0;
        goto out;
    }
    for (int k = 0; k < a->ncmd; k++)
        if ((k && bput(&tmpl, " ", 1)) || bput(&tmpl, a->cmd[k], strlen(a->cmd[k]))) {
            tfr_errf(err, errlen, "out of memory");
            goto out;
        }
    if (bput(&tmpl, "", 1)) { /* repl_at may look one past a '{' */
        tfr_errf(err, errlen, "out of memory");
        goto out;
    }
    tmpl.p[tmpl.n - 1] = 0;
    if (make_jobs(&g, tmpl.p, tmpl.n - 1, njobs, err, errlen)) goto out;
    tf->text = g.text.p;
    tf->v = g.task;
    tf->n = (size_t)njobs;
    tf->lines = njobs;
    g.text.p = NULL;
    g.task = NULL;
    rc = 0;
out:
    if (have_re) regfree(&re);
    for (size_t s = 0; g.v && s < a->nsrc; s++) values_free(&g.v[s]);
    free(g.v);
    free(g.group);
    free(g.glen);
    free(g.gidx);
    free(g.c.s);
    free(g.c.len);
    free(g.text.p);
    free(g.task);
    free(tmpl.p);
    return rc;
}
