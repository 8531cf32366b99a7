import type BetterSqlite3 from 'better-sqlite3';
import { invalidInput, systemClock, type Clock } from 'jobkit';

export interface SqliteJobStoreOptions {
  /** Path of the database file (created when missing), or ':memory:'. Exactly one of filename / database. */
  filename?: string | undefined;
  /**
   * An open better-sqlite3 connection to use instead (pragmas and migrations are applied to it). The store
   * does not close a connection it did not open.
   */
  database?: BetterSqlite3.Database | undefined;
  /** How long one statement waits for another connection's lock before SQLITE_BUSY. Default 5000. */
  busyTimeoutMs?: number | undefined;
  /** Extra attempts (with backoff) of a whole operation whose lock wait still timed out. Default 5. */
  maxBusyRetries?: number | undefined;
  /** Time source for purgedAt (cleanup) and migration timestamps. Default the system clock. */
  clock?: Clock | undefined;
}

export interface ResolvedOptions {
  source: { kind: 'file'; filename: string } | { kind: 'database'; database: BetterSqlite3.Database };
  /** Name used in error messages. */
  label: string;
  busyTimeoutMs: number;
  maxBusyRetries: number;
  clock: Clock;
}

function nonNegativeInt(value: unknown, field: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    throw invalidInput(field, `must be an integer between 0 and ${max}`);
  }
  return value;
}

/** Validates the options at the boundary; errors are INVALID_INPUT naming the field. */
export function resolveOptions(opts: SqliteJobStoreOptions): ResolvedOptions {
  if (typeof opts !== 'object' || opts === null) throw invalidInput('options', 'must be an object');
  const hasFile = opts.filename !== undefined;
  const hasDb = opts.database !== undefined;
  if (hasFile === hasDb) throw invalidInput('filename', 'give exactly one of filename or database');
  let source: ResolvedOptions['source'];
  let label: string;
  if (hasFile) {
    if (typeof opts.filename !== 'string' || opts.filename.length === 0 || opts.filename.includes('\u0000')) {
      throw invalidInput('filename', 'must be a non-empty path or ":memory:"');
    }
    source = { kind: 'file', filename: opts.filename };
    label = opts.filename;
  } else {
    const db = opts.database;
    if (typeof db !== 'object' || db === null || typeof (db as { prepare?: unknown }).prepare !== 'function') {
      throw invalidInput('database', 'must be a better-sqlite3 Database');
    }
    if (!db.open) throw invalidInput('database', 'the connection is closed');
    source = { kind: 'database', database: db };
    label = db.name;
  }
  if (opts.clock !== undefined && typeof opts.clock?.now !== 'function') throw invalidInput('clock', 'must have a now() method');
  return {
    source,
    label,
    busyTimeoutMs: nonNegativeInt(opts.busyTimeoutMs, 'busyTimeoutMs', 5000, 2_147_483_647),
    maxBusyRetries: nonNegativeInt(opts.maxBusyRetries, 'maxBusyRetries', 5, 100),
    clock: opts.clock ?? systemClock,
  };
}
