
/*
 * CART decision trees and random forests, trained from a prepared matrix
 * (imputed, one-hot encoded: every value finite).  Used by `mlpredict
 * train tree|forest` and by its cross-validation; the server never trains.
 */

#ifndef _MLP_CART_H_INCLUDED_
#define _MLP_CART_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "convert/mlp_writer.h"


#define MLP_CART_GINI           0
#define MLP_CART_ENTROPY        1
#define MLP_CART_SQUARED_ERROR  2


typedef struct {
    const double             *x;            /* n rows x d, row-major */
    size_t                    n;
    size_t                    d;
    const double             *y;            /* class index 0..k-1, or target */
    const double             *w;            /* row weights, or NULL */
    uint32_t                  n_classes;    /* 0: regression */
} mlp_train_data_t;


typedef void (*mlp_cart_progress_pt)(void *ctx, uint32_t trees_done);


typedef struct {
    int                       criterion;          /* MLP_CART_* */
    uint32_t                  max_depth;          /* 0: unlimited */
    size_t                    min_samples_split;  /* >= 2 */
    size_t                    min_samples_leaf;   /* >= 1 */
    size_t                    max_features;       /* 0: all d */
    uint32_t                  n_estimators;       /* 1 with forest = 0 */
    int                       forest;             /* bootstrap + averaging */
    uint64_t                  seed;
    mlp_cart_progress_pt      progress;           /* or NULL */
    void                     *progress_ctx;
} mlp_cart_opts_t;


typedef struct mlp_cart_model_s  mlp_cart_model_t;


/* NULL with a message in err on bad options or data. */
mlp_cart_model_t *mlp_cart_fit(const mlp_train_data_t *data,
    const mlp_cart_opts_t *opts, char *err, size_t errlen);

/*
 * Per row: n_classes probabilities (the forest's mean of leaf class
 * fractions, as scikit-learn's predict_proba), or 1 value for regression.
 */
void mlp_cart_predict(const mlp_cart_model_t *m, const double *x, size_t n,
    double *out);

/*
 * Sets w->kind, n_outputs, link and adds the tree ensemble sections (kind 3,
 * models/FORMAT.md: tree_params, tree_roots, nodes, leaf_values, node_cover)
 * describing the model over w->n_features prepared columns.  The sections
 * point into m: keep m alive until the file is written.
 */
int mlp_cart_write(const mlp_cart_model_t *m, mlp_writer_t *w, char *err,
    size_t errlen);

void mlp_cart_free(mlp_cart_model_t *m);


#endif /* _MLP_CART_H_INCLUDED_ */
