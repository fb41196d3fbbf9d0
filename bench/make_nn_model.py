#!/usr/bin/python3
"""The neural networks of the benchmark (issue 11): a scikit-learn MLP and
a PyTorch network of the same shape, exported as kind 5 files, with their
rows, one request body each and the libraries' answers for the same rows.

    /usr/bin/python3 bench/make_nn_model.py OUTDIR CLI [--rows 10000]

Both are 2-hidden-layer networks, 64 -> 128 -> 64 -> 10, ReLU, on digits
(64 features, standardised with the training rows' mean and scale before
the network, so the rows given to every side are the network's inputs;
fitted on digits' first 1,500 rows):

    mlp_digits    MLPClassifier((128, 64), relu, max_iter=300,
                  random_state=0), float64; exported with
                  models/mlpredict_export.py's export.
    torch_digits  nn.Sequential(Linear, ReLU, Linear, ReLU, Linear,
                  Softmax), float32, trained 40 epochs with Adam
                  (torch.manual_seed(0)); torch.onnx.export (opset 13), then
                  `CLI convert --features ... --classes 0,...,9`.

The benchmark rows: the whole data set (1,797 rows) in order, cycled to
10,000. OUTDIR receives NAME.mlp, NAME.f64 (bench_core's MODEL=ROWS),
NAME_row.json (one named row: the HTTP case), torch_digits.onnx,
expect.json (per model: the classes and the library's probabilities of
every row) and nets.pkl (the scikit-learn model, the PyTorch state and
the rows, for bench_python.py --nn). Deterministic for scikit-learn;
PyTorch's training is seeded.
"""

import argparse
import json
import os
import pickle
import subprocess
import sys

import numpy as np

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = os.path.join(os.path.dirname(HERE), "models")
if MODELS not in sys.path:
    sys.path.insert(0, MODELS)

HIDDEN = (128, 64)


def data(n_rows):
    from sklearn import datasets
    ds = datasets.load_digits()
    X = np.asarray(ds.data, dtype=float)
    mu = X[:1500].mean(axis=0)
    sd = X[:1500].std(axis=0)
    sd[sd == 0] = 1.0
    Z = (X - mu) / sd
    names = ["px%d" % j for j in range(X.shape[1])]
    return Z[:1500], ds.target[:1500], Z[np.arange(n_rows) % Z.shape[0]], \
        names


def torch_net(n_in, n_out):
    import torch.nn as nn
    return nn.Sequential(nn.Linear(n_in, HIDDEN[0]), nn.ReLU(),
                         nn.Linear(HIDDEN[0], HIDDEN[1]), nn.ReLU(),
                         nn.Linear(HIDDEN[1], n_out), nn.Softmax(dim=1))


def train_torch(X, y):
    import torch
    torch.manual_seed(0)
    net = torch_net(X.shape[1], 10)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    Xt = torch.tensor(X, dtype=torch.float32)
    yt = torch.tensor(y, dtype=torch.long)
    lossf = torch.nn.NLLLoss()
    for _ in range(40):
        perm = torch.randperm(Xt.shape[0])
        for i in range(0, Xt.shape[0], 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            loss = lossf(torch.log(net(Xt[idx]) + 1e-12), yt[idx])
            loss.backward()
            opt.step()
    net.eval()
    return net


def write(outdir, cli, n_rows=10000):
    import torch
    from sklearn.neural_network import MLPClassifier
    from mlpredict_export import export

    os.makedirs(outdir, exist_ok=True)
    Xtr, ytr, Xb, names = data(n_rows)
    out = {"rows": int(Xb.shape[0]), "models": {}}

    mlp = MLPClassifier(HIDDEN, activation="relu", max_iter=300,
                        random_state=0).fit(Xtr, ytr)
    path = os.path.join(outdir, "mlp_digits.mlp")
    export(mlp, path, names)
    out["models"]["mlp_digits"] = {
        "path": path, "classes": [int(c) for c in mlp.classes_],
        "proba": mlp.predict_proba(Xb).tolist(), "rel": 1e-12,
        "what": "scikit-learn MLPClassifier((128, 64), relu), float64"}

    net = train_torch(Xtr, ytr)
    onnx = os.path.join(outdir, "torch_digits.onnx")
    torch.onnx.export(net, torch.zeros(1, Xtr.shape[1]), onnx,
                      input_names=["x"], output_names=["p"],
                      dynamic_axes={"x": {0: "n"}, "p": {0: "n"}},
                      opset_version=13)
    tpath = os.path.join(outdir, "torch_digits.mlp")
    subprocess.run([cli, "convert", "--features", ",".join(names),
                    "--classes", ",".join(str(c) for c in range(10)), onnx,
                    tpath], check=True, stdout=subprocess.DEVNULL)
    with torch.no_grad():
        tp = net(torch.tensor(Xb, dtype=torch.float32)).double().numpy()
    out["models"]["torch_digits"] = {
        "path": tpath, "classes": list(range(10)), "proba": tp.tolist(),
        "rel": 1e-5, "what": "PyTorch nn.Sequential through ONNX, float32"}

    for name in out["models"]:
        Xb.astype("<f8").tofile(os.path.join(outdir, name + ".f64"))
        with open(os.path.join(outdir, name + "_row.json"), "w") as f:
            json.dump(dict(zip(names, Xb[0].tolist())), f)
    with open(os.path.join(outdir, "expect.json"), "w") as f:
        json.dump(out, f)
    with open(os.path.join(outdir, "nets.pkl"), "wb") as f:
        pickle.dump({"mlp": mlp, "torch_state": net.state_dict(),
                     "X": Xb, "n_in": Xtr.shape[1]}, f)
    return dict(out, dir=outdir)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("outdir")
    ap.add_argument("cli")
    ap.add_argument("--rows", type=int, default=10000)
    a = ap.parse_args()
    write(a.outdir, a.cli, a.rows)


if __name__ == "__main__":
    main()
