import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import {
  type AuditEventCounter,
  athenaAuditEventCounter,
  localAuditEventCounter,
} from "../../ops/audit-event-count";
import {
  cancelArchiveReplay,
  dryRunArchiveReplay,
  listArchiveReplays,
  type ReplayStatus,
  replayProgress,
  startArchiveReplay,
  waitForReplay,
} from "../../ops/replay";
import { formatDuration, formatTimeWindow, parseTimeWindow, TimeWindowError } from "../../ops/time-window";
import { CliUsageError, defineCommand, ExitCode } from "../command";
import { defineCommandGroup } from "../command-group";
import { paint, writeLine } from "../io";
import { OPS_TARGET_USAGE, type OpsTarget, opsTargetOptions, resolveOpsTarget } from "../ops-target";
import { noProgressBar, progressBar } from "../progress-bar";
import { renderTable, type TableCell } from "../table";

/** How often the local pipeline is asked for progress: it answers at once and replays fast. */
const LOCAL_POLL_MS = 200;
/** EventBridge replays in 1-minute slices; asking more often than this shows nothing new. */
const AWS_POLL_MS = 5_000;

const startCommand = defineCommand({
  name: "replay start",
  summary: "Replay a window of the archive to every rule, or to chosen subscriptions (default).",
  description: [
    "Starts an EventBridge replay of the events whose time lies in [--from, --to) from the stack's archive to",
    "its bus, to every rule or only to the rules of the --subscription(s) named, and shows its progress until",
    "it ends (Ctrl-C stops watching; the replay goes on: see 'replay list', stop it with 'replay cancel').",
    "Replayed events carry replay-name; consumers are idempotent on detail.metadata.eventId.",
    "Events reach the archive up to ~10 minutes late, so a window ending less than 10 minutes ago is refused",
    "unless --force. --dry-run counts the window's events in the audit trail instead (local: the audit files;",
    "AWS: one Athena query through the stack's workgroup) and starts nothing.",
    "Times: now, an age (90s, 30m, 2h, 1d, 1h30m) or ISO 8601 (2026-03-01T08:00:00Z).",
  ].join("\n"),
  usage: `--from TIME [--to TIME] [--subscription NAME]... [--dry-run] [--force] [--json] ${OPS_TARGET_USAGE}`,
  options: {
    from: {
      type: "string",
      valueName: "TIME",
      required: true,
      description: "Start of the window (inclusive).",
    },
    to: {
      type: "string",
      valueName: "TIME",
      description: 'End of the window (exclusive; default "10m": 10 minutes ago).',
    },
    subscription: {
      type: "string",
      valueName: "NAME",
      description:
        "Replay to this subscription's rule only; repeat it (or a,b) for several. Default: every rule.",
    },
    name: {
      type: "string",
      valueName: "NAME",
      description: "The replay's name (default replay-<time>-<subscriptions>-<hex>).",
    },
    force: {
      type: "boolean",
      description: "Allow a window ending less than 10 minutes ago (the archive may lag).",
    },
    "dry-run": {
      type: "boolean",
      description: "Count the window's events in the audit trail; replay nothing.",
    },
    "no-wait": { type: "boolean", description: "Start the replay and return without watching it." },
    json: { type: "boolean", description: "Print the replay (and its final state) as JSON." },
    ...opsTargetOptions,
  },
  examples: [
    "eventrail replay --from 2h --to 1h --subscription inventory --region eu-west-1",
    "eventrail replay --from 2026-03-01T08:00:00Z --to 2026-03-01T09:00:00Z --subscription inventory --subscription analytics",
    "eventrail replay --from 30m --to now --force --local",
    "eventrail replay --from 1d --dry-run --local",
  ],
  async run(options, io) {
    const now = new Date();
    const window = await refusalsAsUsage(() => parseTimeWindow(options.from, options.to ?? "10m", now));
    const subscriptions = (options.subscription ?? "")
      .split(",")
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    const target = await resolveOpsTarget(options, {
      env: io.env,
      ...(options["dry-run"] ? { notice: (line: string) => writeLine(io.stderr, line) } : {}),
    });
    const eventBridge = new EventBridgeClient(target.clientConfig);
    const request = { window, subscriptions, name: options.name, force: options.force, now };

    if (options["dry-run"]) {
      const counter = await auditCounter(target);
      const dryRun = await refusalsAsUsage(() =>
        dryRunArchiveReplay(eventBridge, target.resources, request, counter),
      );
      if (options.json) {
        writeLine(io.stdout, JSON.stringify({ dryRun: true, ...dryRun }, null, 2));
        return ExitCode.ok;
      }
      writeLine(
        io.stdout,
        `Dry run (nothing replayed): ${paint(io.stdout, "bold", dryRun.events.toLocaleString("en-US"))} event(s) in ${formatTimeWindow(window)}, counted from ${dryRun.countedWith}.`,
      );
      writeLine(
        io.stdout,
        `A replay would send them to ${destination(dryRun.subscriptions)}, which receive those their patterns match.`,
      );
      return ExitCode.ok;
    }

    const started = await refusalsAsUsage(() => startArchiveReplay(eventBridge, target.resources, request));
    if (!options.json) {
      writeLine(
        io.stdout,
        `Replay ${paint(io.stdout, "bold", started.name)} started: ${formatTimeWindow(window)} from archive ${target.resources.archiveName} to ${destination(started.subscriptions)} (${target.label}).`,
      );
    }
    if (options["no-wait"]) {
      if (options.json) writeLine(io.stdout, JSON.stringify({ replay: started }, null, 2));
      else
        writeLine(
          io.stdout,
          `Follow it with "eventrail replay list"; stop it with "eventrail replay cancel ${started.name}".`,
        );
      return ExitCode.ok;
    }
    const bar = options.json ? noProgressBar : progressBar(io.stderr);
    const final = await waitForReplay(eventBridge, started.name, {
      pollIntervalMs: target.kind === "local" ? LOCAL_POLL_MS : AWS_POLL_MS,
      onProgress: (status) => bar.update(replayProgress(status), progressStatus(status)),
    });
    bar.clear();
    if (options.json) {
      writeLine(io.stdout, JSON.stringify({ replay: started, final }, null, 2));
    } else {
      const took =
        final.replayStartTime && final.replayEndTime
          ? ` in ${formatDuration(final.replayEndTime.getTime() - final.replayStartTime.getTime())}`
          : "";
      const style = final.state === "COMPLETED" ? "green" : "red";
      const reason = final.stateReason ? `: ${final.stateReason}` : "";
      writeLine(io.stdout, `Replay ${started.name} ${paint(io.stdout, style, final.state)}${took}${reason}.`);
    }
    return final.state === "COMPLETED" ? ExitCode.ok : ExitCode.failure;
  },
});

