/* test_groups.c - node groups, their leaders, the leaders' tree and each
 * leader's slots (core/groups.h). */
#include <stdlib.h>
#include <string.h>

#include "core/groups.h"
#include "taskfarm.h"
#include "unit.h"

/* Every rank is in exactly one group; a group's ranks share a node, are in
 * rank order and at most split of them; the leader is the lowest; groups
 * are numbered by their leaders; and following the results up from any
 * rank reaches rank 0 without a cycle. */
static void check_invariants(const tf__groups *g, const int *node_of, int split)
{
    int size = g->size;
    char *seen = calloc((size_t)size, 1);
    for (int h = 0; h < g->ngroups; h++) {
        CU_ASSERT(tf__groups_count(g, h) >= 1);
        if (split > 0) CU_ASSERT(tf__groups_count(g, h) <= split);
        CU_ASSERT_EQUAL(g->members[g->first[h]], g->leader[h]);
        if (h > 0) CU_ASSERT(g->leader[h] > g->leader[h - 1]);
        for (int k = g->first[h]; k < g->first[h + 1]; k++) {
            int r = g->members[k];
            CU_ASSERT_FALSE(seen[r]);
            seen[r] = 1;
            CU_ASSERT_EQUAL(g->group_of[r], h);
            CU_ASSERT_EQUAL(node_of[r], node_of[g->leader[h]]);
            if (k > g->first[h]) CU_ASSERT(r > g->members[k - 1]);
        }
    }
    for (int r = 0; r < size; r++) CU_ASSERT_TRUE(seen[r]);
    CU_ASSERT_EQUAL(g->group_of[0], 0);
    CU_ASSERT_EQUAL(tf__groups_up(g, 0), -1);
    for (int r = 1; r < size; r++) {
        int at = r, hops = 0;
        while (at != 0 && hops <= size) at = tf__groups_up(g, at), hops++;
        CU_ASSERT_EQUAL(at, 0);
    }
    /* subtree sizes add up to the whole pool at the top */
    CU_ASSERT_EQUAL(g->ranks[0], (size_t)size);
    free(seen);
}

/* Each leader's slots: its own ranks with weight 1, then its child
 * leaders with their subtrees' sizes; together they stand for exactly
 * the ranks of its subtree, each once, and each slot's rank sends its
 * results to this leader. */
static void check_slots(const tf__groups *g)
{
    int cap = g->size + g->fanout;
    int *rank = malloc((size_t)cap * sizeof *rank);
    size_t *weight = malloc((size_t)cap * sizeof *weight);
    int *slot_of = malloc((size_t)g->size * sizeof *slot_of);
    for (int h = 0; h < g->ngroups; h++) {
        int ns = tf__groups_slots(g, h, rank, weight, slot_of);
        CU_ASSERT(ns <= tf__groups_count(g, h) + g->fanout);
        size_t total = 0;
        for (int s = 0; s < ns; s++) {
            total += weight[s];
            CU_ASSERT_EQUAL(slot_of[rank[s]], s);
            if (rank[s] != g->leader[h]) CU_ASSERT_EQUAL(tf__groups_up(g, rank[s]), g->leader[h]);
        }
        CU_ASSERT_EQUAL(total, g->ranks[h]);
        size_t covered = 0;
        for (int r = 0; r < g->size; r++) {
            if (slot_of[r] < 0) continue;
            covered++;
            CU_ASSERT(slot_of[r] < ns);
        }
        CU_ASSERT_EQUAL(covered, g->ranks[h]);
    }
    free(rank);
    free(weight);
    free(slot_of);
}

static void test_one_node_one_group(void)
{
    int node_of[8] = {0};
    tf__groups g;
    CU_ASSERT_EQUAL(tf__groups_make(&g, 8, node_of, 0, 32), 0);
    CU_ASSERT_EQUAL(g.ngroups, 1);
    check_invariants(&g, node_of, 0);
    check_slots(&g);
    for (int r = 1; r < 8; r++) CU_ASSERT_EQUAL(tf__groups_up(&g, r), 0);
    tf__groups_free(&g);
}

