
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


static int mlp_parse_named(const mlp_model_t *m, json_t *row, size_t r,
    int batch, double *x, mlp_error_t *err);
static void *mlp_json_alloc(size_t size);
static void mlp_json_free(void *p);
static int mlp_json_prepass(const char *p, size_t len, size_t *bound,
    mlp_error_t *err);


/*
 * jansson is never handed a budget it can exhaust: it does not survive an
 * allocation failure inside its lexer (2.14 asserts, or writes past a
 * buffer, in lex_unget_unsave). A single pass over the body first refuses
 * nesting deeper than any request shape needs and bounds, from its tokens,
 * everything jansson can allocate parsing it; that much is reserved from
 * the request's arena before jansson starts, and jansson's allocator only
 * bumps a pointer inside the reserve.
 *
 * The bound is jansson 2.14's own arithmetic (value.c, hashtable.c,
 * strbuffer.c, load.c), each allocation rounded up to 16 bytes:
 *   every string token of t bytes (quotes included): the lexer's decoded
 *     copy, t + 1: at most t + 16
 *   a key (a string followed by ':'): its pair, 56 + t - 2 + 1: at most
 *     t + 70, and the bucket arrays its object doubles into: under 64
 *   a string value: a json_string_t, 32
 *   a number: a json_real_t, 32; true, false and null cost nothing
 *   object: json_object_t (72) and 8 buckets (128): 208
 *   array: json_array_t (40) and 8 slots (64): 112, and the tables it
 *     doubles into: under 32 an element
 *   the lexer's token buffer: its first 16 bytes, then doubling, under 4
 *     times the longest token and the byte read past a number and given back
 * A string followed by ':' is charged as a key even where jansson stops
 * at it: a key costs more than anything jansson makes of a string. The
 * unit tests and the request fuzzer check that no parse comes near it,
 * and mlp_init checks worst cases against the jansson it is linked with.
 */

#define MLP_JSON_MAX_DEPTH     32
#define MLP_JSON_KEY(t)        (2 * (t) + 16 + 70 + 64)
#define MLP_JSON_STRING(t)     ((t) + 16 + 32)
#define MLP_JSON_NUMBER        32
#define MLP_JSON_OBJECT        208
#define MLP_JSON_ARRAY         112
#define MLP_JSON_ELEMENT       32
#define MLP_JSON_LEXER(t)      (16 + 4 * ((t) + 2))

/* what a body may make jansson take: past it, the body is refused */
#define MLP_JSON_BUDGET(len)   (64 * (len) + 65536)

/* the matrix may take this much whatever the body (sparse named rows) */
#define MLP_MATRIX_FREE        (64 * 1024 * 1024)


typedef struct {
    char                     *next;
    char                     *end;
    mlp_alloc_t              *arena;
    json_malloc_t             prev_alloc;
    json_free_t               prev_free;
    mlp_json_stats_t          stats;
} mlp_json_reserve_t;


/* jansson's allocator is process-wide: it points here during a parse */
static mlp_json_reserve_t  mlp_json_reserve;


