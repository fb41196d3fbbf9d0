
/*
 * Request parsing: body bytes and the model's feature names -> a dense
 * row-major matrix of doubles, or one precise error for the client. The
 * common shapes go through the scanner of mlp_scan.c first; whatever it
 * hands back is parsed here with jansson, which also words every error.
 *
 * Shapes:
 *   {"name": value, ...}             one row, named features
 *   {"features": [v, ...]}           one row in model order
 *   {"instances": [row, ...]}        a batch, rows as arrays or objects
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp_internal.h"


#define MLP_NAME_SHOWN  64      /* bytes of a client's key put in a message */


static int mlp_parse_row(const mlp_model_t *m, json_t *row, size_t r,
    int batch, double *x, mlp_error_t *err);
static int mlp_parse_named(const mlp_model_t *m, json_t *row, size_t r,
    int batch, double *x, mlp_error_t *err);
static int mlp_parse_value(const mlp_model_t *m, json_t *v, uint32_t j,
    size_t r, int batch, double *x, mlp_error_t *err);
static const char *mlp_json_type(json_t *v);
static int mlp_shown(const char *s, size_t len);
static void *mlp_json_alloc(size_t size);
static void mlp_json_free(void *p);


/*
 * jansson's allocator is process-wide: while a request is parsed it points
 * at the request's arena, within a budget proportional to the body.
 */
static mlp_alloc_t  *mlp_json_arena;
static size_t        mlp_json_budget;
static int           mlp_json_exhausted;

#define MLP_JSON_BUDGET(len)  (64 * (len) + 65536)

/* the matrix may take this much whatever the body (sparse named rows) */
#define MLP_MATRIX_FREE       (64 * 1024 * 1024)


void
mlp_error_set(mlp_error_t *err, int status, const char *fmt, ...)
{
    va_list  args;

    err->status = status;

    va_start(args, fmt);
    vsnprintf(err->message, MLP_ERR_LEN, fmt, args);
    va_end(args);
}


static void *
mlp_json_alloc(size_t size)
{
    if (size > mlp_json_budget) {
        mlp_json_exhausted = 1;
        return NULL;
    }

    mlp_json_budget -= size;

    return mlp_json_arena->alloc(mlp_json_arena->data, size);
}


static void
mlp_json_free(void *p)
{
    /* the arena is freed as a whole with the request */
    (void) p;
}


int
mlp_parse_request(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, mlp_request_t *req, mlp_error_t *err)
{
    if (mlp_scan_request(m, body, len, max_rows, a, req) == 0) {
        return 0;
    }

    return mlp_parse_json(m, body, len, max_rows, a, req, err);
}


/* The reference path: every shape, every error, through jansson. */

