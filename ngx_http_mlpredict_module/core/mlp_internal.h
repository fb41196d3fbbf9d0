
/*
 * The loaded model, shared by the core's files. Pointers into the file are
 * valid (bounds, alignment, counts, finiteness) once mlp_model_open returns.
 */

#ifndef _MLP_INTERNAL_H_INCLUDED_
#define _MLP_INTERNAL_H_INCLUDED_


#include "mlp.h"


#define MLP_HEADER_SIZE         64
#define MLP_SECTION_SIZE        32
#define MLP_MAX_SECTIONS        64
#define MLP_MAX_FEATURES        1000000
#define MLP_MAX_OUTPUTS         100000
#define MLP_ALIGN               64

#define MLP_SEC_FEATURE_NAMES   1
#define MLP_SEC_CLASS_LABELS    2
#define MLP_SEC_PRODUCER        3
#define MLP_SEC_SCALER_MEAN     10
#define MLP_SEC_SCALER_SCALE    11
#define MLP_SEC_COEF            20
#define MLP_SEC_INTERCEPT       21

#define MLP_DTYPE_F64           1
#define MLP_DTYPE_STRINGS       2

/* Longest number mlp_write_double writes: "-2.2250738585072014e-308". */
#define MLP_DOUBLE_MAX_LEN      24


typedef struct {
    const char               *s;
    size_t                    len;
} mlp_str_t;


struct mlp_model_s {
    const unsigned char      *base;
    size_t                    size;
    int                       mapped;

    uint32_t                  version;
    uint32_t                  checksum;
    uint32_t                  kind;
    uint32_t                  link;
    uint32_t                  n_features;
    uint32_t                  n_outputs;
    uint32_t                  n_scores;     /* coefficient rows */

    mlp_str_t                *features;
    mlp_str_t                *labels;       /* JSON text of each class */
    mlp_str_t                *label_keys;   /* "label": as object keys */
    mlp_str_t                 producer;

    const double             *mean;         /* NULL: no scaler */
    const double             *scale;
    const double             *coef;
    const double             *intercept;

    /* feature name -> index + 1, open addressing, 0 is empty */
    uint32_t                 *index;
    uint32_t                  index_mask;

    size_t                    row_bound;    /* bytes one row's answer needs */

    char                     *info;
    size_t                    info_len;
};


int mlp_linear_predict(const mlp_model_t *m, double *x, size_t rows,
    double *out, uint32_t *labels);
uint32_t mlp_hash(const char *s, size_t len);


#endif /* _MLP_INTERNAL_H_INCLUDED_ */
