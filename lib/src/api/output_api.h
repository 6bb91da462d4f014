/* output_api.h - the pool's side of tf_output (api/output_api.c): the
 * public tf_output_* calls, and the pool's set of outputs, wired to the
 * writer (system/output.h). */
#ifndef TF_OUTPUT_API_H
#define TF_OUTPUT_API_H

#include "system/output.h"
#include "taskfarm.h"

/* Main thread of rank 0, tf_pool_create: p->outs, its writer thread to be
 * placed by tf__place_helper. 0, TF_ENOMEM or TF_ESYS. */
int tf__outs_create(tf_pool *p);
/* Main thread, tf_pool_destroy and pool_free (before tf__place_free: the
 * writer thread uses the placement): stops the writer thread, closes what
 * is left open, frees p->outs. Idempotent. */
void tf__outs_destroy(tf_pool *p);

/* The driver (tf_map_to_resume): the options checked and filled in as
 * tf_output_open does, then tf__out_open_resume (system/output.h). */
int tf__output_open_resume(tf_pool *p, const char *path, const tf_output_opts *opts,
                           const tf__out_ident *id, int mode, uint64_t *done, uint64_t *failed,
                           tf_output **out);

#endif
