import { cp, mkdir, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { eventTypes } from "../../lib/catalog";
import {
  catalogNames,
  kebabCase,
  newEventType,
  newSubscription,
  PROJECT_FILES,
  ScaffoldError,
  subscriptionNames,
} from "../../lib/scaffold/scaffold";
import { subscriptions } from "../../lib/subscriptions";

const ROOT = path.resolve(__dirname, "../..");
// The new pieces are named apart from the OrderShipped and shipping, which a team may have
// scaffolded into this repository already (test/e2e/scaffold.test.ts runs those).

/** A project folder holding the two files the scaffolds register in, as this repository has them. */
async function project(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), "eventrail-scaffold-"));
  for (const file of Object.values(PROJECT_FILES)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await cp(path.join(ROOT, file), path.join(root, file));
  }
  return root;
}

async function read(root: string, file: string): Promise<string> {
  return readFile(path.join(root, file), "utf8");
}

async function refusal(work: Promise<unknown>): Promise<ScaffoldError> {
  const error = await work.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ScaffoldError);
  return error as ScaffoldError;
}

describe("reading the project's declarations as text", () => {
  it("finds every event type of the catalog and every subscription, as the code declares them", async () => {
    expect(catalogNames(await read(ROOT, PROJECT_FILES.catalogIndex))).toEqual(
      eventTypes.map((t) => t.detailType),
    );
    expect(subscriptionNames(await read(ROOT, PROJECT_FILES.subscriptions))).toEqual(
      subscriptions.map((s) => s.name),
    );
  });

  it("names files in kebab case", () => {
    expect(kebabCase("OrderShipped")).toBe("order-shipped");
    expect(kebabCase("Refund2Issued")).toBe("refund2-issued");
  });
});

describe("eventrail new event-type", () => {
  it("writes a declaration and registers it, and reports both", async () => {
    const root = await project();

    const result = await newEventType(root, { name: "ParcelShipped", source: "eventrail.shipping" });

    expect(result.created).toEqual(["lib/catalog/parcel-shipped.ts"]);
    expect(result.edited).toEqual([PROJECT_FILES.catalogIndex]);
    expect(await read(root, "lib/catalog/parcel-shipped.ts")).toContain('source: "eventrail.shipping"');
    const index = await read(root, PROJECT_FILES.catalogIndex);
    expect(index).toContain('import { ParcelShipped } from "./parcel-shipped";');
    expect(catalogNames(index)).toEqual([...eventTypes.map((t) => t.detailType), "ParcelShipped"]);
  });

  it.each([
    ["a name that is not PascalCase", { name: "order_shipped", source: "eventrail.shipping" }, /PascalCase/],
    ["an aws. source", { name: "ParcelShipped", source: "aws.shipping" }, /not starting with "aws\."/],
    [
      "a name already in the catalog",
      { name: "OrderPlaced", source: "eventrail.orders" },
      /already in the catalog/,
    ],
  ])("refuses %s with the fix, writing nothing", async (_, options, message) => {
    const root = await project();
    const before = await read(root, PROJECT_FILES.catalogIndex);

    const error = await refusal(newEventType(root, options));

    expect(error.message).toMatch(message);
    expect(await read(root, PROJECT_FILES.catalogIndex)).toBe(before);
  });

  it("never overwrites a file", async () => {
    const root = await project();
    await writeFile(path.join(root, "lib/catalog/parcel-shipped.ts"), "// mine\n");

    const error = await refusal(newEventType(root, { name: "ParcelShipped", source: "eventrail.shipping" }));

    expect(error.message).toMatch(/already exists; eventrail new never overwrites a file/);
    expect(await read(root, "lib/catalog/parcel-shipped.ts")).toBe("// mine\n");
  });

  it("says what to do when the catalog index no longer has the shape it edits", async () => {
    const root = await project();
    await writeFile(path.join(root, PROJECT_FILES.catalogIndex), "export const catalog = makeCatalog();\n");

    const error = await refusal(newEventType(root, { name: "ParcelShipped", source: "eventrail.shipping" }));

    expect(error.message).toMatch(/no longer has the catalog object .* add the new piece by hand/);
  });
});

