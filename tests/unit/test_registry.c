/* test_registry.c - task-function name tables. */
#include <stdio.h>
#include <string.h>

#include "core/registry.h"
#include "taskfarm.h"
#include "unit.h"

static int fn_a, fn_b, fn_c; /* addresses stand in for functions */

static void test_add_find(void)
{
    tf__reg r = {0};
    CU_ASSERT_EQUAL(tf__reg_find(&r, "alpha"), -1); /* empty table */
    CU_ASSERT_EQUAL(tf__reg_add(&r, "alpha", &fn_a), 0);
    CU_ASSERT_EQUAL(tf__reg_add(&r, "beta", &fn_b), 0);
    CU_ASSERT_EQUAL(tf__reg_add(&r, "alphabet", &fn_c), 0); /* "alpha" is a prefix */
    CU_ASSERT_EQUAL(r.n, 3);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "alpha"), 0);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "beta"), 1);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "alphabet"), 2);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "alph"), -1);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "Alpha"), -1); /* case matters */
    CU_ASSERT_EQUAL(tf__reg_find(&r, "beta "), -1);
    CU_ASSERT_PTR_EQUAL(r.v[0].fn, &fn_a);
    CU_ASSERT_PTR_EQUAL(r.v[1].fn, &fn_b);
    CU_ASSERT_PTR_EQUAL(r.v[2].fn, &fn_c);
    CU_ASSERT_STRING_EQUAL(r.v[1].name, "beta");

    /* the table keeps its own copy of the name */
    char name[8] = "gamma";
    CU_ASSERT_EQUAL(tf__reg_add(&r, name, &fn_a), 0);
    strcpy(name, "delta");
    CU_ASSERT_EQUAL(tf__reg_find(&r, "gamma"), 3);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "delta"), -1);
    tf__reg_free(&r);
    CU_ASSERT_EQUAL(r.n, 0);
    CU_ASSERT_PTR_NULL(r.v);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "alpha"), -1);
    tf__reg_free(&r); /* twice is harmless */
}

static void test_duplicates(void)
{
    tf__reg r = {0};
    CU_ASSERT_EQUAL(tf__reg_add(&r, "f", &fn_a), 0);
    CU_ASSERT_EQUAL(tf__reg_add(&r, "f", &fn_b), TF_EEXIST);
    CU_ASSERT_EQUAL(tf__reg_add(&r, "f", &fn_a), TF_EEXIST);
    CU_ASSERT_EQUAL(r.n, 1);
    CU_ASSERT_PTR_EQUAL(r.v[0].fn, &fn_a); /* the first one stays */

    /* an interned name is taken as well */
    CU_ASSERT_EQUAL(tf__reg_intern(&r, "g"), 1);
    CU_ASSERT_EQUAL(tf__reg_add(&r, "g", &fn_b), TF_EEXIST);
    CU_ASSERT_PTR_NULL(r.v[1].fn);
    CU_ASSERT_EQUAL(r.n, 2);
    tf__reg_free(&r);
}

