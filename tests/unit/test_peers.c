/* test_peers.c - peer scheduling (rank/peers.c) for a few virtual ranks in
 * one process: real workers and real tf__peers, joined by a fake network
 * whose messages wait in one queue that the test delivers from, in any
 * order it likes, or holds back. No MPI, no thread: the test plays every
 * rank's main thread (runs its tasks, goes idle) and its service thread
 * (delivers a message, takes a step), one call at a time.
 *
 * Tasks are spawned by real tf_spawn calls: a job chunk whose function
 * spawns children is delivered to a worker and run through
 * tf__worker_exec, as the main thread would run it. */
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/wave.h"
#include "rank/peers.h"
#include "rank/worker.h"
#include "taskfarm.h"
#include "unit.h"

#define MAXR 10
#define QMAX 4096

typedef struct qmsg {
    int src, dest, tag;
    bool held; /* the test keeps it in flight */
    char *data;
    size_t len;
} qmsg;

static struct {
    int size;
    int node_of[MAXR];
    tf__ctx ctx[MAXR];
    tf__reg reg;
    tf__waiter mw[MAXR], sw[MAXR];
    tf__worker w[MAXR];
    tf__peers p[MAXR];
    qmsg q[QMAX];
    size_t qn;
    uint64_t sent[MAXR], recv[MAXR]; /* TF__TAG_MSG messages */
    /* rank 0's root hooks */
    int want, rv;
    uint64_t epoch;
    int quiet_calls;
    /* the end, as the network saw it */
    int ends, dones;
    bool done_sent[MAXR];
    uint64_t child_runs;
    int hold_type, hold_dest; /* messages the network keeps in flight */
} g;

/* ---- task functions ------------------------------------------------------------ */

/* A spawner's input: how many children, and the letter their inputs start
 * with (a child's input is "<letter><k>"). */
typedef struct spawn_in {
    uint32_t n;
    char tag;
} spawn_in;

static int fn_child(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)t, (void)in, (void)len, (void)out;
    g.child_runs++;
    return 0;
}

static int fn_spawn(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    (void)out;
    spawn_in s;
    CU_ASSERT_EQUAL_FATAL(len, sizeof s);
    memcpy(&s, in, sizeof s);
    for (uint32_t k = 0; k < s.n; k++) {
        char kid[16];
        int n = snprintf(kid, sizeof kid, "%c%u", s.tag, k);
        CU_ASSERT_EQUAL(tf_spawn(t, "child", kid, (size_t)n), 0);
    }
    return 0;
}

/* ---- the fake network ------------------------------------------------------------ */

static uint8_t type_of(const qmsg *m) { return m->len ? (uint8_t)m->data[0] : 0; }

static bool msg_in_flight(void)
{
    for (size_t i = 0; i < g.qn; i++)
        if (g.q[i].tag == TF__TAG_MSG) return true;
    return false;
}

static void net_send(void *arg, int dest, int tag, tf__buf *b)
{
    int src = (int)(intptr_t)arg;
    CU_ASSERT_FATAL(g.qn < QMAX);
    CU_ASSERT_FATAL(dest >= 0 && dest < g.size && dest != src);
    CU_ASSERT_FATAL(b->len >= 1);
    qmsg *m = &g.q[g.qn++];
    *m = (qmsg){src, dest, tag, false, b->p, b->len};
    uint8_t type = type_of(m);
    m->held = type == g.hold_type && dest == g.hold_dest;
    /* the waves' messages travel apart from the counted ones */
    CU_ASSERT_EQUAL(tag, type >= TF__MSG_WAVE ? TF__TAG_CTL : TF__TAG_MSG);
    if (tag == TF__TAG_MSG) g.sent[src]++;
    if (type == TF__MSG_END) {
        /* the end comes only once nothing is left anywhere: no counted
         * message in flight (the one just queued is a control one), no
         * task queued, no output unsent, every main thread idle */
        if (src == 0 && g.ends == 0) {
            CU_ASSERT_FALSE(msg_in_flight());
            for (int r = 0; r < g.size; r++) {
                uint64_t acts;
                CU_ASSERT_TRUE(tf__worker_passive(&g.w[r], &acts));
                CU_ASSERT_FALSE(tf__peers_over(&g.p[r]));
            }
        }
        g.ends++;
    }
    if (type == TF__MSG_DONE) {
        /* a subtree leaves after its children's subtrees */
        int first, n = tf__wave_children(src, g.size, TF__WAVE_FANOUT, &first);
        for (int c = first; c < first + n; c++) CU_ASSERT_TRUE(g.done_sent[c]);
        CU_ASSERT_FALSE(g.done_sent[src]);
        g.done_sent[src] = true;
        g.dones++;
    }
}

static void net_counts(void *arg, uint64_t *sent, uint64_t *recv)
{
    int r = (int)(intptr_t)arg;
    *sent = g.sent[r];
    *recv = g.recv[r];
}

