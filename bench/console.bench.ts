import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { chromium } from "playwright-core";
import { serveConsole } from "../lib/console/console-server";
import { FlowRecorder } from "../lib/console/flow-recorder";
import { LocalPipeline } from "../lib/local/local-pipeline";
import { runChild, synthesizeNoopAssembly } from "./local-pipeline.bench";
import type { ProduceReport, ProduceSpec } from "./local-pipeline-child";
import type { Bench, BenchRow } from "./table";

const GROUP = "console";
/** The load: the console open while the pipeline carries 1,000 events/s. */
const RATE = 1_000;
const EVENTS = 5_000;
const FRAME_TARGET_MS = 100;
const CHROMIUM = "/usr/bin/chromium";

interface RunResult {
  readonly cpuMsPerEvent: number;
  readonly page?: { readonly updates: number; readonly msPerUpdate: number; readonly longestTaskMs: number };
}

/**
 * The same paced run of PaymentFailed on the pipeline alone (no-op consumers), side by side: without
 * the console, and with the trace recorder, the console server and Chromium showing the live
 * events view. The page's main-thread time (Chrome's TaskDuration) is divided by the updates it
 * received; its longest task is the worst frame.
 */
async function run(withConsole: boolean): Promise<RunResult> {
  const cdkOutDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-console-assembly-"));
  const stateDir = await mkdtemp(path.join(tmpdir(), "eventrail-bench-console-state-"));
  synthesizeNoopAssembly(cdkOutDir);
  const recorder = withConsole ? new FlowRecorder() : undefined;
  const pipeline = await LocalPipeline.start({
    cdkOutDir,
    stateDir,
    port: 0,
    timeScale: 5,
    ...(recorder === undefined ? {} : { observer: recorder }),
  });
  if (recorder !== undefined) serveConsole(pipeline, recorder, { stateDir, cdkOutDir });
  const browser = withConsole
    ? await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-background-networking",
          "--no-first-run",
        ],
      })
    : undefined;
  try {
    const page = await browser?.newPage();
    const cdp = page === undefined ? undefined : await page.context().newCDPSession(page);
    if (page !== undefined && cdp !== undefined) {
      // Counts the updates the page receives and its longest task (the page's own code is untouched).
      await page.addInitScript(`
        window.longest = 0;
        window.updates = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) window.longest = Math.max(window.longest, entry.duration);
        }).observe({ type: "longtask", buffered: true });
        const Native = window.EventSource;
        window.EventSource = class extends Native {
          constructor(url, init) {
            super(url, init);
            for (const type of ["event", "metrics"]) this.addEventListener(type, () => window.updates++);
          }
        };
      `);
      await page.goto(`${pipeline.endpoint}/console/events`);
      await page.waitForSelector("#connection");
      await cdp.send("Performance.enable");
    }
    const taskSeconds = async () =>
      cdp === undefined
        ? 0
        : ((await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration")?.value ??
          0);
    const updatesBefore = page === undefined ? 0 : ((await page.evaluate("window.updates")) as number);
    const pageBefore = await taskSeconds();
    const cpuBefore = process.cpuUsage();
    const spec: ProduceSpec = {
      detailType: "PaymentFailed",
      count: EVENTS,
      tag: `console-${withConsole}`,
      ratePerSecond: RATE,
    };
    await runChild<ProduceReport>("produce", pipeline.endpoint, JSON.stringify(spec));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const cpu = process.cpuUsage(cpuBefore);
    const result: RunResult = { cpuMsPerEvent: (cpu.user + cpu.system) / 1_000 / EVENTS };
    if (page === undefined) return result;
    const stats = (await page.evaluate("({ longest: window.longest, updates: window.updates })")) as {
      longest: number;
      updates: number;
    };
    const updates = stats.updates - updatesBefore;
    return {
      ...result,
      page: {
        updates,
        msPerUpdate: (((await taskSeconds()) - pageBefore) * 1_000) / Math.max(1, updates),
        longestTaskMs: stats.longest,
      },
    };
  } finally {
    await browser?.close();
    await pipeline.stop();
    await rm(cdkOutDir, { recursive: true, force: true });
    await rm(stateDir, { recursive: true, force: true });
  }
}

const bench: Bench = async () => {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(`bench: console skipped: ${CHROMIUM} is missing (apt-get install -y chromium)\n`);
    return [];
  }
  await run(false); // warms up the bench process (JIT, module loading) so both measured runs start equal
  const without = await run(false);
  const withConsole = await run(true);
  const page = withConsole.page;
  const rows: BenchRow[] = [
    {
      group: GROUP,
      metric: `pipeline CPU per event at ${RATE}/s, ${EVENTS} PaymentFailed, no console`,
      value: without.cpuMsPerEvent,
      unit: "ms",
    },
    {
      group: GROUP,
      metric: "  the same with the trace recorder, the console server and a browser on /console/events",
      value: withConsole.cpuMsPerEvent,
      unit: "ms",
    },
    { group: GROUP, metric: "  ratio", value: withConsole.cpuMsPerEvent / without.cpuMsPerEvent, unit: "x" },
  ];
  if (page !== undefined) {
    rows.push(
      {
        group: GROUP,
        metric: "  updates the page received (events at most 20/s, metrics 1/s)",
        value: page.updates,
        unit: "",
      },
      { group: GROUP, metric: "  page main-thread time per update", value: page.msPerUpdate, unit: "ms" },
      {
        group: GROUP,
        metric: "  the page's longest task, its worst frame (the browser reports tasks over 50 ms; 0: none)",
        value: page.longestTaskMs,
        unit: "ms",
        target: `< ${FRAME_TARGET_MS}`,
        met: page.longestTaskMs < FRAME_TARGET_MS,
      },
    );
  }
  return rows;
};

export default bench;
