// Frozen copy of the 0.1 algorithm (see README.md); only imports were changed.
/**
 * Backdrop model estimated from the image border. A light box is never perfectly flat (fall-off towards
 * the corners, a warmer side), so instead of one colour we measure a colour profile along each side and
 * fill the interior with a Coons patch (the smooth surface that matches all four sides). The same pass
 * decides whether the border is uniform enough for a colour cut at all.
 */
import { deltaE, rgbToLab } from './lab.js';
import { segmentFailed } from './errors.js';

/** 6 channels per profile sample: L, a, b, R, G, B. */
const CH = 6;

export interface BackdropModel {
  width: number;
  height: number;
  /** Per-side profiles, CH values per position: top/bottom indexed by x, left/right by y. */
  top: Float64Array;
  bottom: Float64Array;
  left: Float64Array;
  right: Float64Array;
  /** Corner values (CH each): top-left, top-right, bottom-left, bottom-right. */
  corners: Float64Array;
  /** 90th percentile of ΔE between border pixels and their segment's median: the photo's noise level. */
  noise: number;
  /** Median backdrop colour (L, a, b, R, G, B). */
  median: Float64Array;
}

export interface BackdropOptions {
  segmentsPerSide: number;
  /** A border segment is clean when this share of its pixels is within `cleanDeltaE` of its median. */
  cleanShare: number;
  cleanDeltaE: number;
  /** A segment further than this from the border's median colour is treated as product, not backdrop. */
  outlierDeltaE: number;
  /** Share of border segments that must be clean backdrop. */
  minGoodShare: number;
}

export const DEFAULT_BACKDROP_OPTIONS: BackdropOptions = {
  segmentsPerSide: 12,
  cleanShare: 0.8,
  cleanDeltaE: 6,
  outlierDeltaE: 20,
  minGoodShare: 0.7,
};

interface Segment {
  value: Float64Array; // CH
  good: boolean;
  noise90: number;
}

const median = (values: number[]): number => {
  const s = values.slice().sort((x, y) => x - y);
  return s[s.length >> 1] ?? 0;
};

