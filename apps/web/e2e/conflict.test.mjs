/**
 * Two devices of one person (two browser contexts, each signed in through the UI) rename
 * the same node on the Plan page while one of them is offline. When it comes back, its
 * push conflicts; the conflict shows on #/sync with both versions and is resolved there,
 * and the API has the chosen title.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { eventually, listening, newPage, screenshot, signedInPage, signInViaUi, useServerAndBrowser } from "./harness.mjs";

const ctx = useServerAndBrowser();

async function rename(page, from, to) {
  await page.getByRole("button", { name: `Rename ${from}` }).click();
  await page.getByLabel(`New title for ${from}`).fill(to);
  await page.getByRole("button", { name: "Save title" }).click();
  await page.getByRole("button", { name: `Move ${to} up` }).waitFor();
}

test("a rename made offline on one device conflicts with the other's and is resolved on #/sync", async () => {
  const laptop = await signedInPage(ctx, "conflict");
  const { email, api } = laptop;
  const track = await api.post("/api/v1/tracks", { title: "Work" });
  assert.equal(track.status, 201, JSON.stringify(track.body));
  const node = await api.post(`/api/v1/tracks/${track.body.id}/nodes`, { type: "task", title: "Report" });
  assert.equal(node.status, 201, JSON.stringify(node.body));
  const nodeId = node.body.id;

  // Offline, the phone's requests fail by design: those console errors are expected.
  const phone = await newPage(ctx.browser, ctx.server.url, { allow: [/ERR_INTERNET_DISCONNECTED/, /Failed to load resource/] });
  const phoneListens = listening(phone.page);
  await signInViaUi(phone.page, email);
  await phoneListens;

  for (const device of [laptop, phone]) {
    await device.page.goto(`${ctx.server.url}/#/plan`);
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
  await phone.page.goto(`${ctx.server.url}/#/sync`);
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
    await device.page.goto(`${ctx.server.url}/#/plan`);
    await device.page.reload();
    await eventually(
      async () => (await device.page.getByRole("button", { name: "Rename Report (laptop)" }).count()) === 1,
      "the resolved title on the Plan page",
    );
  }
  await phone.close();
  await laptop.close();
});
