/* test_version.c - TF_VERSION, TF_VERSION_* and tf_version() say the same. */
#include <stdio.h>
#include <string.h>

#include "taskfarm.h"
#include "unit.h"

static void test_string_matches_numbers(void)
{
    char want[64];
    snprintf(want, sizeof want, "%d.%d.%d", TF_VERSION_MAJOR, TF_VERSION_MINOR, TF_VERSION_PATCH);
    CU_ASSERT_STRING_EQUAL(TF_VERSION, want);
}

static void test_runtime_matches_header(void)
{
    const char *v = tf_version();
    CU_ASSERT_PTR_NOT_NULL_FATAL(v);
    CU_ASSERT_STRING_EQUAL(v, TF_VERSION);
}

static const unit_test tests[] = {UNIT_TEST(test_string_matches_numbers),
                                  UNIT_TEST(test_runtime_matches_header)};
UNIT_MAIN("version", tests)
