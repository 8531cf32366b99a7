import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReplicateSegmenter } from '../src/index.js';
import { type FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { clientOptions, expectJobkitError, localImage, makeContext, segmentModel, until } from './support/helpers.js';

const req = { sku: 'SKU-1', sha256: '9'.repeat(64), original: localImage(Buffer.from('jpeg')) };

describe('abort (worker stopping or lease lost)', () => {
  let fake: FakeReplicate;
  beforeEach(async () => {
    fake = await startFakeReplicate();
    fake.addModel(segmentModel({ durationMs: Infinity }));
  });
  afterEach(async () => {
    await fake.close();
  });

  it('cancels the in-flight prediction on Replicate and throws CANCELLED', async () => {
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const t = makeContext();
    const run = seg.segment(req, t.ctx);
    const id = await until(() => t.refs[0]);
    await until(() => fake.count('GET', /^\/v1\/predictions\//) > 0);
    t.abort.abort();
    const err = await expectJobkitError(run);
    expect(err.code).toBe('CANCELLED');
    expect(err.retryable).toBe(true);
    expect(fake.count('POST', new RegExp(`^/v1/predictions/${id}/cancel$`))).toBe(1);
    expect(fake.predictions.get(id)!.status).toBe('canceled');
  });

  it('an abort during the create call still learns the id and cancels it (no orphaned paid run)', async () => {
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const t = makeContext();
    fake.onCreate = () => {
      t.abort.abort();
    };
    const err = await expectJobkitError(seg.segment(req, t.ctx));
    expect(err.code).toBe('CANCELLED');
    const [p] = [...fake.predictions.values()];
    expect(t.refs).toEqual([p!.id]);
    expect(p!.status).toBe('canceled');
  });

  it('an already aborted step creates nothing', async () => {
    const seg = createReplicateSegmenter({ ...clientOptions(fake) });
    const t = makeContext();
    t.abort.abort();
    const err = await expectJobkitError(seg.segment(req, t.ctx));
    expect(err.code).toBe('CANCELLED');
    expect(fake.creates).toBe(0);
  });
});
