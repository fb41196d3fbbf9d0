#!/usr/bin/python3
"""The protocol routes (mlpredict_model, mlpredict_api) against
scikit-learn, with requests built as the protocols' clients build them.

    /usr/bin/python3 t/protocols.py --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so [--port 1996]

Issue 12.  Models are fitted here (iris, breast_cancer and diabetes from
scikit-learn; a pipeline with a OneHotEncoder over a string column; the
models of the protocols' documentation examples: TF Serving's
half_plus_two, a one-input classifier on "x", a two-input "input0"
model), exported with models/mlpredict_export.py and served by nginx run
here as a child process.  Each answer is checked field by field: the
Open Inference Protocol v2's model_name, model_version, id, and each
output's name, datatype, shape and data (JSON or binary, little-endian),
TF Serving's predictions / outputs / result, against scikit-learn's
predict, predict_proba and decision_function on the same rows, within
1e-9 relative.

One line per check, then "N passed, N failed"; exit status 1 on failure.
"""

import argparse
import json
import os
import re
import shutil
import socket
import struct
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

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

from mlpredict_export import export  # noqa: E402

from sklearn import datasets  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.linear_model import LinearRegression  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.svm import SVC  # noqa: E402

warnings.filterwarnings("ignore")

RTOL = 1e-9
ATOL = 1e-12


class Results:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, cond, why=""):
        if cond:
            self.passed += 1
            print("ok      %s" % name)
        else:
            self.failed += 1
            print("FAILED  %s: %s" % (name, str(why)[:2000]))
        sys.stdout.flush()


def close(got, want):
    got = np.asarray(got, dtype=float)
    want = np.asarray(want, dtype=float)
    return got.shape == want.shape and np.allclose(got, want, rtol=RTOL,
                                                   atol=ATOL)


def port_open(port):
    s = socket.socket()
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


class Nginx:
    def __init__(self, binary, module, port, models):
        self.binary = binary
        self.port = port
        self.prefix = tempfile.mkdtemp(prefix="mlpredict-protocols-")
        for d in ("conf", "logs", "temp"):
            os.makedirs(os.path.join(self.prefix, d))
        named = "".join("    mlpredict_model %s %s%s;\n"
                        % (n, os.path.abspath(p),
                           " version=%d" % v if v != 1 else "")
                        for n, p, v in models)
        # debug where nginx has it: pieces() reads the module's line
        # saying how it read a body
        self.debug = b"--with-debug" in subprocess.run(
            [binary, "-V"], stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT).stdout
        conf = (
            "daemon off;\nmaster_process off;\nworker_processes 1;\n"
            "error_log logs/error.log %s;\npid logs/nginx.pid;\n"
            "load_module %s;\n"
            "events { worker_connections 64; }\n"
            "http {\n    access_log off;\n"
            "    client_body_temp_path temp/body;\n"
            "%s"
            "    server {\n        listen 127.0.0.1:%d;\n"
            "        location /v2 { mlpredict_api; }\n"
            "        location /v1/models/ { mlpredict_api; }\n"
            "    }\n}\n" % ("debug" if self.debug else "info",
                          os.path.abspath(module), named, port))
        with open(os.path.join(self.prefix, "conf", "nginx.conf"), "w") as f:
            f.write(conf)
        self.proc = None

    def start(self):
        if port_open(self.port):
            return "port %d is already in use" % self.port
        errf = open(os.path.join(self.prefix, "logs", "stderr.log"), "wb")
        self.proc = subprocess.Popen(
            [self.binary, "-p", self.prefix + "/", "-c", "conf/nginx.conf",
             "-e", "logs/error.log"],
            stdin=subprocess.DEVNULL, stdout=errf, stderr=errf)
        errf.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                with open(os.path.join(self.prefix, "logs",
                                       "stderr.log")) as f:
                    return "nginx exited: " + f.read()
            if port_open(self.port):
                return None
            time.sleep(0.05)
        return "nginx did not listen"

    def log_size(self):
        return os.path.getsize(os.path.join(self.prefix, "logs",
                                            "error.log"))

    def log_since(self, offset):
        with open(os.path.join(self.prefix, "logs", "error.log"), "rb") as f:
            f.seek(offset)
            return f.read().decode("latin-1")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        shutil.rmtree(self.prefix, ignore_errors=True)

    def call(self, path, body=None, headers=None):
        """(status, headers, body bytes)"""
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
        req = urllib.request.Request(
            "http://127.0.0.1:%d%s" % (self.port, path), data=body,
            method="GET" if body is None else "POST", headers=h)
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()


