#!/usr/bin/python3
"""`mlpredict train` against scikit-learn, computed here on the same rows.

For every algorithm on four data sets (diabetes and breast_cancer/iris,
bundled with scikit-learn; Grunfeld's investment data, with its string
column `firm`, from Debian's python3-statsmodels; a synthetic one of
100,000 rows with missing values and categories), the CSV is read here as
`mlpredict train` reads it, the rows are split with the split the README
documents (splitmix64, Fisher-Yates), the README's scikit-learn pipeline
is fitted on the training rows with the estimator scikit-learn would use,
and its answers on the held-out rows are compared with `mlpredict predict
--csv` of the model `mlpredict train` wrote:

  linear, ridge         coefficients and predictions within 1e-9 relative
  logistic, linear-svm  probabilities / decision values within 1e-6
                        relative, labels equal on >= 99.5% of the rows
  svm, svr              decision values within 1e-6 relative (labels by
                        vote equal); with --probability, held-out accuracy
                        of the most probable class within 0.5 points
  tree                  (--max-features all) the same label / value on
                        >= 99% of the held-out rows
  forest                held-out accuracy (R^2) within 0.01 of scikit-
                        learn's RandomForest, averaged over 5 seeds

"Relative" is against the scale of what is compared: |a - b| <= rtol *
max(|b|, max |b| over the compared values). Then the refusals of bad input,
`auto`, and a trained model served by nginx answering as `mlpredict
predict` does.
"""

import argparse
import io
import json
import math
import os
import re
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import warnings

import numpy as np
import pandas as pd
from sklearn import datasets as skd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import SVC, SVR, LinearSVC
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from parity_svm import Nginx  # noqa: E402
import scipy.linalg  # noqa: E402

NA = ["", "NA", "NaN", "null"]      # what mlp_csv_missing calls missing
GRUNFELD = ("/usr/lib/python3/dist-packages/statsmodels/datasets/grunfeld/"
            "grunfeld.csv")
M64 = (1 << 64) - 1


class MinNormLinear(LinearRegression):
    """LinearRegression; where the centred design is rank deficient (full
    one-hot blocks beside the intercept), its minimum-norm solution with
    numpy's cutoff (singular values under eps * max(n, d) of the largest
    are zero): scipy's default cutoff, eps, keeps the null ones at 1e-16
    and makes coef_ rounding noise of 1e12 (see the README)."""

    def fit(self, X, y):
        LinearRegression.fit(self, X, y)
        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        xm, ym = X.mean(axis=0), y.mean()
        Xc = X - xm
        if np.linalg.matrix_rank(Xc) < X.shape[1]:
            cond = np.finfo(float).eps * max(X.shape)
            self.coef_ = scipy.linalg.lstsq(Xc, y - ym, cond=cond,
                                            lapack_driver="gelsd")[0]
            self.intercept_ = ym - xm @ self.coef_
        return self


class Result:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed.append(what)
            print("FAIL", what, flush=True)


# -- the split, as the README documents it

def shuffle(n, seed):
    perm = list(range(n))
    s = seed
    for i in range(n - 1, 0, -1):
        s = (s + 0x9e3779b97f4a7c15) & M64
        z = s
        z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M64
        z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M64
        z ^= z >> 31
        j = int(float(z >> 11) * 2.0 ** -53 * (i + 1))
        perm[i], perm[j] = perm[j], perm[i]
    return perm


def split(n, test_size, seed):
    perm = shuffle(n, seed)
    n_test = math.ceil(test_size * n)
    return sorted(perm[n_test:]), sorted(perm[:n_test])


def read(path):
    return pd.read_csv(path, keep_default_na=False, na_values=NA)


def pipeline(df, label, scale, est):
    cols = [c for c in df.columns if c != label]
    num = [c for c in cols if df[c].dtype.kind in "biuf"]
    cat = [c for c in cols if c not in num]
    steps = [SimpleImputer(strategy="mean")] + (
        [StandardScaler()] if scale else [])
    prep = ColumnTransformer([
        ("num", Pipeline([("i%d" % k, s) for k, s in enumerate(steps)]),
         num),
        ("cat", Pipeline([
            ("i", SimpleImputer(strategy="most_frequent")),
            ("o", OneHotEncoder(handle_unknown="ignore",
                                sparse_output=False))]), cat)])
    return Pipeline([("prep", prep), ("est", est)])


def sections(path):
    """id -> (dtype, bytes) of a model file (models/FORMAT.md)."""
    with open(path, "rb") as f:
        b = f.read()
    n = struct.unpack_from("<I", b, 44)[0]
    out = {}
    for i in range(n):
        sid, dt, off, size, _ = struct.unpack_from("<IIQQQ", b, 64 + 32 * i)
        out[sid] = (dt, b[off:off + size])
    return out


def f64(sec, sid):
    return np.frombuffer(sec[sid][1], dtype="<f8")


def close(a, b, rtol):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False, "shapes %s and %s" % (a.shape, b.shape)
    scale = np.maximum(np.abs(b), np.max(np.abs(b)) if b.size else 0)
    err = np.abs(a - b) / np.where(scale > 0, scale, 1)
    worst = float(np.max(err)) if err.size else 0.0
    return worst <= rtol, "worst relative %.3g" % worst


class Case:
    def __init__(self, cli, tmp, res):
        self.cli = cli
        self.tmp = tmp
        self.res = res

    def train(self, algo, csv, label, out, *opts, check=True):
        cmd = [self.cli, "train", algo, csv, "--label", label, "-o", out]
        cmd += [str(o) for o in opts]
        p = subprocess.run(cmd, capture_output=True, text=True)
        if check and p.returncode != 0:
            raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr))
        return p

    def predict(self, model, frame):
        path = os.path.join(self.tmp, "held_out.csv")
        frame.to_csv(path, index=False)
        p = subprocess.run([self.cli, "predict", model, path, "--csv"],
                           capture_output=True, text=True, check=True)
        return pd.read_csv(io.StringIO(p.stdout), keep_default_na=False,
                           dtype={"prediction": str})


def decision_columns(got, classes):
    if "decision" in got.columns:
        return got["decision"].to_numpy(float)
    return got[["decision_%s" % c for c in classes]].to_numpy(float)


