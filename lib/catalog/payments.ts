import * as z from "zod";
import { defineEventType } from "./event-type";
import { customerId, money, orderId } from "./shared";

const PAYMENTS = "eventrail.payments";

export const PaymentProcessed = defineEventType({
  source: PAYMENTS,
  detailType: "PaymentProcessed",
  version: "1.0",
  description: "The order's total was charged successfully.",
  data: z.object({
    orderId,
    customerId,
    paymentId: z.string().min(1),
    amount: money,
  }),
  example: {
    orderId: "ORD-1234",
    customerId: "CUST-5678",
    paymentId: "PAY-ORD-1234",
    amount: { amount: 4_999, currency: "EUR" },
  },
});

export const PaymentFailed = defineEventType({
  source: PAYMENTS,
  detailType: "PaymentFailed",
  version: "1.0",
  description: "The charge was declined: a business outcome, not a system error.",
  data: z.object({
    orderId,
    customerId,
    amount: money,
    reason: z.enum(["card-declined", "insufficient-funds", "limit-exceeded"]),
  }),
  example: {
    orderId: "ORD-1234",
    customerId: "CUST-5678",
    amount: { amount: 4_999, currency: "EUR" },
    reason: "card-declined",
  },
});
