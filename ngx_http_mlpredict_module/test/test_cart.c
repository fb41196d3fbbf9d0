
/*
 * Unit tests of the CART trainer (core/train/mlp_cart.c): bad options and
 * data refused with a message naming them; small trees whose answer
 * scikit-learn 1.2.1 gives (each case's expectation is what its
 * DecisionTree* fitted on the same rows, as noted); the written file loads
 * and predicts what mlp_cart_predict does; the same seed, the same model;
 * the progress callback.  t/train_cart.py compares against scikit-learn at
 * scale.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"
#include "train/mlp_cart.h"
#include "test_check.h"


static mlp_cart_opts_t opts(int criterion);
static void refused(const char *what, const mlp_train_data_t *data,
    const mlp_cart_opts_t *o, const char *want);
static void test_refused(void);
static void test_small(void);
static void test_file(int classes, int forest);
static void test_seed(void);
static void progress(void *ctx, uint32_t done);


static mlp_cart_opts_t
opts(int criterion)
{
    mlp_cart_opts_t  o;

    memset(&o, 0, sizeof(o));
    o.criterion = criterion;
    o.min_samples_split = 2;
    o.min_samples_leaf = 1;

    return o;
}


static void
refused(const char *what, const mlp_train_data_t *data,
    const mlp_cart_opts_t *o, const char *want)
{
    char               err[256];
    mlp_cart_model_t  *m;

    err[0] = '\0';
    m = mlp_cart_fit(data, o, err, sizeof(err));
    CHECK(m == NULL, "%s: accepted", what);
    CHECK(strstr(err, want) != NULL, "%s: message \"%s\" lacks \"%s\"", what,
          err, want);
    mlp_cart_free(m);
}


static void
test_refused(void)
{
    double            x[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    double            y[4] = { 0, 1, 0, 1 };
    double            w[4] = { 1, 1, 1, 1 };
    mlp_cart_opts_t   o;
    mlp_train_data_t  d, bad;

    memset(&d, 0, sizeof(d));
    d.x = x;
    d.n = 4;
    d.d = 2;
    d.y = y;
    d.n_classes = 2;

    o = opts(MLP_CART_GINI);
    o.min_samples_leaf = 0;
    refused("min_samples_leaf 0", &d, &o, "min_samples_leaf 0");

    o = opts(MLP_CART_GINI);
    o.min_samples_split = 1;
    refused("min_samples_split 1", &d, &o, "min_samples_split 1");

    o = opts(MLP_CART_GINI);
    o.max_features = 3;
    refused("max_features 3 of 2", &d, &o, "max_features 3");

    o = opts(MLP_CART_GINI);
    o.forest = 1;
    refused("a forest of 0 trees", &d, &o, "n_estimators 0");

    o = opts(MLP_CART_GINI);
    o.n_estimators = 5;
    refused("5 estimators without forest", &d, &o, "n_estimators 5");

    o = opts(MLP_CART_SQUARED_ERROR);
    refused("squared_error for classes", &d, &o, "criterion squared_error");

    o = opts(7);
    refused("an unknown criterion", &d, &o, "criterion 7: gini, entropy");

    bad = d;
    bad.n_classes = 0;
    o = opts(MLP_CART_ENTROPY);
    refused("entropy for regression", &bad, &o, "criterion entropy");

    o = opts(MLP_CART_GINI);
    bad = d;
    bad.n = 0;
    refused("no rows", &bad, &o, "no training rows");

    bad = d;
    bad.d = 0;
    refused("no columns", &bad, &o, "0 columns");

    bad = d;
    bad.n_classes = 1;
    refused("one class", &bad, &o, "1 classes");

    x[5] = NAN;
    refused("NaN in x", &d, &o, "row 3, column 2");
    x[5] = INFINITY;
    refused("infinity in x", &d, &o, "row 3, column 2");
    x[5] = 1e39;
    refused("beyond float32", &d, &o, "row 3, column 2");
    x[5] = 6;

    y[2] = 2;
    refused("class 2 of 2", &d, &o, "row 3: class 2");
    y[2] = 0.5;
    refused("class 0.5", &d, &o, "row 3: class 0.5");
    y[2] = 0;

    bad = d;
    bad.w = w;
    w[1] = -1;
    refused("negative weight", &bad, &o, "row 2: weight -1");
    w[1] = NAN;
    refused("NaN weight", &bad, &o, "row 2: weight nan");
    w[0] = w[1] = w[2] = w[3] = 0;
    refused("zero weights", &bad, &o, "sum to 0");

    /* one row of weight 1 in 4: seed 1's first bootstrap misses it */
    w[3] = 1;
    o.forest = 1;
    o.n_estimators = 3;
    o.seed = 1;
    refused("a bootstrap of rows of weight 0", &bad, &o,
            "tree 1: its bootstrap sample drew only rows of weight 0");
    o = opts(MLP_CART_GINI);

    bad = d;
    bad.n_classes = 0;
    y[1] = INFINITY;
    o = opts(MLP_CART_SQUARED_ERROR);
    refused("infinite target", &bad, &o, "row 2: the target");
    y[1] = 1;

    refused("no data", NULL, &o, "no data");
}


