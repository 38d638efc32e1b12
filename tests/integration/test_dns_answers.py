"""The dns role's answers (issue 4, Behaviour): one test per point, over UDP and TCP.

The zones come from tests/integration/zones/*.zone through `nameplate zone import` before
the server starts (SOA and apex NS are Nameplate's own: SOA TTL 3600, MINIMUM 300, NS
ns1.localhost and ns2.localhost), plus zones made through the API where a test needs
the API (deactivation, a lower SOA TTL). Queries go out as raw wire bytes on sockets of
our own, so every byte of the answer (case, size, compression) can be checked; dnspython
parses them.

Servers: `ns` (NSID and identity set, version off: the default) and `ns2` (version set,
TCP idle timeout 1 s, system TTL 120, no NSID and no identity), one per module; a few tests
start their own (hex NSID, TCP connection limit, several listen addresses). All on
127.0.0.1 ports picked free.
"""

import io
import os
import socket
import struct
import time

import dns.edns
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone
import pytest

from npt import paths
from npt.dnsdiff import hdr, opt_rr, qsection
from npt.server import Server, binary_exists

pytestmark = pytest.mark.server

HOST = "127.0.0.1"
TIMEOUT = 2.0
ZONES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zones")
ZONE_FILES = ["example.test", "other.test", "wild.test", "hosted.example.test"]
NSID = "nameplate-test-ns"
IDENTITY = "ns-test-1.example"
VERSION = "nameplate-9.9-test"
NEG_TTL = 300          # min(SOA TTL 3600, SOA MINIMUM 300) of imported zones
UDP_PAYLOAD = 1232     # the server's default --dns-udp-payload
READY_TIMEOUT = 8.0


# ------------------------------------------------------------------ wire helpers

def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def read_tcp_msg(sock):
    (size,) = struct.unpack("!H", recv_exact(sock, 2))
    return recv_exact(sock, size)


def udp_raw(port, wire, timeout=TIMEOUT):
    """Send wire bytes over UDP; the answer's bytes, or None when none came in timeout."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((HOST, port))
        s.send(wire)
        try:
            return s.recv(65535)
        except socket.timeout:
            return None


def tcp_raw(port, wire, timeout=TIMEOUT):
    with socket.create_connection((HOST, port), timeout=timeout) as s:
        s.sendall(struct.pack("!H", len(wire)) + wire)
        return read_tcp_msg(s)


def make_query(qname, rdtype="A", rdclass="IN", edns=None, payload=UDP_PAYLOAD, options=(),
               do=False, rd=False, qid=None):
    """A query; edns=None sends none, edns=0 (or 1, ...) an OPT of that version."""
    q = dns.message.make_query(qname, rdtype, rdclass, flags=dns.flags.RD if rd else 0,
                               id=qid)
    if edns is not None:
        # (make_query() of dnspython 2.3 drops the EDNS version: set it here)
        q.use_edns(edns, dns.flags.DO if do else 0, payload, options=list(options))
    return q


def ask(port, qname, rdtype="A", tcp=False, **kw):
    """(parsed answer, raw bytes); fails when no answer comes."""
    q = make_query(qname, rdtype, **kw)
    wire = q.to_wire()
    raw = tcp_raw(port, wire) if tcp else udp_raw(port, wire)
    assert raw is not None, "no answer over %s to %s %s within %ss" % (
        "TCP" if tcp else "UDP", qname, rdtype, TIMEOUT)
    r = dns.message.from_wire(raw)
    assert r.id == q.id and r.flags & dns.flags.QR, r
    return r, raw


def header(raw):
    qid, flags, qd, an, ns, ar = struct.unpack("!HHHHHH", raw[:12])
    return {"id": qid, "qr": bool(flags & 0x8000), "opcode": (flags >> 11) & 0xF,
            "aa": bool(flags & 0x400), "tc": bool(flags & 0x200), "rd": bool(flags & 0x100),
            "ra": bool(flags & 0x80), "rcode": flags & 0xF, "qd": qd, "an": an, "ns": ns,
            "ar": ar}


def rrs(section):
    """A section as a set of (owner, ttl, type, rdata) texts (owners lowercased)."""
    out = set()
    for rrset in section:
        for rd in rrset:
            out.add((rrset.name.to_text().lower(), rrset.ttl, dns.rdatatype.to_text(rrset.rdtype),
                     rd.to_text()))
    return out


def rrset_of(section, name, rdtype):
    for rrset in section:
        if rrset.name == dns.name.from_text(name) and rrset.rdtype == dns.rdatatype.from_text(
                rdtype):
            return rrset
    return None


def show(r):
    return "\n" + r.to_text()


def rcode(r):
    return dns.rcode.to_text(r.rcode())


def is_aa(r):
    return bool(r.flags & dns.flags.AA)


def opt_option(r, code):
    for o in r.options:
        if o.otype == code:
            return o.to_wire()
    return None


# ------------------------------------------------------------------ zone data

def zone_data(origin):
    return dns.zone.from_file(os.path.join(ZONES_DIR, origin + ".zone"), origin + ".",
                              relativize=False)


def expected(origin, name, rdtype):
    """The rdataset of name/type in a zone file, as rrs() tuples with owner `name`."""
    z = zone_data(origin)
    rds = z.find_rdataset(name, rdtype)
    return {(name.lower(), rds.ttl, rdtype, rd.to_text()) for rd in rds}


# ------------------------------------------------------------------ servers

def wait_dns(s, names, timeout=READY_TIMEOUT):
    """Wait until each zone's SOA is answered over UDP; returns None or a failure text."""
    deadline = time.monotonic() + timeout
    pending = list(names)
    last = None
    for _ in range(1000):
        if not pending or time.monotonic() > deadline:
            break
        q = make_query(pending[0], "SOA")
        raw = udp_raw(s.dns_port, q.to_wire(), timeout=0.2)
        if raw is not None:
            r = dns.message.from_wire(raw)
            last = r
            if r.rcode() == dns.rcode.NOERROR and r.answer:
                pending.pop(0)
                continue
        if not s.running:
            break
        time.sleep(0.05)
    if pending:
        return ("the dns role never answered SOA %s on 127.0.0.1:%s within %ss "
                "(last answer: %s)\n--- server log tail ---\n%s"
                % (pending[0], s.dns_port, timeout, last and last.to_text(), s.log_text()[-3000:]))
    return None


