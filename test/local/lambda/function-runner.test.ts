import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { EdgeRequest } from "../../../lib/local/edge-server";
import { FunctionDefinitionError, FunctionRunnerClosedError } from "../../../lib/local/lambda/errors";
import {
  type FunctionLogEntry,
  FunctionRunner,
  type FunctionRunnerOptions,
  type InvocationResult,
  type InvocationSuccess,
} from "../../../lib/local/lambda/function-runner";
import { LOCAL_CREDENTIALS } from "../../../lib/local/lambda/lambda-environment";
import type { LocalFunctionDefinition } from "../../../lib/local/model";
import { bundleFixtures, type FixtureAssets, type FixtureName } from "./support/fixture-assets";
import { aFunctionDefinition } from "./support/function-definition";

const EDGE = "http://127.0.0.1:4566";

interface EchoResult {
  readonly event: unknown;
  readonly env: Record<string, string>;
  readonly context: Record<string, unknown> & { readonly remainingTimeInMillis: number };
  readonly threadId: number;
}

let assets: FixtureAssets;
const runners: FunctionRunner[] = [];

beforeAll(async () => {
  assets = await bundleFixtures(["echo", "throws", "misbehaves", "fails-at-init", "powertools"]);
});

afterEach(async () => {
  await Promise.all(runners.splice(0).map((runner) => runner.close()));
});

afterAll(async () => {
  await assets.remove();
});

function runnerFor(
  fixture: FixtureName,
  definition: Partial<LocalFunctionDefinition> = {},
  options: Partial<FunctionRunnerOptions> = {},
): FunctionRunner {
  const runner = new FunctionRunner({
    definition: aFunctionDefinition({ assetDir: assets.assetDir(fixture), ...definition }),
    endpointUrl: EDGE,
    ...options,
  });
  runners.push(runner);
  return runner;
}

function expectSuccess(result: InvocationResult): InvocationSuccess {
  if (!result.ok) throw new Error(`expected success, got ${result.errorType}: ${result.errorMessage}`);
  return result;
}

