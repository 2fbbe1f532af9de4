import { afterEach, describe, expect, it, vi } from "vitest";
import { catalog } from "../../lib/catalog";
import {
  auditRecordSize,
  EventValidationError,
  followUp,
  newEventId,
  type PutEventsEntryInput,
  parsePublishRequest,
  prepareEntry,
  putEventsEntrySize,
  toPutEventsEntry,
} from "../../lib/producer";
import { metadataOf, orderPlaced } from "./factories";

const context = { eventBusName: "orders-bus", producer: "checkout", now: new Date("2026-03-01T10:00:00Z") };

/** A valid ready entry, as a file or a replay would carry it. */
function readyEntry(overrides: Partial<PutEventsEntryInput> = {}): PutEventsEntryInput {
  return {
    Source: "eventrail.orders",
    DetailType: "OrderCancelled",
    Detail: JSON.stringify({
      metadata: {
        eventId: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7",
        schemaVersion: "1.0",
        correlationId: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D0",
        producer: "legacy",
        occurredAt: "2026-01-01T00:00:00Z",
      },
      data: catalog.OrderCancelled.example,
    }),
    ...overrides,
  };
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("toPutEventsEntry", () => {
  it("builds the entry from the catalog with Detail = { metadata, data }", () => {
    // Act
    const entry = toPutEventsEntry(orderPlaced(1), context);

    // Assess
    expect(entry).toMatchObject({
      Source: "eventrail.orders",
      DetailType: "OrderPlaced",
      EventBusName: "orders-bus",
    });
    const detail = JSON.parse(entry.Detail ?? "") as { metadata: Record<string, string>; data: unknown };
    expect(detail.data).toEqual(orderPlaced(1).data);
    expect(detail.metadata).toEqual({
      eventId: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      schemaVersion: "1.0",
      correlationId: detail.metadata.eventId,
      producer: "checkout",
      occurredAt: "2026-03-01T10:00:00.000Z",
    });
  });

  it("keeps a given correlationId and sets causationId when chaining", () => {
    // Prepare
    const cause = { metadata: { eventId: "01CAUSE", correlationId: "01FLOW" } };
    const request = followUp(
      cause,
      { detailType: "InventoryReserved", data: catalog.InventoryReserved.example },
      { position: 0 },
    );

    // Act
    const metadata = metadataOf(toPutEventsEntry(request, context));

    // Assess
    expect(metadata).toMatchObject({ correlationId: "01FLOW", causationId: "01CAUSE" });
  });

  it("takes a given eventId as metadata.eventId and as the default correlationId", () => {
    // Act
    const metadata = metadataOf(
      toPutEventsEntry({ ...orderPlaced(1), eventId: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7" }, context),
    );

    // Assess
    expect(metadata).toMatchObject({
      eventId: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7",
      correlationId: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7",
    });
  });

  it("carries resources and the trace header of the current Lambda invocation", () => {
    // Prepare
    vi.stubEnv("_X_AMZN_TRACE_ID", "Root=1-abc;Sampled=1");

    // Act
    const entry = toPutEventsEntry({ ...orderPlaced(1), resources: ["arn:aws:s3:::b/k"] }, context);

    // Assess
    expect(entry.Resources).toEqual(["arn:aws:s3:::b/k"]);
    expect(entry.TraceHeader).toBe("Root=1-abc;Sampled=1");
  });

  it("throws an EventValidationError naming the path, the problem and the value received", () => {
    // Prepare
    const bad = {
      detailType: "OrderPlaced",
      data: { ...catalog.OrderPlaced.example, total: { amount: -1, currency: "EUR" } },
    } as const;

    // Act
    const act = () => toPutEventsEntry(bad, context);

    // Assess
    expect(act).toThrow(EventValidationError);
    expect(act).toThrow(/data\.total\.amount: Too small.*>=0 \(received -1\)/);
  });

  it("rejects an empty correlationId: metadata is validated too", () => {
    expect(() => toPutEventsEntry({ ...orderPlaced(1), correlationId: "" }, context)).toThrow(
      /metadata\.correlationId/,
    );
  });
});

describe("prepareEntry (a ready PutEvents entry)", () => {
  it("accepts a valid entry, keeps its Detail and eventId and addresses it to the bus", () => {
    // Act
    const prepared = prepareEntry(readyEntry({ Time: new Date(0) }), context);

    // Assess
    expect(prepared.eventId).toBe("01K2HZ3V1Q6Y0WJ8T7N4B5C6D7");
    expect(prepared.entry.Detail).toBe(readyEntry().Detail);
    expect(prepared.entry.EventBusName).toBe("orders-bus");
    expect(prepared.size).toBe(putEventsEntrySize(prepared.entry));
    expect(prepared.auditSize).toBe(auditRecordSize(prepared.entry));
  });

  it("sizes the audit record by the larger of the Detail as sent and as EventBridge may re-serialize it", () => {
    // Prepare: indented JSON is larger as sent; a number like 1e5 is larger once re-serialized (100000).
    const detail = JSON.parse(readyEntry().Detail) as object;
    const indented = readyEntry({ Detail: JSON.stringify(detail, null, 2) });
    const compact = readyEntry({ Detail: JSON.stringify(detail) });
    const exponent = readyEntry({ Detail: `${JSON.stringify(detail).slice(0, -1)},"n":1e5}` });

    // Act
    const [indentedSize, compactSize, exponentSize] = [indented, compact, exponent].map(
      (entry) => prepareEntry(entry, context).auditSize,
    );

    // Assess
    expect(indentedSize).toBe(auditRecordSize(indented));
    expect(indentedSize).toBeGreaterThan(compactSize ?? 0);
    expect(exponentSize).toBe(
      auditRecordSize({ ...exponent, Detail: JSON.stringify(JSON.parse(exponent.Detail)) }),
    );
  });

  it.each([
    [
      "a Source that is not the type's",
      { Source: "eventrail.payments" },
      /Source "eventrail.payments".*expected "eventrail.orders"/,
    ],
    [
      "another bus",
      { EventBusName: "other" },
      /EventBusName "other" differs from the publisher's bus "orders-bus"/,
    ],
    ["a Detail that is not JSON", { Detail: "{" }, /Detail is not valid JSON/],
    [
      "a Detail without metadata",
      { Detail: JSON.stringify({ data: catalog.OrderCancelled.example }) },
      /metadata: .*received nothing/,
    ],
    [
      "a newer major schema version",
      {
        Detail: JSON.stringify({
          ...(JSON.parse(readyEntry().Detail) as object),
          metadata: { ...metadataOf({ Detail: readyEntry().Detail }), schemaVersion: "2.0" },
        }),
      },
      /schemaVersion "2.0" is not compatible with the catalog's OrderCancelled 1.0/,
    ],
    ["an unknown DetailType", { DetailType: "NotInTheCatalog" }, /Unknown detail-type "NotInTheCatalog"/],
  ])("rejects %s", (_case, overrides, message) => {
    expect(() => prepareEntry(readyEntry(overrides), context)).toThrow(message);
  });
});

describe("parsePublishRequest", () => {
  it("returns a typed request when the data matches its type", () => {
    const request = parsePublishRequest({
      detailType: "OrderCancelled",
      data: catalog.OrderCancelled.example,
    });
    expect(request.detailType).toBe("OrderCancelled");
  });

  it("throws, naming the path under data, when it does not", () => {
    expect(() => parsePublishRequest({ detailType: "OrderCancelled", data: { reason: "bored" } })).toThrow(
      /data\.orderId: .*received nothing.*data\.reason: Invalid option.*received "bored"/,
    );
  });
});

describe("newEventId", () => {
  it("returns strictly increasing ULIDs within a process", () => {
    const ids = Array.from({ length: 1_000 }, () => newEventId());
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
