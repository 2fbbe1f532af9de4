import { afterEach, describe, expect, it } from "vitest";
import { EdgeServer } from "../../lib/local/edge-server";
import { localAuditDelivery } from "../../lib/ops/status";

const edges: EdgeServer[] = [];

afterEach(async () => {
  await Promise.all(edges.splice(0).map((edge) => edge.close()));
});

describe("localAuditDelivery", () => {
  it("reads the audit streams' delivery from the local pipeline's /health", async () => {
    // Prepare
    const failing = { since: 1, attempts: 3, error: "EEXIST: file already exists", nextAttemptAt: 9 };
    const edge = new EdgeServer({
      routes: [],
      health: () => ({ status: "ok", audit: [{ stream: "audit", pendingRecords: 7, failing }] }),
    });
    edges.push(edge);
    const endpoint = await edge.listen(0);

    // Act
    const delivery = await localAuditDelivery(endpoint);

    // Assess
    expect(delivery).toEqual([{ stream: "audit", pendingRecords: 7, failing }]);
  });

  it("says nothing when the endpoint does not report audit streams", async () => {
    // Prepare
    const edge = new EdgeServer({ routes: [] });
    edges.push(edge);
    const endpoint = await edge.listen(0);

    // Act
    const delivery = await localAuditDelivery(endpoint);

    // Assess
    expect(delivery).toBeUndefined();
  });
});
