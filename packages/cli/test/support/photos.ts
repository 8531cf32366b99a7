/** Generated product photos on a light box (copied from integration/test/support): no binary fixtures. */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';

const COLORS = ['#c0392b', '#2471a3', '#1e8449', '#7d3c98', '#b9770e', '#2e4053'];

export async function productPhoto(i: number, size = 320): Promise<{ bytes: Buffer; sha256: string }> {
  const color = COLORS[i % COLORS.length]!;
  const w = Math.round(size * (0.35 + (i % 3) * 0.1));
  const h = Math.round(size * (0.5 + (i % 2) * 0.15));
  const x = Math.round((size - w) / 2);
  const y = Math.round((size - h) / 2);
  const shape =
    i % 2 === 0
      ? `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${Math.round(w / 8)}" fill="${color}"/><rect x="${x + w / 4}" y="${y + h / 3}" width="${w / 2}" height="${h / 5}" fill="#f4f1e8"/>`
      : `<ellipse cx="${size / 2}" cy="${size / 2}" rx="${w / 2}" ry="${h / 2}" fill="${color}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="#f7f7f5"/>${shape}</svg>`;
  const bytes = await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Writes `skus` as {dir}/{sku}.jpg (photo i for the i-th SKU); returns their sha256 by SKU. */
export async function writePhotos(dir: string, skus: string[], offset = 0): Promise<Record<string, string>> {
  await fs.mkdir(dir, { recursive: true });
  const shas: Record<string, string> = {};
  for (const [i, sku] of skus.entries()) {
    const { bytes, sha256 } = await productPhoto(i + offset);
    await fs.writeFile(path.join(dir, `${sku}.jpg`), bytes);
    shas[sku] = sha256;
  }
  return shas;
}

/**
 * Real CLI options that keep the pipeline cheap on 2 shared cores: one small aspect, one variant, no
 * derivatives (the defaults render 2048-px masters in three aspects, two variants, three formats).
 */
export const FAST = ['--aspects', '1x1', '--size', '256', '--variants', '1', '--no-derivatives'];
