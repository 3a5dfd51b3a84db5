/**
 * The core loop in a real browser: a person registers through the app, a habit exists
 * (set up through the API: the Plan page is tested on its own), they complete it on Now
 * with one tap, and the XP and streak on the page change in place, as the API agrees.
 * Also: the tip needs the recommendations consent, the Account page's API key is shown
 * once and can be revoked, and signing out returns to the sign-in form.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import {
  apiAs,
  createDailyHabits,
  launchBrowser,
  newPage,
  pageTokens,
  randomEmail,
  registerViaUi,
  startServer,
  todayUtc,
} from "./harness.mjs";

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

test("a habit completed on Now raises XP and the streak in place", async () => {
  const { page, close } = await newPage(browser, server.url);
  try {
    await page.getByRole("heading", { name: "Create an account" }).waitFor();
    await registerViaUi(page, randomEmail("core"));
    const api = apiAs(server.url, (await pageTokens(page)).accessToken);
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
  const { page, close } = await newPage(browser, server.url);
  try {
    await registerViaUi(page, randomEmail("tip"));
    const api = apiAs(server.url, (await pageTokens(page)).accessToken);
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

test("an API key is shown once, listed, revoked; sign out returns to the sign-in form", async () => {
  const { page, close } = await newPage(browser, server.url);
  try {
    const email = randomEmail("keys");
    await registerViaUi(page, email);
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).click();
    await page.getByRole("heading", { level: 1, name: "Account" }).waitFor();
    await page.getByLabel("Key name").fill("kitchen speaker");
    await page.getByRole("button", { name: "Create API key" }).click();
    const key = (await page.getByTestId("new-api-key").textContent()).trim();
    assert.ok(key.length > 20, "the key is shown");
    const me = await fetch(`${server.url}/api/v1/me`, { headers: { "X-API-Key": key } });
    assert.equal(me.status, 200, "the shown key works");
    assert.equal((await me.json()).email, email);

    page.once("dialog", (dialog) => dialog.accept());
    await page.getByRole("button", { name: "Revoke kitchen speaker" }).click();
    await page.getByText("No API keys yet.").waitFor();
    const revoked = await fetch(`${server.url}/api/v1/me`, { headers: { "X-API-Key": key } });
    assert.equal(revoked.status, 401, "the revoked key no longer works");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByRole("heading", { name: "Sign in" }).waitFor();
    assert.equal(await pageTokens(page), null, "the session is forgotten");
  } finally {
    await close();
  }
});
