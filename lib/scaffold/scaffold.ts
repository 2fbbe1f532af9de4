import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { promisify } from "node:util";
import { DETAIL_TYPE_PATTERN, SOURCE_PATTERN, SUBSCRIPTION_NAME_PATTERN } from "../naming";

/**
 * The scaffolds behind `eventrail new`: they write and register what a new event type or subscription
 * needs, in the project's own source, so its declarations stay the one source of truth.
 *
 * They read the project's files as text rather than importing its catalog: the command runs from the
 * built CLI, whose copy of the catalog is the one it was built with, and the scaffolds change exactly
 * those files. Registration edits two anchors that the files keep: the `export const catalog = {`
 * object of `lib/catalog/index.ts` and the `] as const satisfies readonly SubscriptionDefinition[];`
 * that closes the definitions of `lib/subscriptions.ts`. Every check runs before anything is written,
 * no file is ever overwritten, and what was written is formatted with the project's Biome.
 */

/** What a scaffold cannot do, with the fix; nothing was written. */
export class ScaffoldError extends Error {
  public override readonly name = "ScaffoldError";
}

/** What a scaffold did. */
export interface ScaffoldResult {
  /** Files created, relative to the project root. */
  readonly created: readonly string[];
  /** Files edited to register the new piece. */
  readonly edited: readonly string[];
  /** What the developer fills in next, one line each. */
  readonly nextSteps: readonly string[];
}

/** Where the scaffolds read and write. */
export const PROJECT_FILES = {
  catalogIndex: "lib/catalog/index.ts",
  subscriptions: "lib/subscriptions.ts",
} as const;

const CATALOG_OPENING = "export const catalog = {";
const CATALOG_CLOSING = "} as const;";
const DEFINITIONS_CLOSING = "] as const satisfies readonly SubscriptionDefinition[];";

/** The detail-types registered in the catalog index's `catalog` object. */
export function catalogNames(indexSource: string): string[] {
  const body = catalogObject(indexSource);
  return [...body.text.matchAll(/^\s*([A-Z][A-Za-z0-9]*)\s*,?\s*$/gm)].map((match) => match[1] as string);
}

/** The names of the subscriptions declared in the subscriptions file. */
export function subscriptionNames(subscriptionsSource: string): string[] {
  return [...subscriptionsSource.matchAll(/^\s*name:\s*"([^"]+)",\s*$/gm)].map((match) => match[1] as string);
}

/** `OrderShipped` → `order-shipped`. */
export function kebabCase(pascal: string): string {
  return pascal.replace(/(?<=[a-z0-9])([A-Z])/g, "-$1").toLowerCase();
}

/** Options of {@link newEventType}. */
export interface NewEventTypeOptions {
  /** The detail-type, PascalCase. */
  readonly name: string;
  /** The event source, e.g. `eventrail.shipping`. */
  readonly source: string;
}

/**
 * Declares a new event type: `lib/catalog/<kebab-name>.ts` with a starter schema and a valid
 * example, registered in the catalog index.
 */
export async function newEventType(root: string, options: NewEventTypeOptions): Promise<ScaffoldResult> {
  const { name, source } = options;
  if (!DETAIL_TYPE_PATTERN.test(name)) {
    throw new ScaffoldError(
      `"${name}" is not a valid event type name: use PascalCase letters and digits, starting with a capital letter and naming what happened, such as OrderShipped.`,
    );
  }
  if (!SOURCE_PATTERN.test(source)) {
    throw new ScaffoldError(
      `--source "${source}" is not a valid event source: use lower-case reverse DNS of letters, digits, '.' and '-' (at most 256 characters, not starting with "aws.", which EventBridge keeps for AWS), such as eventrail.shipping.`,
    );
  }
  const index = await readProjectFile(root, PROJECT_FILES.catalogIndex);
  const existing = catalogNames(index);
  if (existing.includes(name)) {
    throw new ScaffoldError(
      `${name} is already in the catalog (${PROJECT_FILES.catalogIndex}). Pick another name, or change the existing declaration: a compatible change (an optional field) bumps its MINOR version, a breaking one is a new event type.`,
    );
  }
  const file = `lib/catalog/${kebabCase(name)}.ts`;
  refuseExisting(root, [file]);

  await writeNew(root, file, eventTypeSource(name, source));
  const moduleName = `./${kebabCase(name)}`;
  const withImport = insertAfterLastImport(
    index,
    `import { ${name} } from "${moduleName}";`,
    PROJECT_FILES.catalogIndex,
  );
  const body = catalogObject(withImport);
  const registered = `${withImport.slice(0, body.end)}  ${name},\n${withImport.slice(body.end)}`;
  await writeFile(path.join(root, PROJECT_FILES.catalogIndex), registered);
  await format(root, [file, PROJECT_FILES.catalogIndex]);
  return {
    created: [file],
    edited: [PROJECT_FILES.catalogIndex],
    nextSteps: [
      `${file}: write the description, the fields of \`data\` (reuse orderId, customerId, money from ./shared) and an example that matches them; the example is checked at import.`,
      `Publish it with the typed publisher (publisher.publish({ detailType: "${name}", data })) or from a consumer with publishFollowUp("${name}", data).`,
      `Subscribe to it: npx eventrail new subscription NAME --consumes ${name}`,
    ],
  };
}

