/**
 * Now: the one tip on a black page with its reason and four feedback buttons, today's
 * due habits with one-tap completion (XP and streak update in place), the running timer
 * with start/stop, and the day's planned type. Writes go through the sync replica (or the
 * timer queue) so they work offline; reads fall back to what was last seen.
 */
import { LifeosApiError, unwrap, type Fields } from "@lifeos/sdk";
import type { App, Page } from "../app";
import { button, field, h, problemText, section } from "../ui";
import { dropStart, pendingActions, queueStart, syncSoon, whileConnected } from "../offline";


type Stats = { xp: number; level: number; xpIntoLevel: number; xpToNext: number; currentStreak: number; longestStreak: number; completionsToday: number };
type DueItem = { node: { id: string; title: string; trackId: string }; schedule: unknown };

/** The user's current local day (their zone and day start), as YYYY-MM-DD. */
export function today(app: App, at = new Date()): string {
  const shifted = new Date(at.getTime() - app.user.dayStartHour * 3_600_000);
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: app.user.timezone, year: "numeric", month: "2-digit", day: "2-digit" }).format(shifted);
  } catch {
    return shifted.toISOString().slice(0, 10);
  }
}

function cacheKey(app: App, what: string): string {
  return `lifeos:cache:${app.user.id}:${what}`;
}
function cached<T>(app: App, what: string): T | null {
  try {
    const text = localStorage.getItem(cacheKey(app, what));
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}
function keep(app: App, what: string, value: unknown): void {
  localStorage.setItem(cacheKey(app, what), JSON.stringify(value));
}

function isNetworkError(err: unknown): boolean {
  return !(err instanceof LifeosApiError);
}

async function fetchStats(app: App): Promise<Stats | null> {
  if (navigator.onLine) {
    try {
      const stats = unwrap(await app.client.api.GET("/api/v1/me/stats")) as Stats;
      keep(app, "stats", stats);
      return stats;
    } catch (err) {
      if (!isNetworkError(err)) throw err;
    }
  }
  return cached<Stats>(app, "stats");
}

async function fetchDue(app: App, date: string): Promise<DueItem[]> {
  if (navigator.onLine) {
    try {
      const due = unwrap(await app.client.api.GET("/api/v1/habits/due", { params: { query: { date } } }));
      keep(app, `due:${date}`, due.items);
      return due.items as DueItem[];
    } catch (err) {
      if (!isNetworkError(err)) throw err;
    }
  }
  return cached<DueItem[]>(app, `due:${date}`) ?? [];
}

function statsView(stats: Stats | null): HTMLElement {
  if (!stats) return h("p", { class: "muted" }, "Your XP and streak appear once you are online.");
  return h(
    "dl",
    { class: "stats", "data-testid": "stats" },
    h("div", {}, h("dt", {}, "XP"), h("dd", { "data-testid": "xp" }, String(stats.xp))),
    h("div", {}, h("dt", {}, "Level"), h("dd", { "data-testid": "level" }, String(stats.level))),
    h("div", {}, h("dt", {}, "Streak"), h("dd", { "data-testid": "streak" }, `${stats.currentStreak} ${stats.currentStreak === 1 ? "day" : "days"}`)),
    h("div", {}, h("dt", {}, "Done today"), h("dd", { "data-testid": "done-today" }, String(stats.completionsToday))),
  );
}

// -- the tip ------------------------------------------------------------------

const FEEDBACK: Array<[kind: "done" | "not_now" | "dismissed" | "not_useful", label: string]> = [
  ["done", "Done"],
  ["not_now", "Not now"],
  ["dismissed", "Dismiss"],
  ["not_useful", "Not useful"],
];

async function renderTip(box: HTMLElement, app: App, afterDone: () => Promise<void>): Promise<void> {
  if (!navigator.onLine) {
    box.replaceChildren(h("p", { class: "tip-quiet" }, "Tips come back when you are online."));
    return;
  }
  const consents = unwrap(await app.client.api.GET("/api/v1/me/consents"));
  const granted = consents.items.find((c) => c.purpose === "recommendations")?.granted ?? false;
  if (!granted) {
    box.replaceChildren(
      h("p", { class: "tip-quiet" }, "Tips use what you plan and log to suggest one thing at a time."),
      button("Allow tips", async () => {
        unwrap(await app.client.api.PUT("/api/v1/me/consents/{purpose}", { params: { path: { purpose: "recommendations" } }, body: { granted: true } }));
        app.notify("Tips allowed.");
        await renderTip(box, app, afterDone);
      }, { class: "primary" }),
    );
    return;
  }
  const answer = unwrap(await app.client.api.POST("/api/v1/recommend", { body: {} }));
  const tip = answer.tip;
  if (!tip) {
    box.replaceChildren(h("p", { class: "tip-quiet", "data-testid": "no-tip" }, "Nothing to add right now. Carry on."));
    return;
  }
  box.replaceChildren(
    h("p", { class: "tip-text", "data-testid": "tip-text" }, tip.text),
    h("p", { class: "tip-reason" }, tip.reason),
    h(
      "div",
      { class: "row", role: "group", "aria-label": "What about this tip?" },
      ...FEEDBACK.map(([kind, label]) =>
        button(label, async () => {
          unwrap(await app.client.api.POST("/api/v1/tips/{id}/feedback", { params: { path: { id: tip.id } }, body: { kind } }));
          app.notify(kind === "done" ? "Nice work." : "Noted.");
          if (kind === "done") await afterDone();
          await renderTip(box, app, afterDone);
        }, kind === "done" ? { class: "primary" } : {}),
      ),
    ),
  );
}

// -- habits ----------------------------------------------------------------------

function completionsOn(app: App, date: string): Map<string, Fields> {
  const pending = new Set(app.offline.pending().filter((m) => m.entity === "completion").map((m) => m.entityId));
  const byNode = new Map<string, Fields>();
  for (const row of app.offline.all("completion")) {
    if (row.localDate === date && typeof row.nodeId === "string") byNode.set(row.nodeId, { ...row, pending: pending.has(String(row.id)) });
  }
  return byNode;
}

// -- timer -----------------------------------------------------------------------

interface Running {
  id: string;
  startedAt: string;
  nodeId?: string | null;
  note?: string | null;
  /** A start still waiting for the network. */
  local: boolean;
}

function runningTimer(app: App): Running | null {
  const queued = pendingActions()[0];
  if (queued) return { id: queued.localId, startedAt: queued.startedAt, nodeId: queued.nodeId, note: queued.note, local: true };
  const row = app.offline.all("time_entry").find((e) => e.endedAt === null || e.endedAt === undefined);
  return row ? { id: String(row.id), startedAt: String(row.startedAt), nodeId: row.nodeId as string | null, note: row.note as string | null, local: false } : null;
}

function elapsed(since: string): string {
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(since)) / 1000));
  const hh = Math.floor(s / 3600);
  const mm = Math.floor((s % 3600) / 60);
  const ss = s % 60;
  return `${hh}:${String(mm).padStart(2, "0")}:${String(ss).padStart(2, "0")}`;
}

