/* farm.c - the driver of tfrun: rank 0's main thread, inside tf_run.
 *
 * A window of slots, one per task in flight. Each slot's task is submitted
 * with tf_submit; the driver waits with tf_wait_any (running tasks of its
 * own meanwhile) and handles each finished attempt:
 *   - failed with retries left: submitted again from the same slot, to
 *     any rank but the one it failed on (tf_submit_ex);
 *   - skipped or interrupted (drain, --deadline): not done, nothing written;
 *   - finished: its output is written (stdout and stderr, --tag, --output),
 *     then its journal record: only then does the task count as done. With
 *     --keep-order the slot holds the output until every task before it has
 *     been written; the window bounds what is held.
 * A task counts as done only once it is recorded: its journal record
 * written (without --journal: its output). If an output or journal write
 * fails (a full disk), or a command's --output-dir files cannot be kept,
 * nothing more is written and no new task starts; the tasks that ran but are
 * not recorded are counted apart, and run again on resume (TFR_EXIT_UNRECORDED).
 * While rank 0 runs a command of its own, the runner calls farm_tick about
 * every 10 ms: finished attempts of the other ranks are handled at once and
 * the window is refilled (rank 0's tasks may submit), not when rank 0's
 * command ends. The driver is then inside tf_wait_any(F->fs): farm_tick
 * never leaves a freed future in F->fs and never empties an entry; a handled
 * future is released only where a new one takes its place in the same step
 * (submit), else the driver's loop releases it. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "median.h"
#include "runner.h"
#include "tfrun.h"

/* A slot's state. */
enum {
    S_FREE,  /* no task */
    S_RUN,   /* its task is submitted (or runs) */
    S_AGAIN, /* its task failed and is to be submitted again */
    S_HELD   /* --keep-order: finished, waits for the tasks before it */
};

/* Output and journal lines wait at most this long (seconds) to be written
 * together with those of the next tasks. */
#define FLUSH_AFTER 0.02
/* ... or until this many bytes wait: a write of that size costs little
 * more than a small one. */
#define FLUSH_AT 65536
#define OBUF_CAP0 65536
/* fdatasync of the journal (and --output) at most this long after a
 * record was written (seconds; docs/tfrun.md). */
#define SYNC_EVERY 1.0
/* On a terminal the progress bar is redrawn this often (seconds). */
#define BAR_EVERY 0.25
/* The default --window: tasks a rank, and more, so that a rank's next
 * task waits for it while its last result travels. */
#define WINDOW_PER_RANK 4
#define WINDOW_EXTRA 16
/* The summary lists each rank's busy share up to this many ranks, and the
 * mean and maximum beyond. */
#define SHARES_LISTED_MAX 16
/* An ETA above this (seconds, some years) is no estimate: "?". */
#define ETA_MAX 1e8
/* A failed task's line shows this much of its command (columns). */
#define CMD_SHOWN 60
/* The summary lists this many failed ids, then a count. */
#define FAILED_IDS_SHOWN 10
/* Two streams of rank 0 that the launcher forwards through two pipes (or
 * a pty for standard output, as Open MPI's mpirun makes it) reach their
 * common destination in no fixed order. Before a write to one of them must
 * follow what was written to the other, tfrun waits until the launcher has
 * read that pipe (at most SETTLE_MAX seconds) and SETTLE_AFTER seconds more
 * for it to pass the bytes on; a pty tells nothing of what it holds, so
 * there it waits SETTLE_TTY seconds. */
#define SETTLE_MAX 0.5
#define SETTLE_AFTER 0.002
#define SETTLE_TTY 0.02
#define SETTLE_POLL 0.0005

/* One task in flight (or held, --keep-order). */
typedef struct slot {
    int state; /* S_* */
    tf_future *f;
    bool handled;   /* f is done and was handled; release it */
    size_t task;    /* index into pl->tf.v */
    size_t order;   /* index into pl->todo: its place in --keep-order */
    unsigned tries; /* attempts submitted */
    int avoid_rank; /* a retry goes elsewhere; -1: any rank */
    char *in;       /* the task's input (tfr_in and the command) */
    size_t in_cap;
    bool print; /* S_HELD: output to write (else: not done) */
    tfr_out h;  /* S_HELD: the result, and its output in data */
    char *data;
} slot;

/* A task whose output and record wait to be written: where they end in
 * the farm's ob and jb, so that after a write that failed half way those
 * written whole still count. */
typedef struct pend {
    size_t ob_end, jb_end;
    bool ok;
} pend;

typedef struct farm {
    tf_pool *pool;
    tfr_plan *pl;
    unsigned nslots; /* --window */
    slot *slots;
    tf_future **fs; /* each slot's future, for tf_wait_any */
    size_t next;    /* the next task of pl->todo to submit */
    size_t head;    /* --keep-order: the next task of pl->todo to write */
    bool stopping;
    int stop_sig;                 /* the signal that stopped it, 0 if none */
    const char *stop_why;         /* or why else */
    bool write_failed;            /* nothing more is written */
    char lost_what[TFR_PATH_CAP]; /* what could not be written, and why */
    int lost_err;
    uint64_t lost;                /* tasks that ran but are not recorded */
    bool order_cut;               /* --keep-order: a task was not done; write no more */
    uint64_t ok, failed, retried; /* "not run" is what is left of ntodo */
    double t0;
    tfr_median med; /* of the run times */
    double *busy;   /* per rank: seconds its tasks ran */
    int size;
    bool tty;           /* progress as a bar */
    bool bar;           /* a bar is on the screen */
    bool bar_forced;    /* --bar on a pipe: finished with a newline, not erased */
    bool out_since_bar; /* standard output written since the bar was drawn */
    /* this run's failed tasks, in the order they failed */
    uint64_t *fail_ids;
    size_t nfail_ids, fail_cap;
    bool halted; /* --halt stopped the run */
    uint64_t halted_by;
    FILE *joblog; /* --joblog */
    double next_progress, last_sync;
    /* standard output (or --output) and journal lines wait here, output
     * first, until flush(): one write each for many tasks */
    struct obuf {
        char *b;
        size_t len, cap;
    } ob, jb, eb; /* eb: one task's stderr block, written at once */
    double ob_t0; /* when the oldest byte waiting came */
    pend *pend;   /* the tasks whose output and records wait, in order */
    size_t npend, pend_cap;
    uint64_t sync_ok, sync_fail; /* tasks recorded since the last fdatasync */
} farm;