describe("FunctionRunner environment and context", () => {
  it("gives the handler the template environment, Lambda's reserved variables and the local edge", async () => {
    // Prepare
    const runner = runnerFor("echo", {
      name: "inventory-consumer",
      arn: "arn:aws:lambda:eu-central-1:123456789012:function:inventory-consumer",
      memorySize: 512,
      environment: { POWERTOOLS_SERVICE_NAME: "inventory", STATE_TABLE_NAME: "eventrail-inventory-state" },
    });

    // Act
    const result = expectSuccess(await runner.invoke({}));

    // Assess
    const { env } = result.result as EchoResult;
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: "inventory",
      STATE_TABLE_NAME: "eventrail-inventory-state",
      AWS_REGION: "eu-central-1",
      AWS_DEFAULT_REGION: "eu-central-1",
      AWS_EXECUTION_ENV: "AWS_Lambda_nodejs24.x",
      AWS_LAMBDA_FUNCTION_NAME: "inventory-consumer",
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: "512",
      AWS_LAMBDA_FUNCTION_VERSION: "$LATEST",
      AWS_LAMBDA_LOG_GROUP_NAME: "/aws/lambda/inventory-consumer",
      LAMBDA_TASK_ROOT: assets.assetDir("echo"),
      _HANDLER: "index.handler",
      AWS_ENDPOINT_URL: EDGE,
      POWERTOOLS_TRACE_ENABLED: "false",
      ...LOCAL_CREDENTIALS,
    });
    expect(env.AWS_LAMBDA_LOG_STREAM_NAME).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
  });

  it("does not pass the pipeline's own environment to the function", async () => {
    // Prepare
    const runner = runnerFor("echo");

    // Act
    const result = expectSuccess(await runner.invoke({}));

    // Assess
    const { env } = result.result as EchoResult;
    expect(process.env.PATH).toBeDefined();
    expect(env.PATH).toBeUndefined();
  });

  it("lets extraEnvironment override the template and the local overrides, but not the endpoint", async () => {
    // Prepare
    const runner = runnerFor(
      "echo",
      { environment: { LOG_LEVEL: "INFO" } },
      {
        extraEnvironment: {
          LOG_LEVEL: "DEBUG",
          POWERTOOLS_TRACE_ENABLED: "true",
          AWS_ENDPOINT_URL: "https://sqs.eu-west-1.amazonaws.com",
        },
      },
    );

    // Act
    const result = expectSuccess(await runner.invoke({}));

    // Assess
    const { env } = result.result as EchoResult;
    expect(env).toMatchObject({
      LOG_LEVEL: "DEBUG",
      POWERTOOLS_TRACE_ENABLED: "true",
      AWS_ENDPOINT_URL: EDGE,
    });
  });

  it("passes a Lambda context whose request id is the invocation's and whose clock counts down the timeout", async () => {
    // Prepare
    const runner = runnerFor("echo", { name: "payments-consumer", timeoutSeconds: 30, memorySize: 1024 });

    // Act
    const result = expectSuccess(await runner.invoke({}));

    // Assess
    const { context, env } = result.result as EchoResult;
    expect(context).toMatchObject({
      awsRequestId: result.requestId,
      functionName: "payments-consumer",
      functionVersion: "$LATEST",
      invokedFunctionArn: "arn:aws:lambda:eu-west-1:000000000000:function:payments-consumer",
      memoryLimitInMB: "1024",
      logGroupName: "/aws/lambda/payments-consumer",
      logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
    });
    expect(context.remainingTimeInMillis).toBeGreaterThan(0);
    expect(context.remainingTimeInMillis).toBeLessThanOrEqual(30_000);
  });

  it("hands the handler the event after a JSON round trip, as Lambda does", async () => {
    // Prepare
    const runner = runnerFor("echo");

    // Act
    const result = expectSuccess(await runner.invoke({ id: 7, dropped: undefined, at: new Date(0) }));

    // Assess
    expect((result.result as EchoResult).event).toEqual({ id: 7, at: "1970-01-01T00:00:00.000Z" });
  });
});

describe("FunctionRunner workers", () => {
  it("reports a cold start on the first invocation only, then reuses the warm worker", async () => {
    // Prepare
    const runner = runnerFor("misbehaves");

    // Act
    const first = expectSuccess(await runner.invoke({ mode: "ok" }));
    const second = expectSuccess(await runner.invoke({ mode: "ok" }));

    // Assess
    expect(first.initDurationMs).toBeGreaterThan(0);
    expect(second.initDurationMs).toBeUndefined();
    expect(second.result).toEqual(first.result);
    expect(runner.workerCount).toBe(1);
  });

  it("starts prewarmed workers ahead of traffic, so the first invocation is warm", async () => {
    // Prepare
    const runner = runnerFor("misbehaves");

    // Act
    const warm = await runner.prewarm(2);
    const result = expectSuccess(await runner.invoke({ mode: "ok" }));

    // Assess
    expect(warm).toBe(2);
    expect(result.initDurationMs).toBeUndefined();
  });

  it("runs at most maxConcurrency workers, queueing the other invocations", async () => {
    // Prepare
    const runner = runnerFor("misbehaves", {}, { maxConcurrency: 2 });

    // Act
    const results = await Promise.all(Array.from({ length: 6 }, () => runner.invoke({ mode: "ok" })));

    // Assess
    const threads = new Set(
      results.map((result) => (expectSuccess(result).result as { threadId: number }).threadId),
    );
    expect(threads.size).toBe(2);
    expect(runner.workerCount).toBe(2);
  });

  it("hands the function's stdout and stderr lines to the log sink, tagged with the function and the invocation", async () => {
    // Prepare
    const lines: FunctionLogEntry[] = [];
    const runner = runnerFor("echo", { name: "audit-consumer" }, { onLog: (entry) => lines.push(entry) });

    // Act
    const result = await runner.invoke({});

    // Assess
    expect(lines).toEqual([
      { functionName: "audit-consumer", stream: "stdout", message: "echo module loaded" },
      {
        functionName: "audit-consumer",
        stream: "stdout",
        requestId: result.requestId,
        message: `handling ${result.requestId}`,
      },
      {
        functionName: "audit-consumer",
        stream: "stderr",
        requestId: result.requestId,
        message: "a line on stderr",
      },
    ]);
  });
});