let ticker: ReturnType<typeof setInterval> | undefined;

/** Redraws `box` and puts the focus back on the control of the same name, if it had it. */
function keepFocus(box: HTMLElement, draw: () => void): void {
  const active = document.activeElement;
  const name = active instanceof HTMLElement && box.contains(active) ? `${active.tagName}|${active.textContent}` : null;
  draw();
  if (!name) return;
  const again = [...box.querySelectorAll<HTMLElement>("button, a, input, select")].find((el) => `${el.tagName}|${el.textContent}` === name);
  again?.focus({ preventScroll: true });
}

const timerKey = (r: Running | null) => (r ? `${r.id}|${r.local}` : "none");

export const page: Page = {
  route: "now",
  title: "Now",
  async render(root, app) {
    clearInterval(ticker);
    const date = today(app);
    const tipBox = h("div", { class: "tip", "data-testid": "tip" }, h("p", { class: "tip-quiet" }, "Thinking…"));
    const statsBox = h("div", {});
    const habitsBox = h("div", {});
    const timerBox = h("div", {});
    const dayBox = h("div", {});

    const refreshStats = async () => {
      statsBox.replaceChildren(statsView(await fetchStats(app)));
    };

    const drawHabits = (items: DueItem[]) => {
      const done = completionsOn(app, date);
      if (items.length === 0) {
        habitsBox.replaceChildren(h("p", { class: "muted" }, "No habits due today."));
        return;
      }
      habitsBox.replaceChildren(
        h(
          "ul",
          { class: "list habits", "aria-label": "Habits due today" },
          ...items.map((item) => {
            const completion = done.get(item.node.id);
            const state = completion
              ? h("span", { class: completion.pending ? "badge pending" : "badge done" }, completion.pending ? "Done · waiting to sync" : "Done")
              : button(`Complete ${item.node.title}`, async () => {
                  await app.offline.upsert("completion", crypto.randomUUID(), {
                    nodeId: item.node.id,
                    completedAt: new Date().toISOString(),
                    localDate: date,
                  }, null);
                  drawHabits(items);
                  if (navigator.onLine) {
                    await syncSoon(app);
                    drawHabits(items);
                    await refreshStats();
                    const issue = app.offline.issues().find((i) => i.mutation.entity === "completion" && (i.mutation.fields as Fields | undefined)?.nodeId === item.node.id);
                    if (!issue) app.notify(`${item.node.title}: done.`);
                  } else {
                    app.notify(`${item.node.title}: done; it syncs when you are back online.`);
                  }
                }, { class: "primary" });
            return h("li", { class: "row spread" }, h("span", { class: "habit-title" }, item.node.title), state);
          }),
        ),
      );
    };

    const drawTimer = () => {
      clearInterval(ticker);
      const running = runningTimer(app);
      if (!running) {
        const note = h("input", { type: "text", name: "timer-note", maxlength: "2000", placeholder: "What are you working on?" });
        timerBox.replaceChildren(
          h("form", {
            class: "row",
            onsubmit: async (e: Event) => {
              e.preventDefault();
              (e.currentTarget as HTMLFormElement).querySelector("button")!.disabled = true;
              queueStart(null, note.value.trim() || null);
              drawTimer();
              if (navigator.onLine) {
                await syncSoon(app);
                drawTimer();
                app.notify("Timer started.");
              } else {
                app.notify("Timer started; it syncs when you are back online.");
              }
            },
          }, field("Note", note), h("button", { type: "submit", class: "primary" }, "Start timer")),
        );
        return;
      }
      const clock = h("span", { class: "clock", "data-testid": "timer-elapsed", "aria-label": "Elapsed" }, elapsed(running.startedAt));
      ticker = setInterval(() => {
        if (!clock.isConnected) return clearInterval(ticker);
        clock.textContent = elapsed(running.startedAt);
      }, 1000);
      timerBox.replaceChildren(
        h("p", { class: "row spread" },
          h("span", {}, running.note ? `Running: ${running.note}` : "A timer is running", running.local ? h("span", { class: "badge pending" }, " waiting to sync") : null),
          clock,
        ),
        button("Stop timer", async () => {
          const endedAt = new Date().toISOString();
          if (running.local) {
            // Never reached the server: it becomes one finished entry.
            dropStart(running.id);
            await app.offline.upsert("time_entry", crypto.randomUUID(), {
              startedAt: running.startedAt,
              endedAt,
              nodeId: running.nodeId ?? null,
              note: running.note ?? null,
            }, null);
          } else {
            await app.offline.upsert("time_entry", running.id, { endedAt });
          }
          drawTimer();
          if (navigator.onLine) await syncSoon(app);
          drawTimer();
          app.notify(navigator.onLine ? "Timer stopped." : "Timer stopped; it syncs when you are back online.");
        }),
      );
    };

    const drawDay = () => {
      const row = app.offline.all("day_type").find((d) => d.date === date);
      const select = h("select", { name: "planned-type" },
        h("option", { value: "" }, "Not planned"),
        h("option", { value: "focus" }, "Focus"),
        h("option", { value: "buffer" }, "Buffer"),
        h("option", { value: "free" }, "Free"),
      );
      select.value = typeof row?.plannedType === "string" ? row.plannedType : "";
      select.addEventListener("change", async () => {
        if (!select.value) return;
        try {
          if (row) await app.offline.upsert("day_type", String(row.id), { plannedType: select.value });
          else await app.offline.upsert("day_type", crypto.randomUUID(), { date, plannedType: select.value }, null);
          if (navigator.onLine) await syncSoon(app);
          app.notify(`Today is planned as ${select.value}.`);
          drawDay();
        } catch (err) {
          app.notify(problemText(err), "error");
        }
      });
      dayBox.replaceChildren(
        h("p", { "data-testid": "day-type" }, row ? `Today is a ${String(row.plannedType)} day.` : "Today has no planned type."),
        field("Plan today as", select),
      );
    };

    root.replaceChildren(
      h("section", { class: "tip-section", "aria-label": "Tip" }, tipBox),
      section("Progress", statsBox),
      section(`Habits due today (${date})`, habitsBox),
      section("Timer", timerBox),
      section("Today's type", dayBox),
    );
    drawTimer();
    drawDay();
    const [items] = await Promise.all([
      fetchDue(app, date),
      refreshStats(),
    ]);
    drawHabits(items);
    // After each sync (the network back, a poke): pending marks clear, stats follow.
    let shownTimer = timerKey(runningTimer(app));
    let pendingDone = app.offline.pending().filter((m) => m.entity === "completion").length;
    whileConnected(root, () => {
      keepFocus(habitsBox, () => drawHabits(items));
      const key = timerKey(runningTimer(app));
      if (key !== shownTimer) {
        shownTimer = key;
        keepFocus(timerBox, drawTimer);
      }
      const nowPending = app.offline.pending().filter((m) => m.entity === "completion").length;
      if (nowPending < pendingDone && navigator.onLine) void refreshStats().catch(() => undefined);
      pendingDone = nowPending;
    });
    await renderTip(tipBox, app, async () => {
      await syncSoon(app);
      drawHabits(items);
      await refreshStats();
    }).catch((err) => {
      tipBox.replaceChildren(h("p", { class: "tip-quiet" }, "No tip right now."));
      if (!isNetworkError(err)) app.notify(problemText(err), "error");
    });
  },
};
