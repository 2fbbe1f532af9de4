import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock } from "../../../lib/local/clock";
import { QueueStore } from "../../../lib/local/sqs/queue-store";
import { queueDefinition, queueNamed } from "./queue-fixtures";

const WRITER = fileURLToPath(new URL("./fixtures/sqs-writer.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Each writer is killed once it has announced this many acknowledged sends. */
const SENDS_BEFORE_KILL = 300;
const KILL_CYCLES = 3;

interface WriterLog {
  readonly sent: Set<string>;
  readonly deleting: Set<string>;
  readonly deleted: Set<string>;
}

/**
 * Runs the writer on `stateDir` until it has announced `SENDS_BEFORE_KILL` more sends, then kills
 * it with SIGKILL mid-stream and waits for it to die. Records every line it announced.
 * Resolves with the signal that ended it; throws when it ended any other way.
 */
async function runWriterUntilKilled(stateDir: string, log: WriterLog): Promise<NodeJS.Signals | null> {
  const child = spawn(process.execPath, ["--import", "tsx", WRITER, stateDir], {
    cwd: REPO_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString("utf8");
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once("exit", (_code, signal) => resolve(signal)),
  );
  let sentThisRun = 0;
  let killed = false;
  // Reads to the end of the output, past the kill: lines already in the pipe when the writer died
  // (a DELETING whose delete may have become durable) must be counted too.
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, id] = line.split(" ");
    if (id === undefined) continue;
    if (kind === "SENT") {
      log.sent.add(id);
      sentThisRun++;
    } else if (kind === "DELETING") log.deleting.add(id);
    else if (kind === "DELETED") log.deleted.add(id);
    if (!killed && sentThisRun >= SENDS_BEFORE_KILL && log.deleted.size > 0) {
      killed = child.kill("SIGKILL");
    }
  }
  const signal = await exited;
  if (signal !== "SIGKILL") throw new Error(`the writer ended by itself (signal ${signal}):\n${stderr}`);
  return signal;
}

describe("durability across kill -9", () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "eventrail-sqs-kill-"));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("delivers every acknowledged send and no acknowledged delete after the process is killed and restarted", async () => {
    const log: WriterLog = { sent: new Set(), deleting: new Set(), deleted: new Set() };
    for (let cycle = 0; cycle < KILL_CYCLES; cycle++) await runWriterUntilKilled(stateDir, log);

    // An hour later, so that messages the writers held in flight are visible again.
    const clock = new ManualClock(Date.now() + 3_600_000);
    const store = await QueueStore.open({ stateDir, clock, queues: [queueDefinition("orders")] });
    const delivered = new Set<string>();
    for (;;) {
      const batch = await queueNamed(store, "orders").receive({
        maxMessages: 10,
        visibilityTimeoutSeconds: 43_200,
      });
      if (batch.length === 0) break;
      for (const message of batch) delivered.add(message.messageId);
    }
    await store.close();

    const mustSurvive = [...log.sent].filter((id) => !log.deleting.has(id));
    const lost = mustSurvive.filter((id) => !delivered.has(id));
    const resurrected = [...log.deleted].filter((id) => delivered.has(id));
    expect(log.sent.size).toBeGreaterThanOrEqual(KILL_CYCLES * SENDS_BEFORE_KILL);
    expect(lost).toEqual([]);
    expect(resurrected).toEqual([]);
  });
});
