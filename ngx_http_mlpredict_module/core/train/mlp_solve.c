
/*
 * The linear estimators' solvers, from libraries, as scikit-learn 1.2 sets
 * them up:
 *
 *   linear    LinearRegression: the columns and the target centred, then
 *             LAPACK's dgelsd (SVD least squares, minimum norm, singular
 *             values under eps * max(n, d) of the largest dropped, as
 *             numpy's lstsq), the intercept from the means
 *   ridge     Ridge(solver="cholesky"): centred, (X'X + alpha I) w = X'y
 *             by LAPACK's dposv, or with more columns than rows its kernel
 *             form (XX' + alpha I) c = y, w = X'c; the intercept, from the
 *             means, is not penalised
 *   logistic  LogisticRegression(solver="lbfgs"): one sigmoid for two
 *             classes, the multinomial softmax for more, L2 on the
 *             coefficients and not on the intercepts, minimised by
 *             liblbfgs from zero
 *
 * LAPACK comes with OpenBLAS; its Fortran entry points are declared here
 * (Debian's libopenblas-dev ships no lapack.h).
 */

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <lbfgs.h>

#include "mlp_internal.h"
#include "convert/mlp_libsvm.h"
#include "train/mlp_train.h"


void dgelsd_(const int *m, const int *n, const int *nrhs, double *a,
    const int *lda, double *b, const int *ldb, double *s,
    const double *rcond, int *rank, double *work, const int *lwork,
    int *iwork, int *info);
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a,
    const int *lda, double *b, const int *ldb, int *info);


typedef struct {
    const mlp_train_data_t   *d;
    uint32_t                  k;        /* score rows: 1 (binary) or K */
    double                    l2;       /* 1 / (C n) */
    double                   *z;        /* n x k */
} mlp_logit_t;


static lbfgsfloatval_t mlp_logit_eval(void *ctx, const lbfgsfloatval_t *x,
    lbfgsfloatval_t *g, const int n, const lbfgsfloatval_t step);


void *
mlp_est_alloc(mlp_est_t *e, size_t size)
{
    if (e->n_mem == sizeof(e->mem) / sizeof(e->mem[0])) {
        return NULL;
    }

    e->mem[e->n_mem] = calloc(1, size ? size : 1);

    return e->mem[e->n_mem++];
}


void
mlp_est_free(mlp_est_t *e)
{
    uint32_t  i;

    for (i = 0; i < e->n_mem; i++) {
        free(e->mem[i]);
    }

    if (e->cart != NULL) {
        mlp_cart_free(e->cart);
    }

    if (e->svm != NULL) {
        mlp_libsvm_model_free(e->svm);
        free(e->svm);
    }

    memset(e, 0, sizeof(mlp_est_t));
}


int
mlp_train_fit(const mlp_train_data_t *data, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof(mlp_est_t));

    switch (o->algo) {

    case MLP_ALGO_LINEAR:
    case MLP_ALGO_RIDGE:
        return mlp_fit_linear(data, o, w, e, err, errlen);

    case MLP_ALGO_LOGISTIC:
        return mlp_fit_logistic(data, o, w, e, err, errlen);

    case MLP_ALGO_LINEAR_SVM:
        return mlp_fit_linear_svm(data, o, w, e, err, errlen);

    case MLP_ALGO_SVM:
    case MLP_ALGO_SVR:
        return mlp_fit_svm(data, o, w, e, err, errlen);

    case MLP_ALGO_TREE:
    case MLP_ALGO_FOREST:
        e->cart = mlp_cart_fit(data, &o->cart, err, errlen);
        if (e->cart == NULL) {
            return -1;
        }

        return mlp_cart_write(e->cart, w, err, errlen);
    }

    mlp_fail(err, errlen, "unknown algorithm %d", o->algo);

    return -1;
}


/* np.average(X, axis=0): the sum down each column, over n */

void
mlp_train_means(const mlp_train_data_t *d, double *mean)
{
    size_t  i, j;

    memset(mean, 0, d->d * sizeof(double));

    for (i = 0; i < d->n; i++) {
        for (j = 0; j < d->d; j++) {
            mean[j] += d->x[i * d->d + j];
        }
    }

    for (j = 0; j < d->d; j++) {
        mean[j] /= (double) d->n;
    }
}


