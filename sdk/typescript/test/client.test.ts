/**
 * Unit tests of the client's auth handling against an in-memory fake of the auth endpoints
 * (no server needed): bearer/API-key headers, single-flight refresh and retry, failure paths.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";

import { createLifeosClient, LifeosApiError, unwrap, type Tokens } from "../src/index.js";

const BASE = "http://lifeos.test";

interface Seen {
  method: string;
  path: string;
  authorization: string | null;
  apiKey: string | null;
  body: string;
}

function problem(status: number, code: string, detail: string): Response {
  return new Response(
    JSON.stringify({ type: `https://lifeos.dev/problems/${code}`, title: code, status, detail, code, requestId: "req-1" }),
    { status, headers: { "Content-Type": "application/problem+json" } },
  );
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });
}

/** A fake lifeos: one user, rotating refresh tokens, access tokens "access-N". */
function fakeServer(opts: { refreshDelayMs?: number; refreshFails?: boolean } = {}) {
  let n = 0;
  const validAccess = new Set<string>();
  const validRefresh = new Set<string>();
  const seen: Seen[] = [];
  let refreshCalls = 0;
  let user = { id: "u1", email: "a@example.com", timezone: "UTC", dayStartHour: 0, displayName: "A" };

  const issue = () => {
    n += 1;
    const accessToken = `access-${n}`;
    const refreshToken = `refresh-${n}`;
    validAccess.add(accessToken);
    validRefresh.add(refreshToken);
    return { user, accessToken, refreshToken, expiresIn: 900 };
  };

  const fetch: typeof globalThis.fetch = async (input, init) => {
    const request = input instanceof Request ? input : new Request(input, init);
    const url = new URL(request.url);
    const body = request.method === "GET" ? "" : await request.text();
    const authorization = request.headers.get("Authorization");
    seen.push({ method: request.method, path: url.pathname, authorization, apiKey: request.headers.get("X-API-Key"), body });
    const route = `${request.method} ${url.pathname}`;

    if (route === "POST /api/v1/auth/login") {
      const { password } = JSON.parse(body) as { password: string };
      if (password !== "pw") return problem(401, "invalid_credentials", "wrong email or password");
      return json(200, issue());
    }
    if (route === "POST /api/v1/auth/refresh") {
      refreshCalls += 1;
      if (opts.refreshDelayMs) await new Promise((r) => setTimeout(r, opts.refreshDelayMs));
      const { refreshToken } = JSON.parse(body) as { refreshToken: string };
      if (opts.refreshFails || !validRefresh.delete(refreshToken)) {
        return problem(401, "invalid_refresh_token", "refresh token is invalid");
      }
      return json(200, issue());
    }
    if (route === "POST /api/v1/auth/logout") {
      const { refreshToken } = JSON.parse(body) as { refreshToken: string };
      validRefresh.delete(refreshToken);
      return new Response(null, { status: 204 });
    }

    // everything else needs a valid bearer or the key "lfs_read"
    const bearer = authorization?.startsWith("Bearer ") ? authorization.slice(7) : null;
    const key = request.headers.get("X-API-Key");
    if (!(bearer && validAccess.has(bearer)) && key !== "lfs_read") {
      return problem(401, "unauthorized", "missing or invalid credentials");
    }
    if (route === "GET /api/v1/me") return json(200, user);
    if (route === "PATCH /api/v1/me") {
      if (key) return problem(403, "insufficient_scope", "needs write");
      user = { ...user, ...(JSON.parse(body) as object) };
      return json(200, user);
    }
    return problem(404, "not_found", "no such route");
  };

  return {
    fetch,
    seen,
    issue,
    get refreshCalls() {
      return refreshCalls;
    },
    expireAccess() {
      validAccess.clear();
    },
  };
}

