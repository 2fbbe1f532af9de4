import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { SendMessageCommand, SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { catalog } from "../../lib/catalog";
import { exampleEvent } from "../../lib/catalog/json-schema";
import { type SubscriptionOutput, stackOutputs } from "../../lib/stack-outputs";
import { builtCli } from "../support/build-cli";
import { projectRoot, synthesizeApp } from "../support/example-app";

/**
 * `eventrail local` as a developer runs it, killed with SIGKILL and started again: a message SQS
 * accepted before the kill is delivered to its consumer after the restart.
 */

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
let cdkOutDir: string;
let running: ChildProcess | undefined;

/** Starts `eventrail local` and resolves with its endpoint once it prints the readiness line. */
async function startLocal(stateDir: string): Promise<{ child: ChildProcess; endpoint: string }> {
  const child = spawn(
    process.execPath,
    [
      builtCli,
      "local",
      "--port",
      "0",
      "--no-synth",
      "--quiet",
      "--cdk-out",
      cdkOutDir,
      "--state-dir",
      stateDir,
      "--time-scale",
      "10",
    ],
    { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  running = child;
  let output = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) =>
      reject(new Error(`eventrail local exited with ${code} before it was ready:\n${output}`)),
    );
  });
  return { child, endpoint };
}

async function killHard(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
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