static int
mlp_json_prepass(const char *p, size_t len, size_t *bound, mlp_error_t *err)
{
    size_t    i, start, depth, longest, total, t;
    uint64_t  arrays;       /* bit d: the container at depth d is an array */

    depth = 0;
    arrays = 0;
    longest = 0;
    total = MLP_JSON_SLACK;

    for (i = 0; i < len; /* void */) {

        switch (p[i]) {

        case ' ':
        case '\t':
        case '\n':
        case '\r':
        case ',':
        case ':':
            i++;
            continue;

        case '{':
        case '[':
            if (depth == MLP_JSON_MAX_DEPTH) {
                mlp_error_set(err, 400, "JSON nested deeper than %d levels "
                              "at offset %zu: a request nests at most a few",
                              MLP_JSON_MAX_DEPTH, i);
                return -1;
            }

            total += (p[i] == '{') ? MLP_JSON_OBJECT : MLP_JSON_ARRAY;
            total += ((arrays >> depth) & 1) ? MLP_JSON_ELEMENT : 0;

            depth++;
            arrays &= ~((uint64_t) 1 << depth);
            arrays |= (uint64_t) (p[i] == '[') << depth;

            i++;
            continue;

        case '}':
        case ']':
            /* jansson stops at a closer that closes nothing */
            if (depth > 0) {
                depth--;
            }

            i++;
            continue;

        case '"':
            /* as jansson's lexer delimits a string: '\\' hides a byte */
            start = i++;

            while (i < len && p[i] != '"') {
                i += (p[i] == '\\') ? 2 : 1;
            }

            i = (i < len) ? i + 1 : len;
            t = i - start;

            while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\n'
                               || p[i] == '\r'))
            {
                i++;
            }

            if (i < len && p[i] == ':') {
                total += MLP_JSON_KEY(t);

            } else {
                total += MLP_JSON_STRING(t);
                total += ((arrays >> depth) & 1) ? MLP_JSON_ELEMENT : 0;
            }

            break;

        default:
            /* a number, a literal, or bytes jansson stops at */
            start = i;

            while (i < len && p[i] != ' ' && p[i] != '\t' && p[i] != '\n'
                   && p[i] != '\r' && p[i] != ',' && p[i] != ':'
                   && p[i] != '{' && p[i] != '[' && p[i] != '}'
                   && p[i] != ']' && p[i] != '"')
            {
                i++;
            }

            t = i - start;

            if (p[start] != 't' && p[start] != 'f' && p[start] != 'n') {
                total += MLP_JSON_NUMBER;
            }

            total += ((arrays >> depth) & 1) ? MLP_JSON_ELEMENT : 0;
        }

        if (t > longest) {
            longest = t;
        }
    }

    *bound = total + MLP_JSON_LEXER(longest);

    return 0;
}


void
mlp_error_set(mlp_error_t *err, int status, const char *fmt, ...)
{
    va_list  args;

    char            *p;
    size_t           i, n, len;
    unsigned char    c;

    err->status = status;

    va_start(args, fmt);
    vsnprintf(err->message, MLP_ERR_LEN, fmt, args);
    va_end(args);

    /*
     * The message quotes client bytes and may have been cut anywhere: each
     * byte that does not begin a whole UTF-8 character becomes '?', so the
     * JSON answer is always valid text.
     */
    p = err->message;
    len = strlen(p);

    for (i = 0; i < len; i += n) {
        c = (unsigned char) p[i];
        n = (c < 0x80) ? 1 : (c < 0xe0) ? 2 : (c < 0xf0) ? 3 : 4;

        if (c >= 0x80
            && (n > len - i || !mlp_utf8_valid((unsigned char *) p + i, n)))
        {
            p[i] = '?';
            n = 1;
        }
    }
}


static void *
mlp_json_alloc(size_t size)
{
    void                *p;
    mlp_json_reserve_t  *jr;

    jr = &mlp_json_reserve;
    size = (size + 15) & ~(size_t) 15;

    if (size <= (size_t) (jr->end - jr->next)) {
        p = jr->next;
        jr->next += size;
        return p;
    }

    /*
     * Never reached while the bound holds (the tests and the fuzzer count
     * this): the arena fails only when the server's memory does.
     */
    jr->stats.overflows++;

    return jr->arena->alloc(jr->arena->data, size);
}


void
mlp_json_last_parse(mlp_json_stats_t *st)
{
    mlp_json_reserve_t  *jr;

    jr = &mlp_json_reserve;

    *st = jr->stats;
    st->used = jr->stats.reserved - (size_t) (jr->end - jr->next);
}


/*
 * jansson parses client bytes only between these two: from a reserve the
 * pre-pass sized, and back to the process's allocator after its values
 * are released.
 */

