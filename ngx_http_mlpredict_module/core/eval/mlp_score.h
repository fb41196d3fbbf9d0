
/*
 * Scoring records of a table (CSV) in blocks: columns matched to the
 * model's inputs by header name, each cell read as its input reads a
 * value (numbers as strtod reads them, categories matched to their code,
 * missing values where the input takes them), then the steps and the
 * estimator on a block of rows at a time. Class labels of the model as
 * values, for matching a label column.
 */

#ifndef _MLP_SCORE_H_INCLUDED_
#define _MLP_SCORE_H_INCLUDED_


#include "mlp.h"
#include "io/mlp_csv.h"


#define MLP_SCORE_BLOCK         1024


typedef struct {
    const char               *text;     /* the label as text, decoded */
    size_t                    len;
    int                       is_number;
    int                       is_bool;  /* JSON true or false */
    double                    value;
} mlp_class_t;


typedef struct {
    const mlp_model_t        *m;
    size_t                    block;
    size_t                    n;        /* rows in the block */
    size_t                    n_columns;    /* of the header */
    size_t                   *col;      /* input -> column */
    size_t                   *lines;    /* row -> its first line */

    double                   *x;        /* block x n_inputs */
    double                   *feat;     /* block x n_features */
    double                   *work;
    double                   *out;      /* block x out_width */
    uint32_t                 *labels;

    uint32_t                  n_classes;
    mlp_class_t              *classes;
    int                       numeric_classes;

    /* what a row of out holds: out_width values */
    uint32_t                  out_width;
    int                       proba;    /* a classifier's probabilities */
    int                       decision; /* a classifier's decision values */
    int                       pairs;    /* ... one a pair of classes */
    int                       outlier;  /* one-class: 1 or -1, decision */
} mlp_score_t;


mlp_score_t *mlp_score_create(const mlp_model_t *m, size_t block);
void mlp_score_free(mlp_score_t *s);

/* The header: every input must name a column (once). 0, or -1 and err. */
int mlp_score_header(mlp_score_t *s, const mlp_csv_field_t *f, size_t n,
    char *err, size_t errlen);

/* Index of a header's column by name, -1 when absent. */
long mlp_score_column(const mlp_csv_field_t *f, size_t n, const char *name);

/*
 * One record into the block (line: its first line, for errors). Returns
 * 0, or -1 with err naming the line and the column.
 */
int mlp_score_row(mlp_score_t *s, const mlp_csv_field_t *f, size_t n,
    size_t line, const mlp_csv_field_t *header, mlp_error_t *err);

/*
 * The steps and the estimator on the block: s->out and s->labels hold its
 * s->n rows' answers. Returns 0, or -1 with err naming the row's line.
 * The caller sets s->n = 0 when it has used them.
 */
int mlp_score_run(mlp_score_t *s, mlp_error_t *err);

/*
 * A label cell as a class index: by value where the classes are numbers
 * (1, 1.0 and "1" alike, as pandas reads a numeric column), byte for byte
 * where they are strings. -1: a label the model does not know.
 */
long mlp_score_label(const mlp_score_t *s, const char *text, size_t len);


#endif /* _MLP_SCORE_H_INCLUDED_ */