int
mlp_parse_json(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, mlp_request_t *req, mlp_error_t *err)
{
    int               rc;
    size_t            r, n;
    json_t           *root, *inst, *feat;
    json_error_t      e;
    json_free_t       prev_free;
    json_malloc_t     prev_alloc;

    if (len == 0) {
        mlp_error_set(err, 400, "empty body: send a JSON object such as "
                      "{\"instances\": [[...]]}");
        return -1;
    }

    json_get_alloc_funcs(&prev_alloc, &prev_free);

    mlp_json_arena = a;
    mlp_json_budget = MLP_JSON_BUDGET(len);
    mlp_json_exhausted = 0;
    json_set_alloc_funcs(mlp_json_alloc, mlp_json_free);

    rc = -1;

    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY
                                 | JSON_DECODE_INT_AS_REAL, &e);

    if (root == NULL) {
        if (mlp_json_exhausted) {
            mlp_error_set(err, 413, "the body has too many JSON values for "
                          "its size to parse");

        } else if (e.text[0] == '\0') {
            /* jansson leaves the text empty when an allocation failed */
            mlp_error_set(err, 500, "out of memory");

        } else {
            mlp_error_set(err, 400, "malformed JSON at line %d, column %d: "
                          "%s", e.line, e.column, e.text);
        }

        goto done;
    }

    if (!json_is_object(root)) {
        mlp_error_set(err, 400, "the body must be a JSON object, not %s: "
                      "{\"instances\": [...]}, {\"features\": [...]} or "
                      "{\"feature_name\": value, ...}", mlp_json_type(root));
        goto done;
    }

    inst = json_object_get(root, "instances");
    feat = json_object_get(root, "features");
    n = json_object_size(root);

    if (json_is_array(inst)
        && (n == 1 || (n == 2 && json_object_get(root, "signature_name"))))
    {
        req->shape = MLP_SHAPE_INSTANCES;
        req->rows = json_array_size(inst);

        if (req->rows == 0) {
            mlp_error_set(err, 400, "\"instances\" is empty");
            goto done;
        }

        if (req->rows > max_rows) {
            mlp_error_set(err, 413, "batch of %zu rows is over the limit "
                          "of %zu (mlpredict_max_batch)", req->rows,
                          max_rows);
            goto done;
        }

    } else if (json_is_array(feat) && n == 1) {
        req->shape = MLP_SHAPE_FEATURES;
        req->rows = 1;

    } else if (inst != NULL && mlp_model_feature_index(m, "instances", 9) < 0)
    {
        mlp_error_set(err, 400, "\"instances\" must be the only key and an "
                      "array of rows");
        goto done;

    } else if (feat != NULL && mlp_model_feature_index(m, "features", 8) < 0)
    {
        mlp_error_set(err, 400, "\"features\" must be the only key and an "
                      "array of %u numbers in model order", m->n_features);
        goto done;

    } else {
        req->shape = MLP_SHAPE_NAMED;
        req->rows = 1;
    }

    /*
     * Dense rows need a byte a value in the body; beyond that only a
     * fixed allowance (named rows of a model that takes missing values)
     */
    if (req->rows * m->n_features > len
        && req->rows * m->n_features * sizeof(double) > MLP_MATRIX_FREE)
    {
        mlp_error_set(err, 413, "%zu rows of %u features are more than a "
                      "body of %zu bytes can hold", req->rows,
                      m->n_features, len);
        goto done;
    }

    req->x = a->alloc(a->data, req->rows * m->n_features * sizeof(double));
    if (req->x == NULL) {
        mlp_error_set(err, 500, "out of memory");
        goto done;
    }

    switch (req->shape) {

    case MLP_SHAPE_INSTANCES:
        for (r = 0; r < req->rows; r++) {
            if (mlp_parse_row(m, json_array_get(inst, r), r, 1,
                              req->x + r * m->n_features, err)
                != 0)
            {
                goto done;
            }
        }

        break;

    case MLP_SHAPE_FEATURES:
        if (mlp_parse_row(m, feat, 0, 0, req->x, err) != 0) {
            goto done;
        }

        break;

    default:
        if (mlp_parse_named(m, root, 0, 0, req->x, err) != 0) {
            goto done;
        }
    }

    rc = 0;

done:

    /* with an arena this frees nothing, but keeps jansson's books right */
    json_decref(root);
    json_set_alloc_funcs(prev_alloc, prev_free);
    mlp_json_arena = NULL;

    return rc;
}


