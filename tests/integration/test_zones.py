"""Zones: listZones, getZone, getZoneFile, activateZoneService, deactivateZoneService,
updateZoneNsRecords (content/v2/zones.md, zones/ns-records.md), and the documented
extension for zones without a domain (reverse zones): POST /v2/{account}/zones and
DELETE /v2/{account}/zones/{zone}.

Every response goes through check(). The extension's 201 and 204 are not operations of
openapi.yml, so check_extension() validates them by hand (headers, Content-Type, and the
body against the spec's Zone schema).
"""

import itertools
import os

import pytest

from npt import check, compare_fixture, load_fixture, paths
from npt.contract import JSON_CONTENT_TYPE, check_headers, contract, normalize_content_type
from npt.server import Server, binary_exists

pytestmark = pytest.mark.server

_seq = itertools.count(1)

ZONE_BODY = {"type": "object", "required": ["data"],
             "properties": {"data": {"$ref": "#/components/schemas/Zone"}}}


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
    s = start_server(tmp_path_factory, "zones")
    yield s
    s.stop(check=True)


def check_extension(resp, schema=None):
    """A 2xx of an operation openapi.yml does not have: the same checks as check()."""
    check_headers(resp)
    if resp.status_code == 204:
        assert resp.content == b"", resp.content[:200]
        return None
    assert normalize_content_type(resp.headers.get("Content-Type", "")) == JSON_CONTENT_TYPE
    body = resp.json()
    if schema is not None:
        contract().validate(body, schema, "body of %d" % resp.status_code)
    return body


class Api:
    def __init__(self, server, token=None, account=None):
        self.s = server
        self.token = server.token if token is None else token
        self.account = server.account_id if account is None else account

    def raw(self, method, path, **kw):
        return self.s.request(method, "/v2/%s%s" % (self.account, path), token=self.token, **kw)

    def call(self, method, path, **kw):
        r = self.raw(method, path, **kw)
        return r, check(r)

    def ok(self, method, path, status=200, **kw):
        r, body = self.call(method, path, **kw)
        assert r.status_code == status, (method, path, r.status_code, body)
        return body

    def new_domain(self, name=None):
        name = name or "z%d-%d.test" % (os.getpid() % 1000, next(_seq))
        self.ok("POST", "/domains", 201, json={"name": name})
        return name

    def records(self, zone, query=""):
        return self.ok("GET", "/zones/%s/records?per_page=100&%s" % (zone, query))["data"]

    def serial(self, zone):
        soa = self.records(zone, "type=SOA")
        assert len(soa) == 1
        return int(soa[0]["content"].split()[2])


@pytest.fixture
def api(srv):
    return Api(srv)


def fresh_account(srv):
    n = next(_seq)
    acct = srv.create_account("Zones %d" % n, "zones%d-%d@example.com" % (os.getpid(), n))
    tok = srv.create_token(account=acct["id"])["token"]
    return Api(srv, token=tok, account=acct["id"])


# ---------------------------------------------------------------- list, get

def test_list_zones(srv):
    api = fresh_account(srv)
    names = ["beta-zl.test", "alpha-zl.test", "gamma-zl.test", "alphabet.test", "delta.test"]
    for n in names:
        api.new_domain(n)
    body = api.ok("GET", "/zones")
    compare_fixture(body, "listZones/success.http")
    assert [z["name"] for z in body["data"]] == sorted(names)  # default: by name
    assert body["pagination"] == {"current_page": 1, "per_page": 30, "total_entries": 5,
                                  "total_pages": 1}
    for z in body["data"]:
        assert z["account_id"] == api.account
        assert (z["reverse"], z["secondary"], z["active"], z["last_transferred_at"]) == \
            (False, False, True, None)
    ids = {z["name"]: z["id"] for z in body["data"]}

    got = api.ok("GET", "/zones?name_like=alpha")["data"]
    assert [z["name"] for z in got] == ["alpha-zl.test", "alphabet.test"]
    got = api.ok("GET", "/zones?name_like=ZL")
    assert got["pagination"]["total_entries"] == 3
    assert api.ok("GET", "/zones?name_like=nothing")["data"] == []

    def order(q):
        return [z["name"] for z in api.ok("GET", "/zones?" + q)["data"]]
    assert order("sort=name:asc") == sorted(names)
    assert order("sort=name:desc") == sorted(names, reverse=True)
    by_id = sorted(names, key=lambda n: ids[n])
    assert order("sort=id:asc") == by_id
    assert order("sort=id:desc") == by_id[::-1]

    seen = []
    for page in (1, 2, 3, 4):
        b = api.ok("GET", "/zones?sort=id&per_page=2&page=%d" % page)
        assert b["pagination"] == {"current_page": page, "per_page": 2, "total_entries": 5,
                                   "total_pages": 3}
        assert len(b["data"]) == [2, 2, 1, 0][page - 1]
        seen += [z["name"] for z in b["data"]]
    assert seen == by_id

    for q in ("sort=expiration", "sort=content:asc", "sort=name:up", "per_page=0"):
        r, b = api.call("GET", "/zones?" + q)
        assert r.status_code == 400, (q, b)


