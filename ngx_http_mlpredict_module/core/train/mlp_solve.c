
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
#include <sys/mman.h>

#include <cblas.h>
#include <lbfgs.h>

#include "mlp_internal.h"
#include "convert/mlp_libsvm.h"
#include "train/mlp_train.h"


void dgelsd_(const int *m, const int *n, const int *nrhs, double *a,
    const int *lda, double *b, const int *ldb, double *s,
    const double *rcond, int *rank, double *work, const int *lwork,
    int *iwork, int *info);
#define MLP_RIDGE_BLOCK         256
#define MLP_LOGIT_BLOCK         512
#define MLP_HUGE_PAGE           ((size_t) 2 << 20)


void dposv_(const char *uplo, const int *n, const int *nrhs, double *a,
    const int *lda, double *b, const int *ldb, int *info);


typedef struct {
    const mlp_train_data_t   *d;
    uint32_t                  k;        /* score rows: 1 (binary) or K */
    double                    l2;       /* 1 / (C n) */
    double                   *z;        /* n x k */
    double                   *e;        /* n: exp(-|z|), two classes */
} mlp_logit_t;


static lbfgsfloatval_t mlp_logit_eval(void *ctx, const lbfgsfloatval_t *x,
    lbfgsfloatval_t *g, const int n, const lbfgsfloatval_t step);


/*
 * A matrix of the training rows. From 1 MiB up, whole 2 MiB pages, asked
 * to be huge ones (numpy asks so for its arrays from 4 MiB): fresh from
 * mmap, a 10,000 x 20 matrix is 400 page faults of 4 KiB on its first
 * touch, a 100,000 x 20 one 4,000 (in a virtual machine a third of a
 * ridge fit's time), and 1 and 8 of 2 MiB. Freed with free().
 */

void *
mlp_train_malloc(size_t size)
{
    void    *p;
    size_t   round;

    if (size < ((size_t) 1 << 20)) {
        return malloc(size ? size : 1);
    }

    round = (size + MLP_HUGE_PAGE - 1) & ~(MLP_HUGE_PAGE - 1);

    if (round < size || posix_memalign(&p, MLP_HUGE_PAGE, round) != 0) {
        return NULL;
    }

#ifdef MADV_HUGEPAGE
    /* only advice: without transparent huge pages, small pages */
    (void) madvise(p, round, MADV_HUGEPAGE);
#endif

    return p;
}


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


/*
 * Ridge's system, the Gram matrix g (size x size, its upper triangle) plus
 * alpha on the diagonal, solved in place of rhs by Cholesky (dposv), as
 * scikit-learn's _solve_cholesky and _solve_cholesky_kernel do
 */

static int
mlp_ridge_posv(double *g, int size, double alpha, double *rhs,
    const char *gram, char *err, size_t errlen)
{
    int  i, one, info;

    for (i = 0; i < size; i++) {
        g[(size_t) i * size + i] += alpha;
    }

    one = 1;
    dposv_("U", &size, &one, g, &size, rhs, &size, &info);

    if (info != 0) {
        mlp_fail(err, errlen, "dposv: %s + alpha I is not positive definite "
                 "(info %d): a larger --alpha", gram, info);
        return -1;
    }

    return 0;
}


