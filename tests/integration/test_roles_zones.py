"""Who may do what with domains, zones and records: member roles (domain-manager,
zone-operator), scoped account tokens, and other accounts (docs/api.md, "Roles" and
"Token scopes"; content/v2.md, Authorization).

One server for the module: the admin's account holds a.test and b.test; users and
tokens are made with the admin CLI. Every response goes through check().
"""

import pytest

import npt.api
from npt import paths
from npt.server import Server, binary_exists

pytestmark = pytest.mark.server

DENIED = {"message": "Permission Denied"}


class Api(npt.api.Api):
    def status(self, method, path, **kw):
        return self.call(method, path, **kw)[0].status_code


class World:
    pass


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    s = Server(tmp_path_factory.mktemp("roles"), binary=binary)
    s.bootstrap()
    s.start()
    w = World()
    w.s = s
    acct = s.account_id
    w.admin = Api(s, s.token, acct)
    for name in ("a.test", "b.test"):
        w.admin.ok("POST", "/domains", 201, json={"name": name})
    w.a_rec = w.admin.ok("POST", "/zones/a.test/records", 201,
                         json={"name": "www", "type": "A", "content": "192.0.2.1"})["data"]
    w.b_rec = w.admin.ok("POST", "/zones/b.test/records", 201,
                         json={"name": "www", "type": "A", "content": "192.0.2.2"})["data"]
    w.a_zone = w.admin.ok("GET", "/zones/a.test")["data"]
    w.b_zone = w.admin.ok("GET", "/zones/b.test")["data"]
    w.b_domain = w.admin.ok("GET", "/domains/b.test")["data"]

    s.create_user("dm@example.com")
    s.add_member(acct, "dm@example.com", role="domain-manager", domains=["a.test"])
    w.dm = Api(s, s.create_token(user="dm@example.com")["token"], acct)

    s.create_user("zo@example.com")
    s.add_member(acct, "zo@example.com", role="zone-operator", zones=["a.test"])
    w.zo = Api(s, s.create_token(user="zo@example.com")["token"], acct)

    w.read_a = Api(s, s.create_token(account=acct, scopes=["zones:a.test:read"])["token"], acct)
    w.write_a = Api(s, s.create_token(account=acct, scopes=["zones:a.test:write"])["token"],
                    acct)

    other = s.create_account("Other", "other@example.com")
    w.other = Api(s, s.create_token(account=other["id"])["token"], acct)  # OUR account id
    w.other_own = Api(s, w.other.token, other["id"])
    yield w
    s.stop(check=True)


def rec_body(name, content):
    return {"name": name, "type": "A", "content": content}


# ----------------------------------------------------------- domain manager

def test_domain_manager_sees_only_its_domain(world):
    dm = world.dm
    body = dm.ok("GET", "/domains")
    assert [d["name"] for d in body["data"]] == ["a.test"]
    assert body["pagination"]["total_entries"] == 1
    body = dm.ok("GET", "/zones")
    assert [z["name"] for z in body["data"]] == ["a.test"]
    assert body["pagination"]["total_entries"] == 1
    assert dm.ok("GET", "/domains/a.test")["data"]["name"] == "a.test"
    assert dm.ok("GET", "/zones/a.test")["data"]["name"] == "a.test"
    assert dm.ok("GET", "/zones/a.test/file")["data"]["zone"].startswith("$ORIGIN a.test.")
    # names compare case-insensitively, both ways
    assert dm.ok("GET", "/zones/A.TEST/records")["data"]
    r, body = dm.call("GET", "/zones/B.TEST/records")
    assert r.status_code == 403 and body == DENIED, body


def test_domain_manager_is_denied_other_domains(world):
    dm = world.dm
    for method, path, kw in (
            ("GET", "/domains/b.test", {}),
            ("GET", "/domains/%d" % world.b_domain["id"], {}),
            ("GET", "/zones/b.test", {}),
            ("GET", "/zones/%d" % world.b_zone["id"], {}),
            ("GET", "/zones/b.test/records", {}),
            ("GET", "/zones/%d/records" % world.b_zone["id"], {}),
            ("GET", "/zones/b.test/records/%d" % world.b_rec["id"], {}),
            ("POST", "/zones/b.test/records", {"json": rec_body("x", "192.0.2.9")}),
            ("POST", "/zones/%d/records" % world.b_zone["id"],
             {"json": rec_body("x", "192.0.2.9")}),
            ("PATCH", "/zones/b.test/records/%d" % world.b_rec["id"], {"json": {"ttl": 600}}),
            ("DELETE", "/zones/b.test/records/%d" % world.b_rec["id"], {}),
            ("POST", "/zones/b.test/batch", {"json": {"deletes": [{"id": world.b_rec["id"]}]}}),
            ("DELETE", "/domains/b.test", {}),
            ("PUT", "/zones/b.test/activation", {})):
        r, body = dm.call(method, path, **kw)
        assert r.status_code == 403, (method, path, body)
        assert body == DENIED, (method, path, body)
    got = world.admin.ok("GET", "/zones/b.test/records/%d" % world.b_rec["id"])["data"]
    assert got == world.b_rec


