/* opts.c - the TF_* table and its parser, and the defaults of tf_pool_opts. */
#include "core/opts.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How a variable's value is read. */
enum opt_kind {
    OPT_CHUNK,    /* "auto", "guided" or a task count >= 1 (FIXED): chunk and chunk_size */
    OPT_WORD,     /* one of words[]: the field gets the word's value */
    OPT_UINT,     /* a decimal integer in [lo, hi] */
    OPT_POS,      /* a decimal number > lo and <= hi: the field gets it times scale, which
                     must not round to 0 */
    OPT_WORD_UINT /* one of words[], or a decimal integer in [lo, hi] */
};

/* The C type of the field a row sets; the enum fields are int-sized. */
enum opt_field { F_INT, F_UNSIGNED, F_DOUBLE, F_SIZE };

_Static_assert(sizeof(tf_chunk_policy) == sizeof(int) && sizeof(tf_wait_policy) == sizeof(int) &&
                   sizeof(tf_bind) == sizeof(int) && sizeof(tf_sched) == sizeof(int),
               "the enum fields of tf_pool_opts are set as int");

typedef struct opt_word {
    const char *word; /* NULL ends a list */
    int value;
} opt_word;

typedef struct opt_row {
    const char *var;
    enum opt_kind kind;
    enum opt_field type;
    size_t off;            /* of the field in tf_pool_opts */
    const opt_word *words; /* OPT_WORD */
    double lo, hi;         /* OPT_UINT, OPT_POS; hi finite for an F_SIZE field */
    double scale;          /* OPT_POS */
    const char *help;
} opt_row;

static const opt_word wait_words[] = {{"auto", TF_WAIT_AUTO},
                                      {"spin", TF_WAIT_SPIN},
                                      {"yield", TF_WAIT_YIELD},
                                      {"block", TF_WAIT_BLOCK},
                                      {NULL, 0}};
static const opt_word bind_words[] = {{"auto", TF_BIND_AUTO},
                                      {"core", TF_BIND_CORE},
                                      {"socket", TF_BIND_SOCKET},
                                      {"none", TF_BIND_NONE},
                                      {NULL, 0}};
static const opt_word sched_words[] = {
    {"peers", TF_SCHED_PEERS}, {"central", TF_SCHED_CENTRAL}, {"auto", TF_SCHED_PEERS}, {NULL, 0}};
static const opt_word leader_words[] = {{"node", 0}, {"off", -1}, {NULL, 0}};
/* the variable says "read ahead", the field "do not" */
static const opt_word prefetch_words[] = {{"0", 1}, {"1", 0}, {NULL, 0}};

#define FIELD(f, t) .off = offsetof(tf_pool_opts, f), .type = t