def run_case(c, name, csv, label, algo, opts, est, kind, rtol=None):
    """One algorithm on one data set against scikit-learn."""
    res = c.res
    df = read(csv)
    tr, te = split(len(df), 0.25, 0)
    model = os.path.join(c.tmp, "%s_%s.mlp" % (name, algo))
    t0 = time.time()
    c.train(algo, csv, label, model, *opts)
    ours_s = time.time() - t0
    scale = algo not in ("tree", "forest")
    pipe = pipeline(df, label, scale, est)
    X = df.drop(columns=[label])
    y = df[label]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.time()
        pipe.fit(X.iloc[tr], y.iloc[tr])
        sk_s = time.time() - t0
    Xt = X.iloc[te]
    got = c.predict(model, df.iloc[te])
    what = "%s %s %s" % (name, algo, " ".join(str(o) for o in opts))
    e = pipe.named_steps["est"]

    if kind == "regression":
        want = pipe.predict(Xt)
        ok, why = close(got["prediction"].to_numpy(float), want, rtol)
        res.check(ok, "%s: predictions %s" % (what, why))
        if algo in ("linear", "ridge"):
            sec = sections(model)
            ok, why = close(f64(sec, 20), e.coef_, rtol)
            res.check(ok, "%s: coefficients %s" % (what, why))
            ok2, why2 = close(f64(sec, 21), [e.intercept_], rtol)
            res.check(ok2, "%s: intercept %s" % (what, why2))
            why += "; coef " + why.split()[-1]
        print("  %-44s %s (train %.2f s, sklearn %.2f s)"
              % (what, why, ours_s, sk_s), flush=True)
        return

    classes = [str(v) for v in e.classes_]
    labels = pipe.predict(Xt)
    same = np.mean(got["prediction"].to_numpy() ==
                   np.array([str(v) for v in labels]))
    if kind == "proba":
        want = pipe.predict_proba(Xt)
        cols = ["proba_%s" % k for k in classes]
        ok, why = close(got[cols].to_numpy(float), want, rtol)
        res.check(ok, "%s: probabilities %s" % (what, why))
    else:
        want = pipe.decision_function(Xt)
        ok, why = close(decision_columns(got, classes), want, rtol)
        res.check(ok, "%s: decision values %s" % (what, why))
    if algo == "svm" and "linear" in opts and len(classes) == 2:
        explain_linear(c, what, model, pipe, X.iloc[tr], Xt.iloc[:8])
    need = 1.0 if algo == "svm" else 0.995
    res.check(same >= need, "%s: labels equal on %.4f of the held-out rows"
              % (what, same))
    print("  %-44s %s, labels %.4f (train %.2f s, sklearn %.2f s)"
          % (what, why, same, ours_s, sk_s), flush=True)


def explain_linear(c, what, model, pipe, X_train, rows):
    """A trained linear-kernel svm explains itself: each input's
    contribution is scikit-learn's coef_ * (z - E[z]) over the columns the
    input makes (z through the same fitted preparation, E[z] over the
    training rows), the base value its decision at E[z] (numpy here)."""
    prep, e = pipe.named_steps["prep"], pipe.named_steps["est"]
    EZ = np.asarray(prep.transform(X_train), dtype=float).mean(axis=0)
    Z = np.asarray(prep.transform(rows), dtype=float)
    coef, icpt = np.ravel(e.coef_), float(np.ravel(e.intercept_)[0])
    cols = list(rows.columns)
    src = []
    for fn in prep.get_feature_names_out():
        base = fn.split("__", 1)[-1]
        src.append([k for k in cols if base == k or
                    base.startswith(k + "_")][0])
    body = {"instances": [{k: (None if isinstance(v, float) and np.isnan(v)
                               else (v.item() if hasattr(v, "item") else v))
                           for k, v in r.items()}
                          for _, r in rows.iterrows()]}
    p = subprocess.run([c.cli, "explain", model], input=json.dumps(body),
                       capture_output=True, text=True)
    if p.returncode != 0:
        c.res.check(False, "%s: explain: %s" % (what, p.stdout + p.stderr))
        return
    worst = 0.0
    for r, a in enumerate(json.loads(p.stdout)["predictions"]):
        want = dict.fromkeys(cols, 0.0)
        for j, k in enumerate(src):
            want[k] += coef[j] * (Z[r, j] - EZ[j])
        scale = max([abs(v) for v in want.values()] + [1.0])
        worst = max([worst, abs(a["base_value"] - (icpt + coef @ EZ))
                     / scale] + [abs(a["contributions"][k] - want[k])
                                 / scale for k in cols])
    c.res.check(worst <= 1e-6, "%s: explanations within %.2g of "
                "coef_ * (z - E[z])" % (what, worst))


def run_svm_probability(c, name, csv, label, opts, est):
    """libsvm's Platt scaling draws its folds at random: accuracy only."""
    res = c.res
    df = read(csv)
    tr, te = split(len(df), 0.25, 0)
    model = os.path.join(c.tmp, "%s_svm_prob.mlp" % name)
    c.train("svm", csv, label, model, "--probability", *opts)
    pipe = pipeline(df, label, True, est)
    X = df.drop(columns=[label])
    y = df[label]
    pipe.fit(X.iloc[tr], y.iloc[tr])
    got = c.predict(model, df.iloc[te])
    classes = [str(v) for v in pipe.classes_]
    truth = np.array([str(v) for v in y.iloc[te]])
    ours = np.array(classes)[np.argmax(
        got[["proba_%s" % k for k in classes]].to_numpy(float), axis=1)]
    theirs = np.array(classes)[np.argmax(pipe.predict_proba(X.iloc[te]),
                                         axis=1)]
    a, b = np.mean(ours == truth), np.mean(theirs == truth)
    what = "%s svm --probability" % name
    res.check(abs(a - b) <= 0.005, "%s: accuracy of the most probable class "
              "%.4f, scikit-learn's %.4f" % (what, a, b))
    votes = np.mean(got["prediction"].to_numpy()
                    == np.array([str(v) for v in pipe.predict(X.iloc[te])]))
    res.check(votes == 1.0, "%s: labels (votes) equal on %.4f" % (what,
                                                                   votes))
    print("  %-44s accuracy %.4f vs %.4f, votes equal %.4f"
          % (what, a, b, votes), flush=True)


def cart_built(c, csv, label):
    p = c.train("tree", csv, label, os.path.join(c.tmp, "probe.mlp"),
                check=False)
    return "not built" not in p.stderr


def run_tree(c, name, csv, label, classify):
    res = c.res
    df = read(csv)
    tr, te = split(len(df), 0.25, 0)
    model = os.path.join(c.tmp, "%s_tree.mlp" % name)
    c.train("tree", csv, label, model, "--max-features", "all",
            "--task", "classification" if classify else "regression")
    est = (DecisionTreeClassifier if classify else DecisionTreeRegressor)(
        random_state=0)
    pipe = pipeline(df, label, False, est)
    X = df.drop(columns=[label])
    pipe.fit(X.iloc[tr], df[label].iloc[tr])
    got = c.predict(model, df.iloc[te])
    want = pipe.predict(X.iloc[te])
    if classify:
        same = np.mean(got["prediction"].to_numpy()
                       == np.array([str(v) for v in want]))
    else:
        same = np.mean(np.isclose(got["prediction"].to_numpy(float), want,
                                  rtol=1e-12, atol=0))
    res.check(same >= 0.99, "%s tree: the same answer on %.4f of the "
              "held-out rows" % (name, same))
    print("  %-44s same on %.4f" % (name + " tree --max-features all",
                                    same), flush=True)


