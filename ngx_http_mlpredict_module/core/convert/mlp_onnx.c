
/*
 * ONNX -> a network file (kind 5, float32). The protobuf is read with
 * protobuf-c from the onnx.proto that libonnx-dev ships (generated at build
 * time). The graph must be a chain, as torch.onnx.export writes an
 * nn.Sequential of dense layers: every node reads the one running tensor
 * (and constants) and writes the next. Gemm and MatMul become dense layers;
 * Add, Sub, Mul, Div by a constant and BatchNormalization become scale
 * layers (x * a + b, a product then a sum in float32 as ONNX computes a Mul
 * then an Add); an activation is attached to the layer before it when that
 * one has none. Anything else is refused with the op, node and reason.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "onnx.pb-c.h"

#include "mlp_internal.h"
#include "mlp_writer.h"
#include "mlp_onnx.h"


#define MLP_ONNX_MAX_FILE    (1024u * 1024 * 1024)
#define MLP_ONNX_MAX_CONSTS  4096
#define MLP_ONNX_MAX_RANK    8


typedef struct {
    const char               *name;
    int64_t                   dims[MLP_ONNX_MAX_RANK];
    uint32_t                  rank;
    uint64_t                  n;
    float                    *f;            /* float tensors */
    int64_t                  *i;            /* int64 tensors */
    int                       alias;        /* another's data: not freed */
} mlp_onnx_const_t;


typedef struct {
    uint32_t                  type;
    uint32_t                  n_in;
    uint32_t                  n_out;
    uint32_t                  act;
    float                     alpha;
    int                       b_zero;       /* an Add may still set b */
    int                       a_one;        /* a scale of 1: a Mul may set a */
    float                    *w;
    float                    *b;
} mlp_onnx_layer_t;


typedef struct {
    char                     *err;
    size_t                    errlen;
    int64_t                   opset;
    mlp_onnx_const_t          c[MLP_ONNX_MAX_CONSTS];
    uint32_t                  n_c;
    mlp_onnx_layer_t          l[MLP_NN_MAX_LAYERS];
    uint32_t                  n_l;
    const char               *cur;          /* the running tensor */
    uint32_t                  width;
    int64_t                   dims[MLP_ONNX_MAX_RANK];  /* -1 the batch */
    uint32_t                  rank;
} mlp_onnx_t;


static const char *
mlp_s(const char *s)
{
    return s ? s : "";
}


/* names for the producer: control bytes, which the loader refuses, as ? */

static char *
mlp_onnx_clean(char *s)
{
    char  *p;

    for (p = s; p != NULL && *p; p++) {
        if ((unsigned char) *p < 0x20 || *p == 0x7f) {
            *p = '?';
        }
    }

    return s;
}


static mlp_onnx_const_t *
mlp_onnx_find(mlp_onnx_t *g, const char *name)
{
    uint32_t  i;

    for (i = g->n_c; i > 0; i--) {
        if (strcmp(g->c[i - 1].name, name) == 0) {
            return &g->c[i - 1];
        }
    }

    return NULL;
}


/* a tensor's values: float32 or int64, from raw_data or the typed field */

static int
mlp_onnx_tensor(mlp_onnx_t *g, const Onnx__TensorProto *t, const char *name)
{
    size_t             k;
    uint64_t           n;
    mlp_onnx_const_t  *c;

    if (g->n_c == MLP_ONNX_MAX_CONSTS) {
        mlp_fail(g->err, g->errlen, "more than %d constants",
                 MLP_ONNX_MAX_CONSTS);
        return -1;
    }

    if (t->n_dims > MLP_ONNX_MAX_RANK) {
        mlp_fail(g->err, g->errlen, "constant %.64s: rank %zu (at most %d)",
                 name, t->n_dims, MLP_ONNX_MAX_RANK);
        return -1;
    }

    if (t->has_data_location && t->data_location != 0) {
        mlp_fail(g->err, g->errlen, "constant %.64s: external data is not "
                 "supported (save the model with its weights inside)", name);
        return -1;
    }

    c = &g->c[g->n_c];
    memset(c, 0, sizeof(*c));
    c->name = name;
    c->rank = (uint32_t) t->n_dims;
    n = 1;

    for (k = 0; k < t->n_dims; k++) {
        if (t->dims[k] < 0 || t->dims[k] > (1 << 30)
            || (t->dims[k] && n > (UINT64_C(1) << 32) / (uint64_t) t->dims[k]))
        {
            mlp_fail(g->err, g->errlen, "constant %.64s: dimension %lld out "
                     "of range", name, (long long) t->dims[k]);
            return -1;
        }

        c->dims[k] = t->dims[k];
        n *= (uint64_t) t->dims[k];
    }

    c->n = n;

    if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT) {
        if ((t->has_raw_data && t->raw_data.len != n * 4)
            || (!t->has_raw_data && t->n_float_data != n))
        {
            mlp_fail(g->err, g->errlen, "constant %.64s: %llu float32 "
                     "values expected, the data holds %zu bytes or %zu "
                     "values", name, (unsigned long long) n,
                     t->has_raw_data ? t->raw_data.len : 0, t->n_float_data);
            return -1;
        }

        c->f = malloc(n * sizeof(float) + 1);
        if (c->f == NULL) {
            mlp_fail(g->err, g->errlen, "out of memory");
            return -1;
        }

        /* an empty tensor may have no data pointer at all */
        if (n == 0) {
            /* void */

        } else if (t->has_raw_data) {
            /* little-endian on disk, as this host (checked by the loader) */
            memcpy(c->f, t->raw_data.data, n * 4);

        } else {
            memcpy(c->f, t->float_data, n * sizeof(float));
        }

        for (k = 0; k < n; k++) {
            if (!isfinite(c->f[k])) {
                free(c->f);
                mlp_fail(g->err, g->errlen, "constant %.64s: value %zu is "
                         "not finite", name, k);
                return -1;
            }
        }

    } else if (t->data_type == ONNX__TENSOR_PROTO__DATA_TYPE__INT64) {
        if ((t->has_raw_data && t->raw_data.len != n * 8)
            || (!t->has_raw_data && t->n_int64_data != n))
        {
            mlp_fail(g->err, g->errlen, "constant %.64s: %llu int64 values "
                     "expected", name, (unsigned long long) n);
            return -1;
        }

        c->i = malloc(n * sizeof(int64_t) + 1);
        if (c->i == NULL) {
            mlp_fail(g->err, g->errlen, "out of memory");
            return -1;
        }

        if (n) {
            memcpy(c->i, t->has_raw_data ? (void *) t->raw_data.data
                                         : (void *) t->int64_data, n * 8);
        }

    } else {
        mlp_fail(g->err, g->errlen, "constant %.64s: data type %d (float32 "
                 "and int64 are supported)", name, t->data_type);
        return -1;
    }

    g->n_c++;

    return 0;
}


