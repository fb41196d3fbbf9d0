
/*
 * Unit tests of the core: the loader refuses every corruption FORMAT.md
 * lists, the kernels compute what the model's definition says (expected
 * values are worked out by hand from tiny coefficients), the parser maps
 * every shape and every client mistake, the writer round-trips numbers.
 *
 * usage: test_core [MODELS_DIR]   (the example models, for a smoke test)
 * Ends with "N passed, N failed".
 */

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mlp_internal.h"
#include "test_check.h"


/* a model file builder: header, section table, aligned sections, CRC */

typedef struct {
    uint32_t      id;
    uint32_t      dtype;
    const void   *data;
    size_t        size;
    uint64_t      count;
} sec_t;


typedef struct {
    uint32_t      kind;
    uint32_t      n_features;
    uint32_t      n_outputs;
    uint32_t      link;
    int           n;
    sec_t         s[16];
} spec_t;


static _Alignas(64) unsigned char  file[1 << 16];


static int handle(mlp_model_t *m, const char *body, size_t max, char **resp,
    mlp_error_t *e);
static void refuses(mlp_model_t *m, const char *body, int status,
    const char *want);
static void *arena_alloc(void *data, size_t size);
static size_t  arena_used;


static void
put32(unsigned char *p, uint32_t v)
{
    p[0] = v & 0xff;
    p[1] = (v >> 8) & 0xff;
    p[2] = (v >> 16) & 0xff;
    p[3] = v >> 24;
}


static void
put64(unsigned char *p, uint64_t v)
{
    put32(p, (uint32_t) v);
    put32(p + 4, (uint32_t) (v >> 32));
}


static void
reseal(size_t size)
{
    put64(file + 16, size);
    put32(file + 24, mlp_crc32(0, file + 32, size - 32));
}


static size_t
build(const spec_t *sp)
{
    int            i;
    size_t         off;
    unsigned char  *e;

    memset(file, 0, sizeof(file));
    memcpy(file, "MLPREDCT", 8);
    put32(file + 8, 1);

    for (i = 0; i < sp->n; i++) {
        if (sp->s[i].id >= MLP_SEC_INPUT_NAMES) {
            put32(file + 8, 2);     /* the sections of version 2 */
        }
    }
    put32(file + 12, 0x01020304);
    put32(file + 32, sp->kind);
    put32(file + 36, sp->n_features);
    put32(file + 40, sp->n_outputs);
    put32(file + 44, sp->n);
    put64(file + 48, 64);
    put32(file + 56, sp->link);

    off = 64 + 32 * sp->n;

    for (i = 0; i < sp->n; i++) {
        off = (off + 63) & ~(size_t) 63;
        e = file + 64 + 32 * i;
        put32(e, sp->s[i].id);
        put32(e + 4, sp->s[i].dtype);
        put64(e + 8, off);
        put64(e + 16, sp->s[i].size);
        put64(e + 24, sp->s[i].count);
        memcpy(file + off, sp->s[i].data, sp->s[i].size);
        off += sp->s[i].size;
    }

    reseal(off);

    return off;
}


/* y = 2 + 1*x0' - 2*x1' + 0.5*x2', x' = (x - mean) / scale */
static const char    lin_names[] = "a\0b\0c";
static const double  lin_mean[] = { 1.0, 2.0, 3.0 };
static const double  lin_scale[] = { 2.0, 4.0, 0.5 };
static const double  lin_coef[] = { 1.0, -2.0, 0.5 };
static const double  lin_icpt[] = { 2.0 };


static spec_t
linear_spec(void)
{
    spec_t  sp = { MLP_KIND_LINEAR, 3, 1, MLP_LINK_IDENTITY, 5, {
        { 1, 2, lin_names, sizeof(lin_names), 3 },
        { 10, 1, lin_mean, sizeof(lin_mean), 3 },
        { 11, 1, lin_scale, sizeof(lin_scale), 3 },
        { 20, 1, lin_coef, sizeof(lin_coef), 3 },
        { 21, 1, lin_icpt, sizeof(lin_icpt), 1 } } };

    return sp;
}


static const char    bin_names[] = "x\0y";
static const char    bin_labels[] = "\"no\"\0\"yes\"";
static const double  bin_coef[] = { 1.0, 1.0 };
static const double  bin_icpt[] = { -1.0 };


static spec_t
binary_spec(void)
{
    spec_t  sp = { MLP_KIND_LOGISTIC, 2, 2, MLP_LINK_LOGISTIC, 4, {
        { 1, 2, bin_names, sizeof(bin_names), 2 },
        { 2, 2, bin_labels, sizeof(bin_labels), 2 },
        { 20, 1, bin_coef, sizeof(bin_coef), 2 },
        { 21, 1, bin_icpt, sizeof(bin_icpt), 1 } } };

    return sp;
}


/* three classes, scores s_k = x0 * k: argmax is class 2 for x0 > 0 */
static const char    tri_labels[] = "0\0001\0002";
static const double  tri_coef[] = { 0.0, 0.0, 1.0, 0.0, 2.0, 0.0 };
static const double  tri_icpt[] = { 0.0, 0.0, 0.0 };


static spec_t
multi_spec(uint32_t link)
{
    spec_t  sp = { MLP_KIND_LOGISTIC, 2, 3, 0, 4, {
        { 1, 2, bin_names, sizeof(bin_names), 2 },
        { 2, 2, tri_labels, sizeof(tri_labels), 3 },
        { 20, 1, tri_coef, sizeof(tri_coef), 6 },
        { 21, 1, tri_icpt, sizeof(tri_icpt), 3 } } };

    sp.link = link;

    return sp;
}


/*
 * Two trees over features x, y. Tree 0: x <= 0.5 ? 1 : (y <= 1 ? 2 : 4),
 * missing y goes left; tree 1: a single leaf, 8. Raw scores start at 0.5.
 */
static const char      tr_names[] = "x\0y";
static const uint32_t  tr_roots[] = { 0, 5 };
static const double    tr_leaves[] = { 1.0, 2.0, 4.0, 8.0 };
static const double    tr_init[] = { 0.5 };
static const double    tr_scales[] = { 0.5, 2.0 };
static uint32_t        tr_params[8];
static mlp_node_t      tr_nodes[6];


static spec_t
trees_spec(uint32_t flags)
{
    spec_t  sp = { MLP_KIND_TREES, 2, 1, MLP_LINK_IDENTITY, 6, {
        { 1, 2, tr_names, sizeof(tr_names), 2 },
        { 30, 3, tr_params, sizeof(tr_params), 8 },
        { 31, 3, tr_roots, sizeof(tr_roots), 2 },
        { 34, 4, tr_nodes, sizeof(tr_nodes), 6 },
        { 35, 1, tr_leaves, sizeof(tr_leaves), 4 },
        { 36, 1, tr_init, sizeof(tr_init), 1 } } };

    static const mlp_node_t  nodes[6] = {
        { 0.5, 1, 0 },
        { 0.0, 0, MLP_NODE_LEAF },
        { 1.0, 3, 1 | MLP_NODE_DEFAULT_LEFT },
        { 0.0, 1, MLP_NODE_LEAF },
        { 0.0, 2, MLP_NODE_LEAF },
        { 0.0, 3, MLP_NODE_LEAF }
    };

    memcpy(tr_nodes, nodes, sizeof(nodes));
    memset(tr_params, 0, sizeof(tr_params));
    tr_params[0] = 2;
    tr_params[1] = 1;
    tr_params[2] = 1;
    tr_params[3] = flags;

    return sp;
}


static mlp_model_t *
load(size_t size, char *err)
{
    return mlp_model_load_mem(file, size, err, MLP_ERR_LEN);
}


static void
refused(size_t size, const char *want, const char *what)
{
    char          err[MLP_ERR_LEN];
    mlp_model_t  *m;

    err[0] = '\0';
    m = load(size, err);

    CHECK(m == NULL && strstr(err, want) != NULL,
          "%s: want refusal with \"%s\", got %s \"%s\"", what, want,
          m ? "a model" : "error", err);

    mlp_model_close(m);
}


static void
refused_spec(spec_t sp, const char *want, const char *what)
{
    refused(build(&sp), want, what);
}


static void
test_loader(void)
{
    char           err[MLP_ERR_LEN];
    size_t         size;
    spec_t         sp;
    mlp_model_t   *m;
    double         nan_coef[] = { 1.0, NAN, 0.5 };
    double         zero_scale[] = { 1.0, 0.0, 1.0 };
    static const char  dup_names[] = "a\0b\0a";
    static const char  empty_name[] = "a\0\0c";
    static const char  bad_utf8[] = "a\0\xc3\x28\0c";
    static const char  unterminated[] = "a\0b\0c";
    static const char  bad_label[] = "no\0\"yes\"";
    static const char  dup_label[] = "1\0001";
    static const char  producer[] = "[1, 2]";

    sp = linear_spec();
    size = build(&sp);
    m = load(size, err);
    CHECK(m != NULL, "valid linear model refused: %s", err);
    mlp_model_close(m);

    m = mlp_model_open("/nonexistent/model.mlp", err, sizeof(err));
    CHECK(m == NULL && strstr(err, "cannot open"), "missing file: %s", err);

    refused(63, "too small", "short file");

    build(&sp);
    file[0] = 'X';
    refused(size, "bad magic", "magic");

    build(&sp);
    put32(file + 8, MLP_FORMAT_VERSION + 1);
    refused(size, "format version 3", "future version");

    build(&sp);
    put32(file + 12, 0x04030201);
    refused(size, "byte order", "byte order");

    build(&sp);
    refused(size - 1, "truncated", "truncated file");

    build(&sp);
    put64(file + 16, size - 8);
    refused(size, "trailing", "file longer than header says");

    build(&sp);
    file[size - 1] ^= 0x40;
    refused(size, "checksum mismatch", "flipped byte");

    build(&sp);
    put32(file + 32, 9);
    reseal(size);
    refused(size, "unknown model kind 9", "kind");

    build(&sp);
    put32(file + 36, 0);
    reseal(size);
    refused(size, "n_features 0", "zero features");

    build(&sp);
    put32(file + 56, 1);
    reseal(size);
    refused(size, "link 1", "linear with logistic link");

    build(&sp);
    put32(file + 44, 0);
    reseal(size);
    refused(size, "n_sections 0", "no sections");

    build(&sp);
    put32(file + 44, 65);
    reseal(size);
    refused(size, "n_sections 65", "too many sections");

    build(&sp);
    put64(file + 48, 96);
    reseal(size);
    refused(size, "section table", "table offset");

    sp = linear_spec();
    sp.s[1].id = 77;
    refused_spec(sp, "unknown id 77", "unknown section");

    sp = linear_spec();
    sp.s[2].id = 10;
    refused_spec(sp, "appears twice", "duplicate section");

    sp = linear_spec();
    size = build(&sp);
    put64(file + 64 + 32 * 3 + 8, 64 * 9 + 8);
    reseal(size);
    refused(size, "not 64-byte aligned", "misaligned section");

    build(&sp);
    put64(file + 64 + 32 * 3 + 8, 64 * 1000);
    reseal(size);
    refused(size, "outside the data area", "section past the end");

    build(&sp);
    put64(file + 64 + 32 * 3 + 8, 0);
    reseal(size);
    refused(size, "outside the data area", "section over the header");

    build(&sp);
    put64(file + 64 + 32 * 3 + 16, 0xffffffffffffffc0ull);
    reseal(size);
    refused(size, "outside the data area", "huge section size");

    build(&sp);
    put64(file + 64 + 32 * 3 + 24, 4);
    reseal(size);
    refused(size, "do not hold", "f64 count vs size");

    build(&sp);
    put64(file + 64 + 32 * 3 + 24, 0x2000000000000001ull);
    reseal(size);
    refused(size, "do not hold", "f64 count overflow");

    build(&sp);
    put32(file + 64 + 32 * 3 + 4, 7);
    reseal(size);
    refused(size, "unknown dtype 7", "dtype");

    build(&sp);
    memcpy(file + 64 + 32 * 4 + 8, file + 64 + 32 * 3 + 8, 8);
    reseal(size);
    refused(size, "overlap", "overlapping sections");

    sp = linear_spec();
    sp.s[0] = sp.s[4];
    sp.n = 4;
    refused_spec(sp, "missing section feature_names", "no feature names");

    sp = linear_spec();
    sp.s[0].count = 2;
    refused_spec(sp, "2 names for 3", "name count");

    sp = linear_spec();
    sp.s[0].data = unterminated;
    sp.s[0].size = sizeof(unterminated) - 1;
    refused_spec(sp, "not NUL-terminated", "unterminated name");

    sp = linear_spec();
    sp.s[0].data = bad_utf8;
    sp.s[0].size = sizeof(bad_utf8);
    refused_spec(sp, "not valid UTF-8", "bad UTF-8");

    sp = linear_spec();
    sp.s[0].data = dup_names;
    refused_spec(sp, "appears twice", "duplicate feature name");

    sp = linear_spec();
    sp.s[0].data = empty_name;
    sp.s[0].size = sizeof(empty_name);
    refused_spec(sp, "empty name", "empty feature name");

    sp = linear_spec();
    sp.s[0].size = sizeof(lin_names) + 1;
    {
        static const char  extra[] = "a\0b\0c\0d";
        sp.s[0].data = extra;
        sp.s[0].size = sizeof(extra);
        refused_spec(sp, "left after", "extra bytes after the names");
    }

    sp = linear_spec();
    sp.s[1].data = zero_scale;
    sp.s[1].id = 11;
    sp.s[2].data = lin_mean;
    sp.s[2].id = 10;
    refused_spec(sp, "scaler_scale is zero for feature 1", "zero scale");

    sp = linear_spec();
    sp.s[2] = sp.s[4];
    sp.n = 4;
    refused_spec(sp, "must come together", "mean without scale");

    sp = linear_spec();
    sp.s[3].data = nan_coef;
    refused_spec(sp, "coef[1] is not finite", "NaN coefficient");

    sp = linear_spec();
    sp.s[3].count = 2;
    sp.s[3].size = 16;
    refused_spec(sp, "coef has 2 values", "coef count");

    sp = linear_spec();
    sp.n = 4;
    refused_spec(sp, "missing section intercept", "no intercept");

    sp = linear_spec();
    sp.s[sp.n++] = (sec_t) { 2, 2, bin_labels, sizeof(bin_labels), 1 };
    refused_spec(sp, "regression model with class_labels", "labels");

    sp = linear_spec();
    sp.s[sp.n++] = (sec_t) { 3, 2, producer, sizeof(producer), 1 };
    refused_spec(sp, "producer is not a JSON object", "producer");

    sp = binary_spec();
    m = load(build(&sp), err);
    CHECK(m != NULL, "valid binary model refused: %s", err);
    mlp_model_close(m);

    sp = binary_spec();
    sp.s[1] = sp.s[3];
    sp.n = 3;
    refused_spec(sp, "without section class_labels", "no labels");

    sp = binary_spec();
    sp.s[1].data = bad_label;
    sp.s[1].size = sizeof(bad_label);
    refused_spec(sp, "is not a JSON string", "label not JSON");

    sp = binary_spec();
    sp.s[1].data = dup_label;
    sp.s[1].size = sizeof(dup_label);
    refused_spec(sp, "are the same key", "duplicate label");

    {
        static const char  num_and_text[] = "1\0\"1\"";
        static const char  spaced[] = " \"no\"\0\"yes\"";

        sp = binary_spec();
        sp.s[1].data = num_and_text;
        sp.s[1].size = sizeof(num_and_text);
        refused_spec(sp, "are the same key \"1\"", "1 and \"1\" as keys");

        sp = binary_spec();
        sp.s[1].data = spaced;
        sp.s[1].size = sizeof(spaced);
        refused_spec(sp, "is not a JSON string", "label with a space");
    }

    sp = binary_spec();
    sp.n_outputs = 1;
    sp.s[1].count = 1;
    sp.s[1].size = 5;
    refused_spec(sp, "1 class(es)", "one class");

    sp = multi_spec(MLP_LINK_LOGISTIC);
    refused_spec(sp, "exactly 2 classes", "logistic link, 3 classes");

    sp = multi_spec(5);
    refused_spec(sp, "unknown link 5", "unknown link");

    sp = multi_spec(MLP_LINK_SOFTMAX);
    m = load(build(&sp), err);
    CHECK(m != NULL, "valid softmax model refused: %s", err);
    mlp_model_close(m);
}


