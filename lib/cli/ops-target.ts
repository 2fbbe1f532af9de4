import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import * as path from "node:path";
import { DEFAULT_LOCAL_ENDPOINT, LocalModelError, loadLocalModel } from "../local/assembly";
import type { LocalPipelineModel } from "../local/model";
import {
  DEFAULT_STATE_DIR_NAME,
  defaultStateDir,
  endpointPort,
  type LocalRuntimeInfo,
  listRunningPipelines,
  readRuntimeInfo,
  runtimeInfoDir,
} from "../local/runtime-info";
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
    description: `Work on the local pipeline (eventrail local) at AWS_ENDPOINT_URL when it is on this machine, else ${DEFAULT_LOCAL_ENDPOINT}.`,
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
    description: "With --local: the local pipeline's state folder (default: the running pipeline's).",
  },
  "cdk-out": {
    type: "string",
    valueName: "DIR",
    description:
      "With --local: the cloud assembly the local pipeline runs (default: the running pipeline's).",
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
  /** How {@link stateDir} was found. Local only. */
  readonly stateDirSource?: LocalStateLocation["source"];
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
  /**
   * Receives a line for the user when the local state folder is a guess (no `--state-dir`, and the
   * pipeline did not say where its state is).
   * @default - nothing is said (the target's label still says it)
   */
  readonly notice?: (line: string) => void;
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
  // An endpoint (AWS_ENDPOINT_URL or --endpoint) on which a local pipeline of this machine runs is
  // that pipeline: its model and state folder serve every command, as with --local.
  const pointed = options.endpoint ?? context.env.AWS_ENDPOINT_URL;
  if (
    !options.local &&
    options.profile === undefined &&
    pointed !== undefined &&
    isLoopback(pointed) &&
    runningPipelineAt(pointed.replace(/\/+$/, ""), context.env) !== undefined
  ) {
    return resolveOpsTarget({ ...options, local: true, endpoint: pointed }, context);
  }
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
  const endpoint = localPipelineEndpoint(options.endpoint, context.env);
  const running = runningPipelineAt(endpoint, context.env);
  // First: "nothing runs there" is the likelier trouble, and says what to do.
  const probe = context.probe ?? answersHttp;
  if (!(await probe(endpoint))) {
    throw new CliUsageError(
      `Nothing answers on ${endpoint}: start the local pipeline with "npx eventrail local", or pass --endpoint URL where it runs.${otherPipelines(endpoint, context.env)}`,
    );
  }
  const cdkOutDir = path.resolve(cwd, options["cdk-out"] ?? running?.cdkOutDir ?? "cdk.out");
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
  const state = locateLocalState({
    stateDir: options["state-dir"],
    endpoint,
    env: context.env,
    cwd,
    running,
  });
  if (state.note !== undefined) context.notice?.(state.note);
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
    stateDir: state.stateDir,
    stateDirSource: state.source,
    label: `local pipeline at ${endpoint}${state.source === "default" ? `, state assumed in ${state.stateDir}` : ""}`,
  };
}

/** Where the local pipeline keeps its state, and how that was found. */
export interface LocalStateLocation {
  /** Absolute. */
  readonly stateDir: string;
  /**
   * `option`: --state-dir; `running-pipeline`: the runtime file of the pipeline on the endpoint;
   * `default`: `./.eventrail`, because no pipeline on the endpoint said where its state is.
   */
  readonly source: "option" | "running-pipeline" | "default";
  /** For `default`: one line saying so, and how to choose. */
  readonly note?: string;
  /** The pipeline running on the endpoint, as its runtime file says; absent when none does. */
  readonly running?: LocalRuntimeInfo;
}

/**
 * The local pipeline's endpoint: `--endpoint`, else `AWS_ENDPOINT_URL` when it points at this
 * machine (what `eventrail local` tells to export), else the default.
 */
export function localPipelineEndpoint(endpointOption: string | undefined, env: NodeJS.ProcessEnv): string {
  const fromEnv = env.AWS_ENDPOINT_URL;
  const chosen =
    endpointOption ?? (fromEnv !== undefined && isLoopback(fromEnv) ? fromEnv : DEFAULT_LOCAL_ENDPOINT);
  return chosen.replace(/\/+$/, "");
}

/**
 * The local state folder for a `--local` command: `--state-dir`, else the state folder of the
 * pipeline running on `endpoint` (its runtime file), else `./.eventrail` with a note saying that
 * no running pipeline said so.
 */
