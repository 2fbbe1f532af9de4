import { describe, expect, it } from "vitest";
import { TableLocks } from "../../../lib/local/dynamodb/table-locks";

/** A piece of work that records when it runs and finishes only when told to. */
function heldWork(name: string, events: string[]) {
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  return {
    run: async () => {
      events.push(`${name} runs`);
      await finished;
      events.push(`${name} done`);
    },
    finish: () => finish(),
  };
}

/** Lets every pending promise continuation run. */
async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
}

describe("TableLocks", () => {
  it("runs readers of one table together", async () => {
    // Prepare
    const locks = new TableLocks();
    const events: string[] = [];
    const first = heldWork("reader 1", events);
    const second = heldWork("reader 2", events);

    // Act
    const running = [locks.withShared(["t"], first.run), locks.withShared(["t"], second.run)];
    await settle();
    const whileBothHeld = [...events];
    first.finish();
    second.finish();
    await Promise.all(running);

    // Assess
    expect(whileBothHeld).toEqual(["reader 1 runs", "reader 2 runs"]);
  });

  it("makes a writer wait for the reader before it, and a later reader wait for the writer", async () => {
    // Prepare
    const locks = new TableLocks();
    const events: string[] = [];
    const reader = heldWork("reader", events);
    const writer = heldWork("writer", events);
    const lateReader = heldWork("late reader", events);

    // Act
    const running = [
      locks.withShared(["t"], reader.run),
      locks.withExclusive(["t"], writer.run),
      locks.withShared(["t"], lateReader.run),
    ];
    await settle();
    reader.finish();
    await settle();
    writer.finish();
    await settle();
    lateReader.finish();
    await Promise.all(running);

    // Assess
    expect(events).toEqual([
      "reader runs",
      "reader done",
      "writer runs",
      "writer done",
      "late reader runs",
      "late reader done",
    ]);
  });

  it("does not make work on other tables wait", async () => {
    // Prepare
    const locks = new TableLocks();
    const events: string[] = [];
    const writerOfA = heldWork("writer of a", events);
    const writerOfB = heldWork("writer of b", events);

    // Act
    const running = [locks.withExclusive(["a"], writerOfA.run), locks.withExclusive(["b"], writerOfB.run)];
    await settle();
    const whileBothHeld = [...events];
    writerOfA.finish();
    writerOfB.finish();
    await Promise.all(running);

    // Assess
    expect(whileBothHeld).toEqual(["writer of a runs", "writer of b runs"]);
  });

  it("releases a table when the work under it fails", async () => {
    // Prepare
    const locks = new TableLocks();
    await locks.withExclusive(["t"], () => Promise.reject(new Error("failed"))).catch(() => undefined);

    // Act
    const result = await locks.withExclusive(["t"], () => Promise.resolve("ran"));

    // Assess
    expect(result).toBe("ran");
  });
});

/** Work that runs until released, recording when it started. */
function itemWork(started: string[], name: string): { run: () => Promise<void>; release: () => void } {
  let release = (): void => {};
  const done = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    run: async () => {
      started.push(name);
      await done;
    },
    release: () => release(),
  };
}

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const item = (pk: string) => ({ tableName: "orders", key: { pk: { S: pk } } });

describe("TableLocks per item", () => {
  it("runs writes to different items of one table at the same time", async () => {
    // Prepare
    const locks = new TableLocks();
    const started: string[] = [];
    const a = itemWork(started, "a");
    const b = itemWork(started, "b");

    // Act
    const first = locks.withExclusiveItems([item("a")], a.run);
    const second = locks.withExclusiveItems([item("b")], b.run);
    await flush();

    // Assess
    expect(started).toEqual(["a", "b"]);
    a.release();
    b.release();
    await Promise.all([first, second]);
  });

  it("makes a write to the same item wait, whatever the order of its key attributes", async () => {
    // Prepare
    const locks = new TableLocks();
    const started: string[] = [];
    const first = itemWork(started, "first");
    const second = itemWork(started, "second");

    // Act
    const running = locks.withExclusiveItems(
      [{ tableName: "orders", key: { pk: { S: "a" }, sk: { S: "1" } } }],
      first.run,
    );
    const waiting = locks.withSharedItems(
      [{ tableName: "orders", key: { sk: { S: "1" }, pk: { S: "a" } } }],
      second.run,
    );
    await flush();
    const whileHeld = [...started];
    first.release();
    await running;
    await flush();

    // Assess
    expect(whileHeld).toEqual(["first"]);
    expect(started).toEqual(["first", "second"]);
    second.release();
    await waiting;
  });

  it("keeps a whole-table read away from item writes of that table, and no further", async () => {
    // Prepare
    const locks = new TableLocks();
    const started: string[] = [];
    const write = itemWork(started, "write orders/a");
    const scan = itemWork(started, "scan orders");
    const other = itemWork(started, "write stock/x");

    // Act
    const writing = locks.withExclusiveItems([item("a")], write.run);
    const scanning = locks.withShared(["orders"], scan.run);
    const otherTable = locks.withExclusiveItems([{ tableName: "stock", key: { pk: { S: "x" } } }], other.run);
    await flush();
    const whileWriting = [...started];
    write.release();
    await writing;
    await flush();

    // Assess
    expect(whileWriting).toEqual(["write orders/a", "write stock/x"]);
    expect(started).toContain("scan orders");
    scan.release();
    other.release();
    await Promise.all([scanning, otherTable]);
  });
});
