/**
 * Accessibility of every page (and the sign-in form): axe-core reports no serious or
 * critical violation, every control reached by Tab shows a visible focus indicator, the
 * landmarks are there, and a screenshot of each page is written to
 * apps/web/e2e/artifacts/<page>.png.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  apiAs,
  axeScan,
  createDailyHabits,
  newPage,
  pageTokens,
  randomEmail,
  registerViaUi,
  screenshot,
  sleep,
  tabThrough,
  useServerAndBrowser,
} from "./harness.mjs";

const PAGES = ["now", "plan", "log", "stats", "brake", "account", "sync"];

const ctx = useServerAndBrowser();

async function assertAccessible(page, name) {
  const violations = await axeScan(page);
  assert.deepEqual(violations, [], `${name}: axe found serious or critical violations:\n${JSON.stringify(violations, null, 2)}`);
  const { visited, invisible } = await tabThrough(page, 60);
  assert.ok(visited.length >= 3, `${name}: Tab reaches the controls (reached ${visited.length})`);
  assert.deepEqual(invisible, [], `${name}: every focused control shows its focus`);
  for (const role of ["banner", "navigation", "main"]) {
    if (name === "signin" && role === "navigation") continue;
    assert.ok((await page.getByRole(role).count()) >= 1, `${name}: a ${role} landmark`);
  }
  assert.equal(await page.getByRole("status").count(), 1, `${name}: one aria-live status region`);
  assert.equal(await page.getByRole("heading", { level: 1 }).count(), 1, `${name}: one h1`);
}

test("the sign-in form and every page pass axe and show their focus", async () => {
  const { page, close } = await newPage(ctx.browser, ctx.server.url);
  try {
    await page.getByRole("heading", { name: "Create an account" }).waitFor();
    await screenshot(page, "signin");
    await assertAccessible(page, "signin");

    await registerViaUi(page, randomEmail("a11y"));
    const api = apiAs(ctx.server.url, (await pageTokens(page)).accessToken);
    await createDailyHabits(api, ["Meditate", "Stretch"]);
    // Now was drawn at sign-up, before the habits existed: draw it again, so its
    // screenshot shows what a person sees on their first day.
    await page.reload();
    const nav = page.getByRole("navigation", { name: "Main" });
    await nav.locator('a[href="#/now"]').waitFor();

    for (const name of PAGES) {
      const link = nav.locator(`a[href="#/${name}"]`);
      assert.equal(await link.count(), 1, `the nav links to #/${name}`);
      await link.click();
      await page.locator(`a[href="#/${name}"][aria-current="page"]`).waitFor();
      await page.locator(`body[data-route="${name}"]`).waitFor();
      await page.getByRole("heading", { level: 1 }).waitFor();
      if (name === "now") await page.getByText("Stretch", { exact: true }).waitFor();
      await sleep(700); // the page's reads settle
      await screenshot(page, name);
      await assertAccessible(page, name);
    }
  } finally {
    await close();
  }
});
