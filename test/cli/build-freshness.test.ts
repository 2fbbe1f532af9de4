import { mkdir, mkdtemp, rm, utimes, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BUILD_MANIFEST_NAME, type BuildManifest, staleBuildProblem } from "../../lib/cli/build-freshness";

let root: string;
let bundleUrl: string;
const builtAt = new Date("2026-03-01T10:00:00Z");

async function source(relative: string, modified: Date): Promise<void> {
  const file = path.join(root, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, "// source\n");
  await utimes(file, modified, modified);
}

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), "eventrail-build-"));
  const bundleDir = path.join(root, "dist", "cli");
  await mkdir(bundleDir, { recursive: true });
  bundleUrl = pathToFileURL(path.join(bundleDir, "eventrail.mjs")).href;
  const manifest: BuildManifest = {
    root: "../..",
    startedAtMs: builtAt.getTime(),
    sources: ["bin/eventrail.ts", "lib/cli/commands/status.ts", "lib/local/local-pipeline.ts"],
    entry: ["bin/eventrail.ts"],
    commands: { status: ["lib/cli/commands/status.ts"], local: ["lib/local/local-pipeline.ts"] },
  };
  await writeFile(path.join(bundleDir, BUILD_MANIFEST_NAME), JSON.stringify(manifest));
  const before = new Date(builtAt.getTime() - 60_000);
  for (const file of manifest.sources) await source(file, before);
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("staleBuildProblem", () => {
  it("lets a build run whose sources are older than it", () => {
    expect(staleBuildProblem(bundleUrl, "status")).toBeUndefined();
    expect(staleBuildProblem(bundleUrl, "--help")).toBeUndefined();
  });

  it("refuses a command whose sources changed since the build, with the command that rebuilds it", async () => {
    // Prepare
    await source("lib/local/local-pipeline.ts", new Date(builtAt.getTime() + 1_000));

    // Act
    const problem = staleBuildProblem(bundleUrl, "local");

    // Assess
    expect(problem).toMatch(
      /^eventrail: the built command line in .*dist\/cli \(built 2026-03-01 10:00:00 UTC\) is older than its sources \(lib\/local\/local-pipeline\.ts changed since\): run "npm run build:cli" \(or "npm ci"\), then the command again\.$/,
    );
    // Commands that do not run the changed source still run.
    expect(staleBuildProblem(bundleUrl, "status")).toBeUndefined();
  });

  it("refuses every command when the entry changed, and when a source is gone", async () => {
    await source("bin/eventrail.ts", new Date(builtAt.getTime() + 1_000));
    expect(staleBuildProblem(bundleUrl, "--help")).toContain("(bin/eventrail.ts changed since)");

    await rm(path.join(root, "bin", "eventrail.ts"));
    expect(staleBuildProblem(bundleUrl, "status")).toContain("(bin/eventrail.ts was removed since)");
  });

  it("checks nothing when run from the sources (no manifest beside it)", () => {
    expect(staleBuildProblem(pathToFileURL(path.join(root, "bin", "eventrail.ts")).href)).toBeUndefined();
  });
});
