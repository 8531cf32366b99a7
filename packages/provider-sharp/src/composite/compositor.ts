/**
 * The sharp Compositor: one cutout × N backgrounds → for every aspect and variant a master JPEG, a 400 px
 * thumbnail and the configured derivatives (hero / pdp in JPEG, WebP, AVIF) under the DESIGN.md §4 keys.
 *
 * Each input is decoded once per job; per aspect the product is resized (and its shadow blurred) once and
 * reused for every variant; per variant the master canvas is composed once in raw RGB and every output is
 * encoded from that raw canvas, never from a re-decoded JPEG.
 */
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import {
  BUILTIN_THEMES,
  JobkitError,
  DERIVATIVE_FORMATS,
  contentTypeForKey,
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
import { compositeFailed, requireInt, throwIfAborted } from '../errors.js';
import { DEFAULT_MAX_PIXELS } from '../image/decode.js';
import { decodeCutout, type DecodedCutout } from './cutout.js';
import { placeProduct, shadowGeometry, type Box } from './layout.js';

export interface AspectSpec {
  /** Key part, e.g. "1x1", "4x5", "16x9". */
  id: string;
  width: number;
  height: number;
}

/** A derivative size: the master scaled to fit inside width × height (never enlarged). */
export interface DerivativeSize {
  /** Key part, [a-z0-9]{1,16}, e.g. "hero", "pdp". */
  id: string;
  width: number;
  height: number;
}

export interface DerivativeOptions {
  sizes?: DerivativeSize[];
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
  /** Thumbnail JPEG quality. Default 82. */
  thumbnailQuality?: number;
  /** 400 px thumbnails (keys.thumbnail). Default true. */
  thumbnails?: boolean;
  /** Derivatives (keys.derivative); false turns them off. Default: hero ≤ 2000 px and pdp 1200×1200 in jpg, webp, avif. */
  derivatives?: DerivativeOptions | false;
  /** Largest cutout accepted, in pixels. Default 50 MP. */
  maxCutoutPixels?: number;
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

const THUMBNAIL_SIZE = 400;
const ASPECT_ID = /^[1-9][0-9]?x[1-9][0-9]?$/;
const SIZE_ID = /^[a-z0-9]{1,16}$/;

interface ResolvedDerivatives {
  sizes: DerivativeSize[];
  formats: DerivativeFormat[];
  quality: Record<DerivativeFormat, number>;
  avifEffort: number;
}

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
    return { id: s.id, width: requireInt(s.width, `derivatives.sizes[${i}].width`, 16, 8192), height: requireInt(s.height, `derivatives.sizes[${i}].height`, 16, 8192) };
  });
  const formats = [...new Set(d?.formats ?? DERIVATIVE_FORMATS)];
  formats.forEach((f, i) => {
    if (!(DERIVATIVE_FORMATS as readonly string[]).includes(f)) throw invalidInput(`derivatives.formats[${i}]`, `must be one of ${DERIVATIVE_FORMATS.join(', ')}`);
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

interface RawImage {
  data: Buffer;
  width: number;
  height: number;
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
            for (const format of derivatives!.formats) planned.push({ key: keys.derivative(photo, aspect, variant, size.id, format), role: 'derivative', aspect, variant });
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

      const cutout = await decodeCutout(req.cutout, maxPixels);
      const backgrounds = await Promise.all(req.backgrounds.map((b, i) => decodeBackground(b, i, maxPixels)));
      const outputs: CompositeOutput[] = [];

      for (const aspect of aspects) {
        throwIfAborted(ctx.signal);
        const canvasSize = { width: aspect.width, height: aspect.height };
        const box = placeProduct(cutout, canvasSize, theme.layout);
        let product: Buffer;
        let shadow: Shadow | null;
        try {
          product = await resizeProduct(cutout, box);
          shadow = theme.layout.shadow ? await renderShadow(product, box, shadowGeometry(theme.layout.shadow, canvasSize)) : null;
        } catch (err) {
          throw asJobkitError(err, `placing the product on ${aspect.id} failed`);
        }

        for (let v = 0; v < backgrounds.length; v++) {
          throwIfAborted(ctx.signal);
          const variant = v + 1;
          const canvas = await coverBackground(backgrounds[v]!, aspect.width, aspect.height).catch((err: unknown) => {
            throw asJobkitError(err, `resizing background ${variant} for ${aspect.id} failed`);
          });
          if (shadow) applyShadow(canvas, shadow);
          blendProduct(canvas, product, box);
          outputs.push(...(await encodeOutputs(canvas, aspect.id, variant)));
        }
      }
      ctx.logger.debug({ theme: theme.name, outputs: outputs.length, ms: Math.round(performance.now() - started) }, 'composited');
      return { outputs };

      async function encodeOutputs(canvas: RawImage, aspect: string, variant: number): Promise<CompositeOutput[]> {
        const raw = { raw: { width: canvas.width, height: canvas.height, channels: 3 as const } };
        const out = (key: string, bytes: Buffer, role: CompositeOutput['role'], width: number, height: number): CompositeOutput => ({
          key, bytes, contentType: contentTypeForKey(key), role, aspect, variant, width, height,
        });
        // Independent encodes of one canvas run concurrently on libuv's pool (both cores busy).
        const jobs: Array<Promise<CompositeOutput[]>> = [];
        jobs.push(
          sharp(canvas.data, raw)
            .jpeg({ quality, mozjpeg: true, chromaSubsampling: '4:4:4' })
            .toBuffer()
            .then((b) => [out(keys.composite(req.photo, aspect, variant), b, 'master', canvas.width, canvas.height)]),
        );
        if (thumbnails) {
          jobs.push(
            sharp(canvas.data, raw)
              .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside' })
              .jpeg({ quality: thumbQuality, mozjpeg: true, chromaSubsampling: '4:4:4' })
              .toBuffer({ resolveWithObject: true })
              .then(({ data, info }) => [out(keys.thumbnail(req.photo, aspect, variant), data, 'thumbnail', info.width, info.height)]),
          );
        }
        for (const size of derivatives?.sizes ?? []) {
          const d = derivatives!;
          jobs.push(
            (async () => {
              throwIfAborted(ctx.signal);
              const resized = await sharp(canvas.data, raw)
                .resize(size.width, size.height, { fit: 'inside', withoutEnlargement: true })
                .raw()
                .toBuffer({ resolveWithObject: true });
              const { width, height } = resized.info;
              const src = (): Sharp => sharp(resized.data, { raw: { width, height, channels: 3 } });
              return Promise.all(
                d.formats.map(async (format) => {
                  throwIfAborted(ctx.signal);
                  const bytes =
                    format === 'jpg'
                      ? await src().jpeg({ quality: d.quality.jpg, mozjpeg: true, chromaSubsampling: '4:4:4' }).toBuffer()
                      : format === 'webp'
                        ? await src().webp({ quality: d.quality.webp, effort: 4 }).toBuffer()
                        : await src().avif({ quality: d.quality.avif, effort: d.avifEffort, chromaSubsampling: '4:4:4' }).toBuffer();
                  return out(keys.derivative(req.photo, aspect, variant, size.id, format), bytes, 'derivative', width, height);
                }),
              );
            })(),
          );
        }
        try {
          return (await Promise.all(jobs)).flat();
        } catch (err) {
          throw asJobkitError(err, `encoding ${aspect} variant ${variant} failed`);
        }
      }
    },
  };
}

