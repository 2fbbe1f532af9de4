import { App, type CfnElement, Duration, Size, Stack } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as events from "aws-cdk-lib/aws-events";
import * as iam from "aws-cdk-lib/aws-iam";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { IConstruct } from "constructs";
import { beforeAll, describe, expect, it } from "vitest";
import { AuditConfigError } from "../../lib/audit/audit-config-error";
import { savedQueries } from "../../lib/audit/saved-queries";
import { AuditTrail, type AuditTrailProps } from "../../lib/constructs/audit-trail";
import { runCfnLint } from "../support/cfn-lint";
import { createCheckedApp, formatFindings, synthesizeChecked, type ValidationFinding } from "../support/nag";

function auditStack(app: App, id: string, props: Omit<AuditTrailProps, "eventBus"> = {}) {
  const stack = new Stack(app, id);
  const eventBus = new events.EventBus(stack, "Bus", { eventBusName: "eventrail" });
  const auditTrail = new AuditTrail(stack, "Audit", { eventBus, ...props });
  return { stack, eventBus, auditTrail };
}

function logicalId(stack: Stack, construct: IConstruct): string {
  return stack.resolve(stack.getLogicalId(construct.node.defaultChild as CfnElement));
}

describe("AuditTrail", () => {
  let findings: readonly ValidationFinding[];
  let defaults: { stack: Stack; auditTrail: AuditTrail; template: Template; json: Record<string, unknown> };
  let custom: { stack: Stack; template: Template; json: Record<string, unknown> };

  beforeAll(() => {
    const app = createCheckedApp();
    const d = auditStack(app, "AuditDefaults");
    const c = auditStack(app, "AuditCustom", {
      includeReplays: true,
      bufferingInterval: Duration.seconds(60),
      bufferingSize: Size.mebibytes(128),
      transitions: [
        { storageClass: s3.StorageClass.GLACIER_INSTANT_RETRIEVAL, transitionAfter: Duration.days(30) },
      ],
      expiration: Duration.days(3650),
      objectLockRetention: s3.ObjectLockRetention.compliance(Duration.days(2555)),
      targetRetryAttempts: 10,
      targetMaxEventAge: Duration.hours(2),
      query: {
        databaseName: "eventrail_audit",
        workGroupName: "eventrail-audit",
        bytesScannedCutoffPerQuery: Size.mebibytes(100),
        partitionsFrom: "2025-06-01",
        resultsExpiration: Duration.days(7),
      },
    });
    const synthesis = synthesizeChecked(app);
    findings = synthesis.findings;
    const dJson = synthesis.templateOf(d.stack);
    const cJson = synthesis.templateOf(c.stack);
    defaults = { stack: d.stack, auditTrail: d.auditTrail, template: Template.fromJSON(dJson), json: dJson };
    custom = { stack: c.stack, template: Template.fromJSON(cJson), json: cJson };
  });

  describe("the audit rule", () => {
    it("matches every event on the bus and, by default, leaves replays out", () => {
      defaults.template.hasResourceProperties("AWS::Events::Rule", {
        EventBusName: { Ref: Match.stringLikeRegexp("^Bus") },
        EventPattern: { source: [{ prefix: "" }], "replay-name": [{ exists: false }] },
      });
    });

    it("records replays too when includeReplays is set", () => {
      custom.template.hasResourceProperties("AWS::Events::Rule", {
        EventPattern: Match.exact({ source: [{ prefix: "" }] }),
      });
    });

    it("targets the delivery stream with a retry policy and a DLQ", () => {
      const streamId = logicalId(defaults.stack, defaults.auditTrail.deliveryStream);
      const dlqId = logicalId(defaults.stack, defaults.auditTrail.targetDeadLetterQueue);

      defaults.template.hasResourceProperties("AWS::Events::Rule", {
        Targets: [
          {
            Arn: { "Fn::GetAtt": [streamId, "Arn"] },
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: { "Fn::GetAtt": [dlqId, "Arn"] } },
          },
        ],
      });
      custom.template.hasResourceProperties("AWS::Events::Rule", {
        Targets: [
          Match.objectLike({ RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 7200 } }),
        ],
      });
    });
  });

  describe("the rule-target DLQ", () => {
    it("is encrypted with the audit key and takes a 1 MiB message, so an oversized event fits", () => {
      const keyId = logicalId(defaults.stack, defaults.auditTrail.encryptionKey);

      defaults.template.hasResourceProperties("AWS::SQS::Queue", {
        KmsMasterKeyId: { "Fn::GetAtt": [keyId, "Arn"] },
        MaximumMessageSize: 1_048_576,
        MessageRetentionPeriod: 1_209_600,
      });
    });

    it("admits EventBridge for this rule only, and its key admits EventBridge for this account", () => {
      const ruleId = logicalId(defaults.stack, defaults.auditTrail.rule);

      defaults.template.hasResourceProperties("AWS::SQS::QueuePolicy", {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: "Allow",
              Principal: { Service: "events.amazonaws.com" },
              Action: "sqs:SendMessage",
              Condition: { ArnEquals: { "aws:SourceArn": { "Fn::GetAtt": [ruleId, "Arn"] } } },
            }),
          ]),
        },
      });
      defaults.template.hasResourceProperties("AWS::KMS::Key", {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Principal: { Service: "events.amazonaws.com" },
              Action: ["kms:Decrypt", "kms:GenerateDataKey"],
              Condition: { StringEquals: { "aws:SourceAccount": { Ref: "AWS::AccountId" } } },
            }),
          ]),
        },
      });
    });
  });

  describe("the delivery stream", () => {
    it("is Direct PUT, encrypted, and writes GZIP JSON lines under dt= prefixes with an error prefix", () => {
      defaults.template.hasResourceProperties("AWS::KinesisFirehose::DeliveryStream", {
        DeliveryStreamType: "DirectPut",
        DeliveryStreamEncryptionConfigurationInput: { KeyType: "CUSTOMER_MANAGED_CMK" },
        ExtendedS3DestinationConfiguration: Match.objectLike({
          CompressionFormat: "GZIP",
          Prefix: "events/dt=!{timestamp:yyyy-MM-dd}/",
          ErrorOutputPrefix: "delivery-errors/!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/",
          ProcessingConfiguration: {
            Enabled: true,
            Processors: [{ Type: "AppendDelimiterToRecord", Parameters: [] }],
          },
          BufferingHints: { IntervalInSeconds: 300, SizeInMBs: 64 },
        }),
      });
    });

    it("takes its buffering from props", () => {
      custom.template.hasResourceProperties("AWS::KinesisFirehose::DeliveryStream", {
        ExtendedS3DestinationConfiguration: Match.objectLike({
          BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 128 },
        }),
      });
    });

    it("logs delivery errors to a log group that keeps them a year", () => {
      const logGroupId = logicalId(defaults.stack, defaults.auditTrail.deliveryLogGroup);

      defaults.template.hasResourceProperties("AWS::KinesisFirehose::DeliveryStream", {
        ExtendedS3DestinationConfiguration: Match.objectLike({
          CloudWatchLoggingOptions: Match.objectLike({ Enabled: true, LogGroupName: { Ref: logGroupId } }),
        }),
      });
      defaults.template.hasResourceProperties("AWS::Logs::LogGroup", { RetentionInDays: 365 });
    });
  });

  describe("the audit bucket", () => {
    it("blocks public access, uses the audit key, keeps versions and logs access to the log bucket", () => {
      const keyId = logicalId(defaults.stack, defaults.auditTrail.encryptionKey);
      const logsId = logicalId(defaults.stack, defaults.auditTrail.accessLogsBucket);

      defaults.template.hasResourceProperties("AWS::S3::Bucket", {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            {
              BucketKeyEnabled: true,
              ServerSideEncryptionByDefault: {
                SSEAlgorithm: "aws:kms",
                KMSMasterKeyID: { "Fn::GetAtt": [keyId, "Arn"] },
              },
            },
          ],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        VersioningConfiguration: { Status: "Enabled" },
        LoggingConfiguration: { DestinationBucketName: { Ref: logsId }, LogFilePrefix: "audit-bucket/" },
      });
    });

    it("refuses requests without TLS", () => {
      const bucketId = logicalId(defaults.stack, defaults.auditTrail.bucket);

      defaults.template.hasResourceProperties("AWS::S3::BucketPolicy", {
        Bucket: { Ref: bucketId },
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: "Deny", Condition: { Bool: { "aws:SecureTransport": "false" } } }),
          ]),
        },
      });
    });

    it("moves objects to Standard-IA and then Glacier Instant Retrieval by default, and to what props say", () => {
      defaults.template.hasResourceProperties("AWS::S3::Bucket", {
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Transitions: [
                { StorageClass: "STANDARD_IA", TransitionInDays: 90 },
                { StorageClass: "GLACIER_IR", TransitionInDays: 365 },
              ],
            }),
          ],
        },
      });
      custom.template.hasResourceProperties("AWS::S3::Bucket", {
        LifecycleConfiguration: {
          Rules: [
            Match.objectLike({
              Transitions: [{ StorageClass: "GLACIER_IR", TransitionInDays: 30 }],
              ExpirationInDays: 3650,
            }),
          ],
        },
      });
    });

    it("is retained when the stack is destroyed, with its log bucket", () => {
      const bucketId = logicalId(defaults.stack, defaults.auditTrail.bucket);
      const logsId = logicalId(defaults.stack, defaults.auditTrail.accessLogsBucket);
      const buckets = defaults.template.findResources("AWS::S3::Bucket");

      for (const id of [bucketId, logsId]) {
        expect(buckets[id]).toMatchObject({ DeletionPolicy: "Retain", UpdateReplacePolicy: "Retain" });
      }
    });

    it("has no Object Lock by default and write-once retention from props", () => {
      const bucketId = logicalId(defaults.stack, defaults.auditTrail.bucket);

      expect(defaults.template.findResources("AWS::S3::Bucket")[bucketId]?.Properties).not.toHaveProperty(
        "ObjectLockEnabled",
      );
      custom.template.hasResourceProperties("AWS::S3::Bucket", {
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: "Enabled",
          Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 2555 } },
        },
      });
    });

    it("sends access logs to an SSE-S3 bucket, the only encryption log delivery accepts, expiring after a year", () => {
      defaults.template.hasResourceProperties("AWS::S3::Bucket", {
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } }],
        },
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 365 })] },
      });
    });
  });

  describe("Glue and Athena", () => {
    it("declares a JSON table over events/ with legal column names mapped from the event's keys", () => {
      defaults.template.hasResourceProperties("AWS::Glue::Table", {
        TableInput: Match.objectLike({
          Name: "audit_events",
          TableType: "EXTERNAL_TABLE",
          PartitionKeys: [Match.objectLike({ Name: "dt", Type: "string" })],
          StorageDescriptor: Match.objectLike({
            Location: Match.objectLike({ "Fn::Join": ["", Match.arrayWith(["/events/"])] }),
            SerdeInfo: {
              SerializationLibrary: "org.openx.data.jsonserde.JsonSerDe",
              Parameters: Match.objectLike({
                "mapping.detail_type": "detail-type",
                "mapping.replay_name": "replay-name",
              }),
            },
            Columns: Match.arrayWith([
              Match.objectLike({ Name: "detail_type", Type: "string" }),
              Match.objectLike({ Name: "resources", Type: "array<string>" }),
              Match.objectLike({ Name: "detail", Type: "string" }),
            ]),
          }),
        }),
      });
    });

    it("projects the dt partitions by day, so no crawler or MSCK REPAIR is ever needed", () => {
      const params = {
        "projection.enabled": "true",
        "projection.dt.type": "date",
        "projection.dt.format": "yyyy-MM-dd",
        "projection.dt.interval": "1",
        "projection.dt.interval.unit": "DAYS",
        // SSE-KMS, not client-side encryption: Athena must not try to decrypt the objects itself.
        has_encrypted_data: false,
        "storage.location.template": {
          "Fn::Join": [
            "",
            ["s3://", { Ref: logicalId(defaults.stack, defaults.auditTrail.bucket) }, `/events/dt=\${dt}/`],
          ],
        },
      };

      defaults.template.hasResourceProperties("AWS::Glue::Table", {
        TableInput: Match.objectLike({
          Parameters: Match.objectLike({ ...params, "projection.dt.range": "2026-01-01,NOW" }),
        }),
      });
      custom.template.hasResourceProperties("AWS::Glue::Table", {
        DatabaseName: { Ref: Match.anyValue() },
        TableInput: Match.objectLike({
          Parameters: Match.objectLike({ "projection.dt.range": "2025-06-01,NOW" }),
        }),
      });
      custom.template.hasResourceProperties("AWS::Glue::Database", {
        DatabaseInput: { Name: "eventrail_audit" },
      });
    });

    it("runs queries in a workgroup that enforces encrypted results and a 1 GiB cutoff", () => {
      defaults.template.hasResourceProperties("AWS::Athena::WorkGroup", {
        State: "ENABLED",
        WorkGroupConfiguration: {
          EnforceWorkGroupConfiguration: true,
          PublishCloudWatchMetricsEnabled: true,
          BytesScannedCutoffPerQuery: 1_073_741_824,
          EngineVersion: { SelectedEngineVersion: "Athena engine version 3" },
          ResultConfiguration: Match.objectLike({
            EncryptionConfiguration: { EncryptionOption: "SSE_KMS", KmsKey: Match.anyValue() },
            OutputLocation: Match.anyValue(),
          }),
        },
      });
      custom.template.hasResourceProperties("AWS::Athena::WorkGroup", {
        Name: "eventrail-audit",
        WorkGroupConfiguration: Match.objectLike({ BytesScannedCutoffPerQuery: 104_857_600 }),
      });
    });

    it("writes results to their own bucket, where they expire", () => {
      const resultsId = logicalId(defaults.stack, defaults.auditTrail.queryEngine.resultsBucket);

      defaults.template.hasResourceProperties("AWS::Athena::WorkGroup", {
        WorkGroupConfiguration: Match.objectLike({
          ResultConfiguration: Match.objectLike({
            OutputLocation: { "Fn::Join": ["", ["s3://", { Ref: resultsId }, "/results/"]] },
          }),
        }),
      });
      expect(defaults.template.findResources("AWS::S3::Bucket")[resultsId]?.Properties).toMatchObject({
        LifecycleConfiguration: { Rules: [expect.objectContaining({ ExpirationInDays: 30 })] },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [expect.objectContaining({ BucketKeyEnabled: true })],
        },
      });
      custom.template.hasResourceProperties("AWS::S3::Bucket", {
        LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 7 })] },
      });
    });

    it("saves every saved query, with its SQL, in the workgroup and the audit database", () => {
      const named = Object.values(defaults.template.findResources("AWS::Athena::NamedQuery"));

      expect(named.map((r) => r.Properties.Name).sort()).toEqual(savedQueries.map((q) => q.name).sort());
      for (const query of savedQueries) {
        defaults.template.hasResourceProperties("AWS::Athena::NamedQuery", {
          Name: query.name,
          QueryString: query.sql,
          Database: { Ref: Match.stringLikeRegexp("Database") },
          WorkGroup: { Ref: Match.stringLikeRegexp("WorkGroup") },
        });
      }
    });
  });

  describe("checked by the project's tools", () => {
    it("passes cdk-nag (AwsSolutions, Serverless) and aws-cdk-lib's CloudFormation validation", () => {
      expect(findings, formatFindings(findings)).toEqual([]);
    });

    it("leaves no unused mapping behind in a stack without a region", () => {
      expect(defaults.json).not.toHaveProperty("Mappings");
    });

    it("passes cfn-lint", async (context) => {
      const [d, c] = await Promise.all([runCfnLint(defaults.json), runCfnLint(custom.json)]);
      if (!d.available) {
        console.warn("cfn-lint is not on PATH; the cfn-lint check of the audit trail was skipped");
        context.skip("cfn-lint is not on PATH");
      }

      expect([...d.findings, ...c.findings]).toEqual([]);
    });
  });
});

