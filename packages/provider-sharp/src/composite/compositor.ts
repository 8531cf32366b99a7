/**
 * The sharp Compositor: one cutout × N backgrounds → for every aspect and variant a master JPEG, a 400 px
 * thumbnail and, when asked for, derivatives (hero / pdp in JPEG, WebP, AVIF) under the DESIGN.md §4 keys.
 *
 * This module validates and admits the work; the pixels are handled on an image-pool thread
 * (render-composites.ts), so blending and encoding never block the event loop.
 */
import {
  BUILTIN_THEMES,
  DERIVATIVE_FORMATS,
  createThemeRegistry,
  invalidInput,
  keys,
  type CompositeOutput,
  type CompositeRequest,
  type CompositeResult,
  type Compositor,
  type DerivativeFormat,
  type Logger,
  type ThemeRegistry,
} from 'jobkit';
import { requireInt, throwIfAborted } from '../errors.js';
import { DEFAULT_MAX_PIXELS, probePixels } from '../image/decode.js';
import { sharedImagePool, type ImagePool } from '../pool/image-pool.js';
import { asBuffer } from '../pool/wire.js';
import type { AspectSpec, CompositeSettings, CompositeTaskInput, DerivativeSize, ResolvedDerivatives } from './render-composites.js';

export type { AspectSpec, DerivativeSize } from './render-composites.js';

/**
 * Derivatives are opt-in per format: Shopify's CDN resizes and converts every product image by itself
 * (`?width=…&format=webp`), so a Shopify shop needs only the masters. A self-hosted storefront may want
 * ready-made sizes: name the formats, e.g. `{ formats: ['webp'] }`.
 */
export interface DerivativeOptions {
  /** Default: hero ≤ 2000 px and pdp ≤ 1200 px. */
  sizes?: DerivativeSize[];
  /** The formats to write; none by default. AVIF costs several times a JPEG or WebP encode. */
  formats?: DerivativeFormat[];
  quality?: Partial<Record<DerivativeFormat, number>>;
  /** AVIF encoder effort 0..9 (slower = smaller). Default 2. */
  avifEffort?: number;
}

export interface SharpCompositorOptions {
  /** Themes (layout: fill, alignment, shadow). Default: the core's BUILTIN_THEMES. */
  themes?: ThemeRegistry;
  /** Default: 1x1 2048×2048, 4x5 1600×2000, 16x9 2560×1440. */
  aspects?: AspectSpec[];
  /** Background variants per job. Default 2. */
  variants?: number;
  /** Master JPEG quality 1..100. Default 90. */
  quality?: number;
  /**
   * Encode masters with mozjpeg: about a quarter smaller, about six times the CPU. Default false
   * (libjpeg-turbo with optimised Huffman tables): a storefront's CDN re-encodes masters anyway.
   */
  mozjpeg?: boolean;
  /** Thumbnail JPEG quality. Default 82. */
  thumbnailQuality?: number;
  /** 400 px thumbnails (keys.thumbnail). Default true. */
  thumbnails?: boolean;
  /** Derivatives (keys.derivative), opt-in per format. Default: none (false means the same). */
  derivatives?: DerivativeOptions | false;
  /** Largest cutout accepted, in pixels. Default 50 MP. */
  maxCutoutPixels?: number;
  /** Worker threads and pixel budget to run on. Default: the process-wide sharedImagePool(). */
  pool?: ImagePool;
}

export const DEFAULT_ASPECTS: readonly AspectSpec[] = [
  { id: '1x1', width: 2048, height: 2048 },
  { id: '4x5', width: 1600, height: 2000 },
  { id: '16x9', width: 2560, height: 1440 },
];

export const DEFAULT_DERIVATIVE_SIZES: readonly DerivativeSize[] = [
  { id: 'hero', width: 2000, height: 2000 },
  { id: 'pdp', width: 1200, height: 1200 },
];

const ASPECT_ID = /^[1-9][0-9]?x[1-9][0-9]?$/;
const SIZE_ID = /^[a-z0-9]{1,16}$/;

function resolveAspects(list: readonly AspectSpec[]): AspectSpec[] {
  if (!Array.isArray(list) || list.length === 0) throw invalidInput('aspects', 'at least one aspect is required');
  const seen = new Set<string>();
  return list.map((a, i) => {
    if (typeof a?.id !== 'string' || !ASPECT_ID.test(a.id)) throw invalidInput(`aspects[${i}].id`, 'must look like "1x1", "4x5" or "16x9"');
    if (seen.has(a.id)) throw invalidInput(`aspects[${i}].id`, `duplicate aspect ${a.id}`);
    seen.add(a.id);
    return { id: a.id, width: requireInt(a.width, `aspects[${i}].width`, 16, 8192), height: requireInt(a.height, `aspects[${i}].height`, 16, 8192) };
  });
}