/*
 * Every single-byte change to a valid file, CRC recomputed so the
 * structural checks are reached: each is refused or loads a model that
 * predicts without fault (run under valgrind/ASan to see faults).
 */

static void
test_loader_mutations(void)
{
    int            loaded, refusals;
    char           err[MLP_ERR_LEN];
    size_t         size, i, b;
    double         x[3], out[3];
    spec_t         sp;
    uint32_t       label;
    mlp_error_t    e;
    mlp_model_t   *m;
    unsigned char  orig[1024];

    static const unsigned char  values[] = { 0x00, 0x01, 0x3f, 0x40, 0x7f,
                                             0x80, 0xff };

    sp = linear_spec();
    size = build(&sp);
    memcpy(orig, file, size);

    loaded = 0;
    refusals = 0;

    for (i = 32; i < size; i++) {
        for (b = 0; b < sizeof(values); b++) {
            memcpy(file, orig, size);

            if (file[i] == values[b]) {
                continue;
            }

            file[i] = values[b];
            reseal(size);

            m = load(size, err);

            if (m == NULL) {
                refusals++;
                continue;
            }

            loaded++;
            x[0] = 1.0;
            x[1] = 2.0;
            x[2] = 3.0;
            (void) mlp_predict(m, x, 1, out, &label, &e);
            mlp_model_close(m);
        }
    }

    CHECK(refusals > 0 && loaded > 0, "mutations: %d refused, %d loaded",
          refusals, loaded);
}


static void
test_kernels(void)
{
    char          err[MLP_ERR_LEN];
    double        x[6], out[6];
    spec_t        sp;
    uint32_t      labels[2];
    mlp_error_t   e;
    mlp_model_t  *m;

    sp = linear_spec();
    m = load(build(&sp), err);

    /* x = (3, 6, 3.5): x' = (1, 1, 1), y = 2 + 1 - 2 + 0.5 = 1.5 */
    x[0] = 3.0; x[1] = 6.0; x[2] = 3.5;
    /* x = (1, 2, 3): x' = (0, 0, 0), y = 2 */
    x[3] = 1.0; x[4] = 2.0; x[5] = 3.0;

    CHECK(mlp_predict(m, x, 2, out, labels, &e) == 0, "linear predict");
    CHECK(out[0] == 1.5 && out[1] == 2.0, "linear: got %.17g %.17g",
          out[0], out[1]);

    x[0] = 3.0; x[1] = 6.0; x[2] = 3.5;
    CHECK(mlp_predict(m, x, 1, out, labels, &e) == 0 && out[0] == 1.5,
          "linear single row: got %.17g", out[0]);

    /* 1e308 / 0.5 overflows: an error, never "inf" in an answer */
    x[0] = 0.0; x[1] = 0.0; x[2] = 1e308;
    CHECK(mlp_predict(m, x, 1, out, labels, &e) != 0 && e.status == 400,
          "overflow must be a 400");
    mlp_model_close(m);

    sp = binary_spec();
    m = load(build(&sp), err);

    /* s = x + y - 1: 0 gives p = 1/2 and class "no" (s > 0 is "yes") */
    x[0] = 0.5; x[1] = 0.5;
    x[2] = 3.0; x[3] = -2.0 + log(3.0);
    CHECK(mlp_predict(m, x, 2, out, labels, &e) == 0, "binary predict");
    CHECK(out[0] == 0.5 && out[1] == 0.5 && labels[0] == 0,
          "binary s=0: %.17g %.17g label %u", out[0], out[1], labels[0]);
    CHECK(fabs(out[3] - 0.75) < 1e-15 && fabs(out[2] - 0.25) < 1e-15
          && labels[1] == 1, "binary s=ln 3: %.17g %.17g", out[2], out[3]);
    mlp_model_close(m);

    sp = multi_spec(MLP_LINK_SOFTMAX);
    m = load(build(&sp), err);

    /* scores (0, ln 2, 2 ln 2): softmax = (1, 2, 4) / 7 */
    x[0] = log(2.0); x[1] = 0.0;
    CHECK(mlp_predict(m, x, 1, out, labels, &e) == 0, "softmax predict");
    CHECK(fabs(out[0] - 1.0 / 7) < 1e-15 && fabs(out[1] - 2.0 / 7) < 1e-15
          && fabs(out[2] - 4.0 / 7) < 1e-15 && labels[0] == 2,
          "softmax: %.17g %.17g %.17g", out[0], out[1], out[2]);
    mlp_model_close(m);

    sp = multi_spec(MLP_LINK_OVR);
    m = load(build(&sp), err);

    /* scores (0, 0, 0): sigmoids all 1/2, normalized to 1/3 each */
    x[0] = 0.0; x[1] = 5.0;
    CHECK(mlp_predict(m, x, 1, out, labels, &e) == 0, "ovr predict");
    CHECK(fabs(out[0] - 1.0 / 3) < 1e-15 && labels[0] == 0,
          "ovr: %.17g label %u", out[0], labels[0]);
    mlp_model_close(m);
}


static double
tree_predict(spec_t sp, double x, double y)
{
    char          err[MLP_ERR_LEN];
    double        row[2], out[2];
    uint32_t      label;
    mlp_error_t   e;
    mlp_model_t  *m;

    m = mlp_model_load_mem(file, build(&sp), err, sizeof(err));
    if (m == NULL) {
        printf("tree model refused: %s\n", err);
        return -1.0;
    }

    row[0] = x;
    row[1] = y;
    out[0] = -1.0;

    if (mlp_predict(m, row, 1, out, &label, &e) != 0) {
        out[0] = -2.0;
    }

    mlp_model_close(m);

    return out[0];
}


