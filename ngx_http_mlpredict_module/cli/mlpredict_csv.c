
/*
 * mlpredict eval and predict --csv: a model on a CSV file.
 *
 *   mlpredict eval MODEL DATA.csv --label COLUMN [--by COLUMN] [--json]
 *   mlpredict predict MODEL DATA.csv --csv [--keep COLUMN,...]
 *
 * The file is read a record at a time and scored a block of rows at a
 * time; nothing is printed as a result unless every row was read.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mlp.h"
#include "io/mlp_csv.h"
#include "eval/mlp_metrics.h"
#include "eval/mlp_score.h"
#include "mlpredict.h"


#define MLP_MAX_GROUPS          1000
#define MLP_MAX_LABELS          64
#define MLP_NUM_LEN             32      /* a double, shortest form */


typedef struct {
    char                     *text;
    size_t                    len;
    mlp_metrics_t            *mt;
} mlp_group_t;


typedef struct {
    const char               *path;
    FILE                     *file;
    mlp_csv_t                *csv;
    mlp_csv_field_t          *header;   /* a copy of the header record */
    char                     *header_buf;
    size_t                    n_header;

    /* progress on a terminal */
    int                       tty;
    int                       shown;
    struct timespec           start;
    struct timespec           last;
    size_t                    rows;
} mlp_input_file_t;


typedef struct {
    mlp_model_t              *m;
    mlp_score_t              *s;
    uint32_t                  k;        /* classes, 0: regression */
    uint32_t                  n_out;
    size_t                    label_col[MLP_MAX_LABELS];
    uint32_t                  n_labels;
    long                      by_col;

    mlp_metrics_t            *all;
    mlp_group_t              *groups;
    uint32_t                  n_groups;
    uint32_t                  last_group;

    char                     *unknown[MLP_METRICS_MAX_UNKNOWN];
    size_t                    unknown_len[MLP_METRICS_MAX_UNKNOWN];
    uint32_t                  n_unknown;

    /* the block's labels and groups */
    uint32_t                 *truth;
    double                   *values;
    uint32_t                 *group;
} mlp_eval_t;


static int mlp_open_input(mlp_input_file_t *in, const char *path,
    const char *mem, size_t len);
static int mlp_eval_run(mlp_model_t *m, mlp_input_file_t *in,
    const char *label, const char *by, int json);
static void mlp_close_input(mlp_input_file_t *in);
static int mlp_next(mlp_input_file_t *in);
static void mlp_progress(mlp_input_file_t *in, int done);
static int mlp_csv_error(mlp_input_file_t *in);
static long mlp_header_column(mlp_input_file_t *in, const char *name,
    size_t len);
static int mlp_eval_label(mlp_eval_t *ev, mlp_input_file_t *in, size_t r);
static long mlp_eval_group(mlp_eval_t *ev, const char *s, size_t len);
static int mlp_eval_block(mlp_eval_t *ev);
static void mlp_json_str(FILE *o, const char *s, size_t len);
static void mlp_json_num(FILE *o, double v);
static void mlp_json_metrics(FILE *o, mlp_eval_t *ev, mlp_metrics_t *mt);
static void mlp_json_fairness(FILE *o, mlp_eval_t *ev);
static void mlp_text_metrics(FILE *o, mlp_eval_t *ev, mlp_metrics_t *mt,
    const char *indent);
static void mlp_text_fairness(FILE *o, mlp_eval_t *ev);
static void mlp_warnings(mlp_eval_t *ev, mlp_metrics_t *mt, FILE *o,
    int json);
static double mlp_rate(uint64_t a, uint64_t b);
static double mlp_gap(mlp_eval_t *ev, uint32_t c, int which, double *rates);


static double
mlp_seconds(const struct timespec *a, const struct timespec *b)
{
    return (double) (b->tv_sec - a->tv_sec)
           + (double) (b->tv_nsec - a->tv_nsec) / 1e9;
}


/* path: a file, "-" for stdin; or with mem a name for len bytes */

static int
mlp_open_input(mlp_input_file_t *in, const char *path, const char *mem,
    size_t len)
{
    size_t            i, total;
    char             *p;
    mlp_csv_t        *c;

    memset(in, 0, sizeof(mlp_input_file_t));
    in->path = path;

    if (mem != NULL) {
        in->csv = mlp_csv_open_mem(mem, len, 0);

    } else if (strcmp(path, "-") == 0) {
        in->file = stdin;
        in->path = "stdin";

    } else {
        in->file = fopen(path, "rb");
        if (in->file == NULL) {
            fprintf(stderr, "mlpredict: %s: %s\n", path, strerror(errno));
            return -1;
        }
    }

    if (mem == NULL) {
        in->csv = mlp_csv_open_file(in->file, 0);
    }

    if (in->csv == NULL) {
        fprintf(stderr, "mlpredict: out of memory\n");
        return -1;
    }

    c = in->csv;

    if (mlp_csv_read(c) != 1) {
        if (c->err[0] == '\0') {
            fprintf(stderr, "mlpredict: %s: empty file: no header row\n",
                    in->path);
            return -1;
        }

        return mlp_csv_error(in);
    }

    /* the header lives on: the reader reuses its buffer */
    total = 0;

    for (i = 0; i < c->n_fields; i++) {
        total += c->fields[i].len + 1;
    }

    in->n_header = c->n_fields;
    in->header = malloc(c->n_fields * sizeof(mlp_csv_field_t));
    in->header_buf = malloc(total ? total : 1);

    if (in->header == NULL || in->header_buf == NULL) {
        fprintf(stderr, "mlpredict: out of memory\n");
        return -1;
    }

    p = in->header_buf;

    for (i = 0; i < c->n_fields; i++) {
        memcpy(p, c->fields[i].s, c->fields[i].len + 1);
        in->header[i] = c->fields[i];
        in->header[i].s = p;
        p += c->fields[i].len + 1;
    }

    in->tty = isatty(STDERR_FILENO);
    clock_gettime(CLOCK_MONOTONIC, &in->start);
    in->last = in->start;

    return 0;
}


static void
mlp_close_input(mlp_input_file_t *in)
{
    mlp_csv_close(in->csv);

    if (in->file != NULL && in->file != stdin) {
        fclose(in->file);
    }

    free(in->header);
    free(in->header_buf);
}


