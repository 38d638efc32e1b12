"""The dns role follows the store live (issue 4, Behaviour: Live and Start-up).

- A change acknowledged by the API is answered at once: after each 2xx we query in a
  loop bounded to 2 s and measure how long the old answer lasts (the issue's figure:
  10 ms at p99; here without load).
- A change made by another process on the same data dir (`nameplate zone import` while
  the server runs) is answered within 1 s, and only the zones it names are rebuilt.
- A zone that cannot be built is logged and skipped at start-up, never served half,
  while every other zone is served.
"""

import os
import socket
import sqlite3
import statistics
import struct
import time

import dns.flags
import dns.message
import dns.rcode
import pytest

from npt import paths
from npt.server import Server, binary_exists

pytestmark = pytest.mark.server

HOST = "127.0.0.1"
ZONES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "zones")
API_TO_DNS_P99 = 0.010   # issue 4: within 10 ms at p99
OTHER_PROCESS_MAX = 1.0  # issue 4: within one second
WAIT_BOUND = 2.0         # how long any loop here keeps asking


def ask(port, qname, rdtype="A", tcp=False, timeout=1.0):
    q = dns.message.make_query(qname, rdtype, flags=0)
    wire = q.to_wire()
    if tcp:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.sendall(struct.pack("!H", len(wire)) + wire)
            size = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
            raw = s.recv(size, socket.MSG_WAITALL)
    else:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(timeout)
            s.connect((HOST, port))
            s.send(wire)
            raw = s.recv(65535)
    r = dns.message.from_wire(raw)
    assert r.id == q.id and r.flags & dns.flags.QR
    return r


def txt(r):
    return r.to_text() if r is not None else "(no answer)"


def answer_set(r):
    return {(x.name.to_text().lower(), x.ttl, rd.to_text()) for x in r.answer for rd in x}


def until(port, qname, rdtype, want, bound=WAIT_BOUND):
    """Ask until want(r); returns (seconds from the call, r, queries), or (None, last r, n)."""
    t0 = time.monotonic()
    r = None
    for n in range(1, 100000):
        try:
            r = ask(port, qname, rdtype)
        except (socket.timeout, ConnectionError):
            r = None
        if r is not None and want(r):
            return time.monotonic() - t0, r, n
        if time.monotonic() - t0 > bound:
            return None, r, n
        time.sleep(0.0005)
    return None, r, n


def has_a(addr):
    return lambda r: any(rd.to_text() == addr for x in r.answer for rd in x)


def is_rcode(code):
    return lambda r: r.rcode() == code


def p99(values):
    v = sorted(values)
    return v[min(len(v) - 1, int(0.99 * len(v) + 0.999999) - 1)]


class Api:
    def __init__(self, s):
        self.s = s

    def __call__(self, method, path, status, **kw):
        r = self.s.request(method, "/v2/%s%s" % (self.s.account_id, path), token=self.s.token,
                           **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text[:400])
        return r.json() if r.content else None


def import_zone(s, origin, path):
    return s._run(["zone", "import", "--data", s.data_dir, "--account", str(s.account_id),
                   "--zone", origin, path, "--json"])


def new_server(tmp_path_factory, tag, serve_args=None):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    s = Server(tmp_path_factory.mktemp(tag), binary=binary, serve_args=serve_args)
    s.bootstrap()
    return s


def require_dns(s, zone, bound=8.0):
    took, r, _ = until(s.dns_port, zone + ".", "SOA", lambda r: bool(r.answer), bound=bound)
    if took is None:
        pytest.fail("the dns role never answered SOA %s on 127.0.0.1:%s within %ss (last: %s)"
                    "\n--- log tail ---\n%s" % (zone, s.dns_port, bound, txt(r),
                                                s.log_text()[-3000:]), pytrace=False)


# ================================================================== API changes

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    s = new_server(tmp_path_factory, "dns-live", {"--log-level": "debug"})
    s.start()
    yield s
    s.stop(check=True)


