#!/usr/bin/python3
"""The Prometheus metrics, checked by Prometheus' own tools.

    /usr/bin/python3 t/metrics.py --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so

nginx (master + 2 workers with reuseport, our child, 127.0.0.1 only) serves
iris and diabetes and /metrics from an mlpredict_metrics_zone. The test
drives good requests (single rows and batches) and client errors (invalid
JSON, an unknown feature, a wrong Content-Type, a wrong method), then:
  1. Debian's `promtool check metrics` accepts the /metrics text;
  2. the counters equal what was sent, though both workers answered (their
     pids in the access log), the histograms' counts too, and the info
     metric carries the file's CRC-32 as zlib computes it;
  3. after `nginx -s reload` (SIGHUP) and new workers, more requests add to
     the same counters;
  4. a real Prometheus server (Debian's, own data directory, scraping every
     second) scrapes /metrics, and its HTTP API answers the query on the
     driven counter with the value sent.
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
import time
import urllib.error
import urllib.parse
import urllib.request
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")

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


def request(url, body=None, method=None, ctype="application/json"):
    headers = {"Connection": "close"}
    if body is not None:
        headers["Content-Type"] = ctype
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def wait_port(port, seconds=10):
    end = time.time() + seconds
    while time.time() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.05)
    return False


def parse_metrics(text):
    """{(name, frozenset(labels)): value}, by the text format's grammar."""
    out = {}
    line_re = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
    label_re = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = line_re.match(line)
        if not m:
            raise ValueError("unparsable line %r" % line)
        labels = frozenset(label_re.findall(m.group(3) or ""))
        out[(m.group(1), labels)] = float(m.group(4))
    return out


def value(metrics, name, **labels):
    for (n, ls), v in metrics.items():
        if n == name and set(labels.items()) <= set(ls):
            return v
    return None


def parse_args():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module", required=True)
    ap.add_argument("--promtool", default="/usr/bin/promtool")
    ap.add_argument("--prometheus", default="/usr/bin/prometheus")
    args = ap.parse_args()
    args.module = os.path.abspath(args.module)
    return args