def test_get_zone(api):
    name = api.new_domain()
    listed = api.ok("GET", "/zones?name_like=%s" % name)["data"]
    assert len(listed) == 1
    z = listed[0]
    for ref in (name, str(z["id"]), name.upper()):
        body = api.ok("GET", "/zones/%s" % ref)
        compare_fixture(body, "getZone/success.http")
        assert body["data"] == z
    assert (z["name"], z["reverse"], z["secondary"], z["active"]) == (name, False, False, True)
    for ref in ("0", "nosuch-zone.test", "999999999"):
        r, body = api.call("GET", "/zones/%s" % ref)
        assert r.status_code == 404 and body == {"message": "Zone `%s` not found" % ref}, body
    r, body = api.call("GET", "/zones/0")
    assert body == load_fixture("notfound-zone.http").json()


# ----------------------------------------------------------------- zone file

def test_zone_file(api):
    name = api.new_domain()
    api.ok("POST", "/zones/%s/records" % name, 201,
           json={"name": "www", "type": "A", "content": "192.0.2.1", "ttl": 600})
    api.ok("POST", "/zones/%s/records" % name, 201,
           json={"name": "", "type": "MX", "content": "mx.example.com", "priority": 10})
    api.ok("POST", "/zones/%s/records" % name, 201,
           json={"name": "", "type": "TXT", "content": "v=spf1 -all"})
    api.ok("POST", "/zones/%s/records" % name, 201,
           json={"name": "go", "type": "URL", "content": "https://example.net/"})
    body = api.ok("GET", "/zones/%s/file" % name)
    compare_fixture(body, "getZoneFile/success.http")
    text = body["data"]["zone"]
    serial = api.serial(name)
    assert text.startswith("$ORIGIN %s.\n$TTL 1h\n" % name) and text.endswith("\n"), text
    lines = text.splitlines()
    assert lines[:2] == ["$ORIGIN %s." % name, "$TTL 1h"]
    assert lines[2] == ("%s. 3600 IN SOA ns1.localhost. hostmaster.localhost. %d 86400 7200 "
                        "604800 300" % (name, serial))
    assert sorted(lines[3:5]) == ["%s. 3600 IN NS ns1.localhost." % name,
                                  "%s. 3600 IN NS ns2.localhost." % name]
    assert sorted(lines[5:]) == sorted([
        "%s. 3600 IN MX 10 mx.example.com." % name,
        '%s. 3600 IN TXT "v=spf1 -all"' % name,
        'go.%s. 3600 IN URL "https://example.net/"' % name,
        "www.%s. 600 IN A 192.0.2.1" % name])
    r, body = api.call("GET", "/zones/nosuch-zone.test/file")
    assert r.status_code == 404 and body == {"message": "Zone `nosuch-zone.test` not found"}


# ---------------------------------------------------------------- activation

