/* timeline.c - a rank's timeline in memory (see timeline.h for which thread
 * does what): per thread, a list of chunks of events, appended to without a
 * lock by the one thread that owns the buffer. */
#define _GNU_SOURCE
#include "core/timeline.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

enum { EV_T0_TSC = 1u << 16, EV_T1_TSC = 1u << 17, EV_KIND = 0xffffu };

#define CHUNK_EV 32768u /* 1 MiB a chunk */
#define MERGE_NS 50000u /* waits this close are one wait */

typedef struct tr_chunk {
    struct tr_chunk *next;
    size_t n;
    tf__trace_ev e[CHUNK_EV];
} tr_chunk;

typedef struct tr_buf {
    tr_chunk *head, *tail;
    size_t n;         /* events kept */
    uint64_t dropped; /* events lost to the cap or to out-of-memory */
} tr_buf;

struct tf__trace {
    tr_buf th[2]; /* TF__TR_MAIN, TF__TR_SVC */
    char **names; /* main thread: task-function names, by index */
    size_t nnames, capnames, last;
    uint64_t last_t1; /* main thread: the end of its last task */
    bool last_tsc;    /* last_t1 is a TSC value */
    uint64_t svc_now; /* service thread: the clock at its loop turn's start */
    uint64_t origin;
    bool tsc;      /* task ends are read from the TSC */
    uint64_t tsc0; /* the TSC at the origin */
};

/* An invariant TSC, the same rate on every core and in every power state
 * (Linux's cpuinfo flags): the task clock. */
static bool tsc_usable(void)
{
#if defined(__x86_64__)
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f) return false;
    char line[4096];
    bool c = false, n = false;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "flags", 5) != 0) continue;
        c = strstr(line, " constant_tsc") != NULL;
        n = strstr(line, " nonstop_tsc") != NULL;
        break;
    }
    fclose(f);
    /* and the kernel trusts it: in many VMs it has switched to another
     * clock source, a sign the TSC is not steady there */
    char cs[32] = "";
    FILE *g = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");
    if (g) {
        if (!fgets(cs, sizeof cs, g)) cs[0] = '\0';
        fclose(g);
    }
    return c && n && strncmp(cs, "tsc", 3) == 0 && (cs[3] == '\n' || cs[3] == '\0');
#else
    return false;
#endif
}

static inline uint64_t task_clock(const struct tf__trace *tr)
{
#if defined(__x86_64__)
    if (tr->tsc) return __rdtsc();
#endif
    (void)tr;
    return tf__now_ns();
}

struct tf__trace *tf__timeline_create(void)
{
    struct tf__trace *tr = tf__calloc(1, sizeof *tr);
    if (tr) tr->tsc = tsc_usable();
    return tr;
}

void tf__timeline_start(struct tf__trace *tr)
{
    tr->origin = tf__now_ns();
    tr->tsc0 = task_clock(tr);
}

static void buf_free(tr_buf *b)
{
    for (tr_chunk *c = b->head, *n; c; c = n) {
        n = c->next;
        tf__free(c);
    }
    memset(b, 0, sizeof *b);
}

void tf__timeline_free(struct tf__trace *tr)
{
    if (!tr) return;
    buf_free(&tr->th[0]);
    buf_free(&tr->th[1]);
    for (size_t i = 0; i < tr->nnames; i++) tf__free(tr->names[i]);
    tf__free(tr->names);
    tf__free(tr);
}

/* ---- recording ------------------------------------------------------------------ */

static tf__trace_ev *ev_new(tr_buf *b)
{
    tr_chunk *c = b->tail;
    if (c && c->n < CHUNK_EV) {
        b->n++;
        return &c->e[c->n++];
    }
    if (b->n >= TF__TR_MAX_EV || !(c = tf__malloc(sizeof *c))) {
        b->dropped++;
        return NULL;
    }
    c->next = NULL;
    c->n = 1;
    if (b->tail)
        b->tail->next = c;
    else
        b->head = c;
    b->tail = c;
    b->n++;
    return &c->e[0];
}

void tf__trace_span(struct tf__trace *tr, int thread, int kind, uint64_t t0, uint64_t t1,
                    uint64_t arg)
{
    tr_buf *b = &tr->th[thread];
    if (kind == TF__TR_WAIT_WORK && b->tail) {
        tf__trace_ev *last = &b->tail->e[b->tail->n - 1];
        if (last->kind == TF__TR_WAIT_WORK && t0 >= last->t1 && t0 - last->t1 < MERGE_NS) {
            last->t1 = t1;
            return;
        }
    }
    tf__trace_ev *e = ev_new(b);
    if (!e) return;
    *e = (tf__trace_ev){t0, t1, arg, -1, (uint32_t)kind};
}

