#!/usr/bin/python3
"""Rows per second of `mlpredict eval` and `mlpredict predict --csv` beside
pandas.read_csv + scikit-learn's predict_proba + metrics, on one CSV file.

    /usr/bin/python3 bench/bench_csv.py --cli build/mlpredict [--smoke]

The file: ROWS rows (1,000,000; 20,000 with --smoke) drawn (seeded) from
the breast cancer data set, its 30 features as pandas writes them and the
label column `target` ("benign" / "malignant"), written once under
build/bench/. The model: the example breast_cancer (StandardScaler +
LogisticRegression), models/breast_cancer.mlp and the same pipeline fitted
here by models/make_examples.py. Each side runs REPEAT times (best kept),
on one core (taskset CPU 0 when there is one, OpenBLAS and OpenMP on one
thread); the Python side is timed from read_csv to the last metric
(accuracy, balanced accuracy, precision_recall_fscore_support, the
confusion matrix, log_loss, roc_auc_score), its import and fit not
counted. The answers agree: the eval JSON's accuracy and log loss are
checked against the Python side's.

The report (markdown) goes to stdout and to bench/results/csv-DATE.md, or
build/bench/csv-smoke.md with --smoke.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time

os.environ["OMP_NUM_THREADS"] = "1"
os.environ["OPENBLAS_NUM_THREADS"] = "1"

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

PY_SIDE = r"""
import sys, time, json, warnings
warnings.filterwarnings("ignore")
sys.path.insert(0, sys.argv[2])
import numpy as np, pandas as pd
from sklearn import metrics as skm
import make_examples
model, _, names = make_examples.build("breast_cancer")
t0 = time.perf_counter()
df = pd.read_csv(sys.argv[1])
X = df[names].to_numpy(dtype=float)
y = df["target"].to_numpy()
proba = model.predict_proba(X)
classes = model.classes_
p = classes[np.argmax(proba, axis=1)]
r = {"accuracy": skm.accuracy_score(y, p),
     "balanced_accuracy": skm.balanced_accuracy_score(y, p)}
skm.precision_recall_fscore_support(y, p, labels=classes)
skm.confusion_matrix(y, p, labels=classes)
r["log_loss"] = skm.log_loss(y, proba, labels=classes)
r["roc_auc"] = skm.roc_auc_score(y, proba[:, 1])
r["seconds"] = time.perf_counter() - t0
print(json.dumps(r))
"""


def write_file(path, rows):
    import numpy as np
    import pandas as pd
    from sklearn import datasets
    ds = datasets.load_breast_cancer()
    names = [n.replace(" ", "_") for n in ds.feature_names]
    idx = np.random.default_rng(0).integers(0, len(ds.data), rows)
    df = pd.DataFrame(ds.data[idx], columns=names)
    df["target"] = ds.target_names[ds.target[idx]]
    df.to_csv(path + ".tmp", index=False)
    os.replace(path + ".tmp", path)


def pin():
    try:
        if len(os.sched_getaffinity(0)) > 1 and shutil.which("taskset"):
            return ["taskset", "-c", "0"]
    except AttributeError:
        pass
    return []


def best(cmd, repeat, stdout=subprocess.DEVNULL):
    """(wall seconds, CPU seconds, stdout) of the fastest of `repeat` runs;
    CPU is user + system of the child, which a busy machine inflates less
    than the wall clock."""
    runs = []
    for _ in range(repeat):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        p = subprocess.run(pin() + cmd, stdout=subprocess.PIPE
                           if stdout is None else stdout,
                           stderr=subprocess.PIPE)
        wall = time.perf_counter() - t0
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if p.returncode != 0:
            sys.exit("bench_csv: %s failed: %s" % (cmd[1], p.stderr.decode()))
        cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
        runs.append((wall, cpu, p.stdout))
    return min(runs, key=lambda r: r[0])


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", default=os.path.join(ROOT, "build/mlpredict"))
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--rows", type=int)
    ap.add_argument("--repeat", type=int)
    args = ap.parse_args(argv)
    rows = args.rows or (20000 if args.smoke else 1000000)
    repeat = args.repeat or (1 if args.smoke else 3)
    out_dir = os.path.join(ROOT, "build", "bench")
    os.makedirs(out_dir, exist_ok=True)
    data = os.path.join(out_dir, "breast_cancer_%d.csv" % rows)
    if not os.path.exists(data):
        print("bench_csv: writing %s" % data, file=sys.stderr)
        write_file(data, rows)
    model = os.path.join(ROOT, "models", "breast_cancer.mlp")
    load = os.getloadavg()[0]

    t_eval, c_eval, out = best([args.cli, "eval", model, data, "--label",
                                "target", "--json"], repeat, stdout=None)
    got = json.loads(out)
    t_pred, c_pred, _ = best([args.cli, "predict", model, data, "--csv"],
                             repeat)
    t_py, c_py, out = best([sys.executable, "-c", PY_SIDE, data,
                            os.path.join(ROOT, "models")], repeat,
                           stdout=None)
    want = json.loads(out)
    py_seconds = want["seconds"]
    agree = all(abs(got[k] - want[k]) <= 1e-9 * abs(want[k])
                for k in ("accuracy", "log_loss", "roc_auc"))

    size = os.path.getsize(data)
    lines = [
        "# CSV: eval and predict --csv (%s)" % time.strftime("%Y-%m-%d %H:%M"),
        "",
        "%d rows of the breast cancer data (30 features, %.0f MB), "
        "models/breast_cancer.mlp; best of %d, one core%s; load average "
        "%.1f on %d CPUs at the start (the wall clock counts what other "
        "processes take, the CPU time much less)." % (
            rows, size / 1e6, repeat, ", smoke run" if args.smoke else "",
            load, os.cpu_count() or 1),
        "",
        "| what | seconds | rows/s | CPU seconds | rows/CPU s |",
        "|---|---:|---:|---:|---:|",
        "| `mlpredict eval --json` (read, score, every metric) "
        "| %.3f | %.0f | %.3f | %.0f |" % (t_eval, rows / t_eval, c_eval,
                                          rows / c_eval),
        "| `mlpredict predict --csv` (read, score, write CSV) "
        "| %.3f | %.0f | %.3f | %.0f |" % (t_pred, rows / t_pred, c_pred,
                                          rows / c_pred),
        "| pandas.read_csv + predict_proba + metrics (timed inside) "
        "| %.3f | %.0f | | |" % (py_seconds, rows / py_seconds),
        "| the same, with Python's start, imports and fit "
        "| %.3f | %.0f | %.3f | %.0f |" % (t_py, rows / t_py, c_py,
                                          rows / c_py),
        "",
        "Accuracy, log loss and ROC AUC of eval and of scikit-learn %s." % (
            "agree" if agree else "DISAGREE: %r vs %r" % (got, want)),
        "",
    ]
    report = "\n".join(lines)
    print(report)
    path = os.path.join(out_dir, "csv-smoke.md") if args.smoke else \
        os.path.join(ROOT, "bench", "results",
                     "csv-%s.md" % time.strftime("%Y-%m-%d-%H%M"))
    with open(path, "w") as f:
        f.write(report)
    return 0 if agree else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