def test_activation(api):
    name = api.new_domain()
    r, body = api.call("DELETE", "/zones/%s/activation" % name)
    assert r.status_code == 200, body
    compare_fixture(body, "deactivateZoneService/success.http")
    assert body["data"]["name"] == name and body["data"]["active"] is False
    assert api.ok("GET", "/zones/%s" % name)["data"]["active"] is False
    # again: still inactive, still 200
    assert api.ok("DELETE", "/zones/%s/activation" % name)["data"]["active"] is False
    r, body = api.call("PUT", "/zones/%s/activation" % name)
    assert r.status_code == 200, body
    compare_fixture(body, "activateZoneService/success.http")
    assert body["data"]["active"] is True
    zid = body["data"]["id"]
    assert api.ok("GET", "/zones/%s" % name)["data"]["active"] is True
    assert api.ok("PUT", "/zones/%d/activation" % zid)["data"]["active"] is True
    assert api.ok("DELETE", "/zones/%d/activation" % zid)["data"]["active"] is False
    listed = api.ok("GET", "/zones?name_like=%s" % name)["data"]
    assert [z["active"] for z in listed] == [False]
    # an inactive zone keeps its records and still takes changes
    api.ok("POST", "/zones/%s/records" % name, 201,
           json={"name": "www", "type": "A", "content": "192.0.2.1"})
    for method in ("PUT", "DELETE"):
        r, body = api.call(method, "/zones/nosuch-zone.test/activation")
        assert r.status_code == 404 and body == {"message": "Zone `nosuch-zone.test` not found"}


# ---------------------------------------------------------------- NS records

def test_update_ns_records(api):
    name = api.new_domain()
    old = [r for r in api.records(name, "type=NS")]
    assert len(old) == 2
    child = api.ok("POST", "/zones/%s/records" % name, 201,
                   json={"name": "child", "type": "NS", "content": "ns.child.example"})["data"]
    serial = api.serial(name)
    new_names = ["ns1.example.com", "ns2.example.com", "ns1.foo.bar", "ns2.foo.bar"]
    r, body = api.call("PUT", "/zones/%s/ns_records" % name, json={"ns_names": new_names})
    assert r.status_code == 200, body
    compare_fixture(body, "updateZoneNsRecords/success.http")
    got = body["data"]
    assert [x["content"] for x in got] == new_names
    for x in got:
        assert (x["name"], x["type"], x["system_record"], x["zone_id"], x["priority"],
                x["regions"]) == ("", "NS", True, name, None, ["global"]), x
    apex_ns = api.records(name, "type=NS&name=")
    assert sorted(x["id"] for x in apex_ns) == sorted(x["id"] for x in got)
    assert not {x["id"] for x in old} & {x["id"] for x in apex_ns}
    for x in old:
        r, b = api.call("GET", "/zones/%s/records/%d" % (name, x["id"]))
        assert r.status_code == 404, b
    # the delegation below the apex is not an apex NS record: kept
    assert api.ok("GET", "/zones/%s/records/%d" % (name, child["id"]))["data"] == child
    assert api.serial(name) > serial
    text = api.ok("GET", "/zones/%s/file" % name)["data"]["zone"]
    for n in new_names:
        assert "%s. 3600 IN NS %s.\n" % (name, n) in text
    assert "ns1.localhost.\n" not in text.split("\n", 3)[3]  # only the SOA names it

    # the new apex NS records are system records as well
    r, b = api.call("DELETE", "/zones/%s/records/%d" % (name, got[0]["id"]))
    assert r.status_code == 400, b

    serial = api.serial(name)
    for bad in ({}, {"ns_names": []}, {"ns_names": "ns1.example.com"},
                {"ns_names": ["bad name"]}, {"ns_names": ["ns1.example.com", 5]}):
        r, b = api.call("PUT", "/zones/%s/ns_records" % name, json=bad)
        assert r.status_code == 400, (bad, b)
    assert sorted(x["id"] for x in api.records(name, "type=NS&name=")) == \
        sorted(x["id"] for x in got)
    assert api.serial(name) == serial
    r, b = api.call("PUT", "/zones/nosuch-zone.test/ns_records",
                    json={"ns_names": ["ns1.example.com"]})
    assert r.status_code == 404, b


