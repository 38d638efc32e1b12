"""Differential test of signed answers against knotd (issue 7: "the DNS server issue's
differential test, re-run with DNSSEC on against knotd signing the same zone with the same
algorithm (compare structure, not signature bytes)").

The zones of tests/integration/zones/ go into Nameplate and into knotd as in
test_dns_differential.py (npt/dnsdiff.py). Nameplate signs them after
POST /v2/{account}/domains/{zone}/dnssec (its defaults: ECDSA P-256 CSK, NSEC3 with 0
iterations, no salt); knotd signs its copies automatically with the same policy
(ecdsap256sha256, single-type-signing, nsec3 with nsec3-iterations 0, nsec3-salt-length 0,
nsec3-opt-out off, and CDS/CDNSKEY always published, as Nameplate does). The keys differ,
so signatures, key tags, DNSKEY/CDS/CDNSKEY rdata and serials do too; the rest must not.

The named queries of the unsigned differential (hits, misses, NODATA, wildcards, empty
non-terminals, CNAME and DNAME chains, delegations with and without DS, ANY, 0x20 case)
plus the apex's DNSSEC types go with DO to both servers, over UDP (1232 bytes) and TCP.
Compared, by structure (`structure()`): RCODE, AA, TC and DO; per section the set of
(owner, type) of the RRsets; for each DNSKEY its flags, protocol and algorithm; for each
RRSIG (owner, type covered, algorithm, labels, original TTL, signer); for each NSEC3 its
owner (the hash: same salt and iterations give the same hashes), hash algorithm, flags,
iterations, salt, next hashed owner and type bitmap. Every tolerated difference is in
TOLERATED with its reason, checked as narrowly as the unsigned test's.
"""

import time

import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdatatype
import pytest

from npt.dnsdiff import (TIMEOUT, ZONES, Answer, Knotd, Q, binaries, chain_end, exchange,
                         load_zones, tolerance_index, tolerated_problems, unexplained,
                         view_differences, whole_answer)
from npt.server import Server
from test_dns_differential import QUERIES as PLAIN_QUERIES
from test_dns_differential import TOLERATED as PLAIN_TOLERATED

pytestmark = pytest.mark.server

POLICY = [
    "policy:",
    "  - id: np",
    "    algorithm: ecdsap256sha256",
    "    single-type-signing: on",
    "    nsec3: on",
    "    nsec3-iterations: 0",
    "    nsec3-salt-length: 0",
    "    nsec3-opt-out: off",
    "    cds-cdnskey-publish: always",
]

# ================================================================== the queries

KINDS = ("hit", "miss", "wild", "cname", "dname", "deleg", "any", "case")


def signed_query(qid, qname, rdtype):
    return Q(qid, qname, rdtype, edns=0, do=True, payload=1232)


QUERIES = [signed_query(q.id, q.qname, q.rdtype) for q in PLAIN_QUERIES
           if q.id.split(":")[0] in KINDS and q.rdclass == "IN"]
for _z in ZONES:
    for _t in ("DNSKEY", "NSEC3PARAM", "CDS", "CDNSKEY", "SOA", "NS", "RRSIG", "NSEC3", "DS"):
        QUERIES.append(signed_query("apex:%s/%s" % (_z, _t), _z + ".", _t))
QUERIES += [
    signed_query("deleg:insecure-below:host.sub.example.test/AAAA", "x.host.sub.example.test.",
                 "AAAA"),
    signed_query("deleg:secure-below:x.secure.example.test/A", "x.secure.example.test.", "A"),
    signed_query("miss:nsec3-owner", "nothere.example.test.", "NSEC3"),
    signed_query("wild:nodata-below-ent", "q.deep.ent.wild.example.test.", "A"),
]
CASES = [(q, t) for q in QUERIES for t in ("udp", "tcp")]
assert len({(q.id, t) for q, t in CASES}) == len(CASES), "duplicate query ids"


# ================================================================== comparing

