
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


static unsigned __int128  mlp_pow5[32];

static const char  mlp_digits2[] =
    "00010203040506070809101112131415161718192021222324252627282930313233"
    "34353637383940414243444546474849505152535455565758596061626364656667"
    "6869707172737475767778798081828384858687888990919293949596979899";


static char *mlp_write_row(const mlp_model_t *m, const double *o,
    uint32_t label, int batch, char *p);


/*
 * The reference: the shortest of %.15g, %.16g, %.17g that reads back to v
 * (trailing zeros removed by %g). Slow (printf and strtod); the fast path
 * below gives the same bytes for most doubles and falls back to this.
 */

size_t
mlp_write_double_printf(double v, char *buf)
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


/*
 * The shortest decimal inside v's rounding interval, closest to v, found
 * with exact 128-bit integers: v = m 2^e and the interval's ends are
 * (4m -+ 2) 2^(e-2); scaled by 10^s = 5^s 2^s they are integers over a power
 * of two. Taken for 2^-99 m <= |v| < 2^53 (5^s must fit), which covers the
 * probabilities and values models answer; else the reference above.
 */

size_t
mlp_write_double(double v, char *buf)
{
    int                 neg, even, s, e, t, n, x, prec, i;
    char                digits[24], *p;
    unsigned            k;
    uint64_t            bits, m, f, lo, hi, q, pow_t, best, c1, c2;
    unsigned __int128   a, b, c, five, dlo, dhi;

    memcpy(&bits, &v, sizeof(bits));
    neg = (int) (bits >> 63);
    f = bits & ((1ull << 52) - 1);
    e = (int) ((bits >> 52) & 0x7ff);

    if (e == 0 && f == 0) {
        return neg ? (memcpy(buf, "-0", 2), 2) : (buf[0] = '0', 1);
    }

    e -= 1075;

    if (e > 0 || (bits & 0x7ff0000000000000ull) == 0) {
        return mlp_write_double_printf(v, buf);
    }

    m = f | (1ull << 52);
    even = (m & 1) == 0;

    /* 10^s times the ulp is at least 2: an integer always lies inside */
    s = (int) (-e * 0.30102999566398120) + 2;

    if (s > 31) {
        return mlp_write_double_printf(v, buf);
    }

    if (mlp_pow5[0] == 0) {
        for (mlp_pow5[0] = 1, i = 1; i < 32; i++) {
            mlp_pow5[i] = mlp_pow5[i - 1] * 5;
        }
    }

    five = mlp_pow5[s];

    a = (unsigned __int128) (4 * m - ((f == 0 && e > -1074) ? 1 : 2)) * five;
    b = (unsigned __int128) (4 * m) * five;
    c = (unsigned __int128) (4 * m + 2) * five;

    /* the values are a, b, c / 2^k */
    k = (unsigned) (2 - e - s);

    dlo = a >> k;
    dhi = c >> k;

    lo = (uint64_t) dlo + ((even && (dlo << k) == a) ? 0 : 1);
    hi = (uint64_t) dhi - ((!even && (dhi << k) == c) ? 1 : 0);

    /* the most trailing zeros a number inside [lo, hi] can have */
    t = 0;
    pow_t = 1;

    while (pow_t <= hi / 10 && (hi / (pow_t * 10)) * (pow_t * 10) >= lo) {
        pow_t *= 10;
        t++;
    }

    /* of the multiples of 10^t inside, the closest to v (ties to even) */
    q = (uint64_t) (b >> k) / pow_t;
    c1 = q * pow_t;
    c2 = c1 + pow_t;
    best = c1;

    if (c1 < lo) {
        best = c2;

    } else if (c2 <= hi) {
        unsigned __int128  d1, d2;

        d1 = b - ((unsigned __int128) c1 << k);
        d2 = ((unsigned __int128) c2 << k) - b;

        if (d2 < d1 || (d2 == d1 && ((c2 / pow_t) & 1) == 0)) {
            best = c2;
        }
    }

    q = best / pow_t;
    n = 0;

    /* two digits a division */
    while (q >= 100) {
        i = (int) (q % 100) * 2;
        q /= 100;
        digits[n++] = mlp_digits2[i + 1];
        digits[n++] = mlp_digits2[i];
    }

    for ( /* void */ ; q; q /= 10) {
        digits[n++] = (char) ('0' + q % 10);
    }

    /* digits[] is reversed; x is the exponent of the first digit */
    x = n - 1 + t - s;
    prec = n > 15 ? n : 15;
    p = buf;

    if (neg) {
        *p++ = '-';
    }

    if (x < -4 || x >= prec) {
        *p++ = digits[n - 1];

        if (n > 1) {
            *p++ = '.';

            for (i = n - 2; i >= 0; i--) {
                *p++ = digits[i];
            }
        }

        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        x = x < 0 ? -x : x;

        if (x >= 100) {
            *p++ = (char) ('0' + x / 100);
        }

        *p++ = (char) ('0' + x / 10 % 10);
        *p++ = (char) ('0' + x % 10);

    } else if (x >= 0) {
        i = n - 1;

        for ( /* void */ ; x >= 0; x--) {
            *p++ = i >= 0 ? digits[i--] : '0';
        }

        if (i >= 0) {
            *p++ = '.';

            while (i >= 0) {
                *p++ = digits[i--];
            }
        }

    } else {
        *p++ = '0';
        *p++ = '.';

        for (i = -1; i > x; i--) {
            *p++ = '0';
        }

        for (i = n - 1; i >= 0; i--) {
            *p++ = digits[i];
        }
    }

    return p - buf;
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

        p = mlp_write_row(m, out + r * m->out_width,
                          labels ? labels[r] : 0, 1, p);
    }

    p = mlp_cpy(p, "]}\n");

    return p - buf;
}


