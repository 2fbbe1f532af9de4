import * as eventschemas from "aws-cdk-lib/aws-eventschemas";
import { Construct } from "constructs";
import type { EventType } from "../catalog/event-type";
import { REGISTRY_SCHEMA_TYPE, toRegistrySchema } from "../catalog/json-schema";

/** Properties of {@link EventSchemaRegistry}. */
export interface EventSchemaRegistryProps {
  /** The event types to register, normally the whole catalog. */
  readonly eventTypes: readonly EventType[];
  /**
   * Name of the registry.
   * @default "eventrail"
   */
  readonly registryName?: string;
}

/**
 * An EventBridge Schema Registry holding one JSON Schema (draft 4) per catalogued event type,
 * generated from the catalog, so the schemas consumers browse are the ones producers are held to.
 */
export class EventSchemaRegistry extends Construct {
  /** The registry. */
  public readonly registry: eventschemas.CfnRegistry;
  /** One schema per event type, keyed by detail-type. */
  public readonly schemas: ReadonlyMap<string, eventschemas.CfnSchema>;

  constructor(scope: Construct, id: string, props: EventSchemaRegistryProps) {
    super(scope, id);
    if (props.eventTypes.length === 0) {
      throw new Error("EventSchemaRegistry: eventTypes is empty; pass the catalog's event types to register");
    }
    const registryName = props.registryName ?? "eventrail";
    this.registry = new eventschemas.CfnRegistry(this, "Registry", {
      registryName,
      description: "eventrail event types, generated from the catalog",
    });
    const schemas = new Map<string, eventschemas.CfnSchema>();
    for (const eventType of props.eventTypes) {
      const schema = new eventschemas.CfnSchema(this, eventType.detailType, {
        registryName: this.registry.attrRegistryName,
        schemaName: `${eventType.source}@${eventType.detailType}`,
        type: REGISTRY_SCHEMA_TYPE,
        description: eventType.description,
        content: JSON.stringify(toRegistrySchema(eventType)),
      });
      schemas.set(eventType.detailType, schema);
    }
    this.schemas = schemas;
  }
}
