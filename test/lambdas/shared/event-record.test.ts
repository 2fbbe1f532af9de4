import { describe, expect, it } from "vitest";
import { EventRecordRejectedError, parseEventRecord } from "../../../lambdas/shared/event-record";
import type { EventTypeName } from "../../../lib/catalog";
import { anEvent, sqsRecord } from "../support/events";

const handledByInventory: ReadonlySet<EventTypeName> = new Set(["OrderPlaced", "OrderCancelled"]);

function rejectionOf(body: unknown): EventRecordRejectedError {
  try {
    parseEventRecord(sqsRecord(body), handledByInventory);
  } catch (error) {
    if (error instanceof EventRecordRejectedError) return error;
    throw error;
  }
  throw new Error("expected the record to be rejected");
}

describe("parseEventRecord", () => {
  it("turns an EventBridge event in an SQS body into a typed catalog event", () => {
    // Prepare
    const sent = anEvent("OrderPlaced");

    // Act
    const event = parseEventRecord(sqsRecord(sent), handledByInventory);

    // Assess
    expect(event.detailType).toBe("OrderPlaced");
    expect(event.metadata).toEqual(sent.detail.metadata);
    expect(event.data).toEqual(sent.detail.data);
    expect(event.replayName).toBeUndefined();
    expect(event.raw.id).toBe(sent.id);
  });

  it("recognises an archive replay by its replay-name", () => {
    // Prepare
    const sent = anEvent("OrderCancelled", { replayName: "replay-2026-03-02" });

    // Act
    const event = parseEventRecord(sqsRecord(sent), handledByInventory);

    // Assess
    expect(event.replayName).toBe("replay-2026-03-02");
  });

  it("accepts a newer MINOR version of the schema and drops the fields it does not know", () => {
    // Prepare
    const sent = anEvent("OrderCancelled", { metadata: { schemaVersion: "1.7" } });
    (sent.detail.data as Record<string, unknown>).addedInMinorVersion = "x";

    // Act
    const event = parseEventRecord(sqsRecord(sent), handledByInventory);

    // Assess
    expect(event.data).not.toHaveProperty("addedInMinorVersion");
  });

  it.each([
    {
      input: "a body that is not JSON",
      body: "{not json",
      reason: "invalid-json",
      message: /body is not JSON/,
    },
    {
      input: "JSON that is not an EventBridge event",
      body: { hello: "world" },
      reason: "invalid-envelope",
      message: /detail-type/,
    },
    {
      input: "a detail-type the catalog does not know",
      body: { ...anEvent("OrderPlaced"), "detail-type": "OrderTeleported" },
      reason: "unknown-event-type",
      message: /no event type "OrderTeleported"/,
    },
    {
      input: "a catalogued detail-type from the wrong source",
      body: anEvent("OrderPlaced", { source: "eventrail.impostor" }),
      reason: "unknown-event-type",
      message: /source "eventrail.impostor"/,
    },
    {
      input: "a catalogued type this consumer has no handler for",
      body: anEvent("PaymentProcessed"),
      reason: "unhandled-event-type",
      message: /handles OrderPlaced, OrderCancelled, not PaymentProcessed/,
    },
    {
      input: "another MAJOR schema version",
      body: anEvent("OrderPlaced", { metadata: { schemaVersion: "2.0" } }),
      reason: "unsupported-schema-version",
      message: /"2.0" is not compatible with the catalog's "1.0"/,
    },
    {
      input: "data that fails the catalog schema",
      body: anEvent("OrderPlaced", { data: { orderId: "not-an-order-id" } }),
      reason: "invalid-detail",
      message: /data\.orderId/,
    },
    {
      input: "metadata without an eventId",
      body: anEvent("OrderPlaced", { metadata: { eventId: "" } }),
      reason: "invalid-detail",
      message: /metadata\.eventId/,
    },
  ])("rejects $input as $reason, saying what is wrong", ({ body, reason, message }) => {
    // Act
    const rejection = rejectionOf(body);

    // Assess
    expect(rejection.reason).toBe(reason);
    expect(rejection.message).toMatch(message);
  });

  it("keeps the correlationId of a rejected event, so its log line joins the flow", () => {
    // Prepare
    const sent = anEvent("OrderPlaced", { data: { items: [] } });

    // Act
    const rejection = rejectionOf(sent);

    // Assess
    expect(rejection.reason).toBe("invalid-detail");
    expect(rejection.readable.correlationId).toBe(sent.detail.metadata.correlationId);
  });
});
