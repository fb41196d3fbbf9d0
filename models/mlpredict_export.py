#!/usr/bin/python3
"""Export a fitted scikit-learn model to the mlpredict model file (v1).

The file format is described in models/FORMAT.md.  Supported models are a
fitted estimator, or a Pipeline of an optional StandardScaler followed by the
estimator, where the estimator is one of

  LinearRegression, Ridge, Lasso, ElasticNet     (kind 1, link 0 identity)
  LogisticRegression                             (kind 2, link 1, 2 or 3)
  DecisionTreeClassifier, DecisionTreeRegressor,
  RandomForestClassifier, RandomForestRegressor,
  ExtraTreesClassifier, ExtraTreesRegressor      (kind 3, link 5 mean)
  GradientBoostingClassifier, GradientBoostingRegressor
                                                 (kind 3, link 0, 1 or 6)
  HistGradientBoostingClassifier, HistGradientBoostingRegressor
                                                 (kind 3, link 0, 1, 2 or 4)

In Python:

    from mlpredict_export import export
    export(pipeline, "models/churn.mlp", feature_names=["age", "plan"])

From the shell (the model pickled with pickle.dump or joblib.dump):

    /usr/bin/python3 models/mlpredict_export.py model.pkl models/churn.mlp \
        --features age,plan

The file is written to a temporary file in the destination directory and
renamed over the destination, so a reader never sees a half-written file.
"""

import argparse
import json
import math
import os
import struct
import sys
import tempfile
import zlib

import numpy as np

MAGIC = b"MLPREDCT"
FORMAT_VERSION = 1
BYTE_ORDER = 0x01020304
HEADER_SIZE = 64
SECTION_ENTRY_SIZE = 32
ALIGN = 64
MAX_FEATURES = 1000000
MAX_SECTIONS = 64

KIND_LINEAR = 1
KIND_LOGISTIC = 2
KIND_TREES = 3

LINK_IDENTITY = 0
LINK_LOGISTIC = 1
LINK_SOFTMAX = 2
LINK_OVR = 3
LINK_EXP = 4
LINK_MEAN = 5
LINK_LOGSUMEXP = 6

LINK_NAMES = {0: "identity", 1: "logistic", 2: "softmax", 3: "ovr",
              4: "exp", 5: "mean", 6: "logsumexp"}

DTYPE_F64 = 1
DTYPE_STRINGS = 2
DTYPE_U32 = 3
DTYPE_NODE = 4

SEC_FEATURE_NAMES = 1
SEC_CLASS_LABELS = 2
SEC_PRODUCER = 3
SEC_SCALER_MEAN = 10
SEC_SCALER_SCALE = 11
SEC_COEF = 20
SEC_INTERCEPT = 21
SEC_TREE_PARAMS = 30
SEC_TREE_ROOTS = 31
SEC_TREE_GROUPS = 32
SEC_TREE_SCALES = 33
SEC_NODES = 34
SEC_LEAF_VALUES = 35
SEC_INIT = 36

# tree_params flags
FLAG_INPUT_F32 = 1 << 0
FLAG_CMP_LT = 1 << 1
FLAG_ACC_F32 = 1 << 2
FLAG_MISSING = 1 << 3
FLAG_LABEL_FROM_RAW = 1 << 4
FLAG_SCALE_LEAVES = 1 << 5

NODE_LEAF = 1 << 31
NODE_DEFAULT_LEFT = 1 << 30
NODE_FEATURE_MASK = (1 << 30) - 1
NODE_DTYPE = np.dtype([("threshold", "<f8"), ("a", "<u4"), ("info", "<u4")])
U32_MAX = 0xFFFFFFFF

LINEAR_ESTIMATORS = ("LinearRegression", "Ridge", "Lasso", "ElasticNet")
TREE_ESTIMATORS = ("DecisionTreeClassifier", "DecisionTreeRegressor")
FOREST_ESTIMATORS = ("RandomForestClassifier", "RandomForestRegressor",
                     "ExtraTreesClassifier", "ExtraTreesRegressor")
GB_ESTIMATORS = ("GradientBoostingClassifier", "GradientBoostingRegressor")
HGB_ESTIMATORS = ("HistGradientBoostingClassifier",
                  "HistGradientBoostingRegressor")
SUPPORTED = (LINEAR_ESTIMATORS + ("LogisticRegression",) + TREE_ESTIMATORS
             + FOREST_ESTIMATORS + GB_ESTIMATORS + HGB_ESTIMATORS)


class _Plan:
    """Everything that goes into the file, in plain Python/numpy values."""

    def __init__(self):
        self.kind = None
        self.link = None
        self.n_features = None
        self.n_outputs = None
        self.feature_names = None
        self.class_labels = None      # list of JSON texts, or None
        self.producer = None          # JSON object text
        self.scaler_mean = None       # (d,) f64 or None
        self.scaler_scale = None      # (d,) f64 or None
        self.coef = None              # (rows, d) f64
        self.intercept = None         # (rows,) f64
        self.estimator_name = None
        self.trees = None             # _TreeBuilder for kind 3
        self.n_groups = None          # kind 3: number of raw scores
        self.flags = 0                # kind 3: tree_params flags
        self.init = None              # kind 3: (n_groups,) f64 or None


