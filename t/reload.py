#!/usr/bin/python3
"""A new model rolled out with a reload, under load, without dropping a request.

    /usr/bin/python3 t/reload.py --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so --cli build/mlpredict

nginx (master + 2 workers, our child, not daemonised) serves model.mlp. While
client threads POST predictions without pause (a new connection each, bounded
in time and count, 127.0.0.1 only):
  1. a second model is written beside it and renamed over model.mlp, then
     SIGHUP: every answer stays 200, and the answers switch to the new
     model's (compared with `mlpredict predict` on each file);
  2. the served file is truncated, written into and copied over in place:
     the workers keep answering from the copy they loaded, none dies;
  3. a corrupt file is renamed over model.mlp, then SIGHUP: nginx refuses the
     new configuration, logs the path and the reason, and keeps serving the
     model it had.
The same file also defines a variable (mlpredict_score), read by a location
with the row in its arguments: it shares the locations' mapping, and it
switches to the new model with them.
Ends with "N passed, N failed".
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

sys.dont_write_bytecode = True
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "models"))

from mlpredict_export import export  # noqa: E402

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

MAX_SECONDS = 60
MAX_REQUESTS = 200000

passed = failed = 0


def check(cond, name, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok      " + name)
    else:
        failed += 1
        print("FAIL    " + name + (": " + detail if detail else ""))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fit(c):
    data = load_breast_cancer()
    names = [n.replace(" ", "_") for n in data.feature_names]
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c,
                                                               max_iter=5000))
    model.fit(data.data, data.target_names[data.target])
    return model, names, data.data


def post(url, body):
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "Connection": "close"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def get(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def raw(url):
    with urllib.request.urlopen(url, timeout=10) as r:
        return r.read()


def workers_of(master):
    with open("/proc/%d/task/%d/children" % (master, master)) as f:
        return sorted(int(p) for p in f.read().split())


def check_shared(master, path):
    """Each worker maps one copy of the model, though two locations and a
    variable name it: the sealed memory the master read the file into, not
    the file itself, which an overwrite in place could change."""
    workers = workers_of(master)
    name = "/memfd:mlpredict:" + os.path.basename(path) + " (deleted)"
    counts, files = [], []
    for pid in workers:
        with open("/proc/%d/maps" % pid) as f:
            lines = [line.rstrip() for line in f]
        counts.append(sum(1 for line in lines if line.endswith(" " + name)))
        files.append(sum(1 for line in lines if line.endswith(" " + path)))
    check(len(workers) == 2 and counts == [1, 1] and files == [0, 0],
          "two locations and a variable, two workers, one mapping of the "
          "model's copy each, none of the file",
          "workers %r, copies %r, file mappings %r" % (workers, counts,
                                                       files))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module", required=True)
    ap.add_argument("--cli", required=True)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="mlpredict-reload-")
    port = free_port()
    url = "http://127.0.0.1:%d/m" % port
    proc = None

    try:
        m1, names, X = fit(1.0)
        m2, _, _ = fit(0.01)
        export(m1, os.path.join(tmp, "v1.mlp"), names)
        export(m2, os.path.join(tmp, "v2.mlp"), names)
        shutil.copy(os.path.join(tmp, "v1.mlp"), os.path.join(tmp,
                                                              "model.mlp"))

        # the row whose answer tells the two models apart the most
        p1, p2 = m1.predict_proba(X)[:, 0], m2.predict_proba(X)[:, 0]
        row = X[int(abs(p1 - p2).argmax())]
        body = json.dumps({"features": [float(v) for v in row]}).encode()
        query = "&".join("%s=%r" % (n, float(v)) for n, v in zip(names, row))

        want = {}
        for v in ("v1", "v2"):
            out = subprocess.run([args.cli, "predict",
                                  os.path.join(tmp, v + ".mlp")],
                                 input=body, capture_output=True, check=True)
            want[v] = out.stdout
        check(want["v1"] != want["v2"], "the two models answer differently")

        # the variable: the probability of the second class as the JSON
        # answer writes it, then the label
        want_var = {}
        for v in ("v1", "v2"):
            a = json.loads(want[v])
            p = re.search(rb'"malignant":([^,}]+)', want[v]).group(1)
            want_var[v] = p + b" " + a["prediction"].encode()

        for d in ("logs", "conf"):
            os.makedirs(os.path.join(tmp, d))
        with open(os.path.join(tmp, "conf", "nginx.conf"), "w") as f:
            f.write("""
