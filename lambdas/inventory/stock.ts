import {
  type AttributeValue,
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from "@aws-sdk/client-dynamodb";
import { GetCommand, PutCommand, TransactWriteCommand } from "@aws-sdk/lib-dynamodb";
import type { TransactWriteItem } from "../../lib/producer/outbox-writer";
import type { StateTable } from "../shared/state-table";

/** DynamoDB caps a transaction at 100 actions; two of them are the reservation and its event. */
export const MAX_SKUS_PER_RESERVATION = 98;

/** One order line: how many units of a SKU. */
export interface StockLine {
  readonly sku: string;
  readonly quantity: number;
}

/** The key of a SKU's stock item, whose `available` attribute counts the units on hand. */
export function stockKey(sku: string): { pk: string; sk: string } {
  return { pk: `SKU#${sku}`, sk: "STOCK" };
}

/**
 * The key of an order's reservation item. It is written by whichever of OrderPlaced and
 * OrderCancelled comes first (SQS does not keep order): `status` says `reserved` or `cancelled`.
 */
export function reservationKey(orderId: string): { pk: string; sk: string } {
  return { pk: `ORDER#${orderId}`, sk: "RESERVATION" };
}

/** The reservation id of an order: derived, so a retried reservation reports the same one. */
export function reservationIdOf(orderId: string): string {
  return `RES-${orderId}`;
}

/** What came of a reservation attempt. */
export type ReservationOutcome =
  /** Every line is held now. */
  | { readonly status: "reserved"; readonly reservationId: string }
  /** Every line was already held for this order, and its InventoryReserved committed with it (an earlier attempt). */
  | { readonly status: "already-reserved"; readonly reservationId: string }
  /** An earlier attempt found the order short of stock and recorded it with its InventoryReservationFailed. */
  | { readonly status: "already-rejected" }
  /** Nothing is held: a SKU lacks stock, or does not exist. */
  | {
      readonly status: "rejected";
      readonly reason: "insufficient-stock" | "unknown-sku";
      readonly skus: readonly string[];
    }
  /** The order was cancelled before it was placed here; nothing is held. */
  | { readonly status: "order-cancelled" };

/** What came of a release. */
export type ReleaseOutcome =
  /** The reserved units are back in stock. */
  | { readonly status: "released"; readonly lines: readonly StockLine[] }
  /** Already released (a second OrderCancelled, or a concurrent release won). */
  | { readonly status: "already-released" }
  /** No reservation existed; a `cancelled` marker now keeps a late OrderPlaced from reserving. */
  | { readonly status: "cancelled-before-reservation" };

/** Raised when an order has more distinct SKUs than one DynamoDB transaction can hold. */
export class ReservationTooLargeError extends Error {
  public override readonly name = "ReservationTooLargeError";
}

/**
 * Raised when DynamoDB cancelled a stock transaction for a reason other than a failed condition
 * (a conflicting transaction, throttling): retrying the record later is the remedy.
 */
export class StockTransactionError extends Error {
  public override readonly name = "StockTransactionError";
}

/** Sums the quantities of repeated SKUs: a transaction may not touch one item twice. */
export function mergeLines(lines: readonly StockLine[]): StockLine[] {
  const totals = new Map<string, number>();
  for (const line of lines) {
    totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  }
  return [...totals].map(([sku, quantity]) => ({ sku, quantity }));
}

function cancellationReasonsOf(error: TransactionCanceledException) {
  return error.CancellationReasons ?? [];
}

function isConditionFailure(code: string | undefined): boolean {
  return code === "ConditionalCheckFailed";
}

function unexpectedCancellation(error: TransactionCanceledException, action: string): StockTransactionError {
  const codes = cancellationReasonsOf(error).map((reason) => reason.Code ?? "None");
  return new StockTransactionError(
    `The ${action} transaction was cancelled for a retryable reason (${codes.join(", ")}); the record will be retried`,
    { cause: error },
  );
}

function statusOf(item: Record<string, AttributeValue> | undefined): string | undefined {
  return item?.status?.S;
}

/**
 * Holds stock for every line of an order, or for none: one DynamoDB transaction puts the
 * reservation (only if the order has none yet), decrements each SKU's `available` (only if it
 * covers the quantity) and writes `announce`, the InventoryReserved outbox item, so the event
 * exists exactly when the reservation does. A failed condition on a SKU names it: an existing item
 * lacks stock, a missing item is an unknown SKU.
 */
export async function reserveStock(
  table: StateTable,
  order: { readonly orderId: string; readonly items: readonly StockLine[]; readonly causationId: string },
  announce: TransactWriteItem,
): Promise<ReservationOutcome> {
  const lines = mergeLines(order.items);
  if (lines.length > MAX_SKUS_PER_RESERVATION) {
    throw new ReservationTooLargeError(
      `Order ${order.orderId} has ${lines.length} distinct SKUs; one reservation holds at most ${MAX_SKUS_PER_RESERVATION} (DynamoDB transactions take 100 actions)`,
    );
  }
  const reservationId = reservationIdOf(order.orderId);
  try {
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table.tableName,
              Item: {
                ...reservationKey(order.orderId),
                status: "reserved",
                reservationId,
                lines,
                reservedBy: order.causationId,
                reservedAt: new Date().toISOString(),
              },
              ConditionExpression: "attribute_not_exists(pk)",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          ...lines.map((line) => ({
            Update: {
              TableName: table.tableName,
              Key: stockKey(line.sku),
              UpdateExpression: "SET available = available - :quantity",
              ConditionExpression: "available >= :quantity",
              ExpressionAttributeValues: { ":quantity": line.quantity },
              // The old item tells an existing SKU short of stock from a SKU that does not exist.
              ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
            },
          })),
          announce,
        ],
      }),
    );
    return { status: "reserved", reservationId };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) {
      throw error;
    }
    const [reservation, ...others] = cancellationReasonsOf(error);
    if (isConditionFailure(reservation?.Code)) {
      switch (statusOf(reservation?.Item)) {
        case "cancelled":
          return { status: "order-cancelled" };
        case "rejected":
          return { status: "already-rejected" };
        default:
          return { status: "already-reserved", reservationId };
      }
    }
    // The last reason is the event's: its item exists only if the reservation does, checked above.
    const stock = others.slice(0, lines.length);
    const failed = stock.flatMap((reason, index) => {
      const line = lines[index];
      return line !== undefined && isConditionFailure(reason.Code)
        ? [{ sku: line.sku, exists: reason.Item !== undefined }]
        : [];
    });
    const onlyConditionsFailed = cancellationReasonsOf(error).every(
      (reason) => reason.Code === undefined || reason.Code === "None" || isConditionFailure(reason.Code),
    );
    if (failed.length === 0 || !onlyConditionsFailed) {
      throw unexpectedCancellation(error, "reservation");
    }
    const unknown = failed.filter((line) => !line.exists).map((line) => line.sku);
    return unknown.length > 0
      ? { status: "rejected", reason: "unknown-sku", skus: unknown }
      : { status: "rejected", reason: "insufficient-stock", skus: failed.map((line) => line.sku) };
  }
}