/* ---- output ------------------------------------------------------------------ */

/* 0, or the errno with *done the bytes written before it. */
static int write_all(int fd, const char *p, size_t n, size_t *done)
{
    *done = 0;
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return errno;
        p += w;
        n -= (size_t)w;
        *done += (size_t)w;
    }
    return 0;
}

static void sleep_s(double s)
{
    struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};
    nanosleep(&ts, NULL);
}

/* Waits until what was written to fd has gone on ahead of what is written
 * next to the other of standard output and error. Nothing to wait for if
 * both are one file (a terminal, a file): it keeps the order of writes. */
static void settle(int fd)
{
    struct stat st, other;
    if (fstat(fd, &st) < 0) return;
    if (fstat(fd == 2 ? 1 : 2, &other) == 0 && other.st_dev == st.st_dev &&
        other.st_ino == st.st_ino && other.st_rdev == st.st_rdev)
        return;
    if (S_ISFIFO(st.st_mode)) {
        double until = tfr_mono() + SETTLE_MAX;
        int n;
        while (ioctl(fd, FIONREAD, &n) == 0 && n > 0 && tfr_mono() < until) sleep_s(SETTLE_POLL);
        sleep_s(SETTLE_AFTER);
    } else if (isatty(fd)) {
        sleep_s(SETTLE_TTY);
    }
}

/* Before anything else is written: the bar is erased (a terminal), or its
 * line ended (--bar on a pipe, which keeps every byte: an erased bar would
 * leave its text on the line the next write continues). */
static void clear_bar(farm *F)
{
    if (!F->bar) return;
    if (F->bar_forced)
        (void)!write(2, "\n", 1);
    else
        (void)!write(2, "\r\033[K", 4);
    F->bar = false;
    if (F->bar_forced) settle(2); /* the line's end before the output that follows */
}

static char *ob_room(struct obuf *o, size_t n)
{
    if (o->cap - o->len < n) {
        size_t nc = o->cap ? o->cap : OBUF_CAP0;
        while (nc - o->len < n) nc *= 2;
        char *nb = realloc(o->b, nc);
        if (!nb) return NULL;
        o->b = nb;
        o->cap = nc;
    }
    return o->b + o->len;
}

/* One task's stream, whole, at the end of o: tagged ("ID<TAB>" before
 * every line, and a newline at the end) or as the command wrote it. */
static int put_block(struct obuf *o, uint64_t id, const char *p, size_t n)
{
    if (!n) return 0;
    char tag[32];
    int tl = tfr_opt.tag ? snprintf(tag, sizeof tag, "%" PRIu64 "\t", id) : 0;
    size_t lines = 1;
    if (tl)
        for (size_t i = 0; i < n; i++) lines += p[i] == '\n';
    char *d = ob_room(o, n + lines * (size_t)tl + 1);
    if (!d) return ENOMEM;
    if (!tl) {
        memcpy(d, p, n);
        o->len += n;
        return 0;
    }
    size_t k = 0;
    bool at_start = true;
    for (size_t i = 0; i < n; i++) {
        if (at_start) {
            memcpy(d + k, tag, (size_t)tl);
            k += (size_t)tl;
        }
        d[k++] = p[i];
        at_start = p[i] == '\n';
    }
    if (!at_start) d[k++] = '\n';
    o->len += k;
    return 0;
}

/* Starts no new task from now on: what no rank has been given yet is
 * taken back (tf_future_cancel); what a rank has runs, or is skipped there
 * when that rank got the signal too. */
static void stop(farm *F, int sig, const char *why)
{
    if (F->stopping) return;
    F->stopping = true;
    F->stop_sig = sig;
    F->stop_why = why;
    for (unsigned i = 0; i < F->nslots; i++) {
        slot *s = &F->slots[i];
        if (s->state == S_RUN && s->f && !s->handled) tf_future_cancel(s->f);
    }
}

static const char *out_name(void)
{
    return tfr_opt.output_file ? tfr_opt.output_file : "standard output";
}

/* The work can no longer be recorded (what: the file, e: the errno): the
 * first time, says so and stops the farm. */
static void record_failed(farm *F, const char *what, int e)
{
    if (F->write_failed) return;
    F->write_failed = true;
    snprintf(F->lost_what, sizeof F->lost_what, "%s", what);
    F->lost_err = e;
    fprintf(stderr, "tfrun: %s: %s; stopping\n", what, strerror(e));
    stop(F, 0, "could not record");
}

/* A task counted as done that is not recorded after all. */
static void unrecord(farm *F, bool ok)
{
    if (ok)
        F->ok--;
    else
        F->failed--;
    F->lost++;
}

/* Writes the waiting output, then the journal lines of its tasks: a record
 * never reaches the journal before its output is out. If the output cannot
 * be written, its tasks are not recorded (they run again on resume); if the
 * journal cannot, those whose records are not whole in it. */
