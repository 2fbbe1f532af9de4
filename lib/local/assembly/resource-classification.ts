/** The resource types the local pipeline emulates. */
export const emulatedResourceTypes = [
  "AWS::Events::EventBus",
  "AWS::Events::Rule",
  "AWS::Events::Archive",
  "AWS::SQS::Queue",
  "AWS::Lambda::Function",
  "AWS::Lambda::EventSourceMapping",
  "AWS::DynamoDB::Table",
  "AWS::DynamoDB::GlobalTable",
  "AWS::KinesisFirehose::DeliveryStream",
  "AWS::S3::Bucket",
  "AWS::Pipes::Pipe",
] as const;

/** A resource type the local pipeline emulates. */
export type EmulatedResourceType = (typeof emulatedResourceTypes)[number];

const RESOURCE_POLICY = "resource policies are not enforced locally";

/** Types the local pipeline needs not emulate, each with the reason. Exact types win over prefixes. */
const IGNORED_TYPES: Readonly<Record<string, string>> = {
  "AWS::SQS::QueuePolicy": RESOURCE_POLICY,
  "AWS::SQS::QueueInlinePolicy": RESOURCE_POLICY,
  "AWS::Events::EventBusPolicy": RESOURCE_POLICY,
  "AWS::Lambda::Permission": RESOURCE_POLICY,
  "AWS::S3::BucketPolicy": RESOURCE_POLICY,
  "AWS::Lambda::Version": "the local function always runs the code of the cloud assembly",
  "AWS::Lambda::Alias": "the local function always runs the code of the cloud assembly",
  "AWS::CDK::Metadata": "CDK's usage metadata",
  "Custom::LogRetention": "sets log retention at deployment; local logs go to the console",
  "Custom::S3AutoDeleteObjects": "empties a bucket when the stack is deleted",
};

const IGNORED_PREFIXES: readonly (readonly [prefix: string, reason: string])[] = [
  ["AWS::IAM::", "permissions are not enforced locally"],
  ["AWS::KMS::", "local data is not encrypted"],
  ["AWS::Logs::", "logs are not stored locally; local functions write to the console"],
  ["AWS::CloudWatch::", "metrics, alarms and dashboards exist only in AWS"],
  ["AWS::SNS::", "alarm notifications are sent only in AWS"],
  ["AWS::Glue::", "the data catalog serves Athena, which runs only in AWS"],
  ["AWS::Athena::", "queries run in AWS; locally the delivered objects are read directly"],
  ["AWS::EventSchemas::", "the schema registry documents event types; the local bus does not consult it"],
  ["AWS::XRay::", "tracing is not emulated"],
];

/** Why the local pipeline needs not emulate a resource of `type`; `undefined` when it should. */
export function ignoredReason(type: string): string | undefined {
  const exact = IGNORED_TYPES[type];
  if (exact !== undefined) return exact;
  return IGNORED_PREFIXES.find(([prefix]) => type.startsWith(prefix))?.[1];
}

/** Whether `type` is one the local pipeline emulates. */
export function isEmulatedType(type: string): type is EmulatedResourceType {
  return (emulatedResourceTypes as readonly string[]).includes(type);
}

/** Whether `type` is a custom resource, whose provider runs only during deployment. */
export function isCustomResourceType(type: string): boolean {
  return type === "AWS::CloudFormation::CustomResource" || type.startsWith("Custom::");
}
