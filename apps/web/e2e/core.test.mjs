/**
 * The core loop in a real browser: a person registers through the app, a habit exists
 * (set up through the API: the Plan page is tested on its own), they complete it on Now
 * with one tap, and the XP and streak on the page change in place, as the API agrees.
 * Also: the tip needs the recommendations consent, the Account page's API key is shown
 * once and can be revoked, and signing out returns to the sign-in form.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  PASSWORD,
  apiAs,
  createDailyHabits,
  mailedLink,
  newPage,
  pageTokens,
  randomEmail,
  registerViaApi,
  signedInPage,
  signInViaUi,
  todayUtc,
  useServerAndBrowser,
} from "./harness.mjs";

const ctx = useServerAndBrowser();

test("a habit completed on Now raises XP and the streak in place", async () => {
  const { page, close, api } = await signedInPage(ctx, "core");
  try {
    const [habit] = await createDailyHabits(api, ["Meditate"]);

    await page.reload();
    const complete = page.getByRole("button", { name: "Complete Meditate" });
    await complete.waitFor();
    assert.equal(await page.getByTestId("xp").textContent(), "0");
    assert.equal(await page.getByTestId("streak").textContent(), "0 days");

    await complete.click();
    await page.getByText("Done", { exact: true }).waitFor();
    await page.getByTestId("streak").filter({ hasText: "1 day" }).waitFor();
    const xpShown = Number(await page.getByTestId("xp").textContent());
    assert.ok(xpShown > 0, `XP on the page rose above 0 (shows ${xpShown})`);
    assert.equal(await complete.count(), 0, "the habit offers no second completion today");

    const completions = await api.get(`/api/v1/completions?nodeId=${habit.id}`);
    assert.equal(completions.status, 200);
    assert.equal(completions.body.items.length, 1, "exactly one completion reached the server");
    assert.equal(completions.body.items[0].localDate, todayUtc());
    const stats = await api.get("/api/v1/me/stats");
    assert.equal(stats.body.xp, xpShown, "the page shows the server's XP");
    assert.equal(stats.body.currentStreak, 1);

    // The pending badge says everything is synced.
    await page.getByTestId("pending-count").filter({ hasText: /^0 pending$/ }).waitFor();
  } finally {
    await close();
  }
});

test("the tip asks for consent first, then shows the recommender's answer", async () => {
  const { page, close, api } = await signedInPage(ctx, "tip");
  try {
    await createDailyHabits(api, ["Read"]);
    await page.reload();
    await page.getByRole("button", { name: "Allow tips" }).click();
    await page.getByTestId("tip-text").or(page.getByTestId("no-tip")).waitFor();
    const consents = await api.get("/api/v1/me/consents");
    assert.equal(consents.body.items.find((c) => c.purpose === "recommendations").granted, true);
    if (await page.getByTestId("tip-text").count()) {
      await page.getByRole("button", { name: "Not now" }).click();
      await page.getByText("Noted.").waitFor();
    }
  } finally {
    await close();
  }
});

test("an API key is shown once, listed, revoked after an in-page question; sign out returns to the sign-in form", async () => {
  const { page, close, email, problems } = await signedInPage(ctx, "keys");
  try {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
    await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
    await page.getByLabel("Key name").fill("kitchen speaker");
    await page.getByRole("button", { name: "Create API key" }).click();
    const key = (await page.getByTestId("new-api-key").textContent()).trim();
    assert.ok(key.length > 20, "the key is shown");
    const me = await fetch(`${ctx.server.url}/api/v1/me`, { headers: { "X-API-Key": key } });
    assert.equal(me.status, 200, "the shown key works");
    assert.equal((await me.json()).email, email);

    // Revoking asks on the page, not in a browser dialog; keeping the key changes nothing.
    page.on("dialog", (dialog) => {
      problems.push(`a browser dialog opened: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.getByRole("button", { name: "Revoke kitchen speaker", exact: true }).click();
    const question = page.getByRole("group", { name: "Revoke kitchen speaker?" });
    await question.getByText("Whatever uses it stops working at once.", { exact: false }).waitFor();
    await question.getByRole("button", { name: "Keep kitchen speaker" }).click();
    await page.getByRole("button", { name: "Revoke kitchen speaker", exact: true }).waitFor();
    assert.equal(await question.count(), 0, "the question is gone");
    const kept = await fetch(`${ctx.server.url}/api/v1/me`, { headers: { "X-API-Key": key } });
    assert.equal(kept.status, 200, "a kept key still works");

    await page.getByRole("button", { name: "Revoke kitchen speaker", exact: true }).click();
    await page.getByRole("button", { name: "Revoke kitchen speaker for good" }).click();
    await page.getByText("No API keys yet.").waitFor();
    const revoked = await fetch(`${ctx.server.url}/api/v1/me`, { headers: { "X-API-Key": key } });
    assert.equal(revoked.status, 401, "the revoked key no longer works");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(await pageTokens(page), null, "the session is forgotten");

    // And back in with the password.
    await signInViaUi(page, email);
    await page.getByRole("heading", { level: 1, name: "Now" }).waitFor();
    assert.ok((await pageTokens(page))?.accessToken, "a new session is held");
  } finally {
    await close();
  }
});

test("on Now a timer starts and stops and the day's type is planned, as the API sees", async () => {
  const { page, close, api } = await signedInPage(ctx, "timer");
  try {
    const day = todayUtc();

    await page.getByLabel("Note").fill("Deep work");
    await page.getByRole("button", { name: "Start timer" }).click();
    await page.getByText("Running: Deep work").waitFor();
    await page.getByRole("status").filter({ hasText: "Timer started." }).waitFor();
    await page.getByTestId("pending-count").filter({ hasText: /^0 pending$/ }).waitFor();
    let entries = await api.get(`/api/v1/time-entries?from=${day}&to=${day}`);
    assert.equal(entries.body.items.length, 1);
    assert.equal(entries.body.items[0].endedAt ?? null, null, "the timer runs on the server");

    await page.getByRole("button", { name: "Stop timer" }).click();
    await page.getByRole("button", { name: "Start timer" }).waitFor();
    await page.getByRole("status").filter({ hasText: "Timer stopped." }).waitFor();
    await page.getByTestId("pending-count").filter({ hasText: /^0 pending$/ }).waitFor();
    entries = await api.get(`/api/v1/time-entries?from=${day}&to=${day}`);
    assert.equal(entries.body.items.length, 1, "stopping made no second entry");
    assert.ok(entries.body.items[0].endedAt, "the entry has ended");

    await page.getByLabel("Plan today as").selectOption("focus");
    await page.getByRole("status").filter({ hasText: "Today is planned as focus." }).waitFor();
    await page.getByTestId("day-type").filter({ hasText: "Today is a focus day." }).waitFor();
    await page.getByTestId("pending-count").filter({ hasText: /^0 pending$/ }).waitFor();
    const planned = await api.get(`/api/v1/day-types?from=${day}&to=${day}`);
    assert.equal(planned.status, 200, JSON.stringify(planned.body));
    assert.deepEqual(planned.body.items.map((d) => [d.date, d.plannedType]), [[day, "focus"]]);
  } finally {
    await close();
  }
});

test("Account: a consent toggles, the export downloads, a magic link is mailed, the account is deleted after confirmation", async () => {
  const { page, close, api, email } = await signedInPage(ctx, "account");
  try {
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();

    const consent = page.getByLabel("Health data (heart-rate variability, Apple Health)");
    assert.equal(await consent.isChecked(), false);
    await consent.check();
    await page.getByText(/Health data .*: allowed\./).waitFor();
    const consents = await api.get("/api/v1/me/consents");
    assert.equal(consents.body.items.find((c) => c.purpose === "health_data").granted, true);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download my data" }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^lifeos-export-\d{4}-\d{2}-\d{2}\.json$/);
    const exported = JSON.parse(await (await import("node:fs/promises")).readFile(await download.path(), "utf8"));
    assert.equal(JSON.stringify(exported).includes(email), true, "the export holds the account");

    // Deleting needs the address typed in; a wrong one deletes nothing.
    await page.getByRole("button", { name: "Delete my account…" }).click();
    const confirmField = page.getByLabel(/Type your e-mail address/);
    await confirmField.fill("someone-else@example.com");
    await page.getByRole("button", { name: "Delete my account forever" }).click();
    await page.getByText("The address did not match; nothing was deleted.").waitFor();
    assert.equal((await api.get("/api/v1/me")).status, 200);
    await confirmField.fill(email);
    await page.getByRole("button", { name: "Delete my account forever" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    const login = await fetch(`${ctx.server.url}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: PASSWORD }),
    });
    assert.equal(login.status, 401, "the account is gone");

    // Signed out: the sign-in form asks for a magic link for another address.
    const other = randomEmail("magic");
    await registerViaApi(ctx.server.url, other);
    const signIn = page.getByRole("form", { name: "Sign in" });
    await signIn.getByLabel("E-mail").fill(other);
    await signIn.getByRole("button", { name: "E-mail me a sign-in link" }).click();
    await page.getByText(`If ${other} has an account, a sign-in link is on its way.`, { exact: false }).waitFor();
    const link = await mailedLink(ctx.server.mailDir, other, "magic-link");
    assert.ok(link.startsWith(`${ctx.server.url}/magic-link?token=`), link);
  } finally {
    await close();
  }
});

test("a stale access token is refreshed through the SDK; the app is installable", async () => {
  // The refused first request is the point here: Chromium logs its 401.
  const { page, context, close } = await signedInPage(ctx, "refresh", { allow: [/status of 401 .*\/api\/v1\/me\)/] });
  try {
    const before = await pageTokens(page);
    await page.evaluate(() => {
      const tokens = JSON.parse(localStorage.getItem("lifeos:tokens"));
      localStorage.setItem("lifeos:tokens", JSON.stringify({ ...tokens, accessToken: "not-a-valid-token" }));
    });
    await page.reload();
    await page.getByRole("heading", { level: 1, name: "Now" }).waitFor();
    await page.getByTestId("xp").waitFor();
    const after = await pageTokens(page);
    assert.notEqual(after.refreshToken, before.refreshToken, "the refresh token was rotated");
    assert.equal((await apiAs(ctx.server.url, after.accessToken).get("/api/v1/me")).status, 200, "the new access token works");

    const cdp = await context.newCDPSession(page);
    const manifest = await cdp.send("Page.getAppManifest");
    assert.deepEqual(manifest.errors, [], "the manifest parses");
    const parsed = JSON.parse(manifest.data);
    assert.equal(parsed.display, "standalone");
    assert.deepEqual(parsed.icons.map((i) => i.sizes).sort(), ["192x192", "512x512"]);
    const icon = await fetch(`${ctx.server.url}/icon-512.png`);
    assert.equal(icon.headers.get("content-type"), "image/png");
    const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
    // A test context is an incognito profile, which Chromium never installs from; every
    // other check (manifest, icons, service worker, start URL) must pass.
    const errors = installabilityErrors.map((e) => e.errorId).filter((id) => id !== "in-incognito");
    assert.deepEqual(errors, [], "Chromium finds the app installable");
  } finally {
    await close();
  }
});

test("the page runs under the CSP, and the harness notices a violation", async () => {
  const response = await fetch(`${ctx.server.url}/`);
  const csp = response.headers.get("content-security-policy") ?? "";
  assert.match(csp, /script-src 'self'/);
  assert.match(csp, /style-src 'self'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);

  const { page, problems, context } = await newPage(ctx.browser, ctx.server.url);
  try {
    await page.getByRole("heading", { name: "Create an account" }).waitFor();
    assert.deepEqual(problems, [], "the app itself violates nothing");
    // What the app never does: an inline script. The harness must report it.
    await page.evaluate(() => {
      const script = document.createElement("script");
      script.textContent = "window.__inline = true";
      document.head.append(script);
    });
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => window.__inline === true), false, "the inline script did not run");
    assert.ok(problems.some((p) => /Content Security Policy|CSP violation/.test(p)), `the violation was recorded: ${problems}`);
  } finally {
    await context.close();
  }
});
