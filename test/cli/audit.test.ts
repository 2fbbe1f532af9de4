import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { dataOutputPrefix, deliveredObjectKey, encodeDeliveredObject } from "../../lib/audit/firehose-layout";
import { savedQueries } from "../../lib/audit/saved-queries";
import { catalog, type EventTypeName } from "../../lib/catalog";
import { exampleEvent } from "../../lib/catalog/json-schema";
import { ExitCode, runCli } from "../../lib/cli";
import type { AuditQueryOutput, SavedQueryEntry } from "../../lib/cli/commands/audit";
import { writeRuntimeInfo } from "../../lib/local/runtime-info";
import { stackOutputs } from "../../lib/stack-outputs";
import { fakeIo } from "./fake-io";

const cloudFormation = mockClient(CloudFormationClient);
const athena = mockClient(AthenaClient);
const WORKGROUP = "Eventrail-Audit-Query";
const DATABASE = "eventrail_audit";

/** The pipeline stack's outputs, as DescribeStacks answers them. */
function describeStacksAnswer() {
  const outputs: Record<string, string> = {
    [stackOutputs.eventBusName]: "eventrail",
    [stackOutputs.eventBusArn]: "arn:aws:events:eu-west-1:123456789012:event-bus/eventrail",
    [stackOutputs.archiveName]: "eventrail-all",
    [stackOutputs.archiveArn]: "arn:aws:events:eu-west-1:123456789012:archive/eventrail-all",
    [stackOutputs.auditBucketName]: "eventrail-audit",
    [stackOutputs.auditEventsPrefix]: "events/",
    [stackOutputs.auditDeadLetterQueueUrl]: "https://sqs.eu-west-1.amazonaws.com/123456789012/audit-dlq",
    [stackOutputs.athenaWorkGroup]: WORKGROUP,
    [stackOutputs.athenaDatabase]: DATABASE,
    [stackOutputs.subscriptions]: "[]",
  };
  return {
    Stacks: [
      {
        StackName: "Eventrail",
        StackStatus: "CREATE_COMPLETE" as const,
        CreationTime: new Date("2026-03-01T00:00:00Z"),
        Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })),
      },
    ],
  };
}

const columns = [
  { Name: "dt", Label: "dt", Type: "varchar" },
  { Name: "detail_type", Label: "detail_type", Type: "varchar" },
  { Name: "events", Label: "events", Type: "bigint" },
];
const row = (...values: (string | undefined)[]) => ({
  Data: values.map((v) => (v === undefined ? {} : { VarCharValue: v })),
});

const eventsPerDay = [
  "audit",
  "query",
  "events-per-type-per-day",
  "--param",
  "fromDate=2026-03-01",
  "--param",
  "toDate=2026-03-02",
];

let stateDir: string;
/** Local options that find the bucket folder without an assembly. */
const local = () => ["--local", "--state-dir", stateDir, "--cdk-out", path.join(stateDir, "no-cdk-out")];

/** Two orders' events, written as the local pipeline's Firehose writes them, arriving at `arrival`. */
async function writeLocalAuditFiles(arrival = new Date("2026-03-01T10:00:05Z")): Promise<void> {
  const event = (type: EventTypeName, orderId: string, eventId: string, time: string) => {
    const base = exampleEvent(catalog[type]) as { detail: { metadata: object; data: object } };
    return {
      ...base,
      id: `eb-${eventId}`,
      time,
      detail: {
        metadata: { ...base.detail.metadata, eventId, correlationId: orderId, occurredAt: time },
        data: { ...base.detail.data, orderId },
      },
    };
  };
  const key = deliveredObjectKey({
    prefix: dataOutputPrefix(),
    deliveryStreamName: "Eventrail-AuditDeliveryStream",
    arrival,
    uniqueSuffix: "u1",
  });
  const file = path.join(stateDir, "s3", "eventrail-auditbucket", key);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(
    file,
    encodeDeliveredObject([
      event("PaymentProcessed", "ORD-A", "A3", "2026-03-01T10:00:02Z"),
      event("OrderPlaced", "ORD-B", "B1", "2026-03-01T10:00:00Z"),
      event("OrderPlaced", "ORD-A", "A1", "2026-03-01T10:00:00Z"),
      event("InventoryReserved", "ORD-A", "A2", "2026-03-01T10:00:01Z"),
    ]),
  );
}