describe("AuditQueryEngine.grantQuery", () => {
  it("grants Athena on the workgroup, Glue reads, the audit objects and the results bucket", () => {
    const { stack, auditTrail } = auditStack(new App(), "Grants");
    const analyst = new iam.Role(stack, "Analyst", { assumedBy: new iam.AccountRootPrincipal() });

    auditTrail.queryEngine.grantQuery(analyst);

    const statements = Template.fromStack(stack).findResources("AWS::IAM::Policy", {
      Properties: { Roles: [{ Ref: logicalId(stack, analyst) }] },
    });
    const actions = Object.values(statements).flatMap((p) =>
      p.Properties.PolicyDocument.Statement.flatMap((s: { Action: string | string[] }) => s.Action),
    );
    expect(actions).toEqual(
      expect.arrayContaining([
        "athena:StartQueryExecution",
        "athena:GetQueryResults",
        "glue:GetTable",
        "glue:GetPartitions",
        "s3:GetObject*",
        "s3:PutObject",
        "kms:Decrypt",
      ]),
    );
  });
});

describe("AuditTrail refuses settings AWS would refuse, naming the prop, the value and what is expected", () => {
  it.each<[string, Omit<AuditTrailProps, "eventBus">, RegExp]>([
    [
      "a buffer over 900 s",
      { bufferingInterval: Duration.seconds(901) },
      /bufferingInterval is 901 s; expected a whole number from 0 to 900 s/,
    ],
    [
      "a buffer over 128 MiB",
      { bufferingSize: Size.mebibytes(256) },
      /bufferingSize is 256 MiB; expected a whole number from 1 to 128 MiB/,
    ],
    [
      "more than 185 retries",
      { targetRetryAttempts: 200 },
      /targetRetryAttempts is 200; expected a whole number from 0 to 185/,
    ],
    [
      "an event age under a minute",
      { targetMaxEventAge: Duration.seconds(30) },
      /targetMaxEventAge is 30 s; expected a whole number from 60 to 86400 s/,
    ],
    [
      "a dead-letter retention over 14 days",
      { deadLetterRetention: Duration.days(15) },
      /deadLetterRetention is 1296000 s; expected a whole number from 60 to 1209600 s \(SQS's limit, 1 minute to 14 days\); set deadLetterRetention within that range, or leave it out for the default/,
    ],
    [
      "an expiration of half a day",
      { expiration: Duration.hours(12) },
      /AuditTrail: expiration is 0.5 days; expected a whole number of days, at least 1/,
    ],
    [
      "access logs kept for less than a day",
      { accessLogsExpiration: Duration.hours(1) },
      /accessLogsExpiration is 0.041\d* days; expected a whole number of days, at least 1/,
    ],
    [
      "query results kept for less than a day",
      { query: { resultsExpiration: Duration.hours(6) } },
      /AuditQueryEngine: resultsExpiration is 0.25 days; expected a whole number of days, at least 1/,
    ],
    [
      "a prefix without a trailing slash",
      { eventsPrefix: "events" },
      /eventsPrefix is "events"; expected an S3 key prefix that ends with "\/"/,
    ],
    ["a prefix with a leading slash", { errorsPrefix: "/errors/" }, /errorsPrefix is "\/errors\/"/],
    [
      "overlapping prefixes",
      { eventsPrefix: "audit/", errorsPrefix: "audit/errors/" },
      /eventsPrefix "audit\/" and errorsPrefix "audit\/errors\/" overlap/,
    ],
    [
      "a cutoff under Athena's 10 MB",
      { query: { bytesScannedCutoffPerQuery: Size.mebibytes(5) } },
      /bytesScannedCutoffPerQuery is 5242880 bytes; expected at least 10000000 bytes/,
    ],
    [
      "a projection start that is not a date",
      { query: { partitionsFrom: "2026-13-01" } },
      /partitionsFrom is "2026-13-01"; expected a date yyyy-MM-dd/,
    ],
  ])("%s", (_case, props, message) => {
    const act = () => auditStack(new App(), "Invalid", props);

    expect(act).toThrow(AuditConfigError);
    expect(act).toThrow(message);
  });
});
