import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createStudioSegmenter, segmentPhoto } from '../src/index.js';
import { decodePng, expectJobkitError, iou, providerCtx, SHA, source } from './fixtures/helpers.js';
import {
  BACKDROPS,
  SAMPLE_PHOTOS,
  bottle,
  donut,
  ellipse,
  mug,
  renderScene,
  shoeBox,
  star,
  type Rgb,
  type SceneSpec,
  type Shape,
} from './fixtures/synthetic.js';

const S = 480;
const scene = (shape: Shape, backdrop: Rgb, extra: Partial<SceneSpec> = {}): SceneSpec => ({
  width: S,
  height: S,
  backdrop,
  falloff: 0.07,
  shape,
  shadow: { u: 0.5, v: 0.8, ru: 0.28, rv: 0.045, strength: 0.25 },
  noise: 2.5,
  jpegQuality: 80,
  ...extra,
});

describe('studio segmenter: accuracy on synthetic photos with exact ground truth', () => {
  const cases: Array<[string, SceneSpec]> = [
    ['mug (handle hole) on white', scene(mug, BACKDROPS.white, { shadow: { u: 0.44, v: 0.785, ru: 0.26, rv: 0.035, strength: 0.3 } })],
    ['mug on light grey', scene(mug, BACKDROPS.lightGrey, { shadow: { u: 0.44, v: 0.785, ru: 0.26, rv: 0.035, strength: 0.3 } })],
    ['bottle with light label on light grey', scene(bottle, BACKDROPS.lightGrey, { shadow: { u: 0.5, v: 0.865, ru: 0.2, rv: 0.03, strength: 0.3 } })],
    ['bottle with light label on white', scene(bottle, BACKDROPS.white, { shadow: { u: 0.5, v: 0.865, ru: 0.2, rv: 0.03, strength: 0.3 } })],
    ['shoe box on off-white', scene(shoeBox, BACKDROPS.offWhite, { shadow: { u: 0.5, v: 0.805, ru: 0.34, rv: 0.04, strength: 0.3 } })],
    ['donut (ring hole) on white', scene(donut, BACKDROPS.white)],
    ['donut on off-white, strong noise', scene(donut, BACKDROPS.offWhite, { noise: 4, jpegQuality: 70 })],
    ['ellipse on light grey', scene(ellipse, BACKDROPS.lightGrey, { shadow: { u: 0.5, v: 0.73, ru: 0.3, rv: 0.04, strength: 0.3 } })],
    ['star on off-white, no shadow', { ...scene(star, BACKDROPS.offWhite), shadow: undefined }],
  ];
  const scores: number[] = [];

  it.each(cases)('%s: IoU ≥ 0.95', async (_name, spec) => {
    const s = await renderScene(spec);
    const cut = await segmentPhoto(s.jpeg);
    expect([cut.width, cut.height]).toEqual([s.width, s.height]);
    const score = iou(cut.rgba, s.mask);
    scores.push(score);
    expect(score).toBeGreaterThanOrEqual(0.95);
  });

  it('averages IoU ≥ 0.97 over all cases', () => {
    expect(scores).toHaveLength(cases.length);
    expect(scores.reduce((a, b) => a + b, 0) / scores.length).toBeGreaterThanOrEqual(0.97);
  });
});

describe('studio segmenter: decided by colour, not topology', () => {
  it('keeps a light label inside the product and drops the enclosed handle hole and the floor shadow', async () => {
    const s = await renderScene(scene(bottle, BACKDROPS.lightGrey, { shadow: { u: 0.5, v: 0.88, ru: 0.25, rv: 0.04, strength: 0.3 } }));
    const cut = await segmentPhoto(s.jpeg);
    const share = (u0: number, v0: number, u1: number, v1: number, fg: boolean): number => {
      let ok = 0,
        all = 0;
      for (let y = Math.round(v0 * S); y < Math.round(v1 * S); y++)
        for (let x = Math.round(u0 * S); x < Math.round(u1 * S); x++) {
          all++;
          if (cut.rgba[(y * S + x) * 4 + 3]! >= 128 === fg) ok++;
        }
      return ok / all;
    };
    expect(share(0.41, 0.52, 0.59, 0.7, true)).toBeGreaterThanOrEqual(0.999); // the cream label
    expect(share(0.2, 0.87, 0.8, 0.95, false)).toBeGreaterThanOrEqual(0.999); // the floor shadow

    const m = await renderScene(scene(mug, BACKDROPS.white));
    const mc = await segmentPhoto(m.jpeg);
    // Inside the handle: centre (0.6, 0.52), inner radius 0.085.
    let hole = 0,
      holeBg = 0;
    for (let y = 0; y < S; y++)
      for (let x = 0; x < S; x++) {
        const d = Math.hypot(x / S - 0.6, y / S - 0.52);
        if (x / S > 0.625 && d < 0.07) {
          hole++;
          if (mc.rgba[(y * S + x) * 4 + 3]! < 128) holeBg++;
        }
      }
    expect(hole).toBeGreaterThan(100);
    expect(holeBg / hole).toBeGreaterThanOrEqual(0.999);
  });

  it('removes stray specks on the backdrop', async () => {
    const specks: Shape = (u, v) => {
      for (const [su, sv] of [
        [0.1, 0.1],
        [0.9, 0.15],
        [0.15, 0.9],
        [0.85, 0.88],
        [0.5, 0.08],
      ] as const) {
        if (Math.hypot(u - su, v - sv) < 0.006) return [40, 40, 40];
      }
      return null;
    };
    const withSpecks: Shape = (u, v) => mug(u, v) ?? specks(u, v);
    const s = await renderScene(scene(withSpecks, BACKDROPS.white));
    const truth = await renderScene(scene(mug, BACKDROPS.white));
    const cut = await segmentPhoto(s.jpeg);
    expect(iou(cut.rgba, truth.mask)).toBeGreaterThanOrEqual(0.97);
    for (const [su, sv] of [
      [0.1, 0.1],
      [0.9, 0.15],
      [0.15, 0.9],
    ]) {
      expect(cut.rgba[(Math.round(sv! * S) * S + Math.round(su! * S)) * 4 + 3]).toBe(0);
    }
  });

  it('writes soft edges: some alpha values between 0 and 255 along the outline', async () => {
    const s = await renderScene(scene(ellipse, BACKDROPS.lightGrey));
    const cut = await segmentPhoto(s.jpeg);
    let partial = 0;
    for (let i = 0; i < S * S; i++) if (cut.rgba[i * 4 + 3]! > 0 && cut.rgba[i * 4 + 3]! < 255) partial++;
    expect(partial).toBeGreaterThan(200);
  });
});