def _class_name(obj):
    return type(obj).__name__


def _sklearn_class(name):
    """The scikit-learn class with this name (exact type match is required)."""
    if name == "StandardScaler":
        from sklearn.preprocessing import StandardScaler
        return StandardScaler
    if name == "Pipeline":
        from sklearn.pipeline import Pipeline
        return Pipeline
    if name in TREE_ESTIMATORS:
        from sklearn import tree
        return getattr(tree, name)
    if name in FOREST_ESTIMATORS or name in GB_ESTIMATORS:
        from sklearn import ensemble
        return getattr(ensemble, name)
    if name in HGB_ESTIMATORS:
        from sklearn import ensemble
        try:
            return getattr(ensemble, name)
        except AttributeError:      # scikit-learn < 1.0
            from sklearn.experimental import enable_hist_gradient_boosting  # noqa
            return getattr(ensemble, name)
    from sklearn import linear_model
    return getattr(linear_model, name)


def _is(obj, name):
    try:
        return type(obj) is _sklearn_class(name)
    except (ImportError, AttributeError):
        return False


def _dense_f64(value, what):
    """A dense, finite float64 numpy array, or ValueError naming `what`."""
    if value is None:
        raise ValueError("%s is missing" % what)
    try:
        import scipy.sparse
        if scipy.sparse.issparse(value):
            raise ValueError(
                "%s is a sparse matrix; call .densify() on the estimator "
                "before exporting" % what)
    except ImportError:
        pass
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise ValueError("%s is not numeric: %s" % (what, e))
    if not np.all(np.isfinite(arr)):
        raise ValueError("%s contains a non-finite value (NaN or infinity)"
                         % what)
    return arr


def _label_json(v):
    """The JSON text of one class label."""
    if isinstance(v, (bool, np.bool_)):
        return "true" if bool(v) else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError("class label %r is not finite" % (v,))
        return repr(f)
    if isinstance(v, (str, np.str_)):
        return json.dumps(str(v))
    raise ValueError("class label %r has unsupported type %s (only "
                     "integers, floats, strings and booleans are supported)"
                     % (v, type(v).__name__))


def _check_fitted(est):
    if not hasattr(est, "coef_"):
        raise ValueError("%s is not fitted (no coef_); fit it before "
                         "exporting" % _class_name(est))


def _plan_scaler(scaler, plan):
    if not hasattr(scaler, "n_features_in_") or not (
            hasattr(scaler, "scale_") and hasattr(scaler, "mean_")):
        raise ValueError("StandardScaler is not fitted; fit it before "
                         "exporting")
    d = int(scaler.n_features_in_)
    if scaler.with_mean:
        mean = _dense_f64(scaler.mean_, "StandardScaler.mean_").reshape(-1)
    else:
        mean = np.zeros(d)
    if scaler.with_std:
        scale = _dense_f64(scaler.scale_, "StandardScaler.scale_").reshape(-1)
    else:
        scale = np.ones(d)
    if mean.shape != (d,) or scale.shape != (d,):
        raise ValueError("StandardScaler mean_/scale_ do not have %d values"
                         % d)
    if np.any(scale == 0.0):
        raise ValueError("StandardScaler.scale_ contains a zero")
    plan.scaler_mean = mean
    plan.scaler_scale = scale
    return d


def _plan_linear(est, plan):
    _check_fitted(est)
    coef = _dense_f64(est.coef_, "%s.coef_" % _class_name(est))
    if coef.ndim == 1:
        coef = coef.reshape(1, -1)
    elif coef.ndim != 2:
        raise ValueError("%s.coef_ has unsupported shape %s"
                         % (_class_name(est), coef.shape))
    rows, d = coef.shape
    if not getattr(est, "fit_intercept", True):
        intercept = np.zeros(rows)
    else:
        intercept = _dense_f64(est.intercept_,
                               "%s.intercept_" % _class_name(est))
        intercept = np.broadcast_to(intercept.reshape(-1), (rows,)).copy() \
            if intercept.size == 1 else intercept.reshape(-1)
    if intercept.shape != (rows,):
        raise ValueError("%s.intercept_ has %d values, coef_ has %d rows"
                         % (_class_name(est), intercept.size, rows))
    plan.kind = KIND_LINEAR
    plan.link = LINK_IDENTITY
    plan.n_outputs = rows
    plan.coef = coef
    plan.intercept = intercept
    return d


def _logistic_is_ovr(est):
    """Mirror LogisticRegression.predict_proba's choice (scikit-learn 1.2)."""
    return est.multi_class in ("ovr", "warn") or (
        est.multi_class == "auto" and (
            est.classes_.size <= 2
            or est.solver in ("liblinear", "newton-cholesky")))


