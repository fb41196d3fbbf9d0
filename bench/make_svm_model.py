#!/usr/bin/python3
"""The support vector machines of the benchmark (issue 9), exported as
kind 4 files, with the rows, the request bodies and scikit-learn's answers
for the same rows.

    /usr/bin/python3 bench/make_svm_model.py OUTDIR [--rows 10000]

    svc_digits  Pipeline(StandardScaler, SVC(probability=True,
                random_state=0)): RBF, gamma="scale", C=1; digits (64
                features, named pixel_0_0 ... pixel_7_7, 10 classes), fitted
                on its first 1,500 rows. The benchmark rows: the whole data
                set (1,797 rows) in order, cycled to 10,000.
    svr_synth   Pipeline(StandardScaler, SVR()): RBF, gamma="scale", C=1,
                epsilon=0.1; make_regression(12,000 rows, 20 features, 10
                informative, noise 10, random_state=0), the target divided
                by its standard deviation; fitted on the first 2,000 rows.
                The benchmark rows: the 10,000 others.

For each model NAME, OUTDIR receives:

    NAME.mlp            the model (models/mlpredict_export.py's export)
    NAME.f64            the rows as little-endian doubles (bench_core's
                        MODEL=ROWS)
    NAME_bodies_1.jsonl       one named row a line
    NAME_bodies_100.jsonl     {"instances": [100 rows as arrays]} a line
    NAME_bodies_10000.jsonl   {"instances": [all the rows]}
    NAME_row.json       one named row (the HTTP case)

and, for both:

    expect.json         per model: classes, scikit-learn's predict (and
                        predict_proba) of every row, the support vector
                        counts, the body files
    sklearn.pkl         the fitted models and their rows (for
                        bench_python.py --svm)

Numbers are written as Python writes them (the shortest form that reads
back). Deterministic.
"""

import argparse
import json
import os
import pickle
import sys

import numpy as np

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = os.path.join(ROOT, "models")
if MODELS not in sys.path:
    sys.path.insert(0, MODELS)

BATCHES = (1, 100, 10000)
NAMES = ("svc_digits", "svr_synth")


def digits(n_rows):
    from sklearn import datasets
    ds = datasets.load_digits()
    X = np.asarray(ds.data, dtype=float)
    names = list(ds.feature_names)
    return X[:1500], ds.target[:1500], X[np.arange(n_rows) % X.shape[0]], \
        names


def synth(n_rows):
    from sklearn.datasets import make_regression
    X, y = make_regression(n_samples=12000, n_features=20,
                           n_informative=10, noise=10.0, random_state=0)
    y = y / y.std()
    return X[:2000], y[:2000], X[2000:2000 + n_rows], \
        ["x%d" % j for j in range(20)]


def build(name, n_rows):
    """(model, X_bench, feature names), the model fitted."""
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC, SVR
    if name == "svc_digits":
        X, y, X_bench, names = digits(n_rows)
        est = SVC(kernel="rbf", probability=True, random_state=0)
    else:
        X, y, X_bench, names = synth(n_rows)
        est = SVR(kernel="rbf")
    model = Pipeline([("scale", StandardScaler()), ("svm", est)])
    model.fit(X, y)
    return model, np.ascontiguousarray(X_bench), names


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def _bodies(path, X, names, b):
    rows = X.tolist()
    with open(path, "w") as f:
        for i in range(0, len(rows) - b + 1, b):
            if b == 1:
                f.write(dumps(dict(zip(names, rows[i]))) + "\n")
            else:
                f.write(dumps({"instances": rows[i:i + b]}) + "\n")


def write(outdir, n_rows=10000):
    """Everything in outdir; returns a dict describing it."""
    from mlpredict_export import export
    os.makedirs(outdir, exist_ok=True)
    out = {"dir": outdir, "rows": n_rows, "models": {}}
    saved = {}
    for name in NAMES:
        model, X, names = build(name, n_rows)
        path = os.path.join(outdir, name + ".mlp")
        info = export(model, path, feature_names=names)
        X.astype("<f8").tofile(os.path.join(outdir, name + ".f64"))
        files = []
        for b in BATCHES:
            if b <= n_rows:
                files.append({"file": "%s_bodies_%d.jsonl" % (name, b),
                              "batch": b})
                _bodies(os.path.join(outdir, files[-1]["file"]), X, names, b)
        with open(os.path.join(outdir, name + "_row.json"), "w") as f:
            f.write(dumps(dict(zip(names, X[0].tolist()))))
        svm = model[-1]
        e = {"path": path, "size": info["size"], "files": files,
             "n_features": X.shape[1], "n_sv": int(svm.support_.shape[0]),
             "gamma": float(svm._gamma),
             "classifier": hasattr(svm, "classes_")}
        if e["classifier"]:
            e["classes"] = [int(c) for c in svm.classes_]
            e["labels"] = [int(v) for v in model.predict(X)]
            e["proba"] = model.predict_proba(X).tolist()
        else:
            e["values"] = model.predict(X).tolist()
        out["models"][name] = e
        saved[name] = {"model": model, "X": X}
    with open(os.path.join(outdir, "expect.json"), "w") as f:
        json.dump(out, f)
    with open(os.path.join(outdir, "sklearn.pkl"), "wb") as f:
        pickle.dump(saved, f)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir")
    p.add_argument("--rows", type=int, default=10000)
    a = p.parse_args()
    d = write(a.outdir, a.rows)
    for name, e in d["models"].items():
        print("%s: %d bytes; %d features, %d support vectors; %s"
              % (e["path"], e["size"], e["n_features"], e["n_sv"],
                 ", ".join(f["file"] for f in e["files"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
