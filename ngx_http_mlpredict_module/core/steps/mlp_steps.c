
/*
 * Preprocessing steps (format version 2): each reads earlier columns of the
 * work row and writes its own, with scikit-learn's arithmetic, operation
 * for operation, so that the estimator sees the same doubles. Every index
 * and parameter a step reads is checked here at load; applying them checks
 * nothing but the client's values.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"


#define MLP_NONE          0xffffffffu
#define MLP_ENCODE_COL    7
#define MLP_BINS_COL      3

#define MLP_ENCODE_ONEHOT 0x01
#define MLP_AFFINE_MULADD 0x01
#define MLP_AFFINE_CLIP   0x02
#define MLP_BINS_ONEHOT   0x01

#define MLP_KEY_UNKNOWN_ERROR  0x01
#define MLP_KEY_MISSING_ERROR  0x02


typedef struct {
    const uint32_t           *u;
    uint64_t                  n_u;
    const double             *f;
    uint64_t                  n_f;
} mlp_pools_t;


static int mlp_step_check(const mlp_model_t *m, const mlp_pools_t *pl,
    uint32_t k, const uint32_t *e, mlp_step_t *st, char *err,
    size_t errlen);
static int mlp_step_encode_check(const mlp_model_t *m, const mlp_pools_t *pl,
    uint32_t k, mlp_step_t *st, char *err, size_t errlen);
static int mlp_step_bins_check(const mlp_pools_t *pl, uint32_t k,
    mlp_step_t *st, char *err, size_t errlen);
static int mlp_step_encode(const mlp_model_t *m, const mlp_step_t *st,
    const double *w, double *y, size_t row, mlp_error_t *err);
static void mlp_step_normalize(const mlp_step_t *st, const double *w,
    double *y);
static int mlp_is_int(double v, double lo, double hi);
static int mlp_step_finite(const mlp_model_t *m, const mlp_step_t *st,
    const double *w, size_t row, mlp_error_t *err);


static const char  *mlp_step_names[] = {
    "", "affine", "impute", "indicator", "encode", "function", "normalize",
    "binarize", "bins", "poly"
};


const char *
mlp_step_name(uint32_t type)
{
    return type <= MLP_STEP_MAX ? mlp_step_names[type] : "";
}


int
mlp_steps_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen)
{
    uint32_t              k, n, next;
    mlp_pools_t           pl;
    const uint32_t       *e;
    const double         *f;
    const mlp_section_t  *s;

    m->n_columns = m->n_inputs;

    memset(&pl, 0, sizeof(mlp_pools_t));

    /* every later u32 sum of indices stays below 2^33: no wrapping */
    for (k = MLP_SEC_STEPS; k <= MLP_SEC_STEP_F64; k++) {
        if (by_id[k] != NULL && by_id[k]->count > UINT32_MAX) {
            mlp_fail(err, errlen, "section id %u: %llu values, at most "
                     "2^32 - 1", k, (unsigned long long) by_id[k]->count);
            return -1;
        }
    }

    s = by_id[MLP_SEC_STEP_U32];

    if (s != NULL) {
        if (mlp_model_u32s(m, s, s->count, &pl.u, "step_u32", err, errlen)
            != 0)
        {
            return -1;
        }

        pl.n_u = s->count;
    }

    s = by_id[MLP_SEC_STEP_F64];

    if (s != NULL) {
        /* NaN is a value some steps output (ordinal codes); no infinity */
        if (s->dtype != MLP_DTYPE_F64) {
            mlp_fail(err, errlen, "step_f64: dtype %u, expected f64 (1)",
                     s->dtype);
            return -1;
        }

        f = (const double *) (m->base + s->offset);

        for (k = 0; k < s->count; k++) {
            if (isinf(f[k])) {
                mlp_fail(err, errlen, "step_f64[%u] is infinite", k);
                return -1;
            }
        }

        pl.f = f;
        pl.n_f = s->count;
        m->step_f = f;
    }

    s = by_id[MLP_SEC_STEPS];

    if (s == NULL) {
        if (pl.n_u || pl.n_f) {
            mlp_fail(err, errlen, "step parameters without steps (id 43)");
            return -1;
        }

        return 0;
    }

    if (s->dtype != MLP_DTYPE_U32 || s->count % 8 || s->count == 0) {
        mlp_fail(err, errlen, "steps: %llu u32 values are not 8 a step",
                 (unsigned long long) s->count);
        return -1;
    }

    n = (uint32_t) (s->count / 8);

    if (mlp_model_u32s(m, s, s->count, &e, "steps", err, errlen) != 0) {
        return -1;
    }

    m->steps = calloc(n, sizeof(mlp_step_t));
    if (m->steps == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    m->n_steps = n;
    next = m->n_inputs;

    for (k = 0; k < n; k++) {
        m->steps[k].out_first = next;

        if (mlp_step_check(m, &pl, k, e + 8 * k, &m->steps[k], err, errlen)
            != 0)
        {
            return -1;
        }

        if ((uint64_t) next + m->steps[k].out_width > MLP_MAX_COLUMNS) {
            mlp_fail(err, errlen, "step %u: the work row would have more "
                     "than %d columns", k, MLP_MAX_COLUMNS);
            return -1;
        }

        next += m->steps[k].out_width;
    }

    m->n_columns = next;

    return 0;
}


