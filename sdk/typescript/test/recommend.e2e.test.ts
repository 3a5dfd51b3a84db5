/**
 * The recommender through the SDK against the real server binary: without the
 * `recommendations` consent a tip is refused; with it, a habit due today comes back as the
 * one tip with its reason and propensity; `done` on it completes the habit (XP included)
 * and a second feedback is refused; another person cannot answer for the tip.
 *
 * The server is started by ./server.ts (binary: $LIFEOS_BIN or ../../target/debug/lifeos).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import { createLifeosClient, type LifeosClient } from "../src/index.js";
import { PASSWORD, randomEmail, startServer, type RunningServer } from "./server.js";

let server: RunningServer | undefined;
let baseUrl = "";

async function person(name: string): Promise<LifeosClient> {
  const client = createLifeosClient({ baseUrl });
  await client.register({ email: randomEmail(), password: PASSWORD, displayName: name });
  return client;
}

async function grant(client: LifeosClient) {
  const consent = await client.api.PUT("/api/v1/me/consents/{purpose}", {
    params: { path: { purpose: "recommendations" } },
    body: { granted: true },
  });
  assert.equal(consent.response.status, 200, JSON.stringify(consent.error));
}

describe("the recommender through the SDK", () => {
  before(async () => {
    server = await startServer();
    baseUrl = server.baseUrl;
  });

  after(async () => {
    await server?.stop();
  });

  it("needs the recommendations consent", async () => {
    const client = await person("No consent");
    const refused = await client.api.POST("/api/v1/recommend", { body: {} });
    assert.equal(refused.response.status, 403);
    assert.equal((refused.error as { code?: string }).code, "consent_required");
  });

  it("offers a due habit as the one tip, completes it on done and refuses a second feedback", async () => {
    const client = await person("Tips");
    await grant(client);

    const track = await client.api.POST("/api/v1/tracks", { body: { title: "Health" } });
    assert.equal(track.response.status, 201, JSON.stringify(track.error));
    const habit = await client.api.POST("/api/v1/tracks/{id}/nodes", {
      params: { path: { id: track.data!.id } },
      body: { type: "habit", title: "Stretch" },
    });
    assert.equal(habit.response.status, 201, JSON.stringify(habit.error));
    const habitId = habit.data!.id;
    const schedule = await client.api.PUT("/api/v1/nodes/{id}/habit-schedule", {
      params: { path: { id: habitId } },
      body: { frequency: "daily" },
    });
    assert.equal(schedule.response.status, 200, JSON.stringify(schedule.error));

    // Time-of-day advice may compete with the habit: ask until the habit comes up.
    let tip: { id: string; kind: string; reason: string; source: { entity: string; id: string } } | null = null;
    for (let i = 0; i < 30 && tip?.source.id !== habitId; i++) {
      const decision = await client.api.POST("/api/v1/recommend", {
        body: { context: { energy: 4, mood: 3 } },
      });
      assert.equal(decision.response.status, 200, JSON.stringify(decision.error));
      assert.ok(decision.data!.decisionId);
      assert.equal(decision.data!.policyId, "rules-v0");
      assert.ok(decision.data!.propensity > 0 && decision.data!.propensity <= 1);
      tip = decision.data!.tip ?? null;
    }
    assert.ok(tip, "a due habit yields a tip");
    assert.equal(tip.source.entity, "node");
    assert.equal(tip.source.id, habitId);
    assert.equal(tip.kind, "todo");
    assert.ok(tip.reason.length > 0);

    const done = await client.api.POST("/api/v1/tips/{id}/feedback", {
      params: { path: { id: tip.id } },
      body: { kind: "done" },
    });
    assert.equal(done.response.status, 200, JSON.stringify(done.error));
    assert.equal(done.data!.kind, "done");
    assert.ok(done.data!.completionId);
    assert.ok((done.data!.xpAwarded ?? 0) > 0);

    const stats = await client.api.GET("/api/v1/me/stats");
    assert.equal(stats.data!.completionsToday, 1);

    const again = await client.api.POST("/api/v1/tips/{id}/feedback", {
      params: { path: { id: tip.id } },
      body: { kind: "not_now" },
    });
    assert.equal(again.response.status, 409);
    assert.equal((again.error as { code?: string }).code, "tip_feedback_recorded");

    // The habit is done for today: it is no longer offered.
    for (let i = 0; i < 10; i++) {
      const decision = await client.api.POST("/api/v1/recommend", { body: {} });
      assert.equal(decision.response.status, 200);
      assert.notEqual(decision.data!.tip?.source.id, habitId);
    }
  });

  it("answers 404 for feedback on another person's tip", async () => {
    const ada = await person("Ada");
    const bob = await person("Bob");
    await grant(ada);
    await grant(bob);
    const track = await ada.api.POST("/api/v1/tracks", { body: { title: "Work" } });
    const habit = await ada.api.POST("/api/v1/tracks/{id}/nodes", {
      params: { path: { id: track.data!.id } },
      body: { type: "habit", title: "Inbox zero" },
    });
    await ada.api.PUT("/api/v1/nodes/{id}/habit-schedule", {
      params: { path: { id: habit.data!.id } },
      body: { frequency: "daily" },
    });
    const decision = await ada.api.POST("/api/v1/recommend", { body: {} });
    assert.ok(decision.data!.tip, "Ada has a due habit");
    const stolen = await bob.api.POST("/api/v1/tips/{id}/feedback", {
      params: { path: { id: decision.data!.tip!.id } },
      body: { kind: "dismissed" },
    });
    assert.equal(stolen.response.status, 404);
  });
});
