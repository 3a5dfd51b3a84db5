/**
 * Unit tests of the offline client against a scripted fake (no server): retries on 5xx and
 * network errors, an expired cursor restarting from a full pull, base versions following
 * the device's own earlier mutations, server-sent events split across chunks, and the
 * Web Storage adapter. The live server's behaviour is in sync.e2e.test.ts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  MemoryStorage,
  OfflineClient,
  SyncUnavailableError,
  webStorage,
  type Change,
  type Mutation,
  type PushRequest,
  type PushResponse,
} from "../src/index.js";

const BASE = "http://lifeos.test";
const DEVICE = "00000000-0000-4000-8000-000000000001";

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

const problem = (status: number, code: string, extra: Record<string, unknown> = {}) =>
  json(status, { type: "about:blank", title: code, status, code, ...extra });

type Handler = (path: string, body: unknown, init: RequestInit | undefined) => Response | Promise<Response>;

/** A fetch answering by handler; every call is recorded. */
function fake(handler: Handler) {
  const calls: Array<{ path: string; body: unknown; headers: Record<string, string> }> = [];
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const path = new URL(String(input)).pathname;
    const body = typeof init?.body === "string" ? JSON.parse(init.body) : undefined;
    calls.push({ path, body, headers: (init?.headers ?? {}) as Record<string, string> });
    return handler(path, body, init);
  };
  return { fetch, calls };
}

function open(fetch: typeof globalThis.fetch, extra: Partial<Parameters<typeof OfflineClient.open>[0]> = {}) {
  return OfflineClient.open({
    baseUrl: BASE,
    auth: () => ({ Authorization: "Bearer t" }),
    fetch,
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
    ...extra,
  });
}

const device = () => json(201, { id: DEVICE, name: "x", platform: "other", lastMutationId: 0 });

/** Applies every mutation, the row's version being 100 + its mutation id. */
function pushAnswer(req: PushRequest): PushResponse {
  const results = req.mutations.map((m) => ({ mutationId: m.mutationId, status: "applied" as const, version: 100 + m.mutationId }));
  const last = req.mutations.at(-1)!.mutationId;
  return { results, lastMutationId: last, latestVersion: 100 + last, serverTime: "2026-12-03T00:00:00Z" };
}

const pullPage = (changes: Change[], cursor: string, hasMore = false) =>
  json(200, { changes, cursor, hasMore, lastMutationIds: {}, serverTime: "2026-12-03T00:00:00Z" });

