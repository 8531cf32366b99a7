/**
 * The studio segmenter on the hard studio cases, against ground truth: committed procedural renders
 * (always run) and, when present, photos of the labelled studio set (real product cut-outs on studio
 * backdrops). The full sets run in bench/segmentation.
 */
import sharp from 'sharp';
import { DEFAULT_REVIEW_MIN_SCORE } from 'jobkit';
import { describe, expect, it } from 'vitest';
import { decodeImage, segmentPhoto, type Cutout } from '../src/index.js';
import { expectJobkitError } from './fixtures/helpers.js';
import { alphaMask, belowProduct, iouOf, lightProductPixels, shareOf, truthHoles } from './fixtures/mask-checks.js';
import { fixturePhoto, studioSetDir, studioSetPhoto, type StudioPhoto } from './fixtures/studio-photos.js';

async function cut(p: StudioPhoto): Promise<{ cut: Cutout; pred: Uint8Array; iou: number }> {
  const c = await segmentPhoto(p.jpeg);
  expect([c.width, c.height]).toEqual([p.width, p.height]);
  const pred = alphaMask(c.rgba);
  return { cut: c, pred, iou: iouOf(pred, p.mask) };
}

/** Every enclosed hole of the ground truth is at least 90 % background in the cut. */
function expectHolesKept(p: StudioPhoto, pred: Uint8Array, atLeast: number): void {
  const holes = truthHoles(p.mask, p.width, p.height);
  expect(holes.length).toBeGreaterThanOrEqual(atLeast);
  for (const hole of holes) expect(shareOf(pred, hole, 0)).toBeGreaterThanOrEqual(0.9);
}

