import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { eventTypes as exampleEventTypes } from "../../lib/catalog";
import { stackOutputs } from "../../lib/stack-outputs";
import { subscriptions as exampleSubscriptions } from "../../lib/subscriptions";
import { type SynthesizedApp, synthesizeApp } from "../support/example-app";
import { qualityControl, widgetEventTypes } from "../support/widget-catalog";

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

let synthesized: SynthesizedApp;
let resources: Resources;

beforeAll(() => {
  // Prepare and act: the whole pipeline stack, as `cdk synth` builds it, over a catalog of its own.
  synthesized = synthesizeApp({ eventTypes: widgetEventTypes, subscriptions: [qualityControl] });
  resources = synthesized.template.toJSON().Resources as Resources;
});

function logicalId(construct: { node: { defaultChild?: unknown } }): string {
  return synthesized.stack.getLogicalId(construct.node.defaultChild as never);
}

function subscription() {
  const [only] = synthesized.stack.subscriptions;
  if (only === undefined) throw new Error("the stack has no subscription");
  return only;
}

describe("the pipeline stack over another catalog and subscription set", () => {
  it("routes the new types' sources and detail-types to the subscription's queue, with its target DLQ", () => {
    synthesized.template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["acme.quality", "acme.workshop"],
        "detail-type": ["WidgetAssembled", "WidgetInspected"],
      },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [logicalId(subscription().queue), "Arn"] },
          RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
          DeadLetterConfig: {
            Arn: { "Fn::GetAtt": [logicalId(subscription().targetDeadLetterQueue), "Arn"] },
          },
        }),
      ],
    });
  });

  it("gives the subscription a CMK-encrypted queue redriving to its own DLQ, and a separate target DLQ", () => {
    const queue = resources[logicalId(subscription().queue)]?.Properties ?? {};
    const deadLetterQueue = resources[logicalId(subscription().deadLetterQueue)];
    const targetDeadLetterQueue = resources[logicalId(subscription().targetDeadLetterQueue)];

    expect(queue.RedrivePolicy).toEqual({
      deadLetterTargetArn: { "Fn::GetAtt": [logicalId(subscription().deadLetterQueue), "Arn"] },
      maxReceiveCount: 5,
    });
    expect(queue.KmsMasterKeyId).toEqual({
      "Fn::GetAtt": [logicalId(synthesized.stack.deliveryKey.key), "Arn"],
    });
    expect(deadLetterQueue?.Type).toBe("AWS::SQS::Queue");
    expect(targetDeadLetterQueue?.Type).toBe("AWS::SQS::Queue");
    expect(logicalId(subscription().deadLetterQueue)).not.toBe(
      logicalId(subscription().targetDeadLetterQueue),
    );
  });

  it("runs the subscription's consumer on its queue, told what it consumes, with its bus and state table", () => {
    synthesized.template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: "quality-control",
          EVENTRAIL_CONSUMES: "WidgetAssembled,WidgetInspected",
          EVENT_BUS_NAME: Match.anyValue(),
          STATE_TABLE_NAME: Match.anyValue(),
        }),
      },
    });
    synthesized.template.hasResourceProperties("AWS::Lambda::EventSourceMapping", {
      EventSourceArn: { "Fn::GetAtt": [logicalId(subscription().queue), "Arn"] },
      FunctionResponseTypes: ["ReportBatchItemFailures"],
    });
  });

  it("registers the new types' schemas and no other", () => {
    const schemaNames = Object.values(resources)
      .filter((r) => r.Type === "AWS::EventSchemas::Schema")
      .map((r) => r.Properties?.SchemaName);

    expect(schemaNames.sort()).toEqual(["acme.quality@WidgetInspected", "acme.workshop@WidgetAssembled"]);
  });

  it("lists the subscription in the stack outputs", () => {
    const outputs = synthesized.template.toJSON().Outputs as Record<string, { Value: unknown }>;

    expect(JSON.stringify(outputs[stackOutputs.subscriptions]?.Value)).toContain(
      '\\"name\\":\\"quality-control\\"',
    );
  });

  it("refers to nothing of the example domain: no event type, source or subscription of the app's own", () => {
    const template = JSON.stringify(synthesized.template.toJSON());
    const exampleNames = [
      ...exampleEventTypes.flatMap((eventType) => [eventType.detailType, eventType.source]),
      ...exampleSubscriptions.map((definition) => definition.name),
    ];

    for (const name of exampleNames) expect(template, name).not.toContain(name);
  });
});