/*
 * One row's answer. A classifier: {"prediction":label,"probabilities":
 * {"label":p,...}}, in a batch too; without probabilities its decision
 * values instead: "decision":v for two classes, {"label":v,...} one a class,
 * [v,...] one a pair of classes. A one-class model: {"prediction":1 or
 * -1,"decision":v}. A regressor: {"prediction":v} alone, v in a batch;
 * several targets make v an array.
 */

static char *
mlp_write_row(const mlp_model_t *m, const double *o, uint32_t label,
    int batch, char *p)
{
    uint32_t  j;

    if (m->answer == MLP_ANSWER_OUTLIER) {
        if (o[0] > 0) {
            p = mlp_cpy(p, "{\"prediction\":1,\"decision\":");

        } else {
            p = mlp_cpy(p, "{\"prediction\":-1,\"decision\":");
        }

        p += mlp_write_double(o[0], p);
        *p++ = '}';
        return p;
    }

    if (m->answer == MLP_ANSWER_DECISION) {
        p = mlp_cpy(p, "{\"prediction\":");
        memcpy(p, m->labels[label].s, m->labels[label].len);
        p += m->labels[label].len;
        p = mlp_cpy(p, ",\"decision\":");

        if (m->out_width == 1) {
            p += mlp_write_double(o[0], p);
            *p++ = '}';
            return p;
        }

        /* one value a class, keyed by label; or one a pair, in a list */
        *p++ = m->decision_pairs ? '[' : '{';

        for (j = 0; j < m->out_width; j++) {
            if (j) {
                *p++ = ',';
            }

            if (!m->decision_pairs) {
                memcpy(p, m->label_keys[j].s, m->label_keys[j].len);
                p += m->label_keys[j].len;
            }

            p += mlp_write_double(o[j], p);
        }

        *p++ = m->decision_pairs ? ']' : '}';
        *p++ = '}';
        return p;
    }

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


size_t
mlp_explain_response_bound(const mlp_model_t *m, size_t rows)
{
    /* a batch's regressor rows become objects: {"prediction":} more */
    return mlp_response_bound(m, rows)
           + rows * (m->explain_bound + sizeof("{\"prediction\":}"));
}


/* One group's contributions: {"input":v,...}. */

static char *
mlp_write_contributions(const mlp_model_t *m, const double *phi, char *p)
{
    size_t    len;
    uint32_t  i;

    *p++ = '{';

    for (i = 0; i < m->n_inputs; i++) {
        if (i) {
            *p++ = ',';
        }

        len = m->explain_key_off[i + 1] - m->explain_key_off[i];
        memcpy(p, m->explain_keys + m->explain_key_off[i], len);
        p += len;
        p += mlp_write_double(phi[i], p);
    }

    *p++ = '}';

    return p;
}


/*
 * A row's "contributions":{"input":v,...},"base_value":v; keyed by class
 * label when several margins are explained (a multiclass model).
 */

char *
mlp_write_explanation(const mlp_model_t *m, const double *phi, char *p)
{
    uint32_t       g, G;
    const double  *base;

    p = mlp_cpy(p, "\"contributions\":");
    G = m->explain_groups;
    base = m->explain_base;

    if (!m->explain_keyed) {
        p = mlp_write_contributions(m, phi, p);
        p = mlp_cpy(p, ",\"base_value\":");
        p += mlp_write_double(base[0], p);
        return p;
    }

    *p++ = '{';

    for (g = 0; g < G; g++) {
        if (g) {
            *p++ = ',';
        }

        memcpy(p, m->label_keys[g].s, m->label_keys[g].len);
        p += m->label_keys[g].len;
        p = mlp_write_contributions(m, phi + (size_t) g * m->n_inputs, p);
    }

    p = mlp_cpy(p, "},\"base_value\":{");

    for (g = 0; g < G; g++) {
        if (g) {
            *p++ = ',';
        }

        memcpy(p, m->label_keys[g].s, m->label_keys[g].len);
        p += m->label_keys[g].len;
        p += mlp_write_double(base[g], p);
    }

    *p++ = '}';

    return p;
}


/* An explained row: the row's answer as an object, and its explanation. */

static char *
mlp_write_explained_row(const mlp_model_t *m, const double *o,
    uint32_t label, const double *phi, char *p)
{
    p = mlp_write_row(m, o, label, 0, p);

    /* every non-batch answer is an object: reopen it */
    p[-1] = ',';
    p = mlp_write_explanation(m, phi, p);
    *p++ = '}';

    return p;
}


size_t
mlp_write_explained(const mlp_model_t *m, const mlp_request_t *req,
    const double *out, const uint32_t *labels, const double *phi, char *buf)
{
    char    *p;
    size_t   r, stride;

    p = buf;
    stride = (size_t) m->explain_groups * m->n_inputs;

    if (req->shape != MLP_SHAPE_INSTANCES) {
        p = mlp_write_explained_row(m, out, labels ? labels[0] : 0, phi, p);
        *p++ = '\n';
        return p - buf;
    }

    p = mlp_cpy(p, "{\"predictions\":[");

    for (r = 0; r < req->rows; r++) {
        if (r) {
            *p++ = ',';
        }

        p = mlp_write_explained_row(m, out + r * m->out_width,
                                    labels ? labels[r] : 0,
                                    phi + r * stride, p);
    }

    p = mlp_cpy(p, "]}\n");

    return p - buf;
}
