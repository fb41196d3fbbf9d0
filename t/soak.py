#!/usr/bin/python3
"""A soak: mixed load of every request shape, client mistakes among it,
every model kind, on 4 workers, for a bounded time.

    /usr/bin/python3 t/soak.py --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so --cli build/mlpredict \
        --seconds 600

nginx (master + 4 workers, reuseport, our child, 127.0.0.1 only) serves the
example models of every kind (linear, logistic, forest, gradient boosting
with missing values, svm from scikit-learn and libsvm, a scikit-learn and a
PyTorch network, a categorical pipeline) at their own locations, the same by
name on the protocol routes, and /metrics. Client threads, each on a
keep-alive connection it reopens after a random number of requests (so
every worker sees every shape), send for --seconds a random mix of:
single rows in model order, named rows, batches of 1 to 300 rows (larger
ones spooled to temp files), CSV bodies (JSON and CSV answers), v2 JSON and
binary tensors (binary answers), TF Serving predict, classify and regress,
explanations where they are on, GETs of metadata, v2 and TF status, and
/metrics; and mistakes: malformed JSON, an empty body, the wrong number of
features, an unknown feature, a string for a number, a batch over
mlpredict_max_batch, a body over client_max_body_size, the wrong method,
the wrong Content-Type, an explanation where they are off, an unknown v2
model, a v2 binary size that does not add up.

Checks: every valid request answered 200 with the body it got before the
load (the plain ones first checked against `mlpredict predict` / `explain`
on the same file); every mistake its 4xx, never a 5xx or a connection
closed without an answer; the same 4 workers at the end, none exited on a
signal; each worker's RSS, measured with the load paused, grown less than
1% from the end of the warm-up (a sixth of the run, at least 20 s) to the
end (printed with its anonymous, file and shared parts); no line above
info in the error log from the start of the load but the two nginx logs
for any location (NGINX_OWN: a body over client_max_body_size, a body
buffered to a temp file).
Ends with "N passed, N failed".
"""

import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import endurance as E  # noqa: E402

import numpy as np  # noqa: E402
from sklearn.datasets import load_breast_cancer, load_diabetes  # noqa: E402
from sklearn.datasets import load_iris  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")
THREADS = 8
MAX_REQUESTS = 5000000         # a bound on the whole run, whatever the time
PARTS = ("RssAnon", "RssFile", "RssShmem")

# location -> (model file, explain on); kinds noted for the reader
PLAIN = {
    "diabetes": ("diabetes", True),                 # linear
    "breast_cancer": ("breast_cancer", False),      # logistic
    "iris_forest": ("iris_forest", True),           # forest
    "diabetes_hgb": ("diabetes_hgb", True),         # boosting, nulls
    "breast_cancer_gb": ("breast_cancer_gb", False),
    "iris_svc": ("iris_svc", False),                # svm (scikit-learn)
    "iris_libsvm": ("iris_libsvm", False),          # svm (libsvm)
    "iris_mlp": ("iris_mlp", False),                # network (scikit-learn)
    "iris_torch": ("iris_torch", False),            # network (ONNX)
    "churn": ("churn", False),                      # categorical pipeline
    "churn_hgb": ("churn_hgb", True),               # categories in trees
}
NAMED = ["iris", "diabetes", "iris_forest", "diabetes_hgb", "churn",
         "iris_svc", "iris_mlp"]


# What nginx itself logs above info for any location, whatever module
# serves it: a body over client_max_body_size at error (its find-config
# phase, before a content handler runs), for the one request that sends
# one; and its advice at warn that a body went to a temp file (the larger
# batches here, on purpose: they take the temp-file path)
NGINX_OWN = [
    r"\[error\] .* client intended to send too large body: \d+ bytes, "
    r'.*request: "POST /small/iris HTTP/1.1"',
    r"\[warn\] .* a client request body is buffered to a temporary file "
    r"\S+/logs/body/\d+, client",
]


