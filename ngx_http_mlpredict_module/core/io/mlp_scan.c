
/*
 * The fast path of request parsing: a strict, allocation-light scanner for
 * the shapes clients send every time (an object of numbers, {"features":
 * [numbers]}, {"instances": [rows]}). It never reports an error: anything
 * it is not sure of, it hands back, and the jansson path (mlp_parse.c)
 * decides, so both accept the same bodies and give the same doubles, bit
 * for bit (checked by unit tests and a differential fuzzer).
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"


#define MLP_SCAN_FALLBACK  1


typedef struct {
    const char               *p;
    const char               *end;
} mlp_scan_t;


/*
 * 5^-k for k = 5 .. 22 (mlp_div_pow10's range) to 128 bits: the high and
 * low words of floor(2^b / 5^k) + 1, b chosen to set the top bit (Eisel
 * and Lemire's table, as fast_float builds it).
 */
static const uint64_t  mlp_pow5_inv[18][2] = {
    { 0xa7c5ac471b478423ull, 0x0fcf80dc33721d54ull },    /* 5^-5 */
    { 0x8637bd05af6c69b5ull, 0xa63f9a49c2c1b110ull },    /* 5^-6 */
    { 0xd6bf94d5e57a42bcull, 0x3d32907604691b4dull },    /* 5^-7 */
    { 0xabcc77118461cefcull, 0xfdc20d2b36ba7c3eull },    /* 5^-8 */
    { 0x89705f4136b4a597ull, 0x31680a88f8953031ull },    /* 5^-9 */
    { 0xdbe6fecebdedd5beull, 0xb573440e5a884d1cull },    /* 5^-10 */
    { 0xafebff0bcb24aafeull, 0xf78f69a51539d749ull },    /* 5^-11 */
    { 0x8cbccc096f5088cbull, 0xf93f87b7442e45d4ull },    /* 5^-12 */
    { 0xe12e13424bb40e13ull, 0x2865a5f206b06fbaull },    /* 5^-13 */
    { 0xb424dc35095cd80full, 0x538484c19ef38c95ull },    /* 5^-14 */
    { 0x901d7cf73ab0acd9ull, 0x0f9d37014bf60a11ull },    /* 5^-15 */
    { 0xe69594bec44de15bull, 0x4c2ebe687989a9b4ull },    /* 5^-16 */
    { 0xb877aa3236a4b449ull, 0x09befeb9fad487c3ull },    /* 5^-17 */
    { 0x9392ee8e921d5d07ull, 0x3aff322e62439fd0ull },    /* 5^-18 */
    { 0xec1e4a7db69561a5ull, 0x2b31e9e3d06c32e6ull },    /* 5^-19 */
    { 0xbce5086492111aeaull, 0x88f4bb1ca6bcf585ull },    /* 5^-20 */
    { 0x971da05074da7beeull, 0xd3f6fc16ebca5e04ull },    /* 5^-21 */
    { 0xf1c90080baf72cb1ull, 0x5324c68b12dd6339ull },    /* 5^-22 */
};


/* exact powers of ten: a double holds 10^0 .. 10^22 exactly */
static const double  mlp_pow10[] = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
    1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};


static inline void
mlp_scan_ws(mlp_scan_t *s)
{
    while (s->p < s->end
           && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r'
               || *s->p == '\t'))
    {
        s->p++;
    }
}


/*
 * Inside the body's object the next byte always exists (the final '}' is
 * still ahead): test it before the general white-space loop.
 */

static inline void
mlp_scan_ws_fast(mlp_scan_t *s)
{
    if (*s->p == ' ') {
        s->p++;
    }

    if (*s->p <= ' ') {
        mlp_scan_ws(s);
    }
}


static inline int
mlp_scan_char(mlp_scan_t *s, char c)
{
    mlp_scan_ws(s);

    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }

    return 0;
}


