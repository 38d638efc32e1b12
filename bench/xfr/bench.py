#!/usr/bin/python3
"""bench/xfr/bench.py -- zone transfers out: Nameplate against Knot DNS as the primary.

The benchmark of issue 6 ("Speed"): the time to AXFR a 1,000,000-record zone to knotd, and
the time of an IXFR of one change, with Nameplate (`nameplate serve --roles api,dns`) as
the primary and then Knot DNS (knotd with the same zone file) as the primary, in the same
run, on the same machine, with a fresh knotd secondary each round.

Per primary and round:
  axfr       the secondary's own figure for the transfer ("AXFR, incoming ..., finished,
             X seconds"), from its first request to the last message in;
  axfr_wall  from starting the secondary to it answering the primary's serial (the AXFR
             and the secondary loading what it received);
  ixfr       the secondary's figure for the IXFR of one change (one A record added);
  change     from the change (the API's 201 for Nameplate; `knotc zone-commit` returning
             for Knot) to the secondary answering the new serial: NOTIFY, the SOA
             check, the IXFR, and for Nameplate the rebuild of the 1M-record zone version
             the change makes (the dns role rebuilds a changed zone whole);
  client     `kdig AXFR` with nothing printed, end to end (a client that stores nothing);
  cpu        the primary's CPU seconds (user+system, every thread) for that client AXFR.
The table shows medians over the rounds. See README.md; RESULTS.md has recorded runs.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "bench", "dns"))
import gen  # noqa: E402  (the DNS benchmark's data sets: the same 1M-record zone)

HOST = "127.0.0.1"
ZONE = "big.test"
KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
KNOTC = shutil.which("knotc") or "/usr/sbin/knotc"
KDIG = shutil.which("kdig") or "/usr/bin/kdig"
CLK_TCK = os.sysconf("SC_CLK_TCK")
LIVE = []


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def free_port():
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
            t.bind((HOST, 0))
            port = t.getsockname()[1]
            try:
                with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                    u.bind((HOST, port))
            except OSError:
                continue
            return port
    raise SystemExit("no free port")


def wait_for(pred, bound, step=0.02, what="condition"):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(step)
    raise SystemExit("timed out after %ss waiting for %s" % (bound, what))


def soa_serial(port, zone=ZONE):
    try:
        p = subprocess.run([KDIG, "@" + HOST, "-p", str(port), zone, "SOA", "+short",
                            "+time=1", "+retry=0"], capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        return None
    parts = p.stdout.split()
    return int(parts[2]) if len(parts) >= 7 and parts[2].isdigit() else None


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
    """Wait up to limit_s for the machine to be less than threshold busy; the busy share."""
    t0 = time.monotonic()
    b = machine_busy(2.0)
    while b >= threshold and time.monotonic() - t0 < limit_s:
        log("machine %.0f%% busy; waiting for it to quiet down" % (b * 100))
        time.sleep(3)
        b = machine_busy(2.0)
    return b


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def start(argv, logpath):
    logf = open(logpath, "ab")
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)
    logf.close()
    LIVE.append(p)
    return p


def stop(p):
    if p is None or p.poll() is not None:
        return
    p.send_signal(signal.SIGTERM)
    try:
        p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait(timeout=10)


# ---------------------------------------------------------------- Nameplate

def run_np(binary, *args, data, check=True):
    return subprocess.run([binary, *args, "--data", data, "--log-level", "warning"],
                          capture_output=True, text=True, check=check)


def prepare(binary, ds, workdir):
    """A store with the zone imported (reused when the work dir has it), and the zone as
    Nameplate exports it (its SOA and NS included): Knot DNS serves that same file."""
    npdir = os.path.join(workdir, "np")
    marker = os.path.join(npdir, "ready.json")
    want = {k: ds[k] for k in ("name", "records_per_zone", "seed")}
    if os.path.exists(marker):
        with open(marker) as f:
            m = json.load(f)
        if m.get("dataset") == want:
            log("reusing the imported store in %s" % npdir)
            return m
    shutil.rmtree(npdir, ignore_errors=True)
    os.makedirs(npdir)
    data = os.path.join(npdir, "data")
    out = run_np(binary, "admin", "bootstrap", "--json", data=data).stdout
    token = json.loads(out[out.index("{"):])["token"]
    log("importing %d records into Nameplate" % ds["total_records"])
    t0 = time.monotonic()
    run_np(binary, "zone", "import", "--account", "1", "--zone", ZONE, "--store-sync", "normal",
           os.path.join(ds["dir"], "zones", ZONE + ".zone"), data=data)
    t_import = time.monotonic() - t0
    zonefile = os.path.join(npdir, ZONE + ".zone")
    with open(zonefile, "w") as f:
        f.write(run_np(binary, "zone", "export", "--account", "1", "--zone", ZONE,
                       data=data).stdout)
    m = {"dataset": want, "data": data, "token": token, "zonefile": zonefile,
         "import_s": t_import}
    with open(marker, "w") as f:
        json.dump(m, f)
    return m


class NameplatePrimary:
    name = "Nameplate"

    def __init__(self, binary, prep, workdir, notify_port):
        self.binary, self.prep, self.dir = binary, prep, os.path.join(workdir, "np-run")
        self.notify_port = notify_port
        os.makedirs(self.dir, exist_ok=True)

    def start(self):
        self.port, self.api = free_port(), free_port()
        self.proc = start([self.binary, "serve", "--data", self.prep["data"], "--roles", "api,dns",
                           "--api", "%s:%d" % (HOST, self.api),
                           "--dns", "%s:%d" % (HOST, self.port), "--transfer-allow", HOST,
                           "--notify", "%s:%d" % (HOST, self.notify_port),
                           "--store-sync", "normal", "--rate-limit", "100000000"],
                          os.path.join(self.dir, "serve.log"))
        return wait_for(lambda: soa_serial(self.port), 600, 0.2, "Nameplate to load the zone")

    def change(self, i):
        body = json.dumps({"name": "bench-change-%d-%d" % (os.getpid(), i), "type": "A",
                           "content": "192.0.2.%d" % (1 + i % 250), "ttl": 300}).encode()
        req = urllib.request.Request(
            "http://%s:%d/v2/1/zones/%s/records" % (HOST, self.api, ZONE), data=body,
            headers={"Authorization": "Bearer " + self.prep["token"],
                     "Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=30) as r:
            assert r.status == 201, r.status

    def stop(self):
        stop(self.proc)


class KnotPrimary:
    name = "Knot DNS"

    def __init__(self, prep, workdir, notify_port):
        self.zonefile, self.dir = prep["zonefile"], os.path.join(workdir, "knot-primary")
        self.notify_port = notify_port

    def start(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        for d in ("run", "storage"):
            os.makedirs(os.path.join(self.dir, d))
        self.port = free_port()
        self.sock = os.path.join(self.dir, "run", "knot.sock")
        conf = os.path.join(self.dir, "knot.conf")
        with open(conf, "w") as f:
            f.write("server:\n    listen: %s@%d\n    rundir: %s\n"
                    "log:\n  - target: stderr\n    any: info\n"
                    "database:\n    storage: %s\n"
                    "remote:\n  - id: secondary\n    address: %s@%d\n"
                    "acl:\n  - id: xfr\n    address: %s\n    action: transfer\n"
                    "template:\n  - id: default\n    storage: %s\n    zonefile-sync: -1\n"
                    "    journal-content: changes\n    semantic-checks: off\n"
                    "zone:\n  - domain: %s\n    file: %s\n    notify: secondary\n"
                    "    acl: xfr\n"
                    % (HOST, self.port, os.path.join(self.dir, "run"),
                       os.path.join(self.dir, "storage"), HOST, self.notify_port, HOST,
                       os.path.join(self.dir, "storage"), ZONE, self.zonefile))
        self.proc = start([KNOTD, "-c", conf], os.path.join(self.dir, "knotd.log"))
        return wait_for(lambda: soa_serial(self.port), 600, 0.2, "knotd to load the zone")

    def change(self, i):
        def knotc(*a):
            subprocess.run([KNOTC, "-s", self.sock, *a], check=True, capture_output=True,
                           timeout=60)
        knotc("zone-begin", ZONE)
        knotc("zone-set", ZONE, "bench-change-%d-%d" % (os.getpid(), i), "300", "A",
              "192.0.2.%d" % (1 + i % 250))
        knotc("zone-commit", ZONE)

    def stop(self):
        stop(self.proc)


class Secondary:
    """A fresh knotd secondary of the primary on a fixed port (the primary NOTIFYs it)."""

    def __init__(self, workdir, port, primary_port, tag):
        self.dir = os.path.join(workdir, "secondary-" + tag)
        self.port, self.primary_port = port, primary_port
        self.log_path = os.path.join(self.dir, "knotd.log")

    def start(self):
        shutil.rmtree(self.dir, ignore_errors=True)
        for d in ("run", "storage"):
            os.makedirs(os.path.join(self.dir, d))
        conf = os.path.join(self.dir, "knot.conf")
        storage = os.path.join(self.dir, "storage")
        with open(conf, "w") as f:
            f.write("server:\n    listen: %s@%d\n    rundir: %s\n"
                    "log:\n  - target: stderr\n    any: info\n"
                    "database:\n    storage: %s\n"
                    "remote:\n  - id: primary\n    address: %s@%d\n"
                    "acl:\n  - id: notify\n    address: %s\n    action: notify\n"
                    "template:\n  - id: default\n    storage: %s\n    zonefile-sync: -1\n"
                    "    zonefile-load: none\n    journal-content: changes\n"
                    "    semantic-checks: off\n    master: primary\n    acl: notify\n"
                    "zone:\n  - domain: %s\n"
                    % (HOST, self.port, os.path.join(self.dir, "run"), storage, HOST,
                       self.primary_port, HOST, storage, ZONE))
        self.proc = start([KNOTD, "-c", conf], self.log_path)

    def log(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def transfer_seconds(self, kind, nth=1):
        """The secondary's own duration of its nth incoming transfer of this kind."""
        found = re.findall(r"\] %s, incoming, remote [^,]+, finished, ([\d.]+) seconds, "
                           r"(\d+) messages, (\d+) bytes" % kind, self.log())
        return (float(found[nth - 1][0]), int(found[nth - 1][1]),
                int(found[nth - 1][2])) if len(found) >= nth else None

    def stop(self):
        stop(self.proc)


