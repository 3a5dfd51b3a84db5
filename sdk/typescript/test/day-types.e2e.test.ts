/**
 * Day types through the SDK against the real server binary: plan, record the actual type,
 * the one-entry-per-date rule, the range listing and the monthly plan-versus-actual report.
 *
 * The server is started by ./server.ts (binary: $LIFEOS_BIN or ../../target/debug/lifeos,
 * built with `cargo build -p lifeos-gateway`).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import { createLifeosClient, LifeosApiError } from "../src/index.js";
import { PASSWORD, randomEmail, startServer, type RunningServer } from "./server.js";

let server: RunningServer | undefined;
let baseUrl = "";

describe("day types through the SDK", () => {
  before(async () => {
    server = await startServer();
    baseUrl = server.baseUrl;
  });

  after(async () => {
    await server?.stop();
  });

  it("plans days, records actuals, refuses a second plan for a date, lists and reports a month", async () => {
    const client = createLifeosClient({ baseUrl });
    await client.register({ email: randomEmail(), password: PASSWORD, displayName: "Day types" });

    // plan 2026-02-02 as focus -> 201, no actual type yet
    const first = await (async () => {
      const { data, error, response } = await client.api.POST("/api/v1/day-types", {
        body: { date: "2026-02-02", plannedType: "focus" },
      });
      assert.equal(response.status, 201, JSON.stringify(error));
      assert.ok(data);
      assert.equal(data.date, "2026-02-02");
      assert.equal(data.plannedType, "focus");
      assert.equal(data.actualType, null);
      assert.equal(typeof data.id, "string");
      return data;
    })();

    // record that it turned out free -> 200
    {
      const { data, error, response } = await client.api.PATCH("/api/v1/day-types/{id}", {
        params: { path: { id: first.id } },
        body: { actualType: "free" },
      });
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.ok(data);
      assert.equal(data.id, first.id);
      assert.equal(data.date, "2026-02-02");
      assert.equal(data.plannedType, "focus");
      assert.equal(data.actualType, "free");
    }

    // plan 2026-02-03 as buffer, already known to be buffer -> 201
    const second = await (async () => {
      const { data, error, response } = await client.api.POST("/api/v1/day-types", {
        body: { date: "2026-02-03", plannedType: "buffer", actualType: "buffer" },
      });
      assert.equal(response.status, 201, JSON.stringify(error));
      assert.ok(data);
      assert.equal(data.date, "2026-02-03");
      assert.equal(data.plannedType, "buffer");
      assert.equal(data.actualType, "buffer");
      return data;
    })();

    // a second plan for 2026-02-02 -> 409 day_already_planned
    {
      const { data, error, response } = await client.api.POST("/api/v1/day-types", {
        body: { date: "2026-02-02", plannedType: "buffer" },
      });
      assert.equal(response.status, 409, JSON.stringify(error ?? data));
      assert.equal(data, undefined);
      assert.match(response.headers.get("content-type") ?? "", /application\/problem\+json/);
      const problem = LifeosApiError.from(error, response);
      assert.equal(problem.status, 409);
      assert.equal(problem.code, "day_already_planned");
    }

    // the month's report
    {
      const { data, error, response } = await client.api.GET("/api/v1/day-types/report/monthly", {
        params: { query: { month: "2026-02" } },
      });
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.ok(data);
      assert.equal(data.month, "2026-02");
      assert.deepEqual(data.plannedByType, { free: 0, focus: 1, buffer: 1 });
      assert.deepEqual(data.actualByType, { free: 1, focus: 0, buffer: 1 });
      assert.equal(data.daysWithBoth, 2);
      assert.equal(data.matched, 1);
      assert.equal(data.matchRate, 0.5);
      assert.equal(data.unplannedDays, 26);
      assert.equal(data.days.length, 2);
      assert.deepEqual(
        data.days.map((d) => d.date),
        ["2026-02-02", "2026-02-03"],
        "days ordered by date",
      );
      assert.deepEqual(data.days, [
        { date: "2026-02-02", plannedType: "focus", actualType: "free" },
        { date: "2026-02-03", plannedType: "buffer", actualType: "buffer" },
      ]);
    }

    // the range listing: both, ordered by date, one page
    {
      const { data, error, response } = await client.api.GET("/api/v1/day-types", {
        params: { query: { from: "2026-02-01", to: "2026-02-28" } },
      });
      assert.equal(response.status, 200, JSON.stringify(error));
      assert.ok(data);
      assert.equal(data.items.length, 2);
      assert.deepEqual(
        data.items.map((d) => [d.id, d.date, d.plannedType, d.actualType]),
        [
          [first.id, "2026-02-02", "focus", "free"],
          [second.id, "2026-02-03", "buffer", "buffer"],
        ],
      );
      assert.equal(data.nextCursor, null);
    }
  });
});
