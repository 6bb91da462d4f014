/* test_opts.c - the TF_* option table (tf__opts_env), the defaults
 * (tf__opts_defaults) and the on/off rule (tf__opts_flag), on a fake
 * environment. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/opts.h"
#include "unit.h"

/* ---- a fake environment -------------------------------------------------------- */

#define NFAKE 16
static struct {
    const char *name;
    char value[64];
} fake[NFAKE];

static void env_clear(void) { memset(fake, 0, sizeof fake); }

static void env_set(const char *name, const char *value)
{
    size_t i = 0;
    while (i < NFAKE && fake[i].name && strcmp(fake[i].name, name) != 0) i++;
    CU_ASSERT_FATAL(i < NFAKE);
    fake[i].name = name;
    snprintf(fake[i].value, sizeof fake[i].value, "%s", value);
}

static char *fake_getenv(const char *name)
{
    for (size_t i = 0; i < NFAKE && fake[i].name; i++)
        if (strcmp(fake[i].name, name) == 0) return fake[i].value;
    return NULL;
}

/* Options that no variable's good value below produces, so that a field the
 * parser touched shows. */
static tf_pool_opts sentinel(void)
{
    return (tf_pool_opts){.chunk = TF_CHUNK_FIXED,
                          .chunk_size = 12345,
                          .chunk_target_s = 42.0,
                          .prefetch_s = 43.0,
                          .wait = TF_WAIT_YIELD,
                          .spin_us = 777,
                          .verbose = 2,
                          .bind = TF_BIND_SOCKET,
                          .no_file_prefetch = 1,
                          .file_prefetch_bytes = 999,
                          .sched = TF_SCHED_CENTRAL,
                          .idle_max_us = 4321};
}

/* Field by field: the padding of a struct is not part of its value. */
static int same(const tf_pool_opts *a, const tf_pool_opts *b)
{
    return a->chunk == b->chunk && a->chunk_size == b->chunk_size &&
           a->chunk_target_s == b->chunk_target_s && a->prefetch_s == b->prefetch_s &&
           a->wait == b->wait && a->spin_us == b->spin_us && a->verbose == b->verbose &&
           a->bind == b->bind && a->no_file_prefetch == b->no_file_prefetch &&
           a->file_prefetch_bytes == b->file_prefetch_bytes && a->sched == b->sched &&
           a->idle_max_us == b->idle_max_us;
}

/* Runs tf__opts_env on the fake environment with stderr captured into err
 * (NUL-terminated). */
static int run_env(tf_pool_opts *o, int rank, const char **bad, char *err, size_t errsize)
{
    fflush(stderr);
    FILE *tmp = tmpfile();
    CU_ASSERT_PTR_NOT_NULL_FATAL(tmp);
    int saved = dup(STDERR_FILENO);
    CU_ASSERT_FATAL(saved >= 0);
    CU_ASSERT_FATAL(dup2(fileno(tmp), STDERR_FILENO) >= 0);
    int rc = tf__opts_env(o, fake_getenv, rank, bad);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(tmp);
    size_t n = fread(err, 1, errsize - 1, tmp);
    err[n] = '\0';
    fclose(tmp);
    return rc;
}

/* One variable set to v on top of the sentinel: the return code; *o the
 * result; a bad value must name the variable on stderr, exactly. */