static int
mlp_json_begin(const char *body, size_t len, size_t budget, mlp_alloc_t *a,
    mlp_error_t *err)
{
    char                *block;
    size_t               bound;
    mlp_json_reserve_t  *jr;

    jr = &mlp_json_reserve;
    jr->next = NULL;
    jr->end = NULL;
    jr->stats.reserved = 0;
    jr->stats.overflows = 0;

    if (mlp_json_prepass(body, len, &bound, err) != 0) {
        return -1;
    }

    if (bound > budget) {
        mlp_error_set(err, 413, "the body has too many JSON values for its "
                      "size to parse");
        return -1;
    }

    block = a->alloc(a->data, bound + 16);
    if (block == NULL) {
        mlp_error_set(err, 500, "out of memory");
        return -1;
    }

    jr->next = (char *) (((uintptr_t) block + 15) & ~(uintptr_t) 15);
    jr->end = jr->next + bound;
    jr->arena = a;
    jr->stats.reserved = bound;
    jr->stats.parses++;

    json_get_alloc_funcs(&jr->prev_alloc, &jr->prev_free);
    json_set_alloc_funcs(mlp_json_alloc, mlp_json_free);

    return 0;
}


static void
mlp_json_end(json_t *root)
{
    mlp_json_reserve_t  *jr;

    jr = &mlp_json_reserve;

    /* with an arena this frees nothing, but keeps jansson's books right */
    json_decref(root);
    json_set_alloc_funcs(jr->prev_alloc, jr->prev_free);
    jr->arena = NULL;
}


/*
 * A whole body parsed by jansson inside the reserve, for the protocol
 * parsers (mlp_v2.c): NULL with err set; the value is given back, and
 * jansson's allocator restored, by mlp_json_release.
 */

json_t *
mlp_json_load(const char *body, size_t len, mlp_alloc_t *a, mlp_error_t *err)
{
    json_t        *root;
    json_error_t   e;

    if (mlp_json_begin(body, len, MLP_JSON_BUDGET(len), a, err) != 0) {
        return NULL;
    }

    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY
                                 | JSON_DECODE_INT_AS_REAL, &e);

    if (mlp_json_reserve.stats.overflows != 0) {
        mlp_error_set(err, 500, "jansson allocated past the reserve sized "
                      "for it");
        mlp_json_end(root);
        return NULL;
    }

    if (root == NULL) {
        if (e.text[0] == '\0') {
            mlp_error_set(err, 500, "out of memory");

        } else {
            mlp_error_set(err, 400, "malformed JSON at line %d, column %d: "
                          "%s", e.line, e.column, e.text);
        }

        mlp_json_end(NULL);
        return NULL;
    }

    return root;
}


void
mlp_json_release(json_t *root)
{
    mlp_json_end(root);
}


/* the self-check's arena: one reserve at a time, freed by the caller */

static void *
mlp_check_alloc(void *data, size_t size)
{
    void  **last;

    last = data;
    *last = malloc(size);

    return *last;
}


/*
 * The bound above is jansson 2.14's arithmetic: check it against the
 * jansson this process runs, on the bodies that make it allocate the most
 * per byte, before any client's body reaches it.
 */

