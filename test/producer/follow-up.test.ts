import { ulid } from "ulid";
import { describe, expect, it } from "vitest";
import { catalog } from "../../lib/catalog";
import { followUp, followUpEventId, newEventId, toPutEventsEntry } from "../../lib/producer";
import { metadataOf } from "./factories";

const context = { eventBusName: "orders-bus", producer: "inventory", now: new Date("2026-03-01T10:00:00Z") };

/** A canonical ULID: what the publisher draws, and what a derived id must look like. */
const ULID = /^[0-7][0-9A-HJKMNP-TV-Z]{25}$/;

const reservedData = catalog.InventoryReserved.example;

describe("followUpEventId", () => {
  it("is the same for the same cause, detail-type, position and consumer, every time", () => {
    // Prepare
    const cause = newEventId();

    // Act
    const first = followUpEventId(cause, "InventoryReserved", { position: 0, consumer: "inventory" });
    const again = followUpEventId(cause, "InventoryReserved", { position: 0, consumer: "inventory" });

    // Assess
    expect(again).toBe(first);
  });

  it("is a ULID carrying the cause's time, so a follow-up sorts with the event that caused it", () => {
    // Prepare
    const cause = "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7";

    // Act
    const id = followUpEventId(cause, "PaymentProcessed", { position: 0 });

    // Assess
    expect(id).toMatch(ULID);
    expect(id.slice(0, 10)).toBe(cause.slice(0, 10));
    expect(id).not.toBe(cause);
  });

  it("reads a lower-case ULID cause as the same ULID", () => {
    const cause = "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7";
    expect(followUpEventId(cause.toLowerCase(), "PaymentProcessed", { position: 0 }).slice(0, 10)).toBe(
      cause.slice(0, 10),
    );
  });

  it("is still a ULID, with the epoch as its time, when the cause's id is not a ULID", () => {
    // Act
    const id = followUpEventId("order-42-placed", "InventoryReserved", { position: 0 });

    // Assess
    expect(id).toMatch(ULID);
    expect(id.slice(0, 10)).toBe("0000000000");
  });

  it("differs between the follow-ups of one event: by position, by detail-type, by consumer", () => {
    // Prepare
    const cause = newEventId();

    // Act
    const ids = [
      followUpEventId(cause, "InventoryReserved", { position: 0 }),
      followUpEventId(cause, "InventoryReserved", { position: 1 }),
      followUpEventId(cause, "InventoryReservationFailed", { position: 0 }),
      followUpEventId(cause, "InventoryReserved", { position: 0, consumer: "inventory" }),
      followUpEventId(cause, "InventoryReserved", { position: 0, consumer: "warehouse" }),
    ];

    // Assess
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("differs between causes, including 2,000 causes of the same millisecond", () => {
    // Prepare: ULIDs of one millisecond share their time part; only the hash tells them apart.
    const causes = Array.from({ length: 2_000 }, () => ulid(1_772_445_600_000));

    // Act
    const ids = causes.map((cause) => followUpEventId(cause, "PaymentProcessed", { position: 0 }));

    // Assess
    expect(new Set(ids).size).toBe(causes.length);
    expect(new Set([...ids, ...causes]).size).toBe(2 * causes.length);
  });

  it.each([-1, 0.5, Number.NaN])(
    "refuses the position %s, naming the value and what is expected",
    (position) => {
      expect(() => followUpEventId(newEventId(), "PaymentProcessed", { position })).toThrow(RangeError);
      expect(() => followUpEventId(newEventId(), "PaymentProcessed", { position })).toThrow(
        /expected a whole number of at least 0/,
      );
    },
  );
});

describe("followUp", () => {
  it("joins the cause's flow, names it, and takes the derived eventId", () => {
    // Prepare
    const cause = { metadata: { eventId: newEventId(), correlationId: newEventId() } };

    // Act
    const request = followUp(
      cause,
      { detailType: "InventoryReserved", data: reservedData },
      { position: 0, consumer: "inventory" },
    );

    // Assess
    expect(request).toMatchObject({
      correlationId: cause.metadata.correlationId,
      causationId: cause.metadata.eventId,
      eventId: followUpEventId(cause.metadata.eventId, "InventoryReserved", {
        position: 0,
        consumer: "inventory",
      }),
    });
  });

  it("makes the publisher write the same metadata.eventId each time the follow-up is published again", () => {
    // Prepare: the same cause handled twice, as a retry after a crash would.
    const cause = { metadata: { eventId: newEventId(), correlationId: newEventId() } };
    const publishAgain = (now: Date) =>
      metadataOf(
        toPutEventsEntry(
          followUp(cause, { detailType: "InventoryReserved", data: reservedData }, { position: 0 }),
          { ...context, now },
        ),
      );

    // Act
    const first = publishAgain(new Date("2026-03-01T10:00:00Z"));
    const retry = publishAgain(new Date("2026-03-01T10:05:00Z"));

    // Assess: the id is what idempotency uses; occurredAt is the time of each publication.
    expect(retry.eventId).toBe(first.eventId);
    expect(retry.occurredAt).not.toBe(first.occurredAt);
    expect(first).toMatchObject({
      causationId: cause.metadata.eventId,
      correlationId: cause.metadata.correlationId,
    });
  });

  it("gives the follow-ups of different causes different eventIds", () => {
    // Prepare
    const causes = [newEventId(), newEventId()].map((eventId) => ({
      metadata: { eventId, correlationId: eventId },
    }));

    // Act
    const ids = causes.map(
      (cause) =>
        metadataOf(
          toPutEventsEntry(
            followUp(cause, { detailType: "InventoryReserved", data: reservedData }, { position: 0 }),
            context,
          ),
        ).eventId,
    );

    // Assess
    expect(ids[0]).not.toBe(ids[1]);
  });
});
