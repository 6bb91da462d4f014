/* deadline.c - see deadline.h. */
#define _GNU_SOURCE
#include "deadline.h"
#include "cli.h"
#include "taskfile.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof *(a))

static int days_in_month(int year, int mon) /* mon: 0..11 */
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return mon == 1 && leap ? 29 : days[mon];
}

/* strptime takes a day of 1..31 in any month and a second of 60 (a leap
 * second, which mktime cannot tell from the next minute's first); mktime
 * would then carry either into the next month or minute. A deadline that
 * names a date or time that does not exist is more likely a typing error
 * than a wish for that carry. */
static bool tm_exists(const struct tm *tm)
{
    return tm->tm_sec >= 0 && tm->tm_sec <= 59 && tm->tm_min >= 0 && tm->tm_min <= 59 &&
           tm->tm_hour >= 0 && tm->tm_hour <= 23 && tm->tm_mon >= 0 && tm->tm_mon <= 11 &&
           tm->tm_mday >= 1 && tm->tm_mday <= days_in_month(tm->tm_year + 1900, tm->tm_mon);
}

int tfr_deadline_parse(const char *s, double now, double *out, char *err, size_t errlen)
{
    double t = -1;
    char *end;
    if (*s == '+') {
        double x;
        if (!tfr_duration_parse(s + 1, &x)) t = now + x;
    } else if (*s >= '0' && *s <= '9' && strchr("smhd", s[strlen(s) - 1])) {
        /* 10m, 2h: a duration from now; a bare number would be unclear */
        double x;
        if (!tfr_duration_parse(s, &x)) t = now + x;
    } else if (*s == '@') {
        errno = 0;
        double x = s[1] >= '0' && s[1] <= '9' ? strtod(s + 1, &end) : -1;
        if (x >= 0 && !errno && !*end) t = x;
    } else {
        static const char *const fmts[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M",
                                           "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M",
                                           "%H:%M:%S",          "%H:%M"};
        for (size_t k = 0; k < ARRAY_LEN(fmts) && t < 0; k++) {
            time_t nt = (time_t)now;
            struct tm tm;
            localtime_r(&nt, &tm);
            tm.tm_sec = 0;
            end = strptime(s, fmts[k], &tm);
            if (!end || *end) continue;
            if (!tm_exists(&tm))
                return tfr_errf(err, errlen, "--deadline: '%s': no such date or time", s);
            tm.tm_isdst = -1;
            time_t v = mktime(&tm);
            if (v != (time_t)-1) t = (double)v;
            if (t >= 0 && t <= now && fmts[k][1] == 'H') { /* a time of day: the next one */
                tm.tm_mday++;
                tm.tm_isdst = -1;
                v = mktime(&tm);
                t = v != (time_t)-1 ? (double)v : -1;
            }
        }
    }
    if (t < 0)
        return tfr_errf(
            err, errlen,
            "--deadline: want +SEC, a time from now with its unit (10m, 2h, 1d), HH:MM[:SS], "
            "YYYY-MM-DDTHH:MM[:SS] or @EPOCH, got '%s'",
            s);
    if (t <= now) return tfr_errf(err, errlen, "--deadline: '%s' is in the past", s);
    *out = t;
    return 0;
}
