import type pg from 'pg';
import { JobkitError, silentLogger, type Logger } from 'jobkit';
import { openPool, withClient, type ConnectionOptions } from './connection.js';
import { toJobkitError } from './errors.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, type Migration } from './migrations/index.js';
import { DEFAULT_SCHEMA, quoteIdent, validateSchemaName } from './schema-name.js';

/** First key of the two-int advisory locks this package takes ("jk" + 1); the second is hashtext(schema). */
export const MIGRATION_LOCK_NAMESPACE = 0x6a6b0001;

export interface MigrateOptions extends ConnectionOptions {
  /** Default `jobkit`. */
  schema?: string | undefined;
  logger?: Logger | undefined;
  /** For tests of future versions; defaults to the migrations shipped with this package. */
  migrations?: readonly Migration[] | undefined;
}

export interface MigrateResult {
  schema: string;
  /** Version before and after. 0 = empty schema. */
  from: number;
  to: number;
  /** Versions applied by this call (empty when another process had already migrated). */
  applied: number[];
}

/**
 * Brings `schema` to the latest version. Safe to run from many processes at once: a session advisory lock
 * per schema serialises migrators, and each one re-reads the applied versions after taking it, so a schema
 * is migrated exactly once. Each migration runs in its own transaction with its version row. A schema at a
 * newer version than this package knows is refused (STORAGE_FAILED, not retryable) without changes.
 */
export async function migratePostgres(opts: MigrateOptions): Promise<MigrateResult> {
  const schema = validateSchemaName(opts.schema ?? DEFAULT_SCHEMA);
  const logger = opts.logger ?? silentLogger;
  const conn = openPool({ ...opts, poolSize: 1 }, logger);
  try {
    return await migrateWithPool(conn.pool, schema, opts.migrations ?? MIGRATIONS, logger);
  } finally {
    await conn.dispose();
  }
}

export async function migrateWithPool(pool: pg.Pool, schema: string, migrations: readonly Migration[], logger: Logger): Promise<MigrateResult> {
  const s = quoteIdent(schema);
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version;
  try {
    return await withClient(pool, async (client) => {
      await client.query('SELECT pg_advisory_lock($1, hashtext($2))', [MIGRATION_LOCK_NAMESPACE, schema]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
        );
        const from = await readVersion(client, schema);
        if (from > latest) throw newerSchemaError(schema, from, latest);
        const applied: number[] = [];
        for (const m of migrations) {
          if (m.version <= from) continue;
          await client.query('BEGIN');
          try {
            for (const statement of m.up(s)) await client.query(statement);
            await client.query(`INSERT INTO ${s}.schema_migrations (version, name) VALUES ($1, $2)`, [m.version, m.name]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw err;
          }
          applied.push(m.version);
          logger.info({ schema, version: m.version, name: m.name }, 'postgres migration applied');
        }
        return { schema, from, to: Math.max(from, latest), applied };
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [MIGRATION_LOCK_NAMESPACE, schema]).catch(() => undefined);
      }
    });
  } catch (err) {
    throw toJobkitError(err, 'migration');
  }
}

/** Throws unless `schema` is exactly at the version this package expects (used with `migrate: false`). */
export async function assertSchemaVersion(pool: pg.Pool, schema: string): Promise<void> {
  let version: number;
  try {
    version = await withClient(pool, (client) => readVersion(client, schema));
  } catch (err) {
    throw toJobkitError(err, 'schema version check');
  }
  if (version > LATEST_SCHEMA_VERSION) throw newerSchemaError(schema, version, LATEST_SCHEMA_VERSION);
  if (version < LATEST_SCHEMA_VERSION) {
    throw new JobkitError('STORAGE_FAILED', `postgres schema "${schema}" is at version ${version}, expected ${LATEST_SCHEMA_VERSION}: run migratePostgres`, {
      retryable: false,
      details: { schema, version, expected: LATEST_SCHEMA_VERSION },
    });
  }
}

async function readVersion(client: pg.ClientBase, schema: string): Promise<number> {
  const exists = await client.query<{ ok: boolean }>('SELECT to_regclass($1) IS NOT NULL AS ok', [`${quoteIdent(schema)}.schema_migrations`]);
  if (!exists.rows[0]?.ok) return 0;
  const r = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${quoteIdent(schema)}.schema_migrations`);
  return r.rows[0]?.v ?? 0;
}

function newerSchemaError(schema: string, found: number, known: number): JobkitError {
  return new JobkitError(
    'STORAGE_FAILED',
    `postgres schema "${schema}" is at version ${found}, newer than the ${known} this @jobkit/adapter-postgres knows: upgrade the package (refusing to run against a newer schema)`,
    { retryable: false, details: { schema, version: found, supported: known } },
  );
}