load_module %s;
daemon off;
master_process on;
worker_processes 2;
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path logs/body;
    proxy_temp_path logs/proxy;
    fastcgi_temp_path logs/fastcgi;
    uwsgi_temp_path logs/uwsgi;
    scgi_temp_path logs/scgi;
    mlpredict_score model.mlp $p {
%s
        label $l;
    }
    server {
        listen 127.0.0.1:%d;
        location = /m { mlpredict model.mlp; }
        location = /same { mlpredict %s/./model.mlp; }
        location = /v { return 200 "$p $l"; }
    }
}
""" % (os.path.abspath(args.module),
       "\n".join("        input %s $arg_%s;" % (n, n) for n in names), port,
       tmp))

        proc = subprocess.Popen([args.nginx, "-p", tmp + "/", "-c",
                                 "conf/nginx.conf"])
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise SystemExit("nginx did not start")
                time.sleep(0.05)

        # each file's checksum as the core reads it, not as served
        sums = {}
        for v in ("v1", "v2"):
            out = subprocess.run([args.cli, "info",
                                  os.path.join(tmp, v + ".mlp")],
                                 capture_output=True, check=True)
            sums[v] = json.loads(out.stdout)["checksum"]
        check(get(url)["checksum"] == sums["v1"], "metadata shows v1")
        check_shared(proc.pid, os.path.join(tmp, "model.mlp"))
        check(post(url, body) == (200, want["v1"]), "serves v1 at start")
        vurl = url[:-2] + "/v?" + query
        check(raw(vurl) == want_var["v1"], "the variable is v1's at start",
              "%r, not %r" % (raw(vurl), want_var["v1"]))

        stop = threading.Event()
        seen = []          # (status, body) of every answer under load
        errors = []
        lock = threading.Lock()

        def client():
            n = 0
            while not stop.is_set() and n < MAX_REQUESTS:
                t0 = time.time()
                try:
                    got = post(url, body) + (t0,)
                except Exception as e:      # a dropped request
                    with lock:
                        errors.append(repr(e))
                    continue
                with lock:
                    seen.append(got)
                n += 1

        threads = [threading.Thread(target=client) for _ in range(2)]
        started = time.time()
        for t in threads:
            t.start()
        time.sleep(0.5)

        # 1. roll out v2: write beside, rename over, reload
        shutil.copy(os.path.join(tmp, "v2.mlp"), os.path.join(tmp, "new"))
        os.replace(os.path.join(tmp, "new"), os.path.join(tmp, "model.mlp"))
        proc.send_signal(signal.SIGHUP)

        # until the old workers have gone, either may take a connection:
        # the switch is done when v2 answers several times in a row
        deadline = time.time() + 15
        in_a_row = 0
        while in_a_row < 20 and time.time() < deadline:
            in_a_row = in_a_row + 1 if get(url)["checksum"] == sums["v2"] \
                else 0
            time.sleep(0.01)
        switched = time.time()
        check(in_a_row >= 20, "metadata shows the new checksum",
              "not 20 answers in a row from v2 (%s) within 15 s; error.log "
              "ends: %s" % (sums["v2"], open(os.path.join(
                  tmp, "logs", "error.log")).read()[-1500:]))
        time.sleep(0.5)

        # 2. the served file changed in place, no rename, no reload: a
        # truncation, a write into its middle, a cp over it. The workers
        # serve the copy they have: nothing changes, nobody dies of SIGBUS
        workers = workers_of(proc.pid)
        served = os.path.join(tmp, "model.mlp")
        size = os.path.getsize(served)
        with open(served, "r+b") as f:
            f.truncate(size // 2)
        time.sleep(0.3)
        with open(served, "r+b") as f:
            f.seek(size // 4)
            f.write(b"\xff" * 4096)
        time.sleep(0.3)
        shutil.copyfile(os.path.join(tmp, "v1.mlp"), served)
        time.sleep(0.3)
        check(workers_of(proc.pid) == workers,
              "the file truncated, written into and copied over in place: "
              "the same workers serve", "%r, then %r"
              % (workers, workers_of(proc.pid)))
        check(get(url)["checksum"] == sums["v2"]
              and post(url, body) == (200, want["v2"]),
              "and they still answer v2's, the model they loaded")

        # 3. a corrupt file: refused, v2 keeps serving
        with open(os.path.join(tmp, "model.mlp"), "rb") as f:
            data = bytearray(f.read())
        data[len(data) // 2] ^= 0xff
        with open(os.path.join(tmp, "new"), "wb") as f:
            f.write(data)
        os.replace(os.path.join(tmp, "new"), os.path.join(tmp, "model.mlp"))
        proc.send_signal(signal.SIGHUP)
        time.sleep(1.0)

        stop.set()
        for t in threads:
            t.join(MAX_SECONDS)
        elapsed = time.time() - started

        check(not errors, "no request dropped during the reloads",
              "%d errors, first: %s" % (len(errors),
                                        errors[0] if errors else ""))
        bad = [s for s in seen if s[0] != 200]
        check(not bad, "every answer under load is 200",
              "%d of %d not: %r" % (len(bad), len(seen), bad[:1]))
        check(all(b in (want["v1"], want["v2"]) for _, b, _ in seen),
              "every answer is exactly v1's or v2's")
        # old workers finish what they accepted, then exit: a request
        # started a moment after the switch is served by a new worker
        late = [b for _, b, t0 in seen if t0 > switched + 0.2]
        check(late and all(b == want["v2"] for b in late),
              "answers are v2's after the switch, also after the refused "
              "reload", "%d late answers" % len(late))
        print("#       %d requests in %.1f s, %d of them v1's, %d after "
              "the switch" % (len(seen), elapsed,
                              sum(b == want["v1"] for _, b, _ in seen),
                              len(late)))

        check(get(url)["checksum"] == sums["v2"] and
              post(url, body) == (200, want["v2"]),
              "after the corrupt reload v2 still serves")
        check(raw(vurl) == want_var["v2"], "the variable is v2's after the "
              "reloads", "%r, not %r" % (raw(vurl), want_var["v2"]))
        with open(os.path.join(tmp, "logs", "error.log")) as f:
            log = f.read()
        check("model.mlp" in log and "checksum mismatch" in log
              and "[emerg]" in log,
              "the refused reload is logged with the file and the reason")
        check("exited on signal" not in log, "no worker died",
              log[-1500:])
        check(proc.poll() is None, "nginx is still running")

    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
