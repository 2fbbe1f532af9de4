import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsCommandInput,
} from "@aws-sdk/client-eventbridge";
import type { AwsClientStub } from "aws-sdk-client-mock";
import type { EventMetadata } from "../../../lib/catalog";

/** An event a consumer sent to the bus, read back from the PutEvents call (consumers that publish with `publishFollowUp`; the scaffolds' tests use it). */
export interface SentEvent {
  readonly eventBusName: string | undefined;
  readonly source: string | undefined;
  readonly detailType: string | undefined;
  readonly metadata: EventMetadata;
  readonly data: Record<string, unknown>;
}

/** Makes the mocked EventBridge accept every entry, as PutEvents does when all goes well. */
export function acceptAllEvents(client: AwsClientStub<EventBridgeClient>): void {
  client.on(PutEventsCommand).callsFake(async (input: PutEventsCommandInput) => ({
    FailedEntryCount: 0,
    Entries: (input.Entries ?? []).map((_, index) => ({ EventId: `eb-accepted-${index}` })),
  }));
}

/** Makes the mocked EventBridge refuse every entry with a non-retryable per-entry error. */
export function refuseAllEvents(client: AwsClientStub<EventBridgeClient>): void {
  client.on(PutEventsCommand).callsFake(async (input: PutEventsCommandInput) => ({
    FailedEntryCount: input.Entries?.length ?? 0,
    Entries: (input.Entries ?? []).map(() => ({
      ErrorCode: "AccessDeniedException",
      ErrorMessage: "not authorized to put events on this bus",
    })),
  }));
}

/** Every event sent through the mocked client, in call order. */
export function sentEvents(client: AwsClientStub<EventBridgeClient>): SentEvent[] {
  return client.commandCalls(PutEventsCommand).flatMap((call) =>
    (call.args[0].input.Entries ?? []).map((entry) => {
      const detail = JSON.parse(entry.Detail ?? "{}") as {
        metadata: EventMetadata;
        data: Record<string, unknown>;
      };
      return {
        eventBusName: entry.EventBusName,
        source: entry.Source,
        detailType: entry.DetailType,
        metadata: detail.metadata,
        data: detail.data,
      };
    }),
  );
}
