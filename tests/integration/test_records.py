"""Zone records: listZoneRecords, createZoneRecord, getZoneRecord, updateZoneRecord,
deleteZoneRecord (content/v2/zones/records.md), the record rules (types, content, priority,
TTL, CNAME, duplicates, system records), regions and plans, and the zone serial.

Every response goes through check() (openapi.yml). Records of types beyond DNSimple's
ZoneRecordType enum (HTTPS, SVCB, TLSA, ..., TYPEnnn) are a documented extension: their
responses are validated against the same spec with only that enum widened (check_ext).

One server per module; every test works in zones of its own, so tests do not see each
other's records. Tests that need other settings start their own server.
"""

import functools
import itertools
import json
import os
import sqlite3
import threading

import pytest

from npt import check, compare_fixture, paths
from npt.contract import (GENERIC_ERROR_SCHEMA, JSON_CONTENT_TYPE, SPEC_OVERRIDES, Contract,
                          check_headers, contract, normalize_content_type)
from npt.server import Server, binary_exists

pytestmark = pytest.mark.server

# ------------------------------------------------------------------ helpers

EXTENSION_TYPES = ["HTTPS", "SVCB", "TLSA", "DNAME", "URI", "LOC", "CERT", "SMIMEA",
                   "OPENPGPKEY", "TYPE65000"]


@functools.lru_cache(maxsize=1)
def _relaxed_contract():
    """openapi.yml (with the usual overrides) whose ZoneRecordType enum also has the
    extension types; nothing else differs."""
    enum = list(contract().spec["components"]["schemas"]["ZoneRecordType"]["enum"])
    patch = ("/components/schemas/ZoneRecordType/enum", enum + EXTENSION_TYPES, [],
             "documented extension: record types beyond DNSimple's list")
    return Contract.load(overrides=list(SPEC_OVERRIDES) + [patch])


def check_ext(resp):
    """check() for responses that may hold records of the extension types."""
    return _relaxed_contract().check(resp)


def check_412(resp):
    """A plan-feature refusal. records.md and batch-change-zone-records.md document 412,
    but openapi.yml lists no 412 for these operations, so check() cannot validate it:
    the same header and generic-error checks, by hand."""
    assert resp.status_code == 412, (resp.status_code, resp.text[:300])
    check_headers(resp)
    assert normalize_content_type(resp.headers.get("Content-Type", "")) == JSON_CONTENT_TYPE
    body = resp.json()
    contract().validate(body, GENERIC_ERROR_SCHEMA, "body of 412")
    assert body["message"].strip()
    return body


_seq = itertools.count(1)


def uniq(tag):
    return "%s-%d-%d.test" % (tag, os.getpid() % 1000, next(_seq))


class Api:
    """Requests on /v2/{account}... with one token; every response checked."""

    def __init__(self, server, token=None, account=None):
        self.s = server
        self.token = server.token if token is None else token
        self.account = server.account_id if account is None else account

    def raw(self, method, path, **kw):
        return self.s.request(method, "/v2/%s%s" % (self.account, path), token=self.token,
                              **kw)

    def call(self, method, path, checker=check, **kw):
        r = self.raw(method, path, **kw)
        return r, checker(r)

    def ok(self, method, path, status=200, checker=check, **kw):
        r, body = self.call(method, path, checker=checker, **kw)
        assert r.status_code == status, (method, path, r.status_code, body)
        return body

    # domains/zones
    def new_zone(self, tag="z"):
        name = uniq(tag)
        self.ok("POST", "/domains", 201, json={"name": name})
        return name

    # records
    def create(self, zone, checker=check, **rec):
        return self.ok("POST", "/zones/%s/records" % zone, 201, checker=checker, json=rec)["data"]

    def create_fails(self, zone, checker=check, **rec):
        r, body = self.call("POST", "/zones/%s/records" % zone, checker=checker, json=rec)
        assert r.status_code == 400, (rec, r.status_code, body)
        assert body["message"] == "Validation failed", body
        assert isinstance(body.get("errors"), dict) and body["errors"], body
        return body["errors"]

    def records(self, zone, query="", checker=check):
        """Every record of a zone (walks the pages)."""
        out, page = [], 1
        while True:
            sep = "&" if query else ""
            body = self.ok("GET", "/zones/%s/records?per_page=100&page=%d%s%s"
                           % (zone, page, sep, query), checker=checker)
            out += body["data"]
            if page >= body["pagination"]["total_pages"]:
                return out
            page += 1

    def serial(self, zone):
        soa = self.ok("GET", "/zones/%s/records?type=SOA" % zone)["data"]
        assert len(soa) == 1, soa
        return int(soa[0]["content"].split()[2])

    def zone_file(self, zone, checker=check):
        return self.ok("GET", "/zones/%s/file" % zone, checker=checker)["data"]["zone"]


def start_server(tmp_path_factory, name, serve_args=None, env=None):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    s = Server(tmp_path_factory.mktemp(name), binary=binary, serve_args=serve_args, env=env)
    s.bootstrap()
    s.start()
    return s


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    # test_concurrent_writers_lose_nothing reads one change-log row per change (140): the
    # dns role trims the log to ixfr-history rows (default 100) whenever it gets to it
    s = start_server(tmp_path_factory, "records", serve_args={"--ixfr-history": "1000"})
    yield s
    s.stop(check=True)


@pytest.fixture
def api(srv):
    return Api(srv)


def user_records(records):
    return [r for r in records if not r["system_record"]]


# ----------------------------------------------------------------- the types

