/* stats.c - what a pool reports of itself: tf_pool_stats and
 * tf_pool_placement. Main thread; the service thread's counters are
 * atomics, read relaxed (a snapshot, not a consistent cut). */
#include "api/pool_parts.h"

int tf_pool_stats(const tf_pool *p, tf_stats *st)
{
    if (!p || !st) return TF_EINVAL;
    tf_pool *q = (tf_pool *)p; /* the counters are atomics */
    *st = p->worker.st;
    st->msgs_sent = atomic_load_explicit(&q->tp.msgs_sent, memory_order_relaxed);
    st->msgs_recv = atomic_load_explicit(&q->tp.msgs_recv, memory_order_relaxed);
    st->bytes_sent = atomic_load_explicit(&q->tp.bytes_sent, memory_order_relaxed);
    st->bytes_recv = atomic_load_explicit(&q->tp.bytes_recv, memory_order_relaxed);
    st->service_wakeups = atomic_load_explicit(&q->svc.wakeups, memory_order_relaxed);
    if (q->peers_made) tf__steal_stats_get(&q->peers.st, st);
    return 0;
}

int tf_pool_placement(const tf_pool *p, tf_placement *pl)
{
    if (!p || !pl) return TF_EINVAL;
    *pl = p->place.pl;
    return 0;
}
