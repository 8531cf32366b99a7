/**
 * The example-style stack for dashboard tests: SQLite job store, local object store (served by the
 * router's /files/*key), sharp providers with small outputs, local storefront and the in-process worker,
 * behind Express on an ephemeral 127.0.0.1 port: /api (router + metrics) and /dashboard.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { createJobService, createLocalObjectStore, createLocalStorefront, createWorker, keys, type Job, type JobService, type LocalObjectStore, type Worker } from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { createSharpProviders } from '@jobkit/provider-sharp';
import { createJobkitDashboard, createJobkitMetrics, createJobkitRouter, instrumentWorker, type DashboardOptions } from '../src/index.js';
import { SECRET, TOKEN } from './helpers.js';
import { productPhoto as sharedPhoto } from '../../../test-support/photos.js';

/** Small outputs keep the pipeline quick on 2 shared cores (as integration's FAST_COMPOSITOR). */
export const FAST_COMPOSITOR = {
  aspects: [
    { id: '1x1', width: 512, height: 512 },
    { id: '4x5', width: 400, height: 500 },
  ],
  variants: 2,
  derivatives: { sizes: [{ id: 'pdp', width: 300, height: 300 }], formats: ['jpg'] as 'jpg'[] },
};

/** A product on a light box (no binary fixtures in the repo). */
export async function productPhoto(i: number, size = 480): Promise<Buffer> {
  return (await sharedPhoto(i, size)).bytes;
}

export interface DashboardStack {
  url: string;
  dashboard: string;
  service: JobService;
  objects: LocalObjectStore;
  worker: Worker;
  /** Stores `bytes` as the original and creates the job (auto-started unless `start: false`). `sha256` defaults to the bytes' own. */
  addJob(input: { sku: string; theme?: string; bytes: Buffer; sha256?: string; start?: boolean }): Promise<Job>;
  /** Resolves when every listed job is DONE or FAILED. */
  settle(ids: string[], timeoutMs?: number): Promise<Job[]>;
  close(): Promise<void>;
}

export async function startDashboardStack(dashboardOptions: Partial<DashboardOptions> = {}): Promise<DashboardStack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jobkit-dashboard-'));
  const app = express();
  app.disable('x-powered-by');
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const store = createSqliteJobStore({ filename: path.join(dir, 'jobkit.db') });
  const objects = createLocalObjectStore({ dir: path.join(dir, 'objects'), baseUrl: `${url}/api`, signingSecret: 'dashboard-test-signing-secret' });
  const service = createJobService({ store, objects });
  const providers = createSharpProviders({ compositor: FAST_COMPOSITOR });
  const worker = createWorker({
    service,
    objects,
    segmenter: providers.segmenter,
    backgrounds: providers.backgroundGenerator,
    compositor: providers.compositor,
    storefront: createLocalStorefront({ dir: path.join(dir, 'storefront') }),
    concurrency: 2,
    pollIntervalMs: 100,
  });
  const metrics = createJobkitMetrics({ service });
  instrumentWorker(worker, metrics);
  const wake = () => worker.wake();
  app.use('/api', createJobkitRouter({ service, objects, webhook: { secrets: [SECRET] }, auth: { tokens: [TOKEN] }, metrics, onJobQueued: wake }));
  app.use('/dashboard', createJobkitDashboard({ service, objects, auth: { tokens: [TOKEN] }, onJobQueued: wake, pollIntervalMs: 1000, ...dashboardOptions }));
  worker.start();

  return {
    url,
    dashboard: `${url}/dashboard`,
    service,
    objects,
    worker,
    async addJob({ sku, theme, bytes, sha256, start = true }) {
      const sha = sha256 ?? createHash('sha256').update(bytes).digest('hex');
      const originalKey = keys.original({ sku, sha256: sha }, 'jpg');
      await objects.put(originalKey, bytes, { contentType: 'image/jpeg' });
      const { job } = await service.createJob({ sku, sha256: sha, originalKey, theme, autoStart: start });
      if (start) worker.wake();
      return job;
    },
    async settle(ids, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const jobs = await Promise.all(ids.map((id) => service.requireJob(id)));
        if (jobs.every((j) => j.status === 'DONE' || j.status === 'FAILED')) return jobs;
        if (Date.now() > deadline) throw new Error(`jobs not finished: ${jobs.map((j) => `${j.sku}=${j.status}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await worker.stop({ timeoutMs: 5_000 });
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