def _plan_logistic(est, plan):
    _check_fitted(est)
    if not hasattr(est, "classes_"):
        raise ValueError("LogisticRegression is not fitted (no classes_)")
    classes = np.asarray(est.classes_)
    k = classes.size
    if k < 2:
        raise ValueError("LogisticRegression has %d class(es); at least 2 "
                         "are required" % k)
    coef = _dense_f64(est.coef_, "LogisticRegression.coef_")
    if coef.ndim != 2:
        raise ValueError("LogisticRegression.coef_ has unsupported shape %s"
                         % (coef.shape,))
    rows, d = coef.shape
    intercept = _dense_f64(est.intercept_, "LogisticRegression.intercept_")
    intercept = intercept.reshape(-1)
    if intercept.size == 1 and rows > 1:
        intercept = np.full(rows, intercept[0])
    if intercept.shape != (rows,):
        raise ValueError("LogisticRegression.intercept_ has %d values, "
                         "coef_ has %d rows" % (intercept.size, rows))
    ovr = _logistic_is_ovr(est)
    if k == 2:
        if rows != 1:
            raise ValueError("binary LogisticRegression.coef_ has %d rows, "
                             "expected 1" % rows)
        if ovr:
            link = LINK_LOGISTIC
        else:
            # multinomial with two classes: scikit-learn takes the softmax
            # of [-s, s]; two rows [-w, w] give exactly those scores
            # (negation is exact), so link 2 matches it term for term.
            coef = np.vstack([-coef, coef])
            intercept = np.concatenate([-intercept, intercept])
            link = LINK_SOFTMAX
    else:
        if rows != k:
            raise ValueError("LogisticRegression.coef_ has %d rows for %d "
                             "classes" % (rows, k))
        link = LINK_OVR if ovr else LINK_SOFTMAX
    labels = [_label_json(v) for v in classes]
    if len(set(labels)) != len(labels):
        raise ValueError("LogisticRegression class labels are not unique "
                         "as JSON text: %s" % labels)
    plan.kind = KIND_LOGISTIC
    plan.link = link
    plan.n_outputs = k
    plan.coef = coef
    plan.intercept = intercept
    plan.class_labels = labels
    return d


# --------------------------------------------------------------------------
# tree ensembles (kind 3)

class _TreeBuilder:
    """Trees renumbered breadth-first (siblings adjacent: right = left + 1),
    tree after tree, with their leaves' value vectors."""

    def __init__(self, leaf_width):
        self.leaf_width = leaf_width
        self.nodes = []          # one NODE_DTYPE array per tree
        self.leaves = []         # one (n_leaves, leaf_width) f64 per tree
        self.roots = []
        self.groups = []
        self.scales = []
        self.n_nodes = 0
        self.n_leaves = 0
        self.max_depth = 0

    def add(self, what, left, right, feature, threshold, leaf_values,
            is_leaf, default_left=None, group=0, scale=1.0):
        """Append one tree given as arrays over its original node ids (root
        0): children, split feature and threshold, is_leaf, the leaf value
        vectors ((n, leaf_width), only leaf rows are read), and optionally
        default_left (bool per node) for missing values."""
        left = np.asarray(left, dtype=np.int64)
        right = np.asarray(right, dtype=np.int64)
        is_leaf = np.asarray(is_leaf, dtype=bool)
        n = left.shape[0]
        if n == 0:
            raise ValueError("%s has no nodes" % what)
        base = self.n_nodes
        # breadth-first: the root, then each internal node's children as an
        # adjacent pair, so that a node needs only its left child's index
        new = np.full(n, -1, dtype=np.int64)
        depth = np.zeros(n, dtype=np.int64)
        order = [0]
        new[0] = 0
        i = 0
        while i < len(order):
            o = order[i]
            i += 1
            if is_leaf[o]:
                continue
            for c in (left[o], right[o]):
                if not 0 <= c < n:
                    raise ValueError("%s: node %d has child %d outside the "
                                     "tree" % (what, o, c))
                if new[c] >= 0:
                    raise ValueError("%s: node %d is reached twice (not a "
                                     "tree)" % (what, c))
                new[c] = len(order)
                depth[c] = depth[o] + 1
                order.append(c)
        order = np.asarray(order, dtype=np.int64)
        m = order.size
        if base + m > U32_MAX:
            raise ValueError("too many tree nodes (more than %d)" % U32_MAX)
        leaf_mask = is_leaf[order]
        n_leaves = int(leaf_mask.sum())
        if self.n_leaves + n_leaves > U32_MAX // max(self.leaf_width, 1):
            raise ValueError("too many tree leaves")
        nodes = np.zeros(m, dtype=NODE_DTYPE)
        # leaves: a = leaf index, info = bit 31, threshold 0
        leaf_ids = np.arange(n_leaves, dtype=np.int64) + self.n_leaves
        nodes["a"][leaf_mask] = leaf_ids
        nodes["info"][leaf_mask] = NODE_LEAF
        # internal nodes: a = left child (global), info = feature | dl
        split = order[~leaf_mask]
        if split.size:
            feat = np.asarray(feature, dtype=np.int64)[split]
            if np.any(feat < 0) or np.any(feat > NODE_FEATURE_MASK):
                raise ValueError("%s: split feature index out of range"
                                 % what)
            thr = np.asarray(threshold, dtype=np.float64)[split]
            if np.any(np.isnan(thr)):
                raise ValueError("%s: a split threshold is NaN" % what)
            info = feat.astype(np.uint64)
            if default_left is not None:
                dl = np.asarray(default_left, dtype=bool)[split]
                info |= np.where(dl, NODE_DEFAULT_LEFT, 0).astype(np.uint64)
            nodes["a"][~leaf_mask] = base + new[left[split]]
            nodes["info"][~leaf_mask] = info
            nodes["threshold"][~leaf_mask] = thr
            assert np.all(new[right[split]] == new[left[split]] + 1)
        vals = np.asarray(leaf_values, dtype=np.float64)
        if vals.ndim == 1:
            vals = vals.reshape(-1, 1)
        if vals.shape[1] != self.leaf_width:
            raise ValueError("%s: leaves have %d values, expected %d"
                             % (what, vals.shape[1], self.leaf_width))
        vals = np.ascontiguousarray(vals[order[leaf_mask]])
        if not np.all(np.isfinite(vals)):
            raise ValueError("%s: a leaf value is not finite" % what)
        self.nodes.append(nodes)
        self.leaves.append(vals)
        self.roots.append(base)
        self.groups.append(int(group))
        self.scales.append(float(scale))
        self.n_nodes += m
        self.n_leaves += n_leaves
        self.max_depth = max(self.max_depth, int(depth[order].max()))

    @property
    def n_trees(self):
        return len(self.roots)


