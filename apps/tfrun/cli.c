/* cli.c - see cli.h. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int tfr_duration_parse(const char *s, double *out)
{
    bool digit = s && ((*s >= '0' && *s <= '9') || (*s == '.' && s[1] >= '0' && s[1] <= '9'));
    if (!digit) return -1;
    for (const char *p = s; *p; p++) /* hex and exponents are no duration */
        if (*p == 'x' || *p == 'X' || *p == 'e' || *p == 'E') return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || end == s || !isfinite(x) || x < 0) return -1;
    double mul = 1;
    switch (*end) {
    case 's': mul = 1, end++; break;
    case 'm': mul = 60, end++; break;
    case 'h': mul = 3600, end++; break;
    case 'd': mul = 86400, end++; break;
    default: break;
    }
    if (*end) return -1;
    *out = x * mul;
    return 0;
}

static int halt_err(char *err, size_t errlen, const char *s)
{
    snprintf(err, errlen,
             "--halt: want never, or now|soon,fail|success|done=N[%%] (e.g. soon,fail=1), got "
             "'%s'",
             s);
    return -1;
}

/* A count N >= 1, or a percentage 0 < N <= 100 followed by '%'. */
static int halt_number(const char *s, tfr_halt *h)
{
    if (!(*s >= '0' && *s <= '9')) return -1;
    char *end;
    errno = 0;
    double x = strtod(s, &end);
    if (errno || !isfinite(x)) return -1;
    h->pct = *end == '%';
    if (h->pct) end++;
    if (*end) return -1;
    if (h->pct ? !(x > 0 && x <= 100) : !(x >= 1 && x == floor(x) && x < 1e15)) return -1;
    h->n = x;
    return 0;
}

int tfr_halt_parse(const char *s, tfr_halt *h, char *err, size_t errlen)
{
    tfr_halt v = {TFR_HALT_NEVER, TFR_HALT_FAIL, 1, false};
    /* parallel's old forms */
    static const struct {
        const char *s;
        int when, why;
    } old[] = {{"0", TFR_HALT_NEVER, TFR_HALT_FAIL},    {"never", TFR_HALT_NEVER, TFR_HALT_FAIL},
               {"1", TFR_HALT_SOON, TFR_HALT_FAIL},     {"2", TFR_HALT_NOW, TFR_HALT_FAIL},
               {"-1", TFR_HALT_SOON, TFR_HALT_SUCCESS}, {"-2", TFR_HALT_NOW, TFR_HALT_SUCCESS}};
    for (size_t k = 0; k < sizeof old / sizeof *old; k++)
        if (!strcmp(s, old[k].s)) {
            v.when = old[k].when;
            v.why = old[k].why;
            *h = v;
            return 0;
        }
    size_t n = strlen(s);
    if (n > 1 && s[n - 1] == '%' && !strchr(s, ',')) { /* 1-99%: soon,fail=N% */
        v.when = TFR_HALT_SOON;
        if (halt_number(s, &v) || v.n >= 100) return halt_err(err, errlen, s);
        *h = v;
        return 0;
    }
    const char *p;
    if (!strncmp(s, "now,", 4))
        v.when = TFR_HALT_NOW, p = s + 4;
    else if (!strncmp(s, "soon,", 5))
        v.when = TFR_HALT_SOON, p = s + 5;
    else
        return halt_err(err, errlen, s);
    if (!strncmp(p, "fail=", 5))
        v.why = TFR_HALT_FAIL, p += 5;
    else if (!strncmp(p, "success=", 8))
        v.why = TFR_HALT_SUCCESS, p += 8;
    else if (!strncmp(p, "done=", 5))
        v.why = TFR_HALT_DONE, p += 5;
    else
        return halt_err(err, errlen, s);
    if (halt_number(p, &v)) return halt_err(err, errlen, s);
    *h = v;
    return 0;
}

void tfr_halt_str(const tfr_halt *h, char *buf, size_t cap)
{
    static const char *const why[] = {"fail", "success", "done"};
    if (h->when == TFR_HALT_NEVER) {
        snprintf(buf, cap, "never");
        return;
    }
    snprintf(buf, cap, "%s,%s=%.15g%s", h->when == TFR_HALT_NOW ? "now" : "soon", why[h->why], h->n,
             h->pct ? "%" : "");
}

bool tfr_halt_due(const tfr_halt *h, unsigned long long ok, unsigned long long failed,
                  unsigned long long total)
{
    if (h->when == TFR_HALT_NEVER) return false;
    unsigned long long k = h->why == TFR_HALT_FAIL      ? failed
                           : h->why == TFR_HALT_SUCCESS ? ok
                                                        : ok + failed;
    if (!k) return false;
    /* a percentage of every task to run: 10% of 50 tasks is 5 */
    return h->pct ? 100.0 * (double)k >= h->n * (double)total : (double)k >= h->n;
}

#define DIST_MAX 64

size_t tfr_edit_distance(const char *a, const char *b)
{
    size_t la = strnlen(a, DIST_MAX), lb = strnlen(b, DIST_MAX);
    size_t row[DIST_MAX + 1];
    for (size_t j = 0; j <= lb; j++) row[j] = j;
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

const char *tfr_suggest(const char *given, const char *const *names, size_t n)
{
    char g[DIST_MAX + 1];
    size_t len = strcspn(given, "=");
    if (len > DIST_MAX) len = DIST_MAX;
    memcpy(g, given, len);
    g[len] = 0;
    const char *best = NULL;
    size_t bd = SIZE_MAX;
    for (size_t k = 0; k < n; k++) {
        size_t d = tfr_edit_distance(g, names[k]);
        if (d < bd) bd = d, best = names[k];
    }
    /* a third of the name may be wrong (--journl, --retires, --timout), and
     * a name that only starts the same (--resu) is meant too */
    size_t allow = strlen(g) / 3 > 1 ? strlen(g) / 3 : 1;
    if (best && bd <= allow) return best;
    for (size_t k = 0; k < n && len >= 4; k++)
        if (!strncmp(names[k], g, len)) return names[k];
    return NULL;
}

void tfr_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}