def test_domain_manager_works_on_its_domain(world):
    dm = world.dm
    rec = dm.ok("POST", "/zones/a.test/records", 201, json=rec_body("dm", "192.0.2.10"))["data"]
    rec = dm.ok("PATCH", "/zones/a.test/records/%d" % rec["id"], json={"ttl": 600})["data"]
    assert rec["ttl"] == 600
    names = [x["name"] for x in dm.ok("GET", "/zones/a.test/records?per_page=100")["data"]]
    assert "dm" in names
    dm.ok("DELETE", "/zones/a.test/records/%d" % rec["id"], 204)
    # creating a new domain is not managing a listed one
    r, body = dm.call("POST", "/domains", json={"name": "c-by-dm.test"})
    assert r.status_code == 403, body
    r, body = world.admin.call("GET", "/domains/c-by-dm.test")
    assert r.status_code == 404, body
    r, body = dm.call("POST", "/zones", json={"name": "8.0.192.in-addr.arpa"})
    assert r.status_code == 403, body


# ------------------------------------------------------------ zone operator

def test_zone_operator_changes_records(world):
    zo = world.zo
    rec = zo.ok("POST", "/zones/a.test/records", 201, json=rec_body("zo", "192.0.2.20"))["data"]
    got = zo.ok("GET", "/zones/a.test/records/%d" % rec["id"])["data"]
    assert got == rec
    up = zo.ok("PATCH", "/zones/a.test/records/%d" % rec["id"],
               json={"content": "192.0.2.21"})["data"]
    assert up["content"] == "192.0.2.21"
    zo.ok("DELETE", "/zones/a.test/records/%d" % rec["id"], 204)
    r, body = world.admin.call("GET", "/zones/a.test/records/%d" % rec["id"])
    assert r.status_code == 404, body
    body = zo.ok("POST", "/zones/a.test/batch",
                 json={"creates": [rec_body("zob", "192.0.2.22")]})
    zo.ok("DELETE", "/zones/a.test/records/%d" % body["data"]["creates"][0]["id"], 204)
    assert [z["name"] for z in zo.ok("GET", "/zones")["data"]] == ["a.test"]
    assert zo.ok("GET", "/zones/a.test")["data"]["name"] == "a.test"


def test_zone_operator_is_denied_everything_else(world):
    zo = world.zo
    for method, path, kw in (
            ("PUT", "/zones/a.test/activation", {}),
            ("DELETE", "/zones/a.test/activation", {}),
            ("PUT", "/zones/a.test/ns_records", {"json": {"ns_names": ["ns1.example.com"]}}),
            ("GET", "/domains", {}),
            ("GET", "/domains/a.test", {}),
            ("POST", "/domains", {"json": {"name": "new-by-zo.test"}}),
            ("DELETE", "/domains/a.test", {}),
            ("GET", "/zones/b.test/records", {}),
            ("POST", "/zones/b.test/records", {"json": rec_body("x", "192.0.2.9")}),
            ("POST", "/zones/%d/records" % world.b_zone["id"],
             {"json": rec_body("x", "192.0.2.9")}),
            ("DELETE", "/zones/b.test/records/%d" % world.b_rec["id"], {}),
            ("POST", "/zones", {"json": {"name": "9.0.192.in-addr.arpa"}})):
        r, body = zo.call(method, path, **kw)
        assert r.status_code == 403, (method, path, body)
        assert body == DENIED, (method, path, body)
    assert world.admin.ok("GET", "/zones/a.test")["data"]["active"] is True
    ns = world.admin.ok("GET", "/zones/a.test/records?type=NS&name=")["data"]
    assert sorted(x["content"] for x in ns) == ["ns1.localhost", "ns2.localhost"]


# ------------------------------------------------------------- scoped tokens

def test_read_scope_reads(world):
    ro = world.read_a
    body = ro.ok("GET", "/zones/a.test/records")
    assert any(x["id"] == world.a_rec["id"] for x in body["data"])
    assert ro.ok("GET", "/zones/a.test/records/%d" % world.a_rec["id"])["data"] == world.a_rec
    assert ro.ok("GET", "/zones/a.test")["data"]["name"] == "a.test"
    assert ro.ok("GET", "/zones/%d/records" % world.a_zone["id"])["data"]
    assert ro.ok("GET", "/zones/A.Test/records")["data"]
    r, body = ro.call("GET", "/zones/B.TEST/records")
    assert r.status_code == 403, body


