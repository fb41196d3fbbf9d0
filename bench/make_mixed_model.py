#!/usr/bin/python3
"""The mixed-row model of the benchmark: a scikit-learn pipeline over a
pandas DataFrame of 10 inputs, 6 numbers and 4 string categories, some of
both missing (NaN), exported as a format version 2 file, with the request
bodies and scikit-learn's answers for the same rows.

    /usr/bin/python3 bench/make_mixed_model.py OUTDIR [--rows 10000]

    Pipeline([("prep", ColumnTransformer([
                 ("num", SimpleImputer(median) + StandardScaler, numbers),
                 ("cat", SimpleImputer(constant)
                         + OneHotEncoder(handle_unknown="ignore"),
                  categories)])),
              ("clf", LogisticRegression)])

fitted on 2,000 synthetic rows (seed 0). The benchmark rows are 10,000 other
rows of the same generator (seed 1): every category value among them is
known to the encoder or missing. A second set is the same rows with one
payment method the encoder has never seen ("voucher") in each 100 rows, the
37th: the module's fast scanner hands a body with an unknown category to
jansson, and this set shows what that costs. OUTDIR receives:

    mixed.mlp                 the model (models/mlpredict_export.py's export)
    bodies_1.jsonl            one request body a line: a named row each
    bodies_100.jsonl          {"instances": [100 named rows]} a line
    bodies_10000.jsonl        {"instances": [all 10,000 rows]}
    bodies_unseen_100.jsonl   the second set, 100 rows a body
    row.json                  one named row with a null number and a null
                              category (the HTTP case)
    expect.json               scikit-learn's classes, predict and
                              predict_proba of both sets, which file holds
                              which set, and the row of row.json
    sklearn.pkl               the fitted pipeline and both sets as DataFrames
                              (for bench_python.py --mixed)

Every file holds its set's rows in order, all of them. Numbers are written
as Python writes them (the shortest form that reads back), NaN as null.
Deterministic.
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

NUMBERS = ["age", "income", "tenure", "support_calls", "monthly_charges",
           "data_gb"]
CATEGORIES = ["plan", "region", "contract", "payment"]
BATCHES = (1, 100, 10000)


def frame(n, seed):
    """(X, y): X a DataFrame of the 10 inputs, y "yes" / "no"."""
    import pandas as pd
    rng = np.random.RandomState(seed)
    age = rng.normal(45, 12, n).round(1)
    income = np.exp(rng.normal(10.5, 0.6, n)).round(2)
    tenure = rng.randint(0, 72, n).astype(float)
    calls = rng.poisson(1.5, n).astype(float)
    charges = rng.uniform(15, 120, n).round(2)
    data = rng.gamma(2.0, 6.0, n).round(3)
    plan = rng.choice(["basic", "standard", "premium", "enterprise"], n,
                      p=[0.5, 0.3, 0.18, 0.02]).astype(object)
    region = rng.choice(["north", "south", "east", "west", "island"], n,
                        p=[0.3, 0.3, 0.2, 0.17, 0.03]).astype(object)
    contract = rng.choice(["monthly", "yearly", "two_year"], n,
                          p=[0.55, 0.3, 0.15]).astype(object)
    payment = rng.choice(["card", "bank_transfer", "check", "wallet"], n,
                         p=[0.4, 0.3, 0.2, 0.1]).astype(object)
    z = (-1.0 + 0.04 * (age - 45) - 0.03 * tenure + 0.5 * calls
         - 0.00001 * (income - 36000) + 0.01 * (charges - 65)
         - 0.02 * (data - 12)
         + np.where(plan == "premium", -0.8, 0.0)
         + np.where(contract == "yearly", -1.2, 0.0)
         + np.where(contract == "two_year", -1.8, 0.0)
         + np.where(region == "island", 1.0, 0.0)
         + np.where(payment == "check", 0.6, 0.0))
    y = np.where(rng.rand(n) < 1 / (1 + np.exp(-z)), "yes", "no")
    age[rng.rand(n) < 0.1] = np.nan
    income[rng.rand(n) < 0.1] = np.nan
    charges[rng.rand(n) < 0.05] = np.nan
    region[rng.rand(n) < 0.08] = np.nan
    payment[rng.rand(n) < 0.05] = np.nan
    X = pd.DataFrame({"age": age, "income": income, "tenure": tenure,
                      "support_calls": calls, "monthly_charges": charges,
                      "data_gb": data, "plan": plan, "region": region,
                      "contract": contract, "payment": payment})
    return X, y


def build():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = frame(2000, 0)
    model = Pipeline([
        ("prep", ColumnTransformer([
            ("num", Pipeline([
                ("impute", SimpleImputer(strategy="median")),
                ("scale", StandardScaler())]), NUMBERS),
            ("cat", Pipeline([
                ("impute", SimpleImputer(strategy="constant",
                                         fill_value="missing")),
                ("onehot", OneHotEncoder(handle_unknown="ignore",
                                         sparse_output=False))]),
             CATEGORIES),
        ])),
        ("clf", LogisticRegression(max_iter=5000)),
    ])
    model.fit(X, y)
    return model, X


def _value(v):
    if isinstance(v, str):
        return v
    if v is None or np.isnan(v):
        return None
    return float(v)


def named_rows(X):
    cols = [X[c].tolist() for c in X.columns]
    names = list(X.columns)
    return [{k: _value(c[i]) for k, c in zip(names, cols)}
            for i in range(X.shape[0])]


def dumps(obj):
    return json.dumps(obj, separators=(",", ":"), allow_nan=False)


def _bodies(path, rows, b):
    with open(path, "w") as f:
        for i in range(0, len(rows) - b + 1, b):
            if b == 1:
                f.write(dumps(rows[i]) + "\n")
            else:
                f.write(dumps({"instances": rows[i:i + b]}) + "\n")


def write(outdir, n_rows=10000):
    """Everything in outdir; returns a dict describing it."""
    from mlpredict_export import export
    os.makedirs(outdir, exist_ok=True)
    model, X_train = build()
    X, _ = frame(n_rows, 1)
    X_unseen = X.copy()
    X_unseen.iloc[np.arange(37, n_rows, 100),
                  X.columns.get_loc("payment")] = "voucher"
    path = os.path.join(outdir, "mixed.mlp")
    info = export(model, path, sample=X_train.head())

    rows = named_rows(X)
    files = []
    for b in BATCHES:
        if b <= n_rows:
            files.append({"file": "bodies_%d.jsonl" % b, "batch": b,
                          "set": "known"})
            _bodies(os.path.join(outdir, files[-1]["file"]), rows, b)
    if n_rows >= 100:
        files.append({"file": "bodies_unseen_100.jsonl", "batch": 100,
                      "set": "unseen"})
        _bodies(os.path.join(outdir, files[-1]["file"]),
                named_rows(X_unseen), 100)

    # the HTTP row: a missing number and a missing category, both paths
    pick = next(i for i in range(n_rows)
                if np.isnan(X["age"].iat[i])
                and not isinstance(X["region"].iat[i], str))
    with open(os.path.join(outdir, "row.json"), "w") as f:
        f.write(dumps(rows[pick]))

    expect = {
        "classes": [str(c) for c in model.classes_],
        "files": files,
        "row": pick,
        "n_rows": n_rows,
        "inputs": {"numbers": NUMBERS, "categories": CATEGORIES},
        "missing": int(X.isna().sum().sum()),
    }
    for name, frm in (("known", X), ("unseen", X_unseen)):
        expect[name] = {"labels": [str(v) for v in model.predict(frm)],
                        "proba": model.predict_proba(frm).tolist()}
    with open(os.path.join(outdir, "expect.json"), "w") as f:
        json.dump(expect, f)
    with open(os.path.join(outdir, "sklearn.pkl"), "wb") as f:
        pickle.dump({"model": model, "known": X, "unseen": X_unseen}, f)
    return {"path": path, "size": info["size"], "files": files,
            "rows": n_rows, "expect": expect}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("outdir")
    p.add_argument("--rows", type=int, default=10000)
    a = p.parse_args()
    d = write(a.outdir, a.rows)
    print("%s: %d bytes; %d rows, %d missing values; %s"
          % (d["path"], d["size"], d["rows"], d["expect"]["missing"],
             ", ".join(f["file"] for f in d["files"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
