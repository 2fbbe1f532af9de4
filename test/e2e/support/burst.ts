import { readdir, readFile } from "node:fs/promises";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetQueueAttributesCommand, ReceiveMessageCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { stockSeed } from "../../../lambdas/inventory/seed";
import type { LocalPipelineModel } from "../../../lib/local/model";
import { type PutEventsEntryInput, prepareRequest } from "../../../lib/producer";
import { type SubscriptionOutput, stackOutputs } from "../../../lib/stack-outputs";

/**
 * What the burst tests share: a burst of realistic orders for the seeded stock, the resources of the
 * example app as the local pipeline runs them, and the readings the tests compare (audit files,
 * queue depths, state tables, the pipeline's invocation log lines).
 */

/** One order line. */
export interface OrderLine {
  readonly sku: string;
  readonly quantity: number;
}

/** One order of a burst, with the PutEvents entry the publisher's envelope made for it. */
export interface BurstOrder {
  readonly orderId: string;
  /** `metadata.eventId` of its OrderPlaced, assigned once by the envelope. */
  readonly eventId: string;
  readonly customerId: string;
  readonly items: readonly OrderLine[];
  /** The order's total, in minor units (EUR). */
  readonly amount: number;
  /** Why the example payment gateway declines it once its stock is reserved, if it does. */
  readonly declinedFor?: "card-declined" | "insufficient-funds" | "limit-exceeded";
  /** The entry, made once: every attempt to publish this order sends exactly this. */
  readonly entry: PutEventsEntryInput;
}

/** A SKU the seed does not know: inventory answers `unknown-sku`. */
export const UNKNOWN_SKU = "DISCONTINUED-9";

/** The example gateway's limit per payment (lambdas/payments/payment.ts): 5,000.00. */
const PAYMENT_LIMIT_MINOR_UNITS = 500_000;

/**
 * The lines of order `i`, by `i % 20` (100 orders each in a burst of 2,000):
 * - 0, 10: GHI ×1 (100 in stock, 300 GHI orders with 19 below: exactly 100 are reserved);
 * - 1, 11: DEF ×2 (250 in stock: exactly 125 of the 200 are reserved);
 * - 2: SCARCE ×1 (1 in stock: exactly 1 is reserved); 3: SOLD-OUT ×1 (none); 4: an unknown SKU;
 * - 19: ABC ×1 + GHI ×1, all or nothing with the GHI orders;
 * - 18: ABC ×1 + XYZ ×1; other odd: ABC ×1; other even: XYZ ×1 (ABC and XYZ never run short).
 */
function linesOf(i: number): OrderLine[] {
  const r = i % 20;
  if (r === 0 || r === 10) return [{ sku: "GHI", quantity: 1 }];
  if (r === 1 || r === 11) return [{ sku: "DEF", quantity: 2 }];
  if (r === 2) return [{ sku: "SCARCE", quantity: 1 }];
  if (r === 3) return [{ sku: "SOLD-OUT", quantity: 1 }];
  if (r === 4) return [{ sku: UNKNOWN_SKU, quantity: 1 }];
  if (r === 18)
    return [
      { sku: "ABC", quantity: 1 },
      { sku: "XYZ", quantity: 1 },
    ];
  if (r === 19)
    return [
      { sku: "ABC", quantity: 1 },
      { sku: "GHI", quantity: 1 },
    ];
  return [{ sku: r % 2 === 1 ? "ABC" : "XYZ", quantity: 1 }];
}

/**
 * `count` OrderPlaced for the seeded stock, each made into its PutEvents entry once by the
 * publisher's envelope (so its eventId is fixed): most are reserved and charged, some are declined
 * by the gateway (customers ending in -DECLINE or -NOFUNDS, totals over its limit), some find no
 * stock or an unknown SKU.
 */
