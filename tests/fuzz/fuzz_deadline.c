/* fuzz_deadline.c - tfrun's --deadline parser (deadline.c): any string, read
 * against a few fixed clocks; an accepted deadline lies after the clock, a
 * refused one gives a one-line message naming --deadline (a newline in it
 * can only be the value's own). Input: one byte
 * choosing the clock, then the option's value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "deadline.h"

static size_t lines(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    setenv("TZ", "Europe/Berlin", 1); /* one with daylight saving time */
    tzset();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const double clocks[] = {1.7e9, 1711846800.0 /* 2024-03-31 01:00 UTC */, 0.5,
                                    4102444800.0 /* 2100-01-01 */};
    if (size == 0 || size > 4096) return 0;
    double now = clocks[data[0] % (sizeof clocks / sizeof *clocks)];
    char *s = malloc(size);
    if (!s) return 0;
    memcpy(s, data + 1, size - 1);
    s[size - 1] = '\0';
    double out = 0;
    char err[256];
    err[0] = '\0';
    if (tfr_deadline_parse(s, now, &out, err, sizeof err) == 0) {
        if (!(out > now)) abort();
    } else if (strncmp(err, "--deadline: ", 12) != 0 || lines(err) > lines(s)) {
        abort(); /* one line, but for the newlines of the value it quotes (cut short) */
    }
    free(s);
    return 0;
}
