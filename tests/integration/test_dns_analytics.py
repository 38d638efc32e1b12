"""DNS analytics (issue 5): queries answered by the dns role are counted per zone, UTC day
and node, flushed to the store every `analytics-flush-seconds` and at shutdown, and read
back through queryDnsAnalytics (content/v2/dns-analytics.md) with its groupings, date
filters, sorting and pagination.

Counts are checked exactly: the zones under test get no query before the test sends its
own (the server is known to be ready through a separate probe zone, created last).
Every response goes through check(); grouped responses are compared with the fixture.
"""

import datetime
import os
import socket
import sqlite3
import struct
import time

import dns.exception
import dns.message
import dns.query
import dns.rcode
import pytest

from npt import check, load_fixture, paths
from npt.contract import shape_diff
from npt.server import Server, binary_exists

pytestmark = pytest.mark.server

HOST = "127.0.0.1"
WAIT = 15.0  # seconds any loop here waits for a flush to show
PID = os.getpid()
ONE = "an-one-%d.test" % PID
TWO = "an-two-%d.test" % PID
QUIET = "an-quiet-%d.test" % PID    # hosted, never asked
PROBE = "an-probe-%d.test" % PID    # asked until served: proves the others are loaded
# (name, type, over TCP) -> how many times; NXDOMAIN and NODATA answers count too
ASKS = {
    ONE: [("%s." % ONE, "SOA", False, 23), ("www.%s." % ONE, "A", False, 9),
          ("NoSuch.%s." % ONE.upper(), "A", False, 4), ("%s." % ONE, "NS", True, 6)],
    TWO: [("%s." % TWO, "SOA", False, 5), ("deep.er.%s." % TWO, "TXT", True, 3)],
}
PIPELINED = {ONE: 11, TWO: 7}  # over one TCP connection each, all sent before reading
WANT = {z: sum(n for *_, n in ASKS[z]) + PIPELINED[z] for z in ASKS}


def utc_today():
    return datetime.datetime.now(datetime.timezone.utc).date()


def ask(port, qname, rdtype, tcp=False):
    q = dns.message.make_query(qname, rdtype)
    if tcp:
        return dns.query.tcp(q, HOST, port=port, timeout=2.0)
    return dns.query.udp(q, HOST, port=port, timeout=2.0)


def pipelined(port, qname, count):
    """count queries on one TCP connection, written at once, then every answer read."""
    qs = [dns.message.make_query(qname, "A") for _ in range(count)]
    wire = b"".join(struct.pack("!H", len(w)) + w for w in (q.to_wire() for q in qs))
    with socket.create_connection((HOST, port), timeout=2.0) as s:
        s.sendall(wire)
        for _ in qs:
            size = struct.unpack("!H", s.recv(2, socket.MSG_WAITALL))[0]
            r = dns.message.from_wire(s.recv(size, socket.MSG_WAITALL))
            assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN)


def send_queries(port):
    for zone, asks in ASKS.items():
        for qname, rdtype, tcp, n in asks:
            for _ in range(n):
                r = ask(port, qname, rdtype, tcp)
                assert r.rcode() in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN), r.to_text()
        pipelined(port, "p.%s." % zone, PIPELINED[zone])
    # not ours: REFUSED, never counted
    for _ in range(5):
        assert ask(port, "elsewhere.invalid.", "A").rcode() == dns.rcode.REFUSED


class Api:
    def __init__(self, s, token=None, account_id=None):
        self.s = s
        self.token = token or s.token
        self.account_id = account_id or s.account_id

    def analytics(self, status=200, **params):
        r = self.s.get("/v2/%s/dns_analytics" % self.account_id, token=self.token,
                       params=params)
        assert r.status_code == status, (params, r.status_code, r.text[:400])
        return check(r, "queryDnsAnalytics")

    def call(self, method, path, status, **kw):
        r = self.s.request(method, "/v2/%s%s" % (self.account_id, path), token=self.token, **kw)
        assert r.status_code == status, (method, path, r.status_code, r.text[:400])
        return r


def today_range():
    """start_date and end_date that hold today (UTC) even across a midnight."""
    t = utc_today()
    return {"start_date": (t - datetime.timedelta(days=1)).isoformat(),
            "end_date": (t + datetime.timedelta(days=1)).isoformat()}


