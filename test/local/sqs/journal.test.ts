import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../lib/local/clock";
import { SqsJournalError } from "../../../lib/local/sqs/errors";
import type { QueueDefinition } from "../../../lib/local/sqs/queue";
import { QueueStore, type QueueStoreOptions } from "../../../lib/local/sqs/queue-store";
import { queueDefinition, queueNamed, queueWithDeadLetterQueue } from "./queue-fixtures";

describe("the durable queue store", () => {
  let stateDir: string;
  const open: QueueStore[] = [];

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "eventrail-sqs-"));
  });

  afterEach(async () => {
    for (const store of open.splice(0)) await store.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function openStore(queues: readonly QueueDefinition[], options: Partial<QueueStoreOptions> = {}) {
    const store = await QueueStore.open({ queues, stateDir, ...options });
    open.push(store);
    return store;
  }

  async function restart(
    store: QueueStore,
    queues: readonly QueueDefinition[],
    options: Partial<QueueStoreOptions> = {},
  ) {
    await store.close();
    open.splice(open.indexOf(store), 1);
    return openStore(queues, options);
  }

  it("restores sent messages with their attributes and receive counts, and forgets deleted ones", async () => {
    const queues = [queueDefinition("orders", { visibilityTimeoutSeconds: 0 })];
    const before = await openStore(queues);
    const orders = queueNamed(before, "orders");
    const kept = await orders.send({
      body: "kept",
      messageAttributes: {
        bin: { DataType: "Binary", BinaryValue: Buffer.from([0, 1, 2]).toString("base64") },
      },
    });
    await orders.send({ body: "deleted" });
    const received = await orders.receive({ maxMessages: 10 });
    const deleted = received.find((m) => m.body === "deleted");
    if (deleted === undefined) throw new Error("test setup: expected the message to delete");
    await orders.delete(deleted.receiptHandle);

    const after = await restart(before, queues);
    const restored = await queueNamed(after, "orders").receive({ maxMessages: 10 });

    expect(after.recovery).toMatchObject({ restoredMessages: 1, discardedTailBytes: 0, orphanedQueues: [] });
    expect(restored).toHaveLength(1);
    expect(restored[0]).toMatchObject({
      messageId: kept.messageId,
      body: "kept",
      md5OfMessageAttributes: kept.md5OfMessageAttributes,
      attributes: { ApproximateReceiveCount: "2" },
    });
  });

  it("keeps a received message invisible across a restart until its visibility timeout ends", async () => {
    const clock = new ManualClock();
    const queues = [queueDefinition("orders", { visibilityTimeoutSeconds: 60 })];
    const before = await openStore(queues, { clock });
    await queueNamed(before, "orders").send({ body: "in flight" });
    await queueNamed(before, "orders").receive();

    const after = await restart(before, queues, { clock });
    const duringTimeout = await queueNamed(after, "orders").receive();
    await clock.advance(60_000);
    const afterTimeout = await queueNamed(after, "orders").receive();

    expect(duringTimeout).toEqual([]);
    expect(afterTimeout.map((m) => m.body)).toEqual(["in flight"]);
  });

  it("restores a redrive to the dead-letter queue as one move", async () => {
    const queues = queueWithDeadLetterQueue(1, { visibilityTimeoutSeconds: 0 });
    const before = await openStore(queues);
    await queueNamed(before, "orders").send({ body: "poison" });
    await queueNamed(before, "orders").receive();
    await queueNamed(before, "orders").receive();

    const after = await restart(before, queues);

    expect(queueNamed(after, "orders").counts().visible).toBe(0);
    expect((await queueNamed(after, "orders-dlq").receive()).map((m) => m.body)).toEqual(["poison"]);
  });

  it("ignores a last record cut short by a crash and reports its size", async () => {
    const queues = [queueDefinition("orders")];
    const before = await openStore(queues);
    await queueNamed(before, "orders").send({ body: "acknowledged" });
    await before.close();
    open.splice(0);
    const torn = '{"op":"send","queue":"orders","message":{"id":"x","bo';
    await appendFile(join(stateDir, "sqs", "journal.ndjson"), torn);

    const after = await openStore(queues);

    expect(after.recovery.discardedTailBytes).toBe(torn.length);
    expect((await queueNamed(after, "orders").receive()).map((m) => m.body)).toEqual(["acknowledged"]);
  });

  it("refuses a damaged journal, naming the file, the line and the fix", async () => {
    const journal = join(stateDir, "sqs", "journal.ndjson");
    const store = await openStore([queueDefinition("orders")]);
    await store.close();
    open.splice(0);
    await appendFile(journal, "not json\n");

    const opening = QueueStore.open({ queues: [queueDefinition("orders")], stateDir });

    await expect(opening).rejects.toThrow(SqsJournalError);
    await expect(QueueStore.open({ queues: [queueDefinition("orders")], stateDir })).rejects.toThrow(
      `The SQS journal ${journal} is damaged at line 3: "not json" is not JSON. Run \`eventrail local --repair\``,
    );
  });

  it("refuses a journal of another format version", async () => {
    const journal = join(stateDir, "sqs", "journal.ndjson");
    const store = await openStore([]);
    await store.close();
    open.splice(0);
    await writeFile(journal, '{"op":"header","format":"eventrail-sqs-journal","version":99}\n');

    await expect(QueueStore.open({ queues: [], stateDir })).rejects.toThrow(
      /expected a eventrail-sqs-journal version 1 header/,
    );
  });

  it("makes concurrent sends share fsyncs (group commit)", async () => {
    const store = await openStore([queueDefinition("orders")]);
    const orders = queueNamed(store, "orders");
    const flushesBefore = store.journalStats?.flushes ?? 0;

    await Promise.all(Array.from({ length: 100 }, (_, i) => orders.send({ body: `m${i}` })));
    const stats = store.journalStats;

    expect(stats?.records).toBe(100);
    expect((stats?.flushes ?? 0) - flushesBefore).toBeLessThan(10);
  });

  it("compacts the journal once deleted messages dominate it, keeping the live ones", async () => {
    const queues = [queueDefinition("orders", { visibilityTimeoutSeconds: 0 })];
    const store = await openStore(queues, { compactionThresholdBytes: 16_384 });
    const orders = queueNamed(store, "orders");
    const body = "x".repeat(200);
    for (let round = 0; round < 10; round++) {
      await Promise.all(Array.from({ length: 10 }, () => orders.send({ body })));
      for (const message of await orders.receive({ maxMessages: 10 }))
        await orders.delete(message.receiptHandle);
    }
    await orders.send({ body: "survivor" });
    const stats = store.journalStats;
    const size = (await stat(join(stateDir, "sqs", "journal.ndjson"))).size;

    const after = await restart(store, queues);

    expect(stats?.compactions).toBeGreaterThan(1);
    expect(size).toBeLessThan(16_384 * 2);
    expect(after.recovery.restoredMessages).toBe(1);
    expect((await queueNamed(after, "orders").receive()).map((m) => m.body)).toEqual(["survivor"]);
  });

  it("keeps the messages of a queue removed from the definitions and serves them when it comes back", async () => {
    const before = await openStore([queueDefinition("orders"), queueDefinition("legacy")]);
    await queueNamed(before, "legacy").send({ body: "old" });

    const without = await restart(before, [queueDefinition("orders")]);
    const orphaned = without.recovery.orphanedQueues;
    const withAgain = await restart(without, [queueDefinition("orders"), queueDefinition("legacy")]);

    expect(orphaned).toEqual(["legacy"]);
    expect((await queueNamed(withAgain, "legacy").receive()).map((m) => m.body)).toEqual(["old"]);
  });

  it("drops messages whose retention ran out while the store was down, and says how many", async () => {
    const clock = new ManualClock();
    const queues = [queueDefinition("orders", { messageRetentionSeconds: 60 })];
    const before = await openStore(queues, { clock });
    await queueNamed(before, "orders").send({ body: "stale" });
    await before.close();
    open.splice(0);
    await clock.advance(61_000);

    const after = await openStore(queues, { clock });

    expect(after.recovery).toMatchObject({ restoredMessages: 0, expiredMessages: 1 });
  });

  it("refuses a second store on a state directory in use, naming the process", async () => {
    await openStore([queueDefinition("orders")]);

    await expect(QueueStore.open({ queues: [queueDefinition("orders")], stateDir })).rejects.toThrow(
      `is in use by process ${process.pid}`,
    );
  });

  it("takes over the lock a killed process left behind", async () => {
    const store = await openStore([queueDefinition("orders")]);
    await store.close();
    open.splice(0);
    // A pid far above pid_max belongs to no process.
    await writeFile(join(stateDir, "sqs", "lock"), "99999999");

    const reopened = await openStore([queueDefinition("orders")]);

    expect(await readFile(join(stateDir, "sqs", "lock"), "utf8")).toBe(String(process.pid));
    expect(reopened.queues).toHaveLength(1);
  });
});
