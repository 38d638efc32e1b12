"""DNSSEC API: getDomainDnssec, enableDomainDnssec, disableDomainDnssec, the delegation
signer records (list, create, get, delete) and the DS extension (GET .../dnssec/ds).

Every /v2 response goes through check() (the contract) except the extension's 200, which
is validated against its documented shape (docs/dnssec.md); bodies are compared with the
recorded fixtures. The SQLite file is read beside the running server to see the keys, the
change-log and outbox rows, and that no private key is stored in clear.
"""

import base64
import contextlib
import glob
import json
import os
import sqlite3
import stat
import threading

import dns.dnssec
import dns.name
import dns.rdata
import jsonschema
import pytest

import npt.api
from npt import check, compare_fixture, load_fixture
from npt.contract import check_headers, contract

DS_EXAMPLE = {  # content/v2/domains/dnssec.md, createDomainDelegationSignerRecord
    "algorithm": "13",
    "digest": "684a1f049d7d082b7f98691657da5a65764913df7f065f6f8c36edf62d66ca03",
    "digest_type": "2",
    "keytag": "2371",
}
# RFC 6605 6.1: a P-256 key of example.net and its DS (SHA-256).
RFC6605_KEY = ("GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQ"
               "Lc8NAA==")
RFC6605_DS = "B4C8C1FE2E7477127B27115656AD6256F424625BF5C1E2770CE6D6E37DF61D17"

DS_EXTENSION_SCHEMA = {
    "type": "object",
    "required": ["data"],
    "additionalProperties": False,
    "properties": {"data": {"type": "array", "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["role", "key_tag", "algorithm", "digest_type", "digest", "flags",
                     "protocol", "public_key", "ds", "dnskey"],
        "properties": {
            "role": {"enum": ["csk", "ksk"]},
            "key_tag": {"type": "integer", "minimum": 0, "maximum": 65535},
            "algorithm": {"enum": [13, 15]},
            "digest_type": {"const": 2},
            "digest": {"type": "string", "pattern": "^[0-9A-F]{64}$"},
            "flags": {"const": 257},
            "protocol": {"const": 3},
            "public_key": {"type": "string"},
            "ds": {"type": "string"},
            "dnskey": {"type": "string"},
        }}}},
}


class Api(npt.api.Api):
    def domain(self, name):
        return self.ok("POST", "/domains", 201, json={"name": name})["data"]

    def ds_ext(self, domain):
        """The extension: validated by its own schema, headers as every /v2 answer."""
        r = self.s.request("GET", "/v2/%s/domains/%s/dnssec/ds" % (self.account, domain),
                           token=self.token)
        assert r.status_code == 200, r.text
        check_headers(r)
        body = r.json()
        jsonschema.validate(body, DS_EXTENSION_SCHEMA)
        return body["data"]


@pytest.fixture
def api(server):
    return Api(server)


@contextlib.contextmanager
def db(server):
    conn = sqlite3.connect(os.path.join(server.data_dir, "nameplate.db"), timeout=10)
    try:
        yield conn
    finally:
        conn.close()


def rows(server, sql, *args):
    with db(server) as conn:
        return conn.execute(sql, args).fetchall()


def zone_serial(server, name):
    return rows(server, "SELECT serial FROM zones WHERE name = ?", name)[0][0]


def outbox(server, event):
    return [json.loads(p) for (p,) in rows(server, "SELECT payload FROM outbox WHERE event = ? "
                                            "ORDER BY id", event)]


def validate_event(payload, schema_name):
    c = contract()
    c.validate(payload, {"$ref": "#/components/schemas/%s" % schema_name}, schema_name)


def expect_errors(r, body, errors):
    assert r.status_code == 400, body
    assert body["message"] == "Validation failed"
    assert body["errors"] == errors


# ------------------------------------------------------------------ state

def test_get_before_enable(api):
    d = api.domain("never.example")
    body = api.ok("GET", "/domains/never.example/dnssec")
    compare_fixture(body, "getDnssec/success.http")
    assert body["data"]["enabled"] is False and body["data"]["active"] is False
    assert body["data"]["created_at"] == d["created_at"]
    # by id as well as by name
    assert api.ok("GET", "/domains/%d/dnssec" % d["id"]) == body
    assert api.ds_ext("never.example") == []


