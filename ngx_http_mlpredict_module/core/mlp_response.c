
/*
 * Writing answers: outputs -> JSON bytes in a buffer the caller sized with
 * mlp_response_bound. Numbers are written in the shortest form that reads
 * back to the same double.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"


#define mlp_cpy(p, s)  (memcpy(p, s, sizeof(s) - 1), (p) + sizeof(s) - 1)


static char *mlp_write_row(const mlp_model_t *m, const double *o,
    uint32_t label, int batch, char *p);


size_t
mlp_write_double(double v, char *buf)
{
    int  n, prec;

    for (prec = 15; prec < 17; prec++) {
        n = snprintf(buf, MLP_DOUBLE_MAX_LEN + 1, "%.*g", prec, v);

        if (strtod(buf, NULL) == v) {
            return (size_t) n;
        }
    }

    return (size_t) snprintf(buf, MLP_DOUBLE_MAX_LEN + 1, "%.17g", v);
}


size_t
mlp_json_escape(const char *s, size_t len, char *buf)
{
    char           *p;
    size_t          i;
    unsigned char   c;

    static const char  hex[] = "0123456789abcdef";

    p = buf;
    *p++ = '"';

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = (char) c;

        } else if (c < 0x20) {
            *p++ = '\\';
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0xf];

        } else {
            *p++ = (char) c;
        }
    }

    *p++ = '"';

    return p - buf;
}


size_t
mlp_write_error(const char *message, char *buf, size_t size)
{
    char    *p;
    size_t   len;

    len = strlen(message);

    /* {"error":} plus a newline, and at most 6 bytes per escaped byte */
    if (size < sizeof("{\"error\":}\n") + 2 + 6 * len) {
        return 0;
    }

    p = mlp_cpy(buf, "{\"error\":");
    p += mlp_json_escape(message, len, p);
    p = mlp_cpy(p, "}\n");

    return p - buf;
}


size_t
mlp_response_bound(const mlp_model_t *m, size_t rows)
{
    return sizeof("{\"predictions\":[]}\n") + rows * m->row_bound;
}


size_t
mlp_write_response(const mlp_model_t *m, const mlp_request_t *req,
    const double *out, const uint32_t *labels, char *buf)
{
    char    *p;
    size_t   r;

    p = buf;

    if (req->shape != MLP_SHAPE_INSTANCES) {
        p = mlp_write_row(m, out, labels ? labels[0] : 0, 0, p);
        *p++ = '\n';
        return p - buf;
    }

    p = mlp_cpy(p, "{\"predictions\":[");

    for (r = 0; r < req->rows; r++) {
        if (r) {
            *p++ = ',';
        }

        p = mlp_write_row(m, out + r * m->n_outputs,
                          labels ? labels[r] : 0, 1, p);
    }

    p = mlp_cpy(p, "]}\n");

    return p - buf;
}


/*
 * One row's answer. A classifier: {"prediction":label,"probabilities":
 * {"label":p,...}}, in a batch too. A regressor: {"prediction":v} alone,
 * v in a batch; several targets make v an array.
 */

static char *
mlp_write_row(const mlp_model_t *m, const double *o, uint32_t label,
    int batch, char *p)
{
    uint32_t  j;

    if (m->classifier) {
        p = mlp_cpy(p, "{\"prediction\":");
        memcpy(p, m->labels[label].s, m->labels[label].len);
        p += m->labels[label].len;
        p = mlp_cpy(p, ",\"probabilities\":{");

        for (j = 0; j < m->n_outputs; j++) {
            if (j) {
                *p++ = ',';
            }

            memcpy(p, m->label_keys[j].s, m->label_keys[j].len);
            p += m->label_keys[j].len;
            p += mlp_write_double(o[j], p);
        }

        return mlp_cpy(p, "}}");
    }

    if (!batch) {
        p = mlp_cpy(p, "{\"prediction\":");
    }

    if (m->n_outputs == 1) {
        p += mlp_write_double(o[0], p);

    } else {
        *p++ = '[';

        for (j = 0; j < m->n_outputs; j++) {
            if (j) {
                *p++ = ',';
            }

            p += mlp_write_double(o[j], p);
        }

        *p++ = ']';
    }

    if (!batch) {
        *p++ = '}';
    }

    return p;
}
