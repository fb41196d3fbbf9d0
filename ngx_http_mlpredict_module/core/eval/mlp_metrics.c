
/*
 * scikit-learn 1.2's metrics, row by row (mlp_metrics.h). Each figure
 * follows the arithmetic of sklearn/metrics/_classification.py and
 * _regression.py: the same clipping, the same zero-division values (0, its
 * default "warn" without the warning), the same undefined cases.
 */

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_metrics.h"


static int mlp_metrics_grow(mlp_metrics_t *mt);
static int mlp_double_cmp(const void *a, const void *b);
static uint64_t mlp_key(double v);
static void mlp_radix_sort(uint64_t *a, size_t n, uint64_t *tmp);
static double mlp_binary_auc(const uint64_t *pos, size_t np,
    const uint64_t *neg, size_t nn);
static void mlp_metrics_classes(mlp_metrics_t *mt);
static void mlp_metrics_auc(mlp_metrics_t *mt);
static void mlp_metrics_regression(mlp_metrics_t *mt);


mlp_metrics_t *
mlp_metrics_create(uint32_t n_classes, uint32_t n_outputs, int proba)
{
    size_t          k, o;
    mlp_metrics_t  *mt;

    mt = calloc(1, sizeof(mlp_metrics_t));
    if (mt == NULL) {
        return NULL;
    }

    mt->n_classes = n_classes;
    mt->n_outputs = n_classes ? 1 : n_outputs;
    mt->proba = n_classes ? proba : 0;
    mt->log_loss = NAN;
    mt->roc_auc = NAN;

    k = n_classes;
    o = mt->n_outputs;

    if (k) {
        mt->cm = calloc(k * k, sizeof(uint64_t));
        mt->pred_sum = calloc(k, sizeof(uint64_t));
        mt->true_sum = calloc(k, sizeof(uint64_t));
        mt->unknown = calloc(MLP_METRICS_MAX_UNKNOWN, sizeof(uint64_t));
        mt->precision = calloc(3 * k, sizeof(double));

        if (mt->cm == NULL || mt->pred_sum == NULL || mt->true_sum == NULL
            || mt->unknown == NULL || mt->precision == NULL)
        {
            mlp_metrics_free(mt);
            return NULL;
        }

        mt->recall = mt->precision + k;
        mt->f1 = mt->precision + 2 * k;

        return mt;
    }

    /* eight sums a target, one allocation */
    mt->sum_abs = calloc(8 * o, sizeof(double));
    if (mt->sum_abs == NULL) {
        mlp_metrics_free(mt);
        return NULL;
    }

    mt->sum_sq = mt->sum_abs + o;
    mt->sum_ape = mt->sum_abs + 2 * o;
    mt->max_abs = mt->sum_abs + 3 * o;
    mt->mean_y = mt->sum_abs + 4 * o;
    mt->m2_y = mt->sum_abs + 5 * o;
    mt->mean_d = mt->sum_abs + 6 * o;
    mt->m2_d = mt->sum_abs + 7 * o;

    return mt;
}


void
mlp_metrics_free(mlp_metrics_t *mt)
{
    if (mt == NULL) {
        return;
    }

    free(mt->cm);
    free(mt->pred_sum);
    free(mt->true_sum);
    free(mt->unknown);
    free(mt->precision);
    free(mt->scores);
    free(mt->truth);
    free(mt->sum_abs);
    free(mt->abs_err);
    free(mt);
}


/* Room for one more row of stored values. */

static int
mlp_metrics_grow(mlp_metrics_t *mt)
{
    size_t     cap, width;
    double    *d;
    uint32_t  *t;

    if (mt->rows < mt->cap) {
        return 0;
    }

    cap = mt->cap ? 2 * mt->cap : 1024;

    if (mt->n_classes == 0) {
        d = realloc(mt->abs_err, cap * mt->n_outputs * sizeof(double));
        if (d == NULL) {
            return -1;
        }

        mt->abs_err = d;
        mt->cap = cap;

        return 0;
    }

    width = (mt->n_classes == 2) ? 1 : mt->n_classes;

    t = realloc(mt->truth, cap * sizeof(uint32_t));
    if (t == NULL) {
        return -1;
    }

    mt->truth = t;

    if (mt->proba) {
        d = realloc(mt->scores, cap * width * sizeof(double));
        if (d == NULL) {
            return -1;
        }

        mt->scores = d;
    }

    mt->cap = cap;

    return 0;
}


