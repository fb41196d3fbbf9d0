#!/usr/bin/python3
"""Parity of mlpredict against scikit-learn itself.

    /usr/bin/python3 t/parity.py --cli build/mlpredict --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so [--port 1990]

For every example in models/make_examples.py: build and fit it, export it to a
temporary directory, then compare with the fitted estimator's own predict()
and predict_proba() on the held-out rows:

  file  the exported file parsed back per models/FORMAT.md (every field,
        alignment, CRC) and evaluated by a plain-Python reference;
  cli   `mlpredict predict MODEL` with the request body on stdin;
  http  POST to nginx, run here as a child process with the module loaded.

Labels must be equal; numbers equal within 1e-12 relative.  One line per
check, then "N passed, N failed"; the exit status is 1 on any failure.
"""

import argparse
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

import numpy as np

sys.dont_write_bytecode = True   # keep the source tree clean
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

import make_examples  # noqa: E402
from mlpredict_export import export  # noqa: E402

RTOL = 1e-12
N_SINGLE = 3          # single-row requests per model and shape
TIMEOUT = 60


# --------------------------------------------------------------------------
# results

class Results:
    def __init__(self, verbose=False):
        self.passed = 0
        self.failed = 0
        self.verbose = verbose

    def ok(self, name, detail=""):
        self.passed += 1
        print("ok      %s%s" % (name, (" (%s)" % detail) if detail else ""))
        sys.stdout.flush()

    def fail(self, name, why):
        self.failed += 1
        why = str(why)
        if len(why) > 2000 and not self.verbose:
            why = why[:2000] + "... [truncated]"
        print("FAILED  %s: %s" % (name, why))
        sys.stdout.flush()


# --------------------------------------------------------------------------
# reading the model file back (FORMAT.md, version 1)

KNOWN_SECTIONS = {1: 2, 2: 2, 3: 2, 10: 1, 11: 1, 20: 1, 21: 1}