static const Onnx__AttributeProto *
mlp_onnx_attr(const Onnx__NodeProto *n, const char *name)
{
    size_t  i;

    for (i = 0; i < n->n_attribute; i++) {
        if (strcmp(mlp_s(n->attribute[i]->name), name) == 0) {
            return n->attribute[i];
        }
    }

    return NULL;
}


static int64_t
mlp_onnx_int(const Onnx__NodeProto *n, const char *name, int64_t def)
{
    const Onnx__AttributeProto  *a;

    a = mlp_onnx_attr(n, name);

    return (a && a->has_i) ? a->i : def;
}


static float
mlp_onnx_float(const Onnx__NodeProto *n, const char *name, float def)
{
    const Onnx__AttributeProto  *a;

    a = mlp_onnx_attr(n, name);

    return (a && a->has_f) ? a->f : def;
}


static mlp_onnx_layer_t *
mlp_onnx_layer(mlp_onnx_t *g, uint32_t type, uint32_t n_out)
{
    uint64_t           nw;
    uint32_t           j;
    mlp_onnx_layer_t  *l;

    if (g->n_l == MLP_NN_MAX_LAYERS) {
        mlp_fail(g->err, g->errlen, "more than %d layers",
                 MLP_NN_MAX_LAYERS);
        return NULL;
    }

    if (n_out == 0 || n_out > MLP_NN_MAX_WIDTH) {
        mlp_fail(g->err, g->errlen, "a layer %u wide (1 to %d are "
                 "supported)", n_out, MLP_NN_MAX_WIDTH);
        return NULL;
    }

    l = &g->l[g->n_l];
    memset(l, 0, sizeof(*l));
    l->type = type;
    l->n_in = g->width;
    l->n_out = n_out;
    l->b_zero = 1;
    l->a_one = (type == MLP_LAYER_SCALE);
    nw = (type == MLP_LAYER_DENSE) ? (uint64_t) g->width * n_out : n_out;
    l->w = calloc(nw + 1, sizeof(float));
    l->b = calloc(n_out + 1, sizeof(float));

    if (l->w == NULL || l->b == NULL) {
        free(l->w);
        free(l->b);
        mlp_fail(g->err, g->errlen, "out of memory");
        return NULL;
    }

    if (type == MLP_LAYER_SCALE) {
        for (j = 0; j < n_out; j++) {
            l->w[j] = 1.0f;
        }
    }

    g->n_l++;
    g->width = n_out;
    g->rank = 2;
    g->dims[0] = -1;
    g->dims[1] = n_out;

    return l;
}


/* a constant that broadcasts over [batch, width]: one value, or width */

static int
mlp_onnx_vector(mlp_onnx_t *g, const mlp_onnx_const_t *c, float **v,
    int *scalar)
{
    uint32_t  k;

    if (c->f == NULL) {
        return -1;
    }

    for (k = 0; k + 1 < c->rank; k++) {
        if (c->dims[k] != 1) {
            return -1;
        }
    }

    /* one a column first: a layer one wide takes [1] as its column */
    if (c->n == g->width && c->rank >= 1
        && c->dims[c->rank - 1] == (int64_t) g->width)
    {
        *scalar = 0;

    } else if (c->n == 1) {
        *scalar = 1;

    } else {
        return -1;
    }

    *v = c->f;

    return 0;
}


