// `npm run prepare`: builds the package, dist/src (.js, .d.ts and the generated schema.d.ts).
//
// npm runs `prepare` after a plain `npm install` / `npm ci` here, before `npm pack` and
// `npm publish`, and in this directory when another project installs it as a directory
// (`npm install path/to/sdk/typescript`, which links the folder) or from git. In that last
// case the SDK's own dependencies may be missing (a fresh clone): tsc is a devDependency,
// and a linked package resolves its runtime dependency (openapi-fetch) from this folder.
// So they are installed first, exactly as package-lock.json pins them.
import { spawnSync } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const installed = (name) => existsSync(join(root, "node_modules", name, "package.json"));

function run(command, args) {
  // Their output goes to stderr, so `npm pack --json` still prints JSON alone.
  const result = spawnSync(command, args, { cwd: root, stdio: ["ignore", 2, 2], env: childEnv() });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`prepare: ${[command, ...args].join(" ")} failed (${result.status ?? result.signal})`);
    process.exit(result.status ?? 1);
  }
}

/** The environment without what ties a nested npm to the project that is installing us. */
function childEnv() {
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_(config_local_prefix|command|lifecycle_|package_)/i.test(key)) delete env[key];
  }
  return env;
}

if (!installed("typescript") || !installed("openapi-fetch")) {
  console.error("prepare: installing the SDK's dependencies (npm ci) to build it");
  const npm = process.env.npm_execpath;
  const args = ["ci", "--ignore-scripts", "--no-audit", "--no-fund"];
  if (npm && existsSync(npm)) run(process.execPath, [npm, ...args]);
  else run(process.platform === "win32" ? "npm.cmd" : "npm", args);
}

rmSync(join(root, "dist", "src"), { recursive: true, force: true });
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(root, "tsconfig.build.json")]);
run(process.execPath, [join(root, "scripts", "copy-schema.mjs")]);
