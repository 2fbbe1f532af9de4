import { readFileSync, statSync } from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The command line ships as a JavaScript bundle (`npm run build:cli`, run by `npm ci`), so it never
 * compiles TypeScript at start. The build writes this manifest next to the bundle: when it started and
 * the sources it read, per command; a command whose sources changed since (an edit, a `git pull`) is
 * refused, with the command that rebuilds the bundle, instead of running code that is not the sources'.
 */
export const BUILD_MANIFEST_NAME = "eventrail.build.json";

/** What `scripts/build-cli.mjs` writes. */
export interface BuildManifest {
  /** The package root, relative to the bundle's folder. */
  readonly root: string;
  /** When the build started, epoch milliseconds: a source changed after it is newer than the bundle. */
  readonly startedAtMs: number;
  /** Every source file bundled, relative to the root. */
  readonly sources: readonly string[];
  /** The sources every command runs: the entry and what it imports statically. */
  readonly entry: readonly string[];
  /** By command name, the other sources it runs (its chunk and every chunk that one imports). */
  readonly commands: Readonly<Record<string, readonly string[]>>;
}

/** The command that rebuilds the bundle. */
export const BUILD_COMMAND = "npm run build:cli";

/**
 * One line saying why the bundle at `bundleUrl` must be rebuilt before running `command` (one of its
 * sources newer than the build, or gone), or undefined when they are current or it is not a build (no
 * manifest next to it: run from the sources, e.g. with tsx). Reads one small file and stats the
 * command's sources: about a millisecond.
 *
 * @param command the first argument, e.g. `status`; anything else checks what `--help` runs
 */
export function staleBuildProblem(bundleUrl: string, command?: string): string | undefined {
  let bundleDir: string;
  try {
    bundleDir = path.dirname(fileURLToPath(bundleUrl));
  } catch {
    return undefined;
  }
  let manifest: BuildManifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(bundleDir, BUILD_MANIFEST_NAME), "utf8")) as BuildManifest;
  } catch {
    return undefined;
  }
  const root = path.resolve(bundleDir, manifest.root);
  const built = new Date(manifest.startedAtMs).toISOString().replace("T", " ").slice(0, 19);
  const where = path.relative(process.cwd(), bundleDir) || ".";
  const own =
    command === undefined || !Object.hasOwn(manifest.commands ?? {}, command)
      ? []
      : manifest.commands[command];
  for (const source of [...(manifest.entry ?? manifest.sources), ...(own ?? [])]) {
    const info = statSync(path.join(root, source), { throwIfNoEntry: false });
    if (info === undefined || info.mtimeMs > manifest.startedAtMs) {
      const change = info === undefined ? "was removed" : "changed";
      return `eventrail: the built command line in ${where} (built ${built} UTC) is older than its sources (${source} ${change} since): run "${BUILD_COMMAND}" (or "npm ci"), then the command again.`;
    }
  }
  return undefined;
}