/** Options of {@link newSubscription}. */
export interface NewSubscriptionOptions {
  /** The subscription's name, lower-case kebab. */
  readonly name: string;
  /** The event types it consumes. */
  readonly consumes: readonly string[];
  /** The event types it publishes as follow-ups. @default - none */
  readonly publishes?: readonly string[];
}

/**
 * Declares a new subscription in `lib/subscriptions.ts`, and writes its handler (one typed function
 * per consumed type, over the consumer kit) and the handler's test.
 */
export async function newSubscription(
  root: string,
  options: NewSubscriptionOptions,
): Promise<ScaffoldResult> {
  const { name, consumes } = options;
  const publishes = options.publishes ?? [];
  if (!SUBSCRIPTION_NAME_PATTERN.test(name)) {
    throw new ScaffoldError(
      `"${name}" is not a valid subscription name: use 2-40 lower-case letters, digits and '-', starting with a letter and not ending with '-', such as shipping or order-shipping (it names the rule, the queues and the function).`,
    );
  }
  if (consumes.length === 0) {
    throw new ScaffoldError(
      "--consumes lists no event type: name the catalog types the subscription consumes, such as --consumes PaymentProcessed,OrderCancelled.",
    );
  }
  const index = await readProjectFile(root, PROJECT_FILES.catalogIndex);
  const known = catalogNames(index);
  for (const [option, names] of [
    ["--consumes", consumes],
    ["--publishes", publishes],
  ] as const) {
    const unknown = names.filter((type) => !known.includes(type));
    if (unknown.length > 0) {
      throw new ScaffoldError(
        `${option} names ${unknown.join(", ")}, which ${unknown.length === 1 ? "is" : "are"} not in the catalog. Known event types: ${known.join(", ")}. Add a new one first with: npx eventrail new event-type ${unknown[0]} --source SOURCE`,
      );
    }
    const repeated = names.filter((type, position) => names.indexOf(type) !== position);
    if (repeated.length > 0) {
      throw new ScaffoldError(
        `${option} names ${repeated.join(", ")} more than once; list each event type once.`,
      );
    }
  }
  const declarations = await readProjectFile(root, PROJECT_FILES.subscriptions);
  if (subscriptionNames(declarations).includes(name)) {
    throw new ScaffoldError(
      `A subscription named "${name}" is already declared in ${PROJECT_FILES.subscriptions}. Pick another name, or add the event types to its eventTypes and a function per type to its handler.`,
    );
  }
  const closing = declarations.indexOf(DEFINITIONS_CLOSING);
  if (closing < 0) {
    throw anchorMissing(
      PROJECT_FILES.subscriptions,
      DEFINITIONS_CLOSING,
      "the list of subscription definitions",
    );
  }
  const handlerFile = `lambdas/${name}/handler.ts`;
  const testFile = `test/lambdas/${name}/handler.test.ts`;
  refuseExisting(root, [handlerFile, testFile]);

  await writeNew(root, handlerFile, handlerSource(name, consumes, publishes));
  await writeNew(root, testFile, handlerTestSource(name, consumes, publishes));
  const entry = subscriptionEntry(name, consumes, publishes, handlerFile);
  await writeFile(
    path.join(root, PROJECT_FILES.subscriptions),
    `${declarations.slice(0, closing)}${entry}${declarations.slice(closing)}`,
  );
  await format(root, [handlerFile, testFile, PROJECT_FILES.subscriptions]);
  return {
    created: [handlerFile, testFile],
    edited: [PROJECT_FILES.subscriptions],
    nextSteps: [
      `${PROJECT_FILES.subscriptions}: describe what "${name}" does; set its settings if the defaults do not fit (batchSize, timeout, memorySize, stateTable, detailFilter).`,
      `${handlerFile}: do the work of each function${publishes.length > 0 ? `, and publish ${publishes.join(", ")} with publishFollowUp` : ""}; the compiler requires one function per consumed type.`,
      `${testFile}: assert the effects of each function.`,
      "Check it: npm run typecheck && npx cdk synth && npx vitest run test/lambdas",
    ],
  };
}