/*
 * w / 10^k correctly rounded, for 2^53 <= w < 2^64 and 5 <= k <= 22: the
 * 16 to 19 significant digits of a double printed to round-trip (Python's
 * repr, %.17g), which one division cannot round exactly and strtod takes
 * ten times as long on. Eisel and Lemire's algorithm: w times the 128-bit
 * 5^-k, the second word only when the first leaves the rounding in doubt
 * (enough for every w, Mushtak and Lemire 2023). No value lies halfway
 * between two doubles when k >= 5 (fast_float's bound: 5^k then divides no
 * 64-bit w times a power of two it would need to), so rounding up is right.
 */

static inline double
mlp_div_pow10(uint64_t w, int k)
{
    int                 lz, upper, shift;
    double              v;
    int64_t             power2;
    uint64_t            hi, lo, m, bits, second;
    unsigned __int128   p;
    const uint64_t     *t;

    t = mlp_pow5_inv[k - 5];
    lz = __builtin_clzll(w);
    w <<= lz;

    p = (unsigned __int128) w * t[0];
    hi = (uint64_t) (p >> 64);
    lo = (uint64_t) p;

    if ((hi & 0x1ff) == 0x1ff) {
        second = (uint64_t) (((unsigned __int128) w * t[1]) >> 64);
        lo += second;
        hi += (lo < second);
    }

    /* 54 bits kept: the 53 of the double and one to round (55 on a carry) */
    upper = (int) (hi >> 63);
    shift = upper + 9;
    m = hi >> shift;

    /* floor(log2(10^-k)) as fast_float's power(), biased */
    power2 = -((217706 * (int64_t) k + 65535) >> 16) + 63 + upper - lz
             + 1023;

    m += m & 1;
    m >>= 1;

    if (m >= (2ull << 52)) {
        m = 1ull << 52;
        power2++;
    }

    bits = (m & ~(1ull << 52)) | ((uint64_t) power2 << 52);
    memcpy(&v, &bits, sizeof(double));

    return v;
}


/*
 * A JSON number (RFC 8259 grammar) to the double strtod gives. A mantissa
 * below 2^53 and a power of ten up to 22 are both exact doubles, so one
 * multiplication or division rounds once: the correctly rounded value
 * strtod gives too (Clinger's fast path). Longer numbers go to strtod.
 *
 * No bounds checks in the digit loops: mlp_scan_request made sure that the
 * body ends with '}', which stops every one of them.
 */

#define mlp_digit(c)  ((unsigned char) ((c) - '0') < 10)

static int
mlp_scan_number(mlp_scan_t *s, double *out)
{
    int          neg, exp_neg;
    char        *end;
    double       v;
    uint64_t     mant;
    const char  *p, *start, *digits, *frac;
    long         exp10, e, n;

    p = s->p;
    start = p;
    neg = (*p == '-');
    p += neg;
    digits = p;
    mant = 0;

    if (*p == '0') {
        p++;

    } else if (mlp_digit(*p)) {
        do {
            mant = mant * 10 + (uint64_t) (*p++ - '0');
        } while (mlp_digit(*p));

    } else {
        return MLP_SCAN_FALLBACK;
    }

    n = p - digits;
    exp10 = 0;

    if (*p == '.') {
        frac = ++p;

        while (mlp_digit(*p)) {
            mant = mant * 10 + (uint64_t) (*p++ - '0');
        }

        if (p == frac) {
            return MLP_SCAN_FALLBACK;
        }

        n += p - frac;
        exp10 = -(long) (p - frac);
    }

    if (*p == 'e' || *p == 'E') {
        p++;
        exp_neg = (*p == '-');

        if (*p == '+' || *p == '-') {
            p++;
        }

        if (!mlp_digit(*p)) {
            return MLP_SCAN_FALLBACK;
        }

        e = 0;

        do {
            if (e < 100000) {
                e = e * 10 + (*p - '0');
            }

            p++;
        } while (mlp_digit(*p));

        exp10 += exp_neg ? -e : e;
    }

    /* 19 digits cannot overflow the mantissa; more go to strtod */
    if (n <= 19 && mant < (1ull << 53) && exp10 >= -22 && exp10 <= 22) {
        v = (double) mant;

        if (exp10 >= 0) {
            v *= mlp_pow10[exp10];

        } else {
            v /= mlp_pow10[-exp10];
        }

        *out = neg ? -v : v;
        s->p = p;
        return 0;
    }

    if (n <= 19 && exp10 >= -22 && exp10 <= -5) {
        v = mlp_div_pow10(mant, (int) -exp10);
        *out = neg ? -v : v;
        s->p = p;
        return 0;
    }

    /* the rest as jansson does it: strtod on the token */
    v = strtod(start, &end);

    if (end != p || isinf(v)) {
        return MLP_SCAN_FALLBACK;
    }

    *out = v;
    s->p = p;

    return 0;
}


