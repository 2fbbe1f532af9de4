import * as z from "zod";
import { defineEventType } from "./event-type";
import { customerId, money, orderId, orderLine } from "./shared";

const INVENTORY = "eventrail.inventory";

export const InventoryReserved = defineEventType({
  source: INVENTORY,
  detailType: "InventoryReserved",
  version: "1.0",
  description: "Stock for every line of an order is held; the order can be charged.",
  data: z.object({
    orderId,
    customerId,
    items: z.array(orderLine).min(1),
    total: money,
    reservationId: z.string().min(1),
  }),
  example: {
    orderId: "ORD-1234",
    customerId: "CUST-5678",
    items: [{ sku: "ABC", quantity: 2 }],
    total: { amount: 4_999, currency: "EUR" },
    reservationId: "RES-ORD-1234",
  },
});

export const InventoryReservationFailed = defineEventType({
  source: INVENTORY,
  detailType: "InventoryReservationFailed",
  version: "1.0",
  description: "Stock could not be held for an order; nothing was reserved.",
  data: z.object({
    orderId,
    customerId,
    reason: z.enum(["insufficient-stock", "unknown-sku"]),
    skus: z.array(z.string()).describe("The SKUs that could not be reserved"),
  }),
  example: { orderId: "ORD-1234", customerId: "CUST-5678", reason: "insufficient-stock", skus: ["ABC"] },
});