static void flush(farm *F)
{
    tfr_plan *pl = F->pl;
    size_t ow = 0, jw = 0;
    if (F->ob.len && pl->out_fd == 1) {
        clear_bar(F);
        F->out_since_bar = true;
    }
    int eo = F->ob.len ? write_all(pl->out_fd, F->ob.b, F->ob.len, &ow) : 0;
    if (eo) record_failed(F, out_name(), eo);
    if (!eo && F->jb.len) {
        int ej = write_all(pl->journal_fd, F->jb.b, F->jb.len, &jw);
        if (ej) record_failed(F, tfr_opt.journal, ej);
    }
    for (size_t k = 0; k < F->npend; k++) {
        const pend *p = &F->pend[k];
        bool kept = pl->journal_fd >= 0 ? !eo && p->jb_end <= jw : p->ob_end <= ow;
        if (!kept)
            unrecord(F, p->ok);
        else if (p->ok)
            F->sync_ok++;
        else
            F->sync_fail++;
    }
    F->npend = 0;
    F->ob.len = F->jb.len = 0;
    F->ob_t0 = 0;
    if (F->joblog) fflush(F->joblog);
}

/* fdatasync of the --output file and the journal: the records written
 * since the last one are durable only if it succeeds. */
static void sync_records(farm *F)
{
    tfr_plan *pl = F->pl;
    if (pl->journal_fd < 0) return;
    flush(F);
    /* EINVAL: a device or pipe, which keeps nothing to sync */
    if (pl->out_off >= 0 && fdatasync(pl->out_fd) < 0 && errno != EINVAL)
        record_failed(F, out_name(), errno);
    else if (fdatasync(pl->journal_fd) < 0)
        record_failed(F, tfr_opt.journal, errno);
    else
        F->sync_ok = F->sync_fail = 0;
    for (; F->sync_ok; F->sync_ok--) unrecord(F, true);
    for (; F->sync_fail; F->sync_fail--) unrecord(F, false);
}

/* Appends a task's standard output to what waits (if memory is short,
 * after writing what waits). False if even that fails: then nothing more
 * is written. */
static bool queue_output(farm *F, uint64_t id, const tfr_out *h, const char *data)
{
    tfr_plan *pl = F->pl;
    size_t before = F->ob.len;
    if (put_block(&F->ob, id, data, h->out_len)) {
        flush(F); /* out of memory: write what waits, then this one alone */
        if (F->write_failed || put_block(&F->ob, id, data, h->out_len)) {
            record_failed(F, out_name(), ENOMEM);
            return false;
        }
        before = 0;
    }
    if (pl->out_off >= 0) pl->out_off += (int64_t)(F->ob.len - before);
    return true;
}

/* A task's standard error: at once, in one write. */
static void write_err_block(farm *F, uint64_t id, const char *p, size_t n)
{
    clear_bar(F);
    F->eb.len = 0;
    size_t done;
    if (put_block(&F->eb, id, p, n) == 0) (void)write_all(2, F->eb.b, F->eb.len, &done);
}

/* Room for a task's record in jb and its entry in pend, made before its
 * output is queued, so that a task is queued whole or not at all (if memory
 * is short, after writing what waits). False if even that fails. */
static bool reserve(farm *F)
{
    for (int round = 0; round < 2; round++) {
        if (round) flush(F);
        if (F->write_failed) return false;
        if (F->npend == F->pend_cap) {
            size_t nc = F->pend_cap ? 2 * F->pend_cap : 64;
            pend *np = realloc(F->pend, nc * sizeof *np);
            if (!np) continue;
            F->pend = np;
            F->pend_cap = nc;
        }
        if (F->pl->journal_fd < 0 || ob_room(&F->jb, TFR_JOURNAL_LINE_MAX)) return true;
    }
    record_failed(F, F->pl->journal_fd >= 0 ? tfr_opt.journal : out_name(), ENOMEM);
    return false;
}

/* Appends the task's journal record to what waits, after its output (in
 * the room reserve() made). */
static void queue_record(farm *F, const slot *s, const tfr_out *h)
{
    tfr_plan *pl = F->pl;
    tfr_jrec r = {
        .id = pl->tf.v[s->task].id,
        .kind = h->kind,
        .code = h->code,
        .rank = h->rank,
        .start = h->start,
        .end = h->end,
        .seconds = h->end > h->start ? h->end - h->start : 0,
        .out_bytes = h->out_total,
        .err_bytes = h->err_total,
        .tries = s->tries,
        .out_end = pl->out_off,
    };
    memcpy(r.host, h->host, sizeof r.host);
    r.host[sizeof r.host - 1] = 0;
    F->jb.len += tfr_journal_format(F->jb.b + F->jb.len, TFR_JOURNAL_LINE_MAX, &r);
}

/* The command on one line, at most CMD_SHOWN columns, into b. */
static void cmd_shown(char *b, size_t cap, const char *cmd)
{
    size_t k = 0, n = 0;
    for (const char *p = cmd; *p && k + 4 < cap; p++) {
        if (n == CMD_SHOWN) {
            memcpy(b + k, "...", 3);
            k += 3;
            break;
        }
        unsigned char c = (unsigned char)*p;
        b[k++] = c == '\n' || c == '\t' || c == '\r' ? ' ' : c < 0x20 ? '?' : (char)c;
        if ((c & 0xc0) != 0x80) n++; /* a UTF-8 character is one column */
    }
    b[k] = 0;
}

/* "exit 3", "killed by SIGKILL", ... */
static void outcome(char *b, size_t cap, const tfr_out *h)
{
    switch (h->kind) {
    case TFR_ST_EXIT: snprintf(b, cap, "exit %d", h->code); break;
    case TFR_ST_SIGNAL:
        snprintf(b, cap, "killed by SIG%s", sigabbrev_np(h->code) ? sigabbrev_np(h->code) : "?");
        break;
    case TFR_ST_TIMEOUT: snprintf(b, cap, "timed out (--timeout)"); break;
    default: snprintf(b, cap, "not started: %s", strerror(h->code)); break;
    }
}

/* A task that failed for good: a line on stderr, its id kept for the
 * summary. */
