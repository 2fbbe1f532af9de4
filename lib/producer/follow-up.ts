import type { EventTypeName } from "../catalog";
import type { CausingEvent, PublishRequest } from "./types";

/**
 * A follow-up event for event chaining: it joins the cause's flow (same correlationId) and names
 * the cause (causationId = the consumed event's eventId), so the audit trail can tell the story.
 */
export function followUp<N extends EventTypeName>(
  cause: CausingEvent,
  request: Omit<PublishRequest<N>, "correlationId" | "causationId">,
): PublishRequest<N> {
  return {
    ...request,
    correlationId: cause.metadata.correlationId,
    causationId: cause.metadata.eventId,
  };
}
