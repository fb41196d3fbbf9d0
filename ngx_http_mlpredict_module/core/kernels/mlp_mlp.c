
/*
 * Dense feed-forward networks (kind 5): scikit-learn's MLPClassifier and
 * MLPRegressor in float64, networks converted from ONNX in float32. A
 * block of rows goes through each dense layer as one gemm, X @ W, then the
 * bias is added and the activation applied, in the order scikit-learn's
 * _forward_pass_fast does it (np.dot, +=, the activation in place).
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "mlp_internal.h"


/*
 * GCC's -O2 vectorizes only loops of a known trip count: the bias and
 * activation loops here run over a block of rows each, and scalar they
 * cost more than the gemm. Elementwise, so vectorized they round the same.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize ("vect-cost-model=dynamic")
#endif


/* two activations of a block of rows: at most this many bytes of scratch */
#define MLP_NN_SCRATCH  (4 * 1024 * 1024)
#define MLP_NN_BLOCK    256


static void mlp_nn_act64(const mlp_layer_t *l, double *a, size_t rows);
static void mlp_nn_act32(const mlp_layer_t *l, float *a, size_t rows);


static const char  *mlp_act_names[] = {
    "identity", "logistic", "tanh", "relu", "leaky_relu", "elu", "softmax",
    "log_softmax"
};


const char *
mlp_nn_activation_name(uint32_t act)
{
    return act <= MLP_ACT_MAX ? mlp_act_names[act] : "?";
}


