#!/usr/bin/python3
"""bench/dns/signed.py -- a signed zone: Nameplate against Knot DNS signing the same zone.

Issue 7's two speed goals, in one run:

  (a) time to sign a zone from scratch. The zone (gen.py's big zone, 100,000 records by
      default, --records 1000000 for the issue's size) is imported into Nameplate and
      exported back out for knotd, as bench.py does. Nameplate: `nameplate serve --roles
      dns,api` on the unsigned store; once it answers, DNSSEC is enabled through the API
      (POST /v2/1/domains/big.test/dnssec) and the figure runs from the 2xx to the first
      answer to `big.test SOA` (DO) that carries an RRSIG: key
      generation, rebuilding the zone from the store, the NSEC3 chain, every RRSIG.
      knotd: the exported file with automatic signing (ECDSA P-256 CSK, NSEC3 with 0
      iterations, no salt, no opt-out, 2 signing threads) from process start to the same
      answer (load, key generation, signing), and `knotc zone-sign` (drop every signature
      and sign again) to the new serial answering.
  (b) QPS with DO queries (dnsperf -D) over a mix of hits and NXDOMAIN (--nx-share) on the
      signed zone, both servers up, rounds alternating; queries per server-CPU-second.

Each server is pinned to one core (--server-cpu, signing included: both sign on the same
single core) and dnsperf and this driver to the other (--client-cpu), as in bench.py,
whose helpers this script imports. Every wait is bounded (--timeout).
"""
import argparse
import datetime
import http.client
import json
import os
import random
import shutil
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
sys.path.insert(0, HERE)
import bench  # noqa: E402
import gen  # noqa: E402
import sign  # noqa: E402
from bench import HOST, log  # noqa: E402

ZONE = "big.test"

POLICY = sign.POLICY.format(threads=2)


def dnssec_state(port, timeout=0.2):
    """Whether the zone's SOA, asked with DO, comes back with its RRSIG: the signed version
    is served (the SOA's signature is made with the rest of the zone's)."""
    q = dns.message.make_query(ZONE + ".", "SOA", want_dnssec=True)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        try:
            s.sendto(q.to_wire(), (HOST, port))
            r = dns.message.from_wire(s.recv(65535))
        except (OSError, dns.exception.DNSException):
            return False
    return {dns.rdatatype.SOA, dns.rdatatype.RRSIG} <= {x.rdtype for x in r.answer}


def soa_serial(port):
    q = dns.message.make_query(ZONE + ".", "SOA")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(0.2)
        try:
            s.sendto(q.to_wire(), (HOST, port))
            r = dns.message.from_wire(s.recv(65535))
        except (OSError, dns.exception.DNSException):
            return None
    return next((x[0].serial for x in r.answer if x.rdtype == dns.rdatatype.SOA), None)


def wait_until(pred, proc, timeout, what):
    """Poll pred every 20 ms; its value, once true. Fails on timeout or a dead server."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"{what}: server exited with {proc.returncode}")
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise RuntimeError(f"{what}: not within {timeout} s")


class KnotSigned(bench.Knot):
    """bench.py's Knot DNS with automatic signing of the zone and a control socket."""
    name = "Knot DNS"
    key = "knot"

    def prepare(self):
        super().prepare()
        d = os.path.dirname(self.conf)
        with open(self.conf) as f:
            text = f.read()
        head, zones = text.split("zone:\n", 1)
        zones = zones.replace("file: %s.zone" % ZONE,
                              "file: %s.zone\n    dnssec-signing: on\n    dnssec-policy: bench"
                              % ZONE)
        with open(self.conf, "w") as f:
            f.write(head + f"control:\n    listen: {d}/knot.sock\n" + POLICY + "zone:\n" + zones)

    def knotc(self, *a, timeout=900):
        return subprocess.run(["knotc", "-c", self.conf, "-t", str(timeout)] + list(a),
                              capture_output=True, text=True, timeout=timeout + 30)


