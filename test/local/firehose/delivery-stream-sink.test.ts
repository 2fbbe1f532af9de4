import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import {
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
