#!/usr/bin/python3
"""50 reloads under load, alternating two valid models and a corrupt one,
beside nginx's own `return 200`.

    /usr/bin/python3 t/reload50.py --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so --cli build/mlpredict

nginx (master + 2 workers, our child, 127.0.0.1 only) serves model.mlp at
/m and `return 200` at /r, in the same server. model.mlp is replaced (a
file written beside it, renamed over it) and nginx sent SIGHUP 50 times,
the new file in turn the other valid model, the first again, and a corrupt
one (a byte flipped: its checksum fails), while client threads POST the
same row to /m and GET /r without pause, three kinds of client for each
location:
  - a new connection per request: 0 failures expected for both;
  - keep-alive, retrying once a request on a reused connection that the
    server closed before any byte of an answer (as HTTP clients do for
    idempotent requests: a prediction is one): 0 failures expected;
  - keep-alive without the retry: what nginx drops by closing the old
    workers' idle connections. Counted for both locations side by side;
    every such failure must be that close (no answer byte on a reused
    connection), never a wrong answer, a 5xx or a cut answer.
Checks: every answer of /m exactly v1's or v2's (`mlpredict predict` on
each file); each valid reload switches the answers and the checksum the
metadata shows; each corrupt reload is refused with the path and the
reason in the log and the model before it keeps serving (the same
workers); once old workers exit, no process maps a copy of an old model
(/memfd:mlpredict: lines in /proc/PID/maps: one a process, all the same
copy); the master's fd count, maps count and RSS the same after the last
reload as after the warm-up (the first 5). Ends with "N passed, N failed".
"""

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import endurance as E  # noqa: E402

RELOADS = 50
WARM = 5
MAX_SECONDS = 150
MAX_REQUESTS = 2000000