describe("the offline client (unit)", () => {
  it("retries a push after a network error and a 503, then gives up with SyncUnavailableError", async () => {
    let pushes = 0;
    const server = fake((path, body) => {
      if (path === "/api/v1/devices") return device();
      pushes++;
      if (pushes === 1) throw new TypeError("fetch failed");
      if (pushes === 2) return problem(503, "unavailable");
      return json(200, pushAnswer(body as PushRequest));
    });
    const client = await open(server.fetch);
    await client.upsert("document", "d1", { key: "k", data: { a: 1 } });
    const summary = await client.push();
    assert.equal(pushes, 3);
    assert.deepEqual(summary.results.map((r) => r.status), ["applied"]);
    assert.equal(client.version("document", "d1"), 101);

    const down = fake(() => {
      throw new TypeError("fetch failed");
    });
    const offline = await open(down.fetch);
    await offline.upsert("document", "d2", { key: "k2", data: {} });
    await assert.rejects(offline.push(), SyncUnavailableError);
    assert.equal(down.calls.length, 3, "three attempts");
    assert.equal(offline.pending().length, 1);
  });

  it("does not retry a 4xx, and throws it as LifeosApiError", async () => {
    const server = fake((path) =>
      path === "/api/v1/devices" ? device() : problem(403, "device_revoked"),
    );
    const client = await open(server.fetch);
    await client.upsert("document", "d1", { key: "k", data: {} });
    await assert.rejects(client.push(), (e: Error & { code?: string }) => e.code === "device_revoked");
    assert.equal(server.calls.filter((c) => c.path === "/api/v1/sync/push").length, 1);
    assert.equal(client.pending().length, 1);
  });

  it("starts again from a full pull when the cursor expired, dropping rows deleted meanwhile", async () => {
    let phase = 0;
    const server = fake((_path, body) => {
      const cursor = (body as { cursor?: string }).cursor;
      if (phase === 0) {
        // The first full pull, in two pages.
        if (cursor === undefined) {
          return pullPage([{ entity: "document", entityId: "d1", op: "upsert", version: 1, data: { id: "d1", key: "a" } }], "c1", true);
        }
        return pullPage([{ entity: "document", entityId: "d2", op: "upsert", version: 2, data: { id: "d2", key: "b" } }], "c2");
      }
      if (cursor === "c2") return problem(410, "cursor_expired");
      assert.equal(cursor, undefined, "the restart has no cursor");
      return pullPage([{ entity: "document", entityId: "d2", op: "upsert", version: 9, data: { id: "d2", key: "b2" } }], "c9");
    });
    const client = await open(server.fetch);
    const first = await client.pull();
    assert.deepEqual(first, { changes: 2, pages: 2, full: true });
    assert.deepEqual(client.all("document").map((d) => d.key), ["a", "b"]);

    phase = 1;
    const second = await client.pull();
    assert.deepEqual(second, { changes: 1, pages: 1, full: true });
    // d1's tombstone was compacted away: only the full state tells it is gone.
    assert.deepEqual(client.all("document"), [{ id: "d2", key: "b2" }]);
    assert.equal(client.knownVersion, 9);
  });

  it("bases a mutation on its own device's earlier one: omitted in the same batch, its version in a later one", async () => {
    const sent: Mutation[][] = [];
    const server = fake((path, body) => {
      if (path === "/api/v1/devices") return device();
      if (path === "/api/v1/sync/pull") {
        return pullPage([{ entity: "day_type", entityId: "r", op: "upsert", version: 7, data: { id: "r", notes: "s" } }], "c7");
      }
      sent.push((body as PushRequest).mutations);
      return json(200, pushAnswer(body as PushRequest));
    });
    const client = await open(server.fetch, { batchSize: 2 });
    await client.pull();
    await client.upsert("day_type", "r", { notes: "1" });
    await client.upsert("day_type", "r", { notes: "2" });
    await client.upsert("day_type", "r", { notes: "3" });
    await client.upsert("day_type", "r", { notes: "4" }, null);
    assert.deepEqual(client.get("day_type", "r"), { id: "r", notes: "4" });
    await client.push();
    assert.deepEqual(
      sent.map((batch) => batch.map((m) => m.baseVersion)),
      [
        [7, undefined], // the second follows the first within the batch
        [102, undefined], // the third follows the second's version; the fourth is a blind write
      ],
    );
  });

  it("closes a hole in its mutation ids and renumbers from the server's expectedMutationId", async () => {
    const sent: number[][] = [];
    const storage = new MemoryStorage();
    const server = fake((path, body) => {
      if (path === "/api/v1/devices") return device();
      const ids = (body as PushRequest).mutations.map((m) => m.mutationId);
      sent.push(ids);
      if (ids[0] !== 1) return problem(409, "mutation_gap", { expectedMutationId: 1 });
      return json(200, pushAnswer(body as PushRequest));
    });
    const client = await open(server.fetch, { storage });
    await storage.save("lifeos-sync:next-mutation-id", "3");
    const reopened = await open(server.fetch, { storage });
    await reopened.upsert("document", "d", { key: "k", data: {} });
    await reopened.upsert("document", "d", { data: { x: 1 } });
    await storage.save("lifeos-sync:next-mutation-id", "9"); // a crash between the two
    const again = await open(server.fetch, { storage });
    await again.upsert("document", "d", { data: { y: 1 } });
    assert.deepEqual(again.pending().map((m) => m.mutationId), [3, 4, 9]);
    await again.push();
    assert.deepEqual(sent, [
      [3, 4, 5],
      [1, 2, 3],
    ]);
    assert.equal(again.pending().length, 0);
    assert.equal(client.deviceId, again.deviceId, "the device id is kept in storage");
  });

  it("treats a 409 on registering its own id as done when the device is listed", async () => {
    const storage = new MemoryStorage();
    const first = await open(fake(() => device()).fetch, { storage });
    const server = fake((_path, _body, init) =>
      init?.method === "GET" ? json(200, { items: [{ id: first.deviceId }] }) : problem(409, "device_id_conflict"),
    );
    const client = await open(server.fetch, { storage });
    await client.register();
    await client.register();
    assert.deepEqual(server.calls.map((c) => c.path), ["/api/v1/devices", "/api/v1/devices"]);
  });

  it("syncs on a poke newer than it knows, from events split across chunks", async () => {
    const encoder = new TextEncoder();
    let pulls = 0;
    let stream: ReadableStreamDefaultController<Uint8Array> | undefined;
    const server = fake((path) => {
      if (path === "/api/v1/sync/pull") {
        pulls++;
        return pullPage([{ entity: "document", entityId: `d${pulls}`, op: "upsert", version: pulls * 10, data: { id: `d${pulls}` } }], `c${pulls}`);
      }
      const body = new ReadableStream<Uint8Array>({ start: (c) => void (stream = c) });
      return new Response(body, { status: 200, headers: { "Content-Type": "text/event-stream" } });
    });
    const client = await open(server.fetch);
    const synced: number[] = [];
    const listener = client.listen({ onSync: () => synced.push(client.knownVersion) });
    const until = async (done: () => boolean) => {
      for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 5));
      assert.ok(done());
    };
    try {
      await until(() => stream !== undefined);
      stream!.enqueue(encoder.encode("event: poke\r\ndata: {\"vers"));
      stream!.enqueue(encoder.encode("ion\": 3}\r\n\r\n: keep-alive\n\n"));
      await until(() => synced.length === 1);
      // Not newer than what the client knows (10): no sync.
      stream!.enqueue(encoder.encode("event: poke\ndata: {\"version\": 10}\n\n"));
      stream!.enqueue(encoder.encode("event: poke\ndata: {\"version\": 11}\n\n"));
      await until(() => synced.length === 2);
      assert.deepEqual(synced, [10, 20]);
      assert.equal(server.calls.find((c) => c.path === "/api/v1/sync/events")?.headers.Authorization, "Bearer t");
    } finally {
      listener.stop();
    }
  });

  it("keeps its state in Web Storage", async () => {
    const items = new Map<string, string>();
    const storage = webStorage({ getItem: (k) => items.get(k) ?? null, setItem: (k, v) => void items.set(k, v) });
    const client = await open(fake(() => device()).fetch, { storage, namespace: "me:" });
    await client.upsert("document", "d", { key: "k", data: { a: 1 } });
    assert.ok(items.has("me:queue") && items.has("me:device") && items.has("me:next-mutation-id"));
    const reopened = await open(fake(() => device()).fetch, { storage, namespace: "me:" });
    assert.deepEqual(reopened.get("document", "d"), { id: "d", key: "k", data: { a: 1 } });
    assert.deepEqual(reopened.pending(), client.pending());
  });
});