static int
mlp_parse_row(const mlp_model_t *m, json_t *row, size_t r, int batch,
    double *x, mlp_error_t *err)
{
    size_t    n;
    uint32_t  j;

    if (json_is_object(row)) {
        if (!batch) {
            mlp_error_set(err, 400, "\"features\" must be an array of %u "
                          "numbers in model order", m->n_features);
            return -1;
        }

        return mlp_parse_named(m, row, r, batch, x, err);
    }

    if (!json_is_array(row)) {
        if (batch) {
            mlp_error_set(err, 400, "row %zu: must be an array of numbers "
                          "or an object of named features, not %s", r,
                          mlp_json_type(row));

        } else {
            mlp_error_set(err, 400, "\"features\" must be an array of "
                          "numbers, not %s", mlp_json_type(row));
        }

        return -1;
    }

    n = json_array_size(row);

    if (n != m->n_features) {
        if (batch) {
            mlp_error_set(err, 400, "row %zu: %zu values, the model takes "
                          "%u", r, n, m->n_features);

        } else {
            mlp_error_set(err, 400, "\"features\": %zu values, the model "
                          "takes %u", n, m->n_features);
        }

        return -1;
    }

    for (j = 0; j < n; j++) {
        if (mlp_parse_value(m, json_array_get(row, j), j, r, batch, x, err)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


static int
mlp_parse_named(const mlp_model_t *m, json_t *row, size_t r, int batch,
    double *x, mlp_error_t *err)
{
    long         j;
    size_t       klen;
    uint32_t     i;
    json_t      *v;
    const char  *key;
    char         where[48];

    if (batch) {
        snprintf(where, sizeof(where), "row %zu: ", r);

    } else {
        where[0] = '\0';
    }

    /* NaN marks "not given yet": a JSON number is never NaN */
    for (i = 0; i < m->n_features; i++) {
        x[i] = NAN;
    }

    json_object_keylen_foreach(row, key, klen, v) {
        j = mlp_model_feature_index(m, key, klen);

        if (j < 0) {
            mlp_error_set(err, 400, "%sunknown feature \"%.*s%s\"", where,
                          mlp_shown(key, klen), key,
                          klen > MLP_NAME_SHOWN ? "..." : "");
            return -1;
        }

        if (mlp_parse_value(m, v, (uint32_t) j, r, batch, x, err) != 0) {
            return -1;
        }
    }

    if (mlp_model_allows_missing(m)) {
        return 0;                   /* an absent feature is a missing value */
    }

    for (i = 0; i < m->n_features; i++) {
        if (isnan(x[i])) {
            mlp_error_set(err, 400, "%smissing feature \"%.*s\"", where,
                          mlp_shown(m->features[i].s, m->features[i].len),
                          m->features[i].s);
            return -1;
        }
    }

    return 0;
}


static int
mlp_parse_value(const mlp_model_t *m, json_t *v, uint32_t j, size_t r,
    int batch, double *x, mlp_error_t *err)
{
    double  d;
    char    where[48];

    if (json_is_real(v)) {
        d = json_real_value(v);

        if (isfinite(d)) {
            x[j] = d;
            return 0;
        }

    } else if (json_is_null(v) && mlp_model_allows_missing(m)) {
        x[j] = NAN;
        return 0;
    }

    if (batch) {
        snprintf(where, sizeof(where), "row %zu, ", r);

    } else {
        where[0] = '\0';
    }

    if (json_is_null(v)) {
        mlp_error_set(err, 400, "%sfeature \"%.*s\" is null: this model "
                      "has no rule for missing values", where,
                      mlp_shown(m->features[j].s, m->features[j].len),
                      m->features[j].s);

    } else if (json_is_real(v)) {
        mlp_error_set(err, 400, "%sfeature \"%.*s\" is not a finite "
                      "number", where,
                      mlp_shown(m->features[j].s, m->features[j].len),
                      m->features[j].s);

    } else {
        mlp_error_set(err, 400, "%sfeature \"%.*s\" must be a number, not "
                      "%s", where,
                      mlp_shown(m->features[j].s, m->features[j].len),
                      m->features[j].s, mlp_json_type(v));
    }

    return -1;
}


/* How many bytes of a name to show: at most MLP_NAME_SHOWN, whole UTF-8. */

static int
mlp_shown(const char *s, size_t len)
{
    size_t  n;

    if (len <= MLP_NAME_SHOWN) {
        return (int) len;
    }

    n = MLP_NAME_SHOWN;

    while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80) {
        n--;
    }

    return (int) n;
}


static const char *
mlp_json_type(json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    default:
        return "a number";
    }
}
