import * as path from "node:path";
import { CfnOutput, type Duration, Fn, RemovalPolicy, Stack, type StackProps } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import type * as iam from "aws-cdk-lib/aws-iam";
import type { Construct } from "constructs";
import { type EventType, eventTypes } from "./catalog";
import { AuditTrail, type AuditTrailProps } from "./constructs/audit-trail";
import { EventBackboneBus } from "./constructs/event-backbone-bus";
import { EventDeliveryKey } from "./constructs/event-delivery-key";
import { EventOutbox } from "./constructs/event-outbox";
import { EventSchemaRegistry } from "./constructs/event-schema-registry";
import { EventSubscription, type EventSubscriptionDefinition } from "./constructs/event-subscription";
import { OutboxProducer } from "./constructs/outbox-producer";
import { PipelineAlarms } from "./constructs/pipeline-alarms";
import type { EventCountMetrics } from "./constructs/pipeline-dashboard";
import { stackOutputs } from "./stack-outputs";
import { eventCounts, subscriptions } from "./subscriptions";

/** Properties of {@link PipelineStack}. */
export interface PipelineStackProps extends StackProps {
  /**
   * Name of the event bus.
   * @default "eventrail"
   */
  readonly eventBusName?: string;
  /**
   * Principals allowed to call PutEvents on the bus.
   * @default - this account only
   */
  readonly publisherPrincipals?: readonly iam.IPrincipal[];
  /**
   * How long the archive keeps events for replay.
   * @default Duration.days(90)
   */
  readonly archiveRetention?: Duration;
  /**
   * The event types: each is registered in the schema registry, and the subscriptions may consume
   * and publish them.
   * @default - the whole catalog of lib/catalog
   */
  readonly eventTypes?: readonly EventType[];
  /**
   * The consumers, naming event types of `eventTypes`.
   * @default - the subscriptions declared in lib/subscriptions.ts
   */
  readonly subscriptions?: readonly EventSubscriptionDefinition[];
  /**
   * Source of the dashboard's events-per-type graph.
   * @default - the analytics consumer's counts (lib/subscriptions.ts) when `subscriptions` is left
   * out; otherwise no events-per-type graph
   */
  readonly eventCounts?: EventCountMetrics;
  /**
   * The audit trail's settings (buffering, lifecycle, object lock, Athena limits).
   * @default - the AuditTrail defaults
   */
  readonly audit?: Omit<AuditTrailProps, "eventBus">;
  /**
   * An e-mail address subscribed to the alarm topic.
   * @default - no subscription; subscribe on-call to the topic yourself
   */
  readonly alarmEmail?: string;
  /**
   * The example producer that writes orders and OrderPlaced through the outbox (lambdas/checkout).
   * @default - true with the example catalog; false when `eventTypes` is given
   */
  readonly checkout?: boolean;
  /**
   * Repository root, against which handler entries are resolved.
   * @default - the folder above lib/
   */
  readonly projectRoot?: string;
}

/** The whole event backbone: bus, archive, registry, one pipeline per subscription. */
export class PipelineStack extends Stack {
  public readonly bus: EventBackboneBus;
  public readonly registry: EventSchemaRegistry;
  public readonly deliveryKey: EventDeliveryKey;
  public readonly idempotencyTable: dynamodb.Table;
  public readonly outbox: EventOutbox;
  public readonly checkout?: OutboxProducer;
  public readonly subscriptions: readonly EventSubscription[];
  public readonly auditTrail: AuditTrail;
  public readonly alarms: PipelineAlarms;

