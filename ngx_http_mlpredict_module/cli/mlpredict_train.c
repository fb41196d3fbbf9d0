
/*
 * mlpredict train ALGO DATA.csv --label COLUMN -o OUT.mlp [options]
 *
 * The whole file read and typed, every option and the data checked, the
 * rows split, the preparation and the estimator fitted on the training
 * rows (core/train/), the model file written atomically and loaded back
 * as the server loads it, then `mlpredict eval`'s report on the held-out
 * rows. `auto` first cross-validates a small grid of algorithms on the
 * training rows, each fold's model built in memory and answered by the
 * same core predictor the server runs.
 */

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mlp.h"
#include "mlp_internal.h"
#include "eval/mlp_metrics.h"
#include "train/mlp_train.h"
#include "mlpredict.h"


#define MLP_ALGO_AUTO           MLP_ALGO_N
#define MLP_A(a)                (1u << (a))
#define MLP_A_ALL               0xffu
#define MLP_A_SVMS              (MLP_A(MLP_ALGO_SVM) | MLP_A(MLP_ALGO_SVR))
#define MLP_A_CART              (MLP_A(MLP_ALGO_TREE) | MLP_A(MLP_ALGO_FOREST))
#define MLP_A_AUTO              0x100u

#define MLP_METRIC_ACCURACY     0
#define MLP_METRIC_F1           1
#define MLP_METRIC_ROC_AUC      2
#define MLP_METRIC_R2           3
#define MLP_METRIC_RMSE         4

/* auto leaves kernel svm out above this many training rows (O(n^2)) */
#define MLP_AUTO_SVM_ROWS       20000
#define MLP_AUTO_MAX            16
/* --kernel-memory's default, MB: the kernel matrix of 16,000 rows */
#define MLP_KERNEL_MEMORY       2048
#define MLP_SCORE_ROWS          1024


typedef struct {
    const char               *name;
    unsigned                  algos;    /* MLP_A() of those it is for */
    int                       set;
    const char               *value;
} mlp_opt_t;


enum {
    MLP_O_ALPHA, MLP_O_C, MLP_O_TOL, MLP_O_MAX_ITER, MLP_O_KERNEL,
    MLP_O_GAMMA, MLP_O_DEGREE, MLP_O_COEF0, MLP_O_EPSILON,
    MLP_O_CRITERION, MLP_O_MAX_DEPTH, MLP_O_MIN_SPLIT, MLP_O_MIN_LEAF,
    MLP_O_MAX_FEATURES, MLP_O_N_ESTIMATORS, MLP_O_TASK, MLP_O_METRIC,
    MLP_O_FOLDS, MLP_O_KERNEL_MEMORY, MLP_O_N
};


/* the progress line: a thread redraws it while the work runs */
typedef struct {
    pthread_mutex_t           lock;
    pthread_t                 thread;
    int                       running;
    int                       shown;
    const char               *stage;
    size_t                    rows;
    uint32_t                  trees;
    uint32_t                  n_trees;
    struct timespec           start;
} mlp_progress_t;


typedef struct {
    const char               *name;     /* "logistic C=1" */
    mlp_train_opts_t          o;
    double                    mean;
    double                    sd;
    double                    seconds;
    int                       ok;
    char                      why[MLP_ERR_LEN];
} mlp_candidate_t;


typedef struct {
    mlp_table_t              *t;
    mlp_target_t              tg;
    size_t                    label;
    uint32_t                 *inputs;
    uint32_t                  n_inputs;
    const char               *data;
    const char               *label_name;
    int                       classify;
    mlp_gram_info_t           gram;     /* of the last model built */
    mlp_progress_t            pg;
} mlp_train_ctx_t;


static const char  *mlp_algo_names[] = {
    "linear", "ridge", "logistic", "linear-svm", "svm", "svr", "tree",
    "forest", "auto", NULL
};

static const char  *mlp_kernel_names[] = {
    "linear", "poly", "rbf", "sigmoid", NULL
};

static const char  *mlp_metric_names[] = {
    "accuracy", "f1", "roc_auc", "r2", "rmse", NULL
};


static int mlp_train_usage(void);
static int mlp_word(const char *s, const char **words);
static int mlp_number(const char *opt, const char *s, double lo, double hi,
    int lo_open, double *v);
static int mlp_integer(const char *opt, const char *s, double lo, double hi,
    uint32_t *v);
static double mlp_now(const struct timespec *since);
static void mlp_train_gram_report(const mlp_gram_info_t *gi,
    const mlp_train_opts_t *o);
static void *mlp_progress_run(void *data);
static void mlp_progress_start(mlp_progress_t *pg);
static void mlp_progress_stage(mlp_progress_t *pg, const char *stage,
    size_t rows, uint32_t n_trees);
static void mlp_progress_stop(mlp_progress_t *pg);
static void mlp_progress_trees(void *ctx, uint32_t done);
static unsigned char *mlp_train_build(mlp_train_ctx_t *cx,
    const mlp_train_opts_t *o, const size_t *rows, size_t n, size_t *len,
    mlp_prep_t **keep, uint32_t *present, uint32_t *n_present, char *err,
    size_t errlen);
static int mlp_train_cv(mlp_train_ctx_t *cx, mlp_candidate_t *cd,
    const size_t *train, size_t n_train, uint32_t folds, uint64_t seed,
    int metric);
static double mlp_metric_of(const mlp_metrics_t *mt, int metric,
    uint32_t k);
static uint32_t mlp_auto_grid(mlp_train_ctx_t *cx, const mlp_train_opts_t *o,
    size_t n_train, mlp_candidate_t *cd);
static void mlp_auto_rare(mlp_train_ctx_t *cx, const size_t *train,
    size_t n_train, uint32_t folds);


static int
mlp_train_usage(void)
{
    fprintf(stderr,
            "usage: mlpredict train ALGO DATA.csv --label COLUMN -o OUT.mlp "
            "[options]\n"
            "  ALGO: linear ridge logistic linear-svm svm svr tree forest "
            "auto\n"
            "  --drop COL,...  --test-size F (0.25)  --seed N (0)\n"
            "  ridge: --alpha A (1)\n"
            "  logistic, linear-svm, svm, svr: --C C (1)  --tol T  "
            "--max-iter N (logistic)\n"
            "  svm, svr: --kernel rbf|poly|linear|sigmoid  --gamma "
            "scale|auto|G\n"
            "            --degree D (3)  --coef0 R (0)  --probability (svm)"
            "  --epsilon E (svr, 0.1)\n"
            "  svm, svr, auto: --kernel-memory MB (svr 2048, svm 0; 0 none)\n"
            "  tree, forest: --criterion gini|entropy|squared_error  "
            "--max-depth N\n"
            "            --min-samples-split N (2)  --min-samples-leaf N (1)"
            "\n"
            "            --max-features sqrt|log2|N|all  --n-estimators N "
            "(forest, 100)\n"
            "  tree, forest, auto: --task classification|regression\n"
            "  auto: --metric accuracy|f1|roc_auc|r2|rmse  --folds K (5)\n");
    return 2;
}


