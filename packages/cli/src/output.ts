/** Human output (aligned tables, durations, money) and the one-JSON-document-on-stdout mode. */
import type { OutputStream } from './io.js';

/** Writes `value` as the command's single JSON document. */
export function writeJson(stream: OutputStream, value: unknown): void {
  stream.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function writeLine(stream: OutputStream, line = ''): void {
  stream.write(`${line}\n`);
}

export type Align = 'left' | 'right';

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  align?: Align;
  /** Longer cells are cut with an ellipsis. */
  maxWidth?: number;
}

/** A plain-text table: a header row, then one row per item, columns padded to the widest cell. */
export function formatTable<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = rows.map((row) => columns.map((c) => truncate(oneLine(c.value(row)), c.maxWidth)));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((r) => r[i]!.length)));
  const render = (values: string[]) =>
    values
      .map((v, i) => (columns[i]!.align === 'right' ? v.padStart(widths[i]!) : v.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [render(columns.map((c) => c.header)), ...cells.map(render)].join('\n');
}

/** Two-column key/value block (summaries, stats). */
export function formatPairs(pairs: ReadonlyArray<readonly [string, string]>): string {
  const width = Math.max(0, ...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

function oneLine(value: string): string {
  return value.replace(/\s+/g, ' ');
}

function truncate(value: string, max: number | undefined): string {
  if (max === undefined || value.length <= max) return value;
  return `${value.slice(0, Math.max(0, max - 1))}…`;
}

export function formatUsd(value: number): string {
  return `$${value.toFixed(value !== 0 && value < 0.01 ? 4 : 2)}`;
}

export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return '—';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}