/* each expectation is what scikit-learn 1.2.1 fits on the same rows */

static void
test_small(void)
{
    char               err[256];
    double             x[6], y[6], q[1], out[2];
    mlp_cart_opts_t    o;
    mlp_train_data_t   d;
    mlp_cart_model_t  *m;

    memset(&d, 0, sizeof(d));
    d.x = x;
    d.d = 1;
    d.y = y;

    /* x 1..4, y 0 0 1 1: threshold 2.5, two pure leaves */
    x[0] = 1; x[1] = 2; x[2] = 3; x[3] = 4;
    y[0] = 0; y[1] = 0; y[2] = 1; y[3] = 1;
    d.n = 4;
    d.n_classes = 2;
    o = opts(MLP_CART_GINI);
    m = mlp_cart_fit(&d, &o, err, sizeof(err));
    CHECK(m != NULL, "fit: %s", err);

    if (m) {
        q[0] = 2.5;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 1 && out[1] == 0, "x 2.5: %g %g", out[0], out[1]);
        /* float32 first, as scikit-learn: 2.5000001 is 2.5 */
        q[0] = 2.5000001;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 1 && out[1] == 0, "x 2.5000001: %g %g", out[0],
              out[1]);
        q[0] = 2.5000003;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 0 && out[1] == 1, "x 2.5000003: %g %g", out[0],
              out[1]);
        mlp_cart_free(m);
    }

    /* values within 1e-7 are one value: 0 and 5e-8 make a single leaf */
    x[0] = 0; x[1] = 0; x[2] = 5e-8; x[3] = 5e-8;
    m = mlp_cart_fit(&d, &o, err, sizeof(err));
    CHECK(m != NULL, "fit: %s", err);

    if (m) {
        q[0] = 1;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 0.5 && out[1] == 0.5, "one leaf: %g %g", out[0],
              out[1]);
        mlp_cart_free(m);
    }

    /* 0 and 2e-7 are two: threshold 1.00000001e-07, float32(2e-7) / 2 */
    x[2] = 2e-7; x[3] = 2e-7;
    m = mlp_cart_fit(&d, &o, err, sizeof(err));
    CHECK(m != NULL, "fit: %s", err);

    if (m) {
        q[0] = (double) (float) 2e-7 / 2;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 1, "at the threshold: %g %g", out[0], out[1]);
        q[0] = 1.1e-7;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[1] == 1, "above it: %g %g", out[0], out[1]);
        mlp_cart_free(m);
    }

    /* min_samples_leaf 2 on x 1..6, y 0 1 0 1 1 1: 3.5, [2/3 1/3] [0 1] */
    x[0] = 1; x[1] = 2; x[2] = 3; x[3] = 4; x[4] = 5; x[5] = 6;
    y[0] = 0; y[1] = 1; y[2] = 0; y[3] = 1; y[4] = 1; y[5] = 1;
    d.n = 6;
    o.min_samples_leaf = 2;
    m = mlp_cart_fit(&d, &o, err, sizeof(err));
    CHECK(m != NULL, "fit: %s", err);

    if (m) {
        q[0] = 3.4;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 2.0 / 3 && out[1] == 1.0 / 3, "left: %g %g",
              out[0], out[1]);
        q[0] = 3.6;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 0 && out[1] == 1, "right: %g %g", out[0], out[1]);
        mlp_cart_free(m);
    }

    /* regression: x 1 2 3 10, y 1 1 1 5: threshold 6.5, leaves 1 and 5 */
    x[0] = 1; x[1] = 2; x[2] = 3; x[3] = 10;
    y[0] = 1; y[1] = 1; y[2] = 1; y[3] = 5;
    d.n = 4;
    d.n_classes = 0;
    o = opts(MLP_CART_SQUARED_ERROR);
    m = mlp_cart_fit(&d, &o, err, sizeof(err));
    CHECK(m != NULL, "fit: %s", err);

    if (m) {
        q[0] = 6.5;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 1, "regression left: %g", out[0]);
        q[0] = 6.6;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 5, "regression right: %g", out[0]);
        mlp_cart_free(m);
    }

    /* max_depth 1 on x 1..6, y 0 1 0 1 1 1: one split at 3.5 */
    x[0] = 1; x[1] = 2; x[2] = 3; x[3] = 4; x[4] = 5; x[5] = 6;
    y[0] = 0; y[1] = 1; y[2] = 0; y[3] = 1; y[4] = 1; y[5] = 1;
    d.n = 6;
    d.n_classes = 2;
    o = opts(MLP_CART_GINI);
    o.max_depth = 1;
    m = mlp_cart_fit(&d, &o, err, sizeof(err));
    CHECK(m != NULL, "fit: %s", err);

    if (m) {
        q[0] = 1;
        mlp_cart_predict(m, q, 1, out);
        CHECK(out[0] == 2.0 / 3, "depth 1, left: %g %g", out[0], out[1]);
        mlp_cart_free(m);
    }
}


