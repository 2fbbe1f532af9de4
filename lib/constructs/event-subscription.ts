import * as path from "node:path";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import { SqsEventSource } from "aws-cdk-lib/aws-lambda-event-sources";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { AWS_DEFAULTS, AWS_LIMITS, type WholeNumberRange, wholeNumberOutOfRange } from "../aws-limits";
import { SUBSCRIPTION_NAME_PATTERN } from "../naming";
import type { EventOutbox } from "./event-outbox";
import { acknowledgeTracingWildcard, FUNCTION_DEFAULTS } from "./function-defaults";

/**
 * An event type as a subscription routes it: where it comes from and what it is called. The
 * catalog's `EventType` is one.
 */
export interface RoutedEventType {
  /** EventBridge `source`, such as `eventrail.orders`. */
  readonly source: string;
  /** EventBridge `detail-type`, such as `OrderPlaced`. */
  readonly detailType: string;
}

/**
 * One consumer of the bus, declared once: {@link EventSubscription} turns it into a rule, a
 * CMK-encrypted queue with a DLQ, a rule-target DLQ and a Lambda consumer.
 *
 * `TEventTypeName` narrows the event type names to those of one catalog, so the compiler checks
 * them (lib/subscriptions.ts does); the construct checks them again against the event types it is
 * given.
 */
export interface EventSubscriptionDefinition<TEventTypeName extends string = string> {
  /** kebab-case name, unique; used in resource names, the CLI and alarms. */
  readonly name: string;
  /** What this consumer does, for docs and the console. */
  readonly description: string;
  /** The detail-types it consumes; the rule matches their source and detail-type. */
  readonly eventTypes: readonly TEventTypeName[];
  /**
   * Extra content filter on `detail`, in EventBridge pattern syntax, merged into the rule pattern.
   * @default - no filter: every event of the listed types
   */
  readonly detailFilter?: Readonly<Record<string, unknown>>;
  /** Handler entry file, relative to the project root. */
  readonly entry: string;
  /** Detail-types this consumer publishes (event chaining); grants PutEvents on the bus. @default [] */
  readonly publishes?: readonly TEventTypeName[];
  /**
   * Publishes its follow-ups through the transactional outbox, in the same DynamoDB transaction as
   * the state change they announce (`followUpEntry`), instead of PutEvents: the function gets
   * `OUTBOX_TABLE_NAME` and may write outbox items, and no PutEvents permission.
   * @default false
   */
  readonly outbox?: boolean;
  /** Gives the consumer a DynamoDB table of its own (`pk`, `sk`), named in `STATE_TABLE_NAME`. @default false */
  readonly stateTable?: boolean;
  /** Function timeout, whole seconds from 1 s to 15 minutes. @default Duration.seconds(30) */
  readonly timeout?: Duration;
  /** Function memory in MiB (128-10,240). @default 256 */
  readonly memorySize?: number;
  /** Records per invocation (1-10,000; above 10 only with a batching window). @default 10 */
  readonly batchSize?: number;
  /** How long Lambda waits to fill a batch, whole seconds up to 5 minutes. @default - no batching window */
  readonly maxBatchingWindow?: Duration;
  /** Concurrent invocations the event source may use (2-1000). @default 10 */
  readonly maxConcurrency?: number;
  /** Receives before a message moves to the queue DLQ (1-1000). @default 5 */
  readonly maxReceiveCount?: number;
  /**
   * Queue visibility timeout, whole seconds up to 12 hours; at least 6 x the function timeout.
   * @default - 6 x the function timeout
   */
  readonly visibilityTimeout?: Duration;
}

