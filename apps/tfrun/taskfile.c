/* taskfile.c - see taskfile.h. */
#define _GNU_SOURCE
#include "taskfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int tfr_errf(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

void tfr_taskfile_free(tfr_taskfile *tf)
{
    if (!tf) return;
    free(tf->text);
    free(tf->v);
    memset(tf, 0, sizeof *tf);
}

long tfr_task_index(const tfr_taskfile *tf, uint64_t id)
{
    size_t lo = 0, hi = tf->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tf->v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < tf->n && tf->v[lo].id == id ? (long)lo : -1;
}

static bool blank_or_comment(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\f' || s[i] == '\v'))
        i++;
    return i == n || s[i] == '#';
}

/* Reads a line the way sh does, as far as continuation goes: true if it
 * ends in a backslash that escapes the newline, that is one outside single
 * quotes and comments and not itself escaped. *quote is the quoting open at
 * the line's start and at its end (0, '\'' or '"'); word_start: the line
 * starts a word (a '#' there opens a comment). */
static bool continues(const char *s, size_t n, char *quote, bool word_start)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (*quote == '\'') {
            if (c == '\'') *quote = 0;
            continue;
        }
        if (c == '\\') {
            if (i + 1 == n) return true;
            i++;
            continue;
        }
        if (*quote == '"') {
            if (c == '"') *quote = 0;
            continue;
        }
        if (c == '\'' || c == '"') {
            *quote = c;
        } else if (c == '#' && (i ? strchr(" \t;&|()<>", s[i - 1]) != NULL : word_start)) {
            return false; /* a comment, to the end of the line */
        }
    }
    return false;
}

int tfr_taskfile_parse(const char *data, size_t len, const char *name, tfr_taskfile *tf, char *err,
                       size_t errlen)
{
    memset(tf, 0, sizeof *tf);
    const char *nul = memchr(data, '\0', len);
    if (nul) {
        uint64_t line = 1;
        for (const char *q = data; q < nul; q++) line += *q == '\n';
        return tfr_errf(err, errlen, "%s:%llu: NUL byte: not a text file of commands", name,
                        (unsigned long long)line);
    }
    /* Some editors (Notepad) start a UTF-8 file with a byte-order mark: it
     * would become part of the first command, which the shell then does not
     * find. Only the first line is affected, so ids stay line numbers. */
    static const char bom[] = "\xEF\xBB\xBF";
    if (len >= sizeof bom - 1 && memcmp(data, bom, sizeof bom - 1) == 0) {
        data += sizeof bom - 1;
        len -= sizeof bom - 1;
    }
    /* the commands are never longer than the file */
    tf->text = malloc(len + 1);
    size_t cap = 1024;
    tf->v = malloc(cap * sizeof *tf->v);
    if (!tf->text || !tf->v) {
        tfr_taskfile_free(tf);
        return tfr_errf(err, errlen, "%s: out of memory", name);
    }
    size_t out = 0;      /* bytes used in text */
    bool in_cmd = false; /* a continued command is open */
    char quote = 0;      /* the quoting open at the end of the last line read */
    uint64_t first = 0;  /* its first line */
    size_t start = 0;    /* its offset in text */
    uint64_t line = 0;
    size_t pos = 0;
    while (pos < len) {
        line++;
        const char *s = data + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t n = nl ? (size_t)(nl - s) : len - pos;
        pos += n + (nl ? 1 : 0);
        if (n && s[n - 1] == '\r') n--;
        if (!in_cmd && blank_or_comment(s, n)) continue;
        bool word_start =
            !in_cmd || out == start || tf->text[out - 1] == ' ' || tf->text[out - 1] == '\t';
        if (!in_cmd) quote = 0;
        bool cont = continues(s, n, &quote, word_start);
        if (cont) n--;
        if (!in_cmd) {
            in_cmd = true;
            first = line;
            start = out;
        }
        if (out - start + n > TFR_CMD_MAX) {
            tfr_taskfile_free(tf);
            return tfr_errf(err, errlen,
                            "%s:%llu: a command of more than %d bytes (the most exec passes in one "
                            "argument)",
                            name, (unsigned long long)first, TFR_CMD_MAX);
        }
        memcpy(tf->text + out, s, n);
        out += n;
        if (cont) {
            if (pos >= len) {
                tfr_taskfile_free(tf);
                return tfr_errf(err, errlen, "%s:%llu: the last line ends in a backslash", name,
                                (unsigned long long)line);
            }
            continue;
        }
        in_cmd = false;
        if (blank_or_comment(tf->text + start, out - start)) { /* continued into nothing */
            out = start;
            continue;
        }
        tf->text[out++] = '\0';
        if (tf->n == cap) {
            cap *= 2;
            tfr_task *nv = realloc(tf->v, cap * sizeof *nv);
            if (!nv) {
                tfr_taskfile_free(tf);
                return tfr_errf(err, errlen, "%s: out of memory", name);
            }
            tf->v = nv;
        }
        tf->v[tf->n++] = (tfr_task){first, start, out - 1 - start};
    }
    tf->lines = line;
    (void)name; /* no commands is no error: nothing to do, as for xargs */
    return 0;
}

int tfr_read_all(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    bool std_in = strcmp(path, "-") == 0;
    const char *name = std_in ? "<stdin>" : path;
    int fd = std_in ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return tfr_errf(err, errlen, "%s: %s", name, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (!std_in) close(fd);
        return tfr_errf(err, errlen, "%s: is a directory", name);
    }
    size_t cap = S_ISREG(st.st_mode) && st.st_size > 0 ? (size_t)st.st_size + 1 : 65536, n = 0;
    char *buf = malloc(cap);
    if (!buf) {
        if (!std_in) close(fd);
        return tfr_errf(err, errlen, "%s: out of memory", name);
    }
    for (;;) {
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                if (!std_in) close(fd);
                return tfr_errf(err, errlen, "%s: out of memory", name);
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            if (!std_in) close(fd);
            return tfr_errf(err, errlen, "%s: %s", name, strerror(e));
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (!std_in) close(fd);
    *data = buf;
    *len = n;
    return 0;
}
