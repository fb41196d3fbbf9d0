
/*
 * bench_core: the core without HTTP. For each model named on the command
 * line it reports
 *
 *   - ns per row of mlp_predict for batches of 1, 100 and 10,000 rows;
 *   - with -w explain, ns per row of mlp_explain (each input's
 *     contribution to each margin) for the same batches;
 *   - ns per row of mlp_parse_request, and of the whole request path
 *     (mlp_handle_request: parse, predict, write the answer), for every
 *     request shape: a named object, {"features": [...]}, instances of
 *     arrays and instances of objects (100 and 10,000 rows).
 *
 *   bench_core [-t SECONDS] [-r RUNS] [-w predict,parse,explain] [-j]
 *       [-a ANSWERS]
 *       MODEL[=ROWS] | MODEL@BODIES ...
 *
 * ROWS is a file of little-endian doubles, n_features per row (the driver
 * writes the data set the model was fitted on, cycled to 10,000 rows; NaN is
 * a missing value, sent as null). Without it the rows are pseudo-random in
 * [0, 1). Successive calls take successive rows (a batch of 1 is a
 * different row each time). Each measurement is calibrated to last at
 * least SECONDS (default 0.2) and the best of RUNS (default 5) is kept.
 * mlp_predict standardises x in place, so every repetition copies the
 * input first; the cost of that
 * copy is measured alone the same way and subtracted. Allocation goes to a
 * bump arena reset before every call, like the nginx request pool.
 *
 * MODEL@BODIES times mlp_parse_request and mlp_handle_request on request
 * bodies written by someone else (bench/make_mixed_model.py: named rows
 * with strings for category inputs and null for missing values, which rows
 * of doubles cannot express), one body a line; successive calls take
 * successive lines, cycling, and ns per row is the time of a call over the
 * rows of a body (the bodies of a file have as many rows each). Every body
 * is handled once before timing and must be accepted. -w does not apply.
 * With -a, the answers to those first calls are written to ANSWERS, one a
 * line, in order, and nothing is timed: the driver compares them with
 * scikit-learn's before it asks for the timing.
 *
 * With -a, a MODEL=ROWS is not timed either: mlp_predict answers every
 * row of the 10,000, a call per batch of 1, 100 and 10,000 as timed, and
 * each row's answer goes to ANSWERS as a line "BATCH ROW LABEL V...": the
 * batch, the row (0 to 9,999), the class index (-1 for a regressor) and
 * the values the model writes a row, in %.17g.
 *
 * -j prints one JSON object per line instead of the table.
 */

#define _GNU_SOURCE 1

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "mlp.h"


#define BENCH_MAX_ROWS    10000
#define BENCH_ARENA_SIZE  ((size_t) 4 << 30)    /* reserved, not committed */
#define BENCH_NUM_LEN     32


typedef struct {
    char    *base;
    size_t   used;
    size_t   size;
} bench_arena_t;


typedef struct {
    const char  *data;
    size_t       len;
} bench_body_t;


typedef struct {
    const mlp_model_t  *m;
    uint32_t            nf;
    uint32_t            nout;
    const double       *src;        /* BENCH_MAX_ROWS rows */
    size_t              off;        /* the first row of the next call */
    double             *x;
    double             *out;
    uint32_t           *labels;
    size_t              rows;
    /* explain: the contributions, the scratch */
    double             *phi;
    void               *scratch;
    /* parse and handle */
    const char         *body;
    size_t              len;
    bench_arena_t      *arena;
    mlp_alloc_t        *alloc;
    /* MODEL@BODIES: the bodies of the file, taken in turn */
    bench_body_t       *bodies;
    size_t              n_bodies;
    size_t              next;
} bench_ctx_t;


typedef void (*bench_fn)(bench_ctx_t *c);


static double        bench_min_time = 0.2;
static int           bench_runs = 5;
static int           bench_json;
static FILE         *bench_answers;
static volatile int  bench_sink;


static double
bench_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}


static void
bench_die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "bench_core: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    exit(1);
}


