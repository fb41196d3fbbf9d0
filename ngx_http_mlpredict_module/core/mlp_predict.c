
/*
 * The request path without HTTP: parse, predict, write. The nginx module,
 * the command-line tool and the tests all come through here.
 */

#include <math.h>

#include <cblas.h>
#include <jansson.h>

#include "mlp_internal.h"


int
mlp_init(char *err, size_t errlen)
{
    double  a[4] = { 1, 2, 3, 4 }, c[4];

    /*
     * An nginx worker is one thread serving many connections: a BLAS
     * thread pool would only compete with the other workers for cores.
     */
    openblas_set_num_threads(1);

    /*
     * OpenBLAS maps its work buffer on the first gemm and keeps it: map it
     * here, at start-up, so that no request ever waits on (or fails in) an
     * allocation inside OpenBLAS, which does not survive one.
     */
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, 2, 2, 2, 1.0, a, 2,
                a, 2, 0.0, c, 2);

    /*
     * jansson seeds its hash function from /dev/urandom on first use: do it
     * now, in the master, not in a worker's first request.
     */
    json_object_seed(0);

    return mlp_json_selfcheck(err, errlen);
}


int
mlp_predict(const mlp_model_t *m, double *x, size_t rows, double *out,
    uint32_t *labels, mlp_error_t *err)
{
    int     rc;
    size_t  i, n;

    switch (m->kind) {
    case MLP_KIND_TREES:
        rc = mlp_trees_predict(m, x, rows, out, labels);
        break;
    case MLP_KIND_SVM:
        rc = mlp_svm_predict(m, x, rows, out, labels);
        break;
    case MLP_KIND_NETWORK:
        rc = mlp_nn_predict(m, x, rows, out, labels);
        break;
    default:
        rc = mlp_linear_predict(m, x, rows, out, labels);
    }

    /* a last guard: an answer never carries NaN or infinity */
    n = rows * m->out_width;

    /* TransformedTargetRegressor: its inverse function, on each output */
    for (i = 0; rc == 0 && m->target_func != MLP_FUNC_NONE && i < n; i++) {
        out[i] = mlp_func_apply(m->target_func, out[i]);
    }

    for (i = 0; rc == 0 && i < n; i++) {
        if (!isfinite(out[i])) {
            rc = -1;
        }
    }

    if (rc != 0) {
        mlp_error_set(err, 400, "feature values too large for this model: "
                      "out of its number range, or the prediction would not "
                      "be a finite number");
    }

    return rc;
}


/*
 * Rows of inputs (rows * n_inputs, as the parsers make them) through the
 * steps: *xp the estimator's rows (in itself without steps), from a.
 */

