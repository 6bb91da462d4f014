/* registry.c - task-function name tables. */
#include "core/registry.h"

#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "taskfarm.h"

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

int tf__name_ok(const char *name)
{
    if (!name) return 0;
    size_t n = strnlen(name, TF__NAME_MAX + 1);
    return n >= 1 && n <= TF__NAME_MAX;
}

long tf__reg_find(const tf__reg *r, const char *name)
{
    if (!tf__name_ok(name)) return -1;
    uint64_t h = fnv1a(name);
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].hash == h && strcmp(r->v[i].name, name) == 0) return (long)i;
    return -1;
}

static long append(tf__reg *r, const char *name, void *fn)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        tf__reg_entry *v = tf__realloc(r->v, cap * sizeof *v);
        if (!v) return -1;
        r->v = v;
        r->cap = cap;
    }
    tf__reg_entry *e = &r->v[r->n];
    memset(e, 0, sizeof *e);
    strcpy(e->name, name);
    e->hash = fnv1a(name);
    e->fn = fn;
    return (long)r->n++;
}

int tf__reg_add(tf__reg *r, const char *name, void *fn)
{
    if (!tf__name_ok(name) || !fn) return TF_EINVAL;
    if (tf__reg_find(r, name) >= 0) return TF_EEXIST;
    return append(r, name, fn) < 0 ? TF_ENOMEM : 0;
}

long tf__reg_intern(tf__reg *r, const char *name)
{
    if (!tf__name_ok(name)) return -1;
    long i = tf__reg_find(r, name);
    return i >= 0 ? i : append(r, name, NULL);
}

void tf__reg_free(tf__reg *r)
{
    tf__free(r->v);
    r->v = NULL;
    r->n = r->cap = 0;
}
