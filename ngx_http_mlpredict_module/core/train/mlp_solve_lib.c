
/*
 * linear-svm through LIBLINEAR and svm, svr through libsvm: the libraries
 * scikit-learn's LinearSVC, SVC and SVR wrap, given what scikit-learn
 * gives them.
 *
 *   linear-svm  L2-regularised squared hinge loss, the bias a feature of
 *               value 1 (penalised, intercept_scaling=1), one-vs-rest for
 *               more than two classes. LIBLINEAR's primal solver (type 2,
 *               LinearSVC(dual=False)): the same minimum as the dual one,
 *               reached to a tight tolerance in few iterations.
 *   svm, svr    C_SVC and EPSILON_SVR, cache 200 MB, shrinking, as SVC
 *               and SVR. The rows are given grouped by class in class
 *               order (a stable sort): Debian's libsvm orders classes by
 *               first appearance, scikit-learn's copy sorts them, and
 *               both then group the rows so; the problems are the same.
 *               Where it fits --kernel-memory (svr by default, svm when
 *               the option is given) libsvm is given the whole kernel
 *               matrix (PRECOMPUTED, mlp_lib_gram): the same problem,
 *               every kernel value the same double (on x86-64, where
 *               Debian's libsvm fuses no multiply-add), a lookup.
 */

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linear.h>
#include <libsvm/svm.h>

#include "mlp_internal.h"
#include "convert/mlp_libsvm.h"
#include "train/mlp_train.h"


/* columns of the kernel matrix a pass: 64 sums in registers and L1 */
#define MLP_GRAM_BLOCK          64
/* rows of the kernel matrix whose ids are side by side (even: b(j) / 2) */
#define MLP_GRAM_TILE           4


static void mlp_lib_quiet(const char *s);
static void mlp_lib_dots(const double *xi, const double *xt, size_t stride,
    size_t d, double *restrict acc);
static void *mlp_lib_gram(const mlp_train_data_t *d, const size_t *order,
    const struct svm_parameter *param, uint64_t budget, void ***rows,
    mlp_gram_info_t *gi);


static void
mlp_lib_quiet(const char *s)
{
    (void) s;
}


/*
 * acc[j] = x_i . x_j for MLP_GRAM_BLOCK rows j, xt their columns (feature
 * k of row j at xt[k * stride + j]): each sum over the features in order,
 * as libsvm's dot, the rows side by side for the vector unit. A zero
 * feature adds nothing (acc never holds -0), as libsvm's sparse rows
 * skip it.
 */

static void
mlp_lib_dots(const double *xi, const double *xt, size_t stride, size_t d,
    double *restrict acc)
{
    size_t         j, k;
    double         a;
    const double  *col;

    for (j = 0; j < MLP_GRAM_BLOCK; j++) {
        acc[j] = 0;
    }

    for (k = 0; k < d; k++) {
        a = xi[k];

        if (a == 0) {
            continue;
        }

        col = xt + k * stride;

        for (j = 0; j < MLP_GRAM_BLOCK; j++) {
            acc[j] += a * col[j];
        }
    }
}


