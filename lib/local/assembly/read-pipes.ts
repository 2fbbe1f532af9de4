import { AWS_LIMITS } from "../../aws-limits";
import type { LocalPipeDefinition } from "../model";
import { parseArn } from "./arns";
import type { WarningSink } from "./reading-report";
import type { ResourceProperties } from "./resource-properties";

const STREAM = ["SourceParameters", "DynamoDBStreamParameters"] as const;
const BUS_TARGET = ["TargetParameters", "EventBridgeEventBusParameters"] as const;

/**
 * Reads an `AWS::Pipes::Pipe` whose source is a DynamoDB stream and whose target is an event bus
 * (the transactional outbox's pipe): the source's batching, retries, record age, bisection and
 * dead-letter queue, the filter patterns, the enrichment function and the target's source,
 * detail-type, time and detail template. Other sources and targets are refused with the fix; the
 * defaults of a setting left out are the ones CloudFormation documents (batch size 100, retries and
 * record age -1: infinite).
 */
export function readPipe(properties: ResourceProperties, warn: WarningSink): LocalPipeDefinition {
  const { logicalId, type } = properties;
  const sourceArn = properties.requiredString(["Source"]);
  if (parseArn(sourceArn)?.service !== "dynamodb" || !sourceArn.includes("/stream/")) {
    return properties.unsupported(
      ["Source"],
      `pipe ${logicalId} reads ${sourceArn}; the local pipeline runs pipes from DynamoDB streams only`,
      "Remove the pipe to run the rest of the stack locally, or test this source in AWS",
    );
  }
  const targetArn = properties.requiredString(["Target"]);
  const target = parseArn(targetArn);
  if (target?.service !== "events" || !target.resource.startsWith("event-bus/")) {
    return properties.unsupported(
      ["Target"],
      `pipe ${logicalId} targets ${targetArn}; the local pipeline runs pipes to an event bus only`,
      "Target an event bus of this stack, or test this target in AWS",
    );
  }
  if (
    properties.get(["SourceParameters", "DynamoDBStreamParameters", "ParallelizationFactor"]) !== undefined
  ) {
    const factor = properties.integer([...STREAM, "ParallelizationFactor"], 1, { min: 1, max: 10 });
    if (factor > 1) {
      warn({
        logicalId,
        type,
        message: `pipe ${logicalId} has ParallelizationFactor ${factor}; locally one reader delivers the stream in commit order, which AWS keeps per item only`,
      });
    }
  }
  const retries = properties.integer(
    [...STREAM, "MaximumRetryAttempts"],
    -1,
    AWS_LIMITS.pipesMaximumRetryAttempts,
  );
  const recordAge = properties.integer(
    [...STREAM, "MaximumRecordAgeInSeconds"],
    -1,
    AWS_LIMITS.pipesMaximumRecordAgeSeconds,
  );
  if (recordAge !== -1 && recordAge < 60) {
    properties.invalid(
      [...STREAM, "MaximumRecordAgeInSeconds"],
      `${recordAge} is neither -1 (infinite) nor from 60 to ${AWS_LIMITS.pipesMaximumRecordAgeSeconds.max} s`,
    );
  }
  const bisect = properties.string([...STREAM, "OnPartialBatchItemFailure"]);
  if (bisect !== undefined && bisect !== "AUTOMATIC_BISECT") {
    properties.invalid([...STREAM, "OnPartialBatchItemFailure"], `"${bisect}" is not AUTOMATIC_BISECT`);
  }
  const startingPosition = properties.requiredString([...STREAM, "StartingPosition"]);
  if (startingPosition !== "TRIM_HORIZON" && startingPosition !== "LATEST") {
    properties.invalid(
      [...STREAM, "StartingPosition"],
      `"${startingPosition}" is neither TRIM_HORIZON nor LATEST`,
    );
  }
  const deadLetterArn = properties.string([...STREAM, "DeadLetterConfig", "Arn"]);
  const filterPatterns = (properties.list(["SourceParameters", "FilterCriteria", "Filters"]) ?? []).map(
    (_, index) => properties.document(["SourceParameters", "FilterCriteria", "Filters", index, "Pattern"]),
  );
  const enrichmentArn = properties.string(["Enrichment"]);
  if (properties.get(["EnrichmentParameters", "InputTemplate"]) !== undefined) {
    properties.unsupported(
      ["EnrichmentParameters", "InputTemplate"],
      `pipe ${logicalId} transforms the enrichment's input, which the local pipe does not: the function would get another payload than in AWS`,
      "Leave the enrichment's input as the batch of records, or test the template in AWS",
    );
  }
  const resources = (properties.list([...BUS_TARGET, "Resources"]) ?? []).map((_, index) =>
    properties.requiredString([...BUS_TARGET, "Resources", index]),
  );
  const optional = (name: string): { readonly [key: string]: string } => {
    const value = properties.string([...BUS_TARGET, name]);
    return value === undefined ? {} : { [name.charAt(0).toLowerCase() + name.slice(1)]: value };
  };
  const inputTemplate = properties.string(["TargetParameters", "InputTemplate"]);
  return {
    logicalId,
    name: properties.name(),
    arn: properties.attribute("Arn"),
    sourceArn,
    desiredState: properties.string(["DesiredState"]) === "STOPPED" ? "STOPPED" : "RUNNING",
    source: {
      startingPosition,
      batchSize: properties.integer([...STREAM, "BatchSize"], 100, AWS_LIMITS.pipesStreamBatchSize),
      maximumBatchingWindowSeconds: properties.integer(
        [...STREAM, "MaximumBatchingWindowInSeconds"],
        0,
        AWS_LIMITS.pipesBatchingWindowSeconds,
      ),
      maximumRetryAttempts: retries,
      maximumRecordAgeSeconds: recordAge,
      bisectOnError: bisect === "AUTOMATIC_BISECT",
      ...(deadLetterArn === undefined ? {} : { deadLetterArn }),
    },
    filterPatterns,
    ...(enrichmentArn === undefined ? {} : { enrichmentArn }),
    targetArn,
    target: {
      ...optional("Source"),
      ...optional("DetailType"),
      ...optional("Time"),
      ...(resources.length === 0 ? {} : { resources }),
      ...(inputTemplate === undefined ? {} : { inputTemplate }),
    },
  };
}
