/**
 * Square (Chebyshev) dilation of a 0/1 mask by r pixels, separable: a running distance along each row,
 * then a running count per column over the window of rows (memory is read in order in both passes).
 */
export function dilate(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  return dilateValue(src, w, h, r, 1);
}

/** Square erosion by r: the complement of the dilation of the complement. */
export function erode(src: Uint8Array, w: number, h: number, r: number): Uint8Array {
  const d = dilateValue(src, w, h, r, 0);
  for (let i = 0; i < d.length; i++) d[i] = d[i] ? 0 : 1;
  return d;
}

/** Dilation of the pixels that are set (value 1) or clear (value 0) in src. */
function dilateValue(src: Uint8Array, w: number, h: number, r: number, value: 0 | 1): Uint8Array {
  const tmp = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let last = -1e9;
    if (value) {
      for (let x = 0; x < w; x++) {
        if (src[o + x]) last = x;
        if (x - last <= r) tmp[o + x] = 1;
      }
      last = 1e9;
      for (let x = w - 1; x >= 0; x--) {
        if (src[o + x]) last = x;
        if (last - x <= r) tmp[o + x] = 1;
      }
    } else {
      for (let x = 0; x < w; x++) {
        if (!src[o + x]) last = x;
        if (x - last <= r) tmp[o + x] = 1;
      }
      last = 1e9;
      for (let x = w - 1; x >= 0; x--) {
        if (!src[o + x]) last = x;
        if (last - x <= r) tmp[o + x] = 1;
      }
    }
  }
  const out = new Uint8Array(w * h);
  const count = new Int32Array(w);
  let lo = 0,
    hi = -1;
  for (let y = 0; y < h; y++) {
    const a = Math.max(0, y - r),
      b = Math.min(h - 1, y + r);
    while (hi < b) {
      const q = ++hi * w;
      for (let x = 0; x < w; x++) count[x] = count[x]! + tmp[q + x]!;
    }
    while (lo < a) {
      const q = lo++ * w;
      for (let x = 0; x < w; x++) count[x] = count[x]! - tmp[q + x]!;
    }
    const o = y * w;
    for (let x = 0; x < w; x++) out[o + x] = count[x]! > 0 ? 1 : 0;
  }
  return out;
}
