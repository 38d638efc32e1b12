#!/usr/bin/python3
"""bench/dns/bench.py -- Nameplate's authoritative DNS against Knot DNS and NSD.

The benchmark of issue 4 ("Speed"): the same zones, served by Nameplate (`nameplate serve
--roles dns,api --dns-workers 1`), Knot DNS (knotd, one UDP, one TCP and one background
worker) and NSD (server-count 1), each pinned to one core (taskset -c SERVER_CPU), loaded by
dnsperf pinned to the other (taskset -c CLIENT_CPU) with the same query file, duration and
client count. Every server listens on 127.0.0.1 only, on free ports.

Cases: `small` (1,000 zones x 50 records) and `big` (one zone of 1,000,000 records); see
gen.py for the data and the query mix. For each case and server: dnsperf QPS, queries per
server-CPU-second (utime+stime from /proc of every process of the server, before and after
each run), resident memory after the runs (VmRSS; PSS too, because NSD is three
processes that share their pages), time from process start to the first answer for the
case's last-loaded name (a query every 10 ms); and the ratios Nameplate/Knot and
Nameplate/NSD against the issue's targets. Then propagation: p50/p99 from the API's 2xx
(createZoneRecord) to the new answer being served, while dnsperf loads the server.

See README.md for how to run it and RESULTS.md for recorded runs.
"""
import argparse
import atexit
import datetime
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import gen  # noqa: E402

HOST = "127.0.0.1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
_started = []  # Popen objects this run started; each is the leader of its own session


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- processes and /proc

def free_port():
    """A port free for both UDP and TCP on HOST."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((HOST, 0))
            p = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind((HOST, p))
            return p
        except OSError:
            continue
    raise RuntimeError("no free port")


def proc_tree(pid):
    """pid and all its descendants (NSD runs as a main process, xfrd and a server child)."""
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(d))
    out = [pid]
    i = 0
    while i < len(out):
        out += kids.get(out[i], [])
        i += 1
    return out


def cpu_seconds(pids):
    """utime+stime summed over processes (each over all its threads), in seconds."""
    total = 0.0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except (OSError, IndexError, ValueError):
            pass
    return total


def memory_kib(pids):
    """(VmRSS summed, Pss summed) in KiB over processes."""
    rss = pss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1])
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return rss, pss


def machine_busy(seconds=1.0):
    """Fraction of all CPUs busy over `seconds` (/proc/stat): others share the machine."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]
    t0, i0 = snap()
    time.sleep(seconds)
    t1, i1 = snap()
    return 1 - (i1 - i0) / max(t1 - t0, 1)


def wait_quiet(limit_s, threshold=0.15):
    t0 = time.monotonic()
    while time.monotonic() - t0 < limit_s:
        b = machine_busy(2.0)
        if b < threshold:
            return b
        log(f"machine {b * 100:.0f}% busy; waiting for it to quiet down")
        time.sleep(3)
    log("machine still busy; running anyway")
    return None


def busy_others(exclude):
    out = subprocess.run(["ps", "-eo", "pid,pcpu,etimes,comm", "--no-headers"],
                         capture_output=True, text=True).stdout
    busy = []
    for line in out.splitlines():
        f = line.split(None, 3)
        if len(f) == 4 and int(f[0]) not in exclude and float(f[1]) >= 20:
            busy.append(f"{f[3]} ({f[1]}% over {f[2]} s)")
    return busy


def start(argv, logpath, cpu, env=None):
    pin = ["taskset", "-c", str(cpu)] if cpu is not None else []
    logf = open(logpath, "ab")
    p = subprocess.Popen(pin + argv, stdout=logf, stderr=subprocess.STDOUT,
                         stdin=subprocess.DEVNULL, start_new_session=True, env=env)
    logf.close()
    _started.append(p)
    return p


def stop(p, timeout=30):
    """SIGTERM to the process group this run started (NSD's children are in it)."""
    if p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            p.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(timeout=10)
    # stray children of the group (NSD's server child, xfrd) when the leader exited first
    try:
        os.killpg(p.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@atexit.register
def _cleanup():
    for p in _started:
        try:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=5)
        except (ProcessLookupError, subprocess.TimeoutExpired, PermissionError):
            pass


# ---------------------------------------------------------------- DNS client helpers

def udp_query(sock, port, name, rdtype, timeout):
    """One query; the reply with our id, or None after timeout."""
    q = dns.message.make_query(name, rdtype, use_edns=0)
    sock.settimeout(timeout)
    sock.sendto(q.to_wire(), (HOST, port))
    deadline = time.monotonic() + timeout
    while True:
        try:
            data = sock.recv(65535)
        except (socket.timeout, BlockingIOError):
            return None
        except ConnectionRefusedError:
            return None
        try:
            r = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 -- a malformed reply counts as none
            r = None
        if r is not None and r.id == q.id:
            return r
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)


def has_answer(r, want=None):
    if r is None or r.rcode() != dns.rcode.NOERROR or not r.answer:
        return False
    if want is None:
        return True
    return any(want in rr.to_text() for rrset in r.answer for rr in rrset)


