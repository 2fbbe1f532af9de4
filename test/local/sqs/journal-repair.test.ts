import { appendFile, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../lib/local/clock";
import { SqsJournalError } from "../../../lib/local/sqs/errors";
import { QueueStore, type QueueStoreOptions, recoveryNotices } from "../../../lib/local/sqs/queue-store";
import { queueDefinition, queueNamed } from "./queue-fixtures";

const queues = [queueDefinition("orders"), queueDefinition("payments")];

describe("a damaged SQS journal", () => {
  let stateDir: string;
  let journal: string;
  const opened: QueueStore[] = [];

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), "sqs-repair-"));
    journal = path.join(stateDir, "sqs", "journal.ndjson");
  });

  afterEach(async () => {
    for (const store of opened.splice(0)) await store.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  async function openStore(options: Partial<QueueStoreOptions> = {}): Promise<QueueStore> {
    const store = await QueueStore.open({ queues, stateDir, ...options });
    opened.push(store);
    return store;
  }

  async function closeAll(): Promise<void> {
    for (const store of opened.splice(0)) await store.close();
  }

  /** Three messages journaled (orders "first", payments "second", orders "third"); returns the lines. */
  async function journalThreeMessages(): Promise<string[]> {
    const store = await openStore();
    await queueNamed(store, "orders").send({ body: "first" });
    await queueNamed(store, "payments").send({ body: "second" });
    await queueNamed(store, "orders").send({ body: "third" });
    await closeAll();
    return (await readFile(journal, "utf8")).split("\n");
  }

  /** Damages the send of "second" (a complete line that is no longer JSON); returns its line number. */
  async function damageSecondSend(): Promise<number> {
    const lines = await journalThreeMessages();
    const index = lines.findIndex((line) => line.includes('"second"'));
    lines[index] = `${lines[index]?.slice(0, 40)}#garbage`;
    await writeFile(journal, lines.join("\n"));
    return index + 1;
  }

  async function bodiesOf(store: QueueStore, name: string): Promise<string[]> {
    const received = await queueNamed(store, name).receive({ maxMessages: 10 });
    return received.map((message) => message.body).toSorted();
  }

  it("stops the start naming the file, the line, its queue and the repair command", async () => {
    // Prepare
    const lineNumber = await damageSecondSend();

    // Act
    const refusal = await QueueStore.open({ queues, stateDir }).catch((error: unknown) => error);

    // Assess
    expect(refusal).toBeInstanceOf(SqsJournalError);
    expect((refusal as Error).message).toContain(
      `The SQS journal ${journal} is damaged at line ${lineNumber} (queue payments, op send): `,
    );
    expect((refusal as Error).message).toContain("is not JSON. Run `eventrail local --repair`");
    expect((refusal as SqsJournalError).path).toBe(journal);
  });

  it("leaves the damaged journal untouched when it refuses it", async () => {
    // Prepare
    await damageSecondSend();
    const before = await readFile(journal, "utf8");

    // Act
    await QueueStore.open({ queues, stateDir }).catch(() => undefined);

    // Assess
    expect(await readFile(journal, "utf8")).toBe(before);
    expect(await readdir(path.dirname(journal))).not.toContain(expect.stringContaining(".damaged-"));
  });

  it("with repair keeps every other message, reports the damaged line by queue, and keeps the original", async () => {
    // Prepare
    const lineNumber = await damageSecondSend();
    const damagedText = await readFile(journal, "utf8");

    // Act
    const repaired = await openStore({ repair: true });
    const report = repaired.recovery;
    const orders = await bodiesOf(repaired, "orders");
    const payments = await bodiesOf(repaired, "payments");

    // Assess
    expect(orders).toEqual(["first", "third"]);
    expect(payments).toEqual([]);
    expect(report.restoredMessages).toBe(2);
    expect(report.damagedLines).toEqual([{ lineNumber, queue: "payments", op: "send", problem: "not JSON" }]);
    expect(path.dirname(report.damagedCopy ?? "")).toBe(path.dirname(journal));
    expect(path.basename(report.damagedCopy ?? "")).toMatch(/^journal\.ndjson\.damaged-\d{4}-\d\d-\d\dT/);
    expect(await readFile(report.damagedCopy ?? "", "utf8")).toBe(damagedText);
  });

  it("with repair writes a clean journal, so the next start opens without repair", async () => {
    // Prepare
    await damageSecondSend();

    // Act
    await openStore({ repair: true });
    await closeAll();
    const clean = await readFile(journal, "utf8");
    const reopened = await openStore();

    // Assess
    expect(clean).not.toContain("#garbage");
    expect(
      clean
        .trimEnd()
        .split("\n")
        .map((line) => JSON.parse(line) as unknown),
    ).toHaveLength(1 + 2 + 2);
    expect(reopened.recovery.restoredMessages).toBe(2);
    expect(reopened.recovery.damagedLines).toBeUndefined();
    expect(await bodiesOf(reopened, "orders")).toEqual(["first", "third"]);
  });

  it("tells the operator what was lost, by queue and operation, and where the original is", async () => {
    // Prepare
    const lines = await journalThreeMessages();
    const first = lines.findIndex((line) => line.includes('"first"'));
    const second = lines.findIndex((line) => line.includes('"second"'));
    lines[first] = lines[first]?.replace('"first"', '"fir\u0000') ?? "";
    lines[second] = `${lines[second]?.slice(0, 50)}`;
    lines.splice(second + 1, 0, "\u0000\u0000\u0000");
    await writeFile(journal, lines.join("\n"));

    // Act
    const repaired = await openStore({ repair: true });
    const notices = recoveryNotices(repaired.recovery);

    // Assess
    expect(notices).toHaveLength(1);
    expect(notices[0]?.severity).toBe("warning");
    expect(notices[0]?.text).toContain(
      `repaired the SQS journal ${journal}: kept every valid record and skipped 3`,
    );
    expect(notices[0]?.text).toContain(
      "Lost by queue: orders: 1 (1 send); payments: 1 (1 send); (queue not readable): 1 (1 op not readable).",
    );
    expect(notices[0]?.text).toContain(`line ${first + 1} orders send: not JSON`);
    expect(notices[0]?.text).toContain(`kept as ${repaired.recovery.damagedCopy}`);
    expect(await bodiesOf(repaired, "orders")).toEqual(["third"]);
  });

  it("with repair keeps a whole record written on the same line after a torn one", async () => {
    // Prepare
    const lines = await journalThreeMessages();
    const second = lines.findIndex((line) => line.includes('"second"'));
    const third = lines.findIndex((line) => line.includes('"third"'));
    const merged = `${lines[second]?.slice(0, 60)}${lines[third]}`;
    lines.splice(second, third - second + 1, merged);
    await writeFile(journal, lines.join("\n"));

    // Act
    const refusal = await QueueStore.open({ queues, stateDir }).catch((error: unknown) => error);
    const repaired = await openStore({ repair: true });

    // Assess
    expect(refusal).toBeInstanceOf(SqsJournalError);
    expect(repaired.recovery.damagedLines).toEqual([
      expect.objectContaining({ lineNumber: second + 1, queue: "payments", op: "send" }),
    ]);
    expect(await bodiesOf(repaired, "orders")).toEqual(["first", "third"]);
  });

  it("refuses a line that is JSON but not a record replay could apply, and repair skips it", async () => {
    // Prepare
    const lines = await journalThreeMessages();
    const second = lines.findIndex((line) => line.includes('"second"'));
    lines[second] = JSON.stringify({ op: "send", queue: "payments", mess: {} });
    await writeFile(journal, lines.join("\n"));

    // Act
    const refusal = await QueueStore.open({ queues, stateDir }).catch((error: unknown) => error);
    const repaired = await openStore({ repair: true });

    // Assess
    expect(refusal).toBeInstanceOf(SqsJournalError);
    expect((refusal as Error).message).toContain(`damaged at line ${second + 1} (queue payments, op send): `);
    expect((refusal as Error).message).toContain(
      "is a send record whose message is missing or not a message.",
    );
    expect(repaired.recovery.damagedLines).toEqual([
      {
        lineNumber: second + 1,
        queue: "payments",
        op: "send",
        problem: "a send record whose message is missing or not a message",
      },
    ]);
    expect(await bodiesOf(repaired, "orders")).toEqual(["first", "third"]);
  });

  it("with repair skips a damaged header line and keeps the records after it", async () => {
    // Prepare
    const lines = await journalThreeMessages();
    lines[0] = "\u0000".repeat(lines[0]?.length ?? 10);
    await writeFile(journal, lines.join("\n"));

    // Act
    const refusal = await QueueStore.open({ queues, stateDir }).catch((error: unknown) => error);
    const repaired = await openStore({ repair: true });

    // Assess
    expect((refusal as Error).message).toContain(`The SQS journal ${journal} is damaged at line 1: `);
    expect(repaired.recovery.damagedLines).toEqual([{ lineNumber: 1, problem: "not JSON" }]);
    expect(await bodiesOf(repaired, "orders")).toEqual(["first", "third"]);
    expect(await bodiesOf(repaired, "payments")).toEqual(["second"]);
  });

  it("never overwrites an earlier copy of a damaged journal", async () => {
    // Prepare
    const clock = new ManualClock();
    await damageSecondSend();
    const first = await openStore({ repair: true, clock });
    const firstCopy = first.recovery.damagedCopy;
    await closeAll();
    await appendFile(journal, "also damaged\n");

    // Act
    const second = await openStore({ repair: true, clock });

    // Assess
    expect(second.recovery.damagedCopy).not.toBe(firstCopy);
    expect(await readFile(firstCopy ?? "", "utf8")).toContain("#garbage");
    expect(await readFile(second.recovery.damagedCopy ?? "", "utf8")).toContain("also damaged");
  });

  it("does nothing to a clean journal when repair is asked for", async () => {
    // Prepare
    await journalThreeMessages();

    // Act
    const store = await openStore({ repair: true });

    // Assess
    expect(store.recovery.damagedLines).toBeUndefined();
    expect(store.recovery.damagedCopy).toBeUndefined();
    expect(recoveryNotices(store.recovery)).toEqual([]);
    expect(await readdir(path.dirname(journal))).toEqual(
      expect.not.arrayContaining([expect.stringContaining(".damaged-")]),
    );
  });
});

