import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { systemClock } from "../../../lib/local/clock";
import { FunctionRunner } from "../../../lib/local/lambda/function-runner";
import { type BatchInvocationReport, SqsEventSourcePoller } from "../../../lib/local/lambda/sqs-event-source";
import { bundleFixtures, type FixtureAssets, type FixtureName } from "./support/fixture-assets";
import { aFunctionDefinition } from "./support/function-definition";
import { InMemoryEventSourceQueue } from "./support/in-memory-event-source-queue";

const QUEUE_ARN = "arn:aws:sqs:eu-west-1:000000000000:orders-queue";

let assets: FixtureAssets;
const stops: (() => Promise<void>)[] = [];

beforeAll(async () => {
  assets = await bundleFixtures(["batch-failures", "scripted-response", "misbehaves"]);
});

afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

afterAll(async () => {
  await assets.remove();
});

/** A poller feeding a real FunctionRunner from an in-memory queue, started. */
function pipeline(fixture: FixtureName, timeoutSeconds = 5) {
  const runner = new FunctionRunner({
    definition: aFunctionDefinition({
      name: "orders-consumer",
      assetDir: assets.assetDir(fixture),
      timeoutSeconds,
    }),
    endpointUrl: "http://127.0.0.1:4566",
  });
  const queue = new InMemoryEventSourceQueue(QUEUE_ARN, systemClock);
  const reports: BatchInvocationReport[] = [];
  const poller = new SqsEventSourcePoller({
    mapping: {
      logicalId: "OrdersMapping",
      functionName: "orders-consumer",
      queueArn: QUEUE_ARN,
      batchSize: 10,
      maxBatchingWindowSeconds: 0,
      reportBatchItemFailures: true,
      enabled: true,
    },
    queue,
    invoker: runner,
    onInvocation: (report) => reports.push(report),
  });
  poller.start();
  stops.push(async () => {
    await poller.stop();
    await runner.close();
  });
  return { queue, reports };
}

describe("SqsEventSourcePoller with a FunctionRunner", () => {
  it("deletes the records the handler did not report in batchItemFailures", async () => {
    // Prepare
    const { queue, reports } = pipeline("batch-failures");

    // Act
    const [ok1, failing, ok2] = queue.send("ok", "please fail", "ok too");
    await vi.waitFor(() => expect(reports).toHaveLength(1));

    // Assess
    expect(queue.deletedIds).toEqual([ok1, ok2]);
    expect(queue.inFlightIds).toEqual([failing]);
    expect(reports[0]?.outcome).toEqual({ kind: "partially-failed", failedMessageIds: [failing] });
  });

  it("deletes nothing when the handler returns a malformed batch response", async () => {
    // Prepare
    const { queue, reports } = pipeline("scripted-response");

    // Act
    const ids = queue.send(
      JSON.stringify({ batchItemFailures: [{ itemIdentifier: "not-a-message-of-the-batch" }] }),
    );
    await vi.waitFor(() => expect(reports).toHaveLength(1));

    // Assess
    expect(queue.deletedIds).toEqual([]);
    expect(queue.inFlightIds).toEqual(ids);
    expect(reports[0]?.outcome.kind).toBe("invalid-response");
  });

  it("deletes nothing when the invocation times out", async () => {
    // Prepare
    const { queue, reports } = pipeline("misbehaves", 0.2);

    // Act
    const ids = queue.send(JSON.stringify({ mode: "hang" }));
    await vi.waitFor(() => expect(reports).toHaveLength(1));

    // Assess
    expect(queue.deletedIds).toEqual([]);
    expect(queue.inFlightIds).toEqual(ids);
    expect(reports[0]?.outcome).toMatchObject({ kind: "function-error", errorType: "Sandbox.Timedout" });
  });
});
