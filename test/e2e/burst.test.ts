import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SQSClient } from "@aws-sdk/client-sqs";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { loadLocalModel } from "../../lib/local/assembly";
import { seedExampleState } from "../../lib/local/example-seed";
import { LocalPipeline } from "../../lib/local/local-pipeline";
import { EventBridgePublisher, type PublishOutcome } from "../../lib/producer";
import { synthesizeApp } from "../support/example-app";
import {
  type AuditTally,
  type BurstOrder,
  burstOrders,
  burstResources,
  deadLetters,
  expectedReservations,
  invocationErrors,
  readAuditFiles,
  sample,
  scanTable,
  stockConsumed,
  tallyAudit,
  terminalProblems,
  UNKNOWN_SKU,
  unitsOf,
  waitUntilQuiet,
} from "./support/burst";
import { type LocalProcess, startLocalProcess } from "./support/local-process";

/**
 * A burst of 2,000 OrderPlaced, published at once through the project's publisher to the example
 * app running locally at time scale 60, as a new user would try it: every order must end in exactly
 * one terminal event in the audit files, every effect must happen once, and nothing may be
 * dead-lettered, also when the pipeline is killed with SIGKILL half-way and started again.
 * Counts only: how long the pipeline takes is the benchmark's business, not these tests'.
 */

const TIME_SCALE = 60;
const ORDERS = 2_000;
/** Bounds, not expectations: how long the pipeline may take to drain a burst on a shared machine. */
const DRAIN_TIMEOUT_MS = 4 * 60_000;
const TEST_TIMEOUT_MS = 6 * 60_000;
const credentials = { accessKeyId: "local", secretAccessKey: "local" };

let cdkOutDir: string;
let inProcess: LocalPipeline | undefined;
const children: LocalProcess[] = [];
const stateDirs: string[] = [];

/** A fresh state folder, removed after the test. */
async function newStateDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  stateDirs.push(dir);
  return dir;
}

function clientsFor(endpoint: string) {
  const config = { endpoint, region: "us-east-1", credentials };
  return {
    eventBridge: new EventBridgeClient(config),
    sqs: new SQSClient(config),
    dynamoDb: new DynamoDBClient(config),
  };
}

/** The state of the pipeline after a burst, read from its state tables and audit files. */
interface Settlement {
  readonly orders: readonly BurstOrder[];
  readonly audit: AuditTally;
  readonly inventoryItems: readonly Record<string, unknown>[];
  readonly paymentItems: readonly Record<string, unknown>[];
}

/**
 * What every settled burst shows, crash or not: one terminal event per order, reservations as the
 * stock allows, stock taken once per reserved order, one payment per reserved order with the
 * gateway's answer, and in the audit every event whose effects happened.
 */
