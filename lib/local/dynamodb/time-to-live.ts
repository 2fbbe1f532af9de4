import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import * as path from "node:path";
import { type AwsJsonService, AwsServiceError } from "../aws-error";
import { LocalDynamoDbStateError } from "./errors";
import type { KeySchemas } from "./key-schemas";
import {
  type DynamoDbCall,
  isJsonObject,
  type JsonObject,
  missingMemberError,
  tableNameOf,
  validationError,
} from "./wire";

/** The version of the settings file's format. */
const SETTINGS_FORMAT_VERSION = 1;

/** DynamoDB's bounds on `AttributeName` of a TTL specification. */
const MAX_ATTRIBUTE_NAME_LENGTH = 255;

/** DynamoDB leaves alone items whose expiry is more than five years past (likely not epoch seconds). */
const OLDEST_EXPIRY_SWEPT_SECONDS = 5 * 365 * 86_400;

/**
 * The time-to-live setting of each table (dynalite has none): the TTL attribute of every table with
 * TTL enabled, kept in a JSON file when a path is given so that a restart remembers it.
 */
export class TimeToLiveSettings {
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    private readonly attributes: Map<string, string>,
  ) {}

  /**
   * Loads the settings from `file` (none yet is no setting), or keeps them in memory without one.
   * Throws {@link LocalDynamoDbStateError} when the file cannot be read as settings.
   */
  public static async open(file?: string): Promise<TimeToLiveSettings> {
    if (file === undefined) return new TimeToLiveSettings(undefined, new Map());
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return new TimeToLiveSettings(file, new Map());
      throw new LocalDynamoDbStateError(
        `Cannot read the DynamoDB time-to-live settings: ${String(error)}`,
        file,
        {
          cause: error,
        },
      );
    }
    return new TimeToLiveSettings(file, parseSettings(text, file));
  }

  /** The TTL attribute of `tableName`, or undefined when its TTL is disabled. */
  public attributeOf(tableName: string): string | undefined {
    return this.attributes.get(tableName);
  }

  /** Every table with TTL enabled, with its attribute. */
  public enabledTables(): [tableName: string, attributeName: string][] {
    return [...this.attributes];
  }

  /** Enables TTL on `attributeName` of `tableName` and saves. */
  public enable(tableName: string, attributeName: string): Promise<void> {
    this.attributes.set(tableName, attributeName);
    return this.save();
  }

  /** Disables TTL on `tableName` (a no-op when it is) and saves. */
  public disable(tableName: string): Promise<void> {
    if (!this.attributes.delete(tableName)) return Promise.resolve();
    return this.save();
  }

  /** Writes the current settings; writes are chained so that the last one holds the latest state. */
  private save(): Promise<void> {
    const file = this.file;
    if (file === undefined) return Promise.resolve();
    this.saving = this.saving.then(async () => {
      const temporary = `${file}.tmp`;
      const tables = Object.fromEntries(this.attributes);
      try {
        await mkdir(path.dirname(file), { recursive: true });
        await writeFile(
          temporary,
          `${JSON.stringify({ version: SETTINGS_FORMAT_VERSION, tables }, null, 2)}\n`,
        );
        await rename(temporary, file);
      } catch (error) {
        throw new LocalDynamoDbStateError(
          `Cannot save the DynamoDB time-to-live settings: ${String(error)}`,
          file,
          {
            cause: error,
          },
        );
      }
    });
    return this.saving;
  }
}

function parseSettings(text: string, file: string): Map<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new LocalDynamoDbStateError(
      "The DynamoDB time-to-live settings are not JSON; delete the file to start with TTL disabled on every table the template does not declare it for.",
      file,
      { cause: error },
    );
  }
  const tables =
    isJsonObject(parsed) && parsed.version === SETTINGS_FORMAT_VERSION ? parsed.tables : undefined;
  if (!isJsonObject(tables) || !Object.values(tables).every((value) => typeof value === "string")) {
    throw new LocalDynamoDbStateError(
      `The DynamoDB time-to-live settings are not format version ${SETTINGS_FORMAT_VERSION} ({ "version": 1, "tables": { "<table>": "<attribute>" } }); delete the file to start over.`,
      file,
    );
  }
  return new Map(Object.entries(tables as Record<string, string>));
}

/** What the TTL operations need: the store (to tell whether a table exists) and the settings. */
export interface TimeToLiveContext {
  readonly call: DynamoDbCall;
  readonly settings: TimeToLiveSettings;
}

/** DescribeTimeToLive: `ENABLED` with the attribute, or `DISABLED`. */
export async function describeTimeToLive(
  input: Readonly<JsonObject>,
  context: TimeToLiveContext,
): Promise<JsonObject> {
  const tableName = await existingTableOf(input, context.call);
  const attributeName = context.settings.attributeOf(tableName);
  return {
    TimeToLiveDescription:
      attributeName === undefined
        ? { TimeToLiveStatus: "DISABLED" }
        : { TimeToLiveStatus: "ENABLED", AttributeName: attributeName },
  };
}

/**
 * UpdateTimeToLive, with DynamoDB's refusals: enabling when enabled, disabling when disabled, and
 * disabling with another attribute than the enabled one. The change takes effect at once (DynamoDB
 * passes through ENABLING/DISABLING for up to an hour, and refuses a second change meanwhile; the
 * local one does not).
 */