static void failed_line(farm *F, const slot *s, const tfr_out *h)
{
    const tfr_task *tk = &F->pl->tf.v[s->task];
    if (F->nfail_ids == F->fail_cap) {
        size_t nc = F->fail_cap ? 2 * F->fail_cap : 64;
        uint64_t *nv = realloc(F->fail_ids, nc * sizeof *nv);
        if (nv) F->fail_ids = nv, F->fail_cap = nc;
    }
    if (F->nfail_ids < F->fail_cap) F->fail_ids[F->nfail_ids++] = tk->id;
    char how[96], cmd[CMD_SHOWN * 4 + 8], tries[32] = "";
    outcome(how, sizeof how, h);
    cmd_shown(cmd, sizeof cmd, F->pl->tf.text + tk->off);
    if (s->tries > 1) snprintf(tries, sizeof tries, ", %u tries", s->tries);
    clear_bar(F);
    if (h->rank >= 0)
        fprintf(stderr, "tfrun: task %" PRIu64 " failed: %s (rank %d on %s, %.2f s%s): %s\n",
                tk->id, how, h->rank, h->host, h->end > h->start ? h->end - h->start : 0, tries,
                cmd);
    else
        fprintf(stderr, "tfrun: task %" PRIu64 " failed: %s%s: %s\n", tk->id, how, tries, cmd);
}

/* --joblog: the task's line in GNU parallel's format. */
static void joblog_line(farm *F, const tfr_task *tk, const tfr_out *h)
{
    int exitval = 0, sig = 0;
    switch (h->kind) {
    case TFR_ST_EXIT: exitval = h->code; break;
    case TFR_ST_SIGNAL: sig = h->code; break;
    case TFR_ST_TIMEOUT: exitval = -1, sig = SIGTERM; break; /* as parallel's --timeout */
    default: exitval = -1; break;
    }
    fprintf(F->joblog, "%" PRIu64 "\t%s\t%.3f\t%10.3f\t0\t%" PRIu64 "\t%d\t%d\t", tk->id,
            h->host[0] ? h->host : ":", h->start, h->end > h->start ? h->end - h->start : 0,
            h->out_total, exitval, sig);
    /* one line a task: tabs and newlines of the command become spaces */
    for (const char *p = F->pl->tf.text + tk->off; *p; p++)
        fputc(*p == '\n' || *p == '\t' || *p == '\r' ? ' ' : *p, F->joblog);
    fputc('\n', F->joblog);
}

/* --halt: stops the farm once its condition holds (this run's tasks). */
static void check_halt(farm *F, uint64_t id, bool ok)
{
    const tfr_halt *hs = &tfr_opt.halt;
    if (F->halted || hs->when == TFR_HALT_NEVER) return;
    if (!tfr_halt_due(hs, F->ok, F->failed, F->pl->ntodo)) return;
    F->halted = true;
    F->halted_by = id;
    clear_bar(F);
    fprintf(stderr, "tfrun: --halt %s: task %" PRIu64 " %s: %s\n", tfr_opt.halt_spec, id,
            ok ? "succeeded" : "failed",
            hs->when == TFR_HALT_NOW ? "stopping the running tasks"
                                     : "starting no new task, the running ones finish");
    stop(F, 0, "--halt");
    if (hs->when == TFR_HALT_NOW) tfr_halt_send();
}

/* Writes a finished task's output, then its journal record, and counts it. */
static void finish(farm *F, slot *s, const tfr_out *h, const char *data)
{
    tfr_plan *pl = F->pl;
    const tfr_task *tk = &pl->tf.v[s->task];
    bool ok = h->kind == TFR_ST_EXIT && h->code == 0;
    if (h->rank >= 0 && h->rank < F->size) F->busy[h->rank] += h->end - h->start;
    /* once nothing more is written, it runs again on resume */
    if (!reserve(F) || !queue_output(F, tk->id, h, data)) {
        F->lost++;
        return;
    }
    if (!F->ob_t0) F->ob_t0 = tfr_mono();
    /* under --output-dir the totals are the files' sizes, and nothing is kept here */
    if (!tfr_opt.output_dir && (h->out_total > h->out_len || h->err_total > h->err_len))
        fprintf(stderr,
                "tfrun: task %" PRIu64 ": output past --max-output dropped (%" PRIu64
                " and %" PRIu64 " bytes written, %" PRIu64 " and %" PRIu64 " kept)\n",
                tk->id, h->out_total, h->err_total, h->out_len, h->err_len);
    if (h->err_len) write_err_block(F, tk->id, data + h->out_len, h->err_len);
    if (pl->journal_fd >= 0) queue_record(F, s, h);
    F->pend[F->npend++] = (pend){F->ob.len, F->jb.len, ok};
    if (F->joblog) joblog_line(F, tk, h);
    if (ok) {
        F->ok++;
    } else {
        F->failed++;
        failed_line(F, s, h);
    }
    check_halt(F, tk->id, ok);
    if (F->ob.len >= FLUSH_AT || F->jb.len >= FLUSH_AT) flush(F);
}

/* Writes held outputs in task order. After a task that was not done
 * (stopped), nothing more is written: the tasks after it are not recorded
 * either and run again, in order, on resume. */
static void flush_ordered(farm *F)
{
    for (bool again = true; again;) {
        again = false;
        for (unsigned i = 0; i < F->nslots; i++) {
            slot *s = &F->slots[i];
            if (s->state != S_HELD || s->order != F->head) continue;
            if (!s->print) F->order_cut = true;
            if (s->print && !F->order_cut) finish(F, s, &s->h, s->data);
            free(s->data);
            s->data = NULL;
            s->state = S_FREE;
            F->head++;
            again = true;
        }
    }
}

static void not_done(farm *F, slot *s)
{
    if (tfr_opt.keep_order) {
        s->state = S_HELD;
        s->print = false;
        flush_ordered(F);
    } else {
        s->state = S_FREE;
    }
}

/* An attempt's result (rc and the bytes the future gave) into *h; returns
 * where its output starts. A lost or malformed result counts as a task
 * that could not start (EIO), with no output. */