static void
test_trees(void)
{
    spec_t   sp;
    double   v;
    static const uint32_t  groups_bad[] = { 0, 1 };
    static const uint32_t  roots_bad[] = { 0, 0 };
    static const char      ab[] = "\"a\"\0\"b\"";

    /* the walk, by hand: 0.5 + tree 0's leaf + 8 */
    v = tree_predict(trees_spec(MLP_TREE_MISSING), 0.2, 5.0);
    CHECK(v == 9.5, "x <= 0.5 goes left: %g", v);
    v = tree_predict(trees_spec(MLP_TREE_MISSING), 0.7, 0.9);
    CHECK(v == 10.5, "y <= 1 goes left: %g", v);
    v = tree_predict(trees_spec(MLP_TREE_MISSING), 0.7, NAN);
    CHECK(v == 10.5, "missing y follows default_left: %g", v);

    sp = trees_spec(MLP_TREE_MISSING);
    tr_nodes[2].info &= ~MLP_NODE_DEFAULT_LEFT;
    v = tree_predict(sp, 0.7, NAN);
    CHECK(v == 12.5, "missing y without default_left goes right: %g", v);

    /*
     * Node 2 split on the categories of y (bitset pair 0): {1, 3} go left,
     * {0, 2} right, anything else the missing way (left), as scikit-learn
     * 1.2 casts a value: (uint8) (int32) y.
     */
    {
        static const struct { double y, want; }  cat[] = {
            { 1, 10.5 }, { 3, 10.5 }, { 0, 12.5 }, { 2, 12.5 },
            { 2.7, 12.5 }, { 5, 10.5 }, { NAN, 10.5 }, { -1, 10.5 },
            { 259, 10.5 }, { 258, 12.5 }, { 3e9, 10.5 }
        };

        int       i;
        uint32_t  bits[16];

        memset(bits, 0, sizeof(bits));
        bits[0] = (1u << 1) | (1u << 3);
        bits[8] = 0xf;

        for (i = 0; i < (int) (sizeof(cat) / sizeof(cat[0])); i++) {
            sp = trees_spec(MLP_TREE_MISSING);
            tr_nodes[2].threshold = 0;
            tr_nodes[2].info |= MLP_NODE_CATEGORICAL;
            sp.s[sp.n++] = (sec_t) { 48, 3, bits, sizeof(bits), 16 };
            v = tree_predict(sp, 0.7, cat[i].y);
            CHECK(v == cat[i].want, "categorical split, y = %g: %g, want "
                  "%g", cat[i].y, v, cat[i].want);
        }

        sp = trees_spec(MLP_TREE_MISSING);
        tr_nodes[2].threshold = 0;
        tr_nodes[2].info |= MLP_NODE_CATEGORICAL;
        tr_nodes[2].info &= ~MLP_NODE_DEFAULT_LEFT;
        sp.s[sp.n++] = (sec_t) { 48, 3, bits, sizeof(bits), 16 };
        v = tree_predict(sp, 0.7, 5);
        CHECK(v == 12.5, "an unknown category goes the missing way, right: "
              "%g", v);

        sp = trees_spec(MLP_TREE_MISSING);
        tr_nodes[2].threshold = 1;
        tr_nodes[2].info |= MLP_NODE_CATEGORICAL;
        sp.s[sp.n++] = (sec_t) { 48, 3, bits, sizeof(bits), 16 };
        refused_spec(sp, "tree 0, node 2: categorical split with bitset 1, "
                     "the model has 1", "bitset index");

        sp = trees_spec(MLP_TREE_MISSING);
        tr_nodes[2].threshold = 0;
        tr_nodes[2].info |= MLP_NODE_CATEGORICAL;
        refused_spec(sp, "categorical split with bitset 0, the model has 0",
                     "no bitsets");

        sp = trees_spec(MLP_TREE_MISSING);
        sp.s[sp.n++] = (sec_t) { 48, 3, bits, sizeof(bits) - 4, 15 };
        refused_spec(sp, "category_bitsets: 15 u32 values", "bitset size");
    }

    v = tree_predict(trees_spec(0), 0.5, 1.0);
    CHECK(v == 9.5, "<=: the threshold itself goes left: %g", v);
    v = tree_predict(trees_spec(MLP_TREE_CMP_LT), 0.5, 1.0);
    CHECK(v == 12.5, "<: the threshold itself goes right: %g", v);

    v = tree_predict(trees_spec(0), 0.50000001, 1.0);
    CHECK(v == 10.5, "a double just above 0.5 goes right: %g", v);
    v = tree_predict(trees_spec(MLP_TREE_INPUT_F32), 0.50000001, 1.0);
    CHECK(v == 9.5, "rounded to float32 it is 0.5 and goes left: %g", v);
    v = tree_predict(trees_spec(MLP_TREE_INPUT_F32), 1e39, 1.0);
    CHECK(v == -2.0, "1e39 has no float32: refused, got %g", v);
    v = tree_predict(trees_spec(0), 1e39, 1.0);
    CHECK(v == 10.5, "1e39 in double goes right: %g", v);

    sp = trees_spec(MLP_TREE_SCALE);
    sp.s[sp.n++] = (sec_t) { 33, 1, tr_scales, sizeof(tr_scales), 2 };
    v = tree_predict(sp, 0.2, 0.0);
    CHECK(v == 0.5 + 0.5 * 1.0 + 2.0 * 8.0, "scaled leaves: %g", v);

    sp = trees_spec(0);
    sp.link = MLP_LINK_MEAN;
    v = tree_predict(sp, 0.2, 0.0);
    CHECK(v == 9.5 / 2, "mean of two trees: %g", v);

    sp = trees_spec(MLP_TREE_ACC_F32);
    v = tree_predict(sp, 0.2, 0.0);
    CHECK(v == 9.5, "float32 sums: %g", v);

    sp = trees_spec(0);
    sp.link = MLP_LINK_EXP;
    v = tree_predict(sp, 0.2, 0.0);
    CHECK(v == exp(9.5), "exp link: %g", v);

    /* a binary classifier: raw 0.5 + 1 + 8, p1 = sigmoid(9.5) */
    sp = trees_spec(0);
    sp.link = MLP_LINK_LOGISTIC;
    sp.n_outputs = 2;
    sp.s[sp.n++] = (sec_t) { 2, 2, ab, sizeof(ab), 2 };
    {
        char          err[MLP_ERR_LEN], *resp;
        mlp_error_t   e;
        mlp_model_t  *m;

        m = mlp_model_load_mem(file, build(&sp), err, sizeof(err));
        CHECK(m != NULL, "tree classifier refused: %s", err);

        if (m != NULL) {
            CHECK(handle(m, "{\"x\": 0.2, \"y\": 3}", 1, &resp, &e) == 0
                  && strncmp(resp, "{\"prediction\":\"b\"", 16) == 0,
                  "tree classifier answer");
            mlp_model_close(m);
        }
    }

    /* missing values: null and absent features only where allowed */
    {
        char          err[MLP_ERR_LEN], *resp;
        mlp_error_t   e;
        mlp_model_t  *m;

        sp = trees_spec(MLP_TREE_MISSING);
        m = mlp_model_load_mem(file, build(&sp), err, sizeof(err));
        CHECK(handle(m, "{\"x\": 0.7}", 1, &resp, &e) == 0
              && strcmp(resp, "{\"prediction\":10.5}\n") == 0,
              "an absent feature is missing");
        CHECK(handle(m, "{\"features\": [0.7, null]}", 1, &resp, &e) == 0
              && strcmp(resp, "{\"prediction\":10.5}\n") == 0,
              "null is missing");
        mlp_model_close(m);

        sp = trees_spec(0);
        m = mlp_model_load_mem(file, build(&sp), err, sizeof(err));
        refuses(m, "{\"features\": [0.7, null]}", 400, "is null");
        refuses(m, "{\"x\": 0.7}", 400, "missing feature \"y\"");
        mlp_model_close(m);
    }

    /* what the loader refuses in trees */

    sp = trees_spec(0);
    tr_nodes[0].a = 4;
    refused(build(&sp), "outside the tree", "child past the tree's end");

    sp = trees_spec(0);
    tr_nodes[2].a = 0;
    refused(build(&sp), "reached twice", "a cycle back to the root");

    sp = trees_spec(0);
    tr_nodes[2].a = 1;
    refused(build(&sp), "reached twice", "children shared");

    sp = trees_spec(0);
    tr_nodes[2].info = MLP_NODE_LEAF;
    tr_nodes[2].a = 1;
    refused(build(&sp), "2 of its 5 nodes are not reached", "stray nodes");

    sp = trees_spec(0);
    tr_nodes[2].info = 7;
    refused(build(&sp), "feature 7, the model has 2", "feature index");

    sp = trees_spec(0);
    tr_nodes[3].a = 4;
    refused(build(&sp), "leaf 4 beyond", "leaf index");

    sp = trees_spec(0);
    tr_nodes[0].threshold = NAN;
    refused(build(&sp), "threshold is NaN", "NaN threshold");

    sp = trees_spec(0);
    tr_nodes[0].threshold = INFINITY;
    {
        char          err[MLP_ERR_LEN];
        mlp_model_t  *m = load(build(&sp), err);

        CHECK(m != NULL, "an infinite threshold is allowed: %s", err);
        mlp_model_close(m);
    }

    sp = trees_spec(0);
    sp.s[sp.n++] = (sec_t) { 32, 3, groups_bad, sizeof(groups_bad), 2 };
    refused(build(&sp), "adds to raw scores 1..1", "group range");

    sp = trees_spec(0);
    sp.s[2].data = roots_bad;
    refused(build(&sp), "does not follow", "roots not increasing");

    sp = trees_spec(MLP_TREE_SCALE);
    refused(build(&sp), "must come together", "scale flag, no scales");

    sp = trees_spec(0x40);
    refused(build(&sp), "unknown flags 0x40", "flags");

    sp = trees_spec(0);
    sp.link = MLP_LINK_LOGISTIC;
    refused(build(&sp), "tree regressor with link 1", "link");

    sp = trees_spec(0);
    tr_params[1] = 2;
    refused(build(&sp), "2 raw scores for 1 outputs", "groups vs outputs");

    sp = trees_spec(0);
    sp.n = 5;
    sp.s[3] = sp.s[4];
    sp.s[4] = sp.s[5];
    refused(build(&sp), "without nodes", "no nodes");
}


/*
 * The scanner against jansson on many random spellings of numbers: both
 * must give the same doubles, bit for bit, and the scanner must take
 * every well-formed one (falling back only for what it cannot be sure of).
 */

/* sign, then digs with a point k digits from its end: 0.00123, 12.3 */

static void
with_point(char *num, size_t size, const char *sign, const char *digs,
    int k)
{
    int  d;

    d = (int) strlen(digs);

    if (d <= k) {
        snprintf(num, size, "%s0.%.*s%s", sign, k - d,
                 "0000000000000000000000", digs);

    } else {
        snprintf(num, size, "%s%.*s.%s", sign, d - k, digs, digs + d - k);
    }
}


/* the scanner reads num, the first of two features, as strtod does */

static int
scan_is_strtod(const mlp_model_t *m, const char *num)
{
    char           body[128];
    double         want;
    mlp_alloc_t    a = { arena_alloc, NULL };
    mlp_request_t  req;

    snprintf(body, sizeof(body), "{\"features\": [%s, 1]}", num);
    want = strtod(num, NULL);
    arena_used = 0;

    return mlp_scan_request(m, body, strlen(body), 2, &a, &req) == 0
           && memcmp(&req.x[0], &want, sizeof(double)) == 0;
}


static void
test_scan(void)
{
    int             i, k, n, fast, same, bad, refused_both;
    char            body[512], *p, err[MLP_ERR_LEN];
    spec_t          sp;
    mlp_error_t     e;
    mlp_model_t    *m;
    mlp_request_t   a_req, b_req;
    mlp_alloc_t     a = { arena_alloc, NULL };

    static const char  *shapes[] = {
        "{\"features\": [%s, %s]}",
        "{\"x\": %s, \"y\": %s}",
        " {\"instances\" : [ [%s,%s] , {\"y\":%s,\"x\":%s} ] } \n"
    };
    static const char  *falls[] = {
        "{\"x\": 1, \"y\": 2, \"x\": 3}",
        "{\"x\": 01, \"y\": 2}",
        "{\"x\": 1., \"y\": 2}",
        "{\"x\": .5, \"y\": 2}",
        "{\"x\": +1, \"y\": 2}",
        "{\"x\": 1e, \"y\": 2}",
        "{\"x\": 0x10, \"y\": 2}",
        "{\"x\": 1e999, \"y\": 2}",
        "{\"x\": NaN, \"y\": 2}",
        "{\"x\": 1, \"y\": 2} x",
        "{\"x\": 1, \"y\": 2,}",
        "{\"x\": 1 \"y\": 2}",
        "{\"\\u0078\": 1, \"y\": 2}",
        "{\"x\": 1}",
        "{\"features\": [1, 2, 3]}",
        "{\"features\": [1, 2], \"x\": 1}",
        "{\"instances\": []}",
        "{\"instances\": [[1, 2], [1, 2], [1, 2]]}",
        "{\"x\": 1, \"y\": 2",
        "{\"x\": 1, \"y\": null}",
        "[1, 2]",
        ""
    };

    sp = binary_spec();
    m = load(build(&sp), err);
    srand(11);
    fast = same = bad = refused_both = 0;
    n = 30000;

    for (i = 0; i < n; i++) {
        char  num[4][64];

        for (k = 0; k < 4; k++) {
            int  digits, point, ex;

            p = num[k];

            if (rand() % 4 == 0) {
                *p++ = '-';
            }

            digits = 1 + rand() % 20;
            point = rand() % (digits + 1);

            if (rand() % 3 == 0) {
                *p++ = '0';
                *p++ = '.';
                while (rand() % 3 == 0) {
                    *p++ = '0';
                }
                point = -1;
            }

            for (int d = 0; d < digits; d++) {
                *p++ = (char) ((d == 0 && point != 0 && point != -1)
                               ? '1' + rand() % 9 : '0' + rand() % 10);
                if (d + 1 == point && d + 1 < digits) {
                    *p++ = '.';
                }
            }

            if (rand() % 3 == 0) {
                ex = rand() % 5 == 0 ? rand() % 700 - 350 : rand() % 60 - 30;
                p += sprintf(p, "%c%s%d", rand() % 2 ? 'e' : 'E',
                             ex >= 0 && rand() % 2 ? "+" : "", ex);
            }

            *p = '\0';

            /* "0" may not be followed by digits in JSON: skip those */
            if ((num[k][0] == '0' || (num[k][0] == '-' && num[k][1] == '0'))
                && num[k][num[k][0] == '-' ? 2 : 1] >= '0'
                && num[k][num[k][0] == '-' ? 2 : 1] <= '9')
            {
                memmove(num[k] + (num[k][0] == '-' ? 1 : 0) + 1,
                        num[k] + (num[k][0] == '-' ? 1 : 0),
                        strlen(num[k]) + 1);
                num[k][num[k][0] == '-' ? 1 : 0] = '7';
            }
        }

        snprintf(body, sizeof(body), shapes[i % 3], num[0], num[1], num[2],
                 num[3]);

        arena_used = 0;

        if (mlp_scan_request(m, body, strlen(body), 2, &a, &a_req) == 0) {
            fast++;

            if (mlp_parse_json(m, body, strlen(body), 2, &a, &b_req, &e) == 0
                && a_req.rows == b_req.rows && a_req.shape == b_req.shape
                && memcmp(a_req.x, b_req.x, a_req.rows * 2 * sizeof(double))
                   == 0)
            {
                same++;

            } else if (bad++ < 5) {
                printf("scan/jansson differ on %s\n", body);
            }

        } else if (mlp_parse_json(m, body, strlen(body), 2, &a, &b_req, &e)
                   == 0)
        {
            if (bad++ < 5) {
                printf("scanner fell back on a valid body: %s\n", body);
            }

        } else {
            refused_both++;      /* out of range: 1e350 */
        }
    }

    CHECK(bad == 0 && same == fast && fast + refused_both == n
          && refused_both < n / 20,
          "scanner: %d bodies, %d taken, %d identical to jansson, %d "
          "refused by both", n, fast, same, refused_both);

    for (i = 0; i < (int) (sizeof(falls) / sizeof(falls[0])); i++) {
        arena_used = 0;
        CHECK(mlp_scan_request(m, falls[i], strlen(falls[i]), 2, &a, &a_req)
              != 0, "scanner must hand back: %s", falls[i]);
    }

    /*
     * Numbers of up to 16 digits with 1 to 22 of them after the point (or
     * an exponent), the scanner's division-free path, against glibc's
     * strtod, bit for bit.
     */
    bad = 0;
    n = 0;

    for (k = 1; k <= 22; k++) {
        for (i = 0; i < 40000; i++) {
            int                 digits, d;
            char                num[64], digs[32];
            unsigned long long  w;

            digits = 1 + i % 16;

            for (w = 0, d = 0; d < digits; d++) {
                w = w * 10 + (unsigned long long) (rand() % 10);
            }

            if (w == 0 || w >= (1ull << 53)) {
                continue;
            }

            if (i % 2) {
                snprintf(num, sizeof(num), "%llue-%d", w, k);

            } else {
                snprintf(digs, sizeof(digs), "%llu", w);
                with_point(num, sizeof(num), "", digs, k);
            }

            n++;

            if (!scan_is_strtod(m, num) && bad++ < 5) {
                printf("scanner and strtod differ on %s\n", num);
            }
        }
    }

    CHECK(bad == 0 && n > 500000, "scanner against strtod: %d of %d "
          "numbers differ", bad, n);

    /*
     * 16 to 19 digits, at least 2^53 (a round-tripping %.17g, Python's
     * repr), 1 to 22 after the point or as a negative exponent, half of
     * them negative: the Eisel-Lemire path from 5, strtod below; mantissas
     * near powers of two and 19 nines among them.
     */
    bad = 0;
    n = 0;

    for (k = 1; k <= 22; k++) {
        for (i = 0; i < 30000; i++) {
            char                num[64], digs[32];
            const char         *sign;
            unsigned long long  w;

            w = ((unsigned long long) rand() << 42)
                ^ ((unsigned long long) rand() << 21) ^ (unsigned) rand();

            switch (i % 4) {
            case 0:
                /* 16 digits, from 2^53 */
                w = (1ull << 53) + w % 990000000000000ull;
                break;
            case 1:
                w %= 100000000000000000ull;         /* 17 */
                break;
            case 2:
                break;                              /* up to 19 or 20 */
            default:
                /* just above or below a power of two */
                w = (1ull << (53 + i % 11)) + (unsigned) (i % 7) - 3;
            }

            if (i == 0) {
                w = 9999999999999999999ull;         /* 19 nines */
            }

            if (w < (1ull << 53) || w >= 10000000000000000000ull) {
                continue;
            }

            snprintf(digs, sizeof(digs), "%llu", w);
            sign = (i / 4) % 2 ? "-" : "";

            if (i % 4 == 1) {
                snprintf(num, sizeof(num), "%s%se-%d", sign, digs, k);

            } else {
                with_point(num, sizeof(num), sign, digs, k);
            }

            n++;

            if (!scan_is_strtod(m, num) && bad++ < 5) {
                printf("scanner and strtod differ on %s\n", num);
            }
        }
    }

    CHECK(bad == 0 && n > 500000, "scanner against strtod, 16 to 19 "
          "digits: %d of %d numbers differ", bad, n);

    mlp_model_close(m);
}


