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
    expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, 0, 0, MIGRATIONS.length]);
    expect(results.every((r) => r.to === LATEST_SCHEMA_VERSION)).toBe(true);
    const rows = await pool.query('SELECT version FROM race.schema_migrations ORDER BY version');
    expect(rows.rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })));
    // Re-running is a no-op.
    expect((await migratePostgres({ pool, schema: 'race' })).applied).toEqual([]);
  });

  it('applies only the new migrations on upgrade, each in its own transaction', async () => {
    await migratePostgres({ pool, schema: 'upgrade' });
    const next = LATEST_SCHEMA_VERSION + 1;
    const v2: Migration = { version: next, name: 'add-note', up: (s) => [`ALTER TABLE ${s}.jobs ADD COLUMN note text`] };
    const broken: Migration = { version: next + 1, name: 'broken', up: (s) => [`ALTER TABLE ${s}.jobs ADD COLUMN other text`, 'SELECT * FROM no_such_table'] };
    expect((await codeOf(migratePostgres({ pool, schema: 'upgrade', migrations: [...MIGRATIONS, v2, broken] }))).code).toBe('STORAGE_FAILED');
    // v2 committed, the failed v3 left nothing behind.
    const cols = await pool.query<{ column_name: string }>(
      "SELECT column_name FROM information_schema.columns WHERE table_schema = 'upgrade' AND table_name = 'jobs' AND column_name IN ('note', 'other')",
    );
    expect(cols.rows.map((r) => r.column_name)).toEqual(['note']);
    expect((await pool.query('SELECT max(version)::int AS v FROM upgrade.schema_migrations')).rows[0]).toEqual({ v: next });
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
      expect(err.message).toMatch(new RegExp(`version 99, newer than the ${LATEST_SCHEMA_VERSION} this @jobkit/adapter-postgres knows`));
    }
  });

  it('a schema written by 0.1.0 (migration 1 only) is upgraded in place and its jobs run on', async () => {
    await migratePostgres({ pool, schema: 'v010', migrations: MIGRATIONS.slice(0, 1) });
    // A row exactly as 0.1.0 wrote it: the columns of migration 1, a job mid-pipeline and one finished.
    const insert = (id: string, status: string, extra: string) =>
      pool.query(
        `INSERT INTO v010.jobs (id, sku, sha256, theme, status, driver, attempts, max_attempts, original_key, mask_key, background_keys, composite_keys, thumbnail_keys, derivative_keys, storefront_media_ids, cost_usd, created_at, updated_at, started_at, completed_at, version)
         VALUES ($1, 'OLD-1', $2, 'default', $3, 'worker', 0, 5, 'originals/OLD-1/x.jpg', $4, '["b/1.jpg"]', $5, '[]', '[]', $6, 0.01, now(), now(), now(), $7, 3)`,
        [
          id,
          extra.repeat(64).slice(0, 64),
          status,
          'masks/OLD-1/x.png',
          status === 'DONE' ? '["c/1.jpg"]' : '[]',
          status === 'DONE' ? '["gid://shopify/MediaImage/1"]' : '[]',
          status === 'DONE' ? new Date().toISOString() : null,
        ],
      );
    await insert('job-old-done', 'DONE', 'a');
    await insert('job-old-compositing', 'COMPOSITING', 'b');
    await pool.query(
      `INSERT INTO v010.job_events (job_id, at, from_status, to_status, attempt, cost_usd) VALUES ('job-old-done', now(), 'SHOPIFY_PUSH', 'DONE', 1, 0.01)`,
    );
    const store = await createPostgresJobStore({ pool, schema: 'v010' });
    try {
      expect((await pool.query('SELECT max(version)::int AS v FROM v010.schema_migrations')).rows[0]).toEqual({ v: LATEST_SCHEMA_VERSION });
      expect(await store.get('job-old-done')).toMatchObject({
        status: 'DONE',
        quality: null,
        segmentWith: null,
        storefrontMediaIds: ['gid://shopify/MediaImage/1'],
        version: 3,
      });
      expect(await store.listEvents('job-old-done')).toHaveLength(1);
      // The job mid-pipeline is claimed and written on by this version.
      const [claimed] = await store.claimDue({ owner: 'w', now: new Date(Date.now() + 1000), leaseMs: 10_000, limit: 5 });
      expect(claimed).toMatchObject({ id: 'job-old-compositing', quality: null });
      const held = await store.update(
        { ...claimed!, status: 'REVIEW', compositeKeys: ['c/2.jpg'], quality: { score: 0.3, reasons: ['r'] }, leaseOwner: null, leaseExpiresAt: null },
        { jobId: claimed!.id, at: new Date().toISOString(), from: 'COMPOSITING', to: 'REVIEW', attempt: 1, errorCode: null, message: null, costUsd: 0 },
      );
      expect(await store.get(held.id)).toMatchObject({ status: 'REVIEW', quality: { score: 0.3, reasons: ['r'] } });
      expect((await store.stats(new Date())).byStatus).toMatchObject({ DONE: 1, REVIEW: 1 });
    } finally {
      await store.close();
    }
  });

  it('migrate: false refuses an unmigrated schema and accepts a current one', async () => {
    const err = await codeOf(createPostgresJobStore({ pool, schema: 'notyet', migrate: false }));
    expect(err).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
    expect(err.message).toMatch(new RegExp(`version 0, expected ${LATEST_SCHEMA_VERSION}: run migratePostgres`));
    await migratePostgres({ pool, schema: 'notyet' });
    const store = await createPostgresJobStore({ pool, schema: 'notyet', migrate: false });
    await store.ping();
    await store.close();
  });
});
