/* workload.c - the simulator's built-in workloads (sim.h): a uniform map, a
 * skewed map, and trees of spawned tasks. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim.h"

static uint64_t mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* A uniform number in [0, 1) from a hash. */
static double unit(uint64_t h) { return (double)(h >> 11) * 0x1.0p-53; }

static void plain_root(const sim_workload *wl, uint64_t i, sim_task *out)
{
    (void)wl;
    memset(out, 0, sizeof *out);
    out->id = i;
}

static uint32_t no_children(const sim_workload *wl, const sim_task *t, sim_task *kids, uint32_t max)
{
    (void)wl, (void)t, (void)kids, (void)max;
    return 0;
}

/* ---- maps ---------------------------------------------------------------------- */

static uint64_t map_cost(const sim_workload *wl, const sim_task *t)
{
    (void)t;
    const sim_map_params *p = wl->arg;
    return (uint64_t)llround(p->t_us * 1e3);
}

void sim_workload_map(sim_workload *wl, const sim_map_params *p)
{
    memset(wl, 0, sizeof *wl);
    snprintf(wl->desc, sizeof wl->desc, "map n=%llu t=%gus", (unsigned long long)p->n, p->t_us);
    wl->roots = p->n;
    wl->driver_waits = true;
    wl->out_bytes = 8;
    wl->arg = p;
    wl->root = plain_root;
    wl->cost_ns = map_cost;
    wl->children = no_children;
}

/* Row i of n costs t * 100^bump(i/n): a Gaussian bump centred on the
 * middle, so the dearest rows are 100 times the cheapest and they come
 * together, as the rows through a Mandelbrot set do. */
static uint64_t skew_cost(const sim_workload *wl, const sim_task *t)
{
    const sim_map_params *p = wl->arg;
    double x = p->n > 1 ? (double)t->id / (double)(p->n - 1) : 0.5;
    double bump = exp(-((x - 0.5) / 0.15) * ((x - 0.5) / 0.15));
    return (uint64_t)llround(p->t_us * 1e3 * pow(100.0, bump));
}

void sim_workload_skew(sim_workload *wl, const sim_map_params *p)
{
    sim_workload_map(wl, p);
    snprintf(wl->desc, sizeof wl->desc, "skew n=%llu t=%g..%gus", (unsigned long long)p->n, p->t_us,
             100 * p->t_us);
    wl->cost_ns = skew_cost;
}

/* ---- trees ---------------------------------------------------------------------- */

static void tree_root(const sim_workload *wl, uint64_t i, sim_task *out)
{
    const sim_tree_params *p = wl->arg;
    memset(out, 0, sizeof *out);
    out->id = i;
    out->aux = mix(p->seed ^ mix(i));
}

static uint64_t tree_cost(const sim_workload *wl, const sim_task *t)
{
    const sim_tree_params *p = wl->arg;
    double f = 1.0 + p->var * (2.0 * unit(mix(t->aux ^ 0x5a5a)) - 1.0);
    return (uint64_t)llround(p->t_us * 1e3 * f);
}

static uint32_t tree_children(const sim_workload *wl, const sim_task *t, sim_task *kids,
                              uint32_t max)
{
    const sim_tree_params *p = wl->arg;
    uint32_t n;
    if (t->depth >= p->max_depth)
        n = 0;
    else if (p->q <= 0)
        n = t->depth < p->depth ? p->k : 0;
    else if (t->depth == 0)
        n = p->b0;
    else
        n = unit(t->aux) < p->q ? p->m : 0;
    if (n > max) n = max;
    for (uint32_t c = 0; c < n; c++) {
        uint64_t h = mix(t->aux + c + 1);
        kids[c] = (sim_task){.id = (1ull << 63) | (h >> 1), .depth = t->depth + 1, .aux = h};
    }
    return n;
}

