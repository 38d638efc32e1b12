"""Secondary DNS (issue 6, inbound): the API (content/v2/secondary-dns.md, fixtures
*PrimaryServer, createSecondaryZone), and Nameplate as the secondary of real and scripted
primaries on loopback.

- API: every response through check(), bodies compared with the fixtures; validation
  errors; a secondary zone is read-only (400) through records, batch and zone file.
- knotd as the primary (real IXFR from its journal, TSIG-signed transfers): first AXFR,
  then a change on knotd, its NOTIFY, an IXFR, and the new data answered; a wrong key
  changes nothing.
- nsd as the primary: AXFR, a change, NOTIFY, the new data answered.
- A scripted primary (npt.peers.FakePrimary): a transfer that breaks off, stalls, carries
  out-of-zone or unservable data or junk changes nothing (old data served,
  last_transferred_at unchanged, the reason on the zone); expire: the zone stops being
  served (REFUSED) once no primary answered for SOA expire, and comes back.
Every wait is bounded.
"""

import base64
import os
import sqlite3
import time

import dns.flags
import dns.rcode
import pytest

from npt import check, compare_fixture
from npt.contract import check_headers
from npt.peers import FakePrimary, Knot, Nsd, answers, ask, send_notify, wait_for

pytestmark = pytest.mark.server

FAST = {"--xfr-refresh-min": "1", "--xfr-timeout": "2", "--roles": "api,dns,jobs"}


class Api:
    def __init__(self, server):
        self.s = server

    def call(self, method, path, status=None, **kw):
        r = self.s.request(method, "/v2/%s%s" % (self.s.account_id, path), token=self.s.token,
                           **kw)
        body = check(r)
        if status is not None:
            assert r.status_code == status, (method, path, r.status_code, body)
        return body

    def primary(self, name, port, **extra):
        body = {"name": name, "ip": "127.0.0.1", "port": port}
        body.update(extra)
        return self.call("POST", "/secondary_dns/primaries", 201, json=body)["data"]

    def secondary_zone(self, name, primary_id):
        z = self.call("POST", "/secondary_dns/zones", 201, json={"name": name})["data"]
        self.call("PUT", "/secondary_dns/primaries/%d/link" % primary_id, 200,
                  json={"zone": name})
        return z

    def transfer(self, zone):
        """The transfer state (extension: GET /secondary_dns/zones/{zone})."""
        r = self.s.request("GET", "/v2/%s/secondary_dns/zones/%s" % (self.s.account_id, zone),
                           token=self.s.token)
        check_headers(r)
        assert r.status_code == 200, r.text
        return r.json()["data"]


def served(port, name, want):
    return lambda: answers(ask(port, name)) == want


# ---------------------------------------------------------------- the API

def test_api_bodies_and_fixtures(server):
    api = Api(server)
    p = api.primary("PrimaryProduction", 53)
    compare_fixture({"data": p}, "createPrimaryServer/created.http")
    assert p["linked_secondary_zones"] == [] and p["port"] == 53
    compare_fixture(api.call("GET", "/secondary_dns/primaries/%d" % p["id"], 200),
                    "getPrimaryServer/success.http")
    z = api.call("POST", "/secondary_dns/zones", 201, json={"name": "secondaryexample.com"})
    # the fixture predates Zone.active; the schema requires it (docs/zones.md)
    compare_fixture(z, "createSecondaryZone/created.http", extra_keys=("active",))
    assert z["data"]["secondary"] is True and z["data"]["last_transferred_at"] is None
    linked = api.call("PUT", "/secondary_dns/primaries/%d/link" % p["id"], 200,
                      json={"zone": "secondaryexample.com"})
    compare_fixture(linked, "linkPrimaryServer/success.http")
    assert linked["data"]["linked_secondary_zones"] == ["secondaryexample.com"]
    p2 = api.primary("Primary", 4567)
    lst = api.call("GET", "/secondary_dns/primaries", 200)
    compare_fixture(lst, "listPrimaryServers/success.http")
    assert [x["id"] for x in lst["data"]] == [p["id"], p2["id"]]
    assert [x["name"] for x in api.call("GET", "/secondary_dns/primaries?sort=name:asc",
                                        200)["data"]] == ["Primary", "PrimaryProduction"]
    unlinked = api.call("PUT", "/secondary_dns/primaries/%d/unlink" % p["id"], 200,
                        json={"zone": "secondaryexample.com"})
    compare_fixture(unlinked, "unlinkPrimaryServer/success.http")
    assert unlinked["data"]["linked_secondary_zones"] == []
    r = server.request("DELETE", "/v2/%s/secondary_dns/primaries/%d" % (server.account_id,
                                                                       p2["id"]),
                       token=server.token)
    check(r)
    assert r.status_code == 204 and r.content == b""
    api.call("GET", "/secondary_dns/primaries/%d" % p2["id"], 404)
    # the zone is a zone of the account, secondary, with its domain
    assert api.call("GET", "/zones/secondaryexample.com", 200)["data"]["secondary"] is True
    api.call("GET", "/domains/secondaryexample.com", 200)