# ---------------------------------------------------------------- one primary

def client_axfr(port, pid):
    cpu0 = cpu_seconds(pid)
    t0 = time.monotonic()
    p = subprocess.run([KDIG, "@" + HOST, "-p", str(port), ZONE, "AXFR", "+noall"],
                       capture_output=True, text=True, timeout=600)
    took = time.monotonic() - t0
    cpu = cpu_seconds(pid) - cpu0
    if p.returncode != 0 or "ERROR" in p.stdout + p.stderr:
        raise SystemExit("kdig AXFR failed: %s" % (p.stdout + p.stderr)[-500:])
    return took, cpu


def client_ixfr(port, serial):
    """`kdig IXFR=serial` (one change behind) with nothing printed: the answer's time."""
    t0 = time.monotonic()
    p = subprocess.run([KDIG, "@" + HOST, "-p", str(port), ZONE, "IXFR=%d" % serial, "+noall"],
                       capture_output=True, text=True, timeout=60)
    took = time.monotonic() - t0
    if p.returncode != 0 or "ERROR" in p.stdout + p.stderr:
        raise SystemExit("kdig IXFR failed: %s" % (p.stdout + p.stderr)[-500:])
    return took


def measure(primary, args, workdir, sec_port):
    log("%s: starting the primary (loads %d records)" % (primary.name, args.records))
    t0 = time.monotonic()
    serial = primary.start()
    load_s = time.monotonic() - t0
    rows = []
    try:
        for r in range(args.rounds):
            row = {}
            row["client"], row["cpu"] = client_axfr(primary.port, primary.proc.pid)
            sec = Secondary(workdir, sec_port, primary.port, primary.name.split()[0].lower())
            t0 = time.monotonic()
            sec.start()
            wait_for(lambda: soa_serial(sec.port) == serial, args.timeout, 0.02,
                     "the secondary's AXFR from %s" % primary.name)
            row["axfr_wall"] = time.monotonic() - t0
            row["axfr"], row["messages"], row["bytes"] = wait_for(
                lambda: sec.transfer_seconds("AXFR"), 10, 0.05, "the AXFR log line")
            t0 = time.monotonic()
            primary.change(r)
            served = wait_for(lambda: (s := soa_serial(sec.port)) not in (None, serial) and s,
                              args.timeout, 0.02, "the change on the secondary")
            row["change"] = time.monotonic() - t0
            ixfr = wait_for(lambda: sec.transfer_seconds("IXFR"), 10, 0.05, "the IXFR log line")
            row["ixfr"] = ixfr[0]
            row["ixfr_bytes"] = ixfr[2]
            row["ixfr_client"] = client_ixfr(primary.port, serial)
            if "AXFR-style" in sec.log():
                raise SystemExit("%s answered the IXFR AXFR-style" % primary.name)
            serial = served
            sec.stop()
            rows.append(row)
            log("%s round %d: %s" % (primary.name, r + 1, ", ".join(
                "%s %.3f" % (k, v) if isinstance(v, float) else "%s %s" % (k, v)
                for k, v in row.items())))
    finally:
        primary.stop()
    return {"load_s": load_s, "rounds": rows}