def import_zone(s, origin, path=None):
    path = path or os.path.join(ZONES_DIR, origin + ".zone")
    return s._run(["zone", "import", "--data", s.data_dir, "--account", str(s.account_id),
                   "--zone", origin, path, "--json"])


def start(tmp_path_factory, tag, serve_args, zones=ZONE_FILES):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    s = Server(tmp_path_factory.mktemp(tag), binary=binary, serve_args=serve_args)
    s.bootstrap()
    for z in zones:
        import_zone(s, z)
    s.start()
    s.dns_failure = wait_dns(s, zones or [])
    return s


def ready(s):
    if s.dns_failure:
        pytest.fail(s.dns_failure, pytrace=False)
    return s.dns_port


@pytest.fixture(scope="module")
def ns(tmp_path_factory):
    s = start(tmp_path_factory, "dns-answers", {"--nsid": NSID, "--identity": IDENTITY})
    yield s
    s.stop(check=True)


@pytest.fixture(scope="module")
def ns2(tmp_path_factory):
    s = start(tmp_path_factory, "dns-answers2", {"--version": VERSION,
                                                  "--dns-tcp-idle-timeout": "1",
                                                  "--default-ttl": "120"},
              zones=["other.test"])
    yield s
    s.stop(check=True)


@pytest.fixture
def port(ns):
    return ready(ns)


def api(s, method, path, status, **kw):
    r = s.request(method, "/v2/%s%s" % (s.account_id, path), token=s.token, **kw)
    assert r.status_code == status, (method, path, r.status_code, r.text[:500])
    return r.json() if r.content else None


def wait_answer(port, qname, rdtype, want, timeout=2.0):
    """Query until want(response) holds (bounded); returns (response, seconds waited)."""
    t0 = time.monotonic()
    r = None
    for _ in range(2000):
        r, _raw = ask(port, qname, rdtype)
        if want(r):
            return r, time.monotonic() - t0
        if time.monotonic() - t0 > timeout:
            break
        time.sleep(0.01)
    raise AssertionError("%s %s: the wanted answer did not come within %ss; last:%s"
                         % (qname, rdtype, timeout, show(r)))


TRANSPORTS = pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])


# ================================================================== exact matches

@TRANSPORTS
def test_exact_match(port, tcp):
    r, _ = ask(port, "www.example.test.", "A", tcp=tcp)
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == expected("example.test", "www.example.test.", "A"), show(r)
    assert not r.flags & dns.flags.TC and not r.flags & dns.flags.RA, show(r)
    for rdtype in ("AAAA", "MX", "TXT", "HINFO"):
        r, _ = ask(port, "multi.example.test.", rdtype, tcp=tcp)
        assert rcode(r) == "NOERROR" and is_aa(r), show(r)
        assert rrs(r.answer) == expected("example.test", "multi.example.test.", rdtype), show(r)
    r, _ = ask(port, "_sip._tcp.example.test.", "SRV", tcp=tcp)
    assert rrs(r.answer) == expected("example.test", "_sip._tcp.example.test.", "SRV"), show(r)
    r, _ = ask(port, "example.test.", "AAAA", tcp=tcp)
    assert rrs(r.answer) == expected("example.test", "example.test.", "AAAA"), show(r)


@TRANSPORTS
def test_apex_soa_and_ns_are_nameplates(port, tcp):
    r, _ = ask(port, "example.test.", "NS", tcp=tcp)
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == {("example.test.", 3600, "NS", "ns1.localhost."),
                             ("example.test.", 3600, "NS", "ns2.localhost.")}, show(r)
    r, _ = ask(port, "example.test.", "SOA", tcp=tcp)
    (soa,) = list(rrset_of(r.answer, "example.test.", "SOA"))
    assert rrset_of(r.answer, "example.test.", "SOA").ttl == 3600
    assert (soa.mname.to_text(), soa.rname.to_text(), soa.refresh, soa.retry, soa.expire,
            soa.minimum) == ("ns1.localhost.", "hostmaster.localhost.", 86400, 7200, 604800,
                             300), show(r)


def test_rd_copied_ra_clear(port):
    r, _ = ask(port, "www.example.test.", "A", rd=True)
    assert r.flags & dns.flags.RD and not r.flags & dns.flags.RA and is_aa(r), show(r)


# ================================================================== CNAME

@TRANSPORTS
def test_cname_chain_in_zone(port, tcp):
    r, _ = ask(port, "alias.example.test.", "A", tcp=tcp)
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == ({("alias.example.test.", 60, "CNAME", "alias2.example.test."),
                              ("alias2.example.test.", 90, "CNAME", "www.example.test.")}
                             | expected("example.test", "www.example.test.", "A")), show(r)
    # CNAME first, in chain order
    assert [x.name.to_text() for x in r.answer[:2]] == ["alias.example.test.",
                                                        "alias2.example.test."], show(r)


def test_cname_query_for_cname_is_not_followed(port):
    r, _ = ask(port, "alias.example.test.", "CNAME")
    assert rrs(r.answer) == {("alias.example.test.", 60, "CNAME", "alias2.example.test.")}, show(r)
    assert rcode(r) == "NOERROR" and is_aa(r)


@TRANSPORTS
def test_cname_chain_across_hosted_zones(port, tcp):
    r, _ = ask(port, "ext.example.test.", "A", tcp=tcp)
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == ({("ext.example.test.", 3600, "CNAME", "www.other.test.")}
                             | expected("other.test", "www.other.test.", "A")), show(r)
    r, _ = ask(port, "ext2.example.test.", "AAAA", tcp=tcp)
    assert rrs(r.answer) == ({("ext2.example.test.", 3600, "CNAME", "alias.other.test."),
                              ("alias.other.test.", 1800, "CNAME", "www.other.test.")}
                             | expected("other.test", "www.other.test.", "AAAA")), show(r)
    # and back again, and into a hosted child zone
    r, _ = ask(port, "back.other.test.", "A", tcp=tcp)
    assert rrs(r.answer) == ({("back.other.test.", 1800, "CNAME", "www.example.test.")}
                             | expected("example.test", "www.example.test.", "A")), show(r)
    r, _ = ask(port, "tohosted.example.test.", "A", tcp=tcp)
    assert rrs(r.answer) == {("tohosted.example.test.", 3600, "CNAME", "www.hosted.example.test."),
                             ("www.hosted.example.test.", 900, "A", "192.0.2.70")}, show(r)