def run_forest(c, name, csv, label, classify, n_estimators=100):
    res = c.res
    df = read(csv)
    tr, te = split(len(df), 0.25, 0)
    X = df.drop(columns=[label])
    y = df[label]
    ours, theirs = [], []
    for seed in range(5):
        model = os.path.join(c.tmp, "%s_forest.mlp" % name)
        c.train("forest", csv, label, model, "--seed", seed,
                "--n-estimators", n_estimators,
                "--task", "classification" if classify else "regression")
        # --seed moves the split too: the same rows here
        tr, te = split(len(df), 0.25, seed)
        est = (RandomForestClassifier(n_estimators=n_estimators,
                                      random_state=seed)
               if classify else
               RandomForestRegressor(n_estimators=n_estimators,
                                     random_state=seed))
        pipe = pipeline(df, label, False, est)
        pipe.fit(X.iloc[tr], y.iloc[tr])
        got = c.predict(model, df.iloc[te])
        if classify:
            truth = np.array([str(v) for v in y.iloc[te]])
            ours.append(np.mean(got["prediction"].to_numpy() == truth))
            theirs.append(np.mean(np.array(
                [str(v) for v in pipe.predict(X.iloc[te])]) == truth))
        else:
            from sklearn.metrics import r2_score
            ours.append(r2_score(y.iloc[te],
                                 got["prediction"].to_numpy(float)))
            theirs.append(pipe.score(X.iloc[te], y.iloc[te]))
    a, b = float(np.mean(ours)), float(np.mean(theirs))
    res.check(abs(a - b) <= 0.01, "%s forest: held-out %s %.4f, scikit-"
              "learn's %.4f (5 seeds)" % (name, "accuracy" if classify
                                          else "R^2", a, b))
    print("  %-44s %.4f vs %.4f over 5 seeds" % (name + " forest", a, b),
          flush=True)


# -- the data sets

def make_data(tmp):
    paths = {}
    d = skd.load_diabetes(as_frame=True).frame
    paths["diabetes"] = os.path.join(tmp, "diabetes.csv")
    d.to_csv(paths["diabetes"], index=False)

    b = skd.load_breast_cancer(as_frame=True).frame
    paths["breast_cancer"] = os.path.join(tmp, "breast_cancer.csv")
    b.to_csv(paths["breast_cancer"], index=False)

    i = skd.load_iris(as_frame=True)
    f = i.frame.copy()
    f["target"] = [str(i.target_names[t]) for t in i.target]
    paths["iris"] = os.path.join(tmp, "iris.csv")
    f.to_csv(paths["iris"], index=False)

    # real data with a string column: the firm's investment, and whether
    # it is above the median (a classification of the same rows)
    g = pd.read_csv(GRUNFELD)
    paths["grunfeld"] = os.path.join(tmp, "grunfeld.csv")
    g.to_csv(paths["grunfeld"], index=False)
    g["high"] = np.where(g["invest"] > g["invest"].median(), "high", "low")
    g = g.drop(columns=["invest"])
    paths["grunfeld_high"] = os.path.join(tmp, "grunfeld_high.csv")
    g.to_csv(paths["grunfeld_high"], index=False)

    # synthetic: 100,000 rows, 12 numbers and 3 categories, 5% missing
    rng = np.random.default_rng(13)
    n = 100000
    X = rng.normal(size=(n, 12)) * rng.uniform(0.5, 20, 12) + \
        rng.uniform(-5, 5, 12)
    s = pd.DataFrame(X, columns=["x%d" % k for k in range(12)]).round(6)
    s["color"] = rng.choice(["red", "green", "blue", "teal"], n,
                            p=[.4, .3, .2, .1])
    s["size"] = rng.choice(["S", "M", "L"], n)
    s["region"] = rng.choice(["r%d" % k for k in range(9)], n)
    z = (X[:, :6] / X[:, :6].std(axis=0)) @ rng.normal(size=6) + \
        (s["color"] == "red") * 1.0 - (s["size"] == "L") * 0.7
    s["value"] = (z * 10 + rng.normal(0, 3, n)).round(4)
    s["label"] = np.where(z + rng.logistic(size=n) > 0.3, "yes", "no")
    for col in ["x0", "x3", "x7", "color", "region"]:
        s.loc[rng.random(n) < 0.05, col] = np.nan
    big = s.drop(columns=["label"])
    paths["synthetic"] = os.path.join(tmp, "synthetic.csv")
    big.to_csv(paths["synthetic"], index=False)
    paths["synthetic_cls"] = os.path.join(tmp, "synthetic_cls.csv")
    s.drop(columns=["value"]).to_csv(paths["synthetic_cls"], index=False)
    # kernel svm is O(n^2): 3,000 of the rows
    paths["synthetic_small"] = os.path.join(tmp, "synthetic_small.csv")
    big.iloc[:3000].to_csv(paths["synthetic_small"], index=False)
    paths["synthetic_cls_small"] = os.path.join(tmp,
                                                "synthetic_cls_small.csv")
    s.drop(columns=["value"]).iloc[:3000].to_csv(
        paths["synthetic_cls_small"], index=False)
    # wider than tall: 60 rows of 400 columns and a text one (ridge's
    # kernel form, as scikit-learn solves it there)
    rng = np.random.RandomState(3)
    wide = pd.DataFrame(rng.randn(60, 400),
                        columns=["w%d" % j for j in range(400)])
    wide["town"] = rng.choice(["a", "b", "c"], 60)
    wide["value"] = wide["w0"] * 2 - wide["w7"] + rng.randn(60)
    paths["wide"] = os.path.join(tmp, "wide.csv")
    wide.to_csv(paths["wide"], index=False)
    return paths


def agreement(c, P):
    tight = ["--tol", "1e-12"]
    regs = [("diabetes", "target"), ("grunfeld", "invest"),
            ("synthetic", "value")]
    clss = [("breast_cancer", "target"), ("iris", "target"),
            ("grunfeld_high", "high"), ("synthetic_cls", "label")]
    for name, label in regs:
        run_case(c, name, P[name], label, "linear", [], MinNormLinear(),
                 "regression", 1e-9)
        run_case(c, name, P[name], label, "ridge", ["--alpha", 3],
                 Ridge(alpha=3), "regression", 1e-9)
    run_case(c, "wide", P["wide"], "value", "ridge", ["--alpha", 3],
             Ridge(alpha=3, solver="cholesky"), "regression", 1e-9)
    for name, label in clss:
        run_case(c, name, P[name], label, "logistic", ["--C", 0.5] + tight,
                 # lbfgs's ftol stops it at a gradient of 1e-7: newton-cg,
                 # the same problem, converges as tight as asked
                 LogisticRegression(C=0.5, tol=1e-10, max_iter=100000,
                                    solver="newton-cg"),
                 "proba", 1e-6)
        run_case(c, name, P[name], label, "linear-svm", ["--C", 0.5] + tight,
                 LinearSVC(C=0.5, dual=False, tol=1e-12, max_iter=100000),
                 "decision", 1e-6)
    agreement_svm(c, P)

    if not cart_built(c, P["iris"], "target"):
        c.res.check(False, "tree and forest: not built into this mlpredict")
        return
    for name, label, cls in [("iris", "target", True),
                             ("breast_cancer", "target", True),
                             ("grunfeld_high", "high", True),
                             ("diabetes", "target", False),
                             ("grunfeld", "invest", False),
                             ("synthetic_small", "value", False),
                             ("synthetic_cls_small", "label", True)]:
        run_tree(c, name, P[name], label, cls)
    for name, label, cls in [("iris", "target", True),
                             ("breast_cancer", "target", True),
                             ("grunfeld_high", "high", True),
                             ("diabetes", "target", False),
                             ("grunfeld", "invest", False)]:
        run_forest(c, name, P[name], label, cls)


