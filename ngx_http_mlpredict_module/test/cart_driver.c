
/*
 * The CART trainer end to end for t/train_cart.py and bench/bench_train.py:
 *
 *   cart_driver TRAIN.csv OUT.mlp --classes K [--criterion C]
 *       [--max-depth N] [--min-samples-split N] [--min-samples-leaf N]
 *       [--max-features N] [--forest N] [--seed S] [--weights]
 *       [--predict TEST.csv] [--time]
 *
 * TRAIN.csv: a header, numeric cells, the label (a class index 0..K-1, or
 * with --classes 0 a regression target) last, after --weights a row weight
 * before it.  Fits mlp_cart_fit, writes the model with mlp_cart_write;
 * --predict prints mlp_cart_predict's outputs of TEST.csv's feature
 * columns (%.17g, one row a line), --time the fit's seconds on stderr
 * ("fit WALL cpu CPU").
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mlp_internal.h"
#include "io/mlp_csv.h"
#include "train/mlp_cart.h"


typedef struct {
    double                   *v;
    size_t                    rows;
    size_t                    cols;
    char                     *names;        /* header, NUL-separated */
    size_t                    names_len;
} cart_csv_t;


static int cart_read(const char *path, cart_csv_t *t);
static int cart_usage(void);


static int
cart_read(const char *path, cart_csv_t *t)
{
    int         rc;
    FILE       *f;
    size_t      i, cap;
    double     *nv;
    mlp_csv_t  *c;

    memset(t, 0, sizeof(*t));

    f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }

    c = mlp_csv_open_file(f, 0);
    if (c == NULL) {
        fclose(f);
        return -1;
    }

    cap = 0;

    while ((rc = mlp_csv_read(c)) == 1) {
        if (c->records == 1) {
            t->cols = c->n_fields;

            for (i = 0; i < c->n_fields; i++) {
                t->names_len += c->fields[i].len + 1;
            }

            t->names = malloc(t->names_len);
            if (t->names == NULL) {
                goto fail;
            }

            for (i = 0, t->names_len = 0; i < c->n_fields; i++) {
                memcpy(t->names + t->names_len, c->fields[i].s,
                       c->fields[i].len + 1);
                t->names_len += c->fields[i].len + 1;
            }

            continue;
        }

        if (c->n_fields != t->cols) {
            fprintf(stderr, "%s:%zu: %zu fields, the header has %zu\n", path,
                    c->rec_line, c->n_fields, t->cols);
            goto fail;
        }

        if ((t->rows + 1) * t->cols > cap) {
            cap = cap ? 2 * cap : 1024 * t->cols;
            nv = realloc(t->v, cap * sizeof(double));
            if (nv == NULL) {
                goto fail;
            }

            t->v = nv;
        }

        for (i = 0; i < t->cols; i++) {
            if (mlp_csv_number(c->fields[i].s, c->fields[i].len,
                               &t->v[t->rows * t->cols + i]) != 0)
            {
                fprintf(stderr, "%s:%zu: field %zu is not a number\n", path,
                        c->rec_line, i + 1);
                goto fail;
            }
        }

        t->rows++;
    }

    if (rc < 0) {
        fprintf(stderr, "%s:%zu: %s\n", path, c->err_line, c->err);
        goto fail;
    }

    mlp_csv_close(c);
    fclose(f);

    return 0;

fail:

    mlp_csv_close(c);
    fclose(f);

    return -1;
}


static int
cart_usage(void)
{
    fprintf(stderr, "usage: cart_driver TRAIN.csv OUT.mlp --classes K "
            "[--criterion gini|entropy|squared_error] [--max-depth N] "
            "[--min-samples-split N] [--min-samples-leaf N] "
            "[--max-features N] [--forest N] [--seed S] [--weights] "
            "[--predict TEST.csv] [--time]\n");
    return 2;
}


