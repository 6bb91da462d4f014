/* tf-mandelbrot - the Mandelbrot set, bands of rows as tasks of very uneven
 * cost, written as a PNG.
 *
 *   mpirun -np P tf-mandelbrot [--width W] [--height H] [--max-iter N]
 *          [--region xmin,xmax,ymin,ymax] [--rows-per-task K]
 *          [--chunk auto|guided|K] [--repeat R] [--out FILE.png]
 *          [--serial] [--verify] [--expect-sha256 HEX]
 *
 * Defaults: W 2048, H 3W/4, N 2000, the region -2.2,1.0,-1.2,1.2, K 1,
 * chunk auto, R 1, no file.
 *
 * Pixel (i, j) is the point c = (xmin + (i + 0.5) dx, ymax - (j + 0.5) dy);
 * its escape time is the number of steps z <- z^2 + c from z = 0 until
 * |z| > 2, at most N. No interior test shortens the walk, so a row through
 * the set costs up to N steps a pixel and a row outside it a few: in the
 * default view rows take from 4.5 thousand to 2.2 million steps, the load
 * the farm has to balance. Colours come from the escape time through a fixed
 * palette (black inside), in integer arithmetic after the walk. The walk is
 * plain IEEE double arithmetic, built without fused multiply-adds
 * (CMakeLists.txt), so the pixels are the same on every machine as well.
 *
 * The work: ceil(H/K) tasks, one per band of K rows; a task returns the band's
 * step count (8 bytes) and its RGB bytes. The driver maps the bands in order
 * (tf_map), hashes the pixels with SHA-256 (OpenSSL) and, with --out, writes
 * them with libpng (fixed filter and compression: the file's bytes, too, are
 * the same at every rank count). The file is opened before the renders, so a
 * path that cannot be written fails at once; it is written even when a check
 * fails (the evidence) and removed when the run or the write fails.
 * --serial renders the same bands on rank 0 with a plain loop and no farm:
 * the reference image and the baseline time. --verify renders that reference
 * as well, after the timed runs, and fails unless the pixels are identical;
 * --expect-sha256 fails unless the pixels hash to HEX (a cheap check of a
 * known image in a sweep).
 *
 * Threads: the driver and the task function run on each rank's main thread;
 * the library's service thread does the messaging.
 *
 * Output: a summary on stderr and, as the last line of stdout, one JSON
 * object: app, ranks, width, height, max_iter, rows_per_task, tasks, iters
 * (steps taken in all), band_iters_min and band_iters_max (the cheapest and
 * the dearest task), sha256 (of the RGB rows, top to bottom), repeat, seconds
 * (median of R renders, the PNG excluded), seconds_min, write_s, busy_share
 * (the ranks' time in the task function over ranks x render time; 0 with
 * --serial), serial, ok.
 * Exit status: 0 ok, 1 a library error, a mismatch or an unwritable --out,
 * 2 a bad option.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <openssl/evp.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "appkit.h"

static struct {
    int width, height, max_iter, rows_per_task;
    double xmin, xmax, ymin, ymax;
    unsigned repeat;
    const char *out, *expect_sha;
    int serial, verify;
    tf_pool_opts opts;
} cfg = {2048, 0, 2000, 1, -2.2, 1.0, -1.2, 1.2, 1, NULL, NULL, 0, 0, {0}};

/* ---- the picture ---------------------------------------------------------------- */

static uint8_t palette[256][3];

/* A smooth cyclic palette from integer ramps: no libm, so no doubt about bits. */
static void make_palette(void)
{
    static const uint8_t key[8][3] = {{0, 7, 100},  {32, 107, 203}, {237, 255, 255}, {255, 170, 0},
                                      {120, 40, 0}, {20, 10, 60},   {0, 60, 90},     {0, 7, 100}};
    for (int k = 0; k < 256; k++) {
        int seg = k / 32, t = k % 32;
        for (int c = 0; c < 3; c++)
            palette[k][c] = (uint8_t)((key[seg][c] * (32 - t) + key[seg + 1][c] * t) / 32);
    }
}

