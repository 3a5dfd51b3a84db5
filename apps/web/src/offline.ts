/**
 * The sync replica in IndexedDB: a tiny `SyncStorage` adapter (one object store, a string
 * per key) and the `OfflineClient` opened per user, synced when the network returns and
 * whenever the server pokes.
 */
import { LifeosApiError, OfflineClient, type LifeosClient, type SyncStorage, type User } from "@lifeos/sdk";

const DB_NAME = "lifeos";
const STORE = "sync";

function openDb(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, 1);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(STORE)) request.result.createObjectStore(STORE);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error("IndexedDB could not be opened"));
  });
}

/** `SyncStorage` over one IndexedDB object store. */
export function indexedDbStorage(): SyncStorage & { clear(prefix: string): Promise<void> } {
  let db: Promise<IDBDatabase> | null = null;
  const database = () => (db ??= openDb());
  const run = async <T>(mode: IDBTransactionMode, fn: (store: IDBObjectStore) => IDBRequest<T> | void): Promise<T | undefined> => {
    const tx = (await database()).transaction(STORE, mode);
    const request = fn(tx.objectStore(STORE));
    return new Promise((resolve, reject) => {
      tx.oncomplete = () => resolve(request ? request.result : undefined);
      tx.onerror = () => reject(tx.error ?? new Error("IndexedDB transaction failed"));
      tx.onabort = () => reject(tx.error ?? new Error("IndexedDB transaction aborted"));
    });
  };
  return {
    async load(key) {
      const value = await run<unknown>("readonly", (s) => s.get(key));
      return typeof value === "string" ? value : null;
    },
    async save(key, value) {
      await run("readwrite", (s) => {
        s.put(value, key);
      });
    },
    async clear(prefix) {
      await run("readwrite", (s) => {
        s.delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`));
      });
    },
  };
}

export const storage = indexedDbStorage();

export function namespaceFor(user: User): string {
  return `lifeos-sync:${user.id}:`;
}

/** Opens the user's replica (IndexedDB), authenticated by the client's session. */
export async function openOffline(client: LifeosClient, user: User, onIssue: () => void): Promise<OfflineClient> {
  const offline = await OfflineClient.open({
    baseUrl: location.origin,
    auth: client,
    storage,
    namespace: namespaceFor(user),
    device: { name: `web (${navigator.userAgent.includes("Mobile") ? "mobile" : "desktop"})`, platform: "web" },
    // Offline a request fails at once; a short retry keeps the page responsive.
    retry: { attempts: 3, baseDelayMs: 300, maxDelayMs: 3_000 },
    onIssue,
  });
  // Every edit tells the subscribers at once (the nav's pending count, the Sync page).
  const upsert = offline.upsert.bind(offline);
  const remove = offline.delete.bind(offline);
  offline.upsert = async (...args) => {
    const mutation = await upsert(...args);
    announceSync();
    return mutation;
  };
  offline.delete = async (...args) => {
    const mutation = await remove(...args);
    announceSync();
    return mutation;
  };
  return offline;
}

// ---------------------------------------------------------------------------
// Timer actions. Sync takes finished time entries and edits of existing ones, but
// starting a timer is a REST action (`POST /time-entries/start`). A start made offline
// waits here (localStorage, per user) with its own Idempotency-Key, so it reaches the
// server exactly once; the real start time is then written back with a PATCH.
// ---------------------------------------------------------------------------

export interface PendingStart {
  kind: "start";
  /** The local id the page shows until the server's entry exists. */
  localId: string;
  idempotencyKey: string;
  startedAt: string;
  nodeId?: string | null;
  note?: string | null;
}

let actionsUser: string | null = null;
const listeners = new Set<() => void>();

const actionsKey = () => `lifeos:actions:${actionsUser ?? "none"}`;

export function useActionsOf(user: User): void {
  actionsUser = user.id;
}

/**
 * Calls `fn` whenever the queue or the replica may have changed (a queued start, a sync
 * done). Returns the unsubscribe; a page subscribes while its root is connected.
 */
export function onActionsChanged(fn: () => void): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

/** Tells the subscribers that a sync ran (main.ts calls it after a poke's sync). */
export function announceSync(): void {
  for (const fn of listeners) fn();
}

/** Subscribes `fn` for as long as `root` stays in the document. */
export function whileConnected(root: HTMLElement, fn: () => void): void {
  const off = onActionsChanged(() => {
    if (!root.isConnected) off();
    else fn();
  });
}

export function pendingActions(): PendingStart[] {
  if (!actionsUser) return [];
  try {
    return JSON.parse(localStorage.getItem(actionsKey()) ?? "[]") as PendingStart[];
  } catch {
    return [];
  }
}

function saveActions(actions: PendingStart[]): void {
  localStorage.setItem(actionsKey(), JSON.stringify(actions));
  for (const fn of listeners) fn();
}

export function queueStart(nodeId: string | null, note: string | null): PendingStart {
  const action: PendingStart = {
    kind: "start",
    localId: crypto.randomUUID(),
    idempotencyKey: `timer-start-${crypto.randomUUID()}`,
    startedAt: new Date().toISOString(),
    nodeId,
    note,
  };
  saveActions([...pendingActions(), action]);
  return action;
}

/** Drops a queued start (it was stopped before it reached the server). */
export function dropStart(localId: string): PendingStart | undefined {
  const actions = pendingActions();
  const found = actions.find((a) => a.localId === localId);
  saveActions(actions.filter((a) => a.localId !== localId));
  return found;
}

let flushing: Promise<void> | null = null;

/** Sends the queued starts, oldest first; stops at the first network failure. */
export function flushActions(client: LifeosClient, _offline: OfflineClient): Promise<void> {
  if (flushing) return flushing;
  // Cleared in `finally` below; the await first keeps that after this assignment even
  // when there is nothing to send.
  flushing = (async () => {
    await Promise.resolve();
    try {
      for (const action of pendingActions()) {
        const started = await client.api.POST("/api/v1/time-entries/start", {
          params: { header: { "Idempotency-Key": action.idempotencyKey } },
          body: { nodeId: action.nodeId ?? null, note: action.note ?? null },
        });
        if (!started.response.ok) {
          // Refused for good (e.g. another timer runs): it is dropped, and said so.
          saveActions(pendingActions().filter((a) => a.localId !== action.localId));
          throw LifeosApiError.from(started.error, started.response);
        }
        const entry = started.data!;
        if (Math.abs(Date.parse(entry.startedAt) - Date.parse(action.startedAt)) > 1_000) {
          const patched = await client.api.PATCH("/api/v1/time-entries/{id}", {
            params: { path: { id: entry.id } },
            body: { startedAt: action.startedAt },
          });
          if (!patched.response.ok) throw LifeosApiError.from(patched.error, patched.response);
        }
        saveActions(pendingActions().filter((a) => a.localId !== action.localId));
      }
    } finally {
      flushing = null;
    }
  })();
  return flushing;
}

/**
 * Sends the queued timer starts and syncs the replica (push, then pull). Quiet when the
 * network is down (everything stays queued); other failures are reported.
 */
export async function syncSoon(app: { client: LifeosClient; offline: OfflineClient; notify(m: string, k?: "info" | "error"): void }): Promise<boolean> {
  if (!navigator.onLine) return false;
  try {
    await flushActions(app.client, app.offline);
    await app.offline.sync();
    return true;
  } catch (err) {
    const unreachable = !(err instanceof LifeosApiError);
    if (!unreachable || navigator.onLine) {
      app.notify(err instanceof LifeosApiError ? (err.problem.detail ?? err.problem.title) : "The server cannot be reached; your changes stay queued.", "error");
    }
    return false;
  } finally {
    for (const fn of listeners) fn();
  }
}

let listener: { stop(): void } | null = null;

/** Keeps the one server-poke listener of the page (main.ts starts it after sign-in). */
export function keepListener(l: { stop(): void }): void {
  listener?.stop();
  listener = l;
}

/** Stops listening for pokes (before signing out, so no request races the revoked session). */
export function stopListener(): void {
  listener?.stop();
  listener = null;
}
