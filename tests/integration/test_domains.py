"""Domains: listDomains, createDomain, getDomain, deleteDomain (content/v2/domains.md).

Creating a domain creates its zone with the system records: one SOA and the apex NS set of
the configured name servers (`--name-servers`). Every response goes through check();
bodies are compared with the recorded fixtures. Lists run in fresh accounts, so their
counts are exact.
"""

import contextlib
import itertools
import os
import sqlite3
import threading

import pytest

import npt.api
from npt import check, compare_fixture, load_fixture, paths
from npt.contract import shape_diff
from npt.server import Server, binary_exists

pytestmark = pytest.mark.server

_seq = itertools.count(1)


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
    s = start_server(tmp_path_factory, "domains")
    yield s
    s.stop(check=True)


class Api(npt.api.Api):
    def create(self, name):
        return self.ok("POST", "/domains", 201, json={"name": name})["data"]


@pytest.fixture
def api(srv):
    return Api(srv)


def fresh_account(srv):
    n = next(_seq)
    acct = srv.create_account("Acct %d" % n, "acct%d-%d@example.com" % (os.getpid(), n))
    tok = srv.create_token(account=acct["id"])["token"]
    return Api(srv, token=tok, account=acct["id"])


def uniq(tag):
    return "%s-%d.test" % (tag, next(_seq))


@contextlib.contextmanager
def db(server):
    conn = sqlite3.connect(os.path.join(server.data_dir, "nameplate.db"), timeout=10)
    try:
        yield conn
        conn.commit()
    finally:
        conn.close()


def compare_list_fixture(body):
    """listDomains/success.http holds a registered domain first and a hosted one second;
    shape_diff compares every item with the first, so compare with the hosted one."""
    fx = load_fixture("listDomains/success.http").json()
    assert fx["data"][1]["state"] == "hosted"
    fx["data"] = [fx["data"][1]]
    diffs = shape_diff(body, fx, extra_keys=("trustee",))
    assert not diffs, diffs


def system_records(api, zone):
    body = api.ok("GET", "/zones/%s/records?per_page=100" % zone)
    return body["data"]


def assert_new_zone_records(records, zone, name_servers, rname="hostmaster.localhost"):
    assert all(r["system_record"] for r in records), records
    assert all(r["name"] == "" and r["zone_id"] == zone for r in records), records
    soa = [r for r in records if r["type"] == "SOA"]
    ns = [r for r in records if r["type"] == "NS"]
    assert len(soa) == 1 and len(ns) == len(name_servers) == len(records) - 1, records
    parts = soa[0]["content"].split()
    assert len(parts) == 7, soa
    assert parts[0] == name_servers[0] and parts[1] == rname, soa
    assert int(parts[2]) > 0
    assert parts[3:] == ["86400", "7200", "604800", "300"], soa
    assert sorted(r["content"] for r in ns) == sorted(name_servers)
    for r in records:
        assert r["priority"] is None and r["regions"] == ["global"] and r["ttl"] == 3600, r


# -------------------------------------------------------------------- create

def test_create_domain(api):
    name = uniq("example")
    r, body = api.call("POST", "/domains", json={"name": name})
    assert r.status_code == 201, body
    compare_fixture(body, "createDomain/created.http", extra_keys=("trustee",))
    d = body["data"]
    assert isinstance(d["id"], int) and d["id"] > 0
    assert d["account_id"] == api.account
    assert d["name"] == name and d["unicode_name"] == name
    assert d["state"] == "hosted"
    assert d["trustee"] is False
    assert d["auto_renew"] is False and d["private_whois"] is False
    assert d["registrant_id"] is None
    assert d["expires_at"] is None and d["expires_on"] is None
    assert d["created_at"] == d["updated_at"]

    for ref in (name, str(d["id"])):
        got = api.ok("GET", "/domains/%s" % ref)
        # getDomain's fixture is a registered domain (registrant, expiry); a hosted one
        # has nulls there, as createDomain's fixture shows: same keys, those types.
        assert set(got["data"]) == set(load_fixture("getDomain/success.http").json()["data"])
        compare_fixture(got, "createDomain/created.http", extra_keys=("trustee",))
        assert got["data"] == d

    zone = api.ok("GET", "/zones/%s" % name)["data"]
    assert zone["name"] == name and zone["active"] is True and zone["reverse"] is False
    assert_new_zone_records(system_records(api, name), name, ["ns1.localhost", "ns2.localhost"])