int
mlp_nn_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen)
{
    size_t           bytes;
    uint32_t         i, j, n, width, last;
    uint64_t         n_pool, need, k;
    const double    *pool;
    const uint32_t  *pa, *lu;
    mlp_layer_t     *l;

    if (by_id[MLP_SEC_NN_PARAMS] == NULL || by_id[MLP_SEC_NN_LAYERS] == NULL
        || by_id[MLP_SEC_NN_F64] == NULL)
    {
        mlp_fail(err, errlen, "network without one of nn_params, nn_layers, "
                 "nn_f64 (ids 70-72)");
        return -1;
    }

    if (mlp_model_u32s(m, by_id[MLP_SEC_NN_PARAMS], 8, &pa, "nn_params", err,
                       errlen)
        != 0)
    {
        return -1;
    }

    n = pa[0];
    m->nn_flags = pa[1];

    if (n == 0 || n > MLP_NN_MAX_LAYERS || (m->nn_flags & ~MLP_NN_FLAGS)
        || pa[2] || pa[3] || pa[4] || pa[5] || pa[6] || pa[7])
    {
        mlp_fail(err, errlen, "nn_params: %u layers, flags 0x%x (need 1 to "
                 "%d layers, flags within 0x%x, the rest 0)", n, m->nn_flags,
                 MLP_NN_MAX_LAYERS, MLP_NN_FLAGS);
        return -1;
    }

    n_pool = by_id[MLP_SEC_NN_F64]->count;

    if (mlp_model_u32s(m, by_id[MLP_SEC_NN_LAYERS], (uint64_t) n * 8, &lu,
                       "nn_layers", err, errlen)
        != 0
        || mlp_model_doubles(m, by_id[MLP_SEC_NN_F64], n_pool, &pool,
                             "nn_f64", err, errlen)
           != 0)
    {
        return -1;
    }

    m->nn_layers = calloc(n, sizeof(mlp_layer_t));
    if (m->nn_layers == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    m->n_layers = n;
    width = m->n_features;
    m->nn_max_width = width;

    for (i = 0; i < n; i++) {
        l = &m->nn_layers[i];

        l->type = lu[i * 8];
        l->n_in = lu[i * 8 + 1];
        l->n_out = lu[i * 8 + 2];
        l->act = lu[i * 8 + 3];
        l->w_first = lu[i * 8 + 4];
        l->b_first = lu[i * 8 + 5];
        l->p_first = lu[i * 8 + 6];

        if ((l->type != MLP_LAYER_DENSE && l->type != MLP_LAYER_SCALE)
            || l->act > MLP_ACT_MAX || lu[i * 8 + 7] != 0)
        {
            mlp_fail(err, errlen, "layer %u: type %u, activation %u (need "
                     "type 1 or 2, activation <= %d)", i, l->type, l->act,
                     MLP_ACT_MAX);
            return -1;
        }

        if (l->n_in != width || l->n_out == 0
            || l->n_out > MLP_NN_MAX_WIDTH
            || (l->type == MLP_LAYER_SCALE && l->n_out != l->n_in))
        {
            mlp_fail(err, errlen, "layer %u: %u inputs, %u outputs after a "
                     "width of %u (need the previous width, 1 to %d "
                     "outputs, a scale layer as wide as its input)", i,
                     l->n_in, l->n_out, width, MLP_NN_MAX_WIDTH);
            return -1;
        }

        /* weights (or scales), biases, the activation's alpha: in the pool */
        need = (l->type == MLP_LAYER_DENSE)
               ? (uint64_t) l->n_in * l->n_out : l->n_out;

        if (l->w_first > n_pool || need > n_pool - l->w_first
            || l->b_first > n_pool || l->n_out > n_pool - l->b_first
            || ((l->act == MLP_ACT_LEAKY_RELU || l->act == MLP_ACT_ELU)
                && l->p_first >= n_pool))
        {
            mlp_fail(err, errlen, "layer %u: its parameters (weights at "
                     "%u, biases at %u, alpha at %u) lie outside nn_f64 of "
                     "%llu values", i, l->w_first, l->b_first, l->p_first,
                     (unsigned long long) n_pool);
            return -1;
        }

        l->w = pool + l->w_first;
        l->b = pool + l->b_first;
        l->alpha = (l->act == MLP_ACT_LEAKY_RELU || l->act == MLP_ACT_ELU)
                   ? pool[l->p_first] : 0.0;

        width = l->n_out;

        if (width > m->nn_max_width) {
            m->nn_max_width = width;
        }
    }

    last = m->nn_layers[n - 1].act;

    /* the answer: what the last layer's width and activation make */
    if (m->classifier && (m->nn_flags & MLP_NN_MULTILABEL)) {
        mlp_fail(err, errlen, "multilabel network with class_labels (its "
                 "labels are named in the producer)");
        return -1;
    }

    if (m->classifier) {
        if (!((last == MLP_ACT_SOFTMAX && width == m->n_outputs)
              || (last == MLP_ACT_LOGISTIC && width == 1
                  && m->n_outputs == 2)))
        {
            mlp_fail(err, errlen, "network classifier of %u classes ending "
                     "in %u outputs, activation %s (need softmax over each "
                     "class, or logistic with one output for two)",
                     m->n_outputs, width, mlp_nn_activation_name(last));
            return -1;
        }

    } else if (width != m->n_outputs
               || ((m->nn_flags & MLP_NN_MULTILABEL)
                   && last != MLP_ACT_LOGISTIC))
    {
        mlp_fail(err, errlen, "network regressor of %u outputs ending in "
                 "%u (multilabel: logistic)", m->n_outputs, width);
        return -1;
    }

    /* float32: every parameter a float, widened exactly; narrowed at load */
    if (m->nn_flags & MLP_NN_F32) {
        m->nn_f32 = malloc(n_pool * sizeof(float) + 1);
        if (m->nn_f32 == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        for (k = 0; k < n_pool; k++) {
            m->nn_f32[k] = (float) pool[k];

            if ((double) m->nn_f32[k] != pool[k]
                || !isfinite(m->nn_f32[k]))
            {
                mlp_fail(err, errlen, "nn_f64[%llu] of a float32 network is "
                         "not a float32", (unsigned long long) k);
                return -1;
            }
        }
    }

    /* the block: two activations of its rows inside the scratch */
    bytes = (m->nn_flags & MLP_NN_F32) ? sizeof(float) : sizeof(double);
    m->nn_block = MLP_NN_SCRATCH / (2 * bytes * m->nn_max_width);

    if (m->nn_block > MLP_NN_BLOCK) {
        m->nn_block = MLP_NN_BLOCK;
    }

    if (m->nn_block == 0) {
        m->nn_block = 1;
    }

    m->nn_scratch = malloc(2 * bytes * m->nn_max_width * m->nn_block);
    if (m->nn_scratch == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    for (j = 0; j < n; j++) {
        m->nn_params += (m->nn_layers[j].type == MLP_LAYER_DENSE)
                        ? (uint64_t) m->nn_layers[j].n_in
                          * m->nn_layers[j].n_out + m->nn_layers[j].n_out
                        : 2 * (uint64_t) m->nn_layers[j].n_out;
    }

    return 0;
}


void
mlp_nn_free(mlp_model_t *m)
{
    free(m->nn_layers);
    free(m->nn_f32);
    free(m->nn_scratch);
}


static void
mlp_nn_forward64(const mlp_model_t *m, const double *x, size_t rows,
    double **res)
{
    size_t              r, j, n;
    uint32_t            i;
    double             *a, *b, *t;
    const double       *in;
    const mlp_layer_t  *l;

    a = m->nn_scratch;
    b = a + (size_t) m->nn_max_width * m->nn_block;
    in = x;

    for (i = 0; i < m->n_layers; i++) {
        l = &m->nn_layers[i];
        n = l->n_out;

        if (l->type == MLP_LAYER_DENSE) {
            /*
             * np.dot(activation, coefs_[i]): no bias folded into beta; one
             * row is a gemv, which OpenBLAS starts several times faster
             */
            if (rows == 1) {
                cblas_dgemv(CblasRowMajor, CblasTrans, (blasint) l->n_in,
                            (blasint) n, 1.0, l->w, (blasint) n, in, 1, 0.0,
                            a, 1);

            } else {
                cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                            (blasint) rows, (blasint) n, (blasint) l->n_in,
                            1.0, in, (blasint) l->n_in, l->w, (blasint) n,
                            0.0, a, (blasint) n);
            }

            for (r = 0; r < rows; r++) {
                for (j = 0; j < n; j++) {
                    a[r * n + j] += l->b[j];
                }
            }

        } else {
            for (r = 0; r < rows; r++) {
                for (j = 0; j < n; j++) {
                    a[r * n + j] = in[r * n + j] * l->w[j] + l->b[j];
                }
            }
        }

        mlp_nn_act64(l, a, rows);

        in = a;
        t = a;
        a = b;
        b = t;
    }

    *res = (double *) in;
}


static void
mlp_nn_forward32(const mlp_model_t *m, const double *x, size_t rows,
    float **res)
{
    size_t              r, j, n;
    uint32_t            i;
    float              *a, *b, *t;
    const float        *w, *bias;
    const mlp_layer_t  *l;

    a = m->nn_scratch;
    b = a + (size_t) m->nn_max_width * m->nn_block;

    /* the input as the network's float32 tensor */
    for (r = 0; r < rows * m->n_features; r++) {
        b[r] = (float) x[r];
    }

    for (i = 0; i < m->n_layers; i++) {
        l = &m->nn_layers[i];
        n = l->n_out;
        w = m->nn_f32 + l->w_first;
        bias = m->nn_f32 + l->b_first;

        if (l->type == MLP_LAYER_DENSE) {
            if (rows == 1) {
                cblas_sgemv(CblasRowMajor, CblasTrans, (blasint) l->n_in,
                            (blasint) n, 1.0f, w, (blasint) n, b, 1, 0.0f,
                            a, 1);

            } else {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans,
                            (blasint) rows, (blasint) n, (blasint) l->n_in,
                            1.0f, b, (blasint) l->n_in, w, (blasint) n, 0.0f,
                            a, (blasint) n);
            }

            for (r = 0; r < rows; r++) {
                for (j = 0; j < n; j++) {
                    a[r * n + j] += bias[j];
                }
            }

        } else {
            for (r = 0; r < rows; r++) {
                for (j = 0; j < n; j++) {
                    a[r * n + j] = b[r * n + j] * w[j] + bias[j];
                }
            }
        }

        mlp_nn_act32(l, a, rows);

        t = a;
        a = b;
        b = t;
    }

    *res = b;
}


int
mlp_nn_predict(const mlp_model_t *m, double *x, size_t rows, double *out,
    uint32_t *labels)
{
    size_t    r0, nb, r, j, k, width;
    double   *o, *y64, v;
    float    *y32;
    uint32_t  best;

    width = m->nn_layers[m->n_layers - 1].n_out;

    /* Pipeline(StandardScaler, MLP) of format 1: X -= mean; X /= scale */
    if (m->mean != NULL) {
        mlp_vstandardize(x, rows, m->n_features, m->mean, m->scale);
    }

    for (r0 = 0; r0 < rows; r0 += nb) {
        nb = rows - r0;

        if (nb > m->nn_block) {
            nb = m->nn_block;
        }

        y64 = NULL;
        y32 = NULL;

        if (m->nn_flags & MLP_NN_F32) {
            mlp_nn_forward32(m, x + r0 * m->n_features, nb, &y32);

        } else {
            mlp_nn_forward64(m, x + r0 * m->n_features, nb, &y64);
        }

        for (r = 0; r < nb; r++) {
            o = out + (r0 + r) * m->out_width;

            for (j = 0; j < width; j++) {
                o[j] = y32 ? (double) y32[r * width + j] : y64[r * width + j];
            }

            if (!m->classifier) {
                continue;
            }

            if (width == 1) {
                /* scikit-learn: [1 - p, p], the label p > 0.5 */
                v = o[0];
                o[0] = 1.0 - v;
                o[1] = v;
                labels[r0 + r] = (v > 0.5);
                continue;
            }

            best = 0;

            for (k = 1; k < width; k++) {
                if (o[k] > o[best]) {
                    best = (uint32_t) k;
                }
            }

            labels[r0 + r] = best;
        }
    }

    return 0;
}


/* scikit-learn's ACTIVATIONS, numpy's operations in numpy's order */

static void
mlp_nn_act64(const mlp_layer_t *l, double *a, size_t rows)
{
    size_t   i, r, j, n, len;
    double  *row, mx, s, al;

    n = l->n_out;
    len = rows * n;
    al = l->alpha;

    switch (l->act) {

    case MLP_ACT_LOGISTIC:
        for (i = 0; i < len; i++) {
            a[i] = 1.0 / (1.0 + exp(-a[i]));
        }
        break;

    case MLP_ACT_TANH:
        for (i = 0; i < len; i++) {
            a[i] = tanh(a[i]);
        }
        break;

    case MLP_ACT_RELU:
        for (i = 0; i < len; i++) {
            a[i] = a[i] > 0.0 ? a[i] : 0.0;
        }
        break;

    case MLP_ACT_LEAKY_RELU:
        for (i = 0; i < len; i++) {
            a[i] = a[i] >= 0.0 ? a[i] : a[i] * al;
        }
        break;

    case MLP_ACT_ELU:
        for (i = 0; i < len; i++) {
            a[i] = a[i] > 0.0 ? a[i] : al * expm1(a[i]);
        }
        break;

    case MLP_ACT_SOFTMAX:
    case MLP_ACT_LOG_SOFTMAX:
        for (r = 0; r < rows; r++) {
            row = a + r * n;
            mx = row[0];

            for (j = 1; j < n; j++) {
                mx = row[j] > mx ? row[j] : mx;
            }

            s = 0.0;

            for (j = 0; j < n; j++) {
                row[j] -= mx;
                s += exp(row[j]);
            }

            for (j = 0; j < n; j++) {
                row[j] = (l->act == MLP_ACT_SOFTMAX) ? exp(row[j]) / s
                                                     : row[j] - log(s);
            }
        }
        break;

    default: /* identity */
        break;
    }
}


/* the same in float32, as an ONNX runtime computes them */

static void
mlp_nn_act32(const mlp_layer_t *l, float *a, size_t rows)
{
    size_t  i, r, j, n, len;
    float  *row, mx, s, al;

    n = l->n_out;
    len = rows * n;
    al = (float) l->alpha;

    switch (l->act) {

    case MLP_ACT_LOGISTIC:
        for (i = 0; i < len; i++) {
            a[i] = 1.0f / (1.0f + expf(-a[i]));
        }
        break;

    case MLP_ACT_TANH:
        for (i = 0; i < len; i++) {
            a[i] = tanhf(a[i]);
        }
        break;

    case MLP_ACT_RELU:
        for (i = 0; i < len; i++) {
            a[i] = a[i] > 0.0f ? a[i] : 0.0f;
        }
        break;

    case MLP_ACT_LEAKY_RELU:
        for (i = 0; i < len; i++) {
            a[i] = a[i] >= 0.0f ? a[i] : a[i] * al;
        }
        break;

    case MLP_ACT_ELU:
        for (i = 0; i < len; i++) {
            a[i] = a[i] > 0.0f ? a[i] : al * expm1f(a[i]);
        }
        break;

    case MLP_ACT_SOFTMAX:
    case MLP_ACT_LOG_SOFTMAX:
        for (r = 0; r < rows; r++) {
            row = a + r * n;
            mx = row[0];

            for (j = 1; j < n; j++) {
                mx = row[j] > mx ? row[j] : mx;
            }

            s = 0.0f;

            for (j = 0; j < n; j++) {
                row[j] -= mx;
                s += expf(row[j]);
            }

            for (j = 0; j < n; j++) {
                row[j] = (l->act == MLP_ACT_SOFTMAX) ? expf(row[j]) / s
                                                     : row[j] - logf(s);
            }
        }
        break;

    default: /* identity */
        break;
    }
}
