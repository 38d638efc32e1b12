"""Randomized differential test of the dns role against Knot DNS.

test_dns_differential.py asks fixed questions about fixed zones; this test makes zones
and questions from a seed (npt/zonegen.py: 2-4 zones, often a hosted child delegated from
its parent, with CNAME chains, DNAMEs, delegations, wildcards, empty non-terminals, long
names, mixed case, big RRsets and varied TTLs), loads them into Nameplate (`nameplate zone
import`) and into knotd (the same files with Nameplate's SOA and apex NS, as the fixed
test does), and sends both the same query bytes: random names (owners, names below them,
wildcard matches, misses), types, 0x20 case, EDNS on or off with 512/1232/4096 bytes, DO,
over UDP or TCP. The answers are compared exactly as in the fixed test
(npt.dnsdiff.Answer.view: header flags, RCODE, question, every section as a set of RRs
with TTLs and owner case, the OPT record).

Tolerated differences (RANDOM_TOLERATED) are the fixed test's TOLERATED entries themselves
(same checks, same reasons), each applied to the random queries it can concern, and the
differences docs/dns.md lists that the fixed zones never show (a truncated UDP answer holds
no RRs, knotd's 5-CNAME limit, DNAME overflow with the target in its own zone, RRsets with
different TTLs, knotd's wildcard owners in the additional section), each checked as
narrowly; the chain check (npt.dnsdiff.tolerate_chain_across_zones) follows a chain through
any number of hosted zones. Known bugs (KNOWN_BUGS) are recognized by checks as narrow; in
the default seeds they are strict xfails listed case by case, so a fix shows up as a failure
until its entry goes; in other seeds a match is an xfail. Anything else that differs fails,
with the seed, the query and the zone files.

Seeds: DEFAULT_SEEDS by default (chosen so that every known difference shows), with
QUERIES_PER_SEED (300) queries each. For a long run set NAMEPLATE_RANDOM_DIFF_SEEDS to a
count ("200": seeds 1-200), a range ("1000-1199") or a list ("4,17,33"; "17," for one), and
NAMEPLATE_RANDOM_DIFF_QUERIES to the queries per seed. A failure names the seed and the
query and prints every zone file; the same seed always makes the same zones and queries.
"""

import os
import random

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from npt import zonegen
from npt.dnsdiff import (TIMEOUT, Answer, Knotd, Q, binaries, chain_end, chain_expectation,
                         chain_problems, exchange, load_world, lowered, rr_set,
                         tolerate_chain_across_zones, unexplained, view_differences,
                         wait_soa, whole_answer, zone_records)
from npt.worldpair import Pairs, WorldPair
from test_dns_differential import TOLERATED as FIXED_TOLERATED

pytestmark = pytest.mark.server

DEFAULT_SEEDS = (23, 76, 209)  # between them, every tolerance and (when listed) KNOWN_BUGS entry
KNOT_CNAME_LIMIT = 5  # knotd 3.2 puts at most this many CNAMEs of a chain in one answer
QUERIES_PER_SEED = int(os.environ.get("NAMEPLATE_RANDOM_DIFF_QUERIES") or 300)


SEEDS = zonegen.seeds_from(os.environ.get("NAMEPLATE_RANDOM_DIFF_SEEDS", ""), DEFAULT_SEEDS)
WORLDS = {seed: zonegen.make_world(random.Random(seed)) for seed in SEEDS}
ZONE_DATA = "zone-data"
CASES = []
for _seed in SEEDS:
    CASES.append((_seed, ZONE_DATA))
    CASES += [(_seed, q) for q in zonegen.make_queries(WORLDS[_seed], QUERIES_PER_SEED,
                                                       "s%d" % _seed)]


def case_id(seed, item):
    return "s%d:%s" % (seed, ZONE_DATA) if item == ZONE_DATA else item.id


# ================================================================== tolerated differences

def fixed_tolerance(name):
    return next(t for t in FIXED_TOLERATED if t["name"] == name)


def tolerate_empty_truncation(case, np, kn, ctx):
    if np.msg is None or kn.msg is None:
        return "no message"
    a, k = np.view(), kn.view()
    if "TC" not in a["flags"] or a["answer"] or a["authority"] or a["additional"]:
        return "Nameplate's answer is not truncated to no RRs"
    if any(a[x] != k[x] for x in ("question", "opt")):
        return "question or OPT differ"
    if a["flags"] == k["flags"]:
        return None if a["rcode"] == k["rcode"] else "RCODE differs"
    whole = whole_answer(case, np, kn, ctx)
    if whole is None:
        return "knotd's answer fits and so does Nameplate's whole one (over TCP)"
    if np.msg.rcode() not in (whole.msg.rcode(), dns.rcode.NOERROR):
        return "the RCODE is neither NOERROR nor that of Nameplate's whole answer (over TCP)"
    kn_tcp = Answer(exchange(ctx["knotd"], case.wire, tcp=True, timeout=TIMEOUT))
    if kn_tcp.msg is not None and not view_differences(whole.view(), kn_tcp.view()):
        return None  # knotd sent a partial answer without TC; over TCP both agree
    problem = tolerate_chain_across_zones(case, whole, kn, ctx)
    return None if problem is None else "Nameplate's whole answer (over TCP): %s" % problem


