import * as z from "zod";
import type { EventType } from "./event-type";

/** The schema format registered in the EventBridge Schema Registry. */
export const REGISTRY_SCHEMA_TYPE = "JSONSchemaDraft4";

const DRAFT_04 = "http://json-schema.org/draft-04/schema#";

/** A JSON Schema document, as registered in the EventBridge Schema Registry. */
export type JsonSchemaDocument = Record<string, unknown>;

/**
 * The registry document for one event type: a draft-04 JSON Schema of the whole EventBridge event
 * (envelope fields, `detail.metadata`, `detail.data`), generated from the catalog's Zod schema.
 * `source` and `detail-type` are pinned with one-value enums (draft-04 has no `const`).
 */
export function toRegistrySchema(eventType: EventType): JsonSchemaDocument {
  const detail = z.toJSONSchema(eventType.detail, {
    target: "draft-04",
    io: "input",
    unrepresentable: "throw",
  });
  delete (detail as Record<string, unknown>).$schema;
  return {
    $schema: DRAFT_04,
    title: eventType.detailType,
    description: eventType.description,
    "x-eventrail-version": eventType.version,
    type: "object",
    required: ["detail-type", "source", "detail"],
    properties: {
      version: { type: "string" },
      id: { type: "string" },
      "detail-type": { type: "string", enum: [eventType.detailType] },
      source: { type: "string", enum: [eventType.source] },
      account: { type: "string" },
      time: { type: "string", format: "date-time" },
      region: { type: "string" },
      resources: { type: "array", items: { type: "string" } },
      "replay-name": { type: "string" },
      detail,
    },
  };
}

/** A sample EventBridge event of this type, with the catalog example as its data. */
export function exampleEvent(eventType: EventType): Record<string, unknown> {
  return {
    version: "0",
    id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": eventType.detailType,
    source: eventType.source,
    account: "123456789012",
    time: "2025-08-13T08:30:00Z",
    region: "eu-west-1",
    resources: [],
    detail: {
      metadata: {
        eventId: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D7",
        schemaVersion: eventType.version,
        correlationId: "01K2HZ3V1Q6Y0WJ8T7N4B5C6D0",
        producer: "example",
        occurredAt: "2025-08-13T08:30:00Z",
      },
      data: eventType.example,
    },
  };
}
