/* wait.c - how a thread waits for the other: spin, then block (see
 * wait.h for who may call what). */
#include "system/wait.h"

#include <errno.h>
#include <sched.h>
#include <time.h>

#include "core/clock.h"
#include "taskfarm.h"

static int init(tf__waiter *w, int pshared)
{
    pthread_condattr_t ca;
    pthread_mutexattr_t ma;
    if (pthread_condattr_init(&ca)) return TF_ESYS;
    if (pthread_mutexattr_init(&ma)) {
        pthread_condattr_destroy(&ca);
        return TF_ESYS;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_condattr_setpshared(&ca, pshared) | pthread_mutexattr_setpshared(&ma, pshared);
    if (!rc) rc = pthread_cond_init(&w->c, &ca);
    if (!rc && pthread_mutex_init(&w->m, &ma)) {
        pthread_cond_destroy(&w->c);
        rc = 1;
    }
    pthread_condattr_destroy(&ca);
    pthread_mutexattr_destroy(&ma);
    if (rc) return TF_ESYS;
    atomic_init(&w->flag, 0);
    atomic_init(&w->sleeping, 0);
    return 0;
}

int tf__waiter_init(tf__waiter *w) { return init(w, PTHREAD_PROCESS_PRIVATE); }

int tf__waiter_init_shared(tf__waiter *w) { return init(w, PTHREAD_PROCESS_SHARED); }

void tf__waiter_destroy(tf__waiter *w)
{
    pthread_mutex_destroy(&w->m);
    pthread_cond_destroy(&w->c);
}

void tf__waiter_wake(tf__waiter *w)
{
    atomic_store(&w->flag, 1);
    if (atomic_load(&w->sleeping)) {
        pthread_mutex_lock(&w->m);
        pthread_cond_signal(&w->c);
        pthread_mutex_unlock(&w->m);
    }
}

static inline void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

int tf__waiter_wait(tf__waiter *w, int policy, uint64_t spin_ns, uint64_t timeout_ns)
{
    if (atomic_exchange(&w->flag, 0)) return 0;
    uint64_t t0 = tf__now_ns();
    if (policy == TF_WAIT_AUTO && spin_ns == 0) policy = TF_WAIT_BLOCK;
    if (policy != TF_WAIT_BLOCK) {
        uint64_t limit = policy == TF_WAIT_AUTO ? spin_ns : timeout_ns;
        for (unsigned i = 1;; i++) {
            if (atomic_load_explicit(&w->flag, memory_order_relaxed) &&
                atomic_exchange(&w->flag, 0))
                return 0;
            if (policy == TF_WAIT_YIELD)
                sched_yield();
            else
                cpu_relax();
            if ((i & 63) == 0) {
                uint64_t dt = tf__now_ns() - t0;
                if (limit && dt >= limit) break;
            }
        }
        if (policy != TF_WAIT_AUTO) return 0; /* spin/yield: the timeout passed */
    }
    struct timespec dl;
    if (timeout_ns) {
        uint64_t t = t0 + timeout_ns;
        dl.tv_sec = (time_t)(t / 1000000000u);
        dl.tv_nsec = (long)(t % 1000000000u);
    }
    int blocked = 0;
    pthread_mutex_lock(&w->m);
    atomic_store(&w->sleeping, 1);
    while (!atomic_load(&w->flag)) {
        blocked = 1;
        int rc = timeout_ns ? pthread_cond_timedwait(&w->c, &w->m, &dl)
                            : pthread_cond_wait(&w->c, &w->m);
        if (rc == ETIMEDOUT) break;
    }
    atomic_store(&w->sleeping, 0);
    atomic_store(&w->flag, 0);
    pthread_mutex_unlock(&w->m);
    return blocked;
}
