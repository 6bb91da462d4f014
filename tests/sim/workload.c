/* workload.c - the simulator's built-in workloads (sim.h): a uniform map, a
 * skewed map, and trees of spawned tasks. */
#include <math.h>
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

/* ---- counting ------------------------------------------------------------------- */

int sim_workload_count(sim_workload *wl)
{
    size_t cap = 1024, n = 0;
    sim_task *stack = malloc(cap * sizeof *stack);
    if (!stack) return -1;
    wl->total = 0;
    wl->work_ns = 0;
    wl->max_children = 0;
    wl->max_cost_ns = 0;
    for (uint64_t i = 0; i < wl->roots; i++) {
        wl->root(wl, i, &stack[0]);
        n = 1;
        while (n) {
            sim_task t = stack[--n];
            uint64_t c = wl->cost_ns(wl, &t);
            wl->total++;
            wl->work_ns += (double)c;
            if (c > wl->max_cost_ns) wl->max_cost_ns = c;
            if (cap - n < SIM_KIDS_MAX + 1) {
                sim_task *s = realloc(stack, 2 * cap * sizeof *s);
                if (!s) {
                    free(stack);
                    return -1;
                }
                stack = s;
                cap *= 2;
            }
            uint32_t k = wl->children(wl, &t, stack + n, SIM_KIDS_MAX + 1);
            if (k > SIM_KIDS_MAX) {
                free(stack);
                return -1;
            }
            if (k > wl->max_children) wl->max_children = k;
            n += k;
        }
    }
    free(stack);
    return 0;
}
