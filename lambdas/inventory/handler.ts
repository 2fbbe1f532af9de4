import { createSubscriptionConsumer } from "../shared/consumer";
import { outboxWriterFromEnvironment } from "../shared/outbox";
import { stateTableFromEnvironment } from "../shared/state-table";
import { recordRejection, releaseStock, reservationIdOf, reserveStock } from "./stock";

const stock = stateTableFromEnvironment();

/**
 * The inventory consumer: holds stock for placed orders and gives it back for cancelled ones.
 * Every OrderPlaced gets one answer on the bus, InventoryReserved or InventoryReservationFailed,
 * in the order's flow, unless the order was cancelled first. Each answer is written to the
 * transactional outbox in the same DynamoDB transaction as the state it announces (the
 * reservation, or the recorded rejection): a crash can never leave one without the other, and a
 * redelivered OrderPlaced finds both and does nothing.
 */
export const handler = createSubscriptionConsumer("inventory", {
  outbox: outboxWriterFromEnvironment(),
  handlers: {
    OrderPlaced: async (event, { logger, followUpEntry }) => {
      const { orderId, customerId, items, total } = event.data;
      const causationId = event.metadata.eventId;
      const reservationId = reservationIdOf(orderId);
      const reserved = followUpEntry("InventoryReserved", {
        orderId,
        customerId,
        items,
        total,
        reservationId,
      });
      const outcome = await reserveStock(stock, { orderId, items, causationId }, reserved.transactItem);
      switch (outcome.status) {
        case "reserved":
          logger.info("Stock reserved; InventoryReserved committed with it", {
            orderId,
            eventId: reserved.eventId,
          });
          return;
        case "already-reserved":
        case "already-rejected":
          logger.info("The order was answered by an earlier attempt; nothing to do", { orderId, outcome });
          return;
        case "order-cancelled":
          logger.info("Order was cancelled before it was placed here; nothing reserved", { orderId });
          return;
        case "rejected": {
          const failed = followUpEntry("InventoryReservationFailed", {
            orderId,
            customerId,
            reason: outcome.reason,
            skus: [...outcome.skus],
          });
          const recorded = await recordRejection(
            stock,
            { orderId, reason: outcome.reason, skus: outcome.skus, causationId },
            failed.transactItem,
          );
          logger.info("Stock not reserved", {
            orderId,
            reason: outcome.reason,
            skus: outcome.skus,
            recorded,
          });
          return;
        }
      }
    },
    OrderCancelled: async (event, { logger }) => {
      const { orderId } = event.data;
      const outcome = await releaseStock(stock, { orderId, causationId: event.metadata.eventId });
      logger.info("Order cancellation applied to stock", { orderId, release: outcome });
    },
  },
});
