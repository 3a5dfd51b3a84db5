/**
 * Shared helpers of the web app's browser tests (node --test + playwright-core): a fresh
 * lifeos server on SQLite serving the built app, Chromium, pages that fail the test on a
 * console error or a CSP violation, registration through the UI, API checks, screenshots
 * and axe-core scans.
 *
 * Binary: $LIFEOS_BIN (relative paths from the repository root), default
 * target/debug/lifeos. The app: the binary's embedded copy, or $LIFEOS_WEB_DIR (passed on
 * when set; e.g. apps/web/dist after `npm run build`). Browser: $CHROMIUM_PATH, default
 * /usr/bin/chromium (Debian's). Run all with `bash apps/web/e2e/run.sh`.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
export const WEB_ROOT = fileURLToPath(new URL("../", import.meta.url));
export const ARTIFACTS = fileURLToPath(new URL("./artifacts/", import.meta.url));
export const BIN = resolve(REPO_ROOT, process.env.LIFEOS_BIN ?? "target/debug/lifeos");
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const PASSWORD = "correct horse battery staple";
const JWT_SECRET = "web-e2e-secret-0123456789abcdef0123456789abcdef0123456789abcdef";
const HEALTH_TIMEOUT_MS = 30_000;

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A fresh address per test: `web-<kind>-<random>@example.com`. */
export const randomEmail = (kind = "user") => `web-${kind}-${randomBytes(5).toString("hex")}@example.com`;

function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Spawns `lifeos serve` on a fresh SQLite database in a temporary directory and waits
 * for /health. `env` adds or overrides variables. Resolves `{ url, stop(), dataDir,
 * mailDir, log() }`. `db`: "sqlite" (default) or "postgres" (a fresh database on the
 * server of $TEST_DATABASE_URL, dropped by stop()); $LIFEOS_WEB_DB sets the default.
 */
