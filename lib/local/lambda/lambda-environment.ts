import type { LocalFunctionDefinition } from "../model";

/**
 * Credentials every local function gets. The local edge does not check signatures, but the AWS SDK
 * refuses to send a request it cannot sign, and must not find a developer's real credentials.
 */
export const LOCAL_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: "AKIAEVENTRAILLOCAL00",
  AWS_SECRET_ACCESS_KEY: "eventrail-local-secret-access-key",
  AWS_SESSION_TOKEN: "eventrail-local-session-token",
} as const;

/**
 * Settings that differ locally from the template because the local machine lacks what they rely on.
 * They sit above the template's environment and below the caller's `extraEnvironment`:
 *
 * - `POWERTOOLS_TRACE_ENABLED=false`: there is no X-Ray daemon and no trace header locally. The
 *   functions run with `AWS_EXECUTION_ENV` set (as in Lambda), which turns the Powertools Tracer on;
 *   enabled without a segment it would log "missing context" errors on every call and patch every
 *   HTTP client for nothing. Disabled, it makes no calls and its methods do nothing.
 * - `AWS_XRAY_CONTEXT_MISSING=IGNORE_ERROR`: for code that uses the X-Ray SDK directly.
 * - `AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true`: the functions run on Node 24 in Lambda;
 *   locally they run on the host's Node, and the SDK's warning about that host would open every
 *   cold start's log.
 */
export const LOCAL_OVERRIDES = {
  POWERTOOLS_TRACE_ENABLED: "false",
  AWS_XRAY_CONTEXT_MISSING: "IGNORE_ERROR",
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
} as const;

/** What {@link buildLambdaEnvironment} needs besides the function definition. */
export interface LambdaEnvironmentInput {
  readonly definition: LocalFunctionDefinition;
  /** The region of the function, from its ARN. */
  readonly region: string;
  /** The local edge endpoint, e.g. `http://127.0.0.1:4566`. */
  readonly endpointUrl: string;
  /** The execution environment's log stream (one per worker, as Lambda has one per sandbox). */
  readonly logStreamName: string;
  /** Variables the caller adds or overrides (the template's and the local overrides). */
  readonly extraEnvironment?: Readonly<Record<string, string>>;
}

/** The version every local function runs as: the pipeline deploys no published versions. */
export const LOCAL_FUNCTION_VERSION = "$LATEST";

/** Lambda's default log group for a function. */
export function defaultLogGroupName(functionName: string): string {
  return `/aws/lambda/${functionName}`;
}

/**
 * The `process.env` of one local execution environment, in increasing precedence:
 * the template's `Environment.Variables` (references already resolved to local values), then
 * {@link LOCAL_OVERRIDES}, then the caller's `extraEnvironment`, then Lambda's reserved variables,
 * which a template cannot set in AWS either (Lambda rejects them), plus `AWS_ENDPOINT_URL` and the
 * local credentials, which must win so that no call can leave the machine.
 *
 * Nothing is inherited from the pipeline's own process: a function sees what it would see in Lambda.
 */
export function buildLambdaEnvironment(input: LambdaEnvironmentInput): Record<string, string> {
  const { definition } = input;
  return {
    ...definition.environment,
    ...LOCAL_OVERRIDES,
    ...input.extraEnvironment,
    AWS_REGION: input.region,
    AWS_DEFAULT_REGION: input.region,
    AWS_EXECUTION_ENV: `AWS_Lambda_${definition.runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: definition.name,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(definition.memorySize),
    AWS_LAMBDA_FUNCTION_VERSION: LOCAL_FUNCTION_VERSION,
    AWS_LAMBDA_INITIALIZATION_TYPE: "on-demand",
    AWS_LAMBDA_LOG_GROUP_NAME: defaultLogGroupName(definition.name),
    AWS_LAMBDA_LOG_STREAM_NAME: input.logStreamName,
    LAMBDA_TASK_ROOT: definition.assetDir,
    _HANDLER: definition.handler,
    AWS_ENDPOINT_URL: input.endpointUrl,
    ...LOCAL_CREDENTIALS,
  };
}
