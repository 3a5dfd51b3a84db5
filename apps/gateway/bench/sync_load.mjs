#!/usr/bin/env node
// Sync workloads for bench/compare.sh (Node 20, global fetch over undici's keep-alive pool,
// no npm packages). Each measuring command prints one tab-separated line in compare.sh's
// RESULTS format: KEY, rate/s, p50 ms, p99 ms, failed requests, errors ("-" if none).
//
// Usage (TOKENS is a file of access tokens, one a line, as seed.py register writes it):
//   sync_load.mjs push KEY BASE TOKENS USERS DEVICES BATCH SECONDS
//       USERS x DEVICES devices (registered first), each pushing batches of BATCH new
//       `document` upserts back to back for SECONDS; rate = applied mutations/s, latency
//       per push
//   sync_load.mjs catchup KEY BASE TOKEN EXPECTED LIMIT RUNS
//       RUNS full pulls from no cursor, pages of LIMIT until hasMore is false, each checked
//       to deliver EXPECTED changes; rate = changes/s of the median run, p50/p99 = the median
//       and slowest run in ms
//   sync_load.mjs pulls KEY BASE TOKEN HISTORY PAGE SECONDS CONCURRENCY
//       pulls of PAGE changes from cursors at random places in a history of HISTORY
//       versions (the cursor is made here: "p1", after and floor as 16 hex digits, a check
//       byte), CONCURRENCY at a time for SECONDS; rate = pulls/s, latency per pull
//   sync_load.mjs whoami BASE TOKEN
//       prints the user's id
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";

const [command, ...args] = process.argv.slice(2);

function fail(message) {
  console.error(`sync_load.mjs: ${message}`);
  process.exit(1);
}

function tokens(file, count) {
  const all = readFileSync(file, "utf8").split("\n").map((t) => t.trim()).filter(Boolean);
  if (all.length < count) fail(`${file} holds ${all.length} tokens, ${count} needed`);
  return all.slice(0, count);
}

async function call(base, token, method, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function expect(base, token, method, path, body, status) {
  const reply = await call(base, token, method, path, body);
  if (reply.status !== status) {
    fail(`${method} ${path} answered ${reply.status}: ${JSON.stringify(reply.body)}`);
  }
  return reply.body;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)];
}

function report(key, rate, latencies, failed, errors) {
  const sorted = Float64Array.from(latencies).sort();
  const line = [key, rate.toFixed(2), percentile(sorted, 50).toFixed(2), percentile(sorted, 99).toFixed(2),
    String(failed), errors.size ? [...errors].slice(0, 3).join(";").replace(/\s+/g, " ").slice(0, 200) : "-"];
  console.log(line.join("\t"));
}

