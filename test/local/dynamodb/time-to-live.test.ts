import {
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  ScanCommand,
  UpdateTimeToLiveCommand,
} from "@aws-sdk/client-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { clockWithTime } from "../../../lib/local/clock";
import {
  IDEMPOTENCY_TABLE,
  type LocalDynamoDbFixture,
  STATE_TABLE,
  startLocalDynamoDbFixture,
} from "./local-dynamodb-fixture";

/** The fixed "now" of these tests, in epoch seconds. */
const NOW_SECONDS = 1_750_000_000;
const SIX_YEARS_SECONDS = 6 * 365 * 86_400;

describe("time to live on the local DynamoDB", () => {
  let fixture: LocalDynamoDbFixture;

  beforeEach(async () => {
    fixture = await startLocalDynamoDbFixture({ clock: clockWithTime(() => NOW_SECONDS * 1000) });
  });

  afterEach(async () => {
    await fixture.close();
  });

  async function describeTimeToLive(tableName: string) {
    const { TimeToLiveDescription } = await fixture.client.send(
      new DescribeTimeToLiveCommand({ TableName: tableName }),
    );
    return TimeToLiveDescription;
  }

  async function updateTimeToLive(tableName: string, Enabled: boolean, AttributeName: string) {
    return fixture.client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { Enabled, AttributeName },
      }),
    );
  }

  async function rejectionOf(send: Promise<unknown>): Promise<unknown> {
    return send.then(
      () => undefined,
      (error: unknown) => error,
    );
  }

  it("enables TTL on the attribute the template declares", async () => {
    // Act
    const description = await describeTimeToLive(IDEMPOTENCY_TABLE.name);

    // Assess
    expect(description).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiration" });
  });

  it("reports TTL disabled on a table the template declares none for", async () => {
    // Act
    const description = await describeTimeToLive(STATE_TABLE.name);

    // Assess
    expect(description).toEqual({ TimeToLiveStatus: "DISABLED" });
  });

  it("enables and disables TTL, echoing the specification", async () => {
    // Act
    const enabled = await updateTimeToLive(STATE_TABLE.name, true, "expiresAt");
    const afterEnabling = await describeTimeToLive(STATE_TABLE.name);
    const disabled = await updateTimeToLive(STATE_TABLE.name, false, "expiresAt");
    const afterDisabling = await describeTimeToLive(STATE_TABLE.name);

    // Assess
    expect(enabled.TimeToLiveSpecification).toEqual({ Enabled: true, AttributeName: "expiresAt" });
    expect(afterEnabling).toEqual({ TimeToLiveStatus: "ENABLED", AttributeName: "expiresAt" });
    expect(disabled.TimeToLiveSpecification).toEqual({ Enabled: false, AttributeName: "expiresAt" });
    expect(afterDisabling).toEqual({ TimeToLiveStatus: "DISABLED" });
  });

  it.each([
    {
      name: "enabling TTL that is enabled",
      tableName: IDEMPOTENCY_TABLE.name,
      enabled: true,
      attribute: "other",
      message: "TimeToLive is already enabled",
    },
    {
      name: "disabling TTL that is disabled",
      tableName: STATE_TABLE.name,
      enabled: false,
      attribute: "expiresAt",
      message: "TimeToLive is already disabled",
    },
    {
      name: "disabling TTL with another attribute",
      tableName: IDEMPOTENCY_TABLE.name,
      enabled: false,
      attribute: "other",
      message: "TimeToLive is active on a different AttributeName: current AttributeName is expiration",
    },
  ])("refuses $name, as DynamoDB does", async ({ tableName, enabled, attribute, message }) => {
    // Act
    const error = await rejectionOf(updateTimeToLive(tableName, enabled, attribute));

    // Assess
    expect(error).toMatchObject({ name: "ValidationException", message });
  });

  it("refuses a specification without an attribute name, naming the member", async () => {
    // Act
    const error = await rejectionOf(
      fixture.dynamoDb.service("UpdateTimeToLive", {
        TableName: STATE_TABLE.name,
        TimeToLiveSpecification: { Enabled: true },
      }),
    );

    // Assess
    expect(error).toMatchObject({
      code: "ValidationException",
      message:
        "1 validation error detected: Value null at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must not be null",
    });
  });

  it("answers ResourceNotFoundException for a table that does not exist", async () => {
    // Act
    const error = await rejectionOf(describeTimeToLive("no-such-table"));

    // Assess
    expect(error).toMatchObject({ name: "ResourceNotFoundException" });
  });

  it("forgets the setting of a deleted table", async () => {
    // Prepare
    await fixture.client.send(new DeleteTableCommand({ TableName: IDEMPOTENCY_TABLE.name }));

    // Act
    const description = await rejectionOf(describeTimeToLive(IDEMPOTENCY_TABLE.name));
    const swept = await fixture.dynamoDb.sweepExpiredItems();

    // Assess
    expect(description).toMatchObject({ name: "ResourceNotFoundException" });
    expect(swept).toBe(0);
  });

  it("deletes the items that expired, and only those, when swept", async () => {
    // Prepare
    const items = {
      expired: NOW_SECONDS - 60,
      "expires-later": NOW_SECONDS + 60,
      "expired-over-five-years-ago": NOW_SECONDS - SIX_YEARS_SECONDS,
      "expiry-not-a-number": String(NOW_SECONDS - 60),
      "no-expiry": undefined,
    };
    for (const [id, expiration] of Object.entries(items)) {
      await fixture.documents.send(
        new PutCommand({
          TableName: IDEMPOTENCY_TABLE.name,
          Item: expiration === undefined ? { id } : { id, expiration },
        }),
      );
    }

    // Act
    const deleted = await fixture.dynamoDb.sweepExpiredItems();

    // Assess
    const { Items } = await fixture.client.send(new ScanCommand({ TableName: IDEMPOTENCY_TABLE.name }));
    expect(deleted).toBe(1);
    expect(Items?.map((item) => item.id?.S).sort()).toEqual([
      "expired-over-five-years-ago",
      "expires-later",
      "expiry-not-a-number",
      "no-expiry",
    ]);
  });
});
