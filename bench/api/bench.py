#!/usr/bin/python3
"""bench/api/bench.py -- Nameplate's API against PowerDNS's HTTP API (issue 3, "Speed and
scale"). See bench/api/README.md for what each row measures and how to read it.

Both servers run on 127.0.0.1 on free ports, pinned to one core (taskset -c SERVER_CPU);
this driver and every load generator it starts are pinned to another (CLIENT_CPU).
Closed-loop throughput comes from wrk with load.lua; the fixed-rate latency from an
open-loop paced client here (sends scheduled at fixed times, latency measured from the
scheduled time, so a slow answer also delays, and is charged to, the ones behind it).
Every load loop is bounded by time and by count.

    /usr/bin/python3 bench/api/bench.py [--duration S] [--full] [--record] [--keep]
"""
import argparse
import atexit
import datetime
import http.client
import json
import math
import os
import platform
import queue
import random
import resource
import shutil
import signal
import socket
import statistics
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
LOAD_LUA = os.path.join(HERE, "load.lua")
PDNS_SCHEMA = "/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql"
PDNS_KEY = "bench-api-key"
HOST = "127.0.0.1"

_children = []


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def free_udp_tcp_port():
    """A port free for both TCP and UDP (the DNS listeners take both)."""
    for _ in range(50):
        p = free_port()
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind((HOST, p))
            return p
        except OSError:
            continue
    raise RuntimeError("no free port")


def cpu_seconds(pid):
    """utime+stime of a process (all its threads), in seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def thread_cpu(pid):
    """{tid: cpu seconds} of every thread of a process."""
    out = {}
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            out[tid] = cpu_seconds(f"{pid}/task/{tid}")
    except OSError:
        pass
    return out


def machine_busy(seconds=2.0):
    """Fraction of all CPUs busy over `seconds` (from /proc/stat)."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]  # total, idle + iowait
    t0, i0 = snap()
    time.sleep(seconds)
    t1, i1 = snap()
    return 1 - (i1 - i0) / max(t1 - t0, 1)


def busy_others(exclude):
    """Other processes that used much CPU lately (they share the machine with the run)."""
    out = subprocess.run(["ps", "-eo", "pid,pcpu,etimes,comm", "--no-headers"],
                         capture_output=True, text=True).stdout
    busy = []
    for line in out.splitlines():
        f = line.split(None, 3)
        if len(f) == 4 and int(f[0]) not in exclude and float(f[1]) >= 20:
            busy.append(f"{f[3]} ({f[1]}% over {f[2]} s)")
    return busy


def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


# ---------------------------------------------------------------- HTTP helpers

