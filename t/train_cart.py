#!/usr/bin/python3
"""The CART trainer (core/train/mlp_cart.c) against scikit-learn.

    /usr/bin/python3 t/train_cart.py --driver build/cart_driver \
        --cli build/mlpredict

For each data set (iris, wine, breast_cancer, digits, diabetes, and
synthetic sets whose values repeat, one-hot blocks among them, so that ties
between equally good splits occur), the same training rows go to scikit-learn and, as a CSV (%.17g, read
back to the same doubles), to build/cart_driver, which fits mlp_cart_fit,
writes the model with mlp_cart_write and prints mlp_cart_predict's outputs
of the held-out rows. The written file is predicted by
`mlpredict predict MODEL TEST.csv --csv`, the real predictor.

  tree     DecisionTreeClassifier/Regressor with the same options and
           random_state: the same predictions on at least 99% of held-out
           rows (issue 13), labels for a classifier, values within 1e-9
           relative for a regressor; reported, how many are exactly equal;
  layout   the tree's sections (tree_params, tree_roots, nodes,
           leaf_values, node_cover) byte for byte those that
           models/mlpredict_export.py writes of scikit-learn's tree (the
           trainer grows scikit-learn's trees, not only as good ones);
  file     the file's predictions equal mlp_cart_predict's (1e-15);
  forest   RandomForestClassifier/Regressor, same options, 5 seeds:
           held-out accuracy (R^2) within 0.01 of scikit-learn's for every
           seed; reported, the share of equal predictions;
  explain  `mlpredict explain` of a tree: base value = the training class
           frequencies (the target's mean), from node_cover; contributions
           plus base value = the prediction;
  refused  bad options and data are refused with a message naming them,
           and no file is written.

One line per check, then "N passed, N failed"; exit status 1 on failure.
"""

import argparse
import json
import math
import os
import shutil
import struct
import subprocess
import sys
import tempfile

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

from mlpredict_export import export  # noqa: E402

from sklearn import datasets  # noqa: E402
from sklearn.ensemble import (RandomForestClassifier,  # noqa: E402
                              RandomForestRegressor)
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.tree import (DecisionTreeClassifier,  # noqa: E402
                          DecisionTreeRegressor)

TREE_SECTIONS = (30, 31, 34, 35, 51)


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, why, detail=""):
        if why:
            self.failed += 1
            print("FAILED  %s: %s" % (name, str(why)[:2000]))
        else:
            self.passed += 1
            print("ok      %s%s" % (name, (" (%s)" % detail) if detail
                                    else ""))
        sys.stdout.flush()


