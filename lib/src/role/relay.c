/* relay.c - a node leader's role (relay.h). Service thread, except
 * create, destroy and reset (main thread, service thread parked). */
#include "role/relay.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/msg.h"
#include "core/schedule.h"

/* Function numbers a parent may use (as the worker's limit). */
#define FN_LIMIT (1u << 24)
/* Merged results are sent up before they pass this many bytes (a record
 * bigger than that goes alone), and a range whose results would pass it
 * sends them up unmerged: far below the largest message, and a bounded
 * amount held here. */
#define MERGE_BYTES ((size_t)16 << 20)
/* Ranges first made room for. */
#define RANGES_CAP0 16

typedef struct piece { /* a result record of part of a range, held */
    tf__rbuf *rb;      /* the message it came in */
    const char *raw;   /* the record, its kind byte first */
    size_t raw_len;
    const char *lens, *data, *fails;
    size_t data_len;
    uint64_t first; /* the index of its first task */
    uint32_t count, nfail;
} piece;

typedef struct range { /* a chunk the parent handed here */
    tf__item it;       /* as received; its owner holds the inputs */
    uint32_t next;     /* tasks handed on */
    uint32_t done;     /* tasks whose results are in */
    size_t off;        /* PACKED: bytes of inputs handed on */
    piece *pieces;     /* its results so far, to go up as one record */
    size_t npieces, cappieces;
    size_t bytes; /* the merged record's size so far */
    uint64_t elapsed_ns;
    uint32_t nfail;
    bool passthrough; /* too big to merge: results go up as they come */
} range;

typedef struct fn_entry {
    char *name;
    void *fn; /* this rank's function, NULL if it lacks it */
    tf__est est;
} fn_entry;

struct tf__relay {
    tf__relay_cfg cfg;
    tf__sched sched;
    range *rv; /* ranges in arrival order, from rhead on, until their
                  results are all in */
    size_t rhead, rn, rcap;
    size_t hand;   /* ranges before this one (from rhead) are all handed on */
    size_t found;  /* the range a result was found in last */
    fn_entry *fns; /* by the parent's function number */
    size_t nfns;
    size_t below;     /* ranks the slots stand for together */
    size_t *inflight; /* by slot: tasks handed on, results not yet back */
    int *src_slot;    /* by rank: the slot whose link reaches it, -1 none */
    size_t rr;        /* the slot the next pass starts at */
    tf__buf out;      /* merged RESULT records, after a reserved header */
    uint64_t spawned, spawn_ok;
};

static _Noreturn void malformed(tf__relay *r, int src, const char *what)
{
    tf__fatal(r->cfg.ctx, "malformed message from rank %d: %s", src, what);
}

static void oom(tf__relay *r) { tf__fatal(r->cfg.ctx, "out of memory in a node leader"); }

int tf__relay_create(const tf__relay_cfg *cfg, tf__relay **out)
{
    *out = NULL;
    tf__relay *r = tf__calloc(1, sizeof *r);
    if (!r) return TF_ENOMEM;
    r->cfg = *cfg;
    r->sched = (tf__sched){.prefetch_s = cfg->prefetch_s}; /* for the window */
    r->inflight = tf__calloc((size_t)cfg->size, sizeof *r->inflight);
    r->src_slot = tf__malloc((size_t)cfg->nranks * sizeof *r->src_slot);
    if (!r->inflight || !r->src_slot) {
        tf__relay_destroy(&r);
        return TF_ENOMEM;
    }
    for (int s = 0; s < cfg->size; s++) r->below += cfg->weight[s];
    if (r->below == 0) {
        tf__relay_destroy(&r);
        return TF_EINVAL;
    }
    for (int k = 0; k < cfg->nranks; k++) r->src_slot[k] = -1;
    for (int s = 0; s < cfg->size; s++) {
        int k = cfg->links[s]->rank;
        if (k < 0 || k >= cfg->nranks || r->src_slot[k] >= 0) {
            tf__relay_destroy(&r);
            return TF_EINVAL;
        }
        r->src_slot[k] = s;
    }
    *out = r;
    return 0;
}

static void drop_pieces(range *g)
{
    for (size_t k = 0; k < g->npieces; k++) tf__rbuf_unref(g->pieces[k].rb);
    tf__free(g->pieces);
    g->pieces = NULL;
    g->npieces = g->cappieces = 0;
}

