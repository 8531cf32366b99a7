import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPending } from 'jobkit';
import { createReplicateSegmenter } from '../src/index.js';
import { type FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { CUTOUT, clientOptions, expectJobkitError, fakeTime, localImage, makeContext, segmentModel, until } from './support/helpers.js';

const req = { sku: 'SKU-1', sha256: 'b'.repeat(64), original: localImage(Buffer.from('jpeg')) };

describe('never pay twice: resuming a recorded prediction', () => {
  let fake: FakeReplicate;
  beforeEach(async () => {
    fake = await startFakeReplicate();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('a try that died after the create resumes the running prediction without a second create', async () => {
    fake.addModel(segmentModel({ durationMs: Infinity }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    // First try: the process dies right after the id is recorded (recordRef never returns, nothing polls).
    let recorded = '';
    const crashed = makeContext({
      onRecord: (ref) => {
        recorded = ref;
        return new Promise<void>(() => {});
      },
    });
    void seg.segment(req, crashed.ctx);
    await fake.waitForStatus(await until(() => recorded), ['starting', 'processing']);

    const retry = makeContext({ previousRef: recorded });
    const pending = seg.segment(req, retry.ctx);
    await until(() => fake.count('GET', new RegExp(`/v1/predictions/${recorded}$`)) > 0);
    await fake.complete(recorded);
    const result = await pending;
    if (isPending(result)) throw new Error('unexpected pending');
    expect(result.cutout.equals(CUTOUT)).toBe(true);
    expect(fake.creates).toBe(1);
    expect(retry.refs).toEqual([]);
  });

  it('resumes an already finished prediction: one GET, no create, cost reported', async () => {
    fake.addModel(segmentModel({ durationMs: 10 }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    await seg.segment(req, first.ctx);
    const id = first.refs[0]!;
    const before = fake.requests.length;

    const again = makeContext({ previousRef: id });
    const result = await seg.segment(req, again.ctx);
    if (isPending(result)) throw new Error('unexpected pending');
    expect(result.costUsd).toBeGreaterThan(0);
    expect(fake.creates).toBe(1);
    expect(fake.requests.slice(before).map((r) => `${r.method} ${r.path.replace(id, ':id')}`)).toEqual(['GET /v1/predictions/:id', 'GET /outputs/:id/0']);
  });

  it('a canceled previous prediction is replaced by a new one (a genuine retry)', async () => {
    fake.addModel(segmentModel({ durationMs: Infinity }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    const run = seg.segment(req, first.ctx);
    await until(() => first.refs[0]);
    first.abort.abort();
    await expectJobkitError(run);
    const oldId = first.refs[0]!;
    expect(fake.predictions.get(oldId)!.status).toBe('canceled');

    const second = makeContext({ previousRef: oldId });
    const next = seg.segment(req, second.ctx);
    // It ran before the cancel, so it is billed: the spent mark (with its cost) comes first, then the new id.
    const newId = await until(() => second.refs.find((r) => !r.startsWith(oldId)));
    expect(second.refs[0]).toBe(`${oldId}#spent`);
    await fake.complete(newId);
    await next;
    expect(fake.creates).toBe(2);
  });

  it('outputs deleted by Replicate (data_removed) make the recorded prediction unusable: a new run', async () => {
    fake.addModel(segmentModel({ durationMs: 10 }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    await seg.segment(req, first.ctx);
    fake.expireOutputs(first.refs[0]!);
    const again = makeContext({ previousRef: first.refs[0]! });
    const result = await seg.segment(req, again.ctx);
    expect(isPending(result)).toBe(false);
    expect(fake.creates).toBe(2);
  });

  it('a download that finds the output gone marks the prediction spent (retryable), the next try creates anew', async () => {
    fake.addModel(segmentModel({ durationMs: 10 }));
    fake.fail('output', { status: 404, body: 'Not found' });
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    const err = await expectJobkitError(seg.segment(req, first.ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.retryable).toBe(true);
    expect(first.refs.at(-1)).toMatch(/#spent$/);
    const again = makeContext({ previousRef: first.refs.at(-1)! });
    await seg.segment(req, again.ctx);
    expect(fake.creates).toBe(2);
  });

  it('a transient download error keeps the ref: the next try downloads without paying again', async () => {
    fake.addModel(segmentModel({ durationMs: 10 }));
    fake.fail('output', { status: 503, body: 'upstream unavailable' });
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    const err = await expectJobkitError(seg.segment(req, first.ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.retryable).toBe(true);
    expect(first.refs).toHaveLength(1);
    const again = makeContext({ previousRef: first.refs[0]! });
    const result = await seg.segment(req, again.ctx);
    expect(isPending(result)).toBe(false);
    expect(fake.creates).toBe(1);
  });

  it('a sync wait past timeoutMs is a retryable PROVIDER_TIMEOUT that keeps the ref; the next try resumes', async () => {
    fake.addModel(segmentModel({ durationMs: Infinity }));
    const time = fakeTime();
    const seg = createReplicateSegmenter({ ...clientOptions(fake), clock: time.clock, sleep: time.sleep, timeoutMs: 10_000, pollMaxMs: 2_000 });
    const first = makeContext({ clock: time.clock });
    const err = await expectJobkitError(seg.segment(req, first.ctx));
    expect(err.code).toBe('PROVIDER_TIMEOUT');
    expect(err.retryable).toBe(true);
    expect(time.sleeps.reduce((a, b) => a + b, 0)).toBe(10_000);
    expect(Math.max(...time.sleeps)).toBeLessThanOrEqual(2_000);
    const id = first.refs[0]!;
    expect(fake.predictions.get(id)!.status).toBe('processing'); // not canceled: still resumable

    await fake.complete(id);
    const result = await seg.segment(req, makeContext({ previousRef: id, clock: time.clock }).ctx);
    expect(isPending(result)).toBe(false);
    expect(fake.creates).toBe(1);
  });

  it('a recordRef that fails (lease lost) cancels the orphan prediction and fails the try', async () => {
    fake.addModel(segmentModel({ durationMs: Infinity }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const ctx = makeContext({
      onRecord: () => {
        throw new Error('CONFLICT: lease lost');
      },
    });
    await expect(seg.segment(req, ctx.ctx)).rejects.toThrow('lease lost');
    const [p] = [...fake.predictions.values()];
    expect(p!.status).toBe('canceled');
    expect(fake.count('POST', /\/cancel$/)).toBe(1);
  });

  it('a previousRef unknown to Replicate (404) leads to a new prediction', async () => {
    fake.addModel(segmentModel({ durationMs: 10 }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const ctx = makeContext({ previousRef: 'doesnotexist0000000000000a' });
    await seg.segment(req, ctx.ctx);
    expect(fake.creates).toBe(1);
  });
});
