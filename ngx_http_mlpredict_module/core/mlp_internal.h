
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
#define MLP_SEC_TREE_PARAMS     30
#define MLP_SEC_TREE_ROOTS      31
#define MLP_SEC_TREE_GROUPS     32
#define MLP_SEC_TREE_SCALES     33
#define MLP_SEC_NODES           34
#define MLP_SEC_LEAF_VALUES     35
#define MLP_SEC_INIT            36
#define MLP_SEC_INPUT_NAMES     40
#define MLP_SEC_INPUT_INFO      41
#define MLP_SEC_CATEGORIES      42
#define MLP_SEC_STEPS           43
#define MLP_SEC_STEP_U32        44
#define MLP_SEC_STEP_F64        45
#define MLP_SEC_OUTPUT_COLUMNS  46
#define MLP_SEC_TARGET          47
#define MLP_SEC_CAT_BITSETS     48
#define MLP_SEC_FEATURE_MEAN    50
#define MLP_SEC_NODE_COVER      51
#define MLP_SEC_SVM_PARAMS      60
#define MLP_SEC_SVM_KERNEL      61
#define MLP_SEC_SVM_VECTORS     62
#define MLP_SEC_SVM_COEF        63
#define MLP_SEC_SVM_RHO         64
#define MLP_SEC_SVM_N_SV        65
#define MLP_SEC_SVM_PROB_A      66
#define MLP_SEC_SVM_PROB_B      67
#define MLP_SEC_NN_PARAMS       70
#define MLP_SEC_NN_LAYERS       71
#define MLP_SEC_NN_F64          72
#define MLP_SEC_MAX             72

/* how a row is answered */
#define MLP_ANSWER_VALUE        0       /* regression: the values */
#define MLP_ANSWER_PROBA        1       /* label and probabilities */
#define MLP_ANSWER_DECISION     2       /* label and decision values */
#define MLP_ANSWER_OUTLIER      3       /* 1 or -1 and the decision */

/* svm (kind 4) */
#define MLP_SVM_C_SVC           0
#define MLP_SVM_NU_SVC          1
#define MLP_SVM_ONE_CLASS       2
#define MLP_SVM_EPSILON_SVR     3
#define MLP_SVM_NU_SVR          4

#define MLP_SVM_LINEAR          0
#define MLP_SVM_POLY            1
#define MLP_SVM_RBF             2
#define MLP_SVM_SIGMOID         3

#define MLP_SVM_PROBABILITY     0x01
#define MLP_SVM_OVR             0x02
#define MLP_SVM_BREAK_TIES      0x04
#define MLP_SVM_BINARY_DIRECT   0x08
#define MLP_SVM_SKLEARN_SIGN    0x10
#define MLP_SVM_FLAGS           0x1f

#define MLP_SVM_MAX_CLASSES     256

/* networks (kind 5) */
#define MLP_LAYER_DENSE         1
#define MLP_LAYER_SCALE         2

#define MLP_ACT_IDENTITY        0
#define MLP_ACT_LOGISTIC        1
#define MLP_ACT_TANH            2
#define MLP_ACT_RELU            3
#define MLP_ACT_LEAKY_RELU      4
#define MLP_ACT_ELU             5
#define MLP_ACT_SOFTMAX         6
#define MLP_ACT_LOG_SOFTMAX     7
#define MLP_ACT_MAX             7

#define MLP_NN_F32              0x01
#define MLP_NN_MULTILABEL       0x02
#define MLP_NN_FLAGS            0x03

#define MLP_NN_MAX_LAYERS       64
#define MLP_NN_MAX_WIDTH        65536

/* inputs (format version 2) */
#define MLP_INPUT_NUMBER        0
#define MLP_INPUT_CATEGORY      1
#define MLP_INPUT_MISSING       0x01
#define MLP_INPUT_UNKNOWN_ERROR 0x02
#define MLP_INPUT_PLAIN_NAME    0x04    /* its JSON key is its bytes */

/* the work row: inputs, then what the steps write */
#define MLP_MAX_COLUMNS         (8 * 1024 * 1024)

/* the most the features of one request may take after the steps */
#define MLP_STEPS_MATRIX        (64 * 1024 * 1024)
/* the bytes a request's explanations may take in its answer */
#define MLP_EXPLAIN_ANSWER      (64 * 1024 * 1024)

