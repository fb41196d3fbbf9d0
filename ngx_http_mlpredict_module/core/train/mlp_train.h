
/*
 * Training from a table: `mlpredict train` and its cross-validation.
 *
 * A CSV file read whole into memory and typed a column at a time
 * (mlp_table.c); the data preparation fitted on some of its rows and
 * written into the model file as steps (mlp_prep.c); the estimators'
 * solvers from libraries: LAPACK, liblbfgs, LIBLINEAR, libsvm
 * (mlp_solve.c, mlp_solve_lib.c); CART and forests (mlp_cart.h). The
 * server links none of it.
 */

#ifndef _MLP_TRAIN_H_INCLUDED_
#define _MLP_TRAIN_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "convert/mlp_writer.h"
#include "train/mlp_cart.h"


#define MLP_TRAIN_MISSING       0xffffffffu
/* the most distinct values of a column read as categories */
#define MLP_TRAIN_MAX_CATS      1000
#define MLP_TRAIN_MAX_COLUMNS   100000
/* values of the prepared matrix: 2 GiB of doubles (a forest copies it) */
#define MLP_TRAIN_MAX_VALUES    ((size_t) 1 << 28)
#define MLP_TRAIN_MAX_ROWS      ((size_t) 1 << 31)


/* ------------------------------------------------------------- table */

typedef struct {
    const char               *name;     /* NUL-terminated */
    size_t                    name_len;
    int                       numeric;  /* every value present a number */
    double                   *num;      /* rows: the number, NaN missing */
    uint32_t                 *code;     /* rows: index in cats, or
                                           MLP_TRAIN_MISSING */
    const char              **cats;     /* distinct values, byte order */
    uint32_t                 *cat_len;
    uint32_t                  n_cats;   /* 0 for a numeric column */
    size_t                    n_missing;
} mlp_tcol_t;


typedef struct {
    const char               *path;
    size_t                    n_rows;
    size_t                    n_cols;
    mlp_tcol_t               *col;
    size_t                   *line;     /* each row's first line */

    /* every cell's text, for writing rows back as CSV */
    char                     *bytes;
    size_t                   *cell;     /* rows x cols: offsets */
    uint32_t                 *cell_len;
    char                     *header;   /* names, NUL after each */
} mlp_table_t;


/*
 * The whole file: a header, then records of as many fields. A column is
 * numeric when every cell that is not missing (mlp_csv_missing) reads as
 * a finite number; a non-numeric column keeps its distinct values (at
 * most MLP_TRAIN_MAX_CATS, valid UTF-8 without control characters, as
 * the model file holds them). Returns NULL with the file, line and column
 * of the first problem in err.
 */
mlp_table_t *mlp_table_read(const char *path, char *err, size_t errlen);
/* The same from an open stream (closed here, read or not), named path. */
mlp_table_t *mlp_table_read_file(FILE *f, const char *path, char *err,
    size_t errlen);
void mlp_table_free(mlp_table_t *t);
long mlp_table_column(const mlp_table_t *t, const char *name, size_t len);
int mlp_train_cmp_str(const void *a, const void *b);

/* Rows as CSV (the header first), malloc'ed: *len bytes. */
char *mlp_table_csv(const mlp_table_t *t, const size_t *rows, size_t n,
    size_t *len);


/* ------------------------------------------------------------- split */

/* splitmix64: the generator of the split and of the folds (README) */
uint64_t mlp_train_rand(uint64_t *state);

/*
 * The rows shuffled (Fisher-Yates from the last position down, j =
 * floor(u * (i + 1)) with u the top 53 bits of the next splitmix64 value
 * over 2^53), the first n_test of the permutation held out, both parts
 * then sorted back into file order.
 */
int mlp_train_split(size_t n, size_t n_test, uint64_t seed, size_t *train,
    size_t *test);


/* ------------------------------------------------------------- label */

typedef struct {
    uint32_t                  n_classes;    /* 0: regression */
    double                   *y;            /* rows: class or value */
    char                    **labels;       /* the JSON text of each class */
    size_t                    labels_size;  /* of them, NULs included */
} mlp_target_t;


/*
 * The label column as a class a row (classes sorted: by value for a
 * numeric column, byte order for text, as scikit-learn's classes_) or a
 * number a row. Refuses missing labels, and a column of one value.
 */
int mlp_target_make(const mlp_table_t *t, size_t col, int classify,
    mlp_target_t *tg, char *err, size_t errlen);
void mlp_target_free(mlp_target_t *tg);

/* Whether tree and forest classify: see the README (train). */
int mlp_target_is_classes(const mlp_table_t *t, size_t col);


/* ------------------------------------------------------- preparation */

typedef struct {
    uint32_t                  n_inputs;
    uint32_t                 *col;          /* input -> table column */
    int                       scale;
    double                   *fill;         /* mean, or the code */
    double                   *mean;         /* scaler, numeric inputs */
    double                   *sd;
    int32_t                 **map;          /* table code -> model code */
    uint32_t                 *n_known;      /* model codes of an input */
    uint32_t                  n_num;
    uint32_t                  n_features;
    uint32_t                 *first;        /* input -> first feature */

    /* what the written sections point into */
    void                     *mem[12];
} mlp_prep_t;


