import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { buildApp } from "../lib/app";
import { subscriptions } from "../lib/subscriptions";
import { cdkJsonContext } from "./support/example-app";

function synthesize(context: Record<string, unknown>): Template {
  const { stack } = buildApp({
    appProps: {
      context: { ...cdkJsonContext(), ...context },
      outdir: mkdtempSync(path.join(tmpdir(), "eventrail-app-")),
    },
    stackProps: {
      subscriptions: subscriptions.map((s) => ({ ...s, entry: "test/fixtures/noop-handler.ts" })),
    },
  });
  return Template.fromStack(stack);
}

describe("the CDK app", () => {
  it("subscribes the alarm e-mail given with -c alarmEmail=...", () => {
    const template = synthesize({ alarmEmail: "oncall@example.com" });

    template.hasResourceProperties("AWS::SNS::Subscription", {
      Protocol: "email",
      Endpoint: "oncall@example.com",
    });
  });

  it("subscribes nobody when no alarm e-mail is given", () => {
    const template = synthesize({});

    expect(template.findResources("AWS::SNS::Subscription")).toEqual({});
  });
});