static int one(const char *name, const char *v, tf_pool_opts *o)
{
    env_clear();
    env_set(name, v);
    *o = sentinel();
    const char *bad = "?";
    char err[256], want[256];
    int rc = run_env(o, 0, &bad, err, sizeof err);
    if (rc == 0) {
        CU_ASSERT_PTR_NULL(bad);
        CU_ASSERT_STRING_EQUAL(err, "");
    } else {
        CU_ASSERT_EQUAL(rc, TF_EINVAL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
        CU_ASSERT_STRING_EQUAL(bad, name);
        snprintf(want, sizeof want, "taskfarm: %s: invalid value '%s'\n", name, v);
        CU_ASSERT_STRING_EQUAL(err, want);
    }
    return rc;
}

/* Every value in bad is refused and leaves the options as they were. */
static void refuses(const char *name, const char *const *bad, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        tf_pool_opts o, s = sentinel();
        if (one(name, bad[i], &o) != TF_EINVAL)
            fprintf(stderr, "%s: '%s' was accepted\n", name, bad[i]);
        CU_ASSERT_TRUE(same(&o, &s));
    }
}
#define REFUSES(name, ...)                                 \
    do {                                                   \
        static const char *const bad_[] = {__VA_ARGS__};   \
        refuses(name, bad_, sizeof bad_ / sizeof bad_[0]); \
    } while (0)

/* ---- the table ---------------------------------------------------------------------- */

static const char *const vars[] = {"TF_CHUNK", "TF_CHUNK_TARGET_US", "TF_PREFETCH_US",
                                   "TF_WAIT",  "TF_SPIN_US",         "TF_VERBOSE",
                                   "TF_BIND",  "TF_FILE_PREFETCH",   "TF_FILE_PREFETCH_MB",
                                   "TF_SCHED", "TF_IDLE_MAX_US",     "TF_LEADERS"};
#define NVARS (sizeof vars / sizeof vars[0])

static void test_table_lists_every_variable_in_order(void)
{
    for (size_t i = 0; i < NVARS; i++) {
        const char *help = NULL;
        const char *name = tf__opts_var(i, &help);
        CU_ASSERT_PTR_NOT_NULL_FATAL(name);
        CU_ASSERT_STRING_EQUAL(name, vars[i]);
        CU_ASSERT_PTR_NOT_NULL_FATAL(help);
        CU_ASSERT_TRUE(strlen(help) > 10);
        CU_ASSERT_PTR_NOT_NULL(tf__opts_var(i, NULL));
    }
    CU_ASSERT_PTR_NULL(tf__opts_var(NVARS, NULL));
}

