
/*
 * The Open Inference Protocol (KServe v2, REST) in the core: an inference
 * request's input tensors -> the rows of inputs the core predicts on, and
 * the predictions -> its output tensors, with the binary tensor data
 * extension both ways. jansson parses only through mlp_json_load, whose
 * reserve the body's length bounds.
 *
 * Inputs: one tensor [N, n_inputs] in the model's input order, or one
 * tensor [N] (or [N, 1]) per input named as the input. Outputs: "predict"
 * (labels or values), "predict_proba" (a classifier's probabilities) or
 * "decision_function" (where it answers decision values instead).
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp_internal.h"
#include "mlp_csv.h"


#define MLP_V2_BOOL     0
#define MLP_V2_UINT8    1
#define MLP_V2_UINT16   2
#define MLP_V2_UINT32   3
#define MLP_V2_UINT64   4
#define MLP_V2_INT8     5
#define MLP_V2_INT16    6
#define MLP_V2_INT32    7
#define MLP_V2_INT64    8
#define MLP_V2_FP32     9
#define MLP_V2_FP64     10
#define MLP_V2_BYTES    11

#define MLP_V2_MAX_DIMS 8
#define MLP_V2_TEXT     64      /* bytes of a BYTES number read */


typedef struct {
    const char               *name;
    uint32_t                  size;     /* bytes an element, 0: BYTES */
    double                    min;
    double                    max;
} mlp_v2_type_t;


typedef struct {
    json_t                   *t;
    json_t                   *data;
    int                       type;
    long                      input;    /* -1: the [N, n_inputs] matrix */
    size_t                    n;        /* elements */
    const unsigned char      *bin;      /* its binary data, or NULL */
    size_t                    bin_len;
    size_t                    split;    /* of them at bin (0: all) */
    const unsigned char      *bin2;     /* the rest, the body's tail */
} mlp_v2_tensor_t;


static const mlp_v2_type_t  mlp_v2_types[] = {
    { "BOOL",   1, 0, 1 },
    { "UINT8",  1, 0, 255.0 },
    { "UINT16", 2, 0, 65535.0 },
    { "UINT32", 4, 0, 4294967295.0 },
    { "UINT64", 8, 0, 18446744073709551615.0 },
    { "INT8",   1, -128.0, 127.0 },
    { "INT16",  2, -32768.0, 32767.0 },
    { "INT32",  4, -2147483648.0, 2147483647.0 },
    { "INT64",  8, -9223372036854775808.0, 9223372036854775807.0 },
    { "FP32",   4, 0, 0 },
    { "FP64",   8, 0, 0 },
    { "BYTES",  0, 0, 0 }
};


static int mlp_v2_header(const mlp_model_t *m, json_t *t, size_t i,
    size_t len, mlp_v2_tensor_t *vt, size_t *rows, mlp_error_t *err);
static int mlp_v2_fill(const mlp_model_t *m, mlp_v2_tensor_t *vt,
    size_t rows, double *x, mlp_alloc_t *a, mlp_error_t *err);
static int mlp_v2_fill_fast(const mlp_model_t *m, mlp_v2_tensor_t *vt,
    size_t rows, double *x);
static void mlp_v2_place(mlp_v2_tensor_t *vt, const char *body, size_t len0,
    const char *tail, size_t off);
static int mlp_v2_load(int type, double *x, const unsigned char *p, size_t n);
static int mlp_v2_walk(const mlp_model_t *m, mlp_v2_tensor_t *vt, json_t *v,
    size_t *e, size_t rows, double *x, mlp_error_t *err);
static int mlp_v2_set(const mlp_model_t *m, mlp_v2_tensor_t *vt, size_t e,
    size_t rows, double d, const char *s, size_t slen, double *x,
    mlp_error_t *err);
static const char *mlp_v2_name(json_t *t);
static int mlp_v2_outputs_of(const mlp_model_t *m, unsigned *all);
static const char *mlp_v2_label_type(const mlp_model_t *m);
static char *mlp_v2_cpy(char *p, const char *s);
static char *mlp_tf_class(const mlp_model_t *m, uint32_t k, char *p);
static void mlp_v2_le(unsigned char *p, uint64_t v, size_t n);


/* the outputs by MLP_V2_* bit; the last two only when asked */
#define MLP_V2_N_OUTPUTS  5

static const char  *mlp_v2_out_names[] = {
    "predict", "predict_proba", "decision_function", "contributions",
    "base_value"
};


/* The outputs a model answers, as MLP_V2_* bits; how many. */

static int
mlp_v2_outputs_of(const mlp_model_t *m, unsigned *all)
{
    switch (m->answer) {
    case MLP_ANSWER_PROBA:
        *all = MLP_V2_PREDICT | MLP_V2_PROBA;
        return 2;
    case MLP_ANSWER_DECISION:
    case MLP_ANSWER_OUTLIER:
        *all = MLP_V2_PREDICT | MLP_V2_DECISION;
        return 2;
    default:
        *all = MLP_V2_PREDICT;
        return 1;
    }
}


/* "predict"'s datatype: the labels' JSON kind, or FP64 for values. */

static const char *
mlp_v2_label_type(const mlp_model_t *m)
{
    uint32_t     k;
    const char  *s;
    int          real;

    if (m->answer == MLP_ANSWER_OUTLIER) {
        return "INT64";
    }

    if (!m->classifier) {
        return "FP64";
    }

    real = 0;

    for (k = 0; k < m->n_outputs; k++) {
        s = m->labels[k].s;

        if (s[0] == '"') {
            return "BYTES";
        }

        if (s[0] == 't' || s[0] == 'f') {
            return "BOOL";
        }

        if (memchr(s, '.', m->labels[k].len) || memchr(s, 'e',
                                                       m->labels[k].len)
            || memchr(s, 'E', m->labels[k].len))
        {
            real = 1;
        }
    }

    return real ? "FP64" : "INT64";
}


int
mlp_v2_parse(const mlp_model_t *m, const char *body, size_t len,
    size_t json_len, size_t max_rows, mlp_alloc_t *a, mlp_v2_request_t *req,
    mlp_error_t *err)
{
    return mlp_v2_parse_split(m, body, len, NULL, 0, json_len, max_rows, a,
                              req, err);
}


/*
 * The body in two pieces, as nginx holds one whose start came with the
 * headers: the binary tensors are read where they lie, not joined first
 * (megabytes); only a JSON header across the cut is joined.
 */

