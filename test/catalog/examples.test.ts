import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { findEventType } from "../../lib/catalog";

const examples = path.resolve(import.meta.dirname, "..", "..", "examples");

describe("the README's example files", () => {
  it.each(
    readFileSync(path.join(examples, "orders.ndjson"), "utf8")
      .split("\n")
      .filter((line) => line.trim().length > 0)
      .map((line, index) => [index + 1, line] as const),
  )("orders.ndjson line %i is valid catalog data", (_line, text) => {
    const { "detail-type": detailType, data } = JSON.parse(text) as { "detail-type": string; data: unknown };

    const eventType = findEventType(detailType);

    expect(eventType, detailType).toBeDefined();
    expect(eventType?.data.safeParse(data).success).toBe(true);
  });

  it("order-placed.entries.json is a PutEvents entry whose detail matches the catalog envelope", () => {
    const [entry] = JSON.parse(readFileSync(path.join(examples, "order-placed.entries.json"), "utf8")) as {
      Source: string;
      DetailType: string;
      Detail: string;
    }[];

    const eventType = findEventType(entry?.DetailType ?? "");

    expect(entry?.Source).toBe(eventType?.source);
    expect(eventType?.detail.safeParse(JSON.parse(entry?.Detail ?? "{}")).success).toBe(true);
  });
});
