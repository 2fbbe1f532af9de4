import { execFileSync } from "node:child_process";
import * as path from "node:path";

/**
 * Vitest global setup: builds the command line (dist/cli/, `npm run build:cli`) when it is missing or
 * older than its sources, so that tests spawning `eventrail` run the sources as they are.
 */
export default function setup(): void {
  const projectRoot = path.resolve(import.meta.dirname, "..", "..");
  execFileSync(process.execPath, ["scripts/build-cli.mjs", "--if-stale", "--quiet"], {
    cwd: projectRoot,
    stdio: "inherit",
  });
}

/** The built command line, as `npx eventrail` runs it. */
export const builtCli = path.resolve(import.meta.dirname, "..", "..", "dist", "cli", "eventrail.mjs");