def conf(port):
    named = "\n".join("    mlpredict_model %s %s/%s.mlp;" % (n, MODELS, n)
                      for n in NAMED)
    plain = "\n".join(
        "        location = /m/%s { mlpredict %s/%s.mlp;%s }"
        % (loc, MODELS, f, " mlpredict_explain on;" if ex else "")
        for loc, (f, ex) in PLAIN.items())
    return """
    mlpredict_metrics_zone soak 1m;
    client_body_buffer_size 16k;
    client_max_body_size 1m;
%s
    server {
        listen 127.0.0.1:%d reuseport;
        mlpredict_json_errors on;
        location = /metrics { mlpredict_metrics; }
        location /v2 { mlpredict_api; }
        location /v1/models/ { mlpredict_api; }
%s
        location = /small/iris {
            mlpredict %s/iris.mlp;
            mlpredict_max_batch 10;
            client_max_body_size 4k;
        }
    }
""" % (named, port, plain, MODELS)


def churn_rows(rng, n):
    plans = ["basic", "enterprise", "premium", "standard", "gold", None]
    regions = ["east", "island", "north", "south", "west", "moon", None]
    contracts = ["monthly", "yearly", None]
    rows = []
    for _ in range(n):
        r = {"age": float(rng.integers(18, 90)),
             "income": float(rng.normal(50000, 15000)),
             "tenure": float(rng.integers(0, 120)),
             "support_calls": float(rng.integers(0, 10)),
             "plan": plans[rng.integers(len(plans))],
             "region": regions[rng.integers(len(regions))],
             "contract": contracts[rng.integers(len(contracts))]}
        for k in ("age", "income"):
            if rng.random() < 0.1:
                r[k] = None
        rows.append(r)
    return rows


CHURN_INPUTS = ["age", "income", "tenure", "support_calls", "plan", "region",
                "contract"]


class Req:
    """A request and what it must get: status, and for a 200 the body
    (learnt before the load, or given)."""

    def __init__(self, name, method, path, body=None, headers=None,
                 status=200, cli=None, weight=1, any_body=False):
        self.name, self.method, self.path = name, method, path
        self.body, self.headers = body, dict(headers or {})
        self.status, self.cli, self.weight = status, cli, weight
        self.any_body = any_body
        self.want = None

    def valid(self):
        return self.status == 200


