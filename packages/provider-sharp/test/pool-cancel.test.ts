/**
 * Cancellation on the step's AbortSignal: a segmentation aborted while its thread is busy with the photo
 * rejects with CANCELLED at once, its thread is ended (and replaced), its pixels go back to the budget, and
 * the next photo runs — without waiting for the aborted one to finish.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { createImagePool, createStudioSegmenter } from '../src/index.js';
import { expectJobkitError, providerCtx, SHA, source } from './fixtures/helpers.js';

const pool = createImagePool({ threads: 1 });
afterAll(() => pool.close());

/** A 12 MP light-box shot: light grey sweep with fall-off, a red ellipse product, sensor noise, JPEG. */
async function cameraPhoto(): Promise<Buffer> {
  const W = 4000,
    H = 3000;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
    <defs><radialGradient id="g" cx="50%" cy="45%" r="75%"><stop offset="0" stop-color="#f2f2f0"/><stop offset="1" stop-color="#d8d8d5"/></radialGradient></defs>
    <rect width="100%" height="100%" fill="url(#g)"/>
    <ellipse cx="2000" cy="1600" rx="900" ry="700" fill="#b8322a"/></svg>`;
  const noise = await sharp({ create: { width: W, height: H, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 6 } } })
    .raw()
    .toBuffer();
  return sharp(Buffer.from(svg))
    .composite([{ input: noise, raw: { width: W, height: H, channels: 3 }, blend: 'overlay' }])
    .jpeg({ quality: 88 })
    .toBuffer();
}

const waitFor = async (cond: () => boolean): Promise<void> => {
  const end = Date.now() + 60_000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('image pool: cancellation', () => {
  it('an aborted mid-photo segmentation rejects with CANCELLED and releases its thread', { timeout: 120_000 }, async () => {
    const seg = createStudioSegmenter({ pool });
    const sample = await readFile(fileURLToPath(new URL('../../../examples/express-server/samples/MUG-001.jpg', import.meta.url)));
    const first = await seg.segment({ sku: 'SKU-1', sha256: SHA, original: source(sample) }, providerCtx());
    expect('cutout' in first).toBe(true);
    const [thread] = pool.threadIds();
    expect(thread).toBeDefined();

    const photo = await cameraPhoto();
    const ac = new AbortController();
    const job = seg.segment({ sku: 'SKU-2', sha256: SHA, original: source(photo) }, providerCtx(ac.signal));
    await waitFor(() => pool.stats().running === 1);
    expect(pool.stats().inUse).toBe(12_000_000); // the photo's pixels are held while it runs
    await new Promise((r) => setTimeout(r, 200)); // well inside decoding / segmenting a 12 MP photo
    const abortedAt = performance.now();
    ac.abort(new Error('lease lost'));
    await expectJobkitError(job, 'CANCELLED', true, /studio segmentation cancelled/);
    const cancelMs = performance.now() - abortedAt;
    expect(pool.stats()).toMatchObject({ running: 0, inUse: 0 });

    // The thread that was busy is gone; the next photo runs on its replacement right away.
    const next = await seg.segment({ sku: 'SKU-3', sha256: SHA, original: source(sample) }, providerCtx());
    expect('cutout' in next && next.cutout.length).toBeGreaterThan(1000);
    expect(pool.threadIds()).toHaveLength(1);
    expect(pool.threadIds()).not.toContain(thread);
    expect(cancelMs).toBeLessThan(5_000);
  });

  it('a segmentation waiting for the budget is dropped from the queue when aborted', async () => {
    const small = createImagePool({ threads: 1, maxPixels: 2_000_000 });
    try {
      const seg = createStudioSegmenter({ pool: small });
      const sample = await readFile(fileURLToPath(new URL('../../../examples/express-server/samples/BOX-001.jpg', import.meta.url)));
      const running = seg.segment({ sku: 'SKU-1', sha256: SHA, original: source(sample) }, providerCtx());
      await waitFor(() => small.stats().running === 1);
      const ac = new AbortController();
      const waiting = seg.segment({ sku: 'SKU-2', sha256: SHA, original: source(sample) }, providerCtx(ac.signal));
      await waitFor(() => small.stats().waiting === 1);
      ac.abort();
      await expectJobkitError(waiting, 'CANCELLED', true);
      expect(small.stats().waiting).toBe(0);
      expect('cutout' in (await running)).toBe(true);
    } finally {
      await small.close();
    }
  });
});
