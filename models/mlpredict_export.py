#!/usr/bin/python3
"""Export a fitted scikit-learn model to the mlpredict model file.

The file format is described in models/FORMAT.md.  Supported models are a
fitted estimator, or a Pipeline of preprocessing steps followed by the
estimator (optionally inside a TransformedTargetRegressor), where the
estimator is one of

  LinearRegression, Ridge, Lasso, ElasticNet     (kind 1, link 0 identity)
  LogisticRegression                             (kind 2, link 1, 2 or 3)
  DecisionTreeClassifier, DecisionTreeRegressor,
  RandomForestClassifier, RandomForestRegressor,
  ExtraTreesClassifier, ExtraTreesRegressor      (kind 3, link 5 mean)
  GradientBoostingClassifier, GradientBoostingRegressor
                                                 (kind 3, link 0, 1 or 6)
  HistGradientBoostingClassifier, HistGradientBoostingRegressor
                                                 (kind 3, link 0, 1, 2 or 4)
  LinearSVR, SGDRegressor, PassiveAggressiveRegressor
                                                 (kind 1, link 0 identity)
  LinearSVC, Perceptron, RidgeClassifier(CV), PassiveAggressiveClassifier,
  SGDClassifier                                  (kind 2, link 8 decision;
                                                 SGD's log_loss 1 or 3,
                                                 modified_huber 9)
  SVC, NuSVC, SVR, NuSVR, OneClassSVM            (kind 4: libsvm's model)
  MLPClassifier, MLPRegressor                    (kind 5: a dense network;
                                                 multilabel answers each
                                                 label's probability)

HistGradientBoosting's native categorical features (categorical_features,
fed by an OrdinalEncoder) are written as categorical splits.

An estimator alone, or Pipeline(StandardScaler, estimator), is written as
format version 1, as it always was.  Anything else is format version 2: the
inputs the client sends (names from feature_names_in_, numbers or string
categories) and the preprocessing compiled into the flat step program of
FORMAT.md.  Steps: any nesting of Pipeline, ColumnTransformer (columns by
name, position, mask, slice or make_column_selector; remainder; 'drop',
'passthrough'; transformer_weights) and FeatureUnion over OneHotEncoder,
OrdinalEncoder, SimpleImputer, MissingIndicator, StandardScaler,
MinMaxScaler, MaxAbsScaler, RobustScaler, Normalizer, Binarizer,
KBinsDiscretizer, PolynomialFeatures and FunctionTransformer (func None,
np.log1p, np.log, np.exp, np.expm1, np.sqrt or np.abs); a
TransformedTargetRegressor with such a func/inverse_func pair.  The
encoders' tables are built by asking the fitted encoder itself about every
known value, an unknown one and NaN, so drop, infrequent categories,
handle_unknown, unknown_value and encoded_missing_value are scikit-learn's.
Anything else is refused with a ValueError naming the step and the reason.

In Python:

    from mlpredict_export import export
    export(pipeline, "models/churn.mlp", feature_names=["age", "plan"])

From the shell (the model pickled with pickle.dump or joblib.dump):

    /usr/bin/python3 models/mlpredict_export.py model.pkl models/churn.mlp \
        --features age,plan [--sample train_head.csv]

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
import warnings
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
KIND_SVM = 4
KIND_NETWORK = 5

LINK_IDENTITY = 0
LINK_LOGISTIC = 1
LINK_SOFTMAX = 2
LINK_OVR = 3
LINK_EXP = 4
LINK_MEAN = 5
LINK_LOGSUMEXP = 6
LINK_DECISION = 8
LINK_MODIFIED_HUBER = 9

LINK_NAMES = {0: "identity", 1: "logistic", 2: "softmax", 3: "ovr",
              4: "exp", 5: "mean", 6: "logsumexp", 8: "decision",
              9: "modified_huber"}

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
SEC_FEATURE_MEAN = 50
SEC_NODE_COVER = 51
SEC_SVM_PARAMS = 60
SEC_SVM_KERNEL = 61
SEC_SUPPORT_VECTORS = 62
SEC_SV_COEF = 63
SEC_RHO = 64
SEC_N_SV_CLASS = 65
SEC_PROB_A = 66
SEC_PROB_B = 67
SEC_NN_PARAMS = 70
SEC_NN_LAYERS = 71
SEC_NN_F64 = 72

# networks (kind 5): layer types, activations, flags (FORMAT.md)
LAYER_DENSE = 1
LAYER_SCALE = 2
ACTIVATIONS = {"identity": 0, "logistic": 1, "tanh": 2, "relu": 3,
               "leaky_relu": 4, "elu": 5, "softmax": 6, "log_softmax": 7}
NN_F32 = 1
NN_MULTILABEL = 2
NN_MAX_LAYERS = 64
NN_MAX_WIDTH = 65536

# svm_params (FORMAT.md, kind 4): libsvm's svm_type and kernel_type numbers
SVM_TYPES = {"c_svc": 0, "nu_svc": 1, "one_class": 2, "epsilon_svr": 3,
             "nu_svr": 4}
SVM_KERNELS = {"linear": 0, "poly": 1, "rbf": 2, "sigmoid": 3}
SVM_PROBABILITY = 1 << 0
SVM_OVR = 1 << 1
SVM_BREAK_TIES = 1 << 2
SVM_BINARY_DIRECT = 1 << 3
SVM_SKLEARN_SIGN = 1 << 4
SVM_MAX_CLASSES = 256
SVM_MAX_DEGREE = 1000

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
SVM_ESTIMATORS = ("SVC", "NuSVC", "SVR", "NuSVR", "OneClassSVM")
MLP_ESTIMATORS = ("MLPClassifier", "MLPRegressor")
# linear classifiers answering decision values (kind 2, link 8, or 9 for
# SGDClassifier's modified_huber, 1 and 3 for its log_loss)
DECISION_ESTIMATORS = ("LinearSVC", "Perceptron", "RidgeClassifier",
                       "RidgeClassifierCV", "PassiveAggressiveClassifier",
                       "SGDClassifier")
# linear regressors (kind 1) besides LINEAR_ESTIMATORS
LINEAR_REGRESSORS = ("LinearSVR", "SGDRegressor",
                     "PassiveAggressiveRegressor")
SUPPORTED = (LINEAR_ESTIMATORS + LINEAR_REGRESSORS + ("LogisticRegression",)
             + DECISION_ESTIMATORS + SVM_ESTIMATORS + MLP_ESTIMATORS
             + TREE_ESTIMATORS
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
        self.feature_mean = None      # (d,) f64: E[feature], explanations
        self.coef = None              # (rows, d) f64
        self.intercept = None         # (rows,) f64
        self.estimator_name = None
        self.trees = None             # _TreeBuilder for kind 3
        self.n_groups = None          # kind 3: number of raw scores
        self.flags = 0                # kind 3: tree_params flags
        self.init = None              # kind 3: (n_groups,) f64 or None
        self.cat_bitsets = None       # kind 3: (n_bitsets, 16) u32 or None
        self.svm = None               # kind 4: dict of its sections
        self.network = None           # kind 5: dict of its sections
        self.v2 = None                # format 2: inputs and steps, or None


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
    if name in SVM_ESTIMATORS or name in ("LinearSVC", "LinearSVR"):
        from sklearn import svm
        return getattr(svm, name)
    if name in MLP_ESTIMATORS:
        from sklearn import neural_network
        return getattr(neural_network, name)
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
# linear classifiers with decision values (kind 2, links 8 and 9)

def _sgd_loss(est):
    loss = getattr(est, "loss", None)
    return "log_loss" if loss == "log" else loss


def _plan_decision(est, plan, name):
    """LinearSVC, Perceptron, RidgeClassifier, PassiveAggressiveClassifier
    and SGDClassifier: one score row for two classes, else one per class
    (one-vs-rest), as their decision_function computes them."""
    _check_fitted(est)
    k, labels = _classes(est, name)
    coef = _dense_f64(est.coef_, "%s.coef_" % name)
    if coef.ndim == 1:
        coef = coef.reshape(1, -1)
    if coef.ndim != 2:
        raise ValueError("%s.coef_ has unsupported shape %s"
                         % (name, coef.shape))
    rows, d = coef.shape
    if rows != (1 if k == 2 else k):
        raise ValueError("%s.coef_ has %d rows for %d classes"
                         % (name, rows, k))
    intercept = _dense_f64(getattr(est, "intercept_", 0.0),
                           "%s.intercept_" % name).reshape(-1)
    if intercept.size == 1 and rows > 1:
        intercept = np.full(rows, intercept[0])
    if intercept.shape != (rows,):
        raise ValueError("%s.intercept_ has %d values, coef_ has %d rows"
                         % (name, intercept.size, rows))
    link = LINK_DECISION
    if name == "SGDClassifier":
        loss = _sgd_loss(est)
        if loss == "log_loss":
            # predict_proba is expit of each score, normalized over the
            # classes for more than two: the logistic links
            link = LINK_LOGISTIC if k == 2 else LINK_OVR
        elif loss == "modified_huber":
            link = LINK_MODIFIED_HUBER
    plan.kind = KIND_LOGISTIC
    plan.link = link
    plan.n_outputs = k
    plan.coef = coef
    plan.intercept = intercept
    plan.class_labels = labels
    return d


# --------------------------------------------------------------------------
# support vector machines (kind 4): libsvm's raw model as scikit-learn
# keeps it in its private attributes

def _plan_svm(est, plan, name):
    if not hasattr(est, "support_vectors_") or not hasattr(est,
                                                           "_dual_coef_"):
        raise ValueError("%s is not fitted (no support_vectors_); fit it "
                         "before exporting" % name)
    impl = getattr(est, "_impl", None)
    if impl not in SVM_TYPES:
        raise ValueError("%s: unsupported libsvm type %r" % (name, impl))
    svm_type = SVM_TYPES[impl]
    kernel = est.kernel
    if not isinstance(kernel, str) or kernel not in SVM_KERNELS:
        raise ValueError(
            "%s: kernel %s is not supported (linear, poly, rbf and sigmoid "
            "are; a precomputed or callable kernel needs the training "
            "rows)" % (name, getattr(kernel, "__name__", repr(kernel))))
    sv = _dense_f64(est.support_vectors_.toarray()
                    if hasattr(est.support_vectors_, "toarray")
                    else est.support_vectors_, "%s.support_vectors_" % name)
    if sv.ndim != 2 or sv.shape[0] < 1:
        raise ValueError("%s has no support vectors" % name)
    n_sv, d = sv.shape
    dual = _dense_f64(est._dual_coef_.toarray()
                      if hasattr(est._dual_coef_, "toarray")
                      else est._dual_coef_, "%s._dual_coef_" % name)
    dual = dual.reshape(-1, n_sv)
    rho = -_dense_f64(est._intercept_, "%s._intercept_" % name).reshape(-1)
    classifier = svm_type in (0, 1)
    flags = 0
    n_sv_class = None
    prob_a = prob_b = None
    if classifier:
        k, labels = _classes(est, name)
        n_sv_class = np.asarray(est._n_support, dtype=np.int64).reshape(-1)
        if n_sv_class.shape != (k,) or n_sv_class.sum() != n_sv \
                or np.any(n_sv_class < 0):
            raise ValueError("%s._n_support %s does not add up to its %d "
                             "support vectors" % (name, list(n_sv_class),
                                                  n_sv))
        plan.class_labels = labels
        plan.n_outputs = k
        # scikit-learn answers a binary decision as minus libsvm's
        flags |= SVM_SKLEARN_SIGN
        if est.decision_function_shape == "ovr":
            flags |= SVM_OVR
        if est.break_ties:
            if est.decision_function_shape == "ovo":
                # scikit-learn's predict refuses it: nothing to reproduce
                raise ValueError("%s: break_ties with decision_function_"
                                 "shape='ovo' is refused by scikit-learn's "
                                 "predict" % name)
            flags |= SVM_BREAK_TIES
        if est.probability:
            prob_a = _dense_f64(est.probA_, "%s.probA_" % name).reshape(-1)
            prob_b = _dense_f64(est.probB_, "%s.probB_" % name).reshape(-1)
            if prob_a.size != k * (k - 1) // 2 or prob_b.size != prob_a.size:
                raise ValueError("%s.probA_/probB_ have %d/%d values for %d "
                                 "classes" % (name, prob_a.size, prob_b.size,
                                              k))
            # scikit-learn 1.2's libsvm copy couples two classes' pairwise
            # probability too (multiclass_probability with k = 2), unlike
            # libsvm >= 3.24: binary_direct stays clear
            flags |= SVM_PROBABILITY
    else:
        k = 2       # libsvm's convention: one sv_coef row, one rho
        plan.n_outputs = 1
    n_pairs = k * (k - 1) // 2
    if dual.shape != (k - 1, n_sv):
        raise ValueError("%s._dual_coef_ has shape %s, expected %s"
                         % (name, dual.shape, (k - 1, n_sv)))
    if rho.shape != (n_pairs,):
        raise ValueError("%s._intercept_ has %d values, expected %d"
                         % (name, rho.size, n_pairs))
    gamma = float(getattr(est, "_gamma", 0.0))
    coef0 = float(est.coef0)
    degree = int(est.degree)
    if not math.isfinite(gamma) or not math.isfinite(coef0):
        raise ValueError("%s: gamma %r or coef0 %r is not finite"
                         % (name, gamma, coef0))
    if kernel == "poly" and not 0 <= degree <= SVM_MAX_DEGREE:
        raise ValueError("%s: degree %d is not supported (0 to %d)"
                         % (name, degree, SVM_MAX_DEGREE))
    if k > SVM_MAX_CLASSES:
        raise ValueError("%s has %d classes; at most %d are supported"
                         % (name, k, SVM_MAX_CLASSES))
    plan.kind = KIND_SVM
    plan.link = LINK_IDENTITY
    plan.svm = {
        "params": [svm_type, SVM_KERNELS[kernel], k, n_sv, flags,
                   max(degree, 0), 0, 0],
        "kernel": np.array([gamma, coef0]),
        "sv": sv,
        "sv_coef": dual,
        "rho": rho,
        "n_sv_class": n_sv_class,
        "prob_a": prob_a,
        "prob_b": prob_b,
    }
    return d


# --------------------------------------------------------------------------
# dense networks (kind 5): scikit-learn's MLPs, coefs_ and intercepts_ as
# _forward_pass_fast uses them

def network_plan(layers, flags, n_outputs):
    """The sections of a network from its layers: a list of dicts with
    type, n_in, n_out, act (a name), w (dense: (n_in, n_out); scale: (n,)),
    b (n_out,), alpha.  Shared with the tests and the ONNX path."""
    pool = []
    rows = []
    off = 0
    for i, l in enumerate(layers):
        w = np.ascontiguousarray(l["w"], dtype=np.float64).reshape(-1)
        b = np.ascontiguousarray(l["b"], dtype=np.float64).reshape(-1)
        want = l["n_in"] * l["n_out"] if l["type"] == LAYER_DENSE \
            else l["n_out"]
        if w.size != want or b.size != l["n_out"]:
            raise ValueError("layer %d: %d weights, %d biases for %d x %d"
                             % (i, w.size, b.size, l["n_in"], l["n_out"]))
        if not (np.all(np.isfinite(w)) and np.all(np.isfinite(b))):
            raise ValueError("layer %d has a weight or bias that is not "
                             "finite" % i)
        if not 1 <= l["n_out"] <= NN_MAX_WIDTH:
            raise ValueError("layer %d is %d wide; 1 to %d are supported"
                             % (i, l["n_out"], NN_MAX_WIDTH))
        w_first = off
        pool.append(w)
        off += w.size
        b_first = off
        pool.append(b)
        off += b.size
        p_first = 0
        if l["act"] in ("leaky_relu", "elu"):
            p_first = off
            pool.append(np.array([float(l["alpha"])]))
            off += 1
        rows.extend([l["type"], l["n_in"], l["n_out"], ACTIVATIONS[l["act"]],
                     w_first, b_first, p_first, 0])
    if not 1 <= len(layers) <= NN_MAX_LAYERS:
        raise ValueError("%d layers; 1 to %d are supported"
                         % (len(layers), NN_MAX_LAYERS))
    if off >= 1 << 32:
        raise ValueError("%d parameters; under 2^32 are supported" % off)
    return {"params": [len(layers), flags, 0, 0, 0, 0, 0, 0],
            "layers": rows,
            "pool": np.concatenate(pool) if pool else np.zeros(0)}


def _plan_mlp(est, plan, name):
    if not hasattr(est, "coefs_") or not hasattr(est, "intercepts_"):
        raise ValueError("%s is not fitted (no coefs_); fit it before "
                         "exporting" % name)
    hidden = est.activation
    out = est.out_activation_
    if hidden not in ("identity", "logistic", "tanh", "relu"):
        raise ValueError("%s: activation %r is not supported" % (name,
                                                                 hidden))
    if out not in ("identity", "logistic", "softmax"):
        raise ValueError("%s: output activation %r is not supported"
                         % (name, out))
    layers = []
    n = len(est.coefs_)
    for i, (w, b) in enumerate(zip(est.coefs_, est.intercepts_)):
        w = _dense_f64(w, "%s.coefs_[%d]" % (name, i))
        b = _dense_f64(b, "%s.intercepts_[%d]" % (name, i))
        if w.ndim != 2 or b.shape != (w.shape[1],) or \
                (layers and layers[-1]["n_out"] != w.shape[0]):
            raise ValueError("%s: coefs_[%d] %s and intercepts_[%d] %s do "
                             "not chain" % (name, i, w.shape, i, b.shape))
        layers.append({"type": LAYER_DENSE, "n_in": w.shape[0],
                       "n_out": w.shape[1], "w": w, "b": b,
                       "act": hidden if i < n - 1 else out})
    d = layers[0]["n_in"]
    width = layers[-1]["n_out"]
    flags = 0
    kind = "regressor"
    if name == "MLPClassifier":
        y_type = getattr(getattr(est, "_label_binarizer", None), "y_type_",
                         None)
        if y_type == "multilabel-indicator":
            # answered as each label's probability (predict_proba); the
            # labels are named in the producer, in their column order
            if out != "logistic":
                raise ValueError("%s: multilabel with output %r" % (name,
                                                                    out))
            flags |= NN_MULTILABEL
            plan.n_outputs = width
            kind = "multilabel"
        else:
            k, labels = _classes(est, name)
            if not ((out == "softmax" and width == k)
                    or (out == "logistic" and width == 1 and k == 2)):
                raise ValueError("%s: %d classes, %d outputs of %s"
                                 % (name, k, width, out))
            plan.class_labels = labels
            plan.n_outputs = k
            kind = "classifier"
    else:
        plan.n_outputs = width
    plan.kind = KIND_NETWORK
    plan.link = LINK_IDENTITY
    plan.network = network_plan(layers, flags, plan.n_outputs)
    prod = {"activation": hidden, "out_activation": out,
            "hidden_layer_sizes": [l["n_out"] for l in layers[:-1]],
            "n_iter": int(getattr(est, "n_iter_", 0))}
    if kind == "multilabel":
        prod["labels"] = [_label_json(v) for v in np.asarray(est.classes_)]
    plan.network["producer"] = prod
    return d


def _network_sections(plan):
    """Sections 70-72 of a network (FORMAT.md, kind 5)."""
    v = plan.network
    return [(SEC_NN_PARAMS, DTYPE_U32, _u32_blob(v["params"]), 8),
            (SEC_NN_LAYERS, DTYPE_U32, _u32_blob(v["layers"]),
             len(v["layers"])),
            (SEC_NN_F64, DTYPE_F64, _f64_blob(v["pool"], "network weights"),
             v["pool"].size)]


def _svm_producer(est, plan):
    """What GET shows of an svm: its kernel, parameters and counts."""
    p = plan.svm["params"]
    out = {"kernel": est.kernel, "gamma": float(est._gamma),
           "gamma_param": (est.gamma if isinstance(est.gamma, str)
                           else float(est.gamma)),
           "n_support_vectors": int(p[3])}
    if est.kernel in ("poly", "sigmoid"):
        out["coef0"] = float(est.coef0)
    if est.kernel == "poly":
        out["degree"] = int(est.degree)
    if est.kernel == "linear":
        del out["gamma"], out["gamma_param"]
    for param in ("C", "nu", "epsilon"):
        if param in est.get_params(deep=False):
            out[param] = float(getattr(est, param))
    if plan.svm["n_sv_class"] is not None:
        out["n_support"] = [int(v) for v in plan.svm["n_sv_class"]]
        out["probability"] = bool(est.probability)
        out["decision_function_shape"] = est.decision_function_shape
        out["break_ties"] = bool(est.break_ties)
    return out


def _estimator_producer(est, name, plan):
    """The estimator's part of the producer JSON."""
    out = {}
    if plan.trees is not None:
        out["n_trees"] = plan.trees.n_trees
        out["max_depth"] = plan.trees.max_depth
        # what the trees were fitted to: boosting's loss, a tree's criterion
        objective = getattr(est, "loss", None) or getattr(est, "criterion",
                                                          None)
        if isinstance(objective, str):
            out["objective"] = objective
    elif plan.svm is not None:
        out.update(_svm_producer(est, plan))
    elif plan.network is not None:
        out.update(plan.network["producer"])
    elif name in DECISION_ESTIMATORS or name in LINEAR_REGRESSORS:
        loss = _sgd_loss(est)
        if isinstance(loss, str):
            out["loss"] = loss
        if name == "LinearSVC":
            out["loss"] = est.loss
            out["multi_class"] = est.multi_class
    return out


