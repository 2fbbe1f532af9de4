/**
 * What the local pipeline runs: the resources of a synthesized stack, with every CloudFormation
 * reference resolved to a local name, ARN or URL. Built by the assembly reader from `cdk.out`, so
 * what runs locally is what deploys.
 */

import type { QueueSettings } from "./sqs/queue";

/** A resource of the stack as CloudFormation lists it: logical id, type and physical id. */
export interface LocalStackResource {
  readonly logicalId: string;
  readonly type: string;
  /** What `Ref` gives locally (a name, a URL or an ARN, by type); the logical id when it gives nothing. */
  readonly physicalId: string;
}

/**
 * An SQS queue of the template, with SQS's defaults applied where it leaves an attribute out: the
 * settings the local SQS engine runs a queue with, plus the logical id.
 */
export interface LocalQueueDefinition
  extends Omit<QueueSettings, "kmsMasterKeyId" | "kmsDataKeyReusePeriodSeconds"> {
  readonly logicalId: string;
}

/** A custom event bus. */
export interface LocalBusDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
}

/** A rule target, as `AWS::Events::Rule` declares it. */
export interface LocalRuleTarget {
  readonly id: string;
  readonly arn: string;
  readonly kind: "sqs" | "firehose" | "lambda" | "event-bus";
  /** Constant JSON input that replaces the event. */
  readonly input?: string;
  /** JSONPath selecting the part of the event to deliver. */
  readonly inputPath?: string;
  readonly inputTransformer?: {
    readonly inputPathsMap: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
  };
  readonly retryPolicy: { readonly maximumRetryAttempts: number; readonly maximumEventAgeInSeconds: number };
  readonly deadLetterArn?: string;
}

/** A rule on a bus. */
export interface LocalRuleDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly busName: string;
  readonly eventPattern: unknown;
  readonly state: "ENABLED" | "DISABLED";
  readonly description?: string;
  readonly targets: readonly LocalRuleTarget[];
}

/** An EventBridge archive. */
export interface LocalArchiveDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly sourceBusArn: string;
  readonly sourceBusName: string;
  readonly eventPattern?: unknown;
  /** 0 keeps events forever. */
  readonly retentionDays: number;
}

/** A Lambda function with its bundled asset. */
export interface LocalFunctionDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Absolute path of the asset folder in `cdk.out`. */
  readonly assetDir: string;
  /** `file.export`, e.g. `index.handler`. */
  readonly handler: string;
  readonly runtime: string;
  readonly timeoutSeconds: number;
  readonly memorySize: number;
  /** The template's environment, references resolved to local values. */
  readonly environment: Readonly<Record<string, string>>;
}

/** An SQS event source mapping. */
export interface LocalEventSourceMapping {
  readonly logicalId: string;
  readonly functionName: string;
  readonly queueArn: string;
  readonly batchSize: number;
  readonly maxBatchingWindowSeconds: number;
  readonly maxConcurrency?: number;
  readonly reportBatchItemFailures: boolean;
  readonly enabled: boolean;
}

/** A DynamoDB table: the template's properties, ready for CreateTable. */
export interface LocalTableDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly keySchema: readonly { readonly AttributeName: string; readonly KeyType: "HASH" | "RANGE" }[];
  readonly attributeDefinitions: readonly {
    readonly AttributeName: string;
    readonly AttributeType: string;
  }[];
  readonly timeToLiveAttribute?: string;
  /** The table's stream, when `StreamSpecification` declares one. @default - none */
  readonly stream?: {
    readonly viewType: "KEYS_ONLY" | "NEW_IMAGE" | "OLD_IMAGE" | "NEW_AND_OLD_IMAGES";
    /** What `Fn::GetAtt [Table, StreamArn]` gives locally. */
    readonly arn: string;
    readonly label: string;
  };
}

/**
 * An EventBridge pipe from a DynamoDB stream to an event bus (`AWS::Pipes::Pipe`), the settings of
 * its source, filter, enrichment and target.
 */
export interface LocalPipeDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** The DynamoDB stream ARN it reads. */
  readonly sourceArn: string;
  readonly desiredState: "RUNNING" | "STOPPED";
  readonly source: {
    readonly startingPosition: "TRIM_HORIZON" | "LATEST";
    readonly batchSize: number;
    readonly maximumBatchingWindowSeconds: number;
    /** -1: retried until the record expires from the stream. */
    readonly maximumRetryAttempts: number;
    /** -1: records never expire for the pipe (only the stream's 24 hours). */
    readonly maximumRecordAgeSeconds: number;
    readonly bisectOnError: boolean;
    /** The SQS queue that gets the position of a batch that kept failing. */
    readonly deadLetterArn?: string;
  };
  /** Event patterns over the stream record; a record matching any of them goes on. Empty: all do. */
  readonly filterPatterns: readonly unknown[];
  /** The enrichment function's ARN. */
  readonly enrichmentArn?: string;
  /** The event bus it puts events on. */
  readonly targetArn: string;
  readonly target: {
    /** Static text, or a JSON path (`$.detailType`) into the event. */
    readonly source?: string;
    readonly detailType?: string;
    readonly time?: string;
    readonly resources?: readonly string[];
    /** The detail's input template; the whole event when absent. */
    readonly inputTemplate?: string;
  };
}

/** A Firehose delivery stream writing to an S3 bucket. */
export interface LocalDeliveryStreamDefinition {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly bucketName: string;
  readonly prefix: string;
  readonly errorOutputPrefix: string;
  readonly bufferingIntervalSeconds: number;
  readonly bufferingSizeMiB: number;
  readonly compression: "GZIP" | "UNCOMPRESSED";
  /** `AppendDelimiterToRecord` processor present: one record per line. */
  readonly appendNewline: boolean;
}

/** An S3 bucket. */
export interface LocalBucketDefinition {
  readonly logicalId: string;
  readonly name: string;
}

/** Everything the local pipeline emulates for one stack. */
export interface LocalPipelineModel {
  readonly stackName: string;
  readonly accountId: string;
  readonly region: string;
  readonly buses: readonly LocalBusDefinition[];
  readonly rules: readonly LocalRuleDefinition[];
  readonly archives: readonly LocalArchiveDefinition[];
  readonly queues: readonly LocalQueueDefinition[];
  readonly functions: readonly LocalFunctionDefinition[];
  readonly eventSourceMappings: readonly LocalEventSourceMapping[];
  readonly tables: readonly LocalTableDefinition[];
  readonly pipes: readonly LocalPipeDefinition[];
  readonly deliveryStreams: readonly LocalDeliveryStreamDefinition[];
  readonly buckets: readonly LocalBucketDefinition[];
  /** Stack outputs, resolved. */
  readonly outputs: Readonly<Record<string, string>>;
  /**
   * Every resource CloudFormation would create, with its local physical id, for the CloudFormation
   * read calls at the edge. @default - none listed
   */
  readonly stackResources?: readonly LocalStackResource[];
  /** The template file the model was read from (GetTemplate). @default - unknown */
  readonly templateFile?: string;
  /** The export name of each exported output, resolved (DescribeStacks). @default - none exported */
  readonly outputExports?: Readonly<Record<string, string>>;
  /** The stack tags `cdk deploy` would pass (the assembly manifest's). @default - none */
  readonly stackTags?: Readonly<Record<string, string>>;
  /** Whether the stack is deployed with termination protection. @default false */
  readonly terminationProtection?: boolean;
}
