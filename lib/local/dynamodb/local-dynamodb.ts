import { mkdir, readdir, readFile } from "node:fs/promises";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import dynalite from "dynalite";
import { type AwsJsonService, AwsServiceError } from "../aws-error";
import type { LocalTableDefinition } from "../model";
import { DynaliteClient } from "./dynalite-client";
import { createDynamoDbService } from "./dynamodb-service";
import { LocalDynamoDbStateError, LocalDynamoDbTableError } from "./errors";
import { KeySchemas } from "./key-schemas";
import { acquireStateLock } from "./state-lock";
import { TableLocks } from "./table-locks";
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
  /**
   * The clock expiry is compared with, in epoch milliseconds.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Repair the tables' LevelDB before opening when its manifest is missing or unusable (LevelDB's
   * own repair, which rebuilds it from the data files), instead of refusing to start.
   * @default false
   */
  readonly repair?: boolean;
}

/** A running local DynamoDB. */
export interface LocalDynamoDb {
  /** The DynamoDB JSON 1.0 service, to mount on the edge under `DynamoDB_20120810`. */
  readonly service: AwsJsonService;
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
  if (tablesFolder !== undefined) {
    try {
      await checkTablesFolder(tablesFolder, options.repair === true, options.log ?? (() => {}));
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
    const keySchemas = new KeySchemas(client.call);
    const service = createDynamoDbService({
      call: client.call,
      locks: new TableLocks(),
      keySchemas,
      timeToLive,
      log: options.log,
    });
    const now = options.now ?? Date.now;
    const sweep = (): Promise<number> =>
      sweepExpiredItems({ service, settings: timeToLive, keySchemas, nowSeconds: Math.floor(now() / 1000) });
    const sweeper = startSweeper(
      sweep,
      options.timeToLiveSweepIntervalMs ?? DEFAULT_SWEEP_INTERVAL_MS,
      options.log,
    );
    return {
      service,
      port,
      sweepExpiredItems: sweep,
      async close() {
        await sweeper.stop();
        await stop();
      },
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

const noop = (): Promise<void> => Promise.resolve();

/** Creates the state folders and takes the lock that keeps a second local DynamoDB off them. */
/**
 * Refuses a tables folder that holds LevelDB data but no usable manifest: opening it would create
 * empty tables beside the orphaned data and lose every item without a word. With `repair`, runs
 * LevelDB's repair (which rebuilds the manifest from the data files) and says so.
 */
async function checkTablesFolder(
  folder: string,
  repair: boolean,
  log: (line: string) => void,
): Promise<void> {
  const files = await readdir(folder).catch(() => [] as string[]);
  const data = files.filter((file) => /\.(ldb|sst|log)$/.test(file) && file !== "LOG");
  if (data.length === 0) return;
  const current = files.includes("CURRENT")
    ? (await readFile(path.join(folder, "CURRENT"), "utf8").catch(() => "")).trim()
    : "";
  if (current !== "" && files.includes(current)) return;
  const what =
    current === ""
      ? "its LevelDB CURRENT file is missing or empty"
      : `its LevelDB CURRENT file names ${current}, which is missing`;
  if (!repair) {
    throw new LocalDynamoDbStateError(
      `The local DynamoDB's tables folder holds data (${data.length} data files) but ${what}, so it cannot be opened as it is; starting anyway would create empty tables beside the data. Run \`eventrail local --repair\` (or \`npm start -- --repair\`) to rebuild the manifest from the data files with LevelDB's repair, or move the folder aside to start with empty tables`,
      folder,
    );
  }
  // The LevelDB binding dynalite itself opens the folder with (through its `level` dependency).
  const level = createRequire(
    createRequire(new URL("./local-dynamodb.ts", import.meta.url)).resolve("dynalite"),
  )("level") as {
    Level: { repair(location: string): Promise<void> };
  };
  await level.Level.repair(folder);
  log(
    `repaired the local DynamoDB in ${folder}: ${what}; LevelDB rebuilt the manifest from ${data.length} data files`,
  );
}

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