/* The next data record: 1, 0 at the end, -1 after the error is printed. */

static int
mlp_next(mlp_input_file_t *in)
{
    int  rc;

    rc = mlp_csv_read(in->csv);

    if (rc < 0) {
        mlp_progress(in, 1);
        return mlp_csv_error(in);
    }

    if (rc == 1) {
        in->rows++;

        if (in->tty && (in->rows & 1023) == 0) {
            mlp_progress(in, 0);
        }
    }

    return rc;
}


/* rows read and rows/s, rewritten in place; only after the first second */

static void
mlp_progress(mlp_input_file_t *in, int done)
{
    double           t;
    struct timespec  now;

    if (!in->tty) {
        return;
    }

    if (done) {
        if (in->shown) {
            fprintf(stderr, "\r\033[K");
        }

        return;
    }

    clock_gettime(CLOCK_MONOTONIC, &now);
    t = mlp_seconds(&in->start, &now);

    if (t < 1.0 || mlp_seconds(&in->last, &now) < 0.25) {
        return;
    }

    in->last = now;
    in->shown = 1;
    fprintf(stderr, "\r%s: %zu rows, %.0f rows/s\033[K", in->path, in->rows,
            in->rows / t);
}


static int
mlp_csv_error(mlp_input_file_t *in)
{
    mlp_csv_t  *c;

    c = in->csv;

    if (c->err_col && c->err_col <= in->n_header) {
        fprintf(stderr, "mlpredict: %s: line %zu, column %zu (\"%.*s\"): "
                "%s\n", in->path, c->err_line, c->err_col,
                (int) (in->header[c->err_col - 1].len > 64 ? 64
                       : in->header[c->err_col - 1].len),
                in->header[c->err_col - 1].s, c->err);

    } else if (c->err_col) {
        fprintf(stderr, "mlpredict: %s: line %zu, column %zu: %s\n",
                in->path, c->err_line, c->err_col, c->err);

    } else {
        fprintf(stderr, "mlpredict: %s: line %zu: %s\n", in->path,
                c->err_line, c->err);
    }

    return -1;
}


static long
mlp_header_column(mlp_input_file_t *in, const char *name, size_t len)
{
    size_t  i;
    long    found;

    found = -1;

    for (i = 0; i < in->n_header; i++) {
        if (in->header[i].len == len
            && memcmp(in->header[i].s, name, len) == 0)
        {
            if (found >= 0) {
                fprintf(stderr, "mlpredict: %s: line 1: two columns named "
                        "\"%.*s\"\n", in->path, (int) len, name);
                return -2;
            }

            found = (long) i;
        }
    }

    if (found < 0) {
        fprintf(stderr, "mlpredict: %s: line 1: no column named \"%.*s\"\n",
                in->path, (int) len, name);
    }

    return found;
}


/* ----------------------------------------------------------------- eval */


int
mlp_cli_eval(mlp_model_t *m, int argc, char **argv)
{
    int                json, rc, i;
    char              *label, *by, *data;
    mlp_input_file_t   in;

    json = 0;
    label = NULL;
    by = NULL;
    data = NULL;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;

        } else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc) {
            label = argv[++i];

        } else if (strcmp(argv[i], "--by") == 0 && i + 1 < argc) {
            by = argv[++i];

        } else if (data == NULL && (argv[i][0] != '-' || argv[i][1] == 0)) {
            data = argv[i];

        } else {
            return mlp_usage();
        }
    }

    if (data == NULL || label == NULL) {
        return mlp_usage();
    }

    if (mlp_open_input(&in, data, NULL, 0) != 0) {
        mlp_close_input(&in);
        return 1;
    }

    rc = mlp_eval_run(m, &in, label, by, json);
    mlp_close_input(&in);

    return rc;
}


int
mlp_cli_eval_mem(mlp_model_t *m, const char *name, const char *csv,
    size_t len, const char *label)
{
    int               rc;
    mlp_input_file_t  in;

    if (mlp_open_input(&in, name, csv, len) != 0) {
        mlp_close_input(&in);
        return 1;
    }

    rc = mlp_eval_run(m, &in, label, NULL, 0);
    mlp_close_input(&in);

    return rc;
}


/* The report of m on in's records, label (and by) naming columns. */

