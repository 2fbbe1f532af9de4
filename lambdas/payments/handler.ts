import { createSubscriptionConsumer } from "../shared/consumer";
import { eventBridgePublisherFromEnvironment } from "../shared/publisher";
import { stateTableFromEnvironment } from "../shared/state-table";
import { recordPayment } from "./payment";

const payments = stateTableFromEnvironment();

/**
 * The payments consumer: charges each order whose stock is reserved and answers on the bus with
 * PaymentProcessed or PaymentFailed, in the order's flow. A declined card is an answer, not an
 * error: the record succeeds.
 */
export const handler = createSubscriptionConsumer("payments", {
  publisher: eventBridgePublisherFromEnvironment(),
  handlers: {
    InventoryReserved: async (event, { logger, publishFollowUp }) => {
      const { orderId, customerId, total, reservationId } = event.data;
      const { payment, recordedEarlier } = await recordPayment(payments, {
        orderId,
        customerId,
        amount: total,
        reservationId,
        causationId: event.metadata.eventId,
      });
      logger.info("Payment recorded", { orderId, payment: { status: payment.status }, recordedEarlier });
      if (payment.status === "processed") {
        await publishFollowUp("PaymentProcessed", {
          orderId,
          customerId,
          paymentId: payment.paymentId,
          amount: payment.amount,
        });
      } else {
        await publishFollowUp("PaymentFailed", {
          orderId,
          customerId,
          amount: payment.amount,
          reason: payment.reason,
        });
      }
    },
  },
});
