#!/usr/bin/python3
"""`mlpredict eval` and `mlpredict predict --csv` against scikit-learn.

    /usr/bin/python3 t/eval.py --cli build/mlpredict

For every example of models/make_examples.py (EXAMPLES,
CATEGORICAL_EXAMPLES, SVM_EXAMPLES): fit it, export it to a temporary
directory, write its test split as CSV with pandas (DataFrame.to_csv: NaN
as empty cells, strings for categories) with a label column and a group
column, then

  predict  `predict MODEL DATA.csv --csv --keep id`: the kept column, the
           labels equal to the estimator's predict(), every number within
           1e-12 relative of predict() / predict_proba() (decision values,
           where there are no probabilities, within 1e-9 of
           decision_function(), the bar of t/parity_svm.py's kind);
  eval     `eval MODEL DATA.csv --label label --by group --json`: every
           figure equal, within 1e-12 relative, to scikit-learn.metrics on
           the same predictions (the ones predict --csv wrote), over every
           row and over each group, and the fairness gaps to the same
           rates computed here with numpy;
  text     the report without --json runs and shows its figures.

The labels are the model's own predictions with a share of them changed
(seeded) to another class, or for a regressor the predictions plus noise:
the metrics are compared on the same predictions, so what counts is that
every kind of error occurs. Edge cases on a binary and a three-class model:
one class absent from the predictions, a class absent from the labels, all
correct, all wrong, a single row, labels the model does not know (the
binary case where scikit-learn's LabelBinarizer keeps one column
included), numeric labels spelled as 1.0. Then the CSV reading rules end
to end: quoting, CRLF, a BOM, NA/null/NaN, extra columns, and errors that
name the file, the line and the column with nothing on stdout.

One line per check, then "N passed, N failed"; exit status 1 on failure.
"""

import argparse
import csv
import io
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

import make_examples  # noqa: E402
from mlpredict_export import export  # noqa: E402

from sklearn import metrics as skm  # noqa: E402
from sklearn.exceptions import UndefinedMetricWarning  # noqa: E402

warnings.filterwarnings("ignore", category=UndefinedMetricWarning)
warnings.filterwarnings("ignore", category=RuntimeWarning)
warnings.filterwarnings("ignore", message="X has feature names")
warnings.filterwarnings("ignore", message=".*y_pred contains classes.*")

RTOL = 1e-12
FLIP = 0.2


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def ok(self, name, detail=""):
        self.passed += 1
        print("ok      %s%s" % (name, (" (%s)" % detail) if detail else ""))
        sys.stdout.flush()

    def fail(self, name, why):
        self.failed += 1
        why = str(why)
        if len(why) > 2000:
            why = why[:2000] + "... [truncated]"
        print("FAILED  %s: %s" % (name, why))
        sys.stdout.flush()

    def check(self, name, why, detail=""):
        if why:
            self.fail(name, why)
        else:
            self.ok(name, detail)


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    a, b = float(a), float(b)
    if math.isnan(a) or math.isnan(b):
        return False
    return a == b or abs(a - b) <= RTOL * max(abs(a), abs(b))


def run(cli, *args):
    p = subprocess.run([cli] + list(args), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=300)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def key(c):
    """A class as the JSON report keys it: the label as text (a bool as
    JSON writes it)."""
    if isinstance(c, (np.bool_, bool)):
        return "true" if c else "false"
    if isinstance(c, (np.integer, int)):
        return str(int(c))
    if isinstance(c, (np.floating, float)):
        return repr(float(c))
    return str(c)


# --------------------------------------------------------------------------
# scikit-learn's figures

def undefined(f):
    try:
        v = f()
    except ValueError:
        return None
    v = float(v)
    return None if math.isnan(v) else v


def typed(v):
    """Labels as pandas hands them to scikit-learn: an int or str array
    (an object array of ints is a target type scikit-learn refuses)."""
    return np.array(list(v))