def first_answer(proc, port, name, rdtype, started, limit=900.0):
    """Seconds from `started` to the first answer for name (a query every 10 ms)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        while True:
            t = time.monotonic()
            if t - started > limit:
                raise RuntimeError(f"no answer for {name} within {limit:.0f} s")
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode} at start")
            r = udp_query(s, port, name, rdtype, 0.01)
            if has_answer(r):
                return time.monotonic() - started
            left = 0.01 - (time.monotonic() - t)
            if left > 0:
                time.sleep(left)


def answer_key(r):
    """What a differential check compares: rcode, AA, and each section as a set of RRsets."""
    if r is None:
        return ("timeout",)

    def sect(s):
        return tuple(sorted("\n".join(sorted(rrset.to_text().splitlines())) for rrset in s
                            if rrset.rdtype != dns.rdatatype.OPT))
    return (dns.rcode.to_text(r.rcode()), bool(r.flags & dns.flags.AA), sect(r.answer),
            sect(r.authority), sect(r.additional))


# ---------------------------------------------------------------- servers

class Server:
    name = "?"

    def __init__(self, workdir, cpu, dataset):
        self.workdir = workdir
        self.cpu = cpu
        self.ds = dataset
        self.proc = None
        self.port = None
        self.start_s = None

    def argv(self):
        raise NotImplementedError

    def env(self):
        return None

    def start(self):
        self.port = free_port()
        self.prepare()
        logpath = os.path.join(self.workdir, f"{self.key}.log")
        t0 = time.monotonic()
        self.proc = start(self.argv(), logpath, self.cpu, self.env())
        self.start_s = first_answer(self.proc, self.port, self.ds["probe"][0],
                                    self.ds["probe"][1], t0)
        return self.start_s

    def prepare(self):
        pass

    def pids(self):
        return proc_tree(self.proc.pid)

    def stop(self):
        if self.proc is not None:
            stop(self.proc)
            self.proc = None


class Nameplate(Server):
    name = "Nameplate"
    key = "nameplate"

    def __init__(self, workdir, cpu, dataset, binary, data, token):
        super().__init__(workdir, cpu, dataset)
        self.binary = binary
        self.data = data
        self.token = token
        self.api_port = None

    def prepare(self):
        self.api_port = free_port()

    def argv(self):
        return [self.binary, "serve", "--data", self.data, "--roles", "dns,api",
                "--dns", f"{HOST}:{self.port}", "--api", f"{HOST}:{self.api_port}",
                "--dns-workers", "1", "--log-level", "warning",
                "--rate-limit", "100000000", "--rate-limit-unauth", "100000000"]


class Knot(Server):
    name = "Knot DNS"
    key = "knot"

    def __init__(self, workdir, cpu, dataset, zonedir):
        super().__init__(workdir, cpu, dataset)
        self.zonedir = zonedir

    def prepare(self):
        d = os.path.join(self.workdir, "knot")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        self.conf = os.path.join(d, "knot.conf")
        zones = "".join(f"  - domain: {z}\n    file: {z}.zone\n" for z in self.ds["zone_names"])
        with open(self.conf, "w") as f:
            f.write(f"""server:
    listen: {HOST}@{self.port}
    rundir: {d}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: warning
database:
    storage: {d}
template:
  - id: default
    storage: {self.zonedir}
    # serve the files as they are; write nothing back (no journal, no zone-file sync)
    zonefile-sync: -1
    journal-content: none
