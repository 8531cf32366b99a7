// @jobkit/adapter-sqlite: the embedded SQLite JobStore.
export { createSqliteJobStore, type SqliteJobStore } from './sqlite-job-store.js';
export type { SqliteJobStoreOptions } from './options.js';
export { migrateSqlite, type MigrationResult } from './migrate.js';
export { MIGRATIONS, LATEST_SCHEMA_VERSION, type Migration } from './migrations/index.js';
export { toJobkitError as sqliteErrorToJobkitError } from './errors.js';
