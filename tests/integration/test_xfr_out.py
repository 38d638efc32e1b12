"""Zone transfers out (issue 6): Nameplate as the primary of knotd (Debian's `knot`).

Each test runs `nameplate serve` and a `knotd` on free loopback ports, with minimal
configs in temp dirs, and waits with bounded loops only:

- knotd follows a zone: AXFR first, then an API change, our NOTIFY, its IXFR (its log
  says so), and the two servers hold the same data: `kdig @knotd AXFR` equals
  `kdig @nameplate AXFR`, RR for RR (TTLs included);
- the same with TSIG: a key made with `nameplate admin tsig-key create`, given to knotd
  for its transfer requests and our NOTIFY; a request with a wrong key (a bad secret, an
  unknown name) gets NOTAUTH, and unsigned ones are refused where the ACL names the key;
- an address outside transfer-allow is REFUSED, over TCP and UDP;
- IXFR falls back to a whole-zone answer when the history no longer reaches the
  client's serial (ixfr-history trims the change log; knotd logs an AXFR-style IXFR and
  still ends with the same data), and the history survives a restart (read back from
  the change log);
- the catalog zone (RFC 9432): knotd as a catalog consumer picks up a zone created
  through the API and drops a deleted one.
(The two-Nameplate-nodes test, a follower fed by the catalog, is test_secondary_peers.py.)
"""

import os
import re
import shutil
import sqlite3
import subprocess
import time

import pytest

from npt.server import free_port, stop_process, tail

pytestmark = pytest.mark.server

HOST = "127.0.0.1"
KNOTD = shutil.which("knotd") or "/usr/sbin/knotd"
KDIG = shutil.which("kdig") or "/usr/bin/kdig"
ZONE = "xfr.example.test"
CATALOG = "catalog.invalid"
BOUND = 20.0  # seconds any one wait may take


# ================================================================== helpers

def wait_for(pred, bound=BOUND, step=0.1, what="condition"):
    deadline = time.monotonic() + bound
    last = None
    while time.monotonic() < deadline:
        last = pred()
        if last:
            return last
        time.sleep(step)
    raise AssertionError("%s not met within %ss (last: %r)" % (what, bound, last))


