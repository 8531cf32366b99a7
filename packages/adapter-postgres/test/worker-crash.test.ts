/**
 * A worker process using this store is SIGKILLed in the middle of steps; a new worker process takes the
 * expired leases over and finishes every job exactly once (no step recorded twice, no duplicate media).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createJobService, createLocalObjectStore } from 'jobkit';
import { createPostgresJobStore, type PostgresJobStore } from '../src/index.js';
import { describePg, useTestDatabase } from './pg-target.js';
import type { PipelineMessage } from './fixtures/pipeline-worker.js';

const CHILD = fileURLToPath(new URL('./fixtures/pipeline-worker.ts', import.meta.url));
const JOBS = 12;
const LEASE_MS = 1_500;

describePg('worker crash on PostgreSQL', () => {
  const db = useTestDatabase('crash');
  const dir = mkdtempSync(join(tmpdir(), 'jobkit-pg-crash-'));
  const children: ChildProcess[] = [];
  let store: PostgresJobStore;

  const spawn = (id: string, steps: PipelineMessage[]) => {
    const child = fork(CHILD, [], {
      execArgv: ['--conditions=@jobkit/source', '--import', 'tsx'],
      env: {
        ...process.env,
        PG_URL: db.url(),
        PG_SCHEMA: 'crash',
        OBJECT_DIR: join(dir, 'objects'),
        STOREFRONT_DIR: join(dir, 'storefront'),
        WORKER_ID: id,
        LEASE_MS: String(LEASE_MS),
        LATENCY_MS: '250',
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(child);
    child.on('message', (m: PipelineMessage) => steps.push(m));
    return child;
  };
  const until = async (cond: () => boolean | Promise<boolean>, timeoutMs: number, what: string) => {
    const end = Date.now() + timeoutMs;
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  beforeAll(async () => {
    store = await createPostgresJobStore({ connectionString: db.url(), schema: 'crash' });
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a SIGKILLed worker’s jobs are finished by a new worker, each step recorded once', { timeout: 120_000 }, async () => {
    const service = createJobService({ store });
    const objects = createLocalObjectStore({ dir: join(dir, 'objects') });
    const ids: string[] = [];
    for (let i = 0; i < JOBS; i++) {
      const bytes = Buffer.from(`photo ${i}`);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const key = `uploads/CRASH-${i}/${sha256}.jpg`;
      await objects.put(key, bytes, { contentType: 'image/jpeg' });
      ids.push((await service.createJob({ sku: `CRASH-${i}`, sha256, originalKey: key, autoStart: true })).job.id);
    }

    const stepsA: PipelineMessage[] = [];
    const a = spawn('worker-a', stepsA);
    // Kill it once it has done some steps and holds leases on jobs in the middle of a step.
    await until(
      async () =>
        stepsA.filter((m) => m.type === 'step').length >= 4 &&
        (await store.list({ limit: JOBS, offset: 0 })).jobs.some((j) => j.leaseOwner === 'worker-a' && j.status !== 'DONE'),
      60_000,
      'worker A mid-run',
    );
    a.kill('SIGKILL');
    await new Promise((r) => a.once('exit', r));
    const atKill = (await store.list({ limit: JOBS, offset: 0 })).jobs;
    const orphaned = atKill.filter((j) => j.leaseOwner === 'worker-a');
    expect(orphaned.length).toBeGreaterThan(0);
    expect(atKill.filter((j) => j.status === 'DONE').length).toBeLessThan(JOBS);

    const stepsB: PipelineMessage[] = [];
    const b = spawn('worker-b', stepsB);
    await until(async () => (await store.list({ status: 'DONE', limit: 1, offset: 0 })).total === JOBS, 90_000, 'every job DONE');
    b.send('stop');
    await until(() => stepsB.some((m) => m.type === 'stopped'), 15_000, 'worker B to stop');

    const expected = ['QUEUED', 'SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'SHOPIFY_PUSH', 'DONE'];
    const media = new Set<string>();
    let mediaCount = 0;
    for (const id of ids) {
      const job = (await store.get(id))!;
      expect(job).toMatchObject({ status: 'DONE', leaseOwner: null });
      expect((await store.listEvents(id)).map((e) => e.to)).toEqual(expected);
      expect(job.storefrontMediaIds).toHaveLength(job.compositeKeys.length);
      expect(job.storefrontMediaIds.length).toBeGreaterThan(0);
      for (const m of job.storefrontMediaIds) media.add(m);
      mediaCount += job.storefrontMediaIds.length;
    }
    // No media pushed twice: every id is distinct across all jobs.
    expect(media.size).toBe(mediaCount);
    // The jobs A was holding were finished by B.
    for (const j of orphaned) expect(stepsB.some((m) => m.type === 'step' && m.jobId === j.id)).toBe(true);
  });
});