export async function updateTimeToLive(
  input: Readonly<JsonObject>,
  context: TimeToLiveContext,
): Promise<JsonObject> {
  const specification = input.TimeToLiveSpecification;
  if (!isJsonObject(specification)) throw missingMemberError("timeToLiveSpecification");
  const { Enabled: enabled, AttributeName: attributeName } = specification;
  if (enabled === undefined || enabled === null) throw missingMemberError("timeToLiveSpecification.enabled");
  if (typeof enabled !== "boolean") {
    throw validationError(
      `TimeToLiveSpecification.Enabled must be true or false; got ${JSON.stringify(enabled)}.`,
    );
  }
  if (attributeName === undefined || attributeName === null) {
    throw missingMemberError("timeToLiveSpecification.attributeName");
  }
  if (
    typeof attributeName !== "string" ||
    attributeName.length < 1 ||
    attributeName.length > MAX_ATTRIBUTE_NAME_LENGTH
  ) {
    throw validationError(
      `1 validation error detected: Value '${String(attributeName)}' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length less than or equal to ${MAX_ATTRIBUTE_NAME_LENGTH} and greater than or equal to 1`,
    );
  }
  const tableName = await existingTableOf(input, context.call);
  const current = context.settings.attributeOf(tableName);
  if (enabled) {
    if (current !== undefined) throw validationError("TimeToLive is already enabled");
    await context.settings.enable(tableName, attributeName);
  } else {
    if (current === undefined) throw validationError("TimeToLive is already disabled");
    if (current !== attributeName) {
      throw validationError(
        `TimeToLive is active on a different AttributeName: current AttributeName is ${current}`,
      );
    }
    await context.settings.disable(tableName);
  }
  return { TimeToLiveSpecification: { Enabled: enabled, AttributeName: attributeName } };
}

/** The request's table, which must exist: dynalite's ResourceNotFoundException otherwise. */
async function existingTableOf(input: Readonly<JsonObject>, call: DynamoDbCall): Promise<string> {
  const tableName = tableNameOf(input);
  if (tableName === undefined) throw missingMemberError("tableName");
  await call("DescribeTable", { TableName: tableName });
  return tableName;
}

/** What a sweep needs. */
export interface ExpiredItemSweep {
  /** The local DynamoDB service, so that the sweep's reads and deletes take the table locks. */
  readonly service: AwsJsonService;
  readonly settings: TimeToLiveSettings;
  readonly keySchemas: KeySchemas;
  /** The current time, in epoch seconds. */
  readonly nowSeconds: number;
}

/**
 * Deletes the expired items of every table with TTL enabled, as DynamoDB's TTL process does (at
 * its own pace, days at most): items whose TTL attribute is a Number of epoch seconds before now
 * and at most five years before. Each delete is conditional on the item still being expired, so an
 * item whose expiry was moved meanwhile stays. Resolves with the number of items deleted.
 */
export async function sweepExpiredItems(sweep: ExpiredItemSweep): Promise<number> {
  let deleted = 0;
  for (const [tableName, attributeName] of sweep.settings.enabledTables()) {
    try {
      deleted += await sweepTable(sweep, tableName, attributeName);
    } catch (error) {
      // A table deleted since its TTL was enabled has nothing left to sweep.
      if (!(error instanceof AwsServiceError && error.code === "ResourceNotFoundException")) throw error;
    }
  }
  return deleted;
}

async function sweepTable(
  sweep: ExpiredItemSweep,
  tableName: string,
  attributeName: string,
): Promise<number> {
  const keyAttributes = await sweep.keySchemas.keyAttributesOf(tableName);
  const names: Record<string, string> = { "#ttl": attributeName };
  keyAttributes.forEach((name, index) => {
    names[`#key${index}`] = name;
  });
  const expired = "#ttl < :now";
  const values = { ":now": { N: String(sweep.nowSeconds) } };
  let deleted = 0;
  let startKey: unknown;
  do {
    const page = await sweep.service("Scan", {
      TableName: tableName,
      ProjectionExpression: Object.keys(names)
        .filter((name) => name !== "#ttl")
        .join(", "),
      FilterExpression: `${expired} AND #ttl >= :oldest`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: {
        ...values,
        ":oldest": { N: String(sweep.nowSeconds - OLDEST_EXPIRY_SWEPT_SECONDS) },
      },
      ...(startKey !== undefined && { ExclusiveStartKey: startKey }),
    });
    const items = isJsonObject(page) && Array.isArray(page.Items) ? page.Items.filter(isJsonObject) : [];
    for (const key of items) {
      try {
        await sweep.service("DeleteItem", {
          TableName: tableName,
          Key: key,
          ConditionExpression: expired,
          ExpressionAttributeNames: { "#ttl": attributeName },
          ExpressionAttributeValues: values,
        });
        deleted++;
      } catch (error) {
        if (!(error instanceof AwsServiceError && error.code === "ConditionalCheckFailedException"))
          throw error;
      }
    }
    startKey = isJsonObject(page) ? page.LastEvaluatedKey : undefined;
  } while (startKey !== undefined);
  return deleted;
}
