#!/usr/bin/python3
"""`make bench`: the module side by side with nginx `return 200` and with
Flask + scikit-learn, in one run; the core without HTTP beside scikit-learn
and XGBoost; a mixed row of numbers and string categories through a
scikit-learn pipeline (bench/make_mixed_model.py), in the core and over
HTTP; an RBF SVC with probabilities and an RBF SVR (bench/make_svm_model.py)
in the core beside scikit-learn, the SVC over HTTP; memory and start-up
with a large model; `mlpredict train` beside scikit-learn's fit (issue 13).
See bench/README.md.

    /usr/bin/python3 bench/run.py [--seconds 10] [--smoke] [--out DIR] ...

Progress goes to stderr; the report (Markdown) to stdout and to
DIR/YYYY-MM-DD-HHMM.md. Every process started here is ended here, on
success, failure or Ctrl-C.
"""

import argparse
import http.client
import json
import math
import os
import pickle
import platform
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)

PY = "/usr/bin/python3"
HOST = "127.0.0.1"
PORT_NGINX, PORT_GUNICORN, PORT_FLASK, PORT_BIG = 18080, 18081, 18082, 18083
PARTS = set()
SERVER_CPU, CLIENT_CPU = "0", "1"

CHILDREN = []          # Popen objects of the servers we started
COMMANDS = []          # (what, command line) for the report
NOTES = []             # anything surprising, for the report
FAILURES = []


def log(*a):
    print("bench:", *a, file=sys.stderr, flush=True)


def note(s):
    log("NOTE:", s)
    NOTES.append(s)


def fail(s):
    log("FAILED:", s)
    FAILURES.append(s)


def cmdline(argv, env=None):
    pre = " ".join("%s=%s" % (k, shlex.quote(v)) for k, v in (env or {}).items())
    return (pre + " " if pre else "") + shlex.join(argv)


def record(what, argv, env=None):
    s = cmdline(argv, env)
    if (what, s) not in COMMANDS:
        COMMANDS.append((what, s))


# ---------------------------------------------------------------- processes

def pinned(cpu, argv):
    return (["taskset", "-c", cpu] + argv) if PIN else argv


def start(name, argv, env=None, cwd=None):
    """A server as our child in its own session (Ctrl-C reaches us, not it;
    we end it)."""
    logf = open(os.path.join(WORK, "logs", name + ".log"), "wb")
    full_env = dict(os.environ)
    full_env.update(env or {})
    p = subprocess.Popen(argv, env=full_env, cwd=cwd, stdin=subprocess.DEVNULL,
                         stdout=logf, stderr=subprocess.STDOUT,
                         start_new_session=True)
    p.bench_name = name
    p.bench_log = logf.name
    logf.close()
    CHILDREN.append(p)
    return p


def stop(p):
    if p.poll() is None:
        try:
            os.kill(p.pid, signal.SIGTERM)
            p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        except ProcessLookupError:
            pass
    # whatever is left of its session (workers), by its process group id
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        p.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    if p in CHILDREN:
        CHILDREN.remove(p)


def stop_all():
    for p in list(CHILDREN):
        stop(p)


