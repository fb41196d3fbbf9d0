#!/usr/bin/python3
"""Bad requests of every kind through nginx and the module, for
`make asan-test` (the module built with AddressSanitizer and
UndefinedBehaviorSanitizer, which abort the worker on any finding).

    /usr/bin/python3 t/asan_corpus.py --nginx NGINX --module SO \
        [--corpus DIR]

nginx (master + 1 worker, our child) serves every kind of model. Each file
of the fuzzers' seed corpora (ngx_http_mlpredict_module/test/corpus/*) and,
when DIR is given, of the corpora libFuzzer grew there (build/corpus/*),
goes as a POST body to every model; then hostile HTTP: truncated and broken
chunked bodies, lying Content-Lengths, a client gone mid-body, huge and
deep JSON, CSV-like and binary bodies, a variable fed hostile arguments.
Every answer must be under 500 (413 and 400 as the module documents), the
worker must never die ("exited on signal" in the error log), and a valid
request must still be answered at the end. Bounded: at most 4000 bodies,
127.0.0.1 only. Ends with "N passed, N failed".
"""

import argparse
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")
SEEDS = os.path.join(ROOT, "ngx_http_mlpredict_module", "test", "corpus")
MAX_BODIES = 4000

LOCATIONS = ["iris", "churn", "churn_hgb", "iris_svc", "breast_cancer_forest",
             "diabetes", "linnerud", "iris_libsvm"]

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
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def raw(port, data, timeout=10):
    """Send bytes, read until the server closes or times out: the status."""
    s = socket.create_connection(("127.0.0.1", port), timeout)
    try:
        s.sendall(data)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                break
            if not b:
                break
            out += b
    finally:
        s.close()
    if not out.startswith(b"HTTP/1."):
        return None, out
    return int(out.split(b" ", 2)[1]), out