def test_enable_get_ds_disable(api, server):
    api.domain("signed.example")
    serial0 = zone_serial(server, "signed.example")
    body = api.ok("POST", "/domains/signed.example/dnssec", 201)
    compare_fixture(body, "enableDnssec/success.http")
    state = body["data"]
    assert state["enabled"] is True and state["active"] is True
    assert state["created_at"] == state["updated_at"]
    got = api.ok("GET", "/domains/signed.example/dnssec")
    compare_fixture(got, "getDnssec/success.http")
    assert got["data"] == state

    # One CSK (the default policy), ECDSA P-256, its DNSKEY in the store.
    keys = rows(server, "SELECT k.role, k.algorithm, k.flags, k.key_tag, k.public_key, "
                "k.created_at, k.publish_at, k.active_at, k.retire_at, k.remove_at "
                "FROM dnssec_keys k JOIN zones z ON z.id = k.zone_id WHERE z.name = ?",
                "signed.example")
    assert len(keys) == 1
    role, alg, flags, tag, rdata, created, publish, active, retire, remove = keys[0]
    assert (role, alg, flags) == ("csk", 13, 257)
    assert created and publish and active and retire is None and remove is None
    assert len(rdata) == 4 + 64

    # The serial went up; one 'dnssec' change-log row; a dnssec.create event.
    serial1 = zone_serial(server, "signed.example")
    assert serial1 > serial0
    kinds = rows(server, "SELECT kind, serial FROM zone_changes WHERE zone_name = ? ORDER BY id",
                 "signed.example")
    assert kinds[-1] == ("dnssec", serial1)
    events = outbox(server, "dnssec.create")
    assert len(events) == 1
    validate_event(events[0], "EventDNSSECCreate")
    assert events[0]["zone"]["name"] == "signed.example"
    assert events[0]["dnssec"]["enabled"] is True

    # The DS extension: the CSK's DS, which dnspython computes the same from the DNSKEY.
    ds = api.ds_ext("signed.example")
    assert len(ds) == 1
    e = ds[0]
    assert (e["role"], e["algorithm"], e["flags"], e["key_tag"]) == ("csk", 13, 257, tag)
    assert base64.b64decode(e["public_key"]) == rdata[4:]
    key = dns.rdata.from_text("IN", "DNSKEY", "257 3 13 %s" % e["public_key"])
    assert dns.dnssec.key_id(key) == e["key_tag"]
    want = dns.dnssec.make_ds(dns.name.from_text("signed.example."), key, "SHA256")
    assert e["digest"] == want.digest.hex().upper()
    assert e["ds"] == "signed.example. IN DS %d 13 2 %s" % (tag, e["digest"])
    assert e["dnskey"] == "signed.example. IN DNSKEY 257 3 13 %s" % e["public_key"]

    # Enabling again changes nothing.
    again = api.ok("POST", "/domains/signed.example/dnssec", 201)
    assert again["data"] == state
    assert zone_serial(server, "signed.example") == serial1
    assert len(outbox(server, "dnssec.create")) == 1
    assert api.ds_ext("signed.example") == ds

    # Disable: 204, the keys are gone, the state says so, a dnssec.delete event.
    r, none = api.call("DELETE", "/domains/signed.example/dnssec")
    assert r.status_code == 204 and none is None
    off = api.ok("GET", "/domains/signed.example/dnssec")["data"]
    assert off["enabled"] is False and off["active"] is False
    assert off["created_at"] == state["created_at"]
    assert rows(server, "SELECT count(*) FROM dnssec_keys")[0][0] == 0
    assert api.ds_ext("signed.example") == []
    assert zone_serial(server, "signed.example") > serial1
    assert rows(server, "SELECT kind FROM zone_changes WHERE zone_name = ? ORDER BY id DESC "
                "LIMIT 1", "signed.example")[0][0] == "dnssec"
    deleted = outbox(server, "dnssec.delete")
    assert len(deleted) == 1
    validate_event(deleted[0], "EventDNSSECDelete")

    # Disabling what is not enabled: 428 as the fixture.
    r, body = api.call("DELETE", "/domains/signed.example/dnssec")
    fx = load_fixture("disableDnssec/not-enabled.http")
    assert r.status_code == fx.status == 428
    assert body == fx.json()

    # Enable again: new keys, a new configuration.
    api.ok("POST", "/domains/signed.example/dnssec", 201)
    assert len(api.ds_ext("signed.example")) == 1


