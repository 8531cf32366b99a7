/**
 * Connection loss: the server is restarted (pg_ctl restart, every connection dropped) while worker
 * processes are mid-run. Uses its own throwaway cluster so other test files keep their server.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobkitError } from 'jobkit';
import { postgresBinariesAvailable, postgresRequired, startPostgresCluster, type PostgresCluster, PG_BIN_DIR } from '../../../test-support/postgres.js';
import { createPostgresJobStore, type JobAvailable, type PostgresJobStore } from '../src/index.js';
import { forkWorkers, outcome, overlappingLeases, seedQueued, waitAllDone, type WorkerFleet } from './fixtures/workers.js';

const canRestart = postgresBinariesAvailable();
if (!canRestart && postgresRequired()) throw new Error(`server-restart tests need PostgreSQL binaries in ${PG_BIN_DIR} (CI or JOBKIT_REQUIRE_PG=1 set)`);
if (!canRestart) console.warn(`[adapter-postgres] SKIPPING server-restart tests: no PostgreSQL binaries in ${PG_BIN_DIR} to start a private cluster`);
const describeRestart = canRestart
  ? describe
  : (name: string, fn: () => void) => describe.skip(`${name} [SKIPPED: no PostgreSQL binaries in ${PG_BIN_DIR}]`, fn);

describeRestart('server restart', () => {
  let cluster: PostgresCluster;
  let pool: pg.Pool;
  let store: PostgresJobStore;
  let fleet: WorkerFleet | undefined;
  const uncaught: unknown[] = [];
  const onUncaught = (e: unknown) => uncaught.push(e);

  beforeAll(async () => {
    cluster = await startPostgresCluster();
    pool = new pg.Pool({ connectionString: cluster.url, max: 4 });
    store = await createPostgresJobStore({ pool, schema: 'rs' });
    process.on('uncaughtException', onUncaught);
  });
  afterAll(async () => {
    process.off('uncaughtException', onUncaught);
    fleet?.kill();
    await store?.close();
    await pool?.end();
    await cluster?.stop();
  });

  it('idle pool clients and the LISTEN connection survive a restart; queries work again', async () => {
    const events: JobAvailable[] = [];
    store.onJobAvailable((e) => events.push(e));
    await store.whenListening();
    // Fill the pool with idle clients so the restart hits them while idle.
    await Promise.all(Array.from({ length: 4 }, () => store.ping()));
    await cluster.restart();
    // A query on a dead connection fails as a retryable STORAGE_FAILED (or already succeeds on a new one).
    try {
      await store.ping();
    } catch (e) {
      expect(JobkitError.is(e, 'STORAGE_FAILED') && e.retryable).toBe(true);
    }
    await expect
      .poll(
        async () =>
          store.ping().then(
            () => 'ok',
            (e: unknown) => String(e),
          ),
        { timeout: 10_000 },
      )
      .toBe('ok');
    // The listener reconnects and says "poll now", then delivers notifications again.
    await expect.poll(() => events.some((e) => e.jobId === null), { timeout: 10_000 }).toBe(true);
    await store.whenListening();
    const [id] = await seedQueued(store, 1);
    await expect.poll(() => events.some((e) => e.jobId === id), { timeout: 5_000 }).toBe(true);
    expect(uncaught).toEqual([]);
  });

  it('worker processes recover from a restart mid-run and finish every job exactly once', { timeout: 120_000 }, async () => {
    const total = 1_000;
    await pool.query('TRUNCATE rs.jobs CASCADE');
    await seedQueued(store, total);
    // Short leases: a claim whose reply was lost in the restart is re-claimed after 2 s.
    fleet = forkWorkers(4, { url: cluster.url, schema: 'rs', leaseMs: 2_000 });
    await fleet.ready;
    let restartedAt = -1;
    await waitAllDone(pool, 'rs', total, 90_000, async (done) => {
      if (restartedAt < 0 && done >= 100) {
        restartedAt = done;
        await cluster.restart();
      }
    });
    const { records, retries } = await fleet.stop();
    expect(restartedAt).toBeGreaterThanOrEqual(100);
    expect(restartedAt).toBeLessThan(total); // the restart really happened mid-run
    expect(retries).toBeGreaterThan(0); // and the workers saw it
    expect(await outcome(pool, 'rs')).toEqual({ notDone: 0, badDoneEvents: 0, badEventCounts: 0 });
    expect(new Set(records.filter((r) => r.completed).map((r) => r.jobId)).size).toBe(total);
    expect(overlappingLeases(records)).toEqual([]);
    expect(uncaught).toEqual([]);
  });
});