static const char *read_result(const farm *F, const slot *s, int rc, const char *o, size_t len,
                               tfr_out *h)
{
    if (rc != 0 || len < sizeof *h) {
        const char *why = rc ? tf_future_error(s->f) : "short result";
        fprintf(stderr, "tfrun: task %" PRIu64 ": %s\n", F->pl->tf.v[s->task].id,
                why ? why : tf_strerror(rc));
        memset(h, 0, sizeof *h);
        h->what = TFR_RAN;
        h->kind = TFR_ST_NOSTART;
        h->code = EIO;
        h->rank = -1;
        return (const char *)(h + 1);
    }
    memcpy(h, o, sizeof *h);
    if (h->out_len + h->err_len != len - sizeof *h) {
        h->out_len = h->err_len = 0;
        h->kind = TFR_ST_NOSTART;
        h->code = EIO;
    }
    return o + sizeof *h;
}

/* A finished attempt: not done (the drain, --deadline), tried again, held
 * for --keep-order, or finished. */
static void handle(farm *F, slot *s, int rc, const char *o, size_t len)
{
    if (rc == TF_ECANCELED) { /* taken back by stop() before it ran */
        not_done(F, s);
        return;
    }
    tfr_out h;
    const char *data = read_result(F, s, rc, o, len, &h);
    switch (h.what) {
    case TFR_LOST: { /* --output-dir: ran (or not), its output could not be kept */
        char what[TFR_PATH_CAP];
        snprintf(what, sizeof what, "--output-dir %s: task %" PRIu64, tfr_opt.output_dir,
                 F->pl->tf.v[s->task].id);
        record_failed(F, what, h.code);
        if (h.kind != TFR_ST_NOSTART) F->lost++;
        if (h.rank >= 0 && h.rank < F->size) F->busy[h.rank] += h.end - h.start;
        not_done(F, s);
        return;
    }
    case TFR_SKIPPED:
    case TFR_INTERRUPTED:
        /* a rank that got the signal (or saw the deadline) before rank 0 */
        if (h.code == TFR_HALT_CODE)
            stop(F, 0, "--halt");
        else if (h.code > 0)
            stop(F, h.code, NULL);
        else
            stop(F, 0, "--deadline");
        not_done(F, s);
        return;
    default: break;
    }
    bool ok = h.kind == TFR_ST_EXIT && h.code == 0;
    if (h.kind != TFR_ST_NOSTART && h.end > h.start) tfr_median_add(&F->med, h.end - h.start);
    if (!ok && s->tries <= tfr_opt.retries && !F->stopping) {
        F->retried++;
        s->avoid_rank = h.rank;
        s->state = S_AGAIN;
        return;
    }
    if (tfr_opt.keep_order) {
        s->h = h;
        s->data = malloc(h.out_len + h.err_len + 1);
        if (!s->data) {
            s->h.out_len = s->h.err_len = 0;
            fprintf(stderr, "tfrun: task %" PRIu64 ": out of memory for its output\n",
                    F->pl->tf.v[s->task].id);
        } else {
            memcpy(s->data, data, h.out_len + h.err_len);
        }
        s->state = S_HELD;
        s->print = true;
        flush_ordered(F);
        return;
    }
    finish(F, s, &h, data);
    s->state = S_FREE;
}

/* Handles every finished attempt that is not handled yet. */
static void harvest(farm *F)
{
    for (unsigned i = 0; i < F->nslots; i++) {
        slot *s = &F->slots[i];
        if (s->state != S_RUN || !s->f || s->handled) continue;
        const void *o;
        size_t len;
        int rc = tf_future_result(s->f, &o, &len);
        if (rc == TF_EBUSY) continue;
        s->handled = true;
        handle(F, s, rc, o, len);
    }
}

/* ---- progress ------------------------------------------------------------------ */