# (name, type, content, priority or None, expected normalized content or None).
# None: the normalized form is not pinned; it must be stable (sending it back gives it
# back). Expected forms follow the content rules of src/dns/wire/rr.h.
DNSIMPLE_TYPES = [
    ("www", "A", "192.0.2.1", None, "192.0.2.1"),
    ("www", "AAAA", "2001:db8::1", None, "2001:db8::1"),
    ("", "ALIAS", "target.example.net", None, "target.example.net"),
    ("", "CAA", '0 issue "letsencrypt.org"', None, '0 issue "letsencrypt.org"'),
    ("alias", "CNAME", "www.example.net", None, "www.example.net"),
    ("", "DNSKEY", "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
     "e+MAnLr+Wi9xMWyQLc8NAA==", None,
     "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+"
     "e+MAnLr+Wi9xMWyQLc8NAA=="),
    ("sub", "DS", "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", None,
     "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118"),
    ("", "HINFO", '"PC" "Linux"', None, '"PC" "Linux"'),
    ("", "MX", "mx.example.com", 10, "mx.example.com"),
    ("", "NAPTR", '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .', None,
     '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .'),
    ("sub", "NS", "ns1.example.net", None, "ns1.example.net"),
    ("pool", "POOL", "a.example.net", None, "a.example.net"),
    ("ptr", "PTR", "host.example.com", None, "host.example.com"),
    ("", "SPF", "v=spf1 -all", None, '"v=spf1 -all"'),
    ("_sip._tcp", "SRV", "10 5060 sip.example.com", 20, "10 5060 sip.example.com"),
    ("", "SSHFP", "1 1 123456789ABCDEF67890123456789ABCDEF67890", None,
     "1 1 123456789ABCDEF67890123456789ABCDEF67890"),
    ("", "TXT", "hello world", None, '"hello world"'),
    ("go", "URL", "https://example.net/path", None, "https://example.net/path"),
]

SHA256_HEX = "0123456789ABCDEF" * 4

