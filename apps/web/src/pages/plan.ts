/**
 * Plan: tracks and their nodes. Create a track (REST) and nodes in it; rename and delete
 * nodes through the sync replica (`app.offline`, entity `node`), so those edits work
 * offline and can conflict; reorder by drag and drop or with "Move up"/"Move down"
 * (`POST /nodes/reorder`), lock and unlock (`POST /nodes/{id}/lock|unlock`), and view, set
 * or remove a habit's schedule (`GET|PUT|DELETE /nodes/{id}/habit-schedule`).
 *
 * The lists are drawn from the replica (the server's rows plus the edits not yet pushed),
 * after a sync when the browser is online.
 */
import { unwrap, type HabitFrequency, type HabitSchedule, type HabitScheduleInput, type Node as PlanNode, type NodeType, type Track } from "@lifeos/sdk";
import type { App, Page } from "../app";
import { button, field, h, inlineForm, problemText, section, syncNow } from "../ui";

const NODE_TYPES: Array<[NodeType, string]> = [
  ["task", "Task"],
  ["habit", "Habit"],
  ["focus_session", "Focus session"],
  ["milestone", "Milestone"],
];

const FREQUENCIES: Array<[HabitFrequency, string]> = [
  ["daily", "Every day"],
  ["weekly", "On days of the week"],
  ["monthly", "On days of the month"],
  ["every_n_days", "Every few days"],
  ["times_per_period", "A number of times per period"],
];

const WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];

type Row = Partial<PlanNode> & { id: string; title?: string };

const byPosition = (a: { position?: number | null; id: string }, b: { position?: number | null; id: string }) =>
  (a.position ?? Number.MAX_SAFE_INTEGER) - (b.position ?? Number.MAX_SAFE_INTEGER) || (a.id < b.id ? -1 : 1);