def by_zone(api, **params):
    body = api.analytics(groupings="zone_name", **dict(today_range(), **params))
    assert body["data"]["headers"] == ["zone_name", "volume"]
    return {row[0]: row[1] for row in body["data"]["rows"]}


def wait_for(api, want, bound=WAIT):
    """Poll until the per-zone counts include `want` exactly; returns the counts."""
    deadline = time.monotonic() + bound
    got = {}
    while time.monotonic() < deadline:
        got = by_zone(api)
        if all(got.get(z) == n for z, n in want.items()):
            return got
        assert all(got.get(z, 0) <= n for z, n in want.items()), ("counted too much", got, want)
        time.sleep(0.2)
    pytest.fail("counts never reached %r within %ss: %r" % (want, bound, got), pytrace=False)


def compare_analytics_fixture(body):
    """compare_fixture() for this operation: its rows are tuples of cells of different
    types, which compare_fixture's rule (every element like the fixture's first) cannot
    express. Everything but the rows goes through shape_diff; each cell is compared with
    the fixture's cell under the same header."""
    fx = load_fixture("dnsAnalytics/success.http").json()
    strip = lambda b: dict(b, data={"headers": b["data"]["headers"], "rows": []})
    diffs = shape_diff(strip(body), strip(fx))
    fx_cell = dict(zip(fx["data"]["headers"], fx["data"]["rows"][0]))
    for i, row in enumerate(body["data"]["rows"]):
        assert len(row) == len(body["data"]["headers"]), row
        for h, cell in zip(body["data"]["headers"], row):
            diffs += shape_diff(cell, fx_cell[h], "$.data.rows[%d].%s" % (i, h))
    assert not diffs, diffs


def new_server(tmp_path_factory, tag, serve_args):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    s = Server(tmp_path_factory.mktemp(tag), binary=binary, serve_args=serve_args)
    s.bootstrap()
    return s


def wait_served(s, zone, bound=WAIT):
    deadline = time.monotonic() + bound
    while time.monotonic() < deadline:
        try:
            if ask(s.dns_port, zone + ".", "SOA").answer:
                return
        except dns.exception.Timeout:
            pass
        time.sleep(0.02)
    pytest.fail("%s never served\n%s" % (zone, s.log_text()[-3000:]), pytrace=False)


def create_zones(s, names):
    api = Api(s)
    for name in names:
        api.call("POST", "/domains", 201, json={"name": name})


@pytest.fixture(scope="module")
def counted(tmp_path_factory):
    """A server (2 workers of each kind, flushed every second) after the test's queries
    are flushed. Yields (server, per-zone counts)."""
    s = new_server(tmp_path_factory, "analytics", {
        "--analytics-flush-seconds": "1", "--dns-workers": "2", "--node": "node-a",
        "--region": "AMS"})
    s.start()
    create_zones(s, [ONE, TWO, QUIET, PROBE])
    wait_served(s, PROBE)
    send_queries(s.dns_port)
    got = wait_for(Api(s), WANT)
    yield s, got
    s.stop(check=True)


def test_counts_are_exact_and_flushed_once(counted):
    s, got = counted
    assert QUIET not in got, got
    assert got[PROBE] >= 1
    time.sleep(2.5)  # a few more flushes: nothing counted twice
    assert by_zone(Api(s)) == got


def test_no_groupings_is_the_account_total(counted):
    s, got = counted
    body = Api(s).analytics(**today_range())
    assert body["data"] == {"headers": ["volume"], "rows": [[sum(got.values())]]}
    assert body["query"]["groupings"] is None
    assert body["pagination"] == {"current_page": 1, "per_page": 1000, "total_entries": 1,
                                  "total_pages": 1}


def test_groupings(counted):
    s, got = counted
    api = Api(s)
    rng = today_range()
    body = api.analytics(groupings="date", **rng)
    assert body["data"]["headers"] == ["date", "volume"]
    assert sum(r[1] for r in body["data"]["rows"]) == sum(got.values())
    assert {r[0] for r in body["data"]["rows"]} <= {rng["start_date"], utc_today().isoformat(),
                                                    rng["end_date"]}
    for groupings, cols in (("zone_name,date", ["zone_name", "date", "volume"]),
                            ("date,zone_name", ["date", "zone_name", "volume"]),
                            ("zone_name,volume,date,zone_name", ["zone_name", "date", "volume"])):
        body = api.analytics(groupings=groupings, **rng)
        assert body["data"]["headers"] == cols
        zi = cols.index("zone_name")
        per_zone = {}
        for row in body["data"]["rows"]:
            per_zone[row[zi]] = per_zone.get(row[zi], 0) + row[-1]
        assert per_zone == got
        compare_analytics_fixture(body)
    body = api.analytics(groupings="zone_name,date", **rng)
    assert body["query"]["groupings"] == "zone_name,date"
    assert body["query"]["sort"] == "date:asc,zone_name:asc"   # the documented default
    assert [(r[1], r[0]) for r in body["data"]["rows"]] == sorted(
        (r[1], r[0]) for r in body["data"]["rows"])