void sim_workload_tree(sim_workload *wl, const sim_tree_params *p)
{
    memset(wl, 0, sizeof *wl);
    if (p->q > 0)
        snprintf(wl->desc, sizeof wl->desc, "tree roots=%llu b0=%u q=%g m=%u t=%gus",
                 (unsigned long long)p->roots, p->b0, p->q, p->m, p->t_us);
    else
        snprintf(wl->desc, sizeof wl->desc, "tree roots=%llu k=%u depth=%u t=%gus",
                 (unsigned long long)p->roots, p->k, p->depth, p->t_us);
    wl->roots = p->roots;
    wl->driver_waits = false;
    wl->out_bytes = 8;
    wl->arg = p;
    wl->root = tree_root;
    wl->cost_ns = tree_cost;
    wl->children = tree_children;
}

/* ---- UTS-like trees ------------------------------------------------------------- */

/* A frame: a node's state and height, and its children [next, end) still
 * to visit (tf-uts's 32-byte frame, with a 64-bit state). */
typedef struct uframe {
    uint64_t state;
    int32_t height, next, end, pad;
} uframe;

/* A task: its frames until it is walked, then what the walk found. */
typedef struct utask {
    uframe *f;
    uint32_t nf;
    bool walked;
    uint32_t nkids;
    uint64_t nodes, kid0;
} utask;

#define UTS_MAX_CHILDREN 100

struct sim_uts_state {
    utask *t;
    size_t n, cap;
    uframe *stk;
    size_t stkcap;
    /* geometric: (b0 / (1 + b0))^k, k = 0..UTS_MAX_CHILDREN + 1 */
    double pw[UTS_MAX_CHILDREN + 2];
};

static uint64_t uts_child_state(uint64_t parent, int32_t i)
{
    return mix(parent ^ (0x9e3779b97f4a7c15ull * (uint64_t)(i + 1)));
}

static int32_t uts_children(const sim_uts_params *p, const struct sim_uts_state *st, uint64_t s,
                            int32_t h)
{
    if (p->max_depth && (uint32_t)h >= p->max_depth) return 0;
    double u = unit(s);
    if (p->type == SIM_UTS_BIN) {
        if (h == 0) return (int32_t)floor(p->b0);
        return u < p->q ? (int32_t)p->m : 0;
    }
    /* geometric, fixed shape: floor(ln(1 - u) / ln(1 - 1/(1 + b0))) children
     * below gen_mx (the root always), counted without a logarithm: the
     * largest k with 1 - u <= (1 - p)^k */
    if (h > 0 && (uint32_t)h >= p->gen_mx) return 0;
    double v = 1.0 - u;
    int32_t k = 0;
    while (k <= UTS_MAX_CHILDREN && v <= st->pw[k + 1]) k++;
    return k > UTS_MAX_CHILDREN ? UTS_MAX_CHILDREN : k;
}

static void uts_task(uint64_t idx, sim_task *out)
{
    memset(out, 0, sizeof *out);
    out->id = idx ? 1ull << 63 | idx : 0;
    out->depth = idx ? 1 : 0;
    out->aux = idx;
}

static uint64_t uts_add(struct sim_uts_state *st, const uframe *f, uint32_t nf)
{
    if (st->n == st->cap) {
        size_t cap = st->cap ? 2 * st->cap : 1024;
        utask *v = realloc(st->t, cap * sizeof *v);
        if (!v) abort();
        st->t = v;
        st->cap = cap;
    }
    utask *t = &st->t[st->n];
    memset(t, 0, sizeof *t);
    t->f = malloc(nf * sizeof *f);
    if (!t->f) abort();
    memcpy(t->f, f, nf * sizeof *f);
    t->nf = nf;
    return st->n++;
}

static void uts_stack(struct sim_uts_state *st, size_t n)
{
    if (n <= st->stkcap) return;
    size_t cap = st->stkcap ? st->stkcap : 1024;
    while (cap < n) cap *= 2;
    uframe *v = realloc(st->stk, cap * sizeof *v);
    if (!v) abort();
    st->stk = v;
    st->stkcap = cap;
}

