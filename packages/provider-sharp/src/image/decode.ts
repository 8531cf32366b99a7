/**
 * Decodes an untrusted photo into an 8-bit sRGB raw buffer: EXIF orientation applied; CMYK, 16-bit,
 * greyscale, palette and alpha inputs normalised. Bad input becomes INVALID_INPUT naming the field, never a
 * crash and never a blank output.
 */
import sharp from 'sharp';
import type { Metadata, OutputInfo } from 'sharp';
import { JobkitError, invalidInput } from 'jobkit';

export const DEFAULT_MAX_PIXELS = 50_000_000;

export interface DecodedImage {
  /** RGB, 3 bytes per pixel, row-major; transparent source pixels are flattened onto white. */
  rgb: Uint8Array;
  /** The source's own alpha (1 byte per pixel) when it had any transparency, else null. */
  alpha: Uint8Array | null;
  width: number;
  height: number;
}

export interface DecodeOptions {
  field?: string;
  maxPixels?: number;
}

export interface ImageInfo {
  /** After EXIF orientation. */
  width: number;
  height: number;
  pixels: number;
  /** The file has an alpha channel (or palette transparency). */
  hasAlpha: boolean;
}

/**
 * Reads and checks the header only (no decode): size after EXIF orientation, the pixel cap, animation.
 * Cheap enough to run before admission, so the budget knows a photo's weight before it is decoded.
 */
export async function inspectImage(bytes: Buffer, options: DecodeOptions = {}): Promise<ImageInfo> {
  const field = options.field ?? 'original';
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw invalidInput(field, 'empty file (0 bytes)');
  let meta: Metadata;
  try {
    meta = await sharp(bytes).metadata();
  } catch (err) {
    throw new JobkitError('INVALID_INPUT', `${field}: not a decodable image (${(err as Error).message})`, { cause: err, details: { field } });
  }
  const width = meta.autoOrient?.width ?? meta.width;
  const height = meta.autoOrient?.height ?? meta.height;
  if (!width || !height) throw invalidInput(field, 'image has zero width or height');
  if (width * height > maxPixels) {
    throw invalidInput(field, `image is ${width}×${height} (${((width * height) / 1e6).toFixed(1)} MP), over the ${(maxPixels / 1e6).toFixed(0)} MP limit`);
  }
  if ((meta.pages ?? 1) > 1 && meta.format !== 'heif' && meta.format !== 'tiff') {
    throw invalidInput(field, `animated ${meta.format ?? 'image'} (${meta.pages} frames) is not a product photo`);
  }
  return { width, height, pixels: width * height, hasAlpha: meta.hasAlpha === true };
}

/** Decodes a photo (header checked by inspectImage first) into 8-bit RGB plus its own alpha, if any. */
export async function decodeImage(bytes: Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
  const field = options.field ?? 'original';
  const maxPixels = options.maxPixels ?? DEFAULT_MAX_PIXELS;
  const { hasAlpha } = await inspectImage(bytes, { field, maxPixels });

  let raw: { data: Buffer; info: OutputInfo };
  try {
    // failOn 'error': a truncated or corrupt file fails here instead of decoding to a grey half-image.
    const pipeline = sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, page: 0, pages: 1 }).rotate().toColourspace('srgb');
    // An opaque photo (the usual JPEG) decodes straight to RGB: no RGBA copy, no flattening pass.
    raw = await (hasAlpha ? pipeline.ensureAlpha() : pipeline.removeAlpha()).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new JobkitError('INVALID_INPUT', `${field}: cannot decode image (${(err as Error).message})`, { cause: err, details: { field } });
  }
  const { info, data } = raw;
  if (info.channels !== (hasAlpha ? 4 : 3))
    throw new JobkitError('INTERNAL', `expected ${hasAlpha ? 4 : 3} channels after normalisation, got ${info.channels}`);
  if (!hasAlpha) return { rgb: data, alpha: null, width: info.width, height: info.height };
  return flattenRgba(data, info.width, info.height);
}

/**
 * RGBA → RGB, keeping the alpha only when some pixel is not opaque. A pixel loop: call it on a worker
 * thread (the image pool does), never on the event loop for a large photo.
 */
export function flattenRgba(data: Uint8Array, width: number, height: number): DecodedImage {
  const n = width * height;
  const rgb = new Uint8Array(n * 3);
  let alpha: Uint8Array | null = null;
  for (let i = 0, j = 0; i < n; i++, j += 4) {
    const a = data[j + 3]!;
    if (a === 255) {
      rgb[i * 3] = data[j]!;
      rgb[i * 3 + 1] = data[j + 1]!;
      rgb[i * 3 + 2] = data[j + 2]!;
    } else {
      alpha ??= new Uint8Array(n).fill(255);
      alpha[i] = a;
      // Flatten onto white so an already-cut PNG reads as a product on a white backdrop.
      const k = 255 - a;
      rgb[i * 3] = (data[j]! * a + 255 * k + 127) / 255;
      rgb[i * 3 + 1] = (data[j + 1]! * a + 255 * k + 127) / 255;
      rgb[i * 3 + 2] = (data[j + 2]! * a + 255 * k + 127) / 255;
    }
  }
  return { rgb, alpha, width, height };
}

/** Pixels of an encoded image from its header, or 0 when it cannot be read (the decode reports why). */
export async function probePixels(bytes: Buffer): Promise<number> {
  try {
    const meta = await sharp(bytes).metadata();
    return (meta.width ?? 0) * (meta.height ?? 0);
  } catch {
    return 0;
  }
}