const listCommand = defineCommand({
  name: "replay list",
  summary: "List the replays of the stack's archive, newest first, with their state and progress.",
  usage: `[--json] ${OPS_TARGET_USAGE}`,
  options: {
    json: { type: "boolean", description: "Print { replays: [...] } as JSON." },
    ...opsTargetOptions,
  },
  examples: ["eventrail replay list --region eu-west-1", "eventrail replay list --local --json"],
  async run(options, io) {
    const target = await resolveOpsTarget(options, { env: io.env });
    const replays = await listArchiveReplays(new EventBridgeClient(target.clientConfig), target.resources);
    if (options.json) {
      writeLine(io.stdout, JSON.stringify({ replays }, null, 2));
      return ExitCode.ok;
    }
    if (replays.length === 0) {
      writeLine(io.stdout, `No replays of archive ${target.resources.archiveName} (${target.label}).`);
      return ExitCode.ok;
    }
    const rows = replays.map((r): TableCell[] => [
      r.name,
      { text: r.state, style: stateStyle(r.state) },
      r.eventStartTime && r.eventEndTime
        ? formatTimeWindow({ start: r.eventStartTime, end: r.eventEndTime })
        : "?",
      percent(replayProgress(r)),
      r.replayStartTime?.toISOString() ?? "",
      r.replayEndTime?.toISOString() ?? "",
    ]);
    writeLine(
      io.stdout,
      renderTable(io.stdout, ["REPLAY", "STATE", "WINDOW", "DONE", "STARTED", "ENDED"], rows),
    );
    return ExitCode.ok;
  },
});