/* Unset and empty both leave every field alone. */
static void test_unset_and_empty_change_nothing(void)
{
    tf_pool_opts o = sentinel(), s = sentinel();
    const char *bad = "?";
    char err[256];
    env_clear();
    CU_ASSERT_EQUAL(run_env(&o, 0, &bad, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT_TRUE(same(&o, &s));
    for (size_t i = 0; i < NVARS; i++) env_set(vars[i], "");
    bad = "?";
    CU_ASSERT_EQUAL(run_env(&o, 0, &bad, err, sizeof err), 0);
    CU_ASSERT_PTR_NULL(bad);
    CU_ASSERT_STRING_EQUAL(err, "");
    CU_ASSERT_TRUE(same(&o, &s));
}

/* ---- each variable ------------------------------------------------------------------- */

static void test_chunk(void)
{
    tf_pool_opts o;
    CU_ASSERT_EQUAL(one("TF_CHUNK", "auto", &o), 0);
    CU_ASSERT_EQUAL(o.chunk, TF_CHUNK_AUTO);
    CU_ASSERT_EQUAL(o.chunk_size, 12345); /* a policy word keeps the size */
    CU_ASSERT_EQUAL(one("TF_CHUNK", "guided", &o), 0);
    CU_ASSERT_EQUAL(o.chunk, TF_CHUNK_GUIDED);
    CU_ASSERT_EQUAL(o.chunk_size, 12345);
    CU_ASSERT_EQUAL(one("TF_CHUNK", "1", &o), 0);
    CU_ASSERT_EQUAL(o.chunk, TF_CHUNK_FIXED);
    CU_ASSERT_EQUAL(o.chunk_size, 1);
    CU_ASSERT_EQUAL(one("TF_CHUNK", "007", &o), 0);
    CU_ASSERT_EQUAL(o.chunk_size, 7);
    if (SIZE_MAX == UINT64_MAX) {
        CU_ASSERT_EQUAL(one("TF_CHUNK", "18446744073709551615", &o), 0);
        CU_ASSERT_EQUAL(o.chunk_size, SIZE_MAX);
    }
    REFUSES("TF_CHUNK", "0", "00", "-1", "+5", " 5", "5 ", "1.5", "1e3", "x", "Auto", "auto ",
            "GUIDED", "fixed", "18446744073709551616", "99999999999999999999999");
}

static void test_chunk_target_and_prefetch_us(void)
{
    static const char *const names[] = {"TF_CHUNK_TARGET_US", "TF_PREFETCH_US"};
    for (int k = 0; k < 2; k++) {
        tf_pool_opts o;
        const char *name = names[k];
        double *f = k == 0 ? &o.chunk_target_s : &o.prefetch_s;
        double *other = k == 0 ? &o.prefetch_s : &o.chunk_target_s;
        CU_ASSERT_EQUAL(one(name, "1", &o), 0);
        CU_ASSERT_EQUAL(*f, 1.0 * 1e-6);
        CU_ASSERT_EQUAL(*other, k == 0 ? 43.0 : 42.0);
        CU_ASSERT_EQUAL(one(name, "0.5", &o), 0);
        CU_ASSERT_EQUAL(*f, 0.5 * 1e-6);
        CU_ASSERT_EQUAL(one(name, "1e3", &o), 0);
        CU_ASSERT_EQUAL(*f, 1e3 * 1e-6);
        CU_ASSERT_EQUAL(one(name, "1e-300", &o), 0);
        CU_ASSERT_TRUE(*f >= 0 && *f < 1e-300);
        CU_ASSERT_EQUAL(one(name, " 2", &o), 0); /* strtod skips leading space */
        CU_ASSERT_EQUAL(*f, 2.0 * 1e-6);
        CU_ASSERT_EQUAL(one(name, "inf", &o), 0); /* no upper bound */
        CU_ASSERT_TRUE(isinf(*f));
        REFUSES(name, "0", "0.0", "-0", "-1", "-inf", "nan", "x", "1x", "1 ", " ", "1,5", "1e-320",
                "4.9e-324", "0x10", "0x1p-2");
    }
}

static void test_wait(void)
{
    static const struct {
        const char *v;
        tf_wait_policy w;
    } good[] = {{"auto", TF_WAIT_AUTO},
                {"spin", TF_WAIT_SPIN},
                {"yield", TF_WAIT_YIELD},
                {"block", TF_WAIT_BLOCK}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        tf_pool_opts o;
        CU_ASSERT_EQUAL(one("TF_WAIT", good[i].v, &o), 0);
        CU_ASSERT_EQUAL(o.wait, good[i].w);
        CU_ASSERT_EQUAL(o.spin_us, 777);
    }
    REFUSES("TF_WAIT", "AUTO", "spin ", " block", "busy", "0", "1", "yiel", "blocking");
}

static void test_spin_us(void)
{
    tf_pool_opts o;
    CU_ASSERT_EQUAL(one("TF_SPIN_US", "0", &o), 0);
    CU_ASSERT_EQUAL(o.spin_us, 0);
    CU_ASSERT_EQUAL(one("TF_SPIN_US", "10000000", &o), 0);
    CU_ASSERT_EQUAL(o.spin_us, 10000000);
    CU_ASSERT_EQUAL(one("TF_SPIN_US", "50", &o), 0);
    CU_ASSERT_EQUAL(o.spin_us, 50);
    CU_ASSERT_EQUAL(one("TF_SPIN_US", "+5", &o), 0);
    CU_ASSERT_EQUAL(o.spin_us, 5);
    REFUSES("TF_SPIN_US", "10000001", "-1", "1.5", "1e3", "x", "5 ", "99999999999999999999",
            "-18446744073709551615");
}

static void test_verbose(void)
{
    for (int k = 0; k <= 3; k++) {
        char v[4];
        snprintf(v, sizeof v, "%d", k);
        tf_pool_opts o;
        CU_ASSERT_EQUAL(one("TF_VERBOSE", v, &o), 0);
        CU_ASSERT_EQUAL(o.verbose, k);
    }
    REFUSES("TF_VERBOSE", "4", "-1", "2a", "debug", "1.0", "99999999999999999999");
}

static void test_bind(void)
{
    static const struct {
        const char *v;
        tf_bind b;
    } good[] = {{"auto", TF_BIND_AUTO},
                {"core", TF_BIND_CORE},
                {"socket", TF_BIND_SOCKET},
                {"none", TF_BIND_NONE}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        tf_pool_opts o;
        CU_ASSERT_EQUAL(one("TF_BIND", good[i].v, &o), 0);
        CU_ASSERT_EQUAL(o.bind, good[i].b);
    }
    REFUSES("TF_BIND", "cores", "Core", "numa", "0", "none ");
}

static void test_file_prefetch(void)
{
    tf_pool_opts o;
    CU_ASSERT_EQUAL(one("TF_FILE_PREFETCH", "1", &o), 0);
    CU_ASSERT_EQUAL(o.no_file_prefetch, 0);
    CU_ASSERT_EQUAL(one("TF_FILE_PREFETCH", "0", &o), 0);
    CU_ASSERT_EQUAL(o.no_file_prefetch, 1);
    CU_ASSERT_EQUAL(o.file_prefetch_bytes, 999);
    REFUSES("TF_FILE_PREFETCH", "2", "01", "yes", "true", "on", " 1");
}

static void test_file_prefetch_mb(void)
{
    tf_pool_opts o;
    CU_ASSERT_EQUAL(one("TF_FILE_PREFETCH_MB", "1", &o), 0);
    CU_ASSERT_EQUAL(o.file_prefetch_bytes, 1048576);
    CU_ASSERT_EQUAL(one("TF_FILE_PREFETCH_MB", "0.5", &o), 0);
    CU_ASSERT_EQUAL(o.file_prefetch_bytes, 524288);
    CU_ASSERT_EQUAL(one("TF_FILE_PREFETCH_MB", "1e6", &o), 0);
    CU_ASSERT_EQUAL(o.file_prefetch_bytes, (size_t)1000000 << 20);
    /* a byte is the least: a value under it would read nothing ahead */
    CU_ASSERT_EQUAL(one("TF_FILE_PREFETCH_MB", "1e-6", &o), 0);
    CU_ASSERT_EQUAL(o.file_prefetch_bytes, 1);
    CU_ASSERT_EQUAL(o.no_file_prefetch, 1);
    REFUSES("TF_FILE_PREFETCH_MB", "0", "-1", "1000000.5", "1e7", "inf", "nan", "x", "64M", "1e-9",
            "9e-7", "4.9e-324", "0x10", "0x1p4", "infinity", "1e-9999");
}

static void test_sched(void)
{
    tf_pool_opts o;
    CU_ASSERT_EQUAL(one("TF_SCHED", "central", &o), 0);
    CU_ASSERT_EQUAL(o.sched, TF_SCHED_CENTRAL);
    CU_ASSERT_EQUAL(one("TF_SCHED", "peers", &o), 0);
    CU_ASSERT_EQUAL(o.sched, TF_SCHED_PEERS);
    CU_ASSERT_EQUAL(one("TF_SCHED", "auto", &o), 0);
    CU_ASSERT_EQUAL(o.sched, TF_SCHED_PEERS);
    REFUSES("TF_SCHED", "Peers", "1", "steal", "central ");
    /* the default, and a bad value from a program */
    tf_pool_opts in = {0}, out;
    CU_ASSERT_EQUAL(tf__opts_defaults(&out, &in), 0);
    CU_ASSERT_EQUAL(out.sched, TF_SCHED_PEERS);
    CU_ASSERT_EQUAL(out.idle_max_us, 200);
    in.sched = (tf_sched)7;
    CU_ASSERT_EQUAL(tf__opts_defaults(&out, &in), TF_EINVAL);
}

static void test_idle_max_us(void)
{
    tf_pool_opts o;
    CU_ASSERT_EQUAL(one("TF_IDLE_MAX_US", "1", &o), 0);
    CU_ASSERT_EQUAL(o.idle_max_us, 1);
    CU_ASSERT_EQUAL(one("TF_IDLE_MAX_US", "1000000", &o), 0);
    CU_ASSERT_EQUAL(o.idle_max_us, 1000000);
    REFUSES("TF_IDLE_MAX_US", "0", "-5", "1000001", "2ms", "x");
    tf_pool_opts in = {.idle_max_us = 1000001}, out;
    CU_ASSERT_EQUAL(tf__opts_defaults(&out, &in), TF_EINVAL);
}

static void test_leaders(void)
{
    tf_pool_opts o;
    CU_ASSERT_EQUAL(one("TF_LEADERS", "node", &o), 0);
    CU_ASSERT_EQUAL(o.leader_ranks, 0);
    CU_ASSERT_EQUAL(one("TF_LEADERS", "off", &o), 0);
    CU_ASSERT_EQUAL(o.leader_ranks, -1);
    CU_ASSERT_EQUAL(one("TF_LEADERS", "1", &o), 0);
    CU_ASSERT_EQUAL(o.leader_ranks, 1);
    CU_ASSERT_EQUAL(one("TF_LEADERS", "1000000", &o), 0);
    CU_ASSERT_EQUAL(o.leader_ranks, 1000000);
    REFUSES("TF_LEADERS", "0", "-1", "1000001", "nodes", "Off", "2x");
    tf_pool_opts in = {.leader_ranks = -2}, out;
    CU_ASSERT_EQUAL(tf__opts_defaults(&out, &in), TF_EINVAL);
    in = (tf_pool_opts){.leader_ranks = -1};
    CU_ASSERT_EQUAL(tf__opts_defaults(&out, &in), 0);
    CU_ASSERT_EQUAL(out.leader_ranks, -1);
}

/* ---- errors ------------------------------------------------------------------------- */

/* Only rank 0 prints; every rank fails and names the variable. */
static void test_error_printed_by_rank_0_only(void)
{
    env_clear();
    env_set("TF_WAIT", "busy");
    for (int rank = 0; rank < 3; rank++) {
        tf_pool_opts o = sentinel();
        const char *bad = NULL;
        char err[256];
        CU_ASSERT_EQUAL(run_env(&o, rank, &bad, err, sizeof err), TF_EINVAL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
        CU_ASSERT_STRING_EQUAL(bad, "TF_WAIT");
        CU_ASSERT_STRING_EQUAL(err, rank == 0 ? "taskfarm: TF_WAIT: invalid value 'busy'\n" : "");
        /* bad may be NULL */
        CU_ASSERT_EQUAL(run_env(&o, rank, NULL, err, sizeof err), TF_EINVAL);
    }
}

/* A good and a bad value of each variable, and the field it sets. */
static const struct {
    const char *good, *bad;
    size_t off, size;
} cases[NVARS] = {
#define AT(f) offsetof(tf_pool_opts, f), sizeof(((tf_pool_opts *)0)->f)
    {"4", "0", AT(chunk_size)},
    {"500", "0", AT(chunk_target_s)},
    {"700", "-3", AT(prefetch_s)},
    {"block", "nap", AT(wait)},
    {"9", "-1", AT(spin_us)},
    {"3", "4", AT(verbose)},
    {"none", "all", AT(bind)},
    {"1", "2", AT(no_file_prefetch)},
    {"2", "0", AT(file_prefetch_bytes)},
    {"peers", "none", AT(sched)},
    {"5000", "0", AT(idle_max_us)},
    {"3", "nodes", AT(leader_ranks)},
#undef AT
};

static int field_changed(size_t i, const tf_pool_opts *o)
{
    tf_pool_opts s = sentinel();
    return memcmp((const char *)o + cases[i].off, (const char *)&s + cases[i].off, cases[i].size) !=
           0;
}

/* With every variable good but one, the walk stops at the bad one: the
 * fields before it are set, those after it untouched. */
static void test_walk_stops_at_the_first_bad_value(void)
{
    for (size_t bad_i = 0; bad_i <= NVARS; bad_i++) {
        env_clear();
        for (size_t i = 0; i < NVARS; i++)
            env_set(vars[i], i == bad_i ? cases[i].bad : cases[i].good);
        tf_pool_opts o = sentinel();
        const char *bad = NULL;
        char err[256];
        int rc = run_env(&o, 0, &bad, err, sizeof err);
        if (bad_i == NVARS) {
            CU_ASSERT_EQUAL(rc, 0);
            CU_ASSERT_PTR_NULL(bad);
        } else {
            CU_ASSERT_EQUAL(rc, TF_EINVAL);
            CU_ASSERT_PTR_NOT_NULL_FATAL(bad);
            CU_ASSERT_STRING_EQUAL(bad, vars[bad_i]);
        }
        for (size_t i = 0; i < NVARS; i++) {
            if (field_changed(i, &o) != (i < bad_i))
                fprintf(stderr, "bad %zu: field of %s %s\n", bad_i, vars[i],
                        i < bad_i ? "not set" : "changed");
            CU_ASSERT_EQUAL(field_changed(i, &o), i < bad_i);
        }
    }
}

/* A NULL lookup is getenv. */
static void test_null_lookup_is_getenv(void)
{
    CU_ASSERT_EQUAL_FATAL(setenv("TF_VERBOSE", "3", 1), 0);
    tf_pool_opts o = sentinel();
    CU_ASSERT_EQUAL(tf__opts_env(&o, NULL, 1, NULL), 0);
    CU_ASSERT_EQUAL(o.verbose, 3);
    CU_ASSERT_EQUAL(setenv("TF_VERBOSE", "9", 1), 0);
    CU_ASSERT_EQUAL(tf__opts_env(&o, NULL, 1, NULL), TF_EINVAL);
    unsetenv("TF_VERBOSE");
}

/* ---- defaults ------------------------------------------------------------------------ */

static void test_defaults(void)
{
    tf_pool_opts o;
    memset(&o, 0x5a, sizeof o);
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, NULL), 0);
    CU_ASSERT_EQUAL(o.chunk, TF_CHUNK_AUTO);
    CU_ASSERT_EQUAL(o.chunk_size, 0);
    CU_ASSERT_EQUAL(o.chunk_target_s, 1e-3);
    CU_ASSERT_EQUAL(o.prefetch_s, 2e-3);
    CU_ASSERT_EQUAL(o.wait, TF_WAIT_AUTO);
    CU_ASSERT_EQUAL(o.spin_us, 50);
    CU_ASSERT_EQUAL(o.verbose, 0);
    CU_ASSERT_EQUAL(o.bind, TF_BIND_AUTO);
    CU_ASSERT_EQUAL(o.no_file_prefetch, 0);
    CU_ASSERT_EQUAL(o.file_prefetch_bytes, (size_t)64 << 20);

    tf_pool_opts zero = {0}, z;
    CU_ASSERT_EQUAL(tf__opts_defaults(&z, &zero), 0);
    CU_ASSERT_TRUE(same(&z, &o));

    /* the caller's values stay */
    tf_pool_opts in = sentinel(), s = sentinel();
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), 0);
    CU_ASSERT_TRUE(same(&o, &s));

    /* FIXED with no size is one task a dispatch; GUIDED's 0 minimum stays */
    in = (tf_pool_opts){.chunk = TF_CHUNK_FIXED};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), 0);
    CU_ASSERT_EQUAL(o.chunk_size, 1);
    in = (tf_pool_opts){.chunk = TF_CHUNK_GUIDED};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), 0);
    CU_ASSERT_EQUAL(o.chunk_size, 0);
}

