/**
 * Scaling out as the README describes: an API-only replica (JOBKIT_WORKER=0) and a worker server on one
 * database. A webhook that lands on the API-only replica must create a job the other server's worker runs
 * to DONE — on a shared SQLite file (same data directory) and on PostgreSQL (when the test run has one).
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { signWebhook, type Job } from 'jobkit';
import { createTestDatabase, postgresTestTarget } from '../../../test-support/postgres.js';
import { loadConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { capturingLogger, writePlaceholderSamples } from './helpers.js';

const TOKEN = 'replica-api-token-0123456789';
const SECRET = 'replica-webhook-secret-0123456789';
const SIGNING = 'replica-file-signing-secret-0123456789';

let dir = '';
let photos: http.Server;
let photoUrl = '';
let photoSha = '';
const running: RunningServer[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'jobkit-replicas-'));
  await writePlaceholderSamples(dir, [{ name: 'VASE-7.jpg', color: '#8a2be2', shape: 'circle' }]);
  const bytes = await readFile(path.join(dir, 'VASE-7.jpg'));
  photoSha = createHash('sha256').update(bytes).digest('hex');
  photos = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'image/jpeg' }).end(bytes));
  await new Promise<void>((r) => photos.listen(0, '127.0.0.1', r));
  photoUrl = `http://127.0.0.1:${(photos.address() as AddressInfo).port}/VASE-7.jpg`;
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await new Promise((r) => photos?.close(r));
  await rm(dir, { recursive: true, force: true });
});

/** The variables every replica shares (README "Scaling out"); only JOBKIT_WORKER differs. */
function replicaEnv(dataDir: string, extra: Record<string, string>): Record<string, string> {
  return {
    PORT: '0',
    JOBKIT_DATA_DIR: dataDir,
    JOBKIT_API_TOKEN: TOKEN,
    JOBKIT_WEBHOOK_SECRET: SECRET,
    JOBKIT_FILE_SIGNING_SECRET: SIGNING,
    JOBKIT_ALLOW_PRIVATE_IMAGE_URLS: '1',
    // This test is about replicas, not the review hold (test/review.test.ts).
    JOBKIT_REVIEW: 'never',
    ...extra,
  };
}

async function start(env: Record<string, string>): Promise<RunningServer> {
  const server = await startServer(loadConfig(env), capturingLogger().logger);
  running.push(server);
  return server;
}

async function waitForEnd(api: string, id: string, timeoutMs = 90_000): Promise<Job> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { job } = (await (await fetch(`${api}/jobs/${id}`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { job: Job };
    if (job.status === 'DONE' || job.status === 'FAILED') return job;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function webhookToApiOnlyReplicaEndsDone(shared: Record<string, string>, sku: string): Promise<void> {
  const dataDir = path.join(dir, sku);
  const apiOnly = await start(replicaEnv(dataDir, { ...shared, JOBKIT_WORKER: '0' }));
  const worker = await start(replicaEnv(dataDir, { ...shared, JOBKIT_WORKER: '1', JOBKIT_WORKER_CONCURRENCY: '1' }));
  expect(apiOnly.runtime.worker).toBeNull();
  expect(worker.runtime.worker).not.toBeNull();

  const body = JSON.stringify({ sku, sha256: photoSha, imageUrl: photoUrl });
  const deliver = (to: RunningServer) =>
    fetch(`${to.api}/webhooks/3jms/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signWebhook({ body, secret: SECRET }) },
      body,
    });
  const res = await deliver(apiOnly);
  expect(res.status).toBe(201);
  const { job } = (await res.json()) as { job: Job };
  // Runnable by whichever worker is alive, not parked in NEW because this replica has none.
  expect(job.status).toBe('QUEUED');
  expect(job.driver).toBe('worker');
  // A repeated delivery to the worker server is a duplicate of the same job.
  const again = await deliver(worker);
  expect(again.status).toBe(200);
  expect(((await again.json()) as { job: Job }).job.id).toBe(job.id);

  const done = await waitForEnd(apiOnly.api, job.id);
  expect(done.status, done.errorMessage ?? '').toBe('DONE');
  expect(done.storefrontMediaIds.length).toBeGreaterThan(0);
}

describe('an API-only replica and a worker server on one database', () => {
  it('SQLite (one data directory): a webhook to the API-only replica ends DONE', { timeout: 120_000 }, async () => {
    await webhookToApiOnlyReplicaEndsDone({}, 'VASE-SQLITE');
  });

  const target = postgresTestTarget();
  describe.skipIf(!target.url)('PostgreSQL', () => {
    let db: Awaited<ReturnType<typeof createTestDatabase>>;
    beforeAll(async () => {
      db = await createTestDatabase(target.url!, 'replicas');
    });
    afterAll(async () => {
      await db?.drop();
    });
    it('a webhook to the API-only replica ends DONE', { timeout: 120_000 }, async () => {
      await webhookToApiOnlyReplicaEndsDone({ DATABASE_URL: db.url }, 'VASE-PG');
    });
  });
});
