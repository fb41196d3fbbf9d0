
/*
 * Tree ensembles: every scikit-learn tree model and XGBoost's gbtree and
 * dart as one thing, trees whose leaves add into raw scores, then a link.
 * Flags keep each library's own arithmetic (float32 inputs, < or <=,
 * float32 sums, missing-value directions), so answers match bit for bit
 * where the library's arithmetic is plain IEEE (see models/FORMAT.md).
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mlp_internal.h"


static int mlp_trees_walk_check(mlp_model_t *m, uint32_t t, uint64_t first,
    uint64_t end, uint32_t *stack, unsigned char *seen, char *err,
    size_t errlen);
static void mlp_trees_link(const mlp_model_t *m, double *o, uint32_t *label);
static uint32_t mlp_argmax(const double *v, uint32_t n);


int
mlp_trees_load(mlp_model_t *m, const mlp_section_t **by_id, char *err,
    size_t errlen)
{
    int              rc;
    uint32_t         t, *stack, rows_needed;
    uint64_t         first, end, leaf_count;
    unsigned char   *seen;
    const uint32_t  *params;

    if (by_id[MLP_SEC_TREE_PARAMS] == NULL || by_id[MLP_SEC_TREE_ROOTS] == NULL
        || by_id[MLP_SEC_NODES] == NULL || by_id[MLP_SEC_LEAF_VALUES] == NULL)
    {
        mlp_fail(err, errlen, "tree ensemble without %s",
                 by_id[MLP_SEC_TREE_PARAMS] == NULL ? "tree_params (id 30)"
                 : by_id[MLP_SEC_TREE_ROOTS] == NULL ? "tree_roots (id 31)"
                 : by_id[MLP_SEC_NODES] == NULL ? "nodes (id 34)"
                 : "leaf_values (id 35)");
        return -1;
    }

    if (mlp_model_u32s(m, by_id[MLP_SEC_TREE_PARAMS], 8, &params,
                       "tree_params", err, errlen)
        != 0)
    {
        return -1;
    }

    m->n_trees = params[0];
    m->n_groups = params[1];
    m->leaf_width = params[2];
    m->tree_flags = params[3];

    if (m->n_trees == 0 || m->n_groups == 0 || m->leaf_width == 0
        || m->n_groups > MLP_MAX_OUTPUTS || m->leaf_width > m->n_groups)
    {
        mlp_fail(err, errlen, "tree_params: %u trees, %u groups, leaf width "
                 "%u (need trees >= 1, 1 <= width <= groups <= %d)",
                 m->n_trees, m->n_groups, m->leaf_width, MLP_MAX_OUTPUTS);
        return -1;
    }

    if (m->tree_flags & ~MLP_TREE_FLAGS) {
        mlp_fail(err, errlen, "tree_params: unknown flags 0x%x",
                 m->tree_flags & ~MLP_TREE_FLAGS);
        return -1;
    }

    if (params[4] | params[5] | params[6] | params[7]) {
        mlp_fail(err, errlen, "tree_params: reserved values are not zero");
        return -1;
    }

    /* the link decides how many raw scores make the outputs */

    rows_needed = m->n_outputs;

    if (m->classifier) {
        if (m->link == MLP_LINK_LOGISTIC) {
            rows_needed = 1;

            if (m->n_outputs != 2) {
                mlp_fail(err, errlen, "link logistic needs 2 classes, file "
                         "has %u", m->n_outputs);
                return -1;
            }

        } else if (m->link != MLP_LINK_SOFTMAX && m->link != MLP_LINK_MEAN
                   && m->link != MLP_LINK_LOGSUMEXP)
        {
            mlp_fail(err, errlen, "tree classifier with link %u", m->link);
            return -1;
        }

    } else if (m->link != MLP_LINK_IDENTITY && m->link != MLP_LINK_EXP
               && m->link != MLP_LINK_MEAN && m->link != MLP_LINK_SIGMOID)
    {
        mlp_fail(err, errlen, "tree regressor with link %u", m->link);
        return -1;
    }

    if (m->n_groups != rows_needed) {
        mlp_fail(err, errlen, "%u raw scores for %u outputs with link %u",
                 m->n_groups, m->n_outputs, m->link);
        return -1;
    }

    m->n_nodes = by_id[MLP_SEC_NODES]->count;
    m->nodes = (const mlp_node_t *) (m->base + by_id[MLP_SEC_NODES]->offset);

    if (by_id[MLP_SEC_NODES]->dtype != MLP_DTYPE_NODE || m->n_nodes == 0
        || m->n_nodes > 0xffffffffu)
    {
        mlp_fail(err, errlen, "nodes: dtype %u, %llu nodes (need node "
                 "dtype 4, 1 to 2^32-1 nodes)", by_id[MLP_SEC_NODES]->dtype,
                 (unsigned long long) m->n_nodes);
        return -1;
    }

    if (mlp_model_u32s(m, by_id[MLP_SEC_TREE_ROOTS], m->n_trees, &m->roots,
                       "tree_roots", err, errlen)
        != 0)
    {
        return -1;
    }

    if (by_id[MLP_SEC_TREE_GROUPS] != NULL) {
        if (mlp_model_u32s(m, by_id[MLP_SEC_TREE_GROUPS], m->n_trees,
                           &m->groups, "tree_groups", err, errlen)
            != 0)
        {
            return -1;
        }

        for (t = 0; t < m->n_trees; t++) {
            if (m->groups[t] > m->n_groups - m->leaf_width) {
                mlp_fail(err, errlen, "tree %u adds to raw scores %u..%u, "
                         "the model has %u", t, m->groups[t],
                         m->groups[t] + m->leaf_width - 1, m->n_groups);
                return -1;
            }
        }
    }

    if ((by_id[MLP_SEC_TREE_SCALES] != NULL)
        != ((m->tree_flags & MLP_TREE_SCALE) != 0))
    {
        mlp_fail(err, errlen, "tree_scales (id 33) and flag scale_leaves "
                 "must come together");
        return -1;
    }

    if (by_id[MLP_SEC_TREE_SCALES] != NULL
        && mlp_model_doubles(m, by_id[MLP_SEC_TREE_SCALES], m->n_trees,
                             &m->scales, "tree_scales", err, errlen)
           != 0)
    {
        return -1;
    }

    if (by_id[MLP_SEC_INIT] != NULL
        && mlp_model_doubles(m, by_id[MLP_SEC_INIT], m->n_groups, &m->init,
                             "init", err, errlen)
           != 0)
    {
        return -1;
    }

    leaf_count = by_id[MLP_SEC_LEAF_VALUES]->count;

    if (leaf_count % m->leaf_width != 0
        || mlp_model_doubles(m, by_id[MLP_SEC_LEAF_VALUES], leaf_count,
                             &m->leaves, "leaf_values", err, errlen)
           != 0)
    {
        if (leaf_count % m->leaf_width != 0) {
            mlp_fail(err, errlen, "leaf_values: %llu values are not whole "
                     "leaves of %u", (unsigned long long) leaf_count,
                     m->leaf_width);
        }

        return -1;
    }

    m->n_leaves = leaf_count / m->leaf_width;

    if (m->roots[0] != 0) {
        mlp_fail(err, errlen, "tree 0 starts at node %u, not 0", m->roots[0]);
        return -1;
    }

    for (t = 1; t < m->n_trees; t++) {
        if (m->roots[t] <= m->roots[t - 1] || m->roots[t] >= m->n_nodes) {
            mlp_fail(err, errlen, "tree %u: root %u does not follow tree "
                     "%u's root %u inside %llu nodes", t, m->roots[t], t - 1,
                     m->roots[t - 1], (unsigned long long) m->n_nodes);
            return -1;
        }
    }

    if (by_id[MLP_SEC_CAT_BITSETS] != NULL) {
        if (by_id[MLP_SEC_CAT_BITSETS]->count % 16 != 0
            || by_id[MLP_SEC_CAT_BITSETS]->count / 16 > UINT32_MAX
            || mlp_model_u32s(m, by_id[MLP_SEC_CAT_BITSETS],
                              by_id[MLP_SEC_CAT_BITSETS]->count, &m->bitsets,
                              "category_bitsets", err, errlen)
               != 0)
        {
            mlp_fail(err, errlen, "category_bitsets: %llu u32 values are not "
                     "pairs of 256-bit sets",
                     (unsigned long long) by_id[MLP_SEC_CAT_BITSETS]->count);
            return -1;
        }

        m->n_bitsets = (uint32_t) (by_id[MLP_SEC_CAT_BITSETS]->count / 16);
    }

    /* every tree walked once from its root: the kernels trust the result */

    m->tree_depth = calloc(m->n_trees, 1);
    seen = calloc(m->n_nodes, 1);
    stack = malloc(m->n_nodes * 2 * sizeof(uint32_t));

    if (seen == NULL || stack == NULL || m->tree_depth == NULL) {
        free(seen);
        free(stack);
        mlp_fail(err, errlen, "out of memory");
        return -1;
    }

    rc = 0;

    for (t = 0; t < m->n_trees && rc == 0; t++) {
        first = m->roots[t];
        end = (t + 1 < m->n_trees) ? m->roots[t + 1] : m->n_nodes;
        rc = mlp_trees_walk_check(m, t, first, end, stack, seen, err, errlen);
    }

    free(seen);
    free(stack);

    return rc;
}


