import { describe, expect, it } from "vitest";
import { TemplateResolutionError, UnsupportedFeatureError } from "../../../lib/local/assembly/errors";
import type { JsonValue, TemplateResource } from "../../../lib/local/assembly/template-types";
import { resolverFor } from "./support/resolver";

const QUEUE_URL = "http://127.0.0.1:4010/111122223333/Shop-Queue";

/** Resources every test can refer to. */
const resources: Record<string, TemplateResource> = {
  Queue: { Type: "AWS::SQS::Queue" },
  Bus: { Type: "AWS::Events::EventBus", Properties: { Name: "orders" } },
  RuleOnBus: { Type: "AWS::Events::Rule", Properties: { EventBusName: { Ref: "Bus" } } },
  RuleOnDefault: { Type: "AWS::Events::Rule", Properties: { Name: "nightly" } },
  Archive: { Type: "AWS::Events::Archive", Properties: { ArchiveName: "orders-all" } },
  Fn: { Type: "AWS::Lambda::Function", Properties: { FunctionName: "consumer" } },
  Mapping: { Type: "AWS::Lambda::EventSourceMapping" },
  Table: { Type: "AWS::DynamoDB::Table" },
  StreamedTable: {
    Type: "AWS::DynamoDB::Table",
    Properties: { TableName: "changes", StreamSpecification: { StreamViewType: "NEW_IMAGE" } },
  },
  Stream: { Type: "AWS::KinesisFirehose::DeliveryStream" },
  Bucket: { Type: "AWS::S3::Bucket" },
  Topic: { Type: "AWS::SNS::Topic", Properties: { TopicName: "alarms" } },
  Key: { Type: "AWS::KMS::Key" },
  Role: { Type: "AWS::IAM::Role", Properties: { RoleName: "consumer-role", Path: "/service/" } },
  Logs: { Type: "AWS::Logs::LogGroup", Properties: { LogGroupName: "/aws/lambda/consumer" } },
  Registry: { Type: "AWS::EventSchemas::Registry", Properties: { RegistryName: "events" } },
  Schema: {
    Type: "AWS::EventSchemas::Schema",
    Properties: { RegistryName: "events", SchemaName: "OrderPlaced" },
  },
  Vpc: { Type: "AWS::EC2::VPC" },
  Conditional: { Type: "AWS::SQS::Queue", Condition: "IsProduction" },
};

const conditions = { IsProduction: { "Fn::Equals": [{ Ref: "Stage" }, "prod"] } };
const parameters = { Stage: { Type: "String", Default: "dev" } };

function resolve(value: JsonValue, options: { stage?: string } = {}): unknown {
  const resolver = resolverFor(
    { Resources: resources, Conditions: conditions, Parameters: parameters },
    options.stage === undefined ? undefined : { Stage: options.stage },
  );
  return resolver.resolve(value, ["Outputs", "Test", "Value"]);
}

