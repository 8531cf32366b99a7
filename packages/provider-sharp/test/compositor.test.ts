import sharp from 'sharp';
import { tmpdir } from 'node:os';
import {
  createJobService,
  createLocalStorefront,
  createMemoryJobStore,
  createMemoryObjectStore,
  createThemeRegistry,
  createWorker,
  keys,
  silentLogger,
  type CompositeOutput,
  type ThemeInput,
} from 'jobkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { createImagePool, createSharpBackgroundGenerator, createSharpCompositor, createSharpProviders, placeProduct, sharedImagePool } from '../src/index.js';
import { expectJobkitError, providerCtx, SHA, source } from './fixtures/helpers.js';

const photo = (theme: string) => ({ sku: 'SKU-1', sha256: SHA, theme });
const ctx = (signal: AbortSignal = new AbortController().signal) => ({ signal, logger: silentLogger });

/** A 600×400 cutout: an orange rounded box (300×200 at 150,100) with a blue stripe, soft 1 px edge. */
const CW = 600,
  CH = 400;
const PRODUCT = { x: 150, y: 100, w: 300, h: 200 };
async function makeCutout(): Promise<Buffer> {
  const rgba = Buffer.alloc(CW * CH * 4);
  for (let y = 0; y < CH; y++)
    for (let x = 0; x < CW; x++) {
      const inside = x >= PRODUCT.x && x < PRODUCT.x + PRODUCT.w && y >= PRODUCT.y && y < PRODUCT.y + PRODUCT.h;
      if (!inside) continue;
      const edge = x === PRODUCT.x || y === PRODUCT.y || x === PRODUCT.x + PRODUCT.w - 1 || y === PRODUCT.y + PRODUCT.h - 1;
      const stripe = y >= 180 && y < 220;
      const i = (y * CW + x) * 4;
      rgba[i] = stripe ? 30 : 230;
      rgba[i + 1] = stripe ? 70 : 120;
      rgba[i + 2] = stripe ? 200 : 40;
      rgba[i + 3] = edge ? 128 : 255;
    }
  return sharp(rgba, { raw: { width: CW, height: CH, channels: 4 } })
    .png()
    .toBuffer();
}

async function backgroundsFor(theme: string, size: { width: number; height: number }, count = 2, themes = createThemeRegistry()): Promise<Buffer[]> {
  const res = await createSharpBackgroundGenerator({ themes }).generate(
    { ...photo(theme), count, ...size, cutout: source(Buffer.alloc(0)) },
    providerCtx(undefined, theme),
  );
  if (!('backgrounds' in res)) throw new Error('expected a result');
  return res.backgrounds;
}

async function raw(o: CompositeOutput) {
  const { data, info } = await sharp(o.bytes).raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}

async function waitFor(cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not reached');
    await new Promise((r) => setTimeout(r, 5));
  }
}

let cutout: Buffer;
beforeAll(async () => {
  cutout = await makeCutout();
});

