import { TransactionCanceledException } from "@aws-sdk/client-dynamodb";
import { GetCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import * as z from "zod";
import type { TransactWriteItem } from "../../lib/producer/outbox-writer";
import type { StateTable } from "../shared/state-table";

/** The example gateway's limit per payment, in minor units: 5,000.00 in any currency. */
export const PAYMENT_LIMIT_MINOR_UNITS = 500_000;

/** Why the example gateway declines a charge (the catalog's PaymentFailed reasons). */
export type DeclineReason = "card-declined" | "insufficient-funds" | "limit-exceeded";

/** Money in integer minor units. */
export interface Money {
  readonly amount: number;
  readonly currency: string;
}

/** What the gateway says about one charge. */
export type PaymentDecision =
  | { readonly approved: true }
  | { readonly approved: false; readonly reason: DeclineReason };

/**
 * The example domain's payment gateway, deterministic so that demos and tests can steer it:
 * - a customerId ending in `-DECLINE` is declined: `card-declined`;
 * - a customerId ending in `-NOFUNDS` is declined: `insufficient-funds`;
 * - an amount above {@link PAYMENT_LIMIT_MINOR_UNITS} is declined: `limit-exceeded`;
 * - anything else is approved.
 * A decline is a business outcome (PaymentFailed is published), never an error.
 */
export function decidePayment(charge: {
  readonly customerId: string;
  readonly amount: Money;
}): PaymentDecision {
  if (charge.customerId.endsWith("-DECLINE")) return { approved: false, reason: "card-declined" };
  if (charge.customerId.endsWith("-NOFUNDS")) return { approved: false, reason: "insufficient-funds" };
  if (charge.amount.amount > PAYMENT_LIMIT_MINOR_UNITS) return { approved: false, reason: "limit-exceeded" };
  return { approved: true };
}

const moneySchema = z.object({ amount: z.number(), currency: z.string() });

/** A payment as stored (`pk = PAYMENT#<orderId>`, `sk = PAYMENT`), read back through this schema. */
const paymentRecordSchema = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("processed"),
    orderId: z.string(),
    customerId: z.string(),
    paymentId: z.string(),
    amount: moneySchema,
  }),
  z.object({
    status: z.literal("declined"),
    orderId: z.string(),
    customerId: z.string(),
    amount: moneySchema,
    reason: z.enum(["card-declined", "insufficient-funds", "limit-exceeded"]),
  }),
]);

/** The recorded outcome of an order's payment. */
export type PaymentRecord = z.infer<typeof paymentRecordSchema>;

/** Raised when the stored payment of an order cannot be read back as one. */
export class PaymentRecordError extends Error {
  public override readonly name = "PaymentRecordError";
}

/** The key of an order's payment item. */
export function paymentKey(orderId: string): { pk: string; sk: string } {
  return { pk: `PAYMENT#${orderId}`, sk: "PAYMENT" };
}

/** The payment id of an order: one payment per order, so retries report the same id. */
export function paymentIdOf(orderId: string): string {
  return `PAY-${orderId}`;
}

/**
 * Charges an order once: decides with {@link decidePayment} and, in one DynamoDB transaction,
 * records the outcome (only if the order has none yet) and writes `announce(payment)`, the
 * outbox item of its answer (PaymentProcessed or PaymentFailed): the answer exists exactly when
 * the payment does. When the order has a payment already (an earlier attempt, or a second
 * InventoryReserved for the order) that recorded outcome is returned with `recordedEarlier`: its
 * answer was committed with it, and the customer is never charged twice.
 */
export async function recordPayment(
  table: StateTable,
  charge: {
    readonly orderId: string;
    readonly customerId: string;
    readonly amount: Money;
    readonly reservationId: string;
    readonly causationId: string;
  },
  announce: (payment: PaymentRecord) => TransactWriteItem,
): Promise<{ readonly payment: PaymentRecord; readonly recordedEarlier: boolean }> {
  const decision = decidePayment(charge);
  const { orderId, customerId, amount } = charge;
  const payment: PaymentRecord = decision.approved
    ? { status: "processed", orderId, customerId, paymentId: paymentIdOf(orderId), amount }
    : { status: "declined", orderId, customerId, amount, reason: decision.reason };
  const key = paymentKey(orderId);
  try {
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table.tableName,
              Item: {
                ...key,
                ...payment,
                reservationId: charge.reservationId,
                recordedBy: charge.causationId,
                recordedAt: new Date().toISOString(),
              },
              ConditionExpression: "attribute_not_exists(pk)",
            },
          },
          announce(payment),
        ],
      }),
    );
    return { payment, recordedEarlier: false };
  } catch (error) {
    const reasons = error instanceof TransactionCanceledException ? (error.CancellationReasons ?? []) : [];
    if (reasons[0]?.Code !== "ConditionalCheckFailed") {
      throw error;
    }
  }
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
  );
  const stored = paymentRecordSchema.safeParse(Item);
  if (!stored.success) {
    throw new PaymentRecordError(
      `Payment of order ${orderId} exists but cannot be read back: ${z.prettifyError(stored.error)}`,
      { cause: stored.error },
    );
  }
  return { payment: stored.data, recordedEarlier: true };
}