/** Properties of {@link EventSubscription}. */
export interface EventSubscriptionProps {
  /** The bus whose events the subscription consumes. */
  readonly eventBus: events.IEventBus;
  /** The subscription. */
  readonly definition: EventSubscriptionDefinition;
  /**
   * The event types the definition's `eventTypes` and `publishes` name, normally the whole catalog:
   * the rule pattern takes each consumed type's source from here.
   */
  readonly eventTypes: readonly RoutedEventType[];
  /**
   * Customer-managed key for the queue and both DLQs. Its policy must admit `events.amazonaws.com`
   * (see `EventDeliveryKey`).
   */
  readonly encryptionKey: kms.IKey;
  /** Table holding the consumer's idempotency records (partition key `id`, TTL `expiration`). */
  readonly idempotencyTable: dynamodb.ITable;
  /**
   * The transactional outbox, for a definition with `outbox: true`.
   * @default - none; a definition with `outbox: true` is refused
   */
  readonly outbox?: EventOutbox;
  /** Project root; `definition.entry` and the lock file are resolved against it. */
  readonly projectRoot: string;
  /**
   * How long the rule target keeps retrying an undeliverable event before it goes to the target DLQ
   * (whole seconds from 1 minute to 24 hours).
   * @default Duration.hours(24)
   */
  readonly targetMaxEventAge?: Duration;
  /**
   * Delivery attempts of the rule target before the target DLQ (0-185).
   * @default 185
   */
  readonly targetRetryAttempts?: number;
  /**
   * Retention of the consumer's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long the queue DLQ and the target DLQ keep a message (whole seconds from 1 minute to 14
   * days). The maximum, so on-call has two weeks.
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

/** CloudWatch namespace of every consumer's metrics; the `service` dimension is the subscription's name. */
export const CONSUMER_METRICS_NAMESPACE = "eventrail";

const DEFAULTS = {
  timeout: Duration.seconds(30),
  memorySize: 256,
  batchSize: AWS_DEFAULTS.sqsEventSource.batchSize,
  maxBatchingWindow: Duration.seconds(AWS_DEFAULTS.sqsEventSource.maxBatchingWindowSeconds),
  maxConcurrency: 10,
  maxReceiveCount: 5,
  targetMaxEventAge: Duration.seconds(AWS_DEFAULTS.eventBridgeTargetRetry.maximumEventAgeInSeconds),
  targetRetryAttempts: AWS_DEFAULTS.eventBridgeTargetRetry.maximumRetryAttempts,
  deadLetterRetention: Duration.days(14),
} as const;
/** Lambda takes more than 10 records per batch only with a batching window. */
const LARGEST_BATCH_WITHOUT_WINDOW = 10;
/** AWS's advice for an SQS event source: visibility of at least 6 x the function timeout. */
const VISIBILITY_PER_TIMEOUT = 6;

/**
 * A subscription's settings with every default applied, in the whole units CloudFormation takes
 * (seconds, MiB), as the template and the local pipeline carry them.
 */
export interface ResolvedSubscriptionSettings {
  /** Function timeout, seconds. */
  readonly timeoutSeconds: number;
  /** Function memory, MiB. */
  readonly memorySize: number;
  /** Records per invocation. */
  readonly batchSize: number;
  /** Batching window, seconds; 0 for none. */
  readonly maxBatchingWindowSeconds: number;
  /** Concurrent invocations of the event source. */
  readonly maxConcurrency: number;
  /** Receives before the queue DLQ. */
  readonly maxReceiveCount: number;
  /** Queue visibility timeout, seconds. */
  readonly visibilityTimeoutSeconds: number;
}

/** Throws unless `value` is a whole number in `range`, naming the subscription, the prop, the range and the fix. */
function requireInRange(subscription: string, prop: string, value: number, range: WholeNumberRange): void {
  const problem = wholeNumberOutOfRange(prop, value, range);
  if (problem !== undefined) throw new SubscriptionConfigError(`Subscription "${subscription}": ${problem}`);
}

/** A duration in seconds, fractions kept, so that the range check can refuse them with its own message. */
function seconds(duration: Duration): number {
  return duration.toSeconds({ integral: false });
}

/**
 * Applies defaults to a subscription and checks it against the limits AWS enforces (and the
 * visibility rule AWS recommends), so a bad declaration fails `cdk synth` rather than a deployment.
 * Its event type names are checked by {@link subscriptionEventPattern}, against a catalog.
 */
export function resolveSubscriptionSettings(
  definition: EventSubscriptionDefinition,
): ResolvedSubscriptionSettings {
  const name = definition.name;
  if (!SUBSCRIPTION_NAME_PATTERN.test(name)) {
    throw new SubscriptionConfigError(
      `Subscription name "${name}" is invalid; expected 2-40 lower-case letters, digits and '-', starting with a letter, such as "order-shipping"`,
    );
  }
  if (definition.eventTypes.length === 0) {
    throw new SubscriptionConfigError(
      `Subscription "${name}": eventTypes is empty; list the catalog event types it consumes`,
    );
  }
  const settings = {
    timeoutSeconds: seconds(definition.timeout ?? DEFAULTS.timeout),
    memorySize: definition.memorySize ?? DEFAULTS.memorySize,
    batchSize: definition.batchSize ?? DEFAULTS.batchSize,
    maxBatchingWindowSeconds: seconds(definition.maxBatchingWindow ?? DEFAULTS.maxBatchingWindow),
    maxConcurrency: definition.maxConcurrency ?? DEFAULTS.maxConcurrency,
    maxReceiveCount: definition.maxReceiveCount ?? DEFAULTS.maxReceiveCount,
  };
  requireInRange(name, "timeout", settings.timeoutSeconds, {
    ...AWS_LIMITS.lambdaTimeoutSeconds,
    defaultValue: `${seconds(DEFAULTS.timeout)} s`,
  });
  requireInRange(name, "memorySize", settings.memorySize, {
    ...AWS_LIMITS.lambdaMemoryMiB,
    defaultValue: `${DEFAULTS.memorySize} MiB`,
  });
  requireInRange(name, "maxBatchingWindow", settings.maxBatchingWindowSeconds, {
    ...AWS_LIMITS.sqsEventSourceBatchingWindowSeconds,
    defaultValue: "no window",
  });
  requireInRange(name, "maxConcurrency", settings.maxConcurrency, {
    ...AWS_LIMITS.sqsEventSourceMaxConcurrency,
    defaultValue: String(DEFAULTS.maxConcurrency),
  });
  requireInRange(name, "maxReceiveCount", settings.maxReceiveCount, {
    ...AWS_LIMITS.sqsMaxReceiveCount,
    defaultValue: String(DEFAULTS.maxReceiveCount),
  });
  requireInRange(name, "batchSize", settings.batchSize, {
    ...AWS_LIMITS.sqsEventSourceBatchSize,
    defaultValue: String(DEFAULTS.batchSize),
  });
  if (settings.batchSize > LARGEST_BATCH_WITHOUT_WINDOW && settings.maxBatchingWindowSeconds === 0) {
    throw new SubscriptionConfigError(
      `Subscription "${name}": batchSize is ${settings.batchSize} with no batching window; Lambda allows more than ${LARGEST_BATCH_WITHOUT_WINDOW} records per batch only with a maxBatchingWindow of at least 1 s. ` +
        `Set maxBatchingWindow (such as Duration.seconds(1)), or lower batchSize to ${LARGEST_BATCH_WITHOUT_WINDOW}.`,
    );
  }
  const minimumVisibility = VISIBILITY_PER_TIMEOUT * settings.timeoutSeconds;
  const visibilityTimeoutSeconds =
    definition.visibilityTimeout === undefined ? minimumVisibility : seconds(definition.visibilityTimeout);
  requireInRange(name, "visibilityTimeout", visibilityTimeoutSeconds, {
    ...AWS_LIMITS.sqsVisibilityTimeoutSeconds,
    defaultValue: `${VISIBILITY_PER_TIMEOUT} x the timeout`,
  });
  if (visibilityTimeoutSeconds < minimumVisibility) {
    throw new SubscriptionConfigError(
      `Subscription "${name}": visibilityTimeout is ${visibilityTimeoutSeconds} s but the function timeout is ${settings.timeoutSeconds} s; ` +
        `the queue's visibility timeout must be at least ${VISIBILITY_PER_TIMEOUT} x the function timeout (${minimumVisibility} s) so a message is not delivered again while a retry is still running. ` +
        `Raise visibilityTimeout to ${minimumVisibility} s or more, leave it out, or lower timeout.`,
    );
  }
  return { ...settings, visibilityTimeoutSeconds };
}

/**
 * The event types `names` refer to, found by detail-type in `eventTypes`; throws naming the
 * subscription, the prop and the unknown names.
 */
function findEventTypes(
  definition: EventSubscriptionDefinition,
  prop: "eventTypes" | "publishes",
  names: readonly string[],
  eventTypes: readonly RoutedEventType[],
): RoutedEventType[] {
  const byDetailType = new Map(eventTypes.map((eventType) => [eventType.detailType, eventType]));
  const unknown = names.filter((name) => !byDetailType.has(name));
  if (unknown.length > 0) {
    throw new SubscriptionConfigError(
      `Subscription "${definition.name}": ${prop} names ${unknown.map((n) => `"${n}"`).join(", ")}, not in the catalog it was given (${[...byDetailType.keys()].join(", ")}); declare the event type in the catalog first, or correct the name`,
    );
  }
  return names.map((name) => byDetailType.get(name) as RoutedEventType);
}

/**
 * The rule pattern of a subscription: its event types' sources and detail-types, plus its content
 * filter. Throws when the definition names an event type that `eventTypes` does not have.
 */
export function subscriptionEventPattern(
  definition: EventSubscriptionDefinition,
  eventTypes: readonly RoutedEventType[],
): events.EventPattern {
  const types = findEventTypes(definition, "eventTypes", definition.eventTypes, eventTypes);
  const sources = [...new Set(types.map((t) => t.source))].sort();
  return {
    source: sources,
    detailType: types.map((t) => t.detailType),
    ...(definition.detailFilter ? { detail: { ...definition.detailFilter } } : {}),
  };
}

/** Checks the props the construct itself takes (the definition's own are checked by {@link resolveSubscriptionSettings}). */
function resolveTargetSettings(name: string, props: EventSubscriptionProps) {
  const targetRetryAttempts = props.targetRetryAttempts ?? DEFAULTS.targetRetryAttempts;
  const targetMaxEventAge = props.targetMaxEventAge ?? DEFAULTS.targetMaxEventAge;
  const deadLetterRetention = props.deadLetterRetention ?? DEFAULTS.deadLetterRetention;
  requireInRange(name, "targetRetryAttempts", targetRetryAttempts, {
    ...AWS_LIMITS.eventBridgeTargetRetryAttempts,
    defaultValue: String(DEFAULTS.targetRetryAttempts),
  });
  requireInRange(name, "targetMaxEventAge", seconds(targetMaxEventAge), {
    ...AWS_LIMITS.eventBridgeTargetMaxEventAgeSeconds,
    defaultValue: `${seconds(DEFAULTS.targetMaxEventAge)} s (24 hours)`,
  });
  requireInRange(name, "deadLetterRetention", seconds(deadLetterRetention), {
    ...AWS_LIMITS.sqsRetentionSeconds,
    defaultValue: `${seconds(DEFAULTS.deadLetterRetention)} s (14 days)`,
  });
  return { targetRetryAttempts, targetMaxEventAge, deadLetterRetention };
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
    const name = definition.name;
    const eventPattern = subscriptionEventPattern(definition, props.eventTypes);
    const publishes = definition.publishes ?? [];
    // Fails synth for a follow-up type outside the catalog, which no publisher would accept.
    findEventTypes(definition, "publishes", publishes, props.eventTypes);
    const viaOutbox = definition.outbox === true;
    if (viaOutbox && props.outbox === undefined) {
      throw new SubscriptionConfigError(
        `Subscription "${name}" publishes through the outbox (outbox: true), but no EventOutbox was given; pass the stack's outbox, or remove outbox: true to publish with PutEvents`,
      );
    }
    const { targetRetryAttempts, targetMaxEventAge, deadLetterRetention } = resolveTargetSettings(
      name,
      props,
    );
    this.subscriptionName = name;
    this.settings = settings;
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
      eventPattern,
    });
    this.rule.addTarget(
      new targets.SqsQueue(this.queue, {
        deadLetterQueue: this.targetDeadLetterQueue,
        maxEventAge: targetMaxEventAge,
        retryAttempts: targetRetryAttempts,
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

    this.consumer = new nodejs.NodejsFunction(this, "Consumer", {
      role,
      description: `eventrail consumer ${name}: ${definition.description}`,
      entry: path.join(props.projectRoot, definition.entry),
      handler: "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, "package-lock.json"),
      ...FUNCTION_DEFAULTS,
      memorySize: settings.memorySize,
      timeout: Duration.seconds(settings.timeoutSeconds),
      logGroup: this.logGroup,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: name,
        POWERTOOLS_METRICS_NAMESPACE: CONSUMER_METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: "INFO",
        EVENTRAIL_PRODUCER: name,
        // The consumer kit checks at cold start that its handlers cover exactly these.
        EVENTRAIL_CONSUMES: definition.eventTypes.join(","),
        IDEMPOTENCY_TABLE_NAME: props.idempotencyTable.tableName,
        ...(publishes.length > 0 && !viaOutbox ? { EVENT_BUS_NAME: props.eventBus.eventBusName } : {}),
        ...(viaOutbox && props.outbox ? { OUTBOX_TABLE_NAME: props.outbox.table.tableName } : {}),
        ...(this.stateTable ? { STATE_TABLE_NAME: this.stateTable.tableName } : {}),
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
    if (viaOutbox) props.outbox?.grantWrite(this.consumer);
    else if (publishes.length > 0) props.eventBus.grantPutEventsTo(this.consumer);
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
    acknowledgeTracingWildcard(role);
  }
}
