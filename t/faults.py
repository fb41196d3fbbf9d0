#!/usr/bin/python3
"""Faults: each handled as nginx handles it for its own modules.

    /usr/bin/python3 t/faults.py --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so

nginx (master + 1 worker, our child, 127.0.0.1 only, sndbuf=4k on the
listen socket) serves a model at /m (and by name at /v2: the protocol
routes read bodies with their own handler) and beside it nginx's own: a
`proxy_pass` to a `return 200` location (/p: it reads the body first, as
the module does), a static file as large as the module's large answer,
and a DAV PUT location.
Each case is run against the module and against nginx's own location, and
must end the same way (status, or the connection closed unanswered), log
nothing above info but what nginx logs for its own location too and is a
real server fault, and leave the same worker serving (same pid, nothing
"exited on signal"); after each, a normal request is answered:
  1. the client closes mid-body (FIN, and RST);
  2. the client closes mid-answer: a batch whose answer is about 2 MB, read
     1 KB of it through a 4 KB receive buffer, then close (and RST);
     and a client that stops reading until send_timeout;
  3. a slow body, one byte a second: complete within client_body_timeout
     (2 s between bytes is allowed) it is answered; then one that stops
     until client_body_timeout: nginx closes it unanswered (its 408,
     terminated without an answer or a log line) 2 s after the last byte;
  4. a full disk for temp bodies (as root: a 256 KB tmpfs, the location's
     client_body_temp_path, filled; bodies over client_body_buffer_size):
     500 for both, nginx's crit "No space left on device", then 200 again
     once there is room; SKIP (said so) when not root or mount fails;
  5. worker_connections exhausted by requests mid-body, at the module and
     at nginx's DAV PUT (it reads a body too, and needs no connection more
     to answer, as a proxy does): new connections are closed by nginx (its
     alert "worker_connections are not enough"), the held requests are
     answered once their bodies end, and new requests are served again.
Ends with "N passed, N failed".
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

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import endurance as E  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = os.path.join(ROOT, "models")
HOST = "127.0.0.1"
CONNECTIONS = 32
ROW = [5.1, 3.5, 1.4, 0.2]
BIG_ROWS = 20000
V2 = "/v2/models/iris/infer"        # the protocol routes' own body handler


def conf(port, tmp, full):
    m = "mlpredict %s/iris.mlp; mlpredict_max_batch 100000;" % MODELS
    p = "proxy_pass http://%s:%d/r;" % (HOST, port)
    return """
    mlpredict_model iris %(models)s/iris.mlp;
    client_max_body_size 8m;
    client_body_buffer_size 8m;
    send_timeout 2s;
    server {
        listen %(host)s:%(port)d sndbuf=4k;
        location = /m { %(m)s }
        location = /p { %(p)s }
        location /v2 { mlpredict_api; client_body_timeout 2s; }
        location = /r { return 200 "ok\\n"; }
        location /dav/ { root %(tmp)s; dav_methods PUT; }
        location /static/ { root %(tmp)s; }
        location = /slow/m { %(m)s client_body_timeout 2s; }
        location = /slow/p { %(p)s client_body_timeout 2s; }
        location = /full/m {
            %(m)s
            client_body_temp_path %(full)s;
            client_body_buffer_size 1k;
        }
        location = /full/p {
            %(p)s
            client_body_temp_path %(full)s;
            client_body_buffer_size 1k;
        }
    }