int
mlp_metrics_add_class(mlp_metrics_t *mt, uint32_t truth, uint32_t pred,
    const double *proba)
{
    double    p, s, q;
    uint32_t  k, j;

    k = mt->n_classes;

    if (mlp_metrics_grow(mt) != 0) {
        return -1;
    }

    mt->pred_sum[pred]++;

    if (truth < k) {
        mt->cm[(size_t) truth * k + pred]++;
        mt->true_sum[truth]++;
        mt->correct += (truth == pred);

    } else {
        mt->unknown_rows++;

        if (mt->unknown[truth - k]++ == 0) {
            mt->n_unknown++;
        }
    }

    if (mt->proba && proba != NULL) {
        /*
         * log_loss: clipped to [eps, 1 - eps] (eps "auto": the float64
         * machine epsilon in 1.2), each row divided by its sum
         */
        s = 0.0;

        for (j = 0; j < k; j++) {
            p = proba[j];
            s += (p < DBL_EPSILON) ? DBL_EPSILON
                 : (p > 1 - DBL_EPSILON) ? 1 - DBL_EPSILON : p;
        }

        j = (truth < k) ? truth : 0;
        p = proba[j];
        p = (p < DBL_EPSILON) ? DBL_EPSILON
            : (p > 1 - DBL_EPSILON) ? 1 - DBL_EPSILON : p;
        q = -log(p / s);

        if (truth < k) {
            mt->ll_known += q;

        } else {
            mt->ll_unknown0 += q;
        }

        if (k == 2) {
            mt->scores[mt->rows] = proba[1];

        } else {
            memcpy(mt->scores + mt->rows * k, proba, k * sizeof(double));
        }
    }

    mt->truth[mt->rows] = truth;
    mt->rows++;

    return 0;
}


int
mlp_metrics_add_value(mlp_metrics_t *mt, const double *truth,
    const double *pred)
{
    double    y, d, a, delta, n;
    uint32_t  o;

    if (mlp_metrics_grow(mt) != 0) {
        return -1;
    }

    n = (double) (mt->rows + 1);

    for (o = 0; o < mt->n_outputs; o++) {
        y = truth[o];
        d = y - pred[o];
        a = fabs(pred[o] - y);

        mt->sum_abs[o] += a;
        mt->sum_sq[o] += d * d;
        mt->sum_ape[o] += a / (fabs(y) > DBL_EPSILON ? fabs(y) : DBL_EPSILON);

        if (a > mt->max_abs[o]) {
            mt->max_abs[o] = a;
        }

        delta = y - mt->mean_y[o];
        mt->mean_y[o] += delta / n;
        mt->m2_y[o] += delta * (y - mt->mean_y[o]);

        delta = d - mt->mean_d[o];
        mt->mean_d[o] += delta / n;
        mt->m2_d[o] += delta * (d - mt->mean_d[o]);

        mt->abs_err[mt->rows * mt->n_outputs + o] = a;
    }

    mt->rows++;

    return 0;
}


int
mlp_metrics_finish(mlp_metrics_t *mt)
{
    if (mt->rows == 0) {
        return 0;
    }

    if (mt->n_classes == 0) {
        mlp_metrics_regression(mt);
        return 0;
    }

    mlp_metrics_classes(mt);

    if (mt->proba) {
        mlp_metrics_auc(mt);

    } else {
        mt->roc_auc_why = "the model gives no probabilities";
    }

    return mt->roc_auc_why == NULL && isnan(mt->roc_auc) && mt->proba
           ? -1 : 0;
}


