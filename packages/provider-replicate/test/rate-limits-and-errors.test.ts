import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLimiter, isPending } from 'jobkit';
import { createReplicateProviders, createReplicateSegmenter, parseRetryAfterMs } from '../src/index.js';
import { FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { clientOptions, expectJobkitError, fakeTime, fluxModel, localImage, makeContext, segmentModel, until } from './support/helpers.js';

const req = { sku: 'SKU-1', sha256: 'c'.repeat(64), original: localImage(Buffer.from('jpeg')) };

describe("429, 5xx and network errors (the client's own retry is disabled)", () => {
  let fake: FakeReplicate;
  beforeEach(async () => {
    fake = await startFakeReplicate();
    fake.addModel(segmentModel({ durationMs: 30 }));
  });
  afterEach(async () => {
    await fake.close();
  });

  it('429 on create → RATE_LIMITED with Retry-After, one request only, and the limiter pauses later creates', async () => {
    fake.fail('create', FakeReplicate.throttled(7));
    const time = fakeTime();
    const seg = createReplicateSegmenter({ ...clientOptions(fake), clock: time.clock, sleep: time.sleep });
    const err = await expectJobkitError(seg.segment(req, makeContext({ clock: time.clock }).ctx));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(7000);
    expect(err.message).toContain('Request was throttled');
    expect(fake.creates).toBe(1);

    // The next create in this process waits out the reset before calling Replicate again.
    const result = await seg.segment(req, makeContext({ clock: time.clock }).ctx);
    expect(isPending(result)).toBe(false);
    expect(time.sleeps[0]).toBe(7000);
    expect(fake.creates).toBe(2);
  });

  it('429 without Retry-After uses the body\'s "resets in ~Ns"', async () => {
    fake.fail('create', FakeReplicate.throttled(null, 5));
    const seg = createReplicateSegmenter({ ...clientOptions(fake) });
    const err = await expectJobkitError(seg.segment(req, makeContext().ctx));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(5000);
    expect(fake.creates).toBe(1);
  });

  it('429 without Retry-After reads the documented "Expected available in 1 second" body (not a 10 s guess)', async () => {
    fake.fail('create', FakeReplicate.throttledExpectedIn(1));
    const seg = createReplicateSegmenter({ ...clientOptions(fake) });
    const err = await expectJobkitError(seg.segment(req, makeContext().ctx));
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.retryAfterMs).toBe(1000);
    expect(fake.creates).toBe(1);
  });

  it('429 while polling with the "Expected available in N seconds" body waits that long', async () => {
    fake.fail('get', FakeReplicate.throttledExpectedIn(2));
    const time = fakeTime();
    const seg = createReplicateSegmenter({ ...clientOptions(fake), clock: time.clock, sleep: time.sleep, pollInitialMs: 100, pollMaxMs: 200 });
    const result = await seg.segment(req, makeContext({ clock: time.clock }).ctx);
    expect(isPending(result)).toBe(false);
    expect(time.sleeps.slice(0, 2)).toEqual([100, 2000]);
  });

  it('429 while polling is waited out (fake clock), then polling continues to success', async () => {
    fake.fail('get', FakeReplicate.throttled(3));
    const time = fakeTime();
    const seg = createReplicateSegmenter({ ...clientOptions(fake), clock: time.clock, sleep: time.sleep, pollInitialMs: 100, pollMaxMs: 200 });
    const result = await seg.segment(req, makeContext({ clock: time.clock }).ctx);
    expect(isPending(result)).toBe(false);
    // First poll after 100 ms hits the 429; the next sleep is the server's 3 s.
    expect(time.sleeps.slice(0, 2)).toEqual([100, 3000]);
    expect(fake.creates).toBe(1);
  });

  it('5xx on create → retryable SEGMENT_FAILED after a single request', async () => {
    fake.fail('create', { status: 503, body: { detail: 'Service Unavailable' } });
    const seg = createReplicateSegmenter({ ...clientOptions(fake) });
    const err = await expectJobkitError(seg.segment(req, makeContext().ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.retryable).toBe(true);
    expect(err.details?.status).toBe(503);
    expect(fake.creates).toBe(1);
  });

  it('a dropped connection on create is retryable and never replayed by the client (no hidden second run)', async () => {
    fake.fail('create', { status: 0, drop: true });
    const seg = createReplicateSegmenter({ ...clientOptions(fake) });
    const err = await expectJobkitError(seg.segment(req, makeContext().ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.retryable).toBe(true);
    expect(fake.creates).toBe(1);
  });

  it('transient poll errors are retried with backoff; too many in a row give up the try (ref kept)', async () => {
    fake.addModel(segmentModel({ durationMs: Infinity, version: 'f'.repeat(64) }));
    fake.fail('get', { status: 502, times: 10 });
    const time = fakeTime();
    const seg = createReplicateSegmenter({
      ...clientOptions(fake),
      model: `851-labs/background-remover:${'f'.repeat(64)}`,
      clock: time.clock,
      sleep: time.sleep,
      maxPollErrors: 3,
    });
    const ctx = makeContext({ clock: time.clock });
    const err = await expectJobkitError(seg.segment(req, ctx.ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.retryable).toBe(true);
    expect(fake.count('GET', /^\/v1\/predictions\//)).toBe(4);
    expect(ctx.refs).toHaveLength(1);
  });

  it('a request that times out is PROVIDER_TIMEOUT', async () => {
    const seg = createReplicateSegmenter({
      ...clientOptions(fake),
      requestTimeoutMs: 50,
      fetch: (_input, init) => new Promise((_, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal!.reason))),
    });
    const err = await expectJobkitError(seg.segment(req, makeContext().ctx));
    expect(err.code).toBe('PROVIDER_TIMEOUT');
    expect(err.retryable).toBe(true);
  });
});

describe("prediction creation: the core limiter and Replicate's resets", () => {
  it('a reset longer than maxWaitMs is not waited out: RATE_LIMITED for the worker, Replicate not called', async () => {
    const fake = await startFakeReplicate();
    try {
      fake.addModel(segmentModel({ durationMs: 10 }));
      fake.fail('create', FakeReplicate.throttled(60));
      const time = fakeTime();
      const seg = createReplicateSegmenter({ ...clientOptions(fake), clock: time.clock, sleep: time.sleep, rateLimit: { maxWaitMs: 5_000 } });
      expect((await expectJobkitError(seg.segment(req, makeContext({ clock: time.clock }).ctx))).retryAfterMs).toBe(60_000);
      time.advance(1_000);
      const err = await expectJobkitError(seg.segment(req, makeContext({ clock: time.clock }).ctx));
      expect(err.code).toBe('RATE_LIMITED');
      expect(err.retryAfterMs).toBe(59_000);
      expect(fake.creates).toBe(1);
      expect(time.sleeps).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('one core limiter is shared by both providers of createReplicateProviders (real time)', async () => {
    const fake = await startFakeReplicate();
    try {
      fake.addModel(segmentModel({ durationMs: 10 })).addModel(fluxModel({ durationMs: 10 }));
      // 60 per minute: one create at once, then one per second in any sliding minute.
      const { segmenter, backgroundGenerator } = createReplicateProviders({ ...clientOptions(fake), pollInitialMs: 5, rateLimit: { perMinute: 60 } });
      const createdAt: number[] = [];
      fake.onCreate = () => {
        createdAt.push(performance.now());
      };
      await segmenter.segment(req, makeContext().ctx);
      await backgroundGenerator.generate(
        { sku: 'SKU-1', sha256: 'c'.repeat(64), theme: 'studio', count: 1, width: 1000, height: 1000, cutout: localImage(Buffer.from('png')) },
        makeContext().ctx,
      );
      expect(createdAt).toHaveLength(2);
      // The second create (other provider) waited for the shared limiter (timer granularity allowed for).
      expect(createdAt[1]! - createdAt[0]!).toBeGreaterThanOrEqual(900);
    } finally {
      await fake.close();
    }
  });

  it('a Limiter from the core createLimiter can be shared by separate factories; an abort while queued creates nothing', async () => {
    const fake = await startFakeReplicate();
    try {
      fake.addModel(segmentModel({ durationMs: 10 }));
      const shared = createLimiter({ perMinute: 60 });
      const a = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 5, rateLimit: shared });
      const b = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 5, rateLimit: shared });
      await a.segment(req, makeContext().ctx);
      const queued = makeContext();
      const run = b.segment(req, queued.ctx);
      await until(() => shared.waiting === 1);
      queued.abort.abort();
      const err = await expectJobkitError(run);
      expect(err.code).toBe('CANCELLED');
      expect(fake.creates).toBe(1);
      expect(queued.refs).toEqual([]);
    } finally {
      await fake.close();
    }
  });

  it('rejects a bad rateLimit with INVALID_INPUT naming the field', () => {
    for (const rateLimit of [{ perMinute: 0 }, { perMinute: Number.NaN }, { maxWaitMs: -1 }]) {
      try {
        createReplicateSegmenter({ auth: 'r8_x', rateLimit });
        throw new Error('expected INVALID_INPUT');
      } catch (err) {
        expect((err as { code?: string }).code).toBe('INVALID_INPUT');
        expect(String((err as { details?: { field?: string } }).details?.field)).toMatch(/^rateLimit\./);
      }
    }
  });
});

describe('parseRetryAfterMs', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  it('reads seconds, HTTP dates and the throttle text', () => {
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '12' }), '', now)).toBe(12_000);
    expect(parseRetryAfterMs(new Headers({ 'retry-after': 'Tue, 01 Jan 2030 00:00:30 GMT' }), '', now)).toBe(30_000);
    expect(parseRetryAfterMs(new Headers(), '{"detail":"Request was throttled. Your rate limit resets in ~30s."}', now)).toBe(30_000);
    expect(parseRetryAfterMs(new Headers(), 'nothing useful', now)).toBeUndefined();
  });

  it('reads both documented throttle bodies and the low-credit retry_after field', () => {
    const body = (f: { body?: unknown }) => JSON.stringify(f.body);
    expect(parseRetryAfterMs(new Headers(), body(FakeReplicate.throttledExpectedIn(1)), now)).toBe(1000);
    expect(parseRetryAfterMs(new Headers(), body(FakeReplicate.throttledExpectedIn(12)), now)).toBe(12_000);
    // Older wording of the same framework: a float.
    expect(parseRetryAfterMs(new Headers(), body(FakeReplicate.throttledExpectedIn('831.0')), now)).toBe(831_000);
    expect(parseRetryAfterMs(new Headers(), body(FakeReplicate.throttledLowCredit(8)), now)).toBe(8000);
    expect(parseRetryAfterMs(new Headers(), '{"detail":"Request was throttled.","retry_after":3}', now)).toBe(3000);
    // The header still wins over the body.
    expect(parseRetryAfterMs(new Headers({ 'retry-after': '4' }), body(FakeReplicate.throttledExpectedIn(1)), now)).toBe(4000);
  });
});
