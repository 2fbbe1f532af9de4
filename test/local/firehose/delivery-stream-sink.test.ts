import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
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

describe("the local Firehose delivery stream", () => {
  it("evaluates timestamp prefixes with the arrival time and appends YYYY/MM/dd/HH/ without expressions", () => {
    const arrival = new Date("2026-11-23T09:05:00Z");

    expect(evaluatePrefix("events/dt=!{timestamp:yyyy-MM-dd}/", arrival)).toBe("events/dt=2026-11-23/");
    expect(evaluatePrefix("raw/", arrival)).toBe("raw/2026/11/23/09/");
  });

  it("writes buffered records as one gzip object, one JSON record per line, under Firehose's key", async () => {
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const sink = new DeliveryStreamSink({ stream, stateDir, now: () => Date.parse("2026-11-23T09:05:07Z") });
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
    // Prepare: a file where the bucket's day folder must go.
    const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-"));
    const lines: string[] = [];
    const now = () => Date.parse("2026-11-23T09:05:07Z");
    const sink = new DeliveryStreamSink({
      stream,
      stateDir,
      now,
      timeScale: 1_000,
      log: (l) => lines.push(l),
    });
    await sink.open();
    const blocked = path.join(stateDir, "s3", "audit-bucket", "events");
    await mkdir(path.dirname(blocked), { recursive: true });
    await writeFile(blocked, "not a folder");

    // Act
    await sink.put('{"id":"1"}');
    await sink.flush();
    await sink.put('{"id":"2"}');
    await sink.flush();
    const whileBlocked = sink.status();
    await rm(blocked);
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Assess
    expect(whileBlocked.pendingRecords).toBe(2);
    expect(whileBlocked.failing).toMatchObject({ attempts: expect.any(Number) });
    expect(
      lines.some((line) => line.startsWith("AUDIT WRITE FAILED") && line.includes("2 events stay spooled")),
    ).toBe(true);
    expect(sink.status()).toMatchObject({ pendingRecords: 0 });
    expect(sink.status().failing).toBeUndefined();
    const objects = await listObjects(path.join(stateDir, "s3", "audit-bucket"));
    const written = await Promise.all(
      objects.map(async (key) =>
        gunzipSync(await readFile(path.join(stateDir, "s3", "audit-bucket", key))).toString(),
      ),
    );
    expect(written.join("").split("\n").filter(Boolean).toSorted()).toEqual(['{"id":"1"}', '{"id":"2"}']);
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

    // Act
    const second = new DeliveryStreamSink({ stream, stateDir, log: () => {} });
    await second.open();

    // Assess
    expect(second.status()).toMatchObject({ pendingRecords: 1, failing: { attempts: 1 } });
    await second.close();
    await first.close();
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
