import { describe, expect, it } from "vitest";
import { handler } from "../../../lambdas/outbox-relay/handler";

function record(pk: string, image: Record<string, unknown>) {
  return {
    eventID: `id-${pk}`,
    eventName: "INSERT",
    dynamodb: { Keys: { pk: { S: pk } }, NewImage: { pk: { S: pk }, ...image } },
  };
}

const item = (n: number) => ({
  source: { S: "eventrail.orders" },
  detailType: { S: "OrderPlaced" },
  time: { S: "2026-12-05T10:00:00.000Z" },
  detail: { S: JSON.stringify({ metadata: { eventId: `E${n}` }, data: { n } }) },
});

describe("the outbox relay", () => {
  it("turns each outbox item of the batch into its event, in order, with the detail as JSON", async () => {
    const events = await handler([
      record("EVENT#1", item(1)),
      record("EVENT#2", { ...item(2), resources: { L: [{ S: "arn:x" }] } }),
    ]);
    expect(events).toEqual([
      {
        source: "eventrail.orders",
        detailType: "OrderPlaced",
        time: "2026-12-05T10:00:00.000Z",
        resources: [],
        detail: { metadata: { eventId: "E1" }, data: { n: 1 } },
      },
      expect.objectContaining({
        resources: ["arn:x"],
        detail: { metadata: { eventId: "E2" }, data: { n: 2 } },
      }),
    ]);
  });

  it("fails the batch on a record that is not an outbox item, naming the attribute and the item", async () => {
    const { detailType: _missing, ...broken } = item(3);
    await expect(handler([record("EVENT#1", item(1)), record("EVENT#3", broken)])).rejects.toThrow(
      /Outbox item EVENT#3: attribute detailType is missing/,
    );
    await expect(handler([record("EVENT#4", { ...item(4), detail: { S: "{not json" } })])).rejects.toThrow(
      /EVENT#4: its detail is not JSON/,
    );
  });
});