int
main(int argc, char **argv)
{
    int                a, timing, weights;
    char               err[256], *labels, *p;
    double            *x, *y, *w, *out, secs, cpu;
    size_t             i, j, d, nl, lab;
    uint32_t           c;
    const char        *train, *model, *test, *crit;
    cart_csv_t         tr, te;
    mlp_writer_t       wr;
    struct timespec    t0, t1, c0, c1;
    mlp_cart_opts_t    o;
    mlp_train_data_t   data;
    mlp_cart_model_t  *m;

    if (argc < 3) {
        return cart_usage();
    }

    train = argv[1];
    model = argv[2];
    test = NULL;
    timing = 0;
    weights = 0;
    memset(&o, 0, sizeof(o));
    memset(&data, 0, sizeof(data));
    o.criterion = -1;
    o.min_samples_split = 2;
    o.min_samples_leaf = 1;
    crit = NULL;

    for (a = 3; a < argc; a++) {
        if (strcmp(argv[a], "--time") == 0) {
            timing = 1;
            continue;
        }

        if (strcmp(argv[a], "--weights") == 0) {
            weights = 1;
            continue;
        }

        if (a + 1 >= argc) {
            return cart_usage();
        }

        if (strcmp(argv[a], "--classes") == 0) {
            data.n_classes = (uint32_t) strtoul(argv[++a], NULL, 10);

        } else if (strcmp(argv[a], "--criterion") == 0) {
            crit = argv[++a];
            o.criterion = strcmp(crit, "gini") == 0 ? MLP_CART_GINI
                          : strcmp(crit, "entropy") == 0 ? MLP_CART_ENTROPY
                          : strcmp(crit, "squared_error") == 0
                            ? MLP_CART_SQUARED_ERROR : 99;

        } else if (strcmp(argv[a], "--max-depth") == 0) {
            o.max_depth = (uint32_t) strtoul(argv[++a], NULL, 10);

        } else if (strcmp(argv[a], "--min-samples-split") == 0) {
            o.min_samples_split = strtoul(argv[++a], NULL, 10);

        } else if (strcmp(argv[a], "--min-samples-leaf") == 0) {
            o.min_samples_leaf = strtoul(argv[++a], NULL, 10);

        } else if (strcmp(argv[a], "--max-features") == 0) {
            o.max_features = strtoul(argv[++a], NULL, 10);

        } else if (strcmp(argv[a], "--forest") == 0) {
            o.forest = 1;
            o.n_estimators = (uint32_t) strtoul(argv[++a], NULL, 10);

        } else if (strcmp(argv[a], "--seed") == 0) {
            o.seed = strtoull(argv[++a], NULL, 10);

        } else if (strcmp(argv[a], "--predict") == 0) {
            test = argv[++a];

        } else {
            return cart_usage();
        }
    }

    if (crit == NULL) {
        o.criterion = data.n_classes ? MLP_CART_GINI
                                     : MLP_CART_SQUARED_ERROR;
    }

    if (cart_read(train, &tr) != 0) {
        return 1;
    }

    if (tr.cols < 2 + (size_t) weights) {
        fprintf(stderr, "%s: no feature column\n", train);
        return 1;
    }

    d = tr.cols - 1 - weights;
    x = malloc(tr.rows * d * sizeof(double) + 1);
    y = malloc(tr.rows * sizeof(double) + 1);
    w = malloc(tr.rows * sizeof(double) + 1);

    if (x == NULL || y == NULL || w == NULL) {
        fprintf(stderr, "out of memory\n");
        return 1;
    }

    for (i = 0; i < tr.rows; i++) {
        for (j = 0; j < d; j++) {
            x[i * d + j] = tr.v[i * tr.cols + j];
        }

        w[i] = tr.v[i * tr.cols + d];
        y[i] = tr.v[i * tr.cols + tr.cols - 1];
    }

    data.x = x;
    data.n = tr.rows;
    data.d = d;
    data.y = y;
    data.w = weights ? w : NULL;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    m = mlp_cart_fit(&data, &o, err, sizeof(err));
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    clock_gettime(CLOCK_MONOTONIC, &t1);

    if (m == NULL) {
        fprintf(stderr, "cart_driver: %s\n", err);
        return 1;
    }

    if (timing) {
        secs = (double) (t1.tv_sec - t0.tv_sec)
               + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        cpu = (double) (c1.tv_sec - c0.tv_sec)
              + (double) (c1.tv_nsec - c0.tv_nsec) / 1e9;
        fprintf(stderr, "fit %.6f cpu %.6f\n", secs, cpu);
    }

    memset(&wr, 0, sizeof(wr));
    wr.n_features = (uint32_t) d;

    /* the feature names: the header's first d fields */
    for (i = 0, nl = 0, p = tr.names; i < d; i++) {
        nl += strlen(p) + 1;
        p += strlen(p) + 1;
    }

    mlp_writer_add(&wr, MLP_SEC_FEATURE_NAMES, MLP_DTYPE_STRINGS, tr.names,
                   nl, d);

    labels = malloc((size_t) data.n_classes * 12 + 1);
    if (labels == NULL) {
        return 1;
    }

    if (data.n_classes) {
        for (c = 0, lab = 0; c < data.n_classes; c++) {
            lab += (size_t) sprintf(labels + lab, "%u", c) + 1;
        }

        mlp_writer_add(&wr, MLP_SEC_CLASS_LABELS, MLP_DTYPE_STRINGS, labels,
                       lab, data.n_classes);
    }

    if (mlp_cart_write(m, &wr, err, sizeof(err)) != 0
        || mlp_writer_save(&wr, model, err, sizeof(err)) != 0)
    {
        fprintf(stderr, "cart_driver: %s\n", err);
        return 1;
    }

    if (test) {
        if (cart_read(test, &te) != 0) {
            return 1;
        }

        if (te.cols < d) {
            fprintf(stderr, "%s: fewer than %zu columns\n", test, d);
            return 1;
        }

        c = data.n_classes ? data.n_classes : 1;
        out = malloc(c * sizeof(double));
        x = realloc(x, d * sizeof(double));

        if (out == NULL || x == NULL) {
            return 1;
        }

        for (i = 0; i < te.rows; i++) {
            for (j = 0; j < d; j++) {
                x[j] = te.v[i * te.cols + j];
            }

            mlp_cart_predict(m, x, 1, out);

            for (j = 0; j < c; j++) {
                printf("%s%.17g", j ? "," : "", out[j]);
            }

            printf("\n");
        }

        free(out);
        free(te.v);
        free(te.names);
    }

    mlp_cart_free(m);
    free(x);
    free(y);
    free(w);
    free(labels);
    free(tr.v);
    free(tr.names);

    return 0;
}
