import { describe, expect, it } from "vitest";
import { FlowRecorder, type ObservedEvent } from "../../lib/console/flow-recorder";

function busEvent(id: string, correlationId: string, eventId = `E-${id}`): ObservedEvent {
  return {
    id,
    "detail-type": "OrderPlaced",
    source: "eventrail.orders",
    time: "2026-12-05T10:00:00Z",
    detail: { metadata: { eventId, correlationId }, data: {} },
  };
}

describe("FlowRecorder", () => {
  it("records every step of an event and finds a transaction's events by correlation id", () => {
    let now = 0;
    const recorder = new FlowRecorder({ now: () => now++ });

    recorder.accepted(busEvent("a", "flow-1"), "eventrail");
    recorder.matched("a", "inventory-rule");
    recorder.delivered({
      eventId: "a",
      rule: "inventory-rule",
      target: "arn:queue",
      outcome: "delivered",
      attempts: 1,
    });
    recorder.received("a", "inventory", 1);
    recorder.handled("a", "inventory", { ok: false, durationMs: 12, requestId: "r1", error: "Error: boom" });
    recorder.log({ requestId: "r1", functionName: "inventory", message: "boom" });
    recorder.accepted(busEvent("b", "flow-2"), "eventrail");

    const [event] = recorder.flow("flow-1");
    expect(event?.steps.map((step) => step.kind)).toEqual([
      "accepted",
      "matched",
      "delivered",
      "received",
      "handled",
    ]);
    expect(recorder.counters).toMatchObject({ accepted: 2, failedHandlings: 1 });
    expect(recorder.logLines(new Set(["r1"])).map((line) => line.message)).toEqual(["boom"]);
    expect(recorder.busEventId("E-a")).toBe("a");
  });

  it("keeps the last `capacity` events and forgets the oldest first", () => {
    const recorder = new FlowRecorder({ capacity: 2 });

    for (const id of ["a", "b", "c"]) recorder.accepted(busEvent(id, "flow"), "eventrail");

    expect(recorder.size).toBe(2);
    expect(recorder.recent(10).map((event) => event.id)).toEqual(["c", "b"]);
    expect(recorder.busEventId("E-a")).toBeUndefined();
  });

  it("tells subscribers of each accepted event until they stop", () => {
    const recorder = new FlowRecorder();
    const seen: string[] = [];
    const stop = recorder.subscribe((event) => seen.push(event.id));

    recorder.accepted(busEvent("a", "flow"), "eventrail");
    stop();
    recorder.accepted(busEvent("b", "flow"), "eventrail");

    expect(seen).toEqual(["a"]);
  });

  it("records a failed delivery with its outcome and error", () => {
    const recorder = new FlowRecorder();
    recorder.accepted(busEvent("a", "flow"), "eventrail");

    recorder.delivered({
      eventId: "a",
      rule: "r",
      target: "arn:q",
      outcome: "dead-lettered",
      attempts: 3,
      errorMessage: "denied",
    });

    expect(recorder.flow("flow")[0]?.steps.at(-1)).toMatchObject({
      kind: "delivered",
      ok: false,
      detail: "dead-lettered after 3 attempts: denied",
    });
  });
});
