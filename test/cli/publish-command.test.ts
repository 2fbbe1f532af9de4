import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { catalog } from "../../lib/catalog";
import { ExitCode, runCli } from "../../lib/cli";
import { type PublishProblem, type PublishSummary, publishLines } from "../../lib/cli/commands/publish";
import { InMemoryPublisher, prepareRequest } from "../../lib/producer";
import { type MotoServer, motoUnavailableReason, startMoto } from "../support/moto";
import { fakeIo } from "./fake-io";

const cancelled = (orderId: string) =>
  JSON.stringify({ "detail-type": "OrderCancelled", data: { ...catalog.OrderCancelled.example, orderId } });

async function* linesOf(...lines: string[]): AsyncGenerator<string> {
  yield* lines;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("publishLines", () => {
  it("names every unpublished event by its line number, whether invalid or refused", async () => {
    // Prepare: line 4 is refused by the bus; lines 2 and 5 are invalid; line 3 is blank.
    const publisher = new InMemoryPublisher({
      failEntry: (entry) =>
        entry.Detail?.includes("ORD-DENIED")
          ? { errorCode: "AccessDeniedException", errorMessage: "not allowed" }
          : undefined,
    });
    const seen: PublishProblem[] = [];

    // Act
    const summary = await publishLines(
      linesOf(
        cancelled("ORD-1"),
        "{broken",
        "",
        cancelled("ORD-DENIED"),
        cancelled("bad id"),
        cancelled("ORD-6"),
      ),
      publisher,
      "orders",
      false,
      (problem) => seen.push(problem),
    );

    // Assess
    expect(summary).toMatchObject({ events: 5, published: 2, failed: 1, invalid: 2, calls: 1 });
    expect(summary.problems.map((p) => [p.line, p.status, p.errorCode])).toEqual([
      [2, "invalid", "InvalidJson"],
      [4, "failed", "AccessDeniedException"],
      [5, "invalid", "EventValidationError"],
    ]);
    expect(seen).toHaveLength(3);
    expect(publisher.ofType("OrderCancelled").map((e) => e.data.orderId)).toEqual(["ORD-1", "ORD-6"]);
  });
});

describe("eventrail publish", () => {
  it("validates from stdin in a dry run, exits 0 and prints a summary", async () => {
    // Prepare
    const io = fakeIo({ stdin: `${cancelled("ORD-1")}\n${cancelled("ORD-2")}\n` });

    // Act
    const code = await runCli(["publish", "--bus", "orders", "--dry-run"], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toBe('Validated (dry run, nothing sent) 2 of 2 event(s) to bus "orders": all ok.\n');
    expect(io.err()).toBe("");
  });

  it("exits 1 and names the line and reason of an invalid event", async () => {
    // Prepare
    const io = fakeIo({ stdin: `${cancelled("ORD-1")}\n${cancelled("nope")}\n` });

    // Act
    const code = await runCli(["publish", "--bus", "orders", "--dry-run"], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    expect(io.err()).toMatch(/^line 2: OrderCancelled invalid \(EventValidationError\): .*data\.orderId/);
    expect(io.out()).toContain("1 of 2 event(s)");
  });

  it("prints a JSON summary with --json and nothing else on stdout", async () => {
    // Prepare
    const io = fakeIo({ stdin: `${cancelled("ORD-1")}\nnot json\n` });

    // Act
    const code = await runCli(["publish", "--bus", "orders", "--dry-run", "--json"], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    const summary = JSON.parse(io.out()) as PublishSummary;
    expect(summary).toMatchObject({ bus: "orders", events: 2, published: 1, invalid: 1, dryRun: true });
    expect(summary.problems).toEqual([expect.objectContaining({ line: 2, errorCode: "InvalidJson" })]);
    expect(io.err()).toBe("");
  });

  describe("the audit trail's record limit", () => {
    /** A line whose event makes an audit record of exactly `bytes`, padded through a resource. */
    function cancelledWithAuditRecordOf(bytes: number): string {
      const request = { detailType: "OrderCancelled", data: catalog.OrderCancelled.example } as const;
      const { auditSize } = prepareRequest(
        { ...request, resources: [""] },
        { eventBusName: "orders", producer: "eventrail-cli" },
      );
      return JSON.stringify({
        "detail-type": request.detailType,
        data: request.data,
        resources: ["r".repeat(bytes - auditSize)],
      });
    }

    it("refuses by default an event whose audit record would exceed 1,000 KiB, and takes one at the limit", async () => {
      // Prepare
      const io = fakeIo({
        stdin: `${cancelledWithAuditRecordOf(1_024_000)}\n${cancelledWithAuditRecordOf(1_024_001)}\n`,
      });

      // Act
      const code = await runCli(["publish", "--bus", "orders", "--dry-run"], io);

      // Assess
      expect(code).toBe(ExitCode.failure);
      expect(io.err()).toMatch(
        /^line 2: OrderCancelled invalid \(AuditRecordTooLargeError\): .*audit record of 1,024,001 bytes.*at most 1,024,000 bytes.*claim-check/,
      );
      expect(io.out()).toContain("1 of 2 event(s)");
    });

    it("takes it with --max-audit-record-bytes off", async () => {
      // Prepare
      const io = fakeIo({ stdin: `${cancelledWithAuditRecordOf(1_024_001)}\n` });

      // Act
      const code = await runCli(
        ["publish", "--bus", "orders", "--dry-run", "--max-audit-record-bytes", "off"],
        io,
      );

      // Assess
      expect(code).toBe(ExitCode.ok);
      expect(io.out()).toContain("1 of 1 event(s)");
    });
  });

  it("refuses to wait on a terminal when no file is given", async () => {
    const io = fakeIo({ stdinIsTTY: true });
    expect(await runCli(["publish", "--bus", "orders"], io)).toBe(ExitCode.usage);
    expect(io.err()).toMatch(/No input: pass --file F\.ndjson, or pipe NDJSON to stdin/);
  });

  it.each([
    [["--file", "/nonexistent/events.ndjson"], /--file "\/nonexistent\/events.ndjson" cannot be read/],
    [["--max-in-flight", "0"], /--max-in-flight "0" is not a whole number of at least 1/],
    [["--max-entry-bytes", "1MB"], /--max-entry-bytes "1MB" is not a whole number/],
    [
      ["--max-audit-record-bytes", "none"],
      /--max-audit-record-bytes "none" is neither a whole number of at least 1 nor "off"/,
    ],
    [["--endpoint", "localhost:4010"], /--endpoint "localhost:4010" is not an http\(s\) URL/],
  ])("rejects %j before doing anything", async (args, message) => {
    const io = fakeIo({ stdin: cancelled("ORD-1") });
    expect(await runCli(["publish", "--bus", "orders", ...args], io)).toBe(ExitCode.usage);
    expect(io.err()).toMatch(message);
  });

  it("says how to set a region when none is configured", async () => {
    // Prepare
    vi.stubEnv("AWS_REGION", undefined);
    vi.stubEnv("AWS_DEFAULT_REGION", undefined);
    vi.stubEnv("AWS_PROFILE", undefined);
    vi.stubEnv("AWS_CONFIG_FILE", "/nonexistent/config");
    const io = fakeIo({ stdin: cancelled("ORD-1") });

    // Act
    const code = await runCli(["publish", "--bus", "orders", "--endpoint", "http://127.0.0.1:9"], io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(io.err()).toMatch(/No AWS region is configured\. Pass --region/);
  });
});

const unavailable = motoUnavailableReason();
if (unavailable !== undefined)
  console.warn(`Skipping "eventrail publish" against moto_server: ${unavailable}`);

describe("eventrail publish against moto_server", () => {
  let moto: MotoServer | undefined;
  let directory: string;

  beforeAll(async () => {
    moto = await startMoto();
    directory = await mkdtemp(join(tmpdir(), "eventrail-cli-"));
  });

  afterAll(async () => {
    await moto?.stop();
    await rm(directory, { recursive: true, force: true });
  });

  it.skipIf(unavailable !== undefined)(
    "publishes a file's events to the bus, where a rule delivers them, and names the bad line",
    async () => {
      // Prepare
      if (moto === undefined) throw new Error("moto_server did not start");
      const eventBridge = new EventBridgeClient(moto.clientConfig);
      const sqs = new SQSClient(moto.clientConfig);
      await eventBridge.send(new CreateEventBusCommand({ Name: "orders" }));
      const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: "cli-orders" }));
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }),
      );
      await eventBridge.send(
        new PutRuleCommand({
          Name: "cancelled",
          EventBusName: "orders",
          EventPattern: JSON.stringify({ "detail-type": ["OrderCancelled"] }),
        }),
      );
      await eventBridge.send(
        new PutTargetsCommand({
          Rule: "cancelled",
          EventBusName: "orders",
          Targets: [{ Id: "q", Arn: Attributes?.QueueArn }],
        }),
      );
      const file = join(directory, "events.ndjson");
      await writeFile(
        file,
        [cancelled("ORD-1"), cancelled("ORD-2"), '{"detail-type":"Nope","data":{}}'].join("\n"),
      );
      const io = fakeIo();

      // Act
      const code = await runCli(
        ["publish", "--bus", "orders", "--file", file, "--endpoint", moto.endpoint, "--region", "us-east-1"],
        io,
      );

      // Assess
      expect(code).toBe(ExitCode.failure);
      expect(io.err()).toMatch(
        /^line 3: Nope invalid \(EventValidationError\): .*Unknown detail-type "Nope"/,
      );
      expect(io.out()).toBe(
        'Published 2 of 3 event(s) to bus "orders" in 1 PutEvents call(s): 0 failed, 1 invalid.\n',
      );
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }),
      );
      const orderIds = Messages.map(
        (m) => (JSON.parse(m.Body ?? "{}") as { detail: { data: { orderId: string } } }).detail.data.orderId,
      );
      expect(orderIds.sort()).toEqual(["ORD-1", "ORD-2"]);
    },
  );
});