def ref_classification(y, p, proba, classes):
    y = typed(y)
    p = typed(p)
    known = np.isin(y, classes)
    r = {"task": "classification", "rows": len(y),
         "accuracy": skm.accuracy_score(y, p),
         "balanced_accuracy": skm.balanced_accuracy_score(y, p)}
    for avg in (None, "macro", "weighted"):
        pr, rc, f1, sup = skm.precision_recall_fscore_support(
            y, p, labels=classes, average=avg)
        for name, v in (("precision", pr), ("recall", rc), ("f1", f1)):
            d = r.setdefault(name, {})
            if avg is None:
                d["per_class"] = {key(c): float(x)
                                  for c, x in zip(classes, v)}
            else:
                d[avg] = float(v)
        if avg is None:
            r["support"] = {key(c): int(x) for c, x in zip(classes, sup)}
    r["confusion_matrix"] = {
        "labels": [key(c) for c in classes],
        "matrix": skm.confusion_matrix(y, p, labels=classes).tolist()}
    if proba is None:
        # decision values, no probabilities: neither is computed
        r["log_loss"] = None
        r["roc_auc"] = None
        return r
    r["log_loss"] = skm.log_loss(y, proba, labels=classes)
    if not known.all():
        r["roc_auc"] = None
    elif len(classes) == 2:
        r["roc_auc"] = undefined(lambda: skm.roc_auc_score(y, proba[:, 1]))
    else:
        r["roc_auc"] = undefined(lambda: skm.roc_auc_score(
            y, proba, multi_class="ovr", labels=classes))
    return r


def ref_regression(y, p):
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    one = y.ndim == 1 or y.shape[1] == 1
    return {
        "task": "regression", "rows": len(y),
        "mae": skm.mean_absolute_error(y, p),
        "mse": skm.mean_squared_error(y, p),
        "rmse": skm.mean_squared_error(y, p, squared=False),
        "r2": undefined(lambda: skm.r2_score(y, p)),
        "explained_variance": skm.explained_variance_score(y, p),
        "max_error": skm.max_error(y.ravel(), p.ravel()) if one else None,
        "median_absolute_error": skm.median_absolute_error(y, p),
        "mape": skm.mean_absolute_percentage_error(y, p),
    }


def ref_fairness(y, p, groups, classes):
    """Per class (the positive one alone with two classes): the rates of
    each group and the largest gaps, as the README defines them."""
    y = np.asarray(y, dtype=object)
    p = np.asarray(p, dtype=object)
    known = np.isin(y, classes)
    names = list(dict.fromkeys(groups))
    out = {}
    for c in (classes[1:] if len(classes) == 2 else classes):
        rates = {"selection_rate": {}, "true_positive_rate": {},
                 "false_positive_rate": {}}
        for g in names:
            m = np.asarray([x == g for x in groups])
            rates["selection_rate"][g] = float(np.mean(p[m] == c))
            pos = m & known & (y == c)
            neg = m & known & (y != c)
            rates["true_positive_rate"][g] = (
                float(np.mean(p[pos] == c)) if pos.any() else None)
            rates["false_positive_rate"][g] = (
                float(np.mean(p[neg] == c)) if neg.any() else None)

        def gap(d):
            v = [x for x in d.values() if x is not None]
            return max(v) - min(v) if v else None
        dp = gap(rates["selection_rate"])
        tg = gap(rates["true_positive_rate"])
        fg = gap(rates["false_positive_rate"])
        eo = max(x for x in (tg, fg) if x is not None) \
            if (tg is not None or fg is not None) else None
        rates["demographic_parity_difference"] = dp
        rates["equalized_odds_difference"] = eo
        out[key(c)] = rates
    return out


def diff(got, want, where=""):
    """The first difference between the report and the reference."""
    if isinstance(want, dict):
        if not isinstance(got, dict):
            return "%s: %r, expected an object" % (where, got)
        for k in want:
            if k not in got:
                return "%s: no key %r" % (where, k)
            d = diff(got[k], want[k], "%s.%s" % (where, k))
            if d:
                return d
        return None
    if isinstance(want, list):
        if not isinstance(got, list) or len(got) != len(want):
            return "%s: %r, expected %r" % (where, got, want)
        for i, (a, b) in enumerate(zip(got, want)):
            d = diff(a, b, "%s[%d]" % (where, i))
            if d:
                return d
        return None
    if isinstance(want, str) or isinstance(want, bool):
        return None if got == want else "%s: %r, expected %r" % (
            where, got, want)
    if want is None or isinstance(want, (int, float, np.number)):
        if isinstance(want, (int, np.integer)) and not isinstance(
                want, bool) and where.split(".")[-1] in ("rows",) \
                or ".support" in where or ".matrix" in where:
            return None if got == want else "%s: %r, expected %r" % (
                where, got, want)
        return None if close(got, want) else "%s: %r, expected %r" % (
            where, got, want)
    return "%s: cannot compare %r" % (where, want)


