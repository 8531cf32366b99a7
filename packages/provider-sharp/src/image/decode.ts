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

export async function decodeImage(bytes: Buffer, options: DecodeOptions = {}): Promise<DecodedImage> {
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

  let raw: { data: Buffer; info: OutputInfo };
  try {
    // failOn 'error': a truncated or corrupt file fails here instead of decoding to a grey half-image.
    raw = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels, page: 0, pages: 1 })
      .rotate()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new JobkitError('INVALID_INPUT', `${field}: cannot decode image (${(err as Error).message})`, { cause: err, details: { field } });
  }
  const { info, data } = raw;
  if (info.channels !== 4) throw new JobkitError('INTERNAL', `expected 4 channels after normalisation, got ${info.channels}`);

  const n = info.width * info.height;
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
  return { rgb, alpha, width: info.width, height: info.height };
}