void tf__relay_reset(tf__relay *r)
{
    for (size_t k = 0; k < r->rn; k++) {
        range *g = &r->rv[(r->rhead + k) % r->rcap];
        tf__rbuf_unref(g->it.owner);
        drop_pieces(g);
    }
    r->rhead = r->rn = r->hand = r->found = 0;
    for (size_t g = 0; g < r->nfns; g++) tf__free(r->fns[g].name);
    tf__free(r->fns);
    r->fns = NULL;
    r->nfns = 0;
    memset(r->inflight, 0, (size_t)r->cfg.size * sizeof *r->inflight);
    r->rr = 0;
    tf__buf_free(&r->out);
    r->spawned = r->spawn_ok = 0;
    for (int s = 0; s < r->cfg.size; s++) r->cfg.links[s]->ops->reset(r->cfg.links[s]);
}

void tf__relay_destroy(tf__relay **rp)
{
    tf__relay *r = *rp;
    if (!r) return;
    if (r->inflight) tf__relay_reset(r);
    tf__free(r->rv);
    tf__free(r->inflight);
    tf__free(r->src_slot);
    tf__free(r);
    *rp = NULL;
}

/* ---- what the parent hands down ------------------------------------------------ */

static void define(tf__relay *r, int src, uint32_t gid, const char *name, size_t nl)
{
    if (gid >= FN_LIMIT || nl == 0) malformed(r, src, "bad function definition");
    if (gid >= r->nfns) {
        size_t n = r->nfns ? r->nfns : 8;
        while (n <= gid) n *= 2;
        fn_entry *v = tf__realloc(r->fns, n * sizeof *v);
        if (!v) oom(r);
        memset(v + r->nfns, 0, (n - r->nfns) * sizeof *v);
        r->fns = v;
        r->nfns = n;
    }
    fn_entry *e = &r->fns[gid];
    tf__free(e->name);
    e->name = tf__strndup(name, nl);
    if (!e->name) oom(r);
    long li = tf__reg_find(r->cfg.reg, e->name);
    e->fn = li >= 0 ? r->cfg.reg->v[li].fn : NULL;
}

static void push_range(tf__relay *r, const tf__item *it)
{
    if (r->rn == r->rcap) {
        size_t cap = r->rcap ? r->rcap * 2 : RANGES_CAP0;
        range *v = tf__malloc(cap * sizeof *v);
        if (!v) oom(r);
        for (size_t k = 0; k < r->rn; k++) v[k] = r->rv[(r->rhead + k) % r->rcap];
        tf__free(r->rv);
        r->rv = v;
        r->rcap = cap;
        r->rhead = 0;
    }
    r->rv[(r->rhead + r->rn++) % r->rcap] = (range){.it = *it, .bytes = TF__RESULT_HDR_LEN};
}

static range *at(tf__relay *r, size_t k) { return &r->rv[(r->rhead + k) % r->rcap]; }

static void relay_on_tasks(void *arg, int src, tf__rbuf *rb)
{
    tf__relay *r = arg;
    if (src != r->cfg.up) malformed(r, src, "tasks from a rank that is not this leader's parent");
    tf__rd rd;
    tf__rd_init(&rd, rb->data, rb->len);
    if (tf__rd_u8(&rd) != TF__MSG_TASKS) malformed(r, src, "not TASKS");
    while (tf__rd_left(&rd)) {
        uint8_t kind = tf__rd_u8(&rd);
        if (kind == TF__R_DEF) {
            uint32_t gid = tf__rd_u32(&rd);
            uint8_t nl = tf__rd_u8(&rd);
            const char *name = tf__rd_take(&rd, nl);
            if (!name) malformed(r, src, "short function definition");
            define(r, src, gid, name, nl);
        } else if (kind == TF__R_CHUNK) {
            tf__item it;
            size_t bulk;
            if (tf__msg_get_chunk(&rd, &it, &bulk) < 0 || it.job == 0 || it.count == 0)
                malformed(r, src, "bad task chunk");
            if (it.gid >= r->nfns || !r->fns[it.gid].name)
                malformed(r, src, "task chunk of an undefined function");
            if (bulk) {
                if (!r->cfg.tp) malformed(r, src, "a bulk payload where none can come");
                tf__rbuf *b = tf__tp_recv_bulk(r->cfg.tp, src, bulk);
                it.data = b->data;
                it.owner = b;
            } else {
                it.owner = tf__rbuf_ref(rb);
            }
            it.fn = r->fns[it.gid].fn;
            it.fname = r->fns[it.gid].name;
            push_range(r, &it);
        } else {
            /* SHARE and STOP are the central policy's, which has no leaders */
            malformed(r, src, "a record a node leader does not take");
        }
        if (rd.err) malformed(r, src, "truncated tasks");
    }
}

/* ---- handing chunks on ------------------------------------------------------------ */

