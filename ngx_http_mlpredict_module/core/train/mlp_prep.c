
/*
 * The data preparation of `mlpredict train`: the label as classes or
 * values, the shuffled split, and the pipeline fitted on the training rows
 * and written into the model file as steps (models/FORMAT.md), so that
 * the server prepares a request's row exactly as the training rows were:
 *
 *   ColumnTransformer([
 *       ("num", Pipeline([SimpleImputer(strategy="mean"),
 *                         StandardScaler()]), numeric_columns),
 *       ("cat", Pipeline([SimpleImputer(strategy="most_frequent"),
 *                         OneHotEncoder(handle_unknown="ignore")]),
 *        other_columns)])
 *
 * (no StandardScaler for trees and forests). The statistics are computed
 * as scikit-learn 1.2 computes them, in the same order of operations.
 */

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"
#include "train/mlp_train.h"


/* a numeric label of at most this many integer values is classes */
#define MLP_TRAIN_CLASS_VALUES  20


static int mlp_double_cmp(const void *a, const void *b);
static void *mlp_prep_keep(mlp_prep_t *p, size_t size);


uint64_t
mlp_train_rand(uint64_t *state)
{
    uint64_t  z;

    z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;

    return z ^ (z >> 31);
}


int
mlp_train_split(size_t n, size_t n_test, uint64_t seed, size_t *train,
    size_t *test)
{
    size_t          i, j, a, b, tmp, *perm;
    uint64_t        s;
    unsigned char  *held;

    perm = malloc((n ? n : 1) * sizeof(size_t));
    held = calloc(n ? n : 1, 1);

    if (perm == NULL || held == NULL) {
        free(perm);
        free(held);
        return -1;
    }

    for (i = 0; i < n; i++) {
        perm[i] = i;
    }

    s = seed;

    for (i = n; i-- > 1; /* void */) {
        j = (size_t) ((double) (mlp_train_rand(&s) >> 11)
                      * 0x1.0p-53 * (double) (i + 1));
        tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }

    for (i = 0; i < n_test; i++) {
        held[perm[i]] = 1;
    }

    a = b = 0;

    for (i = 0; i < n; i++) {
        if (held[i]) {
            test[b++] = i;

        } else {
            train[a++] = i;
        }
    }

    free(perm);
    free(held);

    return 0;
}


/* ------------------------------------------------------------- label */


static int
mlp_double_cmp(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}


int
mlp_target_is_classes(const mlp_table_t *t, size_t col)
{
    double            v, seen[MLP_TRAIN_CLASS_VALUES];
    size_t            r, k, n;
    const mlp_tcol_t  *c;

    c = &t->col[col];

    if (!c->numeric) {
        return 1;
    }

    n = 0;

    for (r = 0; r < t->n_rows; r++) {
        v = c->num[r];

        if (isnan(v)) {
            continue;
        }

        if (v != floor(v)) {
            return 0;
        }

        for (k = 0; k < n && seen[k] != v; k++) {
            /* void */
        }

        if (k == n) {
            if (n == MLP_TRAIN_CLASS_VALUES) {
                return 0;
            }

            seen[n++] = v;
        }
    }

    return 1;
}