static int
mlp_eval_run(mlp_model_t *m, mlp_input_file_t *in, const char *label,
    const char *by, int json)
{
    int                rc;
    long               col;
    const char        *p, *q;
    size_t             r, line;
    uint32_t           g;
    mlp_error_t        e;
    mlp_eval_t         ev;
    mlp_csv_t         *c;
    char               err[MLP_ERR_LEN];

    memset(&ev, 0, sizeof(mlp_eval_t));
    ev.m = m;
    ev.k = mlp_model_is_classifier(m) ? mlp_model_n_outputs(m) : 0;
    ev.n_out = mlp_model_n_outputs(m);
    ev.by_col = -1;
    rc = 1;

    c = in->csv;

    ev.s = mlp_score_create(m, MLP_SCORE_BLOCK);
    ev.all = mlp_metrics_create(ev.k, ev.n_out, ev.s ? ev.s->proba : 0);
    ev.truth = malloc(MLP_SCORE_BLOCK * sizeof(uint32_t));
    ev.values = malloc(MLP_SCORE_BLOCK * ev.n_out * sizeof(double));
    ev.group = malloc(MLP_SCORE_BLOCK * sizeof(uint32_t));
    ev.groups = calloc(MLP_MAX_GROUPS, sizeof(mlp_group_t));

    if (ev.s == NULL || ev.all == NULL || ev.truth == NULL
        || ev.values == NULL || ev.group == NULL || ev.groups == NULL)
    {
        fprintf(stderr, "mlpredict: out of memory\n");
        goto done;
    }

    if (ev.s->outlier) {
        fprintf(stderr, "mlpredict: a one-class model has no classes to "
                "evaluate against\n");
        goto done;
    }

    if (mlp_score_header(ev.s, in->header, in->n_header, err, sizeof(err))
        != 0)
    {
        fprintf(stderr, "mlpredict: %s: %s\n", in->path, err);
        goto done;
    }

    /* --label a,b,c: one column a target */
    for (p = label; ; p = q + 1) {
        q = strchr(p, ',');
        if (q == NULL) {
            q = p + strlen(p);
        }

        if (ev.n_labels == MLP_MAX_LABELS) {
            fprintf(stderr, "mlpredict: more than %d label columns\n",
                    MLP_MAX_LABELS);
            goto done;
        }

        col = mlp_header_column(in, p, (size_t) (q - p));
        if (col < 0) {
            goto done;
        }

        ev.label_col[ev.n_labels++] = (size_t) col;

        if (*q == '\0') {
            break;
        }
    }

    if (ev.n_labels != (ev.k ? 1 : ev.n_out)) {
        fprintf(stderr, "mlpredict: the model has %u targets: --label names "
                "%u columns\n", ev.n_out, ev.n_labels);
        goto done;
    }

    if (by != NULL) {
        ev.by_col = mlp_header_column(in, by, strlen(by));
        if (ev.by_col < 0) {
            goto done;
        }
    }

    for ( ;; ) {
        rc = mlp_next(in);

        if (rc < 0) {
            rc = 1;
            goto done;
        }

        if (rc == 1) {
            line = c->rec_line;
            r = ev.s->n;

            if (mlp_score_row(ev.s, c->fields, c->n_fields, line, in->header,
                              &e)
                != 0)
            {
                mlp_progress(in, 1);
                fprintf(stderr, "mlpredict: %s: %s\n", in->path, e.message);
                rc = 1;
                goto done;
            }

            /* the label's own errors are printed where they are found */
            if (mlp_eval_label(&ev, in, r) != 0) {
                mlp_progress(in, 1);
                rc = 1;
                goto done;
            }
        }

        if (ev.s->n == MLP_SCORE_BLOCK || (rc == 0 && ev.s->n > 0)) {
            if (mlp_score_run(ev.s, &e) != 0) {
                mlp_progress(in, 1);
                fprintf(stderr, "mlpredict: %s: %s\n", in->path, e.message);
                rc = 1;
                goto done;
            }

            if (mlp_eval_block(&ev) != 0) {
                fprintf(stderr, "mlpredict: out of memory\n");
                rc = 1;
                goto done;
            }

            ev.s->n = 0;
        }

        if (rc == 0) {
            break;
        }
    }

    mlp_progress(in, 1);

    if (ev.all->rows == 0) {
        fprintf(stderr, "mlpredict: %s: no rows after the header\n",
                in->path);
        rc = 1;
        goto done;
    }

    if (mlp_metrics_finish(ev.all) != 0) {
        fprintf(stderr, "mlpredict: out of memory\n");
        rc = 1;
        goto done;
    }

    for (g = 0; g < ev.n_groups; g++) {
        if (mlp_metrics_finish(ev.groups[g].mt) != 0) {
            fprintf(stderr, "mlpredict: out of memory\n");
            rc = 1;
            goto done;
        }
    }

    if (json) {
        mlp_json_metrics(stdout, &ev, ev.all);

        if (ev.by_col >= 0) {
            fputs(",\"by\":{\"column\":", stdout);
            mlp_json_str(stdout, by, strlen(by));
            fputs(",\"groups\":{", stdout);

            for (g = 0; g < ev.n_groups; g++) {
                if (g) {
                    fputc(',', stdout);
                }

                mlp_json_str(stdout, ev.groups[g].text, ev.groups[g].len);
                fputc(':', stdout);
                mlp_json_metrics(stdout, &ev, ev.groups[g].mt);
                fputc('}', stdout);
            }

            fputc('}', stdout);

            if (ev.k) {
                mlp_json_fairness(stdout, &ev);
            }

            fputc('}', stdout);
        }

        fputs("}\n", stdout);

    } else {
        printf("%s: %zu row%s, label \"%s\"\n\n", in->path, ev.all->rows,
               ev.all->rows == 1 ? "" : "s", label);
        mlp_text_metrics(stdout, &ev, ev.all, "");

        if (ev.by_col >= 0) {
            for (g = 0; g < ev.n_groups; g++) {
                printf("\n--- %s = \"%.*s\": %zu rows\n\n", by,
                       (int) ev.groups[g].len, ev.groups[g].text,
                       ev.groups[g].mt->rows);
                mlp_text_metrics(stdout, &ev, ev.groups[g].mt, "");
            }

            if (ev.k) {
                mlp_text_fairness(stdout, &ev);
            }
        }
    }

    rc = 0;

done:

    for (g = 0; ev.groups != NULL && g < ev.n_groups; g++) {
        free(ev.groups[g].text);
        mlp_metrics_free(ev.groups[g].mt);
    }

    for (g = 0; g < ev.n_unknown; g++) {
        free(ev.unknown[g]);
    }

    free(ev.groups);
    free(ev.truth);
    free(ev.values);
    free(ev.group);
    mlp_metrics_free(ev.all);
    mlp_score_free(ev.s);

    return rc;
}


/* The label(s) and the group of the block's row r (already scored). */