def _plan_estimator(est, plan, name, categorical=False):
    """Plan the estimator's own sections; its number of features, or None
    when it is not one this exporter knows."""
    if name in LINEAR_ESTIMATORS + LINEAR_REGRESSORS and _is(est, name):
        return _plan_linear(est, plan)
    if _is(est, "LogisticRegression"):
        return _plan_logistic(est, plan)
    if name in DECISION_ESTIMATORS and _is(est, name):
        return _plan_decision(est, plan, name)
    if name in SVM_ESTIMATORS and _is(est, name):
        return _plan_svm(est, plan, name)
    if name in MLP_ESTIMATORS and _is(est, name):
        return _plan_mlp(est, plan, name)
    if name in TREE_ESTIMATORS + FOREST_ESTIMATORS and _is(est, name):
        return _plan_forest(est, plan, name)
    if name in GB_ESTIMATORS and _is(est, name):
        return _plan_gb(est, plan, name)
    if name in HGB_ESTIMATORS and _is(est, name):
        return _plan_hgb(est, plan, name, categorical=categorical)
    return None


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
        self.covers = []         # one f64 array per tree, node order
        self.has_cover = True    # every tree came with its node cover

    def add(self, what, left, right, feature, threshold, leaf_values,
            is_leaf, default_left=None, group=0, scale=1.0, cover=None):
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
        if cover is None:
            self.has_cover = False
        else:
            cov = np.asarray(cover, dtype=np.float64)[order]
            # TreeSHAP divides by the cover: a node never reached in
            # training has none, so such a model is written without it
            if not np.all(np.isfinite(cov)) or np.any(cov <= 0):
                self.has_cover = False
            self.covers.append(cov)
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
           left == -1, group=group, scale=scale,
           cover=tree.weighted_n_node_samples)


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


