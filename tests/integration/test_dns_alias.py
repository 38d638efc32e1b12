"""ALIAS, URL and POOL answers (issue 5), with a real recursive resolver.

External ALIAS targets: `knotd` (Debian's `knot`) serves the target zone upstream.example
on one loopback port; `unbound` on another has a stub zone pointing there; Nameplate runs
with `--resolver 127.0.0.1:UNBOUNDPORT`. The target's TTL is 2 s. The ALIAS answers the
target's addresses; when the zone file changes (and `knotc zone-reload`), the answer
follows within the TTL plus one refresh; when unbound stops, the last good answer stays
(RFC 8767) and the failure is logged.

Internal ALIAS targets follow an API change at once; URL records answer the redirector's
addresses (`--redirect-addresses`); POOL answers a CNAME to one member, evenly.
"""

import os
import shutil
import socket
import subprocess
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import pytest

from npt.server import free_port, stop_process, tail

pytestmark = pytest.mark.server

HOST = "127.0.0.1"
KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
KNOTC = shutil.which("knotc") or "/usr/sbin/knotc"
UNBOUND = shutil.which("unbound") or "/usr/sbin/unbound"
TARGET_ZONE = "upstream.example"
TARGET_TTL = 2
FOLLOW_MAX = 2 * TARGET_TTL + 2.0   # unbound's cache (TTL) + our refresh (75% of TTL) + slack


# ------------------------------------------------------------------ DNS helpers

def ask(port, name, rdtype="A", timeout=1.0, rd=False):
    q = dns.message.make_query(name, rdtype, flags=dns.flags.RD if rd else 0)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.connect((HOST, port))
        s.send(q.to_wire())
        r = dns.message.from_wire(s.recv(65535))
    assert r.id == q.id and r.flags & dns.flags.QR
    return r


def addresses(r, rdtype="A"):
    t = dns.rdatatype.from_text(rdtype)
    return sorted(rd.to_text() for rrset in r.answer if rrset.rdtype == t for rd in rrset)


def min_ttl(r):
    return min(rrset.ttl for rrset in r.answer)


def wait_for(fn, want, seconds):
    """Call fn until it returns want; (seconds it took, last value) or (None, last)."""
    t0 = time.monotonic()
    got = None
    while True:
        try:
            got = fn()
        except (socket.timeout, ConnectionError):
            got = None
        if got == want:
            return time.monotonic() - t0, got
        if time.monotonic() - t0 > seconds:
            return None, got
        time.sleep(0.05)


# ------------------------------------------------------------------ knotd and unbound

def wait_answer(port, name, rdtype, seconds, log_path, rd=False):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            r = ask(port, name, rdtype, timeout=0.3, rd=rd)
            if r.rcode() == dns.rcode.NOERROR and r.answer:
                return r
        except (socket.timeout, ConnectionError):
            pass
        time.sleep(0.05)
    raise AssertionError("no answer to %s %s on port %d\n%s" % (name, rdtype, port,
                                                                 tail(log_path)))


class Proc:
    """A daemon in the foreground, its output in a log file."""

    def __init__(self, workdir, name):
        self.dir = os.path.join(str(workdir), name)
        os.makedirs(self.dir, exist_ok=True)
        self.log_path = os.path.join(self.dir, name + ".log")
        self.proc = None
        self.port = None

    def spawn(self, cmd):
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT)

    def stop(self):
        self.proc = stop_process(self.proc)