# The fixed test's entries (name, reason, check) and the documented ones it never meets,
# each with the random queries it may concern.


def text_name(name):
    return name.to_text().lower().rstrip(".")


def tolerate_knot_cname_limit(case, np, kn, ctx):
    want = chain_expectation(case, kn, ctx["knotd"], ctx["zones"], KNOT_CNAME_LIMIT)
    if isinstance(want, str):
        return want
    plain = chain_expectation(case, kn, ctx["knotd"], ctx["zones"])
    if not isinstance(plain, str) and plain[0] == want[0]:
        return "knotd's limit does not cut this chain"
    problem = chain_problems(case, np, kn, want, ctx)
    return None if problem is None else "not the rest of the chain: %s" % problem


def tolerate_dname_overflow_in_zone(case, np, kn, ctx):
    a, k = np.view(), kn.view()
    want = chain_expectation(case, kn, ctx["knotd"], ctx["zones"], KNOT_CNAME_LIMIT)
    if isinstance(want, str):  # compared with knotd's answer, or with the chain's
        if not set(view_differences(a, k)) <= {"rcode", "flags", "answer", "authority",
                                               "additional"}:
            return "more than the RCODE, TC and sections differ"
        answer, last = k["answer"], kn
    else:
        answer, last = want[0], want[1]
    end = last.view()
    if a["rcode"] != "YXDOMAIN" or a["authority"] or a["additional"] or "TC" in a["flags"]:
        return "Nameplate's answer is not YXDOMAIN with nothing but the answer section"
    if end["rcode"] not in ("NXDOMAIN", "YXDOMAIN") or set(k["flags"]) - {"TC"} != set(
            a["flags"]) or {x[3] for x in end["authority"]} - {"SOA", "NS"} or \
            not lowered(a["answer"]) <= lowered(answer):
        return "knotd's answer is not Nameplate's plus an SOA, a referral or the target's RRs"
    sname = chain_end(np.msg, case.qname)
    for rrset in np.msg.answer:
        target = list(rrset)[0].target if rrset.rdtype == dns.rdatatype.DNAME else None
        if target is None or not sname.is_subdomain(rrset.name):
            continue
        size = len(sname.to_wire()) - len(rrset.name.to_wire()) + len(target.to_wire())
        if size <= 255 or not zonegen.is_below(text_name(target), ctx["world"].zone_of(
                text_name(rrset.name)).origin):
            continue
        own = Answer(exchange(ctx["knotd"], Q("x", target.to_text(), case.rdtype).wire, True))
        if lowered(answer) - lowered(a["answer"]) <= lowered(rr_set(own.msg.answer)):
            return None
        return "knotd's extra RRs are not its answer for the DNAME target %s" % target
    return "no DNAME whose substitution overflows, with its target below its own zone's apex"


def tolerate_knot_wildcard_owner(case, np, kn, ctx):
    a, k = np.view(), kn.view()
    if set(view_differences(a, k)) != {"additional"}:
        return "more than the additional section differs"
    ours, theirs = a["additional"] - k["additional"], k["additional"] - a["additional"]
    world = ctx["world"]
    expanded = {(w.lower() + ".",) + x[1:] for x in ours
                for w in world.wildcards_of(x[0].lower().rstrip("."))}
    if not theirs or not all(x[0].startswith("*.") for x in theirs) or \
            {(x[0].lower(),) + x[1:] for x in theirs} != expanded:
        return "knotd's extra RRs are not Nameplate's with the wildcard's own name"
    return None


