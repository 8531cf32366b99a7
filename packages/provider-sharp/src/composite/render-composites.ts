/**
 * The compositor's image work, run on an image-pool thread (compositor.ts admits and dispatches it):
 * one cutout × N backgrounds → for every aspect and variant a master JPEG, a thumbnail and the configured
 * derivatives.
 *
 * Each input is decoded once per job; per aspect the product is resized (and its shadow blurred) once and
 * reused for every variant; per variant the master canvas is composed once in raw RGB and every output is
 * encoded from that raw canvas, never from a re-decoded JPEG.
 */
import sharp from 'sharp';
import type { Sharp } from 'sharp';
import { contentTypeForKey, JobkitError, keys, type CompositeOutput, type DerivativeFormat, type Theme, type ThemedPhotoRef } from 'jobkit';
import { compositeFailed } from '../errors.js';
import { asBuffer, transferable } from '../pool/wire.js';
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

export interface ResolvedDerivatives {
  sizes: DerivativeSize[];
  formats: DerivativeFormat[];
  quality: Record<DerivativeFormat, number>;
  avifEffort: number;
}

/** Everything a composite needs, as plain data (it crosses to a worker thread). */
export interface CompositeSettings {
  aspects: AspectSpec[];
  quality: number;
  thumbnailQuality: number;
  thumbnails: boolean;
  derivatives: ResolvedDerivatives | null;
  maxPixels: number;
}

export interface CompositeTaskInput {
  photo: ThemedPhotoRef;
  theme: Theme;
  settings: CompositeSettings;
  cutout: Uint8Array;
  backgrounds: Uint8Array[];
}

export const THUMBNAIL_SIZE = 400;

interface RawImage {
  data: Buffer;
  width: number;
  height: number;
}

/** Runs on an image-pool thread; the outputs' bytes are moved back to the caller. */
export async function runCompositeTask(input: CompositeTaskInput): Promise<{ value: CompositeOutput[]; transfer: ArrayBuffer[] }> {
  const outputs = await renderComposites(input);
  const moved = outputs.map((o) => ({ ...o, bytes: transferable(o.bytes) as Buffer }));
  return { value: moved, transfer: moved.map((o) => o.bytes.buffer as ArrayBuffer) };
}

export async function renderComposites(input: CompositeTaskInput): Promise<CompositeOutput[]> {
  const { photo, theme, settings } = input;
  const { quality, thumbnailQuality: thumbQuality, thumbnails, derivatives, maxPixels } = settings;
  const cutout = await decodeCutout(asBuffer(input.cutout), maxPixels);
  const backgrounds = await Promise.all(input.backgrounds.map((b, i) => decodeBackground(asBuffer(b), i, maxPixels)));
  const outputs: CompositeOutput[] = [];

  for (const aspect of settings.aspects) {
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
      const variant = v + 1;
      const canvas = await coverBackground(backgrounds[v]!, aspect.width, aspect.height).catch((err: unknown) => {
        throw asJobkitError(err, `resizing background ${variant} for ${aspect.id} failed`);
      });
      if (shadow) applyShadow(canvas, shadow);
      blendProduct(canvas, product, box);
      outputs.push(...(await encodeOutputs(canvas, aspect.id, variant)));
    }
  }
  return outputs;

  async function encodeOutputs(canvas: RawImage, aspect: string, variant: number): Promise<CompositeOutput[]> {
    const raw = { raw: { width: canvas.width, height: canvas.height, channels: 3 as const } };
    const out = (key: string, bytes: Buffer, role: CompositeOutput['role'], width: number, height: number): CompositeOutput => ({
      key, bytes, contentType: contentTypeForKey(key), role, aspect, variant, width, height,
    });
    // Independent encodes of one canvas run concurrently on libuv's pool.
    const jobs: Array<Promise<CompositeOutput[]>> = [];
    jobs.push(
      sharp(canvas.data, raw)
        .jpeg({ quality, mozjpeg: true, chromaSubsampling: '4:4:4' })
        .toBuffer()
        .then((b) => [out(keys.composite(photo, aspect, variant), b, 'master', canvas.width, canvas.height)]),
    );
    if (thumbnails) {
      jobs.push(
        sharp(canvas.data, raw)
          .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside' })
          .jpeg({ quality: thumbQuality, mozjpeg: true, chromaSubsampling: '4:4:4' })
          .toBuffer({ resolveWithObject: true })
          .then(({ data, info }) => [out(keys.thumbnail(photo, aspect, variant), data, 'thumbnail', info.width, info.height)]),
      );
    }
    for (const size of derivatives?.sizes ?? []) {
      const d = derivatives!;
      jobs.push(
        (async () => {
          const resized = await sharp(canvas.data, raw)
            .resize(size.width, size.height, { fit: 'inside', withoutEnlargement: true })
            .raw()
            .toBuffer({ resolveWithObject: true });
          const { width, height } = resized.info;
          const src = (): Sharp => sharp(resized.data, { raw: { width, height, channels: 3 } });
          return Promise.all(
            d.formats.map(async (format) => {
              const bytes =
                format === 'jpg'
                  ? await src().jpeg({ quality: d.quality.jpg, mozjpeg: true, chromaSubsampling: '4:4:4' }).toBuffer()
                  : format === 'webp'
                    ? await src().webp({ quality: d.quality.webp, effort: 4 }).toBuffer()
                    : await src().avif({ quality: d.quality.avif, effort: d.avifEffort, chromaSubsampling: '4:4:4' }).toBuffer();
              return out(keys.derivative(photo, aspect, variant, size.id, format), bytes, 'derivative', width, height);
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
