
/*
 * Linear and logistic regression: standardize in place, one BLAS call for
 * the scores, then the link. The BLAS routine is chosen as numpy chooses it
 * for scikit-learn's X @ coef.T (dot, gemv or gemm), so the sums are taken
 * in the same order and results agree with scikit-learn to the last bits.
 */

#include <math.h>

#include <cblas.h>

#include "mlp_internal.h"


static void mlp_linear_scores(const mlp_model_t *m, const double *x,
    size_t rows, double *s, size_t stride);


int
mlp_linear_predict(const mlp_model_t *m, double *x, size_t rows,
    double *out, uint32_t *labels)
{
    double    *o, p, mx, sum;
    size_t     r, j, nf, nout;
    uint32_t   best;

    nf = m->n_features;
    nout = m->n_outputs;

    if (m->mean != NULL) {
        for (r = 0; r < rows; r++) {
            for (j = 0; j < nf; j++) {
                x[r * nf + j] = (x[r * nf + j] - m->mean[j]) / m->scale[j];
            }
        }
    }

    /* binary: the one score goes where p1 will be */
    mlp_linear_scores(m, x, rows,
                      m->link == MLP_LINK_LOGISTIC ? out + 1 : out, nout);

    for (r = 0; r < rows; r++) {
        o = out + r * nout;

        if (m->link == MLP_LINK_LOGISTIC) {
            if (!isfinite(o[1])) {
                return -1;
            }

            labels[r] = o[1] > 0.0;
            o[1] = 1.0 / (1.0 + exp(-o[1]));
            o[0] = 1.0 - o[1];
            continue;
        }

        for (j = 0; j < nout; j++) {
            if (!isfinite(o[j])) {
                return -1;
            }
        }

        if (m->link == MLP_LINK_IDENTITY) {
            continue;
        }

        best = 0;

        for (j = 1; j < nout; j++) {
            if (o[j] > o[best]) {
                best = j;
            }
        }

        labels[r] = best;
        sum = 0.0;

        if (m->link == MLP_LINK_SOFTMAX) {
            mx = o[best];

            for (j = 0; j < nout; j++) {
                o[j] = exp(o[j] - mx);
                sum += o[j];
            }

        } else { /* MLP_LINK_OVR */
            for (j = 0; j < nout; j++) {
                p = 1.0 / (1.0 + exp(-o[j]));
                o[j] = p;
                sum += p;
            }
        }

        for (j = 0; j < nout; j++) {
            o[j] /= sum;
        }
    }

    return 0;
}


static void
mlp_linear_scores(const mlp_model_t *m, const double *x, size_t rows,
    double *s, size_t stride)
{
    size_t  r, j, nf, k;

    nf = m->n_features;
    k = m->n_scores;

    if (k == 1 && rows == 1) {
        s[0] = cblas_ddot((blasint) nf, x, 1, m->coef, 1);

    } else if (k == 1) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (blasint) rows,
                    (blasint) nf, 1.0, x, (blasint) nf, m->coef, 1, 0.0, s,
                    (blasint) stride);

    } else {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint) rows,
                    (blasint) k, (blasint) nf, 1.0, x, (blasint) nf, m->coef,
                    (blasint) nf, 0.0, s, (blasint) stride);
    }

    for (r = 0; r < rows; r++) {
        for (j = 0; j < k; j++) {
            s[r * stride + j] += m->intercept[j];
        }
    }
}
