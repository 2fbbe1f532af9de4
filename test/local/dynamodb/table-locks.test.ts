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
