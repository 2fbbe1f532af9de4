import {
  eventBusNameOf,
  functionReferenceOf,
  globalArn,
  type LocalEnvironment,
  parseArn,
  regionalArn,
} from "./arns";
import { type NamingRule, namingRules } from "./physical-names";
import type { JsonValue } from "./template-types";

/** What a resource's `Ref` and `Fn::GetAtt` rules see of it. */
export interface IdentityContext {
  readonly logicalId: string;
  /** The physical name (or id) of the resource: the template's name or a generated one. */
  readonly name: string;
  readonly env: LocalEnvironment;
  /** A property of the resource with its references resolved; `undefined` when absent. */
  property(path: readonly (string | number)[]): JsonValue | undefined;
  /** Ends the lookup: the attribute has no value for this resource, and why. */
  unavailable(reason: string, fix: string): never;
}

/** How the template names a resource of one type, and what `Ref` and `Fn::GetAtt` return for it. */
export interface ResourceIdentitySpec {
  /** The property holding the name, when the template may give one (`QueueName`, `TableInput.Name`). */
  readonly nameProperty?: readonly string[];
  /** Rule of generated names, and of explicit ones when {@link checkExplicitName} is set. */
  readonly naming?: NamingRule;
  /** Explicit names are checked against {@link naming}: set for the resources the pipeline emulates. */
  readonly checkExplicitName?: boolean;
  /** AWS makes up a UUID for these resources instead of a name. */
  readonly generatedId?: "uuid";
  /** What `Ref` returns. @default - the physical name */
  readonly ref?: (resource: IdentityContext) => string;
  /** What `Fn::GetAtt` returns, by attribute name. */
  readonly attributes: Readonly<Record<string, (resource: IdentityContext) => JsonValue>>;
}

function stringProperty(resource: IdentityContext, path: readonly string[]): string | undefined {
  const value = resource.property(path);
  return typeof value === "string" ? value : undefined;
}

/** The bus a rule is on: the default bus when `EventBusName` is absent. */
export function ruleBusName(resource: IdentityContext): string {
  const bus = stringProperty(resource, ["EventBusName"]);
  return bus === undefined ? "default" : eventBusNameOf(bus);
}

function queueUrl(resource: IdentityContext): string {
  return `${resource.env.endpoint}/${resource.env.accountId}/${resource.name}`;
}

function tableArn(resource: IdentityContext): string {
  return regionalArn(resource.env, "dynamodb", `table/${resource.name}`);
}

function tableStreamArn(resource: IdentityContext): string {
  if (resource.property(["StreamSpecification"]) === undefined) {
    resource.unavailable(
      "the table has no StreamSpecification, so CloudFormation gives it no StreamArn",
      "Give the table a stream, or stop referring to its StreamArn",
    );
  }
  // DynamoDB labels a stream with its creation time; a fixed label keeps the local ARN stable.
  return `${tableArn(resource)}/stream/1970-01-01T00:00:00.000`;
}

function functionArnOf(resource: IdentityContext, reference: string): string {
  const arn = parseArn(reference);
  if (arn !== undefined) return reference;
  return regionalArn(resource.env, "lambda", `function:${functionReferenceOf(reference).name}`);
}

function logGroupArn(resource: IdentityContext): string {
  return regionalArn(resource.env, "logs", `log-group:${resource.name}:*`);
}

function registryArn(resource: IdentityContext, registryName: string): string {
  return regionalArn(resource.env, "schemas", `registry/${registryName}`);
}

function schemaArn(resource: IdentityContext): string {
  const registry = stringProperty(resource, ["RegistryName"]) ?? "";
  return regionalArn(resource.env, "schemas", `schema/${registry}/${resource.name}`);
}

function rolePath(resource: IdentityContext): string {
  return stringProperty(resource, ["Path"]) ?? "/";
}

function alarmArn(resource: IdentityContext): string {
  return regionalArn(resource.env, "cloudwatch", `alarm:${resource.name}`);
}

/** IAM's unique ids: a type prefix and 17 characters, stable for the same stack and resource. */
function iamUniqueId(prefix: string, resource: IdentityContext): string {
  const base = Buffer.from(`${resource.env.stackName}/${resource.logicalId}`)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .toUpperCase();
  return `${prefix}${base.padEnd(17, "X").slice(-17)}`;
}

