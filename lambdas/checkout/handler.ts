import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { OutboxWriter } from "../../lib/producer/outbox-writer";
import { requireEnv } from "../shared/env";
import { logger, tracer } from "../shared/powertools";
import { stateTableFromEnvironment } from "../shared/state-table";
import { type CheckoutOutcome, type CheckoutRequest, placeOrder } from "./checkout";

const orders = stateTableFromEnvironment();
const outbox = new OutboxWriter({
  tableName: requireEnv("OUTBOX_TABLE_NAME"),
  producer: requireEnv("EVENTRAIL_PRODUCER"),
  client: DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({}))),
});

/**
 * The example checkout: a producer no queue drives (invoke it directly, or put an API in front of
 * it). The event is an order; the answer says whether it was placed now or by an earlier request
 * with the same orderId. An invalid order fails the invocation with a message naming what is wrong.
 */
export async function handler(request: CheckoutRequest): Promise<CheckoutOutcome> {
  const outcome = await placeOrder({ orders, outbox }, request);
  logger.info(
    outcome.status === "placed" ? "Order placed; OrderPlaced committed with it" : "Order was placed before",
    {
      ...outcome,
    },
  );
  return outcome;
}
