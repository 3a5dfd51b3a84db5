#!/usr/bin/env node
// The recommender workload for bench/compare.sh (Node 20, global fetch over undici's
// keep-alive pool, no npm packages). Each measuring command prints one tab-separated line
// in compare.sh's RESULTS format: KEY, rate/s, p50 ms, p99 ms, failed requests, errors
// ("-" if none).
//
// Usage (TOKENS is a file of access tokens, one a line, as seed.py register writes it):
//   recommend_load.mjs setup BASE TOKENS USERS
//       grants each of the first USERS users the recommendations consent and plans what a
//       real day holds: a track, 3 habits (due daily) and 3 tasks due today, so every
//       decision weighs a dozen candidates
//   recommend_load.mjs load KEY BASE TOKENS USERS CONNECTIONS SECONDS
//       CONNECTIONS loops of `POST /api/v1/recommend`, spread over the USERS users, for
//       SECONDS; rate = decisions/s, latency per decision; the share of decisions with a
//       tip and the policies that chose go to stderr
import { readFileSync } from "node:fs";

const [command, ...args] = process.argv.slice(2);

function fail(message) {
  console.error(`recommend_load.mjs: ${message}`);
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

async function setup(base, file, users) {
  const today = new Date().toISOString().slice(0, 10);
  for (const token of tokens(file, Number(users))) {
    await expect(base, token, "PUT", "/me/consents/recommendations", { granted: true }, 200);
    const track = await expect(base, token, "POST", "/tracks", { title: "Everyday" }, 201);
    for (const title of ["Stretch", "Read 20 pages", "Meditate"]) {
      const habit = await expect(base, token, "POST", `/tracks/${track.id}/nodes`, { type: "habit", title }, 201);
      await expect(base, token, "PUT", `/nodes/${habit.id}/habit-schedule`, { frequency: "daily" }, 200);
    }
    for (const title of ["File the tax return", "Call the dentist", "Book the train"]) {
      await expect(base, token, "POST", `/tracks/${track.id}/nodes`, { type: "task", title, dueOn: today }, 201);
    }
  }
}

async function load(key, base, file, users, connections, seconds) {
  const all = tokens(file, Number(users));
  const latencies = [];
  const policies = new Map();
  let failed = 0;
  let tips = 0;
  const errors = new Map();
  const end = performance.now() + Number(seconds) * 1000;
  const loop = async (worker) => {
    let turn = worker;
    while (performance.now() < end) {
      const token = all[turn++ % all.length];
      const began = performance.now();
      try {
        const reply = await call(base, token, "POST", "/recommend", { context: { energy: 3 } });
        latencies.push(performance.now() - began);
        if (reply.status !== 200) {
          failed++;
          const code = reply.body?.code ?? String(reply.status);
          errors.set(code, (errors.get(code) ?? 0) + 1);
          continue;
        }
        if (reply.body.tip) tips++;
        policies.set(reply.body.policyId, (policies.get(reply.body.policyId) ?? 0) + 1);
      } catch (error) {
        failed++;
        errors.set(error.cause?.code ?? error.name, (errors.get(error.cause?.code ?? error.name) ?? 0) + 1);
      }
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: Number(connections) }, (_, i) => loop(i)));
  const elapsed = (performance.now() - began) / 1000;
  latencies.sort((a, b) => a - b);
  const ok = latencies.length - failed;
  console.error(`   ${key}: ${ok} decisions, ${((100 * tips) / Math.max(ok, 1)).toFixed(0)} % with a tip; policies ${JSON.stringify(Object.fromEntries(policies))}`);
  const errs = errors.size ? [...errors].map(([k, v]) => `${k}:${v}`).join(",") : "-";
  console.log([key, (ok / elapsed).toFixed(1), percentile(latencies, 50).toFixed(2), percentile(latencies, 99).toFixed(2), failed, errs].join("\t"));
}

switch (command) {
  case "setup":
    await setup(...args);
    break;
  case "load":
    await load(...args);
    break;
  default:
    fail(`unknown command ${command}`);
}
