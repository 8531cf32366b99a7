/**
 * flux-schnell's safety checker drops flagged images and bills only those it returns, so a prediction can
 * succeed with fewer outputs than `num_outputs`. The generator keeps what was delivered (its cost recorded
 * with the ref), asks only for the missing ones, within `topUpPredictions`, and never pays twice on resume.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createJobService,
  createMemoryJobStore,
  createMemoryObjectStore,
  createWorker,
  isPending,
  JobkitError,
  type Compositor,
  type Storefront,
} from 'jobkit';
import { createReplicateBackgroundGenerator, parseProviderRef } from '../src/index.js';
import { type FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { BACKGROUND_PNG, clientOptions, expectJobkitError, fluxWithSafetyChecker, localImage, makeContext } from './support/helpers.js';

/** num_outputs of every prediction created, in order. */
const asked = (fake: FakeReplicate) => [...fake.predictions.values()].map((p) => p.input.num_outputs);
const bgReq = (count: number) => ({
  sku: 'SKU-1',
  sha256: 'e'.repeat(64),
  theme: 'studio',
  count,
  width: 1000,
  height: 1000,
  cutout: localImage(Buffer.from('png')),
});

describe('short outputs (safety checker)', () => {
  let fake: FakeReplicate;
  beforeEach(async () => {
    fake = await startFakeReplicate();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('keeps the delivered images, records their cost, and asks only for the missing ones', async () => {
    fake.addModel(fluxWithSafetyChecker([2])); // the first prediction loses 2 of 3
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), pollInitialMs: 5 });
    const t = makeContext();
    const result = await gen.generate(bgReq(3), t.ctx);
    if (isPending(result)) throw new Error('unexpected pending');
    expect(result.backgrounds).toHaveLength(3);
    expect(result.backgrounds.every((b) => b.equals(BACKGROUND_PNG))).toBe(true);
    expect(asked(fake)).toEqual([3, 2]);
    expect(fake.creates).toBe(2);
    const [first, second] = [...fake.predictions.keys()];
    // The short prediction's cost (1 image) went with its ref; the step reports the top-up (2 images).
    expect(t.spends).toEqual([{ ref: `${first}#kept`, costUsd: 0.003 }]);
    expect(t.refs).toEqual([first, `${first}#kept`, `${first}#kept+${second}`]);
    expect(result.costUsd).toBeCloseTo(0.006, 9);
  });

  it('gives up after topUpPredictions with a clear non-retryable failure; every image is paid for once', async () => {
    fake.addModel(fluxWithSafetyChecker([2, 1])); // 4 asked: 2 delivered, then 1 of the 2 missing
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), pollInitialMs: 5, topUpPredictions: 1 });
    const t = makeContext();
    const err = await expectJobkitError(gen.generate(bgReq(4), t.ctx));
    expect(err.code).toBe('BACKGROUND_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/3 of 4 images in 2 predictions/);
    expect(err.message).toMatch(/safety checker/);
    expect(fake.creates).toBe(2);
    const [first, second] = [...fake.predictions.keys()];
    expect(t.spends).toEqual([
      { ref: `${first}#kept`, costUsd: 0.006 },
      { ref: `${second}#spent`, costUsd: 0.003 },
    ]);
    // An operator retry starts afresh (the spent mark is all that is left).
    expect(t.refs.at(-1)).toBe(`${second}#spent`);
  });

  it('webhook mode: a re-claimed step resumes the top-up and re-downloads the kept images without paying twice', async () => {
    fake.addModel(fluxWithSafetyChecker([1], { durationMs: Infinity }));
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), mode: 'webhook', webhookBaseUrl: 'https://jobs.example' });
    const first = makeContext();
    expect(isPending(await gen.generate(bgReq(3), first.ctx))).toBe(true);
    const a = first.refs[0]!;
    await fake.complete(a);
    // Woken: A came back short (2 of 3): kept with its cost, top-up B created for 1, still pending.
    const second = makeContext({ previousRef: a });
    expect(isPending(await gen.generate(bgReq(3), second.ctx))).toBe(true);
    const ref = second.refs.at(-1)!;
    const b = ref.split('+')[1]!;
    expect(ref).toBe(`${a}#kept+${b}`);
    expect(second.spends).toEqual([{ ref: `${a}#kept`, costUsd: 0.006 }]);
    expect(asked(fake)).toEqual([3, 1]);

    // A re-check while B still runs: nothing written, and A's images are not fetched again yet.
    const downloads = () => fake.count('GET', /^\/outputs\//);
    const before = downloads();
    const recheck = makeContext({ previousRef: ref });
    expect(isPending(await gen.generate(bgReq(3), recheck.ctx))).toBe(true);
    expect(recheck.refs).toEqual([]);
    expect(downloads()).toBe(before);

    // B finishes; the worker that held the job crashed, another re-claims it with the recorded ref.
    await fake.complete(b);
    const third = makeContext({ previousRef: ref });
    const result = await gen.generate(bgReq(3), third.ctx);
    if (isPending(result)) throw new Error('unexpected pending');
    expect(result.backgrounds).toHaveLength(3);
    expect(result.costUsd).toBeCloseTo(0.003, 9);
    expect(third.spends).toEqual([]);
    expect(third.refs).toEqual([]);
    expect(fake.creates).toBe(2);
    expect(downloads()).toBe(before + 3);
  });

  it('kept images that expired before the step could finish are asked for again, their cost not counted twice', async () => {
    fake.addModel(fluxWithSafetyChecker([1], { durationMs: Infinity }));
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), mode: 'webhook', webhookBaseUrl: 'https://jobs.example' });
    const first = makeContext();
    await gen.generate(bgReq(3), first.ctx);
    const a = first.refs[0]!;
    await fake.complete(a);
    const second = makeContext({ previousRef: a });
    await gen.generate(bgReq(3), second.ctx); // keeps A (2 images), top-up B for 1
    const ref = second.refs.at(-1)!;
    const b = ref.split('+')[1]!;
    fake.expireOutputs(a); // an hour passed
    await fake.complete(b);
    const third = makeContext({ previousRef: ref });
    expect(isPending(await gen.generate(bgReq(3), third.ctx))).toBe(true);
    // A is dropped; B (1 image) is kept with its cost; C asks for the 2 that A had.
    const c = third.refs.at(-1)!.split('+')[1]!;
    expect(third.refs.at(-1)).toBe(`${b}#kept+${c}`);
    expect(third.spends).toEqual([{ ref: `${b}#kept`, costUsd: 0.003 }]);
    expect(asked(fake)).toEqual([3, 1, 2]);
    await fake.complete(c);
    const fourth = makeContext({ previousRef: third.refs.at(-1)! });
    const result = await gen.generate(bgReq(3), fourth.ctx);
    if (isPending(result)) throw new Error('unexpected pending');
    expect(result.backgrounds).toHaveLength(3);
    expect(result.costUsd).toBeCloseTo(0.006, 9);
  });

  it('a crash right after the keep write: the retry asks only for the missing images and records nothing again', async () => {
    fake.addModel(fluxWithSafetyChecker([1]));
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), pollInitialMs: 5 });
    // First try dies in the write that comes after the keep (the top-up's ref).
    const first = makeContext({
      onRecord: (ref) => {
        if (ref.includes('+')) throw new Error('CONFLICT: lease lost');
      },
    });
    await expect(gen.generate(bgReq(3), first.ctx)).rejects.toThrow('lease lost');
    const a = first.refs[0]!;
    const orphan = [...fake.predictions.values()][1]!;
    expect(orphan.status).toBe('canceled'); // nobody could resume it
    expect(first.spends).toEqual([{ ref: `${a}#kept`, costUsd: 0.006 }]);

    const retry = makeContext({ previousRef: `${a}#kept` });
    const result = await gen.generate(bgReq(3), retry.ctx);
    if (isPending(result)) throw new Error('unexpected pending');
    expect(result.backgrounds).toHaveLength(3);
    // A for 3, the canceled orphan for 1, the retry's top-up for 1.
    expect(asked(fake)).toEqual([3, 1, 1]);
    expect(retry.spends).toEqual([]);
    expect(result.costUsd).toBeCloseTo(0.003, 9);
  });
});