static int
mlp_eval_label(mlp_eval_t *ev, mlp_input_file_t *in, size_t r)
{
    long               k, g;
    double             v;
    size_t             len, col;
    uint32_t           j, u;
    const char        *s;
    mlp_csv_field_t   *f;
    mlp_csv_t         *c;
    char               num[MLP_NUM_LEN];

    c = in->csv;
    f = c->fields;

    for (j = 0; j < ev->n_labels; j++) {
        col = ev->label_col[j];
        s = f[col].s;
        len = f[col].len;

        if (mlp_csv_missing(s, len)) {
            fprintf(stderr, "mlpredict: %s: line %zu, column %zu (\"%.*s\"): "
                    "a missing label\n", in->path, c->rec_line, col + 1,
                    (int) in->header[col].len, in->header[col].s);
            return -1;
        }

        if (ev->k == 0) {
            if (mlp_csv_number(s, len, &v) != 0 || !isfinite(v)) {
                fprintf(stderr, "mlpredict: %s: line %zu, column %zu "
                        "(\"%.*s\"): the label is not a finite number: "
                        "\"%.*s\"\n", in->path, c->rec_line, col + 1,
                        (int) in->header[col].len, in->header[col].s,
                        (int) (len > 40 ? 40 : len), s);
                return -1;
            }

            ev->values[r * ev->n_out + j] = v;
            continue;
        }

        k = mlp_score_label(ev->s, s, len);

        if (k < 0) {
            /* numbers as one value whatever their spelling */
            if (ev->s->numeric_classes && mlp_csv_number(s, len, &v) == 0) {
                len = mlp_write_double(v, num);
                s = num;
            }

            for (u = 0; u < ev->n_unknown; u++) {
                if (ev->unknown_len[u] == len
                    && memcmp(ev->unknown[u], s, len) == 0)
                {
                    break;
                }
            }

            if (u == ev->n_unknown) {
                if (u == MLP_METRICS_MAX_UNKNOWN) {
                    fprintf(stderr, "mlpredict: %s: line %zu: more than %d "
                            "distinct labels the model does not know\n",
                            in->path, c->rec_line, MLP_METRICS_MAX_UNKNOWN);
                    return -1;
                }

                ev->unknown[u] = malloc(len + 1);
                if (ev->unknown[u] == NULL) {
                    return -1;
                }

                memcpy(ev->unknown[u], s, len);
                ev->unknown[u][len] = '\0';
                ev->unknown_len[u] = len;
                ev->n_unknown++;
            }

            k = (long) ev->k + u;
        }

        ev->truth[r] = (uint32_t) k;
    }

    if (ev->by_col >= 0) {
        f = &c->fields[ev->by_col];
        g = mlp_eval_group(ev, f->s, f->len);

        if (g < 0) {
            fprintf(stderr, "mlpredict: %s: line %zu: more than %d groups "
                    "in \"%.*s\"\n", in->path, c->rec_line, MLP_MAX_GROUPS,
                    (int) in->header[ev->by_col].len,
                    in->header[ev->by_col].s);
            return -1;
        }

        ev->group[r] = (uint32_t) g;
    }

    return 0;
}


static long
mlp_eval_group(mlp_eval_t *ev, const char *s, size_t len)
{
    uint32_t      g;
    mlp_group_t  *gr;

    gr = &ev->groups[ev->last_group];

    if (ev->n_groups && gr->len == len && memcmp(gr->text, s, len) == 0) {
        return ev->last_group;
    }

    for (g = 0; g < ev->n_groups; g++) {
        gr = &ev->groups[g];

        if (gr->len == len && memcmp(gr->text, s, len) == 0) {
            ev->last_group = g;
            return g;
        }
    }

    if (ev->n_groups == MLP_MAX_GROUPS) {
        return -1;
    }

    gr = &ev->groups[ev->n_groups];
    gr->text = malloc(len + 1);
    gr->mt = mlp_metrics_create(ev->k, ev->n_out, ev->s->proba);

    if (gr->text == NULL || gr->mt == NULL) {
        free(gr->text);
        mlp_metrics_free(gr->mt);
        return -1;
    }

    memcpy(gr->text, s, len);
    gr->text[len] = '\0';
    gr->len = len;
    ev->last_group = ev->n_groups;

    return ev->n_groups++;
}


static int
mlp_eval_block(mlp_eval_t *ev)
{
    size_t          r, n;
    uint32_t        w, t;
    mlp_score_t    *s;
    const double   *o, *y;
    mlp_metrics_t  *gm;

    s = ev->s;
    n = s->n;
    w = s->out_width;
    t = ev->n_out;

    for (r = 0; r < n; r++) {
        gm = (ev->by_col >= 0) ? ev->groups[ev->group[r]].mt : NULL;

        /* decision values are no probabilities: no log loss, no AUC */
        o = s->out + r * w;
        y = ev->values + r * t;

        if (ev->k) {
            if (mlp_metrics_add_class(ev->all, ev->truth[r], s->labels[r],
                                      s->proba ? o : NULL)
                != 0
                || (gm && mlp_metrics_add_class(gm, ev->truth[r],
                                                s->labels[r],
                                                s->proba ? o : NULL)
                          != 0))
            {
                return -1;
            }

        } else if (mlp_metrics_add_value(ev->all, y, o) != 0
                   || (gm && mlp_metrics_add_value(gm, y, o) != 0))
        {
            return -1;
        }
    }

    return 0;
}


/* ------------------------------------------------------------ reporting */


static void
mlp_json_str(FILE *o, const char *s, size_t len)
{
    char  *buf;

    /* mlp_json_escape writes the quotes too */
    buf = malloc(6 * len + 3);
    if (buf == NULL) {
        fputs("\"\"", o);
        return;
    }

    fwrite(buf, 1, mlp_json_escape(s, len, buf), o);
    free(buf);
}


static void
mlp_json_num(FILE *o, double v)
{
    char  buf[MLP_NUM_LEN];

    if (!isfinite(v)) {
        fputs("null", o);
        return;
    }

    fwrite(buf, 1, mlp_write_double(v, buf), o);
}


static void
mlp_json_per_class(FILE *o, mlp_eval_t *ev, const char *key, double macro,
    double weighted, const double *v)
{
    uint32_t  c;

    fprintf(o, ",\"%s\":{\"macro\":", key);
    mlp_json_num(o, macro);
    fputs(",\"weighted\":", o);
    mlp_json_num(o, weighted);
    fputs(",\"per_class\":{", o);

    for (c = 0; c < ev->k; c++) {
        if (c) {
            fputc(',', o);
        }

        mlp_json_str(o, ev->s->classes[c].text, ev->s->classes[c].len);
        fputc(':', o);
        mlp_json_num(o, v[c]);
    }

    fputs("}}", o);
}


/* The object's members, without the closing brace. */