function eventTypeSource(name: string, source: string): string {
  const what = kebabCase(name).replace(/-/g, " ");
  return `import * as z from "zod";
import { defineEventType } from "./event-type";

/**
 * ${name}: written by \`eventrail new event-type\`. Fill in the description, the facts the event
 * carries and an example that matches them. Once it is published, change it compatibly (add optional
 * fields, bump MINOR); a breaking change is a new event type.
 */
export const ${name} = defineEventType({
  source: "${source}",
  detailType: "${name}",
  version: "1.0",
  description: "${what.charAt(0).toUpperCase()}${what.slice(1)}.",
  data: z.object({
    id: z.string().min(1).describe("The id of what this event is about"),
  }),
  example: {
    id: "${name.toUpperCase().slice(0, 3)}-1234",
  },
});
`;
}

function subscriptionEntry(
  name: string,
  consumes: readonly string[],
  publishes: readonly string[],
  handlerFile: string,
): string {
  const list = (types: readonly string[]) => `[${types.map((type) => `"${type}"`).join(", ")}]`;
  const description =
    publishes.length === 0
      ? `Consumes ${consumes.join(", ")}.`
      : `Consumes ${consumes.join(", ")}; publishes ${publishes.join(", ")}.`;
  return `  {
    name: "${name}",
    description: "${description}",
    eventTypes: ${list(consumes)},
    entry: "${handlerFile}",${publishes.length === 0 ? "" : `\n    publishes: ${list(publishes)},`}
  },
`;
}

function handlerSource(name: string, consumes: readonly string[], publishes: readonly string[]): string {
  const publisherImport =
    publishes.length === 0
      ? ""
      : `import { eventBridgePublisherFromEnvironment } from "../shared/publisher";\n`;
  const publisherOption =
    publishes.length === 0 ? "" : "  publisher: eventBridgePublisherFromEnvironment(),\n";
  const functions = consumes
    .map(
      (type) => `    ${type}: async (event, { logger }) => {
      logger.info("Handling ${type}", { eventId: event.metadata.eventId });
      // The work for ${type} goes here: event.data is validated and typed.${
        publishes.length === 0
          ? ""
          : `\n      // Publish what happened with the context's publishFollowUp, e.g. publishFollowUp("${publishes[0]}", data).`
      }
    },`,
    )
    .join("\n");
  return `import { createSubscriptionConsumer } from "../shared/consumer";
${publisherImport}
/**
 * The ${name} consumer: written by \`eventrail new subscription\`, one function per event type it
 * consumes (lib/subscriptions.ts). Each record is validated against the catalog and processed once
 * per eventId; a function that throws fails only its record, which SQS retries and then moves to the
 * DLQ.
 */
export const handler = createSubscriptionConsumer("${name}", {
${publisherOption}  handlers: {
${functions}
  },
});
`;
}

function handlerTestSource(name: string, consumes: readonly string[], publishes: readonly string[]): string {
  const publishing = publishes.length > 0;
  const environment = [
    `POWERTOOLS_SERVICE_NAME: "${name}"`,
    `POWERTOOLS_METRICS_NAMESPACE: "eventrail"`,
    `IDEMPOTENCY_TABLE_NAME: "idempotency"`,
    ...(publishing ? [`EVENT_BUS_NAME: "eventrail-bus"`, `EVENTRAIL_PRODUCER: "${name}"`] : []),
    `AWS_REGION: "eu-west-1"`,
  ];
  return `import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
${publishing ? `import { EventBridgeClient } from "@aws-sdk/client-eventbridge";\n` : ""}import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { handler } from "../../../lambdas/${name}/handler";
${publishing ? `import { acceptAllEvents } from "../support/bus";\n` : ""}import { anEvent, lambdaContext, sqsEvent, sqsRecord } from "../support/events";
import { FakeIdempotencyTable } from "../support/idempotency-table";
import { CapturedOutput } from "../support/output";

