/**
 * Money Replicate bills that no step result reports: a prediction canceled after it started (billed for its
 * active time), a succeeded one whose outputs expired before we downloaded them, a failed one. Each is
 * recorded once, with the `#spent` mark, through `recordRef(ref, { costUsd })`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { createJobService, createMemoryJobStore, createMemoryObjectStore, createWorker, type Compositor, type Storefront } from 'jobkit';
import { createReplicateSegmenter, DEFAULT_SEGMENT_PRICING } from '../src/index.js';
import { type FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { clientOptions, expectJobkitError, localImage, makeContext, segmentModel, until } from './support/helpers.js';

const req = { sku: 'SKU-1', sha256: 'd'.repeat(64), original: localImage(Buffer.from('jpeg')) };
const perSecond = DEFAULT_SEGMENT_PRICING.kind === 'per-second' ? DEFAULT_SEGMENT_PRICING.usdPerSecond : NaN;
const costOf = (seconds: number) => Math.round(seconds * perSecond * 1e6) / 1e6;

describe('spend that no step result reports', () => {
  let fake: FakeReplicate;
  beforeEach(async () => {
    fake = await startFakeReplicate();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('a prediction canceled after it started: its active time is recorded with the spent mark, then a new one runs', async () => {
    fake.addModel(segmentModel({ durationMs: Infinity }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    const run = seg.segment(req, first.ctx);
    const oldId = await until(() => first.refs[0]);
    fake.startNow(oldId);
    await new Promise((r) => setTimeout(r, 30));
    first.abort.abort();
    expect((await expectJobkitError(run)).code).toBe('CANCELLED');
    const canceled = fake.predictions.get(oldId)!;
    expect(canceled.status).toBe('canceled');
    const billedSec = canceled.metrics.predict_time!;
    expect(billedSec).toBeGreaterThan(0);

    const second = makeContext({ previousRef: oldId });
    const next = seg.segment(req, second.ctx);
    const newId = await until(() => second.refs.find((r) => r !== `${oldId}#spent`));
    expect(second.refs[0]).toBe(`${oldId}#spent`);
    expect(second.spends).toEqual([{ ref: `${oldId}#spent`, costUsd: costOf(billedSec) }]);
    await fake.complete(newId);
    await next;
    expect(fake.creates).toBe(2);

    // A try after the spent mark (crash after that write) never records it again.
    const third = makeContext({ previousRef: `${oldId}#spent` });
    const again = seg.segment(req, third.ctx);
    const thirdId = await until(() => third.refs[0]);
    await fake.complete(thirdId);
    await again;
    expect(third.spends).toEqual([]);
  });

  it('a prediction canceled before it started costs nothing and records no spend', async () => {
    fake.addModel(segmentModel({ durationMs: Infinity, startMs: Infinity }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    const run = seg.segment(req, first.ctx);
    const oldId = await until(() => first.refs[0]);
    first.abort.abort();
    await expectJobkitError(run);
    const second = makeContext({ previousRef: oldId });
    const next = seg.segment(req, second.ctx);
    const newId = await until(() => second.refs.find((r) => !r.startsWith(oldId)));
    expect(second.spends).toEqual([]);
    await fake.complete(newId);
    await next;
  });

  it('a succeeded prediction whose outputs expired before the download is recorded once, then replaced', async () => {
    fake.addModel(segmentModel({ durationMs: 10 }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20, mode: 'webhook', webhookBaseUrl: 'https://jobs.example' });
    const first = makeContext();
    await seg.segment(req, first.ctx); // pending
    const oldId = first.refs[0]!;
    await fake.waitForStatus(oldId, ['succeeded']);
    fake.expireOutputs(oldId);

    const second = makeContext({ previousRef: oldId });
    await seg.segment(req, second.ctx); // records the spend, creates anew, pending
    expect(second.spends).toEqual([{ ref: `${oldId}#spent`, costUsd: costOf(2) }]);
    expect(fake.creates).toBe(2);
  });

  it('an output that is gone at download time (404) is recorded with the spent mark', async () => {
    fake.addModel(segmentModel({ durationMs: 10 }));
    fake.fail('output', { status: 404, body: 'Not found' });
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    const err = await expectJobkitError(seg.segment(req, first.ctx));
    expect(err.retryable).toBe(true);
    expect(first.spends).toEqual([{ ref: `${first.refs[0]}#spent`, costUsd: costOf(2) }]);
  });

  it('a failed prediction (billed for its active time) is recorded with its failure', async () => {
    fake.addModel(segmentModel({ durationMs: 10, run: () => ({ error: 'CUDA error: device-side assert triggered', predictTimeSec: 3 }) }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    const err = await expectJobkitError(seg.segment(req, first.ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(first.spends).toEqual([{ ref: `${first.refs[0]}#spent`, costUsd: costOf(3) }]);
  });
});

describe('spend reaches the job through the real worker', () => {
  it('an expired prediction and its replacement both count in job.costUsd and in the event log', async () => {
    const fake = await startFakeReplicate();
    try {
      fake.addModel(segmentModel({ durationMs: Infinity }));
      const store = createMemoryJobStore();
      const service = createJobService({ store });
      const objects = createMemoryObjectStore();
      const original = Buffer.from('a product photo');
      const sha256 = createHash('sha256').update(original).digest('hex');
      await objects.put(`originals/SKU-7/${sha256}.jpg`, original, { contentType: 'image/jpeg' });
      const { job } = await service.createJob({ sku: 'SKU-7', sha256, originalKey: `originals/SKU-7/${sha256}.jpg`, autoStart: true });
      const segmenter = createReplicateSegmenter({ ...clientOptions(fake), mode: 'webhook', webhookBaseUrl: 'https://jobs.example', webhookCheckAfterMs: 1 });
      const stop: Compositor = { name: 'stub', variants: 1, backgroundSize: () => ({ width: 10, height: 10 }), composite: async () => ({ outputs: [] }) };
      const storefront: Storefront = { name: 'stub', push: async () => ({ mediaIds: [], costUsd: 0 }) };
      // Backgrounds never finish: the test ends at BG_GENERATING.
      const backgrounds = { name: 'stub', generate: async () => ({ pending: true as const, checkAfterMs: 3_600_000 }) };
      const worker = createWorker({ service, objects, segmenter, backgrounds, compositor: stop, storefront, leaseMs: 5_000 });

      await worker.runOnce(); // QUEUED → SEGMENTING, creates the prediction, pending
      const firstId = (await service.getJob(job.id))!.providerRef!;
      await fake.complete(firstId);
      fake.expireOutputs(firstId);
      await new Promise((r) => setTimeout(r, 5));
      await worker.runOnce(); // finds the outputs gone: records their cost, creates anew, pending
      const secondId = (await service.getJob(job.id))!.providerRef!;
      expect(secondId).not.toContain(firstId);
      await fake.complete(secondId);
      await new Promise((r) => setTimeout(r, 5));
      await worker.runOnce(); // collects: SEGMENTING → BG_GENERATING with the second prediction's cost
      const done = (await service.getJob(job.id))!;
      expect(done.status).toBe('BG_GENERATING');
      expect(done.costUsd).toBeCloseTo(2 * costOf(2), 9);
      expect(fake.creates).toBe(2);
      const events = await service.listJobEvents(job.id);
      expect(events.map((e) => e.costUsd).filter((c) => c > 0)).toEqual([costOf(2), costOf(2)]);
    } finally {
      await fake.close();
    }
  });
});
