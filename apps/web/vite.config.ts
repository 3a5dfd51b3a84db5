/**
 * Vite builds the app into dist/. One small plugin finishes the service worker: it copies
 * public/sw.js with the list of every emitted file (the app shell to precache) and a
 * version made from their names, so a new build installs a new cache.
 */
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { defineConfig, type Plugin } from "vite";

function precacheServiceWorker(): Plugin {
  let outDir = "dist";
  const files: string[] = [];
  return {
    name: "lifeos-precache-sw",
    apply: "build",
    configResolved(config) {
      outDir = resolve(config.root, config.build.outDir);
    },
    generateBundle(_options, bundle) {
      for (const name of Object.keys(bundle)) {
        if (!name.endsWith(".map")) files.push(`/${name}`);
      }
    },
    writeBundle() {
      const sw = join(outDir, "sw.js");
      if (!existsSync(sw)) throw new Error("public/sw.js was not copied into dist/");
      const shell = ["/", "/manifest.webmanifest", "/icon-192.png", "/icon-512.png", ...files.filter((f) => f !== "/index.html")];
      const version = createHash("sha256").update(shell.join("\n")).digest("hex").slice(0, 12);
      const text = readFileSync(sw, "utf8")
        .replace('"__PRECACHE__"', JSON.stringify(shell))
        .replace('"__VERSION__"', JSON.stringify(version));
      writeFileSync(sw, text);
    },
  };
}

export default defineConfig({
  base: "/",
  build: {
    target: "es2022",
    sourcemap: false,
    // No inline <script>/<style> and no data: modules: the page runs under script-src 'self'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  plugins: [precacheServiceWorker()],
});
