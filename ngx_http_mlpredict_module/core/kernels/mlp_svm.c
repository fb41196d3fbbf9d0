
/*
 * Support vector machines (kind 4): libsvm's model as scikit-learn and
 * svm-train hold it. A block of rows against every support vector is one
 * BLAS call; the decision values, votes, Platt sigmoids and the pairwise
 * coupling then follow libsvm's svm_predict_values and
 * svm_predict_probability, operation for operation but for the order of
 * the pairs' sums and the exps' last bits (within 1e-9 of libsvm's).
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

/*
 * GCC's -O2 cost model leaves loops of unknown trip count scalar: the
 * distances of a row to the vectors go two at a time with the dynamic
 * model. Elementwise, so they round the same.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("vect-cost-model=dynamic")
#endif

#include "mlp_internal.h"


/*
 * The AVX2 clone does the pairs' sums and the coupling's divisions four
 * at a time (the other, two); the coupling is elementwise, so it rounds as
 * the scalar code. No FMA is enabled, so no multiply-add is fused.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)          \
    && defined(__GLIBC__)
#define MLP_SVM_WIDE  __attribute__((target_clones("avx2", "default")))
#else
#define MLP_SVM_WIDE
#endif


/* the kernel values of a block: at most this many bytes of scratch */
#define MLP_SVM_SCRATCH  (4 * 1024 * 1024)
#define MLP_SVM_BLOCK    64


static void mlp_svm_kernel(const mlp_model_t *m, const double *x,
    size_t rows, double *k);
static void mlp_svm_pairs(const mlp_model_t *m, const double *kr,
    double *dec, double *loc);
static uint32_t mlp_svm_vote(const mlp_model_t *m, const double *dec);
static void mlp_svm_ovr(const mlp_model_t *m, const double *dec, double *o);
static void mlp_svm_probability(const mlp_model_t *m, const double *dec,
    double *p, double *work);


