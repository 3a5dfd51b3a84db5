/**
 * The mail-link pages in a real browser: a person registers, opens the link from the
 * mail in Chromium, presses the button and is confirmed (or signed in), and the API
 * agrees. The pages run no script and carry their own strict Content-Security-Policy, so
 * the test also checks that Chromium reports no policy violation and applies the page's
 * one (hash-allowed) inline style. These pages are the server's, not the app's: the test
 * opens them in a plain context (the harness's `newPage` opens the app).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { PASSWORD, apiAs, mailedLink, randomEmail, useServerAndBrowser } from "./harness.mjs";

const ctx = useServerAndBrowser();

/** A fresh context that records every console error and CSP violation Chromium reports. */
async function plainPage(browser) {
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

test("the verification link confirms the address when its button is pressed", async () => {
  const email = randomEmail("verify");
  const anonymous = apiAs(ctx.server.url);
  const registered = await anonymous.post("/api/v1/auth/register", { email, password: PASSWORD });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const access = registered.body.accessToken;

  const link = await mailedLink(ctx.server.mailDir, email, "verify-email");
  assert.ok(link.startsWith(`${ctx.server.url}/verify-email?token=`), link);

  const { page, problems, close } = await plainPage(ctx.browser);
  try {
    const opened = await page.goto(link);
    assert.equal(opened.status(), 200);
    await assertStrictPage(page, opened);
    await page.getByRole("heading", { name: "Confirm your e-mail address" }).waitFor();
    const before = await apiAs(ctx.server.url, access).get("/api/v1/me");
    assert.equal(before.body.emailVerified, false, "opening the link spends nothing");

    const [posted] = await Promise.all([
      page.waitForNavigation(),
      page.getByRole("button", { name: "Confirm my e-mail address" }).click(),
    ]);
    assert.equal(posted.status(), 200);
    assert.equal(new URL(page.url()).pathname, "/verify-email");
    await page.getByText(`Your e-mail address ${email} is confirmed.`).waitFor();
    await assertStrictPage(page, posted);

    const me = await apiAs(ctx.server.url, access).get("/api/v1/me");
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
  const anonymous = apiAs(ctx.server.url);
  const registered = await anonymous.post("/api/v1/auth/register", { email, password: PASSWORD });
  assert.equal(registered.status, 201, JSON.stringify(registered.body));
  const asked = await anonymous.post("/api/v1/auth/magic-link", { email });
  assert.equal(asked.status, 202, JSON.stringify(asked.body));

  const link = await mailedLink(ctx.server.mailDir, email, "magic-link");
  assert.ok(link.startsWith(`${ctx.server.url}/magic-link?token=`), link);

  const { page, problems, close } = await plainPage(ctx.browser);
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

    const me = await apiAs(ctx.server.url, token).get("/api/v1/me");
    assert.equal(me.status, 200, JSON.stringify(me.body));
    assert.equal(me.body.email, email);
    assert.equal(me.body.emailVerified, true, "following the link proves the address");
    assert.deepEqual(problems, [], "Chromium reported no CSP violation or error");
  } finally {
    await close();
  }
});