def _rrs(section):
    """A section as a set of tuples (see the module's docstring)."""
    out = set()
    for rrset in section:
        owner = rrset.name.to_text()
        t = rrset.rdtype
        if t == dns.rdatatype.RRSIG:
            for rd in rrset:
                out.add(("RRSIG", owner, dns.rdatatype.to_text(rd.type_covered), rd.algorithm,
                         rd.labels, rd.original_ttl, rd.signer.to_text().lower()))
        elif t == dns.rdatatype.NSEC3:
            for rd in rrset:
                f = rd.to_text().split()  # alg flags iterations salt next types...
                out.add(("NSEC3", owner.lower(), rd.algorithm, rd.flags, rd.iterations,
                         rd.salt.hex(), f[4].lower(), " ".join(sorted(f[5:]))))
        else:
            out.add((dns.rdatatype.to_text(t), owner))
            if t == dns.rdatatype.DNSKEY:
                for rd in rrset:
                    out.add(("DNSKEY-key", owner, rd.flags, rd.protocol, rd.algorithm))
    return out


def structure(a):
    """What is compared of one answer, as a dict."""
    if a.raw is None:
        return {"answered": False}
    if a.msg is None:
        return {"answered": True, "parse": a.error}
    m = a.msg
    return {"rcode": dns.rcode.to_text(m.rcode()),
            "flags": sorted(n for n, f in (("AA", dns.flags.AA), ("TC", dns.flags.TC))
                            if m.flags & f),
            "do": bool(m.ednsflags & dns.flags.DO) if m.edns >= 0 else None,
            "answer": _rrs(m.answer), "authority": _rrs(m.authority),
            "additional": _rrs(x for x in m.additional if x.rdtype != dns.rdatatype.OPT)}


def differences(np, kn):
    return view_differences(structure(np), structure(kn))


# ================================================================== tolerated differences

def _ask_knotd(ctx, name, rdtype):
    return Answer(exchange(ctx["knotd"], signed_query("x", name, rdtype).wire, tcp=True))


def tolerate_chain_across_zones(case, np, kn, ctx):
    """Nameplate's answer section must be knotd's plus what knotd answers (signed) for the
    chain's last name in the other hosted zone; RCODE and authority are that answer's.
    Over UDP, an answer truncated to no RRs is judged by the whole answer (over TCP), when
    that is too long for the query's UDP size (RFC 4035 3.1.3: all the proof, or TC)."""
    np = whole_answer(case, np, kn, ctx) or np
    end = chain_end(kn.msg, case.qname)
    if end == dns.name.from_text(case.qname):
        return "knotd's answer is not a CNAME/DNAME chain"
    rest = _ask_knotd(ctx, end.to_text(), case.rdtype)
    if rest.msg is None or rest.msg.rcode() == dns.rcode.REFUSED:
        return "the chain's end %s is not in a hosted zone" % end
    a, k, r = structure(np), structure(kn), structure(rest)
    problems = []
    if a["answer"] != k["answer"] | r["answer"]:
        problems.append("answer %s, want knotd's chain plus %s's: %s" % (
            sorted(a["answer"]), end, sorted(k["answer"] | r["answer"])))
    if a["rcode"] != r["rcode"] or a["authority"] != r["authority"]:
        problems.append("rcode/authority %s %s, want the chain end's %s %s" % (
            a["rcode"], sorted(a["authority"]), r["rcode"], sorted(r["authority"])))
    if a["flags"] != k["flags"]:
        problems.append("flags %s, knotd's %s" % (a["flags"], k["flags"]))
    return "; ".join(problems) or None


def tolerate_any_choice(case, np, kn, ctx):
    """RFC 8482 4.1: the responder picks the RRset; each one sent must come with its
    RRSIGs and be one knotd has at the name."""
    a, k = structure(np), structure(kn)
    if (a["rcode"], a["flags"], a["authority"]) != (k["rcode"], k["flags"], k["authority"]):
        return "rcode, flags or authority differ"
    sets = {x for x in a["answer"] if len(x) == 2}
    if not sets or len(sets) > max(1, len({x for x in k["answer"] if len(x) == 2})):
        return "Nameplate's ANY answer has %d RRsets" % len(sets)
    for t, owner in sets:
        full = structure(_ask_knotd(ctx, owner, t))
        want = {x for x in full["answer"]
                if (len(x) == 2 and x[0] == t) or (x[0] == "RRSIG" and x[2] == t)
                or (x[0] == "DNSKEY-key" and t == "DNSKEY")}
        got = {x for x in a["answer"]
               if (len(x) == 2 and x[0] == t) or (x[0] == "RRSIG" and x[2] == t)
               or (x[0] == "DNSKEY-key" and t == "DNSKEY")}
        if got != want:
            return "%s %s: %s, knotd's %s" % (owner, t, sorted(got), sorted(want))
    return None