def _add_sklearn_tree(tb, what, tree, leaf_values, group=0, scale=1.0):
    """A sklearn.tree._tree.Tree (leaves: children_left == -1)."""
    left = tree.children_left
    right = tree.children_right
    tb.add(what, left, right, tree.feature, tree.threshold, leaf_values,
           left == -1, group=group, scale=scale)


def _classes(est, what):
    if not hasattr(est, "classes_"):
        raise ValueError("%s is not fitted (no classes_); fit it before "
                         "exporting" % what)
    classes = np.asarray(est.classes_)
    if classes.ndim != 1:
        raise ValueError("%s has several outputs (multi-output "
                         "classification is not supported)" % what)
    k = classes.size
    if k < 2:
        raise ValueError("%s has %d class(es); at least 2 are required"
                         % (what, k))
    labels = [_label_json(v) for v in classes]
    if len(set(labels)) != len(labels):
        raise ValueError("%s class labels are not unique as JSON text: %s"
                         % (what, labels))
    return k, labels


def _tree_proba_leaves(tree, k):
    """Each node's class vector normalized exactly as
    DecisionTreeClassifier.predict_proba does (scikit-learn 1.2):
    proba / proba.sum(axis=1), a zero sum replaced by 1."""
    proba = np.ascontiguousarray(tree.value[:, 0, :k], dtype=np.float64)
    normalizer = proba.sum(axis=1)[:, np.newaxis]
    normalizer[normalizer == 0.0] = 1.0
    proba /= normalizer
    return proba


def _plan_forest(est, plan, name):
    """DecisionTree*, RandomForest*, ExtraTrees*: leaves averaged (link 5),
    X rounded to float32, compared with `x <= threshold` in double."""
    single = name in TREE_ESTIMATORS
    if single:
        if not hasattr(est, "tree_"):
            raise ValueError("%s is not fitted; fit it before exporting"
                             % name)
        trees = [est]
    else:
        if not hasattr(est, "estimators_"):
            raise ValueError("%s is not fitted; fit it before exporting"
                             % name)
        trees = list(est.estimators_)
        if not trees:
            raise ValueError("%s has no trees" % name)
    n_outputs = int(getattr(est, "n_outputs_", 1))
    if name.endswith("Classifier"):
        if n_outputs != 1:
            raise ValueError("%s has %d outputs; multi-output classification "
                             "is not supported" % (name, n_outputs))
        k, labels = _classes(est, name)
        width = k
        plan.class_labels = labels
    else:
        width = n_outputs
    tb = _TreeBuilder(width)
    for t, e in enumerate(trees):
        tree = e.tree_
        what = "%s tree %d" % (name, t)
        if tree.n_outputs != n_outputs:
            raise ValueError("%s has %d outputs, expected %d"
                             % (what, tree.n_outputs, n_outputs))
        if plan.class_labels is not None:
            if int(np.atleast_1d(tree.n_classes)[0]) != width:
                raise ValueError("%s has %d classes, expected %d"
                                 % (what, np.atleast_1d(tree.n_classes)[0],
                                    width))
            leaves = _tree_proba_leaves(tree, width)
        else:
            leaves = np.ascontiguousarray(tree.value[:, :, 0],
                                          dtype=np.float64)
        _add_sklearn_tree(tb, what, tree, leaves)
    plan.kind = KIND_TREES
    plan.link = LINK_MEAN
    plan.n_outputs = width
    plan.trees = tb
    plan.n_groups = width
    plan.flags = FLAG_INPUT_F32
    plan.init = None
    return int(est.n_features_in_)


