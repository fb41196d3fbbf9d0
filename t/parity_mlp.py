#!/usr/bin/python3
"""Parity of scikit-learn's MLPClassifier and MLPRegressor (kind 5).

Networks are trained here on the bundled data sets (iris, breast_cancer,
wine, digits, diabetes), alone and behind the preprocessing the exporter
supports, exported with models/mlpredict_export.py and asked through the
mlpredict CLI and nginx. Every probability and output is compared with
scikit-learn's own predict_proba / predict on the same rows: within 1e-12
relative (|got - want| <= 1e-12 * max(|want|, 1e-300)), or, where a value
is the tiny difference of large terms, 1e-12 of the largest magnitude in
that row; labels must equal predict's. The worst relative error seen is
printed per check and overall.

One line per check, then "N passed, N failed"; exit status 1 on a failure.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "models"))
sys.path.insert(0, HERE)

from mlpredict_export import export  # noqa: E402
from parity_svm import Nginx, Results  # noqa: E402

RTOL = 1e-12
TIMEOUT = 120
warnings.filterwarnings("ignore")


class Worst:
    def __init__(self):
        self.rel = 0.0
        self.where = ""

    def see(self, rel, where):
        if rel > self.rel:
            self.rel, self.where = rel, where


WORST = Worst()


def datasets():
    from sklearn import datasets as ds
    out = {}
    for name, fn in (("iris", ds.load_iris), ("breast_cancer",
                                               ds.load_breast_cancer),
                     ("wine", ds.load_wine), ("digits", ds.load_digits),
                     ("diabetes", ds.load_diabetes)):
        X, y = fn(return_X_y=True)
        out[name] = (np.asarray(X, dtype=np.float64), y)
    return out


def specs(data):
    """(name, model, X, kind) with kind 'proba', 'value' or 'multilabel'"""
    from sklearn.neural_network import MLPClassifier, MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler, MinMaxScaler
    out = []
    rs = 0
    for ds in ("iris", "breast_cancer", "wine", "digits"):
        X, y = data[ds]
        for act, hidden in (("relu", (32,)), ("tanh", (16, 8)),
                            ("logistic", (20,)), ("identity", (8,)),
                            ("relu", (64, 32, 16))):
            rs += 1
            clf = MLPClassifier(hidden_layer_sizes=hidden, activation=act,
                                max_iter=60, random_state=rs)
            model = make_pipeline(StandardScaler(), clf) if ds != "digits" \
                else make_pipeline(MinMaxScaler(), clf)
            model.fit(X, y)
            out.append(("%s_%s_%s" % (ds, act, "x".join(map(str, hidden))),
                        model, X, "proba"))
    # string labels, a bare network (format 1 path with no scaler)
    X, y = data["iris"]
    lab = np.array(["setosa", "versicolor", "virginica"])[y]
    out.append(("iris_strings_bare",
                MLPClassifier((10,), max_iter=80, random_state=1).fit(X, lab),
                X, "proba"))
    # binary through a scaler in format 1
    X, y = data["breast_cancer"]
    out.append(("breast_cancer_v1_scaler",
                make_pipeline(StandardScaler(),
                              MLPClassifier((12,), max_iter=50,
                                            random_state=2)).fit(X, y),
                X, "proba"))
    # multilabel: digits' parity, >= 5, multiple of 3
    X, y = data["digits"]
    Y = np.stack([y % 2, y >= 5, y % 3 == 0], axis=1).astype(int)
    out.append(("digits_multilabel",
                make_pipeline(MinMaxScaler(),
                              MLPClassifier((30,), max_iter=60,
                                            random_state=3)).fit(X, Y),
                X, "multilabel"))
    # regressors: one target and several
    X, y = data["diabetes"]
    for act, hidden in (("relu", (50,)), ("tanh", (20, 10)),
                        ("logistic", (16,)), ("identity", ())):
        rs += 1
        model = make_pipeline(StandardScaler(),
                              MLPRegressor(hidden_layer_sizes=hidden,
                                           activation=act, max_iter=200,
                                           random_state=rs)).fit(X, y)
        out.append(("diabetes_%s_%s" % (act, "x".join(map(str, hidden))
                                        or "none"), model, X, "value"))
    Y2 = np.stack([y, np.log(y), X[:, 2] * 100], axis=1)
    out.append(("diabetes_3_targets",
                make_pipeline(StandardScaler(),
                              MLPRegressor((32, 16), max_iter=200,
                                           random_state=9)).fit(X, Y2),
                X, "value"))
    return out


def wants(model, X, kind):
    if kind == "proba":
        return model.predict(X), model.predict_proba(X)
    if kind == "multilabel":
        return None, model.predict_proba(X)
    v = model.predict(X)
    return None, v.reshape(len(X), -1)


def rel(got, want):
    """the error relative to the value, or where the value is a small
    difference of the row's larger values, to the row's largest"""
    return abs(got - want) / max(abs(want), 1e-300)


def compare(resp, X, labels, values, kind, batch, where):
    """None or the first mismatch; updates the worst case"""
    rows = resp["predictions"] if batch else [resp]
    if len(rows) != len(X):
        return "%d answers for %d rows" % (len(rows), len(X))
    worst = 0.0
    for i, row in enumerate(rows):
        want = values[i]
        if kind == "proba":
            lab = row["prediction"]
            if str(lab) != str(labels[i]):
                return "row %d: label %r, scikit-learn %r" % (i, lab,
                                                              labels[i])
            got = list(row["probabilities"].values())
        else:
            got = row["prediction"] if not batch else row
            got = got if isinstance(got, list) else [got]
        if len(got) != len(want):
            return "row %d: %d values, scikit-learn %d" % (i, len(got),
                                                           len(want))
        scale = max(abs(float(w)) for w in want)
        for j, (g, w) in enumerate(zip(got, want)):
            e = rel(float(g), float(w))
            if e > RTOL and abs(g - w) > RTOL * scale:
                return "row %d value %d: %r, scikit-learn %r (rel %.3g)" % (
                    i, j, g, w, e)
            worst = max(worst, min(e, abs(g - w) / max(scale, 1e-300)))
    WORST.see(worst, where)
    return worst


def bodies(X):
    yield "batch", json.dumps({"instances": X.tolist()}).encode(), True, X
    for i in (0, len(X) // 2, len(X) - 1):
        yield "row%d" % i, json.dumps(
            {"features": X[i].tolist()}).encode(), False, X[i:i + 1]


def check(res, what, out, X, labels, values, kind, batch):
    try:
        resp = json.loads(out)
    except ValueError as e:
        res.fail(what, "not JSON (%s): %r" % (e, out[:200]))
        return
    r = compare(resp, X, labels, values, kind, batch, what)
    if isinstance(r, str):
        res.fail(what, r)
    else:
        res.ok(what, "%d rows, max rel diff %.3g" % (len(X), r))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli")
    ap.add_argument("--nginx")
    ap.add_argument("--module")
    ap.add_argument("--port", type=int, default=1995)
    args = ap.parse_args()
    res = Results()
    tmp = tempfile.mkdtemp(prefix="mlpredict-parity-mlp-")
    data = datasets()
    cases = []
    for name, model, X, kind in specs(data):
        path = os.path.join(tmp, name + ".mlp")
        try:
            export(model, path)
        except ValueError as e:
            res.fail("%s export" % name, e)
            continue
        labels, values = wants(model, X, kind)
        cases.append((name, path, X, labels, values, kind))
        res.ok("%s export" % name)
        if args.cli:
            for lab, body, batch, Xs in bodies(X):
                idx = slice(None) if batch else \
                    slice(int(lab[3:]), int(lab[3:]) + 1)
                p = subprocess.run([args.cli, "predict", path], input=body,
                                   capture_output=True, timeout=TIMEOUT)
                what = "%s cli %s" % (name, lab)
                if p.returncode != 0:
                    res.fail(what, p.stderr.decode()[:300])
                    continue
                check(res, what, p.stdout, Xs,
                      None if labels is None else labels[idx], values[idx],
                      kind, batch)
            p = subprocess.run([args.cli, "info", path], capture_output=True)
            try:
                info = json.loads(p.stdout)
                net = info["network"]
                assert info["kind"] == "network"
                assert len(net["layers"]) == len(model[-1].coefs_ if hasattr(
                    model, "steps") else model.coefs_)
                assert net["dtype"] == "float64"
                res.ok("%s cli info" % name, "%d layers" % len(net["layers"]))
            except (ValueError, KeyError, AssertionError) as e:
                res.fail("%s cli info" % name, "%r: %s" % (e, p.stdout[:300]))
    if args.nginx and args.module:
        ngx = Nginx(args.nginx, args.module, args.port,
                    [(c[0], c[1]) for c in cases])
        err = ngx.start()
        if err:
            res.fail("nginx start", err)
        else:
            try:
                for name, path, X, labels, values, kind in cases:
                    for lab, body, batch, Xs in bodies(X):
                        idx = slice(None) if batch else \
                            slice(int(lab[3:]), int(lab[3:]) + 1)
                        what = "%s http %s" % (name, lab)
                        status, out = ngx.request(name, body)
                        if status != 200:
                            res.fail(what, "status %d: %r" % (status,
                                                             out[:300]))
                            continue
                        check(res, what, out, Xs,
                              None if labels is None else labels[idx],
                              values[idx], kind, batch)
            finally:
                ngx.stop()
    # a damaged network is refused at load: a layer chained wrongly
    if args.cli and cases:
        check_refusal(res, args.cli, cases[0][1], tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    print("worst relative difference: %.3g (%s)" % (WORST.rel, WORST.where))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed or not res.passed else 0


def check_refusal(res, cli, path, tmp):
    import struct
    import zlib
    buf = bytearray(open(path, "rb").read())
    n = struct.unpack_from("<I", buf, 44)[0]
    for i in range(n):
        sid, _, off = struct.unpack_from("<IIQ", buf, 64 + 32 * i)
        if sid == 71:
            # the first layer's n_in one too many
            v = struct.unpack_from("<I", buf, off + 4)[0]
            struct.pack_into("<I", buf, off + 4, v + 1)
    struct.pack_into("<I", buf, 24, zlib.crc32(bytes(buf[32:])) & 0xFFFFFFFF)
    bad = os.path.join(tmp, "bad.mlp")
    open(bad, "wb").write(buf)
    p = subprocess.run([cli, "info", bad], capture_output=True)
    msg = p.stderr.decode()
    if p.returncode != 0 and "layer 0" in msg:
        res.ok("damaged layer refused", msg.strip()[:120])
    else:
        res.fail("damaged layer refused", "exit %d: %s" % (p.returncode,
                                                           msg[:300]))


if __name__ == "__main__":
    sys.exit(main())
