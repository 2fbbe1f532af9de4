import { type MockInstance, vi } from "vitest";

/** A JSON line the function wrote: a Powertools log line or an EMF metrics blob. */
export type OutputLine = Record<string, unknown>;

/**
 * Captures what Powertools Logger and Metrics print (JSON lines on stdout, and on stderr for
 * warnings and errors) while a test runs, so tests can assert what CloudWatch would receive.
 * Call `restore()` after each test.
 */
export class CapturedOutput {
  readonly #lines: OutputLine[] = [];
  readonly #spies: MockInstance<typeof process.stdout.write>[];

  public constructor() {
    const capture = (chunk: string | Uint8Array): boolean => {
      const text = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8");
      for (const line of text.split("\n")) {
        if (line.trim().startsWith("{")) this.#lines.push(JSON.parse(line) as OutputLine);
      }
      return true;
    };
    this.#spies = [process.stdout, process.stderr].map((stream) =>
      vi.spyOn(stream, "write").mockImplementation(capture),
    );
  }

  /** Every JSON line written so far. */
  public get lines(): readonly OutputLine[] {
    return this.#lines;
  }

  /** The log lines (those with a `level`), optionally only those whose message contains `text`. */
  public logs(text?: string): OutputLine[] {
    return this.#lines.filter(
      (line) => typeof line.level === "string" && (text === undefined || String(line.message).includes(text)),
    );
  }

  /**
   * The values an EMF blob reported for a metric, across every blob, with each blob's dimensions.
   */
  public metric(name: string): { value: number; dimensions: Record<string, unknown> }[] {
    return this.#lines.flatMap((line) => {
      const aws = line._aws as {
        CloudWatchMetrics?: { Metrics: { Name: string }[]; Dimensions: string[][] }[];
      };
      const directive = aws?.CloudWatchMetrics?.[0];
      if (directive === undefined || !directive.Metrics.some((metric) => metric.Name === name)) return [];
      const dimensions = Object.fromEntries((directive.Dimensions[0] ?? []).map((key) => [key, line[key]]));
      const raw = line[name];
      const values = Array.isArray(raw) ? raw : [raw];
      return values.map((value) => ({ value: Number(value), dimensions }));
    });
  }

  /** Stops capturing. */
  public restore(): void {
    for (const spy of this.#spies) spy.mockRestore();
  }
}
