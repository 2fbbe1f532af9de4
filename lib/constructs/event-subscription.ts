import * as path from "node:path";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { catalog } from "../catalog";
import type { SubscriptionDefinition } from "../subscriptions";

/** Properties of {@link EventSubscription}. */
export interface EventSubscriptionProps {
  /** The bus whose events the subscription consumes. */
  readonly eventBus: events.IEventBus;
  /** The subscription, as declared in `lib/subscriptions.ts`. */
  readonly definition: SubscriptionDefinition;
  /**
   * Customer-managed key for the queue and both DLQs. Its policy must admit `events.amazonaws.com`
   * (see `EventDeliveryKey`).
   */
  readonly encryptionKey: kms.IKey;
  /** Table holding the consumer's idempotency records (partition key `id`, TTL `expiration`). */
  readonly idempotencyTable: dynamodb.ITable;
  /** Repository root; `definition.entry` and the lock file are resolved against it. */
  readonly projectRoot: string;
  /**
   * How long the rule target keeps retrying an undeliverable event before it goes to the target DLQ.
   * @default Duration.hours(24)
   */
  readonly targetMaxEventAge?: Duration;
  /**
   * Delivery attempts of the rule target before the target DLQ.
   * @default 185
   */
  readonly targetRetryAttempts?: number;
  /**
   * Retention of the consumer's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long the queue DLQ and the target DLQ keep a message. The maximum, so on-call has two weeks.
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
  /**
   * What happens to the state table when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly stateTableRemovalPolicy?: RemovalPolicy;
}

/** Raised at synth time when a subscription's settings cannot work on AWS. */
export class SubscriptionConfigError extends Error {
  public override readonly name = "SubscriptionConfigError";
}

const NAME_PATTERN = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$/;
const DEFAULTS = {
  timeoutSeconds: 30,
  memorySize: 256,
  batchSize: 10,
  maxBatchingWindowSeconds: 0,
  maxConcurrency: 10,
  maxReceiveCount: 5,
} as const;

/** A subscription's settings with every default applied. */
export interface ResolvedSubscriptionSettings {
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maxConcurrency: number;
  readonly maxReceiveCount: number;
  readonly visibilityTimeoutSeconds: number;
}

function requireRange(subscription: string, prop: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new SubscriptionConfigError(
      `Subscription "${subscription}": ${prop} is ${value}; expected a whole number from ${min} to ${max}`,
    );
  }
}

/**
 * Applies defaults to a subscription and checks it against the limits AWS enforces (and the
 * visibility rule AWS recommends), so a bad declaration fails `cdk synth` rather than a deployment.
 */
export function resolveSubscriptionSettings(
  definition: SubscriptionDefinition,
): ResolvedSubscriptionSettings {
  const name = definition.name;
  if (!NAME_PATTERN.test(name)) {
    throw new SubscriptionConfigError(
      `Subscription name "${name}" is invalid; expected 2-40 lower-case letters, digits and '-', starting with a letter`,
    );
  }
  if (definition.eventTypes.length === 0) {
    throw new SubscriptionConfigError(
      `Subscription "${name}": eventTypes is empty; list the catalog event types it consumes`,
    );
  }
  for (const detailType of definition.eventTypes) {
    if (!Object.hasOwn(catalog, detailType)) {
      throw new SubscriptionConfigError(
        `Subscription "${name}": event type "${detailType}" is not in the catalog; declare it in lib/catalog first`,
      );
    }
  }
  const settings = {
    timeoutSeconds: definition.timeoutSeconds ?? DEFAULTS.timeoutSeconds,
    memorySize: definition.memorySize ?? DEFAULTS.memorySize,
    batchSize: definition.batchSize ?? DEFAULTS.batchSize,
    maxBatchingWindowSeconds: definition.maxBatchingWindowSeconds ?? DEFAULTS.maxBatchingWindowSeconds,
    maxConcurrency: definition.maxConcurrency ?? DEFAULTS.maxConcurrency,
    maxReceiveCount: definition.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
  };
  requireRange(name, "timeoutSeconds", settings.timeoutSeconds, 1, 900);
  requireRange(name, "memorySize", settings.memorySize, 128, 10_240);
  requireRange(name, "maxBatchingWindowSeconds", settings.maxBatchingWindowSeconds, 0, 300);
  requireRange(name, "maxConcurrency", settings.maxConcurrency, 2, 1000);
  requireRange(name, "maxReceiveCount", settings.maxReceiveCount, 1, 1000);
  requireRange(name, "batchSize", settings.batchSize, 1, 10_000);
  if (settings.batchSize > 10 && settings.maxBatchingWindowSeconds === 0) {
    throw new SubscriptionConfigError(
      `Subscription "${name}": batchSize is ${settings.batchSize} with no batching window; Lambda allows more than 10 records per batch only with maxBatchingWindowSeconds of at least 1`,
    );
  }
  const minimumVisibility = 6 * settings.timeoutSeconds;
  const visibilityTimeoutSeconds = definition.visibilityTimeoutSeconds ?? minimumVisibility;
  requireRange(name, "visibilityTimeoutSeconds", visibilityTimeoutSeconds, 0, 43_200);
  if (visibilityTimeoutSeconds < minimumVisibility) {
    throw new SubscriptionConfigError(
      `Subscription "${name}": visibilityTimeoutSeconds is ${visibilityTimeoutSeconds} but the function timeout is ${settings.timeoutSeconds} s; ` +
        `the queue's visibility timeout must be at least 6 x the function timeout (${minimumVisibility} s) so a message is not delivered again while a retry is still running. ` +
        `Raise visibilityTimeoutSeconds to ${minimumVisibility} or more, or lower timeoutSeconds.`,
    );
  }
  return { ...settings, visibilityTimeoutSeconds };
}