/*
 * The whole kernel matrix for libsvm's PRECOMPUTED kernel, prob's order.
 * Each kernel value the solver and the probability folds ask for is then
 * a lookup, where a sparse row costs a merge of two index lists and an
 * exp() every time.
 *
 * libsvm reads a precomputed row r only as r[id].value, id the value of
 * the other row's node 0 (Kernel::kernel_precomputed, k_function), and
 * never walks it (svm_save_model, which would, is not called). So the
 * rows need not be the file format's n + 2 nodes of their own: all of
 * them are views of one array of doubles v, row i's node k at v + a(i) +
 * 2k - 1 (a svm_node is 8-aligned, 16 bytes: its value then reads
 * v[a(i) + 2k]), row i's id b(i) / 2 at v[a(i)], K(i, j) at v[a(i) +
 * b(j)]. In the format's layout half the memory is index and padding
 * libsvm never reads here, and every lookup reads another row's node 0,
 * a cache line of its own: with those misses the lookups took longer than
 * the sparse dot products (1.6 s and 1.2 s of svr on 10,000 rows). Here
 * rows come in groups of T, their ids in one 32-byte run, then K(i, j) of
 * the group for each j, row i's values T doubles apart:
 *
 *   a(i) = (i / T) P + i % T,   b(j) = T (j + 1),   P = T (n + 1)
 *
 * The ids of 10,000 rows are then 2,500 cache lines (160 KB, in L2), a
 * row's values consecutive half lines, the matrix 8 (n + 1) n bytes.
 *
 * The values are those of libsvm 3.24's Kernel::kernel_* bit for bit:
 * the same dot products (above), rbf exp(-gamma (|x_i|^2 + |x_j|^2 -
 * 2 x_i.x_j)) with the squared norms as its x_square, poly by its powi
 * (mlp_powi), sigmoid tanh; symmetric as theirs, so each pair is computed
 * once and written twice, 64 x 64 pairs at a time for locality on both
 * sides.
 *
 * Only within budget (bytes) and half the machine's memory (physical or
 * the cgroup's limit, mlp_memory_size). NULL when it does not fit or
 * memory is short, gi saying why: the caller gives libsvm sparse rows.
 */

static void *
mlp_lib_gram(const mlp_train_data_t *d, const size_t *order,
    const struct svm_parameter *param, uint64_t budget, void ***rows,
    mlp_gram_info_t *gi)
{
    double        *m, *v, *xt, *sq, acc[MLP_GRAM_BLOCK], dot, kv;
    size_t         n, dd, np, g, p, size, i, j, k, ib, ie, jb, je;
    size_t        *a, *b;
    const double  *xi;

    n = d->n;
    dd = d->d;
    g = (n + MLP_GRAM_TILE - 1) / MLP_GRAM_TILE;

    gi->used = MLP_GRAM_TOO_BIG;
    gi->bytes = 0;
    gi->memory = 0;

    /* the ids are ints */
    if (n == 0 || n >= INT32_MAX / MLP_GRAM_TILE) {
        return NULL;
    }

    p = MLP_GRAM_TILE * (n + 1);

    /* a line ahead of v: row 0's node 0 starts a double before it */
    if (g > (SIZE_MAX / sizeof(double) - 8) / p) {
        return NULL;
    }

    size = (g * p + 8) * sizeof(double);

    /* the columns padded to whole blocks with zeros */
    np = (n + MLP_GRAM_BLOCK - 1) / MLP_GRAM_BLOCK * MLP_GRAM_BLOCK;

    if (dd > SIZE_MAX / sizeof(double) / np
        || (uint64_t) dd * np * sizeof(double) > UINT64_MAX - size)
    {
        return NULL;
    }

    /* the budget holds the transposed rows too */
    gi->bytes = (uint64_t) size + (uint64_t) dd * np * sizeof(double);
    gi->memory = mlp_memory_size();

    if (budget == 0) {
        gi->used = MLP_GRAM_OFF;
        return NULL;
    }

    if (gi->bytes > budget) {
        gi->used = MLP_GRAM_BUDGET;
        return NULL;
    }

    if ((uint64_t) size > gi->memory / 2) {
        gi->used = MLP_GRAM_MEMORY;
        return NULL;
    }

    gi->used = MLP_GRAM_FAILED;

    /* from 1 MiB 2 MiB aligned, v then 64: a group's ids in one line */
    m = mlp_train_malloc(size);
    xt = calloc(dd * np + 1, sizeof(double));
    sq = malloc(n * sizeof(double));
    a = malloc(n * sizeof(size_t));
    b = malloc(n * sizeof(size_t));
    *rows = malloc(n * sizeof(void *));

    if (m == NULL || xt == NULL || sq == NULL || a == NULL || b == NULL
        || *rows == NULL)
    {
        free(m);
        free(xt);
        free(sq);
        free(a);
        free(b);
        free(*rows);
        return NULL;
    }

    v = m + 8;

    for (i = 0; i < n; i++) {
        xi = d->x + order[i] * dd;
        kv = 0;

        for (k = 0; k < dd; k++) {
            xt[k * np + i] = xi[k];
            kv += xi[k] * xi[k];
        }

        sq[i] = kv;

        a[i] = i / MLP_GRAM_TILE * p + i % MLP_GRAM_TILE;
        b[i] = MLP_GRAM_TILE * (i + 1);

        (*rows)[i] = v + a[i] - 1;
        v[a[i]] = (double) (b[i] / 2);
    }

    for (ib = 0; ib < n; ib += MLP_GRAM_BLOCK) {
        ie = (n - ib > MLP_GRAM_BLOCK) ? ib + MLP_GRAM_BLOCK : n;

        for (jb = ib; jb < n; jb += MLP_GRAM_BLOCK) {
            je = (n - jb > MLP_GRAM_BLOCK) ? jb + MLP_GRAM_BLOCK : n;

            for (i = ib; i < ie; i++) {
                mlp_lib_dots(d->x + order[i] * dd, xt + jb, np, dd, acc);

                for (j = (jb > i) ? jb : i; j < je; j++) {
                    dot = acc[j - jb];

                    switch (param->kernel_type) {

                    case POLY:
                        kv = mlp_powi(param->gamma * dot + param->coef0,
                                      (uint32_t) param->degree);
                        break;

                    case RBF:
                        kv = exp(-param->gamma * (sq[i] + sq[j] - 2 * dot));
                        break;

                    case SIGMOID:
                        kv = tanh(param->gamma * dot + param->coef0);
                        break;

                    default: /* LINEAR */
                        kv = dot;
                    }

                    v[a[i] + b[j]] = kv;
                    v[a[j] + b[i]] = kv;
                }
            }
        }
    }

    free(xt);
    free(sq);
    free(a);
    free(b);

    gi->used = MLP_GRAM_USED;

    return m;
}


