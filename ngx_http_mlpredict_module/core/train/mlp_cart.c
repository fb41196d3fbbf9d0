
/*
 * CART trees and random forests, grown as scikit-learn 1.2 grows them
 * (DecisionTreeClassifier/Regressor with splitter="best",
 * RandomForestClassifier/Regressor with bootstrap), to the same trees.
 *
 * Exact thresholds, sorted once per feature: every feature's rows are
 * sorted once per fit (a radix sort of float32 keys); a tree's rows keep,
 * feature by feature, one array in which every node's rows are a sorted
 * segment, and a split partitions each segment stably into its children's
 * (one pass, no comparison).  A node is then scanned in order with
 * incremental class counts or sums, so no node sorts anything.  Histogram
 * bins were not chosen: they move thresholds off scikit-learn's midpoints
 * between consecutive distinct values, and the single tree must give the
 * same predictions as scikit-learn's.  The one exception is a single
 * regression tree (below), which sorts a node where its values repeat.
 *
 * The same trees, not only trees as good: the values are rounded to float32
 * first (scikit-learn's DTYPE), values within 1e-7 of the previous one
 * (float32 arithmetic) are one value (FEATURE_THRESHOLD), the threshold is
 * x[p-1] / 2 + x[p] / 2 in double (x[p-1] when that equals x[p]), splits
 * are compared by scikit-learn's proxy improvement with the same arithmetic
 * in the same order and the first best is kept, nodes are split depth
 * first, left child first, and the features are drawn as its BestSplitter
 * draws them (Fisher-Yates over the features not known constant), from its
 * own generator.  The seed is a numpy RandomState seed (its low 32 bits):
 *
 *   tree     the splitter's state is RandomState(seed).randint(0, 2^31 - 1)
 *   forest   tree t's seed s_t is the t-th RandomState(seed).randint(
 *            2^31 - 1); its bootstrap is RandomState(s_t).randint(0, n, n)
 *            (counts become weights: rows drawn k times weigh k, rows not
 *            drawn are left out), its splitter RandomState(s_t).randint(0,
 *            2^31 - 1)
 *
 * where RandomState is MT19937 seeded by init_genrand and randint is
 * numpy's masked rejection (the smallest all-ones mask over the range,
 * 32-bit draws), and the splitter's generator is scikit-learn's rand_r:
 * a 32-bit xorshift (13, 17, 5), each draw modulo 2^31, then modulo the
 * range.  With integer weights (none, or a forest's counts) the class
 * counts are exact whatever the order they are added in, and the
 * classifiers are scikit-learn's.  A regressor's sums round differently in
 * another order, and splits equally good to the last bit are common where
 * values repeat; so a single regression tree also keeps scikit-learn's
 * order of rows: each node's rows as its introsort leaves them, feature
 * after feature (run only where the node has equal values: distinct values
 * have one sorted order, the presorted segment's), summed in that order,
 * from either end as its criterion's update does.  A regression forest
 * adds its sums in sorted order (three times faster at 100,000 rows): its
 * trees may choose otherwise among equally good splits.
 */

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"
#include "train/mlp_cart.h"


#define MLP_CART_MAX_ROWS       0x7fffffffu
#define MLP_CART_MAX_CLASSES    65536
#define MLP_CART_MAX_TREES      100000
#define MLP_CART_NONE           0xffffffffu
#define MLP_CART_EMPTY          -2

/* scikit-learn's FEATURE_THRESHOLD (float32) and EPSILON (double) */
#define MLP_CART_FT             ((float) 1e-7)
#define MLP_CART_EPS            DBL_EPSILON

#define MLP_MT_N                624
#define MLP_MT_M                397


typedef struct {
    uint32_t                  mt[MLP_MT_N];
    int                       i;
} mlp_mt_t;


/* a node as the builder makes it, in the order scikit-learn numbers it */
typedef struct {
    uint32_t                  left;         /* MLP_CART_NONE: a leaf */
    uint32_t                  right;
    uint32_t                  feature;
    uint32_t                  leaf;         /* leaf: its values' index */
    double                    threshold;
    double                    cover;        /* weighted_n_node_samples */
} mlp_cart_node_t;


typedef struct {
    size_t                    start;
    size_t                    end;
    uint32_t                  depth;
    uint32_t                  parent;
    int                       is_left;
    size_t                    n_constant;
    size_t                    ref;          /* a feature sorted here */
    double                    impurity;
} mlp_cart_rec_t;


/* a row in a column's sorted order: its float32 value and its index */
typedef struct {
    float                     v;
    uint32_t                  i;
} mlp_cart_el_t;


/* what the scan reads of a row: one cache line fetch, not two */
typedef struct {
    double                    w;            /* weight in this tree */
    union {
        double                wy;           /* regression: w * y */
        uint32_t              c;            /* classification: class */
    } u;
} mlp_cart_row_t;


typedef struct {
    size_t                    pos;
    size_t                    feature;
    double                    threshold;
    double                    impurity_left;
    double                    impurity_right;
    double                    improvement;
} mlp_cart_split_t;


struct mlp_cart_model_s {
    uint32_t                  d;
    uint32_t                  n_classes;
    uint32_t                  width;
    uint32_t                  n_trees;
    uint32_t                  params[8];
    uint32_t                 *roots;
    mlp_node_t               *nodes;
    uint64_t                  n_nodes;
    uint64_t                  cap_nodes;
    double                   *leaves;       /* n_leaves x width */
    uint64_t                  n_leaves;
    uint64_t                  cap_leaves;
    double                   *cover;        /* per node */
};


typedef struct {
    /* the fit */
    size_t                    n;
    size_t                    d;
    uint32_t                  k;            /* classes, 0: regression */
    uint32_t                  width;
    int                       criterion;
    uint32_t                  max_depth;
    size_t                    min_split;
    size_t                    min_leaf;
    size_t                    max_features;
    const double             *x;
    const double             *y;
    const double             *w;
    mlp_cart_el_t            *gel;          /* d x n: each column sorted */

    /* the tree being grown */
    mlp_cart_row_t           *rows;         /* n */
    double                    wn_total;
    size_t                    m;            /* rows of weight > 0 */
    mlp_cart_el_t            *el;           /* d x m: node segments */
    mlp_cart_el_t            *tmp;          /* m: partition scratch */
    unsigned char            *mark;         /* n: goes left */

    /* a regression tree: scikit-learn's own order of rows and sums */
    int                       literal;
    float                    *xc;           /* d x n: float32 columns */
    float                    *xs;           /* n: a node's values */
    uint32_t                 *samples;      /* m: the rows, node by node */
    size_t                   *features;
    size_t                   *constants;
    double                   *sum_total;    /* width each */
    double                   *sum_left;
    double                   *sum_right;
    double                    sq_total;
    double                    wn;
    uint32_t                  rand_r;

    mlp_cart_node_t          *tn;
    size_t                    n_tn;
    size_t                    cap_tn;
    double                   *tl;           /* leaf values, width each */
    size_t                    n_tl;
    size_t                    cap_tl;
    mlp_cart_rec_t           *stack;
    size_t                    n_stack;
    size_t                    cap_stack;
    uint32_t                 *queue;        /* n_tn: breadth-first order */
    uint32_t                 *renum;
    size_t                    cap_queue;
} mlp_cart_build_t;