""" % {"host": HOST, "port": port, "m": m, "p": p, "tmp": tmp,
       "full": full, "models": MODELS}


def head(method, path, length, extra=""):
    return ("%s %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            "Content-Length: %d\r\n%s\r\n" % (method, path, length,
                                              extra)).encode()


def connect(port, rcvbuf=None):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(15)
    s.connect((HOST, port))
    return s


def rst(s):
    """Close with a reset, not a FIN."""
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def read_answer(s, limit=30):
    """(status, body) of one answer, or (None, what came) when the server
    closed first."""
    data = b""
    end = time.time() + limit
    while time.time() < end:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        data += chunk
        if b"\r\n\r\n" in data:
            hdr, _, body = data.partition(b"\r\n\r\n")
            m = re.search(rb"content-length: *(\d+)", hdr, re.I)
            if m and len(body) >= int(m.group(1)):
                return int(hdr.split()[1]), body[:int(m.group(1))]
    if data.startswith(b"HTTP/"):
        return int(data.split()[1]), data.partition(b"\r\n\r\n")[2]
    return None, data


class Case:
    """A fault against one location: worker the same and the log's lines
    above info since the start, besides those `allow` matches."""

    def __init__(self, ngx, port, name):
        self.ngx, self.port, self.name = ngx, port, name

    def __enter__(self):
        self.workers = self.ngx.workers()
        self.since = self.ngx.log_size()
        return self

    def after(self, allow=(), want_allowed=False):
        # a normal request served, by the same worker
        st, _, body = E.one(HOST, self.port, "POST", "/m",
                            json.dumps({"features": ROW}).encode())
        time.sleep(0.2)
        above = self.ngx.log_above_info(self.since)
        extra = [line for line in above
                 if not any(re.search(a, line) for a in allow)]
        E.check(st == 200 and self.ngx.workers() == self.workers
                and not E.exited_on_signal(self.ngx.log_text()),
                "%s: the same worker serves after" % self.name,
                "%d, workers %r then %r" % (st, self.workers,
                                            self.ngx.workers()))
        E.check(not extra, "%s: nothing above info in the log%s"
                % (self.name, " but nginx's own fault lines" if allow
                   else ""), "\n".join(extra[:5]))
        if want_allowed:
            E.check(len(above) > len(extra), "%s: nginx logs the fault"
                    % self.name, "no line matching %r" % (allow,))
        return above

    def __exit__(self, *a):
        return False


def log_levels(ngx, since):
    """The levels and messages (no pids, paths or numbers) logged since."""
    with open(ngx.log, "rb") as f:
        f.seek(since)
        text = f.read().decode(errors="replace")
    out = []
    for line in text.splitlines():
        m = re.match(r"^\S+ \S+ \[(\w+)\] \d+#\d+: (?:\*\d+ )?([^,(]*)", line)
        if m and "mlpredict" not in m.group(2):
            out.append((m.group(1), m.group(2).strip()))
    return sorted(set(out))


def mid_body(ngx, port):
    for how in ("FIN", "RST"):
        seen = {}
        for path in ("/m", V2, "/p"):
            with Case(ngx, port, "client gone mid-body (%s) at %s"
                      % (how, path)) as c:
                since = ngx.log_size()
                s = connect(port)
                s.sendall(head("POST", path, 100000) + b'{"instances": [' +
                          b"[5.1, 3.5, 1.4, 0.2], " * 200)
                time.sleep(0.3)
                close(s, how)
                time.sleep(0.3)
                seen[path] = log_levels(ngx, since)
                c.after()
        E.check(seen["/m"] == seen[V2] == seen["/p"], "client gone "
                "mid-body (%s): the module's log (a model's location, v2) "
                "as nginx's proxy's: %r" % (how, seen["/m"]), repr(seen))


def close(s, how):
    if how == "RST":
        rst(s)
    else:
        s.close()


def ask_big(port, path, body):
    """The large answer asked for through a 4 KB receive buffer: the
    module's to a batch, or the static file."""
    s = connect(port, rcvbuf=4096)
    if path == "/m":
        s.sendall(head("POST", path, len(body)) + body)
    else:
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path).encode())
    return s


def mid_answer(ngx, port, big):
    body = json.dumps({"instances": [ROW] * BIG_ROWS}).encode()
    for how in ("FIN", "RST"):
        seen = {}
        for path in ("/m", "/static/big.json"):
            with Case(ngx, port, "client gone mid-answer (%s) at %s"
                      % (how, path)) as c:
                since = ngx.log_size()
                s = ask_big(port, path, body)
                got = s.recv(1024)
                time.sleep(0.3)
                close(s, how)
                time.sleep(0.5)
                seen[path] = log_levels(ngx, since)
                E.check(got.startswith(b"HTTP/1.1 200"), "%s: the answer "
                        "had begun" % c.name, repr(got[:100]))
                c.after()
        E.check(seen["/m"] == seen["/static/big.json"], "client gone "
                "mid-answer (%s): the module's log as the static file's: %r"
                % (how, seen["/m"]), "%r vs %r" % (seen["/m"],
                                                   seen["/static/big.json"]))
    # a client that stops reading: send_timeout (2 s)
    seen = {}
    for path in ("/m", "/static/big.json"):
        with Case(ngx, port, "client stops reading at %s" % path) as c:
            since = ngx.log_size()
            s = ask_big(port, path, body)
            time.sleep(3.5)
            seen[path] = log_levels(ngx, since)
            s.close()
            c.after()
    E.check(seen["/m"] == seen["/static/big.json"]
            and any("timed out" in m for _, m in seen["/m"]),
            "client stops reading: send_timeout closes it, the module as "
            "the static file: %r" % seen["/m"],
            "%r vs %r" % (seen["/m"], seen["/static/big.json"]))


