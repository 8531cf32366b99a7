/**
 * The quality gate (assessCutout) on cutouts whose correctness is known: the ground truth itself, and
 * masks deliberately wrong in the ways real segmenters fail.
 */
import sharp from 'sharp';
import { DEFAULT_REVIEW_MIN_SCORE } from 'jobkit';
import { describe, expect, it } from 'vitest';
import { assessCutout, createStudioSegmenter, decodeImage, segmentPhoto } from '../src/index.js';
import { providerCtx, SHA, source } from './fixtures/helpers.js';
import { fixturePhoto, type StudioPhoto } from './fixtures/studio-photos.js';

const toAlpha = (mask: Uint8Array): Uint8Array => mask.map((v) => (v ? 255 : 0));
const codes = (reasons: string[]): string[] => reasons.map((r) => r.slice(0, r.indexOf(':')));

async function assess(p: StudioPhoto, mask: Uint8Array) {
  const { rgb, width, height } = await decodeImage(p.jpeg);
  return assessCutout(rgb, toAlpha(mask), width, height);
}

describe('quality gate: assessCutout', () => {
  it.each(['r-tote-canvas-w', 'r-backpack-w', 'r-headphones-d', 'r-white-bottle-w', 'r-notebook-flat-w'])(
    'the ground truth of %s scores ≥ 0.6 with no reasons',
    async (id) => {
      const p = await fixturePhoto(id);
      const q = await assess(p, p.mask);
      expect(q.score).toBeGreaterThanOrEqual(DEFAULT_REVIEW_MIN_SCORE);
      expect(q.reasons).toEqual([]);
    },
  );

  it('holds the red cap ring alone cut out of a white bottle (the 0.1 failure): part of the product is missing', async () => {
    const p = await fixturePhoto('r-white-bottle-w');
    const { rgb } = await decodeImage(p.jpeg);
    const ring = p.mask.map((v, i) => (v && rgb[i * 3]! > 150 && rgb[i * 3 + 1]! < 90 ? 1 : 0));
    expect(ring.reduce((a, b) => a + b, 0)).toBeGreaterThan(50);
    const q = await assess(p, ring);
    expect(q.score).toBeLessThan(DEFAULT_REVIEW_MIN_SCORE);
    expect(codes(q.reasons)).toEqual(expect.arrayContaining(['edges-outside']));
    expect(q.reasons.join('\n')).toMatch(/part of the product is probably missing/);
  });

  it('holds a cut that includes the drop shadow: its outline runs through flat colour', async () => {
    const p = await fixturePhoto('r-notebook-flat-w');
    const { rgb, width, height } = await decodeImage(p.jpeg);
    // Add every pixel near the product that the shadow darkened: darker than the backdrop at the frame.
    const ref = (y: number): number => (rgb[(y * width + 4) * 3 + 1]! + rgb[(y * width + width - 5) * 3 + 1]!) / 2;
    const withShadow = p.mask.slice();
    let added = 0;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = y * width + x;
        if (!p.mask[i] && rgb[i * 3 + 1]! < ref(y) - 5) {
          withShadow[i] = 1;
          added++;
        }
      }
    }
    expect(added).toBeGreaterThan(0.05 * p.mask.reduce((a, b) => a + b, 0));
    const q = await assess(p, withShadow);
    expect(q.score).toBeLessThan(DEFAULT_REVIEW_MIN_SCORE);
    expect(codes(q.reasons).some((c) => c === 'unsupported-outline' || c === 'shadow-inside')).toBe(true);

    // The studio segmenter's own cut of the same photo leaves the shadow out and passes.
    const cut = await segmentPhoto(p.jpeg);
    expect(cut.quality.score).toBeGreaterThanOrEqual(DEFAULT_REVIEW_MIN_SCORE);
  });

  it('holds a fragmented cut', async () => {
    const p = await fixturePhoto('r-tote-canvas-w');
    // Keep the product only in scattered 6×6 tiles.
    const frag = p.mask.map((v, i) => (v && (((i % p.width) / 6) | 0) % 3 === 0 && ((((i / p.width) | 0) / 6) | 0) % 3 === 0 ? 1 : 0));
    const q = await assess(p, frag);
    expect(q.score).toBeLessThan(DEFAULT_REVIEW_MIN_SCORE);
    expect(codes(q.reasons)).toEqual(expect.arrayContaining(['fragments']));
  });

  it('scores an empty cutout 0', async () => {
    const p = await fixturePhoto('r-grey-box-w');
    const q = await assess(p, new Uint8Array(p.mask.length));
    expect(q).toEqual({ score: 0, reasons: ['empty-cutout: the cutout is fully transparent'] });
  });

  it('on a photo that is not a studio shot checks only the shape, and says so', async () => {
    const W = 320,
      H = 240;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}"><rect width="${W}" height="${H / 2}" fill="#8fb6d8"/><rect y="${H / 2}" width="${W}" height="${H / 2}" fill="#5c7a3a"/><circle cx="160" cy="120" r="50" fill="#c0392b"/></svg>`;
    const { data } = await sharp(Buffer.from(svg)).raw().toBuffer({ resolveWithObject: true });
    const rgb = new Uint8Array(W * H * 3);
    for (let i = 0; i < W * H; i++) rgb.set(data.subarray(i * 4, i * 4 + 3), i * 3);
    const alpha = new Uint8Array(W * H);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) alpha[y * W + x] = Math.hypot(x - 160, y - 120) <= 50 ? 255 : 0;
    const q = assessCutout(rgb, alpha, W, H);
    expect(q.score).toBeGreaterThanOrEqual(DEFAULT_REVIEW_MIN_SCORE);
    expect(codes(q.reasons)).toEqual(['not-studio']);
  });

  it('rejects buffers that do not match the size', () => {
    expect(() => assessCutout(new Uint8Array(10), new Uint8Array(4), 2, 2)).toThrow(RangeError);
  });
});

describe('the studio segmenter reports its own quality', () => {
  it('createStudioSegmenter returns the quality with the cutout; a doubtful white-on-white cut says why', async () => {
    const seg = createStudioSegmenter();
    const good = await seg.segment({ sku: 'SKU-1', sha256: SHA, original: source((await fixturePhoto('r-tote-black-d')).jpeg) }, providerCtx());
    if (!('cutout' in good)) throw new Error('expected a result');
    expect(good.quality?.score).toBeGreaterThanOrEqual(DEFAULT_REVIEW_MIN_SCORE);

    const bottle = await seg.segment({ sku: 'SKU-2', sha256: SHA, original: source((await fixturePhoto('r-white-bottle-w')).jpeg) }, providerCtx());
    if (!('cutout' in bottle)) throw new Error('expected a result');
    expect(bottle.quality).toBeDefined();
    for (const r of bottle.quality!.reasons) expect(r).toMatch(/^[a-z]+(-[a-z]+)*: \S/);
  });
});
