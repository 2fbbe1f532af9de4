import { afterAll, describe, expect, it } from "vitest";
import { readLocalAssembly, UnsupportedFeatureError } from "../../../lib/local/assembly";
import { CloudAssemblyFixtures, type FixtureResource } from "./support/cloud-assembly-fixture";

const fixtures = new CloudAssemblyFixtures();
afterAll(() => fixtures.cleanUp());

async function read(resources: Record<string, FixtureResource>) {
  const cdkOutDir = await fixtures.writeTemplate({ Resources: resources });
  return readLocalAssembly({ cdkOutDir });
}

const keySchema = {
  KeySchema: [
    { AttributeName: "pk", KeyType: "HASH" },
    { AttributeName: "sk", KeyType: "RANGE" },
  ],
  AttributeDefinitions: [
    { AttributeName: "pk", AttributeType: "S" },
    { AttributeName: "sk", AttributeType: "N" },
  ],
};

describe("reading a DynamoDB table", () => {
  it.each(["AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable"])(
    "reads the key schema, attribute definitions and enabled TTL of an %s",
    async (type) => {
      // Act
      const { model } = await read({
        Table: {
          Type: type,
          Properties: {
            ...keySchema,
            TimeToLiveSpecification: { AttributeName: "expiration", Enabled: true },
          },
        },
      });

      // Assess
      expect(model.tables).toEqual([
        {
          logicalId: "Table",
          name: "Test-Table",
          arn: "arn:aws:dynamodb:us-east-1:000000000000:table/Test-Table",
          keySchema: keySchema.KeySchema,
          attributeDefinitions: keySchema.AttributeDefinitions,
          timeToLiveAttribute: "expiration",
        },
      ]);
    },
  );

  it("leaves out a TTL attribute that is not enabled", async () => {
    // Act
    const { model } = await read({
      Table: {
        Type: "AWS::DynamoDB::Table",
        Properties: {
          ...keySchema,
          TableName: "state",
          TimeToLiveSpecification: { AttributeName: "ttl", Enabled: false },
        },
      },
    });

    // Assess
    expect(model.tables[0]).not.toHaveProperty("timeToLiveAttribute");
    expect(model.tables[0]?.name).toBe("state");
  });

  it("refuses a key type DynamoDB does not know", async () => {
    // Act
    const reading = read({
      Table: {
        Type: "AWS::DynamoDB::Table",
        Properties: { KeySchema: [{ AttributeName: "pk", KeyType: "PARTITION" }] },
      },
    });

    // Assess
    await expect(reading).rejects.toThrow(
      'Resources.Table.Properties.KeySchema[0].KeyType: "PARTITION" is not one of HASH, RANGE',
    );
  });

  it("warns that secondary indexes are not emulated, and reads the table's stream", async () => {
    // Act
    const { warnings, model } = await read({
      Table: {
        Type: "AWS::DynamoDB::Table",
        Properties: {
          ...keySchema,
          GlobalSecondaryIndexes: [
            { IndexName: "bySk", KeySchema: [{ AttributeName: "sk", KeyType: "HASH" }] },
          ],
          StreamSpecification: { StreamViewType: "NEW_IMAGE" },
        },
      },
    });

    // Assess
    expect(warnings.map((warning) => warning.message)).toEqual([
      expect.stringMatching(/declares GlobalSecondaryIndexes, which the local model does not carry/),
    ]);
    expect(model.tables[0]?.stream).toEqual({
      viewType: "NEW_IMAGE",
      arn: expect.stringMatching(/:table\/.+\/stream\/1970-01-01T00:00:00\.000$/),
      label: "1970-01-01T00:00:00.000",
    });
  });
});

describe("reading a bucket", () => {
  it("uses the bucket's name, or generates a lower-case one", async () => {
    // Act
    const { model } = await read({
      Named: { Type: "AWS::S3::Bucket", Properties: { BucketName: "audit-events" } },
      Unnamed: { Type: "AWS::S3::Bucket" },
    });

    // Assess
    expect(model.buckets).toEqual([
      { logicalId: "Named", name: "audit-events" },
      { logicalId: "Unnamed", name: "test-unnamed" },
    ]);
  });

  it("refuses a bucket name S3 would refuse", async () => {
    // Act
    const reading = read({ Bucket: { Type: "AWS::S3::Bucket", Properties: { BucketName: "Audit_Events" } } });

    // Assess
    await expect(reading).rejects.toThrow(
      /S3 bucket name "Audit_Events" is invalid; the service accepts 3-63 lower-case letters/,
    );
  });
});

