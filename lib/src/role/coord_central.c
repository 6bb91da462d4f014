/* coord_central.c - the central policy: rank 0 assigns every chunk of every job
 * and brokers every share of spawned tasks.
 *
 * Runs on rank 0's service thread, under the coordinator's lock, except
 * where a function says otherwise.
 *
 * Assigning: each rank is kept a window of tasks ahead (schedule.h), one
 * chunk per rank per pass so that scarce work is spread, each pass
 * starting at the next rank. Sharing: spawned tasks stay on the rank that
 * spawned them; when a rank is hungry and no job has tasks left, the rank
 * with the longest reported queue is asked to ship half of it here, and
 * the shipped tasks go to the hungry ranks. Counting: term.h.
 *
 * Under peer scheduling (cfg.peers) the same file assigns jobs, and only
 * that: ranks steal spawned tasks from each other (rank/peers.h), the
 * coordinator counts job tasks only, and rank 0's waves, through the
 * hooks in coord.c, find when spawned tasks are all finished and end the
 * run (core/wave.h). */
#define TF_COORD_INTERNAL
#include "role/coord_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/msg.h"

/* The most bytes of inputs one chunk takes in, so that it fits in one
 * message with room to spare (the link's own limit). */
#define CHUNK_BYTES_MAX (TF__MAX_MSG / 2)
/* The bytes a packed input adds to a message besides its own (its
 * length). */
#define INPUT_OVERHEAD 8
/* The first room for spawned outputs kept for the driver's callback. */
#define DELIV_CAP0 64

static _Noreturn void protocol_error(tf__coord *co, int src, const char *what)
{
    tf__fatal(co->cfg.ctx, "malformed message from rank %d: %s", src, what);
}

static void oom(tf__coord *co, const char *what)
{
    tf__fatal(co->cfg.ctx, "out of memory %s", what);
}

/* ---- results ------------------------------------------------------------------ */

/* A record of a job with a sink (tf_map_to): its outputs go to the sink
 * (copied), its failures are counted and the first message kept. */
static void to_sink(tf__coord *co, tf__job *j, tf__rec *rec)
{
    for (uint32_t k = 0; k < rec->count; k++) {
        const char *dp;
        size_t dl;
        int st = tf__rec_get(rec, k, &dp, &dl);
        if (!dp) oom(co, "for results");
        if (st && !j->out_err) j->out_err = tf__strdup(dp);
        j->sink->put(j->sink_arg, j->out_base + rec->first + k, dp, dl, st != 0);
    }
    tf__free(rec->offs);
    rec->offs = NULL;
}

/* Spawned tasks' outputs: failures counted (the first message kept), and
 * each output kept for the driver's callback if it wants them. */
static void spawned_outputs(tf__coord *co, const tf__result_hdr *rh, tf__rec *rec, tf__rbuf *rb)
{
    for (uint32_t k = 0; k < rh->count; k++) {
        const char *dp;
        size_t dl;
        int st = tf__rec_get(rec, k, &dp, &dl);
        if (!dp) oom(co, "for spawned results");
        if (st && co->spawn_failed++ == 0) snprintf(co->spawn_err, sizeof co->spawn_err, "%s", dp);
        if (!co->spawn_results) continue;
        if (co->ndeliv == co->capdeliv) {
            size_t cap = co->capdeliv ? co->capdeliv * 2 : DELIV_CAP0;
            tf__delivery *d = tf__realloc(co->deliv, cap * sizeof *d);
            if (!d) oom(co, "for spawned results");
            co->deliv = d;
            co->capdeliv = cap;
        }
        co->deliv[co->ndeliv++] = (tf__delivery){rh->first_id + k, st, dp, dl, tf__rbuf_ref(rb)};
    }
    tf__free(rec->offs);
}

