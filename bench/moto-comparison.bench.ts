import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { loadavg, tmpdir } from "node:os";
import * as path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutEventsCommand,
  PutRuleCommand,
  PutTargetsCommand,
} from "@aws-sdk/client-eventbridge";
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from "@aws-sdk/client-sqs";
import { App, Stack } from "aws-cdk-lib";
import { EventBus, Rule } from "aws-cdk-lib/aws-events";
import { SqsQueue } from "aws-cdk-lib/aws-events-targets";
import { Queue } from "aws-cdk-lib/aws-sqs";
import { LocalPipeline } from "../lib/local/local-pipeline";
import type { ComparisonSpec, IngestedLine, ReadyLine, RoutedLine } from "./moto-comparison-child";
import type { Bench, BenchRow } from "./table";

/**
 * The local pipeline side by side with moto_server on one workload: a bus, one rule whose target is
 * an SQS queue, {@link EVENTS} events sent {@link PER_CALL} per PutEvents with {@link IN_FLIGHT}
 * calls in flight by a producer in its own process (`moto-comparison-child.ts`).
 *
 * - The local pipeline runs a tiny CDK app synthesized here (untimed): EventBus, Queue, and a Rule
 *   on the bus targeting the queue (aws-events-targets SqsQueue). It runs in this process; its CPU
 *   is `process.cpuUsage()` (all threads).
 * - moto_server (as installed, found with `which moto_server`) gets the same bus, queue, rule and
 *   target through the AWS SDK (no queue policy: moto does not check it). Its CPU is utime + stime
 *   from /proc of every process in its process group.
 * - Ingest: events accepted per second, first PutEvents call → last answer.
 * - Routing: events per second, first PutEvents call → the queue's ApproximateNumberOfMessages
 *   shows every event (polled by the producer once its calls are answered, every 2 % of the time
 *   elapsed). In moto that count is exact: the length of the queue's visible, undelayed messages,
 *   and PutEvents delivers to the targets before it answers.
 * - Each side first gets {@link WARM_UP_EVENTS} events (untimed) so that lazy loading is not timed;
 *   they stay in the queue and are subtracted.
 * - A side still short of the count {@link DEADLINE_MS} after the first call reports what it
 *   reached by then, labelled so (calls in flight are abandoned). moto_server as installed gets
 *   there: it spends ~130 ms of CPU per event delivered to a rule's target, most of it in
 *   jsonpath_ng rebuilding its parser on every parse, so it routes ~6 events/s.
 * - The local pipeline runs the workload {@link LOCAL_RUNS} times (2,000 events take well under a
 *   second, so one run is at the mercy of the shared machine) and reports the median run.
 * - Then moto_server again with the two patches the test suite applies at its start-up
 *   (test/support/moto.ts), for a comparison with moto's own hot spot removed. The ratio rows
 *   against moto as installed are the issue's figure; those against the patched one say how much
 *   of it is moto's bug.
 */

const GROUP = "moto comparison";
const EVENTS = 2_000;
const PER_CALL = 10;
const IN_FLIGHT = 16;
const WARM_UP_EVENTS = 20;
/** The local pipeline runs the workload this many times (a second or less each) and reports the median. */
const LOCAL_RUNS = 3;
const DEADLINE_MS = 60_000;
const MOTO_READY_TIMEOUT_MS = 30_000;

const BUS_NAME = "bench-bus";
const QUEUE_NAME = "bench-queue";
const RULE_NAME = "bench-rule";
const SOURCE = "bench.moto";
const DETAIL_TYPE = "BenchEvent";
const REGION = "us-east-1";
const credentials = { accessKeyId: "bench", secretAccessKey: "bench" };

const childModule = fileURLToPath(new URL("./moto-comparison-child.ts", import.meta.url));
const tsx = import.meta.resolve("tsx");

/** What one side measured. */
interface SideResult {
  readonly accepted: number;
  readonly failed: number;
  readonly firstError: string | undefined;
  readonly ingestComplete: boolean;
  readonly ingestRate: number;
  /** CPU of the server from the first call to the `ingested` line, per event accepted. */
  readonly ingestCpuMsPerEvent: number | undefined;
  readonly routed: number;
  readonly routingComplete: boolean;
  readonly routingRate: number;
  /** CPU of the server from the first call to the `routed` line, per event routed. */
  readonly routingCpuMsPerEvent: number | undefined;
  readonly polls: number;
}

/** A server under test: where to send, and how to read its CPU seconds so far. */
interface Side {
  readonly endpoint: string;
  readonly queueUrl: string;
  readonly cpuSeconds: () => number | undefined;
}