static void fmt_dur(char *b, size_t cap, double s)
{
    if (!(s >= 0) || s > ETA_MAX) {
        snprintf(b, cap, "?");
        return;
    }
    unsigned long t = (unsigned long)(s + 0.5);
    if (t >= 3600)
        snprintf(b, cap, "%lu:%02lu:%02lu", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(b, cap, "%lu:%02lu", t / 60, t % 60);
}

static void progress(farm *F, bool force)
{
    double now = tfr_mono();
    if ((F->ob.len || F->jb.len || F->npend) && now - F->ob_t0 >= FLUSH_AFTER) flush(F);
    if (F->pl->journal_fd >= 0 && now - F->last_sync >= SYNC_EVERY) {
        sync_records(F);
        tfr_journal_watch(F->pl);
        F->last_sync = now;
    }
    if (tfr_opt.quiet || tfr_opt.progress_s <= 0) return;
    double every = F->tty ? BAR_EVERY : tfr_opt.progress_s;
    if (!force && now < F->next_progress) return;
    F->next_progress = now + every;
    uint64_t done = F->ok + F->failed;
    double el = now - F->t0, rate = el > 0 ? (double)done / el : 0;
    uint64_t left = F->pl->ntodo > done ? F->pl->ntodo - done : 0;
    char eta[32];
    fmt_dur(eta, sizeof eta, rate > 0 ? (double)left / rate : -1);
    /* the task output written since the bar was last drawn comes first */
    if (F->tty && F->bar_forced && F->out_since_bar) settle(F->pl->out_fd);
    F->out_since_bar = false;
    char line[256];
    int n = snprintf(
        line, sizeof line, "%stfrun: %" PRIu64 "/%zu done, %" PRIu64 " failed, %.1f/s, ETA %s%s",
        F->tty ? "\r\033[K" : "", done, F->pl->ntodo, F->failed, rate, eta, F->tty ? "" : "\n");
    if (n > 0) (void)!write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    F->bar = F->tty;
}

static int fill(farm *F);

/* While rank 0's own command runs: handle what the other ranks finished and
 * keep the window full (rank 0's tasks may submit: taskfarm.h). */
static void farm_tick(void *arg)
{
    farm *F = arg;
    if (tfr_drain) stop(F, tfr_drain, NULL);
    harvest(F);
    if (fill(F) < 0 && !F->stopping) {
        fprintf(stderr, "tfrun: cannot submit a task: %s\n", tf_pool_errmsg(F->pool));
        stop(F, 0, "submit error");
    }
    progress(F, false);
}

/* ---- submission ------------------------------------------------------------------ */

static bool past_deadline(farm *F)
{
    return tfr_opt.deadline > 0 && tfr_wall() + tfr_median_get(&F->med) > tfr_opt.deadline;
}

static int submit(farm *F, unsigned i)
{
    slot *s = &F->slots[i];
    const tfr_task *tk = &F->pl->tf.v[s->task];
    size_t need = sizeof(tfr_in) + tk->len + 1;
    if (need > s->in_cap) {
        char *nb = realloc(s->in, need);
        if (!nb) return TF_ENOMEM;
        s->in = nb;
        s->in_cap = need;
    }
    tfr_in q = {.id = tk->id};
    q.timeout_s = tfr_opt.timeout_s;
    if (tfr_opt.timeout_pct > 0)
        q.timeout_s = tfr_median_count(&F->med) >= TIMEOUT_PCT_MIN_RUNS
                          ? tfr_median_get(&F->med) * tfr_opt.timeout_pct / 100
                          : 0;
    q.deadline = tfr_opt.deadline;
    q.est_s = tfr_median_get(&F->med);
    memcpy(s->in, &q, sizeof q);
    memcpy(s->in + sizeof q, F->pl->tf.text + tk->off, tk->len + 1);
    /* a retry goes to another rank than the one it failed on */
    tf_submit_opts so = {s->avoid_rank >= 0 ? TF_SUBMIT_AVOID : 0, s->avoid_rank};
    tf_future *nf;
    int rc = tf_submit_ex(F->pool, "cmd", s->in, need, &so, &nf);
    if (rc < 0) return rc;
    /* the slot's last future (handled: its input is no longer read) gives
     * way to the new one in one step, so that tf_wait_any, which may be
     * looking at F->fs from below farm_tick, never sees a freed future nor
     * an array of NULLs */
    if (s->f) tf_future_release(&s->f);
    s->f = nf;
    F->fs[i] = nf;
    s->tries++;
    s->handled = false;
    s->state = S_RUN;
    return 0;
}

static void release_handled(farm *F)
{
    for (unsigned i = 0; i < F->nslots; i++) {
        slot *s = &F->slots[i];
        if (s->f && s->handled) {
            tf_future_release(&s->f);
            F->fs[i] = NULL;
        }
    }
}

static int fill(farm *F)
{
    for (unsigned i = 0; i < F->nslots; i++) {
        slot *s = &F->slots[i];
        if (s->state != S_AGAIN || (s->f && !s->handled)) continue;
        if (F->stopping || past_deadline(F)) {
            if (!F->stopping) stop(F, 0, "--deadline");
            not_done(F, s);
            continue;
        }
        int rc = submit(F, i);
        if (rc < 0) return rc;
    }
    for (unsigned i = 0; i < F->nslots && !F->stopping && F->next < F->pl->ntodo; i++) {
        slot *s = &F->slots[i];
        if (s->state != S_FREE || (s->f && !s->handled)) continue;
        if (tfr_opt.keep_order && F->next >= F->head + F->nslots) break;
        if (past_deadline(F)) {
            stop(F, 0, "--deadline");
            break;
        }
        s->task = F->pl->todo[F->next];
        s->order = F->next++;
        s->tries = 0;
        s->avoid_rank = -1;
        int rc = submit(F, i);
        if (rc < 0) return rc;
    }
    return 0;
}

static bool any_running(const farm *F)
{
    for (unsigned i = 0; i < F->nslots; i++)
        if (F->slots[i].state == S_RUN) return true;
    return false;
}

/* ---- the end ------------------------------------------------------------------ */

/* The command line to go on with: this one with --resume, without
 * --deadline, each word quoted for sh. */
static void resume_hint(const farm *F)
{
    const tfr_plan *pl = F->pl;
    if (!tfr_opt.journal) {
        fprintf(stderr, "tfrun: without --journal a rerun starts from the first task again\n");
        return;
    }
    enum { ROOM = 16 }; /* kept free for " --resume" */
    char line[4096];
    size_t len = 0;
    bool has_resume = false;
    for (int i = 0; i < pl->argc; i++)
        has_resume |= !strcmp(pl->argv[i], "--resume") || !strcmp(pl->argv[i], "--resume-failed") ||
                      !strcmp(pl->argv[i], "--resume-or-start");
    for (int i = 0; i < pl->argc && len < sizeof line - ROOM; i++) {
        const char *a = i == 0 ? "tfrun" : pl->argv[i];
        if (!a) break;
        if (!strcmp(a, "--deadline")) { /* passed; the next job sets its own */
            i++;
            continue;
        }
        /* quoted as sh wants it: a word may hold spaces, quotes, $... */
        char *q = NULL;
        size_t qn = 0, qcap = 0;
        if (tfr_args_quote(&q, &qn, &qcap, a, strlen(a))) break;
        int n = snprintf(line + len, sizeof line - len, "%s%.*s", i ? " " : "", (int)qn, q);
        free(q);
        if (n > 0) len += (size_t)n;
        if (i == 0 && !has_resume && len < sizeof line - ROOM) {
            n = snprintf(line + len, sizeof line - len, " --resume");
            if (n > 0) len += (size_t)n;
        }
    }
    if (len >= sizeof line) len = sizeof line - 1;
    line[len] = 0;
    fprintf(stderr, "tfrun: to go on, run under the same launcher: %s\n", line);
}

/* The ids of this run's failed tasks, the first few and a count. */
static void failed_ids_line(const farm *F)
{
    if (!F->failed || !F->nfail_ids) return;
    char b[FAILED_IDS_SHOWN * 24 + 64];
    size_t o = 0;
    for (size_t k = 0; k < F->nfail_ids && k < FAILED_IDS_SHOWN; k++)
        o += (size_t)snprintf(b + o, sizeof b - o, "%s%" PRIu64, k ? ", " : "", F->fail_ids[k]);
    if (F->nfail_ids > FAILED_IDS_SHOWN) snprintf(b + o, sizeof b - o, ", ...");
    fprintf(stderr, "tfrun: failed tasks: %s (%" PRIu64 " in all)\n", b, F->failed);
}

static int summary_code(farm *F, uint64_t left, uint64_t failed_all);

static int summary(farm *F)
{
    tfr_plan *pl = F->pl;
    clear_bar(F);
    /* every task's output before the summary, where a launcher forwards them */
    if (pl->out_fd == 1) settle(1);
    double wall = tfr_mono() - F->t0;
    uint64_t ran = F->ok + F->failed; /* and recorded */
    uint64_t left = pl->ntodo - ran - F->lost;
    uint64_t failed_all = F->failed + (tfr_opt.resume_failed ? 0 : pl->done_failed);
    if (!tfr_opt.quiet) {
        fprintf(stderr,
                "tfrun: %zu tasks: %" PRIu64 " succeeded, %" PRIu64 " failed, %" PRIu64
                " retried, %" PRIu64 " not run; %" PRIu64 " done before (journal); %.3f s, %.1f "
                "tasks/s\n",
                pl->tf.n, F->ok, F->failed, F->retried, left, pl->done_ok + pl->done_failed, wall,
                wall > 0 ? (double)ran / wall : 0);
        char b[1024];
        size_t o = 0;
        double mx = 0, sum = 0;
        for (int r = 0; r < F->size; r++) {
            double sh = wall > 0 ? F->busy[r] / wall : 0;
            mx = sh > mx ? sh : mx;
            sum += sh;
            if (F->size <= SHARES_LISTED_MAX && o < sizeof b) {
                int n = snprintf(b + o, sizeof b - o, "%s%d %.1f%%", r ? ", " : "", r, 100 * sh);
                if (n > 0) o += (size_t)n;
            }
        }
        if (F->size <= SHARES_LISTED_MAX)
            fprintf(stderr, "tfrun: busy share per rank: %s\n", b);
        else
            fprintf(stderr, "tfrun: busy share: mean %.1f%%, max %.1f%% over %d ranks\n",
                    100 * sum / F->size, 100 * mx, F->size);
        failed_ids_line(F);
    }
    int code = summary_code(F, left, failed_all);
    if (tfr_opt.summary_json) {
        const char *by = NULL;
        if (F->write_failed)
            by = "could not record";
        else if (F->stop_sig)
            by = sigabbrev_np(F->stop_sig) ? sigabbrev_np(F->stop_sig) : "signal";
        else if (F->stopping && F->stop_why)
            by = F->stop_why;
        char sig[32];
        if (F->stop_sig && !F->write_failed) snprintf(sig, sizeof sig, "SIG%s", by), by = sig;
        tfr_result r = {
            .tasks = pl->tf.n,
            .to_run = pl->ntodo,
            .succeeded = F->ok,
            .failed = F->failed,
            .retried = F->retried,
            .not_run = left,
            .not_recorded = F->lost,
            .done_before = pl->done_ok + pl->done_failed,
            .failed_before = pl->done_failed,
            .failed_ids = F->fail_ids,
            .nfailed_ids = F->nfail_ids,
            .elapsed_s = wall,
            .ranks = F->size,
            .exit_status = code,
            .halted = F->halted,
            .halted_by = F->halted_by,
            .stopped_by = by,
        };
        tfr_summary_json(tfr_opt.summary_json, &r);
    }
    return code;
}

/* The exit status, after the lines that explain it. */
static int summary_code(farm *F, uint64_t left, uint64_t failed_all)
{
    tfr_plan *pl = F->pl;
    if (F->write_failed) {
        fprintf(stderr,
                "tfrun: could not record the work (%s: %s): %" PRIu64 " task%s ran but %s not "
                "recorded\n",
                F->lost_what, strerror(F->lost_err), F->lost, F->lost == 1 ? "" : "s",
                F->lost == 1 ? "is" : "are");
        resume_hint(F);
        return TFR_EXIT_UNRECORDED;
    }
    if (F->stopping && left &&
        (F->stop_sig || (F->stop_why && !strcmp(F->stop_why, "--deadline")))) {
        if (F->stop_sig)
            fprintf(stderr, "tfrun: stopped by SIG%s: %" PRIu64 " of %zu tasks not done\n",
                    sigabbrev_np(F->stop_sig) ? sigabbrev_np(F->stop_sig) : "?", left, pl->ntodo);
        else
            fprintf(stderr, "tfrun: stopped by --deadline: %" PRIu64 " of %zu tasks not done\n",
                    left, pl->ntodo);
        resume_hint(F);
        return TFR_EXIT_STOPPED;
    }
    if (F->halted) {
        const tfr_halt *hs = &tfr_opt.halt;
        fprintf(stderr,
                "tfrun: halted by task %" PRIu64 " (--halt %s): %" PRIu64 " of %zu tasks not run\n",
                F->halted_by, tfr_opt.halt_spec, left, pl->ntodo);
        /* as GNU parallel: success=N is a success, whatever else failed */
        if (hs->why == TFR_HALT_SUCCESS) return TFR_EXIT_OK;
        if (hs->why == TFR_HALT_DONE) return failed_all ? TFR_EXIT_FAILED : TFR_EXIT_OK;
        return TFR_EXIT_FAILED;
    }
    if (failed_all || left) return TFR_EXIT_FAILED;
    return TFR_EXIT_OK;
}

int tfr_summary_json(const char *path, const tfr_result *r)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "tfrun: warning: --summary-json %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f,
            "{\"tasks\": %" PRIu64 ", \"to_run\": %" PRIu64 ", \"succeeded\": %" PRIu64
            ", \"failed\": %" PRIu64 ", \"failed_ids\": [",
            r->tasks, r->to_run, r->succeeded, r->failed);
    for (size_t k = 0; k < r->nfailed_ids; k++)
        fprintf(f, "%s%" PRIu64, k ? ", " : "", r->failed_ids[k]);
    fprintf(f,
            "], \"retried\": %" PRIu64 ", \"not_run\": %" PRIu64 ", \"not_recorded\": %" PRIu64
            ", \"done_before\": %" PRIu64 ", \"failed_before\": %" PRIu64
            ", \"elapsed_s\": %.3f, \"ranks\": %d, \"halted_by\": ",
            r->retried, r->not_run, r->not_recorded, r->done_before, r->failed_before, r->elapsed_s,
            r->ranks);
    if (r->halted)
        fprintf(f, "%" PRIu64, r->halted_by);
    else
        fputs("null", f);
    fputs(", \"stopped_by\": ", f);
    if (r->stopped_by)
        tfr_json_str(f, r->stopped_by);
    else
        fputs("null", f);
    fprintf(f, ", \"exit_status\": %d}\n", r->exit_status);
    int e = ferror(f) ? EIO : 0;
    if (fclose(f) && !e) e = errno;
    if (e) {
        fprintf(stderr, "tfrun: warning: --summary-json %s: %s\n", path, strerror(e));
        return -1;
    }
    return 0;
}