def _plan_hgb(est, plan, name, categorical=False):
    """HistGradientBoosting*: X in double, `x <= threshold`, NaN follows
    missing_go_to_left; raw = baseline + sum of leaves (shrinkage already
    in them).  With `categorical` (format version 2), native categorical
    splits are written as FORMAT.md says: info bit 29, the threshold the
    index of a (left categories, known categories) bitset pair."""
    if not hasattr(est, "_predictors") or not hasattr(est,
                                                      "_baseline_prediction"):
        raise ValueError("%s is not fitted; fit it before exporting" % name)
    cat = getattr(est, "is_categorical_", None)
    if cat is not None and np.any(cat) and not categorical:
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
    pairs = []
    known = f_idx_map = None
    if cat is not None and np.any(cat):
        known, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
        known = np.asarray(known, dtype=np.uint32)
    for i, predictors in enumerate(est._predictors):
        if len(predictors) != k:
            raise ValueError("%s iteration %d has %d trees, expected %d"
                             % (name, i, len(predictors), k))
        for g, pred in enumerate(predictors):
            nodes = pred.nodes
            what = "%s iteration %d tree %d" % (name, i, g)
            is_leaf = nodes["is_leaf"].astype(bool)
            feature = nodes["feature_idx"].astype(np.int64)
            threshold = nodes["num_threshold"].astype(np.float64)
            is_cat = nodes["is_categorical"].astype(bool) & ~is_leaf
            if np.any(is_cat):
                if known is None:
                    raise ValueError("%s has a categorical split; categorical "
                                     "splits are not supported" % what)
                raw = np.asarray(pred.raw_left_cat_bitsets, dtype=np.uint32)
                feature = feature.copy()
                threshold = threshold.copy()
                for n in np.flatnonzero(is_cat):
                    f = int(feature[n])
                    if f > NODE_CAT_FEATURE_MASK or not cat[f]:
                        raise ValueError("%s node %d: categorical split on "
                                         "feature %d" % (what, n, f))
                    pairs.append(np.concatenate(
                        [raw[int(nodes["bitset_idx"][n])],
                         known[int(f_idx_map[f])]]))
                    threshold[n] = float(len(pairs) - 1)
                    feature[n] = f | NODE_CATEGORICAL
            tb.add(what, nodes["left"], nodes["right"], feature,
                   threshold, nodes["value"], is_leaf,
                   default_left=nodes["missing_go_to_left"].astype(bool),
                   group=g, cover=nodes["count"].astype(np.float64))
    plan.kind = KIND_TREES
    plan.link = link
    plan.n_outputs = n_outputs
    plan.trees = tb
    plan.n_groups = k
    plan.flags = FLAG_MISSING
    plan.init = init
    if pairs:
        plan.cat_bitsets = np.vstack(pairs).astype(np.uint32)
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


def _plan(model, feature_names=None, sample=None):
    import sklearn

    if _needs_v2(model):
        return _plan_v2(model, feature_names, sample)
    plan = _Plan()
    scaler, est, step_names = _split_model(model)
    name = _class_name(est)
    d = _plan_estimator(est, plan, name)
    if d is None:
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
    producer.update(_estimator_producer(est, name, plan))
    plan.producer = json.dumps(producer, separators=(",", ":"))
    return plan


# --------------------------------------------------------------------------
# format version 2: inputs, preprocessing steps, categorical splits

SEC_INPUT_NAMES = 40
SEC_INPUT_INFO = 41
SEC_CATEGORY_VALUES = 42
SEC_STEPS = 43
SEC_STEP_U32 = 44
SEC_STEP_F64 = 45
SEC_OUTPUT_COLUMNS = 46
SEC_TARGET_TRANSFORM = 47
SEC_CATEGORY_BITSETS = 48

INPUT_NUMBER = 0
INPUT_CATEGORY = 1
INPUT_MISSING = 1 << 0
INPUT_UNKNOWN_REFUSED = 1 << 1

STEP_AFFINE = 1
STEP_IMPUTE = 2
STEP_INDICATOR = 3
STEP_ENCODE = 4
STEP_FUNCTION = 5
STEP_NORMALIZE = 6
STEP_BINARIZE = 7
STEP_BINS = 8
STEP_POLY = 9