def request(port, method, path, headers, body=None, timeout=30):
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        if body is not None and not isinstance(body, (bytes, str)):
            body = json.dumps(body)
        conn.request(method, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        return r.status, data
    finally:
        conn.close()


def wait_http(port, path, headers, proc, what, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} at start")
        try:
            st, _ = request(port, "GET", path, headers, timeout=2)
            if st == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{what} did not answer on port {port} within {timeout}s")


class Server:
    def __init__(self, name, argv, logpath, cpu):
        self.name = name
        self.logpath = logpath
        self.logf = open(logpath, "ab")
        pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
        self.proc = subprocess.Popen(pin + argv, stdout=self.logf, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        _children.append(self.proc)

    @property
    def pid(self):
        return self.proc.pid

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.logf.close()


def _cleanup():
    for p in _children:
        if p.poll() is None:
            p.kill()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


atexit.register(_cleanup)


# ---------------------------------------------------------------- Nameplate

class Nameplate:
    def __init__(self, binary, data, cpu, extra=()):
        self.binary = binary
        self.data = data
        self.cpu = cpu
        self.extra = list(extra)
        self.server = None
        self.port = None
        self.token = None

    def new_token(self):
        out = subprocess.run([self.binary, "admin", "token", "create", "--data", self.data,
                              "--account", "1", "--json"],
                             check=True, capture_output=True, text=True, timeout=120)
        self.token = json.loads(out.stdout.strip().splitlines()[-1])["token"]

    def bootstrap(self):
        out = subprocess.run([self.binary, "admin", "bootstrap", "--data", self.data, "--json"],
                             check=True, capture_output=True, text=True, timeout=60)
        self.token = json.loads(out.stdout)["token"]

    @property
    def headers(self):
        return {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json",
                "Accept": "application/json"}

    @property
    def auth_line(self):
        return f"Authorization: Bearer {self.token}"

    def start(self, logpath, extra=(), timeout=30, wrap=()):
        self.port = free_port()
        self.dns_port = dns = free_udp_tcp_port()
        argv = [self.binary, "serve", "--data", self.data, "--api", f"{HOST}:{self.port}",
                "--dns", f"{HOST}:{dns}", "--rate-limit", "100000000",
                "--rate-limit-unauth", "100000000"] + self.extra + list(extra)
        self.server = Server("nameplate", list(wrap) + argv, logpath, self.cpu)
        wait_http(self.port, "/v2/whoami", self.headers, self.server.proc, "nameplate",
                  timeout=timeout)

    def stop(self):
        if self.server:
            self.server.stop()
            self.server = None

    def create_zone(self, name):
        st, body = request(self.port, "POST", "/v2/1/domains", self.headers, {"name": name})
        if st != 201:
            raise RuntimeError(f"nameplate createDomain {name}: {st} {body[:300]!r}")

    def records_path(self, zone):
        return f"/v2/1/zones/{zone}/records"

    def create_records(self, zone, count, prefix):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=30)
        try:
            for i in range(count):
                body = json.dumps({"name": f"{prefix}{i}", "type": "A",
                                   "content": f"198.51.100.{i % 250 + 1}", "ttl": 300})
                conn.request("POST", self.records_path(zone), body=body, headers=self.headers)
                r = conn.getresponse()
                data = r.read()
                if r.status != 201:
                    raise RuntimeError(f"nameplate createZoneRecord: {r.status} {data[:300]!r}")
        finally:
            conn.close()

    def record_total(self, zone):
        st, body = request(self.port, "GET", self.records_path(zone) + "?per_page=1",
                           self.headers)
        if st != 200:
            return None
        return json.loads(body)["pagination"]["total_entries"]


# ---------------------------------------------------------------- PowerDNS

class PowerDNS:
    API = "/api/v1/servers/localhost"

    def __init__(self, workdir, cpu):
        self.dir = os.path.join(workdir, "pdns")
        self.cpu = cpu
        self.port = None
        self.server = None

    @property
    def headers(self):
        return {"X-API-Key": PDNS_KEY, "Content-Type": "application/json",
                "Accept": "application/json"}

    @property
    def auth_line(self):
        return f"X-API-Key: {PDNS_KEY}"

    def start(self, logpath):
        os.makedirs(self.dir, exist_ok=True)
        db = os.path.join(self.dir, "pdns.sqlite3")
        if not os.path.exists(db):
            with open(PDNS_SCHEMA) as f:
                con = sqlite3.connect(db)
                con.executescript(f.read())
                con.close()
        self.port = free_port()
        dns = free_udp_tcp_port()
        conf = "\n".join([
            "launch=gsqlite3",
            f"gsqlite3-database={db}",
            "api=yes",
            f"api-key={PDNS_KEY}",
            "webserver=yes",
            f"webserver-address={HOST}",
            f"webserver-port={self.port}",
            "webserver-allow-from=127.0.0.0/8",
            f"local-address={HOST}",
            f"local-port={dns}",
            f"socket-dir={self.dir}",
            "",
        ])
        with open(os.path.join(self.dir, "pdns.conf"), "w") as f:
            f.write(conf)
        argv = ["pdns_server", f"--config-dir={self.dir}", "--daemon=no", "--guardian=no",
                "--disable-syslog"]
        self.server = Server("pdns", argv, logpath, self.cpu)
        wait_http(self.port, self.API, self.headers, self.server.proc, "pdns_server")

    def stop(self):
        if self.server:
            self.server.stop()
            self.server = None

    def zone_path(self, zone):
        return f"{self.API}/zones/{zone}."

    def create_zone(self, name):
        st, body = request(self.port, "POST", f"{self.API}/zones", self.headers,
                           {"name": name + ".", "kind": "Native",
                            "nameservers": [f"ns1.{name}.", f"ns2.{name}."]})
        if st != 201:
            raise RuntimeError(f"pdns create zone {name}: {st} {body[:300]!r}")

    def add_rrsets(self, zone, count, prefix):
        rrsets = [{"name": f"{prefix}{i}.{zone}.", "type": "A", "ttl": 300,
                   "changetype": "REPLACE",
                   "records": [{"content": f"198.51.100.{i % 250 + 1}", "disabled": False}]}
                  for i in range(count)]
        st, body = request(self.port, "PATCH", self.zone_path(zone), self.headers,
                           {"rrsets": rrsets})
        if st != 204:
            raise RuntimeError(f"pdns PATCH {zone}: {st} {body[:300]!r}")

    def rrsets(self, zone):
        st, body = request(self.port, "GET", self.zone_path(zone), self.headers)
        if st != 200:
            return None
        return json.loads(body)["rrsets"]


# ---------------------------------------------------------------- load generators

def run_wrk(port, mode, path, auth, conns, duration, max_total, server_pid, prefix="r",
            zone="", timeout_s=5):
    """Closed loop with wrk (one thread, `conns` keep-alive connections; wrk reconnects when
    the server closes). Returns the BENCHJSON dict plus rate, failures and CPU use."""
    env = dict(os.environ, BENCH_MODE=mode, BENCH_PATH=path, BENCH_AUTH=auth,
               BENCH_PREFIX=prefix, BENCH_ZONE=zone, BENCH_MAX=str(max_total))
    argv = ["wrk", "-t1", f"-c{conns}", f"-d{int(duration)}s", f"--timeout={timeout_s}s",
            "-s", LOAD_LUA, f"http://{HOST}:{port}"]
    c0, s0, w0 = children_cpu(), cpu_seconds(server_pid), time.monotonic()
    th0 = thread_cpu(server_pid)
    out = subprocess.run(argv, env=env, capture_output=True, text=True,
                         timeout=duration + 60)
    c1, s1, w1 = children_cpu(), cpu_seconds(server_pid), time.monotonic()
    th1 = thread_cpu(server_pid)
    line = next((l for l in out.stdout.splitlines() if l.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no result: {out.stdout[-500:]} {out.stderr[-500:]}")
    res = json.loads(line[len("BENCHJSON "):])
    ok = sum(n for code, n in res["statuses"].items() if 200 <= int(code) < 300)
    socket_errors = sum(res["errors"][k] for k in ("connect", "read", "write", "timeout"))
    res["ok"] = ok
    res["failed"] = res["answered"] - ok + socket_errors
    res["attempts"] = res["answered"] + socket_errors
    res["rate"] = ok / res["elapsed"] if res["elapsed"] > 0 else 0.0
    res["server_cpu"] = (s1 - s0) / (w1 - w0)
    res["client_cpu"] = (c1 - c0) / (w1 - w0)
    # threads that did at least 5% of the work: how far the load spread over the server
    used = {t: th1[t] - th0.get(t, 0) for t in th1}
    total = sum(v for v in used.values() if v == v)
    res["threads_busy"] = sum(1 for v in used.values() if total and v >= 0.05 * total)
    res["threads"] = len(th1)
    return res


def paced(port, build, rate, duration, conns=32):
    """Open loop: request i is due at start + i/rate; a pool of keep-alive connections
    sends them; latency runs from the due time, so queueing behind a slow answer counts.
    At most rate*duration requests; waits at most 30 s for stragglers."""
    n = int(rate * duration)
    due = queue.Queue()
    results = [None] * n

    def worker():
        conn = None
        while True:
            item = due.get()
            if item is None:
                break
            i, t_due = item
            method, path, headers, body = build(i)
            status = 0
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, port, timeout=10)
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                r.read()
                status = r.status
                if r.will_close:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                if conn is not None:
                    conn.close()
                conn = None
            results[i] = (time.perf_counter() - t_due, status)
        if conn is not None:
            conn.close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(conns)]
    for t in threads:
        t.start()
    start = time.perf_counter() + 0.1
    late = 0
    for i in range(n):
        t_due = start + i / rate
        delay = t_due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        elif delay < -0.001:
            late += 1
        due.put((i, t_due))
    for _ in threads:
        due.put(None)
    deadline = time.monotonic() + 30
    for t in threads:
        t.join(timeout=max(0.1, deadline - time.monotonic()))
    done = [r for r in results if r is not None]
    lat = sorted(r[0] for r in done)
    ok = sum(1 for r in done if 200 <= r[1] < 300)
    return {
        "sent": n, "answered": len(done), "ok": ok, "failed": n - ok,
        "p50_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3,
        "max_ms": (lat[-1] if lat else float("nan")) * 1e3, "late_sends": late,
    }


def pct(sorted_values, p):
    if not sorted_values:
        return float("nan")
    k = (len(sorted_values) - 1) * p / 100
    lo, hi = math.floor(k), math.ceil(k)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def sample_latency(port, headers, paths, count, budget_s, expect=200):
    """Sequential keep-alive GETs over `paths` (cycled): up to `count` samples or
    `budget_s` seconds. Returns median, p99 (ms), samples and failures."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    lat, failed = [], 0
    deadline = time.monotonic() + budget_s
    try:
        for i in range(count):
            if time.monotonic() > deadline:
                break
            path = paths[i % len(paths)]
            t0 = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            r.read()
            lat.append(time.perf_counter() - t0)
            if r.status != expect:
                failed += 1
    finally:
        conn.close()
    lat.sort()
    return {"median_ms": pct(lat, 50) * 1e3, "p99_ms": pct(lat, 99) * 1e3,
            "samples": len(lat), "failed": failed}


def dns_answers(port, name, timeout=0.5):
    """True when the server at 127.0.0.1:port answers `name` A with at least one record."""
    qid = random.randrange(65536)
    q = qid.to_bytes(2, "big") + b"\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    for label in name.rstrip(".").split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\x00\x00\x01\x00\x01"
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(q, (HOST, port))
            r, _ = s.recvfrom(4096)
        except OSError:
            return False
    return len(r) >= 12 and r[:2] == q[:2] and (r[3] & 0x0f) == 0 and \
        int.from_bytes(r[6:8], "big") > 0


def time_to_dns(np, zone, name, limit=30.0):
    """Create one A record and poll DNS until it is served: seconds from the POST, or None
    (limit reached; also when this build serves no DNS)."""
    t0 = time.monotonic()
    st, body = request(np.port, "POST", np.records_path(zone), np.headers,
                       {"name": name, "type": "A", "content": "192.0.2.99", "ttl": 300})
    if st != 201:
        raise RuntimeError(f"createZoneRecord {zone}: {st} {body[:200]!r}")
    while time.monotonic() - t0 < limit:
        if dns_answers(np.dns_port, f"{name}.{zone}"):
            return time.monotonic() - t0
        time.sleep(0.005)
    return None


def fsync_latency(directory, count=200, budget_s=3):
    """Median and p99 of write(4 KiB)+fdatasync in `directory`: the floor under any
    one-client durable write rate."""
    path = os.path.join(directory, "fsync-probe")
    lat = []
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o600)
    try:
        deadline = time.monotonic() + budget_s
        for i in range(count):
            if time.monotonic() > deadline:
                break
            t0 = time.perf_counter()
            os.pwrite(fd, os.urandom(4096), (i % 16) * 4096)
            os.fdatasync(fd)
            lat.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    return pct(lat, 50) * 1e3, pct(lat, 99) * 1e3


# ---------------------------------------------------------------- the scale store

def zone_text(name, count, k0=0):
    """A small zone of `count` custom records of several types, every name distinct."""
    lines = [f"$ORIGIN {name}.", "$TTL 3600"]
    for i in range(count):
        j = (k0 + i) % 6
        if j == 0:
            lines.append(f"h{i} A 192.0.2.{i % 250 + 1}")
        elif j == 1:
            lines.append(f"h{i} AAAA 2001:db8::{i:x}")
        elif j == 2:
            lines.append(f'h{i} TXT "v=spf1 ip4:192.0.2.0/24 -all" "record {i}"')
        elif j == 3:
            lines.append(f"h{i} MX 10 mail{i}.{name}.")
        elif j == 4:
            lines.append(f"h{i} CNAME www.{name}.")
        else:
            lines.append(f"h{i} SRV 10 5 5060 sip{i}.{name}.")
    return "\n".join(lines) + "\n"


def import_zone(binary, data, text, path=None):
    argv = [binary, "zone", "import", "--data", data, "--account", "1", "--json",
            path if path else "-"]
    for attempt in range(3):
        out = subprocess.run(argv, input=None if path else text, capture_output=True,
                             text=True, timeout=3600)
        if out.returncode == 0:
            return json.loads(out.stdout.strip().splitlines()[-1])
        err = out.stderr.strip()[-300:]
        if "busy" not in err.lower() and "locked" not in err.lower():
            break
        time.sleep(0.2 * (attempt + 1))
    raise RuntimeError(f"zone import failed: {err}")


def populate(binary, data, zones, records, big, workdir, jobs):
    """Zone import of generated zone files: one `big.test` of `big` custom records, then
    zones-1 small zones sharing the rest (each zone also holds its SOA and 2 apex NS)."""
    t0 = time.monotonic()
    big_path = os.path.join(workdir, "big.test.zone")
    with open(big_path, "w") as f:
        f.write("$ORIGIN big.test.\n$TTL 3600\n")
        for i in range(big):
            f.write(f"r{i} A 10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}\n")
    t_gen = time.monotonic() - t0
    t1 = time.monotonic()
    import_zone(binary, data, None, big_path)
    t_big = time.monotonic() - t1
    os.unlink(big_path)
    small = max(zones - 1, 0)
    per_zone = max((records - big - 3) // small - 3, 1) if small else 0
    log(f"scale: big.test ({big} records) imported in {t_big:.1f}s; "
        f"now {small} zones of {per_zone}+3 records")
    t2 = time.monotonic()
    done = [0]
    lock = threading.Lock()

    def one(z):
        name = f"z{z:06d}.test"
        import_zone(binary, data, zone_text(name, per_zone, z))
        with lock:
            done[0] += 1
            if done[0] % 10000 == 0:
                log(f"scale: {done[0]}/{small} small zones imported")

    with ThreadPoolExecutor(max_workers=jobs) as ex:
        for _ in ex.map(one, range(1, small + 1)):
            pass
    t_small = time.monotonic() - t2
    out = {"gen_s": t_gen, "big_import_s": t_big, "small_import_s": t_small,
           "small_zones": small, "per_zone": per_zone + 3, "total_s": time.monotonic() - t0,
           "params": [zones, records, big]}
    with open(os.path.join(data, "populated.json"), "w") as f:
        json.dump(out, f)
    return out


def scale_stats(data):
    """What the scale store holds, and 300 random (record id, zone name) pairs."""
    con = sqlite3.connect(f"file:{os.path.join(data, 'nameplate.db')}?mode=ro", uri=True)
    n_zones = con.execute("SELECT count(*) FROM zones").fetchone()[0]
    n_records = con.execute("SELECT count(*) FROM records").fetchone()[0]
    big_count = con.execute("SELECT record_count FROM zones WHERE name='big.test'").fetchone()[0]
    max_id = con.execute("SELECT max(id) FROM records").fetchone()[0]
    rng = random.Random(42)
    picks = []
    while len(picks) < 300:
        ids = [rng.randint(1, max_id) for _ in range(400)]
        q = ",".join("?" * len(ids))
        picks += con.execute(f"SELECT r.id, z.name FROM records r JOIN zones z "
                             f"ON z.id = r.zone_id WHERE r.id IN ({q})", ids).fetchall()
    con.close()
    db_bytes = sum(os.path.getsize(os.path.join(data, f)) for f in os.listdir(data)
                   if f.startswith("nameplate.db"))
    return {"zones": n_zones, "records": n_records, "big_records": big_count,
            "db_bytes": db_bytes, "picks": picks[:300]}


def rss_mib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):  # peak resident set
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


# ---------------------------------------------------------------- report

def fmt_rate(x):
    return f"{x:,.0f}/s"


def fmt_ms(x):
    return f"{x:.2f} ms"


class Table:
    def __init__(self):
        self.rows = []

    def add(self, op, np_val, pd_val, ratio, goal, met):
        self.rows.append([op, np_val, pd_val, ratio, goal, met])

    def text(self):
        head = ["operation", "Nameplate", "PowerDNS", "ratio", "goal", "met?"]
        widths = [max(len(str(r[i])) for r in self.rows + [head]) for i in range(6)]
        line = lambda r: "  ".join(str(c).ljust(widths[i]) for i, c in enumerate(r))
        return "\n".join([line(head), line(["-" * w for w in widths])] +
                         [line(r) for r in self.rows])

    def markdown(self):
        head = ["operation", "Nameplate", "PowerDNS", "ratio", "goal", "met?"]
        out = ["| " + " | ".join(head) + " |", "|" + "---|" * 6]
        out += ["| " + " | ".join(str(c) for c in r) + " |" for r in self.rows]
        return "\n".join(out)


def machine_info():
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for l in f:
                if l.startswith("model name"):
                    model = l.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu": model, "kernel": platform.release()}


def git(*args):
    try:
        env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")
        return subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True,
                              text=True, timeout=30, env=env).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def versions():
    pd = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "pdns-server"],
                        capture_output=True, text=True).stdout.strip()
    wrk = subprocess.run(["dpkg-query", "-W", "-f=${Version}", "wrk"],
                         capture_output=True, text=True).stdout.strip()
    return pd, wrk


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "nameplate"))
    ap.add_argument("--built-from", metavar="TEXT",
                    help="what --binary was built from, for the report (e.g. a commit)")
    ap.add_argument("--duration", type=int, default=5,
                    help="seconds per closed-loop run (default 5; --rounds runs each)")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of warm-up per server")
    ap.add_argument("--rounds", type=int, default=3,
                    help="alternating Nameplate/PowerDNS runs per measurement (median)")
    ap.add_argument("--max-requests", type=int, default=2_000_000,
                    help="count bound of each closed-loop run")
    ap.add_argument("--paced-rate", type=float, default=200)
    ap.add_argument("--paced-duration", type=float, default=15)
    ap.add_argument("--zones", type=int, default=1000, help="zones in the scale store")
    ap.add_argument("--records", type=int, default=1_100_000,
                    help="records in the scale store (system records included)")
    ap.add_argument("--big", type=int, default=1_000_000,
                    help="custom records of the one big zone")
    ap.add_argument("--full", action="store_true",
                    help="the issue's scale: 100,000 zones and 10,000,000 records")
    ap.add_argument("--import-jobs", type=int, default=2)
    ap.add_argument("--scale-data", metavar="DIR",
                    help="scale store dir: populated when empty, reused when it holds a store "
                         "of the same --zones/--records/--big (populating --full takes long)")
    ap.add_argument("--samples", type=int, default=300, help="samples per scale query")
    ap.add_argument("--skip-scale", action="store_true")
    ap.add_argument("--only-scale", action="store_true",
                    help="only the scale store's rows (e.g. with --scale-data to reuse one)")
    ap.add_argument("--only-read", action="store_true",
                    help="only the read row (no creates, open loop, diagnostics or scale)")
    ap.add_argument("--skip-diag", action="store_true",
                    help="skip the diagnostic rows (store-sync normal, fsync probe)")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--workdir", help="where stores and logs go (default: a new temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--wait-quiet", type=int, default=0, metavar="S",
                    help="first wait up to S seconds for the machine to be idle (< 10%% busy)")
    ap.add_argument("--record", action="store_true",
                    help="append the results to bench/api/RESULTS.md")
    args = ap.parse_args()
    if args.full:
        args.zones, args.records, args.big = 100_000, 10_000_000, 1_000_000
    if args.only_read:
        args.skip_diag = args.skip_scale = True

    for tool in ("wrk", "pdns_server", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found; run bench/api/setup")
    if not os.path.exists(PDNS_SCHEMA):
        sys.exit("bench: pdns-backend-sqlite3 missing; run bench/api/setup")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"bench: {args.binary} missing; run make build")

    ncpu = len(os.sched_getaffinity(0))
    server_cpu, client_cpu = args.server_cpu, args.client_cpu
    if ncpu < 2:
        log("bench: fewer than 2 CPUs: servers and load share one core")
        server_cpu = client_cpu = None
    else:
        os.sched_setaffinity(0, {client_cpu})  # this driver and every child it starts

    work = args.workdir or tempfile.mkdtemp(prefix="nameplate-bench-")
    os.makedirs(work, exist_ok=True)
    fs_type = subprocess.run(["stat", "-f", "-c", "%T", work], capture_output=True,
                             text=True).stdout.strip()
    log(f"bench: work dir {work} ({fs_type})")
    d, wu, cap = args.duration, args.warmup, args.max_requests
    if args.wait_quiet > 0:
        deadline = time.monotonic() + args.wait_quiet
        while True:
            b = machine_busy()
            if b < 0.10 or time.monotonic() > deadline:
                break
            log(f"bench: machine {b:.0%} busy; waiting for it to be idle")
            time.sleep(8)
    busy0 = machine_busy()
    load0 = os.getloadavg()
    others = busy_others({os.getpid()})
    if others:
        log("bench: other busy processes: " + "; ".join(others))
    f50_0, f99_0 = fsync_latency(work)
    t_start = time.monotonic()
    table, notes, detail = Table(), [], {}

    np_ = Nameplate(args.binary, os.path.join(work, "np"), server_cpu)
    # diagnostic twin: the same server with --store-sync normal (no fsync per commit)
    nn_ = None if args.skip_diag else Nameplate(args.binary, os.path.join(work, "np-normal"),
                                                 server_cpu, ["--store-sync", "normal"])
    pd = PowerDNS(work, server_cpu)
    try:
        if not args.only_scale:
            np_.bootstrap()
            np_.start(os.path.join(work, "nameplate.log"))
            if nn_:
                nn_.bootstrap()
                nn_.start(os.path.join(work, "nameplate-sync-normal.log"))
                for z in ("c1.test", "c4.test"):
                    nn_.create_zone(z)
            pd.start(os.path.join(work, "pdns.log"))
            log(f"bench: nameplate on :{np_.port} (pid {np_.server.pid}), "
                f"pdns on :{pd.port} (pid {pd.server.pid})")
            for z in ("c1.test", "c4.test", "paced.test", "read.test", "diag.test"):
                np_.create_zone(z)
                pd.create_zone(z)
            np_.create_records("read.test", 100, "rd")
            pd.add_rrsets("read.test", 98, "rd")  # + SOA + NS = 100 RRsets

            rounds = args.rounds

            def spec(server, kind, zone):
                """(server, wrk mode, path, zone for pdns rrset names)"""
                if isinstance(server, Nameplate):
                    if kind == "read":
                        return (server, "get", server.records_path(zone) + "?per_page=100", "")
                    return (server, "np-create", server.records_path(zone), "")
                if kind == "read":
                    return (pd, "get", pd.zone_path(zone), "")
                return (pd, "pdns-create", pd.zone_path(zone), zone + ".")

            def one(sp, conns, secs, prefix):
                server, mode, path, zname = sp
                return run_wrk(server.port, mode, path, server.auth_line, conns, secs, cap,
                               server.server.pid, prefix=prefix, zone=zname)

            def combine(runs, warm):
                med = lambda k: statistics.median(r[k] for r in runs)
                statuses = {}
                for r in runs:
                    for code, n in r["statuses"].items():
                        statuses[code] = statuses.get(code, 0) + n
                return {
                    "rate": med("rate"), "rates": [round(r["rate"], 1) for r in runs],
                    "p50_us": med("p50_us"), "p99_us": med("p99_us"),
                    "ok": sum(r["ok"] for r in runs), "sent": sum(r["sent"] for r in runs),
                    "failed": sum(r["failed"] for r in runs),
                    "attempts": sum(r["attempts"] for r in runs), "statuses": statuses,
                    "warmup_ok": warm["ok"], "warmup_sent": warm["sent"],
                    "server_cpu": med("server_cpu"), "client_cpu": med("client_cpu"),
                    "threads_busy": max(r["threads_busy"] for r in runs),
                    "threads": runs[0]["threads"],
                    "sample": next((r["sample"] for r in runs if r["sample"]), ""),
                }

            def pair(name, kind, zone, conns, prefix, diag=False):
                """Warm each server up, then `rounds` alternating runs (Nameplate, PowerDNS,
                Nameplate, ...): the machine's noise (disk flushes, neighbours) falls on both
                alike. Rates are the median of the rounds. With diag, the --store-sync normal
                twin takes its turn in each round too."""
                who = [("nameplate", np_), ("pdns", pd)]
                if diag and nn_:
                    who.append(("nameplate store-sync normal", nn_))
                specs = [spec(server, kind, zone) for _, server in who]
                nowarm = {"ok": 0, "sent": 0}
                warm = [one(sp, conns, wu, prefix + "w") if wu else nowarm for sp in specs]
                runs = [[] for _ in who]
                for k in range(rounds):
                    for i, sp in enumerate(specs):
                        runs[i].append(one(sp, conns, d, f"{prefix}{k}"))
                out = []
                for (label, _), rs, w in zip(who, runs, warm):
                    r = combine(rs, w)
                    detail[f"{label} {name}"] = r
                    log(f"{label} {name}: {r['rate']:.0f}/s ok (rounds {r['rates']}), "
                        f"{r['failed']} failed of {r['attempts']}, p50 {r['p50_us'] / 1e3:.2f} ms, "
                        f"p99 {r['p99_us'] / 1e3:.2f} ms, server cpu {r['server_cpu']:.0%} "
                        f"({r['threads_busy']} of {r['threads']} threads), wrk cpu "
                        f"{r['client_cpu']:.0%}" + (f"; first failure: {r['sample']}"
                                                    if r["sample"] else ""))
                    out.append(r)
                return out if len(out) == 3 else out + [None]

            def span(r):
                return f"{min(r['rates']):,.0f}-{max(r['rates']):,.0f}"

            if not args.only_read:  # the create rows
                # 1. one client, sequential creates
                n1, p1, nn1 = pair("create c=1", "create", "c1.test", 1, "a", diag=True)
                ratio = n1["rate"] / p1["rate"] if p1["rate"] else float("inf")
                table.add("createZoneRecord, 1 client (records/s)", fmt_rate(n1["rate"]),
                          fmt_rate(p1["rate"]), f"{ratio:.2f}x", ">= 3x",
                          "yes" if ratio >= 3 and n1["failed"] == 0 else "NO")
                table.add("  range over rounds, 1 client", span(n1), span(p1), "", "info", "")
                table.add("  median latency, 1 client", fmt_ms(n1["p50_us"] / 1e3),
                          fmt_ms(p1["p50_us"] / 1e3), "", "info", "")

                # 2. four concurrent clients
                n4, p4, nn4 = pair("create c=4", "create", "c4.test", 4, "b", diag=True)
                ratio4 = n4["rate"] / p1["rate"] if p1["rate"] else float("inf")
                table.add("createZoneRecord, 4 clients (records/s; PowerDNS: its 1-client rate)",
                          fmt_rate(n4["rate"]), fmt_rate(p1["rate"]), f"{ratio4:.2f}x", ">= 10x",
                          "yes" if ratio4 >= 10 else "NO")
                fail_np = n4["failed"] / n4["attempts"] if n4["attempts"] else 0
                fail_pd = p4["failed"] / p4["attempts"] if p4["attempts"] else 0
                table.add("  failed requests, 4 clients",
                          f"{n4['failed']} of {n4['attempts']} ({fail_np:.1%})",
                          f"{p4['failed']} of {p4['attempts']} ({fail_pd:.1%})", "",
                          "Nameplate 0", "yes" if n4["failed"] == 0 else "NO")
                table.add("  records/s, 4 clients (info)", fmt_rate(n4["rate"]), fmt_rate(p4["rate"]),
                          f"{n4['rate'] / p4['rate']:.2f}x" if p4["rate"] else "", "info", "")
                table.add("  range over rounds, 4 clients", span(n4), span(p4), "", "info", "")
                # every acknowledged create is stored: acknowledged <= stored <= sent (wrk stops
                # with up to one request per connection in flight, which may or may not land)
                np_total = np_.record_total("c4.test")
                np_stored = np_total - 3 if np_total is not None else None
                np_ok = n4["ok"] + n4["warmup_ok"]
                np_sent = n4["sent"] + n4["warmup_sent"]
                pd_rr = pd.rrsets("c4.test")
                pd_a = sum(1 for r in pd_rr if r["type"] == "A") if pd_rr is not None else None
                pd_ok = p4["ok"] + p4["warmup_ok"]
                np_good = np_stored is not None and np_ok <= np_stored <= np_sent
                table.add("  acknowledged creates stored, 4 clients (stored / acknowledged)",
                          f"{np_stored} / {np_ok}", f"{pd_a} / {pd_ok}", "", "all stored",
                          "yes" if np_good else "NO")
                table.add("  diag: server threads doing the 4-client creates",
                          f"{n4['threads_busy']} of {n4['threads']}", "", "", "info", "")
                locked = 0
                try:
                    with open(pd.server.logpath, errors="replace") as f:
                        locked = sum(1 for line in f if "database is locked" in line)
                except OSError:
                    pass
                if p4["failed"]:
                    codes = sorted(k for k in p4["statuses"] if not k.startswith("2"))
                    notes.append(f"PowerDNS's failed 4-client writes answered HTTP {', '.join(codes)}; "
                                 f"its log has {locked:,} 'database is locked' errors")

            # 3. reading a page of 100 records, 4 connections
            nr, pr, _ = pair("read c=4", "read", "read.test", 4, "r")
            ratio_r = nr["rate"] / pr["rate"] if pr["rate"] else float("inf")
            table.add("read 100 records, 4 connections (requests/s)", fmt_rate(nr["rate"]),
                      fmt_rate(pr["rate"]), f"{ratio_r:.2f}x", ">= 10x",
                      "yes" if ratio_r >= 10 and nr["failed"] == 0 else "NO")
            table.add("  range over rounds, read", span(nr), span(pr), "", "info", "")
            table.add("  diag: server CPU busy during the reads", f"{nr['server_cpu']:.0%}",
                      f"{pr['server_cpu']:.0%}", "", "info", "")

            if not args.only_read:  # the open-loop and diagnostic rows
                # 5. latency at a fixed 200 requests/s (open loop)
                rate = args.paced_rate

                def np_build(i):
                    return ("POST", np_.records_path("paced.test"), json.dumps(
                        {"name": f"p{i}", "type": "A", "content": "192.0.2.7", "ttl": 300}),
                        np_.headers)

                def pd_build(i):
                    return ("PATCH", pd.zone_path("paced.test"), json.dumps({"rrsets": [
                        {"name": f"p{i}.paced.test.", "type": "A", "ttl": 300, "changetype": "REPLACE",
                         "records": [{"content": "192.0.2.7", "disabled": False}]}]}), pd.headers)

                def paced_np(i):
                    m, p, b, h = np_build(i)
                    return m, p, h, b

                def paced_pd(i):
                    m, p, b, h = pd_build(i)
                    return m, p, h, b

                npc = paced(np_.port, paced_np, rate, args.paced_duration)
                pdc = paced(pd.port, paced_pd, rate, args.paced_duration)
                detail["nameplate paced"], detail["pdns paced"] = npc, pdc
                for label, r in (("nameplate paced", npc), ("pdns paced", pdc)):
                    log(f"{label} {rate:.0f}/s: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms, "
                        f"max {r['max_ms']:.1f} ms, {r['failed']} failed of {r['sent']}, "
                        f"{r['late_sends']} late sends")
                table.add(f"createZoneRecord at {rate:.0f}/s open loop, p50", fmt_ms(npc["p50_ms"]),
                          fmt_ms(pdc["p50_ms"]), f"{pdc['p50_ms'] / npc['p50_ms']:.2f}x faster",
                          "report", "")
                table.add(f"createZoneRecord at {rate:.0f}/s open loop, p99", fmt_ms(npc["p99_ms"]),
                          fmt_ms(pdc["p99_ms"]), f"{pdc['p99_ms'] / npc['p99_ms']:.2f}x faster",
                          "report", "")
                table.add(f"  failed at {rate:.0f}/s", f"{npc['failed']} of {npc['sent']}",
                          f"{pdc['failed']} of {pdc['sent']}", "", "info", "")

                # diagnostics: how much of the 1-client create is the disk's flush
                if not args.skip_diag:
                    f50, f99 = fsync_latency(work)
                    detail["fsync"] = {"start": [f50_0, f99_0], "end": [f50, f99]}
                    table.add("  diag: write+fdatasync of 4 KiB, median (start / end of run)",
                              f"{f50_0:.2f} / {f50:.2f} ms", "",
                              f"p99 {f99_0:.2f} / {f99:.2f} ms", "info", "")
                    nn, nn4 = nn1, nn4
                    table.add("  diag: create 1 client, --store-sync normal", fmt_rate(nn["rate"]), "",
                              f"{nn['rate'] / p1['rate']:.2f}x", "info", "")
                    table.add("  diag: create 4 clients, --store-sync normal", fmt_rate(nn4["rate"]),
                              "", f"{nn4['rate'] / p1['rate']:.2f}x", "info", "")
            for srv in (np_, pd, nn_):
                if srv:
                    srv.stop()

        # 4. scale: many zones and records
        scale = None
        if not args.skip_scale:
            sdata = args.scale_data or os.path.join(work, "scale")
            sn = Nameplate(args.binary, sdata, server_cpu)
            marker = os.path.join(sdata, "populated.json")
            prev = None
            if os.path.exists(marker):
                with open(marker) as f:
                    prev = json.load(f)
                if prev.get("params") != [args.zones, args.records, args.big]:
                    sys.exit(f"bench: {sdata} holds another scale ({prev.get('params')}); "
                             "give another --scale-data")
            if prev:
                log(f"scale: reusing the store in {sdata}")
                sn.new_token()
                pop = dict(prev, reused=True)
            else:
                sn.bootstrap()
                log(f"scale: populating {args.zones} zones, {args.records} records "
                    f"(big zone {args.big})")
                os.sched_setaffinity(0, set(range(os.cpu_count())))  # imports may use both
                try:
                    pop = populate(args.binary, sdata, args.zones, args.records, args.big,
                                   work, args.import_jobs)
                finally:
                    if client_cpu is not None:
                        os.sched_setaffinity(0, {client_cpu})
            scale = dict(pop, **scale_stats(sdata))
            log(f"scale: {scale['zones']} zones, {scale['records']} records, "
                f"{scale['db_bytes'] / 2**20:.0f} MiB, populated in {scale['total_s']:.0f}s")
            # The goal rows ask the API: an api-only node (--roles api), which does not
            # hold the zones in memory as the dns role does (that one is measured below).
            t_up = time.monotonic()
            sn.start(os.path.join(work, "nameplate-scale-api.log"), extra=["--roles", "api"],
                     timeout=600)
            scale["start_s"] = time.monotonic() - t_up
            h = sn.headers
            bp = sn.records_path("big.test")
            last_page = math.ceil(scale["big_records"] / 100)
            bigname = (f"{scale['big_records'] / 1e6:g}M-record" if scale["big_records"] >= 1e6
                       else f"{scale['big_records']:,}-record")
            get_paths = [f"/v2/1/zones/{z}/records/{rid}" for rid, z in scale["picks"]]
            queries = [
                (f"listZoneRecords page 1 of the {bigname} zone", [bp + "?per_page=100&page=1"],
                 True),
                (f"listZoneRecords page 1,000 of the {bigname} zone",
                 [bp + "?per_page=100&page=1000"], True),
                ("getZoneRecord, random records of all zones", get_paths, True),
                (f"  listZoneRecords last page ({last_page:,}) of the {bigname} zone",
                 [bp + f"?per_page=100&page={last_page}"], False),
                ("  listZoneRecords page 1 of a small zone",
                 [sn.records_path("z000001.test") + "?per_page=100"], False),
                ("  listZones page 1", ["/v2/1/zones?per_page=100"], False),
                ("  listZones page 1,000", ["/v2/1/zones?per_page=100&page=1000"]
                 if scale["zones"] >= 100_000 else ["/v2/1/zones?per_page=100&page=10"], False),
            ]
            # page 1,000 must be a full page: check once
            st, body = request(sn.port, "GET", bp + "?per_page=100&page=1000", h)
            got = len(json.loads(body)["data"]) if st == 200 else -1
            if got != 100:
                notes.append(f"page 1,000 of big.test returned {got} records (status {st})")
            scale["queries"] = {}
            for label, paths, is_goal in queries:
                sample_latency(sn.port, h, paths, 10, 10)  # warm
                r = sample_latency(sn.port, h, paths, args.samples, 30)
                scale["queries"][label.strip()] = r
                log(f"scale: {label.strip()}: median {r['median_ms']:.2f} ms, p99 "
                    f"{r['p99_ms']:.2f} ms ({r['samples']} samples, {r['failed']} failed)")
                ok = r["median_ms"] < 10 and r["failed"] == 0
                table.add(f"{label} (median; p99 {r['p99_ms']:.1f} ms)",
                          fmt_ms(r["median_ms"]), "-", "", "< 10 ms" if is_goal else "info",
                          ("yes" if ok else "NO") if is_goal else "")
            scale["api_rss_mib"] = rss_mib(sn.server.pid)
            table.add("  diag: serve --roles api on this store: start time, peak RSS",
                      f"{scale['start_s']:.1f} s, {scale['api_rss_mib']:,.0f} MiB", "-", "",
                      "info", "")
            sn.stop()
            all_ok = self_check = False
            # The whole server (serve's default roles: api, dns, jobs) on the same store,
            # under an address-space cap of half the RAM so that a server that needs more
            # fails alone instead of waking the kernel's OOM killer on a shared machine.
            if not args.skip_diag:
                cap_bytes = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2
                t_up = time.monotonic()
                try:
                    sn.start(os.path.join(work, "nameplate-scale-all.log"), timeout=900,
                             wrap=["prlimit", f"--as={cap_bytes}", "--"])
                    all_ok = True
                except RuntimeError as e:
                    why = str(e)
                    sn.stop()
                    tail = ""
                    try:
                        with open(os.path.join(work, "nameplate-scale-all.log"),
                                  errors="replace") as f:
                            tail = f.read()[-300:].strip().replace("\n", " / ")
                    except OSError:
                        pass
                    log(f"scale: the all-roles server did not start: {why}; log: {tail}")
                    table.add("  diag: serve (api,dns,jobs) on this store: start", "FAILED",
                              "-", f"cap {cap_bytes / 2**30:.0f} GiB address space", "info",
                              "")
                    notes.append(f"`nameplate serve` (all roles) did not start on the scale "
                                 f"store under a {cap_bytes / 2**30:.0f} GiB address-space "
                                 f"cap: {why}; its log ends: {tail or '(empty)'}")
                if all_ok:
                    up = time.monotonic() - t_up
                    rss = rss_mib(sn.server.pid)
                    scale["all_start_s"], scale["all_rss_mib"] = up, rss
                    log(f"scale: all-roles server up in {up:.1f}s, peak RSS {rss:,.0f} MiB")
                    table.add("  diag: serve (api,dns,jobs) on this store: start time, peak RSS",
                              f"{up:.1f} s, {rss:,.0f} MiB", "-", "", "info", "")
                    self_check = dns_answers(sn.dns_port, "r0.big.test", timeout=2)
            if not args.skip_diag and all_ok and not self_check:
                notes.append("the all-roles scale server's DNS did not answer r0.big.test: "
                             "no create -> DNS rows")
            if not args.skip_diag and all_ok and self_check:
                # writes next to the big zone: what a change costs the rest of the server
                fmt = lambda v: ", ".join("never" if x is None else f"{x * 1e3:,.0f}" for x in v)
                small_s = [time_to_dns(sn, "z000001.test", f"dnsprobe{i}") for i in range(3)]
                big_s = [time_to_dns(sn, "big.test", f"dnsprobe{i}") for i in range(3)]
                scale["dns_small_s"], scale["dns_big_s"] = small_s, big_s
                log(f"scale: create -> served by DNS: small zone {fmt(small_s)} ms, "
                    f"big zone {fmt(big_s)} ms")
                table.add("  diag: create -> answered by DNS, small zone (ms, 3 tries)",
                          fmt(small_s), "-", "", "info", "")
                table.add(f"  diag: create -> answered by DNS, {bigname} zone (ms, 3 tries)",
                          fmt(big_s), "-", "", "info", "")
                c0, w0 = cpu_seconds(sn.server.pid), time.monotonic()

                def big_build(i):
                    return ("POST", bp, sn.headers, json.dumps(
                        {"name": f"paced{i}", "type": "A", "content": "192.0.2.8", "ttl": 300}))

                bz = paced(sn.port, big_build, 50, 10)
                cpu = (cpu_seconds(sn.server.pid) - c0) / (time.monotonic() - w0)
                scale["big_paced_50"] = bz
                log(f"scale: creates into big.test at 50/s: p50 {bz['p50_ms']:.1f} ms, p99 "
                    f"{bz['p99_ms']:.1f} ms, {bz['failed']} failed, server cpu {cpu:.0%}")
                table.add(f"  diag: createZoneRecord into the {bigname} zone at 50/s, p50 / p99",
                          f"{bz['p50_ms']:.1f} / {bz['p99_ms']:.1f} ms", "-",
                          f"server CPU {cpu:.0%}", "info", "")
            sn.stop()
            del scale["picks"]
    finally:
        for srv in (np_, pd, nn_):
            if srv:
                srv.stop()

    # ---- report
    mi = machine_info()
    pd_ver, wrk_ver = versions()
    commit = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no", "--", "src")
    own_build = os.path.realpath(args.binary) == os.path.realpath(
        os.path.join(ROOT, "build", "nameplate"))
    built_at = datetime.datetime.fromtimestamp(
        os.path.getmtime(args.binary), datetime.timezone.utc).strftime("%H:%M UTC")
    if own_build:
        built = (f"commit {commit[:12]}"
                 + (" (+ uncommitted changes in src/)" if dirty else "")
                 + f", build/nameplate linked at {built_at}")
    else:
        built = f"{args.built_from or 'unknown source'} (binary {args.binary})"
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    scale_line = ""
    if scale:
        scale_line = (f"- scale store: {scale['zones']:,} zones, {scale['records']:,} records "
                      f"(big.test {scale['big_records']:,}; {scale['small_zones']:,} zones of "
                      f"{scale['per_zone']}), {scale['db_bytes'] / 2**20:,.0f} MiB; populated "
                      f"by `nameplate zone import` in {scale['total_s']:.0f} s (big zone "
                      f"{scale['big_import_s']:.1f} s, small zones {scale['small_import_s']:.0f}"
                      f" s with {args.import_jobs} jobs, "
                      f"{scale['small_zones'] / max(scale['small_import_s'], 1e-9):.0f} "
                      f"zones/s){' (reused)' if scale.get('reused') else ''}; the api-only "
                      f"server took {scale.get('start_s', 0):.1f} s to start on it\n")
    header = (
        f"## {now} — {built}"
        + (" — scale rows only (--only-scale)" if args.only_scale else "")
        + (" — read row only (--only-read)" if args.only_read else "") +
        f"\n\n- machine: {mi['nproc']} CPUs, {mi['cpu']}, Linux {mi['kernel']}; work dir on "
        f"{fs_type}\n- servers pinned to CPU {server_cpu}, load generators to CPU {client_cpu};"
        f" closed-loop runs {d:g} s each after {wu:g} s warm-up (wrk {wrk_ver}, 1 thread); "
        f"PowerDNS {pd_ver} (gsqlite3, WAL, default synchronous)\n"
        f"- Nameplate: `serve` defaults (api-threads 4, store-sync full), rate limits off\n"
        f"{scale_line}"
        f"- run took {time.monotonic() - t_start:.0f} s; machine {busy0:.0%} busy just before "
        f"it; load average at start {load0[0]:.2f}, at end {os.getloadavg()[0]:.2f}\n")
    if others:
        header += f"- other busy processes at start: {'; '.join(others)}\n"
    for n in notes:
        header += f"- note: {n}\n"
    md = header + "\n" + table.markdown() + "\n"
    print()
    print(table.text())
    print()
    with open(os.path.join(work, "report.md"), "w") as f:
        f.write(md)
    with open(os.path.join(work, "detail.json"), "w") as f:
        json.dump({"detail": detail, "scale": scale, "machine": mi, "commit": commit}, f,
                  indent=1, default=str)
    if args.record:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write("\n" + md)
        log("bench: appended to bench/api/RESULTS.md")
    if not args.keep and not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
        log("bench: work dir removed (--keep keeps it, with logs, report.md, detail.json)")
    else:
        log(f"bench: logs, report.md and detail.json in {work}")


if __name__ == "__main__":
    main()