/* step types */
#define MLP_STEP_AFFINE         1
#define MLP_STEP_IMPUTE         2
#define MLP_STEP_INDICATOR      3
#define MLP_STEP_ENCODE         4
#define MLP_STEP_FUNCTION       5
#define MLP_STEP_NORMALIZE      6
#define MLP_STEP_BINARIZE       7
#define MLP_STEP_BINS           8
#define MLP_STEP_POLY           9
#define MLP_STEP_MAX            9

#define MLP_FUNC_NONE           0
#define MLP_FUNC_LOG1P          1
#define MLP_FUNC_LOG            2
#define MLP_FUNC_EXP            3
#define MLP_FUNC_EXPM1          4
#define MLP_FUNC_SQRT           5
#define MLP_FUNC_ABS            6
#define MLP_FUNC_MAX            6

#define MLP_DTYPE_F64           1
#define MLP_DTYPE_STRINGS       2
#define MLP_DTYPE_U32           3
#define MLP_DTYPE_NODE          4

#define MLP_TREE_INPUT_F32      0x01
#define MLP_TREE_CMP_LT         0x02
#define MLP_TREE_ACC_F32        0x04
#define MLP_TREE_MISSING        0x08
#define MLP_TREE_LABEL_RAW      0x10
#define MLP_TREE_SCALE          0x20
#define MLP_TREE_FLAGS          0x3f

#define MLP_NODE_LEAF           0x80000000u
#define MLP_NODE_DEFAULT_LEFT   0x40000000u
#define MLP_NODE_CATEGORICAL    0x20000000u
#define MLP_NODE_FEATURE        0x1fffffffu

/* Longest number mlp_write_double writes: "-2.2250738585072014e-308". */
#define MLP_DOUBLE_MAX_LEN      24


typedef struct {
    const char               *s;
    size_t                    len;
} mlp_str_t;


typedef struct {
    uint32_t                  id;
    uint32_t                  dtype;
    uint64_t                  offset;
    uint64_t                  size;
    uint64_t                  count;
} mlp_section_t;


/* one input of the client's rows */
typedef struct {
    uint32_t                  kind;         /* MLP_INPUT_NUMBER, _CATEGORY */
    uint32_t                  flags;        /* MLP_INPUT_MISSING, ... */
    uint32_t                  n_cats;
    const mlp_str_t          *cats;         /* its known values */
    uint32_t                 *cat_index;    /* value -> code + 1 */
    uint32_t                  cat_mask;
} mlp_input_t;


/* one preprocessing step, its parameters checked against the pools */
typedef struct {
    uint32_t                  type;
    uint32_t                  flags;
    uint32_t                  n_in;
    uint32_t                  out_first;    /* first work column written */
    uint32_t                  out_width;
    const uint32_t           *in;           /* the work columns read */
    const double             *f;            /* f64 parameters */
    const uint32_t           *u;            /* u32 parameters */
} mlp_step_t;


/* read in place from the file: 16 bytes, little-endian */
typedef struct {
    double                    threshold;
    uint32_t                  a;            /* left child, or leaf index */
    uint32_t                  info;         /* MLP_NODE_* */
} mlp_node_t;