static void mlp_mt_seed(mlp_mt_t *r, uint32_t s);
static uint32_t mlp_mt_next(mlp_mt_t *r);
static uint32_t mlp_np_randint(mlp_mt_t *r, uint32_t high);
static size_t mlp_rand_int(size_t low, size_t high, uint32_t *state);
static int mlp_cart_check(const mlp_train_data_t *data,
    const mlp_cart_opts_t *opts, char *err, size_t errlen);
static int mlp_cart_presort(mlp_cart_build_t *b);
static int mlp_cart_grow(mlp_cart_build_t *b, uint32_t rand_r);
static void mlp_cart_node_reset(mlp_cart_build_t *b, size_t start,
    size_t end, size_t ref);
static double mlp_cart_log2(double x);
static double mlp_cart_class_impurity(mlp_cart_build_t *b,
    const double *count, double w);
static double mlp_cart_node_impurity(mlp_cart_build_t *b);
static void mlp_cart_leaf_value(mlp_cart_build_t *b, double *out);
static double mlp_cart_proxy(mlp_cart_build_t *b, double wl);
static void mlp_cart_children_impurity(mlp_cart_build_t *b, double wl,
    double sq_left, double *il, double *ir);
static void mlp_cart_node_split(mlp_cart_build_t *b, size_t start,
    size_t end, double impurity, size_t *n_constant,
    mlp_cart_split_t *best);
static void mlp_cart_scan(mlp_cart_build_t *b, size_t f, size_t start,
    size_t end, double *best_proxy, mlp_cart_split_t *best);
static void mlp_cart_partition(mlp_cart_build_t *b, size_t f, size_t start,
    size_t end);
static void mlp_cart_sort_node(mlp_cart_build_t *b, size_t f, size_t start,
    size_t end);
static void mlp_cart_sort(float *xf, uint32_t *s, size_t n);
static void mlp_cart_introsort(float *xf, uint32_t *s, size_t n, int maxd);
static void mlp_cart_heapsort(float *xf, uint32_t *s, size_t n);
static void mlp_cart_update(mlp_cart_build_t *b, size_t start, size_t end,
    size_t *pos, size_t new_pos, double *wl);
static void mlp_cart_scan_literal(mlp_cart_build_t *b, size_t f,
    size_t start, size_t end, double *best_proxy, mlp_cart_split_t *best);
static int mlp_cart_emit(mlp_cart_build_t *b, mlp_cart_model_t *m,
    uint32_t t);
static void *mlp_cart_grow_array(void *p, size_t *cap, size_t need,
    size_t size);
static void mlp_cart_build_free(mlp_cart_build_t *b);


/* MT19937 as numpy's RandomState(seed) seeds and draws it */

static void
mlp_mt_seed(mlp_mt_t *r, uint32_t s)
{
    int  i;

    r->mt[0] = s;

    for (i = 1; i < MLP_MT_N; i++) {
        r->mt[i] = 1812433253u * (r->mt[i - 1] ^ (r->mt[i - 1] >> 30))
                   + (uint32_t) i;
    }

    r->i = MLP_MT_N;
}


