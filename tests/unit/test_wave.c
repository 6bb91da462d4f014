/* test_wave.c - quiescence waves (core/wave.h): the tree, the protocol's
 * errors, the decision rule on crafted sums, and a model of ranks that
 * work, send and go passive under a random scheduler, against which every
 * decision is checked: a decision only when the model is quiescent, and
 * one soon after it is. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/wave.h"
#include "unit.h"

/* ---- the tree ------------------------------------------------------------------- */

static void test_tree(void)
{
    for (int f = 2; f <= 8; f++) {
        for (int size = 1; size <= 100; size++) {
            int parents[100];
            int edges = 0, bad = 0;
            memset(parents, 0, sizeof parents);
            for (int r = 0; r < size; r++) {
                int first = -1;
                int n = tf__wave_children(r, size, f, &first);
                if (n < 0 || n > f || first < 1 || first + n > size) bad++;
                for (int c = first; c < first + n; c++) {
                    if (c <= r || tf__wave_parent(c, f) != r) bad++;
                    if (c >= 1 && c < size) parents[c]++;
                }
                edges += n;
                /* the parent lists r among its children */
                if (r) {
                    int p = tf__wave_parent(r, f), pf;
                    int pn = tf__wave_children(p, size, f, &pf);
                    if (p < 0 || p >= r || r < pf || r >= pf + pn) bad++;
                }
            }
            CU_ASSERT_EQUAL(tf__wave_parent(0, f), -1);
            CU_ASSERT_EQUAL(bad, 0);
            CU_ASSERT_EQUAL(edges, size - 1);
            CU_ASSERT_EQUAL(parents[0], 0);
            int once = 0;
            for (int r = 1; r < size; r++) once += parents[r] == 1;
            CU_ASSERT_EQUAL(once, size - 1);
            /* every rank reaches rank 0 (parents are smaller), within the
             * heap's depth */
            int depth = 0;
            for (long cap = 1, lvl = 1; cap < size; lvl *= f, cap += lvl) depth++;
            int deepest = 0;
            for (int r = 0; r < size; r++) {
                int d = 0;
                for (int x = r; x; x = tf__wave_parent(x, f)) d++;
                if (d > deepest) deepest = d;
            }
            CU_ASSERT_EQUAL(deepest, depth);
        }
    }
    /* a rank past the end has none, and first stays in range */
    int first;
    CU_ASSERT_EQUAL(tf__wave_children(7, 8, 2, &first), 0);
    CU_ASSERT_EQUAL(first, 8);
    CU_ASSERT_EQUAL(tf__wave_children(0, 1, 8, &first), 0);
    /* no overflow for large ranks */
    CU_ASSERT_EQUAL(tf__wave_children(1 << 29, 1 << 30, 8, &first), 0);
}

static void test_init_fanout(void)
{
    tf__wave w;
    tf__wave_init(&w, 0, 4, 0);
    CU_ASSERT_EQUAL(w.fanout, TF__WAVE_FANOUT);
    tf__wave_init(&w, 0, 4, -3);
    CU_ASSERT_EQUAL(w.fanout, TF__WAVE_FANOUT);
    tf__wave_init(&w, 0, 4, 3);
    CU_ASSERT_EQUAL(w.fanout, 3);
    CU_ASSERT_FALSE(tf__wave_busy(&w));
    CU_ASSERT_FALSE(tf__wave_wants_own(&w));
}

/* ---- the protocol --------------------------------------------------------------- */