describe('short outputs through the real worker', () => {
  it('the job gets all its backgrounds and job.costUsd counts every image once', async () => {
    const fake = await startFakeReplicate();
    try {
      fake.addModel(fluxWithSafetyChecker([2]));
      const service = createJobService({ store: createMemoryJobStore() });
      const objects = createMemoryObjectStore();
      const cutout = Buffer.from('cutout');
      const sha256 = createHash('sha256').update('photo').digest('hex');
      const { job } = await service.createJob({ sku: 'SKU-5', sha256, imageUrl: 'https://example.com/p.jpg', autoStart: false });
      // Start at BG_GENERATING: the original and the mask are already stored.
      await objects.put(`originals/SKU-5/${sha256}.jpg`, Buffer.from('photo'), { contentType: 'image/jpeg' });
      await objects.put(`masks/SKU-5/${sha256}.png`, cutout, { contentType: 'image/png' });
      // The test ends after BG_GENERATING: compositing refuses, so the job stops there (FAILED).
      const compositor: Compositor = {
        name: 'stub',
        variants: 3,
        backgroundSize: () => ({ width: 1000, height: 1000 }),
        composite: async () => {
          throw new JobkitError('COMPOSITE_FAILED', 'not part of this test', { retryable: false });
        },
      };
      const storefront: Storefront = { name: 'stub', push: async () => ({ mediaIds: [], costUsd: 0 }) };
      const segmenter = { name: 'stub', segment: async () => ({ cutout, costUsd: 0 }) };
      const backgrounds = createReplicateBackgroundGenerator({ ...clientOptions(fake), pollInitialMs: 5 });
      const worker = createWorker({ service, objects, segmenter, backgrounds, compositor, storefront, leaseMs: 5_000 });
      await service.startJob(job.id);
      await worker.runOnce();
      const after = (await service.getJob(job.id))!;
      const events = await service.listJobEvents(job.id);
      expect(events.some((e) => e.from === 'BG_GENERATING' && e.to === 'COMPOSITING')).toBe(true);
      expect(after.backgroundKeys).toHaveLength(3);
      for (const key of after.backgroundKeys) expect((await objects.get(key)).equals(BACKGROUND_PNG)).toBe(true);
      // 1 image from the short prediction (recorded with its ref) + 2 from the top-up (the step result).
      expect(after.costUsd).toBeCloseTo(3 * 0.003, 9);
      expect(events.map((e) => e.costUsd).filter((c) => c > 0)).toEqual([0.003, 0.006]);
      expect(fake.creates).toBe(2);
    } finally {
      await fake.close();
    }
  });
});

describe('provider ref format', () => {
  it('reads what earlier versions wrote and the kept chain', () => {
    expect(parseProviderRef('abc')).toEqual({ kept: [], current: { predictionId: 'abc', spent: false } });
    expect(parseProviderRef('abc#spent')).toEqual({ kept: [], current: { predictionId: 'abc', spent: true } });
    expect(parseProviderRef('a#kept')).toEqual({ kept: ['a'], current: null });
    expect(parseProviderRef('a#kept+b#kept+c#spent')).toEqual({ kept: ['a', 'b'], current: { predictionId: 'c', spent: true } });
    for (const bad of ['', 'a+b', 'a#spent+b', 'a#kept+', 'a b', `${'x'.repeat(129)}`, 'a#other']) expect(parseProviderRef(bad)).toBeNull();
  });
});