static void *
bench_alloc(void *data, size_t size)
{
    void           *p;
    bench_arena_t  *a;

    a = data;
    size = (size + 15) & ~(size_t) 15;

    if (size > a->size - a->used) {
        return NULL;
    }

    p = a->base + a->used;
    a->used += size;

    return p;
}


/*
 * Best time of one call in ns: iterations calibrated so that a run lasts at
 * least bench_min_time, then the best of bench_runs runs.
 */
static double
bench_measure(bench_fn fn, bench_ctx_t *c)
{
    int     r;
    long    i, n;
    double  t0, t, best;

    fn(c);                                      /* warm */

    n = 1;

    for ( ;; ) {
        t0 = bench_now();
        for (i = 0; i < n; i++) {
            fn(c);
        }
        t = bench_now() - t0;

        if (t >= bench_min_time / 4 || n >= (1L << 40)) {
            break;
        }

        n = (t <= 0) ? n * 16
                     : (long) (n * (bench_min_time / 4 * 1.2 / t)) + 1;
    }

    n = (long) (n * (bench_min_time / (t > 0 ? t : 1e-9))) + 1;
    best = 1e300;

    for (r = 0; r < bench_runs; r++) {
        t0 = bench_now();
        for (i = 0; i < n; i++) {
            fn(c);
        }
        t = (bench_now() - t0) / n;

        if (t < best) {
            best = t;
        }
    }

    return best * 1e9;
}


/*
 * Each call takes the next `rows` rows of the data (cycling), so that a
 * batch of 1 is not the same row again and again: a tree walk would have
 * every branch predicted.
 */
static void
bench_copy(bench_ctx_t *c)
{
    memcpy(c->x, c->src + c->off * c->nf, c->rows * c->nf * sizeof(double));
    __asm__ __volatile__("" : : "r" (c->x) : "memory");

    c->off += c->rows;
    if (c->off + c->rows > BENCH_MAX_ROWS) {
        c->off = 0;
    }
}


static void
bench_predict(bench_ctx_t *c)
{
    mlp_error_t  err;

    bench_copy(c);
    bench_sink += mlp_predict(c->m, c->x, c->rows, c->out, c->labels, &err);
}


/* mlp_explain leaves x alone: no copy, the next rows in place */
static void
bench_explain(bench_ctx_t *c)
{
    mlp_error_t  err;

    bench_sink += mlp_explain(c->m, c->src + c->off * c->nf, c->rows,
                              c->phi, c->scratch, &err);

    c->off += c->rows;
    if (c->off + c->rows > BENCH_MAX_ROWS) {
        c->off = 0;
    }
}


static void
bench_parse(bench_ctx_t *c)
{
    mlp_error_t    err;
    mlp_request_t  req;

    c->arena->used = 0;
    bench_sink += mlp_parse_request(c->m, c->body, c->len, (size_t) -1,
                                    c->alloc, &req, &err);
}


static void
bench_handle(bench_ctx_t *c)
{
    char         *resp;
    size_t        resp_len;
    mlp_error_t   err;

    c->arena->used = 0;
    bench_sink += mlp_handle_request(c->m, c->body, c->len, (size_t) -1,
                                     c->alloc, &resp, &resp_len, &err);
}


static void
bench_parse_next(bench_ctx_t *c)
{
    mlp_error_t    err;
    mlp_request_t  req;
    bench_body_t  *b;

    b = &c->bodies[c->next];
    if (++c->next == c->n_bodies) {
        c->next = 0;
    }

    c->arena->used = 0;
    bench_sink += mlp_parse_request(c->m, b->data, b->len, (size_t) -1,
                                    c->alloc, &req, &err);
}


static void
bench_handle_next(bench_ctx_t *c)
{
    char          *resp;
    size_t         resp_len;
    mlp_error_t    err;
    bench_body_t  *b;

    b = &c->bodies[c->next];
    if (++c->next == c->n_bodies) {
        c->next = 0;
    }

    c->arena->used = 0;
    bench_sink += mlp_handle_request(c->m, b->data, b->len, (size_t) -1,
                                     c->alloc, &resp, &resp_len, &err);
}


