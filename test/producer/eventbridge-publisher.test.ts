import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { catalog } from "../../lib/catalog";
import {
  AuditRecordTooLargeError,
  DEFAULT_MAX_AUDIT_RECORD_BYTES,
  EventBridgePublisher,
  type EventBridgePublisherOptions,
  EventTooLargeError,
  EventValidationError,
  LEGACY_MAX_ENTRY_BYTES,
  PublishError,
  PublisherConfigurationError,
  type PublishInput,
  type PublishRequest,
  PublishStreamConsumedError,
  prepareRequest,
  putEventsEntrySize,
} from "../../lib/producer";
import { orderIdOf, orderPlaced, orderPlacedRequests, putEventsAnswering } from "./factories";

const eventBridge = mockClient(EventBridgeClient);

/** Backoff waits recorded instead of slept, so no test depends on time. */
let waits: number[];

function publisher(options: Partial<EventBridgePublisherOptions> = {}): EventBridgePublisher {
  return new EventBridgePublisher({
    eventBusName: "orders-bus",
    producer: "checkout",
    client: new EventBridgeClient({ region: "us-east-1" }),
    sleep: async (ms) => {
      waits.push(ms);
    },
    ...options,
  });
}

function sentCalls(): PutEventsRequestEntry[][] {
  return eventBridge.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries ?? []);
}

beforeEach(() => {
  eventBridge.reset();
  waits = [];
});