def test_concurrent_enables_make_one_configuration(api, server):
    api.domain("race.example")
    results = []

    def enable():
        r = server.post("/v2/%d/domains/race.example/dnssec" % server.account_id,
                        token=server.token)
        results.append((r.status_code, check(r)["data"]))

    threads = [threading.Thread(target=enable) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in results] == [201] * 6
    assert len({json.dumps(data, sort_keys=True) for _, data in results}) == 1
    assert rows(server, "SELECT count(*) FROM dnssec_keys")[0][0] == 1
    assert len(outbox(server, "dnssec.create")) == 1


def test_disable_never_enabled(api):
    api.domain("plain.example")
    r, body = api.call("DELETE", "/domains/plain.example/dnssec")
    assert r.status_code == 428
    assert body == {"message": "DNSSEC cannot be disabled because it is not enabled"}


def test_ksk_zsk_ed25519(server_factory):
    server = server_factory(serve_args={"--dnssec-algorithm": "ed25519",
                                        "--dnssec-key-layout": "ksk-zsk"})
    api = Api(server)
    api.domain("ed.example")
    api.ok("POST", "/domains/ed.example/dnssec", 201)
    keys = rows(server, "SELECT role, algorithm, flags, length(public_key) FROM dnssec_keys "
                "ORDER BY id")
    assert keys == [("ksk", 15, 257, 4 + 32), ("zsk", 15, 256, 4 + 32)]
    assert rows(server, "SELECT algorithm, layout FROM zone_dnssec") == [(15, "ksk-zsk")]
    ds = api.ds_ext("ed.example")
    assert [(e["role"], e["algorithm"]) for e in ds] == [("ksk", 15)]
    key = dns.rdata.from_text("IN", "DNSKEY", "257 3 15 %s" % ds[0]["public_key"])
    want = dns.dnssec.make_ds(dns.name.from_text("ed.example."), key, "SHA256")
    assert ds[0]["digest"] == want.digest.hex().upper()


def test_private_keys_never_in_clear(server_factory, tmp_path):
    secret = str(tmp_path / "sealing.key")
    server = server_factory(serve_args={"--secret-key-file": secret})
    api = Api(server)
    for i in range(3):
        api.domain("sealed%d.example" % i)
        api.ok("POST", "/domains/sealed%d.example/dnssec" % i, 201)
    st = os.stat(secret)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_size == 32
    assert not os.path.exists(os.path.join(server.data_dir, "secret.key"))
    sealed = [bytes(b) for (b,) in rows(server, "SELECT private_key FROM dnssec_keys")]
    assert len(sealed) == 3
    # version 1, 24-byte nonce, 16-byte MAC, then the sealed PEM
    assert all(b[0] == 1 and len(b) > 41 for b in sealed)
    assert len(set(b[1:25] for b in sealed)) == 3
    # Nothing of a PEM or PKCS#8 EC key in the database files (WAL included).
    markers = [b"PRIVATE KEY", b"-----BEGIN", b"MIGHAgEAMBMGByqGSM49",
               bytes.fromhex("308187020100301306072a8648ce3d0201")]
    files = glob.glob(os.path.join(server.data_dir, "nameplate.db*"))
    assert files
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for m in markers:
            assert m not in data, (path, m)


def test_default_secret_file(api, server):
    api.domain("default-secret.example")
    path = os.path.join(server.data_dir, "secret.key")
    assert not os.path.exists(path)  # made on first need, not at start
    api.ok("POST", "/domains/default-secret.example/dnssec", 201)
    st = os.stat(path)
    assert stat.S_IMODE(st.st_mode) == 0o600 and st.st_size == 32


