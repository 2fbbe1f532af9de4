import { Duration, Names, RemovalPolicy, Size, Stack } from "aws-cdk-lib";
import * as athena from "aws-cdk-lib/aws-athena";
import * as glue from "aws-cdk-lib/aws-glue";
import * as iam from "aws-cdk-lib/aws-iam";
import * as kms from "aws-cdk-lib/aws-kms";
import * as s3 from "aws-cdk-lib/aws-s3";
import { Construct } from "constructs";
import { AuditConfigError, requireWholeNumberInRange } from "../audit/audit-config-error";
import {
  AUDIT_TABLE_NAME,
  type AuditColumnType,
  auditColumns,
  auditPartitionColumn,
  auditSerdeParameters,
} from "../audit/audit-table";
import {
  DEFAULT_EVENTS_PREFIX,
  PARTITION_COLUMN,
  PARTITION_DATE_FORMAT,
  partitionLocationTemplate,
} from "../audit/firehose-layout";
import { savedQueries } from "../audit/saved-queries";
import { AWS_LIMITS } from "../aws-limits";

/** Athena's smallest per-query cutoff: 10 MB. */
const MINIMUM_CUTOFF_BYTES = 10_000_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const GLUE_TYPES: Record<AuditColumnType, glue.Type> = {
  string: glue.Schema.STRING,
  "array<string>": glue.Schema.array(glue.Schema.STRING),
};

/** Settings of the audit table and workgroup that {@link AuditTrail} passes through. */
export interface AuditQueryOptions {
  /**
   * Name of the Glue database. Lower-case letters, digits and `_`.
   * @default - generated from the construct path, unique in the account
   */
  readonly databaseName?: string;
  /**
   * Name of the Athena workgroup.
   * @default - generated from the construct path, unique in the account
   */
  readonly workGroupName?: string;
  /**
   * Most bytes one query may scan before Athena cancels it; it bounds what one query can cost.
   * At least 10 MB (Athena's minimum).
   * @default Size.gibibytes(1)
   */
  readonly bytesScannedCutoffPerQuery?: Size;
  /**
   * How long query results stay in the results bucket.
   * @default Duration.days(30)
   */
  readonly resultsExpiration?: Duration;
  /**
   * First day (UTC, `yyyy-MM-dd`) the partition projection covers; days before it cannot be queried.
   * Set it to the day the audit trail was first deployed or earlier.
   * @default "2026-01-01"
   */
  readonly partitionsFrom?: string;
}

/** Properties of {@link AuditQueryEngine}. */
export interface AuditQueryEngineProps extends AuditQueryOptions {
  /** The bucket the audit events are in. */
  readonly bucket: s3.IBucket;
  /**
   * The prefix the `dt=` partitions are under; ends with `/`.
   * @default "events/"
   */
  readonly eventsPrefix?: string;
  /**
   * Key that encrypts query results.
   * @default - a new customer-managed key with rotation
   */
  readonly encryptionKey?: kms.IKey;
  /**
   * Bucket that receives the results bucket's server access logs.
   * @default - no server access logs for the results bucket
   */
  readonly serverAccessLogsBucket?: s3.IBucket;
  /**
   * What happens to the results bucket and the generated key when they leave the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * Glue and Athena over the audit trail: a database, a JSON table whose `dt` partitions are projected
 * (so no crawler and no `MSCK REPAIR TABLE`, ever), a workgroup that enforces its settings (encrypted
 * results in its own bucket that expire, a cap on bytes scanned per query) and the saved queries
 * of `lib/audit/saved-queries.ts` as named queries.
 */
export class AuditQueryEngine extends Construct {
  /** The Glue database. */
  public readonly database: glue.Database;
  /** The table over the audit events. */
  public readonly table: glue.S3Table;
  /** Key that encrypts query results. */
  public readonly encryptionKey: kms.IKey;
  /** Where Athena writes query results; they expire after `resultsExpiration`. */
  public readonly resultsBucket: s3.Bucket;
  /** The workgroup every audit query runs in. */
  public readonly workGroup: athena.CfnWorkGroup;
  /** The workgroup's name. */
  public readonly workGroupName: string;
  /** One named query per saved query, keyed by its name. */
  public readonly namedQueries: Readonly<Record<string, athena.CfnNamedQuery>>;
  /** The cap on bytes scanned by one query. */
  public readonly bytesScannedCutoffPerQuery: Size;