def sign_nameplate(args, ds, m, workdir, rnd):
    """One Nameplate round: start on a fresh copy of the unsigned store, enable DNSSEC,
    time to the signed answer. Returns (server, figures); the server stays up."""
    sdir = os.path.join(workdir, f"np-run{rnd}")
    shutil.rmtree(sdir, ignore_errors=True)
    os.makedirs(sdir)
    data = os.path.join(sdir, "np-data")
    shutil.copytree(m["data"], data)
    np = bench.Nameplate(sdir, args.server_cpu, ds, args.binary, data, m["token"])
    np.start()
    c0 = bench.cpu_seconds(np.pids())
    conn = http.client.HTTPConnection(HOST, np.api_port, timeout=60)
    conn.request("POST", f"/v2/1/domains/{ZONE}/dnssec", body="",
                 headers={"Authorization": f"Bearer {m['token']}", "Accept": "application/json"})
    resp = conn.getresponse()
    body = resp.read()
    t_ack = time.monotonic()
    conn.close()
    if not 200 <= resp.status < 300:
        raise RuntimeError(f"enableDomainDnssec: HTTP {resp.status} {body[:200]!r}")
    wait_until(lambda: dnssec_state(np.port), np.proc, args.timeout, "Nameplate signing")
    t = time.monotonic() - t_ack
    return np, {"sign_s": t, "sign_cpu": bench.cpu_seconds(np.pids()) - c0,
                "start_s": np.start_s}


def sign_knot(args, ds, m, workdir, rnd):
    """One knotd round: start with signing on, time to the signed answer; then knotc
    zone-sign, time to the new serial. Returns (server, figures); the server stays up."""
    sdir = os.path.join(workdir, f"knot-run{rnd}")
    shutil.rmtree(sdir, ignore_errors=True)
    os.makedirs(sdir)
    k = KnotSigned(sdir, args.server_cpu, ds, m["zonedir"])
    k.port = bench.free_port()
    k.prepare()
    t0 = time.monotonic()
    k.proc = bench.start(k.argv(), os.path.join(sdir, "knot.log"), k.cpu)
    wait_until(lambda: dnssec_state(k.port), k.proc, args.timeout, "knotd signing")
    first = time.monotonic() - t0
    cpu_first = bench.cpu_seconds(k.pids())
    serial = soa_serial(k.port)
    t1 = time.monotonic()
    r = k.knotc("zone-sign", ZONE + ".", timeout=args.timeout)
    if r.returncode != 0:
        raise RuntimeError("knotc zone-sign: " + r.stdout + r.stderr)
    wait_until(lambda: (lambda s: s is not None and s != serial)(soa_serial(k.port)), k.proc,
               args.timeout, "knotd zone-sign")
    resign = time.monotonic() - t1
    return k, {"first_s": first, "first_cpu": cpu_first, "resign_s": resign,
               "resign_cpu": bench.cpu_seconds(k.pids()) - cpu_first}


