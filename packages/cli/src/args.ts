/**
 * Flag parsing on node:util parseArgs (strict: unknown flags are errors), with the flags every command
 * shares and typed helpers that turn bad values into UsageErrors naming the flag.
 */
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError, type CliIo } from './io.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type ParsedValues = Record<string, string | boolean | string[] | undefined>;

/** Flags accepted by every command. */
const COMMON_OPTIONS = {
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpec;

export const COMMON_HELP = `Common options:
  --data-dir <dir>   where the database, objects and storefront live
                     (env JOBKIT_DATA_DIR, default ./jobkit-data)
  --json             print one machine-readable JSON document on stdout
  -h, --help         show this help`;

export interface ParsedCommandLine {
  values: ParsedValues;
  positionals: string[];
}

/** parseArgs in strict mode; its errors (unknown flag, missing value …) become UsageErrors. */
export function parseCommandLine(argv: string[], options: OptionSpec, allowPositionals: boolean): ParsedCommandLine {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals, strict: true });
    return { values: values as ParsedValues, positionals };
  } catch (e) {
    const err = e as Error & { code?: string };
    if (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS')) throw new UsageError(cleanParseArgsMessage(err.message));
    throw e;
  }
}

// parseArgs messages end with advice about "--" that does not apply to this CLI's users.
function cleanParseArgsMessage(message: string): string {
  return message.replace(/\. To specify a positional argument starting with a '-'.*$/s, '').replace(/\s+$/, '');
}

export function stringFlag(values: ParsedValues, name: string): string | undefined {
  const v = values[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length === 0) throw new UsageError(`--${name} needs a value`);
  return v;
}

export function booleanFlag(values: ParsedValues, name: string): boolean {
  return values[name] === true;
}

/** An integer flag in [min, max]; `fallback` when absent. */
export function intFlag(values: ParsedValues, name: string, fallback: number, min: number, max: number): number;
export function intFlag(values: ParsedValues, name: string, fallback: undefined, min: number, max: number): number | undefined;
export function intFlag(values: ParsedValues, name: string, fallback: number | undefined, min: number, max: number): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(raw)}`);
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${raw}`);
  return n;
}

/** A non-negative number flag (e.g. --days 0.5). */
export function numberFlag(values: ParsedValues, name: string, min: number, max: number): number | undefined {
  const raw = stringFlag(values, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return n;
}

/** --data-dir, else JOBKIT_DATA_DIR, else ./jobkit-data; resolved against io.cwd. */
export function resolveDataDir(values: ParsedValues, io: CliIo): string {
  const dir = stringFlag(values, 'data-dir') ?? (io.env.JOBKIT_DATA_DIR || undefined) ?? 'jobkit-data';
  return path.resolve(io.cwd, dir);
}
