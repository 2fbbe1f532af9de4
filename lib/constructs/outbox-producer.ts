import * as path from "node:path";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import * as dynamodb from "aws-cdk-lib/aws-dynamodb";
import * as iam from "aws-cdk-lib/aws-iam";
import * as nodejs from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";
import type { EventOutbox } from "./event-outbox";
import { acknowledgeTracingWildcard, FUNCTION_DEFAULTS } from "./function-defaults";

/** Properties of {@link OutboxProducer}. */
export interface OutboxProducerProps {
  /** The producer's name: `metadata.producer` of its events, its logs' service name. */
  readonly name: string;
  /** What it does, for the function's description. */
  readonly description: string;
  /** Handler entry file, relative to the project root. */
  readonly entry: string;
  /** The outbox its events go through. */
  readonly outbox: EventOutbox;
  /** Repository root, against which `entry` is resolved. */
  readonly projectRoot: string;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A producer that no queue drives (an API handler, a batch job) and that writes its state and its
 * events in one transaction: a Lambda function with a table of its own (`pk`, `sk`, named in
 * `STATE_TABLE_NAME`) and the outbox (`OUTBOX_TABLE_NAME`), allowed to write both and nothing else.
 * It has no PutEvents permission: its events reach the bus only through the outbox's pipe.
 */
export class OutboxProducer extends Construct {
  public readonly function: nodejs.NodejsFunction;
  /** The producer's own state. */
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: OutboxProducerProps) {
    super(scope, id);
    this.table = new dynamodb.Table(this, "Table", {
      partitionKey: { name: "pk", type: dynamodb.AttributeType.STRING },
      sortKey: { name: "sk", type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const logGroup = new logs.LogGroup(this, "LogGroup", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const role = new iam.Role(this, "Role", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `eventrail producer ${props.name}`,
    });
    logGroup.grantWrite(role);
    this.function = new nodejs.NodejsFunction(this, "Function", {
      role,
      description: `eventrail producer ${props.name}: ${props.description}`,
      entry: path.join(props.projectRoot, props.entry),
      handler: "handler",
      projectRoot: props.projectRoot,
      depsLockFilePath: path.join(props.projectRoot, "package-lock.json"),
      ...FUNCTION_DEFAULTS,
      memorySize: 256,
      timeout: Duration.seconds(10),
      logGroup,
      environment: {
        NODE_OPTIONS: "--enable-source-maps",
        POWERTOOLS_SERVICE_NAME: props.name,
        POWERTOOLS_METRICS_NAMESPACE: "eventrail",
        EVENTRAIL_PRODUCER: props.name,
        STATE_TABLE_NAME: this.table.tableName,
        OUTBOX_TABLE_NAME: props.outbox.table.tableName,
      },
    });
    this.table.grantReadWriteData(this.function);
    props.outbox.grantWrite(this.function);
    Validations.of(this.function).acknowledge({
      id: "Serverless::Serverless-LambdaDLQ",
      reason:
        "The producer is invoked synchronously: its caller gets the error and retries with the same orderId, which the transaction makes safe; an asynchronous DLQ would never receive anything.",
    });
    acknowledgeTracingWildcard(role);
  }
}