static int mlp_onnx_node(mlp_onnx_t *g, const Onnx__NodeProto *n);


int
mlp_convert_onnx_mem(const void *data, size_t size, const char *features,
    const char *classes, unsigned char **out, size_t *out_len, char *err,
    size_t errlen)
{
    int                          rc, found, classifier;
    char                        *names, *labels, *p, *q, *prod;
    size_t                       i, k, nl, len;
    double                      *pool;
    uint32_t                     j, n_out, *rows, params[8], n_cls, nf;
    uint64_t                     n_pool, off;
    mlp_onnx_t                  *g;
    mlp_writer_t                 w;
    json_t                      *pj;
    Onnx__ModelProto            *mp;
    const Onnx__GraphProto      *gr;
    const Onnx__ValueInfoProto  *in;
    const Onnx__TensorShapeProto  *sh;

    rc = -1;
    names = labels = prod = NULL;
    pool = NULL;
    rows = NULL;
    pj = NULL;
    *out = NULL;

    if (size > MLP_ONNX_MAX_FILE) {
        mlp_fail(err, errlen, "%zu bytes: over the 1 GiB supported", size);
        return -1;
    }

    mp = onnx__model_proto__unpack(NULL, size, data);
    if (mp == NULL) {
        mlp_fail(err, errlen, "not an ONNX model: the protobuf does not "
                 "parse (damaged or another format)");
        return -1;
    }

    g = calloc(1, sizeof(mlp_onnx_t));
    if (g == NULL) {
        onnx__model_proto__free_unpacked(mp, NULL);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    g->err = err;
    g->errlen = errlen;
    gr = mp->graph;

    if (gr == NULL) {
        mlp_fail(err, errlen, "the model has no graph");
        goto done;
    }

    found = 0;

    for (i = 0; i < mp->n_opset_import; i++) {
        const char  *d = mlp_s(mp->opset_import[i]->domain);

        if (d[0] == '\0' || strcmp(d, "ai.onnx") == 0) {
            g->opset = mp->opset_import[i]->version;
            found = 1;
        }
    }

    if (!found || g->opset < 9 || g->opset > 17) {
        mlp_fail(err, errlen, "opset %lld of the default domain (9 to 17 "
                 "are supported)", found ? (long long) g->opset : -1LL);
        goto done;
    }

    for (i = 0; i < gr->n_initializer; i++) {
        if (mlp_onnx_tensor(g, gr->initializer[i],
                            mlp_s(gr->initializer[i]->name))
            != 0)
        {
            goto done;
        }
    }

    if (gr->n_sparse_initializer) {
        mlp_fail(err, errlen, "sparse initializers are not supported");
        goto done;
    }

    /* the one input that is not an initializer (old exports list both) */
    in = NULL;

    for (i = 0; i < gr->n_input; i++) {
        if (mlp_onnx_find(g, mlp_s(gr->input[i]->name)) != NULL) {
            continue;
        }

        if (in != NULL) {
            mlp_fail(err, errlen, "inputs %.64s and %.64s: one input of "
                     "shape [batch, n_features] is supported",
                     mlp_s(in->name), mlp_s(gr->input[i]->name));
            goto done;
        }

        in = gr->input[i];
    }

    if (in == NULL || in->type == NULL
        || in->type->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE
        || in->type->tensor_type == NULL
        || in->type->tensor_type->elem_type
           != ONNX__TENSOR_PROTO__DATA_TYPE__FLOAT
        || (sh = in->type->tensor_type->shape) == NULL || sh->n_dim != 2
        || sh->dim[1]->value_case
           != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE
        || sh->dim[1]->dim_value < 1 || sh->dim[1]->dim_value > 1000000)
    {
        mlp_fail(err, errlen, "input %.64s: a float32 tensor of shape "
                 "[batch, n_features] with n_features known (1 to 1000000) "
                 "is supported", in ? mlp_s(in->name) : "(none)");
        goto done;
    }

    nf = (uint32_t) sh->dim[1]->dim_value;
    g->cur = mlp_s(in->name);
    g->width = nf;
    g->rank = 2;
    g->dims[0] = -1;
    g->dims[1] = nf;

    for (i = 0; i < gr->n_node; i++) {
        if (mlp_onnx_node(g, gr->node[i]) != 0) {
            goto done;
        }
    }

    if (gr->n_output != 1 || strcmp(mlp_s(gr->output[0]->name), g->cur) != 0
        || g->n_l == 0 || g->rank != 2)
    {
        mlp_fail(err, errlen, "the graph must end in one output, the last "
                 "layer's [batch, width] (%zu outputs, %u layers)",
                 gr->n_output, g->n_l);
        goto done;
    }

    /* the answer: Softmax, or Sigmoid of one output, makes a classifier */
    n_out = g->width;
    j = g->l[g->n_l - 1].act;
    classifier = (j == MLP_ACT_SOFTMAX && n_out >= 2)
                 || (j == MLP_ACT_LOGISTIC && n_out == 1);
    n_cls = (n_out == 1) ? 2 : n_out;

    if (classes != NULL && !classifier) {
        mlp_fail(err, errlen, "--classes for a network that is not a "
                 "classifier (its last op is not Softmax, or Sigmoid of one "
                 "output)");
        goto done;
    }

    memset(&w, 0, sizeof(w));
    w.kind = MLP_KIND_NETWORK;
    w.n_features = nf;
    w.n_outputs = classifier ? n_cls : n_out;
    w.link = MLP_LINK_IDENTITY;

    /* names: --features a,b,... else f0 ...; NUL-separated */
    len = features ? strlen(features) + 1 : (size_t) nf * 12;
    names = malloc(len + 1);

    if (names == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto done;
    }

    if (features) {
        memcpy(names, features, len);
        for (p = names, k = 1; *p; p++) {
            if (*p == ',') {
                *p = '\0';
                k++;
            }
        }

        if (k != nf) {
            mlp_fail(err, errlen, "--features names %zu features, the "
                     "network takes %u", k, nf);
            goto done;
        }

    } else {
        for (p = names, j = 0; j < nf; j++) {
            p += sprintf(p, "f%u", j) + 1;
        }

        len = p - names;
    }

    mlp_writer_add(&w, MLP_SEC_FEATURE_NAMES, MLP_DTYPE_STRINGS, names, len,
                   nf);

    if (classifier) {
        nl = classes ? strlen(classes) : 0;
        labels = malloc(3 * nl + 3 + (size_t) n_cls * 16);

        if (labels == NULL) {
            mlp_fail(err, errlen, "out of memory");
            goto done;
        }

        q = labels;
        k = 0;

        if (classes) {
            /* each label as JSON: an integer as is, anything else quoted */
            for (p = (char *) classes; ; p++) {
                const char  *s = p;

                while (*p && *p != ',') {
                    p++;
                }

                for (i = (*s == '-'); s + i < p && s[i] >= '0'
                                      && s[i] <= '9'; i++)
                { /* void */ }

                if (p == s) {
                    mlp_fail(err, errlen, "--classes: an empty label");
                    goto done;
                }

                if (s + i != p || (*s == '-' && p == s + 1)) {
                    *q++ = '"';

                    for (; s < p; s++) {
                        if (*s == '"' || *s == '\\' || (unsigned char) *s < 32)
                        {
                            mlp_fail(err, errlen, "--classes: a label with a "
                                     "quote, backslash or control character");
                            goto done;
                        }

                        *q++ = *s;
                    }

                    *q++ = '"';

                } else {
                    memcpy(q, s, p - s);
                    q += p - s;
                }

                *q++ = '\0';
                k++;

                if (*p == '\0') {
                    break;
                }
            }

            if (k != n_cls) {
                mlp_fail(err, errlen, "--classes names %zu classes, the "
                         "network answers %u", k, n_cls);
                goto done;
            }

        } else {
            for (j = 0; j < n_cls; j++) {
                q += sprintf(q, "%u", j) + 1;
            }
        }

        mlp_writer_add(&w, MLP_SEC_CLASS_LABELS, MLP_DTYPE_STRINGS, labels,
                       q - labels, n_cls);
    }

    /* the producer: where the network came from, its input and output */
    pj = json_pack("{s:s, s:s?, s:s?, s:I, s:I, s:s?, s:s?, s:s?}",
                   "library", "onnx",
                   "producer_name", mlp_onnx_clean(mp->producer_name),
                   "producer_version", mlp_onnx_clean(mp->producer_version),
                   "opset", (json_int_t) g->opset,
                   "ir_version", (json_int_t) mp->ir_version,
                   "graph", mlp_onnx_clean(gr->name),
                   "input", mlp_onnx_clean(in->name),
                   "output", mlp_onnx_clean(gr->output[0]->name));

    /* ASCII: the loader's UTF-8 check is stricter than jansson's */
    prod = pj ? json_dumps(pj, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;

    if (prod == NULL) {
        mlp_fail(err, errlen, "the producer, graph, input or output name is "
                 "not valid UTF-8");
        goto done;
    }

    mlp_writer_add(&w, MLP_SEC_PRODUCER, MLP_DTYPE_STRINGS, prod,
                   strlen(prod) + 1, 1);

    /* the layers and their pool */
    n_pool = 0;

    for (j = 0; j < g->n_l; j++) {
        n_pool += (g->l[j].type == MLP_LAYER_DENSE)
                  ? (uint64_t) g->l[j].n_in * g->l[j].n_out : g->l[j].n_out;
        n_pool += g->l[j].n_out + 1;
    }

    if (n_pool >= UINT32_MAX) {
        mlp_fail(err, errlen, "%llu parameters: too many",
                 (unsigned long long) n_pool);
        goto done;
    }

    pool = malloc(n_pool * sizeof(double));
    rows = calloc((size_t) g->n_l * 8, sizeof(uint32_t));

    if (pool == NULL || rows == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto done;
    }

    off = 0;

    for (j = 0; j < g->n_l; j++) {
        mlp_onnx_layer_t  *l = &g->l[j];
        uint64_t           nw, t;

        nw = (l->type == MLP_LAYER_DENSE) ? (uint64_t) l->n_in * l->n_out
                                          : l->n_out;
        rows[j * 8] = l->type;
        rows[j * 8 + 1] = l->n_in;
        rows[j * 8 + 2] = l->n_out;
        rows[j * 8 + 3] = l->act;
        rows[j * 8 + 4] = (uint32_t) off;

        for (t = 0; t < nw; t++) {
            pool[off++] = l->w[t];
        }

        rows[j * 8 + 5] = (uint32_t) off;

        for (t = 0; t < l->n_out; t++) {
            pool[off++] = l->b[t];
        }

        if (l->act == MLP_ACT_LEAKY_RELU || l->act == MLP_ACT_ELU) {
            rows[j * 8 + 6] = (uint32_t) off;
        }

        pool[off++] = l->alpha;
    }

    /* a BatchNormalization's or a division's result may leave float32 */
    for (n_pool = 0; n_pool < off; n_pool++) {
        if (!isfinite(pool[n_pool])) {
            mlp_fail(err, errlen, "a folded parameter (%llu) is out of the "
                     "float32 range: a variance near zero, a division by a "
                     "tiny constant", (unsigned long long) n_pool);
            goto done;
        }
    }

    params[0] = g->n_l;
    params[1] = MLP_NN_F32;
    memset(params + 2, 0, 6 * sizeof(uint32_t));

    mlp_writer_add(&w, MLP_SEC_NN_PARAMS, MLP_DTYPE_U32, params,
                   sizeof(params), 8);
    mlp_writer_add(&w, MLP_SEC_NN_LAYERS, MLP_DTYPE_U32, rows,
                   (uint64_t) g->n_l * 32, (uint64_t) g->n_l * 8);
    mlp_writer_add(&w, MLP_SEC_NN_F64, MLP_DTYPE_F64, pool, off * 8, off);

    *out = mlp_writer_build(&w, out_len);

    if (*out == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto done;
    }

    rc = 0;

done:

    for (j = 0; j < g->n_l; j++) {
        free(g->l[j].w);
        free(g->l[j].b);
    }

    for (j = 0; j < g->n_c; j++) {
        if (!g->c[j].alias) {
            free(g->c[j].f);
            free(g->c[j].i);
        }
    }

    free(g);
    free(names);
    free(labels);
    free(pool);
    free(rows);
    free(prod);
    json_decref(pj);
    onnx__model_proto__free_unpacked(mp, NULL);

    /* the reason quotes names from the file: one printable line */
    for (p = err; rc != 0 && errlen && *p; p++) {
        if ((unsigned char) *p < 32 || *p == 127) {
            *p = '?';
        }
    }

    return rc;
}


int
mlp_convert_onnx(const char *in, const char *out, const char *features,
    const char *classes, char *err, size_t errlen)
{
    int             rc;
    long            n;
    FILE           *f;
    size_t          len;
    unsigned char  *data, *res;

    f = fopen(in, "rb");
    if (f == NULL) {
        mlp_fail(err, errlen, "%s: cannot open", in);
        return -1;
    }

    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0
        || (unsigned long) n > MLP_ONNX_MAX_FILE || fseek(f, 0, SEEK_SET))
    {
        fclose(f);
        mlp_fail(err, errlen, "%s: not a readable file of at most 1 GiB", in);
        return -1;
    }

    data = malloc(n + 1);

    if (data == NULL || fread(data, 1, n, f) != (size_t) n) {
        fclose(f);
        free(data);
        mlp_fail(err, errlen, "%s: cannot read", in);
        return -1;
    }

    fclose(f);

    rc = mlp_convert_onnx_mem(data, n, features, classes, &res, &len, err,
                              errlen);
    free(data);

    if (rc != 0) {
        return -1;
    }

    rc = mlp_writer_save_raw(res, len, out, err, errlen);
    free(res);

    return rc;
}


/* one node: the running tensor in, the next one out */

static int
mlp_onnx_node(mlp_onnx_t *g, const Onnx__NodeProto *n)
{
    int                        scalar, uses, first;
    char                      *name;
    float                     *v, *v2, *v3, *v4, eps;
    size_t                     i;
    int64_t                    axis, a, b;
    uint32_t                   j, k, act, width;
    const char                *op;
    mlp_onnx_const_t          *c[5];
    mlp_onnx_layer_t          *l, *last;
    const Onnx__AttributeProto  *at;

    op = mlp_s(n->op_type);
    name = (char *) mlp_s(n->name);

#define MLP_REFUSE(...)                                                      \
    do {                                                                     \
        char  why_[256];                                                     \
        snprintf(why_, sizeof(why_), __VA_ARGS__);                           \
        mlp_fail(g->err, g->errlen, "op %.32s (node %.64s): %s", op, name,   \
                 why_);                                                      \
        return -1;                                                           \
    } while (0)

    if (n->domain && n->domain[0] && strcmp(n->domain, "ai.onnx") != 0) {
        MLP_REFUSE("domain %.64s is not supported", n->domain);
    }

    if (strcmp(op, "Constant") == 0) {
        at = mlp_onnx_attr(n, "value");

        if (n->n_output != 1 || at == NULL || at->t == NULL) {
            MLP_REFUSE("a Constant with a tensor value is supported");
        }

        if (mlp_onnx_tensor(g, at->t, mlp_s(n->output[0])) != 0) {
            return -1;
        }

        return 0;
    }

    /* inputs: the running tensor once, the rest constants (or absent) */
    uses = 0;
    first = -1;

    if (n->n_input > 5) {
        MLP_REFUSE("%zu inputs", n->n_input);
    }

    /* all five: an op may test c[1] though the node gave fewer inputs */
    for (i = 0; i < 5; i++) {
        c[i] = NULL;
    }

    for (i = 0; i < n->n_input; i++) {
        if (strcmp(mlp_s(n->input[i]), g->cur) == 0) {
            uses++;
            first = (int) i;

        } else if (n->input[i] && n->input[i][0]) {
            c[i] = mlp_onnx_find(g, n->input[i]);

            if (c[i] == NULL) {
                MLP_REFUSE("input %.64s is neither the running tensor nor a "
                           "constant: only chains of layers are supported",
                           n->input[i]);
            }
        }
    }

    /* Identity of a constant (torch shares weights so): another name */
    if (uses == 0 && strcmp(op, "Identity") == 0 && n->n_input == 1
        && c[0] != NULL && n->n_output == 1 && n->output[0] != NULL)
    {
        if (g->n_c == MLP_ONNX_MAX_CONSTS) {
            MLP_REFUSE("more than %d constants", MLP_ONNX_MAX_CONSTS);
        }

        g->c[g->n_c] = *c[0];
        g->c[g->n_c].name = n->output[0];
        g->c[g->n_c].alias = 1;
        g->n_c++;

        return 0;
    }

    if (uses != 1) {
        MLP_REFUSE("reads the running tensor %s: only chains of layers are "
                   "supported", uses ? "twice" : "not at all");
    }

    /* extra outputs (Dropout's mask, BatchNorm's statistics) stay unused */
    if (n->n_output < 1 || n->output[0] == NULL || n->output[0][0] == '\0') {
        MLP_REFUSE("no output");
    }

    last = g->n_l ? &g->l[g->n_l - 1] : NULL;
    width = g->width;

    if (strcmp(op, "Identity") == 0 || strcmp(op, "Dropout") == 0) {
        if (strcmp(op, "Dropout") == 0 && n->n_input >= 3 && c[2] != NULL
            && (c[2]->n != 1 || c[2]->i == NULL || c[2]->i[0] != 0))
        {
            MLP_REFUSE("training_mode is not a constant false");
        }

        goto next;
    }

    if (strcmp(op, "Flatten") == 0) {
        axis = mlp_onnx_int(n, "axis", 1);

        if (axis != 1) {
            MLP_REFUSE("axis %lld (1 is supported)", (long long) axis);
        }

        g->rank = 2;
        g->dims[1] = width;
        goto next;
    }

    if (strcmp(op, "Reshape") == 0 || strcmp(op, "Unsqueeze") == 0
        || strcmp(op, "Squeeze") == 0)
    {
        int64_t    d[MLP_ONNX_MAX_RANK], *ax;
        uint64_t   prod;
        uint32_t   r, nax;

        ax = NULL;
        nax = 0;

        if (first != 0) {
            MLP_REFUSE("the data must be the first input");
        }

        if (n->n_input >= 2 && c[1] != NULL) {
            if (c[1]->i == NULL || c[1]->rank > 1
                || c[1]->n > MLP_ONNX_MAX_RANK)
            {
                MLP_REFUSE("the shape or axes must be a static int64 "
                           "vector");
            }

            ax = c[1]->i;
            nax = (uint32_t) c[1]->n;

        } else if (strcmp(op, "Reshape") != 0
                   && (at = mlp_onnx_attr(n, "axes")) != NULL)
        {
            if (at->n_ints > MLP_ONNX_MAX_RANK) {
                MLP_REFUSE("too many axes");
            }

            ax = at->ints;
            nax = (uint32_t) at->n_ints;

        } else if (strcmp(op, "Reshape") == 0) {
            MLP_REFUSE("the shape must be a constant");
        }

        if (strcmp(op, "Reshape") == 0) {
            /* [batch or 0 or -1, ...] whose other dims make the width */
            if (nax < 1) {
                MLP_REFUSE("an empty shape");
            }

            prod = 1;

            for (r = 1; r < nax; r++) {
                if (ax[r] == -1 && nax == 2) {
                    d[r] = width;

                } else if (ax[r] < 1 || ax[r] > MLP_NN_MAX_WIDTH) {
                    MLP_REFUSE("shape dimension %u is %lld", r,
                               (long long) ax[r]);

                } else {
                    d[r] = ax[r];
                }

                prod *= (uint64_t) d[r];
            }

            if ((ax[0] != 0 && ax[0] != -1) || prod != width) {
                MLP_REFUSE("a shape that keeps the batch and the %u values "
                           "of a row is supported", width);
            }

            d[0] = -1;
            memcpy(g->dims, d, nax * sizeof(int64_t));
            g->rank = nax;
            goto next;
        }

        /* Squeeze and Unsqueeze: of dimensions 1, never the batch's */
        if (nax == 0) {
            MLP_REFUSE("axes must be given");
        }

        r = g->rank;
        memcpy(d, g->dims, sizeof(d));

        for (k = 0; k < nax; k++) {
            a = ax[k];

            if (strcmp(op, "Squeeze") == 0) {
                a = a < 0 ? a + r : a;

                if (a < 1 || a >= r || d[a] != 1) {
                    MLP_REFUSE("axis %lld is not a dimension of 1",
                               (long long) ax[k]);
                }

                memmove(d + a, d + a + 1, (r - a - 1) * sizeof(int64_t));
                r--;

            } else {
                a = a < 0 ? a + r + 1 : a;

                if (a < 1 || a > r || r == MLP_ONNX_MAX_RANK) {
                    MLP_REFUSE("axis %lld", (long long) ax[k]);
                }

                memmove(d + a + 1, d + a, (r - a) * sizeof(int64_t));
                d[a] = 1;
                r++;
            }
        }

        memcpy(g->dims, d, sizeof(d));
        g->rank = r;
        goto next;
    }

    /* every other op works on [batch, width] */
    if (g->rank != 2) {
        MLP_REFUSE("needs a [batch, width] input, the running tensor has "
                   "rank %u", g->rank);
    }

    if (strcmp(op, "Gemm") == 0 || strcmp(op, "MatMul") == 0) {
        int   tb;
        float alpha, beta;

        tb = (int) mlp_onnx_int(n, "transB", 0);
        alpha = mlp_onnx_float(n, "alpha", 1.0f);
        beta = mlp_onnx_float(n, "beta", 1.0f);

        if (first != 0 || c[1] == NULL || c[1]->f == NULL
            || c[1]->rank != 2 || mlp_onnx_int(n, "transA", 0) != 0)
        {
            MLP_REFUSE("X times a constant 2-D float matrix is supported");
        }

        if (alpha != 1.0f || beta != 1.0f) {
            MLP_REFUSE("alpha %g, beta %g (1 is supported)", alpha, beta);
        }

        a = tb ? c[1]->dims[1] : c[1]->dims[0];
        b = tb ? c[1]->dims[0] : c[1]->dims[1];

        if (a != (int64_t) width || b < 1 || b > MLP_NN_MAX_WIDTH) {
            MLP_REFUSE("a %lld x %lld weight for %u inputs", (long long) a,
                       (long long) b, width);
        }

        l = mlp_onnx_layer(g, MLP_LAYER_DENSE, (uint32_t) b);
        if (l == NULL) {
            return -1;
        }

        /* stored [in][out], as X @ W reads it */
        for (j = 0; j < l->n_in; j++) {
            for (k = 0; k < l->n_out; k++) {
                l->w[(size_t) j * l->n_out + k] =
                    tb ? c[1]->f[(size_t) k * l->n_in + j]
                       : c[1]->f[(size_t) j * l->n_out + k];
            }
        }

        if (strcmp(op, "Gemm") == 0 && n->n_input >= 3 && c[2] != NULL) {
            if (mlp_onnx_vector(g, c[2], &v, &scalar) != 0) {
                MLP_REFUSE("C must broadcast over the %u outputs",
                           l->n_out);
            }

            for (k = 0; k < l->n_out; k++) {
                l->b[k] = scalar ? v[0] : v[k];
            }

            l->b_zero = 0;
        }

        goto next;
    }

    if (strcmp(op, "Add") == 0 || strcmp(op, "Sub") == 0
        || strcmp(op, "Mul") == 0 || strcmp(op, "Div") == 0)
    {
        mlp_onnx_const_t  *k1 = c[first == 0 ? 1 : 0];

        if (n->n_input != 2 || k1 == NULL
            || mlp_onnx_vector(g, k1, &v, &scalar) != 0)
        {
            MLP_REFUSE("one operand must be a float constant of one value "
                       "or one a column (%u)", width);
        }

        if (first == 1 && (op[0] == 'S' || op[0] == 'D')) {
            if (op[0] == 'D') {
                MLP_REFUSE("a constant divided by the tensor");
            }
        }

        /*
         * Add to a layer's zero bias (X @ W, then + b: ONNX's MatMul, Add);
         * Mul into a fresh scale layer; otherwise a new scale layer.
         */
        if (op[0] == 'A' || op[0] == 'S') {
            if (last == NULL || !last->b_zero || last->act != MLP_ACT_IDENTITY
                || (op[0] == 'S' && first == 1))
            {
                l = mlp_onnx_layer(g, MLP_LAYER_SCALE, width);
                if (l == NULL) {
                    return -1;
                }

            } else {
                l = last;
            }

            for (k = 0; k < width; k++) {
                float  s = scalar ? v[0] : v[k];

                if (op[0] == 'S' && first == 1) {
                    /* c - x: x * -1 + c, both exact as ONNX's */
                    l->w[k] = -1.0f;
                    l->b[k] = s;

                } else {
                    l->b[k] = (op[0] == 'S') ? -s : s;
                }
            }

            l->b_zero = 0;
            l->a_one = 0;
            goto next;
        }

        l = mlp_onnx_layer(g, MLP_LAYER_SCALE, width);
        if (l == NULL) {
            return -1;
        }

        for (k = 0; k < width; k++) {
            float  s = scalar ? v[0] : v[k];

            if (op[0] == 'D') {
                /* x / c as x * (1 / c): within one rounding of ONNX's */
                if (s == 0.0f) {
                    MLP_REFUSE("a division by zero");
                }

                l->w[k] = 1.0f / s;

            } else {
                l->w[k] = s;
            }
        }

        l->a_one = 0;
        goto next;
    }

    if (strcmp(op, "BatchNormalization") == 0) {
        if (first != 0 || n->n_input != 5 || c[1] == NULL || c[2] == NULL
            || c[3] == NULL || c[4] == NULL)
        {
            MLP_REFUSE("scale, bias, mean and variance must be constants");
        }

        if (mlp_onnx_int(n, "training_mode", 0) != 0) {
            MLP_REFUSE("training_mode is set (export the model in eval())");
        }

        eps = mlp_onnx_float(n, "epsilon", 1e-5f);

        if (mlp_onnx_vector(g, c[1], &v, &scalar) != 0 || scalar
            || mlp_onnx_vector(g, c[2], &v2, &scalar) != 0 || scalar
            || mlp_onnx_vector(g, c[3], &v3, &scalar) != 0 || scalar
            || mlp_onnx_vector(g, c[4], &v4, &scalar) != 0 || scalar)
        {
            MLP_REFUSE("scale, bias, mean and variance must have %u values",
                       width);
        }

        l = mlp_onnx_layer(g, MLP_LAYER_SCALE, width);
        if (l == NULL) {
            return -1;
        }

        /* y = (x - mean) / sqrt(var + eps) * scale + bias, as x * a + b */
        for (k = 0; k < width; k++) {
            double  s = (double) v[k] / sqrt((double) v4[k] + (double) eps);

            if (!(v4[k] + eps > 0)) {
                MLP_REFUSE("variance %u plus epsilon is not positive", k);
            }

            l->w[k] = (float) s;
            l->b[k] = (float) ((double) v2[k] - (double) v3[k] * s);
        }

        l->b_zero = 0;
        l->a_one = 0;
        goto next;
    }

    act = 0;

    if (strcmp(op, "Relu") == 0) {
        act = MLP_ACT_RELU;
    } else if (strcmp(op, "LeakyRelu") == 0) {
        act = MLP_ACT_LEAKY_RELU;
    } else if (strcmp(op, "Elu") == 0) {
        act = MLP_ACT_ELU;
    } else if (strcmp(op, "Tanh") == 0) {
        act = MLP_ACT_TANH;
    } else if (strcmp(op, "Sigmoid") == 0) {
        act = MLP_ACT_LOGISTIC;
    } else if (strcmp(op, "Softmax") == 0) {
        act = MLP_ACT_SOFTMAX;
    } else if (strcmp(op, "LogSoftmax") == 0) {
        act = MLP_ACT_LOG_SOFTMAX;
    } else {
        MLP_REFUSE("not supported: dense networks only (README.md, "
                   "\"Converting from ONNX\", lists the ops)");
    }

    if (act == MLP_ACT_SOFTMAX || act == MLP_ACT_LOG_SOFTMAX) {
        axis = mlp_onnx_int(n, "axis", g->opset >= 13 ? -1 : 1);

        if (axis != 1 && axis != -1) {
            MLP_REFUSE("axis %lld (the last, 1 or -1, is supported)",
                       (long long) axis);
        }
    }

    if (last == NULL || last->act != MLP_ACT_IDENTITY) {
        last = mlp_onnx_layer(g, MLP_LAYER_SCALE, width);
        if (last == NULL) {
            return -1;
        }
    }

    last->act = act;
    last->alpha = (act == MLP_ACT_LEAKY_RELU)
                  ? mlp_onnx_float(n, "alpha", 0.01f)
                  : (act == MLP_ACT_ELU) ? mlp_onnx_float(n, "alpha", 1.0f)
                  : 0.0f;

    if (!isfinite(last->alpha)) {
        MLP_REFUSE("alpha is not finite");
    }

next:

    g->cur = n->output[0];

    return 0;

#undef MLP_REFUSE
}
