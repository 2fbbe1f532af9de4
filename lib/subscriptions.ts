import { Duration } from "aws-cdk-lib";
import type { EventTypeName } from "./catalog";
import type { EventSubscriptionDefinition } from "./constructs/event-subscription";
import { consumerEventCounts, type EventCountMetrics } from "./constructs/pipeline-dashboard";

/**
 * One consumer of the bus, declared once, consuming and publishing event types of this app's
 * catalog. The pipeline turns each into a rule, a CMK-encrypted queue with a DLQ, a rule-target DLQ
 * and a Lambda consumer; the local pipeline runs the same declaration through the synthesized
 * template.
 */
export type SubscriptionDefinition = EventSubscriptionDefinition<EventTypeName>;

/**
 * The example domain from the seeds: OrderPlaced fans out to inventory and analytics; stock drives
 * payment. The subscriptions as literal types (`as const`), so that each consumer's handler is checked
 * against its own `eventTypes` (see {@link ConsumedEventTypes}).
 */
const definitions = [
  {
    name: "inventory",
    description: "Reserves stock for placed orders and releases it for cancelled ones.",
    eventTypes: ["OrderPlaced", "OrderCancelled"],
    entry: "lambdas/inventory/handler.ts",
    publishes: ["InventoryReserved", "InventoryReservationFailed"],
    outbox: true,
    stateTable: true,
  },
  {
    name: "payments",
    description: "Charges orders whose stock is reserved.",
    eventTypes: ["InventoryReserved"],
    entry: "lambdas/payments/handler.ts",
    publishes: ["PaymentProcessed", "PaymentFailed"],
    outbox: true,
    stateTable: true,
  },
  {
    name: "analytics",
    description: "Turns every order, inventory and payment event into a business metric.",
    eventTypes: [
      "OrderPlaced",
      "OrderCancelled",
      "InventoryReserved",
      "InventoryReservationFailed",
      "PaymentProcessed",
      "PaymentFailed",
    ],
    entry: "lambdas/analytics/handler.ts",
    batchSize: 100,
    maxBatchingWindow: Duration.seconds(5),
  },
] as const satisfies readonly SubscriptionDefinition[];

/** The app's subscriptions: who consumes what. */
export const subscriptions: readonly SubscriptionDefinition[] = definitions;

/** The name of a subscription of this app. */
export type SubscriptionName = (typeof definitions)[number]["name"];

/** The event types subscription `S` consumes: its handler must handle exactly these. */
export type ConsumedEventTypes<S extends SubscriptionName> = Extract<
  (typeof definitions)[number],
  { readonly name: S }
>["eventTypes"][number];

/**
 * The dashboard's events-per-type graph: the analytics consumer counts every event it consumes as a
 * metric named after its detail-type (lambdas/analytics/handler.ts).
 */
export const eventCounts: EventCountMetrics = consumerEventCounts(subscriptionNamed("analytics"));

function subscriptionNamed(name: SubscriptionName): SubscriptionDefinition {
  // A SubscriptionName is the name of one of the definitions, so it is always found.
  return subscriptions.find((subscription) => subscription.name === name) as SubscriptionDefinition;
}