/* In the order they are checked: a bad value stops the walk there. */
static const opt_row rows[] = {
    {.var = "TF_CHUNK",
     .kind = OPT_CHUNK,
     FIELD(chunk, F_INT),
     .help = "auto | guided | K: chunk policy; K >= 1 is fixed chunks of K tasks"},
    {.var = "TF_CHUNK_TARGET_US",
     .kind = OPT_POS,
     FIELD(chunk_target_s, F_DOUBLE),
     .lo = 0,
     .hi = HUGE_VAL,
     .scale = 1e-6,
     .help = "microseconds > 0: auto's target chunk duration (default 1000)"},
    {.var = "TF_PREFETCH_US",
     .kind = OPT_POS,
     FIELD(prefetch_s, F_DOUBLE),
     .lo = 0,
     .hi = HUGE_VAL,
     .scale = 1e-6,
     .help = "microseconds > 0: work kept queued at each rank (default 2000)"},
    {.var = "TF_WAIT",
     .kind = OPT_WORD,
     FIELD(wait, F_INT),
     .words = wait_words,
     .help = "auto | spin | yield | block: how a thread waits"},
    {.var = "TF_SPIN_US",
     .kind = OPT_UINT,
     FIELD(spin_us, F_UNSIGNED),
     .lo = 0,
     .hi = 10000000,
     .help = "0..10000000 microseconds: auto's spin before blocking (default 50)"},
    {.var = "TF_VERBOSE",
     .kind = OPT_UINT,
     FIELD(verbose, F_INT),
     .lo = 0,
     .hi = 3,
     .help = "0..3: errors, warnings, info, debug"},
    {.var = "TF_BIND",
     .kind = OPT_WORD,
     FIELD(bind, F_INT),
     .words = bind_words,
     .help = "auto | core | socket | none: where a rank's threads run"},
    {.var = "TF_FILE_PREFETCH",
     .kind = OPT_WORD,
     FIELD(no_file_prefetch, F_INT),
     .words = prefetch_words,
     .help = "0 | 1: the service thread reads queued tasks' input files ahead (default 1)"},
    {.var = "TF_FILE_PREFETCH_MB",
     .kind = OPT_POS,
     FIELD(file_prefetch_bytes, F_SIZE),
     .lo = 0,
     .hi = 1e6,
     .scale = 1048576.0,
     .help = "MiB, a byte (1e-6) to 1000000: file contents read ahead per rank (default 64)"},
    {.var = "TF_SCHED",
     .kind = OPT_WORD,
     FIELD(sched, F_INT),
     .words = sched_words,
     .help = "peers | central: who balances spawned tasks (default peers)"},
    {.var = "TF_IDLE_MAX_US",
     .kind = OPT_UINT,
     FIELD(idle_max_us, F_UNSIGNED),
     .lo = 1,
     .hi = 1000000,
     .help = "1..1000000 microseconds: an idle service thread's longest sleep (default 200)"},
    {.var = "TF_LEADERS",
     .kind = OPT_WORD_UINT,
     FIELD(leader_ranks, F_INT),
     .words = leader_words,
     .lo = 1,
     .hi = 1000000,
     .help = "node | off | N: a leader rank per node (default), per N ranks of a node, or none"},
};
#define NROWS (sizeof rows / sizeof rows[0])

static void set_int(tf_pool_opts *o, const opt_row *r, int x)
{
    memcpy((char *)o + r->off, &x, sizeof x);
}

/* Parses v into r's field; 0, or -1 for a bad value (o untouched then). */
static int parse(const opt_row *r, const char *v, tf_pool_opts *o)
{
    char *end;
    switch (r->kind) {
    case OPT_CHUNK: {
        if (strcmp(v, "auto") == 0) {
            o->chunk = TF_CHUNK_AUTO;
            return 0;
        }
        if (strcmp(v, "guided") == 0) {
            o->chunk = TF_CHUNK_GUIDED;
            return 0;
        }
        /* digits only: strtoull alone would take " 5", "+5" and wrap "-5" */
        if (!isdigit((unsigned char)*v)) return -1;
        errno = 0;
        unsigned long long k = strtoull(v, &end, 10);
        if (errno || *end || k == 0) return -1;
        o->chunk = TF_CHUNK_FIXED;
        o->chunk_size = (size_t)k;
        return 0;
    }
    case OPT_WORD:
    case OPT_WORD_UINT:
        for (const opt_word *w = r->words; w->word; w++) {
            if (strcmp(v, w->word) == 0) {
                set_int(o, r, w->value);
                return 0;
            }
        }
        if (r->kind == OPT_WORD) return -1;
        __attribute__((fallthrough)); /* not a word: a number */
    case OPT_UINT: {
        /* an overflow saturates, which the bounds then reject */
        long long k = strtoll(v, &end, 10);
        if (end == v || *end || k < r->lo || k > r->hi) return -1;
        if (r->type == F_UNSIGNED) {
            unsigned u = (unsigned)k;
            memcpy((char *)o + r->off, &u, sizeof u);
        } else {
            set_int(o, r, (int)k);
        }
        return 0;
    }
    case OPT_POS: {
        /* strtod also reads hexadecimal ("0x10", "0x1p4"), which no option means */
        if (strpbrk(v, "xX")) return -1;
        double d = strtod(v, &end);
        /* written so that NaN fails */
        if (end == v || *end || !(d > r->lo) || d > r->hi) return -1;
        /* a value so small that the field would get 0 is refused, not turned
         * into 0: the field's 0 means "the default" or "nothing" */
        if (r->type == F_SIZE) {
            size_t n = (size_t)(d * r->scale);
            if (n == 0) return -1;
            memcpy((char *)o + r->off, &n, sizeof n);
        } else {
            double x = d * r->scale;
            if (!(x > 0)) return -1;
            memcpy((char *)o + r->off, &x, sizeof x);
        }
        return 0;
    }
    }
    return -1;
}