static void
mlp_metrics_classes(mlp_metrics_t *mt)
{
    double     p, r, f, recall_sum, all, present;
    uint32_t   c, k, distinct;
    uint64_t   tp, w;

    k = mt->n_classes;

    /* accuracy_score: every row, one with an unknown label never right */
    mt->accuracy = (double) mt->correct / (double) mt->rows;

    /*
     * precision_recall_fscore_support(labels=classes): the unknown rows
     * count in pred_sum only; 0 where a denominator is 0
     */
    memset(mt->macro, 0, sizeof(mt->macro));
    memset(mt->weighted, 0, sizeof(mt->weighted));
    w = 0;
    recall_sum = 0.0;
    present = 0.0;

    for (c = 0; c < k; c++) {
        tp = mt->cm[(size_t) c * k + c];
        p = mt->pred_sum[c] ? (double) tp / (double) mt->pred_sum[c] : 0.0;
        r = mt->true_sum[c] ? (double) tp / (double) mt->true_sum[c] : 0.0;
        f = (p + r == 0.0) ? 0.0 : 2 * p * r / (p + r);

        mt->precision[c] = p;
        mt->recall[c] = r;
        mt->f1[c] = f;

        mt->macro[0] += p;
        mt->macro[1] += r;
        mt->macro[2] += f;
        mt->weighted[0] += p * (double) mt->true_sum[c];
        mt->weighted[1] += r * (double) mt->true_sum[c];
        mt->weighted[2] += f * (double) mt->true_sum[c];
        w += mt->true_sum[c];

        if (mt->true_sum[c]) {
            recall_sum += r;
            present++;
        }
    }

    for (c = 0; c < 3; c++) {
        mt->macro[c] /= k;
        /* no true label among the classes: 0, the zero_division value */
        mt->weighted[c] = w ? mt->weighted[c] / (double) w : 0.0;
    }

    /*
     * balanced_accuracy_score: the mean recall over the labels present in
     * y_true, the unknown ones (never predicted: recall 0) included
     */
    mt->balanced_accuracy = recall_sum / (present + mt->n_unknown);

    if (!mt->proba) {
        return;
    }

    /*
     * log_loss(labels=classes): an unknown label's row binarizes to no
     * class, a loss of 0, except that with two classes and at most two
     * distinct values in y_true, LabelBinarizer keeps one column and the
     * row is taken as the first class
     */
    distinct = (uint32_t) present + mt->n_unknown;
    all = mt->ll_known;

    if (k == 2 && distinct <= 2) {
        all += mt->ll_unknown0;
    }

    mt->log_loss = all / (double) mt->rows;
}


static void
mlp_metrics_auc(mlp_metrics_t *mt)
{
    double     sum, v;
    size_t     i, n, np, nn;
    uint32_t   c, k, width;
    uint64_t  *pos, *neg, *tmp;

    k = mt->n_classes;
    n = mt->rows;

    if (mt->unknown_rows) {
        mt->roc_auc_why = "labels the model does not know";
        return;
    }

    for (c = 0; c < k; c++) {
        if (mt->true_sum[c] == 0 || mt->true_sum[c] == n) {
            mt->roc_auc_why = (k == 2)
                ? "only one class present in the labels"
                : "a class absent from the labels (one-vs-rest needs "
                  "every class)";
            return;
        }
    }

    pos = malloc(2 * n * sizeof(uint64_t));
    tmp = malloc(n * sizeof(uint64_t));

    if (pos == NULL || tmp == NULL) {
        free(pos);
        free(tmp);
        return;
    }

    neg = pos + n;
    width = (k == 2) ? 1 : k;
    sum = 0.0;

    /* two classes: the second one's probability; else one-vs-rest, macro */
    for (c = (k == 2) ? 1 : 0; c < k; c++) {
        np = 0;
        nn = 0;

        for (i = 0; i < n; i++) {
            v = mt->scores[i * width + (k > 2 ? c : 0)];

            if (mt->truth[i] == c) {
                pos[np++] = mlp_key(v);

            } else {
                neg[nn++] = mlp_key(v);
            }
        }

        mlp_radix_sort(pos, np, tmp);
        mlp_radix_sort(neg, nn, tmp);

        sum += mlp_binary_auc(pos, np, neg, nn);
    }

    mt->roc_auc = (k == 2) ? sum : sum / k;

    free(pos);
    free(tmp);
}


/* A double's bits as an unsigned integer in the same order. */

static uint64_t
mlp_key(double v)
{
    uint64_t  b;

    /* -0 and 0 are one threshold, as numpy compares them */
    v = (v == 0.0) ? 0.0 : v;
    memcpy(&b, &v, sizeof(b));

    return (b >> 63) ? ~b : b | (1ull << 63);
}


/* LSD radix sort, a byte a pass; passes where every key agrees skipped. */

