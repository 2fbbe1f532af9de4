import { execFile } from "node:child_process";
import { cp, mkdir, mkdtemp, readdir, readFile, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalogNames, kebabCase, subscriptionNames } from "../../lib/scaffold/scaffold";

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, "../..");
let copy: string;

/** Runs `command` in the copy; resolves with its output, rejects with it (and the exit code) on failure. */
async function inCopy(command: string, args: readonly string[]): Promise<string> {
  const { stdout, stderr } = await run(command, [...args], {
    cwd: copy,
    timeout: 240_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CI: "true", NO_COLOR: "1", FORCE_COLOR: "0" },
  });
  return `${stdout}${stderr}`;
}

// The "done when", on a fresh copy of the repository: the two scaffolds with no other edit
// leave the typecheck, the synth (with the new rule, queue, DLQs and consumer) and the generated
// handler test passing.
beforeAll(async () => {
  copy = await mkdtemp(path.join(tmpdir(), "eventrail-scaffold-e2e-"));
  const { stdout } = await run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], {
    cwd: ROOT,
  });
  // (node_modules is linked below; a link to it can show as untracked where .gitignore names a folder.)
  for (const file of stdout.split("\0").filter((f) => f !== "" && f !== "node_modules")) {
    await mkdir(path.dirname(path.join(copy, file)), { recursive: true });
    await cp(path.join(ROOT, file), path.join(copy, file)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "ENOENT") throw error; // deleted in the work tree, not yet in git
    });
  }
  await symlink(path.join(ROOT, "node_modules"), path.join(copy, "node_modules"));
  await inCopy("node", ["scripts/build-cli.mjs", "--quiet"]);
}, 120_000);

afterAll(async () => {
  if (copy !== undefined) await rm(copy, { recursive: true, force: true });
});

/** `name`, or `name` with the first number that makes it new, where a copy already has it. */
function unused(name: string, taken: readonly string[]): string {
  let candidate = name;
  for (let n = 2; taken.includes(candidate); n += 1) candidate = `${name}${n}`;
  return candidate;
}

describe("eventrail new on a fresh copy of the project", () => {
  it("adds an event type and a subscription that typecheck, synthesize and pass their test", async () => {
    // Prepare: the names, unless this repository already has them (it was scaffolded itself).
    const eventTypeName = unused(
      "OrderShipped",
      catalogNames(await readFile(path.join(copy, "lib/catalog/index.ts"), "utf8")),
    );
    const subscriptionName = unused(
      "shipping",
      subscriptionNames(await readFile(path.join(copy, "lib/subscriptions.ts"), "utf8")),
    );

    // Act
    const eventType = await inCopy("node", [
      "dist/cli/eventrail.mjs",
      "new",
      "event-type",
      eventTypeName,
      "--source",
      "eventrail.shipping",
    ]);
    const subscription = await inCopy("node", [
      "dist/cli/eventrail.mjs",
      "new",
      "subscription",
      subscriptionName,
      "--consumes",
      "PaymentProcessed",
      "--publishes",
      eventTypeName,
    ]);
    await inCopy("npx", ["tsc", "--noEmit", "-p", "tsconfig.json"]);
    await inCopy("npx", [
      "biome",
      "check",
      "lib/catalog",
      "lib/subscriptions.ts",
      `lambdas/${subscriptionName}`,
      `test/lambdas/${subscriptionName}`,
    ]);
    await inCopy("npx", ["cdk", "synth", "--quiet", "--output", "cdk.out.scaffold"]);
    const handlerTest = await inCopy("npx", ["vitest", "run", `test/lambdas/${subscriptionName}`]);

    // Assess
    expect(eventType).toContain(`created lib/catalog/${kebabCase(eventTypeName)}.ts`);
    expect(subscription).toContain(`created lambdas/${subscriptionName}/handler.ts`);
    expect(subscription).toContain(`created test/lambdas/${subscriptionName}/handler.test.ts`);
    const templates = (await readdir(path.join(copy, "cdk.out.scaffold"))).filter((f) =>
      f.endsWith(".template.json"),
    );
    const resources = new Map<string, string>();
    for (const file of templates) {
      const template = JSON.parse(await readFile(path.join(copy, "cdk.out.scaffold", file), "utf8")) as {
        Resources: Record<string, { Type: string }>;
      };
      for (const [id, resource] of Object.entries(template.Resources)) resources.set(id, resource.Type);
    }
    const shipping = [...resources]
      .filter(([id]) => id.startsWith(`Subscription${subscriptionName.replaceAll("-", "")}`))
      .map(([, type]) => type);
    expect(shipping).toEqual(
      expect.arrayContaining([
        "AWS::Events::Rule",
        "AWS::SQS::Queue",
        "AWS::Lambda::Function",
        "AWS::Lambda::EventSourceMapping",
      ]),
    );
    // The queue, its DLQ and the rule-target DLQ.
    expect(shipping.filter((type) => type === "AWS::SQS::Queue")).toHaveLength(3);
    expect(handlerTest).toMatch(/Tests\s+2 passed/);
  }, 600_000);
});
