/* peers.c - stealing, lifelines and quiescence waves (peers.h says how,
 * core/wave.h why the end is exact).
 *
 * Thread roles: everything here runs on the service thread, except
 * tf__peers_init/free/reset (main thread, service thread parked). The
 * worker is reached through its locked calls (worker.h). */
#include "rank/peers.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/clock.h"
#include "core/msg.h"
#include "core/timeline.h"

/* Random tries of a thief before it parks on its lifelines: on its own
 * node, then on others. A try costs a round trip; more tries find work
 * sooner when it is scarce, and cost busy ranks more when it is. */
#define TRY_LOCAL 2
#define TRY_REMOTE 1
/* The lifeline graph's dimensions: a rank's most buddies. */
#define LIFELINE_DIM 4
/* How soon an idle service thread looks again while its STEAL is
 * unanswered (the main thread has nothing to do meanwhile), and while its
 * rank holds tasks a thief may ask for (the answer waits for it). */
#define STEAL_POLL_NS 5000u
#define STEALABLE_POLL_NS 20000u
/* The service thread looks sooner for thieves only while some are about:
 * for this long after a STEAL or LIFELINE came in from a rank that cannot
 * ring (another node). A busy tree search otherwise goes whole seconds
 * without a thief, and a service thread that wakes every 20 us then takes
 * several percent of the core it shares with its main thread. */
#define THIEVES_ABOUT_NS 2000000u
/* The latency histogram's bin width (19%: 128 bins reach 3.6 s). */
#define HIST_BASE 1.19

#define INC(c, n) atomic_fetch_add_explicit(&(c), (n), memory_order_relaxed)
#define GET(c) atomic_load_explicit(&(c), memory_order_relaxed)

static int *ints(size_t n) { return tf__malloc((n ? n : 1) * sizeof(int)); }

int tf__peers_init(tf__peers *p, tf__ctx *ctx, tf__worker *w, const tf__peers_net *net, int rank,
                   int size, const int *node_of)
{
    memset(p, 0, sizeof *p);
    p->ctx = ctx;
    p->w = w;
    p->net = *net;
    p->rank = rank;
    p->size = size;
    p->local = ints((size_t)size);
    p->remote = ints((size_t)size);
    p->buddy = ints(32);
    p->asked = tf__calloc(32, 1);
    p->lthief = ints((size_t)size);
    p->is_lthief = tf__calloc((size_t)size, 1);
    p->near = tf__calloc((size_t)size, 1);
    if (!p->local || !p->remote || !p->buddy || !p->asked || !p->lthief || !p->is_lthief ||
        !p->near) {
        tf__peers_free(p);
        return TF_ENOMEM;
    }
    /* rank 0 also runs the coordinator and the waves: among three ranks or
     * more no thief picks it at random, and it takes work through its
     * lifelines only, so that its messages do not follow every rank's idle
     * time, which grows with the ranks */
    bool apart = size > 2;
    for (int r = 0; r < size; r++) {
        if (r == rank) continue;
        p->near[r] = node_of[r] == node_of[rank];
        if (apart && (r == 0 || rank == 0)) continue;
        if (p->near[r])
            p->local[p->nlocal++] = r;
        else
            p->remote[p->nremote++] = r;
    }
    /* the lifelines: a cyclic hypercube of LIFELINE_DIM digits in the
     * smallest base l with l^LIFELINE_DIM >= size (Saraswat et al., PPoPP
     * 2011; up to 16 ranks the binary hypercube): a buddy adds 1 (mod l)
     * to one digit, again while that names no rank. At most LIFELINE_DIM
     * buddies whatever the size. Strongly connected for any size: a digit
     * cycles to 0, a smaller rank, so every rank reaches rank 0; raising
     * the digits from the lowest never passes the rank aimed at, so rank 0
     * reaches every rank. */
    int64_t l = 2, lz;
    for (;; l++) {
        lz = 1;
        for (int k = 0; k < LIFELINE_DIM; k++) lz *= l;
        if (lz >= size) break;
    }
    for (int64_t k = 0, unit = 1; k < LIFELINE_DIM && unit < size; k++, unit *= l) {
        int64_t digit = rank / unit % l, b = rank;
        do {
            b += digit + 1 < l ? unit : -digit * unit;
            digit = digit + 1 < l ? digit + 1 : 0;
        } while (b >= size);
        if (b != rank) p->buddy[p->nbuddy++] = (int)b;
    }
    tf__wave_init(&p->wave, rank, size, TF__WAVE_FANOUT);
    int first, n = tf__wave_children(rank, size, p->wave.fanout, &first);
    for (int c = first; c < first + n; c++) p->far_kids |= !p->near[c];
    return 0;
}

