"""Differential test of the dns role against Knot DNS (issue 4, Tests).

The zone files of tests/integration/zones/ go into Nameplate through `nameplate zone
import`, and into `knotd` (Debian's `knot`) as copies whose SOA and apex NS lines are
replaced by Nameplate's own (read back with `nameplate zone export`), so both serve the
same data. Then the same query bytes go to both, over UDP and over TCP, and the answers
are compared section by section as sets of RRs: header flags, RCODE (with the extended
bits), the question, answer, authority and additional (TTLs included; owner names with
their case, as 0x20 resolvers see them), and the OPT record (version, payload size, DO, the
option codes; NSID and cookie contents are not compared).

Where Nameplate may rightly answer differently, the difference is in TOLERATED below with
its justification, and the tolerance checks that exact difference and nothing looser.
Anything else that differs fails, with the query and both answers.
"""

import struct

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from npt.dnsdiff import (TIMEOUT, ZONES, Answer, Knotd, Q, binaries, exchange, hdr,
                         load_zones, opt_rr, qsection, rr_set, tolerance_index,
                         tolerate_chain_across_zones, tolerated_problems, unexplained,
                         view_differences, wait_soa, zone_records)
from npt.server import Server

pytestmark = pytest.mark.server

SILENCE = 0.7  # how long we wait before concluding a server sends no answer at all
IDENTITY = "diff-ns.example"
VERSION = "diff-version-1"
NSID = "diff-nsid"


def G(qid, qname, rdtype="A", **kw):
    return Q(qid, qname, rdtype, **kw)


def many(prefix, rows, **kw):
    return [Q("%s:%s" % (prefix, "%s/%s" % (n.rstrip(".") or ".", t)), n, t, **kw)
            for n, t in rows]


