
/*
 * libsvm's text model -> a kind 4 model file (models/FORMAT.md).
 *
 * The text is what svm_save_model writes (svm-train's output): header lines
 * "key value ..." up to "SV", then one line per support vector, its
 * nr_class - 1 coefficients and its sparse index:value pairs. libsvm's own
 * reader trusts the file; this one checks every number, every count against
 * the others and every size before it allocates, and names the line of
 * anything it refuses, because a model file that loads is served to
 * clients. The support vectors are written dense: f1 .. fN, libsvm's
 * 1-based indices. libsvm's sign conventions are kept (sklearn_sign clear)
 * and binary_direct is set: libsvm 3.24 (Debian 12's) answers two classes'
 * probability with the pair's sigmoid itself, without pairwise coupling.
 */

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"
#include "mlp_writer.h"
#include "mlp_libsvm.h"


/* the most support vectors, and the longest number token, taken */
#define MLP_LS_MAX_SV       100000000u
#define MLP_LS_MAX_TOKEN    64

#define MLP_LS_SVM_TYPE     0x001
#define MLP_LS_KERNEL       0x002
#define MLP_LS_DEGREE       0x004
#define MLP_LS_GAMMA        0x008
#define MLP_LS_COEF0        0x010
#define MLP_LS_NR_CLASS     0x020
#define MLP_LS_TOTAL_SV     0x040
#define MLP_LS_RHO          0x080
#define MLP_LS_LABEL        0x100
#define MLP_LS_PROB_A       0x200
#define MLP_LS_PROB_B       0x400
#define MLP_LS_NR_SV        0x800


typedef struct {
    const char               *p;        /* the next line */
    const char               *end;
    const char               *s;        /* the current line */
    const char               *e;
    size_t                    line;
} mlp_ls_text_t;




static const char  *mlp_ls_svm_types[] = {
    "c_svc", "nu_svc", "one_class", "epsilon_svr", "nu_svr", NULL
};

static const char  *mlp_ls_kernels[] = {
    "linear", "polynomial", "rbf", "sigmoid", NULL
};


static int mlp_ls_next_line(mlp_ls_text_t *t);
static int mlp_ls_token(mlp_ls_text_t *t, const char **tok, size_t *len);
static int mlp_ls_double(const char *tok, size_t len, double *d);
static int mlp_ls_long(const char *tok, size_t len, long min, long max,
    long *v);
static int mlp_ls_header(mlp_ls_text_t *t, mlp_libsvm_model_t *ls, char *err,
    size_t errlen);
static int mlp_ls_numbers(mlp_ls_text_t *t, const char *key, uint32_t n,
    double *d, long *l, long min, long max, char *err, size_t errlen);
static int mlp_ls_sv_line(mlp_ls_text_t *t, mlp_libsvm_model_t *ls,
    double *coef, double *row, char *err, size_t errlen);
static int mlp_ls_vectors(mlp_ls_text_t *t, mlp_libsvm_model_t *ls,
    uint32_t n_features, char *err, size_t errlen);
static int mlp_ls_writer(mlp_libsvm_model_t *ls, int named, uint32_t flags,
    mlp_writer_t *w, char *err, size_t errlen);
static int mlp_ls_parse(const char *text, size_t len, uint32_t n_features,
    mlp_libsvm_model_t *ls, mlp_writer_t *w, char *err, size_t errlen);


int
mlp_libsvm_detect(const char *text, size_t len)
{
    size_t  i;

    for (i = 0; i < len && (text[i] == ' ' || text[i] == '\t'
                            || text[i] == '\r' || text[i] == '\n'); i++)
    { /* void */ }

    return len - i > 9 && memcmp(text + i, "svm_type", 8) == 0
           && (text[i + 8] == ' ' || text[i + 8] == '\t');
}


/* Moves to the next line: 0, or -1 at the end of the text. */

static int
mlp_ls_next_line(mlp_ls_text_t *t)
{
    const char  *nl;

    if (t->p >= t->end) {
        return -1;
    }

    nl = memchr(t->p, '\n', t->end - t->p);

    t->s = t->p;
    t->e = nl ? nl : t->end;
    t->p = nl ? nl + 1 : t->end;
    t->line++;

    /* a file that went through a Windows editor */
    if (t->e > t->s && t->e[-1] == '\r') {
        t->e--;
    }

    return 0;
}