def agreement_svm(c, P):
    """svm and svr against scikit-learn (`--only svm`: these alone)."""
    sv_tight = ["--tol", "1e-9"]
    for name, label in [("diabetes", "target"), ("grunfeld", "invest"),
                        ("synthetic_small", "value")]:
        for kern, extra, sk in [("rbf", [], {}),
                                ("poly", ["--degree", 2, "--coef0", 1],
                                 {"degree": 2, "coef0": 1.0})][
                                     :1 if name.startswith("syn") else 2]:
            run_case(c, name, P[name], label, "svr",
                     ["--kernel", kern, "--C", 20, "--epsilon", 0.5]
                     + extra + sv_tight,
                     SVR(kernel=kern, C=20, epsilon=0.5, tol=1e-9, **sk),
                     "regression", 1e-6)
    for name, label in [("breast_cancer", "target"), ("iris", "target"),
                        ("grunfeld_high", "high"),
                        ("synthetic_cls_small", "label")]:
        for kern, extra, sk in [("rbf", [], {}),
                                ("sigmoid", ["--gamma", "auto", "--coef0",
                                             0.5],
                                 {"gamma": "auto", "coef0": 0.5}),
                                ("linear", [], {})]:
            run_case(c, name, P[name], label, "svm",
                     ["--kernel", kern, "--C", 2] + extra + sv_tight,
                     SVC(kernel=kern, C=2, tol=1e-9, **sk), "decision",
                     1e-6)
    for name, label in [("iris", "target"), ("breast_cancer", "target")]:
        run_svm_probability(c, name, P[name], label, [],
                            SVC(probability=True, random_state=0))


# forked from a small python, not from this one: a child's peak resident
# memory counts what it shared with its parent before exec
RSS_HELPER = """import os, sys
pid = os.fork()
if pid == 0:
    os.dup2(2, 1)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, ru = os.wait4(pid, 0)
print(ru.ru_maxrss)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def train_rss(c, algo, csv, label, out, *opts):
    """mlpredict train, its peak resident memory in bytes and its report
    (the child's stdout goes to its stderr)."""
    cmd = [c.cli, "train", algo, csv, "--label", label, "-o", out]
    cmd += [str(o) for o in opts]
    p = subprocess.run([sys.executable, "-S", "-c", RSS_HELPER] + cmd,
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), p.stderr))
    return int(p.stdout) * 1024, p.stderr


def gram_line(report):
    """The report's "kernel matrix:" line: (used, bytes, the line); the
    features from the line above it."""
    m = re.search(r"\((\d+) inputs, (\d+) features\).*\n"
                  r"(kernel matrix: (used|not used), (\d+) bytes .*)",
                  report)
    if m is None:
        return None, 0, 0, report
    return m.group(4) == "used", int(m.group(5)), int(m.group(2)), \
        m.group(3)


def kernel_matrix(c, P):
    """The kernel matrix given to libsvm whole (PRECOMPUTED: svr's default
    where it fits --kernel-memory, svm's when the option is given) and
    libsvm's own sparse rows (--kernel-memory 0, svm without the option, a
    budget a MiB short of the matrix) are one problem, every kernel value
    the same double: the same model file byte for byte, but with rbf and
    --probability (the folds' decision values are libsvm's |x - y|^2 form
    on sparse rows, a lookup of its |x|^2 + |y|^2 - 2 x.y form here), the
    probabilities then within 1e-9. The sparse side against scikit-learn
    as agreement() checks the default one. The report's "kernel matrix:"
    line says which, and its bytes are the matrix's 8 a pair of rows (its
    layout's 4-row groups and the transposed rows besides); where the
    matrix is large the peak memory shows it on the side the line says
    used it, and only there."""
    sv_tight = ["--tol", "1e-9"]
    cases = [
        ("synthetic_small", "value", "svr",
         ["--kernel", "rbf", "--C", 20, "--epsilon", 0.5],
         SVR(kernel="rbf", C=20, epsilon=0.5, tol=1e-9), "regression"),
        ("diabetes", "target", "svr",
         ["--kernel", "poly", "--degree", 2, "--coef0", 1, "--C", 20,
          "--epsilon", 0.5],
         SVR(kernel="poly", degree=2, coef0=1.0, C=20, epsilon=0.5,
             tol=1e-9), "regression"),
        ("synthetic_cls_small", "label", "svm",
         ["--kernel", "rbf", "--C", 2],
         SVC(kernel="rbf", C=2, tol=1e-9), "decision"),
        ("iris", "target", "svm",
         ["--kernel", "poly", "--degree", 3, "--coef0", 1, "--C", 2],
         SVC(kernel="poly", degree=3, coef0=1.0, C=2, tol=1e-9),
         "decision"),
        ("breast_cancer", "target", "svm",
         ["--kernel", "rbf", "--probability"], None, "proba"),
        ("iris", "target", "svm",
         ["--kernel", "poly", "--degree", 2, "--probability"], None,
         "proba"),
    ]
    for name, label, algo, opts, est, kind in cases:
        what = "%s %s %s" % (name, algo, " ".join(str(o) for o in opts))
        if est is not None:
            run_case(c, name, P[name], label, algo,
                     opts + sv_tight + ["--kernel-memory", 0], est, kind,
                     1e-6)
        df = read(P[name])
        _, te = split(len(df), 0.25, 0)
        n = len(df) - len(te)
        matrix = 8 * n * (n + 1)
        big = matrix >= 32 << 20
        got, rss, files, line = {}, {}, {}, {}
        # svm takes the matrix only when asked (--kernel-memory given),
        # svr by default: "default" is the option left out; "under" a
        # budget under the matrix's bytes, in whole MiB
        mem_on = "default" if algo == "svr" else "2048"
        mems = [mem_on, "0"] + (["default"] if algo == "svm" else []) + \
            ["under"]
        for mem in mems:
            arg = mem
            if mem == "under":
                arg = str((line[mem_on][1] - 1) >> 20)
                if arg == "0":
                    break
            model = os.path.join(c.tmp, "%s_%s_km%s.mlp" % (name, algo, mem))
            rss[mem], report = train_rss(
                c, algo, P[name], label, model, *(opts + sv_tight + (
                    ["--kernel-memory", arg] if mem != "default" else [])))
            line[mem] = gram_line(report)
            got[mem] = c.predict(model, df.iloc[te])
            with open(model, "rb") as f:
                files[mem] = f.read()
        used, nbytes, d, text = line[mem_on]
        c.res.check(used is True, "%s: the report says the kernel matrix "
                    "is used: %s" % (what, text))
        # 4-row groups of n + 1 values, the transposed rows in 64s
        most = 8 * (n + 4) * (n + 1) + 64 + 8 * d * (n + 64)
        c.res.check(matrix <= nbytes <= most, "%s: the kernel matrix of %d "
                    "rows, %d features: %d bytes, not from %d to %d"
                    % (what, n, d, nbytes, matrix, most))
        why = {"0": "--kernel-memory 0",
               "default": "svm's only with --kernel-memory",
               "under": "over --kernel-memory %d" % (nbytes >> 20)}
        for mem in [m for m in mems if m != mem_on and m in got]:
            used, b, _, text = line[mem]
            c.res.check(used is False and b == nbytes and why[mem] in text,
                        "%s --kernel-memory %s: the report says the kernel "
                        "matrix of %d bytes is not used (%s): %s"
                        % (what, mem, nbytes, why[mem], text))
        for mem in [m for m in mems if m not in (mem_on, "0") and m in got]:
            c.res.check(files[mem] == files["0"], "%s: sparse rows: the "
                        "model files of --kernel-memory %s and 0 differ"
                        % (what, mem))
        for mem in [m for m in mems if m != mem_on and m in got]:
            side = "kernel matrix against sparse rows (%s)" % (
                "--kernel-memory %s" % mem if mem != "default"
                else "the option left out")
            if "rbf" not in opts or "--probability" not in opts:
                c.res.check(files[mem_on] == files[mem],
                            "%s: %s: the model files differ" % (what, side))
            # a regressor's one column is its prediction: compare it as
            # numbers
            cols = [k for k in got[mem].columns if k != "prediction"] \
                or ["prediction"]
            ok, worst = close(got[mem_on][cols].to_numpy(float),
                              got[mem][cols].to_numpy(float), 1e-9)
            c.res.check(ok, "%s: %s: %s" % (what, side, worst))
            same = bool((got[mem_on]["prediction"]
                         == got[mem]["prediction"]).all())
            c.res.check(same, "%s: %s: labels differ" % (what, side))
            if big:
                c.res.check(rss[mem_on] - rss[mem] >= matrix * 0.9,
                            "%s: %s: peak memory %d against %d bytes: no "
                            "kernel matrix of %d bytes on one side or a "
                            "matrix on the other" % (
                                what, side, rss[mem_on], rss[mem], matrix))
        print("  %-44s kernel matrix (%.1f MiB) vs sparse (%s): %s%s" % (
            what, nbytes / 2 ** 20,
            ", ".join("--kernel-memory %s" % (
                m if m != "under" else nbytes >> 20)
                if m != "default" else "none" for m in mems
                if m != mem_on and m in got), worst,
            ", peak memory %.0f MB vs %s MB" % (
                rss[mem_on] / 1e6, "/".join(
                    "%.0f" % (rss[m] / 1e6) for m in mems
                    if m != mem_on and m in rss))
            if big else ""), flush=True)


