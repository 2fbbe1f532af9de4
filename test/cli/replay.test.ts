import {
  AthenaClient,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
} from "@aws-sdk/client-athena";
import { CloudFormationClient, DescribeStacksCommand } from "@aws-sdk/client-cloudformation";
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
import { ExitCode, runCli } from "../../lib/cli";
import { describeStacksAnswer, ruleArn } from "../ops/stack-fixture";
import { fakeIo } from "./fake-io";

const cloudFormation = mockClient(CloudFormationClient);
const eventBridge = mockClient(EventBridgeClient);
const athena = mockClient(AthenaClient);
const AWS = ["--region", "eu-west-1"];

beforeEach(() => {
  cloudFormation.reset();
  eventBridge.reset();
  athena.reset();
  cloudFormation.on(DescribeStacksCommand).resolves(describeStacksAnswer());
  for (const name of ["inventory", "analytics"]) {
    eventBridge
      .on(DescribeRuleCommand, { Name: `Eventrail-${name}Rule` })
      .resolves({ Name: `Eventrail-${name}Rule`, Arn: ruleArn(name) });
  }
  eventBridge.on(StartReplayCommand).resolves({ ReplayArn: "arn:replay", State: "STARTING" });
});

describe("eventrail replay", () => {
  it("starts a replay to each --subscription given and prints it as JSON", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(
      [
        "replay",
        "--from",
        "3h",
        "--to",
        "1h",
        "--subscription",
        "inventory",
        "--subscription",
        "analytics",
        "--no-wait",
        "--json",
        ...AWS,
      ],
      io,
    );

    // Assess
    expect(code).toBe(ExitCode.ok);
    const printed = JSON.parse(io.out()) as { replay: { subscriptions: string[]; filterArns: string[] } };
    expect(printed.replay.subscriptions).toEqual(["inventory", "analytics"]);
    expect(eventBridge.commandCalls(StartReplayCommand)[0]?.args[0].input.Destination?.FilterArns).toEqual([
      ruleArn("inventory"),
      ruleArn("analytics"),
    ]);
  });

  it("watches the replay until it ends and exits 1 with EventBridge's reason when it failed", async () => {
    // Prepare
    eventBridge
      .on(DescribeReplayCommand)
      .resolves({ State: "FAILED", StateReason: "Archive is being deleted" });
    const io = fakeIo();

    // Act
    const code = await runCli(["replay", "--from", "3h", "--to", "1h", "--name", "fix-1", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.failure);
    expect(io.out()).toContain("Replay fix-1 started:");
    expect(io.out()).toContain("to every rule of the bus");
    expect(io.out()).toContain("Replay fix-1 FAILED: Archive is being deleted.");
  });

  it("refuses a window ending less than 10 minutes ago in one line with exit code 2, starting nothing", async () => {
    // Prepare
    const io = fakeIo();

    // Act
    const code = await runCli(["replay", "--from", "1h", "--to", "now", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.usage);
    expect(io.err()).toMatch(/^eventrail replay: error: --to \S+ is less than 10 minutes ago.*--force.*\n$/);
    expect(eventBridge.commandCalls(StartReplayCommand)).toHaveLength(0);
  });

  it("refuses a time that is not a time before any call", async () => {
    const io = fakeIo();
    expect(await runCli(["replay", "--from", "yesterday", ...AWS], io)).toBe(ExitCode.usage);
    expect(io.err()).toContain('--from "yesterday" is not a time');
    expect(cloudFormation.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  it("counts the window's events with Athena in a dry run and replays nothing", async () => {
    // Prepare
    athena.on(StartQueryExecutionCommand).resolves({ QueryExecutionId: "q-1" });
    athena.on(GetQueryExecutionCommand).resolves({ QueryExecution: { Status: { State: "SUCCEEDED" } } });
    athena.on(GetQueryResultsCommand).resolves({
      ResultSet: { Rows: [{ Data: [{ VarCharValue: "events" }] }, { Data: [{ VarCharValue: "17" }] }] },
    });
    const io = fakeIo();

    // Act
    const code = await runCli(
      ["replay", "--from", "1d", "--dry-run", "--subscription", "inventory", ...AWS],
      io,
    );

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out()).toMatch(
      /^Dry run \(nothing replayed\): 17 event\(s\) in .* counted from Athena \(workgroup eventrail-audit/,
    );
    expect(io.out()).toContain("to the rule(s) of inventory");
    expect(athena.commandCalls(StartQueryExecutionCommand)[0]?.args[0].input.WorkGroup).toBe(
      "eventrail-audit",
    );
    expect(eventBridge.commandCalls(StartReplayCommand)).toHaveLength(0);
  });

  it("names the subscriptions there are when --subscription is unknown", async () => {
    const io = fakeIo();
    expect(await runCli(["replay", "--from", "2h", "--subscription", "payments", ...AWS], io)).toBe(
      ExitCode.failure,
    );
    expect(io.err()).toBe(
      'eventrail replay: error: Subscription "payments" is not in stack "Eventrail"; expected one of: inventory, analytics.\n',
    );
  });

  it("refuses --state-dir without --local", async () => {
    const io = fakeIo();
    expect(await runCli(["replay", "--from", "2h", "--state-dir", "/tmp/x", ...AWS], io)).toBe(
      ExitCode.usage,
    );
    expect(io.err()).toContain('--state-dir "/tmp/x" applies only to the local pipeline');
  });
});

describe("eventrail replay list", () => {
  it("prints the archive's replays as a table", async () => {
    // Prepare
    eventBridge.on(ListReplaysCommand).resolves({
      Replays: [
        {
          ReplayName: "fix-1",
          State: "RUNNING",
          EventStartTime: new Date("2026-03-01T08:00:00Z"),
          EventEndTime: new Date("2026-03-01T10:00:00Z"),
          EventLastReplayedTime: new Date("2026-03-01T09:00:00Z"),
          ReplayStartTime: new Date("2026-03-01T11:00:00Z"),
        },
      ],
    });
    const io = fakeIo();

    // Act
    const code = await runCli(["replay", "list", ...AWS], io);

    // Assess
    expect(code).toBe(ExitCode.ok);
    expect(io.out().split("\n")[0]).toMatch(/^REPLAY +STATE +WINDOW +DONE +STARTED +ENDED$/);
    expect(io.out()).toMatch(
      /fix-1 +RUNNING +2026-03-01T08:00:00.000Z \.\. 2026-03-01T10:00:00.000Z +50% +2026-03-01T11:00:00.000Z/,
    );
  });
});

describe("eventrail replay cancel", () => {
  it("cancels the replay named first", async () => {
    eventBridge.on(CancelReplayCommand, { ReplayName: "fix-1" }).resolves({ State: "CANCELLING" });
    const io = fakeIo();
    expect(await runCli(["replay", "cancel", "fix-1", ...AWS], io)).toBe(ExitCode.ok);
    expect(io.out()).toBe("Replay fix-1 is CANCELLING; events already replayed stay delivered.\n");
  });

  it("needs the replay's name", async () => {
    const io = fakeIo();
    expect(await runCli(["replay", "cancel", ...AWS], io)).toBe(ExitCode.usage);
    expect(io.err()).toContain("replay cancel needs the replay's NAME");
  });
});

describe("the replay command group", () => {
  it("names the subcommands there are for an unknown one", async () => {
    const io = fakeIo();
    expect(await runCli(["replay", "lsit"], io)).toBe(ExitCode.usage);
    expect(io.err()).toContain('Unknown subcommand "lsit" of replay; expected one of: start, list, cancel.');
  });

  it("gives each subcommand its own --help", async () => {
    const io = fakeIo();
    expect(await runCli(["replay", "cancel", "--help"], io)).toBe(ExitCode.ok);
    expect(io.out()).toMatch(/^Usage: eventrail replay cancel NAME/);
  });
});
