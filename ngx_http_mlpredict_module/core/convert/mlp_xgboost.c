
/*
 * XGBoost's JSON model (Booster.save_model("m.json"), 1.x and 2.x) ->
 * a tree-ensemble model file. XGBoost's arithmetic is float32: inputs,
 * thresholds, leaves and sums, with `x < threshold` going left and a missing
 * value following default_left; the flags say so and the kernel keeps it.
 * Trees are renumbered breadth-first so that siblings are adjacent.
 */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "mlp_internal.h"
#include "mlp_writer.h"


typedef struct {
    const char               *name;
    int                       classifier;
    uint32_t                  link;
    int                       label_raw;
    int                       margin;       /* 0 as is, 1 logit, 2 log */
} mlp_xgb_objective_t;


static const mlp_xgb_objective_t  mlp_xgb_objectives[] = {
    { "reg:squarederror",   0, MLP_LINK_IDENTITY, 0, 0 },
    { "reg:linear",         0, MLP_LINK_IDENTITY, 0, 0 },
    { "reg:pseudohubererror", 0, MLP_LINK_IDENTITY, 0, 0 },
    { "reg:absoluteerror",  0, MLP_LINK_IDENTITY, 0, 0 },
    { "reg:logistic",       0, MLP_LINK_SIGMOID, 0, 1 },
    { "binary:logistic",    1, MLP_LINK_LOGISTIC, 0, 1 },
    { "binary:logitraw",    0, MLP_LINK_IDENTITY, 0, 0 },
    { "multi:softprob",     1, MLP_LINK_SOFTMAX, 0, 0 },
    { "multi:softmax",      1, MLP_LINK_SOFTMAX, 1, 0 },
    { "count:poisson",      0, MLP_LINK_EXP, 0, 2 },
    { "reg:gamma",          0, MLP_LINK_EXP, 0, 2 },
    { "reg:tweedie",        0, MLP_LINK_EXP, 0, 2 },
    { NULL, 0, 0, 0, 0 }
};


typedef struct {
    mlp_node_t               *nodes;
    uint64_t                  n_nodes;
    uint64_t                  cap_nodes;
    double                   *leaves;
    uint64_t                  n_leaves;
    uint64_t                  cap_leaves;
    double                   *cover;        /* per node: sum_hessian */
    int                       has_cover;    /* every node's, and > 0 */
} mlp_xgb_build_t;


static json_t *mlp_xgb_get(json_t *o, const char *path, char *err,
    size_t errlen);
static int mlp_xgb_number(json_t *v, double *d);
static int mlp_xgb_tree(json_t *tree, size_t t, uint32_t n_features,
    mlp_xgb_build_t *b, uint32_t *map, uint32_t *queue, char *err,
    size_t errlen);


/* o["a"]["b"]... by a "/"-separated path, or NULL with err set */

static json_t *
mlp_xgb_get(json_t *o, const char *path, char *err, size_t errlen)
{
    char         key[64];
    size_t       n;
    const char  *p, *slash;

    for (p = path; o != NULL && *p; p = slash ? slash + 1 : p + n) {
        slash = strchr(p, '/');
        n = slash ? (size_t) (slash - p) : strlen(p);

        if (n >= sizeof(key)) {
            break;
        }

        memcpy(key, p, n);
        key[n] = '\0';
        o = json_object_get(o, key);

        if (slash == NULL) {
            break;
        }
    }

    if (o == NULL) {
        mlp_fail(err, errlen, "not an XGBoost JSON model: no \"%s\"", path);
    }

    return o;
}


/* A JSON number, or a number written as a string ("5E-1", "[5E-1]"). */

static int
mlp_xgb_number(json_t *v, double *d)
{
    char        *end;
    const char  *s;

    if (json_is_number(v)) {
        *d = json_number_value(v);
        return 0;
    }

    if (json_is_boolean(v)) {
        *d = json_is_true(v);
        return 0;
    }

    if (!json_is_string(v)) {
        return -1;
    }

    s = json_string_value(v);

    if (*s == '[') {
        s++;
    }

    *d = strtod(s, &end);

    if (end == s || (*end != '\0' && !(*end == ']' && end[1] == '\0'))) {
        return -1;
    }

    return 0;
}