static uint32_t
mlp_mt_next(mlp_mt_t *r)
{
    int       k;
    uint32_t  y;

    if (r->i >= MLP_MT_N) {
        for (k = 0; k < MLP_MT_N; k++) {
            y = (r->mt[k] & 0x80000000u)
                | (r->mt[(k + 1) % MLP_MT_N] & 0x7fffffffu);
            r->mt[k] = r->mt[(k + MLP_MT_M) % MLP_MT_N] ^ (y >> 1)
                       ^ ((y & 1) ? 0x9908b0dfu : 0);
        }

        r->i = 0;
    }

    y = r->mt[r->i++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;

    return y;
}


/* RandomState.randint(0, high): numpy's masked rejection, high >= 1 */

static uint32_t
mlp_np_randint(mlp_mt_t *r, uint32_t high)
{
    uint32_t  rng, mask, v;

    rng = high - 1;

    if (rng == 0) {
        return 0;
    }

    mask = rng;
    mask |= mask >> 1;
    mask |= mask >> 2;
    mask |= mask >> 4;
    mask |= mask >> 8;
    mask |= mask >> 16;

    do {
        v = mlp_mt_next(r) & mask;
    } while (v > rng);

    return v;
}


/* scikit-learn's rand_int(low, high, &rand_r_state) of tree/_utils */

static size_t
mlp_rand_int(size_t low, size_t high, uint32_t *state)
{
    uint32_t  s;

    s = *state;

    if (s == 0) {
        s = 1;
    }

    s ^= s << 13;
    s ^= s >> 17;
    s ^= s << 5;
    *state = s;

    return low + (size_t) (s % 0x80000000u) % (high - low);
}


static int
mlp_cart_check(const mlp_train_data_t *data, const mlp_cart_opts_t *opts,
    char *err, size_t errlen)
{
    size_t       i, n, d;
    double       v, sum;
    const char  *name;

    n = data->n;
    d = data->d;

    if (n == 0) {
        mlp_fail(err, errlen, "no training rows");
        return -1;
    }

    if (n > MLP_CART_MAX_ROWS) {
        mlp_fail(err, errlen, "%zu training rows: at most %u", n,
                 MLP_CART_MAX_ROWS);
        return -1;
    }

    if (d == 0 || d > MLP_MAX_FEATURES) {
        mlp_fail(err, errlen, "%zu columns: 1 to %d", d, MLP_MAX_FEATURES);
        return -1;
    }

    if (data->x == NULL || data->y == NULL) {
        mlp_fail(err, errlen, "no training matrix or labels");
        return -1;
    }

    if (data->n_classes == 1 || data->n_classes > MLP_CART_MAX_CLASSES) {
        mlp_fail(err, errlen, "%u classes: a classifier needs 2 to %d",
                 data->n_classes, MLP_CART_MAX_CLASSES);
        return -1;
    }

    name = opts->criterion == MLP_CART_GINI ? "gini"
           : opts->criterion == MLP_CART_ENTROPY ? "entropy"
           : opts->criterion == MLP_CART_SQUARED_ERROR ? "squared_error"
           : NULL;

    if (name == NULL) {
        mlp_fail(err, errlen, "criterion %d: gini, entropy or squared_error",
                 opts->criterion);
        return -1;
    }

    if (data->n_classes == 0 && opts->criterion != MLP_CART_SQUARED_ERROR) {
        mlp_fail(err, errlen, "criterion %s is for classification; a "
                 "regressor takes squared_error", name);
        return -1;
    }

    if (data->n_classes && opts->criterion == MLP_CART_SQUARED_ERROR) {
        mlp_fail(err, errlen, "criterion squared_error is for regression; "
                 "a classifier takes gini or entropy");
        return -1;
    }

    if (opts->min_samples_split < 2) {
        mlp_fail(err, errlen, "min_samples_split %zu: at least 2",
                 opts->min_samples_split);
        return -1;
    }

    if (opts->min_samples_leaf < 1) {
        mlp_fail(err, errlen, "min_samples_leaf %zu: at least 1",
                 opts->min_samples_leaf);
        return -1;
    }

    if (opts->max_features > d) {
        mlp_fail(err, errlen, "max_features %zu: more than the %zu columns",
                 opts->max_features, d);
        return -1;
    }

    if (opts->forest) {
        if (opts->n_estimators < 1
            || opts->n_estimators > MLP_CART_MAX_TREES)
        {
            mlp_fail(err, errlen, "n_estimators %u: 1 to %d",
                     opts->n_estimators, MLP_CART_MAX_TREES);
            return -1;
        }

    } else if (opts->n_estimators > 1) {
        mlp_fail(err, errlen, "n_estimators %u: a single tree is one "
                 "estimator (a forest takes more)", opts->n_estimators);
        return -1;
    }

    /* scikit-learn converts X to float32 and refuses what does not fit */
    for (i = 0; i < n * d; i++) {
        v = data->x[i];

        if (!isfinite(v) || !isfinite((float) v)) {
            mlp_fail(err, errlen, "row %zu, column %zu: %g is not a finite "
                     "float32 value", i / d + 1, i % d + 1, v);
            return -1;
        }
    }

    for (i = 0; i < n; i++) {
        v = data->y[i];

        if (data->n_classes) {
            if (!(v >= 0 && v < data->n_classes) || v != floor(v)) {
                mlp_fail(err, errlen, "row %zu: class %g is not an index "
                         "0 to %u", i + 1, v, data->n_classes - 1);
                return -1;
            }

        } else if (!isfinite(v)) {
            mlp_fail(err, errlen, "row %zu: the target is not finite",
                     i + 1);
            return -1;
        }
    }

    if (data->w) {
        sum = 0;

        for (i = 0; i < n; i++) {
            v = data->w[i];

            if (!isfinite(v) || v < 0) {
                mlp_fail(err, errlen, "row %zu: weight %g is not a finite "
                         "value >= 0", i + 1, v);
                return -1;
            }

            sum += v;
        }

        if (!(sum > 0) || !isfinite(sum)) {
            mlp_fail(err, errlen, "the row weights sum to %g", sum);
            return -1;
        }
    }

    return 0;
}


mlp_cart_model_t *
mlp_cart_fit(const mlp_train_data_t *data, const mlp_cart_opts_t *opts,
    char *err, size_t errlen)
{
    int                rc;
    size_t             i, n, d;
    uint32_t           t, n_trees, seed;
    mlp_mt_t           forest, rs;
    mlp_cart_model_t  *m;
    mlp_cart_build_t   b;

    if (data == NULL || opts == NULL) {
        mlp_fail(err, errlen, "no data or options");
        return NULL;
    }

    if (mlp_cart_check(data, opts, err, errlen) != 0) {
        return NULL;
    }

    n = data->n;
    d = data->d;
    n_trees = opts->forest ? opts->n_estimators : 1;

    memset(&b, 0, sizeof(b));
    b.n = n;
    b.d = d;
    b.k = data->n_classes;
    b.width = b.k ? b.k : 1;
    b.criterion = opts->criterion;
    b.max_depth = opts->max_depth ? opts->max_depth : 0x7fffffff;
    /* a node splits with min_split rows and 2 * min_leaf, as sklearn's */
    b.min_split = opts->min_samples_split;
    b.min_leaf = opts->min_samples_leaf;
    b.max_features = opts->max_features ? opts->max_features : d;
    b.x = data->x;
    b.y = data->y;
    b.w = data->w;

    m = calloc(1, sizeof(mlp_cart_model_t));
    if (m == NULL) {
        goto nomem;
    }

    m->d = (uint32_t) d;
    m->n_classes = b.k;
    m->width = b.width;

    /* n x d was checked against MLP_CART_MAX_ROWS x MLP_MAX_FEATURES */
    b.gel = malloc(n * d * sizeof(mlp_cart_el_t));
    b.el = malloc(n * d * sizeof(mlp_cart_el_t));
    b.tmp = malloc(n * sizeof(mlp_cart_el_t));
    b.mark = malloc(n);
    b.rows = malloc(n * sizeof(mlp_cart_row_t));
    b.features = malloc(d * sizeof(size_t));
    b.constants = malloc(d * sizeof(size_t));
    b.sum_total = malloc(3 * b.width * sizeof(double));
    m->roots = malloc(n_trees * sizeof(uint32_t));

    if (b.gel == NULL || b.el == NULL || b.tmp == NULL || b.mark == NULL
        || b.rows == NULL || b.features == NULL || b.constants == NULL
        || b.sum_total == NULL || m->roots == NULL)
    {
        goto nomem;
    }

    b.sum_left = b.sum_total + b.width;
    b.sum_right = b.sum_left + b.width;

    /* scikit-learn's order of rows for a regression tree (see the top) */
    b.literal = (b.k == 0 && !opts->forest);

    if (b.literal) {
        b.xc = malloc(n * d * sizeof(float));
        b.xs = malloc(n * sizeof(float));
        b.samples = malloc(n * sizeof(uint32_t));

        if (b.xc == NULL || b.xs == NULL || b.samples == NULL) {
            goto nomem;
        }

        for (i = 0; i < n * d; i++) {
            b.xc[(i % d) * n + i / d] = (float) data->x[i];
        }
    }

    if (mlp_cart_presort(&b) != 0) {
        goto nomem;
    }

    seed = (uint32_t) opts->seed;
    mlp_mt_seed(&forest, seed);

    for (t = 0; t < n_trees; t++) {
        if (opts->forest) {
            seed = mlp_np_randint(&forest, 0x7fffffffu);

            mlp_mt_seed(&rs, seed);

            for (i = 0; i < n; i++) {
                b.rows[i].w = 0;
            }

            for (i = 0; i < n; i++) {
                b.rows[mlp_np_randint(&rs, (uint32_t) n)].w += 1;
            }

            if (data->w) {
                for (i = 0; i < n; i++) {
                    b.rows[i].w *= data->w[i];
                }
            }

        } else {
            for (i = 0; i < n; i++) {
                b.rows[i].w = data->w ? data->w[i] : 1;
            }
        }

        for (i = 0; i < n; i++) {
            if (b.k) {
                b.rows[i].u.c = (uint32_t) data->y[i];

            } else {
                b.rows[i].u.wy = b.rows[i].w * data->y[i];
            }
        }

        /* the splitter's own RandomState of the same seed */
        mlp_mt_seed(&rs, seed);

        rc = mlp_cart_grow(&b, mlp_np_randint(&rs, 0x7fffffffu));

        if (rc == MLP_CART_EMPTY) {
            mlp_fail(err, errlen, "tree %u: its bootstrap sample drew only "
                     "rows of weight 0", t + 1);
            mlp_cart_build_free(&b);
            mlp_cart_free(m);
            return NULL;
        }

        if (rc != 0) {
            goto nomem;
        }

        if (mlp_cart_emit(&b, m, t) != 0) {
            mlp_fail(err, errlen, "too many tree nodes for a model file "
                     "(more than 2^32), or out of memory");
            mlp_cart_build_free(&b);
            mlp_cart_free(m);
            return NULL;
        }

        if (opts->progress) {
            opts->progress(opts->progress_ctx, t + 1);
        }
    }

    m->n_trees = n_trees;
    m->params[0] = n_trees;
    m->params[1] = m->width;
    m->params[2] = m->width;
    m->params[3] = MLP_TREE_INPUT_F32;

    mlp_cart_build_free(&b);

    return m;

nomem:

    mlp_fail(err, errlen, "out of memory for %zu rows x %zu columns", n, d);
    mlp_cart_build_free(&b);
    mlp_cart_free(m);

    return NULL;
}


/*
 * Every column's rows sorted by their float32 values: an LSD radix sort of
 * the values' order-preserving bit patterns, 8 bits a pass (a pass where
 * every key has the same byte is skipped); stable, so equal values keep
 * the order of their rows.
 */

static int
mlp_cart_presort(mlp_cart_build_t *b)
{
    float      fv;
    size_t     f, i, n, d, pass, c, sum, cnt[256];
    uint32_t  *buf, *key, *key2, *row, *row2, *t, u;

    n = b->n;
    d = b->d;

    buf = malloc(4 * n * sizeof(uint32_t));
    if (buf == NULL) {
        return -1;
    }

    for (f = 0; f < d; f++) {
        key = buf;
        key2 = buf + n;
        row = buf + 2 * n;
        row2 = buf + 3 * n;

        for (i = 0; i < n; i++) {
            /* + 0: -0 sorts as 0, one value as they compare equal */
            fv = (float) b->x[i * d + f] + 0.0f;
            memcpy(&u, &fv, sizeof(u));
            key[i] = (u & 0x80000000u) ? ~u : (u | 0x80000000u);
            row[i] = (uint32_t) i;
        }

        for (pass = 0; pass < 32; pass += 8) {
            memset(cnt, 0, sizeof(cnt));

            for (i = 0; i < n; i++) {
                cnt[(key[i] >> pass) & 0xff]++;
            }

            if (cnt[(key[0] >> pass) & 0xff] == n) {
                continue;
            }

            for (c = 0, sum = 0; c < 256; c++) {
                sum += cnt[c];
                cnt[c] = sum - cnt[c];
            }

            for (i = 0; i < n; i++) {
                c = (key[i] >> pass) & 0xff;
                key2[cnt[c]] = key[i];
                row2[cnt[c]] = row[i];
                cnt[c]++;
            }

            t = key; key = key2; key2 = t;
            t = row; row = row2; row2 = t;
        }

        /* the values as they are (-0 kept, as scikit-learn keeps it) */
        for (i = 0; i < n; i++) {
            b->gel[f * n + i].v = (float) b->x[row[i] * d + f];
            b->gel[f * n + i].i = row[i];
        }
    }

    free(buf);

    return 0;
}


/*
 * One tree, as scikit-learn's DepthFirstTreeBuilder builds it: a stack,
 * the right child pushed before the left one; the nodes are numbered in
 * the order they are taken from the stack.
 */

static int
mlp_cart_grow(mlp_cart_build_t *b, uint32_t rand_r)
{
    int                is_leaf, first;
    size_t                f, i, j, n, d, m, n_constant;
    uint32_t              id;
    mlp_cart_rec_t        rec, child;
    mlp_cart_node_t      *node;
    mlp_cart_split_t      split;
    const mlp_cart_el_t  *gel;
    n = b->n;
    d = b->d;
    b->rand_r = rand_r;
    b->n_tn = 0;
    b->n_tl = 0;
    b->n_stack = 0;
    b->wn_total = 0;

    for (i = 0; i < n; i++) {
        b->wn_total += b->rows[i].w;
    }

    /* the rows of weight > 0 (scikit-learn's samples), sorted per column */
    m = 0;

    if (b->literal) {
        for (i = 0; i < n; i++) {
            if (b->rows[i].w > 0) {
                b->samples[m++] = (uint32_t) i;
            }
        }

        m = 0;
    }

    for (f = 0; f < d; f++) {
        gel = b->gel + f * n;

        for (i = 0, j = f * m; i < n; i++) {
            if (b->rows[gel[i].i].w > 0) {
                b->el[j++] = gel[i];
            }
        }

        if (f == 0) {
            /* the first column counts them: column f starts at f * m */
            m = j;
        }
    }

    b->m = m;

    if (m == 0) {
        return MLP_CART_EMPTY;
    }

    for (f = 0; f < d; f++) {
        b->features[f] = f;
        b->constants[f] = f;
    }

    b->stack = mlp_cart_grow_array(b->stack, &b->cap_stack, 1,
                                   sizeof(mlp_cart_rec_t));
    if (b->stack == NULL) {
        return -1;
    }

    rec.start = 0;
    rec.end = m;
    rec.depth = 0;
    rec.parent = MLP_CART_NONE;
    rec.is_left = 0;
    rec.n_constant = 0;
    rec.ref = 0;
    rec.impurity = INFINITY;
    b->stack[b->n_stack++] = rec;
    first = 1;

    while (b->n_stack) {
        rec = b->stack[--b->n_stack];

        mlp_cart_node_reset(b, rec.start, rec.end, rec.ref);

        n = rec.end - rec.start;
        is_leaf = rec.depth >= b->max_depth || n < b->min_split
                  || n < 2 * b->min_leaf;

        if (first) {
            rec.impurity = mlp_cart_node_impurity(b);
            first = 0;
        }

        is_leaf = is_leaf || rec.impurity <= MLP_CART_EPS;
        n_constant = rec.n_constant;

        if (!is_leaf) {
            mlp_cart_node_split(b, rec.start, rec.end, rec.impurity,
                                &n_constant, &split);
            is_leaf = split.pos >= rec.end
                      || split.improvement + MLP_CART_EPS < 0;
        }

        b->tn = mlp_cart_grow_array(b->tn, &b->cap_tn, b->n_tn + 1,
                                    sizeof(mlp_cart_node_t));
        if (b->tn == NULL) {
            return -1;
        }

        id = (uint32_t) b->n_tn++;
        node = &b->tn[id];
        node->left = MLP_CART_NONE;
        node->right = MLP_CART_NONE;
        node->cover = b->wn;

        if (rec.parent != MLP_CART_NONE) {
            if (rec.is_left) {
                b->tn[rec.parent].left = id;

            } else {
                b->tn[rec.parent].right = id;
            }
        }

        if (is_leaf) {
            b->tl = mlp_cart_grow_array(b->tl, &b->cap_tl,
                                        (b->n_tl + 1) * b->width,
                                        sizeof(double));
            if (b->tl == NULL) {
                return -1;
            }

            node = &b->tn[id];
            node->feature = 0;
            node->threshold = 0;
            node->leaf = (uint32_t) b->n_tl;
            mlp_cart_leaf_value(b, b->tl + b->n_tl * b->width);
            b->n_tl++;
            continue;
        }

        node->feature = (uint32_t) split.feature;
        node->threshold = split.threshold;
        node->leaf = 0;

        b->stack = mlp_cart_grow_array(b->stack, &b->cap_stack,
                                       b->n_stack + 2,
                                       sizeof(mlp_cart_rec_t));
        if (b->stack == NULL) {
            return -1;
        }

        child.depth = rec.depth + 1;
        child.parent = id;
        child.n_constant = n_constant;
        child.ref = split.feature;

        child.start = split.pos;
        child.end = rec.end;
        child.is_left = 0;
        child.impurity = split.impurity_right;
        b->stack[b->n_stack++] = child;

        child.start = rec.start;
        child.end = split.pos;
        child.is_left = 1;
        child.impurity = split.impurity_left;
        b->stack[b->n_stack++] = child;
    }

    return 0;
}


/* the node's weight, class counts or sums (scikit-learn's criterion.init) */

static void
mlp_cart_node_reset(mlp_cart_build_t *b, size_t start, size_t end,
    size_t ref)
{
    size_t                 p, i;
    double                 wn, sum, sq;
    const mlp_cart_el_t   *el;
    const mlp_cart_row_t  *r;

    el = b->el + ref * b->m;
    wn = 0;

    if (b->k) {
        memset(b->sum_total, 0, b->k * sizeof(double));

        for (p = start; p < end; p++) {
            r = &b->rows[el[p].i];
            b->sum_total[r->u.c] += r->w;
            wn += r->w;
        }

    } else {
        sum = 0;
        sq = 0;

        for (p = start; p < end; p++) {
            i = b->literal ? b->samples[p] : el[p].i;
            r = &b->rows[i];
            sum += r->u.wy;
            sq += r->u.wy * b->y[i];
            wn += r->w;
        }

        b->sum_total[0] = sum;
        b->sq_total = sq;
    }

    b->wn = wn;
}


/* log2 as scikit-learn's tree/_utils computes it */

static double
mlp_cart_log2(double x)
{
    return log(x) / log(2.0);
}


/* gini or entropy of class counts of weight w, as scikit-learn's */

static double
mlp_cart_class_impurity(mlp_cart_build_t *b, const double *count, double w)
{
    uint32_t  c;
    double    sq, cnt, ent;

    if (b->criterion == MLP_CART_GINI) {
        sq = 0;

        for (c = 0; c < b->k; c++) {
            sq += count[c] * count[c];
        }

        return 1.0 - sq / (w * w);
    }

    ent = 0;

    for (c = 0; c < b->k; c++) {
        cnt = count[c];

        if (cnt > 0.0) {
            cnt /= w;
            ent -= cnt * mlp_cart_log2(cnt);
        }
    }

    return ent;
}


static double
mlp_cart_node_impurity(mlp_cart_build_t *b)
{
    if (b->k) {
        return mlp_cart_class_impurity(b, b->sum_total, b->wn);
    }

    return b->sq_total / b->wn - pow(b->sum_total[0] / b->wn, 2.0);
}


static void
mlp_cart_leaf_value(mlp_cart_build_t *b, double *out)
{
    uint32_t  c;
    double    sum;

    if (b->k == 0) {
        out[0] = b->sum_total[0] / b->wn;
        return;
    }

    /* predict_proba's normalization: a zero sum divides by 1 */
    sum = 0;

    for (c = 0; c < b->k; c++) {
        sum += b->sum_total[c];
    }

    if (sum == 0) {
        sum = 1;
    }

    for (c = 0; c < b->k; c++) {
        out[c] = b->sum_total[c] / sum;
    }
}


/*
 * scikit-learn's proxy_impurity_improvement, sum_left filled and wl the
 * weight on the left: -wr * impurity_right - wl * impurity_left for gini
 * and entropy, sum_left^2 / wl + sum_right^2 / wr for squared_error.
 */

static double
mlp_cart_proxy(mlp_cart_build_t *b, double wl)
{
    double  il, ir, sl, sr;

    if (b->k) {
        mlp_cart_children_impurity(b, wl, 0, &il, &ir);
        return -(b->wn - wl) * ir - wl * il;
    }

    sl = b->sum_left[0];
    sr = b->sum_total[0] - sl;

    return sl * sl / wl + sr * sr / (b->wn - wl);
}


/* scikit-learn's children_impurity, sum_left filled (sum_right made) */

static void
mlp_cart_children_impurity(mlp_cart_build_t *b, double wl, double sq_left,
    double *il, double *ir)
{
    uint32_t  c;
    double    wr;

    wr = b->wn - wl;

    if (b->k) {
        for (c = 0; c < b->k; c++) {
            b->sum_right[c] = b->sum_total[c] - b->sum_left[c];
        }

        *il = mlp_cart_class_impurity(b, b->sum_left, wl);
        *ir = mlp_cart_class_impurity(b, b->sum_right, wr);
        return;
    }

    *il = sq_left / wl;
    *ir = (b->sq_total - sq_left) / wr;
    *il -= pow(b->sum_left[0] / wl, 2.0);
    *ir -= pow((b->sum_total[0] - b->sum_left[0]) / wr, 2.0);
}


/*
 * BestSplitter.node_split: the features drawn without replacement until
 * max_features non-constant ones are seen (and at least one), constant
 * ones found on the way kept at the front of `features` for the subtree;
 * each drawn feature's every split point scanned; then the node's rows
 * partitioned into the best split's children in every column still needed.
 */

static void
mlp_cart_node_split(mlp_cart_build_t *b, size_t start, size_t end,
    double impurity, size_t *n_constant, mlp_cart_split_t *best)
{
    float                  lo, hi;
    size_t                 f_i, f_j, f, t, p, q, n_visited, n_found,
                           n_drawn, n_known, n_total;
    uint32_t               i;
    double                 best_proxy, wl, sq;
    const mlp_cart_el_t   *el;
    const mlp_cart_row_t  *r;

    best->pos = end;
    best->feature = 0;
    best->threshold = 0;
    best->impurity_left = INFINITY;
    best->impurity_right = INFINITY;
    best->improvement = -INFINITY;
    best_proxy = -INFINITY;

    f_i = b->d;
    n_visited = 0;
    n_found = 0;
    n_drawn = 0;
    n_known = *n_constant;
    n_total = n_known;

    while (f_i > n_total
           && (n_visited < b->max_features
               || n_visited <= n_found + n_drawn))
    {
        n_visited++;

        f_j = mlp_rand_int(n_drawn, f_i - n_found, &b->rand_r);

        if (f_j < n_known) {
            t = b->features[n_drawn];
            b->features[n_drawn] = b->features[f_j];
            b->features[f_j] = t;
            n_drawn++;
            continue;
        }

        f_j += n_found;
        f = b->features[f_j];

        el = b->el + f * b->m;
        lo = el[start].v;
        hi = el[end - 1].v;

        if (b->literal) {
            mlp_cart_sort_node(b, f, start, end);
        }

        if (hi <= (float) (lo + MLP_CART_FT)) {
            b->features[f_j] = b->features[n_total];
            b->features[n_total] = f;
            n_found++;
            n_total++;
            continue;
        }

        f_i--;
        b->features[f_j] = b->features[f_i];
        b->features[f_i] = f;

        if (b->literal) {
            mlp_cart_scan_literal(b, f, start, end, &best_proxy, best);

        } else {
            mlp_cart_scan(b, f, start, end, &best_proxy, best);
        }
    }

    if (best->pos < end) {
        el = b->el + best->feature * b->m;

        for (p = start; p < best->pos; p++) {
            b->mark[el[p].i] = 1;
        }

        for (p = best->pos; p < end; p++) {
            b->mark[el[p].i] = 0;
        }

        /* the columns the subtree may scan: not constant here */
        for (t = n_total; t < b->d; t++) {
            if (b->features[t] != best->feature) {
                mlp_cart_partition(b, b->features[t], start, end);
            }
        }

        wl = 0;
        sq = 0;

        if (b->literal) {
            /* BestSplitter's partition of its rows, by swaps */
            q = end;
            p = start;

            while (p < q) {
                if (b->mark[b->samples[p]]) {
                    p++;

                } else {
                    q--;
                    i = b->samples[p];
                    b->samples[p] = b->samples[q];
                    b->samples[q] = i;
                }
            }

            /* criterion.reset(), update(best.pos), children_impurity() */
            p = start;
            b->sum_left[0] = 0;
            mlp_cart_update(b, start, end, &p, best->pos, &wl);

            for (p = start; p < best->pos; p++) {
                r = &b->rows[b->samples[p]];
                sq += r->u.wy * b->y[b->samples[p]];
            }

        } else if (b->k) {
            memset(b->sum_left, 0, b->k * sizeof(double));

            for (p = start; p < best->pos; p++) {
                r = &b->rows[el[p].i];
                b->sum_left[r->u.c] += r->w;
                wl += r->w;
            }

        } else {
            b->sum_left[0] = 0;

            for (p = start; p < best->pos; p++) {
                r = &b->rows[el[p].i];
                b->sum_left[0] += r->u.wy;
                sq += r->u.wy * b->y[el[p].i];
                wl += r->w;
            }
        }

        mlp_cart_children_impurity(b, wl, sq, &best->impurity_left,
                                   &best->impurity_right);

        best->improvement = (b->wn / b->wn_total)
            * (impurity
               - ((b->wn - wl) / b->wn * best->impurity_right)
               - (wl / b->wn * best->impurity_left));
    }

    memcpy(b->features, b->constants, n_known * sizeof(size_t));
    memcpy(b->constants + n_known, b->features + n_known,
           n_found * sizeof(size_t));

    *n_constant = n_total;
}


/*
 * Every split point of feature f: between two distinct sorted values.
 * For gini, sum_left^2 / wl + sum_right^2 / wr (the proxy plus the node's
 * weight, in exact arithmetic) ranks the points first, and scikit-learn's
 * proxy, with its rounding, decides only among those within 1e-12 of the
 * best: the same choice, without its four divisions at every point.
 */

static void
mlp_cart_scan(mlp_cart_build_t *b, size_t f, size_t start, size_t end,
    double *best_proxy, mlp_cart_split_t *best)
{
    size_t                 p, q, c;
    double                 wl, wr, wn, proxy, thr, screen, sql, sqr, cl, cr;
    const mlp_cart_el_t   *el;
    const mlp_cart_row_t  *r;

    el = b->el + f * b->m;
    wn = b->wn;

    memset(b->sum_left, 0, b->width * sizeof(double));
    wl = 0;
    q = start;
    p = start;
    screen = *best_proxy + wn - wn * 1e-12;

    while (p < end) {
        while (p + 1 < end
               && el[p + 1].v <= (float) (el[p].v + MLP_CART_FT))
        {
            p++;
        }

        p++;

        if (p >= end) {
            break;
        }

        if (p - start < b->min_leaf) {
            continue;
        }

        if (end - p < b->min_leaf) {
            break;
        }

        if (b->k) {
            for ( /* void */ ; q < p; q++) {
                r = &b->rows[el[q].i];
                b->sum_left[r->u.c] += r->w;
                wl += r->w;
            }

            if (b->criterion == MLP_CART_GINI) {
                sql = 0;
                sqr = 0;

                for (c = 0; c < b->k; c++) {
                    cl = b->sum_left[c];
                    cr = b->sum_total[c] - cl;
                    sql += cl * cl;
                    sqr += cr * cr;
                }

                wr = wn - wl;

                if (sql / wl + sqr / wr < screen) {
                    continue;
                }
            }

        } else {
            for ( /* void */ ; q < p; q++) {
                r = &b->rows[el[q].i];
                b->sum_left[0] += r->u.wy;
                wl += r->w;
            }
        }

        proxy = mlp_cart_proxy(b, wl);

        if (proxy > *best_proxy) {
            *best_proxy = proxy;
            screen = proxy + wn - wn * 1e-12;

            /* the sum of halves, which cannot overflow */
            thr = (double) el[p - 1].v / 2.0 + (double) el[p].v / 2.0;

            if (thr == (double) el[p].v || isinf(thr)) {
                thr = el[p - 1].v;
            }

            best->pos = p;
            best->feature = f;
            best->threshold = thr;
        }
    }
}


/*
 * A stable partition of feature f's node segment by the marks, without a
 * branch: each element is stored to both sides, and only one side's end
 * moves.
 */

static void
mlp_cart_partition(mlp_cart_build_t *b, size_t f, size_t start, size_t end)
{
    size_t          p, l, r, g;
    mlp_cart_el_t  *el, *tmp, e;

    el = b->el + f * b->m;
    tmp = b->tmp;
    l = start;
    r = 0;

    for (p = start; p < end; p++) {
        e = el[p];
        g = b->mark[e.i];
        el[l] = e;
        tmp[r] = e;
        l += g;
        r += 1 - g;
    }

    memcpy(el + l, tmp, r * sizeof(mlp_cart_el_t));
}


/*
 * The node's rows in the order scikit-learn's sort leaves them, with their
 * values in xs.  Its introsort is not stable, so equal values come out in
 * an order that depends on the order they went in (the previous feature's):
 * only where the node has equal values is it run; distinct values have one
 * sorted order, the column's segment.
 */

static void
mlp_cart_sort_node(mlp_cart_build_t *b, size_t f, size_t start, size_t end)
{
    size_t                p;
    const mlp_cart_el_t  *el;

    el = b->el + f * b->m;

    for (p = start + 1; p < end; p++) {
        if (el[p].v == el[p - 1].v) {
            break;
        }
    }

    if (p < end) {
        for (p = start; p < end; p++) {
            b->xs[p] = b->xc[f * b->n + b->samples[p]];
        }

        mlp_cart_sort(b->xs + start, b->samples + start, end - start);
        return;
    }

    for (p = start; p < end; p++) {
        b->xs[p] = el[p].v;
        b->samples[p] = el[p].i;
    }
}


/* scikit-learn's sort of tree/_splitter.pyx: introsort, 3-way partition */

static void
mlp_cart_sort(float *xf, uint32_t *s, size_t n)
{
    if (n == 0) {
        return;
    }

    mlp_cart_introsort(xf, s, n, 2 * (int) mlp_cart_log2((double) n));
}


#define mlp_cart_swap(xf, s, a, b)                                            \
    do {                                                                      \
        float     tx_ = xf[a];                                                \
        uint32_t  ts_ = s[a];                                                 \
        xf[a] = xf[b]; xf[b] = tx_;                                           \
        s[a] = s[b]; s[b] = ts_;                                              \
    } while (0)


static void
mlp_cart_introsort(float *xf, uint32_t *s, size_t n, int maxd)
{
    float   a, b, c, pivot;
    size_t  i, l, r;

    while (n > 1) {
        if (maxd <= 0) {
            mlp_cart_heapsort(xf, s, n);
            return;
        }

        maxd--;

        /* median of three (Bentley and McIlroy) */
        a = xf[0];
        b = xf[n / 2];
        c = xf[n - 1];

        if (a < b) {
            pivot = b < c ? b : (a < c ? c : a);

        } else {
            pivot = b < c ? (a < c ? a : c) : b;
        }

        i = 0;
        l = 0;
        r = n;

        while (i < r) {
            if (xf[i] < pivot) {
                mlp_cart_swap(xf, s, i, l);
                i++;
                l++;

            } else if (xf[i] > pivot) {
                r--;
                mlp_cart_swap(xf, s, i, r);

            } else {
                i++;
            }
        }

        mlp_cart_introsort(xf, s, l, maxd);
        xf += r;
        s += r;
        n -= r;
    }
}


static void
mlp_cart_sift_down(float *xf, uint32_t *s, size_t start, size_t end)
{
    size_t  child, maxind, root;

    root = start;

    for ( ;; ) {
        child = root * 2 + 1;
        maxind = root;

        if (child < end && xf[maxind] < xf[child]) {
            maxind = child;
        }

        if (child + 1 < end && xf[maxind] < xf[child + 1]) {
            maxind = child + 1;
        }

        if (maxind == root) {
            break;
        }

        mlp_cart_swap(xf, s, root, maxind);
        root = maxind;
    }
}


static void
mlp_cart_heapsort(float *xf, uint32_t *s, size_t n)
{
    size_t  start, end;

    start = (n - 2) / 2;
    end = n;

    for ( ;; ) {
        mlp_cart_sift_down(xf, s, start, end);

        if (start == 0) {
            break;
        }

        start--;
    }

    for (end = n - 1; end > 0; end--) {
        mlp_cart_swap(xf, s, 0, end);
        mlp_cart_sift_down(xf, s, 0, end);
    }
}


/*
 * RegressionCriterion.update: sum_left from pos to new_pos, or, when that
 * is the longer way, from the node's total back from the end.
 */

static void
mlp_cart_update(mlp_cart_build_t *b, size_t start, size_t end, size_t *pos,
    size_t new_pos, double *wl)
{
    size_t                 p;
    const mlp_cart_row_t  *r;

    if (new_pos - *pos <= end - new_pos) {
        for (p = *pos; p < new_pos; p++) {
            r = &b->rows[b->samples[p]];
            b->sum_left[0] += r->u.wy;
            *wl += r->w;
        }

    } else {
        b->sum_left[0] = b->sum_total[0];
        *wl = b->wn;

        for (p = end; p-- > new_pos; ) {
            r = &b->rows[b->samples[p]];
            b->sum_left[0] -= r->u.wy;
            *wl -= r->w;
        }
    }

    *pos = new_pos;
}


/* BestSplitter's scan of a regression node's rows sorted by feature f */

static void
mlp_cart_scan_literal(mlp_cart_build_t *b, size_t f, size_t start,
    size_t end, double *best_proxy, mlp_cart_split_t *best)
{
    size_t        p, pos;
    double        wl, proxy, thr;
    const float  *xs;

    xs = b->xs;
    b->sum_left[0] = 0;
    wl = 0;
    pos = start;
    p = start;

    while (p < end) {
        while (p + 1 < end && xs[p + 1] <= (float) (xs[p] + MLP_CART_FT)) {
            p++;
        }

        p++;

        if (p >= end) {
            break;
        }

        if (p - start < b->min_leaf || end - p < b->min_leaf) {
            continue;
        }

        mlp_cart_update(b, start, end, &pos, p, &wl);
        proxy = mlp_cart_proxy(b, wl);

        if (proxy > *best_proxy) {
            *best_proxy = proxy;
            thr = (double) xs[p - 1] / 2.0 + (double) xs[p] / 2.0;

            if (thr == (double) xs[p] || isinf(thr)) {
                thr = xs[p - 1];
            }

            best->pos = p;
            best->feature = f;
            best->threshold = thr;
        }
    }
}


/*
 * The tree into the model's arrays, renumbered breadth-first as the
 * exporter renumbers scikit-learn's trees (siblings adjacent, right = left
 * + 1), leaves numbered in that order.
 */

static int
mlp_cart_emit(mlp_cart_build_t *b, mlp_cart_model_t *m, uint32_t t)
{
    size_t                  i, len, cap;
    uint32_t                o, base;
    mlp_node_t             *nd;
    const mlp_cart_node_t  *tn;

    if (m->n_nodes + b->n_tn > 0xffffffffu
        || (m->n_leaves + b->n_tl) * m->width > 0xffffffffu)
    {
        return -1;
    }

    if (b->cap_queue < b->n_tn) {
        free(b->queue);
        free(b->renum);
        b->queue = malloc(b->n_tn * sizeof(uint32_t));
        b->renum = malloc(b->n_tn * sizeof(uint32_t));
        b->cap_queue = b->n_tn;

        if (b->queue == NULL || b->renum == NULL) {
            b->cap_queue = 0;
            return -1;
        }
    }

    cap = (size_t) m->cap_nodes;
    m->nodes = mlp_cart_grow_array(m->nodes, &cap, m->n_nodes + b->n_tn,
                                   sizeof(mlp_node_t));
    if (m->nodes == NULL) {
        return -1;
    }

    cap = (size_t) m->cap_nodes;
    m->cover = mlp_cart_grow_array(m->cover, &cap, m->n_nodes + b->n_tn,
                                   sizeof(double));
    if (m->cover == NULL) {
        return -1;
    }

    m->cap_nodes = cap;

    cap = (size_t) m->cap_leaves;
    m->leaves = mlp_cart_grow_array(m->leaves, &cap,
                                    (m->n_leaves + b->n_tl) * m->width,
                                    sizeof(double));
    if (m->leaves == NULL) {
        return -1;
    }

    m->cap_leaves = cap;

    base = (uint32_t) m->n_nodes;
    m->roots[t] = base;

    b->queue[0] = 0;
    b->renum[0] = 0;
    len = 1;

    for (i = 0; i < len; i++) {
        tn = &b->tn[b->queue[i]];

        if (tn->left != MLP_CART_NONE) {
            b->renum[tn->left] = (uint32_t) len;
            b->queue[len++] = tn->left;
            b->renum[tn->right] = (uint32_t) len;
            b->queue[len++] = tn->right;
        }
    }

    for (i = 0; i < len; i++) {
        o = b->queue[i];
        tn = &b->tn[o];
        nd = &m->nodes[base + i];
        m->cover[base + i] = tn->cover;

        if (tn->left == MLP_CART_NONE) {
            nd->threshold = 0;
            nd->a = (uint32_t) m->n_leaves;
            nd->info = MLP_NODE_LEAF;
            memcpy(m->leaves + m->n_leaves * m->width,
                   b->tl + (size_t) tn->leaf * m->width,
                   m->width * sizeof(double));
            m->n_leaves++;

        } else {
            nd->threshold = tn->threshold;
            nd->a = base + b->renum[tn->left];
            nd->info = tn->feature;
        }
    }

    m->n_nodes += len;

    return 0;
}


static void *
mlp_cart_grow_array(void *p, size_t *cap, size_t need, size_t size)
{
    void    *np;
    size_t   c;

    if (need <= *cap) {
        return p;
    }

    c = *cap ? *cap : 64;

    while (c < need) {
        c *= 2;
    }

    np = realloc(p, c * size);
    if (np == NULL) {
        free(p);
        *cap = 0;
        return NULL;
    }

    *cap = c;

    return np;
}


void
mlp_cart_predict(const mlp_cart_model_t *m, const double *x, size_t n,
    double *out)
{
    size_t             r, t, c;
    double            *o;
    const double      *row, *leaf;
    const mlp_node_t  *nd;

    for (r = 0; r < n; r++) {
        row = x + r * m->d;
        o = out + r * m->width;

        for (c = 0; c < m->width; c++) {
            o[c] = 0;
        }

        for (t = 0; t < m->n_trees; t++) {
            nd = &m->nodes[m->roots[t]];

            while (!(nd->info & MLP_NODE_LEAF)) {
                /* as the kernel: float32, then <= in double */
                if ((double) (float) row[nd->info & MLP_NODE_FEATURE]
                    <= nd->threshold)
                {
                    nd = &m->nodes[nd->a];

                } else {
                    nd = &m->nodes[nd->a + 1];
                }
            }

            leaf = m->leaves + (size_t) nd->a * m->width;

            for (c = 0; c < m->width; c++) {
                o[c] += leaf[c];
            }
        }

        for (c = 0; c < m->width; c++) {
            o[c] /= (double) m->n_trees;
        }
    }
}


int
mlp_cart_write(const mlp_cart_model_t *m, mlp_writer_t *w, char *err,
    size_t errlen)
{
    if (w->n_features != m->d) {
        mlp_fail(err, errlen, "the writer has %u features, the trees %u",
                 w->n_features, m->d);
        return -1;
    }

    w->kind = MLP_KIND_TREES;
    w->n_outputs = m->width;
    w->link = MLP_LINK_MEAN;

    if (mlp_writer_add(w, MLP_SEC_TREE_PARAMS, MLP_DTYPE_U32, m->params,
                       sizeof(m->params), 8) != 0
        || mlp_writer_add(w, MLP_SEC_TREE_ROOTS, MLP_DTYPE_U32, m->roots,
                          m->n_trees * sizeof(uint32_t), m->n_trees) != 0
        || mlp_writer_add(w, MLP_SEC_NODES, MLP_DTYPE_NODE, m->nodes,
                          m->n_nodes * sizeof(mlp_node_t), m->n_nodes) != 0
        || mlp_writer_add(w, MLP_SEC_LEAF_VALUES, MLP_DTYPE_F64, m->leaves,
                          m->n_leaves * m->width * sizeof(double),
                          m->n_leaves * m->width) != 0
        || mlp_writer_add(w, MLP_SEC_NODE_COVER, MLP_DTYPE_F64, m->cover,
                          m->n_nodes * sizeof(double), m->n_nodes) != 0)
    {
        mlp_fail(err, errlen, "too many sections for one model file");
        return -1;
    }

    return 0;
}


static void
mlp_cart_build_free(mlp_cart_build_t *b)
{
    free(b->gel);
    free(b->el);
    free(b->tmp);
    free(b->mark);
    free(b->rows);
    free(b->xc);
    free(b->xs);
    free(b->samples);
    free(b->features);
    free(b->constants);
    free(b->sum_total);
    free(b->tn);
    free(b->tl);
    free(b->stack);
    free(b->queue);
    free(b->renum);
}


void
mlp_cart_free(mlp_cart_model_t *m)
{
    if (m == NULL) {
        return;
    }

    free(m->roots);
    free(m->nodes);
    free(m->leaves);
    free(m->cover);
    free(m);
}
