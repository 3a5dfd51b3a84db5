/**
 * Two devices of one person (two browser contexts, each signed in through the UI) rename
 * the same node on the Plan page while one of them is offline. When it comes back, its
 * push conflicts; the conflict shows on #/sync with both versions and is resolved there,
 * and the API has the chosen title.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { apiAs, launchBrowser, newPage, pageTokens, PASSWORD, randomEmail, registerViaUi, screenshot, startServer } from "./harness.mjs";

/** Waits until the app has done its first sync and listens for pokes (no re-render after). */
const listening = (page) => page.waitForRequest((r) => r.url().includes("/api/v1/sync/events"), { timeout: 20_000 });

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

async function eventually(check, what, timeoutMs = 15_000) {
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
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function signInViaUi(page, email) {
  const form = page.getByRole("form", { name: "Sign in" });
  await form.getByLabel("E-mail").fill(email);
  await form.getByLabel("Password").fill(PASSWORD);
  await form.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Account" }).waitFor();
}

async function rename(page, from, to) {
  await page.getByRole("button", { name: `Rename ${from}` }).click();
  await page.getByLabel(`New title for ${from}`).fill(to);
  await page.getByRole("button", { name: "Save title" }).click();
  await page.getByRole("button", { name: `Move ${to} up` }).waitFor();
}

test("a rename made offline on one device conflicts with the other's and is resolved on #/sync", async () => {
  const email = randomEmail("conflict");
  const laptop = await newPage(browser, server.url);
  const laptopListens = listening(laptop.page);
  await registerViaUi(laptop.page, email);
  await laptopListens;
  const api = apiAs(server.url, (await pageTokens(laptop.page)).accessToken);
  const track = await api.post("/api/v1/tracks", { title: "Work" });
  assert.equal(track.status, 201, JSON.stringify(track.body));
  const node = await api.post(`/api/v1/tracks/${track.body.id}/nodes`, { type: "task", title: "Report" });
  assert.equal(node.status, 201, JSON.stringify(node.body));
  const nodeId = node.body.id;

  // Offline, the phone's requests fail by design: those console errors are expected.
  const phone = await newPage(browser, server.url, { allow: [/ERR_INTERNET_DISCONNECTED/, /Failed to load resource/] });
  const phoneListens = listening(phone.page);
  await signInViaUi(phone.page, email);
  await phoneListens;

  for (const device of [laptop, phone]) {
    await device.page.goto(`${server.url}/#/plan`);
    await device.page.getByRole("button", { name: "Rename Report" }).waitFor();
  }

  // The phone goes offline and renames: kept on the device, queued.
  await phone.context.setOffline(true);
  await phone.page.getByText("Offline", { exact: true }).first().waitFor();
  await rename(phone.page, "Report", "Report (phone)");
  await phone.page.getByText("Not synced yet").waitFor();
  assert.equal((await api.get(`/api/v1/nodes/${nodeId}`)).body.title, "Report", "nothing reached the server");

  // Meanwhile the laptop renames it online.
  await rename(laptop.page, "Report", "Report (laptop)");
  await eventually(async () => (await api.get(`/api/v1/nodes/${nodeId}`)).body.title === "Report (laptop)", "the laptop's rename");

  // Back online, the phone pushes its stale edit: a conflict (the later write wins and
  // the laptop's overwritten title is kept in the conflict).
  await phone.context.setOffline(false);
  const conflict = await eventually(async () => {
    const open = await api.get("/api/v1/sync/conflicts?status=open");
    return open.body.items.find((c) => c.entityId === nodeId);
  }, "the conflict on the server");
  assert.equal(conflict.kind, "update_update");
  assert.equal(conflict.entity, "node");
  assert.deepEqual(conflict.serverFields, { title: "Report (laptop)" });
  assert.equal(conflict.clientFields.title, "Report (phone)");
  assert.equal((await api.get(`/api/v1/nodes/${nodeId}`)).body.title, "Report (phone)");

  // The phone's Sync page lists it with both versions.
  await phone.page.goto(`${server.url}/#/sync`);
  const item = phone.page.getByRole("list", { name: "Open conflicts" }).getByTestId("conflict");
  await item.waitFor();
  assert.equal(await item.count(), 1);
  const text = await item.textContent();
  assert.ok(text.includes("Report (laptop)") && text.includes("Report (phone)"), text);
  // The device kept the conflict among its own sync issues too (`app.offline.issues()`).
  const refused = phone.page.getByRole("list", { name: "Refused changes" }).getByRole("listitem");
  assert.equal(await refused.count(), 1);
  assert.match(await refused.textContent(), /Plan item: conflict.*Report \(phone\)/);
  await screenshot(phone.page, "sync-conflict");

  // Keep the server's (the laptop's) version.
  await item.getByRole("button", { name: /^Keep server's version of / }).click();
  await phone.page.getByText("No open conflicts.").waitFor();
  await eventually(async () => (await api.get(`/api/v1/nodes/${nodeId}`)).body.title === "Report (laptop)", "the resolution");
  const resolved = await api.get(`/api/v1/sync/conflicts/${conflict.id}`);
  assert.equal(resolved.body.resolution, "server");
  assert.ok(resolved.body.resolvedAt);
  assert.deepEqual((await api.get("/api/v1/sync/conflicts?status=open")).body.items, []);

  // Both devices show the resolved title.
  for (const device of [phone, laptop]) {
    await device.page.goto(`${server.url}/#/plan`);
    await device.page.reload();
    await eventually(
      async () => (await device.page.getByRole("button", { name: "Rename Report (laptop)" }).count()) === 1,
      "the resolved title on the Plan page",
    );
  }
  await phone.close();
  await laptop.close();
});