static void test_defaults_refuse_bad_fields(void)
{
    tf_pool_opts o, in;
    in = (tf_pool_opts){.chunk = (tf_chunk_policy)3};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), TF_EINVAL);
    in = (tf_pool_opts){.wait = (tf_wait_policy)4};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), TF_EINVAL);
    in = (tf_pool_opts){.wait = (tf_wait_policy)-1};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), TF_EINVAL);
    in = (tf_pool_opts){.bind = (tf_bind)4};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), TF_EINVAL);
    in = (tf_pool_opts){.no_file_prefetch = 2};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), TF_EINVAL);
    in = (tf_pool_opts){.no_file_prefetch = -1};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), TF_EINVAL);
    in = (tf_pool_opts){.chunk_target_s = -1e-9};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), TF_EINVAL);
    in = (tf_pool_opts){.prefetch_s = -1};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), TF_EINVAL);
    in = (tf_pool_opts){.chunk = TF_CHUNK_GUIDED,
                        .wait = TF_WAIT_BLOCK,
                        .bind = TF_BIND_NONE,
                        .no_file_prefetch = 1};
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, &in), 0);
}

/* The environment comes after the defaults: its 0 is not replaced. */
static void test_env_zero_survives_defaults(void)
{
    tf_pool_opts o;
    CU_ASSERT_EQUAL(tf__opts_defaults(&o, NULL), 0);
    env_clear();
    env_set("TF_SPIN_US", "0");
    CU_ASSERT_EQUAL(tf__opts_env(&o, fake_getenv, 0, NULL), 0);
    CU_ASSERT_EQUAL(o.spin_us, 0);
    CU_ASSERT_EQUAL(o.prefetch_s, 2e-3);
}