E = "example.test."
QUERIES = []
QUERIES += many("hit", [
    (E, "SOA"), (E, "NS"), (E, "A"), (E, "AAAA"), (E, "TXT"), (E, "MX"),
    ("www." + E, "A"), ("www." + E, "AAAA"), ("multi." + E, "MX"), ("multi." + E, "HINFO"),
    ("multi." + E, "TXT"), ("multi." + E, "AAAA"), ("_sip._tcp." + E, "SRV"),
    ("mx3." + E, "A"), ("sip." + E, "A"), ("www.new." + E, "A"), ("mail.new." + E, "MX"),
    ("other.test.", "A"), ("other.test.", "SOA"), ("www.other.test.", "AAAA"),
    ("mail.other.test.", "MX"), ("x.deep.other.test.", "A"),
    ("hosted.example.test.", "SOA"), ("hosted.example.test.", "NS"),
    ("hosted.example.test.", "MX"), ("www.hosted.example.test.", "A"),
    ("wild.test.", "SOA"), ("wild.test.", "NS"), ("mx.wild.test.", "A"),
])
QUERIES += many("miss", [
    ("nothere." + E, "A"), ("a.b.c.nothere." + E, "A"), ("www." + E, "MX"), (E, "SRV"),
    ("_tcp." + E, "A"), ("_tcp." + E, "SRV"), ("nothere.other.test.", "AAAA"),
    ("deep.other.test.", "A"), ("nothere.hosted.example.test.", "A"),
    ("www.hosted.example.test.", "TXT"), ("www." + E, "TYPE65000"), ("www." + E, "RRSIG"),
    ("www." + E, "NSEC"), ("www." + E, "OPT"), ("new." + E, "A"), ("x.new." + E, "A"),
])
QUERIES += many("wild", [
    ("foo.wild." + E, "A"), ("foo.wild." + E, "TXT"), ("foo.wild." + E, "MX"),
    ("foo.wild." + E, "AAAA"), ("a.b.wild." + E, "A"), ("*.wild." + E, "A"),
    ("*.wild." + E, "MX"), ("host.wild." + E, "A"), ("host.wild." + E, "MX"),
    ("x.host.wild." + E, "A"), ("ent.wild." + E, "A"), ("x.ent.wild." + E, "A"),
    ("deep.ent.wild." + E, "A"), ("wild." + E, "A"), ("q.wc." + E, "A"), ("q.wc." + E, "CNAME"),
    ("q.wc." + E, "MX"),
    ("nowhere.wild.test.", "A"), ("nowhere.wild.test.", "MX"), ("nowhere.wild.test.", "TXT"),
    ("nowhere.wild.test.", "AAAA"), ("a.b.c.wild.test.", "A"), ("exists.wild.test.", "A"),
    ("exists.wild.test.", "AAAA"), ("sub.wild.test.", "A"), ("q.sub.wild.test.", "TXT"),
    ("q.sub.wild.test.", "A"), ("x.sub.wild.test.", "A"), ("q.x.sub.wild.test.", "A"),
    ("c.ent.wild.test.", "A"), ("ent.wild.test.", "A"), ("x.c.ent.wild.test.", "A"),
    ("a.b.c.ent.wild.test.", "A"), ("q.cw.wild.test.", "A"), ("q.cw.wild.test.", "AAAA"),
    ("cn.wild.test.", "A"), ("cn.wild.test.", "MX"), ("*.wild.test.", "A"),
])
QUERIES += many("cname", [
    ("alias." + E, "A"), ("alias." + E, "AAAA"), ("alias." + E, "CNAME"), ("alias." + E, "TXT"),
    ("alias2." + E, "A"), ("ext." + E, "A"), ("ext2." + E, "AAAA"), ("outside." + E, "A"),
    ("dangling." + E, "A"), ("loop1." + E, "A"), ("towild." + E, "A"), ("todname." + E, "A"),
    ("tosub." + E, "A"), ("tohosted." + E, "A"), ("back.other.test.", "A"),
    ("alias.other.test.", "A"), ("back.hosted.example.test.", "A"),
])
QUERIES += many("dname", [
    ("www.old." + E, "A"), ("www.old." + E, "AAAA"), ("old." + E, "DNAME"), ("old." + E, "A"),
    ("a.b.old." + E, "A"), ("mail.old." + E, "MX"), ("www.legacy." + E, "A"),
    ("x.far." + E, "A"), ("far." + E, "DNAME"),
    ("%s.%s.long.%s" % ("a" * 63, "b" * 63, E), "A"), ("x.long." + E, "A"),
])
QUERIES += many("deleg", [
    ("sub." + E, "A"), ("sub." + E, "NS"), ("sub." + E, "DS"), ("sub." + E, "MX"),
    ("host.sub." + E, "A"), ("a.b.sub." + E, "TXT"), ("ns1.sub." + E, "A"),
    ("ns2.sub." + E, "AAAA"), ("sib." + E, "A"), ("x.sib." + E, "A"), ("ns.sib." + E, "A"),
    ("secure." + E, "DS"), ("secure." + E, "A"), ("secure." + E, "NS"),
    ("hosted." + E, "DS"), ("x.child.wild.test.", "A"), ("child.wild.test.", "NS"),
    ("child.wild.test.", "DS"), ("ns.child.wild.test.", "A"),
])
QUERIES += many("refused", [
    ("www.unhosted.invalid.", "A"), ("test.", "SOA"), (".", "NS"), ("example.", "A"),
    ("xexample.test.", "A"),
])
QUERIES += many("case", [
    ("WwW.ExAmPlE.tEsT.", "A"), ("FoO.WiLd.ExAmPlE.TeSt.", "A"), ("NoThErE.eXaMpLe.TeSt.", "A"),
    ("wWw.OlD.eXaMpLe.TeSt.", "A"), ("HoSt.SuB.eXaMpLe.TeSt.", "A"), ("ALIAS.EXAMPLE.TEST.", "A"),
    ("NoWhErE.WiLd.TeSt.", "MX"), ("WWW.UNHOSTED.INVALID.", "A"),
])
QUERIES += many("any", [
    ("multi." + E, "ANY"), ("www." + E, "ANY"), (E, "ANY"), ("foo.wild." + E, "ANY"),
    ("nothere." + E, "ANY"), ("sub." + E, "ANY"), ("alias." + E, "ANY"), ("old." + E, "ANY"),
    ("ent.wild." + E, "ANY"),
])
# EDNS: buffer sizes, versions, DO
for size in (None, 0, 100, 512, 600, 1000, 1232, 4096, 65535):
    kw = {} if size is None else {"edns": 0, "payload": size}
    QUERIES.append(Q("edns:medium/%s" % size, "medium." + E, "TXT", **kw))
    QUERIES.append(Q("edns:big/%s" % size, "big." + E, "TXT", **kw))
    QUERIES.append(Q("edns:apex-mx/%s" % size, E, "MX", **kw))