/* Takes message i out of the queue and hands it to its destination. */
static void deliver(size_t i)
{
    CU_ASSERT_FATAL(i < g.qn);
    qmsg m = g.q[i];
    memmove(&g.q[i], &g.q[i + 1], (g.qn - i - 1) * sizeof m);
    g.qn--;
    if (m.tag == TF__TAG_MSG) g.recv[m.dest]++;
    tf__rbuf *rb = tf__rbuf_wrap(m.data, m.len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
    tf__peers_on_message(&g.p[m.dest], m.src, rb);
    tf__rbuf_unref(rb);
}

/* Drops message i unseen. */
static void drop(size_t i)
{
    CU_ASSERT_FATAL(i < g.qn);
    free(g.q[i].data);
    memmove(&g.q[i], &g.q[i + 1], (g.qn - i - 1) * sizeof g.q[0]);
    g.qn--;
}

static void drop_all(void)
{
    while (g.qn) drop(0);
}

/* The first queued message from src to dest of this type (-1: any); -1 if
 * none. */
static long find(int src, int dest, int type)
{
    for (size_t i = 0; i < g.qn; i++)
        if ((src < 0 || g.q[i].src == src) && (dest < 0 || g.q[i].dest == dest) &&
            (type < 0 || type_of(&g.q[i]) == type))
            return (long)i;
    return -1;
}

static size_t count_msgs(int src, int dest, int type)
{
    size_t n = 0;
    for (size_t i = 0; i < g.qn; i++)
        if ((src < 0 || g.q[i].src == src) && (dest < 0 || g.q[i].dest == dest) &&
            (type < 0 || type_of(&g.q[i]) == type))
            n++;
    return n;
}

/* Delivers the first message from src to dest of this type, which must be
 * there. */
static void deliver_one_at(int line, int src, int dest, int type)
{
    long i = find(src, dest, type);
    if (i < 0) fprintf(stderr, "line %d: no message %d -> %d of type %d\n", line, src, dest, type);
    CU_ASSERT_FATAL(i >= 0);
    deliver((size_t)i);
}

#define deliver_one(s, d, t) deliver_one_at(__LINE__, s, d, t)

/* ---- root hooks ------------------------------------------------------------------ */

static int root_want(void *arg, int *rv, uint64_t *epoch)
{
    (void)arg;
    *rv = g.rv;
    *epoch = g.epoch;
    return g.want;
}

static bool root_passive(void *arg, uint64_t *acts)
{
    (void)arg;
    *acts = 0;
    return true;
}

static void root_quiet(void *arg)
{
    (void)arg;
    g.quiet_calls++;
}

/* ---- ranks ----------------------------------------------------------------------- */

/* `size` ranks, nodes of `per_node` ranks each, at the start of a run. */
static void rig_up(int size, int per_node)
{
    memset(&g, 0, sizeof g);
    g.size = size;
    CU_ASSERT_EQUAL_FATAL(tf__reg_add(&g.reg, "child", (void *)fn_child), 0);
    CU_ASSERT_EQUAL_FATAL(tf__reg_add(&g.reg, "spawner", (void *)fn_spawn), 0);
    for (int r = 0; r < size; r++) g.node_of[r] = r / per_node;
    for (int r = 0; r < size; r++) {
        g.ctx[r].rank = r;
        CU_ASSERT_EQUAL_FATAL(tf__waiter_init(&g.mw[r]), 0);
        CU_ASSERT_EQUAL_FATAL(tf__waiter_init(&g.sw[r]), 0);
        CU_ASSERT_EQUAL_FATAL(
            tf__worker_init(&g.w[r], &g.ctx[r], NULL, &g.reg, NULL, &g.mw[r], &g.sw[r]), 0);
        tf__worker_reset(&g.w[r], NULL, false);
        tf__peers_net net = {(void *)(intptr_t)r, net_send, net_counts, false};
        CU_ASSERT_EQUAL_FATAL(tf__peers_init(&g.p[r], &g.ctx[r], &g.w[r], &net, r, size, g.node_of),
                              0);
        tf__peers_reset(&g.p[r], NULL);
    }
}

static void set_root(int want, int rv)
{
    g.want = want;
    g.rv = rv;
    tf__peers_root root = {NULL, root_want, root_passive, root_quiet};
    tf__peers_set_root(&g.p[0], &root);
}

static void rig_down(void)
{
    drop_all();
    for (int r = 0; r < g.size; r++) {
        tf__peers_free(&g.p[r]);
        tf__worker_free(&g.w[r]);
        tf__waiter_destroy(&g.mw[r]);
        tf__waiter_destroy(&g.sw[r]);
    }
    tf__reg_free(&g.reg);
}

static int step(int r) { return tf__peers_step(&g.p[r]); }

/* Job chunk inputs live here (the driver's memory: borrowed, no owner). */
static spawn_in job_in[64];
static size_t njob_in;

/* Delivers a chunk of job 1 to rank r, as a TASKS message would: `count`
 * tasks of fn (fn_spawn: each spawns n children "<tag><k>"). */
static void give_job(int r, tf_fn fn, uint32_t count, uint32_t n, char tag)
{
    CU_ASSERT_FATAL(njob_in + count <= 64);
    spawn_in *in = &job_in[njob_in];
    for (uint32_t k = 0; k < count; k++) in[k] = (spawn_in){n, tag};
    njob_in += count;
    tf__item it;
    memset(&it, 0, sizeof it);
    it.job = 1;
    it.first_id = 1000 + njob_in;
    it.count = count;
    it.layout = TF__FIXED;
    it.elem = sizeof(spawn_in);
    it.data = (const char *)in;
    it.fn = (void *)fn;
    it.fname = fn == fn_spawn ? "spawner" : "child";
    tf__queue got = {0};
    CU_ASSERT_EQUAL_FATAL(tf__queue_push_back(&got, &it), 0);
    tf__worker_deliver(&g.w[r], &got, count);
    tf__queue_free(&got);
}

static void up_emit(void *arg, tf__buf *msg)
{
    (void)arg;
    free(msg->p);
    *msg = (tf__buf){0};
}

/* Rank r's main thread until it runs dry, then idle; and the service
 * thread's collect path, which sends what it handed over. */
static void main_run(int r)
{
    while (tf__worker_exec(&g.w[r])) {
    }
    tf__worker_idle(&g.w[r]);
    tf__uplink up = {up_emit, NULL};
    tf__worker_collect(&g.w[r], &up);
}

/* The rank's main thread has not yet seen a queued task: it takes it
 * (and drops it), as if it ran elsewhere. */
static void take_all(int r)
{
    tf__item it;
    size_t left;
    while (tf__worker_take(&g.w[r], &it, &left)) tf__rbuf_unref(it.owner);
}

/* Every rank whose bit is in `auto_main` runs its main thread when the
 * service thread has stepped; messages not held are delivered in order.
 * Until nothing happens in a round, or every rank's run is over, or
 * `rounds` rounds. Checks that a rank's run is over only after its
 * subtree's. Returns the rounds it took. */
static int pump(int rounds, unsigned auto_main)
{
    for (int k = 0; k < rounds; k++) {
        int did = 0;
        for (;;) {
            size_t i = 0;
            while (i < g.qn && g.q[i].held) i++;
            if (i == g.qn) break;
            deliver(i);
            did = 1;
        }
        bool all_over = true;
        for (int r = 0; r < g.size; r++) {
            if (auto_main >> r & 1) main_run(r);
            bool was = tf__peers_over(&g.p[r]);
            did |= step(r);
            if (tf__peers_over(&g.p[r]) && !was) {
                int first, n = tf__wave_children(r, g.size, TF__WAVE_FANOUT, &first);
                for (int c = first; c < first + n; c++) CU_ASSERT_TRUE(tf__peers_over(&g.p[c]));
                CU_ASSERT_TRUE(r == 0 || g.done_sent[r]);
            }
            all_over &= tf__peers_over(&g.p[r]);
        }
        if (all_over || !did) return k + 1;
    }
    return rounds;
}

#define ALL 0xffffffffu

/* The CHUNK records of a LOOT message: ids and inputs, in order. */
static size_t loot_tasks(const qmsg *m, uint8_t *flags, uint64_t *ids, char (*inputs)[16],
                         size_t max)
{
    tf__rd r;
    tf__rd_init(&r, m->data, m->len);
    CU_ASSERT_EQUAL(tf__rd_u8(&r), TF__MSG_LOOT);
    *flags = tf__rd_u8(&r);
    size_t n = 0;
    while (tf__rd_left(&r) && !r.err) {
        CU_ASSERT_EQUAL_FATAL(tf__rd_u8(&r), TF__R_CHUNK);
        tf__item it;
        size_t bulk;
        CU_ASSERT_EQUAL_FATAL(tf__msg_get_chunk(&r, &it, &bulk), 0);
        CU_ASSERT_EQUAL(it.job, 0);
        CU_ASSERT_EQUAL(it.count, 1);
        CU_ASSERT_STRING_EQUAL(it.fname, "child");
        CU_ASSERT_FATAL(n < max && it.elem < 16);
        ids[n] = it.first_id;
        memcpy(inputs[n], it.data, it.elem);
        inputs[n][it.elem] = 0;
        n++;
    }
    CU_ASSERT_FALSE(r.err);
    return n;
}

static bool in(const int *v, int n, int x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x) return true;
    return false;
}