export function burstOrders(count: number, eventBusName: string): BurstOrder[] {
  const placedAt = new Date().toISOString();
  return Array.from({ length: count }, (_, i) => {
    const orderId = `ORD-BURST-${String(i).padStart(5, "0")}`;
    const decline = i % 7 === 3 ? "DECLINE" : i % 13 === 5 ? "NOFUNDS" : undefined;
    const customerId = decline === undefined ? `CUST-${i}` : `CUST-${i}-${decline}`;
    const amount = i % 17 === 8 ? 600_000 : 1_000 + (i % 50) * 100;
    const items = linesOf(i);
    const prepared = prepareRequest(
      {
        detailType: "OrderPlaced",
        data: { orderId, customerId, items, total: { amount, currency: "EUR" }, placedAt },
      },
      { eventBusName, producer: "burst-e2e" },
    );
    const declinedFor =
      decline === "DECLINE"
        ? "card-declined"
        : decline === "NOFUNDS"
          ? "insufficient-funds"
          : amount > PAYMENT_LIMIT_MINOR_UNITS
            ? "limit-exceeded"
            : undefined;
    return {
      orderId,
      eventId: prepared.eventId,
      customerId,
      items,
      amount,
      ...(declinedFor === undefined ? {} : { declinedFor }),
      entry: {
        Source: prepared.entry.Source as string,
        DetailType: prepared.entry.DetailType as string,
        Detail: prepared.entry.Detail as string,
        EventBusName: eventBusName,
      },
    };
  });
}

/**
 * How many orders of a burst inventory reserves, whatever the order it handles them in: every order
 * whose SKUs never run short, and for a SKU that runs short, as many of its orders as its stock
 * covers. Throws for a mix where that number would depend on the order (a SKU running short with
 * different quantities, or an order with two SKUs that run short).
 */
export function expectedReservations(orders: readonly BurstOrder[]): number {
  const stock = new Map(stockSeed.map((s) => [s.sku, s.available]));
  const demand = new Map<string, number>();
  for (const order of orders)
    for (const line of order.items) demand.set(line.sku, (demand.get(line.sku) ?? 0) + line.quantity);
  const short = (sku: string) => !stock.has(sku) || (demand.get(sku) ?? 0) > (stock.get(sku) ?? 0);
  let reserved = 0;
  const shortOrders = new Map<string, number[]>();
  for (const order of orders) {
    const shortLines = order.items.filter((line) => short(line.sku));
    if (shortLines.length === 0) reserved++;
    else if (shortLines.length > 1) throw new Error(`order ${order.orderId} has two SKUs that run short`);
    else {
      const [line] = shortLines as [OrderLine];
      shortOrders.set(line.sku, [...(shortOrders.get(line.sku) ?? []), line.quantity]);
    }
  }
  for (const [sku, quantities] of shortOrders) {
    if (!stock.has(sku)) continue;
    const quantity = quantities[0] as number;
    if (quantities.some((q) => q !== quantity))
      throw new Error(`orders of ${sku} ask for different quantities`);
    reserved += Math.floor((stock.get(sku) as number) / quantity);
  }
  return reserved;
}

/** What the example app's pipeline is made of, as the tests read it. */
export interface BurstResources {
  readonly busName: string;
  /** Queues a consumer reads. */
  readonly sourceQueueUrls: readonly string[];
  /** Every other queue: the subscriptions' DLQs, the rule targets' DLQs, the audit stream's DLQ. */
  readonly deadLetterQueueUrls: readonly string[];
  readonly inventoryTable: string;
  readonly paymentsTable: string;
}

/** The bus, queues and state tables of the example app, from the local model. */
export function burstResources(model: LocalPipelineModel): BurstResources {
  const subscriptions = JSON.parse(model.outputs[stackOutputs.subscriptions] ?? "[]") as SubscriptionOutput[];
  const tableOf = (name: string) => {
    const table = subscriptions.find((s) => s.name === name)?.stateTableName;
    if (table === undefined) throw new Error(`no state table for subscription ${name}`);
    return table;
  };
  const sourceArns = new Set(model.eventSourceMappings.map((m) => m.queueArn));
  return {
    busName: model.outputs[stackOutputs.eventBusName] ?? (model.buses[0]?.name as string),
    sourceQueueUrls: model.queues.filter((q) => sourceArns.has(q.arn)).map((q) => q.url),
    deadLetterQueueUrls: model.queues.filter((q) => !sourceArns.has(q.arn)).map((q) => q.url),
    inventoryTable: tableOf("inventory"),
    paymentsTable: tableOf("payments"),
  };
}

