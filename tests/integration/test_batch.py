"""Batch change zone records: POST /v2/{account}/zones/{zone}/batch
(content/v2/zones/batch-change-zone-records.md; fixtures batchChangeZoneRecords/*).

Deletes, then updates, then creates, in one transaction: all or nothing. Every response
goes through check(); the error bodies are compared with the recorded fixtures value for
value (with our ids).
"""

import copy
import itertools
import os
import sqlite3

import pytest

import npt.api
from npt import compare_fixture, load_fixture, paths
from npt.server import Server, binary_exists

pytestmark = pytest.mark.server

_seq = itertools.count(1)


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    binary = paths.nameplate_bin()
    if not binary_exists(binary):
        pytest.skip("nameplate binary not built: %s" % binary)
    s = Server(tmp_path_factory.mktemp("batch"), binary=binary)
    s.bootstrap()
    s.start()
    yield s
    s.stop(check=True)


class Api(npt.api.Api):
    def new_zone(self):
        name = "batch%d-%d.test" % (os.getpid() % 1000, next(_seq))
        self.ok("POST", "/domains", 201, json={"name": name})
        return name

    def create(self, zone, **rec):
        return self.ok("POST", "/zones/%s/records" % zone, 201, json=rec)["data"]

    def records(self, zone):
        return self.ok("GET", "/zones/%s/records?per_page=100&sort=id" % zone)["data"]

    def serial(self, zone):
        soa = [r for r in self.records(zone) if r["type"] == "SOA"]
        return int(soa[0]["content"].split()[2])

    def batch(self, zone, body):
        return self.call("POST", "/zones/%s/batch" % zone, json=body)


@pytest.fixture
def api(srv):
    return Api(srv)


def change_log(api, zone):
    """The zone's change-log serials in commit order (the store, read beside the server)."""
    conn = sqlite3.connect(os.path.join(api.s.data_dir, "nameplate.db"), timeout=10)
    try:
        return [s for (s,) in conn.execute(
            "SELECT c.serial FROM zone_changes c JOIN zones z ON z.id = c.zone_id "
            "WHERE z.name = ? ORDER BY c.id", (zone,))]
    finally:
        conn.close()


def snapshot(api, zone):
    """Records, serial and change log: a refused batch changes none of them."""
    return api.records(zone), api.serial(zone), change_log(api, zone)


def test_batch_success(api):
    zone = api.new_zone()
    d1 = api.create(zone, name="del1", type="A", content="1.2.3.4")
    d2 = api.create(zone, name="del2", type="A", content="1.2.3.5")
    u1 = api.create(zone, name="update1", type="A", content="3.2.3.4")
    u2 = api.create(zone, name="update2", type="MX", content="mx.example.com", priority=10,
                    ttl=600)
    keep = api.create(zone, name="keep", type="A", content="9.9.9.9")
    serial = api.serial(zone)
    log = change_log(api, zone)
    r, body = api.batch(zone, {
        "creates": [{"name": "ab", "type": "A", "content": "3.2.3.4", "ttl": 3600},
                    {"name": "ab", "type": "A", "content": "4.2.3.4", "ttl": 3600}],
        "updates": [{"id": u1["id"], "content": "3.2.3.40"},
                    {"id": u2["id"], "content": "mx2.example.com", "priority": 20}],
        "deletes": [{"id": d1["id"]}, {"id": d2["id"]}]})
    assert r.status_code == 200, body
    compare_fixture(body, "batchChangeZoneRecords/success.http")
    data = body["data"]
    assert [(c["name"], c["type"], c["content"], c["ttl"]) for c in data["creates"]] == \
        [("ab", "A", "3.2.3.4", 3600), ("ab", "A", "4.2.3.4", 3600)]
    assert all(c["zone_id"] == zone and c["system_record"] is False for c in data["creates"])
    assert [u["id"] for u in data["updates"]] == [u1["id"], u2["id"]]
    assert data["updates"][0]["content"] == "3.2.3.40"
    assert data["updates"][0]["name"] == "update1" and data["updates"][0]["ttl"] == 3600
    assert (data["updates"][1]["content"], data["updates"][1]["priority"],
            data["updates"][1]["ttl"]) == ("mx2.example.com", 20, 600)
    assert data["updates"][0]["created_at"] == u1["created_at"]
    assert data["deletes"] == [{"id": d1["id"]}, {"id": d2["id"]}]

    recs = {x["id"]: x for x in api.records(zone)}
    assert d1["id"] not in recs and d2["id"] not in recs
    assert recs[u1["id"]] == data["updates"][0]
    assert recs[u2["id"]] == data["updates"][1]
    for c in data["creates"]:
        assert recs[c["id"]] == c
    assert recs[keep["id"]] == keep
    assert api.serial(zone) > serial
    # one transaction: one serial, one change-log row (DESIGN.md, "How a change flows")
    after = change_log(api, zone)
    assert len(after) == len(log) + 1, after
    assert after[-1] == api.serial(zone)