/** The tiny app: one bus, one queue, one rule on the bus whose target is the queue. */
function synthesizeTinyApp(outdir: string): void {
  const app = new App({ outdir });
  const stack = new Stack(app, "MotoComparison");
  const bus = new EventBus(stack, "Bus", { eventBusName: BUS_NAME });
  const queue = new Queue(stack, "Queue", { queueName: QUEUE_NAME });
  new Rule(stack, "Rule", {
    eventBus: bus,
    ruleName: RULE_NAME,
    eventPattern: { source: [SOURCE], detailType: [DETAIL_TYPE] },
    targets: [new SqsQueue(queue)],
  });
  app.synth();
}

function clients(endpoint: string): { eventBridge: EventBridgeClient; sqs: SQSClient } {
  const config = { endpoint, region: REGION, credentials, maxAttempts: 1 };
  return { eventBridge: new EventBridgeClient(config), sqs: new SQSClient(config) };
}

async function queueCount(sqs: SQSClient, queueUrl: string): Promise<number> {
  const answer = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages"] }),
  );
  return Number(answer.Attributes?.ApproximateNumberOfMessages ?? 0);
}

/** Sends {@link WARM_UP_EVENTS} (untimed), waits until they are in the queue; resolves with its count. */
async function warmUp(side: Side): Promise<number> {
  const { eventBridge, sqs } = clients(side.endpoint);
  try {
    const before = await queueCount(sqs, side.queueUrl);
    for (let sent = 0; sent < WARM_UP_EVENTS; sent += PER_CALL) {
      const answer = await eventBridge.send(
        new PutEventsCommand({
          Entries: Array.from({ length: PER_CALL }, (_, i) => ({
            EventBusName: BUS_NAME,
            Source: SOURCE,
            DetailType: DETAIL_TYPE,
            Detail: JSON.stringify({ n: sent + i, note: "warm-up" }),
          })),
        }),
      );
      if ((answer.FailedEntryCount ?? 0) > 0) throw new Error("the warm-up's events were refused");
    }
    const deadline = Date.now() + DEADLINE_MS;
    for (;;) {
      const count = await queueCount(sqs, side.queueUrl);
      if (count >= before + WARM_UP_EVENTS) return count;
      if (Date.now() > deadline) throw new Error("the warm-up's events did not reach the queue");
      await new Promise((done) => setTimeout(done, 20));
    }
  } finally {
    eventBridge.destroy();
    sqs.destroy();
  }
}

/** Runs the producer child against `side`, sampling the server's CPU at each of its lines. */
async function measure(side: Side): Promise<SideResult> {
  const baseline = await warmUp(side);
  const spec: ComparisonSpec = {
    endpoint: side.endpoint,
    region: REGION,
    busName: BUS_NAME,
    queueUrl: side.queueUrl,
    source: SOURCE,
    detailType: DETAIL_TYPE,
    count: EVENTS,
    perCall: PER_CALL,
    inFlight: IN_FLIGHT,
    deadlineMs: DEADLINE_MS,
    baseline,
  };
  const child: ChildProcess = spawn(
    process.execPath,
    ["--import", tsx, childModule, "produce", JSON.stringify(spec)],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    },
  );
  const exited = new Promise<number | null>((done) => child.once("exit", done));
  let cpuAtReady: number | undefined;
  let ingested: { line: IngestedLine; cpu: number | undefined } | undefined;
  let routed: { line: RoutedLine; cpu: number | undefined } | undefined;
  for await (const text of createInterface({ input: child.stdout as NodeJS.ReadableStream })) {
    const cpu = side.cpuSeconds();
    const line = JSON.parse(text) as ReadyLine | IngestedLine | RoutedLine;
    if (line.phase === "ready") cpuAtReady = cpu;
    else if (line.phase === "ingested") ingested = { line, cpu };
    else routed = { line, cpu };
  }
  const code = await exited;
  if (code !== 0 || ingested === undefined || routed === undefined) {
    throw new Error(`the moto comparison producer exited with code ${code} without its report`);
  }
  const cpuMsPerEvent = (cpu: number | undefined, events: number) =>
    cpu === undefined || cpuAtReady === undefined || events <= 0
      ? undefined
      : ((cpu - cpuAtReady) * 1_000) / events;
  const seconds = (from: number, to: number) => Math.max(1, to - from) / 1_000;
  return {
    accepted: ingested.line.accepted,
    failed: ingested.line.failed,
    firstError: ingested.line.firstError,
    ingestComplete: ingested.line.complete,
    ingestRate: ingested.line.accepted / seconds(ingested.line.startedAt, ingested.line.lastAnswerAt),
    ingestCpuMsPerEvent: cpuMsPerEvent(ingested.cpu, ingested.line.accepted),
    routed: routed.line.routed,
    routingComplete: routed.line.complete,
    routingRate: routed.line.routed / seconds(routed.line.startedAt, routed.line.routedAt),
    routingCpuMsPerEvent: cpuMsPerEvent(routed.cpu, routed.line.routed),
    polls: routed.line.polls,
  };
}

