/**
 * Sync: what waits to be sent (the replica's queue and queued timer starts), what the
 * server refused or kept as a conflict on this device (`offline.issues()`), and the
 * account's open conflicts on the server, each with a way to resolve it.
 */
import { LifeosApiError, unwrap } from "@lifeos/sdk";
import type { Page } from "../app";
import { button, h, section } from "../ui";
import { pendingActions, syncSoon, whileConnected } from "../offline";

function describe(fields: Record<string, unknown> | null | undefined): string {
  if (!fields) return "—";
  return Object.entries(fields)
    .filter(([k]) => !["id", "version", "createdAt", "updatedAt"].includes(k))
    .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
    .join(", ");
}

const ENTITY: Record<string, string> = {
  completion: "Habit completion",
  time_entry: "Time entry",
  day_type: "Day type",
  node: "Plan item",
  track: "Track",
};

export const page: Page = {
  route: "sync",
  title: "Sync",
  async render(root, app) {
    // The two local lists redraw after every sync; the buttons stay (and keep focus).
    const pendingSummary = h("p", {});
    const pendingList = h("ul", { class: "list", "aria-label": "Pending changes", "data-testid": "pending-list" });
    const drawPending = () => {
      const pending = app.offline.pending();
      const starts = pendingActions();
      const count = pending.length + starts.length;
      pendingSummary.textContent = count === 0 ? "Everything is synced." : `${count} ${count === 1 ? "change waits" : "changes wait"} to be sent.`;
      pendingList.hidden = count === 0;
      pendingList.replaceChildren(
        ...starts.map((s) => h("li", {}, h("strong", {}, "Timer start"), ` at ${new Date(s.startedAt).toLocaleTimeString()}${s.note ? ` (${s.note})` : ""}`)),
        ...pending.map((m) =>
          h("li", {}, h("strong", {}, `${ENTITY[m.entity] ?? m.entity} ${m.op === "delete" ? "deleted" : "saved"}`), ` · ${describe(m.fields)} · ${new Date(m.clientTimestamp).toLocaleTimeString()}`),
        ),
      );
    };
    const pendingSection = section(
      "Pending changes",
      pendingSummary,
      pendingList,
      button("Sync now", async () => {
        if (!navigator.onLine) {
          app.notify("You are offline; changes are sent when the network returns.");
          return;
        }
        if (await syncSoon(app)) app.notify("Synced.");
      }),
    );

    // Issues this device met on its pushes.
    const issuesBody = h("div", {});
    const clearIssues = button("Clear this list", async () => {
      await app.offline.clearIssues();
      app.notify("Cleared.");
      drawIssues();
    });
    const drawIssues = () => {
      const issues = app.offline.issues();
      clearIssues.hidden = issues.length === 0;
      issuesBody.replaceChildren(
        issues.length === 0
          ? h("p", { class: "muted" }, "No change was refused.")
          : h(
              "ul",
              { class: "list", "aria-label": "Refused changes" },
              ...issues.map((i) =>
                h("li", {},
                  h("strong", {}, `${ENTITY[i.mutation.entity] ?? i.mutation.entity}: ${i.kind === "conflict" ? "conflict" : "refused"}`),
                  ` · ${i.result.message ?? i.result.code ?? ""} · ${describe(i.mutation.fields)}`,
                ),
              ),
            ),
      );
    };
    const issuesSection = section("Refused on this device", issuesBody, clearIssues);
    drawPending();
    drawIssues();
    whileConnected(root, () => {
      drawPending();
      drawIssues();
    });

    const serverBox = h("div", {}, h("p", { class: "muted" }, navigator.onLine ? "Loading…" : "Conflicts on the server are listed when you are online."));
    const serverSection = section("Conflicts to resolve", serverBox);
    root.replaceChildren(pendingSection, issuesSection, serverSection);

    if (!navigator.onLine) return;
    const conflicts = unwrap(await app.client.api.GET("/api/v1/sync/conflicts", { params: { query: { status: "open", limit: 100 } } }));
    if (conflicts.items.length === 0) {
      serverBox.replaceChildren(h("p", { class: "muted" }, "No open conflicts."));
      return;
    }
    serverBox.replaceChildren(
      h(
        "ul",
        { class: "list", "aria-label": "Open conflicts" },
        ...conflicts.items.map((c) => {
          const label = `${ENTITY[c.entity] ?? c.entity} ${c.entityId.slice(0, 8)}`;
          const kind =
            c.kind === "update_update" ? "Two devices changed it" : c.kind === "delete_update" ? "Deleted here, changed elsewhere" : "Changed here, deleted elsewhere";
          const resolve = (choose: "server" | "client") => async () => {
            const { error, response } = await app.client.api.POST("/api/v1/sync/conflicts/{id}/resolve", { params: { path: { id: c.id } }, body: { choose } });
            if (!response.ok) throw LifeosApiError.from(error, response);
            await syncSoon(app);
            app.notify(`${label}: kept the ${choose === "server" ? "server's" : "device's"} version.`);
            app.refresh();
          };
          return h("li", { class: "conflict", "data-testid": "conflict" },
            h("p", {}, h("strong", {}, label), ` — ${kind}, ${new Date(c.createdAt).toLocaleString()}`),
            h("dl", { class: "sides" },
              h("div", {}, h("dt", {}, "Server's version"), h("dd", {}, describe(c.serverFields as Record<string, unknown> | null))),
              h("div", {}, h("dt", {}, "Device's version"), h("dd", {}, describe(c.clientFields as Record<string, unknown> | null))),
            ),
            h("div", { class: "row" },
              button(`Keep server's version of ${label}`, resolve("server")),
              button(`Keep device's version of ${label}`, resolve("client")),
            ),
          );
        }),
      ),
    );
  },
};