describe('studio segmenter: refuses what it cannot cut', () => {
  it('fails with a non-retryable SEGMENT_FAILED on a non-uniform border', async () => {
    const W = 400,
      H = 300;
    const rgb = Buffer.alloc(W * H * 3);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = (y * W + x) * 3;
        rgb[i] = (x * 7) % 256;
        rgb[i + 1] = (y * 5 + x) % 256;
        rgb[i + 2] = ((x >> 4) * 60) % 256;
      }
    const jpeg = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .jpeg()
      .toBuffer();
    await expectJobkitError(segmentPhoto(jpeg), 'SEGMENT_FAILED', false, /background not uniform.*AI segmenter/);
  });

  it('fails on a two-tone backdrop (half dark, half light)', async () => {
    const W = 400,
      H = 300;
    const rgb = Buffer.alloc(W * H * 3);
    for (let i = 0; i < W * H; i++) rgb.fill(i % W < W / 2 ? 60 : 235, i * 3, i * 3 + 3);
    const jpeg = await sharp(rgb, { raw: { width: W, height: H, channels: 3 } })
      .jpeg()
      .toBuffer();
    await expectJobkitError(segmentPhoto(jpeg), 'SEGMENT_FAILED', false, /background not uniform/);
  });

  it('fails (not a blank cutout) when there is no product', async () => {
    const jpeg = await sharp({ create: { width: 300, height: 300, channels: 3, background: '#f4f4f4' } })
      .jpeg()
      .toBuffer();
    await expectJobkitError(segmentPhoto(jpeg), 'SEGMENT_FAILED', false, /no product/);
  });

  it.each([
    ['not an image', async () => Buffer.from('this is not an image at all')],
    ['a zero-size file', async () => Buffer.alloc(0)],
    [
      'a truncated JPEG',
      async () => {
        const j = (await renderScene(scene(mug, BACKDROPS.white))).jpeg;
        return j.subarray(0, Math.floor(j.length / 2));
      },
    ],
    [
      'an animated GIF',
      async () => {
        const frame = (c: string) =>
          sharp({ create: { width: 64, height: 64, channels: 3, background: c } })
            .png()
            .toBuffer();
        const gif = await sharp([await frame('#fff'), await frame('#f00')], { join: { animated: true } })
          .gif()
          .toBuffer();
        expect((await sharp(gif).metadata()).pages).toBe(2);
        return gif;
      },
    ],
    [
      'over 50 MP',
      async () =>
        sharp({ create: { width: 8000, height: 6400, channels: 3, background: '#fff' } })
          .jpeg()
          .toBuffer(),
    ],
    [
      'a 10×10 image',
      async () =>
        sharp({ create: { width: 10, height: 10, channels: 3, background: '#fff' } })
          .png()
          .toBuffer(),
    ],
  ])('rejects %s with a non-retryable INVALID_INPUT naming the field', async (_name, make) => {
    const bytes = await make();
    const err = await expectJobkitError(
      createStudioSegmenter().segment({ sku: 'SKU-1', sha256: SHA, original: source(bytes) }, providerCtx()),
      'INVALID_INPUT',
      false,
      /^original: /,
    );
    expect(err.details).toMatchObject({ field: 'original' });
  });
});

