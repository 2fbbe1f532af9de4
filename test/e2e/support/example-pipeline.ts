import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { catalog, type DataOf } from "../../../lib/catalog";
import { seedExampleState } from "../../../lib/local/example-seed";
import { LocalPipeline } from "../../../lib/local/local-pipeline";
import type { PipelineObserver } from "../../../lib/local/pipeline-observer";
import { stackResourcesFromOutputs } from "../../../lib/ops/stack-resources";
import type { SubscriptionOutput } from "../../../lib/stack-outputs";
import { synthesizeApp } from "../../support/example-app";

/** The example app running locally, with what end-to-end tests drive it through. */
export interface ExamplePipeline {
  readonly pipeline: LocalPipeline;
  /** The synthesized assembly it runs. */
  readonly cdkOutDir: string;
  readonly stateDir: string;
  /** The consumers' own log lines, as they arrive. */
  readonly functionLogs: string[];
  /** The subscription called `name`, from the stack outputs; throws for an unknown name. */
  subscription(name: string): SubscriptionOutput;
  readonly clients: {
    readonly eventBridge: EventBridgeClient;
    readonly sqs: SQSClient;
    readonly dynamoDb: DynamoDBClient;
  };
}

/**
 * Synthesizes the example app, runs it with the local pipeline on a free port and a fresh state
 * folder, seeds the example stock, and points AWS SDK clients at it.
 */
export async function startExamplePipeline(
  timeScale: number,
  options: { readonly observer?: PipelineObserver } = {},
): Promise<ExamplePipeline> {
  const { outdir } = synthesizeApp();
  const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-e2e-"));
  const functionLogs: string[] = [];
  const pipeline = await LocalPipeline.start({
    cdkOutDir: outdir,
    stateDir,
    port: 0,
    timeScale,
    ...(options.observer === undefined ? {} : { observer: options.observer }),
    log: (kind, line) => {
      if (kind === "function") functionLogs.push(line);
    },
  });
  await seedExampleState(pipeline);
  const resources = stackResourcesFromOutputs(
    pipeline.model.stackName,
    pipeline.model.outputs,
    "the local assembly",
  );
  const config = {
    endpoint: pipeline.endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "local", secretAccessKey: "local" },
  };
  return {
    pipeline,
    cdkOutDir: outdir,
    stateDir,
    functionLogs,
    subscription(name) {
      const found = resources.subscriptions.find((s) => s.name === name);
      if (!found) throw new Error(`no subscription ${name} in the stack outputs`);
      return found;
    },
    clients: {
      eventBridge: new EventBridgeClient(config),
      sqs: new SQSClient(config),
      dynamoDb: new DynamoDBClient(config),
    },
  };
}

/** OrderPlaced data for one line of `quantity` × `sku`, placed now. */
export function orderData(orderId: string, sku = "ABC", quantity = 1): DataOf<"OrderPlaced"> {
  return {
    ...catalog.OrderPlaced.example,
    orderId,
    items: [{ sku, quantity }],
    placedAt: new Date().toISOString(),
  };
}
