#!/usr/bin/python3
"""Build the example models shipped in models/*.mlp.

    /usr/bin/python3 models/make_examples.py [OUTDIR] [NAME ...]

writes OUTDIR/NAME.mlp (OUTDIR defaults to the directory of this script) for
every example, or only for the NAMEs given.  Everything is deterministic: the
datasets ship with scikit-learn, the split is train_test_split(test_size=0.25,
random_state=0) and every solver is deterministic or seeded.

Tests import this module and call build(name), which returns
(fitted_model, X_test, feature_names).  X_test of the examples in WITH_NAN
contains NaN (a missing value, sent as JSON null).

The examples in CATEGORICAL_EXAMPLES (format version 2) are pipelines fitted
on a pandas DataFrame with string categories and missing values; their
X_test is a DataFrame and their feature_names are the inputs' names.
"""

import os
import re
import sys

import numpy as np

sys.dont_write_bytecode = True   # keep the source tree clean
HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from mlpredict_export import export, summary  # noqa: E402

EXAMPLES = [
    "breast_cancer",        # StandardScaler + LogisticRegression, binary
    "breast_cancer_multinomial",  # binary, multinomial: softmax([-s, s])
    "iris",                 # StandardScaler + LogisticRegression, softmax
    "iris_ovr",             # LogisticRegression liblinear, one-vs-rest
    "diabetes",             # StandardScaler + LinearRegression
    "diabetes_ridge",       # StandardScaler(with_mean=False) + Ridge
    "diabetes_lasso",       # StandardScaler + Lasso
    "diabetes_elasticnet",  # ElasticNet, no scaler
    "linnerud",             # LinearRegression, 3 targets, no scaler
    # tree ensembles (kind 3)
    "iris_tree",            # DecisionTreeClassifier, string labels
    "iris_forest",          # RandomForestClassifier, 3 classes
    "breast_cancer_forest",  # RandomForestClassifier, 100 trees, depth 10
    "breast_cancer_extra",  # ExtraTreesClassifier
    "breast_cancer_scaled_forest",  # StandardScaler + RandomForestClassifier
    "diabetes_forest",      # RandomForestRegressor
    "linnerud_forest",      # RandomForestRegressor, 3 targets
    "iris_gb",              # GradientBoostingClassifier, 3 classes
    "breast_cancer_gb",     # GradientBoostingClassifier, binary
    "diabetes_gb",          # GradientBoostingRegressor
    "iris_hgb",             # HistGradientBoostingClassifier, 3 classes
    "breast_cancer_hgb",    # HistGradientBoostingClassifier, binary
    "diabetes_hgb",         # HistGradientBoostingRegressor, NaN in the data
    "diabetes_hgb_poisson",  # HistGradientBoostingRegressor(loss="poisson")
]

# format version 2: pipelines over a DataFrame with string categories
CATEGORICAL_EXAMPLES = [
    "churn",                # ColumnTransformer: SimpleImputer + OneHotEncoder
                            # + StandardScaler, LogisticRegression
    "churn_hgb",            # OrdinalEncoder + HistGradientBoostingClassifier
                            # with native categorical splits
    "bot",                  # request features -> "bot" / "human": the
                            # example of mlpredict_score (conf/nginx.conf)
]

# support vector machines (kind 4, format version 2): t/parity_svm.py
# tests them (t/parity.py's reader knows kinds 1 to 3)
SVM_EXAMPLES = [
    "iris_svc",             # StandardScaler + SVC(rbf, probability=True)
    "breast_cancer_svc_decision",  # StandardScaler + SVC(rbf): the label
                            # and scikit-learn's decision value
]

# dense networks (kind 5, format version 2): t/parity_mlp.py tests them;
# iris_torch is a PyTorch network through ONNX (models/iris_torch.onnx,
# converted by build/mlpredict; made only with python3-torch and the CLI)
NETWORK_EXAMPLES = [
    "iris_mlp",             # StandardScaler + MLPClassifier(relu, 16, 8)
    "diabetes_mlp",         # StandardScaler + MLPRegressor(tanh, 32)
]

# examples whose X (train and test) has missing values (NaN)
WITH_NAN = {"diabetes_hgb"}


def clean_name(name):
    """'sepal length (cm)' -> 'sepal_length_cm', 'mean radius' ->
    'mean_radius'."""
    return re.sub(r"[^0-9A-Za-z]+", "_", name).strip("_")


def _split(X, y):
    from sklearn.model_selection import train_test_split
    return train_test_split(X, y, test_size=0.25, random_state=0)