/* A string without escapes or control characters, as bytes, after '"'. */

static int
mlp_scan_string(mlp_scan_t *s, const char **str, size_t *len)
{
    const char  *p;

    for (p = s->p; p < s->end; p++) {
        if (*p == '"') {
            *str = s->p;
            *len = p - s->p;
            s->p = p + 1;

            return 0;
        }

        if (*p == '\\' || (unsigned char) *p < 0x20) {
            return MLP_SCAN_FALLBACK;
        }
    }

    return MLP_SCAN_FALLBACK;
}


static int
mlp_scan_key(mlp_scan_t *s, const char **key, size_t *len)
{
    if (!mlp_scan_char(s, '"') || mlp_scan_string(s, key, len) != 0) {
        return MLP_SCAN_FALLBACK;
    }

    return mlp_scan_char(s, ':') ? 0 : MLP_SCAN_FALLBACK;
}


/* n bytes equal, 8 at a time (the last 8 overlapping): no call to memcmp */

static inline int
mlp_bytes_eq(const char *a, const char *b, size_t n)
{
    size_t    i;
    uint64_t  x, y;

    if (n < 8) {
        for (i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return 0;
            }
        }

        return 1;
    }

    for (i = 0; i + 8 < n; i += 8) {
        memcpy(&x, a + i, 8);
        memcpy(&y, b + i, 8);

        if (x != y) {
            return 0;
        }
    }

    memcpy(&x, a + n - 8, 8);
    memcpy(&y, b + n - 8, 8);

    return x == y;
}


/*
 * The key "name": with its ':', read in place where the name is plain
 * (MLP_INPUT_PLAIN_NAME: JSON has no other text of it). Anything else
 * consumes nothing, and the caller reads the key as a string.
 */

static inline int
mlp_scan_name(mlp_scan_t *s, const mlp_str_t *name)
{
    const char  *p;

    mlp_scan_ws(s);
    p = s->p;

    if ((size_t) (s->end - p) <= name->len + 1 || p[0] != '"'
        || p[name->len + 1] != '"' || !mlp_bytes_eq(p + 1, name->s, name->len))
    {
        return 0;
    }

    s->p += name->len + 2;

    if (!mlp_scan_char(s, ':')) {
        s->p = p;
        return 0;
    }

    return 1;
}


/*
 * The value of input j: a number, a category (its code, -1 for one the
 * model does not know, where it takes those: the bytes are checked to be
 * UTF-8 as jansson would), or null where the input may be missing.
 * Anything else goes to jansson, which words the error.
 */