def med(rows, key):
    return statistics.median(r[key] for r in rows)


def table(results):
    keys = [("axfr", "AXFR of the zone, secondary's figure (s)"),
            ("axfr_wall", "AXFR, secondary start to serving it (s)"),
            ("client", "kdig AXFR, nothing stored (s)"),
            ("cpu", "primary CPU for that AXFR (s)"),
            ("ixfr", "IXFR of one change, secondary's figure (s, 2 decimals)"),
            ("ixfr_client", "kdig IXFR of one change (s)"),
            ("change", "one change to the secondary serving it (s)")]
    names = list(results)
    lines = ["| measure (median) | %s | %s / %s |" % (" | ".join(names), names[0], names[1]),
             "|---|%s---|" % ("---|" * len(names))]
    for k, label in keys:
        vals = [med(results[n]["rounds"], k) for n in names]
        ratio = "%.2f" % (vals[0] / vals[1]) if vals[1] > 0 else "-"
        lines.append("| %s | %s | %s |" % (label, " | ".join("%.3f" % v for v in vals), ratio))
    lines.append("| messages, bytes of the AXFR | %s | |" % " | ".join(
        "%d, %d" % (results[n]["rounds"][0]["messages"], results[n]["rounds"][0]["bytes"])
        for n in names))
    lines.append("| primary start to serving the zone (s) | %s | |" % " | ".join(
        "%.1f" % results[n]["load_s"] for n in names))
    return "\n".join(lines)


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return "%s, %d CPUs, %s" % (cpu, os.cpu_count(), platform.platform())