describe("eventrail new subscription", () => {
  it("declares it, and writes a handler with one function per consumed type and its test", async () => {
    const root = await project();

    const result = await newSubscription(root, {
      name: "parcel-shipping",
      consumes: ["PaymentProcessed", "OrderCancelled"],
      publishes: ["InventoryReserved"],
    });

    expect(result.created).toEqual([
      "lambdas/parcel-shipping/handler.ts",
      "test/lambdas/parcel-shipping/handler.test.ts",
    ]);
    const declarations = await read(root, PROJECT_FILES.subscriptions);
    expect(subscriptionNames(declarations)).toEqual([...subscriptions.map((s) => s.name), "parcel-shipping"]);
    expect(declarations).toContain('eventTypes: ["PaymentProcessed", "OrderCancelled"]');
    expect(declarations).toContain('publishes: ["InventoryReserved"]');
    const handler = await read(root, "lambdas/parcel-shipping/handler.ts");
    expect(handler).toContain('createSubscriptionConsumer("parcel-shipping"');
    expect(handler).toContain("PaymentProcessed: async (event, { logger }) =>");
    expect(handler).toContain("OrderCancelled: async (event, { logger }) =>");
    expect(handler).toContain("publisher: eventBridgePublisherFromEnvironment()");
  });

  it("leaves the publisher out of a subscription that publishes nothing", async () => {
    const root = await project();

    await newSubscription(root, { name: "audit-mirror", consumes: ["OrderPlaced"] });

    expect(await read(root, "lambdas/audit-mirror/handler.ts")).not.toContain("publisher");
    expect(await read(root, PROJECT_FILES.subscriptions)).not.toMatch(/name: "audit-mirror",[^}]*publishes/);
  });

  it.each([
    ["a name that is not kebab case", { name: "Shipping", consumes: ["OrderPlaced"] }, /lower-case letters/],
    ["no consumed type", { name: "parcel-shipping", consumes: [] }, /--consumes lists no event type/],
    [
      "a consumed type not in the catalog",
      { name: "parcel-shipping", consumes: ["ParcelShipped"] },
      /--consumes names ParcelShipped, which is not in the catalog\. Known event types: OrderPlaced.*npx eventrail new event-type ParcelShipped/,
    ],
    [
      "a published type not in the catalog",
      { name: "parcel-shipping", consumes: ["OrderPlaced"], publishes: ["Nope"] },
      /--publishes names Nope/,
    ],
    [
      "a type listed twice",
      { name: "parcel-shipping", consumes: ["OrderPlaced", "OrderPlaced"] },
      /more than once/,
    ],
    ["an existing subscription", { name: "inventory", consumes: ["OrderPlaced"] }, /already declared/],
  ])("refuses %s with the fix, writing nothing", async (_, options, message) => {
    const root = await project();
    const before = await read(root, PROJECT_FILES.subscriptions);

    const error = await refusal(newSubscription(root, options));

    expect(error.message).toMatch(message);
    expect(await read(root, PROJECT_FILES.subscriptions)).toBe(before);
  });

  it("never overwrites a handler or a test", async () => {
    const root = await project();
    await mkdir(path.join(root, "test/lambdas/parcel-shipping"), { recursive: true });
    await writeFile(path.join(root, "test/lambdas/parcel-shipping/handler.test.ts"), "// mine\n");

    const error = await refusal(
      newSubscription(root, { name: "parcel-shipping", consumes: ["OrderPlaced"] }),
    );

    expect(error.message).toMatch(/test\/lambdas\/parcel-shipping\/handler\.test\.ts already exists/);
    expect(await read(root, PROJECT_FILES.subscriptions)).not.toContain('"parcel-shipping"');
  });
});
