import type { BusEvent } from "../../../../lib/local/events/bus-event";

/** An OrderPlaced event as the bus delivers it; override any field. */
export function busEvent(overrides: Partial<BusEvent> = {}): BusEvent {
  return {
    version: "0",
    id: "e-1",
    "detail-type": "OrderPlaced",
    source: "eventrail.orders",
    account: "000000000000",
    time: "2026-11-23T10:00:00Z",
    region: "us-east-1",
    resources: [],
    detail: { data: { orderId: "ORD-1" } },
    ...overrides,
  };
}