static void
mlp_json_metrics(FILE *o, mlp_eval_t *ev, mlp_metrics_t *mt)
{
    uint32_t  c, d, u;

    fprintf(o, "{\"task\":\"%s\",\"rows\":%zu",
            ev->k ? "classification" : "regression", mt->rows);

    if (ev->k == 0) {
        fputs(",\"mae\":", o);
        mlp_json_num(o, mt->mae);
        fputs(",\"mse\":", o);
        mlp_json_num(o, mt->mse);
        fputs(",\"rmse\":", o);
        mlp_json_num(o, mt->rmse);
        fputs(",\"r2\":", o);
        mlp_json_num(o, mt->r2);
        fputs(",\"explained_variance\":", o);
        mlp_json_num(o, mt->explained_variance);
        fputs(",\"max_error\":", o);
        mlp_json_num(o, mt->max_error);
        fputs(",\"median_absolute_error\":", o);
        mlp_json_num(o, mt->median_absolute_error);
        fputs(",\"mape\":", o);
        mlp_json_num(o, mt->mape);
        mlp_warnings(ev, mt, o, 1);
        return;
    }

    fputs(",\"accuracy\":", o);
    mlp_json_num(o, mt->accuracy);
    fputs(",\"balanced_accuracy\":", o);
    mlp_json_num(o, mt->balanced_accuracy);
    mlp_json_per_class(o, ev, "precision", mt->macro[0], mt->weighted[0],
                       mt->precision);
    mlp_json_per_class(o, ev, "recall", mt->macro[1], mt->weighted[1],
                       mt->recall);
    mlp_json_per_class(o, ev, "f1", mt->macro[2], mt->weighted[2], mt->f1);

    fputs(",\"support\":{", o);

    for (c = 0; c < ev->k; c++) {
        if (c) {
            fputc(',', o);
        }

        mlp_json_str(o, ev->s->classes[c].text, ev->s->classes[c].len);
        fprintf(o, ":%llu", (unsigned long long) mt->true_sum[c]);
    }

    fputs("},\"confusion_matrix\":{\"labels\":[", o);

    for (c = 0; c < ev->k; c++) {
        if (c) {
            fputc(',', o);
        }

        mlp_json_str(o, ev->s->classes[c].text, ev->s->classes[c].len);
    }

    fputs("],\"matrix\":[", o);

    for (c = 0; c < ev->k; c++) {
        fputs(c ? ",[" : "[", o);

        for (d = 0; d < ev->k; d++) {
            fprintf(o, "%s%llu", d ? "," : "",
                    (unsigned long long) mt->cm[(size_t) c * ev->k + d]);
        }

        fputc(']', o);
    }

    fputs("]},\"log_loss\":", o);
    mlp_json_num(o, mt->log_loss);
    fputs(",\"roc_auc\":", o);
    mlp_json_num(o, mt->roc_auc);

    fprintf(o, ",\"unknown_labels\":{\"rows\":%llu,\"labels\":{",
            (unsigned long long) mt->unknown_rows);

    for (u = 0, d = 0; u < ev->n_unknown; u++) {
        if (mt->unknown[u] == 0) {
            continue;
        }

        if (d++) {
            fputc(',', o);
        }

        mlp_json_str(o, ev->unknown[u], ev->unknown_len[u]);
        fprintf(o, ":%llu", (unsigned long long) mt->unknown[u]);
    }

    fputs("}}", o);
    mlp_warnings(ev, mt, o, 1);
}


/*
 * The cases scikit-learn warns of (UndefinedMetricWarning), each named:
 * the figure is 0 (or null where scikit-learn answers NaN or raises).
 */

static void
mlp_warnings(mlp_eval_t *ev, mlp_metrics_t *mt, FILE *o, int json)
{
    int          n;
    uint32_t     c;
    const char  *name;
    char         msg[512];

#define MLP_WARN(...)                                                         \
    do {                                                                      \
        snprintf(msg, sizeof(msg), __VA_ARGS__);                              \
        if (json) {                                                           \
            fputs(n++ ? "," : "", o);                                         \
            mlp_json_str(o, msg + strspn(msg, " "),                           \
                         strlen(msg) - strspn(msg, " "));                     \
        } else {                                                              \
            fprintf(o, "%s%s\n", n++ ? "" : "\nwarnings:\n", msg);            \
        }                                                                     \
    } while (0)

    n = 0;

    if (json) {
        fputs(",\"warnings\":[", o);
    }

    if (ev->k) {
        for (c = 0; c < ev->k; c++) {
            name = ev->s->classes[c].text;

            if (mt->pred_sum[c] == 0) {
                MLP_WARN("  precision of \"%.64s\" is ill-defined (no "
                         "predicted samples): set to 0", name);
            }

            if (mt->true_sum[c] == 0) {
                MLP_WARN("  recall of \"%.64s\" is ill-defined (no true "
                         "samples): set to 0", name);
            }

            if (mt->true_sum[c] == 0 && mt->pred_sum[c] == 0) {
                MLP_WARN("  F-score of \"%.64s\" is ill-defined (neither "
                         "true nor predicted samples): set to 0", name);
            }
        }

        for (c = 0; c < ev->k; c++) {
            if (mt->true_sum[c] == 0 && mt->pred_sum[c] != 0) {
                MLP_WARN("  balanced accuracy leaves out \"%.64s\", "
                         "predicted but absent from the labels (\"y_pred "
                         "contains classes not in y_true\")",
                         ev->s->classes[c].text);
            }
        }

        if (mt->unknown_rows) {
            MLP_WARN("  %llu rows with labels the model does not know: "
                     "wrong in accuracy, recall 0 in balanced accuracy, "
                     "false positives in precision, outside the confusion "
                     "matrix", (unsigned long long) mt->unknown_rows);
        }

        if (isnan(mt->roc_auc) && mt->roc_auc_why != NULL) {
            MLP_WARN("  ROC AUC is undefined: %s", mt->roc_auc_why);
        }

    } else {
        if (mt->rows < 2) {
            MLP_WARN("  R^2 is not well-defined with less than two "
                     "samples: null");
        }

        if (ev->n_out > 1) {
            MLP_WARN("  max error does not support several targets: "
                     "null");
        }

        for (c = 0; c < ev->n_out; c++) {
            if (mt->m2_y[c] == 0.0 && mt->rows > 1) {
                MLP_WARN("  the labels of target %u are constant: R^2 "
                         "and explained variance are 1 for a perfect fit, "
                         "0 otherwise", c);
            }
        }
    }

    if (json) {
        fputc(']', o);
    }

#undef MLP_WARN
}


static double
mlp_rate(uint64_t a, uint64_t b)
{
    return b ? (double) a / (double) b : NAN;
}


/*
 * Per group, of class c (one-vs-rest): 0 selection rate (predicted c among
 * every row), 1 true-positive rate, 2 false-positive rate (rows with known
 * labels). The largest minus the smallest over the groups where the rate
 * is defined; NaN where fewer than one is.
 */