export async function startServer({ env = {}, db = process.env.LIFEOS_WEB_DB ?? "sqlite" } = {}) {
  if (!existsSync(BIN)) {
    throw new Error(`lifeos binary not found at ${BIN}: build it with cargo build -p lifeos-gateway (or set LIFEOS_BIN)`);
  }
  const dataDir = await mkdtemp(join(tmpdir(), "lifeos-web-"));
  let databaseUrl = `sqlite://${join(dataDir, "lifeos.db")}`;
  let dropDatabase = async () => undefined;
  if (db === "postgres") {
    // A fresh database on the server of $TEST_DATABASE_URL, dropped by stop().
    const admin = process.env.TEST_DATABASE_URL;
    if (!admin) throw new Error("LIFEOS_WEB_DB=postgres needs TEST_DATABASE_URL");
    const name = `web_e2e_${randomBytes(6).toString("hex")}`;
    psql(admin, `CREATE DATABASE ${name}`);
    const target = new URL(admin);
    target.pathname = `/${name}`;
    databaseUrl = target.toString();
    dropDatabase = async () => psql(admin, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
  const mailDir = join(dataDir, "mail");
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let output = "";
  const webDir = process.env.LIFEOS_WEB_DIR ? resolve(REPO_ROOT, process.env.LIFEOS_WEB_DIR) : undefined;
  const child = spawn(BIN, ["serve"], {
    cwd: dataDir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      DATABASE_URL: databaseUrl,
      LIFEOS_DATA_DIR: dataDir,
      LIFEOS_BIND: `127.0.0.1:${port}`,
      LIFEOS_PUBLIC_URL: url,
      LIFEOS_ENV: "dev",
      LIFEOS_JWT_SECRET: JWT_SECRET,
      LIFEOS_VAULT_KEYS: "web:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
      LIFEOS_MAIL_DIR: mailDir,
      LIFEOS_METRICS_BIND: "off",
      RUST_LOG: "warn",
      ...(webDir ? { LIFEOS_WEB_DIR: webDir } : {}),
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
    if (process.env.LIFEOS_E2E_LOG) process.stderr.write(chunk); // the server's log, live
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  child.on("error", (err) => collect(Buffer.from(`spawn error: ${err.message}\n`)));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dataDir, { recursive: true, force: true });
    await dropDatabase();
  };

  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "no answer yet";
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`lifeos exited early (code ${child.exitCode}); its output:\n${output}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200) break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`GET ${url}/health did not answer 200 in 30 s (${last}); output:\n${output}`);
    }
    await sleep(100);
  }
  const index = await fetch(`${url}/`);
  const html = await index.text();
  if (!index.ok || !html.includes("/assets/")) {
    await stop();
    throw new Error(`GET ${url}/ does not serve the web app (HTTP ${index.status}); build apps/web (npm run build) and set LIFEOS_WEB_DIR, or rebuild the binary`);
  }
  return { url, stop, dataDir, mailDir, log: () => output };
}

function psql(url, sql) {
  const result = spawnSync("psql", [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { encoding: "utf8" });
  if (result.status !== 0) throw new Error(`psql ${sql}: ${result.stderr || result.error}`);
}

/** Chromium, headless, with the flags of the contract and a fresh profile. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--disable-dev-shm-usage",
    ],
  });
}

/**
 * The setup every test file shares: registers node:test `before` (a fresh server, see
 * `startServer(options)`, and Chromium) and `after` (both closed) hooks, and returns the
 * context the tests read them from once they run: `{ server, browser }`.
 */
export function useServerAndBrowser(options = {}) {
  const ctx = { server: undefined, browser: undefined };
  before(async () => {
    ctx.server = await startServer(options);
    ctx.browser = await launchBrowser();
  });
  after(async () => {
    await ctx.browser?.close();
    await ctx.server?.stop();
  });
  return ctx;
}

/** Resolves once the app has done its first sync and listens for pokes (no re-render after). */
export const listening = (page) => page.waitForRequest((r) => r.url().includes("/api/v1/sync/events"), { timeout: 20_000 });

/**
 * A signed-in page for a fresh person: a new page (`newPage` options: `allow`, `viewport`)
 * at the app of `ctx` (from `useServerAndBrowser`), registered through the UI as
 * `email` (default `randomEmail(kind)`), waiting until the app has synced and listens.
 * Returns `newPage`'s object plus `{ email, api }` (`apiAs` with the page's session).
 */
export async function signedInPage(ctx, kind = "user", { email = randomEmail(kind), ...options } = {}) {
  const opened = await newPage(ctx.browser, ctx.server.url, options);
  try {
    const listens = listening(opened.page);
    await registerViaUi(opened.page, email);
    await listens;
    const tokens = await pageTokens(opened.page);
    assert.ok(tokens?.accessToken, "the page holds a session");
    return { ...opened, email, api: apiAs(ctx.server.url, tokens.accessToken) };
  } catch (err) {
    await opened.context.close();
    throw err;
  }
}

/** Signs in through the app's "Sign in" form and waits for the navigation. */
export async function signInViaUi(page, email, password = PASSWORD) {
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("E-mail").fill(email);
  await form.getByLabel("Password").fill(password);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).waitFor();
}

/** Polls `check` until it returns something truthy (thrown errors count as not yet). */
export async function eventually(check, what, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs;
  let last;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(150);
  }
}

/**
 * A fresh context and page at `url`, recording console errors, page errors and CSP
 * violations. `allow`: regexps of console errors a test expects (e.g. a failed request
 * while offline). Returns `{ page, context, problems, assertClean(), close() }`;
 * `close()` asserts that nothing was recorded, then closes the context.
 */
export async function newPage(browser, url, { allow = [], viewport = { width: 1100, height: 900 } } = {}) {
  const context = await browser.newContext({ viewport, serviceWorkers: "allow" });
  const page = await context.newPage();
  const problems = [];
  const allowed = (text) => allow.some((re) => re.test(text));
  page.on("console", (message) => {
    const where = message.location()?.url;
    const text = `${message.text()}${where ? ` (${where})` : ""}`;
    if (message.type() === "error" && !allowed(text)) problems.push(`console error: ${text}`);
    else if (/Content[- ]Security[- ]Policy/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => {
      console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
    });
  });
  if (url) await page.goto(url);
  const assertClean = () => assert.deepEqual(problems, [], "Chromium reported no console error or CSP violation");
  const close = async () => {
    try {
      assertClean();
    } finally {
      await context.close();
    }
  };
  return { page, context, problems, assertClean, close };
}

/** Registers through the app's "Create an account" form and waits for the Now page. */
export async function registerViaUi(page, email, password = PASSWORD) {
  const form = page.getByRole("form", { name: "Create an account" });
  await form.getByLabel("E-mail").fill(email);
  await form.getByLabel(/^Password/).fill(password);
  await form.getByRole("button", { name: "Create account" }).click();
  await page.getByRole("heading", { level: 1, name: "Now" }).waitFor();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).waitFor();
}

/** Registers through the API: the session `{ user, accessToken, refreshToken }`. */
export async function registerViaApi(url, email, password = PASSWORD) {
  const res = await fetch(`${url}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password }),
  });
  const body = await res.json();
  assert.equal(res.status, 201, JSON.stringify(body));
  return body;
}

/** Opens the app signed in with `session` (from `registerViaApi`), on `route`. */
export async function signInAs(page, url, session, route = "now") {
  await page.goto(`${url}/#/${route}`);
  await page.evaluate(
    ([tokens, user]) => {
      localStorage.setItem("lifeos:tokens", JSON.stringify(tokens));
      localStorage.setItem("lifeos:user", JSON.stringify(user));
    },
    [{ accessToken: session.accessToken, refreshToken: session.refreshToken }, session.user],
  );
  await page.reload();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).waitFor();
}

