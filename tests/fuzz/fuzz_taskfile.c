/* fuzz_taskfile.c - tfrun's task-file parser on any bytes: a file it accepts
 * must give commands that are NUL-terminated where the table says, no longer
 * than TFR_CMD_MAX, ids ascending within the file's line count; a file it
 * refuses gives a one-line message. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "taskfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    tfr_taskfile tf;
    char err[512];
    err[0] = '\0';
    if (tfr_taskfile_parse((const char *)data, size, "tasks", &tf, err, sizeof err) < 0) {
        if (!err[0] || strchr(err, '\n')) abort();
        return 0;
    }
    /* a file with no command parses too, with n 0: nothing to do */
    uint64_t prev = 0;
    for (size_t i = 0; i < tf.n; i++) {
        const tfr_task *t = &tf.v[i];
        if (t->id <= prev || t->id > tf.lines || t->len > TFR_CMD_MAX) abort();
        if (strlen(tf.text + t->off) != t->len) abort();
        prev = t->id;
    }
    tfr_taskfile_free(&tf);
    return 0;
}