def run(*args):
    p = subprocess.run(list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def write_csv(path, X, y=None, w=None):
    cols = [X]
    names = ["f%d" % j for j in range(X.shape[1])]
    if w is not None:
        cols.append(w.reshape(-1, 1))
        names.append("weight")
    if y is not None:
        cols.append(np.asarray(y, dtype=np.float64).reshape(-1, 1))
        names.append("label")
    np.savetxt(path, np.hstack(cols), delimiter=",", fmt="%.17g",
               header=",".join(names), comments="")


def sections(path):
    """id -> bytes of a model file's sections (models/FORMAT.md)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack_from("<I", data, 44)[0]
    off = struct.unpack_from("<Q", data, 48)[0]
    out = {}
    for s in range(n):
        sid, _dtype, o, size, _count = struct.unpack_from("<IIQQQ", data,
                                                          off + 32 * s)
        out[sid] = data[o:o + size]
    return out


def sklearn_opts(o, d):
    kw = {}
    if "criterion" in o:
        kw["criterion"] = o["criterion"]
    if "max_depth" in o:
        kw["max_depth"] = o["max_depth"]
    if "min_samples_split" in o:
        kw["min_samples_split"] = o["min_samples_split"]
    if "min_samples_leaf" in o:
        kw["min_samples_leaf"] = o["min_samples_leaf"]
    kw["max_features"] = o.get("max_features") or None
    return kw


def driver_args(o, k, seed):
    args = ["--classes", str(k), "--seed", str(seed)]
    for key in ("criterion", "max_depth", "min_samples_split",
                "min_samples_leaf", "max_features"):
        if o.get(key):
            args += ["--" + key.replace("_", "-"), str(o[key])]
    return args


class Case:
    def __init__(self, name, X, y, k, w=None):
        self.name = name
        self.k = k
        idx = np.arange(X.shape[0])
        tr, te = train_test_split(idx, test_size=0.25, random_state=0,
                                  stratify=y if k else None)
        self.Xtr, self.Xte = X[tr], X[te]
        self.ytr, self.yte = y[tr], y[te]
        self.wtr = None if w is None else w[tr]


def fit_ours(args, tmp, case, extra, model):
    train = os.path.join(tmp, "train.csv")
    test = os.path.join(tmp, "test.csv")
    write_csv(train, case.Xtr, case.ytr, case.wtr)
    write_csv(test, case.Xte)
    cmd = [args.driver, train, model, "--predict", test] + extra
    if case.wtr is not None:
        cmd.append("--weights")
    rc, out, err = run(*cmd)
    if rc != 0:
        raise RuntimeError("cart_driver failed: %s" % err.strip())
    mem = np.loadtxt(out.splitlines(), delimiter=",", ndmin=2)
    rc, out, err = run(args.cli, "predict", model, test, "--csv")
    if rc != 0:
        raise RuntimeError("mlpredict predict failed: %s" % err.strip())
    lines = out.splitlines()
    f = np.loadtxt(lines[1:], delimiter=",", ndmin=2)
    # classifier: prediction, proba_0..; regressor: prediction
    filed = f[:, 1:] if case.k else f[:, :1]
    return mem, filed, f[:, 0]


def compare_file(res, name, mem, filed):
    bad = np.abs(mem - filed) > 1e-15 * np.maximum(1.0, np.abs(mem))
    res.check("file    %s" % name,
              "%d of %d values differ, first %s vs %s" % (
                  bad.sum(), bad.size, mem[bad][:1], filed[bad][:1])
              if bad.any() else "",
              "%d rows through mlpredict predict" % mem.shape[0])


def test_tree(res, args, tmp, case, o, seed):
    label = "%s %s seed %d" % (case.name, o.get("tag", "default"), seed)
    model = os.path.join(tmp, "tree.mlp")
    kw = sklearn_opts(o, case.Xtr.shape[1])
    est = (DecisionTreeClassifier if case.k else DecisionTreeRegressor)(
        random_state=seed, **kw)
    est.fit(case.Xtr, case.ytr, sample_weight=case.wtr)
    try:
        mem, filed, labels = fit_ours(args, tmp, case,
                                      driver_args(o, case.k, seed), model)
    except RuntimeError as e:
        res.check("tree    %s" % label, e)
        return
    if case.k:
        ref = est.predict_proba(case.Xte)
        same = np.mean(mem.argmax(axis=1) == ref.argmax(axis=1))
        exact = np.mean(np.all(mem == ref, axis=1))
        lab_ok = np.mean(labels == est.predict(case.Xte))
        why = "" if same >= 0.99 and lab_ok >= 0.99 else (
            "labels equal on %.4f (file %.4f) of %d rows" % (
                same, lab_ok, len(case.yte)))
    else:
        ref = est.predict(case.Xte).reshape(-1, 1)
        close = np.abs(mem - ref) <= 1e-9 * np.maximum(1.0, np.abs(ref))
        same = np.mean(close)
        exact = np.mean(mem == ref)
        why = "" if same >= 0.99 else (
            "values within 1e-9 on %.4f of %d rows" % (same, len(case.yte)))
    res.check("tree    %s" % label, why,
              "same %.4f, exactly equal %.4f, %d nodes (sklearn %d)" % (
                  same, exact, sections(model)[34].__len__() // 16,
                  est.tree_.node_count))
    compare_file(res, "tree %s" % label, mem, filed)
    ref_path = os.path.join(tmp, "sk.mlp")
    export(est, ref_path)
    a, b = sections(model), sections(ref_path)
    diff = [s for s in TREE_SECTIONS if a.get(s) != b.get(s)]
    res.check("layout  %s" % label,
              "sections %s differ from the exporter's" % diff
              if diff else "",
              "sections %s as the exporter writes them" % (
                  list(TREE_SECTIONS),))


def test_forest(res, args, tmp, case, o, n_trees):
    model = os.path.join(tmp, "forest.mlp")
    kw = sklearn_opts(o, case.Xtr.shape[1])
    diffs, shares = [], []
    why = ""
    for seed in range(5):
        est = (RandomForestClassifier if case.k else RandomForestRegressor)(
            n_estimators=n_trees, random_state=seed, n_jobs=1, **kw)
        est.fit(case.Xtr, case.ytr, sample_weight=case.wtr)
        extra = driver_args(o, case.k, seed) + ["--forest", str(n_trees)]
        try:
            mem, filed, labels = fit_ours(args, tmp, case, extra, model)
        except RuntimeError as e:
            why = str(e)
            break
        if case.k:
            ours = accuracy_score(case.yte, mem.argmax(axis=1))
            theirs = accuracy_score(case.yte, est.predict(case.Xte))
            shares.append(np.mean(mem.argmax(axis=1)
                                  == est.predict(case.Xte)))
        else:
            ours = r2_score(case.yte, mem[:, 0])
            theirs = r2_score(case.yte, est.predict(case.Xte))
            shares.append(np.mean(np.isclose(mem[:, 0], est.predict(
                case.Xte), rtol=1e-9, atol=0)))
        diffs.append(ours - theirs)
        if abs(ours - theirs) > 0.01:
            why = "seed %d: %s %.4f, scikit-learn %.4f" % (
                seed, "accuracy" if case.k else "R2", ours, theirs)
        if seed == 0:
            compare_file(res, "forest %s %s" % (case.name,
                                                o.get("tag", "default")),
                         mem, filed)
    res.check("forest  %s %s, %d trees" % (case.name, o.get("tag", "default"),
                                           n_trees), why,
              "%s differences %s, predictions equal on %s" % (
                  "accuracy" if case.k else "R2",
                  " ".join("%+.4f" % v for v in diffs),
                  " ".join("%.3f" % v for v in shares)))


def test_explain(res, args, tmp, case):
    model = os.path.join(tmp, "explain.mlp")
    try:
        mem, _f, _l = fit_ours(args, tmp, case,
                               driver_args({}, case.k, 0), model)
    except RuntimeError as e:
        res.check("explain %s" % case.name, e)
        return
    rows = [list(map(float, r)) for r in case.Xte[:3]]
    body = json.dumps({"instances": rows})
    p = subprocess.run([args.cli, "explain", model], input=body.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=60)
    if p.returncode != 0:
        res.check("explain %s" % case.name, p.stderr.decode())
        return
    ans = json.loads(p.stdout)["predictions"]
    if case.k:
        freq = np.bincount(case.ytr.astype(int), minlength=case.k) \
            / len(case.ytr)
        base = np.array([ans[0]["base_value"][str(c)]
                         for c in range(case.k)])
    else:
        freq = np.array([case.ytr.mean()])
        base = np.array([ans[0]["base_value"]])
    why = ""
    if not np.allclose(base, freq, rtol=1e-12, atol=1e-12):
        why = "base value %s, training mean %s" % (base, freq)
    for r, a in enumerate(ans):
        if case.k:
            for c in range(case.k):
                s = sum(a["contributions"][str(c)].values()) \
                    + a["base_value"][str(c)]
                if abs(s - mem[r, c]) > 1e-9:
                    why = "row %d class %d: %r, prediction %r" % (
                        r, c, s, mem[r, c])
        else:
            s = sum(a["contributions"].values()) + a["base_value"]
            if abs(s - mem[r, 0]) > 1e-9 * max(1, abs(mem[r, 0])):
                why = "row %d: %r, prediction %r" % (r, s, mem[r, 0])
    res.check("explain %s" % case.name, why,
              "base = training mean, contributions add up")


def test_refused(res, args, tmp):
    ok = os.path.join(tmp, "ok.csv")
    X = np.arange(12, dtype=float).reshape(6, 2)
    y = np.array([0, 1, 0, 1, 1, 0], dtype=float)
    write_csv(ok, X, y)
    cases = [
        ("min_samples_leaf 0", ok, ["--classes", "2", "--min-samples-leaf",
                                    "0"], "min_samples_leaf 0"),
        ("min_samples_split 1", ok, ["--classes", "2",
                                     "--min-samples-split", "1"],
         "min_samples_split 1"),
        ("max_features > d", ok, ["--classes", "2", "--max-features", "3"],
         "max_features 3"),
        ("forest of 0 trees", ok, ["--classes", "2", "--forest", "0"],
         "n_estimators 0"),
        ("one class", ok, ["--classes", "1"], "1 classes"),
        ("class out of range", ok, ["--classes", "2", "--criterion",
                                    "gini", "--max-depth", "2"], None),
        ("gini for regression", ok, ["--classes", "0", "--criterion",
                                     "gini"], "criterion gini"),
        ("squared_error for classes", ok, ["--classes", "2", "--criterion",
                                           "squared_error"],
         "criterion squared_error"),
    ]
    bad_y = os.path.join(tmp, "bady.csv")
    write_csv(bad_y, X, np.array([0, 1, 2, 1, 1, 0], dtype=float))
    cases[5] = ("class out of range", bad_y, ["--classes", "2"],
                "class 2 is not an index")
    for what, cell in (("NaN", "nan"), ("infinity", "inf"),
                       ("beyond float32", "1e39")):
        path = os.path.join(tmp, "bad_%s.csv" % cell)
        with open(path, "w") as f:
            f.write("a,b,label\n1,2,0\n3,%s,1\n5,6,0\n" % cell)
        cases.append((what + " in x", path, ["--classes", "2"],
                      "row 2, column 2"))
    empty = os.path.join(tmp, "empty.csv")
    with open(empty, "w") as f:
        f.write("a,b,label\n")
    cases.append(("no rows", empty, ["--classes", "2"], "no training rows"))
    wneg = os.path.join(tmp, "wneg.csv")
    write_csv(wneg, X, y, np.array([1, 1, -1, 1, 1, 1], dtype=float))
    cases.append(("negative weight", wneg, ["--classes", "2", "--weights"],
                  "weight -1"))
    for what, path, extra, want in cases:
        model = os.path.join(tmp, "refused.mlp")
        if os.path.exists(model):
            os.unlink(model)
        rc, out, err = run(args.driver, path, model, *extra)
        why = ""
        if rc == 0:
            why = "accepted"
        elif want not in err:
            why = "message %r lacks %r" % (err.strip(), want)
        elif os.path.exists(model):
            why = "a model file was written"
        res.check("refused %s" % what, why, err.strip())


def data_sets():
    out = []
    X, y = datasets.load_iris(return_X_y=True)
    out.append(Case("iris", X, y, 3))
    X, y = datasets.load_wine(return_X_y=True)
    out.append(Case("wine", X, y, 3))
    X, y = datasets.load_breast_cancer(return_X_y=True)
    out.append(Case("breast_cancer", X, y, 2))
    # integer pixels: many equal values and equally good splits
    X, y = datasets.load_digits(return_X_y=True)
    out.append(Case("digits", X, y, 10))
    X, y = datasets.load_diabetes(return_X_y=True)
    out.append(Case("diabetes", X, y, 0))
    rng = np.random.RandomState(7)
    X, y = datasets.make_regression(n_samples=3000, n_features=12,
                                    n_informative=6, noise=5.0,
                                    random_state=3)
    X = np.round(X, 1)      # repeated values
    out.append(Case("synthetic_regression", X, y, 0))
    # one-hot blocks beside numbers, as `mlpredict train` prepares
    # categorical columns: complementary columns make mirrored, equally
    # good splits everywhere
    cats = rng.randint(0, 4, size=(3000, 3))
    onehot = np.hstack([(cats[:, [j]] == np.arange(4)).astype(float)
                        for j in range(3)])
    num = np.round(rng.normal(size=(3000, 2)), 2)
    X = np.hstack([num, onehot])
    y = cats @ np.array([1.0, -2.0, 0.5]) + num[:, 0] * 3 \
        + rng.normal(size=3000)
    out.append(Case("onehot_regression", X, y, 0))
    out.append(Case("onehot_classification", X,
                    (y > np.median(y)).astype(float) + (y > 3), 3))
    X, y = datasets.make_classification(n_samples=4000, n_features=16,
                                        n_informative=8, n_classes=3,
                                        random_state=5)
    X = np.round(X * 2) / 2
    out.append(Case("synthetic_weighted", X, y, 3,
                    w=rng.randint(1, 4, size=len(y)).astype(float)))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", default=os.path.join(ROOT, "build",
                                                      "cart_driver"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "build",
                                                   "mlpredict"))
    args = ap.parse_args()
    res = Results()
    tmp = tempfile.mkdtemp(prefix="train_cart.")
    try:
        cases = data_sets()
        for case in cases:
            d = case.Xtr.shape[1]
            trees = [{"tag": "default"},
                     {"tag": "depth5_leaf3_split10", "max_depth": 5,
                      "min_samples_leaf": 3, "min_samples_split": 10},
                     {"tag": "max_features%d" % max(1, int(math.sqrt(d))),
                      "max_features": max(1, int(math.sqrt(d)))}]
            if case.k:
                trees.append({"tag": "entropy", "criterion": "entropy"})
            for o in trees:
                for seed in (0, 1):
                    test_tree(res, args, tmp, case, o, seed)
            if case.k:
                fo = {"tag": "sqrt", "max_features":
                      max(1, int(math.sqrt(d)))}
            else:
                fo = {"tag": "all"}
            test_forest(res, args, tmp, case, fo,
                        25 if case.Xtr.shape[0] < 2000 else 10)
        c = cases[2]
        test_forest(res, args, tmp, c,
                    {"tag": "entropy_depth6_leaf2", "criterion": "entropy",
                     "max_depth": 6, "min_samples_leaf": 2,
                     "max_features": 5}, 15)
        test_explain(res, args, tmp, cases[0])
        test_explain(res, args, tmp, cases[4])
        test_refused(res, args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (res.passed, res.failed))
    sys.exit(1 if res.failed else 0)


if __name__ == "__main__":
    main()
