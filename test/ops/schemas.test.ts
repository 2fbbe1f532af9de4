import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  DescribeSchemaCommand,
  ListSchemasCommand,
  NotFoundException,
  SchemasClient,
} from "@aws-sdk/client-schemas";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { catalog, eventTypes } from "../../lib/catalog";
import { type JsonSchemaDocument, toRegistrySchema } from "../../lib/catalog/json-schema";
import {
  catalogSchemaSet,
  checkCatalogCompatibility,
  exportSchemaSet,
  fetchRegistrySchemaSet,
  readSchemaExport,
  registrySchemaName,
  SchemaSetError,
} from "../../lib/ops/schemas";

const schemas = mockClient(SchemasClient);
let folder: string;

beforeEach(async () => {
  schemas.reset();
  folder = await mkdtemp(path.join(tmpdir(), "eventrail-schemas-"));
});

afterEach(async () => {
  await rm(folder, { recursive: true, force: true });
});

/** The registry's answer for a schema: the content as CloudFormation registered it (compact JSON). */
function described(document: JsonSchemaDocument, version = "1") {
  return { Content: JSON.stringify(document), Type: "JSONSchemaDraft4", SchemaVersion: version };
}

/** A registry holding `documents`, listed over two pages. */
function registryHolding(documents: ReadonlyMap<string, JsonSchemaDocument>): void {
  const names = [...documents.keys()];
  const half = Math.ceil(names.length / 2);
  schemas
    .on(ListSchemasCommand, { NextToken: undefined })
    .resolves({ Schemas: names.slice(0, half).map((SchemaName) => ({ SchemaName })), NextToken: "page-2" })
    .on(ListSchemasCommand, { NextToken: "page-2" })
    .resolves({ Schemas: names.slice(half).map((SchemaName) => ({ SchemaName })) });
  for (const [SchemaName, document] of documents) {
    schemas.on(DescribeSchemaCommand, { SchemaName }).resolves(described(document));
  }
}

/** OrderPlaced as a previous catalog had it: with an optional `couponCode` the catalog no longer has. */
function orderPlacedWithCoupon(): JsonSchemaDocument {
  const document = structuredClone(toRegistrySchema(catalog.OrderPlaced)) as {
    properties: { detail: { properties: { data: { properties: Record<string, unknown> } } } };
  };
  document.properties.detail.properties.data.properties.couponCode = { type: "string" };
  return document as unknown as JsonSchemaDocument;
}

describe("catalogSchemaSet", () => {
  it("keys every event type's registry document by its registry schema name", () => {
    const set = catalogSchemaSet();

    expect([...set.keys()]).toEqual(eventTypes.map((t) => `${t.source}@${t.detailType}`));
    for (const eventType of eventTypes) {
      expect(set.get(registrySchemaName(eventType))).toEqual(toRegistrySchema(eventType));
    }
  });
});

describe("exportSchemaSet and readSchemaExport", () => {
  it("writes one file per event type holding exactly the registry document", async () => {
    // Act
    const written = await exportSchemaSet(folder, catalogSchemaSet());

    // Assess
    expect(written.written).toEqual(eventTypes.map((t) => `${t.source}@${t.detailType}.json`).sort());
    for (const eventType of eventTypes) {
      const text = await readFile(path.join(folder, `${registrySchemaName(eventType)}.json`), "utf8");
      expect(JSON.parse(text)).toEqual(toRegistrySchema(eventType));
    }
  });

  it("reads an export back as the same set", async () => {
    // Prepare
    await exportSchemaSet(folder, catalogSchemaSet());

    // Act
    const read = await readSchemaExport(folder);

    // Assess
    expect(read).toEqual(catalogSchemaSet());
  });

  it("deletes the schema files of types no longer in the set and leaves other files alone", async () => {
    // Prepare
    await writeFile(path.join(folder, "eventrail.orders@RetiredEventType.json"), "{}");
    await writeFile(path.join(folder, "README.md"), "schemas");

    // Act
    const written = await exportSchemaSet(folder, catalogSchemaSet());

    // Assess
    expect(written.removed).toEqual(["eventrail.orders@RetiredEventType.json"]);
    expect(await readdir(folder)).toContain("README.md");
    expect(await readdir(folder)).not.toContain("eventrail.orders@RetiredEventType.json");
  });

  it("refuses a folder that does not exist, naming it", async () => {
    const missing = path.join(folder, "nope");

    await expect(readSchemaExport(missing)).rejects.toThrow(
      new SchemaSetError(
        `Schema folder ${missing} cannot be read (ENOENT); pass the folder "eventrail schemas export DIR" wrote.`,
      ),
    );
  });

  it("refuses a folder without schema files", async () => {
    await writeFile(path.join(folder, "notes.json"), "{}");

    await expect(readSchemaExport(folder)).rejects.toThrow(/holds no source@DetailType\.json file/);
  });

  it("names a schema file that is not JSON", async () => {
    // Prepare
    const file = path.join(folder, "eventrail.orders@OrderPlaced.json");
    await writeFile(file, "{ broken");

    // Act
    const reading = readSchemaExport(folder);

    // Assess
    await expect(reading).rejects.toBeInstanceOf(SchemaSetError);
    await expect(reading).rejects.toThrow(`${file} is not valid JSON`);
  });
});

