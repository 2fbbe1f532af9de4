import { createSubscriptionConsumer } from "../shared/consumer";
import { eventBridgePublisherFromEnvironment } from "../shared/publisher";
import { stateTableFromEnvironment } from "../shared/state-table";
import { releaseStock, reserveStock } from "./stock";

const stock = stateTableFromEnvironment();

/**
 * The inventory consumer: holds stock for placed orders and gives it back for cancelled ones.
 * Every OrderPlaced gets an answer on the bus: InventoryReserved or InventoryReservationFailed,
 * in the order's flow, unless the order was cancelled first.
 */
export const handler = createSubscriptionConsumer("inventory", {
  publisher: eventBridgePublisherFromEnvironment(),
  handlers: {
    OrderPlaced: async (event, { logger, publishFollowUp }) => {
      const { orderId, customerId, items, total } = event.data;
      const outcome = await reserveStock(stock, { orderId, items, causationId: event.metadata.eventId });
      switch (outcome.status) {
        case "reserved":
        case "already-reserved":
          logger.info("Stock reserved", { orderId, reservation: outcome });
          await publishFollowUp("InventoryReserved", {
            orderId,
            customerId,
            items,
            total,
            reservationId: outcome.reservationId,
          });
          return;
        case "rejected":
          logger.info("Stock not reserved", { orderId, reason: outcome.reason, skus: outcome.skus });
          await publishFollowUp("InventoryReservationFailed", {
            orderId,
            customerId,
            reason: outcome.reason,
            skus: [...outcome.skus],
          });
          return;
        case "order-cancelled":
          logger.info("Order was cancelled before it was placed here; nothing reserved", { orderId });
          return;
      }
    },
    OrderCancelled: async (event, { logger }) => {
      const { orderId } = event.data;
      const outcome = await releaseStock(stock, { orderId, causationId: event.metadata.eventId });
      logger.info("Order cancellation applied to stock", { orderId, release: outcome });
    },
  },
});
