import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createJobService, createMemoryJobStore, createMemoryObjectStore, createWorker, JobkitError, type Job } from 'jobkit';
import {
  createFakeBackgroundGenerator,
  createFakeClock,
  createFakeCompositor,
  createFakeSegmenter,
  createFakeStorefront,
  type FakeProviderOptions,
} from 'jobkit/testing';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function setup(o: { seg?: FakeProviderOptions; bg?: FakeProviderOptions; sf?: FakeProviderOptions; budget?: number; concurrency?: number } = {}) {
  const clock = createFakeClock('2026-05-01T12:00:00.000Z');
  const store = createMemoryJobStore();
  const objects = createMemoryObjectStore({ clock });
  const service = createJobService({ store, clock });
  const segmenter = createFakeSegmenter(o.seg);
  const backgrounds = createFakeBackgroundGenerator(o.bg);
  const compositor = createFakeCompositor();
  const storefront = createFakeStorefront(o.sf);
  const worker = createWorker({
    service,
    objects,
    segmenter,
    backgrounds,
    compositor,
    storefront,
    clock,
    concurrency: o.concurrency ?? 4,
    leaseMs: 10_000,
    pollIntervalMs: 20,
    retry: { jitter: 'none' },
    ...(o.budget !== undefined ? { dailyBudgetUsd: o.budget } : {}),
  });
  async function upload(sku: string, seed = sku) {
    const bytes = Buffer.from(`photo of ${seed}`);
    const key = `uploads/${sku}/${sha(bytes)}.jpg`;
    await objects.put(key, bytes, { contentType: 'image/jpeg' });
    return { key, sha256: sha(bytes) };
  }
  return { clock, store, objects, service, segmenter, backgrounds, compositor, storefront, worker, upload };
}

