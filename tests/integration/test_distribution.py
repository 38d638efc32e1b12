"""Distribution checks (issue 5): checkZoneDistribution and checkZoneRecordDistribution
(content/v2/zones.md, zones/records.md; fixtures checkZone*Distribution/*.http).

The checks send real DNS queries to the name servers of the deployment
(`--name-server-addresses`, default: the node's first `--dns` address):
- the server's own dns role: true, and true again right after an API change (the dns
  role follows the store live);
- an extra address where nothing listens, or a socket that never answers: 504 with
  DNSimple's message;
- a `knotd` serving an OLD copy of the zone: false (and true while its copy is current);
- a deactivated zone: false (the dns role answers REFUSED).
Every response goes through check() and is compared with the fixtures.
"""

import os
import socket
import subprocess
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

import npt.api
from npt import compare_fixture, load_fixture, paths
from npt.dnsdiff import KNOTD, Knotd
from npt.server import Server, binary_exists, free_port, tail

pytestmark = pytest.mark.server

HOST = "127.0.0.1"
BOUND = 3.0  # how long a loop here waits for a verdict to change
SUCCESS = load_fixture("checkZoneDistribution/success.http").json()
FAILURE = load_fixture("checkZoneDistribution/failure.http").json()
ERROR = load_fixture("checkZoneDistribution/error.http").json()
R_SUCCESS = load_fixture("checkZoneRecordDistribution/success.http").json()
R_FAILURE = load_fixture("checkZoneRecordDistribution/failure.http").json()
R_ERROR = load_fixture("checkZoneRecordDistribution/error.http").json()

_seq = [0]


class NsServer(Server):
    """A Server whose --name-server-addresses is made at each start by ns(self), since the
    harness picks the ports in start(); ns None leaves the setting at its default."""

    def __init__(self, *args, ns=None, **kw):
        super().__init__(*args, **kw)
        self.ns = ns

    def _serve_cmd(self):
        cmd = super()._serve_cmd()
        return cmd + (["--name-server-addresses", self.ns(self)] if self.ns else [])


def own(s):
    return "%s:%d" % (HOST, s.dns_port)


def make_server(tmp_path_factory, tag, ns=None, serve_args=None, start=True):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    s = NsServer(tmp_path_factory.mktemp(tag), binary=binary, ns=ns, serve_args=serve_args)
    s.bootstrap()
    if start:
        s.start()
    return s


class Api(npt.api.Api):
    def new_domain(self):
        _seq[0] += 1
        name = "dist%d-%d.test" % (os.getpid() % 1000, _seq[0])
        self.ok("POST", "/domains", 201, json={"name": name})
        return name

    def record(self, zone, **fields):
        fields.setdefault("ttl", 300)
        return self.ok("POST", "/zones/%s/records" % zone, 201, json=fields)["data"]

    # -------------------------------------------------------------- the checks

    def zone_dist(self, zone):
        r, body = self.call("GET", "/zones/%s/distribution" % zone)
        return r, body

    def record_dist(self, zone, rid):
        r, body = self.call("GET", "/zones/%s/records/%s/distribution" % (zone, rid))
        return r, body


def verdict(r, body, record=False):
    """The boolean of a 200, compared with the fixtures field for field."""
    assert r.status_code == 200, (r.status_code, body)
    ok, bad = (R_SUCCESS, R_FAILURE) if record else (SUCCESS, FAILURE)
    compare_fixture(body, ("checkZoneRecordDistribution/%s.http" if record else
                           "checkZoneDistribution/%s.http")
                    % ("success" if body["data"]["distributed"] else "failure"))
    assert body in (ok, bad), body
    return body["data"]["distributed"]


def until(fn, want, bound=BOUND):
    """Call fn() -> (r, body) until its verdict is want; returns seconds taken or None."""
    t0 = time.monotonic()
    while True:
        r, body = fn()
        is_record = "/records/" in r.request.url
        if verdict(r, body, is_record) == want:
            return time.monotonic() - t0
        if time.monotonic() - t0 > bound:
            return None
        time.sleep(0.02)


