/**
 * The working-resolution copy of a photo. Segmentation decides at a few hundred thousand pixels (box
 * averaging also lowers sensor noise by the factor), then refines only the outline at full resolution, so
 * the cost of a 12 MP photo is one averaging pass plus work proportional to the outline length.
 */
import { rgbToLabF } from '../color/lab.js';

export interface WorkingImage {
  /** Integer downscale factor (1 = full resolution). */
  factor: number;
  width: number;
  height: number;
  /** 8-bit sRGB (rounded box average), 3 bytes per pixel: for the backdrop model. */
  rgb: Uint8Array;
  /** CIELAB of the box average, planar (L, a, b each width × height). */
  L: Float32Array;
  A: Float32Array;
  B: Float32Array;
}

export function workingFactor(width: number, height: number, target: number): number {
  return Math.max(1, Math.round(Math.sqrt((width * height) / target)));
}

/** Box-averages `rgb` by `factor` (edge cells average what they cover) and converts to Lab. */
export function makeWorkingImage(rgb: Uint8Array, width: number, height: number, factor: number): WorkingImage {
  const w = Math.ceil(width / factor);
  const h = Math.ceil(height / factor);
  const m = w * h;
  // Integer sums (exact, as the float sums were) of one row of cells at a time.
  const sum = new Uint32Array(w * 3);
  const out = new Uint8Array(m * 3);
  const L = new Float32Array(m),
    A = new Float32Array(m),
    B = new Float32Array(m);
  const lab = new Float64Array(3);
  for (let wy = 0; wy < h; wy++) {
    const y0 = wy * factor,
      y1 = Math.min(height, y0 + factor);
    const row = wy * w;
    sum.fill(0);
    if (factor === 1) sum.set(rgb.subarray(y0 * width * 3, (y0 + 1) * width * 3));
    else {
      for (let y = y0; y < y1; y++) {
        let p = y * width * 3;
        // Each cell's run of `factor` pixels summed in locals, then added once.
        for (let wx = 0, k = 0; wx < w; wx++, k += 3) {
          const end = p + 3 * (Math.min(width, (wx + 1) * factor) - wx * factor);
          let r = 0,
            g = 0,
            b = 0;
          for (; p < end; p += 3) {
            r += rgb[p]!;
            g += rgb[p + 1]!;
            b += rgb[p + 2]!;
          }
          sum[k] = sum[k]! + r;
          sum[k + 1] = sum[k + 1]! + g;
          sum[k + 2] = sum[k + 2]! + b;
        }
      }
    }
    const rows = y1 - y0;
    for (let wx = 0; wx < w; wx++) {
      const i = row + wx;
      const c = rows * (Math.min(width, (wx + 1) * factor) - wx * factor);
      const r = sum[wx * 3]! / c,
        g = sum[wx * 3 + 1]! / c,
        b = sum[wx * 3 + 2]! / c;
      out[i * 3] = Math.round(r);
      out[i * 3 + 1] = Math.round(g);
      out[i * 3 + 2] = Math.round(b);
      rgbToLabF(r, g, b, lab);
      L[i] = lab[0]!;
      A[i] = lab[1]!;
      B[i] = lab[2]!;
    }
  }
  return { factor, width: w, height: h, rgb: out, L, A, B };
}