const cancelCommand = defineCommand({
  name: "replay cancel",
  summary: "Cancel a running replay by name; EventBridge stops it before its next slice.",
  usage: `NAME [--json] ${OPS_TARGET_USAGE}`,
  options: {
    replay: { type: "string", valueName: "NAME", description: "The replay to cancel (or give NAME first)." },
    json: { type: "boolean", description: "Print { name, state } as JSON." },
    ...opsTargetOptions,
  },
  examples: ["eventrail replay cancel replay-20260301T083000Z-inventory-3f9a --region eu-west-1"],
  async run(options, io) {
    const name = options.replay;
    if (name === undefined) {
      throw new CliUsageError(
        'replay cancel needs the replay\'s NAME; see "eventrail replay list" for the names.',
      );
    }
    const target = await resolveOpsTarget(options, { env: io.env });
    const cancelled = await cancelArchiveReplay(new EventBridgeClient(target.clientConfig), name);
    if (options.json) writeLine(io.stdout, JSON.stringify(cancelled, null, 2));
    else
      writeLine(io.stdout, `Replay ${name} is ${cancelled.state}; events already replayed stay delivered.`);
    return ExitCode.ok;
  },
});

/** `eventrail replay`: start, list and cancel archive replays. */
export const replayCommand = defineCommandGroup({
  name: "replay",
  summary: "Replay archived events to every rule or to chosen subscriptions; list and cancel replays.",
  description:
    "Replays come from the stack's EventBridge archive and go to its bus, optionally only to the rules of\n" +
    "chosen subscriptions. Resources are found from the stack's outputs (--stack, default Eventrail) or, with\n" +
    "--local, from the local pipeline's assembly.",
  subcommands: [
    { command: startCommand, repeatable: ["subscription"] },
    { command: listCommand },
    { command: cancelCommand, positional: "replay" },
  ],
  defaultSubcommand: "start",
  examples: [
    "eventrail replay --from 2h --to 1h --subscription inventory",
    "eventrail replay --from 1d --dry-run --local",
    "eventrail replay list --local",
    "eventrail replay cancel replay-20260301T083000Z-inventory-3f9a",
  ],
});

async function auditCounter(target: OpsTarget): Promise<AuditEventCounter> {
  const { resources } = target;
  if (target.kind === "local" && target.stateDir !== undefined) {
    return localAuditEventCounter({
      stateDir: target.stateDir,
      bucketName: resources.auditBucketName,
      eventsPrefix: resources.auditEventsPrefix,
    });
  }
  // Loaded here: the local pipeline's audit files are counted without it.
  const { AthenaClient } = await import("@aws-sdk/client-athena");
  return athenaAuditEventCounter({
    athena: new AthenaClient(target.clientConfig),
    workGroup: resources.athenaWorkGroup,
    database: resources.athenaDatabase,
  });
}

function destination(subscriptions: readonly string[]): string {
  return subscriptions.length === 0 ? "every rule of the bus" : `the rule(s) of ${subscriptions.join(", ")}`;
}

function progressStatus(status: ReplayStatus): string {
  const last = status.eventLastReplayedTime
    ? `, replayed up to ${status.eventLastReplayedTime.toISOString()}`
    : "";
  return `${status.state}${last}`;
}

function percent(fraction: number | undefined): string {
  return fraction === undefined ? "?" : `${Math.floor(fraction * 100)}%`;
}

function stateStyle(state: string): "green" | "red" | "yellow" {
  if (state === "COMPLETED") return "green";
  if (state === "FAILED" || state === "CANCELLED") return "red";
  return "yellow";
}

/** A time that is no time, or a window the archive may not have caught up with, is a wrong command line: exit code 2. */
async function refusalsAsUsage<T>(work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TimeWindowError) throw new CliUsageError(error.message, { cause: error });
    throw error;
  }
}
