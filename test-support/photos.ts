/** Generated product photos on a light box, shared by the cross-package tests (no binary fixtures in the repo). */
import { createHash } from 'node:crypto';
import sharp from 'sharp';

const COLORS = ['#c0392b', '#2471a3', '#1e8449', '#7d3c98', '#b9770e', '#2e4053', '#a93226', '#117864', '#6c3483', '#935116'];

export async function productPhoto(i: number, size = 640): Promise<{ bytes: Buffer; sha256: string }> {
  const color = COLORS[i % COLORS.length]!;
  const w = Math.round(size * (0.35 + (i % 3) * 0.1));
  const h = Math.round(size * (0.5 + (i % 2) * 0.15));
  const x = Math.round((size - w) / 2);
  const y = Math.round((size - h) / 2);
  // The label is light but clearly not the backdrop colour (ΔE ≈ 15), so a colour-based cutout keeps it.
  const shape =
    i % 2 === 0
      ? `<rect x="${x}" y="${y}" width="${w}" height="${h}" rx="${Math.round(w / 8)}" fill="${color}"/><rect x="${x + w / 4}" y="${y + h / 3}" width="${w / 2}" height="${h / 5}" fill="#f3dc9a"/>`
      : `<ellipse cx="${size / 2}" cy="${size / 2}" rx="${w / 2}" ry="${h / 2}" fill="${color}"/>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><rect width="100%" height="100%" fill="#f7f7f5"/>${shape}</svg>`;
  const bytes = await sharp(Buffer.from(svg)).jpeg({ quality: 90 }).toBuffer();
  return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Small outputs keep the pipeline tests fast on 2 shared cores. */
export const FAST_COMPOSITOR = {
  aspects: [
    { id: '1x1', width: 512, height: 512 },
    { id: '4x5', width: 400, height: 500 },
  ],
  variants: 2,
  derivatives: { sizes: [{ id: 'pdp', width: 300, height: 300 }], formats: ['jpg', 'webp'] as ('jpg' | 'webp')[] },
};
