#!/usr/bin/python3
"""Parity of mlpredict against XGBoost 1.7 itself.

    /usr/bin/python3 t/parity_xgboost.py --cli build/mlpredict \
        [--nginx /usr/sbin/nginx --module build/ngx_http_mlpredict_module.so] \
        [--port 1991] [--train-only]

Each model below is trained with xgboost (xgb.train, or XGBClassifier /
XGBRegressor) on breast_cancer, iris or diabetes (some with NaN in the
data: missing values follow each node's default direction), saved with
`Booster.save_model("m.json")`, and converted with
`mlpredict convert m.json m.mlp`.  A second copy of the JSON with
learner_model_param.base_score rewritten in XGBoost 2.x's form ("[5E-1]")
must convert to the same file.  Then, on the held-out rows and on "edge"
rows that put a feature on a split condition, one float32 step beside it or
on a float32 rounding tie next to it:

  file  the converted file parsed back per models/FORMAT.md and evaluated by
        t/parity.py's reference (float32 arithmetic);
  cli   `mlpredict predict m.mlp`, batches with JSON null (arrays) and
        absent features (named rows) for NaN, and single rows;
  http  the same through nginx, for the models marked so.

Expected answers: `bst.predict(DMatrix(X))` (float32), and for classifiers
what XGBClassifier does with it: binary:logistic is a classifier with labels
0 and 1, p0 = 1 - p1 in float32, label 1 when p1 > 0.5; multi:softprob
labels 0..k-1, label = argmax p; multi:softmax label = bst.predict's output,
probabilities the softmax of the margins (output_margin=True).
reg:squarederror, reg:logistic, binary:logitraw and count:poisson answer a
number.  Labels must be equal, numbers within 1e-6 relative (1e-6 absolute
for p0 = 1 - p1, which inherits p1's absolute error).

Until `mlpredict` knows `convert` (its usage lists it), every model is
still trained and checked against XGBoost's own predictions, and the
conversion is reported as one failure.  --train-only runs only that part.

One line per check, then "N passed, N failed"; exit status 1 on failure.
"""

import argparse
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import parity  # noqa: E402  (Results, Nginx, read_mlp, ref_trees, ...)

RTOL = 1e-6
N_SINGLE = 2
N_EDGE = 160
TIMEOUT = 60
NAN_FRACTION = 0.05

# name, data set, xgb.train params (or "sklearn:Class" with its params),
# boosting rounds, NaN fraction, served over HTTP too
MODELS = [
    ("bc_logistic", "breast_cancer",
     {"objective": "binary:logistic", "max_depth": 6, "eta": 0.3}, 100,
     NAN_FRACTION, True),
    ("bc_logistic_500", "breast_cancer",
     {"objective": "binary:logistic", "max_depth": 10, "eta": 0.05,
      "subsample": 0.8, "colsample_bytree": 0.8, "tree_method": "exact"},
     500, NAN_FRACTION, False),
    ("bc_logitraw", "breast_cancer",
     {"objective": "binary:logitraw", "max_depth": 4, "tree_method": "hist"},
     50, 0.0, False),
    ("bc_base_score", "breast_cancer",
     {"objective": "binary:logistic", "max_depth": 3, "base_score": 0.3},
     40, 0.0, False),
    ("bc_dart", "breast_cancer",
     {"objective": "binary:logistic", "booster": "dart", "max_depth": 5,
      "rate_drop": 0.2, "skip_drop": 0.3}, 60, NAN_FRACTION, True),
    ("iris_softprob", "iris",
     {"objective": "multi:softprob", "num_class": 3, "max_depth": 4}, 50,
     NAN_FRACTION, True),
    ("iris_softmax", "iris",
     {"objective": "multi:softmax", "num_class": 3, "max_depth": 3,
      "tree_method": "approx"}, 30, 0.0, False),
    ("iris_dart", "iris",
     {"objective": "multi:softprob", "num_class": 3, "booster": "dart",
      "rate_drop": 0.25, "max_depth": 3}, 40, 0.0, False),
    ("diabetes_squarederror", "diabetes",
     {"objective": "reg:squarederror", "max_depth": 6}, 100, NAN_FRACTION,
     True),
    ("diabetes_deep", "diabetes",
     {"objective": "reg:squarederror", "max_depth": 10, "eta": 0.1,
      "min_child_weight": 0, "tree_method": "exact"}, 150, 0.0, False),
    ("diabetes_logistic", "diabetes01",
     {"objective": "reg:logistic", "max_depth": 5}, 80, NAN_FRACTION,
     False),
    ("diabetes_poisson", "diabetes",
     {"objective": "count:poisson", "max_depth": 5}, 80, NAN_FRACTION,
     True),
    ("diabetes_dart", "diabetes",
     {"objective": "reg:squarederror", "booster": "dart", "rate_drop": 0.1,
      "max_depth": 4, "sample_type": "weighted",
      "normalize_type": "forest"}, 60, 0.0, False),
    ("bc_xgbclassifier", "breast_cancer",
     "sklearn:XGBClassifier", {"n_estimators": 60, "max_depth": 4}, 0.0,
     False),
    ("iris_xgbclassifier", "iris",
     "sklearn:XGBClassifier", {"n_estimators": 30, "max_depth": 3},
     NAN_FRACTION, False),
    ("diabetes_xgbregressor", "diabetes",
     "sklearn:XGBRegressor", {"n_estimators": 60, "max_depth": 5}, 0.0,
     False),
]

