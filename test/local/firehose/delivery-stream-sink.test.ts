import { type FileHandle, mkdir, mkdtemp, open, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import { clockWithTime } from "../../../lib/local/clock";
import {
  AuditSpoolError,
  DeliveryStreamSink,
  evaluatePrefix,
  FirehoseRecordError,
  MAX_RECORD_BYTES,
} from "../../../lib/local/firehose/delivery-stream-sink";
import type { LocalDeliveryStreamDefinition } from "../../../lib/local/model";

const stream: LocalDeliveryStreamDefinition = {
  logicalId: "Stream",
  name: "audit",
  arn: "arn:aws:firehose:us-east-1:000000000000:deliverystream/audit",
  bucketName: "audit-bucket",
  prefix: "events/dt=!{timestamp:yyyy-MM-dd}/",
  errorOutputPrefix: "errors/",
  bufferingIntervalSeconds: 60,
  bufferingSizeMiB: 5,
  compression: "GZIP",
  appendNewline: true,
};

async function listObjects(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(root, path.join(e.parentPath, e.name)));
}

/** Every record in the stream's objects, sorted. */
async function writtenRecords(stateDir: string): Promise<string[]> {
  const bucket = path.join(stateDir, "s3", "audit-bucket");
  const records: string[] = [];
  for (const key of await listObjects(bucket)) {
    const body = gunzipSync(await readFile(path.join(bucket, key))).toString();
    records.push(...body.split("\n").filter((line) => line.length > 0));
  }
  return records.toSorted();
}

describe("the local Firehose delivery stream", () => {
  it("evaluates timestamp prefixes with the arrival time and appends YYYY/MM/dd/HH/ without expressions", () => {
    const arrival = new Date("2026-11-23T09:05:00Z");

    expect(evaluatePrefix("events/dt=!{timestamp:yyyy-MM-dd}/", arrival)).toBe("events/dt=2026-11-23/");
    expect(evaluatePrefix("raw/", arrival)).toBe("raw/2026/11/23/09/");
  });

  it("writes buffered records as one gzip object, one JSON record per line, under Firehose's key", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const sink = new DeliveryStreamSink({
      stream,
      stateDir,
      clock: clockWithTime(() => Date.parse("2026-11-23T09:05:07Z")),
    });
    await sink.open();

    await sink.put('{"id":"1"}');
    await sink.put('{"id":"2"}');
    await sink.flush();

    const objects = await listObjects(path.join(stateDir, "s3", "audit-bucket"));
    expect(objects).toHaveLength(1);
    expect(objects[0]).toMatch(/^events\/dt=2026-11-23\/audit-1-2026-11-23-09-05-07-[0-9a-f-]{36}\.gz$/);
    const body = gunzipSync(
      await readFile(path.join(stateDir, "s3", "audit-bucket", objects[0] as string)),
    ).toString();
    expect(body).toBe('{"id":"1"}\n{"id":"2"}\n');
    await sink.close();
  });

  it("recovers spooled records after the process stopped without flushing", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const first = new DeliveryStreamSink({ stream, stateDir });
    await first.open();
    await first.put('{"id":"kept"}');

    const restarted = new DeliveryStreamSink({ stream, stateDir });
    await restarted.open();

    const objects = await listObjects(path.join(stateDir, "s3", "audit-bucket"));
    expect(objects).toHaveLength(1);
    const body = gunzipSync(
      await readFile(path.join(stateDir, "s3", "audit-bucket", objects[0] as string)),
    ).toString();
    expect(body).toBe('{"id":"kept"}\n');
    await restarted.close();
    await first.close();
  });

  it("refuses a record over 1,000 KiB, naming its size and the limit", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const sink = new DeliveryStreamSink({ stream, stateDir });
    await sink.open();

    const put = sink.put("x".repeat(MAX_RECORD_BYTES + 1));

    await expect(put).rejects.toThrow(FirehoseRecordError);
    await expect(sink.put("x".repeat(MAX_RECORD_BYTES + 1))).rejects.toThrow(
      /1024001 bytes exceeds Firehose's limit of 1024000 bytes/,
    );
    await sink.close();
  });
});