describe("FunctionRunner failures", () => {
  it("reports a thrown Error by its name and message, with its stack", async () => {
    // Prepare
    const runner = runnerFor("throws");

    // Act
    const result = await runner.invoke({});

    // Assess
    expect(result).toMatchObject({
      ok: false,
      errorType: "PaymentDeclinedError",
      errorMessage: "card declined",
    });
    expect(result.ok ? [] : result.trace).toContainEqual(expect.stringContaining("PaymentDeclinedError"));
  });

  it("reports a thrown value that is not an Error by its type", async () => {
    // Prepare
    const runner = runnerFor("throws");

    // Act
    const result = await runner.invoke({ throwString: true });

    // Assess
    expect(result).toMatchObject({
      ok: false,
      errorType: "string",
      errorMessage: "declined without an Error",
    });
  });

  it("keeps the worker after a handler error", async () => {
    // Prepare
    const runner = runnerFor("throws");
    await runner.invoke({});

    // Act
    const second = await runner.invoke({});

    // Assess
    expect(second.initDurationMs).toBeUndefined();
    expect(runner.workerCount).toBe(1);
  });

  describe.each(["hang", "spin"] as const)("an invocation that runs past the timeout (%s)", (mode) => {
    it("fails as Lambda reports a timeout, and the next invocation runs on a new worker", async () => {
      // Prepare
      const runner = runnerFor("misbehaves", { timeoutSeconds: 0.2 });
      const before = expectSuccess(await runner.invoke({ mode: "ok" }));

      // Act
      const timedOut = await runner.invoke({ mode });
      const after = await runner.invoke({ mode: "ok" });

      // Assess
      expect(timedOut).toMatchObject({
        ok: false,
        errorType: "Sandbox.Timedout",
        errorMessage: "Task timed out after 0.20 seconds",
      });
      const recovered = expectSuccess(after);
      expect(recovered.initDurationMs).toBeDefined();
      expect(recovered.result).not.toEqual(before.result);
      expect(runner.workerCount).toBe(1);
    });
  });

  it("divides the timeout by the time scale and says so", async () => {
    // Prepare
    const runner = runnerFor("misbehaves", { timeoutSeconds: 30 }, { timeScale: 100 });

    // Act
    const result = await runner.invoke({ mode: "hang" });

    // Assess
    expect(result).toMatchObject({
      ok: false,
      errorType: "Sandbox.Timedout",
      errorMessage: "Task timed out after 30.00 seconds (scaled: 0.30 seconds of wall time)",
    });
  });

  it.each([
    ["reject-unhandled", "Runtime.UnhandledPromiseRejection", "RangeError: rejected, never handled"],
    ["exit", "Runtime.ExitError", "Runtime exited with error: exit status 3"],
    [
      "exhaust-memory",
      "Runtime.OutOfMemory",
      "Runtime exited: the function used more than its 128 MB (memorySize)",
    ],
  ] as const)(
    "fails the invocation when the runtime dies (%s) and replaces the worker",
    async (mode, errorType, errorMessage) => {
      // Prepare
      const runner = runnerFor("misbehaves", { memorySize: 128 });

      // Act
      const died = await runner.invoke({ mode });
      const after = await runner.invoke({ mode: "ok" });

      // Assess
      expect(died).toMatchObject({ ok: false, errorType, errorMessage });
      expect(expectSuccess(after).initDurationMs).toBeDefined();
    },
  );

  it("reports a module that fails to load as the invocation's error, and loads it again on the next invocation", async () => {
    // Prepare
    const runner = runnerFor("fails-at-init");

    // Act
    const first = await runner.invoke({});
    const second = await runner.invoke({});

    // Assess
    for (const result of [first, second]) {
      expect(result).toMatchObject({
        ok: false,
        errorType: "MissingSettingError",
        errorMessage: "REQUIRED_SETTING is not set",
        durationMs: 0,
      });
      expect(result.initDurationMs).toBeGreaterThan(0);
    }
    expect(runner.workerCount).toBe(0);
  });

  it("runs a module whose cold start needs a variable once extraEnvironment provides it", async () => {
    // Prepare
    const runner = runnerFor("fails-at-init", {}, { extraEnvironment: { REQUIRED_SETTING: "yes" } });

    // Act
    const result = await runner.invoke({});

    // Assess
    expect(result).toMatchObject({ ok: true, result: "configured with yes" });
  });

  it.each([
    ["index.missing", "Runtime.HandlerNotFound", "index.missing is undefined or not exported"],
    ["handlers/index.handler", "Runtime.ImportModuleError", "Error: Cannot find module 'handlers/index'"],
  ])("reports handler %s, which the asset lacks, as %s", async (handler, errorType, message) => {
    // Prepare
    const runner = runnerFor("echo", { handler });

    // Act
    const result = await runner.invoke({});

    // Assess
    expect(result).toMatchObject({ ok: false, errorType });
    expect(result.ok ? "" : result.errorMessage).toContain(message);
  });
});

