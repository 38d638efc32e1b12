// The official dnsimple Node.js client against a running Nameplate server: DNSSEC and
// delegation signer records (content/v2/domains/dnssec.md).
// Run: node --test tests/clients/   (tests/integration/test_clients.py does this)

import { test } from "node:test";
import assert from "node:assert/strict";
import { accountId, client, ClientError, NotFoundError } from "./nameplate.mjs";

test("dnssec and delegation signer records through the official client", async () => {
  const c = client();
  const domain = `node-dnssec-${process.pid}-${Date.now() % 1e6}.test`;
  await c.domains.createDomain(accountId, { name: domain });

  const before = await c.domains.getDnssec(accountId, domain);
  assert.equal(before.data.enabled, false);

  const enabled = await c.domains.enableDnssec(accountId, domain);
  assert.equal(enabled.data.enabled, true);
  assert.equal(enabled.data.active, true);
  const got = await c.domains.getDnssec(accountId, domain);
  assert.deepEqual(got.data, enabled.data);

  const ds = {
    algorithm: "13",
    digest: "684a1f049d7d082b7f98691657da5a65764913df7f065f6f8c36edf62d66ca03",
    digest_type: "2",
    keytag: "2371",
  };
  const created = await c.domains.createDelegationSignerRecord(accountId, domain, ds);
  for (const [k, v] of Object.entries(ds)) assert.equal(created.data[k], v, k);
  assert.equal(created.data.public_key, null);

  const list = await c.domains.listDelegationSignerRecords(accountId, domain);
  assert.equal(list.pagination.total_entries, 1);
  assert.deepEqual(list.data, [created.data]);
  const all = await c.domains.listDelegationSignerRecords.collectAll(accountId, domain);
  assert.deepEqual(all, [created.data]);
  const one = await c.domains.getDelegationSignerRecord(accountId, domain, created.data.id);
  assert.deepEqual(one.data, created.data);

  await assert.rejects(c.domains.createDelegationSignerRecord(accountId, domain, {}), (e) => {
    assert.ok(e instanceof ClientError);
    assert.equal(e.status, 400);
    assert.deepEqual(Object.keys(e.data.errors).sort(), [
      "algorithm",
      "digest",
      "digest_type",
      "keytag",
    ]);
    return true;
  });

  await c.domains.deleteDelegationSignerRecord(accountId, domain, created.data.id);
  await assert.rejects(
    c.domains.getDelegationSignerRecord(accountId, domain, created.data.id),
    NotFoundError,
  );

  await c.domains.disableDnssec(accountId, domain);
  const after = await c.domains.getDnssec(accountId, domain);
  assert.equal(after.data.enabled, false);
  await assert.rejects(c.domains.disableDnssec(accountId, domain), (e) => {
    assert.equal(e.status, 428);
    return true;
  });
  await c.domains.deleteDomain(accountId, domain);
});
