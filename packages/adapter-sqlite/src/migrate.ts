import type Database from 'better-sqlite3';
import { systemClock, type Clock } from 'jobkit';
import { toJobkitError } from './errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations/index.js';
import { newerSchemaError, openConnection, readSchemaVersion, withBusyRetrySync } from './open.js';
import { resolveOptions } from './options.js';

export interface MigrationResult {
  /** Schema version found in the file before migrating (0 = empty database). */
  fromVersion: number;
  /** Schema version after migrating (always the latest this build knows). */
  toVersion: number;
  /** Versions applied by this call, in order; empty when the file was already up to date. */
  applied: number[];
}

const CREATE_MIGRATIONS_TABLE = `
CREATE TABLE IF NOT EXISTS schema_migrations (
  version    INTEGER NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at INTEGER NOT NULL
) STRICT`;

/**
 * Applies the pending migrations in one IMMEDIATE transaction (all or nothing). Several processes opening
 * the same new file at once are serialised by the write lock; the losers re-read the version inside the
 * transaction and find nothing left to do. Already up to date: nothing is written.
 */
export function applyMigrations(db: Database.Database, label: string, clock: Clock = systemClock, maxBusyRetries = 5): MigrationResult {
  try {
    const before = readSchemaVersion(db);
    if (before > LATEST_SCHEMA_VERSION) throw newerSchemaError(label, before);
    if (before === LATEST_SCHEMA_VERSION) return { fromVersion: before, toVersion: before, applied: [] };
    const migrate = db.transaction((): MigrationResult => {
      db.exec(CREATE_MIGRATIONS_TABLE);
      const current = readSchemaVersion(db);
      if (current > LATEST_SCHEMA_VERSION) throw newerSchemaError(label, current);
      const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
      const applied: number[] = [];
      for (const m of MIGRATIONS) {
        if (m.version <= current) continue;
        db.exec(m.sql);
        record.run(m.version, m.name, clock.now().getTime());
        applied.push(m.version);
      }
      return { fromVersion: current, toVersion: LATEST_SCHEMA_VERSION, applied };
    });
    return withBusyRetrySync(maxBusyRetries, () => migrate.immediate());
  } catch (error) {
    throw toJobkitError(error, label, 'migration');
  }
}

/**
 * Brings a database file (or an open better-sqlite3 connection) to the latest schema, e.g. for a
 * `jobkit migrate` command. Opening a store migrates too; this is for doing it ahead of deployment.
 */
export function migrateSqlite(filenameOrDb: string | Database.Database): MigrationResult {
  const options = resolveOptions(typeof filenameOrDb === 'string' ? { filename: filenameOrDb } : { database: filenameOrDb });
  const { db, owned } = openConnection(options);
  try {
    return applyMigrations(db, options.label, options.clock, options.maxBusyRetries);
  } finally {
    if (owned) db.close();
  }
}
