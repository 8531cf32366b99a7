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
  let x0 = width, y0 = height, x1 = -1, y1 = -1;
  for (let y = 0; y < height; y++) {
    const o = y * width * 4;
    for (let x = 0; x < width; x++) {
      if (data[o + x * 4 + 3]! > ALPHA_FLOOR) {
        if (x < x0) x0 = x;
        if (x > x1) x1 = x;
        if (y < y0) y0 = y;
        y1 = y;
      }
    }
  }
  if (x1 < 0) throw compositeFailed('cutout: fully transparent, there is no product to composite');
  const w = x1 - x0 + 1;
  const h = y1 - y0 + 1;
  if (w === width && h === height) return { rgba: data, width, height };
  const rgba = Buffer.allocUnsafe(w * h * 4);
  for (let y = 0; y < h; y++) data.copy(rgba, y * w * 4, ((y + y0) * width + x0) * 4, ((y + y0) * width + x0 + w) * 4);
  return { rgba, width: w, height: h };
}
