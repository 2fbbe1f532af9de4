import * as path from "node:path";
import { CONSOLE_PATH, serveConsole } from "../../console/console-server";
import { FlowRecorder } from "../../console/flow-recorder";
import { seedExampleState } from "../../local/example-seed";
import {
  DEFAULT_LOCAL_PORT,
  defaultStateDir,
  type LocalLogKind,
  LocalPipeline,
} from "../../local/local-pipeline";
import { writeRuntimeInfo } from "../../local/runtime-info";
import { isAssemblyStale, synthesizeAssembly } from "../../local/synthesize";
import { CliUsageError, defineCommand, ExitCode } from "../command";
import { type CliIo, paint, type Style, writeLine } from "../io";

const KIND_STYLE: Record<LocalLogKind, Style | undefined> = {
  pipeline: "bold",
  event: undefined,
  rule: "dim",
  delivery: "dim",
  dlq: "red",
  invoke: "green",
  function: "dim",
  audit: "yellow",
  error: "red",
};

function positiveNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) {
    throw new CliUsageError(`--${name} must be a positive number, got "${value}"`);
  }
  return parsed;
}

function portNumber(value: string | undefined): number {
  if (value === undefined) return DEFAULT_LOCAL_PORT;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0 || parsed > 65_535) {
    throw new CliUsageError(`--port must be a whole number from 0 (any free port) to 65535, got "${value}"`);
  }
  return parsed;
}

/** `eventrail local`: the synthesized app on this machine behind one AWS-compatible endpoint. */
export const localCommand = defineCommand({
  name: "local",
  summary: "Run the whole pipeline on this machine: EventBridge, SQS, DynamoDB, Lambda, archive, audit.",
  description:
    "Reads the synthesized cloud assembly (synthesizing it first when cdk.out is missing or older than the\n" +
    "sources) and runs what it describes behind one endpoint speaking the AWS protocols: point the AWS SDK or\n" +
    "CLI at it with AWS_ENDPOINT_URL and any credentials. State (queues, tables, archive, audit files) lives\n" +
    "in --state-dir and survives restarts. Ctrl-C stops cleanly.",
  usage: "[--port N] [--state-dir DIR] [--time-scale N] [--cdk-out DIR] [--quiet] [--repair]",
  options: {
    port: {
      type: "string",
      valueName: "N",
      description: `Port on 127.0.0.1 (default ${DEFAULT_LOCAL_PORT}).`,
    },
    "state-dir": {
      type: "string",
      valueName: "DIR",
      description: "Where state lives (default .eventrail/).",
    },
    "time-scale": {
      type: "string",
      valueName: "N",
      description:
        "Run queue and bus time N times faster (tests, demos): divides the queues' visibility timeouts,\n" +
        "delays and long polls, rule-target retry back-offs, batching windows and the audit stream's\n" +
        "buffering interval. Not divided: function timeouts and cold starts (code takes real time), and\n" +
        "message retention. A message stays invisible while its invocation can still run (at least the\n" +
        "function's init limit plus its timeout); when the invocation fails, it gets the queue's scaled\n" +
        "visibility back, counted from its receive, so retries come quickly and never overlap a run.",
    },
    "cdk-out": { type: "string", valueName: "DIR", description: "The cloud assembly (default cdk.out/)." },
    "no-synth": { type: "boolean", description: "Never synthesize; run cdk.out as it is." },
    quiet: { type: "boolean", description: "Hide the consumers' own log lines." },
    repair: {
      type: "boolean",
      description:
        "Salvage damaged state instead of refusing to start: keep every valid SQS journal record and\n" +
        "report the damaged ones by queue (the damaged file is kept), and rebuild a DynamoDB folder's\n" +
        "missing or damaged LevelDB manifest from its data files, reporting the tables and items recovered.",
    },
  },
  examples: [
    "eventrail local",
    "eventrail local --port 4566 --state-dir /tmp/eventrail",
    "AWS_ENDPOINT_URL=http://127.0.0.1:4010 aws events put-events --entries file://order.json",
  ],
  async run(options, io) {
    const projectRoot = process.cwd();
    const cdkOutDir = path.resolve(options["cdk-out"] ?? "cdk.out");
    const stateDir = path.resolve(options["state-dir"] ?? defaultStateDir(projectRoot));
    const port = portNumber(options.port);
    const timeScale = positiveNumber("time-scale", options["time-scale"], 1);
    const log = (kind: LocalLogKind, line: string) => {
      const time = new Date().toISOString().slice(11, 23);
      const style = KIND_STYLE[kind];
      writeLine(
        io.stdout,
        `${paint(io.stdout, "dim", time)} ${style ? paint(io.stdout, style, line) : line}`,
      );
    };

    if (!options["no-synth"] && (await isAssemblyStale(projectRoot, cdkOutDir))) {
      log("pipeline", `synthesizing the app into ${path.relative(projectRoot, cdkOutDir) || cdkOutDir} ...`);
      synthesizeAssembly(projectRoot, cdkOutDir);
    }
    const recorder = new FlowRecorder();
    const pipeline = await LocalPipeline.start({
      cdkOutDir,
      stateDir,
      port,
      timeScale,
      log,
      functionLogs: !options.quiet,
      repair: options.repair === true,
      observer: recorder,
    });
    serveConsole(pipeline, recorder, { stateDir, cdkOutDir });
    // Lets `--local` commands find this pipeline's state folder from its port.
    const runtimeInfo = await writeRuntimeInfo({ endpoint: pipeline.endpoint, stateDir, cdkOutDir });
    const seeded = await seedExampleState(pipeline);
    if (seeded > 0) log("pipeline", `seeded ${seeded} stock items for the inventory consumer`);
    printReadiness(io, pipeline.endpoint, stateDir);

    await new Promise<void>((resolve) => {
      let signals = 0;
      const stop = () => {
        signals++;
        // npm and tsx forward the terminal's Ctrl-C too: one stop is enough; a third forces the exit.
        if (signals === 1) resolve();
        if (signals >= 3) process.exit(ExitCode.failure);
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    log("pipeline", "stopping: finishing in-flight batches, writing the audit buffer ...");
    await pipeline.stop();
    await runtimeInfo.remove();
    log("pipeline", `stopped; state is kept in ${stateDir}`);
    return ExitCode.ok;
  },
});

function printReadiness(io: CliIo, endpoint: string, stateDir: string): void {
  const lines = [
    "",
    paint(io.stdout, "green", `eventrail local is ready on ${endpoint}`),
    `Console: ${endpoint}${CONSOLE_PATH}`,
    `state: ${stateDir}`,
    "",
    "Point the AWS SDK or CLI at it (any credentials work):",
    `  export AWS_ENDPOINT_URL=${endpoint} AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local`,
    "Publish the example orders (in another terminal):",
    `  npm run eventrail -- publish --bus eventrail --endpoint ${endpoint} --region us-east-1 --file examples/orders.ndjson`,
    `  aws --endpoint-url ${endpoint} events put-events --entries file://examples/order-placed.entries.json`,
    "See every event type's schema and example: npm run eventrail -- catalog",
    "",
  ];
  for (const line of lines) writeLine(io.stdout, line);
}