/** What came of recording a rejection. */
export type RejectionOutcome =
  /** Recorded, with its InventoryReservationFailed. */
  | { readonly status: "rejected" }
  /** The order has a reservation item already: the outcome an earlier attempt (or a cancellation) recorded. */
  | { readonly status: "already-recorded"; readonly recorded: string };

/**
 * Records that an order could not be reserved, with `announce` (its InventoryReservationFailed
 * outbox item) in the same transaction: the reservation item says `rejected`, so a redelivered
 * OrderPlaced answers from it instead of trying again against stock that may have changed, and
 * the order gets one answer.
 */
export async function recordRejection(
  table: StateTable,
  order: {
    readonly orderId: string;
    readonly reason: string;
    readonly skus: readonly string[];
    readonly causationId: string;
  },
  announce: TransactWriteItem,
): Promise<RejectionOutcome> {
  try {
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: table.tableName,
              Item: {
                ...reservationKey(order.orderId),
                status: "rejected",
                reason: order.reason,
                skus: [...order.skus],
                rejectedBy: order.causationId,
                rejectedAt: new Date().toISOString(),
              },
              ConditionExpression: "attribute_not_exists(pk)",
              ReturnValuesOnConditionCheckFailure: "ALL_OLD",
            },
          },
          announce,
        ],
      }),
    );
    return { status: "rejected" };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const [reservation] = cancellationReasonsOf(error);
    if (isConditionFailure(reservation?.Code)) {
      return { status: "already-recorded", recorded: statusOf(reservation?.Item) ?? "unknown" };
    }
    throw unexpectedCancellation(error, "rejection");
  }
}

/** The reservation item as stored. */
interface StoredReservation {
  readonly status: "reserved" | "cancelled" | "rejected";
  readonly lines?: readonly StockLine[];
}

/**
 * Gives an order's reserved units back: one transaction marks the reservation `cancelled` (only
 * if it is still `reserved`, so releasing twice is a no-op) and adds each line back to its SKU.
 * Without a reservation it writes a `cancelled` marker, so an OrderPlaced that arrives after its
 * OrderCancelled does not reserve stock for a dead order.
 */
export async function releaseStock(
  table: StateTable,
  order: { readonly orderId: string; readonly causationId: string },
): Promise<ReleaseOutcome> {
  const key = reservationKey(order.orderId);
  const now = new Date().toISOString();
  const { Item } = await table.client.send(
    new GetCommand({ TableName: table.tableName, Key: key, ConsistentRead: true }),
  );
  const stored = Item as StoredReservation | undefined;

  if (stored === undefined) {
    try {
      await table.client.send(
        new PutCommand({
          TableName: table.tableName,
          Item: { ...key, status: "cancelled", cancelledBy: order.causationId, cancelledAt: now },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
      return { status: "cancelled-before-reservation" };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new StockTransactionError(
          `Order ${order.orderId} was reserved while its cancellation was being recorded; the record will be retried to release it`,
          { cause: error },
        );
      }
      throw error;
    }
  }
  if (stored.status !== "reserved") {
    // Cancelled already, or never reserved (rejected): nothing is held for the order.
    return { status: "already-released" };
  }

  const lines = stored.lines ?? [];
  try {
    await table.client.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: table.tableName,
              Key: key,
              UpdateExpression: "SET #status = :cancelled, cancelledBy = :causationId, cancelledAt = :now",
              ConditionExpression: "#status = :reserved",
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: {
                ":cancelled": "cancelled",
                ":reserved": "reserved",
                ":causationId": order.causationId,
                ":now": now,
              },
            },
          },
          ...lines.map((line) => ({
            Update: {
              TableName: table.tableName,
              Key: stockKey(line.sku),
              UpdateExpression: "ADD available :quantity",
              ExpressionAttributeValues: { ":quantity": line.quantity },
            },
          })),
        ],
      }),
    );
    return { status: "released", lines };
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) {
      throw error;
    }
    const [reservation] = cancellationReasonsOf(error);
    if (isConditionFailure(reservation?.Code)) {
      return { status: "already-released" };
    }
    throw unexpectedCancellation(error, "release");
  }
}
