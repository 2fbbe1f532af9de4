import * as path from "node:path";
import { Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as pipes from "aws-cdk-lib/aws-pipes";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { AWS_LIMITS, type WholeNumberRange, wholeNumberOutOfRange } from "../aws-limits";
import {
  OUTBOX_KEY_ATTRIBUTE,
  OUTBOX_PIPE_FILTER_PATTERN,
  OUTBOX_TTL_ATTRIBUTE,
} from "../producer/outbox-item";
import { acknowledgeTracingWildcard, FUNCTION_DEFAULTS } from "./function-defaults";

/** Properties of {@link EventOutbox}. */
export interface EventOutboxProps {
  /** The bus the pipe puts the events on. */
  readonly eventBus: events.IEventBus;
  /** The customer-managed key of the pipe's dead-letter queue. */
  readonly encryptionKey: kms.IKey;
  /** Repository root, against which the relay function's entry is resolved. */
  readonly projectRoot: string;
  /**
   * Stream records the pipe reads at once (and hands to the relay in one invocation).
   * @default 10
   */
  readonly batchSize?: number;
  /**
   * How long the pipe waits to fill a batch; none delivers each commit at once.
   * @default - no wait
   */
  readonly maximumBatchingWindow?: Duration;
  /**
   * Retries of a failing batch (after bisecting it) before its position goes to the DLQ. Pipes'
   * own default is infinite: one bad item would hold back every later event.
   * @default 10
   */
  readonly maximumRetryAttempts?: number;
  /**
   * Age after which a record goes to the DLQ without further retries (60 s to 7 days).
   * @default Duration.hours(1)
   */
  readonly maximumRecordAge?: Duration;
  /**
   * What happens to the table when it leaves the stack. Unpublished events live in it.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/** Raised at synth time when {@link EventOutbox} is given settings AWS would refuse. */
export class OutboxConfigError extends Error {
  public override readonly name = "OutboxConfigError";
}

const DEFAULTS = {
  batchSize: 10,
  maximumRetryAttempts: 10,
  maximumRecordAge: Duration.hours(1),
} as const;

/**
 * The transactional outbox: a producer writes its state change and the event announcing it in one
 * DynamoDB transaction (the event as an item of this table, see `OutboxWriter`), and this
 * construct delivers every new item to the bus.
 *
 * outbox table (stream NEW_IMAGE, TTL) → EventBridge pipe (filter: INSERT only; batch, bounded
 * retries and record age, bisect on error, CMK-encrypted DLQ, errors logged) → relay function (enrichment: the
 * item back into its event) → event bus (source, detail-type, time and detail from the item).
 *
 * One table serves every producer of the stack: their own tables need no stream, a transaction
 * spans both tables, and the pipe's filter is simply "new item". The pipe keeps the stream's
 * order per item and delivers at least once; events carry their eventId, so consumers skip copies.
 */
export class EventOutbox extends Construct {
  /** The outbox table: partition key `pk`, stream NEW_IMAGE, TTL on `expiresAt`. */
  public readonly table: dynamodb.Table;
  /** The pipe from the table's stream to the bus. */
  public readonly pipe: pipes.CfnPipe;
  /** The pipe's name. */
  public readonly pipeName: string;
  /** Where the pipe puts the stream position of a batch that kept failing. */
  public readonly deadLetterQueue: sqs.Queue;
  /** The pipe's enrichment, which turns an item back into its event. */
  public readonly relay: nodejs.NodejsFunction;
  /** The pipe's role. */
  public readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: EventOutboxProps) {
    super(scope, id);
    const settings = resolveSettings(props);

    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: OUTBOX_KEY_ATTRIBUTE, type: dynamodb.AttributeType.STRING },
      stream: dynamodb.StreamViewType.NEW_IMAGE,
      timeToLiveAttribute: OUTBOX_TTL_ATTRIBUTE,
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Unlike idempotency records, an item may be an event not yet delivered.
      removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    });

    this.deadLetterQueue = new sqs.Queue(this, "PipeDeadLetterQueue", {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });

    const logGroup = new logs.LogGroup(this, "RelayLogGroup", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const relayRole = new iam.Role(this, "RelayRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: "eventrail outbox relay",
    });
    logGroup.grantWrite(relayRole);
    this.relay = new nodejs.NodejsFunction(this, "Relay", {
      role: relayRole,
      description: "eventrail outbox relay: the pipe's enrichment, turning outbox items back into events",
      entry: path.join(props.projectRoot, "lambdas/outbox-relay/handler.ts"),
      handler: "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, "package-lock.json"),
      ...FUNCTION_DEFAULTS,
      memorySize: 256,
      timeout: Duration.seconds(30),
      logGroup,
      environment: { NODE_OPTIONS: "--enable-source-maps", POWERTOOLS_SERVICE_NAME: "outbox-relay" },
    });

    const stack = Stack.of(this);
    this.role = new iam.Role(this, "PipeRole", {
      assumedBy: new iam.ServicePrincipal("pipes.amazonaws.com").withConditions({
        StringEquals: { "aws:SourceAccount": stack.account },
      }),
      description:
        "eventrail outbox pipe: reads the outbox stream, invokes the relay, puts events on the bus",
    });
    // The pipe's own log: each failed execution with its stage and error (payloads left out).
    const pipeLogGroup = new logs.LogGroup(this, "PipeLogGroup", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const policy = new iam.Policy(this, "PipePolicy", {
      statements: [
        new iam.PolicyStatement({
          sid: "ReadOutboxStream",
          actions: ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
          resources: [this.table.tableStreamArn as string],
        }),
        // ListStreams names no stream: as in aws-cdk's Table.grantStreamRead, it takes Resource *.
        new iam.PolicyStatement({ sid: "ListStreams", actions: ["dynamodb:ListStreams"], resources: ["*"] }),
        new iam.PolicyStatement({
          sid: "InvokeRelay",
          actions: ["lambda:InvokeFunction"],
          resources: [this.relay.functionArn],
        }),
        new iam.PolicyStatement({
          sid: "PutEventsOnBus",
          actions: ["events:PutEvents"],
          resources: [props.eventBus.eventBusArn],
        }),
        new iam.PolicyStatement({
          sid: "SendToDeadLetterQueue",
          actions: ["sqs:SendMessage"],
          resources: [this.deadLetterQueue.queueArn],
        }),
        new iam.PolicyStatement({
          sid: "WriteLog",
          actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
          resources: [pipeLogGroup.logGroupArn],
        }),
        new iam.PolicyStatement({
          sid: "EncryptDeadLetters",
          actions: ["kms:GenerateDataKey", "kms:Decrypt"],
          resources: [props.encryptionKey.keyArn],
        }),
      ],
    });
    policy.attachToRole(this.role);
    Validations.of(policy).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
      reason:
        "Only dynamodb:ListStreams uses Resource *: it lists the account's streams and supports no resource-level permission (aws-cdk's grantStreamRead grants it the same way); every stream action is scoped to the outbox's stream.",
    });

    this.pipe = new pipes.CfnPipe(this, "Pipe", {
      description: "eventrail outbox: new outbox items to the bus",
      roleArn: this.role.roleArn,
      source: this.table.tableStreamArn as string,
      sourceParameters: {
        dynamoDbStreamParameters: {
          startingPosition: "TRIM_HORIZON",
          batchSize: settings.batchSize,
          ...(settings.maximumBatchingWindowSeconds > 0
            ? { maximumBatchingWindowInSeconds: settings.maximumBatchingWindowSeconds }
            : {}),
          maximumRetryAttempts: settings.maximumRetryAttempts,
          maximumRecordAgeInSeconds: settings.maximumRecordAgeSeconds,
          onPartialBatchItemFailure: "AUTOMATIC_BISECT",
          // One reader per shard keeps the order of each item's records.
          parallelizationFactor: 1,
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
        filterCriteria: { filters: [{ pattern: JSON.stringify(OUTBOX_PIPE_FILTER_PATTERN) }] },
      },
      enrichment: this.relay.functionArn,
      target: props.eventBus.eventBusArn,
      targetParameters: {
        inputTemplate: "<$.detail>",
        eventBridgeEventBusParameters: { source: "$.source", detailType: "$.detailType", time: "$.time" },
      },
      logConfiguration: {
        cloudwatchLogsLogDestination: { logGroupArn: pipeLogGroup.logGroupArn },
        level: "ERROR",
      },
      desiredState: "RUNNING",
    });
    // Created only once its role may read the stream and write its log.
    this.pipe.node.addDependency(policy);
    this.pipeName = this.pipe.ref;

    this.acknowledgeDesignedFindings(relayRole);
  }

  /**
   * Lets `grantee` write outbox items in its transactions: `dynamodb:PutItem` on the table, the
   * only action an outbox `Put` needs (no read, no delete, no update).
   */
  public grantWrite(grantee: iam.IGrantable): iam.Grant {
    return iam.Grant.addToPrincipal({
      grantee,
      actions: ["dynamodb:PutItem"],
      resourceArns: [this.table.tableArn],
    });
  }

  private acknowledgeDesignedFindings(relayRole: iam.Role): void {
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "AwsSolutions::AwsSolutions-SQS3",
      reason:
        "This queue is the pipe's dead-letter queue (DeadLetterConfig of its DynamoDB stream source); cdk-nag only recognises DLQs named in an SQS redrive policy.",
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: "Serverless::Serverless-SQSRedrivePolicy",
      reason:
        "A terminal dead-letter queue: on-call redrives it with `eventrail dlq redrive outbox/pipe` after a fix, and its alarm pages them.",
    });
    Validations.of(this.relay).acknowledge({
      id: "Serverless::Serverless-LambdaDLQ",
      reason:
        "The relay is invoked only synchronously, as the pipe's enrichment; a failed batch is retried and bisected by the pipe, whose DLQ takes what keeps failing.",
    });
    acknowledgeTracingWildcard(relayRole);
  }
}

