
/*
 * One row given as text, a value per input: what an nginx variable holds
 * (an argument, a header, a cookie). Numbers are read with strtod's
 * semantics on the whole string, categories are looked up as JSON strings
 * are, and an empty or absent value is a missing value where the input
 * takes one. Then the same steps and kernels as a JSON request.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp_internal.h"


/* how much of a client's value a message shows */
#define MLP_VALUE_SHOWN         32

/* numbers this long are copied to the caller's arena, not the stack */
#define MLP_NUMBER_STACK        64


static int mlp_text_number(const char *s, size_t len, mlp_alloc_t *a,
    double *out);

static int mlp_text_shown(const char *s, size_t len, char *buf);


/* exact powers of ten: a double holds 10^0 .. 10^22 exactly */
static const double  mlp_pow10[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
    1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};


const char *
mlp_model_input_name(const mlp_model_t *m, uint32_t i, size_t *len)
{
    if (i >= m->n_inputs) {
        return NULL;
    }

    *len = m->input_names[i].len;

    return m->input_names[i].s;
}


int
mlp_model_input_is_category(const mlp_model_t *m, uint32_t i)
{
    return i < m->n_inputs && m->inputs[i].kind == MLP_INPUT_CATEGORY;
}


int
mlp_model_input_takes_missing(const mlp_model_t *m, uint32_t i)
{
    return i < m->n_inputs && (m->inputs[i].flags & MLP_INPUT_MISSING);
}


/*
 * A class label as plain text: the JSON string decoded ("yes", not
 * "\"yes\""), a number or boolean as written. For configuration time, not
 * requests: it parses with jansson.
 */

int
mlp_model_class_text(const mlp_model_t *m, uint32_t k, char *buf,
    size_t size, size_t *len)
{
    json_t        *v;
    json_error_t   e;

    if (!m->classifier || k >= m->n_outputs) {
        return -1;
    }

    /* decoding never lengthens a JSON string */
    if (buf == NULL) {
        *len = m->labels[k].len;
        return 0;
    }

    if (m->labels[k].s[0] != '"') {
        if (m->labels[k].len > size) {
            return -1;
        }

        memcpy(buf, m->labels[k].s, m->labels[k].len);
        *len = m->labels[k].len;

        return 0;
    }

    v = json_loadb(m->labels[k].s, m->labels[k].len, JSON_DECODE_ANY, &e);

    if (v == NULL || !json_is_string(v) || json_string_length(v) > size) {
        json_decref(v);
        return -1;
    }

    *len = json_string_length(v);
    memcpy(buf, json_string_value(v), *len);

    json_decref(v);

    return 0;
}