/* Renders rows [y0, y0 + n) into rgb (3 * width bytes a row); returns the
 * steps taken. The one code path for tasks, --serial and --verify. */
static uint64_t render_rows(int y0, int n, uint8_t *rgb)
{
    const double dx = (cfg.xmax - cfg.xmin) / cfg.width, dy = (cfg.ymax - cfg.ymin) / cfg.height;
    uint64_t steps = 0;
    for (int j = y0; j < y0 + n; j++) {
        const double ci = cfg.ymax - (j + 0.5) * dy;
        for (int i = 0; i < cfg.width; i++) {
            const double cr = cfg.xmin + (i + 0.5) * dx;
            double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
            int it = 0;
            while (it < cfg.max_iter && zr2 + zi2 <= 4.0) {
                zi = 2 * zr * zi + ci;
                zr = zr2 - zi2 + cr;
                zr2 = zr * zr;
                zi2 = zi * zi;
                it++;
            }
            steps += (uint64_t)it;
            uint8_t *px = rgb + 3 * ((size_t)(j - y0) * (size_t)cfg.width + (size_t)i);
            if (it >= cfg.max_iter) {
                px[0] = px[1] = px[2] = 0;
            } else {
                memcpy(px, palette[((unsigned)it * 7u) & 255u], 3);
            }
        }
    }
    return steps;
}

/* The first row and the number of rows of band b. */
static int band_rows(uint32_t b, int *y0)
{
    int64_t first = (int64_t)b * cfg.rows_per_task;
    *y0 = (int)first;
    return (int)(cfg.height - first < cfg.rows_per_task ? cfg.height - first : cfg.rows_per_task);
}

/* ---- the farm --------------------------------------------------------------------- */

static int fn_band(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint32_t band;
    if (len != sizeof band) return tf_task_fail(t, "input of %zu bytes, want 4", len);
    memcpy(&band, in, sizeof band);
    if ((int64_t)band * cfg.rows_per_task >= cfg.height)
        return tf_task_fail(t, "band %" PRIu32 " is below the image", band);
    int y0, n = band_rows(band, &y0);
    size_t bytes = (size_t)n * (size_t)cfg.width * 3;
    uint8_t *p = tf_buf_reserve(out, sizeof(uint64_t) + bytes);
    if (!p) return tf_task_fail(t, "no room for a %zu-byte band", bytes);
    uint64_t steps = render_rows(y0, n, p + sizeof steps);
    memcpy(p, &steps, sizeof steps);
    return 0;
}

struct run {
    uint8_t *img; /* height * width * 3 */
    uint32_t *bands;
    uint32_t nbands;
    uint64_t steps, band_min, band_max; /* of the last render */
    double *secs;
};

static void count_band(struct run *r, uint64_t steps)
{
    r->steps += steps;
    if (steps < r->band_min) r->band_min = steps;
    if (steps > r->band_max) r->band_max = steps;
}

/* rank 0, main thread: R renders, each timed from the first task handed out
 * to the last row in place. */
