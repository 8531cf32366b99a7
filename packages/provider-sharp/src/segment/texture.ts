/**
 * Local texture: mean absolute difference between L* and its 3×3 mean, averaged over 3×3. Backdrop paper
 * and shadows carry only sensor noise; fabric, paper grain, print and product edges carry more.
 */
import { boxMean } from './box-filter.js';

export function textureMap(L: Float32Array, w: number, h: number): Float32Array {
  const m3 = boxMean(L, w, h, 1);
  for (let i = 0; i < m3.length; i++) m3[i] = Math.abs(L[i]! - m3[i]!);
  return boxMean(m3, w, h, 1);
}

/** A quantile (default the median) of a map along the frame (4-pixel band): the backdrop's own level. */
export function borderLevel(map: Float32Array, w: number, h: number, quantile = 0.5): number {
  const band = Math.min(4, (Math.min(w, h) / 4) | 0);
  const v: number[] = [];
  for (let y = 0; y < h; y++) {
    const edgeRow = y < band || y >= h - band;
    for (let x = 0; x < w; x++) if (edgeRow || x < band || x >= w - band) v.push(map[y * w + x]!);
  }
  v.sort((a, b) => a - b);
  return v[Math.min(v.length - 1, Math.floor(v.length * quantile))] ?? 0;
}
