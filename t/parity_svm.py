#!/usr/bin/python3
"""Parity of mlpredict's support vector machines and linear classifiers
against scikit-learn and libsvm.

    /usr/bin/python3 t/parity_svm.py --cli build/mlpredict \
        --nginx /usr/sbin/nginx --module build/ngx_http_mlpredict_module.so \
        [--port 1993] [CASE ...]

Issue 9.  Every case is fitted here on the training split
(train_test_split(test_size=0.25, random_state=0)) of a data set bundled
with scikit-learn (iris, breast_cancer, wine, the first 600 rows of digits,
diabetes; and make_classification's 7, 13, 17 and 18 classes, for each
width of the pairs' sums), behind a StandardScaler, or behind a
ColumnTransformer with a OneHotEncoder over a string column made from the
data (format version 2); it is exported with models/mlpredict_export.py
and its test rows are sent to `mlpredict predict` and to nginx (run here
as a child process with the module loaded), as a batch of rows in model
order, a batch of named rows, and single rows both ways.

scikit-learn: SVC and NuSVC with every kernel, gamma scale, auto and a
number, binary and multiclass, decision_function_shape ovr and ovo,
break_ties, probability=True; SVR, NuSVR, OneClassSVM; LinearSVC
(crammer_singer too), Perceptron, RidgeClassifier,
PassiveAggressiveClassifier, SGDClassifier with every loss; LinearSVR,
SGDRegressor, PassiveAggressiveRegressor.  Expected answers are
decision_function, predict_proba and predict, in the shapes of
models/FORMAT.md's last section: probabilities where the model has them,
else "decision" (a number for two classes and one-class, an object by
label for one-vs-rest, a list in pair order for ovo).

libsvm: Debian's svm-train (-s 0 to 4, -t 0 to 3, -b 1 for probabilities)
on a libsvm-format file written here, the model converted with
`mlpredict convert --n-features N`; expected answers are svm-predict's
labels and values, and the decision values and probabilities libsvm itself
computes (svm_predict_values, svm_predict_probability, through a small C
program compiled here against libsvm-dev and printing every digit); the
-b 1 probabilities svm-predict prints (6 digits) are checked to agree.

Agreement: decision values, probabilities and regression values within
1e-9 relative (or 1e-12 of the case's largest value, for values that are
a cancellation near zero); labels equal, except on a row where two classes
are tied within that margin (a pairwise decision or the top two scores
closer than it), which is reported, not failed.

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
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.dont_write_bytecode = True   # keep the source tree clean
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

from mlpredict_export import export  # noqa: E402

RTOL = 1e-9
ATOL_SCALE = 1e-12
TERM_EPS = 1e-14      # of the terms' bound (term_bound)
TIMEOUT = 120
N_SINGLE = 3

warnings.filterwarnings("ignore")


# --------------------------------------------------------------------------
# results, the CLI and nginx (as t/parity.py has them)

class Results:
    def __init__(self, verbose=False):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose
        self.ties = []

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


class Nginx:
    def __init__(self, binary, module, port, models):
        self.binary = binary
        self.port = port
        self.prefix = tempfile.mkdtemp(prefix="mlpredict-parity-svm-nginx-")
        for d in ("conf", "logs", "temp"):
            os.makedirs(os.path.join(self.prefix, d))
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
            "master_process off;\n"
            "worker_processes 1;\n"
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
            "}\n" % (os.path.abspath(module), temps, port, locs))
        with open(os.path.join(self.prefix, "conf", "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = None

    def error_log(self, tail=40):
        out = []
        for fn in ("stderr.log", "error.log"):
            try:
                with open(os.path.join(self.prefix, "logs", fn),
                          errors="replace") as f:
                    lines = f.read().splitlines()
                if lines:
                    out.append("--- %s:\n%s" % (fn, "\n".join(lines[-tail:])))
            except OSError:
                pass
        return "\n".join(out)

    def start(self):
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

    def request(self, name, body=None):
        """(status, body bytes): POST body, or GET when body is None"""
        req = urllib.request.Request(
            "http://127.0.0.1:%d/%s" % (self.port, name), data=body,
            method="GET" if body is None else "POST",
            headers={"Content-Type": "application/json"})
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


def _short(v, n=300):
    s = json.dumps(v) if not isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[:n] + "..."


# --------------------------------------------------------------------------
# expected answers

def label_value(v):
    """A class label as JSON has it."""
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    return str(v)


def label_key(v):
    v = label_value(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    return v if isinstance(v, str) else json.dumps(v)


class Want:
    """One row's expected answer: its label (None for a regressor), the
    numbers keyed as the answer keys them, and whether its label is a
    near tie (may differ)."""

    def __init__(self, label, kind, values, tie=False):
        self.label = label          # JSON value or None
        self.kind = kind            # "probabilities", "decision", "value"
        self.values = values        # float, list, or dict key -> float
        self.tie = tie


def near_tie(scores, margin):
    """Two of the scores (or a pairwise decision and 0) closer than
    margin."""
    s = np.sort(np.asarray(scores, dtype=float))[::-1]
    return len(s) >= 2 and s[0] - s[1] <= margin


def sklearn_wants(model, X, est, Xt):
    """Expected answers from the fitted pipeline (model), its estimator
    (est) and the estimator's features (Xt)."""
    name = type(est).__name__
    out = []
    if not hasattr(est, "classes_"):
        if name == "OneClassSVM":
            dec = est.decision_function(Xt)
            pred = model.predict(X)
            scale = float(np.max(np.abs(dec))) or 1.0
            for p, d in zip(pred, dec):
                out.append(Want(int(p), "decision", float(d),
                                tie=abs(d) <= scale * ATOL_SCALE * 1e3))
            return out, scale
        pred = np.asarray(model.predict(X), dtype=float)
        return ([Want(None, "value", float(v)) for v in pred],
                float(np.max(np.abs(pred))) or 1.0)
    classes = list(est.classes_)
    keys = [label_key(c) for c in classes]
    pred = model.predict(X)
    dec = np.asarray(est.decision_function(Xt), dtype=float)
    scale = float(np.max(np.abs(dec))) or 1.0
    margin = max(RTOL * scale, 1e-12)
    # what decides the label: pairwise votes (svm) or the scores
    if name in ("SVC", "NuSVC"):
        ovo = np.asarray(est._decision_function(Xt), dtype=float)
        ovo = ovo.reshape(len(Xt), -1)
        tie_rows = np.any(np.abs(ovo) <= margin, axis=1)
        if est.break_ties and len(classes) > 2:
            tie_rows |= np.array([near_tie(r, margin) for r in dec])
    else:
        d2 = dec.reshape(len(Xt), -1)
        tie_rows = (np.abs(d2[:, 0]) <= margin if d2.shape[1] == 1 else
                    np.array([near_tie(r, margin) for r in d2]))
    proba = None
    if name in ("SVC", "NuSVC"):
        if est.probability:
            proba = est.predict_proba(Xt)
    elif hasattr(est, "predict_proba"):
        try:
            proba = est.predict_proba(Xt)
        except AttributeError:       # SGDClassifier without a probability
            proba = None
    for i, lab in enumerate(pred):
        label = label_value(lab)
        if proba is not None:
            out.append(Want(label, "probabilities",
                            {k: float(p) for k, p in zip(keys, proba[i])},
                            bool(tie_rows[i])))
        elif dec.ndim == 1:
            out.append(Want(label, "decision", float(dec[i]),
                            bool(tie_rows[i])))
        elif name in ("SVC", "NuSVC") and \
                est.decision_function_shape == "ovo":
            out.append(Want(label, "decision", [float(v) for v in dec[i]],
                            bool(tie_rows[i])))
        else:
            out.append(Want(label, "decision",
                            {k: float(v) for k, v in zip(keys, dec[i])},
                            bool(tie_rows[i])))
    return out, (1.0 if proba is not None else scale)


