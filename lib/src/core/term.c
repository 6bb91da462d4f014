/* term.c - termination counting (term.h). */
#include "core/term.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "taskfarm.h"

int tf__term_init(tf__term *t, int nranks)
{
    memset(t, 0, sizeof *t);
    t->stopped = tf__calloc(nranks > 0 ? (size_t)nranks : 1, 1);
    if (!t->stopped) return TF_ENOMEM;
    t->nranks = nranks;
    return 0;
}

void tf__term_free(tf__term *t)
{
    tf__free(t->stopped);
    memset(t, 0, sizeof *t);
}

void tf__term_reset(tf__term *t)
{
    t->outstanding = 0;
    t->stopping = t->stop_sent = false;
    t->stop_rv = 0;
    t->nstopped = 0;
    memset(t->stopped, 0, (size_t)t->nranks);
}

int tf__term_finished(tf__term *t, uint64_t n)
{
    if (n > t->outstanding) return -1;
    t->outstanding -= n;
    return 0;
}

void tf__term_stop(tf__term *t, int rv)
{
    t->stopping = true;
    t->stop_rv = rv;
}

bool tf__term_stop_due(tf__term *t)
{
    if (!t->stopping || t->stop_sent || t->outstanding != 0) return false;
    t->stop_sent = true;
    return true;
}

int tf__term_stopped(tf__term *t, int r)
{
    if (r < 0 || r >= t->nranks || !t->stop_sent || t->stopped[r]) return -1;
    t->stopped[r] = 1;
    t->nstopped++;
    return 0;
}
