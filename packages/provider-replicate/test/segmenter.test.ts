import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPending } from 'jobkit';
import { createReplicateSegmenter } from '../src/index.js';
import { type FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { CUTOUT, clientOptions, expectJobkitError, localImage, makeContext, publicImage, segmentModel, startObjectHost, until } from './support/helpers.js';

const ORIGINAL = Buffer.from('original-jpeg-bytes'.repeat(10));
const req = (original = localImage(ORIGINAL)) => ({ sku: 'SKU-1', sha256: 'a'.repeat(64), original });

describe('replicate segmenter (sync mode)', () => {
  let fake: FakeReplicate;
  beforeEach(async () => {
    fake = await startFakeReplicate();
  });
  afterEach(async () => {
    await fake.close();
  });

  it('creates one prediction by version, polls it to success, returns the downloaded cutout and the per-second cost', async () => {
    fake.addModel(segmentModel({ startMs: 30, durationMs: Infinity }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20, pollMaxMs: 40 });
    const { ctx, refs } = makeContext();
    const running = seg.segment(req(), ctx);
    // Finishes only once it has been polled a few times (independent of machine load).
    await until(() => fake.count('GET', /^\/v1\/predictions\/[a-z0-9]+$/) >= 3);
    await fake.complete(await until(() => refs[0]));
    const result = await running;
    if (isPending(result)) throw new Error('unexpected pending');

    expect(result.cutout.equals(CUTOUT)).toBe(true);
    // predict_time 2 s × L40S $0.000975/s
    expect(result.costUsd).toBeCloseTo(0.00195, 9);
    expect(fake.creates).toBe(1);
    expect(fake.count('POST', /^\/v1\/predictions$/)).toBe(1);
    // Polled through starting/processing: several GETs, bounded interval.
    expect(fake.count('GET', /^\/v1\/predictions\/[a-z0-9]+$/)).toBeGreaterThanOrEqual(3);
    const [p] = [...fake.predictions.values()];
    expect(refs).toEqual([p!.id]);
    expect(p!.input).toMatchObject({ format: 'png', background_type: 'rgba' });
    // The local store has no public URL: the bytes went inline as a data URI.
    expect(p!.inputKind).toBe('data-uri');
    expect(p!.inputBytes).toBe(ORIGINAL.length);
    // Downloaded at once: the output was fetched before the step returned, so expiry no longer matters.
    expect(fake.count('GET', new RegExp(`^/outputs/${p!.id}/0$`))).toBe(1);
    fake.expireOutputs(p!.id);
    expect(result.cutout.equals(CUTOUT)).toBe(true);
  });

  it('records the prediction id before waiting on it', async () => {
    fake.addModel(segmentModel({ startMs: Infinity, durationMs: 150 }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const seen: Array<{ status: string; gets: number }> = [];
    const { ctx } = makeContext({
      onRecord: (ref) => {
        seen.push({ status: fake.predictions.get(ref)!.status, gets: fake.count('GET', /^\/v1\/predictions\//) });
      },
    });
    await seg.segment(req(), ctx);
    expect(seen).toEqual([{ status: 'starting', gets: 0 }]);
  });

  it('with syncWaitSec sends Prefer: wait and needs no polling for a fast model', async () => {
    fake.addModel(segmentModel({ startMs: 5, durationMs: 40 }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), syncWaitSec: 5 });
    const result = await seg.segment(req(), makeContext().ctx);
    expect(isPending(result)).toBe(false);
    const create = fake.requests.find((r) => r.method === 'POST' && r.path === '/v1/predictions');
    expect(create?.prefer).toBe('wait=5');
    expect(fake.count('GET', /^\/v1\/predictions\//)).toBe(0);
  });

  it('falls back to polling when Prefer: wait returns before the prediction finished', async () => {
    fake.addModel(segmentModel({ startMs: 5, durationMs: 1400 }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), syncWaitSec: 1, pollInitialMs: 50, pollMaxMs: 100 });
    const result = await seg.segment(req(), makeContext().ctx);
    expect(isPending(result)).toBe(false);
    expect(fake.count('GET', /^\/v1\/predictions\//)).toBeGreaterThanOrEqual(1);
    expect(fake.creates).toBe(1);
  });

  it('sends a presigned URL when the store has one (no bytes read)', async () => {
    const host = await startObjectHost();
    try {
      host.put('/originals/SKU-1/a.jpg', ORIGINAL);
      fake.addModel(segmentModel());
      const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
      const source = publicImage(`${host.url}/originals/SKU-1/a.jpg`, Buffer.alloc(0));
      await seg.segment(req(source), makeContext().ctx);
      const [p] = [...fake.predictions.values()];
      expect(p!.inputKind).toBe('url');
      expect(p!.input.image).toBe(`${host.url}/originals/SKU-1/a.jpg?X-Amz-Signature=abc`);
      expect(p!.inputBytes).toBe(ORIGINAL.length);
      expect(host.hits).toEqual(['/originals/SKU-1/a.jpg']);
    } finally {
      await host.close();
    }
  });

  it('uploads images above the data-URI limit through the Files API', async () => {
    fake.addModel(segmentModel());
    const big = Buffer.alloc(4096, 7);
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20, dataUriMaxBytes: 1024 });
    await seg.segment(req(localImage(big)), makeContext().ctx);
    const [p] = [...fake.predictions.values()];
    expect(p!.inputKind).toBe('file');
    expect(p!.inputBytes).toBe(big.length);
    expect(fake.count('POST', /^\/v1\/files$/)).toBe(1);
  });

  it("a failed prediction is a non-retryable SEGMENT_FAILED with Replicate's message, reported once", async () => {
    fake.addModel(segmentModel({ run: () => ({ error: 'cannot identify image file <_io.BytesIO object>' }) }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const first = makeContext();
    const err = await expectJobkitError(seg.segment(req(), first.ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('cannot identify image file');
    const id = [...fake.predictions.keys()][0]!;
    expect(first.refs).toEqual([id, `${id}#spent`]);

    // An operator retry resumes from the spent ref: that is a genuine new run.
    fake.predictions.clear();
    const second = makeContext({ previousRef: first.refs.at(-1)! });
    await expectJobkitError(seg.segment(req(), second.ctx));
    expect(fake.creates).toBe(2);
  });

  it('an infrastructure failure of the prediction is retryable', async () => {
    fake.addModel(segmentModel({ run: () => ({ error: 'Prediction interrupted; please retry (code: PA)' }) }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const err = await expectJobkitError(seg.segment(req(), makeContext().ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.retryable).toBe(true);
  });

  it('a 422 input error on create is not retryable and keeps the message', async () => {
    fake.addModel(segmentModel({ validate: () => "- image: Does not match format 'uri'" }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake) });
    const err = await expectJobkitError(seg.segment(req(), makeContext().ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain("Does not match format 'uri'");
    expect(err.details?.status).toBe(422);
  });

  it('a wrong token is UNAUTHORIZED', async () => {
    fake.addModel(segmentModel());
    const seg = createReplicateSegmenter({ ...clientOptions(fake), auth: 'r8_wrong' });
    const err = await expectJobkitError(seg.segment(req(), makeContext().ctx));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.retryable).toBe(false);
    expect(fake.creates).toBe(1);
  });

  it('rejects an output that is not an RGBA PNG', async () => {
    fake.addModel(segmentModel({ run: () => ({ outputs: [{ bytes: Buffer.from('<html>oops</html>'), contentType: 'text/html' }], single: true }) }));
    const seg = createReplicateSegmenter({ ...clientOptions(fake), pollInitialMs: 20 });
    const err = await expectJobkitError(seg.segment(req(), makeContext().ctx));
    expect(err.code).toBe('SEGMENT_FAILED');
    expect(err.message).toContain('alpha channel');
  });

  it('validates options at construction', () => {
    expect(() => createReplicateSegmenter({ auth: '' })).toThrow(/auth/);
    expect(() => createReplicateSegmenter({ auth: 't', model: 'not a model' })).toThrow(/model/);
    expect(() => createReplicateSegmenter({ auth: 't', syncWaitSec: 61 })).toThrow(/syncWaitSec/);
    expect(() => createReplicateSegmenter({ auth: 't', pricing: { kind: 'per-second', usdPerSecond: -1 } })).toThrow(/pricing/);
  });
});