AFFINE_MUL_ADD = 1 << 0
AFFINE_CLIP = 1 << 1
ENCODE_ONEHOT = 1 << 0
ENCODE_UNKNOWN_REFUSED = 1 << 0
ENCODE_MISSING_REFUSED = 1 << 1
BINS_ONEHOT = 1 << 0
NODE_CATEGORICAL = 1 << 29
NODE_CAT_FEATURE_MASK = (1 << 29) - 1

# FunctionTransformer / TransformedTargetRegressor functions (FORMAT.md,
# step type 5): matched by identity with the numpy ufunc
FUNCTIONS = (("log1p", 1), ("log", 2), ("exp", 3), ("expm1", 4),
             ("sqrt", 5), ("abs", 6))
FUNCTION_NAMES = {i: n for n, i in FUNCTIONS}


def _function_id(func, what):
    """0 for None (identity), else the FORMAT.md id of a supported numpy
    function; ValueError naming anything else."""
    if func is None:
        return 0
    for name, fid in FUNCTIONS:
        if func is getattr(np, name):
            return fid
    if func is np.absolute:
        return 6
    raise ValueError(
        "%s: unsupported function %s (supported: None, %s)" % (
            what, getattr(func, "__name__", repr(func)),
            ", ".join("np." + n for n, _ in FUNCTIONS)))


def _sk_name(obj):
    """The class name of a scikit-learn object, or None for anything else
    (subclasses of scikit-learn classes defined elsewhere are refused: their
    transform may do anything)."""
    mod = type(obj).__module__ or ""
    if not mod.startswith("sklearn."):
        return None
    return type(obj).__name__


def _is_passthrough(t):
    return t is None or (isinstance(t, str) and t == "passthrough")


def _is_drop(t):
    return isinstance(t, str) and t == "drop"


def _is_missing(v):
    if v is None:
        return True
    try:
        return bool(isinstance(v, (float, np.floating)) and math.isnan(v))
    except TypeError:
        return False


def _nan_missing_values(t, what):
    mv = getattr(t, "missing_values", np.nan)
    if not _is_missing(mv):
        raise ValueError("%s: missing_values=%r is not supported (only "
                         "np.nan or None: a missing input is JSON null)"
                         % (what, mv))


class _NeedCategory(Exception):
    """An input read as strings by some step: compile again with it a
    category input."""

    def __init__(self, i):
        Exception.__init__(self, i)
        self.input = i


class _Step:
    def __init__(self, stype, flags, ins, width, f64, u32, what):
        self.type = stype
        self.flags = flags
        self.ins = list(ins)
        self.width = width
        self.f64 = f64        # list, or callable -> (f64 list, u32 list)
        self.u32 = u32
        self.what = what


class _Program:
    """The flat step program of FORMAT.md version 2, built while walking a
    fitted composition of transformers.

    Work columns: the inputs first, then each step's outputs.  Each column
    has a domain: -1 numbers, or i >= 0 the codes of category input i.
    `origin[c]` is the input whose value column c is (the input itself, or
    it imputed / passed through), else -1; `dep[c]` some input it depends on
    (named in refusals)."""

    def __init__(self, names, kinds):
        self.input_names = list(names)
        self.kinds = list(kinds)
        n = len(names)
        self.cats = [[] for _ in range(n)]     # registration order
        self.cat_seen = [set() for _ in range(n)]
        self.first_error_cats = [None] * n     # an 'error' encoder's list
        self.unknown_refused = [False] * n
        # inputs whose missing value scikit-learn saw as None, not NaN (an
        # encoder has None among its categories_): JSON null is then None
        self.null_is_none = [False] * n
        self.domain = [i if kinds[i] == INPUT_CATEGORY else -1
                       for i in range(n)]
        self.origin = list(range(n))
        self.dep = list(range(n))
        self.steps = []
        self.n_columns = n
        self.finalized = False

    # -- categories
    def register(self, i, values):
        for v in values:
            if _is_missing(v):
                continue
            s = str(v)
            if s not in self.cat_seen[i]:
                self.cat_seen[i].add(s)
                self.cats[i].append(s)

    def code(self, i, s):
        """The code of string s of input i (after finalize)."""
        return self.cats[i].index(s)

    def finalize_categories(self):
        """Fix each input's known values: an input read by an encoder with
        handle_unknown='error' has that encoder's categories first, so that
        the codes it knows are the first n_keys codes."""
        for i in range(len(self.cats)):
            first = self.first_error_cats[i]
            if first is not None:
                rest = [s for s in self.cats[i] if s not in set(first)]
                self.cats[i] = list(first) + rest
        self.finalized = True

    # -- columns and steps
    def col_dep(self, cols):
        for c in cols:
            if self.dep[c] >= 0:
                return self.dep[c]
        return 0

    def add(self, stype, flags, ins, width, what, f64=(), u32=(),
            domain=None, origin=None):
        """Append a step reading columns `ins`, writing `width` new ones;
        returns their indices.  f64/u32 may be callables run after the
        categories are fixed, returning (f64 list, u32 list)."""
        first = self.n_columns
        self.steps.append(_Step(stype, flags, ins, width, f64, u32, what))
        d = self.col_dep(ins)
        for k in range(width):
            self.domain.append(-1 if domain is None else domain[k])
            self.origin.append(-1 if origin is None else origin[k])
            self.dep.append(d)
        self.n_columns += width
        return list(range(first, first + width))

    def numbers(self, cols, what):
        """Refuse category (code) columns where numbers are needed."""
        for c in cols:
            if self.domain[c] >= 0:
                raise ValueError("%s reads the category input %r as a number "
                                 "(encode it first)"
                                 % (what, self.input_names[self.domain[c]]))

    def as_strings(self, c, what):
        """Column c is read as strings: it must hold the codes of a category
        input; a number column that is an input's value makes that input a
        category input (compile again)."""
        if self.domain[c] >= 0:
            return self.domain[c]
        if self.origin[c] >= 0 and self.kinds[self.origin[c]] == INPUT_NUMBER:
            raise _NeedCategory(self.origin[c])
        raise ValueError("%s reads strings from a column computed by an "
                         "earlier step" % what)


def _encoder_probe_dtype(cats):
    return object if any(np.asarray(c).dtype.kind in "OUS" for c in cats) \
        else np.float64


def _unknown_number(keys):
    keys = [float(k) for k in keys]
    v = (max(keys) + 1.5) if keys else 0.5
    while v in keys:
        v += 1.0
    return v


def _unknown_string(known):
    s = "\x01mlpredict-unknown"
    while s in known:
        s += "\x01"
    return s