static int
mlp_word(const char *s, const char **words)
{
    int  i;

    for (i = 0; words[i] != NULL; i++) {
        if (strcmp(s, words[i]) == 0) {
            return i;
        }
    }

    return -1;
}


static int
mlp_number(const char *opt, const char *s, double lo, double hi, int lo_open,
    double *v)
{
    char  *end;

    errno = 0;
    *v = strtod(s, &end);

    if (*s == '\0' || *end != '\0' || errno != 0 || !isfinite(*v)
        || *v < lo || (lo_open && *v == lo) || *v > hi)
    {
        fprintf(stderr, "mlpredict: --%s %s: a number %s %g%s\n", opt, s,
                lo_open ? "above" : "from", lo,
                isinf(hi) ? "" : (hi == 1 ? " and below 1" : ""));
        return -1;
    }

    return 0;
}


static int
mlp_integer(const char *opt, const char *s, double lo, double hi,
    uint32_t *v)
{
    char  *end;
    long   l;

    errno = 0;
    l = strtol(s, &end, 10);

    if (*s == '\0' || *end != '\0' || errno != 0 || l < lo || l > hi) {
        fprintf(stderr, "mlpredict: --%s %s: a whole number from %.0f to "
                "%.0f\n", opt, s, lo, hi);
        return -1;
    }

    *v = (uint32_t) l;

    return 0;
}


static double
mlp_now(const struct timespec *since)
{
    struct timespec  now;

    clock_gettime(CLOCK_MONOTONIC, &now);

    return (double) (now.tv_sec - since->tv_sec)
           + (double) (now.tv_nsec - since->tv_nsec) / 1e9;
}


/* ---------------------------------------------------------- progress */


static void *
mlp_progress_run(void *data)
{
    double           t;
    mlp_progress_t  *pg;
    struct timespec  nap;

    pg = data;
    nap.tv_sec = 0;
    nap.tv_nsec = 250000000;

    for ( ;; ) {
        nanosleep(&nap, NULL);

        pthread_mutex_lock(&pg->lock);

        if (!pg->running) {
            pthread_mutex_unlock(&pg->lock);
            return NULL;
        }

        t = mlp_now(&pg->start);

        /* nothing for work done within a second */
        if (t >= 1.0) {
            if (pg->n_trees) {
                fprintf(stderr, "\r%s: %zu rows, %u/%u trees, %.1f s\033[K",
                        pg->stage, pg->rows, pg->trees, pg->n_trees, t);

            } else {
                fprintf(stderr, "\r%s: %zu rows, %.1f s\033[K", pg->stage,
                        pg->rows, t);
            }

            pg->shown = 1;
        }

        pthread_mutex_unlock(&pg->lock);
    }
}


static void
mlp_progress_start(mlp_progress_t *pg)
{
    memset(pg, 0, sizeof(mlp_progress_t));
    pthread_mutex_init(&pg->lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &pg->start);
    pg->stage = "reading";

    if (!isatty(STDERR_FILENO)) {
        return;
    }

    pg->running = 1;

    if (pthread_create(&pg->thread, NULL, mlp_progress_run, pg) != 0) {
        pg->running = 0;
    }
}


static void
mlp_progress_stage(mlp_progress_t *pg, const char *stage, size_t rows,
    uint32_t n_trees)
{
    pthread_mutex_lock(&pg->lock);
    pg->stage = stage;
    pg->rows = rows;
    pg->trees = 0;
    pg->n_trees = n_trees;
    pthread_mutex_unlock(&pg->lock);
}


static void
mlp_progress_trees(void *ctx, uint32_t done)
{
    mlp_progress_t  *pg;

    pg = ctx;
    pthread_mutex_lock(&pg->lock);
    pg->trees = done;
    pthread_mutex_unlock(&pg->lock);
}


/* The line erased: before anything else is printed. */

static void
mlp_progress_stop(mlp_progress_t *pg)
{
    int  running;

    pthread_mutex_lock(&pg->lock);
    running = pg->running;
    pg->running = 0;
    pthread_mutex_unlock(&pg->lock);

    if (running) {
        pthread_join(pg->thread, NULL);
    }

    if (pg->shown) {
        fprintf(stderr, "\r\033[K");
        pg->shown = 0;
    }
}


/*
 * svm and svr: whether libsvm had the kernel matrix, in bytes as
 * --kernel-memory counts them, and why not.
 */

static void
mlp_train_gram_report(const mlp_gram_info_t *gi, const mlp_train_opts_t *o)
{
    char                 why[128];
    unsigned long long   bytes, mb;

    bytes = (unsigned long long) gi->bytes;
    mb = (unsigned long long) (o->kernel_memory >> 20);

    switch (gi->used) {

    case MLP_GRAM_NA:
        return;

    case MLP_GRAM_USED:
        printf("kernel matrix: used, %llu bytes (%.1f MiB) within "
               "--kernel-memory %llu\n", bytes, bytes / 1048576.0, mb);
        return;

    case MLP_GRAM_TOO_BIG:
        printf("kernel matrix: not used, too many rows: libsvm's sparse "
               "rows\n");
        return;

    case MLP_GRAM_OFF:
        snprintf(why, sizeof(why), ", %s",
                 o->kernel_memory_set ? "--kernel-memory 0"
                                      : "svm's only with --kernel-memory");
        break;

    case MLP_GRAM_BUDGET:
        snprintf(why, sizeof(why), " over --kernel-memory %llu", mb);
        break;

    case MLP_GRAM_MEMORY:
        snprintf(why, sizeof(why), " over half the memory (%llu MiB, "
                 "physical or the cgroup's limit)",
                 (unsigned long long) (gi->memory >> 20));
        break;

    default: /* MLP_GRAM_FAILED */
        snprintf(why, sizeof(why), " that could not be allocated");
    }

    printf("kernel matrix: not used, %llu bytes (%.1f MiB)%s: libsvm's "
           "sparse rows\n", bytes, bytes / 1048576.0, why);
}


/* ------------------------------------------------------------ building */


/*
 * The preparation and the estimator fitted on rows, the whole model file
 * built in memory (malloc'ed, *len bytes); keep: the preparation too.
 * Every class must have a row, unless present is given (a fold of the
 * cross-validation): the model then knows only the classes of its rows,
 * as scikit-learn's estimator fitted on the fold, and present[] maps its
 * *n_present classes to the label's.
 */

