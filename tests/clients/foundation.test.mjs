// The official dnsimple Node.js client against a running Nameplate server.
//
// Env: NAMEPLATE_URL (e.g. http://127.0.0.1:8080, without /v2), NAMEPLATE_TOKEN
// (an account token), NAMEPLATE_ACCOUNT_ID (that account's id).
// Run: node --test tests/clients/   (tests/integration/test_clients.py does this)

import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import dnsimple from "dnsimple";

const { DNSimple, AuthenticationError } = dnsimple;

const baseUrl = process.env.NAMEPLATE_URL;
const accessToken = process.env.NAMEPLATE_TOKEN;
const accountId = Number(process.env.NAMEPLATE_ACCOUNT_ID);

if (!baseUrl || !accessToken || !Number.isInteger(accountId)) {
  throw new Error("set NAMEPLATE_URL, NAMEPLATE_TOKEN and NAMEPLATE_ACCOUNT_ID");
}

// The client's own transport is https-only (it calls https.request); a test
// server speaks plain HTTP on loopback, so plain-http URLs get this fetcher,
// which honours the same contract: ({url, method, headers, timeout, body}) ->
// {status, body}. Everything above the transport is the stock client.
function httpFetcher({ url, method, headers, timeout, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout });
    req
      .on("response", (res) => {
        const chunks = [];
        res
          .on("data", (c) => chunks.push(c))
          .on("end", () =>
            resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString("utf-8") }),
          )
          .on("error", reject);
      })
      .on("timeout", () => {
        req.destroy();
        reject(new Error(`timeout after ${timeout} ms: ${method} ${url}`));
      })
      .on("error", reject)
      .end(body);
  });
}

function client(token = accessToken) {
  const opts = { baseUrl, accessToken: token, timeout: 10000, userAgent: "nameplate-tests" };
  if (baseUrl.startsWith("http:")) opts.fetcher = httpFetcher;
  return new DNSimple(opts);
}

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