/** An event as the audit stream writes it: the EventBridge envelope around `{ metadata, data }`. */
export interface AuditedEvent {
  readonly id: string;
  readonly "detail-type": string;
  readonly detail: {
    readonly metadata: { readonly eventId: string; readonly causationId?: string };
    readonly data: { readonly orderId?: string; readonly items?: readonly OrderLine[] } & Record<
      string,
      unknown
    >;
  };
}

/** Every event in the audit objects under `<stateDir>/s3` (GZIP, one JSON event per line). */
export async function readAuditFiles(stateDir: string): Promise<AuditedEvent[]> {
  const root = path.join(stateDir, "s3");
  const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter(
    (f) => f.isFile() && f.name.endsWith(".gz"),
  );
  const events: AuditedEvent[] = [];
  for (const file of files) {
    const text = gunzipSync(await readFile(path.join(file.parentPath, file.name))).toString("utf8");
    for (const line of text.split("\n")) if (line) events.push(JSON.parse(line) as AuditedEvent);
  }
  return events;
}

/** The terminal events of an order's flow. */
export const TERMINAL_TYPES = ["PaymentProcessed", "PaymentFailed", "InventoryReservationFailed"] as const;

/** The audit trail of a burst, counted for the assertions. */
export interface AuditTally {
  /** Audit lines per detail-type, copies included. */
  readonly lines: Readonly<Record<string, number>>;
  /** Distinct eventIds per detail-type. */
  readonly distinct: Readonly<Record<string, number>>;
  /** eventIds written more than once, with their detail-type and number of copies. */
  readonly copies: readonly string[];
  /** The distinct events of each detail-type, by eventId. */
  readonly byId: ReadonlyMap<string, AuditedEvent>;
  /** Distinct terminal events per orderId: `orderId -> [detail-type eventId]`. */
  readonly terminalsByOrder: ReadonlyMap<string, readonly string[]>;
  /** Distinct InventoryReserved per orderId. */
  readonly reservedByOrder: ReadonlyMap<string, readonly AuditedEvent[]>;
}

export function tallyAudit(events: readonly AuditedEvent[]): AuditTally {
  const lines: Record<string, number> = {};
  const seen = new Map<string, number>();
  const byId = new Map<string, AuditedEvent>();
  for (const event of events) {
    const type = event["detail-type"];
    lines[type] = (lines[type] ?? 0) + 1;
    const id = event.detail.metadata.eventId;
    seen.set(id, (seen.get(id) ?? 0) + 1);
    if (!byId.has(id)) byId.set(id, event);
  }
  const distinct: Record<string, number> = {};
  const terminalsByOrder = new Map<string, string[]>();
  const reservedByOrder = new Map<string, AuditedEvent[]>();
  for (const [id, event] of byId) {
    const type = event["detail-type"];
    distinct[type] = (distinct[type] ?? 0) + 1;
    const orderId = event.detail.data.orderId ?? "(none)";
    if ((TERMINAL_TYPES as readonly string[]).includes(type)) {
      terminalsByOrder.set(orderId, [...(terminalsByOrder.get(orderId) ?? []), `${type} ${id}`]);
    }
    if (type === "InventoryReserved")
      reservedByOrder.set(orderId, [...(reservedByOrder.get(orderId) ?? []), event]);
  }
  const copies = [...seen]
    .filter(([, n]) => n > 1)
    .map(([id, n]) => `${byId.get(id)?.["detail-type"]} ${id} ×${n}`);
  return { lines, distinct, copies, byId, terminalsByOrder, reservedByOrder };
}

/** Orders with no terminal event, and orders with more than one (distinct by eventId). */
export function terminalProblems(
  orders: readonly BurstOrder[],
  tally: AuditTally,
): { readonly none: readonly string[]; readonly several: readonly string[] } {
  const none: string[] = [];
  const several: string[] = [];
  for (const order of orders) {
    const terminals = tally.terminalsByOrder.get(order.orderId) ?? [];
    if (terminals.length === 0) none.push(order.orderId);
    if (terminals.length > 1) several.push(`${order.orderId}: ${terminals.join(", ")}`);
  }
  return { none, several };
}

