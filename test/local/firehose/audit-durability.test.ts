import { spawn } from "node:child_process";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DeliveryStreamSink } from "../../../lib/local/firehose/delivery-stream-sink";
import { auditStream } from "./fixtures/audit-stream";

const WRITER = fileURLToPath(new URL("./fixtures/audit-writer.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/** Each writer is killed once it has announced this many effects. */
const EFFECTS_BEFORE_KILL = 600;
const KILL_CYCLES = 2;

/**
 * Runs the writer until it has announced `EFFECTS_BEFORE_KILL` more effects, then kills it with
 * SIGKILL; adds the orders whose effects happened to `effects`. Resolves with the effects announced.
 */
async function runWriterUntilKilled(stateDir: string, effects: Set<string>): Promise<number> {
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
  let thisRun = 0;
  let killed = false;
  // Reads past the kill: effects already in the pipe when the writer died happened too.
  for await (const line of createInterface({ input: child.stdout })) {
    const [kind, orderId] = line.split(" ");
    if (kind !== "EFFECT" || orderId === undefined) continue;
    effects.add(orderId);
    thisRun++;
    if (!killed && thisRun >= EFFECTS_BEFORE_KILL) killed = child.kill("SIGKILL");
  }
  const signal = await exited;
  if (signal !== "SIGKILL") throw new Error(`the writer ended by itself (signal ${signal}):\n${stderr}`);
  return thisRun;
}

/** The orderIds of every event in the audit objects. */
async function auditedOrders(stateDir: string): Promise<Set<string>> {
  const bucket = path.join(stateDir, "s3", auditStream.bucketName);
  const orders = new Set<string>();
  const entries = await readdir(bucket, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries.filter((e) => e.isFile() && e.name.endsWith(".gz"))) {
    const body = gunzipSync(await readFile(path.join(entry.parentPath, entry.name))).toString();
    for (const line of body.split("\n").filter((l) => l.length > 0)) {
      orders.add((JSON.parse(line) as { detail: { orderId: string } }).detail.orderId);
    }
  }
  return orders;
}

describe("the audit trail across kill -9", () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-audit-kill-"));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it("holds every event whose effects happened once the stream restarts", async () => {
    // Prepare and act: a burst killed mid-stream, twice; then the stream starts again.
    const effects = new Set<string>();
    let announced = 0;
    for (let cycle = 0; cycle < KILL_CYCLES; cycle++)
      announced += await runWriterUntilKilled(stateDir, effects);
    const restarted = new DeliveryStreamSink({ stream: auditStream, stateDir });
    await restarted.open();
    await restarted.close();

    // Assess
    const audited = await auditedOrders(stateDir);
    const missing = [...effects].filter((orderId) => !audited.has(orderId));
    expect(announced).toBeGreaterThanOrEqual(KILL_CYCLES * EFFECTS_BEFORE_KILL);
    expect(missing).toEqual([]);
    expect(restarted.status()).toMatchObject({ pendingRecords: 0 });
  });
});