def test_api_change_is_answered_at_once(live):
    api = Api(live)
    zone = "live-%d.test" % os.getpid()
    api("POST", "/domains", 201, json={"name": zone})
    require_dns(live, zone)
    port = live.dns_port
    delays = {"create": [], "update": [], "delete": []}
    ids = []
    for i in range(60):
        addr = "192.0.2.%d" % (i + 1)
        rec = api("POST", "/zones/%s/records" % zone, 201,
                  json={"name": "r%d" % i, "type": "A", "content": addr, "ttl": 60})["data"]
        took, r, _ = until(port, "r%d.%s." % (i, zone), "A", has_a(addr))
        assert took is not None, "created r%d (%s) not answered in %ss:\n%s" % (
            i, addr, WAIT_BOUND, txt(r))
        assert answer_set(r) == {("r%d.%s." % (i, zone), 60, addr)}, txt(r)
        delays["create"].append(took)
        ids.append(rec["id"])
    for i, rid in enumerate(ids[:20]):
        addr = "198.51.100.%d" % (i + 1)
        api("PATCH", "/zones/%s/records/%d" % (zone, rid), 200, json={"content": addr})
        took, r, _ = until(port, "r%d.%s." % (i, zone), "A", has_a(addr))
        assert took is not None, "updated r%d not answered in %ss:\n%s" % (i, WAIT_BOUND,
                                                                           txt(r))
        assert len(r.answer) == 1 and len(r.answer[0]) == 1, txt(r)
        delays["update"].append(took)
    for i, rid in enumerate(ids[20:40], start=20):
        api("DELETE", "/zones/%s/records/%d" % (zone, rid), 204)
        took, r, _ = until(port, "r%d.%s." % (i, zone), "A", is_rcode(dns.rcode.NXDOMAIN))
        assert took is not None, "deleted r%d still answered after %ss:\n%s" % (i, WAIT_BOUND,
                                                                                txt(r))
        delays["delete"].append(took)
    every = [d for v in delays.values() for d in v]
    summary = {k: "p50 %.2f ms, p99 %.2f ms, max %.2f ms" % (
        1000 * statistics.median(v), 1000 * p99(v), 1000 * max(v)) for k, v in delays.items()}
    print("API change -> DNS answer:", summary)
    assert p99(every) <= API_TO_DNS_P99, "API 2xx to new answer: %s" % summary


def test_api_zone_lifecycle_is_answered_at_once(live):
    """A zone created through the API is answered right away; deleted, it is refused."""
    api = Api(live)
    zone = "lifecycle-%d.test" % os.getpid()
    api("POST", "/domains", 201, json={"name": zone})
    took, r, _ = until(live.dns_port, zone + ".", "SOA", lambda r: bool(r.answer))
    assert took is not None and took <= 0.1, (took, txt(r))
    api("DELETE", "/domains/%s" % zone, 204)
    took, r, _ = until(live.dns_port, zone + ".", "SOA", is_rcode(dns.rcode.REFUSED))
    assert took is not None and took <= 0.1, (took, txt(r))


# ================================================================== other processes

def _zone_text(origin, extra):
    return ("$ORIGIN %s.\n$TTL 300\n@ IN SOA ns.x.invalid. h.x.invalid. 1 2 3 4 5\n"
            "@ IN NS ns.x.invalid.\n%s\n" % (origin, "\n".join(extra)))


def test_change_by_another_process_within_one_second(live, tmp_path):
    port = live.dns_port
    zone = "cli-%d.test" % os.getpid()
    path = str(tmp_path / "z.zone")
    with open(path, "w") as f:
        f.write(_zone_text(zone, ["www IN A 192.0.2.1"]))
    # a zone that does not exist yet, made by the other process
    import_zone(live, zone, path)
    t0 = time.monotonic()
    took, r, _ = until(port, "www.%s." % zone, "A", has_a("192.0.2.1"))
    assert took is not None and took <= OTHER_PROCESS_MAX, (
        "new zone from `nameplate zone import` answered after %s s:\n%s" % (took, txt(r)))
    timings = [time.monotonic() - t0]
    # changes to it: an added name, a changed one, a removed one
    for i in range(3):
        with open(path, "w") as f:
            f.write(_zone_text(zone, ["www IN A 192.0.2.%d" % (10 + i),
                                      "n%d IN TXT \"import %d\"" % (i, i)]))
        import_zone(live, zone, path)
        took, r, _ = until(port, "www.%s." % zone, "A", has_a("192.0.2.%d" % (10 + i)))
        assert took is not None and took <= OTHER_PROCESS_MAX, (took, txt(r))
        timings.append(took)
        took, r, _ = until(port, "n%d.%s." % (i, zone), "TXT", lambda r: bool(r.answer))
        assert took is not None and took <= OTHER_PROCESS_MAX, (took, txt(r))
        if i:
            r = ask(port, "n%d.%s." % (i - 1, zone), "TXT")
            assert r.rcode() == dns.rcode.NXDOMAIN, "a name the import removed:\n" + txt(r)
    print("zone import -> DNS answer: %s s" % ["%.3f" % t for t in timings])


