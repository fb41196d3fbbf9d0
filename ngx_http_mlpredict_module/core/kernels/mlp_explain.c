
/*
 * Explanations: each input's additive contribution to a prediction's
 * margin. Linear models: coef * (z - E[z]) for each estimator feature z,
 * E[z] from the file's feature_mean. Trees: exact path-dependent TreeSHAP
 * (Lundberg, Erion and Lee 2018, Algorithm 2), the conditional
 * expectations taken with the training cover of each node. Contributions
 * of the features one input makes (its one-hot columns, its scaled copy)
 * are summed back to that input.
 *
 * Everything that does not depend on the row is settled at load: which
 * input each feature comes from, the base values, each tree's expected
 * value, and the bytes of scratch one request needs (the path buffers are
 * sized by the deepest tree).
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"


#define MLP_SRC_NONE    0xffffffffu     /* a constant column */
#define MLP_SRC_MIXED   0xfffffffeu     /* made from several inputs */
#define MLP_NONE        0xffffffffu

/* 1 / n for the lengths a path takes (depth + 2 at most, and one more) */
static double  mlp_inv[MLP_EXPLAIN_MAX_DEPTH + 4];

/* the bytes of scratch one request's explanation may take */
#define MLP_EXPLAIN_SCRATCH_MAX  (64 * 1024 * 1024)


/* one element of a TreeSHAP path: a feature, its cover fraction when it
 * is unknown (z), whether the row goes this way (o), and the weight of
 * the subsets of this size */
typedef struct {
    uint32_t                  d;
    double                    z;
    double                    o;
    double                    w;
} mlp_path_t;


typedef struct {
    const mlp_model_t        *m;
    const double             *x;
    double                   *phi;      /* n_features * n_groups */
    uint32_t                  g;        /* the tree's first group */
    double                    scale;
    int                       lt;
} mlp_shap_t;


static int mlp_explain_svm(mlp_model_t *m, char *err, size_t errlen);
static int mlp_explain_sources(mlp_model_t *m, char *err, size_t errlen);
static double mlp_tree_expect(const mlp_model_t *m, uint32_t n, uint32_t k,
    uint32_t depth);
static void mlp_shap_recurse(mlp_shap_t *c, uint32_t n, mlp_path_t *parent,
    uint32_t len, double z, double o, uint32_t d);


static uint32_t
mlp_src_join(uint32_t a, uint32_t b)
{
    if (a == MLP_SRC_NONE) {
        return b;
    }

    if (b == MLP_SRC_NONE || a == b) {
        return a;
    }

    return MLP_SRC_MIXED;
}


static void
mlp_explain_refuse(mlp_model_t *m, const char *why)
{
    m->explains = 0;
    snprintf(m->explain_why, sizeof(m->explain_why), "%s", why);
}


