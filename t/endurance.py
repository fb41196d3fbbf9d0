"""What the endurance tests share (t/soak.py, t/reload50.py, t/faults.py,
t/cluster.py): verdicts, an nginx of our own (a child, not daemonised, on
loopback or a namespace's private address), what /proc says about its
processes, its error log above info, and a keep-alive HTTP client.

Nothing here sends a request anywhere but the address a test gives it.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

passed = failed = 0


def check(cond, name, detail=""):
    global passed, failed
    if cond:
        passed += 1
        print("ok      " + name, flush=True)
    else:
        failed += 1
        print("FAIL    " + name + (": " + detail if detail else ""),
              flush=True)
    return cond


def summary():
    print("%d passed, %d failed" % (passed, failed), flush=True)
    return 1 if failed else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(host, port, seconds=10, proc=None, netns=None):
    end = time.time() + seconds
    while time.time() < end:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


HEAD = """
load_module %(module)s;
daemon off;
master_process on;
worker_processes %(workers)d;
error_log logs/error.log info;
pid logs/nginx.pid;
events { worker_connections %(connections)d; }
http {
    access_log off;
    client_body_temp_path %(body_temp)s;
    proxy_temp_path logs/proxy;
    fastcgi_temp_path logs/fastcgi;
    uwsgi_temp_path logs/uwsgi;
    scgi_temp_path logs/scgi;
%(http)s
}
"""


class Nginx:
    """nginx under prefix (conf/, logs/), our child; `http` is the http
    block's content. `wrap` runs it through another command first (ip netns
    exec NAME)."""

    def __init__(self, binary, module, prefix, http, host, port,
                 workers=2, connections=1024, body_temp="logs/body",
                 wrap=()):
        self.binary, self.prefix = binary, prefix
        self.host, self.port, self.wrap = host, port, list(wrap)
        self.proc = None
        # the workers (nobody, when the master is root) write temp bodies
        # under logs/
        os.makedirs(prefix, exist_ok=True)
        os.chmod(prefix, 0o755)
        for d in ("logs", "conf"):
            os.makedirs(os.path.join(prefix, d), exist_ok=True)
            os.chmod(os.path.join(prefix, d), 0o755)
        self.log = os.path.join(prefix, "logs", "error.log")
        self.write_conf(http, module, workers, connections, body_temp)

    def write_conf(self, http, module, workers=2, connections=1024,
                   body_temp="logs/body"):
        with open(os.path.join(self.prefix, "conf", "nginx.conf"), "w") as f:
            f.write(HEAD % {"module": os.path.abspath(module),
                            "workers": workers, "connections": connections,
                            "body_temp": body_temp, "http": http})

    def start(self):
        self.proc = subprocess.Popen(self.wrap + [
            self.binary, "-p", self.prefix + "/", "-c", "conf/nginx.conf"])
        if not wait_port(self.host, self.port, 15, self.proc):
            raise SystemExit("nginx did not start; error.log ends: "
                             + self.log_text()[-1500:])
        # every worker up, not only the first to listen
        end = time.time() + 10
        while len(self.workers()) < self.nworkers() and time.time() < end:
            time.sleep(0.05)

    def nworkers(self):
        with open(os.path.join(self.prefix, "conf", "nginx.conf")) as f:
            return int(re.search(r"worker_processes (\d+);",
                                 f.read()).group(1))

    def master(self):
        """The master's pid: ours, or (through `ip netns exec`, which
        execs) the same process."""
        return self.proc.pid

    def workers(self):
        return children(self.master())

    def signal(self, sig):
        os.kill(self.master(), sig)

    def reload(self):
        self.signal(signal.SIGHUP)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        if not self.alive():
            return
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def log_size(self):
        try:
            return os.path.getsize(self.log)
        except OSError:
            return 0

    def log_above_info(self, since=0, allow=()):
        """The error log's lines from byte `since` above info (notice,
        warn, error, crit, alert, emerg) that no regex of `allow` matches."""
        with open(self.log, "rb") as f:
            f.seek(since)
            text = f.read().decode(errors="replace")
        return above_info(text, allow)


LEVEL = re.compile(r"^\S+ \S+ \[(\w+)\] ")


def above_info(text, allow=()):
    out = []
    for line in text.splitlines():
        m = LEVEL.match(line)
        if m and m.group(1) not in ("info", "debug") \
                and not any(re.search(a, line) for a in allow):
            out.append(line)
    return out


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return sorted(int(p) for p in f.read().split())
    except OSError:
        return []


def rss_kb(pid):
    """VmRSS of pid in kB, None once it is gone."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_parts(pid):
    """RssAnon, RssFile, RssShmem of pid in kB ({} once it is gone): what
    a growth is made of (a leak is anonymous; a code or model page touched
    for the first time is file or shared memory)."""
    out = {}
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(("RssAnon:", "RssFile:", "RssShmem:")):
                    out[line.split(":")[0]] = int(line.split()[1])
    except OSError:
        pass
    return out


