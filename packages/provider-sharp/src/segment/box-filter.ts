/** Separable box mean with radius r (window 2r+1, clamped at the frame), for planar float images. */
export function boxMean(src: Float32Array, w: number, h: number, r: number, out = new Float32Array(w * h)): Float32Array {
  const tmp = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let s = 0;
    let lo = 0, hi = -1;
    for (let x = 0; x < w; x++) {
      const a = Math.max(0, x - r), b = Math.min(w - 1, x + r);
      while (hi < b) s += src[o + ++hi]!;
      while (lo < a) s -= src[o + lo++]!;
      tmp[o + x] = s / (b - a + 1);
    }
  }
  for (let x = 0; x < w; x++) {
    let s = 0;
    let lo = 0, hi = -1;
    for (let y = 0; y < h; y++) {
      const a = Math.max(0, y - r), b = Math.min(h - 1, y + r);
      while (hi < b) s += tmp[++hi * w + x]!;
      while (lo < a) s -= tmp[lo++ * w + x]!;
      out[y * w + x] = s / (b - a + 1);
    }
  }
  return out;
}