void tf__peers_free(tf__peers *p)
{
    tf__free(p->local);
    tf__free(p->remote);
    tf__free(p->buddy);
    tf__free(p->asked);
    tf__free(p->lthief);
    tf__free(p->is_lthief);
    tf__free(p->near);
    memset(p, 0, sizeof *p);
}

void tf__peers_set_root(tf__peers *p, const tf__peers_root *root) { p->root = *root; }

void tf__peers_reset(tf__peers *p, struct tf__trace *trace)
{
    p->trace = trace;
    p->rng = 0x9E3779B97F4A7C15ull * (uint64_t)(p->rank + 1) ^ tf__now_ns();
    p->steal_out = false;
    p->t_thief = 0;
    p->tries = 0;
    p->parked = false;
    memset(p->asked, 0, 32);
    p->nlthief = p->lhead = 0;
    memset(p->is_lthief, 0, (size_t)p->size);
    tf__wave_reset(&p->wave);
    p->epoch = 0;
    p->quiet = false;
    p->armed = false;
    p->ending = false;
    p->done_kids = 0;
    p->done_mask = 0;
    p->push_spawns = UINT64_MAX;
    p->loot_since = false;
    p->over = false;
    p->rv = 0;
}

/* ---- sending ------------------------------------------------------------------- */

static void send_buf(tf__peers *p, int dest, int tag, tf__buf *b)
{
    p->net.send(p->net.arg, dest, tag, b);
    *b = (tf__buf){0};
}

static void send_small(tf__peers *p, int dest, int tag, const void *data, size_t n)
{
    tf__buf b = {0};
    if (tf__buf_put(&b, data, n) < 0) tf__fatal(p->ctx, "out of memory");
    send_buf(p, dest, tag, &b);
}

static void send_type(tf__peers *p, int dest, uint8_t type)
{
    send_small(p, dest, TF__TAG_MSG, &type, 1);
}

/* LOOT for dest: tasks from the worker (none, if it has none to give);
 * returns how many. */
static size_t send_loot(tf__peers *p, int dest, uint8_t flags, bool push)
{
    tf__buf b = {0};
    uint8_t hdr[2] = {TF__MSG_LOOT, flags};
    if (tf__buf_put(&b, hdr, 2) < 0) tf__fatal(p->ctx, "out of memory");
    /* a push gives only a surplus; a steal also the last task while the
     * main thread runs one (never a task that just arrived: it would
     * travel from rank to rank without running) */
    size_t n = tf__worker_give(p->w, &b, !push);
    if (n == 0 && push) {
        tf__buf_free(&b);
        return 0;
    }
    send_buf(p, dest, TF__TAG_MSG, &b);
    return n;
}

/* ---- the thief ----------------------------------------------------------------- */

