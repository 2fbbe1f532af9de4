import {
  AthenaClient,
  GetQueryExecutionCommand,
  type GetQueryExecutionCommandOutput,
  GetQueryResultsCommand,
  type QueryExecutionState,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import { bindSavedQuery, findSavedQuery, SavedQueryError } from "../../lib/audit/saved-queries";
import {
  type AthenaQueryProgress,
  AuditQueryError,
  describeDefaultedParameters,
  prepareAuditQuery,
  runAthenaQuery,
} from "../../lib/ops/audit-query";

const athena = mockClient(AthenaClient);
const client = () => new AthenaClient({ region: "eu-west-1" });
const request = { sql: "SELECT 1", workGroup: "audit-wg", database: "audit_db" } as const;

/** A GetQueryExecution answer in `state`, having scanned `bytes`. */
function execution(
  state: QueryExecutionState,
  bytes = 0,
  status: Record<string, unknown> = {},
): Partial<GetQueryExecutionCommandOutput> {
  return {
    QueryExecution: {
      QueryExecutionId: "q-1",
      Status: { State: state, ...status },
      Statistics: { DataScannedInBytes: bytes, EngineExecutionTimeInMillis: 1200 },
    },
  };
}

const columns = [
  { Name: "detail_type", Label: "detail_type", Type: "varchar" },
  { Name: "events", Label: "events", Type: "bigint" },
];
const row = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

beforeEach(() => {
  athena.reset();
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
});

describe("prepareAuditQuery", () => {
  it("binds a saved query's parameters, each checked against its type", () => {
    // Prepare
    const values = { orderId: "ORD-1", fromDate: "2026-03-01", toDate: "2026-03-02" };

    // Act
    const prepared = prepareAuditQuery("order-story", values);

    // Assess
    expect(prepared).toEqual({
      savedQuery: "order-story",
      sql: bindSavedQuery(findSavedQuery("order-story"), values),
    });
    expect(prepared.sql).toContain("= 'ORD-1'");
  });

  it("names every missing parameter at once, with example values", () => {
    expect(() => prepareAuditQuery("producer-window", {})).toThrow(
      new SavedQueryError(
        'Saved query "producer-window" needs --param producer=checkout --param fromTime=2026-03-01T08:00:00Z --param toTime=2026-03-01T09:00:00Z (missing: producer, fromTime, toTime); "eventrail audit list" describes each.',
      ),
    );
  });

  it("refuses a missing parameter that has no default, after defaulting the days", () => {
    expect(() => prepareAuditQuery("order-story", {})).toThrow(
      'Saved query "order-story" needs --param orderId=ORD-1234 (missing: orderId);',
    );
  });

  describe("the default window of fromDate and toDate", () => {
    const now = new Date("2026-03-10T23:30:00Z");

    it("is the last 7 days, today (UTC) included, when neither is given", () => {
      // Act
      const prepared = prepareAuditQuery("events-per-type-per-day", {}, now);

      // Assess
      expect(prepared.defaultedParameters).toEqual({ fromDate: "2026-03-04", toDate: "2026-03-10" });
      expect(prepared.sql).toContain("dt BETWEEN '2026-03-04' AND '2026-03-10'");
      expect(describeDefaultedParameters(prepared)).toBe(
        "No --param fromDate or --param toDate given: searching the last 7 days, 2026-03-04 to 2026-03-10 (UTC); pass --param fromDate=yyyy-MM-dd --param toDate=yyyy-MM-dd for another window.",
      );
    });

    it("ends at a given toDate when only fromDate is missing", () => {
      const prepared = prepareAuditQuery("order-story", { orderId: "ORD-1", toDate: "2026-03-02" }, now);

      expect(prepared.defaultedParameters).toEqual({ fromDate: "2026-02-24" });
      expect(prepared.sql).toContain("dt BETWEEN '2026-02-24' AND '2026-03-02'");
      expect(describeDefaultedParameters(prepared)).toMatch(
        /^No --param fromDate given: searching the 7 days up to toDate, from 2026-02-24;/,
      );
    });

    it("ends today when only toDate is missing", () => {
      const prepared = prepareAuditQuery("events-per-type-per-day", { fromDate: "2026-03-09" }, now);

      expect(prepared.defaultedParameters).toEqual({ toDate: "2026-03-10" });
      expect(prepared.sql).toContain("dt BETWEEN '2026-03-09' AND '2026-03-10'");
    });

    it("leaves a malformed toDate to be refused by its type", () => {
      expect(() => prepareAuditQuery("events-per-type-per-day", { toDate: "2026-13-01" }, now)).toThrow(
        'parameter toDate is "2026-13-01"; expected a date yyyy-MM-dd',
      );
    });

    it("is not given to raw SQL, whose placeholders are its own", () => {
      expect(() =>
        prepareAuditQuery("SELECT * FROM audit_events WHERE dt BETWEEN :fromDate AND :toDate", {}, now),
      ).toThrow("The SQL needs --param fromDate=VALUE --param toDate=VALUE (missing: fromDate, toDate)");
    });

    it("says nothing when both are given", () => {
      const prepared = prepareAuditQuery(
        "events-per-type-per-day",
        { fromDate: "2026-03-01", toDate: "2026-03-02" },
        now,
      );

      expect(prepared.defaultedParameters).toBeUndefined();
      expect(describeDefaultedParameters(prepared)).toBeUndefined();
    });
  });

  it("names an unknown parameter and suggests the one meant", () => {
    expect(() =>
      prepareAuditQuery("order-story", { orderID: "ORD-1", fromDate: "2026-03-01", toDate: "2026-03-02" }),
    ).toThrow(
      'Saved query "order-story" has no parameter orderID (did you mean orderId?); its parameters are orderId, fromDate, toDate.',
    );
  });

  it("refuses an unknown saved query, naming the known ones", () => {
    expect(() => prepareAuditQuery("order-stories", {})).toThrow(
      /^Saved query "order-stories" does not exist; expected one of: events-per-type-per-day, order-story/,
    );
  });

  it("refuses a malformed date through the saved query's types", () => {
    expect(() =>
      prepareAuditQuery("events-per-type-per-day", { fromDate: "2026-02-30", toDate: "2026-03-01" }),
    ).toThrow(SavedQueryError);
  });

  it("runs raw SQL as given when it has no placeholder", () => {
    const sql = "SELECT count(*) FROM audit_events WHERE dt = '2026-03-01'";

    expect(prepareAuditQuery(` ${sql} `, {})).toEqual({ sql });
  });

  it("binds raw SQL's placeholders as quoted text", () => {
    const prepared = prepareAuditQuery("SELECT * FROM audit_events WHERE source = :source", {
      source: "it's.orders",
    });

    expect(prepared.sql).toBe("SELECT * FROM audit_events WHERE source = 'it''s.orders'");
  });

  it("names the raw SQL's placeholders that have no value", () => {
    expect(() =>
      prepareAuditQuery("SELECT * FROM audit_events WHERE dt = :day AND source = :source", {}),
    ).toThrow(
      "The SQL needs --param day=VALUE --param source=VALUE (missing: day, source); give each :placeholder a value.",
    );
  });

  it("refuses a parameter for raw SQL without placeholders", () => {
    expect(() => prepareAuditQuery("SELECT 1", { day: "x" })).toThrow(
      "The SQL has no parameter day; it takes none, drop --param.",
    );
  });
});

describe("runAthenaQuery", () => {
  it("starts the query in the workgroup with the database as context", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves(execution("SUCCEEDED"));
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });

    // Act
    await runAthenaQuery(client(), request);

    // Assess
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryString: "SELECT 1",
      WorkGroup: "audit-wg",
      QueryExecutionContext: { Database: "audit_db" },
    });
  });

  it("polls with a growing back-off, reporting state and data scanned", async () => {
    // Prepare
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce(execution("QUEUED"))
      .resolvesOnce(execution("RUNNING", 1_000))
      .resolvesOnce(execution("RUNNING", 5_000))
      .resolvesOnce(execution("RUNNING", 9_000))
      .resolves(execution("SUCCEEDED", 10_000));
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });
    const waits: number[] = [];
    const progress: AthenaQueryProgress[] = [];

    // Act
    const result = await runAthenaQuery(client(), {
      ...request,
      polling: { initialDelayMs: 100, factor: 2, maxDelayMs: 500 },
      sleep: async (ms) => {
        waits.push(ms);
      },
      onProgress: (p) => progress.push(p),
    });

    // Assess
    expect(waits).toEqual([100, 200, 400, 500]);
    expect(progress.map((p) => [p.state, p.dataScannedInBytes])).toEqual([
      ["QUEUED", 0],
      ["RUNNING", 1_000],
      ["RUNNING", 5_000],
      ["RUNNING", 9_000],
      ["SUCCEEDED", 10_000],
    ]);
    expect(result).toMatchObject({
      queryExecutionId: "q-1",
      dataScannedInBytes: 10_000,
      engineExecutionTimeInMillis: 1200,
    });
  });

  it("reads every page, leaves out the header row and keeps NULL as null", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves(execution("SUCCEEDED"));
    athena
      .on(GetQueryResultsCommand, { NextToken: undefined })
      .resolves({
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: columns },
          Rows: [row("detail_type", "events"), row("OrderPlaced", "2"), row(undefined, "1")],
        },
        NextToken: "page-2",
      })
      .on(GetQueryResultsCommand, { NextToken: "page-2" })
      .resolves({
        ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row("PaymentFailed", "3")] },
      });

    // Act
    const result = await runAthenaQuery(client(), request);

    // Assess
    expect(result.columns).toEqual([
      { name: "detail_type", type: "varchar" },
      { name: "events", type: "bigint" },
    ]);
    expect(result.rows).toEqual([
      ["OrderPlaced", "2"],
      [null, "1"],
      ["PaymentFailed", "3"],
    ]);
    expect(result.truncated).toBe(false);
    expect(athena.commandCalls(GetQueryResultsCommand).map((c) => c.args[0].input)).toEqual([
      { QueryExecutionId: "q-1", NextToken: undefined, MaxResults: 1000 },
      { QueryExecutionId: "q-1", NextToken: "page-2", MaxResults: 1000 },
    ]);
  });

  it("stops paging at maxRows and says the result was cut", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves(execution("SUCCEEDED"));
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: columns },
        Rows: [row("detail_type", "events"), row("A", "1"), row("B", "2")],
      },
      NextToken: "more",
    });

    // Act
    const result = await runAthenaQuery(client(), { ...request, maxRows: 2 });

    // Assess
    expect(result.rows).toEqual([
      ["A", "1"],
      ["B", "2"],
    ]);
    expect(result.truncated).toBe(true);
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(1);
  });

  it("fails with Athena's reason when the query fails, and reads no result", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves(
      execution("FAILED", 0, {
        StateChangeReason: "line 1:8: Column 'nope' cannot be resolved",
        AthenaError: {
          ErrorCategory: 2,
          ErrorMessage: "COLUMN_NOT_FOUND: line 1:8: Column 'nope'\ncannot be resolved",
        },
      }),
    );

    // Act
    const running = runAthenaQuery(client(), request);

    // Assess
    await expect(running).rejects.toThrow(
      new AuditQueryError(
        "Athena query q-1 FAILED: COLUMN_NOT_FOUND: line 1:8: Column 'nope' cannot be resolved.",
      ),
    );
    expect(athena.commandCalls(GetQueryResultsCommand)).toHaveLength(0);
  });

  it("says a cancelled query was cancelled, and whether running it again may help", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves(
      execution("CANCELLED", 0, {
        StateChangeReason: "Query exhausted resources at this scale factor",
        AthenaError: { Retryable: true },
      }),
    );

    // Act
    const running = runAthenaQuery(client(), request);

    // Assess
    await expect(running).rejects.toThrow(
      "Athena query q-1 CANCELLED: Query exhausted resources at this scale factor; Athena says running it again may succeed.",
    );
  });

  it("stops the query in Athena when aborted while waiting", async () => {
    // Prepare
    athena.on(GetQueryExecutionCommand).resolves(execution("RUNNING", 2_000));
    athena.on(StopQueryExecutionCommand).resolves({});
    const stop = new AbortController();

    // Act
    const running = runAthenaQuery(client(), {
      ...request,
      signal: stop.signal,
      sleep: async () => stop.abort(),
    });

    // Assess
    await expect(running).rejects.toThrow(AuditQueryError);
    await expect(running).rejects.toThrow("Athena query q-1 was stopped at your request");
    expect(athena.commandCalls(StopQueryExecutionCommand)[0]?.args[0].input).toEqual({
      QueryExecutionId: "q-1",
    });
  });
});