describe("reading a Firehose delivery stream", () => {
  const bucket: FixtureResource = { Type: "AWS::S3::Bucket", Properties: { BucketName: "audit" } };

  function aStream(
    destination: Record<string, unknown>,
    extra: Record<string, unknown> = {},
  ): FixtureResource {
    return {
      Type: "AWS::KinesisFirehose::DeliveryStream",
      Properties: {
        DeliveryStreamType: "DirectPut",
        ExtendedS3DestinationConfiguration: {
          BucketARN: { "Fn::GetAtt": ["Bucket", "Arn"] },
          ...destination,
        },
        ...extra,
      },
    };
  }

  async function readStream(stream: FixtureResource) {
    const { model, warnings } = await read({ Bucket: bucket, Stream: stream });
    return { stream: model.deliveryStreams[0], warnings };
  }

  it("reads the bucket, prefixes, buffering, compression and the newline processor", async () => {
    // Act
    const { stream } = await readStream(
      aStream({
        Prefix: "events/dt=!{timestamp:yyyy-MM-dd}/",
        ErrorOutputPrefix: "delivery-errors/!{firehose:error-output-type}/",
        BufferingHints: { IntervalInSeconds: 60, SizeInMBs: 64 },
        CompressionFormat: "GZIP",
        ProcessingConfiguration: {
          Enabled: true,
          Processors: [{ Type: "AppendDelimiterToRecord", Parameters: [] }],
        },
      }),
    );

    // Assess
    expect(stream).toEqual({
      logicalId: "Stream",
      name: "Test-Stream",
      arn: "arn:aws:firehose:us-east-1:000000000000:deliverystream/Test-Stream",
      bucketName: "audit",
      prefix: "events/dt=!{timestamp:yyyy-MM-dd}/",
      errorOutputPrefix: "delivery-errors/!{firehose:error-output-type}/",
      bufferingIntervalSeconds: 60,
      bufferingSizeMiB: 64,
      compression: "GZIP",
      appendNewline: true,
    });
  });

  it("gives a stream Firehose's defaults: 300 s, 5 MiB, uncompressed, no prefix, records back to back", async () => {
    // Act
    const { stream } = await readStream(aStream({}));

    // Assess
    expect(stream).toMatchObject({
      prefix: "",
      errorOutputPrefix: "",
      bufferingIntervalSeconds: 300,
      bufferingSizeMiB: 5,
      compression: "UNCOMPRESSED",
      appendNewline: false,
    });
  });

  it("reads the older S3DestinationConfiguration", async () => {
    // Act
    const { stream } = await readStream({
      Type: "AWS::KinesisFirehose::DeliveryStream",
      Properties: { S3DestinationConfiguration: { BucketARN: "arn:aws:s3:::audit", Prefix: "raw/" } },
    });

    // Assess
    expect(stream).toMatchObject({ bucketName: "audit", prefix: "raw/", appendNewline: false });
  });

  it("appends no newline when processing is disabled", async () => {
    // Act
    const { stream } = await readStream(
      aStream({
        ProcessingConfiguration: { Enabled: false, Processors: [{ Type: "AppendDelimiterToRecord" }] },
      }),
    );

    // Assess
    expect(stream?.appendNewline).toBe(false);
  });

  it("runs processors whose Enabled is absent, and warns that Firehose documents no default", async () => {
    // Act
    const { stream, warnings } = await readStream(
      aStream({ ProcessingConfiguration: { Processors: [{ Type: "AppendDelimiterToRecord" }] } }),
    );

    // Assess
    expect(stream?.appendNewline).toBe(true);
    expect(warnings).toEqual([
      expect.objectContaining({ message: expect.stringMatching(/without ProcessingConfiguration\.Enabled/) }),
    ]);
  });

  it.each([
    [
      "a Kinesis source",
      aStream({}, { DeliveryStreamType: "KinesisStreamAsSource" }),
      /of type KinesisStreamAsSource/,
    ],
    [
      "a Redshift destination",
      {
        Type: "AWS::KinesisFirehose::DeliveryStream",
        Properties: { RedshiftDestinationConfiguration: { ClusterJDBCURL: "jdbc:redshift://x" } },
      },
      /writes to RedshiftDestination; the local pipeline writes to S3 only/,
    ],
    ["ZIP compression", aStream({ CompressionFormat: "ZIP" }), /compresses with ZIP/],
    [
      "a Lambda processor",
      aStream({ ProcessingConfiguration: { Enabled: true, Processors: [{ Type: "Lambda" }] } }),
      /runs the Lambda processor; the local sink runs AppendDelimiterToRecord only/,
    ],
    [
      "format conversion",
      aStream({ DataFormatConversionConfiguration: { Enabled: true } }),
      /enables DataFormatConversion, which the local sink does not do/,
    ],
    [
      "dynamic partitioning",
      aStream({ DynamicPartitioningConfiguration: { Enabled: true } }),
      /enables DynamicPartitioning, which the local sink does not do/,
    ],
  ])("refuses %s", async (_feature, stream, message) => {
    // Act
    const reading = readStream(stream);

    // Assess
    await expect(reading).rejects.toThrow(UnsupportedFeatureError);
    await expect(reading).rejects.toThrow(message);
  });

  it("refuses a BucketARN that is not a bucket's", async () => {
    // Act
    const reading = readStream(aStream({ BucketARN: "arn:aws:s3:::audit/events" }));

    // Assess
    await expect(reading).rejects.toThrow(/BucketARN: "arn:aws:s3:::audit\/events" is not an S3 bucket ARN/);
  });
});
