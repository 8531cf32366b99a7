/**
 * Opt-in: runs against the real Replicate API only when REPLICATE_API_TOKEN is set (costs about one
 * cent: one background removal + one flux-schnell image). Skipped, with the reason printed, otherwise.
 */
import { describe, expect, it } from 'vitest';
import { isPending } from 'jobkit';
import { createReplicateProviders } from '../src/index.js';
import { localImage, makeContext } from './support/helpers.js';
import { solidPng } from './support/png.js';

const token = process.env.REPLICATE_API_TOKEN;
if (!token) console.log('[provider-replicate] live Replicate test skipped: set REPLICATE_API_TOKEN to run it (it spends ~$0.01).');

describe.skipIf(!token)('live Replicate API', () => {
  it('removes a background and generates one themed background with the defaults', { timeout: 300_000 }, async () => {
    const { segmenter, backgroundGenerator } = createReplicateProviders({ auth: token!, timeoutMs: 240_000 });
    // A dark square on white: something for the model to cut out.
    const photo = solidPng(64, 64, [255, 255, 255, 255], false);
    const seg = await segmenter.segment(
      { sku: 'LIVE-1', sha256: '0'.repeat(64), original: localImage(photo, 'originals/LIVE-1/x.png', 'image/png') },
      makeContext().ctx,
    );
    if (isPending(seg)) throw new Error('unexpected pending');
    expect(seg.cutout.subarray(1, 4).toString()).toBe('PNG');
    expect(seg.costUsd).toBeGreaterThan(0);

    const bg = await backgroundGenerator.generate(
      {
        sku: 'LIVE-1',
        sha256: '0'.repeat(64),
        theme: 'studio',
        count: 1,
        width: 1024,
        height: 1024,
        cutout: localImage(seg.cutout, 'masks/LIVE-1/x.png', 'image/png'),
      },
      makeContext().ctx,
    );
    if (isPending(bg)) throw new Error('unexpected pending');
    expect(bg.backgrounds).toHaveLength(1);
    expect(bg.costUsd).toBeCloseTo(0.003, 6);
  });
});
