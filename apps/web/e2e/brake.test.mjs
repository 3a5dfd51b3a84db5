/**
 * The Brake page in Chromium. Seeded through the API the way apps/gateway/tests/api/brake.rs
 * seeds a display (health-data consent, a cycle on day 3 counted from the API's own cycle
 * start, six days of HRV baseline, a drop now, a high-stakes calendar event on now), the
 * page shows the Proceed/Delay screen; Delay is recorded (checked through the API) and the
 * cooling period starts. A second person without consent is asked for it first, and on
 * day 7 answers the reflection question.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { axeScan, screenshot, signedInPage, useServerAndBrowser } from "./harness.mjs";

const ctx = useServerAndBrowser();

async function ok(reply, what) {
  assert.ok(reply.status >= 200 && reply.status < 300, `${what}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

/** `date` (YYYY-MM-DD) plus `days`. */
const addDays = (date, days) => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** Starts the cycle so that today is `day` (1-7), from the API's own idea of today. */
async function cycleOnDay(api, day) {
  const state = await ok(await api.get("/api/v1/brake/state"), "GET /brake/state");
  const today = addDays(state.cycleStart, state.currentDay - 1);
  const started = await ok(await api.post("/api/v1/brake/cycle", { startDate: addDays(today, 1 - day) }), "POST /brake/cycle");
  assert.equal(started.currentDay, day, JSON.stringify(started));
  return { ...started, today };
}

/**
 * What brake.rs seeds for a display, on the real clock: consent, day 3 of a cycle, six
 * earlier days of RMSSD at 60 ms, 30 ms a minute ago, and a board review on now.
 */
async function seedDisplay(api) {
  await ok(await api.put("/api/v1/me/consents/health_data", { granted: true }), "consent");
  const cycle = await cycleOnDay(api, 3);
  assert.equal(cycle.phase, "intervention");

  // Six earlier days of RMSSD around 60 ms, then 30 ms a minute ago.
  const now = Date.now();
  const sample = (msAgo, valueMs) => ({ measuredAt: new Date(now - msAgo).toISOString(), valueMs, metric: "rmssd", source: "oura" });
  const samples = [1, 2, 3, 4, 5, 6].map((d) => sample(d * 86_400_000, 60));
  const stored = await ok(await api.post("/api/v1/brake/hrv-samples", { samples: [...samples, sample(60_000, 30)] }), "samples");
  assert.deepEqual(stored, { stored: 7, duplicates: 0 });
  const events = await ok(
    await api.post("/api/v1/brake/calendar-events", {
      events: [
        { externalId: "evt-board", title: "Q1 Board review", startsAt: new Date(now - 30 * 60_000).toISOString(), endsAt: new Date(now + 90 * 60_000).toISOString() },
        { externalId: "evt-lunch", title: "Lunch with Sam", startsAt: new Date(now + 3 * 3_600_000).toISOString(), endsAt: new Date(now + 4 * 3_600_000).toISOString() },
      ],
    }),
    "calendar events",
  );
  assert.deepEqual(events, { upserted: 2, highStakes: 1 });
}