export function estimateBackdrop(rgb: Uint8Array, width: number, height: number, opts: BackdropOptions = DEFAULT_BACKDROP_OPTIONS): BackdropModel {
  const band = Math.max(2, Math.min(24, Math.round(Math.min(width, height) * 0.01)));
  const K = opts.segmentsPerSide;
  const lab = new Float64Array(3);

  // Perimeter order (clockwise): top L→R, right T→B, bottom R→L, left B→T — neighbours are adjacent.
  const segs: Segment[] = [];
  const measure = (x0: number, x1: number, y0: number, y1: number): Segment => {
    const ch: number[][] = [[], [], [], [], [], []];
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = (y * width + x) * 3;
        const r = rgb[i]!;
        const g = rgb[i + 1]!;
        const b = rgb[i + 2]!;
        rgbToLab(r, g, b, lab);
        ch[0]!.push(lab[0]!);
        ch[1]!.push(lab[1]!);
        ch[2]!.push(lab[2]!);
        ch[3]!.push(r);
        ch[4]!.push(g);
        ch[5]!.push(b);
      }
    }
    const value = new Float64Array(CH);
    for (let c = 0; c < CH; c++) value[c] = median(ch[c]!);
    const dist: number[] = [];
    let clean = 0;
    for (let i = 0; i < ch[0]!.length; i++) {
      const d = deltaE(ch[0]![i]!, ch[1]![i]!, ch[2]![i]!, value[0]!, value[1]!, value[2]!);
      dist.push(d);
      if (d <= opts.cleanDeltaE) clean++;
    }
    dist.sort((x, y) => x - y);
    const noise90 = dist[Math.floor(dist.length * 0.9)] ?? 0;
    return { value, good: clean >= opts.cleanShare * Math.max(1, dist.length), noise90 };
  };
  const span = (len: number, k: number): [number, number] => [Math.floor((k * len) / K), Math.floor(((k + 1) * len) / K)];
  for (let k = 0; k < K; k++) {
    const [a, b] = span(width, k);
    segs.push(measure(a, b, 0, band));
  }
  for (let k = 0; k < K; k++) {
    const [a, b] = span(height, k);
    segs.push(measure(width - band, width, a, b));
  }
  for (let k = K - 1; k >= 0; k--) {
    const [a, b] = span(width, k);
    segs.push(measure(a, b, height - band, height));
  }
  for (let k = K - 1; k >= 0; k--) {
    const [a, b] = span(height, k);
    segs.push(measure(0, band, a, b));
  }

  // Reference colour: median of the clean segments; segments far from it hold product, not backdrop.
  const clean = segs.filter((s) => s.good);
  const ref = new Float64Array(CH);
  for (let c = 0; c < CH; c++) ref[c] = median((clean.length ? clean : segs).map((s) => s.value[c]!));
  for (const s of segs) {
    if (s.good && deltaE(s.value[0]!, s.value[1]!, s.value[2]!, ref[0]!, ref[1]!, ref[2]!) > opts.outlierDeltaE) s.good = false;
  }
  const goodCount = segs.filter((s) => s.good).length;
  // Hard steps between neighbouring clean segments mean two backdrops (or a scene), not a light-box gradient.
  let jumps = 0;
  for (let i = 0; i < segs.length; i++) {
    const s = segs[i]!;
    const t = segs[(i + 1) % segs.length]!;
    if (s.good && t.good && deltaE(s.value[0]!, s.value[1]!, s.value[2]!, t.value[0]!, t.value[1]!, t.value[2]!) > 12) jumps++;
  }
  const goodShare = goodCount / segs.length;
  if (goodShare < opts.minGoodShare || jumps > 2) {
    throw segmentFailed(
      `background not uniform (${Math.round(goodShare * 100)}% of the border is a clean backdrop, ${jumps} colour steps); use an AI segmenter for this photo`,
      { goodShare, jumps },
    );
  }

  // Fill product-covered segments by interpolating between the nearest clean ones around the perimeter.
  const n = segs.length;
  const values = segs.map((s) => s.value);
  for (let i = 0; i < n; i++) {
    if (segs[i]!.good) continue;
    let before = 1;
    while (!segs[(i - before + n) % n]!.good) before++;
    let after = 1;
    while (!segs[(i + after) % n]!.good) after++;
    const a = segs[(i - before + n) % n]!.value;
    const b = segs[(i + after) % n]!.value;
    const t = before / (before + after);
    const v = new Float64Array(CH);
    for (let c = 0; c < CH; c++) v[c] = a[c]! * (1 - t) + b[c]! * t;
    values[i] = v;
  }

  const profile = (len: number, sideValues: Float64Array[]): Float64Array => {
    // sideValues[k] belongs to the centre of segment k; linear in between, constant beyond the ends.
    const out = new Float64Array(len * CH);
    const centres = sideValues.map((_, k) => {
      const [a, b] = span(len, k);
      return (a + b - 1) / 2;
    });
    let k = 0;
    for (let p = 0; p < len; p++) {
      while (k < K - 2 && p > centres[k + 1]!) k++;
      const c0 = centres[k]!;
      const c1 = centres[k + 1]!;
      const t = Math.min(1, Math.max(0, (p - c0) / (c1 - c0)));
      for (let c = 0; c < CH; c++) out[p * CH + c] = sideValues[k]![c]! * (1 - t) + sideValues[k + 1]![c]! * t;
    }
    return out;
  };
  const top = profile(width, values.slice(0, K));
  const right = profile(height, values.slice(K, 2 * K));
  const bottom = profile(width, values.slice(2 * K, 3 * K).reverse());
  const left = profile(height, values.slice(3 * K, 4 * K).reverse());

  // Corner values: the two sides meeting there disagree slightly; their mean keeps the patch continuous.
  const corners = new Float64Array(4 * CH);
  for (let c = 0; c < CH; c++) {
    corners[c] = (top[c]! + left[c]!) / 2;
    corners[CH + c] = (top[(width - 1) * CH + c]! + right[c]!) / 2;
    corners[2 * CH + c] = (bottom[c]! + left[(height - 1) * CH + c]!) / 2;
    corners[3 * CH + c] = (bottom[(width - 1) * CH + c]! + right[(height - 1) * CH + c]!) / 2;
  }
  const noise = median(segs.filter((s) => s.good).map((s) => s.noise90));
  return { width, height, top, bottom, left, right, corners, noise, median: ref };
}

/**
 * Fills `out` (width × CH) with the backdrop model for row y (Coons patch), channels [c0, c1).
 */
export function backdropRow(m: BackdropModel, y: number, out: Float64Array, c0 = 0, c1 = CH): void {
  const { width, height, top, bottom, left, right, corners } = m;
  const v = height > 1 ? y / (height - 1) : 0;
  for (let x = 0; x < width; x++) {
    const u = width > 1 ? x / (width - 1) : 0;
    for (let c = c0; c < c1; c++) {
      const ruled = (1 - v) * top[x * CH + c]! + v * bottom[x * CH + c]! + (1 - u) * left[y * CH + c]! + u * right[y * CH + c]!;
      const bilinear = (1 - u) * (1 - v) * corners[c]! + u * (1 - v) * corners[CH + c]! + (1 - u) * v * corners[2 * CH + c]! + u * v * corners[3 * CH + c]!;
      out[x * CH + c] = ruled - bilinear;
    }
  }
}

export const BACKDROP_CHANNELS = CH;
