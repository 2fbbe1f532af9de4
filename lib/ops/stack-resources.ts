import type { CloudFormationClient } from "@aws-sdk/client-cloudformation";
import { type OutboxOutput, type SubscriptionOutput, stackOutputs } from "../stack-outputs";

/** The stack name `bin/app.ts` deploys, and the one operations look up unless told otherwise. */
export const DEFAULT_STACK_NAME = "Eventrail";

/**
 * The stack's outputs cannot be read or do not describe an eventrail stack: the stack is missing,
 * an output is absent or malformed, or a subscription name is unknown.
 */
export class StackResourcesError extends Error {
  public override readonly name = "StackResourcesError";
}

/**
 * What operations need to know of a deployed (or local) pipeline stack, read from its outputs, so
 * that operators name subscriptions and never type ARNs.
 */
export interface StackResources {
  /** The CloudFormation stack (or local assembly stack) the outputs came from. */
  readonly stackName: string;
  readonly eventBusName: string;
  readonly eventBusArn: string;
  readonly archiveName: string;
  readonly archiveArn: string;
  readonly auditBucketName: string;
  /** Key prefix of the audit events, e.g. `events/`; the `dt=` partitions are below it. */
  readonly auditEventsPrefix: string;
  /** The audit rule's target DLQ (events Firehose never received). */
  readonly auditDeadLetterQueueUrl: string;
  readonly athenaWorkGroup: string;
  readonly athenaDatabase: string;
  /** Every subscription, in the stack's order. */
  readonly subscriptions: readonly SubscriptionOutput[];
  /** The transactional outbox; undefined for a stack deployed before it had one. */
  readonly outbox?: OutboxOutput;
}

const REQUIRED_OUTPUTS = [
  stackOutputs.eventBusName,
  stackOutputs.eventBusArn,
  stackOutputs.archiveName,
  stackOutputs.archiveArn,
  stackOutputs.auditBucketName,
  stackOutputs.auditEventsPrefix,
  stackOutputs.auditDeadLetterQueueUrl,
  stackOutputs.athenaWorkGroup,
  stackOutputs.athenaDatabase,
  stackOutputs.subscriptions,
] as const;

const SUBSCRIPTION_FIELDS = [
  "name",
  "ruleName",
  "queueUrl",
  "queueArn",
  "deadLetterQueueUrl",
  "deadLetterQueueArn",
  "targetDeadLetterQueueUrl",
  "targetDeadLetterQueueArn",
  "functionName",
] as const satisfies readonly (keyof SubscriptionOutput)[];

/**
 * Reads the stack's outputs (by output key) into {@link StackResources}.
 *
 * @param stackName the stack the outputs belong to, for messages
 * @param outputs output values by key, as DescribeStacks or the local model give them
 * @param source where the outputs were read, for messages, e.g. `CloudFormation stack "Eventrail"`
 * @throws StackResourcesError naming the missing or malformed output
 */
export function stackResourcesFromOutputs(
  stackName: string,
  outputs: Readonly<Record<string, string | undefined>>,
  source: string,
): StackResources {
  const missing = REQUIRED_OUTPUTS.filter((key) => outputs[key] === undefined);
  if (missing.length > 0) {
    throw new StackResourcesError(
      `${source} has no output ${missing.join(", ")}; expected an eventrail pipeline stack (lib/pipeline-stack.ts). Check --stack, or redeploy the stack.`,
    );
  }
  const output = (key: (typeof REQUIRED_OUTPUTS)[number]): string => outputs[key] ?? "";
  return {
    stackName,
    eventBusName: output(stackOutputs.eventBusName),
    eventBusArn: output(stackOutputs.eventBusArn),
    archiveName: output(stackOutputs.archiveName),
    archiveArn: output(stackOutputs.archiveArn),
    auditBucketName: output(stackOutputs.auditBucketName),
    auditEventsPrefix: output(stackOutputs.auditEventsPrefix),
    auditDeadLetterQueueUrl: output(stackOutputs.auditDeadLetterQueueUrl),
    athenaWorkGroup: output(stackOutputs.athenaWorkGroup),
    athenaDatabase: output(stackOutputs.athenaDatabase),
    subscriptions: parseSubscriptions(output(stackOutputs.subscriptions), source),
    ...(outputs[stackOutputs.outbox] === undefined
      ? {}
      : { outbox: parseOutbox(outputs[stackOutputs.outbox] ?? "", source) }),
  };
}

