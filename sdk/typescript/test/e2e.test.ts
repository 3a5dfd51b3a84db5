/**
 * End-to-end story through the SDK against the real server binary.
 *
 * The server is started by ./server.ts (binary: $LIFEOS_BIN or ../../target/debug/lifeos,
 * built with `cargo build -p lifeos-gateway`).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import { createLifeosClient, LifeosApiError, type Tokens } from "../src/index.js";
import { PASSWORD, randomEmail, startServer, type RunningServer } from "./server.js";

let server: RunningServer | undefined;
let baseUrl = "";

/** Awaits `promise`, asserting it rejects with a LifeosApiError of that status (and code). */
async function expectApiError(promise: Promise<unknown>, status: number, code?: string): Promise<LifeosApiError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof LifeosApiError, `expected LifeosApiError, got ${String(err)}`);
    assert.equal(err.status, status, `status: ${JSON.stringify(err.problem)}`);
    if (code !== undefined) assert.equal(err.code, code, `code: ${JSON.stringify(err.problem)}`);
    return err;
  }
  assert.fail(`expected an error with status ${status}`);
}

describe("lifeos server through the SDK", () => {
  before(async () => {
    server = await startServer();
    baseUrl = server.baseUrl;
  });

  after(async () => {
    await server?.stop();
  });

  it("account story: register, profile, refresh rotation and reuse, API keys, export, erasure", async () => {
    const seen: Array<Tokens | null> = [];
    const client = createLifeosClient({ baseUrl, onTokens: (t) => seen.push(t) });
    const email = randomEmail();

    // register -> 201 with a session
    const registered = await client.register({ email, password: PASSWORD, displayName: "SDK" });
    assert.equal(typeof registered.accessToken, "string");
    assert.ok(registered.accessToken.length > 0);
    assert.equal(typeof registered.refreshToken, "string");
    assert.ok(registered.refreshToken.length > 0);
    assert.deepEqual(client.tokens(), {
      accessToken: registered.accessToken,
      refreshToken: registered.refreshToken,
    });

    // login -> tokens
    const session = await client.login(email, PASSWORD);
    assert.ok(session.accessToken.length > 0);
    assert.equal(client.tokens()?.refreshToken, session.refreshToken);
    assert.ok(seen.length >= 2, "onTokens called on register and login");

    // GET /me
    {
      const { data, error, response } = await client.api.GET("/api/v1/me");
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.ok(data);
      assert.equal(data.email, email);
      assert.equal(data.timezone, "UTC");
    }

    // PATCH /me
    {
      const { data, error, response } = await client.api.PATCH("/api/v1/me", {
        body: { timezone: "Europe/Berlin", dayStartHour: 4 },
      });
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.ok(data);
      assert.equal(data.timezone, "Europe/Berlin");
      assert.equal(data.dayStartHour, 4);
    }

    // refresh rotates the refresh token
    const firstRefreshToken = session.refreshToken;
    const r1 = await client.refresh();
    assert.notEqual(r1.refreshToken, firstRefreshToken);
    const r2 = await client.refresh();
    assert.notEqual(r2.refreshToken, r1.refreshToken);
    assert.equal(client.tokens()?.refreshToken, r2.refreshToken);

    // presenting the first (twice rotated) refresh token again is reuse -> 401 ...
    {
      const res = await fetch(`${baseUrl}/api/v1/auth/refresh`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refreshToken: firstRefreshToken }),
      });
      assert.equal(res.status, 401);
      assert.match(res.headers.get("content-type") ?? "", /application\/problem\+json/);
      const problem = (await res.json()) as { status?: number; code?: string };
      assert.equal(problem.status, 401);
      assert.equal(typeof problem.code, "string");
    }
    // ... and the whole session is revoked: the latest access token no longer works ...
    {
      const res = await fetch(`${baseUrl}/api/v1/me`, { headers: { Authorization: `Bearer ${r2.accessToken}` } });
      assert.equal(res.status, 401, "the latest access token of the revoked session is refused");
      await res.body?.cancel();
    }
    // ... nor does the latest refresh token: the SDK's automatic refresh fails and it clears its tokens.
    {
      const { response } = await client.api.GET("/api/v1/me");
      assert.equal(response.status, 401);
      assert.equal(client.tokens(), null);
      assert.equal(seen.at(-1), null, "onTokens(null) after a failed refresh");
    }

    // login again, create an API key
    await client.login(email, PASSWORD);
    const { data: created, error: keyError, response: keyResponse } = await client.api.POST(
      "/api/v1/me/api-keys",
      { body: { name: "voice", scopes: ["read"] } },
    );
    assert.equal(keyResponse.status, 201, JSON.stringify(keyError));
    assert.ok(created);
    assert.equal(created.name, "voice");
    assert.deepEqual(created.scopes, ["read"]);
    assert.equal(typeof created.id, "string");
    assert.equal(typeof created.prefix, "string");
    assert.equal(typeof created.createdAt, "string");
    assert.ok("lastUsedAt" in created, "lastUsedAt is present (null until used)");
    assert.equal(typeof created.key, "string");
    assert.ok(created.key.startsWith("lfs_"), `key starts with lfs_: ${created.key.slice(0, 8)}...`);

    // a client authenticated by the key can read but not write
    const keyClient = createLifeosClient({ baseUrl, apiKey: created.key });
    {
      const { data, error, response } = await keyClient.api.GET("/api/v1/me");
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.equal(data?.email, email);
    }
    {
      const { error, response } = await keyClient.api.PATCH("/api/v1/me", {
        body: { displayName: "not allowed" },
      });
      assert.equal(response.status, 403);
      const problem = LifeosApiError.from(error, response);
      assert.equal(problem.code, "insufficient_scope");
      assert.match(response.headers.get("content-type") ?? "", /application\/problem\+json/);
    }

    // export
    {
      const { data, error, response } = await client.api.GET("/api/v1/me/export");
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.ok(data !== null && typeof data === "object" && !Array.isArray(data), "export is a JSON object");
    }

    // erase the account
    const accessBeforeDelete = client.tokens()?.accessToken;
    assert.ok(accessBeforeDelete);
    {
      const { error, response } = await client.api.DELETE("/api/v1/me");
      assert.equal(response.status, 204, JSON.stringify(error));
    }
    {
      const res = await fetch(`${baseUrl}/api/v1/me`, {
        headers: { Authorization: `Bearer ${accessBeforeDelete}` },
      });
      assert.equal(res.status, 401);
      await res.body?.cancel();
    }
    {
      const { response } = await client.api.GET("/api/v1/me");
      assert.equal(response.status, 401);
    }
    await expectApiError(client.login(email, PASSWORD), 401, "invalid_credentials");
  });

  it("refreshes an expired access token automatically and retries the request", async () => {
    const email = randomEmail();
    const owner = createLifeosClient({ baseUrl });
    const session = await owner.register({ email, password: PASSWORD, displayName: "SDK" });

    const seen: Array<Tokens | null> = [];
    const client = createLifeosClient({ baseUrl, onTokens: (t) => seen.push(t) });
    client.setTokens({ accessToken: "garbage", refreshToken: session.refreshToken });
    seen.length = 0;

    // a GET is answered after one refresh
    {
      const { data, error, response } = await client.api.GET("/api/v1/me");
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.equal(data?.email, email);
      assert.equal(seen.length, 1, "onTokens called once");
      const held = client.tokens();
      assert.ok(held);
      assert.equal(seen[0]?.accessToken, held.accessToken);
      assert.notEqual(held.accessToken, "garbage");
      assert.notEqual(held.refreshToken, session.refreshToken);
    }

    // concurrent 401s share a single refresh; a request body survives the retry
    {
      const valid = client.tokens();
      assert.ok(valid);
      client.setTokens({ accessToken: "garbage-again", refreshToken: valid.refreshToken });
      seen.length = 0;
      const [a, b, c] = await Promise.all([
        client.api.GET("/api/v1/me"),
        client.api.GET("/api/v1/me"),
        client.api.PATCH("/api/v1/me", { body: { dayStartHour: 5 } }),
      ]);
      assert.equal(a.response.status, 200, JSON.stringify(a.error));
      assert.equal(b.response.status, 200, JSON.stringify(b.error));
      assert.equal(c.response.status, 200, JSON.stringify(c.error));
      assert.equal(c.data?.dayStartHour, 5);
      assert.equal(seen.length, 1, "one refresh for three concurrent 401s");
      assert.notEqual(client.tokens()?.refreshToken, valid.refreshToken);
    }

    // logout revokes the session and clears the tokens
    const last = client.tokens();
    assert.ok(last);
    await client.logout();
    assert.equal(client.tokens(), null);
    assert.equal(seen.at(-1), null);
    const res = await fetch(`${baseUrl}/api/v1/auth/refresh`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ refreshToken: last.refreshToken }),
    });
    assert.equal(res.status, 401, "the logged-out refresh token is refused");
    await res.body?.cancel();
  });
});