/* ---- on/off ---------------------------------------------------------------------------- */

static void test_flag(void)
{
    CU_ASSERT_EQUAL(tf__opts_flag(NULL), 0);
    CU_ASSERT_EQUAL(tf__opts_flag(""), 0);
    CU_ASSERT_EQUAL(tf__opts_flag("0"), 0);
    CU_ASSERT_EQUAL(tf__opts_flag("1"), 1);
    static const char *const bad[] = {"2", "01", "00", " 1", "1 ", "true", "on", "-1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CU_ASSERT_EQUAL(tf__opts_flag(bad[i]), TF_EINVAL);
}

static const unit_test tests[] = {
    UNIT_TEST(test_table_lists_every_variable_in_order),
    UNIT_TEST(test_unset_and_empty_change_nothing),
    UNIT_TEST(test_chunk),
    UNIT_TEST(test_chunk_target_and_prefetch_us),
    UNIT_TEST(test_wait),
    UNIT_TEST(test_spin_us),
    UNIT_TEST(test_verbose),
    UNIT_TEST(test_bind),
    UNIT_TEST(test_file_prefetch),
    UNIT_TEST(test_file_prefetch_mb),
    UNIT_TEST(test_sched),
    UNIT_TEST(test_idle_max_us),
    UNIT_TEST(test_leaders),
    UNIT_TEST(test_error_printed_by_rank_0_only),
    UNIT_TEST(test_walk_stops_at_the_first_bad_value),
    UNIT_TEST(test_null_lookup_is_getenv),
    UNIT_TEST(test_defaults),
    UNIT_TEST(test_defaults_refuse_bad_fields),
    UNIT_TEST(test_env_zero_survives_defaults),
    UNIT_TEST(test_flag),
};
UNIT_MAIN("opts", tests)