def test_cname_out_of_hosted_zones(port):
    r, _ = ask(port, "outside.example.test.", "A")
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == {("outside.example.test.", 3600, "CNAME",
                              "host.unhosted.invalid.")}, show(r)


def test_cname_to_missing_name_is_nxdomain(port):
    """RFC 6604: the RCODE is that of the last name in the chain."""
    r, _ = ask(port, "dangling.example.test.", "A")
    assert rcode(r) == "NXDOMAIN" and is_aa(r), show(r)
    assert rrs(r.answer) == {("dangling.example.test.", 3600, "CNAME",
                              "nothere.example.test.")}, show(r)
    assert rrset_of(r.authority, "example.test.", "SOA") is not None, show(r)


def test_cname_loop_terminates(port):
    r, _ = ask(port, "loop1.example.test.", "A")
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == {("loop1.example.test.", 3600, "CNAME", "loop2.example.test."),
                             ("loop2.example.test.", 3600, "CNAME", "loop1.example.test.")}, show(r)
    assert sum(len(x) for x in r.answer) == 2, show(r)


def test_cname_to_wildcard(port):
    r, _ = ask(port, "towild.example.test.", "A")
    assert rrs(r.answer) == {("towild.example.test.", 3600, "CNAME", "foo.wild.example.test."),
                             ("foo.wild.example.test.", 200, "A", "192.0.2.20")}, show(r)
    assert rcode(r) == "NOERROR" and is_aa(r)


def test_cname_into_delegation_gives_referral(port):
    r, _ = ask(port, "tosub.example.test.", "A")
    assert rcode(r) == "NOERROR", show(r)
    assert rrs(r.answer) == {("tosub.example.test.", 3600, "CNAME",
                              "host.sub.example.test.")}, show(r)
    assert rrset_of(r.authority, "sub.example.test.", "NS") is not None, show(r)


# ================================================================== DNAME

@TRANSPORTS
def test_dname_synthesizes_cname(port, tcp):
    r, _ = ask(port, "www.old.example.test.", "A", tcp=tcp)
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    # RFC 6672 2.3/5.3.1: the DNAME, then the CNAME with the DNAME's TTL, then the target
    assert rrs(r.answer) == {("old.example.test.", 3600, "DNAME", "new.example.test."),
                             ("www.old.example.test.", 3600, "CNAME", "www.new.example.test."),
                             ("www.new.example.test.", 3600, "A", "192.0.2.60")}, show(r)
    assert r.answer[0].rdtype == dns.rdatatype.DNAME, show(r)
    assert r.answer[1].rdtype == dns.rdatatype.CNAME, show(r)


def test_dname_owner_itself(port):
    r, _ = ask(port, "old.example.test.", "DNAME")
    assert rrs(r.answer) == {("old.example.test.", 3600, "DNAME", "new.example.test.")}, show(r)
    # the DNAME does not apply to its owner: NODATA there
    r, _ = ask(port, "old.example.test.", "A")
    assert rcode(r) == "NOERROR" and not r.answer and is_aa(r), show(r)
    assert rrset_of(r.authority, "example.test.", "SOA") is not None, show(r)


def test_dname_deeper_name_to_nxdomain(port):
    r, _ = ask(port, "a.b.old.example.test.", "A")
    assert rcode(r) == "NXDOMAIN" and is_aa(r), show(r)
    assert rrs(r.answer) == {("old.example.test.", 3600, "DNAME", "new.example.test."),
                             ("a.b.old.example.test.", 3600, "CNAME",
                              "a.b.new.example.test.")}, show(r)


def test_dname_across_and_out_of_hosted_zones(port):
    r, _ = ask(port, "www.legacy.example.test.", "A")
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == ({("legacy.example.test.", 3600, "DNAME", "other.test."),
                              ("www.legacy.example.test.", 3600, "CNAME", "www.other.test.")}
                             | expected("other.test", "www.other.test.", "A")), show(r)
    r, _ = ask(port, "x.far.example.test.", "A")
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == {("far.example.test.", 3600, "DNAME", "unhosted.invalid."),
                             ("x.far.example.test.", 3600, "CNAME", "x.unhosted.invalid.")}, show(r)


def test_dname_overflow_is_yxdomain(port):
    """RFC 6672 2.2: a substitution longer than 255 octets gives YXDOMAIN."""
    qname = "%s.%s.long.example.test." % ("a" * 63, "b" * 63)
    r, _ = ask(port, qname, "A")
    assert rcode(r) == "YXDOMAIN", show(r)
    assert not any(x.rdtype == dns.rdatatype.CNAME for x in r.answer), show(r)


# ================================================================== wildcards

@TRANSPORTS
def test_wildcard_synthesis(port, tcp):
    for qname in ("foo.wild.example.test.", "a.b.wild.example.test."):
        r, _ = ask(port, qname, "A", tcp=tcp)
        assert rcode(r) == "NOERROR" and is_aa(r), show(r)
        assert rrs(r.answer) == {(qname, 200, "A", "192.0.2.20")}, show(r)
        r, _ = ask(port, qname, "TXT", tcp=tcp)
        assert rrs(r.answer) == {(qname, 200, "TXT", '"wildcard text"')}, show(r)
    # the wildcard's own name is an ordinary name
    r, _ = ask(port, "*.wild.example.test.", "A", tcp=tcp)
    assert rrs(r.answer) == {("*.wild.example.test.", 200, "A", "192.0.2.20")}, show(r)


def test_wildcard_nodata(port):
    r, _ = ask(port, "foo.wild.example.test.", "MX")
    assert rcode(r) == "NOERROR" and not r.answer and is_aa(r), show(r)
    soa = rrset_of(r.authority, "example.test.", "SOA")
    assert soa is not None and soa.ttl == NEG_TTL, show(r)


def test_wildcard_blocked_by_existing_name(port):
    # host.wild exists (MX only): no wildcard for it, and it is the closest encloser below
    r, _ = ask(port, "host.wild.example.test.", "A")
    assert rcode(r) == "NOERROR" and not r.answer and is_aa(r), show(r)
    assert rrset_of(r.authority, "example.test.", "SOA") is not None, show(r)
    r, _ = ask(port, "x.host.wild.example.test.", "A")
    assert rcode(r) == "NXDOMAIN" and not r.answer and is_aa(r), show(r)