def tolerate_cds_ttl(case, np, kn, ctx):
    """Only the original TTL of the CDS/CDNSKEY RRSIGs differs: knotd's 0, Nameplate's the
    TTL of its CDS/CDNSKEY RRset (the DNSKEY's, the SOA's)."""
    a, k = structure(np), structure(kn)
    covered = ("CDS", "CDNSKEY")

    def blind(v):
        return {sec: ({x[:5] + (None,) + x[6:] if x[0] == "RRSIG" and x[2] in covered else x
                       for x in val} if isinstance(val, set) else val)
                for sec, val in v.items()}
    if blind(a) != blind(k):
        return "more differs than the CDS/CDNSKEY RRSIGs' original TTL"
    ttls = {r.rdtype: r.ttl for r in np.msg.answer}
    for x in a["answer"]:
        if x[0] == "RRSIG" and x[2] in covered and \
                x[5] != ttls.get(dns.rdatatype.from_text(x[2])):
            return "Nameplate's RRSIG original TTL %d is not its %s TTL" % (x[5], x[2])
    if any(x[0] == "RRSIG" and x[2] in covered and x[5] != 0 for x in k["answer"]):
        return "knotd's CDS/CDNSKEY TTL is not 0"
    return None


def plain_cases(name):
    """The cases of the unsigned differential's tolerance of that name."""
    return next(t["cases"] for t in PLAIN_TOLERATED if t["name"] == name)


TOLERATED = [
    {
        "name": "CNAME/DNAME chains continue into other hosted zones",
        "cases": plain_cases("CNAME/DNAME chains continue into other hosted zones"),
        "why": "As in the unsigned differential (RFC 1034 4.3.2 step 3a): Nameplate follows "
               "the chain into the other hosted zone, and with DO that zone's RRSIGs (and "
               "denial) come along. Checked: knotd's answer plus knotd's own signed answer "
               "for the chain's end, whose RCODE and authority section Nameplate gives.",
        "check": tolerate_chain_across_zones,
    },
    {
        "name": "which RRset a minimal ANY answer holds",
        "cases": plain_cases("which RRset a minimal ANY answer holds"),
        "why": "RFC 8482 4.1: the responder chooses the subset. Checked: same RCODE, flags and "
               "authority, no more RRsets than knotd, each with exactly the RRSIGs knotd "
               "gives that RRset.",
        "check": tolerate_any_choice,
    },
    {
        "name": "CDS and CDNSKEY TTL",
        "cases": ["apex:%s/%s/%s" % (z, t, tr) for z in ZONES for t in ("CDS", "CDNSKEY")
                  for tr in ("udp", "tcp")],
        "why": "knotd publishes CDS and CDNSKEY with TTL 0; Nameplate gives them the DNSKEY "
               "RRset's TTL (the SOA's, Knot's dnskey-ttl default). RFC 7344 sets no TTL; "
               "parents poll these RRsets on their own schedule, so neither choice changes "
               "what a parent sees. Checked: only the RRSIGs' original TTL differs, knotd's "
               "is 0 and Nameplate's is its RRset's TTL.",
        "check": tolerate_cds_ttl,
    },
]

_TOLERANCE_OF = tolerance_index(TOLERATED)

# Known bugs, not tolerated: strict xfail, so the fix makes these fail until removed.
KNOWN_BUGS = {}


# ================================================================== the two servers

def signed_soa(port, zone, timeout=0.3):
    a = Answer(exchange(port, signed_query("ready", zone + ".", "SOA").wire, tcp=False,
                        timeout=timeout))
    return a.msg is not None and any(x.rdtype == dns.rdatatype.RRSIG for x in a.msg.answer)


