/**
 * The Plan, Log and Stats pages in Chromium against the real server, checked through the
 * API: a track and nodes made on Plan, reordered by keyboard ("Move up") and by drag and
 * drop, a node locked and a habit scheduled; a day type logged and the month's
 * plan-versus-actual report; a GPX file imported with its distance, climb and SVG
 * preview; vehicle maintenance with the next service due; Stats showing the level and XP
 * after a completion made through the API. Screenshots go to e2e/artifacts/.
 *
 * Run: `npm run build && LIFEOS_BIN=... LIFEOS_WEB_DIR=$PWD/dist node --test e2e/pages.test.mjs`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { axeScan, createDailyHabits, eventually, resetFocus, screenshot, signedInPage, useServerAndBrowser } from "./harness.mjs";

const GPX = fileURLToPath(new URL("./fixtures/ridge-walk.gpx", import.meta.url));

const ctx = useServerAndBrowser();

/** `apiAs` answers `{ status, body }`; this throws unless the status is 2xx. */
async function ok(api, method, path, body) {
  const reply = await api(method, path, body);
  assert.ok(reply.status >= 200 && reply.status < 300, `${method} ${path}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return reply.body;
}

const titlesIn = async (page, track) =>
  page.getByRole("list", { name: `Nodes of ${track}` }).locator(":scope > li .node-title").allTextContents();

/**
 * Presses Tab around the whole page once and lists the stops (a date input's segments
 * count as one), each with its name and whether it shows a focus indicator.
 */
async function tabStops(page, max = 300) {
  await resetFocus(page);
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press("Tab");
    const info = await page.evaluate(() => {
      const el = document.activeElement;
      if (!el || el === document.body) return null;
      if (!el.dataset.tabStop) el.dataset.tabStop = String(document.querySelectorAll("[data-tab-stop]").length + 1);
      const s = getComputedStyle(el);
      const visible = (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== "none");
      const label = el.labels?.[0]?.querySelector(".field-label")?.textContent;
      const name = (el.getAttribute("aria-label") || label || el.textContent || "").trim().slice(0, 60);
      return { id: el.dataset.tabStop, tag: el.tagName.toLowerCase(), name, visible: !!visible };
    });
    if (!info) continue;
    if (stops.length > 0 && stops[0].id === info.id) break; // around once
    if (stops.at(-1)?.id === info.id) continue; // the next segment of a date input
    stops.push(info);
  }
  return stops;
}

/** Every control is reached by Tab and shows where the focus is. */
async function assertKeyboard(page, name, mustReach) {
  const stops = await tabStops(page);
  assert.deepEqual(
    stops.filter((s) => !s.visible).map((s) => `${s.tag} "${s.name}"`),
    [],
    `${name}: controls without a visible focus indicator`,
  );
  const names = stops.map((s) => s.name);
  for (const wanted of mustReach) {
    assert.ok(names.includes(wanted), `${name}: Tab reaches "${wanted}" (${names.join(" | ")})`);
  }
  return stops;
}

async function assertNoSeriousA11y(page, name) {
  const violations = await axeScan(page);
  assert.deepEqual(
    violations.map((v) => `${v.id}: ${v.nodes.join(" ")}`),
    [],
    `${name}: axe found serious or critical violations`,
  );
}

test("Plan: a track and nodes, reordered by keyboard and by drag, a lock and a habit schedule", async () => {
  const { page, close, api } = await signedInPage(ctx, "plan");

  await page.goto(`${ctx.server.url}/#/plan`);
  await page.getByRole("heading", { name: "Plan", level: 1 }).waitFor();
  await page.getByLabel("Track title").fill("Work");
  await page.getByRole("button", { name: "Add track" }).click();
  await page.getByRole("heading", { name: "Work", level: 3 }).waitFor();

  for (const [title, type] of [
    ["Report", "task"],
    ["Inbox zero", "task"],
    ["Meditate", "habit"],
  ]) {
    await page.getByLabel("New node in Work", { exact: true }).fill(title);
    await page.getByLabel("Type of the new node in Work").selectOption(type);
    await page.getByRole("button", { name: "Add node to Work" }).click();
    await page.getByRole("button", { name: `Move ${title} up` }).waitFor();
  }
  assert.deepEqual(await titlesIn(page, "Work"), ["Report", "Inbox zero", "Meditate"]);

  const tracks = await ok(api, "GET", "/api/v1/tracks");
  assert.deepEqual(tracks.items.map((t) => t.title), ["Work"]);
  const work = tracks.items[0].id;
  const serverOrder = async () => (await ok(api, "GET", `/api/v1/tracks/${work}/nodes`)).items.map((n) => n.title);
  assert.deepEqual(await serverOrder(), ["Report", "Inbox zero", "Meditate"], "the nodes were created on the server");

  // Keyboard: focus "Move Meditate up" and press Enter; the focus stays on the moved node.
  await page.getByRole("button", { name: "Move Meditate up" }).focus();
  await page.keyboard.press("Enter");
  await eventually(async () => (await titlesIn(page, "Work")).join() === "Report,Meditate,Inbox zero", "the keyboard move");
  assert.deepEqual(await serverOrder(), ["Report", "Meditate", "Inbox zero"]);
  const focused = await page.evaluate(() => document.activeElement?.getAttribute("aria-label"));
  assert.match(focused ?? "", /Move Meditate (up|down)/, "focus follows the moved node");

  // Drag "Inbox zero" onto the top half of "Report": it goes first.
  const item = (title) => page.getByRole("list", { name: "Nodes of Work" }).locator(":scope > li", { hasText: title });
  await item("Inbox zero").dragTo(item("Report"), { targetPosition: { x: 20, y: 4 } });
  await eventually(async () => (await titlesIn(page, "Work")).join() === "Inbox zero,Report,Meditate", "the drag and drop");
  assert.deepEqual(await serverOrder(), ["Inbox zero", "Report", "Meditate"]);

  // Lock: the node says so, and the server agrees; it can no longer be renamed.
  await page.getByRole("button", { name: "Lock Report" }).click();
  await page.getByRole("button", { name: "Unlock Report" }).waitFor();
  assert.equal(await page.getByRole("button", { name: "Rename Report" }).count(), 0);
  const nodes = (await ok(api, "GET", `/api/v1/tracks/${work}/nodes`)).items;
  const report = nodes.find((n) => n.title === "Report");
  assert.equal(report.locked, true);
  assert.equal(nodes.find((n) => n.title === "Meditate").locked, false);

  // A habit schedule: weekly on Monday and Wednesday.
  const meditate = nodes.find((n) => n.title === "Meditate");
  await page.getByRole("button", { name: "Schedule of Meditate" }).click();
  await page.getByText("No schedule yet").waitFor();
  await page.getByLabel("How often Meditate is due").selectOption("weekly");
  await page.getByRole("button", { name: "Save schedule of Meditate" }).click();
  await page.getByRole("status").filter({ hasText: "Choose at least one day of the week." }).waitFor();
  await page.getByRole("checkbox", { name: "Monday" }).check();
  await page.getByRole("checkbox", { name: "Wednesday" }).check();
  await page.getByRole("button", { name: "Save schedule of Meditate" }).click();
  await page.getByText("Schedule: Weekly on Monday, Wednesday").first().waitFor();
  const schedule = await ok(api, "GET", `/api/v1/nodes/${meditate.id}/habit-schedule`);
  assert.equal(schedule.schedule.frequency, "weekly");
  assert.deepEqual(schedule.schedule.daysOfWeek, [1, 3]);

  // Rename through the replica (sync entity `node`).
  await page.getByRole("button", { name: "Rename Inbox zero" }).click();
  await page.getByLabel("New title for Inbox zero").fill("Inbox to zero");
  await page.getByRole("button", { name: "Save title" }).click();
  await page.getByRole("button", { name: "Move Inbox to zero down" }).waitFor();
  await eventually(async () => (await serverOrder())[0] === "Inbox to zero", "the rename to reach the server");

  // A second track, moved above the first with the keyboard.
  await page.getByLabel("Track title").fill("Home");
  await page.getByRole("button", { name: "Add track" }).click();
  await page.getByRole("heading", { name: "Home", level: 3 }).waitFor();
  await page.getByRole("button", { name: "Move track Home up" }).focus();
  await page.keyboard.press("Enter");
  await eventually(async () => (await ok(api, "GET", "/api/v1/tracks")).items.map((t) => t.title).join() === "Home,Work", "the track order");
  await eventually(
    async () => (await page.getByRole("heading", { level: 3 }).allTextContents()).slice(0, 2).join() === "Home,Work",
    "the tracks redrawn in order",
  );

  await screenshot(page, "plan");
  await assertKeyboard(page, "Plan", [
    "Track title",
    "Add track",
    "Move Inbox to zero down",
    "Unlock Report",
    "Schedule of Meditate",
    "How often Meditate is due",
    "Save schedule of Meditate",
    "New node in Work",
    "Type of the new node in Work",
    "Add node to Work",
  ]);
  await assertNoSeriousA11y(page, "Plan");
  await close();
});