def query_file(ds, dsdir, args):
    """dnsperf lines: hits (gen.py's hit pool of the zone: A, AAAA, MX, TXT at existing
    names) and NXDOMAIN (nx<random>.big.test A), shuffled; written once per data set."""
    path = os.path.join(dsdir, f"queries-signed-nx{args.nx_share}.txt")
    if os.path.exists(path):
        return path
    pools = gen.Pools()
    recs = ds["records_per_zone"]
    with open(os.devnull, "w") as out:  # same call as gen.generate: the same names
        gen.big_zone(ZONE, recs, max(1, recs // 1000), max(1, recs // 100), out, pools)
    rng = random.Random(11)
    n = args.queries
    nx = n * args.nx_share // 100
    lines = ["nx%x.%s A\n" % (rng.getrandbits(32), ZONE) for _ in range(nx)]
    lines += ["%s %s\n" % pools.hit[rng.randrange(len(pools.hit))] for _ in range(n - nx)]
    rng.shuffle(lines)
    with open(path + ".tmp", "w") as f:
        f.writelines(lines)
    os.rename(path + ".tmp", path)
    return path


def check_signed_answers(servers, queries):
    """Every server answers a hit and an NXDOMAIN of the file with DNSSEC records."""
    with open(queries) as f:
        sample = [f.readline().split() for _ in range(50)]
    hit = next(q for q in sample if not q[0].startswith("nx"))
    nx = next(q for q in sample if q[0].startswith("nx"))
    for s in servers:
        for name, t, rcode, want in ((hit[0], hit[1], dns.rcode.NOERROR, dns.rdatatype.RRSIG),
                                     (nx[0], nx[1], dns.rcode.NXDOMAIN, dns.rdatatype.NSEC3)):
            q = dns.message.make_query(name, t, want_dnssec=True)
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sk:
                sk.settimeout(2)
                sk.sendto(q.to_wire(), (HOST, s.port))
                r = dns.message.from_wire(sk.recv(65535))
            types = {x.rdtype for x in r.answer + r.authority}
            if r.rcode() != rcode or want not in types:
                raise RuntimeError(f"{s.name}: {name} {t} answered unsigned or wrong:\n{r}")


class Table(bench.Table):
    HEAD = ["figure", "Nameplate", "Knot DNS", "NP/Knot", "target", "met?"]


def med(v):
    return statistics.median(v) if v else float("nan")


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(bench.ROOT, "build", "nameplate"))
    ap.add_argument("--records", type=int, default=100_000,
                    help="records of the zone (100,000; the issue's size is 1,000,000)")
    ap.add_argument("--sign-rounds", type=int, default=2,
                    help="sign-from-scratch rounds per server, alternating (median; 2)")
    ap.add_argument("--duration", type=int, default=20, help="seconds per dnsperf run (20)")
    ap.add_argument("--rounds", type=int, default=3, help="dnsperf runs per server (median; 3)")
    ap.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per server (3)")
    ap.add_argument("--clients", type=int, default=10, help="dnsperf -c (10)")
    ap.add_argument("--outstanding", type=int, default=100, help="dnsperf -q (100)")
    ap.add_argument("--queries", type=int, default=500_000, help="lines of the query file")
    ap.add_argument("--nx-share", type=int, default=25, help="percent NXDOMAIN queries (25)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds for any one wait (900)")
    ap.add_argument("--server-cpu", type=int, default=0)
    ap.add_argument("--client-cpu", type=int, default=1)
    ap.add_argument("--wait-quiet", type=int, default=0, metavar="S",
                    help="before the run and each dnsperf round, wait up to S seconds for the "
                    "machine to be under 15%% busy")
    ap.add_argument("--workdir", help="work dir (default: a new temp dir); the data set and "
                    "the imported store found there are reused")
    ap.add_argument("--record", action="store_true", help="append the results to RESULTS.md")
    args = ap.parse_args()
    args.dnssec = True  # bench.dnsperf_argv adds -D
    for tool in ("knotd", "knotc", "dnsperf", "taskset"):
        if shutil.which(tool) is None:
            sys.exit(f"signed: {tool} not found; run bench/dns/setup")
    if not os.access(args.binary, os.X_OK):
        sys.exit(f"signed: {args.binary} missing; run make build")
    args.binary = os.path.abspath(args.binary)
    if len(os.sched_getaffinity(0)) < 2:
        args.server_cpu = args.client_cpu = None
    else:
        os.sched_setaffinity(0, {args.client_cpu})

    own = args.workdir is not None
    workdir = os.path.abspath(args.workdir) if own else tempfile.mkdtemp(prefix="np-bench-signed-")
    os.makedirs(workdir, exist_ok=True)
    log(f"work dir {workdir}")
    t_all = time.monotonic()
    if args.wait_quiet:
        bench.wait_quiet(args.wait_quiet)
    busy0, load0 = bench.machine_busy(), os.getloadavg()
    servers = []
    try:
        ds = gen.generate(os.path.join(workdir, "data"), "big", records=args.records,
                          query_count=1000)
        dsdir = os.path.join(workdir, "data", "big")
        m = bench.prepare_nameplate(args.binary, dsdir, ds, workdir)
        queries = query_file(ds, dsdir, args)
        np_runs, kn_runs = [], []
        for rnd in range(max(args.sign_rounds, 1)):
            last = rnd == max(args.sign_rounds, 1) - 1
            order = (sign_nameplate, sign_knot) if rnd % 2 == 0 else (sign_knot, sign_nameplate)
            for fn in order:
                srv, fig = fn(args, ds, m, workdir, rnd)
                (np_runs if fn is sign_nameplate else kn_runs).append(fig)
                log(f"sign round {rnd + 1}: {srv.name}: " +
                    ", ".join(f"{k} {v:.2f}" for k, v in fig.items()))
                if last:
                    servers.append(srv)
                else:
                    srv.stop()
        servers.sort(key=lambda s: s.key != "nameplate")
        check_signed_answers(servers, queries)
        res = {s.key: [] for s in servers}
        for s in servers:
            bench.dnsperf_run(args, s, queries, args.warmup)
        for rnd in range(args.rounds):
            if args.wait_quiet:  # the servers idle: anything busy is someone else
                bench.wait_quiet(args.wait_quiet)
            for s in (servers if rnd % 2 == 0 else servers[::-1]):
                r = bench.dnsperf_run(args, s, queries, args.duration)
                res[s.key].append(r)
                log(f"round {rnd + 1}: {s.name:9} {r['qps']:>10,.0f} qps, {r['qpcpu']:>10,.0f} "
                    f"q/cpu-s, server busy {r['busy'] * 100:.0f}%, lost {r['lost']:.0f}, "
                    f"rcodes {r['rcodes']}")
        rss = {s.key: bench.memory_kib(s.pids())[0] for s in servers}
    finally:
        for s in servers:
            s.stop()
        if not own:
            shutil.rmtree(workdir, ignore_errors=True)
    busy1, load1 = bench.machine_busy(), os.getloadavg()

    t = Table()
    ratio, yes = bench.fmt_ratio, lambda ok: "yes" if ok else "NO"
    np_sign = med([r["sign_s"] for r in np_runs])
    kn_first = med([r["first_s"] for r in kn_runs])
    kn_resign = med([r["resign_s"] for r in kn_runs])
    recs = f"{ds['records_per_zone']:,} records"
    t.add(f"sign from scratch, {recs} (s): NP enable 2xx -> signed answer; knotd start -> "
          "signed answer", f"{np_sign:.2f}", f"{kn_first:.2f}", ratio(np_sign, kn_first),
          "<= knotd", yes(np_sign <= kn_first))
    t.add("  knotd: `knotc zone-sign` -> new serial answering (s)", f"{np_sign:.2f}",
          f"{kn_resign:.2f}", ratio(np_sign, kn_resign), "<= knotd", yes(np_sign <= kn_resign))
    t.add("  server CPU seconds for it (diag; knotd: first signing)",
          f"{med([r['sign_cpu'] for r in np_runs]):.2f}",
          f"{med([r['first_cpu'] for r in kn_runs]):.2f}",
          ratio(med([r['sign_cpu'] for r in np_runs]), med([r['first_cpu'] for r in kn_runs])),
          "-", "-")
    t.add("  range over rounds (diag, s)",
          "-".join(f"{x:.2f}" for x in sorted(r["sign_s"] for r in np_runs)),
          "-".join(f"{x:.2f}" for x in sorted(r["first_s"] for r in kn_runs)), "-", "-", "-")
    q = {k: med([r["qps"] for r in v]) for k, v in res.items()}
    c = {k: med([r["qpcpu"] for r in v]) for k, v in res.items()}
    b = {k: med([r["busy"] for r in v]) for k, v in res.items()}
    t.add(f"DO queries ({100 - args.nx_share}% hits, {args.nx_share}% NXDOMAIN): QPS",
          bench.fmt_qps(q["nameplate"]), bench.fmt_qps(q["knot"]),
          ratio(q["nameplate"], q["knot"]), ">= knotd", yes(q["nameplate"] >= q["knot"]))
    t.add("  queries per server-CPU-second", bench.fmt_qps(c["nameplate"]),
          bench.fmt_qps(c["knot"]), ratio(c["nameplate"], c["knot"]), "-", "-")
    t.add("  server core busy during runs (diag)", f"{b['nameplate'] * 100:.0f}%",
          f"{b['knot'] * 100:.0f}%", "-", "-", "-")
    span = lambda v, key: f"{min(r[key] for r in v):,.0f}-{max(r[key] for r in v):,.0f}"
    t.add("  QPS, range over rounds (diag)", span(res["nameplate"], "qps"),
          span(res["knot"], "qps"), "-", "-", "-")
    t.add("  VmRSS after load (diag)", f"{rss['nameplate'] / 1024:,.1f} MiB",
          f"{rss['knot'] / 1024:,.1f} MiB", ratio(rss["nameplate"], rss["knot"]), "-", "-")
    head = bench.git("rev-parse", "--short", "HEAD")
    mi = bench.machine_info()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    hdr = (f"{now}; repo HEAD {head}, binary {args.binary}; {mi['cpu']}, nproc {mi['nproc']}; "
           f"knot {bench.pkg_version('knot')}, dnsperf {bench.pkg_version('dnsperf')}; "
           f"dnsperf -c {args.clients} -q {args.outstanding} -e -D, {args.rounds} x "
           f"{args.duration} s per server (median), {args.sign_rounds} sign round(s); machine "
           f"busy {busy0 * 100:.0f}% before, {busy1 * 100:.0f}% after; load average "
           f"{load0[0]:.2f} before, {load1[0]:.2f} after; run took "
           f"{(time.monotonic() - t_all) / 60:.1f} min")
    rc = "; ".join(f"{k}: {v[-1]['rcodes']}" for k, v in res.items())
    print(f"\n{hdr}\n\n{t.text()}\n\nrcodes (last run): {rc}; Nameplate import "
          f"{m['import_s']:.1f} s")
    others = bench.busy_others({os.getpid()})
    if others:
        print("other busy processes at the end: " + ", ".join(others[:8]))
    if args.record:
        with open(os.path.join(HERE, "RESULTS.md"), "a") as f:
            f.write(f"\n## Signed zone (issue 7), {now}\n\n{hdr}\n\n{t.markdown()}\n\n"
                    f"rcodes (last run): {rc}\n")
    print(json.dumps({"nameplate_sign": np_runs, "knot_sign": kn_runs}, default=str))


if __name__ == "__main__":
    main()