def fd_count(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def maps(pid):
    try:
        with open("/proc/%d/maps" % pid) as f:
            return [line.rstrip("\n") for line in f]
    except OSError:
        return []


def memfd_maps(pid):
    """The model copies pid maps: /memfd:mlpredict:NAME lines."""
    return [m for m in maps(pid) if "/memfd:mlpredict:" in m]


def exited_on_signal(log):
    return [line for line in log.splitlines() if "exited on signal" in line]


class Threads:
    """Client threads (self.threads, each watching self.stop) started and
    ended together."""

    def __init__(self):
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = []

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(30)


class Client:
    """One keep-alive HTTP/1.1 connection (http.client): request() returns
    (status, headers, body), reconnecting when the server said it would
    close; a request the server closes the connection on unanswered raises.
    """

    def __init__(self, host, port, timeout=10, source=None):
        self.host, self.port, self.timeout = host, port, timeout
        self.source = source
        self.conn = None

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method, path, body=None, headers=None):
        if self.conn is None:
            self.conn = http.client.HTTPConnection(
                self.host, self.port, timeout=self.timeout,
                source_address=self.source)
        try:
            self.conn.request(method, path, body=body, headers=headers or {})
            r = self.conn.getresponse()
            data = r.read()
        except Exception:
            self.close()
            raise
        if r.will_close:
            self.close()
        return r.status, r.headers, data


def one(host, port, method, path, body=None, headers=None, timeout=10):
    """A request on a connection of its own."""
    c = Client(host, port, timeout)
    try:
        h = dict(headers or {})
        h["Connection"] = "close"
        return c.request(method, path, body, h)
    finally:
        c.close()


def two_models(tmp, cli):
    """Two logistic models on breast_cancer that answer one row differently
    (v1.mlp, v2.mlp), and a corrupt copy of v2 (a byte flipped: the
    checksum fails) under tmp: (files, the row's body, each one's answer
    to it by `mlpredict predict`, each one's checksum by `mlpredict info`).
    """
    sys.path.insert(0, os.path.join(ROOT, "models"))
    from mlpredict_export import export
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_breast_cancer()
    names = [n.replace(" ", "_") for n in data.feature_names]
    files, models = {}, {}
    for v, c in (("v1", 1.0), ("v2", 0.01)):
        models[v] = make_pipeline(StandardScaler(),
                                  LogisticRegression(C=c, max_iter=5000))
        models[v].fit(data.data, data.target_names[data.target])
        files[v] = os.path.join(tmp, v + ".mlp")
        export(models[v], files[v], names)
    with open(files["v2"], "rb") as f:
        raw = bytearray(f.read())
    raw[len(raw) // 2] ^= 0xff
    files["corrupt"] = os.path.join(tmp, "corrupt.mlp")
    with open(files["corrupt"], "wb") as f:
        f.write(raw)

    # the row whose answer tells the two apart the most
    p1, p2 = (models[v].predict_proba(data.data)[:, 0] for v in ("v1", "v2"))
    row = data.data[int(abs(p1 - p2).argmax())]
    body = json.dumps({"features": [float(x) for x in row]}).encode()
    want, sums = {}, {}
    for v in ("v1", "v2"):
        want[v] = subprocess.run([cli, "predict", files[v]], input=body,
                                 capture_output=True, check=True).stdout
        sums[v] = json.loads(subprocess.run(
            [cli, "info", files[v]], capture_output=True,
            check=True).stdout)["checksum"]
    return files, body, want, sums
