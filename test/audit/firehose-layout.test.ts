import { gunzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { auditColumns, auditSerdeParameters, JsonRowError, readJsonRow } from "../../lib/audit/audit-table";
import {
  dataOutputPrefix,
  deliveredObjectKey,
  encodeDeliveredObject,
  errorOutputPrefix,
  FirehosePrefixError,
  partitionLocationTemplate,
  renderFirehosePrefix,
} from "../../lib/audit/firehose-layout";

const arrival = new Date("2026-03-01T23:58:07.250Z");

describe("the Firehose layout", () => {
  it("evaluates the data prefix to the arrival day's partition, in UTC", () => {
    expect(renderFirehosePrefix(dataOutputPrefix(), { arrival })).toBe("events/dt=2026-03-01/");
  });

  it("evaluates the error prefix with the error output type", () => {
    const prefix = renderFirehosePrefix(errorOutputPrefix(), {
      arrival,
      errorOutputType: "format-conversion-failed",
    });

    expect(prefix).toBe("delivery-errors/format-conversion-failed/dt=2026-03-01/");
  });

  it("names an object as Firehose does: stream, version, arrival time, random part, .gz", () => {
    const key = deliveredObjectKey({
      prefix: dataOutputPrefix(),
      deliveryStreamName: "audit",
      arrival,
      uniqueSuffix: "3f9c",
    });

    expect(key).toBe("events/dt=2026-03-01/audit-1-2026-03-01-23-58-07-3f9c.gz");
  });

  it("points the projection's location template at the same folders", () => {
    const template = partitionLocationTemplate("bucket", "events/");
    const prefix = renderFirehosePrefix(dataOutputPrefix(), { arrival });

    expect(template.replace(`\${dt}`, "2026-03-01")).toBe(`s3://bucket/${prefix}`);
  });

  it("refuses a prefix expression it cannot evaluate, naming it", () => {
    const act = () => renderFirehosePrefix("events/!{partitionKeyFromQuery:orderId}/", { arrival });

    expect(act).toThrow(FirehosePrefixError);
    expect(act).toThrow(/!\{partitionKeyFromQuery:orderId\} is not supported/);
  });

  it("refuses a timestamp field it does not know", () => {
    expect(() => renderFirehosePrefix("!{timestamp:yyyy-ww}", { arrival })).toThrow(/field "ww"/);
  });

  it("encodes an object as gzip JSON lines, one event per line", () => {
    const body = gunzipSync(encodeDeliveredObject([{ a: 1 }, { b: "x\ny" }])).toString("utf8");

    expect(body).toBe('{"a":1}\n{"b":"x\\ny"}\n');
  });
});

describe("reading a row through the table's mapping", () => {
  const table = { columns: auditColumns, serdeParameters: auditSerdeParameters() };

  it("maps only the keys that are not legal column names", () => {
    expect(auditSerdeParameters()).toEqual({
      "case.insensitive": "FALSE",
      "mapping.detail_type": "detail-type",
      "mapping.event_time": "time",
      "mapping.replay_name": "replay-name",
    });
  });

  it("renders objects as compact JSON text, wraps a single value of an array column, and reads absent keys as null", () => {
    const row = readJsonRow(
      '{"detail": {"metadata": {"eventId": "E"}}, "resources": "arn:x", "id": 7}',
      table,
    );

    expect(row).toMatchObject({
      detail: '{"metadata":{"eventId":"E"}}',
      resources: ["arn:x"],
      id: "7",
      replay_name: null,
    });
  });

  it("matches keys exactly, as case.insensitive FALSE says", () => {
    expect(readJsonRow('{"Source": "eventrail.orders"}', table).source).toBeNull();
    expect(readJsonRow('{"Source": "eventrail.orders"}', { ...table, serdeParameters: {} }).source).toBe(
      "eventrail.orders",
    );
  });

  it("refuses a line that is not a JSON object", () => {
    expect(() => readJsonRow("[1,2]", table)).toThrow(JsonRowError);
    expect(() => readJsonRow("{oops", table)).toThrow(/Line is not valid JSON/);
  });
});
