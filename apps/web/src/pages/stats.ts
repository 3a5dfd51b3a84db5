/**
 * Stats: level and XP to the next one, streaks, each scheduled habit's strength, badges
 * (earned and in progress), and a week and a month chart of XP per day as inline SVG bars
 * (each bar with a `<title>`, the chart with an accessible name; no chart library).
 */
import { unwrap, type Badge, type EarnedBadge, type HabitStats, type ProgressSummary, type Stats } from "@lifeos/sdk";
import type { App, Page } from "../app";
import { h, needsConnection, problemText, section } from "../ui";

const SVG_NS = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string> = {}): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

const WEEKDAY = new Intl.DateTimeFormat(undefined, { weekday: "short", timeZone: "UTC" });
const dayName = (date: string) => WEEKDAY.format(new Date(`${date}T00:00:00Z`));

/** Bars of XP per day; each bar's `<title>` names the day, its completions and XP. */
export function barChart(summary: ProgressSummary, label: string): SVGSVGElement {
  const days = summary.days;
  const width = 600;
  const height = 150;
  const top = 10;
  const bottom = 22;
  const gap = days.length > 10 ? 4 : 12;
  const barW = Math.min(48, Math.max(2, (width - gap * (days.length + 1)) / Math.max(days.length, 1)));
  // Narrow bars are centred as a group.
  const left = (width - (days.length * barW + (days.length - 1) * gap)) / 2;
  const max = Math.max(1, ...days.map((d) => d.xp));
  const el = svg("svg", { viewBox: `0 0 ${width} ${height}`, width: "100%", role: "img", class: "chart", preserveAspectRatio: "xMidYMid meet" });
  el.setAttribute("aria-label", label);
  const title = svg("title");
  title.textContent = label;
  el.append(title);
  el.append(svg("line", { x1: "0", x2: String(width), y1: String(height - bottom), y2: String(height - bottom), stroke: "#444" }));
  days.forEach((d, i) => {
    const x = left + i * (barW + gap);
    const barH = ((height - top - bottom) * d.xp) / max;
    const g = svg("g", { class: "bar" });
    const t = svg("title");
    t.textContent = `${dayName(d.date)} ${d.date}: ${d.xp} XP, ${d.completions} completion${d.completions === 1 ? "" : "s"}, ${d.habitsDone} of ${d.habitsDue} habits done`;
    g.append(t);
    g.append(
      svg("rect", {
        x: x.toFixed(1),
        y: (height - bottom - barH).toFixed(1),
        width: barW.toFixed(1),
        height: Math.max(barH, d.xp > 0 ? 1 : 0).toFixed(1),
        rx: "2",
        fill: d.xp > 0 ? "#7fd4a8" : "#333",
        "data-date": d.date,
        "data-xp": String(d.xp),
      }),
    );
    if (d.xp > 0 && barW >= 14) {
      const value = svg("text", {
        x: (x + barW / 2).toFixed(1),
        y: Math.max(top + 2, height - bottom - barH - 4).toFixed(1),
        "text-anchor": "middle",
        "font-size": "11",
        fill: "#e8e9ec",
        "aria-hidden": "true",
      });
      value.textContent = String(d.xp);
      g.append(value);
    }
    if (days.length <= 10 || i % 7 === 0) {
      const tx = svg("text", {
        x: (x + barW / 2).toFixed(1),
        y: String(height - 6),
        "text-anchor": "middle",
        "font-size": "12",
        fill: "#aaa",
        "aria-hidden": "true",
      });
      tx.textContent = days.length <= 10 ? dayName(d.date) : d.date.slice(8);
      g.append(tx);
    }
    el.append(g);
  });
  return el;
}

function summaryText(s: ProgressSummary): string {
  return `${s.from} to ${s.to}: ${s.completions} completion${s.completions === 1 ? "" : "s"}, ${s.xp} XP, ${Math.round(
    s.completionRate * 100,
  )} % of due habits done.`;
}

