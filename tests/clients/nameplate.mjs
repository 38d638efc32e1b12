// The official dnsimple Node.js client, set up for a Nameplate test server. Env:
// NAMEPLATE_URL (without /v2), NAMEPLATE_TOKEN (an account token), NAMEPLATE_ACCOUNT_ID.

import http from "node:http";
import dnsimple from "dnsimple";

export const { DNSimple, NotFoundError, ClientError, AuthenticationError } = dnsimple;

export const baseUrl = process.env.NAMEPLATE_URL;
export const accessToken = process.env.NAMEPLATE_TOKEN;
export const accountId = Number(process.env.NAMEPLATE_ACCOUNT_ID);

if (!baseUrl || !accessToken || !Number.isInteger(accountId)) {
  throw new Error("set NAMEPLATE_URL, NAMEPLATE_TOKEN and NAMEPLATE_ACCOUNT_ID");
}

// The client's own transport is https-only; plain-http URLs (a test server on loopback)
// get this fetcher, with the same contract: ({url, method, headers, timeout, body}) ->
// {status, body}.
function plainHttp({ url, method, headers, timeout, body }) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, timeout });
    req
      .on("response", (res) => {
        const parts = [];
        res
          .on("data", (p) => parts.push(p))
          .on("end", () => resolve({ status: res.statusCode, body: Buffer.concat(parts).toString() }))
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

export function client(token = accessToken) {
  const opts = { baseUrl, accessToken: token, timeout: 10000, userAgent: "nameplate-tests" };
  if (baseUrl.startsWith("http:")) opts.fetcher = plainHttp;
  return new DNSimple(opts);
}