/* a growing arena, freed at once, as the request pool is */

static char    arena[1 << 24];


static void *
arena_alloc(void *data, size_t size)
{
    void  *p;

    size = (size + 15) & ~(size_t) 15;

    if (size > sizeof(arena) - arena_used) {
        return NULL;
    }

    p = arena + arena_used;
    arena_used += size;

    return p;
}


static int
handle(mlp_model_t *m, const char *body, size_t max, char **resp,
    mlp_error_t *e)
{
    size_t       len;
    mlp_alloc_t  a = { arena_alloc, NULL };

    arena_used = 0;

    if (mlp_handle_request(m, body, strlen(body), max, &a, resp, &len, e)
        != 0)
    {
        return -1;
    }

    (*resp)[len] = '\0';    /* the bound leaves room */

    return 0;
}


static void
answers(mlp_model_t *m, const char *body, const char *want)
{
    char         *resp;
    mlp_error_t   e;

    if (handle(m, body, 10, &resp, &e) != 0) {
        CHECK(0, "%s: refused: %s", body, e.message);
        return;
    }

    CHECK(strcmp(resp, want) == 0, "%s:\n  got  %s  want %s", body, resp,
          want);
}


static void
refuses(mlp_model_t *m, const char *body, int status, const char *want)
{
    char         *resp;
    mlp_error_t   e;

    if (handle(m, body, 2, &resp, &e) == 0) {
        CHECK(0, "%s: accepted: %s", body, resp);
        return;
    }

    CHECK(e.status == status && strstr(e.message, want) != NULL,
          "%s: got %d \"%s\", want %d \"%s\"", body, e.status, e.message,
          status, want);
}


static void
test_requests(void)
{
    char         *resp, err[MLP_ERR_LEN];
    spec_t        sp;
    mlp_error_t   e;
    mlp_model_t  *m;

    sp = linear_spec();
    m = load(build(&sp), err);

    answers(m, "{\"a\": 3, \"b\": 6, \"c\": 3.5}", "{\"prediction\":1.5}\n");
    answers(m, "{\"c\": 3.5, \"a\": 3e0, \"b\": 60e-1}",
            "{\"prediction\":1.5}\n");
    answers(m, "{\"features\": [3, 6, 3.5]}", "{\"prediction\":1.5}\n");
    answers(m, " {\"instances\": [[3, 6, 3.5], {\"a\": 1, \"b\": 2, "
            "\"c\": 3}]} ", "{\"predictions\":[1.5,2]}\n");
    answers(m, "{\"signature_name\": \"x\", \"instances\": [[1, 2, 3]]}",
            "{\"predictions\":[2]}\n");

    refuses(m, "", 400, "empty body");
    refuses(m, "{\"a\": 1,", 400, "malformed JSON at line 1, column 8");
    refuses(m, "{\"a\": 1}\n}", 400, "line 2, column 1");
    refuses(m, "[1, 2, 3]", 400, "must be a JSON object, not an array");
    refuses(m, "{\"a\": 1, \"b\": 2}", 400, "missing feature \"c\"");
    refuses(m, "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}", 400,
            "unknown feature \"d\"");
    refuses(m, "{\"a\": 1, \"b\": \"2\", \"c\": 3}", 400,
            "feature \"b\" must be a number, not a string");
    refuses(m, "{\"a\": 1, \"b\": null, \"c\": 3}", 400,
            "feature \"b\" is null");
    refuses(m, "{\"a\": 1, \"b\": true, \"c\": 3}", 400, "not a boolean");
    refuses(m, "{\"a\": 1, \"a\": 2, \"c\": 3}", 400, "duplicate");
    refuses(m, "{\"a\": 1e999, \"b\": 2, \"c\": 3}", 400, "overflow");
    refuses(m, "{\"a\": NaN, \"b\": 2, \"c\": 3}", 400, "malformed JSON");
    refuses(m, "{\"features\": [1, 2]}", 400, "2 values, the model takes 3");
    refuses(m, "{\"features\": {\"a\": 1}}", 400,
            "an array of 3 numbers");
    refuses(m, "{\"instances\": []}", 400, "\"instances\" is empty");
    refuses(m, "{\"instances\": [[1, 2, 3]], \"x\": 1}", 400,
            "must be the only key");
    refuses(m, "{\"instances\": [[1, 2, 3], [1, 2]]}", 400,
            "row 1: 2 values");
    refuses(m, "{\"instances\": [[1, 2, 3], {\"a\": 1, \"b\": 2}]}", 400,
            "row 1: missing feature \"c\"");
    refuses(m, "{\"instances\": [[1, 2, 3], [1, [2], 3]]}", 400,
            "row 1, feature \"b\" must be a number, not an array");
    refuses(m, "{\"instances\": [5]}", 400, "row 0: must be an array");
    refuses(m, "{\"instances\": [[1, 2, 3], [1, 2, 3], [1, 2, 3]]}", 413,
            "3 rows is over the limit of 2");
    refuses(m, "{\"a\": 1e308, \"b\": 2, \"c\": 1e308}", 400,
            "would not be a finite number");
    refuses(m, "\"text\"", 400, "must be a JSON object, not a string");

    /* what jansson may take is bounded by the body: past it, 413 */
    {
        char    *big;
        size_t   i, n;

        n = 20000;
        big = malloc(n * 3 + 32);
        strcpy(big, "{\"instances\": [");

        for (i = 0; i < n; i++) {
            strcat(big + strlen(big) - 3, i ? ",{}" : "{}");
        }

        strcat(big, "]}");
        CHECK(handle(m, big, 100000, &resp, &e) != 0 && e.status == 413
              && strstr(e.message, "too many JSON values") != NULL,
              "20,000 empty objects: want 413, got %d %s", e.status,
              e.message);
        free(big);
    }
    refuses(m, "17", 400, "must be a JSON object, not a number");
    refuses(m, "{\"a\\u0000\": 1}", 400, "malformed JSON");

    mlp_model_close(m);

    sp = binary_spec();
    m = load(build(&sp), err);
    answers(m, "{\"x\": 0.5, \"y\": 0.5}",
            "{\"prediction\":\"no\",\"probabilities\":"
            "{\"no\":0.5,\"yes\":0.5}}\n");
    mlp_model_close(m);

    sp = multi_spec(MLP_LINK_OVR);
    m = load(build(&sp), err);
    answers(m, "{\"instances\": [[0, 1]]}",
            "{\"predictions\":[{\"prediction\":0,\"probabilities\":"
            "{\"0\":0.3333333333333333,\"1\":0.3333333333333333,"
            "\"2\":0.3333333333333333}}]}\n");
    mlp_model_close(m);
}


/* what a request came to, for the logs and metrics: as the answers say */

static void
outcome(mlp_model_t *m, const char *body, int ok, size_t rows, int predicted,
    uint32_t label, double value)
{
    int            rc;
    char          *resp;
    size_t         len;
    mlp_error_t    e;
    mlp_outcome_t  oc;
    mlp_alloc_t    a = { arena_alloc, NULL };

    arena_used = 0;
    memset(&oc, 0, sizeof(oc));

    rc = mlp_handle_request_outcome(m, body, strlen(body), 10, &a, &resp,
                                    &len, &oc, &e);

    CHECK((rc == 0) == ok && oc.rows == rows && oc.predicted == predicted
          && (!predicted || (oc.first_label == label
                             && oc.first_value == value)),
          "%s: outcome rc %d rows %zu predicted %d label %u value %g",
          body, rc, oc.rows, oc.predicted, oc.first_label, oc.first_value);
}


static void
test_outcome(void)
{
    char          err[MLP_ERR_LEN];
    spec_t        sp;
    mlp_model_t  *m;

    sp = linear_spec();
    m = load(build(&sp), err);
    outcome(m, "{\"features\": [3, 6, 3.5]}", 1, 1, 1, 0, 1.5);
    outcome(m, "{\"instances\": [[3, 6, 3.5], [1, 2, 3]]}", 1, 2, 1, 0,
            1.5);
    outcome(m, "{\"a\": 1e308, \"b\": 2, \"c\": 1e308}", 0, 1, 0, 0, 0);
    outcome(m, "{\"a\": 1,", 0, 0, 0, 0, 0);
    mlp_model_close(m);

    /* class 0 ("no") at 0.5 each: the first of the ties, as answered */
    sp = binary_spec();
    m = load(build(&sp), err);
    outcome(m, "{\"x\": 0.5, \"y\": 0.5}", 1, 1, 1, 0, 0.5);
    mlp_model_close(m);
}


