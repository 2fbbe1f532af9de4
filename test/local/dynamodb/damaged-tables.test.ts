import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LocalDynamoDbStateError } from "../../../lib/local/dynamodb";
import { IDEMPOTENCY_TABLE, STATE_TABLE, startLocalDynamoDbFixture } from "./local-dynamodb-fixture";

const STOCK = [
  { pk: "SKU#1", sk: "STOCK", available: 7 },
  { pk: "SKU#2", sk: "STOCK", available: 0 },
  { pk: "SKU#3", sk: "STOCK", available: 42 },
];
const IDEMPOTENCY_RECORD = { id: "payment#order-1", status: "COMPLETED", expiration: 4_102_444_800 };

describe("a DynamoDB tables folder that does not open cleanly", () => {
  let stateDir: string;
  let tablesFolder: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(join(tmpdir(), "eventrail-dynamodb-damaged-"));
    tablesFolder = join(stateDir, "dynamodb", "tables");
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  /**
   * Stock items and an idempotency record written, then the pipeline restarted once, so LevelDB
   * holds them in a table file (.ldb) as well as in its log, as a folder used for a while does.
   */
  async function tablesWithData(): Promise<void> {
    const first = await startLocalDynamoDbFixture({ stateDir });
    for (const item of STOCK)
      await first.documents.send(new PutCommand({ TableName: STATE_TABLE.name, Item: item }));
    await first.documents.send(
      new PutCommand({ TableName: IDEMPOTENCY_TABLE.name, Item: IDEMPOTENCY_RECORD }),
    );
    await first.close();
    const second = await startLocalDynamoDbFixture({ stateDir });
    await second.close();
  }

  async function startRefused(): Promise<unknown> {
    return startLocalDynamoDbFixture({ stateDir }).then(
      async (fixture) => {
        await fixture.close();
        return undefined;
      },
      (error: unknown) => error,
    );
  }

  async function stockOf(fixture: Awaited<ReturnType<typeof startLocalDynamoDbFixture>>, pk: string) {
    const { Item } = await fixture.documents.send(
      new GetCommand({ TableName: STATE_TABLE.name, Key: { pk, sk: "STOCK" }, ConsistentRead: true }),
    );
    return Item;
  }

  it("is refused when its CURRENT file is missing, naming the folder, what is wrong and the repair command", async () => {
    // Prepare
    await tablesWithData();
    await rm(join(tablesFolder, "CURRENT"));

    // Act
    const refusal = await startRefused();

    // Assess
    expect(refusal).toBeInstanceOf(LocalDynamoDbStateError);
    const message = (refusal as Error).message;
    expect(message).toMatch(
      /^The local DynamoDB's tables folder holds LevelDB data \(\d+ data files: [^)]*\.ldb[^)]*\) but does not open cleanly: its LevelDB CURRENT file is missing\. /,
    );
    expect(message).toContain(
      "Starting anyway would create empty tables beside the data and lose their items",
    );
    expect(message).toContain("Run `eventrail local --repair` (or `npm start -- --repair`)");
    expect(message.endsWith(`move the folder aside (${tablesFolder})`)).toBe(true);
    expect((refusal as LocalDynamoDbStateError).path).toBe(tablesFolder);
  });

  it("is left exactly as it was when refused", async () => {
    // Prepare
    await tablesWithData();
    await rm(join(tablesFolder, "CURRENT"));
    const before = (await readdir(tablesFolder)).toSorted();

    // Act
    await startRefused();
    const after = (await readdir(tablesFolder)).toSorted();

    // Assess
    expect(after).toEqual(before);
    expect(after).not.toContain("CURRENT");
  });

  it("with repair gets its tables and items back and says which tables and how many items", async () => {
    // Prepare
    await tablesWithData();
    await rm(join(tablesFolder, "CURRENT"));
    const lines: string[] = [];

    // Act
    const repaired = await startLocalDynamoDbFixture({
      stateDir,
      repair: true,
      log: (line) => lines.push(line),
    });
    try {
      const stock = await Promise.all(STOCK.map((item) => stockOf(repaired, item.pk)));
      const { Item: idempotency } = await repaired.documents.send(
        new GetCommand({
          TableName: IDEMPOTENCY_TABLE.name,
          Key: { id: IDEMPOTENCY_RECORD.id },
          ConsistentRead: true,
        }),
      );

      // Assess
      expect(stock).toEqual(STOCK);
      expect(idempotency).toEqual(IDEMPOTENCY_RECORD);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^repaired the local DynamoDB in ${tablesFolder.replaceAll("/", "\\/")} \\(its LevelDB CURRENT file is missing\\) with LevelDB's repair from \\d+ data files?: ` +
            "recovered 2 tables: eventrail-idempotency 1 item, eventrail-inventory-state 3 items\\. " +
            "LevelDB moved the \\d+ files? it replaced or could not use to .*\\/lost\\.$",
        ),
      );
    } finally {
      await repaired.close();
    }
  });

  it("opens without repair after it was repaired once", async () => {
    // Prepare
    await tablesWithData();
    await rm(join(tablesFolder, "CURRENT"));
    const repaired = await startLocalDynamoDbFixture({ stateDir, repair: true });
    await repaired.close();
    const lines: string[] = [];

    // Act
    const reopened = await startLocalDynamoDbFixture({ stateDir, log: (line) => lines.push(line) });
    try {
      const stock = await stockOf(reopened, "SKU#3");

      // Assess
      expect(stock).toEqual(STOCK[2]);
      expect(lines).toEqual([]);
    } finally {
      await reopened.close();
    }
  });

  it("is refused when its manifest is damaged, with LevelDB's reason, and repaired with repair", async () => {
    // Prepare
    await tablesWithData();
    const manifest = (await readFile(join(tablesFolder, "CURRENT"), "utf8")).trim();
    const bytes = await readFile(join(tablesFolder, manifest));
    bytes.fill(0x41, 8, Math.min(bytes.length, 40));
    await writeFile(join(tablesFolder, manifest), bytes);

    // Act
    const refusal = await startRefused();
    const lines: string[] = [];
    const repaired = await startLocalDynamoDbFixture({
      stateDir,
      repair: true,
      log: (line) => lines.push(line),
    });
    try {
      const stock = await Promise.all(STOCK.map((item) => stockOf(repaired, item.pk)));

      // Assess
      expect(refusal).toBeInstanceOf(LocalDynamoDbStateError);
      expect((refusal as Error).message).toContain(
        `but does not open cleanly: LevelDB cannot open it (manifest ${manifest}: Corruption: `,
      );
      expect((refusal as Error).message).toContain("eventrail local --repair");
      expect(stock).toEqual(STOCK);
      expect(lines[0]).toContain(
        "recovered 2 tables: eventrail-idempotency 1 item, eventrail-inventory-state 3 items",
      );
    } finally {
      await repaired.close();
    }
  });

  it("is refused when CURRENT names a manifest that is missing", async () => {
    // Prepare
    await tablesWithData();
    await writeFile(join(tablesFolder, "CURRENT"), "MANIFEST-999999\n");

    // Act
    const refusal = await startRefused();

    // Assess
    expect((refusal as Error).message).toContain(
      'does not open cleanly: its LevelDB CURRENT file names the manifest "MANIFEST-999999", which is missing.',
    );
  });

  it("with repair says which template tables did not come back", async () => {
    // Prepare
    const first = await startLocalDynamoDbFixture({ stateDir, tables: [STATE_TABLE] });
    await first.documents.send(new PutCommand({ TableName: STATE_TABLE.name, Item: STOCK[0] }));
    await first.close();
    await rm(join(tablesFolder, "CURRENT"));
    const lines: string[] = [];

    // Act
    const repaired = await startLocalDynamoDbFixture({
      stateDir,
      repair: true,
      log: (line) => lines.push(line),
    });
    await repaired.close();

    // Assess
    expect(lines[0]).toContain(
      "recovered 1 table: eventrail-inventory-state 1 item; not recovered, created empty: eventrail-idempotency.",
    );
  });

  it("is not repaired or reported when it opens cleanly, even with repair", async () => {
    // Prepare
    await tablesWithData();
    const lines: string[] = [];

    // Act
    const started = await startLocalDynamoDbFixture({
      stateDir,
      repair: true,
      log: (line) => lines.push(line),
    });
    const stock = await stockOf(started, "SKU#1");
    await started.close();
    const files = await readdir(tablesFolder);

    // Assess
    expect(stock).toEqual(STOCK[0]);
    expect(lines).toEqual([]);
    expect(files).not.toContain("lost");
  });
});