int
mlp_explain_load(mlp_model_t *m, char *err, size_t errlen)
{
    char       *p;
    size_t      bytes, path, keys;
    uint32_t    i, t, k, g, f, w, n_in;
    uint64_t    n;
    double      e;

    m->explains = 0;
    m->explain_why[0] = '\0';
    n_in = m->n_inputs;

    /* the same values at every load: no request ever writes them */
    for (i = 1; i < MLP_EXPLAIN_MAX_DEPTH + 4; i++) {
        mlp_inv[i] = 1.0 / (double) i;
    }

    /* the new sections are checked whatever the model's kind */

    if (m->cover != NULL) {
        for (n = 0; n < m->n_nodes; n++) {
            if (!(m->cover[n] > 0.0)) {
                mlp_fail(err, errlen, "node_cover: node %llu has cover %g "
                         "(need > 0)", (unsigned long long) n, m->cover[n]);
                return -1;
            }
        }
    }

    if (m->kind == MLP_KIND_SVM) {
        if (m->svm_kernel != MLP_SVM_LINEAR) {
            mlp_explain_refuse(m, "a kernel svm (kind svm): no exact and "
                               "affordable explanation exists for it");
            return 0;
        }

        if (m->svm_type <= MLP_SVM_NU_SVC && m->n_class > 2) {
            mlp_explain_refuse(m, "a multiclass svm (kind svm): its answer "
                               "is a vote of class pairs, which no "
                               "additive explanation describes");
            return 0;
        }

        if (m->feature_mean == NULL) {
            mlp_explain_refuse(m, "a linear-kernel svm whose file has no "
                               "training means (feature_mean, section "
                               "50): export it with train=X, or train it "
                               "again with mlpredict train");
            return 0;
        }

        if (mlp_explain_svm(m, err, errlen) != 0) {
            return -1;
        }

    } else if (m->kind == MLP_KIND_LOGISTIC || m->kind == MLP_KIND_LINEAR) {
        m->explain_coef = m->coef;
        m->explain_icpt = m->intercept;
    }

    /* only linear models (kinds 1, 2) and trees have exact explanations */
    if (m->kind == MLP_KIND_NETWORK) {
        mlp_explain_refuse(m, "a neural network (kind network): no exact "
                           "and affordable explanation exists for it");
        return 0;
    }

    if (m->kind == MLP_KIND_TREES) {
        if (m->cover == NULL) {
            mlp_explain_refuse(m, "a tree ensemble whose file has no "
                               "node_cover section (id 51): export it "
                               "again to explain it");
            return 0;
        }

        if (m->max_depth > MLP_EXPLAIN_MAX_DEPTH) {
            mlp_explain_refuse(m, "a tree ensemble deeper than 256 levels: "
                               "explanations are not offered");
            return 0;
        }

        m->explain_groups = m->n_groups;

    } else if (m->kind == MLP_KIND_SVM) {
        m->explain_groups = 1;

    } else {
        if (m->feature_mean == NULL) {
            mlp_explain_refuse(m, "a linear model whose file has no "
                               "training means (feature_mean, section "
                               "50): export it with train=X, or train it "
                               "again with mlpredict train");
            return 0;
        }

        m->explain_groups = m->n_scores;
    }

    if (!m->classifier && m->explain_groups > 1) {
        mlp_explain_refuse(m, "a regressor of several targets: "
                           "explanations are offered for one target");
        return 0;
    }

    m->explain_keyed = m->classifier && m->explain_groups > 1;

    if (m->explain_keyed && m->explain_groups != m->n_outputs) {
        mlp_explain_refuse(m, "a classifier with a margin per pair of "
                           "classes or per target: explanations are "
                           "offered per class");
        return 0;
    }

    if (mlp_explain_sources(m, err, errlen) != 0) {
        return -1;
    }

    if (!m->explains && m->explain_why[0] != '\0') {
        return 0;
    }

    m->explain_base = calloc(m->explain_groups, sizeof(double));

    if (m->explain_base == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    if (m->kind == MLP_KIND_TREES) {
        w = m->leaf_width;
        m->tree_expect = malloc((size_t) m->n_trees * w * sizeof(double));

        if (m->tree_expect == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        for (g = 0; g < m->n_groups; g++) {
            m->explain_base[g] = m->init ? m->init[g] : 0.0;
        }

        for (t = 0; t < m->n_trees; t++) {
            g = m->groups ? m->groups[t] : 0;

            for (k = 0; k < w; k++) {
                e = mlp_tree_expect(m, m->roots[t], k, 0);
                m->tree_expect[(size_t) t * w + k] = e;
                m->explain_base[g + k] += (m->scales ? m->scales[t] : 1.0) * e
                                          / (m->link == MLP_LINK_MEAN
                                             ? (double) m->n_trees : 1.0);
            }
        }

        /* the path of one tree takes at most 1 + 2 + ... + (depth + 2) */
        path = ((size_t) m->max_depth + 2) * (m->max_depth + 3) / 2;
        bytes = (size_t) m->n_features * sizeof(double)
                + (size_t) m->n_features * m->n_groups * sizeof(double)
                + path * sizeof(mlp_path_t);

    } else {
        for (g = 0; g < m->explain_groups; g++) {
            e = m->explain_icpt[g];

            for (f = 0; f < m->n_features; f++) {
                e += m->explain_coef[(size_t) g * m->n_features + f]
                     * (m->mean ? (m->feature_mean[f] - m->mean[f])
                                  / m->scale[f]
                                : m->feature_mean[f]);
            }

            m->explain_base[g] = e;
        }

        bytes = 0;
    }

    if ((size_t) m->n_features * m->n_groups > MLP_EXPLAIN_SCRATCH_MAX / 8
        || bytes > MLP_EXPLAIN_SCRATCH_MAX)
    {
        mlp_explain_refuse(m, "a model too wide to explain: its scratch "
                           "would be over 64 MiB");
        return 0;
    }

    m->explain_scratch = bytes;

    /* "input": of each input, escaped once */
    keys = 0;

    for (i = 0; i < n_in; i++) {
        keys += 6 * m->input_names[i].len + 3;
    }

    m->explain_keys = malloc(keys + 1);
    m->explain_key_off = malloc(((size_t) n_in + 1) * sizeof(size_t));

    if (m->explain_keys == NULL || m->explain_key_off == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    p = m->explain_keys;

    for (i = 0; i < n_in; i++) {
        m->explain_key_off[i] = p - m->explain_keys;
        p += mlp_json_escape(m->input_names[i].s, m->input_names[i].len, p);
        *p++ = ':';
    }

    m->explain_key_off[n_in] = p - m->explain_keys;

    /*
     * What a row's answer grows by: ,"contributions":{...},"base_value":
     * per group (keyed: "label":{...} and "label":v), every input's key
     * and number
     */
    bytes = sizeof(",\"contributions\":{},\"base_value\":{}");

    for (g = 0; g < m->explain_groups; g++) {
        bytes += m->explain_key_off[n_in] + (size_t) n_in
                 * (MLP_DOUBLE_MAX_LEN + 1) + 4 + MLP_DOUBLE_MAX_LEN;

        if (m->explain_keyed) {
            bytes += 2 * m->label_keys[g].len + 2;
        }
    }

    m->explain_bound = bytes;
    m->explains = 1;

    return 0;
}


/*
 * A linear-kernel svm of one decision value (two classes, regression, one
 * class) is the linear model w = sum_i coef_i sv_i, b = -rho, in the sign
 * its answer reports (scikit-learn's is libsvm's negated for classes).
 */

static int
mlp_explain_svm(mlp_model_t *m, char *err, size_t errlen)
{
    double     s, *w;
    size_t     i, f, nf;

    nf = m->n_features;
    w = calloc(nf + 1, sizeof(double));

    if (w == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    s = (m->svm_type <= MLP_SVM_NU_SVC
         && (m->svm_flags & MLP_SVM_SKLEARN_SIGN)) ? -1.0 : 1.0;

    for (i = 0; i < m->n_sv; i++) {
        for (f = 0; f < nf; f++) {
            w[f] += m->sv_coef[i] * m->sv[i * nf + f];
        }
    }

    for (f = 0; f < nf; f++) {
        w[f] *= s;
    }

    w[nf] = -s * m->rho[0];

    m->explain_w = w;
    m->explain_coef = w;
    m->explain_icpt = w + nf;

    return 0;
}


/*
 * Which input each estimator feature is made from, following the steps
 * column by column: a feature of several inputs (normalize, poly) has no
 * per-input contribution, so such a model is refused.
 */

static int
mlp_explain_sources(mlp_model_t *m, char *err, size_t errlen)
{
    char               why[160];
    uint32_t           i, j, k, c, *src, s, left, f;
    const mlp_step_t  *st;

    m->feature_input = malloc(((size_t) m->n_features + 1)
                              * sizeof(uint32_t));

    if (m->feature_input == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    if (!m->schema) {
        for (i = 0; i < m->n_features; i++) {
            m->feature_input[i] = i;
        }

        return 0;
    }

    src = malloc(((size_t) m->n_columns + 1) * sizeof(uint32_t));

    if (src == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    for (c = 0; c < m->n_inputs; c++) {
        src[c] = c;
    }

    for (k = 0; k < m->n_steps; k++) {
        st = &m->steps[k];
        c = st->out_first;

        switch (st->type) {

        case MLP_STEP_NORMALIZE:
            s = MLP_SRC_NONE;

            for (i = 0; i < st->n_in; i++) {
                s = mlp_src_join(s, src[st->in[i]]);
            }

            for (i = 0; i < st->out_width; i++) {
                src[c + i] = s;
            }

            break;

        case MLP_STEP_ENCODE:
        case MLP_STEP_BINS:
            for (i = 0; i < st->n_in; i++) {
                j = (st->type == MLP_STEP_ENCODE) ? st->u[7 * i + 4]
                                                  : st->u[3 * i + 2];

                while (j--) {
                    src[c++] = src[st->in[i]];
                }
            }

            break;

        case MLP_STEP_POLY:
            for (i = 0; i < st->out_width; i++) {
                left = st->u[2 * i];
                f = st->u[2 * i + 1];
                src[c + i] = mlp_src_join(
                    left == MLP_NONE ? MLP_SRC_NONE : src[c + left],
                    f == MLP_NONE ? MLP_SRC_NONE : src[st->in[f]]);
            }

            break;

        default:
            /* affine, impute, indicator, function, binarize: one a column */
            for (i = 0; i < st->out_width; i++) {
                src[c + i] = src[st->in[i]];
            }
        }
    }

    for (i = 0; i < m->n_features; i++) {
        m->feature_input[i] = src[m->out_cols[i]];

        if (m->feature_input[i] == MLP_SRC_MIXED) {
            snprintf(why, sizeof(why), "a model whose feature \"%.*s\" is "
                     "made from several inputs (normalize or polynomial "
                     "step): no per-input contribution",
                     mlp_shown(m->features[i].s, m->features[i].len),
                     m->features[i].s);
            mlp_explain_refuse(m, why);
            break;
        }
    }

    free(src);

    return 0;
}


void
mlp_explain_free(mlp_model_t *m)
{
    free(m->feature_input);
    free(m->explain_base);
    free(m->explain_w);
    free(m->tree_expect);
    free(m->explain_keys);
    free(m->explain_key_off);
}


/* The fractions of the training cover that go left and right. */

static inline void
mlp_cover_split(const mlp_model_t *m, const mlp_node_t *nd, double *zl,
    double *zr)
{
    double  l, r;

    l = m->cover[nd->a];
    r = m->cover[nd->a + 1];

    /*
     * Normalized by the children's sum, not the parent's cover, so that
     * they add to 1 and contributions add up exactly to the margin even
     * where a library's covers are rounded (XGBoost's float hessians)
     */
    *zl = l / (l + r);
    *zr = r / (l + r);
}


/* A tree's expected output k under its training cover. */

static double
mlp_tree_expect(const mlp_model_t *m, uint32_t n, uint32_t k, uint32_t depth)
{
    double             zl, zr;
    const mlp_node_t  *nd;

    nd = &m->nodes[n];

    if (nd->info & MLP_NODE_LEAF) {
        return m->leaves[(size_t) nd->a * m->leaf_width + k];
    }

    mlp_cover_split(m, nd, &zl, &zr);

    return zl * mlp_tree_expect(m, nd->a, k, depth + 1)
           + zr * mlp_tree_expect(m, nd->a + 1, k, depth + 1);
}


/* Whether the row goes right at a split: as the kernels decide. */

static inline uint32_t
mlp_shap_right(const mlp_model_t *m, const mlp_node_t *nd, const double *x,
    int lt)
{
    double           v;
    uint32_t         c, right;
    const uint32_t  *b;

    v = x[nd->info & MLP_NODE_FEATURE];

    if (isnan(v)) {
        return !(nd->info & MLP_NODE_DEFAULT_LEFT);
    }

    if (nd->info & MLP_NODE_CATEGORICAL) {
        right = !(nd->info & MLP_NODE_DEFAULT_LEFT);

        if (v > -2147483649.0 && v < 2147483648.0) {
            c = (uint8_t) (int32_t) v;
            b = m->bitsets + (size_t) 16 * (uint32_t) nd->threshold;

            if (b[c >> 5] & (1u << (c & 31))) {
                right = 0;

            } else if (b[8 + (c >> 5)] & (1u << (c & 31))) {
                right = 1;
            }
        }

        return right;
    }

    return lt ? !(v < nd->threshold) : !(v <= nd->threshold);
}


/*
 * The path grows by one feature: the weights of the subsets that leave it
 * out (times z) and that take it (times o), each subset size weighted as
 * the Shapley formula weighs it.
 */

static void
mlp_shap_extend(mlp_path_t *p, uint32_t len, double z, double o, uint32_t d)
{
    double    inv;
    uint32_t  i;

    p[len].d = d;
    p[len].z = z;
    p[len].o = o;
    p[len].w = (len == 0) ? 1.0 : 0.0;
    inv = mlp_inv[len + 1];

    for (i = len; i-- > 0; /* void */) {
        p[i + 1].w += o * p[i].w * (double) (i + 1) * inv;
        p[i].w = z * p[i].w * (double) (len - i) * inv;
    }
}


/* The inverse of extend: element k taken out of a path of len. */

static void
mlp_shap_unwind(mlp_path_t *p, uint32_t len, uint32_t k)
{
    double    next, t, z, o, lo, zl, lz;
    uint32_t  j;

    z = p[k].z;
    o = p[k].o;
    next = p[len - 1].w;

    if (o != 0.0) {
        lo = (double) len / o;
        zl = z * mlp_inv[len];

        for (j = len - 1; j-- > 0; /* void */) {
            t = p[j].w;
            p[j].w = next * lo * mlp_inv[j + 1];
            next = t - p[j].w * zl * (double) (len - 1 - j);
        }

    } else {
        lz = (double) len / z;

        for (j = len - 1; j-- > 0; /* void */) {
            p[j].w = p[j].w * lz * mlp_inv[len - 1 - j];
        }
    }

    for (j = k; j + 1 < len; j++) {
        p[j].d = p[j + 1].d;
        p[j].z = p[j + 1].z;
        p[j].o = p[j + 1].o;
    }
}


/*
 * The sum of the weights unwind would leave, without changing the path.
 * Every division of the paper's loops is a product by a reciprocal made
 * once (the table, or one division outside the loop): they were most of
 * the time, and a product rounds within an ulp of the quotient.
 */

static double
mlp_shap_unwound_sum(const mlp_path_t *p, uint32_t len, uint32_t k)
{
    double    next, t, z, o, total, lo, zl, lz;
    uint32_t  j;

    z = p[k].z;
    o = p[k].o;
    next = p[len - 1].w;
    total = 0.0;

    if (o != 0.0) {
        lo = (double) len / o;
        zl = z * mlp_inv[len];

        for (j = len - 1; j-- > 0; /* void */) {
            t = next * lo * mlp_inv[j + 1];
            total += t;
            next = p[j].w - t * zl * (double) (len - 1 - j);
        }

    } else {
        lz = (double) len / z;

        for (j = len - 1; j-- > 0; /* void */) {
            total += p[j].w * lz * mlp_inv[len - 1 - j];
        }
    }

    return total;
}


/*
 * Algorithm 2: the path from the root to node n, copied into the next
 * segment of the buffer so the parent's stays for its other child.
 */

static void
mlp_shap_recurse(mlp_shap_t *c, uint32_t n, mlp_path_t *parent,
    uint32_t len, double z, double o, uint32_t d)
{
    double              iz, io, zl, zr, wt;
    uint32_t            i, k, f, hot, right;
    mlp_path_t         *p;
    const double       *lv;
    const mlp_node_t   *nd;
    const mlp_model_t  *m;

    m = c->m;
    p = parent + len;
    memcpy(p, parent, len * sizeof(mlp_path_t));
    mlp_shap_extend(p, len, z, o, d);
    len++;

    nd = &m->nodes[n];

    if (nd->info & MLP_NODE_LEAF) {
        lv = m->leaves + (size_t) nd->a * m->leaf_width;

        for (i = 1; i < len; i++) {
            wt = mlp_shap_unwound_sum(p, len, i) * (p[i].o - p[i].z)
                 * c->scale;

            for (k = 0; k < m->leaf_width; k++) {
                c->phi[(size_t) p[i].d * m->n_groups + c->g + k] += wt * lv[k];
            }
        }

        return;
    }

    f = nd->info & MLP_NODE_FEATURE;
    right = mlp_shap_right(m, nd, c->x, c->lt);
    hot = nd->a + right;
    mlp_cover_split(m, nd, &zl, &zr);

    /* a feature met again on the path: its earlier fractions carry on */
    iz = 1.0;
    io = 1.0;

    for (k = 1; k < len; k++) {
        if (p[k].d == f) {
            break;
        }
    }

    if (k < len) {
        iz = p[k].z;
        io = p[k].o;
        mlp_shap_unwind(p, len, k);
        len--;
    }

    mlp_shap_recurse(c, hot, p, len, iz * (right ? zr : zl), io, f);
    mlp_shap_recurse(c, nd->a + !right, p, len, iz * (right ? zl : zr), 0.0,
                     f);
}


int
mlp_explain_check(const mlp_model_t *m, mlp_error_t *err)
{
    if (m->explains) {
        return 0;
    }

    mlp_error_set(err, 400, "this model cannot explain its predictions: %s",
                  m->explain_why);
    return -1;
}


uint32_t
mlp_explain_groups(const mlp_model_t *m)
{
    return m->explain_groups;
}


const double *
mlp_explain_base(const mlp_model_t *m)
{
    return m->explain_base;
}


size_t
mlp_explain_scratch(const mlp_model_t *m)
{
    return m->explain_scratch;
}


int
mlp_explain(const mlp_model_t *m, const double *x, size_t rows, double *phi,
    void *scratch, mlp_error_t *err)
{
    double       *xr, *fphi, *out, v, div;
    size_t        r, j, nf, ni, G;
    uint32_t      t, g, in;
    mlp_shap_t    c;
    mlp_path_t   *path;

    if (mlp_explain_check(m, err) != 0) {
        return -1;
    }

    nf = m->n_features;
    ni = m->n_inputs;
    G = m->explain_groups;

    memset(phi, 0, rows * G * ni * sizeof(double));

    if (m->kind != MLP_KIND_TREES) {
        for (r = 0; r < rows; r++) {
            out = phi + r * G * ni;

            for (j = 0; j < nf; j++) {
                in = m->feature_input[j];

                if (in >= ni) {
                    continue;
                }

                v = x[r * nf + j] - m->feature_mean[j];

                if (m->mean != NULL) {
                    v /= m->scale[j];
                }

                for (g = 0; g < G; g++) {
                    out[g * ni + in] += m->explain_coef[g * nf + j] * v;
                }
            }
        }

        return 0;
    }

    xr = scratch;
    fphi = xr + nf;
    path = (mlp_path_t *) (fphi + nf * G);
    div = (m->link == MLP_LINK_MEAN) ? (double) m->n_trees : 1.0;

    c.m = m;
    c.x = xr;
    c.phi = fphi;
    c.lt = (m->tree_flags & MLP_TREE_CMP_LT) != 0;

    for (r = 0; r < rows; r++) {
        /* the row as the trees see it, as mlp_trees_predict makes it */
        for (j = 0; j < nf; j++) {
            v = x[r * nf + j];

            if (m->mean != NULL) {
                v = (v - m->mean[j]) / m->scale[j];
            }

            if (m->tree_flags & MLP_TREE_INPUT_F32) {
                v = (double) (float) v;

                if (isinf(v)) {
                    mlp_error_set(err, 400, "feature values too large for "
                                  "this model: out of its number range");
                    return -1;
                }
            }

            xr[j] = v;
        }

        memset(fphi, 0, nf * G * sizeof(double));

        for (t = 0; t < m->n_trees; t++) {
            c.g = m->groups ? m->groups[t] : 0;
            c.scale = m->scales ? m->scales[t] : 1.0;
            mlp_shap_recurse(&c, m->roots[t], path, 0, 1.0, 1.0, MLP_NONE);
        }

        out = phi + r * G * ni;

        for (j = 0; j < nf; j++) {
            in = m->feature_input[j];

            if (in >= ni) {
                continue;
            }

            for (g = 0; g < G; g++) {
                out[g * ni + in] += fphi[j * G + g] / div;
            }
        }
    }

    for (j = 0; j < rows * G * ni; j++) {
        if (!isfinite(phi[j])) {
            mlp_error_set(err, 400, "feature values too large for this "
                          "model: a contribution is not a finite number");
            return -1;
        }
    }

    return 0;
}