/*
 * The arena is reserved, not committed: a batch of 10,000 rows touches only
 * what it uses, and resetting it costs nothing, like the request pool.
 */
static void
bench_arena_map(bench_arena_t *arena, mlp_alloc_t *alloc)
{
    arena->size = BENCH_ARENA_SIZE;
    arena->used = 0;
    arena->base = mmap(NULL, arena->size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (arena->base == MAP_FAILED) {
        bench_die("mmap: %s%s", strerror(errno), "");
    }

    alloc->alloc = bench_alloc;
    alloc->data = arena;
}


/* JSON bodies written from the rows, numbers in their shortest form */

static char *
bench_num(double v, char *p)
{
    if (isnan(v)) {
        memcpy(p, "null", 4);
        return p + 4;
    }

    return p + mlp_write_double(v, p);
}


static char *
bench_row(const mlp_model_t *m, const double *row, int named, char *p)
{
    uint32_t     j, nf;
    const char  *name;

    nf = mlp_model_n_features(m);
    *p++ = named ? '{' : '[';

    for (j = 0; j < nf; j++) {
        if (j) {
            *p++ = ',';
        }

        if (named) {
            name = mlp_model_feature_name(m, j);
            p += mlp_json_escape(name, strlen(name), p);
            *p++ = ':';
        }

        p = bench_num(row[j], p);
    }

    *p++ = named ? '}' : ']';

    return p;
}


/* shape: 0 named, 1 features, 2 instances of arrays, 3 instances of objects */
static char *
bench_body(const mlp_model_t *m, const double *rows, int shape, size_t n,
    size_t *len)
{
    char      *buf, *p;
    size_t     r, cap, nf, namelen;
    uint32_t   j;

    nf = mlp_model_n_features(m);
    namelen = 0;
    for (j = 0; j < nf; j++) {
        namelen += 6 * strlen(mlp_model_feature_name(m, j)) + 4;
    }

    cap = 64 + n * (nf * (BENCH_NUM_LEN + 1) + namelen + 4);
    buf = malloc(cap);
    if (buf == NULL) {
        bench_die("out of memory%s%s", "", "");
    }

    p = buf;

    switch (shape) {
    case 0:
        p = bench_row(m, rows, 1, p);
        break;

    case 1:
        p = stpcpy(p, "{\"features\":");
        p = bench_row(m, rows, 0, p);
        *p++ = '}';
        break;

    default:
        p = stpcpy(p, "{\"instances\":[");
        for (r = 0; r < n; r++) {
            if (r) {
                *p++ = ',';
            }
            p = bench_row(m, rows + r * nf, shape == 3, p);
        }
        p = stpcpy(p, "]}");
    }

    *len = p - buf;

    return buf;
}


static double *
bench_rows(const char *path, uint32_t nf)
{
    FILE     *f;
    size_t    i, have, want;
    double   *rows;
    uint64_t  s;

    want = (size_t) BENCH_MAX_ROWS * nf;

    rows = malloc(want * sizeof(double));
    if (rows == NULL) {
        bench_die("out of memory%s%s", "", "");
    }

    if (path == NULL) {
        s = 88172645463325252ULL;
        for (i = 0; i < want; i++) {
            s ^= s << 13; s ^= s >> 7; s ^= s << 17;
            rows[i] = (s >> 11) * (1.0 / 9007199254740992.0);
        }
        return rows;
    }

    f = fopen(path, "rb");
    if (f == NULL) {
        bench_die("%s: %s", path, strerror(errno));
    }

    have = fread(rows, sizeof(double), want, f);
    fclose(f);

    have -= have % nf;
    if (have == 0) {
        bench_die("%s: fewer doubles than one row of the model%s", path, "");
    }

    /* cycle the data set up to BENCH_MAX_ROWS rows */
    for (i = have; i < want; i++) {
        rows[i] = rows[i - have];
    }

    return rows;
}


static const char *
bench_base(const char *path)
{
    const char  *s;

    s = strrchr(path, '/');
    return s ? s + 1 : path;
}


static void
bench_model(const char *arg, int do_predict, int do_parse, int do_explain)
{
    int             rc;
    char           *path, *rows_path, *eq, *resp;
    size_t          i, resp_len;
    double         *rows, copy, t, per_row;
    bench_ctx_t     c;
    mlp_alloc_t     alloc;
    mlp_error_t     err;
    mlp_model_t    *m;
    bench_arena_t   arena;
    const char     *name;
    char            errbuf[MLP_ERR_LEN];

    static const size_t  batches[] = { 1, 100, BENCH_MAX_ROWS };
    static const struct {
        int          shape;
        size_t       rows;
        const char  *name;
    } shapes[] = {
        { 0, 1, "named object" },
        { 1, 1, "{\"features\"}" },
        { 2, 100, "instances of arrays" },
        { 2, BENCH_MAX_ROWS, "instances of arrays" },
        { 3, 100, "instances of objects" },
        { 3, BENCH_MAX_ROWS, "instances of objects" },
    };

    path = strdup(arg);
    rows_path = NULL;
    eq = strchr(path, '=');
    if (eq) {
        *eq = '\0';
        rows_path = eq + 1;
    }

    m = mlp_model_open(path, errbuf, sizeof(errbuf));
    if (m == NULL) {
        bench_die("%s: %s", path, errbuf);
    }

    name = bench_base(path);

    memset(&c, 0, sizeof(c));
    c.m = m;
    c.nf = mlp_model_n_features(m);
    c.nout = mlp_model_n_outputs(m);

    rows = bench_rows(rows_path, c.nf);
    c.src = rows;
    c.x = malloc((size_t) BENCH_MAX_ROWS * c.nf * sizeof(double));
    c.out = malloc((size_t) BENCH_MAX_ROWS * mlp_model_out_width(m)
                   * sizeof(double));
    c.labels = malloc((size_t) BENCH_MAX_ROWS * sizeof(uint32_t));
    if (c.x == NULL || c.out == NULL || c.labels == NULL) {
        bench_die("out of memory%s%s", "", "");
    }

    if (!bench_json) {
        printf("%s (kind %u, %u features, %u outputs%s)\n", name,
               mlp_model_kind(m), c.nf, c.nout,
               rows_path ? "" : ", random rows");
    }

    if (do_predict) {
        for (i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
            c.rows = batches[i];
            c.off = 0;

            /* the answer is checked once before timing */
            bench_copy(&c);
            if (mlp_predict(m, c.x, c.rows, c.out, c.labels, &err) != 0) {
                bench_die("%s: mlp_predict: %s", name, err.message);
            }

            copy = bench_measure(bench_copy, &c);
            t = bench_measure(bench_predict, &c);
            per_row = (t - copy) / c.rows;

            if (bench_json) {
                printf("{\"model\":\"%s\",\"what\":\"predict\",\"batch\":%zu,"
                       "\"ns_per_row\":%.2f,\"ns_per_call\":%.1f,"
                       "\"copy_ns\":%.1f}\n",
                       name, c.rows, per_row, t - copy, copy);
            } else {
                printf("  mlp_predict  batch %5zu: %10.1f ns/row"
                       "  (call %.0f ns, input copy %.0f ns subtracted)\n",
                       c.rows, per_row, t - copy, copy);
            }
            fflush(stdout);
        }
    }

    if (do_explain) {
        c.phi = malloc((size_t) BENCH_MAX_ROWS * mlp_explain_groups(m)
                       * mlp_model_n_inputs(m) * sizeof(double) + 8);
        c.scratch = malloc(mlp_explain_scratch(m) + 8);
        if (c.phi == NULL || c.scratch == NULL) {
            bench_die("out of memory%s%s", "", "");
        }

        for (i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
            c.rows = batches[i];
            c.off = 0;

            if (mlp_explain(m, c.src, c.rows, c.phi, c.scratch, &err) != 0) {
                bench_die("%s: mlp_explain: %s", name, err.message);
            }

            t = bench_measure(bench_explain, &c);

            if (bench_json) {
                printf("{\"model\":\"%s\",\"what\":\"explain\",\"batch\":%zu,"
                       "\"ns_per_row\":%.2f,\"ns_per_call\":%.1f}\n",
                       name, c.rows, t / c.rows, t);
            } else {
                printf("  mlp_explain  batch %5zu: %10.1f ns/row\n",
                       c.rows, t / c.rows);
            }
            fflush(stdout);
        }

        free(c.phi);
        free(c.scratch);
    }

    if (do_parse) {
        bench_arena_map(&arena, &alloc);
        c.arena = &arena;
        c.alloc = &alloc;

        for (i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
            char    *body;
            double   tp, th;
            size_t   len, n;

            n = shapes[i].rows;
            body = bench_body(m, rows, shapes[i].shape, n, &len);
            c.body = body;
            c.len = len;

            arena.used = 0;
            rc = mlp_handle_request(m, body, len, (size_t) -1, &alloc,
                                    &resp, &resp_len, &err);
            if (rc != 0) {
                bench_die("%s: refused its own body: %s", name, err.message);
            }

            tp = bench_measure(bench_parse, &c);
            th = bench_measure(bench_handle, &c);

            if (bench_json) {
                printf("{\"model\":\"%s\",\"what\":\"parse\",\"shape\":\"%s\","
                       "\"rows\":%zu,\"bytes\":%zu,\"parse_ns_per_row\":%.2f,"
                       "\"parse_mb_s\":%.1f,\"handle_ns_per_row\":%.2f,"
                       "\"response_bytes\":%zu}\n",
                       name, shapes[i].shape == 1 ? "features"
                             : shapes[i].shape == 0 ? "named"
                             : shapes[i].shape == 2 ? "instances_arrays"
                             : "instances_objects",
                       n, len, tp / n, len / tp * 1e3, th / n, resp_len);
            } else {
                printf("  parse  %-22s %5zu rows %8zu B: %9.1f ns/row"
                       " (%6.1f MB/s); parse+predict+write %9.1f ns/row\n",
                       shapes[i].name, n, len, tp / n, len / tp * 1e3,
                       th / n);
            }
            fflush(stdout);

            free(body);
        }

        munmap(arena.base, arena.size);
    }

    free(c.x);
    free(c.out);
    free(c.labels);
    free(rows);
    free(path);
    mlp_model_close(m);
}


/* The lines of a file, each a body; the buffer holds them all. */
static bench_body_t *
bench_read_bodies(const char *path, char **buf, size_t *n)
{
    FILE          *f;
    char          *p, *end, *nl;
    long           size;
    size_t         i, lines;
    bench_body_t  *bodies;

    f = fopen(path, "rb");
    if (f == NULL) {
        bench_die("%s: %s", path, strerror(errno));
    }

    if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0
        || fseek(f, 0, SEEK_SET) != 0)
    {
        bench_die("%s: %s", path, strerror(errno));
    }

    *buf = malloc(size + 1);
    if (*buf == NULL) {
        bench_die("out of memory%s%s", "", "");
    }

    if (fread(*buf, 1, size, f) != (size_t) size) {
        bench_die("%s: short read%s", path, "");
    }

    fclose(f);

    /* a newline after the end: the last line needs no case of its own */
    end = *buf + size;
    *end = '\n';

    lines = 0;
    for (p = *buf; p < end; p = nl + 1) {
        nl = memchr(p, '\n', end + 1 - p);
        lines += (nl > p);
    }

    if (lines == 0) {
        bench_die("%s: no body in the file%s", path, "");
    }

    bodies = malloc(lines * sizeof(bench_body_t));
    if (bodies == NULL) {
        bench_die("out of memory%s%s", "", "");
    }

    i = 0;
    for (p = *buf; p < end; p = nl + 1) {
        nl = memchr(p, '\n', end + 1 - p);
        if (nl > p) {
            bodies[i].data = p;
            bodies[i].len = nl - p;
            i++;
        }
    }

    *n = lines;

    return bodies;
}