describe('worker', () => {
  it('runs uploaded photos through every step to DONE, segmenting each photo once across themes', async () => {
    const t = setup();
    const jobs: Job[] = [];
    for (let i = 0; i < 5; i++) {
      const u = await t.upload(`SKU-${i}`);
      for (const theme of ['default', 'studio']) {
        jobs.push((await t.service.createJob({ sku: `SKU-${i}`, sha256: u.sha256, originalKey: u.key, theme, autoStart: true })).job);
      }
    }
    await t.worker.runUntilIdle();
    for (const j of jobs) {
      const done = (await t.service.getJob(j.id))!;
      expect(done.status).toBe('DONE');
      expect(done.compositeKeys).toHaveLength(4);
      expect(done.storefrontMediaIds).toHaveLength(4);
      expect(done.leaseOwner).toBeNull();
      for (const k of [done.maskKey!, ...done.backgroundKeys, ...done.compositeKeys, ...done.thumbnailKeys]) expect(await t.objects.exists(k)).toBe(true);
      const events = await t.service.listJobEvents(j.id);
      expect(events.map((e) => e.to)).toEqual(['QUEUED', 'SEGMENTING', 'BG_GENERATING', 'COMPOSITING', 'SHOPIFY_PUSH', 'DONE']);
    }
    expect(t.segmenter.successes).toBe(5);
    expect(t.storefront.uploads).toBe(40);
  });

  it('retries a flaky provider with backoff and Retry-After, then finishes with no extra calls', async () => {
    const t = setup({
      seg: {
        failures: [
          { code: 'SEGMENT_FAILED', message: '503 Service Unavailable' },
          { code: 'SEGMENT_FAILED', message: '503 Service Unavailable' },
        ],
      },
      bg: { failures: [{ code: 'RATE_LIMITED', message: '429', retryAfterMs: 30_000 }] },
    });
    const u = await t.upload('FLAKY');
    const { job } = await t.service.createJob({ sku: 'FLAKY', sha256: u.sha256, originalKey: u.key, autoStart: true });
    const retries: Array<{ code: string; delayMs: number }> = [];
    t.worker.on('job:retry', (e) => retries.push({ code: e.error.code, delayMs: e.delayMs }));

    await t.worker.runUntilIdle();
    let j = (await t.service.getJob(job.id))!;
    expect(j.status).toBe('SEGMENTING');
    expect(j.attempts).toBe(1);
    expect(Date.parse(j.nextRunAt!) - t.clock.now().getTime()).toBe(2_000);
    // Not due yet: nothing runs.
    t.clock.advance(1_999);
    expect(await t.worker.runOnce()).toBe(0);
    t.clock.advance(1);
    await t.worker.runUntilIdle();
    j = (await t.service.getJob(job.id))!;
    expect(j.attempts).toBe(2);
    expect(Date.parse(j.nextRunAt!) - t.clock.now().getTime()).toBe(4_000);
    t.clock.advance(4_000);
    await t.worker.runUntilIdle();
    j = (await t.service.getJob(job.id))!;
    expect(j.status).toBe('BG_GENERATING');
    expect(Date.parse(j.nextRunAt!) - t.clock.now().getTime()).toBe(30_000); // Retry-After wins over 2 s
    t.clock.advance(30_000);
    await t.worker.runUntilIdle();
    j = (await t.service.getJob(job.id))!;
    expect(j.status).toBe('DONE');
    expect(retries).toEqual([
      { code: 'SEGMENT_FAILED', delayMs: 2_000 },
      { code: 'SEGMENT_FAILED', delayMs: 4_000 },
      { code: 'RATE_LIMITED', delayMs: 30_000 },
    ]);
    expect(t.segmenter.calls).toBe(3);
    expect(t.backgrounds.calls).toBe(2);
    expect(t.storefront.calls).toBe(1);
    const events = await t.service.listJobEvents(job.id);
    expect(events.filter((e) => e.errorCode !== null).map((e) => [e.errorCode, e.attempt])).toEqual([
      ['SEGMENT_FAILED', 1],
      ['SEGMENT_FAILED', 2],
      ['RATE_LIMITED', 1],
    ]);
  });

  it('fails a job on a non-retryable error, recording code, message and stack', async () => {
    const t = setup({ seg: { failures: [{ code: 'SEGMENT_FAILED', message: 'background not uniform; use an AI segmenter', retryable: false }] } });
    const u = await t.upload('BAD');
    const { job } = await t.service.createJob({ sku: 'BAD', sha256: u.sha256, originalKey: u.key, autoStart: true });
    const failed: string[] = [];
    t.worker.on('job:failed', (e) => failed.push(e.job.id));
    await t.worker.runUntilIdle();
    const j = (await t.service.getJob(job.id))!;
    expect(j).toMatchObject({ status: 'FAILED', failedStatus: 'SEGMENTING', errorCode: 'SEGMENT_FAILED', leaseOwner: null });
    expect(j.errorMessage).toContain('not uniform');
    expect(j.errorStack).toContain('JobkitError');
    expect(failed).toEqual([job.id]);
    // retryJob resumes the failed step.
    const retried = await t.service.retryJob(job.id);
    expect(retried.status).toBe('SEGMENTING');
    await t.worker.runUntilIdle();
    expect((await t.service.getJob(job.id))!.status).toBe('DONE');
  });

  it('gives up after maxAttempts tries of a step', async () => {
    const f = { code: 'SEGMENT_FAILED' as const };
    const t = setup({ seg: { failures: [f, f, f, f, f, f] } });
    const u = await t.upload('GIVEUP');
    const { job } = await t.service.createJob({ sku: 'GIVEUP', sha256: u.sha256, originalKey: u.key, autoStart: true });
    for (let i = 0; i < 10; i++) {
      await t.worker.runUntilIdle();
      t.clock.advance(600_000);
    }
    const j = (await t.service.getJob(job.id))!;
    expect(j.status).toBe('FAILED');
    expect(t.segmenter.calls).toBe(5);
  });

  it('a checksum mismatch of an uploaded original fails without retry', async () => {
    const t = setup();
    await t.objects.put('uploads/X/a.jpg', Buffer.from('other bytes'));
    const { job } = await t.service.createJob({ sku: 'X', sha256: 'a'.repeat(64), originalKey: 'uploads/X/a.jpg', autoStart: true });
    await t.worker.runUntilIdle();
    expect(await t.service.getJob(job.id)).toMatchObject({ status: 'FAILED', errorCode: 'CHECKSUM_MISMATCH', failedStatus: 'QUEUED' });
  });

  it('makes jobs wait instead of overspending when the daily budget is reached', async () => {
    const t = setup({ seg: { costUsd: 0.6 }, concurrency: 1 });
    const ids: string[] = [];
    for (const sku of ['B1', 'B2', 'B3']) {
      const u = await t.upload(sku);
      ids.push((await t.service.createJob({ sku, sha256: u.sha256, originalKey: u.key, autoStart: true })).job.id);
    }
    const worker = createWorker({
      service: t.service,
      objects: t.objects,
      segmenter: t.segmenter,
      backgrounds: t.backgrounds,
      compositor: t.compositor,
      storefront: t.storefront,
      clock: t.clock,
      concurrency: 1,
      dailyBudgetUsd: 1.0,
      retry: { jitter: 'none' },
    });
    await worker.runUntilIdle();
    const jobs = await Promise.all(ids.map((id) => t.service.getJob(id)));
    // Spend is checked before every provider call: once 1.2 USD is spent, every other job waits.
    expect(jobs.filter((j) => j!.status === 'DONE')).toHaveLength(1);
    expect(jobs.filter((j) => j!.status === 'FAILED')).toHaveLength(0);
    const waiting = jobs.filter((j) => j!.status !== 'DONE');
    expect(waiting).toHaveLength(2);
    for (const w of waiting) {
      expect(w).toMatchObject({ errorCode: 'BUDGET_EXCEEDED', nextRunAt: '2026-05-02T00:00:00.000Z', attempts: 0, leaseOwner: null });
    }
    expect(t.segmenter.successes).toBe(2);
    expect((await t.service.getJobStats()).costUsdToday).toBeCloseTo(1.2, 6);
    // Next UTC day: the budget resets and the jobs finish.
    t.clock.set('2026-05-02T00:00:00.000Z');
    await worker.runUntilIdle();
    for (const w of waiting) expect((await t.service.getJob(w!.id))!.status).toBe('DONE');
  });

  it('stop() lets the in-flight step finish and leaves nothing leased', async () => {
    const t = setup({ seg: { latencyMs: 300 } });
    const u = await t.upload('STOP');
    const { job } = await t.service.createJob({ sku: 'STOP', sha256: u.sha256, originalKey: u.key, autoStart: true });
    t.worker.start();
    await waitFor(() => t.segmenter.calls === 1);
    await t.worker.stop({ timeoutMs: 5_000 });
    const j = (await t.service.getJob(job.id))!;
    expect(j.status).toBe('BG_GENERATING');
    expect(j.leaseOwner).toBeNull();
    expect(t.segmenter.successes).toBe(1);
    expect(t.backgrounds.calls).toBe(0);
  });

  it('stop() past its timeout cancels the provider call and releases the lease', async () => {
    const t = setup({ seg: { latencyMs: 10_000 } });
    const u = await t.upload('SLOW');
    const { job } = await t.service.createJob({ sku: 'SLOW', sha256: u.sha256, originalKey: u.key, autoStart: true });
    t.worker.start();
    await waitFor(() => t.segmenter.calls === 1);
    const t0 = Date.now();
    await t.worker.stop({ timeoutMs: 100 });
    expect(Date.now() - t0).toBeLessThan(3_000);
    const j = (await t.service.getJob(job.id))!;
    expect(j).toMatchObject({ status: 'SEGMENTING', leaseOwner: null, attempts: 0 });
    expect(t.segmenter.successes).toBe(0);
  });

  it('a worker whose lease was taken over cannot write its result', async () => {
    const t = setup({ seg: { latencyMs: 200 } });
    const u = await t.upload('FENCE');
    const { job } = await t.service.createJob({ sku: 'FENCE', sha256: u.sha256, originalKey: u.key, autoStart: true });
    // Move the job to SEGMENTING first.
    const claimed = await t.store.claimDue({ owner: 'setup', now: t.clock.now(), leaseMs: 1000, limit: 1 });
    await t.service.transition(claimed[0]!, 'SEGMENTING', { originalKey: u.key });
    await t.store.releaseLease({ id: job.id, owner: 'setup', version: claimed[0]!.version + 1 });
    const errors: string[] = [];
    t.worker.on('error', (e) => errors.push(e.error.message));
    const run = t.worker.runOnce();
    await waitFor(() => t.segmenter.calls === 1);
    // Someone else (an operator) fails the job while the step runs.
    await t.service.failJob(job.id, { code: 'INTERNAL', message: 'operator stop' });
    await run;
    const j = (await t.service.getJob(job.id))!;
    expect(j.status).toBe('FAILED');
    expect(j.errorMessage).toBe('operator stop');
    expect(errors.length).toBeGreaterThan(0);
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
void JobkitError;