describe('sharp compositor: outputs', () => {
  it('writes masters and thumbnails by default, derivatives only in the formats asked for', async () => {
    const aspects = [
      { id: '1x1', width: 512, height: 512 },
      { id: '4x5', width: 400, height: 500 },
    ];
    const c = createSharpCompositor({ aspects });
    const bgs = await backgroundsFor('studio', c.backgroundSize());
    const { outputs } = await c.composite({ photo: photo('studio'), cutout, backgrounds: bgs }, ctx());
    expect(outputs.map((o) => o.role).sort()).toEqual([...Array(4).fill('master'), ...Array(4).fill('thumbnail')]);
    expect(c.plan!(photo('studio'))).toHaveLength(8);
    const webp = createSharpCompositor({ aspects, derivatives: { formats: ['webp'] } });
    const r = await webp.composite({ photo: photo('studio'), cutout, backgrounds: bgs }, ctx());
    const derivatives = r.outputs.filter((o) => o.role === 'derivative');
    expect(derivatives.map((o) => o.key.slice(o.key.lastIndexOf('_') + 1)).sort()).toEqual([...Array(4).fill('hero.webp'), ...Array(4).fill('pdp.webp')]);
    expect(derivatives.every((o) => o.contentType === 'image/webp' && Buffer.isBuffer(o.bytes))).toBe(true);
  });

  it('produces masters, thumbnails and hero/pdp derivatives (jpg, webp, avif) for every aspect and variant', { timeout: 120_000 }, async () => {
    expect(createSharpCompositor().variants).toBe(2);
    expect(createSharpCompositor().backgroundSize()).toEqual({ width: 2560, height: 2048 });
    // Every derivative format; half-size canvases keep the AVIF encodes affordable in a test.
    const compositor = createSharpCompositor({
      aspects: [
        { id: '1x1', width: 1024, height: 1024 },
        { id: '4x5', width: 800, height: 1000 },
        { id: '16x9', width: 2560, height: 1440 },
      ],
      derivatives: { formats: ['jpg', 'webp', 'avif'] },
    });
    const bgs = await backgroundsFor('studio', compositor.backgroundSize());
    const { outputs } = await compositor.composite({ photo: photo('studio'), cutout, backgrounds: bgs }, ctx());
    const p = photo('studio');
    const expected = new Map<string, { role: string; w: number; h: number; type: string }>();
    for (const [aspect, w, h] of [
      ['1x1', 1024, 1024],
      ['4x5', 800, 1000],
      ['16x9', 2560, 1440],
    ] as const) {
      for (const v of [1, 2]) {
        expected.set(keys.composite(p, aspect, v), { role: 'master', w, h, type: 'image/jpeg' });
        const fit = (box: number) => {
          const s = Math.min(1, box / Math.max(w, h));
          return [Math.round(w * s), Math.round(h * s)] as const;
        };
        const [tw, th] = fit(400);
        expected.set(keys.thumbnail(p, aspect, v), { role: 'thumbnail', w: tw, h: th, type: 'image/jpeg' });
        for (const [size, box] of [
          ['hero', 2000],
          ['pdp', 1200],
        ] as const) {
          const [dw, dh] = fit(box);
          for (const [f, type] of [
            ['jpg', 'image/jpeg'],
            ['webp', 'image/webp'],
            ['avif', 'image/avif'],
          ] as const) {
            expected.set(keys.derivative(p, aspect, v, size, f), { role: 'derivative', w: dw, h: dh, type });
          }
        }
      }
    }
    expect(new Set(outputs.map((o) => o.key))).toEqual(new Set(expected.keys()));
    expect(outputs).toHaveLength(expected.size);
    for (const o of outputs) {
      const e = expected.get(o.key)!;
      expect([o.role, o.width, o.height, o.contentType], o.key).toEqual([e.role, e.w, e.h, e.type]);
      const m = await sharp(o.bytes).metadata();
      expect([m.width, m.height], o.key).toEqual([e.w, e.h]);
      // No metadata leaves: no EXIF / XMP / ICC, and no chroma subsampling on JPEG masters.
      expect(m.exif, o.key).toBeUndefined();
      expect(m.xmp, o.key).toBeUndefined();
      expect(m.icc, o.key).toBeUndefined();
      if (o.role === 'master') expect(m.chromaSubsampling).toBe('4:4:4');
    }
  });

  it('turns derivatives and thumbnails off, and honours custom aspects and sizes', async () => {
    const none = createSharpCompositor({ derivatives: false, thumbnails: false, aspects: [{ id: '3x2', width: 600, height: 400 }] });
    expect(none.backgroundSize()).toEqual({ width: 600, height: 400 });
    const bgs = await backgroundsFor('warm', none.backgroundSize());
    const r1 = await none.composite({ photo: photo('warm'), cutout, backgrounds: bgs }, ctx());
    expect(r1.outputs.map((o) => o.role)).toEqual(['master', 'master']);
    const custom = createSharpCompositor({
      aspects: [{ id: '1x1', width: 512, height: 512 }],
      derivatives: { sizes: [{ id: 'mini', width: 100, height: 100 }], formats: ['webp'] },
    });
    const r2 = await custom.composite({ photo: photo('warm'), cutout, backgrounds: bgs.slice(0, 1) }, ctx());
    expect(r2.outputs.map((o) => o.key).sort()).toEqual(
      [keys.composite(photo('warm'), '1x1', 1), keys.derivative(photo('warm'), '1x1', 1, 'mini', 'webp'), keys.thumbnail(photo('warm'), '1x1', 1)].sort(),
    );
  });

  it('plan() lists exactly the keys and roles composite() writes', async () => {
    const c = createSharpCompositor({
      aspects: [
        { id: '1x1', width: 256, height: 256 },
        { id: '4x5', width: 200, height: 250 },
      ],
      derivatives: { sizes: [{ id: 'pdp', width: 120, height: 120 }], formats: ['jpg', 'webp'] },
    });
    const bgs = await backgroundsFor('studio', c.backgroundSize());
    const { outputs } = await c.composite({ photo: photo('studio'), cutout, backgrounds: bgs.slice(0, c.variants) }, ctx());
    const written = outputs.map((o) => `${o.role} ${o.aspect} ${o.variant} ${o.key}`).sort();
    const planned = c.plan!(photo('studio'))
      .map((o) => `${o.role} ${o.aspect} ${o.variant} ${o.key}`)
      .sort();
    expect(planned).toEqual(written);
    expect(planned).toHaveLength(2 * 2 * (1 + 1 + 2));
  });

  it('validates its options', () => {
    expect(() => createSharpCompositor({ aspects: [{ id: 'square', width: 10, height: 10 }] })).toThrow(/aspects\[0\]\.id/);
    expect(() => createSharpCompositor({ quality: 0 })).toThrow(/quality/);
    expect(() => createSharpCompositor({ derivatives: { formats: ['gif' as never] } })).toThrow(/formats/);
  });
});

