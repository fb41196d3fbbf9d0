#!/usr/bin/python3
"""Parity of PyTorch networks served through ONNX (mlpredict convert).

Small nn.Sequential networks (1 to 4 hidden layers up to 512 wide, with
BatchNorm1d, Dropout, Flatten, Identity and the supported activations) are
trained here on bundled data sets (iris, wine, breast_cancer, digits,
diabetes), put in eval() mode, exported with torch.onnx.export at several
opsets, converted with `mlpredict convert` and asked through the CLI (and
nginx with --nginx). Every output is compared with the torch model's own
forward pass on the same float32 rows: within 1e-5 relative or 1e-6
absolute. Classifiers (last op Softmax, or Sigmoid of one output) must
also give torch's argmax (or p > 0.5), except where the top two are within
1e-6. Graphs the converter must refuse (an unsupported op, two inputs, a
damaged file) are checked too. The worst case is printed.

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
sys.path.insert(0, HERE)

from parity_svm import Nginx, Results  # noqa: E402

RTOL = 1e-5
ATOL = 1e-6
TIMEOUT = 120
warnings.filterwarnings("ignore")


def datasets():
    from sklearn import datasets as ds
    out = {}
    for name, fn in (("iris", ds.load_iris), ("breast_cancer",
                                               ds.load_breast_cancer),
                     ("wine", ds.load_wine), ("digits", ds.load_digits),
                     ("diabetes", ds.load_diabetes)):
        X, y = fn(return_X_y=True)
        # standardized in the test so that training is quick and stable
        X = (X - X.mean(0)) / np.where(X.std(0) > 0, X.std(0), 1)
        out[name] = (X.astype(np.float32), y)
    return out


def act(name):
    import torch.nn as nn
    return {"relu": nn.ReLU(), "tanh": nn.Tanh(), "sigmoid": nn.Sigmoid(),
            "leaky": nn.LeakyReLU(0.05), "elu": nn.ELU(0.7),
            "identity": nn.Identity()}[name]


def normalize_module(d):
    """x - mean, divided, scaled and shifted by constants: Sub, Div, Mul and
    Add in the graph"""
    import torch
    import torch.nn as nn

    class Norm(nn.Module):
        def __init__(self):
            super().__init__()
            g = torch.Generator().manual_seed(d)
            self.register_buffer("mu", torch.randn(d, generator=g) * 0.1)
            self.register_buffer("sd", torch.rand(d, generator=g) + 0.5)

        def forward(self, x):
            return (x - self.mu) / self.sd * 1.5 + 0.25

    return Norm()


def build(d, hidden, k, acts, bn, dropout, head, norm=False, bias=True):
    import torch.nn as nn
    layers = [nn.Flatten()]
    if norm:
        layers.append(normalize_module(d))
    w = d
    for i, h in enumerate(hidden):
        layers.append(nn.Linear(w, h, bias=bias))
        if bn:
            layers.append(nn.BatchNorm1d(h))
        layers.append(act(acts[i % len(acts)]))
        if dropout:
            layers.append(nn.Dropout(0.2))
        w = h
    layers.append(nn.Linear(w, k))
    if bn and head == "sigmoid":
        # a BatchNormalization one wide: its constants are one value each
        layers.append(nn.BatchNorm1d(k))
    if head == "softmax":
        layers.append(nn.Softmax(dim=1))
    elif head == "log_softmax":
        layers.append(nn.LogSoftmax(dim=1))
    elif head == "sigmoid":
        layers.append(nn.Sigmoid())
    return nn.Sequential(*layers)


def train(model, X, y, head, epochs=30):
    import torch
    torch.manual_seed(0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    Xt = torch.from_numpy(X)
    if head in ("softmax", "log_softmax"):
        yt = torch.from_numpy(np.asarray(y, dtype=np.int64))
        lossf = torch.nn.NLLLoss()
    elif head == "sigmoid":
        yt = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(-1, 1))
        lossf = torch.nn.BCELoss()
    else:
        yt = torch.from_numpy(np.asarray(y, dtype=np.float32).reshape(
            len(X), -1))
        lossf = torch.nn.MSELoss()
    model.train()
    for _ in range(epochs):
        opt.zero_grad()
        out = model(Xt)
        if head == "softmax":
            loss = lossf(torch.log(out + 1e-9), yt)
        else:
            loss = lossf(out, yt)
        loss.backward()
        opt.step()
    model.eval()
    return model


def specs(data):
    """(name, data set, hidden, acts, bn, dropout, head, opset)"""
    return [
        ("iris_1x16_relu_softmax", "iris", (16,), ["relu"], False, False,
         "softmax", 13),
        ("iris_2x64_bn_drop_tanh", "iris", (64, 32), ["tanh"], True, True,
         "softmax", 11),
        ("wine_3x128_bn_elu_leaky", "wine", (128, 64, 32), ["elu", "leaky"],
         True, True, "softmax", 17),
        ("breast_cancer_sigmoid_binary", "breast_cancer", (32, 16),
         ["relu"], True, False, "sigmoid", 12),
        ("digits_4x512_bn_drop_relu", "digits", (512, 256, 128, 64),
         ["relu"], True, True, "softmax", 13),
        ("digits_log_softmax", "digits", (64,), ["sigmoid"], False, True,
         "log_softmax", 9),
        ("diabetes_regressor_2x256", "diabetes", (256, 64), ["relu"], True,
         True, "none", 14),
        ("diabetes_regressor_1x8_tanh", "diabetes", (8,), ["tanh"], False,
         False, "none", 10),
        ("wine_3_targets", "wine", (32, 32), ["leaky"], False, False,
         "none3", 15),
        # Sub, Div, Mul, Add by constants; MatMul (Linear without bias)
        ("wine_arith_matmul", "wine", (24, 12), ["relu", "tanh"], False,
         False, "softmax", 13, True, False),
        ("iris_arith_matmul_bn", "iris", (16,), ["elu"], True, True,
         "softmax", 10, True, False),
    ]


def export(model, d, path, opset):
    import torch
    x = torch.zeros(2, d)
    torch.onnx.export(model, x, path, input_names=["input"],
                      output_names=["output"], opset_version=opset,
                      dynamic_axes={"input": {0: "batch"},
                                    "output": {0: "batch"}})


def compare(resp, want, classifier, binary, batch):
    """(worst (rel, abs), None) or (None, the first mismatch)"""
    rows = resp["predictions"] if batch else [resp]
    if len(rows) != len(want):
        return None, "%d answers for %d rows" % (len(rows), len(want))
    worst = 0.0
    for i, row in enumerate(rows):
        w = want[i]
        if classifier:
            p = list(row["probabilities"].values())
            got = [p[1]] if binary else p
            lab = row["prediction"]
            lab = int(lab[1:]) if isinstance(lab, str) else int(lab)
            if binary:
                wl = int(w[0] > 0.5)
                tie = abs(w[0] - 0.5) < 1e-6
            else:
                wl = int(np.argmax(w))
                top = np.sort(w)[-2:]
                tie = top[1] - top[0] < 1e-6
            if lab != wl and not tie:
                return None, "row %d: label %d, torch %d" % (i, lab, wl)
        else:
            got = row["prediction"] if not batch else row
            got = got if isinstance(got, list) else [got]
        if len(got) != len(w):
            return None, "row %d: %d values, torch %d" % (i, len(got), len(w))
        for j, (g, t) in enumerate(zip(got, w)):
            err = abs(float(g) - float(t))
            rel = err / max(abs(float(t)), 1e-30)
            if err > ATOL and rel > RTOL:
                return None, ("row %d value %d: %r, torch %r (rel %.3g, abs "
                              "%.3g)" % (i, j, g, float(t), rel, err))
            worst = max(worst, min(rel, err / ATOL * RTOL))
            if abs(float(t)) >= 0.01:
                SEEN[0] = max(SEEN[0], rel)
            SEEN[1] = max(SEEN[1], err)
    return worst, None


WORST = [0.0, ""]
SEEN = [0.0, 0.0]   # relative where |torch| >= 0.01; absolute anywhere


def requests(X):
    yield "batch", json.dumps({"instances": X.tolist()}).encode(), True, \
        slice(None)
    for i in (0, len(X) - 1):
        yield "row%d" % i, json.dumps({"features": X[i].tolist()}).encode(), \
            False, slice(i, i + 1)


def judge(res, what, out, want, classifier, binary, batch):
    try:
        resp = json.loads(out)
    except ValueError as e:
        res.fail(what, "not JSON (%s)" % e)
        return
    w, msg = compare(resp, want, classifier, binary, batch)
    if msg:
        res.fail(what, msg)
        return
    if w > WORST[0]:
        WORST[0], WORST[1] = w, what
    res.ok(what, "%d rows, worst %.3g of the tolerance's scale" % (
        len(want), w))


def refusals(res, cli, tmp, data):
    import torch
    import torch.nn as nn

    class TwoIn(nn.Module):
        def __init__(self):
            super().__init__()
            self.l = nn.Linear(4, 2)

        def forward(self, a, b):
            return self.l(a) + self.l(b)

    cases = []
    m = nn.Sequential(nn.Linear(4, 8), nn.GELU(), nn.Linear(8, 2)).eval()
    p = os.path.join(tmp, "gelu.onnx")
    torch.onnx.export(m, torch.zeros(1, 4), p, opset_version=13)
    cases.append(("unsupported op refused", p, "op "))
    p = os.path.join(tmp, "two.onnx")
    torch.onnx.export(TwoIn().eval(), (torch.zeros(1, 4), torch.zeros(1, 4)),
                      p, opset_version=13)
    cases.append(("two inputs refused", p, "input"))
    m = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).eval()
    p = os.path.join(tmp, "ok.onnx")
    torch.onnx.export(m, torch.zeros(1, 4), p, opset_version=13)
    blob = open(p, "rb").read()
    for name, b in (("truncated", blob[:len(blob) // 2]),
                    ("garbage", bytes(range(256)) * 4),
                    ("flipped", bytes(c ^ 0x5a if i % 7 == 3 else c
                                      for i, c in enumerate(blob)))):
        q = os.path.join(tmp, name + ".onnx")
        open(q, "wb").write(b)
        cases.append(("damaged file (%s) refused" % name, q, ""))
    p8 = os.path.join(tmp, "opset8.onnx")
    try:
        torch.onnx.export(m, torch.zeros(1, 4), p8, opset_version=8)
        cases.append(("opset 8 refused", p8, "opset"))
    except Exception:
        pass
    for what, path, needle in cases:
        r = subprocess.run([cli, "convert", path, path + ".mlp"],
                           capture_output=True, timeout=TIMEOUT)
        msg = r.stderr.decode("utf-8", "replace")
        if r.returncode == 1 and needle in msg and r.returncode > 0 \
                and "Sanitizer" not in msg:
            res.ok(what, msg.strip()[:150])
        else:
            res.fail(what, "exit %d: %s" % (r.returncode, msg[:300]))
    # --features and --classes name the inputs and labels
    r = subprocess.run([cli, "convert", "--features", "a,b,c,d", "--classes",
                        "no,yes", p, p + ".mlp"], capture_output=True)
    try:
        info = json.loads(r.stdout)
        assert info["features"] == ["a", "b", "c", "d"], info["features"]
        res.fail("--classes on a regressor refused", "accepted")
    except (ValueError, KeyError, AssertionError):
        if r.returncode == 1 and b"--classes" in r.stderr:
            res.ok("--classes on a regressor refused")
        else:
            res.fail("--classes on a regressor refused", r.stderr[:300])


def main():
    import torch
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--nginx")
    ap.add_argument("--module")
    ap.add_argument("--port", type=int, default=1996)
    args = ap.parse_args()
    torch.set_num_threads(1)
    res = Results()
    tmp = tempfile.mkdtemp(prefix="mlpredict-parity-onnx-")
    data = datasets()
    cases = []
    for spec in specs(data):
        name, ds, hidden, acts, bn, drop, head, opset = spec[:8]
        norm, bias = spec[8:] if len(spec) > 8 else (False, True)
        X, y = data[ds]
        d = X.shape[1]
        if head == "none":
            target = y.astype(np.float32) / 100.0
            k = 1
        elif head == "none3":
            target = np.stack([y, X[:, 0], X[:, 1] * 3], 1).astype(
                np.float32)
            k = 3
        elif head == "sigmoid":
            target = y
            k = 1
        else:
            target = y
            k = int(y.max()) + 1
        torch.manual_seed(len(name))
        model = train(build(d, hidden, k, acts, bn, drop, head, norm, bias),
                      X, target,
                      head if head != "none3" else "none")
        path = os.path.join(tmp, name + ".onnx")
        export(model, d, path, opset)
        with torch.no_grad():
            want = model(torch.from_numpy(X)).numpy().astype(np.float64)
        out = path[:-5] + ".mlp"
        classes = None
        if head == "softmax":
            classes = ",".join("c%d" % i for i in range(k))
        cmd = [args.cli, "convert"]
        if classes:
            cmd += ["--classes", classes]
        cmd += [path, out]
        r = subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)
        if r.returncode != 0:
            res.fail("%s convert" % name, r.stderr.decode()[:400])
            continue
        info = json.loads(r.stdout)
        classifier = head in ("softmax", "sigmoid")
        binary = head == "sigmoid"
        prod = info.get("producer", {})
        ok = (info["kind"] == "network"
              and info["network"]["dtype"] == "float32"
              and prod.get("producer_name") == "pytorch"
              and prod.get("opset") == opset
              and prod.get("input") == "input"
              and prod.get("output") == "output"
              and (info["task"] == "classification") == classifier
              and sum(1 for l in info["network"]["layers"]
                      if l["kind"] == "dense") == len(hidden) + 1)
        if ok:
            res.ok("%s convert" % name, "%d layers, opset %d" % (
                len(info["network"]["layers"]), opset))
        else:
            res.fail("%s convert" % name, json.dumps(info)[:500])
        cases.append((name, out, X, want, classifier, binary))
        for lab, body, batch, idx in requests(X):
            what = "%s cli %s" % (name, lab)
            r = subprocess.run([args.cli, "predict", out], input=body,
                               capture_output=True, timeout=TIMEOUT)
            if r.returncode != 0:
                res.fail(what, r.stderr.decode()[:300])
                continue
            judge(res, what, r.stdout, want[idx], classifier, binary, batch)
    if args.nginx and args.module:
        ngx = Nginx(args.nginx, args.module, args.port,
                    [(c[0], c[1]) for c in cases])
        err = ngx.start()
        if err:
            res.fail("nginx start", err)
        else:
            try:
                for name, out, X, want, classifier, binary in cases:
                    for lab, body, batch, idx in requests(X):
                        what = "%s http %s" % (name, lab)
                        status, o = ngx.request(name, body)
                        if status != 200:
                            res.fail(what, "status %d: %r" % (status,
                                                             o[:300]))
                            continue
                        judge(res, what, o, want[idx], classifier, binary,
                              batch)
            finally:
                ngx.stop()
    refusals(res, args.cli, tmp, data)
    shutil.rmtree(tmp, ignore_errors=True)
    print("worst difference: %.3g of the tolerance's scale (%s); worst "
          "relative where |torch| >= 0.01: %.3g; worst absolute: %.3g"
          % (WORST[0], WORST[1], SEEN[0], SEEN[1]))
    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed or not res.passed else 0


if __name__ == "__main__":
    sys.exit(main())