test("Log: a day type and the month's report, a GPX hike with its preview, maintenance and service due", async () => {
  const { page, close, api } = await signedInPage(ctx, "log");

  await page.goto(`${ctx.server.url}/#/log`);
  await page.getByRole("heading", { name: "Log", level: 1 }).waitFor();
  const now = new Date();
  const month = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;

  // Day 1 as planned, day 2 not: 1 of 2 days matched.
  for (const [day, planned, actual] of [
    ["01", "focus", "focus"],
    ["02", "buffer", "free"],
  ]) {
    await page.getByLabel("Date", { exact: true }).fill(`${month}-${day}`);
    await page.getByLabel("Planned day type").selectOption(planned);
    await page.getByLabel("Actual day type").selectOption(actual);
    await page.getByRole("button", { name: "Save day type" }).click();
    await page.getByRole("cell", { name: `${month}-${day}` }).waitFor();
  }
  await page.getByTestId("day-report-matched").filter({ hasText: "1 of 2 days (50 %)" }).waitFor();
  const report = await ok(api, "GET", `/api/v1/day-types/report/monthly?month=${month}`);
  assert.equal(report.matched, 1);
  assert.equal(report.daysWithBoth, 2);
  assert.deepEqual(report.plannedByType, { free: 0, focus: 1, buffer: 1 });
  assert.deepEqual(report.actualByType, { free: 1, focus: 1, buffer: 0 });
  const row = page.getByRole("row", { name: new RegExp(`${month}-02`) });
  assert.match(await row.textContent(), /Buffer.*Free/);

  // A GPX file: distance, climb and the track preview.
  await page.getByLabel("GPX file", { exact: true }).setInputFiles(GPX);
  await page.getByRole("button", { name: "Import GPX" }).click();
  const hike = page.getByRole("article", { name: /^Hike on / });
  await hike.waitFor();
  assert.equal(await hike.getByTestId("hike-distance").textContent(), "8.45 km");
  assert.equal(await hike.getByTestId("hike-elevation").textContent(), "229 m");
  const preview = hike.getByRole("img", { name: /^Track of the hike on / });
  await preview.waitFor();
  const points = await preview.locator("polyline").getAttribute("points");
  const pairs = points.trim().split(/\s+/);
  assert.equal(pairs.length, 77, "one point per track point");
  for (const pair of pairs) {
    const [x, y] = pair.split(",").map(Number);
    assert.ok(x >= 0 && x <= 160 && y >= 0 && y <= 160, `point ${pair} inside the preview`);
  }
  // North is up: the walk goes north, so the last point is above the first.
  assert.ok(Number(pairs.at(-1).split(",")[1]) < Number(pairs[0].split(",")[1]));
  const hikes = await ok(api, "GET", "/api/v1/hikes");
  assert.equal(hikes.items.length, 1);
  assert.equal(hikes.items[0].distanceKm, 8.451);
  assert.equal(hikes.items[0].elevationGainM, 229);
  assert.equal(hikes.items[0].track.coordinates.length, 77);

  // A vehicle and two oil changes: the next one is due.
  await page.getByLabel("Vehicle name").fill("Blue Golf");
  await page.getByRole("button", { name: "Add vehicle" }).click();
  await page.getByRole("option", { name: "Blue Golf" }).waitFor({ state: "attached" });
  const day = (daysAgo) => new Date(Date.now() - daysAgo * 86_400_000).toISOString().slice(0, 10);
  for (const [date, km] of [
    [day(200), "40000"],
    [day(20), "47000"],
  ]) {
    await page.getByRole("combobox", { name: /^Vehicle\b/ }).selectOption({ label: "Blue Golf" });
    await page.getByLabel("Service date").fill(date);
    await page.getByRole("combobox", { name: /^Service\b/ }).selectOption("oil_change");
    await page.getByLabel("Odometer", { exact: true }).fill(km);
    await page.getByLabel("Cost").fill("89.90");
    await page.getByRole("button", { name: "Add maintenance entry" }).click();
    await page.getByRole("cell", { name: date, exact: true }).first().waitFor();
  }
  const vehicles = await ok(api, "GET", "/api/v1/vehicles");
  assert.equal(vehicles.items.length, 1);
  const due = await ok(api, "GET", `/api/v1/vehicles/${vehicles.items[0].id}/service-due`);
  assert.equal(due.items.length, 1, JSON.stringify(due));
  assert.equal(due.items[0].serviceType, "oil_change");
  const dueTable = page.getByRole("table", { name: "Service due for Blue Golf" });
  await dueTable.waitFor();
  const dueRow = dueTable.getByRole("row", { name: /Oil change/ });
  const text = await dueRow.textContent();
  assert.ok(text.includes(due.items[0].nextDueDate), `${text} shows ${due.items[0].nextDueDate}`);
  assert.equal(due.items[0].nextDueMileage, 54000, "every 7,000 km");
  assert.match(text, /54[,.\u202f\u00a0]?000 km/, `${text} shows the next mileage`);
  const records = await ok(api, "GET", "/api/v1/vehicle-maintenance");
  assert.deepEqual(records.items.map((m) => [m.mileage, m.costMinor, m.currency]), [
    [40000, 8990, "EUR"],
    [47000, 8990, "EUR"],
  ]);

  await screenshot(page, "log");
  await assertKeyboard(page, "Log", [
    "Month",
    "Date",
    "Planned day type",
    "Save day type",
    "GPX file",
    "Import GPX",
    "Vehicle name",
    "Add vehicle",
    "Service date",
    "Odometer",
    "Add maintenance entry",
  ]);
  await assertNoSeriousA11y(page, "Log");
  await close();
});