static unsigned char *
mlp_train_build(mlp_train_ctx_t *cx, const mlp_train_opts_t *o,
    const size_t *rows, size_t n, size_t *len, mlp_prep_t **keep,
    uint32_t *present, uint32_t *n_present, char *err, size_t errlen)
{
    int                rc;
    char              *producer, *labels, *lp;
    double            *x, *y;
    size_t             i, labels_size;
    uint32_t           k, *seen, c, kk;
    mlp_est_t          est;
    mlp_prep_t        *p;
    mlp_writer_t       w;
    unsigned char     *file;
    mlp_train_data_t   data;
    mlp_train_opts_t   oo;

    memset(&est, 0, sizeof(mlp_est_t));
    memset(&w, 0, sizeof(mlp_writer_t));
    file = NULL;
    x = y = NULL;
    seen = NULL;
    producer = NULL;
    labels = NULL;
    k = cx->classify ? cx->tg.n_classes : 0;

    p = mlp_prep_fit(cx->t, cx->inputs, cx->n_inputs, rows, n,
                     o->algo != MLP_ALGO_TREE && o->algo != MLP_ALGO_FOREST,
                     err, errlen);
    if (p == NULL) {
        return NULL;
    }

    /* the prepared matrix, and the trainers' copies of it, bounded */
    if (p->n_features != 0 && n > MLP_TRAIN_MAX_VALUES / p->n_features) {
        mlp_fail(err, errlen, "%zu rows of %u features after one-hot "
                 "encoding are over the %llu values (%llu GiB) a training "
                 "matrix may take: --drop text columns of many values, or "
                 "train on fewer rows", n, p->n_features,
                 (unsigned long long) MLP_TRAIN_MAX_VALUES,
                 (unsigned long long) (MLP_TRAIN_MAX_VALUES * 8 >> 30));
        goto done;
    }

    x = mlp_train_malloc(n * p->n_features * sizeof(double));
    y = malloc(n * sizeof(double) + 1);
    seen = calloc(k + 1, sizeof(uint32_t));

    if (x == NULL || y == NULL || seen == NULL) {
        mlp_fail(err, errlen, "out of memory: %zu rows of %u features", n,
                 p->n_features);
        goto done;
    }

    mlp_prep_matrix(p, cx->t, rows, n, x);

    for (i = 0; i < n; i++) {
        y[i] = cx->tg.y[rows[i]];

        if (k) {
            seen[(size_t) y[i]] = 1;
        }
    }

    /* seen[c]: the model's code of class c, plus one */
    kk = 0;
    labels_size = 0;

    for (c = 0; c < k; c++) {
        if (seen[c]) {
            seen[c] = ++kk;
            labels_size += strlen(cx->tg.labels[c]) + 1;

            if (present != NULL) {
                present[kk - 1] = c;
            }

        } else if (present == NULL) {
            /* the final model answers every class: each must be learnt */
            mlp_fail(err, errlen, "the class %s of \"%s\" has no training "
                     "row (another --seed or a smaller --test-size)",
                     cx->tg.labels[c], cx->label_name);
            goto done;
        }
    }

    if (n_present != NULL) {
        *n_present = kk;
    }

    if (k && kk < 2) {
        mlp_fail(err, errlen, "these rows hold one class of \"%s\" only",
                 cx->label_name);
        goto done;
    }

    labels = malloc(labels_size + 1);
    if (labels == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto done;
    }

    lp = labels;

    for (c = 0; c < k; c++) {
        if (seen[c]) {
            lp = stpcpy(lp, cx->tg.labels[c]) + 1;
        }
    }

    for (i = 0; k && kk < k && i < n; i++) {
        y[i] = seen[(size_t) y[i]] - 1;
    }

    data.x = x;
    data.n = n;
    data.d = p->n_features;
    data.y = y;
    data.w = NULL;
    data.n_classes = kk;

    oo = *o;

    if (o->algo == MLP_ALGO_TREE || o->algo == MLP_ALGO_FOREST) {
        /* sqrt and log2 of the prepared features, as scikit-learn */
        switch (o->max_features_rule) {
        case 1:
            oo.cart.max_features = (size_t) sqrt((double) data.d);
            break;
        case 2:
            oo.cart.max_features = (size_t) log2((double) data.d);
            break;
        case 3:
            if (o->max_features > data.d) {
                mlp_fail(err, errlen, "--max-features %u: the data has %zu "
                         "features", o->max_features, data.d);
                goto done;
            }

            oo.cart.max_features = o->max_features;
            break;
        default:
            oo.cart.max_features = 0;
        }

        if (o->max_features_rule && oo.cart.max_features == 0) {
            oo.cart.max_features = 1;
        }

        oo.cart.progress = mlp_progress_trees;
        oo.cart.progress_ctx = &cx->pg;
    }

    w.n_features = p->n_features;

    rc = mlp_train_fit(&data, &oo, &w, &est, err, errlen);
    cx->gram = est.gram;

    if (rc != 0) {
        goto done;
    }

    w.n_features = p->n_features;

    if (mlp_prep_write(p, cx->t, &w, err, errlen) != 0) {
        goto done;
    }

    if (k) {
        mlp_writer_add(&w, MLP_SEC_CLASS_LABELS, MLP_DTYPE_STRINGS, labels,
                       labels_size, kk);
    }

    producer = malloc(512);
    if (producer == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto done;
    }

    snprintf(producer, 512, "{\"library\":\"mlpredict train\","
             "\"algorithm\":\"%s\",\"task\":\"%s\",\"rows\":%zu}",
             mlp_algo_names[o->algo],
             k ? "classification" : "regression", n);
    mlp_writer_add(&w, MLP_SEC_PRODUCER, MLP_DTYPE_STRINGS, producer,
                   strlen(producer) + 1, 1);

    file = mlp_writer_build(&w, len);
    if (file == NULL) {
        mlp_fail(err, errlen, "out of memory");
    }

done:

    mlp_est_free(&est);

    if (keep != NULL && file != NULL) {
        *keep = p;

    } else {
        mlp_prep_free(p);
    }

    free(x);
    free(y);
    free(seen);
    free(labels);
    free(producer);

    return file;
}


/* ------------------------------------------------------ cross-validation */


static double
mlp_metric_of(const mlp_metrics_t *mt, int metric, uint32_t k)
{
    switch (metric) {
    case MLP_METRIC_ACCURACY:
        return mt->accuracy;
    case MLP_METRIC_F1:
        /* f1_score's default: the positive class's, binary; else macro */
        return k == 2 ? mt->f1[1] : mt->macro[2];
    case MLP_METRIC_ROC_AUC:
        return mt->roc_auc;
    case MLP_METRIC_R2:
        return mt->r2;
    default:
        return mt->rmse;
    }
}


/*
 * k-fold on the training rows: their positions shuffled as the split
 * shuffles (seed + 1); classifying, stratified as scikit-learn's
 * StratifiedKFold deals them (the shuffled rows grouped by class, class
 * by class, then position i of that order in fold i mod k: each class
 * spread over the folds as evenly as it can be); regressing, position i
 * of the shuffle in fold i mod k. Each fold answered by a model built on
 * the others, loaded from memory as the server loads it; a model that
 * learnt fewer classes (a class of fewer rows than folds) has its answers
 * mapped back to the label's classes, probability 0 for the others.
 */