# --------------------------------------------------------------------------
# files

def frame(X, names):
    if isinstance(X, pd.DataFrame):
        return X.reset_index(drop=True).copy()
    return pd.DataFrame(np.asarray(X, dtype=float), columns=names)


def read_predict_csv(text):
    return pd.read_csv(pd.io.common.StringIO(text), keep_default_na=False,
                       dtype=str)


def predictions(res, cli, name, path, csv_path, df, model, classifier):
    """predict --csv, checked against predict()/predict_proba(): returns
    (labels, probabilities or values) as the CLI wrote them."""
    rc, out, err = run(cli, "predict", path, csv_path, "--csv",
                       "--keep", "id")
    if rc != 0:
        res.fail("%s predict --csv" % name, err.strip())
        return None
    got = read_predict_csv(out)
    X = df.drop(columns=["id", "label", "group"] +
                [c for c in df.columns if c.startswith("label_")],
                errors="ignore")
    if not isinstance(model_input(model, X), pd.DataFrame):
        X = X.to_numpy(dtype=float)
    why = None
    if list(got["id"]) != [str(i) for i in df["id"]]:
        why = "the kept column differs"
    if classifier and not hasattr(model, "predict_proba"):
        # decision values: "decision" for two classes
        classes = model.classes_
        want_p = model.predict(X)
        want_d = np.asarray(model.decision_function(X), dtype=float)
        if want_d.ndim == 1:
            cols = ["decision"]
            want_d = want_d[:, None]
        else:
            cols = ["decision_" + key(c) for c in classes]
        if list(got.columns) != ["id", "prediction"] + cols:
            why = why or "columns %r" % list(got.columns)
        if not why:
            labels = [classes[[key(c) for c in classes].index(s)]
                      for s in got["prediction"]]
            d = got[cols].to_numpy(dtype=float)
            bad = [i for i, (a, b) in enumerate(zip(labels, want_p))
                   if key(a) != key(b)]
            if bad:
                why = "row %d: label %r, predict() %r" % (
                    bad[0], labels[bad[0]], want_p[bad[0]])
            elif not (np.abs(d - want_d) <= 1e-9 * np.maximum(
                    np.abs(want_d), 1)).all():
                why = "decision values differ: max %g" % np.max(
                    np.abs(d - want_d))
        res.check("%s predict --csv" % name, why, "%d rows, decision "
                  "values" % len(df))
        return (labels, None) if not why else None
    if classifier:
        classes = model.classes_
        want_p = model.predict(X)
        want_proba = model.predict_proba(X)
        cols = ["proba_" + key(c) for c in classes]
        if list(got.columns) != ["id", "prediction"] + cols:
            why = why or "columns %r" % list(got.columns)
        proba = got[cols].to_numpy(dtype=float) if not why else None
        labels = [classes[[key(c) for c in classes].index(s)]
                  for s in got["prediction"]] if not why else None
        if not why:
            bad = [i for i, (a, b) in enumerate(zip(labels, want_p))
                   if key(a) != key(b)]
            if bad:
                why = "row %d: label %r, predict() %r" % (
                    bad[0], labels[bad[0]], want_p[bad[0]])
        if not why:
            rel = np.abs(proba - want_proba) / np.maximum(
                np.abs(want_proba), 1e-300)
            ok = (proba == want_proba) | (rel <= RTOL)
            if not ok.all():
                i = np.argwhere(~ok)[0]
                why = "row %d: proba %r, predict_proba() %r" % (
                    i[0], proba[tuple(i)], want_proba[tuple(i)])
        res.check("%s predict --csv" % name, why, "%d rows" % len(df))
        return (labels, proba) if not why else None
    want = np.asarray(model.predict(X), dtype=float)
    want = want.reshape(len(df), -1)
    cols = [c for c in got.columns if c.startswith("prediction")]
    vals = got[cols].to_numpy(dtype=float)
    if vals.shape != want.shape:
        why = "shape %r, expected %r" % (vals.shape, want.shape)
    elif not ((vals == want) | (np.abs(vals - want)
                                <= RTOL * np.abs(want))).all():
        i = np.argwhere(~((vals == want) | (np.abs(vals - want)
                                              <= RTOL * np.abs(want))))[0]
        why = "row %d: %r, predict() %r" % (i[0], vals[tuple(i)],
                                             want[tuple(i)])
    res.check("%s predict --csv" % name, why, "%d rows" % len(df))
    return (None, vals) if not why else None