class Load(E.Threads):
    """Client threads of each kind on each location, counting."""

    KINDS = ("new connection", "keep-alive + retry", "keep-alive")

    def __init__(self, host, port, body, wants):
        self.host, self.port = host, port
        self.body, self.wants = body, wants
        super().__init__()
        self.count = {}       # (path, kind) -> [answers, failures]
        self.bad = []         # anything but nginx's close of an idle one
        self.retried = {}     # (path, kind) -> retries
        self.seen = {}        # body -> count, for /m
        for path in ("/m", "/r"):
            for kind in self.KINDS:
                self.count[(path, kind)] = [0, 0]
                self.retried[(path, kind)] = 0
                self.threads.append(threading.Thread(
                    target=self.run, args=(path, kind), daemon=True))

    def send(self, c, path):
        if path == "/m":
            return c.request("POST", path, self.body,
                             {"Content-Type": "application/json"})
        return c.request("GET", path)

    def run(self, path, kind):
        c = E.Client(self.host, self.port)
        used = 0              # requests so far on the open connection
        n = 0
        key = (path, kind)
        while not self.stop.is_set() and n < MAX_REQUESTS:
            n += 1
            if kind == "new connection":
                c.close()
                used = 0
            tries = 2 if kind == "keep-alive + retry" else 1
            for attempt in range(tries):
                reused = used > 0 and c.conn is not None
                try:
                    st, h, body = self.send(c, path)
                    err = None
                except Exception as e:
                    st, body, err = None, b"", e
                used = used + 1 if c.conn is not None else 0
                if err is None:
                    break
                used = 0
                # the server closed a reused connection before answering:
                # nginx's close of an idle keep-alive connection
                idle_close = reused and isinstance(
                    err, (ConnectionResetError, BrokenPipeError,
                          ConnectionAbortedError,
                          E.http.client.RemoteDisconnected))
                if not idle_close:
                    break
                if attempt + 1 < tries:
                    with self.lock:
                        self.retried[key] += 1
            with self.lock:
                if err is None and st == 200 and (
                        path == "/r" or body in self.wants):
                    self.count[key][0] += 1
                    if path == "/m":
                        self.seen[body] = self.seen.get(body, 0) + 1
                    continue
                self.count[key][1] += 1
                if err is None or not idle_close:
                    if len(self.bad) < 20:
                        self.bad.append("%s %s: %s" % (
                            path, kind, repr(err) if err else
                            "%d %r" % (st, body[:200])))
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--reloads", type=int, default=RELOADS)
    args = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="mlp-reload50-")
    port = args.port or E.free_port()
    host = "127.0.0.1"
    served = os.path.join(tmp, "model.mlp")
    ngx = E.Nginx(args.nginx, args.module, tmp, """
    server {
        listen %s:%d;
        location = /m { mlpredict %s; }
        location = /r { return 200 "ok\\n"; }
    }
""" % (host, port, served), host, port, workers=2)
    load = None
    try:
        files, body, want, sums = E.two_models(tmp, args.cli)
        shutil.copy(files["v1"], served)
        E.check(want["v1"] != want["v2"], "the two models answer "
                "differently")

        ngx.start()
        master = ngx.master()

        def answer():
            return E.one(host, port, "POST", "/m", body,
                         {"Content-Type": "application/json"})[2]

        def checksum():
            return json.loads(E.one(host, port, "GET", "/m")[2])["checksum"]

        E.check(answer() == want["v1"], "serves v1 at start")

        load = Load(host, port, body, (want["v1"], want["v2"]))
        t0 = time.time()
        load.start()
        time.sleep(0.5)

        current = "v1"
        counts = {"valid": 0, "refused": 0, "switched": 0, "kept": 0}
        problems = []
        all_old = []
        master_base = None
        order = ["v2", "v1", "corrupt"]
        done = 0
        for i in range(args.reloads):
            if time.time() - t0 > MAX_SECONDS:
                problems.append("out of time after %d reloads" % i)
                break
            new = order[i % 3]
            if new == current:          # never a reload onto the same
                new = "v2" if current == "v1" else "v1"
            before = ngx.workers()
            emerg = ngx.log_text().count("[emerg]")
            shutil.copy(files[new], os.path.join(tmp, "new"))
            os.replace(os.path.join(tmp, "new"), served)
            ngx.reload()
            end = time.time() + 15
            if new == "corrupt":
                while ngx.log_text().count("[emerg]") == emerg \
                        and time.time() < end:
                    time.sleep(0.02)
                log = ngx.log_text()
                if log.count("[emerg]") == emerg + 1 and \
                        "checksum mismatch" in log.split("[emerg]")[-1] \
                        and served in log.split("[emerg]")[-1]:
                    counts["refused"] += 1
                else:
                    problems.append("reload %d: corrupt file not refused "
                                    "as it should be" % (i + 1))
                time.sleep(0.1)
                if ngx.workers() == before and answer() == want[current] \
                        and checksum() == sums[current]:
                    counts["kept"] += 1
                else:
                    problems.append("reload %d: after the refusal %s no "
                                    "longer serves" % (i + 1, current))
            else:
                counts["valid"] += 1
                in_a_row = 0
                while in_a_row < 10 and time.time() < end:
                    in_a_row = in_a_row + 1 \
                        if checksum() == sums[new] else 0
                    time.sleep(0.01)
                if in_a_row >= 10 and answer() == want[new]:
                    counts["switched"] += 1
                    current = new
                else:
                    problems.append("reload %d: answers did not switch to "
                                    "%s" % (i + 1, new))
                    current = new
                all_old += before
            done += 1
            if i + 1 == WARM:
                # the master after the warm-up: a few reloads of each kind
                time.sleep(0.3)
                master_base = (E.fd_count(master), len(E.maps(master)),
                               E.rss_kb(master))
        elapsed = time.time() - t0
        time.sleep(0.5)
        load.finish()

        print("#       %d reloads in %.1f s: %d valid (%d switched), %d "
              "corrupt (%d refused, the model before kept serving %d "
              "times)" % (done, elapsed, counts["valid"],
                          counts["switched"], done - counts["valid"],
                          counts["refused"], counts["kept"]))
        E.check(not problems and counts["switched"] == counts["valid"]
                and counts["refused"] == counts["kept"]
                == sum(1 for i in range(args.reloads) if i % 3 == 2),
                "every valid reload switched, every corrupt one refused "
                "with the path and reason while the model before served",
                "; ".join(problems[:5]))

        for path in ("/m", "/r"):
            print("#       %s: %s" % (path, ", ".join(
                "%s %d answered %d failed%s" % (
                    k, load.count[(path, k)][0], load.count[(path, k)][1],
                    " (%d retried)" % load.retried[(path, k)]
                    if k == "keep-alive + retry" else "")
                for k in Load.KINDS)))
        E.check(not load.bad, "no wrong answer, 5xx or cut answer: every "
                "failure is nginx closing a reused idle connection",
                "; ".join(load.bad[:5]))
        # a reload closes the old workers' idle keep-alive connections, as
        # for `return 200`; a client's new connection can still be
        # accepted by an old worker as it stops and be closed once more
        # (CI saw 35 for `return 200` in 34 reloads): at most two a valid
        # reload, /m as /r, and every one of them an idle close (above)
        E.check(all(load.count[(p, "keep-alive")][1] <= 2 * counts["valid"]
                    for p in ("/m", "/r")),
                "keep-alive clients without the retry: at most two failures "
                "a valid reload (nginx closing the old workers' idle "
                "connections), /m as /r",
                "/m %d, /r %d failed in %d valid reloads" % (
                    load.count[("/m", "keep-alive")][1],
                    load.count[("/r", "keep-alive")][1], counts["valid"]))
        for kind in Load.KINDS[:2]:
            E.check(all(load.count[(p, kind)][1] == 0 and
                        load.count[(p, kind)][0] > 0 for p in ("/m", "/r")),
                    "%s clients: 0 failures, /m and /r" % kind,
                    "/m %r, /r %r" % (load.count[("/m", kind)],
                                      load.count[("/r", kind)]))
        seen = {("v1" if b == want["v1"] else "v2"): n
                for b, n in load.seen.items()}
        print("#       /m answers: %r" % seen)
        E.check(set(load.seen) <= {want["v1"], want["v2"]} and len(seen) == 2,
                "every answer of /m exactly v1's or v2's, both seen")

        # old workers exit once their requests are done; then no process
        # maps anything but the one copy the configuration holds
        end = time.time() + 20
        while time.time() < end and any(os.path.exists("/proc/%d" % p)
                                        for p in all_old):
            time.sleep(0.1)
        left = [p for p in all_old if os.path.exists("/proc/%d" % p)]
        E.check(not left, "the %d old workers exited" % len(all_old),
                repr(left))
        procs = [master] + ngx.workers()
        lines = {p: E.memfd_maps(p) for p in procs}
        inodes = {m.split()[4] for ls in lines.values() for m in ls}
        E.check(all(len(ls) == 1 for ls in lines.values())
                and len(inodes) == 1,
                "master and workers map one copy of the model, the same "
                "(old copies gone)", repr(lines))
        after = (E.fd_count(master), len(E.maps(master)), E.rss_kb(master))
        print("#       master after %d reloads: %d fds, %d maps, RSS %d kB; "
              "after the last: %d fds, %d maps, RSS %d kB"
              % ((WARM,) + master_base + after))
        E.check(after[0] == master_base[0], "the master's fd count the same "
                "after %d more reloads" % (args.reloads - WARM))
        E.check(after[1] == master_base[1], "the master's maps count the "
                "same")
        E.check(after[2] <= master_base[2] * 1.01, "the master's RSS the "
                "same (< 1% growth)")
        log = ngx.log_text()
        E.check(not E.exited_on_signal(log), "no worker exited on a signal")
        above = [line for line in E.above_info(log) if "[notice]" not in
                 line and not (re.search(r"\[emerg\] .*checksum mismatch",
                                         line))]
        E.check(not above, "nothing above notice in the log but the refused "
                "reloads", "\n".join(above[:5]))
        E.check(ngx.alive(), "nginx still running")
    finally:
        if load is not None:
            load.finish()
        ngx.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return E.summary()


if __name__ == "__main__":
    sys.exit(main())