static double
mlp_gap(mlp_eval_t *ev, uint32_t c, int which, double *rates)
{
    double          v, lo, hi;
    uint32_t        g, t, k;
    uint64_t        fp, neg;
    mlp_metrics_t  *mt;

    k = ev->k;
    lo = INFINITY;
    hi = -INFINITY;

    for (g = 0; g < ev->n_groups; g++) {
        mt = ev->groups[g].mt;

        if (which == 0) {
            v = mlp_rate(mt->pred_sum[c], mt->rows);

        } else if (which == 1) {
            v = mlp_rate(mt->cm[(size_t) c * k + c], mt->true_sum[c]);

        } else {
            fp = 0;
            neg = 0;

            for (t = 0; t < k; t++) {
                if (t != c) {
                    fp += mt->cm[(size_t) t * k + c];
                    neg += mt->true_sum[t];
                }
            }

            v = mlp_rate(fp, neg);
        }

        rates[g] = v;

        if (!isnan(v)) {
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
        }
    }

    return (hi >= lo) ? hi - lo : NAN;
}


static void
mlp_json_fairness(FILE *o, mlp_eval_t *ev)
{
    int          w;
    double       gap[3], *rates;
    uint32_t     c, first, g;
    const char  *names[3] = { "selection_rate", "true_positive_rate",
                              "false_positive_rate" };

    rates = malloc(ev->n_groups * sizeof(double));
    if (rates == NULL) {
        return;
    }

    /* two classes: the second is the positive one, as pos_label=1 */
    first = (ev->k == 2) ? 1 : 0;

    if (ev->k == 2) {
        fputs(",\"positive_label\":", o);
        mlp_json_str(o, ev->s->classes[1].text, ev->s->classes[1].len);
    }

    fputs(",\"per_class\":{", o);

    for (c = first; c < ev->k; c++) {
        if (c > first) {
            fputc(',', o);
        }

        mlp_json_str(o, ev->s->classes[c].text, ev->s->classes[c].len);
        fputs(":{", o);

        for (w = 0; w < 3; w++) {
            gap[w] = mlp_gap(ev, c, w, rates);
            fprintf(o, "%s\"%s\":{", w ? "," : "", names[w]);

            for (g = 0; g < ev->n_groups; g++) {
                if (g) {
                    fputc(',', o);
                }

                mlp_json_str(o, ev->groups[g].text, ev->groups[g].len);
                fputc(':', o);
                mlp_json_num(o, rates[g]);
            }

            fputc('}', o);
        }

        fputs(",\"demographic_parity_difference\":", o);
        mlp_json_num(o, gap[0]);
        fputs(",\"equalized_odds_difference\":", o);
        mlp_json_num(o, isnan(gap[1]) ? gap[2] : isnan(gap[2]) ? gap[1]
                        : gap[1] > gap[2] ? gap[1] : gap[2]);
        fputc('}', o);

        if (ev->k == 2) {
            break;
        }
    }

    fputc('}', o);

    if (ev->k == 2) {
        fputs(",\"demographic_parity_difference\":", o);
        mlp_json_num(o, gap[0]);
        fputs(",\"equalized_odds_difference\":", o);
        mlp_json_num(o, isnan(gap[1]) ? gap[2] : isnan(gap[2]) ? gap[1]
                        : gap[1] > gap[2] ? gap[1] : gap[2]);
    }

    free(rates);
}


static void
mlp_text_fairness(FILE *o, mlp_eval_t *ev)
{
    int          w;
    double       gap[3], eo, *rates[3];
    uint32_t     c, first, g;

    for (w = 0; w < 3; w++) {
        rates[w] = malloc(ev->n_groups * sizeof(double));
    }

    if (rates[0] == NULL || rates[1] == NULL || rates[2] == NULL) {
        goto done;
    }

    first = (ev->k == 2) ? 1 : 0;

    fprintf(o, "\n--- gaps between groups (one class against the rest)\n");

    for (c = first; c < ev->k; c++) {
        for (w = 0; w < 3; w++) {
            gap[w] = mlp_gap(ev, c, w, rates[w]);
        }

        fprintf(o, "\nclass \"%s\"%s\n%20s %14s %14s %14s\n",
                ev->s->classes[c].text,
                ev->k == 2 ? " (positive)" : "", "group", "selection rate",
                "TPR", "FPR");

        for (g = 0; g < ev->n_groups; g++) {
            fprintf(o, "%20.*s %14.4f %14.4f %14.4f\n",
                    (int) (ev->groups[g].len > 20 ? 20 : ev->groups[g].len),
                    ev->groups[g].text, rates[0][g], rates[1][g],
                    rates[2][g]);
        }

        eo = isnan(gap[1]) ? gap[2] : isnan(gap[2]) ? gap[1]
             : gap[1] > gap[2] ? gap[1] : gap[2];

        fprintf(o, "%20s %14.4f %14.4f %14.4f\n", "largest gap", gap[0],
                gap[1], gap[2]);
        fprintf(o, "demographic parity difference  %.4f\n"
                "equalized odds difference      %.4f\n", gap[0], eo);

        if (ev->k == 2) {
            break;
        }
    }

done:

    for (w = 0; w < 3; w++) {
        free(rates[w]);
    }
}


/* As scikit-learn's classification_report lays it out, 4 digits. */