def term_bound(kernel, gamma, coef0, degree, coef, rho, sv, X):
    """A bound on the terms an svm's decision sums (|coefficient| times
    |kernel value|, and rho): a decision that is their cancellation near 0
    carries their rounding, not its own. kernel as scikit-learn names it."""
    coef = np.abs(np.asarray(coef, dtype=float)).sum()
    xn = float(np.max(np.linalg.norm(X, axis=1))) if len(X) else 1.0
    vn = float(np.max(np.linalg.norm(sv, axis=1))) if len(sv) else 1.0
    if kernel == "linear":
        k = xn * vn
    elif kernel == "poly":
        k = (abs(gamma) * xn * vn + abs(coef0)) ** degree
    else:
        k = 1.0             # rbf, sigmoid
    return coef * max(k, 1.0) + float(np.max(np.abs(rho)))


# --------------------------------------------------------------------------
# comparing

class Tol:
    def __init__(self, scale, bound=0.0):
        self.atol = max(ATOL_SCALE * scale, TERM_EPS * bound)
        self.n = 0
        self.n_off = 0
        self.max_rel = 0.0
        self.first_off = None
        self.ties = []

    def number(self, got, want, where):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return "%s: %s is not a number (expected %r)" % (
                where, _short(got), want)
        a, b = float(got), float(want)
        self.n += 1
        d = abs(a - b)
        rel = d / max(abs(a), abs(b)) if d else 0.0
        self.max_rel = max(self.max_rel, rel)
        if not (d <= RTOL * max(abs(a), abs(b)) or d <= self.atol):
            self.n_off += 1
            if self.first_off is None:
                self.first_off = "%s is %r, expected %r" % (where, got, want)
        return None

    def values(self, got, want, where):
        if isinstance(want, dict):
            if not isinstance(got, dict) or set(got) != set(want):
                return "%s: keys %s, expected %s" % (
                    where, sorted(got) if isinstance(got, dict)
                    else _short(got), sorted(want))
            for k in want:
                msg = self.number(got[k], want[k], "%s[%s]" % (where, k))
                if msg:
                    return msg
            return None
        if isinstance(want, list):
            if not isinstance(got, list) or len(got) != len(want):
                return "%s: expected a list of %d numbers, got %s" % (
                    where, len(want), _short(got))
            for j, (g, w) in enumerate(zip(got, want)):
                msg = self.number(g, w, "%s[%d]" % (where, j))
                if msg:
                    return msg
            return None
        return self.number(got, want, where)

    def verdict(self):
        if self.n_off == 0:
            return None
        return "%s (%d of %d numbers beyond %g relative; max rel diff %.3g)" \
            % (self.first_off, self.n_off, self.n, RTOL, self.max_rel)