def test_wildcard_blocked_by_empty_non_terminal(port):
    # ent.wild exists only as the parent of deep.ent.wild
    r, _ = ask(port, "ent.wild.example.test.", "A")
    assert rcode(r) == "NOERROR" and not r.answer and is_aa(r), show(r)
    assert rrset_of(r.authority, "example.test.", "SOA") is not None, show(r)
    r, _ = ask(port, "x.ent.wild.example.test.", "A")
    assert rcode(r) == "NXDOMAIN" and not r.answer, show(r)
    r, _ = ask(port, "deep.ent.wild.example.test.", "A")
    assert rrs(r.answer) == {("deep.ent.wild.example.test.", 3600, "A", "192.0.2.21")}, show(r)


def test_wildcard_cname(port):
    r, _ = ask(port, "q.wc.example.test.", "A")
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == ({("q.wc.example.test.", 3600, "CNAME", "www.example.test.")}
                             | expected("example.test", "www.example.test.", "A")), show(r)


def test_apex_wildcard_zone(port):
    r, _ = ask(port, "nowhere.wild.test.", "MX")
    assert rrs(r.answer) == {("nowhere.wild.test.", 600, "MX", "10 mx.wild.test.")}, show(r)
    r, _ = ask(port, "a.b.c.wild.test.", "TXT")
    assert rrs(r.answer) == {("a.b.c.wild.test.", 120, "TXT", '"apex wildcard"')}, show(r)
    # exists has only AAAA: NODATA for A, no wildcard
    r, _ = ask(port, "exists.wild.test.", "A")
    assert rcode(r) == "NOERROR" and not r.answer, show(r)
    # sub is an empty non-terminal (x.sub, *.sub): it blocks the apex wildcard
    r, _ = ask(port, "sub.wild.test.", "A")
    assert rcode(r) == "NOERROR" and not r.answer, show(r)
    r, _ = ask(port, "q.sub.wild.test.", "TXT")
    assert rrs(r.answer) == {("q.sub.wild.test.", 600, "TXT", '"sub wildcard"')}, show(r)
    r, _ = ask(port, "q.sub.wild.test.", "A")
    assert rcode(r) == "NOERROR" and not r.answer, show(r)
    r, _ = ask(port, "q.x.sub.wild.test.", "A")
    assert rcode(r) == "NXDOMAIN" and not r.answer, show(r)
    # c.ent and ent: empty non-terminals above a.b.c.ent
    for qname, want in (("c.ent.wild.test.", "NOERROR"), ("ent.wild.test.", "NOERROR"),
                        ("x.c.ent.wild.test.", "NXDOMAIN")):
        r, _ = ask(port, qname, "A")
        assert rcode(r) == want and not r.answer, show(r)
        assert rrset_of(r.authority, "wild.test.", "SOA") is not None, show(r)
    # a wildcard CNAME to a name with no A: the CNAME, then NODATA
    r, _ = ask(port, "q.cw.wild.test.", "A")
    assert rrs(r.answer) == {("q.cw.wild.test.", 600, "CNAME", "exists.wild.test.")}, show(r)
    assert rcode(r) == "NOERROR"
    # a CNAME whose target is synthesized by the apex wildcard
    r, _ = ask(port, "cn.wild.test.", "A")
    assert rrs(r.answer) == {("cn.wild.test.", 600, "CNAME", "nowhere.wild.test."),
                             ("nowhere.wild.test.", 600, "A", "203.0.113.1")}, show(r)


def test_wildcard_does_not_reach_below_delegation(port):
    r, _ = ask(port, "a.b.child.wild.test.", "A")
    assert rcode(r) == "NOERROR" and not r.answer and not is_aa(r), show(r)
    assert rrs(r.authority) == {("child.wild.test.", 600, "NS", "ns.child.wild.test.")}, show(r)


# ================================================================== delegations

@TRANSPORTS
def test_referral_with_glue(port, tcp):
    for qname, rdtype in (("host.sub.example.test.", "A"), ("sub.example.test.", "A"),
                          ("sub.example.test.", "NS"), ("a.b.sub.example.test.", "TXT"),
                          ("ns1.sub.example.test.", "A")):
        r, _ = ask(port, qname, rdtype, tcp=tcp)
        assert rcode(r) == "NOERROR" and not is_aa(r) and not r.answer, (qname, show(r))
        assert rrs(r.authority) == expected("example.test", "sub.example.test.", "NS"), show(r)
        glue = rrs(r.additional)
        assert glue == {("ns1.sub.example.test.", 3600, "A", "192.0.2.53"),
                        ("ns2.sub.example.test.", 3600, "A", "192.0.2.54"),
                        ("ns2.sub.example.test.", 3600, "AAAA", "2001:db8::54")}, show(r)


def test_ds_is_answered_by_the_parent(port):
    r, _ = ask(port, "secure.example.test.", "DS")
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == expected("example.test", "secure.example.test.", "DS"), show(r)
    r, _ = ask(port, "sub.example.test.", "DS")
    assert rcode(r) == "NOERROR" and is_aa(r) and not r.answer, show(r)
    assert rrset_of(r.authority, "example.test.", "SOA") is not None, show(r)


def test_hosted_child_zone(port):
    r, _ = ask(port, "www.hosted.example.test.", "A")
    assert rcode(r) == "NOERROR" and is_aa(r), show(r)
    assert rrs(r.answer) == {("www.hosted.example.test.", 900, "A", "192.0.2.70")}, show(r)
    r, _ = ask(port, "hosted.example.test.", "NS")
    assert is_aa(r) and rrs(r.answer) == {
        ("hosted.example.test.", 3600, "NS", "ns1.localhost."),
        ("hosted.example.test.", 3600, "NS", "ns2.localhost.")}, show(r)
    # DS belongs to the parent side of the cut (RFC 4035 3.1.4.1)
    r, _ = ask(port, "hosted.example.test.", "DS")
    assert rcode(r) == "NOERROR" and is_aa(r) and not r.answer, show(r)
    assert rrset_of(r.authority, "example.test.", "SOA") is not None, show(r)
    r, _ = ask(port, "nothere.hosted.example.test.", "A")
    assert rcode(r) == "NXDOMAIN" and rrset_of(r.authority, "hosted.example.test.", "SOA"), show(r)


# ================================================================== negative answers

