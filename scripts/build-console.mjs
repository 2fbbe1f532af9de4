// Builds the local console's browser app (console/) into dist/console/: one bundled, minified ES
// module with Preact, plus the page and its stylesheet. Offline and fast; run by `npm ci` (prepare)
// and `npm run build:console`. Every asset is served by the local pipeline itself.
import { copyFile, mkdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}dist/console`;
const quiet = process.argv.includes("--quiet");

await mkdir(out, { recursive: true });
await build({
  entryPoints: [`${root}console/app.mjs`],
  outfile: `${out}/app.js`,
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2022",
  minify: true,
  sourcemap: true,
  logLevel: quiet ? "warning" : "info",
});
await copyFile(`${root}console/index.html`, `${out}/index.html`);
await copyFile(`${root}console/app.css`, `${out}/app.css`);
if (!quiet) console.log(`console built into ${out}`);
