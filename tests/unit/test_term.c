/* test_term.c - termination counting: outstanding tasks, STOP once, the
 * ranks' STOPPED answers. */
#include <stdint.h>

#include "core/term.h"
#include "taskfarm.h"
#include "unit.h"

static void test_counting(void)
{
    tf__term t;
    CU_ASSERT_EQUAL_FATAL(tf__term_init(&t, 3), 0);
    CU_ASSERT_TRUE(tf__term_quiet(&t));
    tf__term_created(&t, 5);
    CU_ASSERT_EQUAL(t.outstanding, 5);
    CU_ASSERT_FALSE(tf__term_quiet(&t));
    tf__term_created(&t, 2);
    CU_ASSERT_EQUAL(tf__term_finished(&t, 3), 0);
    CU_ASSERT_EQUAL(t.outstanding, 4);
    /* more than exist: refused, nothing changes */
    CU_ASSERT_EQUAL(tf__term_finished(&t, 5), -1);
    CU_ASSERT_EQUAL(t.outstanding, 4);
    CU_ASSERT_EQUAL(tf__term_finished(&t, UINT64_MAX), -1);
    CU_ASSERT_EQUAL(t.outstanding, 4);
    CU_ASSERT_EQUAL(tf__term_finished(&t, 0), 0);
    CU_ASSERT_EQUAL(t.outstanding, 4);
    CU_ASSERT_EQUAL(tf__term_finished(&t, 4), 0);
    CU_ASSERT_EQUAL(t.outstanding, 0);
    CU_ASSERT_TRUE(tf__term_quiet(&t));
    CU_ASSERT_EQUAL(tf__term_finished(&t, 1), -1);
    CU_ASSERT_EQUAL(t.outstanding, 0);
    /* MPI still reading the driver's memory: not quiet */
    t.bulk_pending = 1;
    CU_ASSERT_FALSE(tf__term_quiet(&t));
    t.bulk_pending = 0;
    CU_ASSERT_TRUE(tf__term_quiet(&t));
    tf__term_free(&t);
}

static void test_stop_due_once(void)
{
    tf__term t;
    CU_ASSERT_EQUAL_FATAL(tf__term_init(&t, 2), 0);
    tf__term_created(&t, 2);
    CU_ASSERT_FALSE(tf__term_stop_due(&t)); /* the driver has not returned */
    tf__term_stop(&t, 42);
    CU_ASSERT_TRUE(t.stopping);
    CU_ASSERT_EQUAL(t.stop_rv, 42);
    CU_ASSERT_FALSE(tf__term_stop_due(&t)); /* 2 outstanding */
    CU_ASSERT_EQUAL(tf__term_finished(&t, 1), 0);
    CU_ASSERT_FALSE(tf__term_stop_due(&t)); /* 1 outstanding */
    CU_ASSERT_FALSE(t.stop_sent);
    tf__term_created(&t, 1); /* a spawn reported late still holds it back */
    CU_ASSERT_EQUAL(tf__term_finished(&t, 1), 0);
    CU_ASSERT_FALSE(tf__term_stop_due(&t));
    CU_ASSERT_EQUAL(tf__term_finished(&t, 1), 0);
    CU_ASSERT_TRUE(tf__term_stop_due(&t));
    CU_ASSERT_TRUE(t.stop_sent);
    CU_ASSERT_FALSE(tf__term_stop_due(&t)); /* exactly once */
    CU_ASSERT_FALSE(tf__term_stop_due(&t));
    tf__term_free(&t);
}

static void test_nothing_outstanding(void)
{
    tf__term t;
    CU_ASSERT_EQUAL_FATAL(tf__term_init(&t, 1), 0);
    tf__term_stop(&t, 0);
    CU_ASSERT_TRUE(tf__term_stop_due(&t)); /* a run with no task at all */
    CU_ASSERT_FALSE(tf__term_stop_due(&t));
    CU_ASSERT_FALSE(tf__term_ended(&t));
    CU_ASSERT_EQUAL(tf__term_stopped(&t, 0), 0);
    CU_ASSERT_TRUE(tf__term_ended(&t));
    tf__term_free(&t);
}

static void test_stopped(void)
{
    enum { N = 3 };
    tf__term t;
    CU_ASSERT_EQUAL_FATAL(tf__term_init(&t, N), 0);
    /* before STOP every rank may send; STOPPED is unasked */
    for (int r = 0; r < N; r++) CU_ASSERT_TRUE(tf__term_awaits(&t, r));
    CU_ASSERT_EQUAL(tf__term_stopped(&t, 1), -1);
    CU_ASSERT_EQUAL(t.nstopped, 0);
    tf__term_stop(&t, 0);
    CU_ASSERT_EQUAL(tf__term_stopped(&t, 1), -1); /* still unasked */
    CU_ASSERT_TRUE(tf__term_stop_due(&t));
    CU_ASSERT_FALSE(tf__term_ended(&t));
    CU_ASSERT_EQUAL(tf__term_stopped(&t, 1), 0);
    CU_ASSERT_FALSE(tf__term_awaits(&t, 1));
    CU_ASSERT_TRUE(tf__term_awaits(&t, 0));
    CU_ASSERT_TRUE(tf__term_awaits(&t, 2));
    CU_ASSERT_EQUAL(tf__term_stopped(&t, 1), -1); /* twice */
    CU_ASSERT_EQUAL(t.nstopped, 1);
    CU_ASSERT_EQUAL(tf__term_stopped(&t, -1), -1);
    CU_ASSERT_EQUAL(tf__term_stopped(&t, N), -1);
    CU_ASSERT_EQUAL(tf__term_stopped(&t, 0), 0);
    CU_ASSERT_FALSE(tf__term_ended(&t));
    CU_ASSERT_EQUAL(tf__term_stopped(&t, 2), 0);
    CU_ASSERT_TRUE(tf__term_ended(&t));
    for (int r = 0; r < N; r++) CU_ASSERT_FALSE(tf__term_awaits(&t, r));

    /* the next run starts clean */
    tf__term_created(&t, 3);
    tf__term_reset(&t);
    CU_ASSERT_EQUAL(t.outstanding, 0);
    CU_ASSERT_FALSE(t.stopping);
    CU_ASSERT_FALSE(t.stop_sent);
    CU_ASSERT_EQUAL(t.nstopped, 0);
    CU_ASSERT_FALSE(tf__term_ended(&t));
    for (int r = 0; r < N; r++) CU_ASSERT_TRUE(tf__term_awaits(&t, r));
    CU_ASSERT_FALSE(tf__term_stop_due(&t));
    CU_ASSERT_EQUAL(tf__term_stopped(&t, 0), -1);
    tf__term_stop(&t, 1);
    CU_ASSERT_TRUE(tf__term_stop_due(&t));
    CU_ASSERT_EQUAL(t.stop_rv, 1);
    for (int r = 0; r < N; r++) CU_ASSERT_EQUAL(tf__term_stopped(&t, r), 0);
    CU_ASSERT_TRUE(tf__term_ended(&t));
    tf__term_free(&t);
    CU_ASSERT_PTR_NULL(t.stopped);
}

static const unit_test tests[] = {UNIT_TEST(test_counting), UNIT_TEST(test_stop_due_once),
                                  UNIT_TEST(test_nothing_outstanding), UNIT_TEST(test_stopped)};
UNIT_MAIN("term", tests)