# The fixed test's entries (name, reason, check), with the random queries each may concern,
# and the differences docs/dns.md lists that the fixed zones never show.
RANDOM_TOLERATED = [
    (fixed_tolerance("CNAME/DNAME chains continue into other hosted zones"),
     lambda q: True),  # its check: npt.dnsdiff.tolerate_chain_across_zones
    (fixed_tolerance("which RRset a minimal ANY answer holds"),
     lambda q: q.rdtype == "ANY"),
    ({"name": "a truncated UDP answer holds no RRs",
      "why": "docs/dns.md: a truncated UDP answer carries only the question and OPT; Knot "
             "keeps the RRsets that fit. RFC 2181 9: the client retries over TCP and uses "
             "nothing of a truncated answer. Checked: Nameplate's sections are empty, "
             "question and OPT as knotd's, and either both set TC with the same RCODE, or "
             "Nameplate's whole answer (over TCP) is too long for the UDP size and is "
             "knotd's over TCP, or knotd's plus the tolerated chain into other hosted "
             "zones; the truncated answer has the whole one's RCODE, or NOERROR when it "
             "was cut before the chain's end decided it (knotd then sends the part of a "
             "chain that fits, without TC).",
      "check": tolerate_empty_truncation},
     lambda q: q.transports == ("udp",)),
    ({"name": "knotd stops a chain after 5 CNAMEs",
      "why": "docs/dns.md: Nameplate follows a chain up to 16 steps, Knot puts at most 5 "
             "CNAMEs in an answer (NOERROR, no authority); RFC 1034 4.3.2 sets no limit but "
             "a loop guard. Checked: Nameplate's answer is knotd's followed by what knotd "
             "answers for the 5th target, zone by zone as for chains into other zones "
             "(RCODE and authority those of the chain's end).",
      "check": tolerate_knot_cname_limit},
     lambda q: True),
    ({"name": "DNAME substitution overflows, the target below the DNAME's zone apex",
      "why": "docs/dns.md: Nameplate answers YXDOMAIN with the DNAME alone (RFC 6672 2.2); "
             "when the DNAME target lies below its own zone's apex, knotd looks the target "
             "up anyway: NXDOMAIN (or YXDOMAIN) with the zone's SOA, a referral, or its "
             "answer for the target (TC when that does not fit). Checked: Nameplate's answer "
             "is YXDOMAIN with nothing but its answer section, a part of knotd's (or of the "
             "chain's); knotd's extra RRs are its answer for the target; the substitution "
             "does overflow.",
      "check": tolerate_dname_overflow_in_zone},
     lambda q: True),
    ({"name": "knotd writes a wildcard's own name as the owner of additional records",
      "why": "docs/dns.md: an additional A/AAAA RRset a wildcard expands for an MX/SRV/NS "
             "target is owned by the target (RFC 4592 3.3.1); past the first records of a "
             "long answer knotd 3.2 writes the wildcard's own name instead. Checked: only "
             "the additional section differs, and each such RR of knotd's is one of "
             "Nameplate's with the wildcard's name. (The generator no longer makes the long "
             "MX answers that showed it.)",
      "check": tolerate_knot_wildcard_owner},
     lambda q: True),
]

# Also tolerated, before comparing (docs/dns.md): an RRset whose RRs were written with
# different TTLs (RFC 2181 5.2 forbids it; zone files and the API allow it) is served by
# Nameplate with the lowest of them, as RFC 2181 5.2 tells a client to treat it, and by
# knotd with the TTL of the RR it read last. with_knotd_ttls gives exactly such RRsets of
# Nameplate's answer (same owner, type and rdata, with the lowest TTL) knotd's TTL.
def with_knotd_ttls(a, ttls):
    """a, with each RRset of ttls ((owner, type) -> [(rdata texts, lowest TTL, knotd's)])
    that has a lowest TTL given knotd's instead; and whether any had."""
    if a.msg is None:
        return a, False
    out = Answer(a.raw)
    changed = False
    for section in (out.msg.answer, out.msg.authority, out.msg.additional):
        for rrset in section:
            key = (text_name(rrset.name), dns.rdatatype.to_text(rrset.rdtype))
            for rdatas, lowest, knotd in ttls.get(key, ()):
                if {rd.to_text() for rd in rrset} == rdatas and rrset.ttl == lowest != knotd:
                    rrset.ttl = knotd
                    changed = True
                    break
    return out, changed


# ================================================================== known bugs

# Known differences, not tolerated: each with what is wrong, a check that recognizes exactly
# that difference, and the cases of the default seeds where it shows ("s<seed>:<query>"):
# strict xfails, so a fix makes them fail until their entry goes. Other seeds xfail on a
# match.
KNOWN_BUGS = []
KNOWN_CASES = {c: bug for bug in KNOWN_BUGS for c in bug["cases"]}


# ================================================================== the two servers

class Pair(WorldPair):
    """Nameplate and knotd serving one seed's zones."""

    SEEDS_VAR = "NAMEPLATE_RANDOM_DIFF_SEEDS"

    def __init__(self, seed, work, binary):
        self.mixed_ttls = WORLDS[seed].mixed_ttls()
        super().__init__(seed, WORLDS[seed], work, binary)

    def start(self, work, binary):
        zones, self.exported, self.knot_files, kdir = load_world(self.server, binary, work,
                                                                 self.world)
        self.server.start()
        self.knot = Knotd(kdir, self.knot_files)
        self.knot.start()
        pending = wait_soa(self.server.dns_port, zones, 8.0)
        if pending:
            self.failure = "Nameplate never answered SOA %s\n%s" % (
                pending[0], self.server.log_text()[-3000:])
        self.ctx = {"nameplate": self.server.dns_port, "knotd": self.knot.port,
                    "world": self.world, "zones": zones}


