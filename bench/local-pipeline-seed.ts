import { stockKey } from "../lambdas/inventory/stock";
import { seedExampleState } from "../lib/local/example-seed";
import type { LocalPipeline } from "../lib/local/local-pipeline";
import { type SubscriptionOutput, stackOutputs } from "../lib/stack-outputs";

/** The SKU the bench seeds with ample stock, so that every OrderPlaced is reserved and charged. */
export const BENCH_SKU = "BENCH";

/** The example's seed, plus ample stock of {@link BENCH_SKU} so that every bench order is reserved. */
export async function seedBenchStock(pipeline: LocalPipeline): Promise<void> {
  await seedExampleState(pipeline);
  const subscriptions = JSON.parse(
    pipeline.model.outputs[stackOutputs.subscriptions] ?? "[]",
  ) as SubscriptionOutput[];
  const inventoryTable = subscriptions.find((s) => s.name === "inventory")?.stateTableName;
  if (inventoryTable === undefined) throw new Error("The inventory subscription has no state table");
  await pipeline.dynamoDbService("PutItem", {
    TableName: inventoryTable,
    Item: {
      pk: { S: stockKey(BENCH_SKU).pk },
      sk: { S: stockKey(BENCH_SKU).sk },
      available: { N: "1000000000" },
    },
  });
}