const orderStory = [
  "audit",
  "query",
  "order-story",
  "--param",
  "orderId=ORD-A",
  "--param",
  "fromDate=2026-03-01",
];

beforeEach(async () => {
  cloudFormation.reset();
  athena.reset();
  cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer());
  athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-42" });
  stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-audit-cli-"));
});

afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe("eventrail audit list", () => {
  it("names every saved query with its parameters and a command line that runs it", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["audit", "list"], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    for (const query of savedQueries) {
      expect(io.out()).toMatch(new RegExp(`^${query.name}$`, "m"));
      for (const parameter of query.parameters)
        expect(io.out()).toContain(`${parameter.name} (${parameter.type})`);
      expect(io.out()).toContain(`eventrail audit query ${query.name} --param`);
    }
  });

  it("prints the saved queries as JSON for scripts", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    await runCli(["audit", "list", "--json"], io);

    // Assess
    const entries = (JSON.parse(io.out()) as { savedQueries: SavedQueryEntry[] }).savedQueries;
    expect(entries.map((e) => [e.name, e.parameters.map((p) => p.name)])).toEqual(
      savedQueries.map((q) => [q.name, q.parameters.map((p) => p.name)]),
    );
  });
});

describe("eventrail audit query --local", () => {
  beforeEach(() => writeLocalAuditFiles());

  it("prints one order's story as a table, in time order", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli([...orderStory, "--param", "toDate=2026-03-01", ...local()], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    const lines = io.out().trimEnd().split("\n");
    expect(lines[0]).toMatch(/^dt {2,}event_time {2,}detail_type {2,}source {2,}event_id /);
    expect(lines.slice(1).map((line) => line.split(/ {2,}/)[4])).toEqual(["A1", "A2", "A3"]);
    expect(io.err()).toMatch(
      /^3 row\(s\) from the local audit files under .*eventrail-auditbucket\/events\/ \(DuckDB\)\.$/m,
    );
  });

  it("prints CSV with a header row", async () => {
    // Prepare
    const io = fakeIo();
    const sql = "SELECT id, detail_type FROM audit_events WHERE dt = '2026-03-01' ORDER BY id";

    // Act
    const code = await runCli(["audit", "query", sql, "--format", "csv", ...local()], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toBe(
      "id,detail_type\neb-A1,OrderPlaced\neb-A2,InventoryReserved\neb-A3,PaymentProcessed\neb-B1,OrderPlaced\n",
    );
  });

  it("quotes CSV fields that hold commas or quotes", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    await runCli(
      ["audit", "query", `SELECT 'a,b' AS x, 'say "hi"' AS y, NULL AS z`, "--format", "csv", ...local()],
      io,
    );

    // Assess
    expect(io.out()).toBe('x,y,z\n"a,b","say ""hi""",\n');
  });

  it("prints JSON with the SQL run and each row as an object", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli([...orderStory, "--param", "toDate=2026-03-01", "--json", ...local()], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    const output = JSON.parse(io.out()) as AuditQueryOutput;
    expect(output).toMatchObject({
      engine: "duckdb",
      savedQuery: "order-story",
      rowCount: 3,
      truncated: false,
    });
    expect(output.sql).toContain("'ORD-A'");
    expect(output.rows.map((r) => [r.event_id, r.detail_type])).toEqual([
      ["A1", "OrderPlaced"],
      ["A2", "InventoryReserved"],
      ["A3", "PaymentProcessed"],
    ]);
  });

  it("says when more rows exist than --max-rows", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(
      ["audit", "query", "SELECT id FROM audit_events ORDER BY id", "--max-rows", "2", ...local()],
      io,
    );

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out().trimEnd().split("\n")).toEqual(["id", "eb-A1", "eb-A2"]);
    expect(io.err()).toContain("More rows exist: only the first 2 were read; pass --max-rows N.");
  });

  it("refuses --endpoint with --local, which reads files", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli([...eventsPerDay, ...local(), "--endpoint", "http://127.0.0.1:4010"], io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(io.err()).toBe(
      'eventrail audit: error: --endpoint "http://127.0.0.1:4010" does not apply to --local: the local audit files are read directly; drop --endpoint.\n',
    );
  });
});