/* 0, or -1 after a message. */
static int farm_init(farm *F, tf_pool *pool, tfr_plan *pl)
{
    memset(F, 0, sizeof *F);
    F->pool = pool;
    F->pl = pl;
    F->size = tf_pool_size(pool);
    F->nslots =
        tfr_opt.window ? tfr_opt.window : (unsigned)(WINDOW_PER_RANK * F->size + WINDOW_EXTRA);
    F->slots = calloc(F->nslots, sizeof *F->slots);
    F->fs = calloc(F->nslots, sizeof *F->fs);
    F->busy = calloc((size_t)F->size, sizeof *F->busy);
    if (!F->slots || !F->fs || !F->busy) {
        fprintf(stderr, "tfrun: out of memory\n");
        free(F->slots), free(F->fs), free(F->busy);
        return -1;
    }
    F->t0 = tfr_mono();
    F->last_sync = F->t0;
    /* a bar on a terminal (or when asked: under mpirun stderr is a pipe
     * even from a terminal, and stdout a pty even into a file) */
    F->tty = (isatty(2) || tfr_opt.bar) && tfr_opt.progress_s > 0;
    F->bar_forced = F->tty && !isatty(2);
    F->next_progress = F->t0 + (F->tty ? BAR_EVERY : tfr_opt.progress_s);
    return 0;
}