class _Compiler:
    def __init__(self, prog):
        self.p = prog

    def compile(self, t, cols, what):
        """Columns (work column indices) of what `t` outputs from `cols`."""
        if _is_passthrough(t):
            return list(cols)
        if _is_drop(t):
            return []
        name = _sk_name(t)
        what = "%s%s" % (what + " " if what else "", name or
                         type(t).__name__)
        method = getattr(self, "_c_" + str(name), None)
        if name is None or method is None:
            raise ValueError("unsupported step %s (supported: %s)" % (
                what, ", ".join(sorted(m[3:] for m in dir(self)
                                       if m.startswith("_c_")))))
        n_in = getattr(t, "n_features_in_", None)
        if n_in is not None and int(n_in) != len(cols):
            raise ValueError("%s has %d features in, the columns given to it "
                             "are %d" % (what, n_in, len(cols)))
        return method(t, list(cols), what)

    # -- compositions
    def _c_Pipeline(self, t, cols, what):
        for sname, s in t.steps:
            cols = self.compile(s, cols, "%s step %r:" % (what, sname))
        return cols

    def _c_ColumnTransformer(self, t, cols, what):
        if not hasattr(t, "transformers_"):
            raise ValueError("%s is not fitted" % what)
        out = []
        idx = t._transformer_to_input_indices
        for name, trans, _, weight in t._iter(fitted=True,
                                              replace_strings=True):
            sel = [cols[j] for j in idx[name]]
            w = "%s transformer %r:" % (what, name)
            # ('passthrough' comes as a fitted FunctionTransformer(None))
            got = self.compile(trans, sel, w)
            if weight is not None and weight != 1:
                got = self._weight(got, weight, w)
            out.extend(got)
        return out

    def _c_FeatureUnion(self, t, cols, what):
        out = []
        weights = t.transformer_weights or {}
        for name, trans in t.transformer_list:
            if _is_drop(trans):
                continue
            w = "%s transformer %r:" % (what, name)
            got = self.compile(trans, cols, w)
            weight = weights.get(name)
            if weight is not None and weight != 1:
                got = self._weight(got, weight, w)
            out.extend(got)
        return out

    def _weight(self, cols, weight, what):
        self.p.numbers(cols, what + " transformer_weights")
        n = len(cols)
        return self.p.add(STEP_AFFINE, AFFINE_MUL_ADD, cols, n,
                          what + " weight", f64=[float(weight)] * n
                          + [0.0] * n)

    # -- scalers
    def _affine(self, cols, a, b, what, flags=0, clip=None):
        p = self.p
        p.numbers(cols, what)
        a = _dense_f64(a, what).reshape(-1)
        b = _dense_f64(b, what).reshape(-1)
        if a.shape != (len(cols),) or b.shape != (len(cols),):
            raise ValueError("%s has %d parameters for %d columns"
                             % (what, a.size, len(cols)))
        if not flags & AFFINE_MUL_ADD and np.any(b == 0.0):
            raise ValueError("%s has a zero scale" % what)
        f64 = list(a) + list(b)
        if clip is not None:
            flags |= AFFINE_CLIP
            f64 += [float(clip[0]), float(clip[1])]
        return p.add(STEP_AFFINE, flags, cols, len(cols), what, f64=f64)

    def _c_StandardScaler(self, t, cols, what):
        d = len(cols)
        mean = t.mean_ if t.with_mean else np.zeros(d)
        scale = t.scale_ if t.with_std else np.ones(d)
        return self._affine(cols, mean, scale, what)

    def _c_RobustScaler(self, t, cols, what):
        d = len(cols)
        center = t.center_ if t.with_centering else np.zeros(d)
        scale = t.scale_ if t.with_scaling else np.ones(d)
        return self._affine(cols, center, scale, what)

    def _c_MaxAbsScaler(self, t, cols, what):
        return self._affine(cols, np.zeros(len(cols)), t.scale_, what)

    def _c_MinMaxScaler(self, t, cols, what):
        return self._affine(cols, t.scale_, t.min_, what,
                            flags=AFFINE_MUL_ADD,
                            clip=t.feature_range if t.clip else None)

    def _c_Normalizer(self, t, cols, what):
        norms = {"l1": 0, "l2": 1, "max": 2}
        if t.norm not in norms:
            raise ValueError("%s: norm=%r is not supported" % (what, t.norm))
        self.p.numbers(cols, what)
        return self.p.add(STEP_NORMALIZE, norms[t.norm], cols, len(cols),
                          what)

    def _c_Binarizer(self, t, cols, what):
        self.p.numbers(cols, what)
        thr = float(t.threshold)
        if not math.isfinite(thr):
            raise ValueError("%s: threshold is not finite" % what)
        return self.p.add(STEP_BINARIZE, 0, cols, len(cols), what,
                          f64=[thr] * len(cols))

    def _c_FunctionTransformer(self, t, cols, what):
        fid = _function_id(t.func, what + " func")
        if t.kw_args:
            raise ValueError("%s: kw_args are not supported" % what)
        if fid == 0:
            return list(cols)
        self.p.numbers(cols, what)
        return self.p.add(STEP_FUNCTION, 0, cols, len(cols), what, u32=[fid])

    def _c_KBinsDiscretizer(self, t, cols, what):
        p = self.p
        p.numbers(cols, what)
        if t.encode not in ("ordinal", "onehot", "onehot-dense"):
            raise ValueError("%s: encode=%r is not supported"
                             % (what, t.encode))
        onehot = t.encode != "ordinal"
        inner = [np.asarray(e, dtype=np.float64)[1:-1] for e in t.bin_edges_]
        f64 = []
        u32 = []
        width = 0
        for j, e in enumerate(inner):
            if not np.all(np.isfinite(e)) or np.any(np.diff(e) < 0):
                raise ValueError("%s: bin edges of column %d are not finite "
                                 "and ascending" % (what, j))
            w = (e.size + 1) if onehot else 1
            if onehot and w != int(t.n_bins_[j]):
                raise ValueError("%s: column %d has %d bins, %d edges"
                                 % (what, j, t.n_bins_[j], e.size))
            u32 += [e.size, len(f64), w]   # edges_first: made absolute below
            f64 += list(e)
            width += w
        return p.add(STEP_BINS, BINS_ONEHOT if onehot else 0, cols, width,
                     what, f64=f64, u32=("bins", u32))

    def _c_PolynomialFeatures(self, t, cols, what):
        p = self.p
        p.numbers(cols, what)
        n = len(cols)
        lo, hi = int(t._min_degree), int(t._max_degree)
        # scikit-learn 1.2's dense construction, term by term
        terms = []          # (left, feature): left an earlier term or None
        if t.include_bias:
            terms.append((None, None))
        if hi > 0:
            start0 = len(terms)
            for f in range(n):
                terms.append((None, f))
            index = list(range(start0, start0 + n)) + [start0 + n]
            for _ in range(2, hi + 1):
                new_index = []
                end = index[-1]
                for f in range(n):
                    start = index[f]
                    new_index.append(len(terms))
                    if t.interaction_only:
                        start += index[f + 1] - index[f]
                    if end - start <= 0:
                        break
                    for c in range(start, end):
                        terms.append((c, f))
                new_index.append(len(terms))
                index = new_index
        n_full = len(terms)
        if n_full != int(t._n_out_full):
            raise ValueError("%s: %d terms built, scikit-learn makes %d"
                             % (what, n_full, t._n_out_full))
        powers = np.zeros((n_full, n), dtype=np.int64)
        for k, (left, f) in enumerate(terms):
            if left is not None:
                powers[k] = powers[left]
            if f is not None:
                powers[k, f] += 1
        n_out = int(t.n_output_features_)
        if lo > 1:
            keep = ([0] if t.include_bias else []) + list(
                range(n_full - n_out + (1 if t.include_bias else 0), n_full))
        else:
            keep = list(range(n_full))
        if not np.array_equal(powers[keep], np.asarray(t.powers_)):
            raise ValueError("%s: the terms built do not match powers_"
                             % what)
        u32 = []
        for left, f in terms:
            u32 += [U32_MAX if left is None else left,
                    U32_MAX if f is None else f]
        out = p.add(STEP_POLY, 0, cols, n_full, what, u32=u32)
        return [out[k] for k in keep]

    # -- missing values
    def _c_MissingIndicator(self, t, cols, what):
        _nan_missing_values(t, what)
        feats = [cols[j] for j in np.asarray(t.features_, dtype=np.int64)]
        if not feats:
            return []
        return self.p.add(STEP_INDICATOR, 0, feats, len(feats), what)

    def _c_SimpleImputer(self, t, cols, what):
        p = self.p
        _nan_missing_values(t, what)
        stats = np.asarray(t.statistics_)
        if t.strategy == "constant" or getattr(t, "keep_empty_features",
                                               False):
            keep = list(range(len(cols)))
        else:
            keep = [j for j in range(len(cols)) if not _is_missing(stats[j])]
        kept = [cols[j] for j in keep]
        fills = []
        for j in keep:
            c, v = cols[j], stats[j]
            if isinstance(v, (str, np.str_)):
                i = p.as_strings(c, what)
                p.register(i, [v])
                fills.append(("code", i, str(v)))
            else:
                if p.domain[c] >= 0:
                    raise ValueError("%s fills the category input %r with "
                                     "the number %r" % (
                                         what, p.input_names[p.domain[c]], v))
                fills.append(("number", float(v)))

        def params():
            f64 = []
            for f in fills:
                f64.append(float(p.code(f[1], f[2])) if f[0] == "code"
                           else f[1])
            return f64, []
        out = []
        if kept:
            out = p.add(STEP_IMPUTE, 0, kept, len(kept), what, f64=params,
                        domain=[p.domain[c] for c in kept],
                        origin=[p.origin[c] for c in kept])
        if t.add_indicator:
            out += self._c_MissingIndicator(t.indicator_, cols,
                                            what + " indicator")
        return out

    # -- encoders
    def _c_OneHotEncoder(self, t, cols, what):
        return self._encoder(t, cols, what, True)

    def _c_OrdinalEncoder(self, t, cols, what):
        return self._encoder(t, cols, what, False)

    def _encoder(self, t, cols, what, onehot):
        p = self.p
        cats = list(t.categories_)
        if len(cats) != len(cols):
            raise ValueError("%s has %d categories lists for %d columns"
                             % (what, len(cats), len(cols)))
        dtype = _encoder_probe_dtype(cats)
        domains = []
        for j, c in enumerate(cols):
            if np.asarray(cats[j]).dtype.kind in "OUS" and any(
                    isinstance(v, (str, np.str_)) for v in cats[j]):
                i = p.as_strings(c, what)
                p.register(i, cats[j])
                domains.append(i)
                if any(v is None for v in cats[j]):
                    p.null_is_none[i] = True
            else:
                p.numbers([c], what)
                domains.append(-1)
        if onehot:
            widths = [int(w) for w in t._compute_n_features_outs()]
        else:
            widths = [1] * len(cols)
        total = sum(widths)
        offsets = np.concatenate([[0], np.cumsum(widths)]).astype(int)
        base = []
        for j in range(len(cols)):
            known = [v for v in cats[j] if not _is_missing(v)]
            base.append(known[0] if known else np.nan)

        def ask(j, values):
            """The encoder's answer for column j holding each value: a slot
            (one-hot) or a number (ordinal), or None where it raises."""
            res = [None] * len(values)

            def one(rows):
                X = np.empty((len(rows), len(cols)), dtype=dtype)
                for r in range(len(rows)):
                    X[r, :] = np.array(base, dtype=dtype)
                    X[r, j] = rows[r]
                with warnings.catch_warnings():
                    # (numpy rows into an encoder fitted on a DataFrame)
                    warnings.simplefilter("ignore")
                    Y = t.transform(X)
                if hasattr(Y, "toarray"):
                    Y = Y.toarray()
                Y = np.asarray(Y, dtype=np.float64)
                if Y.shape != (len(rows), total):
                    raise AssertionError("%s output shape %s, expected "
                                         "(%d, %d)" % (what, Y.shape,
                                                       len(rows), total))
                return Y[:, offsets[j]:offsets[j + 1]]

            try:
                blocks = [(list(range(len(values))), one(values))]
            except ValueError:
                blocks = []
                for r, v in enumerate(values):
                    try:
                        blocks.append(([r], one([v])))
                    except ValueError:
                        pass
            for rows, Y in blocks:
                for r, y in zip(rows, Y):
                    if onehot:
                        ones = np.flatnonzero(y == 1.0)
                        if np.any((y != 0.0) & (y != 1.0)) or ones.size > 1:
                            raise ValueError("%s: column %d is not one-hot: "
                                             "%s" % (what, j, y))
                        res[r] = float(ones[0]) if ones.size else -1.0
                    else:
                        res[r] = float(y[0])
            return res

        handle = getattr(t, "handle_unknown", "error")

        def params():
            f64 = []
            u32 = []
            for j, c in enumerate(cols):
                i = domains[j]
                if i >= 0:
                    keys = list(p.cats[i])
                    values = [s for s in keys]
                    unknown = _unknown_string(set(keys))
                else:
                    keys = sorted(set(float(v) for v in cats[j]
                                      if not _is_missing(v)))
                    values = keys
                    unknown = _unknown_number(keys)
                got = ask(j, values + [unknown, None if i >= 0 and
                                       p.null_is_none[i] else np.nan])
                flags = 0
                if got[-2] is None:
                    flags |= ENCODE_UNKNOWN_REFUSED
                if got[-1] is None:
                    flags |= ENCODE_MISSING_REFUSED
                n_keys = len(keys)
                if i >= 0 and flags & ENCODE_UNKNOWN_REFUSED:
                    # the codes it knows must be the first n_keys
                    n_keys = 0
                    while n_keys < len(keys) and got[n_keys] is not None:
                        n_keys += 1
                    if any(g is not None for g in got[n_keys:len(keys)]):
                        raise ValueError(
                            "%s: input %r is read by encoders with "
                            "handle_unknown='error' and different categories"
                            % (what, p.input_names[i]))
                elif any(g is None for g in got[:len(keys)]):
                    raise ValueError("%s refuses a value it knows" % what)
                keys_first = len(f64)
                if i < 0:
                    f64 += keys
                vals_first = len(f64)
                for g in got[:n_keys] + got[-2:]:
                    f64.append((-1.0 if onehot else 0.0) if g is None else g)
                u32 += [0 if i < 0 else 1, n_keys,
                        keys_first if i < 0 else 0, vals_first,
                        widths[j], flags, p.col_dep([c]) if i < 0 else i]
            return f64, ("encode", u32)

        if handle == "error":
            for j, c in enumerate(cols):
                if domains[j] >= 0:
                    i = domains[j]
                    if p.first_error_cats[i] is None:
                        p.first_error_cats[i] = [
                            str(v) for v in cats[j] if not _is_missing(v)]
                    p.unknown_refused[i] = True
        if onehot and getattr(t, "handle_unknown", "") not in (
                "error", "ignore", "infrequent_if_exist"):
            raise ValueError("%s: handle_unknown=%r is not supported"
                             % (what, t.handle_unknown))
        return p.add(STEP_ENCODE, ENCODE_ONEHOT if onehot else 0, cols,
                     total, what, f64=params)


