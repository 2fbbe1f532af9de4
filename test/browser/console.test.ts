import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import * as path from "node:path";
import { PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { serveConsole } from "../../lib/console/console-server";
import { FlowRecorder } from "../../lib/console/flow-recorder";
import { LocalPipeline } from "../../lib/local/local-pipeline";
import { queueDepth } from "../../lib/ops/queue-depth";
import { toPutEventsEntry } from "../../lib/producer";
import { type ExamplePipeline, orderData, startExamplePipeline } from "../e2e/support/example-pipeline";

const ROOT = path.resolve(__dirname, "../..");
const CHROMIUM = "/usr/bin/chromium";
/** Screenshots of each view, as test artifacts (git ignores test/.tmp). */
const ARTIFACTS = path.join(ROOT, "test/.tmp/console");
/** The flags this offline machine needs: nothing may reach the network. */
const CHROMIUM_FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

let example: ExamplePipeline;
/** The pipeline the console is served by now (the restart test replaces it). */
let running: LocalPipeline | undefined;
let browser: Browser;
let page: Page;
const requested: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium); .ci/run does.`,
    );
  }
  if (!existsSync(path.join(ROOT, "dist/console/index.html"))) {
    execFileSync("node", [path.join(ROOT, "scripts/build-console.mjs"), "--quiet"]);
  }
  await mkdir(ARTIFACTS, { recursive: true });
  const recorder = new FlowRecorder();
  example = await startExamplePipeline(60, { observer: recorder });
  running = example.pipeline;
  serveConsole(example.pipeline, recorder, { stateDir: example.stateDir, cdkOutDir: example.cdkOutDir });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("request", (request) => requested.push(request.url()));
  page.on("dialog", (dialog) => void dialog.accept());
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await running?.stop();
});

async function publish(detailType: "OrderPlaced", orderId: string, poison = false): Promise<string> {
  const entry = toPutEventsEntry(
    { detailType, data: orderData(orderId) },
    { eventBusName: "eventrail", producer: "console-test" },
  );
  const detail = JSON.parse(entry.Detail as string);
  if (poison) detail.data.items = "not a list";
  await example.clients.eventBridge.send(
    new PutEventsCommand({ Entries: [{ ...entry, Detail: JSON.stringify(detail) }] }),
  );
  return detail.metadata.correlationId as string;
}

describe("the local console in Chromium", () => {
  it("shows the topology with every subscription's rule", async () => {
    await page.goto(`${example.pipeline.endpoint}/console`);

    await page.waitForSelector("[data-rule]");

    const rules = await page.locator("[data-rule]").count();
    expect(rules).toBe(example.pipeline.model.rules.length);
    await page.screenshot({ path: path.join(ARTIFACTS, "topology.png"), fullPage: true });
  });

  it("shows an order's whole flow at /console/flow/<correlationId>: every event and every step", async () => {
    const correlationId = await publish("OrderPlaced", "ORD-CONSOLE-1");

    await page.goto(`${example.pipeline.endpoint}/console/flow/${correlationId}`);

    // The chain: the order, its reservation, its payment (processed or failed), each handled.
    await page.waitForSelector("[data-event=InventoryReserved]", { timeout: 30_000 });
    await page.waitForSelector("[data-event^=Payment]", { timeout: 30_000 });
    const order = page.locator("[data-event=OrderPlaced]");
    await expect
      .poll(async () => order.textContent(), { timeout: 30_000 })
      .toMatch(/handled by .*inventory/i);
    expect(await order.textContent()).toContain("accepted on bus eventrail");
    expect(await order.textContent()).toContain("published follow-up InventoryReserved");
    await page.screenshot({ path: path.join(ARTIFACTS, "flow.png"), fullPage: true });
  });

  it("shows a poisoned event failing in red, and redrives it from the DLQ view", async () => {
    const correlationId = await publish("OrderPlaced", "ORD-CONSOLE-POISON", true);
    const dlq = example.subscription("inventory").deadLetterQueueUrl;
    await vi.waitFor(async () => expect((await queueDepth(example.clients.sqs, dlq)).depth).toBe(1), {
      timeout: 60_000,
      interval: 250,
    });

    await page.goto(`${example.pipeline.endpoint}/console/flow/${correlationId}`);
    await page.waitForSelector("[data-event=OrderPlaced] .failed");
    expect(await page.locator("[data-event=OrderPlaced] .failed").first().textContent()).toMatch(
      /FAILED in .*inventory/i,
    );

    await page.goto(`${example.pipeline.endpoint}/console`);
    await page.waitForSelector("svg.topology g.node-dlq.alarm");
    await page.screenshot({ path: path.join(ARTIFACTS, "topology-alarm.png"), fullPage: true });

    await page.goto(`${example.pipeline.endpoint}/console/dlqs`);
    await page.waitForSelector("[data-dlq=inventory]");
    await page.locator("[data-dlq=inventory] button", { hasText: "redrive all" }).click();

    await page.waitForSelector("#dlq-message");
    expect(await page.locator("#dlq-message").textContent()).toMatch(
      /Moved 1 of 1 message\(s\) from inventory/,
    );
    await page.screenshot({ path: path.join(ARTIFACTS, "dlqs.png"), fullPage: true });
    // Redriving an empty DLQ says so.
    await vi.waitFor(async () =>
      expect(
        (await queueDepth(example.clients.sqs, dlq)).depth +
          (await queueDepth(example.clients.sqs, dlq)).inFlight,
      ).toBe(0),
    );
    await page.locator("[data-dlq=inventory\\/target] button", { hasText: "redrive all" }).click();
    await expect
      .poll(async () => page.locator("#dlq-message").textContent())
      .toMatch(/inventory\/target is empty: nothing to redrive/);
  });

  it("lists live events and filters them", async () => {
    await page.goto(`${example.pipeline.endpoint}/console/events`);
    await page.waitForSelector("#connection:text('live')");
    await publish("OrderPlaced", "ORD-CONSOLE-LIVE");

    await page.fill("input[placeholder=text]", "ORD-CONSOLE-LIVE");

    await expect.poll(async () => page.locator("tbody tr").count(), { timeout: 20_000 }).toBeGreaterThan(0);
    expect(await page.locator("tbody").textContent()).toContain("OrderPlaced");
    await page.screenshot({ path: path.join(ARTIFACTS, "events.png"), fullPage: true });
  });

  it("publishes an order from the form, validating it as it is typed, and follows its flow", async () => {
    await page.goto(`${example.pipeline.endpoint}/console/publish`);
    await page.waitForSelector("#publish-editor .cm-content");
    await page.selectOption("#publish-type", "OrderPlaced");
    // An edit that breaks the schema is flagged in the editor, with its path, before anything is sent.
    const editor = page.locator("#publish-editor .cm-content");
    await editor.click();
    await page.keyboard.press("Control+A");
    await page.keyboard.insertText('{"orderId": 42}');
    await expect.poll(async () => editor.textContent()).toBe('{"orderId": 42}');
    const overview = page.locator("#publish-editor .jse-validation-errors-overview");
    await expect.poll(async () => overview.textContent(), { timeout: 10_000 }).toMatch(/orderId/);
    await page.screenshot({ path: path.join(ARTIFACTS, "publish-invalid.png"), fullPage: true });
    await page.click("#publish-send");
    // Sent anyway, the server refuses it with the catalog's own message, naming the path.
    await expect.poll(async () => page.locator("#publish-result").textContent()).toMatch(/orderId/);
    expect(await page.locator("#publish-result").getAttribute("class")).toContain("failed");

    // The example, sent as it is: published, then followed to its flow.
    await page.selectOption("#publish-type", "OrderCancelled");
    await page.selectOption("#publish-type", "OrderPlaced");
    await page.waitForSelector("#publish-editor .cm-content");
    await page.click("#publish-send");
    await page.waitForSelector("#publish-result a");
    await page.click("#publish-result a");

    await page.waitForSelector("[data-event=InventoryReserved]", { timeout: 30_000 });
    expect(page.url()).toMatch(/\/console\/flow\/.+/);
    await page.screenshot({ path: path.join(ARTIFACTS, "publish-flow.png"), fullPage: true });
  });

  it("runs a saved query and SQL over the local audit files, and shows DuckDB's error for bad SQL", async () => {
    await example.pipeline.flushAudit();
    await page.goto(`${example.pipeline.endpoint}/console/audit`);

    await page.click("#audit-run");

    await page.waitForSelector("#audit-result tbody tr", { timeout: 30_000 });
    expect(await page.locator("#audit-result").textContent()).toContain("OrderPlaced");
    await page.screenshot({ path: path.join(ARTIFACTS, "audit.png"), fullPage: true });
    await page.fill("#audit-sql", "SELECT nope FROM audit_events");
    await page.click("#audit-run");
    await expect.poll(async () => page.locator("#audit-error").textContent()).toMatch(/nope/);
    // A saved query, with its default window (the last 7 days).
    await page.click("[data-query=events-per-type-per-day]");
    await expect
      .poll(async () => page.locator("#audit-result").textContent(), { timeout: 30_000 })
      .toContain("OrderPlaced");
    expect(await page.locator("#audit-error").count()).toBe(0);
  });

  it("counts a replay's events with a dry run, then replays them to one subscription", async () => {
    await page.goto(`${example.pipeline.endpoint}/console/replay`);
    await page.waitForSelector("input[type=checkbox]");
    await page.locator("label", { hasText: "analytics" }).locator("input").check();

    await page.click("#replay-dry-run");

    await expect
      .poll(async () => page.locator("#replay-result").textContent(), { timeout: 20_000 })
      .toMatch(/\d+ event\(s\) in the window/);
    await page.click("#replay-start");
    await expect
      .poll(async () => page.locator("#replay-result").textContent(), { timeout: 30_000 })
      .toMatch(/COMPLETED/);
    await page.screenshot({ path: path.join(ARTIFACTS, "replay.png"), fullPage: true });
  });

  it("says it is reconnecting while the pipeline restarts, and goes live again", async () => {
    await page.goto(`${example.pipeline.endpoint}/console/events`);
    await page.waitForSelector("#connection:text('live')");
    const port = Number(new URL(example.pipeline.endpoint).port);

    await running?.stop();
    running = undefined;
    await page.waitForSelector("#connection:text('reconnecting')", { timeout: 20_000 });
    const recorder = new FlowRecorder();
    running = await LocalPipeline.start({
      cdkOutDir: example.cdkOutDir,
      stateDir: example.stateDir,
      port,
      timeScale: 60,
      observer: recorder,
    });
    serveConsole(running, recorder, { stateDir: example.stateDir, cdkOutDir: example.cdkOutDir });

    await page.waitForSelector("#connection:text('live')", { timeout: 20_000 });
  });

  it("made no request that left 127.0.0.1", () => {
    expect(requested.length).toBeGreaterThan(0);
    expect(requested.filter((url) => !url.startsWith(`${example.pipeline.endpoint}/`))).toEqual([]);
  });
});
