/**
 * Offline in a real browser: with the app loaded once (the service worker installed),
 * the network goes off, the page reloads from the cached shell, a habit is completed and
 * a timer started; both show as pending. When the network returns they sync, and the API
 * holds exactly one completion and one running time entry for them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createDailyHabits, signedInPage, sleep, todayUtc, useServerAndBrowser } from "./harness.mjs";

const ctx = useServerAndBrowser();

test("a completion and a timer made offline arrive exactly once when the network returns", async () => {
  // Offline, Chromium logs the requests that could not be sent (the listener's stream,
  // the reads the page falls back from): those are expected here, nothing else is.
  const { page, context, close, api } = await signedInPage(ctx, "offline", {
    allow: [/net::ERR_INTERNET_DISCONNECTED/, /net::ERR_NETWORK_CHANGED/, /Failed to fetch/],
  });
  try {
    const [meditate, stretch] = await createDailyHabits(api, ["Meditate", "Stretch"]);

    await page.reload();
    await page.evaluate(async () => {
      await navigator.serviceWorker.ready;
      if (!navigator.serviceWorker.controller) {
        await new Promise((r) => navigator.serviceWorker.addEventListener("controllerchange", r, { once: true }));
      }
    });
    await page.getByRole("button", { name: "Complete Meditate" }).click();
    await page.getByText("Done", { exact: true }).waitFor();
    await page.getByTestId("pending-count").filter({ hasText: /^0 pending$/ }).waitFor();

    // The network goes off; the shell comes from the service worker.
    await context.setOffline(true);
    const reloaded = await page.reload();
    assert.ok(reloaded, "the page reloaded");
    assert.equal(reloaded.fromServiceWorker(), true, "the service worker answered the navigation");
    await page.getByTestId("network").filter({ hasText: "Offline" }).waitFor();
    await page.getByRole("heading", { level: 1, name: "Now" }).waitFor();

    const clicked = Date.now();
    await page.getByRole("button", { name: "Complete Stretch" }).click();
    await page.getByText("Done · waiting to sync").waitFor();
    await page.getByLabel("Note").fill("Writing");
    await page.getByRole("button", { name: "Start timer" }).click();
    await page.getByRole("button", { name: "Stop timer" }).waitFor();
    await page.getByTestId("pending-count").filter({ hasText: /^2 pending/ }).waitFor();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Sync" }).click();
    const list = page.getByTestId("pending-list");
    await list.getByText("Habit completion saved").waitFor();
    await list.getByText("Timer start").waitFor();

    // Nothing reached the server yet.
    assert.equal((await api.get(`/api/v1/completions?nodeId=${stretch.id}`)).body.items.length, 0);

    await sleep(1_500); // a queued request that would slip through would land meanwhile
    await context.setOffline(false);
    await page.getByTestId("network").filter({ hasText: "Online" }).waitFor();
    await page.getByTestId("pending-count").filter({ hasText: /^0 pending$/ }).waitFor({ timeout: 15_000 });
    await page.getByText("Everything is synced.").waitFor();

    const stretchDone = await api.get(`/api/v1/completions?nodeId=${stretch.id}`);
    assert.equal(stretchDone.body.items.length, 1, "the offline completion arrived once");
    assert.equal(stretchDone.body.items[0].localDate, todayUtc());
    assert.equal((await api.get(`/api/v1/completions?nodeId=${meditate.id}`)).body.items.length, 1);

    const day = todayUtc();
    const entries = await api.get(`/api/v1/time-entries?from=${day}&to=${day}`);
    assert.equal(entries.status, 200);
    assert.equal(entries.body.items.length, 1, "one time entry arrived");
    const [entry] = entries.body.items;
    assert.equal(entry.endedAt ?? null, null, "it is still running");
    assert.equal(entry.note, "Writing");
    const started = Date.parse(entry.startedAt);
    assert.ok(Math.abs(started - clicked) < 10_000, `it started when it was started offline (${entry.startedAt})`);

    // A second sync (a reload) sends nothing twice.
    await page.reload();
    await page.getByTestId("pending-count").filter({ hasText: /^0 pending$/ }).waitFor();
    await sleep(500);
    assert.equal((await api.get(`/api/v1/completions?nodeId=${stretch.id}`)).body.items.length, 1);
    assert.equal((await api.get(`/api/v1/time-entries?from=${day}&to=${day}`)).body.items.length, 1);

    // The running timer stopped offline: the stop waits, then ends the same entry.
    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Now" }).click();
    await page.getByRole("button", { name: "Stop timer" }).waitFor();
    await context.setOffline(true);
    await page.getByTestId("network").filter({ hasText: "Offline" }).waitFor();
    await page.getByRole("button", { name: "Stop timer" }).click();
    await page.getByRole("button", { name: "Start timer" }).waitFor();
    await page.getByTestId("pending-count").filter({ hasText: /^1 pending/ }).waitFor();
    assert.equal((await api.get(`/api/v1/time-entries?from=${day}&to=${day}`)).body.items[0].endedAt ?? null, null);
    await context.setOffline(false);
    await page.getByTestId("pending-count").filter({ hasText: /^0 pending$/ }).waitFor({ timeout: 15_000 });
    const stopped = await api.get(`/api/v1/time-entries?from=${day}&to=${day}`);
    assert.equal(stopped.body.items.length, 1, "still one entry");
    assert.ok(stopped.body.items[0].endedAt, "it has ended");
    assert.equal(stopped.body.items[0].id, entry.id);
  } finally {
    await close();
  }
});