  constructor(scope: Construct, id: string, props: AuditQueryEngineProps) {
    super(scope, id);
    const eventsPrefix = props.eventsPrefix ?? DEFAULT_EVENTS_PREFIX;
    const partitionsFrom = props.partitionsFrom ?? "2026-01-01";
    const cutoff = props.bytesScannedCutoffPerQuery ?? Size.gibibytes(1);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const resultsExpiration = props.resultsExpiration ?? Duration.days(30);
    this.validate(partitionsFrom, cutoff, resultsExpiration);
    this.bytesScannedCutoffPerQuery = cutoff;

    this.database = new glue.Database(this, "Database", {
      databaseName: props.databaseName ?? this.generatedName("_", 255).toLowerCase(),
      description: "eventrail audit trail: every event on the bus, as delivered by Firehose",
    });

    this.table = new glue.S3Table(this, "Table", {
      database: this.database,
      tableName: AUDIT_TABLE_NAME,
      description: "EventBridge events, one JSON object per line, gzip, partitioned by arrival date",
      storage: glue.S3TableStorage.fromBucket(props.bucket),
      s3Prefix: eventsPrefix,
      dataFormat: glue.DataFormat.JSON,
      compressed: true,
      // has_encrypted_data is for client-side (CSE-KMS) data; these objects are SSE-KMS, which S3
      // decrypts for any reader allowed to use the key.
      hasEncryptedData: false,
      columns: auditColumns.map((c) => ({
        name: c.name,
        type: GLUE_TYPES[c.type],
        comment: c.comment,
      })),
      partitionKeys: [
        {
          name: auditPartitionColumn.name,
          type: glue.Schema.STRING,
          comment: auditPartitionColumn.comment,
        },
      ],
      partitionProjection: {
        [PARTITION_COLUMN]: glue.PartitionProjectionConfiguration.date({
          min: partitionsFrom,
          max: "NOW",
          format: PARTITION_DATE_FORMAT,
          step: { interval: 1, intervalUnit: glue.DateIntervalUnit.DAYS },
        }),
      },
      parameters: {
        "storage.location.template": partitionLocationTemplate(props.bucket.bucketName, eventsPrefix),
      },
    });
    // The L2 table has no SerDe parameters; the key mapping and exact key matching live there.
    (this.table.node.defaultChild as glue.CfnTable).addPropertyOverride(
      "TableInput.StorageDescriptor.SerdeInfo.Parameters",
      auditSerdeParameters(),
    );

    this.encryptionKey =
      props.encryptionKey ??
      new kms.Key(this, "Key", {
        description: "eventrail: encrypts Athena results of audit queries",
        enableKeyRotation: true,
        removalPolicy,
      });

    this.resultsBucket = new s3.Bucket(this, "ResultsBucket", {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.encryptionKey,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.serverAccessLogsBucket,
      serverAccessLogsPrefix: props.serverAccessLogsBucket ? "athena-results/" : undefined,
      lifecycleRules: [
        {
          id: "expire-query-results",
          expiration: resultsExpiration,
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      removalPolicy,
    });

    this.workGroupName = props.workGroupName ?? this.generatedName("-", 128);
    this.workGroup = new athena.CfnWorkGroup(this, "WorkGroup", {
      name: this.workGroupName,
      description: "eventrail audit queries: enforced settings, encrypted results, bytes scanned capped",
      state: "ENABLED",
      // The named queries belong to the stack, which deletes them with the workgroup.
      recursiveDeleteOption: true,
      workGroupConfiguration: {
        enforceWorkGroupConfiguration: true,
        publishCloudWatchMetricsEnabled: true,
        bytesScannedCutoffPerQuery: cutoff.toBytes(),
        engineVersion: { selectedEngineVersion: "Athena engine version 3" },
        resultConfiguration: {
          outputLocation: this.resultsBucket.s3UrlForObject("results/"),
          expectedBucketOwner: Stack.of(this).account,
          encryptionConfiguration: { encryptionOption: "SSE_KMS", kmsKey: this.encryptionKey.keyArn },
        },
      },
    });

    this.namedQueries = Object.fromEntries(
      savedQueries.map((query) => {
        const namedQuery = new athena.CfnNamedQuery(this, `Query-${query.name}`, {
          name: query.name,
          description: query.description,
          database: this.database.databaseName,
          queryString: query.sql,
          workGroup: this.workGroup.ref,
        });
        return [query.name, namedQuery];
      }),
    );
  }

  /**
   * Lets `grantee` run queries in the workgroup: Athena on the workgroup, Glue reads on the
   * catalog, database and table, reads of the audit events (and their key), and read-write on the
   * results bucket (and its key).
   */
  public grantQuery(grantee: iam.IGrantable): iam.Grant {
    const stack = Stack.of(this);
    const athenaGrant = iam.Grant.addToPrincipal({
      grantee,
      actions: [
        "athena:StartQueryExecution",
        "athena:StopQueryExecution",
        "athena:GetQueryExecution",
        "athena:GetQueryResults",
        "athena:GetWorkGroup",
        "athena:ListNamedQueries",
        "athena:GetNamedQuery",
        "athena:BatchGetNamedQuery",
      ],
      resourceArns: [
        stack.formatArn({ service: "athena", resource: "workgroup", resourceName: this.workGroupName }),
      ],
    });
    const catalogGrant = iam.Grant.addToPrincipal({
      grantee,
      actions: ["glue:GetDatabase", "glue:GetTable", "glue:GetPartitions"],
      resourceArns: [this.database.catalog.catalogArn, this.database.databaseArn, this.table.tableArn],
    });
    return athenaGrant
      .combine(catalogGrant)
      .combine(this.table.grantRead(grantee))
      .combine(this.resultsBucket.grantReadWrite(grantee));
  }

  private validate(partitionsFrom: string, cutoff: Size, resultsExpiration: Duration): void {
    requireWholeNumberInRange(
      "AuditQueryEngine",
      "resultsExpiration",
      resultsExpiration.toDays({ integral: false }),
      { ...AWS_LIMITS.s3ExpirationDays, defaultValue: "30 days" },
    );
    if (!DATE.test(partitionsFrom) || Number.isNaN(Date.parse(`${partitionsFrom}T00:00:00Z`))) {
      throw new AuditConfigError(
        `AuditQueryEngine: partitionsFrom is "${partitionsFrom}"; expected a date yyyy-MM-dd such as "2026-01-01"`,
      );
    }
    if (cutoff.toBytes() < MINIMUM_CUTOFF_BYTES) {
      throw new AuditConfigError(
        `AuditQueryEngine: bytesScannedCutoffPerQuery is ${cutoff.toBytes()} bytes; expected at least ${MINIMUM_CUTOFF_BYTES} bytes (10 MB, Athena's minimum); raise bytesScannedCutoffPerQuery, or leave it out for the default, 1 GiB`,
      );
    }
  }

  private generatedName(separator: string, maxLength: number): string {
    return Names.uniqueResourceName(this, { separator, maxLength });
  }
}