static void test_protocol(void)
{
    tf__wave w;
    uint64_t id;
    tf__wave_sums s, c = {5, 4, 1, 2, 2};
    /* rank 1 of 5, fanout 2: children 3 and 4 */
    tf__wave_init(&w, 1, 5, 2);
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 3, 7, &c), -1); /* no wave */
    CU_ASSERT_EQUAL(tf__wave_begin(&w, 0), -1);       /* 0 is no wave's number */
    CU_ASSERT_FALSE(tf__wave_busy(&w));
    CU_ASSERT_EQUAL(tf__wave_begin(&w, 7), 0);
    CU_ASSERT_TRUE(tf__wave_busy(&w));
    CU_ASSERT_TRUE(tf__wave_wants_own(&w));
    CU_ASSERT_EQUAL(tf__wave_begin(&w, 8), -1); /* begin while busy */
    CU_ASSERT_EQUAL(w.id, 7);
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 3, 6, &c), -1); /* wrong wave */
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 3, 8, &c), -1);
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 2, 7, &c), -1); /* not a child */
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 5, 7, &c), -1);
    CU_ASSERT_EQUAL(w.echoes, 0);
    CU_ASSERT_EQUAL(w.acc.sent, 0);
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 3, 7, &c), 0);
    CU_ASSERT_FALSE(tf__wave_done(&w, &id, &s));      /* one child and its own missing */
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 3, 7, &c), -1); /* the same child twice */
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 4, 7, &c), 0);
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 4, 7, &c), -1); /* a third echo: too many */
    CU_ASSERT_EQUAL(w.echoes, 2);
    CU_ASSERT_FALSE(tf__wave_done(&w, &id, &s)); /* its own missing */
    tf__wave_own(&w, 3, 2, 0);
    CU_ASSERT_FALSE(tf__wave_wants_own(&w));
    CU_ASSERT_TRUE(tf__wave_done(&w, &id, &s));
    CU_ASSERT_EQUAL(id, 7);
    CU_ASSERT_EQUAL(s.sent, 13);
    CU_ASSERT_EQUAL(s.recv, 10);
    CU_ASSERT_EQUAL(s.acts, 2);
    CU_ASSERT_EQUAL(s.passive, 5);
    CU_ASSERT_EQUAL(s.ranks, 5);
    CU_ASSERT_FALSE(tf__wave_busy(&w));
    CU_ASSERT_FALSE(tf__wave_done(&w, &id, &s));      /* once only */
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 3, 7, &c), -1); /* late echo of a finished wave */
    /* the next wave starts from zero */
    CU_ASSERT_EQUAL(tf__wave_begin(&w, 9), 0);
    tf__wave_own(&w, 1, 1, 0);
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 4, 9, &(tf__wave_sums){0, 0, 0, 1, 1}), 0);
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 3, 9, &(tf__wave_sums){0, 0, 0, 1, 1}), 0);
    CU_ASSERT_TRUE(tf__wave_done(&w, &id, &s));
    CU_ASSERT_EQUAL(s.sent, 1);
    CU_ASSERT_EQUAL(s.ranks, 3);

    /* a leaf: no echo is ever right; done as soon as its own is in */
    tf__wave_init(&w, 4, 5, 2);
    CU_ASSERT_EQUAL(tf__wave_begin(&w, 3), 0);
    CU_ASSERT_EQUAL(tf__wave_echo(&w, 9, 3, &c), -1);
    CU_ASSERT_FALSE(tf__wave_done(&w, &id, &s));
    tf__wave_own(&w, 0, 0, 0);
    CU_ASSERT_TRUE(tf__wave_done(&w, &id, &s));
    CU_ASSERT_EQUAL(s.ranks, 1);

    /* rank 0 numbers its waves from 1; reset starts again */
    tf__wave_init(&w, 0, 1, 2);
    CU_ASSERT_EQUAL(tf__wave_start(&w), 1);
    tf__wave_own(&w, 0, 0, 0);
    CU_ASSERT_TRUE(tf__wave_done(&w, &id, &s));
    CU_ASSERT_FALSE(tf__wave_decide(&w, &s)); /* one wave is not enough */
    CU_ASSERT_EQUAL(tf__wave_start(&w), 2);
    tf__wave_own(&w, 0, 0, 0);
    CU_ASSERT_TRUE(tf__wave_done(&w, &id, &s));
    CU_ASSERT_EQUAL(id, 2);
    CU_ASSERT_TRUE(tf__wave_decide(&w, &s));
    CU_ASSERT_EQUAL(w.waves, 2);
    tf__wave_reset(&w);
    CU_ASSERT_EQUAL(w.waves, 0);
    CU_ASSERT_FALSE(w.have_prev);
    CU_ASSERT_FALSE(tf__wave_busy(&w));
    CU_ASSERT_EQUAL(tf__wave_start(&w), 1);
}