test("Stats: level, XP to the next level, streak and the week chart after a completion", async () => {
  const { page, close, api } = await signedInPage(ctx, "stats");

  const track = await ok(api, "POST", "/api/v1/tracks", { title: "Home" });
  const node = await ok(api, "POST", `/api/v1/tracks/${track.id}/nodes`, { type: "task", title: "Fix the tap" });
  const done = await ok(api, "POST", `/api/v1/nodes/${node.id}/complete`, {});
  assert.ok(done.xpAwarded > 0, JSON.stringify(done));
  const [stretch] = await createDailyHabits(api, ["Stretch"]);
  const habitDone = await ok(api, "POST", `/api/v1/nodes/${stretch.id}/complete`, {});
  const xp = done.xpAwarded + habitDone.xpAwarded;
  const stats = await ok(api, "GET", "/api/v1/me/stats");
  assert.equal(stats.xp, xp);

  await page.goto(`${ctx.server.url}/#/stats`);
  await page.getByRole("heading", { name: "Stats", level: 1 }).waitFor();
  assert.equal(await page.getByTestId("level").textContent(), `Level ${stats.level}`);
  assert.equal(
    await page.getByTestId("xp-to-next").textContent(),
    `${stats.xpToNext - stats.xpIntoLevel} XP to level ${stats.level + 1} · ${stats.xp} XP in total`,
  );
  const bar = page.getByRole("progressbar", { name: `${stats.xpIntoLevel} of ${stats.xpToNext} XP into level ${stats.level}` });
  assert.equal(await bar.getAttribute("value"), String(stats.xpIntoLevel));
  assert.equal(await page.getByTestId("current-streak").textContent(), "1 day");

  const week = page.getByRole("img", { name: /^XP per day this week/ });
  const weekBars = week.locator("rect[data-xp]");
  assert.equal(await weekBars.count(), 7);
  const summary = await ok(api, "GET", "/api/v1/me/progress/summary?period=week");
  const today = summary.days.find((d) => d.xp > 0);
  assert.ok(today, JSON.stringify(summary));
  const todayBar = week.locator(`rect[data-date="${today.date}"]`);
  assert.equal(await todayBar.getAttribute("data-xp"), String(xp));
  assert.ok(Number(await todayBar.getAttribute("height")) > 0);
  const title = await todayBar.locator("xpath=..").locator("title").textContent();
  assert.match(title, new RegExp(`${today.date}: ${xp} XP, 2 completions, 1 of 1 habits done`));
  const month = page.getByRole("img", { name: /^XP per day this month/ });
  const monthSummary = await ok(api, "GET", "/api/v1/me/progress/summary?period=month");
  assert.equal(await month.locator("rect[data-xp]").count(), monthSummary.days.length);

  // The scheduled habit's strength, as the API computes it.
  const habit = await ok(api, "GET", `/api/v1/habits/${stretch.id}/stats`);
  const pct = Math.round(habit.strength * 100);
  assert.ok(pct > 0, JSON.stringify(habit));
  const meter = page.getByRole("meter", { name: `Stretch: strength ${pct} %` });
  await meter.waitFor();
  assert.equal(await meter.getAttribute("value"), String(pct));

  // Badges: the catalog's progress, and an earned one if the first completion earned it.
  const earned = await ok(api, "GET", "/api/v1/me/badges");
  for (const b of earned) await page.getByRole("list", { name: "Earned badges" }).getByText(b.title).waitFor();
  if (earned.length === 0) await page.getByText("No badge earned yet.").waitFor();

  await screenshot(page, "stats");
  await assertKeyboard(page, "Stats", ["Stats"]);
  await assertNoSeriousA11y(page, "Stats");
  await close();
});