/* one layer of a network, its parameters checked against the pool */
typedef struct {
    uint32_t                  type;         /* MLP_LAYER_* */
    uint32_t                  n_in;
    uint32_t                  n_out;
    uint32_t                  act;          /* MLP_ACT_* */
    uint32_t                  w_first;      /* pool index of the weights */
    uint32_t                  b_first;
    uint32_t                  p_first;      /* alpha of leaky relu, elu */
    double                    alpha;
    const double             *w;            /* dense: n_in x n_out */
    const double             *b;
} mlp_layer_t;


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
    int                       classifier;

    mlp_str_t                *features;     /* what the estimator takes */

    /* the client's inputs: the features themselves without a schema */
    uint32_t                  n_inputs;
    const mlp_str_t          *input_names;
    mlp_input_t              *inputs;
    mlp_str_t                *input_strs;   /* names, then categories */
    int                       schema;       /* inputs other than features */
    int                       has_categories;
    int                       takes_nan;    /* the estimator takes NaN */

    uint32_t                  n_steps;
    mlp_step_t               *steps;
    uint32_t                  n_columns;    /* of the work row */
    const uint32_t           *out_cols;     /* feature -> work column */
    uint32_t                  target_func;
    const double             *step_f;       /* the f64 pool of the steps */

    const uint32_t           *bitsets;      /* categorical splits */
    uint32_t                  n_bitsets;
    int                       cat_splits;
    mlp_str_t                *labels;       /* JSON text of each class */
    mlp_str_t                *label_keys;   /* "label": as object keys */
    mlp_str_t                 producer;

    const double             *mean;         /* NULL: no scaler */
    const double             *scale;
    const double             *coef;
    const double             *intercept;

    /* tree ensembles */
    uint32_t                  n_trees;
    uint32_t                  n_groups;
    uint32_t                  leaf_width;
    uint32_t                  tree_flags;
    uint32_t                  max_depth;
    uint64_t                  n_nodes;
    uint64_t                  n_leaves;
    const uint32_t           *roots;
    const uint32_t           *groups;       /* NULL: every tree adds at 0 */
    const double             *scales;       /* NULL: leaves added as is */
    const mlp_node_t         *nodes;
    const double             *leaves;
    const double             *init;         /* NULL: raw scores start at 0 */
    unsigned char            *tree_depth;   /* built at load, capped 255 */

    /* input name -> index + 1, open addressing, 0 is empty */
    uint32_t                 *index;
    uint32_t                  index_mask;

    /* support vector machines */
    uint32_t                  svm_type;
    uint32_t                  svm_kernel;
    uint32_t                  svm_flags;
    uint32_t                  svm_degree;
    uint32_t                  n_class;
    uint32_t                  n_sv;
    uint32_t                  n_pairs;
    double                    gamma;
    double                    coef0;
    const double             *sv;
    const double             *sv_coef;
    const double             *rho;
    const double             *prob_a;
    const double             *prob_b;
    uint32_t                 *sv_start;     /* first vector of each class */
    const uint32_t           *sv_count;
    double                   *sv_norm;      /* |v|^2, at load */
    double                   *sv_coef_t;    /* sv_coef by vector, at load */
    uint32_t                  sv_coef_w;    /* its row: k - 1 padded to 4 */
    uint32_t                 *sv_pair;      /* class, coef row -> pair */
    double                   *scratch;      /* kernel values: one thread */
    uint32_t                  svm_block;    /* rows the scratch holds */

    /* networks */
    uint32_t                  n_layers;
    uint32_t                  nn_flags;
    uint32_t                  nn_max_width;
    uint32_t                  nn_block;     /* rows the scratch holds */
    uint64_t                  nn_params;
    mlp_layer_t              *nn_layers;
    float                    *nn_f32;       /* the pool narrowed, float32 */
    void                     *nn_scratch;   /* two activations: one thread */

    uint32_t                  answer;       /* MLP_ANSWER_* */
    int                       decision_pairs;   /* one value a pair */
    uint32_t                  out_width;    /* values a row writes in out */

    size_t                    row_bound;    /* bytes one row's answer needs */

    /* explanations (mlp_explain.c), all settled at load */
    const double             *feature_mean; /* E[feature]: NULL, none */
    const double             *cover;        /* per node: NULL, none */
    int                       explains;     /* 1: an exact method applies */
    char                      explain_why[160]; /* else: why not */
    uint32_t                  explain_groups;   /* margins explained */
    int                       explain_keyed;    /* by class label */
    uint32_t                 *feature_input;    /* feature -> input */
    double                   *explain_base;     /* per group */
    const double             *explain_coef;     /* groups * n_features */
    const double             *explain_icpt;     /* per group */
    double                   *explain_w;        /* linear svm: its own */
    double                   *tree_expect;      /* trees * leaf_width */
    size_t                    explain_scratch;  /* bytes a row needs */
    size_t                    explain_bound;    /* bytes it adds a row */
    char                     *explain_keys;     /* "input": of each */
    size_t                   *explain_key_off;  /* n_inputs + 1 */

    char                     *info;
    size_t                    info_len;
};


int mlp_scan_request(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, mlp_request_t *req);
int mlp_parse_json(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, mlp_request_t *req, mlp_error_t *err);
/* jansson's parses of client bytes, and what the last one took */
typedef struct {
    size_t                    parses;       /* since the process started */
    size_t                    reserved;     /* bytes */
    size_t                    used;         /* bytes of the reserve */
    size_t                    overflows;    /* allocations past it */
} mlp_json_stats_t;

/* what the bound of jansson's allocations adds to the sum of its parts */
#define MLP_JSON_SLACK          4096

void mlp_json_last_parse(mlp_json_stats_t *st);