/** Keeps JobkitErrors (CANCELLED, INVALID_INPUT, …) as they are; anything else from sharp is COMPOSITE_FAILED. */
function asJobkitError(err: unknown, message: string): Error {
  if (JobkitError.is(err)) return err;
  return compositeFailed(`${message}: ${err instanceof Error ? err.message : String(err)}`, err);
}

async function decodeBackground(bytes: Buffer, index: number, maxPixels: number): Promise<RawImage> {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw compositeFailed(`backgrounds[${index}]: empty file`);
  try {
    const { data, info } = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels })
      .toColourspace('srgb')
      .removeAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return { data, width: info.width, height: info.height };
  } catch (err) {
    throw compositeFailed(`backgrounds[${index}]: not a decodable image (${(err as Error).message})`, err);
  }
}

async function coverBackground(bg: RawImage, width: number, height: number): Promise<RawImage> {
  if (bg.width === width && bg.height === height) return { data: Buffer.from(bg.data), width, height };
  const data = await sharp(bg.data, { raw: { width: bg.width, height: bg.height, channels: 3 } })
    .resize(width, height, { fit: 'cover', position: 'centre' })
    .raw()
    .toBuffer();
  return { data, width, height };
}

async function resizeProduct(cut: DecodedCutout, box: Box): Promise<Buffer> {
  if (cut.width === box.width && cut.height === box.height) return cut.rgba;
  // sharp premultiplies alpha while resampling, so backdrop colour under transparent pixels cannot bleed in.
  return sharp(cut.rgba, { raw: { width: cut.width, height: cut.height, channels: 4 } })
    .resize(box.width, box.height, { fit: 'fill', kernel: 'lanczos3' })
    .raw()
    .toBuffer();
}