def main():
    args = parse_args()

    tmp = tempfile.mkdtemp(prefix="mlp-metrics-")
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    nginx = prom = None

    try:
        for d in ("logs", "conf"):
            os.mkdir(os.path.join(tmp, d))
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
    log_format ml '$pid $status $mlpredict_model $mlpredict_model_version '
                  '$mlpredict_rows $mlpredict_prediction $mlpredict_core_us '
                  '$mlpredict_error';
    access_log logs/access.log ml;
    mlpredict_metrics_zone mlpredict 1m;
    server {
        listen 127.0.0.1:%d reuseport;
        location = /iris { mlpredict %s/iris.mlp; }
        location = /diabetes { mlpredict %s/diabetes.mlp; }
        location = /metrics { mlpredict_metrics; }
    }
}
""" % (args.module, port, MODELS, MODELS))

        nginx = subprocess.Popen([args.nginx, "-p", tmp + "/", "-c",
                                  "conf/nginx.conf"])
        check(wait_port(port), "nginx listens")
        if failed:
            return 1

        with open(os.path.join(MODELS, "iris.mlp"), "rb") as f:
            iris_crc = zlib.crc32(f.read()[32:])

        iris = base + "/iris"
        row = json.dumps({"features": [5.1, 3.5, 1.4, 0.2]}).encode()
        batch = json.dumps({"instances": [[5.1, 3.5, 1.4, 0.2],
                                          [6.7, 3.0, 5.2, 2.3],
                                          [5.9, 3.0, 4.2, 1.5]]}).encode()
        sent = {"2xx": 0, "4xx": 0, "rows": 0, "core": 0,
                "invalid_input": 0, "unsupported_media_type": 0,
                "method_not_allowed": 0}

        def drive(rounds):
            for _ in range(rounds):
                st, _, _ = request(iris, row)
                check_status(st, 200)
                sent["2xx"] += 1
                sent["rows"] += 1
                sent["core"] += 1
                st, _, _ = request(iris, batch)
                check_status(st, 200)
                sent["2xx"] += 1
                sent["rows"] += 3
                sent["core"] += 1
            for body in (b"{not json", b'{"petal": 1}'):
                st, _, _ = request(iris, body)
                check_status(st, 400)
                sent["4xx"] += 1
                sent["core"] += 1
                sent["invalid_input"] += 1
            st, _, _ = request(iris, row, ctype="text/plain")
            check_status(st, 415)
            sent["4xx"] += 1
            sent["unsupported_media_type"] += 1
            st, _, _ = request(iris, row, method="PUT")
            check_status(st, 405)
            sent["4xx"] += 1
            sent["method_not_allowed"] += 1

        statuses = []

        def check_status(st, want):
            statuses.append((st, want))

        drive(40)
        check(all(s == w for s, w in statuses),
              "the driven requests answer as expected",
              repr([p for p in statuses if p[0] != p[1]][:5]))

        def scrape_counted():
            """Scrape until every driven request is counted: a worker
            counts one in its log phase, after the answer has left, so a
            scrape answered by the other worker may come first."""
            end = time.time() + 3
            while True:
                st, hdrs, body = request(base + "/metrics")
                m = parse_metrics(body.decode())
                counted = sum(value(m, "mlpredict_requests_total",
                                    status_class=c, model="iris",
                                    version="1") or 0
                              for c in ("2xx", "4xx", "5xx"))
                if counted >= sent["2xx"] + sent["4xx"] \
                        or time.time() > end:
                    return st, hdrs, body, m
                time.sleep(0.05)

        st, hdrs, body, _ = scrape_counted()
        text = body.decode()
        check(st == 200 and hdrs["Content-Type"].startswith(
              "text/plain; version=0.0.4"),
              "/metrics: 200, text/plain; version=0.0.4",
              "%s %s" % (st, hdrs["Content-Type"]))

        pt = subprocess.run([args.promtool, "check", "metrics"],
                            input=body, capture_output=True)
        check(pt.returncode == 0, "promtool check metrics accepts the text",
              (pt.stdout + pt.stderr).decode()[-2000:])

        # the text format: a family's lines together, HELP and TYPE first
        fams, seen, grouped = [], set(), True
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                fam = line.split()[2]
            elif line.startswith("#") or not line:
                continue
            else:
                fam = re.sub(r"_(bucket|sum|count)$", "",
                             re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*",
                                      line).group(0))
            if not fams or fams[-1] != fam:
                if fam in seen:
                    grouped = False
                fams.append(fam)
                seen.add(fam)
        check(grouped and len(fams) == 7, "each family's lines together, "
              "after its HELP and TYPE (2 models)", repr(fams))

        m = parse_metrics(text)

        def expect(label, name, want, **labels):
            got = value(m, name, **labels)
            check(got == want, "%s: %s = %s" % (label, name, want),
                  "got %r" % got)

        def expect_all(label):
            lab = {"model": "iris", "version": "1"}
            expect(label, "mlpredict_requests_total", sent["2xx"],
                   status_class="2xx", **lab)
            expect(label, "mlpredict_requests_total", sent["4xx"],
                   status_class="4xx", **lab)
            expect(label, "mlpredict_requests_total", 0,
                   status_class="5xx", **lab)
            expect(label, "mlpredict_predicted_rows_total", sent["rows"],
                   **lab)
            for reason in ("invalid_input", "unsupported_media_type",
                           "method_not_allowed"):
                expect(label, "mlpredict_errors_total", sent[reason],
                       reason=reason, **lab)
            expect(label, "mlpredict_errors_total", 0, reason="internal",
                   **lab)
            expect(label, "mlpredict_request_duration_seconds_count",
                   sent["2xx"] + sent["4xx"], **lab)
            expect(label, "mlpredict_request_duration_seconds_bucket",
                   sent["2xx"] + sent["4xx"], le="+Inf", **lab)
            expect(label, "mlpredict_core_duration_seconds_count",
                   sent["core"], **lab)
            s = value(m, "mlpredict_core_duration_seconds_sum", **lab)
            check(s is not None and 0 < s < sent["core"],
                  label + ": core time sum positive, under 1 s a request",
                  repr(s))
            expect(label, "mlpredict_requests_total", 0, model="diabetes",
                   status_class="2xx")
            expect(label, "mlpredict_model_info", 1,
                   checksum="crc32:%08x" % iris_crc, **lab)

        expect_all("before reload")

        with open(os.path.join(tmp, "logs", "access.log")) as f:
            lines = [line.split() for line in f]
        pids = {w[0] for w in lines if w[2] == "iris"}
        check(len(pids) == 2, "both workers answered iris", repr(pids))

        # the access log variables, one line per kind of request sent
        st, _, body = request(iris, row)
        first = json.loads(body)["prediction"]
        sent["2xx"] += 1
        sent["rows"] += 1
        sent["core"] += 1
        kinds = {}
        for w in lines:
            if w[2] == "iris":
                    kinds.setdefault((w[1], w[4], w[7]), w)
        got = sorted(" ".join(w[1:5] + [w[5], "N" if w[6].isdigit() else
                                        w[6], w[7]]) for w in kinds.values())
        want = sorted([
            "200 iris 1 1 %s N -" % first,      # one row
            "200 iris 1 3 %s N -" % first,      # a batch, same first row
            "400 iris 1 0 - N invalid_input",   # the core refused it
            "415 iris 1 - - - unsupported_media_type",
            "405 iris 1 - - - method_not_allowed",
        ])
        check(got == want, "access log: model, version, rows, first "
              "prediction, core us, error reason", "%r != %r" % (got, want))

        # a reload: new workers, the same zone, the counts carry on
        with open(os.path.join(tmp, "logs", "nginx.pid")) as f:
            master = int(f.read())
        old = set(subprocess.run(["pgrep", "-P", str(master)],
                                 capture_output=True, text=True)
                  .stdout.split())
        load_before = value(m, "mlpredict_model_load_timestamp_seconds",
                            model="iris")
        time.sleep(1.1)
        os.kill(master, signal.SIGHUP)
        end = time.time() + 15
        new = old
        while time.time() < end:
            new = set(subprocess.run(["pgrep", "-P", str(master)],
                                     capture_output=True, text=True)
                      .stdout.split())
            if len(new) == 2 and not (new & old):
                break
            time.sleep(0.1)
        check(len(new) == 2 and not (new & old), "reload: two new workers",
              "old %r new %r" % (old, new))

        drive(10)
        st, _, body, m = scrape_counted()
        expect_all("after reload")
        load_after = value(m, "mlpredict_model_load_timestamp_seconds",
                           model="iris")
        check(load_before is not None and load_after is not None
              and load_after > load_before,
              "reload: the load time moves on", "%r %r" % (load_before,
                                                           load_after))

        # a real Prometheus scrapes it
        pport = free_port()
        with open(os.path.join(tmp, "prometheus.yml"), "w") as f:
            f.write("""global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: mlpredict
    metrics_path: /metrics
    static_configs:
      - targets: ["127.0.0.1:%d"]
