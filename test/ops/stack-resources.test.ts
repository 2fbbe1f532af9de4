import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import {
  describeStackResources,
  findSubscription,
  StackResourcesError,
  stackResourcesFromOutputs,
} from "../../lib/ops/stack-resources";
import { stackOutputs } from "../../lib/stack-outputs";
import { aStack, aSubscription, describeStacksAnswer, stackOutputsOf } from "./stack-fixture";

const cloudFormation = mockClient(CloudFormationClient);

beforeEach(() => {
  cloudFormation.reset();
});

function outputsOf(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...stackOutputsOf(), ...overrides };
}

describe("describeStackResources", () => {
  it("reads the resources from the stack's outputs", async () => {
    // Prepare
    cloudFormation.on(DescribeStacksCommand, { StackName: "Eventrail" }).resolves(describeStacksAnswer());

    // Act
    const resources = await describeStackResources(
      new CloudFormationClient({ region: "eu-west-1" }),
      "Eventrail",
    );

    // Assess
    expect(resources).toEqual(aStack());
  });

  it("says which stack does not exist and how to name another", async () => {
    // Prepare
    const missing = Object.assign(new Error("Stack with id Nope does not exist"), {
      name: "ValidationError",
    });
    cloudFormation.on(DescribeStacksCommand).rejects(missing);

    // Act
    const reading = describeStackResources(new CloudFormationClient({ region: "eu-west-1" }), "Nope");

    // Assess
    await expect(reading).rejects.toThrow(StackResourcesError);
    await expect(reading).rejects.toThrow(/stack "Nope" does not exist.*--stack NAME and --region R/);
  });
});

describe("stackResourcesFromOutputs", () => {
  it("names every output a stack lacks", () => {
    const outputs = outputsOf({
      [stackOutputs.archiveArn]: undefined,
      [stackOutputs.subscriptions]: undefined,
    });
    expect(() => stackResourcesFromOutputs("Old", outputs, 'CloudFormation stack "Old"')).toThrow(
      'CloudFormation stack "Old" has no output ArchiveArn, Subscriptions; expected an eventrail pipeline stack',
    );
  });

  it.each([
    ["not JSON", "{", "is not JSON"],
    ["not an array", "{}", "is not an array"],
    [
      "an item without a queue URL",
      JSON.stringify([{ ...aSubscription("a"), queueUrl: undefined }]),
      'item 0 has no string "queueUrl"',
    ],
  ])("refuses a Subscriptions output that is %s", (_case, value, why) => {
    const outputs = outputsOf({ [stackOutputs.subscriptions]: value });
    expect(() => stackResourcesFromOutputs("Eventrail", outputs, "stack")).toThrow(
      `stack output Subscriptions ${why}`,
    );
  });
});

describe("findSubscription", () => {
  it("finds a subscription by name", () => {
    expect(findSubscription(aStack(), "analytics")).toEqual(aSubscription("analytics"));
  });

  it("names the subscriptions there are when the name is unknown", () => {
    expect(() => findSubscription(aStack(), "invetory")).toThrow(
      'Subscription "invetory" is not in stack "Eventrail"; expected one of: inventory, analytics.',
    );
  });
});
