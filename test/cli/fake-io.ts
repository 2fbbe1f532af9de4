import { Readable, Writable } from "node:stream";
import type { CliIo } from "../../lib/cli";

/** Collects what a command writes. */
class Capture extends Writable {
  text = "";

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void,
  ): void {
    this.text += chunk.toString();
    done();
  }
}

/** CLI streams for a test: `stdin` text in, captured `stdout`/`stderr` out, an explicit environment. */
export interface FakeIo extends CliIo {
  out(): string;
  err(): string;
}

export function fakeIo(
  options: { readonly stdin?: string; readonly stdinIsTTY?: boolean; readonly env?: NodeJS.ProcessEnv } = {},
): FakeIo {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = Object.assign(Readable.from([options.stdin ?? ""]), { isTTY: options.stdinIsTTY });
  return {
    stdin,
    stdout,
    stderr,
    env: options.env ?? {},
    out: () => stdout.text,
    err: () => stderr.text,
  };
}