static void farm_free(farm *F)
{
    for (unsigned i = 0; i < F->nslots; i++) {
        free(F->slots[i].in);
        free(F->slots[i].data);
    }
    free(F->slots);
    free(F->fs);
    free(F->busy);
    tfr_median_free(&F->med);
    free(F->ob.b);
    free(F->jb.b);
    free(F->eb.b);
    free(F->pend);
    free(F->fail_ids);
}

/* Until no task runs: submit, wait for a finished attempt (or until what
 * waits is due to be written), handle it. */
static void drive(farm *F)
{
    for (;;) {
        if (tfr_drain) stop(F, tfr_drain, NULL);
        release_handled(F);
        if (fill(F) < 0) {
            fprintf(stderr, "tfrun: cannot submit a task: %s\n", tf_pool_errmsg(F->pool));
            stop(F, 0, "submit error");
        }
        if (!any_running(F)) break;
        size_t idx;
        if (F->ob.len || F->jb.len || F->npend) {
            /* what waits is written at the latest FLUSH_AFTER from now */
            double left = FLUSH_AFTER - (tfr_mono() - F->ob_t0);
            if (tf_wait_any_timeout(F->fs, F->nslots, left > 0 ? left : 0, &idx) == TF_EBUSY)
                flush(F);
        } else {
            tf_wait_any(F->fs, F->nslots, &idx);
        }
        harvest(F);
        progress(F, false);
    }
}

/* --joblog: a new log with parallel's header, or appended to on resume. */
static int joblog_open(farm *F)
{
    if (!tfr_opt.joblog) return 0;
    F->joblog = fopen(tfr_opt.joblog, tfr_opt.resume ? "a" : "w");
    if (!F->joblog) {
        fprintf(stderr, "tfrun: --joblog %s: %s\n", tfr_opt.joblog, strerror(errno));
        return -1;
    }
    if (ftell(F->joblog) == 0)
        fputs("Seq\tHost\tStarttime\tJobRuntime\tSend\tReceive\tExitval\tSignal\tCommand\n",
              F->joblog);
    return 0;
}

int tfr_farm(tf_pool *pool, void *arg)
{
    farm F;
    if (farm_init(&F, pool, arg)) return TFR_EXIT_FAILED;
    if (joblog_open(&F)) {
        farm_free(&F);
        return TFR_EXIT_USAGE;
    }
    /* what a run that was killed left behind */
    size_t stale = tfr_opt.output_dir ? tfr_remove_parts() : 0;
    if (stale && !tfr_opt.quiet)
        fprintf(stderr, "tfrun: --output-dir %s: %zu unfinished files of an earlier run removed\n",
                tfr_opt.output_dir, stale);
    tfr_tick = farm_tick;
    tfr_tick_arg = &F;
    drive(&F);
    release_handled(&F);
    flush(&F);
    sync_records(&F);
    /* those of the tasks whose output could not be kept (worker.c) */
    if (tfr_opt.output_dir && F.write_failed) tfr_remove_parts();
    tfr_tick = NULL;
    if (F.joblog && fclose(F.joblog))
        fprintf(stderr, "tfrun: warning: --joblog %s: %s\n", tfr_opt.joblog, strerror(errno));
    F.joblog = NULL;
    int code = summary(&F);
    farm_free(&F);
    return code;
}