describe('studio segmenter: input normalisation', () => {
  const base = renderScene(scene(bottle, BACKDROPS.lightGrey));
  const variants: Array<[string, (jpeg: Buffer) => Promise<Buffer>]> = [
    ['CMYK JPEG', (j) => sharp(j).toColourspace('cmyk').jpeg({ quality: 92 }).toBuffer()],
    ['16-bit PNG', (j) => sharp(j).toColourspace('rgb16').png().toBuffer()],
    ['palette PNG', (j) => sharp(j).png({ palette: true, colours: 256, dither: 0 }).toBuffer()],
    ['PNG with an alpha channel', (j) => sharp(j).ensureAlpha().png().toBuffer()],
    ['WebP', (j) => sharp(j).webp({ quality: 90 }).toBuffer()],
  ];
  it.each(variants)('%s segments like the sRGB original', async (_name, convert) => {
    const s = await base;
    const cut = await segmentPhoto(await convert(s.jpeg));
    expect(iou(cut.rgba, s.mask)).toBeGreaterThanOrEqual(0.95);
  });

  it('greyscale input is expanded to RGB and segmented', async () => {
    const s = await renderScene(scene(ellipse, BACKDROPS.white));
    const grey = await sharp(s.jpeg).toColourspace('b-w').png().toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const cut = await segmentPhoto(grey);
    expect(iou(cut.rgba, s.mask)).toBeGreaterThanOrEqual(0.95);
  });

  it('applies EXIF orientation before cutting', async () => {
    const s = await renderScene({ ...scene(shoeBox, BACKDROPS.offWhite), width: 480, height: 360 });
    // Stored rotated 90° counter-clockwise with orientation 6 (display = rotate 90° clockwise).
    const stored = await sharp(s.jpeg).rotate(-90).withMetadata({ orientation: 6 }).jpeg({ quality: 90 }).toBuffer();
    const meta = await sharp(stored).metadata();
    expect([meta.width, meta.height, meta.orientation]).toEqual([360, 480, 6]);
    const cut = await segmentPhoto(stored);
    expect([cut.width, cut.height]).toEqual([480, 360]);
    expect(iou(cut.rgba, s.mask)).toBeGreaterThanOrEqual(0.95);
  });

  it('keeps the transparency of an already cut-out PNG', async () => {
    const s = await renderScene(scene(star, BACKDROPS.white, { noise: 0 }));
    const { data } = await sharp(s.jpeg).raw().toBuffer({ resolveWithObject: true });
    const rgba = Buffer.alloc(S * S * 4);
    for (let i = 0; i < S * S; i++) {
      data.copy(rgba, i * 4, i * 3, i * 3 + 3);
      rgba[i * 4 + 3] = s.mask[i] ? 255 : 0;
    }
    const png = await sharp(rgba, { raw: { width: S, height: S, channels: 4 } })
      .png()
      .toBuffer();
    const cut = await segmentPhoto(png);
    expect(iou(cut.rgba, s.mask)).toBeGreaterThanOrEqual(0.98);
  });
});

describe('createStudioSegmenter (Segmenter port)', () => {
  it('returns an RGBA PNG cutout at the photo size, cost 0', async () => {
    const s = await renderScene(scene(donut, BACKDROPS.white));
    const seg = createStudioSegmenter();
    expect(seg.name).toBe('sharp-studio');
    const res = await seg.segment({ sku: 'SKU-1', sha256: SHA, original: source(s.jpeg) }, providerCtx());
    if (!('cutout' in res)) throw new Error('expected a result');
    expect(res.costUsd).toBe(0);
    const meta = await sharp(res.cutout).metadata();
    expect([meta.format, meta.channels, meta.width, meta.height]).toEqual(['png', 4, S, S]);
    const png = await decodePng(res.cutout);
    expect(iou(png.data, s.mask)).toBeGreaterThanOrEqual(0.95);
  });

  it('honours an aborted signal with CANCELLED', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectJobkitError(
      createStudioSegmenter().segment({ sku: 'SKU-1', sha256: SHA, original: source(Buffer.alloc(1)) }, providerCtx(ac.signal)),
      'CANCELLED',
      true,
    );
  });

  it('validates its options', () => {
    expect(() => createStudioSegmenter({ threshold: -1 })).toThrow(/threshold/);
    expect(() => createStudioSegmenter({ shadowTolerance: 500 })).toThrow(/shadowTolerance/);
  });
});

describe('example server samples', () => {
  it.each(SAMPLE_PHOTOS.map((p) => [p.sku, p] as const))('%s (committed JPEG) segments cleanly: IoU ≥ 0.97', async (sku, sample) => {
    const file = fileURLToPath(new URL(`../../../examples/express-server/samples/${sku}.jpg`, import.meta.url));
    const bytes = await readFile(file);
    expect(bytes.length).toBeLessThanOrEqual(120 * 1024);
    const truth = await renderScene(sample.scene);
    const cut = await segmentPhoto(bytes);
    expect(iou(cut.rgba, truth.mask)).toBeGreaterThanOrEqual(0.97);
  });
});
