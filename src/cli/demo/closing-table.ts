/**
 * The demo's closing table: per system, what went in, what came out and where to look. Pure:
 * rows in, lines of text out. A cell may hold several lines; rows are ruled off from each other.
 */

export interface SystemRow {
  /** `sensors`. */
  system: string;
  in: string[];
  out: string[];
  /** Topics, tables, commands and UI links. */
  where: string[];
}

export const closingTableHeader = ['system', 'in', 'out', 'where to look'] as const;

/** The table as lines: a header, a rule, and each row's lines, a rule between rows. */
export function renderClosingTable(rows: readonly SystemRow[]): string[] {
  const cellsOf = (row: SystemRow) => [[row.system], row.in, row.out, row.where];
  const widths = closingTableHeader.map((title, column) => Math.max(title.length, ...rows.flatMap((row) => (cellsOf(row)[column] ?? []).map((line) => line.length))));
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join(' | ').trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('-+-');
  const body = rows.map((row) => {
    const cells = cellsOf(row);
    const height = Math.max(1, ...cells.map((cell) => cell.length));
    return Array.from({ length: height }, (_, i) => line(cells.map((cell) => cell[i] ?? '')));
  });
  return [line(closingTableHeader), rule, ...body.flatMap((rowLines, i) => (i === 0 ? rowLines : [rule, ...rowLines]))];
}
