import * as z from "zod";

/** Money as integer minor units, so no float ever rounds a price. */
export const money = z.object({
  amount: z.number().int().nonnegative().describe("Amount in minor units (cents)"),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .describe("ISO 4217 code"),
});

export const orderId = z
  .string()
  .regex(/^ORD-[A-Za-z0-9-]{1,64}$/)
  .describe("Order id, ORD-...");
export const customerId = z
  .string()
  .regex(/^CUST-[A-Za-z0-9-]{1,64}$/)
  .describe("Customer id, CUST-...");
export const sku = z
  .string()
  .regex(/^[A-Z0-9-]{1,32}$/)
  .describe("Stock keeping unit");

export const orderLine = z.object({
  sku,
  quantity: z.number().int().positive().max(10_000),
});