int
mlp_fit_linear(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen)
{
    int      m, n, one, lda, ldb, rank, lwork, info, liwork, *iwork;
    double  *a, *b, *s, *work, *coef, *icpt, *xm, ym, rcond, q;
    size_t   i, j, rows;

    if (d->n > INT32_MAX / (d->d ? d->d : 1) || d->d > INT32_MAX) {
        mlp_fail(err, errlen, "%zu rows of %zu features: too large for "
                 "LAPACK's 32-bit sizes", d->n, d->d);
        return -1;
    }

    m = (int) d->n;
    n = (int) d->d;
    one = 1;
    rows = d->n > d->d ? d->n : d->d;

    coef = mlp_est_alloc(e, d->d * sizeof(double));
    icpt = mlp_est_alloc(e, sizeof(double));
    xm = mlp_est_alloc(e, d->d * sizeof(double));
    a = malloc(d->n * d->d * sizeof(double) + 1);
    b = malloc(rows * sizeof(double));
    s = malloc((d->d + 1) * sizeof(double));
    work = NULL;
    iwork = NULL;

    if (coef == NULL || icpt == NULL || xm == NULL || a == NULL || b == NULL
        || s == NULL)
    {
        goto nomem;
    }

    mlp_train_means(d, xm);

    ym = 0;

    for (i = 0; i < d->n; i++) {
        ym += d->y[i];
    }

    ym /= (double) d->n;

    for (i = 0; i < d->n; i++) {
        b[i] = d->y[i] - ym;
    }

    if (o->algo == MLP_ALGO_LINEAR) {
        /* column-major for Fortran */
        for (j = 0; j < d->d; j++) {
            for (i = 0; i < d->n; i++) {
                a[j * d->n + i] = d->x[i * d->d + j] - xm[j];
            }
        }

        /*
         * numpy's cutoff, eps * max(n, d), not scipy's eps: full one-hot
         * blocks beside the intercept make the design rank deficient, and
         * their null singular values (1e-16 of the largest) must go, else
         * the coefficients are rounding noise of 1e12
         */
        lda = m > 1 ? m : 1;
        ldb = (int) rows;
        rcond = DBL_EPSILON * (double) rows;
        lwork = -1;

        dgelsd_(&m, &n, &one, a, &lda, b, &ldb, s, &rcond, &rank, &q, &lwork,
                &liwork, &info);

        if (info != 0) {
            mlp_fail(err, errlen, "dgelsd workspace query: info %d", info);
            goto failed;
        }

        lwork = (int) q;
        work = malloc((size_t) lwork * sizeof(double));
        iwork = malloc((size_t) (liwork > 1 ? liwork : 1) * sizeof(int));

        if (work == NULL || iwork == NULL) {
            goto nomem;
        }

        dgelsd_(&m, &n, &one, a, &lda, b, &ldb, s, &rcond, &rank, work,
                &lwork, iwork, &info);

        if (info != 0) {
            mlp_fail(err, errlen, "dgelsd: the SVD did not converge (info "
                     "%d)", info);
            goto failed;
        }

        memcpy(coef, b, d->d * sizeof(double));

    } else if (d->d > d->n) {
        /*
         * wider than tall: the kernel form scikit-learn's Ridge takes there
         * (_solve_cholesky_kernel), (XX' + alpha I) c = y, w = X'c: an n x n
         * system, not a d x d one (20,000 one-hot columns of 5 rows took
         * 90 s and 3 GB the other way)
         */
        for (i = 0; i < d->n; i++) {
            for (j = 0; j < d->d; j++) {
                a[i * d->d + j] = d->x[i * d->d + j] - xm[j];
            }
        }

        work = malloc(d->n * d->n * sizeof(double) + 1);
        if (work == NULL) {
            goto nomem;
        }

        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, m, n, 1.0, a,
                    n, a, n, 0.0, work, m);

        for (i = 0; i < d->n; i++) {
            work[i * d->n + i] += o->alpha;
        }

        lda = m;
        dposv_("U", &m, &one, work, &lda, b, &lda, &info);

        if (info != 0) {
            mlp_fail(err, errlen, "dposv: XX' + alpha I is not positive "
                     "definite (info %d): a larger --alpha", info);
            goto failed;
        }

        cblas_dgemv(CblasRowMajor, CblasTrans, m, n, 1.0, a, n, b, 1, 0.0,
                    coef, 1);

    } else {
        /* the centred rows, row-major, then X'X + alpha I and X'y */
        for (i = 0; i < d->n; i++) {
            for (j = 0; j < d->d; j++) {
                a[i * d->d + j] = d->x[i * d->d + j] - xm[j];
            }
        }

        work = malloc(d->d * d->d * sizeof(double) + 1);
        if (work == NULL) {
            goto nomem;
        }

        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n, n, m, 1.0, a,
                    n, a, n, 0.0, work, n);

        for (j = 0; j < d->d; j++) {
            work[j * d->d + j] += o->alpha;
        }

        cblas_dgemv(CblasRowMajor, CblasTrans, m, n, 1.0, a, n, b, 1, 0.0,
                    coef, 1);

        lda = n;
        dposv_("U", &n, &one, work, &lda, coef, &lda, &info);

        if (info != 0) {
            mlp_fail(err, errlen, "dposv: X'X + alpha I is not positive "
                     "definite (info %d): a larger --alpha", info);
            goto failed;
        }
    }

    /* _set_intercept: y_offset - X_offset . coef */
    icpt[0] = ym;

    for (j = 0; j < d->d; j++) {
        icpt[0] -= xm[j] * coef[j];
    }

    for (j = 0; j < d->d; j++) {
        if (!isfinite(coef[j]) || !isfinite(icpt[0])) {
            mlp_fail(err, errlen, "the solution is not finite");
            goto failed;
        }
    }

    free(a);
    free(b);
    free(s);
    free(work);
    free(iwork);

    w->kind = MLP_KIND_LINEAR;
    w->n_outputs = 1;
    w->link = MLP_LINK_IDENTITY;
    mlp_writer_add(w, MLP_SEC_COEF, MLP_DTYPE_F64, coef, 8 * d->d, d->d);
    mlp_writer_add(w, MLP_SEC_INTERCEPT, MLP_DTYPE_F64, icpt, 8, 1);
    mlp_writer_add(w, MLP_SEC_FEATURE_MEAN, MLP_DTYPE_F64, xm, 8 * d->d,
                   d->d);

    return 0;