/* One step's entry and every parameter it will read. */

static int
mlp_step_check(const mlp_model_t *m, const mlp_pools_t *pl, uint32_t k,
    const uint32_t *e, mlp_step_t *st, char *err, size_t errlen)
{
    uint32_t    i, n_in, width;
    uint64_t    f_need, u_need;
    const char  *name;

    st->type = e[0];
    st->flags = e[1];
    st->n_in = n_in = e[2];
    st->out_width = width = e[4];
    name = mlp_step_name(st->type);

    if (st->type == 0 || st->type > MLP_STEP_MAX || e[7] != 0) {
        mlp_fail(err, errlen, "step %u: unknown type %u", k, st->type);
        return -1;
    }

    if (n_in == 0 || (uint64_t) e[3] + n_in > pl->n_u) {
        mlp_fail(err, errlen, "step %u (%s): %u input columns at %u, outside "
                 "step_u32 (%llu values)", k, name, n_in, e[3],
                 (unsigned long long) pl->n_u);
        return -1;
    }

    st->in = pl->u + e[3];

    for (i = 0; i < n_in; i++) {
        if (st->in[i] >= st->out_first) {
            mlp_fail(err, errlen, "step %u (%s): input column %u is not "
                     "written before the step (it starts at column %u)", k,
                     name, st->in[i], st->out_first);
            return -1;
        }
    }

    /* what the step reads from the pools, by type */
    f_need = 0;
    u_need = 0;

    switch (st->type) {

    case MLP_STEP_AFFINE:
        f_need = 2 * (uint64_t) n_in
                 + ((st->flags & MLP_AFFINE_CLIP) ? 2 : 0);
        break;

    case MLP_STEP_IMPUTE:
    case MLP_STEP_BINARIZE:
        f_need = n_in;
        break;

    case MLP_STEP_ENCODE:
        u_need = (uint64_t) MLP_ENCODE_COL * n_in;
        break;

    case MLP_STEP_FUNCTION:
        u_need = 1;
        break;

    case MLP_STEP_BINS:
        u_need = (uint64_t) MLP_BINS_COL * n_in;
        break;

    case MLP_STEP_POLY:
        u_need = 2 * (uint64_t) width;
        break;

    default:
        break;
    }

    if ((uint64_t) e[5] + f_need > pl->n_f
        || (uint64_t) e[6] + u_need > pl->n_u)
    {
        mlp_fail(err, errlen, "step %u (%s): parameters outside the pools",
                 k, name);
        return -1;
    }

    st->f = pl->f ? pl->f + e[5] : NULL;
    st->u = pl->u ? pl->u + e[6] : NULL;

    switch (st->type) {

    case MLP_STEP_AFFINE:
        if (width != n_in || (st->flags & ~3u)) {
            goto bad_shape;
        }

        for (i = 0; i < f_need; i++) {
            if (isnan(st->f[i])) {
                mlp_fail(err, errlen, "step %u (affine): parameter %u is "
                         "NaN", k, i);
                return -1;
            }
        }

        for (i = 0; !(st->flags & MLP_AFFINE_MULADD) && i < n_in; i++) {
            if (st->f[n_in + i] == 0.0) {
                mlp_fail(err, errlen, "step %u (affine): divides column %u "
                         "by zero", k, i);
                return -1;
            }
        }

        if ((st->flags & MLP_AFFINE_CLIP)
            && !(st->f[2 * n_in] <= st->f[2 * n_in + 1]))
        {
            mlp_fail(err, errlen, "step %u (affine): clip range is empty",
                     k);
            return -1;
        }

        return 0;

    case MLP_STEP_IMPUTE:
    case MLP_STEP_BINARIZE:
        if (width != n_in || st->flags != 0) {
            goto bad_shape;
        }

        for (i = 0; i < n_in; i++) {
            if (isnan(st->f[i])) {
                mlp_fail(err, errlen, "step %u (%s): value %u is NaN", k,
                         name, i);
                return -1;
            }
        }

        return 0;

    case MLP_STEP_INDICATOR:
        if (width != n_in || st->flags != 0) {
            goto bad_shape;
        }

        return 0;

    case MLP_STEP_FUNCTION:
        if (width != n_in || st->flags != 0 || st->u[0] == MLP_FUNC_NONE
            || st->u[0] > MLP_FUNC_MAX)
        {
            goto bad_shape;
        }

        return 0;

    case MLP_STEP_NORMALIZE:
        if (width != n_in || st->flags > 2) {
            goto bad_shape;
        }

        return 0;

    case MLP_STEP_ENCODE:
        if (st->flags & ~(uint32_t) MLP_ENCODE_ONEHOT) {
            goto bad_shape;
        }

        return mlp_step_encode_check(m, pl, k, st, err, errlen);

    case MLP_STEP_BINS:
        if (st->flags & ~(uint32_t) MLP_BINS_ONEHOT) {
            goto bad_shape;
        }

        return mlp_step_bins_check(pl, k, st, err, errlen);

    default: /* MLP_STEP_POLY */
        if (st->flags != 0) {
            goto bad_shape;
        }

        for (i = 0; i < width; i++) {
            if ((st->u[2 * i] != MLP_NONE && st->u[2 * i] >= i)
                || (st->u[2 * i + 1] != MLP_NONE
                    && st->u[2 * i + 1] >= n_in))
            {
                mlp_fail(err, errlen, "step %u (poly): term %u reads a "
                         "term or column it cannot", k, i);
                return -1;
            }
        }

        return 0;
    }

bad_shape:

    mlp_fail(err, errlen, "step %u (%s): %u inputs, %u outputs, flags 0x%x "
             "or its function do not fit the type", k, name, n_in, width,
             st->flags);
    return -1;
}