/* A RESULT record from rank src (its kind byte read). */
static void fold_result(tf__coord *co, int src, tf__rd *r, tf__rbuf *rb)
{
    tf__peer *pe = &co->peer[src];
    tf__result_hdr rh;
    tf__msg_get_result_hdr(r, &rh);
    tf__job *j = NULL;
    if (rh.job) {
        j = tf__jobs_find(&co->jobs, rh.job);
        if (!j || rh.first_index > j->n || rh.count > j->n - rh.first_index)
            protocol_error(co, src, "result for an unknown task");
        pe->inflight = pe->inflight >= rh.count ? pe->inflight - rh.count : 0;
        tf__est_add(&co->fns[j->gid].est, (double)rh.elapsed_ns * 1e-9, rh.count);
        if (!j->sink && tf__job_keep(j, rb) < 0) oom(co, "keeping results");
    }
    const char *lens = tf__rd_take(r, 4 * (size_t)rh.count);
    if (!lens) protocol_error(co, src, "short result");
    size_t total = tf__rec_total(lens, rh.count);
    const char *data = tf__rd_take(r, total);
    const char *fails = tf__rd_take(r, (size_t)rh.nfail * TF__FAIL_LEN);
    if (!data || !fails || rh.nfail > rh.count) protocol_error(co, src, "short result");
    tf__rec rec;
    if (tf__rec_make(&rec, j ? rh.first_index : 0, rh.count, rh.nfail, lens, data, total, fails) <
        0)
        protocol_error(co, src, "bad result record");
    if (!j)
        spawned_outputs(co, &rh, &rec, rb);
    else if (j->sink)
        to_sink(co, j, &rec);
    else if (tf__recs_add(&j->recs, &rec) < 0)
        oom(co, "keeping results");
    if ((j || !co->cfg.peers) && tf__term_finished(&co->term, rh.count) < 0)
        protocol_error(co, src, "more tasks finished than exist");
    if (j) {
        j->failed += rh.nfail;
        j->done += rh.count;
        if (j->done == j->n) tf__coord_job_done(co, j);
    }
}

/* A CHUNK record: a spawned task shipped here for other ranks. */
static void take_shipped(tf__coord *co, int src, tf__rd *r, tf__rbuf *rb)
{
    tf__item it;
    size_t bulk;
    if (co->cfg.peers || tf__msg_get_chunk(r, &it, &bulk) < 0 || bulk || it.job != 0)
        protocol_error(co, src, "bad shipped task");
    long g = tf__coord_fn(co, it.fname);
    if (g < 0) oom(co, "for a shipped task");
    it.gid = (uint32_t)g;
    it.fn = co->fns[g].local_fn;
    it.fname = co->fns[g].name;
    it.owner = tf__rbuf_ref(rb);
    if (tf__queue_push_back(&co->spare, &it) < 0) oom(co, "for a shipped task");
}

/* The header's counts and flags: spawns are counted before anything the
 * message reports finished (term.h); the flags after its records. */
static void fold_header(tf__coord *co, int src, const tf__rhdr *h)
{
    if (co->cfg.peers) { /* spawned tasks are the waves' to count */
        co->spawns_seen += h->spawned;
        return;
    }
    tf__term_created(&co->term, h->spawned);
    if (tf__term_finished(&co->term, h->spawn_ok) < 0)
        protocol_error(co, src, "more tasks finished than exist");
    co->peer[src].qlen = h->qlen;
}

static void fold_flags(tf__coord *co, int src, uint32_t flags)
{
    tf__peer *pe = &co->peer[src];
    if (co->cfg.peers && (flags & (TF__F_SHARE_REPLY | TF__F_STOPPED)))
        protocol_error(co, src, "a central-policy flag under peer scheduling");
    if (flags & TF__F_SHARE_REPLY) pe->share_pending = false;
    if ((flags & TF__F_STOPPED) && tf__term_stopped(&co->term, src) < 0)
        protocol_error(co, src, "STOPPED unasked");
    if ((flags & TF__F_IDLE) && pe->inflight == 0) pe->hungry = true;
}

static void central_on_message(tf__coord *co, int rank, tf__rbuf *rb)
{
    /* the slot the message came through (a slot is a rank without node
     * leaders); only a slot's rank reports to the coordinator */
    int src = rank >= 0 && rank < co->cfg.nranks ? co->src_slot[rank] : -1;
    if (src < 0) protocol_error(co, rank, "unknown sender");
    pthread_mutex_lock(&co->lock);
    tf__rd r;
    tf__rd_init(&r, rb->data, rb->len);
    tf__rhdr h;
    tf__msg_get_rhdr(&r, &h);
    if (r.err) protocol_error(co, src, "short header");
    fold_header(co, src, &h);
    while (tf__rd_left(&r) && !r.err) {
        uint8_t kind = tf__rd_u8(&r);
        if (kind == TF__R_RESULT)
            fold_result(co, src, &r, rb);
        else if (kind == TF__R_CHUNK)
            take_shipped(co, src, &r, rb);
        else
            protocol_error(co, src, "unknown record");
    }
    if (r.err) protocol_error(co, src, "truncated record");
    fold_flags(co, src, h.flags);
    pthread_mutex_unlock(&co->lock);
    tf__coord_notify(co);
}

static void central_on_sent(tf__coord *co, tf__job *j)
{
    pthread_mutex_lock(&co->lock);
    j->bulk_pending--;
    co->term.bulk_pending--;
    if (j->bulk_pending == 0 && j->done == j->n && j->kind == TF__JOB_FUT && j->released)
        tf__job_free(j);
    pthread_mutex_unlock(&co->lock);
    tf__coord_notify(co);
}

