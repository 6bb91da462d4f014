/* alloc.c - the allocation hook: the C library's allocator, and a counter
 * that tests arm to fail one allocation. Unarmed, the cost is one relaxed
 * load. */
#define _GNU_SOURCE /* strndup */
#include "core/alloc.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A thread is told apart by the address of its own copy of this. */
static _Thread_local char thread_mark;
static _Thread_local int run_part;

static atomic_int armed;
static atomic_int scope;
static atomic_uintptr_t owner; /* &thread_mark of the arming thread */
static atomic_ulong count;
static atomic_ulong fail_at; /* 0: never */
static atomic_int failed;

/* Whether this allocation is to fail: counts it if it is in scope. */
static int injected(void)
{
    if (!atomic_load_explicit(&armed, memory_order_relaxed)) return 0;
    int caller = !run_part && atomic_load(&owner) == (uintptr_t)&thread_mark;
    if (caller != (atomic_load(&scope) == TF__ALLOC_CALLER)) return 0;
    unsigned long k = atomic_fetch_add(&count, 1) + 1;
    if (k != atomic_load(&fail_at)) return 0;
    atomic_store(&failed, 1);
    return 1;
}

void *tf__malloc(size_t size) { return injected() ? NULL : malloc(size); }
void *tf__calloc(size_t n, size_t size) { return injected() ? NULL : calloc(n, size); }
void *tf__realloc(void *ptr, size_t size) { return injected() ? NULL : realloc(ptr, size); }
void tf__free(void *ptr) { free(ptr); }
char *tf__strdup(const char *s) { return injected() ? NULL : strdup(s); }
char *tf__strndup(const char *s, size_t n) { return injected() ? NULL : strndup(s, n); }

void tf__alloc_fail_nth(tf__alloc_scope sc, unsigned long n)
{
    atomic_store(&armed, 0);
    atomic_store(&scope, (int)sc);
    atomic_store(&owner, (uintptr_t)&thread_mark);
    atomic_store(&count, 0);
    atomic_store(&fail_at, n);
    atomic_store(&failed, 0);
    atomic_store(&armed, 1);
}

int tf__alloc_run_part(int on)
{
    int was = run_part;
    run_part = on;
    return was;
}
void tf__alloc_off(void) { atomic_store(&armed, 0); }
unsigned long tf__alloc_count(void) { return atomic_load(&count); }
int tf__alloc_failed(void) { return atomic_load(&failed); }
