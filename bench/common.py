"""Shared by the benchmark scripts: the data sets, the rows and the request
bodies, fitted exactly as models/make_examples.py fits the examples.

Run everything with Debian's Python (/usr/bin/python3).
"""

import json
import os
import sys

import numpy as np

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
MODELS = os.path.join(ROOT, "models")
if MODELS not in sys.path:
    sys.path.insert(0, MODELS)

import make_examples  # noqa: E402  (models/make_examples.py)

MAX_ROWS = 10000


def dataset_of(name):
    """The scikit-learn data set an example model was fitted on."""
    for prefix in ("breast_cancer", "iris", "diabetes", "linnerud"):
        if name == prefix or name.startswith(prefix + "_"):
            return prefix
    raise KeyError("no data set known for model %r" % name)


def dataset(name):
    """(X, feature_names) of the whole data set, as make_examples sees it
    (NaN where make_examples puts missing values)."""
    from sklearn import datasets
    loader = getattr(datasets, "load_" + dataset_of(name))
    ds, names = make_examples._dataset(loader)
    X = np.asarray(ds.data, dtype=float)
    if name in make_examples.WITH_NAN:
        X = make_examples._with_nan(X)
    return X, names


def rows(name, n=MAX_ROWS):
    """n rows: the data set's rows in order, cycled."""
    X, _ = dataset(name)
    return np.ascontiguousarray(X[np.arange(n) % X.shape[0]])


def write_rows(name, path, n=MAX_ROWS):
    """The rows as little-endian doubles (bench_core's ROWS file)."""
    rows(name, n).astype("<f8").tofile(path)


def _num(v):
    return None if np.isnan(v) else float(v)


def named_body(name, row=0):
    X, names = dataset(name)
    return json.dumps({f: _num(v) for f, v in zip(names, X[row])},
                      separators=(",", ":"))


def features_body(name, row=0):
    X, _ = dataset(name)
    return json.dumps({"features": [_num(v) for v in X[row]]},
                      separators=(",", ":"))


def instances_body(name, n):
    X = rows(name, n)
    return json.dumps({"instances": [[_num(v) for v in r] for r in X]},
                      separators=(",", ":"))
