/**
 * Gamification through the SDK against the real server binary: complete a habit, read
 * the stats and the habit's figures, retry with the same id, undo.
 *
 * The server is started by ./server.ts (binary: $LIFEOS_BIN or ../../target/debug/lifeos).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import { createLifeosClient, LifeosApiError } from "../src/index.js";
import { PASSWORD, randomEmail, startServer, type RunningServer } from "./server.js";

let server: RunningServer | undefined;
let baseUrl = "";

describe("gamification through the SDK", () => {
  before(async () => {
    server = await startServer();
    baseUrl = server.baseUrl;
  });

  after(async () => {
    await server?.stop();
  });

  it("completes a daily habit once a day, reads the stats, replays a retry and undoes", async () => {
    const client = createLifeosClient({ baseUrl });
    await client.register({ email: randomEmail(), password: PASSWORD, displayName: "Habits" });

    const track = await client.api.POST("/api/v1/tracks", { body: { title: "Health" } });
    assert.equal(track.response.status, 201, JSON.stringify(track.error));
    const habit = await client.api.POST("/api/v1/tracks/{id}/nodes", {
      params: { path: { id: track.data!.id } },
      body: { type: "habit", title: "Walk" },
    });
    assert.equal(habit.response.status, 201, JSON.stringify(habit.error));
    const habitId = habit.data!.id;
    const schedule = await client.api.PUT("/api/v1/nodes/{id}/habit-schedule", {
      params: { path: { id: habitId } },
      body: { frequency: "daily" },
    });
    assert.equal(schedule.response.status, 200, JSON.stringify(schedule.error));

    // A client-generated id makes the completion safe to retry.
    const id = crypto.randomUUID();
    const done = await client.api.POST("/api/v1/nodes/{id}/complete", {
      params: { path: { id: habitId } },
      body: { id, note: "around the lake" },
    });
    assert.equal(done.response.status, 201, JSON.stringify(done.error));
    assert.ok(done.data);
    assert.equal(done.data.completion.id, id);
    assert.equal(done.data.completion.nodeType, "habit");
    assert.equal(done.data.completion.counted, true);
    assert.equal(done.data.xpAwarded, 5);
    assert.equal(done.data.stats.xp, 5);
    assert.equal(done.data.stats.level, 1);
    assert.equal(done.data.stats.currentStreak, 1);
    assert.deepEqual(
      done.data.newBadges.map((b) => b.code),
      ["first_completion"],
    );

    // The same id again: 200, the first result, nothing awarded twice.
    const retry = await client.api.POST("/api/v1/nodes/{id}/complete", {
      params: { path: { id: habitId } },
      body: { id, note: "around the lake" },
    });
    assert.equal(retry.response.status, 200, JSON.stringify(retry.error));
    assert.equal(retry.data!.completion.id, id);
    assert.deepEqual(retry.data!.newBadges.map((b) => b.code), ["first_completion"]);

    const stats = await client.api.GET("/api/v1/me/stats");
    assert.equal(stats.response.status, 200);
    assert.equal(stats.data!.xp, 5);
    assert.equal(stats.data!.completionsToday, 1);
    assert.equal(stats.data!.currentStreak, 1);
    assert.equal(stats.data!.xpToNext, 100);

    const habitStats = await client.api.GET("/api/v1/habits/{id}/stats", {
      params: { path: { id: habitId } },
    });
    assert.equal(habitStats.response.status, 200, JSON.stringify(habitStats.error));
    assert.equal(habitStats.data!.currentStreak, 1);
    assert.equal(habitStats.data!.history.length, 90);
    assert.ok(habitStats.data!.strength > 0 && habitStats.data!.strength <= 1);

    // A second completion of the same day is refused with a stable code.
    const again = await client.api.POST("/api/v1/nodes/{id}/complete", {
      params: { path: { id: habitId } },
      body: {},
    });
    assert.equal(again.response.status, 409);
    assert.equal(LifeosApiError.from(again.error, again.response).code, "already_completed");

    const undone = await client.api.DELETE("/api/v1/completions/{id}", {
      params: { path: { id } },
    });
    assert.equal(undone.response.status, 200, JSON.stringify(undone.error));
    assert.equal(undone.data!.xpReversed, 5);
    assert.equal(undone.data!.stats.xp, 0);
    assert.equal(undone.data!.stats.currentStreak, 0);

    const badges = await client.api.GET("/api/v1/me/badges");
    assert.deepEqual(badges.data!.map((b) => b.code), ["first_completion"], "badges are kept");
  });
});