def timed_out(r, body, record=False):
    assert r.status_code == 504, (r.status_code, body)
    assert body == (R_ERROR if record else ERROR), body


# ======================================================= the server's own dns role

@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    s = make_server(tmp_path_factory, "dist", ns=own)
    yield s
    s.stop(check=True)


def test_zone_follows_api_changes(srv):
    api = Api(srv)
    zone = api.new_domain()
    took = until(lambda: api.zone_dist(zone), True)
    assert took is not None, "a new zone was never reported distributed within %ss" % BOUND
    for i in range(5):
        rec = api.record(zone, name="r%d" % i, type="A", content="192.0.2.%d" % (i + 1))
        took = until(lambda: api.zone_dist(zone), True)
        assert took is not None and took < 1.0, "change %d: not distributed (%s)" % (i, took)
        took = until(lambda: api.record_dist(zone, rec["id"]), True)
        assert took is not None and took < 1.0, "record %d not distributed" % i


def test_default_setting_asks_the_own_dns_address(tmp_path_factory):
    s = make_server(tmp_path_factory, "dist-default")  # no --name-server-addresses
    try:
        api = Api(s)
        zone = api.new_domain()
        assert until(lambda: api.zone_dist(zone), True) is not None
    finally:
        s.stop(check=True)


RECORDS = [
    dict(name="", type="MX", content="MX.Example.TEST", priority=10),
    dict(name="www", type="A", content="192.0.2.10"),
    dict(name="www", type="A", content="192.0.2.11"),  # the second RR of an RRset
    dict(name="www", type="AAAA", content="2001:db8::10"),
    dict(name="", type="TXT", content="v=spf1 -all"),
    dict(name="long", type="TXT", content="x" * 300),  # two strings on the wire
    dict(name="alias", type="CNAME", content="Www.Example.NET"),
    dict(name="_sip._tcp", type="SRV", content="5 5060 sip.example.test", priority=1),
    dict(name="", type="CAA", content='0 issue "letsencrypt.org"'),
    dict(name="*.wild", type="A", content="192.0.2.20"),
    dict(name="sub", type="NS", content="ns.sub.{zone}"),     # a delegation: referral
    dict(name="sub", type="NS", content="ns.Example.NET"),
    dict(name="ns.sub", type="A", content="192.0.2.53"),      # its glue
    dict(name="ssh", type="SSHFP", content="2 1 " + "ab" * 20),  # hex: case differs
]


def test_records(srv):
    api = Api(srv)
    zone = api.new_domain()
    recs = [api.record(zone, **dict(f, content=f["content"].format(zone=zone)))
            for f in RECORDS]
    system = api.ok("GET", "/zones/%s/records?per_page=100" % zone)["data"]
    system = [x for x in system if x["system_record"]]
    assert {x["type"] for x in system} == {"SOA", "NS"}
    assert until(lambda: api.zone_dist(zone), True) is not None
    for rec in recs + system:
        r, body = api.record_dist(zone, rec["id"])
        assert verdict(r, body, record=True) is True, (rec, body)

    # an update is distributed with its new content
    rec = recs[1]
    api.ok("PATCH", "/zones/%s/records/%d" % (zone, rec["id"]), json={"content": "192.0.2.99"})
    assert until(lambda: api.record_dist(zone, rec["id"]), True) is not None

    # 404s as the other record endpoints; a record of another zone is not found either
    other = api.new_domain()
    for z, ref in ((zone, "999999999"), (zone, "abc"), (other, str(recs[0]["id"]))):
        r, body = api.record_dist(z, ref)
        assert r.status_code == 404, (ref, body)
        assert body == {"message": "Record `%s` not found" % ref}, body
    r, body = api.call("GET", "/zones/nosuch.test/records/1/distribution")
    assert r.status_code == 404 and body == {"message": "Zone `nosuch.test` not found"}
    r, body = api.zone_dist("nosuch.test")
    assert r.status_code == 404 and body == {"message": "Zone `nosuch.test` not found"}
    r, body = api.call("GET", "/zones/0/distribution")
    assert body == load_fixture("notfound-zone.http").json()