static int
mlp_trees_walk_check(mlp_model_t *m, uint32_t t, uint64_t first, uint64_t end,
    uint32_t *stack, unsigned char *seen, char *err, size_t errlen)
{
    uint32_t           n, sp, depth, *depths;
    uint64_t           reached, left;
    const mlp_node_t  *nd;

    /* stack holds (node, depth) pairs; each node is pushed at most once */
    depths = stack + 1;
    stack[0] = (uint32_t) first;
    depths[0] = 0;
    sp = 1;
    seen[first] = 1;
    reached = 1;

    while (sp) {
        sp--;
        n = stack[2 * sp];
        depth = depths[2 * sp];
        nd = &m->nodes[n];

        if (depth > m->max_depth) {
            m->max_depth = depth;
        }

        if (depth > m->tree_depth[t]) {
            m->tree_depth[t] = depth > 255 ? 255 : (unsigned char) depth;
        }

        if (nd->info & MLP_NODE_LEAF) {
            if (nd->a >= m->n_leaves) {
                mlp_fail(err, errlen, "tree %u, node %llu: leaf %u beyond "
                         "the %llu leaves", t,
                         (unsigned long long) (n - first), nd->a,
                         (unsigned long long) m->n_leaves);
                return -1;
            }

            continue;
        }

        if ((nd->info & MLP_NODE_FEATURE) >= m->n_features) {
            mlp_fail(err, errlen, "tree %u, node %llu: feature %u, the model "
                     "has %u", t, (unsigned long long) (n - first),
                     nd->info & MLP_NODE_FEATURE, m->n_features);
            return -1;
        }

        if (isnan(nd->threshold)) {
            mlp_fail(err, errlen, "tree %u, node %llu: threshold is NaN", t,
                     (unsigned long long) (n - first));
            return -1;
        }

        /* a categorical split names its bitset pair by its threshold */
        if ((nd->info & MLP_NODE_CATEGORICAL)
            && !(nd->threshold >= 0 && nd->threshold < m->n_bitsets
                 && nd->threshold == floor(nd->threshold)))
        {
            mlp_fail(err, errlen, "tree %u, node %llu: categorical split "
                     "with bitset %g, the model has %u", t,
                     (unsigned long long) (n - first), nd->threshold,
                     m->n_bitsets);
            return -1;
        }

        m->cat_splits |= (nd->info & MLP_NODE_CATEGORICAL) != 0;

        left = nd->a;

        if (left < first || left + 1 >= end) {
            mlp_fail(err, errlen, "tree %u, node %llu: children %llu and "
                     "%llu outside the tree's nodes 0..%llu", t,
                     (unsigned long long) (n - first),
                     (unsigned long long) (left - first),
                     (unsigned long long) (left + 1 - first),
                     (unsigned long long) (end - 1 - first));
            return -1;
        }

        if (seen[left] || seen[left + 1]) {
            mlp_fail(err, errlen, "tree %u, node %llu: child %llu is "
                     "reached twice (a cycle or a shared node)", t,
                     (unsigned long long) (n - first),
                     (unsigned long long) (seen[left] ? left - first
                                                      : left + 1 - first));
            return -1;
        }

        seen[left] = 1;
        seen[left + 1] = 1;
        reached += 2;

        stack[2 * sp] = (uint32_t) left;
        depths[2 * sp] = depth + 1;
        sp++;
        stack[2 * sp] = (uint32_t) left + 1;
        depths[2 * sp] = depth + 1;
        sp++;
    }

    if (reached != end - first) {
        mlp_fail(err, errlen, "tree %u: %llu of its %llu nodes are not "
                 "reached from its root", t,
                 (unsigned long long) (end - first - reached),
                 (unsigned long long) (end - first));
        return -1;
    }

    return 0;
}