describe("FunctionRunner lifecycle and settings", () => {
  it("lets running invocations finish on close, then refuses new ones", async () => {
    // Prepare
    const runner = runnerFor("echo");
    const running = runner.invoke({});

    // Act
    await runner.close();

    // Assess
    expect((await running).ok).toBe(true);
    await expect(runner.invoke({})).rejects.toBeInstanceOf(FunctionRunnerClosedError);
    expect(runner.workerCount).toBe(0);
  });

  it.each([
    [{ timeoutSeconds: 0 }, "timeoutSeconds must be above 0 and at most 900, got 0"],
    [{ timeoutSeconds: 901 }, "timeoutSeconds must be above 0 and at most 900, got 901"],
    [{ memorySize: 64 }, "memorySize must be from 128 to 10240 MB, got 64"],
    [{ handler: "index" }, 'handler must be "<file>.<export>" such as "index.handler", got "index"'],
    [
      { handler: "src/.handler" },
      'handler must be "<file>.<export>" such as "index.handler", got "src/.handler"',
    ],
    [{ arn: "arn:aws:sqs:eu-west-1:000000000000:orders" }, "arn must be a Lambda function ARN"],
  ])("rejects definition %j", (override, message) => {
    // Prepare
    const definition = aFunctionDefinition({ assetDir: "/nowhere", ...override });

    // Act
    const create = () => new FunctionRunner({ definition, endpointUrl: EDGE });

    // Assess
    expect(create).toThrow(FunctionDefinitionError);
    expect(create).toThrow(message);
  });

  it.each([
    [{ timeScale: 0 }, "timeScale must be a positive number, got 0"],
    [{ maxConcurrency: 0 }, "maxConcurrency must be a positive integer, got 0"],
  ])("rejects option %j", (override, message) => {
    // Prepare
    const definition = aFunctionDefinition({ assetDir: "/nowhere" });

    // Act
    const create = () => new FunctionRunner({ definition, endpointUrl: EDGE, ...override });

    // Assess
    expect(create).toThrow(message);
  });
});