EXTENSION_RECORDS = [
    ("", "HTTPS", '1 . alpn="h2,h3"', None, None),
    ("_svc", "SVCB", "1 svc.example.net. port=8443", None, None),
    ("_443._tcp", "TLSA", "3 1 1 " + SHA256_HEX, None, "3 1 1 " + SHA256_HEX),
    ("legacy", "DNAME", "example.net", None, "example.net"),
    ("_http._tcp", "URI", '10 1 "https://example.net/"', None, None),
    ("", "LOC", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m", None, None),
    ("", "CERT", "1 0 0 AQIDBA==", None, None),
    ("abc._smimecert", "SMIMEA", "3 1 1 " + SHA256_HEX, None, "3 1 1 " + SHA256_HEX),
    ("abc._openpgpkey", "OPENPGPKEY", "AQIDBAUGBwg=", None, None),
    ("x", "TYPE65000", r"\# 2 abcd", None, r"\# 2 ABCD"),
]

# (type, name, bad content, priority) -> 400 with errors.content
INVALID_CONTENT = [
    ("A", "www", "999.1.1.1", None),
    ("A", "www", "2001:db8::1", None),
    ("AAAA", "www", "192.0.2.1", None),
    ("ALIAS", "", "*.example.net", None),
    ("ALIAS", "", "two words", None),
    ("CAA", "", '256 issue "letsencrypt.org"', None),
    ("CNAME", "alias", "not a host", None),
    ("DNSKEY", "", "257 3 13 !!!not-base64!!!", None),
    ("DS", "sub", "60485 5 1 XYZ", None),
    ("HINFO", "", '"only-one"', None),
    ("MX", "", "mx..example.com", 10),
    ("NAPTR", "", "100 10 U", None),
    ("NS", "sub", "ns..example.net", None),
    ("POOL", "pool", "*.example.net", None),
    ("PTR", "ptr", "a..b", None),
    ("SPF", "", "v=spf1\n-all", None),
    ("SRV", "_sip._tcp", "10 5060", 20),
    ("SSHFP", "", "1 1 XYZ", None),
    ("TXT", "", "line1\nline2", None),
    ("URL", "go", "https://bad host/", None),
    ("TLSA", "_443._tcp", "3 1 1 XYZ", None),
    ("TYPE65000", "x", r"\# 3 abcd", None),
    ("HTTPS", "", "x . alpn=h2", None),
    ("A", "www", "192.0.2.1 ; comment", None),
]


def body_of(name, rtype, content, prio, ttl=None):
    b = {"name": name, "type": rtype, "content": content}
    if prio is not None:
        b["priority"] = prio
    if ttl is not None:
        b["ttl"] = ttl
    return b


def _assert_record(r, zone, name, rtype, expect, prio):
    assert r["zone_id"] == zone
    assert r["name"] == name
    assert r["type"] == rtype
    if expect is not None:
        assert r["content"] == expect, (rtype, r["content"])
    assert r["ttl"] == 3600
    assert r["regions"] == ["global"]
    assert r["system_record"] is False
    assert r["parent_id"] is None
    if rtype in ("MX", "SRV"):
        assert r["priority"] == prio
    else:
        assert r["priority"] is None


def test_create_every_dnsimple_type(api):
    zone = api.new_zone("types")
    made = {}
    for name, rtype, content, prio, expect in DNSIMPLE_TYPES:
        r, body = api.call("POST", "/zones/%s/records" % zone,
                           json=body_of(name, rtype, content, prio))
        assert r.status_code == 201, (rtype, body)
        compare_fixture(body, "createZoneRecord/created.http")
        _assert_record(body["data"], zone, name, rtype, expect, prio)
        made[body["data"]["id"]] = body["data"]
        got = api.ok("GET", "/zones/%s/records/%d" % (zone, body["data"]["id"]))
        # getZoneRecord's fixture is an MX record (an integer priority)
        compare_fixture(got, "getZoneRecord/success.http" if prio is not None
                        else "createZoneRecord/created.http")
        assert got["data"] == body["data"]
    listed = {r["id"]: r for r in user_records(api.records(zone))}
    assert listed == made
    assert sorted(r["type"] for r in listed.values()) == sorted(t[1] for t in DNSIMPLE_TYPES)


def test_create_extension_types(api):
    zone = api.new_zone("ext")
    for name, rtype, content, prio, expect in EXTENSION_RECORDS:
        r = api.raw("POST", "/zones/%s/records" % zone, json=body_of(name, rtype, content, prio))
        body = check_ext(r)
        assert r.status_code == 201, (rtype, body)
        rec = body["data"]
        _assert_record(rec, zone, name, rtype, expect, prio)
        # The normalized content is stable: sending it back changes nothing.
        again = api.ok("PATCH", "/zones/%s/records/%d" % (zone, rec["id"]), checker=check_ext,
                       json={"content": rec["content"]})["data"]
        assert again["content"] == rec["content"], rtype
    listed = user_records(api.records(zone, checker=check_ext))
    assert sorted(r["type"] for r in listed) == sorted(t[1] for t in EXTENSION_RECORDS)
    text = api.zone_file(zone)
    for name, rtype, *_ in EXTENSION_RECORDS:
        owner = "%s.%s." % (name, zone) if name else zone + "."
        assert any(line.startswith("%s 3600 IN %s " % (owner, rtype)) for line in
                   text.splitlines()), (rtype, text)


def test_dnsimple_types_content_is_stable(api):
    """format(parse(c)) is idempotent: PATCHing the returned content keeps it."""
    zone = api.new_zone("stable")
    for name, rtype, content, prio, _ in DNSIMPLE_TYPES:
        rec = api.create(zone, **body_of(name, rtype, content, prio))
        again = api.ok("PATCH", "/zones/%s/records/%d" % (zone, rec["id"]),
                       json={"content": rec["content"]})["data"]
        assert again["content"] == rec["content"], rtype
        assert again["priority"] == rec["priority"], rtype


@pytest.mark.parametrize("rtype,name,content,prio", INVALID_CONTENT,
                         ids=["%s-%d" % (t[0], i) for i, t in enumerate(INVALID_CONTENT)])
def test_invalid_content(api, rtype, name, content, prio):
    zone = api.new_zone("bad")
    before = api.records(zone)
    serial = api.serial(zone)
    checker = check_ext if rtype in EXTENSION_TYPES else check
    errors = api.create_fails(zone, checker=checker, **body_of(name, rtype, content, prio))
    assert list(errors) == ["content"], errors
    assert all(isinstance(m, str) and m for m in errors["content"]), errors
    assert api.records(zone) == before
    assert api.serial(zone) == serial


@pytest.mark.parametrize("rtype", ["BOGUS", "SOA", "OPT", "ANY", "AXFR", "TYPE0", ""])
def test_bad_type(api, rtype):
    zone = api.new_zone("btype")
    before = api.records(zone)
    content = "ns1.localhost hostmaster.localhost 1 86400 7200 604800 300" \
        if rtype == "SOA" else "192.0.2.1"
    errors = api.create_fails(zone, name="", type=rtype, content=content)
    assert "record_type" in errors, errors
    assert api.records(zone) == before


def test_missing_fields(api):
    zone = api.new_zone("missing")
    errors = api.create_fails(zone, name="www")
    assert "record_type" in errors and "content" in errors, errors
    assert errors["record_type"] == ["can't be blank"]
    errors = api.create_fails(zone, name="www", type="A")
    assert list(errors) == ["content"], errors
    errors = api.create_fails(zone, name="www", type="A", content="   ")
    assert list(errors) == ["content"], errors
    # A missing name is the apex (as DNSimple takes it).
    rec = api.create(zone, type="A", content="192.0.2.9")
    assert rec["name"] == ""


def test_fixture_example_apex_and_names(api):
    zone = api.new_zone("names")
    r, body = api.call("POST", "/zones/%s/records" % zone,
                       json={"name": "", "type": "A", "content": "127.0.0.1", "ttl": 600})
    assert r.status_code == 201, body
    compare_fixture(body, "createZoneRecord/created-apex.http")
    assert body["data"]["name"] == "" and body["data"]["ttl"] == 600
    assert body["data"]["created_at"] == body["data"]["updated_at"]
    rec = api.create(zone, name="@", type="A", content="127.0.0.2")
    assert rec["name"] == ""
    rec = api.create(zone, name="WWW", type="A", content="127.0.0.3")
    assert rec["name"] == "www"
    rec = api.create(zone, name="*", type="A", content="127.0.0.4")
    assert rec["name"] == "*"
    rec = api.create(zone, name="*.sub", type="A", content="127.0.0.5")
    assert rec["name"] == "*.sub"
    for bad in ("www.", "a..b", "a.*", "-x y", "a" * 64):
        errors = api.create_fails(zone, name=bad, type="A", content="127.0.0.6")
        assert list(errors) == ["name"], (bad, errors)


def test_content_rules(api):
    """The content rules of src/dns/wire/rr.h that clients see."""
    zone = api.new_zone("rules")
    # "@" in content is the zone apex; names are absolute with or without the dot
    assert api.create(zone, name="w2", type="CNAME", content="@")["content"] == zone
    assert api.create(zone, name="", type="MX", content="mx.example.com.",
                      priority=5)["content"] == "mx.example.com"
    # TXT: unquoted content is one raw string; the normalized form is quoted
    assert api.create(zone, name="q", type="TXT",
                      content='say "hi"')["content"] == r'"say \"hi\""'
    assert api.create(zone, name="multi", type="TXT",
                      content='"a b" "c"')["content"] == '"a b" "c"'
    long = api.create(zone, name="long", type="TXT", content="x" * 300)["content"]
    assert long == '"%s" "%s"' % ("x" * 255, "x" * 45), long
    # blanks around content do not matter
    assert api.create(zone, name="sp", type="A", content="  192.0.2.1 ")["content"] == \
        "192.0.2.1"
    # DKIM/SPF-style text: semicolons and backslashes in raw text are plain bytes
    dkim = api.create(zone, name="sel._domainkey", type="TXT",
                      content="v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC")
    assert dkim["content"] == '"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC"'
    spf = api.create(zone, name="", type="SPF", content="v=spf1 include:_spf.example.com; -all")
    assert spf["content"] == '"v=spf1 include:_spf.example.com; -all"'
    assert api.create(zone, name="bs", type="TXT", content="a\\b")["content"] == r'"a\\b"'
    text = api.zone_file(zone)
    assert "w2.%s. 3600 IN CNAME %s.\n" % (zone, zone) in text, text
    assert 'sel._domainkey.%s. 3600 IN TXT "v=DKIM1; k=rsa; p=' % zone in text, text


def test_records_by_zone_id(api):
    zone = api.new_zone("byid")
    zid = api.ok("GET", "/zones/%s" % zone)["data"]["id"]
    rec = api.create(str(zid), name="www", type="A", content="192.0.2.1")
    assert rec["zone_id"] == zone
    upper = api.create(zone.upper(), name="up", type="A", content="192.0.2.2")
    assert upper["zone_id"] == zone
    api.ok("DELETE", "/zones/%s/records/%d" % (zone, upper["id"]), 204)
    assert api.ok("GET", "/zones/%d/records/%d" % (zid, rec["id"]))["data"] == rec
    up = api.ok("PATCH", "/zones/%d/records/%d" % (zid, rec["id"]), json={"ttl": 900})["data"]
    assert up["ttl"] == 900 and up["zone_id"] == zone
    assert [r["id"] for r in user_records(api.records(str(zid)))] == [rec["id"]]
    api.ok("DELETE", "/zones/%d/records/%d" % (zid, rec["id"]), 204)
    assert user_records(api.records(zone)) == []


def test_update_keeps_the_apex_rules(api):
    zone = api.new_zone("upapex")
    cname = api.create(zone, name="c", type="CNAME", content="t.example.net")
    for name in ("", "@"):
        r, body = api.call("PATCH", "/zones/%s/records/%d" % (zone, cname["id"]),
                           json={"name": name})
        assert r.status_code == 400, body
    ns = api.create(zone, name="child", type="NS", content="ns.example.net")
    r, body = api.call("PATCH", "/zones/%s/records/%d" % (zone, ns["id"]), json={"name": ""})
    assert r.status_code == 400, body
    assert api.ok("GET", "/zones/%s/records/%d" % (zone, cname["id"]))["data"] == cname
    assert api.ok("GET", "/zones/%s/records/%d" % (zone, ns["id"]))["data"] == ns
    apex_ns = api.records(zone, "type=NS&name=")
    assert len(apex_ns) == 2 and all(r["system_record"] for r in apex_ns)


def test_name_like_is_literal(api):
    zone = api.new_zone("like")
    for name in ("_sip._tcp", "www", "a-b", "pct"):
        api.create(zone, name=name, type="TXT", content="x")
    assert sorted(r["name"] for r in api.records(zone, "name_like=_")) == ["_sip._tcp"]
    assert api.records(zone, "name_like=%25") == []
    assert sorted(r["name"] for r in api.records(zone, "name_like=-")) == ["a-b"]


# ------------------------------------------------------------ priority, TTL

def test_priority(api):
    zone = api.new_zone("prio")
    mx = api.create(zone, name="", type="MX", content="mx0.example.com")
    assert mx["priority"] == 0
    mx = api.create(zone, name="", type="MX", content="mx1.example.com", priority="15")
    assert mx["priority"] == 15
    srv = api.create(zone, name="_x._tcp", type="SRV", content="5 80 web.example.com")
    assert srv["priority"] == 0 and srv["content"] == "5 80 web.example.com"
    a = api.create(zone, name="zero", type="A", content="192.0.2.1", priority=0)
    assert a["priority"] is None
    before = api.records(zone)
    errors = api.create_fails(zone, name="a", type="A", content="192.0.2.2", priority=10)
    assert list(errors) == ["priority"], errors
    errors = api.create_fails(zone, name="", type="MX", content="mx2.example.com",
                              priority=70000)
    assert list(errors) == ["priority"], errors
    errors = api.create_fails(zone, name="", type="MX", content="mx2.example.com", priority=-1)
    assert list(errors) == ["priority"], errors
    errors = api.create_fails(zone, name="", type="MX", content="mx2.example.com",
                              priority="high")
    assert list(errors) == ["priority"], errors
    assert api.records(zone) == before
    # Same content, another priority: another record, not a duplicate.
    mx2 = api.create(zone, name="", type="MX", content="mx1.example.com", priority=25)
    assert mx2["priority"] == 25


def test_ttl(api):
    zone = api.new_zone("ttl")
    assert api.create(zone, name="d", type="A", content="192.0.2.1")["ttl"] == 3600
    assert api.create(zone, name="s", type="A", content="192.0.2.2", ttl="600")["ttl"] == 600
    assert api.create(zone, name="lo", type="A", content="192.0.2.3", ttl=60)["ttl"] == 60
    assert api.create(zone, name="hi", type="A", content="192.0.2.4",
                      ttl=2592000)["ttl"] == 2592000
    before = api.records(zone)
    for bad in (59, 0, -5, 2592001, "2592001", "abc", "59"):
        errors = api.create_fails(zone, name="x", type="A", content="192.0.2.5", ttl=bad)
        assert list(errors) == ["ttl"], (bad, errors)
    assert api.records(zone) == before


# ----------------------------------------------------- CNAME, duplicates, system

def test_cname_rules(api):
    zone = api.new_zone("cname")
    before = api.records(zone)
    errors = api.create_fails(zone, name="", type="CNAME", content="other.example.net")
    assert errors, errors
    assert api.records(zone) == before
    # A record first, then a CNAME at that name.
    api.create(zone, name="www", type="A", content="192.0.2.1")
    api.create_fails(zone, name="www", type="CNAME", content="other.example.net")
    api.create_fails(zone, name="WWW", type="CNAME", content="other.example.net")
    # A CNAME first, then another record (or a second CNAME) at that name.
    api.create(zone, name="alias", type="CNAME", content="other.example.net")
    api.create_fails(zone, name="alias", type="A", content="192.0.2.2")
    api.create_fails(zone, name="alias", type="TXT", content="hello")
    api.create_fails(zone, name="alias", type="CNAME", content="third.example.net")
    api.create_fails(zone, name="alias", type="MX", content="mx.example.net", priority=5)
    names = sorted((r["name"], r["type"]) for r in user_records(api.records(zone)))
    assert names == [("alias", "CNAME"), ("www", "A")]
    # Moving a record onto a CNAME's name by update is refused too.
    a = api.create(zone, name="other", type="A", content="192.0.2.3")
    r, body = api.call("PATCH", "/zones/%s/records/%d" % (zone, a["id"]),
                       json={"name": "alias"})
    assert r.status_code == 400, body
    assert api.ok("GET", "/zones/%s/records/%d" % (zone, a["id"]))["data"]["name"] == "other"


def test_dname_is_a_singleton(api):
    # RFC 6672 2.4: at most one DNAME at a name; the refusal names the field and changes nothing.
    zone = api.new_zone("dname")
    api.create(zone, checker=check_ext, name="old", type="DNAME", content="new.example.net")
    api.create(zone, name="old", type="TXT", content="kept")
    before, serial = api.records(zone, checker=check_ext), api.serial(zone)
    errors = api.create_fails(zone, name="old", type="DNAME", content="other.example.net")
    assert "name" in errors, errors
    assert api.records(zone, checker=check_ext) == before and api.serial(zone) == serial
    other = api.create(zone, checker=check_ext, name="elsewhere", type="DNAME",
                       content="other.example.net")
    r, body = api.call("PATCH", "/zones/%s/records/%d" % (zone, other["id"]),
                       json={"name": "old"})
    assert r.status_code == 400 and "name" in body["errors"], body
    after = user_records(api.records(zone, checker=check_ext))
    assert [x for x in after if x["id"] != other["id"]] == user_records(before)


def test_nothing_below_a_dname(api):
    # RFC 6672 2.4: no records below a DNAME's owner, whichever comes first; an apex DNAME
    # leaves room for nothing but the apex. Each refusal names the field, changes nothing.
    zone = api.new_zone("dnsub")
    api.create(zone, checker=check_ext, name="old", type="DNAME", content="new.example.net")
    www = api.create(zone, name="www", type="A", content="192.0.2.1")
    before, serial = api.records(zone, checker=check_ext), api.serial(zone)
    for name in ("x.old", "a.b.old", "*.old"):
        assert "name" in api.create_fails(zone, name=name, type="A", content="192.0.2.2")
    assert "name" in api.create_fails(zone, name="y.old", type="DNAME", content="e.example")
    assert "name" in api.create_fails(zone, name="", type="DNAME", content="e.example")
    r, body = api.call("PATCH", "/zones/%s/records/%d" % (zone, www["id"]),
                       json={"name": "z.old"})
    assert r.status_code == 400 and "name" in body["errors"], body
    # a record first, then a DNAME above it
    api.create(zone, name="a.sub", type="TXT", content="here")
    before, serial = api.records(zone, checker=check_ext), api.serial(zone)
    assert "name" in api.create_fails(zone, name="sub", type="DNAME", content="e.example")
    assert api.records(zone, checker=check_ext) == before and api.serial(zone) == serial
    # a DNAME beside other types at its own name is fine; "bold" is not below "old"
    api.create(zone, checker=check_ext, name="www", type="DNAME", content="e.example")
    api.create(zone, name="x.bold", type="A", content="192.0.2.3")


def test_duplicates(api):
    zone = api.new_zone("dup")
    api.create(zone, name="www", type="A", content="192.0.2.1")
    serial = api.serial(zone)
    before = api.records(zone)
    api.create_fails(zone, name="www", type="A", content="192.0.2.1")
    api.create_fails(zone, name="WWW", type="A", content="192.0.2.1", ttl=600)
    assert api.records(zone) == before
    assert api.serial(zone) == serial
    api.create(zone, name="", type="TXT", content="hello world")
    before = api.records(zone)
    serial = api.serial(zone)
    # The same text, written in zone-file form, is the same record.
    api.create_fails(zone, name="", type="TXT", content='"hello world"')
    assert api.records(zone) == before
    assert api.serial(zone) == serial


def test_system_records_are_protected(api):
    zone = api.new_zone("sys")
    system = [r for r in api.records(zone) if r["system_record"]]
    assert sorted(r["type"] for r in system) == ["NS", "NS", "SOA"]
    serial = api.serial(zone)
    for rec in system:
        r, body = api.call("DELETE", "/zones/%s/records/%d" % (zone, rec["id"]))
        assert r.status_code == 400, (rec, body)
        r, body = api.call("PATCH", "/zones/%s/records/%d" % (zone, rec["id"]),
                           json={"ttl": 600})
        assert r.status_code == 400, (rec, body)
    errors = api.create_fails(zone, name="", type="SOA",
                              content="ns1.localhost hostmaster.localhost 1 86400 7200 604800 300")
    assert "record_type" in errors
    errors = api.create_fails(zone, name="", type="NS", content="ns9.example.net")
    assert errors
    errors = api.create_fails(zone, name="@", type="NS", content="ns9.example.net")
    assert errors
    assert [r for r in api.records(zone) if r["system_record"]] == system
    assert api.serial(zone) == serial
    # NS below the apex is a delegation: fine.
    ns = api.create(zone, name="child", type="NS", content="ns9.example.net")
    assert ns["system_record"] is False


# ---------------------------------------------------------- get/update/delete

def test_get_update_delete(api):
    zone = api.new_zone("crud")
    mx = api.create(zone, name="", type="MX", content="mxa.example.com", ttl=600, priority=10,
                    regions=["SV1", "IAD"])
    assert mx["regions"] == ["SV1", "IAD"]
    path = "/zones/%s/records/%d" % (zone, mx["id"])
    got = api.ok("GET", path)
    compare_fixture(got, "getZoneRecord/success.http")
    assert got["data"] == mx

    # content only: ttl, priority, name and regions kept
    r, body = api.call("PATCH", path, json={"content": "mxb.example.com"})
    assert r.status_code == 200, body
    compare_fixture(body, "updateZoneRecord/success.http")
    up = body["data"]
    assert up["id"] == mx["id"] and up["content"] == "mxb.example.com"
    assert (up["ttl"], up["priority"], up["name"], up["regions"], up["type"]) == \
        (600, 10, "", ["SV1", "IAD"], "MX")
    assert up["created_at"] == mx["created_at"]
    # ttl only (a numeric string)
    up = api.ok("PATCH", path, json={"ttl": "1200"})["data"]
    assert (up["ttl"], up["content"], up["priority"]) == (1200, "mxb.example.com", 10)
    # priority only
    up = api.ok("PATCH", path, json={"priority": 20})["data"]
    assert (up["ttl"], up["content"], up["priority"]) == (1200, "mxb.example.com", 20)
    # name
    up = api.ok("PATCH", path, json={"name": "mail"})["data"]
    assert (up["name"], up["content"], up["priority"], up["ttl"]) == \
        ("mail", "mxb.example.com", 20, 1200)
    # regions
    up = api.ok("PATCH", path, json={"regions": ["global"]})["data"]
    assert up["regions"] == ["global"]
    # an empty PATCH changes nothing
    same = api.ok("PATCH", path, json={})["data"]
    assert {k: v for k, v in same.items() if k != "updated_at"} == \
        {k: v for k, v in up.items() if k != "updated_at"}
    assert api.ok("GET", path)["data"]["name"] == "mail"

    # invalid changes leave the record as it was
    for bad in ({"content": "mx..bad"}, {"ttl": 10}, {"priority": 70000},
                {"regions": ["NOWHERE"]}, {"name": "bad name"}):
        r, body = api.call("PATCH", path, json=bad)
        assert r.status_code == 400, (bad, body)
        assert body["message"] == "Validation failed", body
        assert list(body["errors"]) == list(bad), (bad, body)
    assert api.ok("GET", path)["data"] == same

    # an update may not make a duplicate
    other = api.create(zone, name="mail", type="MX", content="mxc.example.com", priority=20,
                       ttl=1200)
    r, body = api.call("PATCH", "/zones/%s/records/%d" % (zone, other["id"]),
                       json={"content": "mxb.example.com"})
    assert r.status_code == 400, body
    # priority on an A record by update
    a = api.create(zone, name="a", type="A", content="192.0.2.1")
    r, body = api.call("PATCH", "/zones/%s/records/%d" % (zone, a["id"]), json={"priority": 3})
    assert r.status_code == 400 and list(body["errors"]) == ["priority"], body

    r, body = api.call("DELETE", path)
    assert r.status_code == 204, body
    r, body = api.call("GET", path)
    assert r.status_code == 404
    assert body == {"message": "Record `%d` not found" % mx["id"]}
    r, body = api.call("DELETE", path)
    assert r.status_code == 404 and body == {"message": "Record `%d` not found" % mx["id"]}
    r, body = api.call("PATCH", path, json={"ttl": 600})
    assert r.status_code == 404 and body == {"message": "Record `%d` not found" % mx["id"]}


def test_record_ids_are_not_reused(api):
    """An id names one record for good: a deleted record's id is not handed out again
    (clients and webhooks keep ids; DNSimple never reuses them)."""
    zone = api.new_zone("ids")
    a = api.create(zone, name="a", type="A", content="192.0.2.1")
    api.ok("DELETE", "/zones/%s/records/%d" % (zone, a["id"]), 204)
    b = api.create(zone, name="b", type="A", content="192.0.2.2")
    assert b["id"] != a["id"], (a, b)
    r, body = api.call("GET", "/zones/%s/records/%d" % (zone, a["id"]))
    assert r.status_code == 404, body


def test_record_not_found(api):
    zone = api.new_zone("nf")
    other = api.new_zone("nf2")
    rec = api.create(other, name="www", type="A", content="192.0.2.1")
    for ref in ("0", "999999999", str(rec["id"]), "abc"):
        for method, kw in (("GET", {}), ("PATCH", {"json": {"ttl": 600}}), ("DELETE", {})):
            r, body = api.call(method, "/zones/%s/records/%s" % (zone, ref), **kw)
            assert r.status_code == 404, (method, ref, body)
            assert body == {"message": "Record `%s` not found" % ref}, (method, ref, body)
    r, body = api.call("GET", "/zones/%s/records/0" % zone)
    assert r.status_code == 404 and body == {"message": "Record `0` not found"}
    # the record of the other zone is untouched
    assert api.ok("GET", "/zones/%s/records/%d" % (other, rec["id"]))["data"] == rec
    # unknown zone
    r, body = api.call("GET", "/zones/nosuch-zone.test/records")
    assert r.status_code == 404 and body == {"message": "Zone `nosuch-zone.test` not found"}
    r, body = api.call("POST", "/zones/nosuch-zone.test/records",
                       json={"name": "", "type": "A", "content": "192.0.2.1"})
    assert r.status_code == 404 and body == {"message": "Zone `nosuch-zone.test` not found"}


# ------------------------------------------------------------------- listing

LIST_SET = [
    ("", "A", "192.0.2.10", None),
    ("", "MX", "mx.example.com", 10),
    ("", "TXT", "v=spf1 -all", None),
    ("www", "A", "192.0.2.1", None),
    ("www", "A", "192.0.2.2", None),
    ("www", "AAAA", "2001:db8::1", None),
    ("www2", "A", "192.0.2.3", None),
    ("sub.www", "TXT", "nested", None),
    ("mail", "A", "192.0.2.4", None),
    ("ftp", "CNAME", "www.example.net", None),
    ("_sip._tcp", "SRV", "10 5060 sip.example.com", 5),
    ("blog", "ALIAS", "blog.example.net", None),
]


def _list(api, zone, query):
    body = api.ok("GET", "/zones/%s/records?%s" % (zone, query))
    compare_fixture(body, "listZoneRecords/success.http")
    return body


def test_list_filters(api):
    zone = api.new_zone("filters")
    for name, rtype, content, prio in LIST_SET:
        api.create(zone, **body_of(name, rtype, content, prio))
    everything = api.records(zone)
    assert len(everything) == len(LIST_SET) + 3  # SOA, 2 NS

    def names_types(rs):
        return sorted((r["name"], r["type"], r["content"]) for r in rs)

    def expect(pred):
        return names_types([r for r in everything if pred(r)])

    got = api.records(zone, "name=www")
    assert names_types(got) == expect(lambda r: r["name"] == "www")
    assert len(got) == 3
    got = api.records(zone, "name=")
    assert names_types(got) == expect(lambda r: r["name"] == "")
    assert sorted(r["type"] for r in got) == ["A", "MX", "NS", "NS", "SOA", "TXT"]
    got = api.records(zone, "name_like=www")
    assert names_types(got) == expect(lambda r: "www" in r["name"])
    assert len(got) == 5
    got = api.records(zone, "name_like=WW")
    assert len(got) == 5
    got = api.records(zone, "type=A")
    assert names_types(got) == expect(lambda r: r["type"] == "A")
    assert len(got) == 5
    got = api.records(zone, "type=TXT&name=")
    assert [r["content"] for r in got] == ['"v=spf1 -all"']
    got = api.records(zone, "type=A&name_like=www")
    assert len(got) == 3
    assert api.records(zone, "name=nothing-here") == []
    assert api.records(zone, "type=NAPTR") == []


@pytest.mark.parametrize("field", ["id", "name", "content", "type"])
def test_list_sorting(api, field):
    zone = api.new_zone("sort")
    for name, rtype, content, prio in LIST_SET:
        api.create(zone, **body_of(name, rtype, content, prio))
    everything = api.records(zone)
    for order in ("asc", "desc"):
        body = _list(api, zone, "per_page=100&sort=%s:%s" % (field, order))
        got = [r[field] for r in body["data"]]
        assert got == sorted((r[field] for r in everything), reverse=order == "desc"), \
            (field, order, got)
        assert len(got) == len(everything)


def test_list_bad_parameters(api):
    zone = api.new_zone("badq")
    for q in ("sort=ttl:asc", "sort=expiration", "sort=name:sideways", "per_page=0",
              "page=0", "page=abc", "per_page=-3"):
        r, body = api.call("GET", "/zones/%s/records?%s" % (zone, q))
        assert r.status_code == 400, (q, body)


def test_list_pagination(api):
    zone = api.new_zone("pages")
    for i in range(14):
        api.create(zone, name="h%02d" % i, type="A", content="192.0.2.%d" % (i + 1))
    total = 14 + 3
    seen = []
    for per_page in (4, 5, 17, 100):
        pages = -(-total // per_page)
        ids = []
        for page in range(1, pages + 2):
            body = _list(api, zone, "sort=id:asc&per_page=%d&page=%d" % (per_page, page))
            p = body["pagination"]
            assert p == {"current_page": page, "per_page": per_page, "total_entries": total,
                         "total_pages": pages}, p
            want = min(per_page, max(0, total - (page - 1) * per_page))
            assert len(body["data"]) == want, (per_page, page)
            ids += [r["id"] for r in body["data"]]
        assert ids == sorted(ids) and len(set(ids)) == total
        seen.append(ids)
    assert all(s == seen[0] for s in seen)
    # per_page above the maximum is clamped, not refused
    body = _list(api, zone, "per_page=1000")
    assert body["pagination"]["per_page"] == 100
    # filtered lists count the filtered rows
    body = _list(api, zone, "per_page=3&type=A")
    assert body["pagination"]["total_entries"] == 14
    assert body["pagination"]["total_pages"] == 5


# -------------------------------------------------------------------- serial

def test_serial_increases_with_every_change(api):
    zone = api.new_zone("serial")
    serials = [api.serial(zone)]

    def step():
        s = api.serial(zone)
        assert s > serials[-1], (serials, s)
        serials.append(s)
        # the zone file shows the same serial as the SOA record
        soa_line = api.zone_file(zone).splitlines()[2]
        assert soa_line.split()[6] == str(s), soa_line

    a = api.create(zone, name="www", type="A", content="192.0.2.1")
    step()
    api.ok("PATCH", "/zones/%s/records/%d" % (zone, a["id"]), json={"content": "192.0.2.2"})
    step()
    api.ok("PATCH", "/zones/%s/records/%d" % (zone, a["id"]), json={"ttl": 120})
    step()
    b = api.create(zone, name="", type="MX", content="mx.example.com", priority=1)
    step()
    api.ok("DELETE", "/zones/%s/records/%d" % (zone, b["id"]), 204)
    step()
    api.ok("PUT", "/zones/%s/ns_records" % zone, json={"ns_names": ["ns1.example.org"]})
    step()
    api.ok("POST", "/zones/%s/batch" % zone, json={"creates": [
        {"name": "b", "type": "A", "content": "192.0.2.9"}]})
    step()
    # a refused change does not move it
    api.create_fails(zone, name="", type="A", content="nope")
    assert api.serial(zone) == serials[-1]


def test_concurrent_writers_lose_nothing(srv, api):
    """4 threads change one zone at once (create, then update; every third record is
    deleted again): every acknowledged change is there, each took its own serial."""
    zone = api.new_zone("conc")
    start = api.serial(zone)
    threads, per_thread = 4, 15
    results = [[] for _ in range(threads)]
    errors = []
    barrier = threading.Barrier(threads)
    base = "/v2/%d/zones/%s/records" % (srv.account_id, zone)

    def worker(t):
        try:
            barrier.wait(timeout=10)
            for i in range(per_thread):
                n = t * per_thread + i + 1
                r = srv.request("POST", base, token=srv.token,
                                json={"name": "t%d-%d" % (t, i), "type": "A",
                                      "content": "198.51.100.%d" % n})
                results[t].append(("create", r))
                if r.status_code != 201:
                    continue
                rid = r.json()["data"]["id"]
                r = srv.request("PATCH", "%s/%d" % (base, rid), token=srv.token,
                                json={"content": "203.0.113.%d" % n, "ttl": 60 + n})
                results[t].append(("update", r))
                if i % 3 == 0:
                    r = srv.request("DELETE", "%s/%d" % (base, rid), token=srv.token)
                    results[t].append(("delete", r))
        except Exception as e:  # reported below, in the main thread
            errors.append(repr(e))

    ts = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in ts), "writers did not finish within 90 s"
    assert not errors, errors
    want = {}
    changes = 0
    for rs in results:
        for kind, r in rs:
            body = check(r)
            assert r.status_code == {"create": 201, "update": 200, "delete": 204}[kind], \
                (kind, body)
            changes += 1
            if kind in ("create", "update"):
                want[body["data"]["id"]] = body["data"]
            else:
                del want[int(r.request.url.rsplit("/", 1)[1])]
    assert changes == threads * per_thread * 2 + threads * len(range(0, per_thread, 3))
    listed = {r["id"]: r for r in user_records(api.records(zone))}
    assert listed == want
    end = api.serial(zone)
    # every change took its own serial: at least one step each
    assert end >= start + changes, (start, end, changes)

    # The change log (DESIGN.md: one row per serial) in commit order: strictly increasing.
    conn = sqlite3.connect(os.path.join(srv.data_dir, "nameplate.db"), timeout=10)
    try:
        rows = conn.execute(
            "SELECT c.serial, c.kind FROM zone_changes c JOIN zones z ON z.id = c.zone_id "
            "WHERE z.name = ? ORDER BY c.id", (zone,)).fetchall()
    finally:
        conn.close()
    record_rows = [s for s, kind in rows if kind == "records"]
    assert len(record_rows) == changes, rows
    serial_seq = [s for s, _ in rows]
    assert all(a < b for a, b in zip(serial_seq, serial_seq[1:])), serial_seq
    assert serial_seq[-1] == end


# ------------------------------------------------------------ regions, plans

def test_regions(api):
    zone = api.new_zone("regions")
    assert api.create(zone, name="g", type="A", content="192.0.2.1")["regions"] == ["global"]
    assert api.create(zone, name="g2", type="A", content="192.0.2.2",
                      regions=["global"])["regions"] == ["global"]
    assert api.create(zone, name="r", type="A", content="192.0.2.3",
                      regions=["SV1", "IAD"])["regions"] == ["SV1", "IAD"]
    # none selected: everywhere; a region named twice counts once
    assert api.create(zone, name="e", type="A", content="192.0.2.5",
                      regions=[])["regions"] == ["global"]
    assert api.create(zone, name="d", type="A", content="192.0.2.6",
                      regions=["AMS", "AMS"])["regions"] == ["AMS"]
    before = api.records(zone)
    for bad in (["XX1"], ["SV1", "nowhere"], "SV1", ["global", "SV1"], [1]):
        errors = api.create_fails(zone, name="x", type="A", content="192.0.2.4", regions=bad)
        assert list(errors) == ["regions"], (bad, errors)
    assert api.records(zone) == before


def _plan_api(server):
    who = check(server.get("/v2/whoami", token=server.token))
    return Api(server), who["data"]["account"]["plan_identifier"]


def _assert_plan_refuses(api):
    zone = api.new_zone("plan")
    r = api.raw("POST", "/zones/%s/records" % zone,
                json={"name": "r", "type": "A", "content": "192.0.2.1", "regions": ["SV1"]})
    check_412(r)
    rec = api.create(zone, name="g", type="A", content="192.0.2.2", regions=["global"])
    assert rec["regions"] == ["global"]
    rec = api.create(zone, name="n", type="A", content="192.0.2.3")
    r = api.raw("PATCH", "/zones/%s/records/%d" % (zone, rec["id"]),
                json={"regions": ["IAD", "AMS"]})
    check_412(r)
    got = api.ok("PATCH", "/zones/%s/records/%d" % (zone, rec["id"]),
                 json={"regions": ["global"], "ttl": 600})["data"]
    assert got["regions"] == ["global"] and got["ttl"] == 600
    r = api.raw("POST", "/zones/%s/batch" % zone,
                json={"creates": [{"name": "b", "type": "A", "content": "192.0.2.4"}]})
    check_412(r)
    names = sorted(x["name"] for x in user_records(api.records(zone)))
    assert names == ["g", "n"]
    got = api.ok("GET", "/zones/%s/records/%d" % (zone, rec["id"]))["data"]
    assert got["regions"] == ["global"]


def test_plan_without_regions_and_batch(tmp_path_factory):
    s = start_server(tmp_path_factory, "personal",
                     serve_args={"--default-plan": "dnsimple-personal"},
                     env={"NAMEPLATE_DEFAULT_PLAN": "dnsimple-personal"})
    try:
        api, plan = _plan_api(s)
        assert plan == "dnsimple-personal"
        _assert_plan_refuses(api)
        # an account created under this setting gets the same plan
        acct = s.create_account("Later", "later@example.com")
        tok = s.create_token(account=acct["id"])["token"]
        who = check(s.get("/v2/whoami", token=tok))
        assert who["data"]["account"]["plan_identifier"] == "dnsimple-personal"
    finally:
        s.stop(check=True)


def test_plans_file(tmp_path_factory):
    """Plans are data: a plans file defines them, and the default plan names one."""
    d = tmp_path_factory.mktemp("plans")
    path = os.path.join(str(d), "plans.json")
    with open(path, "w") as f:
        json.dump({"features": {"regions": "Zone record regions",
                                "batch_changes": "Batch change zone records"},
                   "plans": {"batch-only": ["batch_changes"], "regions-only": ["regions"]}}, f)
    env = {"NAMEPLATE_PLANS": path, "NAMEPLATE_DEFAULT_PLAN": "batch-only"}
    s = start_server(tmp_path_factory, "plansrv", env=env)
    try:
        api, plan = _plan_api(s)
        assert plan == "batch-only"
        zone = api.new_zone("pf")
        check_412(api.raw("POST", "/zones/%s/records" % zone,
                          json={"name": "r", "type": "A", "content": "192.0.2.1",
                                "regions": ["SV1"]}))
        api.ok("POST", "/zones/%s/batch" % zone,
               json={"creates": [{"name": "b", "type": "A", "content": "192.0.2.2"}]})
        acct = s.create_account("Regions", "regions@example.com", plan="regions-only")
        other = Api(s, token=s.create_token(account=acct["id"])["token"], account=acct["id"])
        zone = other.new_zone("pf")
        rec = other.create(zone, name="r", type="A", content="192.0.2.1", regions=["SV1"])
        assert rec["regions"] == ["SV1"]
        check_412(other.raw("POST", "/zones/%s/batch" % zone, json={"deletes": [
            {"id": rec["id"]}]}))
        assert other.ok("GET", "/zones/%s/records/%d" % (zone, rec["id"]))["data"] == rec
    finally:
        s.stop(check=True)


def test_plans_are_per_account(srv):
    api, plan = _plan_api(srv)
    assert plan == "nameplate"
    zone = api.new_zone("full")
    rec = api.create(zone, name="r", type="A", content="192.0.2.1", regions=["SV1", "IAD"])
    assert rec["regions"] == ["SV1", "IAD"]
    api.ok("POST", "/zones/%s/batch" % zone,
           json={"creates": [{"name": "b", "type": "A", "content": "192.0.2.2"}]})
    acct = srv.create_account("Personal", "personal@example.com", plan="dnsimple-personal")
    tok = srv.create_token(account=acct["id"])["token"]
    _assert_plan_refuses(Api(srv, token=tok, account=acct["id"]))


# ------------------------------------------------------------ the zone file

def test_zone_file_lists_every_record(api):
    zone = api.new_zone("file")
    for name, rtype, content, prio, _ in DNSIMPLE_TYPES:
        api.create(zone, **body_of(name, rtype, content, prio))
    api.create(zone, name="www", type="A", content="192.0.2.7", ttl=600)
    body = api.ok("GET", "/zones/%s/file" % zone)
    compare_fixture(body, "getZoneFile/success.http")
    text = body["data"]["zone"]
    assert text.startswith("$ORIGIN %s.\n$TTL 1h\n" % zone), text[:200]
    assert text.endswith("\n")
    lines = text.splitlines()[2:]
    records = api.records(zone)
    assert len(lines) == len(records), text
    serial = api.serial(zone)
    assert lines[0] == ("%s. 3600 IN SOA ns1.localhost. hostmaster.localhost. %d 86400 7200 "
                        "604800 300" % (zone, serial)), lines[0]
    for want in ("%s. 3600 IN NS ns1.localhost." % zone,
                 "%s. 3600 IN NS ns2.localhost." % zone,
                 "www.%s. 600 IN A 192.0.2.7" % zone,
                 "www.%s. 3600 IN A 192.0.2.1" % zone,
                 "%s. 3600 IN MX 10 mx.example.com." % zone,
                 "alias.%s. 3600 IN CNAME www.example.net." % zone,
                 '%s. 3600 IN TXT "hello world"' % zone,
                 "%s. 3600 IN ALIAS target.example.net." % zone,
                 "_sip._tcp.%s. 3600 IN SRV 20 10 5060 sip.example.com." % zone):
        assert want in lines, (want, text)
    for r in records:
        owner = "%s.%s." % (r["name"], zone) if r["name"] else zone + "."
        prefix = "%s %d IN %s " % (owner, r["ttl"], r["type"])
        assert any(line.startswith(prefix) for line in lines), (prefix, text)


# ------------------------------------------------------ the official client

