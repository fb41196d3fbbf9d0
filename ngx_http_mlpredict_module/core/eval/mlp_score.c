
/*
 * Scoring a table's records in blocks (mlp_score.h). A cell is read as
 * the JSON parser reads a value for the same input, so that a CSV row and
 * a JSON row with the same values answer the same.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "mlp_internal.h"
#include "eval/mlp_score.h"


static int mlp_score_classes(mlp_score_t *s);
static int mlp_score_block(mlp_score_t *s, size_t first, size_t rows,
    mlp_error_t *err);


mlp_score_t *
mlp_score_create(const mlp_model_t *m, size_t block)
{
    mlp_score_t  *s;

    s = calloc(1, sizeof(mlp_score_t));
    if (s == NULL) {
        return NULL;
    }

    s->m = m;
    s->block = block ? block : MLP_SCORE_BLOCK;
    s->out_width = m->out_width;
    s->proba = (m->answer == MLP_ANSWER_PROBA);
    s->decision = (m->answer == MLP_ANSWER_DECISION);
    s->pairs = s->decision && m->decision_pairs;
    s->outlier = (m->answer == MLP_ANSWER_OUTLIER);
    s->col = calloc(m->n_inputs, sizeof(size_t));
    s->lines = malloc(s->block * sizeof(size_t));
    s->x = malloc(s->block * m->n_inputs * sizeof(double));
    s->feat = malloc(s->block * m->n_features * sizeof(double));
    s->work = malloc((m->n_columns ? m->n_columns : 1) * sizeof(double));
    s->out = malloc(s->block * m->out_width * sizeof(double));
    s->labels = malloc(s->block * sizeof(uint32_t));

    if (s->col == NULL || s->lines == NULL || s->x == NULL
        || s->feat == NULL || s->work == NULL || s->out == NULL
        || s->labels == NULL || mlp_score_classes(s) != 0)
    {
        mlp_score_free(s);
        return NULL;
    }

    return s;
}


void
mlp_score_free(mlp_score_t *s)
{
    uint32_t  i;

    if (s == NULL) {
        return;
    }

    for (i = 0; s->classes != NULL && i < s->n_classes; i++) {
        free((char *) s->classes[i].text);
    }

    free(s->classes);
    free(s->col);
    free(s->lines);
    free(s->x);
    free(s->feat);
    free(s->work);
    free(s->out);
    free(s->labels);
    free(s);
}


/* The class labels (JSON text in the model) as values. */

static int
mlp_score_classes(mlp_score_t *s)
{
    char                *t;
    size_t               len;
    json_t              *v;
    uint32_t             i;
    const char          *src;
    json_error_t         je;
    const mlp_model_t   *m;

    m = s->m;

    if (!m->classifier) {
        return 0;
    }

    s->n_classes = m->n_outputs;
    s->classes = calloc(s->n_classes, sizeof(mlp_class_t));
    if (s->classes == NULL) {
        return -1;
    }

    s->numeric_classes = 1;

    for (i = 0; i < s->n_classes; i++) {
        v = json_loadb(m->labels[i].s, m->labels[i].len, JSON_DECODE_ANY,
                       &je);

        if (v != NULL && json_is_string(v)) {
            src = json_string_value(v);
            len = json_string_length(v);
            s->numeric_classes = 0;

        } else {
            src = m->labels[i].s;
            len = m->labels[i].len;

            if (v != NULL && json_is_number(v)) {
                s->classes[i].is_number = 1;
                s->classes[i].value = json_number_value(v);

            } else if (v != NULL && json_is_boolean(v)) {
                /* pandas writes them True and False */
                s->classes[i].is_bool = 1;
                s->classes[i].value = json_is_true(v);
                s->numeric_classes = 0;

            } else {
                s->numeric_classes = 0;
            }
        }

        t = malloc(len + 1);
        if (t == NULL) {
            json_decref(v);
            return -1;
        }

        memcpy(t, src, len);
        t[len] = '\0';
        s->classes[i].text = t;
        s->classes[i].len = len;

        json_decref(v);
    }

    return 0;
}


long
mlp_score_column(const mlp_csv_field_t *f, size_t n, const char *name)
{
    size_t  i, len;

    len = strlen(name);

    for (i = 0; i < n; i++) {
        if (f[i].len == len && memcmp(f[i].s, name, len) == 0) {
            return (long) i;
        }
    }

    return -1;
}


int
mlp_score_header(mlp_score_t *s, const mlp_csv_field_t *f, size_t n,
    char *err, size_t errlen)
{
    size_t              i, c, found;
    const mlp_str_t    *name;
    const mlp_model_t  *m;

    m = s->m;
    s->n_columns = n;

    for (i = 0; i < m->n_inputs; i++) {
        name = &m->input_names[i];
        found = 0;

        for (c = 0; c < n; c++) {
            if (f[c].len == name->len
                && memcmp(f[c].s, name->s, name->len) == 0)
            {
                if (found++ == 0) {
                    s->col[i] = c;
                }
            }
        }

        if (found == 0) {
            snprintf(err, errlen, "line 1: no column \"%.*s\", an input of "
                     "the model", (int) (name->len > 64 ? 64 : name->len),
                     name->s);
            return -1;
        }

        if (found > 1) {
            snprintf(err, errlen, "line 1: %zu columns named \"%.*s\"",
                     found, (int) (name->len > 64 ? 64 : name->len),
                     name->s);
            return -1;
        }
    }

    return 0;
}