int
mlp_v2_parse_split(const mlp_model_t *m, const char *body, size_t len0,
    const char *tail, size_t len1, size_t json_len, size_t max_rows,
    mlp_alloc_t *a, mlp_v2_request_t *req, mlp_error_t *err)
{
    int               rc, bin;
    json_t           *root, *inputs, *t, *outs, *o, *params, *v, *id;
    char             *json;
    size_t            i, n, rows, off, k, len;
    unsigned          all, bit, explain;
    const char       *name;
    mlp_v2_tensor_t  *vt;
    unsigned char    *given;

    memset(req, 0, sizeof(mlp_v2_request_t));

    len = len0 + len1;

    if (json_len > len) {
        mlp_error_set(err, 400, "a JSON header of %zu bytes in a body of "
                      "%zu", json_len, len);
        return -1;
    }

    if (json_len > len0) {
        json = a->alloc(a->data, json_len);

        if (json == NULL) {
            mlp_error_set(err, 500, "out of memory");
            return -1;
        }

        memcpy(json, body, len0);
        memcpy(json + len0, tail, json_len - len0);
        body = json;
    }

    if (json_len == 0) {
        mlp_error_set(err, 400, "empty body: send an inference request "
                      "{\"inputs\": [{\"name\", \"shape\", \"datatype\", "
                      "\"data\"}]}");
        return -1;
    }

    root = mlp_json_load(body, json_len, a, err);
    if (root == NULL) {
        return -1;
    }

    rc = -1;

    if (!json_is_object(root)) {
        mlp_error_set(err, 400, "the inference request must be a JSON "
                      "object, not %s", mlp_json_type(root));
        goto done;
    }

    id = json_object_get(root, "id");

    if (id != NULL) {
        if (!json_is_string(id)) {
            mlp_error_set(err, 400, "\"id\" must be a string, not %s",
                          mlp_json_type(id));
            goto done;
        }

        n = json_string_length(id);
        req->id = a->alloc(a->data, 6 * n + 2);

        if (req->id == NULL) {
            mlp_error_set(err, 500, "out of memory");
            goto done;
        }

        req->id_len = mlp_json_escape(json_string_value(id), n,
                                      (char *) req->id);
    }

    /* which outputs, and which of them in binary */
    mlp_v2_outputs_of(m, &all);
    bin = 0;

    params = json_object_get(root, "parameters");

    if (params != NULL && !json_is_object(params)) {
        mlp_error_set(err, 400, "\"parameters\" must be an object");
        goto done;
    }

    v = json_object_get(params, "binary_data_output");

    if (v != NULL) {
        if (!json_is_boolean(v)) {
            mlp_error_set(err, 400, "\"binary_data_output\" must be a "
                          "boolean");
            goto done;
        }

        bin = json_is_true(v);
    }

    /* explanations: "parameters": {"explain": true}, or asked by name */
    v = json_object_get(params, "explain");
    explain = 0;

    if (v != NULL) {
        if (!json_is_boolean(v)) {
            mlp_error_set(err, 400, "\"explain\" must be true or false, "
                          "not %s", mlp_json_type(v));
            goto done;
        }

        explain = json_is_true(v) ? MLP_V2_EXPLAIN : 0;
    }

    outs = json_object_get(root, "outputs");

    if (outs == NULL) {
        req->outputs = all | explain;
        req->binary = bin ? all | explain : 0;

    } else if (!json_is_array(outs) || json_array_size(outs) == 0) {
        mlp_error_set(err, 400, "\"outputs\" must be a non-empty array of "
                      "{\"name\": ...}");
        goto done;

    } else {
        json_array_foreach(outs, i, o) {
            name = mlp_v2_name(o);

            if (name == NULL) {
                mlp_error_set(err, 400, "outputs[%zu] must be an object "
                              "with a string \"name\"", i);
                goto done;
            }

            for (k = 0; k < MLP_V2_N_OUTPUTS; k++) {
                if (strcmp(name, mlp_v2_out_names[k]) == 0) {
                    break;
                }
            }

            bit = 1u << k;

            if (k == MLP_V2_N_OUTPUTS
                || !((all | MLP_V2_EXPLAIN) & bit))
            {
                mlp_error_set(err, 400, "unknown output \"%.*s\": this "
                              "model answers \"predict\"%s (and "
                              "\"contributions\", \"base_value\" when it "
                              "explains)",
                              mlp_shown(name, strlen(name)), name,
                              (all & MLP_V2_PROBA) ? ", \"predict_proba\""
                              : (all & MLP_V2_DECISION)
                              ? ", \"decision_function\"" : "");
                goto done;
            }

            req->outputs |= bit;

            params = json_object_get(o, "parameters");
            v = json_object_get(params, "binary_data");

            if (v != NULL && !json_is_boolean(v)) {
                mlp_error_set(err, 400, "outputs[%zu]: \"binary_data\" "
                              "must be a boolean", i);
                goto done;
            }

            if (v != NULL ? json_is_true(v) : bin) {
                req->binary |= bit;
            }
        }

        req->outputs |= explain;

        if (bin) {
            req->binary |= explain;
        }
    }

    inputs = json_object_get(root, "inputs");

    if (!json_is_array(inputs) || json_array_size(inputs) == 0) {
        mlp_error_set(err, 400, "\"inputs\" must be a non-empty array of "
                      "tensors");
        goto done;
    }

    n = json_array_size(inputs);

    if (n > m->n_inputs) {
        mlp_error_set(err, 400, "%zu input tensors: the model takes one "
                      "[N, %u] tensor or one [N] tensor per input (%u)", n,
                      m->n_inputs, m->n_inputs);
        goto done;
    }

    vt = a->alloc(a->data, n * sizeof(mlp_v2_tensor_t));
    given = a->alloc(a->data, m->n_inputs);

    if (vt == NULL || given == NULL) {
        mlp_error_set(err, 500, "out of memory");
        goto done;
    }

    memset(given, 0, m->n_inputs);
    rows = 0;
    off = json_len;

    for (i = 0; i < n; i++) {
        t = json_array_get(inputs, i);

        if (mlp_v2_header(m, t, i, len, &vt[i], &rows, err) != 0) {
            goto done;
        }

        if (n == 1 && vt[0].input == -1) {
            /* the matrix */

        } else if (vt[i].input < 0) {
            mlp_error_set(err, 400, "input \"%.*s\": not an input of this "
                          "model, and not a [N, %u] tensor of all of them",
                          mlp_shown(mlp_v2_name(t), strlen(mlp_v2_name(t))),
                          mlp_v2_name(t), m->n_inputs);
            goto done;

        } else if (given[vt[i].input]) {
            mlp_error_set(err, 400, "input \"%s\" given twice",
                          mlp_v2_name(t));
            goto done;

        } else {
            given[vt[i].input] = 1;
        }

        if (vt[i].bin != NULL) {
            /* binary data follows the JSON, in the order of the inputs */
            if (vt[i].bin_len > len - off) {
                mlp_error_set(err, 400, "input \"%s\": binary_data_size "
                              "%zu is past the end of the body (%zu bytes "
                              "left)", mlp_v2_name(t), vt[i].bin_len,
                              len - off);
                goto done;
            }

            mlp_v2_place(&vt[i], body, len0, tail, off);
            off += vt[i].bin_len;
        }
    }

    if (off != len) {
        mlp_error_set(err, 400, "%zu bytes after the JSON header are not "
                      "the binary data of any input", len - off);
        goto done;
    }

    if (rows > max_rows) {
        mlp_error_set(err, 413, "batch of %zu rows is over the limit of %zu "
                      "(mlpredict_max_batch)", rows, max_rows);
        goto done;
    }

    /* each element takes at least a byte of the body: x is bounded */
    req->rows = rows;
    req->x = a->alloc(a->data, rows * m->n_inputs * sizeof(double));

    if (req->x == NULL) {
        mlp_error_set(err, 500, "out of memory");
        goto done;
    }

    if (!(n == 1 && vt[0].input == -1)) {
        for (k = 0; k < m->n_inputs; k++) {
            if (given[k]) {
                continue;
            }

            if (!(m->inputs[k].flags & MLP_INPUT_MISSING)) {
                mlp_error_set(err, 400, "missing input \"%.*s\": this model "
                              "has no rule for missing values",
                              mlp_shown(m->input_names[k].s,
                                        m->input_names[k].len),
                              m->input_names[k].s);
                goto done;
            }

            for (i = 0; i < rows; i++) {
                req->x[i * m->n_inputs + k] = NAN;
            }
        }
    }

    for (i = 0; i < n; i++) {
        if (mlp_v2_fill(m, &vt[i], rows, req->x, a, err) != 0) {
            goto done;
        }
    }

    rc = 0;

done:

    mlp_json_release(root);

    return rc;
}


static const char *
mlp_v2_name(json_t *t)
{
    json_t  *v;

    v = json_object_get(t, "name");

    return json_is_string(v) ? json_string_value(v) : NULL;
}


/*
 * One input tensor's name, datatype, shape and data checked; its elements
 * bounded by the body's length. Sets or checks the batch's rows.
 */

