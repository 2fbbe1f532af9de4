import { request } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { EdgeServer } from "../../lib/local/edge-server";

interface Answer {
  readonly status: number;
  readonly body: string;
}

/** A POST to the edge with exactly these headers, as a browser or a rebinding page would send them. */
function post(endpoint: string, headers: Record<string, string>, body: string): Promise<Answer> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const outgoing = request(
      { host: url.hostname, port: url.port, method: "POST", path: "/", headers, setHost: false },
      (answer) => {
        let text = "";
        answer.on("data", (chunk: Buffer) => {
          text += chunk.toString("utf8");
        });
        answer.on("end", () => resolve({ status: answer.statusCode ?? 0, body: text }));
      },
    );
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

const edges: EdgeServer[] = [];

afterEach(async () => {
  await Promise.all(edges.splice(0).map((edge) => edge.close()));
});

/** An edge with one service that records every operation it runs. */
async function startEdge(): Promise<{ endpoint: string; port: string; calls: string[] }> {
  const calls: string[] = [];
  const edge = new EdgeServer({
    routes: [
      {
        targetPrefix: "AWSEvents",
        contentType: "application/x-amz-json-1.1",
        service: async (operation) => {
          calls.push(operation);
          return { EventBuses: [] };
        },
      },
    ],
  });
  edges.push(edge);
  const endpoint = await edge.listen(0);
  return { endpoint, port: new URL(endpoint).port, calls };
}

const LIST_BUSES = {
  "content-type": "application/x-amz-json-1.1",
  "x-amz-target": "AWSEvents.ListEventBuses",
};

describe("EdgeServer and other web pages", () => {
  it.each(["127.0.0.1", "localhost"])("answers requests whose Host is %s and its port", async (name) => {
    // Prepare
    const { endpoint, port, calls } = await startEdge();

    // Act
    const answer = await post(endpoint, { ...LIST_BUSES, host: `${name}:${port}` }, "{}");

    // Assess
    expect(answer.status).toBe(200);
    expect(calls).toEqual(["ListEventBuses"]);
  });

  it("refuses a DNS-rebinding request (another Host on the loopback address) with 403, running nothing", async () => {
    // Prepare
    const { endpoint, port, calls } = await startEdge();

    // Act
    const answer = await post(endpoint, { ...LIST_BUSES, host: `evil.example:${port}` }, "{}");

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('Host "evil.example');
    expect(calls).toEqual([]);
  });

  it("refuses a cross-origin browser request, even a simple one that needs no preflight", async () => {
    // Prepare: the headers a browser sends for fetch(..., { method: "POST", body }) from another site.
    const { endpoint, port, calls } = await startEdge();

    // Act
    const answer = await post(
      endpoint,
      {
        host: `127.0.0.1:${port}`,
        origin: "http://evil.example",
        "content-type": "text/plain;charset=UTF-8",
        "x-amz-target": "AWSEvents.ListEventBuses",
      },
      "{}",
    );

    // Assess
    expect(answer.status).toBe(403);
    expect(answer.body).toContain("http://evil.example");
    expect(calls).toEqual([]);
  });

  it("answers a request from a page it serves itself (same origin)", async () => {
    // Prepare
    const { endpoint, port, calls } = await startEdge();

    // Act
    const answer = await post(
      endpoint,
      { ...LIST_BUSES, host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` },
      "{}",
    );

    // Assess
    expect(answer.status).toBe(200);
    expect(calls).toEqual(["ListEventBuses"]);
  });
});