/* ---- the thief ------------------------------------------------------------------ */

/* A starved rank waits for BEGIN, steals from its own node first, then from
 * another, then sends LIFELINE to its hypercube buddies and parks. The
 * victims are random: many runs. */
static void test_thief_order(void)
{
    for (int run = 0; run < 50; run++) {
        rig_up(8, 4); /* nodes {0..3} and {4..7} */
        const int thief = 5, local[] = {4, 6, 7}, remote[] = {0, 1, 2, 3}, buddies[] = {4, 7, 1};
        for (int r = 0; r < g.size; r++) tf__worker_idle(&g.w[r]);
        /* starved, but no BEGIN yet: not a word */
        for (int k = 0; k < 3; k++) CU_ASSERT_EQUAL(step(thief), 0);
        CU_ASSERT_EQUAL(g.qn, 0);
        /* rank 0's first step sends BEGIN to its children (1..7 here) */
        CU_ASSERT_EQUAL(step(0), 1);
        CU_ASSERT_EQUAL(count_msgs(0, -1, TF__MSG_BEGIN), 7);
        deliver_one(0, thief, TF__MSG_BEGIN);
        /* the others do not take part: their BEGIN and rank 0's own STEAL
         * are dropped */
        drop_all();
        uint64_t hungry[MAXR] = {0};
        for (unsigned k = 0; k < 3; k++) {
            CU_ASSERT_EQUAL(step(thief), 1);
            CU_ASSERT_EQUAL_FATAL(g.qn, 1);
            qmsg m = g.q[0];
            CU_ASSERT_EQUAL(m.src, thief);
            CU_ASSERT_EQUAL(type_of(&m), TF__MSG_STEAL);
            CU_ASSERT_EQUAL(m.len, 1);
            CU_ASSERT_EQUAL(m.tag, TF__TAG_MSG);
            CU_ASSERT_TRUE(k < 2 ? in(local, 3, m.dest) : in(remote, 4, m.dest));
            /* one STEAL at a time */
            CU_ASSERT_EQUAL(step(thief), 0);
            CU_ASSERT_EQUAL(g.qn, 1);
            deliver(0); /* the victim has nothing: an empty LOOT */
            CU_ASSERT_EQUAL_FATAL(g.qn, 1);
            CU_ASSERT_EQUAL(g.q[0].src, m.dest);
            CU_ASSERT_EQUAL(g.q[0].dest, thief);
            CU_ASSERT_EQUAL(type_of(&g.q[0]), TF__MSG_LOOT);
            CU_ASSERT_EQUAL(g.q[0].len, 2);
            CU_ASSERT_EQUAL((uint8_t)g.q[0].data[1], TF__LOOT_REPLY);
            hungry[m.dest]++;
            CU_ASSERT_EQUAL(atomic_load(&g.w[m.dest].hungry), hungry[m.dest]);
            CU_ASSERT_EQUAL(atomic_load(&g.p[m.dest].st.refused), hungry[m.dest]);
            deliver(0);
            CU_ASSERT_FALSE(g.p[thief].steal_out);
        }
        /* out of tries: a LIFELINE to each buddy, and parked */
        CU_ASSERT_EQUAL(step(thief), 1);
        CU_ASSERT_EQUAL(g.qn, 3);
        for (size_t i = 0; i < g.qn; i++) {
            CU_ASSERT_EQUAL(g.q[i].src, thief);
            CU_ASSERT_EQUAL(type_of(&g.q[i]), TF__MSG_LIFELINE);
            CU_ASSERT_EQUAL(g.q[i].tag, TF__TAG_MSG);
        }
        for (int b = 0; b < 3; b++) CU_ASSERT_EQUAL(count_msgs(thief, buddies[b], -1), 1);
        CU_ASSERT_TRUE(g.p[thief].parked);
        drop_all();
        for (int k = 0; k < 5; k++) CU_ASSERT_EQUAL(step(thief), 0);
        CU_ASSERT_EQUAL(g.qn, 0);
        CU_ASSERT_EQUAL(atomic_load(&g.p[thief].st.attempts), 3);
        CU_ASSERT_EQUAL(atomic_load(&g.p[thief].st.steals), 0);
        rig_down();
    }
}

/* A rank alone on its node steals from other nodes only, never from rank 0
 * (among three ranks or more): two tries among ranks 1 and 3. */
static void test_thief_no_local(void)
{
    rig_up(4, 1);
    tf__worker_idle(&g.w[2]);
    CU_ASSERT_EQUAL(step(0), 1);
    deliver_one(0, 2, TF__MSG_BEGIN);
    drop_all();
    int steals = 0;
    for (int k = 0; k < 10 && !g.p[2].parked; k++) {
        step(2);
        long i = find(2, -1, TF__MSG_STEAL);
        if (i < 0) break;
        steals++;
        deliver((size_t)i);
        deliver_one(-1, 2, TF__MSG_LOOT);
    }
    CU_ASSERT_EQUAL(steals, 2);
    step(2);
    CU_ASSERT_TRUE(g.p[2].parked);
    /* buddies of 2 among 4: 3 and 0 */
    CU_ASSERT_EQUAL(count_msgs(2, 3, TF__MSG_LIFELINE), 1);
    CU_ASSERT_EQUAL(count_msgs(2, 0, TF__MSG_LIFELINE), 1);
    CU_ASSERT_EQUAL(g.qn, 2);
    rig_down();
}

