import type { CliOutput } from "./io";

/** A one-line progress bar for long work. */
export interface ProgressBar {
  /** Redraws the bar: `fraction` from 0 to 1 (undefined: unknown), and a short status. */
  update(fraction: number | undefined, status: string): void;
  /** Clears the bar so that the next line starts clean. */
  clear(): void;
}

const WIDTH = 30;

/** A bar that draws nothing, for `--json`. */
export const noProgressBar: ProgressBar = { update() {}, clear() {} };

/**
 * A progress bar redrawn in place on a terminal. Pipes, files and `--json` get nothing: a bar
 * redrawn with carriage returns only clutters a log, and the command prints its outcome anyway.
 */
export function progressBar(stream: CliOutput): ProgressBar {
  if (stream.isTTY !== true) return noProgressBar;
  let drawn = false;
  return {
    update(fraction, status) {
      const known = fraction === undefined ? undefined : Math.min(1, Math.max(0, fraction));
      const filled = known === undefined ? 0 : Math.round(known * WIDTH);
      const bar = `${"█".repeat(filled)}${"░".repeat(WIDTH - filled)}`;
      const percent = known === undefined ? "  ?%" : `${String(Math.floor(known * 100)).padStart(3)}%`;
      stream.write(`\r\x1b[2K${bar} ${percent}  ${status}`);
      drawn = true;
    },
    clear() {
      if (drawn) stream.write("\r\x1b[2K");
      drawn = false;
    },
  };
}