/** The rule pattern of a subscription: its event types' sources and detail-types, plus its content filter. */
export function subscriptionEventPattern(definition: SubscriptionDefinition): events.EventPattern {
  const types = definition.eventTypes.map((detailType) => catalog[detailType]);
  const sources = [...new Set(types.map((t) => t.source))].sort();
  return {
    source: sources,
    detailType: types.map((t) => t.detailType),
    ...(definition.detailFilter ? { detail: { ...definition.detailFilter } } : {}),
  };
}

/**
 * One consumer of the bus, from rule to handler:
 *
 * rule (catalog pattern) → SQS queue (CMK, SSL only, redrive to a DLQ) → Lambda (SQS event source
 * with partial batch responses). The rule target retries and then sends what it cannot deliver to
 * its own DLQ, so no event is ever dropped between the bus and the queue.
 */
export class EventSubscription extends Construct {
  /** The subscription's name. */
  public readonly subscriptionName: string;
  /** Settings with every default applied. */
  public readonly settings: ResolvedSubscriptionSettings;
  /** The rule that routes the subscription's events to its queue. */
  public readonly rule: events.Rule;
  /** The queue the consumer reads. */
  public readonly queue: sqs.Queue;
  /** Messages the consumer failed `maxReceiveCount` times. */
  public readonly deadLetterQueue: sqs.Queue;
  /** Events the rule could not deliver to the queue. */
  public readonly targetDeadLetterQueue: sqs.Queue;
  /** The consumer. */
  public readonly consumer: nodejs.NodejsFunction;
  /** The consumer's log group. */
  public readonly logGroup: logs.LogGroup;
  /** The consumer's own state, when the definition asks for one. */
  public readonly stateTable?: dynamodb.Table;

  constructor(scope: Construct, id: string, props: EventSubscriptionProps) {
    super(scope, id);
    const definition = props.definition;
    const settings = resolveSubscriptionSettings(definition);
    this.subscriptionName = definition.name;
    this.settings = settings;
    const name = definition.name;
    const deadLetterRetention = props.deadLetterRetention ?? Duration.days(14);
    const encryption = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
    } as const;