@TRANSPORTS
def test_nxdomain(port, tcp):
    r, _ = ask(port, "nothere.example.test.", "A", tcp=tcp)
    assert rcode(r) == "NXDOMAIN" and is_aa(r) and not r.answer, show(r)
    (soa,) = [x for x in r.authority if x.rdtype == dns.rdatatype.SOA]
    assert soa.name == dns.name.from_text("example.test.") and soa.ttl == NEG_TTL, show(r)
    assert list(soa)[0].mname.to_text() == "ns1.localhost.", show(r)


@TRANSPORTS
def test_nodata(port, tcp):
    r, _ = ask(port, "www.example.test.", "MX", tcp=tcp)
    assert rcode(r) == "NOERROR" and is_aa(r) and not r.answer, show(r)
    (soa,) = [x for x in r.authority if x.rdtype == dns.rdatatype.SOA]
    assert soa.name == dns.name.from_text("example.test.") and soa.ttl == NEG_TTL, show(r)


def test_negative_ttl_is_the_soa_ttl_when_lower(ns2):
    """SOA TTL 120 (--default-ttl 120), MINIMUM 300: negative answers say 120."""
    port = ready(ns2)
    zone = "negttl-%d.test" % os.getpid()
    api(ns2, "POST", "/domains", 201, json={"name": zone})
    api(ns2, "POST", "/zones/%s/records" % zone, 201,
        json={"name": "www", "type": "A", "content": "192.0.2.1"})
    r, _ = wait_answer(port, "www.%s." % zone, "A", lambda r: bool(r.answer))
    soa_r, _ = ask(port, zone + ".", "SOA")
    soa = rrset_of(soa_r.answer, zone + ".", "SOA")
    assert soa is not None and soa.ttl == 120 and list(soa)[0].minimum == 300, show(soa_r)
    for qname, rdtype, want in (("nothere.%s." % zone, "A", "NXDOMAIN"),
                                ("www.%s." % zone, "TXT", "NOERROR")):
        r, _ = ask(port, qname, rdtype)
        assert rcode(r) == want and not r.answer, show(r)
        (neg,) = [x for x in r.authority if x.rdtype == dns.rdatatype.SOA]
        assert neg.ttl == 120, show(r)


# ================================================================== REFUSED, deactivation

@TRANSPORTS
def test_refused_for_names_in_no_hosted_zone(port, tcp):
    for qname, rdtype in (("www.unhosted.invalid.", "A"), ("test.", "SOA"), (".", "NS"),
                          ("xexample.test.", "A"), ("example.", "A")):
        r, _ = ask(port, qname, rdtype, tcp=tcp)
        assert rcode(r) == "REFUSED", (qname, show(r))
        assert not is_aa(r) and not r.answer and not r.authority, show(r)


def test_deactivated_zone_is_not_hosted(ns):
    port = ready(ns)
    zone = "deact-%d.test" % os.getpid()
    api(ns, "POST", "/domains", 201, json={"name": zone})
    api(ns, "POST", "/zones/%s/records" % zone, 201,
        json={"name": "www", "type": "A", "content": "192.0.2.99"})
    wait_answer(port, "www.%s." % zone, "A", lambda r: bool(r.answer))
    api(ns, "DELETE", "/zones/%s/activation" % zone, 200)
    for tcp in (False, True):
        r, _ = wait_answer(port, "www.%s." % zone, "A",
                           lambda r: r.rcode() == dns.rcode.REFUSED)
        r, _ = ask(port, "www.%s." % zone, "A", tcp=tcp)
        assert rcode(r) == "REFUSED" and not r.answer and not is_aa(r), show(r)
        r, _ = ask(port, zone + ".", "SOA", tcp=tcp)
        assert rcode(r) == "REFUSED", show(r)
    api(ns, "PUT", "/zones/%s/activation" % zone, 200)
    r, _ = wait_answer(port, "www.%s." % zone, "A", lambda r: bool(r.answer))
    assert rrs(r.answer) == {("www.%s." % zone, 3600, "A", "192.0.2.99")}, show(r)


# ================================================================== EDNS(0)

def test_edns_answer_has_one_opt(port):
    r, raw = ask(port, "www.example.test.", "A", edns=0, payload=4096)
    assert r.edns == 0 and r.payload == UDP_PAYLOAD, show(r)
    assert header(raw)["ar"] == 1, header(raw)  # the OPT, and nothing else here
    r, _ = ask(port, "www.example.test.", "A")
    assert r.edns == -1, "no OPT in the query, none in the answer" + show(r)
    # DO is copied back (RFC 3225)
    r, _ = ask(port, "www.example.test.", "A", edns=0, do=True)
    assert r.ednsflags & dns.flags.DO and rcode(r) == "NOERROR", show(r)


def test_edns_buffer_size_honoured(port):
    # medium: 3 TXT of 200 bytes, about 700 bytes of answer
    full, raw = ask(port, "medium.example.test.", "TXT", tcp=True)
    assert len(full.answer[0]) == 3 and 512 < len(raw) < UDP_PAYLOAD, len(raw)
    cases = [(None, 512, True), (0, 512, True), (100, 512, True), (512, 512, True),
             (600, 600, True), (1000, 1000, False), (1232, 1232, False), (4096, 1232, False)]
    for size, limit, tc in cases:
        kw = {} if size is None else {"edns": 0, "payload": size}
        r, raw = ask(port, "medium.example.test.", "TXT", **kw)
        assert len(raw) <= limit, (size, len(raw))
        assert bool(r.flags & dns.flags.TC) == tc, (size, len(raw), show(r))
        if not tc:
            assert rrs(r.answer) == rrs(full.answer), (size, show(r))
    # the server's own limit: never more than its payload, whatever the client offers
    r, raw = ask(port, "big.example.test.", "TXT", edns=0, payload=65535)
    assert r.flags & dns.flags.TC and len(raw) <= UDP_PAYLOAD, len(raw)


def test_edns_badvers(port):
    r, raw = ask(port, "www.example.test.", "A", edns=1)
    assert r.rcode() == dns.rcode.BADVERS, show(r)
    assert r.edns == 0, "the answer's OPT names the version we speak" + show(r)
    assert not r.answer, show(r)
    r, raw = ask(port, "www.example.test.", "A", edns=255, tcp=True)
    assert r.rcode() == dns.rcode.BADVERS and r.edns == 0, show(r)