function elapsedMs(started) {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

// One device's loop: batches of new documents until `until` (hrtime ns).
async function pushDevice(base, token, device, label, batch, until, stats) {
  let next = 1;
  while (process.hrtime.bigint() < until) {
    const clientTimestamp = new Date().toISOString();
    const mutations = [];
    for (let i = 0; i < batch; i++, next++) {
      mutations.push({
        mutationId: next,
        entity: "document",
        entityId: randomUUID(),
        op: "upsert",
        fields: { key: `${label}-${next}`, data: { n: next, device: label } },
        clientTimestamp,
      });
    }
    const started = process.hrtime.bigint();
    let reply;
    try {
      reply = await call(base, token, "POST", "/sync/push", { deviceId: device, mutations });
    } catch (error) {
      stats.failed++;
      stats.errors.add(String(error.cause?.code ?? error.message));
      next -= batch;
      continue;
    }
    stats.latencies.push(elapsedMs(started));
    if (reply.status !== 200) {
      stats.failed++;
      stats.errors.add(`${reply.status} ${reply.body?.code ?? ""}`);
      return; // the device's mutation ids are now uncertain: stop this device
    }
    for (const result of reply.body.results) {
      if (result.status === "applied") stats.applied++;
      else stats.errors.add(`mutation ${result.status} ${result.code ?? ""}`);
    }
  }
}

async function push([key, base, tokensFile, users, devices, batch, seconds]) {
  [users, devices, batch, seconds] = [users, devices, batch, seconds].map(Number);
  const userTokens = tokens(tokensFile, users);
  const fleet = [];
  for (const [u, token] of userTokens.entries()) {
    for (let d = 0; d < devices; d++) {
      const created = await expect(base, token, "POST", "/devices", { name: `bench ${u}.${d}`, platform: "other" }, 201);
      fleet.push({ token, device: created.id, label: `${key}-${u}-${d}-${randomUUID().slice(0, 8)}` });
    }
  }
  const stats = { applied: 0, failed: 0, latencies: [], errors: new Set() };
  const started = process.hrtime.bigint();
  const until = started + BigInt(Math.round(seconds * 1e9));
  await Promise.all(fleet.map((f) => pushDevice(base, f.token, f.device, f.label, batch, until, stats)));
  const elapsed = elapsedMs(started) / 1000;
  report(key, stats.applied / elapsed, stats.latencies, stats.failed, stats.errors);
}

async function fullPull(base, token, limit) {
  let cursor;
  let changes = 0;
  let pages = 0;
  for (;;) {
    const body = cursor === undefined ? { limit } : { cursor, limit };
    const page = await expect(base, token, "POST", "/sync/pull", body, 200);
    changes += page.changes.length;
    pages++;
    cursor = page.cursor;
    if (!page.hasMore) return { changes, pages };
  }
}

async function catchup([key, base, token, expected, limit, runs]) {
  [expected, limit, runs] = [expected, limit, runs].map(Number);
  const times = [];
  let pages = 0;
  for (let run = 0; run < runs; run++) {
    const started = process.hrtime.bigint();
    const result = await fullPull(base, token, limit);
    times.push(elapsedMs(started));
    if (result.changes !== expected) fail(`a full pull delivered ${result.changes} changes, expected ${expected}`);
    pages = result.pages;
  }
  const sorted = [...times].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  console.error(`   catch-up runs: ${times.map((t) => (t / 1000).toFixed(2)).join(", ")} s, ${pages} pages of ${limit}`);
  const line = [key, (expected / (median / 1000)).toFixed(2), median.toFixed(2), sorted.at(-1).toFixed(2), "0", "-"];
  console.log(line.join("\t"));
}

// The server's cursor text for (after, floor): see crates/sync/src/pull/cursor.rs.
function cursorText(after, floor) {
  const hex = (n) => n.toString(16).padStart(16, "0");
  const body = `p1${hex(after)}${hex(floor)}`;
  let check = 0x5a;
  for (const byte of Buffer.from(body)) check = (((check << 3) | (check >> 5)) & 0xff) ^ byte;
  return body + check.toString(16).padStart(2, "0");
}

async function pulls([key, base, token, history, page, seconds, concurrency]) {
  [history, page, seconds, concurrency] = [history, page, seconds, concurrency].map(Number);
  // A check before measuring: a page from the middle is full and in order.
  const probe = await expect(base, token, "POST", "/sync/pull",
    { cursor: cursorText(Math.floor(history / 2), history), limit: page }, 200);
  if (probe.changes.length !== page || !probe.hasMore) {
    fail(`a pull from the middle of ${history} versions answered ${probe.changes.length} changes, hasMore ${probe.hasMore}`);
  }
  const stats = { latencies: [], failed: 0, errors: new Set() };
  const started = process.hrtime.bigint();
  const until = started + BigInt(Math.round(seconds * 1e9));
  async function worker() {
    while (process.hrtime.bigint() < until) {
      const after = Math.floor(Math.random() * (history - page));
      const begun = process.hrtime.bigint();
      const reply = await call(base, token, "POST", "/sync/pull", { cursor: cursorText(after, history), limit: page });
      stats.latencies.push(elapsedMs(begun));
      if (reply.status !== 200 || reply.body.changes.length !== page) {
        stats.failed++;
        stats.errors.add(`${reply.status} ${reply.body?.code ?? reply.body?.changes?.length}`);
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = elapsedMs(started) / 1000;
  report(key, stats.latencies.length / elapsed, stats.latencies, stats.failed, stats.errors);
}

async function whoami([base, token]) {
  const me = await expect(base, token, "GET", "/me", undefined, 200);
  console.log(me.id);
}

const commands = { push, catchup, pulls, whoami };
if (!commands[command]) fail(`unknown command ${command}; see the header of this file`);
await commands[command](args);