CLASSIFIER_OBJECTIVES = ("binary:logistic", "multi:softprob",
                         "multi:softmax")


# --------------------------------------------------------------------------
# data and training

def clean_name(name):
    import re
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_")


def dataset(name, nan_fraction):
    """(X_train, X_test, y_train, feature names)"""
    from sklearn import datasets
    from sklearn.model_selection import train_test_split
    loader = {"breast_cancer": datasets.load_breast_cancer,
              "iris": datasets.load_iris,
              "diabetes": datasets.load_diabetes,
              "diabetes01": datasets.load_diabetes}[name]
    ds = loader()
    X = np.array(ds.data, dtype=float)
    y = np.array(ds.target, dtype=float)
    if name == "diabetes01":                 # reg:logistic wants [0, 1]
        y = (y - y.min()) / (y.max() - y.min())
    if nan_fraction:
        rng = np.random.RandomState(0)
        X[rng.rand(*X.shape) < nan_fraction] = np.nan
    X_train, X_test, y_train, _ = train_test_split(X, y, test_size=0.25,
                                                   random_state=0)
    return X_train, X_test, y_train, [clean_name(f) for f in ds.feature_names]


def train(spec, workdir):
    """Train one model; returns a dict with the booster, the test rows, the
    JSON paths and how to compute the expected answers."""
    import xgboost as xgb
    name, data, params, rounds, nan_fraction, http = spec
    X_train, X_test, y_train, names = dataset(data, nan_fraction)
    if isinstance(params, str) and params.startswith("sklearn:"):
        cls = getattr(xgb, params.split(":", 1)[1])
        kw = dict(rounds)
        kw.update(random_state=0, n_jobs=1)
        est = cls(**kw)
        if cls.__name__ == "XGBClassifier":
            y_train = y_train.astype(int)
        est.fit(X_train, y_train)
        bst = est.get_booster()
        bst.feature_names = names
        sk = est
    else:
        p = dict(params)
        p.update(seed=0, nthread=1)
        dtrain = xgb.DMatrix(X_train, label=y_train, feature_names=names)
        bst = xgb.train(p, dtrain, num_boost_round=rounds)
        sk = None
    objective = json.loads(bst.save_config())["learner"]["objective"]["name"]
    path = os.path.join(workdir, name + ".json")
    bst.save_model(path)
    with open(path) as f:
        j = json.load(f)
    base = j["learner"]["learner_model_param"]["base_score"]
    j["learner"]["learner_model_param"]["base_score"] = "[%s]" % base
    path2 = os.path.join(workdir, name + ".v2.json")
    with open(path2, "w") as f:
        json.dump(j, f)
    return {"name": name, "bst": bst, "sk": sk, "objective": objective,
            "X": X_test, "names": names, "json": path, "json2": path2,
            "http": http, "base_score": base, "model_json": j,
            "n_trees": len(j["learner"]["gradient_booster"].get(
                "gbtree", j["learner"]["gradient_booster"])["model"]
                ["trees"])}


