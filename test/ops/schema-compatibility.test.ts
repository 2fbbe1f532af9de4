import { describe, expect, it } from "vitest";
import { eventTypes } from "../../lib/catalog";
import { type JsonSchemaDocument, toRegistrySchema } from "../../lib/catalog/json-schema";
import {
  type ChangeSeverity,
  compareSchemaSets,
  compareSchemas,
  type SchemaChangeKind,
} from "../../lib/ops/schema-compatibility";

/** A schema node whose `properties` the test edits. */
type Node = Record<string, unknown> & {
  properties: Record<string, Record<string, unknown>>;
  required?: string[];
};

/**
 * A registry document shaped like the catalog's: envelope, `detail.data` with scalars, an enum, an
 * optional field, a nested object and an array of objects.
 */
function orderSchema(): JsonSchemaDocument {
  return {
    $schema: "http://json-schema.org/draft-04/schema#",
    title: "OrderPlaced",
    description: "A customer checked out.",
    "x-eventrail-version": "1.0",
    type: "object",
    required: ["detail-type", "source", "detail"],
    properties: {
      "detail-type": { type: "string", enum: ["OrderPlaced"] },
      source: { type: "string", enum: ["eventrail.orders"] },
      detail: {
        type: "object",
        required: ["data"],
        properties: {
          data: {
            type: "object",
            required: ["orderId", "status", "items", "total"],
            properties: {
              orderId: { type: "string", pattern: "^ORD-[A-Za-z0-9-]{1,64}$", description: "Order id" },
              note: { type: "string", maxLength: 200 },
              status: { type: "string", enum: ["placed", "paid"] },
              items: {
                type: "array",
                minItems: 1,
                maxItems: 100,
                items: {
                  type: "object",
                  required: ["sku", "quantity"],
                  properties: {
                    sku: { type: "string", minLength: 1 },
                    quantity: { type: "integer", minimum: 0, exclusiveMinimum: true, maximum: 10000 },
                  },
                },
              },
              total: {
                type: "object",
                required: ["amount", "currency"],
                properties: {
                  amount: { type: "integer", minimum: 0 },
                  currency: { type: "string", pattern: "^[A-Z]{3}$" },
                },
              },
              placedAt: { type: "string", format: "date-time" },
            },
          },
        },
      },
    },
  };
}

/** `detail.data` of a document, for editing. */
function data(document: JsonSchemaDocument): Node {
  return ((document as Node).properties.detail as Node).properties.data as Node;
}

function item(document: JsonSchemaDocument): Node {
  return (data(document).properties.items as Node).items as Node;
}

/** The next version: a copy of {@link orderSchema} with `edit` applied. */
function changed(edit: (next: JsonSchemaDocument) => void): JsonSchemaDocument {
  const next = structuredClone(orderSchema());
  edit(next);
  return next;
}

type Expected = readonly [ChangeSeverity, SchemaChangeKind, string];

const DATA = "$.detail.data";