describe("fetchRegistrySchemaSet", () => {
  it("lists every page of the registry and describes the latest version of each schema", async () => {
    // Prepare
    registryHolding(catalogSchemaSet());

    // Act
    const set = await fetchRegistrySchemaSet(new SchemasClient({ region: "eu-west-1" }), "eventrail");

    // Assess
    expect(set).toEqual(catalogSchemaSet());
    expect(schemas.commandCalls(ListSchemasCommand).map((c) => c.args[0].input)).toEqual([
      { RegistryName: "eventrail", NextToken: undefined },
      { RegistryName: "eventrail", NextToken: "page-2" },
    ]);
    const describes = schemas.commandCalls(DescribeSchemaCommand).map((c) => c.args[0].input);
    expect(describes).toHaveLength(eventTypes.length);
    // No SchemaVersion: DescribeSchema answers with the latest one.
    expect(
      describes.every((input) => input.RegistryName === "eventrail" && input.SchemaVersion === undefined),
    ).toBe(true);
  });

  it("says how to fix a registry that does not exist", async () => {
    // Prepare
    schemas.on(ListSchemasCommand).rejects(
      new NotFoundException({
        Code: "NotFoundException",
        Message: "Registry not found",
        message: "Registry not found",
        $metadata: {},
      }),
    );

    // Act
    const fetching = fetchRegistrySchemaSet(new SchemasClient({ region: "eu-west-1" }), "nope");

    // Assess
    await expect(fetching).rejects.toThrow(
      new SchemaSetError(
        'Schema registry "nope" does not exist in this account and region; pass --registry NAME and --region R of the deployed stack, or --against DIR.',
      ),
    );
  });

  it("refuses a schema that is not a draft-04 JSON Schema", async () => {
    // Prepare
    schemas.on(ListSchemasCommand).resolves({ Schemas: [{ SchemaName: "aws.s3@ObjectCreated" }] });
    schemas.on(DescribeSchemaCommand).resolves({ Content: "{}", Type: "OpenApi3", SchemaVersion: "3" });

    // Act
    const fetching = fetchRegistrySchemaSet(new SchemasClient({ region: "eu-west-1" }), "eventrail");

    // Assess
    await expect(fetching).rejects.toThrow(
      'Schema aws.s3@ObjectCreated (version 3) of registry "eventrail" is of type OpenApi3; expected JSONSchemaDraft4',
    );
  });
});

describe("checkCatalogCompatibility", () => {
  it("finds a field the deployed registry has and the catalog dropped, and a type it has not seen", async () => {
    // Prepare: the registry predates PaymentFailed and still has OrderPlaced.couponCode.
    const deployed = new Map(catalogSchemaSet());
    deployed.set(registrySchemaName(catalog.OrderPlaced), orderPlacedWithCoupon());
    deployed.delete(registrySchemaName(catalog.PaymentFailed));
    registryHolding(deployed);

    // Act
    const report = await checkCatalogCompatibility({
      kind: "registry",
      client: new SchemasClient({ region: "eu-west-1" }),
      registryName: "eventrail",
    });

    // Assess
    expect(report.breaking).toBe(true);
    const changed = report.eventTypes.filter((t) => t.status !== "unchanged");
    expect(changed.map((t) => [t.schemaName, t.changes.map((c) => [c.severity, c.kind, c.path])])).toEqual([
      ["eventrail.orders@OrderPlaced", [["breaking", "field-removed", "$.detail.data.couponCode"]]],
      ["eventrail.payments@PaymentFailed", [["compatible", "event-type-added", "$"]]],
    ]);
  });

  it("passes against an export of the same catalog", async () => {
    // Prepare
    await exportSchemaSet(folder, catalogSchemaSet());

    // Act
    const report = await checkCatalogCompatibility({ kind: "export", directory: folder });

    // Assess
    expect(report.breaking).toBe(false);
    expect(report.eventTypes.every((t) => t.status === "unchanged")).toBe(true);
  });
});
