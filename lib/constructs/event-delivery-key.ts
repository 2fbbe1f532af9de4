import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import { Construct } from "constructs";

/** Properties of {@link EventDeliveryKey}. */
export interface EventDeliveryKeyProps {
  /**
   * Description shown in the KMS console.
   * @default "eventrail: encrypts queues that EventBridge delivers to"
   */
  readonly description?: string;
  /**
   * Days KMS waits before deleting the key after the stack releases it.
   * @default Duration.days(30)
   */
  readonly pendingWindow?: Duration;
  /**
   * What happens to the key when it leaves the stack. Messages in flight cannot be read without it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A customer-managed KMS key for queues that EventBridge delivers to.
 *
 * EventBridge cannot deliver to a queue encrypted with the AWS-managed `aws/sqs` key, because that
 * key's policy cannot admit `events.amazonaws.com`. This key's policy admits it, scoped to this
 * account with `aws:SourceAccount`, for exactly the two calls SQS needs on its behalf.
 */
export class EventDeliveryKey extends Construct {
  /** The key. Rotation is on. */
  public readonly key: kms.Key;

  constructor(scope: Construct, id: string, props: EventDeliveryKeyProps = {}) {
    super(scope, id);
    this.key = new kms.Key(this, "Key", {
      description: props.description ?? "eventrail: encrypts queues that EventBridge delivers to",
      enableKeyRotation: true,
      pendingWindow: props.pendingWindow ?? Duration.days(30),
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });
    const eventBridge = new iam.ServicePrincipal("events.amazonaws.com").withConditions({
      StringEquals: { "aws:SourceAccount": Stack.of(this).account },
    });
    this.key.grant(eventBridge, "kms:GenerateDataKey", "kms:Decrypt");
  }
}
