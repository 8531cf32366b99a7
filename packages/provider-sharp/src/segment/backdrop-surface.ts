/**
 * The backdrop colour at every working pixel. The border model (a Coons patch through the frame's colour
 * profiles) knows the backdrop only at the frame; a light box's fall-off inside is rarely exactly that
 * patch (the light centre is off the middle, a sweep bends). So the patch is corrected by a smooth
 * polynomial surface fitted (robustly, per Lab channel) to the pixels already known to be backdrop.
 */
import type { BackdropModel } from './backdrop-model.js';
import { BACKDROP_CHANNELS } from './backdrop-model.js';

export interface BackdropSurface {
  L: Float32Array;
  A: Float32Array;
  B: Float32Array;
}

export function surfaceFromModel(model: BackdropModel): BackdropSurface {
  const { width: w, height: h, top, bottom, left, right, corners } = model;
  const CH = BACKDROP_CHANNELS;
  const planes = [new Float32Array(w * h), new Float32Array(w * h), new Float32Array(w * h)];
  // Coons patch: the ruled surfaces between opposite sides minus the bilinear patch of the corners.
  const us = new Float64Array(w);
  for (let x = 0; x < w; x++) us[x] = w > 1 ? x / (w - 1) : 0;
  for (let c = 0; c < 3; c++) {
    const out = planes[c]!;
    const c0 = corners[c]!,
      c1 = corners[CH + c]!,
      c2 = corners[2 * CH + c]!,
      c3 = corners[3 * CH + c]!;
    for (let y = 0; y < h; y++) {
      const v = h > 1 ? y / (h - 1) : 0;
      const v1 = 1 - v;
      const ly = left[y * CH + c]!,
        ry = right[y * CH + c]!;
      const o = y * w;
      for (let x = 0; x < w; x++) {
        const u = us[x]!,
          u1 = 1 - u;
        const ruled = v1 * top[x * CH + c]! + v * bottom[x * CH + c]! + u1 * ly + u * ry;
        const bilinear = u1 * v1 * c0 + u * v1 * c1 + u1 * v * c2 + u * v * c3;
        out[o + x] = ruled - bilinear;
      }
    }
  }
  return { L: planes[0]!, A: planes[1]!, B: planes[2]! };
}

const DEGREE = 3;
/** Number of monomials u^i v^j with i + j ≤ DEGREE. */
const TERMS = ((DEGREE + 1) * (DEGREE + 2)) / 2;

/** Monomials in normalised coordinates (-1..1), ordered by total degree. */
function monomials(u: number, v: number, out: Float64Array): void {
  let k = 0;
  for (let d = 0; d <= DEGREE; d++) {
    for (let j = 0; j <= d; j++) out[k++] = u ** (d - j) * v ** j;
  }
}

/** Solves M c = r (n × n, row-major) by Gaussian elimination with partial pivoting; null if singular. */
function solve(M: Float64Array, r: Float64Array, n: number): Float64Array | null {
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let k = c + 1; k < n; k++) if (Math.abs(M[k * n + c]!) > Math.abs(M[p * n + c]!)) p = k;
    if (Math.abs(M[p * n + c]!) < 1e-12) return null;
    if (p !== c) {
      for (let k = 0; k < n; k++) {
        const t = M[c * n + k]!;
        M[c * n + k] = M[p * n + k]!;
        M[p * n + k] = t;
      }
      const t = r[c]!;
      r[c] = r[p]!;
      r[p] = t;
    }
    for (let k = c + 1; k < n; k++) {
      const f = M[k * n + c]! / M[c * n + c]!;
      if (f === 0) continue;
      for (let j = c; j < n; j++) M[k * n + j] = M[k * n + j]! - f * M[c * n + j]!;
      r[k] = r[k]! - f * r[c]!;
    }
  }
  const x = new Float64Array(n);
  for (let c = n - 1; c >= 0; c--) {
    let s = r[c]!;
    for (let j = c + 1; j < n; j++) s -= M[c * n + j]! * x[j]!;
    x[c] = s / M[c * n + c]!;
  }
  return x;
}

