import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createThemeRegistry, isPending } from 'jobkit';
import { closestAspectRatio, createReplicateBackgroundGenerator } from '../src/index.js';
import { type FakeReplicate, startFakeReplicate } from './support/fake-replicate.js';
import { BACKGROUND_PNG, clientOptions, expectJobkitError, fluxModel, localImage, makeContext, publicImage, startObjectHost } from './support/helpers.js';

const bgReq = (over: Partial<{ theme: string; count: number; width: number; height: number }> = {}) => ({
  sku: 'SKU-1',
  sha256: 'f'.repeat(64),
  theme: 'studio',
  count: 3,
  width: 2000,
  height: 2000,
  cutout: localImage(Buffer.from('png')),
  ...over,
});

describe('replicate background generator', () => {
  let fake: FakeReplicate;
  beforeEach(async () => {
    fake = await startFakeReplicate();
    fake.addModel(fluxModel({ durationMs: 60 }));
  });
  afterEach(async () => {
    await fake.close();
  });

  it('runs the official model by name with the theme prompt, returns count images and the per-image cost', async () => {
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), pollInitialMs: 20 });
    const result = await gen.generate(bgReq({ width: 1600, height: 2000 }), makeContext().ctx);
    if (isPending(result)) throw new Error('unexpected pending');
    expect(result.backgrounds).toHaveLength(3);
    expect(result.backgrounds.every((b) => b.equals(BACKGROUND_PNG))).toBe(true);
    // 3 images × $0.003
    expect(result.costUsd).toBeCloseTo(0.009, 9);
    expect(fake.count('POST', /^\/v1\/models\/black-forest-labs\/flux-schnell\/predictions$/)).toBe(1);
    const [p] = [...fake.predictions.values()];
    const studio = createThemeRegistry().get('studio');
    expect(String(p!.input.prompt).startsWith(studio.prompt)).toBe(true);
    expect(p!.input).toMatchObject({ num_outputs: 3, aspect_ratio: '4:5', output_format: 'jpg' });
  });

  it('uses a custom theme registry, custom input builder and per-second pricing for a versioned model', async () => {
    const version = '1'.repeat(64);
    fake.addModel(fluxModel({ owner: 'acme', name: 'relight', official: false, version, validate: () => null }));
    const host = await startObjectHost();
    try {
      host.put('/masks/SKU-1/x.png', Buffer.from('cutout-bytes'));
      const themes = createThemeRegistry();
      themes.register({ name: 'neon', label: 'Neon', prompt: 'neon lit alley', recipe: { kind: 'solid', color: [0, 0, 0] } });
      const gen = createReplicateBackgroundGenerator({
        ...clientOptions(fake),
        pollInitialMs: 20,
        model: `acme/relight:${version}`,
        themes,
        promptSuffix: '',
        pricing: { kind: 'per-second', usdPerSecond: 0.001 },
        buildInput: async ({ req, prompt, imageInput }) => ({ prompt, image: await imageInput(req.cutout), num_outputs: req.count }),
      });
      const result = await gen.generate(
        { ...bgReq({ theme: 'neon', count: 1 }), cutout: publicImage(`${host.url}/masks/SKU-1/x.png`, Buffer.alloc(0)) },
        makeContext().ctx,
      );
      if (isPending(result)) throw new Error('unexpected pending');
      expect(result.costUsd).toBeCloseTo(0.0006, 9); // predict_time 0.6 s × $0.001
      const [p] = [...fake.predictions.values()];
      expect(p!.input.prompt).toBe('neon lit alley');
      expect(p!.inputKind).toBe('url');
    } finally {
      await host.close();
    }
  });

  it('with topUpPredictions: 0 a short result is a clear non-retryable failure, its cost recorded once', async () => {
    fake.addModel(fluxModel({ owner: 'x', name: 'short', official: true, run: () => ({ outputs: [{ bytes: BACKGROUND_PNG, contentType: 'image/png' }] }) }));
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), pollInitialMs: 20, model: 'x/short', topUpPredictions: 0 });
    const ctx = makeContext();
    const err = await expectJobkitError(gen.generate(bgReq({ count: 2 }), ctx.ctx));
    expect(err.code).toBe('BACKGROUND_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toMatch(/1 of 2 images in 1 predictions/);
    expect(ctx.spends).toEqual([{ ref: `${ctx.refs[0]}#spent`, costUsd: 0.003 }]);
    expect(fake.creates).toBe(1);
    expect(() => createReplicateBackgroundGenerator({ ...clientOptions(fake), topUpPredictions: -1 })).toThrow(/topUpPredictions/);
  });

  it('rejects too many variants and unknown themes before paying anything', async () => {
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake) });
    const tooMany = await expectJobkitError(gen.generate(bgReq({ count: 5 }), makeContext().ctx));
    expect(tooMany.code).toBe('INVALID_INPUT');
    expect(tooMany.message).toMatch(/^count/);
    const unknown = await expectJobkitError(gen.generate(bgReq({ theme: 'nope' }), makeContext().ctx));
    expect(unknown.code).toBe('INVALID_INPUT');
    expect(fake.creates).toBe(0);
  });

  it("a failed generation keeps Replicate's message and is not retryable", async () => {
    fake.addModel(fluxModel({ owner: 'x', name: 'nsfw', run: () => ({ error: 'NSFW content detected. Try running it again, or try a different prompt.' }) }));
    const gen = createReplicateBackgroundGenerator({ ...clientOptions(fake), pollInitialMs: 20, model: 'x/nsfw' });
    const err = await expectJobkitError(gen.generate(bgReq({ count: 1 }), makeContext().ctx));
    expect(err.code).toBe('BACKGROUND_FAILED');
    expect(err.retryable).toBe(false);
    expect(err.message).toContain('NSFW content detected');
  });
});

describe('closestAspectRatio', () => {
  it('maps sizes to the nearest flux ratio', () => {
    expect(closestAspectRatio(2000, 2000)).toBe('1:1');
    expect(closestAspectRatio(1920, 1080)).toBe('16:9');
    expect(closestAspectRatio(1200, 1500)).toBe('4:5');
    expect(closestAspectRatio(1000, 3000)).toBe('9:21');
    expect(() => closestAspectRatio(0, 10)).toThrow(/width/);
  });
});