/* The next token of the current line: 0, or -1 when there is none. */

static int
mlp_ls_token(mlp_ls_text_t *t, const char **tok, size_t *len)
{
    const char  *q;

    while (t->s < t->e && (*t->s == ' ' || *t->s == '\t')) {
        t->s++;
    }

    if (t->s == t->e) {
        return -1;
    }

    for (q = t->s; q < t->e && *q != ' ' && *q != '\t'; q++) {
        /* void */
    }

    *tok = t->s;
    *len = q - t->s;
    t->s = q;

    return 0;
}


/* A finite number taking the whole token, as strtod reads it. */

static int
mlp_ls_double(const char *tok, size_t len, double *d)
{
    char   buf[MLP_LS_MAX_TOKEN + 1], *end;

    if (len == 0 || len > MLP_LS_MAX_TOKEN) {
        return -1;
    }

    memcpy(buf, tok, len);
    buf[len] = '\0';

    *d = strtod(buf, &end);

    /* an underflow to a subnormal is a number; an overflow is not */
    if (end != buf + len || !isfinite(*d)) {
        return -1;
    }

    return 0;
}


/* An integer in [min, max], decimal digits with an optional sign. */

static int
mlp_ls_long(const char *tok, size_t len, long min, long max, long *v)
{
    char   buf[MLP_LS_MAX_TOKEN + 1], *end;

    if (len == 0 || len > 20) {
        return -1;
    }

    memcpy(buf, tok, len);
    buf[len] = '\0';

    if (!(buf[0] == '-' || buf[0] == '+' || (buf[0] >= '0' && buf[0] <= '9')))
    {
        return -1;
    }

    errno = 0;
    *v = strtol(buf, &end, 10);

    if (end != buf + len || errno != 0 || *v < min || *v > max) {
        return -1;
    }

    return 0;
}


/* n numbers after the key, and nothing else on the line */

static int
mlp_ls_numbers(mlp_ls_text_t *t, const char *key, uint32_t n, double *d,
    long *l, long min, long max, char *err, size_t errlen)
{
    size_t       len;
    uint32_t     i;
    const char  *tok;

    for (i = 0; i < n; i++) {
        if (mlp_ls_token(t, &tok, &len) != 0) {
            mlp_fail(err, errlen, "line %zu: %s has %u value%s, %u expected",
                     t->line, key, i, i == 1 ? "" : "s", n);
            return -1;
        }

        if (d != NULL ? mlp_ls_double(tok, len, &d[i])
                      : mlp_ls_long(tok, len, min, max, &l[i]))
        {
            mlp_fail(err, errlen, "line %zu: %s value %u \"%.*s\" is not %s",
                     t->line, key, i + 1, (int) (len > 40 ? 40 : len), tok,
                     d != NULL ? "a finite number" : "an integer in range");
            return -1;
        }
    }

    if (mlp_ls_token(t, &tok, &len) == 0) {
        mlp_fail(err, errlen, "line %zu: %s has more than the %u value%s "
                 "expected", t->line, key, n, n == 1 ? "" : "s");
        return -1;
    }

    return 0;
}


/* The header, up to and including the "SV" line. */

