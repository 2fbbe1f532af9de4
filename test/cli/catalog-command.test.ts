import Ajv from "ajv-draft-04";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { eventTypes } from "../../lib/catalog";
import { ExitCode, runCli } from "../../lib/cli";
import type { CatalogEntry } from "../../lib/cli/commands/catalog";
import { fakeIo } from "./fake-io";

async function catalogJson(): Promise<CatalogEntry[]> {
  const io = fakeIo();
  expect(await runCli(["catalog", "--json"], io)).toBe(ExitCode.ok);
  return (JSON.parse(io.out()) as { eventTypes: CatalogEntry[] }).eventTypes;
}

describe("eventrail catalog", () => {
  it("lists every event type with its source, version, example and data schema", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["catalog"], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    for (const eventType of eventTypes) {
      expect(io.out()).toContain(
        `${eventType.detailType}  v${eventType.version}  source ${eventType.source}`,
      );
      expect(io.out()).toContain(`example data: ${JSON.stringify(eventType.example)}`);
    }
    expect(io.out().match(/data schema \(JSON Schema draft-04\):/g)).toHaveLength(eventTypes.length);
  });

  it("prints JSON for scripts, one entry per event type, in catalog order", async () => {
    const entries = await catalogJson();
    expect(entries.map((e) => [e.detailType, e.source, e.version])).toEqual(
      eventTypes.map((t) => [t.detailType, t.source, t.version]),
    );
  });

  it("prints data schemas that accept each example and reject broken data", async () => {
    // Prepare
    const ajv = new Ajv({ allErrors: true });
    addFormats(ajv);

    // Act
    const entries = await catalogJson();

    // Assess
    for (const entry of entries) {
      const validate = ajv.compile(entry.dataSchema);
      expect(validate(entry.example), `${entry.detailType}: ${ajv.errorsText(validate.errors)}`).toBe(true);
      // Broken: the example without a field the schema requires.
      const [required] = (entry.dataSchema.required ?? []) as string[];
      expect(required, `${entry.detailType} requires no field`).toBeDefined();
      const { [required as string]: _removed, ...broken } = entry.example as Record<string, unknown>;
      expect(validate(broken)).toBe(false);
    }
  });

  it("includes the Schema Registry document of each type", async () => {
    const [first] = await catalogJson();
    expect(first?.eventSchema).toMatchObject({
      $schema: "http://json-schema.org/draft-04/schema#",
      title: first?.detailType,
    });
  });

  it("shows one type with --type", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    await runCli(["catalog", "--type", "PaymentFailed", "--json"], io);

    // Assess
    const entries = (JSON.parse(io.out()) as { eventTypes: CatalogEntry[] }).eventTypes;
    expect(entries.map((e) => e.detailType)).toEqual(["PaymentFailed"]);
  });
});
