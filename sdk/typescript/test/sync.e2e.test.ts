/**
 * The offline client against the real server binary: two devices of one user edit
 * offline (documents and day types), come online and sync to one state, equal to a fresh
 * full pull; a lost push answer followed by the retry answers `duplicate` and applies
 * nothing twice; a conflict on one document field and rejected mutations reach the app;
 * a skipped mutation id is recovered from `mutation_gap`; a queue survives a restart; a
 * poke from the server makes a listening device sync.
 *
 * Offline is simulated by a fetch wrapper that throws, as fetch does without a network.
 * The server is started by ./server.ts (binary: $LIFEOS_BIN or ../../target/debug/lifeos).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

import {
  createLifeosClient,
  MemoryStorage,
  OfflineClient,
  STORAGE_KEYS,
  SyncUnavailableError,
  type LifeosClient,
  type OfflineClientOptions,
  type PushResponse,
  type SyncIssue,
} from "../src/index.js";
import { PASSWORD, randomEmail, startServer, type RunningServer } from "./server.js";

let server: RunningServer | undefined;
let baseUrl = "";

/** A device's network: `online` false makes every request throw; answers can be dropped. */
function network() {
  const state = {
    online: true,
    /** Push answers to lose after the server has processed the request. */
    dropPushAnswers: 0,
    /** The bodies of the answers that were lost. */
    dropped: [] as PushResponse[],
  };
  const fetchImpl: typeof globalThis.fetch = async (input, init) => {
    if (!state.online) throw new TypeError("fetch failed: offline");
    const response = await globalThis.fetch(input, init);
    if (String(input).endsWith("/api/v1/sync/push") && state.dropPushAnswers > 0 && response.ok) {
      state.dropPushAnswers--;
      state.dropped.push((await response.json()) as PushResponse);
      throw new TypeError("fetch failed: the connection dropped before the answer");
    }
    return response;
  };
  return { state, fetch: fetchImpl };
}

type Net = ReturnType<typeof network>;

interface Device {
  client: OfflineClient;
  net: Net;
  storage: MemoryStorage;
  issues: SyncIssue[];
  options: OfflineClientOptions;
}

async function openDevice(session: LifeosClient, name: string, storage = new MemoryStorage()): Promise<Device> {
  const net = network();
  const issues: SyncIssue[] = [];
  const options: OfflineClientOptions = {
    baseUrl,
    auth: session,
    fetch: net.fetch,
    storage,
    device: { name, platform: "other" },
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
    onIssue: (issue) => issues.push(issue),
  };
  return { client: await OfflineClient.open(options), net, storage, issues, options };
}

/** Every entity either replica holds, row for row. */
function assertSameReplica(a: OfflineClient, b: OfflineClient, label: string): void {
  const entities = [...new Set([...a.entities(), ...b.entities()])].sort();
  for (const entity of entities) {
    assert.deepEqual(a.all(entity), b.all(entity), `${label}: ${entity}`);
  }
}

async function resetIssues(device: Device): Promise<void> {
  device.issues.length = 0;
  await device.client.clearIssues();
}

const docData = (client: OfflineClient, id: string) => client.get("document", id)?.data as Record<string, unknown>;