static uint64_t  rng_state = 88172645463325252ull;


static double
uniform(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double) (rng_state >> 11) / 9007199254740992.0;
}


/* the written file, loaded by the loader, predicts as mlp_cart_predict */

static void
test_file(int classes, int forest)
{
    int                 ok;
    char                err[256], names[64], labels[16];
    double             *x, *y, *q, *o1, *o2;
    size_t              i, j, n, d, len, nl;
    uint32_t            k;
    mlp_error_t         e;
    mlp_writer_t        w;
    mlp_model_t        *mm;
    unsigned char      *buf;
    mlp_cart_opts_t     o;
    mlp_train_data_t    data;
    mlp_cart_model_t   *m;

    n = 300;
    d = 4;
    k = classes ? (uint32_t) classes : 1;
    x = malloc(n * d * sizeof(double));
    y = malloc(n * sizeof(double));
    q = malloc(50 * d * sizeof(double));
    o1 = malloc(50 * k * sizeof(double));
    o2 = malloc(50 * k * sizeof(double));

    if (x == NULL || y == NULL || q == NULL || o1 == NULL || o2 == NULL) {
        CHECK(0, "out of memory");
        return;
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < d; j++) {
            x[i * d + j] = floor(uniform() * 20) / 4;
        }

        y[i] = classes ? (double) ((size_t) (x[i * d] + x[i * d + 1]
                                             + uniform() * 3) % k)
                       : x[i * d] * 2 - x[i * d + 2] + uniform();
    }

    memset(&data, 0, sizeof(data));
    data.x = x;
    data.n = n;
    data.d = d;
    data.y = y;
    data.n_classes = (uint32_t) classes;

    o = opts(classes ? MLP_CART_ENTROPY : MLP_CART_SQUARED_ERROR);
    o.forest = forest;
    o.n_estimators = forest ? 7 : 0;
    o.max_features = forest ? 2 : 0;
    o.seed = 42;

    m = mlp_cart_fit(&data, &o, err, sizeof(err));
    CHECK(m != NULL, "fit: %s", err);

    if (m == NULL) {
        return;
    }

    memset(&w, 0, sizeof(w));
    w.n_features = (uint32_t) d;
    nl = (size_t) sprintf(names, "a%cb%cc%cd", 0, 0, 0) + 1;
    mlp_writer_add(&w, MLP_SEC_FEATURE_NAMES, MLP_DTYPE_STRINGS, names, nl,
                   d);

    if (classes) {
        for (j = 0, len = 0; j < k; j++) {
            len += (size_t) sprintf(labels + len, "%zu", j) + 1;
        }

        mlp_writer_add(&w, MLP_SEC_CLASS_LABELS, MLP_DTYPE_STRINGS, labels,
                       len, k);
    }

    CHECK(mlp_cart_write(m, &w, err, sizeof(err)) == 0, "write: %s", err);
    CHECK(w.kind == MLP_KIND_TREES && w.link == MLP_LINK_MEAN
          && w.n_outputs == k, "kind %u link %u outputs %u", w.kind, w.link,
          w.n_outputs);

    buf = mlp_writer_build(&w, &len);
    mm = buf ? mlp_model_load_mem(buf, len, err, sizeof(err)) : NULL;
    CHECK(mm != NULL, "%s %s: the file is refused: %s",
          classes ? "classifier" : "regressor", forest ? "forest" : "tree",
          err);

    if (mm) {
        for (i = 0; i < 50 * d; i++) {
            q[i] = floor(uniform() * 24) / 4 - 0.5;
        }

        mlp_cart_predict(m, q, 50, o1);
        CHECK(mlp_predict(mm, q, 50, o2, NULL, &e) == 0, "predict: %s",
              e.message);

        for (i = 0, ok = 1; i < 50 * k; i++) {
            ok &= o1[i] == o2[i];
        }

        CHECK(ok, "%s %s: the file predicts otherwise",
              classes ? "classifier" : "regressor",
              forest ? "forest" : "tree");
        mlp_model_close(mm);
    }

    /* the writer's features must be the trees' */
    memset(&w, 0, sizeof(w));
    w.n_features = (uint32_t) d + 1;
    CHECK(mlp_cart_write(m, &w, err, sizeof(err)) != 0
          && strstr(err, "5 features") != NULL, "5 features for 4: %s", err);

    free(buf);
    mlp_cart_free(m);
    free(x);
    free(y);
    free(q);
    free(o1);
    free(o2);
}