def model_input(model, X):
    return X


def check_eval(res, cli, what, path, csv_path, y, p, proba, classes,
               groups=None, labels="label", by="group"):
    args = ["eval", path, csv_path, "--label", labels, "--json"]
    if groups is not None:
        args += ["--by", by]
    rc, out, err = run(cli, *args)
    if rc != 0:
        res.fail("%s eval" % what, err.strip())
        return
    if err:
        # no progress line, nothing, when stderr is not a terminal
        res.fail("%s eval" % what, "stderr not empty: %r" % err[:300])
        return
    try:
        got = json.loads(out)
    except ValueError as e:
        res.fail("%s eval" % what, "not JSON: %s: %r" % (e, out[:300]))
        return
    if classes is not None:
        want = ref_classification(y, p, proba, classes)
    else:
        want = ref_regression(y, proba)
    why = diff(got, want, "eval")
    if why is None and any(w != w.strip() for w in got.get("warnings", [])):
        why = "warnings padded for the text report: %r" % got["warnings"]
    if why is None and groups is not None:
        by = got.get("by", {})
        for g in dict.fromkeys(groups):
            m = np.asarray([x == g for x in groups])
            if classes is not None:
                wg = ref_classification(np.asarray(y, dtype=object)[m],
                                        np.asarray(p, dtype=object)[m],
                                        None if proba is None else proba[m],
                                        classes)
            else:
                wg = ref_regression(np.asarray(y)[m], proba[m])
            why = diff(by.get("groups", {}).get(g), wg, "by.groups.%s" % g)
            if why:
                break
        if why is None and classes is not None:
            wf = ref_fairness(y, p, groups, list(classes))
            why = diff(by.get("per_class"), wf, "by.per_class")
            if why is None and len(classes) == 2:
                k = key(classes[1])
                why = diff({x: by.get(x) for x in (
                    "demographic_parity_difference",
                    "equalized_odds_difference")},
                    {x: wf[k][x] for x in (
                        "demographic_parity_difference",
                        "equalized_odds_difference")}, "by")
    res.check("%s eval" % what, why, "%d rows%s" % (
        len(y), ", %d groups" % len(set(groups)) if groups else ""))
    return got


def write(df, path):
    df.to_csv(path, index=False)


# --------------------------------------------------------------------------

