
/*
 * Metrics of predictions against labels, as scikit-learn.metrics (1.2)
 * computes them, accumulated one row at a time. Counts and sums take
 * bounded memory; ROC AUC and the median absolute error need every value,
 * so those are stored: one double and one index a row (a double a class
 * with more than two classes; a double a target for the median).
 */

#ifndef _MLP_METRICS_H_INCLUDED_
#define _MLP_METRICS_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* the most distinct labels a model does not know that are told apart */
#define MLP_METRICS_MAX_UNKNOWN  1024


typedef struct {
    /* set at creation */
    uint32_t                  n_classes;    /* 0: regression */
    uint32_t                  n_outputs;    /* regression targets */
    int                       proba;        /* log loss and ROC AUC */

    size_t                    rows;
    size_t                    cap;          /* of the stored values */

    /* classification: counts */
    uint64_t                 *cm;           /* true x predicted, known */
    uint64_t                 *pred_sum;     /* every row, unknown too */
    uint64_t                 *true_sum;
    uint64_t                 *unknown;      /* rows of each unknown label */
    uint32_t                  n_unknown;    /* distinct unknown labels */
    uint64_t                  unknown_rows;
    uint64_t                  correct;
    double                    ll_known;     /* log loss, known rows */
    double                    ll_unknown0;  /* unknown rows as class 0 */
    double                   *scores;       /* rows x 1 (binary) or K */
    uint32_t                 *truth;        /* rows: class, K + unknown */

    /* regression, per target */
    double                   *sum_abs;
    double                   *sum_sq;
    double                   *sum_ape;
    double                   *max_abs;
    double                   *mean_y;       /* Welford's running moments */
    double                   *m2_y;
    double                   *mean_d;       /* of y - prediction */
    double                   *m2_d;
    double                   *abs_err;      /* rows x n_outputs */

    /* results (mlp_metrics_finish) */
    double                    accuracy;
    double                    balanced_accuracy;
    double                   *precision;
    double                   *recall;
    double                   *f1;
    double                    macro[3];     /* precision, recall, f1 */
    double                    weighted[3];
    double                    log_loss;     /* NaN: not computed */
    double                    roc_auc;      /* NaN: undefined */
    const char               *roc_auc_why;

    double                    mae;
    double                    mse;
    double                    rmse;
    double                    r2;           /* NaN: under two rows */
    double                    explained_variance;
    double                    max_error;    /* NaN: several targets */
    double                    median_absolute_error;
    double                    mape;
} mlp_metrics_t;


/* n_classes 0: a regressor with n_outputs targets. NULL: out of memory. */
mlp_metrics_t *mlp_metrics_create(uint32_t n_classes, uint32_t n_outputs,
    int proba);
void mlp_metrics_free(mlp_metrics_t *mt);

/*
 * One row of a classifier: the true class (0..K-1), or K + u for the u-th
 * distinct label the model does not know (u < MLP_METRICS_MAX_UNKNOWN);
 * the predicted class; the probabilities (K of them, or NULL). Returns 0,
 * or -1 when out of memory.
 */
int mlp_metrics_add_class(mlp_metrics_t *mt, uint32_t truth, uint32_t pred,
    const double *proba);

/* One row of a regressor: n_outputs true values and predictions. */
int mlp_metrics_add_value(mlp_metrics_t *mt, const double *truth,
    const double *pred);

/* The figures from what was added (at least one row). -1: no memory. */
int mlp_metrics_finish(mlp_metrics_t *mt);


#endif /* _MLP_METRICS_H_INCLUDED_ */