static int
mlp_scan_value(const mlp_model_t *m, mlp_scan_t *s, uint32_t j, double *x)
{
    long                code;
    size_t              len;
    const char         *str;
    const mlp_input_t  *in;

    in = &m->inputs[j];

    if (*s->p == 'n') {
        if (!(in->flags & MLP_INPUT_MISSING) || s->end - s->p < 4
            || memcmp(s->p, "null", 4) != 0)
        {
            return MLP_SCAN_FALLBACK;
        }

        s->p += 4;
        *x = NAN;
        return 0;
    }

    if (in->kind == MLP_INPUT_NUMBER) {
        return mlp_scan_number(s, x);
    }

    if (*s->p != '"') {
        return MLP_SCAN_FALLBACK;
    }

    s->p++;

    if (mlp_scan_string(s, &str, &len) != 0) {
        return MLP_SCAN_FALLBACK;
    }

    code = mlp_input_code(in, str, len);

    if (code < 0 && ((in->flags & MLP_INPUT_UNKNOWN_ERROR)
                     || !mlp_utf8_valid((const unsigned char *) str, len)))
    {
        return MLP_SCAN_FALLBACK;
    }

    *x = (double) code;

    return 0;
}


/* "not given yet" in a named row: a NaN that no value, null included, is */

static const uint64_t  mlp_unset_bits = 0x7ff4000000000001ull;


static inline void
mlp_unset(double *x)
{
    memcpy(x, &mlp_unset_bits, sizeof(double));
}


static inline int
mlp_is_unset(const double *x)
{
    return memcmp(x, &mlp_unset_bits, sizeof(double)) == 0;
}


/* [v, v, ...] with exactly n_features numbers */

static int
mlp_scan_array_row(const mlp_model_t *m, mlp_scan_t *s, double *x)
{
    uint32_t  j;

    if (!mlp_scan_char(s, '[')) {
        return MLP_SCAN_FALLBACK;
    }

    for (j = 0; j < m->n_inputs; j++) {
        if (j) {
            if (*s->p == ',') {
                s->p++;

            } else if (!mlp_scan_char(s, ',')) {
                return MLP_SCAN_FALLBACK;
            }
        }

        mlp_scan_ws_fast(s);

        if (mlp_scan_value(m, s, j, &x[j]) != 0) {
            return MLP_SCAN_FALLBACK;
        }
    }

    return mlp_scan_char(s, ']') ? 0 : MLP_SCAN_FALLBACK;
}


/*
 * The members of an object of named features, after its '{' and any keys
 * already read (first, when given). Every feature exactly once.
 */

static int
mlp_scan_named_row(const mlp_model_t *m, mlp_scan_t *s, double *x,
    const char *first, size_t first_len)
{
    long         j;
    size_t       len;
    uint32_t     i, n, next;
    const char  *key;

    for (i = 0; i < m->n_inputs; i++) {
        mlp_unset(&x[i]);
    }

    next = 0;

    key = first;
    len = first_len;
    n = 0;

    for ( ;; ) {
        /* clients mostly send the model's order: try the next name first */
        if (key == NULL && next < m->n_inputs
            && (m->inputs[next].flags & MLP_INPUT_PLAIN_NAME)
            && mlp_scan_name(s, &m->input_names[next]))
        {
            j = next;

        } else {
            /*
             * Another key, or the first (read by the caller): looked up.
             * A key read as a string never equals the next name where
             * that is not plain, nor where it is (read in place above).
             */
            if (key == NULL && mlp_scan_key(s, &key, &len) != 0) {
                return MLP_SCAN_FALLBACK;
            }

            j = mlp_model_feature_index(m, key, len);
        }

        next = (uint32_t) j + 1;

        /* unknown and duplicate keys: the slow path names them */
        if (j < 0 || !mlp_is_unset(&x[j])) {
            return MLP_SCAN_FALLBACK;
        }

        mlp_scan_ws(s);

        if (mlp_scan_value(m, s, (uint32_t) j, &x[j]) != 0) {
            return MLP_SCAN_FALLBACK;
        }

        n++;
        key = NULL;

        if (mlp_scan_char(s, '}')) {
            break;
        }

        if (!mlp_scan_char(s, ',')) {
            return MLP_SCAN_FALLBACK;
        }
    }

    if (n == m->n_inputs) {
        return 0;
    }

    /* inputs left out are missing values, where the model takes them */
    for (i = 0; i < m->n_inputs; i++) {
        if (mlp_is_unset(&x[i])) {
            if (!(m->inputs[i].flags & MLP_INPUT_MISSING)) {
                return MLP_SCAN_FALLBACK;
            }

            x[i] = NAN;
        }
    }

    return 0;
}