static void
mlp_text_metrics(FILE *o, mlp_eval_t *ev, mlp_metrics_t *mt,
    const char *indent)
{
    int           width, cw, n;
    size_t        total;
    uint32_t      c, d;
    mlp_class_t  *cl;

    if (ev->k == 0) {
        static const char  *names[] = {
            "mean absolute error", "mean squared error",
            "root mean squared error", "R^2", "explained variance",
            "max error", "median absolute error",
            "mean absolute % error"
        };
        double  v[8];

        v[0] = mt->mae;
        v[1] = mt->mse;
        v[2] = mt->rmse;
        v[3] = mt->r2;
        v[4] = mt->explained_variance;
        v[5] = mt->max_error;
        v[6] = mt->median_absolute_error;
        v[7] = mt->mape;

        /* undefined (null in the JSON) as "-" */
        for (n = 0; n < 8; n++) {
            if (isnan(v[n])) {
                fprintf(o, "%s%-25s -\n", indent, names[n]);

            } else {
                fprintf(o, "%s%-25s %.6g\n", indent, names[n], v[n]);
            }
        }

        mlp_warnings(ev, mt, o, 0);
        return;
    }

    cl = ev->s->classes;
    width = (int) strlen("weighted avg");

    for (c = 0; c < ev->k; c++) {
        if ((int) cl[c].len > width) {
            width = (int) cl[c].len;
        }
    }

    total = 0;

    for (c = 0; c < ev->k; c++) {
        total += mt->true_sum[c];
    }

    fprintf(o, "%*s  %9s %9s %9s %9s\n\n", width, "", "precision",
            "recall", "f1-score", "support");

    for (c = 0; c < ev->k; c++) {
        fprintf(o, "%*s  %9.4f %9.4f %9.4f %9llu\n", width, cl[c].text,
                mt->precision[c], mt->recall[c], mt->f1[c],
                (unsigned long long) mt->true_sum[c]);
    }

    fprintf(o, "\n%*s  %9s %9s %9.4f %9zu\n", width, "accuracy", "", "",
            mt->accuracy, mt->rows);
    fprintf(o, "%*s  %9.4f %9.4f %9.4f %9zu\n", width, "macro avg",
            mt->macro[0], mt->macro[1], mt->macro[2], total);
    fprintf(o, "%*s  %9.4f %9.4f %9.4f %9zu\n\n", width, "weighted avg",
            mt->weighted[0], mt->weighted[1], mt->weighted[2], total);

    fprintf(o, "balanced accuracy  %.4f\n", mt->balanced_accuracy);

    if (isnan(mt->log_loss)) {
        fprintf(o, "log loss           -\n");

    } else {
        fprintf(o, "log loss           %.4f\n", mt->log_loss);
    }

    if (isnan(mt->roc_auc)) {
        fprintf(o, "ROC AUC            - (%s)\n",
                mt->roc_auc_why ? mt->roc_auc_why : "not computed");

    } else {
        fprintf(o, "ROC AUC            %.4f%s\n", mt->roc_auc,
                ev->k > 2 ? " (one-vs-rest, macro)" : "");
    }

    /* the confusion matrix, columns as wide as their label or count */
    fprintf(o, "\nconfusion matrix (rows: true labels, columns: "
            "predicted)\n\n%*s", width, "");

    for (d = 0; d < ev->k; d++) {
        cw = (int) cl[d].len < 6 ? 6 : (int) cl[d].len;
        fprintf(o, "  %*s", cw, cl[d].text);
    }

    fputc('\n', o);

    for (c = 0; c < ev->k; c++) {
        fprintf(o, "%*s", width, cl[c].text);

        for (d = 0; d < ev->k; d++) {
            cw = (int) cl[d].len < 6 ? 6 : (int) cl[d].len;
            fprintf(o, "  %*llu", cw,
                    (unsigned long long) mt->cm[(size_t) c * ev->k + d]);
        }

        fputc('\n', o);
    }

    if (mt->unknown_rows) {
        fprintf(o, "\nlabels the model does not know:");

        for (c = 0, n = 0; c < ev->n_unknown && n < 20; c++) {
            if (mt->unknown[c]) {
                fprintf(o, "%s \"%s\" (%llu)", n++ ? "," : "",
                        ev->unknown[c],
                        (unsigned long long) mt->unknown[c]);
            }
        }

        fputc('\n', o);
    }

    mlp_warnings(ev, mt, o, 0);
}


/* ------------------------------------------------------- predict --csv */