def _dataset(loader):
    ds = loader()
    return ds, [clean_name(f) for f in ds.feature_names]


def _with_nan(X, fraction=0.1, seed=0):
    """X with about `fraction` of its values replaced by NaN (seeded)."""
    X = np.array(X, dtype=float)
    rng = np.random.RandomState(seed)
    X[rng.rand(*X.shape) < fraction] = np.nan
    return X


def churn_frame(n=2000, seed=0):
    """A synthetic churn data set: (X, y) with X a DataFrame of numbers with
    NaN (age, income), counts (tenure, support_calls) and string
    categories with a rare value and NaN (plan, region, contract); y is
    "yes" / "no"."""
    import pandas as pd
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
    a = age.copy()
    inc = income.copy()
    age[rng.rand(n) < 0.1] = np.nan
    income[rng.rand(n) < 0.1] = np.nan
    region[rng.rand(n) < 0.08] = np.nan
    z = (-1.0 + 0.04 * (a - 45) - 0.03 * tenure + 0.5 * calls
         - 0.00001 * (inc - 36000) + np.where(plan == "premium", -0.8, 0.0)
         + np.where(contract == "yearly", -1.2, 0.0)
         + np.where(region == "island", 1.0, 0.0))
    y = np.where(rng.rand(n) < 1 / (1 + np.exp(-z)), "yes", "no")
    X = pd.DataFrame({"age": age, "income": income, "tenure": tenure,
                      "support_calls": calls, "plan": plan,
                      "region": region, "contract": contract})
    return X, y


def bot_frame(n=4000, seed=0):
    """Synthetic request features, as an nginx variable gives each one
    (arguments, headers, cookies, $request_length, a map of the
    User-Agent): (X, y) with y "bot" / "human". Numbers have missing values
    (no cookie, no telemetry); method is always there and its encoder
    refuses a method it never saw."""
    import pandas as pd
    rng = np.random.RandomState(seed)
    bot = rng.rand(n) < 0.3
    nb = int(bot.sum())

    def pick(values, p_bot, p_human):
        out = np.empty(n, dtype=object)
        out[bot] = rng.choice(values, nb, p=p_bot)
        out[~bot] = rng.choice(values, n - nb, p=p_human)
        return out

    def num(f_bot, f_human):
        out = np.empty(n)
        out[bot] = f_bot(nb)
        out[~bot] = f_human(n - nb)
        return out

    length = num(lambda k: rng.normal(220, 80, k),
                 lambda k: rng.normal(640, 160, k)).clip(60).round()
    session = num(lambda k: rng.exponential(40, k),
                  lambda k: rng.exponential(900, k)).round()
    pages = num(lambda k: rng.poisson(40, k), lambda k: rng.poisson(5, k) + 1)
    rate = num(lambda k: rng.lognormal(3.8, 0.7, k),
               lambda k: rng.lognormal(1.2, 0.6, k)).round(1)
    moves = num(lambda k: rng.poisson(0.3, k), lambda k: rng.poisson(40, k))
    dwell = num(lambda k: rng.exponential(1.5, k),
                lambda k: rng.exponential(35, k)).round(1)
    referer = num(lambda k: rng.rand(k) < 0.2,
                  lambda k: rng.rand(k) < 0.8).astype(float)
    ua = pick(["browser", "curl", "python", "crawler", "other"],
              [0.3, 0.25, 0.2, 0.2, 0.05], [0.93, 0.005, 0.005, 0.01, 0.05])
    method = pick(["GET", "POST", "HEAD"], [0.6, 0.15, 0.25],
                  [0.8, 0.18, 0.02])
    version = pick(["HTTP/1.0", "HTTP/1.1", "HTTP/2.0"], [0.3, 0.6, 0.1],
                   [0.02, 0.38, 0.6])
    # what a server does not always know: no session cookie yet, no
    # telemetry, no rate counted
    session[rng.rand(n) < np.where(bot, 0.7, 0.15)] = np.nan
    pages[np.isnan(session)] = np.nan
    moves[rng.rand(n) < 0.2] = np.nan
    dwell[rng.rand(n) < 0.2] = np.nan
    rate[rng.rand(n) < 0.05] = np.nan
    ua[rng.rand(n) < 0.02] = np.nan
    # a few mislabelled rows: no feature decides alone
    y = np.where(bot ^ (rng.rand(n) < 0.03), "bot", "human")
    X = pd.DataFrame({"request_length": length, "session_age": session,
                      "pages": pages, "rate": rate, "mouse_moves": moves,
                      "time_on_page": dwell, "has_referer": referer,
                      "ua_family": ua, "method": method,
                      "http_version": version})
    return X, y