static void
test_writer(void)
{
    int      i;
    char     buf[128];
    double   v;
    size_t   n;
    uint64_t bits;

    static const double  fixed[] = { 0.1, 1.0 / 3, 1e300, -1e-300, 5e-324,
                                     2.2250738585072014e-308, 0.0, -0.0,
                                     123456789012345678.0,
                                     1.7976931348623157e308 };

    n = mlp_write_double(0.1, buf);
    CHECK(n == 3 && memcmp(buf, "0.1", 3) == 0, "0.1 written as %.*s",
          (int) n, buf);

    n = mlp_write_double(17.0, buf);
    CHECK(n == 2 && memcmp(buf, "17", 2) == 0, "17 written as %.*s",
          (int) n, buf);

    for (i = 0; i < (int) (sizeof(fixed) / sizeof(fixed[0])); i++) {
        n = mlp_write_double(fixed[i], buf);
        buf[n] = '\0';
        CHECK(n <= MLP_DOUBLE_MAX_LEN && strtod(buf, NULL) == fixed[i],
              "%.17g written as %s", fixed[i], buf);
    }

    /* random bit patterns: every finite double reads back exactly */
    srand(7);

    for (i = 0; i < 20000; i++) {
        bits = (uint64_t) rand() << 62 ^ (uint64_t) rand() << 31
               ^ (uint64_t) rand();
        memcpy(&v, &bits, sizeof(v));

        if (!isfinite(v)) {
            continue;
        }

        n = mlp_write_double(v, buf);
        buf[n] = '\0';

        if (n > MLP_DOUBLE_MAX_LEN || strtod(buf, NULL) != v) {
            CHECK(0, "%.17g written as %s", v, buf);
            return;
        }
    }

    passed++;

    /*
     * The fast writer against the printf reference: the same bytes for
     * every double, in and out of the fast path's range.
     */
    for (i = 0; i < 400000; i++) {
        char  ref[64];

        switch (i % 6) {
        case 4:
            /* a power of two or a neighbour: the interval's uneven ends */
            v = ldexp(1.0, rand() % 2100 - 1075);
            v = (i & 16) ? nextafter(v, 0) : (i & 32) ? nextafter(v, 2 * v)
                                                      : v;
            break;
        case 5:
            /* integers up to 2^63 */
            v = (double) ((uint64_t) rand() << 32 ^ (uint64_t) rand())
                / (double) (1ull << rand() % 62);
            v = floor(v);
            break;
        case 0:
            v = (double) rand() / RAND_MAX;
            break;
        case 1:
            v = (double) rand() / RAND_MAX * pow(10, rand() % 44 - 30);
            break;
        case 2:
            v = (double) (rand() % 1000000) / pow(10, rand() % 14);
            break;
        default:
            bits = (uint64_t) rand() << 62 ^ (uint64_t) rand() << 31
                   ^ (uint64_t) rand();
            memcpy(&v, &bits, sizeof(v));
        }

        if (!isfinite(v)) {
            continue;
        }

        v = (i & 8) ? -v : v;
        n = mlp_write_double(v, buf);
        buf[n] = '\0';
        ref[mlp_write_double_printf(v, ref)] = '\0';

        if (strcmp(buf, ref) != 0) {
            CHECK(0, "%.17g: fast writer %s, reference %s", v, buf, ref);
            break;
        }
    }

    passed++;

    n = mlp_write_error("a \"q\" \\ \n", buf, sizeof(buf));
    buf[n] = '\0';
    CHECK(strcmp(buf, "{\"error\":\"a \\\"q\\\" \\\\ \\u000a\"}\n") == 0,
          "error escaped as %s", buf);
}


/*
 * Format version 2: inputs age (number, may be missing), plan (category,
 * unknown refused), city (category, unknown encoded). Steps: impute age
 * with 40 (column 3), scale it (x - 40) / 10 (column 4), one-hot plan into
 * columns 5-7 and city, its first category dropped, into column 8.
 * y = 0.5 + 1 * age' + 10 * basic + 20 * premium + 30 * pro + 100 * b.
 */
static const char      sc_inputs[] = "age\0plan\0city";
static const uint32_t  sc_info[] = { 0, 1, 0, 0,   1, 2, 0, 3,   1, 0, 3, 2 };
static const char      sc_cats[] = "basic\0premium\0pro\0a\0b";
static const char      sc_features[] = "age\0basic\0premium\0pro\0b";
static uint32_t        sc_steps[24];
static const uint32_t  sc_u32[] = {
    0,  3,  1, 2,                              /* step inputs */
    1, 3, 0, 3, 3, 1, 1,                       /* plan: codes, 3 keys */
    1, 2, 0, 8, 1, 0, 2                        /* city: codes, 2 keys */
};
static const double    sc_f64[] = {
    40,  40, 10,                               /* fill; a, b */
    0, 1, 2, -1, -1,                           /* plan's slots */
    -1, 0, -1, -1                              /* city's slots */
};
static const uint32_t  sc_out[] = { 4, 5, 6, 7, 8 };
static const double    sc_coef[] = { 1, 10, 20, 30, 100 };
static const double    sc_icpt[] = { 0.5 };


static spec_t
schema_spec(void)
{
    spec_t  sp = { MLP_KIND_LINEAR, 5, 1, MLP_LINK_IDENTITY, 10, {
        { 1, 2, sc_features, sizeof(sc_features), 5 },
        { 20, 1, sc_coef, sizeof(sc_coef), 5 },
        { 21, 1, sc_icpt, sizeof(sc_icpt), 1 },
        { 40, 2, sc_inputs, sizeof(sc_inputs), 3 },
        { 41, 3, sc_info, sizeof(sc_info), 12 },
        { 42, 2, sc_cats, sizeof(sc_cats), 5 },
        { 43, 3, sc_steps, sizeof(sc_steps), 24 },
        { 44, 3, sc_u32, sizeof(sc_u32), 18 },
        { 45, 1, sc_f64, sizeof(sc_f64), 12 },
        { 46, 3, sc_out, sizeof(sc_out), 5 } } };

    static const uint32_t  steps[24] = {
        MLP_STEP_IMPUTE, 0, 1, 0, 1, 0, 0, 0,
        MLP_STEP_AFFINE, 0, 1, 1, 1, 1, 0, 0,
        MLP_STEP_ENCODE, 1, 2, 2, 4, 0, 4, 0
    };

    memcpy(sc_steps, steps, sizeof(steps));

    return sp;
}


/* The scanner takes the body (or not, as want) and agrees with jansson. */

static void
scan_agrees(mlp_model_t *m, const char *body, int want)
{
    int            rc, same;
    size_t         i, len, n;
    mlp_alloc_t    a = { arena_alloc, NULL };
    mlp_error_t    e;
    mlp_request_t  fast, slow;

    arena_used = 0;
    len = strlen(body);
    rc = mlp_scan_request(m, body, len, 10, &a, &fast);

    CHECK((rc == 0) == want, "%s: the scanner %s it", body,
          rc == 0 ? "took" : "handed back");

    if (rc != 0) {
        return;
    }

    if (mlp_parse_json(m, body, len, 10, &a, &slow, &e) != 0) {
        CHECK(0, "%s: scanned, but jansson refuses: %s", body, e.message);
        return;
    }

    n = fast.rows * m->n_inputs;
    same = (fast.rows == slow.rows && fast.shape == slow.shape);

    for (i = 0; same && i < n; i++) {
        same = (isnan(fast.x[i]) && isnan(slow.x[i]))
               || memcmp(&fast.x[i], &slow.x[i], sizeof(double)) == 0;
    }

    CHECK(same, "%s: scanner and jansson disagree", body);
}


/* the linear model of linear_spec with other feature names */

static mlp_model_t *
linear_named(const char *names, size_t size)
{
    char          err[MLP_ERR_LEN];
    spec_t        sp;
    mlp_model_t  *m;

    sp = linear_spec();
    sp.s[0].data = names;
    sp.s[0].size = size;
    m = load(build(&sp), err);
    CHECK(m != NULL, "names %s...: refused: %s", names, err);

    return m;
}


/*
 * Names of 8 bytes and more (compared a word at a time) and names with
 * bytes JSON escapes, which must never be matched in place: the body's
 * raw "q"t" is not the key q"t but malformed JSON.
 */

static void
test_scan_names(void)
{
    mlp_model_t  *m;

    static const char  long_names[] = "x\0sepal length (cm)\0petal wd";
    static const char  esc_names[] = "x\0q\"t\0b\\s";

    m = linear_named(long_names, sizeof(long_names));

    if (m != NULL) {
        scan_agrees(m, "{\"x\": 3, \"sepal length (cm)\": 6, \"petal wd\": "
                    "3.5}", 1);
        scan_agrees(m, "{\"x\":3,\"sepal length (cm)\"  :6 ,\"petal wd\":3.5}",
                    1);
        answers(m, "{\"x\": 3, \"sepal length (cm)\": 6, \"petal wd\": 3.5}",
                "{\"prediction\":1.5}\n");
        scan_agrees(m, "{\"x\": 3, \"sepaL length (cm)\": 6, \"petal wd\": "
                    "3.5}", 0);             /* a byte in the first word */
        scan_agrees(m, "{\"x\": 3, \"sepal length (cM)\": 6, \"petal wd\": "
                    "3.5}", 0);             /* in the overlapping tail */
        scan_agrees(m, "{\"x\": 3, \"sepal length (cm)\": 6, \"petal wD\": "
                    "3.5}", 0);             /* 8 bytes: the tail alone */
        scan_agrees(m, "{\"x\": 3, \"sepal length (cm)x\": 6, \"petal wd\": "
                    "3.5}", 0);
        scan_agrees(m, "{\"x\": 3, \"sepal length (cm: 6, \"petal wd\": "
                    "3.5}", 0);
        refuses(m, "{\"x\": 3, \"sepal length (cM)\": 6, \"petal wd\": 3.5}",
                400, "sepal length (cM)");
        mlp_model_close(m);
    }

    m = linear_named(esc_names, sizeof(esc_names));

    if (m != NULL) {
        scan_agrees(m, "{\"x\": 3, \"q\"t\": 6, \"b\\s\": 3.5}", 0);
        scan_agrees(m, "{\"x\": 3, \"q\\\"t\": 6, \"b\\\\s\": 3.5}", 0);
        answers(m, "{\"x\": 3, \"q\\\"t\": 6, \"b\\\\s\": 3.5}",
                "{\"prediction\":1.5}\n");
        refuses(m, "{\"x\": 3, \"q\"t\": 6, \"b\\s\": 3.5}", 400,
                "malformed JSON");
        mlp_model_close(m);
    }
}


