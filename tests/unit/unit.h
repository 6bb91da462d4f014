/* unit.h - the main() of every CUnit program in tests/unit.
 *
 * A test file lists its tests and ends with
 *
 *     static const unit_test tests[] = {UNIT_TEST(test_a), UNIT_TEST(test_b)};
 *     UNIT_MAIN("queue", tests)
 *
 * The program runs the suite verbosely and exits non-zero if any assertion
 * failed or CUnit itself reported an error, so ctest sees every failure.
 * Arguments, if any, select the tests whose names contain one of them. */
#ifndef TF_TEST_UNIT_H
#define TF_TEST_UNIT_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

typedef struct unit_test {
    const char *name;
    CU_TestFunc fn;
} unit_test;

#define UNIT_TEST(f) \
    {                \
#f, f        \
    }

static inline int unit_selected(const char *name, int argc, char **argv)
{
    if (argc < 2) return 1;
    for (int i = 1; i < argc; i++)
        if (strstr(name, argv[i])) return 1;
    return 0;
}

static inline int unit_run(const char *suite_name, const unit_test *tests, size_t n, int argc,
                           char **argv)
{
    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "%s: CU_initialize_registry: %s\n", suite_name, CU_get_error_msg());
        return 2;
    }
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    if (!suite) goto fail;
    for (size_t i = 0; i < n; i++)
        if (unit_selected(tests[i].name, argc, argv) &&
            !CU_add_test(suite, tests[i].name, tests[i].fn))
            goto fail;
    CU_basic_set_mode(CU_BRM_VERBOSE);
    if (CU_basic_run_tests() != CUE_SUCCESS) goto fail;
    unsigned failed = CU_get_number_of_failures();
    unsigned tests_failed = CU_get_number_of_tests_failed();
    printf("%s: %u tests run, %u asserts, %u failed asserts, %u failed tests\n", suite_name,
           CU_get_number_of_tests_run(), CU_get_number_of_asserts(), failed, tests_failed);
    CU_cleanup_registry();
    return failed || tests_failed ? 1 : 0;
fail:
    fprintf(stderr, "%s: CUnit error: %s\n", suite_name, CU_get_error_msg());
    CU_cleanup_registry();
    return 2;
}

#define UNIT_MAIN(suite_name, tests)                                                        \
    int main(int argc, char **argv)                                                         \
    {                                                                                       \
        return unit_run(suite_name, tests, sizeof(tests) / sizeof((tests)[0]), argc, argv); \
    }

#endif
