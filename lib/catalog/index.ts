import type { z } from "zod";
import type { EventType } from "./event-type";
import { InventoryReservationFailed, InventoryReserved } from "./inventory";
import { OrderCancelled, OrderPlaced } from "./orders";
import { PaymentFailed, PaymentProcessed } from "./payments";

export * from "./event-type";

/**
 * Every event type of the system. Adding a type is one `defineEventType` in a domain file and one
 * entry here; types, validation, the registry, rule patterns and fixtures all follow from it.
 */
export const catalog = {
  OrderPlaced,
  OrderCancelled,
  InventoryReserved,
  InventoryReservationFailed,
  PaymentProcessed,
  PaymentFailed,
} as const;

export type Catalog = typeof catalog;
/** The detail-type of any catalogued event, e.g. `"OrderPlaced"`. */
export type EventTypeName = keyof Catalog;
/** The `detail.data` of an event type, as producers write it. */
export type DataOf<N extends EventTypeName> = z.input<Catalog[N]["data"]>;
/** The `detail.data` of an event type, as consumers read it after validation. */
export type ParsedDataOf<N extends EventTypeName> = z.output<Catalog[N]["data"]>;

export const eventTypes: readonly EventType[] = Object.values(catalog);

/** Whether a detail-type is in the catalog. */
export function isEventTypeName(value: string): value is EventTypeName {
  return Object.hasOwn(catalog, value);
}

/** The event type for a detail-type, or `undefined` when the catalog has none. */
export function findEventType(detailType: string): EventType | undefined {
  return isEventTypeName(detailType) ? catalog[detailType] : undefined;
}
