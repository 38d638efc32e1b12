// The official dnsimple Node.js client against a running Nameplate server: domains and
// zone records. Client and environment from nameplate.mjs:
// NAMEPLATE_URL (without /v2), NAMEPLATE_TOKEN (an account token), NAMEPLATE_ACCOUNT_ID.
// Run: node --test tests/clients/   (tests/integration/test_clients.py does this)

import { test } from "node:test";
import assert from "node:assert/strict";
import { ClientError, NotFoundError, accountId, client } from "./nameplate.mjs";

// One record of every type in DNSimple's ZoneRecordType list (SOA is the system's).
const RECORDS = [
  { name: "www", type: "A", content: "192.0.2.1" },
  { name: "www", type: "AAAA", content: "2001:db8::1" },
  { name: "", type: "ALIAS", content: "target.example.net" },
  { name: "", type: "CAA", content: '0 issue "letsencrypt.org"' },
  { name: "alias", type: "CNAME", content: "www.example.net" },
  {
    name: "",
    type: "DNSKEY",
    content:
      "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+" +
      "e+MAnLr+Wi9xMWyQLc8NAA==",
  },
  { name: "sub", type: "DS", content: "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118" },
  { name: "", type: "HINFO", content: '"PC" "Linux"' },
  { name: "", type: "MX", content: "mx.example.com", priority: 10 },
  { name: "", type: "NAPTR", content: '100 10 "U" "E2U+sip" "!^.*$!sip:info@example.com!" .' },
  { name: "sub", type: "NS", content: "ns1.example.net" },
  { name: "pool", type: "POOL", content: "a.example.net" },
  { name: "ptr", type: "PTR", content: "host.example.com" },
  { name: "", type: "SPF", content: "v=spf1 -all", expect: '"v=spf1 -all"' },
  { name: "_sip._tcp", type: "SRV", content: "10 5060 sip.example.com", priority: 20 },
  { name: "", type: "SSHFP", content: "1 1 123456789ABCDEF67890123456789ABCDEF67890" },
  { name: "", type: "TXT", content: "hello world", expect: '"hello world"' },
  { name: "go", type: "URL", content: "https://example.net/path" },
];