def test_read_scope_cannot_write(world):
    ro = world.read_a
    want = {"message": "Permission Denied. Required Scope: zones:a.test:write"}
    rid = world.a_rec["id"]
    for method, path, kw in (
            ("POST", "/zones/a.test/records", {"json": rec_body("ro", "192.0.2.30")}),
            ("POST", "/zones/%d/records" % world.a_zone["id"],
             {"json": rec_body("ro", "192.0.2.30")}),
            ("PATCH", "/zones/a.test/records/%d" % rid, {"json": {"ttl": 600}}),
            ("DELETE", "/zones/a.test/records/%d" % rid, {}),
            ("POST", "/zones/a.test/batch", {"json": {"deletes": [{"id": rid}]}}),
            ("PUT", "/zones/a.test/activation", {}),
            ("PUT", "/zones/a.test/ns_records", {"json": {"ns_names": ["ns1.example.com"]}})):
        r, body = ro.call(method, path, **kw)
        assert r.status_code == 403, (method, path, body)
        assert body == want, (method, path, body)
    assert world.admin.ok("GET", "/zones/a.test/records/%d" % rid)["data"] == world.a_rec


def test_scope_names_one_zone(world):
    for api in (world.read_a, world.write_a):
        for method, path, kw in (
                ("GET", "/zones/b.test/records", {}),
                ("GET", "/zones/%d/records" % world.b_zone["id"], {}),
                ("GET", "/zones/b.test", {})):
            r, body = api.call(method, path, **kw)
            assert r.status_code == 403, (method, path, body)
            assert body == {"message": "Permission Denied. Required Scope: zones:b.test:read"}
        r, body = api.call("POST", "/zones/b.test/records", json=rec_body("s", "192.0.2.40"))
        assert r.status_code == 403, body
        assert body == {"message": "Permission Denied. Required Scope: zones:b.test:write"}
        r, body = api.call("GET", "/domains")
        assert r.status_code == 403, body
        assert body == {"message": "Permission Denied. Required Scope: domains:*:read"}


def test_write_scope_writes(world):
    rw = world.write_a
    rec = rw.ok("POST", "/zones/a.test/records", 201, json=rec_body("rw", "192.0.2.50"))["data"]
    rw.ok("PATCH", "/zones/a.test/records/%d" % rec["id"], json={"ttl": 900})
    rw.ok("DELETE", "/zones/a.test/records/%d" % rec["id"], 204)
    assert rw.ok("GET", "/zones/a.test/records")["data"]


# ------------------------------------------------------------ other accounts

def test_other_account_gets_not_found_on_everything(world):
    o = world.other
    rid = world.a_rec["id"]
    for method, path, kw in (
            ("GET", "/domains", {}),
            ("POST", "/domains", {"json": {"name": "taken-over.test"}}),
            ("GET", "/domains/a.test", {}),
            ("DELETE", "/domains/a.test", {}),
            ("GET", "/zones", {}),
            ("GET", "/zones/a.test", {}),
            ("GET", "/zones/%d" % world.a_zone["id"], {}),
            ("GET", "/zones/a.test/file", {}),
            ("GET", "/zones/a.test/records", {}),
            ("POST", "/zones/a.test/records", {"json": rec_body("o", "192.0.2.60")}),
            ("GET", "/zones/a.test/records/%d" % rid, {}),
            ("PATCH", "/zones/a.test/records/%d" % rid, {"json": {"ttl": 600}}),
            ("DELETE", "/zones/a.test/records/%d" % rid, {}),
            ("POST", "/zones/a.test/batch", {"json": {"deletes": [{"id": rid}]}}),
            ("PUT", "/zones/a.test/activation", {}),
            ("DELETE", "/zones/a.test/activation", {}),
            ("PUT", "/zones/a.test/ns_records", {"json": {"ns_names": ["ns.evil.example"]}}),
            ("POST", "/zones", {"json": {"name": "3.0.192.in-addr.arpa"}})):
        r, body = o.call(method, path, **kw)
        assert r.status_code == 404, (method, path, body)
    # ... and in its own account our zones and records do not exist either
    own = world.other_own
    assert own.ok("GET", "/domains")["data"] == []
    assert own.ok("GET", "/zones")["data"] == []
    for method, path, kw in (
            ("GET", "/zones/a.test/records", {}),
            ("GET", "/zones/%d" % world.a_zone["id"], {}),
            ("GET", "/domains/%d" % world.b_domain["id"], {}),
            ("PATCH", "/zones/%d/records/%d" % (world.a_zone["id"], rid), {"json": {"ttl": 60}}),
            ("DELETE", "/zones/a.test/records/%d" % rid, {})):
        r, body = own.call(method, path, **kw)
        assert r.status_code == 404, (method, path, body)
    r, body = own.call("GET", "/zones/a.test")
    assert body == {"message": "Zone `a.test` not found"}
    # nothing of ours changed
    assert world.admin.ok("GET", "/zones/a.test/records/%d" % rid)["data"] == world.a_rec
    assert world.admin.ok("GET", "/zones/a.test")["data"]["active"] is True
