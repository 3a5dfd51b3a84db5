/**
 * The upload helpers against the real server: a GPX file becomes a hike with its distance
 * and GeoJSON track; an Apple Health export.xml with one HRV record is accepted and its
 * background import stores the sample. Errors arrive as `LifeosApiError`.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  createLifeosClient,
  importAppleHealth,
  importGpx,
  LifeosApiError,
  unwrap,
  type HealthImport,
  type Hike,
  type LifeosClient,
} from "../src/index.js";
import { PASSWORD, randomEmail, startServer, type RunningServer } from "./server.js";

let server: RunningServer | undefined;

/** Two points ~1.11 km apart (0.01° of latitude), a minute and a few metres of climb. */
const GPX = `<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="lifeos-sdk-test" xmlns="http://www.topografix.com/GPX/1/1">
  <trk><name>Morning walk</name><trkseg>
    <trkpt lat="47.000000" lon="11.000000"><ele>600</ele><time>2026-05-01T08:00:00Z</time></trkpt>
    <trkpt lat="47.005000" lon="11.000000"><ele>620</ele><time>2026-05-01T08:30:00Z</time></trkpt>
    <trkpt lat="47.010000" lon="11.000000"><ele>640</ele><time>2026-05-01T09:00:00Z</time></trkpt>
  </trkseg></trk>
</gpx>
`;

const HEALTH_XML = `<?xml version="1.0" encoding="UTF-8"?>
<HealthData locale="en_US">
 <ExportDate value="2026-05-02 09:00:00 +0200"/>
 <Me HKCharacteristicTypeIdentifierDateOfBirth=""/>
 <Record type="HKQuantityTypeIdentifierHeartRateVariabilitySDNN" sourceName="Watch" unit="ms" creationDate="2026-05-01 07:05:00 +0200" startDate="2026-05-01 07:00:00 +0200" endDate="2026-05-01 07:01:00 +0200" value="48.5"/>
</HealthData>
`;

async function user(baseUrl: string): Promise<LifeosClient> {
  const client = createLifeosClient({ baseUrl });
  await client.register({ email: randomEmail(), password: PASSWORD, displayName: "Uploads" });
  return client;
}

async function rejected(promise: Promise<unknown>, status: number, code: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof LifeosApiError, `expected LifeosApiError, got ${String(err)}`);
    assert.equal(err.status, status, JSON.stringify(err.problem));
    assert.equal(err.code, code, JSON.stringify(err.problem));
    return true;
  });
}

describe("upload helpers against the real server", () => {
  before(async () => {
    server = await startServer();
  });
  after(async () => {
    await server?.stop();
  });

  it("importGpx logs the hike with its distance and track", async () => {
    const client = await user(server!.baseUrl);
    const hike: Hike = await importGpx(client, GPX);
    assert.equal(hike.source, "gpx");
    assert.equal(hike.date, "2026-05-01");
    assert.ok(Math.abs(hike.distanceKm - 1.112) < 0.01, `distance ${hike.distanceKm}`);
    assert.equal(hike.elevationGainM, 40);
    assert.equal(hike.durationMinutes, 60);
    assert.equal(hike.track?.type, "LineString");
    assert.equal(hike.track?.coordinates.length, 3);

    // The listing shows it; bytes and a date in the query work as well.
    const page = unwrap(await client.api.GET("/api/v1/hikes"));
    assert.deepEqual(page.items.map((h) => h.id), [hike.id]);
    const again = await importGpx(client, new TextEncoder().encode(GPX), { date: "2026-05-03" });
    assert.equal(again.date, "2026-05-03");
    assert.equal(again.distanceKm, hike.distanceKm);

    await rejected(importGpx(client, "<gpx>not a track"), 422, "invalid_gpx");
  });

  it("importAppleHealth queues the export and its HRV record is imported", async () => {
    const client = await user(server!.baseUrl);
    const body = new TextEncoder().encode(HEALTH_XML);
    await rejected(importAppleHealth(client, body, "xml"), 403, "consent_required");

    unwrap(
      await client.api.PUT("/api/v1/me/consents/{purpose}", {
        params: { path: { purpose: "health_data" } },
        body: { granted: true },
      }),
    );
    const queued: HealthImport = await importAppleHealth(client, new Blob([body]), "xml");
    assert.equal(queued.status, "queued");
    assert.equal(queued.format, "xml");
    assert.equal(queued.bytesTotal, body.byteLength);

    let done: HealthImport = queued;
    for (let i = 0; i < 200 && done.status !== "done" && done.status !== "failed"; i++) {
      await new Promise((r) => setTimeout(r, 50));
      done = unwrap(
        await client.api.GET("/api/v1/integrations/apple-health/imports/{id}", {
          params: { path: { id: queued.id } },
        }),
      );
    }
    assert.equal(done.status, "done", JSON.stringify(done));
    assert.equal(done.imported, 1, JSON.stringify(done));
    assert.equal(done.skipped, 0, JSON.stringify(done));

    // A streamed body works too; the same record again is a duplicate.
    const stream = new Blob([body]).stream();
    const second = await importAppleHealth(client, stream, "xml");
    assert.equal(second.format, "xml");
  });
});