/* Each row's non-zero values, then the bias node (bias >= 0), then -1. */

static void *
mlp_lib_nodes(const mlp_train_data_t *d, const size_t *order, double bias,
    size_t node_size, void ***rows)
{
    char    *nodes, *p;
    size_t   i, j, r, nnz;
    int     *index;
    double  *value;

    nnz = 0;

    for (i = 0; i < d->n * d->d; i++) {
        nnz += d->x[i] != 0.0;
    }

    nodes = malloc((nnz + 2 * d->n) * node_size);
    *rows = malloc(d->n * sizeof(void *) + 1);

    if (nodes == NULL || *rows == NULL) {
        free(nodes);
        free(*rows);
        return NULL;
    }

    p = nodes;

    for (i = 0; i < d->n; i++) {
        r = order ? order[i] : i;
        (*rows)[i] = p;

        /* feature_node and svm_node are both { int index; double value; } */
        for (j = 0; j < d->d; j++) {
            if (d->x[r * d->d + j] != 0.0) {
                index = (int *) p;
                value = (double *) (p + offsetof(struct svm_node, value));
                *index = (int) j + 1;
                *value = d->x[r * d->d + j];
                p += node_size;
            }
        }

        if (bias >= 0) {
            index = (int *) p;
            value = (double *) (p + offsetof(struct svm_node, value));
            *index = (int) d->d + 1;
            *value = bias;
            p += node_size;
        }

        index = (int *) p;
        *index = -1;
        p += node_size;
    }

    return nodes;
}


