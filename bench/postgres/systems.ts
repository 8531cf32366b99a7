/**
 * The three queues under test, behind one small interface: create jobs idempotently, seed jobs (untimed),
 * and process `n` no-op jobs with `workers` concurrent workers until all are complete.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Logger as GraphileLogger, makeWorkerUtils, run as runGraphile, runMigrations, type WorkerUtils } from 'graphile-worker';
import PgBoss from 'pg-boss';
import { creationEvent, makeJob } from 'jobkit/testing';
import { createPostgresJobStore, type PostgresJobStore } from '@jobkit/adapter-postgres';

export interface QueueSystem {
  name: string;
  /** Creates one job per key (a repeated key must not create a second job); `concurrency` callers. */
  create(keys: string[], concurrency: number): Promise<void>;
  seed(n: number): Promise<void>;
  process(n: number, workers: number): Promise<void>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** Claim batch size for the loops we write ourselves (jobkit, pg-boss). */
export const BATCH = 10;

async function parallel<T>(items: T[], concurrency: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const sha = (key: string) => key.padStart(64, '0').slice(-64);

// ---------------------------------------------------------------- jobkit
export async function jobkitSystem(url: string): Promise<QueueSystem> {
  const pool = new pg.Pool({ connectionString: url, max: 12 });
  const store: PostgresJobStore = await createPostgresJobStore({ pool, schema: 'bench_jobkit' });
  const at = new Date(Date.now() - 60_000);
  const insert = (key: string, status: 'NEW' | 'QUEUED') => {
    const job = makeJob({ sku: 'BENCH', sha256: sha(key), status, driver: status === 'QUEUED' ? 'worker' : null }, at);
    return store.insertOrGet(job, creationEvent(job));
  };
  return {
    name: 'jobkit',
    create: (keys, c) => parallel(keys, c, (k) => insert(k, 'NEW')),
    seed: (n) =>
      parallel(
        Array.from({ length: n }, (_, i) => `seed${i}-${randomUUID()}`.replace(/[^0-9a-f]/g, '')),
        8,
        (k) => insert(k, 'QUEUED'),
      ),
    async process(n, workers) {
      let done = 0;
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          while (done < n) {
            const jobs = await store.claimDue({ owner: `w${w}`, now: new Date(), leaseMs: 60_000, limit: BATCH });
            if (jobs.length === 0) {
              await new Promise((r) => setTimeout(r, 2));
              continue;
            }
            for (const job of jobs) {
              const now = new Date().toISOString();
              await store.update(
                { ...job, status: 'DONE', completedAt: now, updatedAt: now, leaseOwner: null, leaseExpiresAt: null },
                { jobId: job.id, at: now, from: job.status, to: 'DONE', attempt: 0, errorCode: null, message: null, costUsd: 0 },
              );
              done++;
            }
          }
        }),
      );
    },
    reset: async () => {
      await pool.query('TRUNCATE bench_jobkit.jobs CASCADE');
      await pool.query('VACUUM ANALYZE bench_jobkit.jobs');
    },
    close: async () => {
      await store.close();
      await pool.end();
    },
  };
}

// ---------------------------------------------------------------- graphile-worker
export async function graphileSystem(url: string): Promise<QueueSystem> {
  const pool = new pg.Pool({ connectionString: url, max: 12 });
  pool.on('error', (e) => console.error('graphile pool error', e.message));
  const logger = new GraphileLogger(() => () => undefined);
  await runMigrations({ pgPool: pool, logger });
  const utils: WorkerUtils = await makeWorkerUtils({ pgPool: pool, logger });
  return {
    name: 'graphile-worker',
    // jobKey is graphile-worker's idempotency key (a repeated key updates the pending job instead of adding one).
    create: (keys, c) => parallel(keys, c, (k) => utils.addJob('noop', { k }, { jobKey: k })),
    async seed(n) {
      for (let i = 0; i < n; i += 500) {
        await utils.addJobs(Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ identifier: 'noop', payload: { i: i + j } })));
      }
    },
    async process(n, workers) {
      let done = 0;
      let finish!: () => void;
      const all = new Promise<void>((r) => (finish = r));
      const runner = await runGraphile({
        pgPool: pool,
        concurrency: workers,
        noHandleSignals: true,
        logger,
        pollInterval: 1000,
        taskList: { noop: async () => undefined },
      });
      runner.events.on('job:success', () => {
        if (++done === n) finish();
      });
      await all;
      await runner.stop();
    },
    reset: async () => {
      await pool.query('DELETE FROM graphile_worker._private_jobs');
      await pool.query('DELETE FROM graphile_worker._private_job_queues');
      await pool.query('VACUUM ANALYZE graphile_worker._private_jobs');
    },
    close: async () => {
      await utils.release();
      await pool.end();
    },
  };
}

// ---------------------------------------------------------------- pg-boss
export async function pgBossSystem(url: string): Promise<QueueSystem> {
  const boss = new PgBoss({ connectionString: url, max: 12, supervise: false, schedule: false });
  boss.on('error', (e) => console.error('pg-boss error', e));
  await boss.start();
  let queue = '';
  const fresh = async () => {
    queue = `noop_${randomUUID().slice(0, 8)}`;
    await boss.createQueue(queue);
  };
  await fresh();
  const ids = new Map<string, string>();
  return {
    name: 'pg-boss',
    // A caller-chosen id is pg-boss's idempotency key (INSERT … ON CONFLICT DO NOTHING).
    create: (keys, c) =>
      parallel(keys, c, (k) => {
        let id = ids.get(k);
        if (!id) {
          id = randomUUID();
          ids.set(k, id);
        }
        return boss.send(queue, { k }, { id });
      }),
    async seed(n) {
      for (let i = 0; i < n; i += 500) await boss.insert(Array.from({ length: Math.min(500, n - i) }, (_, j) => ({ name: queue, data: { i: i + j } })));
    },
    // pg-boss's own work() sleeps pollingInterval (≥ 0.5 s) between fetches, which would measure the sleep:
    // a tight fetch → complete loop measures the database work, like the jobkit loop.
    async process(n, workers) {
      let done = 0;
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (done < n) {
            const jobs = await boss.fetch(queue, { batchSize: BATCH });
            if (!jobs || jobs.length === 0) {
              await new Promise((r) => setTimeout(r, 2));
              continue;
            }
            await boss.complete(
              queue,
              jobs.map((j) => j.id),
            );
            done += jobs.length;
          }
        }),
      );
    },
    reset: fresh,
    close: async () => {
      await boss.stop({ graceful: false, wait: true });
    },
  };
}