def test_unusable_secret_file(server_factory, tmp_path):
    secret = tmp_path / "loose.key"
    secret.write_bytes(os.urandom(32))
    os.chmod(secret, 0o644)
    server = server_factory(serve_args={"--secret-key-file": str(secret)})
    api = Api(server)
    api.domain("loose.example")
    # 500 is not a status the contract lists: headers and body are checked here.
    r = server.post("/v2/%d/domains/loose.example/dnssec" % server.account_id,
                    token=server.token)
    assert r.status_code == 500, r.text
    check_headers(r)
    assert "secret" in r.json()["message"]
    assert api.ok("GET", "/domains/loose.example/dnssec")["data"]["enabled"] is False
    assert rows(server, "SELECT count(*) FROM dnssec_keys")[0][0] == 0


def test_secondary_zone_cannot_be_signed(api):
    r, body = api.call("POST", "/secondary_dns/zones", json={"name": "secondary.example"})
    assert r.status_code == 201, body
    r, body = api.call("POST", "/domains/secondary.example/dnssec")
    assert r.status_code == 400, body
    assert "secondary" in body["message"] and body["errors"] == {}


def test_domain_delete_takes_dnssec_along(api, server):
    api.domain("gone.example")
    api.ok("POST", "/domains/gone.example/dnssec", 201)
    api.ok("POST", "/domains/gone.example/ds_records", 201, json=DS_EXAMPLE)
    r, _ = api.call("DELETE", "/domains/gone.example")
    assert r.status_code == 204
    for table in ("dnssec_keys", "zone_dnssec", "ds_records"):
        assert rows(server, "SELECT count(*) FROM %s" % table)[0][0] == 0, table


# ------------------------------------------------------------------ DS records

def test_ds_crud(api):
    d = api.domain("ds.example")
    body = api.ok("POST", "/domains/ds.example/ds_records", 201, json=DS_EXAMPLE)
    compare_fixture(body, "createDelegationSignerRecord/created.http")
    ds = body["data"]
    assert ds["domain_id"] == d["id"] and ds["public_key"] is None
    for k, v in DS_EXAMPLE.items():
        assert ds[k] == v, k
    assert ds["created_at"] == ds["updated_at"]

    got = api.ok("GET", "/domains/ds.example/ds_records/%d" % ds["id"])
    compare_fixture(got, "getDelegationSignerRecord/success.http")
    assert got["data"] == ds

    listed = api.ok("GET", "/domains/ds.example/ds_records")
    compare_fixture(listed, "listDelegationSignerRecords/success.http")
    assert listed["data"] == [ds]
    assert listed["pagination"] == {"current_page": 1, "per_page": 30, "total_entries": 1,
                                    "total_pages": 1}

    r, none = api.call("DELETE", "/domains/ds.example/ds_records/%d" % ds["id"])
    assert r.status_code == 204 and none is None
    r, body = api.call("GET", "/domains/ds.example/ds_records/%d" % ds["id"])
    assert r.status_code == 404
    assert body == {"message": "Delegation signer record `%d` not found" % ds["id"]}
    r, body = api.call("DELETE", "/domains/ds.example/ds_records/%d" % ds["id"])
    assert r.status_code == 404
    assert api.ok("GET", "/domains/ds.example/ds_records")["data"] == []


def test_ds_fixture_values(api):
    """The fixture's record, sent as its own body, comes back field for field."""
    fx = load_fixture("getDelegationSignerRecord/success.http").json()["data"]
    api.domain("fx.example")
    sent = {k: fx[k] for k in ("algorithm", "digest", "digest_type", "keytag")}
    ds = api.ok("POST", "/domains/fx.example/ds_records", 201, json=sent)["data"]
    for k in sent:
        assert ds[k] == fx[k], k