int
mlp_fit_linear(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen)
{
    int      m, n, one, lda, ldb, rank, lwork, info, liwork, *iwork;
    double  *a, *b, *s, *work, *coef, *icpt, *xm, ym, rcond, q;
    size_t   i, j, rows, i0, nb;

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
    a = NULL;
    b = malloc(rows * sizeof(double));
    s = malloc((d->d + 1) * sizeof(double));
    work = NULL;
    iwork = NULL;

    if (coef == NULL || icpt == NULL || xm == NULL || b == NULL || s == NULL)
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
        a = mlp_train_malloc(d->n * d->d * sizeof(double));
        if (a == NULL) {
            goto nomem;
        }

        /* column-major for Fortran, the rows read in order */
        for (i = 0; i < d->n; i++) {
            for (j = 0; j < d->d; j++) {
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
        a = mlp_train_malloc(d->n * d->d * sizeof(double));
        if (a == NULL) {
            goto nomem;
        }

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

        if (mlp_ridge_posv(work, m, o->alpha, b, "XX'", err, errlen) != 0) {
            goto failed;
        }

        cblas_dgemv(CblasRowMajor, CblasTrans, m, n, 1.0, a, n, b, 1, 0.0,
                    coef, 1);

    } else {
        /*
         * X'X + alpha I and X'y of the centred rows, MLP_RIDGE_BLOCK rows
         * centred at a time (a copy of every row would be as large as
         * the data): the upper triangle by dsyrk, for dposv
         */
        a = malloc(MLP_RIDGE_BLOCK * d->d * sizeof(double) + 1);
        work = calloc(d->d * d->d + 1, sizeof(double));

        if (a == NULL || work == NULL) {
            goto nomem;
        }

        memset(coef, 0, d->d * sizeof(double));

        for (i0 = 0; i0 < d->n; i0 += MLP_RIDGE_BLOCK) {
            nb = d->n - i0 < MLP_RIDGE_BLOCK ? d->n - i0 : MLP_RIDGE_BLOCK;

            for (i = 0; i < nb; i++) {
                for (j = 0; j < d->d; j++) {
                    a[i * d->d + j] = d->x[(i0 + i) * d->d + j] - xm[j];
                }
            }

            /* the block row-major is its transpose column-major */
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, n, (int) nb,
                        1.0, a, n, 1.0, work, n);
            cblas_dgemv(CblasRowMajor, CblasTrans, (int) nb, n, 1.0, a, n,
                        b + i0, 1, 1.0, coef, 1);
        }

        if (mlp_ridge_posv(work, n, o->alpha, coef, "X'X", err, errlen)
            != 0)
        {
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
    double                   f, zmax, lse, *z, *ev, *gb, e, pr, inv, y01;
    double                  *zb, *eb;
    size_t                   i, j, c, d, k, rows, yi, i0, nb;
    const double            *xb;
    mlp_logit_t             *lg;
    const mlp_train_data_t  *td;

    lg = ctx;
    td = lg->d;
    d = td->d;
    k = lg->k;
    rows = td->n;
    z = lg->z;
    ev = lg->e;
    gb = g + k * d;
    inv = 1.0 / (double) rows;
    f = 0;
    memset(gb, 0, k * sizeof(double));

    if (k == 1) {
        /*
         * one score a row: matrix-vector products (dgemm packs the whole
         * matrix on every call for a single column), MLP_LOGIT_BLOCK rows
         * at a time, so that the gradient's product reads them from the
         * cache the scores' product brought them into. One exp a row for
         * both the loss and the probability: with e = exp(-|z|),
         * log(1 + exp(-t)) = max(-t, 0) + log1p(e) for t = +-z; the exps
         * and the log1ps a vector at a time
         */
        memset(g, 0, d * sizeof(double));

        for (i0 = 0; i0 < rows; i0 += MLP_LOGIT_BLOCK) {
            nb = rows - i0 < MLP_LOGIT_BLOCK ? rows - i0 : MLP_LOGIT_BLOCK;
            xb = td->x + i0 * d;
            zb = z + i0;
            eb = ev + i0;

            cblas_dgemv(CblasRowMajor, CblasNoTrans, (int) nb, (int) d, 1.0,
                        xb, (int) d, x, 1, 0.0, zb, 1);

            for (i = 0; i < nb; i++) {
                zb[i] += x[d];
                eb[i] = -fabs(zb[i]);
            }

            mlp_vexp(eb, nb);

            for (i = 0; i < nb; i++) {
                e = eb[i];
                pr = zb[i] >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);
                y01 = td->y[i0 + i] > 0.5;

                /* max(-t, 0), the log1p added below */
                f += y01 ? (zb[i] < 0 ? -zb[i] : 0) : (zb[i] > 0 ? zb[i] : 0);
                zb[i] = (pr - y01) * inv;
                gb[0] += zb[i];
            }

            mlp_vlog1p(eb, nb);

            for (i = 0; i < nb; i++) {
                f += eb[i];
            }

            cblas_dgemv(CblasRowMajor, CblasTrans, (int) nb, (int) d, 1.0,
                        xb, (int) d, zb, 1, 1.0, g, 1);
        }

    } else {
        /* the scores: X W' + b */
        for (i = 0; i < rows; i++) {
            memcpy(z + i * k, x + k * d, k * sizeof(double));
        }

        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int) rows,
                    (int) k, (int) d, 1.0, td->x, (int) d, x, (int) d, 1.0,
                    z, (int) k);

        /* z becomes the derivative of each row's loss by its scores, / n */
        for (i = 0; i < rows; i++) {
            zmax = z[i * k];

            for (c = 1; c < k; c++) {
                if (z[i * k + c] > zmax) {
                    zmax = z[i * k + c];
                }
            }

            /* each exp once: kept in z, then scaled to the probability */
            yi = (size_t) td->y[i];
            f -= z[i * k + yi];
            lse = 0;

            for (c = 0; c < k; c++) {
                e = exp(z[i * k + c] - zmax);
                lse += e;
                z[i * k + c] = e;
            }

            f += zmax + log(lse);

            for (c = 0; c < k; c++) {
                z[i * k + c] = (z[i * k + c] / lse - (c == yi)) * inv;
                gb[c] += z[i * k + c];
            }
        }

        /* dW = dZ' X */
        cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int) k,
                    (int) d, (int) rows, 1.0, z, (int) k, td->x, (int) d,
                    0.0, g, (int) d);
    }

    f *= inv;

    /* + l2 W */
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
    lg.e = malloc(d->n * sizeof(double) + 1);
    x = lbfgs_malloc((int) n);

    coef = mlp_est_alloc(e, (size_t) k * d->d * sizeof(double));
    icpt = mlp_est_alloc(e, k * sizeof(double));
    xm = mlp_est_alloc(e, d->d * sizeof(double));

    if (lg.z == NULL || lg.e == NULL || x == NULL || coef == NULL
        || icpt == NULL || xm == NULL)
    {
        free(lg.z);
        free(lg.e);
        lbfgs_free(x);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    memset(x, 0, n * sizeof(lbfgsfloatval_t));

    lbfgs_parameter_init(&param);
    /* scipy's L-BFGS-B as scikit-learn calls it keeps 10 corrections */
    param.m = 10;
    /*
     * liblbfgs stops at |g| / max(1, |x|) < epsilon. scikit-learn's
     * default (tol 1e-4 on the largest |g|, and scipy's ftol of 64 eps)
     * ends about 2e-5 (relative) of the minimum's probabilities; 1e-6 here
     * ends nearer (2e-6 to 7e-6 on make_classification's 10,000 and
     * 100,000 rows) in about as many steps. --tol 1e-10 reaches the
     * minimum itself.
     */
    param.epsilon = o->tol > 0 ? o->tol : 1e-6;
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
    free(lg.e);

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
