/**
 * The worker on real parts: a SQLite file, the local object store, provider-sharp and the local storefront,
 * with originals fetched over HTTP from a local server (allow-listed loopback).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { createJobService, createLocalObjectStore, createLocalStorefront, createWorker, type Segmenter } from 'jobkit';
import { createSqliteJobStore } from '@jobkit/adapter-sqlite';
import { createSharpProviders } from '@jobkit/provider-sharp';
import { FAST_COMPOSITOR, productPhoto } from '../../test-support/photos.js';

let server: http.Server;
let base: string;
const photos = new Map<string, Buffer>();
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'jobkit-pipeline-'));
  server = http.createServer((req, res) => {
    if (req.url === '/redirect-to-metadata') {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/' });
      return res.end();
    }
    const bytes = photos.get(req.url ?? '');
    if (!bytes) {
      res.writeHead(404);
      return res.end();
    }
    res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length });
    res.end(bytes);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

describe('pipeline on SQLite + local files + sharp', () => {
  it('20 jobs (10 photos × 2 themes), concurrency 4: all DONE, outputs present, one segmentation per photo', async () => {
    const store = createSqliteJobStore({ filename: path.join(dir, 'jobs.db') });
    const objects = createLocalObjectStore({ dir: path.join(dir, 'objects') });
    const storefront = createLocalStorefront({ dir: path.join(dir, 'storefront') });
    const service = createJobService({ store, addressPolicy: { allowlist: ['127.0.0.1/32'] } });
    const sharpProviders = createSharpProviders({ compositor: FAST_COMPOSITOR });
    const segmentCalls: string[] = [];
    const segmenter: Segmenter = {
      name: 'counting-studio',
      segment: (req, ctx) => {
        segmentCalls.push(`${req.sku}/${req.sha256}`);
        return sharpProviders.segmenter.segment(req, ctx);
      },
    };
    const worker = createWorker({
      service,
      objects,
      storefront,
      segmenter,
      backgrounds: sharpProviders.backgroundGenerator,
      compositor: sharpProviders.compositor,
      concurrency: 4,
      pollIntervalMs: 20,
    });
    const ids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const p = await productPhoto(i);
      photos.set(`/p/${i}.jpg`, p.bytes);
      for (const theme of ['default', 'studio']) {
        const { job } = await service.createJob({ sku: `SKU-${i}`, sha256: p.sha256, imageUrl: `${base}/p/${i}.jpg`, theme, autoStart: true });
        ids.push(job.id);
      }
    }
    const done = new Set<string>();
    worker.on('job:done', ({ job }) => done.add(job.id));
    worker.start();
    const deadline = Date.now() + 150_000;
    while (done.size < ids.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await worker.stop({ timeoutMs: 10_000 });

    for (const id of ids) {
      const job = (await service.getJob(id))!;
      expect(job.status, `${job.id} ${job.errorCode} ${job.errorMessage}`).toBe('DONE');
      expect(job.compositeKeys).toHaveLength(4); // 2 aspects × 2 variants
      expect(job.storefrontMediaIds).toHaveLength(4);
      expect(job.leaseOwner).toBeNull();
      for (const key of [job.originalKey!, job.maskKey!, ...job.backgroundKeys, ...job.compositeKeys, ...job.thumbnailKeys, ...job.derivativeKeys]) {
        expect(await objects.exists(key), key).toBe(true);
      }
      const meta = await sharp(await objects.get(job.compositeKeys[0]!)).metadata();
      expect([meta.width, meta.height]).toEqual(job.compositeKeys[0]!.includes('_1x1_') ? [512, 512] : [400, 500]);
    }
    // One segmentation per photo, although two themes of each were in flight together.
    expect(segmentCalls).toHaveLength(10);
    expect(new Set(segmentCalls).size).toBe(10);
    // The storefront holds one item per output.
    for (let i = 0; i < 10; i++) expect(await storefront.list(`SKU-${i}`)).toHaveLength(8);
    await store.close();
  }, 180_000);

  it('SSRF: private URLs are refused at create, and a redirect to a private address fails the job', async () => {
    const store = createSqliteJobStore({ filename: ':memory:' });
    const objects = createLocalObjectStore({ dir: path.join(dir, 'ssrf-objects') });
    const service = createJobService({ store, addressPolicy: { allowlist: ['127.0.0.1/32'] } });
    const strict = createJobService({ store });
    const sha = 'c'.repeat(64);
    for (const imageUrl of [
      'http://127.0.0.1/a.jpg',
      'http://10.0.0.8/a.jpg',
      'http://169.254.169.254/latest/meta-data/',
      'file:///etc/passwd',
      'http://[::ffff:169.254.169.254]/',
    ]) {
      await expect(strict.createJob({ sku: 'SSRF', sha256: sha, imageUrl })).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    const sharpProviders = createSharpProviders({ compositor: FAST_COMPOSITOR });
    const worker = createWorker({
      service,
      objects,
      storefront: createLocalStorefront({ dir: path.join(dir, 'ssrf-sf') }),
      segmenter: sharpProviders.segmenter,
      backgrounds: sharpProviders.backgroundGenerator,
      compositor: sharpProviders.compositor,
    });
    const { job } = await service.createJob({ sku: 'SSRF', sha256: sha, imageUrl: `${base}/redirect-to-metadata`, autoStart: true });
    await worker.runUntilIdle();
    const failed = (await service.getJob(job.id))!;
    expect(failed).toMatchObject({ status: 'FAILED', errorCode: 'DOWNLOAD_FAILED', failedStatus: 'QUEUED' });
    expect(failed.errorMessage).toMatch(/169\.254\.169\.254/);
    await store.close();
  });
});
