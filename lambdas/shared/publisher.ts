import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { EventBridgePublisher } from "../../lib/producer/eventbridge-publisher";
import type { EventPublisher } from "../../lib/producer/types";
import { requireEnv } from "./env";
import { tracer } from "./powertools";

/**
 * The publisher of follow-up events on the bus named by `EVENT_BUS_NAME`, signed as
 * `EVENTRAIL_PRODUCER`. The variables are read now (call this at module scope, so that a
 * misconfigured function fails its cold start); the publisher and its traced EventBridge client
 * are built when the returned function is first called, and `createConsumer` calls it once, at the
 * first follow-up. Tests pass their own `() => EventPublisher` to `createConsumer` instead.
 */
export function eventBridgePublisherFromEnvironment(): () => EventPublisher {
  const eventBusName = requireEnv("EVENT_BUS_NAME");
  const producer = requireEnv("EVENTRAIL_PRODUCER");
  return () =>
    new EventBridgePublisher({
      eventBusName,
      producer,
      client: tracer.captureAWSv3Client(new EventBridgeClient({})),
    });
}