int
mlp_predict_values(const mlp_model_t *m, const mlp_text_t *row,
    mlp_alloc_t *a, double **out, uint32_t *label, mlp_error_t *err)
{
    int                 n, rc;
    long                code;
    double             *x, *feat, *work;
    uint32_t            j;
    const char         *name;
    const mlp_text_t   *v;
    const mlp_input_t  *in;
    char                shown[4 * MLP_VALUE_SHOWN + 8];

    x = a->alloc(a->data, m->n_inputs * sizeof(double));
    if (x == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    for (j = 0; j < m->n_inputs; j++) {
        v = &row[j];
        in = &m->inputs[j];

        if (v->data == NULL || v->len == 0) {
            if (in->flags & MLP_INPUT_MISSING) {
                x[j] = NAN;
                continue;
            }

            goto missing;
        }

        if (in->kind == MLP_INPUT_CATEGORY) {
            code = mlp_input_code(in, v->data, v->len);

            if (code < 0 && (in->flags & MLP_INPUT_UNKNOWN_ERROR)) {
                goto unknown;
            }

            x[j] = (double) code;       /* -1: unknown, the steps decide */
            continue;
        }

        rc = mlp_text_number(v->data, v->len, a, &x[j]);

        if (rc == -2) {
            mlp_error_set(err, 500, "out of memory");
            return -1;
        }

        if (rc != 0) {
            goto not_number;
        }
    }

    feat = x;

    if (m->schema) {
        feat = a->alloc(a->data, m->n_features * sizeof(double));
        work = a->alloc(a->data, m->n_columns * sizeof(double));

        if (feat == NULL || work == NULL) {
            mlp_error_set(err, 500, "out of memory");
            return -1;
        }

        if (mlp_steps_apply(m, x, 1, 0, work, feat, err) != 0) {
            return -1;
        }
    }

    *out = a->alloc(a->data, m->out_width * sizeof(double));
    if (*out == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    return mlp_predict(m, feat, 1, *out, label, err);

missing:

    name = m->input_names[j].s;
    n = (int) m->input_names[j].len;

    mlp_error_set(err, 400, "feature \"%.*s\" is %s: this model has no rule "
                  "for missing values", n, name,
                  v->data == NULL ? "absent" : "empty");
    return -1;

unknown:

    name = m->input_names[j].s;
    n = (int) m->input_names[j].len;

    mlp_text_shown(v->data, v->len, shown);
    mlp_error_set(err, 400, "feature \"%.*s\": unknown category \"%s\"", n,
                  name, shown);
    return -1;

not_number:

    name = m->input_names[j].s;
    n = (int) m->input_names[j].len;

    mlp_text_shown(v->data, v->len, shown);
    mlp_error_set(err, 400, "feature \"%.*s\" must be a finite number, not "
                  "\"%s\"", n, name, shown);
    return -1;
}


/*
 * The number a row's values give output k: a classifier's probability of
 * class k; where a classifier answers decision values instead, class k's
 * own value (one per class, one-vs-rest), or for a binary model its one
 * value for the second class and the opposite for the first (positive
 * means that class, as decision_function's sign means classes_[1]); a
 * regressor's target k (a one-class model's decision value). Returns -1
 * where there is no such number: decision values by pairs of classes
 * (one-vs-one). With out NULL, only says whether there is.
 */

int
mlp_output_value(const mlp_model_t *m, const double *out, uint32_t k,
    double *v)
{
    int  pairs;

    if (k >= m->n_outputs) {
        return -1;
    }

    /* three classes make three pairs too: the width alone cannot tell */
    pairs = (m->answer == MLP_ANSWER_DECISION && m->kind == MLP_KIND_SVM
             && !(m->svm_flags & MLP_SVM_OVR) && m->n_outputs > 2);

    if (m->out_width == m->n_outputs && !pairs) {
        if (out != NULL) {
            *v = out[k];
        }

        return 0;
    }

    if (m->answer == MLP_ANSWER_DECISION && m->n_outputs == 2
        && m->out_width == 1)
    {
        if (out != NULL) {
            *v = (k == 1) ? out[0] : -out[0];
        }

        return 0;
    }

    return -1;
}


/*
 * A decimal number, the whole string: an optional sign, digits with an
 * optional point (a digit on one side at least), an optional exponent, as
 * strtod reads it; not strtod's hexadecimal, "inf" or "nan", no spaces.
 * The value must be finite (1e400 is not). Returns 0, -1 for anything
 * else, -2 out of memory.
 */

static int
mlp_text_number(const char *s, size_t len, mlp_alloc_t *a, double *out)
{
    int          neg, exp_neg;
    char        *copy, *end, stack[MLP_NUMBER_STACK];
    long         exp10, e;
    double       v;
    size_t       digits, i;
    uint64_t     mant;
    const char  *p, *last;

    p = s;
    last = s + len;
    neg = 0;
    mant = 0;
    digits = 0;
    exp10 = 0;

    if (p < last && (*p == '-' || *p == '+')) {
        neg = (*p == '-');
        p++;
    }

    while (p < last && *p >= '0' && *p <= '9') {
        mant = mant * 10 + (uint64_t) (*p++ - '0');
        digits++;
    }

    if (p < last && *p == '.') {
        p++;

        while (p < last && *p >= '0' && *p <= '9') {
            mant = mant * 10 + (uint64_t) (*p++ - '0');
            digits++;
            exp10--;
        }
    }

    if (digits == 0) {
        return -1;
    }

    if (p < last && (*p == 'e' || *p == 'E')) {
        p++;
        exp_neg = 0;

        if (p < last && (*p == '-' || *p == '+')) {
            exp_neg = (*p == '-');
            p++;
        }

        e = 0;

        for (i = 0; p < last && *p >= '0' && *p <= '9'; i++) {
            if (e < 100000) {
                e = e * 10 + (*p - '0');
            }

            p++;
        }

        if (i == 0) {
            return -1;
        }

        exp10 += exp_neg ? -e : e;
    }

    if (p != last) {
        return -1;
    }

    /*
     * As the scanner reads JSON numbers: a mantissa below 2^53 and a power
     * of ten up to 22 are exact doubles, so one multiplication or division
     * rounds once, to the value strtod gives (Clinger's fast path).
     */

    if (digits <= 19 && mant < (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        v = (double) mant;

        if (exp10 >= 0) {
            v *= mlp_pow10[exp10];

        } else {
            v /= mlp_pow10[-exp10];
        }

        *out = neg ? -v : v;

        return isfinite(*out) ? 0 : -1;
    }

    /* strtod needs a terminated string; a variable's value is not one */

    if (len < sizeof(stack)) {
        copy = stack;

    } else {
        copy = a->alloc(a->data, len + 1);
        if (copy == NULL) {
            return -2;
        }
    }

    memcpy(copy, s, len);
    copy[len] = '\0';

    *out = strtod(copy, &end);

    if (end != copy + len || !isfinite(*out)) {
        return -1;
    }

    return 0;
}


/* A client's value for a log line: the first bytes, printable only. */

static int
mlp_text_shown(const char *s, size_t len, char *buf)
{
    char           *p;
    size_t          i, n;
    unsigned char   c;

    p = buf;
    n = len > MLP_VALUE_SHOWN ? MLP_VALUE_SHOWN : len;

    for (i = 0; i < n; i++) {
        c = (unsigned char) s[i];

        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            *p++ = (char) c;

        } else {
            p += sprintf(p, "\\x%02x", c);
        }
    }

    if (n < len) {
        memcpy(p, "...", 3);
        p += 3;
    }

    *p = '\0';

    return (int) (p - buf);
}
