import { accessSync, constants, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { JobkitError } from 'jobkit';
import { isBusy, toJobkitError } from './errors.js';
import { LATEST_SCHEMA_VERSION } from './migrations/index.js';
import type { ResolvedOptions } from './options.js';

const isMemory = (filename: string): boolean => filename === ':memory:' || filename === '';

/** Blocks the thread for `ms` (open is synchronous; this only runs while another process holds a lock). */
function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs a synchronous open step, retrying while another connection holds the lock past busy_timeout. */
export function withBusyRetrySync<T>(retries: number, fn: () => T): T {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (error) {
      if (!isBusy(error) || attempt >= retries) throw error;
      sleepSync(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
  }
}

/** Refuses a path we could only open read-only, before SQLite silently falls back to a read-only handle. */
function checkFile(filename: string): void {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(filename);
  } catch {
    return; // Missing: SQLite creates it (a missing directory is reported by the open itself).
  }
  if (!stat.isFile()) throw new JobkitError('STORAGE_FAILED', `${filename} is not a regular file`, { retryable: false, details: { filename } });
  try {
    accessSync(filename, constants.R_OK | constants.W_OK);
  } catch (error) {
    throw new JobkitError('STORAGE_FAILED', `${filename} is read-only or not readable for this process; the job store needs read and write access`, {
      cause: error,
      retryable: false,
      details: { filename },
    });
  }
}

/** Schema version recorded in the file (0 for a new or foreign-but-empty database). Read-only. */
export function readSchemaVersion(db: Database.Database): number {
  const table = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'").get();
  if (table === undefined) return 0;
  const row = db.prepare('SELECT MAX(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

export function newerSchemaError(label: string, found: number): JobkitError {
  return new JobkitError(
    'STORAGE_FAILED',
    `${label} has schema version ${found}, newer than this @jobkit/adapter-sqlite supports (${LATEST_SCHEMA_VERSION}); upgrade the package instead of opening it with an older one`,
    { retryable: false, details: { filename: label, schemaVersion: found, supportedVersion: LATEST_SCHEMA_VERSION } },
  );
}

/**
 * Opens (or adopts) the connection and configures it. The file is only read until it is known to be a
 * SQLite database of a schema version we understand, so a foreign, corrupt or newer file is never written.
 */
export function openConnection(opts: ResolvedOptions): { db: Database.Database; owned: boolean } {
  const owned = opts.source.kind === 'file';
  let db: Database.Database;
  try {
    if (opts.source.kind === 'file') {
      if (!isMemory(opts.source.filename)) checkFile(opts.source.filename);
      db = new Database(opts.source.filename);
    } else {
      db = opts.source.database;
    }
  } catch (error) {
    throw toJobkitError(error, opts.label, 'open');
  }
  try {
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs}`);
    withBusyRetrySync(opts.maxBusyRetries, () => {
      // Reading the schema forces SQLite to parse the header: NOTADB / CORRUPT surface here, before any write.
      const version = readSchemaVersion(db);
      if (version > LATEST_SCHEMA_VERSION) throw newerSchemaError(opts.label, version);
    });
    db.pragma('foreign_keys = ON');
    db.pragma('synchronous = NORMAL');
    if (!isMemory(db.name) && !db.memory) {
      const mode = withBusyRetrySync(opts.maxBusyRetries, () => db.pragma('journal_mode = WAL', { simple: true }));
      if (mode !== 'wal') {
        throw new JobkitError('STORAGE_FAILED', `${opts.label}: could not switch to WAL journal mode (got ${String(mode)})`, { retryable: false });
      }
    }
  } catch (error) {
    if (owned) db.close();
    throw toJobkitError(error, opts.label, 'open');
  }
  return { db, owned };
}
