/* groups.h - node leaders for jobs: which ranks form a group, which rank
 * leads it, and the tree the leaders form. Pure: no MPI, no threads; the
 * pool computes it once, alike on every rank, from every rank's node.
 *
 * A group is the ranks of one node, in rank order, or runs of at most
 * `split` of them (TF_LEADERS=N). Groups are numbered by their lowest rank,
 * so group 0 holds rank 0; a group's leader is its lowest rank. The
 * leaders form a tree of fan-out `fanout` over the group numbers (group
 * g > 0 hangs under group (g - 1) / fanout), so rank 0 reaches its own
 * group's ranks and at most `fanout` leaders, whatever the rank count.
 *
 * A leader's slots are what it hands job tasks to: its own group's ranks,
 * itself included, then the leaders of its child groups, each standing for
 * the ranks of its whole subtree (its weight). Rank 0's coordinator and
 * every other leader's relay (role/relay.h) work on these slots. */
#ifndef TF_GROUPS_H
#define TF_GROUPS_H

#include <stddef.h>

/* Groups under one leader, at most; 32 keeps rank 0's links to leaders
 * few and the tree shallow (two levels reach 33 x 32 nodes). */
#define TF__LEADER_FANOUT 32

typedef struct tf__groups {
    int size;      /* ranks */
    int ngroups;   /* 1: no leaders but rank 0 */
    int *group_of; /* by rank */
    int *leader;   /* by group: its lowest rank */
    int *first;    /* by group: where its ranks start in members */
    int *members;  /* ranks, group by group, each group in rank order */
    size_t *ranks; /* by group: ranks of its subtree, its own included */
    int fanout;
} tf__groups;

/* Makes the groups of `size` ranks, node_of[r] the node of rank r (any
 * ints; equal means the same node). split > 0 cuts a node's ranks into
 * runs of at most split; 0 keeps a node whole. 0 or TF_ENOMEM (then g
 * holds nothing to free). */
int tf__groups_make(tf__groups *g, int size, const int *node_of, int split, int fanout);
void tf__groups_free(tf__groups *g);

/* The group of group g's parent leader; -1 for group 0. */
static inline int tf__groups_parent(const tf__groups *g, int grp)
{
    return grp == 0 ? -1 : (grp - 1) / g->fanout;
}
/* Ranks in group grp (its own, not its subtree). */
static inline int tf__groups_count(const tf__groups *g, int grp)
{
    return g->first[grp + 1] - g->first[grp];
}
/* The rank whose RESULTS rank r's results go to: its group's leader, or,
 * for a leader, its parent group's; -1 for rank 0. */
int tf__groups_up(const tf__groups *g, int r);

/* The slots of group grp's leader: nslots, and for slot s the rank its
 * link reaches (rank[s]) and the ranks it stands for (weight[s]); and, if
 * slot_of is not NULL, for every rank of the pool the slot whose ranks
 * include it, -1 if none. Arrays of at least tf__groups_count(grp) +
 * fanout entries (slot_of: size). Returns nslots. */
int tf__groups_slots(const tf__groups *g, int grp, int *rank, size_t *weight, int *slot_of);

#endif