def expected(t, X):
    """Row answers XGBoost gives for the rows of X (NaN = missing)."""
    import xgboost as xgb
    bst, obj = t["bst"], t["objective"]
    dm = xgb.DMatrix(X, feature_names=t["names"])
    pred = bst.predict(dm)
    out = []
    if obj == "binary:logistic":
        if t["sk"] is not None:
            proba = t["sk"].predict_proba(X)
            labels = t["sk"].predict(X)
            assert np.array_equal(proba[:, 1], pred)
        else:
            p1 = pred.astype(np.float32)
            proba = np.stack([np.float32(1) - p1, p1], axis=1)
            labels = (p1 > 0.5).astype(int)
        for i in range(len(X)):
            out.append({"prediction": int(labels[i]),
                        "probabilities": {"0": float(proba[i, 0]),
                                          "1": float(proba[i, 1])}})
    elif obj == "multi:softprob":
        labels = np.argmax(pred, axis=1)
        if t["sk"] is not None:
            assert np.array_equal(t["sk"].predict(X), labels)
        for i in range(len(X)):
            out.append({"prediction": int(labels[i]), "probabilities": {
                str(k): float(v) for k, v in enumerate(pred[i])}})
    elif obj == "multi:softmax":
        margin = bst.predict(dm, output_margin=True).astype(np.float64)
        e = np.exp(margin - margin.max(axis=1, keepdims=True))
        proba = e / e.sum(axis=1, keepdims=True)
        for i in range(len(X)):
            out.append({"prediction": int(pred[i]), "probabilities": {
                str(k): float(v) for k, v in enumerate(proba[i])}})
    else:
        if t["sk"] is not None:
            assert np.array_equal(t["sk"].predict(X), pred)
        for i in range(len(X)):
            out.append({"prediction": float(pred[i])})
    return out