def test_batch_parts_are_optional(api):
    zone = api.new_zone()
    a = api.create(zone, name="a", type="A", content="192.0.2.1")
    r, body = api.batch(zone, {"deletes": [{"id": a["id"]}]})
    assert r.status_code == 200, body
    assert body["data"] == {"creates": [], "updates": [], "deletes": [{"id": a["id"]}]}
    r, body = api.batch(zone, {"creates": [{"name": "n", "type": "TXT", "content": "x"}]})
    assert r.status_code == 200, body
    assert body["data"]["updates"] == [] and body["data"]["deletes"] == []
    assert [c["content"] for c in body["data"]["creates"]] == ['"x"']
    r, body = api.batch(zone, {})
    assert r.status_code == 200, body
    assert body["data"] == {"creates": [], "updates": [], "deletes": []}


def test_batch_order_deletes_updates_creates(api):
    """What a batch may do only because deletes run first, then updates, then creates."""
    zone = api.new_zone()
    x = api.create(zone, name="x", type="A", content="192.0.2.1")
    y = api.create(zone, name="y", type="A", content="192.0.2.2")
    c = api.create(zone, name="c", type="A", content="192.0.2.3")
    r, body = api.batch(zone, {
        # re-creating a deleted record is no duplicate; a CNAME where the A was is fine
        "creates": [{"name": "x", "type": "A", "content": "192.0.2.1"},
                    {"name": "c", "type": "CNAME", "content": "target.example.net"},
                    # the update below frees y's old content
                    {"name": "y", "type": "A", "content": "192.0.2.2"}],
        # moving y onto x's name and content, after x is gone
        "updates": [{"id": y["id"], "name": "x", "content": "192.0.2.9"}],
        "deletes": [{"id": x["id"]}, {"id": c["id"]}]})
    assert r.status_code == 200, body
    names = sorted((r_["name"], r_["type"], r_["content"]) for r_ in api.records(zone)
                   if not r_["system_record"])
    assert names == [("c", "CNAME", "target.example.net"), ("x", "A", "192.0.2.1"),
                     ("x", "A", "192.0.2.9"), ("y", "A", "192.0.2.2")]

    # an update of a record the same batch deletes: deleted first, so not found
    z = api.create(zone, name="z", type="A", content="192.0.2.4")
    before = snapshot(api, zone)
    r, body = api.batch(zone, {"updates": [{"id": z["id"], "content": "192.0.2.5"}],
                               "deletes": [{"id": z["id"]}]})
    assert r.status_code == 400, body
    assert body == {"message": "Validation failed", "errors": {"updates": [
        {"index": 0, "message": "Record not found ID=%d" % z["id"]}]}}
    assert snapshot(api, zone) == before


def _prepared(api):
    zone = api.new_zone()
    d = api.create(zone, name="gone", type="A", content="192.0.2.1")
    u = api.create(zone, name="changed", type="A", content="192.0.2.2")
    return zone, d, u


def test_invalid_create_changes_nothing(api):
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    r, body = api.batch(zone, {
        "deletes": [{"id": d["id"]}],
        "updates": [{"id": u["id"], "content": "192.0.2.20"}],
        "creates": [{"name": "ok", "type": "A", "content": "192.0.2.3"},
                    {"name": "bad", "type": "BOGUS", "content": "192.0.2.4"}]})
    assert r.status_code == 400, body
    assert body["message"] == "Validation failed"
    assert list(body["errors"]) == ["creates"], body
    assert body["errors"]["creates"] == [
        {"index": 1, "message": "Validation failed", "errors": {"record_type": ["unsupported"]}}]
    assert snapshot(api, zone) == before


def test_invalid_create_as_fixture(api):
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    r, body = api.batch(zone, {
        "deletes": [{"id": d["id"]}],
        "creates": [{"name": "bad", "type": "INVALID", "content": "x"}]})
    assert r.status_code == 400, body
    assert body == load_fixture(
        "batchChangeZoneRecords/error_400_create_validation_failed.http").json()
    assert snapshot(api, zone) == before


def test_create_refused_inside_the_transaction_rolls_back(api):
    """A create that only the store can refuse (duplicate, CNAME conflict) after deletes,
    updates and earlier creates were written: all of them are undone."""
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    for bad in ({"name": "changed", "type": "A", "content": "192.0.2.2"},  # duplicate of u
                {"name": "changed", "type": "CNAME", "content": "t.example.net"},
                {"name": "first", "type": "A", "content": "192.0.2.30"}):  # dup of creates[0]
        r, body = api.batch(zone, {
            "deletes": [{"id": d["id"]}],
            "updates": [{"id": u["id"], "ttl": 120}],
            "creates": [{"name": "first", "type": "A", "content": "192.0.2.30"}, bad]})
        assert r.status_code == 400, (bad, body)
        assert body["message"] == "Validation failed"
        items = body["errors"]["creates"]
        assert len(items) == 1 and items[0]["index"] == 1, body
        assert isinstance(items[0]["message"], str) and items[0]["message"]
        assert snapshot(api, zone) == before, bad


