/* status.c - tfrun --status: counts from the journal, without running
 * anything (see tfrun.h). The journal records a task when it has finished
 * (journal.h), so a task that was running when the run stopped is among
 * those not yet run; its last record decides a task that has several
 * (--resume-failed). */
#define _GNU_SOURCE
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tfrun.h"

/* The ids listed, then a count. */
#define IDS_SHOWN 20

/* Up to IDS_SHOWN ids of the tasks whose state is `want`. */
static void list_ids(const char *label, const tfr_taskfile *tf, const unsigned char *state,
                     unsigned char want, uint64_t count)
{
    printf("%s: %" PRIu64, label, count);
    if (!count) {
        putchar('\n');
        return;
    }
    printf(" (");
    size_t shown = 0;
    for (size_t i = 0; i < tf->n && shown < IDS_SHOWN; i++)
        if (state[i] == want) printf("%s%" PRIu64, shown++ ? " " : "", tf->v[i].id);
    printf("%s)\n", count > IDS_SHOWN ? " ..." : "");
}

int tfr_status(const tfr_taskfile *tf, const char *tname, const unsigned char *sha)
{
    char err[PATH_MAX + 256];
    char *data;
    size_t len;
    const char *jname = tfr_opt.journal;
    if (tfr_read_all(jname, &data, &len, err, sizeof err)) {
        fprintf(stderr, "tfrun: --status: %s\n", err);
        return TFR_EXIT_USAGE;
    }
    tfr_journal j;
    int rc = tfr_journal_parse(data, len, jname, &j, err, sizeof err);
    free(data);
    if (rc) {
        fprintf(stderr, "tfrun: %s\n", err);
        return TFR_EXIT_USAGE;
    }
    if (j.has_header && (memcmp(j.sha256, sha, TFR_SHA256_LEN) || j.ntasks != tf->n)) {
        tfr_journal_free(&j);
        fprintf(stderr,
                "tfrun: %s: made for another task file than %s (its SHA-256 or task count "
                "differs)\n",
                jname, tname);
        return TFR_EXIT_USAGE;
    }
    enum { TODO = 0, OK, FAILED };
    unsigned char *state = calloc(tf->n ? tf->n : 1, 1);
    if (!state) {
        tfr_journal_free(&j);
        fprintf(stderr, "tfrun: out of memory\n");
        return TFR_EXIT_USAGE;
    }
    for (size_t k = 0; k < j.n; k++) {
        long ix = tfr_task_index(tf, j.v[k].id);
        if (ix < 0) {
            fprintf(stderr, "tfrun: %s:%" PRIu64 ": task %" PRIu64 " is not in %s\n", jname,
                    j.v[k].line, j.v[k].id, tname);
            free(state);
            tfr_journal_free(&j);
            return TFR_EXIT_USAGE;
        }
        state[ix] = tfr_jrec_ok(&j.v[k]) ? OK : FAILED;
    }
    uint64_t n[3] = {0, 0, 0};
    for (size_t i = 0; i < tf->n; i++) n[state[i]]++;
    printf("tasks: %zu (%s), journal %s: %zu records%s\n", tf->n, tname, jname, j.n,
           j.torn ? ", a torn last line (a killed run)" : "");
    printf("done: %" PRIu64 " (%" PRIu64 " succeeded, %" PRIu64 " failed)\n", n[OK] + n[FAILED],
           n[OK], n[FAILED]);
    list_ids("failed", tf, state, FAILED, n[FAILED]);
    printf("running when it stopped: not known (the journal records finished tasks only; "
           "those are among the not yet run)\n");
    list_ids("not yet run", tf, state, TODO, n[TODO]);
    free(state);
    tfr_journal_free(&j);
    return 0;
}