def test_pseudo_records_answer_a_verdict(srv):
    """ALIAS and URL are asked A, POOL CNAME, and any answer of that type counts (see
    dns/client/client.h); whether the dns role answers them yet is issue 5's other
    parts, so only the shape is checked here."""
    api = Api(srv)
    zone = api.new_domain()
    for f in (dict(name="", type="ALIAS", content="target.example.net"),
              dict(name="go", type="URL", content="https://example.net/"),
              dict(name="pool", type="POOL", content="a.example.net")):
        rec = api.record(zone, **f)
        r, body = api.record_dist(zone, rec["id"])
        assert isinstance(verdict(r, body, record=True), bool)


def test_scopes(srv):
    api = Api(srv)
    zone = api.new_domain()
    rec = api.record(zone, name="s", type="A", content="192.0.2.1")
    reader = Api(srv, srv.create_token(account=srv.account_id,
                                       scopes=["zones:%s:read" % zone])["token"])
    stranger = Api(srv, srv.create_token(account=srv.account_id,
                                         scopes=["zones:other.test:read"])["token"])
    assert until(lambda: reader.zone_dist(zone), True) is not None
    assert until(lambda: reader.record_dist(zone, rec["id"]), True) is not None
    for fn in (lambda: stranger.zone_dist(zone), lambda: stranger.record_dist(zone, rec["id"])):
        r, body = fn()
        assert r.status_code == 403, body
        assert body == {"message": "Permission Denied. Required Scope: zones:%s:read" % zone}


def test_deactivated_zone_is_not_distributed(srv):
    api = Api(srv)
    zone = api.new_domain()
    rec = api.record(zone, name="d", type="A", content="192.0.2.1")
    assert until(lambda: api.zone_dist(zone), True) is not None
    api.ok("DELETE", "/zones/%s/activation" % zone)
    assert until(lambda: api.zone_dist(zone), False) is not None
    r, body = api.record_dist(zone, rec["id"])
    assert verdict(r, body, record=True) is False
    # the dns role really refuses it now
    q = dns.message.make_query(zone + ".", "SOA")
    assert dns.query.udp(q, HOST, port=srv.dns_port, timeout=2).rcode() == dns.rcode.REFUSED
    api.ok("PUT", "/zones/%s/activation" % zone)
    assert until(lambda: api.zone_dist(zone), True) is not None
    assert until(lambda: api.record_dist(zone, rec["id"]), True) is not None


# ====================================================== servers that do not answer

def test_no_answer_is_504(tmp_path_factory):
    dead = free_port(udp_too=True)  # nothing listens: the kernel refuses (ICMP)
    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)  # bound, never answers
    silent.bind((HOST, 0))
    extra = {"port": dead}
    s = make_server(tmp_path_factory, "dist-504",
                    ns=lambda s: "%s,%s:%d" % (own(s), HOST, extra["port"]),
                    serve_args={"--distribution-timeout-ms": "600"})
    try:
        api = Api(s)
        zone = api.new_domain()
        rec = api.record(zone, name="t", type="A", content="192.0.2.1")
        # our own dns role serves it; it is the extra address that decides
        until_served(s, zone)
        t0 = time.monotonic()
        timed_out(*api.zone_dist(zone))
        timed_out(*api.record_dist(zone, rec["id"]), record=True)
        assert time.monotonic() - t0 < 4.0
        assert "Connection refused" in s.log_text()

        s.stop(check=True)
        extra["port"] = silent.getsockname()[1]
        s.start()
        t0 = time.monotonic()
        timed_out(*api.zone_dist(zone))
        took = time.monotonic() - t0
        assert 0.55 <= took < 3.0, took  # the whole budget, then 504
        timed_out(*api.record_dist(zone, rec["id"]), record=True)
        assert "timed out" in s.log_text()
        # the silent server was asked, and asked once more halfway
        silent.setblocking(False)
        got = 0
        try:
            while True:
                silent.recv(512)
                got += 1
        except BlockingIOError:
            pass
        assert got == 4, got  # 2 checks x (query + one resend)
    finally:
        silent.close()
        s.stop(check=True)


