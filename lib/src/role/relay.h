/* relay.h - a node leader's role: the ranges of maps its parent hands it
 * are cut into chunks for its group's ranks (itself included) and for the
 * leaders below it, and their results go back up merged: a range's results
 * as one record once all are in, many ranks' in one message. So rank 0
 * reaches a bounded number of ranks (core/groups.h) and keeps the whole
 * job table: futures, cancel and avoid, the ordered output, every result,
 * are still its own.
 *
 * The relay is a small coordinator without jobs: what it hands out is
 * what it was handed. Its parent sized each range as one chunk for every
 * rank below (rank 0's chunk rule, with its estimate and the job's tail),
 * so each rank gets that chunk; how much to keep queued at each is the
 * relay's own measure (core/schedule.h's window), a slot standing for
 * `weight` ranks being kept that many windows ahead. Its parent balances
 * the leaders: it refills a leader's window as results come back, as it
 * does for a rank, so no leader holds more than a few milliseconds of
 * work that another could run.
 *
 * Only under peer scheduling: spawned tasks never pass through a relay
 * (ranks steal them from each other), and the waves (core/wave.h) see a
 * relay that holds a range or results not yet sent up as not passive.
 *
 * Thread: the leader's service thread, except create, destroy and reset
 * (main thread, service thread parked). No lock: nothing else touches it. */
#ifndef TF_RELAY_H
#define TF_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/registry.h"
#include "rank/service.h"
#include "rank/worker.h"
#include "role/link.h"
#include "system/transport.h"

typedef struct tf__relay tf__relay;

typedef struct tf__relay_cfg {
    tf__ctx *ctx;
    tf__transport *tp;    /* bulk payloads of ranges come through it; NULL
                             where none can come (a simulator) */
    const tf__reg *reg;   /* this rank's task functions */
    int up;               /* the parent: the rank TASKS come from */
    tf__uplink send_up;   /* where the merged RESULTS go (to the parent) */
    int nranks;           /* ranks of the pool */
    int size;             /* slots */
    tf__link **links;     /* links[s] reaches slot s's rank; borrowed */
    const size_t *weight; /* by slot: the ranks it stands for; borrowed */
    double prefetch_s;    /* work kept queued at each rank, as rank 0's */
    bool file_prefetch;   /* keep file tasks queued ahead, as rank 0 */
} tf__relay_cfg;

/* Main thread: 0, TF_ENOMEM, or TF_EINVAL (two slots reach one rank). */
int tf__relay_create(const tf__relay_cfg *cfg, tf__relay **out);
void tf__relay_destroy(tf__relay **r); /* NULL is fine */
/* Main thread, start of a run (service thread parked): nothing held. */
void tf__relay_reset(tf__relay *r);

/* The service loop's hooks: TASKS from the parent (on_tasks), RESULTS
 * from the slots' ranks (on_message), a turn (step: hands chunks out,
 * flushes the links, sends the merged results up). */
tf__svc_role tf__relay_role(tf__relay *r);
/* The leader's own worker's uplink: its RESULTS go into the relay. */
tf__uplink tf__relay_uplink(tf__relay *r);
/* Holds nothing: no task left to hand out, no result left to send up
 * (the peer role's passive, core/wave.h). */
bool tf__relay_passive(tf__relay *r);

#endif