def example(res, cli, name, tmp):
    model, X, names = make_examples.build(name)
    path = os.path.join(tmp, name + ".mlp")
    export(model, path, names)
    df = frame(X, names)
    classifier = hasattr(model, "classes_")
    rng = np.random.default_rng(abs(hash(name)) % (2 ** 32))
    n = len(df)
    df.insert(0, "id", np.arange(n) + 1000)
    groups = list(rng.choice(["north", "south", "east"], n))
    csv_path = os.path.join(tmp, name + ".csv")
    if classifier:
        classes = list(model.classes_)
        Xm = X if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
        want_p = model.predict(Xm)
        y = np.array(want_p, dtype=object)
        flip = rng.random(n) < FLIP
        for i in np.flatnonzero(flip):
            y[i] = classes[(classes.index(y[i]) + 1
                            + rng.integers(len(classes) - 1))
                           % len(classes)]
        df["label"] = list(y)
        df["group"] = groups
        write(df, csv_path)
        got = predictions(res, cli, name, path, csv_path, df, model, True)
        if got is None:
            return
        p, proba = got
        check_eval(res, cli, name, path, csv_path, list(y), p, proba,
                   classes, groups)
        if name == "churn":
            # a model input as the groups, its missing cells the group ""
            g = ["" if isinstance(v, float) or v is None else str(v)
                 for v in df["region"]]
            check_eval(res, cli, name + " --by region (an input)", path,
                       csv_path, list(y), p, proba, classes, g, by="region")
        return model, X, names, path, classes
    Xm = X if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
    want = np.asarray(model.predict(Xm), dtype=float).reshape(n, -1)
    k = want.shape[1]
    y = want + rng.normal(0, 1, want.shape) * (want.std(axis=0) + 1)
    y = np.round(y, 3)
    lab = ["label"] if k == 1 else ["label_%d" % j for j in range(k)]
    for j, c in enumerate(lab):
        df[c] = y[:, j]
    df["group"] = groups
    write(df, csv_path)
    got = predictions(res, cli, name, path, csv_path, df, model, False)
    if got is None:
        return
    _, vals = got
    check_eval(res, cli, name, path, csv_path, y if k > 1 else y[:, 0],
               None, vals if k > 1 else vals[:, 0], None, groups,
               labels=",".join(lab))
    return None


def edge_cases(res, cli, name, tmp):
    """Labels chosen to hit scikit-learn's corner cases on `name`."""
    model, X, names = make_examples.build(name)
    path = os.path.join(tmp, name + "_edge.mlp")
    export(model, path, names)
    Xm = X if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)
    classes = list(model.classes_)
    p = np.array(model.predict(Xm), dtype=object)
    proba = model.predict_proba(Xm)
    base = frame(X, names)
    rng = np.random.default_rng(7)
    c0, c1 = classes[0], classes[-1]
    unknown = "no such label" if isinstance(c0, str) else 7

    def other(v):
        return classes[(classes.index(v) + 1) % len(classes)]

    cases = []
    # one class absent from the predictions: rows the model does not give
    # the last class, labels of every class
    rows = np.flatnonzero(p != c1)
    y = p[rows].copy()
    y[::3] = c1
    cases.append(("absent from predictions", rows, y))
    # a class absent from the labels
    rows = np.arange(len(p))
    y = np.array([other(v) if v == c0 else v for v in p], dtype=object)
    cases.append(("absent from labels", rows, y))
    cases.append(("all correct", rows, p.copy()))
    cases.append(("all wrong", rows,
                  np.array([other(v) for v in p], dtype=object)))
    cases.append(("a single row", rows[:1], p[:1].copy()))
    cases.append(("a single wrong row", rows[:1],
                  np.array([other(p[0])], dtype=object)))
    y = p.copy()
    y[rng.random(len(y)) < 0.1] = unknown
    cases.append(("unknown labels", rows, y))
    # two distinct values in y_true, one unknown: LabelBinarizer's column
    rows1 = np.flatnonzero(p == c1)[:20]
    y = p[rows1].copy()
    y[::4] = unknown
    cases.append(("one class and an unknown label", rows1, y))
    for what, rows, y in cases:
        df = base.iloc[rows].reset_index(drop=True)
        df.insert(0, "id", rows)
        df["label"] = list(y)
        csv_path = os.path.join(tmp, "edge.csv")
        write(df, csv_path)
        check_eval(res, cli, "%s: %s" % (name, what), path, csv_path,
                   list(y), list(p[rows]), proba[rows], classes)
    if not isinstance(c0, str):
        # 1, 1.0 and "1" alike, as pandas reads a numeric column
        df = base.copy()
        df["label"] = [float(v) for v in p]
        csv_path = os.path.join(tmp, "edge.csv")
        write(df, csv_path)
        check_eval(res, cli, "%s: labels written 1.0" % name, path, csv_path,
                   [float(v) for v in p], list(p), proba, classes)
    # the report a person reads
    df = base.copy()
    df["label"] = list(p)
    write(df, csv_path)
    rc, out, err = run(cli, "eval", path, csv_path, "--label", "label")
    res.check("%s: text report" % name,
              None if rc == 0 and "weighted avg" in out
              and "confusion matrix" in out and "accuracy" in out
              else "rc %d: %r %r" % (rc, out[:400], err))