static void
bench_bodies(const char *arg)
{
    char           *path, *bodies_path, *at, *buf, *resp;
    size_t          i, rows, bytes, resp_len;
    double          per_body, tp, th;
    bench_ctx_t     c;
    mlp_alloc_t     alloc;
    mlp_error_t     err;
    mlp_model_t    *m;
    mlp_request_t   req;
    bench_arena_t   arena;
    const char     *name;
    char            errbuf[MLP_ERR_LEN];

    path = strdup(arg);
    at = strchr(path, '@');
    *at = '\0';
    bodies_path = at + 1;

    m = mlp_model_open(path, errbuf, sizeof(errbuf));
    if (m == NULL) {
        bench_die("%s: %s", path, errbuf);
    }

    name = bench_base(path);

    memset(&c, 0, sizeof(c));
    c.m = m;
    c.bodies = bench_read_bodies(bodies_path, &buf, &c.n_bodies);

    bench_arena_map(&arena, &alloc);
    c.arena = &arena;
    c.alloc = &alloc;

    /*
     * Every body once before timing: a refused body would time an error
     * path; the rows counted here give ns per row.
     */
    rows = 0;
    bytes = 0;

    for (i = 0; i < c.n_bodies; i++) {
        arena.used = 0;
        if (mlp_parse_request(m, c.bodies[i].data, c.bodies[i].len,
                              (size_t) -1, &alloc, &req, &err) != 0
            || mlp_handle_request(m, c.bodies[i].data, c.bodies[i].len,
                                  (size_t) -1, &alloc, &resp, &resp_len,
                                  &err) != 0)
        {
            fprintf(stderr, "bench_core: %s: body %zu of %s refused: %s\n",
                    name, i + 1, bodies_path, err.message);
            exit(1);
        }

        rows += req.rows;
        bytes += c.bodies[i].len;

        if (bench_answers) {
            fwrite(resp, 1, resp_len, bench_answers);
            if (resp_len == 0 || resp[resp_len - 1] != '\n') {
                fputc('\n', bench_answers);
            }
        }
    }

    per_body = (double) rows / c.n_bodies;

    if (bench_answers == NULL) {
        tp = bench_measure(bench_parse_next, &c);
        th = bench_measure(bench_handle_next, &c);

        if (bench_json) {
            printf("{\"model\":\"%s\",\"what\":\"bodies\",\"file\":\"%s\","
                   "\"bodies\":%zu,\"rows\":%.0f,\"bytes\":%.0f,"
                   "\"parse_ns_per_row\":%.2f,\"parse_mb_s\":%.1f,"
                   "\"handle_ns_per_row\":%.2f}\n",
                   name, bench_base(bodies_path), c.n_bodies, per_body,
                   (double) bytes / c.n_bodies, tp / per_body,
                   bytes / (double) c.n_bodies / tp * 1e3, th / per_body);

        } else {
            printf("%s@%s: %zu bodies of %.0f rows, %.0f B a row\n"
                   "  parse %9.1f ns/row (%6.1f MB/s); "
                   "parse+preprocess+predict+write %9.1f ns/row\n",
                   name, bench_base(bodies_path), c.n_bodies, per_body,
                   (double) bytes / rows, tp / per_body,
                   bytes / (double) c.n_bodies / tp * 1e3, th / per_body);
        }
        fflush(stdout);
    }

    munmap(arena.base, arena.size);
    free(c.bodies);
    free(buf);
    free(path);
    mlp_model_close(m);
}


