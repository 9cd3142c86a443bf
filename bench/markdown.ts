// Figures as text, and Markdown tables built from column definitions.

/** A number with fixed decimals, or "n/a" when it was not measured. */
export function formatNumber(value: number, decimals = 1): string {
  return Number.isFinite(value) ? value.toFixed(decimals) : 'n/a';
}

/** Bytes as MiB (or GiB from 1 GiB on), or "n/a". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return 'n/a';
  const mib = bytes / 1024 / 1024;
  return mib >= 1024 ? `${(mib / 1024).toFixed(2)} GiB` : `${mib.toFixed(1)} MiB`;
}

/** A 0..1 rate as a percentage with two decimals, or "n/a". */
export function formatRate(rate: number): string {
  return Number.isFinite(rate) ? `${(rate * 100).toFixed(2)}%` : 'n/a';
}

/** One column of a Markdown table: its header, how a row fills its cell, and whether it is a figure (right-aligned). */
export interface Column<T> {
  header: string;
  cell: (row: T) => string;
  figure?: boolean;
}

/** A right-aligned column of figures. */
export function figure<T>(header: string, cell: (row: T) => string): Column<T> {
  return { header, cell, figure: true };
}

/** A Markdown table of `rows` in `columns`; cells are escaped so a "|" in a value cannot break it. */
export function table<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const escape = (cell: string): string => cell.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  const line = (cells: readonly string[]): string => `| ${cells.map(escape).join(' | ')} |`;
  const rule = `|${columns.map((column) => (column.figure === true ? '---:' : '---')).join('|')}|`;
  return [line(columns.map((column) => column.header)), rule, ...rows.map((row) => line(columns.map((column) => column.cell(row))))].join('\n');
}
