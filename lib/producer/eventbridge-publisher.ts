import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import { BatchingPublisher, type PublisherOptions } from "./batching-publisher";

/** Settings of an {@link EventBridgePublisher}. */
export interface EventBridgePublisherOptions extends PublisherOptions {
  /**
   * The client PutEvents goes through: point it at AWS, the local pipeline or moto_server.
   * @default - a new client from the environment, which honours `AWS_ENDPOINT_URL_EVENTBRIDGE`,
   * then `AWS_ENDPOINT_URL`, the region and the credentials chain
   */
  readonly client?: EventBridgeClient;
}

/**
 * Publishes catalogued events with PutEvents: validated before any call, packed 10 to a call
 * within the size limit, `maxInFlight` calls at a time, failed entries retried only for retryable
 * codes, every outcome reported in input order.
 *
 * @example
 * const publisher = new EventBridgePublisher({ eventBusName: "orders", producer: "checkout" });
 * await publisher.publish({ detailType: "OrderPlaced", data: order });
 */
export class EventBridgePublisher extends BatchingPublisher {
  /** The client every PutEvents call goes through. */
  public readonly client: EventBridgeClient;

  constructor(options: EventBridgePublisherOptions) {
    super(options);
    this.client = options.client ?? new EventBridgeClient({});
  }

  protected override async putEvents(
    entries: readonly PutEventsRequestEntry[],
  ): Promise<readonly PutEventsResultEntry[]> {
    const output = await this.client.send(new PutEventsCommand({ Entries: [...entries] }));
    return output.Entries ?? [];
  }
}