/** The session the page holds (after `registerViaUi`): `{ accessToken, refreshToken }`. */
export async function pageTokens(page) {
  return page.evaluate(() => JSON.parse(localStorage.getItem("lifeos:tokens") ?? "null"));
}

/**
 * A fetch wrapper for checks through the API as the holder of `accessToken`:
 * `const api = apiAs(url, token); const { status, body } = await api.get("/api/v1/me")`.
 * Also callable: `api("POST", path, body, headers)`.
 */
export function apiAs(url, accessToken) {
  const call = async (method, path, body, headers = {}) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { "content-type": "application/json" }),
        ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  call.get = (path, headers) => call("GET", path, undefined, headers);
  call.post = (path, body = {}, headers) => call("POST", path, body, headers);
  call.put = (path, body = {}, headers) => call("PUT", path, body, headers);
  call.patch = (path, body = {}, headers) => call("PATCH", path, body, headers);
  call.delete = (path, headers) => call("DELETE", path, undefined, headers);
  return call;
}

/** Writes `apps/web/e2e/artifacts/<name>.png` (full page); returns its path. */
export async function screenshot(page, name) {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

const require = createRequire(import.meta.url);
let axeSource = null;

/**
 * Runs axe-core (from node_modules, evaluated through the DevTools protocol, which the
 * page's CSP does not govern) and returns the serious and critical violations as
 * `{ id, impact, help, nodes: [selectors] }`.
 */
export async function axeScan(page) {
  axeSource ??= readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
  const hasAxe = await page.evaluate(() => typeof window.axe !== "undefined");
  if (!hasAxe) await page.evaluate(`${axeSource}\n;void 0;`);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Blurs the focused element and scrolls to the top, so the next Tab starts the page over. */
export async function resetFocus(page) {
  await page.evaluate(() => {
    document.activeElement?.blur?.();
    window.scrollTo(0, 0);
  });
}

/**
 * Presses Tab up to `max` times and describes every focused control that shows no focus
 * indicator (no outline and no box-shadow). Returns `{ visited, invisible }`.
 */
export async function tabThrough(page, max = 40) {
  await resetFocus(page);
  const visited = [];
  const invisible = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      const s = getComputedStyle(el);
      const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
      const shadow = s.boxShadow && s.boxShadow !== "none";
      const name = (el.getAttribute("aria-label") || el.textContent || el.getAttribute("name") || "").trim().slice(0, 40);
      return { tag: el.tagName.toLowerCase(), name, visible: outline || !!shadow, key: `${el.tagName}|${name}|${el.getBoundingClientRect().top}` };
    });
    if (!info) continue;
    if (visited.some((v) => v.key === info.key)) break; // wrapped around
    visited.push(info);
    if (!info.visible) invisible.push(`${info.tag} "${info.name}"`);
  }
  return { visited, invisible };
}

/** The newest link to `/{path}?token=` in the mail to `to` (dev mail dir), waiting for it. */
export async function mailedLink(mailDir, to, path, timeoutMs = 10_000) {
  const pattern = new RegExp(`https?://[^\\s"<>]+/${path}\\?token=[A-Za-z0-9_-]+`);
  const deadline = Date.now() + timeoutMs;
  const decode = (raw) => raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  while (Date.now() < deadline) {
    const names = existsSync(mailDir) ? await readdir(mailDir) : [];
    const links = [];
    for (const name of names.filter((n) => n.endsWith(".eml"))) {
      const mail = decode(await readFile(join(mailDir, name), "utf8"));
      const link = mail.includes(`To: ${to}`) ? mail.match(pattern) : null;
      if (link) links.push(link[0]);
    }
    if (links.length > 0) return links.at(-1);
    await sleep(100);
  }
  throw new Error(`no mail to ${to} with a /${path} link arrived in ${mailDir}`);
}

/** Today's date (YYYY-MM-DD) in UTC: the zone of accounts registered without one. */
export const todayUtc = () => new Date().toISOString().slice(0, 10);

/**
 * Setup through the API: a track with one daily habit per title. Returns the habit nodes
 * (`{ id, title }`).
 */
export async function createDailyHabits(api, titles, trackTitle = "Health") {
  const track = await api.post("/api/v1/tracks", { title: trackTitle });
  assert.equal(track.status, 201, JSON.stringify(track.body));
  const nodes = [];
  for (const title of titles) {
    const node = await api.post(`/api/v1/tracks/${track.body.id}/nodes`, { type: "habit", title });
    assert.equal(node.status, 201, JSON.stringify(node.body));
    const schedule = await api.put(`/api/v1/nodes/${node.body.id}/habit-schedule`, { frequency: "daily" });
    assert.equal(schedule.status, 200, JSON.stringify(schedule.body));
    nodes.push(node.body);
  }
  return nodes;
}
