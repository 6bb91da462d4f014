/* wait.h - how a thread waits for another: spin, then block.
 *
 * A tf__waiter belongs to the one thread that waits on it (its owner); any
 * thread may wake it. A wake sets `flag`; the owner announces `sleeping`
 * before it re-checks `flag` under the mutex, and a waker that sees
 * `sleeping` signals under the same mutex, so no wake is lost and a waker
 * pays a syscall only when the owner sleeps. */
#ifndef TF_WAIT_H
#define TF_WAIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct tf__waiter {
    pthread_mutex_t m;
    pthread_cond_t c;
    atomic_int flag;     /* a wake is pending */
    atomic_int sleeping; /* the owner is (about to be) blocked */
} tf__waiter;

/* The owner's creator, before any other thread sees w: 0 or TF_ESYS. */
int tf__waiter_init(tf__waiter *w);
/* The same for a waiter in memory shared between processes (a shared-memory
 * window): threads of other processes may wake it (system/doorbell.h). */
int tf__waiter_init_shared(tf__waiter *w);
/* Once no thread uses w any more. */
void tf__waiter_destroy(tf__waiter *w);
/* Any thread: makes the owner's next (or current) wait return. */
void tf__waiter_wake(tf__waiter *w);
/* Owner only: returns once woken (the wake is consumed) or after timeout_ns
 * (0: no limit). Spins first as the policy (TF_WAIT_*) says. Returns 1 if
 * it blocked. */
int tf__waiter_wait(tf__waiter *w, int policy, uint64_t spin_ns, uint64_t timeout_ns);

#endif
