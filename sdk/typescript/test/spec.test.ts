/**
 * The committed OpenAPI document (../../openapi/openapi.json, or $LIFEOS_SPEC) is a valid
 * OpenAPI 3.1 document that this SDK can be generated from.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import SwaggerParser from "@apidevtools/swagger-parser";

// dist/test/spec.test.js -> sdk/typescript/
const SDK_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SPEC = resolve(SDK_ROOT, process.env.LIFEOS_SPEC ?? "../../openapi/openapi.json");

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;

/** The endpoints the SDK wrapper (src/index.ts) and its tests rely on. */
const REQUIRED: Array<[string, (typeof METHODS)[number]]> = [
  ["/api/v1/auth/register", "post"],
  ["/api/v1/auth/login", "post"],
  ["/api/v1/auth/refresh", "post"],
  ["/api/v1/auth/logout", "post"],
  ["/api/v1/me", "get"],
  ["/api/v1/me", "patch"],
  ["/api/v1/me", "delete"],
  ["/api/v1/me/api-keys", "post"],
  ["/api/v1/me/export", "get"],
  ["/api/v1/hikes/import-gpx", "post"],
  ["/api/v1/integrations/apple-health/import", "post"],
];

interface Operation {
  operationId?: string;
  [key: string]: unknown;
}
type PathItem = Partial<Record<(typeof METHODS)[number], Operation>> & Record<string, unknown>;
interface Document {
  openapi?: unknown;
  paths?: Record<string, PathItem>;
  [key: string]: unknown;
}

function loadSpec(): Document {
  if (!existsSync(SPEC)) {
    assert.fail(
      `${SPEC} does not exist: generate it with \`lifeos openapi\` (e.g. cargo run -p lifeos-gateway -- openapi), ` +
        `or set LIFEOS_SPEC`,
    );
  }
  return JSON.parse(readFileSync(SPEC, "utf8")) as Document;
}

function operations(doc: Document): Array<{ path: string; method: string; op: Operation }> {
  const out: Array<{ path: string; method: string; op: Operation }> = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) out.push({ path, method, op });
    }
  }
  return out;
}

describe("openapi.json", () => {
  it("is OpenAPI 3.1", () => {
    const doc = loadSpec();
    assert.equal(typeof doc.openapi, "string");
    assert.ok(String(doc.openapi).startsWith("3.1"), `openapi is ${String(doc.openapi)}`);
  });

  it("validates against the OpenAPI 3.1 schema", async () => {
    loadSpec();
    // validate() parses from the file itself, resolves every $ref and checks the schema.
    await assert.doesNotReject(SwaggerParser.validate(SPEC));
  });

  it("gives every operation a unique operationId", () => {
    const ops = operations(loadSpec());
    assert.ok(ops.length > 0, "the spec has operations");
    const missing = ops.filter(({ op }) => typeof op.operationId !== "string" || op.operationId.length === 0);
    assert.deepEqual(
      missing.map(({ method, path }) => `${method.toUpperCase()} ${path}`),
      [],
      "operations without operationId",
    );
    const seen = new Map<string, string>();
    const duplicates: string[] = [];
    for (const { path, method, op } of ops) {
      const where = `${method.toUpperCase()} ${path}`;
      const id = op.operationId as string;
      const first = seen.get(id);
      if (first) duplicates.push(`${id}: ${first} and ${where}`);
      else seen.set(id, where);
    }
    assert.deepEqual(duplicates, [], "duplicate operationIds");
  });

  it("has the endpoints the SDK wraps, under /api/v1", () => {
    const doc = loadSpec();
    const missing = REQUIRED.filter(([path, method]) => !doc.paths?.[path]?.[method]).map(
      ([path, method]) => `${method.toUpperCase()} ${path}`,
    );
    assert.deepEqual(missing, [], "endpoints missing from the spec");
  });
});