def wait_signed(port, zones, seconds):
    deadline = time.monotonic() + seconds
    pending = list(zones)
    while pending and time.monotonic() < deadline:
        if signed_soa(port, pending[0]):
            pending.pop(0)
        else:
            time.sleep(0.05)
    return pending


@pytest.fixture(scope="module")
def signed_pair(tmp_path_factory):
    binary = binaries()
    work = tmp_path_factory.mktemp("dnssec-diff")
    s = Server(work / "nameplate", binary=binary)
    s.bootstrap()
    kdir = work / "knotd"
    kdir.mkdir()
    _, knot_files = load_zones(s, binary, kdir)
    knot = Knotd(kdir, knot_files, sections=POLICY,
                 zone_lines=["dnssec-signing: on", "dnssec-policy: np"])
    s.start()
    try:
        for z in ZONES:
            r = s.post("/v2/%d/domains/%s/dnssec" % (s.account_id, z), token=s.token)
            assert r.status_code == 201, r.text
        knot.start()
        ctx = {"nameplate": s.dns_port, "knotd": knot.port, "failure": None}
        for who, port in (("Nameplate", s.dns_port), ("knotd", knot.port)):
            pending = wait_signed(port, ZONES, 20.0)
            if pending:
                ctx["failure"] = "%s never answered a signed SOA for %s\n%s" % (
                    who, pending[0], s.log_text()[-3000:] if who == "Nameplate"
                    else open(knot.log_path).read()[-3000:])
        yield ctx
    finally:
        knot.stop()
        s.stop(check=True)


# ================================================================== tests

@pytest.mark.parametrize("case,transport", CASES, ids=["%s/%s" % (q.id, t) for q, t in CASES])
def test_same_signed_structure_as_knotd(signed_pair, case, transport):
    ctx = signed_pair
    if ctx["failure"]:
        pytest.fail(ctx["failure"], pytrace=False)
    key = "%s/%s" % (case.id, transport)
    tcp = transport == "tcp"
    np = Answer(exchange(ctx["nameplate"], case.wire, tcp, timeout=TIMEOUT))
    kn = Answer(exchange(ctx["knotd"], case.wire, tcp, timeout=TIMEOUT))
    diff = differences(np, kn)
    if key in KNOWN_BUGS:
        if diff:
            pytest.xfail(KNOWN_BUGS[key])
        pytest.fail("known bug fixed? %s now matches knotd: remove it from KNOWN_BUGS" % key)
    if not diff:
        return
    problem = unexplained(case, transport, np, kn, diff, _TOLERANCE_OF.get(key, []), ctx)
    if problem:
        pytest.fail(problem, pytrace=False)


def test_tolerated_list_names_real_cases():
    assert not tolerated_problems(TOLERATED, CASES)
    assert set(KNOWN_BUGS) <= {"%s/%s" % (q.id, t) for q, t in CASES}


def test_comparison_sees_the_dnssec_records(signed_pair):
    """The structures compared hold the proofs: an NXDOMAIN has NSEC3s (RFC 5155 7.2.1:
    closest encloser, next closer, wildcard; two of them may be one) with their RRSIGs, a
    positive answer its RRSIG, from both servers alike."""
    if signed_pair["failure"]:
        pytest.fail(signed_pair["failure"], pytrace=False)
    for port in (signed_pair["nameplate"], signed_pair["knotd"]):
        nx = structure(Answer(exchange(port, signed_query("nx", "a.nothere.example.test.",
                                                          "A").wire, tcp=False)))
        nsec3 = [x for x in nx["authority"] if x[0] == "NSEC3"]
        sigs = [x for x in nx["authority"] if x[0] == "RRSIG" and x[2] == "NSEC3"]
        assert nx["rcode"] == "NXDOMAIN" and 2 <= len(nsec3) <= 3 and len(sigs) == len(nsec3), nx
        hit = structure(Answer(exchange(port, signed_query("hit", "www.example.test.",
                                                           "A").wire, tcp=False)))
        assert ("RRSIG", "www.example.test.", "A", 13, 3, 120, "example.test.") in \
            hit["answer"], hit
