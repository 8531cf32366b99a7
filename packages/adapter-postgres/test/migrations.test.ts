import type pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { JobkitError } from 'jobkit';
import { createPostgresJobStore, LATEST_SCHEMA_VERSION, MIGRATIONS, migratePostgres, type Migration } from '../src/index.js';
import { describePg, useTestDatabase } from './pg-target.js';

async function codeOf(p: Promise<unknown>): Promise<{ code: string; retryable?: boolean; message: string }> {
  try {
    await p;
    return { code: 'resolved', message: '' };
  } catch (e) {
    if (!JobkitError.is(e)) throw e;
    return { code: e.code, retryable: e.retryable, message: e.message };
  }
}

describePg('migrations', () => {
  const db = useTestDatabase('migrations');
  let pool: pg.Pool;
  beforeAll(() => {
    pool = db.pool(4);
  });

  it('concurrent migrators (separate connections) migrate a schema exactly once', async () => {
    const results = await Promise.all(Array.from({ length: 5 }, () => migratePostgres({ connectionString: db.url(), schema: 'race' })));
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, 0, 0, 1]);
    expect(results.every((r) => r.to === LATEST_SCHEMA_VERSION)).toBe(true);
    const rows = await pool.query('SELECT version FROM race.schema_migrations');
    expect(rows.rows).toEqual([{ version: 1 }]);
    // Re-running is a no-op.
    expect((await migratePostgres({ pool, schema: 'race' })).applied).toEqual([]);
  });

  it('applies only the new migrations on upgrade, each in its own transaction', async () => {
    await migratePostgres({ pool, schema: 'upgrade' });
    const v2: Migration = { version: 2, name: 'add-note', up: (s) => [`ALTER TABLE ${s}.jobs ADD COLUMN note text`] };
    const broken: Migration = { version: 3, name: 'broken', up: (s) => [`ALTER TABLE ${s}.jobs ADD COLUMN other text`, 'SELECT * FROM no_such_table'] };
    expect((await codeOf(migratePostgres({ pool, schema: 'upgrade', migrations: [...MIGRATIONS, v2, broken] }))).code).toBe('STORAGE_FAILED');
    // v2 committed, the failed v3 left nothing behind.
    const cols = await pool.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'upgrade' AND table_name = 'jobs' AND column_name IN ('note', 'other')",
    );
    expect(cols.rows.map((r) => r.column_name)).toEqual(['note']);
    expect((await pool.query('SELECT max(version)::int AS v FROM upgrade.schema_migrations')).rows[0]).toEqual({ v: 2 });
  });

  it('refuses a schema newer than the package knows, clearly and without changes', async () => {
    await migratePostgres({ pool, schema: 'future' });
    await pool.query("INSERT INTO future.schema_migrations (version, name) VALUES (99, 'from-the-future')");
    const attempts = [
      () => migratePostgres({ pool, schema: 'future' }),
      () => createPostgresJobStore({ pool, schema: 'future' }),
      () => createPostgresJobStore({ pool, schema: 'future', migrate: false }),
    ];
    for (const attempt of attempts) {
      const err = await codeOf(attempt());
      expect(err).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
      expect(err.message).toMatch(/version 99, newer than the 1 this @jobkit\/adapter-postgres knows/);
    }
  });

  it('migrate: false refuses an unmigrated schema and accepts a current one', async () => {
    const err = await codeOf(createPostgresJobStore({ pool, schema: 'notyet', migrate: false }));
    expect(err).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
    expect(err.message).toMatch(/version 0, expected 1: run migratePostgres/);
    await migratePostgres({ pool, schema: 'notyet' });
    const store = await createPostgresJobStore({ pool, schema: 'notyet', migrate: false });
    await store.ping();
    await store.close();
  });
});