/** Applies defaults and checks the pipe's settings against the limits AWS enforces. */
function resolveSettings(props: EventOutboxProps) {
  const batchSize = props.batchSize ?? DEFAULTS.batchSize;
  const maximumBatchingWindowSeconds = props.maximumBatchingWindow?.toSeconds({ integral: false }) ?? 0;
  const maximumRetryAttempts = props.maximumRetryAttempts ?? DEFAULTS.maximumRetryAttempts;
  const maximumRecordAgeSeconds = (props.maximumRecordAge ?? DEFAULTS.maximumRecordAge).toSeconds({
    integral: false,
  });
  check("batchSize", batchSize, {
    ...AWS_LIMITS.pipesStreamBatchSize,
    defaultValue: String(DEFAULTS.batchSize),
  });
  check("maximumBatchingWindow", maximumBatchingWindowSeconds, {
    ...AWS_LIMITS.pipesBatchingWindowSeconds,
    defaultValue: "none",
  });
  check("maximumRetryAttempts", maximumRetryAttempts, {
    ...AWS_LIMITS.pipesMaximumRetryAttempts,
    min: 0,
    defaultValue: String(DEFAULTS.maximumRetryAttempts),
  });
  check("maximumRecordAge", maximumRecordAgeSeconds, {
    ...AWS_LIMITS.pipesMaximumRecordAgeSeconds,
    min: 60,
    defaultValue: "1 hour",
  });
  return { batchSize, maximumBatchingWindowSeconds, maximumRetryAttempts, maximumRecordAgeSeconds };
}

function check(prop: string, value: number, range: WholeNumberRange): void {
  const problem = wholeNumberOutOfRange(prop, value, range);
  if (problem !== undefined) throw new OutboxConfigError(`EventOutbox: ${problem}`);
}