/*
 * The leaf a row reaches in one tree. Inlined with constant lt and missing,
 * so each of the four variants has a tight loop of its own.
 */

static inline uint32_t
mlp_tree_leaf(const mlp_node_t *nodes, uint32_t n, const double *x,
    const int lt, const int missing)
{
    double             v;
    uint32_t           info, right;
    const mlp_node_t  *nd;

    for ( ;; ) {
        nd = &nodes[n];
        info = nd->info;

        if (info & MLP_NODE_LEAF) {
            return nd->a;
        }

        v = x[info & MLP_NODE_FEATURE];

        if (missing && isnan(v)) {
            right = !(info & MLP_NODE_DEFAULT_LEFT);

        } else {
            right = lt ? !(v < nd->threshold) : !(v <= nd->threshold);
        }

        n = nd->a + right;
    }
}


/*
 * A model with categorical splits (HistGradientBoosting's native
 * categories): row by row, every node asking which kind it is. As
 * scikit-learn 1.2 walks: NaN the missing way; else the category
 * (uint8) v in the left set goes left, one the feature knows goes right,
 * an unknown one the missing way.
 */

static uint32_t
mlp_tree_leaf_cat(const mlp_model_t *m, uint32_t n, const double *x, int lt)
{
    double             v;
    uint32_t           info, right, c;
    const uint32_t    *b;
    const mlp_node_t  *nd;

    for ( ;; ) {
        nd = &m->nodes[n];
        info = nd->info;

        if (info & MLP_NODE_LEAF) {
            return nd->a;
        }

        v = x[info & MLP_NODE_FEATURE];
        right = !(info & MLP_NODE_DEFAULT_LEFT);

        if (isnan(v)) {
            /* the missing way */

        } else if (info & MLP_NODE_CATEGORICAL) {
            if (v > -2147483649.0 && v < 2147483648.0) {
                c = (uint8_t) (int32_t) v;
                b = m->bitsets + (size_t) 16 * (uint32_t) nd->threshold;

                if (b[c >> 5] & (1u << (c & 31))) {
                    right = 0;

                } else if (b[8 + (c >> 5)] & (1u << (c & 31))) {
                    right = 1;
                }
            }

        } else {
            right = lt ? !(v < nd->threshold) : !(v <= nd->threshold);
        }

        n = nd->a + right;
    }
}


