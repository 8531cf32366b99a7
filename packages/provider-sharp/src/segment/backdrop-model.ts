/**
 * Backdrop model estimated from the image border. A light box is never perfectly flat (fall-off towards
 * the corners, a warmer side), so instead of one colour we measure a colour profile along each side and
 * fill the interior with a Coons patch (the smooth surface that matches all four sides). The same pass
 * decides whether the border is uniform enough for a colour cut at all.
 */
import { deltaE, rgbToLab } from '../color/lab.js';
import { segmentFailed } from '../errors.js';

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

const DEFAULT_BACKDROP_OPTIONS: BackdropOptions = {
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
    // Typed arrays and their native numeric sort: this runs on every border pixel of every photo.
    const count = (x1 - x0) * (y1 - y0);
    const ch: Float64Array[] = [];
    for (let c = 0; c < CH; c++) ch.push(new Float64Array(count));
    let k = 0;
    for (let y = y0; y < y1; y++) {
      for (let x = x0; x < x1; x++) {
        const i = (y * width + x) * 3;
        const r = rgb[i]!;
        const g = rgb[i + 1]!;
        const b = rgb[i + 2]!;
        rgbToLab(r, g, b, lab);
        ch[0]![k] = lab[0]!;
        ch[1]![k] = lab[1]!;
        ch[2]![k] = lab[2]!;
        ch[3]![k] = r;
        ch[4]![k] = g;
        ch[5]![k] = b;
        k++;
      }
    }
    const value = new Float64Array(CH);
    for (let c = 0; c < CH; c++) value[c] = Float64Array.from(ch[c]!).sort()[count >> 1] ?? 0;
    const dist = new Float64Array(count);
    let clean = 0;
    for (let i = 0; i < count; i++) {
      const d = deltaE(ch[0]![i]!, ch[1]![i]!, ch[2]![i]!, value[0]!, value[1]!, value[2]!);
      dist[i] = d;
      if (d <= opts.cleanDeltaE) clean++;
    }
    dist.sort();
    const noise90 = dist[Math.floor(count * 0.9)] ?? 0;
    return { value, good: clean >= opts.cleanShare * Math.max(1, count), noise90 };
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
      `background not uniform (${Math.round(goodShare * 100)}% of the border is a clean backdrop, ${jumps} colour steps); use a hosted AI segmenter for this photo`,
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

export const BACKDROP_CHANNELS = CH;
