/**
 * The example-style stack for dashboard tests: SQLite job store, local object store (served by the
 * API's /files/*key), sharp providers with small outputs, local storefront and the in-process worker,
 * on one transport (default: toNodeHandler on node:http) on an ephemeral 127.0.0.1 port: /api (with
 * metrics) and /dashboard.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  createJobService,
  createLocalObjectStore,
  createLocalStorefront,
  createWorker,
  keys,
  type Job,
  type JobService,
  type JobServiceOptions,
  type LocalObjectStore,
  type QualityGate,
  type Worker,
} from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { createSharpProviders } from '@jobkit/provider-sharp';
import { createJobkitMetrics, instrumentWorker, type DashboardOptions } from '../../src/index.js';
import { SECRET, TOKEN } from './servers.js';
import { transportNamed, type Transport } from './transports.js';
import { productPhoto as sharedPhoto } from '../../../../test-support/photos.js';

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
  /** Resolves when every listed job is DONE, FAILED or waiting in REVIEW. */
  settle(ids: string[], timeoutMs?: number): Promise<Job[]>;
  close(): Promise<void>;
}

export interface DashboardStackOptions {
  transport?: Transport;
  dashboard?: Partial<DashboardOptions>;
  service?: Partial<JobServiceOptions>;
  /** The worker's quality gate (default none: cuts carry no score). */
  qualityGate?: QualityGate;
}

const providers = createSharpProviders({ compositor: FAST_COMPOSITOR });

export async function startDashboardStack(o: DashboardStackOptions = {}): Promise<DashboardStack> {
  const dir = await mkdtemp(path.join(tmpdir(), 'jobkit-dashboard-'));
  const store = createSqliteJobStore({ filename: path.join(dir, 'jobkit.db') });
  let url = '';
  let objects!: LocalObjectStore;
  let service!: JobService;
  let worker!: Worker;
  const served = await (o.transport ?? transportNamed('node')).serve((origin) => {
    url = origin;
    objects = createLocalObjectStore({ dir: path.join(dir, 'objects'), baseUrl: `${origin}/api`, signingSecret: 'dashboard-test-signing-secret' });
    service = createJobService({ store, objects, ...o.service });
    worker = createWorker({
      service,
      objects,
      segmenter: providers.segmenter,
      backgrounds: providers.backgroundGenerator,
      compositor: providers.compositor,
      storefront: createLocalStorefront({ dir: path.join(dir, 'storefront') }),
      concurrency: 2,
      pollIntervalMs: 100,
      ...(o.qualityGate ? { qualityGate: o.qualityGate } : {}),
    });
    const metrics = createJobkitMetrics({ service });
    instrumentWorker(worker, metrics);
    const wake = () => worker.wake();
    return [
      { at: '/api', api: { service, objects, webhook: { secrets: [SECRET] }, auth: { tokens: [TOKEN] }, metrics, onJobQueued: wake } },
      { at: '/dashboard', dashboard: { service, objects, auth: { tokens: [TOKEN] }, onJobQueued: wake, pollIntervalMs: 1000, ...o.dashboard } },
    ];
  });
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
        if (jobs.every((j) => j.status === 'DONE' || j.status === 'FAILED' || j.status === 'REVIEW')) return jobs;
        if (Date.now() > deadline) throw new Error(`jobs not finished: ${jobs.map((j) => `${j.sku}=${j.status}`).join(', ')}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async close() {
      await worker.stop({ timeoutMs: 5_000 });
      await served.close();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