def test_two_opt_records_formerr(port):
    q = make_query("www.example.test.", "A", edns=0)
    wire = bytearray(q.to_wire())
    wire += opt_rr()
    struct.pack_into("!H", wire, 10, header(bytes(wire))["ar"] + 1)
    for raw in (udp_raw(port, bytes(wire)), tcp_raw(port, bytes(wire))):
        assert raw is not None
        h = header(raw)
        assert h["qr"] and h["id"] == q.id and h["rcode"] == dns.rcode.FORMERR, h
        assert h["an"] == 0, h


# ================================================================== truncation

def test_truncation_over_udp_full_answer_over_tcp(port):
    r, raw = ask(port, "big.example.test.", "TXT")
    assert r.flags & dns.flags.TC and len(raw) <= 512, (len(raw), show(r))
    assert rcode(r) == "NOERROR"
    r, raw = ask(port, "big.example.test.", "TXT", edns=0, payload=1232)
    assert r.flags & dns.flags.TC and len(raw) <= 1232, len(raw)
    r, raw = ask(port, "big.example.test.", "TXT", tcp=True)
    assert not r.flags & dns.flags.TC and is_aa(r), show(r)
    assert rrs(r.answer) == expected("example.test", "big.example.test.", "TXT")
    assert len(raw) > 8000, len(raw)


# ================================================================== compression, case

def test_name_compression(port):
    r, raw = ask(port, "example.test.", "MX", tcp=True)
    assert len(r.answer[0]) == 8, show(r)
    uncompressed = 12 + len(r.question[0].name.to_wire()) + 4
    for section in (r.answer, r.authority, r.additional):
        for rrset in section:
            uncompressed += len(_uncompressed_rrset(rrset))
    assert len(raw) <= len(r.to_wire()), (
        "answer %d bytes, dnspython's compression gives %d" % (len(raw), len(r.to_wire())))
    assert len(raw) < uncompressed * 0.7, (len(raw), uncompressed)
    # the first answer's owner is a pointer to the question name
    qend = 12 + len(r.question[0].name.to_wire()) + 4
    assert raw[qend:qend + 2] == b"\xc0\x0c", raw[qend:qend + 2].hex()


def _uncompressed_rrset(rrset):
    f = io.BytesIO()
    rrset.to_wire(f, compress=None)
    return f.getvalue()


@TRANSPORTS
def test_query_name_case_preserved(port, tcp):
    for qname, rdtype in (("wWw.ExAmPlE.tEsT.", "A"), ("FoO.WiLd.ExAmPlE.TeSt.", "A"),
                          ("NoThErE.eXaMpLe.TeSt.", "A"), ("WWW.OLD.EXAMPLE.TEST.", "A"),
                          ("hOsT.sUb.ExAmPlE.tEsT.", "A")):
        q = make_query(qname, rdtype)
        wire = q.to_wire()
        raw = tcp_raw(port, wire) if tcp else udp_raw(port, wire)
        assert raw is not None
        qlen = len(dns.name.from_text(qname).to_wire()) + 4
        assert raw[12:12 + qlen] == wire[12:12 + qlen], (qname, raw[12:12 + qlen])
        r = dns.message.from_wire(raw)
        assert r.question[0].name.to_text() == qname, show(r)


# ================================================================== ANY (RFC 8482)

@TRANSPORTS
def test_minimal_any(port, tcp):
    node = {}
    z = zone_data("example.test")
    for rds in z.find_node("multi.example.test."):
        node[dns.rdatatype.to_text(rds.rdtype)] = {
            ("multi.example.test.", rds.ttl, dns.rdatatype.to_text(rds.rdtype), rd.to_text())
            for rd in rds}
    r, _ = ask(port, "multi.example.test.", "ANY", tcp=tcp)
    assert rcode(r) == "NOERROR" and is_aa(r) and r.answer, show(r)
    types = {dns.rdatatype.to_text(x.rdtype) for x in r.answer}
    assert 1 <= len(r.answer) < len(node), "not minimal: %s" % sorted(types)
    for rrset in r.answer:
        t = dns.rdatatype.to_text(rrset.rdtype)
        got = rrs([rrset])
        synthesized = t == "HINFO" and any('"RFC8482"' in x[3] for x in got)
        assert synthesized or got == node.get(t), "RRset %s is not one of the name's: %s" % (
            t, got)
    # ANY at a name that does not exist
    r, _ = ask(port, "nothere.example.test.", "ANY", tcp=tcp)
    assert rcode(r) == "NXDOMAIN" and not r.answer, show(r)


# ================================================================== opcodes, malformed

@pytest.mark.parametrize("opcode", [1, 2, 3, 5, 6, 7, 15],
                         ids=["IQUERY", "STATUS", "op3", "UPDATE", "DSO", "op7", "op15"])
def test_notimp_for_opcodes_not_served(port, opcode):
    q = make_query("example.test.", "SOA")
    wire = bytearray(q.to_wire())
    struct.pack_into("!H", wire, 2, (opcode << 11))
    for raw in (udp_raw(port, bytes(wire)), tcp_raw(port, bytes(wire))):
        assert raw is not None, "no answer to opcode %d" % opcode
        h = header(raw)
        assert h["qr"] and h["id"] == q.id, h
        assert h["rcode"] == dns.rcode.NOTIMP and h["opcode"] == opcode, h
        assert h["an"] == 0 and not h["aa"], h


def _q(name="www.example.test.", rdtype=1):
    return qsection(name, rdtype)