int tf__opts_env(tf_pool_opts *o, tf__getenv_fn get, int rank, const char **bad)
{
    if (!get) get = getenv;
    if (bad) *bad = NULL;
    for (size_t i = 0; i < NROWS; i++) {
        const char *v = get(rows[i].var);
        if (!v || !*v) continue; /* empty is unset: VAR= in a job script clears it */
        if (parse(&rows[i], v, o) < 0) {
            if (rank == 0) tf__opts_say_bad(rows[i].var, v, rank);
            if (bad) *bad = rows[i].var;
            return TF_EINVAL;
        }
    }
    return 0;
}

void tf__opts_say_bad(const char *name, const char *value, int rank)
{
    if (rank == 0)
        fprintf(stderr, "taskfarm: %s: invalid value '%s'\n", name, value ? value : "");
    else
        fprintf(stderr, "taskfarm: %s: invalid value '%s' on rank %d\n", name, value ? value : "",
                rank);
}

const char *tf__opts_var(size_t i, const char **help)
{
    if (i >= NROWS) return NULL;
    if (help) *help = rows[i].help;
    return rows[i].var;
}

int tf__opts_flag(const char *v)
{
    if (!v || !*v || strcmp(v, "0") == 0) return 0;
    if (strcmp(v, "1") == 0) return 1;
    return TF_EINVAL;
}

int tf__opts_defaults(tf_pool_opts *o, const tf_pool_opts *in)
{
    *o = in ? *in : (tf_pool_opts){0};
    if (o->chunk != TF_CHUNK_AUTO && o->chunk != TF_CHUNK_FIXED && o->chunk != TF_CHUNK_GUIDED)
        return TF_EINVAL;
    if (o->wait < TF_WAIT_AUTO || o->wait > TF_WAIT_BLOCK) return TF_EINVAL;
    if (o->bind < TF_BIND_AUTO || o->bind > TF_BIND_NONE) return TF_EINVAL;
    if (o->no_file_prefetch != 0 && o->no_file_prefetch != 1) return TF_EINVAL;
    if (o->file_prefetch_bytes == 0) o->file_prefetch_bytes = (size_t)64 << 20;
    if (o->chunk_target_s < 0 || o->prefetch_s < 0) return TF_EINVAL;
    if (o->chunk == TF_CHUNK_FIXED && o->chunk_size == 0) o->chunk_size = 1;
    if (o->chunk_target_s == 0) o->chunk_target_s = 1e-3;
    if (o->prefetch_s == 0) o->prefetch_s = 2e-3;
    if (o->spin_us == 0) o->spin_us = 50;
    if (o->sched < TF_SCHED_AUTO || o->sched > TF_SCHED_CENTRAL) return TF_EINVAL;
    if (o->sched == TF_SCHED_AUTO) o->sched = TF_SCHED_PEERS;
    if (o->idle_max_us == 0) o->idle_max_us = 200;
    if (o->idle_max_us > 1000000) return TF_EINVAL;
    if (o->leader_ranks < -1) return TF_EINVAL;
    return 0;
}