/*
 * -a with MODEL=ROWS: mlp_predict's answer to every row, batch for batch as
 * bench_model times it, one line a row; the driver compares them with
 * scikit-learn's before it asks for the timing.
 */
static void
bench_answer_rows(const char *arg)
{
    int            classifier;
    char          *path, *rows_path, *eq;
    size_t         i, r, off, b;
    double        *rows, *x, *out;
    uint32_t       j, nf, width, *labels;
    mlp_error_t    err;
    mlp_model_t   *m;
    const char    *name;
    char           errbuf[MLP_ERR_LEN];

    static const size_t  batches[] = { 1, 100, BENCH_MAX_ROWS };

    path = strdup(arg);
    rows_path = NULL;
    eq = strchr(path, '=');
    if (eq) {
        *eq = '\0';
        rows_path = eq + 1;
    }

    m = mlp_model_open(path, errbuf, sizeof(errbuf));
    if (m == NULL) {
        bench_die("%s: %s", path, errbuf);
    }

    name = bench_base(path);
    nf = mlp_model_n_features(m);
    width = mlp_model_out_width(m);
    classifier = mlp_model_is_classifier(m);

    rows = bench_rows(rows_path, nf);
    x = malloc((size_t) BENCH_MAX_ROWS * nf * sizeof(double));
    out = malloc((size_t) BENCH_MAX_ROWS * width * sizeof(double));
    labels = malloc((size_t) BENCH_MAX_ROWS * sizeof(uint32_t));
    if (x == NULL || out == NULL || labels == NULL) {
        bench_die("out of memory%s%s", "", "");
    }

    for (i = 0; i < sizeof(batches) / sizeof(batches[0]); i++) {
        b = batches[i];

        for (off = 0; off + b <= BENCH_MAX_ROWS; off += b) {
            memcpy(x, rows + off * nf, b * nf * sizeof(double));

            if (mlp_predict(m, x, b, out, labels, &err) != 0) {
                bench_die("%s: mlp_predict: %s", name, err.message);
            }

            for (r = 0; r < b; r++) {
                fprintf(bench_answers, "%zu %zu %ld", b, off + r,
                        classifier ? (long) labels[r] : -1L);

                for (j = 0; j < width; j++) {
                    fprintf(bench_answers, " %.17g", out[r * width + j]);
                }

                fputc('\n', bench_answers);
            }
        }
    }

    free(x);
    free(out);
    free(labels);
    free(rows);
    free(path);
    mlp_model_close(m);
}


