
/*
 * mlpredict core: the model file, the kernels, request parsing and response
 * writing. Plain C99 with no nginx dependency: the nginx module, the
 * command-line tool, the unit tests and the fuzzers all link this.
 *
 * Not thread-safe per call sequence, but a loaded model is read-only and may
 * be shared by any number of callers.
 */

#ifndef _MLP_H_INCLUDED_
#define _MLP_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


#define MLP_FORMAT_VERSION      2
#define MLP_ERR_LEN             256

#define MLP_KIND_LINEAR         1
#define MLP_KIND_LOGISTIC       2
#define MLP_KIND_TREES          3
#define MLP_KIND_SVM            4
#define MLP_KIND_NETWORK        5

#define MLP_LINK_IDENTITY       0
#define MLP_LINK_LOGISTIC       1
#define MLP_LINK_SOFTMAX        2
#define MLP_LINK_OVR            3
#define MLP_LINK_EXP            4
#define MLP_LINK_MEAN           5
#define MLP_LINK_LOGSUMEXP      6
#define MLP_LINK_SIGMOID        7
#define MLP_LINK_DECISION       8
#define MLP_LINK_MODIFIED_HUBER 9


typedef struct mlp_model_s  mlp_model_t;


/* Every per-request allocation goes through the caller's allocator. */
typedef struct {
    void                    *(*alloc)(void *data, size_t size);
    void                     *data;
} mlp_alloc_t;


typedef enum {
    MLP_SHAPE_NAMED = 1,        /* {"feature": value, ...} */
    MLP_SHAPE_FEATURES,         /* {"features": [v, ...]} */
    MLP_SHAPE_INSTANCES         /* {"instances": [row, ...]} */
} mlp_shape_e;


typedef struct {
    mlp_shape_e               shape;
    size_t                    rows;
    double                   *x;        /* rows * n_features, row-major */
    int                       explain;  /* "explain": true */
} mlp_request_t;


/* A value given as text (an nginx variable's): data NULL when absent. */
typedef struct {
    const char               *data;
    size_t                    len;
} mlp_text_t;


/* A client's mistake: the HTTP status it maps to and a sentence. */
typedef struct {
    int                       status;
    char                      message[MLP_ERR_LEN];
} mlp_error_t;


/*
 * Process set-up: single-threaded BLAS (the nginx worker is the thread),
 * its buffer mapped, jansson seeded and checked against the bound of its
 * allocations. Returns 0, or -1 with the reason in err.
 */
int mlp_init(char *err, size_t errlen);

/*
 * Loading. Both validate the whole file; on failure they return NULL and
 * write the reason into err. mlp_model_open maps the file read-only;
 * mlp_model_load_mem uses (does not copy) a caller's buffer that must stay
 * valid and 8-byte aligned while the model lives.
 */
mlp_model_t *mlp_model_open(const char *path, char *err, size_t errlen);
mlp_model_t *mlp_model_load_mem(const void *data, size_t size, char *err,
    size_t errlen);
void mlp_model_close(mlp_model_t *m);

uint32_t mlp_model_kind(const mlp_model_t *m);
/* the CRC-32 of the file, as its header gives it and load checked */
uint32_t mlp_model_checksum(const mlp_model_t *m);
uint32_t mlp_model_n_features(const mlp_model_t *m);
uint32_t mlp_model_n_inputs(const mlp_model_t *m);
uint32_t mlp_model_n_outputs(const mlp_model_t *m);
/* values mlp_predict writes a row: n_outputs, or the decision values */
uint32_t mlp_model_out_width(const mlp_model_t *m);
int mlp_model_is_classifier(const mlp_model_t *m);
int mlp_model_allows_missing(const mlp_model_t *m);
const char *mlp_model_feature_name(const mlp_model_t *m, uint32_t i);
long mlp_model_feature_index(const mlp_model_t *m, const char *name,
    size_t len);

/* The model's metadata as a JSON object, built once at load. */
const char *mlp_model_info(const mlp_model_t *m, size_t *len);

/* CRC-32 (IEEE, as zlib.crc32). */
uint32_t mlp_crc32(uint32_t crc, const void *data, size_t len);

/*
 * Parse a request body into a matrix. Returns 0, or -1 with err set.
 * Uses jansson; its allocator is the process-wide one (json_set_alloc_funcs).
 */
int mlp_parse_request(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, mlp_request_t *req, mlp_error_t *err);