QUERIES += [
    Q("edns:www-a/4096", "www." + E, "A", edns=0, payload=4096),
    Q("edns:do", "www." + E, "A", edns=0, do=True),
    Q("edns:do-nx", "nothere." + E, "A", edns=0, do=True),
    Q("edns:badvers-1", "www." + E, "A", edns=1),
    Q("edns:badvers-255", "nothere." + E, "A", edns=255),
    Q("edns:nsid", "www." + E, "A", edns=0, options=[dns.edns.GenericOption(3, b"")]),
    Q("edns:unknown-option", "www." + E, "A", edns=0,
      options=[dns.edns.GenericOption(65001, b"xyz")]),
    Q("edns:refused", "www.unhosted.invalid.", "A", edns=0),
    Q("flags:rd", "www." + E, "A", rd=True),
]
QUERIES += [
    Q("class:ch-www", "www." + E, "A", rdclass="CH"),
    Q("class:any-www", "www." + E, "A", rdclass="ANY"),
    Q("class:none", "www." + E, "A", rdclass="NONE"),
    Q("class:ch-id.server", "id.server.", "TXT", rdclass="CH"),
    Q("class:ch-hostname.bind", "hostname.bind.", "TXT", rdclass="CH"),
    Q("class:ch-version.bind", "version.bind.", "TXT", rdclass="CH"),
    Q("class:ch-version.server", "version.server.", "TXT", rdclass="CH"),
    Q("class:ch-other", "foo.bind.", "TXT", rdclass="CH"),
    Q("meta:axfr-udp", E, "AXFR", transports=("udp",)),
    Q("meta:ixfr-udp", E, "IXFR", transports=("udp",)),
    Q("meta:maila", "www." + E, "MAILA"),
]
QUERIES += [Q("opcode:%s" % name, E, "SOA", opcode=code)
            for name, code in (("iquery", 1), ("status", 2), ("op3", 3), ("update", 5),
                               ("op6", 6), ("op15", 15))]

_www = qsection()
RAW = {
    "no-question-bytes": hdr(qd=1),
    "label-overruns-packet": hdr(qd=1) + b"\x3fabc",
    "name-without-root": hdr(qd=1) + b"\x03www\x07example\x04test",
    "qtype-cut": hdr(qd=1) + dns.name.from_text("www.example.test.").to_wire() + b"\x00",
    "pointer-loop": hdr(qd=1) + b"\xc0\x0c" + struct.pack("!HH", 1, 1),
    "pointer-forward": hdr(qd=1) + b"\xc0\x12" + struct.pack("!HH", 1, 1) + b"\x00",
    "bad-label-type": hdr(qd=1) + b"\x80abc\x00" + struct.pack("!HH", 1, 1),
    "name-over-255": hdr(qd=1) + (b"\x3f" + b"a" * 63) * 4 + b"\x00" + struct.pack("!HH", 1, 1),
    "qdcount-0": hdr(qd=0),
    "qdcount-2": hdr(qd=2) + _www + qsection("other.test."),
    "ancount-lies": hdr(qd=1, an=1) + _www,
    "arcount-lies": hdr(qd=1, ar=1) + _www,
    "nscount-lies": hdr(qd=1, ns=1) + _www,
    "opt-owner-not-root": hdr(qd=1, ar=1) + _www + opt_rr(owner=b"\x01x\x00"),
    "opt-rdlength-overruns": hdr(qd=1, ar=1) + _www + opt_rr()[:-2] + b"\x00\x0a\x00\x03",
    "opt-option-overruns": hdr(qd=1, ar=1) + _www + opt_rr(rdata=b"\x00\x03\x00\x10ab"),
    "opt-in-answer-section": hdr(qd=1, an=1) + _www + opt_rr(),
    "two-opt": hdr(qd=1, ar=2) + _www + opt_rr() + opt_rr(),
    "trailing-garbage": hdr(qd=1) + _www + b"garbage",
    "empty": b"",
    "shorter-than-header": b"\x43\x21\x00\x00\x00",
    "response-bit-set": hdr(flags=0x8000) + _www,
    "tc-bit-set": hdr(flags=0x0200) + _www,
    "qtype-0": hdr(qd=1) + qsection(rdtype=0),
    "qclass-0": hdr(qd=1) + qsection(rdclass=0),
}
QUERIES += [Q("raw:%s" % k, raw=v) for k, v in RAW.items()]

CASES = [(q, t) for q in QUERIES for t in q.transports]
assert len({(q.id, t) for q, t in CASES}) == len(CASES), "duplicate query ids"


# ================================================================== comparing

def differences(a, b):
    return view_differences(a.view(), b.view())


# ================================================================== tolerated differences

