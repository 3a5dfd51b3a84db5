/**
 * Helpers for the endpoints whose request body is not JSON: a GPX file for a hike, an
 * Apple Health export. openapi-fetch would JSON-encode any body; these send the bytes as
 * they are, with the content type the operation states, and answer the typed JSON body
 * or throw `LifeosApiError` (the application/problem+json body) like the session helpers.
 */
import type { paths } from "./schema.js";
import { LifeosApiError, type LifeosClient, type ResponseOf } from "./index.js";

/** The query of `POST /api/v1/hikes/import-gpx`: `{ date?: "YYYY-MM-DD" }`. */
export type GpxImportQuery = NonNullable<paths["/api/v1/hikes/import-gpx"]["post"]["parameters"]["query"]>;
/** The hike a GPX import logged (201), distance and track computed from the file. */
export type ImportedHike = ResponseOf<"/api/v1/hikes/import-gpx", "post", 201>;
/** An Apple Health import as queued (202); poll `GET /api/v1/integrations/apple-health/imports/{id}`. */
export type AppleHealthImport = ResponseOf<"/api/v1/integrations/apple-health/import", "post", 202>;
/** `xml`: the `export.xml`; `zip`: the `export.zip` the Health app shares. */
export type AppleHealthExportKind = "xml" | "zip";

export interface UploadOptions {
  /** Sent as `Idempotency-Key`: a retry with the same key replays the first answer. */
  idempotencyKey?: string;
  signal?: AbortSignal;
}

const APPLE_HEALTH_CONTENT_TYPE: Record<AppleHealthExportKind, string> = {
  xml: "application/xml",
  zip: "application/zip",
};

/** The bytes go out as they are (openapi-fetch's default serializer would JSON-encode them). */
const asIs = (body: unknown): BodyInit => body as BodyInit;

function idempotencyHeader(options: UploadOptions | undefined): { "Idempotency-Key"?: string } {
  return options?.idempotencyKey === undefined ? {} : { "Idempotency-Key": options.idempotencyKey };
}

/**
 * `POST /api/v1/hikes/import-gpx` (201): logs a hike from a GPX 1.1 document (up to
 * 10 MiB) sent as `application/gpx+xml`. A malformed file throws `LifeosApiError` 422
 * `invalid_gpx`.
 *
 * ```ts
 * const hike = await importGpx(lifeos, await file.text(), { date: "2026-05-01" });
 * console.log(hike.distanceKm, hike.track?.type);
 * ```
 */
export async function importGpx(
  client: Pick<LifeosClient, "api">,
  gpx: string | Blob | Uint8Array,
  query?: GpxImportQuery,
  options?: UploadOptions,
): Promise<ImportedHike> {
  const { data, error, response } = await client.api.POST("/api/v1/hikes/import-gpx", {
    params: { query, header: idempotencyHeader(options) },
    // The operation's body is typed `string`; a Blob or bytes are sent the same way.
    body: gpx as string,
    bodySerializer: asIs,
    headers: { "Content-Type": "application/gpx+xml" },
    ...(options?.signal ? { signal: options.signal } : {}),
  });
  if (!response.ok || !data) throw LifeosApiError.from(error, response);
  return data;
}

function isStream(body: unknown): body is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== "undefined" && body instanceof ReadableStream;
}

/**
 * `POST /api/v1/integrations/apple-health/import` (202): uploads an Apple Health export
 * (`kind` `"zip"` for the `export.zip` the Health app shares, `"xml"` for the `export.xml`
 * inside it; up to 2 GiB). The import runs in the background: poll
 * `GET /api/v1/integrations/apple-health/imports/{id}` until its `status` is `done` or
 * `failed`. Needs the `health_data` consent (403 `consent_required`).
 *
 * A `ReadableStream` is streamed (never held in memory), so it cannot be sent twice: if
 * the access token expired meanwhile the 401 is thrown (the held session is refreshed
 * first, so calling again with a new stream succeeds). A Blob or bytes are re-sent once
 * after the refresh, like any other request.
 */
export async function importAppleHealth(
  client: Pick<LifeosClient, "api" | "tokens" | "refresh">,
  body: Blob | Uint8Array | ReadableStream<Uint8Array>,
  kind: AppleHealthExportKind,
  options?: UploadOptions,
): Promise<AppleHealthImport> {
  const contentType = APPLE_HEALTH_CONTENT_TYPE[kind];
  if (contentType === undefined) throw new TypeError(`kind must be "xml" or "zip", not ${String(kind)}`);
  const streamed = isStream(body);
  const send = () =>
    client.api.POST("/api/v1/integrations/apple-health/import", {
      params: { header: idempotencyHeader(options) },
      body,
      bodySerializer: asIs,
      headers: { "Content-Type": contentType },
      // Node's fetch needs `duplex: "half"` for a streamed request body.
      ...(streamed ? ({ duplex: "half" } as object) : {}),
      ...(options?.signal ? { signal: options.signal } : {}),
    });
  let { data, error, response } = await send();
  // The auth middleware does not keep a copy of this request for a retry (a copy of a
  // stream would buffer the whole upload): an expired access token is handled here.
  if (response.status === 401 && client.tokens() !== null) {
    let refreshed = false;
    try {
      await client.refresh();
      refreshed = true;
    } catch {
      // the refresh was refused: the original 401 stands
    }
    if (refreshed && !streamed) ({ data, error, response } = await send());
  }
  if (!response.ok || !data) throw LifeosApiError.from(error, response);
  return data;
}
