import { mkdtemp, readdir, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { SqsJournalError } from "../../../lib/local/sqs/errors";
import { QueueStore } from "../../../lib/local/sqs/queue-store";
import { queueDefinition, queueNamed } from "./queue-fixtures";

const queues = [queueDefinition("orders"), queueDefinition("payments")];

/** A state folder whose journal holds three messages, the send of the second damaged. */
async function damagedState(): Promise<{ stateDir: string; journal: string }> {
  const stateDir = await mkdtemp(path.join(tmpdir(), "sqs-repair-"));
  const store = await QueueStore.open({ queues, stateDir });
  await queueNamed(store, "orders").send({ body: "first" });
  await queueNamed(store, "payments").send({ body: "second" });
  await queueNamed(store, "orders").send({ body: "third" });
  await store.close();
  const journal = path.join(stateDir, "sqs", "journal.ndjson");
  const lines = (await readFile(journal, "utf8")).split("\n");
  const second = lines.findIndex((line) => line.includes('"second"'));
  lines[second] = `${lines[second]?.slice(0, 40)}#garbage`;
  await writeFile(journal, lines.join("\n"));
  return { stateDir, journal };
}

describe("a damaged SQS journal", () => {
  it("stops the start naming the file, the line and the repair command", async () => {
    // Prepare
    const { stateDir, journal } = await damagedState();

    // Act
    const refusal = await QueueStore.open({ queues, stateDir }).catch((error: unknown) => error);

    // Assess
    expect(refusal).toBeInstanceOf(SqsJournalError);
    expect((refusal as Error).message).toMatch(
      new RegExp(`${journal.replaceAll("/", "\\/")} is damaged at line \\d+`),
    );
    expect((refusal as Error).message).toContain("eventrail local --repair");
  });

  it("is salvaged with repair: every valid record kept, the damaged one reported by queue, a clean journal written", async () => {
    // Prepare
    const { stateDir, journal } = await damagedState();

    // Act
    const repaired = await QueueStore.open({ queues, stateDir, repair: true });
    const orders = await queueNamed(repaired, "orders").receive({ maxMessages: 10 });
    const payments = await queueNamed(repaired, "payments").receive({ maxMessages: 10 });
    const report = repaired.recovery;
    await repaired.close();
    const reopened = await QueueStore.open({ queues, stateDir });
    await reopened.close();
    const files = await readdir(path.dirname(journal));

    // Assess
    expect(orders.map((m) => m.body).toSorted()).toEqual(["first", "third"]);
    expect(payments).toEqual([]);
    expect(report.damagedLines).toEqual([expect.objectContaining({ queue: "payments", op: "send" })]);
    expect(files).toContain(path.basename(report.damagedCopy ?? "missing"));
  });
});