def port_open(port):
    s = socket.socket()
    s.settimeout(0.2)
    try:
        s.connect((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def wait_port(p, port, timeout=30):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if p.poll() is not None:
            raise RuntimeError("%s exited with %s:\n%s" % (
                p.bench_name, p.returncode, tail(p.bench_log)))
        if port_open(port):
            return
        time.sleep(0.05)
    raise RuntimeError("%s does not listen on %d after %d s:\n%s" % (
        p.bench_name, port, timeout, tail(p.bench_log)))


def tail(path, n=20):
    try:
        with open(path, errors="replace") as f:
            return "".join(f.readlines()[-n:])
    except OSError:
        return ""


def check_port_free(port):
    if port_open(port):
        raise RuntimeError("port %d is already in use: not ours" % port)


# ---------------------------------------------------------------- HTTP

def post(port, path, body, timeout=30, headers=(), answer_headers=None):
    c = http.client.HTTPConnection(HOST, port, timeout=timeout)
    h = {"Content-Type": "application/json"}
    h.update(x.split(": ", 1) for x in headers)
    try:
        c.request("POST", path, body=body, headers=h)
        r = c.getresponse()
        if answer_headers is not None:
            answer_headers.update((k.lower(), v) for k, v in r.getheaders())
        return r.status, r.read()
    finally:
        c.close()


def nginx_conf(port, workers, locations, errlog):
    d = os.path.dirname(errlog)
    temp = "".join("    %s_temp_path %s/%s;\n" % (t, d, t)
                   for t in ("client_body", "proxy", "fastcgi", "uwsgi",
                             "scgi"))
    locs = "".join(locations)
    return """load_module %(module)s;

daemon off;
master_process on;
worker_processes %(workers)d;
error_log %(errlog)s warn;
pid %(dir)s/nginx.pid;

events {
    worker_connections 1024;
}

http {
    access_log off;
%(temp)s
    # the batch bodies (~21 KB) stay in memory, never in a temp file
    client_body_buffer_size 1m;
    client_max_body_size 8m;
%(hbuf)s
    server {
        listen %(host)s:%(port)d;
%(locs)s    }
}
""" % dict(module=MODULE, workers=workers, errlog=errlog, dir=d, temp=temp,
           host=HOST, port=port, locs=locs,
           hbuf=("    client_header_buffer_size %s;\n" % ARGS.header_buffer
                 if ARGS.header_buffer else ""))


def nginx_argv(prefix, conf, errlog):
    return [NGINX, "-p", prefix + "/", "-e", errlog, "-c", conf]


WRK_RE = {
    "rps": re.compile(r"Requests/sec:\s+([\d.]+)"),
    "requests": re.compile(r"(\d+) requests in ([\d.]+)(\w+)"),
    "socket": re.compile(r"Socket errors: connect (\d+), read (\d+), "
                         r"write (\d+), timeout (\d+)"),
    "non2xx": re.compile(r"Non-2xx or 3xx responses: (\d+)"),
}


def to_us(v, unit):
    return float(v) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[unit]


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def proc_cpu(pid):
    """CPU seconds (user + system) of pid and every process under it: the
    server's own cost, whatever the load generator's."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0, [pid]
    while todo:
        q = todo.pop()
        try:
            with open("/proc/%d/stat" % q) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            todo.extend(children(q))
        except (OSError, IndexError, ValueError):
            continue
    return total / tick


def parse_wrk(out):
    r = {}
    m = WRK_RE["rps"].search(out)
    if not m:
        raise RuntimeError("no Requests/sec in wrk's output:\n" + out)
    r["rps"] = float(m.group(1))
    m = WRK_RE["requests"].search(out)
    r["requests"] = int(m.group(1)) if m else None
    m = WRK_RE["socket"].search(out)
    r["socket_errors"] = sum(map(int, m.groups())) if m else 0
    m = WRK_RE["non2xx"].search(out)
    r["non2xx"] = int(m.group(1)) if m else 0
    r["errors"] = r["socket_errors"] + r["non2xx"]
    for pct in ("50", "99"):
        m = re.search(r"^\s+%s%%\s+([\d.]+)(us|ms|s|m)\s*$" % pct, out, re.M)
        r["p" + pct] = to_us(*m.groups()) if m else None
    return r


def wrk(port, path, body_file, seconds, record_it=True, headers=(),
        content_type=None):
    argv = pinned(CLIENT_CPU, [
        "wrk", "-t1", "-c%d" % ARGS.connections, "-d%ds" % seconds,
        "--timeout", "10s", "--latency", "-s", os.path.join(HERE, "post.lua")]
        + [a for h in headers for a in ("-H", h)]
        + ["http://%s:%d%s" % (HOST, port, path)])
    env = {"WRK_BODY": body_file}
    if content_type:
        env["WRK_TYPE"] = content_type
    if record_it:
        record("wrk (each case)", argv, env)
    p = subprocess.run(argv, env=dict(os.environ, **env),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=seconds + 60, text=True)
    if p.returncode != 0:
        raise RuntimeError("wrk exited %d:\n%s" % (p.returncode, p.stdout))
    return p.stdout


# answers --------------------------------------------------------------

def check_answer(case, status, raw, answer_headers=None):
    """Status 200 and a JSON answer of the expected shape, else an error."""
    if status != 200:
        raise RuntimeError("status %d: %s" % (status, raw[:300]))
    if case["kind"] == "v2bin":
        return check_v2_binary(case, raw, answer_headers or {})
    try:
        a = json.loads(raw)
    except ValueError:
        raise RuntimeError("not JSON: %r" % raw[:300])
    kind = case["kind"]
    if kind == "ok":
        if a != {"ok": True}:
            raise RuntimeError("unexpected answer %r" % raw[:300])
        return a
    if kind == "batch":
        preds = a.get("predictions")
        if not isinstance(preds, list) or len(preds) != case["rows"]:
            raise RuntimeError("expected %d predictions: %r"
                               % (case["rows"], raw[:300]))
        rows = preds
    else:
        rows = [a]
    for r in rows:
        if kind == "regression":
            if not isinstance(r.get("prediction"), (int, float)) \
                    or not math.isfinite(r["prediction"]):
                raise RuntimeError("bad regression answer %r" % raw[:300])
        else:
            p = r.get("probabilities")
            if r.get("prediction") not in case.get("classes",
                                                   ("malignant", "benign")) \
                    or not isinstance(p, dict) \
                    or abs(sum(p.values()) - 1) > case.get("sum_tol",
                                                           1e-9):
                raise RuntimeError("bad classifier answer %r" % raw[:300])
    if kind != "batch" and "expect" in case \
            and a["prediction"] != case["expect"]:
        raise RuntimeError("predicted %r, the data says %r"
                           % (a["prediction"], case["expect"]))
    if case.get("explain"):
        # a forest's margin is its probabilities: contributions + base add
        # up to each class's
        c, b, p = a.get("contributions"), a.get("base_value"), \
            a.get("probabilities")
        if not isinstance(c, dict) or not isinstance(b, dict) or \
                any(abs(sum(c[k].values()) + b[k] - p[k]) > 1e-9 for k in p):
            raise RuntimeError("contributions do not add up to the "
                               "probabilities: %r" % raw[:300])
    if "proba" in case:
        worst = max_proba_diff(a, case["proba"])
        if worst > 1e-9:
            raise RuntimeError("probabilities differ from scikit-learn's by "
                               "%.3g: %r" % (worst, raw[:300]))
    return a


def check_v2_binary(case, raw, headers):
    """A v2 answer in the binary extension: its JSON header (of the length
    Inference-Header-Content-Length gives), then predict_proba as
    little-endian doubles, within 1e-9 of scikit-learn's."""
    import numpy as np
    try:
        n = int(headers["inference-header-content-length"])
        a = json.loads(raw[:n])
    except (KeyError, ValueError):
        raise RuntimeError("no v2 binary answer: %r" % raw[:300])
    outs = a.get("outputs") or []
    rows, k = case["proba"].shape
    if len(outs) != 1 or outs[0].get("name") != "predict_proba" \
            or outs[0].get("shape") != [rows, k] \
            or outs[0].get("parameters", {}).get("binary_data_size") \
            != rows * k * 8 or len(raw) != n + rows * k * 8:
        raise RuntimeError("unexpected v2 binary answer: %r" % raw[:300])
    got = np.frombuffer(raw[n:], dtype="<f8").reshape(rows, k)
    worst = float(np.max(np.abs(got - case["proba"])))
    if worst > 1e-9:
        raise RuntimeError("v2 probabilities differ from scikit-learn's by "
                           "%.3g" % worst)
    return {"v2_rows": rows, "worst": worst}


def max_proba_diff(answer, proba):
    """The largest |p - p_ref| of one answer (dict class -> p) against
    proba, a dict class -> p of scikit-learn's."""
    p = answer.get("probabilities")
    if not isinstance(p, dict) or p.keys() != proba.keys():
        return math.inf
    return max(abs(p[k] - proba[k]) for k in proba)


def same_answer(a, b, rel=1e-9):
    """Labels equal, numbers within rel."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_answer(a[k], b[k], rel)
                                            for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_answer(x, y, rel)
                                        for x, y in zip(a, b))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) \
            and not isinstance(a, bool):
        return abs(a - b) <= rel * max(abs(a), abs(b), 1e-300) or a == b
    return a == b


# ---------------------------------------------------------------- parts

def prepare_mixed():
    """The mixed-row model, its bodies and scikit-learn's answers, written
    under WORK/mixed (never into models/); None when it cannot be built."""
    from make_mixed_model import write as write_mixed
    d = os.path.join(WORK, "mixed")
    record("mixed: the model, bodies and scikit-learn's answers",
           [PY, os.path.join(HERE, "make_mixed_model.py"), d])
    log("mixed: fitting the pipeline, writing its model and bodies")
    try:
        m = write_mixed(d)
    except Exception as e:  # noqa: BLE001
        fail("mixed model: %s" % e)
        return None
    m["dir"] = d
    return m


def prepare_svm():
    """The SVC and SVR of bench/make_svm_model.py, their rows, bodies and
    scikit-learn's answers, written under WORK/svm (never into models/);
    None when they cannot be built. A smoke run keeps 300 rows (bench_core
    cycles them to 10,000)."""
    from make_svm_model import write as write_svm
    d = os.path.join(WORK, "svm")
    n = 300 if ARGS.smoke else 10000
    record("svm: the models, rows, bodies and scikit-learn's answers",
           [PY, os.path.join(HERE, "make_svm_model.py"), d, "--rows", str(n)])
    log("svm: fitting the SVC (digits) and the SVR, writing their models")
    try:
        return write_svm(d, n)
    except Exception as e:  # noqa: BLE001
        fail("svm models: %s" % e)
        return None


def prepare_nn():
    """The networks of bench/make_nn_model.py (a scikit-learn MLP and a
    PyTorch network through ONNX), their rows, bodies and the libraries'
    answers, under WORK/nn; None when they cannot be built."""
    from make_nn_model import write as write_nn
    d = os.path.join(WORK, "nn")
    cli = os.path.abspath(ARGS.cli)
    n = 300 if ARGS.smoke else 10000
    record("nn: the networks, rows, bodies and the libraries' answers",
           [PY, os.path.join(HERE, "make_nn_model.py"), d, cli, "--rows",
            str(n)])
    log("nn: training the MLP and the PyTorch network, converting")
    try:
        return write_nn(d, cli, n)
    except Exception as e:  # noqa: BLE001
        fail("nn models: %s" % e)
        return None


def prepare():
    """Bodies, rows files, and the peer's fitted models (pickled once)."""
    import common
    bodies = os.path.join(WORK, "bodies")
    os.makedirs(bodies, exist_ok=True)
    files = {
        "bc_named_explain": json.dumps(dict(json.loads(common.named_body(
            "breast_cancer")), explain=True)),
        "iris_named_explain": json.dumps(dict(json.loads(common.named_body(
            "iris_forest")), explain=True)),
        "bc_named": common.named_body("breast_cancer"),
        "diabetes_features": common.features_body("diabetes"),
        "bc_batch100": common.instances_body("breast_cancer", 100),
    }
    for k, v in files.items():
        with open(os.path.join(bodies, k + ".json"), "w") as f:
            f.write(v)
    v2 = prepare_v2(bodies)
    forest = os.path.exists(os.path.join(MODELS_DIR,
                                         "breast_cancer_forest.mlp"))
    if not forest:
        note("%s/breast_cancer_forest.mlp does not exist: the random "
             "forest cases are skipped" % os.path.relpath(MODELS_DIR, ROOT))
    peer = ["breast_cancer", "diabetes"] + (["breast_cancer_forest"]
                                           if forest else [])
    log("fitting the peer's models:", ", ".join(peer))
    models = {}
    for name in peer:
        model, _, names = common.make_examples.build(name)
        models[name] = (model, names)
    with open(os.path.join(WORK, "peer_models.pkl"), "wb") as f:
        pickle.dump(models, f)
    # scikit-learn's probabilities of the v2 binary rows, to check the
    # answer before timing
    for dt, X in v2["rows"].items():
        v2["proba"][dt] = models["breast_cancer"][0].predict_proba(X)
    want = lambda *ids: selected(*ids)  # noqa: E731
    return (forest, prepare_mixed() if want("mixed") or "core" in PARTS
            else None,
            prepare_svm() if want("svc") or "core" in PARTS else None,
            prepare_nn() if want("mlp_digits", "torch_digits")
            or "core" in PARTS else None, v2)


V2_ROWS = 10000


def selected(*ids):
    """Whether any of these HTTP cases is to run (--cases)."""
    return "http" in PARTS and (ARGS.cases is None
                                or any(i in ARGS.cases for i in ids))


def prepare_v2(bodies):
    """Open Inference Protocol v2 bodies in the binary tensor extension:
    a JSON header (its length in Inference-Header-Content-Length), then
    V2_ROWS rows of breast_cancer's 30 features as little-endian FP32 or
    FP64; predict_proba asked in binary."""
    import common
    X = common.rows("breast_cancer", V2_ROWS)
    out = {"files": {}, "rows": {}, "proba": {}}
    for dt, np_type in (("FP32", "<f4"), ("FP64", "<f8")):
        data = X.astype(np_type).tobytes()
        # the rows as the model sees them (FP32: the float32 values)
        out["rows"][dt] = X.astype(np_type).astype(float)
        head = json.dumps({
            "inputs": [{"name": "x", "shape": list(X.shape), "datatype": dt,
                        "parameters": {"binary_data_size": len(data)}}],
            "outputs": [{"name": "predict_proba",
                         "parameters": {"binary_data": True}}]},
            separators=(",", ":")).encode()
        path = os.path.join(bodies, "bc_v2_%s_%d.bin" % (dt.lower(),
                                                         V2_ROWS))
        with open(path, "wb") as f:
            f.write(head + data)
        out["files"][dt] = (path, len(head))
    return out


def http_cases(forest, mixed, svm, nn, v2):
    b = lambda k: os.path.join(WORK, "bodies", k + ".json")  # noqa: E731
    cases = [
        dict(id="return200", title="nginx `return 200` (same POST)",
             path="/return200", body=b("bc_named"), kind="ok", rows=1,
             servers=["nginx"]),
        dict(id="logistic", title="logistic, 1 row of 30 named features",
             path="/v1/models/breast_cancer", body=b("bc_named"),
             kind="classifier", rows=1, expect="malignant"),
        dict(id="linear", title="linear regression, {\"features\"} of 10",
             path="/v1/models/diabetes", body=b("diabetes_features"),
             kind="regression", rows=1),
        dict(id="batch", title="logistic, batch of 100 rows (arrays)",
             path="/v1/models/breast_cancer", body=b("bc_batch100"),
             kind="batch", rows=100),
    ]
    for dt in ("FP32", "FP64"):
        path, head = v2["files"][dt]
        cases.append(dict(
            id="v2_" + dt.lower(), title="logistic, v2 binary tensor of "
            "%d rows (%s [%d, 30]), predict_proba in binary"
            % (V2_ROWS, dt, V2_ROWS),
            path="/v2/models/breast_cancer/infer", body=path, kind="v2bin",
            rows=V2_ROWS, proba=v2["proba"][dt],
            content_type="application/octet-stream",
            headers=("Inference-Header-Content-Length: %d" % head,),
            servers=["nginx"]))
    if forest:
        cases.append(dict(id="forest",
                          title="random forest (100 trees), 1 named row",
                          path="/v1/models/breast_cancer_forest",
                          body=b("bc_named"), kind="classifier", rows=1,
                          expect="malignant"))
    if mixed:
        e = mixed["expect"]
        cases.append(dict(
            id="mixed", title="logistic pipeline, 1 named row of 6 numbers "
            "+ 4 string categories (with nulls)",
            path="/v1/models/mixed", body=os.path.join(mixed["dir"],
                                                       "row.json"),
            kind="classifier", rows=1, classes=e["classes"],
            expect=e["known"]["labels"][e["row"]],
            proba=dict(zip(e["classes"], e["known"]["proba"][e["row"]])),
            servers=["nginx"]))
    if svm:
        e = svm["models"]["svc_digits"]
        cases.append(dict(
            id="svc", title="RBF SVC with probabilities (digits, %d support "
            "vectors), 1 row of 64 named features" % e["n_sv"],
            path="/v1/models/svc_digits",
            body=os.path.join(svm["dir"], "svc_digits_row.json"),
            kind="classifier", rows=1, classes=e["classes"],
            expect=e["labels"][0],
            proba=dict(zip([str(c) for c in e["classes"]], e["proba"][0])),
            servers=["nginx"]))
        # 64 named features make a request over client_header_buffer_size
        # (1k): nginx reads its body's end with a second recv, for its own
        # `return 200` as for a module; the baseline on the same body
        cases.append(dict(
            id="return200_wide", title="nginx `return 200` (the SVC's POST, "
            "64 named features)", path="/return200",
            body=os.path.join(svm["dir"], "svc_digits_row.json"), kind="ok",
            rows=1, servers=["nginx"]))
    if nn:
        for name, title in (("mlp_digits", "scikit-learn MLP (64-128-64-10, "
                             "float64), 1 row of 64 named features"),
                            ("torch_digits", "PyTorch network through ONNX "
                             "(64-128-64-10, float32), 1 row of 64 named "
                             "features")):
            e = nn["models"][name]
            cases.append(dict(
                id=name, title=title, path="/v1/models/" + name,
                body=os.path.join(nn["dir"], name + "_row.json"),
                kind="classifier", rows=1, classes=e["classes"],
                expect=max(range(10), key=lambda k: e["proba"][0][k]),
                sum_tol=1e-6 if name.startswith("torch") else 1e-9,
                servers=["nginx"]))
    cases.append(dict(id="iris_forest_explain",
                      title="random forest (50 trees, iris: the example "
                      "forest), 1 named row, \"explain\": true",
                      path="/v1/models/iris_forest_explain",
                      body=b("iris_named_explain"), kind="classifier",
                      rows=1, classes=(0, 1, 2),
                      explain=True, servers=["nginx"]))
    if forest:
        cases.append(dict(id="forest_explain",
                          title="random forest (100 trees), 1 named row, "
                          "\"explain\": true",
                          path="/v1/models/breast_cancer_forest_explain",
                          body=b("bc_named_explain"), kind="classifier",
                          rows=1, expect="malignant", explain=True,
                          servers=["nginx"]))
    # an nginx variable (mlpredict_score): the same request to a location
    # that reads it before returning 200 and to one that does not
    edge = dict(path="?len=640&sa=1200&pages=6&mm=40&t=30&ref=1",
                headers=EDGE_HEADERS, body=b("bc_named"), kind="ok", rows=1,
                servers=["nginx"])
    cases.append(dict(edge, id="edge_plain",
                      path="/edge/plain" + edge["path"],
                      title="`return 200`, 10 arguments and headers, "
                      "variable not read"))
    cases.append(dict(edge, id="edge_scored",
                      path="/edge/scored" + edge["path"],
                      title="the same, $bot_score read first (logistic "
                      "pipeline, 10 inputs)"))
    # the baseline once more after the module's cases: the drift between
    # the two shows how steady the machine was
    cases.append(dict(id="return200_end",
                      title="nginx `return 200` again, after the cases above",
                      path="/return200", body=b("bc_named"), kind="ok",
                      rows=1, servers=["nginx"]))
    for c in cases:
        c.setdefault("servers", ["nginx", "gunicorn", "flask"])
    if ARGS.cases is not None:
        cases = [c for c in cases if c["id"] in ARGS.cases]
    if ARGS.servers is not None:
        for c in cases:
            c["servers"] = [s for s in c["servers"] if s in ARGS.servers]
    return cases


def run_server_cases(server, port, cases, results, answers, pid):
    for c in cases:
        if server not in c["servers"]:
            continue
        key = (c["id"], server)
        with open(c["body"], "rb") as f:
            body = f.read()
        try:
            got = {}
            status, raw = post(port, c["path"], body,
                               headers=c.get("headers", ()) + (
                                   ("Content-Type: " + c["content_type"],)
                                   if "content_type" in c else ()),
                               answer_headers=got)
            a = check_answer(c, status, raw, got)
        except Exception as e:  # noqa: BLE001
            fail("%s on %s: answer refused before timing: %s"
                 % (c["id"], server, e))
            results[key] = {"error": str(e)}
            continue
        ref = answers.get(c["id"])
        if ref is None:
            answers[c["id"]] = a
        elif not same_answer(ref, a):
            note("%s: %s's answer differs from nginx's (beyond 1e-9 "
                 "relative): %s vs %s" % (c["id"], server,
                                          json.dumps(a)[:200],
                                          json.dumps(ref)[:200]))
        log("%-10s %-9s answer ok, timing %d s (+%d s warm-up)"
            % (c["id"], server, ARGS.seconds, ARGS.warmup))
        try:
            if ARGS.warmup > 0:
                wrk(port, c["path"], c["body"], ARGS.warmup, record_it=False,
                    headers=c.get("headers", ()),
                    content_type=c.get("content_type"))
            cpu0 = proc_cpu(pid)
            out = wrk(port, c["path"], c["body"], ARGS.seconds,
                      headers=c.get("headers", ()),
                      content_type=c.get("content_type"))
            cpu1 = proc_cpu(pid)
            r = parse_wrk(out)
            r["raw"] = out
            if r["requests"]:
                r["cpu_us"] = (cpu1 - cpu0) / r["requests"] * 1e6
            results[key] = r
            log("%-10s %-9s %10.0f req/s  p50 %s  p99 %s  errors %d"
                % (c["id"], server, r["rps"], fmt_us(r["p50"]),
                   fmt_us(r["p99"]), r["errors"]))
            if ARGS.perf and server == "nginx":
                try:
                    r["perf"] = profile_case(c, port, pid)
                except Exception as e:  # noqa: BLE001
                    # a diagnosis, not a measurement: it never fails a case
                    note("%s: --perf: %s" % (c["id"], e))
            if r["errors"]:
                note("%s on %s: %d errors (non-2xx %d, socket %d)"
                     % (c["id"], server, r["errors"], r["non2xx"],
                        r["socket_errors"]))
        except Exception as e:  # noqa: BLE001
            fail("%s on %s: %s" % (c["id"], server, e))
            results[key] = {"error": str(e)}


PERF_NAMES = {"[kernel.kallsyms]": "kernel",
              "ngx_http_mlpredict_module.so": "module"}
PERF_RE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s*$")
PERF_SYM_RE = re.compile(r"^\s*([\d.]+)%\s+(\S+)\s+\[[.k]\]\s+(\S+)")


def profile_case(c, port, pid):
    """perf on the workers for --perf seconds of the same load, after the
    timed run (which perf would slow): the workers' CPU a request from
    /proc over this run, split by the share of perf's samples in each
    object (the kernel, nginx, the module, libc ...) and, for the top
    symbols, each function's."""
    if not shutil.which("perf"):
        note("--perf: no perf on this machine")
        return None
    workers = children(pid)
    data = os.path.join(WORK, "perf", c["id"] + ".data")
    os.makedirs(os.path.dirname(data), exist_ok=True)
    argv = ["perf", "record", "-F", "2999", "-o", data, "-p",
            ",".join(map(str, workers))]
    record("perf (each case with --perf)", argv)
    rec = subprocess.Popen(argv, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(0.5)
        cpu0 = proc_cpu(pid)
        out = wrk(port, c["path"], c["body"], ARGS.perf, record_it=False,
                  headers=c.get("headers", ()),
                  content_type=c.get("content_type"))
        cpu1 = proc_cpu(pid)
        rec.send_signal(signal.SIGINT)
        err = rec.communicate(timeout=60)[1]
    finally:
        if rec.poll() is None:      # wrk failed, or perf did not stop
            rec.kill()
            rec.wait()
    n = parse_wrk(out)["requests"]
    # perf exits non-zero on the SIGINT that stops it: its own line says
    if "Captured and wrote" not in err or not n:
        note("%s: perf record failed: %s" % (c["id"], err.strip()[-200:]))
        return None
    us = (cpu1 - cpu0) / n * 1e6

    def shares(sort):
        p = subprocess.run(["perf", "report", "-i", data, "--stdio",
                            "--no-children", "-g", "none", "--sort", sort],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           text=True, timeout=300)
        return [l for l in p.stdout.splitlines() if not l.startswith("#")]

    dsos = []
    for l in shares("dso"):
        m = PERF_RE.match(l)
        if m:
            dsos.append((os.path.basename(m.group(2)), float(m.group(1))))
    syms = []
    for l in shares("dso,sym"):
        m = PERF_SYM_RE.match(l)
        if m and len(syms) < ARGS.perf_symbols:
            syms.append((m.group(3), os.path.basename(m.group(2)),
                         float(m.group(1))))
    return {"cpu_us": us, "dsos": dsos, "syms": syms}


def perf_table(cases, results):
    """The --perf split, in us of worker CPU a request."""
    rows = []
    for c in cases:
        pr = results.get((c["id"], "nginx"), {}).get("perf")
        if not pr:
            continue
        us = pr["cpu_us"]
        top = ", ".join("%s %.1f" % (PERF_NAMES.get(d, d), us * pct / 100)
                        for d, pct in pr["dsos"] if pct >= 0.5)
        sym = ", ".join("%s (%s) %.1f" % (f, PERF_NAMES.get(d, d),
                                          us * pct / 100)
                        for f, d, pct in pr["syms"])
        rows.append([c["title"], "%.1f us" % us, top, sym])
    if not rows:
        return []
    return ["### Where the worker's CPU goes (perf)", "",
            "`--perf %d`: after each case's timed run, %d s more of the same "
            "load with `perf record -F 2999 -p WORKERS` (so perf does not "
            "slow the timed figures); the workers' CPU a request over that "
            "run, split by the share of samples in each object and in the "
            "top %d functions; us a request (\"kernel\": sockets, the VM's "
            "interrupts; \"module\": ngx_http_mlpredict_module.so)."
            % (ARGS.perf, ARGS.perf, ARGS.perf_symbols), "",
            table(["case", "worker CPU a request", "by object (us)",
                   "top functions (us)"], rows), ""]


EDGE_HEADERS = ("X-Request-Rate: 3", "X-UA-Family: browser", "X-Method: GET",
                "X-HTTP-Version: HTTP/2.0")

# server level; a failed score would answer 500 and count as an error
EDGE_SERVER = """        mlpredict_score %s/bot.mlp $bot_score {
            input  request_length  $arg_len;
            input  session_age     $arg_sa;
            input  pages           $arg_pages;
            input  rate            $http_x_request_rate;
            input  mouse_moves     $arg_mm;
            input  time_on_page    $arg_t;
            input  has_referer     $arg_ref;
            input  ua_family       $http_x_ua_family;
            input  method          $http_x_method;
            input  http_version    $http_x_http_version;
            class  bot;
        }
        location = /edge/plain {
            default_type application/json;
            return 200 '{"ok":true}\\n';
        }
        location = /edge/scored {
            if ($bot_score = "") {
                return 500;
            }
            default_type application/json;
            return 200 '{"ok":true}\\n';
        }
"""


def bench_http(forest, mixed, svm, nn, v2):
    cases = http_cases(forest, mixed, svm, nn, v2)
    results, answers = {}, {}
    d = os.path.join(WORK, "nginx-http")
    os.makedirs(d, exist_ok=True)
    models = MODELS_DIR
    locs = ["        location = /return200 {\n"
            "            default_type application/json;\n"
            "            return 200 '{\"ok\":true}\\n';\n"
            "        }\n"]
    for name in ["breast_cancer", "diabetes"] + (
            ["breast_cancer_forest"] if forest else []):
        locs.append("        location = /v1/models/%s {\n"
                    "            mlpredict %s/%s.mlp;\n"
                    "        }\n" % (name, models, name))
    locs.append(EDGE_SERVER % models)
    # the v2 route: a batch of V2_ROWS rows, its body (up to 2.4 MB) in
    # memory as the JSON batches'
    locs.append("        mlpredict_model breast_cancer %s/breast_cancer.mlp;\n"
                "        location /v2 {\n"
                "            mlpredict_api;\n"
                "            mlpredict_max_batch %d;\n"
                "            client_body_buffer_size 4m;\n"
                "        }\n" % (models, V2_ROWS))
    if mixed:
        locs.append("        location = /v1/models/mixed {\n"
                    "            mlpredict %s;\n"
                    "        }\n" % mixed["path"])
    if svm:
        locs.append("        location = /v1/models/svc_digits {\n"
                    "            mlpredict %s;\n"
                    "        }\n" % svm["models"]["svc_digits"]["path"])
    if nn:
        for name in ("mlp_digits", "torch_digits"):
            locs.append("        location = /v1/models/%s {\n"
                        "            mlpredict %s;\n"
                        "        }\n" % (name, nn["models"][name]["path"]))
    for name in ["iris_forest"] + (["breast_cancer_forest"] if forest
                                   else []):
        locs.append("        location = /v1/models/%s_explain {\n"
                    "            mlpredict %s/%s.mlp;\n"
                    "            mlpredict_explain on;\n"
                    "        }\n" % (name, models, name))
    conf = os.path.join(d, "nginx.conf")
    errlog = os.path.join(d, "error.log")
    with open(conf, "w") as f:
        f.write(nginx_conf(PORT_NGINX, 1, locs, errlog))

    peer_env = {"BENCH_PEER_MODELS": os.path.join(WORK, "peer_models.pkl"),
                "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
                "PYTHONDONTWRITEBYTECODE": "1"}
    servers = [
        ("nginx", PORT_NGINX,
         pinned(SERVER_CPU, nginx_argv(d, conf, errlog)), None, None),
        ("gunicorn", PORT_GUNICORN,
         pinned(SERVER_CPU, [PY, "-m", "gunicorn", "--workers", "1",
                             "--worker-class", "sync", "--bind",
                             "%s:%d" % (HOST, PORT_GUNICORN), "--chdir",
                             HERE, "flask_app:app"]), peer_env, HERE),
        ("flask", PORT_FLASK,
         pinned(SERVER_CPU, [PY, os.path.join(HERE, "flask_app.py"),
                             str(PORT_FLASK)]), peer_env, HERE),
    ]
    for name, port, argv, env, cwd in servers:
        if not any(name in c["servers"] for c in cases):
            continue
        record("server: " + name, argv, env)
        try:
            check_port_free(port)
            p = start(name, argv, env, cwd)
            wait_port(p, port)
        except Exception as e:  # noqa: BLE001
            fail("%s did not start: %s" % (name, e))
            for c in cases:
                if name in c["servers"]:
                    results[(c["id"], name)] = {"error": "server did not start"}
            stop_all()
            continue
        try:
            run_server_cases(name, port, cases, results, answers, p.pid)
        finally:
            stop(p)
        if name == "nginx":
            errors = [l for l in tail(errlog, 50).splitlines()
                      if "[error]" in l or "[crit]" in l or "[alert]" in l
                      or "[emerg]" in l]
            if errors:
                note("nginx error log: " + " | ".join(errors[-3:]))
    return cases, results


def run_json_lines(what, argv, timeout, env=None):
    record(what, argv, env)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=timeout, cwd=ROOT,
                       env=dict(os.environ, **(env or {})))
    if p.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (argv[0], p.returncode,
                                                 p.stderr[-2000:]))
    return [json.loads(l) for l in p.stdout.splitlines() if l.startswith("{")]


def core_models():
    """The example models that exist, with the data set they were fitted on."""
    import common
    names = []
    for name in common.make_examples.EXAMPLES:
        if not os.path.exists(os.path.join(MODELS_DIR, name + ".mlp")):
            continue
        if ARGS.smoke and name not in ("breast_cancer", "diabetes",
                                       "breast_cancer_forest"):
            continue
        names.append(name)
    return names


def check_nn(core, nn):
    """bench_core's answers to every row of both networks, batch for batch
    (-a), against the libraries' probabilities: the MLP within 1e-12 of
    scikit-learn's predict_proba (relative), the PyTorch network within
    1e-5 relative or 1e-6 absolute of its forward; labels equal where the
    library's top probability leads by more than that. Records the worst
    difference; True when every answer agrees."""
    ok = True
    for name, e in sorted(nn["models"].items()):
        ans = os.path.join(nn["dir"], name + ".answers")
        argv = pinned(SERVER_CPU, [core, "-a", ans, "%s=%s" % (
            e["path"], os.path.join(nn["dir"], name + ".f64"))])
        record("nn: bench_core's answers, compared before timing", argv)
        subprocess.run(argv, check=True, timeout=600, cwd=ROOT)
        worst, n = 0.0, 0
        with open(ans) as f:
            for line in f:
                v = line.split()
                r, label = int(v[1]), int(v[2])
                got = [float(x) for x in v[3:]]
                ref = e["proba"][r % len(e["proba"])]
                for g, w in zip(got, ref):
                    d = abs(g - w)
                    if e["rel"] < 1e-9:
                        d /= max(abs(w), 1e-300)
                        bad = d > e["rel"]
                    else:
                        bad = d > max(e["rel"] * abs(w), 1e-6)
                        d /= max(abs(w), 1e-2)
                    worst = max(worst, d)
                    if bad:
                        ok = False
                top = sorted(ref, reverse=True)
                if label != ref.index(top[0]) and top[0] - top[1] > 1e-5:
                    ok = False
                n += 1
        e["max_diff"], e["checked"] = worst, n
        if not ok:
            fail("nn: %s answers differ from the library's (worst %.3g)"
                 % (name, worst))
    return ok


def bench_core(mixed, svm, nn):
    import common
    rows_dir = os.path.join(WORK, "rows")
    os.makedirs(rows_dir, exist_ok=True)
    names = core_models()
    args = []
    for name in names:
        rows = os.path.join(rows_dir, common.dataset_of(name)
                            + ("_nan" if name in common.make_examples.WITH_NAN
                               else "") + ".f64")
        if not os.path.exists(rows):
            common.write_rows(name, rows)
        args.append("%s/%s.mlp=%s" % (MODELS_DIR, name, rows))
    t = ["-t", str(ARGS.core_time), "-r", str(ARGS.core_runs)]
    core = os.path.abspath(ARGS.core)
    log("core: mlp_predict on", len(names), "models")
    res = run_json_lines("core: mlp_predict",
                         pinned(SERVER_CPU, [core, "-j", "-w", "predict"]
                                + t + args), 1800)
    parse_args = [a for a in args
                  if os.path.basename(a.split("=")[0])
                  in ("breast_cancer.mlp", "diabetes.mlp")]
    log("core: parse per request shape")
    res += run_json_lines("core: parse", pinned(
        SERVER_CPU, [core, "-j", "-w", "parse"] + t + parse_args), 1800)

    mixed_ok = False
    if mixed:
        try:
            mixed_ok = check_mixed(core, mixed)
        except Exception as e:  # noqa: BLE001
            fail("mixed: answers refused before timing: %s" % e)
    if mixed_ok:
        log("core: mixed rows, parse + preprocess + predict + write")
        res += run_json_lines("core: mixed rows (bodies)", pinned(
            SERVER_CPU, [core, "-j"] + t + mixed_args(mixed)), 1800)

    svm_ok = False
    if svm:
        try:
            svm_ok = check_svm(core, svm)
        except Exception as e:  # noqa: BLE001
            fail("svm: answers refused before timing: %s" % e)
    if svm_ok:
        log("core: svm, mlp_predict and parse + predict + write")
        res += run_json_lines("core: svm, mlp_predict", pinned(
            SERVER_CPU, [core, "-j", "-w", "predict"] + t
            + svm_rows_args(svm)), 1800)
        res += run_json_lines("core: svm, request bodies", pinned(
            SERVER_CPU, [core, "-j"] + t + svm_bodies_args(svm)), 1800)

    nn_ok = False
    if nn:
        try:
            nn_ok = check_nn(core, nn)
        except Exception as e:  # noqa: BLE001
            fail("nn: answers refused before timing: %s" % e)
    if nn_ok:
        log("core: networks, mlp_predict")
        res += run_json_lines("core: networks, mlp_predict", pinned(
            SERVER_CPU, [core, "-j", "-w", "predict"] + t
            + ["%s=%s" % (e["path"], os.path.join(nn["dir"], n + ".f64"))
               for n, e in sorted(nn["models"].items())]), 1800)

    log("python: scikit-learn on", len(names), "models, XGBoost%s%s"
        % (" and the mixed pipeline" if mixed_ok else "",
           ", the SVC and the SVR" if svm_ok else ""))
    xgb_dir = os.path.join(WORK, "xgb")
    py = run_json_lines("python: scikit-learn and XGBoost", pinned(
        SERVER_CPU, [PY, os.path.join(HERE, "bench_python.py"), "--json",
                     "-t", str(ARGS.core_time), "-r", str(ARGS.core_runs),
                     "--xgb-out", xgb_dir]
        + (["--mixed", mixed["dir"]] if mixed_ok else [])
        + (["--svm", svm["dir"]] if svm_ok else [])
        + (["--nn", nn["dir"]] if nn_ok else []) + names), 1800)

    xgb_json = os.path.join(xgb_dir, "xgb_breast_cancer.json")
    xgb_mlp = os.path.join(xgb_dir, "xgb_breast_cancer.mlp")
    argv = [os.path.abspath(ARGS.cli), "convert", xgb_json, xgb_mlp]
    record("convert the XGBoost model", argv)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=60)
    xgb_info = None
    if p.returncode != 0:
        fail("mlpredict convert: " + p.stderr.strip())
    else:
        xgb_info = json.loads(p.stdout)
        check_xgb(xgb_mlp, xgb_dir)
        res += run_json_lines("core: mlp_predict", pinned(
            SERVER_CPU, [core, "-j", "-w", "predict"] + t
            + ["%s=%s" % (xgb_mlp, os.path.join(rows_dir,
                                               "breast_cancer.f64"))]), 600)
        # explanations: the same XGBoost model beside its pred_contribs,
        # and the scikit-learn forests the HTTP cases explain
        ex = ["%s=%s" % (xgb_mlp, os.path.join(rows_dir,
                                               "breast_cancer.f64"))]
        for name in ("iris_forest", "breast_cancer_forest"):
            rows = os.path.join(rows_dir, common.dataset_of(name) + ".f64")
            if not os.path.exists(rows):
                common.write_rows(name, rows)
            ex.append("%s/%s.mlp=%s" % (MODELS_DIR, name, rows))
        log("core: mlp_explain")
        res += run_json_lines("core: mlp_explain", pinned(
            SERVER_CPU, [core, "-j", "-w", "explain"] + t + ex), 1800)
    return (names, res, py, xgb_info, mixed if mixed_ok else None,
            svm if svm_ok else None, nn if nn_ok else None)


