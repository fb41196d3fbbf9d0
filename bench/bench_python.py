#!/usr/bin/python3
"""The peers of bench_core, without HTTP: scikit-learn's predict and
predict_proba, and XGBoost's, in ns per row for batches of 1, 100 and 10,000
rows of the same data bench_core is given (the model's data set, cycled).

    /usr/bin/python3 bench/bench_python.py [-t SECONDS] [-r RUNS] [--json]
        [--xgb-out DIR] [--mixed DIR] [--svm DIR] [--nn DIR] [MODEL ...]

MODEL is an example of models/make_examples.py (fitted here exactly as it
fits it). With --xgb-out, an XGBoost classifier (100 trees, depth 10,
nthread=1) is trained on breast_cancer's training split, saved as
DIR/xgb_breast_cancer.json (for `mlpredict convert`) with its
predict_proba of the first 100 rows in DIR/xgb_breast_cancer.expect.json,
and timed. With --mixed, the pipeline of bench/make_mixed_model.py (its
DIR/sklearn.pkl: the fitted pipeline and the rows as DataFrames) is timed
on the rows of every body file DIR/expect.json lists, batch for batch:
predict_proba, and predict + predict_proba. With --svm, the support vector
machines of bench/make_svm_model.py (its DIR/sklearn.pkl: the fitted
pipelines and their rows) on batches of 1, 100 and 10,000 of those rows
(cycled as bench_core cycles them; a batch larger than the rows saved is
skipped): the SVC's predict + predict_proba and predict_proba, the SVR's
predict. With --nn, the networks of bench/make_nn_model.py (its
DIR/nets.pkl): the MLP's predict_proba and the PyTorch network's forward.
With --xgb-out, also XGBoost's pred_contribs (TreeSHAP) of the same rows.
Single-threaded throughout
(BLAS and OpenMP: one thread). Each measurement lasts at least SECONDS
(default 0.2); the best of RUNS (default 5) is kept.
"""

import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import common  # noqa: E402

BATCHES = (1, 100, common.MAX_ROWS)


def batches(X, b):
    """A function giving the next b rows at each call, cycling through X
    (as bench_core does: a batch of 1 is a different row each time)."""
    views = [X[i:i + b] for i in range(0, X.shape[0] - b + 1, b)]
    it = itertools.cycle(views)
    return lambda: next(it)


def measure(fn, min_time, runs):
    """Best time of one call of fn() in ns."""
    fn()
    n = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        t = time.perf_counter() - t0
        if t >= min_time / 4:
            break
        n = max(n * 2, int(n * min_time / 4 * 1.2 / max(t, 1e-9)) + 1)
    n = max(1, int(n * min_time / max(t, 1e-9)))
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        for _ in range(n):
            fn()
        best = min(best, (time.perf_counter() - t0) / n)
    return best * 1e9


def report(out, args, **kw):
    if args.json:
        print(json.dumps(kw), file=out, flush=True)
    else:
        print("  %-28s batch %5d: %12.1f ns/row" % (
            kw["lib"] + " " + kw["what"], kw["batch"], kw["ns_per_row"]),
            file=out, flush=True)


def bench_sklearn(name, args):
    model, _, _ = common.make_examples.build(name)
    X = common.rows(name)
    if not args.json:
        print("%s (scikit-learn %s)" % (name, type(model).__name__))
    classifier = hasattr(model, "predict_proba")
    for b in BATCHES:
        nxt = batches(X, b)
        calls = [("predict", lambda: model.predict(nxt()))]
        if classifier:
            calls.append(("predict_proba", lambda: model.predict_proba(nxt())))

            def both():
                Xb = nxt()
                return model.predict(Xb), model.predict_proba(Xb)
            calls.append(("predict+predict_proba", both))
        for what, fn in calls:
            t = measure(fn, args.t, args.r)
            report(sys.stdout, args, model=name, lib="sklearn", what=what,
                   batch=b, ns_per_row=round(t / b, 2))


def bench_xgboost(outdir, args):
    import xgboost as xgb
    from sklearn import datasets
    ds, _ = common.make_examples._dataset(datasets.load_breast_cancer)
    X_train, _, y_train, _ = common.make_examples._split(
        np.asarray(ds.data, dtype=float), ds.target)
    clf = xgb.XGBClassifier(n_estimators=100, max_depth=10, n_jobs=1,
                            random_state=0)
    clf.fit(X_train, y_train)
    os.makedirs(outdir, exist_ok=True)
    path = os.path.join(outdir, "xgb_breast_cancer.json")
    clf.save_model(path)
    booster = clf.get_booster()
    booster.set_param({"nthread": 1})

    X = common.rows("breast_cancer")
    with open(os.path.join(outdir, "xgb_breast_cancer.expect.json"), "w") as f:
        json.dump(clf.predict_proba(X[:100]).tolist(), f)
    if not args.json:
        print("xgb_breast_cancer (XGBoost %s, 100 trees, depth 10, nthread=1)"
              % xgb.__version__)
    for b in BATCHES:
        nxt = batches(X, b)

        def both():
            Xb = nxt()
            return clf.predict(Xb), clf.predict_proba(Xb)
        calls = [
            ("predict+predict_proba", both),
            ("predict_proba", lambda: clf.predict_proba(nxt())),
            ("booster.inplace_predict",
             lambda: booster.inplace_predict(nxt())),
            ("DMatrix+booster.predict",
             lambda: booster.predict(xgb.DMatrix(nxt(), nthread=1))),
        ]
        for what, fn in calls:
            t = measure(fn, args.t, args.r)
            report(sys.stdout, args, model="xgb_breast_cancer", lib="xgboost",
                   what=what, batch=b, ns_per_row=round(t / b, 2))
        # TreeSHAP: the contributions bench_core -w explain times
        dms = [xgb.DMatrix(X[i:i + b], nthread=1)
               for i in range(0, X.shape[0] - b + 1, b)]
        it = itertools.cycle(dms)
        for what, fn in (
                ("pred_contribs", lambda: booster.predict(
                    next(it), pred_contribs=True)),
                ("DMatrix+pred_contribs", lambda: booster.predict(
                    xgb.DMatrix(nxt(), nthread=1), pred_contribs=True))):
            t = measure(fn, args.t, args.r)
            report(sys.stdout, args, model="xgb_breast_cancer", lib="xgboost",
                   what=what, batch=b, ns_per_row=round(t / b, 2))


