#!/usr/bin/python3
"""bench/dns/sign.py -- time to sign a zone from scratch: dns/dnssec (through
tests/unit/dnssec_signzone) against knotd 3.2 signing the same zone file.

Both sign with ECDSA P-256 (algorithm 13) as a single key (CSK; knotd:
single-type-signing), NSEC3 with 0 iterations and no salt, on 2 threads (knotd:
signing-threads: 2). Figures:

  sign, zone in memory   Nameplate: dnssec_signzone's "sign" phase (cuts, empty
                         non-terminals, NSEC3 chain, every RRSIG) of a zone already read.
                         knotd: `knotc zone-sign` (drop every signature and sign again) on the
                         loaded, signed zone, until the SOA answers with the new serial.
  read + sign            Nameplate: parse + sign. knotd: process start until the SOA answers
                         with an RRSIG (load, key generation, sign).
  knotd load only (diag) process start until the SOA answers, signing off.

Everything is bounded: each wait has a timeout (--timeout), polls are 20 ms apart, and the
knotd processes are killed on exit. Default size 100,000 records; --records 1000000 for the
issue's case.
"""
import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import gen  # noqa: E402

import dns.message  # noqa: E402
import dns.query  # noqa: E402
import dns.rdatatype  # noqa: E402

ZONE = "big.test"


def write_zone(path, records):
    """The benchmark's big zone (gen.big_zone) with an SOA and apex NS in front."""
    with open(path, "w") as f:
        f.write("$ORIGIN %s.\n$TTL 3600\n" % ZONE)
        f.write("@ SOA ns1.%s. hostmaster.%s. 1 86400 7200 604800 300\n" % (ZONE, ZONE))
        f.write("@ NS ns1.%s.\nns1 A 192.0.2.53\n" % ZONE)
        scale = max(records // 1000, 1)
        gen.big_zone(ZONE, records - 3, scale, scale, f, gen.Pools())


def free_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def soa(port, dnssec):
    """(serial, has RRSIG) of the zone's SOA, or None when there is no answer yet."""
    q = dns.message.make_query(ZONE + ".", "SOA", want_dnssec=dnssec)
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=0.2)
    except Exception:
        return None
    serial, signed = None, False
    for rrset in r.answer:
        if rrset.rdtype == dns.rdatatype.SOA:
            serial = rrset[0].serial
        if rrset.rdtype == dns.rdatatype.RRSIG:
            signed = True
    return None if serial is None else (serial, signed)


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise SystemExit("sign.py: timed out after %d s" % timeout)


# knotd's signing policy (issue 7's: ECDSA P-256 CSK, NSEC3 0 iterations, no salt); also
# signed.py's
POLICY = """policy:
  - id: bench
    algorithm: ecdsap256sha256
    single-type-signing: on
    nsec3: on
    nsec3-iterations: 0
    nsec3-salt-length: 0
    nsec3-opt-out: off
    signing-threads: {threads}
"""

KNOT_CONF = """server:
    rundir: {dir}
    listen: 127.0.0.1@{port}
    background-workers: 2
control:
    listen: {dir}/knot.sock
database:
    storage: {dir}/db
log:
  - target: {dir}/knot.log
    any: info
{policy}template:
  - id: default
    storage: {dir}
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: {zone}
    file: {file}
    dnssec-signing: {signing}
    dnssec-policy: bench
"""