def _build_bot():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    X, y = bot_frame()
    numbers = ["request_length", "session_age", "pages", "rate",
               "mouse_moves", "time_on_page", "has_referer"]
    model = Pipeline([
        ("prep", ColumnTransformer([
            ("num", Pipeline([
                ("impute", SimpleImputer(strategy="median",
                                         add_indicator=True)),
                ("scale", StandardScaler())]), numbers),
            ("cat", Pipeline([
                ("impute", SimpleImputer(strategy="constant",
                                         fill_value="other")),
                ("onehot", OneHotEncoder(handle_unknown="ignore",
                                         sparse_output=False))]),
             ["ua_family", "http_version"]),
            ("method", OneHotEncoder(handle_unknown="error",
                                     sparse_output=False), ["method"]),
        ])),
        ("clf", LogisticRegression(max_iter=5000)),
    ])
    X_train, X_test, y_train, _ = _split(X, y)
    model.fit(X_train, y_train)
    return model, X_test, [str(c) for c in X.columns]


def _build_categorical(name):
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import (OneHotEncoder, OrdinalEncoder,
                                       StandardScaler)

    if name == "bot":
        return _build_bot()
    X, y = churn_frame()
    numbers = ["age", "income", "tenure", "support_calls"]
    categories = ["plan", "region", "contract"]
    if name == "churn":
        model = Pipeline([
            ("prep", ColumnTransformer([
                ("num", Pipeline([
                    ("impute", SimpleImputer(strategy="median")),
                    ("scale", StandardScaler())]), numbers),
                ("cat", Pipeline([
                    ("impute", SimpleImputer(strategy="constant",
                                             fill_value="unknown")),
                    ("onehot", OneHotEncoder(handle_unknown="ignore",
                                             sparse_output=False))]),
                 categories),
            ])),
            ("clf", LogisticRegression(max_iter=5000)),
        ])
    elif name == "churn_hgb":
        model = Pipeline([
            ("prep", ColumnTransformer([
                ("cat", OrdinalEncoder(handle_unknown="use_encoded_value",
                                       unknown_value=np.nan), categories),
            ], remainder="passthrough", verbose_feature_names_out=False)),
            ("clf", HistGradientBoostingClassifier(
                max_iter=50, random_state=0,
                categorical_features=[True, True, True, False, False, False,
                                      False])),
        ])
    else:
        raise KeyError(name)
    X_train, X_test, y_train, _ = _split(X, y)
    model.fit(X_train, y_train)
    return model, X_test, [str(c) for c in X.columns]


