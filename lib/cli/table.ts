import { type CliOutput, paint, type Style } from "./io";

/** A cell: plain text, or text with a style applied on a colour terminal. */
export type TableCell = string | { readonly text: string; readonly style: Style };

/**
 * Columns padded to their widest cell, a bold header, two spaces between columns; styles apply only
 * on a colour terminal, and padding is computed on the plain text so columns line up either way.
 */
export function renderTable(
  stream: CliOutput,
  headers: readonly string[],
  rows: readonly (readonly TableCell[])[],
): string {
  const plain = (cell: TableCell | undefined) => (typeof cell === "string" ? cell : (cell?.text ?? ""));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...rows.map((row) => plain(row[column]).length)),
  );
  const line = (cells: readonly TableCell[], headerStyle?: Style) =>
    cells
      .map((cell, column) => {
        const text = plain(cell);
        const padded = column === cells.length - 1 ? text : text.padEnd(widths[column] ?? 0);
        const style = headerStyle ?? (typeof cell === "string" ? undefined : cell.style);
        return style === undefined ? padded : paint(stream, style, padded);
      })
      .join("  ");
  return [line(headers, "bold"), ...rows.map((row) => line(row))].join("\n");
}
