import { MetricUnit } from "@aws-lambda-powertools/metrics";
import { createSubscriptionConsumer } from "../shared/consumer";
import type { ConsumedEvent } from "../shared/event-record";
import { metrics } from "../shared/powertools";

/** Counts one event under its detail-type's name; the kit publishes the buffer at the end of the batch. */
async function countEvent(event: ConsumedEvent): Promise<void> {
  metrics.addMetric(event.detailType, MetricUnit.Count, 1);
}

/**
 * Records an amount in minor units. Each goes out at once in its own EMF line with a `currency`
 * dimension: amounts in different currencies must never be summed into one statistic, and buffered
 * metrics share one dimension set.
 */
function recordAmount(name: string, money: { readonly amount: number; readonly currency: string }): void {
  metrics
    .singleMetric()
    .addDimension("currency", money.currency)
    .addMetric(name, MetricUnit.NoUnit, money.amount);
}

/**
 * The analytics consumer: every order, inventory and payment event becomes a CloudWatch metric in
 * the `eventrail` namespace (dimension `service`): a count named after its detail-type, plus
 * `OrderValue` (OrderPlaced's total) and `ChargedValue` (PaymentProcessed's amount), in minor units
 * per currency. InventoryReserved carries the order's total too but is not summed again.
 */
export const handler = createSubscriptionConsumer("analytics", {
  handlers: {
    OrderPlaced: async (event) => {
      await countEvent(event);
      recordAmount("OrderValue", event.data.total);
    },
    OrderCancelled: countEvent,
    InventoryReserved: countEvent,
    InventoryReservationFailed: countEvent,
    PaymentProcessed: async (event) => {
      await countEvent(event);
      recordAmount("ChargedValue", event.data.amount);
    },
    PaymentFailed: countEvent,
  },
});
