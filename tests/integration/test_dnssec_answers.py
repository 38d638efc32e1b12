"""DNSSEC in answers (issue 7), checked by a real validator.

A zone with a wildcard, an empty non-terminal, a CNAME, delegations with and without DS,
and ALIAS, URL and POOL records gets DNSSEC through the API; `unbound` on loopback
validates it (module-config "validator iterator", a stub zone to the server, the zone's
DS from GET .../dnssec/ds as its trust anchor), and dnspython asks unbound with DO:
positive answers, NXDOMAIN, NODATA, wildcard answers, CNAMEs, ALIAS, URL and POOL must
come back with AD. The server runs with NAMEPLATE_TEST_BAD_RRSIG=bad (a hook of the
sanitized test build, docs/dnssec.md): every RRSIG it sends for names with the label
"bad" has a flipped byte, which unbound must reject (SERVFAIL).
"""

import os
import shutil
import socket
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from npt.server import free_port, tail

pytestmark = pytest.mark.server

HOST = "127.0.0.1"
UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
ZONE = "secure.test"


def ask(port, name, rdtype="A", rd=False, timeout=2.0):
    q = dns.message.make_query(name, rdtype, want_dnssec=True,
                               flags=dns.flags.RD if rd else 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((HOST, port))
        s.send(q.to_wire())
        r = dns.message.from_wire(s.recv(65535))
    assert r.id == q.id
    return r


def add_record(srv, name, rtype, content, ttl=300, zone=ZONE):
    r = srv.post("/v2/%d/zones/%s/records" % (srv.account_id, zone), token=srv.token,
                 json={"name": name, "type": rtype, "content": content, "ttl": ttl})
    assert r.status_code == 201, r.text


def wait_for(fn, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if fn():
                return True
        except (OSError, dns.exception.DNSException):
            pass
        time.sleep(0.05)
    return False


# The zone: a wildcard, an empty non-terminal, a CNAME, delegations with and without DS,
# ALIAS, URL and POOL records, and names under the corrupt-signature hook ("bad").
RECORDS = [
    ("www", "A", "192.0.2.80"), ("www", "AAAA", "2001:db8::80"),
    ("v4", "A", "192.0.2.4"),
    ("*.wild", "A", "192.0.2.99"),
    ("deep.ent", "A", "192.0.2.2"),
    ("cname", "CNAME", "www.secure.test"),
    ("withds", "NS", "ns.example.net"),
    ("withds", "DS", "12345 13 2 "
     "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"),
    ("insecure", "NS", "ns.example.net"),
    ("alias", "ALIAS", "www.secure.test"),
    ("alias4", "ALIAS", "v4.secure.test"),
    ("url", "URL", "https://example.net/"),
    ("pool", "POOL", "m1.secure.test"), ("pool", "POOL", "m2.secure.test"),
    ("m1", "A", "192.0.2.31"), ("m2", "A", "192.0.2.32"),
    ("www.bad", "A", "192.0.2.66"),
    ("alias.bad", "ALIAS", "www.secure.test")
]


class Unbound:
    """A validating unbound on loopback: one stub zone, one trust anchor."""

    def __init__(self, workdir, dns_port, anchors):
        self.dir = os.path.join(str(workdir), "unbound")
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, "unbound.log")
        self.dns_port, self.anchors = dns_port, anchors
        self.proc, self.port = None, None

    def start(self):
        import subprocess
        for _ in range(3):
            self.port = free_port(udp_too=True)
            conf = os.path.join(self.dir, "unbound.conf")
            lines = [
                "server:",
                "    interface: %s@%d" % (HOST, self.port),
                "    port: %d" % self.port,
                "    do-daemonize: no", "    use-syslog: no", "    logfile: \"\"",
                "    username: \"\"", "    chroot: \"\"",
                "    directory: \"%s\"" % self.dir,
                "    pidfile: \"%s\"" % os.path.join(self.dir, "unbound.pid"),
                "    do-ip6: no", "    num-threads: 1",
                "    access-control: 127.0.0.0/8 allow",
                "    do-not-query-localhost: no",
                "    module-config: \"validator iterator\"",
                "    qname-minimisation: no", "    prefetch: no",
                "    cache-max-ttl: 0", "    cache-max-negative-ttl: 0",
                "    val-log-level: 2", "    verbosity: 1",
                "    local-zone: \"test.\" nodefault",  # RFC 6761: served locally otherwise
            ] + ["    trust-anchor: \"%s\"" % a for a in self.anchors] + [
                "stub-zone:",
                "    name: \"%s\"" % ZONE,
                "    stub-addr: %s@%d" % (HOST, self.dns_port),
                "remote-control:", "    control-enable: no",
            ]
            with open(conf, "w") as f:
                f.write("\n".join(lines) + "\n")
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen([UNBOUND, "-d", "-c", conf],
                                             stdin=subprocess.DEVNULL, stdout=log,
                                             stderr=subprocess.STDOUT)
            if wait_for(lambda: ask(self.port, "www." + ZONE, rd=True, timeout=0.5), 10):
                return
            self.stop()
        raise AssertionError("unbound did not start\n%s" % tail(self.log_path))

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except Exception:
                self.proc.kill()
                self.proc.wait(timeout=5)
            self.proc = None


def make_signed_zone(srv):
    """Create ZONE with RECORDS on srv, enable DNSSEC and wait until the DNSKEY answers.
    Returns the DS extension's data (GET .../dnssec/ds): the keys to anchor."""
    r = srv.post("/v2/%d/domains" % srv.account_id, token=srv.token, json={"name": ZONE})
    assert r.status_code == 201, r.text
    for name, rtype, content in RECORDS:
        add_record(srv, name, rtype, content)
    r = srv.post("/v2/%d/domains/%s/dnssec" % (srv.account_id, ZONE), token=srv.token)
    assert r.status_code == 201, r.text
    r = srv.get("/v2/%d/domains/%s/dnssec/ds" % (srv.account_id, ZONE), token=srv.token)
    assert r.status_code == 200, r.text
    assert wait_for(lambda: any(x.rdtype == dns.rdatatype.DNSKEY
                                for x in ask(srv.dns_port, ZONE, "DNSKEY").answer), 10), \
        srv.log_text()[-2000:]
    return r.json()["data"]


@pytest.fixture
def signed(server_factory, tmp_path):
    assert os.access(UNBOUND, os.X_OK), "unbound missing: run scripts/setup (Debian unbound)"
    srv = server_factory(serve_args={"--redirect-addresses": "127.0.0.1,::1"},
                         env={"NAMEPLATE_TEST_BAD_RRSIG": "bad"})
    anchors = [d["ds"] for d in make_signed_zone(srv)]
    ub = Unbound(tmp_path, srv.dns_port, anchors)
    ub.start()
    yield srv, ub
    ub.stop()


CASES = [  # name, type, rcode, has an answer of that type
    ("www", "A", "NOERROR", True),
    ("www", "AAAA", "NOERROR", True),
    ("", "DNSKEY", "NOERROR", True),
    ("nx", "A", "NXDOMAIN", False),
    ("a.b.deep.ent", "A", "NXDOMAIN", False),
    ("www", "TXT", "NOERROR", False),               # NODATA
    ("ent", "A", "NOERROR", False),                 # empty non-terminal
    ("x.wild", "A", "NOERROR", True),               # wildcard answer
    ("x.wild", "MX", "NOERROR", False),             # wildcard NODATA
    ("cname", "A", "NOERROR", True),
    ("withds", "DS", "NOERROR", True),
    ("insecure", "DS", "NOERROR", False),           # a delegation without DS
    ("alias", "A", "NOERROR", True),
    ("alias", "AAAA", "NOERROR", True),
    ("alias4", "AAAA", "NOERROR", False),           # ALIAS NODATA (narrowed NSEC3)
    ("url", "A", "NOERROR", True),
    ("url", "AAAA", "NOERROR", True),
    ("pool", "A", "NOERROR", True),
    ("pool", "TXT", "NOERROR", False),              # POOL NODATA (narrowed NSEC3)
]


def fqdn(name):
    return "%s.%s" % (name, ZONE) if name else ZONE


def test_answers_validate(signed):
    srv, ub = signed
    failures = []
    for name, rdtype, rcode, has_answer in CASES:
        r = ask(ub.port, fqdn(name), rdtype, rd=True)
        got = any(x.rdtype == dns.rdatatype.from_text(rdtype) for x in r.answer)
        if dns.rcode.to_text(r.rcode()) != rcode or got != has_answer or \
                not r.flags & dns.flags.AD:
            failures.append("%s %s: %s AD=%s answer=%s" % (
                fqdn(name), rdtype, dns.rcode.to_text(r.rcode()),
                bool(r.flags & dns.flags.AD), got))
    assert not failures, "\n".join(failures) + "\n" + tail(ub.log_path, 40)


def test_direct_answers_carry_dnssec(signed):
    srv, _ = signed
    r = ask(srv.dns_port, "withds." + ZONE)  # referral with DS
    types = [x.rdtype for x in r.authority]
    assert dns.rdatatype.DS in types and dns.rdatatype.RRSIG in types, r
    assert not r.flags & dns.flags.AA and not r.flags & dns.flags.AD
    r = ask(srv.dns_port, "host.insecure." + ZONE)  # RFC 5155 7.2.7
    types = [x.rdtype for x in r.authority]
    assert dns.rdatatype.NSEC3 in types and dns.rdatatype.DS not in types, r
    q = dns.message.make_query("www." + ZONE, "A")  # no DO: no DNSSEC records
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(2)
        s.sendto(q.to_wire(), (HOST, srv.dns_port))
        r = dns.message.from_wire(s.recv(65535))
    assert all(x.rdtype != dns.rdatatype.RRSIG for x in r.answer), r


def test_corrupt_signatures_are_bogus(signed):
    _, ub = signed
    for name in ("www.bad", "alias.bad"):
        r = ask(ub.port, fqdn(name), "A", rd=True)
        assert r.rcode() == dns.rcode.SERVFAIL, (name, r)
    r = ask(ub.port, fqdn("www"), "A", rd=True)  # the rest of the zone is fine
    assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AD
