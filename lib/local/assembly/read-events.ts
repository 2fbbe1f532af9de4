import { AWS_DEFAULTS, AWS_LIMITS } from "../../aws-limits";
import type {
  LocalArchiveDefinition,
  LocalBusDefinition,
  LocalRuleDefinition,
  LocalRuleTarget,
} from "../model";
import { eventBusNameOf, parseArn } from "./arns";
import type { WarningSink } from "./reading-report";
import type { ResourceProperties } from "./resource-properties";
import { describeValue } from "./template-types";

/** EventBridge's default retry policy of a rule target: 24 hours and 185 attempts. */
export const DEFAULT_TARGET_RETRY = AWS_DEFAULTS.eventBridgeTargetRetry;

const RULE_STATES: Readonly<Record<string, LocalRuleDefinition["state"]>> = {
  ENABLED: "ENABLED",
  DISABLED: "DISABLED",
  // Also matches CloudTrail management events on AWS; the local bus has none, so it is plainly enabled.
  ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS: "ENABLED",
};

/** Reads an `AWS::Events::EventBus`. */
export function readEventBus(properties: ResourceProperties): LocalBusDefinition {
  return { logicalId: properties.logicalId, name: properties.name(), arn: properties.attribute("Arn") };
}

/** Reads an `AWS::Events::Archive`. */
export function readArchive(properties: ResourceProperties): LocalArchiveDefinition {
  const sourceBusArn = properties.requiredString(["SourceArn"]);
  const eventPattern = properties.document(["EventPattern"]);
  return {
    logicalId: properties.logicalId,
    name: properties.name(),
    arn: properties.attribute("Arn"),
    sourceBusArn,
    sourceBusName: eventBusNameOf(sourceBusArn),
    ...(eventPattern === undefined ? {} : { eventPattern }),
    retentionDays: properties.integer(["RetentionDays"], 0, { min: 0, max: 2_147_483_647, unit: "days" }),
  };
}

/**
 * Reads an `AWS::Events::Rule`. A rule that only runs on a schedule is left out with a warning: the
 * local pipeline has no scheduler.
 */
export function readRule(properties: ResourceProperties, warn: WarningSink): LocalRuleDefinition | undefined {
  const { logicalId, type } = properties;
  const eventPattern = properties.document(["EventPattern"]);
  const schedule = properties.string(["ScheduleExpression"]);
  if (schedule !== undefined) {
    warn({
      logicalId,
      type,
      message:
        eventPattern === undefined
          ? `rule ${logicalId} runs on the schedule ${schedule}; the local pipeline has no scheduler, so the rule is left out`
          : `rule ${logicalId} also runs on the schedule ${schedule}; locally it runs only for events that match its pattern`,
    });
  }
  if (eventPattern === undefined) {
    if (schedule !== undefined) return undefined;
    return properties.invalid(
      ["EventPattern"],
      "missing; a rule needs an EventPattern or a ScheduleExpression",
    );
  }
  const stateText = properties.string(["State"]) ?? "ENABLED";
  const state = RULE_STATES[stateText];
  if (state === undefined) {
    return properties.invalid(
      ["State"],
      `${describeValue(stateText)} is not a rule state; expected ${Object.keys(RULE_STATES).join(", ")}`,
    );
  }
  const description = properties.string(["Description"]);
  return {
    logicalId,
    name: properties.name(),
    arn: properties.attribute("Arn"),
    busName: eventBusNameOf(properties.string(["EventBusName"]) ?? "default"),
    eventPattern,
    state,
    ...(description === undefined ? {} : { description }),
    targets: properties.indexes(["Targets"]).map((index) => readTarget(properties, index)),
  };
}

function targetKindOf(arn: string): LocalRuleTarget["kind"] | undefined {
  const parsed = parseArn(arn);
  switch (parsed?.service) {
    case "sqs":
      return "sqs";
    case "firehose":
      return "firehose";
    case "lambda":
      return "lambda";
    case "events":
      return parsed.resource.startsWith("event-bus/") ? "event-bus" : undefined;
    default:
      return undefined;
  }
}

function readTarget(properties: ResourceProperties, index: number): LocalRuleTarget {
  const at = (...path: string[]) => ["Targets", index, ...path];
  const id = properties.requiredString(at("Id"));
  const arn = properties.requiredString(at("Arn"));
  const parsed = parseArn(arn);
  if (parsed === undefined) return properties.invalid(at("Arn"), `${describeValue(arn)} is not an ARN`);
  const kind = targetKindOf(arn);
  if (kind === undefined) {
    return properties.unsupported(
      at("Arn"),
      `rule ${properties.logicalId} target "${id}" sends to ${arn}, a ${parsed.service} target; the local pipeline runs only SQS, Firehose, Lambda and event-bus targets`,
      "Remove the target to run the rest of the stack locally, or test this path in AWS",
    );
  }
  const input = properties.string(at("Input"));
  const inputPath = properties.string(at("InputPath"));
  const transformer = properties.object(at("InputTransformer"));
  const inputs = [input, inputPath, transformer].filter((value) => value !== undefined).length;
  if (inputs > 1) {
    return properties.invalid(
      at(),
      `target "${id}" sets more than one of Input, InputPath and InputTransformer; EventBridge accepts only one`,
    );
  }
  const deadLetterArn = properties.string(at("DeadLetterConfig", "Arn"));
  return {
    id,
    arn,
    kind,
    ...(input === undefined ? {} : { input }),
    ...(inputPath === undefined ? {} : { inputPath }),
    ...(transformer === undefined
      ? {}
      : { inputTransformer: readInputTransformer(properties, at("InputTransformer")) }),
    retryPolicy: {
      maximumRetryAttempts: properties.integer(
        at("RetryPolicy", "MaximumRetryAttempts"),
        DEFAULT_TARGET_RETRY.maximumRetryAttempts,
        AWS_LIMITS.eventBridgeTargetRetryAttempts,
      ),
      maximumEventAgeInSeconds: properties.integer(
        at("RetryPolicy", "MaximumEventAgeInSeconds"),
        DEFAULT_TARGET_RETRY.maximumEventAgeInSeconds,
        AWS_LIMITS.eventBridgeTargetMaxEventAgeSeconds,
      ),
    },
    ...(deadLetterArn === undefined ? {} : { deadLetterArn }),
  };
}

function readInputTransformer(
  properties: ResourceProperties,
  path: readonly (string | number)[],
): NonNullable<LocalRuleTarget["inputTransformer"]> {
  const pathsMap = properties.object([...path, "InputPathsMap"]) ?? {};
  const inputPathsMap = Object.fromEntries(
    Object.entries(pathsMap).map(([key, value]) => [
      key,
      properties.checkString([...path, "InputPathsMap", key], value),
    ]),
  );
  return { inputPathsMap, inputTemplate: properties.requiredString([...path, "InputTemplate"]) };
}