/* Among three ranks or more, rank 0 (the coordinator's, the waves' root)
 * is no thief's random victim, and parks on its lifelines at once; between
 * two ranks it is an ordinary peer. */
static void test_rank0_apart(void)
{
    rig_up(8, 4);
    CU_ASSERT_EQUAL(g.p[0].nlocal, 0);
    CU_ASSERT_EQUAL(g.p[0].nremote, 0);
    for (int r = 1; r < g.size; r++) {
        CU_ASSERT_EQUAL(g.p[r].nlocal + g.p[r].nremote, g.size - 2);
        for (int i = 0; i < g.p[r].nlocal; i++) CU_ASSERT_NOT_EQUAL(g.p[r].local[i], 0);
        for (int i = 0; i < g.p[r].nremote; i++) CU_ASSERT_NOT_EQUAL(g.p[r].remote[i], 0);
    }
    for (int r = 0; r < g.size; r++) tf__worker_idle(&g.w[r]);
    /* its first step: BEGIN to its children (1..7), and a LIFELINE to
     * each of its buddies 1, 2 and 4; no STEAL */
    CU_ASSERT_EQUAL(step(0), 1);
    CU_ASSERT_EQUAL(count_msgs(0, -1, TF__MSG_BEGIN), 7);
    CU_ASSERT_EQUAL(count_msgs(0, -1, TF__MSG_LIFELINE), 3);
    for (int b = 1; b <= 4; b *= 2) CU_ASSERT_EQUAL(count_msgs(0, b, TF__MSG_LIFELINE), 1);
    CU_ASSERT_EQUAL(count_msgs(0, -1, TF__MSG_STEAL), 0);
    CU_ASSERT_EQUAL(g.qn, 10);
    CU_ASSERT_TRUE(g.p[0].parked);
    CU_ASSERT_EQUAL(atomic_load(&g.p[0].st.attempts), 0);
    rig_down();
    rig_up(2, 2);
    CU_ASSERT_EQUAL(g.p[0].nlocal, 1);
    CU_ASSERT_EQUAL(g.p[1].nlocal, 1);
    CU_ASSERT_EQUAL(g.p[1].local[0], 0);
    rig_down();
}

/* The lifeline graph, for every size up to 300 and some larger ones: at
 * most 4 buddies a rank, distinct, existing, not itself; the binary
 * hypercube up to 16 ranks; strongly connected (every rank reaches every
 * other along lifelines, and work comes back along them). */
static void test_lifeline_graph(void)
{
    enum { DIM = 4, BIG = 10240 };
    static int out[BIG][DIM], nout[BIG], seen[BIG], todo[BIG];
    static int first[BIG + 1], fill[BIG], in[BIG * DIM];
    static int node_of[BIG];
    static const int sizes[] = {1000, 1024, 1025, 4095, 4096, 4097, 6561, 6562, 10000, BIG};
    tf__ctx ctx = {0};
    tf__worker w;
    tf__peers_net net = {NULL, net_send, net_counts, false};
    memset(node_of, 0, sizeof node_of);
    for (int si = 0; si < 300 + (int)(sizeof sizes / sizeof *sizes); si++) {
        int size = si < 300 ? si + 1 : sizes[si - 300];
        for (int r = 0; r < size; r++) node_of[r] = r / 16;
        for (int r = 0; r < size; r++) {
            tf__peers p;
            CU_ASSERT_EQUAL_FATAL(tf__peers_init(&p, &ctx, &w, &net, r, size, node_of), 0);
            CU_ASSERT_FATAL(p.nbuddy <= DIM);
            nout[r] = p.nbuddy;
            for (int i = 0; i < p.nbuddy; i++) {
                int b = p.buddy[i];
                CU_ASSERT_FATAL(b >= 0 && b < size && b != r);
                for (int j = 0; j < i; j++) CU_ASSERT_NOT_EQUAL(p.buddy[j], b);
                if (size <= 16) /* the binary hypercube */
                    CU_ASSERT_EQUAL(__builtin_popcount((unsigned)(b ^ r)), 1);
                out[r][i] = b;
            }
            tf__peers_free(&p);
        }
        /* from rank 0 along lifelines, then against them (in-edges as
         * lists: first[q] .. first[q + 1] in in) */
        memset(first, 0, (size_t)(size + 1) * sizeof *first);
        for (int r = 0; r < size; r++)
            for (int i = 0; i < nout[r]; i++) first[out[r][i] + 1]++;
        for (int q = 0; q < size; q++) first[q + 1] += first[q];
        memcpy(fill, first, (size_t)size * sizeof *fill);
        for (int r = 0; r < size; r++)
            for (int i = 0; i < nout[r]; i++) in[fill[out[r][i]]++] = r;
        for (int dir = 0; dir < 2; dir++) {
            memset(seen, 0, (size_t)size * sizeof *seen);
            int n = 0, head = 0;
            todo[n++] = 0;
            seen[0] = 1;
            while (head < n) {
                int r = todo[head++];
                int k0 = dir ? first[r] : 0, k1 = dir ? first[r + 1] : nout[r];
                for (int k = k0; k < k1; k++) {
                    int q = dir ? in[k] : out[r][k];
                    if (seen[q]) continue;
                    seen[q] = 1;
                    todo[n++] = q;
                }
            }
            CU_ASSERT_EQUAL(n, size);
        }
    }
}

/* ---- the victim ----------------------------------------------------------------- */

static const int two_ranks = 2;