describe("the offline client against the server", () => {
  let sessionA: LifeosClient;
  let sessionB: LifeosClient;
  let a: Device;
  let b: Device;
  const settings = randomUUID();
  const top3 = randomUUID();
  const checklist = randomUUID();
  const dayA = randomUUID();
  const dayB = randomUUID();

  /** A third device's view: a fresh full pull. */
  async function freshPull(): Promise<OfflineClient> {
    const fresh = await OfflineClient.open({ baseUrl, auth: sessionA });
    const summary = await fresh.pull();
    assert.equal(summary.full, true);
    return fresh;
  }

  async function dayTypes(from: string, to: string) {
    const res = await sessionA.api.GET("/api/v1/day-types", { params: { query: { from, to } } });
    assert.equal(res.response.status, 200, JSON.stringify(res.error));
    return res.data!.items;
  }

  async function devices(): Promise<Array<{ id: string; lastMutationId: number }>> {
    const res = await fetch(`${baseUrl}/api/v1/devices`, {
      headers: { Authorization: `Bearer ${sessionA.tokens()!.accessToken}` },
    });
    assert.equal(res.status, 200);
    return ((await res.json()) as { items: Array<{ id: string; lastMutationId: number }> }).items;
  }

  before(async () => {
    server = await startServer();
    baseUrl = server.baseUrl;
    const email = randomEmail();
    sessionA = createLifeosClient({ baseUrl });
    await sessionA.register({ email, password: PASSWORD, displayName: "Two devices" });
    sessionB = createLifeosClient({ baseUrl });
    await sessionB.login(email, PASSWORD);
    a = await openDevice(sessionA, "phone");
    b = await openDevice(sessionB, "laptop");
  });

  after(async () => {
    await server?.stop();
  });

  it("two devices edit offline, then sync to one state equal to a full pull", async () => {
    // A registers while online; B first reaches the server when it syncs.
    await a.client.register();
    a.net.state.online = false;
    b.net.state.online = false;

    await a.client.upsert("document", settings, { key: "settings", data: { theme: "dark", lang: "en" } });
    await a.client.upsert("day_type", dayA, { date: "2026-11-02", plannedType: "focus" });
    await a.client.upsert("day_type", dayA, { actualType: "free" });
    await a.client.upsert("document", checklist, { key: "checklist", data: { milk: true } });
    await a.client.delete("document", checklist);

    await b.client.upsert("document", top3, { key: "top3:2026-11-03", data: { items: ["run", "read", "call"] } });
    await b.client.upsert("day_type", dayB, { date: "2026-11-03", plannedType: "buffer", notes: "offline" });

    // The replicas show the edits at once; the queues hold them with ids 1, 2, ...
    assert.deepEqual(docData(a.client, settings), { theme: "dark", lang: "en" });
    assert.equal(a.client.get("day_type", dayA)?.actualType, "free");
    assert.equal(a.client.get("document", checklist), undefined);
    assert.deepEqual(a.client.pending().map((m) => m.mutationId), [1, 2, 3, 4, 5]);
    assert.deepEqual(b.client.pending().map((m) => m.mutationId), [1, 2]);

    // Offline, a sync fails and keeps everything queued.
    await assert.rejects(a.client.sync(), SyncUnavailableError);
    await assert.rejects(b.client.push(), SyncUnavailableError);
    assert.equal(a.client.pending().length, 5);
    assert.equal(b.client.pending().length, 2);

    a.net.state.online = true;
    b.net.state.online = true;
    const pushedA = (await a.client.sync()).push;
    assert.deepEqual(pushedA.results.map((r) => r.status), ["applied", "applied", "applied", "applied", "applied"]);
    const pushedB = (await b.client.sync()).push;
    assert.deepEqual(pushedB.results.map((r) => r.status), ["applied", "applied"]);
    await a.client.sync();
    assert.equal(a.client.pending().length, 0);
    assert.equal(b.client.pending().length, 0);
    assert.deepEqual(a.issues, []);
    assert.deepEqual(b.issues, []);

    assertSameReplica(a.client, b.client, "A and B");
    const fresh = await freshPull();
    assertSameReplica(a.client, fresh, "A and a full pull");

    // The replica holds the rows in the REST API's form.
    const docs = fresh.all("document");
    assert.deepEqual(docs.map((d) => d.key).sort(), ["settings", "top3:2026-11-03"]);
    assert.deepEqual(docData(fresh, top3), { items: ["run", "read", "call"] });
    const rest = await dayTypes("2026-11-01", "2026-11-30");
    assert.deepEqual(
      rest.map((d) => [d.id, d.date, d.plannedType, d.actualType]).sort(),
      [
        [dayA, "2026-11-02", "focus", "free"],
        [dayB, "2026-11-03", "buffer", null],
      ].sort(),
    );
    for (const row of rest) assert.deepEqual(fresh.get("day_type", row.id), row);

    const byId = new Map((await devices()).map((d) => [d.id, d.lastMutationId]));
    assert.equal(byId.get(a.client.deviceId), 5);
    assert.equal(byId.get(b.client.deviceId), 2);
  });

  it("keeps an unpushed edit in view across a pull", async () => {
    await a.client.upsert("document", settings, { data: { lang: "de" } });
    await b.client.upsert("document", top3, { data: { items: ["run", "read", "sleep"] } });
    await b.client.sync();

    await a.client.pull();
    assert.deepEqual(docData(a.client, top3), { items: ["run", "read", "sleep"] });
    assert.deepEqual(docData(a.client, settings), { theme: "dark", lang: "de" }, "the pending edit stays on top");
    assert.equal(a.client.pending().length, 1);

    await a.client.sync();
    await b.client.sync();
    assert.equal(a.client.pending().length, 0);
    assert.deepEqual(docData(b.client, settings), { theme: "dark", lang: "de" });
    assertSameReplica(a.client, b.client, "after the pending edit");
  });

  it("answers a retry after a lost response with duplicates and applies nothing twice", async () => {
    const dayC = randomUUID();
    await a.client.upsert("day_type", dayC, { date: "2026-11-04", plannedType: "focus" });
    await a.client.upsert("document", settings, { data: { fontSize: 14 } });
    const [first, second] = a.client.pending();

    a.net.state.dropPushAnswers = 1;
    const summary = await a.client.push();
    const lost = a.net.state.dropped.at(-1);
    assert.ok(lost, "the first answer was dropped");
    assert.deepEqual(lost.results.map((r) => [r.mutationId, r.status]), [
      [first!.mutationId, "applied"],
      [second!.mutationId, "applied"],
    ]);
    // The retry changed nothing: duplicates with the first answer's versions.
    assert.deepEqual(summary.results.map((r) => [r.mutationId, r.status]), [
      [first!.mutationId, "duplicate"],
      [second!.mutationId, "duplicate"],
    ]);
    assert.deepEqual(summary.results.map((r) => r.version), lost.results.map((r) => r.version));
    assert.equal(summary.latestVersion, lost.latestVersion);
    assert.equal(a.client.pending().length, 0);

    await a.client.pull();
    await b.client.sync();
    assert.equal((await dayTypes("2026-11-04", "2026-11-04")).length, 1);
    assert.deepEqual(docData(b.client, settings), { theme: "dark", lang: "de", fontSize: 14 });
    assert.equal(b.client.get("day_type", dayC)?.plannedType, "focus");
    const byId = new Map((await devices()).map((d) => [d.id, d.lastMutationId]));
    assert.equal(byId.get(a.client.deviceId), second!.mutationId);
    assertSameReplica(a.client, b.client, "after the retry");
  });

  it("reports a conflict on the same document field, and the last write by the server's receipt wins", async () => {
    await resetIssues(b);
    const base = a.client.version("document", settings);
    assert.equal(b.client.version("document", settings), base);
    a.net.state.online = false;
    b.net.state.online = false;
    await a.client.upsert("document", settings, { data: { theme: "light" } });
    await b.client.upsert("document", settings, { data: { theme: "solarized", lang: "fr" } });
    assert.equal(b.client.pending()[0]!.baseVersion, base);

    a.net.state.online = true;
    b.net.state.online = true;
    const pushedA = (await a.client.sync()).push;
    assert.deepEqual(pushedA.results.map((r) => r.status), ["applied"]);
    const pushedB = (await b.client.sync()).push;
    assert.deepEqual(pushedB.results.map((r) => r.status), ["conflict"]);
    await a.client.sync();

    // Reported once, through the callback and the saved list.
    assert.equal(b.issues.length, 1);
    const issue = b.issues[0]!;
    assert.equal(issue.kind, "conflict");
    assert.equal(issue.mutation.entityId, settings);
    assert.ok(issue.result.conflictId, JSON.stringify(issue.result));
    assert.deepEqual(b.client.issues(), b.issues);
    assert.deepEqual(a.issues, []);

    const res = await fetch(`${baseUrl}/api/v1/sync/conflicts/${issue.result.conflictId}`, {
      headers: { Authorization: `Bearer ${sessionB.tokens()!.accessToken}` },
    });
    assert.equal(res.status, 200);
    const conflict = (await res.json()) as Record<string, unknown>;
    assert.equal(conflict.kind, "update_update");
    assert.equal(conflict.entity, "document");
    assert.equal(conflict.deviceId, b.client.deviceId);
    // Only the field both sides changed is the conflict; `lang` was B's alone.
    assert.deepEqual(conflict.serverFields, { data: { theme: "light" } });
    assert.deepEqual(conflict.clientFields, { data: { theme: "solarized", lang: "fr" } });

    assert.deepEqual(docData(a.client, settings), { theme: "solarized", lang: "fr", fontSize: 14 });
    assertSameReplica(a.client, b.client, "after the conflict");
    assertSameReplica(a.client, await freshPull(), "A and a full pull after the conflict");

    await b.client.clearIssues();
    assert.deepEqual(b.client.issues(), []);
  });

  it("lets a delete win over a concurrent update, keeping the lost update as a conflict", async () => {
    await resetIssues(b);
    a.net.state.online = false;
    b.net.state.online = false;
    await a.client.delete("document", top3);
    await b.client.upsert("document", top3, { data: { items: ["run", "read", "write"] } });
    // B also edits A's day type, which nobody else touches: no conflict.
    await b.client.upsert("day_type", dayA, { notes: "from the laptop" });

    a.net.state.online = true;
    b.net.state.online = true;
    assert.deepEqual((await a.client.sync()).push.results.map((r) => r.status), ["applied"]);
    assert.deepEqual((await b.client.sync()).push.results.map((r) => r.status), ["conflict", "applied"]);
    await a.client.sync();

    assert.deepEqual(b.issues.map((i) => [i.kind, i.mutation.entityId]), [["conflict", top3]]);
    const res = await fetch(`${baseUrl}/api/v1/sync/conflicts/${b.issues[0]!.result.conflictId}`, {
      headers: { Authorization: `Bearer ${sessionB.tokens()!.accessToken}` },
    });
    assert.equal(res.status, 200);
    const conflict = (await res.json()) as Record<string, unknown>;
    assert.equal(conflict.kind, "delete_update");
    assert.deepEqual(conflict.clientFields, { data: { items: ["run", "read", "write"] } });

    // The update's optimistic row is gone from B's view; A sees B's note.
    assert.equal(b.client.get("document", top3), undefined);
    assert.equal(a.client.get("day_type", dayA)?.notes, "from the laptop");
    assertSameReplica(a.client, b.client, "after the delete");
    assertSameReplica(a.client, await freshPull(), "A and a full pull after the delete");
  });

  it("reports rejected mutations, drops them, and goes on with the rest", async () => {
    await resetIssues(b);
    const nap = randomUUID();
    const twice = randomUUID();
    const note = randomUUID();
    await b.client.upsert("day_type", nap, { date: "2026-11-05", plannedType: "nap" });
    await b.client.upsert("day_type", twice, { date: "2026-11-02", plannedType: "buffer" });
    await b.client.upsert("document", note, { key: "note", data: { text: "still synced" } });
    assert.equal(b.client.get("day_type", nap)?.plannedType, "nap", "optimistic until the server answers");

    const pushed = (await b.client.sync()).push;
    assert.deepEqual(pushed.results.map((r) => r.status), ["rejected", "rejected", "applied"]);
    assert.deepEqual(b.issues.map((i) => [i.kind, i.mutation.entityId, i.result.code]), [
      ["rejected", nap, "invalid_body"],
      ["rejected", twice, "day_already_planned"],
    ]);
    // The reason, for the app to show.
    assert.match(b.issues[0]!.result.message ?? "", /nap|plannedType/);
    // The refused rows vanish from the replica; the server's plan for the date stays.
    assert.equal(b.client.get("day_type", nap), undefined);
    assert.equal(b.client.get("day_type", twice), undefined);
    assert.equal(b.client.get("day_type", dayA)?.date, "2026-11-02");
    assert.deepEqual(docData(b.client, note), { text: "still synced" });
    assert.equal(b.client.pending().length, 0);
  });

  it("keeps its queue across a restart and recovers from a skipped mutation id", async () => {
    b.net.state.online = false;
    const doc = randomUUID();
    await b.client.upsert("document", doc, { key: "restart", data: { n: 1 } });

    // A crash after the next id was saved but before its mutation was: the id is skipped.
    const key = `lifeos-sync:${STORAGE_KEYS.nextMutationId}`;
    const next = Number(await b.storage.load(key));
    await b.storage.save(key, String(next + 1));

    const reopened = await OfflineClient.open({ ...b.options, fetch: b.net.fetch });
    assert.deepEqual(reopened.pending(), b.client.pending());
    assert.deepEqual(docData(reopened, doc), { n: 1 });
    await reopened.upsert("document", doc, { data: { n: 2 } });
    const ids = reopened.pending().map((m) => m.mutationId);
    assert.deepEqual(ids, [next - 1, next + 1], "a hole in the queue");

    b.net.state.online = true;
    const pushed = (await reopened.sync()).push;
    assert.deepEqual(pushed.results.map((r) => [r.mutationId, r.status]), [
      [next - 1, "applied"],
      [next, "applied"],
    ]);
    assert.deepEqual(docData(reopened, doc), { n: 2 });
    // The next one follows on from the saved counter; the server asks for it with mutation_gap.
    await reopened.upsert("document", doc, { data: { n: 3 } });
    const gap = (await reopened.sync()).push;
    assert.deepEqual(gap.results.map((r) => [r.mutationId, r.status]), [[next + 1, "applied"]]);
    b.client = reopened;
    await a.client.sync();
    assertSameReplica(a.client, b.client, "after the restart");
  });

  it("syncs when the server pokes", async () => {
    const errors: unknown[] = [];
    const listener = a.client.listen({ onError: (e) => errors.push(e) });
    try {
      const doc = randomUUID();
      await b.client.upsert("document", doc, { key: "poked", data: { hello: "world" } });
      await b.client.sync();
      const deadline = Date.now() + 5_000;
      while (a.client.get("document", doc) === undefined && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.deepEqual(docData(a.client, doc), { hello: "world" }, JSON.stringify(errors));
    } finally {
      listener.stop();
    }
    assert.deepEqual(errors, []);
  });
});