describe("eventrail audit query without fromDate and toDate", () => {
  const day = (offsetDays: number) =>
    new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

  it("searches the last 7 days, today included, and says so", async () => {
    // Prepare
    await writeLocalAuditFiles(new Date());
    const io = fakeIo();

    // Act
    const code = await runCli(["audit", "query", "events-per-type-per-day", ...local()], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toMatch(new RegExp(`^${day(0)} +OrderPlaced +2$`, "m"));
    expect(io.err()).toContain(
      `No --param fromDate or --param toDate given: searching the last 7 days, ${day(-6)} to ${day(0)} (UTC); pass --param fromDate=yyyy-MM-dd --param toDate=yyyy-MM-dd for another window.`,
    );
  });

  it("names the defaulted parameters in JSON", async () => {
    // Prepare
    await writeLocalAuditFiles(new Date());
    const io = fakeIo();

    // Act
    const code = await runCli(["audit", "query", "events-per-type-per-day", "--json", ...local()], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    const output = JSON.parse(io.out()) as AuditQueryOutput;
    expect(output.defaultedParameters).toEqual({ fromDate: day(-6), toDate: day(0) });
    expect(output.sql).toContain(`dt BETWEEN '${day(-6)}' AND '${day(0)}'`);
  });

  it("runs in Athena with the same window", async () => {
    // Prepare
    const io = fakeIo();
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [] } });

    // Act
    const code = await runCli(["audit", "query", "events-per-type-per-day", "--region", "eu-west-1"], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.QueryString).toContain(
      `dt BETWEEN '${day(-6)}' AND '${day(0)}'`,
    );
    expect(io.err()).toContain(`searching the last 7 days, ${day(-6)} to ${day(0)} (UTC)`);
  });
});

describe("eventrail audit query --local without --state-dir", () => {
  let runtimeDir: string;

  beforeEach(async () => {
    await writeLocalAuditFiles();
    runtimeDir = await mkdtemp(path.join(tmpdir(), "eventrail-audit-runtime-"));
  });

  afterEach(async () => {
    await rm(runtimeDir, { recursive: true, force: true });
  });

  const noStateDir = () => ["--local", "--cdk-out", path.join(stateDir, "no-cdk-out")];

  it("reads the state folder of the pipeline running on AWS_ENDPOINT_URL's port", async () => {
    // Prepare
    const env = { EVENTRAIL_RUNTIME_DIR: runtimeDir, AWS_ENDPOINT_URL: "http://127.0.0.1:4566" };
    await writeRuntimeInfo({ endpoint: "http://127.0.0.1:4566", stateDir }, env);
    const io = fakeIo({ env });

    // Act
    const code = await runCli([...orderStory, "--param", "toDate=2026-03-01", ...noStateDir()], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.err()).toMatch(
      /^3 row\(s\) from the local audit files under .*eventrail-auditbucket\/events\/ \(DuckDB\)\.\n$/,
    );
  });

  it("says that no pipeline runs, and which folder it reads instead", async () => {
    // Prepare
    const io = fakeIo({ env: { EVENTRAIL_RUNTIME_DIR: runtimeDir } });

    // Act
    await runCli([...orderStory, "--param", "toDate=2026-03-01", ...noStateDir()], io);

    // Assess
    expect(io.err()).toContain(
      `No running local pipeline found for http://127.0.0.1:4010 (no runtime file in ${runtimeDir}): reading ./.eventrail (${path.join(process.cwd(), ".eventrail")}); pass --state-dir DIR for another.`,
    );
  });
});