class Knotd(Proc):
    """knotd serving the ALIAS target zone, reloadable through knotc."""

    def __init__(self, workdir):
        super().__init__(workdir, "knot")
        self.zone_path = os.path.join(self.dir, TARGET_ZONE + ".zone")
        self.sock = os.path.join(self.dir, "knot.sock")
        self.serial = 0

    def write_zone(self, a_addrs, aaaa_addrs=()):
        self.serial += 1
        lines = [
            "$ORIGIN %s." % TARGET_ZONE,
            "$TTL %d" % TARGET_TTL,
            "@ 3600 IN SOA ns.%s. hostmaster.%s. %d 3600 600 86400 %d"
            % (TARGET_ZONE, TARGET_ZONE, self.serial, TARGET_TTL),
            "@ 3600 IN NS ns",
            "ns 3600 IN A 127.0.0.1",
        ]
        lines += ["www IN A %s" % a for a in a_addrs]
        lines += ["www IN AAAA %s" % a for a in aaaa_addrs]
        lines += ["cname IN CNAME www"]
        with open(self.zone_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        for _ in range(3):
            self.port = free_port(udp_too=True)
            conf = os.path.join(self.dir, "knot.conf")
            storage = os.path.join(self.dir, "storage")
            os.makedirs(storage, exist_ok=True)
            with open(conf, "w") as f:
                f.write("\n".join([
                    "server:",
                    "    listen: %s@%d" % (HOST, self.port),
                    "    rundir: %s" % self.dir,
                    "control:",
                    "    listen: %s" % self.sock,
                    "log:",
                    "  - target: stderr",
                    "    any: info",
                    "database:",
                    "    storage: %s" % storage,
                    "template:",
                    "  - id: default",
                    "    storage: %s" % storage,
                    "    zonefile-sync: -1",
                    "    zonefile-load: whole",
                    "    journal-content: none",
                    "zone:",
                    "  - domain: %s" % TARGET_ZONE,
                    "    file: %s" % self.zone_path,
                ]) + "\n")
            self.spawn([KNOTD, "-c", conf])
            try:
                wait_answer(self.port, TARGET_ZONE, "SOA", 10, self.log_path)
                return
            except AssertionError:
                self.stop()
                if "in use" not in tail(self.log_path).lower():
                    raise
        raise AssertionError("knotd could not bind a port\n%s" % tail(self.log_path))

    def reload(self):
        subprocess.run([KNOTC, "-s", self.sock, "zone-reload", TARGET_ZONE], check=True,
                       capture_output=True, timeout=10)


class Unbound(Proc):
    """unbound on loopback, a stub zone to knotd for the target zone, nothing else."""

    def __init__(self, workdir, knot_port):
        super().__init__(workdir, "unbound")
        self.knot_port = knot_port

    def start(self):
        for _ in range(3):
            self.port = free_port(udp_too=True)
            conf = os.path.join(self.dir, "unbound.conf")
            with open(conf, "w") as f:
                f.write("\n".join([
                    "server:",
                    "    interface: %s@%d" % (HOST, self.port),
                    "    port: %d" % self.port,
                    "    do-daemonize: no",
                    "    use-syslog: no",
                    "    logfile: \"\"",
                    "    username: \"\"",
                    "    chroot: \"\"",
                    "    directory: \"%s\"" % self.dir,
                    "    pidfile: \"%s\"" % os.path.join(self.dir, "unbound.pid"),
                    "    do-ip6: no",
                    "    num-threads: 1",
                    "    access-control: 127.0.0.0/8 allow",
                    "    do-not-query-localhost: no",
                    "    module-config: \"iterator\"",
                    "    qname-minimisation: no",
                    "    prefetch: no",
                    "    serve-expired: no",
                    "    verbosity: 1",
                    "stub-zone:",
                    "    name: \"%s\"" % TARGET_ZONE,
                    "    stub-addr: %s@%d" % (HOST, self.knot_port),
                    "remote-control:",
                    "    control-enable: no",
                ]) + "\n")
            self.spawn([UNBOUND, "-d", "-c", conf])
            try:
                wait_answer(self.port, "www." + TARGET_ZONE, "A", 10, self.log_path, rd=True)
                return
            except AssertionError:
                self.stop()
                if "in use" not in tail(self.log_path).lower() and \
                        "could not open" not in tail(self.log_path).lower():
                    raise
        raise AssertionError("unbound could not bind a port\n%s" % tail(self.log_path))


@pytest.fixture
def upstream(tmp_path):
    for path, pkg in ((KNOTD, "knot"), (UNBOUND, "unbound")):
        assert os.access(path, os.X_OK), "%s missing: run scripts/setup (Debian %s)" % (path, pkg)
    knot = Knotd(tmp_path)
    knot.write_zone(["192.0.2.10"])
    knot.start()
    unbound = Unbound(tmp_path, knot.port)
    try:
        unbound.start()
    except AssertionError:
        knot.stop()
        raise
    yield knot, unbound
    unbound.stop()
    knot.stop()


# ------------------------------------------------------------------ API helpers

def make_domain(srv, name):
    r = srv.post("/v2/%d/domains" % srv.account_id, token=srv.token, json={"name": name})
    assert r.status_code == 201, r.text


def add_record(srv, zone, name, rtype, content, ttl=60):
    r = srv.post("/v2/%d/zones/%s/records" % (srv.account_id, zone), token=srv.token,
                 json={"name": name, "type": rtype, "content": content, "ttl": ttl})
    assert r.status_code == 201, r.text
    return r.json()["data"]


def answer_of(srv, name, rdtype="A"):
    r = ask(srv.dns_port, name, rdtype)
    return dns.rcode.to_text(r.rcode()), addresses(r, rdtype)


def settle(srv, name, rdtype, seconds=3.0):
    """Wait until the dns role serves an answer of rdtype at name: the zone version with
    the last record added (the loader applies a change a few ms after its 2xx)."""
    def has():
        r = ask(srv.dns_port, name, rdtype)
        return any(x.rdtype == dns.rdatatype.from_text(rdtype) for x in r.answer)
    took, _ = wait_for(has, True, seconds)
    assert took is not None, "%s %s never answered\n%s" % (name, rdtype, srv.log_text()[-2000:])


# ------------------------------------------------------------------ tests

def test_alias_external_follows_upstream(upstream, server_factory):
    knot, unbound = upstream
    srv = server_factory(serve_args={"--resolver": "%s:%d" % (HOST, unbound.port)})
    make_domain(srv, "flat.test")
    add_record(srv, "flat.test", "", "ALIAS", "www." + TARGET_ZONE)
    add_record(srv, "flat.test", "via-cname", "ALIAS", "cname." + TARGET_ZONE)

    # resolved when the record arrives, in the background: soon answered
    took, got = wait_for(lambda: answer_of(srv, "flat.test"), ("NOERROR", ["192.0.2.10"]), 5.0)
    assert took is not None, "ALIAS never answered the target's address: %r\n%s" % (
        got, srv.log_text()[-3000:])
    r = ask(srv.dns_port, "flat.test")
    assert r.flags & dns.flags.AA
    assert r.answer[0].name.to_text() == "flat.test."
    assert min_ttl(r) <= TARGET_TTL                      # min(ALIAS 60, upstream 2)
    took, got = wait_for(lambda: answer_of(srv, "via-cname.flat.test"),
                         ("NOERROR", ["192.0.2.10"]), 5.0)
    assert took is not None, got
    # no AAAA upstream: NODATA; other types at the apex as usual
    r = ask(srv.dns_port, "flat.test", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and r.authority
    assert ask(srv.dns_port, "flat.test", "SOA").answer

    # the target changes: the ALIAS follows within its TTL and one refresh, and the zone
    # gets a new serial so that secondaries transfer the new answers (issue 6)
    serial_before = ask(srv.dns_port, "flat.test", "SOA").answer[0][0].serial
    knot.write_zone(["192.0.2.20", "192.0.2.21"], ["2001:db8::20"])
    knot.reload()
    t0 = time.monotonic()
    took, got = wait_for(lambda: answer_of(srv, "flat.test"),
                         ("NOERROR", ["192.0.2.20", "192.0.2.21"]), FOLLOW_MAX + 2)
    assert took is not None and took <= FOLLOW_MAX, \
        "ALIAS answer after %.2f s: %r (want the new addresses within %.1f s)" % (
            time.monotonic() - t0, got, FOLLOW_MAX)
    print("ALIAS followed the upstream change in %.2f s (TTL %d s)" % (took, TARGET_TTL))
    took, got = wait_for(lambda: answer_of(srv, "flat.test", "AAAA"),
                         ("NOERROR", ["2001:db8::20"]), FOLLOW_MAX + 2)
    assert took is not None, got
    took, _ = wait_for(lambda: ask(srv.dns_port, "flat.test", "SOA").answer[0][0].serial
                       > serial_before, True, 2.0)
    assert took is not None, "the zone's serial did not change with its ALIAS answers"
    assert "ALIAS answers changed" in srv.log_text()

    # the resolver goes away: the last good answer stays (RFC 8767), for longer than its TTL
    unbound.stop()
    deadline = time.monotonic() + 3 * TARGET_TTL + 1
    n = 0
    while time.monotonic() < deadline:
        r = ask(srv.dns_port, "flat.test")
        assert r.rcode() == dns.rcode.NOERROR, r
        assert addresses(r) == ["192.0.2.20", "192.0.2.21"], r
        assert min_ttl(r) <= 30
        n += 1
        time.sleep(0.1)
    assert n > 10
    assert "resolution failed" in srv.log_text()


def test_alias_without_resolver_is_nodata(server_factory):
    srv = server_factory()
    make_domain(srv, "nores.test")
    add_record(srv, "nores.test", "", "ALIAS", "www.example.invalid")
    add_record(srv, "nores.test", "", "TXT", "last")
    settle(srv, "nores.test", "TXT")
    r = ask(srv.dns_port, "nores.test")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer, r
    assert r.authority and r.authority[0].rdtype == dns.rdatatype.SOA
    took, _ = wait_for(lambda: "no resolver is set" in srv.log_text(), True, 3.0)
    assert took is not None, srv.log_text()[-2000:]


def test_alias_internal_follows_api(server_factory):
    srv = server_factory()
    make_domain(srv, "int.test")
    make_domain(srv, "other-int.test")
    host = add_record(srv, "int.test", "host", "A", "192.0.2.50", ttl=120)
    add_record(srv, "int.test", "", "ALIAS", "host.int.test", ttl=60)
    add_record(srv, "other-int.test", "", "ALIAS", "host.int.test", ttl=300)
    add_record(srv, "int.test", "", "MX", "mail.int.test")
    settle(srv, "int.test", "MX")

    r = ask(srv.dns_port, "int.test")
    assert addresses(r) == ["192.0.2.50"], r
    assert min_ttl(r) == 60                            # min(ALIAS 60, A 120)
    r = ask(srv.dns_port, "other-int.test")            # a target in another hosted zone
    assert addresses(r) == ["192.0.2.50"] and min_ttl(r) == 120, r
    r = ask(srv.dns_port, "int.test", "MX")            # ALIAS beside the apex records
    assert r.answer and r.answer[0].rdtype == dns.rdatatype.MX, r
    r = ask(srv.dns_port, "int.test", "TXT")           # NODATA as usual
    assert r.rcode() == dns.rcode.NOERROR and not r.answer and r.authority, r

    # the target changes through the API: the ALIAS answer follows at once
    p = srv.request("PATCH", "/v2/%d/zones/int.test/records/%d" % (srv.account_id, host["id"]),
                    token=srv.token, json={"content": "192.0.2.51"})
    assert p.status_code == 200, p.text
    took, got = wait_for(lambda: answer_of(srv, "int.test"), ("NOERROR", ["192.0.2.51"]), 2.0)
    assert took is not None and took < 0.5, (took, got)
    took, got = wait_for(lambda: answer_of(srv, "other-int.test"),
                         ("NOERROR", ["192.0.2.51"]), 2.0)
    assert took is not None and took < 0.5, (took, got)


def test_url_answers_redirector(server_factory):
    srv = server_factory(serve_args={"--redirect-addresses": "127.0.0.1,192.0.2.80,::1"})
    make_domain(srv, "url.test")
    add_record(srv, "url.test", "go", "URL", "https://example.net/path", ttl=600)
    add_record(srv, "url.test", "", "URL", "https://example.net/", ttl=900)
    add_record(srv, "url.test", "", "MX", "mail.example.net")
    settle(srv, "url.test", "MX")
    r = ask(srv.dns_port, "go.url.test")
    assert addresses(r) == ["127.0.0.1", "192.0.2.80"] and min_ttl(r) == 600, r
    r = ask(srv.dns_port, "go.url.test", "AAAA")
    assert addresses(r, "AAAA") == ["::1"], r
    r = ask(srv.dns_port, "url.test")
    assert addresses(r) == ["127.0.0.1", "192.0.2.80"] and min_ttl(r) == 900, r
    r = ask(srv.dns_port, "go.url.test", "TXT")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer, r
    r = ask(srv.dns_port, "go.url.test", dns.rdatatype.from_text("TYPE65402"))
    assert r.rcode() == dns.rcode.NOERROR and not r.answer, r  # never on the wire


def test_url_default_redirector(server_factory):
    srv = server_factory()
    make_domain(srv, "url2.test")
    add_record(srv, "url2.test", "go", "URL", "example.net")
    settle(srv, "go.url2.test", "A")
    r = ask(srv.dns_port, "go.url2.test")
    assert addresses(r) == ["127.0.0.1"], r
    r = ask(srv.dns_port, "go.url2.test", "AAAA")
    assert r.rcode() == dns.rcode.NOERROR and not r.answer, r


def test_pool_distribution(server_factory):
    srv = server_factory()
    make_domain(srv, "pool.test")
    members = ["a.pool.test", "b.pool.test", "c.pool.test"]
    for i, m in enumerate(members):
        add_record(srv, "pool.test", "www", "POOL", m, ttl=60)
        add_record(srv, "pool.test", m.split(".")[0], "A", "192.0.2.%d" % (61 + i))
    settle(srv, "c.pool.test", "A")

    counts = {m + ".": 0 for m in members}
    total = 600
    for _ in range(total):
        r = ask(srv.dns_port, "www.pool.test", "CNAME")
        assert len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.CNAME, r
        counts[r.answer[0][0].target.to_text()] += 1
    for m, n in counts.items():
        assert 0.25 * total <= n <= 0.42 * total, counts

    # an address query gets the CNAME and the member's address
    r = ask(srv.dns_port, "www.pool.test", "A")
    assert [x.rdtype for x in r.answer] == [dns.rdatatype.CNAME, dns.rdatatype.A], r
    member = r.answer[0][0].target.to_text()
    assert r.answer[1].name.to_text() == member
    assert addresses(r) == ["192.0.2.%d" % (61 + members.index(member.rstrip(".")))]
    assert r.answer[0].ttl == 60
