import {
  CancelReplayCommand,
  DescribeReplayCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  ListReplaysCommand,
  StartReplayCommand,
} from "@aws-sdk/client-eventbridge";
import { mockClient } from "aws-sdk-client-mock";
import { beforeEach, describe, expect, it } from "vitest";
import type { AuditEventCounter } from "../../lib/ops/audit-event-count";
import {
  cancelArchiveReplay,
  defaultReplayName,
  dryRunArchiveReplay,
  listArchiveReplays,
  ReplayError,
  type ReplayStatus,
  replayProgress,
  startArchiveReplay,
  waitForReplay,
} from "../../lib/ops/replay";
import { StackResourcesError } from "../../lib/ops/stack-resources";
import { TimeWindowError } from "../../lib/ops/time-window";
import { aStack, ruleArn } from "./stack-fixture";

const eventBridge = mockClient(EventBridgeClient);
const client = () => new EventBridgeClient({ region: "eu-west-1" });
const NOW = new Date("2026-03-01T12:00:00Z");
const WINDOW = { start: new Date("2026-03-01T08:00:00Z"), end: new Date("2026-03-01T10:00:00Z") };

beforeEach(() => {
  eventBridge.reset();
  for (const name of ["inventory", "analytics"]) {
    eventBridge
      .on(DescribeRuleCommand, { Name: `Eventrail-${name}Rule`, EventBusName: "eventrail" })
      .resolves({ Name: `Eventrail-${name}Rule`, Arn: ruleArn(name) });
  }
  eventBridge.on(StartReplayCommand).callsFake((input: { ReplayName: string }) => ({
    ReplayArn: `arn:aws:events:eu-west-1:123456789012:replay/${input.ReplayName}`,
    State: "STARTING",
  }));
});

describe("startArchiveReplay", () => {
  it("replays the window from the archive to the bus, limited to the chosen subscriptions' rules", async () => {
    // Act
    const started = await startArchiveReplay(client(), aStack(), {
      window: WINDOW,
      subscriptions: ["inventory", "analytics"],
      name: "fix-1",
      now: NOW,
    });

    // Assess
    expect(eventBridge.commandCalls(StartReplayCommand)[0]?.args[0].input).toEqual({
      ReplayName: "fix-1",
      Description: "eventrail replay to inventory, analytics",
      EventSourceArn: aStack().archiveArn,
      EventStartTime: WINDOW.start,
      EventEndTime: WINDOW.end,
      Destination: { Arn: aStack().eventBusArn, FilterArns: [ruleArn("inventory"), ruleArn("analytics")] },
    });
    expect(started).toMatchObject({
      name: "fix-1",
      state: "STARTING",
      subscriptions: ["inventory", "analytics"],
    });
  });

  it("replays to every rule of the bus when no subscription is chosen", async () => {
    // Act
    const started = await startArchiveReplay(client(), aStack(), { window: WINDOW, now: NOW });

    // Assess
    const input = eventBridge.commandCalls(StartReplayCommand)[0]?.args[0].input;
    expect(input?.Destination).toEqual({ Arn: aStack().eventBusArn });
    expect(started.name).toMatch(/^replay-20260301T120000Z-all-[0-9a-f]{4}$/);
  });

  it("refuses a window ending less than 10 minutes ago, before any call, unless forced", async () => {
    // Prepare
    const recent = { start: new Date("2026-03-01T11:00:00Z"), end: new Date("2026-03-01T11:55:00Z") };

    // Act
    const refused = startArchiveReplay(client(), aStack(), { window: recent, now: NOW });
    const forced = await startArchiveReplay(client(), aStack(), { window: recent, now: NOW, force: true });

    // Assess
    await expect(refused).rejects.toThrow(TimeWindowError);
    expect(forced.window).toEqual(recent);
    expect(eventBridge.commandCalls(StartReplayCommand)).toHaveLength(1);
  });

  it("refuses an unknown subscription without starting anything", async () => {
    const starting = startArchiveReplay(client(), aStack(), {
      window: WINDOW,
      subscriptions: ["payments"],
      now: NOW,
    });
    await expect(starting).rejects.toThrow(StackResourcesError);
    await expect(starting).rejects.toThrow("expected one of: inventory, analytics");
    expect(eventBridge.commandCalls(StartReplayCommand)).toHaveLength(0);
  });

  it("refuses a name EventBridge would refuse", async () => {
    const starting = startArchiveReplay(client(), aStack(), {
      window: WINDOW,
      name: "fix inventory",
      now: NOW,
    });
    await expect(starting).rejects.toThrow(
      'Replay name "fix inventory" is not valid; expected 1-64 characters',
    );
  });

  it("says to choose another name when the replay already exists", async () => {
    // Prepare
    eventBridge
      .on(StartReplayCommand)
      .rejects(
        Object.assign(new Error("Replay fix-1 already exists."), { name: "ResourceAlreadyExistsException" }),
      );

    // Act
    const starting = startArchiveReplay(client(), aStack(), { window: WINDOW, name: "fix-1", now: NOW });

    // Assess
    await expect(starting).rejects.toThrow(ReplayError);
    await expect(starting).rejects.toThrow('A replay named "fix-1" already exists; choose another --name');
  });
});