def _input_kinds_from_sample(sample, names):
    kinds = []
    for n in names:
        if n not in sample.columns:
            raise ValueError("sample has no column %r" % n)
        dt = sample[n].dtype
        kinds.append(INPUT_NUMBER if dt.kind in "biuf" else INPUT_CATEGORY)
    return kinds


def _finish_program(prog):
    """(steps u32, step_u32, step_f64) of the finished program."""
    prog.finalize_categories()
    steps, pool_u32, pool_f64 = [], [], []
    for s in prog.steps:
        f64, u32 = s.f64, s.u32
        if callable(f64):
            f64, u32 = f64()
        in_first = len(pool_u32)
        pool_u32 += s.ins
        f64_first = len(pool_f64)
        pool_f64 += [float(v) for v in f64]
        kind = None
        if isinstance(u32, tuple) and len(u32) == 2 and isinstance(
                u32[0], str):
            kind, u32 = u32
            u32 = list(u32)
            # indices into the f64 pool (keys, values, edges) are absolute;
            # f64_first is then 0, so that they read the same taken
            # relative to it
            if kind == "encode":
                for k in range(0, len(u32), 7):
                    if u32[k] == 0:
                        u32[k + 2] += f64_first
                    u32[k + 3] += f64_first
            elif kind == "bins":
                for k in range(0, len(u32), 3):
                    u32[k + 1] += f64_first
            f64_first = 0
        u32_first = len(pool_u32)
        pool_u32 += list(u32)
        steps += [s.type, s.flags, len(s.ins), in_first, s.width, f64_first,
                  u32_first, 0]
    return steps, pool_u32, pool_f64


def _describe(obj, depth=0):
    """A short JSON-able description of a step: its class and key params."""
    if _is_passthrough(obj):
        return "passthrough"
    if _is_drop(obj):
        return "drop"
    d = {"class": type(obj).__name__}
    if depth > 8:
        return d
    name = type(obj).__name__
    if name == "Pipeline":
        d["steps"] = [[n, _describe(s, depth + 1)] for n, s in obj.steps]
        return d
    if name == "ColumnTransformer":
        ts = []
        names_in = getattr(obj, "feature_names_in_", None)
        for n, trans, _ in getattr(obj, "transformers_", obj.transformers):
            idx = obj._transformer_to_input_indices.get(n, [])
            cols = ([str(names_in[j]) for j in idx] if names_in is not None
                    else [int(j) for j in idx])
            ts.append([n, _describe(trans, depth + 1), cols])
        d["transformers"] = ts
        return d
    if name == "FeatureUnion":
        d["transformer_list"] = [[n, _describe(s, depth + 1)]
                                 for n, s in obj.transformer_list]
        return d
    if name == "TransformedTargetRegressor":
        d["regressor"] = _describe(getattr(obj, "regressor_", obj.regressor),
                                   depth + 1)
    try:
        params = obj.get_params(deep=False)
    except Exception:
        params = {}
    for k in sorted(params):
        v = params[k]
        if callable(v) and hasattr(v, "__name__") and k in (
                "func", "inverse_func"):
            d[k] = "np." + v.__name__
        elif isinstance(v, (bool, np.bool_)):
            d[k] = bool(v)
        elif isinstance(v, (int, np.integer)) and not isinstance(v, bool):
            d[k] = int(v)
        elif isinstance(v, (float, np.floating)):
            d[k] = float(v) if math.isfinite(v) else str(v)
        elif isinstance(v, str) or v is None:
            d[k] = v
        elif isinstance(v, tuple) and all(isinstance(x, (int, float))
                                          for x in v):
            d[k] = list(v)
    return d


def _decompose(model):
    """(transformers before the estimator, in order; the estimator; the
    TransformedTargetRegressor or None), through nested Pipelines."""
    steps = []
    obj = model
    ttr = None
    while True:
        if _is(obj, "Pipeline"):
            ss = [s for _, s in obj.steps if not _is_passthrough(s)]
            if not ss:
                raise ValueError("Pipeline has no estimator")
            steps += [("", s) for s in ss[:-1]]
            obj = ss[-1]
            continue
        if _sk_name(obj) == "TransformedTargetRegressor":
            if ttr is not None:
                raise ValueError("nested TransformedTargetRegressor is not "
                                 "supported")
            if not hasattr(obj, "regressor_"):
                raise ValueError("TransformedTargetRegressor is not fitted")
            ttr = obj
            obj = obj.regressor_
            continue
        break
    return [s for _, s in steps], obj, ttr


def _target_transform(ttr):
    if ttr is None:
        return 0
    tr = ttr.transformer_
    if _sk_name(tr) != "FunctionTransformer":
        raise ValueError("TransformedTargetRegressor with transformer %s is "
                         "not supported (only func/inverse_func)"
                         % type(tr).__name__)
    if tr.kw_args or tr.inv_kw_args:
        raise ValueError("TransformedTargetRegressor: kw_args are not "
                         "supported")
    _function_id(tr.func, "TransformedTargetRegressor func")
    return _function_id(tr.inverse_func,
                        "TransformedTargetRegressor inverse_func")


def _needs_v2(model):
    """False when the model is what version 1 holds: an estimator, or a flat
    Pipeline of an optional StandardScaler and the estimator."""
    prep, est, ttr = _decompose(model)
    if ttr is not None:
        return True
    if _is(model, "Pipeline"):
        if any(_is(s, "Pipeline") for _, s in model.steps):
            return True
    if len(prep) > 1 or (prep and not _is(prep[0], "StandardScaler")):
        return True
    cat = getattr(est, "is_categorical_", None)
    if cat is not None and np.any(cat):
        return True
    return False