static int
mlp_step_encode_check(const mlp_model_t *m, const mlp_pools_t *pl,
    uint32_t k, mlp_step_t *st, char *err, size_t errlen)
{
    double           v;
    uint32_t         i, j, n_keys, width;
    uint64_t         total;
    const double    *keys, *vals;
    const uint32_t  *c;

    total = 0;

    for (i = 0; i < st->n_in; i++) {
        c = st->u + MLP_ENCODE_COL * i;
        n_keys = c[1];
        width = c[4];

        if (c[0] > 1 || (c[5] & ~3u) || c[6] >= m->n_inputs
            || (!(st->flags & MLP_ENCODE_ONEHOT) && width != 1)
            || n_keys > INT32_MAX)
        {
            mlp_fail(err, errlen, "step %u (encode): column %u has a bad "
                     "domain, flags, input or width", k, i);
            return -1;
        }

        if ((uint64_t) c[3] + n_keys + 2 > pl->n_f
            || (c[0] == 0 && (uint64_t) c[2] + n_keys > pl->n_f))
        {
            mlp_fail(err, errlen, "step %u (encode): column %u's tables lie "
                     "outside step_f64", k, i);
            return -1;
        }

        if (c[0] == 0) {
            keys = pl->f + c[2];

            for (j = 0; j < n_keys; j++) {
                if (isnan(keys[j]) || (j && !(keys[j - 1] < keys[j]))) {
                    mlp_fail(err, errlen, "step %u (encode): column %u's "
                             "keys are not ascending numbers", k, i);
                    return -1;
                }
            }
        }

        vals = pl->f + c[3];

        for (j = 0; (st->flags & MLP_ENCODE_ONEHOT) && j < n_keys + 2; j++) {
            v = vals[j];

            if (!mlp_is_int(v, -1, (double) width - 1)) {
                mlp_fail(err, errlen, "step %u (encode): column %u maps a "
                         "key to slot %g of a block of %u", k, i, v, width);
                return -1;
            }
        }

        total += width;
    }

    if (total != st->out_width) {
        mlp_fail(err, errlen, "step %u (encode): blocks of %llu columns in "
                 "all, the step writes %u", k, (unsigned long long) total,
                 st->out_width);
        return -1;
    }

    return 0;
}