/** The local pipeline on the tiny app, in this process: {@link LOCAL_RUNS} runs on one start. */
async function measureLocal(): Promise<SideResult[]> {
  const cdkOutDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-moto-assembly-"));
  const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-moto-state-"));
  try {
    synthesizeTinyApp(cdkOutDir);
    const pipeline = await LocalPipeline.start({ cdkOutDir, stateDir, port: 0 });
    try {
      const queueUrl = pipeline.model.queues.find((q) => q.name === QUEUE_NAME)?.url;
      if (queueUrl === undefined) throw new Error(`the local pipeline has no queue ${QUEUE_NAME}`);
      const side: Side = {
        endpoint: pipeline.endpoint,
        queueUrl,
        cpuSeconds: () => {
          const usage = process.cpuUsage();
          return (usage.user + usage.system) / 1e6;
        },
      };
      const runs: SideResult[] = [];
      for (let run = 0; run < LOCAL_RUNS; run++) runs.push(await measure(side));
      return runs;
    } finally {
      await pipeline.stop();
    }
  } finally {
    await rm(cdkOutDir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
}

/** The run whose routing rate is the median. */
function medianRun(runs: readonly SideResult[]): SideResult {
  const sorted = [...runs].sort((a, b) => a.routingRate - b.routingRate);
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  if (median === undefined) throw new Error("no run to take the median of");
  return median;
}

/** The moto_server on the PATH, or undefined. */
function motoBinary(): string | undefined {
  const found = spawnSync("which", ["moto_server"], { encoding: "utf8" });
  const binary = found.status === 0 ? found.stdout.trim() : "";
  return binary === "" ? undefined : binary;
}

function clockTicksPerSecond(): number {
  const answer = spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" });
  const ticks = Number(answer.stdout?.trim());
  return answer.status === 0 && ticks > 0 ? ticks : 100;
}

/**
 * CPU seconds (utime + stime, all threads) of the live processes of process group `group`, from
 * /proc; undefined where there is no /proc. The group covers a wrapper (pyenv's shim) and what it runs.
 */
function processGroupCpuSeconds(group: number, ticksPerSecond: number): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  let ticks = 0;
  let found = false;
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      continue; // Gone since the listing.
    }
    // After "pid (comm) ": state, ppid, pgrp, ..., utime (14th field of the line), stime (15th).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== group) continue;
    found = true;
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return found ? ticks / ticksPerSecond : undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      probe.close(() => resolvePort(port));
    });
  });
}

interface RunningMoto {
  readonly endpoint: string;
  readonly pid: number;
  stop(): Promise<void>;
}