def _input_names(model, prep, est, n_in):
    for obj in [model] + prep[:1] + [est]:
        try:
            names = getattr(obj, "feature_names_in_", None)
        except Exception:
            names = None
        if names is not None:
            return [str(n) for n in names], True
    return ["x%d" % i for i in range(n_in)], False


def _check_names(names, what):
    for i, f in enumerate(names):
        if not isinstance(f, (str, np.str_)):
            raise ValueError("%s %d (%r) is not a string" % (what, i, f))
        if f == "":
            raise ValueError("%s %d is empty" % (what, i))
        if "\0" in f:
            raise ValueError("%s %r contains a NUL character" % (what, f))
        try:
            f.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("%s %r is not valid Unicode" % (what, f))
    seen = set()
    for f in names:
        if f in seen:
            raise ValueError("%s %r appears more than once" % (what, f))
        seen.add(f)


def _transform_all(prep, X):
    for s in prep:
        X = s.transform(X)
    if hasattr(X, "toarray"):
        X = X.toarray()
    return np.asarray(X, dtype=np.float64)


def _probe_missing(prep, prog, names, framed, sample, takes_nan):
    """Per input: does scikit-learn's preprocessing take a NaN there (and
    the estimator what comes out)?  A row that passes is changed in one
    input to NaN; None when no such row is found."""
    import pandas as pd
    n = len(names)
    bases = []
    if sample is not None:
        for r in range(min(len(sample), 50)):
            bases.append(sample.iloc[[r]][names].copy())
    else:
        for v in (1.0, 0.5, 2.0, 0.0, 10.0, -1.0):
            vals = []
            for i in range(n):
                if prog.kinds[i] == INPUT_CATEGORY:
                    vals.append(prog.cats[i][0] if prog.cats[i] else "")
                else:
                    vals.append(v)
            if framed:
                bases.append(pd.DataFrame(
                    {nm: pd.Series([x], dtype=object if
                                   prog.kinds[i] == INPUT_CATEGORY
                                   else np.float64)
                     for i, (nm, x) in enumerate(zip(names, vals))}))
            else:
                bases.append(np.array([vals], dtype=object if any(
                    k == INPUT_CATEGORY for k in prog.kinds) else np.float64))

    def passes(X):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Y = _transform_all(prep, X)
        except (ValueError, TypeError):
            return False
        return takes_nan or not np.any(np.isnan(Y))

    base = None
    for b in bases:
        if passes(b):
            base = b
            break
    if base is None:
        return None
    out = []
    for i in range(n):
        X = base.copy()
        if framed:
            col = names[i]
            if X[col].dtype.kind in "biu":
                X[col] = X[col].astype(np.float64)
            if str(X[col].dtype) == "category":
                X[col] = X[col].astype(object)
            X.loc[X.index[0], col] = (None if prog.null_is_none[i]
                                      else np.nan)
        else:
            X[0, i] = None if prog.null_is_none[i] else np.nan
        out.append(passes(X))
    return out


def _plan_v2(model, feature_names, sample):
    import sklearn

    prep, est, ttr = _decompose(model)
    name = _class_name(est)
    plan = _Plan()
    d = _plan_estimator(est, plan, name, categorical=True)
    if d is None:
        raise ValueError(
            "unsupported estimator %s (supported: %s, after a composition of "
            "scikit-learn transformers)" % (name, ", ".join(SUPPORTED)))
    target = _target_transform(ttr)
    if target and plan.class_labels is not None:
        raise ValueError("TransformedTargetRegressor around a classifier")

    first = prep[0] if prep else est
    n_in = int(getattr(first, "n_features_in_", d))
    names, framed = _input_names(model, prep, est, n_in)
    if len(names) != n_in:
        raise ValueError("%d input names for %d inputs" % (len(names), n_in))
    if sample is not None:
        if not hasattr(sample, "dtypes"):
            raise ValueError("sample must be a pandas DataFrame")
        kinds = _input_kinds_from_sample(sample, names)
    else:
        kinds = [INPUT_NUMBER] * n_in
    for _ in range(n_in + 1):
        prog = _Program(names, kinds)
        comp = _Compiler(prog)
        try:
            cols = list(range(n_in))
            for k, s in enumerate(prep):
                cols = comp.compile(s, cols, "")
            break
        except _NeedCategory as e:
            if sample is not None:
                raise ValueError("input %r is numeric in the sample but read "
                                 "as strings by a step" % names[e.input])
            kinds = list(kinds)
            kinds[e.input] = INPUT_CATEGORY
    else:
        raise ValueError("cannot decide the kinds of the inputs")
    if len(cols) != d:
        raise ValueError("the preprocessing makes %d features, %s takes %d"
                         % (len(cols), name, d))
    for c in cols:
        if prog.domain[c] >= 0:
            raise ValueError("the category input %r reaches %s unencoded"
                             % (names[prog.domain[c]], name))
    if sample is not None:
        # a category input no step reads (a dropped column): its known
        # values are the sample's, so that it has some (any string is
        # taken, an unknown one as code -1, and nothing reads it)
        for i in range(n_in):
            if prog.kinds[i] == INPUT_CATEGORY and not prog.cats[i]:
                prog.register(i, sorted(set(
                    str(v) for v in sample[names[i]] if not _is_missing(v))))
    steps, pool_u32, pool_f64 = _finish_program(prog)

    takes_nan = name in HGB_ESTIMATORS
    missing = _probe_missing(prep, prog, names, framed, sample, takes_nan)
    if missing is None:
        missing = [True] * n_in      # the steps refuse what they refuse
    info = []
    cat_values = []
    for i in range(n_in):
        flags = (INPUT_MISSING if missing[i] else 0) | (
            INPUT_UNKNOWN_REFUSED if prog.unknown_refused[i] else 0)
        if prog.kinds[i] == INPUT_CATEGORY:
            info += [INPUT_CATEGORY, flags, len(cat_values),
                     len(prog.cats[i])]
            cat_values += prog.cats[i]
        else:
            info += [INPUT_NUMBER, flags, 0, 0]

    if feature_names is not None:
        if isinstance(feature_names, str):
            feature_names = [f.strip() for f in feature_names.split(",")]
        feature_names = list(feature_names)
        if len(feature_names) != n_in:
            raise ValueError("%d names given for %d inputs"
                             % (len(feature_names), n_in))
        names = [str(f) if isinstance(f, np.str_) else f
                 for f in feature_names]
    # the estimator's feature names, as scikit-learn names them
    fnames = None
    try:
        fn = None
        for s in prep:
            fn = s.get_feature_names_out(fn)
        fn = [str(f) for f in fn] if prep else list(names)
        _check_names(fn, "feature name")
        if len(fn) == d:
            fnames = fn
    except Exception:
        fnames = None
    if fnames is None:
        fnames = ["f%d" % i for i in range(d)]

    _check_names(names, "input name")
    if not 1 <= n_in <= MAX_FEATURES or not 1 <= d <= MAX_FEATURES:
        raise ValueError("%d inputs and %d features; between 1 and %d are "
                         "supported" % (n_in, d, MAX_FEATURES))

    if plan.trees is not None:
        for nodes in plan.trees.nodes:
            split = (nodes["info"] & NODE_LEAF) == 0
            info_s = nodes["info"][split]
            cat = (info_s & NODE_CATEGORICAL) != 0
            feat = np.where(cat, info_s & NODE_CAT_FEATURE_MASK,
                            info_s & NODE_FEATURE_MASK)
            if np.any(feat >= d):
                raise ValueError("%s splits on a feature index >= its %d "
                                 "features" % (name, d))

    plan.n_features = d
    plan.estimator_name = name
    plan.feature_names = fnames
    plan.v2 = {
        "input_names": names,
        "input_info": info,
        "category_values": cat_values,
        "steps": steps,
        "step_u32": pool_u32,
        "step_f64": pool_f64,
        "output_columns": cols,
        "target_transform": target,
    }
    producer = {
        "library": "scikit-learn",
        "version": sklearn.__version__,
        "estimator": name,
        "steps": ([_class_name(s) for _, s in model.steps]
                  if _is(model, "Pipeline") else [_class_name(model)]),
        "pipeline": _describe(model),
        "n_inputs": n_in,
        "n_steps": len(prog.steps),
    }
    if target:
        producer["target_transform"] = "np." + FUNCTION_NAMES[target]
    producer.update(_estimator_producer(est, name, plan))
    plan.producer = json.dumps(producer, separators=(",", ":"))
    return plan


def _f64_blob_nan(arr, what):
    arr = np.ascontiguousarray(arr, dtype="<f8").reshape(-1)
    if np.any(np.isinf(arr)):
        raise ValueError("%s contains an infinity" % what)
    return arr.tobytes()