describe('sharp compositor: pixels', () => {
  it('default theme: pure white background, product fills ≥ 0.85 of the frame, no shadow, longest side ≥ 1000 px', { timeout: 90_000 }, async () => {
    const compositor = createSharpCompositor({ derivatives: false, thumbnails: false });
    const bgs = await backgroundsFor('default', compositor.backgroundSize());
    const { outputs } = await compositor.composite({ photo: photo('default'), cutout, backgrounds: bgs }, ctx());
    expect(outputs).toHaveLength(6);
    const sizes = { '1x1': [2048, 2048], '4x5': [1600, 2000], '16x9': [2560, 1440] } as Record<string, number[]>;
    for (const o of outputs) {
      const { data, width, height } = await raw(o);
      expect([width, height], o.key).toEqual(sizes[o.aspect]);
      expect(Math.max(width, height)).toBeGreaterThanOrEqual(1000);
      let x0 = width,
        y0 = height,
        x1 = -1,
        y1 = -1;
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          const i = (y * width + x) * 3;
          if (data[i]! < 250 || data[i + 1]! < 250 || data[i + 2]! < 250) {
            if (x < x0) x0 = x;
            if (x > x1) x1 = x;
            if (y < y0) y0 = y;
            if (y > y1) y1 = y;
          }
        }
      const fill = Math.max((x1 - x0 + 1) / width, (y1 - y0 + 1) / height);
      expect(fill, o.key).toBeGreaterThanOrEqual(0.85);
      expect(fill, o.key).toBeLessThanOrEqual(0.9);
      // Away from the product (3 px margin for JPEG ringing) every pixel is exactly 255,255,255.
      let nonWhite = 0;
      for (let y = 0; y < height; y++)
        for (let x = 0; x < width; x++) {
          if (x >= x0 - 8 && x <= x1 + 8 && y >= y0 - 8 && y <= y1 + 8) continue;
          const i = (y * width + x) * 3;
          if (data[i] !== 255 || data[i + 1] !== 255 || data[i + 2] !== 255) nonWhite++;
        }
      expect(nonWhite, o.key).toBe(0);
    }
  });

  it("keeps the product's own pixels (small colour difference inside the mask)", async () => {
    const compositor = createSharpCompositor({ derivatives: false, thumbnails: false, aspects: [{ id: '1x1', width: 1024, height: 1024 }] });
    const themes = createThemeRegistry();
    const bgs = await backgroundsFor('slate', compositor.backgroundSize());
    const { outputs } = await compositor.composite({ photo: photo('slate'), cutout, backgrounds: bgs }, ctx());
    const box = placeProduct({ width: PRODUCT.w, height: PRODUCT.h }, { width: 1024, height: 1024 }, themes.get('slate').layout);
    for (const o of outputs) {
      const { data, width } = await raw(o);
      let diff = 0,
        n = 0;
      for (let y = box.y + 4; y < box.y + box.height - 4; y++)
        for (let x = box.x + 4; x < box.x + box.width - 4; x++) {
          // Map back to the cutout and skip rows near the stripe boundary (resampling blends them).
          const cy = PRODUCT.y + ((y - box.y + 0.5) * PRODUCT.h) / box.height;
          if (Math.abs(cy - 180) < 3 || Math.abs(cy - 220) < 3) continue;
          const stripe = cy >= 180 && cy < 220;
          const want = stripe ? [30, 70, 200] : [230, 120, 40];
          const i = (y * width + x) * 3;
          diff += Math.abs(data[i]! - want[0]!) + Math.abs(data[i + 1]! - want[1]!) + Math.abs(data[i + 2]! - want[2]!);
          n++;
        }
      expect(n).toBeGreaterThan(10_000);
      expect(diff / n / 3).toBeLessThan(2.5);
    }
  });

  it('bottom-aligns per theme layout and draws a shadow whose offset really applies', async () => {
    const layout = (offsetX: number): ThemeInput => ({
      name: offsetX > 0 ? 'right' : 'left',
      label: 'test',
      prompt: 'test',
      recipe: { kind: 'solid', color: [200, 200, 200] },
      layout: { fill: 0.5, align: 'bottom', bottomMargin: 0.1, vignette: 0, variantJitter: 0, shadow: { opacity: 0.6, blurPx: 16, offsetX, offsetY: 0 } },
    });
    const themes = createThemeRegistry([layout(60), layout(-60)]);
    const compositor = createSharpCompositor({ themes, derivatives: false, thumbnails: false, aspects: [{ id: '1x1', width: 1024, height: 1024 }] });
    const shadowSide = async (theme: string) => {
      const bgs = await backgroundsFor(theme, compositor.backgroundSize(), 1, themes);
      const [o] = (await compositor.composite({ photo: photo(theme), cutout, backgrounds: bgs }, ctx())).outputs;
      const { data } = await raw(o!);
      const box = placeProduct({ width: PRODUCT.w, height: PRODUCT.h }, { width: 1024, height: 1024 }, themes.get(theme).layout);
      expect(box.y + box.height).toBe(Math.round(1024 * 0.9));
      const y = box.y + Math.round(box.height * 0.8);
      const lum = (x: number) => data[(y * 1024 + x) * 3]!;
      return { left: lum(box.x - 20), right: lum(box.x + box.width + 20) };
    };
    const r = await shadowSide('right');
    const l = await shadowSide('left');
    expect(r.right).toBeLessThan(r.left - 15); // shadow cast to the right
    expect(l.left).toBeLessThan(l.right - 15); // and to the left
  });
});

