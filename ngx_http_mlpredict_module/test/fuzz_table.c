
/*
 * libFuzzer target of the training table (core/train/mlp_table.c) and of
 * what `mlpredict train` does with it before any fit (mlp_prep.c): the
 * bytes read as a CSV file (from memory, as the file would be), each
 * column typed; then, the last column as the label, the target made, the
 * rows split, the preparation fitted on the training rows, the prepared
 * matrix and the client-shaped rows computed (every prepared value
 * finite), the steps written; every row written back as CSV must read
 * back as the same cells, each column typed alike.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"
#include "convert/mlp_writer.h"
#include "train/mlp_train.h"


static void fuzz_prepare(const mlp_table_t *t);


static void
fuzz_prepare(const mlp_table_t *t)
{
    FILE          *f;
    char          *csv, err[MLP_ERR_LEN];
    double        *x;
    size_t         label, n, n_test, n_train, j, len, *train, *test;
    uint32_t      *inputs, n_inputs;
    mlp_prep_t    *p;
    mlp_table_t   *back;
    mlp_target_t   tg;
    mlp_writer_t   w;

    /* bounded: the fuzzer's inputs, not the trainer's limits, are tested */
    if (t->n_cols < 2 || t->n_rows == 0 || t->n_cols > 64
        || t->n_rows > 4096)
    {
        return;
    }

    label = t->n_cols - 1;
    n = t->n_rows;

    if (mlp_target_make(t, label, mlp_target_is_classes(t, label), &tg, err,
                        sizeof(err))
        != 0)
    {
        mlp_target_free(&tg);
        return;
    }

    n_test = n / 4;
    n_train = n - n_test;
    train = malloc(n * sizeof(size_t));
    test = malloc((n_test ? n_test : 1) * sizeof(size_t));
    inputs = malloc(label * sizeof(uint32_t));

    if (train == NULL || test == NULL || inputs == NULL
        || mlp_train_split(n, n_test, 1, train, test) != 0)
    {
        abort();
    }

    n_inputs = 0;

    for (j = 0; j < label; j++) {
        inputs[n_inputs++] = (uint32_t) j;
    }

    p = mlp_prep_fit(t, inputs, n_inputs, train, n_train, t->n_rows & 1,
                     err, sizeof(err));

    if (p != NULL) {
        if (p->n_features > 0 && p->n_features < 100000) {
            x = malloc(n_train * p->n_features * sizeof(double));
            if (x == NULL) {
                abort();
            }

            mlp_prep_matrix(p, t, train, n_train, x);

            for (j = 0; j < n_train * p->n_features; j++) {
                if (!isfinite(x[j])) {
                    fprintf(stderr, "prepared value %zu is %g\n", j, x[j]);
                    abort();
                }
            }

            free(x);
        }

        x = malloc((n_test + 1) * p->n_inputs * sizeof(double) + 1);
        if (x == NULL) {
            abort();
        }

        mlp_prep_inputs(p, t, test, n_test, x);
        free(x);

        memset(&w, 0, sizeof(mlp_writer_t));
        w.n_features = p->n_features;
        if (mlp_prep_write(p, t, &w, err, sizeof(err)) == 0) {
            free(mlp_writer_build(&w, &len));
        }

        mlp_prep_free(p);
    }

    /* the held-out rows as CSV, as the report writes them */
    free(mlp_table_csv(t, test, n_test, &len));

    /*
     * Every row written back reads back as the same table: the same
     * cells, each column typed alike (a part of the rows may type
     * otherwise: its text cells left out, a column becomes numeric)
     */
    for (j = 0; j < n; j++) {
        train[j] = j;
    }

    csv = mlp_table_csv(t, train, n, &len);
    if (csv == NULL) {
        abort();
    }

    f = fmemopen(csv, len ? len : 1, "rb");
    if (f == NULL) {
        abort();
    }

    back = mlp_table_read_file(f, "back.csv", err, sizeof(err));

    if (back == NULL || back->n_cols != t->n_cols || back->n_rows != n) {
        fprintf(stderr, "the rows do not read back: %s\n",
                back == NULL ? err : "another shape");
        abort();
    }

    for (j = 0; j < n * t->n_cols; j++) {
        if (back->cell_len[j] != t->cell_len[j]
            || memcmp(back->bytes + back->cell[j], t->bytes + t->cell[j],
                      t->cell_len[j]) != 0)
        {
            fprintf(stderr, "cell %zu reads back otherwise\n", j);
            abort();
        }
    }

    for (j = 0; j < t->n_cols; j++) {
        if (back->col[j].numeric != t->col[j].numeric
            || back->col[j].n_cats != t->col[j].n_cats
            || back->col[j].n_missing != t->col[j].n_missing)
        {
            fprintf(stderr, "column %zu reads back typed otherwise\n", j);
            abort();
        }
    }

    mlp_table_free(back);
    free(csv);
    free(train);
    free(test);
    free(inputs);
    mlp_target_free(&tg);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE         *f;
    char          err[MLP_ERR_LEN];
    mlp_table_t  *t;

    /* fmemopen refuses a buffer of no bytes: "" is read as a file */
    f = size ? fmemopen((void *) data, size, "rb") : fopen("/dev/null", "rb");
    if (f == NULL) {
        abort();
    }

    t = mlp_table_read_file(f, "fuzz.csv", err, sizeof(err));

    if (t == NULL) {
        if (strncmp(err, "fuzz.csv: ", 10) != 0
            && strncmp(err, "out of memory", 13) != 0)
        {
            fprintf(stderr, "an error that names no file: %s\n", err);
            abort();
        }

        return 0;
    }

    fuzz_prepare(t);
    mlp_table_free(t);

    return 0;
}