def until_served(s, zone, bound=BOUND, rdtype="SOA"):
    q = dns.message.make_query(zone + ".", rdtype)
    t0 = time.monotonic()
    while time.monotonic() - t0 < bound:
        try:
            if dns.query.udp(q, HOST, port=s.dns_port, timeout=0.5).answer:
                return
        except dns.exception.Timeout:
            pass
        time.sleep(0.02)
    pytest.fail("%s never served by the dns role" % zone)


ZONE_TEXT = """$ORIGIN {z}.
$TTL 300
@ IN SOA ns1.localhost. hostmaster.localhost. 1 86400 7200 604800 300
@ IN NS ns1.localhost.
@ IN NS ns2.localhost.
www IN A 192.0.2.1
@ IN MX 10 mail.{z}.
mail IN A 192.0.2.25
"""


def test_knotd_with_an_old_copy(tmp_path_factory):
    if not os.access(KNOTD, os.X_OK):
        pytest.fail("knotd (Debian package knot) is not installed: %s" % KNOTD, pytrace=False)
    zone = "knot-old-%d.test" % (os.getpid() % 1000)
    knot = {}
    s = make_server(tmp_path_factory, "dist-knot", start=False,
                    ns=lambda s: "%s,%s:%d" % (own(s), HOST, knot["d"].port),
                    serve_args={"--log-level": "debug"})
    src = os.path.join(s.workdir, "in.zone")
    with open(src, "w") as f:
        f.write(ZONE_TEXT.format(z=zone))
    s._run(["zone", "import", "--data", s.data_dir, "--account", str(s.account_id),
            "--zone", zone, src, "--json"])
    # knotd gets Nameplate's own export: the same records and the same serial
    p = subprocess.run([s.binary, "zone", "export", "--data", s.data_dir, "--account",
                        str(s.account_id), "--zone", zone], capture_output=True, text=True,
                       timeout=30, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    kdir = tmp_path_factory.mktemp("knotd")
    kfile = str(kdir / (zone + ".zone"))
    with open(kfile, "w") as f:
        f.write(p.stdout)
    knot["d"] = Knotd(kdir, {zone: kfile})
    knot["d"].start()
    try:
        s.start()
        api = Api(s)
        until_served(s, zone)
        listed = api.ok("GET", "/zones/%s/records?per_page=100" % zone)["data"]
        www = next(x for x in listed if x["name"] == "www")
        mx = next(x for x in listed if x["type"] == "MX")
        # both serve the current serial
        assert until(lambda: api.zone_dist(zone), True) is not None, tail(s.log_path)
        for rec in (www, mx):
            assert verdict(*api.record_dist(zone, rec["id"]), record=True) is True

        # a change knotd never sees: its copy is now old (once our own server answers the
        # change, the old serial the check finds is knotd's alone)
        new = api.record(zone, name="new", type="A", content="192.0.2.77")
        until_served(s, "new." + zone, rdtype="A")
        assert until(lambda: api.zone_dist(zone), False) is not None
        soa = dns.query.udp(dns.message.make_query(zone + ".", "SOA"), HOST,
                            port=knot["d"].port, timeout=2).answer[0][0]
        assert "serial %d, want " % soa.serial in s.log_text()
        assert "%s:%d" % (HOST, knot["d"].port) in s.log_text()
        assert verdict(*api.record_dist(zone, new["id"]), record=True) is False
        # what knotd does serve is still distributed, record by record
        assert verdict(*api.record_dist(zone, www["id"]), record=True) is True
        # an update of an old record: knotd still has the old content
        api.ok("PATCH", "/zones/%s/records/%d" % (zone, mx["id"]),
               json={"content": "mail2.%s" % zone})
        assert verdict(*api.record_dist(zone, mx["id"]), record=True) is False
    finally:
        knot["d"].stop()
        s.stop(check=True)
