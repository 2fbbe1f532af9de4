import { describe, expect, it } from "vitest";
import { TemplateResolutionError } from "../../../lib/local/assembly/errors";
import { deterministicUuid, generatedName, namingRules } from "../../../lib/local/assembly/physical-names";
import { resolverFor } from "./support/resolver";

const LONG_LOGICAL_ID = `Subscription${"VeryLong".repeat(12)}QueueB18C8581`;

describe("generating physical names", () => {
  it("names a resource <stackName>-<logicalId>, as CloudFormation does without its random suffix", () => {
    // Act
    const name = generatedName("Eventrail", "OrdersQueueB18C8581", namingRules.queue);

    // Assess
    expect(name).toBe("Eventrail-OrdersQueueB18C8581");
  });

  it.each([
    ["queue", namingRules.queue, 80],
    ["function", namingRules.function, 64],
    ["rule", namingRules.rule, 64],
    ["archive", namingRules.archive, 48],
    ["delivery stream", namingRules.deliveryStream, 64],
    ["bucket", namingRules.bucket, 63],
  ])("keeps a long %s name within the service's %i characters and valid", (_kind, rule, maxLength) => {
    // Act
    const name = generatedName("Eventrail", LONG_LOGICAL_ID, rule);

    // Assess
    expect(name).toHaveLength(maxLength);
    expect(name).toMatch(rule.pattern);
    expect(name).toMatch(/-[0-9a-f]{8}$/);
  });

  it("gives two long logical ids that share a prefix different names", () => {
    // Act
    const first = generatedName("Eventrail", `${LONG_LOGICAL_ID}A`, namingRules.function);
    const second = generatedName("Eventrail", `${LONG_LOGICAL_ID}B`, namingRules.function);

    // Assess
    expect(first).not.toBe(second);
  });

  it("writes bucket names in lower case, as S3 requires", () => {
    // Act
    const name = generatedName("Eventrail", "AuditBucket7486E833", namingRules.bucket);

    // Assess
    expect(name).toBe("eventrail-auditbucket7486e833");
  });

  it("makes the same UUID for the same stack and logical id, and another for another id", () => {
    // Act
    const first = deterministicUuid("Eventrail", "Mapping");
    const again = deterministicUuid("Eventrail", "Mapping");
    const other = deterministicUuid("Eventrail", "OtherMapping");

    // Assess
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });
});

describe("taking names from the template", () => {
  it("uses the name the template gives, resolving it", () => {
    // Prepare
    const resolver = resolverFor({
      Resources: {
        Queue: {
          Type: "AWS::SQS::Queue",
          // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax, not a JavaScript template
          Properties: { QueueName: { "Fn::Sub": "${AWS::StackName}-orders" } },
        },
      },
    });

    // Act
    const name = resolver.physicalName("Queue", ["Resources", "Queue"]);

    // Assess
    expect(name).toBe("Shop-orders");
  });

  it("refuses a name the service would refuse, naming the name and the rule", () => {
    // Prepare
    const resolver = resolverFor({
      Resources: { Queue: { Type: "AWS::SQS::Queue", Properties: { QueueName: "orders queue" } } },
    });

    // Act
    const act = () => resolver.physicalName("Queue", ["Resources", "Queue"]);

    // Assess
    expect(act).toThrow(TemplateResolutionError);
    expect(act).toThrow(
      "Resources.Queue.Properties.QueueName: SQS queue name \"orders queue\" is invalid; the service accepts 1-80 letters, digits, '-' and '_'",
    );
  });

  it("refuses a name that depends on itself", () => {
    // Prepare
    const resolver = resolverFor({
      Resources: {
        Queue: {
          Type: "AWS::SQS::Queue",
          Properties: { QueueName: { "Fn::GetAtt": ["Queue", "QueueName"] } },
        },
      },
    });

    // Act
    const act = () => resolver.physicalName("Queue", ["Resources", "Queue"]);

    // Assess
    expect(act).toThrow(/the name of Queue depends on itself/);
  });
});