describe("the local Firehose delivery stream's durability and failures", () => {
  const spoolDir = (stateDir: string) => path.join(stateDir, "firehose", "audit");

  it("has every record on disk in the spool when put resolves, many concurrent records included", async () => {
    // Prepare
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const sink = new DeliveryStreamSink({ stream, stateDir });
    await sink.open();

    // Act: as a crash would see it, right after the puts resolved and before any flush.
    await Promise.all(Array.from({ length: 50 }, (_, n) => sink.put(`{"id":"${n}"}`)));
    const spooled = (await readFile(path.join(spoolDir(stateDir), "spool.ndjson"), "utf8"))
      .split("\n")
      .filter((line) => line.length > 0)
      .map((line) => JSON.parse(line) as string);
    const recovered = new DeliveryStreamSink({ stream, stateDir });
    await recovered.open();

    // Assess
    expect(spooled.toSorted()).toEqual(Array.from({ length: 50 }, (_, n) => `{"id":"${n}"}`).toSorted());
    expect(recovered.status().pendingRecords).toBe(0);
    const objects = await listObjects(path.join(stateDir, "s3", "audit-bucket"));
    const lines = gunzipSync(await readFile(path.join(stateDir, "s3", "audit-bucket", objects[0] as string)))
      .toString()
      .split("\n")
      .filter((line) => line.length > 0);
    expect(lines).toHaveLength(50);
    await sink.close();
    await recovered.close();
  });

  it("keeps accepting records and retries when an object cannot be written, losing none", async () => {
    // Prepare: a file where the bucket's day folder must go; retries come every few ms.
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const lines: string[] = [];
    const now = () => Date.parse("2026-11-23T09:05:07Z");
    const sink = new DeliveryStreamSink({
      stream,
      stateDir,
      clock: clockWithTime(now),
      timeScale: 1_000,
      log: (l) => lines.push(l),
    });
    await sink.open();
    const blocked = path.join(stateDir, "s3", "audit-bucket", "events");
    await mkdir(path.dirname(blocked), { recursive: true });
    await writeFile(blocked, "not a folder");

    // Act: neither put nor flush throws; the scheduled retries fail on their own.
    await sink.put('{"id":"1"}');
    await sink.flush();
    await sink.put('{"id":"2"}');
    await sink.flush();
    await vi.waitFor(() => expect(sink.status().failing?.attempts).toBeGreaterThanOrEqual(3));
    const whileBlocked = sink.status();
    const failures = lines.filter((line) => line.startsWith("AUDIT WRITE FAILED"));
    await rm(blocked);
    await vi.waitFor(() => expect(sink.status().pendingRecords).toBe(0));

    // Assess: reported once per attempt, with the file in the way and the fix; then nothing lost.
    expect(whileBlocked.pendingRecords).toBe(2);
    expect(whileBlocked.failing).toMatchObject({
      since: now(),
      error: expect.stringMatching(/^(ENOTDIR|EEXIST)/),
      file: expect.stringContaining(path.join(stateDir, "s3", "audit-bucket", "events", "dt=2026-11-23")),
      fix: expect.stringContaining(`${blocked} is a file where a folder must be`),
    });
    expect(failures.length).toBeGreaterThanOrEqual(whileBlocked.failing?.attempts ?? 0);
    expect(failures.map((line) => /\(attempt (\d+)\)/.exec(line)?.[1])).toEqual(
      failures.map((_, index) => String(index + 1)),
    );
    expect(failures.at(-1)).toContain(`mv '${blocked}' '${blocked}.moved'`);
    expect(failures.at(-1)).toContain("2 events stay spooled");
    expect(sink.status().failing).toBeUndefined();
    expect(sink.status().lastWrittenAt).toBe(now());
    expect(lines.some((line) => line.includes("works again after"))).toBe(true);
    expect(await writtenRecords(stateDir)).toEqual(['{"id":"1"}', '{"id":"2"}']);
    expect(await readdir(path.join(stateDir, "firehose", "audit"))).toEqual(["spool.ndjson"]);
    await sink.close();
  });

  it("holds the back-off while writes fail: flushes add no attempts, and a retry on demand writes everything", async () => {
    // Prepare: the first retry would come after 100 s, longer than any test runs.
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const lines: string[] = [];
    const sink = new DeliveryStreamSink({ stream, stateDir, timeScale: 0.01, log: (l) => lines.push(l) });
    await sink.open();
    const blocked = path.join(stateDir, "s3", "audit-bucket");
    await mkdir(path.dirname(blocked), { recursive: true });
    await writeFile(blocked, "not a folder");

    // Act
    for (let n = 0; n < 5; n++) {
      await Promise.all(Array.from({ length: 10 }, (_, m) => sink.put(`{"id":"${n}-${m}"}`)));
      await sink.flush();
    }
    const whileBlocked = sink.status();
    await rm(blocked);
    await sink.retryNow();

    // Assess
    expect(whileBlocked).toMatchObject({ pendingRecords: 50, failing: { attempts: 1 } });
    expect(lines.filter((line) => line.startsWith("AUDIT WRITE FAILED"))).toHaveLength(1);
    expect(sink.status()).toEqual({ stream: "audit", pendingRecords: 0, lastWrittenAt: expect.any(Number) });
    expect(await writtenRecords(stateDir)).toHaveLength(50);
    await sink.close();
  });

  it("starts with a blocked bucket folder instead of crashing, and keeps the recovered records spooled", async () => {
    // Prepare
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const first = new DeliveryStreamSink({ stream, stateDir });
    await first.open();
    await first.put('{"id":"1"}');
    await mkdir(path.join(stateDir, "s3", "audit-bucket"), { recursive: true });
    await writeFile(path.join(stateDir, "s3", "audit-bucket", "events"), "not a folder");

    const lines: string[] = [];

    // Act
    const second = new DeliveryStreamSink({ stream, stateDir, log: (line) => lines.push(line) });
    const recovery = await second.open();
    await second.close();
    await first.close();
    const third = new DeliveryStreamSink({ stream, stateDir });
    await third.open();
    const stillSpooled = third.status().pendingRecords;
    await third.close();

    // Assess
    expect(recovery.recoveredRecords).toBe(1);
    expect(second.status()).toMatchObject({ pendingRecords: 1, failing: { attempts: 1 } });
    expect(lines.filter((line) => line.startsWith("AUDIT WRITE FAILED"))).toHaveLength(1);
    expect(stillSpooled).toBe(1);
  });

  it("drops and reports a torn last spool line, and refuses a damaged middle line naming the file and line", async () => {
    // Prepare
    const torn = await mkdtemp(path.join(tmpdir(), "firehose-"));
    await mkdir(spoolDir(torn), { recursive: true });
    await writeFile(
      path.join(spoolDir(torn), "spool.ndjson"),
      `${JSON.stringify('{"id":"1"}')}\n"{\\"id\\":"`,
    );
    const damaged = await mkdtemp(path.join(tmpdir(), "firehose-"));
    await mkdir(spoolDir(damaged), { recursive: true });
    await writeFile(
      path.join(spoolDir(damaged), "spool.ndjson"),
      `${JSON.stringify('{"id":"1"}')}\n{oops\n${JSON.stringify('{"id":"3"}')}\n`,
    );
    const lines: string[] = [];

    // Act
    const recovering = new DeliveryStreamSink({ stream, stateDir: torn, log: (line) => lines.push(line) });
    await recovering.open();
    const refusing = new DeliveryStreamSink({ stream, stateDir: damaged });
    const refusal = await refusing.open().then(
      () => undefined,
      (error: unknown) => error,
    );

    // Assess
    expect(
      lines.some((line) => line.includes("dropped a torn last line") && line.includes("(10 bytes")),
    ).toBe(true);
    expect(refusal).toBeInstanceOf(AuditSpoolError);
    expect((refusal as Error).message).toContain(
      `${path.join(spoolDir(damaged), "spool.ndjson")} is damaged at line 2`,
    );
    expect((refusal as Error).message).toContain("eventrail local --repair");
    expect(refusal).toMatchObject({ file: path.join(spoolDir(damaged), "spool.ndjson"), lineNumber: 2 });
    expect(await readFile(path.join(spoolDir(damaged), "spool.ndjson"), "utf8")).toContain("{oops");
    await recovering.close();
  });
});

