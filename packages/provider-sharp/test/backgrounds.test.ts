import sharp from 'sharp';
import { BUILTIN_THEMES, createThemeRegistry } from 'jobkit';
import { describe, expect, it } from 'vitest';
import { createImagePool, createSharpBackgroundGenerator } from '../src/index.js';
import { expectJobkitError, providerCtx, SHA, source } from './fixtures/helpers.js';

const req = (theme: string, count = 2, width = 320, height = 240) => ({
  sku: 'SKU-1',
  sha256: SHA,
  theme,
  count,
  width,
  height,
  cutout: source(Buffer.alloc(0)),
});

async function generate(theme: string, count = 2, width = 320, height = 240): Promise<Buffer[]> {
  const res = await createSharpBackgroundGenerator().generate(req(theme, count, width, height), providerCtx());
  if (!('backgrounds' in res)) throw new Error('expected a result');
  expect(res.costUsd).toBe(0);
  return res.backgrounds;
}

describe('sharp background generator', () => {
  it.each(BUILTIN_THEMES.map((t) => t.name))('renders %s: count JPEG variants at the requested size', async (theme) => {
    const bgs = await generate(theme, 3, 320, 240);
    expect(bgs).toHaveLength(3);
    for (const b of bgs) {
      const m = await sharp(b).metadata();
      expect([m.format, m.width, m.height]).toEqual(['jpeg', 320, 240]);
    }
  });

  it('default theme is pure white (255,255,255) on every pixel', async () => {
    for (const b of await generate('default', 2, 256, 200)) {
      const { data } = await sharp(b).raw().toBuffer({ resolveWithObject: true });
      expect(data.every((v) => v === 255)).toBe(true);
    }
  });

  it('renders each recipe procedurally: gradients vary, vignette darkens the corners, variants differ subtly', async () => {
    const stats = async (b: Buffer) => {
      const { data, info } = await sharp(b).raw().toBuffer({ resolveWithObject: true });
      const px = (x: number, y: number) => data[(y * info.width + x) * 3]!;
      return {
        tl: px(2, 2),
        centre: px(info.width >> 1, info.height >> 1),
        left: px(2, info.height >> 1),
        right: px(info.width - 3, info.height >> 1),
        top: px(info.width >> 1, 2),
        bottom: px(info.width >> 1, info.height - 3),
      };
    };
    const [warm1, warm2] = await generate('warm');
    const w = await stats(warm1!);
    expect(w.left - w.right).toBeGreaterThan(10); // 90°: light on the left, darker on the right
    const s = await stats((await generate('slate'))[0]!);
    expect(s.centre - s.tl).toBeGreaterThan(30); // spotlight
    const st = await stats((await generate('studio'))[0]!);
    expect(st.top).not.toBe(st.bottom); // wall vs floor
    expect(st.tl).toBeLessThan(st.centre); // vignette
    // Variant 2 differs from variant 1, but only subtly.
    const a = await sharp(warm1!).raw().toBuffer();
    const b = await sharp(warm2!).raw().toBuffer();
    let diff = 0;
    for (let i = 0; i < a.length; i++) diff += Math.abs(a[i]! - b[i]!);
    const mean = diff / a.length;
    expect(mean).toBeGreaterThan(1);
    expect(mean).toBeLessThan(20);
  });

  it('is deterministic (a retried step renders the same bytes)', async () => {
    // Two generators: two caches, so both really render.
    const [a] = await generate('studio', 1);
    const [b] = await generate('studio', 1);
    expect(a!.equals(b!)).toBe(true);
  });

  it("renders a theme's backgrounds once per generator and hands out copies; a changed theme renders anew", async () => {
    const pool = createImagePool({ threads: 1 });
    try {
      const themes = createThemeRegistry();
      const gen = createSharpBackgroundGenerator({ themes, pool });
      const run = async (theme: string) => {
        const res = await gen.generate(req(theme, 2, 96, 64), providerCtx());
        if (!('backgrounds' in res)) throw new Error('expected a result');
        return res.backgrounds;
      };
      const first = await run('warm');
      expect(pool.stats().completed).toBe(1);
      first[0]!.fill(0); // a caller changing its copy does not change the cache
      const second = await run('warm');
      expect(pool.stats().completed).toBe(1);
      expect(second[0]!.equals(first[1]!)).toBe(false);
      expect((await sharp(second[0]!).stats()).channels[0]!.mean).toBeGreaterThan(100);
      themes.register({
        name: 'warm',
        label: 'Warm',
        prompt: 'warm',
        recipe: { kind: 'solid', color: [10, 20, 30] },
        layout: { vignette: 0, variantJitter: 0 },
      });
      const changed = await run('warm');
      expect(pool.stats().completed).toBe(2);
      const { data } = await sharp(changed[0]!).raw().toBuffer({ resolveWithObject: true });
      expect([data[0], data[1], data[2]]).toEqual([10, 20, 30]);
    } finally {
      await pool.close();
    }
  });

  it('renders custom themes from the registry', async () => {
    const themes = createThemeRegistry();
    themes.register({
      name: 'mint',
      label: 'Mint',
      prompt: 'mint',
      recipe: { kind: 'solid', color: [170, 230, 200] },
      layout: { vignette: 0, variantJitter: 0 },
    });
    const res = await createSharpBackgroundGenerator({ themes }).generate(req('mint', 1, 64, 64), providerCtx());
    if (!('backgrounds' in res)) throw new Error('expected a result');
    const { data } = await sharp(res.backgrounds[0]!).raw().toBuffer({ resolveWithObject: true });
    expect(Math.abs(data[0]! - 170) + Math.abs(data[1]! - 230) + Math.abs(data[2]! - 200)).toBeLessThanOrEqual(3);
  });

  it('unknown theme → INVALID_INPUT listing the known themes', async () => {
    await expectJobkitError(
      createSharpBackgroundGenerator().generate(req('neon'), providerCtx()),
      'INVALID_INPUT',
      false,
      /unknown theme "neon".*default, studio, warm, slate/,
    );
  });

  it('validates count, width and height', async () => {
    const gen = createSharpBackgroundGenerator();
    await expectJobkitError(gen.generate(req('default', 0), providerCtx()), 'INVALID_INPUT', false, /count/);
    await expectJobkitError(gen.generate(req('default', 1, 0, 10), providerCtx()), 'INVALID_INPUT', false, /width/);
    await expectJobkitError(gen.generate(req('default', 1, 64, 1e6), providerCtx()), 'INVALID_INPUT', false, /height/);
  });

  it('stops between variants when aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    await expectJobkitError(createSharpBackgroundGenerator().generate(req('default'), providerCtx(ac.signal)), 'CANCELLED', true);
  });
});
