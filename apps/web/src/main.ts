/**
 * The app's entry: the session, the sync replica, the nav with its online indicator and
 * pending badge, the status region, and the hash router (`#/now` by default) over every
 * page module in ./pages.
 */
import "./styles.css";
import { LifeosApiError, unwrap, type User } from "@lifeos/sdk";
import type { App, Page } from "./app";
import { h, problemText, setNotifier } from "./ui";
import { cachedUser, onSessionLost, rememberUser, sessionClient } from "./session";
import { announceSync, keepListener, onActionsChanged, openOffline, pendingActions, stopListener, syncSoon, useActionsOf } from "./offline";
import { renderSignedOut } from "./pages/account";

const ORDER = ["now", "plan", "log", "stats", "brake", "account", "sync"];
const modules = import.meta.glob<{ page?: Page }>("./pages/*.ts", { eager: true });
const pages: Page[] = Object.values(modules)
  .map((m) => m.page)
  .filter((p): p is Page => !!p && typeof p.route === "string")
  .sort((a, b) => rank(a.route) - rank(b.route));

function rank(route: string): number {
  const i = ORDER.indexOf(route);
  return i < 0 ? ORDER.length : i;
}

const main = document.getElementById("main") as HTMLElement;
const nav = document.getElementById("nav") as HTMLElement;
const status = document.getElementById("status") as HTMLElement;
const net = document.getElementById("net") as HTMLElement;
const pendingBadge = document.getElementById("pending") as HTMLAnchorElement;

let statusTimer: ReturnType<typeof setTimeout> | undefined;
function notify(message: string, kind: "info" | "error" = "info"): void {
  clearTimeout(statusTimer);
  status.textContent = "";
  status.className = `status ${kind}`;
  // A fresh text node so screen readers announce the same message twice.
  status.append(document.createTextNode(message));
  if (kind === "info") statusTimer = setTimeout(() => (status.textContent = ""), 8_000);
}
setNotifier(notify);

function currentRoute(): string {
  const name = location.hash.replace(/^#\/?/, "").split(/[/?]/)[0] || "now";
  return pages.some((p) => p.route === name) ? name : "now";
}

/** The nav is built once and only its `aria-current` moves, so a focused link keeps focus. */
function renderNav(active: string | null): void {
  if (!nav.querySelector("ul")) {
    nav.replaceChildren(
      h("ul", {}, ...pages.map((p) => h("li", {}, h("a", { href: `#/${p.route}`, "data-route": p.route }, p.title)))),
    );
  }
  for (const link of nav.querySelectorAll<HTMLAnchorElement>("a[data-route]")) {
    if (link.dataset.route === active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

let app: App | null = null;
let renderSeq = 0;

async function render(): Promise<void> {
  const seq = ++renderSeq;
  if (!app) return;
  const route = currentRoute();
  const page = pages.find((p) => p.route === route);
  renderNav(route);
  if (!page) return;
  document.title = `${page.title} · lifeos`;
  const root = h("div", { class: `page page-${page.route}` });
  const wrapper = h("div", {}, h("h1", {}, page.title), root);
  main.replaceChildren(wrapper);
  document.body.dataset.route = page.route;
  try {
    await page.render(root, app);
  } catch (err) {
    if (seq === renderSeq) notify(problemText(err), "error");
  }
}

function updateIndicators(): void {
  const online = navigator.onLine;
  net.textContent = online ? "Online" : "Offline";
  net.className = `net ${online ? "online" : "offline"}`;
  const count = (app?.offline.pending().length ?? 0) + pendingActions().length;
  const issues = app?.offline.issues().length ?? 0;
  pendingBadge.textContent = `${count} pending${issues ? `, ${issues} to review` : ""}`;
  pendingBadge.className = `pending${count ? " has-pending" : ""}${issues ? " has-issues" : ""}`;
  pendingBadge.hidden = !app;
}

/**
 * Whether the page may re-render by itself (after a sync brought changes): only while
 * nothing has focus, so a person tabbing or typing never loses their place.
 */
function idle(): boolean {
  const active = document.activeElement;
  return !active || active === document.body || active === main;
}

async function start(user: User): Promise<void> {
  const client = sessionClient();
  rememberUser(user);
  useActionsOf(user);
  const offline = await openOffline(client, user, () => {
    updateIndicators();
    notify("A change could not be synced: see Sync.", "error");
  });
  app = {
    client,
    offline,
    user,
    notify,
    refresh: () => void render(),
    navigate: (route: string) => {
      const target = `#/${route.replace(/^#?\/?/, "")}`;
      if (location.hash === target) void render();
      else location.hash = target;
    },
  };
  updateIndicators();
  await render();
  const synced = await syncSoon(app);
  if (synced && idle()) await render();
  keepListener(offline.listen({
    onSync: (_push, pull) => {
      announceSync();
      if (pull.changes > 0 && idle()) void render();
    },
    onError: () => undefined, // reconnects by itself; the indicator tells the state
  }));
}

function signedOut(message?: string): void {
  stopListener();
  app = null;
  nav.replaceChildren();
  updateIndicators();
  document.title = "Sign in · lifeos";
  document.body.dataset.route = "signin";
  main.replaceChildren();
  renderSignedOut(main, {
    client: sessionClient(),
    notify,
    signedIn: (user) => {
      if (!location.hash || location.hash === "#/account") location.hash = "#/now";
      void start(user);
    },
  });
  if (message) notify(message);
}

async function boot(): Promise<void> {
  // The skip link moves focus without touching the hash (the router owns it).
  document.querySelector("a.skip")?.addEventListener("click", (e) => {
    e.preventDefault();
    main.focus();
  });
  window.addEventListener("hashchange", () => void render());
  window.addEventListener("online", () => {
    updateIndicators();
    if (app) void syncSoon(app).then((ok) => (ok && idle() ? render() : undefined));
  });
  window.addEventListener("offline", updateIndicators);
  onActionsChanged(updateIndicators);
  setInterval(updateIndicators, 1_000);
  // A push that failed while the network flickered is retried without waiting for a poke.
  setInterval(() => {
    if (app && navigator.onLine && (app.offline.pending().length > 0 || pendingActions().length > 0)) void syncSoon(app);
  }, 15_000);
  onSessionLost(() => signedOut("Your session ended; please sign in again."));
  updateIndicators();

  if (import.meta.env.PROD && "serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js").catch((err) => notify(`Offline mode is unavailable: ${problemText(err)}`, "error"));
  }

  const client = sessionClient();
  if (!client.tokens()) return signedOut();
  try {
    const user = unwrap(await client.api.GET("/api/v1/me"));
    await start(user);
  } catch (err) {
    if (err instanceof LifeosApiError && err.status === 401) return signedOut("Your session ended; please sign in again.");
    const user = cachedUser();
    if (user) return start(user);
    signedOut(problemText(err));
  }
}

void boot();
