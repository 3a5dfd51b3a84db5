// tsc does not copy hand-written or generated .d.ts inputs to outDir; the emitted
// dist/src/index.d.ts imports "./schema.js", so ship the generated schema beside it.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "src", "schema.d.ts");
const to = join(root, "dist", "src", "schema.d.ts");
if (!existsSync(from)) {
  console.error("src/schema.d.ts is missing: run `npm run generate` first");
  process.exit(1);
}
mkdirSync(dirname(to), { recursive: true });
copyFileSync(from, to);