def refusals(c, P):
    """Bad input refused before any work, with a message naming it."""
    tmp = c.tmp
    out = os.path.join(tmp, "refused.mlp")

    def write(name, text):
        p = os.path.join(tmp, name)
        with open(p, "w") as f:
            f.write(text)
        return p

    empty = write("empty_rows.csv", "a,b,y\n")
    one = write("one_label.csv", "a,b,y\n1,2,x\n3,4,x\n5,6,x\n")
    allmiss = write("all_missing.csv", "a,b,y\n1,,x\n3,,z\n5,NA,x\n6,,z\n")
    cases = [
        (["linear", P["diabetes"], "--label", "nope"], "no column named "
         "\"nope\""),
        (["linear", empty, "--label", "y"], "no rows"),
        (["logistic", one, "--label", "y"], "has one value"),
        (["logistic", allmiss, "--label", "y"], "column \"b\" is missing "
         "on every row"),
        (["ridge", P["diabetes"], "--label", "target", "--alpha", "0"],
         "--alpha 0"),
        (["ridge", P["diabetes"], "--label", "target", "--alpha", "-1"],
         "--alpha -1"),
        (["svm", P["iris"], "--label", "target", "--C", "x"], "--C x"),
        (["svm", P["iris"], "--label", "target", "--gamma", "0"],
         "--gamma"),
        (["svm", P["iris"], "--label", "target", "--kernel", "cubic"],
         "--kernel cubic"),
        (["svr", P["diabetes"], "--label", "target", "--kernel-memory",
          "-1"], "--kernel-memory -1: a whole number from 0"),
        (["linear", P["diabetes"], "--label", "target", "--kernel-memory",
          "5"], "--kernel-memory is not an option of linear"),
        (["linear", P["diabetes"], "--label", "target", "--test-size", "1"],
         "--test-size 1"),
        (["linear", P["diabetes"], "--label", "target", "--C", "1"],
         "--C is not an option of linear"),
        (["linear", P["iris"], "--label", "target"], "is not numeric"),
        (["linear", P["diabetes"], "--label", "target", "--drop", "zz"],
         "no column named \"zz\" (--drop)"),
        (["forest", P["iris"], "--label", "target", "--n-estimators", "0"],
         "--n-estimators 0"),
        (["auto", P["iris"], "--label", "target", "--metric", "r2"],
         "--metric r2 is for regression"),
    ]
    for args, want in cases:
        if os.path.exists(out):
            os.unlink(out)
        p = subprocess.run([c.cli, "train"] + args[:1] + [args[1]] +
                           ["-o", out] + args[2:], capture_output=True,
                           text=True)
        ok = p.returncode != 0 and want in p.stderr and \
            not os.path.exists(out) and p.stdout == ""
        c.res.check(ok, "refusal %s: wanted %r, got rc %d %r" % (
            " ".join(args), want, p.returncode, p.stderr.strip()))
    print("  %d refusals checked" % len(cases), flush=True)

    # each message names the file once ("x.csv: x.csv: line 3" was seen)
    for name, text, label, want in [
            ("no_label.csv", "a,b,y\n1,2,x\n3,4,\n5,6,z\n", "y",
             "line 3: the label \"y\" is missing"),
            ("ragged.csv", "a,b,y\n1,2,x\n3,4\n", "y",
             "line 3: 2 fields, the header has 3"),
            ("open_quote.csv", "a,b,y\n1,2,x\n3,\"4,x\n", "y",
             "line 3: a quoted field is never closed"),
            ("twins.csv", "a,a,y\n1,2,x\n3,4,z\n", "y",
             "line 1: two columns named \"a\""),
            ("bad_utf8.csv", "a,b,y\n1,2,\udcff\n3,4,z\n", "y",
             "line 2, column 3 (\"y\"): a category must be UTF-8"),
            ("gone.csv", None, "y", "No such file or directory")]:
        path = os.path.join(tmp, name)
        if text is not None:
            with open(path, "w", errors="surrogateescape") as f:
                f.write(text)
        for algo in ("logistic", "auto"):
            p = subprocess.run([c.cli, "train", algo, path, "--label", label,
                                "-o", out], capture_output=True, text=True)
            c.res.check(p.returncode != 0 and p.stderr.count(path) == 1
                        and "mlpredict: %s: %s" % (path, want) in p.stderr,
                        "%s %s: the file named once, wanted %r: %r"
                        % (algo, name, want, p.stderr))

    # --drop leaves the column out of the model's inputs
    p = c.train("linear", P["diabetes"], "target", out, "--drop", "age,sex")
    info = json.loads(subprocess.run([c.cli, "info", out],
                                     capture_output=True, text=True).stdout)
    names = [i["name"] for i in info["inputs"]]
    c.res.check("age" not in names and "sex" not in names
                and len(names) == 8, "--drop: inputs %s" % names)
    # not a terminal: no progress line on stderr
    c.res.check(p.stderr == "", "stderr not a terminal: %r" % p.stderr)
    # the held-out report is `mlpredict eval`'s on the held-out rows
    df = read(P["diabetes"])
    _, te = split(len(df), 0.25, 0)
    held = os.path.join(tmp, "held.csv")
    df.iloc[te].to_csv(held, index=False)
    ev = subprocess.run([c.cli, "eval", out, held, "--label", "target"],
                        capture_output=True, text=True).stdout
    body = ev.split("\n", 1)[1]
    c.res.check(body in p.stdout, "the report is eval's on the held-out "
                "rows:\n%s\n---\n%s" % (p.stdout, ev))
    # --test-size 0: every row trained on, no report
    p = c.train("ridge", P["diabetes"], "target", out, "--test-size", "0")
    c.res.check("442 rows" in p.stdout and "no rows held out" in p.stdout,
                "--test-size 0: %r" % p.stdout)
    # a column's type is pandas' whatever the row order: words and hex
    # make it text, a decimal beyond double's range is refused
    for name, text in (("inf_first.csv", "a,y\ninf,1\nx,2\ny,3\nx,4\n"),
                       ("text_first.csv", "a,y\nx,1\ninf,2\ny,3\nx,4\n"),
                       ("hex.csv", "a,y\n0x10,1\n0x11,2\n0x10,3\n0x12,4\n")):
        path = write(name, text)
        kind = pd.read_csv(path).dtypes["a"].kind
        p = c.train("linear", path, "y", out, "--test-size", "0",
                    check=False)
        info = json.loads(subprocess.run([c.cli, "info", out],
                                         capture_output=True,
                                         text=True).stdout or "{}")
        got = [i.get("type") for i in info.get("inputs", [])]
        c.res.check(p.returncode == 0 and kind == "O"
                    and got == ["category"], "%s: pandas dtype %s, ours %s "
                    "(%s)" % (name, kind, got, p.stderr.strip()))
    path = write("huge.csv", "a,y\n1e999,1\n2,2\n3,3\n4,4\n")
    p = c.train("linear", path, "y", out, "--test-size", "0", check=False)
    c.res.check(p.returncode != 0 and "\"1e999\" is not a finite number"
                in p.stderr, "1e999 refused: %r" % p.stderr)
    # a prepared matrix over 2^28 values is refused before it is made:
    # 75,000 training rows of 4 text columns of 1,000 values each
    path = os.path.join(tmp, "wide_cats.csv")
    with open(path, "w") as f:
        f.write("a,b,c,d,y\n")
        for r in range(100000):
            f.write("k%d,k%d,k%d,k%d,%d\n" % (r % 1000, r * 7 % 1000,
                                             r * 13 % 1000, r * 17 % 1000,
                                             r % 2))
    p = c.train("logistic", path, "y", out, check=False)
    c.res.check(p.returncode != 0 and "75000 rows of 4000 features after "
                "one-hot encoding are over the 268435456 values" in p.stderr,
                "wide matrix refused: %r" % p.stderr)
    # a fit the server would refuse (an svr of no support vectors: epsilon
    # over every target) leaves the model already at OUT as it was
    with open(out, "rb") as f:
        before = f.read()
    p = c.train("svr", P["diabetes"], "target", out, "--epsilon", "1e308",
                check=False)
    with open(out, "rb") as f:
        after = f.read()
    c.res.check(p.returncode != 0 and "not written" in p.stderr
                and after == before and not [
                    n for n in os.listdir(tmp) if ".tmp." in n],
                "a refused fit keeps OUT: rc %d %r, unchanged %s"
                % (p.returncode, p.stderr.strip(), after == before))