describe('studio segmenter: hard studio cases (committed renders)', () => {
  it('white on white: a white bottle comes out as a bottle, or is held for review — never a confident fragment', async () => {
    const p = await fixturePhoto('r-white-bottle-w');
    const { cut: c, iou } = await cut(p);
    expect(iou).toBeGreaterThanOrEqual(0.5); // the body is found, not just the red cap ring (0.1 algorithm: 0.01)
    if (iou < 0.85) expect(c.quality.score).toBeLessThan(DEFAULT_REVIEW_MIN_SCORE);
  });

  it('light grey on white: a light-grey box is not taken for shadow', async () => {
    const { iou } = await cut(await fixturePhoto('r-grey-box-w'));
    expect(iou).toBeGreaterThanOrEqual(0.85);
  });

  it('black on dark grey: headphones are not taken for shadow, the band keeps its hole', async () => {
    const p = await fixturePhoto('r-headphones-d');
    const { iou, cut: c } = await cut(p);
    expect(iou).toBeGreaterThanOrEqual(0.97);
    expect(c.quality.score).toBeGreaterThanOrEqual(DEFAULT_REVIEW_MIN_SCORE);
  });

  it('white lettering on a black tote stays product; the handle loops stay holes', async () => {
    const p = await fixturePhoto('r-tote-black-d');
    const { pred, iou } = await cut(p);
    expect(iou).toBeGreaterThanOrEqual(0.97);
    const { rgb } = await decodeImage(p.jpeg);
    const lettering = lightProductPixels(rgb, p.mask, 170);
    expect(lettering.length).toBeGreaterThan(200);
    expect(shareOf(pred, lettering, 1)).toBeGreaterThanOrEqual(0.98);
    expectHolesKept(p, pred, 2);
  });

  it('real holes stay holes: the handles of a canvas tote on white', async () => {
    const p = await fixturePhoto('r-tote-canvas-w');
    const { pred, iou } = await cut(p);
    expect(iou).toBeGreaterThanOrEqual(0.95);
    expectHolesKept(p, pred, 2);
  });

  it('colourful with a contact shadow and thin straps: the shadow is backdrop, the straps are product', async () => {
    const p = await fixturePhoto('r-backpack-w');
    const { pred, iou } = await cut(p);
    expect(iou).toBeGreaterThanOrEqual(0.9);
    const shadow = belowProduct(p.mask, p.width, p.height, Math.round(p.height * 0.04));
    expect(shareOf(pred, shadow, 0)).toBeGreaterThanOrEqual(0.97);
    expectHolesKept(p, pred, 1); // the carry handle's loop
  });

  it('a ring: the inside is a hole; a cutout that is mostly hole waits for review', async () => {
    const p = await fixturePhoto('r-gold-ring-w');
    const { pred, iou, cut: c } = await cut(p);
    expect(iou).toBeGreaterThanOrEqual(0.8);
    expectHolesKept(p, pred, 1);
    expect(c.quality.reasons.some((r) => r.startsWith('mostly-holes:'))).toBe(true);
  });

  it('refuses a photo that is not a studio shot with a non-retryable SEGMENT_FAILED pointing to a hosted segmenter', async () => {
    // A room-like scene: a floor, a wall with a window and a product crossing the frame.
    const W = 480,
      H = 360;
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">
      <rect width="${W}" height="${H * 0.6}" fill="#c9b79a"/><rect y="${H * 0.6}" width="${W}" height="${H * 0.4}" fill="#6b4a2f"/>
      <rect x="20" y="20" width="140" height="110" fill="#9cc7ef" stroke="#fff" stroke-width="8"/>
      <rect x="300" y="140" width="200" height="240" fill="#2d5c8a"/><circle cx="250" cy="250" r="40" fill="#d24a3c"/></svg>`;
    const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 88 }).toBuffer();
    await expectJobkitError(segmentPhoto(jpeg), 'SEGMENT_FAILED', false, /hosted.*segmenter|AI segmenter/);
  });
});

const setDir = studioSetDir();
if (!setDir)
  console.warn('segment-categories: the labelled studio set is not present (JOBKIT_EVAL_DIR); its part is skipped, the committed renders above still ran');

describe.skipIf(!setDir)('studio segmenter: labelled studio set (real product cut-outs)', () => {
  const photo = (id: string): Promise<StudioPhoto> => studioSetPhoto(setDir!, id);

  it.each([
    ['white-cubes-tee-w248', 'white tee on a 248 white backdrop', 0.95],
    ['white-plimsoll-side-g228', 'white shoe on light grey', 0.88],
    ['light-grey-tee-w246', 'light-grey tee on white', 0.95],
  ])('%s (%s): IoU ≥ %s', async (id, _what, min) => {
    const { iou } = await cut(await photo(id));
    expect(iou).toBeGreaterThanOrEqual(min);
  });

  it('black hoodie on dark grey: IoU ≥ 0.97 and the drawstring loop stays a hole', async () => {
    const p = await photo('black-hoodie-d66');
    const { pred, iou } = await cut(p);
    expect(iou).toBeGreaterThanOrEqual(0.97);
    expectHolesKept(p, pred, 1);
  });

  it('white print on a black tee and a white logo on a dark mug stay product; the mug handle is a hole', async () => {
    const tee = await photo('black-tee-white-print-d78');
    const t = await cut(tee);
    expect(t.iou).toBeGreaterThanOrEqual(0.97);
    const print = lightProductPixels((await decodeImage(tee.jpeg)).rgb, tee.mask, 150);
    expect(shareOf(t.pred, print, 1)).toBeGreaterThanOrEqual(0.98);

    const mug = await photo('dark-mug-w244');
    const m = await cut(mug);
    expect(m.iou).toBeGreaterThanOrEqual(0.97);
    const logo = lightProductPixels((await decodeImage(mug.jpeg)).rgb, mug.mask, 170);
    expect(logo.length).toBeGreaterThan(500);
    expect(shareOf(m.pred, logo, 1)).toBeGreaterThanOrEqual(0.98);
    expectHolesKept(mug, m.pred, 1);
  });

  it('thin laces and a colourful shoe on pale blue: IoU ≥ 0.95', async () => {
    const { iou } = await cut(await photo('running-shoes-paleblue'));
    expect(iou).toBeGreaterThanOrEqual(0.95);
  });

  it('colourful hoodie with a contact shadow on beige: IoU ≥ 0.97, the shadow is backdrop', async () => {
    const p = await photo('blue-hoodie-beige');
    const { pred, iou } = await cut(p);
    expect(iou).toBeGreaterThanOrEqual(0.97);
    expect(shareOf(pred, belowProduct(p.mask, p.width, p.height, 40), 0)).toBeGreaterThanOrEqual(0.97);
  });

  it('a white box on white it cannot cut is held for review, not published', async () => {
    const p = await photo('white-box-w247');
    const { iou, cut: c } = await cut(p);
    if (iou < 0.85) {
      expect(c.quality.score).toBeLessThan(DEFAULT_REVIEW_MIN_SCORE);
      expect(c.quality.reasons.length).toBeGreaterThan(0);
    }
  });
});