def test_create_normalizes_the_name(api):
    base = uniq("mixed")
    d = api.create(base.upper())
    assert d["name"] == base and d["unicode_name"] == base
    base2 = uniq("dot")
    d = api.create(base2 + ".")
    assert d["name"] == base2
    assert api.ok("GET", "/domains/%s" % base2.upper())["data"]["id"] == d["id"]


def test_name_servers_setting(tmp_path_factory):
    s = start_server(tmp_path_factory, "ns", serve_args={
        "--name-servers": "ns1.test.,ns2.test,ns3.example.org",
        "--soa-rname": "dns-admin.example.org"})
    try:
        api = Api(s)
        api.create("configured.test")
        assert_new_zone_records(system_records(api, "configured.test"), "configured.test",
                                ["ns1.test", "ns2.test", "ns3.example.org"],
                                rname="dns-admin.example.org")
        text = api.ok("GET", "/zones/configured.test/file")["data"]["zone"]
        assert "configured.test. 3600 IN NS ns1.test.\n" in text
        assert "configured.test. 3600 IN SOA ns1.test. dns-admin.example.org. " in text
    finally:
        s.stop(check=True)


def test_create_duplicate(api):
    name = uniq("dup")
    d = api.create(name)
    for again in (name, name.upper(), name + "."):
        r, body = api.call("POST", "/domains", json={"name": again})
        assert r.status_code == 400, body
        assert body["message"] == "Validation failed", body
        assert list(body["errors"]) == ["name"], body
        assert body["errors"]["name"] and all(isinstance(m, str) for m in body["errors"]["name"])
    # still exactly one, and its zone still has its records only once
    listed = api.ok("GET", "/domains?name_like=%s" % name)["data"]
    assert [x["id"] for x in listed] == [d["id"]]
    assert len(system_records(api, name)) == 3


def test_concurrent_creates_of_one_name(srv, api):
    name = uniq("race")
    results, errors = [], []
    barrier = threading.Barrier(4)

    def worker():
        try:
            barrier.wait(timeout=10)
            results.append(srv.request("POST", "/v2/%d/domains" % srv.account_id,
                                       token=srv.token, json={"name": name}))
        except Exception as e:  # reported in the main thread
            errors.append(repr(e))

    ts = [threading.Thread(target=worker) for _ in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=30)
    assert not errors, errors
    statuses = sorted(r.status_code for r in results)
    for r in results:
        body = check(r)
        if r.status_code == 400:
            assert list(body["errors"]) == ["name"], body
    assert statuses == [201, 400, 400, 400], statuses
    assert len(api.ok("GET", "/domains?name_like=%s" % name)["data"]) == 1
    assert len(system_records(api, name)) == 3


def test_zone_name_taken_by_another_account(srv, api):
    """A zone name is served by one zone in the deployment (migrations/0002): another
    account cannot add it, and its failed attempt leaves nothing behind."""
    name = uniq("owned")
    api.create(name)
    other = fresh_account(srv)
    r, body = other.call("POST", "/domains", json={"name": name})
    assert r.status_code == 400, body
    assert list(body["errors"]) == ["name"], body
    assert other.ok("GET", "/domains")["data"] == []
    assert other.ok("GET", "/zones")["data"] == []
    r, body = other.call("GET", "/domains/%s" % name)
    assert r.status_code == 404, body
    assert api.ok("GET", "/domains/%s" % name)["data"]["account_id"] == api.account


BAD_NAMES = ["", "nodot", ".lead.test", "a..b.test", "bad!.test", "sp ace.test",
             "x" * 64 + ".test", ".".join(["a" * 63] * 4) + ".test", "trail.test..",
             "semi;colon.test"]


@pytest.mark.parametrize("name", BAD_NAMES + [None, 123, ["a.test"], {"x": 1}],
                         ids=lambda v: repr(v)[:20])
def test_create_invalid_name(api, name):
    body = {} if name is None else {"name": name}
    r, got = api.call("POST", "/domains", json=body)
    assert r.status_code == 400, (name, got)
    assert got["message"] == "Validation failed", got
    assert list(got["errors"]) == ["name"], got


