import { styleText } from "node:util";

/** A stream the CLI writes to; `isTTY` decides colour. */
export type CliOutput = NodeJS.WritableStream & { readonly isTTY?: boolean };

/** Where a command reads and writes; tests pass their own streams and environment. */
export interface CliIo {
  readonly stdin: NodeJS.ReadableStream & { readonly isTTY?: boolean };
  readonly stdout: CliOutput;
  readonly stderr: CliOutput;
  /** The environment AWS settings and `NO_COLOR` are read from. */
  readonly env: NodeJS.ProcessEnv;
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env };
}

/** The styles the CLI uses. */
export type Style = "bold" | "dim" | "red" | "green" | "yellow";

/**
 * `text` in `style` when `stream` is a colour terminal (and `NO_COLOR` is unset), else as is, so
 * that pipes, files and scripts get plain text.
 */
export function paint(stream: CliOutput, style: Style, text: string): string {
  return stream.isTTY === true ? styleText(style, text, { stream }) : text;
}

/** Writes one line. */
export function writeLine(stream: CliOutput, text = ""): void {
  stream.write(`${text}\n`);
}