static void
test_schema(void)
{
    char          err[MLP_ERR_LEN];
    size_t        len;
    spec_t        sp;
    uint32_t      bad_steps[24], bad_info[12];
    mlp_model_t  *m;
    const char   *info;

    sp = schema_spec();
    m = load(build(&sp), err);
    CHECK(m != NULL, "schema model refused: %s", err);

    if (m == NULL) {
        return;
    }

    answers(m, "{\"age\": 50, \"plan\": \"premium\", \"city\": \"b\"}",
            "{\"prediction\":121.5}\n");
    answers(m, "{\"age\": null, \"plan\": \"basic\", \"city\": \"zzz\"}",
            "{\"prediction\":10.5}\n");
    answers(m, "{\"plan\": \"basic\", \"city\": \"a\"}",
            "{\"prediction\":10.5}\n");
    answers(m, "{\"features\": [30, \"pro\", \"a\"]}",
            "{\"prediction\":29.5}\n");
    answers(m, "{\"instances\": [[30, \"pro\", \"a\"], {\"age\": 60, "
            "\"plan\": \"pro\", \"city\": \"b\"}]}",
            "{\"predictions\":[29.5,132.5]}\n");

    scan_agrees(m, "{\"age\": 50, \"plan\": \"premium\", \"city\": \"b\"}",
                1);
    scan_agrees(m, "{\"age\": null, \"plan\": \"basic\", \"city\": \"a\"}",
                1);
    scan_agrees(m, "{\"plan\": \"basic\", \"city\": \"a\"}", 1);
    scan_agrees(m, "{\"instances\": [[30, \"pro\", \"a\"], [null, \"pro\", "
                "\"b\"], {\"city\": \"b\", \"plan\": \"pro\"}]}", 1);
    scan_agrees(m, "{\"age\": 5, \"plan\": \"basic\", \"city\": \"zzz\"}",
                1);                         /* unknown, and encoded */
    scan_agrees(m, "{\"age\": 5, \"plan\": \"basic\", \"city\": "
                "\"\xc3\xa9t\xc3\xa9\"}", 1);
    scan_agrees(m, "{\"age\": 5, \"plan\": \"basic\", \"city\": \"\xc3\"}",
                0);                         /* not UTF-8: jansson's 400 */
    scan_agrees(m, "{\"age\": 5, \"plan\": \"basic\", \"city\": "
                "\"\xed\xa0\x80\"}", 0);  /* a surrogate */
    scan_agrees(m, "{\"age\": 5, \"plan\": \"gold\", \"city\": \"a\"}",
                0);                         /* refused: jansson words it */
    scan_agrees(m, "{\"age\": null, \"age\": 3, \"plan\": \"basic\", "
                "\"city\": \"a\"}", 0);    /* duplicate after a null */
    scan_agrees(m, "{\"age\": 5, \"plan\": \"basic\", \"city\": null}", 0);
    scan_agrees(m, "{\"age\": 5, \"plan\": \"bas\\u0069c\", \"city\": "
                "\"a\"}", 0);
    scan_agrees(m, "{\"age\": \"5\", \"plan\": \"basic\", \"city\": \"a\"}",
                0);
    scan_agrees(m, "{\"age\": 5, \"plan\": 1, \"city\": \"a\"}", 0);
    scan_agrees(m, "{\"age\": nul, \"plan\": \"basic\", \"city\": \"a\"}",
                0);

    /*
     * Keys read in place (the names are plain) and their near misses, on
     * a key after the first (the first is read as a string to tell the
     * shape of the body).
     */
    scan_agrees(m, "{\"age\":5,\"plan\":\"basic\",\"city\":\"a\"}", 1);
    scan_agrees(m, "{ \"age\" :5 ,\n\t\"plan\"\t: \"pro\" , \"city\" : "
                "\"b\" }", 1);
    scan_agrees(m, "{\"city\": \"a\", \"age\": 5, \"plan\": \"pro\"}", 1);
    scan_agrees(m, "{\"age\": 5, \"pl\\u0061n\": \"pro\", \"city\": \"a\"}",
                0);                         /* escaped: jansson reads it */
    scan_agrees(m, "{\"age\": 5, \"planx\": \"pro\", \"city\": \"a\"}", 0);
    scan_agrees(m, "{\"age\": 5, \"planx: \"pro\", \"city\": \"a\"}", 0);
    scan_agrees(m, "{\"age\": 5, \"pla\": \"pro\", \"city\": \"a\"}", 0);
    scan_agrees(m, "{\"age\": 5, \"plan\" \"pro\", \"city\": \"a\"}", 0);
    scan_agrees(m, "{\"age\": 5, \"plan\"\"city\": \"a\"}", 0);
    scan_agrees(m, "{\"age\": 5, \"plan\": \"pro\", \"plan\": \"pro\", "
                "\"city\": \"a\"}", 0);
    scan_agrees(m, "{\"age\":5,\"pla}", 0);
    scan_agrees(m, "{\"age\":5,\"plan\"}", 0);
    scan_agrees(m, "{\"age\":5,\"plan\":}", 0);
    answers(m, "{\"age\": 50, \"pl\\u0061n\": \"premium\", \"city\": \"b\"}",
            "{\"prediction\":121.5}\n");
    refuses(m, "{\"age\": 50, \"plan\" \"premium\", \"city\": \"b\"}", 400,
            "malformed JSON at line 1, column 28: ':' expected");
    refuses(m, "{\"age\": 50, \"planx: \"premium\", \"city\": \"b\"}", 400,
            "malformed JSON");

    refuses(m, "{\"age\": 1, \"plan\": \"gold\", \"city\": \"a\"}", 400,
            "feature \"plan\": unknown category \"gold\" (known: \"basic\", "
            "\"premium\", \"pro\")");
    refuses(m, "{\"age\": 1, \"plan\": \"Basic\", \"city\": \"a\"}", 400,
            "unknown category \"Basic\"");
    refuses(m, "{\"age\": \"1\", \"plan\": \"pro\", \"city\": \"a\"}",
            400, "feature \"age\" must be a number, not a string");
    refuses(m, "{\"age\": 1, \"plan\": 3, \"city\": \"a\"}", 400,
            "feature \"plan\" must be a string (one of its categories), "
            "not a number");
    refuses(m, "{\"age\": 1, \"plan\": \"pro\", \"city\": null}", 400,
            "feature \"city\" is null");
    refuses(m, "{\"age\": 1, \"plan\": \"pro\"}", 400,
            "missing feature \"city\"");
    refuses(m, "{\"features\": [1, \"pro\"]}", 400,
            "2 values, the model takes 3");
    refuses(m, "{\"basic\": 1}", 400, "unknown feature \"basic\"");

    info = mlp_model_info(m, &len);
    CHECK(strstr(info, "\"n_inputs\":3,\"inputs\":[{\"name\":\"age\","
                 "\"type\":\"number\",\"missing\":true},{\"name\":\"plan\","
                 "\"type\":\"category\",\"missing\":false,\"unknown\":"
                 "\"refused\",\"categories\":[\"basic\",\"premium\",\"pro\"]}")
          != NULL && strstr(info, "\"preprocessing\":[\"impute\",\"affine\","
                            "\"encode\"]") != NULL
          && strstr(info, "\"format_version\":2") != NULL,
          "schema metadata: %s", info);

    mlp_model_close(m);

    /* a step making an infinity: refused, as scikit-learn's check_array */
    {
        uint32_t  steps[24];

        memcpy(steps, sc_steps, sizeof(steps));
        steps[8] = MLP_STEP_FUNCTION;
        steps[13] = 0;
        steps[14] = 3;          /* step_u32[3] = 2: log */

        sp = schema_spec();
        sp.s[6].data = steps;
        m = load(build(&sp), err);
        CHECK(m != NULL, "a function step refused: %s", err);

        if (m != NULL) {
            answers(m, "{\"age\": 1, \"plan\": \"premium\", \"city\": \"b\"}",
                    "{\"prediction\":120.5}\n");
            refuses(m, "{\"age\": 0, \"plan\": \"premium\", \"city\": "
                    "\"b\"}", 400, "the estimator's feature \"age\" is "
                    "infinite after preprocessing");
            refuses(m, "{\"age\": -1, \"plan\": \"premium\", \"city\": "
                    "\"b\"}", 400, "the estimator's feature \"age\" is NaN "
                    "after preprocessing");
            mlp_model_close(m);
        }
    }

    /* an infinity inside the pipeline: the scaler's check_array refuses */
    {
        uint32_t  steps[24];

        memcpy(steps, sc_steps, sizeof(steps));
        steps[0] = MLP_STEP_FUNCTION;
        steps[6] = 3;           /* step_u32[3] = 2: log, of age */

        sp = schema_spec();
        sp.s[6].data = steps;
        m = load(build(&sp), err);
        CHECK(m != NULL, "function then scaler refused: %s", err);

        if (m != NULL) {
            answers(m, "{\"age\": 148.4131591025766, \"plan\": \"premium\", "
                    "\"city\": \"b\"}", "{\"prediction\":117}\n");
            refuses(m, "{\"age\": 0, \"plan\": \"premium\", \"city\": "
                    "\"b\"}", 400, "an infinity reaches the affine step");
            mlp_model_close(m);
        }
    }

    /* a message cut in the middle of a character is still UTF-8 */
    {
        char         long_e[301];
        mlp_error_t  e;

        for (len = 0; len < 300; len += 2) {
            long_e[len] = (char) 0xc3;
            long_e[len + 1] = (char) 0xa9;
        }

        long_e[300] = '\0';
        mlp_error_set(&e, 400, "x%s", long_e);
        CHECK(strlen(e.message) == MLP_ERR_LEN - 1
              && mlp_utf8_valid((unsigned char *) e.message,
                                strlen(e.message)),
              "a cut message is valid UTF-8");
    }

    /* every index and table is checked at load */
    memcpy(bad_steps, sc_steps, sizeof(bad_steps));

    sp = schema_spec();
    sp.s[6].data = bad_steps;

    memcpy(bad_steps, sc_steps, sizeof(bad_steps));
    bad_steps[0] = 12;
    refused_spec(sp, "step 0: unknown type 12", "unknown step type");

    memcpy(bad_steps, sc_steps, sizeof(bad_steps));
    bad_steps[3] = 1;           /* impute's input list is u32[1] = 3 */
    refused_spec(sp, "step 0 (impute): input column 3 is not written before",
                 "a step reading a column not yet written");

    memcpy(bad_steps, sc_steps, sizeof(bad_steps));
    bad_steps[16 + 4] = 5;
    refused_spec(sp, "blocks of 4 columns in all, the step writes 5",
                 "encode width");

    memcpy(bad_steps, sc_steps, sizeof(bad_steps));
    bad_steps[16 + 6] = 12;
    refused_spec(sp, "parameters outside the pools", "encode params");

    memcpy(bad_steps, sc_steps, sizeof(bad_steps));
    bad_steps[8 + 5] = 11;      /* affine's a, b would run past the pool */
    refused_spec(sp, "step 1 (affine): parameters outside the pools",
                 "affine params");

    memcpy(bad_steps, sc_steps, sizeof(bad_steps));
    bad_steps[8 + 5] = 2;       /* b = plan's slot 0: divides by zero */
    refused_spec(sp, "divides column 0 by zero", "affine by zero");

    memcpy(bad_steps, sc_steps, sizeof(bad_steps));
    bad_steps[16 + 2] = 1;      /* encode one column: width 3 of 4 */
    refused_spec(sp, "blocks of 3 columns", "encode count");

    sp = schema_spec();
    sp.s[9].data = (const uint32_t[]) { 4, 5, 6, 7, 9 };
    refused_spec(sp, "output_columns[4] = 9 is not a column", "gather");

    sp = schema_spec();
    memcpy(bad_info, sc_info, sizeof(bad_info));
    sp.s[4].data = bad_info;
    bad_info[10] = 2;
    refused_spec(sp, "input 2: categories 2..+2, expected them from 3",
                 "category runs");

    memcpy(bad_info, sc_info, sizeof(bad_info));
    bad_info[11] = 3;
    refused_spec(sp, "category_values (id 42) has 5 values, the inputs name "
                 "6", "category count");

    memcpy(bad_info, sc_info, sizeof(bad_info));
    bad_info[1] = 4;
    refused_spec(sp, "input 0: unknown kind 0 or flags 0x4", "input flags");

    sp = schema_spec();
    sp.s[5].data = "basic\0basic\0pro\0a\0b";
    sp.s[5].size = sizeof("basic\0basic\0pro\0a\0b");
    refused_spec(sp, "input \"plan\": category \"basic\" appears twice",
                 "duplicate category");

    {
        /* a slot outside its block */
        double  f64[12];

        memcpy(f64, sc_f64, sizeof(f64));
        sp = schema_spec();
        sp.s[8].data = f64;
        f64[5] = 3;
        refused_spec(sp, "column 0 maps a key to slot 3 of a block of 3",
                     "slot range");

        memcpy(f64, sc_f64, sizeof(f64));
        f64[1] = INFINITY;
        refused_spec(sp, "step_f64[1] is infinite", "pool infinity");
    }

    /* a version 1 file cannot carry version 2 sections */
    sp = schema_spec();
    len = build(&sp);
    put32(file + 8, 1);
    reseal(len);
    refused(len, "section 3: id 40 needs format version 2, the file is "
            "version 1", "version 2 section in a version 1 file");
}


/*
 * An svm by hand: support vectors 1 and -1 on one feature, linear kernel,
 * classes "a" (vector 1) and "b" (vector -1), coefficients 1 and -1, rho
 * 0.5: libsvm's decision 2x - 0.5, answered with scikit-learn's sign.
 */
static const char      sv_names[] = "x";
static const char      sv_labels[] = "\"a\"\0\"b\"";
static uint32_t        sv_params[8];
static const double    sv_kernel[] = { 0.5, 0.0 };
static const double    sv_vectors[] = { 1.0, -1.0 };
static const double    sv_coef[] = { 1.0, -1.0 };
static const double    sv_rho[] = { 0.5 };
static const uint32_t  sv_count[] = { 1, 1 };


static spec_t
svm_spec(uint32_t kernel, uint32_t flags)
{
    spec_t  sp = { MLP_KIND_SVM, 1, 2, 0, 8, {
        { 1, 2, sv_names, sizeof(sv_names), 1 },
        { 2, 2, sv_labels, sizeof(sv_labels), 2 },
        { 60, 3, sv_params, sizeof(sv_params), 8 },
        { 61, 1, sv_kernel, sizeof(sv_kernel), 2 },
        { 62, 1, sv_vectors, sizeof(sv_vectors), 2 },
        { 63, 1, sv_coef, sizeof(sv_coef), 2 },
        { 64, 1, sv_rho, sizeof(sv_rho), 1 },
        { 65, 3, sv_count, sizeof(sv_count), 2 } } };

    memset(sv_params, 0, sizeof(sv_params));
    sv_params[1] = kernel;
    sv_params[2] = 2;
    sv_params[3] = 2;
    sv_params[4] = flags;
    sv_params[5] = 3;

    return sp;
}


