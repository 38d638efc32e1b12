"""Zone files in and out: `nameplate zone import`, getZoneFile, and the import extension
(PUT /v2/{account}/zones/{zone}/file). A zone file that getZoneFile gives imports back
to the same records (docs/zones.md)."""

import glob
import os
import subprocess

import pytest

from npt import check, paths
from npt.contract import JSON_CONTENT_TYPE, check_headers, contract, normalize_content_type

ZONES = sorted(glob.glob(os.path.join(os.path.dirname(__file__), "zones", "*.zone")))

EVERY_TYPE = """$ORIGIN every.test.
$TTL 600
@ IN A 192.0.2.1
@ IN AAAA 2001:db8::1
@ IN MX 10 mx.every.test.
@ IN MX 20 mx2.example.net.
@ IN TXT "v=spf1 -all"
@ IN CAA 0 issue "letsencrypt.org"
@ IN ALIAS target.example.net.
www 300 IN CNAME every.test.
mx IN A 192.0.2.25
long IN TXT "a" "b c" "d\\"e"
_sip._tcp IN SRV 10 20 5060 sip.every.test.
sip IN HINFO "PC" "Linux"
n IN NAPTR 100 10 "u" "E2U+sip" "!^.*$!sip:info@every.test!" .
p IN PTR host.example.net.
sshfp IN SSHFP 1 1 0123456789ABCDEF0123456789ABCDEF01234567
ds IN DS 12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
key IN DNSKEY 257 3 13 mdsswUyr3DPW132mOi8V9xESWE8jTo0dxCjjnopKl+GqJxpVXckHAeF+KkxLbxILfDLUT0rAK9iUzy1L53eKGQ==
spf IN SPF "v=spf1 -all"
go IN URL "https://example.net/landing"
pool IN POOL a.example.net.
pool IN POOL b.example.net.
svc IN HTTPS 1 . alpn=h2,h3
_443._tcp IN TLSA 3 1 1 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
dn IN DNAME elsewhere.example.net.
u IN URI 10 1 "https://example.net/"
loc IN LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m
*.wild IN A 192.0.2.99
sub IN NS ns.sub.every.test.
ns.sub IN A 192.0.2.53
x IN TYPE65000 \\# 2 ABCD
"""


def zone_name_of(path):
    return os.path.basename(path)[: -len(".zone")]


def import_cli(srv, zone, text):
    p = subprocess.run([srv.binary, "zone", "import", "--data", srv.data_dir, "--account",
                        str(srv.account_id), "--zone", zone, "--json", "-"],
                       input=text, capture_output=True, text=True, timeout=60)
    return p


def records(srv, zone):
    """Every record of the zone through listZoneRecords, walking all pages."""
    out, page = [], 1
    while True:
        r = srv.get("/v2/%d/zones/%s/records?per_page=100&page=%d&sort=id:asc"
                    % (srv.account_id, zone, page), token=srv.token)
        body = check_ext(r)
        assert r.status_code == 200, body
        out += body["data"]
        if page >= body["pagination"]["total_pages"]:
            return out
        page += 1


def check_ext(resp):
    """check(), with the record types beyond ZoneRecordType allowed (docs/zones.md)."""
    check_headers(resp)
    assert normalize_content_type(resp.headers.get("Content-Type", "")) == JSON_CONTENT_TYPE
    body = resp.json()
    for rec in body.get("data", []) if isinstance(body.get("data"), list) else []:
        contract()  # loaded once; the enum is checked per record below
        assert isinstance(rec["type"], str) and rec["type"]
    return body


def record_set(recs, with_system=False):
    return sorted((r["name"], r["type"], r["content"], r["ttl"], r["priority"],
                   tuple(r["regions"])) for r in recs if with_system or not r["system_record"])


def zone_file(srv, zone):
    r = srv.get("/v2/%d/zones/%s/file" % (srv.account_id, zone), token=srv.token)
    body = check(r)
    assert r.status_code == 200, body
    return body["data"]["zone"]


def put_file(srv, zone, text, content_type="text/plain"):
    return srv.request("PUT", "/v2/%d/zones/%s/file" % (srv.account_id, zone), token=srv.token,
                       data=text.encode(), headers={"Content-Type": content_type})


def soa_serial(srv, zone):
    for line in zone_file(srv, zone).splitlines():
        if " IN SOA " in line:
            return int(line.split()[6])
    raise AssertionError("no SOA in the zone file")


@pytest.mark.parametrize("path", ZONES + ["every.test"], ids=lambda p: os.path.basename(p))
def test_round_trip(server, path):
    if path == "every.test":
        zone, text = "every.test", EVERY_TYPE
    else:
        zone = zone_name_of(path)
        with open(path, encoding="utf-8") as f:
            text = f.read()
    p = import_cli(server, zone, text)
    assert p.returncode == 0, p.stderr
    import json
    out = json.loads(p.stdout)
    assert out["zone"] == zone and out["created"] is True and out["records"] > 0
    before = records(server, zone)
    assert len([r for r in before if not r["system_record"]]) == out["records"]
    # The domain was created with the zone (not for reverse zones).
    r = server.get("/v2/%d/domains/%s" % (server.account_id, zone), token=server.token)
    assert r.status_code == (404 if zone.endswith(".arpa") else 200)

    exported = zone_file(server, zone)
    serial = soa_serial(server, zone)
    r = put_file(server, zone, exported)
    assert r.status_code == 200, r.text
    assert r.json()["data"]["zone"].startswith("$ORIGIN %s.\n" % zone)
    after = records(server, zone)
    assert record_set(after) == record_set(before)
    assert soa_serial(server, zone) > serial
    # and the exported text is a fixed point
    assert zone_file(server, zone).split("\n", 3)[3] == exported.split("\n", 3)[3]