#define MLP_TREES_BLOCK  64
#define MLP_LOCKSTEP     16

/* trees at most this deep walk row by row: lockstep would wait for the
 * deepest of its rows, which shallow trees pay more than they save */
#define MLP_LOCKSTEP_DEPTH  6


/*
 * Rows through one deep tree in lockstep: the node loads of a level
 * overlap, and a row that reached its leaf stays there by a conditional
 * move, not a branch. The loop ends when all are at leaves.
 */

static inline void
mlp_tree_lockstep(const mlp_node_t *nodes, uint32_t root, const double *x,
    size_t nf, const int lt, const int missing, uint32_t *leaf)
{
    int                i, done;
    double             v;
    uint32_t           n[MLP_LOCKSTEP], info, step;
    const mlp_node_t  *nd;

    for (i = 0; i < MLP_LOCKSTEP; i++) {
        n[i] = root;
    }

    for ( ;; ) {
        done = 1;

        for (i = 0; i < MLP_LOCKSTEP; i++) {
            nd = &nodes[n[i]];
            info = nd->info;
            v = x[i * nf + (info & MLP_NODE_FEATURE)];

            if (missing && isnan(v)) {
                step = nd->a + !(info & MLP_NODE_DEFAULT_LEFT);

            } else {
                step = nd->a + (lt ? !(v < nd->threshold)
                                   : !(v <= nd->threshold));
            }

            done &= (info >> 31);
            n[i] = (info & MLP_NODE_LEAF) ? n[i] : step;
        }

        if (done) {
            break;
        }
    }

    for (i = 0; i < MLP_LOCKSTEP; i++) {
        leaf[i] = nodes[n[i]].a;
    }
}