int
mlp_score_row(mlp_score_t *s, const mlp_csv_field_t *f, size_t n,
    size_t line, const mlp_csv_field_t *header, mlp_error_t *err)
{
    long                 code;
    double               v, *x;
    size_t               c;
    uint32_t             i;
    const char          *why;
    const mlp_input_t   *in;
    const mlp_model_t   *m;

    m = s->m;

    if (n != s->n_columns) {
        mlp_error_set(err, 400, "line %zu: %zu fields, the header has %zu",
                      line, n, s->n_columns);
        return -1;
    }

    x = s->x + s->n * m->n_inputs;

    for (i = 0; i < m->n_inputs; i++) {
        in = &m->inputs[i];
        c = s->col[i];

        if (in->kind == MLP_INPUT_CATEGORY) {
            if (mlp_csv_missing(f[c].s, f[c].len)) {
                if (!(in->flags & MLP_INPUT_MISSING)) {
                    why = "a missing value, which this input does not take";
                    goto failed;
                }

                x[i] = NAN;
                continue;
            }

            code = mlp_input_code(in, f[c].s, f[c].len);

            if (code < 0 && (in->flags & MLP_INPUT_UNKNOWN_ERROR)) {
                why = "a category the model does not know";
                goto failed;
            }

            x[i] = (double) code;       /* -1: unknown, the steps decide */
            continue;
        }

        /* a number first: the common case, and no missing value is one */
        if (mlp_csv_number(f[c].s, f[c].len, &v) != 0) {
            if (!mlp_csv_missing(f[c].s, f[c].len)) {
                why = "not a number";
                goto failed;
            }

            v = NAN;

        } else if (isinf(v)) {
            why = "not a finite number";
            goto failed;
        }

        if (isnan(v) && !(in->flags & MLP_INPUT_MISSING)) {
            why = "a missing value: this model has no rule for missing "
                  "values";
            goto failed;
        }

        x[i] = v;
    }

    s->lines[s->n++] = line;

    return 0;

failed:

    mlp_error_set(err, 400, "line %zu, column %zu (\"%.*s\"): %s: \"%.*s%s\"",
                  line, c + 1, (int) (header[c].len > 64 ? 64
                                      : header[c].len), header[c].s,
                  why, (int) (f[c].len > 40 ? 40 : f[c].len), f[c].s,
                  f[c].len > 40 ? "..." : "");

    return -1;
}


static int
mlp_score_block(mlp_score_t *s, size_t first, size_t rows,
    mlp_error_t *err)
{
    const mlp_model_t  *m;

    m = s->m;

    if (m->schema) {
        if (mlp_steps_apply(m, s->x + first * m->n_inputs, rows, 0,
                            s->work, s->feat, err)
            != 0)
        {
            return -1;
        }

    } else {
        /* mlp_predict scales in place: keep the rows for a re-run */
        memcpy(s->feat, s->x + first * m->n_inputs,
               rows * m->n_inputs * sizeof(double));
    }

    return mlp_predict(m, s->feat, rows, s->out + first * m->out_width,
                       s->labels + first, err);
}


int
mlp_score_run(mlp_score_t *s, mlp_error_t *err)
{
    char     *p;
    size_t    r;

    if (s->n == 0 || mlp_score_block(s, 0, s->n, err) == 0) {
        return 0;
    }

    /* which row: one at a time, and its line instead of "row 0" */
    for (r = 0; r < s->n; r++) {
        if (mlp_score_block(s, r, 1, err) != 0) {
            p = err->message;

            if (strncmp(p, "row 0: ", 7) == 0) {
                p += 7;
            }

            {
                char  msg[MLP_ERR_LEN];

                snprintf(msg, sizeof(msg), "%s", p);
                mlp_error_set(err, 400, "line %zu: %s", s->lines[r], msg);
            }

            return -1;
        }
    }

    /* the block failed, no row alone does: cannot happen, say so */
    mlp_error_set(err, 500, "a block failed whose rows each pass");

    return -1;
}


long
mlp_score_label(const mlp_score_t *s, const char *text, size_t len)
{
    double    v;
    uint32_t  i;

    if (s->numeric_classes) {
        if (mlp_csv_number(text, len, &v) != 0) {
            return -1;
        }

        for (i = 0; i < s->n_classes; i++) {
            if (s->classes[i].value == v) {
                return (long) i;
            }
        }

        return -1;
    }

    for (i = 0; i < s->n_classes; i++) {
        if (s->classes[i].len == len
            && (s->classes[i].is_bool
                ? strncasecmp(s->classes[i].text, text, len) == 0
                : memcmp(s->classes[i].text, text, len) == 0))
        {
            return (long) i;
        }
    }

    return -1;
}