describe("resolving Ref", () => {
  it.each([
    ["AWS::AccountId", "111122223333"],
    ["AWS::Region", "eu-west-1"],
    ["AWS::Partition", "aws"],
    ["AWS::URLSuffix", "amazonaws.com"],
    ["AWS::StackName", "Shop"],
    ["AWS::NotificationARNs", []],
  ])("gives the pseudo parameter %s its local value", (name, expected) => {
    // Act
    const value = resolve({ Ref: name });

    // Assess
    expect(value).toEqual(expected);
  });

  it("gives AWS::StackId a CloudFormation stack ARN of the local account", () => {
    // Act
    const value = resolve({ Ref: "AWS::StackId" });

    // Assess
    expect(value).toMatch(/^arn:aws:cloudformation:eu-west-1:111122223333:stack\/Shop\/[0-9a-f-]{36}$/);
  });

  it("removes a property or list item that is AWS::NoValue", () => {
    // Act
    const value = resolve({
      kept: "x",
      removed: { Ref: "AWS::NoValue" },
      list: ["a", { Ref: "AWS::NoValue" }, "b"],
    });

    // Assess
    expect(value).toEqual({ kept: "x", list: ["a", "b"] });
  });

  it.each([
    ["an SQS queue", "Queue", QUEUE_URL],
    ["an event bus", "Bus", "orders"],
    ["a rule on a custom bus (bus|rule, as CloudFormation returns)", "RuleOnBus", "orders|Shop-RuleOnBus"],
    ["a rule on the default bus", "RuleOnDefault", "nightly"],
    ["an archive", "Archive", "orders-all"],
    ["a function", "Fn", "consumer"],
    ["a table", "Table", "Shop-Table"],
    ["a delivery stream", "Stream", "Shop-Stream"],
    ["a bucket (lower case)", "Bucket", "shop-bucket"],
    ["an SNS topic (its ARN)", "Topic", "arn:aws:sns:eu-west-1:111122223333:alarms"],
    ["a schema registry (its ARN)", "Registry", "arn:aws:schemas:eu-west-1:111122223333:registry/events"],
    ["a type the reader has no rule for (a generated id)", "Vpc", "Shop-Vpc"],
  ])("gives the Ref of %s", (_kind, logicalId, expected) => {
    // Act
    const value = resolve({ Ref: logicalId });

    // Assess
    expect(value).toBe(expected);
  });

  it.each(["Mapping", "Key"])("gives %s, whose id AWS makes up, a stable UUID", (logicalId) => {
    // Act
    const first = resolve({ Ref: logicalId });
    const second = resolve({ Ref: logicalId });

    // Assess
    expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second).toBe(first);
  });

  it("gives a parameter its Default", () => {
    // Act
    const value = resolve({ Ref: "Stage" });

    // Assess
    expect(value).toBe("dev");
  });

  it("gives a parameter the value passed in, over its Default", () => {
    // Act
    const value = resolve({ Ref: "Stage" }, { stage: "prod" });

    // Assess
    expect(value).toBe("prod");
  });

  it("splits a CommaDelimitedList parameter into a list", () => {
    // Prepare
    const resolver = resolverFor({
      Parameters: { Zones: { Type: "CommaDelimitedList", Default: "a, b,c" } },
    });

    // Act
    const value = resolver.resolve({ Ref: "Zones" }, ["Outputs"]);

    // Assess
    expect(value).toEqual(["a", "b", "c"]);
  });

  it("refuses a parameter without Default or value, telling how to pass one", () => {
    // Prepare
    const resolver = resolverFor({ Parameters: { Secret: { Type: "String" } } });

    // Act
    const act = () => resolver.resolve({ Ref: "Secret" }, ["Outputs", "S", "Value"]);

    // Assess
    expect(act).toThrow(TemplateResolutionError);
    expect(act).toThrow(/Outputs\.S\.Value\.Ref: parameter Secret has no Default.*parameters option/);
  });

  it("refuses an SSM-backed parameter unless its value is passed in", () => {
    // Prepare
    const declaration = { Type: "AWS::SSM::Parameter::Value<String>", Default: "/cdk-bootstrap/version" };
    const withoutValue = resolverFor({ Parameters: { Version: declaration } });
    const withValue = resolverFor({ Parameters: { Version: declaration } }, { Version: "21" });

    // Act
    const act = () => withoutValue.resolve({ Ref: "Version" }, ["Outputs"]);
    const value = withValue.resolve({ Ref: "Version" }, ["Outputs"]);

    // Assess
    expect(act).toThrow(/takes its value from SSM Parameter Store/);
    expect(value).toBe("21");
  });

  it("names the reference and where it is when Ref names nothing in the template", () => {
    // Prepare
    const resolver = resolverFor({ Resources: resources });

    // Act
    const act = () =>
      resolver.resolve({ Ref: "Missing" }, ["Resources", "Queue", "Properties", "RedrivePolicy"]);

    // Assess
    expect(act).toThrow(TemplateResolutionError);
    expect(act).toThrow(
      'Resources.Queue.Properties.RedrivePolicy.Ref: Ref "Missing" names no resource, parameter or pseudo parameter of the template',
    );
  });

  it("refuses a reference to a resource whose condition is false", () => {
    // Act
    const act = () => resolve({ Ref: "Conditional" });

    // Assess
    expect(act).toThrow(/names a resource that is not created: its condition IsProduction is false/);
  });
});

