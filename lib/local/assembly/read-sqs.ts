import { AWS_DEFAULTS, AWS_LIMITS } from "../../aws-limits";
import type { LocalQueueDefinition } from "../model";
import type { ResourceProperties } from "./resource-properties";

/** SQS's defaults for a queue created without the attribute. */
export const SQS_QUEUE_DEFAULTS = AWS_DEFAULTS.sqsQueue;

/** Reads an `AWS::SQS::Queue`. FIFO queues are refused: the local SQS emulates standard queues. */
export function readQueue(properties: ResourceProperties): LocalQueueDefinition {
  if (properties.boolean(["FifoQueue"], false)) {
    return properties.unsupported(
      ["FifoQueue"],
      `queue ${properties.logicalId} is a FIFO queue; the local SQS emulates standard queues only`,
      "Use a standard queue, or test the FIFO path in AWS",
    );
  }
  const redrive = properties.document(["RedrivePolicy"]);
  return {
    logicalId: properties.logicalId,
    name: properties.name(),
    arn: properties.attribute("Arn"),
    url: properties.attribute("QueueUrl"),
    visibilityTimeoutSeconds: properties.integer(
      ["VisibilityTimeout"],
      SQS_QUEUE_DEFAULTS.visibilityTimeoutSeconds,
      AWS_LIMITS.sqsVisibilityTimeoutSeconds,
    ),
    messageRetentionSeconds: properties.integer(
      ["MessageRetentionPeriod"],
      SQS_QUEUE_DEFAULTS.messageRetentionSeconds,
      AWS_LIMITS.sqsRetentionSeconds,
    ),
    delaySeconds: properties.integer(
      ["DelaySeconds"],
      SQS_QUEUE_DEFAULTS.delaySeconds,
      AWS_LIMITS.sqsDelaySeconds,
    ),
    receiveMessageWaitTimeSeconds: properties.integer(
      ["ReceiveMessageWaitTimeSeconds"],
      SQS_QUEUE_DEFAULTS.receiveMessageWaitTimeSeconds,
      AWS_LIMITS.sqsReceiveWaitSeconds,
    ),
    maximumMessageSize: properties.integer(
      ["MaximumMessageSize"],
      SQS_QUEUE_DEFAULTS.maximumMessageSize,
      AWS_LIMITS.sqsMaximumMessageSizeBytes,
    ),
    ...(redrive === undefined
      ? {}
      : {
          redrive: {
            deadLetterTargetArn: properties.checkString(
              ["RedrivePolicy", "deadLetterTargetArn"],
              redrive.deadLetterTargetArn,
            ),
            maxReceiveCount: properties.checkInteger(
              ["RedrivePolicy", "maxReceiveCount"],
              redrive.maxReceiveCount ?? null,
              AWS_LIMITS.sqsMaxReceiveCount,
            ),
          },
        }),
  };
}
