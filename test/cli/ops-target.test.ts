import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { CliUsageError } from "../../lib/cli";
import {
  locateLocalState,
  OpsTargetError,
  type OpsTargetOptionValues,
  resolveOpsTarget,
} from "../../lib/cli/ops-target";
import { writeRuntimeInfo } from "../../lib/local/runtime-info";
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

  describe("the running pipeline", () => {
    let runtimeDir: string;
    let env: NodeJS.ProcessEnv;

    beforeEach(async () => {
      runtimeDir = await mkdtemp(path.join(tmpdir(), "eventrail-ops-runtime-"));
      env = { EVENTRAIL_RUNTIME_DIR: runtimeDir };
    });

    afterEach(async () => {
      await rm(runtimeDir, { recursive: true, force: true });
    });

    it("reads the assembly the pipeline on the endpoint runs, from its runtime file", async () => {
      // Prepare
      const cdkOutDir = path.join(cwd, "elsewhere", "cdk.out");
      await writeRuntimeInfo({ endpoint: "http://127.0.0.1:4010", stateDir: "/tmp/x", cdkOutDir }, env);

      // Act
      const resolving = resolveOpsTarget(options({ local: true }), { env, cwd, probe: async () => true });

      // Assess
      await expect(resolving).rejects.toThrow(`assembly in ${cdkOutDir} cannot be read`);
    });

    it("talks to AWS_ENDPOINT_URL when it is on this machine, else to the default endpoint", async () => {
      // Prepare
      const probed: string[] = [];
      const probe = async (endpoint: string) => {
        probed.push(endpoint);
        return false;
      };

      // Act
      for (const endpointUrl of ["http://127.0.0.1:4566/", "https://events.eu-west-1.amazonaws.com"]) {
        await resolveOpsTarget(options({ local: true }), {
          env: { ...env, AWS_ENDPOINT_URL: endpointUrl },
          cwd,
          probe,
        }).catch(() => undefined);
      }

      // Assess
      expect(probed).toEqual(["http://127.0.0.1:4566", "http://127.0.0.1:4010"]);
    });

    it("names the pipelines running elsewhere when nothing answers on the endpoint", async () => {
      // Prepare
      await writeRuntimeInfo({ endpoint: "http://127.0.0.1:4566", stateDir: "/tmp/x" }, env);

      // Act
      const resolving = resolveOpsTarget(options({ local: true }), { env, cwd, probe: async () => false });

      // Assess
      await expect(resolving).rejects.toThrow(
        'Nothing answers on http://127.0.0.1:4010: start the local pipeline with "npx eventrail local", or pass --endpoint URL where it runs. Running elsewhere: http://127.0.0.1:4566 (state /tmp/x); pass --endpoint http://127.0.0.1:4566 or export AWS_ENDPOINT_URL=http://127.0.0.1:4566.',
      );
    });

    it("finds the state folder: --state-dir, else the running pipeline's, else ./.eventrail with a note", async () => {
      // Prepare
      const endpoint = "http://127.0.0.1:4010";
      const request = { endpoint, env, cwd };

      // Act
      const none = locateLocalState({ ...request, stateDir: undefined });
      await writeRuntimeInfo({ endpoint, stateDir: "/tmp/running" }, env);
      const running = locateLocalState({ ...request, stateDir: undefined });
      const given = locateLocalState({ ...request, stateDir: "mine" });

      // Assess
      expect(none).toEqual({
        stateDir: path.join(cwd, ".eventrail"),
        source: "default",
        note: `No running local pipeline found for ${endpoint} (no runtime file in ${runtimeDir}): reading ./.eventrail (${path.join(cwd, ".eventrail")}); pass --state-dir DIR for another.`,
      });
      expect(running).toMatchObject({ stateDir: "/tmp/running", source: "running-pipeline" });
      expect(given).toMatchObject({ stateDir: path.join(cwd, "mine"), source: "option" });
    });
  });

  it("says how to get an assembly when cdk.out cannot be read", async () => {
    // Act
    const env = { EVENTRAIL_RUNTIME_DIR: path.join(cwd, "no-pipeline-runs") };
    const resolving = resolveOpsTarget(options({ local: true }), { env, cwd, probe: async () => true });

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