static int
mlp_v2_header(const mlp_model_t *m, json_t *t, size_t i, size_t len,
    mlp_v2_tensor_t *vt, size_t *rows, mlp_error_t *err)
{
    int          k;
    long         j;
    json_t      *shape, *v, *params;
    double       d;
    size_t       nd, dims[MLP_V2_MAX_DIMS], n, r;
    const char  *name, *type;

    name = mlp_v2_name(t);

    if (!json_is_object(t) || name == NULL) {
        mlp_error_set(err, 400, "inputs[%zu] must be a tensor object with a "
                      "string \"name\"", i);
        return -1;
    }

    v = json_object_get(t, "datatype");
    type = json_is_string(v) ? json_string_value(v) : NULL;

    if (type == NULL) {
        mlp_error_set(err, 400, "input \"%.*s\": \"datatype\" must be a "
                      "string", mlp_shown(name, strlen(name)), name);
        return -1;
    }

    for (k = 0; k <= MLP_V2_BYTES; k++) {
        if (strcmp(type, mlp_v2_types[k].name) == 0) {
            break;
        }
    }

    if (k > MLP_V2_BYTES) {
        mlp_error_set(err, 400, "input \"%.*s\": datatype \"%.*s\" is not "
                      "supported (BOOL, UINT8..UINT64, INT8..INT64, FP32, "
                      "FP64, BYTES)", mlp_shown(name, strlen(name)), name,
                      mlp_shown(type, strlen(type)), type);
        return -1;
    }

    vt->t = t;
    vt->type = k;

    shape = json_object_get(t, "shape");
    nd = json_array_size(shape);

    if (!json_is_array(shape) || nd == 0 || nd > MLP_V2_MAX_DIMS) {
        mlp_error_set(err, 400, "input \"%.*s\": \"shape\" must be an array "
                      "of 1 to %d sizes", mlp_shown(name, strlen(name)),
                      name, MLP_V2_MAX_DIMS);
        return -1;
    }

    n = 1;

    for (r = 0; r < nd; r++) {
        v = json_array_get(shape, r);
        d = json_is_real(v) ? json_real_value(v) : -1;

        if (d < 0 || d != floor(d) || d > (double) len) {
            mlp_error_set(err, 400, "input \"%.*s\": shape[%zu] must be a "
                          "size from 0 to what the body can hold",
                          mlp_shown(name, strlen(name)), name, r);
            return -1;
        }

        dims[r] = (size_t) d;

        /* every element takes a byte of the body at least */
        if (dims[r] != 0 && n > len / dims[r]) {
            mlp_error_set(err, 400, "input \"%.*s\": its shape has more "
                          "elements than a body of %zu bytes can hold",
                          mlp_shown(name, strlen(name)), name, len);
            return -1;
        }

        n *= dims[r];
    }

    vt->n = n;

    j = mlp_model_feature_index(m, name, strlen(name));

    if (nd == 2 && dims[1] == m->n_inputs && (j < 0 || m->n_inputs == 1)) {
        vt->input = -1;

    } else if (j >= 0 && (nd == 1 || (nd == 2 && dims[1] == 1))) {
        vt->input = j;

    } else if (j >= 0) {
        mlp_error_set(err, 400, "input \"%.*s\": shape must be [N] or "
                      "[N, 1] for one input", mlp_shown(name, strlen(name)),
                      name);
        return -1;

    } else {
        mlp_error_set(err, 400, "input \"%.*s\": shape must be [N, %u] "
                      "(the model's inputs in order), or the tensor named "
                      "as one of its inputs", mlp_shown(name, strlen(name)),
                      name, m->n_inputs);
        return -1;
    }

    if (dims[0] == 0) {
        mlp_error_set(err, 400, "input \"%.*s\": no rows",
                      mlp_shown(name, strlen(name)), name);
        return -1;
    }

    if (*rows != 0 && *rows != dims[0]) {
        mlp_error_set(err, 400, "input \"%.*s\": %zu rows, another input "
                      "has %zu", mlp_shown(name, strlen(name)), name,
                      dims[0], *rows);
        return -1;
    }

    *rows = dims[0];

    params = json_object_get(t, "parameters");
    v = json_object_get(params, "binary_data_size");
    vt->data = json_object_get(t, "data");
    vt->bin = NULL;

    if (v != NULL) {
        d = json_is_real(v) ? json_real_value(v) : -1;

        if (d < 0 || d != floor(d) || d > (double) len) {
            mlp_error_set(err, 400, "input \"%.*s\": binary_data_size must "
                          "be a size within the body",
                          mlp_shown(name, strlen(name)), name);
            return -1;
        }

        if (vt->data != NULL) {
            mlp_error_set(err, 400, "input \"%.*s\": \"data\" and "
                          "binary_data_size both given",
                          mlp_shown(name, strlen(name)), name);
            return -1;
        }

        vt->bin_len = (size_t) d;
        vt->bin = (const unsigned char *) "";

        if (mlp_v2_types[k].size != 0
            && vt->bin_len != n * mlp_v2_types[k].size)
        {
            mlp_error_set(err, 400, "input \"%.*s\": binary_data_size %zu, "
                          "its shape and %s take %zu bytes",
                          mlp_shown(name, strlen(name)), name, vt->bin_len,
                          type, n * mlp_v2_types[k].size);
            return -1;
        }

        return 0;
    }

    if (vt->data == NULL) {
        mlp_error_set(err, 400, "input \"%.*s\": no \"data\" (nor "
                      "binary_data_size)", mlp_shown(name, strlen(name)),
                      name);
        return -1;
    }

    return 0;
}


static int
mlp_v2_fill(const mlp_model_t *m, mlp_v2_tensor_t *vt, size_t rows,
    double *x, mlp_alloc_t *a, mlp_error_t *err)
{
    size_t                e, size, off;
    double                d;
    int64_t               iv;
    uint64_t              u;
    uint32_t              slen, b;
    const char           *name;
    unsigned char        *q;
    const unsigned char  *p;
    float                 f;

    name = mlp_v2_name(vt->t);

    if (vt->bin == NULL) {
        e = 0;

        if (mlp_v2_walk(m, vt, vt->data, &e, rows, x, err) != 0) {
            return -1;
        }

        if (e != vt->n) {
            mlp_error_set(err, 400, "input \"%.*s\": %zu values, its shape "
                          "holds %zu", mlp_shown(name, strlen(name)), name,
                          e, vt->n);
            return -1;
        }

        return 0;
    }

    if (mlp_v2_fill_fast(m, vt, rows, x) == 0) {
        return 0;
    }

    if (vt->split != 0) {
        /* across the body's two pieces: joined for the general loop */
        q = a->alloc(a->data, vt->bin_len);

        if (q == NULL) {
            mlp_error_set(err, 500, "out of memory");
            return -1;
        }

        memcpy(q, vt->bin, vt->split);
        memcpy(q + vt->split, vt->bin2, vt->bin_len - vt->split);
        vt->bin = q;
        vt->split = 0;
    }

    p = vt->bin;
    size = mlp_v2_types[vt->type].size;
    off = 0;

    for (e = 0; e < vt->n; e++) {

        if (vt->type == MLP_V2_BYTES) {
            /* each element: its length, 4 bytes little-endian, then it */
            if (vt->bin_len - off < 4) {
                goto short_data;
            }

            slen = (uint32_t) p[off] | (uint32_t) p[off + 1] << 8
                   | (uint32_t) p[off + 2] << 16
                   | (uint32_t) p[off + 3] << 24;
            off += 4;

            if (slen > vt->bin_len - off) {
                goto short_data;
            }

            if (mlp_v2_set(m, vt, e, rows, 0, (const char *) p + off, slen,
                           x, err)
                != 0)
            {
                return -1;
            }

            off += slen;
            continue;
        }

        u = 0;

        for (b = 0; b < size; b++) {
            u |= (uint64_t) p[off + b] << (8 * b);
        }

        off += size;

        switch (vt->type) {
        case MLP_V2_BOOL:
            if (u > 1) {
                mlp_error_set(err, 400, "input \"%.*s\": BOOL element %zu "
                              "is neither 0 nor 1",
                              mlp_shown(name, strlen(name)), name, e);
                return -1;
            }

            d = (double) u;
            break;
        case MLP_V2_FP32:
            b = (uint32_t) u;
            memcpy(&f, &b, 4);
            d = f;
            break;
        case MLP_V2_FP64:
            memcpy(&d, &u, 8);
            break;
        case MLP_V2_INT8:
        case MLP_V2_INT16:
        case MLP_V2_INT32:
        case MLP_V2_INT64:
            /* sign-extend from the element's width */
            if (size < 8 && (u >> (8 * size - 1)) & 1) {
                u |= ~(uint64_t) 0 << (8 * size);
            }

            memcpy(&iv, &u, 8);
            d = (double) iv;
            break;
        default:
            d = (double) u;
        }

        if (isinf(d)) {
            mlp_error_set(err, 400, "input \"%.*s\": element %zu is not "
                          "finite", mlp_shown(name, strlen(name)), name, e);
            return -1;
        }

        if (mlp_v2_set(m, vt, e, rows, d, NULL, 0, x, err) != 0) {
            return -1;
        }
    }

    if (off != vt->bin_len) {
        mlp_error_set(err, 400, "input \"%.*s\": binary_data_size %zu, its "
                      "%zu elements take %zu", mlp_shown(name, strlen(name)),
                      name, vt->bin_len, vt->n, off);
        return -1;
    }

    return 0;

short_data:

    mlp_error_set(err, 400, "input \"%.*s\": its BYTES data ends inside "
                  "element %zu", mlp_shown(name, strlen(name)), name, e);
    return -1;
}


/* "data" flat in row-major order or nested: its leaves, in order. */