function today(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** "Weekly on Monday, Wednesday" — a schedule in one sentence. */
export function describeSchedule(s: HabitSchedule): string {
  const target = s.target ? `, target ${s.target}` : "";
  switch (s.frequency) {
    case "daily":
      return `Every day${target}`;
    case "weekly":
      return `Weekly on ${(s.daysOfWeek ?? []).map((d) => WEEKDAYS[d - 1] ?? String(d)).join(", ")}${target}`;
    case "monthly":
      return `Monthly on day ${(s.daysOfMonth ?? []).join(", ")}${target}`;
    case "every_n_days":
      return `Every ${s.interval} days from ${s.startOn}${target}`;
    case "times_per_period":
      return `${s.times} times every ${s.periodDays} days from ${s.startOn}${target}`;
    default:
      return String(s.frequency);
  }
}

/** The schedule's rules the form can check before sending it (the server checks them all). */
function scheduleProblem(s: HabitScheduleInput): string | null {
  const whole = (n: unknown, min: number, max: number) => Number.isInteger(n) && (n as number) >= min && (n as number) <= max;
  if (s.frequency === "weekly" && !(s.daysOfWeek ?? []).length) return "Choose at least one day of the week.";
  if (s.frequency === "monthly" && (!(s.daysOfMonth ?? []).length || !(s.daysOfMonth ?? []).every((d) => whole(d, 1, 31))))
    return "Days of the month are numbers from 1 to 31, separated by commas.";
  if (s.frequency === "every_n_days" && !whole(s.interval, 1, 365)) return "Every how many days: a whole number from 1 to 365.";
  if (s.frequency === "times_per_period") {
    if (!whole(s.periodDays, 1, 366)) return "The period is a whole number of days from 1 to 366.";
    if (!whole(s.times, 1, s.periodDays as number)) return `Times per period: a whole number from 1 to ${s.periodDays}.`;
  }
  if ((s.frequency === "every_n_days" || s.frequency === "times_per_period") && !/^\d{4}-\d{2}-\d{2}$/.test(s.startOn ?? ""))
    return "Choose the first day.";
  if (s.target != null && !(s.target > 0)) return "A target is a number greater than 0.";
  return null;
}

/** Which node's rename form and schedule panel are open (kept across re-renders). */
let editing: string | null = null;
let scheduling: string | null = null;

export const page: Page = {
  route: "plan",
  title: "Plan",
  async render(root: HTMLElement, app: App) {
    const api = app.client.api;
    let dragged: { id: string; trackId: string } | null = null;

    const online = await syncNow(app);

    const tracksEl = h("div", { class: "tracks" });
    const offlineNote = h(
      "p",
      { class: "muted", hidden: online },
      "Offline: edits are kept on this device and sync when the connection returns.",
    );

    const tracks = (): Track[] =>
      (app.offline.all("track") as unknown as Track[]).filter((t) => !t.archivedAt).sort(byPosition);
    const nodesOf = (trackId: string): Row[] =>
      (app.offline.all("node") as unknown as Row[]).filter((n) => n.trackId === trackId && n.status !== "archived").sort(byPosition);
    const scheduleOf = (nodeId: string): { id: string; schedule: HabitSchedule } | undefined =>
      (app.offline.all("habit_schedule") as unknown as Array<{ id: string; nodeId: string; schedule: HabitSchedule }>).find(
        (s) => s.nodeId === nodeId,
      );

    /** Redraws the lists and puts the focus back on the control that had it. */
    const draw = (focusKey?: string) => {
      const key = focusKey ?? (document.activeElement as HTMLElement | null)?.dataset?.focus;
      tracksEl.replaceChildren(...trackViews());
      if (key) {
        const target = tracksEl.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`);
        if (target && !(target as HTMLButtonElement).disabled) target.focus();
        else target?.closest("li")?.querySelector<HTMLElement>("button:not([disabled])")?.focus();
      }
    };

    const afterWrite = async (focusKey?: string) => {
      offlineNote.hidden = await syncNow(app);
      draw(focusKey);
    };

    const reorder = async (trackId: string, ids: string[], focusKey?: string) => {
      unwrap(await api.POST("/api/v1/nodes/reorder", { body: { trackId, ids } }));
      await afterWrite(focusKey);
    };

    const move = async (node: Row, delta: number) => {
      const ids = nodesOf(node.trackId!).map((n) => n.id);
      const from = ids.indexOf(node.id);
      const to = from + delta;
      if (from < 0 || to < 0 || to >= ids.length) return;
      ids.splice(from, 1);
      ids.splice(to, 0, node.id);
      const dir = delta < 0 ? "up" : "down";
      await reorder(node.trackId!, ids, `move-${dir}-${node.id}`);
      app.notify(`Moved ${node.title} ${dir}.`);
    };

    function trackViews(): HTMLElement[] {
      const list = tracks();
      if (list.length === 0) return [h("p", {}, "No tracks yet: add one above.")];
      return list.map((track, i) => trackView(track, i, list.length));
    }

    /** Swaps a track with its visible neighbour (archived tracks keep their places). */
    const moveTrack = async (track: Track, delta: number) => {
      const visible = tracks();
      const neighbour = visible[visible.findIndex((t) => t.id === track.id) + delta];
      if (!neighbour) return;
      const ids = (app.offline.all("track") as unknown as Track[]).sort(byPosition).map((t) => t.id);
      const a = ids.indexOf(track.id);
      const b = ids.indexOf(neighbour.id);
      [ids[a], ids[b]] = [ids[b]!, ids[a]!];
      unwrap(await api.POST("/api/v1/tracks/reorder", { body: { ids } }));
      const dir = delta < 0 ? "up" : "down";
      await afterWrite(`track-${dir}-${track.id}`);
      app.notify(`Moved the track ${track.title} ${dir}.`);
    };

    function trackView(track: Track, index: number, count: number): HTMLElement {
      const nodes = nodesOf(track.id);
      const headingId = `track-${track.id}`;
      const ol = h("ol", { class: "nodes", "aria-label": `Nodes of ${track.title}` });
      nodes.forEach((node, i) => ol.append(nodeView(node, i, nodes.length)));
      if (nodes.length === 0) ol.append(h("li", { class: "empty" }, "No nodes yet."));

      const title = h("input", { type: "text", required: true, maxlength: "200", autocomplete: "off" });
      const type = h("select", {}, ...NODE_TYPES.map(([v, l]) => h("option", { value: v }, l)));
      const form = inlineForm(
        `Add a node to ${track.title}`,
        [
          { label: `New node in ${track.title}`, input: title, required: "A node needs a title." },
          { label: `Type of the new node in ${track.title}`, input: type },
        ],
        async ([text = "", kind = ""]) => {
          await app.offline.upsert("node", crypto.randomUUID(), { trackId: track.id, type: kind, title: text });
          title.value = "";
          await afterWrite(`add-node-${track.id}`);
          app.notify(`Added ${text} to ${track.title}.`);
        },
        h("button", { type: "submit", "data-focus": `add-node-${track.id}` }, `Add node to ${track.title}`),
      );
      return h(
        "section",
        { class: "card track", "aria-labelledby": headingId },
        h(
          "div",
          { class: "row spread" },
          h("h3", { id: headingId }, track.title),
          track.version !== undefined
            ? h(
                "div",
                { class: "row" },
                button("Up", () => moveTrack(track, -1), {
                  "aria-label": `Move track ${track.title} up`,
                  "data-focus": `track-up-${track.id}`,
                  ...(index === 0 ? { disabled: "" } : {}),
                }),
                button("Down", () => moveTrack(track, 1), {
                  "aria-label": `Move track ${track.title} down`,
                  "data-focus": `track-down-${track.id}`,
                  ...(index === count - 1 ? { disabled: "" } : {}),
                }),
              )
            : null,
        ),
        track.description ? h("p", {}, track.description) : null,
        ol,
        form,
      );
    }

    function nodeView(node: Row, index: number, count: number): HTMLElement {
      const name = node.title ?? "Untitled";
      const typeLabel = NODE_TYPES.find(([v]) => v === node.type)?.[1] ?? node.type ?? "";
      const pending = app.offline.pending().some((m) => m.entity === "node" && m.entityId === node.id);
      const li = h(
        "li",
        { class: node.locked ? "node locked" : "node", draggable: "true", "data-node-id": node.id },
        h("span", { class: "node-title" }, name),
        " ",
        h("span", { class: "badge" }, typeLabel),
        node.status === "done" ? h("span", { class: "badge" }, "Done") : null,
        node.locked ? h("span", { class: "badge" }, "Locked") : null,
        pending ? h("span", { class: "badge" }, "Not synced yet") : null,
      );
      li.addEventListener("dragstart", (e) => {
        dragged = { id: node.id, trackId: node.trackId! };
        e.dataTransfer?.setData("text/plain", node.id);
        if (e.dataTransfer) e.dataTransfer.effectAllowed = "move";
        li.classList.add("dragging");
      });
      li.addEventListener("dragend", () => {
        li.classList.remove("dragging");
        dragged = null;
      });
      li.addEventListener("dragover", (e) => {
        if (dragged && dragged.trackId === node.trackId && dragged.id !== node.id) {
          e.preventDefault();
          if (e.dataTransfer) e.dataTransfer.dropEffect = "move";
        }
      });
      li.addEventListener("drop", (e) => {
        e.preventDefault();
        const from = dragged;
        dragged = null;
        if (!from || from.trackId !== node.trackId || from.id === node.id) return;
        const ids = nodesOf(node.trackId!).map((n) => n.id).filter((id) => id !== from.id);
        const rect = li.getBoundingClientRect();
        const after = e.clientY > rect.top + rect.height / 2;
        const at = ids.indexOf(node.id) + (after ? 1 : 0);
        ids.splice(at, 0, from.id);
        const moved = nodesOf(node.trackId!).find((n) => n.id === from.id);
        reorder(node.trackId!, ids)
          .then(() => app.notify(`Moved ${moved?.title ?? "the node"}.`))
          .catch((err) => app.notify(problemText(err), "error"));
      });

      const actions = h("div", { class: "row" });
      actions.append(
        button("Up", () => move(node, -1), {
          "aria-label": `Move ${name} up`,
          "data-focus": `move-up-${node.id}`,
          ...(index === 0 ? { disabled: "" } : {}),
        }),
        button("Down", () => move(node, 1), {
          "aria-label": `Move ${name} down`,
          "data-focus": `move-down-${node.id}`,
          ...(index === count - 1 ? { disabled: "" } : {}),
        }),
      );
      if (node.version !== undefined) {
        actions.append(
          node.locked
            ? button("Unlock", async () => {
                unwrap(await api.POST("/api/v1/nodes/{id}/unlock", { params: { path: { id: node.id } } }));
                await afterWrite(`lock-${node.id}`);
                app.notify(`${name} is unlocked.`);
              }, { "aria-label": `Unlock ${name}`, "data-focus": `lock-${node.id}` })
            : button("Lock", async () => {
                unwrap(await api.POST("/api/v1/nodes/{id}/lock", { params: { path: { id: node.id } } }));
                await afterWrite(`lock-${node.id}`);
                app.notify(`${name} is locked: it cannot be edited, completed or deleted until unlocked.`);
              }, { "aria-label": `Lock ${name}`, "data-focus": `lock-${node.id}` }),
        );
      }
      if (!node.locked) {
        actions.append(
          button("Rename", () => {
            editing = editing === node.id ? null : node.id;
            draw(`rename-input-${node.id}`);
          }, { "aria-label": `Rename ${name}`, "data-focus": `rename-${node.id}`, "aria-expanded": editing === node.id ? "true" : "false" }),
          button("Delete", async () => {
            await app.offline.delete("node", node.id);
            await afterWrite();
            app.notify(`Deleted ${name}.`);
          }, { "aria-label": `Delete ${name}`, class: "danger" }),
        );
      }
      if (node.type === "habit" && node.version !== undefined) {
        actions.append(
          button("Schedule", () => {
            scheduling = scheduling === node.id ? null : node.id;
            draw(`schedule-${node.id}`);
          }, { "aria-label": `Schedule of ${name}`, "data-focus": `schedule-${node.id}`, "aria-expanded": scheduling === node.id ? "true" : "false" }),
        );
        const current = scheduleOf(node.id);
        if (current && scheduling !== node.id) li.append(h("p", { class: "schedule-line" }, `Schedule: ${describeSchedule(current.schedule)}`));
      }
      li.append(actions);
      if (editing === node.id && !node.locked) li.append(renameForm(node, name));
      if (scheduling === node.id) li.append(scheduleForm(node, name));
      return li;
    }

    function renameForm(node: Row, name: string): HTMLElement {
      const input = h("input", { type: "text", value: name, required: true, maxlength: "200", "data-focus": `rename-input-${node.id}` });
      return inlineForm(
        `Rename ${name}`,
        [{ label: `New title for ${name}`, input, required: "A node needs a title." }],
        async ([text = ""]) => {
          await app.offline.upsert("node", node.id, { title: text });
          editing = null;
          await afterWrite(`rename-${node.id}`);
          app.notify(navigator.onLine ? `Renamed to ${text}.` : `Renamed to ${text} on this device; it syncs when you are online.`);
        },
        "Save title",
        button("Cancel", () => {
          editing = null;
          draw(`rename-${node.id}`);
        }),
      );
    }

    function scheduleForm(node: Row, name: string): HTMLElement {
      const box = h("div", { class: "schedule", role: "group", "aria-label": `Habit schedule of ${name}` });
      const current = scheduleOf(node.id);
      const status = h("p", {}, current ? `Schedule: ${describeSchedule(current.schedule)}` : "No schedule yet: this habit is never due.");
      box.append(status);

      const frequency = h("select", { "data-focus": `frequency-${node.id}` }, ...FREQUENCIES.map(([v, l]) => h("option", { value: v }, l)));
      const weekBoxes = WEEKDAYS.map((day, i) => {
        const cb = h("input", { type: "checkbox", value: String(i + 1) });
        return { cb, el: h("label", { class: "check" }, cb, ` ${day}`) };
      });
      const week = h("fieldset", {}, h("legend", {}, "Days of the week"), ...weekBoxes.map((w) => w.el));
      const monthDays = h("input", { type: "text", inputmode: "numeric", placeholder: "1, 15" });
      const interval = h("input", { type: "number", min: "1", max: "365", value: "2" });
      const startOn = h("input", { type: "date", value: today() });
      const times = h("input", { type: "number", min: "1", max: "366", value: "3" });
      const periodDays = h("input", { type: "number", min: "1", max: "366", value: "7" });
      const target = h("input", { type: "number", min: "0", step: "any" });
      const groups: Record<HabitFrequency, HTMLElement[]> = {
        daily: [],
        weekly: [week],
        monthly: [field("Days of the month (comma separated)", monthDays)],
        every_n_days: [field("Every how many days", interval)],
        times_per_period: [field("Times per period", times), field("Period length in days", periodDays)],
      };
      const startField = field("First day", startOn);
      const all = [...Object.values(groups).flat(), startField];
      const show = () => {
        const f = frequency.value as HabitFrequency;
        for (const el of all) el.hidden = true;
        for (const el of groups[f]) el.hidden = false;
        startField.hidden = !(f === "every_n_days" || f === "times_per_period");
      };
      frequency.addEventListener("change", show);

      if (current) {
        const s = current.schedule;
        frequency.value = s.frequency;
        for (const w of weekBoxes) w.cb.checked = (s.daysOfWeek ?? []).includes(Number(w.cb.value));
        if (s.daysOfMonth) monthDays.value = s.daysOfMonth.join(", ");
        if (s.interval) interval.value = String(s.interval);
        if (s.startOn) startOn.value = s.startOn;
        if (s.times) times.value = String(s.times);
        if (s.periodDays) periodDays.value = String(s.periodDays);
        if (s.target) target.value = String(s.target);
        // The replica may lag; the server's view is the one to edit.
        void api
          .GET("/api/v1/nodes/{id}/habit-schedule", { params: { path: { id: node.id } } })
          .then(({ data }) => {
            if (data) status.textContent = `Schedule: ${describeSchedule(data.schedule)}`;
          })
          .catch(() => undefined);
      }
      show();

      const input = (): HabitScheduleInput => {
        const f = frequency.value as HabitFrequency;
        const body: HabitScheduleInput = { frequency: f };
        if (f === "weekly") body.daysOfWeek = weekBoxes.filter((w) => w.cb.checked).map((w) => Number(w.cb.value));
        if (f === "monthly")
          body.daysOfMonth = monthDays.value
            .split(/[\s,]+/)
            .filter(Boolean)
            .map(Number);
        if (f === "every_n_days") {
          body.interval = Number(interval.value);
          body.startOn = startOn.value;
        }
        if (f === "times_per_period") {
          body.times = Number(times.value);
          body.periodDays = Number(periodDays.value);
          body.startOn = startOn.value;
        }
        if (target.value) body.target = Number(target.value);
        return body;
      };

      box.append(
        field(`How often ${name} is due`, frequency),
        ...all,
        field("Target per due day (optional)", target),
        h(
          "div",
          { class: "row" },
          button(`Save schedule of ${name}`, async () => {
            const body = input();
            const problem = scheduleProblem(body);
            if (problem) {
              app.notify(problem, "error");
              return;
            }
            const saved = unwrap(await api.PUT("/api/v1/nodes/{id}/habit-schedule", { params: { path: { id: node.id } }, body }));
            await afterWrite(`schedule-${node.id}`);
            app.notify(`Schedule of ${name}: ${describeSchedule(saved.schedule)}.`);
          }),
          current
            ? button(`Remove schedule of ${name}`, async () => {
                unwrap(await api.DELETE("/api/v1/nodes/{id}/habit-schedule", { params: { path: { id: node.id } } }));
                await afterWrite(`schedule-${node.id}`);
                app.notify(`Removed the schedule of ${name}.`);
              })
            : null,
        ),
      );
      return box;
    }

    const trackTitle = h("input", { type: "text", required: true, maxlength: "200", autocomplete: "off" });
    const newTrack = inlineForm(
      "New track",
      [{ label: "Track title", input: trackTitle, required: "A track needs a title." }],
      async ([text = ""]) => {
        if (navigator.onLine) {
          unwrap(await api.POST("/api/v1/tracks", { body: { id: crypto.randomUUID(), title: text } }));
        } else {
          await app.offline.upsert("track", crypto.randomUUID(), { title: text });
        }
        trackTitle.value = "";
        await afterWrite("add-track");
        app.notify(`Added the track ${text}.`);
      },
      h("button", { type: "submit", "data-focus": "add-track" }, "Add track"),
    );

    root.replaceChildren(
      section(
        "Tracks",
        h("p", {}, "Drag a node to reorder it, or use its Up and Down buttons."),
        offlineNote,
        newTrack,
      ),
      tracksEl,
    );
    draw();
  },
};