const breaking: readonly (readonly [string, (next: JsonSchemaDocument) => void, readonly Expected[]])[] = [
  [
    "a removed optional field",
    (next) => {
      delete data(next).properties.note;
    },
    [["breaking", "field-removed", `${DATA}.note`]],
  ],
  [
    "a removed field of the objects of an array",
    (next) => {
      delete item(next).properties.sku;
      item(next).required = ["quantity"];
    },
    [["breaking", "field-removed", `${DATA}.items[*].sku`]],
  ],
  [
    "a removed field of a nested object",
    (next) => {
      const total = data(next).properties.total as Node;
      delete total.properties.currency;
      total.required = ["amount"];
    },
    [["breaking", "field-removed", `${DATA}.total.currency`]],
  ],
  [
    "a renamed field (removed, and a new required one in its place)",
    (next) => {
      const fields = data(next).properties;
      fields.orderRef = fields.orderId as Node;
      delete fields.orderId;
      data(next).required = ["orderRef", "status", "items", "total"];
    },
    [
      ["breaking", "field-removed", `${DATA}.orderId`],
      ["breaking", "required-field-added", `${DATA}.orderRef`],
    ],
  ],
  [
    "a changed type",
    (next) => {
      item(next).properties.quantity = { type: "number", minimum: 0, exclusiveMinimum: true, maximum: 10000 };
    },
    [["breaking", "type-changed", `${DATA}.items[*].quantity`]],
  ],
  [
    "a nested object turned into a string",
    (next) => {
      data(next).properties.total = { type: "string" };
    },
    [["breaking", "type-changed", `${DATA}.total`]],
  ],
  [
    "a type made nullable",
    (next) => {
      data(next).properties.note = { type: ["string", "null"], maxLength: 200 };
    },
    [["breaking", "type-changed", `${DATA}.note`]],
  ],
  [
    "a new required field",
    (next) => {
      data(next).properties.channel = { type: "string" };
      data(next).required = [...(data(next).required ?? []), "channel"];
    },
    [["breaking", "required-field-added", `${DATA}.channel`]],
  ],
  [
    "a new required field in the objects of an array",
    (next) => {
      item(next).properties.warehouse = { type: "string" };
      item(next).required = ["sku", "quantity", "warehouse"];
    },
    [["breaking", "required-field-added", `${DATA}.items[*].warehouse`]],
  ],
  [
    "an optional field made required",
    (next) => {
      data(next).required = [...(data(next).required ?? []), "note"];
    },
    [["breaking", "field-made-required", `${DATA}.note`]],
  ],
  [
    "a required field made optional",
    (next) => {
      data(next).required = ["status", "items", "total"];
    },
    [["breaking", "field-made-optional", `${DATA}.orderId`]],
  ],
  [
    "a narrowed enum",
    (next) => {
      data(next).properties.status = { type: "string", enum: ["placed"] };
    },
    [["breaking", "enum-narrowed", `${DATA}.status`]],
  ],
  [
    "an enum put on a free field",
    (next) => {
      data(next).properties.note = { type: "string", maxLength: 200, enum: ["gift"] };
    },
    [["breaking", "enum-narrowed", `${DATA}.note`]],
  ],
  [
    "an enum value replaced (narrowed and widened at once)",
    (next) => {
      data(next).properties.status = { type: "string", enum: ["placed", "settled"] };
    },
    [
      ["breaking", "enum-narrowed", `${DATA}.status`],
      ["compatible", "enum-widened", `${DATA}.status`],
    ],
  ],
  [
    "a changed detail-type (a key that is not an identifier)",
    (next) => {
      (next as Node).properties["detail-type"] = { type: "string", enum: ["OrderSubmitted"] };
    },
    [
      ["breaking", "enum-narrowed", '$["detail-type"]'],
      ["compatible", "enum-widened", '$["detail-type"]'],
    ],
  ],
  [
    "a changed pattern",
    (next) => {
      (data(next).properties.orderId as Node).pattern = "^ORD-[0-9]{1,12}$";
    },
    [["breaking", "pattern-tightened", `${DATA}.orderId`]],
  ],
  [
    "a pattern put on a field of the objects of an array",
    (next) => {
      (item(next).properties.sku as Node).pattern = "^[A-Z0-9-]{1,32}$";
    },
    [["breaking", "pattern-tightened", `${DATA}.items[*].sku`]],
  ],
  [
    "a format put on a field",
    (next) => {
      (data(next).properties.note as Node).format = "email";
    },
    [["breaking", "format-tightened", `${DATA}.note`]],
  ],
  [
    "a lowered maxItems",
    (next) => {
      (data(next).properties.items as Node).maxItems = 50;
    },
    [["breaking", "bound-tightened", `${DATA}.items`]],
  ],
  [
    "a raised minItems",
    (next) => {
      (data(next).properties.items as Node).minItems = 2;
    },
    [["breaking", "bound-tightened", `${DATA}.items`]],
  ],
  [
    "a lowered maximum",
    (next) => {
      (item(next).properties.quantity as Node).maximum = 100;
    },
    [["breaking", "bound-tightened", `${DATA}.items[*].quantity`]],
  ],
  [
    "a minimum made exclusive at the same value",
    (next) => {
      ((data(next).properties.total as Node).properties.amount as Node).exclusiveMinimum = true;
    },
    [["breaking", "bound-tightened", `${DATA}.total.amount`]],
  ],
  [
    "a lowered maxLength",
    (next) => {
      (data(next).properties.note as Node).maxLength = 100;
    },
    [["breaking", "bound-tightened", `${DATA}.note`]],
  ],
  [
    "a multipleOf that refuses values the old one allowed",
    (next) => {
      ((data(next).properties.total as Node).properties.amount as Node).multipleOf = 5;
    },
    [["breaking", "bound-tightened", `${DATA}.total.amount`]],
  ],
  [
    "an object closed to unknown fields",
    (next) => {
      data(next).additionalProperties = false;
    },
    [["breaking", "additional-properties-closed", DATA]],
  ],
  [
    "a keyword the checker does not compare (anyOf)",
    (next) => {
      (data(next).properties.note as Node).anyOf = [{ maxLength: 10 }, { pattern: "^x" }];
    },
    [["breaking", "unreviewable-change", `${DATA}.note`]],
  ],
];

