import { execFile, spawnSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import {
  CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourceCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type ListStackResourcesCommandInput,
  ListStacksCommand,
  UpdateStackCommand,
} from "@aws-sdk/client-cloudformation";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { readLocalAssembly } from "../../../lib/local/assembly";
import {
  CLOUDFORMATION_API_VERSION,
  createCloudFormationService,
} from "../../../lib/local/cloudformation/cloudformation-service";
import { escapeXml } from "../../../lib/local/cloudformation/query-protocol";
import { EdgeServer } from "../../../lib/local/edge-server";
import type { LocalPipelineModel } from "../../../lib/local/model";
import { CloudAssemblyFixtures, type FixtureTemplate } from "../assembly/support/cloud-assembly-fixture";

/** CloudFormation's read calls at the edge, driven with the AWS SDK v3, raw HTTP and the AWS CLI. */

const fixtures = new CloudAssemblyFixtures();
const edges: EdgeServer[] = [];
const clients: { destroy(): void }[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.destroy();
  await Promise.all(edges.splice(0).map((edge) => edge.close()));
});
afterAll(() => fixtures.cleanUp());

const STARTED_AT = new Date("2026-01-02T03:04:05.678Z");

/** A stack with a bus, two queues, an exported output, a false condition and awkward text. */
const TEMPLATE: FixtureTemplate = {
  Description: "Orders & payments <demo> \"quoted\" 'single' — ünïcode",
  Parameters: { Stage: { Type: "String", Default: "dev" } },
  Conditions: { IsProduction: { "Fn::Equals": [{ Ref: "Stage" }, "prod"] } },
  Resources: {
    Bus: { Type: "AWS::Events::EventBus", Properties: { Name: "orders" } },
    Queue: { Type: "AWS::SQS::Queue", Metadata: { "aws:cdk:path": "Shop/Queue/Resource" } },
    DeadLetters: { Type: "AWS::SQS::Queue", Properties: { QueueName: "orders-dlq" } },
    Role: { Type: "AWS::IAM::Role" },
    ProductionOnly: { Type: "AWS::SQS::Queue", Condition: "IsProduction" },
  },
  Outputs: {
    BusName: { Description: "The bus <producers> publish to", Value: { Ref: "Bus" } },
    QueueUrl: {
      Value: { Ref: "Queue" },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      Export: { Name: { "Fn::Sub": "${AWS::StackName}-queue-url" } },
    },
    Awkward: { Value: "a & b < c > d \"e\" 'f'\r\nline two\ttab" },
  },
};

interface Started {
  readonly endpoint: string;
  readonly model: LocalPipelineModel;
  readonly cdkOutDir: string;
  readonly cloudFormation: CloudFormationClient;
}

/** Reads `template` as the local pipeline does and serves it on an edge of its own. */
async function startEdge(
  options: {
    template?: FixtureTemplate;
    tags?: Record<string, string>;
    terminationProtection?: boolean;
    model?: LocalPipelineModel;
  } = {},
): Promise<Started> {
  const edge = new EdgeServer({ routes: [] });
  edges.push(edge);
  const endpoint = await edge.listen(0);
  const cdkOutDir = await fixtures.write({
    stacks: [
      {
        id: "Shop",
        template: options.template ?? TEMPLATE,
        ...(options.tags === undefined ? {} : { tags: options.tags }),
        ...(options.terminationProtection === undefined
          ? {}
          : { terminationProtection: options.terminationProtection }),
      },
    ],
  });
  const model = options.model ?? (await readLocalAssembly({ cdkOutDir, endpoint })).model;
  edge.mountQuery(CLOUDFORMATION_API_VERSION, createCloudFormationService(model, STARTED_AT));
  const cloudFormation = new CloudFormationClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  });
  clients.push(cloudFormation);
  return { endpoint, model, cdkOutDir, cloudFormation };
}

