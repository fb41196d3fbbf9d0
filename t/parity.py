#!/usr/bin/python3
"""Parity of mlpredict against scikit-learn itself.

    /usr/bin/python3 t/parity.py --cli build/mlpredict --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so [--port 1990]

For every example in models/make_examples.py, and for a few larger models
built here only (stress_*: 500 trees of depth 20, fully grown trees, other
losses), fit it, export it to a temporary directory, then compare with the
fitted estimator's own predict() and predict_proba():

  file  the exported file parsed back per models/FORMAT.md (every field,
        alignment, CRC, every tree walked) and evaluated by a plain
        Python/numpy reference;
  cli   `mlpredict predict MODEL` with the request body on stdin;
  http  POST to nginx, run here as a child process with the module loaded.

Rows: the held-out rows (every row of the data set for stress_*), then
"edge" rows that put one feature exactly on, or one double or float32 step
beside, split thresholds of the model (and the float32 rounding ties between
them), so that each comparison and each rounding is exercised.

Labels must be equal.  Numbers: decision trees, random forests and extra
trees must be bit-for-bit equal (compared with ==; the maximum absolute
difference is reported otherwise); every other model within 1e-12 relative
(they pass through exp/log, where numpy's and the C library's may differ in
the last bit; the maximum relative difference seen is reported).  A
multiclass GradientBoostingClassifier must besides be bit-for-bit equal to
scikit-learn's own arithmetic run with the C library's exp and log in place
of numpy's (gb_proba): then only those functions can make it differ.

Missing values: a model that supports them (HistGradientBoosting*) gets rows
with JSON null values and, in named rows, absent features, compared with
predict() on X holding NaN; any other model must refuse a null or an absent
feature (HTTP 4xx, CLI exit 1 with {"error": ...}).

One line per check, then "N passed, N failed"; the exit status is 1 on any
failure.
"""

import argparse
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

# one OpenMP thread: HistGradientBoosting's fit and predict spend far more
# waking threads than computing on data sets this small (answers are the same)
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.dont_write_bytecode = True   # keep the source tree clean
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

import make_examples  # noqa: E402
from mlpredict_export import export  # noqa: E402

RTOL = 1e-12
N_SINGLE = 3          # single-row requests per model and shape
N_EDGE = 240          # edge rows per tree model (at most)
MISSING_FRACTION = 0.2
TIMEOUT = 60

# estimators whose answers must be bit-for-bit equal
EXACT_ESTIMATORS = ("DecisionTreeClassifier", "DecisionTreeRegressor",
                    "RandomForestClassifier", "RandomForestRegressor",
                    "ExtraTreesClassifier", "ExtraTreesRegressor")


# --------------------------------------------------------------------------
# results

class Results:
    def __init__(self, verbose=False):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def ok(self, name, detail=""):
        self.passed += 1
        print("ok      %s%s" % (name, (" (%s)" % detail) if detail else ""))
        sys.stdout.flush()

    def fail(self, name, why):
        self.failed += 1
        why = str(why)
        if len(why) > 2000 and not self.verbose:
            why = why[:2000] + "... [truncated]"
        print("FAILED  %s: %s" % (name, why))
        sys.stdout.flush()


# --------------------------------------------------------------------------
# reading the model file back (FORMAT.md, version 1)

DT_F64, DT_STRINGS, DT_U32, DT_NODE = 1, 2, 3, 4
KNOWN_SECTIONS = {1: DT_STRINGS, 2: DT_STRINGS, 3: DT_STRINGS, 10: DT_F64,
                  11: DT_F64, 20: DT_F64, 21: DT_F64, 30: DT_U32, 31: DT_U32,
                  32: DT_U32, 33: DT_F64, 34: DT_NODE, 35: DT_F64,
                  36: DT_F64,
                  # explanations: feature_mean, node_cover (any version)
                  50: DT_F64, 51: DT_F64}
ELEMENT_SIZE = {DT_F64: 8, DT_U32: 4, DT_NODE: 16}
NODE_DTYPE = np.dtype([("threshold", "<f8"), ("a", "<u4"), ("info", "<u4")])

F_INPUT_F32, F_CMP_LT, F_ACC_F32 = 1, 2, 4
F_MISSING, F_LABEL_FROM_RAW, F_SCALE_LEAVES = 8, 16, 32
ALL_FLAGS = 63
LEAF_BIT = 1 << 31
DEFAULT_LEFT_BIT = 1 << 30
FEATURE_MASK = (1 << 30) - 1