def test_ds_list_pages_and_sorts(api):
    api.domain("many.example")
    made = []
    for tag in range(5):
        made.append(api.ok("POST", "/domains/many.example/ds_records", 201,
                           json=dict(DS_EXAMPLE, keytag=str(tag)))["data"])
    ids = [d["id"] for d in made]
    base = "/domains/many.example/ds_records"
    assert [d["id"] for d in api.ok("GET", base)["data"]] == ids
    assert [d["id"] for d in api.ok("GET", base + "?sort=id:desc")["data"]] == ids[::-1]
    assert [d["id"] for d in api.ok("GET", base + "?sort=created_at:asc")["data"]] == ids
    page = api.ok("GET", base + "?page=2&per_page=2")
    assert [d["id"] for d in page["data"]] == ids[2:4]
    assert page["pagination"] == {"current_page": 2, "per_page": 2, "total_entries": 5,
                                  "total_pages": 3}
    for bad in ("?sort=keytag:asc", "?sort=id:up", "?page=0", "?per_page=x"):
        r, body = api.call("GET", base + bad)
        assert r.status_code == 400, (bad, body)


def test_ds_validation(api):
    api.domain("bad.example")
    path = "/domains/bad.example/ds_records"
    r, body = api.call("POST", path, json={})
    fx = load_fixture("createDelegationSignerRecord/validation-error.http")
    assert r.status_code == fx.status
    assert body == fx.json()
    r, body = api.call("POST", path)  # no body at all is an empty one
    assert body == fx.json()
    r, body = api.call("POST", path, json={"algorithm": "x13", "digest": "zz", "digest_type": "256",
                                           "keytag": "70000", "public_key": "not base64!"})
    expect_errors(r, body, {k: ["is invalid"] for k in
                            ("algorithm", "digest", "digest_type", "keytag", "public_key")})
    # A SHA-256 digest has 64 hex digits.
    r, body = api.call("POST", path, json=dict(DS_EXAMPLE, digest="abcd"))
    expect_errors(r, body, {"digest": ["is invalid"]})
    r, body = api.call("POST", path, json=dict(DS_EXAMPLE, algorithm=["13"]))
    expect_errors(r, body, {"algorithm": ["is invalid"]})
    r, body = api.call("POST", path, json=dict(DS_EXAMPLE, algorithm="  "))
    expect_errors(r, body, {"algorithm": ["can't be blank"]})
    r, body = api.call("POST", path, json=[DS_EXAMPLE])
    assert r.status_code == 400, body
    # Numbers as JSON numbers are taken; whitespace is trimmed.
    ds = api.ok("POST", path, 201, json=dict(DS_EXAMPLE, algorithm=13, digest_type=2,
                                             keytag=" 2371 "))["data"]
    assert (ds["algorithm"], ds["digest_type"], ds["keytag"]) == ("13", "2", "2371")
    assert rows_count(api, path) == 1


def rows_count(api, path):
    return api.ok("GET", path)["pagination"]["total_entries"]


def test_ds_public_key_form(api):
    """KEY data instead of DS data: the DS is derived from DNSKEY 257 3 alg key."""
    api.domain("example.net")
    path = "/domains/example.net/ds_records"
    r, body = api.call("POST", path, json={"public_key": RFC6605_KEY})
    expect_errors(r, body, {"algorithm": ["can't be blank"]})
    ds = api.ok("POST", path, 201, json={"algorithm": "13", "public_key": RFC6605_KEY})["data"]
    assert ds["public_key"] == RFC6605_KEY
    assert (ds["keytag"], ds["digest_type"], ds["digest"]) == ("55648", "2", RFC6605_DS)
    ds = api.ok("POST", path, 201, json={"algorithm": "13", "public_key": RFC6605_KEY,
                                         "digest_type": "4"})["data"]
    key = dns.rdata.from_text("IN", "DNSKEY", "257 3 13 %s" % RFC6605_KEY)
    want = dns.dnssec.make_ds(dns.name.from_text("example.net."), key, "SHA384")
    assert ds["digest"] == want.digest.hex().upper() and ds["digest_type"] == "4"
    r, body = api.call("POST", path, json={"algorithm": "13", "public_key": RFC6605_KEY,
                                           "digest_type": "1"})
    expect_errors(r, body, {"digest": ["can't be blank"]})
    # A digest without its type: the type its length says; the key tag from the key.
    ds = api.ok("POST", path, 201, json={"algorithm": "13", "public_key": RFC6605_KEY,
                                         "digest": RFC6605_DS.lower()})["data"]
    assert (ds["keytag"], ds["digest_type"], ds["digest"]) == ("55648", "2", RFC6605_DS.lower())
    r, body = api.call("POST", path, json={"algorithm": "13", "public_key": RFC6605_KEY,
                                           "digest": "abcd"})
    expect_errors(r, body, {"digest_type": ["can't be blank"]})


