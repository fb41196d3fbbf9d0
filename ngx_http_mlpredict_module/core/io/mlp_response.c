
/*
 * Writing answers: outputs -> JSON bytes in a buffer the caller sized with
 * mlp_response_bound. Numbers are written as the shortest of %.15g, %.16g
 * and %.17g that reads back to the same double.
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


/* 10^n, n = 0 .. 19 */
static const uint64_t  mlp_pow10_u64[] = {
    1ull, 10ull, 100ull, 1000ull, 10000ull, 100000ull, 1000000ull,
    10000000ull, 100000000ull, 1000000000ull, 10000000000ull,
    100000000000ull, 1000000000000ull, 10000000000000ull,
    100000000000000ull, 1000000000000000ull, 10000000000000000ull,
    100000000000000000ull, 1000000000000000000ull,
    10000000000000000000ull
};


static char *mlp_write_row(const mlp_model_t *m, const double *o,
    uint32_t label, int batch, char *p);


/* v < 10^4 as exactly 4 digits; v < 10^8 as exactly 8 */

static inline void
mlp_write4(char *p, uint32_t v)
{
    memcpy(p, &mlp_digits2[(v / 100) * 2], 2);
    memcpy(p + 2, &mlp_digits2[(v % 100) * 2], 2);
}


static inline void
mlp_write8(char *p, uint32_t v)
{
    mlp_write4(p, v / 10000);
    mlp_write4(p + 4, v % 10000);
}


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
 * probabilities and values models answer; else the reference above, whose
 * bytes it gives for every double (test_core compares them).
 */

size_t
mlp_write_double(double v, char *buf)
{
    int                 neg, even, s, e, t, n, x, prec, i, up;
    char                digits[20], *d, *p;
    unsigned            k;
    uint64_t            bits, m, f, lo, hi, hq, lq, q, pow_t, c1, c2;
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

    /* (4m - 1 or 2) 5^s, 4m 5^s, (4m + 2) 5^s: one multiplication */
    b = (unsigned __int128) (4 * m) * five;
    a = b - ((f == 0 && e > -1074) ? five : 2 * five);
    c = b + 2 * five;

    /* the values are a, b, c / 2^k */
    k = (unsigned) (2 - e - s);

    dlo = a >> k;
    dhi = c >> k;

    lo = (uint64_t) dlo + ((even && (dlo << k) == a) ? 0 : 1);
    hi = (uint64_t) dhi - ((!even && (dhi << k) == c) ? 1 : 0);

    /*
     * The most trailing zeros a number inside [lo, hi] can have: a
     * multiple of 10^t lies inside while hi / 10^t > (lo - 1) / 10^t (lo is
     * at least 1), and the quotients are divided by constants only (a
     * multiplication each), 8 digits at a time first. The quotients of
     * b / 2^k by the same powers follow along.
     */
    t = 0;
    pow_t = 1;
    hq = hi;
    lq = lo - 1;
    q = (uint64_t) (b >> k);

    while (hq / 100000000 > lq / 100000000) {
        hq /= 100000000;
        lq /= 100000000;
        q /= 100000000;
        pow_t *= 100000000;
        t += 8;
    }

    if (hq / 10000 > lq / 10000) {
        hq /= 10000;
        lq /= 10000;
        q /= 10000;
        pow_t *= 10000;
        t += 4;
    }

    if (hq / 100 > lq / 100) {
        hq /= 100;
        lq /= 100;
        q /= 100;
        pow_t *= 100;
        t += 2;
    }

    if (hq / 10 > lq / 10) {
        q /= 10;
        pow_t *= 10;
        t += 1;
    }

    /* of the multiples of 10^t inside, the closest to v (ties to even) */
    c1 = q * pow_t;
    c2 = c1 + pow_t;
    up = 0;

    if (c1 < lo) {
        up = 1;

    } else if (c2 <= hi) {
        unsigned __int128  d1, d2;

        d1 = b - ((unsigned __int128) c1 << k);
        d2 = ((unsigned __int128) c2 << k) - b;

        if (d2 < d1 || (d2 == d1 && ((q + 1) & 1) == 0)) {
            up = 1;
        }
    }

    /*
     * A power of two's interval is uneven (its lower half is half as
     * wide): there the closest decimal inside may not be the one %.Ng
     * rounds to, unless it is v itself.
     */
    if (f == 0 && ((unsigned __int128) (up ? c2 : c1) << k) != b) {
        return mlp_write_double_printf(v, buf);
    }

    /* best / 10^t */
    q += up;

    /* its digits, 20 of them with leading zeros, in three parallel runs */
    mlp_write8(digits + 12, (uint32_t) (q % 100000000));
    mlp_write8(digits + 4, (uint32_t) (q / 100000000 % 100000000));
    mlp_write4(digits, (uint32_t) (q / 10000000000000000ull));

    /* how many: from the bit length, then one comparison */
    n = ((64 - __builtin_clzll(q)) * 1233) >> 12;
    n += q >= mlp_pow10_u64[n];
    d = digits + 20 - n;

    /* x is the exponent of the first digit */
    x = n - 1 + t - s;
    prec = n > 15 ? n : 15;
    p = buf;

    if (neg) {
        *p++ = '-';
    }

    if (x < -4 || x >= prec) {
        *p++ = d[0];

        if (n > 1) {
            *p++ = '.';
            p = (char *) memcpy(p, d + 1, n - 1) + n - 1;
        }

        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        x = x < 0 ? -x : x;

        if (x >= 100) {
            *p++ = (char) ('0' + x / 100);
        }

        memcpy(p, &mlp_digits2[(x % 100) * 2], 2);
        p += 2;

    } else if (x >= 0) {
        /* x + 1 digits before the point, zeros where the digits end */
        if (n <= x + 1) {
            p = (char *) memcpy(p, d, n) + n;
            p = (char *) memset(p, '0', x + 1 - n) + (x + 1 - n);

        } else {
            p = (char *) memcpy(p, d, x + 1) + x + 1;
            *p++ = '.';
            p = (char *) memcpy(p, d + x + 1, n - x - 1) + (n - x - 1);
        }

    } else {
        *p++ = '0';
        *p++ = '.';
        p = (char *) memset(p, '0', -x - 1) + (-x - 1);
        p = (char *) memcpy(p, d, n) + n;
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
