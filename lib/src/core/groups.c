/* groups.c - node groups, their leaders and the leaders' tree (groups.h). */
#include "core/groups.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "taskfarm.h"

void tf__groups_free(tf__groups *g)
{
    tf__free(g->group_of);
    tf__free(g->leader);
    tf__free(g->first);
    tf__free(g->members);
    tf__free(g->ranks);
    memset(g, 0, sizeof *g);
}

int tf__groups_make(tf__groups *g, int size, const int *node_of, int split, int fanout)
{
    memset(g, 0, sizeof *g);
    g->size = size;
    g->fanout = fanout > 0 ? fanout : TF__LEADER_FANOUT;
    size_t n = size > 0 ? (size_t)size : 1;
    g->group_of = tf__malloc(n * sizeof *g->group_of);
    g->leader = tf__malloc(n * sizeof *g->leader);
    g->first = tf__malloc((n + 1) * sizeof *g->first);
    g->members = tf__malloc(n * sizeof *g->members);
    g->ranks = tf__calloc(n, sizeof *g->ranks);
    int *fill = tf__calloc(n, sizeof *fill); /* per group: ranks placed so far */
    if (!g->group_of || !g->leader || !g->first || !g->members || !g->ranks || !fill) {
        tf__free(fill);
        tf__groups_free(g);
        return TF_ENOMEM;
    }
    /* Ranks in order: a rank opens a new group unless an earlier rank of
     * its node has a group with room. The open group of each node is the
     * last one made for it; groups are numbered as they open, so by their
     * lowest rank. O(size * nodes) at worst, once per pool. */
    int ng = 0;
    for (int r = 0; r < size; r++) {
        int grp = -1;
        for (int h = ng - 1; h >= 0; h--) {
            if (node_of[g->leader[h]] != node_of[r]) continue;
            if (split <= 0 || fill[h] < split) grp = h;
            break; /* the node's last group: full or not, no earlier one has room */
        }
        if (grp < 0) {
            grp = ng++;
            g->leader[grp] = r;
        }
        g->group_of[r] = grp;
        fill[grp]++;
    }
    g->ngroups = ng;
    g->first[0] = 0;
    for (int h = 0; h < ng; h++) g->first[h + 1] = g->first[h] + fill[h];
    memset(fill, 0, n * sizeof *fill);
    for (int r = 0; r < size; r++) {
        int h = g->group_of[r];
        g->members[g->first[h] + fill[h]++] = r;
    }
    tf__free(fill);
    /* subtree sizes: a child's number is above its parent's */
    for (int h = ng - 1; h >= 0; h--) {
        g->ranks[h] += (size_t)tf__groups_count(g, h);
        if (h > 0) g->ranks[tf__groups_parent(g, h)] += g->ranks[h];
    }
    return 0;
}

int tf__groups_up(const tf__groups *g, int r)
{
    if (r == 0) return -1;
    int h = g->group_of[r];
    if (g->leader[h] != r) return g->leader[h];
    return g->leader[tf__groups_parent(g, h)];
}

/* Marks every rank of group h's subtree as standing behind slot s. */
static void mark_subtree(const tf__groups *g, int h, int s, int *slot_of)
{
    for (int k = g->first[h]; k < g->first[h + 1]; k++) slot_of[g->members[k]] = s;
    for (int c = h * g->fanout + 1; c <= h * g->fanout + g->fanout && c < g->ngroups; c++)
        mark_subtree(g, c, s, slot_of);
}

int tf__groups_slots(const tf__groups *g, int grp, int *rank, size_t *weight, int *slot_of)
{
    if (slot_of)
        for (int r = 0; r < g->size; r++) slot_of[r] = -1;
    int ns = 0;
    for (int k = g->first[grp]; k < g->first[grp + 1]; k++, ns++) {
        rank[ns] = g->members[k];
        weight[ns] = 1;
        if (slot_of) slot_of[rank[ns]] = ns;
    }
    for (int c = grp * g->fanout + 1; c <= grp * g->fanout + g->fanout && c < g->ngroups;
         c++, ns++) {
        rank[ns] = g->leader[c];
        weight[ns] = g->ranks[c];
        if (slot_of) mark_subtree(g, c, ns, slot_of);
    }
    return ns;
}