MALFORMED = {
    # name: (bytes, expected rcode or None for "no answer at all")
    "no-question-bytes": (hdr(qd=1), dns.rcode.FORMERR),
    "label-overruns-packet": (hdr(qd=1) + b"\x3fabc", dns.rcode.FORMERR),
    "name-without-root": (hdr(qd=1) + b"\x03www\x07example\x04test", dns.rcode.FORMERR),
    "qtype-cut": (hdr(qd=1) + dns.name.from_text("www.example.test.").to_wire() + b"\x00",
                  dns.rcode.FORMERR),
    "pointer-loop": (hdr(qd=1) + b"\xc0\x0c" + struct.pack("!HH", 1, 1), dns.rcode.FORMERR),
    "pointer-forward": (hdr(qd=1) + b"\xc0\x12" + struct.pack("!HH", 1, 1) + b"\x00",
                        dns.rcode.FORMERR),
    "bad-label-type": (hdr(qd=1) + b"\x80abc\x00" + struct.pack("!HH", 1, 1),
                       dns.rcode.FORMERR),
    "name-over-255": (hdr(qd=1) + b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63 + b"\x3f" + b"c" * 63
                      + b"\x3f" + b"d" * 63 + b"\x00" + struct.pack("!HH", 1, 1),
                      dns.rcode.FORMERR),
    "qdcount-0": (hdr(qd=0), dns.rcode.FORMERR),
    "qdcount-2": (hdr(qd=2) + _q() + _q("other.test."), dns.rcode.FORMERR),
    "ancount-lies": (hdr(qd=1, an=1) + _q(), dns.rcode.FORMERR),
    "arcount-lies": (hdr(qd=1, ar=1) + _q(), dns.rcode.FORMERR),
    "opt-owner-not-root": (hdr(qd=1, ar=1) + _q() + opt_rr(owner=b"\x01x\x00"),
                           dns.rcode.FORMERR),
    "opt-rdlength-overruns": (hdr(qd=1, ar=1) + _q() + opt_rr()[:-2] + b"\x00\x0a\x00\x03",
                              dns.rcode.FORMERR),
    "opt-option-overruns": (hdr(qd=1, ar=1) + _q() + opt_rr(rdata=b"\x00\x03\x00\x10ab"),
                            dns.rcode.FORMERR),
    "opt-in-answer-section": (hdr(qd=1, an=1) + _q() + opt_rr(), dns.rcode.FORMERR),
    "empty": (b"", None),
    "shorter-than-header": (b"\x12\x34\x00\x00\x00", None),
    "response-bit-set": (hdr(flags=0x8000) + _q(), None),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_packets(port, case):
    wire, want = MALFORMED[case]
    raw = udp_raw(port, wire, timeout=0.5 if want is None else TIMEOUT)
    if want is None:
        assert raw is None, "answered %r with %s" % (case, raw and header(raw))
    else:
        assert raw is not None, "no answer to %r" % case
        h = header(raw)
        assert h["qr"] and h["id"] == 0x1234 and h["rcode"] == want, (case, h)
        assert h["an"] == 0 and h["ns"] == 0, (case, h)
    # and the server still answers
    r, _ = ask(port, "www.example.test.", "A")
    assert r.answer, show(r)


# ================================================================== NSID, CH TXT

def test_nsid(ns, ns2):
    port = ready(ns)
    r, _ = ask(port, "www.example.test.", "A", edns=0, options=[dns.edns.GenericOption(3, b"")])
    assert opt_option(r, 3) == NSID.encode(), show(r)
    # also on negative answers and REFUSED ones (RFC 5001: any response)
    r, _ = ask(port, "www.unhosted.invalid.", "A", edns=0,
               options=[dns.edns.GenericOption(3, b"")])
    assert rcode(r) == "REFUSED" and opt_option(r, 3) == NSID.encode(), show(r)
    # not asked: not sent
    r, _ = ask(port, "www.example.test.", "A", edns=0)
    assert opt_option(r, 3) is None, show(r)
    # off by default
    r, _ = ask(ready(ns2), "www.other.test.", "A", edns=0,
               options=[dns.edns.GenericOption(3, b"")])
    assert rcode(r) == "NOERROR" and opt_option(r, 3) is None, show(r)


def test_nsid_hex_setting(server_factory):
    s = server_factory(serve_args={"--nsid": "0x00ff6e70"})
    zone = "nsid-%d.test" % os.getpid()
    api(s, "POST", "/domains", 201, json={"name": zone})
    wait_answer(s.dns_port, zone + ".", "SOA", lambda r: bool(r.answer))
    r, _ = ask(s.dns_port, zone + ".", "SOA", edns=0, options=[dns.edns.GenericOption(3, b"")])
    assert opt_option(r, 3) == b"\x00\xffnp", show(r)


def _txt(r):
    return [b"".join(rd.strings).decode() for x in r.answer for rd in x]


@TRANSPORTS
def test_chaos_identity_and_version(ns, ns2, tcp):
    port, port2 = ready(ns), ready(ns2)
    for qname in ("id.server.", "hostname.bind."):
        r, _ = ask(port, qname, "TXT", rdclass="CH", tcp=tcp)
        assert rcode(r) == "NOERROR" and _txt(r) == [IDENTITY], show(r)
        assert r.answer[0].rdclass == dns.rdataclass.CH, show(r)
        r, _ = ask(port2, qname, "TXT", rdclass="CH", tcp=tcp)
        assert rcode(r) == "REFUSED" and not r.answer, "identity off: " + show(r)
    for qname in ("version.bind.", "version.server."):
        r, _ = ask(port, qname, "TXT", rdclass="CH", tcp=tcp)
        assert rcode(r) == "REFUSED" and not r.answer, "version is off by default" + show(r)
        r, _ = ask(port2, qname, "TXT", rdclass="CH", tcp=tcp)
        assert rcode(r) == "NOERROR" and _txt(r) == [VERSION], show(r)


# ================================================================== cookies (RFC 7873)

def test_cookies(port):
    client = bytes.fromhex("0102030405060708")
    r, _ = ask(port, "www.example.test.", "A", edns=0,
               options=[dns.edns.GenericOption(10, client)])
    cookie = opt_option(r, 10)
    # 5.2.3: a client cookie only: answered normally, or BADCOOKIE by policy; a server
    # cookie comes back either way
    assert (rcode(r) == "NOERROR" and r.answer) or rcode(r) == "BADCOOKIE", show(r)
    assert cookie is not None and 16 <= len(cookie) <= 40, cookie
    assert cookie[:8] == client, cookie.hex()
    # send it back: a good server cookie, answered normally, cookie again
    r, _ = ask(port, "www.example.test.", "A", edns=0,
               options=[dns.edns.GenericOption(10, cookie)])
    again = opt_option(r, 10)
    assert rcode(r) == "NOERROR" and r.answer and again and again[:8] == client, show(r)
    # TCP too
    r, _ = ask(port, "www.example.test.", "A", tcp=True, edns=0,
               options=[dns.edns.GenericOption(10, client)])
    assert (opt_option(r, 10) or b"")[:8] == client, show(r)
    assert rcode(r) in ("NOERROR", "BADCOOKIE"), show(r)
    # a wrong server cookie: treated as a client cookie only (5.2.4), a fresh one back
    bogus = client + bytes(16)
    r, _ = ask(port, "www.example.test.", "A", edns=0,
               options=[dns.edns.GenericOption(10, bogus)])
    fresh = opt_option(r, 10)
    assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.BADCOOKIE), show(r)
    assert fresh and fresh[:8] == client and fresh != bogus, show(r)