static int
mlp_scan_end(mlp_scan_t *s)
{
    if (!mlp_scan_char(s, '}')) {
        return MLP_SCAN_FALLBACK;
    }

    mlp_scan_ws(s);

    return s->p == s->end ? 0 : MLP_SCAN_FALLBACK;
}


int
mlp_scan_request(const mlp_model_t *m, const char *body, size_t len,
    size_t max_rows, mlp_alloc_t *a, mlp_request_t *req)
{
    size_t       klen, cap, rows, nf;
    double      *x;
    mlp_scan_t   s;
    const char  *key;

    s.p = body;
    s.end = body + len;
    nf = m->n_inputs;

    /* the body must end with '}' (and white space): see mlp_scan_number */
    while (s.end > s.p && (s.end[-1] == ' ' || s.end[-1] == '\n'
                           || s.end[-1] == '\r' || s.end[-1] == '\t'))
    {
        s.end--;
    }

    if (s.end == s.p || s.end[-1] != '}') {
        return MLP_SCAN_FALLBACK;
    }

    if (!mlp_scan_char(&s, '{') || mlp_scan_key(&s, &key, &klen) != 0) {
        return MLP_SCAN_FALLBACK;
    }

    mlp_scan_ws(&s);

    if (s.p < s.end && *s.p == '[' && klen == 9
        && memcmp(key, "instances", 9) == 0)
    {
        /*
         * Each row takes at least 2 bytes a feature ("0,"), so the body
         * bounds the rows: no more memory than a few times the body.
         */
        cap = len / (2 * nf) + 1;

        if (cap > max_rows) {
            cap = max_rows;
        }

        x = a->alloc(a->data, cap * nf * sizeof(double));
        if (x == NULL) {
            return MLP_SCAN_FALLBACK;
        }

        s.p++;
        rows = 0;

        do {
            if (rows == cap) {
                return MLP_SCAN_FALLBACK;
            }

            mlp_scan_ws(&s);

            if (s.p < s.end && *s.p == '{') {
                s.p++;

                if (mlp_scan_named_row(m, &s, x + rows * nf, NULL, 0) != 0) {
                    return MLP_SCAN_FALLBACK;
                }

            } else if (mlp_scan_array_row(m, &s, x + rows * nf) != 0) {
                return MLP_SCAN_FALLBACK;
            }

            rows++;

        } while (mlp_scan_char(&s, ','));

        if (!mlp_scan_char(&s, ']') || mlp_scan_end(&s) != 0) {
            return MLP_SCAN_FALLBACK;
        }

        req->shape = MLP_SHAPE_INSTANCES;
        req->rows = rows;
        req->x = x;

        return 0;
    }

    x = a->alloc(a->data, nf * sizeof(double));
    if (x == NULL) {
        return MLP_SCAN_FALLBACK;
    }

    if (s.p < s.end && *s.p == '[' && klen == 8
        && memcmp(key, "features", 8) == 0)
    {
        if (mlp_scan_array_row(m, &s, x) != 0 || mlp_scan_end(&s) != 0) {
            return MLP_SCAN_FALLBACK;
        }

        req->shape = MLP_SHAPE_FEATURES;

    } else {
        if (mlp_scan_named_row(m, &s, x, key, klen) != 0) {
            return MLP_SCAN_FALLBACK;
        }

        mlp_scan_ws(&s);

        if (s.p != s.end) {
            return MLP_SCAN_FALLBACK;
        }

        req->shape = MLP_SHAPE_NAMED;
    }

    req->rows = 1;
    req->x = x;

    return 0;
}