/** Least-squares fit of `res` at the sample points (their monomials precomputed, TERMS per sample). */
function fit(mono: Float64Array, res: Float64Array, count: number): Float64Array | null {
  const M = new Float64Array(TERMS * TERMS),
    r = new Float64Array(TERMS);
  for (let s = 0; s < count; s++) {
    const o = s * TERMS,
      v = res[s]!;
    for (let a = 0; a < TERMS; a++) {
      const ma = mono[o + a]!;
      r[a] = r[a]! + ma * v;
      for (let b = a; b < TERMS; b++) M[a * TERMS + b] = M[a * TERMS + b]! + ma * mono[o + b]!;
    }
  }
  for (let a = 0; a < TERMS; a++) for (let b = 0; b < a; b++) M[a * TERMS + b] = M[b * TERMS + a]!;
  return solve(M, r, TERMS);
}

/**
 * Fits, per channel, a degree-3 polynomial to (image − surface) over the pixels where `use` is set
 * (sampled on a grid), drops outliers beyond 3 robust σ once, refits, and adds it to the surface in place.
 */
export function refineSurface(
  surface: BackdropSurface,
  img: { width: number; height: number; L: Float32Array; A: Float32Array; B: Float32Array },
  use: Uint8Array,
): void {
  const { width: w, height: h } = img;
  const stride = Math.max(1, Math.round(Math.sqrt((w * h) / 12_000))); // ~12 000 samples are plenty for 10 coefficients
  const su = 2 / Math.max(1, w - 1),
    sv = 2 / Math.max(1, h - 1);
  const all = new Int32Array(Math.ceil(w / stride) * Math.ceil(h / stride));
  let count = 0;
  for (let y = 0; y < h; y += stride) for (let x = 0; x < w; x += stride) if (use[y * w + x]) all[count++] = y * w + x;
  if (count < TERMS * 20) return;
  const idx = all.subarray(0, count);
  const mono = new Float64Array(idx.length * TERMS);
  const one = new Float64Array(TERMS);
  for (let s = 0; s < idx.length; s++) {
    const i = idx[s]!;
    monomials((i % w) * su - 1, ((i / w) | 0) * sv - 1, one);
    mono.set(one, s * TERMS);
  }
  const channels: Array<[Float32Array, Float32Array]> = [
    [img.L, surface.L],
    [img.A, surface.A],
    [img.B, surface.B],
  ];
  const res = new Float64Array(idx.length);
  const err = new Float64Array(idx.length);
  for (const [val, surf] of channels) {
    for (let s = 0; s < idx.length; s++) res[s] = val[idx[s]!]! - surf[idx[s]!]!;
    let coef = fit(mono, res, idx.length);
    if (!coef) continue;
    // Robust σ of the residuals; refit without the outliers (product or shadow pixels that slipped in).
    for (let s = 0; s < idx.length; s++) {
      let p = 0;
      for (let a = 0; a < TERMS; a++) p += coef[a]! * mono[s * TERMS + a]!;
      err[s] = Math.abs(res[s]! - p);
    }
    const sorted = Float64Array.from(err).sort();
    const limit = 3 * 1.4826 * sorted[sorted.length >> 1]! + 1e-3;
    let k = 0;
    const mono2 = new Float64Array(idx.length * TERMS),
      res2 = new Float64Array(idx.length);
    for (let s = 0; s < idx.length; s++) {
      if (err[s]! > limit) continue;
      for (let a = 0; a < TERMS; a++) mono2[k * TERMS + a] = mono[s * TERMS + a]!;
      res2[k++] = res[s]!;
    }
    if (k >= TERMS * 20) coef = fit(mono2, res2, k) ?? coef;
    addPolynomial(surf, w, h, coef);
  }
}

/** surf += polynomial(coef), evaluated per row as a cubic in u (Horner). */
function addPolynomial(surf: Float32Array, w: number, h: number, c: Float64Array): void {
  // Term order (d, j): u^(d-j) v^j → index d(d+1)/2 + j.
  const su = 2 / Math.max(1, w - 1),
    sv = 2 / Math.max(1, h - 1);
  const pu = new Float64Array(DEGREE + 1);
  for (let y = 0; y < h; y++) {
    const v = y * sv - 1;
    pu.fill(0);
    for (let d = 0; d <= DEGREE; d++) {
      for (let j = 0; j <= d; j++) pu[d - j] = pu[d - j]! + c[(d * (d + 1)) / 2 + j]! * v ** j;
    }
    const o = y * w;
    for (let x = 0; x < w; x++) {
      const u = x * su - 1;
      let p = pu[DEGREE]!;
      for (let e = DEGREE - 1; e >= 0; e--) p = p * u + pu[e]!;
      surf[o + x] = surf[o + x]! + p;
    }
  }
}
