/* alloc.h - every allocation the library makes goes through here, so that a
 * test can make one of them fail (the out-of-memory policy is at the top of
 * core/error.h). Pure: no MPI, no threads of its own.
 *
 * tf__malloc, tf__calloc, tf__realloc, tf__strdup and tf__strndup behave as
 * the C library's, and what they return is freed with tf__free (which is
 * free: memory the C library hands out, realpath's for one, may be freed
 * either way). Any thread may call them. Allocations made inside MPI, hwloc
 * or the C library are not seen here. */
#ifndef TF_ALLOC_H
#define TF_ALLOC_H

#include <stddef.h>

void *tf__malloc(size_t size);
void *tf__calloc(size_t n, size_t size);
void *tf__realloc(void *ptr, size_t size);
void tf__free(void *ptr);
char *tf__strdup(const char *s);
char *tf__strndup(const char *s, size_t n);

/* ---- for tests only ------------------------------------------------------------
 *
 * tf__alloc_fail_nth counts the allocations (realloc included, free not)
 * of `scope` from now on, and makes the nth of them fail (NULL, once: the
 * ones after it succeed again); n 0 only counts. TF__ALLOC_CALLER: the
 * calling thread's own, outside the stretches where it works for a run
 * (tf__alloc_run_part): what a walk over an API call fails, exactly, while
 * the service thread runs. TF__ALLOC_RUN: every other allocation, the
 * service thread's and the tasks'. tf__alloc_off stops counting and
 * failing. Called by one test thread at a time, never while another call
 * of these two runs. */
typedef enum {
    TF__ALLOC_CALLER, /* an API call on the calling thread */
    TF__ALLOC_RUN,    /* the run: other threads, and tasks on this one */
} tf__alloc_scope;

/* The calling thread enters (1) or leaves (0) work for the run: running
 * tasks, handing their results over; returns what it was doing before.
 * Its allocations there count as the run's. For the library, not tests. */
int tf__alloc_run_part(int on);

void tf__alloc_fail_nth(tf__alloc_scope scope, unsigned long n);
void tf__alloc_off(void);
/* Allocations counted since tf__alloc_fail_nth. */
unsigned long tf__alloc_count(void);
/* Whether the nth allocation came and was failed. */
int tf__alloc_failed(void);

#endif
