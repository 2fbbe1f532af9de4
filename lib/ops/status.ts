import { readdir, stat } from "node:fs/promises";
import * as path from "node:path";
import {
  DescribeArchiveCommand,
  DescribeRuleCommand,
  type EventBridgeClient,
} from "@aws-sdk/client-eventbridge";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { PARTITION_COLUMN } from "../audit/firehose-layout";
import type { DeliveryStreamStatus } from "../local/firehose/delivery-stream-sink";
import { type LocalAuditLocation, localAuditEventsRoot } from "./audit-event-count";
import type { LocalPipeHealth, OutboxStatus } from "./outbox";
import { queueDepth } from "./queue-depth";
import type { StackResources } from "./stack-resources";

/** One audit object: the newest tells whether the audit trail is still writing. */
export interface AuditObject {
  /** The object key (local: the path below the bucket folder). */
  readonly key: string;
  readonly lastModified: Date;
  readonly sizeBytes: number;
}

/** Finds the newest object of the audit trail. */
export interface AuditObjectFinder {
  /** Where it looks, for output, e.g. `s3://bucket/events/`. */
  readonly location: string;
  /** The newest object, or undefined when there is none. */
  newestObject(now: Date): Promise<AuditObject | undefined>;
}

/** A subscription at a glance. */
export interface SubscriptionStatus {
  readonly name: string;
  readonly ruleName: string;
  /** ENABLED or DISABLED from DescribeRule; MISSING when the rule does not exist. */
  readonly ruleState: string;
  /** Messages waiting in the subscription's queue. */
  readonly queueDepth: number;
  /** Messages its consumer is processing (received, not yet deleted). */
  readonly inFlight: number;
  /** Messages its consumer failed `maxReceiveCount` times. */
  readonly deadLetterDepth: number;
  /** Events EventBridge could not deliver to the queue. */
  readonly targetDeadLetterDepth: number;
  /** The consumer function's name. */
  readonly consumer: string;
}

/** The whole stack at a glance. */
export interface PipelineStatus {
  readonly stackName: string;
  readonly bus: { readonly name: string; readonly arn: string };
  readonly archive: {
    readonly name: string;
    readonly state?: string;
    readonly sizeBytes?: number;
    readonly eventCount?: number;
    /** 0: kept forever. */
    readonly retentionDays?: number;
  };
  readonly subscriptions: readonly SubscriptionStatus[];
  readonly audit: {
    readonly location: string;
    /** Events the audit rule could not deliver to Firehose. */
    readonly targetDeadLetterDepth: number;
    readonly newestObject?: AuditObject;
    /**
     * Local pipeline only: each audit stream's records waiting to be written and whether writing
     * objects fails (the local equivalent of the audit delivery alarms).
     */
    readonly delivery?: readonly AuditDeliveryStatus[];
  };
  /** The transactional outbox; undefined for a stack without one. */
  readonly outbox?: OutboxStatus;
}

/** A local audit stream's delivery, as the pipeline's `GET /health` reports it. */
export type AuditDeliveryStatus = DeliveryStreamStatus;

/**
 * The local pipeline's audit streams, from its `GET /health`; undefined when the endpoint does not
 * answer with them (not a local pipeline, or an older one).
 */
export async function localAuditDelivery(
  endpoint: string,
): Promise<readonly AuditDeliveryStatus[] | undefined> {
  const health = await localHealth(endpoint);
  return Array.isArray(health?.audit) ? (health.audit as AuditDeliveryStatus[]) : undefined;
}

/**
 * The local pipeline's pipes and their backlogs, from its `GET /health`; undefined when the
 * endpoint does not answer with them.
 */
export async function localPipes(endpoint: string): Promise<readonly LocalPipeHealth[] | undefined> {
  const health = await localHealth(endpoint);
  return Array.isArray(health?.pipes) ? (health.pipes as LocalPipeHealth[]) : undefined;
}

/** The local pipeline's `GET /health` answer; undefined when nothing (or something else) answers. */
async function localHealth(endpoint: string): Promise<{ audit?: unknown; pipes?: unknown } | undefined> {
  const { get } = await import("node:http");
  return new Promise((resolve) => {
    const request = get(new URL("/health", endpoint), { timeout: 2_000 }, (response) => {
      let text = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        text += chunk;
      });
      response.on("end", () => {
        try {
          const health: unknown = JSON.parse(text);
          resolve(
            health !== null && typeof health === "object" ? (health as { audit?: unknown }) : undefined,
          );
        } catch {
          resolve(undefined);
        }
      });
    });
    request.on("timeout", () => request.destroy());
    request.on("error", () => resolve(undefined));
  });
}

/** The clients {@link getPipelineStatus} uses. */
export interface StatusClients {
  readonly eventBridge: EventBridgeClient;
  readonly sqs: SQSClient;
}

/**
 * The stack at a glance: the bus, each subscription's rule state, queue depth, in-flight count,
 * DLQ and target-DLQ depths and consumer, the archive's size and event count, the audit trail's
 * DLQ depth and newest object. Calls run in parallel.
 */