const compatible: readonly (readonly [string, (next: JsonSchemaDocument) => void, readonly Expected[]])[] = [
  [
    "a new optional field",
    (next) => {
      data(next).properties.couponCode = { type: "string" };
    },
    [["compatible", "field-added", `${DATA}.couponCode`]],
  ],
  [
    "a new optional field in the objects of an array",
    (next) => {
      item(next).properties.giftWrap = { type: "boolean" };
    },
    [["compatible", "field-added", `${DATA}.items[*].giftWrap`]],
  ],
  [
    "a widened enum",
    (next) => {
      data(next).properties.status = { type: "string", enum: ["placed", "paid", "refunded"] };
    },
    [["compatible", "enum-widened", `${DATA}.status`]],
  ],
  [
    "a removed pattern",
    (next) => {
      delete ((data(next).properties.total as Node).properties.currency as Node).pattern;
    },
    [["compatible", "constraint-relaxed", `${DATA}.total.currency`]],
  ],
  [
    "a raised maximum and a removed maxItems",
    (next) => {
      (item(next).properties.quantity as Node).maximum = 50000;
      delete (data(next).properties.items as Node).maxItems;
    },
    [
      ["compatible", "constraint-relaxed", `${DATA}.items`],
      ["compatible", "constraint-relaxed", `${DATA}.items[*].quantity`],
    ],
  ],
];

const unchanged: readonly (readonly [string, (next: JsonSchemaDocument) => void])[] = [
  ["nothing", () => {}],
  [
    "only descriptions, titles and x- annotations",
    (next) => {
      (next as Node).title = "Order placed";
      (next as Node)["x-eventrail-version"] = "1.1";
      (data(next).properties.orderId as Node).description = "The order's id, ORD-...";
    },
  ],
  [
    "only the order of keys and of required names",
    (next) => {
      const fields = data(next).properties;
      data(next).properties = Object.fromEntries(Object.entries(fields).reverse()) as Node["properties"];
      data(next).required = [...(data(next).required ?? [])].reverse();
    },
  ],
];

