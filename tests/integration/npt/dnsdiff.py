"""The pieces of the differential tests against knotd (test_dns_differential.py, unsigned;
test_dnssec_differential.py, signed): queries as bytes over UDP and TCP, answers parsed
and viewed as sets, knotd on a loopback port, and the same zone data in both servers
(`nameplate zone import`, then the file for knotd with Nameplate's SOA and apex NS)."""

import os
import re
import shutil
import socket
import struct
import subprocess
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.zone
import pytest

from . import paths
from .server import binary_exists, free_port, stop_process, tail

HOST = "127.0.0.1"
TIMEOUT = 2.0
ZONES_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "zones")
ZONES = ["example.test", "other.test", "wild.test", "hosted.example.test"]
KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"


# ================================================================== wire

def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def exchange(port, wire, tcp, timeout=TIMEOUT):
    """The answer's bytes, or None when the server sent none (or closed the connection)."""
    if not tcp:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.connect((HOST, port))
            s.send(wire)
            try:
                return s.recv(65535)
            except (socket.timeout, ConnectionRefusedError):
                return None
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.settimeout(timeout)
        try:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            size = recv_exact(s, 2)
            if size is None:
                return None
            return recv_exact(s, struct.unpack("!H", size)[0])
        except (socket.timeout, ConnectionResetError, BrokenPipeError):
            return None


