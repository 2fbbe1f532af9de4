import { TransactGetItemsCommand } from "@aws-sdk/client-dynamodb";
import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type LocalDynamoDbFixture, STATE_TABLE, startLocalDynamoDbFixture } from "./local-dynamodb-fixture";

const TableName = STATE_TABLE.name;

function wireKey(name: string) {
  return { pk: { S: `ITEM#${name}` }, sk: { S: "ITEM" } };
}

describe("TransactGetItems on the local DynamoDB", () => {
  let fixture: LocalDynamoDbFixture;

  beforeEach(async () => {
    fixture = await startLocalDynamoDbFixture();
  });

  afterEach(async () => {
    await fixture.close();
  });

  it("answers one response per action, in order, empty for a missing item", async () => {
    // Prepare
    await fixture.documents.send(
      new PutCommand({ TableName, Item: { pk: "ITEM#a", sk: "ITEM", size: 1, colour: "red" } }),
    );
    await fixture.documents.send(new PutCommand({ TableName, Item: { pk: "ITEM#b", sk: "ITEM", size: 2 } }));

    // Act
    const { Responses } = await fixture.client.send(
      new TransactGetItemsCommand({
        TransactItems: [
          { Get: { TableName, Key: wireKey("b") } },
          { Get: { TableName, Key: wireKey("missing") } },
          {
            Get: {
              TableName,
              Key: wireKey("a"),
              ProjectionExpression: "#size",
              ExpressionAttributeNames: { "#size": "size" },
            },
          },
        ],
      }),
    );

    // Assess
    expect(Responses).toEqual([
      { Item: { ...wireKey("b"), size: { N: "2" } } },
      {},
      { Item: { size: { N: "1" } } },
    ]);
  });

  it("refuses more than 100 actions, as DynamoDB does", async () => {
    // Act
    const error = await fixture.client
      .send(
        new TransactGetItemsCommand({
          TransactItems: Array.from({ length: 101 }, (_, index) => ({
            Get: { TableName, Key: wireKey(`${index}`) },
          })),
        }),
      )
      .then(
        () => undefined,
        (rejection: unknown) => rejection,
      );

    // Assess
    expect(error).toMatchObject({
      name: "ValidationException",
      message: expect.stringMatching(/Member must have length less than or equal to 100$/),
    });
  });
});
