import type { ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { PipesClient, StartPipeCommand, StopPipeCommand } from "@aws-sdk/client-pipes";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadLocalModel } from "../../lib/local/assembly";
import { type OutboxOutput, type SubscriptionOutput, stackOutputs } from "../../lib/stack-outputs";
import { synthesizeApp } from "../support/example-app";
import { killHard, type LocalProcess, startLocalProcess } from "./support/local-process";

/**
 * `eventrail local` killed with SIGKILL right after the outbox transactions committed and before
 * the pipe delivered them: after the restart every event is delivered and its effect happens once.
 */

const credentials = { accessKeyId: "local", secretAccessKey: "local" };
/**
 * Messages a consumer had received when the process died come back after their visibility timeout
 * (3 minutes here), as in SQS: the time scale shortens it to 6 s.
 */
const TIME_SCALE = 30;
let cdkOutDir: string;
let running: ChildProcess | undefined;

async function startLocal(stateDir: string): Promise<LocalProcess> {
  const started = await startLocalProcess({ cdkOutDir, stateDir, timeScale: TIME_SCALE, cli: "built" });
  running = started.child;
  return started;
}

/** The stack's outputs as the local pipeline at `endpoint` resolves them. */
async function outputsAt(endpoint: string) {
  const model = await loadLocalModel({ cdkOutDir, endpoint });
  const subscriptions = JSON.parse(model.outputs[stackOutputs.subscriptions] ?? "[]") as SubscriptionOutput[];
  const stateTable = (name: string) => subscriptions.find((s) => s.name === name)?.stateTableName as string;
  return {
    outbox: JSON.parse(model.outputs[stackOutputs.outbox] ?? "{}") as OutboxOutput,
    checkout: model.outputs[stackOutputs.checkoutFunctionName] as string,
    inventoryTable: stateTable("inventory"),
    paymentsTable: stateTable("payments"),
  };
}

async function checkout(
  endpoint: string,
  functionName: string,
  orderId: string,
  sku: string,
  quantity: number,
) {
  const response = await fetch(`${endpoint}/2015-03-31/functions/${functionName}/invocations`, {
    method: "POST",
    body: JSON.stringify({
      orderId,
      customerId: "CUST-KILL",
      items: [{ sku, quantity }],
      total: { amount: 1_000, currency: "EUR" },
    }),
  });
  const body = (await response.json()) as { status?: string };
  if (body.status !== "placed") throw new Error(`checkout ${orderId} answered ${JSON.stringify(body)}`);
}

async function item(client: DynamoDBClient, tableName: string, pk: string, sk: string) {
  return (
    await client.send(
      new GetItemCommand({
        TableName: tableName,
        Key: { pk: { S: pk }, sk: { S: sk } },
        ConsistentRead: true,
      }),
    )
  ).Item;
}

beforeAll(() => {
  cdkOutDir = synthesizeApp().outdir;
});

afterEach(async () => {
  if (running && running.exitCode === null) await killHard(running);
});

describe("the outbox across a kill -9", () => {
  it("delivers an event committed while the pipe was stopped, once, after the restart", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-outbox-kill-"));
    const first = await startLocal(stateDir);
    const names = await outputsAt(first.endpoint);
    // Stopped, so the pipe cannot deliver the event before the kill.
    await new PipesClient({ endpoint: first.endpoint, region: "us-east-1", credentials }).send(
      new StopPipeCommand({ Name: names.outbox.pipeName }),
    );
    await checkout(first.endpoint, names.checkout, "ORD-KILL-1", "GHI", 2);
    await killHard(first.child);

    const second = await startLocal(stateDir);
    const dynamoDb = new DynamoDBClient({ endpoint: second.endpoint, region: "us-east-1", credentials });
    // Nothing was delivered before the kill, nor since: a stopped pipe stays stopped across a restart.
    expect(await item(dynamoDb, names.inventoryTable, "ORDER#ORD-KILL-1", "RESERVATION")).toBeUndefined();
    await new PipesClient({ endpoint: second.endpoint, region: "us-east-1", credentials }).send(
      new StartPipeCommand({ Name: names.outbox.pipeName }),
    );
    await vi.waitFor(
      async () =>
        expect((await item(dynamoDb, names.paymentsTable, "PAYMENT#ORD-KILL-1", "PAYMENT"))?.status).toEqual({
          S: "processed",
        }),
      { timeout: 30_000, interval: 250 },
    );
    expect((await item(dynamoDb, names.inventoryTable, "SKU#GHI", "STOCK"))?.available).toEqual({ N: "98" });
  });

  it("delivers every event of a burst killed right after its commits, each effect once", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-outbox-burst-"));
    const first = await startLocal(stateDir);
    const names = await outputsAt(first.endpoint);
    const orders = Array.from({ length: 20 }, (_, n) => `ORD-BURST-${n}`);
    await Promise.all(orders.map((orderId) => checkout(first.endpoint, names.checkout, orderId, "DEF", 1)));
    await killHard(first.child);

    const second = await startLocal(stateDir);
    const dynamoDb = new DynamoDBClient({ endpoint: second.endpoint, region: "us-east-1", credentials });
    await vi.waitFor(
      async () => {
        for (const orderId of orders) {
          expect(
            (await item(dynamoDb, names.paymentsTable, `PAYMENT#${orderId}`, "PAYMENT"))?.status,
          ).toEqual({ S: "processed" });
        }
      },
      { timeout: 60_000, interval: 500 },
    );
    // 250 seeded, 20 orders of one unit: reserved once each, whatever the pipe delivered twice.
    expect((await item(dynamoDb, names.inventoryTable, "SKU#DEF", "STOCK"))?.available).toEqual({ N: "230" });
  });
});