static void test_bad_names(void)
{
    char n63[64], n64[65], n200[201];
    memset(n63, 'a', 63);
    n63[63] = '\0';
    memset(n64, 'b', 64);
    n64[64] = '\0';
    memset(n200, 'c', 200);
    n200[200] = '\0';

    CU_ASSERT_EQUAL(tf__name_ok(NULL), 0);
    CU_ASSERT_EQUAL(tf__name_ok(""), 0);
    CU_ASSERT_EQUAL(tf__name_ok(n64), 0);
    CU_ASSERT_EQUAL(tf__name_ok(n200), 0);
    CU_ASSERT_EQUAL(tf__name_ok("x"), 1);
    CU_ASSERT_EQUAL(tf__name_ok(n63), 1);

    tf__reg r = {0};
    const char *bad[] = {NULL, "", n64, n200};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CU_ASSERT_EQUAL(tf__reg_add(&r, bad[i], &fn_a), TF_EINVAL);
        CU_ASSERT_EQUAL(tf__reg_find(&r, bad[i]), -1);
        CU_ASSERT_EQUAL(tf__reg_intern(&r, bad[i]), -1);
    }
    CU_ASSERT_EQUAL(r.n, 0);
    CU_ASSERT_EQUAL(tf__reg_add(&r, "ok", NULL), TF_EINVAL); /* no function */
    CU_ASSERT_EQUAL(r.n, 0);

    /* 63 bytes is the longest name, stored whole */
    CU_ASSERT_EQUAL(tf__reg_add(&r, n63, &fn_a), 0);
    CU_ASSERT_EQUAL(tf__reg_find(&r, n63), 0);
    CU_ASSERT_STRING_EQUAL(r.v[0].name, n63);
    CU_ASSERT_EQUAL(strlen(r.v[0].name), TF__NAME_MAX);
    /* a longer name that starts with it is not mistaken for it */
    n64[0] = 'a';
    memset(n64, 'a', 64);
    CU_ASSERT_EQUAL(tf__reg_find(&r, n64), -1);
    CU_ASSERT_EQUAL(tf__reg_add(&r, n64, &fn_b), TF_EINVAL);
    CU_ASSERT_EQUAL(r.n, 1);

    /* a name is bytes, not only letters */
    CU_ASSERT_EQUAL(tf__reg_add(&r, "with space/and:\xc3\xa9", &fn_a), 0);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "with space/and:\xc3\xa9"), 1);
    tf__reg_free(&r);
}

static void test_intern(void)
{
    tf__reg r = {0};
    CU_ASSERT_EQUAL(tf__reg_intern(&r, "one"), 0);
    CU_ASSERT_EQUAL(tf__reg_intern(&r, "two"), 1);
    CU_ASSERT_EQUAL(tf__reg_intern(&r, "one"), 0);
    CU_ASSERT_EQUAL(tf__reg_intern(&r, "two"), 1);
    CU_ASSERT_EQUAL(r.n, 2);
    CU_ASSERT_PTR_NULL(r.v[0].fn);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "two"), 1);

    /* interning a registered name keeps its function */
    CU_ASSERT_EQUAL(tf__reg_add(&r, "three", &fn_c), 0);
    CU_ASSERT_EQUAL(tf__reg_intern(&r, "three"), 2);
    CU_ASSERT_PTR_EQUAL(r.v[2].fn, &fn_c);
    CU_ASSERT_EQUAL(r.n, 3);
    tf__reg_free(&r);
}

/* 1000 names: indices in order of first use, stable across growth; every
 * name found, functions kept. */
static void test_many_names(void)
{
    tf__reg r = {0};
    char name[TF__NAME_MAX + 1];
    size_t bad = 0;
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "task_%d", i);
        if (i % 2) {
            bad += tf__reg_add(&r, name, (char *)&fn_a + i) != 0;
        } else {
            bad += tf__reg_intern(&r, name) != i;
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(r.n, 1000);
    for (int i = 999; i >= 0; i--) {
        snprintf(name, sizeof name, "task_%d", i);
        bad += tf__reg_find(&r, name) != i;
        bad += tf__reg_intern(&r, name) != i;
        bad += strcmp(r.v[i].name, name) != 0;
        bad += r.v[i].fn != (i % 2 ? (void *)((char *)&fn_a + i) : NULL);
    }
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(r.n, 1000);
    /* near misses */
    CU_ASSERT_EQUAL(tf__reg_find(&r, "task_1000"), -1);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "task_"), -1);
    CU_ASSERT_EQUAL(tf__reg_find(&r, "task_01"), -1);
    CU_ASSERT_EQUAL(tf__reg_add(&r, "task_500", &fn_b), TF_EEXIST);
    CU_ASSERT_EQUAL(tf__reg_add(&r, "task_501", &fn_b), TF_EEXIST);
    CU_ASSERT_EQUAL(tf__reg_intern(&r, "task_1000"), 1000);
    tf__reg_free(&r);

    /* usable again after free */
    CU_ASSERT_EQUAL(tf__reg_intern(&r, "task_7"), 0);
    tf__reg_free(&r);
}

static const unit_test tests[] = {
    UNIT_TEST(test_add_find), UNIT_TEST(test_duplicates), UNIT_TEST(test_bad_names),
    UNIT_TEST(test_intern),   UNIT_TEST(test_many_names),
};
UNIT_MAIN("registry", tests)
