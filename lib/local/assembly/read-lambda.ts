import { AWS_DEFAULTS, AWS_LIMITS } from "../../aws-limits";
import type { LocalEventSourceMapping, LocalFunctionDefinition } from "../model";
import { functionReferenceOf, parseArn } from "./arns";
import type { FileAsset, StackArtifact } from "./cloud-assembly";
import { checkHandlerFile, locateFunctionAsset } from "./function-assets";
import type { WarningSink } from "./reading-report";
import type { ResourceProperties } from "./resource-properties";
import { describeValue, type JsonObject } from "./template-types";

/** Lambda's defaults for a function that does not set them. */
export const LAMBDA_FUNCTION_DEFAULTS = AWS_DEFAULTS.lambdaFunction;

/** Lambda's defaults for an SQS event source mapping that does not set them. */
export const SQS_EVENT_SOURCE_DEFAULTS = AWS_DEFAULTS.sqsEventSource;

/** Where a function's code is: the stack and its file assets. */
export interface FunctionCodeSource {
  readonly stack: StackArtifact;
  readonly assets: readonly FileAsset[];
  /** The resource's `Metadata`, which may name the asset folder. */
  readonly metadata: JsonObject | undefined;
}

/**
 * Reads an `AWS::Lambda::Function` and checks its bundled code is in `cdk.out`. Only Node.js
 * functions with zip code are run; layers are not mounted, which is a warning.
 */
export async function readFunction(
  properties: ResourceProperties,
  code: FunctionCodeSource,
  warn: WarningSink,
): Promise<LocalFunctionDefinition> {
  const { logicalId, type } = properties;
  const runtime = properties.requiredString(["Runtime"]);
  if (!runtime.startsWith("nodejs")) {
    return properties.unsupported(
      ["Runtime"],
      `function ${logicalId} runs on ${runtime}; the local pipeline runs Node.js functions only`,
      "Write the function for a nodejs runtime, or test it in AWS",
    );
  }
  const handler = properties.requiredString(["Handler"]);
  const assetDir = await locateFunctionAsset(properties, code.metadata, code.stack, code.assets);
  await checkHandlerFile(properties, assetDir, handler);
  if (properties.indexes(["Layers"]).length > 0) {
    warn({
      logicalId,
      type,
      message: `function ${logicalId} uses layers, which the local pipeline does not mount; it runs only if its bundle holds everything it imports`,
    });
  }
  const variables = properties.object(["Environment", "Variables"]) ?? {};
  const environment = Object.fromEntries(
    Object.entries(variables).map(([key, value]) => {
      if (typeof value === "string") return [key, value];
      if (typeof value === "number" || typeof value === "boolean") return [key, String(value)];
      return properties.invalid(
        ["Environment", "Variables", key],
        `${describeValue(value)} is not a string; environment variables are strings`,
      );
    }),
  );
  return {
    logicalId,
    name: properties.name(),
    arn: properties.attribute("Arn"),
    assetDir,
    handler,
    runtime,
    timeoutSeconds: properties.integer(
      ["Timeout"],
      LAMBDA_FUNCTION_DEFAULTS.timeoutSeconds,
      AWS_LIMITS.lambdaTimeoutSeconds,
    ),
    memorySize: properties.integer(
      ["MemorySize"],
      LAMBDA_FUNCTION_DEFAULTS.memorySize,
      AWS_LIMITS.lambdaMemoryMiB,
    ),
    environment,
  };
}

/**
 * Reads an `AWS::Lambda::EventSourceMapping`. Only SQS sources are run; a mapping with
 * `FilterCriteria` is refused, because the local poller would hand the function records that AWS
 * filters out (and deletes).
 */
export function readEventSourceMapping(
  properties: ResourceProperties,
  warn: WarningSink,
): LocalEventSourceMapping {
  const { logicalId, type } = properties;
  const queueArn = properties.requiredString(["EventSourceArn"]);
  const source = parseArn(queueArn);
  if (source?.service !== "sqs") {
    return properties.unsupported(
      ["EventSourceArn"],
      `event source mapping ${logicalId} reads ${queueArn}; the local pipeline runs SQS event sources only`,
      "Remove the mapping to run the rest of the stack locally, or test this source in AWS",
    );
  }
  if (properties.get(["FilterCriteria"]) !== undefined) {
    return properties.unsupported(
      ["FilterCriteria"],
      `event source mapping ${logicalId} filters records with FilterCriteria, which the local poller does not apply: the function would get records that AWS drops`,
      "Filter in the rule's event pattern or in the handler, or test the filter in AWS",
    );
  }
  const reference = functionReferenceOf(properties.requiredString(["FunctionName"]));
  if (reference.qualifier !== undefined && reference.qualifier !== "$LATEST") {
    warn({
      logicalId,
      type,
      message: `event source mapping ${logicalId} invokes ${reference.name}:${reference.qualifier}; locally it invokes the function's code from the cloud assembly`,
    });
  }
  const maxConcurrency = properties.optionalInteger(
    ["ScalingConfig", "MaximumConcurrency"],
    AWS_LIMITS.sqsEventSourceMaxConcurrency,
  );
  const responseTypes = properties.list(["FunctionResponseTypes"]) ?? [];
  return {
    logicalId,
    functionName: reference.name,
    queueArn,
    batchSize: properties.integer(
      ["BatchSize"],
      SQS_EVENT_SOURCE_DEFAULTS.batchSize,
      AWS_LIMITS.sqsEventSourceBatchSize,
    ),
    maxBatchingWindowSeconds: properties.integer(
      ["MaximumBatchingWindowInSeconds"],
      SQS_EVENT_SOURCE_DEFAULTS.maxBatchingWindowSeconds,
      AWS_LIMITS.sqsEventSourceBatchingWindowSeconds,
    ),
    ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
    reportBatchItemFailures: responseTypes.includes("ReportBatchItemFailures"),
    enabled: properties.boolean(["Enabled"], true),
  };
}