def slow_body(ngx, port):
    row = json.dumps({"features": ROW}).encode()
    v2 = json.dumps({"inputs": [{"name": "x", "shape": [1, 4],
                                 "datatype": "FP64", "data": ROW}]}).encode()
    seen = {}
    for path in ("/slow/m", V2, "/slow/p"):
        body = v2 if path == V2 else row
        with Case(ngx, port, "slow body, complete, at %s" % path) as c:
            s = connect(port)
            s.sendall(head("POST", path, len(body)))
            for i in range(4):              # a byte a second, 4 s
                s.sendall(body[i:i + 1])
                time.sleep(1)
            s.sendall(body[4:])
            seen[path] = read_answer(s)
            s.close()
            c.after()
    E.check(seen["/slow/m"][0] == seen[V2][0] == seen["/slow/p"][0] == 200,
            "a body a byte a second, each within client_body_timeout: "
            "answered 200, as by the proxy", repr(seen))
    # then it stops: client_body_timeout (2 s)
    seen = {}
    logs = {}
    took = {}
    for path in ("/slow/m", V2, "/slow/p"):
        body = v2 if path == V2 else row
        with Case(ngx, port, "slow body, stopped, at %s" % path) as c:
            since = ngx.log_size()
            s = connect(port)
            s.sendall(head("POST", path, len(body)))
            for i in range(3):
                time.sleep(1)
                s.sendall(body[i:i + 1])
            t0 = time.time()
            seen[path] = read_answer(s, 10)
            took[path] = time.time() - t0
            logs[path] = log_levels(ngx, since)
            s.close()
            c.after()
    E.check(seen["/slow/m"] == seen[V2] == seen["/slow/p"] == (None, b"")
            and all(1.5 < t < 5 for t in took.values())
            and logs["/slow/m"] == logs[V2] == logs["/slow/p"],
            "a body that stops: client_body_timeout ends it, the module as "
            "the proxy (%r, %r)" % (seen["/slow/m"], logs["/slow/m"]),
            "%r, %r, %r" % (seen, logs, took))


def full_disk(ngx, port, full):
    if os.geteuid() != 0:
        print("SKIP    a full disk for temp bodies: not root (a tmpfs "
              "must be mounted)")
        return
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=1777",
                        "tmpfs", full], capture_output=True, text=True)
    if r.returncode != 0:
        print("SKIP    a full disk for temp bodies: mount failed: "
              + r.stderr.strip())
        return
    try:
        filler = os.path.join(full, "filler")
        fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            while os.write(fd, b"\0" * 4096) > 0:
                pass
        except OSError:
            pass
        os.close(fd)
        body = json.dumps({"instances": [ROW] * 4000}).encode()
        seen = {}
        allow = [r"\[crit\] .*No space left on device",
                 r"\[warn\] .* a client request body is buffered to a "
                 r"temporary file \S+/full/\d+, client"]
        for path in ("/full/m", "/full/p"):
            with Case(ngx, port, "full disk at %s" % path) as c:
                s = connect(port)
                try:
                    s.sendall(head("POST", path, len(body)) + body)
                except OSError:
                    pass
                seen[path] = read_answer(s)[0]
                s.close()
                c.after(allow, want_allowed=True)
        E.check(seen["/full/m"] == seen["/full/p"] == 500,
                "a full disk for temp bodies: 500, the module as the proxy",
                repr(seen))
        os.unlink(filler)
        st, _, got = E.one(HOST, port, "POST", "/full/m", body)
        E.check(st == 200 and got.count(b"setosa") >= BIG_ROWS // 5,
                "with room again the same body is answered", "%d" % st)
    finally:
        subprocess.run(["umount", full])


