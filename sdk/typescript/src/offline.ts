/**
 * A small offline-first client for lifeos sync (`/api/v1/sync/*`, ADR 0016).
 *
 * The app edits a local replica (`upsert`, `delete`); each edit is applied to the replica
 * at once and queued as a mutation in pluggable storage. `push()` sends the queue,
 * `pull()` brings the server's changes, `sync()` does both, and `listen()` syncs whenever
 * the server pokes. The server is the source of truth: after a pull the replica is the
 * server's state with the still-unpushed edits re-applied on top.
 *
 * The wire types below mirror the server's (crates/sync/src/push/mod.rs, pull/mod.rs) on
 * purpose, so this module does not depend on the generated `schema.d.ts`.
 */
import { LifeosApiError, type Problem, type Tokens } from "./index.js";

// ---------------------------------------------------------------------------
// Wire format
// ---------------------------------------------------------------------------

/** A JSON object: a row in the REST API's form, or the fields of an upsert. */
export type Fields = Record<string, unknown>;

export type Op = "upsert" | "delete";

export interface Mutation {
  /** Increases by one per device, from 1. */
  mutationId: number;
  /** An entity name from `GET /api/v1/sync/entities` (`day_type`, `document`...). */
  entity: string;
  entityId: string;
  op: Op;
  /** For an upsert: the REST create body (new row) or patch body (existing row), without `id`. */
  fields?: Fields;
  /** The row's version this device last saw; absent for a row it created (or a blind write). */
  baseVersion?: number;
  /** When the device made the change, by its own clock (RFC 3339). */
  clientTimestamp: string;
}

export interface PushRequest {
  deviceId: string;
  mutations: Mutation[];
}

export type MutationStatus = "applied" | "duplicate" | "rejected" | "conflict";

export interface MutationResult {
  mutationId: number;
  status: MutationStatus;
  version?: number;
  code?: string;
  message?: string;
  conflictId?: string;
}

export interface PushResponse {
  results: MutationResult[];
  lastMutationId: number;
  latestVersion: number;
  serverTime: string;
  clockSkewSeconds?: number;
}

export interface PullRequest {
  cursor?: string;
  limit?: number;
  entities?: string[];
}

export interface Change {
  entity: string;
  entityId: string;
  op: Op;
  version: number;
  /** The row in the REST API's form; null for a delete. */
  data: Fields | null;
}

export interface PullResponse {
  changes: Change[];
  cursor: string;
  hasMore: boolean;
  lastMutationIds: Record<string, number>;
  serverTime: string;
}

/** The most mutations the server takes in one push. */
export const MAX_PUSH_BATCH = 500;

// ---------------------------------------------------------------------------
// Storage
// ---------------------------------------------------------------------------

/**
 * Where the client keeps its state: a string per key. Writes are issued one at a time, in
 * order, so an adapter need not order them itself.
 *
 * - `MemoryStorage` (below): tests, or a replica that may be lost with the process.
 * - `localStorage`/`sessionStorage`: `webStorage(window.localStorage)` (synchronous, ~5 MiB).
 * - IndexedDB: put each key in one object store, e.g. with idb-keyval:
 *   `{ load: async (k) => (await get(k)) ?? null, save: (k, v) => set(k, v) }`.
 * - React Native / Capacitor: AsyncStorage / Preferences have the same shape.
 */
export interface SyncStorage {
  load(key: string): Promise<string | null>;
  save(key: string, value: string): Promise<void>;
}

export class MemoryStorage implements SyncStorage {
  readonly entries = new Map<string, string>();

  async load(key: string): Promise<string | null> {
    return this.entries.get(key) ?? null;
  }

  async save(key: string, value: string): Promise<void> {
    this.entries.set(key, value);
  }
}

/** A `SyncStorage` over the Web Storage API (`localStorage`, `sessionStorage`). */
export function webStorage(store: {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}): SyncStorage {
  return {
    load: async (key) => store.getItem(key),
    save: async (key, value) => store.setItem(key, value),
  };
}