/* Rank 1 holds five spawned tasks: a STEAL gets the oldest two. */
static void test_victim_half_oldest(void)
{
    rig_up(two_ranks, 2);
    tf__worker_idle(&g.w[0]);
    atomic_store(&g.w[1].hungry, 3);
    uint64_t seq0 = g.w[1].spawn_seq;
    give_job(1, fn_spawn, 1, 5, 'a');
    CU_ASSERT_EQUAL(tf__worker_exec(&g.w[1]), 1); /* the spawner: 5 children */
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[1]), 5);
    CU_ASSERT_EQUAL(atomic_load(&g.w[1].hungry), 0); /* a spawn: nobody waits now */
    CU_ASSERT_EQUAL(step(0), 1);                     /* BEGIN, and a STEAL to rank 1 */
    deliver_one(0, 1, TF__MSG_BEGIN);
    CU_ASSERT_EQUAL(count_msgs(0, 1, TF__MSG_STEAL), 1);
    deliver_one(0, 1, TF__MSG_STEAL);
    /* answered at once, by the same call */
    long i = find(1, 0, TF__MSG_LOOT);
    CU_ASSERT_FATAL(i >= 0);
    uint8_t flags;
    uint64_t ids[8];
    char inputs[8][16];
    size_t n = loot_tasks(&g.q[i], &flags, ids, inputs, 8);
    CU_ASSERT_EQUAL(flags, TF__LOOT_REPLY);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_EQUAL(ids[0], tf__spawned_id(1, seq0));
    CU_ASSERT_EQUAL(ids[1], tf__spawned_id(1, seq0 + 1));
    CU_ASSERT_STRING_EQUAL(inputs[0], "a0");
    CU_ASSERT_STRING_EQUAL(inputs[1], "a1");
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[1]), 3);
    CU_ASSERT_EQUAL(atomic_load(&g.p[1].st.served), 1);
    CU_ASSERT_EQUAL(atomic_load(&g.w[1].hungry), 0);
    /* the thief gets them, runnable: its own function for "child" */
    deliver((size_t)i);
    CU_ASSERT_FALSE(g.p[0].steal_out);
    CU_ASSERT_EQUAL(atomic_load(&g.p[0].st.steals), 1);
    CU_ASSERT_EQUAL(atomic_load(&g.p[0].st.tasks_stolen), 2);
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[0]), 2);
    tf__item it;
    size_t left;
    CU_ASSERT_EQUAL_FATAL(tf__worker_take(&g.w[0], &it, &left), 1);
    CU_ASSERT_EQUAL(it.first_id, tf__spawned_id(1, seq0 + 1)); /* newest first */
    CU_ASSERT_PTR_EQUAL(it.fn, (void *)fn_child);
    CU_ASSERT_EQUAL(it.elem, 2);
    CU_ASSERT_EQUAL(memcmp(it.data, "a1", 2), 0);
    tf__rbuf_unref(it.owner);
    /* the remaining two run at rank 0; the remaining three at rank 1 */
    main_run(0);
    main_run(1);
    CU_ASSERT_EQUAL(g.child_runs, 4);
    CU_ASSERT_EQUAL(g.qn, 0);
    rig_down();
}

/* One task: given to a thief while the victim's main thread runs a task
 * (it will find more to do), kept while it runs none (a task that just
 * arrived is run, not passed on); nothing to give: refused, and
 * tf_task_hungry's counter goes up. */
static void test_victim_one_task(void)
{
    rig_up(two_ranks, 2);
    tf__worker_idle(&g.w[0]);
    uint64_t seq0 = g.w[1].spawn_seq;
    give_job(1, fn_spawn, 1, 1, 'b');
    CU_ASSERT_EQUAL(tf__worker_exec(&g.w[1]), 1);
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[1]), 1);
    step(0);
    deliver_one(0, 1, TF__MSG_BEGIN);
    /* the main thread is inside a task (the test plays it) */
    atomic_store(&g.w[1].running, true);
    deliver_one(0, 1, TF__MSG_STEAL);
    atomic_store(&g.w[1].running, false);
    long i = find(1, 0, TF__MSG_LOOT);
    CU_ASSERT_FATAL(i >= 0);
    uint8_t flags;
    uint64_t ids[4];
    char inputs[4][16];
    CU_ASSERT_EQUAL_FATAL(loot_tasks(&g.q[i], &flags, ids, inputs, 4), 1);
    CU_ASSERT_EQUAL(ids[0], tf__spawned_id(1, seq0));
    CU_ASSERT_STRING_EQUAL(inputs[0], "b0");
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[1]), 0);
    deliver((size_t)i);
    take_all(0);
    CU_ASSERT_EQUAL(atomic_load(&g.w[1].hungry), 0);

    /* one task queued and the main thread inside none */
    give_job(1, fn_spawn, 1, 1, 'c');
    CU_ASSERT_EQUAL(tf__worker_exec(&g.w[1]), 1);
    CU_ASSERT_EQUAL(step(0), 1); /* rank 0 got work last time: it tries again */
    deliver_one(0, 1, TF__MSG_STEAL);
    i = find(1, 0, TF__MSG_LOOT);
    CU_ASSERT_FATAL(i >= 0);
    CU_ASSERT_EQUAL(loot_tasks(&g.q[i], &flags, ids, inputs, 4), 0);
    CU_ASSERT_EQUAL(flags, TF__LOOT_REPLY);
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[1]), 1);
    CU_ASSERT_EQUAL(atomic_load(&g.w[1].hungry), 1);
    CU_ASSERT_EQUAL(atomic_load(&g.p[1].st.refused), 1);
    deliver((size_t)i);
    CU_ASSERT_EQUAL(atomic_load(&g.p[0].st.steals), 1); /* an empty answer is no steal */

    /* nothing queued, main idle: refused too (rank 0, out of tries,
     * parks: the STEAL comes from rank 0 by hand, its answer is dropped) */
    main_run(1);
    const uint8_t steal = TF__MSG_STEAL;
    char *sm = malloc(1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sm);
    memcpy(sm, &steal, 1);
    tf__rbuf *rb = tf__rbuf_wrap(sm, 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
    tf__peers_on_message(&g.p[1], 0, rb);
    tf__rbuf_unref(rb);
    i = find(1, 0, TF__MSG_LOOT);
    CU_ASSERT_FATAL(i >= 0);
    CU_ASSERT_EQUAL(loot_tasks(&g.q[i], &flags, ids, inputs, 4), 0);
    drop((size_t)i);
    CU_ASSERT_EQUAL(atomic_load(&g.w[1].hungry), 2);
    CU_ASSERT_EQUAL(atomic_load(&g.p[1].st.refused), 2);
    /* a spawn answers them: the counter is back to 0 */
    give_job(1, fn_spawn, 1, 1, 'd');
    CU_ASSERT_EQUAL(tf__worker_exec(&g.w[1]), 1);
    CU_ASSERT_EQUAL(atomic_load(&g.w[1].hungry), 0);
    rig_down();
}

/* ---- lifelines ------------------------------------------------------------------- */

/* Two ranks of one node, both starved: each steals once, is refused, and
 * parks on the other (their only buddy). */
static void park_both(void)
{
    rig_up(two_ranks, 2);
    for (int r = 0; r < 2; r++) tf__worker_idle(&g.w[r]);
    pump(50, 0);
    CU_ASSERT_EQUAL(g.qn, 0);
    for (int r = 0; r < 2; r++) {
        CU_ASSERT_TRUE(g.p[r].parked);
        CU_ASSERT_EQUAL(g.p[r].nlthief, 1);
        CU_ASSERT_EQUAL(g.p[r].lthief[g.p[r].lhead], 1 - r);
        CU_ASSERT_EQUAL(atomic_load(&g.p[r].st.attempts), 1);
        /* one refusal and one rank parked here */
        CU_ASSERT_EQUAL(atomic_load(&g.w[r].hungry), 2);
    }
}