def hdr(qid=0x1234, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def qsection(name="www.example.test.", rdtype=1, rdclass=1):
    return dns.name.from_text(name).to_wire() + struct.pack("!HH", rdtype, rdclass)


def opt_rr(payload=1232, ext_rcode=0, version=0, flags=0, rdata=b"", owner=b"\x00"):
    return owner + struct.pack("!HHBBHH", 41, payload, ext_rcode, version, flags,
                               len(rdata)) + rdata



# ================================================================== the queries

class Q:
    """One query: built with dnspython (name, type, class, EDNS...) or given as raw bytes."""

    def __init__(self, qid, qname=None, rdtype="A", rdclass="IN", edns=None, payload=1232,
                 do=False, options=(), opcode=0, raw=None, transports=("udp", "tcp"), rd=False):
        self.id = qid
        self.qname, self.rdtype, self.rdclass = qname, rdtype, rdclass
        self.transports = transports
        if raw is not None:
            self.wire = raw
            return
        q = dns.message.make_query(qname, rdtype, rdclass, flags=dns.flags.RD if rd else 0,
                                   id=0x2000 + (sum(qid.encode()) * 7) % 0xD000)
        if edns is not None:
            q.use_edns(edns, dns.flags.DO if do else 0, payload, options=list(options))
        wire = bytearray(q.to_wire())
        if opcode:
            wire[2] = (wire[2] & 0x87) | (opcode << 3)
        self.wire = bytes(wire)

    def __repr__(self):
        return "%s (%s %s %s)" % (self.id, self.qname, self.rdclass, self.rdtype)



def rr_set(section):
    """A section as a set of (owner, ttl, class, type, rdata text lowercased). Owners keep
    their case: where they come from the query name (0x20), both servers copy its case."""
    out = set()
    for rrset in section:
        for rd in rrset:
            out.add((rrset.name.to_text(), rrset.ttl,
                     dns.rdataclass.to_text(rrset.rdclass), dns.rdatatype.to_text(rrset.rdtype),
                     rd.to_text(origin=None, relativize=False).lower()))
    return out


FLAGS = [("QR", 0x8000), ("AA", 0x400), ("TC", 0x200), ("RD", 0x100), ("RA", 0x80),
         ("Z", 0x40), ("AD", 0x20), ("CD", 0x10)]


class Answer:
    """What one server sent for one query: nothing, bytes that do not parse, or a message."""

    def __init__(self, raw):
        self.raw = raw
        self.msg = None
        self.error = None
        if raw is None:
            return
        try:
            self.msg = dns.message.from_wire(raw)
        except Exception as e:  # noqa: BLE001 - any parse failure is a finding
            self.error = "%s: %s" % (type(e).__name__, e)

    def header(self):
        qid, flags = struct.unpack("!HH", self.raw[:4])
        return qid, {n for n, bit in FLAGS if flags & bit}, (flags >> 11) & 0xF

    def text(self):
        if self.raw is None:
            return "(no answer)"
        if self.msg is None:
            return "(unparseable, %s: %s)" % (self.error, self.raw.hex())
        return "%d bytes\n%s" % (len(self.raw), self.msg.to_text())

    def view(self):
        """Everything compared, as a dict."""
        if self.raw is None:
            return {"answered": False}
        if self.msg is None:
            return {"answered": True, "parse": self.error,
                    "header": self.raw[:4].hex() if len(self.raw) >= 4 else self.raw.hex()}
        m = self.msg
        qid, flags, opcode = self.header()
        v = {"answered": True, "id": qid, "flags": sorted(flags), "opcode": opcode,
             "rcode": dns.rcode.to_text(m.rcode()),
             "question": [(q.name.to_text(), dns.rdataclass.to_text(q.rdclass),
                           dns.rdatatype.to_text(q.rdtype)) for q in m.question],
             "answer": rr_set(m.answer), "authority": rr_set(m.authority),
             "additional": rr_set(m.additional)}
        if m.edns >= 0:
            v["opt"] = {"version": m.edns, "payload": m.payload,
                        "do": bool(m.ednsflags & dns.flags.DO),
                        "options": sorted(o.otype for o in m.options)}
        else:
            v["opt"] = None
        return v



def wait_soa(port, zones, timeout):
    deadline = time.monotonic() + timeout
    pending = list(zones)
    for _ in range(2000):
        if not pending or time.monotonic() > deadline:
            break
        a = Answer(exchange(port, Q("ready", pending[0], "SOA").wire, tcp=False, timeout=0.2))
        if a.msg is not None and a.msg.rcode() == dns.rcode.NOERROR and a.msg.answer:
            pending.pop(0)
        else:
            time.sleep(0.05)
    return pending



def binaries():
    """The nameplate binary under test, after skipping the test when it is not built or
    failing it when knotd is not installed."""
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    if not os.access(KNOTD, os.X_OK):
        pytest.fail("knotd (Debian package knot) is not installed: %s" % KNOTD, pytrace=False)
    return binary


class Knotd:
    """knotd in the foreground on a free loopback port, with a minimal config."""

    def __init__(self, workdir, zone_files, server_lines=(), sections=(), zone_lines=()):
        """zone_files: origin -> path. server_lines go in `server:`, sections (whole
        top-level sections, e.g. a `policy:`) before `zone:`, zone_lines in every zone."""
        self.dir = str(workdir)
        self.zone_files = zone_files
        self.server_lines, self.sections = list(server_lines), list(sections)
        self.zone_lines = list(zone_lines)
        self.proc = None
        self.port = None
        self.log_path = os.path.join(self.dir, "knotd.log")

    def write_conf(self):
        for d in ("run", "storage"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        lines = [
            "server:",
            "    listen: %s@%d" % (HOST, self.port),
            "    rundir: %s" % os.path.join(self.dir, "run"),
            "    udp-max-payload: 1232",
        ] + ["    " + x for x in self.server_lines] + [
            "log:",
            "  - target: stderr",
            "    any: info",
            "database:",
            "    storage: %s" % os.path.join(self.dir, "storage"),
            "template:",
            "  - id: default",
            "    storage: %s" % os.path.join(self.dir, "storage"),
            "    zonefile-sync: -1",
            "    zonefile-load: whole",
            "    journal-content: none",
        ] + self.sections + ["zone:"]
        for origin, path in self.zone_files.items():
            lines += ["  - domain: %s" % origin, "    file: %s" % path]
            lines += ["    " + x for x in self.zone_lines]
        conf = os.path.join(self.dir, "knot.conf")
        with open(conf, "w") as f:
            f.write("\n".join(lines) + "\n")
        return conf

    def start(self):
        for _ in range(3):
            self.port = free_port(udp_too=True)
            conf = self.write_conf()
            log = open(self.log_path, "ab")
            self.proc = subprocess.Popen([KNOTD, "-c", conf], stdin=subprocess.DEVNULL,
                                         stdout=log, stderr=subprocess.STDOUT)
            log.close()
            pending = wait_soa(self.port, list(self.zone_files), 10.0)
            if not pending:
                return
            text = tail(self.log_path)
            self.stop()
            if "in use" not in text.lower():
                raise AssertionError("knotd did not serve %s\n%s" % (pending, text))
        raise AssertionError("knotd could not bind a port\n%s" % tail(self.log_path))

    def stop(self):
        self.proc = stop_process(self.proc)


SYSTEM_LINE = re.compile(r"^@\s+(?:\d+\s+)?(?:IN\s+)?(SOA|NS)\s", re.I)


def knot_copy(src, exported, origin):
    """The zone file src with its apex SOA and NS lines replaced by Nameplate's (from the
    text of `nameplate zone export`)."""
    ours = []
    for line in exported.splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[0].lower() == origin + "." and parts[3] in ("SOA", "NS"):
            ours.append(line)
    assert sum(1 for x in ours if x.split()[3] == "SOA") == 1 and len(ours) >= 2, exported
    out, replaced = [], 0
    with open(src) as f:
        for line in f:
            if SYSTEM_LINE.match(line):
                replaced += 1
                if replaced == 1:
                    out += [x + "\n" for x in ours]
                continue
            out.append(line)
    assert replaced >= 2, "no SOA/NS lines in %s" % src
    return "".join(out)


def load_zones(s, binary, kdir, zones=ZONES, zones_dir=ZONES_DIR):
    """Import each zone file of zones_dir (<zone>.zone) into the bootstrapped Server s and
    write knotd's copy into kdir. Returns (exported text by zone, knotd's file by zone)."""
    exported, knot_files = {}, {}
    for z in zones:
        src = os.path.join(zones_dir, z + ".zone")
        s._run(["zone", "import", "--data", s.data_dir, "--account", str(s.account_id),
                "--zone", z, src, "--json"])
        p = subprocess.run([binary, "zone", "export", "--data", s.data_dir, "--account",
                            str(s.account_id), "--zone", z], capture_output=True, text=True,
                           timeout=30, stdin=subprocess.DEVNULL)
        assert p.returncode == 0, p.stderr
        exported[z] = p.stdout
        knot_files[z] = os.path.join(str(kdir), z + ".zone")
        with open(knot_files[z], "w") as f:
            f.write(knot_copy(src, p.stdout, z))
    return exported, knot_files


def load_world(s, binary, work, world):
    """A zonegen world's zone files written under work/zones, imported into the
    bootstrapped Server s, and knotd's copies written under work/knotd. Returns (zones,
    exported text by zone, knotd's file by zone, knotd's directory)."""
    zdir = work / "zones"
    zdir.mkdir()
    for origin, text in world.files.items():
        (zdir / (origin + ".zone")).write_text(text)
    s.bootstrap()
    kdir = work / "knotd"
    kdir.mkdir()
    zones = list(world.files)
    exported, knot_files = load_zones(s, binary, kdir, zones, zones_dir=str(zdir))
    return zones, exported, knot_files, kdir


def zone_records(text, origin):
    """A zone file's records as a set of (owner, ttl, type, rdata), lowercased."""
    z = dns.zone.from_text(text, origin + ".", relativize=False, check_origin=False)
    out = set()
    for name, node in z.nodes.items():
        for rds in node:
            for rd in rds:
                out.add((name.to_text().lower(), rds.ttl, dns.rdatatype.to_text(rds.rdtype),
                         rd.to_text().lower()))
    return out


def view_differences(va, vb):
    """The keys whose values differ between two views (dicts) of Nameplate's and knotd's
    answers, each with both values (sets: the two one-sided differences)."""
    out = {}
    for k in sorted(set(va) | set(vb)):
        x, y = va.get(k), vb.get(k)
        if x == y:
            continue
        if isinstance(x, set) and isinstance(y, set):
            out[k] = {"only nameplate": sorted(x - y), "only knotd": sorted(y - x)}
        else:
            out[k] = {"nameplate": x, "knotd": y}
    return out


# ================================================================== chains across hosted zones

CHAIN_MAX = 16  # Nameplate's limit on the steps of a CNAME/DNAME chain (docs/dns.md)


def chain_end(msg, qname):
    """The last name the CNAME/DNAME chain of an answer leads to from qname."""
    links = chain_links(msg, dns.name.from_text(qname))
    return links[-1][1] if links else dns.name.from_text(qname)


def zone_of(name, zones, rdtype=None):
    """The origin (a dns.name.Name) of the longest of zones (origins as text) that holds
    name, or None. For a DS question the parent side answers (RFC 4035 3.1.4.1): a zone's
    own apex then belongs to the hosted zone above it, if there is one."""
    if isinstance(rdtype, str):
        rdtype = dns.rdatatype.from_text(rdtype)
    best = None
    for z in zones:
        origin = dns.name.from_text(z)
        if rdtype == dns.rdatatype.DS and origin == name and len(name) > 1:
            continue
        if name.is_subdomain(origin) and (best is None or len(origin) > len(best)):
            best = origin
    if best is None and rdtype == dns.rdatatype.DS:
        return zone_of(name, zones)
    return best


def chain_links(msg, name):
    """The CNAME links [(owner, target)] of msg's answer section from name on, in order."""
    cnames = {x.name: list(x)[0].target for x in msg.answer if x.rdtype == dns.rdatatype.CNAME}
    out, seen = [], set()
    while name in cnames and name not in seen:
        seen.add(name)
        out.append((name, cnames[name]))
        name = cnames[name]
    return out


def chain_expectation(case, kn, port, zones=ZONES, cname_limit=None):
    """What RFC 1034 4.3.2 step 3a answers when a CNAME/DNAME chain goes from one hosted
    zone (of zones) into another: the lookup restarts in the zone of the next name. knotd
    looks only in the zone it started in, so its answers are taken zone by zone: from kn
    the RRs up to the first name in another hosted zone, then what knotd answers for that
    name, and so on; with cname_limit, also from the last name of an answer that stops
    after that many CNAMEs. Returns (the answer section, as rr_set; knotd's Answer for
    the chain's last zone; whether the chain loops back to a name it had left, when it
    has no last name and so no RCODE or authority to expect), or why there is no such
    answer, as a string."""
    name, a = dns.name.from_text(case.qname), kn
    answer, seen, looped = set(), set(), True
    for _ in range(CHAIN_MAX):
        here = zone_of(name, zones, case.rdtype)
        links = chain_links(a.msg, name)
        cut = next((i for i, (_, t) in enumerate(links)
                    if zone_of(t, zones, case.rdtype) != here), None)
        if cut is None and len(links) == cname_limit and \
                not any(x.name == links[-1][1] for x in a.msg.answer):
            cut = len(links) - 1
        if cut is None or zone_of(links[cut][1], zones) is None:
            answer |= rr_set(a.msg.answer)
            looped = False
            break
        owners = [o for o, _ in links[:cut + 1]]
        answer |= rr_set(x for x in a.msg.answer if (
            x.rdtype == dns.rdatatype.CNAME and x.name in owners) or (
            x.rdtype == dns.rdatatype.DNAME and any(o.is_subdomain(x.name) for o in owners)))
        name = links[cut][1]
        if name in seen:
            break
        seen.add(name)
        a = Answer(exchange(port, Q("x", name.to_text(), case.rdtype).wire, tcp=True))
        if a.msg is None:
            return "knotd sent no answer for %s" % name
    if not seen:
        return "knotd's answer is not a chain into another hosted zone%s" % (
            "" if cname_limit is None else " nor one cut at %d CNAMEs" % cname_limit)
    return answer, a, looped


def lowered(rrs):
    """RRs (rr_set tuples) with their owners lowercased: past the question, an owner's case
    is the compression's choice (the question's case, or a name's in earlier rdata)."""
    return {(x[0].lower(),) + x[1:] for x in rrs}


def udp_limit(case):
    """The most bytes either server sends over UDP for case (both have a 1232 maximum)."""
    m = dns.message.from_wire(case.wire)
    return 512 if m.edns < 0 else min(max(m.payload, 512), 1232)


def whole_answer(case, np, kn, ctx):
    """When Nameplate truncated to no RRs an answer knotd did not truncate: Nameplate's
    whole answer (over TCP), if it is too long for the UDP size; else None."""
    if not np.msg.flags & dns.flags.TC or kn.msg.flags & dns.flags.TC or np.msg.answer or \
            np.msg.authority:
        return None
    whole = Answer(exchange(ctx["nameplate"], case.wire, tcp=True, timeout=TIMEOUT))
    limit = udp_limit(case) - (11 if np.msg.edns >= 0 else 0)
    return whole if whole.msg is not None and len(whole.raw) > limit else None


def authority_left_out(case, np, want_authority, ctx):
    """Whether np (over UDP) lacks want_authority only because it did not fit: an SOA
    that does not fit is left out without TC (as knotd does), so Nameplate's whole answer
    (over TCP) has exactly that authority and is longer than the query's UDP size."""
    if np.msg.authority or not want_authority or np.msg.flags & dns.flags.TC:
        return False
    whole = Answer(exchange(ctx["nameplate"], case.wire, tcp=True))
    return whole.msg is not None and \
        lowered(rr_set(whole.msg.authority)) == lowered(want_authority) and \
        len(whole.raw) > udp_limit(case)


def chain_problems(case, np, kn, want, ctx):
    """How Nameplate's answer np differs from want, a chain_expectation for knotd's kn: the
    answer section, the RCODE (RFC 6604 2.1: the last name's) and authority section of
    the chain's last zone (over UDP, less an SOA that does not fit), owners in any case
    (knotd is asked name by name), and the AA flag of the first; None when it does not.
    A chain that loops through several zones has no last name: its RCODE and authority
    section are not compared."""
    want_answer, rest, looped = want
    problems = []
    if lowered(rr_set(np.msg.answer)) != lowered(want_answer):
        problems.append("answer %s, want knotd's chain plus the rest of it: %s" % (
            sorted(rr_set(np.msg.answer)), sorted(want_answer)))
    if not looped and np.msg.rcode() != rest.msg.rcode():
        problems.append("rcode %s, want %s (RFC 6604: that of the last name)" % (
            dns.rcode.to_text(np.msg.rcode()), dns.rcode.to_text(rest.msg.rcode())))
    want_authority = rr_set(rest.msg.authority)
    if not looped and lowered(rr_set(np.msg.authority)) != lowered(want_authority) and \
            not authority_left_out(case, np, want_authority, ctx):
        problems.append("authority %s, want %s" % (sorted(rr_set(np.msg.authority)),
                                                   sorted(want_authority)))
    if bool(np.msg.flags & dns.flags.AA) != bool(kn.msg.flags & dns.flags.AA):
        problems.append("AA differs from knotd's (the first owner's zone decides)")
    return "; ".join(problems) or None


def tolerate_chain_across_zones(case, np, kn, ctx):
    """knotd stops at its zone's edge; Nameplate must answer as chain_expectation says
    (chain_problems). ctx["zones"]: the hosted zones (default ZONES)."""
    want = chain_expectation(case, kn, ctx["knotd"], ctx.get("zones", ZONES))
    return want if isinstance(want, str) else chain_problems(case, np, kn, want, ctx)


# ================================================================== judging differences

def tolerance_index(tolerated):
    """case key ("<query id>/<transport>") -> the TOLERATED entries that name it."""
    out = {}
    for t in tolerated:
        for c in t["cases"]:
            out.setdefault(c, []).append(t)
    return out


def unexplained(case, transport, np, kn, diff, tolerances, ctx):
    """None when the answers agree (diff empty) or one of tolerances (entries with a
    "check"(case, np, kn, ctx) that returns None when it applies) explains the difference;
    else the failure report, with both answers."""
    if not diff:
        return None
    report = ("query %r over %s differs from knotd: %s\n--- nameplate ---\n%s\n--- knotd ---\n%s"
              % (case, transport.upper(), diff, np.text(), kn.text()))
    why_not = []
    for t in tolerances:
        problem = t["check"](case, np, kn, ctx)
        if problem is None:
            return None
        why_not.append("%s: %s" % (t["name"], problem))
    if why_not:
        report += "\n--- tolerated differences that do not apply ---\n" + "\n".join(why_not)
    return report


def tolerated_problems(tolerated, cases):
    """What is wrong with a TOLERATED list: entries without a reason or check, or naming
    case keys that cases ((query, transport) pairs) does not hold."""
    known = {"%s/%s" % (q.id, t) for q, t in cases}
    out = []
    for t in tolerated:
        if not t["why"] or not callable(t["check"]):
            out.append((t["name"], "no reason or check"))
        missing = [c for c in t["cases"] if c not in known]
        if missing:
            out.append((t["name"], missing))
    return out