export async function getPipelineStatus(
  clients: StatusClients,
  resources: StackResources,
  audit: AuditObjectFinder,
  now: Date = new Date(),
): Promise<PipelineStatus> {
  const [archive, subscriptions, auditDlq, newestObject] = await Promise.all([
    clients.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: resources.archiveName })),
    Promise.all(resources.subscriptions.map((s) => subscriptionStatus(clients, resources, s))),
    queueDepth(clients.sqs, resources.auditDeadLetterQueueUrl),
    audit.newestObject(now),
  ]);
  return {
    stackName: resources.stackName,
    bus: { name: resources.eventBusName, arn: resources.eventBusArn },
    archive: {
      name: resources.archiveName,
      state: archive.State,
      sizeBytes: archive.SizeBytes,
      eventCount: archive.EventCount,
      retentionDays: archive.RetentionDays,
    },
    subscriptions,
    audit: { location: audit.location, targetDeadLetterDepth: auditDlq.depth, newestObject },
  };
}

async function subscriptionStatus(
  clients: StatusClients,
  resources: StackResources,
  subscription: StackResources["subscriptions"][number],
): Promise<SubscriptionStatus> {
  const bar = subscription.ruleName.lastIndexOf("|");
  const busName = bar < 0 ? resources.eventBusName : subscription.ruleName.slice(0, bar);
  const ruleName = subscription.ruleName.slice(bar + 1);
  const [ruleState, queue, dlq, targetDlq] = await Promise.all([
    clients.eventBridge.send(new DescribeRuleCommand({ Name: ruleName, EventBusName: busName })).then(
      (rule) => rule.State ?? "UNKNOWN",
      (error: unknown) => {
        if (error instanceof Error && error.name === "ResourceNotFoundException") return "MISSING";
        throw error;
      },
    ),
    queueDepth(clients.sqs, subscription.queueUrl),
    queueDepth(clients.sqs, subscription.deadLetterQueueUrl),
    queueDepth(clients.sqs, subscription.targetDeadLetterQueueUrl),
  ]);
  return {
    name: subscription.name,
    ruleName,
    ruleState,
    queueDepth: queue.depth,
    inFlight: queue.inFlight,
    deadLetterDepth: dlq.depth,
    targetDeadLetterDepth: targetDlq.depth,
    consumer: subscription.functionName,
  };
}

/** The newest file under the local pipeline's audit folder (every `dt=` partition). */
export function localAuditObjectFinder(location: LocalAuditLocation): AuditObjectFinder {
  const root = localAuditEventsRoot(location);
  const bucketDir = path.join(location.stateDir, "s3", location.bucketName);
  return {
    location: root,
    async newestObject() {
      const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(
        (error: NodeJS.ErrnoException) => {
          if (error.code === "ENOENT") return [];
          throw error;
        },
      );
      let newest: AuditObject | undefined;
      for (const entry of entries) {
        if (!entry.isFile() || !entry.name.endsWith(".gz")) continue;
        const file = path.join(entry.parentPath, entry.name);
        const info = await stat(file);
        if (newest === undefined || info.mtime.getTime() > newest.lastModified.getTime()) {
          newest = {
            key: path.relative(bucketDir, file).split(path.sep).join("/"),
            lastModified: info.mtime,
            sizeBytes: info.size,
          };
        }
      }
      return newest;
    },
  };
}

/** Where the audit objects are in S3. */
export interface S3AuditLocation {
  readonly s3: S3Client;
  readonly bucketName: string;
  /** e.g. `events/` */
  readonly eventsPrefix: string;
}

/**
 * The newest object of today's and yesterday's `dt=` partitions (UTC), by LastModified: partitions
 * are by arrival date, so a trail that is still writing has its newest object there; listing only
 * two partitions keeps the call count small however long the trail is.
 */
export function s3AuditObjectFinder(location: S3AuditLocation): AuditObjectFinder {
  return {
    location: `s3://${location.bucketName}/${location.eventsPrefix}`,
    async newestObject(now) {
      // Loaded here: a local pipeline's status reads its files and never needs the S3 client.
      const { ListObjectsV2Command } = await import("@aws-sdk/client-s3");
      const days = [now, new Date(now.getTime() - 86_400_000)].map((d) => d.toISOString().slice(0, 10));
      let newest: AuditObject | undefined;
      for (const day of days) {
        let token: string | undefined;
        do {
          const page = await location.s3.send(
            new ListObjectsV2Command({
              Bucket: location.bucketName,
              Prefix: `${location.eventsPrefix}${PARTITION_COLUMN}=${day}/`,
              ContinuationToken: token,
            }),
          );
          for (const object of page.Contents ?? []) {
            if (object.Key === undefined || object.LastModified === undefined) continue;
            if (newest === undefined || object.LastModified.getTime() > newest.lastModified.getTime()) {
              newest = { key: object.Key, lastModified: object.LastModified, sizeBytes: object.Size ?? 0 };
            }
          }
          token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
        } while (token !== undefined);
      }
      return newest;
    },
  };
}
