/**
 * The SDK installs as the README says, in a fresh project: from the tarball `npm pack`
 * makes, and from its directory. Both start from a copy of the SDK's sources without
 * `node_modules` or `dist` (a fresh clone), so `prepare` must install the SDK's own
 * dependencies and build `dist/`. The project is an ES module (`"type": "module"`) whose
 * `index.ts` starts with the README's import line and uses named schema types; it must
 * pass `tsc --strict --noEmit` (module nodenext, the SDK's own tsc) and import at run time.
 *
 * npm runs with --prefer-offline: the packages come from the npm cache `npm ci` filled.
 */
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";

// dist/test/install.test.js -> sdk/typescript/
const SDK_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(SDK_ROOT, "node_modules", "typescript", "bin", "tsc");
const NPM_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline"];

const work = mkdtempSync(join(tmpdir(), "lifeos-sdk-install-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** The environment without what ties npm to the project running these tests (`npm test`). */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(config_local_prefix|command|lifecycle_|package_)/i.test(key)) delete env[key];
  }
  return env;
}

function run(command: string, args: string[], cwd: string): string {
  const result = spawnSync(command, args, { cwd, env: cleanEnv(), encoding: "utf8", timeout: 120_000 });
  assert.equal(
    result.status,
    0,
    `${[basename(command), ...args].join(" ")} in ${cwd} failed (${result.status ?? result.signal ?? result.error}):\n` +
      `${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/** npm, the same one that runs the tests when there is one. */
function npm(args: string[], cwd: string): string {
  const cli = process.env.npm_execpath;
  return cli && cli.endsWith(".js") && existsSync(cli)
    ? run(process.execPath, [cli, ...args], cwd)
    : run(process.platform === "win32" ? "npm.cmd" : "npm", args, cwd);
}

/** The SDK as a fresh clone has it: sources, scripts, lockfile; no node_modules, dist or tests. */
function freshCopy(name: string): string {
  const to = join(work, name);
  cpSync(SDK_ROOT, to, {
    recursive: true,
    filter: (from) => {
      const rel = from.slice(SDK_ROOT.length).split(/[\\/]/)[0];
      return !["node_modules", "dist", "test"].includes(rel ?? "") && !from.endsWith(".tgz");
    },
  });
  return to;
}

/** The first `import ... from "@lifeos/sdk";` line of the README. */
function readmeImportLine(): string {
  const readme = readFileSync(join(SDK_ROOT, "README.md"), "utf8");
  const line = readme.split("\n").find((l) => /^import .* from "@lifeos\/sdk";$/.test(l.trim()));
  assert.ok(line, "the README shows an import line from @lifeos/sdk");
  return line.trim();
}

// The README's line must bring createLifeosClient, LifeosApiError and unwrap; the rest is
// reached through a namespace import, so whatever else the line names cannot clash.
const INDEX_TS = `${readmeImportLine()}
import * as sdk from "@lifeos/sdk";

const lifeos = createLifeosClient({ baseUrl: "http://127.0.0.1:8080" });

export async function story(schemaChange: sdk.Schemas.Change): Promise<number> {
  const me = unwrap(await lifeos.api.GET("/api/v1/me"));
  const zone: string = me.timezone;
  const days: sdk.DayType[] = [];
  const page: sdk.HikePage = unwrap(await lifeos.api.GET("/api/v1/hikes"));
  const first: sdk.Hike | undefined = page.items[0];

  const hike = await sdk.importGpx(lifeos, "<gpx/>", { date: "2026-05-01" });
  const km: number = hike.distanceKm;
  // @ts-expect-error the distance is a number, not any
  const wrong: string = hike.distanceKm;
  const track: sdk.GeoJsonLine | null | undefined = hike.track;
  let points = 0;
  if (track?.type === "LineString") points = track.coordinates.length;
  else if (track?.type === "MultiLineString") points = track.coordinates.flat().length;

  const queued: sdk.AppleHealthImport = await sdk.importAppleHealth(lifeos, new Uint8Array(0), "xml");
  const polled: sdk.HealthImport = queued;

  const exported: sdk.Export = unwrap(await lifeos.api.GET("/api/v1/me/export"));
  const snapshot: sdk.Snapshot | undefined = exported.sync;
  const rows: Array<Record<string, unknown>> | undefined = exported.data["tracking"]?.["hikes"];
  const fields: Record<string, unknown> | null | undefined = schemaChange.data;
  const wire: sdk.Change = { entity: "hike", entityId: hike.id, op: "delete", version: 1, data: null };

  try {
    await lifeos.login("me@example.com", "wrong");
  } catch (e) {
    if (e instanceof LifeosApiError) return e.status;
  }
  return [zone, days, first, km, wrong, points, polled, snapshot, rows, wire, fields].length;
}
`;

/** A new ES-module project with `index.ts`; returns its directory. */
function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  npm(["init", "-y"], dir);
  npm(["pkg", "set", "type=module"], dir);
  writeFileSync(join(dir, "index.ts"), INDEX_TS);
  return dir;
}

/** `tsc --strict --noEmit` over index.ts, and the package's entry imported by node. */
function assertUsable(dir: string): void {
  run(
    process.execPath,
    [TSC, "--strict", "--noEmit", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "index.ts"],
    dir,
  );
  const probe =
    'const m = await import("@lifeos/sdk"); for (const f of ["createLifeosClient", "unwrap", "importGpx", "importAppleHealth", "OfflineClient"]) if (typeof m[f] !== "function") throw new Error(f + " is missing");';
  run(process.execPath, ["--input-type=module", "-e", probe], dir);
}

describe("the SDK installs as documented", { timeout: 180_000 }, () => {
  it("from the tarball npm pack makes", () => {
    const sdk = freshCopy("sdk-packed");
    const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", work, ...NPM_FLAGS], sdk)) as Array<{
      filename: string;
      files: Array<{ path: string }>;
    }>;
    const tarball = packed[0];
    assert.ok(tarball, "npm pack made a tarball");
    const files = tarball.files.map((f) => f.path).sort();
    for (const needed of ["dist/src/index.js", "dist/src/index.d.ts", "dist/src/schema.d.ts", "dist/src/types.d.ts", "dist/src/uploads.d.ts", "package.json", "README.md"]) {
      assert.ok(files.includes(needed), `the tarball holds ${needed}: ${files.join(", ")}`);
    }
    assert.deepEqual(
      files.filter((f) => !f.startsWith("dist/src/") && f !== "package.json" && f !== "README.md"),
      [],
      "the tarball holds the package only",
    );

    const dir = project("from-tarball");
    npm(["install", ...NPM_FLAGS, join(work, basename(tarball.filename))], dir);
    assert.ok(existsSync(join(dir, "node_modules", "openapi-fetch")), "its dependency is installed");
    assertUsable(dir);
  });

  it("from its directory (prepare installs its dependencies and builds dist/)", () => {
    const sdk = freshCopy("sdk-directory");
    const dir = project("from-directory");
    npm(["install", ...NPM_FLAGS, sdk], dir);
    assert.equal(realpathSync(join(dir, "node_modules", "@lifeos", "sdk")), realpathSync(sdk), "npm links the directory");
    assert.ok(existsSync(join(sdk, "dist", "src", "index.d.ts")), "prepare built dist/");
    assertUsable(dir);
  });
});
