import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type { Bench, BenchRow } from "./table";

const TARGET_SECONDS = 30;

/**
 * Cold `cdk synth` of the example app: a fresh `npx cdk synth` process into an empty output folder,
 * so TypeScript loading, bundling every consumer with esbuild, cdk-nag and CloudFormation
 * validation are all counted. No credentials, no network, no Docker.
 */
const synthBench: Bench = async () => {
  const outdir = mkdtempSync(path.join(tmpdir(), "eventrail-bench-synth-"));
  const started = performance.now();
  const result = spawnSync("npx", ["cdk", "synth", "--quiet", "--output", outdir], {
    cwd: path.resolve(import.meta.dirname, ".."),
    env: {
      ...process.env,
      AWS_ACCESS_KEY_ID: "",
      AWS_SECRET_ACCESS_KEY: "",
      AWS_PROFILE: "",
      CDK_DISABLE_VERSION_CHECK: "1",
    },
    encoding: "utf8",
  });
  const seconds = (performance.now() - started) / 1000;
  rmSync(outdir, { recursive: true, force: true });
  if (result.status !== 0) {
    throw new Error(`cdk synth failed (exit ${result.status}):\n${result.stderr}`);
  }
  const rows: BenchRow[] = [
    {
      group: "cdk",
      metric: "cold synth of the example app",
      value: seconds,
      unit: "s",
      target: `< ${TARGET_SECONDS} s`,
      met: seconds < TARGET_SECONDS,
    },
  ];
  return rows;
};

export default synthBench;