static void test_lifeline_push(void)
{
    park_both();
    /* rank 0 spawns four: it pushes half, oldest first, to rank 1 */
    uint64_t seq0 = g.w[0].spawn_seq;
    give_job(0, fn_spawn, 1, 4, 'e');
    CU_ASSERT_EQUAL(tf__worker_exec(&g.w[0]), 1);
    CU_ASSERT_EQUAL(atomic_load(&g.w[0].hungry), 0);
    CU_ASSERT_EQUAL(step(0), 1);
    CU_ASSERT_EQUAL_FATAL(g.qn, 1);
    CU_ASSERT_EQUAL(g.q[0].src, 0);
    CU_ASSERT_EQUAL(g.q[0].dest, 1);
    uint8_t flags;
    uint64_t ids[4];
    char inputs[4][16];
    CU_ASSERT_EQUAL_FATAL(loot_tasks(&g.q[0], &flags, ids, inputs, 4), 2);
    CU_ASSERT_EQUAL(flags, TF__LOOT_PUSH);
    CU_ASSERT_EQUAL(ids[0], tf__spawned_id(0, seq0));
    CU_ASSERT_STRING_EQUAL(inputs[1], "e1");
    CU_ASSERT_EQUAL(g.p[0].nlthief, 0);
    CU_ASSERT_EQUAL(g.p[0].is_lthief[1], 0);
    CU_ASSERT_EQUAL(atomic_load(&g.p[0].st.pushes), 1);
    /* the lifeline is used up: no second push */
    CU_ASSERT_EQUAL(step(0), 0);
    CU_ASSERT_EQUAL(g.qn, 1);
    /* the thief is unparked, its lifeline to rank 0 consumed */
    CU_ASSERT_EQUAL(g.p[1].buddy[0], 0);
    CU_ASSERT_EQUAL(g.p[1].asked[0], 1);
    deliver(0);
    CU_ASSERT_FALSE(g.p[1].parked);
    CU_ASSERT_EQUAL(g.p[1].asked[0], 0);
    CU_ASSERT_EQUAL(g.p[1].tries, 0);
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[1]), 2);
    CU_ASSERT_EQUAL(atomic_load(&g.p[1].st.tasks_stolen), 2);
    CU_ASSERT_EQUAL(atomic_load(&g.p[1].st.steals), 0); /* pushed, not stolen */
    /* it runs them; dry again, it steals (it is not parked) and gets one
     * of rank 0's two */
    main_run(1);
    CU_ASSERT_EQUAL(step(1), 1);
    CU_ASSERT_EQUAL_FATAL(g.qn, 1);
    CU_ASSERT_EQUAL(type_of(&g.q[0]), TF__MSG_STEAL);
    deliver(0);
    CU_ASSERT_EQUAL_FATAL(loot_tasks(&g.q[0], &flags, ids, inputs, 4), 1);
    CU_ASSERT_STRING_EQUAL(inputs[0], "e2");
    deliver(0);
    /* both run dry: rank 1 steals, is refused, and renews its lifeline */
    main_run(0);
    main_run(1);
    CU_ASSERT_EQUAL(g.child_runs, 4);
    CU_ASSERT_EQUAL(step(1), 1);
    deliver_one(1, 0, TF__MSG_STEAL);
    deliver_one(0, 1, TF__MSG_LOOT);
    CU_ASSERT_EQUAL(step(1), 1);
    CU_ASSERT_EQUAL(count_msgs(1, 0, TF__MSG_LIFELINE), 1);
    CU_ASSERT_EQUAL(g.qn, 1);
    CU_ASSERT_TRUE(g.p[1].parked);
    deliver(0);
    CU_ASSERT_EQUAL(g.p[0].nlthief, 1);
    rig_down();
}

/* A rank with lifelines registered and nothing to spare pushes nothing,
 * and says how many wait (tf_task_hungry). One queued task is no surplus,
 * even while the main thread runs a task: a push takes half of two or
 * more. */
static void test_lifeline_nothing_to_spare(void)
{
    park_both();
    /* a refusal and a rank parked here; nothing spawned since: no look */
    CU_ASSERT_EQUAL(atomic_load(&g.w[0].hungry), 2);
    CU_ASSERT_EQUAL(step(0), 0);
    CU_ASSERT_EQUAL(g.qn, 0);
    CU_ASSERT_EQUAL(atomic_load(&g.w[0].hungry), 2);
    CU_ASSERT_EQUAL(g.p[0].nlthief, 1);
    give_job(0, fn_spawn, 1, 1, 'f');
    CU_ASSERT_EQUAL(tf__worker_exec(&g.w[0]), 1);
    atomic_store(&g.w[0].running, true);
    step(0);
    CU_ASSERT_EQUAL(count_msgs(0, 1, TF__MSG_LOOT), 0);
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[0]), 1);
    CU_ASSERT_EQUAL(g.p[0].nlthief, 1);
    /* a second task spawned by the task it runs: two queued */
    tf__queue_clear(&g.w[0].spawnq);
    give_job(0, fn_spawn, 1, 2, 'g');
    CU_ASSERT_EQUAL(tf__worker_exec(&g.w[0]), 1);
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[0]), 2);
    step(0);
    atomic_store(&g.w[0].running, false);
    CU_ASSERT_EQUAL(count_msgs(0, 1, TF__MSG_LOOT), 1);
    CU_ASSERT_EQUAL(tf__worker_spawn_queued(&g.w[0]), 1);
    CU_ASSERT_EQUAL(g.p[0].nlthief, 0);
    rig_down();
}

/* A parked rank that only runs job chunks stays parked when it runs dry
 * (a map costs no steals); one that spawned since tries its peers again. */
