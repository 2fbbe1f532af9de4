import { type ChildProcess, spawn } from "node:child_process";
import { builtCli } from "../../support/build-cli";
import { projectRoot } from "../../support/example-app";

/** `eventrail local` running as a developer runs it, in its own process. */
export interface LocalProcess {
  readonly child: ChildProcess;
  readonly endpoint: string;
}

/**
 * Starts the built `eventrail local` on a free port with `stateDir` and the assembly in `cdkOutDir`,
 * and resolves with its endpoint once it prints the readiness line.
 */
export async function startLocalProcess(options: {
  readonly cdkOutDir: string;
  readonly stateDir: string;
  readonly timeScale: number;
}): Promise<LocalProcess> {
  const child = spawn(
    process.execPath,
    [
      builtCli,
      "local",
      "--port",
      "0",
      "--no-synth",
      "--quiet",
      "--cdk-out",
      options.cdkOutDir,
      "--state-dir",
      options.stateDir,
      "--time-scale",
      String(options.timeScale),
    ],
    { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let output = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const ready = /ready on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (ready?.[1]) resolve(ready[1]);
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.once("exit", (code) =>
      reject(new Error(`eventrail local exited with ${code} before it was ready:\n${output}`)),
    );
  });
  return { child, endpoint };
}

/** Kills the process with SIGKILL and waits for it to exit. */
export async function killHard(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}
