/** One row of the benchmark table: a figure, its unit, the target and whether it was met. */
export interface BenchRow {
  readonly group: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  /** The target as text, e.g. `<= 400 KB`, `>= 40x`; empty when the row is informative only. */
  readonly target?: string;
  /** Whether the target was met; undefined for informative rows. */
  readonly met?: boolean;
}

/** A benchmark module: measures side by side in one run and returns its rows. */
export type Bench = () => Promise<readonly BenchRow[]>;

function formatValue(value: number): string {
  if (Number.isInteger(value)) return value.toLocaleString("en-US");
  if (Math.abs(value) >= 100) return value.toLocaleString("en-US", { maximumFractionDigits: 0 });
  return value.toLocaleString("en-US", { maximumFractionDigits: 3 });
}

/** Prints rows as an aligned text table. */
export function printTable(rows: readonly BenchRow[]): string {
  const header = ["group", "metric", "value", "unit", "target", "met"];
  const body = rows.map((r) => [
    r.group,
    r.metric,
    formatValue(r.value),
    r.unit,
    r.target ?? "",
    r.met === undefined ? "" : r.met ? "yes" : "NO",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => (row[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 2 ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