/** The first few of a list with its length, for assertions whose failure must say what went wrong. */
export function sample(list: readonly string[], size = 10): { count: number; first: string[] } {
  return { count: list.length, first: list.slice(0, size) };
}

/** Messages in a queue: receivable, in flight, delayed. */
export async function queueDepth(sqs: SQSClient, queueUrl: string): Promise<number> {
  const { Attributes = {} } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
      ],
    }),
  );
  return (
    Number(Attributes.ApproximateNumberOfMessages ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0) +
    Number(Attributes.ApproximateNumberOfMessagesDelayed ?? 0)
  );
}

/**
 * Waits until every queue holds no message (none receivable, in flight or delayed) at `quietPolls`
 * polls in a row, a second apart: no consumer is running and nothing is left to deliver. Throws
 * with the depths after `timeoutMs`.
 */
export async function waitUntilQuiet(
  sqs: SQSClient,
  queueUrls: readonly string[],
  timeoutMs: number,
  quietPolls = 3,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  let depths: number[] = [];
  while (Date.now() < deadline) {
    depths = await Promise.all(queueUrls.map((url) => queueDepth(sqs, url)));
    quiet = depths.every((d) => d === 0) ? quiet + 1 : 0;
    if (quiet >= quietPolls) return;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
  throw new Error(
    `the queues were not quiet after ${timeoutMs} ms: ${queueUrls.map((u, i) => `${u.split("/").at(-1)}=${depths[i]}`).join(", ")}`,
  );
}

/** Each DLQ with messages: its name, its depth, and the detail-type and eventId of a few of them. */
export async function deadLetters(sqs: SQSClient, queueUrls: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const url of queueUrls) {
    const depth = await queueDepth(sqs, url);
    if (depth === 0) continue;
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 0 }),
    );
    const examples = Messages.map((m) => {
      try {
        const event = JSON.parse(m.Body ?? "{}") as Partial<AuditedEvent>;
        return `${event["detail-type"]} ${event.detail?.metadata.eventId} (${event.detail?.data.orderId})`;
      } catch {
        return (m.Body ?? "").slice(0, 80);
      }
    });
    found.push(`${url.split("/").at(-1)}: ${depth} [${examples.join("; ")}]`);
  }
  return found;
}

/** Every item of a table (a consistent scan, page by page). */
export async function scanTable(
  dynamoDb: DynamoDBClient,
  tableName: string,
): Promise<Record<string, unknown>[]> {
  const client = DynamoDBDocumentClient.from(dynamoDb);
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: tableName, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Units of each SKU taken from the seeded stock, by the inventory table's `available`. */
export function stockConsumed(inventoryItems: readonly Record<string, unknown>[]): Map<string, number> {
  const consumed = new Map<string, number>();
  for (const seed of stockSeed) {
    const item = inventoryItems.find((i) => i.pk === `SKU#${seed.sku}` && i.sk === "STOCK");
    consumed.set(seed.sku, seed.available - Number(item?.available ?? Number.NaN));
  }
  return consumed;
}

/** Units of each SKU held by a list of orders' lines. */
export function unitsOf(lines: readonly (readonly OrderLine[])[]): Map<string, number> {
  const units = new Map<string, number>(stockSeed.map((s) => [s.sku, 0]));
  for (const order of lines)
    for (const line of order) units.set(line.sku, (units.get(line.sku) ?? 0) + line.quantity);
  return units;
}

/** The pipeline's "invoke" lines whose outcome is not a plain success, by kind. */
export function invocationErrors(invokeLines: readonly string[]): {
  readonly functionErrors: readonly string[];
  readonly failedRecords: readonly string[];
  readonly invalidResponses: readonly string[];
} {
  const outcome = (line: string) => line.slice(line.indexOf(": ") + 2);
  return {
    functionErrors: invokeLines.filter((l) => outcome(l).startsWith("error ")),
    failedRecords: invokeLines.filter((l) => / failed \(batchItemFailures\)/.test(outcome(l))),
    invalidResponses: invokeLines.filter((l) => outcome(l).startsWith("invalid batch response")),
  };
}
