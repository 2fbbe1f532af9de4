import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { synthesizeAssembly } from "../lib/local/synthesize";
import type { Bench, BenchRow } from "./table";

/**
 * The built command line as operators run it: whole processes (`npx eventrail ...`), each command run
 * RUNS times in turn with `aws --version` (A B A B ...), so the two medians come from the same minutes
 * of a noisy machine. `status --local` runs against a local pipeline started from the built CLI on the
 * example app (synthesized once, untimed). npx itself costs about half a second here (it resolves the
 * project's own bin through its cache on every call), so the same `--help` is also timed through
 * `npm run` and as a linked bin runs it (`npm link`: the built file, executed directly).
 */

const RUNS = 7;
const HELP_TARGET_SECONDS = 0.5;
const COMMAND_TARGET_SECONDS = 1;

const projectRoot = path.resolve(import.meta.dirname, "..");
const builtCli = path.join(projectRoot, "dist", "cli", "eventrail.mjs");

interface Timed {
  readonly label: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Seconds, each run. */
  readonly seconds: number[];
}

/** Builds the CLI when a source is newer than the build (another edit while the bench runs). */
function buildIfStale(): void {
  const build = spawnSync(process.execPath, ["scripts/build-cli.mjs", "--if-stale", "--quiet"], {
    cwd: projectRoot,
    stdio: "inherit",
  });
  if (build.status !== 0) throw new Error("npm run build:cli failed");
}

/** Runs the command once, to its end; resolves with its wall time in seconds. */
function timeOnce(timed: Timed, retried = false): number {
  const started = performance.now();
  const result = spawnSync(timed.command, timed.args, {
    cwd: projectRoot,
    env: { ...process.env, ...timed.env },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const seconds = (performance.now() - started) / 1000;
  if (!retried && result.status === 1 && result.stderr.includes("older than its sources")) {
    buildIfStale();
    return timeOnce(timed, true);
  }
  if (result.error !== undefined || result.status !== 0) {
    throw new Error(
      `${timed.label} failed (exit ${result.status}): ${result.error?.message ?? result.stderr.slice(0, 500)}`,
    );
  }
  return seconds;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

function hasAwsCli(): boolean {
  return spawnSync("aws", ["--version"], { stdio: "ignore" }).status === 0;
}

/** Starts `eventrail local` from the built CLI; resolves with its endpoint once it is ready. */
async function startLocal(
  cdkOutDir: string,
  stateDir: string,
): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(
    process.execPath,
    [
      builtCli,
      "local",
      "--port",
      "0",
      "--no-synth",
      "--quiet",
      "--cdk-out",
      cdkOutDir,
      "--state-dir",
      stateDir,
    ],
    { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) => reject(new Error(`eventrail local exited with ${code}:\n${output}`)));
  });
  return { child, endpoint };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

const cliBench: Bench = async () => {
  buildIfStale();
  const cdkOutDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-cli-assembly-"));
  const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-cli-state-"));
  let local: { child: ChildProcess; endpoint: string } | undefined;
  try {
    synthesizeAssembly(projectRoot, cdkOutDir);
    local = await startLocal(cdkOutDir, stateDir);
    const localEnv = {
      AWS_ENDPOINT_URL: local.endpoint,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
    const localTarget = ["--local", "--cdk-out", cdkOutDir, "--state-dir", stateDir];
    const timed = (
      label: string,
      command: string,
      args: readonly string[],
      env?: NodeJS.ProcessEnv,
    ): Timed => ({
      label,
      command,
      args,
      ...(env === undefined ? {} : { env }),
      seconds: [],
    });
    const aws = hasAwsCli() ? timed("aws --version", "aws", ["--version"]) : undefined;
    const commands = [
      timed("npx eventrail --help", "npx", ["eventrail", "--help"]),
      timed("npm run eventrail -- --help", "npm", ["run", "--silent", "eventrail", "--", "--help"]),
      timed("dist/cli/eventrail.mjs --help (a linked bin: npm link)", builtCli, ["--help"]),
      timed("npx eventrail catalog --json", "npx", ["eventrail", "catalog", "--json"]),
      timed(
        "npx eventrail status --local (running pipeline)",
        "npx",
        ["eventrail", "status", ...localTarget],
        localEnv,
      ),
      timed(
        "npx eventrail dlq list --local (running pipeline)",
        "npx",
        ["eventrail", "dlq", "list", ...localTarget],
        localEnv,
      ),
      timed("npx eventrail audit list", "npx", ["eventrail", "audit", "list"]),
    ];

    // A warm-up of each, then the runs in turn with the AWS CLI.
    for (const command of [...(aws === undefined ? [] : [aws]), ...commands]) timeOnce(command);
    for (let run = 0; run < RUNS; run++) {
      for (const command of commands) {
        if (aws !== undefined) aws.seconds.push(timeOnce(aws));
        command.seconds.push(timeOnce(command));
      }
    }

    const awsMedian = aws === undefined ? undefined : median(aws.seconds);
    const beside = awsMedian === undefined ? "" : ` (aws --version ${awsMedian.toFixed(2)} s)`;
    const rows: BenchRow[] = [];
    if (awsMedian !== undefined) {
      rows.push({
        group: "cli",
        metric: `aws --version, the reference, median of ${aws?.seconds.length}`,
        value: awsMedian,
        unit: "s",
      });
    }
    for (const command of commands) {
      const value = median(command.seconds);
      const isHelp = command.args.includes("--help");
      const target = isHelp
        ? command.command === "npx"
          ? HELP_TARGET_SECONDS
          : undefined
        : COMMAND_TARGET_SECONDS;
      rows.push({
        group: "cli",
        metric: `${command.label}, median of ${RUNS}${beside}`,
        value,
        unit: "s",
        ...(target === undefined
          ? {}
          : {
              target: `${target === HELP_TARGET_SECONDS ? "<=" : "<"} ${target} s`,
              met: target === HELP_TARGET_SECONDS ? value <= target : value < target,
            }),
      });
    }
    return rows;
  } finally {
    if (local !== undefined) await stop(local.child);
    await rm(cdkOutDir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
};

export default cliBench;