export function locateLocalState(request: {
  readonly stateDir: string | undefined;
  readonly endpoint: string;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** The pipeline on `endpoint`, when the caller already looked. @default - read here */
  readonly running?: LocalRuntimeInfo;
}): LocalStateLocation {
  const running = request.running ?? runningPipelineAt(request.endpoint, request.env);
  const found = running === undefined ? {} : { running };
  if (request.stateDir !== undefined) {
    return { stateDir: path.resolve(request.cwd, request.stateDir), source: "option", ...found };
  }
  if (running !== undefined) return { stateDir: running.stateDir, source: "running-pipeline", running };
  const stateDir = defaultStateDir(request.cwd);
  const relative = `./${DEFAULT_STATE_DIR_NAME}`;
  return {
    stateDir,
    source: "default",
    note: `No running local pipeline found for ${request.endpoint} (no runtime file in ${runtimeInfoDir(request.env)}): reading ${relative} (${stateDir}); pass --state-dir DIR for another.${otherPipelines(request.endpoint, request.env)}`,
  };
}

function runningPipelineAt(endpoint: string, env: NodeJS.ProcessEnv): LocalRuntimeInfo | undefined {
  const port = endpointPort(endpoint);
  return port === undefined ? undefined : readRuntimeInfo(port, env);
}

/** Names the local pipelines running on other endpoints, for an error or note about `endpoint`. */
function otherPipelines(endpoint: string, env: NodeJS.ProcessEnv): string {
  const port = endpointPort(endpoint);
  const others = listRunningPipelines(env).filter((info) => info.port !== port);
  if (others.length === 0) return "";
  const listed = others.map((info) => `${info.endpoint} (state ${info.stateDir})`).join(", ");
  const [first] = others;
  return ` Running elsewhere: ${listed}; pass --endpoint ${first?.endpoint} or export AWS_ENDPOINT_URL=${first?.endpoint}.`;
}

function isLoopback(endpoint: string): boolean {
  try {
    const host = new URL(endpoint).hostname;
    return host === "127.0.0.1" || host === "localhost" || host === "[::1]" || host === "::1";
  } catch {
    return false;
  }
}

async function resolveAwsTarget(options: OpsTargetOptionValues, env: NodeJS.ProcessEnv): Promise<OpsTarget> {
  // AWS_ENDPOINT_URL is the SDK's own override; naming it here gives a loopback endpoint the
  // placeholder credentials an emulator takes, and the errors below the endpoint's name.
  const base = awsClientConfig(
    { endpoint: options.endpoint ?? env.AWS_ENDPOINT_URL, region: options.region },
    env,
  );
  // A named profile brings its own credentials: never replace them with the loopback placeholders.
  const clientConfig: OpsClientConfig =
    options.profile === undefined
      ? base
      : {
          ...(base.endpoint === undefined ? {} : { endpoint: base.endpoint }),
          ...(base.region === undefined ? {} : { region: base.region }),
          profile: options.profile,
        };
  // Loaded here: local targets and commands that fail earlier never pay for the client.
  const { CloudFormationClient } = await import("@aws-sdk/client-cloudformation");
  const cloudFormation = new CloudFormationClient(clientConfig);
  try {
    const region = await requireRegion(cloudFormation);
    const stackName = options.stack ?? DEFAULT_STACK_NAME;
    const resources = await describeStackResources(cloudFormation, stackName).catch((error: unknown) => {
      const endpoint = clientConfig.endpoint;
      // Not an AWS answer at all (a refused connection, a body that is not CloudFormation's XML):
      // an AWS service error carries $fault, and the stack's own problems have their own names.
      const notAnAwsAnswer =
        error instanceof Error &&
        !("$fault" in error) &&
        !["StackResourcesError", "CredentialsProviderError", "OpsTargetError"].includes(error.name);
      if (endpoint !== undefined && notAnAwsAnswer) {
        const reason = error.message.split("\n")[0];
        throw new OpsTargetError(
          `The endpoint ${endpoint} did not answer CloudFormation's DescribeStacks as AWS does (${reason}). Expected AWS or an emulator that serves CloudFormation there; for the local pipeline, start it with "npm start" (it serves the stack on its port) or add --local, and check the port.`,
          { cause: error },
        );
      }
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

/** Whether something answers HTTP at `endpoint` within 2 s (node:http: fetch would load undici, 25 ms more). */
function answersHttp(endpoint: string): Promise<boolean> {
  return new Promise((resolve) => {
    try {
      const send = endpoint.startsWith("https:") ? httpsRequest : httpRequest;
      const probe = send(endpoint, { timeout: 2_000 }, (response) => {
        response.resume();
        response.on("end", () => resolve(true));
        response.on("error", () => resolve(true));
      });
      probe.on("timeout", () => {
        probe.destroy();
        resolve(false);
      });
      probe.on("error", () => resolve(false));
      probe.end();
    } catch {
      resolve(false);
    }
  });
}
