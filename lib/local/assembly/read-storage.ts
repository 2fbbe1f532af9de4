import { AWS_DEFAULTS, AWS_LIMITS } from "../../aws-limits";
import type { LocalBucketDefinition, LocalDeliveryStreamDefinition, LocalTableDefinition } from "../model";
import { bucketNameOfArn } from "./arns";
import type { WarningSink } from "./reading-report";
import type { ResourceProperties } from "./resource-properties";
import { describeValue } from "./template-types";

/** Firehose's defaults for an S3 destination that does not set them. */
export const FIREHOSE_S3_DEFAULTS = {
  bufferingIntervalSeconds: AWS_DEFAULTS.firehoseBuffering.intervalSeconds,
  bufferingSizeMiB: AWS_DEFAULTS.firehoseBuffering.sizeMiB,
  compression: "UNCOMPRESSED",
} as const;

const KEY_TYPES = ["HASH", "RANGE"] as const;
const ATTRIBUTE_TYPES = ["S", "N", "B"] as const;

/** Destinations of a delivery stream other than S3, which the local pipeline does not write to. */
const OTHER_DESTINATIONS = [
  "AmazonOpenSearchServerlessDestinationConfiguration",
  "AmazonopensearchserviceDestinationConfiguration",
  "DatabaseSourceConfiguration",
  "ElasticsearchDestinationConfiguration",
  "HttpEndpointDestinationConfiguration",
  "IcebergDestinationConfiguration",
  "RedshiftDestinationConfiguration",
  "SnowflakeDestinationConfiguration",
  "SplunkDestinationConfiguration",
];

/** Reads an `AWS::DynamoDB::Table` or `AWS::DynamoDB::GlobalTable`: what CreateTable needs. */
export function readTable(properties: ResourceProperties, warn: WarningSink): LocalTableDefinition {
  const { logicalId, type } = properties;
  const keyIndexes = properties.indexes(["KeySchema"]);
  if (keyIndexes.length === 0)
    return properties.invalid(["KeySchema"], `missing; ${type} requires a key schema`);
  const keySchema = keyIndexes.map((index) => ({
    AttributeName: properties.requiredString(["KeySchema", index, "AttributeName"]),
    KeyType: oneOf(properties, ["KeySchema", index, "KeyType"], KEY_TYPES),
  }));
  const attributeDefinitions = properties.indexes(["AttributeDefinitions"]).map((index) => ({
    AttributeName: properties.requiredString(["AttributeDefinitions", index, "AttributeName"]),
    AttributeType: oneOf(properties, ["AttributeDefinitions", index, "AttributeType"], ATTRIBUTE_TYPES),
  }));
  const indexes = ["GlobalSecondaryIndexes", "LocalSecondaryIndexes"].filter(
    (property) => properties.indexes([property]).length > 0,
  );
  if (indexes.length > 0) {
    warn({
      logicalId,
      type,
      message: `table ${logicalId} declares ${indexes.join(" and ")}, which the local model does not carry; queries on those indexes fail locally`,
    });
  }
  const stream =
    properties.get(["StreamSpecification"]) === undefined
      ? undefined
      : streamOf(properties, oneOf(properties, ["StreamSpecification", "StreamViewType"], STREAM_VIEW_TYPES));
  const ttlEnabled = properties.boolean(["TimeToLiveSpecification", "Enabled"], false);
  const ttlAttribute = ttlEnabled
    ? properties.requiredString(["TimeToLiveSpecification", "AttributeName"])
    : undefined;
  return {
    logicalId,
    name: properties.name(),
    arn: properties.attribute("Arn"),
    keySchema,
    attributeDefinitions,
    ...(ttlAttribute === undefined ? {} : { timeToLiveAttribute: ttlAttribute }),
    ...(stream === undefined ? {} : { stream }),
  };
}

const STREAM_VIEW_TYPES = ["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"] as const;

/** A table's stream: its view type, and the ARN and label `Fn::GetAtt StreamArn` gives locally. */
function streamOf(
  properties: ResourceProperties,
  viewType: (typeof STREAM_VIEW_TYPES)[number],
): NonNullable<LocalTableDefinition["stream"]> {
  const arn = properties.attribute("StreamArn");
  return { viewType, arn, label: arn.slice(arn.lastIndexOf("/") + 1) };
}

/** Reads an `AWS::S3::Bucket`. */
export function readBucket(properties: ResourceProperties, warn: WarningSink): LocalBucketDefinition {
  if (properties.get(["NotificationConfiguration"]) !== undefined) {
    warn({
      logicalId: properties.logicalId,
      type: properties.type,
      message: `bucket ${properties.logicalId} sends notifications, which the local pipeline does not emulate`,
    });
  }
  return { logicalId: properties.logicalId, name: properties.name() };
}

/**
 * Reads an `AWS::KinesisFirehose::DeliveryStream`: a Direct PUT stream writing to S3, as
 * `ExtendedS3DestinationConfiguration` (or the older `S3DestinationConfiguration`) declares it.
 * Anything the local sink would write differently from Firehose is refused: another source or
 * destination, format conversion, dynamic partitioning, a compression other than GZIP, a processor
 * other than `AppendDelimiterToRecord`.
 */
