import { mkdir, readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import dynalite from "dynalite";
import { type AwsJsonService, AwsServiceError } from "../aws-error";
import { type Clock, systemClock } from "../clock";
import type { LocalTableDefinition } from "../model";
import { ChangeLog } from "./change-log";
import { DynaliteClient } from "./dynalite-client";
import { createDynamoDbService } from "./dynamodb-service";
import { LocalDynamoDbStateError, LocalDynamoDbTableError } from "./errors";
import { KeySchemas } from "./key-schemas";
import { acquireStateLock } from "./state-lock";
import { createDynamoDbStreamsService } from "./streams-service";
import { TableLocks } from "./table-locks";
import { TableStreams, WriteRecorder } from "./table-streams";
import { sweepExpiredItems, TimeToLiveSettings } from "./time-to-live";
import { type DynamoDbCall, isJsonObject } from "./wire";

/** Options of {@link startLocalDynamoDb}. */
export interface LocalDynamoDbOptions {
  /**
   * The local pipeline's state folder: tables are kept in `<stateDir>/dynamodb/tables` (LevelDB)
   * and TTL settings in `<stateDir>/dynamodb/time-to-live.json`, so both survive a restart.
   * @default - in memory, lost on close
   */
  readonly stateDir?: string;
  /** The template's tables: created (PAY_PER_REQUEST) unless the state folder has them already. */
  readonly tables: readonly LocalTableDefinition[];
  /**
   * Receives a line per TTL sweep that deleted items, per failed sweep, and per transaction that
   * could not be undone.
   * @default - lines are dropped
   */
  readonly log?: (line: string) => void;
  /**
   * How often expired items are deleted, in milliseconds; 0 never does (call
   * {@link LocalDynamoDb.sweepExpiredItems} instead).
   * @default 10_000
   */
  readonly timeToLiveSweepIntervalMs?: number;
  /** The clock time to live's expiry is compared with. @default systemClock */
  readonly clock?: Clock;
  /**
   * Repair the tables' LevelDB before opening when it holds data but does not open cleanly (its
   * `CURRENT` file or manifest missing or damaged), instead of refusing to start: LevelDB's own
   * repair rebuilds the manifest from the data files, and a line on `log` says which tables and how
   * many items came back.
   * @default false
   */
  readonly repair?: boolean;
  /** The region stream records name. @default "us-east-1" */
  readonly region?: string;
}

/** A running local DynamoDB. */
export interface LocalDynamoDb {
  /** The DynamoDB JSON 1.0 service, to mount on the edge under `DynamoDB_20120810`. */
  readonly service: AwsJsonService;
  /** DynamoDB Streams (JSON 1.0), to mount on the edge under `DynamoDBStreams_20120810`. */
  readonly streamsService: AwsJsonService;
  /** The streams of the tables that declare one, for in-process readers (the local Pipes). */
  readonly streams: TableStreams;
  /** The port dynalite listens on (127.0.0.1); it does not emulate what {@link service} adds. */
  readonly port: number;
  /** Deletes the expired items of every table with TTL enabled now; resolves with how many. */
  sweepExpiredItems(): Promise<number>;
  /** Stops sweeping, closes dynalite and, with a state folder, flushes the tables to disk. */
  close(): Promise<void>;
}

const DEFAULT_SWEEP_INTERVAL_MS = 10_000;
/** With `createTableMs: 0` a table is ACTIVE on dynalite's next tick; this bounds the wait generously. */
const ACTIVE_POLL_ATTEMPTS = 200;
const ACTIVE_POLL_INTERVAL_MS = 5;

/**
 * Starts DynamoDB for the local pipeline: dynalite (a DynamoDB implementation on LevelDB) on
 * 127.0.0.1 with a free port, the template's tables created, and the service the edge mounts,
 * which forwards every operation to dynalite and emulates what it lacks (transactions, TTL,
 * `ReturnValuesOnConditionCheckFailure`; see {@link createDynamoDbService}).
 *
 * A template table that declares a TTL attribute gets TTL enabled on it at each start, as a
 * deployment would; other TTL settings are kept as UpdateTimeToLive left them.
 *
 * @throws LocalDynamoDbStateError when the state folder cannot be used, or another local DynamoDB
 * (in this process or another) uses it.
 * @throws LocalDynamoDbTableError when a template table cannot be created, or the state folder
 * holds it with another key.
 */
export async function startLocalDynamoDb(options: LocalDynamoDbOptions): Promise<LocalDynamoDb> {
  const folder = options.stateDir === undefined ? undefined : path.join(options.stateDir, "dynamodb");
  const tablesFolder = folder && path.join(folder, "tables");
  const releaseFolder =
    folder === undefined || tablesFolder === undefined ? noop : await takeFolder(folder, tablesFolder);
  let repaired: Repair | undefined;
  if (tablesFolder !== undefined) {
    try {
      repaired = await checkTablesFolder(tablesFolder, options.repair === true);
    } catch (error) {
      await releaseFolder();
      throw error;
    }
  }
  const server = dynalite({ path: tablesFolder, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const port = await listen(server).catch(async (error: unknown) => {
    await releaseFolder();
    throw error;
  });
  const client = new DynaliteClient(server);
  const stop = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
    await releaseFolder();
  };

  try {
    if (repaired !== undefined && tablesFolder !== undefined) {
      options.log?.(await describeRepair(client.call, tablesFolder, repaired, options.tables));
    }
    const timeToLive = await TimeToLiveSettings.open(folder && path.join(folder, "time-to-live.json"));
    for (const table of options.tables) {
      await ensureTable(client.call, table, tablesFolder);
      if (
        table.timeToLiveAttribute !== undefined &&
        timeToLive.attributeOf(table.name) !== table.timeToLiveAttribute
      ) {
        await timeToLive.enable(table.name, table.timeToLiveAttribute);
      }
    }
    const clock = options.clock ?? systemClock;
    const { log: changeLog, contents } = await ChangeLog.open(folder && path.join(folder, "changes.log"));
    const streams = new TableStreams(
      options.tables.flatMap((table) =>
        table.stream === undefined
          ? []
          : [
              {
                tableName: table.name,
                streamArn: table.stream.arn,
                streamLabel: table.stream.label,
                viewType: table.stream.viewType,
                keySchema: table.keySchema,
              },
            ],
      ),
      clock,
      options.region ?? "us-east-1",
    );
    const recorder = new WriteRecorder(client.call, changeLog, streams);
    if (contents.unfinished.length > 0) {
      const items = await recorder.rollBack(contents.unfinished);
      options.log?.(
        `dynamodb: rolled back ${contents.unfinished.length} write group(s) a crash cut short (${items} item(s) restored), so no transaction is half-applied`,
      );
    }
    await changeLog.rewrite(streams.restore(contents.records));
    const keySchemas = new KeySchemas(client.call);
    const service = createDynamoDbService({
      call: client.call,
      locks: new TableLocks(),
      keySchemas,
      timeToLive,
      log: options.log,
      recorder,
      streams,
    });
    const sweep = (): Promise<number> =>
      sweepExpiredItems({
        service,
        settings: timeToLive,
        keySchemas,
        nowSeconds: Math.floor(clock.now() / 1000),
      });
    const sweeper = startSweeper(
      sweep,
      options.timeToLiveSweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
      options.log,
    );
    return {
      service,
      streamsService: createDynamoDbStreamsService(streams, clock),
      streams,
      port,
      sweepExpiredItems: sweep,
      async close() {
        await sweeper.stop();
        await changeLog.close();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const noop = (): Promise<void> => Promise.resolve();

/** What {@link checkTablesFolder} repaired. */
interface Repair {
  /** What was wrong, e.g. `its LevelDB CURRENT file is missing`. */
  readonly problem: string;
  /** The LevelDB data files the folder held before the repair. */
  readonly dataFiles: number;
}

/** The static side of classic-level's `ClassicLevel` that is used here. */
interface LevelDbClass {
  new (
    location: string,
    options: { createIfMissing: boolean },
  ): { open(): Promise<void>; close(): Promise<void> };
  repair(location: string): Promise<void>;
}

/**
 * LevelDB as dynalite opens it: classic-level's `ClassicLevel`, through dynalite's own `level`
 * dependency, so the repair and the trial open use the very binding that serves the tables.
 */
function levelDb(): LevelDbClass {
  // Relative to this source, which the CLI build maps to the same file of the package.
  const here = new URL("./local-dynamodb.ts", import.meta.url);
  const fromDynalite = createRequire(createRequire(here).resolve("dynalite"));
  return (fromDynalite("level") as { Level: LevelDbClass }).Level;
}

/** LevelDB's files that hold data: tables, write-ahead logs, manifests (not its `LOG` text log). */
const LEVELDB_DATA_FILE = /^(\d+\.(ldb|sst|log)|MANIFEST-\d+)$/;

/**
 * Refuses a tables folder that holds LevelDB data but does not open cleanly (its `CURRENT` file
 * missing, naming a missing manifest, or the manifest damaged): opening it as dynalite does would
 * create an empty database beside the data, lose every item and say nothing. With `repair`, runs
 * LevelDB's repair (which rebuilds the manifest from the data files and moves what it cannot use to
 * `lost/`) and returns what was wrong; returns undefined when the folder opened cleanly or is new.
 */
async function checkTablesFolder(folder: string, repair: boolean): Promise<Repair | undefined> {
  const files = await readdir(folder).catch(() => [] as string[]);
  const data = files.filter((file) => LEVELDB_DATA_FILE.test(file)).sort();
  if (data.length === 0 && !files.includes("CURRENT")) return undefined;
  const problem = await openProblem(folder, files);
  if (problem === undefined) return undefined;
  const held =
    data.length === 0
      ? "only its CURRENT file, no data files"
      : `${data.length} data file${data.length === 1 ? "" : "s"}: ${data.slice(0, 5).join(", ")}${data.length > 5 ? ", ..." : ""}`;
  if (!problem.repairable) {
    throw new LocalDynamoDbStateError(
      `The local DynamoDB cannot open its tables folder: ${problem.text}`,
      folder,
    );
  }
  if (!repair) {
    throw new LocalDynamoDbStateError(
      `The local DynamoDB's tables folder holds LevelDB data (${held}) but does not open cleanly: ${problem.text}. ` +
        "Starting anyway would create empty tables beside the data and lose their items, so it is left as it is. " +
        "Run `eventrail local --repair` (or `npm start -- --repair`) to rebuild it from the data files with " +
        "LevelDB's repair (files it cannot use are kept in its lost/ folder) and see which tables and items " +
        "came back; or, to start with empty tables, move the folder aside",
      folder,
    );
  }
  try {
    await levelDb().repair(folder);
  } catch (error) {
    throw new LocalDynamoDbStateError(
      `LevelDB's repair of the local DynamoDB's tables folder failed (${levelDbReason(error)}); move the folder aside to start with empty tables`,
      folder,
      { cause: error },
    );
  }
  const after = await openProblem(folder, await readdir(folder));
  if (after !== undefined) {
    throw new LocalDynamoDbStateError(
      `LevelDB's repair of the local DynamoDB's tables folder left it unopenable (${after.text}); move the folder aside to start with empty tables`,
      folder,
    );
  }
  return { problem: problem.text, dataFiles: data.length };
}

/**
 * Why LevelDB cannot open `folder` as it is (a trial open that creates nothing), and whether its
 * repair may help; undefined when it opens.
 */
async function openProblem(
  folder: string,
  files: readonly string[],
): Promise<{ text: string; repairable: boolean } | undefined> {
  if (!files.includes("CURRENT")) return { text: "its LevelDB CURRENT file is missing", repairable: true };
  const current = (await readFile(path.join(folder, "CURRENT"), "utf8").catch(() => "")).trim();
  if (current === "") return { text: "its LevelDB CURRENT file is empty", repairable: true };
  if (!files.includes(current)) {
    return {
      text: `its LevelDB CURRENT file names the manifest ${JSON.stringify(current.slice(0, 80))}, which is missing`,
      repairable: true,
    };
  }
  const Level = levelDb();
  const db = new Level(folder, { createIfMissing: false });
  try {
    await db.open();
  } catch (error) {
    const reason = levelDbReason(error);
    // A lock held elsewhere or a permission problem is not damage: repair would not help.
    const repairable = !/IO error: lock |permission denied|EACCES|EPERM/i.test(reason);
    return {
      text: repairable
        ? `LevelDB cannot open it (manifest ${current}: ${reason})`
        : `LevelDB says: ${reason}`,
      repairable,
    };
  }
  await db.close();
  return undefined;
}

/** LevelDB's own words for a failure: classic-level wraps them as the cause of "Database failed to open". */
function levelDbReason(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : undefined;
  return cause ?? (error instanceof Error ? error.message : String(error));
}

/**
 * The line that says what a repair brought back: each table kept in the folder with its item
 * count, and the template's tables that did not come back (created empty next).
 */
async function describeRepair(
  call: DynamoDbCall,
  folder: string,
  repaired: Repair,
  templateTables: readonly LocalTableDefinition[],
): Promise<string> {
  const names: string[] = [];
  let start: string | undefined;
  do {
    const page = await call("ListTables", start === undefined ? {} : { ExclusiveStartTableName: start });
    names.push(...(Array.isArray(page.TableNames) ? page.TableNames.map(String) : []));
    start = typeof page.LastEvaluatedTableName === "string" ? page.LastEvaluatedTableName : undefined;
  } while (start !== undefined);
  const counts: string[] = [];
  for (const name of names) counts.push(`${name} ${plural(await countItems(call, name), "item")}`);
  const missing = templateTables.map((table) => table.name).filter((name) => !names.includes(name));
  const lost = await readdir(path.join(folder, "lost")).catch(() => [] as string[]);
  return (
    `repaired the local DynamoDB in ${folder} (${repaired.problem}) with LevelDB's repair from ` +
    `${plural(repaired.dataFiles, "data file")}: ` +
    (names.length === 0
      ? "no tables came back"
      : `recovered ${plural(names.length, "table")}: ${counts.join(", ")}`) +
    (missing.length === 0 ? "" : `; not recovered, created empty: ${missing.join(", ")}`) +
    (lost.length === 0
      ? "."
      : `. LevelDB moved the ${plural(lost.length, "file")} it replaced or could not use to ${path.join(folder, "lost")}.`)
  );
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** The items of a table, counted with paged `Select: COUNT` scans. */
async function countItems(call: DynamoDbCall, table: string): Promise<number> {
  let count = 0;
  let start: unknown;
  do {
    const page = await call("Scan", {
      TableName: table,
      Select: "COUNT",
      ...(isJsonObject(start) ? { ExclusiveStartKey: start } : {}),
    });
    count += typeof page.Count === "number" ? page.Count : 0;
    start = page.LastEvaluatedKey;
  } while (isJsonObject(start));
  return count;
}

/** Creates the state folders and takes the lock that keeps a second local DynamoDB off them. */
async function takeFolder(folder: string, tablesFolder: string): Promise<() => Promise<void>> {
  try {
    await mkdir(tablesFolder, { recursive: true });
  } catch (error) {
    throw new LocalDynamoDbStateError(
      `Cannot create the DynamoDB state folder: ${String(error)}`,
      tablesFolder,
      {
        cause: error,
      },
    );
  }
  return acquireStateLock(folder);
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Creates a template table, or checks that the one already kept has the template's key; waits until it is ACTIVE. */
async function ensureTable(
  call: DynamoDbCall,
  table: LocalTableDefinition,
  folder: string | undefined,
): Promise<void> {
  try {
    await call("CreateTable", {
      TableName: table.name,
      KeySchema: table.keySchema,
      AttributeDefinitions: table.attributeDefinitions,
      BillingMode: "PAY_PER_REQUEST",
    });
  } catch (error) {
    if (!(error instanceof AwsServiceError && error.code === "ResourceInUseException")) {
      throw new LocalDynamoDbTableError(
        `Cannot create table ${table.name} (${table.logicalId}) of the template: ${error instanceof Error ? error.message : String(error)}`,
        table.name,
        { cause: error },
      );
    }
    const kept = describeKey(await call("DescribeTable", { TableName: table.name }));
    const declared = describeKey({
      Table: { KeySchema: table.keySchema, AttributeDefinitions: table.attributeDefinitions },
    });
    if (kept !== declared) {
      throw new LocalDynamoDbTableError(
        `Table ${table.name} (${table.logicalId}) kept in ${folder ?? "memory"} has the key ${kept}, but the template declares ${declared}. Delete ${folder ?? "the state folder"} to start with the template's tables (their items are lost), or give the table its former key again.`,
        table.name,
      );
    }
  }
  for (let attempt = 0; attempt < ACTIVE_POLL_ATTEMPTS; attempt++) {
    const output = await call("DescribeTable", { TableName: table.name });
    if (isJsonObject(output.Table) && output.Table.TableStatus === "ACTIVE") return;
    await sleep(ACTIVE_POLL_INTERVAL_MS);
  }
  throw new LocalDynamoDbTableError(
    `Table ${table.name} (${table.logicalId}) did not become ACTIVE in dynalite within ${ACTIVE_POLL_ATTEMPTS * ACTIVE_POLL_INTERVAL_MS} ms.`,
    table.name,
  );
}

/** A table's key as text, e.g. `pk (HASH, S), sk (RANGE, S)`, from a DescribeTable-shaped answer. */
function describeKey(description: unknown): string {
  const table = isJsonObject(description) && isJsonObject(description.Table) ? description.Table : {};
  const list = (value: unknown) => (Array.isArray(value) ? value.filter(isJsonObject) : []);
  const types = new Map(list(table.AttributeDefinitions).map((d) => [d.AttributeName, d.AttributeType]));
  return list(table.KeySchema)
    .sort((a, b) => String(a.KeyType).localeCompare(String(b.KeyType)))
    .map(
      (element) =>
        `${String(element.AttributeName)} (${String(element.KeyType)}, ${String(types.get(element.AttributeName))})`,
    )
    .join(", ");
}

/** Runs `sweep` every `intervalMs` (never two at once) until stopped; 0 never runs it. */
function startSweeper(
  sweep: () => Promise<number>,
  intervalMs: number,
  log: ((line: string) => void) | undefined,
): { stop(): Promise<void> } {
  if (intervalMs <= 0) return { stop: () => Promise.resolve() };
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= sweep()
      .then(
        (deleted) => {
          if (deleted > 0) log?.(`dynamodb: time to live deleted ${deleted} expired item(s)`);
        },
        (error: unknown) =>
          log?.(
            `dynamodb: time-to-live sweep failed: ${error instanceof Error ? error.message : String(error)}`,
          ),
      )
      .finally(() => {
        running = undefined;
      });
  }, intervalMs);
  // The sweep is background housekeeping: it must not keep the process alive on its own.
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