/** A form-encoded POST as the query protocol sends it; the answer's status, headers and body. */
async function postForm(
  endpoint: string,
  form: Record<string, string>,
): Promise<{ status: number; contentType: string | null; requestId: string | null; body: string }> {
  const answer = await fetch(endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" },
    body: new URLSearchParams(form).toString(),
  });
  return {
    status: answer.status,
    contentType: answer.headers.get("content-type"),
    requestId: answer.headers.get("x-amzn-requestid"),
    body: await answer.text(),
  };
}

/** The error the SDK throws for `promise`, or a failure when it resolves. */
async function rejection(
  promise: Promise<unknown>,
): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected the call to fail");
}

describe("DescribeStacks and ListStacks", () => {
  it("describes the stack with its outputs resolved to local values, by name, by id or without a name", async () => {
    // Prepare
    const { cloudFormation, endpoint } = await startEdge({ tags: { team: "shop", "cost-center": "42" } });

    // Act
    const unnamed = await cloudFormation.send(new DescribeStacksCommand({}));
    const stackId = unnamed.Stacks?.[0]?.StackId ?? "";
    const byName = await cloudFormation.send(new DescribeStacksCommand({ StackName: "Shop" }));
    const byId = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackId }));

    // Assess
    expect(stackId).toMatch(
      /^arn:aws:cloudformation:us-east-1:000000000000:stack\/Shop\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(byName.Stacks).toEqual(unnamed.Stacks);
    expect(byId.Stacks).toEqual(unnamed.Stacks);
    expect(unnamed.Stacks).toHaveLength(1);
    expect(unnamed.Stacks?.[0]).toMatchObject({
      StackName: "Shop",
      StackStatus: "CREATE_COMPLETE",
      CreationTime: STARTED_AT,
      Description: TEMPLATE.Description,
      Parameters: [],
      DisableRollback: false,
      EnableTerminationProtection: false,
      DriftInformation: { StackDriftStatus: "NOT_CHECKED" },
    });
    expect(unnamed.Stacks?.[0]?.Tags?.toSorted((a, b) => (a.Key ?? "").localeCompare(b.Key ?? ""))).toEqual([
      { Key: "cost-center", Value: "42" },
      { Key: "team", Value: "shop" },
    ]);
    expect(
      unnamed.Stacks?.[0]?.Outputs?.toSorted((a, b) => (a.OutputKey ?? "").localeCompare(b.OutputKey ?? "")),
    ).toEqual([
      { OutputKey: "Awkward", OutputValue: "a & b < c > d \"e\" 'f'\r\nline two\ttab" },
      { OutputKey: "BusName", OutputValue: "orders", Description: "The bus <producers> publish to" },
      {
        OutputKey: "QueueUrl",
        OutputValue: `${endpoint}/000000000000/Shop-Queue`,
        ExportName: "Shop-queue-url",
      },
    ]);
  });

  it("keeps the stack id across starts, as a stack keeps it until it is deleted", async () => {
    // Prepare
    const first = await startEdge();
    const second = await startEdge();

    // Act
    const [a, b] = await Promise.all(
      [first, second].map((started) => started.cloudFormation.send(new DescribeStacksCommand({}))),
    );

    // Assess
    expect(a?.Stacks?.[0]?.StackId).toBe(b?.Stacks?.[0]?.StackId);
  });

  it("says whether the stack has termination protection, as the assembly deploys it", async () => {
    // Prepare
    const { cloudFormation } = await startEdge({ terminationProtection: true });

    // Act
    const answer = await cloudFormation.send(new DescribeStacksCommand({ StackName: "Shop" }));

    // Assess
    expect(answer.Stacks?.[0]?.EnableTerminationProtection).toBe(true);
    expect(answer.Stacks?.[0]?.Tags).toEqual([]);
  });

  it("answers an unknown stack with CloudFormation's ValidationError, HTTP 400", async () => {
    // Prepare
    const { cloudFormation } = await startEdge();

    // Act
    const error = await rejection(
      cloudFormation.send(new DescribeStacksCommand({ StackName: "NoSuchStack" })),
    );

    // Assess
    expect(error.name).toBe("ValidationError");
    expect(error.message).toBe("Stack with id NoSuchStack does not exist");
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  it("lists the stack, honouring StackStatusFilter", async () => {
    // Prepare
    const { cloudFormation } = await startEdge();

    // Act
    const all = await cloudFormation.send(new ListStacksCommand({}));
    const complete = await cloudFormation.send(
      new ListStacksCommand({ StackStatusFilter: ["CREATE_COMPLETE"] }),
    );
    const deleted = await cloudFormation.send(
      new ListStacksCommand({ StackStatusFilter: ["DELETE_COMPLETE"] }),
    );

    // Assess
    expect(all.StackSummaries).toEqual([
      expect.objectContaining({
        StackName: "Shop",
        StackStatus: "CREATE_COMPLETE",
        CreationTime: STARTED_AT,
        TemplateDescription: TEMPLATE.Description,
      }),
    ]);
    expect(complete.StackSummaries).toEqual(all.StackSummaries);
    expect(deleted.StackSummaries).toEqual([]);
  });
});