/**
 * `Ref` and `Fn::GetAtt` of every resource type the reader knows, as the CloudFormation resource
 * reference documents them. Emulated types come first; the others are the types whose values
 * emulated resources and outputs commonly refer to (a role ARN, a log group name, a registry name).
 * A type missing here answers `Ref` with a generated physical id and no attributes.
 */
export const resourceIdentities: Readonly<Record<string, ResourceIdentitySpec>> = {
  "AWS::SQS::Queue": {
    nameProperty: ["QueueName"],
    naming: namingRules.queue,
    checkExplicitName: true,
    ref: queueUrl,
    attributes: {
      Arn: (r) => regionalArn(r.env, "sqs", r.name),
      QueueName: (r) => r.name,
      QueueUrl: queueUrl,
    },
  },
  "AWS::Events::EventBus": {
    nameProperty: ["Name"],
    naming: namingRules.eventBus,
    checkExplicitName: true,
    attributes: {
      Arn: (r) => regionalArn(r.env, "events", `event-bus/${r.name}`),
      Name: (r) => r.name,
    },
  },
  "AWS::Events::Rule": {
    nameProperty: ["Name"],
    naming: namingRules.rule,
    checkExplicitName: true,
    // On a custom bus CloudFormation's Ref returns "<bus>|<rule>", not the documented rule name
    // (aws-cloudformation/cloudformation-coverage-roadmap#1131); the local value does the same.
    ref: (r) => {
      const bus = ruleBusName(r);
      return bus === "default" ? r.name : `${bus}|${r.name}`;
    },
    attributes: {
      Arn: (r) => {
        const bus = ruleBusName(r);
        return regionalArn(r.env, "events", bus === "default" ? `rule/${r.name}` : `rule/${bus}/${r.name}`);
      },
    },
  },
  "AWS::Events::Archive": {
    nameProperty: ["ArchiveName"],
    naming: namingRules.archive,
    checkExplicitName: true,
    attributes: {
      Arn: (r) => regionalArn(r.env, "events", `archive/${r.name}`),
      ArchiveName: (r) => r.name,
    },
  },
  "AWS::Lambda::Function": {
    nameProperty: ["FunctionName"],
    naming: namingRules.function,
    checkExplicitName: true,
    attributes: {
      Arn: (r) => regionalArn(r.env, "lambda", `function:${r.name}`),
    },
  },
  "AWS::Lambda::EventSourceMapping": {
    generatedId: "uuid",
    attributes: {
      Id: (r) => r.name,
      EventSourceMappingArn: (r) => regionalArn(r.env, "lambda", `event-source-mapping:${r.name}`),
    },
  },
  "AWS::DynamoDB::Table": {
    nameProperty: ["TableName"],
    naming: namingRules.table,
    checkExplicitName: true,
    attributes: { Arn: tableArn, StreamArn: tableStreamArn },
  },
  "AWS::DynamoDB::GlobalTable": {
    nameProperty: ["TableName"],
    naming: namingRules.table,
    checkExplicitName: true,
    attributes: { Arn: tableArn, StreamArn: tableStreamArn, TableId: (r) => r.name },
  },
  "AWS::Pipes::Pipe": {
    nameProperty: ["Name"],
    naming: namingRules.pipe,
    checkExplicitName: true,
    attributes: {
      Arn: (r) => regionalArn(r.env, "pipes", `pipe/${r.name}`),
      CurrentState: (r) => (stringProperty(r, ["DesiredState"]) === "STOPPED" ? "STOPPED" : "RUNNING"),
    },
  },
  "AWS::KinesisFirehose::DeliveryStream": {
    nameProperty: ["DeliveryStreamName"],
    naming: namingRules.deliveryStream,
    checkExplicitName: true,
    attributes: {
      Arn: (r) => regionalArn(r.env, "firehose", `deliverystream/${r.name}`),
    },
  },
  "AWS::S3::Bucket": {
    nameProperty: ["BucketName"],
    naming: namingRules.bucket,
    checkExplicitName: true,
    attributes: {
      Arn: (r) => `arn:${r.env.partition}:s3:::${r.name}`,
      DomainName: (r) => `${r.name}.s3.${r.env.urlSuffix}`,
      RegionalDomainName: (r) => `${r.name}.s3.${r.env.region}.${r.env.urlSuffix}`,
      DualStackDomainName: (r) => `${r.name}.s3.dualstack.${r.env.region}.${r.env.urlSuffix}`,
      WebsiteURL: (r) => `http://${r.name}.s3-website-${r.env.region}.${r.env.urlSuffix}`,
    },
  },
  "AWS::SNS::Topic": {
    nameProperty: ["TopicName"],
    ref: (r) => regionalArn(r.env, "sns", r.name),
    attributes: {
      TopicArn: (r) => regionalArn(r.env, "sns", r.name),
      TopicName: (r) => r.name,
    },
  },
  "AWS::KMS::Key": {
    generatedId: "uuid",
    attributes: {
      Arn: (r) => regionalArn(r.env, "kms", `key/${r.name}`),
      KeyId: (r) => r.name,
    },
  },
  "AWS::KMS::Alias": {
    nameProperty: ["AliasName"],
    attributes: {},
  },
  "AWS::IAM::Role": {
    nameProperty: ["RoleName"],
    naming: { ...namingRules.function, label: "role name" },
    attributes: {
      Arn: (r) => globalArn(r.env, "iam", `role${rolePath(r)}${r.name}`),
      RoleId: (r) => iamUniqueId("AROA", r),
    },
  },
  "AWS::IAM::ManagedPolicy": {
    nameProperty: ["ManagedPolicyName"],
    naming: { ...namingRules.function, maxLength: 128, label: "policy name" },
    ref: (r) => globalArn(r.env, "iam", `policy${rolePath(r)}${r.name}`),
    attributes: {
      PolicyArn: (r) => globalArn(r.env, "iam", `policy${rolePath(r)}${r.name}`),
    },
  },
  "AWS::Logs::LogGroup": {
    nameProperty: ["LogGroupName"],
    attributes: { Arn: logGroupArn },
  },
  "AWS::Logs::LogStream": {
    nameProperty: ["LogStreamName"],
    attributes: {},
  },
  "AWS::CloudWatch::Alarm": {
    nameProperty: ["AlarmName"],
    attributes: { Arn: alarmArn },
  },
  "AWS::CloudWatch::CompositeAlarm": {
    nameProperty: ["AlarmName"],
    attributes: { Arn: alarmArn },
  },
  "AWS::CloudWatch::Dashboard": {
    nameProperty: ["DashboardName"],
    attributes: {},
  },
  "AWS::Glue::Database": {
    nameProperty: ["DatabaseInput", "Name"],
    naming: { ...namingRules.bucket, maxLength: 255, label: "Glue database name" },
    attributes: {},
  },
  "AWS::Glue::Table": {
    nameProperty: ["TableInput", "Name"],
    naming: { ...namingRules.bucket, maxLength: 255, label: "Glue table name" },
    attributes: {},
  },
  "AWS::Athena::WorkGroup": {
    nameProperty: ["Name"],
    attributes: {},
  },
  "AWS::Athena::NamedQuery": {
    generatedId: "uuid",
    attributes: { NamedQueryId: (r) => r.name },
  },
  "AWS::EventSchemas::Registry": {
    nameProperty: ["RegistryName"],
    ref: (r) => registryArn(r, r.name),
    attributes: {
      RegistryArn: (r) => registryArn(r, r.name),
      RegistryName: (r) => r.name,
    },
  },
  "AWS::EventSchemas::Schema": {
    nameProperty: ["SchemaName"],
    ref: schemaArn,
    attributes: {
      SchemaArn: schemaArn,
      SchemaName: (r) => r.name,
      // The first version of a schema CloudFormation creates.
      SchemaVersion: () => "1",
    },
  },
  "AWS::Lambda::Version": {
    ref: (r) => `${functionArnOf(r, stringProperty(r, ["FunctionName"]) ?? "")}:1`,
    attributes: { Version: () => "1" },
  },
  "AWS::Lambda::Alias": {
    ref: (r) =>
      `${functionArnOf(r, stringProperty(r, ["FunctionName"]) ?? "")}:${stringProperty(r, ["Name"]) ?? r.name}`,
    attributes: {},
  },
};