def tolerate_formerr_where_knotd_drops(case, np, kn, ctx):
    if kn.raw is not None:
        return "knotd answered"
    if np.raw is None or np.msg is None and len(np.raw) < 12:
        return "Nameplate sent no FORMERR"
    qid, flags, _ = np.header()
    rc = struct.unpack("!H", np.raw[2:4])[0] & 0xF
    if rc != dns.rcode.FORMERR or "QR" not in flags or qid != struct.unpack("!H",
                                                                           case.wire[:2])[0]:
        return "not a FORMERR response with the query's id"
    return None


def tolerate_formerr_for_opt_owner(case, np, kn, ctx):
    if np.msg is None or np.msg.rcode() != dns.rcode.FORMERR:
        return "Nameplate did not send FORMERR"
    return None


def tolerate_notimp_for_update(case, np, kn, ctx):
    if kn.msg is None or kn.msg.rcode() not in (dns.rcode.NOTAUTH, dns.rcode.REFUSED):
        return "knotd did not refuse the update"
    if np.msg is None or np.msg.rcode() != dns.rcode.NOTIMP:
        return "Nameplate did not send NOTIMP"
    return None


def tolerate_refused_ixfr_udp(case, np, kn, ctx):
    if kn.msg is None or kn.msg.rcode() != dns.rcode.NOTAUTH:
        return "knotd did not answer NOTAUTH"
    if np.msg is None or np.msg.rcode() != dns.rcode.REFUSED:
        return "Nameplate did not refuse the transfer"
    return None


def tolerate_any_choice(case, np, kn, ctx):
    """RFC 8482 4.1: the responder picks which RRset(s); the rest must match."""
    if np.msg is None or kn.msg is None:
        return "no message"
    if np.msg.rcode() != kn.msg.rcode() or np.header()[1] != kn.header()[1]:
        return "rcode or flags differ"
    if rr_set(np.msg.authority) != rr_set(kn.msg.authority):
        return "authority differs"
    if not np.msg.answer or len(np.msg.answer) > max(1, len(kn.msg.answer)):
        return "Nameplate's ANY answer has %d RRsets, knotd's %d" % (len(np.msg.answer),
                                                                     len(kn.msg.answer))
    for rrset in np.msg.answer:
        full = Answer(exchange(ctx["knotd"], Q("x", rrset.name.to_text(),
                                               dns.rdatatype.to_text(rrset.rdtype)).wire,
                               tcp=True))
        if rr_set([rrset]) != {x for x in rr_set(full.msg.answer)
                               if x[3] == dns.rdatatype.to_text(rrset.rdtype)}:
            return "%s is not the name's whole %s RRset" % (
                rrset.name, dns.rdatatype.to_text(rrset.rdtype))
    return None


DROPPED_BY_KNOTD = ["raw:%s/%s" % (k, t) for k in (
    "no-question-bytes", "label-overruns-packet", "name-without-root", "qtype-cut",
    "pointer-loop", "pointer-forward", "bad-label-type", "name-over-255", "qdcount-2")
    for t in ("udp", "tcp")]