/** The storage keys, after the client's `namespace` prefix. */
export const STORAGE_KEYS = {
  /** `{ id, registered }` */
  device: "device",
  /** The next mutation id, saved before a mutation that uses it is queued. */
  nextMutationId: "next-mutation-id",
  /** The pending mutations, oldest first. */
  queue: "queue",
  /** `{ cursor, knownVersion, rows }`: the server state as of the cursor. */
  replica: "replica",
  /** Rejected mutations and conflicts not yet cleared by the app. */
  issues: "issues",
} as const;

// ---------------------------------------------------------------------------
// Options and results
// ---------------------------------------------------------------------------

/** Headers to authenticate with, e.g. `{ Authorization: "Bearer ..." }` or `{ "X-API-Key": ... }`. */
export type AuthHeaders = () => Record<string, string> | Promise<Record<string, string>>;

/** A session holder such as `createLifeosClient(...)`: its bearer is sent, a 401 refreshes once. */
export interface SessionAuth {
  tokens(): Tokens | null;
  refresh?(): Promise<unknown>;
}

export interface RetryOptions {
  /** Attempts per request, the first included (default 5). */
  attempts: number;
  /** The delay before the first retry; doubled each time (default 250 ms). */
  baseDelayMs: number;
  /** The longest delay (default 10 s). */
  maxDelayMs: number;
}

/** How an upsert's fields change a row in the replica before the server answers. */
export type MergeRule = (current: Fields | undefined, fields: Fields, id: string) => Fields;

export interface OfflineClientOptions {
  /** Origin of the server, e.g. `http://127.0.0.1:8080`. */
  baseUrl: string;
  auth: SessionAuth | AuthHeaders;
  storage?: SyncStorage;
  /** Prefix of every storage key (one per user and device; default `lifeos-sync:`). */
  namespace?: string;
  /** How the device registers itself (default `{ name: "offline client", platform: "other" }`). */
  device?: { name: string; platform: string };
  fetch?: typeof globalThis.fetch;
  /** Mutations per push, at most 500 (default 500). */
  batchSize?: number;
  /** Changes per pull page (default: the server's, 500). */
  pullLimit?: number;
  /** Pull only these entities (default all). */
  entities?: string[];
  retry?: Partial<RetryOptions>;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Optimistic merge per entity; the defaults: `document` merges `data` per field, others shallowly. */
  merge?: Record<string, MergeRule>;
  /** Called once for each rejected mutation and each conflict, after it is saved in `issues()`. */
  onIssue?: (issue: SyncIssue) => void;
  /** Clock for `clientTimestamp` (default `new Date()`). */
  now?: () => Date;
}

/** A mutation the server refused (`rejected`) or kept a conflict for (`conflict`). */
export interface SyncIssue {
  kind: "rejected" | "conflict";
  mutation: Mutation;
  result: MutationResult;
  serverTime: string;
}

export interface PushSummary {
  /** Every result the server answered, in order (a retried batch answers `duplicate`). */
  results: MutationResult[];
  /** The rejected mutations and conflicts among them. */
  issues: SyncIssue[];
  /** The answer's `latestVersion` (null when nothing was pending). */
  latestVersion: number | null;
  /** Set when the device's clock is more than 5 minutes off. */
  clockSkewSeconds?: number;
}

export interface PullSummary {
  /** Changes applied to the replica. */
  changes: number;
  pages: number;
  /** Whether the pull started from the full state (first pull, or an expired cursor). */
  full: boolean;
}

/** Thrown when the server cannot be reached (after the retries). */
export class SyncUnavailableError extends Error {
  override readonly cause: unknown;
  constructor(message: string, cause: unknown) {
    super(message);
    this.name = "SyncUnavailableError";
    this.cause = cause;
  }
}

export interface Listener {
  /** Stops listening (and aborts the open stream). */
  stop(): void;
}

export interface ListenOptions {
  /** Errors of the stream or of the syncs it triggers (the stream reconnects by itself). */
  onError?: (error: unknown) => void;
  /** Called after each sync a poke triggered. */
  onSync?: (push: PushSummary, pull: PullSummary) => void;
}

// ---------------------------------------------------------------------------
// Internal state
// ---------------------------------------------------------------------------

