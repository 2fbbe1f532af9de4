import * as path from "node:path";
import { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { DEFAULT_LOCAL_ENDPOINT, LocalModelError, loadLocalModel } from "../local/assembly";
import { defaultStateDir } from "../local/local-pipeline";
import type { LocalPipelineModel } from "../local/model";
import {
  DEFAULT_STACK_NAME,
  describeStackResources,
  type StackResources,
  stackResourcesFromOutputs,
} from "../ops/stack-resources";
import { type AwsClientConfig, awsClientConfig, requireRegion } from "./aws-client-config";
import { CliUsageError, type OptionSpecs, type OptionValues } from "./command";

/**
 * The options every operations command (`replay`, `dlq`, `status`, `audit`, ...) takes to say which
 * pipeline it works on. Spread them into a command's `options`:
 * `options: { ...opsTargetOptions, json: {...} }`.
 */
export const opsTargetOptions = {
  local: {
    type: "boolean",
    description: `Work on the local pipeline (eventrail local) at ${DEFAULT_LOCAL_ENDPOINT}, its outputs read from cdk.out.`,
  },
  endpoint: {
    type: "string",
    valueName: "URL",
    description:
      "With --local: the local pipeline's endpoint. Without: an AWS-compatible endpoint (outputs from its CloudFormation).",
  },
  region: { type: "string", valueName: "R", description: "AWS region (default: AWS_REGION / profile)." },
  profile: { type: "string", valueName: "NAME", description: "AWS profile of the shared config files." },
  stack: {
    type: "string",
    valueName: "NAME",
    description: `The pipeline stack whose outputs name the resources (default "${DEFAULT_STACK_NAME}"; with --local: the assembly's only stack).`,
  },
  "state-dir": {
    type: "string",
    valueName: "DIR",
    description: "With --local: the local pipeline's state folder (default .eventrail/).",
  },
  "cdk-out": {
    type: "string",
    valueName: "DIR",
    description: "With --local: the cloud assembly the local pipeline runs (default cdk.out/).",
  },
} as const satisfies OptionSpecs;

/** The pipeline cannot be reached as the options say: no credentials for AWS. */
export class OpsTargetError extends Error {
  public override readonly name = "OpsTargetError";
}

/** The parsed values of {@link opsTargetOptions} (a command's values include them). */
export type OpsTargetOptionValues = OptionValues<typeof opsTargetOptions>;

/** The usage-line fragment for {@link opsTargetOptions}. */
export const OPS_TARGET_USAGE = "[--local [--endpoint URL] | --region R [--profile NAME] [--stack NAME]]";

/** AWS SDK v3 client settings for the target: spread into any client's constructor. */
export interface OpsClientConfig extends AwsClientConfig {
  /** A profile of the shared config files. @default - the SDK's default chain */
  readonly profile?: string;
}

/** The pipeline an operations command works on, resolved from the command line. */
export interface OpsTarget {
  /** `local`: the local pipeline; `aws`: an AWS account (or an AWS-compatible endpoint). */
  readonly kind: "local" | "aws";
  /** Settings for every SDK client the command creates: `new SQSClient(target.clientConfig)`. */
  readonly clientConfig: OpsClientConfig;
  /** The stack's resources, from its outputs. */
  readonly resources: StackResources;
  /** The local pipeline's state folder (audit files live under `<stateDir>/s3/`). Local only. */
  readonly stateDir?: string;
  /** Names the target in human output, e.g. `local pipeline at http://127.0.0.1:4010`. */
  readonly label: string;
}

/** What {@link resolveOpsTarget} may be given besides the options; tests replace them. */
export interface ResolveOpsTargetContext {
  /** The environment AWS settings are read from. */
  readonly env: NodeJS.ProcessEnv;
  /** Relative `--state-dir` and `--cdk-out` are resolved against it. @default process.cwd() */
  readonly cwd?: string;
  /**
   * Answers whether something listens on the local endpoint.
   * @default - an HTTP request with a 2-second timeout
   */
  readonly probe?: (endpoint: string) => Promise<boolean>;
}

/**
 * Resolves `--local`/`--endpoint`/`--region`/`--profile`/`--stack`/`--state-dir`/`--cdk-out` into
 * client settings and the stack's resources: from the local model (`--local`, no call made but a
 * probe of the endpoint) or from CloudFormation DescribeStacks (the default credential chain).
 *
 * @throws CliUsageError for options that contradict each other, a missing region or a local
 *   pipeline that does not answer
 * @throws StackResourcesError when the stack or its outputs cannot be read
 * @throws OpsTargetError when no AWS credentials can be found
 */
export async function resolveOpsTarget(
  options: OpsTargetOptionValues,
  context: ResolveOpsTargetContext,
): Promise<OpsTarget> {
  const cwd = context.cwd ?? process.cwd();
  if (!options.local) {
    for (const localOnly of ["state-dir", "cdk-out"] as const) {
      if (options[localOnly] !== undefined) {
        throw new CliUsageError(
          `--${localOnly} "${options[localOnly]}" applies only to the local pipeline; add --local, or drop --${localOnly}.`,
        );
      }
    }
    return resolveAwsTarget(options, context.env);
  }
  if (options.profile !== undefined) {
    throw new CliUsageError(
      `--profile "${options.profile}" does not apply to --local (the local pipeline takes any credentials); drop one of them.`,
    );
  }
  const endpoint = (options.endpoint ?? DEFAULT_LOCAL_ENDPOINT).replace(/\/+$/, "");
  const cdkOutDir = path.resolve(cwd, options["cdk-out"] ?? "cdk.out");
  let model: LocalPipelineModel;
  try {
    model = await loadLocalModel({ cdkOutDir, endpoint, stackName: options.stack });
  } catch (error) {
    if (error instanceof LocalModelError) {
      throw new CliUsageError(
        `The local pipeline's assembly in ${cdkOutDir} cannot be read (${error.message.split("\n")[0]}); run "npx eventrail local" (which synthesizes it) or pass --cdk-out DIR.`,
        { cause: error },
      );
    }
    throw error;
  }
  const probe = context.probe ?? answersHttp;
  if (!(await probe(endpoint))) {
    throw new CliUsageError(
      `Nothing answers on ${endpoint}: start the local pipeline with "npx eventrail local", or pass --endpoint URL where it runs.`,
    );
  }
  const clientConfig: OpsClientConfig = {
    ...awsClientConfig({ endpoint, region: options.region ?? model.region }, {}),
  };
  return {
    kind: "local",
    clientConfig,
    resources: stackResourcesFromOutputs(
      model.stackName,
      model.outputs,
      `The local assembly's stack "${model.stackName}"`,
    ),
    stateDir: path.resolve(cwd, options["state-dir"] ?? defaultStateDir(cwd)),
    label: `local pipeline at ${endpoint}`,
  };
}

async function resolveAwsTarget(options: OpsTargetOptionValues, env: NodeJS.ProcessEnv): Promise<OpsTarget> {
  const base = awsClientConfig({ endpoint: options.endpoint, region: options.region }, env);
  // A named profile brings its own credentials: never replace them with the loopback placeholders.
  const clientConfig: OpsClientConfig =
    options.profile === undefined
      ? base
      : {
          ...(base.endpoint === undefined ? {} : { endpoint: base.endpoint }),
          ...(base.region === undefined ? {} : { region: base.region }),
          profile: options.profile,
        };
  const cloudFormation = new CloudFormationClient(clientConfig);
  try {
    const region = await requireRegion(cloudFormation);
    const stackName = options.stack ?? DEFAULT_STACK_NAME;
    const resources = await describeStackResources(cloudFormation, stackName).catch((error: unknown) => {
      if (error instanceof Error && error.name === "CredentialsProviderError") {
        throw new OpsTargetError(
          `No AWS credentials found (${error.message.split("\n")[0]}); pass --profile NAME, set AWS_PROFILE or AWS_ACCESS_KEY_ID, or run "aws sso login".`,
          { cause: error },
        );
      }
      throw error;
    });
    return {
      kind: "aws",
      clientConfig: { ...clientConfig, region },
      resources,
      label: `stack "${stackName}" in ${region}${options.endpoint === undefined ? "" : ` at ${options.endpoint}`}`,
    };
  } finally {
    cloudFormation.destroy();
  }
}

async function answersHttp(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}