class Knot:
    def __init__(self, workdir, zonefile, signing, threads):
        self.dir = tempfile.mkdtemp(prefix="knot-", dir=workdir)
        os.makedirs(os.path.join(self.dir, "db"))
        self.port = free_port()
        self.conf = os.path.join(self.dir, "knot.conf")
        with open(self.conf, "w") as f:
            f.write(KNOT_CONF.format(dir=self.dir, port=self.port, zone=ZONE, file=zonefile,
                                     signing="on" if signing else "off",
                                     policy=POLICY.format(threads=threads)))
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(["knotd", "-c", self.conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        return time.monotonic()

    def knotc(self, *args):
        return subprocess.run(["knotc", "-c", self.conf, "-t", "600"] + list(args),
                              capture_output=True, text=True, timeout=900)

    def log(self):
        try:
            with open(os.path.join(self.dir, "knot.log")) as f:
                return f.read()
        except OSError:
            return ""

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def proc_cpu(pid):
    """utime + stime of a process (all its threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_ours(signzone, zonefile, threads, timeout):
    before = os.times()
    out = subprocess.run([signzone, "-a", "13", "-k", "csk", "-t", str(threads), "-n",
                          "-o", ZONE + ".", zonefile], capture_output=True, text=True,
                         timeout=timeout)
    if out.returncode != 0:
        raise SystemExit("dnssec_signzone failed: " + out.stderr)
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    m = re.search(r"parse ([0-9.]+) s; sign ([0-9.]+) s", out.stderr)
    return {"parse": float(m.group(1)), "sign": float(m.group(2)), "cpu": cpu,
            "detail": out.stderr.strip()}


def run_knot(workdir, zonefile, threads, timeout):
    res = {}
    base = Knot(workdir, zonefile, False, threads)
    try:
        t0 = base.start()
        wait_for(lambda: soa(base.port, False), timeout)
        res["load"] = time.monotonic() - t0
    finally:
        base.stop()
    k = Knot(workdir, zonefile, True, threads)
    try:
        t0 = k.start()
        first = wait_for(lambda: (lambda s: s if s and s[1] else None)(soa(k.port, True)),
                         timeout)
        res["load_sign"] = time.monotonic() - t0
        res["load_sign_cpu"] = proc_cpu(k.proc.pid)
        t1 = time.monotonic()
        r = k.knotc("zone-sign", ZONE + ".")
        if r.returncode != 0:
            raise SystemExit("knotc zone-sign failed: " + r.stdout + r.stderr)
        wait_for(lambda: (lambda s: s if s and s[0] != first[0] else None)(soa(k.port, True)),
                 timeout)
        res["resign"] = time.monotonic() - t1
        res["resign_cpu"] = proc_cpu(k.proc.pid) - res["load_sign_cpu"]
        res["log"] = [line for line in k.log().splitlines() if "DNSSEC" in line or "loaded" in line]
    finally:
        k.stop()
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--records", type=int, default=100_000)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--signzone", default=os.path.join(HERE, "../../build/tests/unit/dnssec_signzone"))
    ap.add_argument("--timeout", type=int, default=900, help="seconds for any one wait")
    ap.add_argument("--rounds", type=int, default=2, help="alternating runs of each; median")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()
    if shutil.which("knotd") is None or shutil.which("knotc") is None:
        raise SystemExit("sign.py: knotd/knotc missing (bench/dns/setup installs knot)")
    workdir = args.workdir or tempfile.mkdtemp(prefix="np-bench-sign-")
    try:
        zonefile = os.path.join(workdir, "big.zone")
        write_zone(zonefile, args.records)
        ours, knots = [], []
        for _ in range(max(args.rounds, 1)):
            ours.append(run_ours(args.signzone, zonefile, args.threads, args.timeout))
            knots.append(run_knot(workdir, zonefile, args.threads, args.timeout))
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)

    def med(runs, key):
        v = sorted(r[key] for r in runs)
        return v[len(v) // 2] if len(v) % 2 else (v[len(v) // 2 - 1] + v[len(v) // 2]) / 2

    rows = [
        ("sign, zone in memory (s)", med(ours, "sign"), med(knots, "resign")),
        ("read zone file + sign (s)", med([dict(t=o["parse"] + o["sign"]) for o in ours], "t"),
         med(knots, "load_sign")),
        ("read + sign, CPU seconds (diag)", med(ours, "cpu"), med(knots, "load_sign_cpu")),
        ("sign in memory, CPU seconds (diag)", None, med(knots, "resign_cpu")),
        ("knotd load only, no signing (diag, s)", None, med(knots, "load")),
    ]
    print("zone %s: %d records, ECDSA P-256 CSK, NSEC3 0 iterations no salt, %d threads, "
          "median of %d alternating rounds" % (ZONE, args.records, args.threads, len(ours)))
    print("%-40s %12s %12s %10s" % ("figure", "Nameplate", "knotd 3.2", "NP/knotd"))
    for name, mine, theirs in rows:
        ratio = "%.2fx" % (mine / theirs) if mine is not None and theirs else "-"
        print("%-40s %12s %12.2f %10s" % (name, "%.2f" % mine if mine is not None else "-",
                                          theirs, ratio))
    print("load average after the run: %.2f %.2f %.2f" % os.getloadavg())
    detail = ours[-1]["detail"]
    knot = knots[-1]
    print("\nNameplate (dnssec_signzone):\n  " + detail.replace("\n", "\n  "))
    print("knotd log (DNSSEC lines):")
    for line in knot["log"][-8:]:
        print("  " + line)


if __name__ == "__main__":
    main()