def read_mlp(path):
    """Parse and fully validate a model file; return a dict or raise
    ValueError."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 64:
        raise ValueError("file shorter than 64 bytes")
    magic, ver, bo, fsize, crc, r0 = struct.unpack_from("<8sIIQII", b, 0)
    kind, nf, no, ns, sto, link, r1 = struct.unpack_from("<IIIIQII", b, 32)
    if magic != b"MLPREDCT":
        raise ValueError("bad magic %r" % magic)
    if ver != 1:
        raise ValueError("format_version %d" % ver)
    if bo != 0x01020304 or b[12:16] != b"\x04\x03\x02\x01":
        raise ValueError("byte_order %#x" % bo)
    if fsize != len(b):
        raise ValueError("file_size %d, real size %d" % (fsize, len(b)))
    real_crc = zlib.crc32(b[32:]) & 0xFFFFFFFF
    if crc != real_crc:
        raise ValueError("checksum %08x, computed %08x" % (crc, real_crc))
    if r0 != 0 or r1 != 0:
        raise ValueError("reserved fields not zero")
    if kind not in (1, 2, 3):
        raise ValueError("kind %d" % kind)
    if not 1 <= nf <= 1000000:
        raise ValueError("n_features %d" % nf)
    if not 1 <= ns <= 64:
        raise ValueError("n_sections %d" % ns)
    if sto != 64:
        raise ValueError("section_table_offset %d" % sto)
    rows = None
    if kind == 1:
        if link != 0 or no < 1:
            raise ValueError("linear with link %d, n_outputs %d" % (link, no))
        rows = no
    elif kind == 2:
        if no < 2:
            raise ValueError("logistic with %d classes" % no)
        if link == 1 and no == 2:
            rows = 1
        elif (link == 2 and no >= 2) or (link == 3 and no >= 3):
            rows = no
        else:
            raise ValueError("logistic with link %d and %d classes"
                             % (link, no))
    else:
        if link not in (0, 1, 2, 4, 5, 6, 7) or no < 1:
            raise ValueError("trees with link %d, n_outputs %d" % (link, no))
    if sto + 32 * ns > len(b):
        raise ValueError("section table outside the file")
    secs = {}
    spans = []
    for i in range(ns):
        sid, dt, off, size, count = struct.unpack_from("<IIQQQ", b,
                                                       sto + 32 * i)
        if sid not in KNOWN_SECTIONS:
            raise ValueError("unknown section id %d" % sid)
        if sid in secs:
            raise ValueError("duplicate section id %d" % sid)
        if off % 64:
            raise ValueError("section %d at unaligned offset %d" % (sid, off))
        if off < sto + 32 * ns or off + size > len(b):
            raise ValueError("section %d out of bounds" % sid)
        if dt != KNOWN_SECTIONS[sid]:
            raise ValueError("section %d has dtype %d" % (sid, dt))
        data = b[off:off + size]
        if dt in ELEMENT_SIZE:
            if size != ELEMENT_SIZE[dt] * count:
                raise ValueError("section %d size %d count %d"
                                 % (sid, size, count))
            if dt == DT_F64:
                val = np.frombuffer(data, dtype="<f8").astype(float)
                if not np.all(np.isfinite(val)):
                    raise ValueError("section %d has a non-finite value"
                                     % sid)
            elif dt == DT_U32:
                val = np.frombuffer(data, dtype="<u4").astype(np.int64)
            else:
                val = np.frombuffer(data, dtype=NODE_DTYPE)
        else:
            if not data.endswith(b"\0"):
                raise ValueError("section %d not NUL-terminated" % sid)
            parts = data[:-1].split(b"\0")
            if len(parts) != count or size != sum(map(len, parts)) + count:
                raise ValueError("section %d: %d strings, count %d"
                                 % (sid, len(parts), count))
            val = [p.decode("utf-8") for p in parts]
        secs[sid] = val
        spans.append((off, off + size))
    spans.sort()
    end = sto + 32 * ns
    for s, e in spans:
        if s < end:
            raise ValueError("sections overlap")
        if any(b[end:s]):
            raise ValueError("non-zero padding at %d..%d" % (end, s))
        end = e
    if any(b[end:]):
        raise ValueError("non-zero bytes after the last section")

    def need(sid, count):
        if sid not in secs:
            raise ValueError("section %d missing" % sid)
        if len(secs[sid]) != count:
            raise ValueError("section %d has %d elements, expected %d"
                             % (sid, len(secs[sid]), count))
        return secs[sid]

    names = need(1, nf)
    if any(n == "" for n in names) or len(set(names)) != nf:
        raise ValueError("feature names empty or not unique")
    labels = None
    if kind == 2 or (kind == 3 and 2 in secs):
        labels = need(2, no)
        if len(set(labels)) != no:
            raise ValueError("class labels not unique")
        for lab in labels:
            v = json.loads(lab)
            if isinstance(v, (dict, list)) or v is None:
                raise ValueError("label %r is not a JSON scalar" % lab)
    elif 2 in secs:
        raise ValueError("class labels in a regression model")
    producer = None
    if 3 in secs:
        producer = json.loads(need(3, 1)[0])
        if not isinstance(producer, dict):
            raise ValueError("producer is not a JSON object")
    if (10 in secs) != (11 in secs):
        raise ValueError("scaler_mean without scaler_scale or vice versa")
    mean = scale = None
    if 10 in secs:
        mean = need(10, nf)
        scale = need(11, nf)
        if np.any(scale == 0):
            raise ValueError("zero scale")
    m = {"kind": kind, "link": link, "n_features": nf, "n_outputs": no,
         "feature_names": names, "class_labels": labels,
         "producer": producer, "mean": mean, "scale": scale,
         "size": len(b)}
    if kind in (1, 2):
        for sid in (30, 31, 32, 33, 34, 35, 36):
            if sid in secs:
                raise ValueError("tree section %d in a kind %d model"
                                 % (sid, kind))
        m["coef"] = need(20, rows * nf).reshape(rows, nf)
        m["intercept"] = need(21, rows)
    else:
        for sid in (20, 21):
            if sid in secs:
                raise ValueError("section %d in a tree model" % sid)
        _read_trees(m, secs, need)
    return m


def _read_trees(m, secs, need):
    """Kind 3: the checks FORMAT.md lists for the loader."""
    params = need(30, 8)
    n_trees, n_groups, width, flags = (int(v) for v in params[:4])
    if any(params[4:]):
        raise ValueError("tree_params[4:8] not zero")
    if n_trees < 1 or n_groups < 1 or width < 1:
        raise ValueError("tree_params %s" % list(params[:4]))
    if flags & ~ALL_FLAGS:
        raise ValueError("unknown flags %#x" % flags)
    link, no = m["link"], m["n_outputs"]
    if m["class_labels"] is not None:
        if link == 1:
            if n_groups != 1 or no != 2:
                raise ValueError("link 1 with %d groups, %d classes"
                                 % (n_groups, no))
        elif link in (2, 5, 6):
            if n_groups != no or (link == 6 and no < 3) or no < 2:
                raise ValueError("link %d with %d groups, %d classes"
                                 % (link, n_groups, no))
        else:
            raise ValueError("classifier with link %d" % link)
    else:
        if link not in (0, 4, 5, 7) or n_groups != no:
            raise ValueError("regressor with link %d, %d groups, %d outputs"
                             % (link, n_groups, no))
    roots = need(31, n_trees)
    groups = (need(32, n_trees) if 32 in secs
              else np.zeros(n_trees, dtype=np.int64))
    if flags & F_SCALE_LEAVES:
        scales = need(33, n_trees)
    elif 33 in secs:
        raise ValueError("tree_scales without the scale_leaves flag")
    else:
        scales = None
    if 34 not in secs or 35 not in secs:
        raise ValueError("nodes or leaf_values missing")
    nodes = secs[34]
    leaf_values = secs[35]
    n_nodes = len(nodes)
    init = need(36, n_groups) if 36 in secs else np.zeros(n_groups)
    if np.any(np.isnan(nodes["threshold"])):
        raise ValueError("a threshold is NaN")
    if roots[0] != 0 or np.any(np.diff(roots) <= 0) or roots[-1] >= n_nodes:
        raise ValueError("tree_roots not 0 and increasing inside the nodes")
    if np.any(groups + width > n_groups):
        raise ValueError("a tree's group range leaves the raw scores")
    info = nodes["info"].astype(np.int64)
    a = nodes["a"].astype(np.int64)
    is_leaf = (info & LEAF_BIT) != 0
    feat = info & FEATURE_MASK
    if np.any(is_leaf & ((a + 1) * width > len(leaf_values))):
        raise ValueError("a leaf's values lie outside leaf_values")
    if np.any(~is_leaf & (feat >= m["n_features"])):
        raise ValueError("a split feature index >= n_features")
    bounds = list(roots) + [n_nodes]
    max_depth = 0
    for t in range(n_trees):
        lo, hi = bounds[t], bounds[t + 1]
        seen = np.zeros(hi - lo, dtype=bool)
        stack = [(lo, 0)]
        seen[0] = True
        while stack:
            i, depth = stack.pop()
            max_depth = max(max_depth, depth)
            if is_leaf[i]:
                continue
            for c in (a[i], a[i] + 1):
                if not lo <= c < hi:
                    raise ValueError("tree %d: node %d has child %d outside "
                                     "the tree" % (t, i, c))
                if seen[c - lo]:
                    raise ValueError("tree %d: node %d reached twice"
                                     % (t, c))
                seen[c - lo] = True
                stack.append((c, depth + 1))
        if not seen.all():
            raise ValueError("tree %d: %d nodes never reached"
                             % (t, int((~seen).sum())))
    m.update({"n_trees": n_trees, "n_groups": n_groups, "leaf_width": width,
              "flags": flags, "roots": roots, "groups": groups,
              "scales": scales, "nodes": nodes, "leaf_values": leaf_values,
              "init": init, "n_nodes": n_nodes, "max_depth": max_depth,
              "is_leaf": is_leaf, "feature": feat, "child": a,
              "default_left": (info & DEFAULT_LEFT_BIT) != 0,
              "threshold": nodes["threshold"].astype(float)})


def pairwise_sum(v):
    """sum() in numpy's order for one row (numpy's pairwise_sum: a plain
    loop below 8 values, 8 accumulators up to 128, halves above), which is
    what np.sum(a, axis=1) does to each row."""
    n = len(v)
    if n < 8:
        res = 0.0
        for x in v:
            res += x
        return res
    if n <= 128:
        r = [v[j] for j in range(8)]
        i = 8
        while i < n - n % 8:
            for j in range(8):
                r[j] += v[i + j]
            i += 8
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
        while i < n:
            res += v[i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(v[:n2]) + pairwise_sum(v[n2:])


def _argmax(v):
    best = 0
    for i in range(1, len(v)):
        if v[i] > v[best]:
            best = i
    return best


def ref_predict(m, row):
    """Row answer from the parsed file, plain float arithmetic like C."""
    if m["kind"] == 3:
        return ref_trees(m, np.asarray([row], dtype=float))[0]
    x = [float(v) for v in row]
    if m["mean"] is not None:
        x = [(v - mu) / sc for v, mu, sc in zip(x, m["mean"], m["scale"])]
    scores = []
    for r in range(m["coef"].shape[0]):
        s = 0.0
        for c, v in zip(m["coef"][r], x):
            s += float(c) * v
        scores.append(s + float(m["intercept"][r]))
    if m["kind"] == 1:
        return {"prediction": scores[0] if m["n_outputs"] == 1 else scores}
    labels = [json.loads(t) for t in m["class_labels"]]
    keys = [label_key(t) for t in m["class_labels"]]
    if m["link"] == 1:
        p1 = 1.0 / (1.0 + math.exp(-scores[0]))
        probs = [1.0 - p1, p1]
        best = 1 if scores[0] > 0 else 0
    else:
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        if m["link"] == 2:
            mx = max(scores)
            e = [math.exp(s - mx) for s in scores]
        else:
            e = [1.0 / (1.0 + math.exp(-s)) for s in scores]
        tot = sum(e)
        probs = [v / tot for v in e]
    return {"prediction": labels[best], "probabilities": dict(zip(keys,
                                                                  probs))}


def ref_trees(m, X):
    """Row answers of a tree ensemble for the rows of X (NaN = missing),
    per FORMAT.md: the walk vectorized over rows, the sums and links in the
    order the C kernel uses (tree after tree; links element by element with
    the C library's exp and log)."""
    flags = m["flags"]
    X = np.array(X, dtype=float)
    n = X.shape[0]
    if m["mean"] is not None:
        X = (X - m["mean"]) / m["scale"]
    if flags & F_INPUT_F32:
        X = X.astype(np.float32).astype(np.float64)
    if np.isnan(X).any() and not flags & F_MISSING:
        raise ValueError("missing value in a model without missing support")
    f32 = bool(flags & F_ACC_F32)
    dt = np.float32 if f32 else np.float64
    G, W = m["n_groups"], m["leaf_width"]
    raw = np.empty((n, G), dtype=dt)
    raw[:] = np.asarray(m["init"], dtype=dt)
    leaves = np.asarray(m["leaf_values"]).reshape(-1, W)
    is_leaf, feat, child = m["is_leaf"], m["feature"], m["child"]
    dleft, thr = m["default_left"], m["threshold"]
    rows = np.arange(n)
    for t in range(m["n_trees"]):
        idx = np.full(n, m["roots"][t], dtype=np.int64)
        while True:
            act = ~is_leaf[idx]
            if not act.any():
                break
            i = idx[act]
            xv = X[rows[act], feat[i]]
            with np.errstate(invalid="ignore"):
                go = xv < thr[i] if flags & F_CMP_LT else xv <= thr[i]
            go = np.where(np.isnan(xv), dleft[i], go)
            idx[act] = np.where(go, child[i], child[i] + 1)
        vals = leaves[child[idx]].astype(dt)
        if m["scales"] is not None:
            vals = vals * dt(m["scales"][t])
        g = int(m["groups"][t])
        raw[:, g:g + W] += vals
    return [_ref_link(m, [float(v) for v in r], f32) for r in raw]


def _ref_link(m, raw, f32):
    link = m["link"]
    c = (lambda v: float(np.float32(v))) if f32 else float
    exp = ((lambda v: float(np.exp(np.float32(v)))) if f32 else math.exp)
    if link == 0:
        out = raw
    elif link == 4:
        out = [exp(v) for v in raw]
    elif link == 5:
        out = [c(v / m["n_trees"]) for v in raw]
    elif link == 1:
        p1 = c(1.0 / c(1.0 + exp(c(-raw[0]))))
        out = [c(1.0 - p1), p1]
    elif link == 7:
        out = [c(1.0 / c(1.0 + exp(c(-v)))) for v in raw]
    elif link == 2:
        mx = max(raw)
        e = [exp(c(v - mx)) for v in raw]
        s = c(pairwise_sum(e))
        out = [c(v / s) for v in e]
    elif link == 6:
        mx = max(raw)
        if not math.isfinite(mx):
            mx = 0.0
        s = pairwise_sum([exp(v - mx) for v in raw])
        lse = math.log(s) + mx
        out = [exp(v - lse) for v in raw]
    else:
        raise ValueError("link %d" % link)
    if m["class_labels"] is None:
        return {"prediction": out[0] if m["n_outputs"] == 1 else out}
    labels = [json.loads(t) for t in m["class_labels"]]
    keys = [label_key(t) for t in m["class_labels"]]
    if m["flags"] & F_LABEL_FROM_RAW:
        best = (1 if raw[0] > 0 else 0) if link == 1 else _argmax(raw)
    else:
        best = _argmax(out)
    return {"prediction": labels[best], "probabilities": dict(zip(keys, out))}


# --------------------------------------------------------------------------
# expected answers from scikit-learn

def label_json(v):
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return json.dumps(str(v))


def label_key(text):
    """Key in "probabilities" for a label given as JSON text: the string
    itself for a string label, else the JSON text ("0", "1.5", "true")."""
    v = json.loads(text)
    return v if isinstance(v, str) else text


def expected_rows(model, X):
    """The row answers scikit-learn gives, as Python values; with "libm",
    the probabilities gb_proba gives with the C library's exp and log."""
    pred = model.predict(X)
    out = []
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        twin = (gb_proba(model.decision_function(X), libm_exp, libm_log)
                if gb_multiclass(model) else None)
        keys = [label_key(label_json(c)) for c in model.classes_]
        for i in range(len(X)):
            out.append({"prediction": json.loads(label_json(pred[i])),
                        "probabilities": {k: float(p) for k, p in
                                          zip(keys, proba[i])}})
            if twin is not None:
                out[-1]["libm"] = {k: float(p) for k, p in
                                   zip(keys, twin[i])}
    else:
        for i in range(len(X)):
            v = pred[i]
            out.append({"prediction": [float(t) for t in v]
                        if np.ndim(v) else float(v)})
    return out


def gb_multiclass(model):
    est = final_estimator(model)
    return (type(est).__name__ == "GradientBoostingClassifier"
            and len(est.classes_) > 2)


def gb_proba(raw, exp, log):
    """MultinomialDeviance._raw_prediction_to_proba (scikit-learn 1.2,
    ensemble/_gb_losses.py) with scipy.special.logsumexp(raw, axis=1)
    written out as scipy 1.10 computes it, `exp` and `log` standing for
    np.exp and np.log; with those it is predict_proba bit for bit (checked
    in check_gb_proba).  np.sum(axis=1) adds each row of the C-contiguous
    temporary pairwise (pairwise_sum above)."""
    a_max = np.amax(raw, axis=1, keepdims=True)
    a_max[~np.isfinite(a_max)] = 0
    s = np.sum(exp(raw - a_max), axis=1)
    lse = log(s)
    lse += np.squeeze(a_max, axis=1)
    return np.nan_to_num(exp(raw - lse[:, np.newaxis]))


# the C library's, as the module calls them (numpy's own, SIMD on x86-64
# with AVX512F, differ from them in the last bit or two of some values)
libm_exp = np.vectorize(math.exp, otypes=[float])
libm_log = np.vectorize(math.log, otypes=[float])


def final_estimator(model):
    steps = getattr(model, "steps", None)
    return steps[-1][1] if steps else model


def is_exact(model):
    return type(final_estimator(model)).__name__ in EXACT_ESTIMATORS


def supports_missing(model):
    return type(final_estimator(model)).__name__.startswith(
        "HistGradientBoosting")


# --------------------------------------------------------------------------
# comparison

class Tol:
    """Number comparison for one check: bit-exact or within RTOL; records
    the largest difference seen and the first number that is off."""

    def __init__(self, exact):
        self.exact = exact
        self.n = 0
        self.n_off = 0
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.first_off = None
        self.n_twin = 0
        self.n_twin_off = 0
        self.first_twin_off = None

    def number(self, got, want, where, twin=None):
        """`twin`: a number `got` must besides equal bit for bit."""
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return "%s: %s is not a number (scikit-learn says %r)" % (
                where, _short(got), want)
        a, b = float(got), float(want)
        if not math.isfinite(a):
            return "%s: %r is not finite" % (where, got)
        self.n += 1
        if twin is not None:
            self.n_twin += 1
            if a != twin:
                self.n_twin_off += 1
                if self.first_twin_off is None:
                    self.first_twin_off = (
                        "%s is %r, scikit-learn's arithmetic with the C "
                        "library's exp and log says %r" % (where, got, twin))
        d = abs(a - b)
        rel = d / max(abs(a), abs(b)) if d else 0.0
        self.max_abs = max(self.max_abs, d)
        self.max_rel = max(self.max_rel, rel)
        ok = (d == 0.0) if self.exact else (d <= RTOL * max(abs(a), abs(b)))
        if not ok:
            self.n_off += 1
            if self.first_off is None:
                self.first_off = "%s is %r, scikit-learn says %r" % (
                    where, got, want)
        return None

    def verdict(self):
        """None if every number passed, else a message."""
        if self.n_off:
            return "%s (%d of %d numbers %s; max abs diff %.3g, max rel " \
                   "diff %.3g)" % (self.first_off, self.n_off, self.n,
                                   "not bit-exact" if self.exact
                                   else "beyond %g relative" % RTOL,
                                   self.max_abs, self.max_rel)
        if self.n_twin_off:
            return "%s (%d of %d numbers not bit-exact; max rel diff to " \
                   "scikit-learn %.3g)" % (self.first_twin_off,
                                           self.n_twin_off, self.n_twin,
                                           self.max_rel)
        return None

    def detail(self):
        if self.exact:
            return "%d numbers bit-exact" % self.n
        twin = ""
        if self.n_twin:
            twin = ", bit-exact with the C library's exp and log"
        return "%d numbers, max rel diff %.3g%s" % (self.n, self.max_rel,
                                                     twin)


def same_label(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return False


def judge(res, what, out, chk, exact):
    """Record one check: `out` must be JSON that `chk` finds no fault in."""
    try:
        resp = json.loads(out)
    except ValueError as e:
        res.fail(what, "answer is not JSON (%s): %r" % (e, out[:300]))
        return
    tol = Tol(exact)
    msg = chk(resp, tol) or tol.verdict()
    if msg:
        res.fail(what, msg)
    else:
        res.ok(what, tol.detail())


def compare_row(got, want, where, tol):
    """None if `got` (a row answer) matches `want` (numbers go through
    `tol`, which keeps the verdict on them), else a message."""
    if "probabilities" in want:
        if not isinstance(got, dict):
            return "%s: expected an object, got %s" % (where, _short(got))
        if set(got) != {"prediction", "probabilities"}:
            return "%s: keys %s, expected prediction, probabilities" % (
                where, sorted(got))
        if not same_label(got["prediction"], want["prediction"]):
            return "%s: label %s, scikit-learn says %s" % (
                where, json.dumps(got["prediction"]),
                json.dumps(want["prediction"]))
        gp, wp = got["probabilities"], want["probabilities"]
        twin = want.get("libm", {})
        if not isinstance(gp, dict) or set(gp) != set(wp):
            return "%s: probabilities keys %s, expected %s" % (
                where, sorted(gp) if isinstance(gp, dict) else _short(gp),
                sorted(wp))
        for k in wp:
            msg = tol.number(gp[k], wp[k], "%s: probability of %s" % (
                where, json.dumps(k)), twin.get(k))
            if msg:
                return msg
        return None
    w = want["prediction"]
    if isinstance(w, list):
        if not isinstance(got, list) or len(got) != len(w):
            return "%s: expected a list of %d numbers, got %s" % (
                where, len(w), _short(got))
        for j, (g, e) in enumerate(zip(got, w)):
            msg = tol.number(g, e, "%s: output %d" % (where, j))
            if msg:
                return msg
        return None
    return tol.number(got, w, where)


def compare_batch(resp, want, tol):
    if not isinstance(resp, dict) or set(resp) != {"predictions"}:
        return "expected {\"predictions\": [...]}, got %s" % _short(resp)
    preds = resp["predictions"]
    if not isinstance(preds, list) or len(preds) != len(want):
        return "expected %d predictions, got %s" % (
            len(want), len(preds) if isinstance(preds, list) else
            _short(preds))
    for i, (g, w) in enumerate(zip(preds, want)):
        msg = compare_row(g, w, "row %d" % i, tol)
        if msg:
            return msg
    return None


def compare_single(resp, want, tol):
    if "probabilities" in want:
        return compare_row(resp, want, "answer", tol)
    if not isinstance(resp, dict) or set(resp) != {"prediction"}:
        return "expected {\"prediction\": ...}, got %s" % _short(resp)
    return compare_row(resp["prediction"], want, "prediction", tol)


def _short(v, n=300):
    s = json.dumps(v) if not isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[:n] + "..."


# --------------------------------------------------------------------------
# requests

def num(v):
    """A JSON value: the float (json.dumps writes it with repr(), which
    reads back to the same double), or None (null) for NaN."""
    v = float(v)
    return None if math.isnan(v) else v


def array_rows(X):
    return [[num(v) for v in r] for r in X]


def object_rows(X, names):
    """Named rows; a NaN becomes an absent feature or, every other time, an
    explicit null (both mean missing)."""
    out = []
    k = 0
    for r in X:
        obj = {}
        for n, v in zip(names, r):
            v = num(v)
            if v is None:
                k += 1
                if k % 2:
                    continue
            obj[n] = v
        out.append(obj)
    return out


def requests_for(X, names, want, tag="", single=True):
    """[(label, body bytes, check function)]"""
    reqs = []
    rows = array_rows(X)
    reqs.append(("batch/arrays%s %d rows" % (tag, len(rows)),
                 json.dumps({"instances": rows}),
                 lambda r, t, w=want: compare_batch(r, w, t)))
    objs = object_rows(X, names)
    reqs.append(("batch/objects%s %d rows" % (tag, len(rows)),
                 json.dumps({"instances": objs}),
                 lambda r, t, w=want: compare_batch(r, w, t)))
    if single:
        for i in range(min(N_SINGLE, len(rows))):
            reqs.append(("single/object%s row %d" % (tag, i),
                         json.dumps(objs[i]),
                         lambda r, t, w=want[i]: compare_single(r, w, t)))
            reqs.append(("single/features%s row %d" % (tag, i),
                         json.dumps({"features": rows[i]}),
                         lambda r, t, w=want[i]: compare_single(r, w, t)))
    return [(lab, body.encode("utf-8"), chk) for lab, body, chk in reqs]


def bad_requests(names, X, missing_ok):
    """[(label, body)] every model must refuse with a 4xx."""
    row = [0.0 if v is None else v for v in array_rows(X[:1])[0]]
    out = [("wrong number of features",
            json.dumps({"features": row[:-1]}).encode())]
    if not missing_ok:
        nul = list(row)
        nul[len(nul) // 2] = None
        out.append(("null feature (no missing-value support)",
                    json.dumps({"features": nul}).encode()))
        obj = dict(zip(names, row))
        del obj[names[-1]]
        out.append(("absent feature (no missing-value support)",
                    json.dumps({"instances": [obj]}).encode()))
    return out


def with_missing(X, seed=1):
    """X with MISSING_FRACTION of its values NaN, plus a row with every
    value missing (seeded)."""
    X = np.array(X, dtype=float)
    rng = np.random.RandomState(seed)
    X[rng.rand(*X.shape) < MISSING_FRACTION] = np.nan
    return np.vstack([X, np.full((1, X.shape[1]), np.nan)])


def edge_rows(m, X, n_max=N_EDGE, seed=2):
    """Rows with one feature moved onto a split threshold of the model, or
    one double / float32 step beside it, or onto a float32 rounding tie next
    to it (mapped back through the file's scaler, if any)."""
    if m is None or m["kind"] != 3:
        return np.zeros((0, X.shape[1]))
    rng = np.random.RandomState(seed)
    split = np.flatnonzero(~m["is_leaf"])
    if split.size == 0:
        return np.zeros((0, X.shape[1]))
    pick = rng.choice(split, size=min(split.size, max(1, n_max // 8)),
                      replace=False)
    base = np.array(X, dtype=float)
    complete = ~np.isnan(base).any(axis=1)
    if complete.any():
        base = base[complete]
    out = []
    inf = float("inf")
    for node in pick:
        f = int(m["feature"][node])
        t = float(m["threshold"][node])
        if not math.isfinite(t):
            continue
        t32 = np.float32(t)
        lo32 = float(np.nextafter(t32, np.float32(-inf)))
        hi32 = float(np.nextafter(t32, np.float32(inf)))
        t32 = float(t32)
        ties = [(lo32 + t32) / 2, (t32 + hi32) / 2]   # float32 rounding ties
        c = {t, math.nextafter(t, -inf), math.nextafter(t, inf),
             t32, lo32, hi32}
        c.update(ties)
        c.update(math.nextafter(v, d) for v in ties for d in (-inf, inf))
        if m["mean"] is not None:
            mu, sc = float(m["mean"][f]), float(m["scale"][f])
            c = {v * sc + mu for v in c}
            c |= {math.nextafter(v, d) for v in list(c) for d in (-inf, inf)}
        for v in sorted(c):
            if math.isfinite(v) and abs(v) < 1e300:
                r = base[rng.randint(len(base))].copy()
                r[f] = v
                out.append(r)
    out = np.asarray(out, dtype=float).reshape(-1, X.shape[1])
    if len(out) > n_max:
        out = out[rng.choice(len(out), size=n_max, replace=False)]
    return out


# --------------------------------------------------------------------------
# CLI

def run_cli(cli, model_path, body):
    p = subprocess.run([cli, "predict", model_path], input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def check_cli(res, cli, case):
    for lab, body, chk in case.reqs:
        what = "%s cli %s" % (case.name, lab)
        try:
            rc, out, err = run_cli(cli, case.path, body)
        except (OSError, subprocess.SubprocessError) as e:
            res.fail(what, "cannot run %s: %s" % (cli, e))
            continue
        if rc != 0:
            res.fail(what, "exit %d, stderr: %s" % (
                rc, err.decode("utf-8", "replace").strip()[:500]))
            continue
        judge(res, what, out, chk, case.exact)
    for lab, body in case.bad:
        what = "%s cli error: %s" % (case.name, lab)
        err = b""
        try:
            rc, out, err = run_cli(cli, case.path, body)
            e = json.loads(err) if err.strip() else None
            if rc != 1:
                res.fail(what, "exit %d (expected 1), stdout %r, stderr %r"
                         % (rc, out[:200], err[:200]))
            elif not (isinstance(e, dict) and "error" in e):
                res.fail(what, "stderr is not {\"error\": ...}: %r"
                         % err[:300])
            else:
                res.ok(what, e["error"] if isinstance(e["error"], str)
                       else "")
        except ValueError:
            res.fail(what, "stderr is not JSON: %r" % err[:300])
        except (OSError, subprocess.SubprocessError) as e:
            res.fail(what, "cannot run %s: %s" % (cli, e))


# --------------------------------------------------------------------------
# nginx

class Nginx:
    def __init__(self, binary, module, port, models, master=False):
        self.binary = binary
        self.port = port
        self.prefix = tempfile.mkdtemp(prefix="mlpredict-parity-nginx-")
        os.makedirs(os.path.join(self.prefix, "conf"))
        os.makedirs(os.path.join(self.prefix, "logs"))
        locs = "".join(
            "        location = /%s {\n"
            "            mlpredict %s;\n"
            "            mlpredict_max_batch 100000;\n"
            "        }\n" % (name, os.path.abspath(path))
            for name, path in models)
        temps = "".join("    %s_temp_path temp/%s;\n" % (t, t) for t in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = (
            "daemon off;\n"
            "master_process %s;\n"
            "worker_processes 1;\n"
            "%s"
            "error_log logs/error.log info;\n"
            "pid logs/nginx.pid;\n"
            "load_module %s;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            "    access_log off;\n"
            "    client_max_body_size 64m;\n"
            "%s"
            "    server {\n"
            "        listen 127.0.0.1:%d;\n"
            "%s"
            "    }\n"
            "}\n" % ("on" if master else "off",
                     "user root;\n" if master and os.geteuid() == 0 else "",
                     os.path.abspath(module), temps, port, locs))
        self.conf = os.path.join(self.prefix, "conf", "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        os.makedirs(os.path.join(self.prefix, "temp"))
        self.proc = None

    def error_log(self, tail=40):
        out = []
        for fn in ("stderr.log", "error.log"):
            p = os.path.join(self.prefix, "logs", fn)
            try:
                with open(p, errors="replace") as f:
                    lines = f.read().splitlines()
                if lines:
                    out.append("--- %s:\n%s" % (fn, "\n".join(lines[-tail:])))
            except OSError:
                pass
        return "\n".join(out)

    def start(self):
        """None on success, else a message."""
        if port_open(self.port):
            return "port %d is already in use" % self.port
        errf = open(os.path.join(self.prefix, "logs", "stderr.log"), "wb")
        try:
            self.proc = subprocess.Popen(
                [self.binary, "-p", self.prefix + "/", "-c", "conf/nginx.conf",
                 "-e", "logs/error.log"],
                stdin=subprocess.DEVNULL, stdout=errf, stderr=errf)
        except OSError as e:
            return "cannot run %s: %s" % (self.binary, e)
        finally:
            errf.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return "nginx exited with status %d\n%s" % (
                    self.proc.returncode, self.error_log())
            if port_open(self.port):
                return None
            time.sleep(0.05)
        return "nginx did not listen on port %d in 15 s\n%s" % (
            self.port, self.error_log())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def post(self, name, body):
        """(status, body bytes)"""
        req = urllib.request.Request(
            "http://127.0.0.1:%d/%s" % (self.port, name), data=body,
            method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def port_open(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def check_http(res, ngx, case):
    for lab, body, chk in case.reqs:
        what = "%s http %s" % (case.name, lab)
        try:
            status, out = ngx.post(case.name, body)
        except (OSError, urllib.error.URLError) as e:
            res.fail(what, "request failed: %s" % e)
            continue
        if status != 200:
            res.fail(what, "HTTP %d: %s" % (
                status, out[:300].decode("utf-8", "replace")))
            continue
        judge(res, what, out, chk, case.exact)
    for lab, body in case.bad:
        what = "%s http error: %s" % (case.name, lab)
        try:
            status, out = ngx.post(case.name, body)
            if not 400 <= status < 500:
                res.fail(what, "HTTP %d (expected 4xx): %r"
                         % (status, out[:300]))
            else:
                res.ok(what, "HTTP %d" % status)
        except (OSError, urllib.error.URLError) as e:
            res.fail(what, "request failed: %s" % e)


# --------------------------------------------------------------------------
# models built here only (not shipped): larger, deeper, other losses

STRESS = [
    "stress_rf500",          # RandomForestClassifier, 500 trees, depth 20
    "stress_deep_tree",      # DecisionTreeRegressor, fully grown
    "stress_deep_extra",     # ExtraTreesRegressor, fully grown
    "stress_weighted_forest",  # RandomForestClassifier, class_weight (not
                               # integer counts), fully grown, 3 classes
    "stress_scaled_tree",    # StandardScaler + DecisionTreeClassifier, deep
    "stress_gb_exponential",  # GradientBoostingClassifier(loss=exponential)
    "stress_gb_digits",      # GradientBoostingClassifier, 10 classes: numpy
                             # sums 8 or more terms pairwise
    "stress_gb_huber",       # GradientBoostingRegressor(huber, subsample)
    "stress_gb_zero",        # GradientBoostingRegressor(init="zero"), scaled
    "stress_hgb_quantile",   # HistGradientBoostingRegressor(quantile)
    "stress_hgb_absolute",   # HistGradientBoostingRegressor(absolute_error)
]


def build_stress(name):
    """(model, X, feature_names): X is every row of the data set."""
    from sklearn import datasets
    from sklearn.ensemble import (ExtraTreesRegressor,
                                  GradientBoostingClassifier,
                                  GradientBoostingRegressor,
                                  HistGradientBoostingRegressor,
                                  RandomForestClassifier)
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    if name in ("stress_rf500", "stress_gb_exponential", "stress_scaled_tree"):
        ds = datasets.load_breast_cancer()
    elif name == "stress_weighted_forest":
        ds = datasets.load_wine()
    elif name == "stress_gb_digits":
        ds = datasets.load_digits()
    else:
        ds = datasets.load_diabetes()
    names = [make_examples.clean_name(f) for f in ds.feature_names]
    X, y = np.asarray(ds.data, dtype=float), ds.target
    if name == "stress_rf500":
        model = RandomForestClassifier(n_estimators=500, max_depth=20,
                                       random_state=0, n_jobs=2)
    elif name == "stress_deep_tree":
        model = DecisionTreeRegressor(random_state=0)
    elif name == "stress_deep_extra":
        model = ExtraTreesRegressor(n_estimators=30, random_state=0,
                                    n_jobs=2)
    elif name == "stress_weighted_forest":
        y = ds.target_names[y]
        model = RandomForestClassifier(n_estimators=60,
                                       class_weight="balanced_subsample",
                                       random_state=0, n_jobs=2)
    elif name == "stress_scaled_tree":
        model = make_pipeline(StandardScaler(),
                              DecisionTreeClassifier(random_state=0))
    elif name == "stress_gb_exponential":
        model = GradientBoostingClassifier(loss="exponential",
                                           n_estimators=80, random_state=0)
    elif name == "stress_gb_digits":
        model = GradientBoostingClassifier(n_estimators=30, max_depth=3,
                                           random_state=0)
    elif name == "stress_gb_huber":
        model = GradientBoostingRegressor(loss="huber", subsample=0.8,
                                          max_depth=5, n_estimators=80,
                                          random_state=0)
    elif name == "stress_gb_zero":
        model = make_pipeline(StandardScaler(),
                              GradientBoostingRegressor(init="zero",
                                                        n_estimators=60,
                                                        random_state=0))
    elif name == "stress_hgb_quantile":
        model = HistGradientBoostingRegressor(loss="quantile", quantile=0.8,
                                              max_iter=60, random_state=0)
    elif name == "stress_hgb_absolute":
        model = HistGradientBoostingRegressor(loss="absolute_error",
                                              max_iter=60, random_state=0)
    else:
        raise KeyError(name)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.25,
                                              random_state=0)
    model.fit(X_train, y_train)
    est = final_estimator(model)
    if hasattr(est, "n_jobs"):
        # predict in one thread: with several, the forest adds its trees in
        # whatever order the threads finish, so its own sums vary
        est.set_params(n_jobs=None)
    return model, X, names


def check_refusals(res, tmp):
    """Models the exporter must refuse with a ValueError naming why."""
    from sklearn import datasets
    from sklearn.dummy import DummyClassifier
    from sklearn.ensemble import (GradientBoostingClassifier,
                                  GradientBoostingRegressor,
                                  RandomForestClassifier)
    from sklearn.linear_model import LinearRegression
    from sklearn.tree import DecisionTreeClassifier

    Xi, yi = datasets.load_iris(return_X_y=True)
    Xd, yd = datasets.load_diabetes(return_X_y=True)
    cases = [
        ("GradientBoosting init=LinearRegression", "init",
         lambda: GradientBoostingRegressor(
             n_estimators=5, init=LinearRegression()).fit(Xd, yd)),
        ("GradientBoosting init=DummyClassifier(stratified)", "init",
         lambda: GradientBoostingClassifier(
             n_estimators=5, init=DummyClassifier(strategy="stratified",
                                                  random_state=0)
         ).fit(Xi, yi)),
        ("multi-output DecisionTreeClassifier", "multi-output",
         lambda: DecisionTreeClassifier(max_depth=3).fit(
             Xi, np.stack([yi, yi[::-1]], axis=1))),
        ("unfitted RandomForestClassifier", "not fitted",
         lambda: RandomForestClassifier()),
    ]
    for label, word, make in cases:
        what = "export refuses %s" % label
        try:
            model = make()
        except Exception as e:
            res.fail(what, "cannot build it: %s: %s" % (type(e).__name__, e))
            continue
        try:
            export(model, os.path.join(tmp, "refused.mlp"))
        except ValueError as e:
            if word in str(e):
                res.ok(what, str(e)[:160])
            else:
                res.fail(what, "ValueError without %r: %s" % (word, e))
            continue
        except Exception as e:
            res.fail(what, "%s instead of ValueError: %s" % (
                type(e).__name__, e))
            continue
        res.fail(what, "exported")
    if os.path.exists(os.path.join(tmp, "refused.mlp")):
        res.fail("export refusals", "a refused model left a file behind")


# --------------------------------------------------------------------------

class Case:
    """One exported model and what is asked of it."""

    def __init__(self, name, path, model, X, features, m, stress):
        self.name = name
        self.path = path
        self.model = model
        self.X = X
        self.features = features
        self.m = m                      # the file parsed back, or None
        self.exact = is_exact(model)
        self.missing = supports_missing(model)
        self.want = expected_rows(model, X)
        self.reqs = requests_for(X, features, self.want, single=not stress)
        self.extra = []                 # (tag, X, want) for the file check
        Xe = edge_rows(m, X, n_max=4 * N_EDGE if stress else N_EDGE)
        if len(Xe):
            we = expected_rows(model, Xe)
            self.reqs += requests_for(Xe, features, we, tag=" edge",
                                      single=False)
            self.extra.append(("edge", Xe, we))
        if self.missing:
            Xm = with_missing(X)
            wm = expected_rows(model, Xm)
            self.reqs += requests_for(Xm, features, wm, tag=" missing",
                                      single=not stress)
            self.extra.append(("missing", Xm, wm))
        self.bad = bad_requests(features, X, self.missing)


def check_file(res, case):
    what = "%s file" % case.name
    m = case.m
    if m is None:
        res.fail(what, case.read_error)
        return
    if m["feature_names"] != list(case.features):
        res.fail(what, "feature names %s, expected %s" % (
            m["feature_names"], list(case.features)))
        return
    tol = Tol(case.exact)
    sets = [("", case.X, case.want)] + case.extra
    n_rows = 0
    for tag, X, want in sets:
        if m["kind"] == 3:
            got_rows = ref_trees(m, X)
        else:
            got_rows = [ref_predict(m, row) for row in X]
        for i, got in enumerate(got_rows):
            if "probabilities" not in want[i]:
                got = got["prediction"]    # batch form of a regressor's row
            msg = compare_row(got, want[i], "reference%s row %d" % (
                " " + tag if tag else "", i), tol)
            if msg:
                res.fail(what, msg)
                return
        n_rows += len(X)
    msg = tol.verdict()
    if msg:
        res.fail(what, msg)
        return
    extra = ""
    if m["kind"] == 3:
        extra = ", %d trees, %d nodes, depth %d, flags %#x" % (
            m["n_trees"], m["n_nodes"], m["max_depth"], m["flags"])
    res.ok(what, "%d bytes, kind %d, link %d%s, %d rows agree, %s"
           % (m["size"], m["kind"], m["link"], extra, n_rows, tol.detail()))


def check_gb_proba(res, case):
    """gb_proba with numpy's exp and log must be predict_proba bit for bit,
    so that the answers' twin (gb_proba with the C library's) differs from
    scikit-learn only in rows where an exp or a log differs."""
    what = "%s gb_proba" % case.name
    X = np.vstack([case.X] + [Xe for _, Xe, _ in case.extra])
    raw = case.model.decision_function(X)
    want = case.model.predict_proba(X)
    n_off = int(np.count_nonzero(gb_proba(raw, np.exp, np.log) != want))
    if n_off:
        res.fail(what, "with numpy's exp and log, %d of %d numbers are not "
                 "predict_proba's" % (n_off, want.size))
        return
    twin = gb_proba(raw, libm_exp, libm_log)

    # the rows where numpy's exp and log agree with the C library's on
    # every value gb_proba computes
    a_max = np.amax(raw, axis=1, keepdims=True)
    a_max[~np.isfinite(a_max)] = 0
    e = libm_exp(raw - a_max)
    same = np.all(np.exp(raw - a_max) == e, axis=1)
    s = np.sum(e, axis=1)
    same &= np.log(s) == libm_log(s)
    u = raw - (libm_log(s) + a_max[:, 0])[:, np.newaxis]
    same &= np.all(np.exp(u) == libm_exp(u), axis=1)
    if not np.array_equal(twin[same], want[same]):
        res.fail(what, "differs from predict_proba where no exp or log does")
        return
    d = np.abs(twin - want)
    big = np.maximum(np.abs(twin), np.abs(want))
    rel = float(np.max(np.where(d > 0, d / np.where(big > 0, big, 1), 0)))
    res.ok(what, "predict_proba's arithmetic; %d of %d rows without an "
           "exp or log difference equal, max rel diff elsewhere %.3g"
           % (int(same.sum()), len(X), rel))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", help="the mlpredict tool (skip CLI checks if "
                                  "not given)")
    ap.add_argument("--nginx", help="the nginx binary (skip HTTP checks if "
                                    "not given)")
    ap.add_argument("--module", help="ngx_http_mlpredict_module.so")
    ap.add_argument("--port", type=int, default=1990)
    ap.add_argument("--master", action="store_true",
                    help="run nginx with master_process on")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directories")
    ap.add_argument("--no-stress", action="store_true",
                    help="only the shipped examples")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("examples", nargs="*",
                    help="examples to test (default: all, and stress_*)")
    args = ap.parse_args()
    if args.nginx and not args.module:
        ap.error("--nginx needs --module")

    res = Results(args.verbose)
    names = args.examples or (list(make_examples.EXAMPLES)
                              + ([] if args.no_stress else STRESS))
    tmp = tempfile.mkdtemp(prefix="mlpredict-parity-")
    ngx = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        cases = []
        for name in names:
            stress = name in STRESS
            try:
                if stress:
                    model, X, features = build_stress(name)
                else:
                    model, X, features = make_examples.build(name)
                path = os.path.join(tmp, name + ".mlp")
                export(model, path, features)
            except Exception as e:
                res.fail("%s export" % name, "%s: %s" % (type(e).__name__, e))
                continue
            X = np.asarray(X, dtype=float)
            read_error = None
            try:
                m = read_mlp(path)
            except (ValueError, OSError) as e:
                m, read_error = None, e
            case = Case(name, path, model, X, features, m, stress)
            case.read_error = read_error
            cases.append(case)
            check_file(res, case)
            if gb_multiclass(model):
                check_gb_proba(res, case)
        if not args.examples:
            check_refusals(res, tmp)

        if args.cli:
            cli = os.path.abspath(args.cli)
            for case in cases:
                check_cli(res, cli, case)

        if args.nginx:
            ngx = Nginx(args.nginx, args.module, args.port,
                        [(c.name, c.path) for c in cases],
                        master=args.master)
            err = ngx.start()
            if err:
                res.fail("nginx start", err)
            else:
                res.ok("nginx start", "port %d" % args.port)
                for case in cases:
                    check_http(res, ngx, case)
                if res.failed:
                    log = ngx.error_log()
                    if log:
                        print(log)
    except KeyboardInterrupt:
        res.fail("parity", "interrupted")
    finally:
        if ngx is not None:
            ngx.stop()
            if args.keep:
                print("# nginx prefix kept in %s" % ngx.prefix)
            else:
                shutil.rmtree(ngx.prefix, ignore_errors=True)
        if args.keep:
            print("# models kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed or not res.passed else 0


if __name__ == "__main__":
    sys.exit(main())
