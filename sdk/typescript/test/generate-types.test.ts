/**
 * scripts/generate-types.mjs: the alias names, the failure on a collision, and the
 * self-referring schema made a type alias.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

// dist/test/generate-types.test.js -> sdk/typescript/
const SDK_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const SCRIPT = join(SDK_ROOT, "scripts", "generate-types.mjs");
const dir = mkdtempSync(join(tmpdir(), "lifeos-sdk-types-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function generate(schemas: Record<string, unknown>, schemaDts = "export interface components {}\n") {
  const spec = join(dir, "spec.json");
  const types = join(dir, "types.ts");
  const dts = join(dir, "schema.d.ts");
  writeFileSync(spec, JSON.stringify({ openapi: "3.1.0", components: { schemas } }));
  writeFileSync(dts, schemaDts);
  const run = spawnSync(process.execPath, [SCRIPT, spec, types, dts], { encoding: "utf8" });
  return { status: run.status, stderr: run.stderr, types: () => readFileSync(types, "utf8"), dts: () => readFileSync(dts, "utf8") };
}

describe("generate-types", () => {
  it("names domain, page and bare schemas", () => {
    const out = generate({ "tracking.DayType": {}, "Page_tracking.Hike": {}, Page_Device: {}, Snapshot: {} });
    assert.equal(out.status, 0, out.stderr);
    const text = out.types();
    assert.match(text, /^export type DayType = components\["schemas"\]\["tracking\.DayType"\];$/m);
    assert.match(text, /^export type HikePage = components\["schemas"\]\["Page_tracking\.Hike"\];$/m);
    assert.match(text, /^export type DevicePage = components\["schemas"\]\["Page_Device"\];$/m);
    assert.match(text, /^export type Snapshot = components\["schemas"\]\["Snapshot"\];$/m);
  });

  it("fails on a collision and names both schemas", () => {
    const out = generate({ "tracking.Day": {}, "library.Day": {}, "Page_tracking.Day": {}, DayPage: {} });
    assert.equal(out.status, 1);
    assert.match(out.stderr, /Day: "tracking\.Day" and "library\.Day"/);
    assert.match(out.stderr, /DayPage: "Page_tracking\.Day" and "DayPage"/);
  });

  it("makes a self-referring schema a type alias", () => {
    const dts = [
      "export interface components {",
      "    schemas: {",
      '        "kernel.JsonValue": string | components["schemas"]["kernel.JsonValue"][] | {',
      '            [key: string]: components["schemas"]["kernel.JsonValue"];',
      "        };",
      '        "kernel.Scope": "read" | "write";',
      "    };",
      "}",
      "",
    ].join("\n");
    const out = generate({ "kernel.JsonValue": {}, "kernel.Scope": {} }, dts);
    assert.equal(out.status, 0, out.stderr);
    const text = out.dts();
    assert.match(text, /^ {8}"kernel\.JsonValue": Recursive_JsonValue;$/m);
    assert.match(text, /^type Recursive_JsonValue = string \| Recursive_JsonValue\[\] \| \{\n {4}\[key: string\]: Recursive_JsonValue;\n\};$/m);
    assert.match(text, /^ {8}"kernel\.Scope": "read" \| "write";$/m);
  });
});