def reading(res, cli, tmp):
    """The CSV rules end to end, on the diabetes regression (numbers) and
    churn (categories, missing values)."""
    model, X, names = make_examples.build("diabetes")
    path = os.path.join(tmp, "read_diabetes.mlp")
    export(model, path, names)
    X = np.asarray(X, dtype=float)[:3]
    header = ",".join(names)

    def rows(fmt):
        return "".join(fmt(r) for r in X)

    def cells(r):
        return ",".join(repr(float(v)) for v in r)

    def expect(what, text, want_rows, binary=False):
        f = os.path.join(tmp, "read.csv")
        with open(f, "wb") as fh:
            fh.write(text if binary else text.encode())
        rc, out, err = run(cli, "predict", path, f, "--csv")
        if rc != 0:
            res.fail("csv: " + what, err.strip())
            return
        got = np.array([float(v) for v in out.split("\n")[1:] if v])
        want = model.predict(want_rows)
        res.check("csv: " + what, None if len(got) == len(want)
                  and (np.abs(got - want) <= RTOL * np.abs(want)).all()
                  else "%r, expected %r" % (got, want))

    expect("LF", header + "\n" + rows(lambda r: cells(r) + "\n"), X)
    expect("CRLF, no final line end",
           header + "\r\n" + rows(lambda r: cells(r) + "\r\n")[:-2], X)
    expect("a BOM", b"\xef\xbb\xbf" + (header + "\n" + rows(
        lambda r: cells(r) + "\n")).encode(), X, binary=True)
    expect("quoted fields and header",
           ",".join('"%s"' % n for n in names) + "\n"
           + rows(lambda r: ",".join('"%r"' % float(v) for v in r) + "\n"),
           X)
    expect("extra columns, reordered, with quotes and newlines",
           'note,' + ",".join(reversed(names)) + "\n"
           + rows(lambda r: '"a, ""b""\nc",' + ",".join(
               repr(float(v)) for v in reversed(r)) + "\n"), X)
    expect("blank lines", header + "\n\n" + rows(
        lambda r: cells(r) + "\n\n"), X)
    expect("numbers as strtod reads them", header + "\n" + rows(
        lambda r: ",".join(("%.17e" % v) for v in r) + "\n"), X)

    # a kept column whose name and values are longer than the line buffer
    # the output starts with (its header once overflowed it)
    long_name, long_value = "n" * 70000, "v" * 70000
    f = os.path.join(tmp, "read_long.csv")
    with open(f, "w") as fh:
        fh.write(long_name + "," + header + "\n" + rows(
            lambda r: long_value + "," + cells(r) + "\n"))
    rc, out, err = run(cli, "predict", path, f, "--csv", "--keep", long_name)
    got = list(csv.reader(io.StringIO(out))) if rc == 0 else []
    want = model.predict(X)
    res.check("csv: a kept column of 70000-byte name and values",
              None if len(got) == len(X) + 1
              and got[0] == [long_name, "prediction"]
              and all(g[0] == long_value for g in got[1:])
              and all(abs(float(g[1]) - w) <= RTOL * abs(w)
                      for g, w in zip(got[1:], want))
              else "rc %d, %s" % (rc, (err or out)[:200]))

    def refused(what, text, needles):
        f = os.path.join(tmp, "bad.csv")
        with open(f, "w") as fh:
            fh.write(text)
        for cmd in (["predict", path, f, "--csv"],
                    ["eval", path, f, "--label", names[0]]):
            rc, out, err = run(cli, *cmd)
            miss = [n for n in needles + ["bad.csv"] if n not in err]
            res.check("csv refused (%s): %s" % (cmd[0], what),
                      None if rc != 0 and out == "" and not miss
                      else "rc %d, stdout %r, stderr %r (lacks %r)"
                      % (rc, out[:200], err, miss))

    good = cells(X[0])
    bad = good.split(",")
    bad[2] = "abc"
    refused("not a number", header + "\n" + good + "\n" + ",".join(bad)
            + "\n", ["line 3", "column 3", '"%s"' % names[2], "abc"])
    refused("a missing input column", ",".join(names[1:]) + "\n",
            ['"%s"' % names[0], "line 1"])
    refused("missing value without a rule", header + "\n" + ","
            + ",".join(good.split(",")[1:]) + "\n",
            ["line 2", "column 1", "missing"])
    refused("unterminated quote", header + "\n" + good + "\n\"" + good
            + "\n", ["line 3", "column 1", "never closed"])
    refused("quote inside a field", header + "\n" + good + "\n"
            + good.replace(",", ',1"2,', 1) + "\n",
            ["line 3", "column 2", "quote"])
    refused("too few fields", header + "\n" + good + "\n"
            + ",".join(good.split(",")[:-1]) + "\n", ["line 3", "fields"])
    refused("infinity", header + "\n" + "inf," + ",".join(
        good.split(",")[1:]) + "\n", ["line 2", "column 1", "finite"])

    # categories and missing values: churn, NA/null/NaN/empty alike
    model, X, names = make_examples.build("churn")
    path = os.path.join(tmp, "read_churn.mlp")
    export(model, path, names)
    df = X.reset_index(drop=True).iloc[:40].copy()
    want = model.predict_proba(df)
    f = os.path.join(tmp, "read.csv")
    spell = ["", "NA", "null", "NaN"]
    text = df.to_csv(index=False, na_rep="\x00")
    k = [0]

    def na(_):
        k[0] += 1
        return spell[k[0] % 4]
    import re
    text = re.sub("\x00", na, text)
    with open(f, "w") as fh:
        fh.write(text)
    rc, out, err = run(cli, "predict", path, f, "--csv")
    if rc != 0:
        res.fail("csv: churn with NA, null, NaN and empty cells", err)
    else:
        got = read_predict_csv(out)
        proba = got[["proba_" + key(c) for c in model.classes_]].to_numpy(
            dtype=float)
        res.check("csv: churn with NA, null, NaN and empty cells",
                  None if (np.abs(proba - want) <= RTOL * want).all()
                  else "max rel %g" % np.max(np.abs(proba - want) / want),
                  "%d missing cells" % text.count(",NA") if k else "")