/*
 * Predict: x (rows * n_features) is preprocessed in place; out receives
 * rows * n_outputs values (regression) or class probabilities
 * (classification); labels receives the class index of each row
 * (classification only, may be NULL otherwise). Returns 0, or -1 with err
 * set when an output is not finite (inputs too large for the model).
 */
int mlp_predict(const mlp_model_t *m, double *x, size_t rows, double *out,
    uint32_t *labels, mlp_error_t *err);

/* Rows of inputs through the steps and the estimator (from a). */
int mlp_predict_explain(const mlp_model_t *m, double *in, size_t rows,
    mlp_alloc_t *a, double **outp, uint32_t **labelsp, double **phip,
    mlp_error_t *err);
int mlp_predict_inputs(const mlp_model_t *m, double *in, size_t rows,
    mlp_alloc_t *a, double **out, uint32_t **labels, mlp_error_t *err);

/* Parse, predict and write the answer: the whole request path. */
int mlp_handle_request(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, char **resp, size_t *resp_len,
    mlp_error_t *err);

/*
 * What a request came to, for logs and metrics: rows is set once the body
 * parsed, predicted once the rows are predicted (the first row's class, or
 * its first output value for a regressor).
 */
typedef struct {
    size_t                    rows;
    int                       predicted;
    uint32_t                  first_label;
    double                    first_value;
} mlp_outcome_t;

/* mlp_handle_request, filling *oc (zeroed by the caller) if not NULL. */
int mlp_handle_request_outcome(const mlp_model_t *m, const char *body,
    size_t len, size_t max_rows, mlp_alloc_t *a, char **resp,
    size_t *resp_len, mlp_outcome_t *oc, mlp_error_t *err);

/*
 * One row as text, a value per input in the model's input order
 * (mlp_model_input_name): numbers read whole as strtod reads them,
 * categories matched byte for byte, empty or absent values missing where
 * the input takes a missing value. *out points to n_outputs values (class
 * probabilities for a classifier) allocated from a, *label is the class
 * (classifiers). Returns 0, or -1 with err set (400 for the client's
 * values, 500 out of memory).
 */
int mlp_predict_values(const mlp_model_t *m, const mlp_text_t *row,
    mlp_alloc_t *a, double **out, uint32_t *label, mlp_error_t *err);

const char *mlp_model_input_name(const mlp_model_t *m, uint32_t i,
    size_t *len);
int mlp_model_input_is_category(const mlp_model_t *m, uint32_t i);
int mlp_model_input_takes_missing(const mlp_model_t *m, uint32_t i);

/*
 * The number of output k in the values of one row (class k's probability,
 * or its decision value; target k of a regressor); -1 where the model has
 * none per class (one-vs-one decision values). out NULL: only whether.
 */
int mlp_output_value(const mlp_model_t *m, const double *out, uint32_t k,
    double *v);

/*
 * A class label as plain text ("yes", 0); -1 if none or over size bytes.
 * With buf NULL, *len is a bound of its length, for sizing buf.
 */
int mlp_model_class_text(const mlp_model_t *m, uint32_t k, char *buf,
    size_t size, size_t *len);

/*
 * Explanations: each input's additive contribution to each explained
 * margin (the raw score before the link), so that the contributions of a
 * row plus the base value equal its margin. Linear models: coef * (x -
 * E[x]) through the preprocessing; trees: exact path-dependent TreeSHAP.
 * mlp_explain_check: 0, or -1 with a 400 naming why this model cannot.
 * mlp_explain: x as mlp_predict takes it (rows * n_features, before
 * mlp_predict changes it), unchanged; phi receives rows * groups *
 * n_inputs values; scratch is mlp_explain_scratch(m) bytes, 8-aligned.
 */
int mlp_explain_check(const mlp_model_t *m, mlp_error_t *err);
uint32_t mlp_explain_groups(const mlp_model_t *m);
const double *mlp_explain_base(const mlp_model_t *m);
size_t mlp_explain_scratch(const mlp_model_t *m);
int mlp_explain(const mlp_model_t *m, const double *x, size_t rows,
    double *phi, void *scratch, mlp_error_t *err);

/* Parse, predict, explain where asked and allowed, and answer. */
#define MLP_ALLOW_EXPLAIN       0x01
#define MLP_FORCE_EXPLAIN       0x02    /* as if "explain": true */
int mlp_handle_request_flags(const mlp_model_t *m, const char *body,
    size_t len, size_t max_rows, unsigned flags, mlp_alloc_t *a, char **resp,
    size_t *resp_len, mlp_outcome_t *oc, mlp_error_t *err);