def kdig(port, *args, timeout=15):
    try:
        p = subprocess.run([KDIG, "@%s" % HOST, "-p", str(port), "+time=2", "+retry=1"]
                           + list(args), capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return ";; ERROR: kdig timed out"
    return p.stdout + p.stderr


RR_LINE = re.compile(r"^(\S+)\s+(\d+)\s+IN\s+(\S+)\s+(.*)$")


def rr_lines(text):
    """The RRs of kdig output (+noall +answer) as normalized lines, in order."""
    out = []
    for line in text.splitlines():
        m = RR_LINE.match(line.strip())
        if m:
            out.append("%s %s %s %s" % (m.group(1).lower(), m.group(2), m.group(3),
                                        " ".join(m.group(4).split())))
    return out


def axfr(port, zone, key=None):
    """`kdig AXFR` of a zone: its RRs as a sorted list (both SOAs in), or raise."""
    args = [zone, "AXFR", "+noall", "+answer"]
    if key:
        args = ["-y", key] + args
    text = kdig(port, *args)
    lines = rr_lines(text)
    if len(lines) < 2 or ";; ERROR" in text or ";; WARNING" in text:
        raise AssertionError("AXFR of %s from port %d failed:\n%s" % (zone, port, text[-2000:]))
    return sorted(lines)


def try_axfr(port, zone, key=None):
    try:
        return axfr(port, zone, key)
    except AssertionError:
        return None


def rcode_of(text):
    m = re.search(r"status: (\w+)", text) or re.search(r"replied with error '(\w+)'", text)
    return m.group(1) if m else None


def soa_serial(port, zone):
    text = kdig(port, zone, "SOA", "+short", "+time=1", "+retry=0", timeout=5)
    parts = text.split()
    return int(parts[2]) if len(parts) >= 7 and parts[2].isdigit() else None


def api(srv, method, path, status, **kw):
    r = srv.request(method, "/v2/%s%s" % (srv.account_id, path), token=srv.token, **kw)
    assert r.status_code == status, (method, path, r.status_code, r.text[:300])
    return r.json() if r.content else None


def add_record(srv, zone, name, rtype, content, ttl=300):
    return api(srv, "POST", "/zones/%s/records" % zone, 201,
               json={"name": name, "type": rtype, "content": content, "ttl": ttl})["data"]


def record_id(srv, zone, name, rtype):
    data = api(srv, "GET", "/zones/%s/records?name=%s&type=%s" % (zone, name, rtype), 200)["data"]
    assert len(data) == 1, data
    return data[0]["id"]


def serial_of(srv, zone):
    return wait_for(lambda: soa_serial(srv.dns_port, zone), what="SOA of %s" % zone)


class Knotd:
    """knotd as a secondary of Nameplate on a free loopback port.

    zones: secondary zones; catalog: a catalog zone to interpret (its members get the
    `member` template); key: (name, algorithm, secret) for transfers and NOTIFY.
    """

    def __init__(self, workdir, primary_port, port=None, zones=(), catalog=None, key=None):
        self.dir = str(workdir)
        self.primary_port = primary_port
        self.port = port
        self.zones = list(zones)
        self.catalog = catalog
        self.key = key
        self.proc = None
        self.log_path = os.path.join(self.dir, "knotd.log")
        os.makedirs(self.dir, exist_ok=True)

    def write_conf(self):
        storage = os.path.join(self.dir, "storage")
        for d in ("run", "storage"):
            os.makedirs(os.path.join(self.dir, d), exist_ok=True)
        keyref = "    key: %s\n" % self.key[0] if self.key else ""
        conf = ("server:\n    listen: %s@%d\n    rundir: %s\n"
                "log:\n  - target: stderr\n    any: info\n"
                "database:\n    storage: %s\n" % (HOST, self.port, os.path.join(self.dir, "run"),
                                                   storage))
        if self.key:
            conf += ("key:\n  - id: %s\n    algorithm: %s\n    secret: %s\n" % self.key)
        conf += ("remote:\n  - id: nameplate\n    address: %s@%d\n%s" % (HOST, self.primary_port,
                                                                         keyref))
        conf += ("acl:\n  - id: from_nameplate\n    address: %s\n    action: notify\n%s"
                 "  - id: to_tests\n    address: %s\n    action: transfer\n" % (HOST, keyref,
                                                                             HOST))
        tmpl = ("    storage: %s\n    zonefile-sync: -1\n    zonefile-load: none\n"
                "    journal-content: all\n"
                "    master: nameplate\n    acl: [from_nameplate, to_tests]\n" % storage)
        conf += "template:\n  - id: default\n" + tmpl + "  - id: member\n" + tmpl
        conf += "zone:\n"
        for z in self.zones:
            conf += "  - domain: %s\n" % z
        if self.catalog:
            conf += ("  - domain: %s\n    catalog-role: interpret\n"
                     "    catalog-template: member\n" % self.catalog)
        path = os.path.join(self.dir, "knot.conf")
        with open(path, "w") as f:
            f.write(conf)
        return path

    def start(self):
        if self.port is None:
            self.port = free_port(udp_too=True)
        conf = self.write_conf()
        starts = self.log().count("server started")
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([KNOTD, "-c", conf], stdin=subprocess.DEVNULL, stdout=log,
                                     stderr=subprocess.STDOUT)
        log.close()
        wait_for(lambda: self.log().count("server started") > starts
                 or self.proc.poll() is not None, what="knotd to start")
        if self.proc.poll() is not None or "in use" in self.log().lower():
            raise AssertionError("knotd did not start\n%s" % tail(self.log_path))
        return self

    def log(self):
        return tail(self.log_path, 100000)

    def stop(self):
        self.proc = stop_process(self.proc)

    def has_serial(self, zone, serial):
        return soa_serial(self.port, zone) == serial


@pytest.fixture
def knotd_bin():
    if not os.access(KNOTD, os.X_OK) or not os.access(KDIG, os.X_OK):
        pytest.fail("knotd and kdig (Debian package knot, knot-dnsutils) are needed: %s, %s"
                    % (KNOTD, KDIG), pytrace=False)
    return KNOTD


@pytest.fixture
def knots(tmp_path, knotd_bin):
    made = []

    def make(*args, **kw):
        k = Knotd(tmp_path / ("knotd%d" % len(made)), *args, **kw)
        made.append(k)
        return k

    yield make
    for k in made:
        k.stop()


def fill_zone(srv, zone):
    api(srv, "POST", "/domains", 201, json={"name": zone})
    add_record(srv, zone, "www", "A", "192.0.2.1")
    add_record(srv, zone, "www", "A", "192.0.2.2")
    add_record(srv, zone, "www", "AAAA", "2001:db8::1")
    add_record(srv, zone, "", "MX", "mail.%s" % zone, ttl=3600)
    add_record(srv, zone, "mail", "A", "192.0.2.25")
    add_record(srv, zone, "txt", "TXT", "v=spf1 -all")
    add_record(srv, zone, "_sip._tcp", "SRV", "10 5060 sip.%s" % zone)
    add_record(srv, zone, "deep.ent", "CNAME", "www.%s" % zone)
    add_record(srv, zone, "sub", "NS", "ns.sub.%s" % zone)
    add_record(srv, zone, "ns.sub", "A", "192.0.2.53")


def same_data(srv, knot, zone, key=None):
    """Both servers' AXFR of the zone, when equal (else False)."""
    try:
        a = axfr(srv.dns_port, zone, key)
        b = axfr(knot.port, zone)
    except AssertionError:
        return False
    return a == b and a


# ================================================================== tests

def test_knotd_follows_axfr_notify_ixfr(server_factory, knots):
    kport = free_port(udp_too=True)
    srv = server_factory(serve_args={"--transfer-allow": "127.0.0.1",
                                     "--notify": "127.0.0.1:%d" % kport})
    fill_zone(srv, ZONE)
    knot = knots(srv.dns_port, port=kport, zones=[ZONE]).start()
    # the first transfer: AXFR (knotd has nothing), whenever it asks
    wait_for(lambda: knot.has_serial(ZONE, serial_of(srv, ZONE)), what="knotd's first AXFR")
    assert "AXFR, incoming" in knot.log()
    data = wait_for(lambda: same_data(srv, knot, ZONE), what="identical AXFRs")
    assert any(" SRV " in line for line in data)

    # an API change: NOTIFY, then IXFR
    before = serial_of(srv, ZONE)
    add_record(srv, ZONE, "new", "A", "192.0.2.99")
    api(srv, "DELETE", "/zones/%s/records/%d" % (ZONE, record_id(srv, ZONE, "ns.sub", "A")), 204)
    api(srv, "PATCH", "/zones/%s/records/%d" % (ZONE, record_id(srv, ZONE, "txt", "TXT")), 200,
        json={"ttl": 900})
    after = serial_of(srv, ZONE)
    assert after != before
    wait_for(lambda: knot.has_serial(ZONE, after), what="knotd at the new serial")
    log = knot.log()
    assert "notify, incoming" in log, log[-3000:]
    assert re.search(r"IXFR, incoming, remote 127\.0\.0\.1@%d, finished" % srv.dns_port, log), \
        log[-3000:]
    assert "AXFR-style" not in log
    data = wait_for(lambda: same_data(srv, knot, ZONE), what="identical AXFRs after IXFR")
    assert any(line.startswith("new.%s." % ZONE) for line in data)
    assert any(line.startswith("txt.%s. 900 TXT" % ZONE) for line in data)
    assert not any(line.startswith("ns.sub.%s." % ZONE) for line in data)
    served = srv.log_text()
    assert "outgoing IXFR to" in served and "outgoing AXFR to" in served


def test_tsig(server_factory, bare_server, knots):
    srv = bare_server
    key = srv.cli("tsig-key", "create", "--name", "xfr.key.test")
    assert key["algorithm"] == "hmac-sha256" and len(key["secret"]) == 44
    listed = srv.cli("tsig-key", "list")
    assert [k["name"] for k in listed] == ["xfr.key.test"] and "secret" not in listed[0]
    other = srv.cli("tsig-key", "create", "--name", "other.key.test", "--algorithm",
                    "hmac-sha512")
    assert len(other["secret"]) == 88
    kport = free_port(udp_too=True)
    srv.serve_args.update({"--transfer-allow": "127.0.0.1@xfr.key.test",
                           "--notify": "127.0.0.1:%d@xfr.key.test" % kport})
    srv.start()
    fill_zone(srv, ZONE)
    knot = knots(srv.dns_port, port=kport, zones=[ZONE],
                 key=("xfr.key.test", "hmac-sha256", key["secret"])).start()
    good = "hmac-sha256:xfr.key.test:%s" % key["secret"]
    wait_for(lambda: knot.has_serial(ZONE, serial_of(srv, ZONE)), what="knotd's signed AXFR")
    wait_for(lambda: same_data(srv, knot, ZONE, key=good), what="identical AXFRs")
    # a change: a signed NOTIFY, a signed IXFR
    add_record(srv, ZONE, "signed", "TXT", "ixfr with tsig")
    after = serial_of(srv, ZONE)
    wait_for(lambda: knot.has_serial(ZONE, after), what="knotd at the new serial")
    assert re.search(r"IXFR, incoming, remote 127\.0\.0\.1@%d, finished" % srv.dns_port,
                     knot.log())
    wait_for(lambda: same_data(srv, knot, ZONE, key=good), what="identical AXFRs after IXFR")
    # kdig checks our signatures on every message; a many-message AXFR proves the chain
    for i in range(300):
        add_record(srv, ZONE, "bulk%03d" % i, "TXT", "x" * 200)
    out = kdig(srv.dns_port, "-y", good, ZONE, "AXFR")
    assert ";; ERROR" not in out and ";; WARNING" not in out, out[-1500:]
    assert int(re.search(r"\((\d+) messages", out).group(1)) >= 2, out[-500:]
    # refused: unsigned (the ACL names the key), a wrong secret, an unknown key, the other key
    assert rcode_of(kdig(srv.dns_port, ZONE, "AXFR")) == "REFUSED"
    wrong = "hmac-sha256:xfr.key.test:%s" % ("A" * 43 + "=")
    out = kdig(srv.dns_port, "-y", wrong, ZONE, "AXFR")
    assert rcode_of(out) == "BADSIG", out  # NOTAUTH with TSIG error BADSIG (RFC 8945 5.2.1)
    out = kdig(srv.dns_port, "-y", "hmac-sha256:nobody.key.test:%s" % key["secret"], ZONE, "AXFR")
    assert rcode_of(out) == "BADKEY", out  # NOTAUTH with TSIG error BADKEY (RFC 8945 5.2.2)
    out = kdig(srv.dns_port, "-y", "hmac-sha512:other.key.test:%s" % other["secret"], ZONE, "AXFR")
    assert rcode_of(out) == "REFUSED", out
    # a plain query signed with a key is answered, and signed
    out = kdig(srv.dns_port, "-y", good, "www.%s" % ZONE, "A")
    assert rcode_of(out) == "NOERROR" and ";; WARNING" not in out and "TSIG" in out, out
    # knotd with a wrong secret gets nothing
    bad = knots(srv.dns_port, zones=[ZONE], key=("xfr.key.test", "hmac-sha256", "A" * 43 + "="))
    bad.start()
    wait_for(lambda: "refresh, failed" in bad.log() or "BADSIG" in bad.log(),
             what="knotd's refresh with a wrong key to fail")
    assert soa_serial(bad.port, ZONE) is None
    # deleting a key
    assert srv.cli("tsig-key", "delete", "other.key.test")["deleted"] is True
    assert [k["name"] for k in srv.cli("tsig-key", "list")] == ["xfr.key.test"]


def test_address_not_allowed(server_factory):
    srv = server_factory(serve_args={"--transfer-allow": "10.0.0.0/8,192.0.2.1"})
    api(srv, "POST", "/domains", 201, json={"name": ZONE})
    assert rcode_of(kdig(srv.dns_port, ZONE, "AXFR")) == "REFUSED"
    serial = serial_of(srv, ZONE)
    assert rcode_of(kdig(srv.dns_port, ZONE, "IXFR=%d" % (serial - 1))) == "REFUSED"
    assert rcode_of(kdig(srv.dns_port, ZONE, "IXFR=%d" % (serial - 1), "+notcp")) == "REFUSED"
    # AXFR over UDP is never served (RFC 5936 4.2)
    assert rcode_of(kdig(srv.dns_port, ZONE, "AXFR", "+notcp")) in ("NOTIMP", "NOTIMPL")
    assert "refused (transfer-allow, key none)" in srv.log_text()


def zone_changes(srv, zone):
    db = sqlite3.connect(os.path.join(srv.data_dir, "nameplate.db"), timeout=10)
    try:
        return db.execute("SELECT count(*) FROM zone_changes c JOIN zones z ON z.id = c.zone_id "
                          "WHERE z.name = ?", (zone,)).fetchone()[0]
    finally:
        db.close()


def test_ixfr_history_trimmed_falls_back_to_axfr(server_factory, knots):
    kport = free_port(udp_too=True)
    srv = server_factory(serve_args={"--transfer-allow": "127.0.0.1", "--ixfr-history": "3",
                                     "--notify": "127.0.0.1:%d" % kport})
    fill_zone(srv, ZONE)
    knot = knots(srv.dns_port, port=kport, zones=[ZONE]).start()
    wait_for(lambda: knot.has_serial(ZONE, serial_of(srv, ZONE)), what="knotd's first AXFR")
    old = serial_of(srv, ZONE)
    knot.stop()
    for i in range(6):
        add_record(srv, ZONE, "late%d" % i, "A", "192.0.2.%d" % (100 + i))
    # the change log keeps 3 rows of the zone (trimmed within a second or so)
    wait_for(lambda: zone_changes(srv, ZONE) <= 3, what="the change log trimmed to 3 rows")
    # a client at the old serial gets the whole zone (AXFR style), one a change behind an IXFR
    text = kdig(srv.dns_port, ZONE, "IXFR=%d" % old, "+noall", "+answer")
    lines = rr_lines(text)
    assert " SOA " in lines[0] and " SOA " not in lines[1], text
    prev = serial_of(srv, ZONE)
    add_record(srv, ZONE, "one", "A", "192.0.2.1")
    lines = rr_lines(kdig(srv.dns_port, ZONE, "IXFR=%d" % prev, "+noall", "+answer"))
    assert " SOA " in lines[1] and str(prev) in lines[1], lines  # the old SOA: a difference
    # knotd, back at the old serial, asks IXFR and gets the zone AXFR-style
    knot.start()
    latest = serial_of(srv, ZONE)
    wait_for(lambda: knot.has_serial(ZONE, latest), what="knotd after the fallback")
    assert "AXFR-style IXFR" in knot.log(), knot.log()[-3000:]
    wait_for(lambda: same_data(srv, knot, ZONE), what="identical AXFRs")
    # the history survives a restart: read back from the change log
    before = serial_of(srv, ZONE)
    add_record(srv, ZONE, "two", "A", "192.0.2.2")
    srv.stop()
    srv.start()
    lines = rr_lines(kdig(srv.dns_port, ZONE, "IXFR=%d" % before, "+noall", "+answer"))
    assert len(lines) >= 4 and str(before) in lines[1], lines
    assert any(line.startswith("two.%s." % ZONE) for line in lines)


def test_catalog_zone(server_factory, knots):
    kport = free_port(udp_too=True)
    srv = server_factory(serve_args={"--transfer-allow": "127.0.0.1", "--catalog-zone": CATALOG,
                                     "--notify": "127.0.0.1:%d" % kport})
    api(srv, "POST", "/domains", 201, json={"name": "first.cat.test"})
    cat = wait_for(lambda: try_axfr(srv.dns_port, CATALOG), what="the catalog zone")
    assert any(line.startswith("version.%s. 0 TXT \"2\"" % CATALOG) for line in cat), cat
    assert any(re.match(r"[0-9a-f]{40}\.zones\.%s\. 0 PTR first\.cat\.test\.$"
                        % re.escape(CATALOG), line) for line in cat), cat
    knot = knots(srv.dns_port, port=kport, catalog=CATALOG).start()
    wait_for(lambda: soa_serial(knot.port, "first.cat.test") is not None,
             what="knotd serving the member zone")
    # a zone created through the API appears on knotd
    api(srv, "POST", "/domains", 201, json={"name": "second.cat.test"})
    add_record(srv, "second.cat.test", "www", "A", "192.0.2.7")
    wait_for(lambda: soa_serial(knot.port, "second.cat.test") == serial_of(srv, "second.cat.test"),
             what="knotd serving the new zone")
    wait_for(lambda: same_data(srv, knot, "second.cat.test"), what="the new zone's data")
    # a deleted one disappears
    api(srv, "DELETE", "/domains/first.cat.test", 204)
    wait_for(lambda: soa_serial(knot.port, "first.cat.test") is None,
             what="knotd dropping the deleted zone")
    # the catalog changed by IXFR: knotd asked for the difference
    assert re.search(r"\[%s\.\] IXFR, incoming" % re.escape(CATALOG), knot.log()), \
        knot.log()[-3000:]