/* ---- the decision on crafted sums ----------------------------------------------- */

static tf__wave_sums sums(uint64_t sent, uint64_t recv, uint64_t acts, uint64_t passive,
                          uint64_t ranks)
{
    return (tf__wave_sums){sent, recv, acts, passive, ranks};
}

static void test_decide(void)
{
    tf__wave w;
    tf__wave_init(&w, 0, 4, 2);
    tf__wave_sums q = sums(6, 6, 1, 4, 4);
    CU_ASSERT_FALSE(tf__wave_decide(&w, &q)); /* no previous wave */
    CU_ASSERT_TRUE(tf__wave_decide(&w, &q));
    CU_ASSERT_TRUE(tf__wave_decide(&w, &q)); /* quiescence lasts */

    /* each difference from the previous wave holds the decision back */
    const tf__wave_sums off[] = {
        sums(7, 7, 1, 4, 4), /* both counts moved */
        sums(6, 6, 2, 4, 4), /* an act */
        sums(7, 6, 1, 4, 4), /* a message in flight */
        sums(6, 6, 1, 3, 4), /* a rank not passive */
        sums(6, 6, 1, 3, 3), /* a rank missing */
    };
    for (size_t i = 0; i < sizeof off / sizeof off[0]; i++) {
        tf__wave_init(&w, 0, 4, 2);
        CU_ASSERT_FALSE(tf__wave_decide(&w, &q));
        CU_ASSERT_FALSE(tf__wave_decide(&w, &off[i]));
        /* a wave that is not all passive (or not all there) leaves no
         * history: the next equal wave is a first one again */
        bool partial = off[i].passive != 4 || off[i].ranks != 4;
        CU_ASSERT_EQUAL(tf__wave_decide(&w, &off[i]), !partial && off[i].sent == off[i].recv);
    }

    /* sent != recv twice in a row: a message stays in flight across both
     * waves; equal sums alone are not enough */
    tf__wave_init(&w, 0, 4, 2);
    tf__wave_sums fl = sums(3, 2, 0, 4, 4);
    CU_ASSERT_FALSE(tf__wave_decide(&w, &fl));
    CU_ASSERT_FALSE(tf__wave_decide(&w, &fl));
    CU_ASSERT_FALSE(tf__wave_decide(&w, &fl));

    /* forget: the next wave is a first one */
    tf__wave_init(&w, 0, 4, 2);
    CU_ASSERT_FALSE(tf__wave_decide(&w, &q));
    tf__wave_forget(&w);
    CU_ASSERT_FALSE(tf__wave_decide(&w, &q));
    CU_ASSERT_TRUE(tf__wave_decide(&w, &q));
}

/* ---- the model ------------------------------------------------------------------ */

/* N ranks. A rank holds tasks and owes answers (messages without tasks);
 * while active it finishes tasks, spawns tasks, sends tasks or answers to
 * random ranks, and goes passive when it holds and owes nothing. A passive
 * rank becomes active only by receiving a counted message, or, rank 0, by
 * an act (the driver hands it a job). Every message, the waves' too, goes
 * through one scheduler that delivers in any order after random delays. */

#define MAXN 40
#define MAXQ 8192
#define WIN 64 /* waves remembered; at most two are under way */

enum { M_WORK, M_WAVE, M_ECHO };

typedef struct mmsg {
    int kind, from, to;
    unsigned tasks; /* M_WORK: tasks carried */
    uint64_t id;    /* M_WAVE, M_ECHO */
    tf__wave_sums s;
    uint64_t due; /* deliverable from this step on */
} mmsg;

typedef struct mrank {
    uint64_t sent, recv, acts;
    bool passive;
    unsigned tasks, owe;
    tf__wave w;
} mrank;

typedef struct model {
    int n, fanout;
    mrank r[MAXN];
    mmsg q[MAXQ];
    int nq;
    uint64_t rng, step;
    unsigned maxdelay;
    unsigned budget;                          /* spawns and extra messages left */
    unsigned jobs;                            /* acts left */
    unsigned pspawn, pfinish, psend, panswer; /* per-run behaviour, in 1/16 */
    /* what the checks need */
    uint64_t acts_total;     /* acts so far */
    uint8_t wave_quiet[WIN]; /* by wave id % WIN: 1 + whether quiescent at its start */
    uint64_t wave_acts[WIN]; /* by wave id % WIN: acts_total at its start */
    bool epoch_moved;        /* an act since the last wave started */
    bool over;               /* the run ended: a decision after the last act */
    uint64_t q_next;         /* 0, or the next wave's id when final quiescence began */
    uint64_t decisions, traps;
    char fail[256];
} model;