/* fn_uts and spawn_rest of apps/tf-uts, on task idx. */
static void uts_walk(const sim_uts_params *p, uint64_t idx)
{
    struct sim_uts_state *st = p->st;
    if (st->t[idx].walked) return;
    size_t sp = st->t[idx].nf;
    uts_stack(st, sp + 1);
    memcpy(st->stk, st->t[idx].f, sp * sizeof *st->stk);
    free(st->t[idx].f);
    st->t[idx].f = NULL;
    uint64_t budget = p->budget, nodes = 0;
    while (sp) {
        uframe *f = &st->stk[sp - 1];
        if (f->next >= f->end) {
            sp--;
            continue;
        }
        if (budget == 0) break;
        budget--;
        int32_t h = f->height + 1;
        uint64_t cs = uts_child_state(f->state, f->next++);
        nodes++;
        int32_t n = uts_children(p, st, cs, h);
        if (n == 0) continue;
        uts_stack(st, sp + 1);
        st->stk[sp++] = (uframe){.state = cs, .height = h, .next = 0, .end = n};
    }
    size_t k = 0;
    for (size_t i = 0; i < sp; i++)
        if (st->stk[i].next < st->stk[i].end) st->stk[k++] = st->stk[i];
    uint64_t kid0 = st->n;
    uint32_t nk = 0;
    if (k == 1) {
        int32_t left = st->stk[0].end - st->stk[0].next;
        int32_t parts = (int32_t)p->split < left ? (int32_t)p->split : left;
        int32_t from = st->stk[0].next;
        for (int32_t j = 0; j < parts; j++, nk++) {
            uframe f = st->stk[0];
            f.next = from + (int32_t)((int64_t)left * j / parts);
            f.end = from + (int32_t)((int64_t)left * (j + 1) / parts);
            uts_add(st, &f, 1);
        }
    } else if (k > 1) {
        size_t single = p->split - 1 < k - 1 ? p->split - 1 : k - 1;
        for (size_t i = 0; i < single; i++, nk++) uts_add(st, &st->stk[i], 1);
        uts_add(st, &st->stk[single], (uint32_t)(k - single));
        nk++;
    }
    utask *t = &st->t[idx];
    t->walked = true;
    t->nodes = nodes;
    t->kid0 = kid0;
    t->nkids = nk;
}

static void uts_root(const sim_workload *wl, uint64_t i, sim_task *out)
{
    (void)wl, (void)i;
    uts_task(0, out);
}

static uint64_t uts_cost(const sim_workload *wl, const sim_task *t)
{
    const sim_uts_params *p = wl->arg;
    uts_walk(p, t->aux);
    return (uint64_t)llround((double)p->st->t[t->aux].nodes * p->node_ns);
}

static uint32_t uts_kids(const sim_workload *wl, const sim_task *t, sim_task *kids, uint32_t max)
{
    const sim_uts_params *p = wl->arg;
    uts_walk(p, t->aux);
    const utask *u = &p->st->t[t->aux];
    uint32_t n = u->nkids < max ? u->nkids : max;
    for (uint32_t c = 0; c < n; c++) uts_task(u->kid0 + c, &kids[c]);
    return n;
}

static uint64_t uts_root_state(const sim_uts_params *p) { return mix(p->seed ^ 0x5bd1e995u); }

static void uts_powers(const sim_uts_params *p, double *pw)
{
    double r = p->b0 / (1.0 + p->b0);
    pw[0] = 1.0;
    for (int k = 1; k < UTS_MAX_CHILDREN + 2; k++) pw[k] = pw[k - 1] * r;
}