def test_dates(counted):
    s, got = counted
    api = Api(s)
    today = utc_today()
    # inclusive: a one-day range of today holds everything
    one_day = api.analytics(groupings="zone_name", start_date=today.isoformat(),
                            end_date=today.isoformat())
    if utc_today() == today:  # not across a midnight
        assert {r[0]: r[1] for r in one_day["data"]["rows"]} == got
    past = api.analytics(groupings="zone_name", start_date="2023-12-08", end_date="2024-01-08")
    assert past["data"]["rows"] == []
    assert past["query"]["start_date"] == "2023-12-08"
    assert past["query"]["end_date"] == "2024-01-08"
    assert past["pagination"]["total_entries"] == 0
    # the defaults: 31 days ago to yesterday, so nothing of today
    dflt = api.analytics()
    if utc_today() == today:
        assert dflt["query"]["start_date"] == (today - datetime.timedelta(days=31)).isoformat()
        assert dflt["query"]["end_date"] == (today - datetime.timedelta(days=1)).isoformat()
        assert dflt["data"]["rows"] == [[0]]
    for bad in ({"start_date": "2024-02-30"}, {"end_date": "yesterday"},
                {"start_date": "2024-1-01", "end_date": "2024-01-08"},
                {"start_date": "2024-01-09", "end_date": "2024-01-08"},
                {"start_date": "2023-12-07", "end_date": "2024-01-08"}):
        body = api.analytics(400, **bad)
        assert body["errors"], body


def test_sorting(counted):
    s, got = counted
    api = Api(s)
    rng = today_range()
    rows = api.analytics(groupings="zone_name", sort="volume:desc", **rng)["data"]["rows"]
    assert [r[1] for r in rows] == sorted(got.values(), reverse=True)
    body = api.analytics(groupings="zone_name", sort="zone_name:desc", **rng)
    assert [r[0] for r in body["data"]["rows"]] == sorted(got, reverse=True)
    assert body["query"]["sort"] == "zone_name:desc"
    body = api.analytics(groupings="zone_name", sort="volume:asc,zone_name:asc", **rng)
    assert [r[0] for r in body["data"]["rows"]] == sorted(got, key=lambda z: (got[z], z))
    # date is not grouped here: nothing to sort by, ignored
    api.analytics(groupings="zone_name", sort="date:desc", **rng)
    for bad in ("size:asc", "volume:up"):
        api.analytics(400, groupings="zone_name", sort=bad, **rng)


def test_pagination(counted):
    s, got = counted
    api = Api(s)
    rng = today_range()
    names = sorted(got)
    seen = []
    for page in range(1, len(names) + 2):
        body = api.analytics(groupings="zone_name", sort="zone_name:asc", per_page=1, page=page,
                             **rng)
        assert body["pagination"] == {"current_page": page, "per_page": 1,
                                      "total_entries": len(names), "total_pages": len(names)}
        assert body["query"]["page"] == page and body["query"]["per_page"] == 1
        seen += [r[0] for r in body["data"]["rows"]]
    assert seen == names
    # page=0 (as the fixture's request) is the first page; per_page is clamped to 10,000
    body = api.analytics(groupings="zone_name", sort="zone_name:asc", page=0, per_page=100000,
                         **rng)
    assert body["pagination"]["current_page"] == 0 and body["query"]["page"] == 0
    assert body["pagination"]["per_page"] == 10000
    assert [r[0] for r in body["data"]["rows"]] == names
    for bad in ({"page": "-1"}, {"per_page": "0"}, {"page": "x"}, {"groupings": "node"}):
        api.analytics(400, **bad)


