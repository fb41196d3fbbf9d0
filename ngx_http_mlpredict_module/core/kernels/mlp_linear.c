
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
static int mlp_linear_decision(const mlp_model_t *m, double *out,
    size_t rows, uint32_t *labels);
static double mlp_sum_pairwise(const double *v, uint32_t n);


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
        mlp_vstandardize(x, rows, nf, m->mean, m->scale);
    }

    if (m->link == MLP_LINK_DECISION || m->link == MLP_LINK_MODIFIED_HUBER) {
        if (m->link == MLP_LINK_DECISION || nout > 2) {
            mlp_linear_scores(m, x, rows, out, m->out_width);

        } else {
            mlp_linear_scores(m, x, rows, out + 1, nout);
        }

        return mlp_linear_decision(m, out, rows, labels);
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


/*
 * Classifiers without probabilities (their scores, the decision values)
 * and SGD's modified Huber probabilities, as scikit-learn's
 * predict_proba computes them: (clip(s, -1, 1) + 1) / 2, then for more
 * than two classes divided by their sum, or 1 / k where the sum is 0.
 */

static int
mlp_linear_decision(const mlp_model_t *m, double *out, size_t rows,
    uint32_t *labels)
{
    double    *o, v, sum;
    size_t     r;
    uint32_t   j, k, w, best;

    k = m->n_outputs;
    w = m->out_width;

    for (r = 0; r < rows; r++) {
        o = out + r * w;

        if (k == 2) {
            v = (m->link == MLP_LINK_DECISION) ? o[0] : o[1];

            if (!isfinite(v)) {
                return -1;
            }

            labels[r] = v > 0.0;

            if (m->link == MLP_LINK_MODIFIED_HUBER) {
                v = v < -1.0 ? -1.0 : v > 1.0 ? 1.0 : v;
                o[1] = (v + 1.0) / 2.0;
                o[0] = 1.0 - o[1];
            }

            continue;
        }

        for (j = 0, best = 0; j < k; j++) {
            if (!isfinite(o[j])) {
                return -1;
            }

            if (o[j] > o[best]) {
                best = j;
            }
        }

        labels[r] = best;

        if (m->link == MLP_LINK_DECISION) {
            continue;
        }

        for (j = 0; j < k; j++) {
            v = o[j] < -1.0 ? -1.0 : o[j] > 1.0 ? 1.0 : o[j];
            v += 1.0;
            o[j] = v / 2.0;
        }

        sum = mlp_sum_pairwise(o, k);

        for (j = 0; j < k; j++) {
            if (sum == 0.0) {
                o[j] = 1.0 / k;

            } else {
                o[j] /= sum;
            }
        }
    }

    return 0;
}


/*
 * numpy's sum of a contiguous row (pairwise_sum): a plain loop below 8
 * terms, 8 accumulators up to 128, halves above, the first a multiple of 8.
 */

static double
mlp_sum_pairwise(const double *v, uint32_t n)
{
    double    r[8], sum;
    uint32_t  i, j, half;

    if (n < 8) {
        for (i = 0, sum = 0.0; i < n; i++) {
            sum += v[i];
        }

        return sum;
    }

    if (n > 128) {
        half = n / 2 - n / 2 % 8;

        return mlp_sum_pairwise(v, half) + mlp_sum_pairwise(v + half,
                                                             n - half);
    }

    for (j = 0; j < 8; j++) {
        r[j] = v[j];
    }

    for (i = 8; i < n - n % 8; i += 8) {
        for (j = 0; j < 8; j++) {
            r[j] += v[i + j];
        }
    }

    sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));

    for ( /* void */ ; i < n; i++) {
        sum += v[i];
    }

    return sum;
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
