import { describe, expect, it } from "vitest";
import { putEventsEntrySize } from "../../lib/producer";

describe("putEventsEntrySize (AWS's PutEvents entry-size formula)", () => {
  it("adds the UTF-8 bytes of Source, DetailType and Detail", () => {
    expect(putEventsEntrySize({ Source: "abc", DetailType: "De", Detail: '{"a":1}' })).toBe(3 + 2 + 7);
  });

  it("counts multi-byte characters by their UTF-8 length, not their string length", () => {
    // "é" is 2 bytes, "€" 3 and "😀" 4 in UTF-8.
    expect(putEventsEntrySize({ Source: "s", DetailType: "d", Detail: '"é€😀"' })).toBe(
      1 + 1 + 2 + 2 + 3 + 4,
    );
  });

  it("counts 14 bytes for Time whatever its value", () => {
    const withoutTime = putEventsEntrySize({ Source: "s", DetailType: "d", Detail: "{}" });
    expect(putEventsEntrySize({ Source: "s", DetailType: "d", Detail: "{}", Time: new Date(0) })).toBe(
      withoutTime + 14,
    );
  });

  it("adds every resource", () => {
    expect(putEventsEntrySize({ Source: "s", DetailType: "d", Resources: ["arn:1", "arn:22"] })).toBe(
      1 + 1 + 5 + 6,
    );
  });

  it("ignores fields the formula leaves out (EventBusName, TraceHeader)", () => {
    const entry = { Source: "s", DetailType: "d", Detail: "{}" };
    expect(putEventsEntrySize({ ...entry, EventBusName: "bus", TraceHeader: "Root=1" } as typeof entry)).toBe(
      putEventsEntrySize(entry),
    );
  });
});