# ------------------------------------------------------------------ 404s, isolation, scopes

ROUTES = [("GET", "/dnssec"), ("POST", "/dnssec"), ("DELETE", "/dnssec"),
          ("GET", "/ds_records"), ("POST", "/ds_records"), ("GET", "/ds_records/1"),
          ("DELETE", "/ds_records/1")]


def test_unknown_domain(api):
    for method, tail in ROUTES + [("GET", "/dnssec/ds")]:
        r = api.s.request(method, "/v2/%d/domains/nope.example%s" % (api.account, tail),
                          token=api.token, json=DS_EXAMPLE if method == "POST" else None)
        if tail != "/dnssec/ds":
            check(r)
        assert r.status_code == 404, (method, tail, r.text)
        assert r.json() == {"message": "Domain `nope.example` not found"}, (method, tail)


def test_unknown_ds_record(api):
    api.domain("ids.example")
    for ref in ("0", "999999", "abc", "-1", "1.5"):
        for method in ("GET", "DELETE"):
            r, body = api.call(method, "/domains/ids.example/ds_records/%s" % ref)
            assert r.status_code == 404, (ref, body)
            assert body == {"message": "Delegation signer record `%s` not found" % ref}
    # notfound-delegationSignerRecord.http: the message names the id as given
    fx = load_fixture("notfound-delegationSignerRecord.http")
    r, body = api.call("GET", "/domains/ids.example/ds_records/0")
    assert body == fx.json()


def test_account_isolation(api, server):
    d = api.domain("mine.example")
    api.ok("POST", "/domains/mine.example/dnssec", 201)
    ds = api.ok("POST", "/domains/mine.example/ds_records", 201, json=DS_EXAMPLE)["data"]
    other = server.create_account("Other", "other@example.com")
    tok = server.create_token(account=other["id"])["token"]
    them = Api(server, token=tok, account=other["id"])
    them.domain("theirs.example")
    # Our domain by name or id, from their account: not found.
    for ref in ("mine.example", str(d["id"])):
        for method, tail in ROUTES:
            r, body = them.call(method, "/domains/%s%s" % (ref, tail),
                                json=DS_EXAMPLE if method == "POST" else None)
            assert r.status_code == 404, (ref, method, tail, body)
    # Our DS record through their domain: not found.
    r, body = them.call("GET", "/domains/theirs.example/ds_records/%d" % ds["id"])
    assert r.status_code == 404
    r, body = them.call("DELETE", "/domains/theirs.example/ds_records/%d" % ds["id"])
    assert r.status_code == 404
    # Our account's paths with their token: not found.
    r = server.get("/v2/%d/domains/mine.example/dnssec" % server.account_id, token=tok)
    check(r)
    assert r.status_code == 404
    # Still there, still enabled.
    assert api.ok("GET", "/domains/mine.example/ds_records/%d" % ds["id"])["data"] == ds
    assert api.ok("GET", "/domains/mine.example/dnssec")["data"]["enabled"] is True
    assert them.ok("GET", "/domains/theirs.example/dnssec")["data"]["enabled"] is False


def test_scoped_tokens(api, server):
    api.domain("scoped.example")
    read = server.create_token(account=server.account_id, scopes=["domains:*:read"])["token"]
    ro = Api(server, token=read)
    ro.ok("GET", "/domains/scoped.example/dnssec")
    ro.ok("GET", "/domains/scoped.example/ds_records")
    for method, tail, body in (("POST", "/dnssec", None), ("DELETE", "/dnssec", None),
                               ("POST", "/ds_records", DS_EXAMPLE)):
        r, got = ro.call(method, "/domains/scoped.example%s" % tail, json=body)
        assert r.status_code == 403, (method, tail, got)
        assert got["message"].startswith("Permission Denied. Required Scope: domains:")
    zones = server.create_token(account=server.account_id, scopes=["zones:*:write"])["token"]
    r, got = Api(server, token=zones).call("GET", "/domains/scoped.example/dnssec")
    assert r.status_code == 403
