"""Regional records (issue 5, Regions): each DNS node has a region (`--region`, `global`
when unset); a record whose `regions` lack the node's region is not served by that node,
and `global` records are served everywhere. Two dns processes of different regions over
the same store."""

import os
import signal
import socket
import subprocess
import time

import dns.message
import dns.rcode
import pytest

from npt import check
from npt.server import free_port, sanitizer_report

pytestmark = pytest.mark.server

HOST = "127.0.0.1"


def ask(port, name, rdtype="A"):
    q = dns.message.make_query(name, rdtype)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        s.sendto(q.to_wire(), (HOST, port))
        return dns.message.from_wire(s.recv(65535))


def addresses(port, name):
    r = ask(port, name)
    return r.rcode(), sorted(rd.to_text() for rrset in r.answer for rd in rrset)


def wait_for(fn, want, seconds=3.0):
    deadline = time.monotonic() + seconds
    got = fn()
    while got != want and time.monotonic() < deadline:
        time.sleep(0.05)
        got = fn()
    return got


@pytest.fixture
def two_regions(server_factory):
    """The api+dns server (region global) and a dns-only SV1 node on the same store."""
    srv = server_factory()
    port = free_port(udp_too=True)
    log = open(os.path.join(srv.workdir, "sv1.log"), "w")
    proc = subprocess.Popen([srv.binary, "serve", "--roles", "dns", "--region", "SV1",
                             "--data", srv.data_dir, "--dns", "%s:%d" % (HOST, port),
                             "--dns-poll-ms", "50"], stdout=log, stderr=subprocess.STDOUT,
                            env=srv.env)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with open(log.name) as f:
            if "serve, ready" in f.read():
                break
        time.sleep(0.05)
    yield srv, port
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0
    log.close()
    with open(log.name) as f:
        text = f.read()
    assert not sanitizer_report(text), text[-3000:]


def create(srv, zone, name, content, regions=None):
    body = {"name": name, "type": "A", "content": content, "ttl": 60}
    if regions is not None:
        body["regions"] = regions
    r = srv.post("/v2/%d/zones/%s/records" % (srv.account_id, zone), token=srv.token, json=body)
    assert r.status_code == 201, r.text
    check(r)
    return r.json()["data"]


def test_each_node_serves_its_region(two_regions):
    srv, sv1 = two_regions
    r = srv.post("/v2/%d/domains" % srv.account_id, token=srv.token, json={"name": "geo.test"})
    assert r.status_code == 201, r.text
    create(srv, "geo.test", "everywhere", "192.0.2.1")                   # global by default
    create(srv, "geo.test", "www", "192.0.2.10", ["SV1"])
    create(srv, "geo.test", "www", "192.0.2.20", ["IAD", "AMS"])
    create(srv, "geo.test", "www", "192.0.2.30", ["global"])
    create(srv, "geo.test", "west", "192.0.2.40", ["SV1", "ORD"])
    glob = srv.dns_port

    # global node: only the global records
    assert addresses(glob, "everywhere.geo.test") == (dns.rcode.NOERROR, ["192.0.2.1"])
    assert addresses(glob, "www.geo.test") == (dns.rcode.NOERROR, ["192.0.2.30"])
    assert addresses(glob, "west.geo.test") == (dns.rcode.NXDOMAIN, [])
    # SV1 node (another process: it learns the changes from the change log)
    assert wait_for(lambda: addresses(sv1, "west.geo.test"),
                    (dns.rcode.NOERROR, ["192.0.2.40"])) == (dns.rcode.NOERROR, ["192.0.2.40"])
    assert addresses(sv1, "www.geo.test") == (dns.rcode.NOERROR, ["192.0.2.10", "192.0.2.30"])
    assert addresses(sv1, "everywhere.geo.test") == (dns.rcode.NOERROR, ["192.0.2.1"])

    # moving a record between regions moves it between nodes
    rec = [x for x in srv.get("/v2/%d/zones/geo.test/records?name=west" % srv.account_id,
                              token=srv.token).json()["data"]][0]
    r = srv.request("PATCH", "/v2/%d/zones/geo.test/records/%d" % (srv.account_id, rec["id"]),
                    token=srv.token, json={"regions": ["global"]})
    assert r.status_code == 200, r.text
    assert wait_for(lambda: addresses(glob, "west.geo.test"),
                    (dns.rcode.NOERROR, ["192.0.2.40"])) == (dns.rcode.NOERROR, ["192.0.2.40"])
    assert wait_for(lambda: addresses(sv1, "west.geo.test"),
                    (dns.rcode.NOERROR, ["192.0.2.40"])) == (dns.rcode.NOERROR, ["192.0.2.40"])
