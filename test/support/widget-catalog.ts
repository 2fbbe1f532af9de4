import * as z from "zod";
import { defineEventType } from "../../lib/catalog/event-type";
import type { EventSubscriptionDefinition } from "../../lib/constructs/event-subscription";

/**
 * A second, tiny catalog and subscription set, unrelated to the example domain: tests build the
 * pipeline's constructs from it to prove they take their domain through props.
 */
export const WidgetAssembled = defineEventType({
  source: "acme.workshop",
  detailType: "WidgetAssembled",
  version: "1.0",
  description: "A widget came off the assembly line.",
  data: z.object({ widgetId: z.string().min(1), line: z.number().int().positive() }),
  example: { widgetId: "W-0001", line: 3 },
});

export const WidgetInspected = defineEventType({
  source: "acme.quality",
  detailType: "WidgetInspected",
  version: "1.0",
  description: "A widget passed or failed its inspection.",
  data: z.object({ widgetId: z.string().min(1), passed: z.boolean() }),
  example: { widgetId: "W-0001", passed: true },
});

/** The widget catalog's event types, as a pipeline takes them. */
export const widgetEventTypes = [WidgetAssembled, WidgetInspected] as const;

/** A detail-type of the widget catalog. */
export type WidgetEventTypeName = (typeof widgetEventTypes)[number]["detailType"];

/** The widget catalog's one subscription: it consumes both types and publishes inspections. */
export const qualityControl: EventSubscriptionDefinition<WidgetEventTypeName> = {
  name: "quality-control",
  description: "Inspects every assembled widget.",
  eventTypes: ["WidgetAssembled", "WidgetInspected"],
  entry: "test/fixtures/noop-handler.ts",
  publishes: ["WidgetInspected"],
  stateTable: true,
};