static int
mlp_train_cv(mlp_train_ctx_t *cx, mlp_candidate_t *cd, const size_t *train,
    size_t n_train, uint32_t folds, uint64_t seed, int metric)
{
    int               proba;
    char              why[MLP_ERR_LEN];
    double           *in, *out, *pv, v, sum, sq;
    size_t            i, j, n_fit, n_val, r, b, len, *fit, *val, *perm, tmp,
                     *start;
    uint32_t          f, k, kk, c, *labels, *present, *fold;
    uint64_t          s;
    mlp_alloc_t       a;
    mlp_error_t       e;
    mlp_prep_t       *p;
    mlp_block_t      *chunks;
    mlp_model_t      *m;
    mlp_metrics_t    *mt;
    unsigned char    *file;
    struct timespec   t0;

    clock_gettime(CLOCK_MONOTONIC, &t0);

    k = cx->classify ? cx->tg.n_classes : 0;
    f = 0;
    why[0] = '\0';

    perm = malloc(n_train * sizeof(size_t));
    fit = malloc(n_train * sizeof(size_t));
    val = malloc(n_train * sizeof(size_t));
    fold = malloc(n_train * sizeof(uint32_t));
    start = calloc(k + 1, sizeof(size_t));
    present = malloc((k + 1) * sizeof(uint32_t));
    pv = malloc((k + 1) * sizeof(double));
    in = malloc((size_t) MLP_SCORE_ROWS * cx->n_inputs * sizeof(double));

    if (perm == NULL || fit == NULL || val == NULL || fold == NULL
        || start == NULL || present == NULL || pv == NULL || in == NULL)
    {
        snprintf(why, sizeof(why), "out of memory");
        goto failed;
    }

    for (i = 0; i < n_train; i++) {
        perm[i] = i;
    }

    s = seed + 1;

    for (i = n_train; i-- > 1; /* void */) {
        j = (size_t) ((double) (mlp_train_rand(&s) >> 11) * 0x1.0p-53
                      * (double) (i + 1));
        tmp = perm[i];
        perm[i] = perm[j];
        perm[j] = tmp;
    }

    if (k) {
        /* grouped by class, a stable counting sort (fit as scratch) */
        for (i = 0; i < n_train; i++) {
            start[(size_t) cx->tg.y[train[i]] + 1]++;
        }

        for (c = 1; c < k; c++) {
            start[c] += start[c - 1];
        }

        for (i = 0; i < n_train; i++) {
            fit[start[(size_t) cx->tg.y[train[perm[i]]]]++] = perm[i];
        }

        memcpy(perm, fit, n_train * sizeof(size_t));
    }

    for (i = 0; i < n_train; i++) {
        fold[perm[i]] = (uint32_t) (i % folds);
    }

    proba = cd->o.algo == MLP_ALGO_LOGISTIC || cd->o.algo == MLP_ALGO_TREE
            || cd->o.algo == MLP_ALGO_FOREST
            || (cd->o.algo == MLP_ALGO_SVM && cd->o.probability);
    sum = sq = 0;

    for (f = 0; f < folds; f++) {
        n_fit = n_val = 0;

        for (i = 0; i < n_train; i++) {
            if (fold[i] == f) {
                val[n_val++] = train[i];

            } else {
                fit[n_fit++] = train[i];
            }
        }

        mlp_progress_stage(&cx->pg, cd->name, n_fit,
                           cd->o.algo == MLP_ALGO_FOREST
                           ? cd->o.cart.n_estimators : 0);

        kk = k;
        file = mlp_train_build(cx, &cd->o, fit, n_fit, &len, &p, present,
                               &kk, why, sizeof(why));
        if (file == NULL) {
            goto failed;
        }

        m = mlp_model_load_mem(file, len, why, sizeof(why));
        mt = mlp_metrics_create(k, 1, proba);

        if (m == NULL || mt == NULL) {
            if (mt == NULL) {
                snprintf(why, sizeof(why), "out of memory");
            }

            mlp_metrics_free(mt);
            mlp_model_close(m);
            mlp_prep_free(p);
            free(file);
            goto failed;
        }

        for (b = 0; b < n_val; b += MLP_SCORE_ROWS) {
            r = n_val - b < MLP_SCORE_ROWS ? n_val - b : MLP_SCORE_ROWS;
            chunks = NULL;
            a.alloc = mlp_cli_alloc;
            a.data = &chunks;

            mlp_prep_inputs(p, cx->t, val + b, r, in);

            if (mlp_predict_inputs(m, in, r, &a, &out, &labels, &e) != 0) {
                snprintf(why, sizeof(why), "%s", e.message);
                mlp_cli_free(chunks);
                mlp_metrics_free(mt);
                mlp_model_close(m);
                mlp_prep_free(p);
                free(file);
                goto failed;
            }

            for (i = 0; i < r; i++) {
                if (k && kk < k) {
                    /* the fold's classes back to the label's */
                    for (c = 0; proba && c < k; c++) {
                        pv[c] = 0;
                    }

                    for (c = 0; proba && c < kk; c++) {
                        pv[present[c]] = out[i * kk + c];
                    }

                    mlp_metrics_add_class(mt, (uint32_t) cx->tg.y[val[b + i]],
                                          present[labels[i]],
                                          proba ? pv : NULL);

                } else if (k) {
                    mlp_metrics_add_class(mt, (uint32_t) cx->tg.y[val[b + i]],
                                          labels[i],
                                          proba ? out + i * k : NULL);

                } else {
                    mlp_metrics_add_value(mt, &cx->tg.y[val[b + i]],
                                          out + i);
                }
            }

            mlp_cli_free(chunks);
        }

        mlp_model_close(m);
        mlp_prep_free(p);
        free(file);

        if (mlp_metrics_finish(mt) != 0) {
            mlp_metrics_free(mt);
            snprintf(why, sizeof(why), "out of memory");
            goto failed;
        }

        v = mlp_metric_of(mt, metric, k);
        mlp_metrics_free(mt);

        if (isnan(v)) {
            snprintf(why, sizeof(why), "%s is undefined here%s",
                     mlp_metric_names[metric],
                     metric == MLP_METRIC_ROC_AUC && !proba
                     ? " (no probabilities)" : "");
            goto failed;
        }

        sum += v;
        sq += v * v;
    }

    cd->mean = sum / folds;
    v = sq / folds - cd->mean * cd->mean;
    cd->sd = v > 0 ? sqrt(v) : 0;
    cd->ok = 1;
    cd->seconds = mlp_now(&t0);

    free(perm);
    free(fit);
    free(val);
    free(fold);
    free(start);
    free(present);
    free(pv);
    free(in);

    return 0;

failed:

    /* the fold named: a candidate may fail on one fold only */
    snprintf(cd->why, sizeof(cd->why), "fold %u of %u: %.*s", f + 1, folds,
             (int) sizeof(cd->why) - 32, why);
    cd->seconds = mlp_now(&t0);
    free(perm);
    free(fit);
    free(val);
    free(fold);
    free(start);
    free(present);
    free(pv);
    free(in);

    return -1;
}