def auto(c, P):
    res = c.res
    for csv, label, metric in [(P["breast_cancer"], "target", "roc_auc"),
                               (P["diabetes"], "target", "rmse")]:
        out = os.path.join(c.tmp, "auto.mlp")
        p = c.train("auto", csv, label, out, "--metric", metric, "--folds", 3)
        lines = p.stdout.splitlines()
        best = [ln for ln in lines if ln.startswith("best: ")]
        table = [ln for ln in lines if ln.startswith("  ") and
                 len(ln.split()) >= 4]
        res.check(len(best) == 1 and len(table) >= 5,
                  "auto %s: %s" % (metric, p.stdout))
        info = json.loads(subprocess.run([c.cli, "info", out],
                                         capture_output=True,
                                         text=True).stdout)
        res.check("task" in info, "auto: the model loads")
        print("  auto --metric %s: %s" % (metric, best[0] if best else "?"),
              flush=True)
        if metric == "roc_auc":
            # a candidate failing is shown, named by its fold, and skipped
            res.check("fold 1 of 3: roc_auc is undefined here (no "
                      "probabilities)" in p.stdout and
                      cv_table(p.stdout).get("linear-svm C=1", 0) is None,
                      "auto: a failed candidate's row: %s" % p.stdout)
    auto_stratified(c, P)


def lbfgs_ends(c, P):
    """liblbfgs's ending in words: --max-iter reached keeps the model with
    a warning, as scikit-learn keeps it with a ConvergenceWarning; a run
    that ends within scikit-learn's tolerance says nothing."""
    from sklearn.exceptions import ConvergenceWarning
    res = c.res
    out = os.path.join(c.tmp, "max_iter.mlp")
    if os.path.exists(out):
        os.unlink(out)
    p = c.train("logistic", P["breast_cancer"], "target", out, "--max-iter",
                3, check=False)
    df = read(P["breast_cancer"])
    tr, _ = split(len(df), 0.25, 0)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        pipeline(df, "target", True, LogisticRegression(max_iter=3)).fit(
            df.drop(columns=["target"]).iloc[tr], df["target"].iloc[tr])
    sk = any(issubclass(x.category, ConvergenceWarning) for x in w)
    info = subprocess.run([c.cli, "info", out], capture_output=True,
                          text=True)
    res.check(sk and p.returncode == 0 and info.returncode == 0 and
              "mlpredict: warning: logistic regression did not converge in "
              "3 iterations (--max-iter; liblbfgs: LBFGSERR_MAXIMUMITERATION)"
              in p.stderr and "held-out rows" in p.stdout,
              "--max-iter 3: warned and kept as scikit-learn (warned %s): "
              "rc %d %r" % (sk, p.returncode, p.stderr))
    for name, label in (("breast_cancer", "target"), ("iris", "target"),
                        ("grunfeld_high", "high")):
        p = c.train("logistic", P[name], label, out)
        res.check(p.stderr == "", "logistic on %s: converged, yet %r"
                  % (name, p.stderr))
    print("  liblbfgs: --max-iter warned, the model kept", flush=True)