/* The first range with tasks left to hand on; NULL if none. */
static range *front(tf__relay *r)
{
    while (r->hand < r->rn && at(r, r->hand)->next == at(r, r->hand)->it.count) r->hand++;
    return r->hand < r->rn ? at(r, r->hand) : NULL;
}

/* Drops the ranges at the front whose results have all gone up. */
static void pop_finished(tf__relay *r)
{
    while (r->rn && at(r, 0)->done == at(r, 0)->it.count) {
        range *g = at(r, 0);
        tf__rbuf_unref(g->it.owner);
        drop_pieces(g);
        r->rhead = (r->rhead + 1) % r->rcap;
        r->rn--;
        if (r->hand) r->hand--;
        if (r->found) r->found--;
    }
}

/* The item of the next c tasks of range g. */
static void sub_item(const range *g, uint32_t c, tf__item *it)
{
    *it = g->it;
    it->first_index += g->next;
    it->first_id += g->next;
    it->count = c;
    switch (g->it.layout) {
    case TF__FIXED: it->data = g->it.data + (size_t)g->next * g->it.elem; break;
    case TF__PACKED:
        it->lens = g->it.lens + 8 * (size_t)g->next;
        it->data = g->it.data + g->off;
        break;
    default: /* VECTOR never comes over the wire */
        it->vin = g->it.vin + g->next;
        it->vlen = g->it.vlen + g->next;
        break;
    }
}

/* Bytes of inputs of the c tasks of range g from its next on (PACKED). */
static size_t packed_bytes(const range *g, uint32_t c)
{
    size_t bytes = 0;
    for (uint32_t k = 0; k < c; k++) {
        uint64_t l;
        memcpy(&l, g->it.lens + 8 * ((size_t)g->next + k), 8);
        bytes += (size_t)l;
    }
    return bytes;
}

/* One chunk for slot s: 1 if it got one, 0 if not (window or message
 * full), -1 if nothing is left to hand on. */
static int assign_one(tf__relay *r, int s)
{
    range *g = front(r);
    if (!g) return -1;
    fn_entry *f = &r->fns[g->it.gid];
    size_t left = g->it.count - g->next;
    /* The parent sized the range as one chunk for each rank below (its
     * chunk rule, with its estimate and the job's tail): each rank gets
     * that chunk, a slot of weight w w of them. Only the window, how much
     * to keep queued, is this relay's own measure. */
    size_t c = g->it.count / r->below;
    if (c < 1) c = 1;
    size_t win = tf__sched_window(&r->sched, &f->est, c);
    if (g->it.file && r->cfg.file_prefetch) { /* as the coordinator's window_for */
        size_t want = f->est.n && f->est.t >= TF__LONG_TASK_S ? 2 : 4;
        if (win < want) win = want;
    }
    size_t weight = r->cfg.weight[s];
    if (r->inflight[s] >= win * weight) return 0;
    c = c > left / weight ? left : c * weight;
    tf__item it;
    sub_item(g, (uint32_t)c, &it);
    tf__link *l = r->cfg.links[s];
    if (l->ops->full(l, &it)) return 0;
    if (g->it.layout == TF__PACKED) g->off += packed_bytes(g, (uint32_t)c);
    g->next += (uint32_t)c;
    it.owner = tf__rbuf_ref(g->it.owner);
    r->inflight[s] += c;
    (void)l->ops->put(l, &it, NULL); /* no job: inputs are copied, or borrowed by the loopback */
    return 1;
}

static int assign(tf__relay *r)
{
    int did = 0, size = r->cfg.size;
    size_t start = r->rr++;
    for (bool progress = true; progress;) {
        progress = false;
        for (int i = 0; i < size; i++) {
            int rc = assign_one(r, (int)((start + (size_t)i) % (size_t)size));
            if (rc < 0) return did;
            if (rc) progress = true, did = 1;
        }
    }
    return did;
}

/* ---- results going up ------------------------------------------------------------- */

static void send_up(tf__relay *r)
{
    if (r->out.len == 0) return;
    tf__rhdr h = {r->spawned, r->spawn_ok, 0, 0};
    tf__msg_put_rhdr(r->out.p, &h);
    r->cfg.send_up.emit(r->cfg.send_up.arg, &r->out); /* takes the buffer */
    r->out = (tf__buf){0};
    r->spawned = r->spawn_ok = 0;
}

/* The merged message is open: its header reserved. */
static void open_out(tf__relay *r)
{
    if (r->out.len) return;
    if (!tf__buf_room(&r->out, TF__RHDR_LEN)) oom(r);
    r->out.len = TF__RHDR_LEN;
}