int
mlp_convert_xgboost(const char *in, const char *out, char *err,
    size_t errlen)
{
    int                         rc;
    char                       *names, *labels, *producer, *p;
    float                       base, margin;
    size_t                      t, n_trees, max_nodes, i, names_len;
    double                      d;
    json_t                     *root, *learner, *trees, *info, *weights, *v;
    json_t                     *fnames, *model;
    uint32_t                    n_features, n_class, n_groups, *roots;
    uint32_t                    *groups, *map, *queue, params[8];
    const char                 *booster, *objective;
    json_error_t                je;
    mlp_writer_t                w;
    mlp_xgb_build_t             b;
    const mlp_xgb_objective_t  *obj;
    double                     *scales, *inits;

    rc = -1;
    memset(&b, 0, sizeof(b));
    b.has_cover = 1;
    roots = groups = map = queue = NULL;
    scales = inits = NULL;
    names = labels = producer = NULL;

    root = json_load_file(in, 0, &je);
    if (root == NULL) {
        mlp_fail(err, errlen, "%s: line %d, column %d: %s", in, je.line,
                 je.column, je.text);
        return -1;
    }

    learner = mlp_xgb_get(root, "learner", err, errlen);
    if (learner == NULL) {
        goto done;
    }

    v = mlp_xgb_get(learner, "objective/name", err, errlen);
    if (v == NULL) {
        goto done;
    }

    objective = json_string_value(v);

    for (obj = mlp_xgb_objectives; obj->name; obj++) {
        if (objective && strcmp(obj->name, objective) == 0) {
            break;
        }
    }

    if (obj->name == NULL) {
        mlp_fail(err, errlen, "objective \"%s\" is not supported",
                 objective ? objective : "?");
        goto done;
    }

    v = mlp_xgb_get(learner, "gradient_booster/name", err, errlen);
    if (v == NULL) {
        goto done;
    }

    booster = json_string_value(v);
    weights = NULL;

    if (booster && strcmp(booster, "gbtree") == 0) {
        model = mlp_xgb_get(learner, "gradient_booster/model", err, errlen);

    } else if (booster && strcmp(booster, "dart") == 0) {
        model = mlp_xgb_get(learner, "gradient_booster/gbtree/model", err,
                            errlen);
        weights = mlp_xgb_get(learner, "gradient_booster/weight_drop", err,
                              errlen);
        if (weights == NULL) {
            goto done;
        }

    } else {
        mlp_fail(err, errlen, "booster \"%s\" is not supported (gbtree and "
                 "dart are)", booster ? booster : "?");
        goto done;
    }

    if (model == NULL) {
        goto done;
    }

    trees = mlp_xgb_get(model, "trees", err, errlen);
    info = mlp_xgb_get(model, "tree_info", err, errlen);
    if (trees == NULL || info == NULL) {
        goto done;
    }

    n_trees = json_array_size(trees);

    if (n_trees == 0 || json_array_size(info) != n_trees
        || (weights && json_array_size(weights) != n_trees))
    {
        mlp_fail(err, errlen, "%zu trees, %zu tree_info entries%s", n_trees,
                 json_array_size(info),
                 weights ? " and a different number of dart weights" : "");
        goto done;
    }

    if ((v = mlp_xgb_get(learner, "learner_model_param/num_feature", err,
                         errlen)) == NULL
        || mlp_xgb_number(v, &d) != 0 || d < 1 || d > MLP_MAX_FEATURES)
    {
        mlp_fail(err, errlen, "learner_model_param.num_feature is missing "
                 "or out of range");
        goto done;
    }

    n_features = (uint32_t) d;

    if ((v = mlp_xgb_get(learner, "learner_model_param/num_class", err,
                         errlen)) == NULL
        || mlp_xgb_number(v, &d) != 0 || d < 0 || d > MLP_MAX_OUTPUTS)
    {
        mlp_fail(err, errlen, "learner_model_param.num_class is missing or "
                 "out of range");
        goto done;
    }

    n_class = (uint32_t) d;

    if ((v = mlp_xgb_get(learner, "learner_model_param/base_score", err,
                         errlen)) == NULL
        || mlp_xgb_number(v, &d) != 0 || !isfinite(d))
    {
        mlp_fail(err, errlen, "learner_model_param.base_score is missing or "
                 "not a number");
        goto done;
    }

    /* XGBoost keeps base_score as a probability; margins start at this */
    base = (float) d;

    switch (obj->margin) {
    case 1:
        margin = -logf(1.0f / base - 1.0f);
        break;
    case 2:
        margin = logf(base);
        break;
    default:
        margin = base;
    }

    if (!isfinite(margin)) {
        mlp_fail(err, errlen, "base_score %g has no margin for %s", d,
                 obj->name);
        goto done;
    }

    if (obj->link == MLP_LINK_SOFTMAX) {
        if (n_class < 2) {
            mlp_fail(err, errlen, "%s with num_class %u", obj->name, n_class);
            goto done;
        }

        n_groups = n_class;

    } else {
        if (n_class > 1) {
            mlp_fail(err, errlen, "%s with num_class %u", obj->name, n_class);
            goto done;
        }

        n_groups = 1;
    }

    /* the trees */

    max_nodes = 0;

    for (t = 0; t < n_trees; t++) {
        v = json_object_get(json_array_get(trees, t), "left_children");
        if (json_array_size(v) > max_nodes) {
            max_nodes = json_array_size(v);
        }
    }

    roots = calloc(n_trees, sizeof(uint32_t));
    groups = calloc(n_trees, sizeof(uint32_t));
    scales = calloc(n_trees, sizeof(double));
    inits = calloc(n_groups, sizeof(double));
    map = malloc((max_nodes + 1) * sizeof(uint32_t));
    queue = malloc((max_nodes + 1) * sizeof(uint32_t));

    if (roots == NULL || groups == NULL || scales == NULL || inits == NULL
        || map == NULL || queue == NULL)
    {
        mlp_fail(err, errlen, "out of memory");
        goto done;
    }

    for (t = 0; t < n_trees; t++) {
        if (mlp_xgb_number(json_array_get(info, t), &d) != 0 || d < 0
            || d >= n_groups)
        {
            mlp_fail(err, errlen, "tree %zu: group out of range", t);
            goto done;
        }

        groups[t] = (uint32_t) d;

        if (weights) {
            if (mlp_xgb_number(json_array_get(weights, t), &d) != 0
                || !isfinite(d))
            {
                mlp_fail(err, errlen, "tree %zu: bad dart weight", t);
                goto done;
            }

            scales[t] = (float) d;
        }

        if (b.n_nodes > 0xffffffffu) {
            mlp_fail(err, errlen, "too many nodes");
            goto done;
        }

        roots[t] = (uint32_t) b.n_nodes;

        if (mlp_xgb_tree(json_array_get(trees, t), t, n_features, &b, map,
                         queue, err, errlen)
            != 0)
        {
            goto done;
        }
    }

    for (i = 0; i < n_groups; i++) {
        inits[i] = margin;
    }

    /* names: the model's own, else XGBoost's f0, f1, ... */

    fnames = json_object_get(learner, "feature_names");

    if (json_array_size(fnames) != 0 && json_array_size(fnames) != n_features)
    {
        mlp_fail(err, errlen, "%zu feature names for %u features",
                 json_array_size(fnames), n_features);
        goto done;
    }

    names_len = 0;

    for (i = 0; i < n_features; i++) {
        v = json_array_get(fnames, i);
        names_len += (v ? json_string_length(v) : 12) + 1;
    }

    names = malloc(names_len + 1);
    producer = malloc(256);

    if (names == NULL || producer == NULL) {
        mlp_fail(err, errlen, "out of memory");
        goto done;
    }

    p = names;

    for (i = 0; i < n_features; i++) {
        v = json_array_get(fnames, i);

        if (v != NULL && json_is_string(v)) {
            memcpy(p, json_string_value(v), json_string_length(v));
            p += json_string_length(v);

        } else {
            p += snprintf(p, 13, "f%zu", i);
        }

        *p++ = '\0';
    }

    snprintf(producer, 256, "{\"library\":\"xgboost\",\"objective\":\"%s\","
             "\"booster\":\"%s\",\"num_class\":%u}", obj->name, booster,
             n_class);

    memset(&w, 0, sizeof(w));
    w.kind = MLP_KIND_TREES;
    w.n_features = n_features;
    w.n_outputs = obj->classifier ? (n_groups == 1 ? 2 : n_groups) : 1;
    w.link = obj->link;

    params[0] = (uint32_t) n_trees;
    params[1] = n_groups;
    params[2] = 1;
    params[3] = MLP_TREE_INPUT_F32 | MLP_TREE_CMP_LT | MLP_TREE_ACC_F32
                | MLP_TREE_MISSING | (obj->label_raw ? MLP_TREE_LABEL_RAW : 0)
                | (weights ? MLP_TREE_SCALE : 0);
    params[4] = params[5] = params[6] = params[7] = 0;

    mlp_writer_add(&w, MLP_SEC_FEATURE_NAMES, MLP_DTYPE_STRINGS, names,
                   p - names, n_features);

    if (obj->classifier) {
        /* XGBoost's classes are 0 .. k-1 */
        labels = malloc((size_t) w.n_outputs * 12 + 1);
        if (labels == NULL) {
            mlp_fail(err, errlen, "out of memory");
            goto done;
        }

        for (i = 0, p = labels; i < w.n_outputs; i++) {
            p += snprintf(p, 12, "%zu", i) + 1;
        }

        mlp_writer_add(&w, MLP_SEC_CLASS_LABELS, MLP_DTYPE_STRINGS, labels,
                       p - labels, w.n_outputs);
    }

    mlp_writer_add(&w, MLP_SEC_PRODUCER, MLP_DTYPE_STRINGS, producer,
                   strlen(producer) + 1, 1);
    mlp_writer_add(&w, MLP_SEC_TREE_PARAMS, MLP_DTYPE_U32, params,
                   sizeof(params), 8);
    mlp_writer_add(&w, MLP_SEC_TREE_ROOTS, MLP_DTYPE_U32, roots,
                   n_trees * 4, n_trees);
    mlp_writer_add(&w, MLP_SEC_TREE_GROUPS, MLP_DTYPE_U32, groups,
                   n_trees * 4, n_trees);

    if (weights) {
        mlp_writer_add(&w, MLP_SEC_TREE_SCALES, MLP_DTYPE_F64, scales,
                       n_trees * 8, n_trees);
    }

    mlp_writer_add(&w, MLP_SEC_NODES, MLP_DTYPE_NODE, b.nodes,
                   b.n_nodes * sizeof(mlp_node_t), b.n_nodes);
    mlp_writer_add(&w, MLP_SEC_LEAF_VALUES, MLP_DTYPE_F64, b.leaves,
                   b.n_leaves * 8, b.n_leaves);
    mlp_writer_add(&w, MLP_SEC_INIT, MLP_DTYPE_F64, inits, n_groups * 8,
                   n_groups);

    /* explanations (TreeSHAP) need each node's hessian sum, its cover */
    if (b.has_cover) {
        mlp_writer_add(&w, MLP_SEC_NODE_COVER, MLP_DTYPE_F64, b.cover,
                       b.n_nodes * 8, b.n_nodes);
    }

    rc = mlp_writer_save(&w, out, err, errlen);

done:

    json_decref(root);
    free(b.nodes);
    free(b.leaves);
    free(b.cover);
    free(roots);
    free(groups);
    free(scales);
    free(inits);
    free(map);
    free(queue);
    free(names);
    free(labels);
    free(producer);

    return rc;
}