# init estimators whose prediction does not depend on X
_CONSTANT_DUMMIES = {
    "DummyRegressor": ("mean", "median", "quantile", "constant"),
    "DummyClassifier": ("prior", "most_frequent", "uniform", "constant"),
}


def _gb_init(est, name, d, k):
    """The raw scores GradientBoosting* starts from, as _raw_predict_init
    computes them; refused unless they are the same for every row."""
    init = est.init_
    if isinstance(init, str):
        if init != "zero":
            raise ValueError("%s.init_ is %r; only 'zero' or a constant "
                             "estimator is supported" % (name, init))
    else:
        cls = type(init).__name__
        mod = type(init).__module__ or ""
        strategy = getattr(init, "strategy", None)
        if not (mod.startswith("sklearn.dummy")
                and strategy in _CONSTANT_DUMMIES.get(cls, ())):
            raise ValueError(
                "%s has a custom init estimator %s%s whose prediction may "
                "depend on the input; only the default (DummyRegressor / "
                "DummyClassifier) init or init='zero' is supported"
                % (name, cls, "" if strategy is None
                   else " (strategy=%r)" % strategy))
    rng = np.random.RandomState(0)
    X = np.vstack([np.zeros((1, d)), np.ones((1, d)),
                   rng.normal(scale=1e3, size=(4, d))]).astype(np.float32)
    raw = np.asarray(est._raw_predict_init(X), dtype=np.float64)
    if raw.shape != (X.shape[0], k):
        raise ValueError("%s initial raw predictions have shape %s, expected "
                         "(n, %d)" % (name, raw.shape, k))
    if not np.all(raw == raw[0]):
        raise ValueError("%s initial raw predictions depend on the input; "
                         "only a constant init is supported" % name)
    if not np.all(np.isfinite(raw[0])):
        raise ValueError("%s initial raw prediction is not finite" % name)
    return raw[0].copy()


def _plan_gb(est, plan, name):
    """GradientBoosting*: raw = init + sum over stages of
    learning_rate * leaf (scale_leaves), X rounded to float32."""
    if not hasattr(est, "estimators_") or not hasattr(est, "_loss"):
        raise ValueError("%s is not fitted; fit it before exporting" % name)
    stages = np.asarray(est.estimators_, dtype=object)
    if stages.ndim != 2 or stages.shape[0] == 0:
        raise ValueError("%s has no trees" % name)
    n_stages, k = stages.shape
    d = int(est.n_features_in_)
    loss = type(est._loss).__name__
    lr = float(est.learning_rate)
    if not math.isfinite(lr):
        raise ValueError("%s.learning_rate is not finite" % name)
    init = _gb_init(est, name, d, k)
    scale = lr
    if name == "GradientBoostingClassifier":
        n_classes, labels = _classes(est, name)
        plan.class_labels = labels
        if loss == "BinomialDeviance" and k == 1 and n_classes == 2:
            link = LINK_LOGISTIC
        elif loss == "ExponentialLoss" and k == 1 and n_classes == 2:
            # predict_proba is expit(2 raw): 2 * (init + sum lr * v) equals
            # 2 init + sum (2 lr) * v exactly (scaling by 2 is exact)
            link = LINK_LOGISTIC
            init = init * 2.0
            scale = lr * 2.0
        elif loss == "MultinomialDeviance" and k == n_classes >= 3:
            link = LINK_LOGSUMEXP
        else:
            raise ValueError("%s with loss %s, %d trees per stage and %d "
                             "classes is not supported"
                             % (name, loss, k, n_classes))
        n_outputs = n_classes
    else:
        if k != 1:
            raise ValueError("%s has %d trees per stage, expected 1"
                             % (name, k))
        link = LINK_IDENTITY
        n_outputs = 1
    tb = _TreeBuilder(1)
    for i in range(n_stages):
        for g in range(k):
            tree = stages[i, g].tree_
            what = "%s stage %d tree %d" % (name, i, g)
            if tree.n_outputs != 1:
                raise ValueError("%s has %d outputs" % (what, tree.n_outputs))
            leaves = np.ascontiguousarray(tree.value[:, 0, 0],
                                          dtype=np.float64)
            _add_sklearn_tree(tb, what, tree, leaves, group=g, scale=scale)
    plan.kind = KIND_TREES
    plan.link = link
    plan.n_outputs = n_outputs
    plan.trees = tb
    plan.n_groups = k
    plan.flags = FLAG_INPUT_F32 | FLAG_SCALE_LEAVES
    plan.init = init
    return d


_HGB_LINKS = {"IdentityLink": LINK_IDENTITY, "LogLink": LINK_EXP,
              "LogitLink": LINK_LOGISTIC, "MultinomialLogit": LINK_SOFTMAX}