static int
mlp_step_bins_check(const mlp_pools_t *pl, uint32_t k, mlp_step_t *st,
    char *err, size_t errlen)
{
    uint32_t         i, j, n;
    uint64_t         total;
    const double    *edges;
    const uint32_t  *c;

    total = 0;

    for (i = 0; i < st->n_in; i++) {
        c = st->u + MLP_BINS_COL * i;
        n = c[0];

        if ((uint64_t) c[1] + n > pl->n_f
            || c[2] != ((st->flags & MLP_BINS_ONEHOT) ? (uint64_t) n + 1 : 1))
        {
            mlp_fail(err, errlen, "step %u (bins): column %u's edges or "
                     "width do not fit", k, i);
            return -1;
        }

        edges = pl->f + c[1];

        for (j = 0; j < n; j++) {
            if (isnan(edges[j]) || (j && edges[j - 1] > edges[j])) {
                mlp_fail(err, errlen, "step %u (bins): column %u's edges "
                         "are not ascending numbers", k, i);
                return -1;
            }
        }

        total += c[2];
    }

    if (total != st->out_width) {
        mlp_fail(err, errlen, "step %u (bins): %llu columns in all, the step "
                 "writes %u", k, (unsigned long long) total, st->out_width);
        return -1;
    }

    return 0;
}


/*
 * What each scikit-learn step's check_array refuses in its input: an
 * infinity everywhere but FunctionTransformer (validate=False), NaN too in
 * Normalizer, Binarizer, PolynomialFeatures and KBinsDiscretizer.
 */

static int
mlp_step_finite(const mlp_model_t *m, const mlp_step_t *st, const double *w,
    size_t row, mlp_error_t *err)
{
    int          nan_ok;
    double       v;
    uint32_t     i, c;
    const char  *what;

    if (st->type == MLP_STEP_FUNCTION) {
        return 0;
    }

    nan_ok = (st->type != MLP_STEP_NORMALIZE && st->type != MLP_STEP_BINARIZE
              && st->type != MLP_STEP_POLY && st->type != MLP_STEP_BINS);

    for (i = 0; i < st->n_in; i++) {
        v = w[st->in[i]];

        if (isfinite(v) || (nan_ok && isnan(v))) {
            continue;
        }

        c = st->in[i];
        what = isnan(v) ? "a missing value" : "an infinity";

        if (c < m->n_inputs) {
            mlp_error_set(err, 400, "row %zu: feature \"%.*s\": %s reaches "
                          "the %s step, which takes none", row,
                          mlp_shown(m->input_names[c].s,
                                    m->input_names[c].len),
                          m->input_names[c].s, what,
                          mlp_step_name(st->type));

        } else {
            mlp_error_set(err, 400, "row %zu: %s reaches the %s step, "
                          "which takes none", row, what,
                          mlp_step_name(st->type));
        }

        return -1;
    }

    return 0;
}


static int
mlp_is_int(double v, double lo, double hi)
{
    return v >= lo && v <= hi && v == floor(v);
}


double
mlp_func_apply(uint32_t func, double v)
{
    switch (func) {
    case MLP_FUNC_LOG1P:
        return log1p(v);
    case MLP_FUNC_LOG:
        return log(v);
    case MLP_FUNC_EXP:
        return exp(v);
    case MLP_FUNC_EXPM1:
        return expm1(v);
    case MLP_FUNC_SQRT:
        return sqrt(v);
    case MLP_FUNC_ABS:
        return fabs(v);
    default:
        return v;
    }
}


/*
 * Rows of inputs (rows * n_inputs, codes for categories, NaN for missing)
 * to rows of features (rows * n_features), through a work row of
 * n_columns. first_row numbers the rows in messages.
 */