export const page: Page = {
  route: "stats",
  title: "Stats",
  async render(root: HTMLElement, app: App) {
    const api = app.client.api;
    if (!needsConnection(root, "Stats", "Stats need a connection; they are computed on the server.")) return;
    // The replica lists the habits and their schedules (for the strengths below).
    try {
      await app.offline.sync();
    } catch (err) {
      app.notify(problemText(err), "error");
    }
    let stats: Stats;
    let week: ProgressSummary;
    let month: ProgressSummary;
    let badges: Badge[];
    let earned: EarnedBadge[];
    try {
      [stats, week, month, badges, earned] = await Promise.all([
        api.GET("/api/v1/me/stats").then(unwrap),
        api.GET("/api/v1/me/progress/summary", { params: { query: { period: "week" } } }).then(unwrap),
        api.GET("/api/v1/me/progress/summary", { params: { query: { period: "month" } } }).then(unwrap),
        api.GET("/api/v1/badges").then(unwrap),
        api.GET("/api/v1/me/badges").then(unwrap),
      ]);
    } catch (err) {
      app.notify(problemText(err), "error");
      root.replaceChildren(section("Stats", h("p", {}, `The stats could not be loaded: ${problemText(err)}`)));
      return;
    }

    const remaining = Math.max(0, stats.xpToNext - stats.xpIntoLevel);
    const progress = h("progress", { max: String(stats.xpToNext), value: String(stats.xpIntoLevel), id: "level-progress" });
    const level = section(
      "Level",
      h("p", { class: "big", "data-testid": "level" }, `Level ${stats.level}`),
      h(
        "label",
        { for: "level-progress", class: "field-label" },
        `${stats.xpIntoLevel} of ${stats.xpToNext} XP into level ${stats.level}`,
      ),
      progress,
      h("p", { "data-testid": "xp-to-next" }, `${remaining} XP to level ${stats.level + 1} · ${stats.xp} XP in total`),
      h(
        "dl",
        { class: "stats" },
        h(
          "div",
          {},
          h("dt", {}, "Current streak"),
          h("dd", { "data-testid": "current-streak" }, `${stats.currentStreak} day${stats.currentStreak === 1 ? "" : "s"}`),
        ),
        h("div", {}, h("dt", {}, "Longest streak"), h("dd", {}, `${stats.longestStreak} day${stats.longestStreak === 1 ? "" : "s"}`)),
        h("div", {}, h("dt", {}, "Completions today"), h("dd", {}, String(stats.completionsToday))),
        h("div", {}, h("dt", {}, "Today"), h("dd", {}, stats.restDay ? "Rest day" : "Working day")),
      ),
    );

    // Habit strength for the habits that have a schedule (others are never due).
    const schedules = app.offline.all("habit_schedule") as Array<{ nodeId?: string }>;
    const habits = (app.offline.all("node") as Array<{ id: string; title?: string; type?: string; status?: string }>).filter(
      (n) => n.type === "habit" && n.status !== "archived" && schedules.some((s) => s.nodeId === n.id),
    );
    const habitStats = await Promise.all(
      habits.slice(0, 30).map(async (n) => {
        try {
          return { node: n, stats: unwrap(await api.GET("/api/v1/habits/{id}/stats", { params: { path: { id: n.id } } })) as HabitStats };
        } catch {
          return null;
        }
      }),
    );
    const strength = section(
      "Habit strength",
      habitStats.length === 0
        ? h("p", {}, "Give a habit a schedule on the Plan page to see its strength here.")
        : h(
            "ul",
            { class: "list habits" },
            ...habitStats
              .filter((x): x is { node: (typeof habits)[number]; stats: HabitStats } => x !== null)
              .map(({ node, stats: s }) => {
                const pct = Math.round(s.strength * 100);
                const meterId = `strength-${node.id}`;
                return h(
                  "li",
                  {},
                  h("label", { for: meterId }, `${node.title}: strength ${pct} %`),
                  " ",
                  h("meter", { id: meterId, min: "0", max: "100", value: String(pct) }),
                  h(
                    "span",
                    { class: "muted" },
                    ` streak ${s.currentStreak}, ${Math.round(s.completionRate30d * 100)} % of the last 30 days`,
                  ),
                );
              }),
          ),
    );

    const charts = section(
      "Progress",
      h("h3", {}, "This week"),
      barChart(week, `XP per day this week. ${summaryText(week)}`),
      h("p", { "data-testid": "week-summary" }, summaryText(week)),
      h("h3", {}, "This month"),
      barChart(month, `XP per day this month. ${summaryText(month)}`),
      h("p", { "data-testid": "month-summary" }, summaryText(month)),
    );

    const earnedList =
      earned.length === 0
        ? h("p", {}, "No badge earned yet.")
        : h(
            "ul",
            { class: "list badges", "aria-label": "Earned badges" },
            ...earned.map((b) =>
              h("li", {}, h("strong", {}, b.title), ` — ${b.description} (earned ${new Date(b.earnedAt).toLocaleDateString()})`),
            ),
          );
    const open = badges.filter((b) => !b.earnedAt);
    const badgeSection = section(
      "Badges",
      earnedList,
      h("h3", {}, "In progress"),
      open.length === 0
        ? h("p", {}, "Every badge is earned.")
        : h(
            "ul",
            { class: "list badges", "aria-label": "Badges in progress" },
            ...open.map((b) => {
              const id = `badge-${b.code}`;
              return h(
                "li",
                {},
                h("label", { for: id }, `${b.title}: ${b.progress} of ${b.threshold}`),
                " ",
                h("progress", { id, max: String(b.threshold), value: String(b.progress) }),
                h("span", { class: "muted" }, ` ${b.description}`),
              );
            }),
          ),
    );

    root.replaceChildren(level, charts, strength, badgeSection);
  },
};