describe("the stack's resources", () => {
  it("maps every created resource's logical id to its local physical id and type", async () => {
    // Prepare
    const { cloudFormation, endpoint } = await startEdge();

    // Act
    const answer = await cloudFormation.send(new ListStackResourcesCommand({ StackName: "Shop" }));

    // Assess: Ref's local value, the queue's URL on this endpoint; the false condition's queue is absent.
    expect(
      answer.StackResourceSummaries?.map((s) => [s.LogicalResourceId, s.ResourceType, s.PhysicalResourceId]),
    ).toEqual([
      ["Bus", "AWS::Events::EventBus", "orders"],
      ["Queue", "AWS::SQS::Queue", `${endpoint}/000000000000/Shop-Queue`],
      ["DeadLetters", "AWS::SQS::Queue", `${endpoint}/000000000000/orders-dlq`],
      ["Role", "AWS::IAM::Role", "Shop-Role"],
    ]);
    expect(answer.StackResourceSummaries?.[0]).toMatchObject({
      ResourceStatus: "CREATE_COMPLETE",
      LastUpdatedTimestamp: STARTED_AT,
      DriftInformation: { StackResourceDriftStatus: "NOT_CHECKED" },
    });
    expect(answer.NextToken).toBeUndefined();
  });

  it("describes the resources of the stack, or of the stack a physical id belongs to, and one resource with its metadata", async () => {
    // Prepare
    const { cloudFormation, endpoint } = await startEdge();

    // Act
    const byStack = await cloudFormation.send(new DescribeStackResourcesCommand({ StackName: "Shop" }));
    const byPhysicalId = await cloudFormation.send(
      new DescribeStackResourcesCommand({ PhysicalResourceId: `${endpoint}/000000000000/orders-dlq` }),
    );
    const oneLogical = await cloudFormation.send(
      new DescribeStackResourcesCommand({ StackName: "Shop", LogicalResourceId: "Bus" }),
    );
    const detail = await cloudFormation.send(
      new DescribeStackResourceCommand({ StackName: "Shop", LogicalResourceId: "Queue" }),
    );
    const unknownResource = await rejection(
      cloudFormation.send(new DescribeStackResourceCommand({ StackName: "Shop", LogicalResourceId: "Nope" })),
    );
    const unknownPhysical = await rejection(
      cloudFormation.send(new DescribeStackResourcesCommand({ PhysicalResourceId: "not-here" })),
    );

    // Assess
    expect(byStack.StackResources?.map((r) => r.LogicalResourceId)).toEqual([
      "Bus",
      "Queue",
      "DeadLetters",
      "Role",
    ]);
    expect(byStack.StackResources?.[0]).toMatchObject({
      StackName: "Shop",
      StackId: expect.stringMatching(/^arn:aws:cloudformation:us-east-1:000000000000:stack\/Shop\//),
      Timestamp: STARTED_AT,
      ResourceStatus: "CREATE_COMPLETE",
    });
    expect(byPhysicalId.StackResources).toEqual(byStack.StackResources);
    expect(oneLogical.StackResources?.map((r) => r.PhysicalResourceId)).toEqual(["orders"]);
    expect(JSON.parse(detail.StackResourceDetail?.Metadata ?? "null")).toEqual({
      "aws:cdk:path": "Shop/Queue/Resource",
    });
    expect(unknownResource).toMatchObject({
      name: "ValidationError",
      message: "Resource Nope does not exist for stack Shop",
    });
    expect(unknownPhysical).toMatchObject({
      name: "ValidationError",
      message: "Stack for not-here does not exist",
    });
  });

  it("describes at most 100 resources, as CloudFormation does, while ListStackResources lists them all", async () => {
    // Prepare: a model of 130 resources.
    const { model: read } = await startEdge();
    const stackResources = Array.from({ length: 130 }, (_, i) => ({
      logicalId: `Topic${i}`,
      type: "AWS::SNS::Topic",
      physicalId: `arn:aws:sns:us-east-1:000000000000:topic-${i}`,
    }));
    const { cloudFormation } = await startEdge({ model: { ...read, stackResources } });

    // Act
    const described = await cloudFormation.send(new DescribeStackResourcesCommand({ StackName: "Shop" }));
    const listed = await cloudFormation.send(new ListStackResourcesCommand({ StackName: "Shop" }));

    // Assess
    expect(described.StackResources).toHaveLength(100);
    expect(listed.StackResourceSummaries).toHaveLength(130);
  });

  it("requires the stack name where CloudFormation does, in its words", async () => {
    // Prepare
    const { cloudFormation } = await startEdge();

    // Act
    const error = await rejection(
      cloudFormation.send(new ListStackResourcesCommand({} as ListStackResourcesCommandInput)),
    );

    // Assess
    expect(error).toMatchObject({
      name: "ValidationError",
      message:
        "1 validation error detected: Value null at 'stackName' failed to satisfy constraint: Member must not be null",
    });
  });
});

describe("GetTemplate", () => {
  it("returns the template file as it was when the pipeline started, byte for byte", async () => {
    // Prepare: a template written with CRLF line ends and characters XML escapes.
    const { model, cdkOutDir } = await startEdge();
    const templateFile = path.join(cdkOutDir, "Shop.template.json");
    const original = `${JSON.stringify(TEMPLATE, undefined, 1).replaceAll("\n", "\r\n")}\r\n`;
    await writeFile(templateFile, original);
    const edge = new EdgeServer({ routes: [] });
    edges.push(edge);
    const ownEndpoint = await edge.listen(0);
    edge.mountQuery(
      CLOUDFORMATION_API_VERSION,
      createCloudFormationService({ ...model, templateFile }, STARTED_AT),
    );
    const cloudFormation = new CloudFormationClient({
      endpoint: ownEndpoint,
      region: "us-east-1",
      credentials: { accessKeyId: "local", secretAccessKey: "local" },
    });
    clients.push(cloudFormation);
    // The app synthesized again while the pipeline runs.
    await writeFile(templateFile, JSON.stringify({ Resources: {} }));

    // Act
    const answer = await cloudFormation.send(new GetTemplateCommand({ StackName: "Shop" }));

    // Assess
    expect(answer.TemplateBody).toBe(original);
    expect(answer.StagesAvailable).toEqual(["Original", "Processed"]);
  });

  it("returns the template the model was read from, and refuses an unknown stack", async () => {
    // Prepare
    const { cloudFormation, cdkOutDir } = await startEdge();

    // Act
    const answer = await cloudFormation.send(new GetTemplateCommand({ StackName: "Shop" }));
    const unknown = await rejection(cloudFormation.send(new GetTemplateCommand({ StackName: "Other" })));

    // Assess
    expect(answer.TemplateBody).toBe(await readFile(path.join(cdkOutDir, "Shop.template.json"), "utf8"));
    expect(JSON.parse(answer.TemplateBody ?? "{}")).toEqual(TEMPLATE);
    expect(unknown).toMatchObject({ name: "ValidationError", message: "Stack with id Other does not exist" });
  });
});

describe("what the local pipeline does not serve", () => {
  it.each([
    [
      "CreateStack",
      (client: CloudFormationClient) =>
        client.send(new CreateStackCommand({ StackName: "Other", TemplateBody: "{}" })),
    ],
    [
      "UpdateStack",
      (client: CloudFormationClient) =>
        client.send(new UpdateStackCommand({ StackName: "Shop", TemplateBody: "{}" })),
    ],
    [
      "DeleteStack",
      (client: CloudFormationClient) => client.send(new DeleteStackCommand({ StackName: "Shop" })),
    ],
  ])("refuses %s with a 400 saying how to change the local stack", async (action, call) => {
    // Prepare
    const { cloudFormation } = await startEdge();

    // Act
    const error = await rejection(call(cloudFormation));

    // Assess
    expect(error.name).toBe("InvalidAction");
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect(error.message).toContain(
      `serves only CloudFormation's read calls for the running assembly's stack "Shop"`,
    );
    expect(error.message).toContain(`${action} would change it`);
    expect(error.message).toContain("edit the app, then restart the local pipeline (npm start");
  });

  it("names a read call it does not serve, and those it serves", async () => {
    // Prepare
    const { cloudFormation } = await startEdge();

    // Act
    const error = await rejection(cloudFormation.send(new DescribeStackEventsCommand({ StackName: "Shop" })));

    // Assess
    expect(error.name).toBe("InvalidAction");
    expect(error.message).toBe(
      `The local pipeline serves only CloudFormation's read calls for the running assembly's stack "Shop" (DescribeStacks, ListStacks, DescribeStackResources, DescribeStackResource, ListStackResources, GetTemplate); DescribeStackEvents is not one of them.`,
    );
  });
});

describe("the query protocol at the edge", () => {
  it("answers CloudFormation's XML documents: the result envelope, and errors as ErrorResponse with Type Sender", async () => {
    // Prepare
    const { endpoint } = await startEdge();

    // Act
    const ok = await postForm(endpoint, { Action: "ListStacks", Version: CLOUDFORMATION_API_VERSION });
    const failed = await postForm(endpoint, {
      Action: "DescribeStacks",
      Version: CLOUDFORMATION_API_VERSION,
      StackName: "Missing<&>",
    });

    // Assess
    expect(ok.status).toBe(200);
    expect(ok.contentType).toBe("text/xml");
    expect(ok.body).toMatch(
      /^<ListStacksResponse xmlns="https:\/\/cloudformation\.amazonaws\.com\/doc\/2010-05-15\/"><ListStacksResult><StackSummaries><member>.*<\/member><\/StackSummaries><\/ListStacksResult><ResponseMetadata><RequestId>([0-9a-f-]{36})<\/RequestId><\/ResponseMetadata><\/ListStacksResponse>$/,
    );
    expect(ok.body).toContain(`<RequestId>${ok.requestId}</RequestId>`);
    expect(failed.status).toBe(400);
    expect(failed.body).toBe(
      `<ErrorResponse xmlns="https://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id Missing&lt;&amp;&gt; does not exist</Message></Error><RequestId>${failed.requestId}</RequestId></ErrorResponse>`,
    );
  });

  it("names the API versions and JSON protocols it serves for another query-protocol API", async () => {
    // Prepare: SQS's legacy query protocol, as old SDKs send it.
    const { endpoint } = await startEdge();

    // Act
    const answer = await postForm(endpoint, { Action: "ListQueues", Version: "2012-11-05" });

    // Assess
    expect(answer.status).toBe(400);
    expect(answer.body).toContain("<Code>InvalidAction</Code>");
    expect(answer.body).toContain(
      "The local pipeline does not serve the query-protocol request Action=ListQueues with Version=2012-11-05. It serves, form-encoded: Version=2010-05-15 (CloudFormation)",
    );
  });

  it("keeps the JSON protocols on X-Amz-Target, even with a form content type", async () => {
    // Prepare
    const edge = new EdgeServer({
      routes: [
        {
          targetPrefix: "AWSEvents",
          contentType: "application/x-amz-json-1.1",
          service: async () => ({ EventBuses: [] }),
        },
      ],
    });
    edges.push(edge);
    const endpoint = await edge.listen(0);
    edge.mountQuery(CLOUDFORMATION_API_VERSION, async () => {
      throw new Error("the query route must not answer a request with X-Amz-Target");
    });

    // Act
    const answer = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": "AWSEvents.ListEventBuses" },
      body: "{}",
    });

    // Assess
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ EventBuses: [] });
  });
});