def build(name):
    """(fitted model, X_test, feature_names) for the example `name`."""
    if name in CATEGORICAL_EXAMPLES:
        return _build_categorical(name)
    from sklearn import datasets
    from sklearn.ensemble import (ExtraTreesClassifier,
                                  GradientBoostingClassifier,
                                  GradientBoostingRegressor,
                                  HistGradientBoostingClassifier,
                                  HistGradientBoostingRegressor,
                                  RandomForestClassifier,
                                  RandomForestRegressor)
    from sklearn.linear_model import (ElasticNet, Lasso, LinearRegression,
                                      LogisticRegression, Ridge)
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    if name == "breast_cancer":
        ds, names = _dataset(datasets.load_breast_cancer)
        y = ds.target_names[ds.target]          # "malignant" / "benign"
        model = make_pipeline(StandardScaler(),
                              LogisticRegression(max_iter=5000))
    elif name == "breast_cancer_multinomial":
        ds, names = _dataset(datasets.load_breast_cancer)
        y = ds.target                           # 0 / 1
        model = make_pipeline(StandardScaler(),
                              LogisticRegression(multi_class="multinomial",
                                                 max_iter=5000))
    elif name == "iris":
        ds, names = _dataset(datasets.load_iris)
        y = ds.target_names[ds.target]          # "setosa", ...
        # lbfgs with 3 classes and multi_class="auto" is multinomial
        model = make_pipeline(StandardScaler(),
                              LogisticRegression(max_iter=5000))
    elif name == "iris_ovr":
        ds, names = _dataset(datasets.load_iris)
        y = ds.target                           # 0, 1, 2
        # liblinear is always one-vs-rest
        model = LogisticRegression(solver="liblinear", random_state=0)
    elif name in ("diabetes", "diabetes_ridge", "diabetes_lasso",
                  "diabetes_elasticnet"):
        ds, names = _dataset(datasets.load_diabetes)
        y = ds.target
        if name == "diabetes":
            model = make_pipeline(StandardScaler(), LinearRegression())
        elif name == "diabetes_ridge":
            model = make_pipeline(StandardScaler(with_mean=False),
                                  Ridge(alpha=1.0))
        elif name == "diabetes_lasso":
            model = make_pipeline(StandardScaler(), Lasso(alpha=0.5))
        else:
            # load_diabetes() is already centred and scaled
            model = ElasticNet(alpha=0.001, l1_ratio=0.5, max_iter=100000)
    elif name == "linnerud":
        ds, names = _dataset(datasets.load_linnerud)
        y = ds.target                           # Weight, Waist, Pulse
        model = LinearRegression()
    elif name == "iris_tree":
        ds, names = _dataset(datasets.load_iris)
        y = ds.target_names[ds.target]          # "setosa", ...
        model = DecisionTreeClassifier(random_state=0)
    elif name == "iris_forest":
        ds, names = _dataset(datasets.load_iris)
        y = ds.target                           # 0, 1, 2
        model = RandomForestClassifier(n_estimators=50, random_state=0)
    elif name == "breast_cancer_forest":
        ds, names = _dataset(datasets.load_breast_cancer)
        y = ds.target_names[ds.target]          # "malignant" / "benign"
        model = RandomForestClassifier(n_estimators=100, max_depth=10,
                                       random_state=0)
    elif name == "breast_cancer_extra":
        ds, names = _dataset(datasets.load_breast_cancer)
        y = ds.target                           # 0 / 1
        model = ExtraTreesClassifier(n_estimators=100, random_state=0)
    elif name == "breast_cancer_scaled_forest":
        ds, names = _dataset(datasets.load_breast_cancer)
        y = ds.target_names[ds.target]
        model = make_pipeline(StandardScaler(),
                              RandomForestClassifier(n_estimators=50,
                                                     max_depth=8,
                                                     random_state=0))
    elif name == "diabetes_forest":
        ds, names = _dataset(datasets.load_diabetes)
        y = ds.target
        model = RandomForestRegressor(n_estimators=100, max_depth=8,
                                      random_state=0)
    elif name == "linnerud_forest":
        ds, names = _dataset(datasets.load_linnerud)
        y = ds.target                           # Weight, Waist, Pulse
        model = RandomForestRegressor(n_estimators=20, random_state=0)
    elif name == "iris_gb":
        ds, names = _dataset(datasets.load_iris)
        y = ds.target_names[ds.target]
        model = GradientBoostingClassifier(n_estimators=50, random_state=0)
    elif name == "breast_cancer_gb":
        ds, names = _dataset(datasets.load_breast_cancer)
        y = ds.target_names[ds.target]
        model = GradientBoostingClassifier(n_estimators=100, random_state=0)
    elif name == "diabetes_gb":
        ds, names = _dataset(datasets.load_diabetes)
        y = ds.target
        model = GradientBoostingRegressor(n_estimators=100, random_state=0)
    elif name == "iris_hgb":
        ds, names = _dataset(datasets.load_iris)
        y = ds.target                           # 0, 1, 2
        model = HistGradientBoostingClassifier(max_iter=50, random_state=0)
    elif name == "breast_cancer_hgb":
        ds, names = _dataset(datasets.load_breast_cancer)
        y = ds.target_names[ds.target]
        model = HistGradientBoostingClassifier(max_iter=100, random_state=0)
    elif name == "diabetes_hgb":
        ds, names = _dataset(datasets.load_diabetes)
        y = ds.target
        model = HistGradientBoostingRegressor(max_iter=100, random_state=0)
    elif name == "diabetes_hgb_poisson":
        ds, names = _dataset(datasets.load_diabetes)
        y = ds.target
        model = HistGradientBoostingRegressor(loss="poisson", max_iter=100,
                                              random_state=0)
    elif name == "iris_svc":
        from sklearn.svm import SVC
        ds, names = _dataset(datasets.load_iris)
        y = ds.target_names[ds.target]
        # Platt's sigmoids come from libsvm's internal cross-validation,
        # seeded by random_state
        model = make_pipeline(StandardScaler(),
                              SVC(kernel="rbf", probability=True,
                                  random_state=0))
    elif name == "breast_cancer_svc_decision":
        from sklearn.svm import SVC
        ds, names = _dataset(datasets.load_breast_cancer)
        y = ds.target_names[ds.target]
        model = make_pipeline(StandardScaler(), SVC(kernel="rbf"))
    elif name == "iris_mlp":
        from sklearn.neural_network import MLPClassifier
        ds, names = _dataset(datasets.load_iris)
        y = ds.target_names[ds.target]
        model = make_pipeline(StandardScaler(),
                              MLPClassifier((16, 8), max_iter=500,
                                            random_state=0))
    elif name == "diabetes_mlp":
        from sklearn.neural_network import MLPRegressor
        ds, names = _dataset(datasets.load_diabetes)
        y = ds.target
        model = make_pipeline(StandardScaler(),
                              MLPRegressor((32,), activation="tanh",
                                           learning_rate_init=0.01,
                                           max_iter=500, random_state=0))
    else:
        raise KeyError("no example named %r (examples: %s)"
                       % (name, ", ".join(ALL_EXAMPLES)))

    X = np.asarray(ds.data, dtype=float)
    if name in WITH_NAN:
        X = _with_nan(X)
    X_train, X_test, y_train, _ = _split(X, y)
    model.fit(X_train, y_train)
    return model, X_test, names