def frame_batches(X, b):
    """As batches(), for a DataFrame: the slices are made before timing, so
    that slicing is not charged to scikit-learn."""
    views = [X.iloc[i:i + b] for i in range(0, X.shape[0] - b + 1, b)]
    it = itertools.cycle(views)
    return lambda: next(it)


def bench_mixed(d, args):
    import pickle
    with open(os.path.join(d, "sklearn.pkl"), "rb") as f:
        saved = pickle.load(f)
    with open(os.path.join(d, "expect.json")) as f:
        files = json.load(f)["files"]
    model = saved["model"]
    if not args.json:
        print("mixed (scikit-learn Pipeline(ColumnTransformer, "
              "LogisticRegression) on a DataFrame)")
    for spec in files:
        b = spec["batch"]
        nxt = frame_batches(saved[spec["set"]], b)

        def both():
            Xb = nxt()
            return model.predict(Xb), model.predict_proba(Xb)
        for what, fn in (("predict_proba", lambda: model.predict_proba(nxt())),
                         ("predict+predict_proba", both)):
            t = measure(fn, args.t, args.r)
            report(sys.stdout, args, model="mixed", lib="sklearn", what=what,
                   batch=b, file=spec["file"], ns_per_row=round(t / b, 2))


def bench_svm(d, args):
    import pickle
    with open(os.path.join(d, "sklearn.pkl"), "rb") as f:
        saved = pickle.load(f)
    for name in sorted(saved):
        model = saved[name]["model"]
        X = saved[name]["X"]
        if not args.json:
            print("%s (scikit-learn Pipeline(StandardScaler, %s), %d support "
                  "vectors)" % (name, type(model[-1]).__name__,
                                model[-1].support_.shape[0]))
        for b in BATCHES:
            if b > X.shape[0]:
                continue
            nxt = batches(X, b)
            if hasattr(model, "predict_proba"):
                def both():
                    Xb = nxt()
                    return model.predict(Xb), model.predict_proba(Xb)
                calls = [("predict+predict_proba", both),
                         ("predict_proba", lambda: model.predict_proba(nxt()))]
            else:
                calls = [("predict", lambda: model.predict(nxt()))]
            for what, fn in calls:
                t = measure(fn, args.t, args.r)
                report(sys.stdout, args, model=name, lib="sklearn", what=what,
                       batch=b, ns_per_row=round(t / b, 2))


def bench_nn(d, args):
    """bench/make_nn_model.py's networks: scikit-learn's predict_proba (and
    predict + predict_proba) of the MLP, and the PyTorch network's forward
    (torch.set_num_threads(1), no_grad, eval; each batch a float32 tensor
    made before timing, so only the forward is charged)."""
    import pickle
    import torch
    from make_nn_model import torch_net
    with open(os.path.join(d, "nets.pkl"), "rb") as f:
        saved = pickle.load(f)
    torch.set_num_threads(1)
    mlp, X = saved["mlp"], saved["X"]
    net = torch_net(saved["n_in"], 10)
    net.load_state_dict(saved["torch_state"])
    net.eval()
    if not args.json:
        print("mlp_digits (scikit-learn MLPClassifier) and torch_digits "
              "(PyTorch %s, 1 thread)" % torch.__version__)
    for b in BATCHES:
        if b > X.shape[0]:
            continue
        nxt = batches(X, b)

        def both():
            Xb = nxt()
            return mlp.predict(Xb), mlp.predict_proba(Xb)
        for what, fn in (("predict_proba", lambda: mlp.predict_proba(nxt())),
                         ("predict+predict_proba", both)):
            t = measure(fn, args.t, args.r)
            report(sys.stdout, args, model="mlp_digits", lib="sklearn",
                   what=what, batch=b, ns_per_row=round(t / b, 2))
        views = [torch.tensor(X[i:i + b], dtype=torch.float32)
                 for i in range(0, X.shape[0] - b + 1, b)]
        it = itertools.cycle(views)

        def forward():
            with torch.no_grad():
                return net(next(it))
        t = measure(forward, args.t, args.r)
        report(sys.stdout, args, model="torch_digits", lib="torch",
               what="forward", batch=b, ns_per_row=round(t / b, 2))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("-t", type=float, default=0.2)
    p.add_argument("-r", type=int, default=5)
    p.add_argument("--json", action="store_true")
    p.add_argument("--xgb-out")
    p.add_argument("--nn")
    p.add_argument("--mixed")
    p.add_argument("--svm")
    p.add_argument("models", nargs="*")
    args = p.parse_args()
    for name in args.models:
        bench_sklearn(name, args)
    if args.xgb_out:
        bench_xgboost(args.xgb_out, args)
    if args.mixed:
        bench_mixed(args.mixed, args)
    if args.svm:
        bench_svm(args.svm, args)
    if args.nn:
        bench_nn(args.nn, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