/*
 * The leaves of one tree for a block of rows: a tree's nodes stay in cache
 * while the block's rows go through it (each row still adds its trees in
 * order, so sums are the same as row by row).
 */

static void
mlp_tree_leaves(const mlp_model_t *m, uint32_t t, const double *x,
    size_t nb, int missing, uint32_t *leaf)
{
    int                deep, lt;
    size_t             r, nf;
    uint32_t           root;
    const mlp_node_t  *nodes;

    nf = m->n_features;
    root = m->roots[t];
    nodes = m->nodes;
    deep = m->tree_depth[t] > MLP_LOCKSTEP_DEPTH;

    if (m->cat_splits) {
        lt = (m->tree_flags & MLP_TREE_CMP_LT) != 0;

        for (r = 0; r < nb; r++) {
            leaf[r] = mlp_tree_leaf_cat(m, root, x + r * nf, lt);
        }

        return;
    }

    switch ((m->tree_flags & MLP_TREE_CMP_LT)
            | (missing ? MLP_TREE_MISSING : 0))
    {

    case 0:
        for (r = 0; deep && r + MLP_LOCKSTEP <= nb; r += MLP_LOCKSTEP) {
            mlp_tree_lockstep(nodes, root, x + r * nf, nf, 0, 0, leaf + r);
        }

        for ( /* void */ ; r < nb; r++) {
            leaf[r] = mlp_tree_leaf(nodes, root, x + r * nf, 0, 0);
        }
        break;

    case MLP_TREE_CMP_LT:
        for (r = 0; deep && r + MLP_LOCKSTEP <= nb; r += MLP_LOCKSTEP) {
            mlp_tree_lockstep(nodes, root, x + r * nf, nf, 1, 0, leaf + r);
        }

        for ( /* void */ ; r < nb; r++) {
            leaf[r] = mlp_tree_leaf(nodes, root, x + r * nf, 1, 0);
        }
        break;

    case MLP_TREE_MISSING:
        for (r = 0; deep && r + MLP_LOCKSTEP <= nb; r += MLP_LOCKSTEP) {
            mlp_tree_lockstep(nodes, root, x + r * nf, nf, 0, 1, leaf + r);
        }

        for ( /* void */ ; r < nb; r++) {
            leaf[r] = mlp_tree_leaf(nodes, root, x + r * nf, 0, 1);
        }
        break;

    default:
        for (r = 0; deep && r + MLP_LOCKSTEP <= nb; r += MLP_LOCKSTEP) {
            mlp_tree_lockstep(nodes, root, x + r * nf, nf, 1, 1, leaf + r);
        }

        for ( /* void */ ; r < nb; r++) {
            leaf[r] = mlp_tree_leaf(nodes, root, x + r * nf, 1, 1);
        }
    }
}