int
mlp_json_selfcheck(char *err, size_t errlen)
{
    int                  i, k, ok;
    char                *p, *q;
    void                *block;
    size_t               n, c;
    json_t              *root;
    mlp_alloc_t          a;
    mlp_error_t          e;
    json_error_t         je;
    mlp_json_stats_t     st;

    static const char  *unit[] = {
        "0", "{}", "[]", "\"\"", "\"aaaaaaaaaaaaaaa\"", "{\"a\":0}",
        "{\"a\":0,\"b\":0,\"c\":0,\"d\":0,\"e\":0,\"f\":0,\"g\":0,"
        "\"h\":0,\"i\":0}", "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[0]]]]]]]]]]]]]]]]]"
        "]]]]]]]]]]]]]"
    };

    /* just past growths of jansson's tables: 8 slots, 16, 128 */
    static const size_t  counts[] = { 1, 9, 17, 129 };

    p = malloc(70000);
    if (p == NULL) {
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    a.alloc = mlp_check_alloc;
    a.data = &block;
    ok = 1;

    for (k = 0; ok && k < (int) (sizeof(unit) / sizeof(unit[0])); k++) {
        for (c = 0; ok && c < sizeof(counts) / sizeof(counts[0]); c++) {
            n = counts[c];
            q = p;
            *q++ = '[';

            for (i = 0; i < (int) n && q - p < 65000; i++) {
                q += sprintf(q, "%s%s", i ? "," : "", unit[k]);
            }

            *q++ = ']';

            /* no budget: the densest bodies too, that requests may not be */
            block = NULL;

            if (mlp_json_begin(p, q - p, (size_t) -1, &a, &e) != 0) {
                ok = 0;
                break;
            }

            root = json_loadb(p, q - p, JSON_REJECT_DUPLICATES
                              | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL,
                              &je);
            mlp_json_end(root);
            mlp_json_last_parse(&st);
            free(block);

            /* within the bound without its slack, and not past it */
            ok = (root != NULL && st.overflows == 0
                  && st.used + MLP_JSON_SLACK <= st.reserved);
        }
    }

    free(p);

    if (!ok) {
        mlp_fail(err, errlen, "the jansson library allocates more than the "
                 "bound for jansson 2.14 (body %d, %zu elements): this build "
                 "does not support it", k - 1, n);
        return -1;
    }

    return 0;
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
    req->explain = 0;

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
    int                  rc;
    size_t               r, n;
    json_t              *root, *inst, *feat, *expl;
    json_error_t         e;

    if (len == 0) {
        mlp_error_set(err, 400, "empty body: send a JSON object such as "
                      "{\"instances\": [[...]]}");
        return -1;
    }

    if (mlp_json_begin(body, len, MLP_JSON_BUDGET(len), a, err) != 0) {
        return -1;
    }

    rc = -1;

    root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY
                                 | JSON_DECODE_INT_AS_REAL, &e);

    if (mlp_json_reserve.stats.overflows != 0) {
        /* a server fault, not the client's: said loudly, never a crash */
        mlp_error_set(err, 500, "jansson allocated past the reserve sized "
                      "for it");
        goto done;
    }

    if (root == NULL) {
        if (e.text[0] == '\0') {
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

    /* "explain" beside the rows, unless the model has such a feature */
    req->explain = 0;
    expl = json_object_get(root, "explain");

    if (expl != NULL && mlp_model_feature_index(m, "explain", 7) < 0) {
        if (!json_is_boolean(expl)) {
            mlp_error_set(err, 400, "\"explain\" must be true or false, "
                          "not %s", mlp_json_type(expl));
            goto done;
        }

        req->explain = json_is_true(expl);
        json_object_del(root, "explain");
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
                      "array of %u %s in model order", m->n_inputs,
                      m->has_categories ? "values" : "numbers");
        goto done;

    } else {
        req->shape = MLP_SHAPE_NAMED;
        req->rows = 1;
    }

    /*
     * Dense rows need a byte a value in the body; beyond that only a
     * fixed allowance (named rows of a model that takes missing values)
     */
    if (req->rows * m->n_inputs > len
        && req->rows * m->n_inputs * sizeof(double) > MLP_MATRIX_FREE)
    {
        mlp_error_set(err, 413, "%zu rows of %u features are more than a "
                      "body of %zu bytes can hold", req->rows,
                      m->n_inputs, len);
        goto done;
    }

    req->x = a->alloc(a->data, req->rows * m->n_inputs * sizeof(double));
    if (req->x == NULL) {
        mlp_error_set(err, 500, "out of memory");
        goto done;
    }

    switch (req->shape) {

    case MLP_SHAPE_INSTANCES:
        for (r = 0; r < req->rows; r++) {
            if (mlp_parse_row(m, json_array_get(inst, r), r, 1,
                              req->x + r * m->n_inputs, err)
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

    mlp_json_end(root);

    return rc;
}


int
mlp_parse_row(const mlp_model_t *m, json_t *row, size_t r, int batch,
    double *x, mlp_error_t *err)
{
    size_t    n;
    uint32_t  j;

    if (json_is_object(row)) {
        if (!batch) {
            mlp_error_set(err, 400, "\"features\" must be an array of %u "
                          "numbers in model order", m->n_inputs);
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

    if (n != m->n_inputs) {
        if (batch) {
            mlp_error_set(err, 400, "row %zu: %zu values, the model takes "
                          "%u", r, n, m->n_inputs);

        } else {
            mlp_error_set(err, 400, "\"features\": %zu values, the model "
                          "takes %u", n, m->n_inputs);
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

    /* NaN marks "not given yet": a JSON number or a code is never NaN */
    for (i = 0; i < m->n_inputs; i++) {
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

    /* an absent input is a missing value, where the model takes one */
    for (i = 0; i < m->n_inputs; i++) {
        if (isnan(x[i]) && !(m->inputs[i].flags & MLP_INPUT_MISSING)) {
            mlp_error_set(err, 400, "%smissing feature \"%.*s\"", where,
                          mlp_shown(m->input_names[i].s,
                                    m->input_names[i].len),
                          m->input_names[i].s);
            return -1;
        }
    }

    return 0;
}


int
mlp_parse_value(const mlp_model_t *m, json_t *v, uint32_t j, size_t r,
    int batch, double *x, mlp_error_t *err)
{
    int                 n;
    long                code;
    double              d;
    size_t              len;
    uint32_t            k;
    const char         *s, *name;
    const mlp_input_t  *in;
    char                where[48], known[160];

    in = &m->inputs[j];

    if (json_is_null(v) && (in->flags & MLP_INPUT_MISSING)) {
        x[j] = NAN;
        return 0;
    }

    if (in->kind == MLP_INPUT_NUMBER && json_is_real(v)) {
        d = json_real_value(v);

        if (isfinite(d)) {
            x[j] = d;
            return 0;
        }

    } else if (in->kind == MLP_INPUT_CATEGORY && json_is_string(v)) {
        s = json_string_value(v);
        len = json_string_length(v);
        code = mlp_input_code(in, s, len);

        if (code >= 0 || !(in->flags & MLP_INPUT_UNKNOWN_ERROR)) {
            x[j] = (double) code;       /* -1: unknown, the steps decide */
            return 0;
        }
    }

    if (batch) {
        snprintf(where, sizeof(where), "row %zu, ", r);

    } else {
        where[0] = '\0';
    }

    name = m->input_names[j].s;
    n = mlp_shown(name, m->input_names[j].len);

    if (json_is_null(v)) {
        mlp_error_set(err, 400, "%sfeature \"%.*s\" is null: this model "
                      "has no rule for missing values", where, n, name);

    } else if (in->kind == MLP_INPUT_CATEGORY && json_is_string(v)) {
        /* a few known values, as many as fit */
        known[0] = '\0';
        len = 0;

        for (k = 0; k < in->n_cats && len < 100; k++) {
            len += snprintf(known + len, sizeof(known) - len, "%s\"%.*s\"",
                            k ? ", " : "",
                            mlp_shown(in->cats[k].s, in->cats[k].len) > 24
                            ? 24 : mlp_shown(in->cats[k].s, in->cats[k].len),
                            in->cats[k].s);
        }

        mlp_error_set(err, 400, "%sfeature \"%.*s\": unknown category "
                      "\"%.*s%s\" (known: %s%s)", where, n, name,
                      mlp_shown(json_string_value(v), json_string_length(v)),
                      json_string_value(v),
                      json_string_length(v) > MLP_NAME_SHOWN ? "..." : "",
                      known, k < in->n_cats ? ", ..." : "");

    } else if (in->kind == MLP_INPUT_CATEGORY) {
        mlp_error_set(err, 400, "%sfeature \"%.*s\" must be a string (one "
                      "of its categories), not %s", where, n, name,
                      mlp_json_type(v));

    } else if (json_is_real(v)) {
        mlp_error_set(err, 400, "%sfeature \"%.*s\" is not a finite "
                      "number", where, n, name);

    } else {
        mlp_error_set(err, 400, "%sfeature \"%.*s\" must be a number, not "
                      "%s", where, n, name, mlp_json_type(v));
    }

    return -1;
}


/* How many bytes of a name to show: at most MLP_NAME_SHOWN, whole UTF-8. */

int
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


const char *
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