/* Appends bytes [p, p + n) (whole records) to the merged results. */
static void keep(tf__relay *r, const char *p, size_t n)
{
    if (r->out.len > TF__RHDR_LEN && r->out.len + n > MERGE_BYTES) send_up(r);
    open_out(r);
    if (tf__buf_put(&r->out, p, n) < 0) oom(r);
}

/* The range that holds the record's tasks, all handed on and none of
 * them in yet as far as counts go; NULL if none. A leader's ranges come in
 * order of job and index (its parent hands a slot a job's ranges in index
 * order, and jobs in the order they started), so a binary search finds
 * it; results mostly hit the range of the one before. */
static range *find_range(tf__relay *r, const tf__result_hdr *h)
{
    size_t lo = 0, hi = r->rn;
    range *g = r->found < r->rn ? at(r, r->found) : NULL;
    if (!g || g->it.job != h->job || h->first_index < g->it.first_index ||
        h->first_index - g->it.first_index >= g->it.count) {
        while (hi - lo > 1) { /* the last range starting at or before the record */
            size_t mid = lo + (hi - lo) / 2;
            const range *m = at(r, mid);
            if (m->it.job < h->job || (m->it.job == h->job && m->it.first_index <= h->first_index))
                lo = mid;
            else
                hi = mid;
        }
        if (lo >= r->rn) return NULL;
        r->found = lo;
        g = at(r, lo);
    }
    if (g->it.job != h->job || h->first_index < g->it.first_index) return NULL;
    uint64_t k = h->first_index - g->it.first_index;
    if (k > g->next || h->count > g->next - k || h->count > g->next - g->done) return NULL;
    return g;
}

/* Appends the merged record of range g (every result in) to the message
 * going up, and lets its pieces go. */
static int by_first(const void *a, const void *b)
{
    uint64_t x = ((const piece *)a)->first, y = ((const piece *)b)->first;
    return x < y ? -1 : x > y;
}

static void emit_range(tf__relay *r, range *g)
{
    qsort(g->pieces, g->npieces, sizeof *g->pieces, by_first);
    if (r->out.len > TF__RHDR_LEN && r->out.len + g->bytes > MERGE_BYTES) send_up(r);
    open_out(r);
    char *p = tf__buf_room(&r->out, g->bytes);
    if (!p) oom(r);
    tf__result_hdr h = {g->it.job,   g->it.first_index, g->it.first_id,
                        g->it.count, g->nfail,          g->elapsed_ns};
    tf__msg_put_result_hdr(p, &h);
    p += TF__RESULT_HDR_LEN;
    for (size_t k = 0; k < g->npieces; k++) {
        memcpy(p, g->pieces[k].lens, 4 * (size_t)g->pieces[k].count);
        p += 4 * (size_t)g->pieces[k].count;
    }
    for (size_t k = 0; k < g->npieces; k++) {
        if (g->pieces[k].data_len) memcpy(p, g->pieces[k].data, g->pieces[k].data_len);
        p += g->pieces[k].data_len;
    }
    for (size_t k = 0; k < g->npieces; k++) { /* failed tasks, renumbered in the range */
        const piece *pc = &g->pieces[k];
        uint32_t shift = (uint32_t)(pc->first - g->it.first_index);
        for (uint32_t f = 0; f < pc->nfail; f++) {
            uint32_t task;
            memcpy(&task, pc->fails + 8 * (size_t)f, 4);
            task += shift;
            memcpy(p, &task, 4);
            memcpy(p + 4, pc->fails + 8 * (size_t)f + 4, 4);
            p += 8;
        }
    }
    r->out.len += g->bytes;
    drop_pieces(g);
}

/* A result record of some of range g's tasks: held, to go up with the
 * rest of the range's as one record, so that the parent folds one record
 * a range; a range whose results would pass MERGE_BYTES sends them up as
 * they come. */
static void take_piece(tf__relay *r, range *g, const piece *pc, uint64_t elapsed_ns)
{
    size_t add = 4 * (size_t)pc->count + pc->data_len + TF__FAIL_LEN * (size_t)pc->nfail;
    g->done += pc->count;
    if (!g->passthrough && g->bytes + add > MERGE_BYTES) {
        g->passthrough = true; /* what it held goes up as it came */
        for (size_t k = 0; k < g->npieces; k++) keep(r, g->pieces[k].raw, g->pieces[k].raw_len);
        drop_pieces(g);
    }
    if (g->passthrough) {
        keep(r, pc->raw, pc->raw_len);
        return;
    }
    if (g->npieces == g->cappieces) {
        size_t cap = g->cappieces ? 2 * g->cappieces : 4;
        piece *v = tf__realloc(g->pieces, cap * sizeof *v);
        if (!v) oom(r);
        g->pieces = v;
        g->cappieces = cap;
    }
    g->pieces[g->npieces] = *pc;
    g->pieces[g->npieces++].rb = tf__rbuf_ref(pc->rb);
    g->bytes += add;
    g->elapsed_ns += elapsed_ns;
    g->nfail += pc->nfail;
    if (g->done == g->it.count) emit_range(r, g);
}