/* ---------------------------------------------------------------- auto */


/*
 * The grid (README): the task's algorithms, each at a few values of its
 * main option, the other options as given or their defaults.
 */

static uint32_t
mlp_auto_grid(mlp_train_ctx_t *cx, const mlp_train_opts_t *o,
    size_t n_train, mlp_candidate_t *cd)
{
    uint32_t          n, i;
    mlp_train_opts_t  b;

    static const double  cs[] = { 0.1, 1.0, 10.0 };
    static char          names[MLP_AUTO_MAX][48];

    n = 0;

#define MLP_CAND(algo_, fmt_, val_)                                          \
    b = *o;                                                               \
    b.algo = (algo_);                                                     \
    snprintf(names[n], sizeof(names[n]), fmt_, val_);                     \
    cd[n].name = names[n];                                                \
    cd[n].o = b;

    for (i = 0; i < 3; i++) {
        if (cx->classify) {
            MLP_CAND(MLP_ALGO_LOGISTIC, "logistic C=%g", cs[i]);
            cd[n++].o.C = cs[i];

        } else {
            MLP_CAND(MLP_ALGO_RIDGE, "ridge alpha=%g", cs[i]);
            cd[n++].o.alpha = cs[i];
        }
    }

    if (!cx->classify) {
        MLP_CAND(MLP_ALGO_LINEAR, "linear%s", "");
        n++;
    }

    for (i = 0; i < 3 && cx->classify; i++) {
        MLP_CAND(MLP_ALGO_LINEAR_SVM, "linear-svm C=%g", cs[i]);
        cd[n++].o.C = cs[i];
    }

    for (i = 0; i < 3 && n_train <= MLP_AUTO_SVM_ROWS; i++) {
        MLP_CAND(cx->classify ? MLP_ALGO_SVM : MLP_ALGO_SVR,
                 cx->classify ? "svm rbf C=%g" : "svr rbf C=%g", cs[i]);
        cd[n].o.C = cs[i];
        cd[n].o.kernel = MLP_SVM_RBF;
        cd[n++].o.gamma = MLP_GAMMA_SCALE;
    }

    {
        static const uint32_t  depths[] = { 4, 8, 0 };

        for (i = 0; i < 3; i++) {
            MLP_CAND(MLP_ALGO_TREE, depths[i] ? "tree max_depth=%u"
                                              : "tree max_depth=none%.0u",
                     depths[i]);
            cd[n++].o.cart.max_depth = depths[i];
        }
    }

    MLP_CAND(MLP_ALGO_FOREST, "forest n_estimators=%u",
             o->cart.n_estimators);
    n++;

#undef MLP_CAND

    return n;
}


/*
 * scikit-learn's StratifiedKFold warns, and proceeds, when the least
 * populated class has fewer rows than folds: some folds' models do not
 * learn it (mlp_train_cv maps their answers back).
 */

static void
mlp_auto_rare(mlp_train_ctx_t *cx, const size_t *train, size_t n_train,
    uint32_t folds)
{
    size_t    i, *count;
    uint32_t  c, least;

    count = calloc(cx->tg.n_classes, sizeof(size_t));
    if (count == NULL) {
        return;
    }

    for (i = 0; i < n_train; i++) {
        count[(size_t) cx->tg.y[train[i]]]++;
    }

    least = 0;

    for (c = 1; c < cx->tg.n_classes; c++) {
        if (count[c] < count[least]) {
            least = c;
        }
    }

    /* stratified, its rows are in as many folds, one each */
    if (count[least] < folds) {
        fprintf(stderr, "mlpredict: warning: the least populated class of "
                "\"%s\", %s, has only %zu training rows, fewer than the %u "
                "folds: %zu folds score none of it%s\n", cx->label_name,
                cx->tg.labels[least], count[least], folds,
                folds - count[least],
                count[least] == 1 ? ", and the model of the fold holding "
                "its row never learns it" : "");
    }

    free(count);
}


/* -------------------------------------------------------------- train */