describe("resolving Fn::GetAtt", () => {
  it.each([
    ["Queue", "Arn", "arn:aws:sqs:eu-west-1:111122223333:Shop-Queue"],
    ["Queue", "QueueName", "Shop-Queue"],
    ["Queue", "QueueUrl", QUEUE_URL],
    ["Bus", "Arn", "arn:aws:events:eu-west-1:111122223333:event-bus/orders"],
    ["Bus", "Name", "orders"],
    ["RuleOnBus", "Arn", "arn:aws:events:eu-west-1:111122223333:rule/orders/Shop-RuleOnBus"],
    ["RuleOnDefault", "Arn", "arn:aws:events:eu-west-1:111122223333:rule/nightly"],
    ["Archive", "Arn", "arn:aws:events:eu-west-1:111122223333:archive/orders-all"],
    ["Fn", "Arn", "arn:aws:lambda:eu-west-1:111122223333:function:consumer"],
    ["Table", "Arn", "arn:aws:dynamodb:eu-west-1:111122223333:table/Shop-Table"],
    [
      "StreamedTable",
      "StreamArn",
      "arn:aws:dynamodb:eu-west-1:111122223333:table/changes/stream/1970-01-01T00:00:00.000",
    ],
    ["Stream", "Arn", "arn:aws:firehose:eu-west-1:111122223333:deliverystream/Shop-Stream"],
    ["Bucket", "Arn", "arn:aws:s3:::shop-bucket"],
    ["Bucket", "RegionalDomainName", "shop-bucket.s3.eu-west-1.amazonaws.com"],
    ["Topic", "TopicName", "alarms"],
    ["Role", "Arn", "arn:aws:iam::111122223333:role/service/consumer-role"],
    ["Logs", "Arn", "arn:aws:logs:eu-west-1:111122223333:log-group:/aws/lambda/consumer:*"],
    ["Registry", "RegistryName", "events"],
    ["Schema", "SchemaArn", "arn:aws:schemas:eu-west-1:111122223333:schema/events/OrderPlaced"],
  ])("gives %s.%s its local value", (logicalId, attribute, expected) => {
    // Act
    const value = resolve({ "Fn::GetAtt": [logicalId, attribute] });

    // Assess
    expect(value).toBe(expected);
  });

  it("takes the attribute in the string form logicalId.attribute", () => {
    // Act
    const value = resolve({ "Fn::GetAtt": "Queue.QueueName" });

    // Assess
    expect(value).toBe("Shop-Queue");
  });

  it("gives a key's ARN with the same UUID as its Ref", () => {
    // Act
    const id = resolve({ Ref: "Key" });
    const arn = resolve({ "Fn::GetAtt": ["Key", "Arn"] });

    // Assess
    expect(arn).toBe(`arn:aws:kms:eu-west-1:111122223333:key/${String(id)}`);
  });

  it("names the attributes it knows when asked for another", () => {
    // Act
    const act = () => resolve({ "Fn::GetAtt": ["Queue", "Bogus"] });

    // Assess
    expect(act).toThrow(
      /Fn::GetAtt Queue\.Bogus has no local value: the reader knows Arn, QueueName, QueueUrl/,
    );
  });

  it("refuses the StreamArn of a table without a stream", () => {
    // Act
    const act = () => resolve({ "Fn::GetAtt": ["Table", "StreamArn"] });

    // Assess
    expect(act).toThrow(/Table: the table has no StreamSpecification/);
  });
});

describe("resolving Fn::Join, Fn::Sub, Fn::Select and Fn::Split", () => {
  it("joins resolved values with the delimiter", () => {
    // Act
    const value = resolve({
      "Fn::Join": [":", ["arn", { Ref: "AWS::Partition" }, { "Fn::GetAtt": ["Queue", "QueueName"] }]],
    });

    // Assess
    expect(value).toBe("arn:aws:Shop-Queue");
  });

  it("joins a list that is itself an intrinsic", () => {
    // Act
    const value = resolve({ "Fn::Join": ["+", { "Fn::Split": [",", "a,b"] }] });

    // Assess
    expect(value).toBe("a+b");
  });

  it("refuses to join something that is not a string", () => {
    // Act
    const act = () => resolve({ "Fn::Join": ["", ["a", { nested: true }]] });

    // Assess
    expect(act).toThrow(/Fn::Join\[1\]\[1\]: Fn::Join needs a string here, got \{"nested":true\}/);
  });

  // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JavaScript template
  it("substitutes pseudo parameters, attributes and references, and keeps ${!Literal} literal", () => {
    // Act
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JavaScript template
    const value = resolve({ "Fn::Sub": "${AWS::Region}/${Queue.QueueName}/${Bus}/${!Literal}" });

    // Assess
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JavaScript template
    expect(value).toBe("eu-west-1/Shop-Queue/orders/${Literal}");
  });

  it("substitutes the variables of the list form, which may be intrinsics", () => {
    // Act
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JavaScript template
    const value = resolve({ "Fn::Sub": ["${Name}-dlq in ${AWS::AccountId}", { Name: { Ref: "Fn" } }] });

    // Assess
    expect(value).toBe("consumer-dlq in 111122223333");
  });

  it("selects by an index given as a number or a string", () => {
    // Act
    const byNumber = resolve({ "Fn::Select": [1, ["a", "b", "c"]] });
    const byString = resolve({ "Fn::Select": ["2", { "Fn::GetAZs": "" }] });

    // Assess
    expect(byNumber).toBe("b");
    expect(byString).toBe("eu-west-1c");
  });

  it("refuses an index outside the list, naming the index and the list", () => {
    // Act
    const act = () => resolve({ "Fn::Select": [3, ["a", "b"]] });

    // Assess
    expect(act).toThrow(
      /Fn::Select index 3 is outside the list of 2 values \["a","b"\]\. Use an index from 0 to 1/,
    );
  });

  it("splits a resolved string, as rules' Refs are split into bus and rule", () => {
    // Act
    const value = resolve({ "Fn::Select": [1, { "Fn::Split": ["|", { Ref: "RuleOnBus" }] }] });

    // Assess
    expect(value).toBe("Shop-RuleOnBus");
  });
});