def read_mlp(path):
    """Parse and fully validate a model file; return a dict or raise
    ValueError."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 64:
        raise ValueError("file shorter than 64 bytes")
    magic, ver, bo, fsize, crc, r0 = struct.unpack_from("<8sIIQII", b, 0)
    kind, nf, no, ns, sto, link, r1 = struct.unpack_from("<IIIIQII", b, 32)
    if magic != b"MLPREDCT":
        raise ValueError("bad magic %r" % magic)
    if ver != 1:
        raise ValueError("format_version %d" % ver)
    if bo != 0x01020304 or b[12:16] != b"\x04\x03\x02\x01":
        raise ValueError("byte_order %#x" % bo)
    if fsize != len(b):
        raise ValueError("file_size %d, real size %d" % (fsize, len(b)))
    real_crc = zlib.crc32(b[32:]) & 0xFFFFFFFF
    if crc != real_crc:
        raise ValueError("checksum %08x, computed %08x" % (crc, real_crc))
    if r0 != 0 or r1 != 0:
        raise ValueError("reserved fields not zero")
    if kind not in (1, 2):
        raise ValueError("kind %d" % kind)
    if not 1 <= nf <= 1000000:
        raise ValueError("n_features %d" % nf)
    if not 1 <= ns <= 64:
        raise ValueError("n_sections %d" % ns)
    if sto != 64:
        raise ValueError("section_table_offset %d" % sto)
    if kind == 1:
        if link != 0 or no < 1:
            raise ValueError("linear with link %d, n_outputs %d" % (link, no))
        rows = no
    else:
        if no < 2:
            raise ValueError("logistic with %d classes" % no)
        if link == 1 and no == 2:
            rows = 1
        elif (link == 2 and no >= 2) or (link == 3 and no >= 3):
            rows = no
        else:
            raise ValueError("logistic with link %d and %d classes"
                             % (link, no))
    if sto + 32 * ns > len(b):
        raise ValueError("section table outside the file")
    secs = {}
    spans = []
    for i in range(ns):
        sid, dt, off, size, count = struct.unpack_from("<IIQQQ", b,
                                                       sto + 32 * i)
        if sid not in KNOWN_SECTIONS:
            raise ValueError("unknown section id %d" % sid)
        if sid in secs:
            raise ValueError("duplicate section id %d" % sid)
        if off % 64:
            raise ValueError("section %d at unaligned offset %d" % (sid, off))
        if off < sto + 32 * ns or off + size > len(b):
            raise ValueError("section %d out of bounds" % sid)
        if dt != KNOWN_SECTIONS[sid]:
            raise ValueError("section %d has dtype %d" % (sid, dt))
        data = b[off:off + size]
        if dt == 1:
            if size != 8 * count:
                raise ValueError("section %d size %d count %d"
                                 % (sid, size, count))
            val = np.frombuffer(data, dtype="<f8").astype(float)
            if not np.all(np.isfinite(val)):
                raise ValueError("section %d has a non-finite value" % sid)
        else:
            if not data.endswith(b"\0"):
                raise ValueError("section %d not NUL-terminated" % sid)
            parts = data[:-1].split(b"\0")
            if len(parts) != count or size != sum(map(len, parts)) + count:
                raise ValueError("section %d: %d strings, count %d"
                                 % (sid, len(parts), count))
            val = [p.decode("utf-8") for p in parts]
        secs[sid] = val
        spans.append((off, off + size))
    spans.sort()
    end = sto + 32 * ns
    for s, e in spans:
        if s < end:
            raise ValueError("sections overlap")
        if any(b[end:s]):
            raise ValueError("non-zero padding at %d..%d" % (end, s))
        end = e
    if any(b[end:]):
        raise ValueError("non-zero bytes after the last section")

    def need(sid, count):
        if sid not in secs:
            raise ValueError("section %d missing" % sid)
        if len(secs[sid]) != count:
            raise ValueError("section %d has %d elements, expected %d"
                             % (sid, len(secs[sid]), count))
        return secs[sid]

    names = need(1, nf)
    if any(n == "" for n in names) or len(set(names)) != nf:
        raise ValueError("feature names empty or not unique")
    labels = None
    if kind == 2:
        labels = need(2, no)
        if len(set(labels)) != no:
            raise ValueError("class labels not unique")
        for lab in labels:
            v = json.loads(lab)
            if isinstance(v, (dict, list)) or v is None:
                raise ValueError("label %r is not a JSON scalar" % lab)
    elif 2 in secs:
        raise ValueError("class labels in a regression model")
    producer = None
    if 3 in secs:
        producer = json.loads(need(3, 1)[0])
        if not isinstance(producer, dict):
            raise ValueError("producer is not a JSON object")
    if (10 in secs) != (11 in secs):
        raise ValueError("scaler_mean without scaler_scale or vice versa")
    mean = scale = None
    if 10 in secs:
        mean = need(10, nf)
        scale = need(11, nf)
        if np.any(scale == 0):
            raise ValueError("zero scale")
    coef = need(20, rows * nf).reshape(rows, nf)
    intercept = need(21, rows)
    return {"kind": kind, "link": link, "n_features": nf, "n_outputs": no,
            "feature_names": names, "class_labels": labels,
            "producer": producer, "mean": mean, "scale": scale,
            "coef": coef, "intercept": intercept, "size": len(b)}


def ref_predict(m, row):
    """Row answer from the parsed file, plain float arithmetic like C."""
    x = [float(v) for v in row]
    if m["mean"] is not None:
        x = [(v - mu) / sc for v, mu, sc in zip(x, m["mean"], m["scale"])]
    scores = []
    for r in range(m["coef"].shape[0]):
        s = 0.0
        for c, v in zip(m["coef"][r], x):
            s += float(c) * v
        scores.append(s + float(m["intercept"][r]))
    if m["kind"] == 1:
        return {"prediction": scores[0] if m["n_outputs"] == 1 else scores}
    labels = [json.loads(t) for t in m["class_labels"]]
    keys = [label_key(t) for t in m["class_labels"]]
    if m["link"] == 1:
        p1 = 1.0 / (1.0 + math.exp(-scores[0]))
        probs = [1.0 - p1, p1]
        best = 1 if scores[0] > 0 else 0
    else:
        best = max(range(len(scores)), key=lambda i: (scores[i], -i))
        if m["link"] == 2:
            mx = max(scores)
            e = [math.exp(s - mx) for s in scores]
        else:
            e = [1.0 / (1.0 + math.exp(-s)) for s in scores]
        tot = sum(e)
        probs = [v / tot for v in e]
    return {"prediction": labels[best], "probabilities": dict(zip(keys,
                                                                  probs))}


# --------------------------------------------------------------------------
# expected answers from scikit-learn

def label_json(v):
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return repr(float(v))
    return json.dumps(str(v))


def label_key(text):
    """Key in "probabilities" for a label given as JSON text: the string
    itself for a string label, else the JSON text ("0", "1.5", "true")."""
    v = json.loads(text)
    return v if isinstance(v, str) else text


def expected_rows(model, X):
    """The row answers scikit-learn gives, as Python values."""
    pred = model.predict(X)
    out = []
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(X)
        keys = [label_key(label_json(c)) for c in model.classes_]
        for i in range(len(X)):
            out.append({"prediction": json.loads(label_json(pred[i])),
                        "probabilities": {k: float(p) for k, p in
                                          zip(keys, proba[i])}})
    else:
        for i in range(len(X)):
            v = pred[i]
            out.append({"prediction": [float(t) for t in v]
                        if np.ndim(v) else float(v)})
    return out


# --------------------------------------------------------------------------
# comparison

def close(a, b):
    if isinstance(a, bool) or isinstance(b, bool):
        return False
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
        return False
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= RTOL * max(abs(a), abs(b))


def same_label(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return isinstance(a, str) and isinstance(b, str) and a == b
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return False


def judge(res, what, out, chk):
    """Record one check: `out` must be JSON that `chk` finds no fault in."""
    try:
        resp = json.loads(out)
    except ValueError as e:
        res.fail(what, "answer is not JSON (%s): %r" % (e, out[:300]))
        return
    msg = chk(resp)
    if msg:
        res.fail(what, msg)
    else:
        res.ok(what)


def compare_row(got, want, where):
    """None if `got` (a row answer) matches `want`, else a message."""
    if "probabilities" in want:
        if not isinstance(got, dict):
            return "%s: expected an object, got %s" % (where, _short(got))
        if set(got) != {"prediction", "probabilities"}:
            return "%s: keys %s, expected prediction, probabilities" % (
                where, sorted(got))
        if not same_label(got["prediction"], want["prediction"]):
            return "%s: label %s, scikit-learn says %s" % (
                where, json.dumps(got["prediction"]),
                json.dumps(want["prediction"]))
        gp, wp = got["probabilities"], want["probabilities"]
        if not isinstance(gp, dict) or set(gp) != set(wp):
            return "%s: probabilities keys %s, expected %s" % (
                where, sorted(gp) if isinstance(gp, dict) else _short(gp),
                sorted(wp))
        for k in wp:
            if not close(gp[k], wp[k]):
                return "%s: probability of %s is %r, scikit-learn says %r" % (
                    where, json.dumps(k), gp[k], wp[k])
        return None
    w = want["prediction"]
    if isinstance(w, list):
        if not isinstance(got, list) or len(got) != len(w):
            return "%s: expected a list of %d numbers, got %s" % (
                where, len(w), _short(got))
        for j, (g, e) in enumerate(zip(got, w)):
            if not close(g, e):
                return "%s: output %d is %r, scikit-learn says %r" % (
                    where, j, g, e)
        return None
    if not close(got, w):
        return "%s: %s, scikit-learn says %r" % (where, _short(got), w)
    return None


def compare_batch(resp, want):
    if not isinstance(resp, dict) or set(resp) != {"predictions"}:
        return "expected {\"predictions\": [...]}, got %s" % _short(resp)
    preds = resp["predictions"]
    if not isinstance(preds, list) or len(preds) != len(want):
        return "expected %d predictions, got %s" % (
            len(want), len(preds) if isinstance(preds, list) else
            _short(preds))
    for i, (g, w) in enumerate(zip(preds, want)):
        msg = compare_row(g, w, "row %d" % i)
        if msg:
            return msg
    return None


def compare_single(resp, want):
    if "probabilities" in want:
        return compare_row(resp, want, "answer")
    if not isinstance(resp, dict) or set(resp) != {"prediction"}:
        return "expected {\"prediction\": ...}, got %s" % _short(resp)
    return compare_row(resp["prediction"], want, "prediction")


def _short(v, n=300):
    s = json.dumps(v) if not isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[:n] + "..."


# --------------------------------------------------------------------------
# requests

def num(v):
    return float(v)      # json.dumps writes floats with repr(): round-trips


def requests_for(X, names, want):
    """[(label, body bytes, check function)]"""
    reqs = []
    rows = [[num(v) for v in r] for r in X]
    reqs.append(("batch/arrays %d rows" % len(rows),
                 json.dumps({"instances": rows}),
                 lambda r, w=want: compare_batch(r, w)))
    objs = [dict(zip(names, r)) for r in rows]
    reqs.append(("batch/objects %d rows" % len(rows),
                 json.dumps({"instances": objs}),
                 lambda r, w=want: compare_batch(r, w)))
    for i in range(min(N_SINGLE, len(rows))):
        reqs.append(("single/object row %d" % i, json.dumps(objs[i]),
                     lambda r, w=want[i]: compare_single(r, w)))
        reqs.append(("single/features row %d" % i,
                     json.dumps({"features": rows[i]}),
                     lambda r, w=want[i]: compare_single(r, w)))
    return [(lab, body.encode("utf-8"), chk) for lab, body, chk in reqs]


def bad_request(names, X):
    # one value too few
    return json.dumps({"features": [num(v) for v in X[0][:-1]]}).encode()


# --------------------------------------------------------------------------
# CLI

def run_cli(cli, model_path, body):
    p = subprocess.run([cli, "predict", model_path], input=body,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=TIMEOUT)
    return p.returncode, p.stdout, p.stderr


def check_cli(res, cli, name, model_path, reqs, X, names):
    for lab, body, chk in reqs:
        what = "%s cli %s" % (name, lab)
        try:
            rc, out, err = run_cli(cli, model_path, body)
        except (OSError, subprocess.SubprocessError) as e:
            res.fail(what, "cannot run %s: %s" % (cli, e))
            continue
        if rc != 0:
            res.fail(what, "exit %d, stderr: %s" % (
                rc, err.decode("utf-8", "replace").strip()))
            continue
        judge(res, what, out, chk)
    what = "%s cli error: wrong number of features" % name
    try:
        rc, out, err = run_cli(cli, model_path, bad_request(names, X))
        e = json.loads(err) if err.strip() else None
        if rc != 1:
            res.fail(what, "exit %d (expected 1), stdout %r, stderr %r"
                     % (rc, out[:200], err[:200]))
        elif not (isinstance(e, dict) and "error" in e):
            res.fail(what, "stderr is not {\"error\": ...}: %r" % err[:300])
        else:
            res.ok(what, e["error"] if isinstance(e["error"], str) else "")
    except ValueError:
        res.fail(what, "stderr is not JSON: %r" % err[:300])
    except (OSError, subprocess.SubprocessError) as e:
        res.fail(what, "cannot run %s: %s" % (cli, e))


# --------------------------------------------------------------------------
# nginx

class Nginx:
    def __init__(self, binary, module, port, models, master=False):
        self.binary = binary
        self.port = port
        self.prefix = tempfile.mkdtemp(prefix="mlpredict-parity-nginx-")
        os.makedirs(os.path.join(self.prefix, "conf"))
        os.makedirs(os.path.join(self.prefix, "logs"))
        locs = "".join(
            "        location = /%s {\n"
            "            mlpredict %s;\n"
            "            mlpredict_max_batch 100000;\n"
            "        }\n" % (name, os.path.abspath(path))
            for name, path in models)
        temps = "".join("    %s_temp_path temp/%s;\n" % (t, t) for t in
                        ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        conf = (
            "daemon off;\n"
            "master_process %s;\n"
            "worker_processes 1;\n"
            "%s"
            "error_log logs/error.log info;\n"
            "pid logs/nginx.pid;\n"
            "load_module %s;\n"
            "events { worker_connections 64; }\n"
            "http {\n"
            "    access_log off;\n"
            "    client_max_body_size 64m;\n"
            "%s"
            "    server {\n"
            "        listen 127.0.0.1:%d;\n"
            "%s"
            "    }\n"
            "}\n" % ("on" if master else "off",
                     "user root;\n" if master and os.geteuid() == 0 else "",
                     os.path.abspath(module), temps, port, locs))
        self.conf = os.path.join(self.prefix, "conf", "nginx.conf")
        with open(self.conf, "w") as f:
            f.write(conf)
        os.makedirs(os.path.join(self.prefix, "temp"))
        self.proc = None

    def error_log(self, tail=40):
        out = []
        for fn in ("stderr.log", "error.log"):
            p = os.path.join(self.prefix, "logs", fn)
            try:
                with open(p, errors="replace") as f:
                    lines = f.read().splitlines()
                if lines:
                    out.append("--- %s:\n%s" % (fn, "\n".join(lines[-tail:])))
            except OSError:
                pass
        return "\n".join(out)

    def start(self):
        """None on success, else a message."""
        if port_open(self.port):
            return "port %d is already in use" % self.port
        errf = open(os.path.join(self.prefix, "logs", "stderr.log"), "wb")
        try:
            self.proc = subprocess.Popen(
                [self.binary, "-p", self.prefix + "/", "-c", "conf/nginx.conf",
                 "-e", "logs/error.log"],
                stdin=subprocess.DEVNULL, stdout=errf, stderr=errf)
        except OSError as e:
            return "cannot run %s: %s" % (self.binary, e)
        finally:
            errf.close()
        deadline = time.time() + 15
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return "nginx exited with status %d\n%s" % (
                    self.proc.returncode, self.error_log())
            if port_open(self.port):
                return None
            time.sleep(0.05)
        return "nginx did not listen on port %d in 15 s\n%s" % (
            self.port, self.error_log())

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def post(self, name, body):
        """(status, body bytes)"""
        req = urllib.request.Request(
            "http://127.0.0.1:%d/%s" % (self.port, name), data=body,
            method="POST", headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()


def port_open(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(0.5)
    try:
        s.connect(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def check_http(res, ngx, name, reqs, X, names):
    for lab, body, chk in reqs:
        what = "%s http %s" % (name, lab)
        try:
            status, out = ngx.post(name, body)
        except (OSError, urllib.error.URLError) as e:
            res.fail(what, "request failed: %s" % e)
            continue
        if status != 200:
            res.fail(what, "HTTP %d: %s" % (
                status, out[:300].decode("utf-8", "replace")))
            continue
        judge(res, what, out, chk)
    what = "%s http error: wrong number of features" % name
    try:
        status, out = ngx.post(name, bad_request(names, X))
        if not 400 <= status < 500:
            res.fail(what, "HTTP %d (expected 4xx): %r" % (status, out[:300]))
        else:
            res.ok(what, "HTTP %d" % status)
    except (OSError, urllib.error.URLError) as e:
        res.fail(what, "request failed: %s" % e)


# --------------------------------------------------------------------------

def check_file(res, name, path, model, X, names):
    what = "%s file" % name
    try:
        m = read_mlp(path)
    except (ValueError, OSError) as e:
        res.fail(what, e)
        return
    if m["feature_names"] != list(names):
        res.fail(what, "feature names %s, expected %s" % (
            m["feature_names"], list(names)))
        return
    want = expected_rows(model, X)
    for i, row in enumerate(X):
        got = ref_predict(m, row)
        if "probabilities" not in want[i]:
            got = got["prediction"]       # batch form of a regressor's row
        msg = compare_row(got, want[i], "reference row %d" % i)
        if msg:
            res.fail(what, msg)
            return
    res.ok(what, "%d bytes, kind %d, link %d, %d rows agree"
           % (m["size"], m["kind"], m["link"], len(X)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cli", help="the mlpredict tool (skip CLI checks if "
                                  "not given)")
    ap.add_argument("--nginx", help="the nginx binary (skip HTTP checks if "
                                    "not given)")
    ap.add_argument("--module", help="ngx_http_mlpredict_module.so")
    ap.add_argument("--port", type=int, default=1990)
    ap.add_argument("--master", action="store_true",
                    help="run nginx with master_process on")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directories")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("examples", nargs="*",
                    help="examples to test (default: all)")
    args = ap.parse_args()
    if args.nginx and not args.module:
        ap.error("--nginx needs --module")

    res = Results(args.verbose)
    names = args.examples or list(make_examples.EXAMPLES)
    tmp = tempfile.mkdtemp(prefix="mlpredict-parity-")
    ngx = None

    def on_signal(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_signal)
    try:
        built = []
        for name in names:
            try:
                model, X, features = make_examples.build(name)
                path = os.path.join(tmp, name + ".mlp")
                export(model, path, features)
            except Exception as e:
                res.fail("%s export" % name, "%s: %s" % (type(e).__name__, e))
                continue
            X = np.asarray(X, dtype=float)
            built.append((name, path, model, X, features,
                          requests_for(X, features,
                                       expected_rows(model, X))))
            check_file(res, name, path, model, X, features)

        if args.cli:
            cli = os.path.abspath(args.cli)
            for name, path, model, X, features, reqs in built:
                check_cli(res, cli, name, path, reqs, X, features)

        if args.nginx:
            ngx = Nginx(args.nginx, args.module, args.port,
                        [(b[0], b[1]) for b in built], master=args.master)
            err = ngx.start()
            if err:
                res.fail("nginx start", err)
            else:
                res.ok("nginx start", "port %d" % args.port)
                for name, path, model, X, features, reqs in built:
                    check_http(res, ngx, name, reqs, X, features)
                if res.failed:
                    log = ngx.error_log()
                    if log:
                        print(log)
    except KeyboardInterrupt:
        res.fail("parity", "interrupted")
    finally:
        if ngx is not None:
            ngx.stop()
            if args.keep:
                print("# nginx prefix kept in %s" % ngx.prefix)
            else:
                shutil.rmtree(ngx.prefix, ignore_errors=True)
        if args.keep:
            print("# models kept in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)

    print("%d passed, %d failed" % (res.passed, res.failed))
    return 1 if res.failed or not res.passed else 0


if __name__ == "__main__":
    sys.exit(main())