int
mlp_steps_apply(const mlp_model_t *m, const double *in, size_t rows,
    size_t first_row, double *w, double *out, mlp_error_t *err)
{
    double             v, lo, hi;
    size_t             r;
    uint32_t           k, i, n, nf;
    const double      *x, *pool;
    const mlp_step_t  *st;

    nf = m->n_features;
    pool = m->step_f;

    for (r = 0; r < rows; r++) {
        memcpy(w, in + r * m->n_inputs, m->n_inputs * sizeof(double));

        for (k = 0; k < m->n_steps; k++) {
            st = &m->steps[k];
            n = st->n_in;
            x = st->f;

            if (mlp_step_finite(m, st, w, first_row + r, err) != 0) {
                return -1;
            }

            switch (st->type) {

            case MLP_STEP_AFFINE:
                if (st->flags & MLP_AFFINE_MULADD) {
                    for (i = 0; i < n; i++) {
                        w[st->out_first + i] = w[st->in[i]] * x[i]
                                               + x[n + i];
                    }

                } else {
                    for (i = 0; i < n; i++) {
                        w[st->out_first + i] = (w[st->in[i]] - x[i])
                                               / x[n + i];
                    }
                }

                if (st->flags & MLP_AFFINE_CLIP) {
                    lo = x[2 * n];
                    hi = x[2 * n + 1];

                    for (i = 0; i < n; i++) {
                        v = w[st->out_first + i];
                        v = (v < lo) ? lo : v;
                        w[st->out_first + i] = (v > hi) ? hi : v;
                    }
                }

                break;

            case MLP_STEP_IMPUTE:
                for (i = 0; i < n; i++) {
                    v = w[st->in[i]];
                    w[st->out_first + i] = isnan(v) ? x[i] : v;
                }

                break;

            case MLP_STEP_INDICATOR:
                for (i = 0; i < n; i++) {
                    w[st->out_first + i] = isnan(w[st->in[i]]) ? 1.0 : 0.0;
                }

                break;

            case MLP_STEP_FUNCTION:
                for (i = 0; i < n; i++) {
                    w[st->out_first + i] = mlp_func_apply(st->u[0],
                                                          w[st->in[i]]);
                }

                break;

            case MLP_STEP_BINARIZE:
                for (i = 0; i < n; i++) {
                    w[st->out_first + i] = (w[st->in[i]] > x[i]) ? 1.0 : 0.0;
                }

                break;

            case MLP_STEP_NORMALIZE:
                mlp_step_normalize(st, w, w + st->out_first);
                break;

            case MLP_STEP_ENCODE:
                if (mlp_step_encode(m, st, w, w + st->out_first,
                                    first_row + r, err)
                    != 0)
                {
                    return -1;
                }

                break;

            case MLP_STEP_BINS:
                {
                    double          *y;
                    uint32_t         lo_i, hi_i, mid, j;
                    const uint32_t  *c;

                    y = w + st->out_first;

                    for (i = 0; i < n; i++) {
                        c = st->u + MLP_BINS_COL * i;
                        v = w[st->in[i]];

                        /* the inner edges <= v: searchsorted, side right */
                        lo_i = 0;
                        hi_i = c[0];

                        while (lo_i < hi_i) {
                            mid = lo_i + (hi_i - lo_i) / 2;

                            if (pool[c[1] + mid] <= v) {
                                lo_i = mid + 1;

                            } else {
                                hi_i = mid;
                            }
                        }

                        if (!(st->flags & MLP_BINS_ONEHOT)) {
                            *y++ = (double) lo_i;
                            continue;
                        }

                        for (j = 0; j < c[2]; j++) {
                            y[j] = (j == lo_i) ? 1.0 : 0.0;
                        }

                        y += c[2];
                    }
                }

                break;

            default: /* MLP_STEP_POLY */
                {
                    double          *y;
                    uint32_t         left, f;

                    y = w + st->out_first;

                    for (i = 0; i < st->out_width; i++) {
                        left = st->u[2 * i];
                        f = st->u[2 * i + 1];

                        if (left == MLP_NONE) {
                            y[i] = (f == MLP_NONE) ? 1.0 : w[st->in[f]];

                        } else {
                            y[i] = (f == MLP_NONE)
                                   ? y[left] : y[left] * w[st->in[f]];
                        }
                    }
                }
            }
        }

        for (i = 0; i < nf; i++) {
            v = w[m->out_cols[i]];

            /* scikit-learn's check_array: finite, but where NaN is taken */
            if (!isfinite(v) && !(m->takes_nan && isnan(v))) {
                mlp_error_set(err, 400, "row %zu: the estimator's feature "
                              "\"%.*s\" is %s after preprocessing, and the "
                              "estimator takes no %s", first_row + r,
                              mlp_shown(m->features[i].s,
                                        m->features[i].len),
                              m->features[i].s,
                              isnan(v) ? "NaN" : "infinite",
                              isnan(v) ? "missing value" : "infinity");
                return -1;
            }

            out[r * nf + i] = v;
        }
    }

    return 0;
}


