import * as z from "zod";
import { defineEventType } from "./event-type";
import { customerId, money, orderId, orderLine } from "./shared";

const ORDERS = "eventrail.orders";

export const OrderPlaced = defineEventType({
  source: ORDERS,
  detailType: "OrderPlaced",
  version: "1.0",
  description: "A customer checked out: the order exists and awaits stock and payment.",
  data: z.object({
    orderId,
    customerId,
    items: z.array(orderLine).min(1).max(100),
    total: money,
    placedAt: z.iso.datetime({ offset: true }),
  }),
  example: {
    orderId: "ORD-1234",
    customerId: "CUST-5678",
    items: [
      { sku: "ABC", quantity: 2 },
      { sku: "XYZ", quantity: 1 },
    ],
    total: { amount: 4_999, currency: "EUR" },
    placedAt: "2025-08-13T08:30:00Z",
  },
});

export const OrderCancelled = defineEventType({
  source: ORDERS,
  detailType: "OrderCancelled",
  version: "1.0",
  description: "An order was cancelled before it shipped; any reserved stock must be released.",
  data: z.object({
    orderId,
    customerId,
    reason: z.enum(["customer-request", "payment-failed", "out-of-stock", "fraud-suspected"]),
  }),
  example: { orderId: "ORD-1234", customerId: "CUST-5678", reason: "customer-request" },
});