def test_api_validation(server):
    api = Api(server)
    body = api.call("POST", "/secondary_dns/primaries", 400, json={"port": 70000})
    assert set(body["errors"]) == {"name", "ip", "port"}, body
    body = api.call("POST", "/secondary_dns/primaries", 400, json={"name": "x", "ip": "1.2.3"})
    assert "ip" in body["errors"]
    body = api.call("POST", "/secondary_dns/zones", 400, json={})
    assert "name" in body["errors"]
    p = api.primary("p", 5353)
    api.call("POST", "/secondary_dns/zones", 201, json={"name": "taken.test"})
    body = api.call("POST", "/secondary_dns/zones", 400, json={"name": "taken.test"})
    assert body["errors"]["name"] == ["has already been taken"]
    api.call("POST", "/domains", 201, json={"name": "primary-here.test"})
    body = api.call("PUT", "/secondary_dns/primaries/%d/link" % p["id"], 400,
                    json={"zone": "primary-here.test"})
    assert "zone" in body["errors"]
    api.call("PUT", "/secondary_dns/primaries/%d/link" % p["id"], 404, json={"zone": "nope.test"})
    api.call("PUT", "/secondary_dns/primaries/999999/link", 404, json={"zone": "taken.test"})
    api.call("PUT", "/secondary_dns/primaries/%d/link" % p["id"], 400, json={})


def test_secondary_zone_is_read_only(server_factory):
    srv = server_factory(serve_args=FAST)
    api = Api(srv)
    fake = FakePrimary("ro.test.", [("", "NS", "ns1.ro.test."), ("ns1", "A", "192.0.2.1"),
                                    ("www", "A", "192.0.2.80")])
    try:
        p = api.primary("fake", fake.port)
        api.secondary_zone("ro.test", p["id"])
        wait_for(served(srv.dns_port, "www.ro.test.", ["192.0.2.80"]), 15, what="first AXFR")
        recs = api.call("GET", "/zones/ro.test/records", 200)["data"]
        www = [x for x in recs if x["name"] == "www"][0]
        soa = [x for x in recs if x["type"] == "SOA"][0]
        assert soa["system_record"] is True and soa["content"].split()[2] == "1"
        writes = [("POST", "/zones/ro.test/records",
                   {"name": "x", "type": "A", "content": "192.0.2.9"}),
                  ("PATCH", "/zones/ro.test/records/%d" % www["id"], {"content": "192.0.2.9"}),
                  ("DELETE", "/zones/ro.test/records/%d" % www["id"], None),
                  ("POST", "/zones/ro.test/batch", {"deletes": [{"id": www["id"]}]})]
        for method, path, body in writes:
            r = srv.request(method, "/v2/%s%s" % (srv.account_id, path), token=srv.token,
                            json=body)
            check(r)
            assert r.status_code == 400, (method, path, r.status_code, r.text)
            assert "secondary" in r.json()["message"]
        r = srv.request("PUT", "/v2/%s/zones/ro.test/file" % srv.account_id, token=srv.token,
                        data="www 60 IN A 192.0.2.7\n", headers={"Content-Type": "text/plain"})
        assert r.status_code == 400 and "secondary" in r.text, r.text
        assert answers(ask(srv.dns_port, "www.ro.test.")) == ["192.0.2.80"]
    finally:
        fake.stop()


# ---------------------------------------------------------------- knotd as the primary

KNOT_ZONE = """$ORIGIN knot.test.
$TTL 300
@ SOA ns1.knot.test. admin.knot.test. {serial} 3600 600 86400 60
@ NS ns1.knot.test.
ns1 A 192.0.2.1
www A 192.0.2.80
old A 192.0.2.10
mail MX 10 mx.example.net.
{extra}
"""


def _tsig_key_in_store(srv, name, secret):
    """The key as `nameplate admin tsig-key` keeps it (the tsig_keys table of 0004)."""
    db = sqlite3.connect(os.path.join(srv.data_dir, "nameplate.db"), timeout=10)
    with db:
        db.execute("INSERT INTO tsig_keys (name, algorithm, secret, created_at) "
                   "VALUES (?, 'hmac-sha256', ?, ?)", (name, secret, int(time.time())))
    db.close()