describe('sharp compositor: errors and cancellation', () => {
  it('unknown theme → INVALID_INPUT; bad sku → INVALID_INPUT; no backgrounds → INVALID_INPUT', async () => {
    const c = createSharpCompositor({ derivatives: false });
    await expectJobkitError(
      c.composite({ photo: photo('neon'), cutout, backgrounds: [Buffer.alloc(1)] }, ctx()),
      'INVALID_INPUT',
      false,
      /known themes: default, studio, warm, slate/,
    );
    await expectJobkitError(
      c.composite({ photo: { ...photo('default'), sku: '../etc' }, cutout, backgrounds: [Buffer.alloc(1)] }, ctx()),
      'INVALID_INPUT',
      false,
      /sku/,
    );
    await expectJobkitError(c.composite({ photo: photo('default'), cutout, backgrounds: [] }, ctx()), 'INVALID_INPUT', false, /backgrounds/);
  });

  it('a broken or fully transparent cutout, or a broken background → non-retryable COMPOSITE_FAILED', async () => {
    const c = createSharpCompositor({ derivatives: false });
    const bg = (await backgroundsFor('default', { width: 64, height: 64 }, 1))[0]!;
    await expectJobkitError(
      c.composite({ photo: photo('default'), cutout: Buffer.from('nope'), backgrounds: [bg] }, ctx()),
      'COMPOSITE_FAILED',
      false,
      /cutout/,
    );
    const clear = await sharp({ create: { width: 50, height: 50, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .png()
      .toBuffer();
    await expectJobkitError(c.composite({ photo: photo('default'), cutout: clear, backgrounds: [bg] }, ctx()), 'COMPOSITE_FAILED', false, /transparent/);
    await expectJobkitError(
      c.composite({ photo: photo('default'), cutout, backgrounds: [bg.subarray(0, 40)] }, ctx()),
      'COMPOSITE_FAILED',
      false,
      /backgrounds\[0\]/,
    );
  });

  it('an abort mid-job cancels it (CANCELLED, retryable) and frees its thread for the next job', async () => {
    const pool = createImagePool({ threads: 1 });
    try {
      const c = createSharpCompositor({ pool });
      const bgs = await backgroundsFor('studio', c.backgroundSize(), 2);
      await c.composite({ photo: photo('studio'), cutout, backgrounds: bgs }, ctx()); // starts the thread
      const [thread] = pool.threadIds();
      const ac = new AbortController();
      const job = c.composite({ photo: photo('studio'), cutout, backgrounds: bgs }, ctx(ac.signal));
      await waitFor(() => pool.stats().running === 1);
      ac.abort(new Error('worker stopping'));
      await expectJobkitError(job, 'CANCELLED', true);
      expect(pool.stats()).toMatchObject({ running: 0, inUse: 0 });
      const next = await c.composite({ photo: photo('studio'), cutout, backgrounds: bgs }, ctx());
      expect(next.outputs).toHaveLength(12);
      expect(pool.threadIds()).not.toContain(thread); // the cancelled job's thread was ended and replaced
    } finally {
      await pool.close();
    }
  });

  it('does not start a job whose signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectJobkitError(
      createSharpCompositor().composite({ photo: photo('default'), cutout, backgrounds: [Buffer.alloc(1)] }, ctx(ac.signal)),
      'CANCELLED',
      true,
    );
  });
});

describe('createSharpProviders', () => {
  it('wires the providers to one theme registry and one image pool, and spreads into createWorker', async () => {
    const p = createSharpProviders({ compositor: { derivatives: false } });
    expect(p.themes.names()).toEqual(['default', 'studio', 'warm', 'slate']);
    expect([p.segmenter.name, p.backgrounds.name, p.compositor.name]).toEqual(['sharp-studio', 'sharp-themes', 'sharp']);
    expect(p.backgroundGenerator).toBe(p.backgrounds); // the deprecated name still works
    expect(p.pool).toBe(sharedImagePool());
    const own = createSharpProviders({ threads: 1, maxPixels: 4_000_000 });
    expect([own.pool.threads, own.pool.budget.capacity]).toEqual([1, 4_000_000]);
    // Every provider createWorker needs comes from the spread (it validates they are present).
    const service = createJobService({ store: createMemoryJobStore() });
    const worker = createWorker({ service, objects: createMemoryObjectStore(), storefront: createLocalStorefront({ dir: tmpdir() }), ...p });
    expect(worker.running).toBe(false);
  });
});