describe("createLifeosClient", () => {
  it("login holds the session and sends it as a bearer token", async () => {
    const server = fakeServer();
    const changes: Array<Tokens | null> = [];
    const client = createLifeosClient({ baseUrl: BASE, fetch: server.fetch, onTokens: (t) => changes.push(t) });
    const session = await client.login("a@example.com", "pw");
    assert.deepEqual(client.tokens(), { accessToken: session.accessToken, refreshToken: session.refreshToken });
    assert.equal(changes.length, 1);

    const me = unwrap(await client.api.GET("/api/v1/me"));
    assert.equal(me.email, "a@example.com");
    const login = server.seen.find((s) => s.path === "/api/v1/auth/login");
    assert.equal(login?.authorization, null, "no bearer on login");
    assert.equal(server.seen.at(-1)?.authorization, `Bearer ${session.accessToken}`);
  });

  it("helpers throw LifeosApiError with the problem body", async () => {
    const client = createLifeosClient({ baseUrl: BASE, fetch: fakeServer().fetch });
    await assert.rejects(client.login("a@example.com", "nope"), (err: unknown) => {
      assert.ok(err instanceof LifeosApiError);
      assert.equal(err.status, 401);
      assert.equal(err.code, "invalid_credentials");
      assert.equal(err.requestId, "req-1");
      assert.equal(err.detail, "wrong email or password");
      assert.equal(err.type, "https://lifeos.dev/problems/invalid_credentials");
      return true;
    });
    assert.equal(client.tokens(), null);
  });

  it("refreshes once on 401 and retries, including the request body", async () => {
    const server = fakeServer();
    const changes: Array<Tokens | null> = [];
    const first = server.issue();
    const client = createLifeosClient({
      baseUrl: BASE,
      fetch: server.fetch,
      tokens: { accessToken: "expired", refreshToken: first.refreshToken },
      onTokens: (t) => changes.push(t),
    });
    const { data, response } = await client.api.PATCH("/api/v1/me", { body: { timezone: "Europe/Berlin" } });
    assert.equal(response.status, 200);
    assert.equal(data?.timezone, "Europe/Berlin");
    assert.equal(server.refreshCalls, 1);
    assert.equal(changes.length, 1);
    assert.notEqual(client.tokens()?.refreshToken, first.refreshToken);
    const patches = server.seen.filter((s) => s.method === "PATCH");
    assert.equal(patches.length, 2);
    assert.equal(patches[1]?.body, JSON.stringify({ timezone: "Europe/Berlin" }));
    assert.equal(patches[1]?.authorization, `Bearer ${client.tokens()?.accessToken}`);
  });

  it("shares one refresh between concurrent 401s", async () => {
    const server = fakeServer({ refreshDelayMs: 20 });
    const first = server.issue();
    const changes: Array<Tokens | null> = [];
    const client = createLifeosClient({ baseUrl: BASE, fetch: server.fetch, onTokens: (t) => changes.push(t) });
    client.setTokens({ accessToken: "expired", refreshToken: first.refreshToken });
    changes.length = 0;
    const results = await Promise.all(Array.from({ length: 5 }, () => client.api.GET("/api/v1/me")));
    assert.deepEqual(results.map((r) => r.response.status), [200, 200, 200, 200, 200]);
    assert.equal(server.refreshCalls, 1);
    assert.equal(changes.length, 1);
  });

  it("a refused refresh clears the tokens and returns the original 401", async () => {
    const server = fakeServer({ refreshFails: true });
    const changes: Array<Tokens | null> = [];
    const client = createLifeosClient({
      baseUrl: BASE,
      fetch: server.fetch,
      tokens: { accessToken: "expired", refreshToken: "refresh-x" },
      onTokens: (t) => changes.push(t),
    });
    const { error, response } = await client.api.GET("/api/v1/me");
    assert.equal(response.status, 401);
    assert.equal(LifeosApiError.from(error, response).code, "unauthorized");
    assert.equal(server.refreshCalls, 1);
    assert.equal(client.tokens(), null);
    assert.deepEqual(changes, [null]);
    // the next 401 has no token to refresh with: no further refresh
    const again = await client.api.GET("/api/v1/me");
    assert.equal(again.response.status, 401);
    assert.equal(server.refreshCalls, 1);
  });

  it("refresh() rejects with LifeosApiError when it is refused", async () => {
    const server = fakeServer();
    const client = createLifeosClient({
      baseUrl: BASE,
      fetch: server.fetch,
      tokens: { accessToken: "a", refreshToken: "unknown" },
    });
    await assert.rejects(client.refresh(), (err: unknown) => err instanceof LifeosApiError && err.code === "invalid_refresh_token");
    assert.equal(client.tokens(), null);
  });

  it("an API key is sent as X-API-Key, without bearer and without refresh", async () => {
    const server = fakeServer();
    const client = createLifeosClient({
      baseUrl: BASE,
      fetch: server.fetch,
      apiKey: "lfs_read",
      tokens: { accessToken: "expired", refreshToken: "refresh-x" },
    });
    const me = await client.api.GET("/api/v1/me");
    assert.equal(me.response.status, 200);
    const patch = await client.api.PATCH("/api/v1/me", { body: { displayName: "B" } });
    assert.equal(patch.response.status, 403);
    assert.equal(LifeosApiError.from(patch.error, patch.response).code, "insufficient_scope");
    assert.ok(server.seen.every((s) => s.apiKey === "lfs_read" && s.authorization === null));

    const bad = createLifeosClient({ baseUrl: BASE, fetch: server.fetch, apiKey: "lfs_wrong" });
    assert.equal((await bad.api.GET("/api/v1/me")).response.status, 401);
    assert.equal(server.refreshCalls, 0);
  });

  it("logout posts the refresh token and clears the session", async () => {
    const server = fakeServer();
    const changes: Array<Tokens | null> = [];
    const client = createLifeosClient({ baseUrl: BASE, fetch: server.fetch, onTokens: (t) => changes.push(t) });
    const session = await client.login("a@example.com", "pw");
    await client.logout();
    const logout = server.seen.find((s) => s.path === "/api/v1/auth/logout");
    assert.equal(logout?.body, JSON.stringify({ refreshToken: session.refreshToken }));
    assert.equal(client.tokens(), null);
    assert.equal(changes.at(-1), null);
  });
});