async function startMoto(binary: string, env: NodeJS.ProcessEnv): Promise<RunningMoto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  // Its own process group, so that stopping it ends whatever a wrapper started, and its CPU is read whole.
  const child = spawn(binary, ["-H", "127.0.0.1", "-p", String(port)], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env,
  });
  let output = "";
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString("utf8")).slice(-2_000);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  const exited = new Promise<void>((done) => child.once("exit", () => done()));
  let spawnError: Error | undefined;
  child.once("error", (error) => {
    spawnError = error;
  });
  const stop = async () => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {
      return; // Already gone.
    }
    const killer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      } catch {
        // Gone between the timeout and now.
      }
    }, 5_000);
    await exited;
    clearTimeout(killer);
  };
  const deadline = Date.now() + MOTO_READY_TIMEOUT_MS;
  for (;;) {
    if (spawnError !== undefined) throw new Error(`moto_server could not be started: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`moto_server exited (code ${child.exitCode}) before answering:\n${output}`);
    }
    try {
      const answer = await fetch(`${endpoint}/moto-api/`);
      await answer.arrayBuffer();
      if (answer.ok && child.pid !== undefined) return { endpoint, pid: child.pid, stop };
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(
        `moto_server did not answer on ${endpoint} within ${MOTO_READY_TIMEOUT_MS} ms:\n${output}`,
      );
    }
    await new Promise((done) => setTimeout(done, 100));
  }
}

/** Creates in moto what the tiny app declares; resolves with the queue's URL. */
async function createMotoResources(endpoint: string): Promise<string> {
  const { eventBridge, sqs } = clients(endpoint);
  try {
    await eventBridge.send(new CreateEventBusCommand({ Name: BUS_NAME }));
    const created = await sqs.send(new CreateQueueCommand({ QueueName: QUEUE_NAME }));
    const queueUrl = created.QueueUrl;
    if (queueUrl === undefined) throw new Error("moto_server returned no queue URL");
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["QueueArn"] }),
    );
    const queueArn = attributes.Attributes?.QueueArn;
    if (queueArn === undefined) throw new Error("moto_server returned no queue ARN");
    await eventBridge.send(
      new PutRuleCommand({
        Name: RULE_NAME,
        EventBusName: BUS_NAME,
        EventPattern: JSON.stringify({ source: [SOURCE], "detail-type": [DETAIL_TYPE] }),
        State: "ENABLED",
      }),
    );
    const targets = await eventBridge.send(
      new PutTargetsCommand({
        Rule: RULE_NAME,
        EventBusName: BUS_NAME,
        Targets: [{ Id: "Queue", Arn: queueArn }],
      }),
    );
    if ((targets.FailedEntryCount ?? 0) > 0) throw new Error("moto_server refused the rule's target");
    return queueUrl;
  } finally {
    eventBridge.destroy();
    sqs.destroy();
  }
}

async function measureMoto(binary: string, env: NodeJS.ProcessEnv = process.env): Promise<SideResult> {
  const moto = await startMoto(binary, env);
  try {
    const queueUrl = await createMotoResources(moto.endpoint);
    const ticks = clockTicksPerSecond();
    return await measure({
      endpoint: moto.endpoint,
      queueUrl,
      cpuSeconds: () => processGroupCpuSeconds(moto.pid, ticks),
    });
  } finally {
    await moto.stop();
  }
}

const WORKLOAD = `${EVENTS.toLocaleString("en-US")} events, ${PER_CALL} per PutEvents, ${IN_FLIGHT} calls in flight, producer process`;

function bounded(complete: boolean, reached: number, of: string): string {
  return complete
    ? ""
    : ` (BOUNDED: stopped ${DEADLINE_MS / 1_000} s after the first call, ${reached.toLocaleString("en-US")} of ${EVENTS.toLocaleString("en-US")} ${of} by then)`;
}

function sideRows(name: string, cpuOf: string, result: SideResult): BenchRow[] {
  const rows: BenchRow[] = [];
  const failures =
    result.failed > 0
      ? ` [${result.failed} refused or failed${result.firstError === undefined ? "" : `: ${result.firstError}`}]`
      : "";
  rows.push({
    group: GROUP,
    metric: `ingest, ${name}: PutEvents accepted, first call → last answer${bounded(result.ingestComplete, result.accepted, "accepted")}${failures}`,
    value: result.ingestRate,
    unit: "events/s",
  });
  if (result.ingestCpuMsPerEvent !== undefined) {
    rows.push({
      group: GROUP,
      metric: `  CPU per event accepted, ${cpuOf}`,
      value: result.ingestCpuMsPerEvent,
      unit: "ms",
    });
  }
  rows.push({
    group: GROUP,
    metric: `routing, ${name}: first call → all in the queue (ApproximateNumberOfMessages, ${result.polls} polls)${bounded(result.routingComplete, result.routed, "in the queue")}`,
    value: result.routingRate,
    unit: "events/s",
  });
  if (result.routingCpuMsPerEvent !== undefined) {
    rows.push({
      group: GROUP,
      metric: `  CPU per event routed, ${cpuOf}`,
      value: result.routingCpuMsPerEvent,
      unit: "ms",
    });
  }
  return rows;
}

/**
 * The Python the test suite runs at moto_server's start-up (`SITE_CUSTOMIZE` of test/support/moto.ts:
 * a memoized jsonpath_ng parse and a cheaper unix_time), read from there so that it cannot drift;
 * undefined if that file no longer has it.
 */
function testSuitePatches(): string | undefined {
  try {
    const source = readFileSync(fileURLToPath(new URL("../test/support/moto.ts", import.meta.url)), "utf8");
    return /const SITE_CUSTOMIZE = `([^`]*)`;/.exec(source)?.[1];
  } catch {
    return undefined;
  }
}

/** moto_server with the test suite's patches, as a `sitecustomize` module on PYTHONPATH. */
async function measurePatchedMoto(binary: string, patches: string): Promise<SideResult> {
  const siteDirectory = await mkdtemp(path.join(tmpdir(), "eventrail-bench-moto-site-"));
  try {
    await writeFile(path.join(siteDirectory, "sitecustomize.py"), patches);
    const pythonPath = [siteDirectory, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter);
    return await measureMoto(binary, { ...process.env, PYTHONPATH: pythonPath });
  } finally {
    await rm(siteDirectory, { recursive: true, force: true });
  }
}

function failureRow(what: string, error: unknown): BenchRow {
  const message = error instanceof Error ? (error.message.split("\n")[0] ?? "") : String(error);
  return { group: GROUP, metric: `${what} could not be measured: ${message}`, value: 0, unit: "" };
}

function ratioRows(local: SideResult, moto: SideResult, name: string): BenchRow[] {
  const bound = (complete: boolean) =>
    complete ? "" : ` (${name}'s rate BOUNDED at ${DEADLINE_MS / 1_000} s)`;
  const rows: BenchRow[] = [
    {
      group: GROUP,
      metric: `ingest ratio, local pipeline / ${name}${bound(moto.ingestComplete)}`,
      value: local.ingestRate / moto.ingestRate,
      unit: "×",
    },
    {
      group: GROUP,
      metric: `routing ratio, local pipeline / ${name}${bound(moto.routingComplete)}`,
      value: local.routingRate / moto.routingRate,
      unit: "×",
    },
  ];
  if (local.routingCpuMsPerEvent !== undefined && moto.routingCpuMsPerEvent !== undefined) {
    rows.push({
      group: GROUP,
      metric: `CPU per event routed, ${name} / local pipeline`,
      value: moto.routingCpuMsPerEvent / local.routingCpuMsPerEvent,
      unit: "×",
    });
  }
  return rows;
}

const bench: Bench = async () => {
  // The SDK clients this process makes (set-up and warm-up) would print Node's support warning.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const rows: BenchRow[] = [
    {
      group: GROUP,
      metric: `workload: a bus, one rule → one SQS queue; ${WORKLOAD}`,
      value: EVENTS,
      unit: "events",
    },
  ];
  const loadBefore = loadavg()[0] ?? 0;
  const localRuns = await measureLocal();
  const local = medianRun(localRuns);
  const range = (pick: (run: SideResult) => number) =>
    `${Math.round(Math.min(...localRuns.map(pick))).toLocaleString("en-US")}–${Math.round(Math.max(...localRuns.map(pick))).toLocaleString("en-US")}`;
  rows.push(
    ...sideRows(
      `local pipeline (median of ${LOCAL_RUNS} runs)`,
      "local pipeline process, all threads (process.cpuUsage)",
      local,
    ),
    {
      group: GROUP,
      metric: `  spread of the local pipeline's runs: ingest ${range((r) => r.ingestRate)}, routing ${range((r) => r.routingRate)} events/s`,
      value: LOCAL_RUNS,
      unit: "runs",
    },
  );

  const binary = motoBinary();
  if (binary === undefined) {
    rows.push({
      group: GROUP,
      metric: "moto_server is not on the PATH (pip install 'moto[server]'): no comparison",
      value: 0,
      unit: "",
    });
  } else {
    const cpuOf = "moto_server process group (/proc utime + stime)";
    try {
      const moto = await measureMoto(binary);
      rows.push(...sideRows("moto_server as installed", cpuOf, moto));
      rows.push(...ratioRows(local, moto, "moto_server"));
    } catch (error) {
      rows.push(failureRow(`moto_server (${binary})`, error));
    }
    // moto's own cost is mostly one hot spot the test suite patches out; this shows what is left.
    const patches = testSuitePatches();
    const patchedName = "moto_server with test/support/moto.ts's two patches";
    if (patches === undefined) {
      rows.push({
        group: GROUP,
        metric: `${patchedName}: skipped, test/support/moto.ts has no SITE_CUSTOMIZE any more`,
        value: 0,
        unit: "",
      });
    } else {
      try {
        const patched = await measurePatchedMoto(binary, patches);
        rows.push(...sideRows(patchedName, cpuOf, patched));
        rows.push(...ratioRows(local, patched, "patched moto_server"));
      } catch (error) {
        rows.push(failureRow(patchedName, error));
      }
    }
  }
  rows.push(
    {
      group: GROUP,
      metric: "1-min load average of the machine when this bench began (2 cores, shared with other work)",
      value: loadBefore,
      unit: "",
    },
    {
      group: GROUP,
      metric: "1-min load average of the machine when its measurements ended",
      value: loadavg()[0] ?? 0,
      unit: "",
    },
  );
  return rows;
};

export default bench;