int
mlp_svm_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen)
{
    uint32_t          i, j, k, l, c, pairs;
    uint64_t          sum, width;
    const double     *kp;
    const uint32_t   *pa;

    if (by_id[MLP_SEC_SVM_PARAMS] == NULL || by_id[MLP_SEC_SVM_KERNEL] == NULL
        || by_id[MLP_SEC_SVM_VECTORS] == NULL
        || by_id[MLP_SEC_SVM_COEF] == NULL || by_id[MLP_SEC_SVM_RHO] == NULL)
    {
        mlp_fail(err, errlen, "svm without one of svm_params, svm_kernel, "
                 "support_vectors, sv_coef, rho (ids 60-64)");
        return -1;
    }

    if (mlp_model_u32s(m, by_id[MLP_SEC_SVM_PARAMS], 8, &pa, "svm_params",
                       err, errlen)
        != 0
        || mlp_model_doubles(m, by_id[MLP_SEC_SVM_KERNEL], 2, &kp,
                             "svm_kernel", err, errlen)
           != 0)
    {
        return -1;
    }

    m->svm_type = pa[0];
    m->svm_kernel = pa[1];
    m->n_class = k = pa[2];
    m->n_sv = pa[3];
    m->svm_flags = pa[4];
    m->svm_degree = pa[5];
    m->gamma = kp[0];
    m->coef0 = kp[1];

    if (m->svm_type > MLP_SVM_NU_SVR || m->svm_kernel > MLP_SVM_SIGMOID
        || (m->svm_flags & ~MLP_SVM_FLAGS) || pa[6] != 0 || pa[7] != 0
        || m->svm_degree > 1000 || m->n_sv == 0)
    {
        mlp_fail(err, errlen, "svm_params: type %u, kernel %u, flags 0x%x, "
                 "degree %u, %u vectors (need type <= 4, kernel <= 3, "
                 "degree <= 1000, vectors >= 1)", m->svm_type, m->svm_kernel,
                 m->svm_flags, m->svm_degree, m->n_sv);
        return -1;
    }

    if (m->svm_type <= MLP_SVM_NU_SVC) {
        if (!m->classifier || k != m->n_outputs || k < 2
            || k > MLP_SVM_MAX_CLASSES)
        {
            mlp_fail(err, errlen, "svm classifier with %u classes, %u "
                     "labels (need 2 to %d, labels for each)", k,
                     m->classifier ? m->n_outputs : 0, MLP_SVM_MAX_CLASSES);
            return -1;
        }

    } else if (m->classifier || k != 2 || m->n_outputs != 1
               || (m->svm_flags & (MLP_SVM_PROBABILITY | MLP_SVM_OVR
                                   | MLP_SVM_BREAK_TIES)))
    {
        mlp_fail(err, errlen, "svm regressor or one-class model with "
                 "labels, %u classes (libsvm counts 2) or classifier flags",
                 k);
        return -1;
    }

    m->n_pairs = pairs = k * (k - 1) / 2;

    if (mlp_model_doubles(m, by_id[MLP_SEC_SVM_VECTORS],
                          (uint64_t) m->n_sv * m->n_features, &m->sv,
                          "support_vectors", err, errlen)
        != 0
        || mlp_model_doubles(m, by_id[MLP_SEC_SVM_COEF],
                             (uint64_t) (k - 1) * m->n_sv, &m->sv_coef,
                             "sv_coef", err, errlen)
           != 0
        || mlp_model_doubles(m, by_id[MLP_SEC_SVM_RHO], pairs, &m->rho,
                             "rho", err, errlen)
           != 0)
    {
        return -1;
    }

    /* each of the two present exactly when the flag is (fuzzing found one) */
    if ((by_id[MLP_SEC_SVM_PROB_A] != NULL)
        != ((m->svm_flags & MLP_SVM_PROBABILITY) != 0)
        || (by_id[MLP_SEC_SVM_PROB_B] != NULL)
           != ((m->svm_flags & MLP_SVM_PROBABILITY) != 0))
    {
        mlp_fail(err, errlen, "prob_a and prob_b (ids 66, 67) and flag "
                 "probability must come together");
        return -1;
    }

    if ((m->svm_flags & MLP_SVM_PROBABILITY)
        && (mlp_model_doubles(m, by_id[MLP_SEC_SVM_PROB_A], pairs,
                              &m->prob_a, "prob_a", err, errlen)
            != 0
            || mlp_model_doubles(m, by_id[MLP_SEC_SVM_PROB_B], pairs,
                                 &m->prob_b, "prob_b", err, errlen)
               != 0))
    {
        return -1;
    }

    /* each class's vectors, back to back: their starts, once */
    m->sv_start = calloc(k, sizeof(uint32_t));
    m->sv_norm = malloc((size_t) m->n_sv * sizeof(double));

    if (m->sv_start == NULL || m->sv_norm == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    if (m->svm_type <= MLP_SVM_NU_SVC) {
        if (by_id[MLP_SEC_SVM_N_SV] == NULL
            || mlp_model_u32s(m, by_id[MLP_SEC_SVM_N_SV], k, &m->sv_count,
                              "n_sv_class", err, errlen)
               != 0)
        {
            if (by_id[MLP_SEC_SVM_N_SV] == NULL) {
                mlp_fail(err, errlen, "svm classifier without n_sv_class "
                         "(id 65)");
            }

            return -1;
        }

        sum = 0;

        for (i = 0; i < k; i++) {
            m->sv_start[i] = (uint32_t) sum;
            sum += m->sv_count[i];
        }

        if (sum != m->n_sv) {
            mlp_fail(err, errlen, "n_sv_class adds up to %llu vectors, the "
                     "model has %u", (unsigned long long) sum, m->n_sv);
            return -1;
        }

    } else if (by_id[MLP_SEC_SVM_N_SV] != NULL) {
        mlp_fail(err, errlen, "n_sv_class (id 65) in a regressor or "
                 "one-class model");
        return -1;
    }

    /*
     * A vector of class c meets coefficient row l in pair (l, c) when
     * l < c, else in pair (c, l + 1). Walking the vectors with the rows
     * side by side, four to a vector and padded with zeros, keeps each
     * pair's sum in registers without a dependent chain per pair.
     */
    if (m->svm_type <= MLP_SVM_NU_SVC) {
        m->sv_coef_w = (k - 1 + 3) & ~3u;
        m->sv_coef_t = aligned_alloc(32, (size_t) m->n_sv * m->sv_coef_w
                                         * sizeof(double));
        m->sv_pair = malloc((size_t) k * (k - 1) * sizeof(uint32_t));

        if (m->sv_coef_t == NULL || m->sv_pair == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        for (i = 0; i < m->n_sv; i++) {
            for (l = 0; l < m->sv_coef_w; l++) {
                m->sv_coef_t[(size_t) i * m->sv_coef_w + l] =
                    (l < k - 1) ? m->sv_coef[(size_t) l * m->n_sv + i] : 0.0;
            }
        }

        for (c = 0; c < k; c++) {
            for (l = 0; l < k - 1; l++) {
                i = (l < c) ? l : c;
                j = (l < c) ? c : l + 1;

                /* pairs are numbered (0,1), (0,2), ..., (1,2), ... */
                m->sv_pair[c * (k - 1) + l] =
                    i * k - i * (i + 1) / 2 + (j - i - 1);
            }
        }
    }

    for (i = 0; i < m->n_sv; i++) {
        m->sv_norm[i] = cblas_ddot((blasint) m->n_features,
                                   m->sv + (size_t) i * m->n_features, 1,
                                   m->sv + (size_t) i * m->n_features, 1);
    }

    /* scratch: a block's kernel values and decisions, and the coupling's */
    width = (uint64_t) m->n_sv + pairs + 1;
    m->svm_block = MLP_SVM_BLOCK;

    while (m->svm_block > 1
           && m->svm_block * width * sizeof(double) > MLP_SVM_SCRATCH)
    {
        m->svm_block /= 2;
    }

    m->scratch = malloc((m->svm_block * width + 3 * (uint64_t) k * k + k)
                        * sizeof(double));
    if (m->scratch == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    /* what a row answers */
    if (m->svm_type > MLP_SVM_NU_SVC) {
        m->answer = (m->svm_type == MLP_SVM_ONE_CLASS) ? MLP_ANSWER_OUTLIER
                                                      : MLP_ANSWER_VALUE;
        m->out_width = 1;

    } else if (m->svm_flags & MLP_SVM_PROBABILITY) {
        m->answer = MLP_ANSWER_PROBA;
        m->out_width = k;

    } else {
        m->answer = MLP_ANSWER_DECISION;
        m->out_width = (k == 2) ? 1
                       : (m->svm_flags & MLP_SVM_OVR) ? k : pairs;

        /* three classes make three pairs: the width alone cannot tell */
        m->decision_pairs = (k > 2 && !(m->svm_flags & MLP_SVM_OVR));
    }

    return 0;
}


void
mlp_svm_free(mlp_model_t *m)
{
    free(m->sv_start);
    free(m->sv_norm);
    free(m->sv_coef_t);
    free(m->sv_pair);
    free(m->scratch);
}


int
mlp_svm_predict(const mlp_model_t *m, double *x, size_t rows, double *out,
    uint32_t *labels)
{
    double          *kv, *dec, *o, *work, s;
    size_t           r0, r, nb, n_sv;
    uint32_t         i, p, k, best;
    const double    *kr;

    k = m->n_class;
    n_sv = m->n_sv;
    kv = m->scratch;

    /* a StandardScaler of format version 1, in place */
    if (m->mean != NULL) {
        mlp_vstandardize(x, rows, m->n_features, m->mean, m->scale);
    }
    dec = kv + m->svm_block * n_sv;
    work = dec + m->svm_block * (m->n_pairs + 1);

    for (r0 = 0; r0 < rows; r0 += nb) {
        nb = rows - r0 < m->svm_block ? rows - r0 : m->svm_block;

        mlp_svm_kernel(m, x + r0 * m->n_features, nb, kv);

        for (r = 0; r < nb; r++) {
            kr = kv + r * n_sv;
            o = out + (r0 + r) * m->out_width;

            if (m->svm_type > MLP_SVM_NU_SVC) {
                s = 0.0;

                for (i = 0; i < n_sv; i++) {
                    s += m->sv_coef[i] * kr[i];
                }

                o[0] = s - m->rho[0];

                if (!isfinite(o[0])) {
                    return -1;
                }

                if (labels != NULL) {
                    labels[r0 + r] = (o[0] > 0);
                }

                continue;
            }

            /* libsvm's decision value of each pair i < j */
            mlp_svm_pairs(m, kr, dec, work);

            for (p = 0; p < m->n_pairs; p++) {
                dec[p] -= m->rho[p];

                if (!isfinite(dec[p])) {
                    return -1;
                }
            }

            best = mlp_svm_vote(m, dec);

            if (m->svm_flags & MLP_SVM_PROBABILITY) {
                mlp_svm_probability(m, dec, o, work);

                /* svm-predict -b 1 labels by probability, sklearn by vote */
                if (!(m->svm_flags & MLP_SVM_SKLEARN_SIGN)) {
                    for (i = 1, best = 0; i < k; i++) {
                        if (o[i] > o[best]) {
                            best = i;
                        }
                    }
                }

            } else if (k == 2) {
                o[0] = (m->svm_flags & MLP_SVM_SKLEARN_SIGN) ? -dec[0]
                                                            : dec[0];

            } else if (m->svm_flags & MLP_SVM_OVR) {
                mlp_svm_ovr(m, dec, o);

                if (m->svm_flags & MLP_SVM_BREAK_TIES) {
                    for (i = 1, best = 0; i < k; i++) {
                        if (o[i] > o[best]) {
                            best = i;
                        }
                    }
                }

            } else {
                memcpy(o, dec, m->n_pairs * sizeof(double));
            }

            if (labels != NULL) {
                labels[r0 + r] = best;
            }
        }
    }

    return 0;
}


/* K(x, v) of nb rows against every vector, one BLAS call for the dots */

MLP_SVM_WIDE static void
mlp_svm_kernel(const mlp_model_t *m, const double *x, size_t nb, double *k)
{
    double     xx, d;
    size_t     r, i, n_sv, nf;
    double    *kr;

    n_sv = m->n_sv;
    nf = m->n_features;

    if (nb == 1) {
        cblas_dgemv(CblasRowMajor, CblasNoTrans, (blasint) n_sv,
                    (blasint) nf, 1.0, m->sv, (blasint) nf, x, 1, 0.0, k, 1);

    } else {
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (blasint) nb,
                    (blasint) n_sv, (blasint) nf, 1.0, x, (blasint) nf,
                    m->sv, (blasint) nf, 0.0, k, (blasint) n_sv);
    }

    for (r = 0; r < nb; r++) {
        kr = k + r * n_sv;

        switch (m->svm_kernel) {

        case MLP_SVM_LINEAR:
            break;

        case MLP_SVM_POLY:
            for (i = 0; i < n_sv; i++) {
                kr[i] = mlp_powi(m->gamma * kr[i] + m->coef0,
                                 m->svm_degree);
            }

            break;

        case MLP_SVM_RBF:
            xx = cblas_ddot((blasint) nf, x + r * nf, 1, x + r * nf, 1);

            for (i = 0; i < n_sv; i++) {
                d = xx + m->sv_norm[i] - 2.0 * kr[i];
                kr[i] = -m->gamma * (d > 0.0 ? d : 0.0);
            }

            mlp_vexp(kr, n_sv);

            break;

        default: /* MLP_SVM_SIGMOID */
            for (i = 0; i < n_sv; i++) {
                kr[i] = tanh(m->gamma * kr[i] + m->coef0);
            }
        }
    }
}


/*
 * Each pair's sum of coefficient times kernel value: a class's vectors
 * add to its k - 1 pairs side by side, four pairs to a vector. Even and
 * odd vectors keep sums of their own, so two vectors cost one add's
 * latency; with up to 16 pairs a class the sums stay in registers.
 */

typedef double mlp_svm_v4 __attribute__((vector_size(32)));
typedef double mlp_svm_v4u __attribute__((vector_size(32), aligned(8)));

#define MLP_SVM_IN_REGS  4

static inline __attribute__((always_inline)) void
mlp_svm_class(const mlp_model_t *m, const double *kr, double *dec,
    mlp_svm_v4u *even, mlp_svm_v4u *odd, uint32_t c, uint32_t nv)
{
    double             s;
    uint32_t           l, q, t, end, k1;
    mlp_svm_v4         v, w;
    const uint32_t    *mp;
    const mlp_svm_v4  *cf;

    k1 = m->n_class - 1;
    mp = m->sv_pair + c * k1;
    end = m->sv_start[c] + m->sv_count[c];
    cf = (const mlp_svm_v4 *) m->sv_coef_t + (size_t) m->sv_start[c] * nv;

#pragma GCC unroll 4
    for (q = 0; q < nv; q++) {
        even[q] = (mlp_svm_v4) { 0.0, 0.0, 0.0, 0.0 };
        odd[q] = even[q];
    }

    for (t = m->sv_start[c]; t + 1 < end; t += 2, cf += 2 * nv) {
        v = (mlp_svm_v4) { kr[t], kr[t], kr[t], kr[t] };
        w = (mlp_svm_v4) { kr[t + 1], kr[t + 1], kr[t + 1], kr[t + 1] };

#pragma GCC unroll 4
        for (q = 0; q < nv; q++) {
            even[q] += cf[q] * v;
            odd[q] += cf[nv + q] * w;
        }
    }

    if (t < end) {
        v = (mlp_svm_v4) { kr[t], kr[t], kr[t], kr[t] };

#pragma GCC unroll 4
        for (q = 0; q < nv; q++) {
            even[q] += cf[q] * v;
        }
    }

    /* pairs (l, c) go on from class l's part; (c, j) start here */
    for (l = 0; l < k1; l++) {
        s = even[l / 4][l % 4] + odd[l / 4][l % 4];
        dec[mp[l]] = (l < c) ? dec[mp[l]] + s : s;
    }
}


MLP_SVM_WIDE static void
mlp_svm_pairs(const mlp_model_t *m, const double *kr, double *dec,
    double *work)
{
    uint32_t     c, nv;
    mlp_svm_v4u  even[MLP_SVM_IN_REGS], odd[MLP_SVM_IN_REGS];

    nv = m->sv_coef_w / 4;

    for (c = 0; c < m->n_class; c++) {

        switch (nv) {

#define MLP_SVM_CASE(n)                                                       \
        case n:                                                               \
            mlp_svm_class(m, kr, dec, even, odd, c, n);                       \
            break;

        MLP_SVM_CASE(1)  MLP_SVM_CASE(2)  MLP_SVM_CASE(3)  MLP_SVM_CASE(4)

#undef MLP_SVM_CASE

        default:
            mlp_svm_class(m, kr, dec, (mlp_svm_v4u *) work,
                          (mlp_svm_v4u *) work + nv, c, nv);
        }
    }
}


/* libsvm's vote: dec > 0 votes for i, else j; the first of the most */

static uint32_t
mlp_svm_vote(const mlp_model_t *m, const double *dec)
{
    uint32_t  i, j, p, best, votes[MLP_SVM_MAX_CLASSES];

    memset(votes, 0, m->n_class * sizeof(uint32_t));

    for (i = 0, p = 0; i < m->n_class; i++) {
        for (j = i + 1; j < m->n_class; j++, p++) {
            votes[dec[p] > 0 ? i : j]++;
        }
    }

    for (i = 1, best = 0; i < m->n_class; i++) {
        if (votes[i] > votes[best]) {
            best = i;
        }
    }

    return best;
}


/*
 * scikit-learn's _ovr_decision_function(dec < 0, -dec, k): votes plus the
 * summed confidences squashed into (-1/3, 1/3), in its order.
 */

static void
mlp_svm_ovr(const mlp_model_t *m, const double *dec, double *o)
{
    double    conf, s[MLP_SVM_MAX_CLASSES];
    uint32_t  i, j, p, votes[MLP_SVM_MAX_CLASSES];

    memset(votes, 0, m->n_class * sizeof(uint32_t));

    for (i = 0; i < m->n_class; i++) {
        s[i] = 0.0;
    }

    for (i = 0, p = 0; i < m->n_class; i++) {
        for (j = i + 1; j < m->n_class; j++, p++) {
            conf = -dec[p];
            s[i] -= conf;
            s[j] += conf;
            votes[dec[p] < 0 ? j : i]++;
        }
    }

    for (i = 0; i < m->n_class; i++) {
        o[i] = (double) votes[i] + s[i] / (3 * (fabs(s[i]) + 1));
    }
}


/*
 * The coupling's inner step: restrict tells the vectorizer that qp, p and
 * the row of Q do not overlap, and 1 + diff is the same double each time.
 */

static inline __attribute__((always_inline)) void
mlp_svm_rescale(double *restrict qp, double *restrict p,
    const double *restrict qt, double diff, uint32_t k)
{
    double    d1;
    uint32_t  j;

    d1 = 1 + diff;

    for (j = 0; j < k; j++) {
        qp[j] = (qp[j] + diff * qt[j]) / d1;
        p[j] /= d1;
    }
}


/*
 * svm_predict_probability: each pair's clipped sigmoid, then libsvm's
 * multiclass_probability (Wu, Lin and Weng's second method), as written.
 * The sigmoids' exps go together through mlp_vexp (within 4 ulp of
 * libm's): libsvm's 1 / (1 + exp(f)) for f < 0, else exp(-f) / (1 +
 * exp(-f)), so both take exp(-|f|). work holds 2 k*k + k doubles.
 */

MLP_SVM_WIDE static void
mlp_svm_probability(const mlp_model_t *m, const double *dec, double *p,
    double *work)
{
    double    *r, *q, *qp, pqp, eps, err, max_err, diff, v;
    uint32_t   i, j, t, k, iter, max_iter, n;

    k = m->n_class;
    r = work;
    q = r + k * k;
    qp = q + k * k;

    /* q is free until the coupling: -|f| of each pair, then its exp */
    for (n = 0; n < m->n_pairs; n++) {
        q[n] = -fabs(dec[n] * m->prob_a[n] + m->prob_b[n]);
    }

    mlp_vexp(q, m->n_pairs);

    for (i = 0, n = 0; i < k; i++) {
        for (j = i + 1; j < k; j++, n++) {
            /* f again, rather than more scratch: the same double */
            v = (dec[n] * m->prob_a[n] + m->prob_b[n] >= 0)
                ? q[n] / (1.0 + q[n]) : 1.0 / (1 + q[n]);
            v = v > 1e-7 ? v : 1e-7;
            v = v < 1 - 1e-7 ? v : 1 - 1e-7;
            r[i * k + j] = v;
            r[j * k + i] = 1 - v;
        }
    }

    if (k == 2 && (m->svm_flags & MLP_SVM_BINARY_DIRECT)) {
        p[0] = r[1];
        p[1] = r[k];
        return;
    }

    max_iter = k > 100 ? k : 100;
    eps = 0.005 / k;

    for (t = 0; t < k; t++) {
        p[t] = 1.0 / k;
        q[t * k + t] = 0;

        for (j = 0; j < t; j++) {
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = q[j * k + t];
        }

        for (j = t + 1; j < k; j++) {
            q[t * k + t] += r[j * k + t] * r[j * k + t];
            q[t * k + j] = -r[j * k + t] * r[t * k + j];
        }
    }

    for (iter = 0; iter < max_iter; iter++) {
        pqp = 0;

        for (t = 0; t < k; t++) {
            qp[t] = 0;

            for (j = 0; j < k; j++) {
                qp[t] += q[t * k + j] * p[j];
            }

            pqp += p[t] * qp[t];
        }

        max_err = 0;

        for (t = 0; t < k; t++) {
            err = fabs(qp[t] - pqp);

            if (err > max_err) {
                max_err = err;
            }
        }

        if (max_err < eps) {
            break;
        }

        for (t = 0; t < k; t++) {
            diff = (-qp[t] + pqp) / q[t * k + t];
            p[t] += diff;
            pqp = (pqp + diff * (diff * q[t * k + t] + 2 * qp[t])) / (1 + diff)
                  / (1 + diff);

            mlp_svm_rescale(qp, p, q + t * k, diff, k);
        }
    }
}