  constructor(scope: Construct, id: string, props: PipelineStackProps = {}) {
    super(scope, id, props);
    const projectRoot = props.projectRoot ?? path.resolve(import.meta.dirname, "..");
    const definitions = props.subscriptions ?? subscriptions;
    const types = props.eventTypes ?? eventTypes;
    const names = definitions.map((d) => d.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) {
      throw new Error(
        `PipelineStack: subscription name "${duplicate}" is declared twice; names must be unique`,
      );
    }

    this.bus = new EventBackboneBus(this, "Bus", {
      eventBusName: props.eventBusName,
      publisherPrincipals: props.publisherPrincipals,
      archiveRetention: props.archiveRetention,
    });
    this.registry = new EventSchemaRegistry(this, "Schemas", { eventTypes: types });
    this.deliveryKey = new EventDeliveryKey(this, "DeliveryKey");
    this.idempotencyTable = new dynamodb.Table(this, "IdempotencyTable", {
      partitionKey: { name: "id", type: dynamodb.AttributeType.STRING },
      timeToLiveAttribute: "expiration",
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Idempotency records expire within hours; nothing is lost with the table.
      removalPolicy: RemovalPolicy.DESTROY,
    });

    this.outbox = new EventOutbox(this, "EventOutbox", {
      eventBus: this.bus.eventBus,
      encryptionKey: this.deliveryKey.key,
      projectRoot,
    });
    if (props.checkout ?? props.eventTypes === undefined) {
      this.checkout = new OutboxProducer(this, "Checkout", {
        name: "checkout",
        description: "places orders: the order and its OrderPlaced in one transaction",
        entry: "lambdas/checkout/handler.ts",
        outbox: this.outbox,
        projectRoot,
      });
    }

    this.subscriptions = definitions.map(
      (definition) =>
        new EventSubscription(this, `Subscription-${definition.name}`, {
          eventBus: this.bus.eventBus,
          definition,
          eventTypes: types,
          encryptionKey: this.deliveryKey.key,
          idempotencyTable: this.idempotencyTable,
          outbox: this.outbox,
          projectRoot,
        }),
    );

    this.auditTrail = new AuditTrail(this, "Audit", { ...props.audit, eventBus: this.bus.eventBus });
    this.alarms = new PipelineAlarms(this, "Alarms", {
      eventBus: this.bus.eventBus,
      subscriptions: this.subscriptions.map((s) => ({
        name: s.subscriptionName,
        queue: s.queue,
        deadLetterQueue: s.deadLetterQueue,
        targetDeadLetterQueue: s.targetDeadLetterQueue,
        consumer: s.consumer,
        rule: s.rule,
      })),
      auditTrail: this.auditTrail,
      outbox: { pipeName: this.outbox.pipeName, deadLetterQueue: this.outbox.deadLetterQueue },
      alarmEmail: props.alarmEmail,
      eventCounts: props.eventCounts ?? (props.subscriptions === undefined ? eventCounts : undefined),
    });

    this.addOutputs();
  }

  private addOutputs(): void {
    const output = (key: string, value: string, description: string) =>
      new CfnOutput(this, key, { key, value, description });
    output(stackOutputs.eventBusName, this.bus.eventBus.eventBusName, "The bus producers publish to");
    output(stackOutputs.eventBusArn, this.bus.eventBus.eventBusArn, "ARN of the bus");
    output(stackOutputs.archiveName, this.bus.archive.archiveName, "The archive replays come from");
    output(stackOutputs.archiveArn, this.bus.archive.archiveArn, "ARN of the archive");
    output(stackOutputs.schemaRegistryName, this.registry.registry.attrRegistryName, "The schema registry");
    output(
      stackOutputs.idempotencyTableName,
      this.idempotencyTable.tableName,
      "Consumers' idempotency records",
    );
    output(
      stackOutputs.auditBucketName,
      this.auditTrail.bucket.bucketName,
      "Where every event lands as JSON",
    );
    output(stackOutputs.auditEventsPrefix, this.auditTrail.eventsPrefix, "Key prefix of the audit events");
    output(
      stackOutputs.auditDeadLetterQueueUrl,
      this.auditTrail.targetDeadLetterQueue.queueUrl,
      "Events the audit rule could not deliver",
    );
    output(
      stackOutputs.athenaWorkGroup,
      this.auditTrail.queryEngine.workGroupName,
      "Athena workgroup of the saved queries",
    );
    output(
      stackOutputs.athenaDatabase,
      this.auditTrail.queryEngine.database.databaseName,
      "Glue database of the audit table",
    );
    output(stackOutputs.alarmTopicArn, this.alarms.topic.topicArn, "Every alarm notifies this topic");
    output(
      stackOutputs.outbox,
      Fn.toJsonString({
        tableName: this.outbox.table.tableName,
        streamArn: this.outbox.table.tableStreamArn,
        pipeName: this.outbox.pipeName,
        pipeArn: this.outbox.pipe.attrArn,
        deadLetterQueueUrl: this.outbox.deadLetterQueue.queueUrl,
        deadLetterQueueArn: this.outbox.deadLetterQueue.queueArn,
      }),
      "The transactional outbox's table, stream, pipe and pipe DLQ, as JSON",
    );
    if (this.checkout !== undefined) {
      output(
        stackOutputs.checkoutFunctionName,
        this.checkout.function.functionName,
        "The example checkout: invoke it with an order",
      );
    }
    output(
      stackOutputs.subscriptions,
      Fn.toJsonString(
        this.subscriptions.map((s) => ({
          name: s.subscriptionName,
          ruleName: s.rule.ruleName,
          queueUrl: s.queue.queueUrl,
          queueArn: s.queue.queueArn,
          deadLetterQueueUrl: s.deadLetterQueue.queueUrl,
          deadLetterQueueArn: s.deadLetterQueue.queueArn,
          targetDeadLetterQueueUrl: s.targetDeadLetterQueue.queueUrl,
          targetDeadLetterQueueArn: s.targetDeadLetterQueue.queueArn,
          functionName: s.consumer.functionName,
          ...(s.stateTable ? { stateTableName: s.stateTable.tableName } : {}),
        })),
      ),
      "Every subscription's rule, queues and consumer, as JSON",
    );
  }
}