/* for the protocol parsers: jansson only through the bounded reserve */
struct json_t;
struct json_t *mlp_json_load(const char *body, size_t len, mlp_alloc_t *a,
    mlp_error_t *err);
void mlp_json_release(struct json_t *root);
int mlp_parse_row(const mlp_model_t *m, struct json_t *row, size_t r,
    int batch, double *x, mlp_error_t *err);
int mlp_parse_value(const mlp_model_t *m, struct json_t *v, uint32_t j,
    size_t r, int batch, double *x, mlp_error_t *err);
const char *mlp_json_type(struct json_t *v);
int mlp_json_selfcheck(char *err, size_t errlen);
int mlp_linear_predict(const mlp_model_t *m, double *x, size_t rows,
    double *out, uint32_t *labels);
int mlp_trees_predict(const mlp_model_t *m, double *x, size_t rows,
    double *out, uint32_t *labels);
int mlp_trees_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen);
int mlp_svm_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen);
void mlp_svm_free(mlp_model_t *m);


/*
 * libsvm's powi, exponentiation by squaring with its rounding: the poly
 * kernel's power, also of the trainer's kernel matrix. Inline: it runs
 * once a row and support vector.
 */

static inline double
mlp_powi(double base, uint32_t times)
{
    double    tmp, ret;
    uint32_t  t;

    tmp = base;
    ret = 1.0;

    for (t = times; t > 0; t /= 2) {
        if (t % 2 == 1) {
            ret *= tmp;
        }

        tmp = tmp * tmp;
    }

    return ret;
}


void mlp_vexp(double *v, size_t n);
void mlp_vlog1p(double *v, size_t n);
void mlp_vstandardize(double *x, size_t rows, size_t nf, const double *mean,
    const double *scale);
int mlp_vload_f64(double *x, const unsigned char *p, size_t n);
int mlp_vload_f32(double *x, const unsigned char *p, size_t n);
int mlp_nn_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen);
void mlp_nn_free(mlp_model_t *m);
int mlp_nn_predict(const mlp_model_t *m, double *x, size_t rows,
    double *out, uint32_t *labels);
const char *mlp_nn_activation_name(uint32_t act);
int mlp_svm_predict(const mlp_model_t *m, double *x, size_t rows,
    double *out, uint32_t *labels);
int mlp_model_doubles(const mlp_model_t *m, const mlp_section_t *s,
    uint64_t count, const double **out, const char *what, char *err,
    size_t errlen);
int mlp_model_u32s(const mlp_model_t *m, const mlp_section_t *s,
    uint64_t count, const uint32_t **out, const char *what, char *err,
    size_t errlen);
void mlp_fail(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
uint32_t mlp_hash(const char *s, size_t len);
/*
 * The memory this process may use: physical, or a cgroup's limit where
 * smaller (0 unknown); mlp_cgroup_memory: that limit (UINT64_MAX none)
 * for /proc/self/cgroup's text, the hierarchies mounted at root.
 */
uint64_t mlp_memory_size(void);
uint64_t mlp_cgroup_memory(const char *root, const char *text);
int mlp_utf8_valid(const unsigned char *s, size_t len);
/* how many bytes of a client's string to quote: at most 64, whole UTF-8 */
int mlp_shown(const char *s, size_t len);
int mlp_table_build(const mlp_str_t *str, uint32_t n, uint32_t **table,
    uint32_t *mask, uint32_t *dup, uint32_t *first);
long mlp_table_find(const uint32_t *table, uint32_t mask,
    const mlp_str_t *str, const char *s, size_t len);
int mlp_model_strings(const mlp_section_t *s, const unsigned char *p,
    mlp_str_t **out, const char *what, char *err, size_t errlen);

/* explanations (mlp_explain.c) */
int mlp_explain_load(mlp_model_t *m, char *err, size_t errlen);
void mlp_explain_free(mlp_model_t *m);
#define MLP_EXPLAIN_MAX_DEPTH   256

/* the input schema and the steps (mlp_schema.c, mlp_steps.c) */
int mlp_schema_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen);
void mlp_schema_free(mlp_model_t *m);
int mlp_steps_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen);
int mlp_steps_apply(const mlp_model_t *m, const double *in, size_t rows,
    size_t first_row, double *work, double *out, mlp_error_t *err);
double mlp_func_apply(uint32_t func, double v);
const char *mlp_step_name(uint32_t type);
long mlp_input_code(const mlp_input_t *in, const char *s, size_t len);


#endif /* _MLP_INTERNAL_H_INCLUDED_ */