def test_update_ns_records_names(api):
    name = api.new_domain()
    got = api.ok("PUT", "/zones/%s/ns_records" % name,
                 json={"ns_names": ["NS1.Example.NET.", "ns2.example.net"]})["data"]
    assert [x["content"] for x in got] == ["ns1.example.net", "ns2.example.net"]
    # the same name twice: refused, or set once; never two equal records or a 5xx
    r, body = api.call("PUT", "/zones/%s/ns_records" % name,
                       json={"ns_names": ["ns3.example.net", "ns3.example.net"]})
    assert r.status_code in (200, 400), body
    apex = sorted(x["content"] for x in api.records(name, "type=NS&name="))
    if r.status_code == 200:
        assert apex == ["ns3.example.net"], apex
    else:
        assert apex == ["ns1.example.net", "ns2.example.net"], apex


# ------------------------------------------- zones without a domain (extension)

def test_reverse_zone_create_and_delete(api):
    name = "2.0.192.in-addr.arpa"
    r = api.raw("POST", "/zones", json={"name": name})
    assert r.status_code == 201, r.text
    z = check_extension(r, ZONE_BODY)["data"]
    assert (z["name"], z["reverse"], z["secondary"], z["active"]) == (name, True, False, True)
    assert z["account_id"] == api.account
    assert api.ok("GET", "/zones/%s" % name)["data"] == z
    assert api.ok("GET", "/zones/%d" % z["id"])["data"] == z
    assert name in [x["name"] for x in api.ok("GET", "/zones?per_page=100")["data"]]
    assert name not in [x["name"] for x in api.ok("GET", "/domains?per_page=100")["data"]]
    r, b = api.call("GET", "/domains/%s" % name)
    assert r.status_code == 404, b
    recs = api.records(name)
    assert sorted(x["type"] for x in recs) == ["NS", "NS", "SOA"]
    ptr = api.ok("POST", "/zones/%s/records" % name, 201,
                 json={"name": "4", "type": "PTR", "content": "host.example.com"})["data"]
    assert ptr["content"] == "host.example.com"
    # again: taken
    r, b = api.call("POST", "/zones", json={"name": name})
    assert r.status_code == 400 and "name" in b["errors"], b

    r = api.raw("DELETE", "/zones/%s" % name)
    assert r.status_code == 204, r.text
    check_extension(r)
    r, b = api.call("GET", "/zones/%s" % name)
    assert r.status_code == 404 and b == {"message": "Zone `%s` not found" % name}
    r, b = api.call("GET", "/zones/%s/records/%d" % (name, ptr["id"]))
    assert r.status_code == 404, b
    r, b = api.call("DELETE", "/zones/%s" % name)
    assert r.status_code == 404, b


def test_reverse_zone_ip6_and_by_id(api):
    name = "8.b.d.0.1.0.0.2.ip6.arpa"
    r = api.raw("POST", "/zones", json={"name": name.upper() + "."})
    assert r.status_code == 201, r.text
    z = check_extension(r, ZONE_BODY)["data"]
    assert z["name"] == name and z["reverse"] is True
    r = api.raw("DELETE", "/zones/%d" % z["id"])
    assert r.status_code == 204, r.text
    check_extension(r)
    r, b = api.call("GET", "/zones/%d" % z["id"])
    assert r.status_code == 404, b


@pytest.mark.parametrize("name", ["example.org", "in-addr.arpa.example.com", "arpa", "",
                                  "bad..in-addr.arpa", None, 7])
def test_create_zone_refuses_forward_and_bad_names(api, name):
    before = api.ok("GET", "/zones?per_page=100")["pagination"]["total_entries"]
    r, b = api.call("POST", "/zones", json={} if name is None else {"name": name})
    assert r.status_code == 400, (name, b)
    assert list(b["errors"]) == ["name"], b
    assert api.ok("GET", "/zones?per_page=100")["pagination"]["total_entries"] == before


def test_delete_zone_of_a_domain_is_refused(api):
    name = api.new_domain()
    r, b = api.call("DELETE", "/zones/%s" % name)
    assert r.status_code == 400, b
    assert api.ok("GET", "/zones/%s" % name)["data"]["name"] == name
    assert api.ok("GET", "/domains/%s" % name)["data"]["name"] == name