static void
mlp_radix_sort(uint64_t *a, size_t n, uint64_t *tmp)
{
    size_t     i, count[256], sum, t;
    unsigned   shift, d;
    uint64_t  *src, *dst, *swap;

    src = a;
    dst = tmp;

    for (shift = 0; shift < 64 && n > 0; shift += 8) {
        memset(count, 0, sizeof(count));

        for (i = 0; i < n; i++) {
            count[(src[i] >> shift) & 0xff]++;
        }

        if (count[(src[0] >> shift) & 0xff] == n) {
            continue;
        }

        for (sum = 0, d = 0; d < 256; d++) {
            t = count[d];
            count[d] = sum;
            sum += t;
        }

        for (i = 0; i < n; i++) {
            dst[count[(src[i] >> shift) & 0xff]++] = src[i];
        }

        swap = src;
        src = dst;
        dst = swap;
    }

    if (src != a) {
        memcpy(a, src, n * sizeof(uint64_t));
    }
}


/*
 * roc_curve then auc: the thresholds are the distinct scores, highest
 * first; the area is the trapezoid rule over (fpr, tpr), ties as one step.
 * pos and neg hold the scores' keys, ascending: walked from the top.
 */

static double
mlp_binary_auc(const uint64_t *pos, size_t np, const uint64_t *neg,
    size_t nn)
{
    double    tps, fps, ptps, pfps, area, P, N;
    size_t    i, j;
    uint64_t  s;

    P = (double) np;
    N = (double) nn;
    tps = fps = ptps = pfps = 0.0;
    area = 0.0;
    i = np;
    j = nn;

    while (i > 0 || j > 0) {
        s = (i == 0) ? neg[j - 1]
            : (j == 0) ? pos[i - 1]
            : (pos[i - 1] > neg[j - 1] ? pos[i - 1] : neg[j - 1]);

        while (i > 0 && pos[i - 1] == s) {
            tps++;
            i--;
        }

        while (j > 0 && neg[j - 1] == s) {
            fps++;
            j--;
        }

        area += (fps / N - pfps / N) * (tps / P + ptps / P) / 2;
        ptps = tps;
        pfps = fps;
    }

    return area;
}


static int
mlp_double_cmp(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}


/*
 * The regression metrics, each per target and then their plain mean
 * (multioutput="uniform_average"); r2_score and explained_variance_score
 * with force_finite: 1 for a perfect fit, 0 for a constant y otherwise.
 */

static void
mlp_metrics_regression(mlp_metrics_t *mt)
{
    double     n, num, den, r2, ev, *col;
    size_t     i, rows;
    uint32_t   o, k;

    k = mt->n_outputs;
    rows = mt->rows;
    n = (double) rows;

    mt->mae = mt->mse = mt->rmse = mt->mape = 0.0;
    mt->r2 = mt->explained_variance = mt->median_absolute_error = 0.0;
    mt->max_error = (k == 1) ? mt->max_abs[0] : NAN;

    col = malloc(rows * sizeof(double));

    for (o = 0; o < k; o++) {
        mt->mae += mt->sum_abs[o] / n;
        mt->mse += mt->sum_sq[o] / n;
        mt->rmse += sqrt(mt->sum_sq[o] / n);
        mt->mape += mt->sum_ape[o] / n;

        num = mt->sum_sq[o];
        den = mt->m2_y[o];
        r2 = (num == 0.0) ? 1.0 : (den == 0.0) ? 0.0 : 1 - num / den;
        mt->r2 += r2;

        num = mt->m2_d[o] / n;
        den = mt->m2_y[o] / n;
        ev = (num == 0.0) ? 1.0 : (den == 0.0) ? 0.0 : 1 - num / den;
        mt->explained_variance += ev;

        if (col != NULL) {
            for (i = 0; i < rows; i++) {
                col[i] = mt->abs_err[i * k + o];
            }

            qsort(col, rows, sizeof(double), mlp_double_cmp);

            mt->median_absolute_error += (rows & 1)
                ? col[rows / 2]
                : (col[rows / 2 - 1] + col[rows / 2]) / 2;

        } else {
            mt->median_absolute_error = NAN;
        }
    }

    free(col);

    mt->mae /= k;
    mt->mse /= k;
    mt->rmse /= k;
    mt->mape /= k;
    mt->explained_variance /= k;
    mt->median_absolute_error /= k;

    /* "R^2 score is not well-defined with less than two samples" */
    mt->r2 = (rows < 2) ? NAN : mt->r2 / k;
}