def same_label(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return float(a) == float(b)


def compare_row(got, want, where, tol, batch):
    if want.kind == "value":
        return tol.number(got if batch else (got or {}).get("prediction"),
                          want.values, where)
    if not isinstance(got, dict) or set(got) != {"prediction", want.kind}:
        return "%s: expected {\"prediction\", \"%s\"}, got %s" % (
            where, want.kind, _short(got))
    if not same_label(got["prediction"], want.label):
        if not want.tie:
            return "%s: label %s, expected %s" % (
                where, json.dumps(got["prediction"]), json.dumps(want.label))
        tol.ties.append(where)
    return tol.values(got[want.kind], want.values, "%s %s" % (where,
                                                              want.kind))


def compare(resp, wants, batch, tol):
    if not batch:
        return compare_row(resp, wants[0], "answer", tol, False)
    if not isinstance(resp, dict) or set(resp) != {"predictions"}:
        return "expected {\"predictions\": [...]}, got %s" % _short(resp)
    preds = resp["predictions"]
    if not isinstance(preds, list) or len(preds) != len(wants):
        return "expected %d predictions, got %s" % (
            len(wants), len(preds) if isinstance(preds, list)
            else _short(preds))
    for i, (g, w) in enumerate(zip(preds, wants)):
        msg = compare_row(g, w, "row %d" % i, tol, True)
        if msg:
            return msg
    return None


# --------------------------------------------------------------------------
# the cases

class Case:
    def __init__(self, name, path, rows, names, wants, scale, meta,
                 bound=0.0):
        self.name = name
        self.bound = bound
        self.path = path
        self.rows = rows            # list of lists of JSON values
        self.names = names
        self.wants = wants
        self.scale = scale
        self.meta = meta            # what GET must show: key -> value
        self.requests = []
        named = [dict(zip(names, r)) for r in rows]
        self.requests.append(("batch positional", json.dumps(
            {"instances": rows}).encode(), wants, True))
        self.requests.append(("batch named", json.dumps(
            {"instances": named}).encode(), wants, True))
        for i in range(min(N_SINGLE, len(rows))):
            self.requests.append(("row %d features" % i, json.dumps(
                {"features": rows[i]}).encode(), [wants[i]], False))
            self.requests.append(("row %d named" % i, json.dumps(
                named[i]).encode(), [wants[i]], False))


def split(X, y):
    from sklearn.model_selection import train_test_split
    return train_test_split(X, y, test_size=0.25, random_state=0)


def datasets_():
    from sklearn import datasets
    out = {}
    for name, loader in (("iris", datasets.load_iris),
                         ("breast_cancer", datasets.load_breast_cancer),
                         ("wine", datasets.load_wine),
                         ("digits", datasets.load_digits),
                         ("diabetes", datasets.load_diabetes)):
        X, y = loader(return_X_y=True)
        if name == "digits":
            X, y = X[:600], y[:600]
        out[name] = (X.astype(float), y)
    # classes enough for each width of the pairs' sums (four pairs to a
    # vector, registers up to 16, memory beyond): 7 (6 pairs a class,
    # padded), 13 and 17 (12 and 16, unpadded), 18 (17, in memory)
    for k in (7, 13, 17, 18):
        X, y = datasets.make_classification(
            n_samples=40 * k, n_features=12, n_informative=8,
            n_classes=k, n_clusters_per_class=1, random_state=k)
        out["classes%d" % k] = (X, y)
    return out


def frame(X, y, cat_col):
    """A DataFrame: the numbers, and column cat_col made a string
    category by its quartile ("q0" .. "q3")."""
    import pandas as pd
    df = pd.DataFrame(X, columns=["x%d" % i for i in range(X.shape[1])])
    q = np.quantile(X[:, cat_col], [0.25, 0.5, 0.75])
    df["band"] = ["q%d" % np.searchsorted(q, v) for v in X[:, cat_col]]
    df = df.drop(columns=["x%d" % cat_col])
    return df, y


def sklearn_specs():
    """(name, data set, make estimator, onehot?)"""
    from sklearn import linear_model as lm
    from sklearn import svm
    specs = []
    for kernel in ("linear", "poly", "rbf", "sigmoid"):
        extra = {"gamma": 0.05} if kernel == "sigmoid" else {}
        for ds in ("iris", "breast_cancer"):
            specs.append(("svc_%s_%s" % (kernel, ds), ds,
                          lambda k=kernel, e=extra: svm.SVC(kernel=k, **e)))
        specs.append(("svc_%s_wine_ovo" % kernel, "wine",
                      lambda k=kernel, e=extra: svm.SVC(
                          kernel=k, decision_function_shape="ovo", **e)))
        specs.append(("svr_%s" % kernel, "diabetes",
                      lambda k=kernel, e=extra: svm.SVR(kernel=k, C=10.0,
                                                        **e)))
    specs += [
        ("svc_poly_deg2_coef0_wine", "wine",
         lambda: svm.SVC(kernel="poly", degree=2, coef0=1.0)),
        ("svc_rbf_auto_wine", "wine", lambda: svm.SVC(gamma="auto")),
        ("svc_rbf_gamma_iris", "iris", lambda: svm.SVC(gamma=0.3, C=3.0)),
        ("svc_rbf_digits_ovr", "digits", lambda: svm.SVC()),
        ("svc_rbf_digits_ovo", "digits",
         lambda: svm.SVC(decision_function_shape="ovo")),
        ("svc_break_ties_wine", "wine", lambda: svm.SVC(break_ties=True)),
        ("svc_break_ties_breast_cancer", "breast_cancer",
         lambda: svm.SVC(break_ties=True)),
        ("svc_rbf_breast_cancer_ovo", "breast_cancer",
         lambda: svm.SVC(decision_function_shape="ovo")),
        ("nusvc_poly_wine_ovo", "wine",
         lambda: svm.NuSVC(kernel="poly", decision_function_shape="ovo")),
        ("svc_prob_break_ties_wine", "wine",
         lambda: svm.SVC(probability=True, break_ties=True,
                         random_state=0)),
        ("svc_break_ties_digits", "digits",
         lambda: svm.SVC(break_ties=True, C=0.5)),
        ("svc_prob_iris", "iris",
         lambda: svm.SVC(probability=True, random_state=0)),
        ("svc_prob_breast_cancer", "breast_cancer",
         lambda: svm.SVC(probability=True, random_state=0)),
        ("svc_prob_poly_wine", "wine",
         lambda: svm.SVC(kernel="poly", probability=True, random_state=0)),
        ("svc_prob_digits", "digits",
         lambda: svm.SVC(probability=True, random_state=0)),
        ("svc_rbf_classes7", "classes7", lambda: svm.SVC()),
        ("svc_rbf_classes13_ovo", "classes13",
         lambda: svm.SVC(decision_function_shape="ovo")),
        ("svc_prob_classes17", "classes17",
         lambda: svm.SVC(probability=True, random_state=0)),
        ("svc_rbf_classes18_ovo", "classes18",
         lambda: svm.SVC(decision_function_shape="ovo")),
        ("svc_prob_classes18", "classes18",
         lambda: svm.SVC(probability=True, random_state=0)),
        ("nusvc_rbf_iris", "iris", lambda: svm.NuSVC()),
        ("nusvc_linear_breast_cancer", "breast_cancer",
         lambda: svm.NuSVC(kernel="linear", nu=0.2)),
        ("nusvc_prob_wine", "wine",
         lambda: svm.NuSVC(probability=True, random_state=0)),
        ("nusvr_rbf", "diabetes", lambda: svm.NuSVR(C=10.0)),
        ("nusvr_poly", "diabetes", lambda: svm.NuSVR(kernel="poly")),
        ("oneclass_rbf_breast_cancer", "breast_cancer",
         lambda: svm.OneClassSVM(nu=0.1)),
        ("oneclass_sigmoid_iris", "iris",
         lambda: svm.OneClassSVM(kernel="sigmoid", gamma=0.1)),
        ("oneclass_poly_wine", "wine",
         lambda: svm.OneClassSVM(kernel="poly", nu=0.3)),
        ("linear_svr", "diabetes",
         lambda: svm.LinearSVR(C=10.0, max_iter=100000, random_state=0)),
        ("sgd_regressor", "diabetes",
         lambda: lm.SGDRegressor(random_state=0)),
        ("passive_aggressive_regressor", "diabetes",
         lambda: lm.PassiveAggressiveRegressor(random_state=0)),
    ]
    for ds in ("breast_cancer", "iris", "digits"):
        specs += [
            ("linear_svc_%s" % ds, ds,
             lambda: svm.LinearSVC(max_iter=100000, random_state=0)),
            ("perceptron_%s" % ds, ds, lambda: lm.Perceptron(random_state=0)),
            ("ridge_classifier_%s" % ds, ds, lambda: lm.RidgeClassifier()),
            ("passive_aggressive_%s" % ds, ds,
             lambda: lm.PassiveAggressiveClassifier(random_state=0)),
        ]
        for loss in ("hinge", "log_loss", "modified_huber", "squared_hinge",
                     "perceptron", "huber", "epsilon_insensitive",
                     "squared_epsilon_insensitive", "squared_error"):
            specs.append(("sgd_%s_%s" % (loss, ds), ds,
                          lambda loss=loss: lm.SGDClassifier(
                              loss=loss, random_state=0)))
    specs.append(("linear_svc_crammer_singer_wine", "wine",
                  lambda: svm.LinearSVC(multi_class="crammer_singer",
                                        max_iter=100000, random_state=0)))
    return specs


ONEHOT_SPECS = ("svc_rbf_iris", "svc_prob_breast_cancer",
                "svc_rbf_digits_ovo", "svc_break_ties_wine",
                "nusvc_prob_wine", "svr_rbf", "oneclass_rbf_breast_cancer",
                "linear_svc_iris", "sgd_modified_huber_breast_cancer",
                "sgd_log_loss_iris", "sgd_hinge_digits", "linear_svr",
                "ridge_classifier_breast_cancer")


def build_sklearn_cases(res, tmp, only):
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline, make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    data = datasets_()
    cases = []
    for name, ds, make in sklearn_specs():
        for onehot in (False, True):
            if onehot and name not in ONEHOT_SPECS:
                continue
            cname = name + ("_onehot" if onehot else "")
            if only and cname not in only:
                continue
            X, y = data[ds]
            est = make()
            if onehot:
                Xf, y = frame(X, y, 2)
                nums = [c for c in Xf.columns if c != "band"]
                model = Pipeline([
                    ("prep", ColumnTransformer([
                        ("num", StandardScaler(), nums),
                        ("cat", OneHotEncoder(handle_unknown="ignore"),
                         ["band"])])),
                    ("est", est)])
                X_train, X_test, y_train, _ = split(Xf, y)
            else:
                model = make_pipeline(StandardScaler(), est)
                X_train, X_test, y_train, _ = split(X, y)
            try:
                if type(est).__name__ == "OneClassSVM":
                    model.fit(X_train)
                else:
                    model.fit(X_train, y_train)
            except ValueError as e:
                res.fail("%s fit" % cname, e)
                continue
            path = os.path.join(tmp, cname + ".mlp")
            try:
                info = export(model, path)
            except Exception as e:
                res.fail("%s export" % cname, "%s: %s" % (type(e).__name__,
                                                          e))
                continue
            Xt = model[:-1].transform(X_test)
            if hasattr(Xt, "toarray"):
                Xt = Xt.toarray()
            wants, scale = sklearn_wants(model, X_test, est, Xt)
            if onehot:
                names = [str(c) for c in X_test.columns]
                rows = [[(v if isinstance(v, str) else float(v)) for v in r]
                        for r in X_test.itertuples(index=False, name=None)]
            else:
                names = info["input_names"]
                rows = [[float(v) for v in r] for r in X_test]
            meta = {"estimator": type(est).__name__}
            bound = 0.0
            if hasattr(est, "support_vectors_"):
                meta["kernel"] = est.kernel
                bound = term_bound(est.kernel, est._gamma, est.coef0,
                                   est.degree, est._dual_coef_,
                                   est._intercept_, est.support_vectors_, Xt)
            res.ok("%s export" % cname, "%s, %d features, %d bytes" % (
                info["link_name"] if info["kind"] != 4 else "svm",
                info["n_features"], info["size"]))
            cases.append(Case(cname, path, rows, names, wants, scale, meta,
                              bound))
    # the shipped examples, as they are in models/
    import make_examples
    for ename in make_examples.SVM_EXAMPLES:
        if only and ename not in only:
            continue
        model, X_test, names = make_examples.build(ename)
        est = model[-1]
        path = os.path.join(ROOT, "models", ename + ".mlp")
        if not os.path.exists(path):
            res.fail("%s shipped" % ename, "no %s (make models)" % path)
            continue
        Xt = model[:-1].transform(X_test)
        wants, scale = sklearn_wants(model, X_test, est, Xt)
        bound = term_bound(est.kernel, est._gamma, est.coef0, est.degree,
                           est._dual_coef_, est._intercept_,
                           est.support_vectors_, Xt)
        res.ok("%s shipped" % ename, path)
        cases.append(Case(ename, path, [[float(v) for v in r]
                                        for r in X_test], names, wants,
                          scale, {"estimator": type(est).__name__,
                                  "kernel": est.kernel}, bound))
    return cases


# --------------------------------------------------------------------------
# libsvm

LIBSVM_HELPER = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libsvm/svm.h>

/* argv: model, data (libsvm format). Per row: label, then the decision
   values, then (a probability model) the probabilities, %.17g */
int main(int argc, char **argv)
{
    static char line[1 << 20];
    struct svm_node x[4096];
    struct svm_model *m = svm_load_model(argv[1]);
    FILE *f = fopen(argv[2], "r");
    int k, n, idx, c, j, pairs, prob;
    double dec[4096], p[256], v, lab;
    char *s;
    if (m == NULL || f == NULL) return 2;
    k = svm_get_nr_class(m);
    pairs = k * (k - 1) / 2;
    if (svm_get_svm_type(m) > NU_SVC) pairs = 1;
    prob = svm_get_svm_type(m) <= NU_SVC && svm_check_probability_model(m);
    while (fgets(line, sizeof line, f)) {
        s = line; strtod(s, &s); n = 0;
        while (sscanf(s, " %d:%lf%n", &idx, &v, &c) == 2) {
            s += c; x[n].index = idx; x[n].value = v; n++;
        }
        x[n].index = -1;
        lab = svm_predict_values(m, x, dec);
        printf("%.17g", lab);
        for (j = 0; j < pairs; j++) printf(" %.17g", dec[j]);
        if (prob) {
            svm_predict_probability(m, x, p);
            for (j = 0; j < k; j++) printf(" %.17g", p[j]);
        }
        printf("\n");
    }
    return 0;
}
"""


def write_libsvm(path, X, y, fmt_label):
    with open(path, "w") as f:
        for xi, yi in zip(X, y):
            f.write("%s %s\n" % (fmt_label(yi), " ".join(
                "%d:%.17g" % (j + 1, v) for j, v in enumerate(xi)
                if v != 0.0)))


def libsvm_specs():
    """(name, data set, svm-train options)"""
    specs = []
    for s, ds in ((0, "iris"), (0, "breast_cancer"), (1, "wine"),
                  (2, "breast_cancer"), (3, "diabetes"), (4, "diabetes")):
        for t in (0, 1, 2, 3):
            opts = ["-s", str(s), "-t", str(t)]
            if t == 3:
                opts += ["-g", "0.01"]
            if s == 1:
                opts += ["-n", "0.2"]
            if s in (3, 4):
                opts += ["-c", "10"]
            specs.append(("libsvm_s%d_t%d_%s" % (s, t, ds), ds, opts))
    for ds in ("iris", "breast_cancer", "wine"):
        specs.append(("libsvm_s0_t2_b1_%s" % ds, ds,
                      ["-s", "0", "-t", "2", "-b", "1"]))
    specs.append(("libsvm_s1_t1_b1_iris", "iris",
                  ["-s", "1", "-t", "1", "-n", "0.2", "-b", "1"]))
    specs.append(("libsvm_s0_t1_d2_r1_wine", "wine",
                  ["-s", "0", "-t", "1", "-d", "2", "-r", "1"]))
    return specs


def libsvm_bound(path, X):
    """term_bound of a libsvm model file's numbers."""
    head = {}
    coef = []
    sv = []
    with open(path) as f:
        for line in f:
            t = line.split()
            if t and t[0] == "SV":
                break
            if t:
                head[t[0]] = t[1:]
        k = int(head["nr_class"][0])
        for line in f:
            t = line.split()
            coef += [float(v) for v in t[:k - 1]]
            row = np.zeros(X.shape[1])
            for kv in t[k - 1:]:
                j, v = kv.split(":")
                row[int(j) - 1] = float(v)
            sv.append(row)
    kernel = {"polynomial": "poly"}.get(head["kernel_type"][0],
                                         head["kernel_type"][0])
    return term_bound(kernel, float(head.get("gamma", [0])[0]),
                      float(head.get("coef0", [0])[0]),
                      int(head.get("degree", [0])[0]), coef,
                      [float(v) for v in head["rho"]], np.array(sv), X)


def build_libsvm_cases(res, tmp, cli, only):
    from sklearn.preprocessing import StandardScaler

    for tool in ("svm-train", "svm-predict"):
        if shutil.which(tool) is None:
            res.fail("libsvm", "%s not found (apt-get install libsvm-tools "
                     "libsvm-dev)" % tool)
            return []
    helper = os.path.join(tmp, "libsvm_values")
    src = helper + ".c"
    with open(src, "w") as f:
        f.write(LIBSVM_HELPER)
    p = subprocess.run(["cc", "-O2", "-o", helper, src, "-lsvm"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if p.returncode != 0:
        res.fail("libsvm helper", "cannot compile against libsvm-dev: %s"
                 % p.stdout.decode(errors="replace")[:500])
        return []
    data = datasets_()
    cases = []
    for name, ds, opts in libsvm_specs():
        if only and name not in only:
            continue
        X, y = data[ds]
        sc = StandardScaler().fit(X)
        X_train, X_test, y_train, y_test = split(sc.transform(X), y)
        regression = ds == "diabetes"
        # labels as libsvm takes them: classes 1.. (binary: -1 and +1)
        if regression:
            fmt = lambda v: "%.17g" % v
        elif ds == "breast_cancer":
            fmt = lambda v: "+1" if v else "-1"
        else:
            fmt = lambda v: "%d" % (v + 1)
        train = os.path.join(tmp, name + ".train")
        test = os.path.join(tmp, name + ".test")
        write_libsvm(train, X_train, y_train, fmt)
        write_libsvm(test, X_test, y_test, fmt)
        model = os.path.join(tmp, name + ".model")
        p = subprocess.run(["svm-train", "-q"] + opts + [train, model],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            res.fail("%s svm-train" % name, p.stdout.decode()[:500])
            continue
        prob = "-b" in opts
        pred_out = os.path.join(tmp, name + ".predict")
        p = subprocess.run(["svm-predict", "-q"] + (["-b", "1"] if prob
                                                    else [])
                           + [test, model, pred_out],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            res.fail("%s svm-predict" % name, p.stdout.decode()[:500])
            continue
        with open(pred_out) as f:
            plines = f.read().split("\n")
        header = plines[0].split() if prob else None
        plines = [ln.split() for ln in plines[1 if prob else 0:] if ln]
        p = subprocess.run([helper, model, test], stdout=subprocess.PIPE)
        if p.returncode != 0:
            res.fail("%s libsvm helper" % name, "exit %d" % p.returncode)
            continue
        vals = [[float(v) for v in ln.split()]
                for ln in p.stdout.decode().split("\n") if ln]
        out = os.path.join(tmp, name + ".mlp")
        p = subprocess.run([cli, "convert", "--n-features",
                            str(X.shape[1]), model, out],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 0:
            res.fail("%s convert" % name, p.stderr.decode()[:500])
            continue
        try:
            meta = json.loads(p.stdout)
            labels = [label_value(v) for v in meta.get("classes", [])]
        except ValueError:
            res.fail("%s convert" % name, "metadata is not JSON: %r"
                     % p.stdout[:300])
            continue
        svm_type = int(opts[1])
        wants = []
        consistent = True
        for i, v in enumerate(vals):
            lab = v[0]
            if float(plines[i][0]) != lab and svm_type not in (3, 4):
                if not prob:
                    consistent = False
                else:
                    # svm_predict_probability labels by the largest
                    # probability, svm_predict_values by the vote:
                    # svm-predict -b 1 is the one to match
                    res.ties.append(("%s row %d" % (name, i), [
                        "svm-predict -b 1 says %s, the vote %s" % (
                            plines[i][0], "%g" % lab)]))
                    lab = float(plines[i][0])
            if svm_type in (3, 4):
                # svm-predict prints a regression value with every digit
                wants.append(Want(None, "value", float(plines[i][0])))
                continue
            if svm_type == 2:
                wants.append(Want(int(lab), "decision", v[1]))
                continue
            k = len(labels)
            pairs = k * (k - 1) // 2
            dec = v[1:1 + pairs]
            tie = bool(np.any(np.abs(dec) <= RTOL * max(1.0, max(
                abs(d) for d in dec))))
            if prob:
                pr = v[1 + pairs:]
                # svm-predict's 6 digits agree with the helper's
                order = [int(c) for c in header[1:]]
                for c, s in zip(order, plines[i][1:]):
                    j = labels.index(c)
                    if abs(float(s) - pr[j]) > 5e-6 * max(pr[j], 1e-3):
                        consistent = False
                wants.append(Want(int(lab), "probabilities",
                                  {json.dumps(c): pv
                                   for c, pv in zip(labels, pr)}, tie))
            elif k == 2:
                wants.append(Want(int(lab), "decision", dec[0], tie))
            else:
                wants.append(Want(int(lab), "decision", list(dec), tie))
        if not consistent:
            res.fail("%s svm-predict" % name, "svm-predict and "
                     "svm_predict_values disagree")
            continue
        scale = max(abs(x) for w in wants for x in (
            w.values.values() if isinstance(w.values, dict) else
            w.values if isinstance(w.values, list) else [w.values])) or 1.0
        rows = [[float(v) for v in r] for r in X_test]
        names = ["f%d" % (j + 1) for j in range(X.shape[1])]
        bound = libsvm_bound(model, X_test)
        res.ok("%s convert" % name, "%s, %d test rows" % (
            " ".join(opts), len(rows)))
        cases.append(Case(name, out, rows, names, wants, scale,
                          {"library": "libsvm"}, bound))
    return cases


# --------------------------------------------------------------------------
# checks

def judge(res, case, what, out, wants, batch):
    try:
        resp = json.loads(out)
    except ValueError as e:
        res.fail(what, "answer is not JSON (%s): %r" % (e, out[:300]))
        return
    tol = Tol(case.scale, case.bound)
    msg = compare(resp, wants, batch, tol) or tol.verdict()
    if msg:
        res.fail(what, msg)
        return
    detail = "%d numbers, max rel diff %.3g" % (tol.n, tol.max_rel)
    if tol.ties:
        detail += "; labels differ on tied rows: %s" % ", ".join(tol.ties)
        res.ties.append((what, tol.ties))
    res.ok(what, detail)


def check_cli(res, cli, case):
    for lab, body, wants, batch in case.requests:
        what = "%s cli %s" % (case.name, lab)
        try:
            p = subprocess.run([cli, "predict", case.path], input=body,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               timeout=TIMEOUT)
        except (OSError, subprocess.SubprocessError) as e:
            res.fail(what, "cannot run %s: %s" % (cli, e))
            continue
        if p.returncode != 0:
            res.fail(what, "exit %d, stderr: %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace")[:500]))
            continue
        judge(res, case, what, p.stdout, wants, batch)


def check_meta(res, what, text, case):
    try:
        meta = json.loads(text)
    except ValueError as e:
        res.fail(what, "not JSON: %s" % e)
        return
    prod = meta.get("producer") or {}
    bad = [k for k, v in case.meta.items() if prod.get(k) != v]
    if bad:
        res.fail(what, "producer %s: %s" % (bad, _short(meta, 600)))
    else:
        res.ok(what, "kind %s" % meta.get("kind"))


def check_http(res, ngx, case):
    for lab, body, wants, batch in case.requests:
        what = "%s http %s" % (case.name, lab)
        try:
            status, out = ngx.request(case.name, body)
        except OSError as e:
            res.fail(what, "request failed: %s" % e)
            continue
        if status != 200:
            res.fail(what, "status %d: %s" % (status, out[:500]))
            continue
        judge(res, case, what, out, wants, batch)
    try:
        status, out = ngx.request(case.name)
        check_meta(res, "%s http metadata" % case.name, out, case)
    except OSError as e:
        res.fail("%s http metadata" % case.name, "GET failed: %s" % e)


def check_refusals(res, tmp, cli):
    """What the exporter and the converter must refuse, naming why."""
    from sklearn import svm
    from sklearn.datasets import load_iris
    X, y = load_iris(return_X_y=True)
    for lab, est, words in (
            ("precomputed kernel", svm.SVC(kernel="precomputed"),
             ["precomputed"]),
            ("callable kernel", svm.SVC(kernel=lambda a, b: a @ b.T),
             ["kernel", "<lambda>"]),
            ("break_ties with ovo", svm.SVC(break_ties=True,
                                            decision_function_shape="ovo"),
             ["break_ties", "ovo"])):
        what = "refuse %s" % lab
        try:
            est.fit(X @ X.T if lab.startswith("pre") else X, y)
            export(est, os.path.join(tmp, "refused.mlp"))
            res.fail(what, "exported")
        except ValueError as e:
            missing = [w for w in words if w not in str(e)]
            if missing:
                res.fail(what, "message %r does not name %s" % (str(e),
                                                                missing))
            else:
                res.ok(what, str(e))
    if not cli:
        return
    good = ("svm_type c_svc\nkernel_type rbf\ngamma 0.5\nnr_class 2\n"
            "total_sv 2\nrho 0.1\nlabel 1 -1\nnr_sv 1 1\nSV\n"
            "1 1:0.5 2:1\n-1 1:-0.5 3:2\n")
    bad = [
        ("precomputed", good.replace("rbf", "precomputed"),
         ["line 2", "precomputed"]),
        ("a bad number", good.replace("gamma 0.5", "gamma 0.5x"),
         ["line 3", "gamma"]),
        ("infinity", good.replace("rho 0.1", "rho inf"), ["line 6", "rho"]),
        ("too few rho", good.replace("nr_class 2", "nr_class 3"),
         ["line 6", "rho"]),
        ("total_sv off", good.replace("total_sv 2", "total_sv 3"),
         ["total_sv"]),
        ("nr_sv off", good.replace("nr_sv 1 1", "nr_sv 1 2"), ["nr_sv"]),
        ("descending indices", good.replace("1:-0.5 3:2", "3:2 1:-0.5"),
         ["line 11", "ascend"]),
        ("index 0", good.replace("1:0.5", "0:0.5"), ["line 10", "index"]),
        ("missing coefficient", good.replace("-1 1:-0.5", "1:-0.5"),
         ["line 11", "coefficient"]),
        ("extra vector", good + "1 1:1\n", ["line 12", "total_sv"]),
        ("duplicate key", good.replace("gamma 0.5\n", "gamma 0.5\ngamma 1\n"),
         ["line 4", "twice"]),
        ("unknown key", good.replace("SV\n", "bogus 1\nSV\n"),
         ["line 9", "bogus"]),
        ("index over --n-features", good, ["line 11", "index 3"]),
    ]
    for lab, text, words in bad:
        what = "convert refuses %s" % lab
        src = os.path.join(tmp, "bad.model")
        with open(src, "w") as f:
            f.write(text)
        args = [cli, "convert"] + (["--n-features", "2"] if "n-features"
                                   in lab else []) + [src, os.path.join(
                                       tmp, "bad.mlp")]
        p = subprocess.run(args, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE)
        err = p.stderr.decode(errors="replace")
        missing = [w for w in words if w not in err]
        if p.returncode != 1 or missing:
            res.fail(what, "exit %d, message %r (expected 1, naming %s)"
                     % (p.returncode, err, words))
        else:
            res.ok(what, err.strip())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", help="the mlpredict tool (skip CLI checks and "
                                  "libsvm if not given)")
    ap.add_argument("--nginx", help="the nginx binary (skip HTTP checks if "
                                    "not given)")
    ap.add_argument("--module", help="ngx_http_mlpredict_module.so")
    ap.add_argument("--port", type=int, default=1993)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directories")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("cases", nargs="*", help="cases to test (default: all)")
    args = ap.parse_args()
    if args.nginx and not args.module:
        ap.error("--nginx needs --module")

    res = Results(args.verbose)
    tmp = tempfile.mkdtemp(prefix="mlpredict-parity-svm-")
    ngx = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    cli = os.path.abspath(args.cli) if args.cli else None
    try:
        cases = build_sklearn_cases(res, tmp, args.cases)
        if cli:
            cases += build_libsvm_cases(res, tmp, cli, args.cases)
        if not args.cases:
            check_refusals(res, tmp, cli)
        if cli:
            for case in cases:
                check_cli(res, cli, case)
        if args.nginx:
            ngx = Nginx(args.nginx, args.module, args.port,
                        [(c.name, c.path) for c in cases])
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
        res.fail("parity_svm", "interrupted")
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

    if res.ties:
        print("# labels that differ on tied rows (within %g), and libsvm's "
              "-b 1 labels (expected) that are not its vote:" % RTOL)
        for what, rows in res.ties:
            print("#   %s: %s" % (what, ", ".join(rows)))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed or not res.passed else 0


if __name__ == "__main__":
    sys.exit(main())