int
mlp_trees_predict(const mlp_model_t *m, double *x, size_t rows, double *out,
    uint32_t *labels)
{
    int            f32, missing;
    float          acc;
    double        *raw, *xr, s;
    size_t         r, r0, nb, j, nf, off;
    uint32_t       t, k, g, w, leaf[MLP_TREES_BLOCK];
    const double  *lv;

    nf = m->n_features;
    w = m->leaf_width;
    f32 = (m->tree_flags & MLP_TREE_ACC_F32) != 0;

    /* binary: the one raw score sits where p1 will be */
    off = (m->link == MLP_LINK_LOGISTIC) ? 1 : 0;

    for (r = 0; r < rows; r++) {
        xr = x + r * nf;

        if (m->mean != NULL) {
            for (j = 0; j < nf; j++) {
                xr[j] = (xr[j] - m->mean[j]) / m->scale[j];
            }
        }

        if (m->tree_flags & MLP_TREE_INPUT_F32) {
            for (j = 0; j < nf; j++) {
                xr[j] = (double) (float) xr[j];

                /* the libraries refuse what float32 cannot hold */
                if (isinf(xr[j])) {
                    return -1;
                }
            }
        }

        raw = out + r * m->n_outputs + off;

        for (k = 0; k < m->n_groups; k++) {
            raw[k] = m->init ? m->init[k] : 0.0;
        }
    }

    for (r0 = 0; r0 < rows; r0 += MLP_TREES_BLOCK) {
        nb = rows - r0 < MLP_TREES_BLOCK ? rows - r0 : MLP_TREES_BLOCK;

        /* a block with no missing value skips the NaN tests */
        missing = 0;

        if (m->tree_flags & MLP_TREE_MISSING) {
            for (j = 0; j < nb * nf && !missing; j++) {
                missing = isnan(x[r0 * nf + j]);
            }
        }

        for (t = 0; t < m->n_trees; t++) {
            mlp_tree_leaves(m, t, x + r0 * nf, nb, missing, leaf);
            g = m->groups ? m->groups[t] : 0;

            for (r = 0; r < nb; r++) {
                lv = m->leaves + (size_t) leaf[r] * w;
                raw = out + (r0 + r) * m->n_outputs + off + g;

                if (f32) {
                    /*
                     * float32 sums as XGBoost takes them: a double holds a
                     * float sum or product exactly before it is rounded
                     */
                    for (k = 0; k < w; k++) {
                        s = m->scales ? (double) ((float) m->scales[t]
                                                  * (float) lv[k])
                                      : lv[k];
                        acc = (float) raw[k] + (float) s;
                        raw[k] = acc;
                    }

                } else if (m->scales) {
                    for (k = 0; k < w; k++) {
                        raw[k] += m->scales[t] * lv[k];
                    }

                } else {
                    for (k = 0; k < w; k++) {
                        raw[k] += lv[k];
                    }
                }
            }
        }
    }

    for (r = 0; r < rows; r++) {
        raw = out + r * m->n_outputs + off;

        for (k = 0; k < m->n_groups; k++) {
            if (!isfinite(raw[k])) {
                return -1;
            }
        }

        mlp_trees_link(m, out + r * m->n_outputs,
                       labels ? labels + r : NULL);
    }

    return 0;
}


/*
 * The sum of exp(v[k] - mx) in numpy's order: scipy's logsumexp adds the
 * rows of a C-contiguous array with np.sum(axis=1), which runs numpy's
 * pairwise_sum (numpy/core/src/umath/loops_utils.h.src) over each row: a
 * plain loop below 8 terms, 8 accumulators up to 128, halves (the first a
 * multiple of 8) above.  Each term is computed where numpy reads it, so no
 * array is needed.
 */