int
mlp_fit_linear_svm(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen)
{
    void              *nodes, **rows;
    double            *coef, *icpt, *xm, sign;
    size_t             j;
    uint32_t           k, c, nr_w, col;
    const char        *why;
    struct model      *model;
    struct problem     prob;
    struct parameter   param;

    if (d->n > INT32_MAX || d->d >= INT32_MAX) {
        mlp_fail(err, errlen, "too many rows or features for LIBLINEAR");
        return -1;
    }

    nodes = mlp_lib_nodes(d, NULL, 1.0, sizeof(struct feature_node), &rows);
    if (nodes == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    memset(&prob, 0, sizeof(prob));
    prob.l = (int) d->n;
    prob.n = (int) d->d + 1;
    prob.y = (double *) d->y;
    prob.x = (struct feature_node **) rows;
    prob.bias = 1.0;

    memset(&param, 0, sizeof(param));
    param.solver_type = L2R_L2LOSS_SVC;
    param.eps = o->tol > 0 ? o->tol : 1e-4;
    param.C = o->C;
    param.p = 0.1;

    why = check_parameter(&prob, &param);
    if (why != NULL) {
        free(nodes);
        free(rows);
        mlp_fail(err, errlen, "LIBLINEAR: %s", why);
        return -1;
    }

    set_print_string_function(mlp_lib_quiet);
    model = train(&prob, &param);

    free(nodes);
    free(rows);

    if (model == NULL) {
        mlp_fail(err, errlen, "LIBLINEAR: training failed");
        return -1;
    }

    k = d->n_classes == 2 ? 1 : d->n_classes;
    nr_w = (model->nr_class == 2) ? 1 : (uint32_t) model->nr_class;

    coef = mlp_est_alloc(e, (size_t) k * d->d * sizeof(double));
    icpt = mlp_est_alloc(e, k * sizeof(double));
    xm = mlp_est_alloc(e, d->d * sizeof(double));

    if (coef == NULL || icpt == NULL || xm == NULL
        || (uint32_t) model->nr_class != d->n_classes)
    {
        free_and_destroy_model(&model);
        mlp_fail(err, errlen, coef == NULL ? "out of memory"
                 : "LIBLINEAR saw a class with no row");
        return -1;
    }

    /*
     * LIBLINEAR's w is feature-major, a column a class in its own label
     * order (first appearance); two classes: one column, positive for
     * label[0]. Our rows are in class order, the binary one positive for
     * class 1, as scikit-learn's coef_.
     */
    for (c = 0; c < k; c++) {
        if (k == 1) {
            col = 0;
            sign = model->label[0] == 1 ? 1.0 : -1.0;

        } else {
            for (col = 0; col < nr_w && model->label[col] != (int) c; col++) {
                /* void */
            }

            sign = 1.0;
        }

        for (j = 0; j < d->d; j++) {
            coef[c * d->d + j] = sign * model->w[j * nr_w + col];
        }

        icpt[c] = sign * model->w[d->d * nr_w + col] * model->bias;
    }

    free_and_destroy_model(&model);

    mlp_train_means(d, xm);

    w->kind = MLP_KIND_LOGISTIC;
    w->n_outputs = d->n_classes;
    w->link = MLP_LINK_DECISION;
    mlp_writer_add(w, MLP_SEC_COEF, MLP_DTYPE_F64, coef,
                   8 * (uint64_t) k * d->d, (uint64_t) k * d->d);
    mlp_writer_add(w, MLP_SEC_INTERCEPT, MLP_DTYPE_F64, icpt, 8 * k, k);
    mlp_writer_add(w, MLP_SEC_FEATURE_MEAN, MLP_DTYPE_F64, xm, 8 * d->d,
                   d->d);

    return 0;
}


int
mlp_fit_svm(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen)
{
    int                  classify;
    void                *nodes, *gram, **rows;
    double              *y, *xm, mean, var, gamma;
    size_t              *order, i, j, n, c, r, pairs;
    uint32_t             k;
    const char          *why;
    struct svm_model    *model;
    struct svm_problem   prob;
    struct svm_parameter param;
    mlp_libsvm_model_t  *ls;

    classify = d->n_classes > 0;

    if (d->n > INT32_MAX || d->d >= INT32_MAX) {
        mlp_fail(err, errlen, "too many rows or features for libsvm");
        return -1;
    }

    if (classify && d->n_classes > MLP_SVM_MAX_CLASSES) {
        mlp_fail(err, errlen, "%u classes: an svm takes at most %d",
                 d->n_classes, MLP_SVM_MAX_CLASSES);
        return -1;
    }

    /* gamma="scale": 1 / (n_features X.var()), the whole matrix's */
    gamma = o->gamma;

    if (gamma == MLP_GAMMA_SCALE) {
        mean = 0;

        for (i = 0; i < d->n * d->d; i++) {
            mean += d->x[i];
        }

        mean /= (double) (d->n * d->d);
        var = 0;

        for (i = 0; i < d->n * d->d; i++) {
            var += (d->x[i] - mean) * (d->x[i] - mean);
        }

        var /= (double) (d->n * d->d);
        gamma = var != 0 ? 1.0 / ((double) d->d * var) : 1.0;

    } else if (gamma == MLP_GAMMA_AUTO) {
        gamma = 1.0 / (double) d->d;
    }

    order = malloc(d->n * sizeof(size_t) + 1);
    y = malloc(d->n * sizeof(double) + 1);

    if (order == NULL || y == NULL) {
        free(order);
        free(y);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    /* a stable counting sort of the rows by class */
    n = 0;

    for (c = 0; c < (classify ? d->n_classes : 1); c++) {
        for (i = 0; i < d->n; i++) {
            if (!classify || (size_t) d->y[i] == c) {
                order[n] = i;
                y[n++] = d->y[i];
            }
        }
    }

    memset(&param, 0, sizeof(param));
    param.svm_type = classify ? C_SVC : EPSILON_SVR;
    param.kernel_type = o->kernel;
    param.degree = (int) o->degree;
    param.gamma = gamma;
    param.coef0 = o->coef0;
    param.cache_size = 200;
    param.eps = o->tol > 0 ? o->tol : 1e-3;
    param.C = o->C;
    param.p = o->epsilon;
    param.nu = 0.5;
    param.shrinking = 1;
    param.probability = classify && o->probability;

    /*
     * The model keeps the real kernel: the SVs are copied from d below.
     * An SVC's solver usually asks for a fraction of the kernel values
     * (10,000 rows: 1.37 s with the matrix, 1.27 s without), an SVR's for
     * nearly all of them: the matrix by default for svr only.
     */
    gram = mlp_lib_gram(d, order, &param,
                        (classify && !o->kernel_memory_set)
                        ? 0 : o->kernel_memory, &rows, &e->gram);
    nodes = (gram != NULL) ? gram
            : mlp_lib_nodes(d, order, -1.0, sizeof(struct svm_node), &rows);

    if (nodes == NULL) {
        free(order);
        free(y);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    memset(&prob, 0, sizeof(prob));
    prob.l = (int) d->n;
    prob.y = y;
    prob.x = (struct svm_node **) rows;

    model = NULL;

    /* the sections point into ls: e frees it once the file is written */
    ls = calloc(1, sizeof(mlp_libsvm_model_t));
    e->svm = ls;

    if (ls == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto failed;
    }

    /* checked as the real kernel: libsvm checks no gamma of PRECOMPUTED */
    why = svm_check_parameter(&prob, &param);
    if (why != NULL) {
        mlp_fail(err, errlen, "libsvm: %s", why);
        goto failed;
    }

    if (gram != NULL) {
        param.kernel_type = PRECOMPUTED;
    }

    svm_set_print_string_function(mlp_lib_quiet);

    /* libsvm's probability cross-validation shuffles with rand() */
    srand((unsigned) o->seed);

    model = svm_train(&prob, &param);
    if (model == NULL) {
        mlp_fail(err, errlen, "libsvm: training failed");
        goto failed;
    }

    k = (uint32_t) model->nr_class;
    pairs = (size_t) k * (k - 1) / 2;

    if (classify && k != d->n_classes) {
        mlp_fail(err, errlen, "libsvm saw a class with no row");
        goto failed;
    }

    ls->svm_type = classify ? MLP_SVM_C_SVC : MLP_SVM_EPSILON_SVR;
    ls->kernel = (uint32_t) o->kernel;
    ls->degree = o->degree;
    ls->nr_class = k;
    ls->total_sv = (uint32_t) model->l;
    ls->n_features = (uint32_t) d->d;
    ls->kernel_params[0] = gamma;
    ls->kernel_params[1] = o->coef0;
    ls->rho = malloc(pairs * sizeof(double));
    ls->sv = malloc((size_t) model->l * d->d * sizeof(double) + 1);
    ls->coef = malloc((size_t) model->l * (k - 1) * sizeof(double) + 1);

    if (ls->rho == NULL || ls->sv == NULL || ls->coef == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto failed;
    }

    memcpy(ls->rho, model->rho, pairs * sizeof(double));

    /*
     * the support vectors exactly: the training rows they are (sv_indices
     * count in prob's rows either way; precomputed, model->SV are rows of
     * the kernel matrix)
     */
    for (i = 0; i < (size_t) model->l; i++) {
        r = order[model->sv_indices[i] - 1];
        memcpy(ls->sv + i * d->d, d->x + r * d->d, d->d * sizeof(double));

        for (j = 0; j + 1 < k; j++) {
            ls->coef[j * model->l + i] = model->sv_coef[j][i];
        }
    }

    if (classify) {
        ls->label = malloc(k * sizeof(long));
        ls->nr_sv = malloc(k * sizeof(uint32_t));

        if (ls->label == NULL || ls->nr_sv == NULL) {
            mlp_fail(err, errlen, "out of memory");
            goto failed;
        }

        for (c = 0; c < k; c++) {
            ls->label[c] = model->label[c];
            ls->nr_sv[c] = (uint32_t) model->nSV[c];

            /* the stable sort made libsvm's order the classes' */
            if (model->label[c] != (int) c) {
                mlp_fail(err, errlen, "libsvm ordered the classes "
                         "unexpectedly");
                goto failed;
            }
        }

        if (model->probA != NULL && model->probB != NULL) {
            ls->prob_a = malloc(pairs * sizeof(double));
            ls->prob_b = malloc(pairs * sizeof(double));

            if (ls->prob_a == NULL || ls->prob_b == NULL) {
                mlp_fail(err, errlen, "out of memory");
                goto failed;
            }

            memcpy(ls->prob_a, model->probA, pairs * sizeof(double));
            memcpy(ls->prob_b, model->probB, pairs * sizeof(double));
        }
    }

    svm_free_and_destroy_model(&model);
    free(nodes);
    free(rows);
    free(order);
    free(y);

    /* scikit-learn's decision values: its sign, one per class (ovr) */
    if (mlp_libsvm_sections(ls, classify ? MLP_SVM_OVR
                                           | MLP_SVM_SKLEARN_SIGN : 0,
                            w, err, errlen)
        != 0)
    {
        return -1;
    }

    /* a linear kernel is a linear model: its training means explain it */
    if (o->kernel == LINEAR) {
        xm = mlp_est_alloc(e, d->d * sizeof(double));

        if (xm == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        mlp_train_means(d, xm);
        mlp_writer_add(w, MLP_SEC_FEATURE_MEAN, MLP_DTYPE_F64, xm,
                       8 * d->d, d->d);
    }

    return 0;

failed:

    if (model != NULL) {
        svm_free_and_destroy_model(&model);
    }

    free(nodes);
    free(rows);
    free(order);
    free(y);

    return -1;
}
