import type { ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { catalog } from "../../lib/catalog";
import { exampleEvent } from "../../lib/catalog/json-schema";
import { type SubscriptionOutput, stackOutputs } from "../../lib/stack-outputs";
import { synthesizeApp } from "../support/example-app";
import { killHard, type LocalProcess, startLocalProcess } from "./support/local-process";

/**
 * `eventrail local` as a developer runs it, killed with SIGKILL and started again: a message SQS
 * accepted before the kill is delivered to its consumer after the restart.
 */

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
let cdkOutDir: string;
let running: ChildProcess | undefined;

async function startLocal(stateDir: string): Promise<LocalProcess> {
  const started = await startLocalProcess({ cdkOutDir, stateDir, timeScale: 10, cli: "built" });
  running = started.child;
  return started;
}

beforeAll(() => {
  cdkOutDir = synthesizeApp().outdir;
});

afterEach(async () => {
  if (running && running.exitCode === null) await killHard(running);
});

describe("restarting the local pipeline", () => {
  it("delivers a message accepted before a kill -9 once it runs again", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-restart-"));
    const first = await startLocal(stateDir);
    const sqs = new SQSClient({ endpoint: first.endpoint, region: "us-east-1", credentials });
    const { ListQueuesCommand } = await import("@aws-sdk/client-sqs");
    const queues = (await sqs.send(new ListQueuesCommand({}))).QueueUrls ?? [];
    const inventoryQueue = queues.find((url) => /SubscriptioninventoryQueue/.test(url));
    const event = exampleEvent(catalog.OrderPlaced) as { detail: { data: { orderId: string } } };
    event.detail.data.orderId = "ORD-RESTART-1";

    // Delayed, so the consumer cannot take it before the kill: 30 s at time scale 10 is 3 s.
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: inventoryQueue,
        MessageBody: JSON.stringify(event),
        DelaySeconds: 30,
      }),
    );
    await killHard(first.child);
    const second = await startLocal(stateDir);

    const dynamoDb = new DynamoDBClient({ endpoint: second.endpoint, region: "us-east-1", credentials });
    const { loadLocalModel } = await import("../../lib/local/assembly");
    const model = await loadLocalModel({ cdkOutDir, endpoint: second.endpoint });
    const inventory = (
      JSON.parse(model.outputs[stackOutputs.subscriptions] ?? "[]") as SubscriptionOutput[]
    ).find((s) => s.name === "inventory");
    await vi.waitFor(
      async () => {
        const reservation = await dynamoDb.send(
          new GetItemCommand({
            TableName: inventory?.stateTableName,
            Key: { pk: { S: "ORDER#ORD-RESTART-1" }, sk: { S: "RESERVATION" } },
          }),
        );
        expect(reservation.Item).toBeDefined();
      },
      { timeout: 30_000, interval: 250 },
    );
  });
});
