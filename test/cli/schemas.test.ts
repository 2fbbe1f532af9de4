import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { DescribeSchemaCommand, ListSchemasCommand, SchemasClient } from "@aws-sdk/client-schemas";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { catalog, eventTypes } from "../../lib/catalog";
import { toRegistrySchema } from "../../lib/catalog/json-schema";
import { ExitCode, runCli } from "../../lib/cli";
import type { SchemaCheckOutput } from "../../lib/cli/commands/schemas";
import { registrySchemaName } from "../../lib/ops/schemas";
import { fakeIo } from "./fake-io";

const schemas = mockClient(SchemasClient);
let folder: string;

beforeEach(async () => {
  schemas.reset();
  folder = await mkdtemp(path.join(tmpdir(), "eventrail-schemas-cli-"));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

const orderPlacedFile = () => path.join(folder, `${registrySchemaName(catalog.OrderPlaced)}.json`);

/** Edits the exported OrderPlaced schema's `detail.data` node, as a previous catalog might have had it. */
async function editExportedOrderPlaced(edit: (data: Record<string, unknown>) => void): Promise<void> {
  const document = JSON.parse(await readFile(orderPlacedFile(), "utf8")) as {
    properties: { detail: { properties: { data: Record<string, unknown> } } };
  };
  edit(document.properties.detail.properties.data);
  await writeFile(orderPlacedFile(), JSON.stringify(document));
}

async function exportCatalog(): Promise<void> {
  expect(await runCli(["schemas", "export", folder], fakeIo())).toBe(ExitCode.ok);
}

describe("eventrail schemas export", () => {
  it("writes each event type's registry document to <source>@<DetailType>.json", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "export", folder], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect((await readdir(folder)).sort()).toEqual(
      eventTypes.map((t) => `${registrySchemaName(t)}.json`).sort(),
    );
    expect(JSON.parse(await readFile(orderPlacedFile(), "utf8"))).toEqual(
      toRegistrySchema(catalog.OrderPlaced),
    );
    expect(io.out()).toContain(`${eventTypes.length} schema(s) in ${folder}.`);
  });

  it("prints what it wrote as JSON", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    await runCli(["schemas", "export", folder, "--json"], io);

    // Assess
    expect(JSON.parse(io.out())).toMatchObject({ directory: folder, removed: [] });
  });

  it("asks for the folder when none is given, exiting 2", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "export"], io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(io.err()).toBe(
      'eventrail schemas: error: Give the folder to write, e.g. "eventrail schemas export schemas/".\n',
    );
  });
});

describe("eventrail schemas check --against DIR", () => {
  beforeEach(exportCatalog);

  it("passes against an export of the same catalog", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "check", "--against", folder], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toBe(
      `Compatible with the export in ${folder}: 0 breaking, 0 compatible change(s); ${eventTypes.length} event type(s) unchanged.\n`,
    );
  });

  it("fails on a field the catalog dropped, naming the event type and the JSON path", async () => {
    // Prepare: the export had a field the catalog no longer has.
    await editExportedOrderPlaced((data) => {
      (data.properties as Record<string, unknown>).couponCode = { type: "string" };
    });
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "check", "--against", folder], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    expect(io.out()).toContain("eventrail.orders@OrderPlaced (changed)\n");
    expect(io.out()).toMatch(
      /^ {2}breaking {4}\$\.detail\.data\.couponCode {2}field removed \[field-removed\]$/m,
    );
    expect(io.out()).toMatch(
      /^Breaking changes against the export in .*: 1 breaking, 0 compatible change\(s\)/m,
    );
  });

  it("lists additive changes and passes", async () => {
    // Prepare: the export predates PaymentFailed.
    await rm(path.join(folder, `${registrySchemaName(catalog.PaymentFailed)}.json`));
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "check", "--against", folder, "--json"], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    const output = JSON.parse(io.out()) as SchemaCheckOutput;
    expect(output.breaking).toBe(false);
    expect(output.eventTypes.filter((t) => t.status !== "unchanged")).toEqual([
      {
        schemaName: "eventrail.payments@PaymentFailed",
        status: "added",
        changes: [{ severity: "compatible", kind: "event-type-added", path: "$", message: "new event type" }],
      },
    ]);
  });

  it("refuses registry options with --against", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "check", "--against", folder, "--region", "eu-west-1"], io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(io.err()).toBe(
      'eventrail schemas: error: --region "eu-west-1" applies to the registry, not to --against DIR; drop one of them.\n',
    );
  });
});

describe("eventrail schemas check against the deployed registry", () => {
  /** The registry "eventrail" holding the catalog, OrderCancelled's reasons `reasons`. */
  function registryWith(reasons: readonly string[]): void {
    schemas.on(ListSchemasCommand, { RegistryName: "eventrail" }).resolves({
      Schemas: eventTypes.map((t) => ({ SchemaName: registrySchemaName(t) })),
    });
    for (const eventType of eventTypes) {
      const document = toRegistrySchema(eventType) as {
        properties: { detail: { properties: { data: { properties: Record<string, { enum?: string[] }> } } } };
      };
      const reason = document.properties.detail.properties.data.properties.reason;
      if (eventType === catalog.OrderCancelled && reason !== undefined) reason.enum = [...reasons];
      schemas
        .on(DescribeSchemaCommand, { SchemaName: registrySchemaName(eventType) })
        .resolves({ Content: JSON.stringify(document), Type: "JSONSchemaDraft4", SchemaVersion: "2" });
    }
  }

  it("fails when the catalog narrowed an enum the registry holds", async () => {
    // Prepare
    registryWith([
      "customer-request",
      "payment-failed",
      "out-of-stock",
      "fraud-suspected",
      "address-invalid",
    ]);
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "check", "--region", "eu-west-1"], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    expect(io.out()).toContain("eventrail.orders@OrderCancelled (changed)");
    expect(io.out()).toContain(
      '$.detail.data.reason  enum no longer allows "address-invalid" [enum-narrowed]',
    );
    expect(io.out()).toContain('against schema registry "eventrail" (eu-west-1)');
  });

  it("passes when the catalog only widened an enum, and lists it", async () => {
    // Prepare
    registryWith(["customer-request", "payment-failed", "out-of-stock"]);
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "check", "--region", "eu-west-1"], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toContain(
      'compatible  $.detail.data.reason  enum now also allows "fraud-suspected" [enum-widened]',
    );
    expect(io.out()).toMatch(
      /^Compatible with schema registry "eventrail" \(eu-west-1\): 0 breaking, 1 compatible/m,
    );
  });

  it("reads the registry named by --registry", async () => {
    // Prepare
    schemas.on(ListSchemasCommand).resolves({ Schemas: [] });
    const io = fakeIo();

    // Act
    const code = await runCli(["schemas", "check", "--registry", "staging", "--region", "eu-west-1"], io);

    // Assess: an empty registry means every type is new, which is compatible.
    expect(code).toBe(ExitCode.ok);
    expect(schemas.commandCalls(ListSchemasCommand)[0]?.args[0].input.RegistryName).toBe("staging");
  });
});
