import Ajv04 from "ajv-draft-04";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { eventTypes } from "../../lib/catalog";
import { exampleEvent, toRegistrySchema } from "../../lib/catalog/json-schema";

function draft04Validator(): Ajv04 {
  const ajv = new Ajv04({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv;
}

describe.each(eventTypes.map((t) => [t.detailType, t] as const))(
  "the registry schema of %s",
  (_name, eventType) => {
    const document = toRegistrySchema(eventType);

    it("is a valid JSON Schema draft-04 document", () => {
      const ajv = draft04Validator();

      const valid = ajv.validateSchema(document);

      expect(ajv.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
      expect(document.$schema).toBe("http://json-schema.org/draft-04/schema#");
    });

    it("accepts the event type's example as a whole EventBridge event", () => {
      const validate = draft04Validator().compile(document);

      const valid = validate(exampleEvent(eventType));

      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    });

    it("rejects the example under another detail-type", () => {
      const validate = draft04Validator().compile(document);
      const event = { ...exampleEvent(eventType), "detail-type": "SomethingElse" };

      expect(validate(event)).toBe(false);
    });

    it("rejects an event whose data misses a required field", () => {
      const validate = draft04Validator().compile(document);
      const event = exampleEvent(eventType) as { detail: { data: Record<string, unknown> } };
      const required = Object.keys(event.detail.data)[0] as string;
      delete event.detail.data[required];

      expect(validate(event)).toBe(false);
    });
  },
);