def test_fixture_request(counted):
    """The request the official clients replay with the fixture answers in its shape."""
    s, _ = counted
    body = Api(s).analytics(page=0, per_page=100, start_date="2023-12-08",
                            end_date="2024-01-08", groupings="zone_name,date",
                            sort="zone_name:asc,date:asc")
    fx = load_fixture("dnsAnalytics/success.http").json()
    assert body["query"] == dict(fx["query"], account_id=s.account_id)
    assert body["data"]["headers"] == fx["data"]["headers"]
    compare_analytics_fixture(body)


def test_node_and_region_are_stored(counted):
    s, got = counted
    db = sqlite3.connect("file:%s/nameplate.db?mode=ro" % s.data_dir, uri=True)
    try:
        rows = db.execute("SELECT zone_name, node, region, sum(volume) FROM dns_analytics "
                          "WHERE zone_name IN (?, ?) GROUP BY zone_name, node, region",
                          (ONE, TWO)).fetchall()
    finally:
        db.close()
    assert sorted(rows) == sorted((z, "node-a", "AMS", WANT[z]) for z in (ONE, TWO))


def test_accounts_scopes_and_roles(counted):
    s, got = counted
    other = s.create_account("Other", "other-an@example.com")
    other_token = s.create_token(account=other["id"])["token"]
    # another account: its own (empty) analytics; ours is not found
    body = Api(s, other_token, other["id"]).analytics(groupings="zone_name", **today_range())
    assert body["data"]["rows"] == []
    Api(s, other_token).analytics(404)
    # token scopes: zones read
    zones_read = s.create_token(account=s.account_id, scopes=["zones:*:read"])["token"]
    assert by_zone(Api(s, zones_read)) == got
    domains_only = s.create_token(account=s.account_id, scopes=["domains:*:read"])["token"]
    r = s.get("/v2/%s/dns_analytics" % s.account_id, token=domains_only)
    assert r.status_code == 403 and "zones:*:read" in check(r)["message"]
    # a zone operator sees the zones granted to it only
    s.create_user("zo-an@example.com")
    s.add_member(s.account_id, "zo-an@example.com", role="zone-operator", zones=[ONE])
    zo = s.create_token(user="zo-an@example.com")["token"]
    assert by_zone(Api(s, zo)) == {ONE: got[ONE]}
    s.add_member(s.account_id, "zo-an@example.com", role="domain-manager", domains=[TWO])
    assert by_zone(Api(s, zo)) == {TWO: got[TWO]}


def test_deleted_zone_keeps_its_name(counted):
    s, got = counted
    api = Api(s)
    api.call("DELETE", "/domains/%s" % TWO, 204)
    # Answers given before the DNS node drops the zone still count for it (after the
    # deletion, through the zone's earlier rows).
    late = 0
    deadline = time.monotonic() + WAIT
    while ask(s.dns_port, TWO + ".", "SOA").rcode() != dns.rcode.REFUSED:
        late += 1
        assert time.monotonic() < deadline, "deleted zone still served"
        time.sleep(0.02)
    for _ in range(4):
        ask(s.dns_port, TWO + ".", "SOA")  # REFUSED: not counted any more
    for _ in range(3):
        ask(s.dns_port, ONE + ".", "SOA")
    after = wait_for(api, {ONE: got[ONE] + 3, TWO: got[TWO] + late})
    time.sleep(1.5)
    assert by_zone(api) == after


def test_sigterm_flushes_the_rest(tmp_path_factory):
    """With a flush interval of an hour only the shutdown flush can have written the
    counts: none are visible while the server runs, all of them after a restart."""
    s = new_server(tmp_path_factory, "analytics-stop", {
        "--analytics-flush-seconds": "3600", "--dns-workers": "3"})
    s.start()
    try:
        create_zones(s, [ONE, TWO, PROBE])
        wait_served(s, PROBE)
        send_queries(s.dns_port)
        time.sleep(1.0)
        assert ONE not in by_zone(Api(s)), "flushed before the interval"
    finally:
        s.stop(check=True)
    assert "dns analytics" in s.log_text()
    s.start()
    try:
        got = by_zone(Api(s))
        assert {z: got.get(z) for z in WANT} == WANT
        # and a second shutdown adds nothing twice
        s.stop(check=True)
        s.start()
        assert {z: by_zone(Api(s)).get(z) for z in WANT} == WANT
    finally:
        s.stop(check=True)