def exhausted(ngx, port):
    body = json.dumps({"features": ROW}).encode()
    # beside the module nginx's DAV PUT, which reads a body too and needs
    # no connection more to answer (a proxy does: its upstream's)
    for path in ("/m", "/dav/put.json"):
        method = "PUT" if path.startswith("/dav") else "POST"
        with Case(ngx, port, "worker_connections exhausted by %s" % path) \
                as c:
            held = []
            refused = 0
            # each held request mid-body: not a connection nginx may reuse
            for i in range(CONNECTIONS + 8):
                try:
                    s = connect(port)
                    s.sendall(head(method, path, len(body),
                                   "Connection: close\r\n") + body[:5])
                    held.append(s)
                    # nginx reads its headers before the next comes: a
                    # request, not a new connection it may close for room
                    time.sleep(0.02)
                except OSError:
                    refused += 1
            time.sleep(0.5)
            # more: accepted by the kernel, closed by nginx unanswered
            extra = []
            for i in range(3):
                try:
                    s = connect(port)
                    s.sendall(b"GET /r HTTP/1.1\r\nHost: x\r\n\r\n")
                    extra.append(read_answer(s, 3)[0])
                    s.close()
                except OSError:
                    extra.append(None)
            closed = [s for s in held if read_nothing(s)]
            # the rest of each body: every request nginx took is answered
            answers = []
            for s in held:
                if s in closed:
                    continue
                try:
                    s.sendall(body[5:])
                    answers.append(read_answer(s, 10))
                except OSError as e:
                    answers.append((None, repr(e).encode()))
                s.close()
            for s in closed:
                s.close()
            ok = [a for a in answers if a[0] in (201, 204) and
                  method == "PUT" or a[0] == 200 and b"setosa" in a[1]]
            print("#       %s: %d connections opened, %d closed by nginx, "
                  "%d held answered, 3 more: %r" % (
                      path, len(held), len(closed), len(ok),
                      ["closed" if x is None else x for x in extra]))
            # nginx closes what is over the limit: new connections (its
            # alert), or, if it found some it may reuse (a connection whose
            # request it has not read yet), those (its warn), and serves
            # the new ones
            E.check(len(ok) == len(answers) and len(ok) >= CONNECTIONS // 2
                    and closed and all(x in (None, 200) for x in extra),
                    "worker_connections exhausted at %s: nginx closes the "
                    "connections over it, every request it took answered"
                    % path, "%d of %d answered: %r; %d closed; %r"
                    % (len(ok), len(answers), answers[:3], len(closed),
                       extra))
            c.after([r"\[alert\] .* worker_connections are not enough",
                     r"\[warn\] .* worker_connections are not enough, "
                     r"reusing connections"], want_allowed=True)


def read_nothing(s):
    """True when the server closed s (nothing to read but the end)."""
    s.setblocking(False)
    try:
        return s.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        s.setblocking(True)
        s.settimeout(15)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="mlp-faults-")
    full = os.path.join(tmp, "full")
    os.makedirs(os.path.join(tmp, "static"))
    os.makedirs(os.path.join(tmp, "dav"))
    os.chmod(os.path.join(tmp, "dav"), 0o777)
    os.mkdir(full)
    port = args.port or E.free_port()
    ngx = E.Nginx(args.nginx, args.module, tmp, conf(port, tmp, full), HOST,
                  port, workers=1, connections=CONNECTIONS)
    try:
        ngx.start()
        # the static file as large as the module's large answer
        st, _, big = E.one(HOST, port, "POST", "/m", json.dumps(
            {"instances": [ROW] * BIG_ROWS}).encode())
        E.check(st == 200 and len(big) > 1000000, "the large answer: %d "
                "bytes" % len(big))
        os.chmod(os.path.join(tmp, "static"), 0o755)
        with open(os.path.join(tmp, "static", "big.json"), "wb") as f:
            f.write(big)
        os.chmod(os.path.join(tmp, "static", "big.json"), 0o644)

        mid_body(ngx, port)
        mid_answer(ngx, port, big)
        slow_body(ngx, port)
        full_disk(ngx, port, full)
        exhausted(ngx, port)
        E.check(ngx.alive(), "nginx still running")
    finally:
        ngx.stop()
        if os.path.ismount(full):
            subprocess.run(["umount", full])
        shutil.rmtree(tmp, ignore_errors=True)
    return E.summary()


if __name__ == "__main__":
    sys.exit(main())