def requests_for(rng):
    """Every shape, on every model kind, and the mistakes."""
    iris, bc, dia = load_iris(), load_breast_cancer(), load_diabetes()
    data = {
        "iris": (iris.data, ["sepal_length_cm", "sepal_width_cm",
                             "petal_length_cm", "petal_width_cm"]),
        "breast_cancer": (bc.data, [n.replace(" ", "_")
                                    for n in bc.feature_names]),
        "diabetes": (dia.data, list(dia.feature_names)),
        "iris_libsvm": (iris.data, ["f1", "f2", "f3", "f4"]),
    }
    source = {"diabetes": "diabetes", "breast_cancer": "breast_cancer",
              "iris_forest": "iris", "diabetes_hgb": "diabetes",
              "breast_cancer_gb": "breast_cancer", "iris_svc": "iris",
              "iris_libsvm": "iris_libsvm", "iris_mlp": "iris",
              "iris_torch": "iris", "iris": "iris"}
    js = "application/json"
    out = []

    def rows(ds, n):
        X, _ = data[ds]
        return [[float(v) for v in X[i]] for i in rng.integers(len(X),
                                                                size=n)]

    def named(ds, row):
        return dict(zip(data[ds][1], row))

    for loc, (f, explain) in PLAIN.items():
        path = "/m/" + loc
        model = os.path.join(MODELS, f + ".mlp")
        ct = {"Content-Type": js}
        if loc.startswith("churn"):
            cr = churn_rows(rng, 301)
            bodies = {
                "named": cr[0],
                "features": {"features": [cr[1][k] for k in CHURN_INPUTS]},
                "batch10": {"instances": cr[2:12]},
                "batch300": {"instances": cr[1:301]},
            }
            if explain:
                bodies["explain"] = dict(cr[5], explain=True)
                bodies["explain_batch"] = {"instances": cr[20:40],
                                           "explain": True}
            csv = "\n".join(",".join("" if r[k] is None else str(r[k])
                                     for k in CHURN_INPUTS)
                            for r in cr[40:60]) + "\n"
        else:
            ds = source[loc]
            r = rows(ds, 301)
            bodies = {
                "named": named(ds, r[0]),
                "features": {"features": r[1]},
                "batch10": {"instances": r[2:7] + [named(ds, x)
                                                   for x in r[7:12]]},
                "batch300": {"instances": r[1:301]},
            }
            if loc == "diabetes_hgb":
                nb = named(ds, r[3])
                del nb["bmi"]
                nb["bp"] = None
                bodies["nulls"] = nb
            if explain:
                bodies["explain"] = dict(named(ds, r[4]), explain=True)
                bodies["explain_batch"] = {"instances": r[20:40],
                                           "explain": True}
            csv = "\n".join(",".join(repr(v) for v in x)
                            for x in r[40:60]) + "\n"
        for shape, b in bodies.items():
            raw = json.dumps(b).encode()
            tool = "explain" if shape.startswith("explain") else "predict"
            out.append(Req("%s %s" % (loc, shape), "POST", path, raw, ct,
                           cli=(tool, model),
                           weight=1 if shape == "batch300" else 3))
        out.append(Req(loc + " csv", "POST", path, csv.encode(),
                       {"Content-Type": "text/csv"}))
        out.append(Req(loc + " csv->csv", "POST", path, csv.encode(),
                       {"Content-Type": "text/csv", "Accept": "text/csv"}))
        out.append(Req(loc + " GET", "GET", path))

    # the protocol routes, by name
    for name in NAMED:
        ct = {"Content-Type": js}
        if name == "churn":
            cr = churn_rows(rng, 20)
            tensors = [{"name": k, "shape": [20], "datatype":
                        "BYTES" if k in ("plan", "region", "contract")
                        else "FP64",
                        "data": [r[k] for r in cr]} for k in CHURN_INPUTS]
            # a BYTES tensor takes no null: an unseen category instead
            for t in tensors:
                if t["datatype"] == "BYTES":
                    t["data"] = [v or "gold" for v in t["data"]]
            out.append(Req("v2 churn json", "POST",
                           "/v2/models/churn/infer",
                           json.dumps({"inputs": tensors}).encode(), ct))
            out.append(Req("tf churn predict", "POST",
                           "/v1/models/churn:predict",
                           json.dumps({"instances": cr}).encode(), ct))
            out.append(Req("tf churn classify", "POST",
                           "/v1/models/churn:classify",
                           json.dumps({"examples": cr[:5]}).encode(), ct))
            continue
        ds = source[name]
        r = rows(ds, 50)
        k = len(r[0])
        out.append(Req("v2 %s json" % name, "POST",
                       "/v2/models/%s/infer" % name,
                       json.dumps({"id": "s", "inputs": [
                           {"name": "x", "shape": [50, k],
                            "datatype": "FP64", "data": r}]}).encode(), ct))
        for dt, fmt in (("FP64", "<%dd"), ("FP32", "<%df")):
            head = json.dumps({
                "inputs": [{"name": "x", "shape": [50, k], "datatype": dt,
                            "parameters": {"binary_data_size":
                                           50 * k * (8 if dt == "FP64"
                                                     else 4)}}],
                "parameters": {"binary_data_output": True}}).encode()
            raw = struct.pack(fmt % (50 * k), *sum(r, []))
            out.append(Req("v2 %s binary %s" % (name, dt), "POST",
                           "/v2/models/%s/infer" % name, head + raw,
                           {"Content-Type": "application/octet-stream",
                            "Inference-Header-Content-Length":
                            str(len(head))}))
        out.append(Req("tf %s predict" % name, "POST",
                       "/v1/models/%s:predict" % name,
                       json.dumps({"instances": r[:10]}).encode(), ct))
        out.append(Req("tf %s columnar" % name, "POST",
                       "/v1/models/%s:predict" % name,
                       json.dumps({"inputs": r[10:20]}).encode(), ct))
        verb = "regress" if ds == "diabetes" else "classify"
        out.append(Req("tf %s %s" % (name, verb), "POST",
                       "/v1/models/%s:%s" % (name, verb),
                       json.dumps({"examples": [named(ds, x)
                                                for x in r[:5]]}).encode(),
                       ct))
        out.append(Req("tf %s csv" % name, "POST",
                       "/v1/models/%s:predict" % name,
                       ("\n".join(",".join(repr(v) for v in x)
                                  for x in r[:10]) + "\n").encode(),
                       {"Content-Type": "text/csv"}))
        out.append(Req("v2 %s GET" % name, "GET", "/v2/models/" + name))
        out.append(Req("v2 %s ready" % name, "GET",
                       "/v2/models/%s/ready" % name))
        out.append(Req("tf %s status" % name, "GET", "/v1/models/" + name))
        out.append(Req("tf %s metadata" % name, "GET",
                       "/v1/models/%s/metadata" % name))
    out.append(Req("v2 server", "GET", "/v2"))
    out.append(Req("v2 live", "GET", "/v2/health/live"))
    out.append(Req("metrics", "GET", "/metrics", any_body=True, weight=2))

    # the mistakes: each its 4xx
    ct = {"Content-Type": js}
    iris_row = rows("iris", 1)[0]
    # FP32 [1, 4] takes 16 bytes, not 32
    wrong_v2 = json.dumps({"inputs": [{
        "name": "x", "shape": [1, 4], "datatype": "FP32",
        "parameters": {"binary_data_size": 32}}]}).encode()
    mistakes = [
        ("malformed JSON", "POST", "/m/iris_forest", b'{"features": [1, 2,',
         ct, 400),
        ("malformed JSON v2", "POST", "/v2/models/iris/infer",
         b'{"inputs": [}', ct, 400),
        ("empty body", "POST", "/m/breast_cancer", b"", ct, 400),
        ("wrong feature count", "POST", "/m/iris_svc",
         json.dumps({"features": iris_row[:3]}).encode(), ct, 400),
        ("unknown feature", "POST", "/m/diabetes",
         json.dumps({"agee": 1.0}).encode(), ct, 400),
        ("string for a number", "POST", "/m/iris_mlp",
         json.dumps({"features": ["a", 1, 2, 3]}).encode(), ct, 400),
        ("null without missing-value rules", "POST", "/m/iris_torch",
         json.dumps({"features": [None, 1, 2, 3]}).encode(), ct, 400),
        ("batch over mlpredict_max_batch", "POST", "/small/iris",
         json.dumps({"instances": rows("iris", 11)}).encode(), ct, 413),
        ("body over client_max_body_size", "POST", "/small/iris",
         json.dumps({"instances": rows("iris", 300)}).encode(), ct, 413),
        ("PUT", "PUT", "/m/churn", b"{}", ct, 405),
        ("DELETE v2", "DELETE", "/v2/models/iris/infer", None, None, 405),
        ("text/plain", "POST", "/m/breast_cancer_gb", b"1,2,3",
         {"Content-Type": "text/plain"}, 415),
        ("explain where off", "POST", "/m/breast_cancer",
         json.dumps({"instances": rows("breast_cancer", 2),
                     "explain": True}).encode(), ct, 403),
        ("unknown v2 model", "POST", "/v2/models/nosuch/infer",
         b'{"inputs": []}', ct, 404),
        ("v2 binary size wrong", "POST", "/v2/models/iris/infer",
         wrong_v2 + b"\0" * 32,
         {"Content-Type": "application/octet-stream",
          "Inference-Header-Content-Length": str(len(wrong_v2))}, 400),
        ("bad CSV", "POST", "/m/iris_forest", b"1,2\n",
         {"Content-Type": "text/csv"}, 400),
        ("regress on a classifier", "POST", "/v1/models/iris:regress",
         json.dumps({"examples": [named("iris", iris_row)]}).encode(), ct,
         400),
    ]
    for name, method, path, body, headers, status in mistakes:
        out.append(Req("mistake: " + name, method, path, body, headers,
                       status, weight=2))
    return out