interface QueuedMutation {
  mutation: Mutation;
  /**
   * The base version was taken from the replica (not given by the app): when an earlier
   * mutation of this device on the same row is applied, this one's base follows it, so a
   * device's own edits never conflict with each other.
   */
  chained: boolean;
}

interface Row {
  version: number | null;
  data: Fields;
}

type Rows = Record<string, Record<string, Row>>;

interface ReplicaState {
  cursor: string | null;
  knownVersion: number;
  rows: Rows;
}

interface DeviceState {
  id: string;
  registered: boolean;
}

const DEFAULT_RETRY: RetryOptions = { attempts: 5, baseDelayMs: 250, maxDelayMs: 10_000 };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const rowKey = (entity: string, id: string) => `${entity}\u0000${id}`;

/** `document`: `key` replaced when given, `data` merged per top-level field, `null` removes one. */
export const mergeDocument: MergeRule = (current, fields, id) => {
  const data: Fields = { ...((current?.data as Fields | undefined) ?? {}) };
  for (const [name, value] of Object.entries((fields.data as Fields | undefined) ?? {})) {
    if (value === null) delete data[name];
    else data[name] = value;
  }
  const key = fields.key ?? current?.key;
  return { ...(current ?? {}), id, ...(key === undefined ? {} : { key }), data };
};

/** Every other entity: the fields replace the row's members of the same name. */
export const mergeShallow: MergeRule = (current, fields, id) => ({ ...(current ?? {}), ...fields, id });

// ---------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------

export class OfflineClient {
  private readonly opts: OfflineClientOptions;
  private readonly storage: SyncStorage;
  private readonly prefix: string;
  private readonly fetchImpl: typeof globalThis.fetch;
  private readonly retry: RetryOptions;
  private readonly batchSize: number;

  private device: DeviceState;
  private nextMutationId: number;
  private queue: QueuedMutation[];
  private replica: ReplicaState;
  private issueList: SyncIssue[];
  /** The replica as the app sees it: server rows with the queue applied on top. */
  private view = new Map<string, Map<string, Fields>>();

  /** Serialises push/pull/sync/register. */
  private busy: Promise<unknown> = Promise.resolve();
  /** Serialises storage writes, so the last one issued is the last one stored. */
  private writes: Promise<void> = Promise.resolve();

  private constructor(
    opts: OfflineClientOptions,
    state: {
      device: DeviceState;
      nextMutationId: number;
      queue: QueuedMutation[];
      replica: ReplicaState;
      issues: SyncIssue[];
    },
  ) {
    this.opts = opts;
    this.storage = opts.storage ?? new MemoryStorage();
    this.prefix = opts.namespace ?? "lifeos-sync:";
    this.fetchImpl = opts.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.batchSize = Math.max(1, Math.min(MAX_PUSH_BATCH, opts.batchSize ?? MAX_PUSH_BATCH));
    this.device = state.device;
    this.nextMutationId = state.nextMutationId;
    this.queue = state.queue;
    this.replica = state.replica;
    this.issueList = state.issues;
    this.rebuildView();
  }

  /** Loads the client's state from storage (a fresh device gets an id, saved at once). */
  static async open(opts: OfflineClientOptions): Promise<OfflineClient> {
    const storage = opts.storage ?? new MemoryStorage();
    const prefix = opts.namespace ?? "lifeos-sync:";
    const read = async <T>(key: string): Promise<T | null> => {
      const text = await storage.load(prefix + key);
      return text === null ? null : (JSON.parse(text) as T);
    };
    let device = await read<DeviceState>(STORAGE_KEYS.device);
    if (!device) {
      // The id is chosen here, so the device can queue (and name itself) before it is online.
      device = { id: globalThis.crypto.randomUUID(), registered: false };
      await storage.save(prefix + STORAGE_KEYS.device, JSON.stringify(device));
    }
    return new OfflineClient(
      { ...opts, storage },
      {
        device,
        nextMutationId: (await read<number>(STORAGE_KEYS.nextMutationId)) ?? 1,
        queue: (await read<QueuedMutation[]>(STORAGE_KEYS.queue)) ?? [],
        replica: (await read<ReplicaState>(STORAGE_KEYS.replica)) ?? {
          cursor: null,
          knownVersion: 0,
          rows: {},
        },
        issues: (await read<SyncIssue[]>(STORAGE_KEYS.issues)) ?? [],
      },
    );
  }

