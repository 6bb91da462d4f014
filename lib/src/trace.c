/* trace.c - the timeline and the run statistics (see trace.h). */
#include "trace.h"

#include "pool.h"

int tf__trace_open(tf_pool *p)
{
    p->trace = NULL;
    return 0;
}
void tf__trace_close(tf_pool *p) { (void)p; }
void tf__trace_span(tf_pool *p, int thread, int kind, uint64_t t0, uint64_t t1, uint64_t arg)
{
    (void)p, (void)thread, (void)kind, (void)t0, (void)t1, (void)arg;
}
void tf__trace_msg(tf_pool *p, int kind, int peer, uint64_t bytes)
{
    (void)p, (void)kind, (void)peer, (void)bytes;
}
void tf__stats_run_begin(tf_pool *p) { (void)p; }
void tf__stats_run_end(tf_pool *p) { (void)p; }
