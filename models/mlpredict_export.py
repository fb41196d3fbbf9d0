#!/usr/bin/python3
"""Export a fitted scikit-learn linear model to the mlpredict model file (v1).

The file format is described in models/FORMAT.md.  Supported models are a
fitted estimator, or a Pipeline of an optional StandardScaler followed by the
estimator, where the estimator is one of

  LinearRegression, Ridge, Lasso, ElasticNet     (kind 1, link 0 identity)
  LogisticRegression                             (kind 2, link 1, 2 or 3)

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

LINK_IDENTITY = 0
LINK_LOGISTIC = 1
LINK_SOFTMAX = 2
LINK_OVR = 3

LINK_NAMES = {0: "identity", 1: "logistic", 2: "softmax", 3: "ovr"}

DTYPE_F64 = 1
DTYPE_STRINGS = 2

SEC_FEATURE_NAMES = 1
SEC_CLASS_LABELS = 2
SEC_PRODUCER = 3
SEC_SCALER_MEAN = 10
SEC_SCALER_SCALE = 11
SEC_COEF = 20
SEC_INTERCEPT = 21

LINEAR_ESTIMATORS = ("LinearRegression", "Ridge", "Lasso", "ElasticNet")


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
    else:
        raise ValueError(
            "unsupported estimator %s (supported: %s, LogisticRegression, "
            "optionally after a StandardScaler in a Pipeline)"
            % (name, ", ".join(LINEAR_ESTIMATORS)))
    if hasattr(est, "n_features_in_") and int(est.n_features_in_) != d:
        raise ValueError("%s.coef_ has %d columns but n_features_in_ is %d"
                         % (name, d, est.n_features_in_))
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

    plan.producer = json.dumps({
        "library": "scikit-learn",
        "version": sklearn.__version__,
        "estimator": name,
        "steps": step_names,
    }, separators=(",", ":"))
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

    model: a fitted LinearRegression, Ridge, Lasso, ElasticNet or
    LogisticRegression, or a Pipeline of an optional StandardScaler and one
    of those.  feature_names: a list (or comma-separated string) of unique,
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
    }


def summary(info):
    what = ("%d classes %s" % (info["n_outputs"],
                               ",".join(info["class_labels"]))
            if info["class_labels"] is not None
            else "%d output%s" % (info["n_outputs"],
                                  "" if info["n_outputs"] == 1 else "s"))
    return ("%s: %s%s, link %s, %d features, %s, %d bytes, crc32 %08x"
            % (info["path"],
               "StandardScaler+" if info["scaler"] else "",
               info["estimator"], info["link_name"], info["n_features"],
               what, info["size"], info["crc32"]))


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