static int
mlp_v2_walk(const mlp_model_t *m, mlp_v2_tensor_t *vt, json_t *v,
    size_t *e, size_t rows, double *x, mlp_error_t *err)
{
    size_t        i;
    double        d;
    json_t       *item;
    const char   *name;
    const char   *want;

    name = mlp_v2_name(vt->t);

    if (json_is_array(v)) {
        json_array_foreach(v, i, item) {
            if (mlp_v2_walk(m, vt, item, e, rows, x, err) != 0) {
                return -1;
            }
        }

        return 0;
    }

    if (*e >= vt->n) {
        mlp_error_set(err, 400, "input \"%.*s\": more values than its shape "
                      "holds (%zu)", mlp_shown(name, strlen(name)), name,
                      vt->n);
        return -1;
    }

    switch (vt->type) {

    case MLP_V2_BYTES:
        if (!json_is_string(v)) {
            want = "a string";
            goto wrong;
        }

        if (mlp_v2_set(m, vt, *e, rows, 0, json_string_value(v),
                       json_string_length(v), x, err)
            != 0)
        {
            return -1;
        }

        (*e)++;
        return 0;

    case MLP_V2_BOOL:
        if (!json_is_boolean(v)) {
            want = "true or false";
            goto wrong;
        }

        d = json_is_true(v) ? 1 : 0;
        break;

    case MLP_V2_FP32:
    case MLP_V2_FP64:
        if (json_is_null(v)) {
            /* a missing value, where the model takes one */
            d = NAN;
            break;
        }

        if (!json_is_real(v)) {
            want = "a number";
            goto wrong;
        }

        d = json_real_value(v);

        if (vt->type == MLP_V2_FP32) {
            /* the client's float32, as it holds it */
            if (fabs(d) > 3.4028234663852886e38) {
                want = "a number in FP32's range";
                goto wrong;
            }

            d = (float) d;
        }

        break;

    default:
        d = json_is_real(v) ? json_real_value(v) : NAN;

        if (!(d == floor(d) && d >= mlp_v2_types[vt->type].min
              && d <= mlp_v2_types[vt->type].max))
        {
            want = "an integer in the datatype's range";
            goto wrong;
        }
    }

    if (mlp_v2_set(m, vt, *e, rows, d, NULL, 0, x, err) != 0) {
        return -1;
    }

    (*e)++;
    return 0;

wrong:

    mlp_error_set(err, 400, "input \"%.*s\": element %zu of a %s tensor "
                  "must be %s, not %s", mlp_shown(name, strlen(name)), name,
                  *e, mlp_v2_types[vt->type].name, want, mlp_json_type(v));
    return -1;
}


/* a tensor's binary data at offset off of the body: in a piece, or across */

static void
mlp_v2_place(mlp_v2_tensor_t *vt, const char *body, size_t len0,
    const char *tail, size_t off)
{
    vt->split = 0;
    vt->bin2 = NULL;

    if (off >= len0 && tail != NULL) {
        vt->bin = (const unsigned char *) tail + (off - len0);

    } else {
        vt->bin = (const unsigned char *) body + off;

        if (tail != NULL && vt->bin_len > len0 - off) {
            vt->split = len0 - off;
            vt->bin2 = (const unsigned char *) tail;
        }
    }
}


static int
mlp_v2_load(int type, double *x, const unsigned char *p, size_t n)
{
    return (type == MLP_V2_FP32) ? mlp_vload_f32(x, p, n)
                                 : mlp_vload_f64(x, p, n);
}


/*
 * Binary FP32 and FP64 tensors of numeric inputs, every element finite: a
 * plain conversion loop, no per-element branch but the finiteness the
 * loop gathers. Anything else (a NaN, an infinity, a categorical input,
 * sizes that do not add up) returns 1: the general loop then reads the
 * tensor again from its start and words the error, or takes the NaNs.
 */

static int
mlp_v2_fill_fast(const mlp_model_t *m, mlp_v2_tensor_t *vt, size_t rows,
    double *x)
{
    int                   bad;
    double                d;
    size_t                e, n, size, stride, k, r;
    unsigned char         one[8];
    uint32_t              u32;
    uint64_t              u64;
    const unsigned char  *p;
    float                 f;

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    return 1;
#endif

    if (vt->type != MLP_V2_FP32 && vt->type != MLP_V2_FP64) {
        return 1;
    }

    n = vt->n;

    size = mlp_v2_types[vt->type].size;

    if (vt->bin_len % size != 0 || vt->bin_len / size != n) {
        return 1;
    }

    if (vt->input < 0) {
        /* has_categories: some input is a category, known at load */
        if (n != rows * m->n_inputs || m->has_categories) {
            return 1;
        }

        stride = 1;

    } else {
        if (n != rows || m->inputs[vt->input].kind != MLP_INPUT_NUMBER) {
            return 1;
        }

        x += vt->input;
        stride = m->n_inputs;
    }

    p = vt->bin;

    if (vt->split != 0) {
        if (stride != 1) {
            return 1;
        }

        /* the elements before the cut, the one across it, those after */
        k = vt->split / size;
        r = vt->split % size;
        bad = mlp_v2_load(vt->type, x, p, k);

        if (r != 0) {
            memcpy(one, p + k * size, r);
            memcpy(one + r, vt->bin2, size - r);
            bad |= mlp_v2_load(vt->type, x + k, one, 1);
            k++;
        }

        return bad | mlp_v2_load(vt->type, x + k, vt->bin2 + (size - r) % size,
                                 n - k);
    }

    if (stride == 1) {
        return mlp_v2_load(vt->type, x, p, n);
    }

    bad = 0;

    /* an exponent of all ones: an infinity or a NaN */
    if (vt->type == MLP_V2_FP32) {
        for (e = 0; e < n; e++) {
            memcpy(&u32, p + 4 * e, 4);
            bad |= (u32 & 0x7f800000u) == 0x7f800000u;
            memcpy(&f, &u32, 4);
            x[e * stride] = f;
        }

    } else {
        for (e = 0; e < n; e++) {
            memcpy(&u64, p + 8 * e, 8);
            bad |= (u64 & 0x7ff0000000000000ull) == 0x7ff0000000000000ull;
            memcpy(&d, &u64, 8);
            x[e * stride] = d;
        }
    }

    return bad ? 1 : 0;
}


/* Element e of a tensor into its row and input: a number, or text. */

static int
mlp_v2_set(const mlp_model_t *m, mlp_v2_tensor_t *vt, size_t e, size_t rows,
    double d, const char *s, size_t slen, double *x, mlp_error_t *err)
{
    long                code;
    char               *end;
    size_t              r;
    uint32_t            j;
    const mlp_input_t  *in;
    char                text[MLP_V2_TEXT + 1];

    if (vt->input < 0) {
        r = e / m->n_inputs;
        j = (uint32_t) (e % m->n_inputs);

    } else {
        r = e;
        j = (uint32_t) vt->input;
    }

    in = &m->inputs[j];

    if (s != NULL && in->kind == MLP_INPUT_CATEGORY) {
        code = mlp_input_code(in, s, slen);

        if (code < 0 && (in->flags & MLP_INPUT_UNKNOWN_ERROR)) {
            mlp_error_set(err, 400, "row %zu, input \"%.*s\": unknown "
                          "category \"%.*s\"", r,
                          mlp_shown(m->input_names[j].s,
                                    m->input_names[j].len),
                          m->input_names[j].s, mlp_shown(s, slen), s);
            return -1;
        }

        d = (double) code;      /* -1: unknown, the steps decide */
        goto set;
    }

    if (in->kind == MLP_INPUT_CATEGORY) {
        mlp_error_set(err, 400, "row %zu, input \"%.*s\" is categorical: "
                      "send it in a BYTES tensor", r,
                      mlp_shown(m->input_names[j].s, m->input_names[j].len),
                      m->input_names[j].s);
        return -1;
    }

    if (s != NULL) {
        /* a number as text, read whole as strtod reads it */
        if (slen == 0) {
            d = NAN;

        } else {
            if (slen > MLP_V2_TEXT) {
                goto not_number;
            }

            memcpy(text, s, slen);
            text[slen] = '\0';

            d = strtod(text, &end);

            if (end != text + slen || !isfinite(d)) {
                goto not_number;
            }
        }
    }

    if (isnan(d) && !(in->flags & MLP_INPUT_MISSING)) {
        mlp_error_set(err, 400, "row %zu, input \"%.*s\" is missing: this "
                      "model has no rule for missing values", r,
                      mlp_shown(m->input_names[j].s, m->input_names[j].len),
                      m->input_names[j].s);
        return -1;
    }

set:

    x[r * m->n_inputs + j] = d;

    return 0;

not_number:

    mlp_error_set(err, 400, "row %zu, input \"%.*s\" must be a number, not "
                  "\"%.*s\"", r,
                  mlp_shown(m->input_names[j].s, m->input_names[j].len),
                  m->input_names[j].s, mlp_shown(s, slen), s);
    return -1;
}


static char *
mlp_v2_cpy(char *p, const char *s)
{
    size_t  n;

    n = strlen(s);
    memcpy(p, s, n);

    return p + n;
}


static void
mlp_v2_le(unsigned char *p, uint64_t v, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        p[i] = (unsigned char) (v >> (8 * i));
    }
}


/*
 * The inference response: JSON of json_len bytes, then the binary data of
 * the outputs asked in binary, in their order. name and version are the
 * model's JSON strings (quoted).
 */