/*
 * One tree, appended to b breadth-first: each internal node's children get
 * two consecutive new indices. map[old] is the new index; every old node
 * must be reached exactly once from the root.
 */

static int
mlp_xgb_tree(json_t *tree, size_t t, uint32_t n_features, mlp_xgb_build_t *b,
    uint32_t *map, uint32_t *queue, char *err, size_t errlen)
{
    void        *np;
    double       l, r, f, c, dl, h;
    size_t       n, i, head, tail, reached, cap;
    json_t      *left, *right, *feat, *cond, *defl, *stype, *hess;
    uint64_t     base, at;
    mlp_node_t  *nd;

    left = json_object_get(tree, "left_children");
    right = json_object_get(tree, "right_children");
    feat = json_object_get(tree, "split_indices");
    cond = json_object_get(tree, "split_conditions");
    defl = json_object_get(tree, "default_left");
    stype = json_object_get(tree, "split_type");
    hess = json_object_get(tree, "sum_hessian");

    if (json_array_size(hess) != json_array_size(left)) {
        /* no cover: the file is written, only not explained */
        b->has_cover = 0;
    }

    n = json_array_size(left);

    if (n == 0 || json_array_size(right) != n || json_array_size(feat) != n
        || json_array_size(cond) != n || json_array_size(defl) != n)
    {
        mlp_fail(err, errlen, "tree %zu: node arrays missing or of different "
                 "lengths", t);
        return -1;
    }

    if (b->n_nodes + n > b->cap_nodes) {
        for (cap = b->cap_nodes ? b->cap_nodes : 1024; cap < b->n_nodes + n;
             cap *= 2)
        { /* void */ }

        np = realloc(b->nodes, cap * sizeof(mlp_node_t));
        if (np == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        b->nodes = np;

        np = realloc(b->cover, cap * sizeof(double));
        if (np == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        b->cover = np;
        b->cap_nodes = cap;
    }

    if (b->n_leaves + n > b->cap_leaves) {
        for (cap = b->cap_leaves ? b->cap_leaves : 1024; cap < b->n_leaves + n;
             cap *= 2)
        { /* void */ }

        np = realloc(b->leaves, cap * sizeof(double));
        if (np == NULL) {
            mlp_fail(err, errlen, "out of memory");
            return -1;
        }

        b->leaves = np;
        b->cap_leaves = cap;
    }

    for (i = 0; i < n; i++) {
        map[i] = UINT32_MAX;
    }

    base = b->n_nodes;
    head = 0;
    tail = 0;
    queue[tail++] = 0;
    map[0] = 0;
    reached = 1;

    while (head < tail) {
        i = queue[head++];
        at = base + map[i];
        nd = &b->nodes[at];

        if (b->has_cover) {
            if (mlp_xgb_number(json_array_get(hess, i), &h) != 0
                || !isfinite(h) || !(h > 0))
            {
                b->has_cover = 0;

            } else {
                b->cover[at] = h;
            }
        }

        if (mlp_xgb_number(json_array_get(left, i), &l) != 0
            || mlp_xgb_number(json_array_get(right, i), &r) != 0
            || mlp_xgb_number(json_array_get(cond, i), &c) != 0
            || mlp_xgb_number(json_array_get(defl, i), &dl) != 0
            || mlp_xgb_number(json_array_get(feat, i), &f) != 0
            || !isfinite(c))
        {
            mlp_fail(err, errlen, "tree %zu, node %zu: a field is not a "
                     "number", t, i);
            return -1;
        }

        if (stype != NULL && json_array_size(stype) == n) {
            double  st;

            if (mlp_xgb_number(json_array_get(stype, i), &st) == 0
                && st != 0)
            {
                mlp_fail(err, errlen, "tree %zu, node %zu: categorical "
                         "splits are not supported", t, i);
                return -1;
            }
        }

        if (l == -1) {
            /* a leaf: its value is in split_conditions, a float */
            nd->threshold = 0.0;
            nd->a = (uint32_t) b->n_leaves;
            nd->info = MLP_NODE_LEAF;
            b->leaves[b->n_leaves++] = (float) c;
            continue;
        }

        if (l < 0 || r < 0 || l >= n || r >= n || l != floor(l)
            || r != floor(r) || map[(size_t) l] != UINT32_MAX
            || map[(size_t) r] != UINT32_MAX || l == r)
        {
            mlp_fail(err, errlen, "tree %zu, node %zu: children %g and %g "
                     "out of range or reached twice", t, i, l, r);
            return -1;
        }

        if (f < 0 || f >= n_features || f != floor(f)) {
            mlp_fail(err, errlen, "tree %zu, node %zu: feature %g, the "
                     "model has %u", t, i, f, n_features);
            return -1;
        }

        map[(size_t) l] = (uint32_t) tail;
        map[(size_t) r] = (uint32_t) tail + 1;
        queue[tail++] = (uint32_t) l;
        queue[tail++] = (uint32_t) r;
        reached += 2;

        nd->threshold = (float) c;
        nd->a = (uint32_t) (base + map[(size_t) l]);
        nd->info = (uint32_t) f | (dl != 0 ? MLP_NODE_DEFAULT_LEFT : 0);
    }

    if (reached != n) {
        mlp_fail(err, errlen, "tree %zu: %zu of %zu nodes not reached from "
                 "the root", t, n - reached, n);
        return -1;
    }

    b->n_nodes += n;

    return 0;
}