/*
 * Fitted on rows of t (inputs: table columns, numeric first in the
 * features, then the categories' one-hot blocks): numbers
 * SimpleImputer(mean) then, with scale, StandardScaler; categories
 * SimpleImputer(most_frequent) then OneHotEncoder(handle_unknown=
 * "ignore"), their categories those the rows hold.
 */
mlp_prep_t *mlp_prep_fit(const mlp_table_t *t, const uint32_t *inputs,
    uint32_t n_inputs, const size_t *rows, size_t n, int scale, char *err,
    size_t errlen);

/* The prepared rows, n x n_features, as the model's steps compute them. */
void mlp_prep_matrix(const mlp_prep_t *p, const mlp_table_t *t,
    const size_t *rows, size_t n, double *x);

/* The rows as a client sends them: n x n_inputs (codes, NaN missing). */
void mlp_prep_inputs(const mlp_prep_t *p, const mlp_table_t *t,
    const size_t *rows, size_t n, double *x);

/* The schema, the steps and feature_names into w (pointing into p). */
int mlp_prep_write(mlp_prep_t *p, const mlp_table_t *t, mlp_writer_t *w,
    char *err, size_t errlen);
void mlp_prep_free(mlp_prep_t *p);


/* ----------------------------------------------------------- solvers */

#define MLP_ALGO_LINEAR         0
#define MLP_ALGO_RIDGE          1
#define MLP_ALGO_LOGISTIC       2
#define MLP_ALGO_LINEAR_SVM     3
#define MLP_ALGO_SVM            4
#define MLP_ALGO_SVR            5
#define MLP_ALGO_TREE           6
#define MLP_ALGO_FOREST         7
#define MLP_ALGO_N              8

#define MLP_GAMMA_SCALE         (-1.0)
#define MLP_GAMMA_AUTO          (-2.0)


typedef struct {
    int                       algo;
    double                    alpha;        /* ridge */
    double                    C;
    double                    tol;          /* 0: the library's default */
    uint32_t                  max_iter;
    int                       kernel;       /* MLP_SVM_LINEAR .. SIGMOID */
    double                    gamma;        /* > 0, or MLP_GAMMA_* */
    uint32_t                  degree;
    double                    coef0;
    double                    epsilon;      /* svr */
    int                       probability;
    uint64_t                  kernel_memory;  /* svr (svm only when set):
                                                 bytes for the kernel
                                                 matrix, 0 none */
    int                       kernel_memory_set;
    uint64_t                  seed;
    mlp_cart_opts_t           cart;
    int                       max_features_rule;  /* 0 all, 1 sqrt,
                                                     2 log2, 3 the number */
    uint32_t                  max_features;
} mlp_train_opts_t;


/* svm, svr: whether libsvm was given the whole kernel matrix, and why */
#define MLP_GRAM_NA             0   /* not a kernel svm */
#define MLP_GRAM_USED           1
#define MLP_GRAM_OFF            2   /* a budget of 0 */
#define MLP_GRAM_BUDGET         3   /* over the budget */
#define MLP_GRAM_MEMORY         4   /* over half of mlp_memory_size() */
#define MLP_GRAM_FAILED         5   /* the allocation failed */
#define MLP_GRAM_TOO_BIG        6   /* too many rows to count it */


typedef struct {
    int                       used;         /* MLP_GRAM_* */
    uint64_t                  bytes;        /* what the budget counts: the
                                               matrix, the rows transposed */
    uint64_t                  memory;       /* mlp_memory_size() */
} mlp_gram_info_t;


/* What the estimator's sections point into, freed once written. */
typedef struct {
    void                     *mem[12];
    uint32_t                  n_mem;
    mlp_cart_model_t         *cart;
    void                     *svm;          /* mlp_libsvm_model_t */
    mlp_gram_info_t           gram;
} mlp_est_t;


/*
 * The estimator fitted on data (prepared rows; classes 0..k-1 for a
 * classifier), its sections added to w (kind, link, n_outputs set; the
 * class labels, names and steps are the caller's). 0, or -1 and err;
 * either way the caller frees e with mlp_est_free after writing.
 */
int mlp_train_fit(const mlp_train_data_t *data, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen);
void mlp_est_free(mlp_est_t *e);

/* mlp_solve.c: LAPACK and liblbfgs */
int mlp_fit_linear(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen);
int mlp_fit_logistic(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen);

/*
 * mlp_lbfgs.c: liblbfgs's return code rc (lbfgs.h), gmax the largest
 * |component| of the gradient where it stopped (-1 unknown): 0, the model
 * kept (warn set, or "", for the caller to print), or -1 and err.
 */
int mlp_lbfgs_verdict(int rc, double gmax, uint32_t max_iter, char *warn,
    size_t warnlen, char *err, size_t errlen);

/* mlp_solve_lib.c: LIBLINEAR and libsvm */
int mlp_fit_linear_svm(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen);
int mlp_fit_svm(const mlp_train_data_t *d, const mlp_train_opts_t *o,
    mlp_writer_t *w, mlp_est_t *e, char *err, size_t errlen);

/* each feature's mean over the rows (np.average(X, axis=0)) */
void mlp_train_means(const mlp_train_data_t *d, double *mean);

/* memory of e, freed with it: NULL when out of memory (or e is full) */
void *mlp_est_alloc(mlp_est_t *e, size_t size);

/* malloc for a matrix of the rows: huge pages asked for (free() frees) */
void *mlp_train_malloc(size_t size);


#endif /* _MLP_TRAIN_H_INCLUDED_ */