static double
mlp_trees_sum_exp(const double *v, uint32_t n, double mx)
{
    double    r[8], sum;
    uint32_t  i, j, half;

    if (n < 8) {
        sum = 0.0;

        for (i = 0; i < n; i++) {
            sum += exp(v[i] - mx);
        }

        return sum;
    }

    if (n > 128) {
        half = n / 2 - n / 2 % 8;

        return mlp_trees_sum_exp(v, half, mx)
               + mlp_trees_sum_exp(v + half, n - half, mx);
    }

    for (j = 0; j < 8; j++) {
        r[j] = exp(v[j] - mx);
    }

    for (i = 8; i < n - n % 8; i += 8) {
        for (j = 0; j < 8; j++) {
            r[j] += exp(v[i + j] - mx);
        }
    }

    sum = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));

    for ( /* void */ ; i < n; i++) {
        sum += exp(v[i] - mx);
    }

    return sum;
}


/* Raw scores -> outputs in place, in each library's own arithmetic. */

static void
mlp_trees_link(const mlp_model_t *m, double *o, uint32_t *label)
{
    int       f32;
    float     pf, mf, sf;
    double    mx, sum, lse;
    uint32_t  k, n;

    n = m->n_outputs;
    f32 = (m->tree_flags & MLP_TREE_ACC_F32) != 0;

    if (label != NULL && m->classifier && (m->tree_flags & MLP_TREE_LABEL_RAW))
    {
        *label = (m->link == MLP_LINK_LOGISTIC) ? (o[1] > 0.0)
                                                : mlp_argmax(o, n);
    }

    switch (m->link) {

    case MLP_LINK_LOGISTIC:
        if (f32) {
            pf = 1.0f / (1.0f + expf(-(float) o[1]));
            o[1] = pf;
            o[0] = 1.0f - pf;

        } else {
            o[1] = 1.0 / (1.0 + exp(-o[1]));
            o[0] = 1.0 - o[1];
        }

        break;

    case MLP_LINK_SOFTMAX:
        mx = o[mlp_argmax(o, n)];
        sum = 0.0;

        if (f32) {
            /* XGBoost: float exponentials, a double sum, a float divide */
            mf = (float) mx;

            for (k = 0; k < n; k++) {
                pf = expf((float) o[k] - mf);
                o[k] = pf;
                sum += pf;
            }

            sf = (float) sum;

            for (k = 0; k < n; k++) {
                o[k] = (float) o[k] / sf;
            }

            break;
        }

        for (k = 0; k < n; k++) {
            o[k] = exp(o[k] - mx);
            sum += o[k];
        }

        for (k = 0; k < n; k++) {
            o[k] /= sum;
        }

        break;

    case MLP_LINK_LOGSUMEXP:
        /*
         * scikit-learn's nan_to_num(exp(raw - logsumexp(raw))), with
         * logsumexp as scipy computes it: the max first (scipy sets a
         * non-finite max to 0; raw scores are finite here, so every exp
         * is in [0, 1] and nan_to_num has nothing to change), the sum in
         * numpy's order, its log, then the max added
         */
        mx = o[mlp_argmax(o, n)];
        lse = log(mlp_trees_sum_exp(o, n, mx)) + mx;

        for (k = 0; k < n; k++) {
            o[k] = exp(o[k] - lse);
        }

        break;

    case MLP_LINK_SIGMOID:
        for (k = 0; k < n; k++) {
            o[k] = f32 ? (double) (1.0f / (1.0f + expf(-(float) o[k])))
                       : 1.0 / (1.0 + exp(-o[k]));
        }

        break;

    case MLP_LINK_EXP:
        for (k = 0; k < n; k++) {
            o[k] = f32 ? (double) expf((float) o[k]) : exp(o[k]);
        }

        break;

    case MLP_LINK_MEAN:
        for (k = 0; k < n; k++) {
            o[k] /= (double) m->n_trees;
        }

        break;

    default: /* MLP_LINK_IDENTITY */
        break;
    }

    if (label != NULL && m->classifier
        && !(m->tree_flags & MLP_TREE_LABEL_RAW))
    {
        *label = mlp_argmax(o, n);
    }
}


static uint32_t
mlp_argmax(const double *v, uint32_t n)
{
    uint32_t  k, best;

    best = 0;

    for (k = 1; k < n; k++) {
        if (v[k] > v[best]) {
            best = k;
        }
    }

    return best;
}
