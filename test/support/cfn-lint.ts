import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);
const TIMEOUT_MS = 120_000;

/** What cfn-lint said of a template. */
export interface CfnLintResult {
  /** False when `cfn-lint` is not on PATH; then `findings` is empty and says nothing. */
  readonly available: boolean;
  /** One line per finding, `rule:line:column: message`, informational findings included. */
  readonly findings: string[];
}

function isMissingCommand(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === "ENOENT";
}

/**
 * Runs `cfn-lint` on a synthesized template (written to a temporary file) and returns its
 * findings. cfn-lint exits non-zero when it finds something, so its exit code is not an error
 * here; a missing binary is reported as `available: false` for the caller to print and skip.
 */
export async function runCfnLint(templateJson: object): Promise<CfnLintResult> {
  const dir = await mkdtemp(path.join(tmpdir(), "eventrail-cfn-lint-"));
  const file = path.join(dir, "template.json");
  try {
    await writeFile(file, JSON.stringify(templateJson, null, 2));
    let stdout: string;
    try {
      ({ stdout } = await run("cfn-lint", ["--format", "parseable", file], { timeout: TIMEOUT_MS }));
    } catch (error) {
      if (isMissingCommand(error)) return { available: false, findings: [] };
      const failed = error as { stdout?: string; stderr?: string; code?: number };
      if (failed.stdout === undefined || (failed.stdout === "" && failed.stderr)) {
        throw new Error(`cfn-lint failed to run (exit ${failed.code}): ${failed.stderr ?? ""}`, {
          cause: error,
        });
      }
      stdout = failed.stdout;
    }
    const findings = stdout
      .split("\n")
      .filter((line) => line.trim().length > 0)
      .map((line) => {
        // parseable: <file>:<line>:<column>:<end line>:<end column>:<rule>:<message>
        const [, lineNo, column, , , rule, ...message] = line.slice(file.length).split(":");
        return `${rule}:${lineNo}:${column}: ${message.join(":")}`;
      });
    return { available: true, findings };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