describe("compareSchemas", () => {
  describe.each(breaking)("flags %s as breaking", (_name, edit, expected) => {
    it("names each change with its severity, rule and JSON path", () => {
      // Prepare
      const next = changed(edit);

      // Act
      const changes = compareSchemas(orderSchema(), next);

      // Assess
      expect(changes.map((c) => [c.severity, c.kind, c.path])).toEqual(expected);
    });
  });

  describe.each(compatible)("lists %s as compatible", (_name, edit, expected) => {
    it("reports no breaking change", () => {
      // Prepare
      const next = changed(edit);

      // Act
      const changes = compareSchemas(orderSchema(), next);

      // Assess
      expect(changes.map((c) => [c.severity, c.kind, c.path])).toEqual(expected);
    });
  });

  it.each(unchanged)("sees no change when %s changed", (_name, edit) => {
    expect(compareSchemas(orderSchema(), changed(edit))).toEqual([]);
  });

  it("hints at the new name of a field renamed with the same schema", () => {
    // Prepare
    const next = changed((doc) => {
      const fields = data(doc).properties;
      fields.remark = { ...(fields.note as Node), description: "Free text" };
      delete fields.note;
    });

    // Act
    const [removal] = compareSchemas(orderSchema(), next);

    // Assess
    expect(removal?.message).toBe('field removed (renamed to "remark"?)');
  });

  it("says what a bound changed from and to", () => {
    // Prepare
    const next = changed((doc) => {
      (item(doc).properties.quantity as Node).maximum = 100;
    });

    // Act
    const [change] = compareSchemas(orderSchema(), next);

    // Assess
    expect(change?.message).toBe("maximum changed from 10000 to 100");
  });

  it.each([
    [5, "compatible"],
    [3, "breaking"],
  ] as const)("judges multipleOf 10 changed to %d as %s", (divisor, severity) => {
    // Prepare
    const amountOf = (doc: JsonSchemaDocument) =>
      (data(doc).properties.total as Node).properties.amount as Node;
    const previous = changed((doc) => {
      amountOf(doc).multipleOf = 10;
    });
    const next = changed((doc) => {
      amountOf(doc).multipleOf = divisor;
    });

    // Act
    const changes = compareSchemas(previous, next);

    // Assess
    expect(changes.map((c) => [c.severity, c.path])).toEqual([[severity, `${DATA}.total.amount`]]);
  });

  it("compares every catalog type with itself as unchanged", () => {
    for (const eventType of eventTypes) {
      expect(compareSchemas(toRegistrySchema(eventType), toRegistrySchema(eventType))).toEqual([]);
    }
  });
});

describe("compareSchemaSets", () => {
  it("reports a removed type as breaking, an added one as compatible, and compares the rest", () => {
    // Prepare
    const previous = new Map([
      ["eventrail.orders@OrderPlaced", orderSchema()],
      ["eventrail.orders@RetiredEventType", orderSchema()],
    ]);
    const next = new Map([
      [
        "eventrail.orders@OrderPlaced",
        changed((doc) => {
          data(doc).properties.note = { type: "integer" };
        }),
      ],
      ["eventrail.orders@OrderCancelled", orderSchema()],
    ]);

    // Act
    const report = compareSchemaSets(previous, next);

    // Assess
    expect(report.breaking).toBe(true);
    expect(report.eventTypes.map((t) => [t.schemaName, t.status, t.changes.map((c) => c.kind)])).toEqual([
      ["eventrail.orders@OrderCancelled", "added", ["event-type-added"]],
      ["eventrail.orders@OrderPlaced", "changed", ["type-changed"]],
      ["eventrail.orders@RetiredEventType", "removed", ["event-type-removed"]],
    ]);
  });

  it("passes when every change is compatible", () => {
    // Prepare
    const previous = new Map([["eventrail.orders@OrderPlaced", orderSchema()]]);
    const next = new Map([
      [
        "eventrail.orders@OrderPlaced",
        changed((doc) => {
          data(doc).properties.couponCode = { type: "string" };
        }),
      ],
      ["eventrail.orders@RetiredEventType", orderSchema()],
    ]);

    // Act
    const report = compareSchemaSets(previous, next);

    // Assess
    expect(report.breaking).toBe(false);
    expect(report.eventTypes.map((t) => t.status)).toEqual(["changed", "added"]);
  });
});