def _plan_hgb(est, plan, name):
    """HistGradientBoosting*: X in double, `x <= threshold`, NaN follows
    missing_go_to_left; raw = baseline + sum of leaves (shrinkage already
    in them)."""
    if not hasattr(est, "_predictors") or not hasattr(est,
                                                      "_baseline_prediction"):
        raise ValueError("%s is not fitted; fit it before exporting" % name)
    cat = getattr(est, "is_categorical_", None)
    if cat is not None and np.any(cat):
        raise ValueError("%s has categorical features (%s); categorical "
                         "splits are not supported" % (
                             name, ", ".join(str(i) for i in
                                             np.flatnonzero(cat))))
    k = int(est.n_trees_per_iteration_)
    link_name = type(est._loss.link).__name__
    if link_name not in _HGB_LINKS:
        raise ValueError("%s with loss %s (link %s) is not supported"
                         % (name, type(est._loss).__name__, link_name))
    link = _HGB_LINKS[link_name]
    if name == "HistGradientBoostingClassifier":
        n_classes, labels = _classes(est, name)
        plan.class_labels = labels
        if not ((link == LINK_LOGISTIC and k == 1 and n_classes == 2)
                or (link == LINK_SOFTMAX and k == n_classes >= 3)):
            raise ValueError("%s with link %s, %d trees per iteration and %d "
                             "classes is not supported"
                             % (name, link_name, k, n_classes))
        n_outputs = n_classes
    else:
        if k != 1 or link not in (LINK_IDENTITY, LINK_EXP):
            raise ValueError("%s with link %s and %d trees per iteration is "
                             "not supported" % (name, link_name, k))
        n_outputs = 1
    init = np.asarray(est._baseline_prediction, dtype=np.float64).reshape(-1)
    if init.shape != (k,):
        raise ValueError("%s baseline prediction has %d values, expected %d"
                         % (name, init.size, k))
    if not np.all(np.isfinite(init)):
        raise ValueError("%s baseline prediction is not finite" % name)
    if not est._predictors:
        raise ValueError("%s has no trees" % name)
    tb = _TreeBuilder(1)
    for i, predictors in enumerate(est._predictors):
        if len(predictors) != k:
            raise ValueError("%s iteration %d has %d trees, expected %d"
                             % (name, i, len(predictors), k))
        for g, pred in enumerate(predictors):
            nodes = pred.nodes
            what = "%s iteration %d tree %d" % (name, i, g)
            is_leaf = nodes["is_leaf"].astype(bool)
            if np.any(nodes["is_categorical"][~is_leaf]):
                raise ValueError("%s has a categorical split; categorical "
                                 "splits are not supported" % what)
            tb.add(what, nodes["left"], nodes["right"], nodes["feature_idx"],
                   nodes["num_threshold"], nodes["value"], is_leaf,
                   default_left=nodes["missing_go_to_left"].astype(bool),
                   group=g)
    plan.kind = KIND_TREES
    plan.link = link
    plan.n_outputs = n_outputs
    plan.trees = tb
    plan.n_groups = k
    plan.flags = FLAG_MISSING
    plan.init = init
    return int(est.n_features_in_)


def _split_model(model):
    """(scaler or None, estimator, [step class names])"""
    if _is(model, "Pipeline"):
        steps = [s for _, s in model.steps if s is not None
                 and not (isinstance(s, str) and s == "passthrough")]
        if not steps:
            raise ValueError("Pipeline has no estimator")
        *transformers, est = steps
        scaler = None
        for t in transformers:
            if _is(t, "StandardScaler") and scaler is None:
                scaler = t
            elif _is(t, "StandardScaler"):
                raise ValueError("Pipeline has more than one StandardScaler; "
                                 "only one is supported")
            else:
                raise ValueError("unsupported Pipeline step %s (only an "
                                 "optional StandardScaler before the "
                                 "estimator is supported)" % _class_name(t))
        names = [_class_name(s) for s in steps]
        return scaler, est, names
    return None, model, [_class_name(model)]


def _default_feature_names(model, est, d):
    for obj in (model, est):
        try:
            names = getattr(obj, "feature_names_in_", None)
        except Exception:
            names = None
        if names is not None:
            return [str(n) for n in names]
    return ["x%d" % i for i in range(d)]


