// Validates an OpenAPI document (3.0 or 3.1) with @apidevtools/swagger-parser.
// Usage: node scripts/validate-spec.mjs [path]   (default ../../openapi/openapi.json)
import SwaggerParser from "@apidevtools/swagger-parser";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const file = resolve(root, process.argv[2] ?? "../../openapi/openapi.json");
if (!existsSync(file)) {
  console.error(`${file} does not exist: generate it with \`lifeos openapi\` (cargo run -p lifeos-gateway -- openapi)`);
  process.exit(1);
}
const doc = JSON.parse(readFileSync(file, "utf8"));
if (typeof doc.openapi !== "string" || !doc.openapi.startsWith("3.1")) {
  console.error(`${file}: expected an OpenAPI 3.1 document, found openapi=${JSON.stringify(doc.openapi)}`);
  process.exit(1);
}
try {
  const api = await SwaggerParser.validate(file);
  const ops = Object.values(api.paths ?? {}).flatMap((item) =>
    ["get", "put", "post", "delete", "options", "head", "patch", "trace"].filter((m) => item && item[m]),
  );
  console.log(`${file}: valid OpenAPI ${doc.openapi} (${Object.keys(api.paths ?? {}).length} paths, ${ops.length} operations)`);
} catch (err) {
  console.error(`${file}: invalid: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
