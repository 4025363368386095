// Aligned plain-text tables and a little colour for the operator CLI. Widths are measured on the
// plain text and colour is added after padding, so escape codes never shift a column; colour is
// only ever on when the caller says so (a TTY without NO_COLOR, see colorWanted).

export type Style = 'bold' | 'dim' | 'green' | 'red' | 'yellow' | 'cyan';

const CODES: Record<Style, string> = {
  bold: '1',
  dim: '2',
  green: '32',
  red: '31',
  yellow: '33',
  cyan: '36',
};

/** A cell: plain text, or text with a style that applies only when colour is on. */
export type Cell = string | { readonly text: string; readonly style?: Style | null };

export interface TableOptions {
  readonly color: boolean;
  /** Columns whose cells are right-aligned (numbers), by index. */
  readonly right?: readonly number[];
  /** Spaces before every line (a table under a heading). */
  readonly indent?: number;
}

/**
 * Colour for a stream: only a terminal, never with NO_COLOR set to a non-empty value
 * (no-color.org) or TERM=dumb, so that logs, pipes and CI get plain text.
 */
export function colorWanted(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (stream.isTTY !== true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return env.TERM !== 'dumb';
}

export function paint(text: string, style: Style | null | undefined, color: boolean): string {
  return color && style ? `\x1b[${CODES[style]}m${text}\x1b[0m` : text;
}

function textOf(cell: Cell): string {
  return typeof cell === 'string' ? cell : cell.text;
}

function styleOf(cell: Cell): Style | null {
  return typeof cell === 'string' ? null : (cell.style ?? null);
}

/**
 * Renders rows under an optional header line, columns two spaces apart, each line without
 * trailing blanks. Returns the lines joined with newlines (no final newline).
 */
export function renderTable(
  headers: readonly string[] | null,
  rows: readonly (readonly Cell[])[],
  options: TableOptions,
): string {
  const all: (readonly Cell[])[] = headers
    ? [headers.map((h): Cell => ({ text: h, style: 'bold' })), ...rows]
    : [...rows];
  const columns = Math.max(0, ...all.map((r) => r.length));
  const widths: number[] = [];
  for (let c = 0; c < columns; c++)
    widths.push(Math.max(0, ...all.map((r) => (c < r.length ? textOf(r[c]).length : 0))));
  const right = new Set(options.right ?? []);
  const pad = ' '.repeat(options.indent ?? 0);
  return all
    .map((row) => {
      const cells: string[] = [];
      for (let c = 0; c < columns; c++) {
        const cell = c < row.length ? row[c] : '';
        const text = textOf(cell);
        const fill = ' '.repeat(widths[c] - text.length);
        const aligned = right.has(c)
          ? fill + paint(text, styleOf(cell), options.color)
          : paint(text, styleOf(cell), options.color) + fill;
        cells.push(aligned);
      }
      return (pad + cells.join('  ')).trimEnd();
    })
    .join('\n');
}

/** Bytes for people: 0 B, 512 B, 1.5 KiB, 3.2 MiB. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(1)} ${units[unit]}`;
}

/** Milliseconds rounded to whole ms ("-" when unknown). */
export function formatMs(ms: number | null | undefined): string {
  return ms === null || ms === undefined || !Number.isFinite(ms) ? '-' : `${Math.round(ms)} ms`;
}

/** A wall-clock timestamp (ms since the epoch) as ISO 8601 in UTC, to the second. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '-';
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