static int driver(tf_pool *pool, void *arg)
{
    struct run *r = arg;
    const size_t row = (size_t)cfg.width * 3;
    for (unsigned rep = 0; rep < cfg.repeat; rep++) {
        r->steps = r->band_max = 0;
        r->band_min = UINT64_MAX;
        double t0 = ak_now();
        if (cfg.serial) {
            for (uint32_t b = 0; b < r->nbands; b++) {
                int y0, n = band_rows(b, &y0);
                count_band(r, render_rows(y0, n, r->img + (size_t)y0 * row));
            }
        } else {
            tf_results *res = NULL;
            int rc = tf_map(pool, "band", r->bands, sizeof(uint32_t), r->nbands, &res);
            if (rc && rc != TF_ETASK) return rc; /* TF_ETASK: the loop names the band */
            for (uint32_t b = 0; b < r->nbands; b++) {
                const uint8_t *o;
                size_t len;
                int y0, n = band_rows(b, &y0);
                rc = tf_results_get(res, b, (const void **)&o, &len);
                if (rc || len != sizeof(uint64_t) + (size_t)n * row) {
                    fprintf(stderr, "tf-mandelbrot: band %" PRIu32 ": %s\n", b,
                            rc ? tf_results_error(res, b) : "a result of the wrong size");
                    tf_results_free(&res);
                    return rc ? rc : TF_EPROTO;
                }
                uint64_t s;
                memcpy(&s, o, sizeof s);
                count_band(r, s);
                memcpy(r->img + (size_t)y0 * row, o + sizeof s, (size_t)n * row);
            }
            tf_results_free(&res);
        }
        r->secs[rep] = ak_now() - t0;
    }
    return 0;
}

/* ---- output ----------------------------------------------------------------------- */

static void sha256_hex(const uint8_t *p, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    hex[0] = 0;
    if (!EVP_Digest(p, n, md, &len, EVP_sha256(), NULL)) return;
    for (unsigned k = 0; k < len && k < 32; k++) snprintf(hex + 2 * k, 3, "%02x", md[k]);
    hex[64] = 0;
}

/* Writes the image to f, opened on path, and closes f. 0, or -1 after a
 * one-line message naming the file. */