  // -- reading the replica ---------------------------------------------------

  get deviceId(): string {
    return this.device.id;
  }

  /** The row as the app should show it (server state plus pending edits), or undefined. */
  get(entity: string, id: string): Fields | undefined {
    return this.view.get(entity)?.get(id);
  }

  /** Every row of the entity, sorted by id (so two replicas compare equal). */
  all(entity: string): Fields[] {
    const rows = this.view.get(entity);
    if (!rows) return [];
    return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
  }

  /** The entities the replica holds rows of. */
  entities(): string[] {
    return [...this.view.entries()].filter(([, rows]) => rows.size > 0).map(([name]) => name).sort();
  }

  /** The server version of the row as last pulled (or pushed), or undefined. */
  version(entity: string, id: string): number | undefined {
    return this.replica.rows[entity]?.[id]?.version ?? undefined;
  }

  /** The mutations not yet acknowledged by the server, oldest first. */
  pending(): Mutation[] {
    return this.queue.map((q) => ({ ...q.mutation }));
  }

  /** The highest user version this client knows the server reached. */
  get knownVersion(): number {
    return this.replica.knownVersion;
  }

  /** Rejected mutations and conflicts, oldest first, until `clearIssues()`. */
  issues(): SyncIssue[] {
    return [...this.issueList];
  }

  async clearIssues(): Promise<void> {
    this.issueList = [];
    await this.persist(STORAGE_KEYS.issues, this.issueList);
  }

  // -- editing ---------------------------------------------------------------

  /**
   * Creates or updates a row: `fields` are the REST create body for a new row, or a patch
   * body for an existing one (camelCase, without `id`). The replica shows the change at
   * once. `baseVersion`: omitted -> the version this replica holds (conflict detection);
   * `null` -> none (a blind write); a number -> that one.
   */
  async upsert(entity: string, id: string, fields: Fields, baseVersion?: number | null): Promise<Mutation> {
    return this.enqueue(entity, id, "upsert", fields, baseVersion);
  }

  /** Deletes a row (the domain's cascades follow on the server). */
  async delete(entity: string, id: string, baseVersion?: number | null): Promise<Mutation> {
    return this.enqueue(entity, id, "delete", undefined, baseVersion);
  }

  private async enqueue(
    entity: string,
    entityId: string,
    op: Op,
    fields: Fields | undefined,
    baseVersion: number | null | undefined,
  ): Promise<Mutation> {
    // The id is saved before the mutation is: a crash in between leaves a gap (closed at
    // the next push), never an id used twice (which the server would call a duplicate).
    const mutationId = this.nextMutationId++;
    const saved = this.persist(STORAGE_KEYS.nextMutationId, this.nextMutationId);
    const chained = baseVersion === undefined;
    const base = chained ? this.seenVersion(entity, entityId) : (baseVersion ?? undefined);
    const mutation: Mutation = {
      mutationId,
      entity,
      entityId,
      op,
      // A copy: the app may go on changing its object.
      ...(fields === undefined ? {} : { fields: structuredClone(fields) }),
      ...(base === undefined ? {} : { baseVersion: base }),
      clientTimestamp: (this.opts.now?.() ?? new Date()).toISOString(),
    };
    await saved;
    const queued: QueuedMutation = { mutation, chained };
    this.queue.push(queued);
    this.applyToView(mutation);
    await this.persist(STORAGE_KEYS.queue, this.queue);
    return { ...mutation };
  }

