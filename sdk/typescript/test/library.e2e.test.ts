/**
 * The health library through the SDK against the real server binary: search a food (with
 * typos), log a meal of it, and read the day's nutrition, computed from the food's values
 * per 100 g.
 *
 * The server is started by ./server.ts (binary: $LIFEOS_BIN or ../../target/debug/lifeos).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import { createLifeosClient, LifeosApiError } from "../src/index.js";
import { PASSWORD, randomEmail, startServer, type RunningServer } from "./server.js";

let server: RunningServer | undefined;
let baseUrl = "";

/** As the API rounds a portion's and a day's values: to 0.01. */
const round2 = (value: number) => Math.round(value * 100) / 100;

describe("the library through the SDK", () => {
  before(async () => {
    server = await startServer();
    baseUrl = server.baseUrl;
  });

  after(async () => {
    await server?.stop();
  });

  it("searches a food, logs a meal of it and reads the day's nutrition", async () => {
    const client = createLifeosClient({ baseUrl });
    await client.register({ email: randomEmail(), password: PASSWORD, displayName: "Meals" });

    // Typos and word order are tolerated.
    const found = await client.api.GET("/api/v1/library/foods", {
      params: { query: { q: "brest chiken", limit: 3 } },
    });
    assert.equal(found.response.status, 200, JSON.stringify(found.error));
    const food = found.data!.items[0];
    assert.ok(food, "a food is found");
    assert.equal(food.name, "Chicken, poultry, breast, skinless");
    assert.equal(food.foodGroup, "Poultry");
    assert.ok(food.energyKcal > 0 && food.proteinG > 0, JSON.stringify(food));
    assert.match(food.source, /IFCT/i);

    const byId = await client.api.GET("/api/v1/library/foods/{id}", {
      params: { path: { id: food.id } },
    });
    assert.equal(byId.response.status, 200, JSON.stringify(byId.error));
    assert.deepEqual(byId.data, food);

    // A minute ago (a meal cannot be in the future), on the new user's local day (UTC).
    const eatenAt = new Date(Date.now() - 60_000).toISOString();
    const date = eatenAt.slice(0, 10);
    const grams = 150;
    const meal = await client.api.POST("/api/v1/meals", {
      body: { eatenAt, name: "Lunch", items: [{ foodId: food.id, grams }] },
    });
    assert.equal(meal.response.status, 201, JSON.stringify(meal.error));
    // Per 100 g × grams / 100, in the server's order of operations (so the floats agree).
    const share = grams / 100;
    const energy = round2(food.energyKcal * share);
    const protein = round2(food.proteinG * share);
    assert.equal(meal.data!.energyKcal, energy);
    assert.equal(meal.data!.proteinG, protein);
    assert.equal(meal.data!.items.length, 1);

    const day = await client.api.GET("/api/v1/nutrition/daily", {
      params: { query: { date } },
    });
    assert.equal(day.response.status, 200, JSON.stringify(day.error));
    assert.equal(day.data!.date, date);
    assert.equal(day.data!.meals, 1);
    assert.equal(day.data!.energyKcal, energy);
    assert.equal(day.data!.proteinG, protein);
    assert.equal(day.data!.fatG, round2(food.fatG * share));
    assert.equal(day.data!.carbsG, round2(food.carbsG * share));
    // The day's nutrients are the food's per 100 g scaled to the portion, e.g. iron.
    const iron = food.nutrients["fe"];
    assert.ok(iron !== undefined && iron > 0, JSON.stringify(food.nutrients));
    assert.equal(day.data!.nutrients["fe"], round2((iron * grams) / 100));

    // A food the library does not hold is refused with the field.
    const unknown = await client.api.POST("/api/v1/meals", {
      body: {
        eatenAt,
        items: [{ foodId: "00000000-0000-4000-8000-000000000000", grams: 100 }],
      },
    });
    assert.equal(unknown.response.status, 422);
    const problem = LifeosApiError.from(unknown.error, unknown.response);
    assert.equal(problem.code, "validation_failed");
    assert.ok(
      JSON.stringify(unknown.error).includes("items[0].foodId"),
      JSON.stringify(unknown.error),
    );
  });
});
