#!/usr/bin/env python3
"""bench/dns/alias.py -- the ALIAS case of issue 5: QPS of ALIAS answers against plain A
answers from the same Nameplate, same run. ALIAS targets: inside a hosted zone (resolved
from the zone db per query) and outside (the alias cache, filled through `--resolver`;
here knotd, authoritative for the target zone, stands in for the upstream resolver).
Server pinned to one CPU, dnsperf to the other; the goal is ALIAS QPS within 10% of A.

    /usr/bin/python3 bench/dns/alias.py [--duration 10] [--rounds 3]
"""
import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HOST = "127.0.0.1"
NAMES = 200


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
        u.bind((HOST, 0))
        return u.getsockname()[1]


def wait_answer(port, name, want, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        p = subprocess.run(["dig", "@" + HOST, "-p", str(port), name, "A", "+short", "+time=1",
                            "+tries=1"], capture_output=True, text=True)
        if want in p.stdout:
            return True
        time.sleep(0.1)
    return False


def dnsperf(args, port, queries):
    p = subprocess.run(["taskset", "-c", str(args.client_cpu), "dnsperf", "-s", HOST, "-p",
                        str(port), "-d", queries, "-l", str(args.duration), "-c", "10", "-q",
                        "100"], capture_output=True, text=True, timeout=args.duration + 60)
    for line in p.stdout.splitlines():
        if "Queries per second:" in line:
            return float(line.split(":")[1])
    raise RuntimeError("dnsperf: " + p.stdout[-500:] + p.stderr[-500:])


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "nameplate"))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="nameplate-alias-bench-")
    procs = []
    try:
        # the upstream: knotd serving the external target zone
        kport = free_port()
        os.makedirs(os.path.join(work, "k", "run"))
        with open(os.path.join(work, "target.zone"), "w") as f:
            f.write("$ORIGIN target.test.\n$TTL 3600\n"
                    "@ SOA ns.target.test. h.target.test. 1 3600 600 86400 300\n"
                    "@ NS ns\nns A 192.0.2.53\n")
            for i in range(NAMES):
                f.write("t%d A 198.51.100.%d\n" % (i, i % 250 + 1))
        with open(os.path.join(work, "k", "knot.conf"), "w") as f:
            f.write("server:\n    listen: %s@%d\n    rundir: %s\n"
                    "database:\n    storage: %s\n"
                    "zone:\n  - domain: target.test\n    file: %s\n    storage: %s\n"
                    % (HOST, kport, os.path.join(work, "k", "run"), os.path.join(work, "k"),
                       os.path.join(work, "target.zone"), os.path.join(work, "k")))
        procs.append(subprocess.Popen(["taskset", "-c", str(args.client_cpu), "knotd", "-c",
                                       os.path.join(work, "k", "knot.conf")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        # Nameplate: plain A names, internal ALIAS names, external ALIAS names
        data = os.path.join(work, "np")
        subprocess.run([args.binary, "admin", "bootstrap", "--data", data, "--json"],
                       check=True, capture_output=True)
        with open(os.path.join(work, "bench.zone"), "w") as f:
            f.write("$ORIGIN bench.test.\n$TTL 3600\n")
            for i in range(NAMES):
                f.write("a%d A 192.0.2.%d\n" % (i, i % 250 + 1))
                f.write("in%d ALIAS a%d.bench.test.\n" % (i, i))
                f.write("ex%d ALIAS t%d.target.test.\n" % (i, i))
        subprocess.run([args.binary, "zone", "import", "--data", data, "--account", "1",
                        "--zone", "bench.test", os.path.join(work, "bench.zone")], check=True,
                       capture_output=True)
        port = free_port()
        procs.append(subprocess.Popen(
            ["taskset", "-c", str(args.server_cpu), args.binary, "serve", "--data", data,
             "--roles", "dns", "--dns", "%s:%d" % (HOST, port), "--dns-workers", "1",
             "--resolver", "%s:%d" % (HOST, kport), "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        last = NAMES - 1
        if not wait_answer(port, "ex%d.bench.test" % last, "198.51.100.%d" % (last % 250 + 1)):
            sys.exit("the external ALIAS targets never resolved")
        files = {}
        for kind, prefix in (("A", "a"), ("ALIAS, internal target", "in"),
                             ("ALIAS, external (cached) target", "ex")):
            path = os.path.join(work, prefix + ".queries")
            with open(path, "w") as f:
                for i in range(NAMES):
                    f.write("%s%d.bench.test A\n" % (prefix, i))
            files[kind] = path
        results = {k: [] for k in files}
        for _ in range(args.rounds):  # alternating, so drift hits every kind alike
            for kind, path in files.items():
                results[kind].append(dnsperf(args, port, path))
        base = statistics.median(results["A"])
        print("\ncase                                 QPS (median of %d x %d s)  vs A   goal    met?"
              % (args.rounds, args.duration))
        print("-" * 86)
        for kind, qps in results.items():
            q = statistics.median(qps)
            ratio = q / base
            goal = "-" if kind == "A" else ">= 0.90"
            met = "-" if kind == "A" else ("yes" if ratio >= 0.90 else "NO")
            print("%-36s %12s                %5.2f  %-7s %s" % (kind, "{:,.0f}".format(q), ratio,
                                                                   goal, met))
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