nomem:

    mlp_fail(err, errlen, "out of memory");

failed:

    free(a);
    free(b);
    free(s);
    free(work);
    free(iwork);

    return -1;
}


/*
 * The mean log loss and (1 / 2Cn) |W|^2, and their gradient: x is the
 * k x d coefficients, row-major, then k intercepts.
 */

static lbfgsfloatval_t
mlp_logit_eval(void *ctx, const lbfgsfloatval_t *x, lbfgsfloatval_t *g,
    const int n, const lbfgsfloatval_t step)
{
    double                   f, t, zmax, lse, *z, *gb, y01, pr;
    size_t                   i, j, c, d, k, rows;
    mlp_logit_t             *lg;
    const mlp_train_data_t  *td;

    lg = ctx;
    td = lg->d;
    d = td->d;
    k = lg->k;
    rows = td->n;
    z = lg->z;
    gb = g + k * d;

    /* the scores: X W' + b */
    for (i = 0; i < rows; i++) {
        for (c = 0; c < k; c++) {
            z[i * k + c] = x[k * d + c];
        }
    }

    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) rows, (int) k,
                (int) d, 1.0, td->x, (int) d, x, (int) d, 1.0, z, (int) k);

    f = 0;
    memset(gb, 0, k * sizeof(double));

    /* z becomes the derivative of each row's loss by its scores, / n */
    for (i = 0; i < rows; i++) {
        if (k == 1) {
            y01 = td->y[i] > 0.5 ? 1.0 : 0.0;
            t = (y01 > 0 ? 1.0 : -1.0) * z[i];
            f += t > 0 ? log1p(exp(-t)) : -t + log1p(exp(t));
            pr = 1.0 / (1.0 + exp(-z[i]));
            z[i] = (pr - y01) / (double) rows;
            gb[0] += z[i];
            continue;
        }

        zmax = z[i * k];

        for (c = 1; c < k; c++) {
            if (z[i * k + c] > zmax) {
                zmax = z[i * k + c];
            }
        }

        lse = 0;

        for (c = 0; c < k; c++) {
            lse += exp(z[i * k + c] - zmax);
        }

        lse = zmax + log(lse);
        f += lse - z[i * k + (size_t) td->y[i]];

        for (c = 0; c < k; c++) {
            pr = exp(z[i * k + c] - lse);
            z[i * k + c] = (pr - (c == (size_t) td->y[i])) / (double) rows;
            gb[c] += z[i * k + c];
        }
    }

    f /= (double) rows;

    /* dW = dZ' X + l2 W */
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int) k, (int) d,
                (int) rows, 1.0, z, (int) k, td->x, (int) d, 0.0, g, (int) d);

    for (j = 0; j < k * d; j++) {
        f += 0.5 * lg->l2 * x[j] * x[j];
        g[j] += lg->l2 * x[j];
    }

    return f;
}