def cv_table(stdout):
    """name -> (mean, sd) of auto's table, None for a failed candidate."""
    rows = {}
    for ln in stdout.split("\nbest: ")[0].splitlines():
        if not ln.startswith("  ") or ln.startswith("  candidate"):
            continue
        f = ln[28:].split()
        if len(f) >= 3:
            rows[ln[2:28].strip()] = (None if f[0] == "-" else
                                      (float(f[0]), float(f[1])))
    return rows


def auto_stratified(c, P):
    """A class of 2 rows and one of 1 row among 5 folds: stratified folds
    as the README deals them (their class counts StratifiedKFold's),
    scikit-learn's warning, and candidates' fold scores those of scikit-
    learn's pipeline fitted on the same folds (the fold whose training
    rows lack the class of one row learns the classes it has, as scikit-
    learn's estimator does)."""
    from sklearn.model_selection import StratifiedKFold
    res = c.res
    df = read(P["iris"])
    folds = 5
    # the two rows in one fold of plain k-fold (the shuffle's position
    # mod K): every fold model then lacks the class on one of the folds
    pos = {r: i for i, r in enumerate(shuffle(len(df), 1))}
    twin = next(r for r in range(60, len(df))
                if pos[r] % folds == pos[10] % folds)
    df.loc[[10, twin], "target"] = "rare"
    # and a class of one row: the model of the fold that holds it lacks it
    df.loc[120, "target"] = "lone"
    csv = os.path.join(c.tmp, "iris_rare.csv")
    df.to_csv(csv, index=False)
    out = os.path.join(c.tmp, "iris_rare.mlp")
    p = c.train("auto", csv, "target", out, "--test-size", 0, "--folds",
                folds, check=False)
    table = cv_table(p.stdout)
    res.check(p.returncode == 0 and "best: " in p.stdout,
              "auto, classes of 2 rows and 1 in 5 folds: rc %d %r %r"
              % (p.returncode, p.stderr, p.stdout))
    y = df["target"].to_numpy()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        skf = list(StratifiedKFold(folds, shuffle=True, random_state=0)
                   .split(np.zeros(len(y)), y))
    sk_warned = any("least populated class" in str(x.message) for x in w)
    res.check(sk_warned and "warning: the least populated class of "
              "\"target\", \"lone\", has only 1 training rows, fewer than "
              "the 5 folds: 4 folds score none of it, and the model of the "
              "fold holding its row never learns it" in p.stderr,
              "the rare class warned as StratifiedKFold warns: %r"
              % p.stderr)
    # the folds as the README deals them: the shuffle (seed + 1), grouped
    # by class (classes sorted), position i in fold i mod K. This checks
    # the documented dealing against StratifiedKFold's counts; the fold
    # scores below bind the program to that dealing
    perm = shuffle(len(df), 1)
    order = sorted(range(len(perm)), key=lambda i: (y[perm[i]], i))
    fold = np.empty(len(df), dtype=int)
    for i, pos in enumerate(order):
        fold[perm[pos]] = i % folds
    for cls in sorted(set(y)):
        ours = sorted(np.sum((fold == f) & (y == cls)) for f in range(folds))
        theirs = sorted(np.sum(y[te] == cls) for _, te in skf)
        res.check(ours == theirs, "class %s per fold, as the README "
                  "deals them: %s, StratifiedKFold's %s"
                  % (cls, ours, theirs))
    X = df.drop(columns=["target"])
    for name, scale, est in [
            ("logistic C=1", True, LogisticRegression(
                C=1, tol=1e-10, solver="newton-cg", max_iter=10000)),
            ("tree max_depth=4", False,
             DecisionTreeClassifier(max_depth=4, random_state=0))]:
        scores = []
        for f in range(folds):
            pipe = pipeline(df, "target", scale, est)
            pipe.fit(X[fold != f], y[fold != f])
            scores.append(np.mean(pipe.predict(X[fold == f]) == y[fold == f]))
        want = (np.mean(scores), np.std(scores))
        got = table.get(name)
        res.check(got is not None and abs(got[0] - want[0]) < 1e-4
                  and abs(got[1] - want[1]) < 1e-4,
                  "auto fold scores of %s: ours %s, scikit-learn's "
                  "%.4f %.4f" % (name, got, want[0], want[1]))
    print("  auto, classes of 2 rows and 1 row in 5 folds: %d candidates "
          "scored" % sum(1 for v in table.values() if v), flush=True)
    # fewer training rows than folds: refused, as scikit-learn refuses
    small = os.path.join(c.tmp, "four_rows.csv")
    with open(small, "w") as f:
        f.write("a,y\n1,x\n2,z\n3,x\n4,z\n")
    p = c.train("auto", small, "y", out, "--test-size", 0, "--folds", 5,
                check=False)
    res.check(p.returncode != 0 and "--folds 5: more than the 4 training "
              "rows" in p.stderr, "--folds over the rows: %r" % p.stderr)


def memory_cgroup(limit):
    """A child of this process's memory cgroup limited to `limit` bytes
    (cgroup v2's memory.max, else v1's memory.limit_in_bytes), and a
    command prefix that runs a command inside it; None where the machine
    does not let us make one (no writable hierarchy, no memory
    controller)."""
    with open("/proc/self/cgroup") as f:
        lines = [ln.rstrip("\n").split(":", 2) for ln in f]
    tries = []
    for _, ctl, path in lines:
        if ctl == "":
            for root in ("/sys/fs/cgroup", "/sys/fs/cgroup/unified"):
                tries.append((root + path, "memory.max"))
        elif "memory" in ctl.split(","):
            tries.append(("/sys/fs/cgroup/memory" + path,
                          "memory.limit_in_bytes"))
    for parent, knob in tries:
        # a real cgroup directory only (a tmpfs at /sys/fs/cgroup is not)
        if not os.path.exists(os.path.join(parent, knob)):
            continue
        d = os.path.join(parent, "mlpredict-test-%d" % os.getpid())
        try:
            os.mkdir(d)
        except OSError:
            continue
        try:
            with open(os.path.join(d, knob), "w") as f:
                f.write(str(limit))
            # a shell joins the cgroup, then becomes the command
            inside = ["sh", "-c", 'echo $$ > "$0/cgroup.procs" && exec "$@"',
                      d]
            probe = subprocess.run(inside + ["cat", "/proc/self/cgroup"],
                                   capture_output=True, text=True)
            if probe.returncode == 0 and os.path.basename(d) in probe.stdout:
                return d, inside
        except OSError:
            pass
        os.rmdir(d)
    return None, None


