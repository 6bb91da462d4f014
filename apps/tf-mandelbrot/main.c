/* tf-mandelbrot - the Mandelbrot set, bands of rows as tasks of very uneven
 * cost, written as a PNG.
 *
 *   mpirun -np P tf-mandelbrot [--width W] [--height H] [--max-iter N]
 *          [--region xmin,xmax,ymin,ymax] [--rows-per-task K]
 *          [--chunk auto|guided|K] [--repeat R] [--out FILE.png]
 *          [--serial] [--verify]
 *
 * Pixel (i, j) is the point c = (xmin + (i + 0.5) dx, ymax - (j + 0.5) dy);
 * its escape time is the number of steps z <- z^2 + c from z = 0 until
 * |z| > 2, at most N. No interior test shortens the walk, so a row through
 * the set costs up to N steps a pixel and a row outside it a few: rows
 * differ in cost by a factor of a hundred and more, the load the farm has to
 * balance. Colours come from the escape time through a fixed palette (black
 * inside), all in integer arithmetic after the walk.
 *
 * The work: ceil(H/K) tasks, one per band of K rows; a task returns the band's
 * step count (8 bytes) and its RGB bytes. The driver maps the bands in order
 * (tf_map), hashes the pixels with SHA-256 (OpenSSL) and, with --out, writes
 * them with libpng (fixed filter and compression: the file's bytes, too, are
 * the same at every rank count). --serial renders on rank 0 with a plain loop
 * and no farm: the reference image and the baseline time. --verify renders
 * that reference as well, after the timed runs, and fails unless the pixels
 * are identical.
 *
 * Threads: the driver and the task function run on each rank's main thread;
 * the library's service thread does the messaging.
 *
 * Output: a summary on stderr and, as the last line of stdout, one JSON
 * object: app, ranks, width, height, max_iter, tasks, iters (steps taken in
 * all), sha256 (of the RGB rows, top to bottom), seconds (median of R renders,
 * the PNG excluded), seconds_min, write_s, serial, ok. Exit status: 0 ok,
 * 1 a library error, a mismatch or an unwritable --out, 2 a bad option.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "appkit.h"

static struct {
    int width, height, max_iter, rows_per_task;
    double xmin, xmax, ymin, ymax;
    unsigned repeat;
    const char *out;
    int serial, verify;
    tf_pool_opts opts;
} cfg = {2048, 0, 2000, 1, -2.2, 1.0, -1.2, 1.2, 1, NULL, 0, 0, {0}};

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
 * steps taken. The one code path for tasks and --serial. */
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
                memcpy(px, palette[(it * 7) & 255], 3);
            }
        }
    }
    return steps;
}

/* ---- the farm --------------------------------------------------------------------- */

static int fn_band(tf_task *t, const void *in, size_t len, tf_buf *out)
{
    uint32_t band;
    if (len != sizeof band) return tf_task_fail(t, "input of %zu bytes, want 4", len);
    memcpy(&band, in, sizeof band);
    int64_t y0 = (int64_t)band * cfg.rows_per_task;
    if (y0 >= cfg.height) return tf_task_fail(t, "band %" PRIu32 " is below the image", band);
    int n = (int)(cfg.height - y0 < cfg.rows_per_task ? cfg.height - y0 : cfg.rows_per_task);
    size_t bytes = (size_t)n * (size_t)cfg.width * 3;
    uint8_t *p = tf_buf_reserve(out, sizeof(uint64_t) + bytes);
    if (!p) return tf_task_fail(t, "no room for a %zu-byte band", bytes);
    uint64_t steps = render_rows((int)y0, n, p + sizeof steps);
    memcpy(p, &steps, sizeof steps);
    return 0;
}

struct run {
    uint8_t *img; /* height * width * 3 */
    uint32_t *bands;
    uint32_t nbands;
    uint64_t steps;
    double *secs;
};

static int driver(tf_pool *pool, void *arg)
{
    struct run *r = arg;
    const size_t row = (size_t)cfg.width * 3;
    for (unsigned rep = 0; rep < cfg.repeat; rep++) {
        double t0 = ak_now();
        uint64_t steps = 0;
        if (cfg.serial) {
            steps = render_rows(0, cfg.height, r->img);
        } else {
            tf_results *res = NULL;
            int rc = tf_map(pool, "band", r->bands, sizeof(uint32_t), r->nbands, &res);
            if (rc) return rc;
            for (uint32_t b = 0; b < r->nbands; b++) {
                const uint8_t *o;
                size_t n;
                size_t y0 = (size_t)b * (size_t)cfg.rows_per_task;
                size_t rows = (size_t)cfg.height - y0 < (size_t)cfg.rows_per_task
                                  ? (size_t)cfg.height - y0
                                  : (size_t)cfg.rows_per_task;
                rc = tf_results_get(res, b, (const void **)&o, &n);
                if (rc || n != sizeof(uint64_t) + rows * row) {
                    fprintf(stderr, "tf-mandelbrot: band %" PRIu32 ": %s\n", b,
                            rc ? tf_results_error(res, b) : "a result of the wrong size");
                    tf_results_free(&res);
                    return rc ? rc : TF_EPROTO;
                }
                uint64_t s;
                memcpy(&s, o, sizeof s);
                steps += s;
                memcpy(r->img + y0 * row, o + sizeof s, rows * row);
            }
            tf_results_free(&res);
        }
        r->secs[rep] = ak_now() - t0;
        r->steps = steps;
    }
    return 0;
}

