import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const bin = fileURLToPath(new URL("../../bin/eventrail.ts", import.meta.url));
const run = promisify(execFile);

describe("bin/eventrail.ts", () => {
  it("runs the CLI and passes its exit code to the process", async () => {
    // Act
    const ok = await run(process.execPath, [
      "--import",
      "tsx",
      bin,
      "catalog",
      "--type",
      "OrderPlaced",
      "--json",
    ]);
    const failed = await run(process.execPath, ["--import", "tsx", bin, "no-such-command"]).catch(
      (error: { code: number; stderr: string }) => error,
    );

    // Assess
    expect(JSON.parse(ok.stdout)).toMatchObject({ eventTypes: [{ detailType: "OrderPlaced" }] });
    expect(failed).toMatchObject({
      code: 2,
      stderr: expect.stringContaining('Unknown command "no-such-command"'),
    });
  });
});