def test_create_without_body(api):
    r, got = api.call("POST", "/domains")
    assert r.status_code == 400, got
    assert "name" in got.get("errors", {}), got


# ----------------------------------------------------------------------- get

def test_get_not_found(api):
    for ref in ("0", "999999999", "nosuch-domain.test", "abc"):
        r, body = api.call("GET", "/domains/%s" % ref)
        assert r.status_code == 404, body
        assert body == {"message": "Domain `%s` not found" % ref}
    r, body = api.call("GET", "/domains/0")
    assert body == load_fixture("notfound-domain.http").json()


def test_other_accounts_domain_is_not_found(srv, api):
    mine = api.create(uniq("mine"))
    other = fresh_account(srv)
    for ref in (mine["name"], str(mine["id"])):
        r, body = other.call("GET", "/domains/%s" % ref)
        assert r.status_code == 404, body
        r, body = other.call("DELETE", "/domains/%s" % ref)
        assert r.status_code == 404, body
    assert api.ok("GET", "/domains/%d" % mine["id"])["data"] == mine


# ---------------------------------------------------------------------- list

def test_list_pagination(srv):
    api = fresh_account(srv)
    body = api.ok("GET", "/domains")
    assert body["data"] == []
    assert body["pagination"] == {"current_page": 1, "per_page": 30, "total_entries": 0,
                                  "total_pages": 0}
    names = ["d%02d-list.test" % i for i in range(7)]
    made = [api.create(n) for n in reversed(names)]
    body = api.ok("GET", "/domains")
    compare_list_fixture(body)
    assert [d["name"] for d in body["data"]] == names  # default: by name
    assert body["pagination"] == {"current_page": 1, "per_page": 30, "total_entries": 7,
                                  "total_pages": 1}
    for per_page in (1, 3, 7, 100):
        pages = -(-7 // per_page)
        seen = []
        for page in range(1, pages + 2):
            b = api.ok("GET", "/domains?per_page=%d&page=%d" % (per_page, page))
            assert b["pagination"] == {"current_page": page, "per_page": per_page,
                                       "total_entries": 7, "total_pages": pages}
            assert len(b["data"]) == min(per_page, max(0, 7 - (page - 1) * per_page))
            seen += [d["name"] for d in b["data"]]
        assert seen == names, per_page
    by_id = {d["id"]: d for d in made}
    for d in api.ok("GET", "/domains?per_page=100")["data"]:
        assert by_id[d["id"]] == d


def test_list_name_like_and_registrant(srv):
    api = fresh_account(srv)
    for n in ("alpha-one.test", "alpha-two.test", "beta.test", "gamma-alpha.test"):
        api.create(n)
    got = api.ok("GET", "/domains?name_like=alpha")
    assert sorted(d["name"] for d in got["data"]) == \
        ["alpha-one.test", "alpha-two.test", "gamma-alpha.test"]
    assert got["pagination"]["total_entries"] == 3
    got = api.ok("GET", "/domains?name_like=ALPHA-T")
    assert [d["name"] for d in got["data"]] == ["alpha-two.test"]
    got = api.ok("GET", "/domains?name_like=nothing")
    assert got["data"] == [] and got["pagination"]["total_entries"] == 0

    contact = api.ok("POST", "/contacts", 201, json={
        "first_name": "First", "last_name": "User", "email": "first@example.com",
        "phone": "+18001234567", "address1": "Italian Street, 10", "city": "Roma",
        "state_province": "RM", "postal_code": "00100", "country": "IT"})["data"]
    # Registered domains (with a registrant) come with the registrar feature; here the
    # store gets the registrant directly.
    with db(srv) as conn:
        conn.execute("UPDATE domains SET registrant_id = ? WHERE account_id = ? AND name IN "
                     "('alpha-two.test', 'beta.test')", (contact["id"], api.account))
    got = api.ok("GET", "/domains?registrant_id=%d" % contact["id"])
    assert sorted(d["name"] for d in got["data"]) == ["alpha-two.test", "beta.test"]
    assert all(d["registrant_id"] == contact["id"] for d in got["data"])
    assert got["pagination"]["total_entries"] == 2
    got = api.ok("GET", "/domains?registrant_id=%d&name_like=alpha" % contact["id"])
    assert [d["name"] for d in got["data"]] == ["alpha-two.test"]
    got = api.ok("GET", "/domains?registrant_id=999999")
    assert got["data"] == []
    r, body = api.call("GET", "/domains?registrant_id=abc")
    assert r.status_code == 400, body


def test_list_sorting(srv):
    api = fresh_account(srv)
    names = ["m.test", "c.test", "x.test", "a.test-sort", "k.test"]
    names = [uniq(n.split(".")[0]) for n in names]
    made = [api.create(n) for n in names]
    expiry = {made[0]["id"]: 1900000000, made[1]["id"]: 1700000000, made[2]["id"]: 1800000000,
              made[3]["id"]: 2000000000, made[4]["id"]: 1750000000}
    with db(srv) as conn:
        for i, t in expiry.items():
            conn.execute("UPDATE domains SET expires_at = ? WHERE id = ?", (t, i))

    def listed(q):
        return api.ok("GET", "/domains?per_page=100&%s" % q)["data"]

    ids = [d["id"] for d in made]
    assert [d["id"] for d in listed("sort=id:asc")] == sorted(ids)
    assert [d["id"] for d in listed("sort=id")] == sorted(ids)
    assert [d["id"] for d in listed("sort=id:desc")] == sorted(ids, reverse=True)
    assert [d["name"] for d in listed("sort=name:asc")] == sorted(names)
    assert [d["name"] for d in listed("sort=name:desc")] == sorted(names, reverse=True)
    assert [d["name"] for d in listed("")] == sorted(names)
    by_exp = sorted(ids, key=lambda i: expiry[i])
    got = listed("sort=expiration:asc")
    assert [d["id"] for d in got] == by_exp
    assert [d["id"] for d in listed("sort=expiration:desc")] == by_exp[::-1]
    assert got[0]["expires_at"] == "2023-11-14T22:13:20Z"
    assert got[0]["expires_on"] == "2023-11-14"
    # several fields
    assert [d["id"] for d in listed("sort=name:desc,id:asc")] == \
        [d["id"] for d in sorted(made, key=lambda d: d["name"], reverse=True)]


@pytest.mark.parametrize("q", ["sort=bogus", "sort=name:sideways", "sort=content:asc",
                               "sort=type", "per_page=0", "page=-1", "per_page=x"])
def test_list_bad_parameters(api, q):
    r, body = api.call("GET", "/domains?%s" % q)
    assert r.status_code == 400, (q, body)


# -------------------------------------------------------------------- delete

def test_delete_domain(api):
    reused = []
    for by_id in (False, True):
        name = uniq("del")
        d = api.create(name)
        api.ok("POST", "/zones/%s/records" % name, 201,
               json={"name": "www", "type": "A", "content": "192.0.2.1"})
        ref = str(d["id"]) if by_id else name
        r, body = api.call("DELETE", "/domains/%s" % ref)
        assert r.status_code == 204, body
        assert r.content == b""
        r, body = api.call("GET", "/domains/%s" % ref)
        assert r.status_code == 404 and body == {"message": "Domain `%s` not found" % ref}
        r, body = api.call("GET", "/zones/%s" % name)
        assert r.status_code == 404 and body == {"message": "Zone `%s` not found" % name}
        r, body = api.call("GET", "/zones/%s/records" % name)
        assert r.status_code == 404, body
        r, body = api.call("DELETE", "/domains/%s" % ref)
        assert r.status_code == 404, body
        assert name not in [x["name"] for x in api.ok("GET", "/domains?per_page=100&name_like="
                                                      + name)["data"]]
        assert name not in [x["name"] for x in api.ok("GET", "/zones?per_page=100&name_like="
                                                      + name)["data"]]
        # the name is free again, with a new zone (no old records)
        d2 = api.create(name)
        assert len(system_records(api, name)) == 3
        if d2["id"] == d["id"]:
            reused.append((name, d["id"]))
    # An id names one domain for good (DNSimple never hands a deleted domain's id out again).
    assert not reused, "deleted domains' ids were given to new domains: %r" % reused
