/* fuzz_journal.c - tfrun's journal reader on any bytes: what it accepts must
 * hold records that format back into lines it reads again to the same
 * records (so a resumed run reads what it wrote); what it refuses gives a
 * one-line message. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tfr_journal j;
    char err[512];
    err[0] = '\0';
    if (tfr_journal_parse((const char *)data, size, "journal", &j, err, sizeof err) < 0) {
        if (!err[0] || strchr(err, '\n')) abort();
        return 0;
    }
    if (j.valid_len > size) abort();
    /* the records written out again, after a header, must read back alike */
    size_t cap = TFR_JOURNAL_LINE_MAX * (j.n + 2);
    char *buf = malloc(cap);
    if (!buf) abort();
    unsigned char sha[TFR_SHA256_LEN] = {0};
    size_t len = tfr_journal_header(buf, cap, j.has_header ? j.sha256 : sha, j.ntasks);
    for (size_t i = 0; i < j.n; i++) {
        if (j.v[i].line_off >= size) abort();
        len += tfr_journal_format(buf + len, cap - len, &j.v[i]);
    }
    tfr_journal k;
    if (tfr_journal_parse(buf, len, "again", &k, err, sizeof err) < 0) {
        fprintf(stderr, "formatted records do not read back: %s\n", err);
        abort();
    }
    if (k.n != j.n || k.torn) abort();
    for (size_t i = 0; i < j.n; i++) {
        const tfr_jrec *a = &j.v[i], *b = &k.v[i];
        if (a->id != b->id || a->kind != b->kind || a->code != b->code || a->rank != b->rank ||
            a->out_bytes != b->out_bytes || a->err_bytes != b->err_bytes || a->tries != b->tries ||
            a->out_end != b->out_end)
            abort();
    }
    tfr_journal_free(&k);
    free(buf);
    tfr_journal_free(&j);
    return 0;
}