function resolveDerivatives(d: DerivativeOptions | false | undefined): ResolvedDerivatives | null {
  if (d === false) return null;
  const sizes = (d?.sizes ?? DEFAULT_DERIVATIVE_SIZES).map((s, i) => {
    if (typeof s?.id !== 'string' || !SIZE_ID.test(s.id)) throw invalidInput(`derivatives.sizes[${i}].id`, 'must match [a-z0-9]{1,16}');
    return {
      id: s.id,
      width: requireInt(s.width, `derivatives.sizes[${i}].width`, 16, 8192),
      height: requireInt(s.height, `derivatives.sizes[${i}].height`, 16, 8192),
    };
  });
  const formats = [...new Set(d?.formats ?? [])];
  formats.forEach((f, i) => {
    if (!(DERIVATIVE_FORMATS as readonly string[]).includes(f))
      throw invalidInput(`derivatives.formats[${i}]`, `must be one of ${DERIVATIVE_FORMATS.join(', ')}`);
  });
  if (sizes.length === 0 || formats.length === 0) return null;
  const q = d?.quality ?? {};
  return {
    sizes,
    formats,
    quality: {
      jpg: requireInt(q.jpg ?? 85, 'derivatives.quality.jpg', 1, 100),
      webp: requireInt(q.webp ?? 82, 'derivatives.quality.webp', 1, 100),
      avif: requireInt(q.avif ?? 55, 'derivatives.quality.avif', 1, 100),
    },
    avifEffort: requireInt(d?.avifEffort ?? 2, 'derivatives.avifEffort', 0, 9),
  };
}

export function createSharpCompositor(options: SharpCompositorOptions = {}): Compositor {
  const themes = options.themes ?? createThemeRegistry(BUILTIN_THEMES);
  const aspects = resolveAspects(options.aspects ?? DEFAULT_ASPECTS);
  const variants = requireInt(options.variants ?? 2, 'variants', 1, 99);
  const quality = requireInt(options.quality ?? 90, 'quality', 1, 100);
  const thumbQuality = requireInt(options.thumbnailQuality ?? 82, 'thumbnailQuality', 1, 100);
  const thumbnails = options.thumbnails ?? true;
  const derivatives = resolveDerivatives(options.derivatives);
  const maxPixels = requireInt(options.maxCutoutPixels ?? DEFAULT_MAX_PIXELS, 'maxCutoutPixels', 1024, 200_000_000);
  const bgSize = { width: Math.max(...aspects.map((a) => a.width)), height: Math.max(...aspects.map((a) => a.height)) };
  const mozjpeg = options.mozjpeg ?? false;
  if (typeof mozjpeg !== 'boolean') throw invalidInput('mozjpeg', 'must be true or false');
  const settings: CompositeSettings = { aspects, quality, mozjpeg, thumbnailQuality: thumbQuality, thumbnails, derivatives, maxPixels };

  return {
    name: 'sharp',
    variants,
    backgroundSize: () => ({ ...bgSize }),
    // The keys composite() writes for `variants` backgrounds, without rendering: lets the worker skip a
    // re-claimed step whose outputs are all stored already.
    plan(photo) {
      const planned: Array<Pick<CompositeOutput, 'key' | 'role' | 'aspect' | 'variant'>> = [];
      for (const { id: aspect } of aspects) {
        for (let variant = 1; variant <= variants; variant++) {
          planned.push({ key: keys.composite(photo, aspect, variant), role: 'master', aspect, variant });
          if (thumbnails) planned.push({ key: keys.thumbnail(photo, aspect, variant), role: 'thumbnail', aspect, variant });
          for (const size of derivatives?.sizes ?? []) {
            for (const format of derivatives!.formats)
              planned.push({ key: keys.derivative(photo, aspect, variant, size.id, format), role: 'derivative', aspect, variant });
          }
        }
      }
      return planned;
    },
    async composite(req: CompositeRequest, ctx: { signal: AbortSignal; logger: Logger }): Promise<CompositeResult> {
      const started = performance.now();
      const theme = themes.get(req.photo.theme); // INVALID_INPUT listing the known themes
      keys.composite(req.photo, aspects[0]!.id, 1); // validates sku / sha256 / theme before any work
      if (!Array.isArray(req.backgrounds) || req.backgrounds.length === 0) throw invalidInput('backgrounds', 'at least one background is required');
      if (req.backgrounds.length > 99) throw invalidInput('backgrounds', 'at most 99 variants');
      throwIfAborted(ctx.signal);
      // Weight: the cutout's pixels. It is decoded whole (RGBA) and dominates; backgrounds and canvases are
      // bounded by the aspect sizes and cost about as much as one camera photo's RGB decode.
      const pixels = await probePixels(req.cutout);
      const input: CompositeTaskInput = { photo: req.photo, theme, settings, cutout: req.cutout, backgrounds: req.backgrounds };
      const outputs = await (options.pool ?? sharedImagePool()).run<CompositeOutput[]>(
        { kind: 'composite', input },
        { pixels, signal: ctx.signal, errorCode: 'COMPOSITE_FAILED', what: 'compositing' },
      );
      for (const o of outputs) o.bytes = asBuffer(o.bytes);
      ctx.logger.debug({ theme: theme.name, outputs: outputs.length, ms: Math.round(performance.now() - started) }, 'composited');
      return { outputs };
    },
  };
}