static int write_png(FILE *f, const char *path, const uint8_t *img)
{
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info || setjmp(png_jmpbuf(png))) {
        fprintf(stderr, "tf-mandelbrot: %s: libpng could not write the image\n", path);
        png_destroy_write_struct(&png, &info);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)cfg.width, (png_uint_32)cfg.height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_set_compression_level(png, 6);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_write_info(png, info);
    for (int j = 0; j < cfg.height; j++)
        png_write_row(png, (png_const_bytep)(img + (size_t)j * (size_t)cfg.width * 3));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(f) != 0) {
        fprintf(stderr, "tf-mandelbrot: %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Collective: rank 0 opens --out for writing and every rank learns whether it
 * could. NULL with *failed == 0 when there is no --out. */
static FILE *open_out(int *failed)
{
    FILE *f = NULL;
    int bad = 0;
    if (ak_rank == 0 && cfg.out && !(f = fopen(cfg.out, "wb"))) {
        fprintf(stderr, "tf-mandelbrot: %s: %s\n", cfg.out, strerror(errno));
        bad = 1;
    }
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    *failed = bad;
    return f;
}

/* ---- options ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: tf-mandelbrot [--width W] [--height H] [--max-iter N] "
               "[--region xmin,xmax,ymin,ymax] [--rows-per-task K] [--chunk auto|guided|K] "
               "[--repeat R] [--out FILE.png] [--serial] [--verify] [--expect-sha256 HEX] "
               "[--version]\n");
}

static int parse_region(const char *opt, const char *s)
{
    double v[4];
    char *end = NULL;
    const char *p = s;
    for (int k = 0; k < 4; k++) {
        errno = 0;
        v[k] = strtod(p, &end);
        if (end == p || errno || !isfinite(v[k]) || (k < 3 ? *end != ',' : *end != 0)) {
            ak_error("%s: want four numbers xmin,xmax,ymin,ymax, got '%s'", opt, s);
            return -1;
        }
        p = end + 1;
    }
    if (!(v[0] < v[1]) || !(v[2] < v[3])) {
        ak_error("%s: want xmin < xmax and ymin < ymax, got '%s'", opt, s);
        return -1;
    }
    cfg.xmin = v[0];
    cfg.xmax = v[1];
    cfg.ymin = v[2];
    cfg.ymax = v[3];
    return 0;
}

static int parse_sha(const char *opt, const char *s)
{
    size_t n = 0;
    while (isxdigit((unsigned char)s[n])) n++;
    if (n != 64 || s[n]) {
        ak_error("%s: want 64 hexadecimal digits, got '%s'", opt, s);
        return -1;
    }
    cfg.expect_sha = s;
    return 0;
}

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v;
        int k;
        if (strcmp(opt, "-h") == 0 || strcmp(opt, "--help") == 0) {
            if (ak_rank == 0) usage(stdout);
            return 1;
        }
        if (strcmp(opt, "--width") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_int(opt, v, 1, 1 << 16, &cfg.width)) return 2;
        } else if (strcmp(opt, "--height") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_int(opt, v, 1, 1 << 16, &cfg.height))
                return 2;
        } else if (strcmp(opt, "--max-iter") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_int(opt, v, 1, 1 << 30, &cfg.max_iter))
                return 2;
        } else if (strcmp(opt, "--rows-per-task") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_int(opt, v, 1, 1 << 16, &cfg.rows_per_task))
                return 2;
        } else if (strcmp(opt, "--region") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || parse_region(opt, v)) return 2;
        } else if ((k = ak_run_option(argc, argv, &i, &cfg.repeat, &cfg.opts)) != 0) {
            if (k < 0) return 2;
        } else if (strcmp(opt, "--out") == 0) {
            if (!(v = ak_value(argc, argv, &i))) return 2;
            if (!*v) {
                ak_error("--out: want a file name");
                return 2;
            }
            cfg.out = v;
        } else if (strcmp(opt, "--expect-sha256") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || parse_sha(opt, v)) return 2;
        } else if (strcmp(opt, "--serial") == 0) {
            cfg.serial = 1;
        } else if (strcmp(opt, "--verify") == 0) {
            cfg.verify = 1;
        } else {
            ak_error("unknown option '%s' (try --help)", opt);
            return 2;
        }
    }
    if (cfg.height == 0) cfg.height = cfg.width * 3 / 4 > 0 ? cfg.width * 3 / 4 : 1;
    return 0;
}

/* ---- main ------------------------------------------------------------------------- */

/* rank 0 after the renders: the checks that --verify and --expect-sha256 ask
 * for. 0, or 1 after a message. */
static int check_image(const struct run *r, const char *hex, size_t bytes)
{
    int bad = 0;
    if (cfg.expect_sha && strcasecmp(hex, cfg.expect_sha) != 0) {
        fprintf(stderr, "tf-mandelbrot: --expect-sha256: the pixels hash to %s\n", hex);
        bad = 1;
    }
    if (cfg.verify) {
        uint8_t *ref = malloc(bytes);
        if (!ref) {
            fprintf(stderr, "tf-mandelbrot: --verify: out of memory\n");
            return 1;
        }
        uint64_t steps = render_rows(0, cfg.height, ref);
        if (memcmp(ref, r->img, bytes) != 0 || steps != r->steps) {
            fprintf(stderr, "tf-mandelbrot: --verify: the image differs from the serial "
                            "rendering\n");
            bad = 1;
        }
        free(ref);
    }
    return bad;
}

int main(int argc, char **argv)
{
    ak_init(&argc, &argv, "tf-mandelbrot");
    int prc = parse_args(argc, argv);
    if (prc) {
        MPI_Finalize();
        return prc == 1 ? 0 : 2;
    }
    int out_failed;
    FILE *png = open_out(&out_failed);
    if (out_failed) {
        MPI_Finalize();
        return 1;
    }
    make_palette();
    tf_pool *pool = ak_pool(&cfg.opts, 1, (const char *[]){"band"}, (tf_fn[]){fn_band});
    if (!pool) {
        if (png) fclose(png);
        MPI_Finalize();
        return 1;
    }
    const size_t bytes = (size_t)cfg.width * (size_t)cfg.height * 3;
    struct run r = {.nbands = (uint32_t)((cfg.height + cfg.rows_per_task - 1) / cfg.rows_per_task)};
    if (ak_rank == 0) {
        r.img = malloc(bytes);
        r.bands = malloc(r.nbands * sizeof *r.bands);
        r.secs = calloc(cfg.repeat, sizeof *r.secs);
        if (!r.img || !r.bands || !r.secs) {
            fprintf(stderr, "tf-mandelbrot: out of memory for a %zu-byte image\n", bytes);
            MPI_Abort(MPI_COMM_WORLD, 1);
        }
        for (uint32_t b = 0; b < r.nbands; b++) r.bands[b] = b;
    }
    /* busy share: time in task functions over the ranks' time in the renders */
    tf_stats s0, s1;
    tf_pool_stats(pool, &s0);
    int rc = tf_run(pool, driver, &r);
    tf_pool_stats(pool, &s1);
    double busy = s1.busy_s - s0.busy_s, busy_sum = 0;
    MPI_Reduce(&busy, &busy_sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    int status = rc == 0 ? 0 : 1;
    if (ak_rank == 0) {
        char hex[65] = "";
        double write_s = 0;
        if (rc) {
            fprintf(stderr, "tf-mandelbrot: %s (%s)\n", tf_strerror(rc), tf_pool_errmsg(pool));
        } else {
            sha256_hex(r.img, bytes, hex);
            status = check_image(&r, hex, bytes);
        }
        if (png && rc == 0) {
            /* also after a failed check: the image is the evidence */
            double t0 = ak_now();
            if (write_png(png, cfg.out, r.img)) {
                status = 1;
                remove(cfg.out); /* no file rather than a cut one */
            }
            write_s = ak_now() - t0;
        } else if (png) {
            fclose(png);
            remove(cfg.out);
        }
        double total = 0;
        for (unsigned k = 0; k < cfg.repeat; k++) total += r.secs[k];
        double busy_share = total > 0 ? busy_sum / (total * ak_size) : 0;
        double med = rc ? 0 : ak_median(r.secs, cfg.repeat);
        double min = rc ? 0 : r.secs[0]; /* sorted by ak_median */
        uint64_t steps = rc ? 0 : r.steps, bmin = rc ? 0 : r.band_min, bmax = rc ? 0 : r.band_max;
        fprintf(stderr,
                "tf-mandelbrot: %dx%d, %d iterations at most, %" PRIu32 " tasks on %d ranks%s: "
                "%" PRIu64 " steps (%" PRIu64 " to %" PRIu64 " a task), median %.4f s "
                "(min %.4f of %u), sha256 %.16s...%s\n",
                cfg.width, cfg.height, cfg.max_iter, r.nbands, ak_size,
                cfg.serial ? " (serial)" : "", steps, bmin, bmax, med, min, cfg.repeat, hex,
                status ? " -- FAILED" : "");
        printf("{\"app\":\"tf-mandelbrot\",\"ranks\":%d,\"width\":%d,\"height\":%d,"
               "\"max_iter\":%d,\"rows_per_task\":%d,\"tasks\":%" PRIu32 ",\"iters\":%" PRIu64
               ",\"band_iters_min\":%" PRIu64 ",\"band_iters_max\":%" PRIu64
               ",\"sha256\":\"%s\",\"repeat\":%u,\"seconds\":%.6f,\"seconds_min\":%.6f,"
               "\"write_s\":%.6f,\"busy_share\":%.4f,\"serial\":%s,\"ok\":%s}\n",
               ak_size, cfg.width, cfg.height, cfg.max_iter, cfg.rows_per_task, r.nbands, steps,
               bmin, bmax, hex, cfg.repeat, med, min, write_s, busy_share,
               cfg.serial ? "true" : "false", status ? "false" : "true");
        fflush(stdout);
    }
    MPI_Bcast(&status, 1, MPI_INT, 0, MPI_COMM_WORLD);
    free(r.img);
    free(r.bands);
    free(r.secs);
    tf_pool_destroy(&pool);
    MPI_Finalize();
    return status;
}