int
mlp_target_make(const mlp_table_t *t, size_t col, int classify,
    mlp_target_t *tg, char *err, size_t errlen)
{
    char              *p, buf[MLP_DOUBLE_MAX_LEN + 1];
    double            *vals, v;
    size_t             r, k, n, lo, hi, mid, size;
    const mlp_tcol_t  *c;

    memset(tg, 0, sizeof(mlp_target_t));
    c = &t->col[col];

    for (r = 0; r < t->n_rows; r++) {
        if (c->numeric ? isnan(c->num[r]) : c->code[r] == MLP_TRAIN_MISSING) {
            /* the caller names the file */
            mlp_fail(err, errlen, "line %zu: the label \"%s\" is missing",
                     t->line[r], c->name);
            return -1;
        }
    }

    tg->y = malloc((t->n_rows ? t->n_rows : 1) * sizeof(double));
    if (tg->y == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    if (!classify) {
        if (!c->numeric) {
            mlp_fail(err, errlen, "the label \"%s\" is not numeric (line "
                     "%zu: \"%s\"): this algorithm predicts numbers",
                     c->name, t->line[0], c->cats[c->code[0]]);
            return -1;
        }

        for (r = 0; r < t->n_rows; r++) {
            tg->y[r] = c->num[r];

            if (c->num[r] != c->num[0]) {
                tg->n_classes = 1;      /* (more than one value) */
            }
        }

        if (tg->n_classes == 0 && t->n_rows > 0) {
            mlp_fail(err, errlen, "the label \"%s\" has one value: nothing "
                     "to learn", c->name);
            return -1;
        }

        tg->n_classes = 0;

        return 0;
    }

    if (!c->numeric) {
        /* every category of the column appears in it */
        n = c->n_cats;
        size = 0;

        for (k = 0; k < n; k++) {
            size += 6 * (size_t) c->cat_len[k] + 3;
        }

        tg->labels = malloc((n ? n : 1) * sizeof(char *));
        p = malloc(size ? size : 1);

        if (tg->labels == NULL || p == NULL) {
            free(p);
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        for (k = 0; k < n; k++) {
            tg->labels[k] = p;
            p += mlp_json_escape(c->cats[k], c->cat_len[k], p);
            *p++ = '\0';
        }

        tg->labels_size = p - tg->labels[0];

        for (r = 0; r < t->n_rows; r++) {
            tg->y[r] = c->code[r];
        }

    } else {
        vals = malloc((t->n_rows ? t->n_rows : 1) * sizeof(double));
        if (vals == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        memcpy(vals, c->num, t->n_rows * sizeof(double));
        qsort(vals, t->n_rows, sizeof(double), mlp_double_cmp);

        for (r = 0, n = 0; r < t->n_rows; r++) {
            if (n == 0 || vals[r] != vals[n - 1]) {
                vals[n++] = vals[r];
            }
        }

        if (n > MLP_TRAIN_MAX_CATS) {
            mlp_fail(err, errlen, "the label \"%s\" has over %d distinct "
                     "values: too many classes", c->name,
                     MLP_TRAIN_MAX_CATS);
            free(vals);
            return -1;
        }

        tg->labels = malloc((n ? n : 1) * sizeof(char *));
        /* each label its text and its '\0' */
        p = malloc(n * (MLP_DOUBLE_MAX_LEN + 1) + 1);

        if (tg->labels == NULL || p == NULL) {
            free(vals);
            free(p);
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        for (k = 0; k < n; k++) {
            tg->labels[k] = p;
            /* -0 and 0 are one class; JSON has no -0 label to match */
            v = vals[k] == 0 ? 0 : vals[k];
            size = mlp_write_double(v, buf);
            memcpy(p, buf, size);
            p += size;
            *p++ = '\0';
        }

        tg->labels_size = p - tg->labels[0];

        for (r = 0; r < t->n_rows; r++) {
            lo = 0;
            hi = n - 1;

            while (lo < hi) {
                mid = lo + (hi - lo) / 2;

                if (vals[mid] < c->num[r]) {
                    lo = mid + 1;

                } else {
                    hi = mid;
                }
            }

            tg->y[r] = (double) lo;
        }

        free(vals);
    }

    tg->n_classes = (uint32_t) n;

    if (n < 2) {
        mlp_fail(err, errlen, "the label \"%s\" has one value: nothing to "
                 "learn", c->name);
        return -1;
    }

    return 0;
}


void
mlp_target_free(mlp_target_t *tg)
{
    if (tg->labels != NULL) {
        free(tg->labels[0]);
    }

    free(tg->labels);
    free(tg->y);
    memset(tg, 0, sizeof(mlp_target_t));
}


/* ------------------------------------------------------- preparation */


static void *
mlp_prep_keep(mlp_prep_t *p, size_t size)
{
    size_t  i;

    for (i = 0; i < sizeof(p->mem) / sizeof(p->mem[0]); i++) {
        if (p->mem[i] == NULL) {
            p->mem[i] = calloc(1, size ? size : 1);
            return p->mem[i];
        }
    }

    return NULL;
}


mlp_prep_t *
mlp_prep_fit(const mlp_table_t *t, const uint32_t *inputs, uint32_t n_inputs,
    const size_t *rows, size_t n, int scale, char *err, size_t errlen)
{
    double             v, sum, cnt, mean, corr, sq, var, bound;
    size_t             r, *count, best;
    uint32_t           i, k, f, known;
    mlp_prep_t        *p;
    const mlp_tcol_t  *c;

    p = calloc(1, sizeof(mlp_prep_t));
    if (p == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return NULL;
    }

    p->n_inputs = n_inputs;
    p->scale = scale;
    p->col = malloc(n_inputs * sizeof(uint32_t));
    p->fill = calloc(n_inputs, sizeof(double));
    p->mean = calloc(n_inputs, sizeof(double));
    p->sd = calloc(n_inputs, sizeof(double));
    p->map = calloc(n_inputs, sizeof(int32_t *));
    p->n_known = calloc(n_inputs, sizeof(uint32_t));
    p->first = calloc(n_inputs, sizeof(uint32_t));

    if (p->col == NULL || p->fill == NULL || p->mean == NULL
        || p->sd == NULL || p->map == NULL || p->n_known == NULL
        || p->first == NULL)
    {
        goto nomem;
    }

    memcpy(p->col, inputs, n_inputs * sizeof(uint32_t));

    for (i = 0; i < n_inputs; i++) {
        c = &t->col[inputs[i]];

        if (c->numeric) {
            /* SimpleImputer(mean): np.ma.mean, the values present */
            sum = 0;
            cnt = 0;

            for (r = 0; r < n; r++) {
                v = c->num[rows[r]];

                if (!isnan(v)) {
                    sum += v;
                    cnt++;
                }
            }

            if (cnt == 0) {
                mlp_fail(err, errlen, "column \"%s\" has no value in the "
                         "training rows", c->name);
                goto failed;
            }

            p->fill[i] = sum / cnt;
            p->n_num++;

            if (!scale) {
                continue;
            }

            /*
             * StandardScaler on the imputed column, as scikit-learn's
             * _incremental_mean_and_var: the mean, then the squared
             * deviations less the square of their (rounding) sum over n
             */
            if (c->n_missing != 0) {
                sum = 0;

                for (r = 0; r < n; r++) {
                    v = c->num[rows[r]];
                    sum += isnan(v) ? p->fill[i] : v;
                }
            }

            /* with nothing imputed, the same sum in the same order */
            mean = sum / (double) n;
            corr = 0;
            sq = 0;

            for (r = 0; r < n; r++) {
                v = c->num[rows[r]];
                v = (isnan(v) ? p->fill[i] : v) - mean;
                corr += v;
                sq += v * v;
            }

            var = (sq - corr * corr / (double) n) / (double) n;
            p->mean[i] = mean;

            /* _is_constant_feature: a variance within rounding of 0 */
            bound = (double) n * DBL_EPSILON * var
                    + ((double) n * mean * DBL_EPSILON)
                      * ((double) n * mean * DBL_EPSILON);
            p->sd[i] = (var <= bound) ? 1.0 : sqrt(var);

            continue;
        }

        /* SimpleImputer(most_frequent): the smallest value of most rows */
        count = calloc(c->n_cats ? c->n_cats : 1, sizeof(size_t));
        p->map[i] = malloc((c->n_cats ? c->n_cats : 1) * sizeof(int32_t));

        if (count == NULL || p->map[i] == NULL) {
            free(count);
            goto nomem;
        }

        for (r = 0; r < n; r++) {
            if (c->code[rows[r]] != MLP_TRAIN_MISSING) {
                count[c->code[rows[r]]]++;
            }
        }

        known = 0;
        best = 0;

        for (k = 0; k < c->n_cats; k++) {
            if (count[k] == 0) {
                p->map[i][k] = -1;
                continue;
            }

            if (count[k] > best) {
                best = count[k];
                p->fill[i] = known;
            }

            p->map[i][k] = (int32_t) known++;
        }

        free(count);

        if (known == 0) {
            mlp_fail(err, errlen, "column \"%s\" has no value in the "
                     "training rows", c->name);
            goto failed;
        }

        p->n_known[i] = known;
    }

    /* the features: numbers first, then each category's one-hot block */
    f = 0;

    for (i = 0; i < n_inputs; i++) {
        if (t->col[inputs[i]].numeric) {
            p->first[i] = f++;
        }
    }

    for (i = 0; i < n_inputs; i++) {
        if (!t->col[inputs[i]].numeric) {
            p->first[i] = f;
            f += p->n_known[i];
        }
    }

    if (f > MLP_MAX_FEATURES) {
        mlp_fail(err, errlen, "%u features: at most %d", f,
                 MLP_MAX_FEATURES);
        goto failed;
    }

    p->n_features = f;

    return p;

nomem:

    mlp_fail(err, errlen, "out of memory");

failed:

    mlp_prep_free(p);

    return NULL;
}


void
mlp_prep_matrix(const mlp_prep_t *p, const mlp_table_t *t,
    const size_t *rows, size_t n, double *x)
{
    double            *row, v;
    size_t             r;
    uint32_t           i, code;
    int32_t            k;
    const mlp_tcol_t  *c;

    /* the one-hot blocks' zeros: numbers fill every feature otherwise */
    if (p->n_num < p->n_inputs) {
        memset(x, 0, n * p->n_features * sizeof(double));
    }

    for (r = 0; r < n; r++) {
        row = x + r * p->n_features;

        for (i = 0; i < p->n_inputs; i++) {
            c = &t->col[p->col[i]];

            if (c->numeric) {
                v = c->num[rows[r]];
                v = isnan(v) ? p->fill[i] : v;
                row[p->first[i]] = p->scale ? (v - p->mean[i]) / p->sd[i]
                                            : v;
                continue;
            }

            code = c->code[rows[r]];
            k = (code == MLP_TRAIN_MISSING) ? (int32_t) p->fill[i]
                                            : p->map[i][code];

            /* a category the training rows lack sets no column */
            if (k >= 0) {
                row[p->first[i] + k] = 1.0;
            }
        }
    }
}


void
mlp_prep_inputs(const mlp_prep_t *p, const mlp_table_t *t,
    const size_t *rows, size_t n, double *x)
{
    size_t             r;
    uint32_t           i, code;
    const mlp_tcol_t  *c;

    for (r = 0; r < n; r++) {
        for (i = 0; i < p->n_inputs; i++) {
            c = &t->col[p->col[i]];

            if (c->numeric) {
                x[r * p->n_inputs + i] = c->num[rows[r]];
                continue;
            }

            code = c->code[rows[r]];
            x[r * p->n_inputs + i] = (code == MLP_TRAIN_MISSING)
                                     ? NAN : (double) p->map[i][code];
        }
    }
}


int
mlp_prep_write(mlp_prep_t *p, const mlp_table_t *t, mlp_writer_t *w,
    char *err, size_t errlen)
{
    char              *names, *inames, *cvals, *s;
    char             **sorted;
    double            *f64;
    size_t             size, nsize, csize, ncat, j;
    uint32_t           i, k, n_num, n_cat, *info, *steps, *u32, *outc, f;
    uint32_t           nu, nf, ns, col, num_out, cat_out, *st;
    const mlp_tcol_t  *c;

    n_num = p->n_num;
    n_cat = p->n_inputs - n_num;

    /* the strings: inputs' names, categories' values, features' names */
    size = 0;
    nsize = 0;
    csize = 0;
    ncat = 0;

    for (i = 0; i < p->n_inputs; i++) {
        c = &t->col[p->col[i]];
        size += c->name_len + 1;

        if (c->numeric) {
            nsize += c->name_len + 6;
            continue;
        }

        for (k = 0; k < c->n_cats; k++) {
            if (p->map[i][k] >= 0) {
                csize += c->cat_len[k] + 1;
                nsize += c->name_len + c->cat_len[k] + 7;
                ncat++;
            }
        }
    }

    inames = mlp_prep_keep(p, size);
    cvals = mlp_prep_keep(p, csize);
    names = mlp_prep_keep(p, nsize);
    info = mlp_prep_keep(p, 4 * sizeof(uint32_t) * p->n_inputs);
    steps = mlp_prep_keep(p, 4 * 8 * sizeof(uint32_t));
    u32 = mlp_prep_keep(p, (2 * (size_t) p->n_inputs + 7 * n_cat)
                           * sizeof(uint32_t));
    f64 = mlp_prep_keep(p, (3 * (size_t) n_num + n_cat + ncat + 2 * n_cat)
                           * sizeof(double));
    outc = mlp_prep_keep(p, (size_t) p->n_features * sizeof(uint32_t));

    if (inames == NULL || cvals == NULL || names == NULL || info == NULL
        || steps == NULL || u32 == NULL || f64 == NULL || outc == NULL)
    {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    s = inames;

    for (i = 0; i < p->n_inputs; i++) {
        c = &t->col[p->col[i]];
        memcpy(s, c->name, c->name_len + 1);
        s += c->name_len + 1;
    }

    mlp_writer_add(w, MLP_SEC_INPUT_NAMES, MLP_DTYPE_STRINGS, inames,
                   size, p->n_inputs);

    /* the inputs: numbers, and categories of the values training saw */
    s = cvals;
    ncat = 0;

    for (i = 0; i < p->n_inputs; i++) {
        c = &t->col[p->col[i]];
        info[4 * i] = c->numeric ? MLP_INPUT_NUMBER : MLP_INPUT_CATEGORY;
        info[4 * i + 1] = MLP_INPUT_MISSING;
        info[4 * i + 2] = c->numeric ? 0 : (uint32_t) ncat;
        info[4 * i + 3] = c->numeric ? 0 : p->n_known[i];

        for (k = 0; k < c->n_cats && !c->numeric; k++) {
            if (p->map[i][k] >= 0) {
                memcpy(s, c->cats[k], c->cat_len[k]);
                s += c->cat_len[k];
                *s++ = '\0';
                ncat++;
            }
        }
    }

    mlp_writer_add(w, MLP_SEC_INPUT_INFO, MLP_DTYPE_U32, info,
                   16 * (uint64_t) p->n_inputs, 4 * (uint64_t) p->n_inputs);

    if (ncat) {
        mlp_writer_add(w, MLP_SEC_CATEGORIES, MLP_DTYPE_STRINGS, cvals,
                       csize, ncat);
    }

    /* the steps: (type, flags, n_in, in_first, out_width, f64, u32, 0) */
    col = p->n_inputs;
    nu = nf = ns = 0;
    num_out = cat_out = 0;

    if (n_num) {
        st = steps + 8 * ns++;
        st[0] = MLP_STEP_IMPUTE;
        st[2] = n_num;
        st[3] = nu;

        for (i = 0; i < p->n_inputs; i++) {
            if (t->col[p->col[i]].numeric) {
                u32[nu++] = i;
                f64[nf++] = p->fill[i];
            }
        }

        st[4] = n_num;
        st[5] = nf - n_num;
        st[6] = nu;
        num_out = col;
        col += n_num;

        if (p->scale) {
            st = steps + 8 * ns++;
            st[0] = MLP_STEP_AFFINE;
            st[2] = n_num;
            st[3] = nu;
            st[4] = n_num;
            st[5] = nf;

            for (k = 0; k < n_num; k++) {
                u32[nu++] = num_out + k;
            }

            for (i = 0; i < p->n_inputs; i++) {
                if (t->col[p->col[i]].numeric) {
                    f64[nf++] = p->mean[i];
                }
            }

            for (i = 0; i < p->n_inputs; i++) {
                if (t->col[p->col[i]].numeric) {
                    f64[nf++] = p->sd[i];
                }
            }

            st[6] = nu;
            num_out = col;
            col += n_num;
        }
    }

    if (n_cat) {
        st = steps + 8 * ns++;
        st[0] = MLP_STEP_IMPUTE;
        st[2] = n_cat;
        st[3] = nu;
        st[4] = n_cat;
        st[5] = nf;

        for (i = 0; i < p->n_inputs; i++) {
            if (!t->col[p->col[i]].numeric) {
                u32[nu++] = i;
                f64[nf++] = p->fill[i];
            }
        }

        st[6] = nu;

        /* one-hot of the codes: code k sets slot k, unknown and missing
         * none (after the imputer no value is missing) */
        st = steps + 8 * ns++;
        st[0] = MLP_STEP_ENCODE;
        st[1] = 1;
        st[2] = n_cat;
        st[3] = nu;
        st[5] = 0;

        for (k = 0; k < n_cat; k++) {
            u32[nu++] = col + k;
        }

        st[6] = nu;
        f = 0;

        for (i = 0; i < p->n_inputs; i++) {
            if (t->col[p->col[i]].numeric) {
                continue;
            }

            u32[nu++] = 1;
            u32[nu++] = p->n_known[i];
            u32[nu++] = 0;
            u32[nu++] = nf;
            u32[nu++] = p->n_known[i];
            u32[nu++] = 0;
            u32[nu++] = i;

            for (k = 0; k < p->n_known[i]; k++) {
                f64[nf++] = k;
            }

            f64[nf++] = -1.0;
            f64[nf++] = -1.0;
            f += p->n_known[i];
        }

        st[4] = f;
        col += n_cat;
        cat_out = col;
        col += f;
    }

    mlp_writer_add(w, MLP_SEC_STEPS, MLP_DTYPE_U32, steps,
                   32 * (uint64_t) ns, 8 * (uint64_t) ns);
    mlp_writer_add(w, MLP_SEC_STEP_U32, MLP_DTYPE_U32, u32,
                   4 * (uint64_t) nu, nu);
    mlp_writer_add(w, MLP_SEC_STEP_F64, MLP_DTYPE_F64, f64,
                   8 * (uint64_t) nf, nf);

    for (k = 0; k < n_num; k++) {
        outc[k] = num_out + k;
    }

    for (k = n_num; k < p->n_features; k++) {
        outc[k] = cat_out + (k - n_num);
    }

    mlp_writer_add(w, MLP_SEC_OUTPUT_COLUMNS, MLP_DTYPE_U32, outc,
                   4 * (uint64_t) p->n_features, p->n_features);

    /* feature names as scikit-learn's get_feature_names_out gives them */
    s = names;

    for (i = 0; i < p->n_inputs; i++) {
        c = &t->col[p->col[i]];

        if (c->numeric) {
            s += sprintf(s, "num__%s", c->name) + 1;
        }
    }

    for (i = 0; i < p->n_inputs; i++) {
        c = &t->col[p->col[i]];

        for (k = 0; k < c->n_cats && !c->numeric; k++) {
            if (p->map[i][k] >= 0) {
                s += sprintf(s, "cat__%s_", c->name);
                memcpy(s, c->cats[k], c->cat_len[k]);
                s += c->cat_len[k];
                *s++ = '\0';
            }
        }
    }

    /*
     * names must be unique: "a_b" "c" and "a" "b_c" would not be; sorted,
     * so that a million one-hot columns take n log n, not n^2
     */
    sorted = malloc((size_t) p->n_features * sizeof(char *) + 1);
    if (sorted == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    s = names;

    for (j = 0; j < p->n_features; j++) {
        sorted[j] = s;
        s += strlen(s) + 1;
    }

    qsort(sorted, p->n_features, sizeof(char *), mlp_train_cmp_str);

    for (j = 1; j < p->n_features; j++) {
        if (strcmp(sorted[j - 1], sorted[j]) == 0) {
            mlp_fail(err, errlen, "two features would be named \"%s\": "
                     "rename a column", sorted[j]);
            free(sorted);
            return -1;
        }
    }

    free(sorted);

    mlp_writer_add(w, MLP_SEC_FEATURE_NAMES, MLP_DTYPE_STRINGS, names,
                   s - names, p->n_features);

    return 0;
}


void
mlp_prep_free(mlp_prep_t *p)
{
    size_t  i;

    if (p == NULL) {
        return;
    }

    for (i = 0; p->map != NULL && i < p->n_inputs; i++) {
        free(p->map[i]);
    }

    for (i = 0; i < sizeof(p->mem) / sizeof(p->mem[0]); i++) {
        free(p->mem[i]);
    }

    free(p->col);
    free(p->fill);
    free(p->mean);
    free(p->sd);
    free(p->map);
    free(p->n_known);
    free(p->first);
    free(p);
}