def svm_rows_args(svm):
    return ["%s=%s" % (e["path"], os.path.join(svm["dir"], name + ".f64"))
            for name, e in sorted(svm["models"].items())]


def svm_bodies_args(svm):
    return ["%s@%s" % (e["path"], os.path.join(svm["dir"], f["file"]))
            for _, e in sorted(svm["models"].items()) for f in e["files"]]


def svm_diff(e, r, label, values):
    """How far one answer (class index or None, values) is from
    scikit-learn's answer to row r: the largest |p - p_ref| of a
    classifier (inf for another label), |y - y_ref| / max(1, |y_ref|) of a
    regressor."""
    if e["classifier"]:
        if label != e["labels"][r]:
            return math.inf
        return max(abs(a - b) for a, b in zip(values, e["proba"][r]))
    y = e["values"][r]
    return abs(values[0] - y) / max(1.0, abs(y))


def check_svm(core, svm):
    """bench_core's answers before timing, against scikit-learn's predict
    (and predict_proba) of the same rows, within 1e-9: mlp_predict's to all
    10,000 rows in batches of 1, 100 and 10,000 (-a on the rows), and
    mlp_handle_request's to every body file (-a on the bodies). True when
    they all agree."""
    d = svm["dir"]
    models = svm["models"]
    n = svm["rows"]
    ok = True

    names = sorted(models)
    worst, count = {}, {}
    for name, arg in zip(names, svm_rows_args(svm)):
        answers = os.path.join(d, name + "_answers_rows.txt")
        argv = [core, "-a", answers, arg]
        record("core: svm, mlp_predict's answers checked before timing",
               argv)
        p = subprocess.run(argv, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=600)
        if p.returncode != 0:
            raise RuntimeError("bench_core -a exited %d: %s"
                               % (p.returncode, p.stderr.strip()[-2000:]))
        e = models[name]
        with open(answers) as f:
            for line in f:
                v = line.split()
                b, row, label = int(v[0]), int(v[1]), int(v[2])
                diff = svm_diff(e, row % n, e["classes"][label]
                                if label >= 0 else None,
                                [float(x) for x in v[3:]])
                key = (name, b)
                worst[key] = max(worst.get(key, 0.0), diff)
                count[key] = count.get(key, 0) + 1
    for name in names:
        e = models[name]
        e["max_diff"] = 0.0
        for b in (1, 100, 10000):
            key = (name, b)
            if count.get(key) != 10000:
                raise RuntimeError("%s, batch %d: %s answers for 10000 rows"
                                   % (name, b, count.get(key)))
            log("svm %-11s mlp_predict batch %5d: 10000 rows, max |%s| = "
                "%.3g" % (name, b, "p - scikit-learn's p" if e["classifier"]
                          else "y - scikit-learn's y", worst[key]))
            e["max_diff"] = max(e["max_diff"], worst[key])
            if worst[key] > 1e-9:
                fail("svm %s, mlp_predict batch %d: %s scikit-learn's by up "
                     "to %.3g: not timed" % (
                         name, b, "labels differ from" if
                         math.isinf(worst[key]) else "answers differ from",
                         worst[key]))
                ok = False

    answers = os.path.join(d, "answers_bodies.jsonl")
    argv = [core, "-a", answers] + svm_bodies_args(svm)
    record("core: svm, mlp_handle_request's answers checked before timing",
           argv)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("bench_core -a exited %d: %s"
                           % (p.returncode, p.stderr.strip()[-2000:]))
    with open(answers) as f:
        lines = f.read().splitlines()
    i = 0
    for name in names:
        e = models[name]
        for spec in e["files"]:
            got = []
            for _ in range(n // spec["batch"]):
                a = json.loads(lines[i])
                i += 1
                got += a["predictions"] if "predictions" in a else [a]
            if len(got) != n:
                raise RuntimeError("%s: %d answers for %d rows"
                                   % (spec["file"], len(got), n))
            w = 0.0
            for r, a in enumerate(got):
                if e["classifier"]:
                    probs = a.get("probabilities", {})
                    values = [probs.get(str(c), math.inf)
                              for c in e["classes"]]
                    label = a.get("prediction")
                else:   # {"prediction": y} for one row, y in a batch
                    values = [a.get("prediction", math.inf)
                              if isinstance(a, dict) else a]
                    label = None
                w = max(w, svm_diff(e, r, label, values))
            log("svm %-28s %d rows: max diff from scikit-learn = %.3g"
                % (spec["file"], n, w))
            spec["max_diff"] = w
            e["max_diff"] = max(e["max_diff"], w)
            if w > 1e-9:
                fail("svm %s: answers differ from scikit-learn's by up to "
                     "%.3g: not timed" % (spec["file"], w))
                ok = False
    if i != len(lines):
        raise RuntimeError("%d answers for %d bodies" % (len(lines), i))
    return ok


def mixed_args(mixed):
    return ["%s@%s" % (mixed["path"], os.path.join(mixed["dir"], f["file"]))
            for f in mixed["files"]]


def check_mixed(core, mixed):
    """bench_core's answers to every mixed body (mlp_handle_request, the
    path it then times) against scikit-learn's predict and predict_proba of
    the same rows, within 1e-9; True when they agree."""
    answers = os.path.join(mixed["dir"], "answers.jsonl")
    argv = [core, "-a", answers] + mixed_args(mixed)
    record("core: mixed rows, the answers checked before timing", argv)
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("bench_core -a exited %d: %s"
                           % (p.returncode, p.stderr.strip()[-2000:]))
    e = mixed["expect"]
    classes = e["classes"]
    with open(answers) as f:
        lines = f.read().splitlines()
    i = 0
    for spec in mixed["files"]:
        ref = e[spec["set"]]
        got = []
        for _ in range(e["n_rows"] // spec["batch"]):
            a = json.loads(lines[i])
            i += 1
            got += a["predictions"] if "predictions" in a else [a]
        if len(got) != e["n_rows"]:
            raise RuntimeError("%s: %d answers for %d rows"
                               % (spec["file"], len(got), e["n_rows"]))
        worst = 0.0
        for r, (a, label, proba) in enumerate(zip(got, ref["labels"],
                                                 ref["proba"])):
            if a.get("prediction") != label:
                raise RuntimeError("%s, row %d: predicted %r, scikit-learn "
                                   "%r" % (spec["file"], r,
                                           a.get("prediction"), label))
            worst = max(worst, max_proba_diff(a, dict(zip(classes, proba))))
        log("mixed %-24s %d rows: labels equal, max |p - scikit-learn's p| "
            "= %.3g" % (spec["file"], len(got), worst))
        spec["max_diff"] = worst
        if worst > 1e-9:
            fail("mixed %s: probabilities differ from scikit-learn's by up "
                 "to %.3g: not timed" % (spec["file"], worst))
            return False
    if i != len(lines):
        raise RuntimeError("%d answers for %d bodies" % (len(lines), i))
    return True


def check_xgb(mlp, xgb_dir):
    """Our answers on the converted model against XGBoost's predict_proba."""
    import common
    with open(os.path.join(xgb_dir, "xgb_breast_cancer.expect.json")) as f:
        expect = json.load(f)
    body = common.instances_body("breast_cancer", len(expect))
    p = subprocess.run([os.path.abspath(ARGS.cli), "predict", mlp],
                       input=body, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, timeout=60)
    if p.returncode != 0:
        fail("mlpredict predict on the converted XGBoost model: "
             + p.stderr.strip())
        return
    got = json.loads(p.stdout)["predictions"]
    worst = 0.0
    for e, g in zip(expect, got):
        probs = list(g["probabilities"].values())
        for x, y in zip(e, probs):
            worst = max(worst, abs(x - y))
    log("xgboost converted: max |p - xgboost's p| over 100 rows = %.3g"
        % worst)
    if worst > 1e-6:
        note("the converted XGBoost model's probabilities differ from "
             "XGBoost's by up to %.3g" % worst)


def smaps(pid, model_path):
    """(Rss, Pss) of the whole process and (Rss, Pss) of the model mapping,
    in kB."""
    tot = {}
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Rss", "Pss", "Pss_Anon", "Pss_File"):
                tot[k] = int(v.split()[0])
    mrss = mpss = 0
    inside = False
    # the module serves a sealed in-memory copy of the file, named after it
    copy = "/memfd:mlpredict:%s (deleted)" % os.path.basename(model_path)
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split(None, 5)
                inside = len(parts) == 6 and parts[5].strip() == copy
            elif inside and line.startswith("Rss:"):
                mrss += int(line.split()[1])
            elif inside and line.startswith("Pss:"):
                mpss += int(line.split()[1])
    return tot, mrss, mpss


def bench_memory():
    from make_big_model import write as write_big
    d = os.path.join(WORK, "nginx-big")
    os.makedirs(d, exist_ok=True)
    big = os.path.join(WORK, "big.mlp")
    argv = [PY, os.path.join(HERE, "make_big_model.py"), big, "--size-mb",
            str(ARGS.big_mb)]
    record("memory: the big model", argv)
    log("memory: writing a %g MB model" % ARGS.big_mb)
    size, n_trees = write_big(big, ARGS.big_mb)
    p = subprocess.run([os.path.abspath(ARGS.cli), "info", big],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("mlpredict info refuses the big model: "
                           + p.stderr.strip())
    info = json.loads(p.stdout)

    out = {"size": size, "n_trees": n_trees, "info": info}
    loc = ("        location = /big {\n"
           "            mlpredict %s;\n"
           "        }\n")
    conf = os.path.join(d, "nginx.conf")
    errlog = os.path.join(d, "error.log")
    with open(conf, "w") as f:
        f.write(nginx_conf(PORT_BIG, 4, [loc % big], errlog))
    small_conf = os.path.join(d, "small.conf")
    with open(small_conf, "w") as f:
        f.write(nginx_conf(PORT_BIG, 4, [loc % os.path.join(
            MODELS_DIR, "breast_cancer.mlp")], errlog))

    # nginx -t: load and validate (page cache warm: the file was just written)
    for key, c in (("t_big", conf), ("t_small", small_conf)):
        argv = nginx_argv(d, c, errlog) + ["-t", "-q"]
        record("memory: nginx -t (%s model)" % ("big" if key == "t_big"
                                                 else "30-feature logistic"),
               argv)
        times = []
        for _ in range(ARGS.t_runs):
            t0 = time.perf_counter()
            p = subprocess.run(argv, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True,
                               timeout=300)
            times.append(time.perf_counter() - t0)
            if p.returncode != 0:
                raise RuntimeError("nginx -t failed: " + p.stdout)
        out[key] = times

    argv = nginx_argv(d, conf, errlog)
    record("memory: nginx with 4 workers", argv)
    check_port_free(PORT_BIG)
    p = start("nginx-big", argv)
    try:
        wait_port(p, PORT_BIG, timeout=120)
        workers = []
        t0 = time.time()
        while time.time() - t0 < 30:
            workers = children(p.pid)
            if len(workers) >= 4:
                break
            time.sleep(0.05)
        body = json.dumps({"features": [0.1 * j for j in range(
            info["n_features"])]})
        n_ok = 0
        for _ in range(ARGS.big_requests):
            status, raw = post(PORT_BIG, "/big", body.encode(), timeout=60)
            if status == 200 and "probabilities" in json.loads(raw):
                n_ok += 1
        out["requests"] = ARGS.big_requests
        out["requests_ok"] = n_ok
        if n_ok != ARGS.big_requests:
            fail("big model: %d of %d requests answered 200"
                 % (n_ok, ARGS.big_requests))
        procs = []
        for role, pid in [("master", p.pid)] + [("worker", w)
                                                 for w in workers]:
            tot, mrss, mpss = smaps(pid, big)
            procs.append(dict(role=role, pid=pid, rss=tot.get("Rss", 0),
                              pss=tot.get("Pss", 0),
                              pss_anon=tot.get("Pss_Anon", 0),
                              model_rss=mrss, model_pss=mpss))
        out["procs"] = procs
    finally:
        stop(p)
    return out


# ---------------------------------------------------------------- report

def bench_train():
    """`mlpredict train` beside scikit-learn's fit (bench/bench_train.py,
    in its own process: it sets one BLAS thread): every algorithm at 10,000
    and 100,000 rows (kernel svm and svr too: about 25 minutes of the two
    sides' libsvm at 100,000; --quick-train leaves them and the other slow
    ones at 10,000)."""
    argv = [PY, os.path.join(HERE, "bench_train.py"), "--only", "train",
            "--cli", os.path.abspath(ARGS.cli)]
    if ARGS.smoke:
        argv += ["--sizes", "2000", "--trees", "10", "--quick"]
    elif ARGS.quick_train:
        argv += ["--quick"]
    else:
        argv += ["--svm-max", "100000"]
    argv = pinned(SERVER_CPU, argv)
    record("training beside scikit-learn", argv)
    log("training: %s" % cmdline(argv))
    t = time.time()
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=900 if ARGS.smoke or ARGS.quick_train
                       else 7200)
    if p.returncode != 0:
        raise RuntimeError(p.stderr.decode().strip().splitlines()[-1:])
    rows = [line for line in p.stdout.decode().splitlines()
            if line.startswith("|")]
    for line in rows:
        if "failed" in line:
            fail("training: %s" % line)
    return {"rows": rows, "seconds": time.time() - t}


def fmt_us(us):
    if us is None:
        return "-"
    if us >= 1e6:
        return "%.2f s" % (us / 1e6)
    if us >= 1e3:
        return "%.2f ms" % (us / 1e3)
    return "%.0f us" % us


def fmt_ns(ns):
    if ns is None:
        return "-"
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e4:
        return "%.1f us" % (ns / 1e3)
    if ns >= 100:
        return "%.0f ns" % ns
    return "%.1f ns" % ns


def fmt_ratio(x):
    if x is None:
        return "-"
    return "%.2fx" % x if x < 10 else "%.0fx" % x


def table(head, rows):
    out = ["| " + " | ".join(head) + " |",
           "|" + "|".join("---" if i == 0 else "---:"
                          for i in range(len(head))) + "|"]
    for r in rows:
        out.append("| " + " | ".join(str(c) for c in r) + " |")
    return "\n".join(out)


def http_table(cases, results):
    base = results.get(("return200", "nginx"), {}).get("rps")
    base_cpu = results.get(("return200", "nginx"), {}).get("cpu_us")
    end = results.get(("return200_end", "nginx"), {}).get("rps")
    if base and end and abs(end / base - 1) > 0.1:
        note("nginx `return 200` moved by %+.0f%% between the start and the "
             "end of the nginx cases: the machine was not steady, ratios are "
             "uncertain by about as much" % (100 * (end / base - 1)))
    plain = results.get(("edge_plain", "nginx"), {}).get("rps")
    scored = results.get(("edge_scored", "nginx"), {}).get("rps")
    if plain and scored:
        note("mlpredict_score: reading $bot_score, the location serves "
             "%.2fx the requests/s it serves without it (target: 0.9x)"
             % (scored / plain))
    rows = []
    for c in cases:
        g = results.get((c["id"], "gunicorn"), {}).get("rps")
        for server, label in (("nginx", "nginx + mlpredict"),
                              ("gunicorn", "gunicorn (1 sync worker) + Flask "
                                           "+ scikit-learn"),
                              ("flask", "Flask dev server + scikit-learn")):
            if server not in c["servers"]:
                continue
            r = results.get((c["id"], server), {})
            srv = "nginx" if c["id"].startswith("return200") else label
            if "error" in r:
                rows.append([c["title"], srv, "FAILED"] + [""] * 9)
                continue
            if "rps" not in r:
                continue
            rps = r["rps"]
            cpu = r.get("cpu_us")
            rows.append([
                c["title"], srv, "%.0f" % rps, fmt_us(r["p50"]),
                fmt_us(r["p99"]), r["errors"],
                fmt_ratio(rps / base) if base else "-",
                fmt_ratio(rps / g) if g else "-",
                "%.1f us" % cpu if cpu else "-",
                fmt_ratio(cpu / base_cpu) if cpu and base_cpu else "-",
                "%.0f" % (rps * c["rows"]) if c["rows"] > 1 else "",
                "%.2f M" % (c["rows"] / cpu) if c["rows"] > 1 and cpu
                else "",
            ])
    targets(cases, results, base_cpu)
    return table(["case", "server", "requests/s", "p50", "p99", "errors",
                  "vs return 200", "vs gunicorn", "server CPU a request",
                  "CPU vs return 200", "rows/s",
                  "rows per server CPU-s"], rows)


def targets(cases, results, base_cpu):
    """Issue 16's per-request targets, in server CPU (utime + stime)."""
    cpu = lambda i: results.get((i, "nginx"), {}).get("cpu_us")  # noqa
    ids = [c["id"] for c in cases]
    if "logistic" in ids and cpu("logistic") and base_cpu:
        x = cpu("logistic") / base_cpu
        note("target: one named row (30 features) at most 1.08x the server "
             "CPU of `return 200` on the same body: %.2fx (%s)"
             % (x, "met" if x <= 1.08 else "NOT met"))
    for i, label, want in (("batch", "JSON batches of 100 rows", 2),
                           ("v2_fp32", "v2 binary FP32 tensors", 10),
                           ("v2_fp64", "v2 binary FP64 tensors", 10)):
        c = next((c for c in cases if c["id"] == i), None)
        if c and cpu(i):
            x = c["rows"] / cpu(i)
            note("target: %s at least %d M rows per server CPU-second: "
                 "%.2f M (%s)" % (label, want, x,
                                  "met" if x >= want else "NOT met"))


def core_tables(names, res, py, xgb_info):
    pred = {(r["model"], r["batch"]): r for r in res
            if r["what"] == "predict"}
    skl = {}
    for r in py:
        skl[(r["model"], r["lib"], r["what"], r["batch"])] = r["ns_per_row"]

    rows = []
    for name in names:
        for b in (1, 100, 10000):
            ours = pred.get((name + ".mlp", b), {}).get("ns_per_row")
            both = skl.get((name, "sklearn", "predict+predict_proba", b))
            what = "predict+predict_proba"
            if both is None:
                both = skl.get((name, "sklearn", "predict", b))
                what = "predict"
            rows.append([name, b, fmt_ns(ours), fmt_ns(both), what,
                         fmt_ratio(both / ours) if ours and both else "-"])
    t1 = table(["model", "batch", "mlp_predict ns/row",
                "scikit-learn ns/row", "scikit-learn call", "speed-up"],
               rows)

    rows = []
    if xgb_info:
        for b in (1, 100, 10000):
            ours = pred.get(("xgb_breast_cancer.mlp", b), {}).get(
                "ns_per_row")
            cols = [skl.get(("xgb_breast_cancer", "xgboost", w, b))
                    for w in ("predict+predict_proba", "predict_proba",
                              "booster.inplace_predict",
                              "DMatrix+booster.predict")]
            fastest = min(c for c in cols if c is not None) if any(
                c is not None for c in cols) else None
            rows.append([b, fmt_ns(ours)] + [fmt_ns(c) for c in cols]
                        + [fmt_ratio(fastest / ours) if ours and fastest
                           else "-"])
    t2 = table(["batch", "mlp_predict", "XGBClassifier predict+predict_proba",
                "XGBClassifier predict_proba", "Booster.inplace_predict",
                "DMatrix + Booster.predict", "speed-up vs fastest"], rows)

    rows = []
    shape_names = {"named": "named object", "features": "{\"features\"}",
                   "instances_arrays": "instances of arrays",
                   "instances_objects": "instances of objects"}
    for r in res:
        if r["what"] != "parse":
            continue
        rows.append([r["model"].replace(".mlp", ""),
                     shape_names.get(r["shape"], r["shape"]), r["rows"],
                     r["bytes"], fmt_ns(r["parse_ns_per_row"]),
                     "%.0f" % r["parse_mb_s"],
                     fmt_ns(r["handle_ns_per_row"])])
    t3 = table(["model", "shape", "rows", "body bytes",
                "mlp_parse_request ns/row", "MB/s",
                "parse+predict+write ns/row"], rows)
    return t1, t2, t3


def mixed_table(res, py, mixed):
    """The mixed rows: the module's request path beside the pipeline's
    predict_proba, batch for batch, on the same rows."""
    ours = {r["file"]: r for r in res if r["what"] == "bodies"}
    skl = {(r["file"], r["what"]): r["ns_per_row"] for r in py
           if r["model"] == "mixed"}
    sets = {"known": "known or null",
            "unseen": "1 unseen value per 100 rows"}
    rows = []
    for spec in mixed["files"]:
        f = spec["file"]
        r = ours.get(f, {})
        h = r.get("handle_ns_per_row")
        pp = skl.get((f, "predict_proba"))
        both = skl.get((f, "predict+predict_proba"))
        rows.append([sets[spec["set"]], spec["batch"],
                     "%.0f" % (r["bytes"] / r["rows"]) if r else "-",
                     fmt_ns(r.get("parse_ns_per_row")), fmt_ns(h),
                     fmt_ns(pp), fmt_ns(both),
                     fmt_ratio(pp / h) if pp and h else "-"])
    return table(["categories", "batch", "body bytes/row",
                  "mlp_parse_request ns/row",
                  "mlp_handle_request ns/row (parse + preprocess + predict "
                  "+ write)", "scikit-learn predict_proba ns/row",
                  "scikit-learn predict + predict_proba ns/row",
                  "speed-up vs predict_proba"], rows)


SVM_TARGET_BATCH, SVM_TARGET_CORE, SVM_TARGET_HTTP = 10000, 5.0, 0.5


def svm_section(res, py, svm, http):
    """The SVC and the SVR: mlp_predict and the request path beside
    scikit-learn, batch for batch, the SVC's HTTP rate beside `return 200`,
    and the targets."""
    pred = {(r["model"], r["batch"]): r["ns_per_row"] for r in res
            if r["what"] == "predict"}
    bodies = {r["file"]: r for r in res if r["what"] == "bodies"}
    skl = {(r["model"], r["what"], r["batch"]): r["ns_per_row"] for r in py
           if r["lib"] == "sklearn"}
    rows, verdicts = [], []
    for name, e in sorted(svm["models"].items()):
        what = "predict+predict_proba" if e["classifier"] else "predict"
        files = {f["batch"]: f["file"] for f in e["files"]}
        for b in (1, 100, 10000):
            ours = pred.get((name + ".mlp", b))
            r = bodies.get(files.get(b), {})
            h = r.get("handle_ns_per_row")
            theirs = skl.get((name, what, b))
            rows.append([name, b, fmt_ns(ours),
                         fmt_ns(r.get("parse_ns_per_row")), fmt_ns(h),
                         fmt_ns(theirs), what,
                         fmt_ratio(theirs / ours) if ours and theirs
                         else "-",
                         fmt_ratio(theirs / h) if h and theirs else "-"])
            if b == SVM_TARGET_BATCH:
                if ours and theirs:
                    x = theirs / ours
                    verdicts.append(
                        "%s, batch %s: mlp_predict %.2fx scikit-learn's %s "
                        "(target %gx: %s)" % (name, "{:,}".format(b), x, what,
                                              SVM_TARGET_CORE,
                                              "met" if x >= SVM_TARGET_CORE
                                              else "NOT met"))
                else:
                    verdicts.append("%s, batch %s: not measured%s"
                                    % (name, "{:,}".format(b),
                                       " (smoke run: too few rows saved "
                                       "for scikit-learn)" if ARGS.smoke
                                       else ""))
    if http:
        _, results = http
        base = results.get(("return200", "nginx"), {}).get("rps")
        rps = results.get(("svc", "nginx"), {}).get("rps")
        if base and rps:
            x = rps / base
            verdicts.append(
                "svc_digits over HTTP, 1 row: %.0f requests/s, %.2fx nginx "
                "`return 200`'s %.0f (target %gx: %s)"
                % (rps, x, base, SVM_TARGET_HTTP,
                   "met" if x >= SVM_TARGET_HTTP else "NOT met"))
        wide = results.get(("return200_wide", "nginx"), {}).get("rps")
        if wide and rps:
            x = rps / wide
            verdicts.append(
                "svc_digits over HTTP, 1 row: %.2fx nginx `return 200` on "
                "the same body (%.0f requests/s; target %gx: %s)"
                % (x, wide, SVM_TARGET_HTTP,
                   "met" if x >= SVM_TARGET_HTTP else "NOT met"))
        cpu = results.get(("svc", "nginx"), {}).get("cpu_us")
        for bid, what in (("return200", "`return 200`"),
                          ("return200_wide", "`return 200` on the same "
                           "body")):
            base_cpu = results.get((bid, "nginx"), {}).get("cpu_us")
            if cpu and base_cpu:
                verdicts.append(
                    "svc_digits over HTTP, 1 row: %.1f us of nginx CPU a "
                    "request, %s %.1f us: %.2fx its rate by CPU"
                    % (cpu, what, base_cpu, base_cpu / cpu))
    for v in verdicts:
        note("svm target: " + v)
    c, r = svm["models"]["svc_digits"], svm["models"]["svr_synth"]
    return [
        "### Support vector machines (kind 4)", "",
        "bench/make_svm_model.py's models, exported with "
        "`models/mlpredict_export.py`'s `export`: **svc_digits** "
        "Pipeline(StandardScaler, SVC(probability=True, random_state=0)), "
        "RBF (gamma=\"scale\" = %.4g), on digits' first 1,500 rows: 64 "
        "features, 10 classes, %d support vectors (%d bytes); its rows are "
        "digits' 1,797 in order, cycled. **svr_synth** "
        "Pipeline(StandardScaler, SVR()), RBF (gamma %.4g), on 2,000 rows of "
        "make_regression (20 features, 10 informative, noise 10, target "
        "/ its std): %d support vectors (%d bytes); its rows are %d other "
        "rows of the generator. Before timing, mlp_predict's answers to "
        "10,000 rows (those rows, cycled) in batches of 1, 100 and 10,000 and "
        "mlp_handle_request's to every body were compared with "
        "scikit-learn's predict and predict_proba (SVC: labels equal, "
        "probabilities at most %.2g apart) and predict (SVR: at most %.2g "
        "apart, relative to max(1, |y|)); 1e-9 allowed. mlp_predict: label "
        "and probabilities together, input copy subtracted; the request "
        "path (`mlp_handle_request`: parse, predict, write the answer): a "
        "named row at batch 1, `{\"instances\": [arrays]}` above, each "
        "call the next body; scikit-learn on the same rows (one thread)."
        % (c["gamma"], c["n_sv"], c["size"], r["gamma"], r["n_sv"],
           r["size"], svm["rows"], c["max_diff"], r["max_diff"]), "",
        table(["model", "batch", "mlp_predict ns/row",
               "mlp_parse_request ns/row",
               "request path ns/row (parse + predict + write)",
               "scikit-learn ns/row", "scikit-learn call",
               "speed-up (mlp_predict)", "speed-up (request path)"], rows),
        "",
        "Targets: mlp_predict at least %gx scikit-learn at batch %s; the "
        "SVC's single-row request at least %gx nginx `return 200`."
        % (SVM_TARGET_CORE, "{:,}".format(SVM_TARGET_BATCH),
           SVM_TARGET_HTTP), ""] + [
        "- " + v for v in verdicts] + [""]


NN_TARGET_B1, NN_TARGET_B10K = 20.0, 1.0
EXPLAIN_TARGET_CORE, EXPLAIN_TARGET_HTTP = 1.0, 0.3


def http_ratio(http, case):
    """(requests/s, its ratio to `return 200`, CPU a request, its ratio)."""
    if not http:
        return None
    _, results = http
    base = results.get(("return200", "nginx"), {})
    r = results.get((case, "nginx"), {})
    if not r.get("rps") or not base.get("rps"):
        return None
    cpu, bcpu = r.get("cpu_us"), base.get("cpu_us")
    return (r["rps"], r["rps"] / base["rps"], cpu,
            (cpu / bcpu) if cpu and bcpu else None)


def nn_section(res, py, nn, http):
    """The two networks: mlp_predict beside scikit-learn's predict_proba
    and PyTorch's forward, batch for batch; single rows over HTTP."""
    pred = {(r["model"], r["batch"]): r for r in res
            if r["what"] == "predict"}
    lib = {(r["model"], r["lib"], r["what"], r["batch"]): r["ns_per_row"]
           for r in py}
    rows, verdicts = [], []
    for name, peer, what in (("mlp_digits", "sklearn", "predict_proba"),
                             ("torch_digits", "torch", "forward")):
        for b in (1, 100, 10000):
            ours = pred.get((name + ".mlp", b), {}).get("ns_per_row")
            theirs = lib.get((name, peer, what, b))
            x = theirs / ours if ours and theirs else None
            rows.append([name, b, fmt_ns(ours),
                         "scikit-learn " + what if peer == "sklearn"
                         else "PyTorch forward (no_grad)", fmt_ns(theirs),
                         fmt_ratio(x) if x else "-"])
            if peer == "torch" and b in (1, 10000):
                target = NN_TARGET_B1 if b == 1 else NN_TARGET_B10K
                verdicts.append(
                    "torch_digits, batch %s: PyTorch's forward takes %s, "
                    "mlp_predict %s: %s (target %gx: %s)"
                    % ("{:,}".format(b), fmt_ns(theirs), fmt_ns(ours),
                       "%.2fx" % x if x else "not measured", target,
                       ("met" if x >= target else "NOT met") if x else "-"))
    for case in ("mlp_digits", "torch_digits"):
        h = http_ratio(http, case)
        if h:
            verdicts.append(
                "%s over HTTP, 1 named row: %.0f requests/s, %.2fx nginx "
                "`return 200`; %.1f us of nginx CPU a request (%.2fx)"
                % (case, h[0], h[1], h[2] or 0, h[3] or 0))
    for v in verdicts:
        note("network target: " + v)
    m, t = nn["models"]["mlp_digits"], nn["models"]["torch_digits"]
    return [
        "### Neural networks (kind 5)", "",
        "bench/make_nn_model.py's networks on digits (64 standardised "
        "features, 10 classes; first 1,500 rows to fit; the benchmark rows "
        "digits' 1,797 in order, cycled), both 64 -> 128 -> 64 -> 10 with "
        "ReLU: **mlp_digits** scikit-learn MLPClassifier((128, 64)) in "
        "float64, exported; **torch_digits** a PyTorch nn.Sequential "
        "(Linear, ReLU, Linear, ReLU, Linear, Softmax) in float32, through "
        "torch.onnx.export and `mlpredict convert`. Before timing, "
        "mlp_predict answered all %d rows in batches of 1, 100 and 10,000: "
        "the MLP at most %.2g (relative) from scikit-learn's predict_proba, "
        "the PyTorch network at most %.2g (relative, |p| >= 0.01) from its "
        "forward. scikit-learn and PyTorch one thread each; PyTorch gets "
        "each batch as a float32 tensor made before timing."
        % (m["checked"] // 3, m["max_diff"], t["max_diff"]), "",
        table(["model", "batch", "mlp_predict ns/row", "peer",
               "peer ns/row", "speed-up"], rows), "",
        "Targets (issue 11): at batch 1 at least %gx PyTorch's per-call "
        "cost; at batch 10,000 at least as fast as PyTorch."
        % NN_TARGET_B1, ""] + ["- " + v for v in verdicts] + [""]


def explain_section(res, py, http):
    """Contributions: mlp_explain beside XGBoost's pred_contribs on the
    same 100-tree model, and the forests' explained rows over HTTP."""
    ex = {(r["model"], r["batch"]): r["ns_per_row"] for r in res
          if r["what"] == "explain"}
    pred = {(r["model"], r["batch"]): r["ns_per_row"] for r in res
            if r["what"] == "predict"}
    xgb = {(r["what"], r["batch"]): r["ns_per_row"] for r in py
           if r["lib"] == "xgboost"}
    rows, verdicts = [], []
    for b in (1, 100, 10000):
        ours = ex.get(("xgb_breast_cancer.mlp", b))
        theirs = xgb.get(("pred_contribs", b))
        x = theirs / ours if ours and theirs else None
        rows.append(["xgb_breast_cancer (XGBoost, 100 trees)", b,
                     fmt_ns(ours), fmt_ns(theirs),
                     fmt_ns(xgb.get(("DMatrix+pred_contribs", b))),
                     fmt_ratio(x) if x else "-",
                     fmt_ns(pred.get(("xgb_breast_cancer.mlp", b)))])
        if b in (1, 10000):
            verdicts.append(
                "xgb_breast_cancer, batch %s: mlp_explain %s a row, "
                "XGBoost's pred_contribs %s: %s%s"
                % ("{:,}".format(b), fmt_ns(ours), fmt_ns(theirs),
                   "%.2fx" % x if x else "not measured",
                   (" (target at 10,000: %gx, %s)"
                    % (EXPLAIN_TARGET_CORE, "met" if x and x >= 1.0
                       else "NOT met")) if b == 10000 else ""))
    for name in ("iris_forest", "breast_cancer_forest"):
        for b in (1, 10000):
            rows.append(["%s (scikit-learn)" % name, b,
                         fmt_ns(ex.get((name + ".mlp", b))), "-", "-", "-",
                         fmt_ns(pred.get((name + ".mlp", b)))])
    for case, what in (("iris_forest_explain", "iris_forest (the example "
                        "forest, 50 trees)"),
                       ("forest_explain", "breast_cancer_forest (100 trees, "
                        "depth 10)")):
        h = http_ratio(http, case)
        if h:
            verdicts.append(
                "%s, 1 named row with \"explain\": true over HTTP: %.0f "
                "requests/s, %.2fx nginx `return 200` (target %gx: %s); "
                "%.1f us of nginx CPU a request"
                % (what, h[0], h[1], EXPLAIN_TARGET_HTTP,
                   "met" if h[1] >= EXPLAIN_TARGET_HTTP else "NOT met",
                   h[2] or 0))
    for v in verdicts:
        note("explanation target: " + v)
    return [
        "### Explanations (TreeSHAP)", "",
        "`bench_core -w explain`: ns per row of `mlp_explain` (exact "
        "path-dependent TreeSHAP, every input's contribution to every "
        "margin), beside XGBoost's `Booster.predict(pred_contribs=True)` "
        "(nthread=1, the DMatrix made before timing; with it, the next "
        "column) on the same model: bench_python.py's XGBoost classifier "
        "(100 trees, max_depth 10) converted with `mlpredict convert`. "
        "t/explain.py checks the two agree within 1e-6. The last column is "
        "the same model's prediction alone.", "",
        table(["model", "batch", "mlp_explain ns/row",
               "XGBoost pred_contribs ns/row", "DMatrix + pred_contribs",
               "speed-up", "mlp_predict ns/row"], rows), "",
        "Targets (issue 14): no slower than XGBoost at batch 10,000; a "
        "single-row explained request at least %gx nginx `return 200`."
        % EXPLAIN_TARGET_HTTP, ""] + ["- " + v for v in verdicts] + [""]


def memory_table(m):
    rows = []
    tot = {"rss": 0, "pss": 0, "model_rss": 0, "model_pss": 0,
           "pss_anon": 0}
    for p in m["procs"]:
        rows.append([p["role"], p["pid"], "%.1f" % (p["rss"] / 1024),
                     "%.1f" % (p["pss"] / 1024),
                     "%.1f" % (p["pss_anon"] / 1024),
                     "%.1f" % (p["model_rss"] / 1024),
                     "%.1f" % (p["model_pss"] / 1024)])
        for k in tot:
            tot[k] += p[k]
    rows.append(["**total**", "", "%.1f" % (tot["rss"] / 1024),
                 "**%.1f**" % (tot["pss"] / 1024),
                 "%.1f" % (tot["pss_anon"] / 1024),
                 "%.1f" % (tot["model_rss"] / 1024),
                 "**%.1f**" % (tot["model_pss"] / 1024)])
    t = table(["process", "pid", "RSS MiB", "PSS MiB", "PSS anon MiB",
               "model RSS MiB", "model PSS MiB"], rows)
    size_mib = m["size"] / 2 ** 20
    summary = (
        "Model file: %.1f MiB (%d bytes, %d random trees of depth 10). "
        "Master + %d workers after %d requests (%d answered 200): total PSS "
        "%.1f MiB = %.2fx the file; the model's mapping %.1f MiB PSS summed "
        "over all processes = %.2fx the file (one copy, shared; %d private "
        "copies would be %.0f MiB)."
        % (size_mib, m["size"], m["n_trees"], len(m["procs"]) - 1,
           m["requests"], m["requests_ok"], tot["pss"] / 1024,
           tot["pss"] / 1024 / size_mib, tot["model_pss"] / 1024,
           tot["model_pss"] / 1024 / size_mib, len(m["procs"]),
           len(m["procs"]) * size_mib))
    t_big = ", ".join("%.3f s" % x for x in m["t_big"])
    t_small = ", ".join("%.3f s" % x for x in m["t_small"])
    startup = ("`nginx -t` naming the %.1f MiB model (load and validate: "
               "map, CRC-32, walk every tree; page cache warm): %s (best "
               "%.3f s). The same with the 30-feature logistic model "
               "instead: %s (best %.3f s)."
               % (size_mib, t_big, min(m["t_big"]), t_small,
                  min(m["t_small"])))
    return t, summary, startup


def machine():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    nginx_v = subprocess.run([NGINX, "-v"], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT,
                             text=True).stdout.strip()
    wrk_v = subprocess.run(["wrk", "-v"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT,
                           text=True).stdout.split("\n")[0]
    vers = subprocess.run(
        [PY, "-c", "import sklearn, numpy, xgboost, flask, gunicorn; "
         "print('scikit-learn %s, numpy %s, xgboost %s, Flask %s, gunicorn "
         "%s' % (sklearn.__version__, numpy.__version__, xgboost.__version__,"
         " flask.__version__, gunicorn.__version__))"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True).stdout.strip()
    return [
        "- nproc: %d; CPU: %s" % (os.cpu_count(), cpu),
        "- kernel: %s %s" % (platform.system(), platform.release()),
        "- %s; %s" % (nginx_v, wrk_v.split(" [")[0]),
        "- Python %s: %s" % (platform.python_version(), vers),
    ]


def report(started, loads, http, core, mem, train):
    lines = ["# mlpredict benchmark, %s" % time.strftime(
        "%Y-%m-%d %H:%M", time.localtime(started)), ""]
    if ARGS.smoke:
        lines += ["**Smoke run: durations too short to mean anything.**", ""]
    lines += ["## Machine", ""] + machine() + [
        "- load average at start: %s; at end: %s" % loads,
        "- the servers pinned to CPU %s, wrk and the core benchmarks' "
        "clients to CPU %s%s" % (SERVER_CPU, CLIENT_CPU, "" if PIN else
                                  " (NOT pinned: fewer than 2 CPUs)"),
        ""]
    if http:
        cases, results = http
        lines += [
            "## HTTP", "",
            "wrk, 1 thread, %d connections, %d s after a %d s warm-up, on "
            "127.0.0.1; nginx with 1 worker, access_log off; the same body "
            "files for every server (`return 200` gets the 30-feature row "
            "and discards it). errors = non-2xx + socket errors. "
            "\"vs gunicorn\" compares the same case."
            % (ARGS.connections, ARGS.seconds, ARGS.warmup), "",
            http_table(cases, results), ""] + perf_table(cases, results)
    if core:
        names, res, py, xgb_info, mixed, svm, nn = core
        t1, t2, t3 = core_tables(names, res, py, xgb_info)
        lines += [
            "## Core, no HTTP", "",
            "`bench_core` (the core linked as build/mlpredict is), ns per "
            "row of `mlp_predict` (label and probabilities together; input "
            "copy subtracted), best of %d runs of >= %g s, beside "
            "scikit-learn on the same fitted model and rows (one thread; "
            "for a classifier predict + predict_proba, the work "
            "mlp_predict does)." % (ARGS.core_runs, ARGS.core_time), "",
            t1, ""]
        if xgb_info:
            tr = xgb_info.get("trees", {})
            lines += [
                "XGBoost classifier on breast_cancer (100 trees, "
                "max_depth=10: %s trees, %s nodes, depth reached %s; "
                "nthread=1), converted with `mlpredict convert`; ns/row:"
                % (tr.get("n_trees"), tr.get("n_nodes"),
                   tr.get("max_depth")), "", t2, ""]
        lines += ["Parse cost per row (`mlp_parse_request`) by request "
                  "shape, and the whole request path without HTTP "
                  "(`mlp_handle_request`: parse, predict, write the answer):",
                  "", t3, ""]
        if mixed:
            e = mixed["expect"]
            lines += [
                "### A mixed row: numbers with NaN and string categories",
                "",
                "bench/make_mixed_model.py's pipeline: ColumnTransformer("
                "[%s: SimpleImputer(median) + StandardScaler], [%s: "
                "SimpleImputer(constant) + OneHotEncoder(handle_unknown="
                "'ignore')]) + LogisticRegression, exported as a format "
                "version 2 file (%d bytes). %d rows (%d missing values "
                "among them, sent as null; categories as strings); batch 1 "
                "is a named row, larger batches `{\"instances\": [named "
                "rows]}`, each call the next body. Before timing, "
                "`bench_core -a` answered every body and the answers were "
                "compared with scikit-learn's predict and predict_proba of "
                "the same rows: labels equal, probabilities at most %.2g "
                "apart (1e-9 allowed). "
                "scikit-learn gets the rows as DataFrame slices made "
                "before timing (no JSON, no DataFrame building); the module "
                "parses the JSON. A body with a category value the encoder "
                "never saw leaves the module's scanner for jansson: the last "
                "row shows what that costs."
                % (", ".join(e["inputs"]["numbers"]),
                   ", ".join(e["inputs"]["categories"]), mixed["size"],
                   e["n_rows"], e["missing"],
                   max(f.get("max_diff", 0.0) for f in mixed["files"])),
                "", mixed_table(res, py, mixed), ""]
        if svm:
            lines += svm_section(res, py, svm, http)
        if nn:
            lines += nn_section(res, py, nn, http)
        lines += explain_section(res, py, http)
    if train:
        lines += [
            "## Training: mlpredict train beside scikit-learn", "",
            "`mlpredict train ALGO --test-size 0` on make_classification / "
            "make_regression rows of 20 columns: the seconds the command "
            "reports (preparing and fitting, as a Pipeline's fit) and its "
            "whole wall time (CSV reading and writing too), beside "
            "scikit-learn's Pipeline fit (StandardScaler included where "
            "`mlpredict train` scales; one thread both sides, the same "
            "CPU); the best of 3 runs a side where a run takes under a "
            "second. %s logistic: the "
            "defaults, then both at the minimum (scipy's L-BFGS-B stops "
            "short of it on its ftol whatever the tol; newton-cholesky "
            "reaches it). %.0f s." % (
                "At 100,000 rows only the algorithms taking seconds a side "
                "(--quick-train)." if ARGS.quick_train or ARGS.smoke
                else "Every algorithm at 10,000 and 100,000 rows.",
                train["seconds"]), ""] + train["rows"] + [
            ""]
    if mem:
        t, summary, startup = memory_table(mem)
        lines += ["## Memory and start-up", "", summary, "", t, "",
                  startup, ""]
    if NOTES or FAILURES:
        lines += ["## Notes", ""] + ["- " + n for n in NOTES] + [
            "- FAILED: " + f for f in FAILURES] + [""]
    lines += ["## Commands", "", "```",
              "make %s BENCH_SECONDS=%d" % ("bench-smoke" if ARGS.smoke
                                            else "bench", ARGS.seconds),
              cmdline([PY] + sys.argv), ""]
    for what, c in COMMANDS:
        lines += ["# " + what, c]
    lines += ["```", ""]
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def main():
    global ARGS, WORK, NGINX, MODULE, PIN, MODELS_DIR
    global PORT_NGINX, PORT_GUNICORN, PORT_FLASK, PORT_BIG
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--connections", type=int, default=32)
    ap.add_argument("--smoke", action="store_true",
                    help="tiny durations and a 5 MB model; results to "
                    "--work, not bench/results")
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module",
                    default=os.path.join(ROOT, "build",
                                         "ngx_http_mlpredict_module.so"))
    ap.add_argument("--cli", default=os.path.join(ROOT, "build", "mlpredict"))
    ap.add_argument("--core", default=os.path.join(ROOT, "build",
                                                   "bench_core"))
    ap.add_argument("--work", default=os.path.join(ROOT, "build", "bench"))
    ap.add_argument("--out", default=os.path.join(HERE, "results"))
    ap.add_argument("--models", default=os.path.join(ROOT, "models"),
                    help="where the example models are (NAME.mlp)")
    ap.add_argument("--core-time", type=float, default=0.1)
    ap.add_argument("--core-runs", type=int, default=3)
    ap.add_argument("--big-mb", type=float, default=200)
    ap.add_argument("--big-requests", type=int, default=40)
    ap.add_argument("--t-runs", type=int, default=3)
    ap.add_argument("--parts", default="http,core,memory,train")
    ap.add_argument("--cases", type=lambda v: v.split(","), default=None,
                    help="only these HTTP cases (ids, comma-separated)")
    ap.add_argument("--servers", type=lambda v: v.split(","),
                    default=None, help="only these HTTP servers (nginx, "
                    "gunicorn, flask)")
    ap.add_argument("--quick-train", action="store_true",
                    help="training: the slow algorithms (kernel svm, svr, "
                    "the forest, linear-svm) at 10,000 rows only")
    ap.add_argument("--header-buffer", default=None,
                    help="client_header_buffer_size for every nginx "
                    "(nginx's default 1k when not given)")
    ap.add_argument("--perf", type=int, default=0, metavar="SECONDS",
                    help="after each nginx case's timing, profile its "
                    "workers with perf for SECONDS more of the same load "
                    "and report where their CPU goes")
    ap.add_argument("--perf-symbols", type=int, default=6,
                    help="how many functions --perf lists a case")
    ap.add_argument("--port", type=int, default=PORT_NGINX,
                    help="nginx's port; gunicorn, flask and the memory "
                    "part's nginx take the next three")
    ARGS = ap.parse_args()
    if ARGS.smoke:
        ARGS.warmup = 0
        ARGS.core_time = 0.002
        ARGS.core_runs = 1
        ARGS.big_mb = 5
        ARGS.big_requests = 8
        ARGS.t_runs = 1
        ARGS.out = ARGS.work
    NGINX = ARGS.nginx
    MODULE = os.path.abspath(ARGS.module)
    WORK = os.path.abspath(ARGS.work)
    MODELS_DIR = os.path.abspath(ARGS.models)
    PIN = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    parts = set(ARGS.parts.split(","))
    PARTS.update(parts)
    PORT_NGINX, PORT_GUNICORN, PORT_FLASK, PORT_BIG = range(ARGS.port,
                                                            ARGS.port + 4)
    os.makedirs(os.path.join(WORK, "logs"), exist_ok=True)

    def on_signal(signum, frame):
        raise KeyboardInterrupt("signal %d" % signum)

    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, on_signal)

    started = time.time()
    load0 = open("/proc/loadavg").read().split()[:3]
    http = core = mem = train = None
    try:
        forest = mixed = svm = nn = v2 = None
        if parts & {"http", "core"}:
            forest, mixed, svm, nn, v2 = prepare()
        if "http" in parts:
            http = bench_http(forest, mixed, svm, nn, v2)
        if "core" in parts:
            try:
                core = bench_core(mixed, svm, nn)
            except Exception as e:  # noqa: BLE001
                fail("core benchmark: %s" % e)
        if "memory" in parts:
            try:
                mem = bench_memory()
            except Exception as e:  # noqa: BLE001
                fail("memory benchmark: %s" % e)
        if "train" in parts:
            try:
                train = bench_train()
            except Exception as e:  # noqa: BLE001
                fail("training benchmark: %s" % e)
    except KeyboardInterrupt:
        log("interrupted: stopping every server started")
        stop_all()
        return 130
    finally:
        stop_all()

    load1 = open("/proc/loadavg").read().split()[:3]
    text = report(started, (" ".join(load0), " ".join(load1)), http, core,
                  mem, train)
    os.makedirs(ARGS.out, exist_ok=True)
    path = os.path.join(ARGS.out, time.strftime(
        "%Y-%m-%d-%H%M", time.localtime(started)) + (
        "-smoke" if ARGS.smoke else "") + ".md")
    with open(path, "w") as f:
        f.write(text)
    print(text)
    log("written", os.path.relpath(path, ROOT), "in %.0f s"
        % (time.time() - started))
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main())