#define MCHECK(m, cond)                                                                       \
    do {                                                                                      \
        if (!(cond) && !(m)->fail[0])                                                         \
            snprintf((m)->fail, sizeof(m)->fail, "step %" PRIu64 ": %s (line %d)", (m)->step, \
                     #cond, __LINE__);                                                        \
    } while (0)

static uint64_t mrand(model *m)
{
    /* splitmix64: reproducible per seed */
    uint64_t z = (m->rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static unsigned below(model *m, unsigned n) { return n ? (unsigned)(mrand(m) % n) : 0; }

static bool counted_in_flight(const model *m)
{
    for (int i = 0; i < m->nq; i++)
        if (m->q[i].kind == M_WORK) return true;
    return false;
}

/* No task anywhere, no counted message in flight, every rank passive. */
static bool quiescent(const model *m)
{
    for (int r = 0; r < m->n; r++)
        if (!m->r[r].passive || m->r[r].tasks || m->r[r].owe) return false;
    return !counted_in_flight(m);
}

static void post(model *m, mmsg msg)
{
    MCHECK(m, m->nq < MAXQ);
    if (m->nq >= MAXQ) return;
    msg.due = m->step + below(m, m->maxdelay + 1);
    m->q[m->nq++] = msg;
}

static void send_work(model *m, int from, int to, unsigned tasks)
{
    m->r[from].sent++;
    m->r[from].tasks -= tasks;
    post(m, (mmsg){.kind = M_WORK, .from = from, .to = to, .tasks = tasks});
}

static void wave_down(model *m, int r, uint64_t id)
{
    int first, k = tf__wave_children(r, m->n, m->fanout, &first);
    for (int c = first; c < first + k; c++)
        post(m, (mmsg){.kind = M_WAVE, .from = r, .to = c, .id = id});
}

static void start_wave(model *m)
{
    tf__wave *w = &m->r[0].w;
    if (m->epoch_moved) {
        /* as the coordinator does when the driver moved on: no decision
         * compares across it */
        tf__wave_forget(w);
        m->epoch_moved = false;
    }
    uint64_t id = tf__wave_start(w);
    /* (b): once quiescent for good, at most two more waves start before
     * the decision */
    MCHECK(m, !m->q_next || id <= m->q_next + 1);
    m->wave_quiet[id % WIN] = (uint8_t)(1 + quiescent(m));
    m->wave_acts[id % WIN] = m->acts_total;
    wave_down(m, 0, id);
}

/* Rank 0 with a finished wave. */
static void finish_wave(model *m, uint64_t id, const tf__wave_sums *s)
{
    tf__wave *w = &m->r[0].w;
    MCHECK(m, s->ranks == (uint64_t)m->n && s->passive == s->ranks);
    bool now = quiescent(m);
    bool no_act = m->wave_acts[id % WIN] == m->acts_total; /* since the wave started */
    /* a rule with one wave would end the run here, wrongly */
    if (s->sent == s->recv && !now && no_act) m->traps++;
    if (!tf__wave_decide(w, s)) return;
    m->decisions++;
    /* (a): quiescent at the start of the deciding wave, and so still, unless
     * the driver acted since */
    MCHECK(m, m->wave_quiet[id % WIN] == 2);
    if (no_act) MCHECK(m, now);
    /* the run ends at a decision after the driver's last act */
    if (!m->jobs && !m->epoch_moved && no_act) {
        MCHECK(m, now);
        m->over = true;
    }
}

static void try_done(model *m, int r)
{
    uint64_t id;
    tf__wave_sums s;
    if (!tf__wave_done(&m->r[r].w, &id, &s)) return;
    if (r)
        post(m,
             (mmsg){
                 .kind = M_ECHO, .from = r, .to = tf__wave_parent(r, m->fanout), .id = id, .s = s});
    else
        finish_wave(m, id, &s);
}

static void deliver(model *m, int i)
{
    mmsg g = m->q[i];
    m->q[i] = m->q[--m->nq];
    mrank *t = &m->r[g.to];
    switch (g.kind) {
    case M_WORK:
        t->recv++;
        t->tasks += g.tasks;
        t->passive = false;
        if (m->budget && below(m, 16) < m->panswer) {
            m->budget--;
            t->owe++;
        }
        break;
    case M_WAVE:
        MCHECK(m, g.from == tf__wave_parent(g.to, m->fanout));
        MCHECK(m, tf__wave_begin(&t->w, g.id) == 0);
        wave_down(m, g.to, g.id);
        try_done(m, g.to);
        break;
    case M_ECHO:
        MCHECK(m, g.to == tf__wave_parent(g.from, m->fanout));
        MCHECK(m, tf__wave_echo(&t->w, g.from, g.id, &g.s) == 0);
        try_done(m, g.to);
        break;
    }
}

static int other(model *m, int r)
{
    int o = (int)below(m, (unsigned)m->n - 1);
    return o >= r ? o + 1 : o;
}

/* An active rank's turn. */
static void work(model *m, int r)
{
    mrank *x = &m->r[r];
    unsigned c = below(m, 16);
    if (x->tasks && c < m->pfinish) {
        x->tasks--;
    } else if (x->tasks && m->budget && c < m->pfinish + m->pspawn) {
        m->budget--;
        x->tasks++;
    } else if (m->n > 1 && x->tasks && c < m->pfinish + m->pspawn + m->psend) {
        send_work(m, r, other(m, r), 1 + below(m, x->tasks));
    } else if (m->n > 1 && x->owe) {
        x->owe--;
        send_work(m, r, other(m, r), 0);
    } else if (m->n > 1 && m->budget && c == 15) {
        /* a message without tasks that nothing asked for (a steal) */
        m->budget--;
        send_work(m, r, other(m, r), 0);
    } else if (!x->tasks && !x->owe && c < 12) {
        x->passive = true; /* else it idles a while first */
    }
}

/* The driver hands rank 0 a job of `tasks` tasks, without a message. */
static void act(model *m, unsigned tasks)
{
    mrank *x = &m->r[0];
    if (m->jobs) m->jobs--;
    x->acts++;
    x->tasks += tasks;
    x->passive = false;
    m->acts_total++;
    /* the driver's return (its last job) moves the coordinator's epoch;
     * the acts before are compared across like any count */
    if (!m->jobs) m->epoch_moved = true;
}

enum { E_DELIVER, E_WORK, E_OWN, E_START, E_ACT };

typedef struct cand {
    int kind, arg;
} cand;

static cand cands[MAXQ + 2 * MAXN + 2];

/* One run; returns whether it ended without a failed check. */
static bool run_model(model *m, uint64_t seed, int n)
{
    memset(m, 0, sizeof *m);
    m->rng = seed;
    m->n = n;
    m->fanout = 2 + (int)below(m, 7);
    m->maxdelay = below(m, 4) ? below(m, 8) : below(m, 200);
    m->budget = below(m, 3) ? below(m, 40) : below(m, 300);
    m->jobs = below(m, 4);
    m->pfinish = 2 + below(m, 6);
    m->pspawn = below(m, 5);
    m->psend = below(m, 6);
    m->panswer = below(m, 10);
    for (int r = 0; r < n; r++) {
        tf__wave_init(&m->r[r].w, r, n, m->fanout);
        m->r[r].passive = true;
    }
    /* work at the start: an act, or tasks already at random ranks (as if
     * received before the run's first wave: a receive counted on no side
     * would break the model's invariant, so they come as messages) */
    act(m, 1 + below(m, 4));
    unsigned spread = below(m, 4);
    for (unsigned k = 0; k < spread && n > 1; k++) {
        m->r[0].passive = false;
        if (m->r[0].tasks) send_work(m, 0, other(m, 0), 1);
    }
    uint64_t limit = 2000000;
    while (!m->over && !m->fail[0]) {
        MCHECK(m, ++m->step < limit);
        int nc = 0;
        uint64_t soonest = UINT64_MAX;
        for (int i = 0; i < m->nq; i++) {
            if (m->q[i].due <= m->step)
                cands[nc++] = (cand){E_DELIVER, i};
            else if (m->q[i].due < soonest)
                soonest = m->q[i].due;
        }
        for (int r = 0; r < n; r++) {
            if (!m->r[r].passive) cands[nc++] = (cand){E_WORK, r};
            if (m->r[r].passive && tf__wave_wants_own(&m->r[r].w)) cands[nc++] = (cand){E_OWN, r};
        }
        if (!tf__wave_busy(&m->r[0].w)) cands[nc++] = (cand){E_START, 0};
        if (m->jobs && below(m, 64) == 0) cands[nc++] = (cand){E_ACT, 0};
        if (!nc) {
            /* only messages not yet due: time passes */
            MCHECK(m, soonest != UINT64_MAX);
            if (soonest == UINT64_MAX) break;
            m->step = soonest - 1;
            continue;
        }
        cand c = cands[below(m, (unsigned)nc)];
        switch (c.kind) {
        case E_DELIVER: deliver(m, c.arg); break;
        case E_WORK: work(m, c.arg); break;
        case E_OWN: {
            mrank *x = &m->r[c.arg];
            tf__wave_own(&x->w, x->sent, x->recv, x->acts);
            try_done(m, c.arg);
            break;
        }
        case E_START: start_wave(m); break;
        case E_ACT: act(m, 1 + below(m, 4)); break;
        }
        if (!m->q_next && !m->jobs && quiescent(m)) m->q_next = m->r[0].w.next_id;
        /* quiescence lasts: nothing but an act ends it */
        if (m->q_next) MCHECK(m, quiescent(m));
    }
    if (!m->fail[0]) {
        MCHECK(m, quiescent(m));
        MCHECK(m, m->q_next != 0);
    }
    return !m->fail[0];
}

static model M;

static void test_model_random(void)
{
    uint64_t runs = 0, failed = 0, decisions = 0, traps = 0, steps = 0, waves = 0;
    for (uint64_t seed = 1; seed <= 40000; seed++) {
        uint64_t pick = seed * 0x2545F4914F6CDD1Dull;
        /* mostly small systems, where interleavings are dense */
        int n = seed % 10 < 7 ? 1 + (int)(pick >> 40) % 8 : 1 + (int)(pick >> 40) % MAXN;
        bool ok = run_model(&M, seed, n);
        runs++;
        steps += M.step;
        waves += M.r[0].w.waves;
        decisions += M.decisions;
        traps += M.traps;
        if (!ok && failed++ < 5) printf("\n  seed %" PRIu64 ", %d ranks: %s", seed, n, M.fail);
    }
    printf("\n  %" PRIu64 " runs, %" PRIu64 " steps, %" PRIu64 " waves, %" PRIu64
           " decisions, %" PRIu64 " waves one-wave detection would have misjudged\n",
           runs, steps, waves, decisions, traps);
    CU_ASSERT_EQUAL(failed, 0);
    CU_ASSERT_TRUE(decisions >= runs);
    /* the scheduler does produce the interleavings that fool a single wave */
    CU_ASSERT_TRUE(traps > 0);
}

/* ---- scenarios built by hand ---------------------------------------------------- */

static int find(model *m, int kind, int to)
{
    for (int i = 0; i < m->nq; i++)
        if (m->q[i].kind == kind && m->q[i].to == to) return i;
    return -1;
}

static void deliver_to(model *m, int kind, int to)
{
    int i = find(m, kind, to);
    CU_ASSERT_FATAL(i >= 0);
    deliver(m, i);
}

static void own(model *m, int r)
{
    mrank *x = &m->r[r];
    CU_ASSERT_FATAL(x->passive && tf__wave_wants_own(&x->w));
    tf__wave_own(&x->w, x->sent, x->recv, x->acts);
    try_done(m, r);
}

/* Delivers every wave message and takes every snapshot it can, until the
 * waves cannot move. */
static void settle_waves(model *m)
{
    for (bool moved = true; moved;) {
        moved = false;
        for (int i = 0; i < m->nq; i++)
            if (m->q[i].kind != M_WORK) {
                deliver(m, i);
                moved = true;
                break;
            }
        for (int r = 0; r < m->n; r++)
            if (m->r[r].passive && tf__wave_wants_own(&m->r[r].w)) {
                own(m, r);
                moved = true;
            }
    }
}

static void model_fixed(model *m, int n)
{
    memset(m, 0, sizeof *m);
    m->n = n;
    m->fanout = 2;
    m->rng = 1;
    for (int r = 0; r < n; r++) {
        tf__wave_init(&m->r[r].w, r, n, 2);
        m->r[r].passive = true;
    }
}

/* Four ranks, fanout 2: rank 0's children are 1 and 2, rank 1's is 3. One
 * wave sees sent == recv with every rank passive at its snapshot while rank
 * 1 holds a task: rank 1 took its snapshot, then got the task from rank 2
 * (whose send the wave counts, the receive not), and sent rank 3 a message
 * (whose receive the wave counts, the send not). A rule with one wave would
 * end the run here; the second wave sees the counts move. */
static void test_one_wave_is_not_enough(void)
{
    model *m = &M;
    model_fixed(m, 4);
    /* a wave before anything happens: all zero, all passive */
    start_wave(m);
    settle_waves(m);
    CU_ASSERT_EQUAL(m->decisions, 0);
    CU_ASSERT_TRUE(m->r[0].w.have_prev);
    /* the driver hands rank 0 a job of one task, which goes to rank 2 */
    act(m, 1);
    m->epoch_moved = false; /* this scenario compares across the act on purpose */
    send_work(m, 0, 2, 1);
    m->r[0].passive = true;
    deliver_to(m, M_WORK, 2);
    CU_ASSERT_FALSE(m->r[2].passive);

    start_wave(m);
    deliver_to(m, M_WAVE, 1);
    deliver_to(m, M_WAVE, 2);
    own(m, 0);
    own(m, 1);             /* rank 1: 0 sent, 0 received */
    send_work(m, 2, 1, 1); /* rank 2 hands its task to rank 1 */
    m->r[2].passive = true;
    own(m, 2);                /* rank 2: 1 sent, 1 received */
    deliver_to(m, M_WORK, 1); /* rank 1 active again, with the task */
    send_work(m, 1, 3, 0);    /* and tells rank 3 something */
    deliver_to(m, M_WORK, 3);
    m->r[3].passive = true; /* rank 3 has nothing to do */
    deliver_to(m, M_WAVE, 3);
    own(m, 3); /* rank 3: 0 sent, 1 received */
    /* the echoes: 3 -> 1, then 1 and 2 -> 0; rank 0 decides */
    deliver_to(m, M_ECHO, 1);
    deliver_to(m, M_ECHO, 0);
    CU_ASSERT_EQUAL(find(m, M_ECHO, 0) >= 0, 1);
    tf__wave_sums before = m->r[0].w.prev;
    deliver_to(m, M_ECHO, 0);
    CU_ASSERT_FALSE(tf__wave_busy(&m->r[0].w));
    /* what the wave saw: every count balanced, everyone passive */
    tf__wave_sums seen = m->r[0].w.prev;
    CU_ASSERT_EQUAL(seen.sent, 2);
    CU_ASSERT_EQUAL(seen.recv, 2);
    CU_ASSERT_EQUAL(seen.passive, 4);
    CU_ASSERT_EQUAL(seen.ranks, 4);
    CU_ASSERT_NOT_EQUAL(before.acts, seen.acts);
    /* yet rank 1 holds a task: no decision */
    CU_ASSERT_FALSE(quiescent(m));
    CU_ASSERT_EQUAL(m->r[1].tasks, 1);
    CU_ASSERT_EQUAL(m->decisions, 0);
    CU_ASSERT_EQUAL(m->traps, 1);
    CU_ASSERT_STRING_EQUAL(m->fail, "");

    /* rank 1 finishes: the next wave differs from this one, the one after
     * that decides, with the model quiescent */
    m->r[1].tasks = 0;
    m->r[1].passive = true;
    CU_ASSERT_TRUE(quiescent(m));
    start_wave(m);
    settle_waves(m);
    CU_ASSERT_EQUAL(m->decisions, 0);
    CU_ASSERT_EQUAL(m->r[0].w.prev.sent, 3);
    start_wave(m);
    settle_waves(m);
    CU_ASSERT_EQUAL(m->decisions, 1);
    CU_ASSERT_STRING_EQUAL(m->fail, "");
}

/* Three ranks; rank 2 holds a task for good and sends nothing, so every
 * count stays put. A rank that answered the waves without waiting to be
 * passive (passive 0 in its sums) would give two equal waves with sent ==
 * recv: only the passive count stops the decision. */
static void test_passive_is_needed(void)
{
    model *m = &M;
    model_fixed(m, 3);
    act(m, 1);
    send_work(m, 0, 2, 1);
    m->r[0].passive = true;
    deliver_to(m, M_WORK, 2);
    CU_ASSERT_FALSE(quiescent(m));
    /* the sums of a wave in which rank 2 answers while active */
    tf__wave_sums s = {0};
    for (int r = 0; r < 3; r++) {
        s.sent += m->r[r].sent;
        s.recv += m->r[r].recv;
        s.acts += m->r[r].acts;
        s.passive += m->r[r].passive;
        s.ranks++;
    }
    CU_ASSERT_EQUAL(s.sent, s.recv);
    CU_ASSERT_EQUAL(s.passive, 2);
    tf__wave w;
    tf__wave_init(&w, 0, 3, 2);
    for (int k = 0; k < 4; k++) CU_ASSERT_FALSE(tf__wave_decide(&w, &s));
    /* the same counts with every rank passive would decide */
    s.passive = 3;
    CU_ASSERT_FALSE(tf__wave_decide(&w, &s));
    CU_ASSERT_TRUE(tf__wave_decide(&w, &s));
    CU_ASSERT_FALSE(quiescent(m)); /* which, for this model, would be wrong */

    /* and the real waves wait for rank 2 */
    start_wave(m);
    settle_waves(m);
    CU_ASSERT_TRUE(tf__wave_busy(&m->r[0].w));
    CU_ASSERT_TRUE(tf__wave_wants_own(&m->r[2].w));
    m->r[2].tasks = 0;
    m->r[2].passive = true;
    settle_waves(m);
    CU_ASSERT_FALSE(tf__wave_busy(&m->r[0].w));
    CU_ASSERT_EQUAL(m->decisions, 0);
    start_wave(m);
    settle_waves(m);
    CU_ASSERT_EQUAL(m->decisions, 1);
    CU_ASSERT_STRING_EQUAL(m->fail, "");
}

/* A message delayed across two waves: equal sums, every rank passive, but
 * sent != recv; no decision until it is received. */
static void test_message_in_flight(void)
{
    model *m = &M;
    model_fixed(m, 3);
    act(m, 1);
    m->epoch_moved = false;
    send_work(m, 0, 1, 1);
    m->r[0].passive = true;
    for (int k = 0; k < 3; k++) {
        start_wave(m);
        settle_waves(m);
        CU_ASSERT_EQUAL(m->r[0].w.prev.sent, m->r[0].w.prev.recv + 1);
    }
    CU_ASSERT_EQUAL(m->decisions, 0);
    deliver_to(m, M_WORK, 1);
    m->r[1].tasks = 0;
    m->r[1].passive = true;
    start_wave(m);
    settle_waves(m);
    CU_ASSERT_EQUAL(m->decisions, 0);
    start_wave(m);
    settle_waves(m);
    CU_ASSERT_EQUAL(m->decisions, 1);
    CU_ASSERT_STRING_EQUAL(m->fail, "");
}

static const unit_test tests[] = {
    UNIT_TEST(test_tree),
    UNIT_TEST(test_init_fanout),
    UNIT_TEST(test_protocol),
    UNIT_TEST(test_decide),
    UNIT_TEST(test_one_wave_is_not_enough),
    UNIT_TEST(test_passive_is_needed),
    UNIT_TEST(test_message_in_flight),
    UNIT_TEST(test_model_random),
};
UNIT_MAIN("wave", tests)