def test_unknown_delete_as_fixture(api):
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    missing = 67622509
    r, body = api.batch(zone, {
        "deletes": [{"id": missing}, {"id": d["id"]}],
        "updates": [{"id": u["id"], "content": "192.0.2.20"}],
        "creates": [{"name": "new", "type": "A", "content": "192.0.2.3"}]})
    assert r.status_code == 400, body
    want = load_fixture("batchChangeZoneRecords/error_400_delete_validation_failed.http").json()
    assert body == want
    assert snapshot(api, zone) == before
    # a later delete fails with its own index; the earlier one is undone
    r, body = api.batch(zone, {"deletes": [{"id": d["id"]}, {"id": 999999999}]})
    assert r.status_code == 400, body
    assert body == {"message": "Validation failed", "errors": {"deletes": [
        {"index": 1, "message": "Record not found ID=999999999"}]}}
    assert snapshot(api, zone) == before


def test_unknown_update_as_fixture(api):
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    r, body = api.batch(zone, {
        "deletes": [{"id": d["id"]}],
        "updates": [{"id": 99999999, "content": "192.0.2.20"}],
        "creates": [{"name": "new", "type": "A", "content": "192.0.2.3"}]})
    assert r.status_code == 400, body
    want = load_fixture("batchChangeZoneRecords/error_400_update_validation_failed.http").json()
    assert body == want
    assert snapshot(api, zone) == before


def test_records_of_another_zone_are_not_found(api):
    zone, d, u = _prepared(api)
    other = api.new_zone()
    foreign = api.create(other, name="f", type="A", content="192.0.2.77")
    before, before_other = snapshot(api, zone), snapshot(api, other)
    r, body = api.batch(zone, {"deletes": [{"id": foreign["id"]}]})
    assert r.status_code == 400, body
    assert body == {"message": "Validation failed", "errors": {"deletes": [
        {"index": 0, "message": "Record not found ID=%d" % foreign["id"]}]}}
    r, body = api.batch(zone, {"updates": [{"id": foreign["id"], "content": "192.0.2.78"}]})
    assert r.status_code == 400, body
    assert body["errors"]["updates"][0]["index"] == 0
    assert snapshot(api, zone) == before and snapshot(api, other) == before_other


def test_invalid_update_and_system_records(api):
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    r, body = api.batch(zone, {"deletes": [{"id": d["id"]}],
                               "updates": [{"id": u["id"], "content": "not-an-ip"}]})
    assert r.status_code == 400, body
    item = body["errors"]["updates"][0]
    assert item["index"] == 0 and item["message"] == "Validation failed"
    assert list(item["errors"]) == ["content"], body
    assert snapshot(api, zone) == before
    soa = [x for x in before[0] if x["type"] == "SOA"][0]
    ns = [x for x in before[0] if x["type"] == "NS"][0]
    r, body = api.batch(zone, {"deletes": [{"id": d["id"]}, {"id": ns["id"]}]})
    assert r.status_code == 400, body
    assert body["errors"]["deletes"][0]["index"] == 1, body
    r, body = api.batch(zone, {"updates": [{"id": soa["id"], "ttl": 600}]})
    assert r.status_code == 400, body
    assert body["errors"]["updates"][0]["index"] == 0, body
    r, body = api.batch(zone, {"creates": [{"name": "", "type": "SOA", "content":
                                            "a.example b.example 1 2 3 4 5"}]})
    assert r.status_code == 400, body
    assert body["errors"]["creates"][0]["index"] == 0, body
    assert snapshot(api, zone) == before


def test_same_record_deleted_twice(api):
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    r, body = api.batch(zone, {"deletes": [{"id": d["id"]}, {"id": d["id"]}]})
    assert r.status_code == 400, body
    assert body == {"message": "Validation failed", "errors": {"deletes": [
        {"index": 1, "message": "Record not found ID=%d" % d["id"]}]}}
    assert snapshot(api, zone) == before


def test_batch_size_limit(api):
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    creates = [{"name": "n%d" % i, "type": "A", "content": "10.0.%d.%d" % (i // 250, i % 250)}
               for i in range(1001)]
    r, body = api.batch(zone, {"creates": creates})
    assert r.status_code == 400, body
    assert snapshot(api, zone) == before
    r, body = api.batch(zone, {"creates": creates[:1000]})
    assert r.status_code == 200, body
    assert len(body["data"]["creates"]) == 1000


@pytest.mark.parametrize("bad", [
    {"creates": {"name": "a"}},
    {"updates": "x"},
    {"deletes": [{"noid": 1}]},
    {"updates": [{"content": "192.0.2.1"}]},
    {"deletes": ["12"]},
], ids=["creates-object", "updates-string", "delete-without-id", "update-without-id",
        "delete-not-object"])
def test_malformed_batches(api, bad):
    zone, d, u = _prepared(api)
    before = snapshot(api, zone)
    r, body = api.batch(zone, copy.deepcopy(bad))
    assert r.status_code == 400, body
    assert snapshot(api, zone) == before


def test_batch_unknown_zone(api):
    r, body = api.batch("nosuch-zone.test", {"creates": [
        {"name": "a", "type": "A", "content": "192.0.2.1"}]})
    assert r.status_code == 404, body
    assert body == {"message": "Zone `nosuch-zone.test` not found"}