describe("evaluating conditions", () => {
  it.each([
    ["dev", "small"],
    ["prod", "large"],
  ])("takes the Fn::If branch its condition selects (stage %s)", (stage, expected) => {
    // Act
    const value = resolve({ "Fn::If": ["IsProduction", "large", "small"] }, { stage });

    // Assess
    expect(value).toBe(expected);
  });

  it("combines conditions with Fn::And, Fn::Or, Fn::Not and Condition", () => {
    // Prepare
    const resolver = resolverFor(
      {
        Parameters: parameters,
        Conditions: {
          IsProduction: conditions.IsProduction,
          IsDev: { "Fn::Equals": ["dev", { Ref: "Stage" }] },
          NotProduction: { "Fn::Not": [{ Condition: "IsProduction" }] },
          Both: { "Fn::And": [{ Condition: "IsDev" }, { Condition: "NotProduction" }] },
          Either: { "Fn::Or": [{ Condition: "IsProduction" }, { "Fn::Equals": ["1", 1] }] },
        },
      },
      { Stage: "dev" },
    );

    // Act
    const both = resolver.conditionHolds("Both", ["Conditions"]);
    const either = resolver.conditionHolds("Either", ["Conditions"]);

    // Assess
    expect(both).toBe(true);
    expect(either).toBe(true);
  });

  it("removes the property when the branch taken is AWS::NoValue", () => {
    // Act
    const value = resolve({ size: { "Fn::If": ["IsProduction", 10, { Ref: "AWS::NoValue" }] } });

    // Assess
    expect(value).toEqual({});
  });

  it("refuses a condition the Conditions section does not declare", () => {
    // Act
    const act = () => resolve({ "Fn::If": ["IsStaging", "a", "b"] });

    // Assess
    expect(act).toThrow(/condition "IsStaging" is not declared in Conditions \(declared: IsProduction\)/);
  });

  it("refuses conditions that depend on each other", () => {
    // Prepare
    const resolver = resolverFor({ Conditions: { A: { Condition: "B" }, B: { Condition: "A" } } });

    // Act
    const act = () => resolver.conditionHolds("A", ["Conditions"]);

    // Assess
    expect(act).toThrow(/condition "A" depends on itself/);
  });

  it("refuses a condition function outside the Conditions section", () => {
    // Act
    const act = () => resolve({ "Fn::Equals": ["a", "a"] });

    // Assess
    expect(act).toThrow(
      /Fn::Equals is a condition function; CloudFormation accepts it only in the Conditions section/,
    );
  });
});