static uint64_t rnd(tf__peers *p)
{
    /* xorshift64*: victims need spread, not quality */
    uint64_t x = p->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    p->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static unsigned tries_local(const tf__peers *p)
{
    return (unsigned)(p->nlocal < TRY_LOCAL ? p->nlocal : TRY_LOCAL);
}

static unsigned tries_max(const tf__peers *p)
{
    unsigned remote = p->nlocal ? TRY_REMOTE : TRY_LOCAL + TRY_REMOTE;
    if ((unsigned)p->nremote < remote) remote = (unsigned)p->nremote;
    return tries_local(p) + remote;
}

static int pick_victim(tf__peers *p)
{
    if (p->tries < tries_local(p)) return p->local[rnd(p) % (uint64_t)p->nlocal];
    return p->remote[rnd(p) % (uint64_t)p->nremote];
}

static void park(tf__peers *p)
{
    for (int i = 0; i < p->nbuddy; i++) {
        if (p->asked[i]) continue;
        send_type(p, p->buddy[i], TF__MSG_LIFELINE);
        p->asked[i] = 1;
    }
    p->parked = true;
    p->parked_spawns = atomic_load_explicit(&p->w->spawn_calls, memory_order_relaxed);
}

/* An idle rank's turn as a thief; 1 if it sent anything. */
static int thieve(tf__peers *p)
{
    if (p->steal_out || p->size < 2) return 0;
    uint64_t spawns = atomic_load_explicit(&p->w->spawn_calls, memory_order_relaxed);
    /* parked and nothing spawned here since: no lock taken, every turn of a
     * map's busy loop */
    if (p->parked && spawns == p->parked_spawns) return 0;
    if (!tf__worker_starved(p->w)) return 0;
    if (p->parked) {
        /* a rank that had spawned work of its own since it parked tries
         * its peers again (its lifelines stay where they are); one that
         * only ran jobs stays parked, so a map costs no steals */
        p->parked = false;
        p->tries = 0;
    }
    if (p->tries < tries_max(p)) {
        p->victim = pick_victim(p);
        p->tries++;
        p->t_ask = tf__now_ns();
        p->steal_out = true;
        INC(p->st.attempts, 1);
        send_type(p, p->victim, TF__MSG_STEAL);
        return 1;
    }
    park(p);
    return 1;
}

static void note_latency(tf__peers *p, uint64_t ns)
{
    INC(p->st.wait_ns, ns);
    int b = ns > 1 ? (int)(log((double)ns) / log(HIST_BASE)) : 0;
    if (b < 0) b = 0;
    if (b > 127) b = 127;
    INC(p->st.hist[b], 1);
}

void tf__steal_hist(tf__steal_stats *st, uint64_t *out)
{
    for (int b = 0; b < 128; b++) out[b] = GET(st->hist[b]);
}

double tf__steal_median_since(tf__steal_stats *st, const uint64_t *before)
{
    uint64_t h[128], n = 0, seen = 0;
    for (int b = 0; b < 128; b++) n += h[b] = GET(st->hist[b]) - (before ? before[b] : 0);
    if (!n) return 0;
    for (int b = 0; b < 128; b++) {
        seen += h[b];
        if (2 * seen >= n) return pow(HIST_BASE, b + 0.5) * 1e-9;
    }
    return 0;
}

void tf__steal_stats_get(tf__steal_stats *st, tf_stats *out)
{
    out->steal_attempts += GET(st->attempts);
    out->steals += GET(st->steals);
    out->tasks_stolen += GET(st->tasks_stolen);
    out->steal_wait_s += (double)GET(st->wait_ns) * 1e-9;
    out->steal_median_us = tf__steal_median_since(st, NULL) * 1e6;
    out->steals_served += GET(st->served);
    out->steals_refused += GET(st->refused);
    out->lifeline_pushes += GET(st->pushes);
    out->waves += GET(st->waves);
}

static void on_loot(tf__peers *p, int src, tf__rbuf *rb)
{
    tf__rd r;
    tf__rd_init(&r, rb->data, rb->len);
    (void)tf__rd_u8(&r);
    uint8_t flags = tf__rd_u8(&r);
    if (r.err || !(flags & (TF__LOOT_REPLY | TF__LOOT_PUSH)))
        tf__fatal(p->ctx, "malformed LOOT from rank %d", src);
    size_t n = tf__worker_on_loot(p->w, src, &r, rb);
    if (flags & TF__LOOT_REPLY) {
        if (!p->steal_out || src != p->victim)
            tf__fatal(p->ctx, "LOOT from rank %d, which was not asked", src);
        p->steal_out = false;
        uint64_t now = tf__now_ns();
        note_latency(p, now - p->t_ask);
        if (p->trace)
            tf__trace_span(p->trace, TF__TR_SVC, TF__TR_STEAL, p->t_ask, now,
                           (uint64_t)src << 32 | (n > 0xffffffffu ? 0xffffffffu : n));
        if (n) INC(p->st.steals, 1);
    } else {
        /* the lifeline to src was used up; ours to renew when we run dry */
        for (int i = 0; i < p->nbuddy; i++)
            if (p->buddy[i] == src) p->asked[i] = 0;
    }
    if (n) {
        p->loot_since = true;
        INC(p->st.tasks_stolen, n);
        p->tries = 0;
        p->parked = false;
    }
}

/* ---- the victim ---------------------------------------------------------------- */

static void on_lifeline(tf__peers *p, int src)
{
    if (p->is_lthief[src]) return;
    p->is_lthief[src] = 1;
    p->push_spawns = UINT64_MAX; /* look at what there is to spare */
    p->lthief[(p->lhead + p->nlthief++) % p->size] = src;
    atomic_fetch_add_explicit(&p->w->hungry, 1, memory_order_relaxed);
}

/* Pushes tasks to ranks parked on this one, while there are tasks to spare;
 * 1 if it pushed any. */
static int push_lifelines(tf__peers *p)
{
    /* nothing came into spawnq since the last look found nothing to
     * spare: no lock, no buffer, every turn */
    uint64_t spawns = atomic_load_explicit(&p->w->spawn_calls, memory_order_relaxed);
    if (spawns == p->push_spawns && !p->loot_since) return 0;
    p->loot_since = false;
    int did = 0;
    while (p->nlthief) {
        int t = p->lthief[p->lhead];
        if (!send_loot(p, t, TF__LOOT_PUSH, true)) {
            /* nothing to spare: the ranks still parked here want the next
             * spawns (tf_task_hungry; a spawn sets it back to 0) */
            p->push_spawns = spawns;
            unsigned h = atomic_load_explicit(&p->w->hungry, memory_order_relaxed);
            if (h < (unsigned)p->nlthief)
                atomic_store_explicit(&p->w->hungry, (unsigned)p->nlthief, memory_order_relaxed);
            break;
        }
        INC(p->st.pushes, 1);
        p->is_lthief[t] = 0;
        p->lhead = (p->lhead + 1) % p->size;
        p->nlthief--;
        did = 1;
    }
    return did;
}

/* ---- waves ------------------------------------------------------------------------ */

static void send_wave(tf__peers *p, int dest, uint64_t id)
{
    char m[9];
    m[0] = (char)TF__MSG_WAVE;
    memcpy(m + 1, &id, 8);
    send_small(p, dest, TF__TAG_CTL, m, sizeof m);
}

static void wave_down(tf__peers *p, uint64_t id)
{
    int first, n = tf__wave_children(p->rank, p->size, p->wave.fanout, &first);
    for (int c = 0; c < n; c++) send_wave(p, first + c, id);
}

static void send_echo(tf__peers *p, uint64_t id, const tf__wave_sums *s)
{
    uint64_t v[6] = {id, s->sent, s->recv, s->acts, s->passive, s->ranks};
    char m[1 + sizeof v];
    m[0] = (char)TF__MSG_ECHO;
    memcpy(m + 1, v, sizeof v);
    send_small(p, tf__wave_parent(p->rank, p->wave.fanout), TF__TAG_CTL, m, sizeof m);
}

static void end_down(tf__peers *p, int rv)
{
    int first, n = tf__wave_children(p->rank, p->size, p->wave.fanout, &first);
    char m[5];
    m[0] = (char)TF__MSG_END;
    int32_t v = rv;
    memcpy(m + 1, &v, 4);
    for (int c = 0; c < n; c++) send_small(p, first + c, TF__TAG_CTL, m, sizeof m);
    p->rv = rv;
    p->ending = true;
}

static void begin_down(tf__peers *p)
{
    int first, n = tf__wave_children(p->rank, p->size, p->wave.fanout, &first);
    uint8_t m = TF__MSG_BEGIN;
    for (int c = 0; c < n; c++) send_small(p, first + c, TF__TAG_CTL, &m, 1);
    p->armed = true;
}

/* After END: once the children's subtrees have left the run, this one
 * leaves too, telling its parent; 1 if it did. */
static int leave(tf__peers *p)
{
    int first;
    if (p->done_kids < tf__wave_children(p->rank, p->size, p->wave.fanout, &first)) return 0;
    if (p->rank != 0) {
        uint8_t m = TF__MSG_DONE;
        send_small(p, tf__wave_parent(p->rank, p->wave.fanout), TF__TAG_CTL, &m, 1);
    }
    p->over = true;
    return 1;
}

/* Whether this rank is passive (wave.h); *acts its acts if so. */
static bool passive(tf__peers *p, uint64_t *acts)
{
    if (p->steal_out || (!p->parked && p->size > 1)) return false;
    /* parked, but it spawned since: it will try its peers again when dry */
    if (p->size > 1 &&
        atomic_load_explicit(&p->w->spawn_calls, memory_order_relaxed) != p->parked_spawns)
        return false;
    if (!tf__worker_passive(p->w, acts)) return false;
    if (p->root.passive) { /* rank 0's coordinator, or a node leader's relay */
        uint64_t racts = 0;
        if (!p->root.passive(p->root.arg, &racts)) return false;
        *acts += racts;
    }
    return true;
}

/* The waves' turn; 1 if it did anything. */
static int move_waves(tf__peers *p)
{
    int did = 0;
    uint64_t acts;
    if (tf__wave_wants_own(&p->wave) && passive(p, &acts)) {
        uint64_t sent, recv;
        p->net.counts(p->net.arg, &sent, &recv);
        tf__wave_own(&p->wave, sent, recv, acts);
        did = 1;
    }
    uint64_t id;
    tf__wave_sums s;
    if (tf__wave_done(&p->wave, &id, &s)) {
        did = 1;
        if (p->rank != 0) {
            send_echo(p, id, &s);
            return did;
        }
        INC(p->st.waves, 1);
        p->quiet = tf__wave_decide(&p->wave, &s);
        if (p->quiet && p->root.quiet) p->root.quiet(p->root.arg);
    }
    if (p->rank != 0 || p->ending || tf__wave_busy(&p->wave) || !p->root.want) return did;
    int rv = 0;
    uint64_t epoch = 0;
    int want = p->root.want(p->root.arg, &rv, &epoch);
    if (want == 0) return did;
    if (want == 2 && p->quiet && p->epoch == epoch) {
        end_down(p, rv);
        return 1;
    }
    if (epoch != p->epoch) {
        tf__wave_forget(&p->wave);
        p->epoch = epoch;
    }
    p->quiet = false;
    wave_down(p, tf__wave_start(&p->wave));
    return 1;
}

/* ---- the role's calls ---------------------------------------------------------------- */

void tf__peers_on_message(tf__peers *p, int src, tf__rbuf *rb)
{
    uint8_t type = (uint8_t)rb->data[0];
    tf__rd r;
    tf__rd_init(&r, rb->data, rb->len);
    (void)tf__rd_u8(&r);
    switch (type) {
    case TF__MSG_STEAL:
        if (!p->net.rings_local || !p->near[src]) p->t_thief = tf__now_ns();
        if (send_loot(p, src, TF__LOOT_REPLY, false)) {
            INC(p->st.served, 1);
        } else {
            INC(p->st.refused, 1);
            /* the next spawn here is wanted (tf_task_hungry) */
            atomic_fetch_add_explicit(&p->w->hungry, 1, memory_order_relaxed);
        }
        return;
    case TF__MSG_LOOT: on_loot(p, src, rb); return;
    case TF__MSG_LIFELINE:
        if (!p->net.rings_local || !p->near[src]) p->t_thief = tf__now_ns();
        on_lifeline(p, src);
        return;
    case TF__MSG_WAVE: {
        uint64_t id = tf__rd_u64(&r);
        if (r.err || src != tf__wave_parent(p->rank, p->wave.fanout) ||
            tf__wave_begin(&p->wave, id) < 0)
            tf__fatal(p->ctx, "malformed WAVE from rank %d", src);
        wave_down(p, id);
        return;
    }
    case TF__MSG_ECHO: {
        uint64_t id = tf__rd_u64(&r);
        tf__wave_sums s;
        s.sent = tf__rd_u64(&r);
        s.recv = tf__rd_u64(&r);
        s.acts = tf__rd_u64(&r);
        s.passive = tf__rd_u64(&r);
        s.ranks = tf__rd_u64(&r);
        if (r.err || tf__wave_parent(src, p->wave.fanout) != p->rank ||
            tf__wave_echo(&p->wave, src, id, &s) < 0)
            tf__fatal(p->ctx, "malformed ECHO from rank %d", src);
        return;
    }
    case TF__MSG_END: {
        uint32_t v = tf__rd_u32(&r);
        if (r.err || src != tf__wave_parent(p->rank, p->wave.fanout) || p->ending)
            tf__fatal(p->ctx, "malformed END from rank %d", src);
        end_down(p, (int)(int32_t)v);
        return;
    }
    case TF__MSG_DONE: {
        int first, n = tf__wave_children(p->rank, p->size, p->wave.fanout, &first);
        if (src < first || src >= first + n || !p->ending || (p->done_mask >> (src - first)) & 1)
            tf__fatal(p->ctx, "malformed DONE from rank %d", src);
        p->done_mask |= 1u << (src - first);
        p->done_kids++;
        return;
    }
    case TF__MSG_BEGIN:
        if (src != tf__wave_parent(p->rank, p->wave.fanout) || p->armed)
            tf__fatal(p->ctx, "malformed BEGIN from rank %d", src);
        begin_down(p);
        return;
    default: tf__fatal(p->ctx, "malformed message from rank %d", src);
    }
}

int tf__peers_step(tf__peers *p)
{
    if (p->over) return 0;
    if (p->ending) return leave(p);
    int did = 0;
    if (p->rank == 0 && !p->armed) {
        begin_down(p);
        did = 1;
    }
    if (p->nlthief) did |= push_lifelines(p);
    if (p->armed) did |= thieve(p);
    did |= move_waves(p);
    if (p->ending) did |= leave(p);
    return did;
}

uint64_t tf__peers_poll_ns(tf__peers *p)
{
    /* waiting for an answer with nothing else to do (a steal's, the
     * children's ECHO or DONE) from a rank that cannot ring */
    if (p->steal_out && !(p->net.rings_local && p->near[p->victim])) return STEAL_POLL_NS;
    if (!p->net.rings_local || p->far_kids) {
        /* DONE or ECHO is all this rank waits for: it is idle */
        uint64_t acts;
        if (p->ending) return STEAL_POLL_NS;
        if (tf__wave_busy(&p->wave) && p->wave.own_in && tf__worker_passive(p->w, &acts))
            return STEAL_POLL_NS;
    }
    /* a spawn that a parked rank waits for wakes this thread (tf_spawn);
     * a STEAL from this node rings; only thieves of other nodes wait for
     * the poll */
    if (p->size < 2 || tf__now_ns() - p->t_thief > THIEVES_ABOUT_NS) return 0;
    return tf__worker_spawn_queued(p->w) ? STEALABLE_POLL_NS : 0;
}
