/**
 * The mail-link pages in a real browser: a person registers, opens the link from the
 * mail in Chromium, presses the button and is confirmed (or signed in), and the API
 * agrees. The pages run no script and carry a strict Content-Security-Policy, so the
 * test also checks that Chromium reports no policy violation and applies the page's
 * one (hash-allowed) inline style.
 *
 * Binary: $LIFEOS_BIN (relative paths from the repository root), default
 * target/debug/lifeos; build it with `cargo build -p lifeos-gateway`.
 * Browser: $CHROMIUM_PATH, default /usr/bin/chromium (Debian's `chromium`).
 * Run with `bash apps/gateway/browser/run.sh`, or `node --test mail-links.test.mjs` here.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const BIN = resolve(REPO_ROOT, process.env.LIFEOS_BIN ?? "target/debug/lifeos");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const JWT_SECRET = "browser-test-secret-0123456789abcdef0123456789abcdef0123456789ab";
const PASSWORD = "correct horse battery";
const HEALTH_TIMEOUT_MS = 30_000;
const MAIL_TIMEOUT_MS = 10_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

/** Spawns `lifeos serve` on SQLite in a temporary directory; resolves once /health is 200. */
async function startServer() {
  if (!existsSync(BIN)) {
    throw new Error(
      `lifeos binary not found at ${BIN}: build it with cargo build -p lifeos-gateway (or set LIFEOS_BIN)`,
    );
  }
  const workDir = await mkdtemp(join(tmpdir(), "lifeos-browser-"));
  const mailDir = join(workDir, "mail");
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let output = "";
  const child = spawn(BIN, ["serve"], {
    cwd: workDir,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      DATABASE_URL: `sqlite://${join(workDir, "lifeos.db")}`,
      LIFEOS_BIND: `127.0.0.1:${port}`,
      LIFEOS_PUBLIC_URL: baseUrl,
      LIFEOS_ENV: "dev",
      LIFEOS_JWT_SECRET: JWT_SECRET,
      LIFEOS_VAULT_KEYS: "browser:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
      LIFEOS_MAIL_DIR: mailDir,
      LIFEOS_METRICS_BIND: "off",
      RUST_LOG: "warn",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const collect = (chunk) => {
    output = (output + chunk.toString("utf8")).slice(-20_000);
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
    await rm(workDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "no answer yet";
  while (true) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`lifeos exited early (code ${child.exitCode}); its output:\n${output}`);
    }
    try {
      const res = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.body?.cancel();
      if (res.status === 200) break;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`GET ${baseUrl}/health did not answer 200 in 30 s (${last}); output:\n${output}`);
    }
    await sleep(100);
  }
  return { baseUrl, mailDir, stop, log: () => output };
}

/** Enough of quoted-printable (RFC 2045) for our ASCII mails: soft breaks and `=3D`. */
function decodeQuotedPrintable(raw) {
  return raw.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_, hex) =>
    String.fromCharCode(parseInt(hex, 16)),
  );
}

/** The link to `/{path}?token=` in the newest mail to `to`, waiting for it to arrive. */
async function mailedLink(mailDir, to, path) {
  const pattern = new RegExp(`https?://[^\\s"<>]+/${path}\\?token=[A-Za-z0-9_-]+`);
  const deadline = Date.now() + MAIL_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const names = existsSync(mailDir) ? await readdir(mailDir) : [];
    const links = [];
    for (const name of names.filter((n) => n.endsWith(".eml"))) {
      const mail = decodeQuotedPrintable(await readFile(join(mailDir, name), "utf8"));
      const link = mail.includes(`To: ${to}`) ? mail.match(pattern) : null;
      if (link) links.push(link[0]);
    }
    // Each test sends one mail of a kind to its own address.
    if (links.length > 0) return links.at(-1);
    await sleep(100);
  }
  throw new Error(`no mail to ${to} with a /${path} link arrived in ${mailDir}`);
}