static void
test_svm(void)
{
    char          err[MLP_ERR_LEN];
    spec_t        sp;
    uint32_t      bad[2];
    mlp_model_t  *m;

    sp = svm_spec(MLP_SVM_LINEAR, MLP_SVM_SKLEARN_SIGN);
    m = load(build(&sp), err);
    CHECK(m != NULL, "svm refused: %s", err);

    if (m != NULL) {
        /* dec = 2 * 1 - 0.5 = 1.5 > 0: a; answered -1.5 */
        answers(m, "{\"x\": 1}", "{\"prediction\":\"a\",\"decision\":-1.5}\n");
        answers(m, "{\"x\": 0}", "{\"prediction\":\"b\",\"decision\":0.5}\n");
        mlp_model_close(m);
    }

    /* rbf, gamma 0.5, x = 0: K = exp(-0.5) both, dec = -0.5 */
    sp = svm_spec(MLP_SVM_RBF, 0);
    m = load(build(&sp), err);
    CHECK(m != NULL, "rbf svm refused: %s", err);

    if (m != NULL) {
        answers(m, "{\"x\": 0}", "{\"prediction\":\"b\",\"decision\":-0.5}\n");
        mlp_model_close(m);
    }

    /* poly, degree 3: (0.5 * x * v + 0)^3; x = 2: 1 - (-1) - 0.5 */
    sp = svm_spec(MLP_SVM_POLY, 0);
    m = load(build(&sp), err);

    if (m != NULL) {
        answers(m, "{\"x\": 2}", "{\"prediction\":\"a\",\"decision\":1.5}\n");
        mlp_model_close(m);
    }

    sp = svm_spec(7, 0);
    refused_spec(sp, "svm_params: type 0, kernel 7", "svm kernel");

    sp = svm_spec(MLP_SVM_LINEAR, 0x40);
    refused_spec(sp, "flags 0x40", "svm flags");

    sp = svm_spec(MLP_SVM_LINEAR, MLP_SVM_PROBABILITY);
    refused_spec(sp, "prob_a and prob_b (ids 66, 67) and flag probability",
                 "probability without its sections");

    /* found by fuzz_model: the flag, prob_a, and no prob_b */
    {
        static const double  pa[] = { 1.0 };

        sp = svm_spec(MLP_SVM_LINEAR, MLP_SVM_PROBABILITY);
        sp.s[sp.n++] = (sec_t) { 66, 1, pa, sizeof(pa), 1 };
        refused_spec(sp, "prob_a and prob_b (ids 66, 67) and flag "
                     "probability", "probability with prob_a alone");

        sp = svm_spec(MLP_SVM_LINEAR, 0);
        sp.s[sp.n++] = (sec_t) { 67, 1, pa, sizeof(pa), 1 };
        refused_spec(sp, "prob_a and prob_b (ids 66, 67) and flag "
                     "probability", "prob_b alone without the flag");
    }

    sp = svm_spec(MLP_SVM_LINEAR, 0);
    bad[0] = 2;
    bad[1] = 1;
    sp.s[7].data = bad;
    refused_spec(sp, "n_sv_class adds up to 3 vectors, the model has 2",
                 "vector counts");

    sp = svm_spec(MLP_SVM_LINEAR, 0);
    sp.s[4].count = 1;
    sp.s[4].size = 8;
    refused_spec(sp, "support_vectors has 1 values, the model needs 2",
                 "vector section size");

    sp = svm_spec(MLP_SVM_LINEAR, 0);
    sv_params[0] = MLP_SVM_EPSILON_SVR;
    refused_spec(sp, "svm regressor or one-class model with labels",
                 "a regressor with labels");
}



/*
 * Explanations: the sections they need refused at load when damaged, and
 * TreeSHAP and the linear contributions by hand on the small models.
 * Tree 0 with covers 10 | 4, 6 | 3, 3: E = 0.4 * 1 + 0.6 * 3 = 2.2; for
 * (x, y) = (0.7, 0.9) the Shapley values of the two features are, from
 * f({}) = 2.2, f({x}) = 3, f({y}) = 1.6, f({x, y}) = 2: phi_x = 0.6,
 * phi_y = -0.8; tree 1 (a leaf) adds 8 to the base and nothing else.
 */

static double  ex_cover[6];
static double  ex_fmean[3];


static void
test_explain(void)
{
    int           i;
    char          err[MLP_ERR_LEN];
    void         *scratch;
    double        x[3], phi[3];
    spec_t        sp;
    mlp_error_t   e;
    mlp_model_t  *m;
    static const double  cover[6] = { 10, 4, 6, 3, 3, 10 };

    memcpy(ex_cover, cover, sizeof(cover));
    sp = trees_spec(MLP_TREE_MISSING);
    sp.s[sp.n++] = (sec_t) { 51, 1, ex_cover, sizeof(ex_cover), 6 };
    m = load(build(&sp), err);
    CHECK(m != NULL, "trees with node_cover refused: %s", err);

    if (m != NULL) {
        CHECK(mlp_explain_check(m, &e) == 0, "trees with cover cannot "
              "explain: %s", e.message);
        CHECK(mlp_explain_groups(m) == 1, "one margin");
        CHECK(fabs(mlp_explain_base(m)[0] - 10.7) < 1e-12, "base %.17g, "
              "want 0.5 + 2.2 + 8", mlp_explain_base(m)[0]);
        scratch = malloc(mlp_explain_scratch(m) + 8);
        x[0] = 0.7;
        x[1] = 0.9;
        CHECK(mlp_explain(m, x, 1, phi, scratch, &e) == 0, "explain: %s",
              e.message);
        CHECK(fabs(phi[0] - 0.6) < 1e-12 && fabs(phi[1] + 0.8) < 1e-12,
              "TreeSHAP by hand: %.17g %.17g, want 0.6 -0.8", phi[0],
              phi[1]);
        free(scratch);
        mlp_model_close(m);
    }

    /* damaged covers: a count, a zero, a negative, NaN */
    sp = trees_spec(MLP_TREE_MISSING);
    sp.s[sp.n++] = (sec_t) { 51, 1, ex_cover, 5 * sizeof(double), 5 };
    refused(build(&sp), "node_cover has 5 values", "cover count");

    for (i = 0; i < 3; i++) {
        memcpy(ex_cover, cover, sizeof(cover));
        ex_cover[3] = (i == 0) ? 0.0 : (i == 1) ? -1.0 : NAN;
        sp = trees_spec(MLP_TREE_MISSING);
        sp.s[sp.n++] = (sec_t) { 51, 1, ex_cover, sizeof(ex_cover), 6 };
        refused(build(&sp), i == 2 ? "not finite" : "need > 0",
                "bad cover value");
    }

    /* a tree model without cover loads, and says why it cannot explain */
    sp = trees_spec(MLP_TREE_MISSING);
    m = load(build(&sp), err);
    CHECK(m != NULL && mlp_explain_check(m, &e) != 0 && e.status == 400
          && strstr(e.message, "node_cover") != NULL,
          "trees without cover: %s", m ? e.message : err);
    mlp_model_close(m);

    /* linear: coef * (x - E[x]) / scale, base at E[x] */
    ex_fmean[0] = 3.0;
    ex_fmean[1] = 2.0;
    ex_fmean[2] = 2.0;
    sp = linear_spec();
    sp.s[sp.n++] = (sec_t) { 50, 1, ex_fmean, sizeof(ex_fmean), 3 };
    m = load(build(&sp), err);
    CHECK(m != NULL, "linear with feature_mean refused: %s", err);

    if (m != NULL) {
        x[0] = 5.0;
        x[1] = 6.0;
        x[2] = 2.5;
        CHECK(mlp_explain(m, x, 1, phi, NULL, &e) == 0, "explain: %s",
              e.message);
        CHECK(phi[0] == 1.0 && phi[1] == -2.0 && phi[2] == 0.5,
              "linear contributions %g %g %g, want 1 -2 0.5", phi[0],
              phi[1], phi[2]);
        /* 2 + (3-1)/2 - 2 (2-2)/4 + 0.5 (2-3)/0.5 = 2 */
        CHECK(mlp_explain_base(m)[0] == 2.0, "linear base %g, want 2",
              mlp_explain_base(m)[0]);
        mlp_model_close(m);
    }

    sp = linear_spec();
    sp.s[sp.n++] = (sec_t) { 50, 1, ex_fmean, 2 * sizeof(double), 2 };
    refused(build(&sp), "feature_mean has 2 values", "mean count");

    ex_fmean[1] = INFINITY;
    sp = linear_spec();
    sp.s[sp.n++] = (sec_t) { 50, 1, ex_fmean, sizeof(ex_fmean), 3 };
    refused(build(&sp), "feature_mean[1] is not finite", "mean infinite");

    /* cover in a linear model */
    memcpy(ex_cover, cover, sizeof(cover));
    sp = linear_spec();
    sp.s[sp.n++] = (sec_t) { 51, 1, ex_cover, sizeof(ex_cover), 6 };
    refused(build(&sp), "node_cover (id 51) in a model of kind 1",
            "cover in a linear model");

    /* a linear model without the means loads, and cannot explain */
    sp = linear_spec();
    m = load(build(&sp), err);
    CHECK(m != NULL && mlp_explain_check(m, &e) != 0
          && strstr(e.message, "feature_mean") != NULL,
          "linear without mean: %s", m ? e.message : err);
    mlp_model_close(m);

}

/*
 * A network by hand, one input x: layer 0 dense 1 -> 2, W = [1, -1], relu;
 * layer 1 dense 2 -> 1, W = [2, 3], b = 0.5: y = 2 relu(x) + 3 relu(-x)
 * + 0.5. As a classifier, layer 1 is 2 -> 2, W = I, softmax.
 */
static const char      nn_names[] = "x";
static const char      nn_labels[] = "\"a\"\0\"b\"";
static uint32_t        nn_params[8];
static uint32_t        nn_layers[16];
static double          nn_pool[16];


static spec_t
nn_spec(int classifier)
{
    static const double  reg[] = { 1, -1, 0, 0, 2, 3, 0.5, 0 };
    static const double  cls[] = { 1, -1, 0, 0, 1, 0, 0, 1, 0, 0 };
    spec_t  sp = { MLP_KIND_NETWORK, 1, 1, 0, 4, {
        { 1, 2, nn_names, sizeof(nn_names), 1 },
        { 70, 3, nn_params, sizeof(nn_params), 8 },
        { 71, 3, nn_layers, sizeof(nn_layers), 16 },
        { 72, 1, nn_pool, 0, 0 } } };

    memset(nn_params, 0, sizeof(nn_params));
    memset(nn_layers, 0, sizeof(nn_layers));
    nn_params[0] = 2;

    /* type, n_in, n_out, activation, w_first, b_first, p_first, 0 */
    nn_layers[0] = MLP_LAYER_DENSE;
    nn_layers[1] = 1;
    nn_layers[2] = 2;
    nn_layers[3] = MLP_ACT_RELU;
    nn_layers[4] = 0;
    nn_layers[5] = 2;
    nn_layers[8] = MLP_LAYER_DENSE;
    nn_layers[9] = 2;
    nn_layers[10] = classifier ? 2 : 1;
    nn_layers[11] = classifier ? MLP_ACT_SOFTMAX : MLP_ACT_IDENTITY;
    nn_layers[12] = 4;
    nn_layers[13] = classifier ? 8 : 6;

    if (classifier) {
        memcpy(nn_pool, cls, sizeof(cls));
        sp.s[3].size = sizeof(cls);
        sp.s[3].count = 10;
        sp.n_outputs = 2;
        sp.s[sp.n++] = (sec_t) { 2, 2, nn_labels, sizeof(nn_labels), 2 };

    } else {
        memcpy(nn_pool, reg, sizeof(reg));
        sp.s[3].size = sizeof(reg);
        sp.s[3].count = 8;
    }

    return sp;
}


static void
test_network(void)
{
    char          err[MLP_ERR_LEN];
    spec_t        sp;
    mlp_model_t  *m;

    sp = nn_spec(0);
    m = load(build(&sp), err);
    CHECK(m != NULL, "network refused: %s", err);

    if (m != NULL) {
        answers(m, "{\"x\": 1}", "{\"prediction\":2.5}\n");
        answers(m, "{\"x\": -2}", "{\"prediction\":6.5}\n");
        answers(m, "{\"instances\": [[1], [-2], [0]]}",
                "{\"predictions\":[2.5,6.5,0.5]}\n");
        mlp_model_close(m);
    }

    /* x = 1: hidden [1, 0], softmax [e / (e + 1), 1 / (e + 1)] */
    sp = nn_spec(1);
    m = load(build(&sp), err);
    CHECK(m != NULL, "network classifier refused: %s", err);

    if (m != NULL) {
        answers(m, "{\"x\": 1}", "{\"prediction\":\"a\",\"probabilities\":"
                "{\"a\":0.7310585786300049,\"b\":0.2689414213699951}}\n");
        answers(m, "{\"x\": 0}", "{\"prediction\":\"a\",\"probabilities\":"
                "{\"a\":0.5,\"b\":0.5}}\n");
        mlp_model_close(m);
    }

    /* the same in float32: every value a float, answers the same here */
    sp = nn_spec(0);
    nn_params[1] = MLP_NN_F32;
    m = load(build(&sp), err);
    CHECK(m != NULL, "float32 network refused: %s", err);

    if (m != NULL) {
        answers(m, "{\"x\": -2}", "{\"prediction\":6.5}\n");
        mlp_model_close(m);
    }

    sp = nn_spec(0);
    nn_params[1] = MLP_NN_F32;
    nn_pool[5] = 0.1;
    refused_spec(sp, "nn_f64[5] of a float32 network is not a float32",
                 "float32 network with a double");

    sp = nn_spec(0);
    nn_params[0] = 0;
    refused_spec(sp, "nn_params: 0 layers", "no layer");

    sp = nn_spec(0);
    nn_params[1] = 0x10;
    refused_spec(sp, "flags 0x10", "network flags");

    sp = nn_spec(0);
    nn_layers[9] = 3;
    refused_spec(sp, "layer 1: 3 inputs, 1 outputs after a width of 2",
                 "layers that do not chain");

    sp = nn_spec(0);
    nn_layers[11] = 9;
    refused_spec(sp, "layer 1: type 1, activation 9", "unknown activation");

    sp = nn_spec(0);
    nn_layers[13] = 8;
    refused_spec(sp, "layer 1: its parameters (weights at 4, biases at 8",
                 "biases past the pool");

    sp = nn_spec(0);
    nn_layers[4] = 0xffffffffu;
    refused_spec(sp, "layer 0: its parameters", "weights far past the pool");

    sp = nn_spec(0);
    nn_layers[3] = MLP_ACT_ELU;
    nn_layers[6] = 8;
    refused_spec(sp, "alpha at 8", "alpha past the pool");

    sp = nn_spec(1);
    nn_layers[11] = MLP_ACT_RELU;
    refused_spec(sp, "network classifier of 2 classes ending in 2 outputs, "
                 "activation relu", "a classifier without softmax");

    sp = nn_spec(1);
    nn_params[1] = MLP_NN_MULTILABEL;
    refused_spec(sp, "multilabel network with class_labels",
                 "multilabel with labels");

    sp = nn_spec(0);
    nn_params[1] = MLP_NN_MULTILABEL;
    refused_spec(sp, "network regressor of 1 outputs ending in 1 "
                 "(multilabel: logistic)", "multilabel without logistic");

    /* a network's sections in a linear model */
    sp = nn_spec(0);
    sp.kind = MLP_KIND_LINEAR;
    refused_spec(sp, "network section id 70 in a model of kind 1",
                 "network sections elsewhere");
}


