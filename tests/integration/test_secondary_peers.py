"""Two Nameplate nodes (issue 6): a primary with the API, and a node that runs only the
dns and jobs roles (`--roles dns,jobs --catalog-primary ADDR:PORT`) on an empty store and
follows the primary entirely through its catalog zone (RFC 9432): every zone appears, a
zone added or deleted on the primary appears or disappears, and after 1,000 random record
changes through the API both nodes serve identical data, compared by AXFR of every zone
from each. The primary NOTIFYs the follower; the follower's refresh timers are short as
well, so either path brings the changes. Bounded: about two minutes at most.
"""

import random
import time

import dns.rcode
import pytest

from npt import paths
from npt.peers import DnsNode, ask, axfr, wait_for
from npt.server import free_port

pytestmark = pytest.mark.server

CATALOG = "catalog.nameplate.invalid"
ZONES = ["a.peer.test", "b.peer.test", "c.peer.test", "d.peer.test"]
CHANGES = 1000
CONVERGE_BOUND = 60.0


def api(srv, method, path, status, **kw):
    r = srv.request(method, "/v2/%s%s" % (srv.account_id, path), token=srv.token, **kw)
    assert r.status_code == status, (method, path, r.status_code, r.text[:300])
    return r.json() if r.content else None


def random_record(rng, i):
    kind = rng.choice(["A", "AAAA", "TXT", "MX"])
    name = rng.choice(["", "www", "mail", "h%d" % rng.randrange(30), "deep.h%d" % rng.randrange(5)])
    content = {"A": "192.0.2.%d" % rng.randrange(1, 255),
               "AAAA": "2001:db8::%x" % rng.randrange(1, 65535),
               "TXT": "change %d" % i,
               "MX": "mx%d.example.net" % rng.randrange(10)}[kind]
    body = {"name": name, "type": kind, "content": content, "ttl": rng.choice([60, 300, 3600])}
    if kind == "MX":
        body["priority"] = rng.randrange(0, 50)
    return body


def same_zone(primary, follower, zone):
    def pred():
        try:
            a, b = axfr(primary.dns_port, zone + "."), axfr(follower.dns_port, zone + ".")
        except (AssertionError, OSError, ConnectionError, ValueError) as e:
            pred.last = repr(e)
            return False
        pred.last = (a, b)
        return a == b and (a, b)
    return pred


def test_follower_by_catalog_1000_changes(server_factory, tmp_path):
    follower_dns = free_port(udp_too=True)
    primary = server_factory(serve_args={
        "--catalog-zone": CATALOG, "--transfer-allow": "127.0.0.0/8",
        "--notify": "127.0.0.1:%d" % follower_dns})
    for z in ZONES:
        api(primary, "POST", "/domains", 201, json={"name": z})
    follower = DnsNode(tmp_path / "follower", binary=paths.nameplate_bin(), serve_args={
        "--roles": "dns,jobs", "--catalog-primary": "127.0.0.1:%d" % primary.dns_port,
        "--catalog-zone": CATALOG, "--transfer-allow": "127.0.0.0/8",
        "--xfr-refresh-min": "1", "--xfr-refresh-max": "2"}, fixed_dns_port=follower_dns)
    follower.bootstrap()
    follower.start()
    try:
        for z in ZONES:
            p = same_zone(primary, follower, z)
            try:
                wait_for(p, 30, what="%s on the follower" % z)
            except AssertionError:
                raise AssertionError("%s differs: %r" % (z, getattr(p, "last", None)))
        # the catalog follows zones in and out
        api(primary, "POST", "/domains", 201, json={"name": "late.peer.test"})
        wait_for(same_zone(primary, follower, "late.peer.test"), 30, what="a new zone")
        api(primary, "DELETE", "/domains/d.peer.test", 204)
        wait_for(lambda: ask(follower.dns_port, "d.peer.test.", "SOA").rcode()
                 == dns.rcode.REFUSED, 30, what="a deleted zone gone from the follower")
        zones = ZONES[:3] + ["late.peer.test"]
        # 1,000 random record changes through the primary's API
        rng = random.Random(9432)
        ids = {z: [] for z in zones}
        t0 = time.monotonic()
        for i in range(CHANGES):
            z = rng.choice(zones)
            op = rng.random()
            if op < 0.55 or len(ids[z]) < 3:
                r = primary.request("POST", "/v2/%s/zones/%s/records" % (primary.account_id, z),
                                    token=primary.token, json=random_record(rng, i))
                assert r.status_code in (201, 400), r.text  # 400: a duplicate, drawn again
                if r.status_code == 201:
                    ids[z].append(r.json()["data"]["id"])
            elif op < 0.8:
                rid = rng.choice(ids[z])
                body = {"content": "192.0.2.%d" % rng.randrange(1, 255)} \
                    if rng.random() < 0.5 else {"ttl": rng.choice([120, 600])}
                r = primary.request("PATCH", "/v2/%s/zones/%s/records/%d" % (
                    primary.account_id, z, rid), token=primary.token, json=body)
                assert r.status_code in (200, 400), r.text  # 400: content of another type
            else:
                rid = ids[z].pop(rng.randrange(len(ids[z])))
                api(primary, "DELETE", "/zones/%s/records/%d" % (z, rid), 204)
        took = time.monotonic() - t0
        deadline = time.monotonic() + CONVERGE_BOUND
        for z in zones:
            left = max(1.0, deadline - time.monotonic())
            a, b = wait_for(same_zone(primary, follower, z), left, step=0.5,
                            what="%s identical on both nodes" % z)
            assert len(a) > 3
        # the follower never took the API's place: its records are the primary's
        assert "catalog %s" % CATALOG in follower.log_text()
        print("1000 changes in %.1f s; converged %.1f s later" % (
            took, time.monotonic() - (deadline - CONVERGE_BOUND)))
    finally:
        follower.stop(check=True)