    this.deadLetterQueue = new sqs.Queue(this, "DeadLetterQueue", {
      ...encryption,
      retentionPeriod: deadLetterRetention,
    });
    this.targetDeadLetterQueue = new sqs.Queue(this, "TargetDeadLetterQueue", {
      ...encryption,
      retentionPeriod: deadLetterRetention,
    });
    this.queue = new sqs.Queue(this, "Queue", {
      ...encryption,
      visibilityTimeout: Duration.seconds(settings.visibilityTimeoutSeconds),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.maxReceiveCount },
    });

    this.rule = new events.Rule(this, "Rule", {
      eventBus: props.eventBus,
      description: `eventrail subscription ${name}: ${definition.description}`,
      eventPattern: subscriptionEventPattern(definition),
    });
    this.rule.addTarget(
      new targets.SqsQueue(this.queue, {
        deadLetterQueue: this.targetDeadLetterQueue,
        maxEventAge: props.targetMaxEventAge ?? Duration.hours(24),
        retryAttempts: props.targetRetryAttempts ?? 185,
      }),
    );

    if (definition.stateTable) {
      this.stateTable = new dynamodb.Table(this, "StateTable", {
        partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
        sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: dynamodb.TableEncryption.AWS_MANAGED,
        removalPolicy: props.stateTableRemovalPolicy ?? RemovalPolicy.RETAIN,
      });
    }

    this.logGroup = new logs.LogGroup(this, "LogGroup", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });

    // An own role instead of AWSLambdaBasicExecutionRole: logs may go to this log group only.
    const role = new iam.Role(this, "ConsumerRole", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `eventrail consumer ${name}`,
    });
    this.logGroup.grantWrite(role);

    const publishes = definition.publishes ?? [];
    this.consumer = new nodejs.NodejsFunction(this, "Consumer", {
      role,
      description: `eventrail consumer ${name}: ${definition.description}`,
      entry: path.join(props.projectRoot, definition.entry),
      handler: "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, "package-lock.json"),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: settings.memorySize,
      timeout: Duration.seconds(settings.timeoutSeconds),
      tracing: lambda.Tracing.ACTIVE,
      loggingFormat: lambda.LoggingFormat.JSON,
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_METRICS_NAMESPACE: "eventrail",
        POWERTOOLS_LOG_LEVEL: "INFO",
        EVENTRAIL_PRODUCER: name,
        IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
        ...(publishes.length > 0 ? { EVENT_BUS_NAME: props.eventBus.eventBusName } : {}),
        ...(this.stateTable ? { STATE_TABLE_NAME: this.stateTable.tableName } : {}),
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: "node24",
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ["module", "main"],
        externalModules: ["@aws-sdk/*"],
        // Some dependencies still call require(); ESM bundles need it defined.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        forceDockerBundling: false,
      },
    });

    this.consumer.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: settings.batchSize,
        maxBatchingWindow:
          settings.maxBatchingWindowSeconds > 0
            ? Duration.seconds(settings.maxBatchingWindowSeconds)
            : undefined,
        maxConcurrency: settings.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    props.idempotencyTable.grantReadWriteData(this.consumer);
    this.stateTable?.grantReadWriteData(this.consumer);
    if (publishes.length > 0) {
      props.eventBus.grantPutEventsTo(this.consumer);
    }
    this.acknowledgeDesignedFindings(role);
  }

  /** Findings that this design answers in another way than the rule expects, each with its reason. */
  private acknowledgeDesignedFindings(role: iam.Role): void {
    const terminalQueue =
      "A terminal dead-letter queue: nothing is redriven from it automatically; on-call moves messages back with `eventrail dlq redrive` after a fix, and its alarm pages them.";
    for (const queue of [this.deadLetterQueue, this.targetDeadLetterQueue]) {
      Validations.of(queue).acknowledge({
        id: "Serverless::Serverless-SQSRedrivePolicy",
        reason: terminalQueue,
      });
    }
    Validations.of(this.targetDeadLetterQueue).acknowledge({
      id: "AwsSolutions::AwsSolutions-SQS3",
      reason:
        "This queue is the dead-letter queue of the rule's SQS target (EventBridge DeadLetterConfig); cdk-nag only recognises DLQs named in an SQS redrive policy.",
    });
    Validations.of(this.consumer).acknowledge({
      id: "Serverless::Serverless-LambdaDLQ",
      reason:
        "The function is invoked only synchronously, by its SQS event source mapping; a failed record returns to the queue, whose redrive policy moves it to the queue DLQ after maxReceiveCount.",
    });
    Validations.of(this.consumer).acknowledge({
      id: "Serverless::Serverless-LambdaEventSourceMappingDestination",
      reason:
        "Lambda supports on-failure destinations for stream and Kafka sources, not SQS; for SQS the queue's redrive policy to its DLQ is the failure destination.",
    });
    Validations.of(role).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
      reason:
        "Only X-Ray's xray:PutTraceSegments and xray:PutTelemetryRecords use Resource *: they support no resource-level permissions.",
    });
  }
}
