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
 * made from now on by the threads of `scope`, and makes the nth of them
 * fail (NULL, once: the ones after it succeed again); n 0 only counts.
 * The scope is taken relative to the calling thread: counting only its own
 * allocations keeps a walk over an API call exact while the service thread
 * runs. tf__alloc_off stops counting and failing. Called by one test
 * thread at a time, never while another call of these two runs. */
typedef enum {
    TF__ALLOC_THIS_THREAD,   /* the caller's thread: an API call */
    TF__ALLOC_OTHER_THREADS, /* every other thread: the service thread */
} tf__alloc_scope;

void tf__alloc_fail_nth(tf__alloc_scope scope, unsigned long n);
void tf__alloc_off(void);
/* Allocations counted since tf__alloc_fail_nth. */
unsigned long tf__alloc_count(void);
/* Whether the nth allocation came and was failed. */
int tf__alloc_failed(void);

#endif