static int
mlp_features(const mlp_model_t *m, double *in, size_t rows, mlp_alloc_t *a,
    double **xp, mlp_error_t *err)
{
    double  *x, *work;

    *xp = in;

    if (!m->schema) {
        return 0;
    }

    /*
     * The steps widen rows: the features they make, and the work each row
     * costs (its work row), bounded like the matrix of the inputs
     */
    if (rows * (m->n_features > m->n_columns ? m->n_features : m->n_columns)
        > MLP_STEPS_MATRIX / sizeof(double))
    {
        mlp_error_set(err, 413, "%zu rows make %zu values after "
                      "preprocessing, over the %d MiB a request may take: "
                      "send fewer rows", rows,
                      rows * (m->n_features > m->n_columns
                              ? m->n_features : m->n_columns),
                      MLP_STEPS_MATRIX / (1024 * 1024));
        return -1;
    }

    x = a->alloc(a->data, rows * m->n_features * sizeof(double));
    work = a->alloc(a->data, m->n_columns * sizeof(double));

    if (x == NULL || work == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    if (mlp_steps_apply(m, in, rows, 0, work, x, err) != 0) {
        return -1;
    }

    *xp = x;

    return 0;
}


/*
 * The contributions of rows of features (as mlp_predict takes them, before
 * it changes them): *phip rows * groups * n_inputs values, from a. The
 * callers have checked, before the steps' work, that the model explains.
 */

static int
mlp_explain_rows(const mlp_model_t *m, const double *x, size_t rows,
    mlp_alloc_t *a, double **phip, mlp_error_t *err)
{
    void    *scratch;
    double  *phi;

    /* the contributions: bounded like the matrix after the steps */
    if (rows * m->explain_groups * m->n_inputs
        > MLP_STEPS_MATRIX / sizeof(double))
    {
        mlp_error_set(err, 413, "%zu rows make %zu contributions, over "
                      "the %d MiB a request may take: send fewer rows",
                      rows, rows * m->explain_groups * m->n_inputs,
                      MLP_STEPS_MATRIX / (1024 * 1024));
        return -1;
    }

    /*
     * and the answer they make: names and numbers of every input, per
     * class, a row (long input names make it many times the matrix)
     */
    if (rows > MLP_EXPLAIN_ANSWER / m->explain_bound) {
        mlp_error_set(err, 413, "%zu rows make explanations of %zu bytes, "
                      "over the %d MiB an answer may take: send fewer rows",
                      rows, rows * m->explain_bound,
                      MLP_EXPLAIN_ANSWER / (1024 * 1024));
        return -1;
    }

    phi = a->alloc(a->data, rows * m->explain_groups * m->n_inputs
                            * sizeof(double) + 1);
    scratch = a->alloc(a->data, m->explain_scratch + 1);

    if (phi == NULL || scratch == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    if (mlp_explain(m, x, rows, phi, scratch, err) != 0) {
        return -1;
    }

    *phip = phi;

    return 0;
}


/*
 * Rows of inputs through the steps and the estimator: *out rows *
 * out_width values, *labels a class a row, both from a; with phip, the
 * contributions too.
 */

int
mlp_predict_explain(const mlp_model_t *m, double *in, size_t rows,
    mlp_alloc_t *a, double **outp, uint32_t **labelsp, double **phip,
    mlp_error_t *err)
{
    double    *out, *x;
    uint32_t  *labels;

    if (phip != NULL && mlp_explain_check(m, err) != 0) {
        return -1;
    }

    if (mlp_features(m, in, rows, a, &x, err) != 0) {
        return -1;
    }

    if (phip != NULL && mlp_explain_rows(m, x, rows, a, phip, err) != 0) {
        return -1;
    }

    out = a->alloc(a->data, rows * m->out_width * sizeof(double));
    labels = a->alloc(a->data, rows * sizeof(uint32_t));

    if (out == NULL || labels == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    if (mlp_predict(m, x, rows, out, labels, err) != 0) {
        return -1;
    }

    *outp = out;
    *labelsp = labels;

    return 0;
}


int
mlp_predict_inputs(const mlp_model_t *m, double *in, size_t rows,
    mlp_alloc_t *a, double **outp, uint32_t **labelsp, mlp_error_t *err)
{
    return mlp_predict_explain(m, in, rows, a, outp, labelsp, NULL, err);
}


int
mlp_handle_request(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, char **resp, size_t *resp_len,
    mlp_error_t *err)
{
    return mlp_handle_request_flags(m, body, len, max_rows, MLP_ALLOW_EXPLAIN,
                                    a, resp, resp_len, NULL, err);
}


int
mlp_handle_request_outcome(const mlp_model_t *m, const char *body,
    size_t len, size_t max_rows, mlp_alloc_t *a, char **resp,
    size_t *resp_len, mlp_outcome_t *oc, mlp_error_t *err)
{
    return mlp_handle_request_flags(m, body, len, max_rows, MLP_ALLOW_EXPLAIN,
                                    a, resp, resp_len, oc, err);
}


int
mlp_handle_request_flags(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, unsigned flags, mlp_alloc_t *a, char **resp,
    size_t *resp_len, mlp_outcome_t *oc, mlp_error_t *err)
{
    char           *buf;
    double         *out, *x, *phi;
    uint32_t       *labels;
    mlp_request_t   req;

    if (mlp_parse_request(m, body, len, max_rows, a, &req, err) != 0) {
        return -1;
    }

    if (oc != NULL) {
        oc->rows = req.rows;
    }

    if (flags & MLP_FORCE_EXPLAIN) {
        req.explain = 1;
    }

    if (req.explain) {
        if (!(flags & MLP_ALLOW_EXPLAIN)) {
            mlp_error_set(err, 403, "explanations are off here "
                          "(mlpredict_explain off)");
            return -1;
        }

        if (mlp_explain_check(m, err) != 0) {
            return -1;
        }
    }

    if (mlp_features(m, req.x, req.rows, a, &x, err) != 0) {
        return -1;
    }

    phi = NULL;

    if (req.explain && mlp_explain_rows(m, x, req.rows, a, &phi, err) != 0) {
        return -1;
    }

    out = a->alloc(a->data, req.rows * m->out_width * sizeof(double));
    labels = a->alloc(a->data, req.rows * sizeof(uint32_t));
    buf = a->alloc(a->data, req.explain ? mlp_explain_response_bound(m,
                                                                 req.rows)
                                        : mlp_response_bound(m, req.rows));

    if (out == NULL || labels == NULL || buf == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    if (mlp_predict(m, x, req.rows, out, labels, err) != 0) {
        return -1;
    }

    if (oc != NULL && req.rows > 0) {
        oc->predicted = 1;
        oc->first_label = m->classifier ? labels[0] : 0;
        oc->first_value = out[0];
    }

    *resp = buf;
    *resp_len = req.explain
                ? mlp_write_explained(m, &req, out, labels, phi, buf)
                : mlp_write_response(m, &req, out, labels, buf);

    return 0;
}
