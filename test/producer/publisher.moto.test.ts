import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { catalog } from "../../lib/catalog";
import { EventBridgePublisher } from "../../lib/producer";
import { type MotoServer, motoUnavailableReason, startMoto } from "../support/moto";
import { orderPlacedRequests } from "./factories";

const unavailable = motoUnavailableReason();
if (unavailable !== undefined) {
  console.warn(`Skipping the moto_server integration tests of the publisher: ${unavailable}`);
}

const EVENT_COUNT = 1_000;
/** Receivers polling the queue at once; moto's server is threaded. */
const RECEIVERS = 2;

describe("EventBridgePublisher against moto_server", () => {
  let moto: MotoServer | undefined;

  beforeAll(async () => {
    moto = await startMoto();
  });

  afterAll(async () => {
    await moto?.stop();
  });

  it.skipIf(unavailable !== undefined)(
    "delivers 1,000 events through a rule to an SQS queue, all of them, in exactly 100 PutEvents calls",
    async () => {
      // Prepare: a bus, a queue and a rule routing OrderPlaced to it.
      if (moto === undefined) throw new Error("moto_server did not start");
      const eventBridge = new EventBridgeClient(moto.clientConfig);
      const sqs = new SQSClient(moto.clientConfig);
      await eventBridge.send(new CreateEventBusCommand({ Name: "orders-bus" }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "orders-queue" }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
      );
      await eventBridge.send(
        new PutRuleCommand({
          Name: "order-placed",
          EventBusName: "orders-bus",
          EventPattern: JSON.stringify({
            source: [catalog.OrderPlaced.source],
            "detail-type": [catalog.OrderPlaced.detailType],
          }),
        }),
      );
      await eventBridge.send(
        new PutTargetsCommand({
          Rule: "order-placed",
          EventBusName: "orders-bus",
          Targets: [{ Id: "queue", Arn: Attributes?.QueueArn }],
        }),
      );
      let putEventsCalls = 0;
      eventBridge.middlewareStack.add(
        (next, context) => async (args) => {
          if (context.commandName === "PutEventsCommand") putEventsCalls++;
          return next(args);
        },
        { step: "initialize", name: "countPutEvents" },
      );
      const publisher = new EventBridgePublisher({
        eventBusName: "orders-bus",
        producer: "checkout",
        client: eventBridge,
      });

      // Act: consume while publishing, as the Lambda consumer would.
      let publishing = true;
      const draining = drain(sqs, QueueUrl ?? "", EVENT_COUNT, () => publishing);
      const result = await publisher.publishAll(orderPlacedRequests(EVENT_COUNT));
      publishing = false;
      const received = await draining;

      // Assess
      expect(result).toMatchObject({ published: EVENT_COUNT, failed: 0, invalid: 0, calls: 100 });
      expect(putEventsCalls).toBe(100);
      const publishedIds = result.outcomes.map((o) => o.eventId ?? "");
      expect([...received].sort()).toEqual(publishedIds.sort());
    },
  );
});

/**
 * Receives and deletes until `expected` distinct events have arrived, or until the queue has
 * answered empty a few times after publishing ended; returns their eventIds. A Set, because SQS
 * delivers at least once.
 */
async function drain(
  sqs: SQSClient,
  queueUrl: string,
  expected: number,
  publishing: () => boolean,
): Promise<Set<string>> {
  const eventIds = new Set<string>();
  let emptyReceivesAfterPublishing = 0;
  const receiver = async (): Promise<void> => {
    while (eventIds.size < expected && emptyReceivesAfterPublishing < 3) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      if (Messages.length === 0) {
        if (!publishing()) emptyReceivesAfterPublishing++;
        continue;
      }
      for (const message of Messages) {
        const event = JSON.parse(message.Body ?? "{}") as { detail: { metadata: { eventId: string } } };
        eventIds.add(event.detail.metadata.eventId);
      }
      await sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  };
  await Promise.all(Array.from({ length: RECEIVERS }, receiver));
  return eventIds;
}
