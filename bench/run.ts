import { readdir } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { type Bench, type BenchRow, printTable } from "./table";

/**
 * `npm run bench`: runs every `bench/*.bench.ts` (or those named on the command line, e.g.
 * `npm run bench -- publisher`) and prints one table. Benchmarks measure; tests never assert timings.
 */
async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const dir = fileURLToPath(new URL(".", import.meta.url));
  const files = (await readdir(dir))
    .filter((f) => f.endsWith(".bench.ts"))
    .filter((f) => only.length === 0 || only.some((o) => f.startsWith(o)))
    .sort();
  const rows: BenchRow[] = [];
  for (const file of files) {
    process.stderr.write(`bench: running ${file}\n`);
    const mod = (await import(`./${file}`)) as { default: Bench };
    rows.push(...(await mod.default()));
  }
  process.stdout.write(`${printTable(rows)}\n`);
  const missed = rows.filter((r) => r.met === false);
  if (missed.length > 0) {
    process.stdout.write(
      `\n${missed.length} target(s) missed: ${missed.map((r) => `${r.group}/${r.metric}`).join(", ")}\n`,
    );
  }
}

await main();