def test_every_type_kept(server):
    p = import_cli(server, "every.test", EVERY_TYPE)
    assert p.returncode == 0, p.stderr
    types = {r["type"] for r in records(server, "every.test") if not r["system_record"]}
    assert {"A", "AAAA", "MX", "TXT", "CAA", "ALIAS", "CNAME", "SRV", "HINFO", "NAPTR", "PTR",
            "SSHFP", "DS", "DNSKEY", "SPF", "URL", "POOL", "HTTPS", "TLSA", "DNAME", "URI",
            "LOC", "NS", "TYPE65000"} <= types


def test_import_replaces_custom_records_only(server):
    assert import_cli(server, "rep.test", "$ORIGIN rep.test.\na 300 IN A 192.0.2.1\n"
                                          "b 300 IN A 192.0.2.2\n").returncode == 0
    system = record_set(records(server, "rep.test"), with_system=True)
    r = put_file(server, "rep.test", "$ORIGIN rep.test.\n"
                                     "@ 300 IN SOA ns.other. h.other. 1 2 3 4 5\n"
                                     "@ 300 IN NS ns.other.\n"
                                     "c 300 IN A 192.0.2.3\n")
    assert r.status_code == 200, r.text
    recs = records(server, "rep.test")
    assert [(x["name"], x["content"]) for x in recs if not x["system_record"]] == [("c", "192.0.2.3")]
    # the zone kept its own SOA and NS: the file's were skipped
    sys_now = [x for x in recs if x["system_record"]]
    assert {x["content"] for x in sys_now if x["type"] == "NS"} == \
        {s[2] for s in system if s[1] == "NS"}
    assert all("ns.other" not in x["content"] for x in sys_now)


@pytest.mark.parametrize("text, line, words", [
    ("$ORIGIN bad.test.\nok 300 IN A 192.0.2.1\nbad 300 IN A 300.1.1.1\n", 3, "IPv4"),
    ("$ORIGIN bad.test.\nok 300 IN A 192.0.2.1\nc 300 IN CNAME x.test.\nc 300 IN A 192.0.2.2\n",
     4, "CNAME"),
    ("$ORIGIN bad.test.\nd 300 IN A 192.0.2.1\nd 300 IN A 192.0.2.1\n", 3, "duplicate"),
    ("$ORIGIN bad.test.\nd 300 IN DNAME a.test.\nd 300 IN TXT ok\nd 300 IN DNAME b.test.\n", 4,
     "DNAME"),
    ("$ORIGIN bad.test.\nx.d 300 IN A 192.0.2.1\nok 300 IN A 192.0.2.1\nd 300 IN DNAME a.test.\n",
     4, "below a DNAME"),
    ("$ORIGIN bad.test.\n@ 300 IN DNAME a.test.\nok 300 IN TXT apex-dname\n", 3, "below a DNAME"),
    ("$ORIGIN bad.test.\nt 10 IN A 192.0.2.1\n", 2, "TTL"),
    ("$ORIGIN bad.test.\nx.other.org. 300 IN A 192.0.2.1\n", 2, "outside"),
    ("$ORIGIN bad.test.\n$INCLUDE /etc/passwd\n", 2, "INCLUDE"),
    ("$ORIGIN bad.test.\nw 300 IN CNAME @\n", 0, ""),
])
def test_import_errors_change_nothing(server, text, line, words):
    assert import_cli(server, "bad.test", "$ORIGIN bad.test.\nkeep 300 IN A 192.0.2.9\n"
                                          ).returncode == 0
    before = record_set(records(server, "bad.test"), with_system=True)
    r = put_file(server, "bad.test", text)
    if line == 0:  # a valid file: just make sure it was taken
        assert r.status_code == 200, r.text
        return
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["message"] == "Validation failed"
    msg = " ".join(body["errors"]["zone"])
    assert ("line %d" % line) in msg and words in msg, msg
    assert record_set(records(server, "bad.test"), with_system=True) == before
    # the CLI refuses the same file with the same reason, and changes nothing either
    p = import_cli(server, "bad.test", text)
    assert p.returncode != 0 and ("line %d" % line) in p.stderr, p.stderr
    assert record_set(records(server, "bad.test"), with_system=True) == before


def test_import_json_body_and_missing_zone(server):
    assert import_cli(server, "json.test", "$ORIGIN json.test.\na 300 IN A 192.0.2.1\n"
                                           ).returncode == 0
    r = put_file(server, "json.test", '{"zone": "$ORIGIN json.test.\\nb 300 IN A 192.0.2.2\\n"}',
                 content_type="application/json")
    assert r.status_code == 200, r.text
    assert [x["name"] for x in records(server, "json.test") if not x["system_record"]] == ["b"]
    r = put_file(server, "missing.test", "a 300 IN A 192.0.2.1\n")
    assert r.status_code == 404 and r.json() == {"message": "Zone `missing.test` not found"}


def test_reverse_zone_import(server):
    zone = "2.0.192.in-addr.arpa"
    p = import_cli(server, zone, "$ORIGIN 2.0.192.in-addr.arpa.\n1 300 IN PTR host.example.net.\n")
    assert p.returncode == 0, p.stderr
    r = server.get("/v2/%d/zones/%s" % (server.account_id, zone), token=server.token)
    body = check(r)
    assert body["data"]["reverse"] is True
    assert [x["content"] for x in records(server, zone) if x["type"] == "PTR"] == ["host.example.net"]
