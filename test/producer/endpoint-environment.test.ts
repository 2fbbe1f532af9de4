import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { EventBridgePublisher } from "../../lib/producer";
import { orderPlaced } from "./factories";

/** Requests the fake endpoint received: the X-Amz-Target of each. */
let targets: string[];
let server: Server;
let endpoint: string;

/** A minimal PutEvents endpoint: answers every entry with an id, in the AWS JSON 1.1 shape. */
function answerPutEvents(request: IncomingMessage, body: string): string {
  targets.push(String(request.headers["x-amz-target"]));
  const { Entries = [] } = JSON.parse(body) as { Entries?: unknown[] };
  return JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map((_, i) => ({ EventId: `id-${i}` })) });
}

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => {
      body += chunk.toString("utf8");
    });
    request.on("end", () => {
      response.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
      response.end(answerPutEvents(request, body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  targets = [];
  vi.stubEnv("AWS_REGION", "us-east-1");
  vi.stubEnv("AWS_ACCESS_KEY_ID", "test");
  vi.stubEnv("AWS_SECRET_ACCESS_KEY", "test");
  vi.stubEnv("AWS_SESSION_TOKEN", undefined);
  vi.stubEnv("AWS_ENDPOINT_URL", undefined);
  vi.stubEnv("AWS_ENDPOINT_URL_EVENTBRIDGE", undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("EventBridgePublisher without an injected client", () => {
  it.each(["AWS_ENDPOINT_URL_EVENTBRIDGE", "AWS_ENDPOINT_URL"])("sends PutEvents to %s", async (variable) => {
    // Prepare
    vi.stubEnv(variable, endpoint);
    const publisher = new EventBridgePublisher({ eventBusName: "orders-bus", producer: "checkout" });

    // Act
    const outcome = await publisher.publish(orderPlaced(1));

    // Assess
    expect(outcome).toMatchObject({ status: "published", eventBridgeId: "id-0" });
    expect(targets).toEqual(["AWSEvents.PutEvents"]);
  });

  it("prefers AWS_ENDPOINT_URL_EVENTBRIDGE over AWS_ENDPOINT_URL", async () => {
    // Prepare: the generic variable points nowhere useful.
    vi.stubEnv("AWS_ENDPOINT_URL", "http://127.0.0.1:9");
    vi.stubEnv("AWS_ENDPOINT_URL_EVENTBRIDGE", endpoint);
    const publisher = new EventBridgePublisher({ eventBusName: "orders-bus", producer: "checkout" });

    // Act
    const outcome = await publisher.publish(orderPlaced(1));

    // Assess
    expect(outcome.status).toBe("published");
    expect(targets).toHaveLength(1);
  });
});
