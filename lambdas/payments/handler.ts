import { createSubscriptionConsumer } from "../shared/consumer";
import { outboxWriterFromEnvironment } from "../shared/outbox";
import { stateTableFromEnvironment } from "../shared/state-table";
import { recordPayment } from "./payment";

const payments = stateTableFromEnvironment();

/**
 * The payments consumer: charges each order whose stock is reserved and answers on the bus with
 * PaymentProcessed or PaymentFailed, in the order's flow. A declined card is an answer, not an
 * error: the record succeeds. The answer goes to the transactional outbox in the same DynamoDB
 * transaction as the payment it announces, so the two exist together or not at all.
 */
export const handler = createSubscriptionConsumer("payments", {
  outbox: outboxWriterFromEnvironment(),
  handlers: {
    InventoryReserved: async (event, { logger, followUpEntry }) => {
      const { orderId, customerId, total, reservationId } = event.data;
      const { payment, recordedEarlier } = await recordPayment(
        payments,
        { orderId, customerId, amount: total, reservationId, causationId: event.metadata.eventId },
        (recorded) =>
          recorded.status === "processed"
            ? followUpEntry("PaymentProcessed", {
                orderId,
                customerId,
                paymentId: recorded.paymentId,
                amount: recorded.amount,
              }).transactItem
            : followUpEntry("PaymentFailed", {
                orderId,
                customerId,
                amount: recorded.amount,
                reason: recorded.reason,
              }).transactItem,
      );
      logger.info(
        recordedEarlier
          ? "The order was charged by an earlier attempt, its answer committed with it; nothing to do"
          : "Payment recorded; its answer committed with it",
        { orderId, payment: { status: payment.status }, recordedEarlier },
      );
    },
  },
});