static void test_parked_jobs_only(void)
{
    park_both();
    give_job(1, fn_child, 3, 0, 0);
    CU_ASSERT_EQUAL(step(1), 0); /* not dry, nothing of its own to push */
    main_run(1);
    CU_ASSERT_EQUAL(g.child_runs, 3);
    for (int k = 0; k < 5; k++) CU_ASSERT_EQUAL(step(1), 0);
    CU_ASSERT_EQUAL(g.qn, 0);
    CU_ASSERT_TRUE(g.p[1].parked);
    CU_ASSERT_EQUAL(atomic_load(&g.p[1].st.attempts), 1);
    /* a job task that spawns: the children run here (the main thread
     * takes them before the service thread looks), then the rank is dry */
    give_job(1, fn_spawn, 1, 2, 'g');
    main_run(1);
    CU_ASSERT_EQUAL(g.child_runs, 5);
    CU_ASSERT_EQUAL(step(1), 1);
    CU_ASSERT_EQUAL(count_msgs(1, 0, TF__MSG_STEAL), 1);
    CU_ASSERT_EQUAL(g.qn, 1);
    CU_ASSERT_FALSE(g.p[1].parked);
    CU_ASSERT_EQUAL(atomic_load(&g.p[1].st.attempts), 2);
    /* refused: it parks again, sending no second LIFELINE (its first is
     * still registered at rank 0) */
    deliver(0);
    deliver(0);
    CU_ASSERT_EQUAL(step(1), 1);
    CU_ASSERT_TRUE(g.p[1].parked);
    CU_ASSERT_EQUAL(g.qn, 0);
    CU_ASSERT_EQUAL(step(1), 0);
    rig_down();
}

/* ---- waves and the end ----------------------------------------------------------- */

/* Ten ranks: rank 0's children are 1..8, rank 1's is 9. */
#define NWAVE 10

static void check_end(int rv)
{
    for (int r = 0; r < g.size; r++) {
        CU_ASSERT_TRUE(tf__peers_over(&g.p[r]));
        CU_ASSERT_EQUAL(g.p[r].rv, rv);
        CU_ASSERT_EQUAL(tf__peers_step(&g.p[r]), 0);
    }
    CU_ASSERT_EQUAL(g.ends, g.size - 1);  /* one END to every rank */
    CU_ASSERT_EQUAL(g.dones, g.size - 1); /* one DONE from every rank */
    CU_ASSERT_EQUAL(g.qn, 0);
    CU_ASSERT_TRUE(atomic_load(&g.p[0].st.waves) >= 2);
    CU_ASSERT_TRUE(g.quiet_calls >= 1);
}

static void test_waves_end(void)
{
    rig_up(NWAVE, 4);
    set_root(2, 7);
    for (int r = 0; r < g.size; r++) tf__worker_idle(&g.w[r]);
    int rounds = pump(500, ALL);
    CU_ASSERT_TRUE(rounds < 500);
    check_end(7);
    rig_down();
}

/* END waits for a rank that holds a task, however long. */
static void test_no_end_while_task_held(void)
{
    rig_up(NWAVE, 4);
    set_root(2, 3);
    for (int r = 0; r < g.size; r++) tf__worker_idle(&g.w[r]);
    give_job(9, fn_child, 2, 0, 0);
    unsigned others = ALL & ~(1u << 9);
    pump(300, others);
    CU_ASSERT_EQUAL(g.ends, 0);
    for (int r = 0; r < g.size; r++) CU_ASSERT_FALSE(tf__peers_over(&g.p[r]));
    /* the wave waits at rank 9 */
    CU_ASSERT_TRUE(tf__wave_busy(&g.p[0].wave));
    main_run(9);
    CU_ASSERT_TRUE(pump(500, ALL) < 500);
    check_end(3);
    CU_ASSERT_EQUAL(g.child_runs, 2);
    rig_down();
}

/* END waits for a message in flight: tasks pushed along lifelines, held
 * back by the network while every rank is passive. */
static void test_no_end_while_loot_in_flight(void)
{
    rig_up(NWAVE, 4);
    set_root(0, 5); /* nothing to decide yet: the ranks settle */
    for (int r = 0; r < g.size; r++) tf__worker_idle(&g.w[r]);
    pump(200, ALL);
    CU_ASSERT_EQUAL(g.qn, 0);
    for (int r = 0; r < g.size; r++) CU_ASSERT_TRUE(g.p[r].parked);
    /* buddies of rank 3 (2, 1, 7) all parked there */
    CU_ASSERT_EQUAL(g.p[3].nlthief, 3);
    give_job(3, fn_spawn, 1, 8, 'h');
    CU_ASSERT_EQUAL(tf__worker_exec(&g.w[3]), 1);
    CU_ASSERT_EQUAL(step(3), 1);
    size_t pushed = count_msgs(3, -1, TF__MSG_LOOT);
    CU_ASSERT_TRUE(pushed >= 1);
    for (size_t i = 0; i < g.qn; i++) g.q[i].held = true;
    main_run(3);
    uint64_t here = g.child_runs;
    CU_ASSERT_TRUE(here < 8);
    g.want = 2;
    /* every rank passive: the waves go round and round, and never agree */
    CU_ASSERT_EQUAL(pump(300, ALL), 300);
    CU_ASSERT_TRUE(atomic_load(&g.p[0].st.waves) >= 10);
    CU_ASSERT_EQUAL(g.ends, 0);
    CU_ASSERT_EQUAL(count_msgs(3, -1, TF__MSG_LOOT), pushed);
    for (size_t i = 0; i < g.qn; i++) g.q[i].held = false;
    CU_ASSERT_TRUE(pump(500, ALL) < 500);
    check_end(5);
    CU_ASSERT_EQUAL(g.child_runs, 8);
    rig_down();
}

/* ---- malformed messages ---------------------------------------------------------- */

static jmp_buf fatal_jmp;
static int nfatal;

static void abort_jump(void *arg)
{
    (void)arg;
    nfatal++;
    longjmp(fatal_jmp, 1);
}