static void test_nodes_in_blocks(void)
{
    int node_of[12];
    for (int r = 0; r < 12; r++) node_of[r] = r / 4;
    tf__groups g;
    CU_ASSERT_EQUAL(tf__groups_make(&g, 12, node_of, 0, 32), 0);
    CU_ASSERT_EQUAL(g.ngroups, 3);
    CU_ASSERT_EQUAL(g.leader[1], 4);
    CU_ASSERT_EQUAL(g.leader[2], 8);
    CU_ASSERT_EQUAL(tf__groups_up(&g, 5), 4);
    CU_ASSERT_EQUAL(tf__groups_up(&g, 4), 0);
    CU_ASSERT_EQUAL(tf__groups_up(&g, 3), 0);
    check_invariants(&g, node_of, 0);
    check_slots(&g);
    /* rank 0: ranks 0-3, then leaders 4 and 8 for 4 ranks each */
    int rank[40];
    size_t weight[40];
    int slot_of[12];
    CU_ASSERT_EQUAL(tf__groups_slots(&g, 0, rank, weight, slot_of), 6);
    CU_ASSERT_EQUAL(rank[4], 4);
    CU_ASSERT_EQUAL(weight[4], 4);
    CU_ASSERT_EQUAL(slot_of[11], 5);
    tf__groups_free(&g);
}

/* Round-robin placement (rank r on node r % 3) and a split of 2. */
static void test_nodes_interleaved_and_split(void)
{
    int node_of[11];
    for (int r = 0; r < 11; r++) node_of[r] = r % 3;
    tf__groups g;
    CU_ASSERT_EQUAL(tf__groups_make(&g, 11, node_of, 2, 32), 0);
    check_invariants(&g, node_of, 2);
    check_slots(&g);
    /* node 0 holds ranks 0 3 6 9: groups {0,3} and {6,9} */
    CU_ASSERT_EQUAL(g.group_of[3], 0);
    CU_ASSERT_NOT_EQUAL(g.group_of[6], 0);
    CU_ASSERT_EQUAL(g.group_of[6], g.group_of[9]);
    CU_ASSERT_EQUAL(g.ngroups, 6); /* 2 + 2 + 2 */
    tf__groups_free(&g);
}

/* More groups than the fan-out: leaders of leaders. */
static void test_tree_of_leaders(void)
{
    int size = 200, node_of[200];
    for (int r = 0; r < size; r++) node_of[r] = r;
    tf__groups g;
    CU_ASSERT_EQUAL(tf__groups_make(&g, size, node_of, 0, 4), 0);
    CU_ASSERT_EQUAL(g.ngroups, 200);
    check_invariants(&g, node_of, 0);
    check_slots(&g);
    /* rank 0 reaches itself and 4 leaders, whatever the size */
    int rank[8];
    size_t weight[8];
    CU_ASSERT_EQUAL(tf__groups_slots(&g, 0, rank, weight, NULL), 5);
    CU_ASSERT_EQUAL(tf__groups_up(&g, 5), 1); /* group 5's parent is group 1 */
    CU_ASSERT_EQUAL(tf__groups_up(&g, 21), 5);
    tf__groups_free(&g);
}

/* Random placements, splits and fan-outs. */
static void test_random(void)
{
    srand(7);
    for (int trial = 0; trial < 300; trial++) {
        int size = 1 + rand() % 300, nodes = 1 + rand() % 40;
        int split = rand() % 4 == 0 ? 0 : 1 + rand() % 9, fanout = 1 + rand() % 6;
        int *node_of = malloc((size_t)size * sizeof *node_of);
        for (int r = 0; r < size; r++) node_of[r] = rand() % nodes;
        tf__groups g;
        CU_ASSERT_EQUAL_FATAL(tf__groups_make(&g, size, node_of, split, fanout), 0);
        check_invariants(&g, node_of, split);
        check_slots(&g);
        tf__groups_free(&g);
        free(node_of);
    }
}

static const unit_test tests[] = {
    UNIT_TEST(test_one_node_one_group),
    UNIT_TEST(test_nodes_in_blocks),
    UNIT_TEST(test_nodes_interleaved_and_split),
    UNIT_TEST(test_tree_of_leaders),
    UNIT_TEST(test_random),
};
UNIT_MAIN("groups", tests)