int
mlp_cli_predict_csv(mlp_model_t *m, int argc, char **argv)
{
    int                rc, i;
    char              *keep, *data, *p, *q, *line, *kbuf;
    long               col;
    size_t            *keep_col, n_keep, r, j, len, kcap, klen, *koff;
    size_t             line_cap, max_class, len_h;
    const double      *o;
    uint32_t           k, n_out, c;
    FILE              *out;
    mlp_error_t        e;
    mlp_score_t       *s;
    mlp_input_file_t   in;
    mlp_csv_t         *cs;
    mlp_csv_field_t   *f;
    char               err[MLP_ERR_LEN];

    keep = NULL;
    data = NULL;

    for (i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--csv") == 0) {
            continue;

        } else if (strcmp(argv[i], "--keep") == 0 && i + 1 < argc) {
            keep = argv[++i];

        } else if (data == NULL && (argv[i][0] != '-' || argv[i][1] == 0)) {
            data = argv[i];

        } else {
            return mlp_usage();
        }
    }

    if (data == NULL) {
        return mlp_usage();
    }

    rc = 1;
    s = NULL;
    out = NULL;
    keep_col = NULL;
    koff = NULL;
    kbuf = NULL;
    line = NULL;
    n_keep = 0;

    if (mlp_open_input(&in, data, NULL, 0) != 0) {
        goto done;
    }

    /*
     * the answer goes to a temporary file first: nothing reaches stdout
     * unless every row was read and scored
     */
    out = tmpfile();
    if (out == NULL) {
        fprintf(stderr, "mlpredict: a temporary file: %s\n",
                strerror(errno));
        goto done;
    }

    cs = in.csv;
    k = mlp_model_is_classifier(m) ? mlp_model_n_outputs(m) : 0;
    n_out = mlp_model_n_outputs(m);

    s = mlp_score_create(m, MLP_SCORE_BLOCK);
    keep_col = malloc((in.n_header + 1) * sizeof(size_t));
    koff = malloc((MLP_SCORE_BLOCK + 1) * sizeof(size_t));
    kcap = 65536;
    kbuf = malloc(kcap);
    line_cap = 65536;
    line = malloc(line_cap);

    if (s == NULL || keep_col == NULL || koff == NULL || kbuf == NULL
        || line == NULL)
    {
        fprintf(stderr, "mlpredict: out of memory\n");
        goto done;
    }

    if (mlp_score_header(s, in.header, in.n_header, err, sizeof(err)) != 0) {
        fprintf(stderr, "mlpredict: %s: %s\n", in.path, err);
        goto done;
    }

    max_class = 0;

    for (c = 0; c < k; c++) {
        if (s->classes[c].len > max_class) {
            max_class = s->classes[c].len;
        }
    }

    for (p = keep; p != NULL && *p != '\0'; p = *q ? q + 1 : q) {
        q = strchr(p, ',');
        if (q == NULL) {
            q = p + strlen(p);
        }

        if (n_keep == in.n_header) {
            fprintf(stderr, "mlpredict: --keep names more columns than "
                    "the file has\n");
            goto done;
        }

        col = mlp_header_column(&in, p, (size_t) (q - p));
        if (col < 0) {
            goto done;
        }

        keep_col[n_keep++] = (size_t) col;
    }

    /*
     * the header: kept columns, prediction, a probability a class. Its
     * bound first (a name quoted is at most twice its length and two
     * quotes; a number at most 10 digits): long names or many classes
     * outgrow the line buffer the rows start with.
     */
    len = 2 + 24 * ((size_t) n_out + s->out_width + 2);

    for (j = 0; j < n_keep; j++) {
        len += 2 * in.header[keep_col[j]].len + 3;
    }

    for (c = 0; c < k; c++) {
        len += 2 * (s->classes[c].len + 9) + 3;
    }

    if (len > line_cap) {
        char  *grown;

        grown = realloc(line, len);
        if (grown == NULL) {
            fprintf(stderr, "mlpredict: out of memory\n");
            goto done;
        }

        line = grown;
        line_cap = len;
    }

    len = 0;

    for (j = 0; j < n_keep; j++) {
        f = &in.header[keep_col[j]];
        len += mlp_csv_quote(f->s, f->len, line + len);
        line[len++] = ',';
    }

    if (k || n_out == 1 || s->outlier) {
        len += sprintf(line + len, "prediction");

    } else {
        for (c = 0; c < n_out; c++) {
            len += sprintf(line + len, "%sprediction_%u", c ? "," : "", c);
        }
    }

    /*
     * a classifier's probabilities, proba_<label>; without them its
     * decision values: "decision" for two classes (of the second), one a
     * class (decision_<label>), or one a pair of classes (decision_<i>)
     */
    if (s->outlier || (s->decision && s->out_width == 1)) {
        len += sprintf(line + len, ",decision");

    } else if (s->decision && s->pairs) {
        for (c = 0; c < s->out_width; c++) {
            len += sprintf(line + len, ",decision_%u", c);
        }

    } else {
        for (c = 0; c < k; c++) {
            char  *h;

            h = malloc(s->classes[c].len + 10);
            if (h == NULL) {
                goto done;
            }

            len_h = s->decision ? 9 : 6;
            memcpy(h, s->decision ? "decision_" : "proba_", len_h);
            memcpy(h + len_h, s->classes[c].text, s->classes[c].len);
            line[len++] = ',';
            len += mlp_csv_quote(h, s->classes[c].len + len_h, line + len);
            free(h);
        }
    }

    line[len++] = '\n';
    fwrite(line, 1, len, out);

    klen = 0;
    koff[0] = 0;

    for ( ;; ) {
        rc = mlp_next(&in);

        if (rc < 0) {
            rc = 1;
            goto done;
        }

        if (rc == 1) {
            if (mlp_score_row(s, cs->fields, cs->n_fields, cs->rec_line,
                              in.header, &e)
                != 0)
            {
                mlp_progress(&in, 1);
                fprintf(stderr, "mlpredict: %s: %s\n", in.path, e.message);
                rc = 1;
                goto done;
            }

            /* the kept cells as CSV text, until the block is written */
            for (j = 0; j < n_keep; j++) {
                f = &cs->fields[keep_col[j]];

                if (klen + 2 * f->len + 3 > kcap) {
                    char  *nb;

                    while (klen + 2 * f->len + 3 > kcap) {
                        kcap *= 2;
                    }

                    nb = realloc(kbuf, kcap);
                    if (nb == NULL) {
                        fprintf(stderr, "mlpredict: out of memory\n");
                        rc = 1;
                        goto done;
                    }

                    kbuf = nb;
                }

                klen += mlp_csv_quote(f->s, f->len, kbuf + klen);
                kbuf[klen++] = ',';
            }

            koff[s->n] = klen;
        }

        if (s->n == MLP_SCORE_BLOCK || (rc == 0 && s->n > 0)) {
            if (mlp_score_run(s, &e) != 0) {
                mlp_progress(&in, 1);
                fprintf(stderr, "mlpredict: %s: %s\n", in.path, e.message);
                rc = 1;
                goto done;
            }

            for (r = 0; r < s->n; r++) {
                size_t  from, need;

                /* row r's kept cells: koff[r] to koff[r + 1] */
                from = koff[r];
                need = (koff[r + 1] - from) + 2 * max_class
                       + (size_t) (s->out_width + n_out + 1)
                         * (MLP_NUM_LEN + 1)
                       + 2;

                if (need > line_cap) {
                    char  *nl;

                    nl = realloc(line, need);
                    if (nl == NULL) {
                        fprintf(stderr, "mlpredict: out of memory\n");
                        rc = 1;
                        goto done;
                    }

                    line = nl;
                    line_cap = need;
                }

                len = koff[r + 1] - from;
                memcpy(line, kbuf + from, len);

                if (s->outlier) {
                    o = s->out + r;
                    len += sprintf(line + len, "%s,", o[0] > 0 ? "1" : "-1");
                    len += mlp_write_double(o[0], line + len);

                } else if (k) {
                    o = s->out + r * s->out_width;
                    c = s->labels[r];
                    len += mlp_csv_quote(s->classes[c].text,
                                         s->classes[c].len, line + len);

                    for (c = 0; c < s->out_width; c++) {
                        line[len++] = ',';
                        len += mlp_write_double(o[c], line + len);
                    }

                } else {
                    for (c = 0; c < n_out; c++) {
                        if (c) {
                            line[len++] = ',';
                        }

                        len += mlp_write_double(s->out[r * n_out + c],
                                                line + len);
                    }
                }

                line[len++] = '\n';
                fwrite(line, 1, len, out);
            }

            s->n = 0;
            klen = 0;
        }

        if (rc == 0) {
            break;
        }
    }

    mlp_progress(&in, 1);

    if (fflush(out) != 0 || ferror(out)) {
        fprintf(stderr, "mlpredict: a temporary file: %s\n",
                strerror(errno));
        rc = 1;
        goto done;
    }

    rewind(out);

    while ((len = fread(kbuf, 1, kcap, out)) > 0) {
        if (fwrite(kbuf, 1, len, stdout) != len) {
            break;
        }
    }

    if (ferror(out) || fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "mlpredict: writing: %s\n", strerror(errno));
        rc = 1;
        goto done;
    }

    rc = 0;

done:

    if (out != NULL) {
        fclose(out);
    }

    free(keep_col);
    free(koff);
    free(kbuf);
    free(line);
    mlp_score_free(s);
    mlp_close_input(&in);

    return rc;
}
