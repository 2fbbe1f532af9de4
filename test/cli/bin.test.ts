import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { builtCli } from "../support/build-cli";

const run = promisify(execFile);
const recordImports = fileURLToPath(new URL("../fixtures/record-imports.mjs", import.meta.url));
let runtimeDir: string;

beforeAll(async () => {
  runtimeDir = await mkdtemp(path.join(tmpdir(), "eventrail-bin-"));
});

afterAll(async () => {
  await rm(runtimeDir, { recursive: true, force: true });
});

/** Runs the built CLI with `args`; resolves with its exit code, output and the packages it imported. */
async function eventrail(
  ...args: string[]
): Promise<{ code: number; stdout: string; stderr: string; imported: string[] }> {
  const result = await run(process.execPath, ["--import", recordImports, builtCli, ...args], {
    env: { ...process.env, EVENTRAIL_RUNTIME_DIR: runtimeDir, AWS_ENDPOINT_URL: "" },
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  const imported = [...result.stderr.matchAll(/^IMPORT (\S+)$/gm)].map((m) => m[1] as string);
  const stderr = result.stderr.replace(/^IMPORT \S+\n/gm, "");
  return { code: result.code, stdout: result.stdout, stderr, imported: [...new Set(imported)].sort() };
}

describe("the built command line (dist/cli/eventrail.mjs)", () => {
  it("runs a command and passes its exit code to the process", async () => {
    // Act
    const ok = await eventrail("catalog", "--type", "OrderPlaced", "--json");
    const failed = await eventrail("no-such-command");

    // Assess
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ eventTypes: [{ detailType: "OrderPlaced" }] });
    expect(failed.code).toBe(2);
    expect(failed.stderr).toContain('Unknown command "no-such-command"');
  });

  it("prints --help without importing a single package", async () => {
    const help = await eventrail("--help");

    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: eventrail <command>/);
    expect(help.imported).toEqual([]);
  });

  it.each([
    { args: ["catalog", "--json"], imported: ["zod"] },
    { args: ["audit", "list"], imported: [] },
    { args: ["status", "--help"], imported: ["@aws-sdk/client-eventbridge", "@aws-sdk/client-sqs"] },
    {
      args: ["status", "--local", "--endpoint", "http://127.0.0.1:9"],
      imported: ["@aws-sdk/client-eventbridge", "@aws-sdk/client-sqs"],
    },
    { args: ["dlq", "--help"], imported: ["@aws-sdk/client-sqs"] },
  ])("imports only what $args uses: $imported", async ({ args, imported }) => {
    const result = await eventrail(...args);
    expect(result.imported).toEqual(imported);
  });
});