async function api(method, path, { token, body } = {}) {
  const res = await fetch(`${server.baseUrl}${path}`, {
    method,
    headers: {
      ...(body === undefined ? {} : { "content-type": "application/json" }),
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const randomEmail = (kind) => `browser-${kind}-${randomBytes(5).toString("hex")}@example.com`;

/** A fresh page that records every console error and CSP violation Chromium reports. */
async function newPage() {
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = [];
  page.on("console", (message) => {
    if (message.type() === "error" || message.type() === "warning") problems.push(message.text());
  });
  page.on("pageerror", (error) => problems.push(error.message));
  return { page, problems, close: () => context.close() };
}

/** The page's own headers and its one inline style, allowed by hash and applied. */
async function assertStrictPage(page, response) {
  const headers = response.headers();
  assert.equal(headers["content-type"], "text/html; charset=utf-8");
  assert.equal(headers["cache-control"], "no-store");
  const csp = headers["content-security-policy"] ?? "";
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /style-src 'sha256-[A-Za-z0-9+/=]+'/);
  assert.match(csp, /form-action 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(await page.locator("script").count(), 0, "the page runs no script");
  const maxWidth = await page.evaluate(() => getComputedStyle(document.body).maxWidth);
  assert.notEqual(maxWidth, "none", "the hash-allowed inline style applies");
}

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--no-sandbox", "--disable-dev-shm-usage"],
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the verification link confirms the address when its button is pressed", async () => {
  const email = randomEmail("verify");
  const registered = await api("POST", "/api/v1/auth/register", {
    body: { email, password: PASSWORD },
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const access = registered.body.accessToken;

  const link = await mailedLink(server.mailDir, email, "verify-email");
  assert.ok(link.startsWith(`${server.baseUrl}/verify-email?token=`), link);

  const { page, problems, close } = await newPage();
  try {
    const opened = await page.goto(link);
    assert.equal(opened.status(), 200);
    await assertStrictPage(page, opened);
    await page.getByRole("heading", { name: "Confirm your e-mail address" }).waitFor();
    const before = await api("GET", "/api/v1/me", { token: access });
    assert.equal(before.body.emailVerified, false, "opening the link spends nothing");

    const [posted] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole("button", { name: "Confirm my e-mail address" }).click(),
    ]);
    assert.equal(posted.status(), 200);
    assert.equal(new URL(page.url()).pathname, "/verify-email");
    await page.getByText(`Your e-mail address ${email} is confirmed.`).waitFor();
    await assertStrictPage(page, posted);

    const me = await api("GET", "/api/v1/me", { token: access });
    assert.equal(me.status, 200);
    assert.equal(me.body.emailVerified, true);

    assert.deepEqual(problems, [], "Chromium reported no CSP violation or error");

    // The same link a second time: a readable refusal, not an error document (Chromium
    // logs the 400 itself, so the console is not checked past this point).
    const again = await page.goto(link);
    assert.equal(again.status(), 200);
    const [refused] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole("button", { name: "Confirm my e-mail address" }).click(),
    ]);
    assert.equal(refused.status(), 400);
    await page.getByText(/already used/).waitFor();
  } finally {
    await close();
  }
});

test("the magic link signs in when its button is pressed", async () => {
  const email = randomEmail("magic");
  const registered = await api("POST", "/api/v1/auth/register", {
    body: { email, password: PASSWORD },
  });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const asked = await api("POST", "/api/v1/auth/magic-link", { body: { email } });
  assert.equal(asked.status, 202, JSON.stringify(asked.body));

  const link = await mailedLink(server.mailDir, email, "magic-link");
  assert.ok(link.startsWith(`${server.baseUrl}/magic-link?token=`), link);

  const { page, problems, close } = await newPage();
  try {
    const opened = await page.goto(link);
    assert.equal(opened.status(), 200);
    await assertStrictPage(page, opened);

    const [posted] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole("button", { name: "Sign me in" }).click(),
    ]);
    assert.equal(posted.status(), 200);
    await page.getByText(`You are signed in as ${email}`).waitFor();
    await assertStrictPage(page, posted);

    const accessToken = page.locator("#access-token");
    assert.equal(await accessToken.isVisible(), false, "the tokens start collapsed");
    await page.getByText("Tokens for API clients").click();
    await accessToken.waitFor({ state: "visible" });
    const token = (await accessToken.textContent()).trim();

    const me = await api("GET", "/api/v1/me", { token });
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.email, email);
    assert.equal(me.body.emailVerified, true, "following the link proves the address");
    assert.deepEqual(problems, [], "Chromium reported no CSP violation or error");
  } finally {
    await close();
  }
});