def test_knot_primary_axfr_notify_ixfr_tsig(server_factory, tmp_path):
    srv = server_factory(serve_args=FAST)
    api = Api(srv)
    secret = base64.b64encode(b"knot-and-nameplate-share-this!!!").decode()
    wrong = base64.b64encode(b"a-secret-that-knot-does-not-know").decode()
    _tsig_key_in_store(srv, "xfr-key", secret)
    _tsig_key_in_store(srv, "wrong-key", wrong)
    knot = Knot(tmp_path, "knot.test.", KNOT_ZONE.format(serial=1, extra=""), srv.dns_port,
                key=("xfr-key", secret))
    knot.start()
    try:
        # a wrong key: knotd refuses, nothing is transferred, the reason is on the zone
        bad = api.primary("knot-wrong-key", knot.port, tsig_key="wrong-key")
        api.secondary_zone("knot.test", bad["id"])
        state = wait_for(lambda: (api.transfer("knot.test")["transfer"]["last_error"] or ""),
                         15, what="a refused transfer")
        assert "TSIG" in state or "NOTAUTH" in state, state
        assert ask(srv.dns_port, "www.knot.test.").rcode() == dns.rcode.REFUSED
        api.call("PUT", "/secondary_dns/primaries/%d/unlink" % bad["id"], 200,
                 json={"zone": "knot.test"})
        # the right key: AXFR
        good = api.primary("knot", knot.port, tsig_key="xfr-key")
        api.call("PUT", "/secondary_dns/primaries/%d/link" % good["id"], 200,
                 json={"zone": "knot.test"})
        wait_for(served(srv.dns_port, "www.knot.test.", ["192.0.2.80"]), 15, what="AXFR")
        t = api.transfer("knot.test")
        assert t["transfer"]["serial"] == 1 and t["last_transferred_at"] is not None
        assert t["transfer"]["last_error"] is None
        # a change on knotd: NOTIFY (refresh is an hour: only NOTIFY can bring it), IXFR
        knot.write_zone(KNOT_ZONE.format(serial=2, extra="new A 192.0.2.20").replace(
            "old A 192.0.2.10\n", "").replace("www A 192.0.2.80", "www A 192.0.2.81"))
        knot.reload()
        wait_for(served(srv.dns_port, "new.knot.test.", ["192.0.2.20"]), 10,
                 what="the change after NOTIFY")
        assert answers(ask(srv.dns_port, "www.knot.test.")) == ["192.0.2.81"]
        assert ask(srv.dns_port, "old.knot.test.").rcode() == dns.rcode.NXDOMAIN
        soa = ask(srv.dns_port, "knot.test.", "SOA").answer[0][0]
        assert soa.serial == 2
        assert "IXFR from serial 1 to 2" in srv.log_text(), srv.log_text()[-2000:]
        assert api.transfer("knot.test")["transfer"]["serial"] == 2
    finally:
        knot.stop()


# ---------------------------------------------------------------- nsd as the primary

NSD_ZONE = """$ORIGIN nsd.test.
$TTL 300
@ IN SOA ns1.nsd.test. admin.nsd.test. {serial} 3600 600 86400 60
@ IN NS ns1.nsd.test.
ns1 IN A 192.0.2.1
www IN A {www}
txt IN TXT "hello" "world"
"""


def test_nsd_primary_axfr_notify(server_factory, tmp_path):
    srv = server_factory(serve_args=FAST)
    api = Api(srv)
    nsd = Nsd(tmp_path, "nsd.test.", NSD_ZONE.format(serial=10, www="192.0.2.80"),
              srv.dns_port)
    nsd.start()
    try:
        p = api.primary("nsd", nsd.port)
        api.secondary_zone("nsd.test", p["id"])
        wait_for(served(srv.dns_port, "www.nsd.test.", ["192.0.2.80"]), 15, what="AXFR")
        assert answers(ask(srv.dns_port, "txt.nsd.test.", "TXT")) == ['"hello" "world"']
        nsd.write_zone(NSD_ZONE.format(serial=11, www="192.0.2.81"))
        nsd.reload()
        wait_for(served(srv.dns_port, "www.nsd.test.", ["192.0.2.81"]), 10,
                 what="the change after NOTIFY")
        assert api.transfer("nsd.test")["transfer"]["serial"] == 11
    finally:
        nsd.stop()


