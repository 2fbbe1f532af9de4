import type { EventTypeName } from "./catalog";

/**
 * One consumer of the bus, declared once. The pipeline turns each into a rule, a CMK-encrypted queue
 * with a DLQ, a rule-target DLQ and a Lambda consumer; the local pipeline runs the same declaration
 * through the synthesized template.
 */
export interface SubscriptionDefinition {
  /** kebab-case name, unique; used in resource names, the CLI and alarms. */
  readonly name: string;
  /** What this consumer does, for docs and the console. */
  readonly description: string;
  /** The event types it consumes; the rule matches their source and detail-type. */
  readonly eventTypes: readonly EventTypeName[];
  /**
   * Extra content filter on `detail`, in EventBridge pattern syntax, merged into the rule pattern.
   * @default - no filter: every event of the listed types
   */
  readonly detailFilter?: Readonly<Record<string, unknown>>;
  /** Handler entry file, relative to the repository root. */
  readonly entry: string;
  /** Event types this consumer publishes (event chaining); grants PutEvents on the bus. @default [] */
  readonly publishes?: readonly EventTypeName[];
  /** Gives the consumer a DynamoDB table of its own (`pk`, `sk`), named in `STATE_TABLE_NAME`. @default false */
  readonly stateTable?: boolean;
  /** Function timeout in seconds. @default 30 */
  readonly timeoutSeconds?: number;
  /** Function memory in MiB. @default 256 */
  readonly memorySize?: number;
  /** Records per invocation. @default 10 */
  readonly batchSize?: number;
  /** Seconds Lambda waits to fill a batch. @default 0 */
  readonly maxBatchingWindowSeconds?: number;
  /** Concurrent invocations the event source may use (2-1000). @default 10 */
  readonly maxConcurrency?: number;
  /** Receives before a message moves to the queue DLQ. @default 5 */
  readonly maxReceiveCount?: number;
  /** Queue visibility timeout in seconds; must be at least 6 x the function timeout. @default 6 x timeout */
  readonly visibilityTimeoutSeconds?: number;
}

/** The example domain from the seeds: OrderPlaced fans out to inventory and analytics; stock drives payment. */
/**
 * The subscriptions as literal types (`as const`), so that each consumer's handler is checked
 * against its own `eventTypes` (see {@link ConsumedEventTypes}).
 */
const definitions = [
  {
    name: "inventory",
    description: "Reserves stock for placed orders and releases it for cancelled ones.",
    eventTypes: ["OrderPlaced", "OrderCancelled"],
    entry: "lambdas/inventory/handler.ts",
    publishes: ["InventoryReserved", "InventoryReservationFailed"],
    stateTable: true,
  },
  {
    name: "payments",
    description: "Charges orders whose stock is reserved.",
    eventTypes: ["InventoryReserved"],
    entry: "lambdas/payments/handler.ts",
    publishes: ["PaymentProcessed", "PaymentFailed"],
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
    maxBatchingWindowSeconds: 5,
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

/** The event types subscription `name` consumes, at run time. */
export function consumedEventTypes(name: SubscriptionName): readonly EventTypeName[] {
  return subscriptions.find((subscription) => subscription.name === name)?.eventTypes ?? [];
}