describe("EventBridgePublisher", () => {
  describe("batching", () => {
    it("packs events into PutEvents calls of at most 10 entries", async () => {
      // Prepare
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());

      // Act
      const result = await publisher().publishAll(orderPlacedRequests(25));

      // Assess
      expect(sentCalls().map((entries) => entries.length)).toEqual([10, 10, 5]);
      expect(result).toMatchObject({ published: 25, failed: 0, invalid: 0, calls: 3 });
    });

    it("keeps each call's total entry size within the limit", async () => {
      // Prepare: each event carries a resource of 100,000 bytes, so 2 fit in 256 KiB but 3 do not.
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());
      const big = (n: number) => ({ ...orderPlaced(n), resources: ["r".repeat(100_000)] });

      // Act
      const result = await publisher({ maxEntryBytes: LEGACY_MAX_ENTRY_BYTES }).publishAll(
        [0, 1, 2, 3, 4].map(big),
      );

      // Assess
      const calls = sentCalls();
      expect(calls.map((entries) => entries.length)).toEqual([2, 2, 1]);
      for (const entries of calls) {
        const total = entries.reduce((sum, entry) => sum + putEventsEntrySize(entry), 0);
        expect(total).toBeLessThanOrEqual(LEGACY_MAX_ENTRY_BYTES);
      }
      expect(result.published).toBe(5);
    });

    it("addresses every entry to the configured bus", async () => {
      // Prepare
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());

      // Act
      await publisher().publishAll(orderPlacedRequests(3));

      // Assess
      expect(
        sentCalls()
          .flat()
          .map((entry) => entry.EventBusName),
      ).toEqual(["orders-bus", "orders-bus", "orders-bus"]);
    });
  });

  describe("validation before any network call", () => {
    it("rejects an event over the size limit, naming its size and the limit, and sends the others", async () => {
      // Prepare
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());
      const oversize = { ...orderPlaced(1), resources: ["r".repeat(LEGACY_MAX_ENTRY_BYTES)] };

      // Act
      const result = await publisher({ maxEntryBytes: LEGACY_MAX_ENTRY_BYTES }).publishAll([
        orderPlaced(0),
        oversize,
        orderPlaced(2),
      ]);

      // Assess
      const rejected = result.outcomes[1];
      expect(rejected).toMatchObject({ status: "invalid", index: 1, errorCode: "EventTooLargeError" });
      expect(rejected?.status === "invalid" && rejected.errorMessage).toMatch(
        /is 262,[0-9]{3} bytes .* the limit is 262,144 bytes/,
      );
      expect(sentCalls().flat().map(orderIdOf)).toEqual(["ORD-0", "ORD-2"]);
    });

    describe("the audit trail's record limit", () => {
      /** An OrderPlaced request whose audit record is exactly `bytes`, padded through a resource. */
      function withAuditRecordOf(bytes: number, n = 0): PublishRequest<"OrderPlaced"> {
        const base = { ...orderPlaced(n), resources: [""] };
        const { auditSize } = prepareRequest(base, { eventBusName: "orders-bus", producer: "checkout" });
        return { ...base, resources: ["r".repeat(bytes - auditSize)] };
      }

      it("accepts an event whose audit record is just under the limit, and one exactly at it", async () => {
        // Prepare
        eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());

        // Act
        const result = await publisher().publishAll([
          withAuditRecordOf(DEFAULT_MAX_AUDIT_RECORD_BYTES - 1, 0),
          withAuditRecordOf(DEFAULT_MAX_AUDIT_RECORD_BYTES, 1),
        ]);

        // Assess
        expect(result).toMatchObject({ published: 2, invalid: 0 });
      });

      it("refuses one byte over before PutEvents, naming the size, the limit and the claim-check fix", async () => {
        // Prepare
        eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());
        const tooBig = withAuditRecordOf(DEFAULT_MAX_AUDIT_RECORD_BYTES + 1);

        // Act
        const outcome = await publisher().publish(tooBig);

        // Assess: EventBridge itself would take it (its entry is under 1 MiB).
        expect(prepareRequest(tooBig, { eventBusName: "b", producer: "checkout" }).size).toBeLessThan(
          1_048_576,
        );
        expect(outcome).toMatchObject({ status: "invalid", errorCode: "AuditRecordTooLargeError" });
        const message = outcome.status === "invalid" ? outcome.errorMessage : "";
        expect(message).toContain("audit record of 1,024,001 bytes");
        expect(message).toContain("at most 1,024,000 bytes (maxAuditRecordBytes");
        expect(message).toMatch(
          /Store the payload in S3 and publish a reference to it \(claim-check pattern\)/,
        );
        expect(message).toContain("maxAuditRecordBytes: false");
        expect(sentCalls()).toHaveLength(0);
      });

      it("throws an AuditRecordTooLargeError, an EventTooLargeError, in strict mode", async () => {
        // Act
        const publishing = publisher({ strict: true }).publish(
          withAuditRecordOf(DEFAULT_MAX_AUDIT_RECORD_BYTES + 1),
        );

        // Assess
        const error = await publishing.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(AuditRecordTooLargeError);
        expect(error).toBeInstanceOf(EventTooLargeError);
        expect(error).toMatchObject({ size: 1_024_001, limit: 1_024_000, detailType: "OrderPlaced" });
      });

      it("accepts it with maxAuditRecordBytes: false, for a bus no audit trail records", async () => {
        // Prepare
        eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());

        // Act
        const outcome = await publisher({ maxAuditRecordBytes: false }).publish(
          withAuditRecordOf(DEFAULT_MAX_AUDIT_RECORD_BYTES + 1),
        );

        // Assess
        expect(outcome.status).toBe("published");
        expect(sentCalls().flat()).toHaveLength(1);
      });

      it("applies a smaller limit when one is given", async () => {
        // Act
        const outcome = await publisher({ maxAuditRecordBytes: 2_000 }).publish(withAuditRecordOf(2_001));

        // Assess
        expect(outcome).toMatchObject({ status: "invalid", errorCode: "AuditRecordTooLargeError" });
      });
    });

    it("rejects data that fails the catalog schema without calling PutEvents", async () => {
      // Prepare
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());
      const bad = {
        detailType: "OrderPlaced",
        data: { ...catalog.OrderPlaced.example, items: [] },
      } as unknown as PublishInput;

      // Act
      const result = await publisher().publishAll([bad]);

      // Assess
      expect(result).toMatchObject({ published: 0, invalid: 1, calls: 0 });
      expect(result.outcomes[0]).toMatchObject({
        status: "invalid",
        errorCode: "EventValidationError",
        errorMessage: expect.stringMatching(/data\.items: Too small.*received \[\]/),
      });
      expect(sentCalls()).toHaveLength(0);
    });

    it("rejects an unknown detail-type, listing the known ones", async () => {
      // Prepare
      const unknown = { detailType: "NotInTheCatalog", data: {} } as unknown as PublishInput;

      // Act
      const result = await publisher().publishAll([unknown]);

      // Assess
      expect(result.outcomes[0]).toMatchObject({
        status: "invalid",
        detailType: "NotInTheCatalog",
        errorMessage: expect.stringMatching(/Unknown detail-type "NotInTheCatalog".*OrderPlaced/),
      });
    });
  });

  describe("partial failures", () => {
    describe.each([
      ["ThrottlingException", true],
      ["InternalFailure", true],
      ["AccessDeniedException", false],
      ["MalformedDetail", false],
      ["InvalidArgument", false],
      ["NotAuthorizedForSourceException", false],
    ])("an entry failing once with %s", (errorCode, retryable) => {
      it(
        retryable ? "is resubmitted alone and then published" : "is reported failed, never resubmitted",
        async () => {
          // Prepare: ORD-3 and ORD-7 fail on the first call only.
          eventBridge
            .on(PutEventsCommand)
            .callsFake(
              putEventsAnswering((entry, call) =>
                call === 1 && ["ORD-3", "ORD-7"].includes(orderIdOf(entry))
                  ? { ErrorCode: errorCode, ErrorMessage: `simulated ${errorCode}` }
                  : { EventId: `eb-${orderIdOf(entry)}` },
              ),
            );

          // Act
          const result = await publisher().publishAll(orderPlacedRequests(10));

          // Assess
          const calls = sentCalls();
          if (retryable) {
            expect(calls).toHaveLength(2);
            expect(calls[1]?.map(orderIdOf)).toEqual(["ORD-3", "ORD-7"]);
            expect(result).toMatchObject({ published: 10, failed: 0, calls: 2 });
          } else {
            expect(calls).toHaveLength(1);
            expect(result).toMatchObject({ published: 8, failed: 2, calls: 1 });
            expect(result.outcomes[3]).toMatchObject({
              status: "failed",
              errorCode,
              errorMessage: `simulated ${errorCode}`,
            });
          }
        },
      );
    });

    it("publishes after throttling once, waiting a jittered backoff below the first ceiling", async () => {
      // Prepare
      eventBridge
        .on(PutEventsCommand)
        .callsFake(
          putEventsAnswering((_entry, call) =>
            call === 1
              ? { ErrorCode: "ThrottlingException", ErrorMessage: "Rate exceeded" }
              : { EventId: "id" },
          ),
        );

      // Act
      const result = await publisher({ baseDelayMs: 200, random: () => 0.5 }).publishAll(
        orderPlacedRequests(4),
      );

      // Assess
      expect(result).toMatchObject({ published: 4, failed: 0, calls: 2 });
      expect(waits).toEqual([100]);
    });

    it("gives up after maxAttempts, doubling the backoff ceiling each time, and says so", async () => {
      // Prepare
      eventBridge
        .on(PutEventsCommand)
        .callsFake(putEventsAnswering(() => ({ ErrorCode: "InternalFailure", ErrorMessage: "Oops" })));

      // Act
      const result = await publisher({ maxAttempts: 3, baseDelayMs: 100, random: () => 0.99 }).publishAll([
        orderPlaced(0),
      ]);

      // Assess
      expect(result).toMatchObject({ published: 0, failed: 1, calls: 3 });
      expect(result.outcomes[0]).toMatchObject({
        status: "failed",
        errorCode: "InternalFailure",
        errorMessage: "Oops (gave up after 3 attempts)",
      });
      expect(waits).toEqual([99, 198]);
    });

    it("reports every entry of a call that fails as a whole with the error's name", async () => {
      // Prepare
      const notFound = Object.assign(new Error("Event bus orders-bus does not exist."), {
        name: "ResourceNotFoundException",
      });
      eventBridge.on(PutEventsCommand).rejects(notFound);

      // Act
      const result = await publisher().publishAll(orderPlacedRequests(3));

      // Assess
      expect(result).toMatchObject({ published: 0, failed: 3, calls: 1 });
      expect(result.outcomes.map((o) => o.status === "failed" && o.errorCode)).toEqual([
        "ResourceNotFoundException",
        "ResourceNotFoundException",
        "ResourceNotFoundException",
      ]);
    });
  });

  describe("the result", () => {
    it("lists every outcome in input order even when later calls finish first", async () => {
      // Prepare: the first call is held until the second one has answered.
      let releaseFirst: () => void = () => {};
      const firstHeld = new Promise<void>((resolve) => {
        releaseFirst = resolve;
      });
      const answer = putEventsAnswering();
      let calls = 0;
      eventBridge.on(PutEventsCommand).callsFake(async (input) => {
        calls++;
        if (calls === 1) await firstHeld;
        else releaseFirst();
        return answer(input);
      });
      const inputs: PublishInput[] = [
        ...orderPlacedRequests(12),
        { detailType: "OrderPlaced", data: {} } as unknown as PublishInput,
      ];

      // Act
      const result = await publisher().publishAll(inputs);

      // Assess
      expect(result.outcomes.map((o) => o.index)).toEqual([...inputs.keys()]);
      expect(result.outcomes.slice(0, 12).map((o) => o.status === "published" && o.eventBridgeId)).toEqual(
        orderPlacedRequests(12).map((r) => `eb-${r.data.orderId}`),
      );
      expect(result.outcomes[12]?.status).toBe("invalid");
    });

    it("gives each event a time-sortable, increasing ULID eventId", async () => {
      // Prepare
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());

      // Act
      const result = await publisher().publishAll(orderPlacedRequests(30));

      // Assess
      const ids = result.outcomes.map((o) => o.eventId ?? "");
      expect(ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id))).toBe(true);
      expect([...ids].sort()).toEqual(ids);
      expect(new Set(ids).size).toBe(30);
    });
  });

  describe("concurrency and backpressure", () => {
    it("keeps at most maxInFlight calls going at once, and uses them all", async () => {
      // Prepare: calls complete only when the test releases them, in batches.
      let inFlight = 0;
      let peak = 0;
      const answer = putEventsAnswering();
      const parked: Array<() => void> = [];
      eventBridge.on(PutEventsCommand).callsFake(async (input) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise<void>((resolve) => parked.push(resolve));
        inFlight--;
        return answer(input);
      });
      const releaser = setInterval(() => {
        for (const release of parked.splice(0)) release();
      }, 1);

      // Act
      const result = await publisher({ maxInFlight: 4 }).publishAll(orderPlacedRequests(200));
      clearInterval(releaser);

      // Assess
      expect(result.published).toBe(200);
      expect(peak).toBe(4);
    });

    it("reads an endless stream only as fast as its outcomes are consumed", async () => {
      // Prepare
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());
      let produced = 0;
      function* endless() {
        for (;;) yield orderPlaced(produced++);
      }
      const stream = publisher({ maxInFlight: 2 }).publishStream(endless());

      // Act
      let consumed = 0;
      for await (const outcome of stream) {
        expect(outcome.index).toBe(consumed);
        consumed++;
        if (consumed === 500) break;
      }

      // Assess: the window is maxInFlight x 10 x 4 = 80 events past the last consumed one.
      expect(produced - consumed).toBeLessThanOrEqual(81);
      expect(stream.counts.published).toBe(500);
    });

    it("refuses to be iterated twice, since that would publish twice", async () => {
      // Prepare
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());
      const stream = publisher().publishStream(orderPlacedRequests(1));
      for await (const _outcome of stream) {
        // Consume once.
      }

      // Act
      const again = () => stream[Symbol.asyncIterator]();

      // Assess
      expect(again).toThrow(PublishStreamConsumedError);
      expect(sentCalls()).toHaveLength(1);
    });

    it("sends a partly filled batch when an async source pauses", async () => {
      // Prepare: the source yields 3 events, then waits until the first call has been made.
      let firstCallMade: () => void = () => {};
      const called = new Promise<void>((resolve) => {
        firstCallMade = resolve;
      });
      eventBridge.on(PutEventsCommand).callsFake(async (input) => {
        firstCallMade();
        return putEventsAnswering()(input);
      });
      async function* pausing() {
        yield* orderPlacedRequests(3);
        await called;
        yield orderPlaced(3);
      }

      // Act
      const result = await publisher({ lingerMs: 1 }).publishAll(pausing());

      // Assess
      expect(sentCalls().map((entries) => entries.length)).toEqual([3, 1]);
      expect(result.published).toBe(4);
    });
  });

  describe("strict mode", () => {
    it("publishAll throws a PublishError listing every unpublished event, with the result", async () => {
      // Prepare
      eventBridge
        .on(PutEventsCommand)
        .callsFake(
          putEventsAnswering((entry) =>
            orderIdOf(entry) === "ORD-1"
              ? { ErrorCode: "AccessDeniedException", ErrorMessage: "denied" }
              : { EventId: "id" },
          ),
        );
      const inputs = [...orderPlacedRequests(3), { detailType: "Nope", data: {} } as unknown as PublishInput];

      // Act
      const error = await publisher({ strict: true })
        .publishAll(inputs)
        .catch((e: unknown) => e);

      // Assess
      expect(error).toBeInstanceOf(PublishError);
      const publishError = error as PublishError;
      expect(publishError.failures.map((f) => [f.index, f.status, f.errorCode])).toEqual([
        [1, "failed", "AccessDeniedException"],
        [3, "invalid", "EventValidationError"],
      ]);
      expect(publishError.result?.published).toBe(2);
      expect(publishError.message).toMatch(/^2 of 4 event\(s\) were not published: #1 OrderPlaced failed/);
    });

    it("publish throws the validation error itself for invalid data", async () => {
      // Prepare
      const bad = { detailType: "OrderPlaced", data: { orderId: "x" } } as unknown as Parameters<
        EventBridgePublisher["publish"]
      >[0];

      // Act
      const act = publisher({ strict: true }).publish(bad);

      // Assess
      await expect(act).rejects.toBeInstanceOf(EventValidationError);
      expect(sentCalls()).toHaveLength(0);
    });

    it("publishStream throws after yielding every outcome", async () => {
      // Prepare
      eventBridge
        .on(PutEventsCommand)
        .callsFake(putEventsAnswering(() => ({ ErrorCode: "MalformedDetail", ErrorMessage: "bad" })));
      const seen: number[] = [];

      // Act
      const act = async () => {
        for await (const outcome of publisher({ strict: true }).publishStream(orderPlacedRequests(2))) {
          seen.push(outcome.index);
        }
      };

      // Assess
      await expect(act()).rejects.toBeInstanceOf(PublishError);
      expect(seen).toEqual([0, 1]);
    });
  });

  describe("publish (one event)", () => {
    it("resolves with the published outcome and the EventBridge id", async () => {
      // Prepare
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());

      // Act
      const outcome = await publisher().publish(orderPlaced(9));

      // Assess
      expect(outcome).toMatchObject({ status: "published", index: 0, eventBridgeId: "eb-ORD-9" });
    });

    it("resolves with an invalid outcome outside strict mode", async () => {
      // Prepare
      const tooBig = { ...orderPlaced(0), resources: ["r".repeat(2_000)] };

      // Act
      const outcome = await publisher({ maxEntryBytes: 1_000 }).publish(tooBig);

      // Assess
      expect(outcome).toMatchObject({ status: "invalid", errorCode: new EventTooLargeError("x", 2, 1).name });
      expect(sentCalls()).toHaveLength(0);
    });
  });

  describe("X-Ray", () => {
    afterEach(() => {
      vi.unstubAllEnvs();
    });

    it("passes _X_AMZN_TRACE_ID through as the entries' TraceHeader", async () => {
      // Prepare
      const trace = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
      vi.stubEnv("_X_AMZN_TRACE_ID", trace);
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());

      // Act
      await publisher().publish(orderPlaced(0));

      // Assess
      expect(sentCalls()[0]?.[0]?.TraceHeader).toBe(trace);
    });

    it("sets no TraceHeader outside a trace", async () => {
      // Prepare
      vi.stubEnv("_X_AMZN_TRACE_ID", undefined);
      eventBridge.on(PutEventsCommand).callsFake(putEventsAnswering());

      // Act
      await publisher().publish(orderPlaced(0));

      // Assess
      expect(sentCalls()[0]?.[0]).not.toHaveProperty("TraceHeader");
    });
  });

  describe("configuration", () => {
    it.each([
      ["an empty bus name", { eventBusName: "" }, /eventBusName must be a non-empty string; received ""/],
      ["an empty producer", { producer: " " }, /producer must be a non-empty string/],
      ["no call in flight", { maxInFlight: 0 }, /maxInFlight must be an integer of at least 1; received 0/],
      ["a fractional size limit", { maxEntryBytes: 1.5 }, /maxEntryBytes must be an integer.*received 1.5/],
      ["zero attempts", { maxAttempts: 0 }, /maxAttempts must be an integer of at least 1; received 0/],
      [
        "an audit record limit of 0",
        { maxAuditRecordBytes: 0 },
        /maxAuditRecordBytes must be an integer of at least 1; received 0. Pass e.g. 1024000 .* or false/,
      ],
    ])("refuses %s, naming the setting and the value", (_case, options, message) => {
      expect(() => publisher(options)).toThrow(PublisherConfigurationError);
      expect(() => publisher(options)).toThrow(message);
    });
  });
});