describe("FunctionRunner with a Powertools consumer", () => {
  let edge: Server;
  let edgeUrl: string;
  const requests: { readonly headers: IncomingHttpHeaders; readonly body: string }[] = [];

  beforeAll(async () => {
    // Stands in for the local edge: answers SQS GetQueueUrl over the AWS JSON protocol.
    edge = createServer((request, response) => {
      let body = "";
      request.on("data", (chunk: Buffer) => {
        body += chunk.toString();
      });
      request.on("end", () => {
        requests.push({ headers: request.headers, body });
        response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
        response.end(JSON.stringify({ QueueUrl: "http://127.0.0.1/000000000000/orders" }));
      });
    });
    await new Promise<void>((resolve) => edge.listen(0, "127.0.0.1", resolve));
    edgeUrl = `http://127.0.0.1:${(edge.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => edge.close(() => resolve()));
  });

  it("runs with tracing off and sends its AWS SDK calls to the edge with the local credentials", async () => {
    // Prepare
    const lines: FunctionLogEntry[] = [];
    const runner = new FunctionRunner({
      definition: aFunctionDefinition({ assetDir: assets.assetDir("powertools") }),
      endpointUrl: edgeUrl,
      onLog: (entry) => lines.push(entry),
    });
    runners.push(runner);

    // Act
    const result = await runner.invoke({});

    // Assess
    expect(result).toMatchObject({
      ok: true,
      result: { queueUrl: "http://127.0.0.1/000000000000/orders", tracingEnabled: false },
    });
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers["x-amz-target"]).toBe("AmazonSQS.GetQueueUrl");
    expect(requests[0]?.headers.authorization).toContain(
      `Credential=${LOCAL_CREDENTIALS.AWS_ACCESS_KEY_ID}/`,
    );
    // Powertools writes JSON to stdout; stderr may carry Node warnings (e.g. the SDK's on Node 20).
    const logged = lines
      .filter((line) => line.stream === "stdout")
      .map((line) => JSON.parse(line.message) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        message: "asking the edge for a queue URL",
        function_request_id: result.requestId,
      }),
    );
    expect(logged).toContainEqual(expect.objectContaining({ queueLookups: 1 }));
  });
});

describe("FunctionRunner with the edge in-process", () => {
  it("answers the function's AWS SDK calls through edgeDispatch, with no connection to the endpoint", async () => {
    // Prepare: nothing listens on the endpoint, so only the in-process path can answer.
    const calls: EdgeRequest[] = [];
    const runner = new FunctionRunner({
      definition: aFunctionDefinition({ assetDir: assets.assetDir("powertools") }),
      endpointUrl: "http://127.0.0.1:9",
      edgeDispatch: async (request) => {
        calls.push(request);
        return {
          status: 200,
          headers: { "content-type": "application/x-amz-json-1.0" },
          body: JSON.stringify({ QueueUrl: "http://127.0.0.1:9/000000000000/orders" }),
        };
      },
    });
    runners.push(runner);

    // Act
    const result = await runner.invoke({});

    // Assess
    expect(result).toMatchObject({
      ok: true,
      result: { queueUrl: "http://127.0.0.1:9/000000000000/orders" },
    });
    expect(calls).toEqual([
      { target: "AmazonSQS.GetQueueUrl", body: JSON.stringify({ QueueName: "orders" }) },
    ]);
  });

  it("gives the SDK an error answer as the AWS error it names", async () => {
    // Prepare
    const runner = new FunctionRunner({
      definition: aFunctionDefinition({ assetDir: assets.assetDir("powertools") }),
      endpointUrl: "http://127.0.0.1:9",
      edgeDispatch: async () => ({
        status: 400,
        headers: {
          "content-type": "application/x-amz-json-1.0",
          "x-amzn-errortype": "QueueDoesNotExist",
          "x-amzn-query-error": "AWS.SimpleQueueService.NonExistentQueue;Sender",
        },
        body: JSON.stringify({ __type: "QueueDoesNotExist", message: "The specified queue does not exist." }),
      }),
    });
    runners.push(runner);

    // Act
    const result = await runner.invoke({});

    // Assess
    expect(result).toMatchObject({
      ok: false,
      errorType: "QueueDoesNotExist",
      errorMessage: "The specified queue does not exist.",
    });
  });
});