def cgroup_limit(c, nginx, module):
    """The memory limit of the process's cgroup, end to end: inside a
    cgroup of 128 MiB, svr's kernel matrix of 3,500 rows (98 MB, over half
    the limit) is not used, and the report says so naming the limit; the
    same command outside it uses the matrix, and both write the same file.
    nginx -t inside the cgroup refuses a model file larger than the limit
    (the copy every worker shares would not fit) with the file and the
    limit."""
    res = c.res
    limit = 128 << 20
    d, inside = memory_cgroup(limit)
    if d is None:
        print("  skipped: no memory cgroup can be made here (no writable "
              "cgroup v1 memory or v2 hierarchy)", flush=True)
        return
    try:
        rng = np.random.default_rng(5)
        n = 3500
        X = rng.normal(size=(n, 5))
        y = X @ np.array([1.0, -2.0, 0.5, 3.0, 0.0]) + rng.normal(size=n)
        csv = os.path.join(c.tmp, "cgroup.csv")
        pd.DataFrame(np.column_stack([X, y]),
                     columns=["a", "b", "c", "d", "e", "y"]).to_csv(
                         csv, index=False)
        reports, files = {}, {}
        for side, pre in (("inside", inside), ("outside", [])):
            out = os.path.join(c.tmp, "cgroup_%s.mlp" % side)
            p = subprocess.run(pre + [c.cli, "train", "svr", csv, "--label",
                                      "y", "--test-size", "0", "-o", out],
                               capture_output=True, text=True)
            res.check(p.returncode == 0, "svr %s the cgroup: exit %d: %s"
                      % (side, p.returncode, p.stderr[-300:]))
            reports[side] = p.stdout
            if p.returncode == 0:
                with open(out, "rb") as f:
                    files[side] = f.read()
        matrix = 8 * n * (n + 1)
        want = "over half the memory (%d MiB, physical or the cgroup's " \
               "limit)" % (limit >> 20)
        used_in = gram_line(reports["inside"])
        used_out = gram_line(reports["outside"])
        res.check(used_in[0] is False and want in used_in[3]
                  and used_in[1] >= matrix,
                  "svr inside a cgroup of %d MiB: the report says the "
                  "kernel matrix of %d bytes is not used, %s: %s"
                  % (limit >> 20, matrix, want, used_in[3]))
        res.check(used_out[0] is True, "svr outside the cgroup: the "
                  "kernel matrix is used: %s" % used_out[3])
        res.check(len(files) == 2 and files["inside"] == files["outside"],
                  "svr inside and outside the cgroup: the model files "
                  "differ")
        print("  inside a cgroup of %d MiB (%s): %s" % (
            limit >> 20, d, used_in[3]), flush=True)
        print("  outside it: %s" % used_out[3], flush=True)

        # a model file over the limit: nginx -t refuses it inside only
        big = os.path.join(c.tmp, "big.mlp")
        with open(big, "wb") as f:
            f.truncate(limit + (16 << 20))
        prefix = os.path.join(c.tmp, "ngx-cgroup")
        os.makedirs(os.path.join(prefix, "logs"), exist_ok=True)
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write("load_module %s;\nerror_log %s/logs/error.log;\n"
                    "pid %s/logs/nginx.pid;\nevents {}\nhttp {\n"
                    "    server {\n        listen 127.0.0.1:1;\n"
                    "        location / { mlpredict %s; }\n    }\n}\n"
                    % (module, prefix, prefix, big))
        t = {}
        for side, pre in (("inside", inside), ("outside", [])):
            p = subprocess.run(pre + [nginx, "-t", "-p", prefix + "/",
                                      "-c", conf],
                               capture_output=True, text=True)
            t[side] = (p.returncode, p.stderr)
        msg = "larger than the machine's memory (%d bytes, physical or " \
              "the cgroup's limit)" % limit
        res.check(t["inside"][0] != 0 and big in t["inside"][1]
                  and msg in t["inside"][1],
                  "nginx -t inside the cgroup: %s refused with %r: %s"
                  % (big, msg, t["inside"][1][-400:]))
        res.check(t["outside"][0] != 0 and msg not in t["outside"][1],
                  "nginx -t outside the cgroup: refused for another "
                  "reason: %s" % t["outside"][1][-400:])
        print("  nginx -t inside it: %s" % [
            ln for ln in t["inside"][1].splitlines() if big in ln][:1],
            flush=True)
    finally:
        os.rmdir(d)


def http(c, P, nginx, module, port):
    """A trained model served by nginx answers as mlpredict predict."""
    res = c.res
    model = os.path.join(c.tmp, "served.mlp")
    c.train("logistic", P["grunfeld_high"], "high", model)
    df = read(P["grunfeld_high"])
    rows = df.drop(columns=["high"]).iloc[:40]
    rows.loc[3, "firm"] = "Nobody Inc"        # unknown: ignored
    rows.loc[5, "value"] = np.nan             # missing: imputed
    inst = [{k: (None if (isinstance(v, float) and math.isnan(v)) else
                 (v.item() if hasattr(v, "item") else v))
             for k, v in r.items()} for r in rows.to_dict("records")]
    body = json.dumps({"instances": inst}).encode()
    path = os.path.join(c.tmp, "body.json")
    with open(path, "wb") as f:
        f.write(body)
    cli = subprocess.run([c.cli, "predict", model, path],
                         capture_output=True, text=True, check=True).stdout
    ngx = Nginx(nginx, module, port, [("m", model)])
    err = ngx.start()
    if err:
        res.check(False, "nginx: %s" % err)
        return
    try:
        req = urllib.request.Request("http://127.0.0.1:%d/m" % port, body,
                                     {"Content-Type": "application/json"})
        got = urllib.request.urlopen(req, timeout=10).read().decode()
    finally:
        ngx.stop()
    res.check(json.loads(got) == json.loads(cli),
              "nginx answers as mlpredict predict:\n%s\n%s" % (got, cli))
    print("  nginx on port %d answers 40 rows as mlpredict predict" % port,
          flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--nginx", required=True)
    ap.add_argument("--module", required=True)
    ap.add_argument("--port", type=int, default=2001)
    ap.add_argument("--only", choices=("svm",), default=None,
                    help="svm: only the svm and svr agreement and the "
                    "kernel matrix checks")
    a = ap.parse_args()
    res = Result()
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="mlpredict-train-") as tmp:
        c = Case(os.path.abspath(a.cli), tmp, res)
        P = make_data(tmp)
        print("agreement with scikit-learn %s:" % __import__(
            "sklearn").__version__, flush=True)
        if a.only == "svm":
            agreement_svm(c, P)
            print("svm, svr: the kernel matrix and the sparse rows:",
                  flush=True)
            kernel_matrix(c, P)
            finish(res, t0)
        agreement(c, P)
        print("svm, svr: the kernel matrix and the sparse rows:", flush=True)
        kernel_matrix(c, P)
        print("refusals, --drop, the report, --test-size 0:", flush=True)
        refusals(c, P)
        print("auto:", flush=True)
        auto(c, P)
        print("liblbfgs's endings:", flush=True)
        lbfgs_ends(c, P)
        print("the memory limit of a cgroup:", flush=True)
        cgroup_limit(c, a.nginx, a.module)
        print("serving:", flush=True)
        http(c, P, a.nginx, a.module, a.port)
    finish(res, t0)


def finish(res, t0):
    print("train.py: %d passed, %d failed in %.0f s"
          % (res.passed, len(res.failed), time.time() - t0))
    for f in res.failed:
        print("FAILED:", f)
    sys.exit(1 if res.failed else 0)


if __name__ == "__main__":
    main()
