import type { LocalQueueDefinition } from "../model";
import type { ResourceProperties } from "./resource-properties";

/**
 * SQS's defaults for a queue created without the attribute. The largest message became 1 MiB in
 * August 2025 ("Amazon SQS increases maximum message payload size to 1 MiB"), and existing queues
 * got it without a change, so a queue that does not set `MaximumMessageSize` takes 1 MiB.
 */
export const SQS_QUEUE_DEFAULTS = {
  visibilityTimeoutSeconds: 30,
  messageRetentionSeconds: 345_600,
  delaySeconds: 0,
  receiveMessageWaitTimeSeconds: 0,
  maximumMessageSize: 1_048_576,
} as const;

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
      { min: 0, max: 43_200, unit: "s" },
    ),
    messageRetentionSeconds: properties.integer(
      ["MessageRetentionPeriod"],
      SQS_QUEUE_DEFAULTS.messageRetentionSeconds,
      { min: 60, max: 1_209_600, unit: "s" },
    ),
    delaySeconds: properties.integer(["DelaySeconds"], SQS_QUEUE_DEFAULTS.delaySeconds, {
      min: 0,
      max: 900,
      unit: "s",
    }),
    receiveMessageWaitTimeSeconds: properties.integer(
      ["ReceiveMessageWaitTimeSeconds"],
      SQS_QUEUE_DEFAULTS.receiveMessageWaitTimeSeconds,
      { min: 0, max: 20, unit: "s" },
    ),
    maximumMessageSize: properties.integer(["MaximumMessageSize"], SQS_QUEUE_DEFAULTS.maximumMessageSize, {
      min: 1024,
      max: 1_048_576,
      unit: "bytes",
    }),
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
              { min: 1, max: 1000 },
            ),
          },
        }),
  };
}