/* ---- output ----------------------------------------------------------------------- */

static void sha256_hex(const uint8_t *p, size_t n, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha256(), NULL);
    for (unsigned k = 0; k < len && k < 32; k++) snprintf(hex + 2 * k, 3, "%02x", md[k]);
    hex[64] = 0;
}

/* 0, or -1 after a one-line message naming the file. */
static int write_png(const char *path, const uint8_t *img)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "tf-mandelbrot: %s: %s\n", path, strerror(errno));
        return -1;
    }
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

/* ---- options ---------------------------------------------------------------------- */

static void usage(FILE *f)
{
    fprintf(f, "usage: tf-mandelbrot [--width W] [--height H] [--max-iter N] "
               "[--region xmin,xmax,ymin,ymax] [--rows-per-task K] [--chunk auto|guided|K] "
               "[--repeat R] [--out FILE.png] [--serial] [--verify]\n");
}

static int parse_region(const char *opt, const char *s)
{
    double v[4];
    char *end = NULL;
    const char *p = s;
    for (int k = 0; k < 4; k++) {
        errno = 0;
        v[k] = strtod(p, &end);
        if (end == p || errno || (k < 3 ? *end != ',' : *end != 0)) {
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

static int parse_args(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i], *v;
        uint64_t u;
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
        } else if (strcmp(opt, "--repeat") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_u64(opt, v, 1, 1000, &u)) return 2;
            cfg.repeat = (unsigned)u;
        } else if (strcmp(opt, "--chunk") == 0) {
            if (!(v = ak_value(argc, argv, &i)) || ak_chunk(opt, v, &cfg.opts)) return 2;
        } else if (strcmp(opt, "--out") == 0) {
            if (!(v = ak_value(argc, argv, &i))) return 2;
            if (!*v) {
                ak_error("--out: want a file name");
                return 2;
            }
            cfg.out = v;
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

int main(int argc, char **argv)
{
    ak_init(&argc, &argv, "tf-mandelbrot");
    int prc = parse_args(argc, argv);
    if (prc) {
        MPI_Finalize();
        return prc == 1 ? 0 : 2;
    }
    make_palette();
    tf_pool *pool = ak_pool(&cfg.opts, 1, (const char *[]){"band"}, (tf_fn[]){fn_band});
    if (!pool) {
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
    int rc = tf_run(pool, driver, &r);
    int status = rc == 0 ? 0 : 1;
    if (ak_rank == 0) {
        char hex[65] = "";
        double write_s = 0;
        if (rc) {
            fprintf(stderr, "tf-mandelbrot: %s (%s)\n", tf_strerror(rc), tf_pool_errmsg(pool));
        } else {
            sha256_hex(r.img, bytes, hex);
            if (cfg.verify) {
                uint8_t *ref = malloc(bytes);
                if (!ref) {
                    fprintf(stderr, "tf-mandelbrot: --verify: out of memory\n");
                    status = 1;
                } else {
                    uint64_t steps = render_rows(0, cfg.height, ref);
                    if (memcmp(ref, r.img, bytes) != 0 || steps != r.steps) {
                        fprintf(stderr, "tf-mandelbrot: --verify: the image differs from the "
                                        "serial rendering\n");
                        status = 1;
                    }
                    free(ref);
                }
            }
            if (cfg.out) {
                double t0 = ak_now();
                if (write_png(cfg.out, r.img)) status = 1;
                write_s = ak_now() - t0;
            }
        }
        double med = rc ? 0 : ak_median(r.secs, cfg.repeat);
        double min = rc ? 0 : r.secs[0];
        fprintf(stderr,
                "tf-mandelbrot: %dx%d, %d iterations at most, %" PRIu32 " tasks on %d ranks%s: "
                "%" PRIu64 " steps, median %.4f s (min %.4f of %u), sha256 %.16s...%s\n",
                cfg.width, cfg.height, cfg.max_iter, r.nbands, ak_size,
                cfg.serial ? " (serial)" : "", r.steps, med, min, cfg.repeat, hex,
                status ? " -- FAILED" : "");
        printf("{\"app\":\"tf-mandelbrot\",\"ranks\":%d,\"width\":%d,\"height\":%d,"
               "\"max_iter\":%d,\"rows_per_task\":%d,\"tasks\":%" PRIu32 ",\"iters\":%" PRIu64
               ",\"sha256\":\"%s\",\"repeat\":%u,\"seconds\":%.6f,\"seconds_min\":%.6f,"
               "\"write_s\":%.6f,\"serial\":%s,\"ok\":%s}\n",
               ak_size, cfg.width, cfg.height, cfg.max_iter, cfg.rows_per_task, r.nbands, r.steps,
               hex, cfg.repeat, med, min, write_s, cfg.serial ? "true" : "false",
               status ? "false" : "true");
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
