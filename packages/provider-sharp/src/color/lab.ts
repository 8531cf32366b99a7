/**
 * sRGB (8-bit) → CIELAB (D65). Colour distances are taken in Lab because equal steps there look equal:
 * a threshold in ΔE means the same visible difference on a white, grey or coloured backdrop.
 *
 * Hot path (every pixel of every photo): the linearisation and the XYZ matrix are folded into per-byte
 * tables, and the cube root is read from a table with linear interpolation (error < 0.01 ΔE).
 */

const LINEAR = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  const c = i / 255;
  LINEAR[i] = c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
}
// X/Xn, Y/Yn, Z/Zn contributions of each channel byte.
const XR = new Float64Array(256),
  XG = new Float64Array(256),
  XB = new Float64Array(256);
const YR = new Float64Array(256),
  YG = new Float64Array(256),
  YB = new Float64Array(256);
const ZR = new Float64Array(256),
  ZG = new Float64Array(256),
  ZB = new Float64Array(256);
for (let i = 0; i < 256; i++) {
  const l = LINEAR[i]!;
  XR[i] = (0.4124564 * l) / 0.95047;
  XG[i] = (0.3575761 * l) / 0.95047;
  XB[i] = (0.1804375 * l) / 0.95047;
  YR[i] = 0.2126729 * l;
  YG[i] = 0.7151522 * l;
  YB[i] = 0.072175 * l;
  ZR[i] = (0.0193339 * l) / 1.08883;
  ZG[i] = (0.119192 * l) / 1.08883;
  ZB[i] = (0.9503041 * l) / 1.08883;
}

const EPS = 216 / 24389;
const KAPPA = 24389 / 27;
const exactF = (t: number): number => (t > EPS ? Math.cbrt(t) : (KAPPA * t + 16) / 116);
const F_STEPS = 8192;
const F_TABLE = new Float64Array(F_STEPS + 2);
for (let i = 0; i <= F_STEPS + 1; i++) F_TABLE[i] = exactF(i / F_STEPS);
const f = (t: number): number => {
  const p = t * F_STEPS;
  if (p >= F_STEPS) return exactF(t);
  const i = p | 0;
  const w = p - i;
  return F_TABLE[i]! * (1 - w) + F_TABLE[i + 1]! * w;
};

/** Writes L, a, b of one 8-bit sRGB colour into `out[0..2]`. */
export function rgbToLab(r: number, g: number, b: number, out: Float64Array): void {
  const fx = f(XR[r]! + XG[g]! + XB[b]!);
  const fy = f(YR[r]! + YG[g]! + YB[b]!);
  const fz = f(ZR[r]! + ZG[g]! + ZB[b]!);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (fx - fy);
  out[2] = 200 * (fy - fz);
}

/**
 * Lab of a fractional sRGB colour (e.g. a box average): the per-byte tables are interpolated linearly,
 * which keeps the extra precision of the average (error < 0.02 ΔE).
 */
export function rgbToLabF(r: number, g: number, b: number, out: Float64Array): void {
  const ri = r >= 255 ? 254 : r | 0,
    gi = g >= 255 ? 254 : g | 0,
    bi = b >= 255 ? 254 : b | 0;
  const rt = r - ri,
    gt = g - gi,
    bt = b - bi;
  // Inline interpolation (no closure: this runs per pixel).
  const x = XR[ri]! + (XR[ri + 1]! - XR[ri]!) * rt + XG[gi]! + (XG[gi + 1]! - XG[gi]!) * gt + XB[bi]! + (XB[bi + 1]! - XB[bi]!) * bt;
  const y = YR[ri]! + (YR[ri + 1]! - YR[ri]!) * rt + YG[gi]! + (YG[gi + 1]! - YG[gi]!) * gt + YB[bi]! + (YB[bi + 1]! - YB[bi]!) * bt;
  const z = ZR[ri]! + (ZR[ri + 1]! - ZR[ri]!) * rt + ZG[gi]! + (ZG[gi + 1]! - ZG[gi]!) * gt + ZB[bi]! + (ZB[bi + 1]! - ZB[bi]!) * bt;
  const fy = f(y);
  out[0] = 116 * fy - 16;
  out[1] = 500 * (f(x) - fy);
  out[2] = 200 * (fy - f(z));
}

/** Reference conversion without tables (for tests). */
export function rgbToLabExact(r: number, g: number, b: number): [number, number, number] {
  const lr = LINEAR[r]!,
    lg = LINEAR[g]!,
    lb = LINEAR[b]!;
  const fx = exactF((0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / 0.95047);
  const fy = exactF(0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb);
  const fz = exactF((0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / 1.08883);
  return [116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)];
}

export function deltaE(l1: number, a1: number, b1: number, l2: number, a2: number, b2: number): number {
  const dl = l1 - l2;
  const da = a1 - a2;
  const db = b1 - b2;
  return Math.sqrt(dl * dl + da * da + db * db);
}