/* ---- assigning jobs ------------------------------------------------------------- */

/* Caps chunk c of job j (from index j->next) so that its inputs fit in one
 * message: FIXED inputs travel as one bulk message, packed ones inline. */
static size_t fit_chunk(const tf__job *j, size_t c)
{
    if (j->layout == TF__FIXED) {
        if (j->elem && c > CHUNK_BYTES_MAX / j->elem) c = CHUNK_BYTES_MAX / j->elem;
    } else {
        size_t bytes = 0, k = 0;
        for (; k < c; k++) {
            bytes += INPUT_OVERHEAD + j->vlen[j->next + k];
            if (bytes > CHUNK_BYTES_MAX) break;
        }
        c = k;
    }
    return c ? c : 1; /* one input alone is at most TF__MAX_MSG (checked at submit) */
}

/* Tasks of job j to keep assigned to a rank, for chunks of c tasks. */
static size_t window_for(const tf__coord *co, const tf__job *j, const tf__fn_entry *f, size_t c)
{
    size_t win = tf__sched_window(&co->sched, &f->est, c);
    /* file tasks: keep a few queued so the rank's service thread reads the
     * next files while the current one computes */
    if (j->files && co->cfg.file_prefetch) {
        size_t want = f->est.n && f->est.t >= TF__LONG_TASK_S ? 2 : TF__FILE_AHEAD;
        if (win < want) win = want;
    }
    return win;
}

/* The item of c tasks of job j from j->next on. */
static void chunk_item(const tf__coord *co, const tf__job *j, size_t c, tf__item *it)
{
    const tf__fn_entry *f = &co->fns[j->gid];
    memset(it, 0, sizeof *it);
    it->job = j->id;
    it->first_index = j->next;
    it->first_id = j->first_id + j->next;
    it->gid = j->gid;
    it->count = (uint32_t)c;
    it->file = j->files;
    it->fn = f->local_fn;
    it->fname = f->name;
    if (j->layout == TF__FIXED) {
        it->layout = TF__FIXED;
        it->elem = j->elem;
        it->data = j->in + j->next * j->elem;
    } else {
        it->layout = TF__VECTOR;
        it->vin = j->vin + j->next;
        it->vlen = j->vlen + j->next;
    }
}

/* One chunk for slot `rank` (a rank, or a node leader for its subtree)
 * from the first job it may run: 1 if it got one, 0 if not (its window is
 * full, or its next message), -1 if no job has tasks left. */
static int assign_chunk(tf__coord *co, int rank)
{
    tf__job *head = tf__jobs_head(&co->jobs);
    if (!head) return -1;
    tf__job *prev;
    tf__job *j = tf__jobs_for(head, rank, &prev);
    if (!j) return 0;
    tf__fn_entry *f = &co->fns[j->gid];
    size_t c = tf__sched_chunk(&co->sched, &f->est, j->n - j->next);
    tf__peer *pe = &co->peer[rank];
    /* a node leader's slot stands for `weight` ranks: it is kept as many
     * windows ahead, and gets a chunk for each of them at once, which its
     * relay cuts up again (role/relay.h) */
    size_t weight = co->cfg.weight ? co->cfg.weight[rank] : 1;
    if (pe->inflight >= window_for(co, j, f, c) * weight) return 0;
    if (weight > 1) c = c > (j->n - j->next) / weight ? j->n - j->next : c * weight;
    if (j->sink) { /* an ordered output holds back a bounded amount */
        uint64_t lim = j->sink->limit(j->sink_arg, j->out_base);
        if (lim <= j->next) return 0;
        if (c > lim - j->next) c = (size_t)(lim - j->next);
    }
    if (c > UINT32_MAX) c = UINT32_MAX;
    c = fit_chunk(j, c);
    tf__item it;
    chunk_item(co, j, c, &it);
    tf__link *l = co->cfg.links[rank];
    if (l->ops->full(l, &it)) return 0;
    j->next += c;
    if (prev && j->next >= j->n) tf__jobs_deactivate_after(&co->jobs, prev, j);
    pe->inflight += c;
    pe->hungry = false;
    if (l->ops->put(l, &it, j)) { /* the job is not done until MPI is done with its memory */
        j->bulk_pending++;
        co->term.bulk_pending++;
    }
    return 1;
}

/* Gives chunks to ranks, one chunk per rank per pass, each step starting
 * at the next rank; 1 if it assigned anything. */