static int
mlp_ls_header(mlp_ls_text_t *t, mlp_libsvm_model_t *ls, char *err, size_t errlen)
{
    long          v, *lv;
    size_t        len, vlen, i;
    uint32_t      bit, n;
    const char   *tok, *val, **names;
    double      **dst;

    for ( ;; ) {
        if (mlp_ls_next_line(t) != 0) {
            mlp_fail(err, errlen, "line %zu: the text ends before the \"SV\" "
                     "line", t->line);
            return -1;
        }

        if (mlp_ls_token(t, &tok, &len) != 0) {
            continue;                       /* a blank line */
        }

#define MLP_LS_KEY(k)  (len == sizeof(k) - 1 && memcmp(tok, k, len) == 0)

        if (MLP_LS_KEY("SV")) {
            if (mlp_ls_token(t, &val, &vlen) == 0) {
                mlp_fail(err, errlen, "line %zu: text after \"SV\"",
                         t->line);
                return -1;
            }

            return 0;
        }

        if (MLP_LS_KEY("svm_type") || MLP_LS_KEY("kernel_type")) {
            bit = tok[0] == 's' ? MLP_LS_SVM_TYPE : MLP_LS_KERNEL;
            names = bit == MLP_LS_SVM_TYPE ? mlp_ls_svm_types
                                           : mlp_ls_kernels;

        } else if (MLP_LS_KEY("degree")) {
            bit = MLP_LS_DEGREE;
        } else if (MLP_LS_KEY("gamma")) {
            bit = MLP_LS_GAMMA;
        } else if (MLP_LS_KEY("coef0")) {
            bit = MLP_LS_COEF0;
        } else if (MLP_LS_KEY("nr_class")) {
            bit = MLP_LS_NR_CLASS;
        } else if (MLP_LS_KEY("total_sv")) {
            bit = MLP_LS_TOTAL_SV;
        } else if (MLP_LS_KEY("rho")) {
            bit = MLP_LS_RHO;
        } else if (MLP_LS_KEY("label")) {
            bit = MLP_LS_LABEL;
        } else if (MLP_LS_KEY("probA")) {
            bit = MLP_LS_PROB_A;
        } else if (MLP_LS_KEY("probB")) {
            bit = MLP_LS_PROB_B;
        } else if (MLP_LS_KEY("nr_sv")) {
            bit = MLP_LS_NR_SV;

        } else {
            mlp_fail(err, errlen, "line %zu: unknown header line \"%.*s\" "
                     "(not a libsvm model, or a newer libsvm's)", t->line,
                     (int) (len > 40 ? 40 : len), tok);
            return -1;
        }

#undef MLP_LS_KEY

        if (ls->seen & bit) {
            mlp_fail(err, errlen, "line %zu: \"%.*s\" given twice", t->line,
                     (int) len, tok);
            return -1;
        }

        ls->seen |= bit;

        if (bit == MLP_LS_SVM_TYPE || bit == MLP_LS_KERNEL) {
            if (mlp_ls_token(t, &val, &vlen) != 0) {
                mlp_fail(err, errlen, "line %zu: \"%.*s\" without a value",
                         t->line, (int) len, tok);
                return -1;
            }

            for (i = 0; names[i]; i++) {
                if (strlen(names[i]) == vlen
                    && memcmp(names[i], val, vlen) == 0)
                {
                    break;
                }
            }

            if (names[i] == NULL) {
                mlp_fail(err, errlen, "line %zu: %.*s \"%.*s\" is not "
                         "supported (%s)", t->line, (int) len, tok,
                         (int) (vlen > 40 ? 40 : vlen), val,
                         bit == MLP_LS_SVM_TYPE
                         ? "c_svc, nu_svc, one_class, epsilon_svr, nu_svr"
                         : "linear, polynomial, rbf, sigmoid; a precomputed "
                           "kernel needs the training rows");
                return -1;
            }

            if (mlp_ls_token(t, &val, &vlen) == 0) {
                mlp_fail(err, errlen, "line %zu: text after the %.*s",
                         t->line, (int) len, tok);
                return -1;
            }

            if (bit == MLP_LS_SVM_TYPE) {
                ls->svm_type = (uint32_t) i;
            } else {
                ls->kernel = (uint32_t) i;
            }

            continue;
        }

        if (bit == MLP_LS_GAMMA || bit == MLP_LS_COEF0) {
            if (mlp_ls_numbers(t, bit == MLP_LS_GAMMA ? "gamma" : "coef0", 1,
                               &ls->kernel_params[bit == MLP_LS_COEF0],
                               NULL, 0, 0, err, errlen)
                != 0)
            {
                return -1;
            }

            continue;
        }

        if (bit == MLP_LS_DEGREE || bit == MLP_LS_NR_CLASS
            || bit == MLP_LS_TOTAL_SV)
        {
            if (mlp_ls_numbers(t, bit == MLP_LS_DEGREE ? "degree"
                               : bit == MLP_LS_NR_CLASS ? "nr_class"
                               : "total_sv", 1, NULL, &v,
                               bit == MLP_LS_DEGREE ? 0 : 1,
                               bit == MLP_LS_DEGREE ? 1000
                               : bit == MLP_LS_NR_CLASS ? MLP_SVM_MAX_CLASSES
                               : (long) MLP_LS_MAX_SV, err, errlen)
                != 0)
            {
                return -1;
            }

            if (bit == MLP_LS_DEGREE) {
                ls->degree = (uint32_t) v;

            } else if (bit == MLP_LS_NR_CLASS) {
                ls->nr_class = (uint32_t) v;
                ls->n_pairs = ls->nr_class * (ls->nr_class - 1) / 2;

            } else {
                ls->total_sv = (uint32_t) v;
            }

            continue;
        }

        /* the arrays: their lengths come from nr_class, as for libsvm */

        if (!(ls->seen & MLP_LS_NR_CLASS)) {
            mlp_fail(err, errlen, "line %zu: \"%.*s\" before nr_class",
                     t->line, (int) len, tok);
            return -1;
        }

        if (bit == MLP_LS_LABEL || bit == MLP_LS_NR_SV) {
            n = ls->nr_class;
            lv = malloc(n * sizeof(long));

            if (lv == NULL) {
                mlp_fail(err, errlen, "out of memory");
                return -1;
            }

            if (bit == MLP_LS_LABEL) {
                ls->label = lv;

            } else {
                ls->nr_sv = malloc(n * sizeof(uint32_t));
                if (ls->nr_sv == NULL) {
                    free(lv);
                    mlp_fail(err, errlen, "out of memory");
                    return -1;
                }
            }

            if (mlp_ls_numbers(t, bit == MLP_LS_LABEL ? "label" : "nr_sv",
                               n, NULL, lv,
                               bit == MLP_LS_LABEL ? -2147483647L - 1 : 0,
                               bit == MLP_LS_LABEL ? 2147483647L
                                                   : (long) MLP_LS_MAX_SV,
                               err, errlen)
                != 0)
            {
                if (bit == MLP_LS_NR_SV) {
                    free(lv);
                }

                return -1;
            }

            if (bit == MLP_LS_NR_SV) {
                for (i = 0; i < n; i++) {
                    ls->nr_sv[i] = (uint32_t) lv[i];
                }

                free(lv);
            }

            continue;
        }

        dst = bit == MLP_LS_RHO ? &ls->rho
              : bit == MLP_LS_PROB_A ? &ls->prob_a : &ls->prob_b;

        *dst = malloc(ls->n_pairs * sizeof(double) + 1);
        if (*dst == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        if (mlp_ls_numbers(t, bit == MLP_LS_RHO ? "rho"
                           : bit == MLP_LS_PROB_A ? "probA" : "probB",
                           ls->n_pairs, *dst, NULL, 0, 0, err, errlen)
            != 0)
        {
            return -1;
        }
    }
}


/*
 * One support vector line: the coefficients, then ascending index:value
 * pairs. coef and row NULL: checked and measured only (the first pass).
 */

static int
mlp_ls_sv_line(mlp_ls_text_t *t, mlp_libsvm_model_t *ls, double *coef,
    double *row, char *err, size_t errlen)
{
    long          index, prev;
    double        d;
    size_t        len;
    uint32_t      i, n_coef;
    const char   *tok, *colon;

    n_coef = ls->nr_class - 1;

    for (i = 0; i < n_coef; i++) {
        if (mlp_ls_token(t, &tok, &len) != 0
            || memchr(tok, ':', len) != NULL
            || mlp_ls_double(tok, len, &d) != 0)
        {
            mlp_fail(err, errlen, "line %zu: coefficient %u of %u is missing "
                     "or not a finite number", t->line, i + 1, n_coef);
            return -1;
        }

        if (coef != NULL) {
            coef[(size_t) i * ls->total_sv] = d;
        }
    }

    prev = 0;

    while (mlp_ls_token(t, &tok, &len) == 0) {
        colon = memchr(tok, ':', len);

        if (colon == NULL
            || mlp_ls_long(tok, colon - tok, 1, MLP_MAX_FEATURES, &index)
               != 0
            || mlp_ls_double(colon + 1, len - (colon + 1 - tok), &d) != 0)
        {
            mlp_fail(err, errlen, "line %zu: \"%.*s\" is not index:value "
                     "(an index 1 to %d, a finite number)", t->line,
                     (int) (len > 40 ? 40 : len), tok, MLP_MAX_FEATURES);
            return -1;
        }

        /* libsvm's kernels walk both vectors in index order */
        if (index <= prev) {
            mlp_fail(err, errlen, "line %zu: feature index %ld after %ld: "
                     "indices must ascend", t->line, index, prev);
            return -1;
        }

        if (ls->n_features && (uint32_t) index > ls->n_features) {
            mlp_fail(err, errlen, "line %zu: feature index %ld, over the %u "
                     "features given", t->line, index, ls->n_features);
            return -1;
        }

        prev = index;

        if ((uint32_t) index > ls->max_index) {
            ls->max_index = (uint32_t) index;
        }

        if (row != NULL) {
            row[index - 1] = d;
        }
    }

    return 0;
}


/* The support vectors: counted and checked, then read into dense rows. */

static int
mlp_ls_vectors(mlp_ls_text_t *t, mlp_libsvm_model_t *ls, uint32_t n_features,
    char *err, size_t errlen)
{
    size_t         n, width;
    const char    *tok;
    mlp_ls_text_t  start;

    start = *t;
    n = 0;
    ls->n_features = n_features;

    while (mlp_ls_next_line(t) == 0) {
        if (n == ls->total_sv) {
            /* only blank lines may follow the last vector */
            if (mlp_ls_token(t, &tok, &width) == 0) {
                mlp_fail(err, errlen, "line %zu: more support vectors than "
                         "total_sv %u", t->line, ls->total_sv);
                return -1;
            }

            continue;
        }

        if (mlp_ls_sv_line(t, ls, NULL, NULL, err, errlen) != 0) {
            return -1;
        }

        n++;
    }

    if (n != ls->total_sv) {
        mlp_fail(err, errlen, "line %zu: the text ends after %zu support "
                 "vectors, total_sv is %u", t->line, n, ls->total_sv);
        return -1;
    }

    if (ls->n_features == 0) {
        ls->n_features = ls->max_index ? ls->max_index : 1;
    }

    width = ls->n_features;

    if ((uint64_t) ls->total_sv * width > MLP_LIBSVM_MAX_VALUES) {
        mlp_fail(err, errlen, "%u support vectors of %zu features: over the "
                 "%llu values taken", ls->total_sv, width,
                 (unsigned long long) MLP_LIBSVM_MAX_VALUES);
        return -1;
    }

    ls->sv = calloc((size_t) ls->total_sv * width, sizeof(double));
    ls->coef = malloc(((size_t) ls->total_sv * (ls->nr_class - 1) + 1)
                      * sizeof(double));

    if (ls->sv == NULL || ls->coef == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    *t = start;

    for (n = 0; n < ls->total_sv; n++) {
        (void) mlp_ls_next_line(t);

        if (mlp_ls_sv_line(t, ls, ls->coef + n, ls->sv + n * width, err,
                           errlen)
            != 0)
        {
            return -1;
        }
    }

    return 0;
}


void
mlp_libsvm_model_free(mlp_libsvm_model_t *ls)
{
    free(ls->rho);
    free(ls->prob_a);
    free(ls->prob_b);
    free(ls->label);
    free(ls->nr_sv);
    free(ls->sv);
    free(ls->coef);
    free(ls->names);
    free(ls->labels);
    free(ls->producer);
}


/*
 * The sections, pointing into ls. named: a converted file's own names
 * (f1 .. fN, libsvm's labels) and producer; else they are the caller's.
 */

static int
mlp_ls_writer(mlp_libsvm_model_t *ls, int named, uint32_t flags,
    mlp_writer_t *w, char *err, size_t errlen)
{
    int          classifier;
    char        *p, *e;
    size_t       i, size;
    uint32_t     k, *params;

    k = ls->nr_class;
    classifier = ls->svm_type <= MLP_SVM_NU_SVC;

    if (classifier) {
        flags |= MLP_SVM_BINARY_DIRECT;

        if (ls->prob_a != NULL) {
            flags |= MLP_SVM_PROBABILITY;
        }
    }

    if (!named) {
        goto sections;
    }

    /* names f1 .. fN: at most 8 bytes each with the NUL */
    ls->names = malloc((size_t) ls->n_features * 9 + 1);
    ls->labels = malloc((size_t) k * 13 + 1);
    size = 512 + (size_t) k * 26;
    ls->producer = malloc(size);

    if (ls->names == NULL || ls->labels == NULL || ls->producer == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    p = ls->names;

    for (i = 0; i < ls->n_features; i++) {
        p += snprintf(p, 10, "f%zu", i + 1) + 1;
    }

    memset(w, 0, sizeof(mlp_writer_t));

    mlp_writer_add(w, MLP_SEC_FEATURE_NAMES, MLP_DTYPE_STRINGS, ls->names,
                   p - ls->names, ls->n_features);

    if (classifier) {
        p = ls->labels;

        for (i = 0; i < k; i++) {
            p += snprintf(p, 13, "%ld", ls->label[i]) + 1;
        }

        mlp_writer_add(w, MLP_SEC_CLASS_LABELS, MLP_DTYPE_STRINGS,
                       ls->labels, p - ls->labels, k);
    }

    /* the producer: what GET shows of where the model came from */
    p = ls->producer;
    e = p + size;
    p += snprintf(p, e - p, "{\"library\":\"libsvm\",\"svm_type\":\"%s\","
                  "\"kernel\":\"%s\"", mlp_ls_svm_types[ls->svm_type],
                  mlp_ls_kernels[ls->kernel]);

    if (ls->kernel != MLP_SVM_LINEAR) {
        p += snprintf(p, e - p, ",\"gamma\":%.17g", ls->kernel_params[0]);
    }

    if (ls->kernel == MLP_SVM_POLY || ls->kernel == MLP_SVM_SIGMOID) {
        p += snprintf(p, e - p, ",\"coef0\":%.17g", ls->kernel_params[1]);
    }

    if (ls->kernel == MLP_SVM_POLY) {
        p += snprintf(p, e - p, ",\"degree\":%u", ls->degree);
    }

    p += snprintf(p, e - p, ",\"n_support_vectors\":%u", ls->total_sv);

    if (classifier) {
        p += snprintf(p, e - p, ",\"labels\":[");

        for (i = 0; i < k; i++) {
            p += snprintf(p, e - p, "%s%ld", i ? "," : "", ls->label[i]);
        }

        p += snprintf(p, e - p, "],\"n_support\":[");

        for (i = 0; i < k; i++) {
            p += snprintf(p, e - p, "%s%u", i ? "," : "", ls->nr_sv[i]);
        }

        p += snprintf(p, e - p, "],\"probability\":%s",
                      ls->prob_a != NULL ? "true" : "false");
    }

    snprintf(p, e - p, "}");

    mlp_writer_add(w, MLP_SEC_PRODUCER, MLP_DTYPE_STRINGS, ls->producer,
                   strlen(ls->producer) + 1, 1);

sections:

    w->kind = MLP_KIND_SVM;
    w->n_features = ls->n_features;
    w->n_outputs = classifier ? k : 1;
    w->link = MLP_LINK_IDENTITY;

    params = ls->params;
    params[0] = ls->svm_type;
    params[1] = ls->kernel;
    params[2] = k;
    params[3] = ls->total_sv;
    params[4] = flags;
    params[5] = ls->kernel == MLP_SVM_POLY ? ls->degree : 0;
    params[6] = params[7] = 0;

    mlp_writer_add(w, MLP_SEC_SVM_PARAMS, MLP_DTYPE_U32, params,
                   sizeof(ls->params), 8);
    mlp_writer_add(w, MLP_SEC_SVM_KERNEL, MLP_DTYPE_F64, ls->kernel_params,
                   sizeof(ls->kernel_params), 2);
    mlp_writer_add(w, MLP_SEC_SVM_VECTORS, MLP_DTYPE_F64, ls->sv,
                   (uint64_t) ls->total_sv * ls->n_features * 8,
                   (uint64_t) ls->total_sv * ls->n_features);
    mlp_writer_add(w, MLP_SEC_SVM_COEF, MLP_DTYPE_F64, ls->coef,
                   (uint64_t) ls->total_sv * (k - 1) * 8,
                   (uint64_t) ls->total_sv * (k - 1));
    mlp_writer_add(w, MLP_SEC_SVM_RHO, MLP_DTYPE_F64, ls->rho,
                   (uint64_t) ls->n_pairs * 8, ls->n_pairs);

    if (classifier) {
        mlp_writer_add(w, MLP_SEC_SVM_N_SV, MLP_DTYPE_U32, ls->nr_sv,
                       (uint64_t) k * 4, k);

        if (ls->prob_a != NULL) {
            mlp_writer_add(w, MLP_SEC_SVM_PROB_A, MLP_DTYPE_F64, ls->prob_a,
                           (uint64_t) ls->n_pairs * 8, ls->n_pairs);
            mlp_writer_add(w, MLP_SEC_SVM_PROB_B, MLP_DTYPE_F64, ls->prob_b,
                           (uint64_t) ls->n_pairs * 8, ls->n_pairs);
        }
    }

    return 0;
}


static int
mlp_ls_parse(const char *text, size_t len, uint32_t n_features,
    mlp_libsvm_model_t *ls, mlp_writer_t *w, char *err, size_t errlen)
{
    int            classifier;
    uint32_t       i, j, need;
    uint64_t       sum;
    mlp_ls_text_t  t;

    memset(ls, 0, sizeof(mlp_libsvm_model_t));

    if (len > MLP_LIBSVM_MAX_TEXT) {
        mlp_fail(err, errlen, "%zu bytes: over the %zu a libsvm model may "
                 "take", len, MLP_LIBSVM_MAX_TEXT);
        return -1;
    }

    if (memchr(text, '\0', len) != NULL) {
        mlp_fail(err, errlen, "a NUL byte: not a libsvm model (a text "
                 "file)");
        return -1;
    }

    if (n_features > MLP_MAX_FEATURES) {
        mlp_fail(err, errlen, "--n-features %u: at most %d", n_features,
                 MLP_MAX_FEATURES);
        return -1;
    }

    t.p = text;
    t.end = text + len;
    t.s = t.e = text;
    t.line = 0;

    if (mlp_ls_header(&t, ls, err, errlen) != 0) {
        return -1;
    }

    /* what libsvm's svm_save_model writes for the type and kernel */
    classifier = ls->svm_type <= MLP_SVM_NU_SVC;
    need = MLP_LS_SVM_TYPE | MLP_LS_KERNEL | MLP_LS_NR_CLASS | MLP_LS_TOTAL_SV
           | MLP_LS_RHO
           | (classifier ? MLP_LS_LABEL | MLP_LS_NR_SV : 0)
           | (ls->kernel == MLP_SVM_POLY ? MLP_LS_DEGREE : 0)
           | (ls->kernel != MLP_SVM_LINEAR ? MLP_LS_GAMMA : 0)
           | (ls->kernel == MLP_SVM_POLY || ls->kernel == MLP_SVM_SIGMOID
              ? MLP_LS_COEF0 : 0);

    need &= ~ls->seen;

    if (need) {
        mlp_fail(err, errlen, "line %zu: the header has no %s", t.line,
                 (need & MLP_LS_SVM_TYPE) ? "svm_type"
                 : (need & MLP_LS_KERNEL) ? "kernel_type"
                 : (need & MLP_LS_NR_CLASS) ? "nr_class"
                 : (need & MLP_LS_TOTAL_SV) ? "total_sv"
                 : (need & MLP_LS_RHO) ? "rho"
                 : (need & MLP_LS_LABEL) ? "label"
                 : (need & MLP_LS_NR_SV) ? "nr_sv"
                 : (need & MLP_LS_DEGREE) ? "degree"
                 : (need & MLP_LS_GAMMA) ? "gamma" : "coef0");
        return -1;
    }

    if (classifier) {
        if (ls->nr_class < 2) {
            mlp_fail(err, errlen, "nr_class %u: a classifier needs 2 classes "
                     "or more (libsvm trained on one class)", ls->nr_class);
            return -1;
        }

        if ((ls->prob_a == NULL) != (ls->prob_b == NULL)) {
            mlp_fail(err, errlen, "probA without probB, or probB without "
                     "probA");
            return -1;
        }

        sum = 0;

        for (i = 0; i < ls->nr_class; i++) {
            sum += ls->nr_sv[i];

            for (j = 0; j < i; j++) {
                if (ls->label[i] == ls->label[j]) {
                    mlp_fail(err, errlen, "label %ld appears twice",
                             ls->label[i]);
                    return -1;
                }
            }
        }

        if (sum != ls->total_sv) {
            mlp_fail(err, errlen, "nr_sv adds up to %llu support vectors, "
                     "total_sv is %u", (unsigned long long) sum,
                     ls->total_sv);
            return -1;
        }

    } else {
        if (ls->nr_class != 2) {
            mlp_fail(err, errlen, "nr_class %u for %s (libsvm writes 2)",
                     ls->nr_class, mlp_ls_svm_types[ls->svm_type]);
            return -1;
        }

        if (ls->seen & (MLP_LS_LABEL | MLP_LS_NR_SV)) {
            mlp_fail(err, errlen, "label or nr_sv in a %s model",
                     mlp_ls_svm_types[ls->svm_type]);
            return -1;
        }

        /* an svr's probA is its Laplace scale, not used by predictions */
        free(ls->prob_a);
        free(ls->prob_b);
        ls->prob_a = ls->prob_b = NULL;
    }

    if (mlp_ls_vectors(&t, ls, n_features, err, errlen) != 0) {
        return -1;
    }

    return mlp_ls_writer(ls, 1, 0, w, err, errlen);
}


int
mlp_libsvm_sections(mlp_libsvm_model_t *ls, uint32_t flags, mlp_writer_t *w,
    char *err, size_t errlen)
{
    ls->n_pairs = ls->nr_class * (ls->nr_class - 1) / 2;

    return mlp_ls_writer(ls, 0, flags, w, err, errlen);
}


int
mlp_libsvm_build(const char *text, size_t len, uint32_t n_features,
    unsigned char **file, size_t *file_len, char *err, size_t errlen)
{
    int             rc;
    mlp_writer_t    w;
    mlp_libsvm_model_t  ls;

    rc = mlp_ls_parse(text, len, n_features, &ls, &w, err, errlen);

    if (rc == 0) {
        *file = mlp_writer_build(&w, file_len);

        if (*file == NULL) {
            mlp_fail(err, errlen, "out of memory");
            rc = -1;
        }
    }

    mlp_libsvm_model_free(&ls);

    return rc;
}


int
mlp_convert_libsvm(const char *in, const char *out, uint32_t n_features,
    char *err, size_t errlen)
{
    int             rc;
    char           *text, *np;
    FILE           *f;
    size_t          n, cap;
    mlp_writer_t    w;
    mlp_libsvm_model_t  ls;

    f = fopen(in, "rb");
    if (f == NULL) {
        mlp_fail(err, errlen, "%s: %s", in, strerror(errno));
        return -1;
    }

    cap = 65536;
    n = 0;
    text = malloc(cap);

    while (text != NULL) {
        n += fread(text + n, 1, cap - n, f);

        if (n < cap || cap > MLP_LIBSVM_MAX_TEXT) {
            break;
        }

        np = realloc(text, cap * 2);
        if (np == NULL) {
            free(text);
            text = NULL;
            break;
        }

        text = np;
        cap *= 2;
    }

    if (text == NULL || ferror(f)) {
        mlp_fail(err, errlen, "%s: %s", in,
                 text == NULL ? "out of memory" : strerror(errno));
        fclose(f);
        free(text);
        return -1;
    }

    fclose(f);

    rc = mlp_ls_parse(text, n, n_features, &ls, &w, err, errlen);

    if (rc == 0) {
        rc = mlp_writer_save(&w, out, err, errlen);

    } else {
        /* the line is in the reason; the file gives it its place */
        char  reason[MLP_ERR_LEN];

        snprintf(reason, sizeof(reason), "%s", err);
        mlp_fail(err, errlen, "%s: %s", in, reason);
    }

    mlp_libsvm_model_free(&ls);
    free(text);

    return rc;
}
