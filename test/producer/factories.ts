import type {
  PutEventsCommandInput,
  PutEventsCommandOutput,
  PutEventsRequestEntry,
  PutEventsResultEntry,
} from "@aws-sdk/client-eventbridge";
import { catalog, type EventMetadata } from "../../lib/catalog";
import type { PublishRequest } from "../../lib/producer";

/** An OrderPlaced request whose orderId carries `n`, so tests can tell events apart. */
export function orderPlaced(n = 0): PublishRequest<"OrderPlaced"> {
  return { detailType: "OrderPlaced", data: { ...catalog.OrderPlaced.example, orderId: `ORD-${n}` } };
}

/** `count` distinct OrderPlaced requests, ORD-0 … ORD-(count-1). */
export function orderPlacedRequests(count: number): PublishRequest<"OrderPlaced">[] {
  return Array.from({ length: count }, (_, n) => orderPlaced(n));
}

/** The orderId inside an entry's Detail. */
export function orderIdOf(entry: PutEventsRequestEntry): string {
  return (JSON.parse(entry.Detail ?? "{}") as { data: { orderId: string } }).data.orderId;
}

/** The metadata inside an entry's Detail. */
export function metadataOf(entry: PutEventsRequestEntry): EventMetadata {
  return (JSON.parse(entry.Detail ?? "{}") as { metadata: EventMetadata }).metadata;
}

/**
 * A PutEvents fake for `callsFake`: numbers the calls from 1 and lets `decide` answer each entry
 * (by default every entry succeeds with the id `eb-<orderId>`).
 */
export function putEventsAnswering(
  decide: (entry: PutEventsRequestEntry, call: number) => PutEventsResultEntry = (entry) => ({
    EventId: `eb-${orderIdOf(entry)}`,
  }),
): (input: PutEventsCommandInput) => Promise<Partial<PutEventsCommandOutput>> {
  let call = 0;
  return async (input) => {
    call++;
    const entries = (input.Entries ?? []).map((entry) => decide(entry, call));
    return { FailedEntryCount: entries.filter((e) => e.ErrorCode).length, Entries: entries };
  };
}