static void relay_on_message(void *arg, int src, tf__rbuf *rb)
{
    tf__relay *r = arg;
    int s = src >= 0 && src < r->cfg.nranks ? r->src_slot[src] : -1;
    if (s < 0) malformed(r, src, "results from a rank this leader does not serve");
    tf__rd rd;
    tf__rd_init(&rd, rb->data, rb->len);
    tf__rhdr h;
    tf__msg_get_rhdr(&rd, &h);
    if (rd.err) malformed(r, src, "short header");
    if (h.flags & ~(uint32_t)TF__F_IDLE) malformed(r, src, "a central-policy flag");
    /* spawn counts before the records they precede (msg.h): both go up in
     * the next message, counts in its header */
    r->spawned += h.spawned;
    r->spawn_ok += h.spawn_ok;
    if (h.spawned || h.spawn_ok) open_out(r);
    while (tf__rd_left(&rd)) {
        const char *start = rd.p;
        if (tf__rd_u8(&rd) != TF__R_RESULT)
            malformed(r, src, "a record a node leader does not take");
        tf__result_hdr rh;
        tf__msg_get_result_hdr(&rd, &rh);
        const char *lens = tf__rd_take(&rd, 4 * (size_t)rh.count);
        if (!lens || rh.nfail > rh.count) malformed(r, src, "short result");
        /* an empty one would complete again a range whose record went up */
        if (rh.count == 0) malformed(r, src, "an empty result");
        size_t total = tf__rec_total(lens, rh.count);
        if (!tf__rd_take(&rd, total) || !tf__rd_take(&rd, (size_t)rh.nfail * TF__FAIL_LEN))
            malformed(r, src, "short result");
        if (!rh.job) { /* a spawned task's: straight up */
            keep(r, start, (size_t)(rd.p - start));
            continue;
        }
        if (rh.count > r->inflight[s]) malformed(r, src, "more results than tasks handed on");
        r->inflight[s] -= rh.count;
        range *g = find_range(r, &rh);
        if (!g) malformed(r, src, "results of tasks not handed on");
        /* the range knows its task function: its time goes to that one */
        tf__est_add(&r->fns[g->it.gid].est, (double)rh.elapsed_ns * 1e-9, rh.count);
        piece pc = {rb,
                    start,
                    (size_t)(rd.p - start),
                    lens,
                    lens + 4 * (size_t)rh.count,
                    lens + 4 * (size_t)rh.count + total,
                    total,
                    rh.first_index,
                    rh.count,
                    rh.nfail};
        take_piece(r, g, &pc, rh.elapsed_ns);
    }
    pop_finished(r);
}

static int relay_step(void *arg)
{
    tf__relay *r = arg;
    int did = assign(r);
    for (int s = 0; s < r->cfg.size; s++) did |= r->cfg.links[s]->ops->flush(r->cfg.links[s]);
    if (r->out.len) {
        send_up(r);
        did = 1;
    }
    return did;
}

static bool never(void *arg, int src)
{
    (void)arg;
    (void)src;
    return false;
}

static bool not_ending(void *arg)
{
    (void)arg;
    return false;
}

tf__svc_role tf__relay_role(tf__relay *r)
{
    return (tf__svc_role){.arg = r,
                          .on_message = relay_on_message,
                          .step = relay_step,
                          .awaits = never,
                          .ending = not_ending,
                          .on_tasks = relay_on_tasks};
}

/* The own worker's RESULTS, as if they had come in a message from it. */
static void uplink_emit(void *arg, tf__buf *msg)
{
    tf__relay *r = arg;
    tf__rbuf *rb = tf__rbuf_wrap(msg->p, msg->len);
    if (!rb) oom(r);
    *msg = (tf__buf){0};
    relay_on_message(r, r->cfg.ctx->rank, rb);
    tf__rbuf_unref(rb);
}

tf__uplink tf__relay_uplink(tf__relay *r) { return (tf__uplink){uplink_emit, r}; }

bool tf__relay_passive(tf__relay *r) { return r->rn == 0 && r->out.len == 0; }