@pytest.mark.parametrize("size", [1, 7, 9, 15, 41])
def test_cookie_bad_length_formerr(port, size):
    """RFC 7873 5.2.2: a COOKIE option of a length other than 8 or 16..40 is FORMERR."""
    r, _ = ask(port, "www.example.test.", "A", edns=0,
               options=[dns.edns.GenericOption(10, bytes(range(size)))])
    assert rcode(r) == "FORMERR" and not r.answer, show(r)


# ================================================================== TCP (RFC 7766)

def test_tcp_pipelining(port):
    names = ["www.example.test.", "multi.example.test.", "nothere.example.test.",
             "www.other.test.", "foo.wild.example.test.", "www.unhosted.invalid.",
             "big.example.test.", "alias.example.test.", "www.old.example.test.",
             "host.sub.example.test."]
    queries = {}
    blob = b""
    for i, name in enumerate(names):
        q = make_query(name, "TXT" if name.startswith("big") else "A", qid=1000 + i)
        queries[q.id] = q
        w = q.to_wire()
        blob += struct.pack("!H", len(w)) + w
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as s:
        s.sendall(blob)
        got = {}
        for _ in range(len(names)):
            r = dns.message.from_wire(read_tcp_msg(s))
            assert r.id in queries and r.id not in got, r.id
            got[r.id] = r
        # the connection stays open for more
        q = make_query("www.example.test.", "A", qid=4242)
        w = q.to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        assert dns.message.from_wire(read_tcp_msg(s)).id == 4242
    for qid, q in queries.items():
        r = got[qid]
        assert r.question[0].name == q.question[0].name, show(r)
    assert rcode(got[1002]) == "NXDOMAIN" and rcode(got[1005]) == "REFUSED"
    assert len(got[1006].answer[0]) == 40 and not got[1006].flags & dns.flags.TC


def test_tcp_message_split_over_writes(port):
    q = make_query("www.example.test.", "A")
    w = struct.pack("!H", len(q.to_wire())) + q.to_wire()
    with socket.create_connection((HOST, port), timeout=TIMEOUT) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for part in (w[:1], w[1:5], w[5:]):
            s.sendall(part)
            time.sleep(0.05)
        r = dns.message.from_wire(read_tcp_msg(s))
    assert r.id == q.id and r.answer, show(r)


def test_tcp_idle_timeout(ns2):
    port = ready(ns2)
    with socket.create_connection((HOST, port), timeout=5) as s:
        t0 = time.monotonic()
        time.sleep(0.3)
        q = make_query("www.other.test.", "A")
        w = q.to_wire()
        s.sendall(struct.pack("!H", len(w)) + w)
        assert dns.message.from_wire(read_tcp_msg(s)).answer
        t1 = time.monotonic()
        closed = None
        try:
            data = s.recv(1)
            closed = data == b""
        except ConnectionResetError:
            closed = True
        except socket.timeout:
            closed = False
        waited = time.monotonic() - t1
    assert closed, "an idle connection was still open after %.1fs (timeout 1 s)" % waited
    assert 0.5 <= waited <= 3.0, "closed after %.2fs idle; want about 1 s" % waited
    assert t1 - t0 >= 0.3


def _probe(sock, qid):
    """Ask on an open connection; True when answered, False when the server closed it."""
    q = make_query("www.other.test.", "A", qid=qid)
    w = q.to_wire()
    try:
        sock.sendall(struct.pack("!H", len(w)) + w)
        return dns.message.from_wire(read_tcp_msg(sock)).id == qid
    except (ConnectionError, BrokenPipeError):
        return False


def test_tcp_connection_limit_closes_least_recently_active(server_factory):
    """--dns-tcp-max-clients 4 with one worker: the 5th and 6th connections push out the
    two least recently active ones."""
    s = server_factory(serve_args={"--dns-tcp-max-clients": "4", "--dns-workers": "1"})
    import_zone(s, "other.test")
    s.dns_failure = wait_dns(s, ["other.test."])
    port = ready(s)
    conns = []
    try:
        for i in range(6):
            c = socket.create_connection((HOST, port), timeout=TIMEOUT)
            conns.append(c)
            assert _probe(c, 100 + i), "connection %d not answered" % i
            time.sleep(0.05)
        alive = [_probe(c, 200 + i) for i, c in enumerate(reversed(conns))][::-1]
    finally:
        for c in conns:
            c.close()
    assert alive == [False, False, True, True, True, True], alive


def test_udp_burst_from_one_socket(port):
    """A burst of queries on one socket (the workers' recvmmsg/sendmmsg batches): all are
    answered, each with its own id."""
    n = 300
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        s.settimeout(TIMEOUT)
        s.connect((HOST, port))
        names = ["www.example.test.", "nothere.example.test.", "foo.wild.example.test.",
                 "www.other.test."]
        for i in range(n):
            s.send(make_query(names[i % 4], "A", qid=i).to_wire())
        got = {}
        deadline = time.monotonic() + 5
        while len(got) < n and time.monotonic() < deadline:
            try:
                r = dns.message.from_wire(s.recv(65535))
            except socket.timeout:
                break
            got[r.id] = r
    assert len(got) == n, "%d of %d answered" % (len(got), n)
    for i, r in got.items():
        assert r.question[0].name == dns.name.from_text(names[i % 4]), show(r)
        assert rcode(r) == ("NXDOMAIN" if i % 4 == 1 else "NOERROR"), show(r)


def test_listens_on_every_configured_address(server_factory):
    """--dns takes a comma-separated list; UDP and TCP on each (the harness's own --dns
    comes first on the command line; the later one is the setting)."""
    from npt.server import free_port
    p1, p2 = free_port(udp_too=True), free_port(udp_too=True)
    s = server_factory(start=False,
                       extra_args=["--dns", "127.0.0.1:%d,127.0.0.1:%d" % (p1, p2)])
    import_zone(s, "other.test")
    s.start()
    for p in (p1, p2):
        s.dns_port = p
        s.dns_failure = wait_dns(s, ["other.test."])
        ready(s)
        for tcp in (False, True):
            r, _ = ask(p, "www.other.test.", "A", tcp=tcp)
            assert r.answer, show(r)
