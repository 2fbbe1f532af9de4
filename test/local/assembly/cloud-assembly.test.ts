import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  CloudAssemblyError,
  InvalidOptionError,
  loadLocalModel,
  readLocalAssembly,
} from "../../../lib/local/assembly";
import { CloudAssemblyFixtures, type FixtureTemplate } from "./support/cloud-assembly-fixture";

const fixtures = new CloudAssemblyFixtures();
afterAll(() => fixtures.cleanUp());

const queueTemplate: FixtureTemplate = { Resources: { Queue: { Type: "AWS::SQS::Queue" } } };

describe("finding the stack in the cloud assembly", () => {
  it("tells the user to synthesize when the folder holds no manifest.json", async () => {
    // Prepare
    const empty = await mkdtemp(path.join(tmpdir(), "eventrail-empty-"));

    // Act
    const reading = loadLocalModel({ cdkOutDir: empty });

    // Assess
    await expect(reading).rejects.toThrow(CloudAssemblyError);
    await expect(reading).rejects.toThrow(
      /manifest\.json cannot be read\. Is .* a cdk\.out folder\? Run `npm run synth`/,
    );
    await rm(empty, { recursive: true });
  });

  it("reads the only stack when no stackName is given", async () => {
    // Prepare
    const cdkOutDir = await fixtures.write({ stacks: [{ id: "Shop", template: queueTemplate }] });

    // Act
    const model = await loadLocalModel({ cdkOutDir });

    // Assess
    expect(model.stackName).toBe("Shop");
    expect(model.queues.map((queue) => queue.name)).toEqual(["Shop-Queue"]);
  });

  it("lists the stacks when there are several and no stackName", async () => {
    // Prepare
    const cdkOutDir = await fixtures.write({
      stacks: [
        { id: "Shop", template: queueTemplate },
        { id: "Billing", template: queueTemplate },
      ],
    });

    // Act
    const reading = loadLocalModel({ cdkOutDir });

    // Assess
    await expect(reading).rejects.toThrow(/holds 2 stacks \(Shop, Billing\); pass stackName to choose one/);
  });

  it("selects a stack by artifact id, and names the stacks when the name matches none", async () => {
    // Prepare
    const cdkOutDir = await fixtures.write({
      stacks: [
        { id: "Shop", template: queueTemplate },
        { id: "Billing", template: { Resources: { Invoices: { Type: "AWS::SQS::Queue" } } } },
      ],
    });

    // Act
    const model = await loadLocalModel({ cdkOutDir, stackName: "Billing" });
    const missing = loadLocalModel({ cdkOutDir, stackName: "Orders" });

    // Assess
    expect(model.queues.map((queue) => queue.logicalId)).toEqual(["Invoices"]);
    await expect(missing).rejects.toThrow(/has no stack "Orders"; its stacks are: Shop, Billing/);
  });

  it("uses the manifest's stackName for generated names, and finds stacks of nested assemblies", async () => {
    // Prepare
    const cdkOutDir = await fixtures.write({
      stacks: [],
      nested: {
        "assembly-Prod": {
          stacks: [
            { id: "ProdShop", stackName: "Prod-Shop", displayName: "Prod/Shop", template: queueTemplate },
          ],
        },
      },
    });

    // Act
    const model = await loadLocalModel({ cdkOutDir, stackName: "Prod/Shop" });

    // Assess
    expect(model.stackName).toBe("Prod-Shop");
    expect(model.queues[0]?.name).toBe("Prod-Shop-Queue");
  });
});

describe("the local account, region and endpoint", () => {
  it("uses the local defaults: account 000000000000, us-east-1 and the edge on port 4010", async () => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate(queueTemplate);

    // Act
    const model = await loadLocalModel({ cdkOutDir });

    // Assess
    expect(model).toMatchObject({ accountId: "000000000000", region: "us-east-1" });
    expect(model.queues[0]).toMatchObject({
      arn: "arn:aws:sqs:us-east-1:000000000000:Test-Queue",
      url: "http://127.0.0.1:4010/000000000000/Test-Queue",
    });
  });

  it("puts the account, region and endpoint given in every ARN and URL", async () => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate(queueTemplate);

    // Act
    const model = await loadLocalModel({
      cdkOutDir,
      accountId: "123456789012",
      region: "eu-central-1",
      endpoint: "http://localhost:9000/",
    });

    // Assess
    expect(model.queues[0]).toMatchObject({
      arn: "arn:aws:sqs:eu-central-1:123456789012:Test-Queue",
      url: "http://localhost:9000/123456789012/Test-Queue",
    });
  });

  it.each([
    [{ accountId: "12345" }, /accountId "12345" is invalid; expected 12 digits/],
    [{ region: "Europe" }, /region "Europe" is invalid; expected a region name such as "us-east-1"/],
    [{ endpoint: "ftp://127.0.0.1:4010" }, /endpoint "ftp:\/\/127\.0\.0\.1:4010" is not http\(s\)/],
    [{ endpoint: "not a url" }, /endpoint "not a url" is not a URL/],
  ])("refuses the option %o, naming the value and the form expected", async (option, message) => {
    // Prepare
    const cdkOutDir = await fixtures.writeTemplate(queueTemplate);

    // Act
    const reading = loadLocalModel({ cdkOutDir, ...option });

    // Assess
    await expect(reading).rejects.toThrow(InvalidOptionError);
    await expect(reading).rejects.toThrow(message);
  });

  it("warns when the stack was synthesized for another account, whose literals the template keeps", async () => {
    // Prepare
    const cdkOutDir = await fixtures.write({
      stacks: [{ template: queueTemplate, environment: "aws://123456789012/eu-west-1" }],
    });

    // Act
    const { warnings } = await readLocalAssembly({ cdkOutDir, region: "eu-west-1" });

    // Assess
    expect(warnings).toEqual([
      expect.objectContaining({
        message: expect.stringMatching(
          /synthesized for account 123456789012 but runs locally as 000000000000.*accountId: "123456789012"/,
        ),
      }),
    ]);
  });
});