int
main(int argc, char **argv)
{
    int    i, do_predict, do_parse, do_explain;
    char  *what, err[MLP_ERR_LEN];

    do_predict = 1;
    do_parse = 1;
    do_explain = 0;

    if (mlp_init(err, sizeof(err)) != 0) {
        fprintf(stderr, "bench_core: %s\n", err);
        return 1;
    }

    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "-t") == 0 && i + 1 < argc) {
            bench_min_time = atof(argv[++i]);

        } else if (strcmp(argv[i], "-r") == 0 && i + 1 < argc) {
            bench_runs = atoi(argv[++i]);

        } else if (strcmp(argv[i], "-w") == 0 && i + 1 < argc) {
            what = argv[++i];
            do_predict = strstr(what, "predict") != NULL;
            do_parse = strstr(what, "parse") != NULL;
            do_explain = strstr(what, "explain") != NULL;

        } else if (strcmp(argv[i], "-j") == 0) {
            bench_json = 1;

        } else if (strcmp(argv[i], "-a") == 0 && i + 1 < argc) {
            bench_answers = fopen(argv[++i], "w");
            if (bench_answers == NULL) {
                bench_die("%s: %s", argv[i], strerror(errno));
            }

        } else {
            break;
        }
    }

    if (i == argc || bench_min_time <= 0 || bench_runs < 1) {
        fprintf(stderr, "usage: bench_core [-t SECONDS] [-r RUNS] "
                "[-w predict,parse,explain] [-j] [-a ANSWERS] "
                "MODEL[=ROWS.f64] | MODEL@BODIES ...\n");
        return 2;
    }

    for ( /* void */ ; i < argc; i++) {
        if (strchr(argv[i], '@')) {
            bench_bodies(argv[i]);

        } else if (bench_answers) {
            bench_answer_rows(argv[i]);

        } else {
            bench_model(argv[i], do_predict, do_parse, do_explain);
        }
    }

    if (bench_answers && fclose(bench_answers) != 0) {
        bench_die("answers: %s%s", strerror(errno), "");
    }

    return bench_sink == -12345;
}
