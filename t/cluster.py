#!/usr/bin/python3
"""Three backend hosts behind a front nginx: a model rolled out host by host
under load, a host taken down and brought back, with no failed request.

    /usr/bin/python3 t/cluster.py --nginx /usr/sbin/nginx \
        --module build/ngx_http_mlpredict_module.so --cli build/mlpredict

The test makes three network namespaces ("hosts"), each joined to the root
namespace by a veth pair with private addresses (10.231.N.1 in the root
namespace, 10.231.N.2 in the host; a /30 each, no default route inside,
nothing forwarded, and 10.231.0.0/16 unreachable in the root namespace
while the test runs, so that with a link down nothing to it takes the
default route: the addresses reach nothing beyond this machine). Each
host runs nginx with the module (master + 1 worker, its own prefix and copy
of model.mlp) on 10.231.N.2:8080. A front nginx in the root namespace, on
127.0.0.1, balances them:

    upstream hosts { server 10.231.N.2:8080 max_fails=1 fail_timeout=2s;
                     ... keepalive 16; }
    proxy_next_upstream error timeout http_502 http_503 non_idempotent;

(`non_idempotent`: a prediction is idempotent, so the front may send a POST
again to the next host; without it nginx retries a POST only when it could
not be sent.) While client threads POST a row through the front without
pause (keep-alive to the front):
  1. v2 is rolled out host by host: written beside model.mlp, renamed over
     it, SIGHUP to that host's master; the next host once this one answers
     with v2's checksum and fail_timeout has passed (the reload closes the
     old worker's idle keep-alive connections, and the front counts each
     as a failure of that host: rolled faster, every host can be out of the
     front's rotation at once, and it answers 502, "no live upstreams");
  2. host 2's nginx is stopped (SIGTERM: its connections cut) and started
     again after 3 s; host 3's link is set down for 3 s and up again;
     after each, the host serves through the front again.
Checks: 0 failed requests (every answer 200, exactly v1's or v2's, v2's
only once the roll-out is done), every host took requests after coming
back, no backend worker died. Without root, `ip`, or network namespaces it
prints SKIP with the reason and exits 0. The namespaces, links and every
nginx it started are removed on any exit (SIGINT and SIGTERM included).
Ends with "N passed, N failed".
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import endurance as E  # noqa: E402

HOSTS = 3
NET = "10.231"
MAX_SECONDS = 90
FAIL_TIMEOUT = 2


def ip(*args, check=True):
    return subprocess.run(["ip"] + list(args), capture_output=True,
                          text=True, check=check)


class Cluster:
    """The namespaces and links, removed by close() whatever happened."""

    def __init__(self):
        self.tag = "mlp%d" % (os.getpid() % 100000)
        self.ns = []
        self.links = []
        self.route = False

    def make(self):
        # with a link down its /30 has no route: without this one packets
        # to it would take the default route, off the machine
        ip("route", "add", "unreachable", NET + ".0.0/16")
        self.route = True
        for i in range(1, HOSTS + 1):
            ns = "%s-h%d" % (self.tag, i)
            host, peer = "%sh%d" % (self.tag, i), "%sp%d" % (self.tag, i)
            ip("netns", "add", ns)
            self.ns.append(ns)
            ip("link", "add", host, "type", "veth", "peer", "name", peer)
            self.links.append(host)
            ip("link", "set", peer, "netns", ns)
            ip("addr", "add", "%s.%d.1/30" % (NET, i), "dev", host)
            ip("link", "set", host, "up")
            ip("netns", "exec", ns, "ip", "addr", "add",
               "%s.%d.2/30" % (NET, i), "dev", peer)
            ip("netns", "exec", ns, "ip", "link", "set", peer, "up")
            ip("netns", "exec", ns, "ip", "link", "set", "lo", "up")

    def close(self):
        for link in self.links:
            ip("link", "del", link, check=False)
        for ns in self.ns:
            ip("netns", "del", ns, check=False)
        if self.route:
            ip("route", "del", "unreachable", NET + ".0.0/16", check=False)
            self.route = False
        left = [ns for ns in self.ns
                if ns in ip("netns", "list", check=False).stdout]
        self.ns, self.links = [], []
        return left


def can_run():
    """None, or why the test cannot run here."""
    if os.geteuid() != 0:
        return "not root: network namespaces need CAP_SYS_ADMIN"
    if shutil.which("ip") is None:
        return "no `ip` (iproute2)"
    taken = ip("-o", "addr", check=False).stdout + \
        ip("route", check=False).stdout
    if (" %s." % NET) in taken or ("\n%s." % NET) in taken \
            or taken.startswith(NET + "."):
        return "addresses %s.0.0/16 already in use here" % NET
    probe = "mlp%d-probe" % (os.getpid() % 100000)
    r = ip("netns", "add", probe, check=False)
    if r.returncode != 0:
        return "cannot create a network namespace: " + r.stderr.strip()
    ip("netns", "del", probe, check=False)
    return None


FRONT = """
    upstream hosts {
%s
        keepalive 16;
    }
    server {
        listen 127.0.0.1:%d;
        location / {
            proxy_pass http://hosts;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout http_502 http_503
                                non_idempotent;
            proxy_next_upstream_tries 3;
            proxy_connect_timeout 1s;
            proxy_read_timeout 5s;
        }
    }