const OUTBOX_FIELDS = [
  "tableName",
  "streamArn",
  "pipeName",
  "pipeArn",
  "deadLetterQueueUrl",
  "deadLetterQueueArn",
] as const satisfies readonly (keyof OutboxOutput)[];

function parseOutbox(text: string, source: string): OutboxOutput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new StackResourcesError(
      `${source} output ${stackOutputs.outbox} is not JSON; redeploy the stack.`,
      {
        cause: error,
      },
    );
  }
  const outbox = (parsed ?? {}) as Record<string, unknown>;
  const missing = OUTBOX_FIELDS.filter((field) => typeof outbox[field] !== "string" || outbox[field] === "");
  if (missing.length > 0) {
    throw new StackResourcesError(
      `${source} output ${stackOutputs.outbox} lacks ${missing.join(", ")}; redeploy the stack with this version of eventrail.`,
    );
  }
  return outbox as unknown as OutboxOutput;
}

/**
 * Looks the stack up with CloudFormation DescribeStacks and reads its outputs.
 *
 * @throws StackResourcesError when the stack does not exist or its outputs are not an eventrail stack's
 */
export async function describeStackResources(
  cloudFormation: CloudFormationClient,
  stackName: string,
): Promise<StackResources> {
  let outputs: Record<string, string | undefined>;
  try {
    // Imported here so that reading a local stack's outputs never loads the CloudFormation client.
    const { DescribeStacksCommand } = await import("@aws-sdk/client-cloudformation");
    const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = answer.Stacks?.[0];
    if (stack === undefined) throw new Error("DescribeStacks returned no stack");
    outputs = Object.fromEntries((stack.Outputs ?? []).map((o) => [o.OutputKey ?? "", o.OutputValue]));
  } catch (error) {
    if (error instanceof Error && /does not exist/i.test(error.message)) {
      throw new StackResourcesError(
        `CloudFormation stack "${stackName}" does not exist in this account and region; pass --stack NAME and --region R of the deployed pipeline stack.`,
        { cause: error },
      );
    }
    throw error;
  }
  return stackResourcesFromOutputs(stackName, outputs, `CloudFormation stack "${stackName}"`);
}

/**
 * The subscription called `name`.
 *
 * @throws StackResourcesError naming the known subscriptions
 */
export function findSubscription(resources: StackResources, name: string): SubscriptionOutput {
  const found = resources.subscriptions.find((s) => s.name === name);
  if (found === undefined) {
    throw new StackResourcesError(
      `Subscription "${name}" is not in stack "${resources.stackName}"; expected one of: ${subscriptionNames(resources)}.`,
    );
  }
  return found;
}

/** The subscription names, comma-separated, for messages. */
export function subscriptionNames(resources: StackResources): string {
  return resources.subscriptions.map((s) => s.name).join(", ") || "(none)";
}

function parseSubscriptions(text: string, source: string): SubscriptionOutput[] {
  const fail = (why: string): never => {
    throw new StackResourcesError(
      `${source} output ${stackOutputs.subscriptions} ${why}; expected a JSON array of subscriptions as lib/pipeline-stack.ts writes it. Redeploy the stack.`,
    );
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail("is not JSON");
  }
  if (!Array.isArray(parsed)) return fail("is not an array");
  return parsed.map((item: unknown, index) => {
    if (typeof item !== "object" || item === null) return fail(`item ${index} is not an object`);
    const record = item as Record<string, unknown>;
    const absent = SUBSCRIPTION_FIELDS.find((field) => typeof record[field] !== "string");
    if (absent !== undefined) return fail(`item ${index} has no string "${absent}"`);
    return item as SubscriptionOutput;
  });
}