def _plan(model, feature_names=None):
    import sklearn

    plan = _Plan()
    scaler, est, step_names = _split_model(model)
    name = _class_name(est)
    if name in LINEAR_ESTIMATORS and _is(est, name):
        d = _plan_linear(est, plan)
    elif _is(est, "LogisticRegression"):
        d = _plan_logistic(est, plan)
    elif name in TREE_ESTIMATORS + FOREST_ESTIMATORS and _is(est, name):
        d = _plan_forest(est, plan, name)
    elif name in GB_ESTIMATORS and _is(est, name):
        d = _plan_gb(est, plan, name)
    elif name in HGB_ESTIMATORS and _is(est, name):
        d = _plan_hgb(est, plan, name)
    else:
        raise ValueError(
            "unsupported estimator %s (supported: %s, optionally after a "
            "StandardScaler in a Pipeline)" % (name, ", ".join(SUPPORTED)))
    if hasattr(est, "n_features_in_") and int(est.n_features_in_) != d:
        raise ValueError("%s has %d features but n_features_in_ is %d"
                         % (name, d, est.n_features_in_))
    if plan.trees is not None:
        for nodes in plan.trees.nodes:
            split = (nodes["info"] & NODE_LEAF) == 0
            if np.any((nodes["info"][split] & NODE_FEATURE_MASK) >= d):
                raise ValueError("%s splits on a feature index >= its %d "
                                 "features" % (name, d))
    if scaler is not None:
        ds = _plan_scaler(scaler, plan)
        if ds != d:
            raise ValueError("StandardScaler has %d features but %s has %d"
                             % (ds, name, d))
    if not 1 <= d <= MAX_FEATURES:
        raise ValueError("%d features; between 1 and %d are supported"
                         % (d, MAX_FEATURES))
    plan.n_features = d
    plan.estimator_name = name

    if feature_names is None:
        feature_names = _default_feature_names(model, est, d)
    elif isinstance(feature_names, str):
        feature_names = [f.strip() for f in feature_names.split(",")]
    feature_names = list(feature_names)
    if len(feature_names) != d:
        raise ValueError("%d feature names given for %d features"
                         % (len(feature_names), d))
    for i, f in enumerate(feature_names):
        if not isinstance(f, (str, np.str_)):
            raise ValueError("feature name %d (%r) is not a string" % (i, f))
        if f == "":
            raise ValueError("feature name %d is empty" % i)
        if "\0" in f:
            raise ValueError("feature name %r contains a NUL character" % f)
        try:
            f.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("feature name %r is not valid Unicode" % f)
    seen = set()
    for f in feature_names:
        if f in seen:
            raise ValueError("feature name %r appears more than once" % f)
        seen.add(f)
    plan.feature_names = [str(f) for f in feature_names]

    producer = {
        "library": "scikit-learn",
        "version": sklearn.__version__,
        "estimator": name,
        "steps": step_names,
    }
    if plan.trees is not None:
        producer["n_trees"] = plan.trees.n_trees
        producer["max_depth"] = plan.trees.max_depth
        # what the trees were fitted to: boosting's loss, a tree's criterion
        objective = getattr(est, "loss", None) or getattr(est, "criterion",
                                                          None)
        if isinstance(objective, str):
            producer["objective"] = objective
    plan.producer = json.dumps(producer, separators=(",", ":"))
    return plan