def train_torch():
    """the iris_torch network, trained (deterministic: one thread, seed 0)
    and in eval() mode; its data set's rows as float32, names, the set"""
    import torch
    from sklearn import datasets
    torch.manual_seed(0)
    torch.set_num_threads(1)
    ds, names = _dataset(datasets.load_iris)
    X = torch.tensor(ds.data, dtype=torch.float32)
    y = torch.tensor(ds.target, dtype=torch.int64)
    nn = torch.nn
    model = nn.Sequential(nn.Linear(4, 32), nn.BatchNorm1d(32), nn.ReLU(),
                          nn.Dropout(0.1), nn.Linear(32, 3),
                          nn.Softmax(dim=1))
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    for _ in range(200):
        opt.zero_grad()
        loss = nn.functional.nll_loss(torch.log(model(X) + 1e-9), y)
        loss.backward()
        opt.step()
    model.eval()
    return model, X, names, ds


def build_torch(outdir, cli):
    """iris_torch: Linear, BatchNorm1d, ReLU, Dropout, Linear, Softmax
    trained on the raw iris features, exported to ONNX (opset
    13) and converted by the CLI; skipped without torch or the CLI."""
    try:
        import torch
    except ImportError:
        print("make_examples: iris_torch skipped (no python3-torch)",
              file=sys.stderr)
        return
    if not os.access(cli, os.X_OK):
        print("make_examples: iris_torch skipped (no %s)" % cli,
              file=sys.stderr)
        return
    import subprocess
    model, X, names, ds = train_torch()
    onnx_path = os.path.join(outdir, "iris_torch.onnx")
    torch.onnx.export(model, X[:2], onnx_path, input_names=["measurements"],
                      output_names=["species"], opset_version=13,
                      dynamic_axes={"measurements": {0: "batch"},
                                    "species": {0: "batch"}})
    out = os.path.join(outdir, "iris_torch.mlp")
    subprocess.run([cli, "convert", "--features", ",".join(names),
                    "--classes", ",".join(ds.target_names), onnx_path, out],
                   check=True, stdout=subprocess.DEVNULL)
    print("%s: PyTorch %s through ONNX" % (out, torch.__version__))


ALL_EXAMPLES = (EXAMPLES + CATEGORICAL_EXAMPLES + SVM_EXAMPLES
                + NETWORK_EXAMPLES)


def main(argv):
    outdir = HERE
    names = []
    cli = os.path.join(os.path.dirname(HERE), "build", "mlpredict")
    for a in argv:
        if a in ALL_EXAMPLES or a == "iris_torch":
            names.append(a)
        elif a.startswith("--cli="):
            cli = a[len("--cli="):]
        elif outdir == HERE and not names:
            outdir = a
        else:
            print("make_examples: unknown example %r (examples: %s, "
                  "iris_torch)" % (a, ", ".join(ALL_EXAMPLES)),
                  file=sys.stderr)
            return 2
    os.makedirs(outdir, exist_ok=True)
    for name in names or ALL_EXAMPLES:
        if name == "iris_torch":
            continue
        model, _, features = build(name)
        info = export(model, os.path.join(outdir, name + ".mlp"), features)
        print(summary(info))
    if not names or "iris_torch" in names:
        build_torch(outdir, cli)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
