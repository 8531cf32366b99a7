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
import type { JpegOptions, Sharp } from 'sharp';
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
  /** Masters with mozjpeg (trellis quantisation) instead of libjpeg-turbo with optimised Huffman tables. */
  mozjpeg: boolean;
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

const THUMBNAIL_SIZE = 400;

/**
 * JPEG settings of the outputs (bench/pipeline/floor.ts encodes with the same). Masters default to
 * libjpeg-turbo with optimised Huffman tables: mozjpeg's trellis quantisation makes a 2048² master about a
 * quarter smaller but costs about six times the CPU (bench/sharp), and a storefront's CDN re-encodes
 * masters anyway. Thumbnails, small and served as they are, always use mozjpeg.
 */
export function jpegOptions(role: 'master' | 'thumbnail', quality: number, mozjpeg = false): JpegOptions {
  if (role === 'thumbnail' || mozjpeg) return { quality, mozjpeg: true, chromaSubsampling: '4:4:4' };
  return { quality, optimiseCoding: true, chromaSubsampling: '4:4:4' };
}

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

async function renderComposites(input: CompositeTaskInput): Promise<CompositeOutput[]> {
  const { photo, theme, settings } = input;
  const { quality, thumbnailQuality: thumbQuality, thumbnails, derivatives, maxPixels } = settings;
  const cutout = await decodeCutout(asBuffer(input.cutout), maxPixels);
  const backgrounds = await Promise.all(input.backgrounds.map((b, i) => decodeBackground(asBuffer(b), i, maxPixels)));
  const outputs: CompositeOutput[] = [];

  for (const aspect of settings.aspects) {
    const canvasSize = { width: aspect.width, height: aspect.height };
    const box = placeProduct(cutout, canvasSize, theme.layout);
    let overlay: Overlay;
    try {
      const product = await resizeProduct(cutout, box);
      const shadow = theme.layout.shadow ? await renderShadow(product, box, shadowGeometry(theme.layout.shadow, canvasSize)) : null;
      overlay = buildOverlay(product, box, shadow, canvasSize);
    } catch (err) {
      throw asJobkitError(err, `placing the product on ${aspect.id} failed`);
    }

    for (let v = 0; v < backgrounds.length; v++) {
      const variant = v + 1;
      const canvas = await coverBackground(backgrounds[v]!, aspect.width, aspect.height).catch((err: unknown) => {
        throw asJobkitError(err, `resizing background ${variant} for ${aspect.id} failed`);
      });
      applyOverlay(canvas, overlay);
      outputs.push(...(await encodeOutputs(canvas, aspect.id, variant)));
    }
  }
  return outputs;

  async function encodeOutputs(canvas: RawImage, aspect: string, variant: number): Promise<CompositeOutput[]> {
    const raw = { raw: { width: canvas.width, height: canvas.height, channels: 3 as const } };
    const out = (key: string, bytes: Buffer, role: CompositeOutput['role'], width: number, height: number): CompositeOutput => ({
      key,
      bytes,
      contentType: contentTypeForKey(key),
      role,
      aspect,
      variant,
      width,
      height,
    });
    // Independent encodes of one canvas run concurrently on libuv's pool.
    const jobs: Array<Promise<CompositeOutput[]>> = [];
    jobs.push(
      sharp(canvas.data, raw)
        .jpeg(jpegOptions('master', quality, settings.mozjpeg))
        .toBuffer()
        .then((b) => [out(keys.composite(photo, aspect, variant), b, 'master', canvas.width, canvas.height)]),
    );
    if (thumbnails) {
      jobs.push(
        sharp(canvas.data, raw)
          .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside' })
          .jpeg(jpegOptions('thumbnail', thumbQuality))
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
  // Same scale, one side longer (the default aspects cut 2048² and 2560×1440 out of 2560×2048): a
  // centred crop, row copies instead of a resampling pass.
  if ((bg.width === width && bg.height > height) || (bg.height === height && bg.width > width)) {
    const left = (bg.width - width) >> 1;
    const top = (bg.height - height) >> 1;
    const data = Buffer.allocUnsafe(width * height * 3);
    for (let y = 0; y < height; y++) bg.data.copy(data, y * width * 3, ((top + y) * bg.width + left) * 3, ((top + y) * bg.width + left + width) * 3);
    return { data, width, height };
  }
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
  /** Blurred, bottom-weighted alpha at 1/scale of the canvas resolution, one byte per pixel. */
  alpha: Uint8Array;
  /** Size of `alpha`. */
  lowWidth: number;
  lowHeight: number;
  scale: number;
  /** Where the full-resolution shadow lands on the canvas, and its size there. */
  x: number;
  y: number;
  width: number;
  height: number;
  opacity: number;
}

/**
 * Contact shadow: the product's alpha, strongest at its base (where it meets the floor) and fading
 * upwards, blurred and offset. The offset is applied to where the shadow lands on the canvas. The blur is
 * wide (σ of tens of pixels), so the shadow is made at 1/scale of the resolution (σ/scale ≥ 3 px there,
 * a well-sampled Gaussian) and sampled bilinearly when laid on the canvas: the same soft shadow for a
 * fraction of the work.
 */
async function renderShadow(product: Buffer, box: Box, g: { sigma: number; dx: number; dy: number; opacity: number }): Promise<Shadow> {
  const m = Math.ceil(g.sigma * 3);
  const width = box.width + 2 * m;
  const height = box.height + 2 * m;
  const f = Math.max(1, Math.floor(g.sigma / 3));
  const lw = Math.ceil(width / f);
  const lh = Math.ceil(height / f);
  // Box-average the weighted alpha into f × f cells.
  const sum = new Float32Array(lw * lh);
  for (let y = 0; y < box.height; y++) {
    const t = box.height > 1 ? y / (box.height - 1) : 1;
    const weight = (0.35 + 0.65 * t * t) / (f * f);
    const row = (((y + m) / f) | 0) * lw;
    for (let x = 0, p = y * box.width * 4 + 3; x < box.width; x++, p += 4) {
      const a = product[p]!;
      if (a !== 0) sum[row + (((x + m) / f) | 0)]! += a * weight;
    }
  }
  const src = new Uint8ClampedArray(sum); // rounds and clamps
  // toColourspace('b-w') keeps the output single-channel (sharp would otherwise widen it to sRGB).
  const { data: alpha, info } = await sharp(src, { raw: { width: lw, height: lh, channels: 1 } })
    .blur(Math.max(0.3, g.sigma / f))
    .toColourspace('b-w')
    .raw()
    .toBuffer({ resolveWithObject: true });
  if (info.channels !== 1) throw compositeFailed(`shadow: expected 1 channel, got ${info.channels}`);
  return { alpha, lowWidth: lw, lowHeight: lh, scale: f, x: box.x - m + g.dx, y: box.y - m + g.dy, width, height, opacity: g.opacity };
}

/**
 * Shadow and product of one aspect merged into one layer on the canvas's pixel grid, computed once and
 * laid over every variant's background in a single pass: out = colour + background × keep / 255, where
 * colour is the product premultiplied by its alpha and keep = 255 × (1 − shadow)(1 − product alpha).
 */
interface Overlay {
  x: number;
  y: number;
  width: number;
  height: number;
  /** Per pixel: premultiplied R, G, B and keep (255 = background untouched, 0 = product only). */
  data: Uint8ClampedArray;
}

function buildOverlay(product: Buffer, box: Box, shadow: Shadow | null, canvas: { width: number; height: number }): Overlay {
  // The layer covers the product box and the part of the shadow that lands on the canvas.
  let x0 = box.x,
    y0 = box.y,
    x1 = box.x + box.width,
    y1 = box.y + box.height;
  if (shadow) {
    x0 = Math.min(x0, Math.max(0, shadow.x));
    y0 = Math.min(y0, Math.max(0, shadow.y));
    x1 = Math.max(x1, Math.min(canvas.width, shadow.x + shadow.width));
    y1 = Math.max(y1, Math.min(canvas.height, shadow.y + shadow.height));
  }
  const width = x1 - x0;
  const height = y1 - y0;
  // Clamped arrays round on store (no +0.5 / +127 tricks, no wrap-around past 255).
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 3; i < data.length; i += 4) data[i] = 255;
  // The product first: its opaque pixels hide the shadow, which then needs no sampling there.
  for (let y = 0; y < box.height; y++) {
    let p = y * box.width * 4;
    let o = ((box.y + y - y0) * width + (box.x - x0)) * 4;
    for (let x = 0; x < box.width; x++, p += 4, o += 4) {
      const a = product[p + 3]!;
      if (a === 0) continue;
      if (a === 255) {
        data[o] = product[p]!;
        data[o + 1] = product[p + 1]!;
        data[o + 2] = product[p + 2]!;
      } else {
        data[o] = (product[p]! * a) / 255;
        data[o + 1] = (product[p + 1]! * a) / 255;
        data[o + 2] = (product[p + 2]! * a) / 255;
      }
      data[o + 3] = 255 - a;
    }
  }
  if (shadow) {
    const k = shadow.opacity / 255;
    const sy0 = Math.max(y0, shadow.y),
      sy1 = Math.min(y1, shadow.y + shadow.height);
    const sx0 = Math.max(x0, shadow.x),
      sx1 = Math.min(x1, shadow.x + shadow.width);
    const { alpha, lowWidth: lw, lowHeight: lh, scale: f } = shadow;
    // Bilinear sample of the low-resolution shadow at each canvas pixel's centre.
    const u0 = new Int32Array(sx1 - sx0);
    const uw = new Float32Array(sx1 - sx0);
    for (let cx = sx0; cx < sx1; cx++) {
      const u = Math.min(lw - 1, Math.max(0, (cx - shadow.x + 0.5) / f - 0.5));
      u0[cx - sx0] = Math.max(0, Math.min(lw - 2, u | 0));
      uw[cx - sx0] = u - u0[cx - sx0]!;
    }
    const step = lw > 1 ? 1 : 0;
    for (let cy = sy0; cy < sy1; cy++) {
      const v = Math.min(lh - 1, Math.max(0, (cy - shadow.y + 0.5) / f - 0.5));
      const v0 = Math.max(0, Math.min(lh - 2, v | 0));
      const vw = v - v0;
      const r0 = v0 * lw;
      const r1 = lh > 1 ? r0 + lw : r0;
      let o = ((cy - y0) * width + (sx0 - x0)) * 4 + 3;
      for (let i = 0; i < u0.length; i++, o += 4) {
        const keep = data[o]!;
        if (keep === 0) continue; // under an opaque product pixel
        const a0 = u0[i]!;
        const w = uw[i]!;
        const top = alpha[r0 + a0]! + (alpha[r0 + a0 + step]! - alpha[r0 + a0]!) * w;
        const bottom = alpha[r1 + a0]! + (alpha[r1 + a0 + step]! - alpha[r1 + a0]!) * w;
        const a = top + (bottom - top) * vw;
        if (a >= 0.5) data[o] = keep * (1 - a * k);
      }
    }
  }
  return { x: x0, y: y0, width, height, data };
}

function applyOverlay(canvas: RawImage, ov: Overlay): void {
  const { width: cw } = canvas;
  const bg = new Uint8ClampedArray(canvas.data.buffer, canvas.data.byteOffset, canvas.data.length);
  const d = ov.data;
  for (let y = 0; y < ov.height; y++) {
    let o = y * ov.width * 4;
    let i = ((ov.y + y) * cw + ov.x) * 3;
    for (let x = 0; x < ov.width; x++, o += 4, i += 3) {
      const keep = d[o + 3]!;
      if (keep === 255) continue;
      if (keep === 0) {
        bg[i] = d[o]!;
        bg[i + 1] = d[o + 1]!;
        bg[i + 2] = d[o + 2]!;
      } else {
        bg[i] = d[o]! + (bg[i]! * keep) / 255;
        bg[i + 1] = d[o + 1]! + (bg[i + 1]! * keep) / 255;
        bg[i + 2] = d[o + 2]! + (bg[i + 2]! * keep) / 255;
      }
    }
  }
}