describe("eventrail audit query, command-line mistakes", () => {
  it.each([
    [
      "missing parameters",
      ["audit", "query", "order-story"],
      'Saved query "order-story" needs --param orderId=ORD-1234 (missing: orderId); "eventrail audit list" describes each.',
    ],
    [
      "an unknown parameter",
      [...eventsPerDay, "--param", "day=2026-03-01"],
      'Saved query "events-per-type-per-day" has no parameter day; its parameters are fromDate, toDate.',
    ],
    [
      "an unknown saved query",
      ["audit", "query", "orders"],
      `Saved query "orders" does not exist; expected one of: ${savedQueries.map((q) => q.name).join(", ")}`,
    ],
    [
      "a --param that is not NAME=VALUE",
      ["audit", "query", "order-story", "--param", "ORD-1"],
      '--param "ORD-1" is not NAME=VALUE; e.g. --param orderId=ORD-1234.',
    ],
    [
      "an unknown format",
      [...eventsPerDay, "--format", "xml"],
      '--format "xml" is not a format; expected one of: table, csv, json.',
    ],
    [
      "a --max-rows of 0",
      [...eventsPerDay, "--max-rows", "0"],
      '--max-rows "0" is not a whole number of at least 1; e.g. --max-rows 100.',
    ],
  ])("names %s on one line and exits 2 before any call", async (_case, argv, message) => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(argv, io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(io.err()).toBe(`eventrail audit: error: ${message}\n`);
    expect(athena.calls()).toHaveLength(0);
  });

  it("keeps commas inside a --param value", async () => {
    // Prepare
    const io = fakeIo();
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena
      .on(GetQueryResultsCommand)
      .resolves({ ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] } });

    // Act
    const code = await runCli(
      [
        "audit",
        "query",
        "SELECT * FROM audit_events WHERE source = :source AND dt = :day",
        "--param",
        "source=a,b",
        "--param",
        "day=2026-03-01",
        "--region",
        "eu-west-1",
      ],
      io,
    );

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.QueryString).toBe(
      "SELECT * FROM audit_events WHERE source = 'a,b' AND dt = '2026-03-01'",
    );
  });
});

describe("eventrail audit query in Athena", () => {
  it("runs in the stack's workgroup and database and prints the rows as a table", async () => {
    // Prepare
    const io = fakeIo();
    athena
      .on(GetQueryExecutionCommand)
      .resolvesOnce({
        QueryExecution: { Status: { State: "RUNNING" }, Statistics: { DataScannedInBytes: 0 } },
      })
      .resolves({
        QueryExecution: { Status: { State: "SUCCEEDED" }, Statistics: { DataScannedInBytes: 2_230_000 } },
      });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: {
        ResultSetMetadata: { ColumnInfo: columns },
        Rows: [
          row("dt", "detail_type", "events"),
          row("2026-03-01", "OrderPlaced", "12"),
          row("2026-03-01", undefined, "3"),
        ],
      },
    });

    // Act
    const code = await runCli([...eventsPerDay, "--region", "eu-west-1"], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    const input = athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ WorkGroup: WORKGROUP, QueryExecutionContext: { Database: DATABASE } });
    expect(input?.QueryString).toContain("dt BETWEEN '2026-03-01' AND '2026-03-02'");
    expect(io.out()).toBe(
      [
        "dt          detail_type  events",
        "2026-03-01  OrderPlaced  12",
        "2026-03-01  NULL         3",
        "",
      ].join("\n"),
    );
    expect(io.err()).toBe(`2 row(s) from Athena query q-42 (workgroup ${WORKGROUP}, 2.23 MB scanned).\n`);
  });

  it("prints the query id and data scanned in JSON", async () => {
    // Prepare
    const io = fakeIo();
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: { Status: { State: "SUCCEEDED" }, Statistics: { DataScannedInBytes: 512 } },
    });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: { ResultSetMetadata: { ColumnInfo: columns }, Rows: [row("dt", "detail_type", "events")] },
    });

    // Act
    await runCli([...eventsPerDay, "--region", "eu-west-1", "--json"], io);

    // Assess
    expect(JSON.parse(io.out())).toMatchObject({
      engine: "athena",
      queryExecutionId: "q-42",
      dataScannedInBytes: 512,
      rows: [],
      rowCount: 0,
    });
  });

  it("exits 1 with Athena's reason on one line when the query fails", async () => {
    // Prepare
    const io = fakeIo();
    athena.on(GetQueryExecutionCommand).resolves({
      QueryExecution: {
        Status: {
          State: "FAILED",
          AthenaError: { ErrorMessage: "TABLE_NOT_FOUND: Table 'audit_events' does not exist" },
        },
      },
    });

    // Act
    const code = await runCli([...eventsPerDay, "--region", "eu-west-1"], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    expect(io.out()).toBe("");
    expect(io.err()).toBe(
      "eventrail audit: error: Athena query q-42 FAILED: TABLE_NOT_FOUND: Table 'audit_events' does not exist.\n",
    );
  });

  it("adds the stack trace with --debug", async () => {
    // Prepare
    const io = fakeIo();
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "CANCELLED" } } });

    // Act
    const code = await runCli([...eventsPerDay, "--region", "eu-west-1", "--debug"], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    expect(io.err()).toMatch(
      /^eventrail audit: error: Athena query q-42 CANCELLED: no reason given\.\nAuditQueryError: .*\n\s+at /,
    );
  });
});
