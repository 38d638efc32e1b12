// The official dnsimple Node.js client against a running Nameplate server.
//
// Env: NAMEPLATE_URL (e.g. http://127.0.0.1:8080, without /v2), NAMEPLATE_TOKEN
// (an account token), NAMEPLATE_ACCOUNT_ID (that account's id).
// Run: node --test tests/clients/   (tests/integration/test_clients.py does this)

import { test } from "node:test";
import assert from "node:assert/strict";
import { AuthenticationError, accessToken, accountId, client } from "./nameplate.mjs";

test("identity.whoami returns the token's account", async () => {
  const res = await client().identity.whoami();
  assert.equal(res.data.user, null);
  assert.equal(res.data.account.id, accountId);
  assert.equal(typeof res.data.account.email, "string");
  assert.equal(typeof res.data.account.plan_identifier, "string");
});

test("accounts.listAccounts returns exactly the token's account", async () => {
  const res = await client().accounts.listAccounts();
  assert.ok(Array.isArray(res.data));
  assert.deepEqual(
    res.data.map((a) => a.id),
    [accountId],
  );
});

test("a wrong token raises AuthenticationError", async () => {
  await assert.rejects(client(accessToken + "-wrong").identity.whoami(), (err) => {
    assert.ok(err instanceof AuthenticationError, `got ${err && err.constructor.name}: ${err}`);
    assert.equal(err.status, 401);
    assert.equal(err.data.message, "Authentication failed");
    return true;
  });
});
