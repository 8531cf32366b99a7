// @jobkit/adapter-postgres: PostgreSQL JobStore + migrations for jobkit.
export { createPostgresJobStore, SKU_LOCK_NAMESPACE, type PostgresJobStore, type PostgresJobStoreOptions } from './postgres-job-store.js';
export { migratePostgres, MIGRATION_LOCK_NAMESPACE, type MigrateOptions, type MigrateResult } from './migrate.js';
export { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations/index.js';
export type { JobAvailable, JobAvailableListener } from './listener.js';
export { DEFAULT_SCHEMA, SCHEMA_NAME_PATTERN, validateSchemaName } from './schema-name.js';
export type { ConnectionOptions } from './connection.js';
export { toJobkitError, isConnectionError } from './errors.js';
