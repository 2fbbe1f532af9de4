import {
  CfnMapping,
  Duration,
  RemovalPolicy,
  Size,
  SizeRoundingBehavior,
  Stack,
  Token,
  Validations,
} from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as firehose from "aws-cdk-lib/aws-kinesisfirehose";
import * as kms from "aws-cdk-lib/aws-kms";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as sqs from "aws-cdk-lib/aws-sqs";
import { Construct } from "constructs";
import { AuditConfigError, requireWholeNumberInRange } from "../audit/audit-config-error";
import {
  DEFAULT_ERRORS_PREFIX,
  DEFAULT_EVENTS_PREFIX,
  dataOutputPrefix,
  errorOutputPrefix,
} from "../audit/firehose-layout";
import { AWS_DEFAULTS, AWS_LIMITS } from "../aws-limits";
import { AuditQueryEngine, type AuditQueryOptions } from "./audit-query-engine";

/** SQS's largest message, so an event up to EventBridge's 1 MB entry limit fits in the DLQ. */
const MAX_SQS_MESSAGE_BYTES = 1_048_576;
const S3_ACCESS_LOGS_USE_BUCKET_POLICY = "@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy";
const PREFIX = /^(?!\/)[A-Za-z0-9!_.*'()/-]*\/$/;

/** Properties of {@link AuditTrail}. */
export interface AuditTrailProps {
  /** The bus whose events are recorded. */
  readonly eventBus: events.IEventBus;
  /**
   * Whether replayed events (those carrying `replay-name`) are recorded too. Off by default: they
   * were recorded when first published, and the archive keeps them.
   * @default false
   */
  readonly includeReplays?: boolean;
  /**
   * Key for the audit bucket, the delivery stream and the rule-target DLQ. A key given here must
   * already admit `events.amazonaws.com` (kms:GenerateDataKey, kms:Decrypt), as `EventDeliveryKey`'s
   * does: EventBridge cannot write to a queue encrypted with a key it may not use.
   * @default - a new customer-managed key with rotation, retained with the bucket
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * How long Firehose buffers before it writes an object (0-900 s). Longer means fewer, larger
   * objects: cheaper PUTs and faster Athena scans, later arrival in S3.
   * @default Duration.minutes(5)
   */
  readonly bufferingInterval?: Duration;
  /**
   * How much (uncompressed) Firehose buffers before it writes an object (1-128 MiB).
   * @default Size.mebibytes(64)
   */
  readonly bufferingSize?: Size;
  /**
   * Storage-class transitions of audit objects. Glacier Instant Retrieval keeps old days queryable
   * by Athena; Flexible Retrieval and Deep Archive would not.
   * @default - Standard-IA after 90 days, Glacier Instant Retrieval after 365 days
   */
  readonly transitions?: readonly s3.Transition[];
  /**
   * When audit objects are deleted.
   * @default - never
   */
  readonly expiration?: Duration;
  /**
   * Write-once retention (S3 Object Lock) for every audit object, in governance or compliance mode:
   * `s3.ObjectLockRetention.compliance(Duration.days(2555))`. Object Lock cannot be turned off again.
   * @default - no Object Lock
   */
  readonly objectLockRetention?: s3.ObjectLockRetention;
  /**
   * How long server access logs of the audit bucket are kept.
   * @default Duration.days(365)
   */
  readonly accessLogsExpiration?: Duration;
  /**
   * Retention of Firehose's delivery-error log group.
   * @default logs.RetentionDays.ONE_YEAR
   */
  readonly deliveryLogRetention?: logs.RetentionDays;
  /**
   * Prefix of the delivered events; ends with `/`.
   * @default "events/"
   */
  readonly eventsPrefix?: string;
  /**
   * Prefix of records Firehose could not deliver; ends with `/`.
   * @default "delivery-errors/"
   */
  readonly errorsPrefix?: string;
  /**
   * Delivery attempts of the rule target before the event goes to the target DLQ (0-185).
   * @default 185
   */
  readonly targetRetryAttempts?: number;
  /**
   * How long the rule target keeps retrying (60 s to 24 h).
   * @default Duration.hours(24)
   */
  readonly targetMaxEventAge?: Duration;
  /**
   * How long the target DLQ keeps an event. The maximum, so on-call has two weeks.
   * @default Duration.days(14)
   */
  readonly deadLetterRetention?: Duration;
  /**
   * What happens to the buckets and the generated key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Settings of the Glue table and the Athena workgroup.
   * @default - the defaults of {@link AuditQueryOptions}
   */
  readonly query?: AuditQueryOptions;
}

/**
 * The audit trail: every event on the bus, in S3, queryable with Athena.
 *
 * A rule matching every event (replays left out unless asked for) → Firehose (Direct PUT, one JSON
 * event per line, GZIP, `dt=yyyy-MM-dd/` partitions by arrival date, failed records under their
 * own prefix, delivery errors logged) → a KMS-encrypted, versioned, SSL-only, access-logged bucket
 * that outlives the stack. The rule target retries and then parks what Firehose refuses (a record
 * over 1,000 KiB, say, which EventBridge's 1 MB entries can exceed) in a DLQ. Glue and Athena come
 * from {@link AuditQueryEngine}.
 */
export class AuditTrail extends Construct {
  /** Key of the bucket, the stream and the target DLQ. */
  public readonly encryptionKey: kms.IKey;
  /** Where the events land. */
  public readonly bucket: s3.Bucket;
  /** Server access logs of the audit bucket and the Athena results bucket. */
  public readonly accessLogsBucket: s3.Bucket;
  /** Firehose's delivery-error log group. */
  public readonly deliveryLogGroup: logs.LogGroup;
  /** The role Firehose assumes to encrypt and to write to the bucket. */
  public readonly deliveryRole: iam.Role;
  /** The Direct PUT delivery stream. */
  public readonly deliveryStream: firehose.DeliveryStream;
  /** The rule that sends every event to the stream. */
  public readonly rule: events.Rule;
  /** Events the rule could not deliver to the stream. */
  public readonly targetDeadLetterQueue: sqs.Queue;
  /** The prefix the `dt=` partitions are under. */
  public readonly eventsPrefix: string;
  /** How long Firehose buffers; the freshness alarm allows for it. */
  public readonly bufferingInterval: Duration;
  /** Glue database and table, Athena workgroup and saved queries. */
  public readonly queryEngine: AuditQueryEngine;

  constructor(scope: Construct, id: string, props: AuditTrailProps) {
    super(scope, id);
    // Access logs are delivered under a bucket policy, not the legacy log-delivery ACL, whatever the
    // app's flags say: the log bucket then keeps ACLs disabled (bucket owner enforced).
    this.node.setContext(S3_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const bufferingSize = props.bufferingSize ?? Size.mebibytes(64);
    const retryAttempts =
      props.targetRetryAttempts ?? AWS_DEFAULTS.eventBridgeTargetRetry.maximumRetryAttempts;
    const maxEventAge =
      props.targetMaxEventAge ??
      Duration.seconds(AWS_DEFAULTS.eventBridgeTargetRetry.maximumEventAgeInSeconds);
    this.eventsPrefix = props.eventsPrefix ?? DEFAULT_EVENTS_PREFIX;
    const errorsPrefix = props.errorsPrefix ?? DEFAULT_ERRORS_PREFIX;
    this.bufferingInterval = props.bufferingInterval ?? Duration.minutes(5);
    const deadLetterRetention = props.deadLetterRetention ?? Duration.days(14);
    const accessLogsExpiration = props.accessLogsExpiration ?? Duration.days(365);
    this.validate({
      bufferingSize,
      retryAttempts,
      maxEventAge,
      deadLetterRetention,
      expiration: props.expiration,
      accessLogsExpiration,
      errorsPrefix,
    });

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, "Key", {
        description: "eventrail: encrypts the audit trail (bucket, delivery stream, target DLQ)",
        enableKeyRotation: true,
        removalPolicy,
      });

    this.accessLogsBucket = new s3.Bucket(this, "AccessLogsBucket", {
      // S3 server access logging can only deliver to a bucket with SSE-S3 default encryption.
      encryption: s3.BucketEncryption.S3_MANAGED,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [
        {
          id: "expire-access-logs",
          expiration: accessLogsExpiration,
          noncurrentVersionExpiration: Duration.days(1),
        },
      ],
      removalPolicy,
    });

    this.bucket = new s3.Bucket(this, "Bucket", {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: "audit-bucket/",
      objectLockDefaultRetention: props.objectLockRetention,
      lifecycleRules: [
        {
          id: "audit-storage-classes",
          transitions: [
            ...(props.transitions ?? [
              { storageClass: s3.StorageClass.INFREQUENT_ACCESS, transitionAfter: Duration.days(90) },
              {
                storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                transitionAfter: Duration.days(365),
              },
            ]),
          ],
          expiration: props.expiration,
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
      ],
      removalPolicy,
    });

    this.deliveryLogGroup = new logs.LogGroup(this, "DeliveryLogGroup", {
      retention: props.deliveryLogRetention ?? logs.RetentionDays.ONE_YEAR,
      removalPolicy,
    });

    this.deliveryRole = new iam.Role(this, "DeliveryRole", {
      assumedBy: new iam.ServicePrincipal("firehose.amazonaws.com"),
      description: "eventrail audit trail: Firehose writes the audit bucket",
    });

    this.deliveryStream = new firehose.DeliveryStream(this, "DeliveryStream", {
      role: this.deliveryRole,
      encryption: firehose.StreamEncryption.customerManagedKey(this.encryptionKey),
      destination: new firehose.S3Bucket(this.bucket, {
        role: this.deliveryRole,
        dataOutputPrefix: dataOutputPrefix(this.eventsPrefix),
        errorOutputPrefix: errorOutputPrefix(errorsPrefix),
        compression: firehose.Compression.GZIP,
        bufferingInterval: this.bufferingInterval,
        bufferingSize,
        encryptionKey: this.encryptionKey,
        // Firehose writes records back to back; the newline makes the objects JSON lines.
        processors: [new firehose.AppendDelimiterToRecordProcessor()],
        loggingConfig: new firehose.EnableLogging(this.deliveryLogGroup),
      }),
    });

    dropUnusedFirehoseCidrMapping(Stack.of(this));

    this.targetDeadLetterQueue = new sqs.Queue(this, "TargetDeadLetterQueue", {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.encryptionKey,
      dataKeyReuse: Duration.hours(1),
      enforceSSL: true,
      maxMessageSizeBytes: MAX_SQS_MESSAGE_BYTES,
      retentionPeriod: deadLetterRetention,
    });

    this.rule = new events.Rule(this, "Rule", {
      eventBus: props.eventBus,
      description: props.includeReplays
        ? "eventrail audit trail: every event, replays included, to Firehose"
        : "eventrail audit trail: every event except replays, to Firehose",
      eventPattern: auditEventPattern(props.includeReplays ?? false),
    });
    this.rule.addTarget(
      new FirehoseTargetWithDeadLetterQueue(this.deliveryStream, {
        deadLetterQueue: this.targetDeadLetterQueue,
        retryAttempts,
        maxEventAge,
      }),
    );
    this.admitEventBridge();

    this.queryEngine = new AuditQueryEngine(this, "Query", {
      removalPolicy,
      ...props.query,
      bucket: this.bucket,
      eventsPrefix: this.eventsPrefix,
      encryptionKey: this.encryptionKey,
      serverAccessLogsBucket: this.accessLogsBucket,
    });

    this.acknowledgeDesignedFindings();
  }

  /**
   * Lets EventBridge put this rule's undeliverable events in the target DLQ. The queue policy names
   * the rule; the key policy can only name the account, since the rule already depends on the
   * queue and so on the key.
   */
  private admitEventBridge(): void {
    this.targetDeadLetterQueue.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: "AllowAuditRuleDeadLetters",
        principals: [new iam.ServicePrincipal("events.amazonaws.com")],
        actions: ["sqs:SendMessage"],
        resources: [this.targetDeadLetterQueue.queueArn],
        conditions: { ArnEquals: { "aws:SourceArn": this.rule.ruleArn } },
      }),
    );
    const eventBridge = new iam.ServicePrincipal("events.amazonaws.com").withConditions({
      StringEquals: { "aws:SourceAccount": Stack.of(this).account },
    });
    this.encryptionKey.grant(eventBridge, "kms:GenerateDataKey", "kms:Decrypt");
  }

  private validate(settings: {
    bufferingSize: Size;
    retryAttempts: number;
    maxEventAge: Duration;
    deadLetterRetention: Duration;
    expiration?: Duration;
    accessLogsExpiration: Duration;
    errorsPrefix: string;
  }): void {
    const name = "AuditTrail";
    const seconds = (duration: Duration) => duration.toSeconds({ integral: false });
    const days = (duration: Duration) => duration.toDays({ integral: false });
    requireWholeNumberInRange(name, "bufferingInterval", seconds(this.bufferingInterval), {
      ...AWS_LIMITS.firehoseBufferingIntervalSeconds,
      defaultValue: "300 s",
    });
    const bufferingMiB = settings.bufferingSize.toMebibytes({ rounding: SizeRoundingBehavior.NONE });
    requireWholeNumberInRange(name, "bufferingSize", bufferingMiB, {
      ...AWS_LIMITS.firehoseBufferingSizeMiB,
      defaultValue: "64 MiB",
    });
    requireWholeNumberInRange(name, "targetRetryAttempts", settings.retryAttempts, {
      ...AWS_LIMITS.eventBridgeTargetRetryAttempts,
      defaultValue: `${AWS_DEFAULTS.eventBridgeTargetRetry.maximumRetryAttempts}`,
    });
    requireWholeNumberInRange(name, "targetMaxEventAge", seconds(settings.maxEventAge), {
      ...AWS_LIMITS.eventBridgeTargetMaxEventAgeSeconds,
      defaultValue: "86400 s (24 hours)",
    });
    requireWholeNumberInRange(name, "deadLetterRetention", seconds(settings.deadLetterRetention), {
      ...AWS_LIMITS.sqsRetentionSeconds,
      defaultValue: "1209600 s (14 days)",
    });
    requireWholeNumberInRange(name, "accessLogsExpiration", days(settings.accessLogsExpiration), {
      ...AWS_LIMITS.s3ExpirationDays,
      defaultValue: "365 days",
    });
    if (settings.expiration !== undefined) {
      requireWholeNumberInRange(name, "expiration", days(settings.expiration), {
        ...AWS_LIMITS.s3ExpirationDays,
        defaultValue: "never",
      });
    }
    for (const [prop, prefix] of [
      ["eventsPrefix", this.eventsPrefix],
      ["errorsPrefix", settings.errorsPrefix],
    ] as const) {
      if (!Token.isUnresolved(prefix) && !PREFIX.test(prefix)) {
        throw new AuditConfigError(
          `${name}: ${prop} is "${prefix}"; expected an S3 key prefix that ends with "/" and does not start with "/", such as "events/"`,
        );
      }
    }
    if (
      this.eventsPrefix.startsWith(settings.errorsPrefix) ||
      settings.errorsPrefix.startsWith(this.eventsPrefix)
    ) {
      throw new AuditConfigError(
        `${name}: eventsPrefix "${this.eventsPrefix}" and errorsPrefix "${settings.errorsPrefix}" overlap; expected two separate prefixes, so the table never reads failed records`,
      );
    }
  }

  /** Findings that this design answers in another way than the rule expects, each with its reason. */
  private acknowledgeDesignedFindings(): void {
    const stack = Stack.of(this);
    const bucketLogicalId = stack.resolve(stack.getLogicalId(this.bucket.node.defaultChild as s3.CfnBucket));
    const grantedByDestination =
      "Granted by the Firehose S3 destination itself (bucket.grantReadWrite and the key grant of aws-kinesisfirehose's S3Bucket), scoped to the audit bucket and its key; Firehose needs to list the bucket, put and read back objects, abort multipart uploads and generate data keys.";
    const roleFindings = [
      "Action::kms:GenerateDataKey*",
      "Action::kms:ReEncrypt*",
      "Action::s3:Abort*",
      "Action::s3:DeleteObject*",
      "Action::s3:GetBucket*",
      "Action::s3:GetObject*",
      "Action::s3:List*",
      `Resource::<${bucketLogicalId}.Arn>/*`,
    ];
    for (const finding of roleFindings) {
      Validations.of(this.deliveryRole).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[${finding}]`,
        reason:
          finding === "Action::s3:DeleteObject*"
            ? `${grantedByDestination} Deletes are part of that grant; the bucket is versioned (and under Object Lock when configured), so no delete destroys an audit record.`
            : grantedByDestination,
      });
    }
    Validations.of(this.accessLogsBucket).acknowledge({
      id: "AwsSolutions::AwsSolutions-S1",
      reason:
        "This bucket is the destination of the audit bucket's server access logs; logging it into itself would log its own log deliveries without end.",
    });
    Validations.of(this.targetDeadLetterQueue).acknowledge({
      id: "AwsSolutions::AwsSolutions-SQS3",
      reason:
        "This queue is the dead-letter queue of the audit rule's Firehose target (EventBridge DeadLetterConfig); cdk-nag only recognises DLQs named in an SQS redrive policy.",
    });
    Validations.of(this.targetDeadLetterQueue).acknowledge({
      id: "Serverless::Serverless-SQSRedrivePolicy",
      reason:
        "A terminal dead-letter queue: on-call inspects what Firehose refused (most likely a record over 1,000 KiB) and its alarm pages them; nothing is redriven automatically.",
    });
  }
}

/** How the id of aws-kinesisfirehose's mapping of Firehose CIDR blocks per region ends. */
const FIREHOSE_CIDR_MAPPING_ID = "aws-kinesisfirehose.CidrBlocks";

/**
 * `DeliveryStream` registers a mapping of Firehose's CIDR blocks for its `connections`, which only
 * destinations inside a VPC use. In a stack without a concrete region the mapping is rendered
 * although nothing refers to it, and CDK's CloudFormation validation and cfn-lint report an unused
 * mapping (W7001). An S3 destination opens no network path, so the mapping is removed; a later
 * stream that needs it registers it again. This stream's `connections` must not be used.
 */
function dropUnusedFirehoseCidrMapping(stack: Stack): void {
  if (!Token.isUnresolved(stack.region)) return;
  const mapping = stack.node.children.find(
    (child) => child instanceof CfnMapping && child.node.id.endsWith(FIREHOSE_CIDR_MAPPING_ID),
  );
  if (mapping) stack.node.tryRemoveChild(mapping.node.id);
}

/**
 * Every event: `source` prefix "" matches any source. EventBridge's own archive rule leaves
 * replays out the same way, with `replay-name` not existing. `EventPattern` has no `replay-name`
 * field, but the rule renders unknown keys as they are.
 */
function auditEventPattern(includeReplays: boolean): events.EventPattern {
  const everyEvent: events.EventPattern = { source: events.Match.prefix("") };
  if (includeReplays) return everyEvent;
  const firstDeliveries: Record<string, string[]> = { "replay-name": events.Match.doesNotExist() };
  return { ...everyEvent, ...firstDeliveries };
}

/** What the audit rule's Firehose target does with events it cannot deliver. */
interface DeadLetterOptions {
  readonly deadLetterQueue: sqs.IQueue;
  readonly retryAttempts: number;
  readonly maxEventAge: Duration;
}

/**
 * The Firehose target with a retry policy and a DLQ. `targets.FirehoseDeliveryStream` binds the
 * stream and the role EventBridge assumes, but takes no DLQ or retry settings, though EventBridge
 * supports both for every target.
 */
class FirehoseTargetWithDeadLetterQueue implements events.IRuleTarget {
  private readonly target: targets.FirehoseDeliveryStream;

  constructor(
    deliveryStream: firehose.IDeliveryStream,
    private readonly options: DeadLetterOptions,
  ) {
    this.target = new targets.FirehoseDeliveryStream(deliveryStream);
  }

  public bind(rule: events.IRuleRef, id?: string): events.RuleTargetConfig {
    return {
      ...this.target.bind(rule, id),
      deadLetterConfig: { arn: this.options.deadLetterQueue.queueArn },
      retryPolicy: {
        maximumRetryAttempts: this.options.retryAttempts,
        maximumEventAgeInSeconds: this.options.maxEventAge.toSeconds(),
      },
    };
  }
}