static int
mlp_step_encode(const mlp_model_t *m, const mlp_step_t *st, const double *w,
    double *y, size_t row, mlp_error_t *err)
{
    double           v, out;
    uint32_t         i, j, lo, hi, mid, n_keys, width;
    const char      *name;
    const double    *keys, *vals;
    const uint32_t  *c;

    for (i = 0; i < st->n_in; i++) {
        c = st->u + MLP_ENCODE_COL * i;
        n_keys = c[1];
        width = c[4];
        vals = m->step_f + c[3];
        v = w[st->in[i]];

        if (isnan(v)) {
            j = n_keys + 1;

        } else if (c[0] == 1) {
            j = (v >= 0 && v < n_keys && v == floor(v)) ? (uint32_t) v
                                                         : n_keys;

        } else {
            keys = m->step_f + c[2];
            lo = 0;
            hi = n_keys;

            while (lo < hi) {
                mid = lo + (hi - lo) / 2;

                if (keys[mid] < v) {
                    lo = mid + 1;

                } else {
                    hi = mid;
                }
            }

            j = (lo < n_keys && keys[lo] == v) ? lo : n_keys;
        }

        if ((j == n_keys && (c[5] & MLP_KEY_UNKNOWN_ERROR))
            || (j == n_keys + 1 && (c[5] & MLP_KEY_MISSING_ERROR)))
        {
            name = m->input_names[c[6]].s;

            if (j == n_keys + 1) {
                mlp_error_set(err, 400, "row %zu: feature \"%.64s\" is "
                              "missing and its encoder takes no missing "
                              "value", row, name);

            } else if (c[0] == 0 && n_keys == 0) {
                mlp_error_set(err, 400, "row %zu: feature \"%.64s\": "
                              "unknown category %.17g (its encoder knows "
                              "none)", row, name, v);

            } else if (c[0] == 0) {
                mlp_error_set(err, 400, "row %zu: feature \"%.64s\": "
                              "unknown category %.17g (known: %.17g%s)",
                              row, name, v, m->step_f[c[2]],
                              n_keys > 1 ? ", ..." : "");

            } else if (v >= 0 && v < m->inputs[c[6]].n_cats
                       && v == floor(v))
            {
                mlp_error_set(err, 400, "row %zu: feature \"%.64s\": "
                              "unknown category \"%.64s\" for its encoder",
                              row, name,
                              m->inputs[c[6]].cats[(uint32_t) v].s);

            } else {
                mlp_error_set(err, 400, "row %zu: feature \"%.64s\": a "
                              "category its encoder does not know", row,
                              name);
            }

            return -1;
        }

        out = vals[j];

        if (st->flags & MLP_ENCODE_ONEHOT) {
            for (j = 0; j < width; j++) {
                y[j] = 0.0;
            }

            if (out >= 0) {
                y[(uint32_t) out] = 1.0;
            }

            y += width;

        } else {
            *y++ = out;
        }
    }

    return 0;
}


/*
 * Normalizer: x / norm(x), a zero norm taken as 1, as sklearn's normalize
 * computes it (l1: sum of |x|, l2: sqrt of the sum of squares, max).
 */

static void
mlp_step_normalize(const mlp_step_t *st, const double *w, double *y)
{
    double    norm, v;
    uint32_t  i;

    norm = 0.0;

    for (i = 0; i < st->n_in; i++) {
        v = w[st->in[i]];

        switch (st->flags) {
        case 0:
            norm += fabs(v);
            break;
        case 1:
            norm += v * v;
            break;
        default:
            norm = (fabs(v) > norm) ? fabs(v) : norm;
        }
    }

    if (st->flags == 1) {
        norm = sqrt(norm);
    }

    if (norm == 0.0) {
        norm = 1.0;
    }

    for (i = 0; i < st->n_in; i++) {
        y[i] = w[st->in[i]] / norm;
    }
}