int sim_workload_uts(sim_workload *wl, sim_uts_params *p)
{
    memset(wl, 0, sizeof *wl);
    p->st = calloc(1, sizeof *p->st);
    if (!p->st) return -1;
    uts_powers(p, p->st->pw);
    if (p->budget == 0) p->budget = 4096;
    if (p->split == 0) p->split = 4;
    uframe root = {.state = uts_root_state(p), .height = 0, .next = 0};
    root.end = uts_children(p, p->st, root.state, 0);
    uts_add(p->st, &root, 1);
    if (p->type == SIM_UTS_BIN)
        snprintf(wl->desc, sizeof wl->desc, "uts bin b0=%g q=%g m=%u seed=%llu node=%gns", p->b0,
                 p->q, p->m, (unsigned long long)p->seed, p->node_ns);
    else
        snprintf(wl->desc, sizeof wl->desc, "uts geo b0=%g d=%u seed=%llu node=%gns", p->b0,
                 p->gen_mx, (unsigned long long)p->seed, p->node_ns);
    wl->roots = 1;
    wl->driver_waits = true; /* tf-uts's driver waits for its root task */
    wl->out_bytes = 8;
    wl->arg = p;
    wl->root = uts_root;
    wl->cost_ns = uts_cost;
    wl->children = uts_kids;
    return 0;
}

void sim_uts_free(sim_uts_params *p)
{
    if (!p->st) return;
    for (size_t i = 0; i < p->st->n; i++) free(p->st->t[i].f);
    free(p->st->t);
    free(p->st->stk);
    free(p->st);
    p->st = NULL;
}

uint64_t sim_uts_nodes(const sim_uts_params *p, uint64_t cap, uint32_t *depth)
{
    struct sim_uts_state st = {0};
    uts_powers(p, st.pw);
    uframe root = {.state = uts_root_state(p), .height = 0, .next = 0};
    root.end = uts_children(p, &st, root.state, 0);
    uts_stack(&st, 1);
    st.stk[0] = root;
    size_t sp = 1;
    uint64_t nodes = 1;
    int32_t dmax = 0;
    while (sp && nodes <= cap) {
        uframe *f = &st.stk[sp - 1];
        if (f->next >= f->end) {
            sp--;
            continue;
        }
        int32_t h = f->height + 1;
        uint64_t cs = uts_child_state(f->state, f->next++);
        nodes++;
        if (h > dmax) dmax = h;
        int32_t n = uts_children(p, &st, cs, h);
        if (n == 0) continue;
        uts_stack(&st, sp + 1);
        st.stk[sp++] = (uframe){.state = cs, .height = h, .next = 0, .end = n};
    }
    free(st.stk);
    if (depth) *depth = (uint32_t)dmax;
    return nodes;
}

/* ---- counting ------------------------------------------------------------------- */

int sim_workload_count(sim_workload *wl)
{
    size_t cap = 1024, n = 0;
    sim_task *stack = malloc(cap * sizeof *stack);
    /* path[i]: the time of the chain of tasks from the root to stack[i]'s
     * parent */
    double *path = malloc(cap * sizeof *path);
    if (!stack || !path) {
        free(stack);
        free(path);
        return -1;
    }
    wl->total = 0;
    wl->crit_ns = 0;
    wl->work_ns = 0;
    wl->max_children = 0;
    wl->max_cost_ns = 0;
    for (uint64_t i = 0; i < wl->roots; i++) {
        wl->root(wl, i, &stack[0]);
        path[0] = 0;
        n = 1;
        while (n) {
            sim_task t = stack[--n];
            uint64_t c = wl->cost_ns(wl, &t);
            double upto = path[n] + (double)c;
            if (upto > wl->crit_ns) wl->crit_ns = upto;
            wl->total++;
            wl->work_ns += (double)c;
            if (c > wl->max_cost_ns) wl->max_cost_ns = c;
            if (cap - n < SIM_KIDS_MAX + 1) {
                sim_task *s = realloc(stack, 2 * cap * sizeof *s);
                if (s) stack = s;
                double *q = s ? realloc(path, 2 * cap * sizeof *q) : NULL;
                if (q) path = q;
                if (!s || !q) {
                    free(stack);
                    free(path);
                    return -1;
                }
                cap *= 2;
            }
            uint32_t k = wl->children(wl, &t, stack + n, SIM_KIDS_MAX + 1);
            if (k > SIM_KIDS_MAX) {
                free(stack);
                free(path);
                return -1;
            }
            if (k > wl->max_children) wl->max_children = k;
            for (uint32_t j = 0; j < k; j++) path[n + j] = upto;
            n += k;
        }
    }
    free(stack);
    free(path);
    return 0;
}
