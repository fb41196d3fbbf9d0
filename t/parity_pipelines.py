#!/usr/bin/python3
"""Parity of mlpredict against scikit-learn on preprocessing pipelines.

    /usr/bin/python3 t/parity_pipelines.py --cli build/mlpredict \
        --nginx /usr/sbin/nginx --module build/ngx_http_mlpredict_module.so \
        [--port 1991] [CASE ...]

Issue 8: real tabular inputs.  Every case fits a scikit-learn Pipeline here,
on pandas DataFrames with string categories and missing values, exports it
(format version 2: an input schema and the compiled preprocessing steps) and
compares scikit-learn's own predict() / predict_proba() on the test rows
with `mlpredict predict MODEL FILE` and with nginx (run as a child process
with the module loaded, as t/py does).

Data:
  fair_*   Fair's extramarital affairs data as statsmodels ships it
           (statsmodels.datasets.fair), its coded columns turned into the
           names its documentation gives (occupation "student", religious
           "mildly", ...);
  churn_*  a synthetic churn-like frame made here: numbers with NaN, string
           categories with rare values and NaN; the test rows hold
           categories never seen in training and NaN.
  numpy_*  a pipeline fitted on a numpy array (inputs x0, x1, ...);
  example_*  the format 2 examples of models/make_examples.py.

Requests: every test row as a batch of named rows ({"instances": [{"age":
37, "plan": "premium", "income": null}, ...]}), the same as positional rows,
and single rows both ways ({"age": ...} with missing inputs left out, and
{"features": [37, "premium", null]}).

Agreement: labels equal; forests and trees bit for bit; HistGradientBoosting
bit for bit for regression without exp, within 1e-15 relative where exp is
involved (probabilities); everything else (linear, logistic, a target
transform, steps with log/exp/sqrt) within 1e-12 relative.

Error cases: an unknown category under handle_unknown='error', a string for
a number input, a number for a category input, null or an absent input
where the pipeline does not take a missing value: each must be a 400 (CLI:
exit 1, {"error": ...} on stderr) whose message names the input (and the
unknown value).

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
import pandas as pd  # noqa: E402

sys.dont_write_bytecode = True   # keep the source tree clean
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

from mlpredict_export import export  # noqa: E402

RTOL = 1e-12
TIMEOUT = 60
N_TRAIN = 1500
N_TEST = 160
N_SINGLE = 3

warnings.filterwarnings("ignore", category=FutureWarning)
warnings.filterwarnings("ignore", category=UserWarning)
warnings.filterwarnings("ignore", category=RuntimeWarning)


# --------------------------------------------------------------------------
# results, comparison, the CLI and nginx (as t/py has them)

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


def same_label(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return False


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
        if not isinstance(gp, dict) or set(gp) != set(wp):
            return "%s: probabilities keys %s, expected %s" % (
                where, sorted(gp) if isinstance(gp, dict) else _short(gp),
                sorted(wp))
        for k in wp:
            msg = tol.number(gp[k], wp[k], "%s: probability of %s" % (
                where, json.dumps(k)))
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


def run_cli(cli, model_path, body):
    p = subprocess.run([cli, "predict", model_path], input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


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


# --------------------------------------------------------------------------
# data

OCCUPATIONS = {1: "student", 2: "farming, semi-skilled or unskilled",
               3: "white-collar", 4: "teacher, nurse, artist, technician",
               5: "managerial, administrative, business",
               6: "professional with advanced degree"}
RELIGIOUS = {1: "not", 2: "mildly", 3: "fairly", 4: "strongly"}
RATE_MARRIAGE = {1: "very poor", 2: "poor", 3: "fair", 4: "good",
                 5: "very good"}


def fair_frame():
    """statsmodels' Fair data with its codes named as documented; y:
    "yes" when affairs > 0, and the affairs measure itself."""
    from statsmodels.datasets import fair
    df = fair.load_pandas().data.copy()
    X = pd.DataFrame({
        "rate_marriage": df["rate_marriage"].astype(int).map(RATE_MARRIAGE)
        .astype(object),
        "age": df["age"].astype(float),
        "yrs_married": df["yrs_married"].astype(float),
        "children": df["children"].astype(float),
        "religious": df["religious"].astype(int).map(RELIGIOUS)
        .astype(object),
        "educ": df["educ"].astype(int),
        "occupation": df["occupation"].astype(int).map(OCCUPATIONS)
        .astype(object),
        "occupation_husb": df["occupation_husb"].astype(int)
        .map(OCCUPATIONS).astype(object),
    })
    y_cls = np.where(df["affairs"].values > 0, "yes", "no")
    y_reg = df["affairs"].values.astype(float)
    rng = np.random.RandomState(0)
    idx = rng.permutation(len(X))
    tr, te = idx[:N_TRAIN], idx[N_TRAIN:N_TRAIN + N_TEST]
    X = X.reset_index(drop=True)
    return (X.iloc[tr].reset_index(drop=True),
            X.iloc[te].reset_index(drop=True),
            y_cls[tr], y_reg[tr])


def churn_frame(n, seed, test=False):
    """A churn-like frame: numbers with NaN, string categories with rare
    values and NaN; test=True adds categories never seen in training."""
    rng = np.random.RandomState(seed)
    age = rng.normal(45, 12, n).round(1)
    income = np.exp(rng.normal(10.5, 0.6, n)).round(2)
    tenure = rng.randint(0, 72, n).astype(float)
    calls = rng.poisson(1.5, n).astype(float)
    plan = rng.choice(["basic", "standard", "premium", "enterprise"], n,
                      p=[0.5, 0.3, 0.18, 0.02]).astype(object)
    region = rng.choice(["north", "south", "east", "west", "island"], n,
                        p=[0.3, 0.3, 0.2, 0.17, 0.03]).astype(object)
    contract = rng.choice(["monthly", "yearly"], n, p=[0.6, 0.4]
                          ).astype(object)
    age[rng.rand(n) < 0.1] = np.nan
    income[rng.rand(n) < 0.1] = np.nan
    region[rng.rand(n) < 0.08] = np.nan
    plan[rng.rand(n) < 0.05] = np.nan
    if test:
        unseen = rng.rand(n) < 0.1
        plan[unseen] = "platinum"
        unseen = rng.rand(n) < 0.1
        region[unseen] = "atlantis"
    X = pd.DataFrame({"age": age, "income": income, "tenure": tenure,
                      "support_calls": calls, "plan": plan,
                      "region": region, "contract": contract})
    a = np.nan_to_num(age, nan=45.0)
    inc = np.nan_to_num(income, nan=36000.0)
    z = (-1.0 + 0.04 * (a - 45) - 0.03 * tenure + 0.5 * calls
         - 0.00001 * (inc - 36000)
         + np.where(plan == "premium", -0.8, 0.0)
         + np.where(contract == "yearly", -1.2, 0.0)
         + np.where(region == "island", 1.0, 0.0))
    y_cls = np.where(rng.rand(n) < 1 / (1 + np.exp(-z)), "yes", "no")
    y_reg = np.round(20 + 0.5 * tenure + np.where(plan == "premium", 30, 0)
                     + np.where(plan == "standard", 10, 0)
                     + rng.gamma(2.0, 5.0, n), 2)
    return X, y_cls, y_reg


# --------------------------------------------------------------------------
# cases

class Case:
    def __init__(self, name, model, X_train, y, X_test, exact=False,
                 rtol=RTOL, errors=(), sample=False):
        self.name = name
        self.model = model
        self.X_train = X_train
        self.y = y
        self.X_test = X_test
        self.exact = exact
        self.rtol = rtol
        self.errors = list(errors)   # (label, body dict, words)
        self.sample = sample
        self.fitted = False
        self.path = None
        self.reqs = []
        self.bad = []


def _no_unknown(X, col, known):
    X = X.copy()
    bad = ~X[col].isin(known)
    X.loc[bad, col] = known[0]
    return X


def build_cases():
    from sklearn.compose import (ColumnTransformer,
                                 TransformedTargetRegressor,
                                 make_column_selector)
    from sklearn.ensemble import (GradientBoostingRegressor,
                                  HistGradientBoostingClassifier,
                                  HistGradientBoostingRegressor,
                                  RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.impute import MissingIndicator, SimpleImputer
    from sklearn.linear_model import (LinearRegression, LogisticRegression,
                                      Ridge)
    from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
    from sklearn.preprocessing import (Binarizer, FunctionTransformer,
                                       KBinsDiscretizer, MaxAbsScaler,
                                       MinMaxScaler, Normalizer,
                                       OneHotEncoder, OrdinalEncoder,
                                       PolynomialFeatures, RobustScaler,
                                       StandardScaler)
    from sklearn.tree import DecisionTreeRegressor

    cases = []
    fX, fX_test, fy, fy_reg = fair_frame()
    cats = ["rate_marriage", "religious", "occupation", "occupation_husb"]
    nums = ["age", "yrs_married", "children", "educ"]

    # fair: one-hot by name, scaled numbers by dtype selector, logistic
    cases.append(Case("fair_logistic", Pipeline([
        ("prep", ColumnTransformer([
            ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
            ("num", StandardScaler(),
             make_column_selector(dtype_include=np.number)),
        ])),
        ("clf", LogisticRegression(max_iter=2000)),
    ]), fX, fy, fX_test, errors=[
        ("null for a number input", {"age": None}, ["age"]),
        ("string for a number input", {"age": "old"}, ["age"]),
        ("number for a category input", {"occupation": 3}, ["occupation"]),
    ]))

    # fair: ordinal codes by object-dtype selector, rest passthrough, forest
    cases.append(Case("fair_forest", Pipeline([
        ("prep", ColumnTransformer([
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value",
                                   unknown_value=-1),
             make_column_selector(dtype_include=object)),
        ], remainder="passthrough")),
        ("clf", RandomForestClassifier(n_estimators=30, max_depth=8,
                                       random_state=0)),
    ]), fX, fy, fX_test, exact=True))

    # fair: HistGradientBoosting with native categories (boolean mask)
    ct = ColumnTransformer([
        ("cat", OrdinalEncoder(), cats),
        ("num", "passthrough", nums),
    ], verbose_feature_names_out=False)
    cases.append(Case("fair_hgb_native", Pipeline([
        ("prep", ct),
        ("clf", HistGradientBoostingClassifier(
            max_iter=40, random_state=0,
            categorical_features=[True] * 4 + [False] * 4)),
    ]), fX, fy, fX_test, rtol=1e-15, errors=[
        ("unknown category", {"occupation": "astronaut"},
         ["occupation", "astronaut"]),
    ]))

    # fair: 4 classes (how religious), native categories (softmax)
    others = [c for c in fX.columns if c != "religious"]
    cases.append(Case("fair_hgb_multiclass", Pipeline([
        ("prep", ColumnTransformer([
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value",
                                   unknown_value=np.nan),
             make_column_selector(dtype_include=object)),
        ], remainder="passthrough")),
        ("clf", HistGradientBoostingClassifier(
            max_iter=15, random_state=0,
            categorical_features=[True, True, True, False, False, False,
                                  False])),
    ]), fX[others], fX["religious"].values, fX_test[others], rtol=1e-15))

    # fair: target log1p / expm1 around Ridge, drop='first', polynomial
    # terms of the numbers, columns by position
    cases.append(Case("fair_ttr_ridge", TransformedTargetRegressor(
        regressor=Pipeline([
            ("prep", ColumnTransformer([
                ("cat", OneHotEncoder(drop="first", sparse_output=False),
                 [0, 4, 6]),
                ("poly", PolynomialFeatures(degree=2, include_bias=False),
                 [1, 2, 3]),
            ], remainder="drop")),
            ("reg", Ridge(alpha=1.0)),
        ]), func=np.log1p, inverse_func=np.expm1),
        fX, fy_reg, fX_test, sample=True))   # occupation_husb: dropped

    # churn
    cX, cy, cy_reg = churn_frame(N_TRAIN, 1)
    cX_test, _, _ = churn_frame(N_TEST, 2, test=True)
    cX_test_known = _no_unknown(cX_test, "contract", ["monthly", "yearly"])

    churn_prep = ColumnTransformer([
        ("num", Pipeline([("impute", SimpleImputer(strategy="median",
                                                   add_indicator=True)),
                          ("scale", StandardScaler())]),
         ["age", "income"]),
        ("cat", Pipeline([
            ("impute", SimpleImputer(strategy="constant",
                                     fill_value="missing")),
            ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist",
                                     min_frequency=40,
                                     sparse_output=False))]),
         ["plan", "region"]),
        ("contract", OneHotEncoder(drop="if_binary", sparse_output=False),
         ["contract"]),
    ], remainder=MinMaxScaler(clip=True))
    cases.append(Case("churn_logistic", Pipeline([
        ("prep", churn_prep),
        ("clf", LogisticRegression(max_iter=2000)),
    ]), cX, cy, cX_test_known, errors=[
        ("unknown category", {"contract": "lifetime"},
         ["contract", "lifetime"]),
        ("null for a category input without a rule", {"contract": None},
         ["contract"]),
        ("absent input without a rule", {"contract": "absent"},
         ["contract"]),
        ("string for a number input", {"tenure": "long"}, ["tenure"]),
        ("number for a category input", {"plan": 3}, ["plan"]),
    ]))
    # (scikit-learn takes the number 3 in an object column that an encoder
    # with handle_unknown="infrequent_if_exist" reads: mlpredict is stricter,
    # a category input takes strings only)

    # churn: HistGradientBoosting, native categories by index, unknown
    # categories as -1 (plan) and as NaN (region)
    cases.append(Case("churn_hgb_native", Pipeline([
        ("prep", ColumnTransformer([
            ("plan", OrdinalEncoder(handle_unknown="use_encoded_value",
                                    unknown_value=-1), ["plan"]),
            ("region", OrdinalEncoder(handle_unknown="use_encoded_value",
                                      unknown_value=np.nan), ["region"]),
            ("contract", OrdinalEncoder(), ["contract"]),
        ], remainder="passthrough")),
        ("clf", HistGradientBoostingClassifier(
            max_iter=40, random_state=0, categorical_features=[0, 1, 2])),
    ]), cX, cy, cX_test_known, rtol=1e-15))

    # churn: pandas "category" dtype columns, Poisson loss (exp link)
    def as_category(X):
        X = X.copy()
        for c in ("plan", "region"):
            X[c] = X[c].astype("category")
        return X
    cases.append(Case("churn_hgb_poisson", Pipeline([
        ("prep", ColumnTransformer([
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value",
                                   unknown_value=np.nan),
             make_column_selector(dtype_include="category")),
            ("contract", OneHotEncoder(drop="first", sparse_output=False),
             ["contract"]),
        ], remainder="passthrough")),
        ("reg", HistGradientBoostingRegressor(
            loss="poisson", max_iter=30, random_state=0,
            categorical_features=[0, 1])),
    ]), as_category(cX), cy_reg, as_category(cX_test_known), rtol=1e-15))

    cases.append(Case("churn_hgb_regressor", Pipeline([
        ("prep", ColumnTransformer([
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value",
                                   unknown_value=np.nan),
             ["plan", "region", "contract"]),
        ], remainder="passthrough")),
        ("reg", HistGradientBoostingRegressor(
            max_iter=40, random_state=0,
            categorical_features=[True, True, True, False, False, False,
                                  False])),
    ]), cX, cy_reg, cX_test, exact=True))

    # churn: a forest behind imputers, encoders with given categories,
    # NaN as a category, max_categories, drop explicit, a boolean mask,
    # a pattern selector, MissingIndicator
    mask = np.array([c in ("tenure", "support_calls") for c in cX.columns])
    cases.append(Case("churn_forest", Pipeline([
        ("prep", ColumnTransformer([
            ("plan", OrdinalEncoder(
                categories=[["basic", "standard", "premium", "enterprise"]],
                handle_unknown="use_encoded_value", unknown_value=-1,
                encoded_missing_value=-2), ["plan"]),
            ("region", OneHotEncoder(handle_unknown="ignore",
                                     max_categories=4,
                                     sparse_output=False), ["region"]),
            ("contract", OneHotEncoder(drop=["yearly"],
                                       sparse_output=False), ["contract"]),
            ("counts", "passthrough", mask),
            ("ind", MissingIndicator(features="all"), ["age", "income"]),
            ("money", SimpleImputer(strategy="mean"),
             make_column_selector(pattern="^(age|income)$")),
        ])),
        ("clf", RandomForestClassifier(n_estimators=25, max_depth=9,
                                       random_state=0)),
    ]), cX, cy, cX_test_known, exact=True))

    # churn: every numeric step once, behind imputers, into a linear model
    numeric_union = FeatureUnion([
        ("std", StandardScaler(with_mean=False)),
        ("robust", RobustScaler()),
        ("maxabs", MaxAbsScaler()),
        ("minmax", MinMaxScaler()),
        ("l1", Normalizer(norm="l1")),
        ("l2", Normalizer(norm="l2")),
        ("max", Normalizer(norm="max")),
        ("bin", Binarizer(threshold=40.0)),
        ("kq", KBinsDiscretizer(n_bins=4, encode="onehot-dense",
                                strategy="quantile")),
        ("ku", KBinsDiscretizer(n_bins=5, encode="ordinal",
                                strategy="uniform")),
        ("kk", KBinsDiscretizer(n_bins=3, encode="onehot",
                                strategy="kmeans")),
        ("poly", PolynomialFeatures(degree=(2, 3), interaction_only=True,
                                    include_bias=False)),
        ("poly2", PolynomialFeatures(degree=3)),
        ("log", FunctionTransformer(np.log1p)),
        ("exp", make_pipeline(MinMaxScaler(), FunctionTransformer(np.exp))),
        ("sqrt", FunctionTransformer(np.sqrt)),
        ("abs", FunctionTransformer(np.abs)),
        ("id", FunctionTransformer()),
        ("gone", "drop"),
    ], transformer_weights={"std": 2.0})
    cases.append(Case("churn_numeric_steps", Pipeline([
        ("prep", ColumnTransformer([
            ("num", Pipeline([
                ("impute", SimpleImputer(strategy="mean")),
                ("union", numeric_union),
            ]), ["age", "tenure", "support_calls"]),
            ("income", Pipeline([
                ("impute", SimpleImputer(strategy="constant",
                                         fill_value=30000.0)),
                ("log", FunctionTransformer(np.log, inverse_func=np.exp)),
                ("exp", FunctionTransformer(np.expm1)),
                ("scale", StandardScaler()),
            ]), ["income"]),
            ("plan", Pipeline([
                ("impute", SimpleImputer(strategy="most_frequent")),
                ("onehot", OneHotEncoder(handle_unknown="ignore")),
            ]), ["plan"]),
            ("region", OneHotEncoder(handle_unknown="ignore",
                                     sparse_output=False), ["region"]),
            ("contract", OrdinalEncoder(), ["contract"]),
        ], remainder="drop", verbose_feature_names_out=False)),
        ("reg", Ridge(alpha=0.1)),
    ]), cX, cy_reg, cX_test))

    # churn: selectors by dtype_exclude and slice, a 'drop' transformer
    # (of a string column: the sample says it is one), numeric categories
    # given, MissingIndicator refusing a missing value new to it,
    # transformer_weights, StandardScaler(with_std=False)
    cases.append(Case("churn_selectors", Pipeline([
        ("prep", ColumnTransformer([
            ("nums", make_pipeline(SimpleImputer(),
                                   StandardScaler(with_std=False)),
             make_column_selector(dtype_exclude=object)),
            ("calls", OneHotEncoder(categories=[[0.0, 1.0, 2.0, 3.0, 4.0]],
                                    handle_unknown="ignore",
                                    sparse_output=False), ["support_calls"]),
            ("ind", MissingIndicator(), ["age", "tenure"]),
            ("nothing", "drop", ["plan"]),
            ("rest", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                   OneHotEncoder(handle_unknown="ignore")),
             slice(5, 7)),
        ], transformer_weights={"nums": 0.5, "calls": 3.0})),
        ("clf", LogisticRegression(max_iter=2000)),
    ]), cX, cy, cX_test, sample=True, errors=[
        ("null where MissingIndicator refuses a new missing value",
         {"tenure": None}, ["tenure"]),
        ("string for a number input", {"support_calls": "many"},
         ["support_calls"]),
    ]))

    # churn: a string column whose missing values are None (not NaN), so
    # that scikit-learn learns None as a category: JSON null is that None
    def none_missing(X):
        X = X.copy()
        X["region"] = pd.Series([None if not isinstance(v, str) else v
                                 for v in X["region"]], dtype=object)
        return X
    cases.append(Case("churn_none_category", Pipeline([
        ("prep", ColumnTransformer([
            ("region", OneHotEncoder(handle_unknown="ignore",
                                     sparse_output=False), ["region"]),
            ("nums", SimpleImputer(), ["age", "income", "tenure",
                                       "support_calls"]),
        ])),
        ("clf", LogisticRegression(max_iter=2000)),
    ]), none_missing(cX), cy, none_missing(cX_test), sample=True))

    # sparse outputs (OneHotEncoder's default, ColumnTransformer's
    # sparse_threshold=1, KBinsDiscretizer's encode="onehot"): the same
    # values as dense, into a forest (bit for bit) and a logistic regression
    def sparse_prep():
        return ColumnTransformer([
            ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                  OneHotEncoder(handle_unknown="ignore")),
             ["plan", "region", "contract"]),
            ("bins", make_pipeline(SimpleImputer(),
                                   KBinsDiscretizer(n_bins=4)),
             ["age", "income"]),
            ("num", "passthrough", ["tenure", "support_calls"]),
        ], sparse_threshold=1.0)
    cases.append(Case("churn_sparse_forest", Pipeline([
        ("prep", sparse_prep()),
        ("clf", RandomForestClassifier(n_estimators=20, max_depth=8,
                                       random_state=0)),
    ]), cX, cy, cX_test, exact=True))
    cases.append(Case("churn_sparse_logistic", Pipeline([
        ("prep", sparse_prep()),
        ("clf", LogisticRegression(max_iter=2000)),
    ]), cX, cy, cX_test))

    cases.append(Case("churn_gb_minmax", Pipeline([
        ("prep", ColumnTransformer([
            ("num", make_pipeline(SimpleImputer(strategy="median"),
                                  MinMaxScaler(feature_range=(-1, 1))),
             ["age", "income", "tenure"]),
            ("cat", OrdinalEncoder(handle_unknown="use_encoded_value",
                                   unknown_value=-1, encoded_missing_value=-2),
             ["plan", "region"]),
        ])),
        ("reg", GradientBoostingRegressor(n_estimators=30, max_depth=3,
                                          random_state=0)),
    ]), cX, cy_reg, cX_test, sample=True))

    # numpy arrays: inputs x0.. x3, all numbers
    rng = np.random.RandomState(5)
    nX = rng.normal(size=(600, 4))
    nX[rng.rand(*nX.shape) < 0.1] = np.nan
    ny = np.nan_to_num(nX).dot([1.0, -2.0, 0.5, 3.0]) + rng.normal(size=600)
    nX_test = rng.normal(size=(80, 4))
    nX_test[rng.rand(*nX_test.shape) < 0.1] = np.nan
    cases.append(Case("numpy_poly_ridge", Pipeline([
        ("impute", SimpleImputer()),
        ("poly", PolynomialFeatures(degree=2)),
        ("scale", StandardScaler()),
        ("reg", LinearRegression()),
    ]), nX, ny, nX_test))
    cases.append(Case("numpy_tree_ttr", TransformedTargetRegressor(
        regressor=make_pipeline(SimpleImputer(), StandardScaler(),
                                StandardScaler(),
                                DecisionTreeRegressor(max_depth=6,
                                                      random_state=0)),
        func=np.exp, inverse_func=np.log),
        nX, np.abs(ny) / 10, nX_test))
    cases.append(Case("numpy_forest_regressor", make_pipeline(
        SimpleImputer(strategy="median"),
        RandomForestRegressor(n_estimators=10, max_depth=6, random_state=0)),
        nX, ny, nX_test, exact=True))

    # HistGradientBoosting with a native categorical feature and no steps;
    # test rows on the edges of scikit-learn's cast of a category value
    # (negative, 255, 256, beyond int32, not an integer, NaN)
    hX = np.c_[rng.randint(0, 12, 500), rng.normal(size=500)]
    hy = (hX[:, 0] % 3) * 2 + hX[:, 1] + rng.normal(size=500) * 0.1
    edges = [0, 5, 11, 12, -1, -0.5, 254, 255, 256, 300, 2.0 ** 31,
             -2.0 ** 31 - 1, 1e10, 2.7, 11.999, np.nan]
    hX_test = np.array([[e, v] for e in edges for v in (-1.0, 0.3, 2.0)])
    cases.append(Case("numpy_hgb_categorical", HistGradientBoostingRegressor(
        max_iter=20, random_state=0, categorical_features=[0]),
        hX, hy, hX_test, exact=True))

    # the shipped examples (models/make_examples.py), fitted there
    import make_examples
    for name in make_examples.CATEGORICAL_EXAMPLES:
        model, X_test, _ = make_examples.build(name)
        case = Case("example_" + name, model, None, None, X_test,
                    rtol=1e-15 if "hgb" in name else RTOL)
        case.fitted = True
        cases.append(case)
    return cases


# --------------------------------------------------------------------------
# expected answers and requests

def json_value(v):
    if v is None:
        return None
    if isinstance(v, (str, np.str_)):
        return str(v)
    if isinstance(v, (np.integer, int)) and not isinstance(v, bool):
        return int(v)
    v = float(v)
    return None if math.isnan(v) else v


def rows_of(X):
    """(names, list of rows of JSON values)"""
    if isinstance(X, pd.DataFrame):
        names = [str(c) for c in X.columns]
        rows = [[json_value(v) for v in r]
                for r in X.itertuples(index=False, name=None)]
    else:
        names = ["x%d" % i for i in range(X.shape[1])]
        rows = [[json_value(v) for v in r] for r in X]
    return names, rows


def label_of(v):
    return label_json(v)


def expected(model, X):
    est = model
    if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
        labels = model.predict(X)
        proba = model.predict_proba(X)
        keys = [label_key(label_of(c)) for c in model.classes_]
        return [{"prediction": json.loads(label_of(lab)),
                 "probabilities": {k: float(p) for k, p in zip(keys, row)}}
                for lab, row in zip(labels, proba)]
    pred = np.asarray(est.predict(X), dtype=float)
    out = []
    for r in pred:
        if np.ndim(r) == 0:
            out.append({"prediction": float(r)})
        else:
            out.append({"prediction": [float(v) for v in r]})
    return out


class Tol:
    """Number comparison for one check: bit-exact or within `rtol`; records
    the largest difference seen and the first number that is off."""

    def __init__(self, exact, rtol):
        self.exact = exact
        self.rtol = rtol
        self.n = 0
        self.n_off = 0
        self.max_abs = 0.0
        self.max_rel = 0.0
        self.first_off = None

    def number(self, got, want, where):
        if isinstance(got, bool) or not isinstance(got, (int, float)):
            return "%s: %s is not a number (scikit-learn says %r)" % (
                where, _short(got), want)
        a, b = float(got), float(want)
        if not math.isfinite(a):
            return "%s: %r is not finite" % (where, got)
        self.n += 1
        d = abs(a - b)
        rel = d / max(abs(a), abs(b)) if d else 0.0
        self.max_abs = max(self.max_abs, d)
        self.max_rel = max(self.max_rel, rel)
        ok = (d == 0.0) if self.exact else (
            d <= self.rtol * max(abs(a), abs(b)))
        if not ok:
            self.n_off += 1
            if self.first_off is None:
                self.first_off = "%s is %r, scikit-learn says %r" % (
                    where, got, want)
        return None

    def verdict(self):
        if self.n_off == 0:
            return None
        return "%s (%d of %d numbers %s; max abs diff %.3g, max rel diff " \
               "%.3g)" % (self.first_off, self.n_off, self.n,
                          "not bit-exact" if self.exact
                          else "beyond %g relative" % self.rtol,
                          self.max_abs, self.max_rel)

    def detail(self):
        if self.exact:
            return "%d numbers bit-exact" % self.n
        return "%d numbers, max rel diff %.3g" % (self.n, self.max_rel)


def judge(res, case, what, out, chk):
    try:
        resp = json.loads(out)
    except ValueError as e:
        res.fail(what, "answer is not JSON (%s): %r" % (e, out[:300]))
        return
    tol = Tol(case.exact, case.rtol)
    msg = chk(resp, tol) or tol.verdict()
    if msg:
        res.fail(what, msg)
    else:
        res.ok(what, tol.detail())


def make_requests(case):
    names, rows = rows_of(case.X_test)
    want = expected(case.model, case.X_test)

    def batch_chk(w):
        return lambda resp, tol: compare_batch(resp, w, tol)

    def single_chk(w):
        return lambda resp, tol: compare_single(resp, w, tol)

    reqs = []
    named = [dict(zip(names, r)) for r in rows]
    reqs.append(("batch named", json.dumps({"instances": named}).encode(),
                 batch_chk(want)))
    reqs.append(("batch positional", json.dumps({"instances": rows}).encode(),
                 batch_chk(want)))
    # single rows: prefer rows with missing values or unseen categories
    order = sorted(range(len(rows)),
                   key=lambda i: -sum(v is None for v in rows[i]))
    for i in order[:N_SINGLE]:
        # a missing value as an absent input
        obj = {n: v for n, v in zip(names, rows[i]) if v is not None}
        reqs.append(("row %d named" % i, json.dumps(obj).encode(),
                     single_chk(want[i])))
        reqs.append(("row %d features" % i,
                     json.dumps({"features": rows[i]}).encode(),
                     single_chk(want[i])))
    case.reqs = reqs
    base = dict(zip(names, rows[0]))
    for n in names:      # a full row: no missing value in the base
        if base[n] is None:
            for r in rows:
                if r[names.index(n)] is not None:
                    base[n] = r[names.index(n)]
                    break
    bad = []
    for lab, change, words in case.errors:
        obj = dict(base)
        for k, v in change.items():
            if v == "absent":
                del obj[k]
            else:
                obj[k] = v
        # scikit-learn must refuse it too, except a number for a category
        # input (mlpredict takes strings only there)
        X1 = pd.DataFrame([obj]) if isinstance(case.X_test, pd.DataFrame) \
            else None
        refused = True
        if X1 is not None and not lab.startswith("number for a category"):
            X1 = X1.reindex(columns=names)
            for n in names:
                if case.X_test[n].dtype.kind == "f":
                    X1[n] = pd.to_numeric(X1[n], errors="ignore")
            try:
                case.model.predict(X1)
                refused = False
            except (ValueError, TypeError):
                pass
        bad.append((lab, json.dumps(obj).encode(), words, refused))
    case.bad = bad


# --------------------------------------------------------------------------
# checks

def check_export(res, case, tmp):
    import warnings as _w
    if not case.fitted:
        with _w.catch_warnings():
            _w.simplefilter("ignore")
            case.model.fit(case.X_train, case.y)
    path = os.path.join(tmp, case.name + ".mlp")
    try:
        info = export(case.model, path,
                      sample=case.X_train.head() if case.sample else None)
    except Exception as e:
        res.fail("%s export" % case.name, "%s: %s" % (type(e).__name__, e))
        return False
    with open(path, "rb") as f:
        version = int.from_bytes(f.read(12)[8:12], "little")
    if version != 2:
        res.fail("%s export" % case.name, "format version %d, expected 2"
                 % version)
        return False
    case.path = path
    res.ok("%s export" % case.name, "%d inputs, %d steps, %d features, "
           "%d bytes" % (len(info["input_names"]), info["n_steps"],
                         info["n_features"], info["size"]))
    return True


def check_refused_by_sklearn(res, case):
    for lab, body, words, refused in case.bad:
        if not refused:
            res.fail("%s sklearn refuses: %s" % (case.name, lab),
                     "scikit-learn accepts %s" % body.decode())


def error_verdict(err_text, words):
    try:
        e = json.loads(err_text)
    except ValueError:
        return None, "not JSON: %r" % err_text[:300]
    if not (isinstance(e, dict) and isinstance(e.get("error"), str)):
        return None, "not {\"error\": \"...\"}: %r" % err_text[:300]
    missing = [w for w in words if w not in e["error"]]
    if missing:
        return None, "the message %r does not name %s" % (
            e["error"], ", ".join(repr(w) for w in missing))
    return e["error"], None


def check_cli(res, cli, case):
    for lab, body, chk in case.reqs:
        what = "%s cli %s" % (case.name, lab)
        with tempfile.NamedTemporaryFile(suffix=".json") as f:
            f.write(body)
            f.flush()
            try:
                p = subprocess.run(
                    [cli, "predict", case.path, f.name],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE, timeout=TIMEOUT)
            except (OSError, subprocess.SubprocessError) as e:
                res.fail(what, "cannot run %s: %s" % (cli, e))
                continue
        if p.returncode != 0:
            res.fail(what, "exit %d, stderr: %s" % (
                p.returncode, p.stderr.decode("utf-8", "replace")[:500]))
            continue
        judge(res, case, what, p.stdout, chk)
    for lab, body, words, _ in case.bad:
        what = "%s cli error: %s" % (case.name, lab)
        try:
            rc, out, err = run_cli(cli, case.path, body)
        except (OSError, subprocess.SubprocessError) as e:
            res.fail(what, "cannot run %s: %s" % (cli, e))
            continue
        if rc != 1:
            res.fail(what, "exit %d (expected 1), stdout %r" % (rc, out[:300]))
            continue
        msg, why = error_verdict(err.decode("utf-8", "replace"), words)
        if why:
            res.fail(what, why)
        else:
            res.ok(what, msg)


def check_http(res, ngx, case):
    for lab, body, chk in case.reqs:
        what = "%s http %s" % (case.name, lab)
        try:
            status, out = ngx.post(case.name, body)
        except OSError as e:
            res.fail(what, "request failed: %s" % e)
            continue
        if status != 200:
            res.fail(what, "status %d: %s" % (status, out[:500]))
            continue
        judge(res, case, what, out, chk)
    for lab, body, words, _ in case.bad:
        what = "%s http error: %s" % (case.name, lab)
        try:
            status, out = ngx.post(case.name, body)
        except OSError as e:
            res.fail(what, "request failed: %s" % e)
            continue
        if status != 400:
            res.fail(what, "status %d (expected 400): %r" % (status,
                                                             out[:300]))
            continue
        msg, why = error_verdict(out.decode("utf-8", "replace"), words)
        if why:
            res.fail(what, why)
        else:
            res.ok(what, msg)
    what = "%s http metadata" % case.name
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/%s" % (
                ngx.port, case.name), timeout=TIMEOUT) as r:
            meta = json.loads(r.read())
        if meta.get("format_version") not in (None, 2):
            res.fail(what, "format_version %r" % meta.get("format_version"))
        elif "pipeline" not in (meta.get("producer") or {}):
            res.fail(what, "no producer.pipeline: %s" % _short(meta))
        else:
            res.ok(what)
    except (OSError, ValueError) as e:
        res.fail(what, "GET failed: %s" % e)


def check_refusals(res, tmp):
    """Pipelines the exporter must refuse, naming the step and the reason."""
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import (FunctionTransformer, SplineTransformer,
                                       QuantileTransformer, StandardScaler)

    rng = np.random.RandomState(0)
    X = rng.rand(50, 3) * 0.5 + 0.1
    y = X.sum(axis=1) / 10
    cases = [
        ("unsupported function", ["FunctionTransformer", "tanh"],
         make_pipeline(FunctionTransformer(np.tanh), LinearRegression())),
        ("unsupported function (lambda)", ["FunctionTransformer",
                                           "<lambda>"],
         make_pipeline(FunctionTransformer(lambda a: a * 2),
                       LinearRegression())),
        ("unsupported step", ["SplineTransformer"],
         make_pipeline(SplineTransformer(), LinearRegression())),
        ("unsupported step", ["QuantileTransformer"],
         make_pipeline(QuantileTransformer(n_quantiles=10),
                       LinearRegression())),
        ("missing_values not NaN", ["SimpleImputer", "missing_values"],
         make_pipeline(SimpleImputer(missing_values=-1.0),
                       LinearRegression())),
        ("unsupported inverse_func", ["TransformedTargetRegressor",
                                      "inverse_func", "tanh"],
         TransformedTargetRegressor(regressor=LinearRegression(),
                                    func=np.log1p, inverse_func=np.tanh,
                                    check_inverse=False)),
        ("unsupported transformer", ["TransformedTargetRegressor",
                                     "StandardScaler"],
         TransformedTargetRegressor(regressor=LinearRegression(),
                                    transformer=StandardScaler())),
    ]
    for lab, words, model in cases:
        what = "refuse %s" % lab
        try:
            model.fit(X, y)
        except ValueError as e:
            res.fail(what, "cannot fit: %s" % e)
            continue
        try:
            export(model, os.path.join(tmp, "refused.mlp"))
            res.fail(what, "exported")
        except ValueError as e:
            missing = [w for w in words if w not in str(e)]
            if missing:
                res.fail(what, "message %r does not name %s" % (str(e),
                                                                missing))
            else:
                res.ok(what, str(e))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", help="the mlpredict tool (skip CLI checks if "
                                  "not given)")
    ap.add_argument("--nginx", help="the nginx binary (skip HTTP checks if "
                                    "not given)")
    ap.add_argument("--module", help="ngx_http_mlpredict_module.so")
    ap.add_argument("--port", type=int, default=1991)
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directories")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("cases", nargs="*", help="cases to test (default: all)")
    args = ap.parse_args()
    if args.nginx and not args.module:
        ap.error("--nginx needs --module")

    res = Results(args.verbose)
    tmp = tempfile.mkdtemp(prefix="mlpredict-parity-pipelines-")
    ngx = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        cases = []
        for case in build_cases():
            if args.cases and case.name not in args.cases:
                continue
            if not check_export(res, case, tmp):
                continue
            make_requests(case)
            check_refused_by_sklearn(res, case)
            cases.append(case)
        if not args.cases:
            check_refusals(res, tmp)
        if args.cli:
            cli = os.path.abspath(args.cli)
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
        res.fail("parity_pipelines", "interrupted")
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
