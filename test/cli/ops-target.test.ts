import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CliUsageError } from "../../lib/cli";
import { OpsTargetError, type OpsTargetOptionValues, resolveOpsTarget } from "../../lib/cli/ops-target";
import { aStack, describeStacksAnswer } from "../ops/stack-fixture";

const cloudFormation = mockClient(CloudFormationClient);

/** The option values of a command line that gives only these. */
function options(values: Partial<OpsTargetOptionValues>): OpsTargetOptionValues {
  return { local: false, ...values } as OpsTargetOptionValues;
}

beforeEach(() => {
  cloudFormation.reset();
  cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer());
});

describe("resolveOpsTarget against AWS", () => {
  it("reads the default stack's outputs in the region given", async () => {
    // Act
    const target = await resolveOpsTarget(options({ region: "eu-west-1" }), { env: {} });

    // Assess
    expect(target).toEqual({
      kind: "aws",
      clientConfig: { region: "eu-west-1" },
      resources: aStack(),
      label: 'stack "Eventrail" in eu-west-1',
    });
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: "Eventrail",
    });
  });

  it("looks up the stack named with --stack", async () => {
    await resolveOpsTarget(options({ region: "eu-west-1", stack: "Eventrail-staging" }), { env: {} });
    expect(cloudFormation.commandCalls(DescribeStacksCommand)[0]?.args[0].input).toEqual({
      StackName: "Eventrail-staging",
    });
  });

  it("uses the named profile's credentials, never the loopback placeholders", async () => {
    const target = await resolveOpsTarget(
      options({ region: "us-east-1", profile: "ops", endpoint: "http://127.0.0.1:5000" }),
      { env: {} },
    );
    expect(target.clientConfig).toEqual({
      region: "us-east-1",
      profile: "ops",
      endpoint: "http://127.0.0.1:5000",
    });
  });

  it.each([
    ["state-dir", ".eventrail"],
    ["cdk-out", "cdk.out"],
  ] as const)("refuses --%s without --local", async (option, value) => {
    const resolving = resolveOpsTarget(options({ region: "eu-west-1", [option]: value }), { env: {} });
    await expect(resolving).rejects.toThrow(CliUsageError);
    await expect(resolving).rejects.toThrow(
      `--${option} "${value}" applies only to the local pipeline; add --local`,
    );
  });
});

describe("resolveOpsTarget against the local pipeline", () => {
  let cwd: string;

  beforeEach(async () => {
    cwd = await mkdtemp(path.join(tmpdir(), "eventrail-ops-target-"));
  });

  afterEach(async () => {
    await rm(cwd, { recursive: true, force: true });
  });

  it("refuses --profile, which the local pipeline does not use", async () => {
    await expect(
      resolveOpsTarget(options({ local: true, profile: "ops" }), { env: {}, cwd }),
    ).rejects.toThrow('--profile "ops" does not apply to --local');
  });

  it("says how to get an assembly when cdk.out cannot be read", async () => {
    // Act
    const resolving = resolveOpsTarget(options({ local: true }), { env: {}, cwd, probe: async () => true });

    // Assess
    await expect(resolving).rejects.toThrow(CliUsageError);
    await expect(resolving).rejects.toThrow(
      new RegExp(`assembly in ${path.join(cwd, "cdk.out")} cannot be read .*run "npx eventrail local"`),
    );
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });
});

describe("resolveOpsTarget without credentials", () => {
  it("says where credentials come from", async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand).rejects(
      Object.assign(new Error("Could not load credentials from any providers"), {
        name: "CredentialsProviderError",
      }),
    );

    // Act
    const resolving = resolveOpsTarget(options({ region: "eu-west-1" }), { env: {} });

    // Assess
    await expect(resolving).rejects.toThrow(OpsTargetError);
    await expect(resolving).rejects.toThrow(
      "No AWS credentials found (Could not load credentials from any providers); pass --profile NAME, set AWS_PROFILE",
    );
  });
});