vi.hoisted(() => {
  Object.assign(process.env, {
${environment.map((line) => `    ${line},`).join("\n")}
  });
});

const idempotencyClient = mockClient(DynamoDBClient);
${publishing ? "const eventBridge = mockClient(EventBridgeClient);\n" : ""}let output: CapturedOutput;

beforeEach(() => {
  idempotencyClient.reset();
  new FakeIdempotencyTable(idempotencyClient);
${publishing ? "  eventBridge.reset();\n  acceptAllEvents(eventBridge);\n" : ""}  output = new CapturedOutput();
});

afterEach(() => {
  output.restore();
});

describe("${name} consumer", () => {
  it.each([${consumes.map((type) => `"${type}"`).join(", ")}] as const)("handles %s without failing the record", async (detailType) => {
    // Prepare
    const batch = sqsEvent(sqsRecord(anEvent(detailType)));

    // Act
    const response = await handler(batch, lambdaContext());

    // Assess: add the effects of the function here.
    expect(response.batchItemFailures).toEqual([]);
    expect(output.logs(\`Handling \${detailType}\`)).toHaveLength(1);
  });

  it("handles an event delivered twice once", async () => {
    // Prepare
    const event = anEvent("${consumes[0]}");

    // Act
    await handler(sqsEvent(sqsRecord(event)), lambdaContext());
    const again = await handler(sqsEvent(sqsRecord(event)), lambdaContext());

    // Assess
    expect(again.batchItemFailures).toEqual([]);
    expect(output.logs("Handling ${consumes[0]}")).toHaveLength(1);
  });
});
`;
}

async function readProjectFile(root: string, file: string): Promise<string> {
  try {
    return await readFile(path.join(root, file), "utf8");
  } catch {
    throw new ScaffoldError(
      `Cannot read ${file} under ${root}: run eventrail new from the root of an eventrail project (the folder with package.json, lib/ and lambdas/).`,
    );
  }
}

function refuseExisting(root: string, files: readonly string[]): void {
  const present = files.filter((file) => existsSync(path.join(root, file)));
  if (present.length > 0) {
    throw new ScaffoldError(
      `${present.join(" and ")} already ${present.length === 1 ? "exists" : "exist"}; eventrail new never overwrites a file. Move ${present.length === 1 ? "it" : "them"} away or pick another name.`,
    );
  }
}

async function writeNew(root: string, file: string, content: string): Promise<void> {
  await mkdir(path.dirname(path.join(root, file)), { recursive: true });
  // "wx": fails if the file appeared since the check, so nothing is ever overwritten.
  await writeFile(path.join(root, file), content, { flag: "wx" });
}

function catalogObject(indexSource: string): { text: string; end: number } {
  const start = indexSource.indexOf(CATALOG_OPENING);
  const end = start < 0 ? -1 : indexSource.indexOf(CATALOG_CLOSING, start);
  if (start < 0 || end < 0) {
    throw anchorMissing(
      PROJECT_FILES.catalogIndex,
      `${CATALOG_OPENING} ... ${CATALOG_CLOSING}`,
      "the catalog object",
    );
  }
  return { text: indexSource.slice(start + CATALOG_OPENING.length, end), end };
}

function insertAfterLastImport(source: string, line: string, file: string): string {
  const imports = [...source.matchAll(/^import [^;]*;\n/gm)];
  const last = imports.at(-1);
  if (last === undefined) throw anchorMissing(file, "import ...;", "its imports");
  const at = (last.index ?? 0) + last[0].length;
  return `${source.slice(0, at)}${line}\n${source.slice(at)}`;
}

function anchorMissing(file: string, anchor: string, what: string): ScaffoldError {
  return new ScaffoldError(
    `${file} no longer has ${what} as the scaffolds expect it (${anchor}); nothing was written. Restore that shape, or add the new piece by hand as README.md's "Adding ..." sections show.`,
  );
}

const run = promisify(execFile);

/** Formats the written files with the project's Biome (and sorts their imports), when it has one. */
async function format(root: string, files: readonly string[]): Promise<void> {
  const biome = path.join(root, "node_modules", ".bin", "biome");
  if (!existsSync(biome)) return;
  await run(biome, ["check", "--write", ...files], { cwd: root }).catch(() => {
    // A file Biome cannot fix is left as written; `npm run lint` names what is wrong.
  });
}