def edge_rows(t, X, n_max=N_EDGE, seed=2):
    """Rows with one feature on a split condition of the model, a float32
    step beside it, or on a float32 rounding tie next to it."""
    g = t["model_json"]["learner"]["gradient_booster"]
    trees = g.get("gbtree", g)["model"]["trees"]
    pairs = []
    for tr in trees:
        for i, left in enumerate(tr["left_children"]):
            if left != -1:
                pairs.append((tr["split_indices"][i],
                              tr["split_conditions"][i]))
    if not pairs:
        return np.zeros((0, X.shape[1]))
    rng = np.random.RandomState(seed)
    pick = rng.choice(len(pairs), size=min(len(pairs), n_max // 6),
                      replace=False)
    base = X[~np.isnan(X).any(axis=1)]
    if len(base) == 0:
        base = np.nan_to_num(X)
    out = []
    inf = np.float32(np.inf)
    for k in pick:
        f, c = pairs[k]
        c32 = np.float32(c)
        lo, hi = np.nextafter(c32, -inf), np.nextafter(c32, inf)
        vals = [float(c32), float(lo), float(hi),
                (float(lo) + float(c32)) / 2, (float(c32) + float(hi)) / 2]
        vals.append(math.nextafter(vals[3], math.inf))
        vals.append(math.nextafter(vals[4], -math.inf))
        for v in vals:
            if math.isfinite(v):
                r = base[rng.randint(len(base))].copy()
                r[f] = v
                out.append(r)
    out = np.asarray(out, dtype=float).reshape(-1, X.shape[1])
    if len(out) > n_max:
        out = out[rng.choice(len(out), size=n_max, replace=False)]
    return out


# --------------------------------------------------------------------------
# comparison

class Tol:
    def __init__(self):
        self.n = 0
        self.max_rel = 0.0
        self.bad = None
        self.n_bad = 0

    def number(self, got, want, where, absolute=False):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return "%s: %s is not a number (XGBoost says %r)" % (
                where, parity._short(got), want)
        a, b = float(got), float(want)
        if not math.isfinite(a):
            return "%s: %r is not finite" % (where, got)
        self.n += 1
        d = abs(a - b)
        rel = d / max(abs(a), abs(b)) if d else 0.0
        self.max_rel = max(self.max_rel, rel)
        ok = d <= RTOL * (1.0 if absolute else max(abs(a), abs(b)))
        if not ok:
            self.n_bad += 1
            if self.bad is None:
                self.bad = "%s is %r, XGBoost says %r" % (where, got, want)
        return None

    def verdict(self):
        if not self.n_bad:
            return None
        return "%s (%d of %d numbers off by more than %g; max rel diff " \
               "%.3g)" % (self.bad, self.n_bad, self.n, RTOL, self.max_rel)


def compare_row(got, want, where, tol, binary):
    if "probabilities" in want:
        if not isinstance(got, dict) or set(got) != {"prediction",
                                                     "probabilities"}:
            return "%s: expected {prediction, probabilities}, got %s" % (
                where, parity._short(got))
        if not parity.same_label(got["prediction"], want["prediction"]):
            return "%s: label %s, XGBoost says %s" % (
                where, json.dumps(got["prediction"]),
                json.dumps(want["prediction"]))
        gp, wp = got["probabilities"], want["probabilities"]
        if not isinstance(gp, dict) or set(gp) != set(wp):
            return "%s: probabilities keys %s, expected %s" % (
                where, sorted(gp) if isinstance(gp, dict)
                else parity._short(gp), sorted(wp))
        for k in wp:
            msg = tol.number(gp[k], wp[k], "%s: probability of %s" % (
                where, k), absolute=binary and k == "0")
            if msg:
                return msg
        return None
    return tol.number(got, want["prediction"], where)


def compare_batch(resp, want, tol, binary):
    if not isinstance(resp, dict) or set(resp) != {"predictions"}:
        return "expected {\"predictions\": [...]}, got %s" % parity._short(
            resp)
    preds = resp["predictions"]
    if not isinstance(preds, list) or len(preds) != len(want):
        return "expected %d predictions, got %s" % (
            len(want), len(preds) if isinstance(preds, list)
            else parity._short(preds))
    for i, (g, w) in enumerate(zip(preds, want)):
        msg = compare_row(g, w, "row %d" % i, tol, binary)
        if msg:
            return msg
    return None


def compare_single(resp, want, tol, binary):
    if "probabilities" in want:
        return compare_row(resp, want, "answer", tol, binary)
    if not isinstance(resp, dict) or set(resp) != {"prediction"}:
        return "expected {\"prediction\": ...}, got %s" % parity._short(resp)
    return compare_row(resp["prediction"], want, "prediction", tol, binary)


def judge(res, what, out, chk):
    try:
        resp = json.loads(out)
    except ValueError as e:
        res.fail(what, "answer is not JSON (%s): %r" % (e, out[:300]))
        return
    tol = Tol()
    msg = chk(resp, tol) or tol.verdict()
    if msg:
        res.fail(what, msg)
    else:
        res.ok(what, "%d numbers, max rel diff %.3g" % (tol.n, tol.max_rel))


def requests_for(X, names, want, binary, tag="", single=True):
    reqs = []
    rows = parity.array_rows(X)
    objs = parity.object_rows(X, names)
    reqs.append(("batch/arrays%s %d rows" % (tag, len(rows)),
                 json.dumps({"instances": rows}),
                 lambda r, t, w=want: compare_batch(r, w, t, binary)))
    reqs.append(("batch/objects%s %d rows" % (tag, len(rows)),
                 json.dumps({"instances": objs}),
                 lambda r, t, w=want: compare_batch(r, w, t, binary)))
    if single:
        for i in range(min(N_SINGLE, len(rows))):
            reqs.append(("single/object%s row %d" % (tag, i),
                         json.dumps(objs[i]),
                         lambda r, t, w=want[i]: compare_single(r, w, t,
                                                                binary)))
            reqs.append(("single/features%s row %d" % (tag, i),
                         json.dumps({"features": rows[i]}),
                         lambda r, t, w=want[i]: compare_single(r, w, t,
                                                                binary)))
    return [(lab, body.encode(), chk) for lab, body, chk in reqs]


# --------------------------------------------------------------------------

def cli_has_convert(cli):
    try:
        p = subprocess.run([cli], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT)
    except (OSError, subprocess.SubprocessError):
        return False
    return b"convert" in p.stdout


def convert(cli, src, dst):
    """None on success, else a message."""
    try:
        p = subprocess.run([cli, "convert", src, dst], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=TIMEOUT)
    except (OSError, subprocess.SubprocessError) as e:
        return "cannot run %s: %s" % (cli, e)
    if p.returncode != 0:
        return "exit %d: %s" % (p.returncode, (p.stderr or p.stdout).decode(
            "utf-8", "replace").strip()[:500])
    if not os.path.exists(dst):
        return "exit 0 but %s was not written" % dst
    return None


def check_training(res, t):
    """XGBoost's own consistency: the saved JSON reloads to the same
    predictions, NaN rows are in the test set when asked for."""
    import xgboost as xgb
    what = "%s train" % t["name"]
    try:
        b2 = xgb.Booster()
        b2.load_model(t["json"])
        dm = xgb.DMatrix(t["X"], feature_names=t["names"])
        p1, p2 = t["bst"].predict(dm), b2.predict(dm)
        if not np.array_equal(p1, p2):
            res.fail(what, "the saved JSON predicts differently")
            return False
        b3 = xgb.Booster()
        b3.load_model(t["json2"])     # 1.7 may or may not read "[...]"
    except xgb.core.XGBoostError:
        pass
    except Exception as e:
        res.fail(what, "%s: %s" % (type(e).__name__, e))
        return False
    res.ok(what, "%s, %d trees, base_score %s, %d test rows%s" % (
        t["objective"], t["n_trees"], t["base_score"], len(t["X"]),
        ", %d NaN" % int(np.isnan(t["X"]).sum()) if np.isnan(t["X"]).any()
        else ""))
    return True


def check_file(res, t, sets):
    what = "%s file" % t["name"]
    try:
        m = parity.read_mlp(t["mlp"])
    except (ValueError, OSError) as e:
        res.fail(what, e)
        return None
    if m["kind"] != 3:
        res.fail(what, "kind %d, expected 3" % m["kind"])
        return None
    classifier = t["objective"] in CLASSIFIER_OBJECTIVES
    if classifier != (m["class_labels"] is not None):
        res.fail(what, "class labels %s for %s" % (m["class_labels"],
                                                   t["objective"]))
        return None
    binary = t["objective"] == "binary:logistic"
    tol = Tol()
    for tag, X, want in sets:
        for i, got in enumerate(parity.ref_trees(m, X)):
            if "probabilities" not in want[i]:
                got = got["prediction"]
            msg = compare_row(got, want[i], "reference%s row %d" % (tag, i),
                              tol, binary)
            if msg:
                res.fail(what, msg)
                return m
    msg = tol.verdict()
    if msg:
        res.fail(what, msg)
    else:
        res.ok(what, "%d bytes, link %d, flags %#x, %d trees, %d nodes, "
               "depth %d, %d numbers, max rel diff %.3g" % (
                   m["size"], m["link"], m["flags"], m["n_trees"],
                   m["n_nodes"], m["max_depth"], tol.n, tol.max_rel))
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", default=os.path.join(os.path.dirname(HERE),
                                                  "build", "mlpredict"))
    ap.add_argument("--nginx")
    ap.add_argument("--module")
    ap.add_argument("--port", type=int, default=1991)
    ap.add_argument("--train-only", action="store_true")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("models", nargs="*", help="model names (default: all)")
    args = ap.parse_args()
    if args.nginx and not args.module:
        ap.error("--nginx needs --module")

    res = parity.Results()
    tmp = tempfile.mkdtemp(prefix="mlpredict-xgb-")
    ngx = None
    specs = [s for s in MODELS if not args.models or s[0] in args.models]
    cli = os.path.abspath(args.cli)
    started = time.time()

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        trained = []
        for spec in specs:
            try:
                t = train(spec, tmp)
                t["want"] = expected(t, t["X"])
                Xe = edge_rows(t, t["X"])
                t["sets"] = [("", t["X"], t["want"])]
                if len(Xe):
                    t["sets"].append((" edge", Xe, expected(t, Xe)))
            except Exception as e:
                res.fail("%s train" % spec[0], "%s: %s" % (
                    type(e).__name__, e))
                continue
            if check_training(res, t):
                trained.append(t)

        converted = []
        if args.train_only:
            pass
        elif not cli_has_convert(cli):
            res.fail("convert", "%s does not support `convert` (its usage "
                     "does not list it); %d models trained, comparisons not "
                     "run" % (cli, len(trained)))
        else:
            for t in trained:
                t["mlp"] = os.path.join(tmp, t["name"] + ".mlp")
                mlp2 = os.path.join(tmp, t["name"] + ".v2.mlp")
                what = "%s convert" % t["name"]
                err = convert(cli, t["json"], t["mlp"])
                if err:
                    res.fail(what, err)
                    continue
                res.ok(what, "%d bytes" % os.path.getsize(t["mlp"]))
                what = "%s convert base_score \"[%s]\"" % (t["name"],
                                                           t["base_score"])
                err = convert(cli, t["json2"], mlp2)
                if err:
                    res.fail(what, err)
                else:
                    with open(t["mlp"], "rb") as f1, open(mlp2, "rb") as f2:
                        b1, b2 = f1.read(), f2.read()
                    if b1 == b2:
                        res.ok(what, "byte-identical")
                    else:
                        diff = next((i for i in range(min(len(b1), len(b2)))
                                     if b1[i] != b2[i]), min(len(b1),
                                                             len(b2)))
                        res.fail(what, "files differ (sizes %d, %d; first "
                                 "difference at byte %d)" % (
                                     len(b1), len(b2), diff))
                m = check_file(res, t, t["sets"])
                names = (m["feature_names"] if m is not None
                         else t["names"])
                binary = t["objective"] == "binary:logistic"
                t["reqs"] = []
                for tag, X, want in t["sets"]:
                    t["reqs"] += requests_for(X, names, want, binary,
                                              tag=tag, single=not tag)
                converted.append(t)

            for t in converted:
                for lab, body, chk in t["reqs"]:
                    what = "%s cli %s" % (t["name"], lab)
                    try:
                        rc, out, err = parity.run_cli(cli, t["mlp"], body)
                    except (OSError, subprocess.SubprocessError) as e:
                        res.fail(what, "cannot run %s: %s" % (cli, e))
                        continue
                    if rc != 0:
                        res.fail(what, "exit %d, stderr: %s" % (
                            rc, err.decode("utf-8", "replace")[:500]))
                        continue
                    judge(res, what, out, chk)

            served = [t for t in converted if t["http"]]
            if args.nginx and served:
                ngx = parity.Nginx(args.nginx, args.module, args.port,
                                   [(t["name"], t["mlp"]) for t in served])
                err = ngx.start()
                if err:
                    res.fail("nginx start", err)
                else:
                    res.ok("nginx start", "port %d" % args.port)
                    for t in served:
                        for lab, body, chk in t["reqs"]:
                            what = "%s http %s" % (t["name"], lab)
                            try:
                                status, out = ngx.post(t["name"], body)
                            except OSError as e:
                                res.fail(what, "request failed: %s" % e)
                                continue
                            if status != 200:
                                res.fail(what, "HTTP %d: %s" % (
                                    status, out[:300].decode("utf-8",
                                                             "replace")))
                                continue
                            judge(res, what, out, chk)
                    if res.failed:
                        log = ngx.error_log()
                        if log:
                            print(log)
    except KeyboardInterrupt:
        res.fail("parity_xgboost", "interrupted")
    finally:
        if ngx is not None:
            ngx.stop()
            if not args.keep:
                shutil.rmtree(ngx.prefix, ignore_errors=True)
        if args.keep:
            print("# files kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("# %.1f s" % (time.time() - started))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed or not res.passed else 0


if __name__ == "__main__":
    sys.exit(main())
