import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from "@aws-sdk/client-sqs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { localQueueArn, localQueueUrl, QueueStore } from "../../../lib/local/sqs/queue-store";
import { createSqsService } from "../../../lib/local/sqs/sqs-service";
import { type MotoServer, motoUnavailableReason, startMoto } from "../../support/moto";
import { type JsonProtocolServer, startJsonProtocolServer } from "./json-protocol-server";
import { ACCOUNT_ID, REGION } from "./queue-fixtures";

/** Makes one call with `sqs` against the queue at `queueUrl`. */
type Call = (sqs: SQSClient, queueUrl: string) => Promise<unknown>;

const entries = (n: number) => Array.from({ length: n }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" }));

/** Invalid calls whose error code must be the same locally as on moto_server. */
const INVALID_CALLS: readonly (readonly [string, Call])[] = [
  [
    "GetQueueUrl of an unknown queue",
    (sqs) => sqs.send(new GetQueueUrlCommand({ QueueName: "no-such-queue" })),
  ],
  [
    "SendMessage to an unknown queue URL",
    (sqs, url) =>
      sqs.send(
        new SendMessageCommand({ QueueUrl: url.replace(/orders$/, "no-such-queue"), MessageBody: "x" }),
      ),
  ],
  [
    "an empty SendMessageBatch",
    (sqs, url) => sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [] })),
  ],
  [
    "a SendMessageBatch of 11",
    (sqs, url) => sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: entries(11) })),
  ],
  [
    "a SendMessageBatch with repeated ids",
    (sqs, url) =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: [
            { Id: "same", MessageBody: "a" },
            { Id: "same", MessageBody: "b" },
          ],
        }),
      ),
  ],
  [
    "a SendMessageBatch id with a space",
    (sqs, url) =>
      sqs.send(new SendMessageBatchCommand({ QueueUrl: url, Entries: [{ Id: "a b", MessageBody: "x" }] })),
  ],
  [
    "an empty DeleteMessageBatch",
    (sqs, url) => sqs.send(new DeleteMessageBatchCommand({ QueueUrl: url, Entries: [] })),
  ],
  [
    "DeleteMessage with a forged receipt handle",
    (sqs, url) => sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: "forged" })),
  ],
  [
    "ReceiveMessage of 11 messages",
    (sqs, url) => sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 11 })),
  ],
  [
    "SendMessage delayed 901 s",
    (sqs, url) => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x", DelaySeconds: 901 })),
  ],
  [
    "SendMessage over 1 MiB",
    (sqs, url) => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: "x".repeat(1_048_577) })),
  ],
  [
    "ChangeMessageVisibility beyond 12 hours",
    (sqs, url) =>
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: url,
          ReceiptHandle: "forged",
          VisibilityTimeout: 43_201,
        }),
      ),
  ],
];

/** The name of the SDK exception `call` fails with, or `(no error)`. */
function errorName(call: Promise<unknown>): Promise<string> {
  return call.then(
    () => "(no error)",
    (error: unknown) => (error instanceof Error ? error.name : String(error)),
  );
}

const motoMissing = motoUnavailableReason();
if (motoMissing !== undefined) console.warn(`skipping the moto differential tests: ${motoMissing}`);

describe.skipIf(motoMissing !== undefined)("the local SQS compared with moto_server", () => {
  let moto: MotoServer | undefined;
  let server: JsonProtocolServer;
  let store: QueueStore;
  let local: SQSClient;
  let remote: SQSClient;
  let localUrl: string;
  let motoUrl: string;

  beforeAll(async () => {
    moto = await startMoto();
    if (moto === undefined) throw new Error("moto_server is on the PATH but did not start");
    remote = new SQSClient(moto.clientConfig);
    motoUrl = (await remote.send(new CreateQueueCommand({ QueueName: "orders" }))).QueueUrl ?? "";
    server = await startJsonProtocolServer();
    localUrl = localQueueUrl(server.endpoint, ACCOUNT_ID, "orders");
    store = await QueueStore.open({
      queues: [{ name: "orders", arn: localQueueArn(REGION, ACCOUNT_ID, "orders"), url: localUrl }],
    });
    server.serve(
      createSqsService(store, { accountId: ACCOUNT_ID, region: REGION, endpoint: server.endpoint }),
    );
    local = new SQSClient({ ...moto.clientConfig, endpoint: server.endpoint });
  });

  afterAll(async () => {
    local?.destroy();
    remote?.destroy();
    await store?.close();
    await server?.close();
    await moto?.stop();
  });

  it.each(INVALID_CALLS)("fails %s with the same error code", async (_case, call) => {
    const expected = await errorName(call(remote, motoUrl));

    const actual = await errorName(call(local, localUrl));

    expect(expected).not.toBe("(no error)");
    expect(actual).toBe(expected);
  });

  it("computes the same MD5 of message attributes, including custom and binary types", async () => {
    const input = {
      MessageBody: "digest me",
      MessageAttributes: {
        tenant: { DataType: "String", StringValue: "acme" },
        amount: { DataType: "Number.float", StringValue: "4563442423554324324264524243.32543234" },
        payload: { DataType: "Binary", BinaryValue: new TextEncoder().encode("Hello binary world!") },
        "label.text": { DataType: "String.custom", StringValue: "ünïcödé ✓" },
      },
    };

    const expected = await remote.send(new SendMessageCommand({ QueueUrl: motoUrl, ...input }));
    const actual = await local.send(new SendMessageCommand({ QueueUrl: localUrl, ...input }));

    expect(actual.MD5OfMessageAttributes).toBe(expected.MD5OfMessageAttributes);
    expect(actual.MD5OfMessageBody).toBe(expected.MD5OfMessageBody);
  });
});