export function readDeliveryStream(
  properties: ResourceProperties,
  warn: WarningSink,
): LocalDeliveryStreamDefinition {
  const { logicalId, type } = properties;
  const streamType = properties.string(["DeliveryStreamType"]) ?? "DirectPut";
  if (streamType !== "DirectPut") {
    return properties.unsupported(
      ["DeliveryStreamType"],
      `delivery stream ${logicalId} is of type ${streamType}; the local pipeline runs Direct PUT streams only`,
      "Use a DirectPut stream, or test this source in AWS",
    );
  }
  const other = OTHER_DESTINATIONS.find((property) => properties.get([property]) !== undefined);
  if (other !== undefined) {
    return properties.unsupported(
      [other],
      `delivery stream ${logicalId} writes to ${other.replace(/Configuration$/, "")}; the local pipeline writes to S3 only`,
      "Test this destination in AWS",
    );
  }
  const extended = properties.get(["ExtendedS3DestinationConfiguration"]) !== undefined;
  const destination = extended ? "ExtendedS3DestinationConfiguration" : "S3DestinationConfiguration";
  if (!extended && properties.get([destination]) === undefined) {
    return properties.invalid(
      ["ExtendedS3DestinationConfiguration"],
      "missing; the delivery stream declares no destination",
    );
  }
  const at = (...path: string[]) => [destination, ...path];
  const bucketArn = properties.requiredString(at("BucketARN"));
  const bucketName = bucketNameOfArn(bucketArn);
  if (bucketName === undefined) {
    return properties.invalid(
      at("BucketARN"),
      `${describeValue(bucketArn)} is not an S3 bucket ARN (arn:aws:s3:::<bucket>)`,
    );
  }
  for (const feature of ["DataFormatConversionConfiguration", "DynamicPartitioningConfiguration"]) {
    if (properties.boolean(at(feature, "Enabled"), false)) {
      return properties.unsupported(
        at(feature, "Enabled"),
        `delivery stream ${logicalId} enables ${feature.replace(/Configuration$/, "")}, which the local sink does not do`,
        "Test it in AWS, or disable it to run the stream locally",
      );
    }
  }
  if (properties.string(at("S3BackupMode")) === "Enabled") {
    warn({
      logicalId,
      type,
      message: `delivery stream ${logicalId} backs up source records to a second bucket, which the local sink does not do`,
    });
  }
  const compression = properties.string(at("CompressionFormat")) ?? FIREHOSE_S3_DEFAULTS.compression;
  if (compression !== "GZIP" && compression !== "UNCOMPRESSED") {
    return properties.unsupported(
      at("CompressionFormat"),
      `delivery stream ${logicalId} compresses with ${compression}; the local sink writes GZIP or UNCOMPRESSED objects only`,
      "Use GZIP (which Athena reads) or test this format in AWS",
    );
  }
  return {
    logicalId,
    name: properties.name(),
    arn: properties.attribute("Arn"),
    bucketName,
    prefix: properties.string(at("Prefix")) ?? "",
    errorOutputPrefix: properties.string(at("ErrorOutputPrefix")) ?? "",
    bufferingIntervalSeconds: properties.integer(
      at("BufferingHints", "IntervalInSeconds"),
      FIREHOSE_S3_DEFAULTS.bufferingIntervalSeconds,
      AWS_LIMITS.firehoseBufferingIntervalSeconds,
    ),
    bufferingSizeMiB: properties.integer(
      at("BufferingHints", "SizeInMBs"),
      FIREHOSE_S3_DEFAULTS.bufferingSizeMiB,
      AWS_LIMITS.firehoseBufferingSizeMiB,
    ),
    compression,
    appendNewline: extended && appendsDelimiter(properties, at("ProcessingConfiguration"), warn),
  };
}

/** Whether the processing configuration appends a newline to each record; other processors are refused. */
function appendsDelimiter(
  properties: ResourceProperties,
  path: readonly string[],
  warn: WarningSink,
): boolean {
  const processorIndexes = properties.indexes([...path, "Processors"]);
  if (processorIndexes.length === 0) return false;
  const enabledSetting = properties.get([...path, "Enabled"]);
  if (enabledSetting === undefined) {
    warn({
      logicalId: properties.logicalId,
      type: properties.type,
      message: `delivery stream ${properties.logicalId} lists processors without ProcessingConfiguration.Enabled, whose default Firehose does not document; the local sink runs them`,
    });
  } else if (!properties.boolean([...path, "Enabled"], true)) {
    return false;
  }
  let appends = false;
  for (const index of processorIndexes) {
    const processorType = properties.requiredString([...path, "Processors", index, "Type"]);
    if (processorType !== "AppendDelimiterToRecord") {
      return properties.unsupported(
        [...path, "Processors", index, "Type"],
        `delivery stream ${properties.logicalId} runs the ${processorType} processor; the local sink runs AppendDelimiterToRecord only`,
        "Test this processor in AWS, or remove it to run the stream locally",
      );
    }
    appends = true;
  }
  return appends;
}

function oneOf<T extends string>(
  properties: ResourceProperties,
  path: readonly (string | number)[],
  allowed: readonly T[],
): T {
  const value = properties.requiredString(path);
  const found = allowed.find((candidate) => candidate === value);
  if (found === undefined) {
    return properties.invalid(path, `${describeValue(value)} is not one of ${allowed.join(", ")}`);
  }
  return found;
}