describe("resolving the other intrinsic functions", () => {
  const mappings = { Sizes: { dev: { Memory: 128 }, prod: { Memory: 1024 } } };

  it("finds a value in a mapping by resolved keys", () => {
    // Prepare
    const resolver = resolverFor({ Mappings: mappings, Parameters: parameters }, { Stage: "prod" });

    // Act
    const value = resolver.resolve({ "Fn::FindInMap": ["Sizes", { Ref: "Stage" }, "Memory"] }, ["Outputs"]);

    // Assess
    expect(value).toBe(1024);
  });

  it("falls back to DefaultValue, and otherwise names the missing entry", () => {
    // Prepare
    const resolver = resolverFor({ Mappings: mappings });

    // Act
    const fallback = resolver.resolve(
      { "Fn::FindInMap": ["Sizes", "test", "Memory", { DefaultValue: 256 }] },
      [],
    );
    const act = () => resolver.resolve({ "Fn::FindInMap": ["Sizes", "test", "Memory"] }, []);

    // Assess
    expect(fallback).toBe(256);
    expect(act).toThrow(/Fn::FindInMap finds nothing at Mappings\.Sizes\.test\.Memory/);
  });

  it("encodes Fn::Base64 and counts Fn::Length", () => {
    // Act
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JavaScript template
    const encoded = resolve({ "Fn::Base64": { "Fn::Sub": "${AWS::Region}" } });
    const length = resolve({ "Fn::Length": ["a", { Ref: "AWS::NoValue" }, "b"] });

    // Assess
    expect(encoded).toBe(Buffer.from("eu-west-1").toString("base64"));
    expect(length).toBe(2);
  });

  it("serializes Fn::ToJsonString after resolving what it holds", () => {
    // Act
    const value = resolve({ "Fn::ToJsonString": [{ queueUrl: { Ref: "Queue" }, retries: 3 }] });

    // Assess
    expect(value).toBe(`[{"queueUrl":"${QUEUE_URL}","retries":3}]`);
  });

  it("refuses Fn::ImportValue, naming the export and how to pass the value instead", () => {
    // Act
    const act = () => resolve({ "Fn::ImportValue": "shared-bus-arn" });

    // Assess
    expect(act).toThrow(UnsupportedFeatureError);
    expect(act).toThrow(
      /Fn::ImportValue "shared-bus-arn" reads an export of another stack.*parameters option/,
    );
  });

  it("refuses an intrinsic function it does not evaluate", () => {
    // Act
    const act = () => resolve({ "Fn::Cidr": ["10.0.0.0/16", 2, 8] });

    // Assess
    expect(act).toThrow(UnsupportedFeatureError);
    expect(act).toThrow(/the local pipeline does not evaluate Fn::Cidr/);
  });
});

describe("reading a resource property", () => {
  it("resolves only the property read, so unrelated references never have to resolve", () => {
    // Prepare
    const resolver = resolverFor({
      Resources: {
        Queue: {
          Type: "AWS::SQS::Queue",
          Properties: { VisibilityTimeout: 60, KmsMasterKeyId: { "Fn::GetAtt": ["NotInTemplate", "Arn"] } },
        },
      },
    });

    // Act
    const visibility = resolver.resolveProperty("Queue", ["VisibilityTimeout"]);
    const act = () => resolver.resolveProperty("Queue", ["KmsMasterKeyId"]);

    // Assess
    expect(visibility).toBe(60);
    expect(act).toThrow(/Resources\.Queue\.Properties\.KmsMasterKeyId\.Fn::GetAtt/);
  });

  it("walks through an Fn::If that wraps a whole object", () => {
    // Prepare
    const resolver = resolverFor(
      {
        Parameters: parameters,
        Conditions: conditions,
        Resources: {
          Queue: {
            Type: "AWS::SQS::Queue",
            Properties: {
              RedrivePolicy: { "Fn::If": ["IsProduction", { maxReceiveCount: 5 }, { maxReceiveCount: 1 }] },
            },
          },
        },
      },
      { Stage: "prod" },
    );

    // Act
    const value = resolver.resolveProperty("Queue", ["RedrivePolicy", "maxReceiveCount"]);

    // Assess
    expect(value).toBe(5);
  });

  it("lists the indexes of the list items that exist", () => {
    // Prepare
    const resolver = resolverFor({
      Parameters: parameters,
      Conditions: conditions,
      Resources: {
        Rule: {
          Type: "AWS::Events::Rule",
          Properties: {
            Targets: [
              { Id: "a" },
              { "Fn::If": ["IsProduction", { Id: "b" }, { Ref: "AWS::NoValue" }] },
              { Id: "c" },
            ],
          },
        },
      },
    });

    // Act
    const indexes = resolver.propertyListIndexes("Rule", ["Targets"]);

    // Assess
    expect(indexes).toEqual([0, 2]);
  });
});
