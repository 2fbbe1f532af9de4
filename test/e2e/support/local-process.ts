import { type ChildProcess, spawn } from "node:child_process";
import { builtCli } from "../../support/build-cli";
import { projectRoot } from "../../support/example-app";

/** `eventrail local` running in a child process, with the lines it printed that the tests read. */
export interface LocalProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
  /** Invocation reports (`<function> ◀ N from <queue>: ...`). */
  readonly invokeLines: string[];
  /** Dead-lettered or dropped deliveries, pipeline errors, and the consumers' ERROR and WARN lines. */
  readonly problemLines: string[];
  /** Lines about the start: restored messages, seeding. */
  readonly pipelineLines: string[];
  /** Resolves with the exit code, or the signal, once the process has ended. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

/**
 * Starts `eventrail local` on a free port and resolves once it prints its readiness line: from the
 * sources (`node --import tsx bin/eventrail.ts local ...`, the default), or from the built CLI in
 * `dist/cli`, as `npm start` runs it.
 */
export async function startLocalProcess(options: {
  readonly cdkOutDir: string;
  readonly stateDir: string;
  readonly timeScale: number;
  /** @default "source" */
  readonly cli?: "source" | "built";
}): Promise<LocalProcess> {
  const entry = options.cli === "built" ? [builtCli] : ["--import", "tsx", "bin/eventrail.ts"];
  const child = spawn(
    process.execPath,
    [
      ...entry,
      "local",
      "--port",
      "0",
      "--no-synth",
      "--cdk-out",
      options.cdkOutDir,
      "--state-dir",
      options.stateDir,
      "--time-scale",
      String(options.timeScale),
    ],
    { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } },
  );
  const invokeLines: string[] = [];
  const problemLines: string[] = [];
  const pipelineLines: string[] = [];
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal)),
  );
  let head = "";
  let partial = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    const onLine = (line: string) => {
      if (line.includes(" ◀ ")) invokeLines.push(line);
      else if (/DEAD-LETTERED|DROPPED|"level":"(ERROR|WARN)"|\w+Error:/.test(line)) problemLines.push(line);
      else if (/restored|seeded|running /.test(line)) pipelineLines.push(line);
      const ready = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(line);
      if (ready?.[1]) resolve(ready[1]);
    };
    child.stdout?.on("data", (chunk: Buffer) => {
      const text = partial + chunk.toString();
      const lines = text.split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) {
        if (head.length < 20_000) head += `${line}\n`;
        onLine(line);
      }
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      const text = chunk.toString();
      if (head.length < 20_000) head += text;
      problemLines.push(...text.split("\n").filter((l) => l.trim() !== ""));
    });
    void exited.then((code) =>
      reject(new Error(`eventrail local exited with ${code} before it was ready:\n${head}`)),
    );
  });
  return { child, endpoint, invokeLines, problemLines, pipelineLines, exited };
}

/** Kills the process with SIGKILL and waits for it to exit. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}
