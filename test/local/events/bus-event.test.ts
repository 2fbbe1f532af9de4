import { describe, expect, it } from "vitest";
import { isRejection, type PutEventsRequestEntry, toBusEvent } from "../../../lib/local/events/bus-event";

const context = { accountId: "000000000000", region: "us-east-1", now: new Date("2026-11-23T10:00:00.123Z") };

function entry(overrides: Partial<PutEventsRequestEntry> = {}): PutEventsRequestEntry {
  return {
    Source: "eventrail.orders",
    DetailType: "OrderPlaced",
    Detail: '{"orderId":"ORD-1"}',
    ...overrides,
  };
}

describe("turning a PutEvents entry into a bus event", () => {
  it("fills EventBridge's envelope around the detail", () => {
    const event = toBusEvent(entry({ Resources: ["arn:aws:s3:::b"] }), context);

    expect(isRejection(event)).toBe(false);
    expect(event).toEqual({
      version: "0",
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      "detail-type": "OrderPlaced",
      source: "eventrail.orders",
      account: "000000000000",
      time: "2026-11-23T10:00:00Z",
      region: "us-east-1",
      resources: ["arn:aws:s3:::b"],
      detail: { orderId: "ORD-1" },
    });
  });

  it("takes Time from the entry when given (epoch seconds, as the JSON protocol sends it)", () => {
    const event = toBusEvent(entry({ Time: 1_700_000_000 }), context);

    expect(isRejection(event) ? undefined : event.time).toBe("2023-11-14T22:13:20Z");
  });

  it.each([
    [
      "no Source",
      { Source: undefined },
      "InvalidArgument",
      "Parameter Source is not valid. Reason: Source is a required argument.",
    ],
    [
      "no DetailType",
      { DetailType: "" },
      "InvalidArgument",
      "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
    ],
    [
      "no Detail",
      { Detail: undefined },
      "InvalidArgument",
      "Parameter Detail is not valid. Reason: Detail is a required argument.",
    ],
    ["Detail that is not JSON", { Detail: "{nope" }, "MalformedDetail", "Detail is malformed."],
    ["Detail that is a JSON array", { Detail: "[1,2]" }, "MalformedDetail", "Detail is malformed."],
    ["Detail that is a JSON string", { Detail: '"text"' }, "MalformedDetail", "Detail is malformed."],
  ])("rejects an entry with %s as EventBridge does", (_case, overrides, code, message) => {
    const result = toBusEvent(entry(overrides), context);

    expect(result).toEqual({ ErrorCode: code, ErrorMessage: message });
  });

  it("rejects an entry over the size limit, with its size and the limit", () => {
    const detail = JSON.stringify({ padding: "x".repeat(300) });

    const result = toBusEvent(entry({ Detail: detail }), { ...context, maxEntryBytes: 256 });

    expect(result).toEqual({
      ErrorCode: "InvalidArgument",
      ErrorMessage: expect.stringMatching(/^Event size \d+ bytes exceeds the limit of 256 bytes\.$/),
    });
  });
});