test("Log offline: a day type is kept on the device and syncs when the network returns; a bad GPX file is named", async () => {
  // Offline requests fail, and the bad file answers 422: those console lines are expected.
  const { page, context, close, api } = await signedInPage(ctx, "offline", {
    allow: [/ERR_INTERNET_DISCONNECTED/, /Failed to load resource/],
  });
  await page.goto(`${ctx.server.url}/#/log`);
  await page.getByRole("button", { name: "Save day type" }).waitFor();
  const now = new Date();
  const month = `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}`;
  const date = `${month}-03`;

  await context.setOffline(true);
  await page.getByText("Offline", { exact: true }).first().waitFor();
  await page.getByLabel("Date", { exact: true }).fill(date);
  await page.getByLabel("Planned day type").selectOption("buffer");
  await page.getByRole("button", { name: "Save day type" }).click();
  await page.getByRole("status").filter({ hasText: `Saved ${date} on this device` }).waitFor();
  await page.getByRole("table", { name: `Days of ${month} on this device` }).getByRole("cell", { name: date }).waitFor();
  const range = `/api/v1/day-types?from=${month}-01&to=${month}-28`;
  assert.deepEqual((await ok(api, "GET", range)).items, [], "nothing reached the server while offline");

  await context.setOffline(false);
  const stored = await eventually(async () => (await ok(api, "GET", range)).items.find((d) => d.date === date), "the day type to sync");
  assert.equal(stored.plannedType, "buffer");
  assert.equal(stored.actualType ?? null, null);

  // A malformed GPX file: the problem's sentence in the status region, nothing stored.
  await page.getByLabel("GPX file", { exact: true }).setInputFiles(fileURLToPath(new URL("./fixtures/malformed.gpx", import.meta.url)));
  await page.getByRole("button", { name: "Import GPX" }).click();
  const status = page.getByRole("status");
  await eventually(async () => /GPX/i.test((await status.textContent()) ?? ""), "the problem in the status region");
  assert.equal(await status.getAttribute("class"), "status error");
  assert.deepEqual((await ok(api, "GET", "/api/v1/hikes")).items, []);
  await close();
});