/* Hands rank dest `len` bytes from src: fatal (want_fatal) or accepted. */
static void feed_at(int line, int dest, int src, const void *bytes, size_t len, bool want_fatal)
{
    char *d = malloc(len ? len : 1);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    memcpy(d, bytes, len);
    tf__rbuf *rb = tf__rbuf_wrap(d, len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
    int before = nfatal;
    g.ctx[dest].abort_fn = abort_jump;
    if (setjmp(fatal_jmp) == 0) {
        tf__peers_on_message(&g.p[dest], src, rb);
        if (want_fatal) {
            fprintf(stderr, "line %d: accepted\n", line);
            CU_FAIL("a malformed message was accepted");
        }
    } else if (!want_fatal) {
        CU_FAIL("a good message was fatal");
    }
    g.ctx[dest].abort_fn = NULL;
    CU_ASSERT_EQUAL(nfatal, before + (want_fatal ? 1 : 0));
    tf__rbuf_unref(rb);
}

#define feed(...) feed_at(__LINE__, __VA_ARGS__)

static size_t echo(char *m, uint64_t id, uint64_t ranks)
{
    uint64_t v[6] = {id, 0, 0, 0, ranks, ranks};
    m[0] = (char)TF__MSG_ECHO;
    memcpy(m + 1, v, sizeof v);
    return 1 + sizeof v;
}

static void test_malformed(void)
{
    rig_up(NWAVE, 4);
    const uint8_t loot_reply[2] = {TF__MSG_LOOT, TF__LOOT_REPLY};
    const uint8_t loot_noflag[2] = {TF__MSG_LOOT, 0};
    const uint8_t begin = TF__MSG_BEGIN, done = TF__MSG_DONE;
    char end[5] = {(char)TF__MSG_END, 9, 0, 0, 0};
    const uint8_t unknown = 99, tasks = TF__MSG_TASKS, results = TF__MSG_RESULTS;

    /* LOOT nobody asked for; LOOT without a flag; LOOT from another than
     * the victim */
    feed(2, 1, loot_reply, 2, true);
    feed(2, 1, loot_noflag, 2, true);
    feed(2, 1, loot_reply, 1, true); /* truncated */
    tf__worker_idle(&g.w[2]);
    step(0);
    deliver_one(0, 2, TF__MSG_BEGIN);
    drop_all();
    CU_ASSERT_EQUAL(step(2), 1);
    CU_ASSERT_TRUE(g.p[2].steal_out);
    int victim = g.p[2].victim, other = victim == 3 ? 1 : 3;
    feed(2, other, loot_reply, 2, true);
    feed(2, victim, loot_reply, 2, false); /* the answer */
    drop_all();

    /* BEGIN from another than the parent, and twice */
    feed(9, 2, &begin, 1, true);
    feed(9, 1, &begin, 1, false);
    feed(9, 1, &begin, 1, true);
    feed(0, 1, &begin, 1, true); /* rank 0 has no parent */

    /* ECHO: from a non-child, truncated, one too many, of no wave */
    feed(0, 1, end, 5, true); /* END to rank 0: it has no parent */
    char m[64];
    size_t ml = echo(m, 1, 1);
    feed(0, 1, m, ml, true); /* no wave going */
    set_root(1, 0);
    CU_ASSERT_EQUAL(step(0), 1); /* wave 1 down to 1..8 */
    uint64_t id = g.p[0].wave.id;
    CU_ASSERT_EQUAL(count_msgs(0, -1, TF__MSG_WAVE), 8);
    drop_all();
    ml = echo(m, id, 1);
    feed(0, 9, m, ml, true); /* 9's parent is 1 */
    feed(0, 2, m, ml - 1, true);
    feed(0, 2, m, 9, true);
    feed(0, 2, m, ml, false);
    ml = echo(m, id + 1, 1);
    feed(0, 3, m, ml, true); /* another wave */

    /* WAVE from a non-parent, truncated, while one is going */
    char wv[9] = {(char)TF__MSG_WAVE};
    memcpy(wv + 1, &id, 8);
    feed(9, 2, wv, 9, true);
    feed(9, 1, wv, 5, true);
    feed(9, 1, wv, 9, false);
    feed(9, 1, wv, 9, true);

    /* DONE before END, and from a non-child */
    feed(1, 9, &done, 1, true);
    /* END: from a non-parent, truncated, twice */
    feed(1, 2, end, 5, true);
    feed(1, 0, end, 3, true);
    feed(1, 0, end, 5, false);
    CU_ASSERT_EQUAL(g.p[1].rv, 9);
    CU_ASSERT_EQUAL(count_msgs(1, 9, TF__MSG_END), 1);
    feed(1, 0, end, 5, true);
    feed(1, 8, &done, 1, true); /* 8 is rank 0's child */
    feed(1, 9, &done, 1, false);
    feed(1, 9, &done, 1, true); /* twice */

    /* types that are not the role's, and unknown ones */
    feed(4, 1, &unknown, 1, true);
    feed(4, 1, &tasks, 1, true);
    feed(4, 1, &results, 1, true);
    rig_down();
}

/* A child that answers twice: a protocol error, as one too many answers
 * is. Rank 0 counts answers, not which children gave them, so a second
 * ECHO (or DONE) from one child stands in for a child that has not
 * answered: the wave's sums (or the end of the run) would not be the
 * whole tree's. */
static void test_malformed_duplicate_echo(void)
{
    rig_up(NWAVE, 4);
    set_root(1, 0);
    CU_ASSERT_EQUAL(step(0), 1); /* BEGIN, a STEAL, and WAVE down to 1..8 */
    uint64_t id = g.p[0].wave.id;
    CU_ASSERT_TRUE(id != 0);
    drop_all();
    char m[64];
    size_t ml = echo(m, id, 1);
    feed(0, 2, m, ml, false);
    feed(0, 2, m, ml, true); /* rank 2 answered already */
    rig_down();
}

static void test_malformed_duplicate_done(void)
{
    rig_up(NWAVE, 4);
    set_root(2, 0);
    g.hold_type = TF__MSG_DONE;
    g.hold_dest = 0;
    for (int r = 0; r < g.size; r++) tf__worker_idle(&g.w[r]);
    pump(500, ALL);
    CU_ASSERT_TRUE(g.p[0].ending);
    CU_ASSERT_FALSE(tf__peers_over(&g.p[0]));
    CU_ASSERT_EQUAL(count_msgs(-1, 0, TF__MSG_DONE), 8);
    const uint8_t done = TF__MSG_DONE;
    feed(0, 2, &done, 1, false);
    feed(0, 2, &done, 1, true); /* rank 2 answered already */
    rig_down();
}

static const unit_test tests[] = {
    UNIT_TEST(test_thief_order),
    UNIT_TEST(test_thief_no_local),
    UNIT_TEST(test_rank0_apart),
    UNIT_TEST(test_lifeline_graph),
    UNIT_TEST(test_victim_half_oldest),
    UNIT_TEST(test_victim_one_task),
    UNIT_TEST(test_lifeline_push),
    UNIT_TEST(test_lifeline_nothing_to_spare),
    UNIT_TEST(test_parked_jobs_only),
    UNIT_TEST(test_waves_end),
    UNIT_TEST(test_no_end_while_task_held),
    UNIT_TEST(test_no_end_while_loot_in_flight),
    UNIT_TEST(test_malformed),
    UNIT_TEST(test_malformed_duplicate_echo),
    UNIT_TEST(test_malformed_duplicate_done),
};
UNIT_MAIN("peers", tests)
