// Builds the eventrail command line from its TypeScript sources into dist/cli/ (npm run build:cli;
// npm ci runs it as `prepare`), so that `npx eventrail` never compiles at start.
//
//   node scripts/build-cli.mjs             build
//   node scripts/build-cli.mjs --if-stale  build only when a source is newer than the build (tests)
//   node scripts/build-cli.mjs --quiet     say nothing unless it fails
//   node scripts/build-cli.mjs --if-esbuild  without esbuild (npm ci --omit=dev), say so and succeed
//
// - One ES module bundle, split per command: lib/cli/index.ts imports each command with import(), so
//   a command loads its own chunk and nothing of the others'.
// - Every package of node_modules stays external: the SDK clients, zod, DuckDB (native), the CDK and
//   dynalite load from node_modules, and only when a command imports them. Bundling the SDK clients in
//   was measured: `status --local` took 0.20 s instead of 0.26 s (node started directly), small beside
//   the 0.5 s npx adds; kept external for one copy of the SDK (the one the Lambda workers' runtime
//   modules and the tests' mocks use) and no CommonJS shims in the bundle.
// - `new URL("./x", import.meta.url)` and `import.meta.dirname` in lib/ name files next to the source
//   (the Lambda worker scripts, package.json, the project root): they are rewritten to resolve from
//   the bundle to the same file of the package, so lib/local/lambda/lambda-worker.mjs and
//   runtime-modules-hook.mjs run from where they are, never copied.
// - eventrail.build.json lists the sources read, per command; the CLI refuses to run a command whose
//   sources are newer than the build, naming the command that rebuilds it (lib/cli/build-freshness.ts).
import { chmod, mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const outdir = path.join(root, "dist", "cli");
const entry = path.join(root, "bin", "eventrail.ts");
const ENTRY_OUTPUT = "eventrail.mjs";
const MANIFEST = "eventrail.build.json";
/** Chunks of earlier builds are deleted once this old: a CLI started before the build may still import them. */
const OLD_CHUNK_GRACE_MS = 60 * 60 * 1000;

const args = new Set(process.argv.slice(2));
const quiet = args.has("--quiet");

if (args.has("--if-stale") && !(await isStale())) process.exit(0);
await buildCli();

/** Whether the bundle is missing or older than a source it was built from. */
async function isStale() {
  let manifest;
  try {
    manifest = JSON.parse(await readFile(path.join(outdir, MANIFEST), "utf8"));
    await stat(path.join(outdir, ENTRY_OUTPUT));
  } catch {
    return true;
  }
  const base = path.resolve(outdir, manifest.root);
  for (const source of manifest.sources) {
    const info = await stat(path.join(base, source)).catch(() => undefined);
    if (info === undefined || info.mtimeMs > manifest.startedAtMs) return true;
  }
  return false;
}

async function buildCli() {
  const startedAtMs = Date.now();
  let esbuild;
  try {
    esbuild = await import("esbuild");
  } catch (error) {
    if (args.has("--if-esbuild")) {
      process.stderr.write(
        'eventrail: esbuild (a devDependency) is not installed, so the command line was not built; "npm ci" builds it.\n',
      );
      return;
    }
    throw new Error(`esbuild is missing (a devDependency): run "npm ci" first. (${error.message})`);
  }
  const result = await esbuild.build({
    entryPoints: { eventrail: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    outExtension: { ".js": ".mjs" },
    // Beside the entry, so that a path relative to any output file is relative to them all.
    chunkNames: "[name]-[hash]",
    banner: { js: "#!/usr/bin/env node" },
    sourcemap: "linked",
    sourcesContent: false,
    legalComments: "none",
    metafile: true,
    write: false,
    logLevel: "warning",
    plugins: [withoutEntryShebang(), sourceRelativeUrls()],
  });

  // Chunks first, the entry last and by rename: a CLI starting meanwhile sees the old build or the new.
  const files = [...result.outputFiles].sort(
    (a, b) => Number(path.basename(a.path) === ENTRY_OUTPUT) - Number(path.basename(b.path) === ENTRY_OUTPUT),
  );
  const written = new Set();
  for (const file of files) {
    await mkdir(path.dirname(file.path), { recursive: true });
    const temporary = `${file.path}.${process.pid}.tmp`;
    await writeFile(temporary, file.contents);
    if (path.basename(file.path) === ENTRY_OUTPUT) await chmod(temporary, 0o755);
    await rename(temporary, file.path);
    written.add(file.path);
  }
  const manifest = {
    root: relativePath(outdir, root),
    startedAtMs,
    ...sourcesByCommand(result.metafile),
  };
  await writeFile(path.join(outdir, MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  await removeOldChunks(written);

  if (!quiet) {
    const size = files.reduce((sum, file) => sum + file.contents.byteLength, 0);
    const rel = path.relative(process.cwd(), path.join(outdir, ENTRY_OUTPUT));
    process.stdout.write(
      `built ${rel} (${files.length} files, ${(size / 1024).toFixed(0)} KiB, ${manifest.sources.length} sources) in ${Date.now() - startedAtMs} ms\n`,
    );
  }
}

function relativePath(from, to) {
  return path.relative(from, to).split(path.sep).join("/");
}

/**
 * The sources of the build for the staleness check, relative to the root: `sources` all of them,
 * `entry` those of the entry and what it imports statically (what every command runs), and per
 * command (`commands.status`, ...) those of its chunk and every chunk it imports, dynamically too,
 * less the entry's. A command is refused only when what it runs changed.
 */
function sourcesByCommand(metafile) {
  const toRoot = (input) => relativePath(root, path.resolve(process.cwd(), input));
  const ownSource = (input) => !input.startsWith("node_modules/") && !input.startsWith("..");
  const outputs = metafile.outputs;
  const closure = (start, kinds) => {
    const seen = new Set();
    const queue = [start];
    while (queue.length > 0) {
      const output = queue.pop();
      if (seen.has(output) || outputs[output] === undefined) continue;
      seen.add(output);
      for (const imported of outputs[output].imports) {
        if (!imported.external && kinds.includes(imported.kind)) queue.push(imported.path);
      }
    }
    const inputs = new Set();
    for (const output of seen) {
      for (const input of Object.keys(outputs[output].inputs)) {
        const source = toRoot(input);
        if (ownSource(source)) inputs.add(source);
      }
    }
    return inputs;
  };
  const entryOutput = Object.keys(outputs).find(
    (output) => outputs[output].entryPoint !== undefined && path.basename(output) === ENTRY_OUTPUT,
  );
  const entry = closure(entryOutput, ["import-statement"]);
  const commands = {};
  for (const [output, info] of Object.entries(outputs)) {
    const command = /^lib\/cli\/commands\/([a-z-]+)\.ts$/.exec(
      info.entryPoint ? toRoot(info.entryPoint) : "",
    )?.[1];
    if (command === undefined) continue;
    commands[command] = [...closure(output, ["import-statement", "dynamic-import"])]
      .filter((s) => !entry.has(s))
      .sort();
  }
  const sources = [...new Set(Object.keys(metafile.inputs).map(toRoot).filter(ownSource))].sort();
  return { sources, entry: [...entry].sort(), commands };
}

async function removeOldChunks(written) {
  const names = await readdir(outdir).catch(() => []);
  for (const name of names) {
    const file = path.join(outdir, name);
    if (written.has(file) || !/\.mjs(\.map)?$/.test(name)) continue;
    const info = await stat(file).catch(() => undefined);
    if (info !== undefined && Date.now() - info.mtimeMs > OLD_CHUNK_GRACE_MS) await rm(file, { force: true });
  }
}

/** The entry's own shebang (tsx, for running it from the sources) gives way to the banner's (node). */
function withoutEntryShebang() {
  return {
    name: "without-entry-shebang",
    setup(build) {
      build.onLoad({ filter: /[\\/]bin[\\/]eventrail\.ts$/ }, async (load) => ({
        contents: (await readFile(load.path, "utf8")).replace(/^#!.*/, ""),
        loader: "ts",
        resolveDir: path.dirname(load.path),
      }));
    },
  };
}

/**
 * Rewrites, in the sources under lib/, `new URL("<relative>", import.meta.url)` and
 * `import.meta.dirname`/`import.meta.filename` so that they name the same file as in the sources
 * once bundled into dist/cli/ (where import.meta.url is the chunk's). A bare `import.meta.url`
 * elsewhere would silently name the chunk: the build fails on it, naming the line.
 */
function sourceRelativeUrls() {
  return {
    name: "source-relative-urls",
    setup(build) {
      build.onLoad({ filter: /[\\/]lib[\\/].*\.ts$/ }, async (load) => {
        const original = await readFile(load.path, "utf8");
        if (!original.includes("import.meta")) return undefined;
        const sourceDir = path.dirname(load.path);
        // Every output file (entry and chunks) is in outdir.
        const fromChunk = (target) => {
          const relative = path.relative(outdir, target).split(path.sep).join("/");
          return relative.startsWith(".") ? relative : `./${relative}`;
        };
        let contents = original.replace(
          /new URL\(\s*(["'])([^"']+)\1\s*,\s*import\.meta\.url\s*\)/g,
          (_match, _quote, relative) => {
            const target = path.resolve(sourceDir, relative);
            // Keep a trailing slash: new URL("./", ...) names a folder.
            const rebased = fromChunk(target) + (relative.endsWith("/") ? "/" : "");
            return `new URL(${JSON.stringify(rebased)}, import.meta.url)`;
          },
        );
        const sourceFile = JSON.stringify(fromChunk(load.path));
        let helpers = false;
        contents = contents.replace(/import\.meta\.(dirname|filename)\b/g, (_match, which) => {
          helpers = true;
          const file = `__eventrailFileURLToPath(new URL(${sourceFile}, import.meta.url))`;
          return which === "dirname" ? `__eventrailDirname(${file})` : file;
        });
        const problems = withoutStringsAndComments(contents)
          .split("\n")
          .map((code, index) => ({ code, line: contents.split("\n")[index] ?? "", index }))
          .filter(({ code }) =>
            code
              .replace(/new URL\(\s*(["'])[^"']*\1\s*,\s*import\.meta\.url\s*\)/g, "")
              .includes("import.meta.url"),
          );
        if (problems.length > 0) {
          return {
            errors: problems.map(({ line, index }) => ({
              text: 'import.meta.url would name the bundle\'s chunk, not this source: write new URL("./relative", import.meta.url)',
              location: { file: load.path, line: index + 1, lineText: line },
            })),
          };
        }
        if (helpers) {
          // At the end: imports are hoisted, and the source's line numbers stay as they are.
          contents +=
            '\nimport { dirname as __eventrailDirname } from "node:path";\nimport { fileURLToPath as __eventrailFileURLToPath } from "node:url";\n';
        }
        return { contents, loader: "ts", resolveDir: sourceDir };
      });
    },
  };
}

/** `code` with the text of its string literals and comments blanked (lines kept), for searching code only. */
function withoutStringsAndComments(code) {
  return code.replace(
    /\/\/[^\n]*|\/\*[\s\S]*?\*\/|"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g,
    (token) => {
      const blank = token.replace(/[^\n]/g, " ");
      return /^["'`]/.test(token) ? `${token[0]}${blank.slice(1, -1)}${token[0]}` : blank;
    },
  );
}
