/**
 * createSharpQualityGate(): any segmenter's cutout scored against its original on the image pool — a good
 * cut passes, a cut that lost most of the product is doubtful with reasons, a hosted segmenter's cutout at
 * another size is scored on the original's grid, and the worker stores the gate's verdict on the job.
 */
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import sharp from 'sharp';
import {
  createJobService,
  createLocalStorefront,
  createMemoryJobStore,
  createMemoryObjectStore,
  createWorker,
  DEFAULT_REVIEW_MIN_SCORE,
  keys,
  silentLogger,
  type Segmenter,
} from 'jobkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImagePool, createSharpProviders, createSharpQualityGate } from '../src/index.js';
import { expectJobkitError } from './fixtures/helpers.js';
import { BACKDROPS, mug, renderScene } from './fixtures/synthetic.js';

const pool = createImagePool({ threads: 1 });
afterAll(() => pool.close());
const gate = createSharpQualityGate({ pool });
const ctx = (signal = new AbortController().signal) => ({ signal, logger: silentLogger });

let original: Buffer;
/** The ground-truth cutout: the photo's pixels with the exact product mask as alpha. */
let cutout: Buffer;
beforeAll(async () => {
  const scene = await renderScene({ width: 900, height: 700, backdrop: BACKDROPS.lightGrey, falloff: 0.06, shape: mug, noise: 2, jpegQuality: 90 });
  original = scene.jpeg;
  const { data } = await sharp(original).raw().toBuffer({ resolveWithObject: true });
  const rgba = Buffer.alloc(scene.width * scene.height * 4);
  for (let i = 0; i < scene.mask.length; i++) {
    rgba[i * 4] = data[i * 3]!;
    rgba[i * 4 + 1] = data[i * 3 + 1]!;
    rgba[i * 4 + 2] = data[i * 3 + 2]!;
    rgba[i * 4 + 3] = scene.mask[i]! ? 255 : 0;
  }
  cutout = await sharp(rgba, { raw: { width: scene.width, height: scene.height, channels: 4 } })
    .png()
    .toBuffer();
});

/** The cutout with its alpha kept only in the top `share` of its rows (a cut that lost most of the product). */
async function truncated(png: Buffer, share: number): Promise<Buffer> {
  const { data, info } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  let first = info.height;
  for (let y = 0; y < info.height && first === info.height; y++)
    for (let x = 0; x < info.width; x++)
      if (data[(y * info.width + x) * 4 + 3]! > 128) {
        first = y;
        break;
      }
  const keepUntil = first + Math.round((info.height - first) * share);
  for (let y = keepUntil; y < info.height; y++) for (let x = 0; x < info.width; x++) data[(y * info.width + x) * 4 + 3] = 0;
  return sharp(data, { raw: { width: info.width, height: info.height, channels: 4 } })
    .png()
    .toBuffer();
}

describe('sharp quality gate', () => {
  it('passes a good cut and holds one that lost most of the product, with reasons, on the pool', async () => {
    const before = pool.stats().completed;
    const good = await gate.assess({ original, cutout }, ctx());
    expect(good.score).toBeGreaterThanOrEqual(DEFAULT_REVIEW_MIN_SCORE);
    const bad = await gate.assess({ original, cutout: await truncated(cutout, 0.15) }, ctx());
    expect(bad.score).toBeLessThan(DEFAULT_REVIEW_MIN_SCORE);
    expect(bad.reasons.length).toBeGreaterThan(0);
    expect(bad.reasons.join('\n')).toMatch(/^[a-z-]+: /m);
    expect(pool.stats().completed - before).toBe(2);
  });

  it("scores a hosted segmenter's cutout at another size on the original's grid", async () => {
    const full = await gate.assess({ original, cutout }, ctx());
    const half = await sharp(cutout).resize(450, 350).png().toBuffer();
    const q = await gate.assess({ original, cutout: half }, ctx());
    expect(Math.abs(q.score - full.score)).toBeLessThan(0.15);
  });

  it('an undecodable cutout → non-retryable SEGMENT_FAILED; an aborted assessment → CANCELLED', async () => {
    await expectJobkitError(gate.assess({ original, cutout: Buffer.from('not a png') }, ctx()), 'SEGMENT_FAILED', false, /cutout/);
    await expectJobkitError(gate.assess({ original: Buffer.from('nope'), cutout }, ctx()), 'INVALID_INPUT', false, /original/);
    const ac = new AbortController();
    ac.abort();
    await expectJobkitError(gate.assess({ original, cutout }, ctx(ac.signal)), 'CANCELLED', true);
  });

  it('createSharpProviders() returns it; the worker stores its verdict for a cutout that came without one', async () => {
    const providers = createSharpProviders({ pool });
    expect(providers.qualityGate.name).toBe('sharp-quality');
    // A "hosted" segmenter: returns a cutout and no quality of its own.
    const hosted: Segmenter = { name: 'hosted', segment: async () => ({ cutout, costUsd: 0.01 }) };
    const objects = createMemoryObjectStore();
    const service = createJobService({ store: createMemoryJobStore(), objects });
    const worker = createWorker({ service, objects, storefront: createLocalStorefront({ dir: tmpdir() }), ...providers, segmenter: hosted });
    const sha256 = createHash('sha256').update(original).digest('hex');
    const key = keys.original({ sku: 'MUG-1', sha256 }, 'jpg');
    await objects.put(key, original, { contentType: 'image/jpeg' });
    const { job } = await service.createJob({ sku: 'MUG-1', sha256, theme: 'default', originalKey: key, autoStart: true });
    await worker.runOnce();
    const after = await service.getJob(job.id);
    const expected = await gate.assess({ original, cutout }, ctx());
    expect(after?.quality).toEqual(expected);
  });
});