int
mlp_v2_answer(const mlp_model_t *m, const char *name, size_t name_len,
    const char *version, size_t version_len, const mlp_v2_request_t *req,
    mlp_alloc_t *a, char **resp, size_t *resp_len, size_t *json_len,
    mlp_error_t *err)
{
    char            *buf, *p;
    double          *out, *phi, v;
    size_t           r, size, bin_size, label;
    size_t           sizes[MLP_V2_N_OUTPUTS], width[MLP_V2_N_OUTPUTS];
    int64_t          iv;
    uint32_t         k, j, *labels, G;
    unsigned         bit;
    unsigned char   *q, *bin;
    const char      *type[MLP_V2_N_OUTPUTS];
    const mlp_str_t *l;

    phi = NULL;

    if (mlp_predict_explain(m, req->x, req->rows, a, &out, &labels,
                            (req->outputs & MLP_V2_EXPLAIN) ? &phi : NULL,
                            err)
        != 0)
    {
        return -1;
    }

    type[0] = mlp_v2_label_type(m);
    type[1] = "FP64";
    type[2] = "FP64";
    type[3] = "FP64";
    type[4] = "FP64";

    G = phi ? m->explain_groups : 0;

    width[0] = m->classifier || m->answer == MLP_ANSWER_OUTLIER
               ? 1 : m->n_outputs;
    width[1] = m->n_outputs;
    width[2] = m->out_width;
    width[3] = (size_t) G * m->n_inputs;    /* [rows, (G,) n_inputs] */
    width[4] = G;                           /* [rows (, G)] */

    label = 24;

    for (k = 0; m->classifier && k < m->n_outputs; k++) {
        if (m->labels[k].len > label) {
            label = m->labels[k].len;
        }

        if (type[0][0] == 'B' && type[0][1] == 'Y'
            && memchr(m->labels[k].s, '\\', m->labels[k].len)
            && (req->binary & MLP_V2_PREDICT))
        {
            mlp_error_set(err, 400, "this model's labels have escapes: ask "
                          "\"predict\" in JSON, not binary");
            return -1;
        }
    }

    /* the binary data's size of each output, known before the JSON */
    bin_size = 0;

    for (k = 0; k < MLP_V2_N_OUTPUTS; k++) {
        bit = 1u << k;
        sizes[k] = 0;

        if (!(req->binary & bit)) {
            continue;
        }

        if (k == 0 && type[0][1] == 'Y') {
            for (r = 0; r < req->rows; r++) {
                sizes[0] += 4 + m->labels[labels[r]].len - 2;
            }

        } else if (k == 0 && type[0][0] == 'B') {
            sizes[0] = req->rows;

        } else {
            sizes[k] = req->rows * width[k] * 8;
        }

        bin_size += sizes[k];
    }

    size = 1024 + name_len + version_len + req->id_len
           + req->rows * (label + 2) + req->rows * m->out_width * 34
           + req->rows * m->n_outputs * 34
           + req->rows * (width[3] + width[4]) * (MLP_DOUBLE_MAX_LEN + 1);

    buf = a->alloc(a->data, size + bin_size);
    if (buf == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    p = buf;
    p = mlp_v2_cpy(p, "{\"model_name\":");
    memcpy(p, name, name_len);
    p += name_len;
    p = mlp_v2_cpy(p, ",\"model_version\":");
    memcpy(p, version, version_len);
    p += version_len;

    if (req->id != NULL) {
        p = mlp_v2_cpy(p, ",\"id\":");
        memcpy(p, req->id, req->id_len);
        p += req->id_len;
    }

    p = mlp_v2_cpy(p, ",\"outputs\":[");

    for (k = 0; k < MLP_V2_N_OUTPUTS; k++) {
        bit = 1u << k;

        if (!(req->outputs & bit)) {
            continue;
        }

        if (p[-1] != '[') {
            *p++ = ',';
        }

        p += sprintf(p, "{\"name\":\"%s\",\"datatype\":\"%s\",\"shape\":"
                     "[%zu", mlp_v2_out_names[k], type[k], req->rows);

        if (k >= 3) {
            /* per class only for a multiclass model's margins */
            if (m->explain_keyed) {
                p += sprintf(p, ",%u", G);
            }

            if (k == 3) {
                p += sprintf(p, ",%u", m->n_inputs);
            }

        } else if (width[k] != 1 || k == 1) {
            p += sprintf(p, ",%zu", width[k]);
        }

        if (req->binary & bit) {
            p += sprintf(p, "],\"parameters\":{\"binary_data_size\":%zu}}",
                         sizes[k]);
            continue;
        }

        p = mlp_v2_cpy(p, "],\"data\":[");

        for (r = 0; r < req->rows; r++) {
            for (j = 0; j < width[k]; j++) {
                if (r || j) {
                    *p++ = ',';
                }

                if (k == 0 && m->answer == MLP_ANSWER_OUTLIER) {
                    p = mlp_v2_cpy(p, out[r * m->out_width] > 0 ? "1"
                                                                : "-1");

                } else if (k == 0 && m->classifier) {
                    l = &m->labels[labels[r]];
                    memcpy(p, l->s, l->len);
                    p += l->len;

                } else if (k == 3) {
                    p += mlp_write_double(phi[r * width[3] + j], p);

                } else if (k == 4) {
                    p += mlp_write_double(m->explain_base[j], p);

                } else {
                    p += mlp_write_double(out[r * m->out_width + j], p);
                }
            }
        }

        p = mlp_v2_cpy(p, "]}");
    }

    p = mlp_v2_cpy(p, "]}\n");

    *json_len = p - buf;

    /* the binary data, little-endian, after the JSON */
    bin = (unsigned char *) p;
    q = bin;

    for (k = 0; k < MLP_V2_N_OUTPUTS; k++) {
        bit = 1u << k;

        if (!(req->binary & bit)) {
            continue;
        }

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* values (not labels) as they lie in out, rows whole: one copy */
        if ((k == 1 || k == 2
             || (k == 0 && !m->classifier
                 && m->answer != MLP_ANSWER_OUTLIER))
            && width[k] == m->out_width)
        {
            memcpy(q, out, req->rows * m->out_width * sizeof(double));
            q += req->rows * m->out_width * sizeof(double);
            continue;
        }
#endif

        for (r = 0; r < req->rows; r++) {
            for (j = 0; j < width[k]; j++) {
                if (k == 0 && m->answer == MLP_ANSWER_OUTLIER) {
                    iv = out[r * m->out_width] > 0 ? 1 : -1;
                    mlp_v2_le(q, (uint64_t) iv, 8);
                    q += 8;

                } else if (k == 0 && m->classifier) {
                    l = &m->labels[labels[r]];

                    if (type[0][1] == 'Y') {
                        mlp_v2_le(q, l->len - 2, 4);
                        memcpy(q + 4, l->s + 1, l->len - 2);
                        q += 4 + l->len - 2;

                    } else if (type[0][0] == 'B') {
                        *q++ = (l->s[0] == 't');

                    } else if (type[0][0] == 'I') {
                        iv = strtoll(l->s, NULL, 10);
                        mlp_v2_le(q, (uint64_t) iv, 8);
                        q += 8;

                    } else {
                        v = strtod(l->s, NULL);
                        memcpy(&iv, &v, 8);
                        mlp_v2_le(q, (uint64_t) iv, 8);
                        q += 8;
                    }

                } else {
                    v = k == 3 ? phi[r * width[3] + j]
                        : k == 4 ? m->explain_base[j]
                        : out[r * m->out_width + j];
                    memcpy(&iv, &v, 8);
                    mlp_v2_le(q, (uint64_t) iv, 8);
                    q += 8;
                }
            }
        }
    }

    *resp = buf;
    *resp_len = (char *) q - buf;

    return 0;
}


/*
 * The model metadata response, built once at configuration: name and
 * versions are JSON text (a quoted string, an array of them).
 */

char *
mlp_v2_metadata(const mlp_model_t *m, const char *name, size_t name_len,
    const char *versions, size_t versions_len, mlp_alloc_t *a, size_t *len)
{
    char      *buf, *p;
    size_t     size;
    uint32_t   j;
    unsigned   all;

    size = 1024 + name_len + versions_len;

    for (j = 0; j < m->n_inputs; j++) {
        size += 6 * m->input_names[j].len + 64;
    }

    buf = a->alloc(a->data, size);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;
    p = mlp_v2_cpy(p, "{\"name\":");
    memcpy(p, name, name_len);
    p += name_len;
    p = mlp_v2_cpy(p, ",\"versions\":");
    memcpy(p, versions, versions_len);
    p += versions_len;
    p = mlp_v2_cpy(p, ",\"platform\":\"mlpredict\",\"inputs\":[");

    for (j = 0; j < m->n_inputs; j++) {
        p = mlp_v2_cpy(p, j ? ",{\"name\":" : "{\"name\":");
        p += mlp_json_escape(m->input_names[j].s, m->input_names[j].len, p);
        p = mlp_v2_cpy(p, m->inputs[j].kind == MLP_INPUT_CATEGORY
                          ? ",\"datatype\":\"BYTES\",\"shape\":[-1]}"
                          : ",\"datatype\":\"FP64\",\"shape\":[-1]}");
    }

    p = mlp_v2_cpy(p, "],\"outputs\":[");
    mlp_v2_outputs_of(m, &all);

    if (m->classifier || m->answer == MLP_ANSWER_OUTLIER
        || m->n_outputs == 1)
    {
        p += sprintf(p, "{\"name\":\"predict\",\"datatype\":\"%s\","
                     "\"shape\":[-1]}", mlp_v2_label_type(m));

    } else {
        p += sprintf(p, "{\"name\":\"predict\",\"datatype\":\"FP64\","
                     "\"shape\":[-1,%u]}", m->n_outputs);
    }

    if (all & MLP_V2_PROBA) {
        p += sprintf(p, ",{\"name\":\"predict_proba\",\"datatype\":\"FP64\","
                     "\"shape\":[-1,%u]}", m->n_outputs);
    }

    if (all & MLP_V2_DECISION) {
        if (m->out_width == 1) {
            p = mlp_v2_cpy(p, ",{\"name\":\"decision_function\","
                           "\"datatype\":\"FP64\",\"shape\":[-1]}");

        } else {
            p += sprintf(p, ",{\"name\":\"decision_function\",\"datatype\":"
                         "\"FP64\",\"shape\":[-1,%u]}", m->out_width);
        }
    }

    p = mlp_v2_cpy(p, "]}\n");

    *len = p - buf;

    return buf;
}


/*
 * TF Serving's REST API: {"instances": [row, ...]} (rows as arrays, named
 * objects, or values of a one-input model), {"inputs": {"name": [v, ...],
 * ...}} (columnar) or {"inputs": [row, ...]}; {"examples": [{...}, ...]}
 * for :classify and :regress. *columnar says how :predict answers.
 */

int
mlp_tf_parse(const mlp_model_t *m, const char *body, size_t len, int verb,
    size_t max_rows, mlp_alloc_t *a, mlp_v2_request_t *req, int *columnar,
    mlp_error_t *err)
{
    int          rc;
    long         j;
    json_t      *root, *rows, *v, *col, *item;
    size_t       n, r, klen, i, k;
    const char  *key, *what;

    memset(req, 0, sizeof(mlp_v2_request_t));
    *columnar = 0;

    if (len == 0) {
        mlp_error_set(err, 400, "empty body: send {\"instances\": [...]}");
        return -1;
    }

    root = mlp_json_load(body, len, a, err);
    if (root == NULL) {
        return -1;
    }

    rc = -1;
    col = NULL;
    rows = NULL;

    if (!json_is_object(root)) {
        mlp_error_set(err, 400, "the request must be a JSON object, not %s",
                      mlp_json_type(root));
        goto done;
    }

    json_object_keylen_foreach(root, key, klen, v) {
        if (verb == MLP_TF_PREDICT && klen == 9
            && memcmp(key, "instances", 9) == 0)
        {
            rows = v;

        } else if (verb == MLP_TF_PREDICT && klen == 6
                   && memcmp(key, "inputs", 6) == 0)
        {
            *columnar = 1;

            if (json_is_object(v)) {
                col = v;

            } else {
                rows = v;
            }

        } else if (verb != MLP_TF_PREDICT && klen == 8
                   && memcmp(key, "examples", 8) == 0)
        {
            rows = v;

        } else if (klen == 14 && memcmp(key, "signature_name", 14) == 0) {
            /* one signature: any name is it */

        } else {
            mlp_error_set(err, 400, "unknown key \"%.*s\": send %s",
                          mlp_shown(key, klen), key,
                          verb == MLP_TF_PREDICT
                          ? "\"instances\" or \"inputs\"" : "\"examples\"");
            goto done;
        }
    }

    what = verb == MLP_TF_PREDICT ? "\"instances\" or \"inputs\""
                                  : "\"examples\"";

    if (rows == NULL && col == NULL) {
        mlp_error_set(err, 400, "no %s", what);
        goto done;
    }

    if (col != NULL) {
        /* columnar: every named input an array of its N values */
        n = 0;

        json_object_keylen_foreach(col, key, klen, v) {
            if (!json_is_array(v) || json_array_size(v) == 0) {
                mlp_error_set(err, 400, "\"inputs\": \"%.*s\" must be a "
                              "non-empty array of values",
                              mlp_shown(key, klen), key);
                goto done;
            }

            if (n != 0 && json_array_size(v) != n) {
                mlp_error_set(err, 400, "\"inputs\": \"%.*s\" has %zu "
                              "values, another input %zu",
                              mlp_shown(key, klen), key,
                              json_array_size(v), n);
                goto done;
            }

            n = json_array_size(v);
        }

        if (n == 0) {
            mlp_error_set(err, 400, "\"inputs\" is empty");
            goto done;
        }

    } else {
        if (!json_is_array(rows) || json_array_size(rows) == 0) {
            mlp_error_set(err, 400, "%s must be a non-empty array", what);
            goto done;
        }

        n = json_array_size(rows);
    }

    if (n > max_rows) {
        mlp_error_set(err, 413, "batch of %zu rows is over the limit of %zu "
                      "(mlpredict_max_batch)", n, max_rows);
        goto done;
    }

    /* each value took a byte of the body at least */
    if (n * m->n_inputs > len && n * m->n_inputs * sizeof(double)
                                 > 64 * 1024 * 1024)
    {
        mlp_error_set(err, 413, "%zu rows of %u inputs are more than a body "
                      "of %zu bytes can hold", n, m->n_inputs, len);
        goto done;
    }

    req->rows = n;
    req->x = a->alloc(a->data, n * m->n_inputs * sizeof(double));

    if (req->x == NULL) {
        mlp_error_set(err, 500, "out of memory");
        goto done;
    }

    if (col == NULL) {
        for (r = 0; r < n; r++) {
            v = json_array_get(rows, r);

            if (verb != MLP_TF_PREDICT && !json_is_object(v)) {
                mlp_error_set(err, 400, "example %zu must be an object of "
                              "named features", r);
                goto done;
            }

            if (m->n_inputs == 1 && !json_is_array(v) && !json_is_object(v))
            {
                if (mlp_parse_value(m, v, 0, r, 1, req->x + r, err) != 0) {
                    goto done;
                }

                continue;
            }

            if (mlp_parse_row(m, v, r, 1, req->x + r * m->n_inputs, err)
                != 0)
            {
                goto done;
            }
        }

        rc = 0;
        goto done;
    }

    for (i = 0; i < m->n_inputs; i++) {
        for (r = 0; r < n; r++) {
            req->x[r * m->n_inputs + i] = NAN;
        }
    }

    json_object_keylen_foreach(col, key, klen, v) {
        j = mlp_model_feature_index(m, key, klen);

        if (j < 0) {
            mlp_error_set(err, 400, "\"inputs\": unknown input \"%.*s\"",
                          mlp_shown(key, klen), key);
            goto done;
        }

        for (r = 0; r < n; r++) {
            item = json_array_get(v, r);

            /* [v] as a [N, 1] column's row */
            if (json_is_array(item) && json_array_size(item) == 1) {
                item = json_array_get(item, 0);
            }

            if (mlp_parse_value(m, item, (uint32_t) j, r, 1,
                                req->x + r * m->n_inputs, err)
                != 0)
            {
                goto done;
            }
        }
    }

    for (k = 0; k < m->n_inputs; k++) {
        if (isnan(req->x[k]) && json_object_getn(col, m->input_names[k].s,
                                                 m->input_names[k].len)
                                == NULL
            && !(m->inputs[k].flags & MLP_INPUT_MISSING))
        {
            mlp_error_set(err, 400, "\"inputs\": missing input \"%.*s\"",
                          mlp_shown(m->input_names[k].s,
                                    m->input_names[k].len),
                          m->input_names[k].s);
            goto done;
        }
    }

    rc = 0;

done:

    mlp_json_release(root);

    return rc;
}


/* A class label as a JSON string: TF Serving's classes are strings. */

static char *
mlp_tf_class(const mlp_model_t *m, uint32_t k, char *p)
{
    const mlp_str_t  *l;

    l = &m->labels[k];

    if (l->s[0] != '"') {
        *p++ = '"';
    }

    memcpy(p, l->s, l->len);
    p += l->len;

    if (l->s[0] != '"') {
        *p++ = '"';
    }

    return p;
}


/* Whether the model answers :classify or :regress (always :predict). */

int
mlp_tf_verb_check(const mlp_model_t *m, int verb, mlp_error_t *err)
{
    if (verb == MLP_TF_REGRESS && (m->classifier || m->n_outputs != 1
                                   || m->answer != MLP_ANSWER_VALUE))
    {
        mlp_error_set(err, 400, ":regress needs a regressor of one target; "
                      "use :predict");
        return -1;
    }

    if (verb == MLP_TF_CLASSIFY && (!m->classifier
                                    || mlp_output_value(m, NULL, 0, NULL)
                                       != 0))
    {
        mlp_error_set(err, 400, ":classify needs a classifier with a score "
                      "a class; use :predict");
        return -1;
    }

    return 0;
}


int
mlp_tf_answer(const mlp_model_t *m, const mlp_v2_request_t *req, int verb,
    int columnar, mlp_alloc_t *a, char **resp, size_t *resp_len,
    mlp_error_t *err)
{
    char      *buf, *p;
    double    *out, *phi, v;
    size_t     r, size, label, stride;
    uint32_t   k, *labels, w;
    unsigned   all;
    int        kk;

    if (mlp_tf_verb_check(m, verb, err) != 0) {
        return -1;
    }

    phi = NULL;

    if (mlp_predict_explain(m, req->x, req->rows, a, &out, &labels,
                            verb == MLP_TF_EXPLAIN ? &phi : NULL, err)
        != 0)
    {
        return -1;
    }

    label = 26;

    for (k = 0; m->classifier && k < m->n_outputs; k++) {
        if (m->labels[k].len + 2 > label) {
            label = m->labels[k].len + 2;
        }
    }

    size = 256 + req->rows * (m->out_width + m->n_outputs + 1)
                 * (label + 48);

    if (phi != NULL) {
        size += sizeof(",\"explanations\":[]") + req->rows
                * (m->explain_bound + 3);
    }

    buf = a->alloc(a->data, size);
    if (buf == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    p = buf;
    w = m->out_width;

    if (verb == MLP_TF_REGRESS) {
        p = mlp_v2_cpy(p, "{\"result\":[");

        for (r = 0; r < req->rows; r++) {
            if (r) {
                *p++ = ',';
            }

            p += mlp_write_double(out[r * w], p);
        }

        goto end;
    }

    if (verb == MLP_TF_CLASSIFY) {
        p = mlp_v2_cpy(p, "{\"result\":[");

        for (r = 0; r < req->rows; r++) {
            *p++ = r ? ',' : '[';

            if (r) {
                *p++ = '[';
            }

            for (k = 0; k < m->n_outputs; k++) {
                if (k) {
                    *p++ = ',';
                }

                *p++ = '[';
                p = mlp_tf_class(m, k, p);
                *p++ = ',';
                mlp_output_value(m, out + r * w, k, &v);
                p += mlp_write_double(v, p);
                *p++ = ']';
            }

            *p++ = ']';
        }

        goto end;
    }

    mlp_v2_outputs_of(m, &all);

    if (all == MLP_V2_PREDICT) {
        /* one output: the values themselves */
        p = mlp_v2_cpy(p, columnar ? "{\"outputs\":[" : "{\"predictions\":[");

        for (r = 0; r < req->rows; r++) {
            if (r) {
                *p++ = ',';
            }

            if (m->n_outputs == 1) {
                p += mlp_write_double(out[r * w], p);
                continue;
            }

            for (k = 0; k < m->n_outputs; k++) {
                *p++ = k ? ',' : '[';
                p += mlp_write_double(out[r * w + k], p);
            }

            *p++ = ']';
        }

        goto end;
    }

    /* several outputs: an object a row, or a list an output (columnar) */
    p = mlp_v2_cpy(p, columnar ? "{\"outputs\":{" : "{\"predictions\":[");

    for (kk = 0; kk < (columnar ? 2 : 1); kk++) {
        if (columnar) {
            p = mlp_v2_cpy(p, kk == 0 ? "\"predict\":[" : (all & MLP_V2_PROBA)
                           ? ",\"predict_proba\":["
                           : ",\"decision_function\":[");
        }

        for (r = 0; r < req->rows; r++) {
            if (r) {
                *p++ = ',';
            }

            if (!columnar || kk == 0) {
                p = mlp_v2_cpy(p, columnar ? "" : "{\"predict\":");

                if (m->answer == MLP_ANSWER_OUTLIER) {
                    p = mlp_v2_cpy(p, out[r * w] > 0 ? "1" : "-1");

                } else {
                    memcpy(p, m->labels[labels[r]].s,
                           m->labels[labels[r]].len);
                    p += m->labels[labels[r]].len;
                }
            }

            if (columnar && kk == 0) {
                continue;
            }

            if (!columnar) {
                p = mlp_v2_cpy(p, (all & MLP_V2_PROBA)
                               ? ",\"predict_proba\":"
                               : ",\"decision_function\":");
            }

            if (w == 1 && !(all & MLP_V2_PROBA)) {
                p += mlp_write_double(out[r * w], p);

            } else {
                for (k = 0; k < w; k++) {
                    *p++ = k ? ',' : '[';
                    p += mlp_write_double(out[r * w + k], p);
                }

                *p++ = ']';
            }

            if (!columnar) {
                *p++ = '}';
            }
        }

        if (columnar) {
            *p++ = ']';
        }
    }

    if (columnar) {
        *p++ = '}';
        goto explained;
    }

end:

    *p++ = ']';

explained:

    /* KServe v1's :explain: {"predictions": [...], "explanations": [...]} */
    if (phi != NULL) {
        p = mlp_v2_cpy(p, ",\"explanations\":[");
        stride = (size_t) m->explain_groups * m->n_inputs;

        for (r = 0; r < req->rows; r++) {
            p = mlp_v2_cpy(p, r ? ",{" : "{");
            p = mlp_write_explanation(m, phi + r * stride, p);
            *p++ = '}';
        }

        *p++ = ']';
    }

    p = mlp_v2_cpy(p, "}\n");

    *resp = buf;
    *resp_len = p - buf;

    return 0;
}


/*
 * TF Serving's GET .../metadata, built once at configuration: the one
 * signature, serving_default, its inputs and outputs as TensorInfo.
 */

char *
mlp_tf_metadata(const mlp_model_t *m, const char *name, size_t name_len,
    const char *version, size_t version_len, mlp_alloc_t *a, size_t *len)
{
    char      *buf, *p;
    size_t     size;
    uint32_t   j, k;
    unsigned   all;

    size = 1024 + 2 * name_len + version_len;

    for (j = 0; j < m->n_inputs; j++) {
        size += 12 * m->input_names[j].len + 160;
    }

    buf = a->alloc(a->data, size);
    if (buf == NULL) {
        return NULL;
    }

    p = buf;
    p = mlp_v2_cpy(p, "{\"model_spec\":{\"name\":");
    memcpy(p, name, name_len);
    p += name_len;
    p = mlp_v2_cpy(p, ",\"signature_name\":\"\",\"version\":");
    memcpy(p, version, version_len);
    p += version_len;
    p = mlp_v2_cpy(p, "},\"metadata\":{\"signature_def\":{\"signature_def\":"
                   "{\"serving_default\":{\"inputs\":{");

    for (j = 0; j < m->n_inputs; j++) {
        if (j) {
            *p++ = ',';
        }

        p += mlp_json_escape(m->input_names[j].s, m->input_names[j].len, p);
        p = mlp_v2_cpy(p, m->inputs[j].kind == MLP_INPUT_CATEGORY
                          ? ":{\"dtype\":\"DT_STRING\"" : ":{\"dtype\":"
                          "\"DT_DOUBLE\"");
        p = mlp_v2_cpy(p, ",\"tensor_shape\":{\"dim\":[{\"size\":\"-1\","
                       "\"name\":\"\"}],\"unknown_rank\":false},\"name\":");
        p += mlp_json_escape(m->input_names[j].s, m->input_names[j].len, p);
        *p++ = '}';
    }

    p = mlp_v2_cpy(p, "},\"outputs\":{");
    mlp_v2_outputs_of(m, &all);

    for (k = 0; k < 3; k++) {
        if (!(all & (1u << k))) {
            continue;
        }

        p += sprintf(p, "%s\"%s\":{\"dtype\":\"%s\",\"tensor_shape\":{\"dim\":"
                     "[{\"size\":\"-1\",\"name\":\"\"}", k ? "," : "",
                     mlp_v2_out_names[k],
                     k == 0 && mlp_v2_label_type(m)[0] == 'B'
                     ? (mlp_v2_label_type(m)[1] == 'Y' ? "DT_STRING"
                                                       : "DT_BOOL")
                     : k == 0 && mlp_v2_label_type(m)[0] == 'I'
                     ? "DT_INT64" : "DT_DOUBLE");

        j = k == 0 ? (m->classifier || m->answer == MLP_ANSWER_OUTLIER
                      ? 1 : m->n_outputs)
                   : k == 1 ? m->n_outputs : m->out_width;

        if (j != 1 || k == 1) {
            p += sprintf(p, ",{\"size\":\"%u\",\"name\":\"\"}", j);
        }

        p += sprintf(p, "],\"unknown_rank\":false},\"name\":\"%s\"}",
                     mlp_v2_out_names[k]);
    }

    p = mlp_v2_cpy(p, "},\"method_name\":\"tensorflow/serving/predict\"}}}}}"
                   "\n");

    *len = p - buf;

    return buf;
}


/*
 * A CSV body (text/csv) on any protocol route: one row a record, read as
 * the command-line tool reads its files (io/mlp_csv.c), an optional header
 * naming the inputs (any order; without it, the model's input order);
 * empty, NA, NaN or null are missing values. The reader's buffers are
 * bounded by the body's length.
 */

int
mlp_csv_request(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, mlp_v2_request_t *req,
    mlp_error_t *err)
{
    int                 rc, header;
    long                j, code;
    double              d;
    size_t              rows, r, f, width;
    uint32_t           *col, k;
    mlp_csv_t          *c;
    mlp_csv_field_t    *fl;
    const mlp_input_t  *in;
    unsigned char      *given;
    unsigned            all;

    memset(req, 0, sizeof(mlp_v2_request_t));
    mlp_v2_outputs_of(m, &all);
    req->outputs = all;

    col = a->alloc(a->data, m->n_inputs * sizeof(uint32_t));
    given = a->alloc(a->data, m->n_inputs);

    if (col == NULL || given == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    /* the first pass counts the rows and reads the header */
    c = mlp_csv_open_mem(body, len, len + 1);
    if (c == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    rc = -1;
    rows = 0;
    header = 0;

    if (mlp_csv_read(c) != 1) {
        if (c->err[0] == '\0') {
            mlp_error_set(err, 400, "empty CSV body: send a row a line");

        } else {
            goto csv_error;
        }

        goto done;
    }

    header = 1;

    for (f = 0; f < c->n_fields; f++) {
        if (mlp_model_feature_index(m, c->fields[f].s, c->fields[f].len)
            < 0)
        {
            header = 0;
            break;
        }
    }

    memset(given, 0, m->n_inputs);

    if (header) {
        if (c->n_fields > m->n_inputs) {
            mlp_error_set(err, 400, "CSV header: %zu columns, the model "
                          "takes %u inputs", c->n_fields, m->n_inputs);
            goto done;
        }

        for (f = 0; f < c->n_fields; f++) {
            j = mlp_model_feature_index(m, c->fields[f].s, c->fields[f].len);

            if (given[j]) {
                mlp_error_set(err, 400, "CSV header: column \"%.*s\" "
                              "twice", mlp_shown(c->fields[f].s,
                                                 c->fields[f].len),
                              c->fields[f].s);
                goto done;
            }

            given[j] = 1;
            col[f] = (uint32_t) j;
        }

        for (k = 0; k < m->n_inputs; k++) {
            if (!given[k] && !(m->inputs[k].flags & MLP_INPUT_MISSING)) {
                mlp_error_set(err, 400, "CSV header: no column \"%.*s\": "
                              "this model has no rule for missing values",
                              mlp_shown(m->input_names[k].s,
                                        m->input_names[k].len),
                              m->input_names[k].s);
                goto done;
            }
        }

    } else {
        rows = 1;

        for (k = 0; k < m->n_inputs; k++) {
            col[k] = k;
            given[k] = 1;
        }
    }

    width = header ? c->n_fields : m->n_inputs;

    while ((rc = mlp_csv_read(c)) == 1) {
        rows++;
    }

    if (rc < 0) {
        goto csv_error;
    }

    rc = -1;

    if (rows == 0) {
        mlp_error_set(err, 400, "CSV body: a header and no rows");
        goto done;
    }

    if (rows > max_rows) {
        mlp_error_set(err, 413, "batch of %zu rows is over the limit of %zu "
                      "(mlpredict_max_batch)", rows, max_rows);
        goto done;
    }

    /* every row took a line break at least: within 64 MiB or the body */
    if (rows * m->n_inputs > len
        && rows * m->n_inputs * sizeof(double) > 64 * 1024 * 1024)
    {
        mlp_error_set(err, 413, "%zu rows of %u inputs are more than a body "
                      "of %zu bytes can hold", rows, m->n_inputs, len);
        goto done;
    }

    req->rows = rows;
    req->x = a->alloc(a->data, rows * m->n_inputs * sizeof(double));

    if (req->x == NULL) {
        mlp_error_set(err, 500, "out of memory");
        goto done;
    }

    for (r = 0; r < rows * m->n_inputs; r++) {
        req->x[r] = NAN;
    }

    /* the second pass reads the values */
    mlp_csv_close(c);
    c = mlp_csv_open_mem(body, len, len + 1);

    if (c == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    if (header && mlp_csv_read(c) != 1) {
        goto csv_error;
    }

    for (r = 0; r < rows; r++) {
        if (mlp_csv_read(c) != 1) {
            goto csv_error;
        }

        if (c->n_fields != width) {
            mlp_error_set(err, 400, "CSV line %zu: %zu fields, %s %zu",
                          c->rec_line, c->n_fields,
                          header ? "the header has" : "the model takes",
                          width);
            goto done;
        }

        for (f = 0; f < c->n_fields; f++) {
            fl = &c->fields[f];
            k = col[f];
            in = &m->inputs[k];

            if (mlp_csv_missing(fl->s, fl->len)
                && !(in->kind == MLP_INPUT_CATEGORY && fl->len != 0
                     && mlp_input_code(in, fl->s, fl->len) >= 0))
            {
                if (!(in->flags & MLP_INPUT_MISSING)) {
                    mlp_error_set(err, 400, "CSV line %zu: \"%.*s\" is "
                                  "missing: this model has no rule for "
                                  "missing values", c->rec_line,
                                  mlp_shown(m->input_names[k].s,
                                            m->input_names[k].len),
                                  m->input_names[k].s);
                    goto done;
                }

                continue;
            }

            if (in->kind == MLP_INPUT_CATEGORY) {
                code = mlp_input_code(in, fl->s, fl->len);

                if (code < 0 && (in->flags & MLP_INPUT_UNKNOWN_ERROR)) {
                    mlp_error_set(err, 400, "CSV line %zu: \"%.*s\": "
                                  "unknown category \"%.*s\"", c->rec_line,
                                  mlp_shown(m->input_names[k].s,
                                            m->input_names[k].len),
                                  m->input_names[k].s,
                                  mlp_shown(fl->s, fl->len), fl->s);
                    goto done;
                }

                req->x[r * m->n_inputs + k] = (double) code;
                continue;
            }

            if (mlp_csv_number(fl->s, fl->len, &d) != 0 || !isfinite(d)) {
                mlp_error_set(err, 400, "CSV line %zu: \"%.*s\" must be a "
                              "finite number, not \"%.*s\"", c->rec_line,
                              mlp_shown(m->input_names[k].s,
                                        m->input_names[k].len),
                              m->input_names[k].s,
                              mlp_shown(fl->s, fl->len), fl->s);
                goto done;
            }

            req->x[r * m->n_inputs + k] = d;
        }
    }

    rc = 0;
    goto done;

csv_error:

    mlp_error_set(err, 400, "CSV line %zu, column %zu: %s", c->err_line,
                  c->err_col, c->err);

done:

    mlp_csv_close(c);

    return rc;
}


/*
 * The answer in CSV (Accept: text/csv): a row a line, the label or values,
 * then a classifier's probabilities (or decision values).
 */

int
mlp_csv_answer(const mlp_model_t *m, const mlp_v2_request_t *req,
    mlp_alloc_t *a, char **resp, size_t *resp_len, mlp_error_t *err)
{
    char       *buf, *p;
    double     *out;
    size_t      r, size, label;
    uint32_t    k, *labels;
    const char *s;

    if (mlp_predict_inputs(m, req->x, req->rows, a, &out, &labels, err)
        != 0)
    {
        return -1;
    }

    label = 4;

    for (k = 0; m->classifier && k < m->n_outputs; k++) {
        if (m->labels[k].len > label) {
            label = m->labels[k].len;
        }
    }

    size = 16 + req->rows * (2 * label + 8 + m->out_width * 34);

    buf = a->alloc(a->data, size);
    if (buf == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    p = buf;

    for (r = 0; r < req->rows; r++) {
        if (m->answer == MLP_ANSWER_OUTLIER) {
            p = mlp_v2_cpy(p, out[r * m->out_width] > 0 ? "1," : "-1,");

        } else if (m->classifier) {
            s = m->labels[labels[r]].s;

            if (s[0] == '"' && memchr(s, '\\', m->labels[labels[r]].len)
                == NULL)
            {
                p += mlp_csv_quote(s + 1, m->labels[labels[r]].len - 2, p);

            } else {
                /* a number, or an escaped label: its JSON text, quoted */
                p += mlp_csv_quote(s, m->labels[labels[r]].len, p);
            }

            *p++ = ',';
        }

        for (k = 0; k < m->out_width; k++) {
            p += mlp_write_double(out[r * m->out_width + k], p);
            *p++ = ',';
        }

        p[-1] = '\n';
    }

    *resp = buf;
    *resp_len = p - buf;

    return 0;
}