def cli_answer(cli, tool, model, body):
    p = subprocess.run([cli, tool, model], input=body, capture_output=True)
    return p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--threads", type=int, default=THREADS)
    args = ap.parse_args()

    rng = np.random.default_rng(16)
    reqs = requests_for(rng)
    tmp = tempfile.mkdtemp(prefix="mlp-soak-")
    port = args.port or E.free_port()
    ngx = E.Nginx(args.nginx, args.module, tmp, conf(port), "127.0.0.1",
                  port, workers=4)
    try:
        ngx.start()
        return run(args, ngx, reqs, port)
    finally:
        ngx.stop()
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, ngx, reqs, port):
    host = "127.0.0.1"

    # before the load: every request once, its answer learnt; the plain
    # shapes' against the command-line tool on the same file
    c = E.Client(host, port)
    wrong = []
    cli_checked = 0
    for q in reqs:
        st, h, body = c.request(q.method, q.path, q.body, q.headers)
        if st != q.status:
            wrong.append("%s: %d, not %d: %r" % (q.name, st, q.status,
                                                 body[:200]))
            continue
        if q.valid():
            q.want = body
            if q.cli:
                cli = cli_answer(args.cli, q.cli[0], q.cli[1], q.body)
                cli_checked += 1
                if cli != body:
                    wrong.append("%s: %r, the CLI %r" % (q.name, body[:200],
                                                         cli[:200]))
    c.close()
    valid = [q for q in reqs if q.valid()]
    errors = [q for q in reqs if not q.valid()]
    E.check(not wrong, "every request answered as it must before the load "
            "(%d valid shapes, %d of them against the CLI, %d mistakes)"
            % (len(valid), cli_checked, len(errors)), "; ".join(wrong[:5]))

    workers = ngx.workers()
    E.check(len(workers) == 4, "4 workers", repr(workers))
    log_start = ngx.log_size()

    weights = [q.weight for q in reqs]
    stop = threading.Event()
    running = threading.Event()
    running.set()
    lock = threading.Lock()
    stats = {"sent": 0, "valid": 0, "valid_failed": 0, "mistakes": 0,
             "mistakes_wrong": 0, "closed": 0, "5xx": 0, "rows": 0}
    fails = []
    busy = [0]

    def client(seed):
        r = random.Random(seed)
        c = E.Client(host, port)
        left = r.randint(1, 100)
        local = dict.fromkeys(stats, 0)
        while not stop.is_set() and stats["sent"] < MAX_REQUESTS:
            if not running.is_set():
                running.wait(5)
                continue
            q = r.choices(reqs, weights)[0]
            with lock:
                busy[0] += 1
            try:
                st, _, body = c.request(q.method, q.path, q.body, q.headers)
                err = None
            except Exception as e:
                st, body, err = None, b"", repr(e)
            finally:
                with lock:
                    busy[0] -= 1
            local["sent"] += 1
            bad = None
            if err is not None:
                local["closed"] += 1
                bad = "no answer: " + err
            elif st >= 500:
                local["5xx"] += 1
            if q.valid():
                local["valid"] += 1
                if bad is None and (st != 200 or not q.any_body
                                    and body != q.want):
                    bad = "%d %r" % (st, body[:200])
                if bad:
                    local["valid_failed"] += 1
            else:
                local["mistakes"] += 1
                if bad is None and st != q.status:
                    bad = "%d, not %d: %r" % (st, q.status, body[:200])
                if bad:
                    local["mistakes_wrong"] += 1
            if bad:
                with lock:
                    if len(fails) < 20:
                        fails.append("%s: %s" % (q.name, bad))
            left -= 1
            if left == 0:
                c.close()
                left = r.randint(1, 100)
            if local["sent"] % 200 == 0:
                with lock:
                    for k in stats:
                        stats[k] += local[k]
                local = dict.fromkeys(stats, 0)
        with lock:
            for k in stats:
                stats[k] += local[k]
        c.close()

    def quiet_rss():
        """Every worker's RSS with no request in flight."""
        running.clear()
        end = time.time() + 10
        while time.time() < end:
            with lock:
                if busy[0] == 0:
                    break
            time.sleep(0.01)
        time.sleep(0.3)
        out = {pid: E.rss_kb(pid) for pid in workers}
        parts = {pid: E.rss_parts(pid) for pid in workers}
        running.set()
        return out, parts

    warm = max(20.0, args.seconds / 6)
    threads = [threading.Thread(target=client, args=(i,))
               for i in range(args.threads)]
    t0 = time.time()
    for t in threads:
        t.start()

    samples = []
    base = None
    next_report = t0 + 60
    while time.time() - t0 < args.seconds:
        time.sleep(min(5.0, max(0.1, args.seconds - (time.time() - t0))))
        now = time.time()
        if base is None and now - t0 >= warm:
            base, base_parts = quiet_rss()
            base_sent = stats["sent"]
            print("#       warm-up over after %.0f s, %d requests: RSS kB %s"
                  % (now - t0, base_sent, sorted(base.values())),
                  flush=True)
            continue
        samples.append({pid: E.rss_kb(pid) for pid in workers})
        if now >= next_report:
            next_report += 60
            print("#       %.0f s: %d requests, %d failed valid, %d wrong "
                  "mistakes; RSS kB %s" % (now - t0, stats["sent"],
                                           stats["valid_failed"],
                                           stats["mistakes_wrong"],
                                           [samples[-1][p] for p in workers]),
                  flush=True)
    end, end_parts = quiet_rss()
    elapsed = time.time() - t0
    above = ngx.log_above_info(log_start)
    nginx_own = ngx.log_above_info(log_start, allow=NGINX_OWN)
    nginx_own, above = len(above) - len(nginx_own), nginx_own
    stop.set()
    for t in threads:
        t.join(30)

    print("#       %d requests in %.0f s (%.0f/s) over %d threads: %d valid, "
          "%d mistakes" % (stats["sent"], elapsed, stats["sent"] / elapsed,
                           args.threads, stats["valid"], stats["mistakes"]))
    E.check(stats["sent"] > 0 and stats["valid_failed"] == 0,
            "0 failed valid requests (of %d)" % stats["valid"],
            "%d failed: %s" % (stats["valid_failed"], "; ".join(fails[:5])))
    E.check(stats["mistakes"] > 0 and stats["mistakes_wrong"] == 0,
            "every mistake its 4xx (%d)" % stats["mistakes"],
            "%d not: %s" % (stats["mistakes_wrong"], "; ".join(fails[:5])))
    E.check(stats["5xx"] == 0 and stats["closed"] == 0,
            "no 5xx, no connection closed without an answer",
            "%d 5xx, %d closed" % (stats["5xx"], stats["closed"]))

    E.check(ngx.workers() == workers, "the same 4 workers at the end",
            "%r, then %r" % (workers, ngx.workers()))
    E.check(not E.exited_on_signal(ngx.log_text()), "no worker exited on "
            "a signal")
    if base is None:
        E.check(False, "RSS after the warm-up", "the run ended before the "
                "warm-up (%.0f s)" % warm)
    else:
        growth = {p: (end[p] - base[p]) / base[p] for p in workers
                  if base[p] and end[p]}
        peak = {p: max(s[p] or 0 for s in samples) if samples else 0
                for p in workers}
        for p in workers:
            print("#       worker %d: RSS %d kB after the warm-up, %d kB at "
                  "the end (%+.2f%%), %d kB the highest under load; "
                  "anon/file/shmem %s -> %s kB"
                  % (p, base[p], end[p], 100 * growth.get(p, 0), peak[p],
                     "/".join(str(base_parts[p].get(k)) for k in PARTS),
                     "/".join(str(end_parts[p].get(k)) for k in PARTS)))
        E.check(len(growth) == 4 and all(g < 0.01 for g in growth.values()),
                "every worker's RSS flat after the warm-up (< 1%% growth "
                "over %d requests)" % (stats["sent"] - base_sent),
                "growth %r" % {p: "%+.2f%%" % (100 * g)
                               for p, g in growth.items()})
    print("#       nginx's own lines above info (413 over "
          "client_max_body_size, temp-file bodies): %d" % nginx_own)
    E.check(not above, "no error-log line above info during the load",
            "%d lines: %s" % (len(above), "\n".join(above[:10])))
    return E.summary()


if __name__ == "__main__":
    sys.exit(main())