TOLERATED = [
    {
        "name": "CNAME/DNAME chains continue into other hosted zones",
        "cases": ["cname:%s/%s" % (n, t) for n in (
            "ext.example.test/A", "ext2.example.test/AAAA", "tohosted.example.test/A",
            "back.other.test/A", "back.hosted.example.test/A") for t in ("udp", "tcp")]
        + ["dname:%s/A/%s" % (n, t) for n in ("www.legacy.example.test", "x.long.example.test")
           for t in ("udp", "tcp")],
        "why": "RFC 1034 4.3.2 step 3a restarts the lookup at step 1, which searches every "
               "zone the server has; the issue asks for chains followed across hosted zones. "
               "knotd follows a chain only inside the zone it started in. Checked "
               "(npt.dnsdiff): Nameplate's answer is knotd's up to the first name in another "
               "hosted zone plus exactly what knotd answers for the rest, zone by zone.",
        "check": tolerate_chain_across_zones,
    },
    {
        "name": "FORMERR for packets knotd silently drops",
        "cases": DROPPED_BY_KNOTD,
        "why": "The header parses but the question does not. knotd drops such packets; the "
               "issue asks for FORMERR for malformed packets (RFC 1035 4.1.1: the server "
               "was unable to interpret the query). Checked: a FORMERR with the query's id.",
        "check": tolerate_formerr_where_knotd_drops,
    },
    {
        "name": "FORMERR for an OPT whose owner is not the root",
        "cases": ["raw:opt-owner-not-root/%s" % t for t in ("udp", "tcp")],
        "why": "RFC 6891 6.1.2: the OPT owner MUST be 0 (root); BIND answers FORMERR, knotd "
               "ignores the owner. The issue asks for FORMERR for malformed packets.",
        "check": tolerate_formerr_for_opt_owner,
    },
    {
        "name": "NOTIMP for UPDATE",
        "cases": ["opcode:update/%s" % t for t in ("udp", "tcp")],
        "why": "knotd implements dynamic update and refuses it without an ACL (NOTAUTH); "
               "Nameplate does not implement UPDATE (changes go through the API), and the "
               "issue asks NOTIMP for opcodes it does not serve (RFC 2136 2.2 allows it).",
        "check": tolerate_notimp_for_update,
    },
    {
        "name": "REFUSED for an IXFR over UDP from an unlisted client",
        "cases": ["meta:ixfr-udp/udp"],
        "why": "Neither server has a transfer ACL for the client. knotd answers its ACL "
               "denial with NOTAUTH; Nameplate (empty transfer-allow) refuses by policy with "
               "REFUSED, the code RFC 5936 4.2 names for it (docs/transfers.md).",
        "check": tolerate_refused_ixfr_udp,
    },
    {
        "name": "which RRset a minimal ANY answer holds",
        "cases": ["any:%s/ANY/%s" % (n, t) for n in ("multi.example.test", "www.example.test",
                                                    "example.test", "foo.wild.example.test",
                                                    "old.example.test")
                  for t in ("udp", "tcp")],
        "why": "RFC 8482 4.1: the responder chooses the subset. Checked: same RCODE, flags and "
               "authority, no more RRsets than knotd, each one a whole RRset of the name.",
        "check": tolerate_any_choice,
    },
]

_TOLERANCE_OF = tolerance_index(TOLERATED)


# ================================================================== the two servers

@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    binary = binaries()
    work = tmp_path_factory.mktemp("dns-diff")
    s = Server(work / "nameplate", binary=binary,
               serve_args={"--nsid": NSID, "--identity": IDENTITY, "--version": VERSION})
    s.bootstrap()
    kdir = work / "knotd"
    kdir.mkdir()
    exported, knot_files = load_zones(s, binary, kdir)
    knot = Knotd(kdir, knot_files, server_lines=[
        "identity: \"%s\"" % IDENTITY, "version: \"%s\"" % VERSION, "nsid: \"%s\"" % NSID])
    s.start()
    try:
        knot.start()
        pending = wait_soa(s.dns_port, ZONES, 8.0)
        ctx = {"nameplate": s.dns_port, "knotd": knot.port, "exported": exported,
               "knot_files": knot_files, "server": s, "failure": None}
        if pending:
            ctx["failure"] = ("Nameplate's dns role never answered SOA %s on 127.0.0.1:%d\n"
                              "--- log tail ---\n%s" % (pending[0], s.dns_port,
                                                        s.log_text()[-3000:]))
        yield ctx
    finally:
        knot.stop()
        s.stop(check=True)


def ready(ctx):
    if ctx["failure"]:
        pytest.fail(ctx["failure"], pytrace=False)
    return ctx


# ================================================================== tests

@pytest.mark.parametrize("zone", ZONES)
def test_both_servers_hold_the_same_data(pair, zone):
    """Nameplate's export of an imported file is the file, but for its own SOA and NS."""
    with open(pair["knot_files"][zone]) as f:
        knot = zone_records(f.read(), zone)
    ours = zone_records(pair["exported"][zone], zone)
    assert ours == knot, {"only nameplate": sorted(ours - knot),
                          "only knotd's file": sorted(knot - ours)}


@pytest.mark.parametrize("case,transport", CASES, ids=["%s/%s" % (q.id, t) for q, t in CASES])
def test_same_answer_as_knotd(pair, case, transport):
    ctx = ready(pair)
    tcp = transport == "tcp"
    wait = SILENCE if case.id.startswith("raw:") else TIMEOUT
    np = Answer(exchange(ctx["nameplate"], case.wire, tcp, timeout=wait))
    kn = Answer(exchange(ctx["knotd"], case.wire, tcp, timeout=wait))
    diff = differences(np, kn)
    if not diff:
        return
    key = "%s/%s" % (case.id, transport)
    problem = unexplained(case, transport, np, kn, diff, _TOLERANCE_OF.get(key, []), ctx)
    if problem:
        pytest.fail(problem, pytrace=False)


def test_tolerated_list_names_real_cases():
    assert not tolerated_problems(TOLERATED, CASES)