# --------------------------------------------------------------------------
# what the v2 clients do: tensors from numpy arrays

V2_TYPES = {"FP64": "<f8", "FP32": "<f4", "INT64": "<i8", "INT32": "<i4",
            "INT16": "<i2", "INT8": "<i1", "UINT64": "<u8", "UINT32": "<u4",
            "UINT16": "<u2", "UINT8": "<u1", "BOOL": "|b1"}


def v2_tensor(name, arr, datatype, binary=False):
    """As tritonclient's InferInput.set_data_from_numpy: JSON data flat in
    row-major order, or the raw little-endian bytes."""
    arr = np.asarray(arr)
    t = {"name": name, "shape": list(arr.shape), "datatype": datatype}
    if datatype == "BYTES":
        items = [str(v).encode() for v in arr.flatten()]
        if binary:
            raw = b"".join(struct.pack("<I", len(b)) + b for b in items)
            t["parameters"] = {"binary_data_size": len(raw)}
            return t, raw
        t["data"] = [b.decode() for b in items]
        return t, b""
    cast = arr.astype(V2_TYPES[datatype])
    if binary:
        raw = cast.tobytes()
        t["parameters"] = {"binary_data_size": len(raw)}
        return t, raw
    t["data"] = cast.flatten().tolist()
    return t, b""


def v2_request(tensors, outputs=None, binary_output=False, rid=None):
    """(body, headers): JSON alone, or JSON then binary data with the
    Inference-Header-Content-Length header, as tritonclient sends."""
    req = {"inputs": [t for t, _ in tensors]}
    if rid is not None:
        req["id"] = rid
    if outputs is not None:
        req["outputs"] = [{"name": o, "parameters": {"binary_data":
                                                     binary_output}}
                          for o in outputs]
    elif binary_output:
        req["parameters"] = {"binary_data_output": True}
    head = json.dumps(req).encode()
    raw = b"".join(r for _, r in tensors)
    if not raw and not binary_output:
        return head, {}
    return head + raw, {"Inference-Header-Content-Length": str(len(head)),
                        "Content-Type": "application/octet-stream"}


def v2_outputs(status, headers, body):
    """The response's outputs by name, binary data decoded."""
    if status != 200:
        raise ValueError("status %d: %r" % (status, body[:300]))
    hlen = headers.get("Inference-Header-Content-Length")
    head = json.loads(body[:int(hlen)] if hlen else body)
    raw = body[int(hlen):] if hlen else b""
    outs = {}
    off = 0
    for o in head["outputs"]:
        size = o.get("parameters", {}).get("binary_data_size")
        if size is None:
            outs[o["name"]] = (o, o["data"])
            continue
        chunk = raw[off:off + size]
        off += size
        if o["datatype"] == "BYTES":
            vals, p = [], 0
            while p < len(chunk):
                n = struct.unpack_from("<I", chunk, p)[0]
                vals.append(chunk[p + 4:p + 4 + n].decode())
                p += 4 + n
        else:
            vals = np.frombuffer(chunk, V2_TYPES[o["datatype"]]).tolist()
        outs[o["name"]] = (o, vals)
    if off != len(raw):
        raise ValueError("%d binary bytes unaccounted" % (len(raw) - off))
    return head, outs


def label_json(v):
    return v.item() if hasattr(v, "item") else v


# --------------------------------------------------------------------------