"""

BACKEND = """
    log_format host '$status $request_uri';
    server {
        listen %s:8080;
        access_log logs/access.log host;
        location = /m { mlpredict model.mlp; }
    }
"""


def phase(what):
    print("#       %s %s" % (time.strftime("%H:%M:%S"), what), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nginx", default="/usr/sbin/nginx")
    ap.add_argument("--module", required=True)
    ap.add_argument("--cli", required=True)
    ap.add_argument("--port", type=int, default=0)
    args = ap.parse_args()

    why = can_run()
    if why:
        print("SKIP    cluster-test: " + why)
        return 0

    # SIGINT and SIGTERM end through the finally below, which cleans up
    def stop(sig, frame):
        raise SystemExit("cluster-test: stopped by signal %d" % sig)
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    cluster = Cluster()
    tmp = tempfile.mkdtemp(prefix="mlp-cluster-")
    os.chmod(tmp, 0o755)
    nginxes = []
    load = None
    try:
        cluster.make()
        files, body, want, sums = E.two_models(tmp, args.cli)
        hosts = []
        for i in range(1, HOSTS + 1):
            addr = "%s.%d.2" % (NET, i)
            prefix = os.path.join(tmp, "host%d" % i)
            os.makedirs(prefix)
            shutil.copy(files["v1"], os.path.join(prefix, "model.mlp"))
            n = E.Nginx(args.nginx, args.module, prefix, BACKEND % addr,
                        addr, 8080, workers=1,
                        wrap=["ip", "netns", "exec", cluster.ns[i - 1]])
            nginxes.append(n)
            n.start()
            hosts.append(n)
        port = args.port or E.free_port()
        front = E.Nginx(args.nginx, args.module, os.path.join(tmp, "front"),
                        FRONT % ("\n".join(
                            "        server %s.%d.2:8080 max_fails=1 "
                            "fail_timeout=%ds;" % (NET, i, FAIL_TIMEOUT)
                            for i in range(1, HOSTS + 1)), port),
                        "127.0.0.1", port, workers=1)
        nginxes.append(front)
        front.start()

        def direct(i):
            """The metadata's checksum, from host i itself."""
            h = hosts[i]
            st, _, b = E.one(h.host, h.port, "GET", "/m")
            return json.loads(b)["checksum"] if st == 200 else None

        def served(i):
            """Requests host i has answered so far (its access log)."""
            try:
                with open(os.path.join(hosts[i].prefix, "logs",
                                       "access.log")) as f:
                    return sum(1 for _ in f)
            except OSError:
                return 0

        E.check(all(direct(i) == sums["v1"] for i in range(HOSTS)),
                "three hosts in their namespaces serve v1")
        st, _, got = E.one("127.0.0.1", port, "POST", "/m", body)
        E.check(st == 200 and got == want["v1"], "the front answers v1's")

        load = Through(port, body, (want["v1"], want["v2"]))
        t0 = time.time()
        load.start()
        time.sleep(1)

        # 1. the roll-out, host by host
        phase("roll-out")
        rolled = []
        for i in range(HOSTS):
            h = hosts[i]
            shutil.copy(files["v2"], os.path.join(h.prefix, "new"))
            os.replace(os.path.join(h.prefix, "new"),
                       os.path.join(h.prefix, "model.mlp"))
            h.reload()
            # done when v2 answers several times in a row: until the old
            # worker has gone it may still take a connection
            end = time.time() + 15
            in_a_row = 0
            while in_a_row < 10 and time.time() < end:
                in_a_row = in_a_row + 1 if direct(i) == sums["v2"] else 0
                time.sleep(0.02)
            rolled.append(in_a_row >= 10)
            # and the front has it back: the reload closed the old
            # worker's idle keep-alive connections, which the front counts
            # as failures of the host (max_fails=1). Rolled faster than
            # fail_timeout, every host can be out at once: 502, "no live
            # upstreams" (seen so)
            time.sleep(FAIL_TIMEOUT + 0.5)
        done = time.time()
        E.check(all(rolled), "v2 rolled out host by host (rename, reload)",
                repr(rolled))
        time.sleep(1)
        late = load.since(done + 0.5)
        E.check(late and all(b == want["v2"] for b in late),
                "after the roll-out every answer is v2's (%d)" % len(late))

        # 2. host 2 stopped and started again; host 3's link down and up
        phase("host 2 stopped")
        before = served(1)
        hosts[1].proc.send_signal(signal.SIGTERM)
        hosts[1].proc.wait(10)
        time.sleep(3)
        hosts[1].start()
        phase("host 2 started")
        end = time.time() + 15
        while served(1) <= before + 10 and time.time() < end:
            time.sleep(0.1)
        E.check(served(1) > before + 10, "host 2 stopped and started: it "
                "serves through the front again (after fail_timeout)",
                "%d, then %d" % (before, served(1)))

        before = served(2)
        phase("host 3's link down")
        ip("link", "set", cluster.links[2], "down")
        time.sleep(3)
        ip("link", "set", cluster.links[2], "up")
        phase("host 3's link up")
        end = time.time() + 15
        while served(2) <= before + 10 and time.time() < end:
            time.sleep(0.1)
        E.check(served(2) > before + 10, "host 3's link down and up: it "
                "serves through the front again", "%d, then %d"
                % (before, served(2)))

        time.sleep(1)
        load.finish()
        elapsed = time.time() - t0
        print("#       %d requests through the front in %.1f s: %d failed; "
              "per host %r" % (load.answered + load.failed, elapsed,
                               load.failed, [served(i)
                                             for i in range(HOSTS)]))
        if not E.check(load.answered > 0 and load.failed == 0,
                       "0 failed requests through the roll-out and the "
                       "outages", "; ".join(load.bad[:5])):
            print("#       the front's log:\n" + "\n".join(
                [line for line in E.above_info(front.log_text())
                 if "[notice]" not in line][-40:]))
        E.check(all(not E.exited_on_signal(h.log_text()) for h in hosts),
                "no backend worker exited on a signal")
        above = [line for h in hosts for line in E.above_info(h.log_text())
                 if "[notice]" not in line]
        E.check(not above, "nothing above notice in the hosts' logs",
                "\n".join(above[:5]))
        # the front logs the outages it met, as nginx does: those only
        above = front.log_above_info(allow=[
            r"\[notice\] ", r"(while connecting to|while reading response "
            r"header from) upstream, ", r"no live upstreams"])
        E.check(not above, "the front logs nothing but the outages",
                "\n".join(above[:5]))
        for h in hosts:
            h.stop()
        front.stop()
    finally:
        if load is not None:
            load.finish()
        for n in nginxes:
            n.stop()
        left = cluster.close()
        shutil.rmtree(tmp, ignore_errors=True)
    E.check(not left, "the namespaces removed", repr(left))
    return E.summary()


class Through(E.Threads):
    """Client threads through the front: keep-alive, every answer kept
    with the time its request was sent."""

    def __init__(self, port, body, wants, threads=4):
        self.port, self.body, self.wants = port, body, wants
        super().__init__()
        self.answered = self.failed = 0
        self.bad = []
        self.times = []
        self.threads = [threading.Thread(target=self.run, daemon=True)
                        for _ in range(threads)]

    def run(self):
        c = E.Client("127.0.0.1", self.port)
        t_end = time.time() + MAX_SECONDS
        while not self.stop.is_set() and time.time() < t_end:
            t0 = time.time()
            try:
                st, _, b = c.request("POST", "/m", self.body,
                                     {"Content-Type": "application/json"})

                err = None
            except Exception as e:
                st, b, err = None, b"", e
            with self.lock:
                if err is None and st == 200 and b in self.wants:
                    self.answered += 1
                    self.times.append((t0, b))
                else:
                    self.failed += 1
                    if len(self.bad) < 20:
                        self.bad.append(repr(err) if err else
                                        "%d %r" % (st, b[:200]))
        c.close()

    def since(self, t):
        with self.lock:
            return [b for t0, b in self.times if t0 > t]


if __name__ == "__main__":
    sys.exit(main())
