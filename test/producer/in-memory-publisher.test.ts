import { describe, expect, it } from "vitest";
import { catalog } from "../../lib/catalog";
import { InMemoryPublisher, type PublishInput } from "../../lib/producer";
import { orderIdOf, orderPlaced, orderPlacedRequests } from "./factories";

describe("InMemoryPublisher", () => {
  it("records every accepted event with its entry and parsed detail", async () => {
    // Prepare
    const publisher = new InMemoryPublisher({ producer: "checkout", eventBusName: "orders-bus" });

    // Act
    const outcome = await publisher.publish(orderPlaced(7));

    // Assess
    expect(publisher.published).toHaveLength(1);
    const [event] = publisher.published;
    expect(event).toMatchObject({
      source: "eventrail.orders",
      detailType: "OrderPlaced",
      entry: { EventBusName: "orders-bus" },
      detail: { metadata: { producer: "checkout" }, data: { orderId: "ORD-7" } },
    });
    expect(outcome).toMatchObject({ status: "published", eventBridgeId: event?.eventBridgeId });
  });

  it("returns the typed data of one event type", async () => {
    // Prepare
    const publisher = new InMemoryPublisher();

    // Act
    await publisher.publishAll([
      orderPlaced(1),
      { detailType: "OrderCancelled", data: catalog.OrderCancelled.example },
      orderPlaced(2),
    ]);

    // Assess
    expect(publisher.ofType("OrderPlaced").map((e) => e.data.orderId)).toEqual(["ORD-1", "ORD-2"]);
  });

  it("validates like the EventBridge publisher and reports the same result shape", async () => {
    // Prepare
    const inputs: PublishInput[] = [
      ...orderPlacedRequests(12),
      { detailType: "OrderPlaced", data: { orderId: "nope" } } as unknown as PublishInput,
    ];
    const inMemory = new InMemoryPublisher();

    // Act
    const result = await inMemory.publishAll(inputs);

    // Assess
    expect(result).toMatchObject({ published: 12, failed: 0, invalid: 1, calls: 2 });
    expect(Object.keys(result).sort()).toEqual(["calls", "failed", "invalid", "outcomes", "published"]);
    expect(result.outcomes[12]).toMatchObject({ status: "invalid", errorCode: "EventValidationError" });
  });

  it("simulates throttling: the entry is retried and recorded once", async () => {
    // Prepare
    const publisher = new InMemoryPublisher({
      failEntry: (entry, attempt) =>
        orderIdOf(entry) === "ORD-1" && attempt === 1
          ? { errorCode: "ThrottlingException", errorMessage: "Rate exceeded" }
          : undefined,
    });

    // Act
    const result = await publisher.publishAll(orderPlacedRequests(3));

    // Assess
    expect(result).toMatchObject({ published: 3, calls: 2 });
    expect(publisher.published.map((e) => orderIdOf(e.entry))).toEqual(["ORD-0", "ORD-2", "ORD-1"]);
  });

  it("forgets what it recorded on clear()", async () => {
    // Prepare
    const publisher = new InMemoryPublisher();
    await publisher.publish(orderPlaced(1));

    // Act
    publisher.clear();

    // Assess
    expect(publisher.published).toEqual([]);
  });

  it("only counts, keeping nothing, when record is off", async () => {
    // Prepare
    const publisher = new InMemoryPublisher({ record: false });

    // Act
    const result = await publisher.publishAll(orderPlacedRequests(25));

    // Assess
    expect(result).toMatchObject({ published: 25, calls: 3 });
    expect(publisher.published).toEqual([]);
  });
});