int
mlp_cli_train(int argc, char **argv)
{
    int                 algo, metric, i, o_i, rc, probability, task;
    char               *end;
    double              v, test_size, secs;
    struct timespec     fit_start;
    long                col;
    size_t              n, n_test, n_train, j, len, *train, *test, best;
    uint32_t            folds, n_cand, c, u;
    uint64_t            seed;
    const char         *data, *out, *label, *drop, *p, *q;
    mlp_opt_t           opt[MLP_O_N];
    mlp_model_t        *m;
    unsigned char      *file, *dropped;
    mlp_train_ctx_t     cx;
    mlp_train_opts_t    o;
    mlp_candidate_t     cd[MLP_AUTO_MAX];
    char               *csv, err[MLP_ERR_LEN];

    static const mlp_opt_t  opts[MLP_O_N] = {
        { "alpha", MLP_A(MLP_ALGO_RIDGE), 0, NULL },
        { "C", MLP_A(MLP_ALGO_LOGISTIC) | MLP_A(MLP_ALGO_LINEAR_SVM)
               | MLP_A_SVMS, 0, NULL },
        { "tol", MLP_A(MLP_ALGO_LOGISTIC) | MLP_A(MLP_ALGO_LINEAR_SVM)
                 | MLP_A_SVMS | MLP_A_AUTO, 0, NULL },
        { "max-iter", MLP_A(MLP_ALGO_LOGISTIC) | MLP_A_AUTO, 0, NULL },
        { "kernel", MLP_A_SVMS, 0, NULL },
        { "gamma", MLP_A_SVMS, 0, NULL },
        { "degree", MLP_A_SVMS, 0, NULL },
        { "coef0", MLP_A_SVMS, 0, NULL },
        { "epsilon", MLP_A(MLP_ALGO_SVR), 0, NULL },
        { "criterion", MLP_A_CART, 0, NULL },
        { "max-depth", MLP_A_CART, 0, NULL },
        { "min-samples-split", MLP_A_CART | MLP_A_AUTO, 0, NULL },
        { "min-samples-leaf", MLP_A_CART | MLP_A_AUTO, 0, NULL },
        { "max-features", MLP_A_CART | MLP_A_AUTO, 0, NULL },
        { "n-estimators", MLP_A(MLP_ALGO_FOREST) | MLP_A_AUTO, 0, NULL },
        { "task", MLP_A_CART | MLP_A_AUTO, 0, NULL },
        { "metric", MLP_A_AUTO, 0, NULL },
        { "folds", MLP_A_AUTO, 0, NULL },
        { "kernel-memory", MLP_A_SVMS | MLP_A_AUTO, 0, NULL },
    };

    if (argc < 3) {
        return mlp_train_usage();
    }

    algo = mlp_word(argv[2], mlp_algo_names);
    if (algo < 0) {
        fprintf(stderr, "mlpredict: train: unknown algorithm \"%s\"\n",
                argv[2]);
        return mlp_train_usage();
    }

    memcpy(opt, opts, sizeof(opts));
    data = out = label = drop = NULL;
    test_size = 0.25;
    seed = 0;
    probability = 0;

    for (i = 3; i < argc; i++) {
        if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            out = argv[++i];
            continue;
        }

        if (strcmp(argv[i], "--label") == 0 && i + 1 < argc) {
            label = argv[++i];
            continue;
        }

        if (strcmp(argv[i], "--drop") == 0 && i + 1 < argc) {
            drop = argv[++i];
            continue;
        }

        if (strcmp(argv[i], "--test-size") == 0 && i + 1 < argc) {
            if (mlp_number("test-size", argv[++i], 0, 1, 0, &test_size) != 0
                || test_size >= 1)
            {
                if (test_size >= 1) {
                    fprintf(stderr, "mlpredict: --test-size %s: from 0 to "
                            "below 1\n", argv[i]);
                }

                return 2;
            }

            continue;
        }

        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
            errno = 0;
            seed = strtoull(argv[++i], &end, 10);

            if (*argv[i] == '\0' || *end != '\0' || errno != 0
                || argv[i][0] == '-')
            {
                fprintf(stderr, "mlpredict: --seed %s: a whole number from "
                        "0 to 2^64-1\n", argv[i]);
                return 2;
            }

            continue;
        }

        if (strcmp(argv[i], "--probability") == 0) {
            if (algo != MLP_ALGO_SVM) {
                fprintf(stderr, "mlpredict: --probability is for svm\n");
                return 2;
            }

            probability = 1;
            continue;
        }

        if (argv[i][0] == '-' && argv[i][1] == '-') {
            for (o_i = 0; o_i < MLP_O_N; o_i++) {
                if (strcmp(argv[i] + 2, opt[o_i].name) == 0) {
                    break;
                }
            }

            if (o_i == MLP_O_N || i + 1 == argc) {
                fprintf(stderr, "mlpredict: train: %s option \"%s\"\n",
                        o_i == MLP_O_N ? "unknown" : "no value for the",
                        argv[i]);
                return mlp_train_usage();
            }

            if (!(opt[o_i].algos
                  & (algo == MLP_ALGO_AUTO ? MLP_A_AUTO : MLP_A(algo))))
            {
                fprintf(stderr, "mlpredict: --%s is not an option of %s\n",
                        opt[o_i].name, mlp_algo_names[algo]);
                return 2;
            }

            opt[o_i].set = 1;
            opt[o_i].value = argv[++i];
            continue;
        }

        if (data == NULL) {
            data = argv[i];
            continue;
        }

        return mlp_train_usage();
    }

    if (data == NULL || label == NULL || out == NULL) {
        fprintf(stderr, "mlpredict: train needs DATA.csv, --label COLUMN and "
                "-o OUT.mlp\n");
        return mlp_train_usage();
    }

    /* the options, each checked before any work; the defaults are
     * scikit-learn's */
    memset(&o, 0, sizeof(mlp_train_opts_t));
    memset(&cx, 0, sizeof(mlp_train_ctx_t));
    o.algo = algo;
    o.alpha = 1.0;
    o.C = 1.0;
    o.max_iter = 10000;
    o.kernel = MLP_SVM_RBF;
    o.gamma = MLP_GAMMA_SCALE;
    o.degree = 3;
    o.epsilon = 0.1;
    o.probability = probability;
    o.kernel_memory = (uint64_t) MLP_KERNEL_MEMORY << 20;
    o.seed = seed;
    o.cart.criterion = -1;
    o.cart.min_samples_split = 2;
    o.cart.min_samples_leaf = 1;
    o.cart.n_estimators = 100;
    o.cart.forest = algo == MLP_ALGO_FOREST;
    o.cart.seed = seed;
    o.max_features_rule = -1;
    metric = -1;
    folds = 5;
    task = -1;

    if ((opt[MLP_O_ALPHA].set
         && mlp_number("alpha", opt[MLP_O_ALPHA].value, 0, INFINITY, 1,
                       &o.alpha) != 0)
        || (opt[MLP_O_C].set
            && mlp_number("C", opt[MLP_O_C].value, 0, INFINITY, 1, &o.C)
               != 0)
        || (opt[MLP_O_TOL].set
            && mlp_number("tol", opt[MLP_O_TOL].value, 0, INFINITY, 1,
                          &o.tol) != 0)
        || (opt[MLP_O_MAX_ITER].set
            && mlp_integer("max-iter", opt[MLP_O_MAX_ITER].value, 1,
                           100000000, &o.max_iter) != 0)
        || (opt[MLP_O_DEGREE].set
            && mlp_integer("degree", opt[MLP_O_DEGREE].value, 0, 1000,
                           &o.degree) != 0)
        || (opt[MLP_O_COEF0].set
            && mlp_number("coef0", opt[MLP_O_COEF0].value, -INFINITY,
                          INFINITY, 0, &o.coef0) != 0)
        || (opt[MLP_O_EPSILON].set
            && mlp_number("epsilon", opt[MLP_O_EPSILON].value, 0, INFINITY,
                          0, &o.epsilon) != 0)
        || (opt[MLP_O_MAX_DEPTH].set
            && mlp_integer("max-depth", opt[MLP_O_MAX_DEPTH].value, 1,
                           100000, &o.cart.max_depth) != 0)
        || (opt[MLP_O_N_ESTIMATORS].set
            && mlp_integer("n-estimators", opt[MLP_O_N_ESTIMATORS].value, 1,
                           100000, &o.cart.n_estimators) != 0)
        || (opt[MLP_O_FOLDS].set
            && mlp_integer("folds", opt[MLP_O_FOLDS].value, 2, 20, &folds)
               != 0))
    {
        return 2;
    }

    if (opt[MLP_O_KERNEL_MEMORY].set) {
        if (mlp_integer("kernel-memory", opt[MLP_O_KERNEL_MEMORY].value, 0,
                        1 << 24, &u) != 0)
        {
            return 2;
        }

        o.kernel_memory = (uint64_t) u << 20;
        o.kernel_memory_set = 1;
    }

    if (opt[MLP_O_MIN_SPLIT].set) {
        if (mlp_integer("min-samples-split", opt[MLP_O_MIN_SPLIT].value, 2,
                        1e9, &u) != 0)
        {
            return 2;
        }

        o.cart.min_samples_split = u;
    }

    if (opt[MLP_O_MIN_LEAF].set) {
        if (mlp_integer("min-samples-leaf", opt[MLP_O_MIN_LEAF].value, 1,
                        1e9, &u) != 0)
        {
            return 2;
        }

        o.cart.min_samples_leaf = u;
    }

    if (opt[MLP_O_KERNEL].set) {
        o.kernel = mlp_word(opt[MLP_O_KERNEL].value, mlp_kernel_names);

        if (o.kernel < 0) {
            fprintf(stderr, "mlpredict: --kernel %s: rbf, poly, linear or "
                    "sigmoid\n", opt[MLP_O_KERNEL].value);
            return 2;
        }
    }

    if (opt[MLP_O_GAMMA].set) {
        p = opt[MLP_O_GAMMA].value;

        if (strcmp(p, "scale") == 0) {
            o.gamma = MLP_GAMMA_SCALE;

        } else if (strcmp(p, "auto") == 0) {
            o.gamma = MLP_GAMMA_AUTO;

        } else if (mlp_number("gamma", p, 0, INFINITY, 1, &o.gamma) != 0) {
            fprintf(stderr, "mlpredict: --gamma: scale, auto, or a number "
                    "above 0\n");
            return 2;
        }
    }

    if (opt[MLP_O_CRITERION].set) {
        p = opt[MLP_O_CRITERION].value;
        o.cart.criterion = strcmp(p, "gini") == 0 ? MLP_CART_GINI
                           : strcmp(p, "entropy") == 0 ? MLP_CART_ENTROPY
                           : strcmp(p, "squared_error") == 0
                             ? MLP_CART_SQUARED_ERROR : -2;

        if (o.cart.criterion == -2) {
            fprintf(stderr, "mlpredict: --criterion %s: gini, entropy or "
                    "squared_error\n", p);
            return 2;
        }
    }

    if (opt[MLP_O_MAX_FEATURES].set) {
        p = opt[MLP_O_MAX_FEATURES].value;

        if (strcmp(p, "all") == 0) {
            o.max_features_rule = 0;

        } else if (strcmp(p, "sqrt") == 0) {
            o.max_features_rule = 1;

        } else if (strcmp(p, "log2") == 0) {
            o.max_features_rule = 2;

        } else if (mlp_integer("max-features", p, 1, MLP_MAX_FEATURES,
                               &o.max_features) == 0)
        {
            o.max_features_rule = 3;

        } else {
            fprintf(stderr, "mlpredict: --max-features: sqrt, log2, all or "
                    "a whole number\n");
            return 2;
        }
    }

    if (opt[MLP_O_TASK].set) {
        p = opt[MLP_O_TASK].value;
        task = strcmp(p, "classification") == 0 ? 1
               : strcmp(p, "regression") == 0 ? 0 : -2;

        if (task == -2) {
            fprintf(stderr, "mlpredict: --task %s: classification or "
                    "regression\n", p);
            return 2;
        }
    }

    if (opt[MLP_O_METRIC].set) {
        metric = mlp_word(opt[MLP_O_METRIC].value, mlp_metric_names);

        if (metric < 0) {
            fprintf(stderr, "mlpredict: --metric %s: accuracy, f1, roc_auc, "
                    "r2 or rmse\n", opt[MLP_O_METRIC].value);
            return 2;
        }
    }

    /* the data: read, then every column and the label checked */
    mlp_progress_start(&cx.pg);
    rc = 1;
    train = test = NULL;
    dropped = NULL;
    csv = NULL;
    file = NULL;

    cx.t = mlp_table_read(data, err, sizeof(err));
    if (cx.t == NULL) {
        mlp_progress_stop(&cx.pg);
        fprintf(stderr, "mlpredict: %s\n", err);
        return 1;
    }

    cx.data = data;
    cx.label_name = label;
    n = cx.t->n_rows;

    if (n == 0) {
        fprintf(stderr, "mlpredict: %s: no rows after the header\n", data);
        goto done;
    }

    col = mlp_table_column(cx.t, label, strlen(label));
    if (col < 0) {
        fprintf(stderr, "mlpredict: %s: no column named \"%s\" (--label)\n",
                data, label);
        goto done;
    }

    cx.label = (size_t) col;

    dropped = calloc(cx.t->n_cols, 1);
    cx.inputs = malloc(cx.t->n_cols * sizeof(uint32_t));
    if (dropped == NULL || cx.inputs == NULL) {
        fprintf(stderr, "mlpredict: out of memory\n");
        goto done;
    }

    for (p = drop; p != NULL; p = (*q == ',') ? q + 1 : NULL) {
        q = strchr(p, ',');
        if (q == NULL) {
            q = p + strlen(p);
        }

        col = mlp_table_column(cx.t, p, (size_t) (q - p));
        if (col < 0) {
            fprintf(stderr, "mlpredict: %s: no column named \"%.*s\" "
                    "(--drop)\n", data, (int) (q - p), p);
            goto done;
        }

        if ((size_t) col == cx.label) {
            fprintf(stderr, "mlpredict: --drop names the label \"%s\"\n",
                    label);
            goto done;
        }

        dropped[col] = 1;
    }

    for (j = 0; j < cx.t->n_cols; j++) {
        if (j == cx.label || dropped[j]) {
            continue;
        }

        if (cx.t->col[j].n_missing == n) {
            fprintf(stderr, "mlpredict: %s: column \"%s\" is missing on "
                    "every row: leave it out with --drop\n", data,
                    cx.t->col[j].name);
            goto done;
        }

        cx.inputs[cx.n_inputs++] = (uint32_t) j;
    }

    if (cx.n_inputs == 0) {
        fprintf(stderr, "mlpredict: %s: no column left to learn from\n",
                data);
        goto done;
    }

    /* the task: the algorithm's, or for trees and auto the label's */
    switch (algo) {
    case MLP_ALGO_LINEAR:
    case MLP_ALGO_RIDGE:
    case MLP_ALGO_SVR:
        cx.classify = 0;
        break;
    case MLP_ALGO_LOGISTIC:
    case MLP_ALGO_LINEAR_SVM:
    case MLP_ALGO_SVM:
        cx.classify = 1;
        break;
    default:
        cx.classify = task >= 0 ? task
                                : mlp_target_is_classes(cx.t, cx.label);
    }

    if (mlp_target_make(cx.t, cx.label, cx.classify, &cx.tg, err,
                        sizeof(err))
        != 0)
    {
        fprintf(stderr, "mlpredict: %s: %s\n", data, err);
        goto done;
    }

    if (o.cart.criterion == -1) {
        o.cart.criterion = cx.classify ? MLP_CART_GINI
                                       : MLP_CART_SQUARED_ERROR;

    } else if ((o.cart.criterion == MLP_CART_SQUARED_ERROR) == cx.classify) {
        fprintf(stderr, "mlpredict: --criterion %s is for %s\n",
                opt[MLP_O_CRITERION].value,
                cx.classify ? "regression" : "classification");
        goto done;
    }

    /* scikit-learn's max_features: sqrt for a forest that classifies */
    if (o.max_features_rule < 0) {
        o.max_features_rule = algo == MLP_ALGO_FOREST && cx.classify ? 1 : 0;
    }

    if (metric < 0) {
        metric = cx.classify ? MLP_METRIC_ACCURACY : MLP_METRIC_R2;

    } else if ((metric >= MLP_METRIC_R2) == cx.classify) {
        fprintf(stderr, "mlpredict: --metric %s is for %s\n",
                mlp_metric_names[metric],
                cx.classify ? "regression" : "classification");
        goto done;
    }

    if (metric == MLP_METRIC_ROC_AUC && cx.tg.n_classes != 2) {
        fprintf(stderr, "mlpredict: --metric roc_auc is for two classes\n");
        goto done;
    }

    /* the split: sklearn's train_test_split's sizes, our shuffle */
    n_test = (size_t) ceil(test_size * (double) n);
    n_train = n - n_test;

    if (n_train < 2 || (test_size > 0 && n_test == 0)) {
        fprintf(stderr, "mlpredict: %s: %zu rows: too few to hold %zu out "
                "and train on the rest\n", data, n, n_test);
        goto done;
    }

    train = malloc(n * sizeof(size_t));
    test = malloc((n_test ? n_test : 1) * sizeof(size_t));

    if (train == NULL || test == NULL
        || mlp_train_split(n, n_test, seed, train, test) != 0)
    {
        fprintf(stderr, "mlpredict: out of memory\n");
        goto done;
    }

    if (algo == MLP_ALGO_AUTO) {
        /* as StratifiedKFold refuses them, and KFold */
        if (folds > n_train) {
            fprintf(stderr, "mlpredict: --folds %u: more than the %zu "
                    "training rows\n", folds, n_train);
            goto done;
        }

        if (cx.classify) {
            mlp_auto_rare(&cx, train, n_train, folds);
        }

        memset(cd, 0, sizeof(cd));
        n_cand = mlp_auto_grid(&cx, &o, n_train, cd);

        for (c = 0; c < n_cand; c++) {
            cd[c].o.cart.criterion = cx.classify ? MLP_CART_GINI
                                                 : MLP_CART_SQUARED_ERROR;
            cd[c].o.cart.forest = cd[c].o.algo == MLP_ALGO_FOREST;

            if (cd[c].o.algo == MLP_ALGO_TREE) {
                cd[c].o.cart.n_estimators = 1;

            } else if (cd[c].o.algo == MLP_ALGO_FOREST
                       && !opt[MLP_O_MAX_FEATURES].set && cx.classify)
            {
                cd[c].o.max_features_rule = 1;
            }

            (void) mlp_train_cv(&cx, &cd[c], train, n_train, folds, seed,
                                metric);
        }

        mlp_progress_stop(&cx.pg);

        printf("%u-fold cross-validation on %zu training rows, %s "
               "(mean and sd over the folds):\n\n", folds, n_train,
               mlp_metric_names[metric]);
        printf("  %-26s %10s %10s %9s\n", "candidate",
               mlp_metric_names[metric], "sd", "seconds");

        best = n_cand;

        for (c = 0; c < n_cand; c++) {
            if (!cd[c].ok) {
                printf("  %-26s %10s %10s %9.2f  (%s)\n", cd[c].name, "-",
                       "-", cd[c].seconds, cd[c].why);
                continue;
            }

            printf("  %-26s %10.4f %10.4f %9.2f\n", cd[c].name, cd[c].mean,
                   cd[c].sd, cd[c].seconds);

            /* the first of the best: the grid's order breaks ties */
            if (best == n_cand
                || (metric == MLP_METRIC_RMSE ? cd[c].mean < cd[best].mean
                                              : cd[c].mean > cd[best].mean))
            {
                best = c;
            }
        }

        if (best == n_cand) {
            fprintf(stderr, "mlpredict: no candidate could be "
                    "cross-validated\n");
            goto done;
        }

        printf("\nbest: %s\n\n", cd[best].name);
        o = cd[best].o;

        mlp_progress_start(&cx.pg);

    } else if (algo == MLP_ALGO_TREE) {
        o.cart.n_estimators = 1;
    }

    mlp_progress_stage(&cx.pg, "training", n_train,
                       o.algo == MLP_ALGO_FOREST ? o.cart.n_estimators : 0);

    /* the seconds reported: preparing and fitting, as a pipeline's fit */
    clock_gettime(CLOCK_MONOTONIC, &fit_start);

    file = mlp_train_build(&cx, &o, train, n_train, &len, NULL, NULL, NULL,
                           err, sizeof(err));
    secs = mlp_now(&fit_start);

    if (file == NULL) {
        mlp_progress_stop(&cx.pg);
        fprintf(stderr, "mlpredict: %s: %s\n", mlp_algo_names[o.algo], err);
        goto done;
    }

    mlp_progress_stop(&cx.pg);

    /*
     * what is written must load, by the server's own check, before it
     * replaces OUT: a model nginx would refuse leaves the old file in place
     */
    m = mlp_model_load_mem(file, len, err, sizeof(err));
    if (m == NULL) {
        fprintf(stderr, "mlpredict: %s: not written, the model would be "
                "refused: %s\n", out, err);
        goto done;
    }

    mlp_model_close(m);

    if (mlp_writer_save_raw(file, len, out, err, sizeof(err)) != 0) {
        fprintf(stderr, "mlpredict: %s\n", err);
        goto done;
    }

    m = mlp_model_open(out, err, sizeof(err));
    if (m == NULL) {
        fprintf(stderr, "mlpredict: %s: written but refused: %s\n", out,
                err);
        goto done;
    }

    printf("%s: %s on %zu rows of %s (%u inputs, %u features), %s, "
           "%.3f s\n", out, mlp_algo_names[o.algo], n_train, data,
           cx.n_inputs, mlp_model_n_features(m),
           cx.classify ? "classification" : "regression", secs);
    mlp_train_gram_report(&cx.gram, &o);

    if (n_test == 0) {
        printf("--test-size 0: no rows held out\n");
        mlp_model_close(m);
        rc = 0;
        goto done;
    }

    printf("held out: %zu rows (--test-size %g, --seed %llu)\n\n", n_test,
           test_size, (unsigned long long) seed);
    fflush(stdout);

    csv = mlp_table_csv(cx.t, test, n_test, &len);
    if (csv == NULL) {
        fprintf(stderr, "mlpredict: out of memory\n");
        mlp_model_close(m);
        goto done;
    }

    rc = mlp_cli_eval_mem(m, "held-out rows", csv, len, label);
    mlp_model_close(m);

done:

    mlp_progress_stop(&cx.pg);
    mlp_target_free(&cx.tg);
    mlp_table_free(cx.t);
    free(cx.inputs);
    free(dropped);
    free(train);
    free(test);
    free(csv);
    free(file);

    (void) v;

    return rc;
}
