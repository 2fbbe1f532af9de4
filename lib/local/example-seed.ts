import { stockSeedItems } from "../../lambdas/inventory/seed";
import type { SubscriptionOutput } from "../stack-outputs";
import { stackOutputs } from "../stack-outputs";
import { AwsServiceError } from "./aws-error";
import type { LocalPipeline } from "./local-pipeline";

/**
 * Gives the example app's inventory consumer its starting stock, once: items already in the table
 * (after a restart, or changed by orders) are left alone. Returns how many items were written.
 * A stack without an `inventory` subscription with a state table is left untouched.
 */
export async function seedExampleState(pipeline: LocalPipeline): Promise<number> {
  const raw = pipeline.model.outputs[stackOutputs.subscriptions];
  if (raw === undefined) return 0;
  const inventory = (JSON.parse(raw) as SubscriptionOutput[]).find((s) => s.name === "inventory");
  if (inventory?.stateTableName === undefined) return 0;
  let written = 0;
  for (const item of stockSeedItems()) {
    try {
      await pipeline.dynamoDbService("PutItem", {
        TableName: inventory.stateTableName,
        Item: { pk: { S: item.pk }, sk: { S: item.sk }, available: { N: String(item.available) } },
        ConditionExpression: "attribute_not_exists(pk)",
      });
      written++;
    } catch (error) {
      if (!(error instanceof AwsServiceError && error.code === "ConditionalCheckFailedException"))
        throw error;
    }
  }
  return written;
}