def _align(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


def _strings_blob(strings):
    return b"".join(s.encode("utf-8") + b"\0" for s in strings)


def _f64_blob(arr, what):
    arr = np.ascontiguousarray(arr, dtype="<f8").reshape(-1)
    if not np.all(np.isfinite(arr)):
        raise ValueError("%s contains a non-finite value" % what)
    return arr.tobytes()


def _u32_blob(values):
    arr = np.asarray(values, dtype=np.int64).reshape(-1)
    if arr.size and (arr.min() < 0 or arr.max() > U32_MAX):
        raise ValueError("u32 value out of range")
    return arr.astype("<u4").tobytes()


def _tree_sections(plan):
    """Sections 30-36 of a tree ensemble (FORMAT.md, kind 3)."""
    tb = plan.trees
    n_trees = tb.n_trees
    out = []
    params = [n_trees, plan.n_groups, tb.leaf_width, plan.flags, 0, 0, 0, 0]
    out.append((SEC_TREE_PARAMS, DTYPE_U32, _u32_blob(params), 8))
    out.append((SEC_TREE_ROOTS, DTYPE_U32, _u32_blob(tb.roots), n_trees))
    if any(tb.groups):
        out.append((SEC_TREE_GROUPS, DTYPE_U32, _u32_blob(tb.groups),
                    n_trees))
    if plan.flags & FLAG_SCALE_LEAVES:
        out.append((SEC_TREE_SCALES, DTYPE_F64,
                    _f64_blob(tb.scales, "tree scales"), n_trees))
    nodes = np.concatenate(tb.nodes).astype(NODE_DTYPE, copy=False)
    assert nodes.dtype.itemsize == 16
    out.append((SEC_NODES, DTYPE_NODE, nodes.tobytes(), tb.n_nodes))
    leaves = np.concatenate(tb.leaves)
    out.append((SEC_LEAF_VALUES, DTYPE_F64,
                _f64_blob(leaves, "leaf values"), leaves.size))
    if plan.init is not None and np.any(plan.init != 0.0):
        out.append((SEC_INIT, DTYPE_F64, _f64_blob(plan.init, "init"),
                    plan.n_groups))
    return out


def _serialize(plan):
    """The bytes of the whole file."""
    sections = []   # (id, dtype, data bytes, count)
    sections.append((SEC_FEATURE_NAMES, DTYPE_STRINGS,
                     _strings_blob(plan.feature_names), plan.n_features))
    if plan.class_labels is not None:
        sections.append((SEC_CLASS_LABELS, DTYPE_STRINGS,
                         _strings_blob(plan.class_labels),
                         len(plan.class_labels)))
    if plan.producer is not None:
        sections.append((SEC_PRODUCER, DTYPE_STRINGS,
                         _strings_blob([plan.producer]), 1))
    if plan.scaler_mean is not None:
        sections.append((SEC_SCALER_MEAN, DTYPE_F64,
                         _f64_blob(plan.scaler_mean, "scaler mean"),
                         plan.n_features))
        sections.append((SEC_SCALER_SCALE, DTYPE_F64,
                         _f64_blob(plan.scaler_scale, "scaler scale"),
                         plan.n_features))
    if plan.kind == KIND_TREES:
        sections.extend(_tree_sections(plan))
    else:
        rows = plan.coef.shape[0]
        sections.append((SEC_COEF, DTYPE_F64, _f64_blob(plan.coef, "coef"),
                         rows * plan.n_features))
        sections.append((SEC_INTERCEPT, DTYPE_F64,
                         _f64_blob(plan.intercept, "intercept"), rows))
    assert len(sections) <= MAX_SECTIONS

    table_off = HEADER_SIZE
    off = _align(table_off + SECTION_ENTRY_SIZE * len(sections))
    table = b""
    body = []
    for sid, dtype, data, count in sections:
        table += struct.pack("<IIQQQ", sid, dtype, off, len(data), count)
        body.append((off, data))
        end = off + len(data)
        off = _align(end)
    # the file ends with the last section's data (no trailing padding)
    file_size = end

    buf = bytearray(file_size)
    buf[table_off:table_off + len(table)] = table
    for o, data in body:
        buf[o:o + len(data)] = data
    struct.pack_into("<8sIIQII", buf, 0, MAGIC, FORMAT_VERSION, BYTE_ORDER,
                     file_size, 0, 0)
    struct.pack_into("<IIIIQII", buf, 32, plan.kind, plan.n_features,
                     plan.n_outputs, len(sections), table_off, plan.link, 0)
    crc = zlib.crc32(bytes(buf[32:])) & 0xFFFFFFFF
    struct.pack_into("<I", buf, 24, crc)
    return bytes(buf), crc


def _write_atomic(path, data):
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=d, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp creates the file 0600; make it readable like a normal file
        # so that nginx worker processes (another user) can read it.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    try:
        dfd = os.open(d, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def export(model, path, feature_names=None):
    """Write `model` to `path` in the mlpredict format (v1).

    model: a fitted LinearRegression, Ridge, Lasso, ElasticNet,
    LogisticRegression, DecisionTree*, RandomForest*, ExtraTrees*,
    GradientBoosting* or HistGradientBoosting* (Classifier or Regressor), or
    a Pipeline of an optional StandardScaler and one of those.  feature_names: a list (or comma-separated string) of unique,
    non-empty names; by default the model's feature_names_in_, else x0..xN-1.

    Returns a dict describing what was written.  Raises ValueError for a model
    that cannot be exported.
    """
    plan = _plan(model, feature_names)
    data, crc = _serialize(plan)
    _write_atomic(path, data)
    return {
        "path": os.fspath(path),
        "size": len(data),
        "crc32": crc,
        "kind": plan.kind,
        "link": plan.link,
        "link_name": LINK_NAMES[plan.link],
        "estimator": plan.estimator_name,
        "scaler": plan.scaler_mean is not None,
        "n_features": plan.n_features,
        "n_outputs": plan.n_outputs,
        "feature_names": list(plan.feature_names),
        "class_labels": (list(plan.class_labels)
                         if plan.class_labels is not None else None),
        "n_trees": plan.trees.n_trees if plan.trees is not None else None,
        "n_nodes": plan.trees.n_nodes if plan.trees is not None else None,
        "max_depth": (plan.trees.max_depth if plan.trees is not None
                      else None),
    }


def summary(info):
    what = ("%d classes %s" % (info["n_outputs"],
                               ",".join(info["class_labels"]))
            if info["class_labels"] is not None
            else "%d output%s" % (info["n_outputs"],
                                  "" if info["n_outputs"] == 1 else "s"))
    trees = ("" if info.get("n_trees") is None else
             ", %d trees, %d nodes, depth %d" % (
                 info["n_trees"], info["n_nodes"], info["max_depth"]))
    return ("%s: %s%s, link %s, %d features, %s%s, %d bytes, crc32 %08x"
            % (info["path"],
               "StandardScaler+" if info["scaler"] else "",
               info["estimator"], info["link_name"], info["n_features"],
               what, trees, info["size"], info["crc32"]))


def _load(path):
    try:
        import joblib
    except ImportError:
        joblib = None
    if joblib is not None:
        try:
            return joblib.load(path)
        except Exception:
            pass
    import pickle
    with open(path, "rb") as f:
        return pickle.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Export a fitted scikit-learn model (pickle or joblib "
                    "file) to an mlpredict model file.")
    ap.add_argument("model", help="pickle or joblib file of the fitted "
                                  "estimator or Pipeline")
    ap.add_argument("out", help="the .mlp file to write (atomically)")
    ap.add_argument("--features", help="comma-separated feature names, in "
                                       "the model's column order")
    args = ap.parse_args(argv)
    try:
        model = _load(args.model)
    except Exception as e:
        print("mlpredict_export: cannot load %s: %s" % (args.model, e),
              file=sys.stderr)
        return 1
    try:
        info = export(model, args.out, args.features)
    except (ValueError, OSError) as e:
        print("mlpredict_export: %s: %s" % (args.model, e), file=sys.stderr)
        return 1
    print(summary(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
