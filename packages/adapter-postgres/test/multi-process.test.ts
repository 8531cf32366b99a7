import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPostgresJobStore, migratePostgres, type PostgresJobStore } from '../src/index.js';
import { describePg, useTestDatabase } from './pg-target.js';
import { forkWorkers, outcome, overlappingLeases, seedQueued, waitAllDone, type WorkerFleet } from './fixtures/workers.js';

const JOBS = 2_000;
const WORKERS = 8;

describePg('8 worker processes on one database', () => {
  const db = useTestDatabase('multiproc');
  let pool: pg.Pool;
  let store: PostgresJobStore;
  let fleet: WorkerFleet | undefined;
  beforeAll(async () => {
    pool = db.pool(4);
    await migratePostgres({ pool, schema: 'mp' });
    store = await createPostgresJobStore({ pool, schema: 'mp' });
  });
  afterAll(async () => {
    fleet?.kill();
    await store?.close();
  });

  it(`${JOBS} jobs: each completed exactly once, no lease held by two`, { timeout: 150_000 }, async () => {
    const ids = await seedQueued(store, JOBS);
    expect(new Set(ids).size).toBe(JOBS);
    fleet = forkWorkers(WORKERS, { url: db.url(), schema: 'mp', leaseMs: 30_000 });
    await fleet.ready;
    await waitAllDone(pool, 'mp', JOBS, 120_000);
    const { records } = await fleet.stop();

    expect(await outcome(pool, 'mp')).toEqual({ notDone: 0, badDoneEvents: 0, badEventCounts: 0 });
    const completed = records.filter((r) => r.completed);
    expect(completed).toHaveLength(JOBS);
    expect(new Set(completed.map((r) => r.jobId)).size).toBe(JOBS);
    expect(overlappingLeases(records)).toEqual([]);
    // The claims really were spread over the processes.
    expect(new Set(completed.map((r) => r.owner)).size).toBeGreaterThan(WORKERS / 2);
  });
});
