import type { StackResources } from "../../lib/ops/stack-resources";
import { type SubscriptionOutput, stackOutputs } from "../../lib/stack-outputs";

const ACCOUNT = "123456789012";
const REGION = "eu-west-1";

/** A queue's URL and ARN in the test account. */
export function queue(name: string): { url: string; arn: string } {
  return {
    url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${name}`,
    arn: `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}`,
  };
}

/** A subscription as the stack's `Subscriptions` output describes it. */
export function aSubscription(name: string): SubscriptionOutput {
  return {
    name,
    ruleName: `eventrail|Eventrail-${name}Rule`,
    queueUrl: queue(`${name}-queue`).url,
    queueArn: queue(`${name}-queue`).arn,
    deadLetterQueueUrl: queue(`${name}-dlq`).url,
    deadLetterQueueArn: queue(`${name}-dlq`).arn,
    targetDeadLetterQueueUrl: queue(`${name}-target-dlq`).url,
    targetDeadLetterQueueArn: queue(`${name}-target-dlq`).arn,
    functionName: `Eventrail-${name}Consumer`,
  };
}

/** The resources of a stack with the given subscriptions. */
export function aStack(subscriptions: readonly string[] = ["inventory", "analytics"]): StackResources {
  return {
    stackName: "Eventrail",
    eventBusName: "eventrail",
    eventBusArn: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/eventrail`,
    archiveName: "eventrail-all",
    archiveArn: `arn:aws:events:${REGION}:${ACCOUNT}:archive/eventrail-all`,
    auditBucketName: "eventrail-audit",
    auditEventsPrefix: "events/",
    auditDeadLetterQueueUrl: queue("audit-target-dlq").url,
    athenaWorkGroup: "eventrail-audit",
    athenaDatabase: "eventrail_audit",
    subscriptions: subscriptions.map(aSubscription),
  };
}

/** The ARN DescribeRule answers for a subscription's rule. */
export function ruleArn(subscription: string): string {
  return `arn:aws:events:${REGION}:${ACCOUNT}:rule/eventrail/Eventrail-${subscription}Rule`;
}

/** An EventBridge event as a rule target delivers it (the body of a DLQ message). */
export function anEventBody(eventId: string, detailType = "OrderPlaced"): string {
  return JSON.stringify({
    version: "0",
    id: `eb-${eventId}`,
    "detail-type": detailType,
    source: "eventrail.orders",
    account: ACCOUNT,
    time: "2026-03-01T08:00:00Z",
    region: REGION,
    resources: [],
    detail: { metadata: { eventId }, data: {} },
  });
}

/** The outputs a deployed stack reports for these resources, by output key. */
export function stackOutputsOf(stack: StackResources = aStack()): Record<string, string> {
  return {
    [stackOutputs.eventBusName]: stack.eventBusName,
    [stackOutputs.eventBusArn]: stack.eventBusArn,
    [stackOutputs.archiveName]: stack.archiveName,
    [stackOutputs.archiveArn]: stack.archiveArn,
    [stackOutputs.auditBucketName]: stack.auditBucketName,
    [stackOutputs.auditEventsPrefix]: stack.auditEventsPrefix,
    [stackOutputs.auditDeadLetterQueueUrl]: stack.auditDeadLetterQueueUrl,
    [stackOutputs.athenaWorkGroup]: stack.athenaWorkGroup,
    [stackOutputs.athenaDatabase]: stack.athenaDatabase,
    [stackOutputs.subscriptions]: JSON.stringify(stack.subscriptions),
    [stackOutputs.alarmTopicArn]: "arn:aws:sns:eu-west-1:123456789012:alarms",
  };
}

/** A DescribeStacks answer for a stack with these outputs. */
export function describeStacksAnswer(outputs: Record<string, string | undefined> = stackOutputsOf()) {
  return {
    Stacks: [
      {
        StackName: "Eventrail",
        StackStatus: "UPDATE_COMPLETE" as const,
        CreationTime: new Date("2026-01-01T00:00:00Z"),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}