zone:
{zones}""")

    def argv(self):
        return ["knotd", "-c", self.conf]


class NSD(Server):
    name = "NSD"
    key = "nsd"

    def __init__(self, workdir, cpu, dataset, zonedir):
        super().__init__(workdir, cpu, dataset)
        self.zonedir = zonedir

    def prepare(self):
        d = os.path.join(self.workdir, "nsd")
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        self.conf = os.path.join(d, "nsd.conf")
        zones = "".join(f"zone:\n    name: {z}\n    zonefile: {z}.zone\n"
                        for z in self.ds["zone_names"])
        with open(self.conf, "w") as f:
            f.write(f"""server:
    ip-address: {HOST}@{self.port}
    server-count: 1
    username: ""
    chroot: ""
    zonesdir: "{self.zonedir}"
    database: ""
    zonelistfile: "{d}/zone.list"
    pidfile: "{d}/nsd.pid"
    xfrdfile: "{d}/xfrd.state"
    xfrdir: "{d}"
    logfile: "{d}/nsd.log"
    verbosity: 0
    # no response rate limiting: Debian's NSD limits to 200 answers/s per /24 by default,
    # and every query here comes from 127.0.0.1
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
{zones}""")
        subprocess.run(["nsd-checkconf", self.conf], check=True)

    def argv(self):
        return ["nsd", "-d", "-c", self.conf]


# ---------------------------------------------------------------- data sets into servers

def run_np(binary, *args, data, check=True, **kw):
    return subprocess.run([binary, *args, "--data", data, "--log-level", "warning"],
                          capture_output=True, text=True, check=check, **kw)


def prepare_nameplate(binary, dsdir, ds, workdir):
    """Bootstrap a store, import every zone, export them back for Knot DNS and NSD.

    Imports run with --store-sync normal (the figures measured here do not depend on how
    durable the import was). Reused when the work dir already holds the same data set."""
    npdir = os.path.join(workdir, "np-" + ds["name"])
    marker = os.path.join(npdir, "ready.json")
    zonedir = os.path.join(workdir, "zones-" + ds["name"])
    if os.path.exists(marker):
        with open(marker) as f:
            m = json.load(f)
        if m.get("dataset") == {k: ds[k] for k in ("name", "zones", "records_per_zone", "seed")}:
            log(f"{ds['name']}: reusing the imported store in {npdir}")
            return m
    shutil.rmtree(npdir, ignore_errors=True)
    shutil.rmtree(zonedir, ignore_errors=True)
    os.makedirs(npdir)
    os.makedirs(zonedir)
    data = os.path.join(npdir, "data")
    out = run_np(binary, "admin", "bootstrap", "--json", data=data).stdout
    token = json.loads(out[out.index("{"):])["token"]
    log(f"{ds['name']}: importing {len(ds['zone_names'])} zone(s) into Nameplate")
    t0 = time.monotonic()
    for z in ds["zone_names"]:
        run_np(binary, "zone", "import", "--account", "1", "--zone", z, "--store-sync", "normal",
               os.path.join(dsdir, "zones", z + ".zone"), data=data)
    t_import = time.monotonic() - t0
    log(f"{ds['name']}: imported in {t_import:.1f} s; exporting for Knot DNS and NSD")
    for z in ds["zone_names"]:
        text = run_np(binary, "zone", "export", "--account", "1", "--zone", z, data=data).stdout
        with open(os.path.join(zonedir, z + ".zone"), "w") as f:
            f.write(text)
    m = {"dataset": {k: ds[k] for k in ("name", "zones", "records_per_zone", "seed")},
         "data": data, "token": token, "zonedir": zonedir, "import_s": t_import}
    with open(marker, "w") as f:
        json.dump(m, f)
    return m


# ---------------------------------------------------------------- dnsperf

DNSPERF_RE = {
    "sent": r"Queries sent:\s+(\d+)",
    "completed": r"Queries completed:\s+(\d+)",
    "lost": r"Queries lost:\s+(\d+)",
    "runtime": r"Run time \(s\):\s+([\d.]+)",
    "qps": r"Queries per second:\s+([\d.]+)",
    "latency": r"Average Latency \(s\):\s+([\d.]+)",
}


def dnsperf_argv(args, port, queries, seconds):
    """dnsperf pinned to the client core, with EDNS0; with the DO bit too when args.dnssec
    is set (signed.py)."""
    pin = ["taskset", "-c", str(args.client_cpu)] if args.client_cpu is not None else []
    do = ["-D"] if getattr(args, "dnssec", False) else []
    return pin + ["dnsperf", "-s", HOST, "-p", str(port), "-d", queries, "-l", str(seconds),
                  "-c", str(args.clients), "-q", str(args.outstanding), "-T", "1", "-e"] + do


def parse_dnsperf(text):
    r = {}
    for k, rx in DNSPERF_RE.items():
        m = re.search(rx, text)
        r[k] = float(m.group(1)) if m else float("nan")
    m = re.search(r"Response codes:\s+(.*)", text)
    r["rcodes"] = {}
    if m:
        for part in m.group(1).split(","):
            f = part.split()
            if len(f) >= 2:
                r["rcodes"][f[0]] = int(f[1])
    return r


def dnsperf_run(args, server, queries, seconds, attempts=3):
    """One measured dnsperf run; a run that dnsperf does not finish (killed from outside,
    say) is logged and run again."""
    for attempt in range(attempts):
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}")
        pids = server.pids()
        c0 = cpu_seconds(pids)
        t0 = time.monotonic()
        p = subprocess.run(dnsperf_argv(args, server.port, queries, seconds),
                           capture_output=True, text=True, timeout=seconds + 120)
        wall = time.monotonic() - t0
        c1 = cpu_seconds(server.pids())
        if p.returncode == 0:
            break
        log(f"dnsperf against {server.name} ended with status {p.returncode} "
            f"({p.stderr.strip()[:200] or 'no message'}); "
            + ("running it again" if attempt + 1 < attempts else "giving up"))
    if p.returncode != 0:
        raise RuntimeError(f"dnsperf failed with status {p.returncode}")
    r = parse_dnsperf(p.stdout)
    r["cpu"] = c1 - c0
    r["wall"] = wall
    r["qpcpu"] = r["completed"] / r["cpu"] if r["cpu"] > 0 else float("nan")
    r["busy"] = r["cpu"] / r["runtime"] if r["runtime"] > 0 else float("nan")
    r["out"] = p.stdout
    return r


# ---------------------------------------------------------------- checks

def differential(servers, queries, count, rng):
    """Send the same sample of the query file to every server; count disagreements."""
    with open(queries) as f:
        lines = [l.split() for l in f]
    sample = [lines[rng.randrange(len(lines))] for _ in range(count)]
    ref = servers[0]
    out = {}
    examples = {}
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        answers = {}
        for srv in servers:
            keys = []
            for name, t in sample:
                r = None
                for _ in range(3):
                    r = udp_query(s, srv.port, name, t, 0.5)
                    if r is not None:
                        break
                keys.append(answer_key(r))
            answers[srv.key] = keys
    for srv in servers[1:]:
        diff = [i for i in range(count) if answers[srv.key][i] != answers[ref.key][i]]
        other = [i for i in diff if not apex_ns_only(answers[ref.key][i], answers[srv.key][i])]
        out[srv.key] = len(diff)
        out[srv.key + " beyond apex NS in authority"] = len(other)
        diff = other + [i for i in diff if i not in other]
        examples[srv.key] = [{"q": " ".join(sample[i]), ref.key: answers[ref.key][i],
                              srv.key: answers[srv.key][i]} for i in diff[:5]]
    return out, examples


def apex_ns_only(a, b):
    """b is a but for the zone's NS RRset in the authority section of a positive answer:
    NSD's default (minimal-responses: no); Knot DNS and Nameplate leave it out."""
    if len(a) < 5 or len(b) < 5 or a[:3] != b[:3] or a[4] != b[4] or not a[2]:
        return False
    extra = set(b[3]) - set(a[3])
    return set(a[3]) <= set(b[3]) and len(extra) == 1 and " IN NS " in next(iter(extra))