""" % port)
        plog = open(os.path.join(tmp, "prometheus.log"), "w")
        prom = subprocess.Popen(
            [args.prometheus, "--config.file=" + tmp + "/prometheus.yml",
             "--storage.tsdb.path=" + tmp + "/tsdb",
             "--web.listen-address=127.0.0.1:%d" % pport],
            stdout=plog, stderr=subprocess.STDOUT)
        check(wait_port(pport, 30), "prometheus listens")

        q = ('mlpredict_requests_total{job="mlpredict",model="iris",'
             'version="1",status_class="2xx"}')
        url = ("http://127.0.0.1:%d/api/v1/query?" % pport
               + urllib.parse.urlencode({"query": q}))
        got = None
        end = time.time() + 40
        while time.time() < end:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    ans = json.loads(r.read())
                res = ans["data"]["result"]
                if res:
                    got = float(res[0]["value"][1])
                    if got == sent["2xx"]:
                        break
            except (OSError, ValueError, KeyError):
                pass
            time.sleep(0.5)
        check(got == sent["2xx"],
              "prometheus' query API answers %s = %d" % (q, sent["2xx"]),
              "got %r" % got)

        q = 'sum(mlpredict_errors_total{job="mlpredict",model="iris"})'
        url = ("http://127.0.0.1:%d/api/v1/query?" % pport
               + urllib.parse.urlencode({"query": q}))
        with urllib.request.urlopen(url, timeout=5) as r:
            res = json.loads(r.read())["data"]["result"]
        check(res and float(res[0]["value"][1]) == sent["4xx"],
              "prometheus: sum of errors by reason = the 4xx sent",
              repr(res))
    finally:
        for p in (prom, nginx):
            if p is not None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
        if failed:
            for log in ("logs/error.log", "prometheus.log"):
                path = os.path.join(tmp, log)
                if os.path.exists(path):
                    with open(path) as f:
                        sys.stdout.write("--- %s (tail)\n" % log
                                         + "".join(f.readlines()[-20:]))
        shutil.rmtree(tmp, ignore_errors=True)


def labels_and_routes(args):
    """Labels nginx -t refuses (two files one label; a name over 64 bytes),
    and a protocol route's inference counted under its model."""
    tmp = tempfile.mkdtemp(prefix="mlp-metrics-labels-")
    nginx = None
    try:
        for d in ("logs", "conf", "a", "b"):
            os.mkdir(os.path.join(tmp, d))
        for d in ("a", "b"):
            shutil.copy(os.path.join(MODELS, "iris.mlp"),
                        os.path.join(tmp, d, "iris.mlp"))
        long_name = "m" * 70
        shutil.copy(os.path.join(MODELS, "iris.mlp"),
                    os.path.join(tmp, long_name + ".mlp"))

        def conf(body):
            with open(os.path.join(tmp, "conf", "nginx.conf"), "w") as f:
                f.write("""
load_module %s;
daemon off;
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    mlpredict_metrics_zone mlpredict 1m;
%s
}
""" % (args.module, body))

        def nginx_t():
            p = subprocess.run([args.nginx, "-t", "-p", tmp + "/", "-c",
                                "conf/nginx.conf"], capture_output=True,
                               text=True)
            return p.returncode, p.stderr

        conf("""    server {
        listen 127.0.0.1:1;
        location = /a { mlpredict %s/a/iris.mlp; }
        location = /b { mlpredict %s/b/iris.mlp; }
    }""" % (tmp, tmp))
        rc, err = nginx_t()
        check(rc != 0 and "share the label" in err and "iris" in err,
              "nginx -t refuses two model files one metrics label",
              err[-300:])

        conf("""    server {
        listen 127.0.0.1:1;
        location = /l { mlpredict %s/%s.mlp; }
    }""" % (tmp, long_name))
        rc, err = nginx_t()
        check(rc != 0 and "over 64 bytes" in err,
              "nginx -t refuses a file name making a label over 64 bytes",
              err[-300:])

        port = free_port()
        conf("""    mlpredict_model linnerud %s/linnerud.mlp;
    mlpredict_model lnr %s/linnerud.mlp version=3;
    server {
        listen 127.0.0.1:%d;
        location /v2 {
            mlpredict_api;
            add_header X-Prediction $mlpredict_prediction;
            add_header X-Model "$mlpredict_model $mlpredict_model_version";
        }
        location = /metrics { mlpredict_metrics; }
    }""" % (MODELS, MODELS, port))
        nginx = subprocess.Popen([args.nginx, "-p", tmp + "/", "-c",
                                  "conf/nginx.conf"])
        check(wait_port(port), "nginx listens (protocol routes)")
        body = json.dumps({"inputs": [{
            "name": "input-0", "shape": [2, 3], "datatype": "FP64",
            "data": [5.0, 162.0, 60.0, 2.0, 110.0, 43.0]}]}).encode()
        url = "http://127.0.0.1:%d/v2/models/linnerud/infer" % port
        sts = [request(url, body)[0] for _ in range(3)]
        sts.append(request(url, b"{bad")[0])
        st_l, h_l, b_l = request("http://127.0.0.1:%d/v2/models/lnr/"
                                 "versions/3/infer" % port, body)
        sts.append(st_l)
        first = json.loads(b_l)["outputs"][0]["data"][0]
        check(h_l.get("X-Model") == "lnr 3"
              and h_l.get("X-Prediction") is not None
              and abs(float(h_l["X-Prediction"]) - first)
              <= 1e-12 * max(1.0, abs(first)),
              "a route's $mlpredict_model, _version and _prediction",
              "%r %r, first %r" % (h_l.get("X-Model"),
                                   h_l.get("X-Prediction"), first))
        st, _, text = request("http://127.0.0.1:%d/metrics" % port)
        m = parse_metrics(text.decode() if isinstance(text, bytes) else text)
        before = [l for l in (text.decode() if isinstance(text, bytes)
                              else text).splitlines()
                  if l.startswith("mlpredict_model_info")]

        # a reload that fails after the zone is set up (a port in use):
        # the running workers' model_info must not change
        busy = socket.socket()
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        os.mkdir(os.path.join(tmp, "c"))
        shutil.copy(os.path.join(MODELS, "diabetes.mlp"),
                    os.path.join(tmp, "c", "linnerud.mlp"))
        conf("""    mlpredict_model linnerud %s/c/linnerud.mlp;
    server {
        listen 127.0.0.1:%d;
        listen 127.0.0.1:%d;
        location /v2 { mlpredict_api; }
        location = /metrics { mlpredict_metrics; }
    }""" % (tmp, port, busy.getsockname()[1]))
        nginx.send_signal(signal.SIGHUP)
        time.sleep(2)
        st2, _, text2 = request("http://127.0.0.1:%d/metrics" % port)
        busy.close()
        after = [l for l in text2.decode().splitlines()
                 if l.startswith("mlpredict_model_info")]
        check(st2 == 200 and before and after == before,
              "a refused reload leaves mlpredict_model_info as it was",
              "%r then %r" % (before, after))

        # a model renamed at every deployment, in a zone of 32k (about 48
        # slots): 70 reloads, every one taken, the last model counted
        ok_reloads = 0
        for n in range(70):
            shutil.copy(os.path.join(MODELS, "linnerud.mlp"),
                        os.path.join(tmp, "linnerud_%d.mlp" % n))
            with open(os.path.join(tmp, "conf", "nginx.conf"), "w") as f:
                f.write("""
load_module %s;
daemon off;
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 64; }
http {
    access_log off;
    mlpredict_metrics_zone mlpredict 32k;
    mlpredict_model m %s/linnerud_%d.mlp;
    server {
        listen 127.0.0.1:%d;
        location /v2 { mlpredict_api; }
        location = /metrics { mlpredict_metrics; }
    }
}
""" % (args.module, tmp, n, port))
            nginx.send_signal(signal.SIGHUP)
            deadline = time.time() + 3
            while time.time() < deadline:
                st3, _, t3 = request("http://127.0.0.1:%d/metrics" % port)
                if st3 == 200 and ('model="linnerud_%d"' % n) in \
                        t3.decode():
                    ok_reloads += 1
                    break
                time.sleep(0.02)
            if ok_reloads <= n:
                break
        check(ok_reloads == 70, "70 reloads renaming the model in a 32k "
              "zone: every one taken", "the first %d" % ok_reloads)

        check(value(m, "mlpredict_requests_total", model="lnr",
                    version="3", status_class="2xx") == 1,
              "a named model counted under its configured name and version",
              "%r" % [k for k in m if ("model", "lnr") in k[1]][:3])
        check(sts == [200, 200, 200, 400, 200]
              and value(m, "mlpredict_requests_total", model="linnerud",
                        status_class="2xx") == 3
              and value(m, "mlpredict_predicted_rows_total",
                        model="linnerud") == 6
              and value(m, "mlpredict_errors_total", model="linnerud",
                        reason="invalid_input") == 1,
              "v2 inferences counted under their model: 3 answered, 6 "
              "rows, 1 invalid input", "%r" % sts)
    finally:
        if nginx is not None:
            nginx.terminate()
            try:
                nginx.wait(timeout=15)
            except subprocess.TimeoutExpired:
                nginx.kill()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    rc = main()
    labels_and_routes(parse_args())
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if rc or failed else 0)