def test_notify_acl(server_factory):
    srv = server_factory(serve_args=FAST)
    api = Api(srv)
    fake = FakePrimary("acl.test.", [("", "NS", "ns1.acl.test."), ("www", "A", "192.0.2.5")])
    try:
        p = api.primary("fake", fake.port)
        api.secondary_zone("acl.test", p["id"])
        wait_for(served(srv.dns_port, "www.acl.test.", ["192.0.2.5"]), 15, what="AXFR")
        r = send_notify(srv.dns_port, "acl.test.")
        assert r.rcode() == dns.rcode.NOERROR and r.flags & dns.flags.AA
        assert send_notify(srv.dns_port, "unknown.test.").rcode() == dns.rcode.NOTAUTH
        # a secondary zone whose primary is another loopback address: not ours
        other = api.call("POST", "/secondary_dns/primaries", 201,
                         json={"name": "far", "ip": "127.0.0.2", "port": fake.port})["data"]
        api.secondary_zone("far.test", other["id"])
        wait_for(lambda: send_notify(srv.dns_port, "far.test.").rcode() == dns.rcode.REFUSED,
                 5, what="REFUSED from a non-primary")
    finally:
        fake.stop()


# ---------------------------------------------------------------- broken transfers

BROKEN = [  # mode, what the zone's last_error says
    ("half", "closed the connection"),
    ("stall", "timed out"),
    ("outofzone", "out-of-zone"),
    ("garbage", "malformed"),
    ("clash", "CNAME"),
]


def test_broken_transfers_change_nothing(server_factory):
    srv = server_factory(serve_args=FAST)
    api = Api(srv)
    zone = "broken.test."
    recs = [("", "NS", "ns1.broken.test."), ("ns1", "A", "192.0.2.1")] + [
        ("h%02d" % i, "A", "192.0.2.%d" % (i + 10)) for i in range(40)] + [
        ("www", "A", "192.0.2.80")]
    fake = FakePrimary(zone, recs, serial=1)
    try:
        p = api.primary("fake", fake.port)
        api.secondary_zone("broken.test", p["id"])
        wait_for(served(srv.dns_port, "www.broken.test.", ["192.0.2.80"]), 15, what="AXFR")
        first = api.transfer("broken.test")
        fake.serial = 2
        fake.records = recs[:-1] + [("www", "A", "192.0.2.81")]
        for mode, reason in BROKEN:
            fake.mode = mode
            state = wait_for(lambda: reason in (api.transfer("broken.test")["transfer"]
                                                ["last_error"] or ""),
                             20, what="a failed transfer (%s)" % mode)
            now = api.transfer("broken.test")
            assert now["last_transferred_at"] == first["last_transferred_at"], mode
            assert now["transfer"]["serial"] == 1, mode
            assert answers(ask(srv.dns_port, "www.broken.test.")) == ["192.0.2.80"], mode
            assert answers(ask(srv.dns_port, "h39.broken.test.")) == ["192.0.2.49"], mode
            assert state
            # clear the reason so the next mode's is its own
            fake.mode = "good"
            fake.serial = 1
            wait_for(lambda: api.transfer("broken.test")["transfer"]["last_error"] is None, 15,
                     what="a good refresh after %s" % mode)
            fake.serial = 2
        assert "refresh failed, data unchanged" in srv.log_text()
        fake.mode = "good"
        wait_for(served(srv.dns_port, "www.broken.test.", ["192.0.2.81"]), 15,
                 what="the good transfer")
        assert api.transfer("broken.test")["transfer"]["serial"] == 2
    finally:
        fake.stop()


def test_expire(server_factory):
    srv = server_factory(serve_args=dict(FAST, **{"--xfr-expire-min": "1"}))
    api = Api(srv)
    fake = FakePrimary("exp.test.", [("", "NS", "ns1.exp.test."), ("www", "A", "192.0.2.7")],
                       serial=3, refresh=1, retry=1, expire=4)
    try:
        p = api.primary("fake", fake.port)
        api.secondary_zone("exp.test", p["id"])
        wait_for(served(srv.dns_port, "www.exp.test.", ["192.0.2.7"]), 15, what="AXFR")
        fake.mode = "down"
        t0 = time.monotonic()
        wait_for(lambda: ask(srv.dns_port, "www.exp.test.").rcode() == dns.rcode.REFUSED, 20,
                 what="REFUSED after expire")
        assert time.monotonic() - t0 >= 2.0  # not before SOA expire (4 s after the last ok)
        state = api.transfer("exp.test")["transfer"]
        assert state["expired"] is True and state["last_error"], state
        assert "expired" in srv.log_text()
        fake.mode = "good"  # the primary is back: the same serial serves again
        wait_for(served(srv.dns_port, "www.exp.test.", ["192.0.2.7"]), 15, what="served again")
        assert api.transfer("exp.test")["transfer"]["expired"] is False
    finally:
        fake.stop()