static void
test_examples(const char *dir)
{
    char          path[1024], err[MLP_ERR_LEN], *resp;
    mlp_error_t   e;
    mlp_model_t  *m;

    snprintf(path, sizeof(path), "%s/iris.mlp", dir);
    m = mlp_model_open(path, err, sizeof(err));
    CHECK(m != NULL, "%s: %s", path, err);

    if (m == NULL) {
        return;
    }

    CHECK(mlp_model_n_features(m) == 4 && mlp_model_n_outputs(m) == 3
          && mlp_model_is_classifier(m), "iris shape");
    CHECK(mlp_model_feature_index(m, "petal_width_cm", 14) == 3,
          "iris feature index");
    CHECK(handle(m, "{\"features\": [5.1, 3.5, 1.4, 0.2]}", 1, &resp, &e)
          == 0 && strncmp(resp, "{\"prediction\":\"setosa\"", 22) == 0,
          "iris setosa row");

    mlp_model_close(m);
}


/*
 * A loaded model is the loader's own copy: the file truncated, written
 * into or replaced in place afterwards changes nothing (a mapping of the
 * file died of SIGBUS on truncation). A sparse file larger than memory is
 * refused before anything is allocated for it.
 */

static void
test_copy(const char *dir)
{
    int           fd;
    char          path[1024], tmp[] = "/tmp/mlp-copy-XXXXXX", err[MLP_ERR_LEN];
    char         *resp, *want;
    FILE         *in;
    size_t        n;
    mlp_error_t   e;
    mlp_model_t  *m;
    static const char  row[] = "{\"features\": [5.9, 3.0, 5.1, 1.8]}";

    snprintf(path, sizeof(path), "%s/iris.mlp", dir);
    in = fopen(path, "rb");
    fd = mkstemp(tmp);
    CHECK(in != NULL && fd != -1, "copy of %s", path);

    if (in == NULL || fd == -1) {
        return;
    }

    n = fread(file, 1, sizeof(file), in);
    fclose(in);
    CHECK(write(fd, file, n) == (ssize_t) n, "write %s", tmp);

    m = mlp_model_open(tmp, err, sizeof(err));
    CHECK(m != NULL, "%s: %s", tmp, err);

    if (m == NULL) {
        close(fd);
        unlink(tmp);
        return;
    }

    CHECK(handle(m, row, 1, &resp, &e) == 0, "iris row: %s", e.message);
    want = strdup(resp);

    /* truncated to its header, then its middle overwritten */
    CHECK(ftruncate(fd, 64) == 0, "truncate");
    CHECK(handle(m, row, 1, &resp, &e) == 0 && strcmp(resp, want) == 0,
          "the same answer after the file is truncated: %s", resp);

    memset(file, 0xff, n);
    CHECK(pwrite(fd, file, n, 0) == (ssize_t) n, "overwrite");
    CHECK(handle(m, row, 1, &resp, &e) == 0 && strcmp(resp, want) == 0,
          "the same answer after the file is overwritten: %s", resp);

    CHECK(mlp_model_info(m, &n) != NULL && strstr(mlp_model_info(m, &n),
                                                  "\"kind\"") != NULL,
          "metadata intact");

    mlp_model_close(m);
    free(want);

    /* a sparse file bigger than any machine's memory */
    CHECK(ftruncate(fd, (off_t) 1 << 40) == 0, "sparse");
    m = mlp_model_open(tmp, err, sizeof(err));
    CHECK(m == NULL && strstr(err, "larger than the machine's memory"),
          "a sparse file larger than memory: %s", err);

    close(fd);
    unlink(tmp);
}


/* a network is refused for explanations by name, never taken as linear */

static void
test_network_explain(const char *dir)
{
    char          path[1024], err[MLP_ERR_LEN];
    mlp_error_t   e;
    mlp_model_t  *m;

    snprintf(path, sizeof(path), "%s/iris_mlp.mlp", dir);
    m = mlp_model_open(path, err, sizeof(err));
    CHECK(m != NULL, "%s: %s", path, err);

    if (m != NULL) {
        CHECK(mlp_explain_check(m, &e) == -1 && e.status == 400
              && strstr(e.message, "neural network") != NULL,
              "a network's explanation refused: %s", e.message);
        mlp_model_close(m);
    }
}


/*
 * The cgroup limits mlp_memory_size takes, from /proc/self/cgroup's text
 * and limit files in a tree made here: v2's memory.max, v1's
 * memory.limit_in_bytes, the smallest of the cgroup and its ancestors.
 */

static void
put_file(const char *dir, const char *name, const char *text)
{
    char   path[1024];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    CHECK(f != NULL && fputs(text, f) >= 0, "write %s", path);

    if (f != NULL) {
        fclose(f);
    }
}


static void
test_memory(void)
{
    int        i;
    char       root[] = "/tmp/mlp-cgroup-XXXXXX", path[1024];
    uint64_t   ram;
    static const char  *dirs[] = {
        "a", "a/b", "a/b/c", "memory", "memory/u", "memory/u/v", NULL
    };

    ram = (uint64_t) sysconf(_SC_PHYS_PAGES)
          * (uint64_t) sysconf(_SC_PAGESIZE);
    CHECK(mlp_memory_size() > 0 && mlp_memory_size() <= ram,
          "mlp_memory_size %llu, physical %llu",
          (unsigned long long) mlp_memory_size(), (unsigned long long) ram);

    if (mkdtemp(root) == NULL) {
        CHECK(0, "mkdtemp %s", root);
        return;
    }

    for (i = 0; dirs[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
        CHECK(mkdir(path, 0700) == 0, "mkdir %s", path);
    }

    /* no files at all, no v2 line, no memory controller: no limit */
    CHECK(mlp_cgroup_memory(root, "0::/a/b/c\n") == UINT64_MAX, "none");
    CHECK(mlp_cgroup_memory(root, "") == UINT64_MAX, "empty text");
    CHECK(mlp_cgroup_memory(root, "garbage\n1:cpu\n") == UINT64_MAX,
          "lines without a path");

    put_file(root, "a/b/c/memory.max", "max\n");
    CHECK(mlp_cgroup_memory(root, "0::/a/b/c\n") == UINT64_MAX, "max");

    put_file(root, "a/b/memory.max", "1073741824\n");
    CHECK(mlp_cgroup_memory(root, "0::/a/b/c\n") == 1073741824,
          "the parent's limit: %llu",
          (unsigned long long) mlp_cgroup_memory(root, "0::/a/b/c\n"));

    put_file(root, "a/b/c/memory.max", "2147483648\n");
    put_file(root, "a/memory.max", "536870912");
    CHECK(mlp_cgroup_memory(root, "0::/a/b/c") == 536870912,
          "the smallest of the ancestors, no final newline");
    CHECK(mlp_cgroup_memory(root, "0::/a/b/c/\n") == 536870912,
          "a trailing slash");

    /* the namespace hides the path: the limit at root holds */
    put_file(root, "memory.max", "268435456\n");
    CHECK(mlp_cgroup_memory(root, "0::/docker/1234\n") == 268435456,
          "the root's limit");
    CHECK(mlp_cgroup_memory(root, "0::/\n") == 268435456, "at the root");
    CHECK(mlp_cgroup_memory(root, "1::/a\n") == UINT64_MAX,
          "a v1 line without controllers");

    /* v1: the memory controller's line, among others */
    put_file(root, "memory/u/memory.limit_in_bytes", "9223372036854771712\n");
    put_file(root, "memory/u/v/memory.limit_in_bytes", "4194304\n");
    CHECK(mlp_cgroup_memory(root, "9:name=systemd:/\n8:pids:/u/v\n"
                                  "4:cpu,memory:/u/v\n")
          == 4194304, "v1 memory.limit_in_bytes");
    CHECK(mlp_cgroup_memory(root, "4:memory:/u\n") == 9223372036854771712ULL,
          "v1 unlimited");
    CHECK(mlp_cgroup_memory(root, "4:nomemory,cpu:/u/v\n3:memoryx:/u/v\n")
          == UINT64_MAX, "memory as a controller's whole name only");

    /* hybrid: both, the smaller */
    CHECK(mlp_cgroup_memory(root, "4:memory:/u/v\n0::/a/b/c\n") == 4194304,
          "hybrid, v1's smaller");
    put_file(root, "memory/u/v/memory.limit_in_bytes", "4294967296\n");
    CHECK(mlp_cgroup_memory(root, "4:memory:/u/v\n0::/a/b/c\n")
          == 268435456, "hybrid, v2's smaller (its root's)");

    /* what is not a number is no limit */
    put_file(root, "a/memory.max", "-5\n");
    put_file(root, "a/b/memory.max", "12x\n");
    put_file(root, "a/b/c/memory.max", "99999999999999999999999\n");
    put_file(root, "memory.max", "\n");
    CHECK(mlp_cgroup_memory(root, "0::/a/b/c\n") == UINT64_MAX,
          "bad numbers: %llu",
          (unsigned long long) mlp_cgroup_memory(root, "0::/a/b/c\n"));

    put_file(root, "a/b/c/memory.max", "0\n");
    CHECK(mlp_cgroup_memory(root, "0::/a/b/c\n") == 1,
          "a limit of 0 is a byte, not mlp_memory_size's unknown");

    /* outside the namespace's root: nothing under root is followed */
    put_file(root, "a/b/c/memory.max", "max\n");
    put_file(root, "a/memory.max", "65536\n");
    put_file(root, "memory.max", "131072\n");
    CHECK(mlp_cgroup_memory(root, "0::/../a/b/c\n") == 131072,
          "/../: the root's limit only: %llu",
          (unsigned long long) mlp_cgroup_memory(root, "0::/../a/b/c\n"));
    CHECK(mlp_cgroup_memory(root, "0::/a/b/../b/c\n") == 131072,
          "a /.. inside: the root's limit only");
    CHECK(mlp_cgroup_memory(root, "0::/a/b..c\n") == 65536,
          "b..c is a name, not a parent");

    for (i = 0; dirs[i] != NULL; i++) {
        snprintf(path, sizeof(path), "%s/%s/memory.max", root, dirs[i]);
        unlink(path);
        snprintf(path, sizeof(path), "%s/%s/memory.limit_in_bytes", root,
                 dirs[i]);
        unlink(path);
    }

    for (i = 5; i >= 0; i--) {
        snprintf(path, sizeof(path), "%s/%s", root, dirs[i]);
        rmdir(path);
    }

    snprintf(path, sizeof(path), "%s/memory.max", root);
    unlink(path);
    CHECK(rmdir(root) == 0, "rmdir %s", root);
}


int
main(int argc, char **argv)
{
    {
        char  err[MLP_ERR_LEN];

        CHECK(mlp_init(err, sizeof(err)) == 0, "mlp_init: %s", err);
    }

    test_loader();
    test_loader_mutations();
    test_kernels();
    test_requests();
    test_outcome();
    test_writer();
    test_trees();
    test_scan();
    test_scan_names();
    test_schema();
    test_svm();
    test_explain();
    test_network();
    test_memory();

    if (argc > 1) {
        test_examples(argv[1]);
        test_copy(argv[1]);
        test_network_explain(argv[1]);
    }

    printf("%d passed, %d failed\n", passed, failed);

    return failed ? 1 : 0;
}
