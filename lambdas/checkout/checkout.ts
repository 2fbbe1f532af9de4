import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { catalog, type DataOf } from "../../lib/catalog";
import { newEventId } from "../../lib/producer/envelope";
import { EventValidationError } from "../../lib/producer/errors";
import { OutboxTransactionCancelledError, type OutboxWriter } from "../../lib/producer/outbox-writer";
import type { StateTable } from "../shared/state-table";

/** What a checkout asks for: the order, without the id and time the checkout gives it. */
export type CheckoutRequest = Omit<DataOf<"OrderPlaced">, "orderId" | "placedAt"> & {
  /**
   * The order's id, when the client chose one: a retried checkout with the same id places the order
   * once. @default - a new `ORD-<ULID>`
   */
  readonly orderId?: string;
};

/** What came of a checkout. */
export interface CheckoutOutcome {
  /** `placed` now, or `already-placed` by an earlier request with the same orderId. */
  readonly status: "placed" | "already-placed";
  readonly orderId: string;
  /** The OrderPlaced eventId, committed with the order. */
  readonly eventId: string;
}

/** Raised for a request that is not an order; the message names what is wrong. */
export class CheckoutRequestError extends Error {
  public override readonly name = "CheckoutRequestError";
}

/** The key of an order's item in the checkout's table. */
export function orderKey(orderId: string): { pk: string; sk: string } {
  return { pk: `ORDER#${orderId}`, sk: "ORDER" };
}

/**
 * Places an order: in ONE DynamoDB transaction it records the order (only if its id is new) and
 * writes OrderPlaced to the transactional outbox, so the order and its event exist together or not
 * at all, whatever fails in between. The outbox's pipe puts the event on the bus. This is the
 * outbox outside a queue: a producer that nothing retries, such as an API handler, cannot lose the
 * event after committing the order, nor announce an order it did not record.
 */
export async function placeOrder(
  deps: { readonly orders: StateTable; readonly outbox: OutboxWriter; readonly now?: () => Date },
  request: CheckoutRequest,
): Promise<CheckoutOutcome> {
  if (request === null || typeof request !== "object") {
    throw new CheckoutRequestError(
      "A checkout takes an order: { customerId, items: [{ sku, quantity }], total: { amount, currency } }",
    );
  }
  const orderId = request.orderId ?? `ORD-${newEventId()}`;
  const placedAt = (deps.now?.() ?? new Date()).toISOString();
  const data = { ...request, orderId, placedAt };
  let event: ReturnType<OutboxWriter["prepare"]>;
  try {
    event = deps.outbox.prepare({ detailType: "OrderPlaced", data, correlationId: orderId });
  } catch (error) {
    if (error instanceof EventValidationError) {
      throw new CheckoutRequestError(
        `The order is not valid: ${error.issues.join("; ") || error.message}. Expected ${JSON.stringify(catalog.OrderPlaced.example)} without placedAt`,
        { cause: error },
      );
    }
    throw error;
  }
  try {
    await deps.outbox.commit(
      [event],
      [
        {
          Put: {
            TableName: deps.orders.tableName,
            Item: { ...orderKey(orderId), ...data, status: "placed", eventId: event.eventId },
            ConditionExpression: "attribute_not_exists(pk)",
          },
        },
      ],
    );
    return { status: "placed", orderId, eventId: event.eventId };
  } catch (error) {
    if (!(error instanceof OutboxTransactionCancelledError) || !error.failedCallerItems.includes(0))
      throw error;
  }
  // The order exists: an earlier request placed it, with its event.
  const { Item } = await deps.orders.client.send(
    new GetCommand({ TableName: deps.orders.tableName, Key: orderKey(orderId), ConsistentRead: true }),
  );
  return { status: "already-placed", orderId, eventId: String(Item?.eventId ?? "") };
}