describe("the local Firehose delivery stream's flushes", () => {
  it("still writes objects after a flush that found nothing to write", async () => {
    // Prepare
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const sink = new DeliveryStreamSink({ stream, stateDir });
    await sink.open();

    // Act
    await sink.flush();
    await sink.put('{"id":"1"}');
    await sink.flush();
    await sink.put('{"id":"2"}');
    await sink.flush();

    // Assess
    expect(await listObjects(path.join(stateDir, "s3", "audit-bucket"))).toHaveLength(2);
    expect(sink.status().pendingRecords).toBe(0);
    await sink.close();
  });
});

describe("the local Firehose delivery stream's spool", () => {
  const spoolDir = (stateDir: string) => path.join(stateDir, "firehose", "audit");

  /** The prototype of Node's FileHandle, to count and fail its syncs. */
  async function fileHandlePrototype(stateDir: string): Promise<FileHandle> {
    const handle = await open(path.join(stateDir, "probe"), "w");
    await handle.close();
    return Object.getPrototypeOf(handle) as FileHandle;
  }

  it("group-commits: records put together share one write and one fdatasync", async () => {
    // Prepare
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const sink = new DeliveryStreamSink({ stream, stateDir });
    await sink.open();
    const datasync = vi.spyOn(await fileHandlePrototype(stateDir), "datasync");

    // Act
    await Promise.all(Array.from({ length: 100 }, (_, n) => sink.put(`{"id":"${n}"}`)));
    const syncs = datasync.mock.calls.length;
    datasync.mockRestore();

    // Assess
    expect(syncs).toBe(1);
    expect(sink.status().pendingRecords).toBe(100);
    await sink.close();
  });

  it("cuts a failed append off the spool, so only acknowledged records are recovered", async () => {
    // Prepare: the second commit's fdatasync fails after its bytes were written.
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const sink = new DeliveryStreamSink({ stream, stateDir });
    await sink.open();
    await sink.put('{"id":"1"}');
    const datasync = vi
      .spyOn(await fileHandlePrototype(stateDir), "datasync")
      .mockRejectedValueOnce(Object.assign(new Error("EIO: i/o error, fdatasync"), { code: "EIO" }));

    // Act
    const failed = await sink.put('{"id":"lost"}').then(
      () => undefined,
      (error: unknown) => error,
    );
    datasync.mockRestore();
    await sink.put('{"id":"3"}');
    const spooled = await readFile(path.join(spoolDir(stateDir), "spool.ndjson"), "utf8");
    const recovered = new DeliveryStreamSink({ stream, stateDir });
    await recovered.open();

    // Assess
    expect((failed as Error).message).toContain(
      `Cannot append to the audit spool ${path.join(spoolDir(stateDir), "spool.ndjson")}: EIO`,
    );
    expect(spooled).toBe(`${JSON.stringify('{"id":"1"}')}\n${JSON.stringify('{"id":"3"}')}\n`);
    expect(await writtenRecords(stateDir)).toEqual(['{"id":"1"}', '{"id":"3"}']);
    await sink.close();
    await recovered.close();
  });

  it("repairs a damaged spool on demand: keeps every valid record, reports the damaged lines and keeps the file", async () => {
    // Prepare
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    await mkdir(spoolDir(stateDir), { recursive: true });
    const file = path.join(spoolDir(stateDir), "spool.ndjson");
    const damaged = `${JSON.stringify('{"id":"1"}')}\n{oops\n${JSON.stringify('{"id":"3"}')}\n42\n${JSON.stringify('{"id":"5"}')}\n`;
    await writeFile(file, damaged);
    const lines: string[] = [];

    // Act
    const refusal = await new DeliveryStreamSink({ stream, stateDir }).open().then(
      () => undefined,
      (error: unknown) => error,
    );
    const sink = new DeliveryStreamSink({ stream, stateDir, log: (line) => lines.push(line) });
    const recovery = await sink.open({ repair: true });

    // Assess
    expect((refusal as Error).message).toContain(`${file} is damaged at line 2 (and 1 more: lines 4)`);
    expect(recovery).toMatchObject({
      recoveredRecords: 3,
      damagedLines: [
        { file, lineNumber: 2 },
        { file, lineNumber: 4 },
      ],
    });
    expect(await readFile(recovery.damagedCopies[0] as string, "utf8")).toBe(damaged);
    expect(lines.some((line) => line.includes(`skipped 2 damaged lines of ${file} (lines 2, 4)`))).toBe(true);
    expect(await writtenRecords(stateDir)).toEqual(['{"id":"1"}', '{"id":"3"}', '{"id":"5"}']);
    await sink.close();
  });

  it("keeps records spooled in a torn file and drops only the torn tail, with its file and bytes", async () => {
    // Prepare: an object's spool was moved aside, then the process was killed mid-append.
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    await mkdir(spoolDir(stateDir), { recursive: true });
    const rotated = path.join(spoolDir(stateDir), "spool-1-abcd.ndjson");
    await writeFile(rotated, `${JSON.stringify('{"id":"1"}')}\n`);
    const current = path.join(spoolDir(stateDir), "spool.ndjson");
    await writeFile(current, `${JSON.stringify('{"id":"2"}')}\n${JSON.stringify('{"id":"3"}')}`);
    const lines: string[] = [];

    // Act
    const sink = new DeliveryStreamSink({ stream, stateDir, log: (line) => lines.push(line) });
    const recovery = await sink.open();

    // Assess
    expect(recovery).toMatchObject({ recoveredRecords: 2, droppedTails: [{ file: current, bytes: 16 }] });
    expect(lines).toContain(
      `audit: dropped a torn last line of ${current} (16 bytes, a write cut short by a stop; it was never acknowledged)`,
    );
    expect(await writtenRecords(stateDir)).toEqual(['{"id":"1"}', '{"id":"2"}']);
    await sink.close();
  });
});
