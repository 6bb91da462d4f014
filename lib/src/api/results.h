/* results.h - the results object of a finished map (results.c). */
#ifndef TF_RESULTS_H
#define TF_RESULTS_H

#include "core/error.h"
#include "core/jobs.h"
#include "taskfarm.h"

/* Driver: turns finished job j into a results object, taking its records
 * and buffers; j is freed either way. 0 or TF_ENOMEM (message in ctx). */
int tf__results_from_job(tf__ctx *ctx, tf__job *j, tf_results **res);

#endif