def version(argv):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=10).stdout.split(
            "\n")[0].strip()
    except OSError:
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--records", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300.0, help="bound on each wait, s")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "nameplate"))
    ap.add_argument("--workdir", default=None, help="reuse data and store here (default: temp)")
    ap.add_argument("--wait-quiet", type=float, default=0,
                    help="before each primary, wait up to S seconds for a quiet machine")
    ap.add_argument("--record", action="store_true", help="append the run to RESULTS.md")
    ap.add_argument("--label", default="")
    args = ap.parse_args()
    for tool in (KNOTD, KNOTC, KDIG, args.binary):
        if not os.access(tool, os.X_OK):
            raise SystemExit("missing %s (make build; bash bench/xfr/setup)" % tool)
    workdir = args.workdir or tempfile.mkdtemp(prefix="bench-xfr-")
    os.makedirs(workdir, exist_ok=True)
    log("work dir %s" % workdir)
    ds = gen.generate(os.path.join(workdir, "data"), "big", records=args.records)
    ds["dir"] = os.path.join(workdir, "data", "big")
    prep = prepare(args.binary, ds, workdir)
    sec_port = free_port()
    results = {}
    busy = []
    try:
        for primary in (NameplatePrimary(args.binary, prep, workdir, sec_port),
                        KnotPrimary(prep, workdir, sec_port)):
            busy.append(wait_quiet(args.wait_quiet) if args.wait_quiet > 0 else machine_busy())
            results[primary.name] = measure(primary, args, workdir, sec_port)
    finally:
        for p in LIVE:
            stop(p)
    text = table(results)
    print("\n" + text + "\n")
    with open(os.path.join(workdir, "detail.json"), "w") as f:
        json.dump(results, f, indent=1)
    if args.record:
        commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip() or "?"
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True).stdout.strip()
        head = "## %s UTC, commit %s%s%s\n\n" % (
            datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M"), commit,
            " (with uncommitted changes)" if dirty else "",
            ", " + args.label if args.label else "")
        meta = ("- machine: %s; busy before each primary: %s\n- %s; %s\n"
                "- zone: %s, %d records (bench/dns/gen.py `big`); %d rounds, medians\n\n"
                % (machine(), ", ".join("%.0f%%" % (b * 100) for b in busy),
                   version([args.binary, "--version"]), version([KNOTD, "--version"]), ZONE,
                   ds["total_records"], args.rounds))
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write("\n" + head + meta + text + "\n")
        log("appended to bench/xfr/RESULTS.md")


if __name__ == "__main__":
    main()