function expectEveryOrderSettledOnce({ orders, audit, inventoryItems, paymentItems }: Settlement): void {
  const { none, several } = terminalProblems(orders, audit);
  expect(sample(none), "orders without a terminal event in the audit").toEqual(sample([]));
  expect(sample(several), "orders with more than one terminal event in the audit").toEqual(sample([]));

  const reserved = expectedReservations(orders);
  const byOrder = new Map(orders.map((o) => [o.orderId, o]));
  const distinct = (type: string) => audit.distinct[type] ?? 0;
  expect({
    InventoryReserved: distinct("InventoryReserved"),
    InventoryReservationFailed: distinct("InventoryReservationFailed"),
    payments: distinct("PaymentProcessed") + distinct("PaymentFailed"),
  }).toEqual({
    InventoryReserved: reserved,
    InventoryReservationFailed: ORDERS - reserved,
    payments: reserved,
  });
  const unknownSkuFailures = [...audit.byId.values()].filter(
    (e) => e["detail-type"] === "InventoryReservationFailed" && e.detail.data.reason === "unknown-sku",
  );
  expect(unknownSkuFailures.length).toBe(
    orders.filter((o) => o.items.some((l) => l.sku === UNKNOWN_SKU)).length,
  );
  // Some orders of each kind: the burst exercises every branch of the chain.
  expect(distinct("PaymentProcessed")).toBeGreaterThan(0);
  expect(distinct("PaymentFailed")).toBeGreaterThan(0);

  // The gateway's answer for each charged order is the one its customer and total call for.
  const wrongAnswers = [...audit.byId.values()]
    .filter((e) => e["detail-type"] === "PaymentProcessed" || e["detail-type"] === "PaymentFailed")
    .filter((e) => {
      const order = byOrder.get(e.detail.data.orderId ?? "");
      const expected = order?.declinedFor === undefined ? "PaymentProcessed" : "PaymentFailed";
      return e["detail-type"] !== expected || (order?.declinedFor ?? undefined) !== e.detail.data.reason;
    })
    .map((e) => `${e["detail-type"]} ${e.detail.data.orderId} ${String(e.detail.data.reason)}`);
  expect(sample(wrongAnswers), "payments answered against the gateway's rules").toEqual(sample([]));

  // One InventoryReserved per reserved order: a retried reservation repeats its fact's eventId.
  expect(audit.reservedByOrder.size).toBe(distinct("InventoryReserved"));

  // Stock: one reservation per InventoryReserved fact, and exactly its units taken from stock; one
  // recorded rejection per InventoryReservationFailed fact (each committed with its fact).
  const answered = inventoryItems.filter((i) => String(i.pk).startsWith("ORDER#") && i.sk === "RESERVATION");
  const reservations = answered.filter((r) => r.status === "reserved");
  expect(reservations.length).toBe(audit.reservedByOrder.size);
  expect(answered.filter((r) => r.status === "rejected").length).toBe(distinct("InventoryReservationFailed"));
  expect(answered.length).toBe(audit.reservedByOrder.size + distinct("InventoryReservationFailed"));
  const reservedFacts = [...audit.reservedByOrder.values()].map(
    (events) => events[0]?.detail.data.items ?? [],
  );
  const consumed = Object.fromEntries(stockConsumed(inventoryItems));
  expect(consumed, "units taken from stock vs units of the InventoryReserved facts").toEqual(
    Object.fromEntries(unitsOf(reservedFacts)),
  );
  expect(consumed, "units taken from stock vs units of the reservation items").toEqual(
    Object.fromEntries(unitsOf(reservations.map((r) => r.lines as BurstOrder["items"]))),
  );

  // The audit holds the OrderPlaced behind every reservation and every reservation failure.
  const placedIds = new Set(orders.map((o) => o.eventId));
  const unauditedPlaced = [
    ...reservations
      .map((r) => `${String(r.pk)} reservedBy ${String(r.reservedBy)}`)
      .filter((line) => {
        const id = line.split(" reservedBy ")[1] as string;
        return !placedIds.has(id) || !audit.byId.has(id);
      }),
    ...[...audit.byId.values()]
      .filter((e) => e["detail-type"] === "InventoryReservationFailed")
      .filter((e) => !audit.byId.has(e.detail.metadata.causationId ?? ""))
      .map((e) => `${e.detail.data.orderId} failed, caused by ${e.detail.metadata.causationId}`),
  ];
  expect(sample(unauditedPlaced), "effects of OrderPlaced missing from the audit").toEqual(sample([]));

  // Payments: one per reserved order, caused by an audited InventoryReserved, matching its terminal event.
  const payments = paymentItems.filter((i) => String(i.pk).startsWith("PAYMENT#"));
  expect(payments.length).toBe(audit.reservedByOrder.size);
  const paymentProblems = payments.flatMap((p) => {
    const cause = audit.byId.get(String(p.recordedBy));
    const terminal = audit.terminalsByOrder.get(String(p.orderId)) ?? [];
    const expected = p.status === "processed" ? "PaymentProcessed" : "PaymentFailed";
    const problems: string[] = [];
    if (cause?.["detail-type"] !== "InventoryReserved" || cause.detail.data.orderId !== p.orderId)
      problems.push(`${String(p.pk)}: recordedBy ${String(p.recordedBy)} is no audited InventoryReserved`);
    if (terminal.length !== 1 || !terminal[0]?.startsWith(`${expected} `))
      problems.push(`${String(p.pk)}: ${String(p.status)}, audit says ${terminal.join(", ") || "nothing"}`);
    return problems;
  });
  expect(sample(paymentProblems), "payments without their audited cause or terminal event").toEqual(
    sample([]),
  );
}