interface Shadow {
  /** Blurred, bottom-weighted alpha, one byte per pixel. */
  alpha: Buffer;
  x: number;
  y: number;
  width: number;
  height: number;
  opacity: number;
}

/**
 * Contact shadow: the product's alpha, strongest at its base (where it meets the floor) and fading
 * upwards, blurred and offset. The offset is applied to where the shadow lands on the canvas.
 */
async function renderShadow(product: Buffer, box: Box, g: { sigma: number; dx: number; dy: number; opacity: number }): Promise<Shadow> {
  const m = Math.ceil(g.sigma * 3);
  const width = box.width + 2 * m;
  const height = box.height + 2 * m;
  const src = Buffer.alloc(width * height);
  for (let y = 0; y < box.height; y++) {
    const t = box.height > 1 ? y / (box.height - 1) : 1;
    const weight = 0.35 + 0.65 * t * t;
    const o = (y + m) * width + m;
    for (let x = 0; x < box.width; x++) src[o + x] = Math.round(product[(y * box.width + x) * 4 + 3]! * weight);
  }
  // toColourspace('b-w') keeps the output single-channel (sharp would otherwise widen it to sRGB).
  const { data: alpha, info } = await sharp(src, { raw: { width, height, channels: 1 } })
    .blur(g.sigma)
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw compositeFailed(`shadow: expected 1 channel, got ${info.channels}`);
  return { alpha, x: box.x - m + g.dx, y: box.y - m + g.dy, width, height, opacity: g.opacity };
}

function applyShadow(canvas: RawImage, s: Shadow): void {
  const { data, width: cw, height: ch } = canvas;
  const k = s.opacity / 255;
  for (let y = 0; y < s.height; y++) {
    const cy = s.y + y;
    if (cy < 0 || cy >= ch) continue;
    for (let x = 0; x < s.width; x++) {
      const cx = s.x + x;
      if (cx < 0 || cx >= cw) continue;
      const a = s.alpha[y * s.width + x]!;
      if (a === 0) continue;
      const f = 1 - a * k;
      const i = (cy * cw + cx) * 3;
      data[i] = data[i]! * f;
      data[i + 1] = data[i + 1]! * f;
      data[i + 2] = data[i + 2]! * f;
    }
  }
}

function blendProduct(canvas: RawImage, product: Buffer, box: Box): void {
  const { data, width: cw, height: ch } = canvas;
  for (let y = 0; y < box.height; y++) {
    const cy = box.y + y;
    if (cy < 0 || cy >= ch) continue;
    for (let x = 0; x < box.width; x++) {
      const cx = box.x + x;
      if (cx < 0 || cx >= cw) continue;
      const p = (y * box.width + x) * 4;
      const a = product[p + 3]!;
      if (a === 0) continue;
      const i = (cy * cw + cx) * 3;
      if (a === 255) {
        data[i] = product[p]!;
        data[i + 1] = product[p + 1]!;
        data[i + 2] = product[p + 2]!;
      } else {
        const b = 255 - a;
        data[i] = (product[p]! * a + data[i]! * b + 127) / 255;
        data[i + 1] = (product[p + 1]! * a + data[i + 1]! * b + 127) / 255;
        data[i + 2] = (product[p + 2]! * a + data[i + 2]! * b + 127) / 255;
      }
    }
  }
}