def post(port, path, body, ctype=b"application/json"):
    req = (b"POST " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n"
           b"Content-Type: " + ctype + b"\r\nConnection: close\r\n"
           b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    return raw(port, req)


def bodies(corpus):
    dirs = [os.path.join(SEEDS, d) for d in sorted(os.listdir(SEEDS))]
    if corpus and os.path.isdir(corpus):
        dirs += [os.path.join(corpus, d) for d in sorted(os.listdir(corpus))]
    files = []
    for d in dirs:
        if os.path.isdir(d):
            files += [os.path.join(d, f) for f in sorted(os.listdir(d))]
    rng = random.Random(1)
    rng.shuffle(files)
    out = []
    for f in files[:MAX_BODIES]:
        with open(f, "rb") as fh:
            out.append((f, fh.read(1 << 20)))
    return out


def hostile():
    """(name, raw request) pairs nginx's HTTP layer and the body reader see."""
    h = b"POST /iris HTTP/1.1\r\nHost: t\r\nConnection: close\r\n"
    deep = b"[" * 100000
    return [
        ("chunked, broken size", h + b"Transfer-Encoding: chunked\r\n\r\n"
         b"zz\r\n{}\r\n0\r\n\r\n"),
        ("chunked, cut short", h + b"Transfer-Encoding: chunked\r\n\r\n"
         b"10\r\n{\"features\": "),
        ("chunked, many tiny chunks", h + b"Transfer-Encoding: chunked\r\n\r\n"
         + b"".join(b"1\r\n%c\r\n" % c for c in
                    b'{"features": [5.1, 3.5, 1.4, 0.2]}') + b"0\r\n\r\n"),
        ("Content-Length larger than the body", h
         + b"Content-Length: 1000\r\n\r\n{\"features\": [1,2,3,4]}"),
        ("Content-Length and chunked", h + b"Content-Length: 5\r\n"
         b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        ("negative Content-Length", h + b"Content-Length: -1\r\n\r\n"),
        ("deep nesting, 100 KB", h + b"Content-Length: %d\r\n\r\n"
         % len(deep) + deep),
        ("a NUL-riddled body", h + b"Content-Length: 64\r\n\r\n"
         + bytes(64)),
        ("random bytes", h + b"Content-Length: 4096\r\n\r\n"
         + random.Random(2).randbytes(4096)),
        ("form content type", h + b"Content-Type: application/x-www-form-"
         b"urlencoded\r\nContent-Length: 3\r\n\r\na=1"),
        ("GET with a body", b"GET /iris HTTP/1.1\r\nHost: t\r\nConnection: "
         b"close\r\nContent-Length: 2\r\n\r\n{}"),
        ("the variable, hostile arguments", b"GET /v?len=1e400&sa=nan&"
         b"pages=-0&mm=%00&t=" + b"9" * 5000 + b" HTTP/1.1\r\nHost: t\r\n"
         b"Connection: close\r\n\r\n"),
        ("the variable, no arguments", b"GET /v HTTP/1.1\r\nHost: t\r\n"
         b"Connection: close\r\n\r\n"),
    ]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module", required=True)
    ap.add_argument("--corpus")
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="mlpredict-asan-")
    port = free_port()
    proc = None
    try:
        os.makedirs(os.path.join(tmp, "logs"))
        os.makedirs(os.path.join(tmp, "conf"))
        # the worker (nobody, when we are root) buffers big bodies there
        os.chmod(tmp, 0o755)
        os.chmod(os.path.join(tmp, "logs"), 0o777)
        locs = "".join("        location = /%s { mlpredict %s/%s.mlp; }\n"
                       % (n, MODELS, n) for n in LOCATIONS)
        with open(os.path.join(tmp, "conf", "nginx.conf"), "w") as f:
            f.write("""
load_module %s;
daemon off;
master_process on;
worker_processes 1;
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path logs/body;
    client_max_body_size 2m;
    proxy_temp_path logs/proxy;
    fastcgi_temp_path logs/fastcgi;
    uwsgi_temp_path logs/uwsgi;
    scgi_temp_path logs/scgi;
    mlpredict_score %s/bot.mlp $bot {
        input request_length $arg_len;
        input session_age $arg_sa;
        input pages $arg_pages;
        input rate $arg_rate;
        input mouse_moves $arg_mm;
        input time_on_page $arg_t;
        input has_referer $arg_ref;
        input ua_family $arg_ua;
        input method $request_method;
        input http_version $server_protocol;
        class bot;
    }
    server {
        listen 127.0.0.1:%d;
        client_body_timeout 2s;
%s        location = /v { return 200 "[$bot]"; }
    }
}
""" % (args.module, MODELS, port, locs))
        proc = subprocess.Popen([args.nginx, "-p", tmp + "/", "-c",
                                 "conf/nginx.conf"])
        deadline = time.time() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise SystemExit("nginx did not start")
                time.sleep(0.1)

        valid = b'{"features": [5.1, 3.5, 1.4, 0.2]}'
        st, _ = post(port, "/iris", valid)
        check(st == 200, "a valid request at start", str(st))

        corpus = bodies(args.corpus)
        statuses, bad = {}, []
        t0 = time.time()
        for name, body in corpus:
            for loc in LOCATIONS:
                st, out = post(port, "/" + loc, body)
                statuses[st] = statuses.get(st, 0) + 1
                if st is None or st >= 500:
                    bad.append("%s to /%s: %s %r" % (
                        os.path.relpath(name, ROOT), loc, st, out[:200]))
        check(not bad, "%d corpus bodies to %d models: every answer under "
              "500" % (len(corpus), len(LOCATIONS)),
              "%d not: %s" % (len(bad), "; ".join(bad[:3])))
        print("#       statuses %s in %.0f s" % (
            ", ".join("%s: %d" % kv for kv in sorted(
                statuses.items(), key=lambda kv: str(kv[0]))),
            time.time() - t0))

        for name, req in hostile():
            st, out = raw(port, req)
            check(st is None or st < 500, "hostile: " + name,
                  "%s %r" % (st, out[:200]))

        # a client gone mid-body
        s = socket.create_connection(("127.0.0.1", port), 5)
        s.sendall(b"POST /churn HTTP/1.1\r\nHost: t\r\nContent-Length: "
                  b"100000\r\n\r\n" + b'{"instances": [' + b"1," * 1000)
        s.close()
        time.sleep(0.5)

        st, _ = post(port, "/iris", valid)
        check(st == 200, "a valid request at the end", str(st))
        with open(os.path.join(tmp, "logs", "error.log")) as f:
            log = f.read()
        check("exited on signal" not in log and "[alert]" not in log,
              "the worker never died", log[-2000:])
        # nginx logs a client's broken chunked body at error level itself
        errs = [l for l in log.splitlines()
                if ("[error]" in l or "[crit]" in l or "[emerg]" in l)
                and "client sent" not in l]
        check(not errs, "nothing logged above warn", "\n".join(errs[:5]))
        check(proc.poll() is None, "nginx is still running")
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(15)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
