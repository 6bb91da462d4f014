/* registry.h - task-function names. Pure: no MPI, no threads.
 *
 * Each rank keeps its own table name -> function (tf_register). The
 * coordinator numbers the names it is asked to run (gid, in order of first
 * use) and tells each rank a name the first time it sends it a task of that
 * name, so a task carries a 4-byte gid, and a rank that lacks a name fails
 * just those tasks. */
#ifndef TF_REGISTRY_H
#define TF_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define TF__NAME_MAX 63

typedef struct tf__reg_entry {
    char name[TF__NAME_MAX + 1];
    uint64_t hash;
    void *fn;
} tf__reg_entry;

typedef struct tf__reg {
    tf__reg_entry *v;
    size_t n, cap;
} tf__reg;

/* 0, TF_EINVAL (bad name), TF_EEXIST or TF_ENOMEM. */
int tf__reg_add(tf__reg *r, const char *name, void *fn);
/* The index of name, or -1. */
long tf__reg_find(const tf__reg *r, const char *name);
/* The index of name, added (with fn NULL) if new; -1 on bad name or OOM. */
long tf__reg_intern(tf__reg *r, const char *name);
void tf__reg_free(tf__reg *r);
/* 1 if name is a valid task-function name (1..63 bytes, no NUL). */
int tf__name_ok(const char *name);

#endif