describe("defaultReplayName", () => {
  it("stays within EventBridge's 64 characters however many subscriptions are named", () => {
    const name = defaultReplayName(NOW, ["inventory", "analytics", "payments", "shipping", "notifications"]);
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^replay-20260301T120000Z-inventory-analytics-[.\-_A-Za-z0-9]*-[0-9a-f]{4}$/);
  });
});

describe("dryRunArchiveReplay", () => {
  it("counts the window's events with the audit counter and starts nothing", async () => {
    // Prepare
    const windows: unknown[] = [];
    const counter: AuditEventCounter = {
      method: "a test counter",
      countEvents: async (window) => {
        windows.push(window);
        return 42;
      },
    };

    // Act
    const dryRun = await dryRunArchiveReplay(
      client(),
      aStack(),
      { window: WINDOW, subscriptions: ["inventory"], now: NOW },
      counter,
    );

    // Assess
    expect(dryRun).toEqual({
      window: WINDOW,
      events: 42,
      countedWith: "a test counter",
      subscriptions: ["inventory"],
      filterArns: [ruleArn("inventory")],
    });
    expect(windows).toEqual([WINDOW]);
    expect(eventBridge.commandCalls(StartReplayCommand)).toHaveLength(0);
  });
});

describe("waitForReplay", () => {
  it("polls DescribeReplay until the replay ends, reporting each state", async () => {
    // Prepare
    const window = { EventStartTime: WINDOW.start, EventEndTime: WINDOW.end };
    eventBridge
      .on(DescribeReplayCommand, { ReplayName: "fix-1" })
      .resolvesOnce({ ReplayName: "fix-1", State: "STARTING", ...window })
      .resolvesOnce({
        ReplayName: "fix-1",
        State: "RUNNING",
        EventLastReplayedTime: new Date("2026-03-01T09:00:00Z"),
        ...window,
      })
      .resolves({ ReplayName: "fix-1", State: "COMPLETED", ...window });
    const progress: (number | undefined)[] = [];
    const sleeps: number[] = [];

    // Act
    const final = await waitForReplay(client(), "fix-1", {
      pollIntervalMs: 5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
      onProgress: (status) => progress.push(replayProgress(status)),
    });

    // Assess
    expect(final.state).toBe("COMPLETED");
    expect(progress).toEqual([0, 0.5, 1]);
    expect(sleeps).toEqual([5, 5]);
  });

  it("says when the replay does not exist", async () => {
    eventBridge
      .on(DescribeReplayCommand)
      .rejects(
        Object.assign(new Error("Replay nope does not exist."), { name: "ResourceNotFoundException" }),
      );
    await expect(waitForReplay(client(), "nope")).rejects.toThrow(
      'Replay "nope" does not exist; see "eventrail replay list"',
    );
  });
});

describe("replayProgress", () => {
  const base: ReplayStatus = {
    name: "r",
    state: "RUNNING",
    filterArns: [],
    eventStartTime: WINDOW.start,
    eventEndTime: WINDOW.end,
  };

  it.each([
    ["nothing replayed yet", base, 0],
    ["a quarter through", { ...base, eventLastReplayedTime: new Date("2026-03-01T08:30:00Z") }, 0.25],
    ["completed with no event", { ...base, state: "COMPLETED" as const }, 1],
    ["a window it does not know", { name: "r", state: "RUNNING" as const, filterArns: [] }, undefined],
  ])("is right when %s", (_case, status, expected) => {
    expect(replayProgress(status)).toBe(expected);
  });
});

describe("listArchiveReplays", () => {
  it("reads every page of the archive's replays, newest first", async () => {
    // Prepare
    eventBridge
      .on(ListReplaysCommand, { EventSourceArn: aStack().archiveArn, NextToken: undefined })
      .resolves({
        Replays: [
          { ReplayName: "older", State: "COMPLETED", ReplayStartTime: new Date("2026-03-01T08:00:00Z") },
        ],
        NextToken: "p2",
      })
      .on(ListReplaysCommand, { EventSourceArn: aStack().archiveArn, NextToken: "p2" })
      .resolves({
        Replays: [
          { ReplayName: "newer", State: "RUNNING", ReplayStartTime: new Date("2026-03-01T09:00:00Z") },
        ],
      });

    // Act
    const replays = await listArchiveReplays(client(), aStack());

    // Assess
    expect(replays.map((r) => [r.name, r.state])).toEqual([
      ["newer", "RUNNING"],
      ["older", "COMPLETED"],
    ]);
  });
});

describe("cancelArchiveReplay", () => {
  it("cancels a running replay", async () => {
    eventBridge.on(CancelReplayCommand, { ReplayName: "fix-1" }).resolves({ State: "CANCELLING" });
    expect(await cancelArchiveReplay(client(), "fix-1")).toEqual({ name: "fix-1", state: "CANCELLING" });
  });

  it("says a replay that has ended cannot be cancelled", async () => {
    eventBridge
      .on(CancelReplayCommand)
      .rejects(Object.assign(new Error("Replay fix-1 is COMPLETED."), { name: "IllegalStatusException" }));
    await expect(cancelArchiveReplay(client(), "fix-1")).rejects.toThrow(
      'Replay "fix-1" cannot be cancelled: it is no longer running',
    );
  });
});