def test_other_process_change_rebuilds_only_that_zone(live, tmp_path):
    """The loader follows the change log: an import of one zone rebuilds or patches that
    zone only (the debug log names each zone it loads or patches)."""
    port = live.dns_port
    a, b = "follow-a-%d.test" % os.getpid(), "follow-b-%d.test" % os.getpid()
    pa, pb = str(tmp_path / "a.zone"), str(tmp_path / "b.zone")
    with open(pa, "w") as f:
        f.write(_zone_text(a, ["www IN A 192.0.2.1"]))
    with open(pb, "w") as f:
        f.write(_zone_text(b, ["www IN A 192.0.2.2"]))
    import_zone(live, a, pa)
    import_zone(live, b, pb)
    for z, addr in ((a, "192.0.2.1"), (b, "192.0.2.2")):
        took, r, _ = until(port, "www.%s." % z, "A", has_a(addr))
        assert took is not None, txt(r)

    def loads(zone):
        return sum(1 for line in live.log_text().splitlines()
                   if "zone %s," % zone in line and ("loaded" in line or "patched" in line))

    assert loads(a) >= 1, "the debug log does not name the zones it loads:\n" + \
        live.log_text()[-2000:]
    before_a = loads(a)
    before_b = loads(b)
    with open(pb, "w") as f:
        f.write(_zone_text(b, ["www IN A 192.0.2.3"]))
    import_zone(live, b, pb)
    took, r, _ = until(port, "www.%s." % b, "A", has_a("192.0.2.3"))
    assert took is not None and took <= OTHER_PROCESS_MAX, (took, txt(r))
    time.sleep(0.3)
    assert loads(b) > before_b
    assert loads(a) == before_a, "importing %s rebuilt %s too" % (b, a)


# ================================================================== unbuildable zones

def test_zone_that_cannot_be_built_is_skipped(tmp_path_factory):
    s = new_server(tmp_path_factory, "dns-broken")
    good = "good.test"
    with_rdata = "badrdata.test"
    nosoa = "nosoa.test"
    for z in (good, with_rdata, nosoa):
        p = os.path.join(s.workdir, z + ".zone")
        with open(p, "w") as f:
            f.write(_zone_text(z, ["www IN A 192.0.2.1", "mail IN A 192.0.2.2"]))
        import_zone(s, z, p)
    import_zone(s, "other.test", os.path.join(ZONES_DIR, "other.test.zone"))
    db = sqlite3.connect(os.path.join(s.data_dir, "nameplate.db"), timeout=10)
    try:
        with db:
            zid = dict(db.execute("SELECT name, id FROM zones"))
            # a zone without its SOA
            n = db.execute("DELETE FROM records WHERE zone_id = ? AND type = 'SOA'",
                           (zid[nosoa],)).rowcount
            assert n == 1
            # a zone with an A record whose wire data is 3 bytes
            n = db.execute("UPDATE records SET rdata = x'c00002' WHERE zone_id = ? AND "
                           "name = 'mail' AND type = 'A'", (zid[with_rdata],)).rowcount
            assert n == 1
            # a zone row made by hand with records but no SOA and no NS
            now = int(time.time())
            cur = db.execute("INSERT INTO zones (account_id, name, serial, created_at, "
                             "updated_at) VALUES (?, 'handmade.test', 1, ?, ?)",
                             (s.account_id, now, now))
            db.execute("INSERT INTO records (zone_id, name, type, type_code, content, rdata, "
                       "ttl, created_at, updated_at) VALUES (?, 'www', 'A', 1, '192.0.2.9', "
                       "x'c0000209', 3600, ?, ?)", (cur.lastrowid, now, now))
    finally:
        db.close()
    s.start()
    try:
        require_dns(s, good)
        port = s.dns_port
        for z in (good, "other.test"):
            r = ask(port, z + ".", "SOA")
            assert r.rcode() == dns.rcode.NOERROR and r.answer, txt(r)
        r = ask(port, "www.other.test.", "A", tcp=True)
        assert r.answer, txt(r)
        problems = []
        for z in (nosoa, with_rdata, "handmade.test"):
            for qname in ("www.%s." % z, "mail.%s." % z, z + "."):
                for tcp in (False, True):
                    r = ask(port, qname, "A", tcp=tcp)
                    if r.rcode() != dns.rcode.REFUSED or r.answer:
                        problems.append("zone %s cannot be built: it must not be served, even "
                                        "in part; %s over %s:\n%s"
                                        % (z, qname, "TCP" if tcp else "UDP", txt(r)))
            log = s.log_text()
            if not any(z in line for line in log.splitlines()):
                problems.append("the skipped zone %s is not named in the log" % z)
        assert not problems, "\n".join(problems) + "\n--- log ---\n" + s.log_text()[-3000:]
        assert s.running
        assert s.get("/v2/whoami", token=s.token).status_code == 200
    finally:
        s.stop(check=True)