  /** The version the app's view of the row is based on: the pending edits' base, else the replica's. */
  private seenVersion(entity: string, id: string): number | undefined {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const m = this.queue[i]!.mutation;
      if (m.entity === entity && m.entityId === id) return m.baseVersion;
    }
    return this.replica.rows[entity]?.[id]?.version ?? undefined;
  }

  // -- network ---------------------------------------------------------------

  /** `POST /api/v1/devices` with this device's id, once (remembered in storage). */
  register(): Promise<void> {
    return this.exclusive(() => this.registerNow());
  }

  /** Sends the queue in batches; see `PushSummary`. Registers the device first if needed. */
  push(): Promise<PushSummary> {
    return this.exclusive(() => this.pushNow());
  }

  /** Pulls every page of changes after the saved cursor (a full pull the first time). */
  pull(): Promise<PullSummary> {
    return this.exclusive(() => this.pullNow());
  }

  /** Push, then pull. */
  sync(): Promise<{ push: PushSummary; pull: PullSummary }> {
    return this.exclusive(async () => {
      const push = await this.pushNow();
      const pull = await this.pullNow();
      return { push, pull };
    });
  }

  /**
   * Listens to `GET /api/v1/sync/events` and syncs whenever the server's version passes
   * the one this client knows. Reconnects (with backoff) until `stop()`. Uses a streaming
   * fetch rather than EventSource, which cannot send the bearer header.
   */
  listen(options: ListenOptions = {}): Listener {
    const abort = new AbortController();
    let syncing = false;
    let again = false;
    const trigger = async (): Promise<void> => {
      if (syncing) {
        again = true;
        return;
      }
      syncing = true;
      try {
        do {
          again = false;
          const { push, pull } = await this.sync();
          options.onSync?.(push, pull);
        } while (again && !abort.signal.aborted);
      } catch (err) {
        options.onError?.(err);
      } finally {
        syncing = false;
      }
    };
    const onPoke = (version: number) => {
      if (version > this.replica.knownVersion) void trigger();
    };
    void this.listenLoop(abort.signal, onPoke, options.onError);
    return { stop: () => abort.abort() };
  }

  private async listenLoop(
    signal: AbortSignal,
    onPoke: (version: number) => void,
    onError: ((error: unknown) => void) | undefined,
  ): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      try {
        const response = await this.send("GET", "/api/v1/sync/events", undefined, signal, {
          Accept: "text/event-stream",
        });
        if (!response.ok) throw await problemError(response);
        failures = 0;
        await readEvents(response, signal, (event, data) => {
          if (event !== "poke") return;
          const version = (JSON.parse(data) as { version?: unknown }).version;
          if (typeof version === "number") onPoke(version);
        });
      } catch (err) {
        if (signal.aborted) return;
        onError?.(err);
        failures++;
      }
      if (signal.aborted) return;
      await sleep(this.backoff(Math.max(failures, 1)));
    }
  }

  // -- register / push / pull ------------------------------------------------

  private async registerNow(): Promise<void> {
    if (this.device.registered) return;
    const device = this.opts.device ?? { name: "offline client", platform: "other" };
    const response = await this.request("POST", "/api/v1/devices", { id: this.device.id, ...device });
    if (response.status === 409) {
      // The id is taken: by this device when an earlier answer was lost, else a real clash.
      await response.body?.cancel();
      const listed = await this.request("GET", "/api/v1/devices");
      if (!listed.ok) throw await problemError(listed);
      const body = (await listed.json()) as { items?: Array<{ id: string }> } | Array<{ id: string }>;
      const items = Array.isArray(body) ? body : (body.items ?? []);
      if (!items.some((d) => d.id === this.device.id)) throw await problemError(response);
    } else if (!response.ok) {
      throw await problemError(response);
    } else {
      await response.body?.cancel();
    }
    this.device = { ...this.device, registered: true };
    await this.persist(STORAGE_KEYS.device, this.device);
  }

  private async pushNow(): Promise<PushSummary> {
    const summary: PushSummary = { results: [], issues: [], latestVersion: null };
    if (this.queue.length === 0) return summary;
    await this.registerNow();
    await this.closeGaps();
    let gapRetries = 0;
    while (this.queue.length > 0) {
      const batch = this.queue.slice(0, this.batchSize);
      const body: PushRequest = { deviceId: this.device.id, mutations: wireBatch(batch) };
      const response = await this.request("POST", "/api/v1/sync/push", body);
      if (response.status === 409) {
        const problem = await problemError(response);
        const expected = problem.problem.expectedMutationId;
        if (problem.code !== "mutation_gap" || typeof expected !== "number" || gapRetries++ > 2) throw problem;
        await this.renumberFrom(expected);
        continue;
      }
      if (!response.ok) throw await problemError(response);
      const answer = (await response.json()) as PushResponse;
      await this.acknowledge(batch, answer, summary);
    }
    return summary;
  }

  /** Ids in the queue run without holes (a crash between saving an id and its mutation leaves one). */
  private async closeGaps(): Promise<void> {
    let changed = false;
    for (let i = 1; i < this.queue.length; i++) {
      const expected = this.queue[i - 1]!.mutation.mutationId + 1;
      // Never sent: a batch with a hole is refused as a whole, so these ids are unused.
      if (this.queue[i]!.mutation.mutationId !== expected) {
        this.queue[i]!.mutation.mutationId = expected;
        changed = true;
      }
    }
    if (changed) await this.persist(STORAGE_KEYS.queue, this.queue);
  }

  /** The server expects `expected` next and has seen nothing from it on: shift the queue down. */
  private async renumberFrom(expected: number): Promise<void> {
    this.queue.forEach((q, i) => {
      q.mutation.mutationId = expected + i;
    });
    // nextMutationId only grows: an edit may hold a higher id already.
    await this.persist(STORAGE_KEYS.queue, this.queue);
  }

  private async acknowledge(batch: QueuedMutation[], answer: PushResponse, summary: PushSummary): Promise<void> {
    const byId = new Map(batch.map((q) => [q.mutation.mutationId, q]));
    const acknowledged = new Set<number>();
    const issues: SyncIssue[] = [];
    for (const result of answer.results) {
      const queued = byId.get(result.mutationId);
      if (!queued) continue;
      acknowledged.add(result.mutationId);
      summary.results.push(result);
      const { mutation } = queued;
      // A duplicate is a mutation whose first answer never arrived: its conflict is news.
      const kind =
        result.status === "rejected" || result.status === "conflict"
          ? result.status
          : result.status === "duplicate" && result.conflictId !== undefined
            ? "conflict"
            : null;
      if (kind) issues.push({ kind, mutation: { ...mutation }, result, serverTime: answer.serverTime });
      if (result.status === "applied") this.applyToRows(mutation, result.version);
      if (result.version !== undefined && result.status !== "rejected") {
        this.chainBases(mutation, result.version);
      }
    }
    this.replica.knownVersion = Math.max(this.replica.knownVersion, answer.latestVersion);
    summary.latestVersion = answer.latestVersion;
    if (answer.clockSkewSeconds !== undefined) summary.clockSkewSeconds = answer.clockSkewSeconds;
    // Whatever the server has processed is acknowledged even if its result is missing.
    for (const q of batch) if (q.mutation.mutationId <= answer.lastMutationId) acknowledged.add(q.mutation.mutationId);
    if (acknowledged.size === 0) {
      throw new Error(`push: the server acknowledged none of mutations ${batch[0]?.mutation.mutationId}..`);
    }
    // Issues are saved before their mutations leave the queue, so none is lost in a crash.
    if (issues.length > 0) {
      this.issueList.push(...issues);
      summary.issues.push(...issues);
      await this.persist(STORAGE_KEYS.issues, this.issueList);
    }
    this.queue = this.queue.filter((q) => !acknowledged.has(q.mutation.mutationId));
    await this.persist(STORAGE_KEYS.replica, this.replica);
    await this.persist(STORAGE_KEYS.queue, this.queue);
    this.rebuildView();
    for (const issue of issues) this.opts.onIssue?.(issue);
  }

  /** Later mutations of the row that took their base from the replica now build on `version`. */
  private chainBases(done: Mutation, version: number): void {
    for (const q of this.queue) {
      const m = q.mutation;
      if (q.chained && m.mutationId > done.mutationId && m.entity === done.entity && m.entityId === done.entityId) {
        m.baseVersion = version;
      }
    }
  }

  private async pullNow(): Promise<PullSummary> {
    let cursor = this.replica.cursor;
    // A full pull builds a fresh replica: it lists live rows only, so rows deleted
    // meanwhile would otherwise linger.
    let fresh: Rows | null = cursor === null ? {} : null;
    const summary: PullSummary = { changes: 0, pages: 0, full: fresh !== null };
    let knownVersion = this.replica.knownVersion;
    for (;;) {
      const body: PullRequest = {
        ...(cursor === null ? {} : { cursor }),
        ...(this.opts.pullLimit === undefined ? {} : { limit: this.opts.pullLimit }),
        ...(this.opts.entities === undefined ? {} : { entities: this.opts.entities }),
      };
      const response = await this.request("POST", "/api/v1/sync/pull", body);
      if (response.status === 410 && fresh === null) {
        const problem = await problemError(response);
        if (problem.code !== "cursor_expired") throw problem;
        // Tombstones past the horizon are gone: start again from the full state.
        cursor = null;
        fresh = {};
        summary.full = true;
        continue;
      }
      if (!response.ok) throw await problemError(response);
      const page = (await response.json()) as PullResponse;
      summary.pages++;
      summary.changes += page.changes.length;
      const rows = fresh ?? this.replica.rows;
      for (const change of page.changes) {
        applyChange(rows, change);
        knownVersion = Math.max(knownVersion, change.version);
      }
      cursor = page.cursor;
      if (fresh === null) {
        // Each page is a consistent step: save it with its cursor.
        this.replica = { cursor, knownVersion, rows };
        await this.persist(STORAGE_KEYS.replica, this.replica);
      }
      if (!page.hasMore) break;
    }
    if (fresh !== null) {
      this.replica = { cursor, knownVersion, rows: fresh };
      await this.persist(STORAGE_KEYS.replica, this.replica);
    }
    this.rebuildView();
    return summary;
  }

  // -- the replica -------------------------------------------------------------

  private mergeRule(entity: string): MergeRule {
    return this.opts.merge?.[entity] ?? (entity === "document" ? mergeDocument : mergeShallow);
  }

  private applyToRows(mutation: Mutation, version: number | undefined): void {
    const rows = (this.replica.rows[mutation.entity] ??= {});
    if (mutation.op === "delete") {
      delete rows[mutation.entityId];
      return;
    }
    const current = rows[mutation.entityId];
    const data = this.mergeRule(mutation.entity)(current?.data, mutation.fields ?? {}, mutation.entityId);
    rows[mutation.entityId] = { version: version ?? current?.version ?? null, data };
  }

  private applyToView(mutation: Mutation): void {
    let rows = this.view.get(mutation.entity);
    if (!rows) {
      rows = new Map();
      this.view.set(mutation.entity, rows);
    }
    if (mutation.op === "delete") {
      rows.delete(mutation.entityId);
      return;
    }
    const current = rows.get(mutation.entityId);
    rows.set(mutation.entityId, this.mergeRule(mutation.entity)(current, mutation.fields ?? {}, mutation.entityId));
  }

  /** Server rows, then every pending edit on top, so an unpushed edit stays in view. */
  private rebuildView(): void {
    this.view = new Map();
    for (const [entity, rows] of Object.entries(this.replica.rows)) {
      this.view.set(entity, new Map(Object.entries(rows).map(([id, row]) => [id, structuredClone(row.data)])));
    }
    for (const q of this.queue) this.applyToView(q.mutation);
  }

  // -- plumbing --------------------------------------------------------------

  private exclusive<T>(task: () => Promise<T>): Promise<T> {
    const run = this.busy.then(task, task);
    this.busy = run.catch(() => undefined);
    return run;
  }

  private persist(key: string, value: unknown): Promise<void> {
    // Serialised now, so a later change to `value` cannot leak into this write.
    const text = JSON.stringify(value);
    const write = this.writes.then(() => this.storage.save(this.prefix + key, text));
    this.writes = write.catch(() => undefined);
    return write;
  }

  private backoff(attempt: number): number {
    const delay = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return delay / 2 + Math.random() * (delay / 2);
  }

  /**
   * One request, retried with backoff on network errors and 5xx answers. Every sync
   * request may be repeated safely: push is idempotent by mutation id, pull by cursor.
   */
  private async request(method: string, path: string, body?: unknown): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) await sleep(this.backoff(attempt - 1));
      try {
        const signal = AbortSignal.timeout(this.opts.timeoutMs ?? 30_000);
        const response = await this.send(method, path, body, signal);
        if (response.status < 500 || attempt === this.retry.attempts) return response;
        lastError = new Error(`${method} ${path}: HTTP ${response.status}`);
        await response.body?.cancel();
      } catch (err) {
        lastError = err;
      }
    }
    throw new SyncUnavailableError(`${method} ${path}: the server could not be reached`, lastError);
  }

  /** One attempt, with the auth headers; a 401 with a session refreshes it once. */
  private async send(
    method: string,
    path: string,
    body: unknown,
    signal: AbortSignal,
    extraHeaders: Record<string, string> = {},
  ): Promise<Response> {
    const attempt = async (): Promise<Response> => {
      const headers: Record<string, string> = { ...extraHeaders, ...(await this.authHeaders()) };
      if (body !== undefined) headers["Content-Type"] = "application/json";
      return this.fetchImpl(`${this.opts.baseUrl}${path}`, {
        method,
        headers,
        signal,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    };
    const response = await attempt();
    const auth = this.opts.auth;
    if (response.status !== 401 || typeof auth === "function" || !auth.refresh) return response;
    await response.body?.cancel();
    try {
      await auth.refresh();
    } catch {
      return attempt(); // answers the 401 again (the session is gone)
    }
    return attempt();
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const auth = this.opts.auth;
    if (typeof auth === "function") return auth();
    const tokens = auth.tokens();
    return tokens ? { Authorization: `Bearer ${tokens.accessToken}` } : {};
  }
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/**
 * The batch as sent: a chained mutation whose row an earlier one in the same batch
 * touches goes without a base version. The push holds the user's lock, so nothing comes
 * between the two, and the earlier one's new version is exactly what this one builds on.
 */
function wireBatch(batch: QueuedMutation[]): Mutation[] {
  const touched = new Set<string>();
  return batch.map(({ mutation, chained }) => {
    const key = rowKey(mutation.entity, mutation.entityId);
    const wire = { ...mutation };
    if (chained && touched.has(key)) delete wire.baseVersion;
    touched.add(key);
    return wire;
  });
}

function applyChange(rows: Rows, change: Change): void {
  const entityRows = (rows[change.entity] ??= {});
  if (change.op === "delete" || change.data === null) {
    delete entityRows[change.entityId];
  } else {
    entityRows[change.entityId] = { version: change.version, data: change.data };
  }
}

async function problemError(response: Response): Promise<LifeosApiError> {
  let body: unknown = null;
  try {
    const text = await response.text();
    body = text.length > 0 ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  const b = (body && typeof body === "object" ? body : {}) as Partial<Problem>;
  return new LifeosApiError(
    {
      ...b,
      type: typeof b.type === "string" ? b.type : "about:blank",
      title: typeof b.title === "string" ? b.title : response.statusText || `HTTP ${response.status}`,
      status: response.status,
      code: typeof b.code === "string" ? b.code : `http_${response.status}`,
      detail: typeof b.detail === "string" ? b.detail : null,
    },
    response,
  );
}

/** Reads server-sent events from the body until it ends or `signal` aborts. */
async function readEvents(
  response: Response,
  signal: AbortSignal,
  onEvent: (event: string, data: string) => void,
): Promise<void> {
  if (!response.body) return;
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  const stop = () => void reader.cancel().catch(() => undefined);
  signal.addEventListener("abort", stop, { once: true });
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, end), onEvent);
        buffer = buffer.slice(end + 2);
      }
    }
  } finally {
    signal.removeEventListener("abort", stop);
  }
}

function dispatch(block: string, onEvent: (event: string, data: string) => void): void {
  let event = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line === "" || line.startsWith(":")) continue; // keep-alive comments
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
  }
  if (data.length > 0) onEvent(event, data.join("\n"));
}