int
mlp_fit_logistic(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen)
{
    int                 rc;
    size_t              n, j;
    uint32_t            k;
    mlp_logit_t         lg;
    char                warn[MLP_ERR_LEN];
    lbfgsfloatval_t    *x, fx;
    lbfgs_parameter_t   param;
    double             *coef, *icpt, *xm, *g, gmax;

    k = d->n_classes == 2 ? 1 : d->n_classes;
    n = (size_t) k * (d->d + 1);

    if (n > INT32_MAX) {
        mlp_fail(err, errlen, "%u classes of %zu features: too many "
                 "parameters", d->n_classes, d->d);
        return -1;
    }

    lg.d = d;
    lg.k = k;
    lg.l2 = 1.0 / (o->C * (double) d->n);
    lg.z = malloc(d->n * k * sizeof(double) + 1);
    x = lbfgs_malloc((int) n);

    coef = mlp_est_alloc(e, (size_t) k * d->d * sizeof(double));
    icpt = mlp_est_alloc(e, k * sizeof(double));
    xm = mlp_est_alloc(e, d->d * sizeof(double));

    if (lg.z == NULL || x == NULL || coef == NULL || icpt == NULL
        || xm == NULL)
    {
        free(lg.z);
        lbfgs_free(x);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    memset(x, 0, n * sizeof(lbfgsfloatval_t));

    lbfgs_parameter_init(&param);
    /* scipy's L-BFGS-B as scikit-learn calls it keeps 10 corrections */
    param.m = 10;
    param.epsilon = o->tol > 0 ? o->tol : 1e-10;
    param.max_iterations = (int) o->max_iter;
    param.max_linesearch = 50;

    rc = lbfgs((int) n, x, &fx, mlp_logit_eval, NULL, &lg, &param);

    /* where it stopped short: the gradient there, for the verdict */
    gmax = -1;
    g = rc < 0 ? malloc(n * sizeof(double)) : NULL;

    if (g != NULL) {
        (void) mlp_logit_eval(&lg, x, g, (int) n, 0);

        for (j = 0, gmax = 0; j < n; j++) {
            gmax = isnan(g[j]) || fabs(g[j]) > gmax ? fabs(g[j]) : gmax;
        }

        free(g);
    }

    free(lg.z);

    if (mlp_lbfgs_verdict(rc, gmax, o->max_iter, warn, sizeof(warn), err,
                          errlen)
        != 0)
    {
        lbfgs_free(x);
        return -1;
    }

    if (warn[0] != '\0') {
        fprintf(stderr, "mlpredict: warning: %s\n", warn);
    }

    memcpy(coef, x, (size_t) k * d->d * sizeof(double));
    memcpy(icpt, x + (size_t) k * d->d, k * sizeof(double));
    lbfgs_free(x);

    for (j = 0; j < (size_t) k * d->d; j++) {
        if (!isfinite(coef[j])) {
            mlp_fail(err, errlen, "the solution is not finite");
            return -1;
        }
    }

    mlp_train_means(d, xm);

    w->kind = MLP_KIND_LOGISTIC;
    w->n_outputs = d->n_classes;
    w->link = k == 1 ? MLP_LINK_LOGISTIC : MLP_LINK_SOFTMAX;
    mlp_writer_add(w, MLP_SEC_COEF, MLP_DTYPE_F64, coef,
                   8 * (uint64_t) k * d->d, (uint64_t) k * d->d);
    mlp_writer_add(w, MLP_SEC_INTERCEPT, MLP_DTYPE_F64, icpt, 8 * k, k);
    mlp_writer_add(w, MLP_SEC_FEATURE_MEAN, MLP_DTYPE_F64, xm, 8 * d->d,
                   d->d);

    return 0;
}