test("an HRV drop during a high-stakes event shows the brake; Delay is recorded and cools", async () => {
  const { page, close, api } = await signedInPage(ctx, "brake");

  await seedDisplay(api);

  await page.goto(`${ctx.server.url}/#/brake`);
  await page.getByRole("heading", { name: "Brake", level: 1 }).waitFor();
  assert.equal(await page.getByTestId("brake-day").textContent(), "Day 3 of 7");
  const screen = page.getByRole("region", { name: "Pause before you go on" });
  await screen.waitFor();
  assert.match(await screen.textContent(), /Your HRV is 30 ms; your baseline is \d+ ms\./);
  const delay = screen.getByRole("button", { name: "Delay", exact: true });
  const proceed = screen.getByRole("button", { name: "Proceed", exact: true });
  assert.ok((await delay.isVisible()) && (await proceed.isVisible()));
  const violations = await axeScan(page);
  assert.deepEqual(violations, [], "the brake screen has no serious or critical axe violation");
  await screenshot(page, "brake");

  await delay.focus();
  await page.keyboard.press("Enter");
  await page.getByTestId("brake-decision").filter({ hasText: /^Delayed\./ }).waitFor();

  const history = await ok(await api.get("/api/v1/brake/decisions/history"), "history");
  assert.equal(history.items.length, 1);
  assert.equal(history.items[0].decisionType, "delay");
  assert.equal(history.items[0].cycleDay, 3);
  const state = await ok(await api.get("/api/v1/brake/state"), "state");
  assert.equal(state.cooling?.eventId, "evt-board");
  assert.ok(Date.parse(state.cooling.endsAt) > Date.now(), "the cooling period is on");
  assert.deepEqual(state.lockedEvents, [], "Delay does not lock the event");

  // During cooling the page shows no brake, and says why.
  await page.reload();
  await page.getByTestId("brake-reason").filter({ hasText: "the cooling period is on" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Delay", exact: true }).count(), 0);
  await close();
});

test("without consent the page asks for it; on day 7 it asks the reflection question", async () => {
  const { page, close, api } = await signedInPage(ctx, "reflect");
  const { today } = await cycleOnDay(api, 7);
  // Asked from 09:00 local by default; from midnight here, so the test passes at any hour.
  const settings = await ok(await api.get("/api/v1/brake/settings"), "settings");
  await ok(await api.put("/api/v1/brake/settings", { ...settings, reflectionHour: 0 }), "PUT settings");

  await page.goto(`${ctx.server.url}/#/brake`);
  await page.getByRole("heading", { name: "Brake", level: 1 }).waitFor();
  assert.equal(await page.getByTestId("brake-day").textContent(), "Day 7 of 7");
  await page.getByRole("button", { name: "Allow health data for the brake" }).click();
  await page.getByRole("button", { name: "Check the brake" }).waitFor();
  const consents = await ok(await api.get("/api/v1/me/consents"), "consents");
  assert.equal(consents.items.find((c) => c.purpose === "health_data").granted, true);
  await page.getByTestId("brake-reason").filter({ hasText: "only shows on days 3 to 5" }).waitFor();

  await page.getByText("In the past 7 days, did pausing help?").waitFor();
  await page.getByRole("button", { name: "Yes, pausing helped" }).click();
  const done = page.getByTestId("reflection-done");
  await done.waitFor();
  const reflections = await ok(await api.get("/api/v1/brake/reflections/history"), "reflections");
  assert.equal(reflections.items.length, 1);
  assert.equal(reflections.items[0].response, "yes");
  const state = await ok(await api.get("/api/v1/brake/state"), "state");
  assert.equal(state.shouldDisplayReflection, false);
  // Tomorrow, local midnight (the account's zone is UTC here).
  assert.equal(Date.parse(await done.getAttribute("data-next-cycle")), Date.parse(`${addDays(today, 1)}T00:00:00Z`));
  assert.match(await done.textContent(), /^Thank you\. The next cycle starts on \w+, /);
  await close();
});

test("Proceed on the brake screen locks the event: no brake for it again", async () => {
  const { page, close, api } = await signedInPage(ctx, "proceed");
  await seedDisplay(api);

  await page.goto(`${ctx.server.url}/#/brake`);
  const screen = page.getByRole("region", { name: "Pause before you go on" });
  await screen.waitFor();
  await screen.getByRole("button", { name: "Proceed", exact: true }).click();
  await page.getByTestId("brake-decision").filter({ hasText: /^Proceeding\./ }).waitFor();
  const history = await ok(await api.get("/api/v1/brake/decisions/history"), "history");
  assert.deepEqual(history.items.map((d) => d.decisionType), ["proceed"]);
  const state = await ok(await api.get("/api/v1/brake/state"), "state");
  assert.deepEqual(state.lockedEvents, ["evt-board"]);
  assert.equal(state.cooling ?? null, null);

  await page.reload();
  await page.getByTestId("brake-reason").filter({ hasText: "You chose to proceed with this event." }).waitFor();
  assert.equal(await page.getByRole("region", { name: "Pause before you go on" }).count(), 0);
  await close();
});