def fit_models(tmp):
    m = {}

    iris = datasets.load_iris()
    Xi = iris.data
    names_i = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    yi = iris.target_names[iris.target]
    est = LogisticRegression(max_iter=1000).fit(Xi, yi)
    export(est, os.path.join(tmp, "iris.mlp"), feature_names=names_i)
    m["iris"] = (est, Xi[::15], names_i)

    # a second version: integer labels
    est2 = LogisticRegression(max_iter=1000, C=0.1).fit(Xi, iris.target)
    export(est2, os.path.join(tmp, "iris2.mlp"), feature_names=names_i)
    m["iris2"] = (est2, Xi[::15], names_i)

    bc = datasets.load_breast_cancer()
    Xb = bc.data
    names_b = ["f%d" % i for i in range(Xb.shape[1])]
    svc = Pipeline([("s", StandardScaler()),
                    ("m", SVC(kernel="rbf"))]).fit(Xb, bc.target)
    export(svc, os.path.join(tmp, "bc_svc.mlp"), feature_names=names_b)
    m["bc_svc"] = (svc, Xb[::40], names_b)

    di = datasets.load_diabetes()
    Xd = di.data
    names_d = list(di.feature_names)
    lr = LinearRegression().fit(Xd, di.target)
    export(lr, os.path.join(tmp, "diabetes.mlp"), feature_names=names_d)
    m["diabetes"] = (lr, Xd[::30], names_d)

    # TF Serving's half_plus_two: y = 0.5 x + 2, one input "x"
    x = np.arange(10, dtype=float).reshape(-1, 1)
    hp2 = LinearRegression().fit(x, 0.5 * x[:, 0] + 2)
    export(hp2, os.path.join(tmp, "half_plus_two.mlp"), feature_names=["x"])
    m["half_plus_two"] = (hp2, None, ["x"])

    # a one-input classifier on "x" (TF Serving's classify example)
    cx = LogisticRegression().fit(x, (x[:, 0] > 4).astype(int))
    export(cx, os.path.join(tmp, "classify_x.mlp"), feature_names=["x"])
    m["classify_x"] = (cx, None, ["x"])

    # the v2 spec's example: "input0" [2, 2] UINT32; a model of 2 inputs,
    # and a one-input model for Triton's binary example ([3, 1] FP32)
    rng = np.random.RandomState(0)
    X2 = rng.rand(50, 2) * 5
    m2 = LogisticRegression().fit(X2, (X2.sum(1) > 5).astype(int))
    export(m2, os.path.join(tmp, "two.mlp"), feature_names=["a", "b"])
    m["two"] = (m2, None, ["a", "b"])
    one = LinearRegression().fit(X2[:, :1], X2[:, 0] * 3 - 1)
    export(one, os.path.join(tmp, "input0.mlp"), feature_names=["input0"])
    m["input0"] = (one, None, ["input0"])

    # a pipeline over a string column and a number (TF Serving's columnar
    # example has "tag" strings and a "signal")
    n = 200
    df = pd.DataFrame({"tag": rng.choice(["foo", "bar", "baz"], n),
                       "signal": rng.rand(n) * 10})
    y = ((df.signal > 5) ^ (df.tag == "foo")).astype(int)
    pipe = Pipeline([
        ("ct", ColumnTransformer([("oh", OneHotEncoder(), ["tag"]),
                                  ("n", StandardScaler(), ["signal"])])),
        ("m", LogisticRegression())]).fit(df, y)
    export(pipe, os.path.join(tmp, "tagged.mlp"), sample=df.head())
    m["tagged"] = (pipe, df.iloc[:12], ["tag", "signal"])

    return m


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module", required=True)
    ap.add_argument("--port", type=int, default=1996)
    args = ap.parse_args()

    res = Results()
    tmp = tempfile.mkdtemp(prefix="mlpredict-protocols-models-")
    try:
        run(args, res, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("%d passed, %d failed" % (res.passed, res.failed))
    sys.exit(1 if res.failed else 0)


def run(args, res, tmp):
    M = fit_models(tmp)
    served = [("iris", "iris.mlp", 1), ("iris", "iris2.mlp", 2)] + [
        (k, k + ".mlp", 1) for k in ("bc_svc", "diabetes", "half_plus_two",
                                     "classify_x", "two", "input0",
                                     "tagged")]
    ngx = Nginx(args.nginx, args.module, args.port,
                [(n, os.path.join(tmp, p), v) for n, p, v in served])
    err = ngx.start()
    if err:
        res.check("nginx starts", False, err)
        return
    try:
        checks(ngx, res, M)
        pieces(ngx, res, M)
    finally:
        ngx.stop()


def send_cut(port, path, body, headers, cut):
    """POST body, its first cut bytes in the headers' segment and the rest
    a moment later: nginx then holds the body in two buffers, the part
    that came with the headers and the rest. (status, headers, body)"""
    head = "POST %s HTTP/1.1\r\nHost: localhost\r\n" % path
    for k, v in headers.items():
        head += "%s: %s\r\n" % (k, v)
    head += "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.sendall(head.encode() + body[:cut])
        time.sleep(0.02)
        s.sendall(body[cut:])
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    finally:
        s.close()
    top, _, rest = raw.partition(b"\r\n\r\n")
    lines = top.decode("latin-1").split("\r\n")
    hd = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hd[k.strip()] = v.strip()
    if hd.get("Transfer-Encoding") == "chunked":
        out = b""
        while rest:
            n, _, rest = rest.partition(b"\r\n")
            n = int(n, 16)
            if n == 0:
                break
            out += rest[:n]
            rest = rest[n + 2:]
        rest = out
    return int(lines[0].split()[1]), hd, rest


def pieces(ngx, res, M):
    """Binary tensors in a body nginx holds in two pieces (the part that
    came with the headers, the rest in its body buffer), read where they
    lie: the cut inside the JSON header, at its end, inside an element and
    between elements, for the fast [N, k] FP64/FP32 path and for the
    tensors the general loop reads (per-input columns, integers, BYTES)."""
    est, _, names = M["iris"]
    X = datasets.load_iris().data          # 150 rows: 4,800 bytes in FP64
    path = "/v2/models/iris/versions/1/infer"
    cases = []
    for dt in ("FP64", "FP32"):
        Xc = X.astype(V2_TYPES[dt]).astype(float)
        cases.append(("[N,4] " + dt, [v2_tensor("x", X, dt, True)],
                      est, Xc, V2_TYPES[dt][-1]))
    cases.append(("per input FP64", [v2_tensor(n, X[:, i], "FP64", True)
                                     for i, n in enumerate(names)],
                  est, X, "8"))
    Xi = np.round(X * 2)
    cases.append(("[N,4] INT32", [v2_tensor("x", Xi, "INT32", True)], est,
                  Xi, "4"))
    for title, tensors, model, Xw, size in cases:
        body, hd = v2_request(tensors)
        hlen = int(hd["Inference-Header-Content-Length"])
        size = int(size)
        cuts = sorted({hlen // 2, hlen - 1, hlen, hlen + 1, hlen + size - 1,
                       hlen + size, hlen + 3 * size + size // 2,
                       hlen + 40 * size + 1, len(body) - size - 1,
                       len(body) - 1})
        want = {"predict": ("BYTES", [len(Xw)], model.predict(Xw)),
                "predict_proba": ("FP64", [len(Xw), 3],
                                  model.predict_proba(Xw))}
        bad = []
        for cut in cuts:
            at = ngx.log_size()
            st, h, b = send_cut(ngx.port, path, body, hd, cut)
            # what came with the headers (up to nginx's 1k header buffer)
            # and the rest: two pieces, read in place
            if ngx.debug and cut < 700:
                m = re.search(r"mlpredict: body read in place, (\d+) \+ "
                              r"(\d+) bytes", ngx.log_since(at))
                if not m or int(m.group(1)) != cut or \
                        int(m.group(1)) + int(m.group(2)) != len(body):
                    bad.append((cut, "not read in place as %d + %d bytes"
                                % (cut, len(body) - cut),
                                m.group(0) if m else None))
            try:
                head, outs = v2_outputs(st, h, b)
                ok = (list(outs["predict"][1])
                      == [label_json(v) for v in want["predict"][2]]
                      and close(outs["predict_proba"][1],
                                np.ravel(want["predict_proba"][2])))
            except Exception as e:   # noqa: BLE001
                ok, b = False, "%s %r" % (e, b[:200])
            if not ok:
                bad.append((cut, st, b[:200]))
        res.check("v2 %s in two pieces, cut at %d offsets around the "
                  "header (%d bytes) and inside elements" % (
                      title, len(cuts), hlen), not bad, bad[:3])

    pipe, _, _ = M["tagged"]
    rng = np.random.RandomState(7)
    df = pd.DataFrame({"tag": rng.choice(["foo", "bar", "baz"], 400),
                       "signal": rng.rand(400) * 10})
    body, hd = v2_request([v2_tensor("tag", df.tag.values, "BYTES", True),
                           v2_tensor("signal", df.signal.values, "FP64",
                                     True)])
    hlen = int(hd["Inference-Header-Content-Length"])
    bad = []
    for cut in (hlen + 2, hlen + 9, hlen + 700, len(body) - 5):
        st, h, b = send_cut(ngx.port, "/v2/models/tagged/infer", body, hd,
                            cut)
        try:
            head, outs = v2_outputs(st, h, b)
            ok = (list(outs["predict"][1]) == pipe.predict(df).tolist()
                  and close(outs["predict_proba"][1],
                            np.ravel(pipe.predict_proba(df))))
        except Exception as e:   # noqa: BLE001
            ok, b = False, "%s %r" % (e, b[:200])
        if not ok:
            bad.append((cut, st, b[:200]))
    res.check("v2 BYTES and FP64 tensors in two pieces", not bad, bad[:3])

    # the header's length past the body: refused, whatever the pieces
    body, hd = v2_request([v2_tensor("x", X, "FP64", True)])
    hd = dict(hd, **{"Inference-Header-Content-Length": str(len(body) + 1)})
    st, h, b = send_cut(ngx.port, path, body, hd, 10)
    res.check("v2 header length past a two-piece body: 400", st == 400, b)


def check_v2(res, name, resp, model, version, want, rid=None):
    """want: {output name: (datatype, shape, values)}"""
    try:
        head, outs = v2_outputs(*resp)
    except Exception as e:   # noqa: BLE001
        res.check(name, False, e)
        return
    res.check(name + ": model_name", head.get("model_name") == model,
              head.get("model_name"))
    res.check(name + ": model_version", head.get("model_version") == version,
              head.get("model_version"))
    if rid is not None:
        res.check(name + ": id echoed", head.get("id") == rid, head.get("id"))
    res.check(name + ": outputs", sorted(outs) == sorted(want),
              sorted(outs))
    for o, (dt, shape, vals) in want.items():
        if o not in outs:
            continue
        meta, got = outs[o]
        res.check("%s: %s datatype" % (name, o), meta["datatype"] == dt,
                  meta["datatype"])
        res.check("%s: %s shape" % (name, o), meta["shape"] == list(shape),
                  meta["shape"])
        if dt in ("BYTES", "INT64", "BOOL"):
            ok = list(got) == [label_json(v) for v in np.ravel(vals)]
        else:
            ok = close(got, np.ravel(vals))
        res.check("%s: %s data" % (name, o), ok,
                  "got %s want %s" % (str(got)[:300],
                                      str(np.ravel(vals).tolist())[:300]))


def checks(ngx, res, M):
    st, h, b = ngx.call("/v2")
    meta = json.loads(b)
    res.check("server metadata", st == 200 and meta["name"] == "mlpredict"
              and "binary_tensor_data" in meta["extensions"], b)
    for p, key in (("/v2/health/live", "live"), ("/v2/health/ready",
                                                  "ready")):
        st, h, b = ngx.call(p)
        res.check(p, st == 200 and json.loads(b) == {key: True}, b)

    # model metadata, as clients read it to build tensors
    est, X, names = M["iris"]
    st, h, b = ngx.call("/v2/models/iris/versions/1")
    md = json.loads(b)
    res.check("iris metadata: name, versions, platform",
              md["name"] == "iris" and md["versions"] == ["1", "2"]
              and md["platform"] == "mlpredict", b)
    res.check("iris metadata: inputs", [i["name"] for i in md["inputs"]]
              == names and all(i["datatype"] == "FP64" and i["shape"] == [-1]
                               for i in md["inputs"]), md["inputs"])
    res.check("iris metadata: outputs", md["outputs"] == [
        {"name": "predict", "datatype": "BYTES", "shape": [-1]},
        {"name": "predict_proba", "datatype": "FP64", "shape": [-1, 3]}],
        md["outputs"])
    st, h, b = ngx.call("/v2/models/iris/versions/1/ready")
    res.check("iris ready", st == 200 and json.loads(b)["ready"] is True, b)

    want = {"predict": ("BYTES", [len(X)], est.predict(X)),
            "predict_proba": ("FP64", [len(X), 3], est.predict_proba(X))}

    # one [N, 4] tensor, every float and integer type a client may send
    for dt in ("FP64", "FP32"):
        Xc = X.astype(V2_TYPES[dt]).astype(float)
        w = {"predict": ("BYTES", [len(X)], est.predict(Xc)),
             "predict_proba": ("FP64", [len(X), 3], est.predict_proba(Xc))}
        for binary in (False, True):
            body, hd = v2_request([v2_tensor("input-0", X, dt, binary)],
                                  rid="r-%s" % dt)
            check_v2(res, "v2 iris [N,4] %s%s" % (dt, " binary" * binary),
                     ngx.call("/v2/models/iris/versions/1/infer", body, hd),
                     "iris", "1", w, rid="r-%s" % dt)
    Xi = np.round(X * 2)
    for dt in ("INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16",
               "UINT32", "UINT64"):
        w = {"predict": ("BYTES", [len(X)], est.predict(Xi)),
             "predict_proba": ("FP64", [len(X), 3], est.predict_proba(Xi))}
        for binary in (False, True):
            body, hd = v2_request([v2_tensor("input-0", Xi, dt, binary)])
            check_v2(res, "v2 iris [N,4] %s%s" % (dt, " binary" * binary),
                     ngx.call("/v2/models/iris/versions/1/infer", body, hd),
                     "iris", "1", w)
    Xbool = (X > 3).astype(float)
    body, hd = v2_request([v2_tensor("input-0", X > 3, "BOOL", True)])
    check_v2(res, "v2 iris [N,4] BOOL binary",
             ngx.call("/v2/models/iris/versions/1/infer", body, hd), "iris",
             "1", {"predict": ("BYTES", [len(X)], est.predict(Xbool)),
                   "predict_proba": ("FP64", [len(X), 3],
                                     est.predict_proba(Xbool))})

    # one tensor per input, [N] and [N, 1], outputs in binary
    for binary_out in (False, True):
        tensors = [v2_tensor(n, X[:, i] if i % 2 else X[:, i:i + 1], "FP64")
                   for i, n in enumerate(names)]
        body, hd = v2_request(tensors, binary_output=binary_out)
        check_v2(res, "v2 iris per input%s" % (" binary out" * binary_out),
                 ngx.call("/v2/models/iris/versions/1/infer", body, hd),
                 "iris", "1", want)
    body, hd = v2_request([v2_tensor("x", X, "FP64")],
                          outputs=["predict_proba"], binary_output=True)
    check_v2(res, "v2 iris outputs selects predict_proba",
             ngx.call("/v2/models/iris/versions/1/infer", body, hd), "iris",
             "1", {"predict_proba": want["predict_proba"]})

    # the unversioned route: the highest version, integer labels
    est2, _, _ = M["iris2"]
    body, hd = v2_request([v2_tensor("x", X, "FP64")])
    check_v2(res, "v2 iris latest version",
             ngx.call("/v2/models/iris/infer", body, hd), "iris", "2",
             {"predict": ("INT64", [len(X)], est2.predict(X)),
              "predict_proba": ("FP64", [len(X), 3], est2.predict_proba(X))})
    body, hd = v2_request([v2_tensor("x", X, "FP64")], binary_output=True)
    check_v2(res, "v2 iris latest version, binary INT64 labels",
             ngx.call("/v2/models/iris/infer", body, hd), "iris", "2",
             {"predict": ("INT64", [len(X)], est2.predict(X)),
              "predict_proba": ("FP64", [len(X), 3], est2.predict_proba(X))})

    # decision values
    svc, Xb, nb = M["bc_svc"]
    body, hd = v2_request([v2_tensor("x", Xb, "FP64", True)])
    check_v2(res, "v2 SVC decision_function",
             ngx.call("/v2/models/bc_svc/infer", body, hd), "bc_svc", "1",
             {"predict": ("INT64", [len(Xb)], svc.predict(Xb)),
              "decision_function": ("FP64", [len(Xb)],
                                    svc.decision_function(Xb))})

    # a regressor
    lr, Xd, nd = M["diabetes"]
    body, hd = v2_request([v2_tensor("x", Xd, "FP64")])
    check_v2(res, "v2 diabetes", ngx.call("/v2/models/diabetes/infer", body,
                                          hd), "diabetes", "1",
             {"predict": ("FP64", [len(Xd)], lr.predict(Xd))})

    # categorical inputs: BYTES tensors, JSON and binary
    pipe, df, _ = M["tagged"]
    for binary in (False, True):
        tensors = [v2_tensor("tag", df.tag.values, "BYTES", binary),
                   v2_tensor("signal", df.signal.values.reshape(-1, 1),
                             "FP64", binary)]
        body, hd = v2_request(tensors)
        check_v2(res, "v2 pipeline, BYTES categories%s" % (" binary" * binary),
                 ngx.call("/v2/models/tagged/infer", body, hd), "tagged",
                 "1", {"predict": ("INT64", [len(df)], pipe.predict(df)),
                       "predict_proba": ("FP64", [len(df), 2],
                                         pipe.predict_proba(df))})

    # the v2 specification's example request: id "42", input0 [2, 2]
    # UINT32 [1, 2, 3, 4] (its second input and output0 name nothing our
    # model has: the first tensor, as the model's [N, 2] matrix)
    two, _, _ = M["two"]
    spec = {"id": "42", "inputs": [{"name": "input0", "shape": [2, 2],
                                    "datatype": "UINT32",
                                    "data": [1, 2, 3, 4]}]}
    Xs = np.array([[1, 2], [3, 4]], dtype=float)
    check_v2(res, "v2 spec example", ngx.call("/v2/models/two/infer", spec),
             "two", "1", {"predict": ("INT64", [2], two.predict(Xs)),
                          "predict_proba": ("FP64", [2, 2],
                                            two.predict_proba(Xs))},
             rid="42")
    # the binary extension's example: input0 [3, 1] FP32 in 12 bytes,
    # output0 (here "predict") asked in binary
    one, _, _ = M["input0"]
    head = json.dumps({"model_name": "input0", "inputs": [
        {"name": "input0", "shape": [3, 1], "datatype": "FP32",
         "parameters": {"binary_data_size": 12}}],
        "outputs": [{"name": "predict",
                     "parameters": {"binary_data": True}}]}).encode()
    x3 = np.array([[1.5], [2.25], [-4.0]], dtype="<f4")
    resp = ngx.call("/v2/models/input0/infer", head + x3.tobytes(),
                    {"Content-Type": "application/octet-stream",
                     "Inference-Header-Content-Length": str(len(head))})
    check_v2(res, "v2 binary extension example", resp, "input0", "1",
             {"predict": ("FP64", [3], one.predict(x3.astype(float)))})

    # errors as the protocol has them
    st, h, b = ngx.call("/v2/models/nope/infer", spec)
    res.check("v2 unknown model: 404 {error}", st == 404
              and "error" in json.loads(b), (st, b))
    st, h, b = ngx.call("/v2/models/iris/versions/9")
    res.check("v2 unknown version: 404 {error}", st == 404
              and "error" in json.loads(b), (st, b))
    bad = {"inputs": [{"name": "x", "shape": [2, 4], "datatype": "FP64",
                       "data": [1, 2]}]}
    st, h, b = ngx.call("/v2/models/iris/infer", bad)
    res.check("v2 bad shape: 400 {error}", st == 400
              and "error" in json.loads(b), (st, b))

    # ---------------------------------------------------------------- TF
    st, h, b = ngx.call("/v1/models/iris")
    res.check("TF model status", st == 200 and json.loads(b) == {
        "model_version_status": [
            {"version": v, "state": "AVAILABLE",
             "status": {"error_code": "OK", "error_message": ""}}
            for v in ("1", "2")]}, b)
    st, h, b = ngx.call("/v1/models/iris/versions/1/metadata")
    md = json.loads(b)
    sd = md["metadata"]["signature_def"]["signature_def"]["serving_default"]
    res.check("TF metadata", md["model_spec"]["name"] == "iris"
              and md["model_spec"]["version"] == "1"
              and list(sd["inputs"]) == names
              and sorted(sd["outputs"]) == ["predict", "predict_proba"], b)

    # the TF Serving REST doc's half_plus_two: {"instances": [1.0, 2.0, 5.0]}
    hp2, _, _ = M["half_plus_two"]
    st, h, b = ngx.call("/v1/models/half_plus_two:predict",
                        {"instances": [1.0, 2.0, 5.0]})
    got = json.loads(b).get("predictions") if st == 200 else b
    res.check("TF doc example half_plus_two :predict",
              st == 200 and close(got, hp2.predict([[1.0], [2.0], [5.0]])),
              got)
    res.check("TF half_plus_two is 0.5 x + 2",
              st == 200 and close(got, [2.5, 3.0, 4.5]), got)
    st, h, b = ngx.call("/v1/models/half_plus_two/versions/1:regress",
                        {"signature_name": "tensorflow/serving/regress",
                         "examples": [{"x": 1.0}, {"x": 2.0}]})
    got = json.loads(b).get("result") if st == 200 else b
    res.check("TF doc example :regress", st == 200
              and close(got, hp2.predict([[1.0], [2.0]])), got)
    cx, _, _ = M["classify_x"]
    st, h, b = ngx.call("/v1/models/classify_x:classify",
                        {"examples": [{"x": 1.0}, {"x": 8.0}]})
    got = json.loads(b).get("result") if st == 200 else b
    pr = cx.predict_proba([[1.0], [8.0]])
    ok = st == 200 and all(
        [c for c, _ in row] == [str(k) for k in cx.classes_]
        and close([s for _, s in row], p) for row, p in zip(got, pr))
    res.check("TF :classify [[label, score], ...]", ok, got)

    # row format: rows as lists, then as objects
    for style in ("lists", "objects"):
        inst = (X.tolist() if style == "lists"
                else [dict(zip(names, r)) for r in X.tolist()])
        st, h, b = ngx.call("/v1/models/iris/versions/1:predict",
                            {"signature_name": "serving_default",
                             "instances": inst})
        preds = json.loads(b).get("predictions") if st == 200 else None
        ok = preds is not None and [p["predict"] for p in preds] == list(
            est.predict(X)) and close([p["predict_proba"] for p in preds],
                                      est.predict_proba(X))
        res.check("TF :predict instances as %s" % style, ok, b[:300])
    # columnar, the doc's "tag" and "signal"
    st, h, b = ngx.call("/v1/models/tagged:predict", {"inputs": {
        "tag": df.tag.tolist(), "signal": df.signal.tolist()}})
    outs = json.loads(b).get("outputs") if st == 200 else None
    ok = outs is not None and outs["predict"] == pipe.predict(df).tolist() \
        and close(outs["predict_proba"], pipe.predict_proba(df))
    res.check("TF :predict columnar inputs", ok, b[:300])
    st, h, b = ngx.call("/v1/models/diabetes:predict",
                        {"inputs": Xd.tolist()})
    outs = json.loads(b).get("outputs") if st == 200 else None
    res.check("TF :predict columnar list, regressor",
              outs is not None and close(outs, lr.predict(Xd)), b[:300])
    # CSV bodies (SageMaker's text/csv): header or none, JSON or CSV back
    csv_rows = "\n".join(",".join(repr(v) for v in r) for r in X.tolist())
    for hdr in (False, True):
        body = ((",".join(names) + "\n") if hdr else "") + csv_rows + "\n"
        st, h, b = ngx.call("/v2/models/iris/versions/1/infer", body.encode(),
                            {"Content-Type": "text/csv"})
        check_v2(res, "CSV%s -> v2 JSON" % (" with a header" * hdr),
                 (st, h, b), "iris", "1", want)
        st, h, b = ngx.call("/v1/models/iris/versions/1:predict",
                            body.encode(), {"Content-Type": "text/csv",
                                            "Accept": "text/csv"})
        lines = b.decode().splitlines() if st == 200 else []
        ok = (h.get("Content-Type") == "text/csv" and len(lines) == len(X)
              and [ln.split(",")[0] for ln in lines] == list(est.predict(X))
              and close([[float(v) for v in ln.split(",")[1:]]
                         for ln in lines], est.predict_proba(X)))
        res.check("CSV%s -> CSV" % (" with a header" * hdr), ok, b[:300])
    body = "tag,signal\n" + "\n".join("%s,%r" % (t, v) for t, v in zip(
        df.tag, df.signal)) + "\n"
    st, h, b = ngx.call("/v1/models/tagged:predict", body.encode(),
                        {"Content-Type": "text/csv"})
    preds = json.loads(b).get("predictions") if st == 200 else None
    res.check("CSV categories -> TF predictions", preds is not None
              and [p["predict"] for p in preds] == pipe.predict(df).tolist()
              and close([p["predict_proba"] for p in preds],
                        pipe.predict_proba(df)), b[:300])

    st, h, b = ngx.call("/v1/models/nope:predict", {"instances": [1]})
    res.check("TF unknown model: 404 {error}", st == 404
              and "error" in json.loads(b), (st, b))


if __name__ == "__main__":
    main()
