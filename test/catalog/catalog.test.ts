import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  catalog,
  defineEventType,
  EventTypeDefinitionError,
  eventTypes,
  findEventType,
} from "../../lib/catalog";

describe("the event catalog", () => {
  it.each(eventTypes.map((t) => [t.detailType, t] as const))(
    "%s accepts its own example",
    (_name, eventType) => {
      expect(eventType.data.safeParse(eventType.example).success).toBe(true);
    },
  );

  it("contains the seed domain", () => {
    expect(Object.keys(catalog)).toEqual(
      expect.arrayContaining([
        "OrderPlaced",
        "OrderCancelled",
        "InventoryReserved",
        "InventoryReservationFailed",
        "PaymentProcessed",
        "PaymentFailed",
      ]),
    );
  });

  it("finds types by detail-type and answers undefined for unknown ones", () => {
    expect(findEventType("OrderPlaced")).toBe(catalog.OrderPlaced);
    expect(findEventType("toString")).toBeUndefined();
    expect(findEventType("NoSuchEvent")).toBeUndefined();
  });

  describe("rejects a bad declaration, naming what is wrong", () => {
    const valid = {
      source: "eventrail.test",
      detailType: "ThingHappened",
      version: "1.0",
      description: "test",
      data: z.object({ id: z.string() }),
      example: { id: "1" },
    };
    it.each([
      ["a reserved aws. source", { source: "aws.orders" }, /source "aws.orders" is invalid/],
      [
        "a detail-type with spaces",
        { detailType: "Thing happened" },
        /detailType "Thing happened" is invalid/,
      ],
      ["a version that is not MAJOR.MINOR", { version: "1" }, /version "1" is invalid/],
      ["an example that fails the schema", { example: { id: 1 } }, /example does not match/],
    ])("%s", (_case, override, message) => {
      expect(() => defineEventType({ ...valid, ...override } as typeof valid)).toThrow(
        EventTypeDefinitionError,
      );
      expect(() => defineEventType({ ...valid, ...override } as typeof valid)).toThrow(message);
    });
  });
});