test("domains and zone records through the official client", async () => {
  const c = client();
  const domain = `node-records-${process.pid}-${Date.now() % 1e6}.test`;

  const created = await c.domains.createDomain(accountId, { name: domain });
  assert.equal(created.data.name, domain);
  assert.equal(created.data.state, "hosted");
  assert.equal(created.data.account_id, accountId);
  const got = await c.domains.getDomain(accountId, domain);
  assert.equal(got.data.id, created.data.id);

  const zone = await c.zones.getZone(accountId, domain);
  assert.equal(zone.data.name, domain);
  assert.equal(zone.data.active, true);

  // create one record of every type
  const made = [];
  for (const spec of RECORDS) {
    const { expect, ...attrs } = spec;
    const res = await c.zones.createZoneRecord(accountId, domain, { ttl: 600, ...attrs });
    const r = res.data;
    assert.equal(r.type, spec.type);
    assert.equal(r.name, spec.name);
    assert.equal(r.zone_id, domain);
    assert.equal(r.content, expect ?? spec.content, spec.type);
    assert.equal(r.ttl, 600);
    assert.deepEqual(r.regions, ["global"]);
    assert.equal(r.system_record, false);
    assert.equal(r.priority, spec.priority ?? null, spec.type);
    made.push(r);
  }

  // list with per_page 5, walking every page
  const first = await c.zones.listZoneRecords(accountId, domain, { per_page: 5, sort: "id:asc" });
  const total = RECORDS.length + 3; // + SOA and two NS
  assert.equal(first.pagination.total_entries, total);
  assert.equal(first.pagination.per_page, 5);
  assert.equal(first.pagination.total_pages, Math.ceil(total / 5));
  const seen = [];
  for (let page = 1; page <= first.pagination.total_pages; page++) {
    const res = await c.zones.listZoneRecords(accountId, domain, {
      per_page: 5,
      page,
      sort: "id:asc",
    });
    assert.equal(res.pagination.current_page, page);
    assert.equal(res.data.length, page < res.pagination.total_pages ? 5 : total - 5 * (page - 1));
    seen.push(...res.data);
  }
  const ids = seen.map((r) => r.id);
  assert.equal(new Set(ids).size, total);
  assert.deepEqual([...ids].sort((a, b) => a - b), ids);
  for (const r of made) {
    assert.deepEqual(
      seen.find((x) => x.id === r.id),
      r,
    );
  }
  const systemTypes = seen
    .filter((r) => r.system_record)
    .map((r) => r.type)
    .sort();
  assert.deepEqual(systemTypes, ["NS", "NS", "SOA"]);

  // the client's own pagination helper sees the same records
  const all = await c.zones.listZoneRecords.collectAll(accountId, domain, { per_page: 5 });
  assert.deepEqual(all.map((r) => r.id).sort((a, b) => a - b), [...ids].sort((a, b) => a - b));

  // filters
  const mx = await c.zones.listZoneRecords(accountId, domain, { type: "MX" });
  assert.deepEqual(
    mx.data.map((r) => r.content),
    ["mx.example.com"],
  );
  const www = await c.zones.listZoneRecords(accountId, domain, { name: "www" });
  assert.deepEqual(www.data.map((r) => r.type).sort(), ["A", "AAAA"]);

  // update one: the fields not sent are kept
  const mxRec = made.find((r) => r.type === "MX");
  const upd = await c.zones.updateZoneRecord(accountId, domain, mxRec.id, {
    content: "mx2.example.com",
    priority: 30,
  });
  assert.equal(upd.data.id, mxRec.id);
  assert.equal(upd.data.content, "mx2.example.com");
  assert.equal(upd.data.priority, 30);
  assert.equal(upd.data.ttl, 600);
  assert.equal(upd.data.name, "");
  const reread = await c.zones.getZoneRecord(accountId, domain, mxRec.id);
  assert.deepEqual(reread.data, upd.data);

  // invalid content: a ClientError with the field's errors
  await assert.rejects(
    c.zones.createZoneRecord(accountId, domain, { name: "bad", type: "A", content: "not-an-ip" }),
    (err) => {
      assert.ok(err instanceof ClientError, `got ${err && err.constructor.name}: ${err}`);
      assert.equal(err.status, 400);
      assert.equal(err.data.message, "Validation failed");
      assert.ok(Array.isArray(err.data.errors.content), JSON.stringify(err.data));
      return true;
    },
  );

  // delete them all
  for (const r of made) {
    const res = await c.zones.deleteZoneRecord(accountId, domain, r.id);
    assert.deepEqual(res, {});
  }
  const left = await c.zones.listZoneRecords(accountId, domain, { per_page: 100 });
  assert.deepEqual(left.data.map((r) => r.type).sort(), ["NS", "NS", "SOA"]);
  await assert.rejects(c.zones.getZoneRecord(accountId, domain, made[0].id), (err) => {
    assert.ok(err instanceof NotFoundError, `got ${err && err.constructor.name}: ${err}`);
    assert.equal(err.data.message, `Record \`${made[0].id}\` not found`);
    return true;
  });

  // delete the domain: it and its zone are gone
  await c.domains.deleteDomain(accountId, domain);
  await assert.rejects(c.domains.getDomain(accountId, domain), (err) => {
    assert.ok(err instanceof NotFoundError, `got ${err && err.constructor.name}: ${err}`);
    assert.equal(err.status, 404);
    assert.equal(err.data.message, `Domain \`${domain}\` not found`);
    return true;
  });
  await assert.rejects(c.zones.getZone(accountId, domain), NotFoundError);
});
