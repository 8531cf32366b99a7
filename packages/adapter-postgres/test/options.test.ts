import { createServer, type Server } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creationEvent, makeJob, rejectionOf as errorOf } from 'jobkit/testing';
import { createPostgresJobStore, migratePostgres, type JobAvailable, type PostgresJobStore } from '../src/index.js';
import { describePg, useTestDatabase } from './pg-target.js';

describe('options validation (no server needed)', () => {
  it.each(['Jobkit', 'a;drop table x', 'a"b', 'pg_catalog', '1abc', '', 'x'.repeat(41)])('rejects schema %j', async (schema) => {
    const err = await errorOf(createPostgresJobStore({ connectionString: 'postgres://127.0.0.1:1/x', schema }));
    expect(err.code).toBe('INVALID_INPUT');
    expect(err.details).toEqual({ field: 'schema' });
  });

  it('needs exactly one of pool and connectionString', async () => {
    expect((await errorOf(createPostgresJobStore({}))).details).toEqual({ field: 'connectionString' });
    const pool = new pg.Pool();
    expect((await errorOf(createPostgresJobStore({ pool, connectionString: 'postgres://x' }))).details).toEqual({ field: 'pool' });
    await pool.end();
  });

  it('an unreachable server is a retryable STORAGE_FAILED', async () => {
    // A port that accepts and immediately closes connections, then a port nobody listens on.
    const server: Server = createServer((s) => s.destroy());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    const err = await errorOf(createPostgresJobStore({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` }));
    expect(err).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
    await new Promise((r) => server.close(r));
    const refused = await errorOf(migratePostgres({ connectionString: `postgres://postgres@127.0.0.1:${port}/x` }));
    expect(refused).toMatchObject({ code: 'STORAGE_FAILED', retryable: true });
  });
});

describePg('schemas, notifications and values', () => {
  const db = useTestDatabase('options');
  let pool: pg.Pool;
  let a: PostgresJobStore;
  let b: PostgresJobStore;
  beforeAll(async () => {
    pool = db.pool(6);
    a = await createPostgresJobStore({ pool, schema: 'tenant_a' });
    b = await createPostgresJobStore({ connectionString: db.url(), schema: 'tenant_b' });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
  });

  const queuedJob = (overrides = {}) => makeJob({ status: 'QUEUED', driver: 'worker', ...overrides });

  it('the schema option isolates stores on one database', async () => {
    const job = queuedJob({ sku: 'ISO' });
    expect((await a.insertOrGet(job, creationEvent(job))).created).toBe(true);
    expect((await b.insertOrGet(job, creationEvent(job))).created).toBe(true);
    expect((await a.list({ sku: 'ISO', limit: 10, offset: 0 })).total).toBe(1);
    const claimed = await a.claimDue({ owner: 'wa', now: new Date(), leaseMs: 60_000, limit: 10 });
    expect(claimed.map((j) => j.id)).toEqual([job.id]);
    // b's copy is untouched by a's claim.
    expect((await b.get(job.id))?.leaseOwner).toBeNull();
    const tables = await pool.query<{ table_schema: string }>(
      "SELECT DISTINCT table_schema FROM information_schema.tables WHERE table_name = 'jobs' ORDER BY 1",
    );
    expect(tables.rows.map((r) => r.table_schema)).toEqual(['tenant_a', 'tenant_b']);
  });

  it('NOTIFY wakes listeners when a job becomes claimable, per schema', async () => {
    const seenA: JobAvailable[] = [];
    const seenB: JobAvailable[] = [];
    const offA = a.onJobAvailable((e) => seenA.push(e));
    b.onJobAvailable((e) => seenB.push(e));
    await Promise.all([a.whenListening(), b.whenListening()]);

    const fresh = makeJob({ sku: 'N1' }); // NEW: not claimable, no notification
    await a.insertOrGet(fresh, creationEvent(fresh));
    const later = queuedJob({ sku: 'N2', nextRunAt: '2030-01-02T03:04:05.678Z' });
    await a.insertOrGet(later, creationEvent(later));
    const queuedNow = await a.update({ ...fresh, status: 'QUEUED', driver: 'worker' }, creationEvent(fresh));
    const [claimed] = await a.claimDue({ owner: 'w', now: new Date(), leaseMs: 60_000, limit: 1 });
    expect(claimed?.id).toBe(queuedNow.id);
    expect(await a.releaseLease({ id: claimed!.id, owner: 'w', version: claimed!.version })).toBe(true);

    // Notifications arrive in commit order: after the last one, nothing else is pending.
    await expect.poll(() => seenA.length, { timeout: 5_000 }).toBe(3);
    expect(seenA).toEqual([
      { jobId: later.id, runAt: '2030-01-02T03:04:05.678Z' },
      { jobId: fresh.id, runAt: null }, // update NEW → QUEUED
      { jobId: fresh.id, runAt: null }, // lease released
    ]);
    expect(seenB).toEqual([]);
    offA();
    const other = queuedJob({ sku: 'N3' });
    await b.insertOrGet(other, creationEvent(other));
    await expect.poll(() => seenB.map((e) => e.jobId), { timeout: 5_000 }).toEqual([other.id]);
    expect(seenA).toHaveLength(3);
  });

  it('notify: false sends nothing', async () => {
    const quiet = await createPostgresJobStore({ pool, schema: 'tenant_a', notify: false });
    const seen: JobAvailable[] = [];
    a.onJobAvailable((e) => seen.push(e));
    await a.whenListening();
    const silent = queuedJob({ sku: 'Q1' });
    await quiet.insertOrGet(silent, creationEvent(silent));
    const loud = queuedJob({ sku: 'Q2' });
    await a.insertOrGet(loud, creationEvent(loud));
    await expect.poll(() => seen.length, { timeout: 5_000 }).toBe(1);
    expect(seen[0]!.jobId).toBe(loud.id);
    await quiet.close();
    // close() on a store given a pool leaves the pool open.
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('round-trips large versions, float costs and hostile strings as plain values', async () => {
    const job = makeJob({
      sku: "x'); DROP TABLE jobs; --",
      version: 2 ** 40,
      costUsd: 0.1 + 0.2,
      errorMessage: 'backslashes \\, $1 placeholders and "quotes"',
      storefrontMediaIds: ['[not json]', '{"a":1}'],
    });
    const created = await a.insertOrGet(job, { ...creationEvent(job), costUsd: 1e-7 });
    expect(created.job).toEqual(job);
    const updated = await a.update({ ...job, costUsd: 1234567.123456 }, creationEvent(job));
    expect(updated.version).toBe(2 ** 40 + 1);
    expect(updated.costUsd).toBe(1234567.123456);
    expect((await a.listEvents(job.id)).map((e) => e.costUsd)).toEqual([1e-7, 0]);
  });

  it('stores NUL characters in error text as U+FFFD instead of failing the write', async () => {
    const job = makeJob({ sku: 'NUL' });
    await a.insertOrGet(job, creationEvent(job));
    const failed = await a.update({ ...job, errorMessage: 'bad\u0000byte', errorStack: '\u0000' }, { ...creationEvent(job), message: 'x\u0000' });
    expect(failed).toMatchObject({ errorMessage: 'bad\uFFFDbyte', errorStack: '\uFFFD' });
    expect((await a.listEvents(job.id))[1]!.message).toBe('x\uFFFD');
  });

  it('a closed store refuses work with STORAGE_FAILED', async () => {
    const s = await createPostgresJobStore({ pool, schema: 'tenant_a' });
    await s.close();
    expect(await errorOf(s.ping())).toMatchObject({ code: 'STORAGE_FAILED', retryable: false });
  });
});