static int assign_jobs(tf__coord *co)
{
    int did = 0, size = co->cfg.size;
    size_t start = co->rr++;
    for (bool progress = true; progress;) {
        progress = false;
        for (int i = 0; i < size; i++) {
            int rc = assign_chunk(co, (int)((start + (size_t)i) % (size_t)size));
            if (rc < 0) return did;
            if (rc) progress = true, did = 1;
        }
    }
    return did;
}

/* ---- sharing spawned tasks ------------------------------------------------------- */

/* A rank whose queues its link can see (the coordinator's own) is hungry
 * when they are empty and nothing assigned to it is unreported, whatever it
 * last said: read afresh before each use, so that it gets work before its
 * main thread runs dry, not after it reported so. */
static void look_at_seen_ranks(tf__coord *co)
{
    for (size_t i = 0; i < co->nseen; i++) {
        int r = co->seen[i];
        const tf__link *l = co->cfg.links[r];
        co->peer[r].hungry = l->ops->starved(l) && co->peer[r].inflight == 0;
    }
}

/* Spawned tasks shipped here go to the ranks that ran dry, in equal parts;
 * 1 if it gave any. */
static int give_spare(tf__coord *co)
{
    if (!tf__queue_len(&co->spare)) return 0;
    look_at_seen_ranks(co);
    int size = co->cfg.size, nhungry = 0, did = 0;
    for (int r = 0; r < size; r++) nhungry += co->peer[r].hungry;
    for (int r = 0; r < size && nhungry && tf__queue_len(&co->spare); r++) {
        tf__peer *pe = &co->peer[r];
        if (!pe->hungry) continue;
        size_t give = (tf__queue_len(&co->spare) + (size_t)nhungry - 1) / (size_t)nhungry;
        nhungry--;
        tf__link *l = co->cfg.links[r];
        for (size_t k = 0; k < give; k++) {
            if (k > 0 && l->ops->full(l, tf__queue_front(&co->spare))) break;
            tf__item it;
            tf__queue_pop_front(&co->spare, &it);
            pe->hungry = false;
            l->ops->put(l, &it, NULL);
            did = 1;
        }
    }
    return did;
}

/* The rank to ask for spawned tasks: the one with the longest queue (more
 * than one task) that is not hungry and not asked already; -1 if none. */
static int share_victim(const tf__coord *co)
{
    int best = -1;
    uint64_t longest = 1;
    for (int r = 0; r < co->cfg.size; r++) {
        const tf__peer *pe = &co->peer[r];
        if (pe->share_pending || pe->hungry) continue;
        const tf__link *l = co->cfg.links[r];
        uint64_t q = l->ops->queued(l, pe->qlen);
        if (q > longest) {
            longest = q;
            best = r;
        }
    }
    return best;
}

/* Asks a rank to ship spawned tasks when one is hungry and nothing else is
 * left to give; 1 if it asked. */
static int ask_share(tf__coord *co)
{
    if (tf__jobs_head(&co->jobs) || tf__queue_len(&co->spare)) return 0;
    look_at_seen_ranks(co);
    bool any = false;
    for (int r = 0; r < co->cfg.size && !any; r++) any = co->peer[r].hungry;
    if (!any) return 0;
    int victim = share_victim(co);
    if (victim < 0) return 0;
    tf__peer *pe = &co->peer[victim];
    co->cfg.links[victim]->ops->share(co->cfg.links[victim]);
    pe->share_pending = true;
    pe->qlen = 0;
    return 1;
}

/* ---- a turn -------------------------------------------------------------------------- */

static int central_step(tf__coord *co)
{
    pthread_mutex_lock(&co->lock);
    int did = assign_jobs(co);
    if (co->cfg.peers) { /* ranks steal from each other; waves end the run */
        pthread_mutex_unlock(&co->lock);
        for (int r = 0; r < co->cfg.size; r++) co->cfg.links[r]->ops->flush(co->cfg.links[r]);
        if (did) tf__coord_notify(co);
        return did;
    }
    did |= give_spare(co);
    did |= ask_share(co);
    if (tf__term_stop_due(&co->term)) {
        for (int r = 0; r < co->cfg.size; r++)
            co->cfg.links[r]->ops->stop(co->cfg.links[r], co->term.stop_rv);
        did = 1;
    }
    bool ended = tf__term_ended(&co->term);
    pthread_mutex_unlock(&co->lock);
    for (int r = 0; r < co->cfg.size; r++) co->cfg.links[r]->ops->flush(co->cfg.links[r]);
    if (did) tf__coord_notify(co);
    return ended ? -1 : did;
}

static void central_reset(tf__coord *co) { (void)co; }

const tf__coord_ops tf__coord_central = {"central", central_on_message, central_step,
                                         central_on_sent, central_reset};
