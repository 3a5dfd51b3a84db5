/**
 * End-to-end story through the SDK against the real server binary.
 *
 * Binary: $LIFEOS_BIN or ../../target/debug/lifeos (both resolved from sdk/typescript).
 * Build it with `cargo build -p lifeos-gateway`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

import { createLifeosClient, LifeosApiError, type Tokens } from "../src/index.js";

// dist/test/e2e.test.js -> sdk/typescript/
const SDK_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = resolve(SDK_ROOT, process.env.LIFEOS_BIN ?? "../../target/debug/lifeos");
const JWT_SECRET = "sdk-e2e-test-secret-0123456789abcdef0123456789abcdef0123456789ab"; // 64 chars
const PASSWORD = "correct horse battery";
const HEALTH_TIMEOUT_MS = 30_000;

let server: ChildProcess | undefined;
let workDir: string | undefined;
let baseUrl = "";
let serverLog = "";

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      if (address === null || typeof address === "string") {
        srv.close();
        reject(new Error("could not read the ephemeral port"));
        return;
      }
      const { port } = address;
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `lifeos exited early (code ${child.exitCode}, signal ${child.signalCode}); its output:\n${serverLog}`,
      );
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`GET ${url}/health did not answer 200 within 30 s (last: ${last}); output:\n${serverLog}`);
}

function randomEmail(): string {
  return `sdk-${randomBytes(6).toString("hex")}@example.com`;
}

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
    if (!existsSync(BIN)) {
      throw new Error(
        `lifeos binary not found at ${BIN}: build it with cargo build -p lifeos-gateway ` +
          `(or point LIFEOS_BIN at it)`,
      );
    }
    workDir = await mkdtemp(join(tmpdir(), "lifeos-sdk-e2e-"));
    const port = await freePort();
    baseUrl = `http://127.0.0.1:${port}`;
    const child = spawn(BIN, ["serve"], {
      cwd: workDir,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        DATABASE_URL: `sqlite://${join(workDir, "lifeos.db")}`,
        LIFEOS_BIND: `127.0.0.1:${port}`,
        LIFEOS_ENV: "dev",
        LIFEOS_JWT_SECRET: JWT_SECRET,
        LIFEOS_MAIL_DIR: join(workDir, "mail"),
        RUST_LOG: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    server = child;
    const collect = (chunk: Buffer) => {
      serverLog = (serverLog + chunk.toString("utf8")).slice(-20_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.on("error", (err) => collect(Buffer.from(`spawn error: ${err.message}\n`)));
    await waitForHealth(baseUrl, child);
  });

  after(async () => {
    const child = server;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    if (workDir) await rm(workDir, { recursive: true, force: true });
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
