/** Decodes an RGBA cutout once and crops it to the alpha bounding box. */
import sharp from 'sharp';
import type { OutputInfo } from 'sharp';
import { compositeFailed } from '../errors.js';

export interface DecodedCutout {
  /** RGBA (straight alpha) cropped to the product's alpha bounding box. */
  rgba: Buffer;
  width: number;
  height: number;
}

/** Alpha at or below this is edge noise, not product, when measuring the bounding box. */
const ALPHA_FLOOR = 8;

export async function decodeCutout(bytes: Buffer, maxPixels: number): Promise<DecodedCutout> {
  if (!Buffer.isBuffer(bytes) || bytes.length === 0) throw compositeFailed('cutout: empty file');
  let raw: { data: Buffer; info: OutputInfo };
  try {
    raw = await sharp(bytes, { failOn: 'error', limitInputPixels: maxPixels })
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw compositeFailed(`cutout: not a decodable image (${(err as Error).message})`, err);
  }
  const { data, info } = raw;
  const { width, height } = info;
  const box = alphaBounds(data, width, height);
  if (!box) throw compositeFailed('cutout: fully transparent, there is no product to composite');
  const { x0, y0, x1, y1 } = box;
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  if (w === width && h === height) return { rgba: data, width, height };
  const rgba = Buffer.allocUnsafe(w * h * 4);
  for (let y = 0; y < h; y++) data.copy(rgba, y * w * 4, ((y + y0) * width + x0) * 4, ((y + y0) * width + x0 + w) * 4);
  return { rgba, width: w, height: h };
}

/**
 * Bounding box of the pixels with alpha above ALPHA_FLOOR. Scans rows inwards from the top and the bottom,
 * then, in the rows between, only the margins not yet known to be inside — a fraction of the frame when
 * the product is small, instead of every pixel.
 */
function alphaBounds(data: Uint8Array, width: number, height: number): { x0: number; y0: number; x1: number; y1: number } | null {
  const rowHas = (y: number): boolean => {
    for (let i = y * width * 4 + 3, end = i + width * 4; i < end; i += 4) if (data[i]! > ALPHA_FLOOR) return true;
    return false;
  };
  let y0 = 0;
  while (y0 < height && !rowHas(y0)) y0++;
  if (y0 === height) return null;
  let y1 = height - 1;
  while (!rowHas(y1)) y1--;
  let x0 = width;
  let x1 = -1;
  for (let y = y0; y <= y1; y++) {
    const o = y * width * 4 + 3;
    for (let x = 0; x < x0; x++) {
      if (data[o + x * 4]! > ALPHA_FLOOR) {
        x0 = x;
        break;
      }
    }
    for (let x = width - 1; x > x1; x--) {
      if (data[o + x * 4]! > ALPHA_FLOOR) {
        x1 = x;
        break;
      }
    }
  }
  return { x0, y0, x1, y1 };
}
