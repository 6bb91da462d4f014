/* wave.c - quiescence waves (wave.h has the argument). */
#include "core/wave.h"

#include <string.h>

int tf__wave_children(int rank, int size, int fanout, int *first)
{
    long f = (long)rank * fanout + 1;
    *first = (int)(f < size ? f : size);
    if (f >= size) return 0;
    long n = size - f;
    return (int)(n < fanout ? n : fanout);
}

void tf__wave_init(tf__wave *w, int rank, int size, int fanout)
{
    memset(w, 0, sizeof *w);
    w->rank = rank;
    w->size = size;
    w->fanout = fanout > 0 && fanout <= TF__WAVE_FANOUT_MAX ? fanout : TF__WAVE_FANOUT;
    tf__wave_reset(w);
}

void tf__wave_reset(tf__wave *w)
{
    w->id = 0;
    w->own_in = false;
    w->echoes = 0;
    w->answered = 0;
    memset(&w->acc, 0, sizeof w->acc);
    w->next_id = 1;
    w->have_prev = false;
    w->waves = 0;
}

static void open_wave(tf__wave *w, uint64_t id)
{
    w->id = id;
    w->own_in = false;
    w->echoes = 0;
    w->answered = 0;
    memset(&w->acc, 0, sizeof w->acc);
}

uint64_t tf__wave_start(tf__wave *w)
{
    uint64_t id = w->next_id++;
    open_wave(w, id);
    return id;
}

int tf__wave_begin(tf__wave *w, uint64_t id)
{
    if (w->id || id == 0) return -1;
    open_wave(w, id);
    return 0;
}

void tf__wave_own(tf__wave *w, uint64_t sent, uint64_t recv, uint64_t acts)
{
    w->acc.sent += sent;
    w->acc.recv += recv;
    w->acc.acts += acts;
    w->acc.passive += 1;
    w->acc.ranks += 1;
    w->own_in = true;
}

int tf__wave_echo(tf__wave *w, int child, uint64_t id, const tf__wave_sums *s)
{
    int first;
    int n = tf__wave_children(w->rank, w->size, w->fanout, &first);
    if (!w->id || id != w->id || child < first || child >= first + n) return -1;
    uint32_t bit = 1u << (child - first);
    if (w->answered & bit) return -1;
    w->answered |= bit;
    w->acc.sent += s->sent;
    w->acc.recv += s->recv;
    w->acc.acts += s->acts;
    w->acc.passive += s->passive;
    w->acc.ranks += s->ranks;
    w->echoes++;
    return 0;
}

bool tf__wave_done(tf__wave *w, uint64_t *id, tf__wave_sums *s)
{
    int first;
    if (!w->id || !w->own_in) return false;
    if (w->echoes < tf__wave_children(w->rank, w->size, w->fanout, &first)) return false;
    *id = w->id;
    *s = w->acc;
    w->id = 0;
    return true;
}

bool tf__wave_decide(tf__wave *w, const tf__wave_sums *s)
{
    w->waves++;
    bool all = s->ranks == (uint64_t)w->size && s->passive == s->ranks;
    bool quiet = all && w->have_prev && s->sent == s->recv && s->sent == w->prev.sent &&
                 s->recv == w->prev.recv && s->acts == w->prev.acts;
    w->prev = *s;
    w->have_prev = all;
    return quiet;
}
