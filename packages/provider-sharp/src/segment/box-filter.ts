/**
 * Separable box mean with radius r (window 2r+1, clamped at the frame), for planar float images.
 * Both passes walk memory in order (the vertical one keeps a running sum per column): a column-by-column
 * walk misses the cache on every pixel of a 0.5 MP image.
 */
export function boxMean(src: Float32Array, w: number, h: number, r: number, out = new Float32Array(w * h)): Float32Array {
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let s = 0;
    let lo = o,
      hi = o - 1;
    for (let x = 0; x < w; x++) {
      const a = Math.max(0, x - r),
        b = Math.min(w - 1, x + r);
      while (hi < o + b) s += src[++hi]!;
      while (lo < o + a) s -= src[lo++]!;
      tmp[o + x] = s / (b - a + 1);
    }
  }
  // Vertical: the same running sums as a per-column walk (same order of additions), row by row.
  const col = new Float64Array(w);
  let lo = 0,
    hi = -1;
  for (let y = 0; y < h; y++) {
    const a = Math.max(0, y - r),
      b = Math.min(h - 1, y + r);
    while (hi < b) {
      const q = ++hi * w;
      for (let x = 0; x < w; x++) col[x] = col[x]! + tmp[q + x]!;
    }
    while (lo < a) {
      const q = lo++ * w;
      for (let x = 0; x < w; x++) col[x] = col[x]! - tmp[q + x]!;
    }
    const k = b - a + 1,
      o = y * w;
    for (let x = 0; x < w; x++) out[o + x] = col[x]! / k;
  }
  return out;
}