beforeAll(() => {
  cdkOutDir = synthesizeApp().outdir;
});

afterEach(async () => {
  await inProcess?.stop();
  inProcess = undefined;
  for (const local of children.splice(0)) {
    if (local.child.exitCode === null && local.child.signalCode === null) {
      local.child.kill("SIGKILL");
      await local.exited;
    }
  }
  for (const dir of stateDirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe("a burst of 2,000 OrderPlaced on the local pipeline at time scale 60", () => {
  it(
    "takes every order to exactly one terminal event in the audit, with no invocation error and nothing dead-lettered",
    async () => {
      // Prepare: the example app in this process, logging what the test counts.
      const stateDir = await newStateDir("eventrail-burst-");
      const invokeLines: string[] = [];
      const problemLines: string[] = [];
      inProcess = await LocalPipeline.start({
        cdkOutDir,
        stateDir,
        port: 0,
        timeScale: TIME_SCALE,
        log: (kind, line) => {
          if (kind === "invoke") invokeLines.push(line);
          else if (kind === "dlq" || kind === "error") problemLines.push(line);
          else if (kind === "function" && /"level":"(ERROR|WARN)"/.test(line)) problemLines.push(line);
        },
      });
      await seedExampleState(inProcess);
      const resources = burstResources(inProcess.model);
      const clients = clientsFor(inProcess.endpoint);
      const orders = burstOrders(ORDERS, resources.busName);
      const publisher = new EventBridgePublisher({
        eventBusName: resources.busName,
        producer: "burst-e2e",
        client: clients.eventBridge,
      });

      // Act
      const published = await publisher.publishAll(orders.map((o) => o.entry));
      await waitUntilQuiet(clients.sqs, resources.sourceQueueUrls, DRAIN_TIMEOUT_MS);
      await inProcess.flushAudit();
      const audit = tallyAudit(await readAuditFiles(stateDir));
      const dead = await deadLetters(clients.sqs, resources.deadLetterQueueUrls);
      const inventoryItems = await scanTable(clients.dynamoDb, resources.inventoryTable);
      const paymentItems = await scanTable(clients.dynamoDb, resources.paymentsTable);

      console.info(
        `burst: ${published.published} accepted in ${published.calls} calls, ${invokeLines.length} invocations, audit lines ${JSON.stringify(audit.lines)}`,
      );

      // Assess
      const accepted = published.outcomes.filter((o) => o.status === "published");
      expect({
        published: published.published,
        failed: published.failed,
        invalid: published.invalid,
      }).toEqual({
        published: ORDERS,
        failed: 0,
        invalid: 0,
      });
      expect(audit.lines.OrderPlaced).toBe(accepted.length);
      expect(audit.distinct.OrderPlaced).toBe(accepted.length);
      expect(sample(accepted.map((o) => o.eventId).filter((id) => !audit.byId.has(id)))).toEqual(sample([]));
      expect(sample([...audit.copies]), "events written to the audit more than once").toEqual(sample([]));
      expectEveryOrderSettledOnce({ orders, audit, inventoryItems, paymentItems });
      const errors = invocationErrors(invokeLines);
      expect({
        functionErrors: sample([...errors.functionErrors], 5),
        failedRecords: sample([...errors.failedRecords], 5),
        invalidResponses: sample([...errors.invalidResponses], 5),
      }).toEqual({ functionErrors: sample([]), failedRecords: sample([]), invalidResponses: sample([]) });
      expect(dead, `dead-lettered; the pipeline said: ${problemLines.slice(0, 10).join("\n")}`).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    "settles every accepted order once when killed with SIGKILL half-way through and restarted on the same state",
    async () => {
      // Prepare: `eventrail local` in a child process, so that it can be killed.
      const stateDir = await newStateDir("eventrail-burst-kill-");
      const first = await startLocalProcess({ cdkOutDir, stateDir, timeScale: TIME_SCALE });
      children.push(first);
      const resources = burstResources(await loadLocalModel({ cdkOutDir, endpoint: first.endpoint }));
      const orders = burstOrders(ORDERS, resources.busName);
      const firstPublisher = new EventBridgePublisher({
        eventBusName: resources.busName,
        producer: "burst-e2e",
        client: clientsFor(first.endpoint).eventBridge,
      });

      // Act: kill -9 once half of the orders are accepted; the rest of the calls fail.
      const outcomes: PublishOutcome[] = [];
      let accepted = 0;
      let acceptedAtKill: number | undefined;
      for await (const outcome of firstPublisher.publishStream(orders.map((o) => o.entry))) {
        outcomes[outcome.index] = outcome;
        if (outcome.status === "published") accepted++;
        if (acceptedAtKill === undefined && accepted >= ORDERS / 2) {
          first.child.kill("SIGKILL");
          acceptedAtKill = accepted;
        }
      }
      const firstExit = await first.exited;
      const unaccepted = orders.filter((_, i) => outcomes[i]?.status !== "published");
      // Restart on the same state, and send the unacknowledged entries again, as they were (same eventIds).
      const second = await startLocalProcess({ cdkOutDir, stateDir, timeScale: TIME_SCALE });
      children.push(second);
      const clients = clientsFor(second.endpoint);
      const restarted = burstResources(await loadLocalModel({ cdkOutDir, endpoint: second.endpoint }));
      const retried = await new EventBridgePublisher({
        eventBusName: restarted.busName,
        producer: "burst-e2e",
        client: clients.eventBridge,
      }).publishAll(unaccepted.map((o) => o.entry));
      await waitUntilQuiet(clients.sqs, restarted.sourceQueueUrls, DRAIN_TIMEOUT_MS);
      const dead = await deadLetters(clients.sqs, restarted.deadLetterQueueUrls);
      const inventoryItems = await scanTable(clients.dynamoDb, restarted.inventoryTable);
      const paymentItems = await scanTable(clients.dynamoDb, restarted.paymentsTable);
      // A clean stop writes the audit buffer out.
      second.child.kill("SIGTERM");
      const secondExit = await second.exited;
      const audit = tallyAudit(await readAuditFiles(stateDir));

      const errors = invocationErrors([...first.invokeLines, ...second.invokeLines]);
      console.info(
        [
          `kill -9 at ${acceptedAtKill} accepted, after ${first.invokeLines.length} invocations; ${unaccepted.length} sent again, ${retried.published} accepted`,
          `after the restart: ${second.invokeLines.length} invocations; ${second.pipelineLines.join("; ")}`,
          `invocation errors: ${errors.functionErrors.length} function errors, ${errors.failedRecords.length} with failed records, ${errors.invalidResponses.length} invalid responses`,
          ...[...errors.functionErrors, ...errors.failedRecords].slice(0, 5),
          ...second.problemLines.slice(0, 5).map((line) => line.slice(0, 400)),
          `audit lines ${JSON.stringify(audit.lines)}; copies: ${audit.copies.length} ${audit.copies.slice(0, 5).join(", ")}`,
        ].join("\n"),
      );

      // Assess
      expect(firstExit).toBe("SIGKILL");
      expect(acceptedAtKill).toBeGreaterThanOrEqual(ORDERS / 2);
      expect(unaccepted.length, "orders the kill left unacknowledged").toBeGreaterThan(0);
      expect({ published: retried.published, failed: retried.failed }).toEqual({
        published: unaccepted.length,
        failed: 0,
      });
      expect(secondExit).toBe(0);
      // Every order is accepted now: some twice with one eventId, when the kill came after routing.
      expect(audit.distinct.OrderPlaced).toBe(ORDERS);
      expect(sample(orders.map((o) => o.eventId).filter((id) => !audit.byId.has(id)))).toEqual(sample([]));
      expectEveryOrderSettledOnce({ orders, audit, inventoryItems, paymentItems });
      const problems = [...first.problemLines, ...second.problemLines].slice(0, 10).join("\n");
      expect(dead, `dead-lettered; the pipeline said: ${problems}`).toEqual([]);
    },
    TEST_TIMEOUT_MS,
  );
});
