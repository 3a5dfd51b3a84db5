/**
 * Starts and stops the real lifeos server binary for the end-to-end tests.
 *
 * Binary: $LIFEOS_BIN or ../../target/debug/lifeos (both resolved from sdk/typescript).
 * Build it with `cargo build -p lifeos-gateway`.
 *
 * Each call to `startServer` runs its own server on a free loopback port with a fresh
 * SQLite database in a temporary directory, so test files can run in parallel.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

// dist/test/server.js -> sdk/typescript/
const SDK_ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = resolve(SDK_ROOT, process.env.LIFEOS_BIN ?? "../../target/debug/lifeos");
const JWT_SECRET = "sdk-e2e-test-secret-0123456789abcdef0123456789abcdef0123456789ab"; // 64 chars
export const PASSWORD = "correct horse battery";
const HEALTH_TIMEOUT_MS = 30_000;

export interface RunningServer {
  /** Origin of the server, e.g. `http://127.0.0.1:41234`. */
  readonly baseUrl: string;
  /** The last 20 000 characters the server wrote to stdout and stderr. */
  log(): string;
  /** SIGTERM (SIGKILL after 5 s), then removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const address = srv.address();
      if (address === null || typeof address === "string") {
        srv.close();
        reject(new Error("could not read the ephemeral port"));
        return;
      }
      const { port } = address;
      srv.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitForHealth(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + HEALTH_TIMEOUT_MS;
  let last = "no answer yet";
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `lifeos exited early (code ${child.exitCode}, signal ${child.signalCode}); its output:\n${log()}`,
      );
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 200) return;
      last = `HTTP ${res.status}`;
      await res.body?.cancel();
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(100);
  }
  throw new Error(`GET ${url}/health did not answer 200 within 30 s (last: ${last}); output:\n${log()}`);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

/** Spawns `lifeos serve` on SQLite and resolves once GET /health answers 200. */
export async function startServer(): Promise<RunningServer> {
  if (!existsSync(BIN)) {
    throw new Error(
      `lifeos binary not found at ${BIN}: build it with cargo build -p lifeos-gateway ` +
        `(or point LIFEOS_BIN at it)`,
    );
  }
  const workDir = await mkdtemp(join(tmpdir(), "lifeos-sdk-e2e-"));
  let serverLog = "";
  const log = () => serverLog;
  let child: ChildProcess | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (child) await stopChild(child);
    await rm(workDir, { recursive: true, force: true });
  };

  try {
    const port = await freePort();
    const baseUrl = `http://127.0.0.1:${port}`;
    child = spawn(BIN, ["serve"], {
      cwd: workDir,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        DATABASE_URL: `sqlite://${join(workDir, "lifeos.db")}`,
        LIFEOS_BIND: `127.0.0.1:${port}`,
        LIFEOS_ENV: "dev",
        LIFEOS_JWT_SECRET: JWT_SECRET,
        LIFEOS_VAULT_KEYS: "sdk:a2tra2tra2tra2tra2tra2tra2tra2tra2tra2tra2s=",
        LIFEOS_MAIL_DIR: join(workDir, "mail"),
        LIFEOS_IMPORT_DIR: join(workDir, "imports"),
        LIFEOS_METRICS_BIND: "off",
        RUST_LOG: "warn",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (chunk: Buffer) => {
      serverLog = (serverLog + chunk.toString("utf8")).slice(-20_000);
    };
    child.stdout?.on("data", collect);
    child.stderr?.on("data", collect);
    child.on("error", (err) => collect(Buffer.from(`spawn error: ${err.message}\n`)));
    await waitForHealth(baseUrl, child, log);
    return { baseUrl, log, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function randomEmail(): string {
  return `sdk-${randomBytes(6).toString("hex")}@example.com`;
}