describe("escapeXml", () => {
  it("escapes markup, keeps CR as a reference and replaces what XML 1.0 cannot carry", () => {
    // Act
    const escaped = escapeXml(`<a href="x">&'</a>\r\n\t\u0001 \ud800 \udc00 😀 \uffff`);

    // Assess
    expect(escaped).toBe(
      "&lt;a href=&quot;x&quot;&gt;&amp;&apos;&lt;/a&gt;&#xD;\n\t\ufffd \ufffd \ufffd 😀 \ufffd",
    );
  });
});

describe("the AWS CLI", () => {
  const aws = spawnSync("aws", ["--version"], { encoding: "utf8" });
  const missing = aws.error === undefined ? undefined : `the AWS CLI is not installed (${aws.error.message})`;
  if (missing !== undefined) console.warn(`skipped the AWS CLI tests: ${missing}`);

  /** Runs `aws cloudformation ...` against `endpoint` with dummy credentials; its JSON output. */
  async function awsCloudFormation(endpoint: string, ...args: string[]): Promise<unknown> {
    const { AWS_PROFILE: _profile, AWS_ENDPOINT_URL: _endpoint, ...environment } = process.env;
    const { stdout, stderr } = await promisify(execFile)(
      "aws",
      ["cloudformation", ...args, "--endpoint-url", endpoint, "--region", "us-east-1", "--output", "json"],
      {
        encoding: "utf8",
        env: { ...environment, AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" },
      },
    );
    expect(stderr).toBe("");
    return JSON.parse(stdout);
  }

  it.skipIf(missing !== undefined)(
    "shows the stack's outputs with describe-stacks, escaped text intact",
    async () => {
      // Prepare
      const { endpoint } = await startEdge();

      // Act: asynchronously, since the edge answering it runs in this process.
      const described = (await awsCloudFormation(endpoint, "describe-stacks")) as {
        Stacks: {
          StackName: string;
          StackStatus: string;
          Outputs: { OutputKey: string; OutputValue: string }[];
        }[];
      };

      // Assess
      const [stack] = described.Stacks;
      expect(stack?.StackName).toBe("Shop");
      expect(stack?.StackStatus).toBe("CREATE_COMPLETE");
      const outputs = Object.fromEntries((stack?.Outputs ?? []).map((o) => [o.OutputKey, o.OutputValue]));
      expect(outputs).toEqual({
        BusName: "orders",
        QueueUrl: `${endpoint}/000000000000/Shop-Queue`,
        Awkward: "a & b < c > d \"e\" 'f'\r\nline two\ttab",
      });
    },
  );

  it.skipIf(missing !== undefined)("lists the stack's resources and an unknown stack's error", async () => {
    // Prepare
    const { endpoint } = await startEdge();

    // Act
    const listed = (await awsCloudFormation(endpoint, "list-stack-resources", "--stack-name", "Shop")) as {
      StackResourceSummaries: { LogicalResourceId: string; PhysicalResourceId: string }[];
    };
    const unknown = await awsCloudFormation(endpoint, "describe-stacks", "--stack-name", "Nope").catch(
      (error: { stderr?: string }) => error.stderr ?? "",
    );

    // Assess
    expect(listed.StackResourceSummaries.map((s) => s.LogicalResourceId)).toEqual([
      "Bus",
      "Queue",
      "DeadLetters",
      "Role",
    ]);
    expect(unknown).toContain(
      "An error occurred (ValidationError) when calling the DescribeStacks operation: Stack with id Nope does not exist",
    );
  });
});