# ---------------------------------------------------------------- propagation

def propagation(args, np, zones, changes, queries, label, budget_s, load=True):
    """createZoneRecord through the API, then poll over UDP until the new A appears.

    Latency = time the new answer arrived - time the 2xx arrived (both at the driver).
    With load, dnsperf runs against the server the whole time (killed at the end)."""
    perf = None
    if load:
        perf = subprocess.Popen(dnsperf_argv(args, np.port, queries, int(budget_s) + 60),
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                start_new_session=True)
        _started.append(perf)
        time.sleep(2)
    headers = {"Authorization": f"Bearer {np.token}", "Content-Type": "application/json",
               "Accept": "application/json"}
    conn = http.client.HTTPConnection(HOST, np.api_port, timeout=30)
    lat, polls, timeouts, api_ms = [], [], 0, []
    rng = random.Random(label)
    tag = "%x" % int(time.time() * 1000)
    t_end = time.monotonic() + budget_s
    c0 = cpu_seconds(np.pids())
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for i in range(changes):
            if time.monotonic() > t_end:
                break
            zone = zones[rng.randrange(len(zones))]
            name = f"prop-{tag}-{i}"
            ip = f"203.0.113.{1 + i % 250}"
            body = json.dumps({"name": name, "type": "A", "content": ip, "ttl": 60})
            t_req = time.monotonic()
            conn.request("POST", f"/v2/1/zones/{zone}/records", body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            t_ack = time.monotonic()
            if not 200 <= resp.status < 300:
                raise RuntimeError(f"createZoneRecord: HTTP {resp.status}")
            api_ms.append((t_ack - t_req) * 1000)
            n = 0
            while True:
                n += 1
                r = udp_query(s, np.port, f"{name}.{zone}", "A", 0.05)
                if has_answer(r, ip):
                    lat.append((time.monotonic() - t_ack) * 1000)
                    break
                if time.monotonic() - t_ack > args.prop_timeout:
                    timeouts += 1
                    lat.append(float("inf"))
                    break
            polls.append(n)
            time.sleep(0.01)
    cpu = cpu_seconds(np.pids()) - c0
    conn.close()
    perf_r = None
    if perf is not None:
        perf.send_signal(signal.SIGINT)  # dnsperf prints its statistics on SIGINT
        try:
            text = perf.communicate(timeout=30)[0]
            perf_r = parse_dnsperf(text)
        except subprocess.TimeoutExpired:
            perf.kill()
            perf.wait()
    lat.sort()
    return {"n": len(lat), "timeouts": timeouts, "p50": pct(lat, 50), "p99": pct(lat, 99),
            "max": lat[-1] if lat else float("nan"), "mean_polls": statistics.mean(polls) if polls else 0,
            "api_p50": pct(sorted(api_ms), 50), "load_qps": perf_r["qps"] if perf_r else None,
            "server_cpu": cpu}


def pct(v, p):
    if not v:
        return float("nan")
    k = min(len(v) - 1, max(0, int(round(p / 100 * len(v) + 0.5)) - 1))
    return v[k]


# ---------------------------------------------------------------- profile

def profile(args, server, queries, seconds, outpath):
    """perf record (cpu-clock: this VM has no hardware counters) on a server under load (an
    extra run, not one of the measured ones): the share of its time in the kernel, in
    each object, and its top symbols."""
    if shutil.which("perf") is None:
        return None
    data = outpath + ".data"
    pids = ",".join(str(p) for p in server.pids())
    rec = subprocess.Popen(["perf", "record", "-e", "cpu-clock", "-o", data,
                            "-p", pids, "--", "sleep", str(seconds + 1)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    subprocess.run(dnsperf_argv(args, server.port, queries, seconds), capture_output=True)
    rec.wait(timeout=seconds + 60)
    rep = subprocess.run(["perf", "report", "-i", data, "--stdio", "--no-children",
                          "--sort", "dso,symbol"],
                         capture_output=True, text=True).stdout
    with open(outpath, "w") as f:
        f.write(rep)
    rows = []
    for line in rep.splitlines():
        m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s*$", line)
        if m:
            rows.append((float(m.group(1)), m.group(2), m.group(3), m.group(4).split("  ")[0]))
    by_dso = {}
    for pc, dso, _, _ in rows:
        by_dso[dso] = by_dso.get(dso, 0) + pc
    kernel = sum(pc for pc, _, k, _ in rows if k == "k")
    return {"kernel_pct": kernel, "by_dso": dict(sorted(by_dso.items(), key=lambda x: -x[1])[:6]),
            "top": [f"{pc:5.2f}%  {dso}  {sym}" for pc, dso, _, sym in rows[:10]],
            "top_user": [f"{pc:5.2f}%  {dso}  {sym}" for pc, dso, k, sym in rows if k == "."][:15]}


SYSCALLS = ["recvmmsg", "sendmmsg", "recvmsg", "sendmsg", "recvfrom", "sendto",
            "epoll_wait", "epoll_pwait", "poll", "ppoll", "futex"]


def syscall_profile(args, server, queries, seconds):
    """Syscalls per answered query under load (perf stat on syscall tracepoints; an extra
    run, not one of the measured ones)."""
    if shutil.which("perf") is None:
        return None
    evs = ["raw_syscalls:sys_enter"] + [f"syscalls:sys_enter_{c}" for c in SYSCALLS]
    pids = ",".join(str(p) for p in server.pids())
    st = subprocess.Popen(["perf", "stat", "-x", ",", "-e", ",".join(evs), "-p", pids, "--",
                           "sleep", str(seconds + 1)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    time.sleep(0.3)
    p = subprocess.run(dnsperf_argv(args, server.port, queries, seconds), capture_output=True,
                       text=True)
    err = st.communicate(timeout=seconds + 60)[1]
    done = parse_dnsperf(p.stdout)["completed"]
    counts = {}
    for line in err.splitlines():
        f = line.split(",")
        if len(f) >= 3 and f[0].strip().isdigit():
            counts[f[2].split(":")[-1].replace("sys_enter_", "")] = int(f[0])
    if not done or not counts:
        return None
    out = {"queries": done, "per_query": {k: v / done for k, v in counts.items() if v}}
    return out


# ---------------------------------------------------------------- report

def fmt_qps(x):
    return "-" if x is None or x != x else f"{x:,.0f}"


def fmt_ratio(a, b):
    if not a or not b or a != a or b != b:
        return "-"
    return f"{a / b:.2f}x"


class Table:
    HEAD = ["case", "Nameplate", "Knot DNS", "NSD", "NP/Knot", "NP/NSD", "target", "met?"]

    def __init__(self):
        self.rows = []

    def add(self, *row):
        self.rows.append([str(c) for c in row])

    def text(self):
        w = [max(len(r[i]) for r in self.rows + [self.HEAD]) for i in range(len(self.HEAD))]
        line = lambda r: "  ".join(c.ljust(w[i]) for i, c in enumerate(r)).rstrip()
        return "\n".join([line(self.HEAD), line(["-" * x for x in w])] + [line(r) for r in self.rows])

    def markdown(self):
        out = ["| " + " | ".join(self.HEAD) + " |", "|" + "---|" * len(self.HEAD)]
        out += ["| " + " | ".join(r) + " |" for r in self.rows]
        return "\n".join(out)


def machine_info():
    model = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {"cpu": model, "nproc": os.cpu_count(), "kernel": platform.release()}


def git(*a):
    env = dict(os.environ, GIT_OPTIONAL_LOCKS="0")
    try:
        return subprocess.run(["git", "-C", ROOT, *a], capture_output=True, text=True,
                              env=env, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return ""


def pkg_version(p):
    return subprocess.run(["dpkg-query", "-W", "-f=${Version}", p], capture_output=True,
                          text=True).stdout.strip() or "?"


# ---------------------------------------------------------------- one case

def run_case(args, ds, dsdir, workdir, table, detail):
    name = ds["name"]
    title = ("%s zones x %s records" % (f"{ds['zones']:,}", ds["records_per_zone"])
             if name == "small" else f"1 zone x {ds['records_per_zone']:,} records")
    m = prepare_nameplate(args.binary, dsdir, ds, workdir)
    queries = os.path.join(dsdir, "queries.txt")
    sdir = os.path.join(workdir, "run-" + name)
    shutil.rmtree(sdir, ignore_errors=True)
    os.makedirs(sdir)
    # serve a copy: the propagation loop adds records, and the exported files Knot DNS and
    # NSD serve must stay what the store holds at start (serials included)
    data = os.path.join(sdir, "np-data")
    shutil.copytree(m["data"], data)
    np = Nameplate(sdir, args.server_cpu, ds, args.binary, data, m["token"])
    servers = [np, Knot(sdir, args.server_cpu, ds, m["zonedir"]),
               NSD(sdir, args.server_cpu, ds, m["zonedir"])]
    res = {s.key: {"runs": []} for s in servers}
    d = detail.setdefault(name, {"title": title, "import_s": m["import_s"]})
    try:
        # start each server --starts times, in alternating order, for the start-up figure
        # (median); the last start stays up for the load runs
        for rnd in range(args.starts):
            for s in (servers if rnd % 2 == 0 else servers[::-1]):
                st = s.start()
                rss, pss = memory_kib(s.pids())
                res[s.key].setdefault("starts", []).append(st)
                res[s.key].update(rss_idle=rss, pss_idle=pss)
                log(f"{name}: {s.name} answers {st:.3f} s after start (pid {s.proc.pid}, "
                    f"{len(s.pids())} process(es), RSS {rss / 1024:.0f} MiB)")
                if rnd < args.starts - 1:
                    s.stop()
        for s in servers:
            res[s.key]["start_s"] = statistics.median(res[s.key]["starts"])
        diffs, ex = differential(servers, queries, args.diff_sample, random.Random(7))
        d["differential"] = {"sample": args.diff_sample, "mismatches": diffs, "examples": ex}
        log(f"{name}: answers differing from Nameplate's in a sample of {args.diff_sample}: {diffs}")
        for s in servers:
            dnsperf_run(args, s, queries, args.warmup)
        for rnd in range(args.rounds):
            order = servers if rnd % 2 == 0 else servers[::-1]
            for s in order:
                r = dnsperf_run(args, s, queries, args.duration)
                res[s.key]["runs"].append({k: v for k, v in r.items() if k != "out"})
                log(f"{name} round {rnd + 1}: {s.name:9} {r['qps']:>10,.0f} qps, "
                    f"{r['qpcpu']:>10,.0f} q/cpu-s, server busy {r['busy'] * 100:.0f}%, "
                    f"lost {r['lost']:.0f}, rcodes {r['rcodes']}")
        for s in servers:
            rss, pss = memory_kib(s.pids())
            res[s.key].update(rss=rss, pss=pss)
        if args.profile:
            d["profile"], d["syscalls"] = {}, {}
            for s in servers:
                d["profile"][s.key] = profile(args, s, queries, args.profile,
                                              os.path.join(workdir, f"perf-{name}-{s.key}.txt"))
                d["syscalls"][s.key] = syscall_profile(args, s, queries, args.profile)
                log(f"{name}: {s.name} syscalls per query: {d['syscalls'][s.key]}")
        # propagation runs last: the records it adds must not change the load runs' data
        zones = ds["zone_names"]
        if name == "small" or args.prop_big:
            changes = args.prop_changes if name == "small" else args.prop_big_changes
            log(f"{name}: propagation under dnsperf load ({changes} changes)")
            pr = propagation(args, np, zones, changes, queries, name + "-load", args.prop_budget)
            d["prop_load"] = pr
            log(f"{name}: propagation under load: p50 {pr['p50']:.2f} ms, p99 {pr['p99']:.2f} ms, "
                f"max {pr['max']:.2f} ms ({pr['n']} changes, {pr['timeouts']} timeouts, "
                f"dnsperf {fmt_qps(pr['load_qps'])} qps meanwhile)")
            idle_n = max(20, changes // 4)
            pi = propagation(args, np, zones, idle_n, queries, name + "-idle", args.prop_budget, load=False)
            d["prop_idle"] = pi
            log(f"{name}: propagation idle: p50 {pi['p50']:.2f} ms, p99 {pi['p99']:.2f} ms")
    finally:
        for s in servers:
            s.stop()
    for k, v in res.items():
        runs = v["runs"]
        v["qps"] = statistics.median(r["qps"] for r in runs) if runs else float("nan")
        v["qpcpu"] = statistics.median(r["qpcpu"] for r in runs) if runs else float("nan")
        v["busy"] = statistics.median(r["busy"] for r in runs) if runs else float("nan")
        v["lost"] = sum(r["lost"] for r in runs)
        v["latency_ms"] = statistics.median(r["latency"] for r in runs) * 1000 if runs else float("nan")
        v["rcodes"] = runs[-1]["rcodes"] if runs else {}
    d["servers"] = res
    n, k, s = res["nameplate"], res["knot"], res["nsd"]

    def rng(key, fmt):
        vals = [r[key] for r in n["runs"]]
        return fmt(min(vals)) + "-" + fmt(max(vals)) if len(vals) > 1 else ""

    def met(ok):
        return "yes" if ok else "NO"

    table.add(f"{title}: QPS", fmt_qps(n["qps"]), fmt_qps(k["qps"]), fmt_qps(s["qps"]),
              fmt_ratio(n["qps"], k["qps"]), fmt_ratio(n["qps"], s["qps"]),
              ">= Knot and >= NSD", met(n["qps"] >= k["qps"] and n["qps"] >= s["qps"]))
    table.add(f"{title}: queries per server-CPU-second", fmt_qps(n["qpcpu"]), fmt_qps(k["qpcpu"]),
              fmt_qps(s["qpcpu"]), fmt_ratio(n["qpcpu"], k["qpcpu"]), fmt_ratio(n["qpcpu"], s["qpcpu"]),
              ">= 1.2x Knot", met(n["qpcpu"] >= 1.2 * k["qpcpu"]))
    mib = lambda x: f"{x / 1024:,.1f} MiB"
    table.add(f"{title}: VmRSS after load", mib(n["rss"]), mib(k["rss"]), mib(s["rss"]) + " (3 procs)",
              fmt_ratio(n["rss"], k["rss"]), fmt_ratio(n["rss"], s["rss"]), "<= Knot",
              met(n["rss"] <= k["rss"]))
    table.add(f"{title}: PSS after load (diag)", mib(n["pss"]), mib(k["pss"]), mib(s["pss"]),
              fmt_ratio(n["pss"], k["pss"]), fmt_ratio(n["pss"], s["pss"]), "-", "-")
    big = name == "big"
    table.add(f"{title}: start to first answer", f"{n['start_s']:.2f} s", f"{k['start_s']:.2f} s",
              f"{s['start_s']:.2f} s", fmt_ratio(n["start_s"], k["start_s"]),
              fmt_ratio(n["start_s"], s["start_s"]), "<= Knot" if big else "-",
              met(n["start_s"] <= k["start_s"]) if big else "-")
    table.add(f"{title}: start to first answer, range (diag)",
              *[f"{min(v['starts']):.2f}-{max(v['starts']):.2f} s" for v in (n, k, s)],
              "-", "-", "-", "-")
    table.add(f"{title}: server core busy during runs (diag)", f"{n['busy'] * 100:.0f}%",
              f"{k['busy'] * 100:.0f}%", f"{s['busy'] * 100:.0f}%", "-", "-", "-", "-")
    span = lambda v, key: (f"{min(r[key] for r in v['runs']):,.0f}-{max(r[key] for r in v['runs']):,.0f}"
                           if v["runs"] else "-")
    table.add(f"{title}: QPS, range over rounds (diag)", span(n, "qps"), span(k, "qps"),
              span(s, "qps"), "-", "-", "-", "-")
    table.add(f"{title}: queries per CPU-second, range (diag)", span(n, "qpcpu"), span(k, "qpcpu"),
              span(s, "qpcpu"), "-", "-", "-", "-")
    if "prop_load" in d:
        pr, pi = d["prop_load"], d["prop_idle"]
        table.add(f"{title}: propagation API 2xx -> answer, under load, p50 / p99",
                  f"{pr['p50']:.2f} / {pr['p99']:.2f} ms ({pr['n']})", "-", "-", "-", "-",
                  "p99 <= 10 ms", met(pr["p99"] <= 10))
        table.add(f"{title}: propagation, idle, p50 / p99 (diag)",
                  f"{pi['p50']:.2f} / {pi['p99']:.2f} ms ({pi['n']})", "-", "-", "-", "-", "-", "-")
    return res


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "nameplate"))
    ap.add_argument("--duration", type=int, default=20, help="seconds per dnsperf run (20)")
    ap.add_argument("--rounds", type=int, default=3,
                    help="runs per server and case, alternating the order (median; 3)")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server (3)")
    ap.add_argument("--starts", type=int, default=3,
                    help="starts per server and case for the start-to-first-answer figure (median; 3)")
    ap.add_argument("--clients", type=int, default=10, help="dnsperf -c (10)")
    ap.add_argument("--outstanding", type=int, default=100, help="dnsperf -q (100)")
    ap.add_argument("--zones", type=int, default=1000, help="zones of the small case (1000)")
    ap.add_argument("--records", type=int, default=1_000_000,
                    help="records of the big case's one zone (1,000,000)")
    ap.add_argument("--cases", default="small,big", help="comma-separated: small, big")
    ap.add_argument("--prop-changes", type=int, default=200,
                    help="changes of the propagation loop in the small case (200)")
    ap.add_argument("--prop-big", action="store_true", default=True, help=argparse.SUPPRESS)
    ap.add_argument("--no-prop-big", dest="prop_big", action="store_false",
                    help="skip the propagation loop on the big zone")
    ap.add_argument("--prop-big-changes", type=int, default=20,
                    help="changes of the propagation loop on the big zone (20)")
    ap.add_argument("--prop-budget", type=float, default=90,
                    help="seconds at most per propagation loop (90)")
    ap.add_argument("--prop-timeout", type=float, default=10,
                    help="seconds one change may take to appear (10)")
    ap.add_argument("--diff-sample", type=int, default=500,
                    help="queries of the differential sanity check (500)")
    ap.add_argument("--profile", type=int, default=0, metavar="S",
                    help="also perf-record Nameplate under S seconds of load per case")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--workdir", help="work dir (default: a new temp dir); data sets and "
                    "imported stores found there are reused")
    ap.add_argument("--keep", action="store_true", help="keep the work dir")
    ap.add_argument("--record", action="store_true", help="append the results to RESULTS.md")
    ap.add_argument("--wait-quiet", type=int, default=0, metavar="S",
                    help="before each case, wait up to S seconds for the machine to be "
                    "less than 15%% busy (other work on the machine skews every figure)")
    ap.add_argument("--label", default="", help="a note for the report's header (e.g. how "
                    "the binary was built)")
    args = ap.parse_args()

    for tool in ("knotd", "nsd", "nsd-checkconf", "dnsperf", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} not found; run bench/dns/setup")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"bench: {args.binary} missing; run make build")
    args.binary = os.path.abspath(args.binary)
    if len(os.sched_getaffinity(0)) < 2:
        log("fewer than 2 CPUs: servers and dnsperf share one core")
        args.server_cpu = args.client_cpu = None
    else:
        os.sched_setaffinity(0, {args.client_cpu})  # the driver stays off the server's core

    own = args.workdir is not None
    workdir = os.path.abspath(args.workdir) if own else tempfile.mkdtemp(prefix="nameplate-bench-dns-")
    os.makedirs(workdir, exist_ok=True)
    log(f"work dir {workdir}")
    t_all = time.monotonic()
    busy0 = machine_busy()
    table = Table()
    detail = {}
    try:
        for case in [c.strip() for c in args.cases.split(",") if c.strip()]:
            if args.wait_quiet:
                wait_quiet(args.wait_quiet)
            t = time.monotonic()
            ds = gen.generate(os.path.join(workdir, "data"), case, args.zones, args.records)
            log(f"{case}: data set ready ({ds['total_records']:,} records, "
                f"{ds['queries']:,} queries, {time.monotonic() - t:.1f} s)")
            run_case(args, ds, os.path.join(workdir, "data", case), workdir, table, detail)
    finally:
        if not args.keep and not own:
            shutil.rmtree(workdir, ignore_errors=True)
    busy1 = machine_busy()
    total = time.monotonic() - t_all
    mi = machine_info()
    head = git("rev-parse", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    others = busy_others({os.getpid()})
    ours = os.path.realpath(args.binary) == os.path.realpath(os.path.join(ROOT, "build", "nameplate"))
    what = (f"commit {head}{' (tree has uncommitted changes)' if dirty else ''}" if ours
            else f"repo HEAD {head}, binary {args.binary}")
    hdr = (f"{now}; {what}; "
           f"{mi['cpu']}, nproc {mi['nproc']}, kernel {mi['kernel']}; knot {pkg_version('knot')}, "
           f"nsd {pkg_version('nsd')}, dnsperf {pkg_version('dnsperf')}; dnsperf -c {args.clients} "
           f"-q {args.outstanding} -e, {args.rounds} x {args.duration} s per server and case "
           f"(median), {args.starts} starts each (median); machine busy {busy0 * 100:.0f}% before, {busy1 * 100:.0f}% after; "
           f"run took {total / 60:.1f} min" + (f"; {args.label}" if args.label else ""))
    print()
    print(hdr)
    print()
    print(table.text())
    for case, d in detail.items():
        dif = d.get("differential", {})
        print(f"\n{case}: differential sample of {dif.get('sample')} queries, answers unlike "
              f"Nameplate's: {dif.get('mismatches')}; import into Nameplate {d['import_s']:.1f} s; "
              f"rcodes (last run): " + "; ".join(f"{k}: {v['rcodes']}" for k, v in d['servers'].items()))
        for k, exs in dif.get("examples", {}).items():
            for e in exs[:3]:
                print(f"  {k} differs: {e}")
        for key in ("prop_load", "prop_idle"):
            if key in d:
                pr = d[key]
                print(f"  propagation {key[5:]}: {pr['n']} changes, p50 {pr['p50']:.2f} ms, p99 "
                      f"{pr['p99']:.2f} ms, max {pr['max']:.2f} ms, {pr['timeouts']} timeouts; "
                      f"createZoneRecord 2xx p50 {pr['api_p50']:.1f} ms; {pr['mean_polls']:.1f} "
                      f"queries per change; server CPU {pr['server_cpu']:.1f} s" +
                      (f"; dnsperf meanwhile {fmt_qps(pr['load_qps'])} qps" if pr["load_qps"] else ""))
        for k, sc in (d.get("syscalls") or {}).items():
            if sc:
                print(f"  {k}: syscalls per answered query: " + ", ".join(
                    f"{c} {v:.3f}" for c, v in sorted(sc["per_query"].items(), key=lambda x: -x[1])))
        for k, pr in (d.get("profile") or {}).items():
            if not pr:
                continue
            per_q = 1e6 / d["servers"][k]["qpcpu"]
            print(f"\n{case}: {k} under load (perf, cpu-clock): {per_q:.2f} us of CPU per query, "
                  f"{pr['kernel_pct']:.0f}% in the kernel ({per_q * pr['kernel_pct'] / 100:.2f} us), "
                  f"{100 - pr['kernel_pct']:.0f}% in user space "
                  f"({per_q * (100 - pr['kernel_pct']) / 100:.2f} us); by object: "
                  + ", ".join(f"{o} {v:.1f}%" for o, v in pr["by_dso"].items()))
            if k == "nameplate":
                print("  top symbols:\n" + "\n".join("    " + l for l in pr["top"]))
            print(f"  top user-space symbols ({k}):\n" +
                  "\n".join("    " + l for l in pr["top_user"][:15 if k == "nameplate" else 8]))
    if others:
        print("\nother busy processes at the end: " + ", ".join(others[:8]))
    report = {"header": hdr, "table": table.rows, "detail": detail, "args": vars(args)}
    if args.keep or own:
        with open(os.path.join(workdir, "detail.json"), "w") as f:
            json.dump(report, f, indent=1, default=str)
    if args.record:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(f"\n## Run of {now}\n\n{hdr}\n\n{table.markdown()}\n")
            for case, d in detail.items():
                dif = d.get("differential", {})
                f.write(f"\n{case}: differential sample of {dif.get('sample')} queries, answers "
                        f"unlike Nameplate's: {dif.get('mismatches')}; import into Nameplate "
                        f"{d['import_s']:.1f} s.\n")
        log("appended to bench/dns/RESULTS.md")


if __name__ == "__main__":
    main()