/*
 * The Open Inference Protocol v2 (io/mlp_v2.c). An inference request's
 * JSON is its first json_len bytes, binary tensor data the rest.
 */
#define MLP_V2_PREDICT          0x01
#define MLP_V2_PROBA            0x02
#define MLP_V2_DECISION         0x04
#define MLP_V2_CONTRIB          0x08    /* "contributions" */
#define MLP_V2_BASE             0x10    /* "base_value" */
#define MLP_V2_EXPLAIN          (MLP_V2_CONTRIB | MLP_V2_BASE)

typedef struct {
    size_t                    rows;
    double                   *x;        /* rows * n_inputs */
    const char               *id;       /* the id as JSON text, or NULL */
    size_t                    id_len;
    unsigned                  outputs;  /* MLP_V2_*: those answered */
    unsigned                  binary;   /* of them, in binary */
} mlp_v2_request_t;

int mlp_v2_parse(const mlp_model_t *m, const char *body, size_t len,
    size_t json_len, size_t max_rows, mlp_alloc_t *a, mlp_v2_request_t *req,
    mlp_error_t *err);
/* the same of a body in two pieces, body then tail (tail may be NULL) */
int mlp_v2_parse_split(const mlp_model_t *m, const char *body, size_t len0,
    const char *tail, size_t len1, size_t json_len, size_t max_rows,
    mlp_alloc_t *a, mlp_v2_request_t *req, mlp_error_t *err);
int mlp_v2_answer(const mlp_model_t *m, const char *name, size_t name_len,
    const char *version, size_t version_len, const mlp_v2_request_t *req,
    mlp_alloc_t *a, char **resp, size_t *resp_len, size_t *json_len,
    mlp_error_t *err);
char *mlp_v2_metadata(const mlp_model_t *m, const char *name,
    size_t name_len, const char *versions, size_t versions_len,
    mlp_alloc_t *a, size_t *len);

/* TF Serving's REST API: :predict, :classify, :regress (io/mlp_v2.c). */
#define MLP_TF_PREDICT          0
#define MLP_TF_CLASSIFY         1
#define MLP_TF_REGRESS          2
#define MLP_TF_EXPLAIN          3       /* KServe v1's :explain */

int mlp_tf_parse(const mlp_model_t *m, const char *body, size_t len,
    int verb, size_t max_rows, mlp_alloc_t *a, mlp_v2_request_t *req,
    int *columnar, mlp_error_t *err);
int mlp_tf_verb_check(const mlp_model_t *m, int verb, mlp_error_t *err);
char *mlp_tf_metadata(const mlp_model_t *m, const char *name,
    size_t name_len, const char *version, size_t version_len,
    mlp_alloc_t *a, size_t *len);
int mlp_tf_answer(const mlp_model_t *m, const mlp_v2_request_t *req,
    int verb, int columnar, mlp_alloc_t *a, char **resp, size_t *resp_len,
    mlp_error_t *err);

/* A text/csv body on any protocol route, and the answer in CSV. */
int mlp_csv_request(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, mlp_v2_request_t *req,
    mlp_error_t *err);
int mlp_csv_answer(const mlp_model_t *m, const mlp_v2_request_t *req,
    mlp_alloc_t *a, char **resp, size_t *resp_len, mlp_error_t *err);

/* Writing answers. */
size_t mlp_response_bound(const mlp_model_t *m, size_t rows);
size_t mlp_write_response(const mlp_model_t *m, const mlp_request_t *req,
    const double *out, const uint32_t *labels, char *buf);
size_t mlp_explain_response_bound(const mlp_model_t *m, size_t rows);
size_t mlp_write_explained(const mlp_model_t *m, const mlp_request_t *req,
    const double *out, const uint32_t *labels, const double *phi,
    char *buf);
/* "contributions":...,"base_value":... of one row: explain_bound bytes */
char *mlp_write_explanation(const mlp_model_t *m, const double *phi,
    char *p);
size_t mlp_write_error(const char *message, char *buf, size_t size);
size_t mlp_write_double(double v, char *buf);
size_t mlp_write_double_printf(double v, char *buf);
size_t mlp_json_escape(const char *s, size_t len, char *buf);

void mlp_error_set(mlp_error_t *err, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;


#endif /* _MLP_H_INCLUDED_ */