describe("a journal whose last write was cut short", () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), "sqs-torn-"));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("is recovered without repair and the notice names the bytes dropped and the queue", async () => {
    // Prepare
    const store = await QueueStore.open({ queues, stateDir });
    await queueNamed(store, "orders").send({ body: "acknowledged" });
    await store.close();
    const journal = path.join(stateDir, "sqs", "journal.ndjson");
    const torn = '{"op":"send","queue":"payments","message":{"id":"x","bo';
    await appendFile(journal, torn);

    // Act
    const recovered = await QueueStore.open({ queues, stateDir });
    const notices = recoveryNotices(recovered.recovery);
    const received = await queueNamed(recovered, "orders").receive();
    await recovered.close();

    // Assess
    expect(recovered.recovery).toMatchObject({
      discardedTailBytes: torn.length,
      discardedTailQueue: "payments",
      discardedTailOp: "send",
    });
    expect(notices).toEqual([
      {
        severity: "info",
        text: `recovered the SQS journal ${journal} after a crash: dropped its torn last record (${torn.length} bytes, queue payments, op send), a write cut short that was never acknowledged`,
      },
    ]);
    expect(received.map((message) => message.body)).toEqual(["acknowledged"]);
    expect(await readFile(journal, "utf8")).not.toContain(torn);
  });
});
