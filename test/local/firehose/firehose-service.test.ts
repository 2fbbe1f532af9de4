import { mkdtemp, readdir, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { DeliveryStreamSink, MAX_RECORD_BYTES } from "../../../lib/local/firehose/delivery-stream-sink";
import { createFirehoseService } from "../../../lib/local/firehose/firehose-service";
import type { LocalDeliveryStreamDefinition } from "../../../lib/local/model";

const stream: LocalDeliveryStreamDefinition = {
  logicalId: "Stream",
  name: "audit",
  arn: "arn:aws:firehose:us-east-1:000000000000:deliverystream/audit",
  bucketName: "audit-bucket",
  prefix: "events/dt=!{timestamp:yyyy-MM-dd}/",
  errorOutputPrefix: "errors/",
  bufferingIntervalSeconds: 300,
  bufferingSizeMiB: 64,
  compression: "GZIP",
  appendNewline: true,
};

/** Sinks started by the current test, closed after it (their spool files stay open until then). */
const started: DeliveryStreamSink[] = [];

afterEach(async () => {
  for (const sink of started.splice(0)) await sink.close();
});

async function start() {
  const stateDir = await mkdtemp(path.join(tmpdir(), "firehose-service-"));
  const sink = new DeliveryStreamSink({ stream, stateDir });
  await sink.open();
  started.push(sink);
  return { service: createFirehoseService([sink]), sink, stateDir };
}

async function writtenLines(stateDir: string): Promise<string[]> {
  const root = path.join(stateDir, "s3", "audit-bucket");
  const files = (await readdir(root, { recursive: true, withFileTypes: true })).filter((f) => f.isFile());
  const lines: string[] = [];
  for (const file of files) {
    lines.push(
      ...gunzipSync(await readFile(path.join(file.parentPath, file.name)))
        .toString()
        .split("\n")
        .filter(Boolean),
    );
  }
  return lines;
}

const base64 = (text: string) => Buffer.from(text).toString("base64");

describe("the local Firehose API", () => {
  it("writes PutRecord and PutRecordBatch records to the stream's bucket folder", async () => {
    const { service, sink, stateDir } = await start();

    await service("PutRecord", { DeliveryStreamName: "audit", Record: { Data: base64('{"id":"1"}') } });
    const batch = await service("PutRecordBatch", {
      DeliveryStreamName: "audit",
      Records: [{ Data: base64('{"id":"2"}') }, { Data: base64("x".repeat(MAX_RECORD_BYTES + 1)) }],
    });
    await sink.flush();

    expect(batch).toMatchObject({
      FailedPutCount: 1,
      RequestResponses: [{ RecordId: expect.any(String) }, { ErrorCode: "ServiceUnavailableException" }],
    });
    expect(await writtenLines(stateDir)).toEqual(['{"id":"1"}', '{"id":"2"}']);
  });

  it("names an unknown stream and the ones the template declares", async () => {
    const { service } = await start();

    const call = service("PutRecord", { DeliveryStreamName: "nope", Record: { Data: base64("{}") } });

    await expect(call).rejects.toMatchObject({ code: "ResourceNotFoundException" });
    await expect(call).rejects.toThrow(/The template declares: audit/);
  });

  it("refuses an operation it does not implement, naming it", async () => {
    const { service } = await start();

    await expect(service("CreateDeliveryStream", {})).rejects.toThrow(
      /does not implement CreateDeliveryStream/,
    );
  });

  it.each([
    [
      "a Records member that is not a list",
      { DeliveryStreamName: "audit", Records: "x" },
      "Cannot read member Records",
    ],
    [
      "a Record that is not a structure",
      { DeliveryStreamName: "audit", Record: "x" },
      "Cannot read member Record",
    ],
    [
      "a Data that is not a string",
      { DeliveryStreamName: "audit", Record: { Data: 5 } },
      "Cannot read member Record.Data",
    ],
  ])("refuses %s as a client error naming the member", async (_, input, message) => {
    const { service } = await start();
    const operation = "Records" in input ? "PutRecordBatch" : "PutRecord";

    const call = service(operation, input);

    await expect(call).rejects.toMatchObject({ code: "SerializationException", statusCode: 400 });
    await expect(call).rejects.toThrow(message);
  });

  it("reports a batch record that is not a structure in its place, and writes the others", async () => {
    const { service } = await start();

    const batch = await service("PutRecordBatch", {
      DeliveryStreamName: "audit",
      Records: [{ Data: base64('{"id":"3"}') }, 7],
    });

    expect(batch).toMatchObject({
      FailedPutCount: 1,
      RequestResponses: [
        { RecordId: expect.any(String) },
        { ErrorMessage: expect.stringContaining("Records.1") },
      ],
    });
  });
});