def progress(res, cli, tmp):
    """A terminal on stderr: a file that takes more than a second (here a
    pipe fed for two seconds) shows rows and rows/s, rewritten in place and
    erased at the end; stdout has the answer."""
    import pty
    import threading
    import time
    model, X, names = make_examples.build("breast_cancer")
    path = os.path.join(tmp, "progress.mlp")
    export(model, path, names)
    df = frame(X, names)
    df["target"] = list(model.predict(np.asarray(X, dtype=float)))
    text = df.to_csv(index=False)
    header, body = text.split("\n", 1)
    body = body.strip("\n").split("\n")
    master, slave = pty.openpty()
    p = subprocess.Popen([cli, "eval", path, "-", "--label", "target",
                          "--json"], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    chunks, rows = 20, 0

    def feed():
        nonlocal rows
        p.stdin.write((header + "\n").encode())
        for _ in range(chunks):
            block = "\n".join(body[i % len(body)] for i in range(700))
            p.stdin.write((block + "\n").encode())
            p.stdin.flush()
            rows += 700
            time.sleep(0.1)
        p.stdin.close()
    t = threading.Thread(target=feed)
    t.start()
    tty = b""
    while True:
        try:
            b = os.read(master, 4096)
        except OSError:
            break
        if not b:
            break
        tty += b
    t.join()
    out = p.stdout.read().decode()
    p.wait()
    os.close(master)
    tty = tty.decode(errors="replace")
    why = None
    if p.returncode != 0:
        why = "rc %d: %r" % (p.returncode, tty)
    elif "rows/s" not in tty or "\r" not in tty or "\033[K" not in tty:
        why = "no progress line on the terminal: %r" % tty[:300]
    elif json.loads(out)["rows"] != rows:
        why = "rows %r, fed %d" % (json.loads(out)["rows"], rows)
    res.check("progress on a terminal", why, "%d rows in ~2 s" % rows)


def decision_pairs(res, cli, tmp):
    """A one-vs-one SVC of three classes (test/data/iris_svc_ovo.mlp):
    predict --csv writes its three pair values as decision_0..2, equal to
    the JSON answer's list for the same batch of rows."""
    path = os.path.join(ROOT, "ngx_http_mlpredict_module", "test", "data",
                        "iris_svc_ovo.mlp")
    if not os.path.exists(path):
        return
    from sklearn import datasets
    X = datasets.load_iris().data[::5]
    f = os.path.join(tmp, "ovo.csv")
    pd.DataFrame(X, columns=list("abcd")).to_csv(f, index=False)
    rc, out, err = run(cli, "predict", path, f, "--csv")
    p = subprocess.run([cli, "predict", path], input=json.dumps(
        {"instances": X.tolist()}).encode(), stdout=subprocess.PIPE)
    want = json.loads(p.stdout)["predictions"]
    why = None
    if rc != 0:
        why = err
    else:
        got = read_predict_csv(out)
        if list(got.columns) != ["prediction", "decision_0", "decision_1",
                                 "decision_2"]:
            why = "columns %r" % list(got.columns)
        else:
            for i, w in enumerate(want):
                row = got.iloc[i]
                if row["prediction"] != w["prediction"] or [
                        float(row["decision_%d" % j]) for j in range(3)] \
                        != w["decision"]:
                    why = "row %d: %r, JSON %r" % (i, list(row), w)
                    break
    res.check("one-vs-one decision values as JSON lists them", why,
              "%d rows" % len(X))


def bool_labels(res, cli, tmp):
    """Classes True and False (a bool target): the exporter writes them as
    JSON booleans, pandas writes the label column as True and False."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    data = load_breast_cancer()
    names = ["f%d" % j for j in range(data.data.shape[1])]
    X, y = data.data, data.target == 1
    model = make_pipeline(StandardScaler(),
                          LogisticRegression(max_iter=1000)).fit(X, y)
    path = os.path.join(tmp, "bool.mlp")
    export(model, path, names)
    rng = np.random.default_rng(7)
    yl = np.where(rng.random(len(y)) < FLIP, ~y, y)
    df = frame(X, names)
    df["label"] = yl
    csv_path = os.path.join(tmp, "bool.csv")
    write(df, csv_path)
    check_eval(res, cli, "bool classes", path, csv_path, list(yl),
               list(model.predict(X)), model.predict_proba(X),
               list(model.classes_))


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build/mlpredict"))
    ap.add_argument("--only", help="comma-separated example names")
    args = ap.parse_args(argv)
    res = Results()
    tmp = tempfile.mkdtemp(prefix="mlpredict-eval-")
    try:
        names = (make_examples.EXAMPLES + make_examples.CATEGORICAL_EXAMPLES
                 + getattr(make_examples, "SVM_EXAMPLES", []))
        if args.only:
            names = args.only.split(",")
        for name in names:
            try:
                example(res, args.cli, name, tmp)
            except Exception as e:
                res.fail(name, "%s: %s" % (type(e).__name__, e))
        if not args.only:
            for name in ("breast_cancer", "iris", "breast_cancer_extra",
                         "iris_forest"):
                try:
                    edge_cases(res, args.cli, name, tmp)
                except Exception as e:
                    res.fail("%s edge cases" % name, "%s: %s"
                             % (type(e).__name__, e))
            try:
                decision_pairs(res, args.cli, tmp)
            except Exception as e:
                res.fail("decision pairs", "%s: %s" % (type(e).__name__, e))
            try:
                progress(res, args.cli, tmp)
            except Exception as e:
                res.fail("progress", "%s: %s" % (type(e).__name__, e))
            try:
                bool_labels(res, args.cli, tmp)
            except Exception as e:
                res.fail("bool classes", "%s: %s" % (type(e).__name__, e))
            try:
                reading(res, args.cli, tmp)
            except Exception as e:
                res.fail("csv reading", "%s: %s" % (type(e).__name__, e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