static void
progress(void *ctx, uint32_t done)
{
    uint32_t  *seen;

    seen = ctx;
    seen[0]++;
    seen[1] = done;
}


/* the same seed makes the same forest; another seed another one */

static void
test_seed(void)
{
    char               err[256];
    double             x[400], y[200], q[200], a[200], b[200];
    size_t             i, same;
    uint32_t           seen[2];
    mlp_cart_opts_t    o;
    mlp_train_data_t   d;
    mlp_cart_model_t  *m1, *m2, *m3;

    for (i = 0; i < 400; i++) {
        x[i] = uniform();
    }

    for (i = 0; i < 200; i++) {
        y[i] = x[2 * i] + x[2 * i + 1] > 1;
        q[i] = uniform();
    }

    memset(&d, 0, sizeof(d));
    d.x = x;
    d.n = 200;
    d.d = 2;
    d.y = y;
    d.n_classes = 2;

    o = opts(MLP_CART_GINI);
    o.forest = 1;
    o.n_estimators = 5;
    o.max_features = 1;
    o.seed = 3;
    o.progress = progress;
    o.progress_ctx = seen;
    seen[0] = seen[1] = 0;

    m1 = mlp_cart_fit(&d, &o, err, sizeof(err));
    CHECK(seen[0] == 5 && seen[1] == 5, "progress: %u calls, last %u",
          seen[0], seen[1]);
    o.progress = NULL;
    m2 = mlp_cart_fit(&d, &o, err, sizeof(err));
    o.seed = 4;
    m3 = mlp_cart_fit(&d, &o, err, sizeof(err));
    CHECK(m1 && m2 && m3, "fit: %s", err);

    if (m1 && m2 && m3) {
        mlp_cart_predict(m1, q, 100, a);
        mlp_cart_predict(m2, q, 100, b);
        CHECK(memcmp(a, b, sizeof(a)) == 0, "seed 3 twice: not the same");
        mlp_cart_predict(m3, q, 100, b);

        for (i = 0, same = 0; i < 200; i++) {
            same += a[i] == b[i];
        }

        CHECK(same < 200, "seeds 3 and 4: the same forest");
    }

    mlp_cart_free(m1);
    mlp_cart_free(m2);
    mlp_cart_free(m3);
}


int
main(void)
{
    char  err[256];

    CHECK(mlp_init(err, sizeof(err)) == 0, "mlp_init: %s", err);

    test_refused();
    test_small();
    test_file(3, 0);
    test_file(3, 1);
    test_file(0, 0);
    test_file(0, 1);
    test_seed();

    printf("%d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