/* The index of a function name, interned on first sight; -1 without memory.
 * Names are compared, not their pointers: a spawned task's name lives in a
 * buffer that is freed and reused for other names. */
static int32_t name_index(struct tf__trace *tr, const char *s)
{
    if (tr->nnames && strcmp(tr->names[tr->last], s) == 0) return (int32_t)tr->last;
    for (size_t i = 0; i < tr->nnames; i++) {
        if (strcmp(tr->names[i], s) == 0) {
            tr->last = i;
            return (int32_t)i;
        }
    }
    if (tr->nnames == tr->capnames) {
        size_t cap = tr->capnames ? 2 * tr->capnames : 16;
        char **v = tf__realloc(tr->names, cap * sizeof *v);
        if (!v) return -1;
        tr->names = v;
        tr->capnames = cap;
    }
    char *c = tf__strdup(s);
    if (!c) return -1;
    tr->names[tr->nnames] = c;
    tr->last = tr->nnames;
    return (int32_t)tr->nnames++;
}

void tf__trace_task(struct tf__trace *tr, uint64_t t0, uint64_t id, const char *fname)
{
    uint64_t t1 = task_clock(tr);
    uint32_t kind = TF__TR_TASK | (tr->tsc ? EV_T1_TSC : 0);
    if (t0 == 0) {
        t0 = tr->last_t1;
        if (tr->last_tsc) kind |= EV_T0_TSC;
    }
    tr->last_t1 = t1;
    tr->last_tsc = tr->tsc;
    tf__trace_ev *e = ev_new(&tr->th[TF__TR_MAIN]);
    if (!e) return;
    *e = (tf__trace_ev){t0, t1, id, fname ? name_index(tr, fname) : -1, kind};
}

void tf__trace_tick(struct tf__trace *tr) { tr->svc_now = tf__now_ns(); }

void tf__trace_msg(struct tf__trace *tr, int kind, int peer, uint64_t bytes)
{
    uint64_t t = tr->svc_now;
    if (!t) t = tf__now_ns();
    tf__trace_ev *e = ev_new(&tr->th[TF__TR_SVC]);
    if (!e) return;
    *e = (tf__trace_ev){t, t, bytes, peer, (uint32_t)kind};
}

/* ---- reading ---------------------------------------------------------------------- */

/* TSC values to tf__now_ns time; only the main thread's task events carry
 * them, and every buffer's flags are cleared. */
void tf__timeline_settle(struct tf__trace *tr)
{
    double rate = 0;
    if (tr->tsc) {
        uint64_t n1 = tf__now_ns(), c1 = task_clock(tr);
        rate = c1 > tr->tsc0 ? (double)(n1 - tr->origin) / (double)(c1 - tr->tsc0) : 0;
    }
    for (int t = 0; t < 2; t++)
        for (tr_chunk *c = tr->th[t].head; c; c = c->next)
            for (size_t i = 0; i < c->n; i++) {
                tf__trace_ev *e = &c->e[i];
                if (e->kind & EV_T0_TSC)
                    e->t0 = tr->origin + (uint64_t)((double)(int64_t)(e->t0 - tr->tsc0) * rate);
                if (e->kind & EV_T1_TSC)
                    e->t1 = tr->origin + (uint64_t)((double)(int64_t)(e->t1 - tr->tsc0) * rate);
                e->kind &= EV_KIND;
            }
}

void tf__timeline_each(const struct tf__trace *tr, int thread,
                       void (*fn)(const tf__trace_ev *e, void *arg), void *arg)
{
    for (const tr_chunk *c = tr->th[thread].head; c; c = c->next)
        for (size_t k = 0; k < c->n; k++) fn(&c->e[k], arg);
}

uint64_t tf__timeline_origin(const struct tf__trace *tr) { return tr->origin; }

const char *tf__timeline_name(const struct tf__trace *tr, int32_t index)
{
    return index >= 0 && (size_t)index < tr->nnames ? tr->names[index] : "?";
}

void tf__timeline_counts(const struct tf__trace *tr, uint64_t *kept, uint64_t *dropped)
{
    *kept = tr->th[0].n + tr->th[1].n;
    *dropped = tr->th[0].dropped + tr->th[1].dropped;
}