@pytest.fixture(scope="module")
def pairs(tmp_path_factory):
    binary = binaries()
    p = Pairs(lambda seed, work: Pair(seed, work, binary), tmp_path_factory, "rdiff")
    try:
        yield p
    finally:
        p.close()


# ================================================================== tests

def check_zone_data(pair):
    """Nameplate's export of each generated file is the file, but for its own SOA and NS."""
    for origin, path in pair.knot_files.items():
        with open(path) as f:
            knot = zone_records(f.read(), origin)
        ours = zone_records(pair.exported[origin], origin)
        if ours != knot:
            return "zone %s: %s" % (origin, {"only nameplate": sorted(ours - knot),
                                             "only knotd's file": sorted(knot - ours)})
    return None


def knotd_alive(pair):
    """Whether knotd answers over TCP and on every UDP worker (a few tries: the kernel
    spreads them by source port)."""
    probe = Q("alive", pair.world.zones[0].origin, "SOA").wire
    return all(exchange(pair.ctx["knotd"], probe, tcp, timeout=0.5) is not None
               for tcp in (True, False, False, False, False, False))


def check_query(pair, q):
    """(the known bug the answers show, or None; what differs, or None)."""
    transport = q.transports[0]
    np = Answer(exchange(pair.ctx["nameplate"], q.wire, transport == "tcp", timeout=TIMEOUT))
    kn = Answer(exchange(pair.ctx["knotd"], q.wire, transport == "tcp", timeout=TIMEOUT))
    if kn.raw is None and not knotd_alive(pair):
        pair.failure = "knotd stopped answering at %s (knotd.log: %s)" % (q.id,
                                                                          pair.knot.log_path)
        return None, pair.failure
    np, ttl_changed = with_knotd_ttls(np, pair.mixed_ttls)
    diff = view_differences(np.view(), kn.view())
    if np.msg is None or kn.msg is None:  # no answer, or one that does not parse
        return None, unexplained(q, transport, np, kn, diff, [], pair.ctx)
    tolerances = [t for t, applies in RANDOM_TOLERATED if applies(q)]
    problem = unexplained(q, transport, np, kn, diff, tolerances, pair.ctx)
    if problem is None:
        return None, None
    if ttl_changed:
        problem += "\n(Nameplate's answer shown with knotd's TTLs for RRsets of mixed TTLs)"
    for bug in KNOWN_BUGS:
        if bug["check"] is not None and bug["check"](q, np, kn, pair.ctx) is None:
            return bug, problem
    return None, problem


@pytest.mark.parametrize("seed,item", CASES, ids=[case_id(s, i) for s, i in CASES])
def test_same_answer_as_knotd(pairs, seed, item):
    pair = pairs.get(seed)
    if pair.failure:
        pytest.fail("seed %d: %s\n%s" % (seed, pair.failure, pair.reproduction()),
                    pytrace=False)
    key = case_id(seed, item)
    bug, problem = (None, check_zone_data(pair)) if item == ZONE_DATA else \
        check_query(pair, item)
    listed = KNOWN_CASES.get(key.split(" ")[0])
    if listed is not None and bug is not listed:
        pytest.fail("%s is listed under the known bug %r, which it no longer shows (fixed? "
                    "remove it from KNOWN_BUGS)\n%s\n%s" % (
                        key, listed["name"], problem or "the answers agree",
                        pair.reproduction()), pytrace=False)
    if bug is not None:
        if listed is None and seed in DEFAULT_SEEDS:
            pytest.fail("%s shows the known bug %r: list it in its cases\n%s\n%s" % (
                key, bug["name"], problem, pair.reproduction()), pytrace=False)
        pytest.xfail("%s: %s" % (bug["name"], bug["bug"]))
    if problem:
        pytest.fail("%s\n%s\n%s" % (key, problem, pair.reproduction()), pytrace=False)


def test_known_bugs_name_real_cases():
    """Every listed case is a query of a default seed (those of this run)."""
    listed = {c for c in KNOWN_CASES if int(c[1:].split(":")[0]) in SEEDS}
    assert {int(c[1:].split(":")[0]) for c in KNOWN_CASES} <= set(DEFAULT_SEEDS)
    assert listed <= {case_id(s, i).split(" ")[0] for s, i in CASES}
    assert all(b["bug"] and b["check"] and b["cases"] for b in KNOWN_BUGS)