def _v2_sections(plan):
    out = []
    v = plan.v2
    if v is not None:
        n_in = len(v["input_names"])
        out.append((SEC_INPUT_NAMES, DTYPE_STRINGS,
                    _strings_blob(v["input_names"]), n_in))
        out.append((SEC_INPUT_INFO, DTYPE_U32, _u32_blob(v["input_info"]),
                    4 * n_in))
        if v["category_values"]:
            out.append((SEC_CATEGORY_VALUES, DTYPE_STRINGS,
                        _strings_blob(v["category_values"]),
                        len(v["category_values"])))
        if v["steps"]:
            out.append((SEC_STEPS, DTYPE_U32, _u32_blob(v["steps"]),
                        len(v["steps"])))
            out.append((SEC_STEP_U32, DTYPE_U32, _u32_blob(v["step_u32"]),
                        len(v["step_u32"])))
            out.append((SEC_STEP_F64, DTYPE_F64,
                        _f64_blob_nan(v["step_f64"], "step parameters"),
                        len(v["step_f64"])))
        out.append((SEC_OUTPUT_COLUMNS, DTYPE_U32,
                    _u32_blob(v["output_columns"]), plan.n_features))
        if v["target_transform"]:
            out.append((SEC_TARGET_TRANSFORM, DTYPE_U32,
                        _u32_blob([v["target_transform"]]), 1))
    if plan.cat_bitsets is not None and len(plan.cat_bitsets):
        bs = np.asarray(plan.cat_bitsets, dtype=np.int64).reshape(-1, 16)
        out.append((SEC_CATEGORY_BITSETS, DTYPE_U32, _u32_blob(bs),
                    bs.size))
    return out


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
    if tb.has_cover and tb.covers:
        cover = np.concatenate(tb.covers)
        out.append((SEC_NODE_COVER, DTYPE_F64, _f64_blob(cover, "cover"),
                    cover.size))
    return out


def _svm_sections(plan):
    """Sections 60-67 of a support vector machine (FORMAT.md, kind 4)."""
    v = plan.svm
    n_sv = v["params"][3]
    out = [(SEC_SVM_PARAMS, DTYPE_U32, _u32_blob(v["params"]), 8),
           (SEC_SVM_KERNEL, DTYPE_F64, _f64_blob(v["kernel"], "gamma, coef0"),
            2),
           (SEC_SUPPORT_VECTORS, DTYPE_F64,
            _f64_blob(v["sv"], "support vectors"), n_sv * plan.n_features),
           (SEC_SV_COEF, DTYPE_F64, _f64_blob(v["sv_coef"], "dual coef"),
            v["sv_coef"].size),
           (SEC_RHO, DTYPE_F64, _f64_blob(v["rho"], "intercept"),
            v["rho"].size)]
    if v["n_sv_class"] is not None:
        out.append((SEC_N_SV_CLASS, DTYPE_U32, _u32_blob(v["n_sv_class"]),
                    v["n_sv_class"].size))
    if v["prob_a"] is not None:
        out.append((SEC_PROB_A, DTYPE_F64, _f64_blob(v["prob_a"], "probA_"),
                    v["prob_a"].size))
        out.append((SEC_PROB_B, DTYPE_F64, _f64_blob(v["prob_b"], "probB_"),
                    v["prob_b"].size))
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
    elif plan.kind == KIND_SVM:
        sections.extend(_svm_sections(plan))
    elif plan.kind == KIND_NETWORK:
        sections.extend(_network_sections(plan))
    else:
        rows = plan.coef.shape[0]
        sections.append((SEC_COEF, DTYPE_F64, _f64_blob(plan.coef, "coef"),
                         rows * plan.n_features))
        sections.append((SEC_INTERCEPT, DTYPE_F64,
                         _f64_blob(plan.intercept, "intercept"), rows))
    if plan.feature_mean is not None:
        sections.append((SEC_FEATURE_MEAN, DTYPE_F64,
                         _f64_blob(plan.feature_mean, "feature mean"),
                         plan.n_features))
    v2 = _v2_sections(plan)
    sections.extend(v2)
    # svm sections came with version 2: a version 1 reader refuses them
    version = (2 if v2 or plan.kind in (KIND_SVM, KIND_NETWORK)
               else FORMAT_VERSION)
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
    struct.pack_into("<8sIIQII", buf, 0, MAGIC, version, BYTE_ORDER,
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


def _feature_mean(model, plan, train):
    """The training mean of each estimator feature (section 50), which a
    linear model's explanations start from: from `train` (the training
    inputs, through the preprocessing), else a StandardScaler's mean_.
    A linear-kernel SVM is a linear model too (its w from the vectors)."""
    linear_svm = (plan.kind == KIND_SVM
                  and plan.svm["params"][1] == SVM_KERNELS["linear"])
    if plan.kind not in (KIND_LINEAR, KIND_LOGISTIC) and not linear_svm:
        return None
    if train is None:
        if plan.v2 is None and plan.scaler_mean is not None:
            scaler = _split_model(model)[0]
            if scaler.with_mean:
                return np.asarray(scaler.mean_, dtype=np.float64).copy()
        return None
    if plan.v2 is not None:
        prep = _decompose(model)[0]
        Z = _transform_all(prep, train)
    else:
        Z = np.asarray(train, dtype=np.float64)
    if Z.ndim != 2 or Z.shape[1] != plan.n_features or Z.shape[0] == 0:
        raise ValueError("train has shape %s; the estimator takes %d "
                         "features" % (Z.shape, plan.n_features))
    mean = Z.mean(axis=0)
    if not np.all(np.isfinite(mean)):
        raise ValueError("the training mean of a feature is not finite")
    return mean


def export(model, path, feature_names=None, sample=None, train=None):
    """Write `model` to `path` in the mlpredict format.

    model: a fitted LinearRegression, Ridge, Lasso, ElasticNet,
    LogisticRegression, DecisionTree*, RandomForest*, ExtraTrees*,
    GradientBoosting* or HistGradientBoosting* (Classifier or Regressor),
    SVC, NuSVC, SVR, NuSVR, OneClassSVM, LinearSVC, LinearSVR, Perceptron,
    RidgeClassifier, PassiveAggressive*, SGDClassifier, SGDRegressor, or
    a Pipeline ending in one of those (see the module docstring for the
    steps before it), or a TransformedTargetRegressor around either.

    A model that version 1 holds (an estimator, or Pipeline(StandardScaler,
    estimator)) is written as version 1, byte for byte as before.  Anything
    else is written as version 2, with an input schema and the compiled step
    program (FORMAT.md, "Format version 2").

    feature_names: a list (or comma-separated string) of unique, non-empty
    names of what the client sends: for version 1 the features, for version
    2 the inputs; by default the model's feature_names_in_ (a model fitted on
    a DataFrame), else x0..xN-1.

    sample: optional, a pandas DataFrame with the training frame's columns
    and dtypes (X_train.head() is enough).  It decides which inputs are
    category inputs (object, category, string or bool dtype; numeric dtypes
    are number inputs), and its rows are the base rows of the missing-value
    probes.  Without it the kinds are derived from the fitted steps: an input
    that an encoder with string categories_ (or a SimpleImputer with a
    string statistic) reads, directly or through imputers and passthrough,
    is a category input; every other input is a number input.  Both agree
    for the usual pipelines; pass `sample` when a string column reaches no
    such step (a dropped column, say).

    train: optional, the training inputs (what fit was given).  Linear
    models then carry the mean of each estimator feature (section 50),
    which their explanations need; without it only a Pipeline(
    StandardScaler, linear model) can be explained (the scaler's mean_).
    Tree models carry their node cover (section 51) without it.

    Returns a dict describing what was written.  Raises ValueError for a model
    that cannot be exported, naming the step and the reason.
    """
    plan = _plan(model, feature_names, sample)
    plan.feature_mean = _feature_mean(model, plan, train)
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
        "format_version": 2 if (plan.v2 is not None
                                or plan.cat_bitsets is not None
                                or plan.kind in (KIND_SVM, KIND_NETWORK))
                          else 1,
        "input_names": (list(plan.v2["input_names"]) if plan.v2 is not None
                        else list(plan.feature_names)),
        "n_steps": (len(plan.v2["steps"]) // 8 if plan.v2 is not None
                    else 0),
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
    v2 = ("" if info.get("format_version", 1) == 1 else
          ", format 2: %d inputs, %d steps" % (len(info["input_names"]),
                                               info["n_steps"]))
    return ("%s: %s%s, link %s, %d features, %s%s%s, %d bytes, crc32 %08x"
            % (info["path"],
               "StandardScaler+" if info["scaler"] else "",
               info["estimator"], info["link_name"], info["n_features"],
               what, trees, v2, info["size"], info["crc32"]))


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
                                       "the model's column order (format "
                                       "version 2: the inputs' names)")
    ap.add_argument("--sample", help="a few training rows with the training "
                                     "frame's dtypes: a pickled DataFrame, "
                                     "or a CSV file (string columns are "
                                     "category inputs)")
    args = ap.parse_args(argv)
    try:
        model = _load(args.model)
    except Exception as e:
        print("mlpredict_export: cannot load %s: %s" % (args.model, e),
              file=sys.stderr)
        return 1
    sample = None
    if args.sample:
        try:
            if args.sample.endswith(".csv"):
                import pandas as pd
                sample = pd.read_csv(args.sample)
            else:
                sample = _load(args.sample)
        except Exception as e:
            print("mlpredict_export: cannot load %s: %s" % (args.sample, e),
                  file=sys.stderr)
            return 1
    try:
        info = export(model, args.out, args.features, sample)
    except (ValueError, OSError) as e:
        print("mlpredict_export: %s: %s" % (args.model, e), file=sys.stderr)
        return 1
    print(summary(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
